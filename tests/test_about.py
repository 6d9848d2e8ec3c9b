"""Questions about a document itself: its date line, byline or opening sentence, cited exactly, or a refusal."""

import pytest

from askjobs.about import question_about_document
from askjobs.answer import NOT_FOUND
from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from conftest import write_corpus
from fakes import FakeEncoder


@pytest.mark.parametrize("question, kind", [
    ("De quand date ce document ?", "date"),
    ("l'article sur l'IA et les nouveaux métiers date de quand", "date"),
    ("En quelle année est paru l'article qui parle des éthiciens ?", "date"),
    ("Quelle est la date de publication du texte ?", "date"),
    ("L’article a été écrit quand ?", "date"),
    ("Qui est l'auteur de l'article sur les salaires ?", "author"),
    ("Qui a écrit cet article ?", "author"),
    ("De quoi parle ce document ?", "topic"),
    ("Quel est le thème principal de l'article sur les salaires ?", "topic"),
    ("Résume le texte sur les nouveaux métiers", "topic"),
    # About what the documents say, or about a source they cite: the ordinary reader answers.
    ("Quand le rapport de McKinsey a-t-il été publié ?", None),
    ("Quand l'étude de 365 Data Science a-t-elle été publiée ?", None),
    ("Selon l'article, quand les offres ont-elles été publiées ?", None),
    ("Quand la loi européenne entre-t-elle en vigueur ?", None),
    ("Dans quel article parle-t-on de Tesla ?", None),
    ("Quel est le salaire médian ?", None),
    ("Quel est le sujet de l'étude de 365 Data Science ?", None),
])
def test_questions_about_a_document_are_told_from_questions_about_its_content(question, kind):
    assert question_about_document(question) == kind


def test_the_date_line_of_the_document_meant_is_quoted_exactly(fake_app):
    answer = fake_app.ask("De quand date l'article sur les éthiciens et les auditeurs d'algorithmes ?")
    assert answer.answerable, answer
    (c,) = answer.citations
    assert c.source == "metiers.md"
    assert c.quote == answer.answer == "Publié le 2 mars 2025"
    assert fake_app.index.documents[c.source].text[c.start:c.end] == c.quote


def test_a_document_without_a_date_or_byline_gets_a_refusal_not_a_guess(fake_app):
    for question in ("De quand date l'article sur les salaires aux États-Unis ?",
                     "Qui est l'auteur de l'article sur les salaires aux États-Unis ?"):
        answer = fake_app.ask(question)
        assert not answer.answerable and answer.answer == NOT_FOUND, answer
        assert answer.nearest  # the user still sees where it looked


def test_a_byline_answers_who_wrote_the_document(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"robots.txt": (
        "Les robots collaboratifs à l'usine\n"
        "Par Claire Martin\n"
        "Les cobots travaillent aux côtés des opérateurs et réduisent les temps d'arrêt.\n")})
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    app.build()
    answer = app.ask("Qui a écrit cet article sur les cobots ?")
    assert answer.answerable and answer.answer == "Par Claire Martin"
    c = answer.citations[0]
    assert app.index.documents["robots.txt"].text[c.start:c.end] == "Par Claire Martin"


def test_what_a_document_is_about_is_its_opening_sentence_not_its_title_or_date(fake_app):
    answer = fake_app.ask("De quoi parle l'article sur les éthiciens et les auditeurs d'algorithmes ?")
    assert answer.answerable, answer
    (c,) = answer.citations
    assert c.source == "metiers.md"
    assert c.quote == "Les éthiciens de l’IA encadrent les usages responsables."
    assert fake_app.index.documents[c.source].text[c.start:c.end] == c.quote


def test_without_a_byline_an_author_the_text_cites_is_still_found(tmp_path):
    # "L'article" may be one the document cites: with no byline, the ordinary reader looks for a name.
    corpus = write_corpus(tmp_path / "corpus", {"violences.txt": (
        "Les violences conjugales en Algérie\n"
        "L'universitaire Fadéla Boumnedjel-Chitour publie en 2018 un article sur l'accueil des victimes. "
        "Les plaintes sont rarement enregistrées dans les commissariats.\n")})
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", refusal_threshold=0.0)
    app = AskJobs(settings, FakeEncoder())
    app.build()
    answer = app.ask("Qui est l'auteur de l'article sur l'accueil des victimes ?")
    assert answer.answerable and "Fadéla Boumnedjel-Chitour" in answer.answer


def test_a_sentence_opening_on_a_french_word_holds_no_name():
    from askjobs.query import names_in as _names

    assert _names("L'intelligence artificielle transforme le travail.") == set()
    assert _names("Tesla: Embauche des ingénieurs en robotique.") == {"tesla"}
    assert _names("Selon Forbes, les chefs de produit gagnent 141 000 $.") == {"forbes"}


def test_a_document_named_by_its_date_without_a_byline_is_said_to_name_no_author(fake_app):
    # "l'article publié le 2 mars 2025" is metiers.md itself, not an article it cites: no name from its text answers.
    answer = fake_app.ask("Qui a rédigé l'article publié le 2 mars 2025 sur les éthiciens de l'IA ?")
    assert not answer.answerable, answer
    assert "n'indique pas d'auteur" in answer.reason
