"""The chat's API endpoint, called the way scripts call it: gradio_client against a running app."""

from __future__ import annotations

import pytest
from app_support import SALARY_DOC, XSS_DOC, serve
from fakes import FakeEncoder

from askjobs.config import Settings
from askjobs.pipeline import AskJobs

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """The app over a small French corpus with the fake encoder (no model): (client, corpus texts)."""
    root = tmp_path_factory.mktemp("client")
    corpus = root / "corpus"
    corpus.mkdir()
    texts = {"salaires.txt": SALARY_DOC, "note-securite.txt": XSS_DOC}
    for name, text in texts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=root / "index"), FakeEncoder())
    app.build()
    url, demo = serve(app, root / "feedback.jsonl")
    try:
        yield gradio_client.Client(url, verbose=False), texts
    finally:
        demo.close()


def test_ask_endpoint_is_listed_and_is_the_only_public_one(running):
    client, _ = running
    info = client.view_api(print_info=False, return_format="dict")
    assert "/ask" in info["named_endpoints"]
    assert set(info["named_endpoints"]) == {"/ask"}  # chat handlers are private


def test_ask_returns_the_answer_json_with_exact_citations(running):
    client, texts = running
    result = client.predict("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?", 3, api_name="/ask")
    assert set(result) >= {"question", "answer", "answerable", "confidence", "citations", "nearest", "timings_ms"}
    assert result["answerable"] and "157 000 $" in result["answer"]
    for c in result["citations"] + result["nearest"]:
        assert texts[c["source"]][c["start"]:c["end"]] == c["quote"]
    assert [c["n"] for c in result["citations"]] == list(range(1, len(result["citations"]) + 1))


@pytest.mark.parametrize("question,message", [
    ("", "La question est vide"),
    ("\x00\x07\x1b", "La question est vide"),
    ("é" * 10_000, "trop longue"),
    ("?!…", "ni mot ni nombre"),
])
def test_bad_questions_get_the_polite_french_message(running, question, message):
    client, _ = running
    with pytest.raises(Exception, match=message):
        client.predict(question, 5, api_name="/ask")


def test_ask_takes_the_previous_turns_for_a_follow_up(running):
    client, texts = running
    first = client.predict("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?", 3, None,
                           api_name="/ask")
    result = client.predict("Et selon LinkedIn ?", 3,
                            [{"question": first["question"], "answer": first}], api_name="/ask")
    assert result["question"] == "Et selon LinkedIn ?"
    assert result["understood"] == "Quel est le salaire médian des postes liés à l'IA aux États-Unis selon LinkedIn ?"
    assert result["query"]["context"]["carried"] == {"modifier": "selon LinkedIn"}
    plain = client.predict("Et selon LinkedIn ?", 3, api_name="/ask")  # no history: taken as typed
    assert plain["understood"] == "Et selon LinkedIn ?"


def test_a_rejected_question_is_one_line_in_the_server_log(running, capfd):
    client, _ = running
    capfd.readouterr()
    with pytest.raises(Exception, match="trop longue"):
        client.predict("é" * 10_000, 5, api_name="/ask")
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["askjobs : question refusée par /ask (La question est trop longue (10000 caractères, maximum "
                     "1000). Raccourcissez-la à l'essentiel.)"]
