"""Document → Chunks with exact character offsets (langchain-text-splitters, French-aware)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .schema import Chunk, Document, stable_id
from .text import MAX_WORD_CHARS, SENTENCE_BOUNDARY, WORD_BOUNDARY

# Paragraphs first, then lines, then French sentences, then clauses, then words.
SEPARATORS = ["\n\n", "\n", SENTENCE_BOUNDARY, r"(?<=;)\s+", r"(?<=,)\s+", WORD_BOUNDARY, ""]


# Passage size by kind of document: with `make_splitter(..., whole_documents=True)` (what askjobs indexes
# with) a document that holds in this many tokens is one passage, whole — a FAQ answer page, a notice —
# and with its title and e5's "passage: " prompt it still fits the model's 512-token window. Longer
# documents are split as running text. Cutting long pages at their headings (`section_tokens`) was
# measured and is not used (README, Benchmark).
WHOLE_DOCUMENT_TOKENS = 480
# Recorded in the index manifest: an index chunked another way is rebuilt.
PASSAGES = f"a document of at most {WHOLE_DOCUMENT_TOKENS} tokens whole, else split as running text (v1)"


def make_splitter(chunk_tokens: int, chunk_overlap: int, count_tokens: Callable[[str], int], *,
                  whole_documents: bool = False):
    """A recursive splitter whose sizes are measured in the encoder's tokens.

    With `whole_documents`, chunk_document keeps a document of at most max(chunk_tokens,
    WHOLE_DOCUMENT_TOKENS) tokens as one passage.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if chunk_overlap >= chunk_tokens:
        raise ValueError(
            f"chunk overlap ({chunk_overlap}) must be smaller than the chunk size ({chunk_tokens})"
        )
    splitter = RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=_bounded(count_tokens, chunk_tokens),
        strip_whitespace=True,
    )
    splitter.whole_tokens = max(chunk_tokens, WHOLE_DOCUMENT_TOKENS) if whole_documents else None
    return splitter


# No text longer than this many characters per token of the chunk size can fit in a chunk (words are
# at most MAX_WORD_CHARS long here): it is "too long" without being tokenised, which would cost memory
# growing with its length.
_MAX_CHARS_PER_TOKEN = 64
# The splitter sees the text in blocks of at most this many characters, cut between paragraphs, lines
# or words: its work lists stay small whatever the document's size. Shorter documents are one block.
BLOCK_CHARS = 100_000
_LONG_RUN = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}|\s{{{MAX_WORD_CHARS + 1},}}")


def _bounded(count_tokens: Callable[[str], int], chunk_tokens: int) -> Callable[[str], int]:
    limit = chunk_tokens * _MAX_CHARS_PER_TOKEN

    def count(text: str) -> int:
        return count_tokens(text) if len(text) <= limit else chunk_tokens + 1

    count.__wrapped__ = count_tokens
    return count


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
    """(start, end, is_long_word) spans covering text[start:end] but its long runs of spaces, in order."""
    pos = start
    for m in _LONG_RUN.finditer(text, start, end):
        yield from _text_blocks(text, pos, m.start())
        if not m.group()[0].isspace():
            yield m.start(), m.end(), True
        pos = m.end()
    yield from _text_blocks(text, pos, end)


def _text_blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
    while end - start > BLOCK_CHARS:
        limit = start + BLOCK_CHARS
        cut = max((text.rfind(sep, start + 1, limit) for sep in ("\n\n", "\n")), default=-1)
        if cut <= start:
            cut = text.rfind(" ", start + 1, limit)
        cut = cut if cut > start else limit  # cannot happen: runs without spaces are at most MAX_WORD_CHARS
        yield start, cut, False
        start = cut
    if end > start:
        yield start, end, False


def _first_window(text: str, start: int, end: int, splitter) -> int:
    """End of the longest start of text[start:end] within the chunk size, found in a few measures."""
    size, count = splitter._chunk_size, splitter._length_function
    width = min(end - start, size * 4)
    while width > 1:
        n = count(text[start:start + width])
        if n <= size:
            break
        width = max(1, min(width - 1, width * size * 9 // (10 * n)))
    return start + width


def chunk_document(doc: Document, splitter, *, whole_tokens: int | None = None,
                   section_tokens: int | None = None) -> list[Chunk]:
    """Split one document; every chunk satisfies doc.text[start:end] == chunk.text.

    The passage size follows the kind of document, read from the document itself:
    - a short page (at most `whole_tokens` tokens: a FAQ answer, a notice) is one passage, whole
      (default: the splitter's, see make_splitter's `whole_documents`);
    - with `section_tokens`, a long page with headings is cut at its headings: each section (heading
      and body) is one passage when it holds in `section_tokens`, else it is split like running text
      (measured, not used by askjobs: eval/fusion_study.py's `kindW-sS` variants);
    - running text (encyclopaedia paragraphs, an article without headings) is split by the splitter.
    Time and memory grow linearly with the text: it is split block by
    block, and a run of more than MAX_WORD_CHARS characters without a space gets one passage of its
    own, its first chunk-size window (the rest of such a run is not indexed: it cannot be read as words).
    """
    chunks: list[Chunk] = []
    text = doc.text
    whole_tokens = whole_tokens or getattr(splitter, "whole_tokens", None)

    def add(start: int, end: int) -> None:
        chunks.append(Chunk(stable_id(doc.source, doc.hash, start, end), doc.source, start, end, text[start:end]))

    start, end = _trimmed(text, 0, len(text))
    if start == end:
        return chunks
    plain = _LONG_RUN.search(text) is None
    if plain and whole_tokens and _fits(text[start:end], whole_tokens, splitter):
        add(start, end)
        return chunks
    sections = section_spans(text) if plain and section_tokens else []
    if len(sections) < 2:
        _split_range(text, 0, len(text), splitter, add)
        return chunks
    for s_start, s_end in sections:
        if _fits(text[s_start:s_end], section_tokens, splitter):
            add(s_start, s_end)
            continue
        _split_section(text, s_start, s_end, splitter, add, chunks)
    return chunks


# Documents longer than this many characters are never tokenised whole to see whether they fit: a
# passage of a few hundred tokens is a few thousand characters.
_MAX_CHARS_PER_FIT_TOKEN = 16


def _fits(text: str, tokens: int, splitter) -> bool:
    """The text holds in `tokens` of the encoder (measured only when it is short enough to possibly fit)."""
    return len(text) <= tokens * _MAX_CHARS_PER_FIT_TOKEN and splitter._length_function.__wrapped__(text) <= tokens


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def section_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each section of a structured text: from a heading line to the next, trimmed.

    The text before the first heading is a section of its own. Headings are those of
    structure.document_structure (short lines without final punctuation, not list items, not
    date lines); a heading directly followed by another heading opens no section of its own.
    """
    from .structure import document_structure

    heads = [h.start for h in document_structure(text).headings if h.start == text.rfind("\n", 0, h.start) + 1]
    cuts = [0] + [h for h in heads if h > 0] + [len(text)]
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        a, b = _trimmed(text, a, b)
        if a < b:
            spans.append((a, b))
    return _merge_bare_headings(text, spans)


def _merge_bare_headings(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A section made of its heading line only is joined to the section after it."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for a, b in spans:
        if "\n" not in text[a:b]:
            pending = a if pending is None else pending
            continue
        out.append((pending if pending is not None else a, b))
        pending = None
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], _trimmed(text, 0, len(text))[1])
        else:
            out.append(_trimmed(text, pending, len(text)))
    return out


def _split_section(text: str, start: int, end: int, splitter, add: Callable[[int, int], None],
                   chunks: list[Chunk]) -> None:
    """A section longer than a passage: its body split like running text into passages shorter by the
    heading's size, the heading line opening the first of them."""
    line_end = text.find("\n", start, end)
    count = splitter._length_function.__wrapped__
    size, overlap = splitter._chunk_size, splitter._chunk_overlap
    head = count(text[start:line_end]) + 1 if line_end > 0 else size
    if size - head <= overlap:  # no heading line, or one too long to share a passage
        _split_range(text, start, end, splitter, add)
        return
    first = len(chunks)
    _split_range(text, _trimmed(text, line_end, end)[0], end, make_splitter(size - head, overlap, count), add)
    if len(chunks) > first:
        opening = chunks.pop(first)
        add(start, opening.end)
        chunks.insert(first, chunks.pop())


def _split_range(text: str, start: int, end: int, splitter, add: Callable[[int, int], None]) -> None:
    """Chunks of text[start:end] by the recursive splitter, block by block, long runs apart."""
    for block_start, block_end, long_word in _blocks(text, start, end):
        if long_word:
            add(block_start, _first_window(text, block_start, block_end, splitter))
            continue
        cursor, prev_end = block_start, block_start
        for piece in splitter.split_text(text[block_start:block_end]):
            p_start = _locate(text, piece, cursor, prev_end, block_end, splitter)
            add(p_start, p_start + len(piece))
            cursor, prev_end = p_start + 1, p_start + len(piece)


def _locate(text: str, piece: str, cursor: int, prev_end: int, end: int, splitter) -> int:
    """Where the splitter's next piece starts. The first match after the previous start is right unless
    the text repeats itself ("xxxx…", identical lines): then a match overlapping the previous piece by
    more than the allowed overlap is an earlier copy, and the next match is tried."""
    first = start = text.find(piece, cursor, end)
    if start < 0:  # the splitter always returns substrings; guard the invariant anyway
        raise RuntimeError(f"chunk not found: {piece[:60]!r}")
    while 0 <= start < prev_end and splitter._length_function(text[start:prev_end]) > splitter._chunk_overlap:
        start = text.find(piece, start + 1, end)
    return start if start >= 0 else first
