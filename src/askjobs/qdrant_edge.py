"""Qdrant's own engine in process (qdrant-edge-py), behind the part of qdrant-client's API the Qdrant store uses.

qdrant-client's local mode is a Python re-implementation with brute-force search; qdrant-edge-py is
Qdrant's Rust shard engine (segments, HNSW, int8 scalar quantisation with rescoring, sparse vectors
with the IDF modifier) as a Python extension. `EdgeClient` lets `store_qdrant.QdrantStore` run on it
unchanged (ASKJOBS_QDRANT_URL=edge:<folder>): each collection is one edge shard in
<folder>/collections/<name>, the aliases are one JSON file replaced atomically.

A version is written once, optimised (HNSW graphs and quantised vectors built) and flushed before its
alias is switched, then never changed: shards are created without a write-ahead log, so any number of
processes may open a published version to read it at the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace


def _edge():
    try:
        import qdrant_edge
    except ImportError as exc:  # an optional dependency: only this location needs it
        raise ImportError("ASKJOBS_QDRANT_URL=edge:… demande le paquet qdrant-edge-py : installez-le avec "
                          "`pip install -e '.[scale]'` (ou `make`).") from exc
    return qdrant_edge


class EdgeClient:
    """The subset of `qdrant_client.QdrantClient` the Qdrant store calls, on edge shards in one folder."""

    def __init__(self, path: str | Path):
        self.root = Path(path)
        (self.root / "collections").mkdir(parents=True, exist_ok=True)
        self._shards: dict[str, object] = {}
        self._lock = threading.RLock()

    # --- collections and aliases ---------------------------------------------------------------
    def _folder(self, name: str) -> Path:
        return self.root / "collections" / name

    def _shard(self, name: str):
        with self._lock:
            shard = self._shards.get(name)
            if shard is None:
                folder = self._folder(name)
                if not (folder / "edge_config.json").is_file():
                    raise ValueError(f"Collection {name} not found")
                shard = self._shards[name] = _edge().EdgeShard.load(str(folder))
            return shard

    def create_collection(self, collection_name: str, vectors_config=None, sparse_vectors_config=None,
                          **_ignored) -> bool:
        """One edge shard; shard_number and replication_factor mean nothing in one process and are ignored."""
        q = _edge()
        vectors = {name: _vector_params(q, p) for name, p in (vectors_config or {}).items()}
        sparse = {name: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf if p.modifier is not None else None)
                  for name, p in (sparse_vectors_config or {}).items()}
        if not vectors and not sparse:  # an edge shard holds at least one vector: a placeholder one
            vectors = {"": q.EdgeVectorParams(size=1, distance=q.Distance.Dot)}
        folder = self._folder(collection_name)
        if folder.exists():
            raise ValueError(f"Collection {collection_name} already exists")
        with self._lock:
            self._shards[collection_name] = q.EdgeShard.create(str(folder), q.EdgeConfig(
                vectors=vectors, sparse_vectors=sparse or None, wal_enabled=False))
        return True

    def get_collections(self):
        names = sorted(p.name for p in (self.root / "collections").iterdir() if (p / "edge_config.json").is_file())
        return SimpleNamespace(collections=[SimpleNamespace(name=n) for n in names])

    def delete_collection(self, collection_name: str) -> bool:
        with self._lock:
            shard = self._shards.pop(collection_name, None)
            if shard is not None:
                shard.close()
            shutil.rmtree(self._folder(collection_name), ignore_errors=True)
        return True

    def get_aliases(self):
        return SimpleNamespace(aliases=[SimpleNamespace(alias_name=a, collection_name=c)
                                        for a, c in sorted(self._aliases().items())])

    def _aliases(self) -> dict[str, str]:
        path = self.root / "aliases.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def update_collection_aliases(self, change_aliases_operations) -> bool:
        """Every operation applied at once: the file is replaced in one rename."""
        with self._lock:
            aliases = self._aliases()
            for op in change_aliases_operations:
                if getattr(op, "delete_alias", None) is not None:
                    aliases.pop(op.delete_alias.alias_name, None)
                if getattr(op, "create_alias", None) is not None:
                    aliases[op.create_alias.alias_name] = op.create_alias.collection_name
            tmp = self.root / f".aliases.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(aliases, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.root / "aliases.json")
        return True

    def delete_alias(self, alias_name: str) -> bool:
        from qdrant_client import models as m

        return self.update_collection_aliases([m.DeleteAliasOperation(delete_alias=m.DeleteAlias(
            alias_name=alias_name))])

    def optimize(self, collection_name: str) -> None:
        """Build the HNSW graphs and quantised vectors, then write everything to disk (before publishing)."""
        shard = self._shard(collection_name)
        with self._lock:
            shard.optimize()
            shard.flush()

    def create_payload_index(self, collection_name: str, field_name: str, field_schema=None, **_ignored) -> None:
        q = _edge()
        self._update(collection_name, q.UpdateOperation.create_field_index(field_name, q.PayloadSchemaType.Keyword))

    # --- points -------------------------------------------------------------------------------
    def _update(self, collection_name: str, operation) -> None:
        shard = self._shard(collection_name)
        with self._lock:
            shard.update(operation)

    def upsert(self, collection_name: str, points, wait: bool = True, **_ignored) -> None:
        q = _edge()
        self._update(collection_name, q.UpdateOperation.upsert_points(
            [q.Point(p.id, _vectors(q, p.vector), p.payload) for p in points]))

    def delete(self, collection_name: str, points_selector, **_ignored) -> None:
        self._update(collection_name, _edge().UpdateOperation.delete_points(list(points_selector)))

    def overwrite_payload(self, collection_name: str, payload: dict, points, **_ignored) -> None:
        self._update(collection_name, _edge().UpdateOperation.overwrite_payload(list(points), payload))

    def delete_payload(self, collection_name: str, keys: list[str], points, **_ignored) -> None:
        q = _edge()
        flt = getattr(points, "filter", None)
        op = q.UpdateOperation.delete_payload_by_filter(_filter(q, flt), keys) if flt is not None \
            else q.UpdateOperation.delete_payload(list(points), keys)
        self._update(collection_name, op)

    def retrieve(self, collection_name: str, ids, with_payload=True, with_vectors=False, **_ignored) -> list:
        return self._shard(collection_name).retrieve(list(ids), with_payload=with_payload, with_vector=with_vectors)

    def count(self, collection_name: str, count_filter=None, exact: bool = True, **_ignored):
        q = _edge()
        return SimpleNamespace(count=self._shard(collection_name).count(q.CountRequest(
            exact=exact, filter=_filter(q, count_filter))))

    def scroll(self, collection_name: str, scroll_filter=None, limit: int = 10, offset=None,
               with_payload=True, with_vectors=False, **_ignored):
        q = _edge()
        return self._shard(collection_name).scroll(q.ScrollRequest(
            offset=offset, limit=limit, filter=_filter(q, scroll_filter), with_payload=with_payload,
            with_vector=with_vectors))

    def query_points(self, collection_name: str, query, using: str | None = None, limit: int = 10, offset: int = 0,
                     search_params=None, query_filter=None, with_payload=False, **_ignored):
        q = _edge()
        vector = q.SparseVector(list(query.indices), list(query.values)) if hasattr(query, "indices") else list(query)
        params = None
        if search_params is not None:
            quant = search_params.quantization
            params = q.SearchParams(hnsw_ef=search_params.hnsw_ef, exact=bool(search_params.exact),
                                    quantization=None if quant is None else q.QuantizationSearchParams(
                                        rescore=quant.rescore, oversampling=quant.oversampling))
        points = self._shard(collection_name).query(q.QueryRequest(
            limit=limit, offset=offset or None, query=q.Query.Nearest(vector, using=using),
            filter=_filter(q, query_filter), params=params, with_payload=with_payload))
        return SimpleNamespace(points=points)

    def close(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                shard.close()
            self._shards.clear()


def _vector_params(q, p):
    """qdrant-client's VectorParams as an edge shard's (distance, HNSW, int8 quantisation, on disk)."""
    hnsw = None if p.hnsw_config is None else q.HnswIndexConfig(
        m=p.hnsw_config.m, ef_construct=p.hnsw_config.ef_construct,
        full_scan_threshold=p.hnsw_config.full_scan_threshold or 10_000)
    quant = None
    scalar = getattr(p.quantization_config, "scalar", None)
    if scalar is not None:
        quant = q.ScalarQuantizationConfig(type=q.ScalarType.Int8, quantile=scalar.quantile,
                                           always_ram=scalar.always_ram)
    distance = {"Dot": q.Distance.Dot, "Cosine": q.Distance.Cosine, "Euclid": q.Distance.Euclid}[p.distance.value]
    return q.EdgeVectorParams(size=p.size, distance=distance, on_disk=p.on_disk, hnsw_config=hnsw,
                              quantization_config=quant)


def _vectors(q, vector) -> dict:
    return {name: q.SparseVector(list(v.indices), list(v.values)) if hasattr(v, "indices") else list(v)
            for name, v in (vector or {}).items()}


def _filter(q, flt):
    """qdrant-client's Filter (kind = …, has id) as the edge engine's."""
    if flt is None:
        return None
    conditions = []
    for c in flt.must or ():
        if getattr(c, "has_id", None) is not None:
            conditions.append(q.HasIdCondition(set(c.has_id)))
        else:
            conditions.append(q.FieldCondition(c.key, match=q.MatchValue(c.match.value)))
    return q.Filter(must=conditions)
