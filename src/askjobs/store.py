"""Where an index lives: the storage seam between the pipeline and its vectors, texts and term statistics.

A `Store` keeps versions of an index and publishes a new one atomically; a loaded index
carries a `Searcher` that answers the three retrieval queries (dense passages, lexical
passages on askjobs' own French terms, passages by their best sentence). The retriever and
the reader only see these two interfaces, so they do not know which store they use.

Two stores exist: the FAISS + bm25s folder (`faiss`, the default, `index.py`) and Qdrant
(`qdrant`, `store_qdrant.py`), chosen with ASKJOBS_STORE.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, Protocol

import numpy as np

if TYPE_CHECKING:
    from .index import Index

STORES = ("faiss", "qdrant")


@dataclass(frozen=True)
class Ranking:
    """Scores of one retriever over the chunks it returned, best first (ids are chunk rows)."""

    ids: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> "Ranking":
        return Ranking(np.zeros(0, int), np.zeros(0, np.float32))


class Searcher(Protocol):
    """The three searches retrieval fuses, over one loaded index version."""

    def dense(self, qvec: np.ndarray, n: int) -> Ranking: ...

    def lexical(self, terms: tuple[str, ...], n: int) -> Ranking: ...

    def sentences(self, qvec: np.ndarray, n: int) -> Ranking: ...


class Store(Protocol):
    """Versions of one index: read the current one, build on it, publish a new one in one step."""

    kind: str  # "faiss" or "qdrant"

    def where(self) -> str:
        """Where the index lives, for messages ("dossier index/", "Qdrant http://…, collection …")."""
        ...

    def lock(self) -> ContextManager:
        """Held for one build; a second build at the same time fails at once (IndexLockedError)."""
        ...

    def current(self) -> str | None:
        """The name of the published version, None when nothing was built yet."""
        ...

    def read_manifest(self) -> dict | None:
        """The current version's manifest, checked for shape, without loading vectors."""
        ...

    def check(self, manifest: dict) -> None:
        """Cheap integrity check of the current version (raises IndexError_ naming the fix)."""
        ...

    def load(self, *, model_name: str | None = None, for_reuse: bool = False) -> "Index":
        """The current version with its searcher attached; damage raises IndexError_ with the fix."""
        ...

    def publish(self, index: "Index") -> str:
        """Write `index` as a new version and make it current atomically; returns its name."""
        ...


class FaissSearcher:
    """Exact search over the in-memory index: FAISS inner product, bm25s, numpy over sentence vectors."""

    def __init__(self, index: "Index"):
        self.index = index

    def dense(self, qvec: np.ndarray, n: int) -> Ranking:
        index = self.index
        if not len(index.chunks):
            return Ranking.empty()
        scores, ids = index.faiss.search(np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32),
                                         min(n, len(index.chunks)))
        keep = ids[0] >= 0  # FAISS pads with -1 when it has fewer results
        return Ranking(ids[0][keep], scores[0][keep])

    def lexical(self, terms: tuple[str, ...], n: int) -> Ranking:
        index = self.index
        terms = [t for t in terms if t in index.bm25.vocab_dict]
        if not terms or not len(index.chunks):
            return Ranking.empty()
        scores = index.bm25.get_scores(terms)
        order = np.argsort(-scores, kind="stable")[:n]
        order = order[scores[order] > 0]
        return Ranking(order, scores[order])

    def sentences(self, qvec: np.ndarray, n: int) -> Ranking:
        index = self.index
        if not len(index.sentences) or not len(index.chunks):
            return Ranking.empty()
        rows, flat, starts = chunk_sentence_layout(index)
        sims = index.sentence_vectors @ qvec.astype(np.float32)
        best = np.full(len(index.chunks), -np.inf, dtype=np.float32)
        if len(rows):
            best[rows] = np.maximum.reduceat(sims[flat], starts)  # max over each chunk's sentences
        order = np.argsort(-best, kind="stable")[:n]
        order = order[np.isfinite(best[order])]
        return Ranking(order, best[order])


def chunk_sentence_layout(index: "Index") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunks that hold sentences, their sentence ids laid end to end, and where each chunk's begin."""
    if "chunk_sentence_layout" not in index.memo:
        rows = [r for r, sids in enumerate(index.chunk_sentences) if sids]
        lengths = [len(index.chunk_sentences[r]) for r in rows]
        flat = [sid for r in rows for sid in index.chunk_sentences[r]]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if rows else np.zeros(0, np.int64)
        index.memo["chunk_sentence_layout"] = (np.array(rows, dtype=np.int64), np.array(flat, dtype=np.int64),
                                               starts)
    return index.memo["chunk_sentence_layout"]


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

    def current(self) -> str | None:
        from .index import current_version

        version = current_version(self.index_dir)
        return None if version is None else version.name

    def read_manifest(self) -> dict | None:
        from .index import read_manifest

        return read_manifest(self.index_dir)

    def check(self, manifest: dict) -> None:
        from .index import check_version_files, current_version

        check_version_files(current_version(self.index_dir), manifest)

    def load(self, *, model_name: str | None = None, for_reuse: bool = False) -> "Index":
        from .index import load_index

        return load_index(self.index_dir, model_name=model_name, for_reuse=for_reuse)

    def publish(self, index: "Index") -> str:
        from .index import save_index

        return save_index(index, self.index_dir).name


def store_kind(value: str | None = None) -> str:
    """The store named by ASKJOBS_STORE (default "faiss"); an unknown name is refused, never replaced."""
    kind = (value if value is not None else os.environ.get("ASKJOBS_STORE", "")).strip().lower() or "faiss"
    if kind not in STORES:
        raise ValueError(f"ASKJOBS_STORE={kind!r} n'est pas un stockage connu : choisissez "
                         f"{' ou '.join(STORES)} (faiss par défaut).")
    return kind


def open_store(index_dir: Path, kind: str | None = None) -> Store:
    """The store configured for this index: the FAISS folder, or Qdrant (ASKJOBS_QDRANT_URL)."""
    kind = store_kind(kind)
    if kind == "qdrant":
        from .store_qdrant import QdrantStore

        return QdrantStore.from_env(index_dir)
    return FaissStore(index_dir)
