"""Files → Documents: reading, decoding, titles and dates. No embedding here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .schema import Document
from .text import is_heading, split_sentences

SUPPORTED_SUFFIXES = (".txt", ".md")

_MONTHS = {m: i for i, m in enumerate(
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
     "septembre", "octobre", "novembre", "décembre"], start=1)}
_DATE_RE = re.compile(
    r"\b(1er|[0-3]?\d)\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d\d)\b", re.IGNORECASE
)
_DATE_LINE_RE = re.compile(r"^\s*(publié|mis à jour|modifié|date)\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (in French, shown to the user)."""

    source: str
    reason: str


def find_date(text: str, head_chars: int = 400) -> str | None:
    """ISO date of the first French date written near the top of the text."""
    m = _DATE_RE.search(text[:head_chars])
    if not m:
        return None
    day = 1 if m.group(1).lower() == "1er" else int(m.group(1))
    month = _MONTHS[m.group(2).lower()]
    if not 1 <= day <= 31:
        return None
    return f"{m.group(3)}-{month:02d}-{day:02d}"


def find_title(text: str, fallback: str) -> str:
    """The heading line of a document, else its first sentence, else the file name."""
    lines = [ln.strip().lstrip("#").strip() for ln in text.splitlines()[:5]]
    for line in lines:
        if not line or _DATE_LINE_RE.match(line) or (_DATE_RE.search(line) and len(line) < 40):
            continue
        if is_heading(line) or len(line) <= 120:
            return line
        first = split_sentences(line)
        sentence = line[first[0].start:first[0].end] if first else line
        return sentence if len(sentence) <= 120 else sentence[:117].rstrip() + "…"
    return fallback


def read_text_file(path: Path) -> str:
    """Decode a text file (UTF-8, with or without BOM) and normalise it to NFC."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    return unicodedata.normalize("NFC", text)


def load_document(path: Path, corpus_dir: Path) -> Document:
    source = path.relative_to(corpus_dir).as_posix()
    text = read_text_file(path)
    return Document(source=source, title=find_title(text, path.stem), text=text, date=find_date(text))


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[Skipped]]:
    """Every supported file under corpus_dir as a Document; the rest reported as skipped."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(
            f"Le dossier de documents {corpus_dir} n'existe pas. "
            "Créez-le et placez-y des fichiers .txt ou .md, ou indiquez-en un autre avec --corpus."
        )
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        source = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(source, f"format non pris en charge ({path.suffix or 'sans extension'})"))
            continue
        try:
            doc = load_document(path, corpus_dir)
        except UnicodeDecodeError:
            skipped.append(Skipped(source, "encodage illisible (UTF-8 attendu)"))
            continue
        except OSError as exc:
            skipped.append(Skipped(source, f"lecture impossible: {exc.strerror or exc}"))
            continue
        if not doc.text.strip():
            skipped.append(Skipped(source, "fichier vide"))
            continue
        docs.append(doc)
    return docs, skipped
