"""Property-based: random files, documents and questions never crash ingestion, indexing or answering,
and every offset askjobs hands out points at exactly the text it quotes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from askjobs.chunking import chunk_document, make_splitter
from askjobs.config import Settings
from askjobs.ingest import ExtractionError, clean_text, extract_document, load_corpus
from askjobs.pipeline import AskJobs, NothingIndexedError, QuestionError
from fakes import FakeEncoder

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRENCH_WORDS = ("le la les des un une salaire médian emploi métier compétences données télétravail "
                "entreprise recrute ingénieurs à côté œuvre déjà été Île-de-France 55 000 € 25 % 2024 "
                "« guillemets » M. Dupont l'IA qu'il aujourd'hui").split()
SEPARATORS = [" ", " ", " ", "\u00a0", "\u202f", ", ", ". ", " ; ", " : ", "\n", "\n\n", "\r\n", "? ", "! ", "… "]

french_text = st.lists(st.tuples(st.sampled_from(FRENCH_WORDS), st.sampled_from(SEPARATORS)), min_size=1,
                       max_size=120).map(lambda parts: "".join(w + s for w, s in parts))
# Anything at all, including controls, combining marks, emoji and lone surrogates' neighbours.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
noisy_text = st.one_of(french_text, any_text, st.tuples(french_text, any_text).map(lambda t: t[0] + t[1]))


@FAST
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html", ".htm", ".pdf", ".docx"]))
def test_random_bytes_give_a_document_or_a_reason_never_a_crash(raw, suffix):
    try:
        doc = extract_document("f" + suffix, raw)
    except ExtractionError as exc:
        assert str(exc)
        return
    assert doc.text.strip()
    assert clean_text(doc.text) == doc.text


@FAST
@given(text=noisy_text, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_any_text_in_any_encoding_decodes_to_its_clean_form(text, encoding):
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode(encoding, errors="replace")
        text = raw.decode(encoding)
    try:
        doc = extract_document("note.txt", raw)
    except ExtractionError:
        return  # empty, or mostly control characters: reported, not crashed
    if encoding != "cp1252" or text.isascii():
        assert doc.text == clean_text(text.removeprefix("\ufeff"))


@FAST
@given(text=noisy_text)
def test_clean_text_is_idempotent_and_keeps_only_newline_breaks(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert "\r" not in cleaned and "\x00" not in cleaned


@FAST
@given(text=noisy_text, chunk_tokens=st.integers(8, 60))
def test_chunks_point_exactly_into_the_document(text, chunk_tokens):
    text = clean_text(text)
    if not text.strip():
        return
    from askjobs.schema import Document

    doc = Document("doc.txt", "Titre", text)
    splitter = make_splitter(chunk_tokens, chunk_tokens // 4, FakeEncoder().count_tokens)
    for chunk in chunk_document(doc, splitter):
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert chunk.text.strip()


@SLOW
@given(docs=st.lists(noisy_text, min_size=1, max_size=4), questions=st.lists(noisy_text, min_size=1, max_size=4))
def test_random_documents_and_questions_index_and_answer_with_exact_citations(docs, questions):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "docs"
        corpus.mkdir()
        for i, text in enumerate(docs):
            (corpus / f"doc{i}.txt").write_text(text, encoding="utf-8", errors="replace")
        app = AskJobs(Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index"), FakeEncoder())
        expected, skipped = load_corpus(corpus)
        try:
            report = app.build()
        except NothingIndexedError as exc:
            assert not expected and len(exc.report.skipped) == len(docs)
            return
        assert report.documents == len(expected)
        assert len(report.added) + len(report.skipped) == len(docs)
        index = app.index
        for s in index.sentences:
            assert index.documents[s.source].text[s.start:s.end] == s.text
        for q in questions + ["Quel est le salaire médian ?"]:
            try:
                answer = app.ask(q)
            except QuestionError as exc:
                assert str(exc)
                continue
            for c in answer.citations + answer.nearest:
                doc = index.documents[c.source]
                assert doc.text[c.start:c.end] == c.quote
                assert doc.text[c.passage_start:c.passage_end] == c.passage
        assert app.build().up_to_date


@SLOW
@given(pages=st.lists(st.lists(st.sampled_from([w for w in FRENCH_WORDS if w.isascii() or w in "médianàdéjàété"]),
                                min_size=1, max_size=30).map(" ".join), min_size=1, max_size=4))
def test_pdf_page_offsets_match_the_pages(pages):
    from docmaker import write_pdf

    with tempfile.TemporaryDirectory() as tmp:
        path = write_pdf(Path(tmp) / "p.pdf", pages)
        doc = extract_document("p.pdf", path.read_bytes())
    assert len(doc.pages) == len(pages) and doc.pages[0] == 0
    for number, start in enumerate(doc.pages, start=1):
        assert doc.page_at(start) == number
        first_word = pages[number - 1].split()[0]
        assert doc.text[start:].startswith(first_word)
