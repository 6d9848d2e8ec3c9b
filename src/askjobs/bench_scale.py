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
- the index is written by the store (`Store.publish`) as a real askjobs index version, so the load
  that is timed is `Store.load`, and every question goes through `AskJobs.analyse`, `search` and
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

def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def synthetic_index(base, n: int, seed: int = 0):
    """An Index of n passages recombined from the sentences of `base` (a loaded PIAF index)."""
    import bm25s

    from .index import ANALYZER, EMBEDDED_TEXT, ENTITIES, FORMAT_VERSION, Index, dense_index
    from .schema import Chunk, Document, Sentence, stable_id
    from .text import analyze, is_heading
    from . import __version__

    rng = np.random.default_rng(seed)
    dim = int(base.manifest["model"]["dim"])
    base = Index(base.manifest, dict(base.documents), list(base.chunks), np.asarray(base.chunk_vectors, np.float32),
                 list(base.sentences), np.asarray(base.sentence_vectors, np.float32),
                 [list(s) for s in base.chunk_sentences], {}, entities=list(base.entities or []) or None)
    # each PIAF passage's body sentences (its heading line is replaced by the synthetic document's title)
    bodies = [[sid for sid in base.chunk_sentences[r] if not is_heading(base.sentences[sid].text)]
              for r in range(len(base.chunks))]
    usable = [r for r, sids in enumerate(bodies) if len(sids) >= 2]
    tokens = {}  # analysed terms of each base sentence, computed once (the analysis of a passage is theirs)

    def terms(sid: int) -> list[str]:
        if sid not in tokens:
            tokens[sid] = analyze(base.sentences[sid].text)
        return tokens[sid]

    documents, chunks, sentences, chunk_sentences, entities, corpus_tokens = {}, [], [], [], [], []
    chunk_vectors = np.empty((n, dim), np.float32)
    sentence_rows: list[int] = []  # the base sentence of each synthetic sentence
    base_entities = base.entities or [()] * len(base.sentences)
    for d in range((n + PASSAGES_PER_DOCUMENT - 1) // PASSAGES_PER_DOCUMENT):
        source = f"synth/{d // 1000:04d}/doc-{d:07d}.txt"
        main = int(rng.choice(usable))
        title = f"{base.documents[base.chunks[main].source].title} — dossier {d}"
        parts, spans = [title, "\n\n"], []
        pos = len(title) + 2
        for _ in range(min(PASSAGES_PER_DOCUMENT, n - d * PASSAGES_PER_DOCUMENT)):
            r, other = int(rng.choice(usable)), int(rng.choice(usable))
            sids = list(bodies[r][:8])
            mix = float(rng.uniform(0.0, 0.4))
            if mix > 0.2:  # one sentence of another passage swapped in
                sids[int(rng.integers(len(sids)))] = int(rng.choice(bodies[other]))
            if len(sids) > 3 and rng.random() < 0.3:
                del sids[int(rng.integers(len(sids)))]
            start, inside = pos, []
            for sid in sids:
                s = base.sentences[sid]
                if pos > start:
                    parts.append(" ")
                    pos += 1
                parts.append(s.text)
                shift = pos - s.start
                inside.append(len(sentence_rows))
                sentences.append((source, pos, pos + len(s.text)))
                entities.append(tuple((a + shift, b + shift, label) for a, b, label in base_entities[sid]))
                sentence_rows.append(sid)
                pos += len(s.text)
            spans.append((start, pos, inside, r, other, mix, sids))
            parts.append("\n\n")
            pos += 2
        text = "".join(parts)
        documents[source] = Document(source, title, text)
        title_terms = analyze(title)
        for start, end, inside, r, other, mix, sids in spans:
            row = len(chunks)
            chunks.append(Chunk(stable_id(source, start, end), source, start, end, text[start:end]))
            chunk_sentences.append(inside)
            corpus_tokens.append(title_terms + [t for sid in sids for t in terms(sid)])
            v = (1 - mix) * base.chunk_vectors[r] + mix * base.chunk_vectors[other]
            chunk_vectors[row] = v / np.linalg.norm(v)
    t_text = time.perf_counter()
    noise = rng.standard_normal((n, dim)).astype(np.float32) * (PASSAGE_NOISE / np.sqrt(dim))
    chunk_vectors = _unit(chunk_vectors + noise)
    sentence_vectors = np.empty((len(sentence_rows), dim), np.float32)
    rows = np.asarray(sentence_rows, np.int64)
    for i in range(0, len(rows), 200_000):  # in slices: the noise of 6 × 10^6 sentences at once is 9 GB
        part = np.asarray(base.sentence_vectors[rows[i:i + 200_000]], np.float32)
        part = part + rng.standard_normal(part.shape).astype(np.float32) * (SENTENCE_NOISE / np.sqrt(dim))
        sentence_vectors[i:i + len(part)] = _unit(part)
    vectors_s = time.perf_counter() - t_text  # stands for the encoding: not counted in the build time
    docs = documents
    sents = [Sentence(src, a, b, docs[src].text[a:b]) for src, a, b in sentences]
    df: Counter[str] = Counter()
    for toks in corpus_tokens:
        df.update(set(toks))
    bm25 = bm25s.BM25(k1=1.2, b=0.75)  # as index._build_bm25, on the terms analysed above
    bm25.index([t or ["\u2205"] for t in corpus_tokens], show_progress=False)
    model = dict(base.manifest["model"])
    manifest = {
        "askjobs_version": __version__, "format": FORMAT_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model, "chunking": {**base.manifest["chunking"], "synthetic": f"bench scale, {n} passages"},
        "analyzer": ANALYZER, "embedded_text": EMBEDDED_TEXT, "entities": ENTITIES,
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sents)},
        "documents": [{"source": d.source, "title": d.title, "date": d.date, "hash": d.hash, "chars": len(d.text),
                       "file_hash": None} for d in docs.values()],
        "skipped": [],
    }
    index = Index(manifest, docs, chunks, chunk_vectors, sents, sentence_vectors, chunk_sentences, dict(df),
                  entities=entities, bm25=bm25)
    index.faiss = dense_index(chunk_vectors, dim)
    return index, vectors_s


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
    """Build and publish the synthetic index of n passages (one process)."""
    from .index import load_index
    from .store import open_store

    base = load_index(piaf_index)
    if os.environ.get("ASKJOBS_BENCH_APPROX_MIN"):  # to measure both dense indexes at one size
        import askjobs.index

        askjobs.index.APPROX_MIN_PASSAGES = int(os.environ["ASKJOBS_BENCH_APPROX_MIN"])
    t0 = time.perf_counter()
    index, vectors_s = synthetic_index(base, n)  # its dense index is built here, as by a real build
    made = time.perf_counter() - t0 - vectors_s
    peak_build = rss_mb()
    if out.exists():
        shutil.rmtree(out)
    target = open_store(out, store)
    t1 = time.perf_counter()
    target.publish(index)
    publish = time.perf_counter() - t1
    return {"passages": len(index.chunks), "sentences": len(index.sentences), "documents": len(index.documents),
            "build_s": round(made + publish, 2), "build_index_s": round(made, 2), "publish_s": round(publish, 2),
            "disk_mb": round(_folder_bytes(out) / 2**20, 1), "build_rss_mb": round(peak_build)}


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
    recall = []
    stored = app.index.chunk_vectors  # an array (folder store) or rows read from Qdrant on demand
    vectors = np.asarray(stored, np.float32) if isinstance(stored, np.ndarray) else stored.all()
    for q in questions:  # the dense index against exact search (1 for an exact index)
        qvec = encoder.vectors[q["question"]]
        truth = set(np.argsort(-(vectors @ qvec), kind="stable")[:10].tolist())
        found = app.search(app.analyse(q["question"]), k)
        recall.append(len(truth & set(found.rankings["dense"].ids[:10].tolist())) / 10)
    del vectors
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
    half = len(questions)
    return {"dense_index": app.index.manifest.get("dense_index", {}).get("kind", "flat"),
            "recall@10": round(float(np.mean(recall)), 4), "imports_s": round(imports_s, 2), "load_s": round(load_s, 2), "app_load_s": round(app_load_s, 2),
            "rss_mb": round(rss_mb()), "rss_after_load_mb": round(rss_load), "rss_before_load_mb": round(before),
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
