"""The chat's question encoder in a child process: the same vectors, and a French message when it dies."""

from __future__ import annotations

import logging
import os
import signal

import numpy as np
import pytest
from encoder_children import command
from fakes import FakeEncoder

from askjobs.embed import ModelError
from askjobs.encoder_process import ProcessEncoder

QUESTIONS = ["Quel est le salaire médian des postes liés à l'IA ?", "Où travaillent\nles « prompt engineers » ?"]


@pytest.fixture
def encoders():
    made = []

    def make(load: str = "FakeEncoder") -> ProcessEncoder:
        encoder = ProcessEncoder(FakeEncoder(), command=command(load)).start()
        made.append(encoder)
        return encoder

    yield make
    for encoder in made:
        encoder.close()


def test_questions_encoded_in_the_child_are_the_in_process_vectors_and_passages_are_encoded_here(encoders):
    encoder = encoders()
    assert encoder.dim == 64 and encoder.name == FakeEncoder.name and encoder.fingerprint == FakeEncoder.fingerprint
    assert np.array_equal(encoder.encode_queries(QUESTIONS), FakeEncoder().encode_queries(QUESTIONS))
    assert encoder.encode_queries([QUESTIONS[0]]).shape == (1, 64)
    assert np.array_equal(encoder.encode_passages(QUESTIONS), FakeEncoder().encode_passages(QUESTIONS))
    assert encoder.count_tokens("Les métiers de l'IA") == 4


def test_a_library_printing_in_the_child_does_not_garble_the_vectors(encoders):
    encoder = encoders("Chatty")
    assert np.array_equal(encoder.encode_queries(QUESTIONS), FakeEncoder().encode_queries(QUESTIONS))


def test_a_child_killed_while_encoding_gives_a_french_message_and_the_next_question_starts_another(encoders):
    encoder = encoders("DiesOnUnicorns")
    first = encoder.model
    with pytest.raises(ModelError) as caught:
        encoder.encode_queries(["Combien gagne une licorne ?"])
    message = str(caught.value)
    assert "s'est arrêté" in message and "signal 9" in message and "Reposez la question" in message
    assert "python app.py" in message
    assert np.array_equal(encoder.encode_queries(QUESTIONS), FakeEncoder().encode_queries(QUESTIONS))
    assert encoder.model is not first  # another child, loaded again


def test_a_child_killed_while_idle_is_started_again_by_the_next_question(encoders, caplog):
    encoder = encoders()
    _ = encoder.model
    os.kill(encoder._child.pid, signal.SIGKILL)
    encoder._child.wait()
    with caplog.at_level(logging.WARNING, logger="askjobs"):
        vectors = encoder.encode_queries(QUESTIONS)
    assert np.array_equal(vectors, FakeEncoder().encode_queries(QUESTIONS))
    assert "s'était arrêté (tué par le signal 9" in caplog.text and "relancé" in caplog.text


def test_a_model_that_cannot_load_gives_its_own_french_error_each_time_it_is_asked(encoders):
    encoder = encoders("missing_model")
    for _ in range(2):
        with pytest.raises(ModelError, match="ASKJOBS_MODEL"):
            encoder.encode_queries(QUESTIONS)


def test_ctrl_c_in_the_terminal_reaches_the_chat_only_which_then_ends_the_child(encoders):
    encoder = encoders()
    _ = encoder.model
    child = encoder._child
    assert os.getpgid(child.pid) != os.getpgid(0)  # the terminal sends Ctrl-C to the chat's process group
    encoder.close()
    assert child.wait(timeout=10) == 0  # its stdin closed: it ended by itself, not killed


def test_closing_while_the_child_still_loads_ends_it_at_once(encoders):
    encoder = encoders("SlowToLoad")
    child = encoder._child
    encoder.close()
    assert child.wait(timeout=10) == -signal.SIGTERM


@pytest.mark.model
def test_the_real_models_questions_are_encoded_to_the_last_bit_as_in_this_process(real_encoder):
    from askjobs.config import Settings
    from askjobs.embed import make_encoder

    encoder = ProcessEncoder(make_encoder(Settings())).start()
    try:
        assert encoder.dim == real_encoder.dim
        for batch in (QUESTIONS, QUESTIONS[:1]):
            assert np.array_equal(encoder.encode_queries(batch), real_encoder.encode_queries(batch))
    finally:
        encoder.close()


def test_the_chat_says_in_french_that_the_encoder_died_without_a_traceback_then_answers_again(tmp_path, capfd):
    gradio_client = pytest.importorskip("gradio_client")
    from app_support import SALARY_DOC, serve

    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "salaires.txt").write_text(SALARY_DOC, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    AskJobs(settings, FakeEncoder()).build()
    encoder = ProcessEncoder(FakeEncoder(), command=command("DiesOnUnicorns")).start()
    url, demo = serve(AskJobs(settings, encoder), tmp_path / "feedback.jsonl")
    try:
        client = gradio_client.Client(url, verbose=False)
        capfd.readouterr()
        with pytest.raises(Exception, match="s'est arrêté .*Reposez la question"):
            client.predict("Quel est le salaire d'une licorne ?", 3, api_name="/ask")
        err = capfd.readouterr().err
        assert "s'est arrêté" in err and "Traceback" not in err
        result = client.predict("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?", 3, api_name="/ask")
        assert result["answerable"] and "157 000 $" in result["answer"]
    finally:
        demo.close()
        encoder.close()
