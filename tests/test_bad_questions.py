"""Bad questions through the API and the CLI: a clear French message or a normal answer/refusal, never a crash."""

from __future__ import annotations

import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs.pipeline import AskJobs, QuestionError, clean_question
from docmaker import AUTOMATISATION, SALAIRE, TELETRAVAIL
from fakes import FakeEncoder


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("questions")
    corpus = root / "docs"
    corpus.mkdir()
    for name, text in (("salaires.txt", SALAIRE), ("teletravail.txt", TELETRAVAIL), ("robots.txt", AUTOMATISATION)):
        (corpus / name).write_text(text, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=root / "index"), FakeEncoder())
    app.build()
    return app


REFUSED = {
    "empty": ("", "La question est vide"),
    "spaces": ("   \n\t  ", "La question est vide"),
    "only controls": ("\x00\x01\x1b\x7f\u200b", "La question est vide"),
    "only emoji": ("🤔🤔 ❓", "ni mot ni nombre"),
    "only punctuation": ("?!…", "ni mot ni nombre"),
    "10 000 characters": ("salaire " * 1250, "La question est trop longue (9999 caractères, maximum 1000)"),
    "not text": (None, "La question doit être un texte"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unusable_questions_get_a_clear_message(app, case):
    question, message = REFUSED[case]
    with pytest.raises(QuestionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        app.ask(question)


ANSWERED = {
    "control characters inside": "Quel est le\x00 salaire\x1b médian\u200b des data scientists ?",
    "emoji around words": "💰 Quel est le salaire médian des data scientists ? 🤔",
    "english": "What is the median salary of data scientists?",
    "german": "Wie hoch ist das Durchschnittsgehalt?",
    "chinese": "数据科学家的工资是多少？",
    "arabic": "ما هو متوسط الراتب؟",
    "right-to-left and combining marks": "Quel est le salaire me\u0301dian \u202eRTL\u202c ?",
    "just under the limit": "Quel est le salaire médian ? " + "détails " * 120,
    "one word": "salaire",
    "a number": "55000",
}


@pytest.mark.parametrize("case", sorted(ANSWERED))
def test_odd_but_usable_questions_get_an_answer_or_a_refusal(app, case):
    answer = app.ask(ANSWERED[case])
    assert isinstance(answer.answer, str) and answer.answer
    assert 0.0 <= answer.confidence <= 1.0
    for c in answer.citations + answer.nearest:
        assert app.index.documents[c.source].text[c.start:c.end] == c.quote
    assert "\x00" not in answer.question and "\x1b" not in answer.question


def test_clean_question_strips_controls_and_collapses_spaces():
    assert clean_question("  Quel\x00 est\t\tle  salaire\u200b ?\n", 1000) == "Quel est le salaire ?"
    assert clean_question("Quel métier 👩‍💻 recrute ?", 1000) == "Quel métier 👩‍💻 recrute ?"


@pytest.mark.parametrize("question,expected", [
    ("", "La question est vide"),
    ("   ", "La question est vide"),
    ("x" * 10_000, "trop longue"),
    ("🙂🙂", "ni mot ni nombre"),
])
def test_cli_bad_questions_exit_2_with_a_message(app, question, expected, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    code = cli.main(["ask", "--corpus", str(app.settings.corpus_dir), "--index", str(app.settings.index_dir),
                     question])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err


@pytest.mark.parametrize("question", ["Quel est le\x07 salaire médian ? 💶", "What is the median salary?"])
def test_cli_odd_questions_answer_normally(app, question, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    code = cli.main(["ask", "--corpus", str(app.settings.corpus_dir), "--index", str(app.settings.index_dir),
                     "--json", question])
    assert code == 0 and '"answer"' in capsys.readouterr().out
