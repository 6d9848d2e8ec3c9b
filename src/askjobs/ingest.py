"""Files → Documents: finding, reading, decoding and extracting text, titles and dates. No embedding here.

A Document's text is the extracted, normalised text; it is stored with the index
and every citation's offsets point into it. Extraction uses libraries: pypdf
(PDF text layer), python-docx (Word), trafilatura (main text of a web page) and
charset-normalizer (legacy encodings).
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .files import os_reason, sha256_file
from .schema import Document
from .text import LONG_WORD, MAX_WORD_CHARS, MONTHS, head_date, is_date_line, is_heading, split_sentences

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + (".pdf", ".docx")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# After UTF-8, the encodings a French text file may be in (cp1252 covers Latin-1's letters).
LEGACY_ENCODINGS = ["cp1252", "iso8859_15", "cp850", "mac_roman"]



@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (in French, shown to the user)."""

    source: str
    reason: str
    file_hash: str | None = None  # set when the reason comes from the content (re-checked when it changes)


@dataclass(frozen=True)
class SourceFile:
    """A corpus file that may be indexed: where it is and the SHA-256 of its bytes."""

    source: str  # path relative to the corpus folder, POSIX style
    path: Path
    size: int
    file_hash: str


class ExtractionError(ValueError):
    """A file whose text cannot be used; the message (in French) says why and what to do."""


# --- Text normalisation --------------------------------------------------------
# Stored text is NFC with "\n" line ends. Typographic spaces (NBSP, narrow NBSP,
# thin spaces) are kept as written: French uses them before « ; : ! ? % € » and
# every matcher goes through text.normalize(), which reads them as spaces.
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st"}
_INVISIBLE = "\u00ad\u200b\u2060\ufeff"  # soft hyphen, zero-width spaces, BOM
_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CLEAN_TABLE = str.maketrans({**_LIGATURES, **{c: None for c in _INVISIBLE}, **{c: "\n" for c in _LINE_BREAKS}})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def clean_text(text: str) -> str:
    """NFC, "\\n" line ends, PDF ligatures spelt out, invisible and control characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEAN_TABLE)
    return unicodedata.normalize("NFC", _CONTROL_RE.sub("", text))


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Text and encoding of a text file: BOMs, then UTF-8, then the likeliest legacy encoding."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                          (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError:
                raise ExtractionError(f"encodage illisible : le fichier annonce {encoding} mais n'en est pas") from None
    if b"\x00" in raw:
        raise ExtractionError("fichier binaire et non texte (octets nuls) : vérifiez son extension")
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw, cp_isolation=LEGACY_ENCODINGS).best()
        if best is None:
            raise ExtractionError("fichier binaire ou encodage non reconnu (UTF-8 ou Windows-1252 attendu)") from None
        text, encoding = str(best), best.encoding
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\x0c")
    if controls > max(2, len(text) // 200):
        raise ExtractionError("fichier binaire et non texte (caractères de contrôle) : vérifiez son extension")
    return text, encoding


# --- Titles and dates ----------------------------------------------------------

def find_date(text: str) -> str | None:
    """ISO date of the first French date written near the top of the text."""
    m = head_date(text)
    if not m:
        return None
    day = 1 if m.group(1).lower() == "1er" else int(m.group(1))
    return f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{day:02d}"


def find_title(text: str, fallback: str) -> str:
    """The heading line of a document, else its first sentence, else the file name."""
    lines = [ln.strip().lstrip("#").strip() for ln in text[:5000].splitlines()[:5]]  # the head, not every line
    for line in lines:
        if not line or is_date_line(line):
            continue
        if is_heading(line) or len(line) <= 120:
            return line
        first = split_sentences(line)
        sentence = line[first[0].start:first[0].end] if first else line
        return sentence if len(sentence) <= 120 else sentence[:117].rstrip() + "…"
    return fallback


# --- Extraction, one function per format ------------------------------------------

def _extract_text_file(raw: bytes) -> tuple[str, dict]:
    text, encoding = decode_bytes(raw)
    return clean_text(text), {"encoding": encoding}


# Page furniture trafilatura should never take for content.
_HTML_PRUNE = ["//nav", "//header", "//footer", "//aside", "//form", "//menu",
               "//*[@role='navigation']", "//*[@role='banner']", "//*[@role='contentinfo']"]


def _extract_html(raw: bytes) -> tuple[str, dict]:
    import trafilatura

    html, encoding = decode_bytes(raw)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    result = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=True,
                                         include_images=False, deduplicate=False, prune_xpath=_HTML_PRUNE)
    text = clean_text(result.text or "") if result is not None else ""
    if not text.strip():
        raise ExtractionError("page HTML sans texte principal (que des menus, des scripts ou rien)")
    meta = {"encoding": encoding}
    if result.title:
        meta["title"] = clean_text(result.title).strip()
    return text, meta


def _extract_pdf(raw: bytes) -> tuple[str, dict, tuple[int, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # damaged files are reported as skipped instead
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # many PDFs only restrict editing, with an empty open password
            except (DependencyError, NotImplementedError) as exc:
                raise ExtractionError(f"PDF chiffré avec un algorithme non pris en charge ({exc})") from None
            if not opened:
                raise ExtractionError("PDF protégé par un mot de passe : enregistrez-en une copie sans "
                                      "protection pour l'indexer")
        page_texts = [clean_text(page.extract_text() or "").strip() for page in reader.pages]
    except ExtractionError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; all mean the same to the user
        raise ExtractionError(f"PDF illisible ou endommagé ({type(exc).__name__}: {exc})") from None
    if not page_texts:
        raise ExtractionError("PDF sans aucune page")
    if not any(page_texts):
        raise ExtractionError(f"PDF sans couche texte ({len(page_texts)} page(s) d'images, document scanné ?) : "
                              "il nécessite une reconnaissance de caractères (OCR) avant de pouvoir être indexé")
    text, starts = "", []
    for page_text in page_texts:
        if starts:
            text += "\n\n"
        starts.append(len(text))
        text += page_text
    return text, {"pages": len(page_texts)}, tuple(starts)


def _extract_docx(raw: bytes) -> tuple[str, dict]:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = []
                    for cell in row.cells:  # merged cells come back once per grid column
                        if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                            cells.append(cell.text.strip())
                    if cells:
                        blocks.append(" | ".join(cells))
            elif item.text.strip():
                blocks.append(item.text.strip())
        title = (document.core_properties.title or "").strip()
    except Exception as exc:  # not a zip, missing parts, bad XML: all mean a damaged or protected file
        raise ExtractionError(f"document Word illisible, endommagé ou protégé par mot de passe "
                              f"({type(exc).__name__})") from None
    meta = {"title": title} if title else {}
    return clean_text("\n".join(blocks)), meta


def extract_document(source: str, raw: bytes) -> Document:
    """The Document of one file's bytes; raises ExtractionError saying why it cannot be used."""
    suffix = Path(source).suffix.lower()
    if not raw.strip():
        raise ExtractionError("fichier vide")
    pages: tuple[int, ...] = ()
    if suffix in TEXT_SUFFIXES:
        text, meta = _extract_text_file(raw)
    elif suffix in HTML_SUFFIXES:
        text, meta = _extract_html(raw)
    elif suffix == ".pdf":
        text, meta, pages = _extract_pdf(raw)
    elif suffix == ".docx":
        text, meta = _extract_docx(raw)
    else:
        raise ExtractionError(_unsupported(suffix))
    if not text.strip():
        raise ExtractionError("fichier vide (aucun texte)")
    long_chars = sum(m.end() - m.start() for m in LONG_WORD.finditer(text))
    if long_chars > len(text) // 2:
        raise ExtractionError(f"pas du texte à lire : {100 * long_chars // len(text)} % du fichier sont des suites de "
                              f"plus de {MAX_WORD_CHARS} caractères sans espace (données encodées, base64, "
                              "empreintes ?) : askjobs indexe du texte rédigé")
    meta = {"format": suffix.lstrip("."), **meta}
    title = meta.pop("title", None) or find_title(text, Path(source).stem)
    if len(title) > 200:  # a title comes with every passage it embeds: a whole page given as title is cut
        title = title[:199].rstrip() + "…"
    return Document(source=source, title=title, text=text, date=find_date(text), pages=pages, metadata=meta)


def _unsupported(suffix: str) -> str:
    return (f"format non pris en charge ({suffix or 'sans extension'}) : formats acceptés "
            + ", ".join(SUPPORTED_SUFFIXES))


# --- Finding files --------------------------------------------------------------

MAX_DEPTH = 32  # folders nested deeper than this are reported, not walked


class CorpusError(ValueError):
    """The corpus folder itself cannot be read; the message (in French) says why and what to do."""


def scan_corpus(corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[SourceFile], list[Skipped]]:
    """Supported files under corpus_dir with the hash of their bytes; the others reported as skipped.

    Cheap: reads and hashes bytes but extracts nothing. Hidden files and folders are ignored;
    symbolic links are followed only when they lead to a file inside the corpus folder. Nothing in
    the folder can stop the scan: link loops, dangling links, unreadable folders, folders nested
    deeper than MAX_DEPTH, names that are not UTF-8 and special files are each reported with the reason.
    """
    corpus_dir = Path(corpus_dir)
    try:
        is_dir = corpus_dir.is_dir()
        root = corpus_dir.resolve(strict=True) if is_dir else None
    except (OSError, RuntimeError):  # a loop of links: Python 3.11 raises RuntimeError
        is_dir, root = False, None
    if not is_dir or root is None:
        raise FileNotFoundError(
            f"Le dossier de documents {corpus_dir} n'existe pas. Créez-le et placez-y vos documents "
            f"({', '.join(SUPPORTED_SUFFIXES)}), ou indiquez-en un autre avec --corpus."
        )
    try:
        os.scandir(corpus_dir).close()
    except OSError as exc:
        raise CorpusError(f"Le dossier de documents {corpus_dir} est illisible ({os_reason(exc)}) : donnez-vous le "
                          "droit de le lire, ou indiquez-en un autre avec --corpus.") from None
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    # An explicit stack, not os.walk: Python 3.11's os.walk recurses and a very deep tree would overflow it.
    stack: list[tuple[Path, int]] = [(corpus_dir, 0)]
    while stack:
        folder, depth = stack.pop()
        here = folder.relative_to(corpus_dir).as_posix()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(here + "/", f"dossier illisible ({os_reason(exc)}) : son contenu n'est pas indexé"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith((".", "~$")):  # hidden files, Office lock files
                continue
            source = entry.name if here == "." else f"{here}/{entry.name}"
            found = _examine(entry, source, root, depth, max_bytes)
            if isinstance(found, Skipped):
                skipped.append(found)
            elif isinstance(found, SourceFile):
                files.append(found)
            elif found is not None:
                subfolders.append(found)
        stack.extend((sub, depth + 1) for sub in reversed(subfolders))
    return files, skipped


def _examine(entry: os.DirEntry, source: str, root: Path, depth: int, max_bytes: int
             ) -> SourceFile | Skipped | Path | None:
    """One folder entry: a file to index, a sub-folder to walk, a reason to skip it, or None (ignored)."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in the name (os.fsdecode keeps them as surrogates)
        shown = source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return Skipped(shown, "nom de fichier illisible (caractères qui ne sont pas de l'UTF-8) : renommez-le")
    path = Path(entry.path)
    try:
        if entry.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:  # Python 3.11 reports a loop this way
                return Skipped(source, "boucle de liens symboliques : non suivi")
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    return Skipped(source, "lien symbolique cassé (sa cible n'existe pas)")
                return Skipped(source, f"lien symbolique non suivi ({os_reason(exc)})")
            if not target.is_relative_to(root):
                return Skipped(source, f"lien symbolique vers {target}, hors du dossier de documents : non suivi")
            if target.is_dir():
                return Skipped(source, "lien symbolique vers un dossier : non suivi (son contenu est déjà parcouru)")
        elif entry.is_dir(follow_symlinks=False):
            if depth + 1 > MAX_DEPTH:
                return Skipped(source + "/", f"dossier trop profond (plus de {MAX_DEPTH} niveaux) : son contenu "
                                             "n'est pas indexé ; rapprochez-le de la racine du dossier")
            return path
        if not entry.is_file(follow_symlinks=True):
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                return Skipped(source, "pas un fichier ordinaire (tube, socket ou périphérique) : non lu")
            return None
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return Skipped(source, _unsupported(path.suffix))
        size = path.stat().st_size
        if size > max_bytes:
            return Skipped(source, f"fichier trop volumineux ({_mb(size)}, limite {_mb(max_bytes)}) : "
                                   "découpez-le ou relevez la limite avec ASKJOBS_MAX_FILE_MB")
        return SourceFile(source, path, size, sha256_file(path))
    except PermissionError:
        return Skipped(source, "lecture refusée (permissions) : donnez le droit de lecture sur ce fichier "
                               "ou retirez-le du dossier")
    except OSError as exc:
        return Skipped(source, f"lecture impossible ({os_reason(exc)})")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} Mo".replace(".", ",")


def load_file(file: SourceFile) -> Document | Skipped:
    """Extract one scanned file: its Document, or why it was skipped."""
    try:
        with open(file.path, "rb") as fh:
            raw = fh.read(file.size + 1)  # never more than the size checked against the limit
        if len(raw) != file.size:
            return Skipped(file.source, "le fichier a changé pendant l'indexation : relancez `askjobs index`")
        return extract_document(file.source, raw)
    except ExtractionError as exc:
        return Skipped(file.source, str(exc), file.file_hash)
    except PermissionError:
        return Skipped(file.source, "lecture refusée (permissions) : donnez le droit de lecture sur ce fichier "
                                    "ou retirez-le du dossier")
    except OSError as exc:
        return Skipped(file.source, f"lecture impossible ({os_reason(exc)})")


def drop_duplicates(docs: list[Document], file_hashes: dict[str, str] | None = None
                    ) -> tuple[list[Document], list[Skipped]]:
    """Keep the first of documents with the same text (by source order); report the others."""
    kept: dict[str, Document] = {}
    skipped = []
    for doc in sorted(docs, key=lambda d: d.source):
        first = kept.setdefault(doc.hash, doc)
        if first is not doc:
            skipped.append(Skipped(doc.source, f"doublon exact de {first.source} : indexé une seule fois",
                                   (file_hashes or {}).get(doc.source)))
    return list(kept.values()), skipped


def load_corpus(corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[Document], list[Skipped]]:
    """Every usable file under corpus_dir as a Document; the rest reported as skipped, with the reason."""
    files, skipped = scan_corpus(corpus_dir, max_bytes)
    docs = []
    for file in files:
        result = load_file(file)
        (docs if isinstance(result, Document) else skipped).append(result)
    docs, duplicates = drop_duplicates(docs, {f.source: f.file_hash for f in files})
    return docs, sorted(skipped + duplicates, key=lambda s: s.source)
