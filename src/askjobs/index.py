"""Build, save and load the index: FAISS (dense) + bm25s (French lexical) + a manifest.

The index folder describes itself. Each build is written to a fresh version
folder and published by replacing the `CURRENT` pointer in one step, so a
reader never sees a half-written index. Never loads a model; no pickle.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import functools
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .files import iter_jsonl, os_reason, sha256_file, write_jsonl
from .nlp import ANALYSIS
from .schema import Chunk, Document, Sentence
from .text import ANALYZER, analyze, split_sentences, unglue

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
REBUILD_HINT = "Lancez `askjobs index --rebuild` pour reconstruire l'index."


class IndexError_(RuntimeError):
    """The index is missing, damaged or does not match; the message names the fix."""


class IndexLockedError(IndexError_):
    """Another build holds the index lock."""


REPAIR_HINT = "Lancez `askjobs index` : il répare l'index à partir des documents (les parties intactes sont gardées)."


class IndexReadOnlyError(IndexError_):
    """The index folder cannot be written (read-only file system, permissions)."""


class IndexDamagedError(IndexError_):
    """A file of the current version does not match the size or checksum its manifest records."""

    def __init__(self, problem: str, names: Sequence[str] = ()):
        super().__init__(f"{problem}. {REPAIR_HINT}")
        self.problem = problem  # without the fix, for a build report that has just applied it
        self.names = tuple(names)  # the damaged files, relative to the version folder


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
    # Named entities of each sentence ((start, end, label), document offsets), found by spaCy at build;
    # None for an index built before they were recorded (the reader then finds them on first use).
    entities: list | None = None
    bm25: object = None
    faiss: object = None
    path: Path | None = None
    memo: dict = field(default_factory=dict, repr=False)  # see cached()

    def cached(self, key: tuple, compute):
        """Compute once per index what depends only on the indexed text (analysed terms, leads)."""
        try:
            return self.memo[key]  # the reader asks a few hundred times per question: one lookup
        except KeyError:
            known = self._from_rows(key)
            self.memo[key] = compute() if known is None else known
            return self.memo[key]

    def _from_rows(self, key: tuple):
        """What the reader memoises per document (its sentence ids; its entities, sorted), read from a loaded
        index's row arrays: the same values as the reader's own pass over every sentence, which at 10^6
        passages would take seconds for each new document."""
        if len(key) != 2 or key[0] not in ("source_sentences", "entities_by_source") \
                or getattr(self.sentences, "table", None) is None or not isinstance(self.documents, StoredDocuments):
            return None
        ids = self.source_sentence_ids(key[1])
        if key[0] == "source_sentences":
            return ids
        ents = sorted(e for i in ids for e in self.entities[i]) if self.entities is not None else []
        return [e[0] for e in ents], ents

    def source_sentence_ids(self, source: str) -> list[int]:
        """Ids of the sentences of one document, in order."""
        table = getattr(self.sentences, "table", None)
        if table is None or not isinstance(self.documents, StoredDocuments):
            return [i for i, s in enumerate(self.sentences) if s.source == source]
        if "sentence_order" not in self.memo:  # sentence ids grouped by document
            column = np.asarray(table[:, 0])
            order = np.argsort(column, kind="stable")
            self.memo["sentence_order"] = (order, column[order])
        order, docs = self.memo["sentence_order"]
        d = self.documents.position(source)
        if d is None:
            return []
        return order[np.searchsorted(docs, d, "left"):np.searchsorted(docs, d, "right")].tolist()

    @property
    def model_name(self) -> str:
        return self.manifest["model"]["name"]

    def idf(self, term: str) -> float:
        return self.idf_df(self.term_df.get(term, 0))

    def idf_df(self, df: int) -> float:
        """BM25's IDF for a term found in `df` of the chunks."""
        n = max(len(self.chunks), 1)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


# What the encoder is given (recorded in the manifest): vectors of an index embedded another way
# are not reused, even for unchanged documents.
EMBEDDED_TEXT = "title + passage; sentences; glued words split (v2)"

# How the sentence vectors were made (manifest "sentence_vectors"; an index without the key embedded
# every sentence alone). Vectors made one way are never reused by a build that makes them the other.
# Alone is the default: pooling halves the build but picks worse sentences (README, "Speed").
SENTENCE_POOLED = "pooled: mean of the passage's token vectors inside the sentence, one forward pass (v1)"
SENTENCE_ALONE = "alone: each sentence encoded as its own passage"


def sentence_vectors_made(manifest: dict) -> str:
    """How an index's sentence vectors were made (SENTENCE_ALONE for indexes that predate the record)."""
    return manifest.get("sentence_vectors", SENTENCE_ALONE)


# The named entities stored per sentence (recorded in the manifest): an index without them is refused
# for serving and completed by `askjobs index`, so no question ever parses the corpus.
# v2: indexes of v1 recorded the key but, through a lost argument, never stored the entities.
# v3: noun phrases (label NP) stored beside the entities (nlp.ANALYSIS, owned by the reader).
ENTITIES = ANALYSIS


def passage_text(doc: Document, chunk: Chunk) -> str:
    """What gets embedded and indexed for a chunk: its document title, then its text, glued words split."""
    if chunk.text.startswith(doc.title):
        return unglue(chunk.text)
    return unglue(f"{doc.title}\n{chunk.text}")


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
    skipped: Sequence[dict] = (),
    reuse: "Index | None" = None,
    progress: Callable[[str, int], None] | None = None,
    encode_spans: Callable | None = None,
) -> Index:
    """Embed chunks and sentences (reusing vectors of unchanged documents) and index them.

    With `encode_spans` (an encoder's encode_passages_with_spans), each sentence's vector is pooled from
    the forward pass of one passage that contains it; without (the default), every sentence is encoded alone.
    """
    docs = {d.source: d for d in documents}
    dim = int(model["dim"])
    sentences = _indexed_sentences(documents, chunks)
    chunk_sentences = _chunk_sentences(chunks, sentences)
    texts = [passage_text(docs[c.source], c) for c in chunks]
    how = SENTENCE_POOLED if encode_spans is not None else SENTENCE_ALONE
    known_chunks = _reusable(reuse, docs, "chunks")
    known_sentences = _reusable(reuse, docs, "sentences") \
        if reuse is not None and sentence_vectors_made(reuse.manifest) == how else {}
    if encode_spans is None:
        chunk_vectors = _embed_reusing(texts, [(c.source, c.start, c.end) for c in chunks], encode_passages,
                                       known_chunks, progress, "passages")
        sentence_vectors = _embed_reusing([unglue(s.text) for s in sentences],
                                          [(s.source, s.start, s.end) for s in sentences],
                                          encode_passages, known_sentences, progress, "phrases")
    else:
        chunk_vectors, sentence_vectors = _embed_pooling(docs, chunks, texts, sentences, chunk_sentences, dim,
                                                         encode_spans, encode_passages, known_chunks,
                                                         known_sentences, progress)
    entities = _entities_reusing(sentences, reuse, docs)
    manifest = {
        "askjobs_version": __version__,
        "format": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model,
        "chunking": chunking,
        "analyzer": ANALYZER,
        "embedded_text": EMBEDDED_TEXT,
        "sentence_vectors": how,
        "entities": ENTITIES,
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sentences)},
        "documents": [
            {"source": d.source, "title": d.title, "date": d.date, "hash": d.hash, "chars": len(d.text),
             "file_hash": (file_hashes or {}).get(d.source)}
            for d in documents
        ],
        # Files left out and why; those with a file_hash are re-examined only when their bytes change.
        "skipped": list(skipped),
    }
    if chunk_vectors.shape[1:] != (dim,) and len(chunks):
        raise ValueError(f"the encoder returned vectors of size {chunk_vectors.shape[1]}, expected {dim}")
    index = Index(manifest, docs, list(chunks), chunk_vectors, sentences, sentence_vectors,
                  chunk_sentences, _term_df(texts), entities=entities)
    _attach_searchers(index, texts)
    return index


def _entities_reusing(sentences: Sequence[Sentence], reuse: "Index | None", docs: dict[str, Document]) -> list:
    """Named entities of every sentence: kept for unchanged documents, found by spaCy for the others."""
    from .nlp import sentence_entities

    known = {}
    if reuse is not None and reuse.entities is not None and len(reuse.entities) == len(reuse.sentences) \
            and reuse.manifest.get("entities") == ENTITIES:  # an older analysis is redone, not kept
        same = {s for s, d in docs.items() if s in reuse.documents and reuse.documents[s].hash == d.hash}
        known = {(s.source, s.start, s.end): e for s, e in zip(reuse.sentences, reuse.entities) if s.source in same}
    missing = [i for i, s in enumerate(sentences) if (s.source, s.start, s.end) not in known]
    found = dict(zip(missing, sentence_entities([sentences[i].text for i in missing],
                                                [sentences[i].start for i in missing])))
    return [found[i] if i in found else known[(s.source, s.start, s.end)] for i, s in enumerate(sentences)]


def _reusable(reuse: "Index | None", docs: dict[str, Document], kind: str) -> dict:
    """Vectors of the old index keyed by (source, start, end), for documents whose text is unchanged."""
    if reuse is None or reuse.manifest.get("embedded_text") != EMBEDDED_TEXT:
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


def _embed_pooling(docs, chunks, texts, sentences, chunk_sentences, dim: int, encode_spans, encode_alone,
                   known_chunks: dict, known_sentences: dict, progress) -> tuple[np.ndarray, np.ndarray]:
    """Passage and sentence vectors from one forward pass per passage (vectors of unchanged documents kept).

    Each new sentence is pooled out of its home passage (see _sentence_homes), which is run even when its
    own vector is kept (a repaired index that lost only its sentence vectors). A sentence no passage holds
    whole, or that a passage's tokens stop before (truncation), is encoded alone.
    """
    chunk_keys = [(c.source, c.start, c.end) for c in chunks]
    missing = [i for i, s in enumerate(sentences) if (s.source, s.start, s.end) not in known_sentences]
    homes = _sentence_homes(chunks, sentences, chunk_sentences, missing)
    run = sorted({i for i, k in enumerate(chunk_keys) if k not in known_chunks} | set(homes.values()))
    spans: dict[int, list[tuple[int, tuple[int, int]]]] = {r: [] for r in run}  # chunk → (sentence, span)
    alone = [i for i in missing if i not in homes]
    for r in run:
        pieces = [i for i in chunk_sentences[r] if homes.get(i) == r]
        where = _passage_positions(docs[chunks[r].source], chunks[r], texts[r]) if pieces else None
        for i in pieces:
            if where is None:  # the passage text is not the chunk with spaces added: never guess
                alone.append(i)
                continue
            a, b = sentences[i].start - chunks[r].start, sentences[i].end - chunks[r].start
            spans[r].append((i, (where[a], where[b - 1] + 1)))
    if progress:
        progress("passages", len(run))
    fresh, pooled = encode_spans([texts[r] for r in run], [[span for _, span in spans[r]] for r in run]) \
        if run else (np.zeros((0, dim), np.float32), [])
    if fresh.shape[1:] != (dim,):
        raise ValueError(f"the encoder returned vectors of size {fresh.shape[1:]}, expected {dim}")
    chunk_vectors = np.empty((len(chunks), dim), dtype=np.float32)
    sentence_vectors = np.empty((len(sentences), dim), dtype=np.float32)
    for j, r in enumerate(run):
        chunk_vectors[r] = fresh[j]
        for (i, _), vec in zip(spans[r], pooled[j]):
            if vec is None:
                alone.append(i)
            else:
                sentence_vectors[i] = vec
    for i, k in enumerate(chunk_keys):
        if k in known_chunks:
            chunk_vectors[i] = known_chunks[k]
    for i, s in enumerate(sentences):
        if (s.source, s.start, s.end) in known_sentences:
            sentence_vectors[i] = known_sentences[(s.source, s.start, s.end)]
    alone.sort()
    if progress:
        progress("phrases", len(alone))
    if alone:
        sentence_vectors[alone] = encode_alone([unglue(sentences[i].text) for i in alone])
    return chunk_vectors, sentence_vectors


def _sentence_homes(chunks: Sequence[Chunk], sentences: Sequence[Sentence], chunk_sentences: Sequence[Sequence[int]],
                    wanted: Sequence[int]) -> dict[int, int]:
    """For each wanted sentence, the chunk that holds it whole and where it is most central (the most
    context on its poorer side); sentences no chunk holds whole have none."""
    wanted = set(wanted)
    best: dict[int, tuple[int, int]] = {}  # sentence → (margin, chunk)
    for r, ids in enumerate(chunk_sentences):
        c = chunks[r]
        for i in ids:
            s = sentences[i]
            if i in wanted and c.start <= s.start and s.end <= c.end:
                margin = min(s.start - c.start, c.end - s.end)
                if i not in best or margin > best[i][0]:
                    best[i] = (margin, r)
    return {i: r for i, (_, r) in best.items()}


def _passage_positions(doc: Document, chunk: Chunk, text: str) -> list[int] | None:
    """Where each character of the chunk lies in its passage text (title, then the chunk, glued words
    split by inserting spaces); None when the passage text is not that."""
    raw = chunk.text if chunk.text.startswith(doc.title) else f"{doc.title}\n{chunk.text}"
    base = len(raw) - len(chunk.text)
    out, j = [], 0
    for ch in raw:
        while j < len(text) and text[j] != ch and text[j] == " ":
            j += 1
        if j >= len(text) or text[j] != ch:
            return None
        out.append(j)
        j += 1
    return out[base:]


def _chunk_sentences(chunks: Sequence[Chunk], sentences: Sequence[Sentence]) -> list[list[int]]:
    """Ids of the sentences overlapping each chunk; a binary search per chunk, not a scan of its document."""
    by_source: dict[str, list[int]] = {}
    for i, s in enumerate(sentences):
        by_source.setdefault(s.source, []).append(i)
    ends = {src: [sentences[i].end for i in ids] for src, ids in by_source.items()}  # sorted: sentences follow
    out = []
    for c in chunks:
        ids = by_source.get(c.source, [])
        j = bisect.bisect_right(ends.get(c.source, []), c.start)  # first sentence ending after the chunk starts
        inside = []
        while j < len(ids) and sentences[ids[j]].start < c.end:
            inside.append(ids[j])
            j += 1
        out.append(inside)
    return out


def _indexed_sentences(documents: Sequence[Document], chunks: Sequence[Chunk]) -> list[Sentence]:
    """Every sentence of the documents that some chunk covers (all of them, but in a run the chunker
    left out: the tail of an enormous "word" is neither chunked nor embedded sentence by sentence)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for c in chunks:
        spans.setdefault(c.source, []).append((c.start, c.end))
    out = []
    for d in documents:
        covered = sorted(spans.get(d.source, []))
        j, reach = 0, -1  # reach: the furthest end of the chunks starting before the sentence ends
        for s in sentences_of(d):
            while j < len(covered) and covered[j][0] < s.end:
                reach = max(reach, covered[j][1])
                j += 1
            if reach > s.start:
                out.append(s)
    return out


def _term_df(texts: Sequence[str]) -> dict[str, int]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update(set(analyze(t)))
    return dict(df)


# Above this many passages the dense search is approximate (see README, "Scale"): an inverted file of
# 8-bit quantised vectors finds candidates, re-ranked by the exact vectors (kept whole beside it).
APPROX_MIN_PASSAGES = 50_000
# The share of the ≈ 4·√n lists searched per query. Measured at 10^5 PIAF-derived passages, 200 PIAF
# questions: recall@10 against exact search 0.912 with 32 lists, 0.989 with a fifth, 0.998 with a
# third (13 ms a question, exact search 83 ms; `askjobs bench scale`, README "Scale").
APPROX_PROBED = 1 / 3
APPROX_REFINE = 4  # exact re-ranking of k × this many quantised candidates


def dense_index(vectors: np.ndarray, dim: int, *, approx_min: int | None = None):
    """Inner-product search over the passage vectors (normalised: cosine): exact up to APPROX_MIN_PASSAGES,
    then an IVF of 8-bit codes whose candidates are re-ranked with the exact vectors."""
    import faiss

    n = len(vectors)
    if n < (APPROX_MIN_PASSAGES if approx_min is None else approx_min):
        flat = faiss.IndexFlatIP(dim)
        if n:
            flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return flat
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # faiss wants ≥ 39 training points per list
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False)]
    ivf.train(sample)
    ivf.nprobe = max(1, min(nlist, round(nlist * APPROX_PROBED)))
    refined = faiss.IndexRefineFlat(ivf)
    refined.k_factor = APPROX_REFINE
    refined.add(vectors)  # to the IVF (as 8-bit codes) and to the exact flat index beside it
    return refined


def dense_kind(searcher) -> dict:
    """What the manifest records about the dense index."""
    import faiss

    if isinstance(searcher, faiss.IndexRefine):
        ivf = faiss.extract_index_ivf(faiss.downcast_index(searcher.base_index))
        return {"kind": "ivf-sq8+refine", "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe),
                "k_factor": float(searcher.k_factor)}
    return {"kind": "flat"}


def is_exact(searcher) -> bool:
    """True when the dense index scores every passage exactly (a flat index)."""
    import faiss

    return searcher is None or not isinstance(searcher, faiss.IndexRefine)


def stored_vectors(searcher) -> np.ndarray:
    """The passage vectors a FAISS index holds, as a numpy view (no copy of what may be gigabytes)."""
    import faiss

    if isinstance(searcher, faiss.IndexRefine):  # the exact vectors beside the approximate index
        searcher = faiss.downcast_index(searcher.refine_index)
    flat = faiss.downcast_index(searcher.storage) if hasattr(searcher, "storage") else searcher
    if not flat.ntotal:
        return np.zeros((0, flat.d), np.float32)
    return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)


def _attach_searchers(index: Index, texts: Sequence[str] | None = None) -> None:
    dim = int(index.manifest["model"]["dim"])
    index.faiss = dense_index(index.chunk_vectors, dim)
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
    """Write `index` as a new version folder, then switch CURRENT to it atomically (see publish_version)."""
    final = publish_version(index_dir, lambda folder: _write_version(index, folder), keep)
    index.path = final
    return final


def publish_version(index_dir: Path, write: Callable[[Path], dict], keep: int = 2) -> Path:
    """Fill a fresh version folder with `write(folder)` (which returns the manifest it wrote, see
    finish_version), then switch CURRENT to it atomically.

    When writing fails (disk full, read-only folder), the half-written version is removed, CURRENT still
    names the previous version, and IndexError_ says why in French.
    """
    index_dir = Path(index_dir)
    versions = index_dir / "versions"
    # Names sort in creation order (pruning keeps the newest): UTC second, then nanoseconds, then pid.
    now = time.time_ns()
    name = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-{os.getpid()}"
    tmp, final = versions / f".tmp-{name}", versions / name
    pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    try:
        versions.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        manifest = write(tmp)
        os.replace(tmp, final)
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, index_dir / CURRENT)
    except (OSError, RuntimeError) as exc:  # faiss raises RuntimeError when its write fails
        reason = _write_failure(exc, index_dir)  # before cleaning up: a full disk is still full now
        for leftover in (tmp, final):
            shutil.rmtree(leftover, ignore_errors=True)
        pointer_tmp.unlink(missing_ok=True)
        raise IndexError_(f"Impossible d'écrire l'index dans {index_dir} ({reason}). L'index précédent, s'il "
                          "existe, est conservé tel quel.") from None
    _fsync_dir(index_dir)
    record_verified(final, manifest)  # checksums computed from the bytes just written
    _prune(versions, keep_names={name}, keep=keep)
    return final


def _write_failure(exc: Exception, index_dir: Path) -> str:
    """Why writing the index failed, in French. numpy ("44160 requested and 42976 written") and faiss
    report a full disk without an errno: the free space tells."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_reason(exc)
    with contextlib.suppress(OSError):
        if shutil.disk_usage(index_dir).free < 1024 * 1024:
            return os_reason(OSError(errno.ENOSPC, "No space left on device"))
    first = (str(exc).splitlines() or [""])[0][:160]
    return f"écriture impossible : {first}"


def _write_version(index: Index, folder: Path) -> dict:
    """Every file of a version, the manifest last, flushed to disk; returns the manifest written."""
    import faiss

    faiss.write_index(index.faiss, str(folder / "dense.faiss"))
    np.save(folder / "sentences.npy", index.sentence_vectors, allow_pickle=False)
    index.bm25.save(str(folder / "bm25"), show_progress=False)
    write_jsonl(folder / "documents.jsonl", (document_row(d) for d in index.documents.values()))
    write_jsonl(folder / "chunks.jsonl", (chunk_row(c) for c in index.chunks))
    write_jsonl(folder / "sentences.jsonl", (sentence_row(s) for s in index.sentences))
    (folder / "terms.json").write_text(json.dumps(index.term_df, ensure_ascii=False), encoding="utf-8")
    if index.entities is not None:
        write_jsonl(folder / "entities.jsonl", (entities_row(ents) for ents in index.entities))
    write_rows(index, folder)
    index.manifest = finish_version(folder, index.manifest, index.faiss)
    return index.manifest


# One line of documents.jsonl, chunks.jsonl, sentences.jsonl and entities.jsonl (shared with the scale
# benchmark, which writes a version in batches).

def document_row(d: Document) -> dict:
    return {"source": d.source, "title": d.title, "date": d.date, "pages": list(d.pages), "metadata": d.metadata,
            "text": d.text}


def chunk_row(c: Chunk) -> dict:
    return {"chunk_id": c.chunk_id, "source": c.source, "start": c.start, "end": c.end}


def sentence_row(s: Sentence) -> dict:
    return {"source": s.source, "start": s.start, "end": s.end}


def entities_row(ents) -> dict:
    """One sentence's named entities: {"e": [[start, end, label], …]}."""
    return {"e": [list(e) for e in ents]}


def finish_version(folder: Path, manifest: dict, dense) -> dict:
    """Write the manifest of a version whose other files are written, then flush the folder to disk.

    The manifest is written last: a folder without one is never a valid version. It records the dense
    index's kind and the size and SHA-256 of every other file, and manifest.sha256 its own, so any
    damage is seen on loading. Returns the manifest as written."""
    manifest = {**manifest, "dense_index": dense_kind(dense), "files": file_digests(folder)}
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (folder / MANIFEST).write_bytes(manifest_bytes)
    (folder / MANIFEST_SUM).write_text(hashlib.sha256(manifest_bytes).hexdigest() + "\n", encoding="ascii")
    _fsync_tree(folder)
    uncache_row_files(folder)
    return manifest


def uncache_row_files(folder: Path) -> None:
    """Drop from the page cache the flushed pages of the files a loaded index maps and reads row by row
    (sentence vectors, documents, row arrays). Pages cached by writing are large blocks (ext4, Linux 6.18),
    and a process mapping the file maps a whole block for each row it reads: right after a build of 10^6
    passages, 100 questions made 5.6 GB of sentences.npy resident in the asking process, against 0.2 GB
    once read from disk row by row (see _random_access)."""
    for path in (folder / "sentences.npy", folder / "documents.jsonl", *sorted((folder / ROWS).glob("*.npy"))):
        with contextlib.suppress(OSError, AttributeError):  # no such file, or no posix_fadvise here
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush a new version's files to disk before it is published, so a crash cannot publish holes."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
        elif path.is_dir():
            _fsync_dir(path)
    _fsync_dir(folder)


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
    """Delete old versions, keeping the newest few (index_lock already removed abandoned .tmp- folders)."""
    olds = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for p in olds[keep:]:
        if p.name not in keep_names:
            shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[Path]:
    """Hold index/.lock for one build; a second build at the same time fails at once with a clear message.

    flock is released by the kernel when the process dies, even by SIGKILL, so a lock never goes stale.
    """
    import fcntl

    index_dir = Path(index_dir)
    lock_path = index_dir / ".lock"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")
    except OSError as exc:
        raise IndexReadOnlyError(f"Le dossier de l'index {index_dir} n'est pas accessible en écriture "
                                 f"({os_reason(exc)})") from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"Une autre indexation est déjà en cours sur {index_dir} (verrou {lock_path}). "
                "Attendez qu'elle se termine, puis relancez `askjobs index` si besoin.") from None
        with contextlib.suppress(OSError):  # the pid is for people; a full disk must not stop here
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
        # Holding the lock, nothing else is writing: leftovers of killed builds can go.
        for p in (index_dir / "versions").glob(".tmp-*"):
            shutil.rmtree(p, ignore_errors=True)
        for p in index_dir.glob(f".{CURRENT}.*"):
            p.unlink(missing_ok=True)
        yield lock_path
    finally:
        fh.close()  # releases the lock


def _read_jsonl(path: Path) -> list[dict]:
    return [row for _, row in iter_jsonl(path, "de l'index")]


def current_version(index_dir: Path) -> Path | None:
    """The folder CURRENT points to, or None when no index was built yet."""
    pointer = Path(index_dir) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        versions = Path(index_dir) / "versions"
        if versions.is_dir() and any(not p.name.startswith(".") for p in versions.iterdir()):
            raise IndexError_(f"Le pointeur {pointer} manque alors que des versions de l'index existent dans "
                              f"{versions}. {REPAIR_HINT}") from None
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexError_(f"Le pointeur {pointer} est illisible ({exc}). {REPAIR_HINT}") from exc
    if not name or "/" in name or name.startswith("."):
        raise IndexError_(f"Le pointeur {pointer} ne désigne pas une version valide ({name!r}). {REPAIR_HINT}")
    return Path(index_dir) / "versions" / name


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest of the current version (None when no index was built), checked for shape."""
    version = current_version(index_dir)
    if version is None:
        return None
    if not version.is_dir():
        raise IndexError_(f"La version {version.name} désignée par {Path(index_dir) / CURRENT} n'existe pas. "
                          f"{REPAIR_HINT}")
    return version_manifest(version)


def version_manifest(version: Path) -> dict:
    """The manifest of one version folder, checked for shape."""
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"Le manifeste de l'index {version / MANIFEST} est illisible ({exc}). {REBUILD_HINT}") from exc
    check_manifest(manifest, version)
    return manifest


# Keys a manifest must have, with their type; checked before anything is trusted.
_MANIFEST_KEYS = {"format": int, "model": dict, "chunking": dict, "counts": dict, "documents": list}


def check_manifest(manifest: object, version: Path) -> None:
    """Raise IndexError_ naming the first problem of a manifest (e.g. edited by hand)."""
    where = f"Le manifeste {version / 'manifest.json'}"

    def bad(problem: str) -> IndexError_:
        return IndexError_(f"{where} est invalide : {problem}. {REBUILD_HINT}")

    if not isinstance(manifest, dict):
        raise bad(f"un objet JSON est attendu, pas {type(manifest).__name__}")
    for key, kind in _MANIFEST_KEYS.items():
        if key not in manifest:
            raise bad(f"la clé « {key} » manque")
        if not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            raise bad(f"« {key} » devrait être de type {kind.__name__}, trouvé {manifest[key]!r:.60}")
    if manifest["format"] != FORMAT_VERSION:
        raise IndexError_(f"L'index {version} est au format {manifest['format']!r}, cette version d'askjobs "
                          f"attend le format {FORMAT_VERSION}. {REBUILD_HINT}")
    model = manifest["model"]
    if not isinstance(model.get("name"), str) or not model["name"]:
        raise bad("« model.name » manque ou est vide")
    if not isinstance(model.get("dim"), int) or isinstance(model.get("dim"), bool) or model["dim"] <= 0:
        raise bad(f"« model.dim » doit être un entier positif, trouvé {model.get('dim')!r}")
    for i, entry in enumerate(manifest["documents"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("source"), str) \
                or not isinstance(entry.get("hash"), str):
            raise bad(f"l'entrée n° {i + 1} de « documents » n'a pas de « source » et de « hash »")
    skipped = manifest.get("skipped", [])
    if not isinstance(skipped, list) or not all(isinstance(e, dict) and isinstance(e.get("source"), str)
                                                and isinstance(e.get("reason"), str) for e in skipped):
        raise bad("« skipped » doit être une liste d'objets avec « source » et « reason »")


_VERSION_FILES = ("manifest.json", "documents.jsonl", "chunks.jsonl", "sentences.jsonl", "terms.json",
                  "dense.faiss", "sentences.npy")


def check_version_files(version: Path, manifest: dict) -> None:
    """Cheap integrity check without loading anything: every file there, vector files as large as announced."""
    for name in _VERSION_FILES:
        if not (version / name).is_file():
            raise IndexError_(f"Le fichier {version / name} manque. {REBUILD_HINT}")
    if not (version / "bm25").is_dir() or not any((version / "bm25").iterdir()):
        raise IndexError_(f"L'index lexical {version / 'bm25'} manque. {REBUILD_HINT}")
    try:
        dim = manifest["model"]["dim"]
        expected = {"dense.faiss": int(manifest["counts"]["chunks"]),
                    "sentences.npy": int(manifest["counts"]["sentences"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexError_(f"Le manifeste {version / 'manifest.json'} est invalide : « counts » incomplet "
                          f"({exc}). {REBUILD_HINT}") from exc
    approximate = manifest.get("dense_index", {}).get("kind", "flat") != "flat"
    for name, rows in expected.items():
        size, data = (version / name).stat().st_size, 4 * dim * rows  # float32 vectors after a short header
        low = data // 2 if name == "sentences.npy" else data  # sentence vectors may be stored as float16
        if not low <= size <= (data + 256 if not (approximate and name == "dense.faiss") else 3 * data + 2**20):
            raise IndexError_(f"Le fichier des vecteurs {version / name} ({size} octets) ne correspond pas au "
                              f"manifeste ({rows} vecteurs de dimension {dim}). {REBUILD_HINT}")


def file_digests(folder: Path) -> dict[str, dict]:
    """Size and SHA-256 of every file of a version folder but the manifest, by POSIX path inside it."""
    out = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in (MANIFEST, MANIFEST_SUM):
            out[name] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return out


# Files at least this large are not re-read on every load once fully verified (see damaged_files).
TRUSTED_BYTES = 1 << 20
VERIFIED = ".verified"  # index/.verified/<version>.json: what was last fully verified, and the files' stat


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _verified_path(version: Path) -> Path:
    return version.parent.parent / VERIFIED / f"{version.name}.json"


def _verified_files(version: Path) -> dict:
    """The large files of a version fully verified earlier, with their checksum and stat then."""
    try:
        return json.loads(_verified_path(version).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_verified(version: Path, manifest: dict) -> None:
    """Note the stat of the large files whose checksums were just compared (or just written) in full."""
    recorded = manifest.get("files")
    if not isinstance(recorded, dict):
        return
    with contextlib.suppress(OSError):  # a read-only index is verified in full on every load instead
        out = {name: {"sha256": entry["sha256"], "stat": _stat_key(version / name)}
               for name, entry in recorded.items()
               if isinstance(entry, dict) and entry.get("bytes", 0) >= TRUSTED_BYTES}
        folder = _verified_path(version).parent
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{version.name}.{os.getpid()}"
        tmp.write_text(json.dumps(out), encoding="utf-8")
        os.replace(tmp, _verified_path(version))
        for old in folder.glob("*.json"):  # records of pruned versions
            if not (version.parent / old.stem).is_dir():
                old.unlink(missing_ok=True)


def damaged_files(version: Path, manifest: dict, *, checksums: bool = True,
                  trust_unchanged: bool = False) -> dict[str, str]:
    """Files of a version that differ from what its manifest records, each with the problem in French.

    Sizes are always compared; with `checksums`, contents too (the whole index is read once). With
    `trust_unchanged` (loading), a large file whose checksum was verified in full before, on this
    machine, and whose size, modification time and inode have not changed since, is not read again:
    what changes a file through the file system changes its modification time.
    An index written before checksums were recorded has nothing to compare and reports nothing.
    """
    recorded = manifest.get("files")
    if not isinstance(recorded, dict):
        return {}
    trusted = _verified_files(version) if trust_unchanged else {}
    problems: dict[str, str] = {}
    sum_path = version / MANIFEST_SUM
    try:
        expected = sum_path.read_text(encoding="ascii").strip()
        if checksums and expected != sha256_file(version / MANIFEST):
            problems[MANIFEST] = "son contenu ne correspond plus à sa somme de contrôle (manifest.sha256)"
    except FileNotFoundError:
        problems[MANIFEST_SUM] = "le fichier manque"
    except (OSError, UnicodeDecodeError) as exc:
        problems[MANIFEST_SUM] = f"illisible ({exc})"
    for name, entry in recorded.items():
        path = version / name
        try:
            size = path.stat().st_size
            if not isinstance(entry, dict) or size != entry.get("bytes"):
                problems[name] = f"{size} octets au lieu des {entry.get('bytes') if isinstance(entry, dict) else '?'} " \
                                 "enregistrés dans le manifeste"
            elif checksums and not _unchanged(path, name, entry, trusted) and sha256_file(path) != entry.get("sha256"):
                problems[name] = "son contenu ne correspond plus à la somme de contrôle du manifeste"
        except FileNotFoundError:
            problems[name] = "le fichier manque"
        except OSError as exc:
            problems[name] = f"illisible ({exc.strerror or exc})"
    for path in version.rglob("*"):
        name = path.relative_to(version).as_posix()
        if path.is_file() and name not in recorded and name not in (MANIFEST, MANIFEST_SUM):
            problems[name] = "fichier inconnu du manifeste (ajouté après la construction)"
    return problems


def _unchanged(path: Path, name: str, entry: dict, trusted: dict) -> bool:
    seen = trusted.get(name)
    try:
        return bool(seen) and seen.get("sha256") == entry.get("sha256") and seen.get("stat") == _stat_key(path)
    except OSError:
        return False


def verify_version(version: Path, manifest: dict, *, checksums: bool = True, trust_unchanged: bool = False) -> None:
    """Raise IndexDamagedError naming each damaged file of a version (see damaged_files)."""
    problems = damaged_files(version, manifest, checksums=checksums, trust_unchanged=trust_unchanged)
    if problems:
        detail = " ; ".join(f"{version / name} : {why}" for name, why in sorted(problems.items()))
        raise IndexDamagedError(f"L'index est endommagé ({detail})", sorted(problems))


def load_index(index_dir: Path, *, model_name: str | None = None) -> Index:
    """Load the current index version; mismatches and damage raise IndexError_ with the fix.

    Every file is checked against the size and checksum its manifest records: damage is an error naming
    the file and the fix, never answers drawn from altered data. Large files already verified in full
    and unchanged since (same size, modification time, inode) are not re-read (see damaged_files);
    `askjobs index --check` re-reads everything. Vectors and row arrays are memory-mapped, and
    passages, sentences and documents become Python objects only when read.
    """
    index_dir = Path(index_dir)
    version = current_version(index_dir)
    if version is None:
        raise IndexError_(f"Aucun index trouvé dans {index_dir}. Lancez `askjobs index` pour le construire.")
    manifest = read_manifest(index_dir)
    if model_name is not None and manifest["model"]["name"] != model_name:
        raise IndexError_(
            f"L'index a été construit avec le modèle {manifest['model']['name']!r}, mais le modèle "
            f"configuré est {model_name!r}. {REBUILD_HINT}")
    if manifest.get("analyzer") != ANALYZER:
        raise IndexError_(f"L'index a été construit avec une version antérieure de l'analyse lexicale "
                          f"d'askjobs. Lancez `askjobs index` pour le mettre à jour.")
    if manifest.get("entities") != ENTITIES:
        raise IndexError_("L'index a été construit sans les entités nommées que lit la version actuelle "
                          "d'askjobs. Lancez `askjobs index` pour le compléter (les vecteurs sont gardés).")
    if manifest.get("embedded_text") != EMBEDDED_TEXT:  # vectors of other texts would rank silently wrong
        raise IndexError_(f"Les vecteurs de l'index ont été calculés sur un texte préparé autrement "
                          f"({manifest.get('embedded_text')!r}). Lancez `askjobs index` pour le mettre à jour.")
    verify_version(version, manifest, trust_unchanged=True)
    record_verified(version, manifest)
    try:
        return _load_version(version, manifest)
    except IndexError_:
        raise
    except Exception as exc:  # any damage (truncated, edited, missing file) becomes one clear message
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise IndexError_(f"L'index {version} est endommagé ou incomplet ({type(exc).__name__}: {detail}). "
                          f"{REBUILD_HINT}") from exc


def _load_version(version: Path, manifest: dict) -> Index:
    import bm25s

    dim = manifest["model"]["dim"]
    if (version / ROWS).is_dir():  # rows as arrays: nothing is parsed per passage or sentence
        docs, chunks, sentences, chunk_sentences, entities = read_rows(version, manifest)
        flat = _read_faiss(version, len(chunks), dim)
        sentence_vectors = _read_sentence_vectors(version, len(sentences), dim)
        chunk_vectors = stored_vectors(flat)
    else:  # an index written before the arrays
        docs = _read_documents(version, manifest)
        chunks, chunk_vectors, flat = _read_chunks(version, docs, dim)
        sentences, sentence_vectors = _read_sentences(version, docs, dim)
        chunk_sentences = _chunk_sentences(chunks, sentences)
        entities = _read_entities(version, len(sentences))
    bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False, mmap=True)
    term_df = json.loads((version / "terms.json").read_text(encoding="utf-8"))
    return Index(manifest, docs, chunks, chunk_vectors, sentences, sentence_vectors, chunk_sentences, term_df,
                 bm25=bm25, faiss=flat, path=version, entities=entities)


# --- Rows as arrays ------------------------------------------------------------------------------
# What chunks.jsonl, sentences.jsonl and entities.jsonl say, also written as numpy arrays in rows/:
# a loaded index memory-maps them and makes a Chunk or Sentence only when one is read, so loading
# 10^6 passages and their 6 × 10^6 sentences builds no Python object per row.

ROWS = "rows"


def write_rows(index: Index, folder: Path) -> None:
    """The row arrays of a version (see ROWS); documents.jsonl must be written already."""
    order = {src: i for i, src in enumerate(index.documents)}
    spans = lambda items: np.array([(order[x.source], x.start, x.end) for x in items],  # noqa: E731
                                   np.int64).reshape(-1, 3)
    entities = None
    if index.entities is not None:
        labels = sorted({e[2] for ents in index.entities for e in ents})
        code = {label: i for i, label in enumerate(labels)}
        entities = (labels, [len(e) for e in index.entities],
                    np.array([(a, b, code[label]) for ents in index.entities for a, b, label in ents], np.int64))
    save_rows(folder, list(index.documents), spans(index.chunks), [c.chunk_id for c in index.chunks],
              spans(index.sentences), [len(sids) for sids in index.chunk_sentences],
              np.array([i for sids in index.chunk_sentences for i in sids], np.int64), entities)


def save_rows(folder: Path, sources: Sequence[str], chunk_spans: np.ndarray, chunk_ids: Sequence[str],
              sentence_spans: np.ndarray, chunk_sentence_counts: Sequence[int], chunk_sentence_ids: np.ndarray,
              entities: tuple | None) -> None:
    """Write rows/ from arrays: spans are (document position, start, end) rows, sources in documents.jsonl's
    order (written already); `entities` is (labels, count per sentence, (start, end, label code) rows) or None."""
    rows = folder / ROWS
    rows.mkdir()
    np.save(rows / "document_sources.npy", np.array(sources, dtype=str), allow_pickle=False)
    data = np.fromfile(folder / "documents.jsonl", np.uint8)
    offsets = np.concatenate([[0], np.flatnonzero(data == 10) + 1]).astype(np.int64)  # one document per line
    del data
    np.save(rows / "document_offsets.npy", offsets, allow_pickle=False)
    ptr = lambda counts: np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)  # noqa: E731
    np.save(rows / "chunks.npy", np.asarray(chunk_spans, np.int64).reshape(-1, 3), allow_pickle=False)
    np.save(rows / "chunk_ids.npy", np.array(chunk_ids, dtype=str), allow_pickle=False)
    np.save(rows / "sentences.npy", np.asarray(sentence_spans, np.int64).reshape(-1, 3), allow_pickle=False)
    np.save(rows / "chunk_sentence_ptr.npy", ptr(chunk_sentence_counts), allow_pickle=False)
    np.save(rows / "chunk_sentence_ids.npy", np.asarray(chunk_sentence_ids, np.int64), allow_pickle=False)
    if entities is not None:
        labels, counts, codes = entities
        np.save(rows / "entity_labels.npy", np.array(labels, dtype=str), allow_pickle=False)
        np.save(rows / "entity_ptr.npy", ptr(counts), allow_pickle=False)
        np.save(rows / "entities.npy", np.asarray(codes, np.int64).reshape(-1, 3), allow_pickle=False)


class StoredDocuments(Mapping):
    """source → Document, read from documents.jsonl (memory-mapped) when first asked for.

    Each document is checked against the SHA-256 of its text the manifest records when it is read, so
    a damaged one raises IndexDamagedError instead of being quoted. The last documents read are kept.
    """

    KEEP = 4096

    def __init__(self, version: Path, sources: np.ndarray, offsets: np.ndarray, manifest: dict):
        self.path = version / "documents.jsonl"
        self._data = _random_access(np.memmap(self.path, np.uint8, mode="r")) if self.path.stat().st_size \
            else np.zeros(0, np.uint8)
        self._sources = [str(x) for x in sources]
        self._position = {src: i for i, src in enumerate(self._sources)}
        self._offsets = offsets
        self._hashes = {e["source"]: e["hash"] for e in manifest["documents"]}
        self._kept: dict[str, Document] = {}
        if set(self._hashes) != set(self._position) or len(offsets) != len(self._sources) + 1:
            raise IndexError_(f"L'index {version} contient {len(self._sources)} documents, son manifeste en "
                              f"annonce {len(self._hashes)}. {REBUILD_HINT}")

    def source_at(self, i: int) -> str:
        return self._sources[i]

    def position(self, source: str) -> int | None:
        return self._position.get(source)

    def __getitem__(self, source: str) -> Document:
        doc = self._kept.get(source)
        if doc is None:
            i = self._position[source]  # KeyError for an unknown source, as a dict
            try:
                row = json.loads(bytes(self._data[self._offsets[i]:self._offsets[i + 1]]).decode("utf-8"))
                doc = Document(row["source"], row["title"], row["text"], row.get("date"),
                               tuple(row.get("pages") or ()), row.get("metadata") or {})
            except (ValueError, KeyError, TypeError) as exc:
                raise IndexDamagedError(f"L'index est endommagé ({self.path} : le document {source!r} est "
                                        f"illisible, {type(exc).__name__})", ["documents.jsonl"]) from None
            if doc.source != source or doc.hash != self._hashes[source]:
                raise IndexDamagedError(f"L'index est endommagé ({self.path} : le document {source!r} ne "
                                        "correspond plus au manifeste)", ["documents.jsonl"])
            if len(self._kept) >= self.KEEP:
                self._kept.clear()
            self._kept[source] = doc
        return doc

    def __contains__(self, source: object) -> bool:
        return source in self._position

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


class StoredRows(Sequence):
    """A read-only sequence whose items are made from arrays when read (index.chunks, index.sentences, …)."""

    def __init__(self, n: int, make: Callable[[int], object], table: tuple | None = None):
        self._n, self._make = n, make
        self.table = table  # the arrays behind it, for code that works on them directly

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if type(i) is int and 0 <= i < self._n:  # the common case first: the reader reads rows one by one
            return self._make(i)
        if isinstance(i, slice):
            return [self._make(j) for j in range(*i.indices(self._n))]
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._make(i)

    def __iter__(self):
        return (self._make(i) for i in range(self._n))

    def __eq__(self, other: object) -> bool:  # as a list would compare
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # mutable-like: not hashable, as a list


def _array(path: Path) -> np.ndarray:
    """A memory-mapped array (a plain ndarray view: np.memmap's indexing costs microseconds per call)."""
    return np.asarray(_random_access(np.load(path, mmap_mode="r", allow_pickle=False))) \
        if path.stat().st_size > 4096 else np.load(path, allow_pickle=False)


def _random_access(mapped: np.memmap) -> np.memmap:
    """Tell the kernel that this mapping is read at scattered rows (madvise MADV_RANDOM), so that a page
    read does not bring its neighbours in: with the disk's read-ahead of 8 MB here, the sentence vectors
    of 100 questions' candidates at 10^6 passages made 5.7 GB of the asking process resident."""
    import mmap

    with contextlib.suppress(AttributeError, OSError, ValueError):  # no madvise on this platform: read ahead
        mapped._mmap.madvise(mmap.MADV_RANDOM)
    return mapped


def read_rows(version: Path, manifest: dict):
    """Documents, chunks, sentences, chunk sentences and entities of a version, from its row arrays."""
    rows = version / ROWS
    docs = StoredDocuments(version, np.load(rows / "document_sources.npy", allow_pickle=False),
                           np.load(rows / "document_offsets.npy", allow_pickle=False), manifest)
    cspans, cids, sspans = _array(rows / "chunks.npy"), _array(rows / "chunk_ids.npy"), _array(rows / "sentences.npy")
    ptr, ids = _array(rows / "chunk_sentence_ptr.npy"), _array(rows / "chunk_sentence_ids.npy")
    counts = manifest["counts"]
    if len(cspans) != counts["chunks"] or len(cids) != len(cspans) or len(sspans) != counts["sentences"] \
            or len(ptr) != len(cspans) + 1 or (len(ids) and (ids.min() < 0 or ids.max() >= len(sspans))):
        raise IndexError_(f"Les tableaux de {rows} ne correspondent pas au manifeste ({counts['chunks']} passages, "
                          f"{counts['sentences']} phrases). {REBUILD_HINT}")

    def chunk(i: int) -> Chunk:
        d, a, b = (int(x) for x in cspans[i])
        source = docs.source_at(d)
        return Chunk(str(cids[i]), source, a, b, docs[source].text[a:b])

    def sentence(i: int) -> Sentence:
        d, a, b = (int(x) for x in sspans[i])
        source = docs.source_at(d)
        return Sentence(source, a, b, docs[source].text[a:b])

    # A question reads the same few hundred rows many times over (the reader's checks): keep the latest made.
    chunks = StoredRows(len(cspans), functools.lru_cache(maxsize=2048)(chunk), cspans)
    sentences = StoredRows(len(sspans), functools.lru_cache(maxsize=16384)(sentence), sspans)
    chunk_sentences = StoredRows(len(cspans), lambda r: ids[ptr[r]:ptr[r + 1]].tolist(), (ptr, ids))
    entities = None
    if (rows / "entity_ptr.npy").is_file():
        labels = [str(x) for x in np.load(rows / "entity_labels.npy", allow_pickle=False)]
        eptr, ents = _array(rows / "entity_ptr.npy"), _array(rows / "entities.npy")
        if len(eptr) != len(sspans) + 1:
            raise IndexError_(f"Les entités nommées de l'index ({len(eptr) - 1} phrases) ne correspondent pas "
                              f"aux {len(sspans)} phrases. {REBUILD_HINT}")
        entities = StoredRows(len(sspans), lambda i: tuple((int(a), int(b), labels[int(c)])
                                                           for a, b, c in ents[eptr[i]:eptr[i + 1]]), (eptr, ents))
    return docs, chunks, sentences, chunk_sentences, entities


def _read_faiss(version: Path, n: int, dim: int):
    import faiss

    try:
        flat = faiss.read_index(str(version / "dense.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as exc:  # faiss reports C++ details; the user needs the file and the fix
        raise IndexError_(f"Le fichier des vecteurs {version / 'dense.faiss'} est tronqué ou endommagé. "
                          f"{REBUILD_HINT}") from exc
    if flat.ntotal != n or flat.d != dim:
        raise IndexError_(
            f"L'index FAISS contient {flat.ntotal} vecteurs de dimension {flat.d}, le manifeste annonce "
            f"{n} passages de dimension {dim}. {REBUILD_HINT}")
    if isinstance(flat, faiss.IndexRefine):  # its parts, typed, so that their settings can be read
        flat.base_index = faiss.downcast_index(flat.base_index)
        flat.refine_index = faiss.downcast_index(flat.refine_index)
    return flat


def _read_sentence_vectors(version: Path, n: int, dim: int) -> np.ndarray:
    vectors = np.asarray(_random_access(np.load(version / "sentences.npy", mmap_mode="r", allow_pickle=False)))
    if vectors.shape != (n, dim) and n:
        raise IndexError_(f"Les vecteurs des phrases ({vectors.shape}) ne correspondent pas au "
                          f"manifeste ({n} phrases de dimension {dim}). {REBUILD_HINT}")
    return vectors


def _read_entities(version: Path, n_sentences: int) -> list | None:
    """The stored named entities (None for an index built before they were recorded)."""
    if not (version / "entities.jsonl").is_file():
        return None
    entities = [tuple((int(a), int(b), str(label)) for a, b, label in row["e"])
                for row in _read_jsonl(version / "entities.jsonl")]
    if len(entities) != n_sentences:
        raise IndexError_(f"Les entités nommées de l'index ({len(entities)} phrases) ne correspondent pas "
                          f"aux {n_sentences} phrases. {REBUILD_HINT}")
    return entities


def _read_documents(version: Path, manifest: dict) -> dict[str, Document]:
    docs = {}
    for row in _read_jsonl(version / "documents.jsonl"):
        docs[row["source"]] = Document(row["source"], row["title"], row["text"], row.get("date"),
                                       tuple(row.get("pages") or ()), row.get("metadata") or {})
    for entry in manifest["documents"]:
        if entry["source"] not in docs or docs[entry["source"]].hash != entry["hash"]:
            raise IndexError_(f"Le document {entry['source']!r} de l'index ne correspond pas au manifeste. "
                              f"{REBUILD_HINT}")
    if len(docs) != len(manifest["documents"]):
        raise IndexError_(f"L'index {version} contient {len(docs)} documents, son manifeste en annonce "
                          f"{len(manifest['documents'])}. {REBUILD_HINT}")
    return docs


def _read_chunks(version: Path, docs: dict[str, Document], dim: int) -> tuple[list[Chunk], np.ndarray, object]:
    import faiss

    chunks = [Chunk(r["chunk_id"], r["source"], r["start"], r["end"],
                    docs[r["source"]].text[r["start"]:r["end"]]) for r in _read_jsonl(version / "chunks.jsonl")]
    try:
        flat = faiss.read_index(str(version / "dense.faiss"))
    except RuntimeError as exc:  # faiss reports C++ details; the user needs the file and the fix
        raise IndexError_(f"Le fichier des vecteurs {version / 'dense.faiss'} est tronqué ou endommagé. "
                          f"{REBUILD_HINT}") from exc
    if flat.ntotal != len(chunks) or flat.d != dim:
        raise IndexError_(
            f"L'index FAISS contient {flat.ntotal} vecteurs de dimension {flat.d}, le manifeste annonce "
            f"{len(chunks)} passages de dimension {dim}. {REBUILD_HINT}")
    return chunks, stored_vectors(flat), flat


def _read_sentences(version: Path, docs: dict[str, Document], dim: int) -> tuple[list[Sentence], np.ndarray]:
    sentences = [Sentence(r["source"], r["start"], r["end"], docs[r["source"]].text[r["start"]:r["end"]])
                 for r in _read_jsonl(version / "sentences.jsonl")]
    sentence_vectors = np.load(version / "sentences.npy", allow_pickle=False)
    if sentence_vectors.shape != (len(sentences), dim) and len(sentences):
        raise IndexError_(f"Les vecteurs des phrases ({sentence_vectors.shape}) ne correspondent pas au "
                          f"manifeste ({len(sentences)} phrases de dimension {dim}). {REBUILD_HINT}")
    return sentences, sentence_vectors


def _newest_intact_version(index_dir: Path) -> tuple[Path | None, dict | None]:
    """The newest version folder whose manifest reads and whose files match their checksums."""
    versions = index_dir / "versions"
    candidates = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        reverse=True) if versions.is_dir() else []
    for version in candidates:
        try:
            manifest = version_manifest(version)
        except IndexError_:
            continue
        if "files" in manifest and not damaged_files(version, manifest):
            return version, manifest
    return None, None


def load_reusable(index_dir: Path) -> Index | None:
    """What a build may keep of the current version, even a damaged one: its documents, and its passages
    and sentences with their vectors, each only when its files are intact (empty when damaged; the
    manifest still says what was indexed). None when there is no trustworthy manifest.

    Never raises for damage: it is what `askjobs index` repairs from. The lexical index and term counts
    are not read (a build recomputes them from the texts).
    """
    try:
        version = current_version(index_dir)
        if version is None:
            return None
        manifest = version_manifest(version)
    except IndexError_:  # a damaged pointer (or manifest): the newest version that is whole, if any
        version, manifest = _newest_intact_version(Path(index_dir))
        if version is None:
            return None
    bad = set(damaged_files(version, manifest))
    if bad & {MANIFEST, MANIFEST_SUM}:
        return None  # what the manifest says (document hashes, dimension) cannot be trusted
    dim = manifest["model"]["dim"]
    empty = np.zeros((0, dim), np.float32)
    try:
        docs = {} if "documents.jsonl" in bad else _read_documents(version, manifest)
    except Exception:  # any damage the checksums could not see (an index written before them)
        docs = {}
    chunks, chunk_vectors, sentences, sentence_vectors = [], empty, [], empty
    with contextlib.suppress(Exception):
        if docs and not bad & {"chunks.jsonl", "dense.faiss"}:
            chunks, view, _ = _read_chunks(version, docs, dim)
            chunk_vectors = np.array(view)  # a copy: the view lives only as long as its FAISS index
    with contextlib.suppress(Exception):
        if docs and not bad & {"sentences.jsonl", "sentences.npy"}:
            sentences, sentence_vectors = _read_sentences(version, docs, dim)
    entities = None
    with contextlib.suppress(Exception):
        if sentences and "entities.jsonl" not in bad:
            entities = _read_entities(version, len(sentences))
    return Index(manifest, docs, chunks, chunk_vectors, sentences, sentence_vectors, [], {}, path=version,
                 entities=entities)


def known_file_hashes(manifest: dict) -> dict[str, str]:
    """source → bytes hash of every file the index has examined: indexed documents and skipped-for-content."""
    known = {e["source"]: e["file_hash"] for e in manifest.get("skipped", []) if e.get("file_hash")}
    known.update({d["source"]: d.get("file_hash") for d in manifest.get("documents", [])})
    return known


def corpus_changes(manifest: dict, file_hashes: dict[str, str]) -> dict[str, list[str]]:
    """Compare the files on disk (source → bytes hash) with what the index was built from."""
    known = known_file_hashes(manifest)
    return {
        "added": sorted(set(file_hashes) - set(known)),
        "removed": sorted(set(known) - set(file_hashes)),
        "changed": sorted(s for s in set(file_hashes) & set(known) if file_hashes[s] != known[s]),
    }

