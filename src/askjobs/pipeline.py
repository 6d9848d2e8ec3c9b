"""The askjobs library API: build an index from a folder, answer questions over it."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .answer import ReaderSettings, read
from .chunking import PASSAGES, chunk_document, make_splitter
from .config import Settings
from .threads import configure_threads
from . import embed
from .embed import Encoder
from .followup import resolve_followup
from .index import (EMBEDDED_TEXT, ENTITIES, REBUILD_HINT, REPAIR_HINT, SENTENCE_ALONE, SENTENCE_POOLED, Index,
                    IndexDamagedError, IndexError_, IndexReadOnlyError, build_index, corpus_changes, current_version,
                    sentence_vectors_made)
from .ingest import Skipped, drop_duplicates, load_file, scan_corpus
from .query import Query, analyse_question, territories
from .retrieve import Retrieval, retrieve
from .schema import Answer
from .store import open_store
from .text import ANALYZER, load_lexicon
from .wordvec import load as load_word_vectors


class QuestionError(ValueError):
    """A question askjobs cannot take; the message (in French) says what to change."""


def clean_question(question: object, max_chars: int) -> str:
    """Check a question where it enters; return it with control characters removed."""
    if not isinstance(question, str):
        raise QuestionError("La question doit être un texte.")
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in "\u200d" else c
                      for c in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("La question est vide. Écrivez une question en français, par exemple : "
                            "« Quel est le salaire médian des postes liés à l'IA ? »")
    if len(cleaned) > max_chars:
        raise QuestionError(f"La question est trop longue ({len(cleaned)} caractères, maximum {max_chars}). "
                            "Raccourcissez-la à l'essentiel.")
    if not any(c.isalnum() for c in cleaned):
        raise QuestionError("La question ne contient ni mot ni nombre. Reformulez-la avec des mots.")
    return cleaned


@dataclass
class BuildReport:
    """What `askjobs index` did."""

    documents: int = 0
    chunks: int = 0
    sentences: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    embedded: int = 0  # texts (passages and sentences) encoded by the model in this build
    seconds: float = 0.0
    path: Path | None = None  # the version folder now current; None when nothing usable was found
    up_to_date: bool = False  # nothing had changed: no new version was written, the model was not loaded
    repaired: str | None = None  # what was wrong with the current version this build replaced


def _has_index(index_dir: Path) -> bool:
    try:
        return current_version(index_dir) is not None
    except IndexError_:
        return True


def _problem(exc: IndexError_) -> str:
    """What is wrong with an index, without the advice to run the build that is repairing it."""
    if isinstance(exc, IndexDamagedError):
        return exc.problem
    return str(exc).replace(REBUILD_HINT, "").replace(REPAIR_HINT, "").strip().rstrip(".")


def _nothing_indexed(corpus_dir: Path, skipped: list[Skipped]) -> str:
    from .ingest import SUPPORTED_SUFFIXES

    if not skipped:
        return (f"Le dossier {corpus_dir} ne contient aucun document à indexer ({', '.join(SUPPORTED_SUFFIXES)}). "
                "Ajoutez-y des fichiers puis relancez `askjobs index`.")
    shown = " ; ".join(f"{x.source} — {x.reason}" for x in skipped[:5])
    more = f" ; … et {len(skipped) - 5} autre(s)" if len(skipped) > 5 else ""
    return (f"Aucun document utilisable dans {corpus_dir} : rien n'a été indexé ({shown}{more}). "
            "L'index précédent, s'il existe, est conservé.")


class NothingIndexedError(IndexError_):
    """No usable document in the corpus folder; `report` says why each file was skipped."""

    def __init__(self, message: str, report: BuildReport):
        super().__init__(message)
        self.report = report


class AskJobs:
    """Question answering over one corpus folder and its index. Cheap to construct."""

    def __init__(self, settings: Settings | None = None, encoder: Encoder | None = None):
        self.settings = settings or Settings()
        self.encoder = encoder or embed.make_encoder(self.settings)
        self.store = open_store(self.settings.index_dir, self.settings.store)  # cheap: connects on first use
        self._index: Index | None = None
        self._index_version: Path | None = None
        self._pinned = threading.local()  # the version a question in progress reads (see one_version)
        self._refused: Path | None = None  # a published version that could not be loaded (not retried)
        self._last_warning: str | None = None

    # --- indexing -----------------------------------------------------------
    def model_info(self) -> dict:
        return {"name": self.encoder.name, "dim": int(self.encoder.dim), "fingerprint": self.model_fingerprint,
                "backend": self.backend}

    @property
    def backend(self) -> str | None:
        """What computes the vectors (torch, onnx, onnx-int8): vectors of two backends are never mixed."""
        return getattr(self.encoder, "backend", None)

    @property
    def pools_sentences(self) -> bool:
        """Sentence vectors pooled from the passages' forward pass (an encoder that can and is asked to:
        `pool_sentences`, off by default), else each sentence encoded alone."""
        return bool(getattr(self.encoder, "pool_sentences", False)) \
            and getattr(self.encoder, "encode_passages_with_spans", None) is not None

    @property
    def model_fingerprint(self) -> str | None:
        """What identifies the model's vectors beyond its name (cheap: loads nothing)."""
        return getattr(self.encoder, "fingerprint", None)

    def _same_model(self, manifest: dict) -> bool:
        model = manifest.get("model", {})
        return model.get("name") == self.encoder.name and model.get("fingerprint") == self.model_fingerprint \
            and model.get("backend") == self.backend

    def chunking_info(self) -> dict:
        return {"chunk_tokens": self.settings.chunk_tokens, "chunk_overlap": self.settings.chunk_overlap,
                "splitter": "langchain RecursiveCharacterTextSplitter, fr sentences, v1", "passages": PASSAGES}

    def build(self, *, rebuild: bool = False, progress: Callable[[str, int], None] | None = None,
              workers: str = "local") -> BuildReport:
        """Index the corpus folder, re-embedding only documents that changed.

        Files are compared with the manifest by the hash of their bytes first: when nothing changed and
        the index files match their checksums, nothing is extracted or written and the model is not
        loaded. A damaged current version is repaired: rebuilt from the corpus, keeping its intact
        documents and vectors (`report.repaired` says what was wrong). Another build running on the same
        index raises IndexLockedError; no usable document at all raises NothingIndexedError (with the
        report) and keeps the previous index, if any. A read-only index folder that is up to date is
        reported as such; one that needs writing raises IndexError_ saying so. `workers="ray"` reads,
        chunks and embeds on a Ray cluster (build_ray.py) and builds the same index.
        """
        t0 = time.perf_counter()
        try:
            with self.store.lock(), self._build_steps(workers) as steps:
                return self._build_locked(rebuild, progress, t0, steps)
        except IndexReadOnlyError as exc:
            files, skipped = scan_corpus(self.settings.corpus_dir, self.settings.max_file_bytes)
            manifest, damage = (None, None) if rebuild else self._current_state()
            report = self._up_to_date_report(manifest, files, skipped, t0)
            if report is not None:
                return report  # nothing to write: a read-only index folder serves as it is
            if damage:
                why = f"l'index actuel est inutilisable ({_problem(damage)})"
            elif rebuild:
                why = "une reconstruction est demandée"
            elif manifest is not None:
                changes = corpus_changes(manifest, {f.source: f.file_hash for f in files})
                why = "les documents ont changé depuis la dernière indexation (" + " ; ".join(
                    f"{label} : {', '.join(changes[key])}" for key, label in
                    (("added", "ajoutés"), ("changed", "modifiés"), ("removed", "supprimés")) if changes[key]) + ")"
            elif _has_index(self.settings.index_dir):
                why = "l'index a été construit avec d'autres réglages (modèle, découpage ou analyse)"
            else:
                why = "il n'y a pas encore d'index"
            raise IndexError_(f"{exc} ; il faudrait pourtant l'écrire : {why}. Donnez le droit d'écriture sur "
                              "ce dossier, ou indiquez-en un autre avec --index (ou ASKJOBS_INDEX).") from None

    def _up_to_date_report(self, manifest: dict | None, files: list, skipped: list[Skipped],
                           t0: float) -> BuildReport | None:
        """The report of a build with nothing to do, or None when the files on disk differ from the index."""
        on_disk = {f.source: f.file_hash for f in files}
        if manifest is None or any(corpus_changes(manifest, on_disk).values()):
            return None
        s = self.settings
        report = BuildReport(unchanged=sorted(d["source"] for d in manifest["documents"]), up_to_date=True,
                             path=self.store.current(), documents=len(manifest["documents"]),
                             chunks=manifest["counts"].get("chunks", 0),
                             sentences=manifest["counts"].get("sentences", 0))
        report.skipped = sorted(skipped + [Skipped(e["source"], e["reason"], e.get("file_hash"))
                                           for e in manifest.get("skipped", [])
                                           if e.get("file_hash")], key=lambda x: x.source)
        report.seconds = time.perf_counter() - t0
        return report

    def _build_steps(self, workers: str):
        """Reading, chunking and embedding: in this process, or on a Ray cluster."""
        if workers == "ray":
            from .build_ray import RayBuild

            return RayBuild(encoder_factory(self.encoder, self.settings))
        if workers != "local":
            raise ValueError(f"--workers {workers!r} inconnu : choisissez local ou ray.")
        return contextlib.nullcontext(_LocalSteps(self.encoder))

    def _build_locked(self, rebuild: bool, progress, t0: float, steps: "_LocalSteps") -> BuildReport:
        s = self.settings
        files, skipped = scan_corpus(s.corpus_dir, s.max_file_bytes)
        on_disk = {f.source: f.file_hash for f in files}
        manifest, damage = (None, None) if rebuild else self._current_state()
        report = self._up_to_date_report(manifest, files, skipped, t0)
        if report is not None:
            return report

        previous = None if rebuild else self._reusable_index()
        # Extract only files whose bytes changed; the others keep the text stored in the index.
        indexed = {d["source"]: d.get("file_hash") for d in previous.manifest["documents"]} if previous else {}
        def kept(f) -> bool:
            return indexed.get(f.source) == f.file_hash and f.source in previous.documents

        extracted = iter(steps.load_files([f for f in files if not kept(f)]))
        docs = []
        for f in files:
            if kept(f):
                docs.append(previous.documents[f.source])
                continue
            result = next(extracted)
            (docs if not isinstance(result, Skipped) else skipped).append(result)
        docs, duplicates = drop_duplicates(docs, on_disk)
        report = BuildReport(skipped=sorted(skipped + duplicates, key=lambda x: x.source),
                             repaired=_problem(damage) if damage else None)
        # What the index held, by the manifest (a damaged version may have lost its stored texts).
        old = {e["source"]: e["hash"] for e in previous.manifest["documents"]} if previous else {}
        for d in docs:
            bucket = report.added if d.source not in old else report.changed if old[d.source] != d.hash \
                else report.unchanged
            bucket.append(d.source)
        report.removed = sorted(set(old) - {d.source for d in docs})
        if not docs:
            report.seconds = time.perf_counter() - t0
            raise NothingIndexedError(_nothing_indexed(s.corpus_dir, report.skipped), report)

        # Chunk ids are derived from the text, so unchanged documents keep their chunks and vectors
        # (unless a damaged version lost them: those are chunked again).
        kept_chunks: dict[str, list] = {}
        for c in previous.chunks if previous else ():
            kept_chunks.setdefault(c.source, []).append(c)
        to_chunk = {d.source for d in docs if old.get(d.source) != d.hash or d.source not in kept_chunks}
        fresh_chunks: dict[str, list] = {}
        for c in steps.chunk([d for d in docs if d.source in to_chunk], s.chunk_tokens, s.chunk_overlap):
            fresh_chunks.setdefault(c.source, []).append(c)
        chunks = [c for d in docs for c in (fresh_chunks.get(d.source, []) if d.source in to_chunk
                                            else kept_chunks[d.source])]

        def counting_progress(label: str, n: int) -> None:
            report.embedded += n
            if progress:
                progress(label, n)

        # Only removals: the model need not load even to learn its dimension.
        model = self.model_info() if to_chunk or previous is None else previous.manifest["model"]
        index = build_index(docs, chunks, steps.encode, model=model,
                            chunking=self.chunking_info(), file_hashes=on_disk,
                            skipped=[{"source": x.source, "reason": x.reason, "file_hash": x.file_hash}
                                     for x in report.skipped],
                            reuse=previous, progress=counting_progress,
                            # Ray workers have no pooled pass: there, sentences are encoded alone (and recorded so).
                            encode_spans=getattr(steps, "encode_spans", None) if self.pools_sentences else None)
        report.path = self.store.publish(index)
        report.documents, report.chunks, report.sentences = len(docs), len(chunks), len(index.sentences)
        report.seconds = time.perf_counter() - t0
        self._index, self._index_version = index, report.path
        return report

    def _current_state(self) -> tuple[dict | None, IndexError_ | None]:
        """(manifest, damage): the current manifest when the index is intact (every file matches its size and
        checksum) and was built with this model, chunking and analysis, else None; and what is wrong with
        the current version, if anything. Reads the index files once, loads no vector and no model."""
        try:
            manifest = self.store.verified_manifest()
            if manifest is None:
                return None, None
        except IndexError_ as exc:  # a damaged pointer, manifest or file: the build repairs it
            return None, exc
        if not self._same_model(manifest) or manifest["chunking"] != self.chunking_info() \
                or manifest.get("analyzer") != ANALYZER or manifest.get("embedded_text") != EMBEDDED_TEXT \
                or sentence_vectors_made(manifest) != (SENTENCE_POOLED if self.pools_sentences else SENTENCE_ALONE) \
                or manifest.get("entities") != ENTITIES \
                or (self.store.kind == "faiss" and "files" not in manifest):
            return None, None  # built another way (or before checksums): rebuilt, keeping what it can
        return manifest, None

    def _reusable_index(self) -> Index | None:
        """What the current version can give a build: its intact documents, chunks and vectors (None: rebuild all).

        Only the model and the chunking decide: a new lexical analysis rebuilds BM25 from the kept texts.
        """
        previous = self.store.reusable()
        if previous is None or not self._same_model(previous.manifest) \
                or previous.manifest["chunking"] != self.chunking_info():
            return None
        return previous

    def stale_files(self) -> dict[str, list[str]]:
        """Files added, changed or removed since the index was built."""
        manifest = self.store.read_manifest() or {}
        if not self.settings.corpus_dir.is_dir():
            return corpus_changes(manifest, {})
        files, _ = scan_corpus(self.settings.corpus_dir, self.settings.max_file_bytes)
        return corpus_changes(manifest, {f.source: f.file_hash for f in files})

    # --- answering ----------------------------------------------------------
    @property
    def index(self) -> Index:
        """The current index version, reloaded when a new build was published.

        An index already in memory keeps serving when the newly published version cannot be used
        (damaged CURRENT pointer or files, another model): the reason is logged once, not on every question.
        """
        pinned = getattr(self._pinned, "index", None)
        if pinned is not None:
            return pinned
        for _ in range(3):
            try:
                version = self.store.current()
            except IndexError_ as exc:
                return self._keep_serving(exc)
            if self._index is not None and (version is None or version in (self._index_version, self._refused)):
                return self._index
            try:
                loaded = self.store.load(model_name=self.encoder.name)
                built = loaded.manifest["model"].get("backend")
                if built != self.backend and self._same_model({"model": {**loaded.manifest["model"],
                                                                         "backend": self.backend}}):
                    raise IndexError_(
                        f"L'index a été construit avec le moteur d'encodage {built or 'torch (ancien index)'!r}, "
                        f"mais le moteur configuré est {self.backend!r} : leurs vecteurs ne se mélangent pas. "
                        f"Lancez `askjobs index --rebuild` pour reconstruire l'index"
                        + (f", ou gardez-le avec ASKJOBS_BACKEND={built}." if built else "."))
                if not self._same_model(loaded.manifest):
                    raise IndexError_(
                        f"L'index a été construit avec une autre version du modèle {self.encoder.name!r} "
                        f"({loaded.manifest['model'].get('fingerprint')} ; configurée : {self.model_fingerprint}). "
                        "Lancez `askjobs index` pour le mettre à jour.")
            except IndexError_ as exc:
                # A build published (and pruned) versions while this one was loading: load the newer one.
                with contextlib.suppress(IndexError_):
                    if self.store.current() != version:
                        continue
                self._refused = version
                return self._keep_serving(exc)
            self._index, self._index_version, self._refused = loaded, loaded.path, None
            load_lexicon(cache_dir=self.settings.models_dir / "lexicon")  # a copy of simplemma's dictionary, faster to read
            load_word_vectors(self.settings.models_dir / "wordvec")
            territories()  # the names of countries, read by the first question's analysis otherwise
            return self._index
        if self._index is not None:
            return self._index
        raise IndexError_(f"L'index {self.settings.index_dir} change sans arrêt pendant son chargement ; "
                          "réessayez quand l'indexation en cours sera terminée.")

    @contextlib.contextmanager
    def one_version(self):
        """Read one index version from analyse to read, even when a build publishes another meanwhile
        (the passages found must be read in the index they were found in)."""
        self._pinned.index = self.index
        try:
            yield self._pinned.index
        finally:
            self._pinned.index = None

    def _keep_serving(self, exc: IndexError_) -> Index:
        """Answer from the index in memory when the published one is unusable; raise when there is none."""
        if self._index is None:
            raise exc
        message = str(exc)
        if message != self._last_warning:
            self._last_warning = message
            logging.getLogger("askjobs").warning(
                "askjobs : la nouvelle version de l'index est inutilisable (%s) ; les réponses continuent de "
                "venir de la version %s, chargée auparavant.", message, self._index_version.name)
        return self._index

    def warm_up(self) -> None:
        """Load the model and the index now rather than on the first question."""
        _ = self.index
        self._load_model()

    def _load_model(self) -> None:
        getattr(self.encoder, "model", None)  # the real encoders load on first access
        configure_threads()

    def analyse(self, question: str, history: list | None = None) -> Query:
        """Check the question where it enters and analyse it once for every later stage.

        `history`: the previous turns, oldest first ({"question", "answer"} dicts or Answers); a
        follow-up ("Combien gagnent-ils ?") is completed from them (askjobs.followup).
        """
        question = clean_question(question, self.settings.max_question_chars)
        resolution = resolve_followup(question, history)
        return analyse_question(question, self.index, resolved=None if resolution.ambiguous else resolution.question,
                                context=resolution.context, words=load_word_vectors(self.settings.models_dir / "wordvec"))

    def search(self, query: Query, k: int | None = None) -> Retrieval:
        """Embed the query and retrieve its k best passages (fused dense, lexical and sentence rankings)."""
        s = self.settings
        k = s.top_k if k is None else k
        if not 1 <= k <= 50:
            raise QuestionError(f"Le nombre de passages doit être entre 1 et 50 (reçu : {k}).")
        index = self.index
        self._load_model()
        t0 = time.perf_counter()
        qvec = self.encoder.encode_queries([query.resolved])[0]
        embed_ms = (time.perf_counter() - t0) * 1e3
        found = retrieve(index, query, qvec, k, candidates=s.candidates)
        return replace(found, timings_ms={"embed": embed_ms, **found.timings_ms})

    def read(self, query: Query, retrieval: Retrieval) -> Answer:
        """Quote the sentences of the retrieved passages that answer the query, or refuse."""
        s = self.settings
        return read(query, retrieval, self.index, ReaderSettings(s.refusal_threshold, s.max_answer_chars))

    def ask(self, question: str, k: int | None = None, history: list | None = None) -> Answer:
        """Answer one French question with verbatim, cited sentences, or refuse: analyse → search → read.

        With `history`, a follow-up is answered as completed from the previous turn; when it could
        mean several things, the answer (form "clarification") asks which one instead of guessing.
        """
        clean_question(question, self.settings.max_question_chars)  # bad input is refused before anything loads
        if k is not None and not 1 <= k <= 50:
            raise QuestionError(f"Le nombre de passages doit être entre 1 et 50 (reçu : {k}).")
        t0 = time.perf_counter()
        with self.one_version():
            self._load_model()
            t1 = time.perf_counter()
            query = self.analyse(question, history)
            if query.context and query.context.get("ambiguous"):
                message = resolve_followup(query.text, history).clarification()
                return Answer(query.text, message, False, 0.0, form="clarification", reason=message,
                              query=query.to_dict())
            found = self.search(query, k)
            t2 = time.perf_counter()
            answer = self.read(query, found)
            t3 = time.perf_counter()
        stages = found.timings_ms
        timings = {"embed": stages["embed"], "retrieve": (t2 - t1) * 1e3 - stages["embed"],
                   "read": (t3 - t2) * 1e3, "total": (t3 - t1) * 1e3}
        if t1 - t0 > 0.005:  # first question of a process: model and index loading, reported apart
            timings["load"] = (t1 - t0) * 1e3
        return replace(answer, timings_ms=timings)


class _LocalSteps:
    """Reading, chunking and embedding in this process (the default build)."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder

    def load_files(self, files: list) -> list:
        return [load_file(f) for f in files]

    def chunk(self, documents: list, chunk_tokens: int, chunk_overlap: int) -> list:
        if not documents:
            return []
        splitter = make_splitter(chunk_tokens, chunk_overlap, self.encoder.count_tokens, whole_documents=True)
        return [c for d in documents for c in chunk_document(d, splitter)]

    def encode(self, texts):
        return self.encoder.encode_passages(texts)

    def encode_spans(self, texts, spans):
        return self.encoder.encode_passages_with_spans(texts, spans)


def encoder_factory(encoder: Encoder, settings: Settings) -> Callable[[], Encoder]:
    """How a Ray worker makes its own copy of the encoder (the model is loaded there, once per worker)."""
    import copy
    from functools import partial

    if isinstance(encoder, (embed.SentenceTransformerEncoder, embed.OnnxEncoder)):
        return partial(embed.make_encoder, settings)
    return partial(copy.deepcopy, encoder)  # a light encoder (tests) travels as it is
