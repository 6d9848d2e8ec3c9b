"""Build, save and load the index: FAISS (dense) + bm25s (French lexical) + a manifest.

The index folder describes itself. Each build is written to a fresh version
folder and published by replacing the `CURRENT` pointer in one step, so a
reader never sees a half-written index. Never loads a model; no pickle.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .schema import Chunk, Document, Sentence, content_hash
from .text import analyze, split_sentences

FORMAT_VERSION = 1
CURRENT = "CURRENT"
REBUILD_HINT = "Lancez `askjobs index --rebuild` pour reconstruire l'index."


class IndexError_(RuntimeError):
    """The index is missing, damaged or does not match; the message names the fix."""


@dataclass
class Index:
    """Everything retrieval and answering need, in memory."""

    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    chunk_vectors: np.ndarray  # (n_chunks, dim), L2-normalised
    sentences: list[Sentence]
    sentence_vectors: np.ndarray  # (n_sentences, dim), L2-normalised
    chunk_sentences: list[list[int]]  # sentence ids inside each chunk, in order
    term_df: dict[str, int]  # chunk document frequency of each analysed term
    bm25: object = None
    faiss: object = None
    path: Path | None = None
    _sentence_index: dict = field(default_factory=dict, repr=False)

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    def idf(self, term: str) -> float:
        return self.idf_df(self.term_df.get(term, 0))

    def idf_df(self, df: int) -> float:
        """BM25's IDF for a term found in `df` of the chunks."""
        n = max(len(self.chunks), 1)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


def passage_text(doc: Document, chunk: Chunk) -> str:
    """What gets embedded and indexed for a chunk: its document title, then its text."""
    if chunk.text.startswith(doc.title):
        return chunk.text
    return f"{doc.title}\n{chunk.text}"


def sentences_of(doc: Document) -> list[Sentence]:
    return [Sentence(doc.source, s.start, s.end, doc.text[s.start:s.end]) for s in split_sentences(doc.text)]


def build_index(
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    encode_passages: Callable[[Sequence[str]], np.ndarray],
    *,
    model: dict,
    chunking: dict,
    file_hashes: dict[str, str] | None = None,
    reuse: "Index | None" = None,
    progress: Callable[[str, int], None] | None = None,
) -> Index:
    """Embed chunks and sentences (reusing vectors of unchanged documents) and index them."""
    docs = {d.source: d for d in documents}
    sentences = [s for d in documents for s in sentences_of(d)]
    texts = [passage_text(docs[c.source], c) for c in chunks]
    chunk_vectors = _embed_reusing(texts, [(c.source, c.start, c.end) for c in chunks], encode_passages,
                                   _reusable(reuse, docs, "chunks"), progress, "passages")
    sentence_vectors = _embed_reusing([s.text for s in sentences], [(s.source, s.start, s.end) for s in sentences],
                                      encode_passages, _reusable(reuse, docs, "sentences"), progress, "phrases")
    dim = int(model["dim"])
    manifest = {
        "askjobs_version": __version__,
        "format": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model,
        "chunking": chunking,
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sentences)},
        "documents": [
            {"source": d.source, "title": d.title, "date": d.date, "hash": d.hash, "chars": len(d.text),
             "file_hash": (file_hashes or {}).get(d.source)}
            for d in documents
        ],
    }
    if chunk_vectors.shape[1:] != (dim,) and len(chunks):
        raise ValueError(f"the encoder returned vectors of size {chunk_vectors.shape[1]}, expected {dim}")
    index = Index(manifest, docs, list(chunks), chunk_vectors, sentences, sentence_vectors,
                  _chunk_sentences(chunks, sentences), _term_df(texts))
    _attach_searchers(index, texts)
    return index


def _reusable(reuse: "Index | None", docs: dict[str, Document], kind: str) -> dict:
    """Vectors of the old index keyed by (source, start, end), for documents whose text is unchanged."""
    if reuse is None:
        return {}
    same = {s for s, d in docs.items() if s in reuse.documents and reuse.documents[s].hash == d.hash}
    items = reuse.chunks if kind == "chunks" else reuse.sentences
    vectors = reuse.chunk_vectors if kind == "chunks" else reuse.sentence_vectors
    return {(it.source, it.start, it.end): vectors[i] for i, it in enumerate(items) if it.source in same}


def _embed_reusing(texts, keys, encode, known: dict, progress, label: str) -> np.ndarray:
    missing = [i for i, k in enumerate(keys) if k not in known]
    if progress:
        progress(label, len(missing))
    fresh = encode([texts[i] for i in missing]) if missing else np.zeros((0, 0), np.float32)
    if not keys:
        return np.zeros((0, fresh.shape[1] if fresh.ndim == 2 and fresh.shape[1] else 0), np.float32)
    dim = fresh.shape[1] if missing else len(next(iter(known.values())))
    out = np.empty((len(keys), dim), dtype=np.float32)
    for j, i in enumerate(missing):
        out[i] = fresh[j]
    for i, k in enumerate(keys):
        if k in known:
            out[i] = known[k]
    return out


def _chunk_sentences(chunks: Sequence[Chunk], sentences: Sequence[Sentence]) -> list[list[int]]:
    by_source: dict[str, list[int]] = {}
    for i, s in enumerate(sentences):
        by_source.setdefault(s.source, []).append(i)
    out = []
    for c in chunks:
        out.append([i for i in by_source.get(c.source, ())
                    if sentences[i].start < c.end and sentences[i].end > c.start])
    return out


def _term_df(texts: Sequence[str]) -> dict[str, int]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update(set(analyze(t)))
    return dict(df)


def _attach_searchers(index: Index, texts: Sequence[str] | None = None) -> None:
    import faiss

    dim = int(index.manifest["model"]["dim"])
    flat = faiss.IndexFlatIP(dim)
    if len(index.chunks):
        flat.add(np.ascontiguousarray(index.chunk_vectors, dtype=np.float32))
    index.faiss = flat
    if texts is not None:
        index.bm25 = _build_bm25(texts)


def _build_bm25(texts: Sequence[str]):
    import bm25s

    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    # An empty token list breaks bm25s; a placeholder term keeps row numbers aligned.
    corpus_tokens = [analyze(t) or ["\u2205"] for t in texts]
    bm25.index(corpus_tokens, show_progress=False)
    return bm25


# --- Persistence ---------------------------------------------------------------

def save_index(index: Index, index_dir: Path, keep: int = 2) -> Path:
    """Write a new version folder, then switch CURRENT to it atomically."""
    import faiss

    index_dir = Path(index_dir)
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    tmp = versions / f".tmp-{name}"
    tmp.mkdir()
    faiss.write_index(index.faiss, str(tmp / "dense.faiss"))
    np.save(tmp / "sentences.npy", index.sentence_vectors, allow_pickle=False)
    index.bm25.save(str(tmp / "bm25"), show_progress=False)
    _write_jsonl(tmp / "documents.jsonl", (
        {"source": d.source, "title": d.title, "date": d.date, "pages": list(d.pages), "metadata": d.metadata,
         "text": d.text} for d in index.documents.values()))
    _write_jsonl(tmp / "chunks.jsonl", (
        {"chunk_id": c.chunk_id, "source": c.source, "start": c.start, "end": c.end} for c in index.chunks))
    _write_jsonl(tmp / "sentences.jsonl", (
        {"source": s.source, "start": s.start, "end": s.end} for s in index.sentences))
    (tmp / "terms.json").write_text(json.dumps(index.term_df, ensure_ascii=False), encoding="utf-8")
    # The manifest is written last: a folder without one is never a valid version.
    (tmp / "manifest.json").write_text(json.dumps(index.manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _fsync_dir(tmp)
    final = versions / name
    os.replace(tmp, final)
    pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    pointer_tmp.write_text(name + "\n", encoding="utf-8")
    with open(pointer_tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    index.path = final
    _prune(versions, keep_names={name}, keep=keep)
    return final


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(versions: Path, keep_names: set[str], keep: int) -> None:
    """Delete old versions (and abandoned temporary folders), keeping the newest few."""
    olds = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for p in olds[keep:]:
        if p.name not in keep_names:
            shutil.rmtree(p, ignore_errors=True)
    for p in versions.glob(".tmp-*"):
        if time.time() - p.stat().st_mtime > 3600:  # an interrupted build, long dead
            shutil.rmtree(p, ignore_errors=True)


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def current_version(index_dir: Path) -> Path | None:
    """The folder CURRENT points to, or None when no index was built yet."""
    pointer = Path(index_dir) / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return Path(index_dir) / "versions" / name


def read_manifest(index_dir: Path) -> dict | None:
    version = current_version(index_dir)
    if version is None:
        return None
    try:
        return json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"Le manifeste de l'index {version} est illisible ({exc}). {REBUILD_HINT}") from exc


def load_index(index_dir: Path, *, model_name: str | None = None) -> Index:
    """Load the current index version; mismatches and damage raise IndexError_ with the fix."""
    import bm25s
    import faiss

    index_dir = Path(index_dir)
    version = current_version(index_dir)
    if version is None:
        raise IndexError_(f"Aucun index trouvé dans {index_dir}. Lancez `askjobs index` pour le construire.")
    manifest = read_manifest(index_dir)
    try:
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexError_(
                f"L'index {version} est au format {manifest.get('format')!r}, cette version d'askjobs "
                f"attend le format {FORMAT_VERSION}. {REBUILD_HINT}")
        if model_name is not None and manifest["model"]["name"] != model_name:
            raise IndexError_(
                f"L'index a été construit avec le modèle {manifest['model']['name']!r}, mais le modèle "
                f"configuré est {model_name!r}. {REBUILD_HINT}")
        dim = int(manifest["model"]["dim"])
        docs = {}
        for row in _read_jsonl(version / "documents.jsonl"):
            docs[row["source"]] = Document(row["source"], row["title"], row["text"], row.get("date"),
                                           tuple(row.get("pages") or ()), row.get("metadata") or {})
        for entry in manifest["documents"]:
            if entry["source"] not in docs or docs[entry["source"]].hash != entry["hash"]:
                raise IndexError_(f"Le document {entry['source']!r} de l'index ne correspond pas au manifeste. {REBUILD_HINT}")
        chunks = [Chunk(r["chunk_id"], r["source"], r["start"], r["end"],
                        docs[r["source"]].text[r["start"]:r["end"]]) for r in _read_jsonl(version / "chunks.jsonl")]
        sentences = [Sentence(r["source"], r["start"], r["end"], docs[r["source"]].text[r["start"]:r["end"]])
                     for r in _read_jsonl(version / "sentences.jsonl")]
        flat = faiss.read_index(str(version / "dense.faiss"))
        if flat.ntotal != len(chunks) or flat.d != dim:
            raise IndexError_(
                f"L'index FAISS contient {flat.ntotal} vecteurs de dimension {flat.d}, le manifeste annonce "
                f"{len(chunks)} passages de dimension {dim}. {REBUILD_HINT}")
        chunk_vectors = flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros((0, dim), np.float32)
        sentence_vectors = np.load(version / "sentences.npy", allow_pickle=False)
        if sentence_vectors.shape != (len(sentences), dim) and len(sentences):
            raise IndexError_(f"Les vecteurs des phrases ne correspondent pas au manifeste. {REBUILD_HINT}")
        bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False)
        term_df = json.loads((version / "terms.json").read_text(encoding="utf-8"))
    except IndexError_:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexError_(f"L'index {version} est endommagé ou incomplet ({type(exc).__name__}: {exc}). {REBUILD_HINT}") from exc
    index = Index(manifest, docs, chunks, chunk_vectors, sentences, sentence_vectors,
                  _chunk_sentences(chunks, sentences), term_df, bm25=bm25, faiss=flat, path=version)
    return index


def corpus_changes(manifest: dict, file_hashes: dict[str, str]) -> dict[str, list[str]]:
    """Compare the files on disk (source → raw-bytes hash) with what the index was built from."""
    indexed = {d["source"]: d.get("file_hash") for d in manifest.get("documents", [])}
    return {
        "added": sorted(set(file_hashes) - set(indexed)),
        "removed": sorted(set(indexed) - set(file_hashes)),
        "changed": sorted(s for s in set(file_hashes) & set(indexed) if file_hashes[s] != indexed[s]),
    }


def file_hash(path: Path) -> str:
    return content_hash(Path(path).read_bytes().decode("latin-1"))
