"""The Qdrant store: an index version is one Qdrant collection, the current one is named by an alias.

Layout of a version's collection (point id = 4 × number + kind):
- kind 0, one point: the manifest, the term statistics and the lexical vocabulary (written last:
  a collection without it is an interrupted build and is never published);
- kind 1: one point per document (source, title, date, pages, text), no vector;
- kind 2: one point per passage: named dense vector "passage" (HNSW, int8 scalar quantisation,
  originals kept on disk for rescoring), sparse vector "bm25" (askjobs' own French terms, BM25
  term-frequency weights; Qdrant applies the IDF with its IDF modifier), payload with source,
  document hash, title, date, offsets, page and the passage's sentence numbers;
- kind 3: one point per sentence: dense vector "sentence", offsets and the passages holding it.

The alias (ASKJOBS_QDRANT_COLLECTION, default "askjobs") plays the part of index/CURRENT: it is
switched to a new collection in one call. Every build writes a fresh collection (unchanged
documents keep their vectors, copied, not re-embedded), so no point is ever deleted from a
published collection: Qdrant's IDF is only wrong after deletions (qdrant/qdrant#6735), and a
collection without deletions has exact BM25 statistics. Fusion and the tie order are askjobs'
own, so answers match the FAISS store.

Location (ASKJOBS_QDRANT_URL): http(s)://host:6333 for a server (API key from
ASKJOBS_QDRANT_API_KEY or QDRANT_API_KEY), "edge:<folder>" for Qdrant's own engine in process
(qdrant-edge-py, see qdrant_edge.py; "edge:" alone is <index>/qdrant-edge), ":memory:" for tests, or
a local folder for qdrant-client's local mode (default: <index>/qdrant). Local mode is a Python
re-implementation of Qdrant's API with exact brute-force search, handy on one machine and for tests.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from .index import (ANALYZER, EMBEDDED_TEXT, ENTITIES, REBUILD_HINT, Index, IndexError_, check_manifest,
                    index_lock, passage_text)
from .schema import Chunk, Document, Sentence
from .store import attach_searcher
from .text import analyze

META, DOCUMENT, PASSAGE, SENTENCE = 0, 1, 2, 3
KINDS = {DOCUMENT: "document", PASSAGE: "passage", SENTENCE: "sentence"}
PLACEHOLDER = "\u2205"  # what index._build_bm25 gives a passage without terms, so row statistics agree
K1, B = 1.2, 0.75  # bm25s' settings in index._build_bm25
BATCH = 256
FALLBACK = "ou revenez au stockage local avec ASKJOBS_STORE=faiss"
EDGE = "edge:"  # ASKJOBS_QDRANT_URL=edge:<folder>: Qdrant's own engine in process (qdrant_edge.py)

_CLIENTS: dict[tuple, object] = {}  # one client per location and process: local mode locks its folder
_CLIENTS_LOCK = threading.Lock()


def point_id(kind: int, number: int) -> int:
    return 4 * number + kind


def bm25_weights(terms: list[str], avgdl: float) -> dict[str, float]:
    """BM25's term-frequency part for one passage (bm25s' formula); Qdrant multiplies it by the IDF."""
    counts = Counter(terms)
    norm = K1 * ((1 - B) + B * len(terms) / avgdl)
    return {t: tf / (norm + tf) for t, tf in counts.items()}


class QdrantStore:
    """Index versions kept in Qdrant, one collection each, published by switching an alias."""

    kind = "qdrant"

    def __init__(self, location: str, *, lock_dir: Path, alias: str = "askjobs", api_key: str | None = None,
                 shards: int = 1, replicas: int = 1, keep: int = 2, client=None):
        self.location = location
        self.alias = alias
        self.api_key = api_key
        self.lock_dir = Path(lock_dir)
        self.shards, self.replicas, self.keep = shards, replicas, keep
        self._client = client

    @classmethod
    def from_env(cls, index_dir: Path) -> "QdrantStore":
        index_dir = Path(index_dir)
        location = os.environ.get("ASKJOBS_QDRANT_URL") or str(index_dir / "qdrant")
        if location.strip() == EDGE:
            location = EDGE + str(index_dir / "qdrant-edge")
        api_key = os.environ.get("ASKJOBS_QDRANT_API_KEY") or os.environ.get("QDRANT_API_KEY")
        return cls(location, lock_dir=index_dir, alias=os.environ.get("ASKJOBS_QDRANT_COLLECTION", "askjobs"),
                   api_key=api_key, shards=_env_int("ASKJOBS_QDRANT_SHARDS", 1),
                   replicas=_env_int("ASKJOBS_QDRANT_REPLICAS", 1))

    @property
    def is_server(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    @property
    def is_edge(self) -> bool:
        return self.location.startswith(EDGE)

    @property
    def indexed(self) -> bool:
        """Qdrant's engine (a server, or edge in process): HNSW, int8 vectors and payload indexes exist."""
        return self.is_server or self.is_edge

    def where(self) -> str:
        return f"Qdrant {self.location} (alias {self.alias})"

    # --- connection ------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = _client_for(self.location, self.api_key, self.lock_dir)
        return self._client

    def _call(self, fn: Callable, *args, **kwargs):
        """Call the client; any failure becomes one French message naming the server and the fix."""
        try:
            return fn(*args, **kwargs)
        except IndexError_:
            raise
        except Exception as exc:
            raise _explain(exc, self) from exc

    # --- Store -------------------------------------------------------------------
    def lock(self):
        # Builds for one index are run from one machine: its index folder holds the lock.
        return index_lock(self.lock_dir)

    def _collection(self) -> str | None:
        client = self._call(lambda: self.client)
        for alias in self._call(client.get_aliases).aliases:
            if alias.alias_name == self.alias:
                return alias.collection_name
        return None

    def current(self) -> Path | None:
        """The collection the alias names (a Path, as the FAISS store's version folders)."""
        collection = self._collection()
        return None if collection is None else Path(collection)

    def read_manifest(self) -> dict | None:
        collection = self._collection()
        return None if collection is None else self._meta(collection)["manifest"]

    def _meta(self, collection: str) -> dict:
        points = self._call(self.client.retrieve, collection, [point_id(META, 0)], with_payload=True)
        if not points:
            raise IndexError_(f"La collection Qdrant {collection} n'a pas de manifeste : sa construction a été "
                              f"interrompue ou elle a été modifiée. {REBUILD_HINT}")
        payload = points[0].payload or {}
        check_manifest(payload.get("manifest"), Path(collection))
        for key, kind in (("term_df", dict), ("vocab", list), ("avgdl", float)):
            if not isinstance(payload.get(key), kind):
                raise IndexError_(f"Le manifeste de la collection Qdrant {collection} est invalide : "
                                  f"« {key} » manque. {REBUILD_HINT}")
        return payload

    def verified_manifest(self) -> dict | None:
        collection = self._collection()
        if collection is None:
            return None
        manifest = self._meta(collection)["manifest"]
        self._check(collection, manifest)
        return manifest

    def reusable(self) -> Index | None:
        try:
            collection = self._collection()
            if collection is None:
                return None
            meta = self._meta(collection)
            self._check(collection, meta["manifest"])
            return self._load(collection, meta, for_reuse=True)
        except Exception:  # a build then embeds everything again: nothing here can be trusted
            return None

    def _check(self, collection: str, manifest: dict) -> None:
        counts = self._counts(collection)
        expected = {"document": len(manifest["documents"]), "passage": manifest["counts"]["chunks"],
                    "sentence": manifest["counts"]["sentences"]}
        for kind, n in expected.items():
            if counts[kind] != n:
                raise IndexError_(f"La collection Qdrant {collection} contient {counts[kind]} points « {kind} », "
                                  f"son manifeste en annonce {n}. {REBUILD_HINT}")

    def _counts(self, collection: str) -> dict[str, int]:
        from qdrant_client import models as m

        return {name: self._call(self.client.count, collection, exact=True, count_filter=m.Filter(
            must=[m.FieldCondition(key="kind", match=m.MatchValue(value=name))])).count
            for name in KINDS.values()}

    def load(self, *, model_name: str | None = None) -> Index:
        collection = self._collection()
        if collection is None:
            raise IndexError_(f"Aucun index trouvé dans {self.where()}. Lancez `askjobs index` pour le construire.")
        meta = self._meta(collection)
        manifest = meta["manifest"]
        check_loadable(manifest, model_name)
        self._check(collection, manifest)
        try:
            index = self._load(collection, meta, for_reuse=False)
        except IndexError_:
            raise
        except Exception as exc:
            raise IndexError_(f"La collection Qdrant {collection} est endommagée ou incomplète "
                              f"({type(exc).__name__}: {str(exc)[:200]}). {REBUILD_HINT}") from exc
        return index

    def _load(self, collection: str, meta: dict, for_reuse: bool) -> Index:
        manifest = meta["manifest"]
        dim = int(manifest["model"]["dim"])
        rows: dict[int, dict[int, dict]] = {DOCUMENT: {}, PASSAGE: {}, SENTENCE: {}}
        for point in self._scroll(collection):
            kind, number = point.id % 4, point.id // 4
            if kind in rows:
                rows[kind][number] = point.payload
        documents = [rows[DOCUMENT][i] for i in sorted(rows[DOCUMENT])]
        docs = {r["source"]: Document(r["source"], r["title"], r["text"], r.get("date"), tuple(r.get("pages") or ()),
                                      r.get("metadata") or {}) for r in documents}
        for entry in manifest["documents"]:
            if entry["source"] not in docs or docs[entry["source"]].hash != entry["hash"]:
                raise IndexError_(f"Le document {entry['source']!r} de la collection Qdrant {collection} ne "
                                  f"correspond pas au manifeste. {REBUILD_HINT}")
        passages = [rows[PASSAGE][i] for i in range(len(rows[PASSAGE]))]
        sentences_rows = [rows[SENTENCE][i] for i in range(len(rows[SENTENCE]))]
        chunks = [Chunk(r["chunk_id"], r["source"], r["start"], r["end"], docs[r["source"]].text[r["start"]:r["end"]])
                  for r in passages]
        sentences = [Sentence(r["source"], r["start"], r["end"], docs[r["source"]].text[r["start"]:r["end"]])
                     for r in sentences_rows]
        chunk_vectors = Vectors(self, collection, PASSAGE, "passage", len(chunks), dim)
        sentence_vectors = Vectors(self, collection, SENTENCE, "sentence", len(sentences), dim)
        if for_reuse:  # a build reads every vector of the unchanged documents: fetch them in bulk
            chunk_vectors, sentence_vectors = chunk_vectors.all(), sentence_vectors.all()
        # Named entities of each sentence, when the build recorded them (as index.py's entities.jsonl).
        entities = [tuple((int(a), int(b), str(label)) for a, b, label in r["entities"]) for r in sentences_rows] \
            if all("entities" in r for r in sentences_rows) and sentences_rows else None
        if entities is None and sentences_rows and not for_reuse:  # the manifest promised them (check_loadable)
            raise IndexError_(f"Les entités nommées des phrases manquent dans la collection Qdrant {collection}, "
                              f"alors que son manifeste les annonce. {REBUILD_HINT}")
        index = Index(manifest, docs, chunks, chunk_vectors, sentences, sentence_vectors,
                      [list(r["sentences"]) for r in passages], dict(meta["term_df"]), path=Path(collection),
                      entities=entities)
        attach_searcher(index, QdrantSearcher(self, collection, meta["vocab"], index))
        return index

    def _scroll(self, collection: str, *, vector: str | None = None, kind: int | None = None) -> Iterator:
        from qdrant_client import models as m

        flt = None if kind is None else m.Filter(must=[m.FieldCondition(key="kind",
                                                                        match=m.MatchValue(value=KINDS[kind]))])
        offset = None
        while True:
            points, offset = self._call(self.client.scroll, collection, scroll_filter=flt, limit=1024, offset=offset,
                                        with_payload=vector is None, with_vectors=[vector] if vector else False)
            yield from points
            if offset is None:
                return

    def publish(self, index: Index) -> Path:
        from qdrant_client import models as m

        now = time.time_ns()
        version = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-{os.getpid()}"
        collection = f"{self.alias}-{version}"
        dim = int(index.manifest["model"]["dim"])
        self._call(self.client.create_collection, collection, **collection_config(dim, self.shards, self.replicas))
        if self.indexed:  # local mode has no payload indexes (and warns)
            for field in ("kind", "doc_hash", "source"):
                self._call(self.client.create_payload_index, collection, field, m.PayloadSchemaType.KEYWORD)
        try:
            meta = self._upload(collection, index)
            # The manifest goes last: a collection without it is never a valid version.
            self._upsert(collection, [m.PointStruct(id=point_id(META, 0), vector={}, payload=meta)])
            if self.is_edge:  # no background optimiser in process: build HNSW and int8 vectors now, then flush
                self._call(self.client.optimize, collection)
            current = self._collection()
            switch = [m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=collection,
                                                                        alias_name=self.alias))]
            if current is not None:
                switch.insert(0, m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=self.alias)))
            self._call(self.client.update_collection_aliases, switch)  # one call: applied atomically
        except BaseException:
            with _quiet():
                self.client.delete_collection(collection)
            raise
        index.path = Path(collection)
        attach_searcher(index, QdrantSearcher(self, collection, meta["vocab"], index))
        self._prune(keep={collection})
        return index.path

    def _upload(self, collection: str, index: Index) -> dict:
        from qdrant_client import models as m

        texts = [passage_text(index.documents[c.source], c) for c in index.chunks]
        terms = [analyze(t) or [PLACEHOLDER] for t in texts]
        avgdl = float(np.mean([len(t) for t in terms])) if terms else 1.0
        vocab = sorted({t for ts in terms for t in ts})
        term_id = {t: i for i, t in enumerate(vocab)}
        sentence_chunks: dict[int, list[int]] = {}
        for row, sids in enumerate(index.chunk_sentences):
            for sid in sids:
                sentence_chunks.setdefault(sid, []).append(row)

        def documents() -> Iterator:
            for i, d in enumerate(index.documents.values()):
                yield m.PointStruct(id=point_id(DOCUMENT, i), vector={}, payload={
                    "kind": "document", "source": d.source, "title": d.title, "date": d.date, "pages": list(d.pages),
                    "metadata": d.metadata, "hash": d.hash, "text": d.text})

        def passages() -> Iterator:
            for row, c in enumerate(index.chunks):
                doc = index.documents[c.source]
                weights = bm25_weights(terms[row], avgdl)
                ids = sorted(term_id[t] for t in weights)
                sparse = m.SparseVector(indices=ids, values=[weights[vocab[i]] for i in ids])
                yield m.PointStruct(id=point_id(PASSAGE, row), vector={
                    "passage": np.asarray(index.chunk_vectors[row], np.float32).tolist(), "bm25": sparse}, payload={
                    "kind": "passage", "row": row, "chunk_id": c.chunk_id, "source": c.source, "doc_hash": doc.hash,
                    "title": doc.title, "date": doc.date, "start": c.start, "end": c.end, "page": doc.page_at(c.start),
                    "sentences": list(index.chunk_sentences[row])})

        def sentences() -> Iterator:
            for sid, s in enumerate(index.sentences):
                payload = {"kind": "sentence", "sid": sid, "source": s.source, "start": s.start, "end": s.end,
                           "chunks": sentence_chunks.get(sid, [])}
                if index.entities is not None:
                    payload["entities"] = [list(e) for e in index.entities[sid]]
                yield m.PointStruct(id=point_id(SENTENCE, sid), vector={
                    "sentence": np.asarray(index.sentence_vectors[sid], np.float32).tolist()}, payload=payload)

        for points in (documents(), passages(), sentences()):
            self._upsert(collection, points)
        return {"kind": "meta", "manifest": index.manifest, "term_df": index.term_df, "vocab": vocab,
                "avgdl": avgdl, "bm25": {"k1": K1, "b": B, "idf": "qdrant modifier"}}

    def _upsert(self, collection: str, points: Iterable) -> None:
        batch: list = []
        for point in points:
            batch.append(point)
            if len(batch) == BATCH:
                self._call(self.client.upsert, collection, batch, wait=True)
                batch = []
        if batch:
            self._call(self.client.upsert, collection, batch, wait=True)

    def _prune(self, keep: set[str]) -> None:
        """Drop old versions, keeping the newest few: a chat that loaded one keeps answering from it."""
        version = re.compile(re.escape(self.alias) + r"-\d{8}T\d{6}\.\d{9}-\d+")  # only our own versions
        names = sorted((c.name for c in self._call(self.client.get_collections).collections
                        if version.fullmatch(c.name)), reverse=True)
        for name in names[self.keep:]:
            if name not in keep:
                with _quiet():
                    self.client.delete_collection(name)


class QdrantSearcher:
    """Candidates from Qdrant, then the exact scores the FAISS store computes, on those candidates only.

    The candidates are the union of the n best passages of each search (dense HNSW, BM25 with
    Qdrant's IDF, best sentence): every passage among the n best of any retriever, so each
    retriever's n best scores (what fusion measures its spread on) and, in practice, the fused top
    k are among them. Their dense and sentence cosines are computed here from their stored vectors,
    their BM25 scores by Qdrant on exactly those points.
    """

    def __init__(self, store: QdrantStore, collection: str, vocab: list[str], index: Index):
        self.store, self.collection, self.index = store, collection, index
        self.term_id = {t: i for i, t in enumerate(vocab)}
        self.n_chunks, self.n_sentences = len(index.chunks), len(index.sentences)

    def _query(self, query, using: str, limit: int, offset: int = 0, only: list[int] | None = None) -> list:
        from qdrant_client import models as m

        params = None
        if self.store.indexed and using != "bm25":  # local mode is exact and warns about index parameters
            params = m.SearchParams(hnsw_ef=max(128, limit), quantization=m.QuantizationSearchParams(
                rescore=True, oversampling=2.0))
        where = None if only is None else m.Filter(must=[m.HasIdCondition(has_id=only)])
        return self.store._call(self.store.client.query_points, self.collection, query=query, using=using,
                                limit=limit, offset=offset, search_params=params, query_filter=where,
                                with_payload=using == "sentence").points

    def _sparse(self, terms: tuple[str, ...]):
        from qdrant_client import models as m

        counts = Counter(self.term_id[t] for t in terms if t in self.term_id)
        ids = sorted(counts)
        return m.SparseVector(indices=ids, values=[float(counts[i]) for i in ids]) if ids else None

    def candidates(self, qvec: np.ndarray, terms: tuple[str, ...], n: int) -> np.ndarray:
        if not self.n_chunks:
            return np.zeros(0, np.int64)
        query = np.asarray(qvec, np.float32).tolist()
        rows = {p.id // 4 for p in self._top(query, "passage", n)}
        sparse = self._sparse(terms)
        if sparse is not None:
            rows |= {p.id // 4 for p in self._top(sparse, "bm25", n) if p.score > 0}
        rows |= set(self._best_sentence_rows(query, n))
        return np.array(sorted(rows), dtype=np.int64)

    def _top(self, query, using: str, n: int) -> list:
        """The n best passages and every passage tied with the n-th (the FAISS store breaks ties by row)."""
        limit = min(n, self.n_chunks)
        while True:
            points = self._query(query, using, limit)
            if len(points) < limit or limit >= self.n_chunks or len(points) < n \
                    or np.float32(points[-1].score) != np.float32(points[n - 1].score):
                return points
            limit = min(2 * limit, self.n_chunks)

    def _best_sentence_rows(self, query: list[float], n: int) -> list[int]:
        """The n passages with the best sentences: sentences are read best first until no unread
        sentence can beat the n-th passage's."""
        if not self.n_sentences:
            return []
        best: dict[int, float] = {}
        limit, offset = max(4 * n, 64), 0
        while True:
            points = self._query(query, "sentence", limit, offset)
            for p in points:
                for row in p.payload.get("chunks", ()):
                    best.setdefault(row, p.score)
            offset += len(points)
            exhausted = len(points) < limit or offset >= self.n_sentences
            if exhausted or (len(best) >= n and points[-1].score < sorted(best.values(), reverse=True)[n - 1]):
                return sorted(best, key=lambda row: (-np.float32(best[row]), row))[:n]
            limit *= 2

    def dense(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0, np.float32)
        return np.asarray(self.index.chunk_vectors[rows], np.float32) @ qvec.astype(np.float32)

    def lexical(self, terms: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(rows), np.float32)
        sparse = self._sparse(terms)
        if sparse is None or not len(rows):
            return scores
        position = {int(r): i for i, r in enumerate(rows)}
        for p in self._query(sparse, "bm25", len(rows), only=[point_id(PASSAGE, int(r)) for r in rows]):
            scores[position[p.id // 4]] = p.score
        return scores

    def sentences(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        best = np.full(len(rows), -np.inf, dtype=np.float32)
        sids = [self.index.chunk_sentences[int(r)] for r in rows]
        flat = [sid for group in sids for sid in group]
        if not flat:
            return best
        sims = np.asarray(self.index.sentence_vectors[flat], np.float32) @ qvec.astype(np.float32)
        has = [i for i, group in enumerate(sids) if group]
        starts = np.concatenate([[0], np.cumsum([len(sids[i]) for i in has])[:-1]]).astype(np.int64)
        best[has] = np.maximum.reduceat(sims, starts)  # max over each passage's sentences
        return best


class Vectors:
    """Rows of one named vector of a collection, read from Qdrant on first use and kept.

    The reader reads the sentence vectors of the few passages it was given; the full matrix
    (tens of GB for a large archive) stays in Qdrant.
    """

    def __init__(self, store: QdrantStore, collection: str, kind: int, name: str, n: int, dim: int):
        self.store, self.collection, self.kind, self.name = store, collection, kind, name
        self.shape = (n, dim)
        self._rows: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self._fetch([int(key)])[0]
        return np.stack(self._fetch([int(k) for k in key])) if len(key) else np.zeros((0, self.shape[1]), np.float32)

    def _fetch(self, numbers: list[int]) -> list[np.ndarray]:
        missing = sorted({i for i in numbers if i not in self._rows})
        if missing:
            if len(self._rows) > 200_000:
                self._rows.clear()
            points = self.store._call(self.store.client.retrieve, self.collection,
                                      [point_id(self.kind, i) for i in missing], with_payload=False,
                                      with_vectors=[self.name])
            for p in points:
                self._rows[p.id // 4] = np.asarray(p.vector[self.name], np.float32)
        try:
            return [self._rows[i] for i in numbers]
        except KeyError as exc:
            raise IndexError_(f"Le vecteur n° {exc.args[0]} manque dans la collection Qdrant {self.collection}. "
                              f"{REBUILD_HINT}") from None

    def all(self) -> np.ndarray:
        out = np.zeros(self.shape, np.float32)
        for p in self.store._scroll(self.collection, vector=self.name, kind=self.kind):
            out[p.id // 4] = p.vector[self.name]
        return out


def collection_config(dim: int, shards: int = 1, replicas: int = 1) -> dict:
    """Dense vectors: dot product on normalised vectors (= cosine, as FAISS IndexFlatIP), HNSW, int8
    scalar quantisation kept in RAM with the float32 originals on disk for rescoring; BM25 sparse
    vectors with Qdrant's IDF modifier."""
    from qdrant_client import models as m

    def dense() -> "m.VectorParams":
        return m.VectorParams(size=dim, distance=m.Distance.DOT, on_disk=True,
                              hnsw_config=m.HnswConfigDiff(m=16, ef_construct=128),
                              quantization_config=m.ScalarQuantization(scalar=m.ScalarQuantizationConfig(
                                  type=m.ScalarType.INT8, quantile=0.99, always_ram=True)))

    return {"vectors_config": {"passage": dense(), "sentence": dense()},
            "sparse_vectors_config": {"bm25": m.SparseVectorParams(modifier=m.Modifier.IDF)},
            "shard_number": shards, "replication_factor": replicas}


def check_loadable(manifest: dict, model_name: str | None) -> None:
    """The model and lexical analysis of an index must be those configured (as index.load_index checks)."""
    if model_name is not None and manifest["model"]["name"] != model_name:
        raise IndexError_(f"L'index a été construit avec le modèle {manifest['model']['name']!r}, mais le modèle "
                          f"configuré est {model_name!r}. {REBUILD_HINT}")
    if manifest.get("analyzer") != ANALYZER:
        raise IndexError_("L'index a été construit avec une version antérieure de l'analyse lexicale "
                          "d'askjobs. Lancez `askjobs index` pour le mettre à jour.")
    if manifest.get("entities") != ENTITIES:  # the reader never parses the corpus at question time
        raise IndexError_("L'index a été construit sans les entités nommées que lit la version actuelle "
                          "d'askjobs. Lancez `askjobs index` pour le compléter (les vecteurs sont gardés).")
    if manifest.get("embedded_text") != EMBEDDED_TEXT:  # vectors of other texts would rank silently wrong
        raise IndexError_(f"Les vecteurs de l'index ont été calculés sur un texte préparé autrement "
                          f"({manifest.get('embedded_text')!r}). Lancez `askjobs index` pour le mettre à jour.")


def _client_for(location: str, api_key: str | None, index_dir: Path):
    from qdrant_client import QdrantClient

    # ":memory:" is one in-process store per index folder (tests, benchmarks): nothing is written to disk.
    key = (location, api_key, str(index_dir) if location == ":memory:" else None)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            if location == ":memory:":
                _CLIENTS[key] = QdrantClient(location=":memory:")
            elif location.startswith(EDGE):
                from .qdrant_edge import EdgeClient

                _CLIENTS[key] = EdgeClient(location[len(EDGE):])
            elif location.startswith(("http://", "https://")):
                _CLIENTS[key] = QdrantClient(url=location, api_key=api_key, timeout=30)
            else:
                Path(location).mkdir(parents=True, exist_ok=True)
                try:
                    _CLIENTS[key] = QdrantClient(path=location)
                except RuntimeError as exc:  # local mode allows one process per folder
                    raise IndexError_(
                        f"Le dossier Qdrant local {location} est déjà ouvert par un autre processus askjobs "
                        "(le mode local de qdrant-client ne se partage pas entre processus). Arrêtez l'autre "
                        f"processus, utilisez un serveur Qdrant (ASKJOBS_QDRANT_URL=http://…) {FALLBACK}.") from exc
        return _CLIENTS[key]


@atexit.register
def _close_clients() -> None:
    """Close local-mode clients while Python can still do it (their own finaliser runs too late)."""
    for client in _CLIENTS.values():
        with _quiet():
            client.close()
    _CLIENTS.clear()


def _explain(exc: Exception, store: QdrantStore) -> IndexError_:
    """A French message for a failed Qdrant call: unreachable, refused key, or an error reply."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if isinstance(exc, (ResponseHandlingException, ConnectionError, OSError)) or "connect" in detail.lower():
        return IndexError_(f"Le serveur Qdrant {store.location} est injoignable ({detail}). Vérifiez "
                           f"ASKJOBS_QDRANT_URL et que le serveur tourne, {FALLBACK}.")
    if isinstance(exc, UnexpectedResponse) and exc.status_code in (401, 403):
        return IndexError_(f"Le serveur Qdrant {store.location} refuse l'accès (HTTP {exc.status_code}). "
                           "Indiquez sa clé API dans ASKJOBS_QDRANT_API_KEY.")
    return IndexError_(f"Qdrant ({store.location}) a répondu par une erreur : {detail}. L'index est peut-être "
                       f"endommagé : {REBUILD_HINT}")


class _quiet:
    """Best-effort clean-up: a failure to drop a leftover collection must not hide the real error."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return True


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} doit être un entier positif.")
    return int(value)
