"""Formats and encodings: every supported file becomes text that citations can point into exactly."""

from __future__ import annotations

import unicodedata

import pytest

from askjobs.config import Settings
from askjobs.ingest import clean_text, decode_bytes, extract_document, load_corpus
from askjobs.pipeline import AskJobs
from docmaker import AUTOMATISATION, SALAIRE, TELETRAVAIL, html_page, write_docx, write_pdf
from fakes import FakeEncoder

ACCENTS = "Été, à côté, œuvre — « déjà » là : 25 % des employés ; coût 1 200 € ?"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_text_files_in_any_french_encoding_read_the_same(tmp_path, encoding):
    text = "Titre\n\n" + SALAIRE + "\n" + (ACCENTS if encoding != "latin-1" else ACCENTS.replace("œ", "oe")
                                           .replace("—", "-").replace("€", "EUR"))
    (tmp_path / "note.txt").write_bytes(text.encode(encoding))
    doc = extract_document("note.txt", (tmp_path / "note.txt").read_bytes())
    assert doc.text == text
    assert doc.metadata["format"] == "txt"


def test_short_cp1252_file_is_not_mistaken_for_another_charset():
    raw = "Le salaire médian a augmenté de 5 % en 2024.".encode("cp1252")
    text, encoding = decode_bytes(raw)
    assert text == "Le salaire médian a augmenté de 5 % en 2024."
    assert encoding == "cp1252"


def test_normalisation_nfc_line_ends_and_typographic_spaces():
    decomposed = unicodedata.normalize("NFD", "Les élèves\r\nRésultats\u00a0: 25\u202f% ;\rﬁn\u00ad de ligne")
    cleaned = clean_text(decomposed)
    assert cleaned == "Les élèves\nRésultats\u00a0: 25\u202f% ;\nfin de ligne"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_markdown_title_and_date(tmp_path):
    raw = "# Les métiers de la donnée\n\nPublié le 3 mars 2024\n\n" + SALAIRE
    doc = extract_document("dossier/donnees.md", raw.encode())
    assert doc.title == "Les métiers de la donnée"
    assert doc.date == "2024-03-03"
    assert doc.source == "dossier/donnees.md"


def test_html_keeps_the_article_and_drops_menus_scripts_and_footer():
    html = html_page("Les salaires de la data", [SALAIRE, TELETRAVAIL, AUTOMATISATION])
    doc = extract_document("page.html", html.encode("utf-8"))
    assert "55 000 euros" in doc.text and "télétravail" in doc.text and "automatisation" in doc.text.lower()
    for furniture in ("MENU_SCRIPT", "NAVIGATION", "BARRE_LATERALE", "PIED_DE_PAGE", "color: red", "dataLayer"):
        assert furniture not in doc.text
    assert doc.title == "Les salaires de la data"
    assert doc.metadata["format"] == "html"


def test_html_in_windows_1252(tmp_path):
    html = html_page("Télétravail", [TELETRAVAIL, AUTOMATISATION])
    html = html.replace('charset="utf-8"', 'charset="windows-1252"')
    doc = extract_document("vieux.htm", html.encode("cp1252"))
    assert "Le télétravail concerne désormais 30 % des salariés" in doc.text


def test_pdf_pages_are_recorded_and_carried_into_citations(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    write_pdf(corpus / "rapport.pdf", ["Rapport annuel sur l'emploi\n" + TELETRAVAIL, AUTOMATISATION, SALAIRE])
    docs, skipped = load_corpus(corpus)
    assert skipped == []
    (doc,) = docs
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    page3 = doc.text.index("Le salaire médian")
    assert doc.page_at(page3) == 3 and doc.page_at(0) == 1
    assert doc.page_at(doc.text.index("L'automatisation")) == 2

    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    app.build()
    answer = app.ask("Quel est le salaire médian des data scientists ?")
    assert answer.answerable
    cited = answer.citations[0]
    assert cited.page == 3
    stored = app.index.documents[cited.source].text
    assert stored[cited.start:cited.end] == cited.quote
    assert "55 000 euros" in cited.quote


def test_docx_paragraphs_and_tables(tmp_path):
    path = write_docx(tmp_path / "fiche.docx", ["Fiche métier : data scientist", SALAIRE],
                      table=[["Métier", "Salaire médian"], ["Data scientist", "55 000 €"]], title="Fiche data")
    doc = extract_document("fiche.docx", path.read_bytes())
    assert doc.title == "Fiche data"
    assert "Fiche métier : data scientist\n" + SALAIRE in doc.text
    assert "Data scientist | 55 000 €" in doc.text


def test_every_format_indexes_and_citations_point_into_the_stored_text(tmp_path):
    corpus = tmp_path / "docs"
    (corpus / "sous-dossier").mkdir(parents=True)
    (corpus / "a.txt").write_bytes(("Note\n\n" + SALAIRE).encode("cp1252"))
    (corpus / "b.md").write_text("# Télétravail\n\n" + TELETRAVAIL, encoding="utf-8-sig")
    (corpus / "sous-dossier" / "c.html").write_text(html_page("Automatisation", [AUTOMATISATION, SALAIRE[:60] +
                                                                                   " environ."]), encoding="utf-8")
    write_pdf(corpus / "d.pdf", ["Les métiers du soin recrutent 20 000 infirmiers par an."])
    write_docx(corpus / "e.docx", ["Formation", "La formation continue touche 40 % des cadres chaque année."])
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    report = app.build()
    assert report.skipped == []
    assert sorted(report.added) == ["a.txt", "b.md", "d.pdf", "e.docx", "sous-dossier/c.html"]
    for question in ("Combien d'infirmiers sont recrutés par an ?", "Quelle part des cadres suit une formation ?",
                     "Quelle part des salariés est en télétravail ?"):
        answer = app.ask(question)
        for c in answer.citations + answer.nearest:
            assert app.index.documents[c.source].text[c.start:c.end] == c.quote
