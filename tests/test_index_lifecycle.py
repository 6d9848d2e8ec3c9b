"""Incremental re-indexing, atomic versions, the build lock, SIGKILL during a build, readers during a build."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs.index import IndexLockedError, current_version, index_lock, load_index
from askjobs import embed
from askjobs.pipeline import AskJobs
from docmaker import AUTOMATISATION, SALAIRE, TELETRAVAIL, RecordingEncoder, write_pdf
from fakes import FakeEncoder

TESTS = Path(__file__).parent
WORDS = ("emploi salaire compétence métier formation entreprise recrutement télétravail données secteur "
         "région contrat ingénieur technicien cadre apprentissage automatisation intelligence artificielle "
         "étude enquête hausse baisse région industrie santé commerce numérique").split()


def french_doc(seed: int, sentences: int = 12) -> str:
    rng = random.Random(seed)
    lines = [f"Rapport n° {seed} sur l'emploi"]
    for _ in range(sentences):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
        lines.append(f"Le {words} progresse de {rng.randint(1, 99)} % en {rng.randint(2015, 2025)}.")
    return "\n\n".join(lines)


def asked_during_build(builder, reader, question: str) -> tuple[list, list[str]]:
    """Build in a thread while `reader` keeps asking `question`: the build's errors and every answer."""
    errors, answers = [], []

    def build():
        try:
            builder.build()
        except Exception as exc:  # reported by the caller
            errors.append(exc)

    thread = threading.Thread(target=build)
    thread.start()
    while thread.is_alive():
        answers.append(reader.ask(question).answer)
    thread.join()
    return errors, answers


def make_corpus(root: Path, n: int) -> Path:
    corpus = root / "docs"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "salaires.txt").write_text("Salaires\n\n" + SALAIRE, encoding="utf-8")
    (corpus / "teletravail.md").write_text("# Télétravail\n\n" + TELETRAVAIL, encoding="utf-8")
    for i in range(n):
        (corpus / f"rapport-{i:04d}.txt").write_text(french_doc(i), encoding="utf-8")
    return corpus


def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


# --- Incremental ------------------------------------------------------------------

def test_unchanged_corpus_embeds_nothing_loads_no_model_and_writes_no_version(tmp_path):
    corpus = make_corpus(tmp_path, 60)
    AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    version = current_version(tmp_path / "index")
    encoder = RecordingEncoder()
    t0 = time.perf_counter()
    report = AskJobs(settings(tmp_path, corpus), encoder).build()
    elapsed = time.perf_counter() - t0
    assert report.up_to_date and report.embedded == 0
    assert len(report.unchanged) == 62 and not (report.added or report.changed or report.removed)
    assert encoder.model_uses == []  # neither the tokenizer nor the vectors were needed
    assert current_version(tmp_path / "index") == version
    assert len(list((tmp_path / "index" / "versions").iterdir())) == 1
    assert elapsed < 1.0, f"no-change re-index took {elapsed:.2f} s"


def test_editing_one_file_re_embeds_only_that_file_and_keeps_other_chunk_ids(tmp_path):
    corpus = make_corpus(tmp_path, 20)
    app = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    app.build()
    before = {c.chunk_id: c.source for c in app.index.chunks}
    (corpus / "salaires.txt").write_text("Salaires\n\n" + SALAIRE.replace("55 000", "61 000"), encoding="utf-8")
    encoder = RecordingEncoder()
    report = AskJobs(settings(tmp_path, corpus), encoder).build()
    assert report.changed == ["salaires.txt"] and not report.added and not report.removed
    assert len(report.unchanged) == 21
    index = load_index(tmp_path / "index")
    own = [c for c in index.chunks if c.source == "salaires.txt"]
    own_sentences = [s for s in index.sentences if s.source == "salaires.txt"]
    assert report.embedded == encoder.encoded == len(own) + len(own_sentences)
    after = {c.chunk_id: c.source for c in index.chunks}
    assert {i for i, s in before.items() if s != "salaires.txt"} <= set(after)  # stable ids
    assert not any(i in after for i, s in before.items() if s == "salaires.txt")
    answer = AskJobs(settings(tmp_path, corpus), FakeEncoder()).ask("Quel est le salaire médian des data scientists ?")
    assert "61 000" in answer.answer


def test_added_and_deleted_files(tmp_path):
    corpus = make_corpus(tmp_path, 5)
    app = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    app.build()
    (corpus / "salaires.txt").unlink()
    encoder = RecordingEncoder()
    report = AskJobs(settings(tmp_path, corpus), encoder).build()
    assert report.removed == ["salaires.txt"] and report.embedded == 0
    assert encoder.model_uses == []  # removing needs no model at all
    index = load_index(tmp_path / "index")
    assert "salaires.txt" not in index.documents
    assert all(c.source != "salaires.txt" for c in index.chunks)
    assert all(s.source != "salaires.txt" for s in index.sentences)
    answer = AskJobs(settings(tmp_path, corpus), FakeEncoder()).ask("Quel est le salaire médian des data scientists ?")
    assert all(c.source != "salaires.txt" for c in answer.citations + answer.nearest)  # no stale answers

    write_pdf(corpus / "robots.pdf", [AUTOMATISATION])
    report = AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    assert report.added == ["robots.pdf"] and len(report.unchanged) == 6


def test_touching_a_file_without_changing_its_text_re_embeds_nothing(tmp_path):
    corpus = make_corpus(tmp_path, 3)
    AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    path = corpus / "teletravail.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))  # BOM and CRLF: same text
    report = AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    assert not report.up_to_date and report.embedded == 0 and "teletravail.md" in report.unchanged


def test_rebuild_re_embeds_everything(tmp_path):
    corpus = make_corpus(tmp_path, 3)
    AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    report = AskJobs(settings(tmp_path, corpus), FakeEncoder()).build(rebuild=True)
    assert len(report.added) == 5 and report.embedded == report.chunks + report.sentences


def test_duplicate_kept_once_and_indexed_when_its_twin_goes(tmp_path):
    corpus = make_corpus(tmp_path, 2)
    (corpus / "copie-salaires.txt").write_text("Salaires\n\n" + SALAIRE, encoding="utf-8")
    app = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    report = app.build()
    assert {s.source: s.reason for s in report.skipped} == {
        "salaires.txt": "doublon exact de copie-salaires.txt : indexé une seule fois"}
    assert sum(d.text.startswith("Salaires") for d in app.index.documents.values()) == 1
    (corpus / "copie-salaires.txt").unlink()
    report = app.build()
    assert report.removed == ["copie-salaires.txt"] and report.added == ["salaires.txt"] and not report.skipped


def test_cli_summary_for_a_change_and_for_no_change(tmp_path, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    corpus = make_corpus(tmp_path, 3)
    argv = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]
    assert cli.main(argv) == 0
    assert "ajoutés : 5" in capsys.readouterr().out
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Index à jour : aucun changement") and "inchangés : 5" in out
    (corpus / "rapport-0001.txt").write_text(french_doc(99), encoding="utf-8")
    (corpus / "rapport-0002.txt").unlink()
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "modifiés : 1 (rapport-0001.txt), supprimés : 1 (rapport-0002.txt), inchangés : 3" in out


def test_real_cli_no_change_run_never_loads_the_model(tmp_path):
    """`askjobs index` in a fresh process on an unchanged corpus: fast, and the model folder is never touched."""
    corpus = make_corpus(tmp_path, 40)
    fake = FakeEncoder()
    fake.name = "multilingual-e5-small"  # what the CLI's default model is called
    real = embed.make_encoder(Settings())  # cheap: loads nothing
    fake.fingerprint, fake.backend = real.fingerprint, real.backend
    AskJobs(settings(tmp_path, corpus), fake).build()
    models = tmp_path / "pas-de-modele"
    models.mkdir()
    env = {**os.environ, "ASKJOBS_MODELS": str(models), "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "askjobs.cli", "index", "--corpus", str(corpus),
                           "--index", str(tmp_path / "index")], capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Index à jour : aucun changement")
    assert list(models.iterdir()) == []  # building or loading the model would have written here
    # No wall-clock assertion (PROTOCOL: the machine is shared); the time is reported for a reader.
    print(f"no-change `askjobs index` in a fresh process: {elapsed:.1f} s")


# --- Atomic versions, lock, concurrent readers -----------------------------------------

def test_each_build_publishes_a_complete_version_and_prunes_old_ones(tmp_path):
    corpus = make_corpus(tmp_path, 2)
    app = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    names = []
    for i in range(4):
        (corpus / "change.txt").write_text(f"Version {i}\n\n" + french_doc(100 + i), encoding="utf-8")
        names.append(app.build().path.name)
    versions = tmp_path / "index" / "versions"
    assert sorted(p.name for p in versions.iterdir()) == sorted(names[-2:])
    assert (tmp_path / "index" / "CURRENT").read_text().strip() == names[-1]
    assert all((versions / n / "manifest.json").is_file() for n in names[-2:])
    assert not list((tmp_path / "index").glob(".CURRENT.*"))


def test_second_build_at_the_same_time_is_refused_with_a_clear_message(tmp_path, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    corpus = make_corpus(tmp_path, 2)
    app = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    with index_lock(tmp_path / "index"):
        with pytest.raises(IndexLockedError, match="Une autre indexation est déjà en cours"):
            app.build()
        code = cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
        err = capsys.readouterr().err
        assert code == 2 and "Une autre indexation est déjà en cours" in err and "Traceback" not in err
    assert app.build().added  # the lock is released with its holder


def test_lock_held_by_another_process(tmp_path):
    corpus = make_corpus(tmp_path, 1)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from askjobs.index import index_lock\n"
        f"with index_lock({str(tmp_path / 'index')!r}):\n    print('pris', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "pris"
        with pytest.raises(IndexLockedError):
            AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    finally:
        holder.kill()
        holder.wait()
    assert AskJobs(settings(tmp_path, corpus), FakeEncoder()).build().added  # freed when its holder died


def test_a_running_app_keeps_answering_during_a_rebuild_and_picks_up_the_new_version(tmp_path):
    corpus = make_corpus(tmp_path, 150)
    builder = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    builder.build()
    reader = AskJobs(settings(tmp_path, corpus), FakeEncoder())
    question = "Quel est le salaire médian des data scientists ?"
    assert "55 000" in reader.ask(question).answer
    (corpus / "salaires.txt").write_text("Salaires\n\n" + SALAIRE.replace("55 000", "72 000"), encoding="utf-8")
    for i in range(0, 150, 3):
        (corpus / f"rapport-{i:04d}.txt").write_text(french_doc(1000 + i), encoding="utf-8")
    errors, answers = asked_during_build(builder, reader, question)
    assert not errors
    assert answers and all("55 000" in a or "72 000" in a for a in answers)
    assert "72 000" in reader.ask(question).answer  # the new version, without restarting the reader


_BUILD_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from fakes import FakeEncoder
print("start", flush=True)
AskJobs(Settings(corpus_dir=Path({corpus!r}), index_dir=Path({index!r})), FakeEncoder()).build(rebuild=True)
print("done", flush=True)
"""


def test_sigkill_at_any_moment_of_a_build_leaves_a_working_index(tmp_path):
    corpus = make_corpus(tmp_path, 120)
    index_dir = tmp_path / "index"
    AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()
    question = "Quel est le salaire médian des data scientists ?"
    script = _BUILD_SCRIPT.format(tests=str(TESTS), corpus=str(corpus), index=str(index_dir))

    def run(kill_after: float | None) -> bool:
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "start"  # imports done: the build itself starts now
        t0 = time.perf_counter()
        if kill_after is None:
            proc.wait(timeout=300)
            return time.perf_counter() - t0
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        return proc.returncode == -signal.SIGKILL

    duration = run(None)  # one complete build tells how long the kills should spread over
    killed = 0
    for fraction in (0.1, 0.4, 0.7, 0.85, 0.95, 1.05, 0.5, 0.8):
        landed = run(duration * fraction)
        killed += landed
        if not landed and fraction < 1:
            duration *= 0.6  # the first build ran on a busier machine: the next kills come sooner
        index = load_index(index_dir)  # never raises: CURRENT always names a complete version
        assert len(index.documents) == 122
        assert index.faiss.ntotal == len(index.chunks)
        answer = AskJobs(settings(tmp_path, corpus), FakeEncoder()).ask(question)
        assert "55 000" in answer.answer
        for c in answer.citations:
            assert index.documents[c.source].text[c.start:c.end] == c.quote
    assert killed >= 4  # most kills landed mid-build
    report = AskJobs(settings(tmp_path, corpus), FakeEncoder()).build()  # the lock died with the killed builds
    assert report.up_to_date
    AskJobs(settings(tmp_path, corpus), FakeEncoder()).build(rebuild=True)
    assert not list((index_dir / "versions").glob(".tmp-*"))
