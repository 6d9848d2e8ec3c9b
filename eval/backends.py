"""Compare encoder backends side by side: query latency, passage throughput, dense retrieval quality.

    python eval/backends.py ../shared/bench/piaf-dev.json ../shared/bench/cnil-dev.json [--max-q N]

Each SQuAD file's paragraphs are chunked once (the same chunks for every backend), then every
backend encodes all passages (passages/s) and all questions (quality: dense-only retrieval, the gold
paragraph at rank 1 / within the top 5 documents). Latency: --latency-q questions encoded one at a
time, the backends taking turns question by question so that a busy machine slows them all alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from askjobs.bench import load_squad, spread, write_corpus
from askjobs.chunking import chunk_document, make_splitter
from askjobs.config import Settings
from askjobs.embed import BACKENDS, make_encoder
from askjobs.index import passage_text
from askjobs.ingest import load_corpus


def chunk_set(path: Path, settings: Settings, count_tokens) -> tuple[list[str], list[str], list]:
    data = load_squad(path)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(data.paragraphs, Path(tmp))
        docs, _ = load_corpus(Path(tmp))
    splitter = make_splitter(settings.chunk_tokens, settings.chunk_overlap, count_tokens)
    by_source = {d.source: d for d in docs}
    chunks = [c for d in docs for c in chunk_document(d, splitter)]
    return [passage_text(by_source[c.source], c) for c in chunks], [c.source for c in chunks], data


def recall(qvecs: np.ndarray, pvecs: np.ndarray, sources: list[str], gold: list[str]) -> dict:
    scores = qvecs @ pvecs.T
    r1 = r5 = 0
    for i, row in enumerate(scores):
        ranked: list[str] = []
        for j in np.argsort(-row, kind="stable"):
            if sources[j] not in ranked:
                ranked.append(sources[j])
            if len(ranked) == 5:
                break
        r1 += ranked[0] == gold[i]
        r5 += gold[i] in ranked
    return {"R@1": round(r1 / len(gold), 4), "R@5": round(r5 / len(gold), 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--max-q", type=int, default=None, help="questions per file for quality (default: all)")
    ap.add_argument("--latency-q", type=int, default=200, help="questions per file timed one at a time")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    base = Settings()
    names = args.backends.split(",")
    encoders = {b: make_encoder(base.with_(backend=b)) for b in names}
    load = {}
    for b, enc in encoders.items():
        t0 = time.perf_counter()
        enc.encode_queries(["Quelle heure est-il ?"])  # load and warm up
        load[b] = time.perf_counter() - t0
    counter = encoders[names[0]].count_tokens
    results: dict = {"machine_cpus": __import__("os").cpu_count(), "load_s": load, "sets": {}}
    latency = {b: [] for b in names}
    throughput = {b: [0, 0.0] for b in names}
    for path in args.files:
        texts, sources, data = chunk_set(path, base, counter)
        questions = spread(data.questions, args.max_q)
        print(f"{path.name}: {len(texts)} passages, {len(questions)} questions", file=sys.stderr)
        pvecs = {}
        for b, enc in encoders.items():
            t0 = time.perf_counter()
            pvecs[b] = enc.encode_passages(texts)
            dt = time.perf_counter() - t0
            throughput[b][0] += len(texts)
            throughput[b][1] += dt
            print(f"  {b}: {len(texts) / dt:.1f} passages/s", file=sys.stderr)
        qvecs = {b: enc.encode_queries([q.question for q in questions]) for b, enc in encoders.items()}
        for i, q in enumerate(spread(questions, args.latency_q)):
            order = names if i % 2 == 0 else names[::-1]  # alternate who goes first
            for b in order:
                t0 = time.perf_counter()
                encoders[b].encode_queries([q.question])
                latency[b].append((time.perf_counter() - t0) * 1e3)
        gold = [q.source for q in questions]
        results["sets"][path.name] = {
            "passages": len(texts), "questions": len(questions),
            "quality": {b: recall(qvecs[b], pvecs[b], sources, gold) for b in names},
            "cosine_to_first": {b: round(float(np.mean(np.sum(pvecs[b] * pvecs[names[0]], axis=1))), 5)
                                for b in names},
        }
    results["speed"] = {b: {"query_p50_ms": round(float(np.percentile(latency[b], 50)), 2),
                            "query_p95_ms": round(float(np.percentile(latency[b], 95)), 2),
                            "passages_per_s": round(throughput[b][0] / throughput[b][1], 1)} for b in names}
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    sets = list(results["sets"])
    head = "| backend | query p50 / p95 (ms) | passages/s | " + " | ".join(
        f"{s} R@1 | {s} R@5" for s in sets) + " |"
    print(head)
    print("|" + "---|" * (3 + 2 * len(sets)))
    for b in names:
        sp = results["speed"][b]
        q = " | ".join(f"{results['sets'][s]['quality'][b]['R@1']:.3f} | {results['sets'][s]['quality'][b]['R@5']:.3f}"
                       for s in sets)
        print(f"| {b} | {sp['query_p50_ms']:.1f} / {sp['query_p95_ms']:.1f} | {sp['passages_per_s']:.1f} | {q} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
