"""The ask path with the fake encoder: citations, the JSON contract, refusals, bad questions."""

import json

import pytest

from askjobs import cli
from askjobs.answer import NOT_FOUND
from askjobs.pipeline import QuestionError, clean_question
from askjobs.text import split_sentences

CONTRACT = {"question", "answer", "answerable", "confidence", "citations", "timings_ms"}
CITATION = {"n", "source", "title", "chunk_id", "start", "end", "quote", "passage", "score"}


def test_answer_quotes_the_source_verbatim_with_exact_offsets(fake_app):
    answer = fake_app.ask("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?")
    assert answer.answerable
    assert "157 000 $" in answer.answer
    (c,) = answer.citations
    text = fake_app.index.documents[c.source].text
    assert text[c.start:c.end] == c.quote == answer.answer
    assert text[c.passage_start:c.passage_end] == c.passage
    assert c.quote in c.passage
    assert c.source == "salaires.txt"
    assert c.title == "Les salaires des métiers de l'IA en 2025"


def test_json_contract(fake_app):
    d = fake_app.ask("Qui vérifie la conformité des systèmes ?", k=3).to_dict()
    assert CONTRACT <= set(d)
    assert 0.0 <= d["confidence"] <= 1.0
    for c in d["citations"] + d["nearest"]:
        assert CITATION <= set(c)
    assert len(d["nearest"]) <= 3
    assert {"embed", "retrieve", "read", "total"} <= set(d["timings_ms"])
    json.dumps(d, ensure_ascii=False)  # serialisable as is


def test_every_nearest_passage_offset_is_exact(fake_app):
    answer = fake_app.ask("Que font les éthiciens de l'IA ?")
    for c in answer.citations + answer.nearest:
        text = fake_app.index.documents[c.source].text
        assert text[c.start:c.end] == c.quote
        assert text[c.passage_start:c.passage_end] == c.passage


def test_off_topic_question_is_refused_with_nearest_passages(fake_app):
    answer = fake_app.ask("Quelle est la capitale de l'Australie ?")
    assert not answer.answerable
    assert answer.answer == NOT_FOUND
    assert answer.citations == ()
    assert answer.nearest  # the user can still judge


def test_answers_are_at_most_two_sentences_and_400_chars(fake_app):
    for q in ("Que font les prompt engineers ?", "De combien ont augmenté les offres d'emploi ?",
              "Quelle prime pour les profils rares ?"):
        a = fake_app.ask(q)
        assert len(a.answer) <= 400
        assert len(split_sentences(a.answer)) <= 2


@pytest.mark.parametrize("bad", ["", "   \n\t ", "?!…", "x" * 10_000])
def test_bad_questions_get_a_french_message(fake_app, bad):
    with pytest.raises(QuestionError) as exc:
        fake_app.ask(bad)
    assert any(w in str(exc.value) for w in ("vide", "trop longue", "mot"))


def test_control_characters_are_removed_not_fatal(fake_app):
    assert clean_question("Quel\x00 salaire\x07 médian ?\u200b", 1000) == "Quel salaire médian ?"
    assert fake_app.ask("Quel\x00 est le salaire\x1b médian ?").answer


def test_k_out_of_range_is_rejected(fake_app):
    with pytest.raises(QuestionError):
        fake_app.ask("Quel salaire ?", k=0)


def test_cli_ask_json_and_errors(fake_app, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_app", lambda args: fake_app)
    assert cli.main(["ask", "Quel est le salaire médian aux États-Unis ?", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "157 000 $" in d["answer"] and d["citations"][0]["source"] == "salaires.txt"
    assert cli.main(["ask", "   "]) == 2
    assert "vide" in capsys.readouterr().err


def test_cli_ask_human_output_numbers_sources(fake_app, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_app", lambda args: fake_app)
    cli.main(["ask", "Quel est le salaire médian aux États-Unis ?"])
    out = capsys.readouterr().out
    assert "[1]" in out and "salaires.txt" in out and "caractères" in out


def test_missing_index_says_how_to_build_it(tmp_path, capsys):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("Un texte.", encoding="utf-8")
    code = cli.main(["ask", "Quoi ?", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "i")])
    assert code == 2
    assert "askjobs index" in capsys.readouterr().err


def test_a_new_model_version_re_embeds_everything_and_old_indexes_are_refused(fake_app):
    from askjobs.index import IndexError_
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    newer = FakeEncoder()
    newer.fingerprint = "fake-v2"  # same name, different vectors (e.g. a rebuilt model)
    app = AskJobs(fake_app.settings, newer)
    with pytest.raises(IndexError_, match="askjobs index"):
        app.ask("Quel salaire ?")
    report = app.build()
    assert report.embedded == report.chunks + report.sentences  # nothing reused from the old vectors
    assert app.ask("Quel est le salaire médian aux États-Unis ?").answerable


def test_an_older_lexical_analysis_is_refused_then_rebuilt_without_re_embedding(fake_app):
    import json

    from askjobs.files import sha256_file
    from askjobs.index import IndexError_, current_version
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    manifest_path = current_version(fake_app.settings.index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["analyzer"] = "fr: Snowball stems (v1)"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (manifest_path.parent / "manifest.sha256").write_text(sha256_file(manifest_path))  # as an older askjobs wrote it
    app = AskJobs(fake_app.settings, FakeEncoder())
    with pytest.raises(IndexError_, match="askjobs index"):
        app.ask("Quel salaire ?")
    report = app.build()
    assert not report.up_to_date and report.embedded == 0  # vectors kept, BM25 and terms rebuilt
    assert app.ask("Quel est le salaire médian aux États-Unis ?").answerable


def test_a_question_about_pay_wants_an_amount_not_any_number():
    from askjobs.answer import _matches_type
    from askjobs.query import answer_type

    assert answer_type("Combien gagnent les ingénieurs en robotique ?") == "amount"
    assert answer_type("Combien coûte une formation ?") == "amount"
    assert answer_type("Combien d'offres d'emploi ont été publiées ?") == "number"
    assert not _matches_type("L'IA nécessitera que 20 millions de travailleurs se recyclent.", "amount")
    assert _matches_type("Le salaire médian est d'environ 157 000 $.", "amount")
    assert _matches_type("Ils gagnent une prime salariale d'environ 28 %.", "amount")
    assert _matches_type("L'IA nécessitera que 20 millions de travailleurs se recyclent.", "number")


def test_vectors_of_differently_prepared_text_are_refused_then_re_embedded(fake_app):
    import json

    from askjobs.files import sha256_file
    from askjobs.index import IndexError_, current_version
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    manifest_path = current_version(fake_app.settings.index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["embedded_text"] = "title + passage; sentences (v1)"  # as built before glued words were split
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (manifest_path.parent / "manifest.sha256").write_text(sha256_file(manifest_path))
    app = AskJobs(fake_app.settings, FakeEncoder())
    with pytest.raises(IndexError_, match="askjobs index"):
        app.ask("Quel salaire ?")
    report = app.build()
    assert not report.up_to_date and report.embedded > 0  # every vector computed again, none reused
    assert app.ask("Quel est le salaire médian aux États-Unis ?").answerable


def test_an_index_without_stored_entities_is_refused_then_completed_keeping_its_vectors(fake_app):
    import json

    from askjobs.files import sha256_file
    from askjobs.index import IndexError_, current_version
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    manifest_path = current_version(fake_app.settings.index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["entities"]  # as built before sentences' entities were stored
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (manifest_path.parent / "manifest.sha256").write_text(sha256_file(manifest_path))
    app = AskJobs(fake_app.settings, FakeEncoder())
    with pytest.raises(IndexError_, match="askjobs index"):
        app.ask("Quel salaire ?")  # no question parses the whole corpus instead
    report = app.build()
    assert not report.up_to_date and report.embedded == 0  # entities added, vectors kept
    assert app.ask("Quel est le salaire médian aux États-Unis ?").answerable
