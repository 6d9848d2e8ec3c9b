"""Benchmark on SQuAD-format files (e.g. PIAF, CNIL): askjobs against simple baselines, one table per set
plus their macro-average, so that a change is judged on every set at once.

Each paragraph becomes one document of a temporary corpus, indexed by the same
`AskJobs.build()` as `corpus/`; every question goes through the real `AskJobs.ask`.
The baselines reuse that index and the query vectors ask computed, so the
comparison costs little and runs on the same data, on the same machine, at the same time.
"""

from __future__ import annotations

import json
import platform
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import Settings
from .metrics import (contains_gold, coverage_curve, exact_match, percentile, recall_at, reciprocal_rank, token_f1,
                      unique_sources)
from .text import analyze, is_heading, strip_accents

KS = (1, 5, 20)  # recall cut-offs in the table
CURVE_K = 20  # passages retrieved for the ranking metrics and the recall curves
METHODS = ("bm25", "dense", "sentence", "fused_naive", "askjobs")
SINGLE_RETRIEVERS = ("bm25", "dense", "sentence")
METHOD_LABELS = {
    "bm25": "BM25 seul",
    "dense": "dense seul (e5)",
    "sentence": "meilleure phrase seule (e5)",
    "fused_naive": "fusion + 1re phrase",
    "askjobs": "askjobs complet",
}


# --- Data ------------------------------------------------------------------------

@dataclass(frozen=True)
class SquadParagraph:
    """One paragraph of a SQuAD article, as the document it becomes."""

    source: str  # file name in the temporary corpus, e.g. "sport-p1.txt"
    title: str  # article title + " §N"
    context: str


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    source: str  # the gold paragraph's document


@dataclass(frozen=True)
class SquadSet:
    name: str
    paragraphs: tuple[SquadParagraph, ...]
    questions: tuple[SquadQuestion, ...]
    skipped_unanswerable: int = 0


def slugify(text: str) -> str:
    """A file-name-safe ASCII slug: 'Saint-Paul (île)' → 'saint-paul-ile'."""
    s = re.sub(r"[^a-z0-9]+", "-", strip_accents(text).lower()).strip("-")
    return s[:60].rstrip("-") or "article"


def _fail(path: Path, where: str, what: str) -> ValueError:
    return ValueError(f"{path} : {where} : {what} Le fichier doit suivre le format SQuAD "
                      "({\"data\": [{\"title\", \"paragraphs\": [{\"context\", \"qas\": [{\"question\", "
                      "\"answers\": [{\"text\"}]}]}]}]}).")


def load_squad(path: Path) -> SquadSet:
    """Read and check a SQuAD-format JSON file; errors (in French) name the bad place and the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Fichier SQuAD introuvable : {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} : JSON invalide ligne {exc.lineno} ({exc.msg}).") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} : encodage illisible, UTF-8 attendu.") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise _fail(path, "racine", "il manque la liste \"data\".")
    paragraphs: list[SquadParagraph] = []
    questions: list[SquadQuestion] = []
    slugs: set[str] = set()
    seen_ids: set[str] = set()
    unanswerable = 0
    for a, article in enumerate(raw["data"], start=1):
        where = f"article {a}"
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise _fail(path, where, "il manque la liste \"paragraphs\".")
        title = re.sub(r"<[^>]+>", "", str(article.get("title") or f"Article {a}")).replace("_", " ").strip()
        title = " ".join(title.split()) or f"Article {a}"
        slug = base = slugify(title)
        n = 2
        while slug in slugs:  # two articles with the same title keep separate files
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        for p, para in enumerate(article["paragraphs"], start=1):
            where = f"article {a} ({title}), paragraphe {p}"
            if not isinstance(para, dict) or not isinstance(para.get("context"), str) or not para["context"].strip():
                raise _fail(path, where, "il manque le texte \"context\".")
            if not isinstance(para.get("qas", []), list):
                raise _fail(path, where, "\"qas\" doit être une liste.")
            doc = SquadParagraph(f"{slug}-p{p}.txt", f"{title} §{p}", unicodedata.normalize("NFC", para["context"]))
            paragraphs.append(doc)
            for q, qa in enumerate(para.get("qas", []), start=1):
                qwhere = f"{where}, question {q}"
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
                    raise _fail(path, qwhere, "il manque le texte \"question\".")
                golds = qa.get("answers", [])
                if not isinstance(golds, list) or not all(isinstance(g, dict) and isinstance(g.get("text"), str)
                                                          for g in golds):
                    raise _fail(path, qwhere, "\"answers\" doit être une liste d'objets avec un champ \"text\".")
                texts = tuple(dict.fromkeys(g["text"].strip() for g in golds if g["text"].strip()))
                if qa.get("is_impossible") or not texts:  # SQuAD 2.0 unanswerable: nothing to measure here
                    unanswerable += 1
                    continue
                if not qa["question"].strip():
                    raise _fail(path, qwhere, "la question est vide.")
                qid = str(qa.get("id") or f"a{a}p{p}q{q}")
                if qid in seen_ids:
                    qid = f"{qid}#{a}.{p}.{q}"
                seen_ids.add(qid)
                questions.append(SquadQuestion(qid, qa["question"].strip(), texts, doc.source))
    if not paragraphs:
        raise ValueError(f"{path} ne contient aucun paragraphe.")
    if not questions:
        raise ValueError(f"{path} ne contient aucune question avec une réponse.")
    return SquadSet(path.stem, tuple(paragraphs), tuple(questions), unanswerable)


def spread(questions: Sequence[SquadQuestion], max_q: int | None) -> list[SquadQuestion]:
    """At most max_q questions, evenly spread over the file (not just its first articles)."""
    if max_q is None or max_q >= len(questions):
        return list(questions)
    if max_q < 1:
        raise ValueError(f"--max-q doit être au moins 1 (reçu : {max_q}).")
    picks = np.unique(np.linspace(0, len(questions) - 1, max_q).round().astype(int))
    return [questions[i] for i in picks]


def write_corpus(paragraphs: Sequence[SquadParagraph], folder: Path) -> None:
    """One UTF-8 text file per paragraph: a heading line (its title), a blank line, the paragraph."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in paragraphs:
        (folder / p.source).write_text(f"{p.title}\n\n{p.context}\n", encoding="utf-8")


# --- Running the methods ---------------------------------------------------------

@dataclass
class MethodRun:
    """One method's output for one question."""

    ranked: list[str]  # document sources, best first
    answer: str
    latency_ms: float
    confidence: float | None = None
    short: str | None = None  # the short answer askjobs marks inside its quote (answer_start/answer_end)
    embed_ms: float | None = None  # the query encoding alone, for the speed target (ask within 1.5× of it)


@dataclass
class BenchResult:
    dataset: dict
    settings: dict
    machine: dict
    build: dict
    methods: dict[str, dict]
    recall_curves: dict[str, list[float]]
    coverage: list[dict]
    refusal: dict
    questions: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("dataset", "settings", "machine", "build", "methods", "recall_curves",
                                              "coverage", "refusal", "questions")}


def _answer_sentences(index, row: int) -> list[int]:
    return [sid for sid in index.chunk_sentences[row] if not is_heading(index.sentences[sid].text)]


def _bm25_sentence(index, row: int, query) -> str:
    """The sentence of a passage with the best BM25 score for the question terms."""
    terms = query.terms
    sids = _answer_sentences(index, row)
    if not sids:
        return index.chunks[row].text
    bags = [analyze(index.sentences[s].text) for s in sids]
    avg = max(np.mean([len(b) for b in bags]), 1.0)
    k1, b = 1.2, 0.75

    def score(bag: list[str]) -> float:
        return sum(index.idf(t) * bag.count(t) * (k1 + 1) / (bag.count(t) + k1 * (1 - b + b * len(bag) / avg))
                   for t in terms)

    best = max(range(len(sids)), key=lambda i: (score(bags[i]), -i))
    return index.sentences[sids[best]].text


def _dense_sentence(index, row: int, qvec: np.ndarray) -> str:
    sids = _answer_sentences(index, row)
    if not sids:
        return index.chunks[row].text
    return index.sentences[sids[int(np.argmax(index.sentence_vectors[sids] @ qvec))]].text


def _first_sentence(index, row: int) -> str:
    sids = _answer_sentences(index, row)
    return index.sentences[sids[0]].text if sids else index.chunks[row].text


def run_methods(app, question: str) -> dict[str, MethodRun]:
    """Answer one question with askjobs (its analyse → search → read path) and three baselines that
    reuse its retrieval: each retriever's own ranking, and the fused ranking's first sentence."""
    s = app.settings
    t0 = time.perf_counter()
    query = app.analyse(question)
    found = app.search(query, CURVE_K)  # deeper than top_k for the recall curves; the reader gets top_k
    t1 = time.perf_counter()
    answer = app.read(query, found.top(s.top_k))
    t2 = time.perf_counter()
    index, stage = app.index, found.timings_ms
    fused = unique_sources([h.chunk.source for h in found.hits])
    short = next((index.documents[c.source].text[c.answer_start:c.answer_end] for c in answer.citations
                  if c.answer_start is not None), None)
    out: dict[str, MethodRun] = {
        "askjobs": MethodRun(fused, answer.answer if answer.answerable else "", (t2 - t0) * 1e3, answer.confidence,
                             short, stage.get("embed")),
        "fused_naive": MethodRun(fused, _first_sentence(index, found.hits[0].row) if found.hits else "",
                                 (t1 - t0) * 1e3),
    }
    dense, lexical = found.rankings["dense"], found.rankings["lexical"]
    out["dense"] = MethodRun(unique_sources([index.chunks[int(i)].source for i in dense.ids[:CURVE_K]]),
                             _dense_sentence(index, int(dense.ids[0]), found.qvec) if len(dense.ids) else "",
                             stage["embed"] + stage["dense"])
    sentence = found.rankings["sentence"]
    out["sentence"] = MethodRun(unique_sources([index.chunks[int(i)].source for i in sentence.ids[:CURVE_K]]),
                                _dense_sentence(index, int(sentence.ids[0]), found.qvec) if len(sentence.ids) else "",
                                stage["embed"] + stage["sentence"])
    out["bm25"] = MethodRun(unique_sources([index.chunks[int(i)].source for i in lexical.ids[:CURVE_K]]),
                            _bm25_sentence(index, int(lexical.ids[0]), query) if len(lexical.ids) else "",
                            stage["lexical"])
    return out


def summarize(questions: Sequence[SquadQuestion], runs: Sequence[MethodRun]) -> dict:
    """The table row of one method."""
    mean = lambda xs: round(float(np.mean(xs)), 4) if len(xs) else 0.0  # noqa: E731
    row = {f"R@{k}": mean([recall_at(r.ranked, q.source, k) for q, r in zip(questions, runs)]) for k in KS}
    row["MRR@10"] = mean([reciprocal_rank(r.ranked, q.source, 10) for q, r in zip(questions, runs)])
    row["containment"] = mean([contains_gold(r.answer, q.answers) for q, r in zip(questions, runs)])
    row["F1"] = mean([token_f1(r.answer, q.answers) for q, r in zip(questions, runs)])
    row["EM"] = mean([exact_match(r.answer, q.answers) for q, r in zip(questions, runs)])
    # The short answer askjobs highlights (or the whole answer when it marks none) against the gold span.
    row["span_F1"] = mean([token_f1(r.short if r.short is not None else r.answer, q.answers)
                           for q, r in zip(questions, runs)])
    row["span_marked"] = mean([r.short is not None for r in runs])
    embeds = [r.embed_ms for r in runs if r.embed_ms is not None]
    if embeds:
        row["embed_p50_ms"] = percentile(embeds, 50)
    row["answer_chars"] = round(float(np.mean([len(r.answer) for r in runs])), 1)
    lat = [r.latency_ms for r in runs]
    row["p50_ms"], row["p95_ms"] = percentile(lat, 50), percentile(lat, 95)
    return row


def run_bench(data: SquadSet, settings: Settings, *, max_q: int | None = None, encoder=None,
              progress: Callable[[int, int], None] | None = None) -> BenchResult:
    """Index the paragraphs with the askjobs pipeline and score all methods on the questions."""
    from . import embed
    from .pipeline import AskJobs

    questions = spread(data.questions, max_q)
    encoder = encoder or embed.make_encoder(settings)
    with tempfile.TemporaryDirectory(prefix="askjobs-bench-") as tmp:
        corpus, index_dir = Path(tmp) / "corpus", Path(tmp) / "index"
        write_corpus(data.paragraphs, corpus)
        # Threshold 0: ask always returns its best span with its confidence; the refusal
        # threshold is applied afterwards, so one run also gives the coverage curve.
        s = settings.with_(corpus_dir=corpus, index_dir=index_dir).with_(refusal_threshold=0.0)
        app = AskJobs(s, encoder)
        t0 = time.perf_counter()
        _ = encoder.dim  # load the model first: the build time is indexing only
        load_s = time.perf_counter() - t0
        report = app.build(rebuild=True)
        build = {"seconds": round(report.seconds, 2), "model_load_seconds": round(load_s, 2),
                 "documents": report.documents, "chunks": report.chunks, "sentences": report.sentences}
        runs: dict[str, list[MethodRun]] = {m: [] for m in METHODS}
        for i, q in enumerate(questions):
            for m, run in run_methods(app, q.question).items():
                runs[m].append(run)
            if progress:
                progress(i + 1, len(questions))

    methods = {m: summarize(questions, runs[m]) for m in METHODS}
    curves = {m: [round(float(np.mean([recall_at(r.ranked, q.source, k) for q, r in zip(questions, runs[m])])), 4)
                  for k in range(1, CURVE_K + 1)] for m in METHODS}
    ask_runs = runs["askjobs"]
    correct = [contains_gold(r.answer, q.answers) for q, r in zip(questions, ask_runs)]
    confs = [r.confidence or 0.0 for r in ask_runs]
    kept = [c >= settings.refusal_threshold for c in confs]
    refusal = {
        "threshold": settings.refusal_threshold,
        "answered": round(float(np.mean(kept)), 4),
        "containment_when_answered": round(float(np.mean([c for c, k in zip(correct, kept) if k])), 4)
        if any(kept) else None,
        "containment_counting_refusals_wrong": round(float(np.mean([c * k for c, k in zip(correct, kept)])), 4),
    }
    per_question = [
        {"id": q.qid, "question": q.question, "gold": list(q.answers), "source": q.source,
         **{m: {"answer": runs[m][i].answer, "top": runs[m][i].ranked[:5],
                "contains": contains_gold(runs[m][i].answer, q.answers)} for m in METHODS},
         "confidence": round(confs[i], 4)}
        for i, q in enumerate(questions)
    ]
    return BenchResult(
        dataset={"name": data.name, "paragraphs": len(data.paragraphs), "questions": len(questions),
                 "questions_in_file": len(data.questions), "skipped_unanswerable": data.skipped_unanswerable},
        settings={"model": settings.model, "chunk_tokens": settings.chunk_tokens,
                  "chunk_overlap": settings.chunk_overlap, "top_k": settings.top_k,
                  "candidates": settings.candidates,
                  "refusal_threshold": settings.refusal_threshold, "max_answer_chars": settings.max_answer_chars},
        machine=machine_info(),
        build=build,
        methods=methods,
        recall_curves=curves,
        coverage=coverage_curve(confs, correct),
        refusal=refusal,
        questions=per_question,
    )


def machine_info() -> dict:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "os": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M")}


# --- Output ----------------------------------------------------------------------

COLUMNS = ("R@1", "R@5", "R@20", "MRR@10", "containment", "F1", "EM", "span_F1", "answer_chars", "p50_ms", "p95_ms")
HEADERS = ("R@1", "R@5", "R@20", "MRR@10", "réponse contient l'or", "F1", "EM", "F1 réponse courte", "long. (car.)",
           "p50 (ms)", "p95 (ms)")


def format_table(result: BenchResult, markdown: bool = False) -> str:
    rows = [[METHOD_LABELS[m]] + [_fmt(c, result.methods[m][c]) for c in COLUMNS] for m in METHODS]
    head = ["méthode", *HEADERS]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(HEADERS)) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([fmt(head), *map(fmt, rows)])


def _fmt(column: str, v: float) -> str:
    if column == "answer_chars":
        return f"{v:.0f}"
    if column.endswith("_ms"):
        return f"{v:.1f}"
    return f"{v:.3f}"


def summary_lines(result: BenchResult) -> list[str]:
    d, b, r = result.dataset, result.build, result.refusal
    answered = r["containment_when_answered"]
    return [
        f"Jeu : {d['name']} — {d['paragraphs']} paragraphes, {d['questions']} questions"
        + (f" (sur {d['questions_in_file']})" if d["questions"] < d["questions_in_file"] else ""),
        f"Index : {b['documents']} documents, {b['chunks']} passages, {b['sentences']} phrases, "
        f"construit en {b['seconds']:.1f} s (chargement du modèle {b['model_load_seconds']:.1f} s en plus)",
        f"Seuil de refus {r['threshold']} : askjobs répond à {r['answered']:.1%} des questions ; "
        + (f"parmi ses réponses, {answered:.1%} contiennent la réponse attendue." if answered is not None
           else "aucune réponse donnée."),
        *_speed_line(result),
    ]


def _speed_line(result: BenchResult) -> list[str]:
    row = result.methods["askjobs"]
    if "embed_p50_ms" not in row:
        return []
    return [f"Vitesse : askjobs p50 {row['p50_ms']:.1f} ms, dont l'encodage de la question seul p50 "
            f"{row['embed_p50_ms']:.1f} ms (rapport {row['p50_ms'] / max(row['embed_p50_ms'], 1e-9):.2f}) ; "
            f"réponse courte marquée pour {row['span_marked']:.1%} des questions."]


def write_report(result: BenchResult, folder: Path) -> list[Path]:
    """report.md plus two PNG plots; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plots = _plot(result, folder)
    s, m = result.settings, result.machine
    md = [
        f"# Benchmark askjobs — {result.dataset['name']}",
        "",
        f"Run of {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}.",
        "Command: `askjobs bench squad FILE --report DIR`. Each paragraph is one document; "
        "recall is over documents (the gold paragraph among the distinct documents of the top "
        f"{CURVE_K} passages). Answer metrics compare the returned text with the gold answers "
        "(French normalisation). askjobs answers here with its refusal threshold at 0; the line "
        "below the table shows the effect of the configured threshold.",
        "",
        format_table(result, markdown=True),
        "",
        *[f"- {line}" for line in [*summary_lines(result), versus_single(result)]],
        "",
        "## Settings",
        "",
        *[f"- `{k}`: {v}" for k, v in s.items()],
        "",
        "## Plots",
        "",
        *[f"![{p.stem}]({p.name})" for p in plots],
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return [path, *plots]


def _plot(result: BenchResult, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = list(range(1, CURVE_K + 1))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for m in METHODS:
        if m == "fused_naive" and result.recall_curves[m] == result.recall_curves["askjobs"]:
            continue  # same retrieval as askjobs: one curve, labelled below
        label = METHOD_LABELS[m]
        if m == "askjobs" and result.recall_curves["fused_naive"] == result.recall_curves["askjobs"]:
            label = "askjobs complet = fusion + 1re phrase"
        ax.plot(ks, result.recall_curves[m], marker="o", markersize=3, label=label)
    ax.set_xlabel("k (documents retrouvés)")
    ax.set_ylabel("rappel@k")
    ax.set_xticks([1, 5, 10, 15, 20])
    ax.set_title(f"Rappel@k — {result.dataset['name']} ({result.dataset['questions']} questions)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    recall_png = folder / "recall_at_k.png"
    fig.savefig(recall_png)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    cov = result.coverage
    ax.plot([c["coverage"] for c in cov], [c["accuracy"] for c in cov], label="askjobs complet")
    t = result.refusal["threshold"]
    at = min(cov, key=lambda c: abs(c["threshold"] - t)) if cov else None
    if at:
        ax.scatter([at["coverage"]], [at["accuracy"]], color="C3", zorder=3, label=f"seuil actuel ({t})")
    ax.set_xlabel("part des questions auxquelles askjobs répond")
    ax.set_ylabel("réponses qui contiennent la réponse attendue")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("Exactitude selon le seuil de refus")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    coverage_png = folder / "coverage.png"
    fig.savefig(coverage_png)
    plt.close(fig)
    return [recall_png, coverage_png]


def macro_average(results: Sequence[BenchResult]) -> dict[str, dict]:
    """Each method's columns averaged over the sets, each set counting the same."""
    return {m: {c: round(float(np.mean([r.methods[m][c] for r in results])), 4) for c in COLUMNS} for m in METHODS}


def format_macro(results: Sequence[BenchResult], markdown: bool = False) -> str:
    """The macro-average table, in the shape of format_table."""
    names = ", ".join(r.dataset["name"] for r in results)
    macro = BenchResult({"name": f"moyenne de {names}"}, {}, {}, {}, macro_average(results), {}, [], {})
    return format_table(macro, markdown)


def versus_single(result: BenchResult) -> str:
    """Whether askjobs finds at least what the best single retriever finds, at R@1 and at R@5."""
    parts = []
    for k in ("R@1", "R@5"):
        best = max(SINGLE_RETRIEVERS, key=lambda m: result.methods[m][k])
        ours, theirs = result.methods["askjobs"][k], result.methods[best][k]
        parts.append(f"{k} {ours:.3f} {'≥' if ours >= theirs else '<'} {theirs:.3f} ({METHOD_LABELS[best]})")
    return "askjobs face au meilleur retriever seul : " + " ; ".join(parts)


def cmd_bench_squad(args) -> int:
    """`askjobs bench squad FILE [FILE …]`: one table per set and their macro-average (or JSON); reports."""
    settings = Settings().with_(model=getattr(args, "model", None))
    if args.max_q is not None and args.max_q < 1:
        raise ValueError(f"--max-q doit être au moins 1 (reçu : {args.max_q}).")
    files = [Path(f) for f in args.file] if isinstance(args.file, (list, tuple)) else [Path(args.file)]
    sets = [load_squad(f) for f in files]  # every file is checked before the first long run
    names = [d.name for d in sets]
    if len(set(names)) < len(names):
        raise ValueError(f"Deux fichiers portent le même nom ({', '.join(names)}) : renommez-en un, "
                         "les rapports seraient écrits au même endroit.")
    from . import embed

    encoder = embed.make_encoder(settings)  # the configured backend, loaded once for all sets
    results = []
    for f, data in zip(files, sets):
        print(f"Indexation de {len(data.paragraphs)} paragraphes de {f} …", file=sys.stderr)
        result = run_bench(data, settings, max_q=args.max_q, encoder=encoder, progress=None if args.json else
                           lambda i, n: print(f"\r  {i}/{n} questions", end="", file=sys.stderr, flush=True))
        if not args.json:
            print(file=sys.stderr)
        if args.report:
            folder = Path(args.report) if len(sets) == 1 else Path(args.report) / data.name
            written = write_report(result, folder)
            print(f"Rapport écrit : {', '.join(str(w) for w in written)}", file=sys.stderr)
        results.append(result)
    if args.json:
        out = results[0].to_dict() if len(results) == 1 else {
            "sets": [r.to_dict() for r in results], "macro": macro_average(results)}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for result in results:
        print(f"## {result.dataset['name']}")
        print(format_table(result))
        print()
        print("\n".join([*summary_lines(result), versus_single(result)]))
        print()
    if len(results) > 1:
        print(f"## moyenne des {len(results)} jeux (chaque jeu compte autant)")
        print(format_macro(results))
    return 0


def cmd_bench_scale(args) -> int:
    """`askjobs bench scale --sizes N …`: build, load and query synthetic indexes (see bench_scale.py)."""
    from .bench_scale import DEFAULT_PIAF, ScaleRunError, run_scale, table
    from .store import store_kind

    store = store_kind(args.store)
    if not args.sizes or any(n < 10 for n in args.sizes):
        raise ValueError(f"--sizes attend des nombres de passages d'au moins 10 (reçu : {args.sizes}).")
    if args.questions < 1:
        raise ValueError(f"--questions doit être au moins 1 (reçu : {args.questions}).")
    piaf = Path(args.piaf) if args.piaf else DEFAULT_PIAF
    if not piaf.is_file():
        raise FileNotFoundError(f"Fichier PIAF introuvable : {piaf} (option --piaf)")
    try:
        rows = run_scale(list(args.sizes), store, settings=Settings(), piaf=piaf, questions=args.questions,
                         keep=args.keep, progress=None if args.json else
                         lambda row: print(json.dumps(row, ensure_ascii=False), file=sys.stderr))
    except ScaleRunError as exc:
        print(f"askjobs : {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rows, ensure_ascii=False, indent=2) if args.json else table(rows))
    return 0
