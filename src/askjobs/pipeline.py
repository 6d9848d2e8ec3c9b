"""The askjobs library API: build an index from a folder, answer questions over it."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .answer import ReaderSettings, answer_question
from .chunking import chunk_documents, make_splitter
from .config import Settings
from .embed import Encoder, SentenceTransformerEncoder
from .index import Index, IndexError_, build_index, corpus_changes, file_hash, load_index, read_manifest, save_index
from .ingest import Skipped, load_corpus
from .retrieve import retrieve
from .schema import Answer


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
    embedded: int = 0
    seconds: float = 0.0
    path: Path | None = None


class AskJobs:
    """Question answering over one corpus folder and its index. Cheap to construct."""

    def __init__(self, settings: Settings | None = None, encoder: Encoder | None = None):
        self.settings = settings or Settings()
        self.encoder = encoder or SentenceTransformerEncoder.from_settings(self.settings)
        self._index: Index | None = None
        self._index_version: Path | None = None

    # --- indexing -----------------------------------------------------------
    def model_info(self) -> dict:
        return {"name": self.encoder.name, "dim": int(self.encoder.dim)}

    def chunking_info(self) -> dict:
        return {"chunk_tokens": self.settings.chunk_tokens, "chunk_overlap": self.settings.chunk_overlap,
                "splitter": "langchain RecursiveCharacterTextSplitter, fr sentences, v1"}

    def build(self, *, rebuild: bool = False, progress: Callable[[str, int], None] | None = None) -> BuildReport:
        """Index the corpus folder, re-embedding only documents that changed."""
        t0 = time.perf_counter()
        docs, skipped = load_corpus(self.settings.corpus_dir)
        report = BuildReport(skipped=skipped)
        previous = None if rebuild else self._reusable_index()
        old = {d["source"]: d["hash"] for d in previous.manifest["documents"]} if previous else {}
        for d in docs:
            if d.source not in old:
                report.added.append(d.source)
            elif old[d.source] != d.hash:
                report.changed.append(d.source)
            else:
                report.unchanged.append(d.source)
        report.removed = sorted(set(old) - {d.source for d in docs})
        if not docs:
            raise IndexError_(f"Aucun document utilisable dans {self.settings.corpus_dir} : rien à indexer.")
        splitter = make_splitter(self.settings.chunk_tokens, self.settings.chunk_overlap, self.encoder.count_tokens)
        chunks = chunk_documents(docs, splitter)

        def counting_progress(label: str, n: int) -> None:
            report.embedded += n
            if progress:
                progress(label, n)

        hashes = {d.source: file_hash(self.settings.corpus_dir / d.source) for d in docs}
        index = build_index(docs, chunks, self.encoder.encode_passages, model=self.model_info(),
                            chunking=self.chunking_info(), file_hashes=hashes, reuse=previous,
                            progress=counting_progress)
        report.path = save_index(index, self.settings.index_dir)
        report.documents, report.chunks, report.sentences = len(docs), len(chunks), len(index.sentences)
        report.seconds = time.perf_counter() - t0
        self._index, self._index_version = index, report.path
        return report

    def _reusable_index(self) -> Index | None:
        """The current index, if it was built with the same model and chunking (else rebuild all)."""
        try:
            manifest = read_manifest(self.settings.index_dir)
            if not manifest or manifest.get("model", {}).get("name") != self.encoder.name \
                    or manifest.get("chunking") != self.chunking_info():
                return None
            return load_index(self.settings.index_dir, model_name=self.encoder.name)
        except IndexError_:
            return None

    def stale_files(self) -> dict[str, list[str]]:
        """Files added, changed or removed since the index was built."""
        manifest = read_manifest(self.settings.index_dir) or {}
        docs_dir = self.settings.corpus_dir
        on_disk = {}
        if docs_dir.is_dir():
            known = {d["source"] for d in manifest.get("documents", [])}
            for path in docs_dir.rglob("*"):
                rel = path.relative_to(docs_dir).as_posix()
                if path.is_file() and (rel in known or path.suffix.lower() in (".txt", ".md")) \
                        and not any(p.startswith(".") for p in path.relative_to(docs_dir).parts):
                    on_disk[rel] = file_hash(path)
        return corpus_changes(manifest, on_disk)

    # --- answering ----------------------------------------------------------
    @property
    def index(self) -> Index:
        """The current index version, reloaded when a new build was published."""
        from .index import current_version

        version = current_version(self.settings.index_dir)
        if self._index is None or (version is not None and version != self._index_version):
            self._index = load_index(self.settings.index_dir, model_name=self.encoder.name)
            self._index_version = self._index.path
        return self._index

    def warm_up(self) -> None:
        """Load the model and the index now rather than on the first question."""
        _ = self.index
        model = getattr(self.encoder, "model", None)  # SentenceTransformerEncoder loads lazily
        del model

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer one French question with verbatim, cited sentences, or refuse."""
        s = self.settings
        question = clean_question(question, s.max_question_chars)
        k = s.top_k if k is None else k
        if not 1 <= k <= 50:
            raise QuestionError(f"Le nombre de passages doit être entre 1 et 50 (reçu : {k}).")
        t0 = time.perf_counter()
        index = self.index
        self.warm_up()
        t1 = time.perf_counter()
        qvec = self.encoder.encode_queries([question])[0]
        t2 = time.perf_counter()
        hits = retrieve(index, question, qvec, k, candidates=s.candidates, rrf_k=s.rrf_k)
        t3 = time.perf_counter()
        answer = answer_question(question, qvec, hits, index,
                                 ReaderSettings(k, s.refusal_threshold, s.max_answer_chars))
        t4 = time.perf_counter()
        timings = {"embed": (t2 - t1) * 1e3, "retrieve": (t3 - t2) * 1e3, "read": (t4 - t3) * 1e3,
                   "total": (t4 - t1) * 1e3}
        if t1 - t0 > 0.005:  # first question of a process: model and index loading, reported apart
            timings["load"] = (t1 - t0) * 1e3
        return Answer(answer.question, answer.answer, answer.answerable, answer.confidence,
                      answer.citations, answer.nearest, timings)
