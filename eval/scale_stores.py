"""Capacity of each store at growing sizes: memory, build time, retrieval latency, recall against exact search.

    python eval/scale_stores.py --sizes 10000 100000 --store faiss qdrant qdrant-edge [--queries 200] [--json]

Each (store, size) runs in its own process so memory is measured alone. The corpus is synthetic and
reproducible: N one-sentence passages of French words (for the BM25 side) with random unit vectors of
dimension 384 (e5-small's), the sentence vector being the passage's own, and queries that are noisy
copies of random passages. Real text would change the vectors, not the costs measured here.
`qdrant` is qdrant-client's local mode in memory (":memory:"), a Python re-implementation with
exact brute-force search: its recall is 1.0 by construction and its latency and memory are those of
that re-implementation. `qdrant-edge` is Qdrant's own Rust engine in process (qdrant-edge-py,
ASKJOBS_QDRANT_URL=edge:<folder>): HNSW (m=16, ef_construct=128), int8 scalar quantisation with
rescoring, the IDF modifier, built by its optimiser before publishing; the same store code drives both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from askjobs.bench_scale import rss_mb

WORDS = ("emploi salaire compétence métier formation entreprise recrutement télétravail données secteur région "
         "contrat ingénieur technicien cadre apprentissage automatisation intelligence artificielle étude enquête "
         "hausse baisse industrie santé commerce numérique robot algorithme modèle prime bonus recruteur "
         "analyste développeur chercheur université stage alternance diplôme carrière mobilité "
         "rémunération avantage congé horaire bureau équipe projet client produit service marché").split()
DIM = 384


def synthetic_index(n: int, seed: int = 0):
    import askjobs.index
    from askjobs.index import build_index

    # The reader's named entities (spaCy, ~20 ms a sentence here) are not what is measured: none are found.
    askjobs.index._entities_reusing = lambda sentences, reuse, docs: [() for _ in sentences]
    from askjobs.schema import Document

    rng = np.random.default_rng(seed)
    vocab = WORDS + [f"{w}{i}" for i in range(200) for w in ("projet", "ville", "groupe")]
    docs = []
    for i in range(n):
        words = rng.choice(len(vocab), size=int(rng.integers(8, 20)))
        docs.append(Document(f"d{i:07d}.txt", f"Document {i}",
                             f"Le {' '.join(vocab[j] for j in words)} progresse de {i % 97} %."))
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    by_text: dict[str, np.ndarray] = {}
    from askjobs.index import passage_text
    from askjobs.schema import Chunk, stable_id

    chunks = [Chunk(stable_id(d.source, 0), d.source, 0, len(d.text), d.text) for d in docs]
    for d, c, v in zip(docs, chunks, vectors):
        by_text[passage_text(d, c)] = v
        by_text[d.text] = v  # the one sentence of the passage

    def encode(texts):
        out = []
        for t in texts:
            v = by_text.get(t)
            if v is None:  # a text the glued-word splitter changed: any fixed unit vector will do
                v = np.random.default_rng(len(t)).standard_normal(DIM).astype(np.float32)
                v /= np.linalg.norm(v)
            out.append(v)
        return np.stack(out)

    model = {"name": "synthetic", "dim": DIM, "fingerprint": "synthetic"}
    index = build_index(docs, chunks, encode, model=model, chunking={"synthetic": True})
    return index, vectors


def run_one(store: str, n: int, queries: int) -> dict:
    from askjobs.query import analyse_question
    from askjobs.retrieve import retrieve
    from askjobs.store import open_store

    base = rss_mb()
    t0 = time.perf_counter()
    index, vectors = synthetic_index(n)
    t_index = time.perf_counter() - t0
    folder = Path(tempfile.mkdtemp(prefix=f"scale-{store}-"))
    if store == "qdrant":
        os.environ["ASKJOBS_QDRANT_URL"] = ":memory:"
    if store == "qdrant-edge":
        os.environ["ASKJOBS_QDRANT_URL"] = f"edge:{folder / 'edge'}"
    target = open_store(folder, "qdrant" if store.startswith("qdrant") else store)
    t1 = time.perf_counter()
    target.publish(index)
    t_publish = time.perf_counter() - t1
    del index
    import gc

    gc.collect()
    t2 = time.perf_counter()
    loaded = target.load()
    t_load = time.perf_counter() - t2
    memory = rss_mb() - base
    indexed = None
    if store == "qdrant-edge":  # proof that HNSW was built: vectors in indexed (non-plain) segments
        indexed = target.client._shard(str(target.current())).info().indexed_vectors_count
    rng = np.random.default_rng(1)
    picks = rng.choice(n, size=queries, replace=False)
    latencies, recall, first = [], [], []
    for p in picks:
        q = vectors[p] + 0.5 * rng.standard_normal(DIM).astype(np.float32) / np.sqrt(DIM)
        q /= np.linalg.norm(q)
        truth = set(np.argsort(-(vectors @ q), kind="stable")[:10].tolist())  # exact search
        query = analyse_question(" ".join(loaded.chunks[int(p)].text.split()[:6]), loaded)
        t = time.perf_counter()
        found = retrieve(loaded, query, q, 5)  # candidates, the three scores, fusion
        latencies.append((time.perf_counter() - t) * 1e3)
        dense = found.rankings["dense"].ids[:10].tolist()
        recall.append(len(truth & set(dense)) / 10)
        first.append(bool(dense) and dense[0] == int(p))  # the passage the query was made from
    return {"store": store, "passages": n, "rss_mb": round(memory, 1), "analyse_embed_s": round(t_index, 1),
            "publish_s": round(t_publish, 1), "load_s": round(t_load, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "recall@10": round(float(np.mean(recall)), 3), "source@1": round(float(np.mean(first)), 3),
            "queries": queries, "disk_mb": round(_du(folder) / 2**20, 1), "hnsw_indexed": indexed}


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--store", nargs="+", default=["faiss", "qdrant"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.store[0], args.sizes[0], args.queries)))
        return 0
    rows = []
    for n in args.sizes:
        for store in args.store:
            out = subprocess.run([sys.executable, __file__, "--one", "--store", store, "--sizes", str(n),
                                  "--queries", str(args.queries)], capture_output=True, text=True)
            if out.returncode:
                print(f"{store} {n}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    cols = ["store", "passages", "queries", "rss_mb", "disk_mb", "analyse_embed_s", "publish_s", "load_s", "p50_ms",
            "p95_ms", "recall@10", "source@1"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
