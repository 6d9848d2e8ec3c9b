"""Chunks keep exact offsets and never cut inside French numbers, amounts or abbreviations."""

import re

from askjobs.chunking import chunk_document, make_splitter
from askjobs.config import PROJECT_ROOT
from askjobs.ingest import load_corpus
from askjobs.schema import Document

TEXT = (
    "Rémunération\n"
    "Aux États-Unis, le salaire médian est d'environ 157 000 $, selon M. Dupont. "
    "La prime atteint 25,2 % pour GPT-4 et les modèles suivants. " * 6
    + "\n\nUne seconde partie parle d'autre chose, de formations et d'éthique."
)


def word_count(text: str) -> int:
    return len(text.split())


def test_every_chunk_is_an_exact_slice_of_the_source():
    doc = Document("a.txt", "A", TEXT)
    chunks = chunk_document(doc, make_splitter(25, 5, word_count))
    assert len(chunks) > 3
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text


def test_chunks_respect_the_size_and_overlap():
    # Distinct sentences: in TEXT each pair repeats, so where a piece sits is ambiguous there.
    text = " ".join(f"La phrase numéro {i} parle des salaires des ingénieurs." for i in range(12))
    doc = Document("a.txt", "A", text)
    chunks = chunk_document(doc, make_splitter(30, 15, word_count))
    assert all(word_count(c.text) <= 30 for c in chunks)
    # Consecutive chunks share a sentence (overlap is made of whole splits, at most 15 words).
    pairs = list(zip(chunks, chunks[1:]))
    assert pairs and all(b.start < a.end and word_count(text[b.start:a.end]) <= 15 for a, b in pairs)


def test_never_split_inside_amounts_percentages_abbreviations_or_model_names():
    doc = Document("a.txt", "A", TEXT)
    for size in (6, 9, 14, 25):
        for c in chunk_document(doc, make_splitter(size, 2, word_count)):
            for protected in ("157 000 $", "25,2 %", "M. Dupont", "GPT-4"):
                # A protected string is either wholly inside the chunk or absent from it.
                for m in re.finditer(re.escape(protected), doc.text):
                    inside = c.start <= m.start() and m.end() <= c.end
                    disjoint = m.end() <= c.start or m.start() >= c.end
                    assert inside or disjoint, (size, protected, c.text)


def test_chunk_ids_are_stable_and_depend_on_the_content():
    doc = Document("a.txt", "A", TEXT)
    splitter = make_splitter(25, 5, word_count)
    ids1 = [c.chunk_id for c in chunk_document(doc, splitter)]
    ids2 = [c.chunk_id for c in chunk_document(Document("a.txt", "A", TEXT), splitter)]
    ids3 = [c.chunk_id for c in chunk_document(Document("a.txt", "A", TEXT + " Ajout."), splitter)]
    assert ids1 == ids2
    assert ids1[0] != ids3[0]


def test_real_corpus_chunks_are_exact_and_cope_with_run_on_lists():
    docs, skipped = load_corpus(PROJECT_ROOT / "corpus")
    assert not skipped and len(docs) == 2
    for doc in docs:
        for c in chunk_document(doc, make_splitter(60, 10, word_count)):
            assert doc.text[c.start:c.end] == c.text
            assert word_count(c.text) <= 60
