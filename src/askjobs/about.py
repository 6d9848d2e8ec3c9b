"""Questions about a document itself ("De quand date l'article ?", "Qui a écrit ce texte ?",
"De quoi parle ce document ?").

Their answer is not in what the document says about its subject but in its date line, its
byline or its opening sentence, which passage ranking never favours. This module recognises
such questions and finds the line to quote; the reader (answer.py) cites it like any other
sentence, or refuses when the document states no date or author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .index import Index
from .schema import Hit
from .text import head_date, is_date_line, is_heading, normalize

# A document named as such: "l'article", "ce document", "le texte"… but not "le rapport de
# McKinsey" or "l'étude Gartner", which are sources the document cites.
_DOCUMENT = re.compile(
    r"\b(?:l'|le |la |les |cet |ce |cette |ces |du |des )"
    r"(?:article|document|texte|billet|rapport|publication|étude|page|note|fichier|dossier)s?\b"
    r"(?!\s+(?:de |du |d'|des )?[A-ZÀ-Þ0-9])")
# "Selon l'article, …" / "Dans le texte, …" introduce a question about the content.
_ACCORDING_TO = re.compile(r"\b(?:selon|d'après|dans|d'apres)\s+(?:l'|le |la |les |ce |cet |cette |ces )\w+")
_WHEN = re.compile(r"\bquand\b|\bquel(?:le)?\s+(?:ann[ée]e|date|jour|mois)\b|\bdate\s+de\s+"
                   r"(?:publication|parution|mise en ligne|r[ée]daction)\b")
_PUBLISHED = re.compile(r"\b(?:publi|paru|mise? en ligne|r[ée]dig|[ée]crit|dat[ée]|sorti)")
_ABOUT_AUTHOR = re.compile(
    r"\b(?:auteure?s?|autrices?|r[ée]dact(?:eur|rice)s?|signataires?)\b"
    r"|\bqui\s+(?:a|ont)\s+(?:[ée]crit|r[ée]dig[ée]|sign[ée])\b"
    r"|\b(?:[ée]crite?s?|r[ée]dig[ée]e?s?|sign[ée]e?s?)\s+par\s+qui\b")
_ABOUT_TOPIC = re.compile(
    r"\bde quoi (?:parle|traite|est-il question|s'agit-il)|\bà propos de quoi\b|\bsujet\b|\bth[èe]me\b"
    r"|\br[ée]sum|\bquel est l'objet\b|\bque (?:dit|raconte)\b(?!.*\b(?:sur|à propos|au sujet|concernant|quant)\b)")
# A byline among a document's first lines: "Par Marie Dupont", "Auteur : M. Dupont".
_BYLINE = re.compile(
    r"^[ \t]*(?:par|auteur|autrice|auteure|r[ée]dig[ée] par|[ée]crit par|sign[ée])\b[ \t]*:?[ \t]*"
    r"[A-ZÀ-Þ][\w.'’-]+(?:[ \t]+(?:de |d'|du |van |von |le |la )?[A-ZÀ-Þ][\w.'’-]+){0,3}[ \t]*$",
    re.IGNORECASE | re.MULTILINE)
_HEAD_LINES = 6


@dataclass(frozen=True)
class DocumentAnswer:
    """Where a document states what the question asks about it, and how sure the choice of document is."""

    source: str
    start: int | None  # None: the document does not say
    end: int | None
    confidence: float


def question_about_document(question: str) -> str | None:
    """'date', 'author' or 'topic' when the question asks about a document rather than its content."""
    q = question.replace("’", "'").strip()
    q = q[:1].lower() + q[1:]  # capitals inside the question still mark names
    q = _ACCORDING_TO.sub(" ", q)
    if not _DOCUMENT.search(q):
        return None
    low = normalize(q)
    if _ABOUT_AUTHOR.search(low):
        return "author"
    if _WHEN.search(low) and _PUBLISHED.search(low):
        return "date"
    if _ABOUT_TOPIC.search(low):
        return "topic"
    return None


def answer_about_document(kind: str, hits: list[Hit], index: Index) -> DocumentAnswer:
    """The date line, byline or opening sentence of the document the question most likely means
    (the retrieved one)."""
    source = hits[0].chunk.source
    # How much of the retrieval evidence points at this document: 1.0 when it is the only one retrieved.
    total = sum(h.score for h in hits) or 1.0
    confidence = sum(h.score for h in hits if h.chunk.source == source) / total
    text = index.documents[source].text
    span = _date_line(text) if kind == "date" else _byline(text) if kind == "author" else _lead(index, source)
    if span is None:
        return DocumentAnswer(source, None, None, confidence)
    return DocumentAnswer(source, span[0], span[1], confidence)


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The stripped line holding text[start:end]."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _date_line(text: str) -> tuple[int, int] | None:
    m = head_date(text)
    if not m:
        return None
    start, end = _line_around(text, m.start(), m.end())
    # A long line is a paragraph that happens to hold a date: quote just the date then.
    return (start, end) if end - start <= 120 else (m.start(), m.end())


def _byline(text: str) -> tuple[int, int] | None:
    head_end = len("\n".join(text.split("\n", _HEAD_LINES)[:_HEAD_LINES]))
    m = _BYLINE.search(text, 0, head_end)
    return _line_around(text, m.start(), m.end()) if m else None


def _lead(index: Index, source: str) -> tuple[int, int] | None:
    """The document's first sentence that is neither its title nor its date line: what it is about."""
    def leads() -> dict[str, tuple[int, int]]:  # one pass over the sentences, once per index
        out: dict[str, tuple[int, int]] = {}
        for s in index.sentences:
            if s.source not in out and not is_heading(s.text) and not is_date_line(s.text):
                out[s.source] = (s.start, s.end)
        return out

    return index.cached(("leads",), leads).get(source)
