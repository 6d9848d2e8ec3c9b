"""Dataclasses passed between pipeline stages. No I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import cached_property


def stable_id(*parts: object, length: int = 16) -> str:
    """Deterministic id: SHA-256 over the parts, hex-truncated."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]


def content_hash(text: str) -> str:
    """SHA-256 of a document's text (used to detect changed documents)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Document:
    """One source document, as the text that citations point into."""

    source: str  # path relative to the corpus folder, POSIX style
    title: str
    text: str
    date: str | None = None  # ISO date when the text states one
    pages: tuple[int, ...] = ()  # start offset of each page (PDF), empty otherwise
    metadata: dict = field(default_factory=dict)

    @cached_property
    def hash(self) -> str:
        return content_hash(self.text)  # read by every build step and load check: hashed once

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding `offset`, or None for unpaged documents."""
        if not self.pages:
            return None
        page = 0
        for i, start in enumerate(self.pages):
            if start <= offset:
                page = i
            else:
                break
        return page + 1

    def __repr__(self) -> str:
        return f"Document({self.source!r}, title={self.title[:40]!r}, chars={len(self.text)})"


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) inside a document's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of a document with exact offsets: doc.text[start:end] == text."""

    chunk_id: str
    source: str
    start: int
    end: int
    text: str

    def __repr__(self) -> str:
        return f"Chunk({self.chunk_id}, {self.source}[{self.start}:{self.end}])"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document, the unit answers are quoted in."""

    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    row: int = -1  # position of the chunk in the index
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """A verbatim quote with its exact position in the source document."""

    n: int
    source: str
    title: str
    chunk_id: str
    start: int
    end: int
    quote: str
    passage: str
    passage_start: int
    passage_end: int
    score: float
    page: int | None = None
    # The short answer (amount, date, name…) inside the quote, as document offsets; None when not marked.
    answer_start: int | None = None
    answer_end: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The reply to one question: a verbatim answer with citations, or a refusal."""

    question: str
    answer: str
    answerable: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    nearest: tuple[Citation, ...] = ()  # best passages shown when refusing
    timings_ms: dict = field(default_factory=dict)
    form: str = "fact"  # "fact", "list", "definition", "document" (about a document itself) or "refusal"
    reason: str | None = None  # why askjobs refused, in French
    query: dict = field(default_factory=dict)  # how the question was understood (Query.to_dict())

    @property
    def understood(self) -> str:
        return self.query.get("understood", self.question)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "understood": self.understood,
            "answer": self.answer,
            "answerable": self.answerable,
            "form": self.form,
            "confidence": round(self.confidence, 4),
            "reason": self.reason,
            "citations": [c.to_dict() for c in self.citations],
            "nearest": [c.to_dict() for c in self.nearest],
            "query": self.query,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
