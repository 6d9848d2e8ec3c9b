"""Big builds on Ray (`askjobs index --workers ray`): reading, chunking and embedding as Ray Data stages.

The build logic stays in `AskJobs.build` (what changed, what is reused, the manifest, the store):
this module only gives it three drop-in steps that run on a Ray cluster instead of in the process:
- `load_files`: files → Documents (or Skipped), one task per batch of files;
- `chunk`: Documents → Chunks with exact offsets, in actors that load the tokenizer once each;
- `encode`: texts → vectors, in actors that load the embedding model once each (GPU workers
  when the cluster has them: ASKJOBS_RAY_GPUS per actor).
Rows cross the cluster as plain JSON-able columns; results come back in input order, so the
index built is the one the default build makes.

Where it runs: RAY_ADDRESS (or ASKJOBS_RAY_ADDRESS) names an existing cluster ("ray://head:10001",
"auto"); without it a local cluster is started with ASKJOBS_RAY_CPUS CPUs (default: all) and
shut down at the end. Workers need askjobs and its model folder at the same path as the driver.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .schema import Chunk, Document

EncoderFactory = Callable[[], object]  # builds an Encoder inside a worker (must be picklable)


class RayBuild:
    """A Ray cluster for one build: `with RayBuild(make_encoder) as steps: steps.encode(texts)`.

    The cluster is joined (or a local one started) on the first stage that has work, so a build with
    nothing to do never starts Ray.
    """

    def __init__(self, make_encoder: EncoderFactory, *, num_cpus: int | None = None, actors: int | None = None,
                 batch_size: int = 64, gpus_per_actor: float | None = None, address: str | None = None):
        self.make_encoder = make_encoder
        self.address = address if address is not None else (os.environ.get("ASKJOBS_RAY_ADDRESS")
                                                             or os.environ.get("RAY_ADDRESS"))
        self.num_cpus = num_cpus if num_cpus is not None else _env_number("ASKJOBS_RAY_CPUS", int)
        self.gpus = gpus_per_actor if gpus_per_actor is not None else _env_number("ASKJOBS_RAY_GPUS", float)
        self.actors = actors
        self.batch_size = batch_size
        self._started = False

    def __enter__(self) -> "RayBuild":
        return self

    def __exit__(self, *exc) -> None:
        import ray

        if self._started:
            ray.shutdown()
            self._started = False

    def _start(self) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ValueError("Ray n'est pas installé : `pip install 'askjobs[scale]'` (ou `pip install "
                               "'ray[data]'`), ou indexez sans `--workers ray`.") from exc
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a local, private cluster
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=self.num_cpus, **kwargs)
            self._started = True
        from ray.data import DataContext

        ctx = DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.execution_options.preserve_order = True  # rows come back in input order

    def _pool(self, per_actor_cpus: float = 1.0) -> dict:
        import ray

        size = self.actors or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)
        options = {"compute": _actor_pool(size), "num_cpus": per_actor_cpus}
        if self.gpus:
            options["num_gpus"] = self.gpus
        return options

    # --- the three stages ------------------------------------------------------
    def load_files(self, files: Sequence) -> list:
        """SourceFiles → Documents or Skipped, in the order given."""
        import ray.data

        from .ingest import Skipped

        if not files:
            return []
        self._start()
        rows = [{"source": f.source, "path": str(f.path), "size": f.size, "file_hash": f.file_hash} for f in files]
        out = ray.data.from_items(rows).map_batches(_extract_batch, batch_size=16, batch_format="pandas",
                                                    num_cpus=1).take_all()
        results = []
        for row in out:
            record = json.loads(row["result"])
            results.append(Skipped(**record) if "reason" in record else _document(record))
        return results

    def chunk(self, documents: Sequence[Document], chunk_tokens: int, chunk_overlap: int) -> list[Chunk]:
        """Documents → their chunks, document by document in the order given (offsets exact)."""
        import ray.data

        if not documents:
            return []
        self._start()
        rows = [{"doc": json.dumps(_document_row(d), ensure_ascii=False)} for d in documents]
        out = ray.data.from_items(rows).map_batches(
            _Chunker, fn_constructor_args=(self.make_encoder, chunk_tokens, chunk_overlap), batch_size=8,
            batch_format="pandas", **self._pool()).take_all()
        chunks: list[Chunk] = []
        by_source = {d.source: d for d in documents}
        for row in out:
            for c in json.loads(row["chunks"]):
                doc = by_source[c["source"]]
                chunks.append(Chunk(c["chunk_id"], c["source"], c["start"], c["end"], doc.text[c["start"]:c["end"]]))
        return chunks

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Passage texts → L2-normalised vectors, row i for texts[i]."""
        import ray.data

        if not texts:
            return np.zeros((0, 0), np.float32)
        self._start()
        rows = [{"i": i, "text": t} for i, t in enumerate(texts)]
        out = ray.data.from_items(rows).map_batches(
            _Embedder, fn_constructor_args=(self.make_encoder,), batch_size=self.batch_size, batch_format="numpy",
            **self._pool()).take_all()
        order = np.array([row["i"] for row in out])
        vectors = np.stack([np.asarray(row["vector"], np.float32) for row in out])
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


def _actor_pool(size: int):
    from ray.data import ActorPoolStrategy

    return ActorPoolStrategy(size=size)


def _extract_batch(batch):
    """Ray task: read and extract a batch of files (no model needed)."""
    from dataclasses import asdict

    from .ingest import Skipped, SourceFile, load_file

    results = []
    for source, path, size, file_hash in zip(batch["source"], batch["path"], batch["size"], batch["file_hash"]):
        result = load_file(SourceFile(source, Path(path), int(size), file_hash))
        record = asdict(result) if isinstance(result, Skipped) else _document_row(result)
        results.append(json.dumps(record, ensure_ascii=False))
    batch = batch[["source"]].copy()
    batch["result"] = results
    return batch


class _Chunker:
    """Ray actor: the encoder's tokenizer is loaded once, then documents are split batch after batch."""

    def __init__(self, make_encoder: EncoderFactory, chunk_tokens: int, chunk_overlap: int):
        from .chunking import make_splitter

        encoder = make_encoder()
        self.splitter = make_splitter(chunk_tokens, chunk_overlap, encoder.count_tokens, whole_documents=True)

    def __call__(self, batch):
        from .chunking import chunk_document

        out = []
        for raw in batch["doc"]:
            doc = _document(json.loads(raw))
            out.append(json.dumps([{"chunk_id": c.chunk_id, "source": c.source, "start": c.start, "end": c.end}
                                   for c in chunk_document(doc, self.splitter)], ensure_ascii=False))
        batch = batch[[]].copy()
        batch["chunks"] = out
        return batch


class _Embedder:
    """Ray actor: the embedding model is loaded once, then batches of texts are encoded."""

    def __init__(self, make_encoder: EncoderFactory):
        self.encoder = make_encoder()

    def __call__(self, batch: dict) -> dict:
        vectors = self.encoder.encode_passages([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vector": np.asarray(vectors, np.float32)}


def _document_row(d: Document) -> dict:
    return {"source": d.source, "title": d.title, "text": d.text, "date": d.date, "pages": list(d.pages),
            "metadata": d.metadata}


def _document(row: dict) -> Document:
    return Document(row["source"], row["title"], row["text"], row.get("date"), tuple(row.get("pages") or ()),
                    row.get("metadata") or {})


def _env_number(name: str, kind):
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = kind(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError(f"{name}={value!r} doit être un nombre positif.")
    return number
