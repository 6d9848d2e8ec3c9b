"""Query → ranked Hits: dense (FAISS), lexical (BM25, French), fused."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .index import Index
from .query import Query
from .schema import Hit
from .store import searcher_of


# Score fusion, fitted by eval/fit_fusion.py on four dev sets at once (PIAF dev, CNIL dev, the seed
# and the hard eval questions; values and held-out results in eval/fusion-fit.json, which a test
# compares with these). Each retriever's scores are put on a common scale per question: the dense
# and best-sentence cosines in units of the spread of the question's best scores (the geometric
# mean of their standard deviation and a fixed cosine unit: ALPHA = 0.5), BM25 in units of its own
# spread. A retriever whose best passages stand out for this question weighs more; one that scores
# every passage alike (e5 on two documents about the same subject) weighs little.
LEXICAL_WEIGHT = 1.5
SENTENCE_WEIGHT = 0.8
ALPHA = 0.5
COSINE_UNIT = 0.012  # a typical spread of e5-small cosines among a question's best passages
SPREAD_DEPTH = 100  # the best scores a spread is measured on
RANK_DECAY = 20  # a hit's score: RANK_DECAY / (RANK_DECAY + rank)


@dataclass(frozen=True)
class Ranking:
    """Scores of one retriever over the chunks it returned, best first."""

    ids: np.ndarray
    scores: np.ndarray


def dense_scores(index: Index, qvec: np.ndarray) -> np.ndarray:
    """Cosine of the query with every chunk (vectors are normalised)."""
    return index.chunk_vectors @ qvec.astype(np.float32) if len(index.chunks) else np.zeros(0, np.float32)


def lexical_scores(index: Index, terms: tuple[str, ...]) -> np.ndarray:
    """BM25 of every chunk over the question's analysed terms (0 when none is in the index)."""
    terms = [t for t in terms if t in index.bm25.vocab_dict] if len(index.chunks) else []
    return index.bm25.get_scores(terms).astype(np.float32) if terms else np.zeros(len(index.chunks), np.float32)


def sentence_scores(index: Index, qvec: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Each chunk's best sentence cosine (-inf for a chunk without sentences), for the chunks `rows`
    (None: every chunk): finds a passage on the strength of one sentence even when the rest of it is
    about something else. Only the sentences of those chunks are read and multiplied."""
    indptr, flat = chunk_sentence_table(index)
    rows = np.arange(len(indptr) - 1) if rows is None else np.asarray(rows, np.int64)
    best = np.full(len(rows), -np.inf, dtype=np.float32)
    if not len(rows) or not len(flat):
        return best
    lengths = indptr[rows + 1] - indptr[rows]
    has = np.flatnonzero(lengths)
    if not len(has):
        return best
    starts = np.concatenate([[0], np.cumsum(lengths[has])[:-1]]).astype(np.int64)
    # the sentence ids of every chunk of `rows`, laid end to end (no Python loop over chunks)
    offsets = np.arange(int(lengths[has].sum())) - np.repeat(starts, lengths[has])
    sids = flat[np.repeat(indptr[rows[has]], lengths[has]) + offsets]
    if 4 * len(sids) > len(index.sentence_vectors):  # most sentences: one product, no copy of their vectors
        sims = (np.asarray(index.sentence_vectors) @ qvec.astype(np.float32))[sids]
    else:  # the candidates' sentences only
        sims = np.asarray(index.sentence_vectors[sids], np.float32) @ qvec.astype(np.float32)
    best[has] = np.maximum.reduceat(sims, starts)  # max over each chunk's sentences
    return best


def chunk_sentence_table(index: Index) -> tuple[np.ndarray, np.ndarray]:
    """The sentence ids of every chunk as two arrays (CSR): chunk r holds flat[indptr[r]:indptr[r + 1]]."""
    table = getattr(index.chunk_sentences, "table", None)  # a loaded index keeps them as arrays already
    if table is not None:
        return table
    if "chunk_sentence_table" not in index.memo:
        lengths = np.fromiter((len(s) for s in index.chunk_sentences), np.int64, len(index.chunk_sentences))
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = np.fromiter((sid for s in index.chunk_sentences for sid in s), np.int64, int(indptr[-1]))
        index.memo["chunk_sentence_table"] = (indptr, flat)
    return index.memo["chunk_sentence_table"]


def top_rows(scores: np.ndarray, n: int, *, positive: bool = False) -> np.ndarray:
    """The rows of the n best scores and of every score tied with the n-th, ascending (only scores
    above 0 when `positive`, only finite ones otherwise): a candidate set that does not depend on how
    ties are broken."""
    keep = scores > 0 if positive else np.isfinite(scores)
    if n <= 0 or not keep.any():
        return np.zeros(0, np.int64)
    # The n-th best among the kept scores only: partitioning an array mostly of equal fillers (BM25's
    # zeros made -inf) took 16 ms at 10^5 passages, 10 × the rest of the lexical search.
    kept = scores[keep]
    threshold = kept.min() if len(kept) <= n else np.partition(kept, len(kept) - n)[len(kept) - n]
    return np.flatnonzero(keep & (scores >= threshold))


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest scores, best first, ties by index: what a stable sort would give,
    without sorting the whole corpus (argpartition is linear; at 10^6 passages 1 ms instead of 14)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, np.int64)
    if n < len(scores):
        kth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest score
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: n - len(above)]
        picked = np.concatenate([above, ties])
    else:
        picked = np.arange(len(scores))
    return picked[np.lexsort((picked, -scores[picked]))]


def top_ranking(scores: np.ndarray, n: int, *, positive: bool = False) -> Ranking:
    """The n best chunks by `scores` (only those scoring above 0 when `positive`), best first."""
    order = top_n(scores, n)
    keep = scores[order] > 0 if positive else np.isfinite(scores[order])
    return Ranking(order[keep], scores[order[keep]])


def dense_search(index: Index, qvec: np.ndarray, n: int) -> Ranking:
    return top_ranking(dense_scores(index, qvec), n)


def lexical_search(index: Index, terms: tuple[str, ...], n: int) -> Ranking:
    """Chunks ranked by BM25 over the question's analysed terms."""
    return top_ranking(lexical_scores(index, terms), n, positive=True)


def sentence_search(index: Index, qvec: np.ndarray, n: int) -> Ranking:
    return top_ranking(sentence_scores(index, qvec), n)


def spread(scores: np.ndarray, depth: int = SPREAD_DEPTH) -> float:
    """Standard deviation of the `depth` best finite scores: how far apart a question's candidates are."""
    finite = scores[np.isfinite(scores)]
    top = finite if len(finite) <= depth else np.partition(finite, len(finite) - depth)[-depth:]
    return max(float(top.std()), 1e-6) if len(top) else 1.0


def fuse(dense: np.ndarray, lexical: np.ndarray, sentence: np.ndarray, *, lexical_weight: float = LEXICAL_WEIGHT,
         sentence_weight: float = SENTENCE_WEIGHT, alpha: float = ALPHA) -> np.ndarray:
    """Fused score of every chunk: each retriever's scores in units of its spread for this question, weighted.

    Chunks without a sentence (-inf) get the lowest sentence score of the others, not -inf.
    """
    sentence = np.where(np.isfinite(sentence), sentence, np.min(sentence[np.isfinite(sentence)], initial=0.0))
    unit_d = spread(dense) ** alpha * COSINE_UNIT ** (1 - alpha)
    unit_s = spread(sentence) ** alpha * COSINE_UNIT ** (1 - alpha)
    return (dense / unit_d + lexical_weight * lexical / spread(lexical)
            + sentence_weight * sentence / unit_s).astype(np.float64)


@dataclass(frozen=True)
class Retrieval:
    """The passages found for a query, with each retriever's own ranking (for baselines and study)."""

    hits: tuple[Hit, ...]
    qvec: np.ndarray
    rankings: dict[str, Ranking] = field(default_factory=dict)  # "dense", "lexical", "sentence"
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage: "embed", "dense", "lexical", …

    def top(self, k: int) -> "Retrieval":
        """The same retrieval cut to its k best passages."""
        return replace(self, hits=self.hits[:k])


def retrieve(index: Index, query: Query, qvec: np.ndarray, k: int, *, candidates: int = 100) -> Retrieval:
    """The k best chunks for a query, fusing dense, BM25 and best-sentence scores.

    Each hit's `score` is RANK_DECAY / (RANK_DECAY + its fused rank): 1 for the best passage, then falling
    slowly, as with the reciprocal-rank fusion the reader was tuned on (a fused score's scale depends on
    the corpus; a rank does not).
    """
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + (now - t) * 1e3
        t = now

    searcher = searcher_of(index)  # the store's: FAISS + bm25s in memory, or Qdrant
    # The union of each retriever's best passages (at least the SPREAD_DEPTH scores fusion measures its
    # spreads on); None: every chunk is scored (a small index).
    rows = searcher.candidates(qvec, query.terms, max(candidates, SPREAD_DEPTH))
    lap("candidates")
    split = getattr(searcher, "candidate_ms", None)  # the FAISS store says what each retriever's search cost
    # (the laps below add the cost of reading the candidates' scores)
    for name, ms in (split() if split is not None else {}).items():
        timings[name] = ms
        timings["candidates"] -= ms
    dense = searcher.dense(qvec, rows)
    lap("dense")
    lexical = searcher.lexical(query.terms, rows)
    lap("lexical")
    sentence = searcher.sentences(qvec, rows)
    lap("sentence")
    ids = np.arange(len(index.chunks)) if rows is None else rows  # chunk row of each score, ascending
    hits: tuple[Hit, ...] = ()
    if len(ids):
        best = top_n(fuse(dense, lexical, sentence), k)
        hits = tuple(
            Hit(index.chunks[ids[i]], RANK_DECAY / (RANK_DECAY + rank), int(ids[i]), float(dense[i]),
                float(lexical[i]) if lexical[i] > 0 else None, int((dense > dense[i]).sum()),
                int((lexical > lexical[i]).sum()) if lexical[i] > 0 else None)
            for rank, i in enumerate(best))
    lap("fuse")
    rankings = {"dense": top_ranking(dense, candidates), "lexical": top_ranking(lexical, candidates, positive=True),
                "sentence": top_ranking(sentence, candidates)}
    if rows is not None:  # positions among the candidates → chunk rows
        rankings = {name: Ranking(ids[r.ids], r.scores) for name, r in rankings.items()}
    return Retrieval(hits, qvec, rankings, timings)
