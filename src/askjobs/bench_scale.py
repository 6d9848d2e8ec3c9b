"""`askjobs bench scale`: build, load and query synthetic indexes of 10^4 to 10^6 passages.

The corpora are made of real French text and realistic vectors, so that BM25's postings, the
sentence layout and the FAISS neighbourhoods look like a real corpus's:

- the material is PIAF dev (../shared/bench/piaf-dev.json): its paragraphs are indexed once by
  askjobs with the configured encoder (real e5 vectors of every passage and sentence, with the named
  entities the build finds), and its questions encoded once; both are cached under build/scale-cache/
  (git-ignored);
- each synthetic passage is a PIAF passage whose sentences are recombined (one sentence of another
  passage swapped in, one dropped), 3 to 8 sentences, ten passages to a document; its vector is the
  e5 vector of its passage mixed with the other passage's and noise, each sentence's vector the e5
  vector of that sentence plus noise (cosine ≈ 0.9 to the original);
- the index is a real askjobs index version: written a batch of documents at a time with index.py's
  own writers (`write_synthetic`, published by `index.publish_version`; only the row arrays, the
  passages' terms and the passage vectors are held whole, so 10^6 passages fit in memory), so the
  load that is timed is `Store.load`, and every question goes through `AskJobs.analyse`, `search` and
  `read`; the query vector is the question's cached e5 vector (encoding is not what is measured).

Each size runs in two fresh processes: one builds and publishes, one loads and answers (so the
memory measured is the reader's alone).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import PROJECT_ROOT, Settings

CACHE = PROJECT_ROOT / "build" / "scale-cache"
DEFAULT_PIAF = PROJECT_ROOT.parent / "shared" / "bench" / "piaf-dev.json"
PASSAGES_PER_DOCUMENT = 10
PASSAGE_NOISE = 0.45  # norm of the noise added to a unit passage vector: cosine ≈ 0.9 to the original
SENTENCE_NOISE = 0.45


def rss_mb() -> float:
    """Resident memory of this process (MB)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- Material: PIAF, encoded once ------------------------------------------------------------------

def material(settings: Settings, piaf: Path, questions: int) -> tuple[Path, Path]:
    """The PIAF index (real vectors) and the encoded questions, built once and cached."""
    from .bench import load_squad, spread, write_corpus
    from .embed import make_encoder
    from .pipeline import AskJobs

    index_dir, qfile = CACHE / "piaf-index", CACHE / f"piaf-questions-{questions}.json"
    if (index_dir / "CURRENT").is_file() and qfile.is_file():
        return index_dir, qfile
    data = load_squad(piaf)
    corpus = CACHE / "piaf-corpus"
    if not corpus.is_dir():
        write_corpus(data.paragraphs, corpus)
    encoder = make_encoder(settings)
    app = AskJobs(settings.with_(corpus_dir=corpus, index_dir=index_dir), encoder)
    app.build()
    picked = spread(data.questions, questions)
    vectors = encoder.encode_queries([q.question for q in picked])
    qfile.write_text(json.dumps([{"question": q.question, "answers": list(q.answers), "source": q.source,
                                  "vector": [float(x) for x in v]} for q, v in zip(picked, vectors)],
                                ensure_ascii=False), encoding="utf-8")
    return index_dir, qfile


# --- Synthetic corpus ------------------------------------------------------------------------------

BATCH_DOCUMENTS = 2_000  # documents generated and written at a time: memory is the batch's, not the corpus's
VECTOR_SLICE = 50_000  # vectors made at a time: each step of the noise makes a copy (75 MB here, 9 GB for 6 × 10^6)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class _Material:
    """What the synthetic corpus is recombined from: a loaded PIAF index, as plain lists and arrays."""

    manifest: dict
    titles: list[str]  # each base passage's document title
    texts: list[str]  # each base sentence's text
    starts: list[int]  # … and its offset in its document
    entities: list[tuple]  # … and its named entities, document offsets
    bodies: list[list[int]]  # each base passage's sentences but its heading line
    usable: list[int]  # the passages with at least two of them
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray

    @classmethod
    def of(cls, base) -> "_Material":
        from .text import is_heading

        sentences = list(base.sentences)
        texts = [s.text for s in sentences]
        # each PIAF passage's body sentences (its heading line is replaced by the synthetic document's title)
        bodies = [[int(sid) for sid in base.chunk_sentences[r] if not is_heading(texts[sid])]
                  for r in range(len(base.chunks))]
        return cls(dict(base.manifest), [base.documents[c.source].title for c in base.chunks], texts,
                   [s.start for s in sentences], list(base.entities or [()] * len(sentences)), bodies,
                   [r for r, sids in enumerate(bodies) if len(sids) >= 2],
                   np.array(base.chunk_vectors, np.float32), np.array(base.sentence_vectors, np.float32))


def synthetic_documents(m: _Material, n: int, rng: np.random.Generator):
    """The n passages' documents, one at a time: (source, title, text, passages), each passage
    (start, end, base sentence ids, their starts, base passage, other passage, mix)."""
    for d in range((n + PASSAGES_PER_DOCUMENT - 1) // PASSAGES_PER_DOCUMENT):
        source = f"synth/{d // 1000:04d}/doc-{d:07d}.txt"
        title = f"{m.titles[int(rng.choice(m.usable))]} — dossier {d}"
        parts, passages = [title, "\n\n"], []
        pos = len(title) + 2
        for _ in range(min(PASSAGES_PER_DOCUMENT, n - d * PASSAGES_PER_DOCUMENT)):
            r, other = int(rng.choice(m.usable)), int(rng.choice(m.usable))
            sids = list(m.bodies[r][:8])
            mix = float(rng.uniform(0.0, 0.4))
            if mix > 0.2:  # one sentence of another passage swapped in
                sids[int(rng.integers(len(sids)))] = int(rng.choice(m.bodies[other]))
            if len(sids) > 3 and rng.random() < 0.3:
                del sids[int(rng.integers(len(sids)))]
            start, starts = pos, []
            for sid in sids:
                if pos > start:
                    parts.append(" ")
                    pos += 1
                parts.append(m.texts[sid])
                starts.append(pos)
                pos += len(m.texts[sid])
            passages.append((start, pos, sids, starts, r, other, mix))
            parts.append("\n\n")
            pos += 2
        yield source, title, "".join(parts), passages


def write_synthetic(base, n: int, folder: Path, *, seed: int = 0, batch: int = BATCH_DOCUMENTS) -> tuple[dict, float]:
    """Write into `folder` the index version of n passages recombined from `base` (a loaded PIAF index),
    in batches of documents, with index.py's own writers; returns its manifest and the seconds spent
    making vectors (which stand for the encoding, not counted as build time).

    Only the row arrays (a few int64 per passage and sentence), the passages' terms (for BM25) and the
    passage vectors are held whole; texts, rows and sentence vectors are written as they are made."""
    import bm25s
    import faiss

    from . import __version__
    from .files import write_jsonl
    from .index import (ANALYZER, EMBEDDED_TEXT, ENTITIES, FORMAT_VERSION, chunk_row, dense_index, document_row,
                        entities_row, finish_version, save_rows, sentence_row)
    from .schema import Chunk, Document, Sentence, stable_id
    from .text import analyze

    m = _Material.of(base)
    rng, noise_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    dim = int(m.manifest["model"]["dim"])
    labels = sorted({e[2] for ents in m.entities for e in ents})
    code = {label: i for i, label in enumerate(labels)}
    tokens: dict[int, list[str]] = {}  # analysed terms of each base sentence, computed once

    def terms(sid: int) -> list[str]:
        if sid not in tokens:
            tokens[sid] = analyze(m.texts[sid])
        return tokens[sid]

    sources, doc_entries, chunk_ids, corpus_tokens = [], [], [], []
    chunk_spans, sentence_spans, counts, mixes, entity_counts, entity_rows = [], [], [], [], [], []
    df: Counter[str] = Counter()
    documents = synthetic_documents(m, n, rng)
    while True:
        docs, chunks, sentences, entities = [], [], [], []
        spans_c, spans_s, ents_rows = [], [], []
        for source, title, text, passages in (x for _, x in zip(range(batch), documents)):
            d = len(sources)
            sources.append(source)
            doc = Document(source, title, text)
            docs.append(doc)
            doc_entries.append({"source": source, "title": title, "date": None, "hash": doc.hash, "chars": len(text),
                                "file_hash": None})
            title_terms = analyze(title)
            for start, end, sids, starts, r, other, mix in passages:
                chunk = Chunk(stable_id(source, start, end), source, start, end, text[start:end])
                chunks.append(chunk)
                chunk_ids.append(chunk.chunk_id)
                spans_c.append((d, start, end))
                counts.append(len(sids))
                mixes.append((r, other, mix))
                passage_terms = title_terms + [t for sid in sids for t in terms(sid)]
                corpus_tokens.append(passage_terms)
                df.update(set(passage_terms))
                for sid, at in zip(sids, starts):
                    sentences.append(Sentence(source, at, at + len(m.texts[sid]), m.texts[sid]))
                    spans_s.append((d, at, at + len(m.texts[sid]), sid))
                    shift = at - m.starts[sid]  # the base sentence's entities, moved with it
                    moved = tuple((a + shift, b + shift, label) for a, b, label in m.entities[sid])
                    entities.append(moved)
                    entity_counts.append(len(moved))
                    ents_rows.extend((a, b, code[label]) for a, b, label in moved)
        if not docs:
            break
        write_jsonl(folder / "documents.jsonl", map(document_row, docs), mode="a")
        write_jsonl(folder / "chunks.jsonl", map(chunk_row, chunks), mode="a")
        write_jsonl(folder / "sentences.jsonl", map(sentence_row, sentences), mode="a")
        write_jsonl(folder / "entities.jsonl", map(entities_row, entities), mode="a")
        chunk_spans.append(np.array(spans_c, np.int64).reshape(-1, 3))
        sentence_spans.append(np.array(spans_s, np.int64).reshape(-1, 4))
        entity_rows.append(np.array(ents_rows, np.int64).reshape(-1, 3))
    del documents, docs, chunks, sentences, entities
    sentence_spans = np.concatenate(sentence_spans)
    base_rows, sentence_spans = sentence_spans[:, 3].copy(), np.ascontiguousarray(sentence_spans[:, :3])

    bm25 = bm25s.BM25(k1=1.2, b=0.75)  # as index._build_bm25, on the terms analysed above
    bm25.index([t or ["\u2205"] for t in corpus_tokens], show_progress=False)
    bm25.save(str(folder / "bm25"), show_progress=False)
    del bm25, corpus_tokens
    (folder / "terms.json").write_text(json.dumps(df, ensure_ascii=False), encoding="utf-8")
    del df
    # sentences are numbered in passage order, so each passage's are the next ones
    save_rows(folder, sources, np.concatenate(chunk_spans), chunk_ids, sentence_spans, counts,
              np.arange(len(base_rows), dtype=np.int64), (labels, entity_counts, np.concatenate(entity_rows)))
    del chunk_ids, entity_counts, entity_rows

    vectors_s = 0.0
    with open(folder / "sentences.npy", "wb") as fh:  # float32 .npy written a slice at a time (np.save's format)
        np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
                                                  "fortran_order": False, "shape": (len(base_rows), dim)})
        for i in range(0, len(base_rows), VECTOR_SLICE):
            t = time.perf_counter()
            part = m.sentence_vectors[base_rows[i:i + VECTOR_SLICE]]
            part = _unit(part + noise_rng.standard_normal(part.shape, np.float32) * (SENTENCE_NOISE / np.sqrt(dim)))
            vectors_s += time.perf_counter() - t
            part.tofile(fh)
    t = time.perf_counter()
    mix = np.array(mixes, dtype=[("r", np.int64), ("other", np.int64), ("mix", np.float32)]).reshape(-1)
    del mixes
    chunk_vectors = np.empty((n, dim), np.float32)
    for i in range(0, n, VECTOR_SLICE):
        part = mix[i:i + VECTOR_SLICE]
        w = part["mix"][:, None]
        v = _unit((1 - w) * m.chunk_vectors[part["r"]] + w * m.chunk_vectors[part["other"]])
        noise = noise_rng.standard_normal(v.shape, np.float32) * (PASSAGE_NOISE / np.sqrt(dim))
        chunk_vectors[i:i + len(part)] = _unit(v + noise)
    vectors_s += time.perf_counter() - t
    dense = dense_index(chunk_vectors, dim)  # as a real build: exact, or approximate from APPROX_MIN_PASSAGES
    del chunk_vectors
    faiss.write_index(dense, str(folder / "dense.faiss"))

    manifest = {
        "askjobs_version": __version__, "format": FORMAT_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": dict(m.manifest["model"]),
        "chunking": {**m.manifest["chunking"], "synthetic": f"bench scale, {n} passages"},
        "analyzer": ANALYZER, "embedded_text": EMBEDDED_TEXT, "entities": ENTITIES,
        "counts": {"documents": len(sources), "chunks": n, "sentences": len(base_rows)},
        "documents": doc_entries, "skipped": [],
    }
    return finish_version(folder, manifest, dense), vectors_s


# --- One size, in its own processes ----------------------------------------------------------------

@dataclass(frozen=True)
class LookupEncoder:
    """The encoder of the PIAF index, answering the benchmark's questions from their cached vectors."""

    name: str
    dim: int
    fingerprint: str | None
    backend: str | None
    vectors: dict

    def encode_queries(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build_one(n: int, store: str, out: Path, piaf_index: Path) -> dict:
    """Build and publish the synthetic index of n passages (one process).

    The FAISS folder store is written directly, a batch at a time (`write_synthetic` into a version
    published by index.publish_version); another store is given that version, loaded, to publish."""
    from .index import load_index, publish_version
    from .store import open_store

    base = load_index(piaf_index)
    if os.environ.get("ASKJOBS_BENCH_APPROX_MIN"):  # to measure both dense indexes at one size
        import askjobs.index

        askjobs.index.APPROX_MIN_PASSAGES = int(os.environ["ASKJOBS_BENCH_APPROX_MIN"])
    folder_out = out if store == "faiss" else out.with_name(out.name + "-faiss")
    for old in {out, folder_out}:
        if old.exists():
            shutil.rmtree(old)
    made: dict = {}

    def write(folder: Path) -> dict:
        made["manifest"], made["vectors_s"] = write_synthetic(base, n, folder)
        return made["manifest"]

    t0 = time.perf_counter()
    publish_version(folder_out, write)
    written = time.perf_counter() - t0 - made["vectors_s"]
    publish = 0.0
    if store != "faiss":
        t1 = time.perf_counter()
        open_store(out, store).publish(load_index(folder_out))
        publish = time.perf_counter() - t1
        shutil.rmtree(folder_out)
    counts = made["manifest"]["counts"]
    return {"passages": counts["chunks"], "sentences": counts["sentences"], "documents": counts["documents"],
            "build_s": round(written + publish, 2), "build_index_s": round(written, 2), "publish_s": round(publish, 2),
            "vectors_s": round(made["vectors_s"], 2), "disk_mb": round(_folder_bytes(out) / 2**20, 1),
            "build_rss_mb": round(rss_mb()), "build_peak_rss_mb": round(peak_rss_mb())}


def query_one(store: str, out: Path, qfile: Path, k: int | None = None) -> dict:
    """Load the published index and answer the cached questions (one fresh process)."""
    from .metrics import percentile
    from .pipeline import AskJobs
    from .store import open_store

    questions = json.loads(qfile.read_text(encoding="utf-8"))
    t = time.perf_counter()
    import bm25s  # noqa: F401  (imports are the cold start's business: timed apart)
    import faiss  # noqa: F401
    imports_s = time.perf_counter() - t
    before = rss_mb()
    t0 = time.perf_counter()
    loaded = open_store(out, store).load()
    load_s = time.perf_counter() - t0
    rss_load = rss_mb()
    model = loaded.manifest["model"]
    del loaded
    encoder = LookupEncoder(model["name"], int(model["dim"]), model.get("fingerprint"), model.get("backend"),
                            {q["question"]: np.asarray(q["vector"], np.float32) for q in questions})
    settings = Settings(corpus_dir=out / "no-corpus", index_dir=out, store=store)
    app = AskJobs(settings, encoder)
    t1 = time.perf_counter()
    _ = app.index  # what the chat does once: load the index (and the reader's lexicon)
    app_load_s = time.perf_counter() - t1
    for q in questions:  # the encoder is given the question as analysed (cleaned), not as typed
        encoder.vectors[app.analyse(q["question"]).resolved] = encoder.vectors[q["question"]]
    stages: dict[str, list[float]] = {}
    for q in questions * 2:  # the first pass warms caches (the reader's per-document tables); timed: the second
        t = time.perf_counter()
        query = app.analyse(q["question"])
        t_an = time.perf_counter()
        found = app.search(query, k)
        t_se = time.perf_counter()
        app.read(query, found)
        t_re = time.perf_counter()
        times = {"analyse": (t_an - t) * 1e3, "read": (t_re - t_se) * 1e3, **found.timings_ms}
        times["search"] = (t_se - t_an) * 1e3 - times.get("embed", 0.0)
        times["total"] = times["analyse"] + times["search"] + times["read"]
        for name, ms in times.items():
            stages.setdefault(name, []).append(ms)
    rss_asked = rss_mb()  # before the exact search below reads every passage vector (the reader never does)
    recall = []
    stored = app.index.chunk_vectors  # an array (folder store) or rows read from Qdrant on demand
    vectors = np.asarray(stored, np.float32) if isinstance(stored, np.ndarray) else stored.all()
    for q in questions:  # the dense index against exact search (1 for an exact index)
        qvec = encoder.vectors[q["question"]]
        truth = set(np.argsort(-(vectors @ qvec), kind="stable")[:10].tolist())
        found = app.search(app.analyse(q["question"]), k)
        recall.append(len(truth & set(found.rankings["dense"].ids[:10].tolist())) / 10)
    del vectors
    half = len(questions)
    return {"dense_index": app.index.manifest.get("dense_index", {}).get("kind", "flat"),
            "recall@10": round(float(np.mean(recall)), 4), "imports_s": round(imports_s, 2), "load_s": round(load_s, 2), "app_load_s": round(app_load_s, 2),
            "rss_mb": round(rss_asked), "rss_after_recall_mb": round(rss_mb()), "rss_after_load_mb": round(rss_load), "rss_before_load_mb": round(before),
            "questions": half,
            **{f"{name}_ms": [percentile(v[half:], 50), percentile(v[half:], 95)] for name, v in stages.items()}}


class ScaleRunError(RuntimeError):
    """A step's fresh process failed; says how, in French (a process killed by the kernel prints nothing)."""

    def __init__(self, step: str, n: int, store: str, returncode: int, stderr: str):
        how = (f"tué par le signal {-returncode}" + (" — sans doute faute de mémoire (le noyau tue le plus gros "
                                                      "processus) : essayez une taille plus petite" if returncode == -9 else "")
               if returncode < 0 else f"code de sortie {returncode}")
        detail = stderr.strip()[-3000:]
        super().__init__(f"l'étape « {step} » à {n} passages ({store}) a échoué : {how}." + (f"\n{detail}" if detail else ""))


def run_scale(sizes: list[int], store: str, *, settings: Settings, piaf: Path = DEFAULT_PIAF, questions: int = 200,
              keep: bool = False, progress=None) -> list[dict]:
    """Build, load and query each size, each step in a fresh process; returns one row per size."""
    piaf_index, qfile = material(settings, piaf, questions)
    rows = []
    for n in sizes:
        out = CACHE / f"index-{store}-{n}"
        row = {"store": store, "size": n}
        for step in ("build", "query"):
            cmd = [sys.executable, "-m", "askjobs.bench_scale", step, str(n), store, str(out), str(piaf_index), str(qfile)]
            done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if done.returncode:
                raise ScaleRunError(step, n, store, done.returncode, done.stderr)
            row.update(json.loads(done.stdout.strip().splitlines()[-1]))
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
        rows.append(row)
        if progress:
            progress(row)
    return rows


STAGES = (("dense", "dense"), ("lexical", "BM25"), ("sentence", "phrases"), ("fuse", "fusion"),
          ("read", "lecture"), ("total", "total hors encodage"))


def table(rows: list[dict]) -> str:
    """The README table: one row per size."""
    head = ("| passages | phrases | stockage (dense) | construction s | disque Mo | chargement s | RSS Mo | rappel@10 | "
            + " | ".join(f"{label} p50/p95 ms" for _, label in STAGES) + " |")
    lines = [head, "|" + "---|" * (8 + len(STAGES))]
    for r in rows:
        cells = [f"{r['passages']:,}", f"{r['sentences']:,}", f"{r['store']} ({r.get('dense_index', '?')})",
                 f"{r['build_s']}", f"{r['disk_mb']:,}", f"{r['load_s']}", f"{r['rss_mb']:,}", f"{r.get('recall@10', '–')}"]
        cells += [f"{r[key + '_ms'][0]:.1f} / {r[key + '_ms'][1]:.1f}" if key + "_ms" in r else "–" for key, _ in STAGES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    step, n, store, out, piaf_index, qfile = argv
    if step == "build":
        row = build_one(int(n), store, Path(out), Path(piaf_index))
    else:
        row = query_one(store, Path(out), Path(qfile))
    print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
