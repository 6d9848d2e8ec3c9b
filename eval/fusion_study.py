"""Offline study of askjobs' retrieval: build each dev set's index once, dump every question's
dense / BM25 / best-sentence scores over all passages, then compare fusions in seconds.

    python eval/fusion_study.py dump [--sets piaf-dev cnil-dev seeds] [--variant base]
    python eval/fusion_study.py table [--variant base]

Indexes, vectors and score matrices are cached under eval/reports/fusion/scratch/ (git-ignored).
A variant names what is embedded, analysed and how documents are cut into passages; `kindW-sS` in its
name keeps a document of at most W tokens whole and cuts a longer one with headings into sections of at
most S tokens (s0: no sections; `unglue-kind480-s0` is what askjobs indexes now — dumps named `unglue`
alone were made before short documents were kept whole).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "eval" / "reports" / "fusion" / "scratch"
BENCH = ROOT.parent / "shared" / "bench"
SETS = {
    "piaf-dev": BENCH / "piaf-dev.json",
    "cnil-dev": BENCH / "cnil-dev.json",
    "seeds": ROOT / "eval" / "questions.jsonl",
    "hard": ROOT / "eval" / "questions-hard.jsonl",
}


# --- Loading a set as documents + questions -----------------------------------------

@dataclass
class StudySet:
    name: str
    corpus: Path
    questions: list[str]
    gold: list[str]  # gold document source of each question ("a|b": any of them)


def load_set(name: str, chunk_tokens: int) -> StudySet:
    from askjobs.bench import load_squad, write_corpus

    path = SETS[name]
    if path.suffix == ".jsonl":
        from askjobs.evaluate import load_questions

        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = {r["id"]: r for r in rows}
        qs = [q for q in load_questions(path) if q.answerable and q.source]
        # A question whose answer is spread over several documents is right with any of them.
        golds = ["|".join(rows[q.id].get("sources") or [q.source]) for q in qs]
        return StudySet(name, ROOT / "corpus", [q.question for q in qs], golds)
    data = load_squad(path)
    corpus = SCRATCH / name / "corpus"
    if not corpus.is_dir():
        write_corpus(data.paragraphs, corpus)
    return StudySet(name, corpus, [q.question for q in data.questions], [q.source for q in data.questions])


def settings_for(study: StudySet, variant: str, chunk_tokens: int):
    from askjobs.config import Settings

    return Settings().with_(corpus_dir=study.corpus, index_dir=SCRATCH / study.name / f"index-{variant}-{chunk_tokens}",
                            chunk_tokens=chunk_tokens)


# --- Dumping score matrices ---------------------------------------------------------

def _patch_passage_text(variant: str) -> None:
    """Variants of what is embedded for a passage: `notitle` (its text only), `heading` (with the
    document title, the section heading above it)."""
    from askjobs import index as index_module
    from askjobs.text import is_heading, unglue

    if "notitle" in variant:
        index_module.passage_text = lambda doc, chunk: unglue(chunk.text)
    elif "heading" in variant:
        def with_heading(doc, chunk):
            lines = doc.text[:chunk.start].rstrip("\n").split("\n")
            heading = next((ln.strip() for ln in reversed(lines) if ln.strip() and is_heading(ln)
                            and ln.strip() != doc.title), None)
            head = "\n".join(h for h in (doc.title, heading) if h and not chunk.text.startswith(h))
            return unglue(f"{head}\n{chunk.text}" if head else chunk.text)
        index_module.passage_text = with_heading


def _patch_chunking(variant: str) -> None:
    """Variants of the passage size by kind of document: `kindW-sS` keeps a document of at most W
    tokens whole and cuts a longer one with headings into sections of at most S tokens."""
    import functools
    import re

    from askjobs import chunking, pipeline

    m = re.search(r"kind(\d+)-s(\d+)", variant)
    if m:
        pipeline.chunk_document = functools.partial(chunking.chunk_document, whole_tokens=int(m.group(1)),
                                                    section_tokens=int(m.group(2)))


def dump(name: str, variant: str, chunk_tokens: int, encoder) -> Path:
    """Score every question against every passage with the three retrievers; cache as .npz."""
    from askjobs.pipeline import AskJobs
    from askjobs.text import analyze

    _patch_passage_text(variant)
    _patch_chunking(variant)

    out = SCRATCH / name / f"scores-{variant}-{chunk_tokens}.npz"
    if out.exists():
        return out
    study = load_set(name, chunk_tokens)
    app = AskJobs(settings_for(study, variant, chunk_tokens), encoder)
    t0 = time.perf_counter()
    report = app.build()
    print(f"[{name}] index {report.documents} docs {report.chunks} chunks {report.sentences} sentences "
          f"({time.perf_counter() - t0:.0f} s, embedded {report.embedded})", file=sys.stderr)
    index = app.index
    qvecs = cached_query_vectors(SCRATCH / name / "queries.npy", encoder, study.questions)
    dense = qvecs @ index.chunk_vectors.T
    sims = qvecs @ index.sentence_vectors.T
    sent = np.full_like(dense, -1.0)
    for row, sids in enumerate(index.chunk_sentences):
        if sids:
            sent[:, row] = sims[:, sids].max(axis=1)
    lex = np.zeros_like(dense)
    idf_sum = np.zeros(len(study.questions), np.float32)
    nterms = np.zeros(len(study.questions), np.float32)
    for i, q in enumerate(study.questions):
        terms = [t for t in analyze(q) if t in index.bm25.vocab_dict]
        nterms[i] = len(dict.fromkeys(analyze(q)))
        if terms:
            lex[i] = index.bm25.get_scores(terms)
            idf_sum[i] = sum(index.idf(t) for t in dict.fromkeys(terms))
    sources = [c.source for c in index.chunks]
    doc_ids = {s: j for j, s in enumerate(dict.fromkeys(sources))}
    np.savez_compressed(out, dense=dense.astype(np.float32), lex=lex.astype(np.float32), sent=sent.astype(np.float32),
                        chunk_doc=np.array([doc_ids[s] for s in sources]),
                        gold=np.array([doc_ids.get(g.split("|")[0], -1) for g in study.gold]),
                        gold_mask=np.array([[s in g.split("|") for s in doc_ids] for g in study.gold]),
                        idf_sum=idf_sum, nterms=nterms,
                        qlen=np.array([len(q.split()) for q in study.questions]))
    (SCRATCH / name / f"questions-{variant}-{chunk_tokens}.json").write_text(
        json.dumps({"questions": study.questions, "gold": study.gold, "docs": list(doc_ids)}, ensure_ascii=False),
        encoding="utf-8")
    return out


# --- Fusions -------------------------------------------------------------------------

def ranks_of(scores: np.ndarray, depth: int) -> np.ndarray:
    """Rank (0 = best) of each passage per question; passages past `depth` or scoring nothing get inf."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order, dtype=np.float64)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(scores.shape[1])[None, :]
    ranks[ranks >= depth] = np.inf
    return ranks


def rrf(d: dict, weights=(1.0, 1.5, 1.0), k: float = 20, depth: int = 100) -> np.ndarray:
    lex_ranks = ranks_of(d["lex"], depth)
    lex_ranks[d["lex"] <= 0] = np.inf
    out = np.zeros_like(d["dense"], dtype=np.float64)
    for w, r in zip(weights, (ranks_of(d["dense"], depth), lex_ranks, ranks_of(d["sent"], depth))):
        out += w / (k + r + 1)
    return out


def doc_recall(d: dict, fused: np.ndarray, ks=(1, 5)) -> dict:
    """Document-level R@k: a document ranks by its best passage; ties count against the gold document."""
    ndoc = int(d["chunk_doc"].max()) + 1
    doc = np.full((fused.shape[0], ndoc), -np.inf)
    for j in range(ndoc):
        cols = np.flatnonzero(d["chunk_doc"] == j)
        doc[:, j] = fused[:, cols].max(axis=1)
    mask = gold_mask(d)
    ok = mask.any(axis=1)
    g = np.where(mask, doc, -np.inf).max(axis=1)
    rank = ((doc >= g[:, None]) & ~mask).sum(axis=1)
    out = {f"R@{k}": float(np.mean((rank < k)[ok])) for k in ks}
    out["MRR@10"] = float(np.mean(np.where(rank < 10, 1 / (rank + 1), 0)[ok]))
    # `askjobs eval`'s hit@5 looks at the documents of the 5 best passages (one document may fill them).
    top5 = np.argsort(-fused, axis=1, kind="stable")[:, :5]
    out["hit@5p"] = float(np.mean(np.take_along_axis(mask, d["chunk_doc"][top5], axis=1).any(axis=1)[ok]))
    return out


def gold_mask(d: dict) -> np.ndarray:
    """(questions × documents): which documents answer each question."""
    if "gold_mask" in d:
        return d["gold_mask"]
    ndoc = int(d["chunk_doc"].max()) + 1
    return d["gold"][:, None] == np.arange(ndoc)[None, :]


def load_scores(name: str, variant: str, chunk_tokens: int) -> dict:
    return dict(np.load(SCRATCH / name / f"scores-{variant}-{chunk_tokens}.npz"))


def table(names: list[str], variant: str, chunk_tokens: int) -> None:
    methods = {
        "bm25": lambda d: np.where(d["lex"] > 0, d["lex"], -np.inf),
        "dense": lambda d: d["dense"],
        "sentence": lambda d: d["sent"],
        "rrf 1/1.5/1 k20 (now)": lambda d: rrf(d),
    }
    for name in names:
        d = load_scores(name, variant, chunk_tokens)
        print(f"## {name} ({len(d['gold'])} q, variant {variant}, {chunk_tokens} tokens)")
        for m, f in methods.items():
            r = doc_recall(d, f(d))
            print(f"  {m:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in r.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["dump", "table"])
    ap.add_argument("--sets", nargs="+", default=["piaf-dev", "cnil-dev", "seeds", "hard"])
    ap.add_argument("--variant", default="base")
    ap.add_argument("--chunk-tokens", type=int, default=320)
    args = ap.parse_args()
    if args.what == "dump":
        from askjobs.config import Settings
        from askjobs.embed import make_encoder

        encoder = make_encoder(Settings())
        for name in args.sets:
            dump(name, args.variant, args.chunk_tokens, encoder)
    table(args.sets, args.variant, args.chunk_tokens)


def cached_query_vectors(path: Path, encoder, questions: list[str]) -> np.ndarray:
    """The questions' vectors, encoded once and kept in `path` for later runs."""
    if path.exists():
        return np.load(path)
    qvecs = encoder.encode_queries(questions)
    np.save(path, qvecs)
    return qvecs


if __name__ == "__main__":
    main()
