"""Where an index lives: the storage seam between the pipeline and its vectors, texts and term statistics.

A `Store` keeps versions of an index and publishes a new one atomically; a loaded index
answers the three retrieval queries through a `Searcher` (dense passages, lexical passages on
askjobs' own French terms, passages by their best sentence). The retriever and the reader only
see an `Index` and its searcher, so they do not know which store they use.

Two stores exist: the FAISS + bm25s folder (`faiss`, the default: `index.py`, searched in memory
by `FaissSearcher`) and Qdrant (`qdrant`: `store_qdrant.py`), chosen with ASKJOBS_STORE.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, Protocol

import numpy as np

if TYPE_CHECKING:
    from .index import Index

STORES = ("faiss", "qdrant")


class Searcher(Protocol):
    """The scores retrieval fuses, over one loaded index version.

    `candidates` names the chunk rows worth scoring (ascending), or None when every chunk is scored
    (the in-memory store); the three scorers then return one score per candidate: the dense cosine,
    BM25 on askjobs' own French terms (0 without a shared term), and the best sentence's cosine
    (-inf for a chunk without sentences).
    """

    def candidates(self, qvec: np.ndarray, terms: tuple[str, ...], n: int) -> np.ndarray | None: ...

    def dense(self, qvec: np.ndarray, rows: np.ndarray | None) -> np.ndarray: ...

    def lexical(self, terms: tuple[str, ...], rows: np.ndarray | None) -> np.ndarray: ...

    def sentences(self, qvec: np.ndarray, rows: np.ndarray | None) -> np.ndarray: ...


class Store(Protocol):
    """Versions of one index: read the current one, build on it, publish a new one in one step."""

    kind: str  # "faiss" or "qdrant"

    def where(self) -> str:
        """Where the index lives, for messages."""
        ...

    def lock(self) -> ContextManager:
        """Held for one build; a second build at the same time fails at once (IndexLockedError)."""
        ...

    def current(self) -> Path | None:
        """The published version (its folder, or a path naming its collection), None before any build."""
        ...

    def read_manifest(self) -> dict | None:
        """The current version's manifest, checked for shape, without loading vectors."""
        ...

    def verified_manifest(self) -> dict | None:
        """The current manifest after checking that the version is whole (raises IndexError_ on damage)."""
        ...

    def reusable(self) -> "Index | None":
        """What a build may keep of the current version (documents, chunks, vectors), never raising."""
        ...

    def load(self, *, model_name: str | None = None) -> "Index":
        """The current version, ready to search; damage or a mismatch raises IndexError_ with the fix."""
        ...

    def publish(self, index: "Index") -> Path:
        """Write `index` as a new version and make it current atomically."""
        ...


class FaissStore:
    """The index folder: versions/<name>/ with FAISS, bm25s and JSON files, CURRENT pointing at one."""

    kind = "faiss"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def where(self) -> str:
        return f"dossier {self.index_dir}"

    def lock(self) -> ContextManager:
        from .index import index_lock

        return index_lock(self.index_dir)

    def current(self) -> Path | None:
        from .index import current_version

        return current_version(self.index_dir)

    def read_manifest(self) -> dict | None:
        from .index import read_manifest

        return read_manifest(self.index_dir)

    def verified_manifest(self) -> dict | None:
        from .index import check_version_files, current_version, read_manifest, verify_version

        manifest = read_manifest(self.index_dir)
        if manifest is None:
            return None
        version = current_version(self.index_dir)
        verify_version(version, manifest)
        check_version_files(version, manifest)
        return manifest

    def reusable(self) -> "Index | None":
        from .index import load_reusable

        return load_reusable(self.index_dir)

    def load(self, *, model_name: str | None = None) -> "Index":
        from .index import load_index

        return load_index(self.index_dir, model_name=model_name)

    def publish(self, index: "Index") -> Path:
        from .index import save_index

        return save_index(index, self.index_dir)


ALL_SENTENCES_MAX = 20_000  # up to this many sentences, every one is scored (≈ 2 ms; see FaissSearcher)


class FaissSearcher:
    """The default store's scores, in memory: candidates first, then exact scores for those only.

    The candidates are the union of the `n` best passages by dense cosine and by BM25 (every passage
    tied with the n-th kept). Fusion measures each retriever's spread on its 100 best scores, so with
    n ≥ 100 the dense and lexical spreads are those over every passage; the best-sentence cosines are
    computed for the candidates' sentences only, not for every sentence of the corpus. An index of at
    most `n` passages is scored whole. Up to ALL_SENTENCES_MAX sentences (one matrix product of a few
    milliseconds) every sentence is still scored and the n best passages by best sentence join the
    candidates, so fusion is exactly what it was; above, they do not (on PIAF dev, 400 questions, leaving
    them out changed the order inside 55 fused top-5 lists but no answer and no R@1 / R@5 / contains). Above index.APPROX_MIN_PASSAGES the dense candidates come from
    the approximate FAISS index, and their exact cosines from the stored vectors.
    """

    def __init__(self, index: "Index"):
        self.index = index
        self._last = threading.local()  # this thread's last candidate search: its full scores, its timings

    def candidates(self, qvec: np.ndarray, terms: tuple[str, ...], n: int) -> np.ndarray | None:
        from .index import is_exact
        from .retrieve import dense_scores, lexical_scores, sentence_scores, top_rows

        if len(self.index.chunks) <= n:
            self._last.found = None
            return None
        t0 = time.perf_counter()
        if is_exact(self.index.faiss):  # one matrix product: every passage's exact cosine
            dense = dense_scores(self.index, qvec)
            by_dense = top_rows(dense, n)
        else:  # the approximate index's n best; their exact cosines are computed below, for the candidates
            _, found = self.index.faiss.search(np.asarray(qvec, np.float32).reshape(1, -1), n)
            dense, by_dense = None, np.unique(found[0][found[0] >= 0])
        t1 = time.perf_counter()
        lexical = lexical_scores(self.index, terms)
        by_lexical = top_rows(lexical, n, positive=True)
        t2 = time.perf_counter()
        rows, sentence = np.union1d(by_dense, by_lexical), None
        if len(self.index.sentences) <= ALL_SENTENCES_MAX:  # cheap: the best-sentence retriever proposes too
            sentence = sentence_scores(self.index, qvec)
            rows = np.union1d(rows, top_rows(sentence, n))
        t3 = time.perf_counter()
        self._last.found = (qvec, terms, dense, lexical, sentence)
        self._last.ms = {"dense": (t1 - t0) * 1e3, "lexical": (t2 - t1) * 1e3, "sentence": (t3 - t2) * 1e3}
        return rows

    def candidate_ms(self) -> dict[str, float]:
        """How long the last candidate search of this thread took, per retriever."""
        return dict(getattr(self._last, "ms", None) or {})

    def _found(self, qvec: np.ndarray | None = None, terms: tuple[str, ...] | None = None):
        found = getattr(self._last, "found", None)
        if found is None or (qvec is not None and found[0] is not qvec) or (terms is not None and found[1] != terms):
            return None
        return found

    def dense(self, qvec: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        from .retrieve import dense_scores

        found = self._found(qvec=qvec)
        if found is not None and found[2] is not None:
            return found[2] if rows is None else found[2][rows]
        if rows is None:
            return dense_scores(self.index, qvec)
        return np.asarray(self.index.chunk_vectors[rows], np.float32) @ np.asarray(qvec, np.float32)

    def lexical(self, terms: tuple[str, ...], rows: np.ndarray | None) -> np.ndarray:
        from .retrieve import lexical_scores

        found = self._found(terms=terms)
        scores = found[3] if found is not None else lexical_scores(self.index, terms)
        return scores if rows is None else scores[rows]

    def sentences(self, qvec: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        from .retrieve import sentence_scores

        found = self._found(qvec=qvec)
        if found is not None and found[4] is not None:
            return found[4] if rows is None else found[4][rows]
        return sentence_scores(self.index, qvec, rows)


def store_kind(value: str | None = None) -> str:
    """The store named by ASKJOBS_STORE (default "faiss"); an unknown name is refused, never replaced."""
    kind = (value if value is not None else os.environ.get("ASKJOBS_STORE", "")).strip().lower() or "faiss"
    if kind not in STORES:
        raise ValueError(f"ASKJOBS_STORE={kind!r} n'est pas un stockage connu : choisissez "
                         f"{' ou '.join(STORES)} (faiss par défaut).")
    return kind


def open_store(index_dir: Path, kind: str | None = None) -> Store:
    """The store configured for this index: the FAISS folder, or Qdrant (ASKJOBS_QDRANT_URL)."""
    if store_kind(kind) == "qdrant":
        from .store_qdrant import QdrantStore

        return QdrantStore.from_env(index_dir)
    return FaissStore(index_dir)


def searcher_of(index: "Index") -> Searcher:
    """The searcher of a loaded index: the one its store attached, else FAISS + bm25s in memory."""
    return index.cached(("searcher",), lambda: FaissSearcher(index))


def attach_searcher(index: "Index", searcher: Searcher) -> None:
    index.memo[("searcher",)] = searcher
