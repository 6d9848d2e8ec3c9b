"""Search latency of the score fusion against the reciprocal-rank fusion it replaced, in one run.

    python eval/fusion_latency.py [SET …]      # sets dumped by eval/fusion_study.py (their index is reused)

Both run on the same index and the same query vectors, question by question in alternation, so
that the load of a shared machine weighs on both alike. Only the retrieval step differs between
them (the query embedding, ~10-40 ms, is the same for both and left out).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from fusion_study import SCRATCH, load_set


def rrf_retrieve(index, terms, qvec, k: int, candidates: int = 100, rrf_k: int = 20) -> list[int]:
    """The previous retrieval: weighted RRF (1, 1.5, 1) of the top-100 of each ranking, as on main before."""
    from askjobs.retrieve import dense_search, lexical_search, sentence_search

    fused: dict[int, float] = {}
    for ranking, w in ((dense_search(index, qvec, candidates), 1.0), (lexical_search(index, terms, candidates), 1.5),
                       (sentence_search(index, qvec, candidates), 1.0)):
        for rank, cid in enumerate(ranking.ids):
            fused[int(cid)] = fused.get(int(cid), 0.0) + w / (rrf_k + rank + 1)
    return [c for c, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def main() -> None:
    from askjobs.index import load_index
    from askjobs.query import analyse_question
    from askjobs.retrieve import retrieve

    for name in sys.argv[1:] or ["cnil-dev", "piaf-dev"]:
        study = load_set(name, 320)
        index = load_index(SCRATCH / name / "index-unglue-320")
        qvecs = np.load(SCRATCH / name / "queries.npy")
        queries = [analyse_question(q, index) for q in study.questions]
        times = {"rrf": [], "score": []}
        for i, (q, v) in enumerate(zip(queries, qvecs)):
            order = ("rrf", "score") if i % 2 else ("score", "rrf")
            for method in order:
                t0 = time.perf_counter()
                if method == "rrf":
                    rrf_retrieve(index, q.terms, v, 5)
                else:
                    retrieve(index, q, v, 5)
                times[method].append((time.perf_counter() - t0) * 1e3)
        print(f"{name} ({len(queries)} questions, {len(index.chunks)} passages, {len(index.sentences)} sentences): "
              + "  ".join(f"{m} p50 {np.percentile(t, 50):.2f} ms p95 {np.percentile(t, 95):.2f} ms"
                          for m, t in times.items()))


if __name__ == "__main__":
    main()
