"""Document → Chunks with exact character offsets (langchain-text-splitters, French-aware)."""

from __future__ import annotations

from collections.abc import Callable

from .schema import Chunk, Document, stable_id
from .text import SENTENCE_BOUNDARY, WORD_BOUNDARY

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
        length_function=count_tokens,
        strip_whitespace=True,
    )


def chunk_document(doc: Document, splitter) -> list[Chunk]:
    """Split one document; every chunk satisfies doc.text[start:end] == chunk.text."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(doc.text):
        start = doc.text.find(piece, cursor)
        if start < 0:  # the splitter always returns substrings; guard the invariant anyway
            raise RuntimeError(f"chunk not found in {doc.source!r}: {piece[:60]!r}")
        end = start + len(piece)
        chunks.append(Chunk(stable_id(doc.source, doc.hash, start, end), doc.source, start, end, piece))
        cursor = start + 1
    return chunks
