"""Document → Chunks with exact character offsets (langchain-text-splitters, French-aware)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .schema import Chunk, Document, stable_id
from .text import MAX_WORD_CHARS, SENTENCE_BOUNDARY, WORD_BOUNDARY

# Paragraphs first, then lines, then French sentences, then clauses, then words.
SEPARATORS = ["\n\n", "\n", SENTENCE_BOUNDARY, r"(?<=;)\s+", r"(?<=,)\s+", WORD_BOUNDARY, ""]


def make_splitter(chunk_tokens: int, chunk_overlap: int, count_tokens: Callable[[str], int]):
    """A recursive splitter whose sizes are measured in the encoder's tokens."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if chunk_overlap >= chunk_tokens:
        raise ValueError(
            f"chunk overlap ({chunk_overlap}) must be smaller than the chunk size ({chunk_tokens})"
        )
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=_bounded(count_tokens, chunk_tokens),
        strip_whitespace=True,
    )


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

    return count


def _blocks(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, is_long_word) spans covering the text but its long runs of spaces, in order."""
    pos = 0
    for m in _LONG_RUN.finditer(text):
        yield from _text_blocks(text, pos, m.start())
        if not m.group()[0].isspace():
            yield m.start(), m.end(), True
        pos = m.end()
    yield from _text_blocks(text, pos, len(text))


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


def chunk_document(doc: Document, splitter) -> list[Chunk]:
    """Split one document; every chunk satisfies doc.text[start:end] == chunk.text.

    Time and memory grow linearly with the text: it is split block by block, and a run of more than
    MAX_WORD_CHARS characters without a space gets one passage of its own, its first chunk-size window
    (the rest of such a run is not indexed: it cannot be read as words).
    """
    chunks: list[Chunk] = []
    text = doc.text

    def add(start: int, end: int) -> None:
        chunks.append(Chunk(stable_id(doc.source, doc.hash, start, end), doc.source, start, end, text[start:end]))

    for block_start, block_end, long_word in _blocks(text):
        if long_word:
            add(block_start, _first_window(text, block_start, block_end, splitter))
            continue
        cursor, prev_end = block_start, block_start
        for piece in splitter.split_text(text[block_start:block_end]):
            start = _locate(text, piece, cursor, prev_end, block_end, splitter)
            add(start, start + len(piece))
            cursor, prev_end = start + 1, start + len(piece)
    return chunks


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
