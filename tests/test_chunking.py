"""Chunks keep exact offsets and never cut inside French numbers, amounts or abbreviations."""

import re

from askjobs.chunking import chunk_document, make_splitter, section_spans
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


# --- Passage size by kind of document -------------------------------------------------

FAQ_PAGE = (
    "Puis-je refuser la vidéosurveillance au travail ?\n\n"
    "Non. L'employeur peut installer des caméras pour la sécurité des biens et des personnes. "
    "Il doit informer les salariés et le comité social et économique avant la mise en service."
)

GUIDE = "\n".join([
    "Guide des démarches administratives",
    "Ce guide présente les démarches à accomplir après un déménagement.",
    "Changer d'adresse",
    "Signalez votre nouvelle adresse à la caisse d'allocations familiales. " * 4,
    "Carte grise",
    "Pièces à fournir :",
    "justificatif de domicile",
    "pièce d'identité",
    "La carte grise doit être modifiée dans le mois qui suit le déménagement. " * 3,
    "Impôts",
    "Déclarez votre changement d'adresse en ligne sur votre espace particulier. " * 8,
])


def by_kind(doc, size=60, whole=90):
    return chunk_document(doc, make_splitter(size, 5, word_count), whole_tokens=whole, section_tokens=size)


def test_a_short_faq_page_is_one_passage_whole_with_exact_offsets():
    doc = Document("faq.txt", "FAQ", "\n" + FAQ_PAGE + "\n\n")
    assert word_count(FAQ_PAGE) > 25  # the plain splitter would cut it at 25 words
    assert len(chunk_document(doc, make_splitter(25, 5, word_count))) > 1
    [chunk] = chunk_document(doc, make_splitter(25, 5, word_count), whole_tokens=60, section_tokens=25)
    assert chunk.text == FAQ_PAGE and doc.text[chunk.start:chunk.end] == FAQ_PAGE


def test_a_long_page_with_headings_is_cut_at_its_headings():
    doc = Document("guide.txt", "Guide", GUIDE)
    chunks = by_kind(doc)
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text and c.text.strip() == c.text
        assert word_count(c.text) <= 60
    starts = [c.text.split("\n")[0] for c in chunks]
    # Each short section is one passage opening on its heading; the list stays in its section.
    assert "Changer d'adresse" in starts and "Carte grise" in starts
    carte = next(c for c in chunks if c.text.startswith("Carte grise"))
    assert carte.text.endswith("le déménagement.") and "pièce d'identité" in carte.text
    # A section longer than the passage size is split like running text, its heading in its first passage.
    impots = [c for c in chunks if c.start >= GUIDE.index("Impôts")]
    assert len(impots) > 1 and impots[0].text.startswith("Impôts\nDéclarez") and impots[-1].end == len(GUIDE.rstrip())
    # No passage straddles two sections.
    heads = [GUIDE.index(h) for h in ("Changer d'adresse", "Carte grise", "Impôts")]
    assert not any(c.start < h < c.end for c in chunks for h in heads)


def test_running_text_without_headings_is_split_as_before():
    doc = Document("a.txt", "A", TEXT.replace("Rémunération\n", ""))
    plain = chunk_document(doc, make_splitter(25, 5, word_count))
    assert [(c.start, c.end) for c in by_kind(doc, size=25, whole=30)] == [(c.start, c.end) for c in plain]


def test_sections_of_the_real_corpus_are_exact_and_open_on_their_heading():
    docs, _ = load_corpus(PROJECT_ROOT / "corpus")
    guide = next(d for d in docs if d.source.startswith("emplois"))
    sections = section_spans(guide.text)
    assert len(sections) > 5
    assert guide.text[sections[1][0]:].startswith("Tendances actuelles du marché")
    for doc in docs:
        for c in by_kind(doc, size=60, whole=90):
            assert doc.text[c.start:c.end] == c.text and word_count(c.text) <= 90


def test_the_index_keeps_a_short_page_whole_and_splits_a_long_one(tmp_path):
    from fakes import FakeEncoder

    from askjobs.chunking import PASSAGES, WHOLE_DOCUMENT_TOKENS
    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.txt").write_text(FAQ_PAGE, encoding="utf-8")
    long_text = "\n\n".join(f"Le paragraphe {i} décrit la démarche numéro {i} auprès de la mairie." for i in range(60))
    assert word_count(long_text) > WHOLE_DOCUMENT_TOKENS
    (corpus / "guide.txt").write_text(long_text, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_tokens=30, chunk_overlap=5),
                  FakeEncoder())
    app.build()
    by_source = {}
    for c in app.index.chunks:
        by_source.setdefault(c.source, []).append(c)
        assert app.index.documents[c.source].text[c.start:c.end] == c.text
    assert word_count(FAQ_PAGE) > 30 and [c.text for c in by_source["faq.txt"]] == [FAQ_PAGE]  # whole all the same
    assert len(by_source["guide.txt"]) > 10 and all(word_count(c.text) <= 30 for c in by_source["guide.txt"])
    assert app.index.manifest["chunking"]["passages"] == PASSAGES
