"""Cold start of askjobs: a fresh `askjobs ask` and a fresh `python app.py`, timed phase by phase.

    python eval/coldstart.py --runs 5                # CLI wall/RSS, CLI phases, chat start-up, alternating
    python eval/coldstart.py --runs 3 --only cli     # one kind only (cli, phases or app)
    python eval/coldstart.py --runs 5 --json out.json
    python eval/coldstart.py --runs 5 --against e8c194f~1 --index index   # before/after: that commit vs this tree

Three kinds of fresh process, run in turn (cli, phases, app, cli, phases, app, …) so that a change in
the machine's load hits all of them alike; the table gives the median of each row and the load average
(1 min) before each run:
- cli:    `python -m askjobs.cli ask QUESTION` exactly as a person runs it: wall time and peak RSS.
- phases: the same `askjobs.cli.main(["ask", QUESTION])` in a child whose loading functions are wrapped
          with timers (nothing else changes): interpreter start, imports, corpus check, tokenizer, model
          session, thread pools, index files, French lexicon, the answer itself, interpreter exit.
          Phases that run in parallel overlap; "wall" is the whole process.
- app:    `python app.py --port P` until the page answers HTTP 200, the log line "Chat prêt" (model
          and index loaded) and a first answer through the /ask API, asked as soon as the page answers;
          its CPU counts the processes it started (the question encoder's), and also stands alone.
With --against COMMIT, the same runs are made on that commit's code too (extracted by `git archive` into a
temporary folder), alternating the two trees run by run; each table then has a "before" and an "after"
column. Give --index (and --corpus) so that both read the same index.
Nothing here is a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Quel est le salaire d'un ingénieur en apprentissage automatique ?"
CHILD_FLAG = "--child-phases"


def _env(root: Path) -> dict:
    """The environment of a child running the askjobs of the tree `root` (its src/ first on the path).

    Python writes and reads its bytecode caches as it does for a person (a shell that sets
    PYTHONDONTWRITEBYTECODE made every run compile askjobs's sources again, ~0.1 s), and both trees
    use the same built model: the cold start measured is the one after the first run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # Both trees read this tree's model: an extracted commit has no models/ and built its own on its
    # first run (~28 s of CPU counted as that run's cold start).
    env.setdefault("ASKJOBS_MODELS", str(ROOT / "models"))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "src"), env.get("PYTHONPATH")) if p)
    return env


def _load() -> float:
    return os.getloadavg()[0]


# --- the child that times the phases of `askjobs ask` ---------------------------------------------
def child_phases(question: str, extra: list[str]) -> None:
    """Run `askjobs ask` in this process with timers around each loading step; print the phases as JSON."""
    started = time.time()
    t0 = time.perf_counter()
    import askjobs.cli as cli
    import askjobs.pipeline as pipeline  # what `ask` imports before it does anything
    imports = time.perf_counter() - t0

    from askjobs import embed, store, threads

    spent: dict[str, float] = {}
    spans: dict[str, list[float]] = {}  # label → [first start, last end], to see what ran in parallel

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None or getattr(original, "_coldstart", False):  # absent from older code, or wrapped
            return

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                end = time.perf_counter()
                spent[label] = spent.get(label, 0.0) + end - t
                span = spans.setdefault(label, [t, end])
                span[0], span[1] = min(span[0], t), max(span[1], end)
        wrapper._coldstart = True
        setattr(owner, name, wrapper)

    timed(pipeline.AskJobs, "stale_files", "corpus check")
    timed(embed.OnnxEncoder, "_load_tokenizer", "tokenizer")
    timed(embed.OnnxEncoder, "_load_session", "model session")
    timed(embed.SentenceTransformerEncoder, "_load", "model session")
    timed(pipeline, "configure_threads", "thread pools")
    timed(threads, "configure_threads", "thread pools")
    timed(store.FaissStore, "load", "index files")
    timed(pipeline, "load_lexicon", "French lexicon")
    # The first question, once everything above is loaded (ask loads the index and model before analysing).
    timed(pipeline.AskJobs, "analyse", "question: analyse")
    timed(pipeline.AskJobs, "search", "question: encode + retrieve")
    timed(pipeline.AskJobs, "read", "question: read")

    loading = ("tokenizer", "model session", "thread pools", "index files", "French lexicon")
    asking = ("question: analyse", "question: encode + retrieve", "question: read")

    def wall(labels) -> float:
        """From the first start to the last end of these steps (parallel steps count once)."""
        got = [spans[x] for x in labels if x in spans]
        return max(e for _, e in got) - min(s for s, _ in got) if got else 0.0

    def report(code: int) -> None:
        main_s = time.perf_counter() - t
        load_s, ask_s = wall(loading), wall(asking)
        out = {"started": started, "imports": imports, **spent, "loading, wall": load_s,
               "first question, wall": ask_s,
               # Parsing, the corpus check, printing, lazy imports, freeing what main() held.
               "rest of main()": max(0.0, main_s - load_s - ask_s), "main": main_s,
               "code": code, "ended": time.time()}
        print("COLDSTART " + json.dumps(out), file=sys.stderr, flush=True)

    # Run as the command line runs it (argv from sys.argv): main() may end the process itself, through
    # cli.exit_now; the phases are printed just before.
    leave = getattr(cli, "exit_now", None)
    if leave is not None:
        def exit_now(code: int) -> None:
            report(code)
            leave(code)
        cli.exit_now = exit_now
    sys.argv = ["askjobs", "ask", question, *extra]
    sys.stdout = open(os.devnull, "w")
    t = time.perf_counter()
    code = cli.main()
    report(code)
    sys.exit(code)


# --- the parent ----------------------------------------------------------------------------------
def _wait_rss(p: subprocess.Popen) -> tuple[int, float, float]:
    """Wait for the child: its exit status, peak RSS in MB and CPU seconds (wait4: this child's own rusage).

    CPU time says what the work costs whatever the load of a shared machine; wall time is what a person waits.
    """
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run_cli_rss(root: Path, question: str, extra: list[str]) -> dict:
    load = _load()
    t0 = time.time()
    p = subprocess.Popen([sys.executable, "-m", "askjobs.cli", "ask", question, *extra], env=_env(root),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    code, rss, cpu = _wait_rss(p)
    wall = time.time() - t0
    if code:
        raise SystemExit(f"askjobs ask a échoué (code {code}).")
    return {"load": load, "wall": wall, "CPU (user + sys)": cpu, "peak RSS MB": rss,
            "first line": out.decode().splitlines()[1][:80]}


def run_phases(root: Path, question: str, extra: list[str]) -> dict:
    load = _load()
    t0 = time.time()
    p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, question, *extra], env=_env(root),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    code, rss, cpu = _wait_rss(p)
    t_end = time.time()
    lines = [line for line in err.splitlines() if line.startswith("COLDSTART ")]
    if code or not lines:
        raise SystemExit(f"la mesure des phases a échoué (code {code}) : {err[-500:]}")
    d = json.loads(lines[-1][len("COLDSTART "):])
    if d.pop("code"):
        raise SystemExit("askjobs ask a échoué dans la mesure des phases.")
    started, ended = d.pop("started"), d.pop("ended")
    main_s = d.pop("main")
    return {"load": load, "interpreter start": started - t0, **d, "interpreter exit": t_end - ended,
            "wall": t_end - t0, "main()": main_s, "CPU (user + sys)": cpu, "peak RSS MB": rss}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_of(pid: int) -> tuple[float, float]:
    """CPU seconds (user + sys, every thread) a running process has used so far, alone and with its live
    child processes (Linux /proc): the chat encodes questions in a child process (askjobs.encoder_process).
    The process's own CPU is the part that cannot run beside its child."""
    def stat(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(pid)
    own = sum(int(x) for x in fields[11:15])  # its own time, and that of children it waited for
    children = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(pid):
            try:
                fields = stat(int(entry.name))
            except OSError:  # ended meanwhile
                continue
            if fields[1] == str(pid):  # the parent's pid: a child still running
                children += int(fields[11]) + int(fields[12])
    tick = os.sysconf("SC_CLK_TCK")
    return own / tick, (own + children) / tick


def _ask_api(base: str, question: str, timeout: float) -> dict:
    """One question through the chat's /ask API (Gradio's two-step call), the answer JSON."""
    req = urllib.request.Request(base + "gradio_api/call/ask", data=json.dumps({"data": [question, 5, None]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base}gradio_api/call/ask/{event}", timeout=timeout) as r:
        stream = r.read().decode()
    kind = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind == "complete":
            return json.loads(line[5:])[0]
    raise RuntimeError(f"pas de réponse de /ask : {stream[-300:]}")


def run_app(root: Path, question: str, extra: list[str], timeout: float = 180.0) -> dict:
    load = _load()
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    t0 = time.time()
    p = subprocess.Popen([sys.executable, str(root / "app.py"), "--port", str(port), *extra], env=_env(root),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: dict[str, float] = {}

    def read_log() -> None:
        for raw in p.stderr:
            line = raw.decode(errors="replace")
            now = time.time() - t0
            if line.startswith("Chat prêt") and "log: Chat prêt" not in seen:
                seen["log: Chat prêt"] = now
            seen["_last"] = line  # type: ignore[assignment]
    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    row: dict = {"load": load}
    try:
        while time.time() - t0 < timeout:
            if p.poll() is not None:
                raise SystemExit(f"app.py s'est arrêté (code {p.returncode}) : {seen.get('_last')}")
            try:
                with urllib.request.urlopen(base, timeout=5) as r:
                    if r.status == 200:
                        row["HTTP 200"] = time.time() - t0
                        row["CPU of the chat's process alone at HTTP 200"], row["CPU at HTTP 200"] = _cpu_of(p.pid)
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        else:
            raise SystemExit(f"app.py ne répond pas après {timeout:.0f} s")
        data = _ask_api(base, question, timeout)
        row["first answer"] = time.time() - t0
        row["CPU at first answer"] = _cpu_of(p.pid)[1]
        row["answered"] = bool(data.get("answerable"))
        reader.join(timeout=0.5)
        row.update({k: v for k, v in seen.items() if not k.startswith("_")})
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return row


KINDS = {"cli": run_cli_rss, "phases": run_phases, "app": run_app}


def _fmt(key: str, v: float) -> str:
    return f"{v:.0f}" if key == "peak RSS MB" else f"{v:.2f}"


def _label(key: str) -> str:
    unit = "" if key in ("load", "peak RSS MB") else " (s)"  # the rest are seconds: wall, or CPU where named
    return ("load average (1 min)" if key == "load" else key) + unit


def _keys(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k, v in r.items() if isinstance(v, float) and k not in keys]
    return keys


def table(title: str, rows: list[dict]) -> str:
    """Median and every run of each measured row."""
    lines = [f"### {title} — median of {len(rows)} fresh processes", "", "| phase | median | runs |", "|---|---|---|"]
    for k in _keys(rows):
        values = [r[k] for r in rows if k in r]
        lines.append(f"| {_label(k)} | {_fmt(k, statistics.median(values))} | "
                     f"{' · '.join(_fmt(k, v) for v in values)} |")
    return "\n".join(lines)


def compare(title: str, before: list[dict], after: list[dict], names: tuple[str, str]) -> str:
    """Before and after side by side: medians, and every run."""
    lines = [f"### {title} — medians of {len(after)} fresh processes each, alternating", "",
             f"| phase | before ({names[0]}) | after ({names[1]}) | runs before | runs after |", "|---|---|---|---|---|"]
    for k in _keys(before + after):
        cells = []
        for rows in (before, after):
            values = [r[k] for r in rows if k in r]
            cells.append((_fmt(k, statistics.median(values)) if values else "—",
                          " · ".join(_fmt(k, v) for v in values) or "—"))
        lines.append(f"| {_label(k)} | {cells[0][0]} | {cells[1][0]} | {cells[0][1]} | {cells[1][1]} |")
    return "\n".join(lines)


def _commit(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == CHILD_FLAG:
        child_phases(argv[1], argv[2:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="fresh processes of each kind (default 5)")
    p.add_argument("--only", choices=tuple(KINDS), action="append", help="measure only this kind (repeatable)")
    p.add_argument("--question", default=QUESTION)
    p.add_argument("--index", help="index folder (passed to askjobs ask and app.py)")
    p.add_argument("--corpus", help="corpus folder (passed to askjobs ask and app.py)")
    p.add_argument("--json", type=Path, help="also write every run as JSON here")
    p.add_argument("--against", metavar="COMMIT", help="also run that commit's code, alternating (before/after)")
    args = p.parse_args(argv)
    extra = [x for flag, value in (("--index", args.index), ("--corpus", args.corpus)) if value
             for x in (flag, str(Path(value).resolve()))]
    kinds = args.only or list(KINDS)
    trees = {"after": ROOT}
    with tempfile.TemporaryDirectory(prefix="askjobs-coldstart-") as tmp:
        names = ("", _commit(ROOT))
        if args.against:
            before = Path(tmp)
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.against], capture_output=True)
            if archive.returncode:
                raise SystemExit(f"git archive {args.against} : {archive.stderr.decode(errors='replace')}")
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            trees = {"before": before, "after": ROOT}
            names = (subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.against],
                                    capture_output=True, text=True).stdout.strip(), names[1])
        for root in trees.values():  # the bytecode caches a first run writes (see _env), written now
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "src")], env=_env(root),
                           stdout=subprocess.DEVNULL, check=False)
        results: dict[str, dict[str, list[dict]]] = {t: {k: [] for k in kinds} for t in trees}
        for i in range(args.runs):
            for kind in kinds:
                for tree, root in trees.items():
                    row = KINDS[kind](root, args.question, extra)
                    results[tree][kind].append(row)
                    print(f"run {i + 1}/{args.runs} {kind} {tree}: " + ", ".join(
                        f"{k} {v:.2f}" for k, v in row.items() if isinstance(v, float)), file=sys.stderr)
    titles = {"cli": "`askjobs ask` (wall time, peak RSS)", "phases": "`askjobs ask` phase by phase",
              "app": "`python app.py` (seconds since its start)"}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, commit {names[1]}"
          + (f", before = {names[0]}" if args.against else ""))
    for kind in kinds:
        print()
        if args.against:
            print(compare(titles[kind], results["before"][kind], results["after"][kind], names))
        else:
            print(table(titles[kind], results["after"][kind]))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
