"""Fast tests of how answers are shown (forms, links, confidence in words, refusals, export) and of the
chat's logic (follow-ups, clarification, documents panel, uploads): constructed Answers or the fake encoder."""

from __future__ import annotations

import dataclasses
import re

import pytest
from app_support import SALARY_DOC, load_app_module
from fakes import FakeEncoder
from test_app_ui import citation, parse

from askjobs import ui
from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from askjobs.schema import Answer

LIST_DOC = ("Chercheurs scientifiques en IA: Ils perçoivent des salaires compris entre 130 000 $ et 489 000 $. "
            "Architectes IA: Leur fourchette de salaire se situe généralement entre 196 000 $ et 320 000 $.")


def _with(obj, **fields):
    """A copy of a dataclass with the contract's newer fields (form, answer_start…) when the schema has them,
    else a thin view adding them, so these tests run before and after the reader's schema lands."""
    names = {f.name for f in dataclasses.fields(obj)}
    if set(fields) <= names:
        return dataclasses.replace(obj, **fields)

    class View:
        def __getattr__(self, name):
            return fields[name] if name in fields else getattr(obj, name)
    return View()


def test_confidence_is_said_in_words_with_the_number_on_hover():
    c = citation(SALARY_DOC, "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $, "
                             "mais les postes spécialisés dépassent souvent 200 000 $ en salaire de base.")
    for confidence, words, tentative in ((0.92, "réponse sûre", False), (0.55, "réponse probable", False),
                                         (0.33, "réponse incertaine", True)):
        html = ui.render_answer(Answer("q", c.quote, True, confidence, (c,), (c,), {"total": 50.0}))
        text = "".join(parse(html).text)
        assert words in text and "confiance" not in text  # the number is not in the text…
        assert f'title="confiance {confidence:.2f}'.replace(".", ",") in html  # …but on hover
        assert ("askjobs-tentative" in html) is tentative and ("vérifiez" in text) is tentative


def test_a_fact_emphasises_its_short_answer_inside_the_quote():
    quote = "Leur fourchette de salaire se situe généralement entre 196 000 $ et 320 000 $."
    c = citation(LIST_DOC, quote)
    a = c.start + quote.index("entre 196")
    c = _with(c, answer_start=a, answer_end=a + len("entre 196 000 $ et 320 000 $"))
    html = ui.render_answer(_with(Answer("q", quote, True, 0.8, (c,), (), {}), form="fact"))
    assert re.search(r'<strong class="askjobs-short">entre 196 000 \$ et 320 000 \$</strong>', html)
    assert "".join(parse(html).text).count(quote) == 1  # the quote itself is unchanged


def test_a_list_answer_is_bullets_with_one_link_per_quote():
    a = citation(LIST_DOC, "Ils perçoivent des salaires compris entre 130 000 $ et 489 000 $.", n=1)
    b = citation(LIST_DOC, "Leur fourchette de salaire se situe généralement entre 196 000 $ et 320 000 $.", n=2,
                 source="autre.txt")
    answer = _with(Answer("q", a.quote + "\n" + b.quote, True, 0.8, (a, b), (), {}), form="list")
    html = ui.render_answer(answer, turn=3)
    p = parse(html)
    assert p.tags.count("li") == 2 and "ul" in p.tags
    assert re.findall(r'href="#askjobs-ref-3-(\d)"', html) == ["1", "2"]  # real links: keyboard reachable


def test_a_refusal_shows_its_reason_and_no_citation_yellow():
    c = citation(SALARY_DOC, "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté "
                             "de 38 % entre 2020 et 2024.")
    refusal = _with(Answer("Salaire au Canada ?", "Je n'ai pas trouvé la réponse dans les documents.", False, 0.1,
                           (), (c,), {}), form="refusal",
                    reason="Les documents donnent des salaires, mais aucun pour le Canada.")
    html = ui.render_answer(refusal) + ui.render_sources(refusal)
    assert "aucun pour le Canada" in html and "<mark" not in html
    doc = ui.render_document(SALARY_DOC, c, neutral=True)
    assert "<mark" not in doc and f'id="{ui.DOC_MARK_ID}"' in doc and "ne répond pas" in doc


def test_the_understood_question_is_shown_above_the_answer():
    c = citation(LIST_DOC, "Ils perçoivent des salaires compris entre 130 000 $ et 489 000 $.")
    answer = Answer("Combien gagnent-ils ?", c.quote, True, 0.8, (c,), (), {})
    text = "".join(parse(ui.render_answer(answer, understood="Combien gagnent les chercheurs ?")).text)
    assert text.startswith("Question comprise : Combien gagnent les chercheurs ?")
    assert "Question comprise" not in ui.render_answer(answer)


def test_hidden_characters_of_a_document_are_neutralised_when_shown():
    text = "Le salaire est de 100 $ \u202eerèinrep\u202c pour les juniors.\u200b"
    c = citation(text, text)
    html = ui.render_sources(Answer("q", text, True, 0.9, (c,), (), {}))
    assert "\u202e" not in html and "\u200b" not in html


def test_answers_kept_in_the_browser_come_back_whole():
    c = citation(SALARY_DOC, "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté "
                             "de 38 % entre 2020 et 2024.")
    answer = Answer("q", c.quote, True, 0.8, (c,), (c,), {"total": 12.0})
    data = answer.to_dict() | {"understood": "q ?", "something_new": 1}
    back = ui.answer_from_dict(data)
    assert back.citations == answer.citations and back.answerable and back.timings_ms == {"total": 12.0}
    assert ui.answer_from_dict({"nonsense": True}) is None


def test_the_export_is_markdown_with_questions_quotes_and_citations():
    c = citation(SALARY_DOC, "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté "
                             "de 38 % entre 2020 et 2024.", source="salaires.txt")
    answer = Answer("De combien ?", c.quote, True, 0.8, (c,), (), {})
    refusal = Answer("Capitale ?", "Je n'ai pas trouvé la réponse dans les documents.", False, 0.0, (), (c,), {})
    md = ui.conversation_markdown([("De combien ?", answer, None), ("Et en 2023 ?", answer, None, "De combien en 2023 ?"),
                                   ("Capitale ?", refusal, None), ("", None, "La question est vide.")])
    assert "## 1. De combien ?" in md and f"> « {c.quote} » [1]" in md
    assert f"- [1] {c.title} — `salaires.txt`, caractères {c.start}–{c.end}" in md
    assert "Question comprise : *De combien en 2023 ?*" in md and "Réponse sûre" in md
    assert "Passages les plus proches (aucun ne répond)" in md and "_La question est vide._" in md


def test_every_gradio_string_key_has_a_french_text():
    # Flat "namespace.key" entries: Gradio's lookup reads them before its own (English) tables.
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", k) for k in ui.GRADIO_FR)
    for key in ("chatbot.copy_message", "chatbot.like", "chatbot.dislike", "chatbot.clear", "common.clear",
                "errors.use_via_api", "upload_text.click_to_upload", "upload_text.drop_file"):
        assert ui.GRADIO_FR[key] and not re.search(r"\b(Copy|Like|Clear|Use|Click|Drop)\b", ui.GRADIO_FR[key])


# --- The chat's logic -------------------------------------------------------------------------------------
CORPUS = {
    "salaires.txt": ("Les salaires des métiers de l'IA\n"
                     "Chercheurs scientifiques en IA: Ces professionnels se concentrent sur les architectures "
                     "neuronales. Ils perçoivent des salaires compris entre 130 000 $ et 489 000 $.\n"
                     "Architectes IA: Ces personnes conçoivent l'infrastructure. Leur fourchette de salaire se situe "
                     "entre 196 000 $ et 320 000 $.\n"),
    "offres.txt": ("Les offres d'emploi en IA\n"
                   "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté de 38 % "
                   "entre 2020 et 2024.\n"),
}


@pytest.fixture
def app(tmp_path) -> AskJobs:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    a = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap=5),
                FakeEncoder())
    a.build()
    return a


def test_a_follow_up_is_answered_as_understood_and_recorded(app):
    m = load_app_module()
    chat = m.Chat(app)
    first = chat.ask("Que font les chercheurs scientifiques en IA ?", 3, [])
    second = chat.ask("Combien gagnent-ils ?", 3, [first])
    assert second["question"] == "Combien gagnent-ils ?"
    assert second["understood"] == "Combien gagnent les chercheurs scientifiques en IA ?"
    assert second["query"]["context"]["carried"] == {"subject": "les chercheurs scientifiques en IA"}
    assert "130 000 $" in second["answer"]
    html = "".join(m.render_turn(second, 1)[0]["content"])
    assert "Question comprise" in html


def test_an_ambiguous_follow_up_asks_back_then_takes_the_choice(app):
    m = load_app_module()
    chat = m.Chat(app)
    first = chat.ask("Que font les architectes IA et les chercheurs scientifiques en IA ?", 3, [])
    clarify = chat.ask("Combien gagnent-ils ?", 3, [first])
    assert clarify["clarify"]["choices"] == ["les architectes IA", "les chercheurs scientifiques en IA"]
    assert "askjobs-clarify" in m.render_turn(clarify, 1)[0]["content"]
    picked = chat.ask("les architectes IA", 3, [first, clarify])
    assert picked["question"] == "les architectes IA" and picked["understood"] == "Combien gagnent les architectes IA ?"
    assert "answerable" in picked  # answered (or refused) like any question, not asked back again


def test_sources_are_folded_and_feedback_reasons_are_offered(app):
    m = load_app_module()
    data = m.Chat(app).ask("Combien gagnent les architectes IA ?", 3, [])
    messages = m.render_turn(data, 0)
    assert messages[1]["metadata"]["status"] == "done"  # folded until clicked
    assert ui.FEEDBACK_REASONS == ("Incorrect", "Incomplet", "Hors sujet", "Mauvaise source")


def test_the_documents_panel_lists_documents_and_skipped_files(app, tmp_path):
    (app.settings.corpus_dir / "vide.txt").write_text("", encoding="utf-8")
    app.build()
    m = load_app_module()
    docs, skipped = m.corpus_listing(app)
    assert [d["source"] for d in docs] == ["offres.txt", "salaires.txt"] and all(d["passages"] >= 1 for d in docs)
    assert [s["source"] for s in skipped] == ["vide.txt"] and skipped[0]["reason"]
    html = ui.render_corpus(docs, skipped)
    assert "2 documents indexés" in "".join(parse(html).text) and "vide.txt" in html
    summary = ui.corpus_summary(docs)
    assert "2 documents" in summary and "Les salaires des métiers de l" in summary
    examples = m.corpus_examples(app, docs)
    assert examples[-1] == ui.OFF_TOPIC_EXAMPLE and len(examples) >= 3


# --- Uploads ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../evil.txt", "../../etc/passwd.txt", "/tmp/x.txt", "sous/dossier.txt",
                                  "..\\evil.txt", "..", ".cache.txt", "a\x00b.txt", "note\u202etxt.exe"])
def test_an_upload_name_with_a_path_or_hidden_characters_is_refused(name, tmp_path):
    m = load_app_module()
    src = tmp_path / "upload.bin"
    src.write_text("Un texte.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    with pytest.raises(m.UploadError):
        m.save_upload(src, name, corpus, 10_000)
    assert not corpus.exists() or not any(corpus.iterdir())
    assert not (tmp_path / "evil.txt").exists()


def test_an_upload_is_checked_before_writing_and_never_overwrites(tmp_path):
    m = load_app_module()
    corpus = tmp_path / "corpus"
    src = tmp_path / "in.txt"
    src.write_text("Premier texte.", encoding="utf-8")
    assert m.save_upload(src, "note.txt", corpus, 10_000) == "« note.txt » ajouté."
    assert "même contenu" in m.save_upload(src, "note.txt", corpus, 10_000)
    src.write_text("Autre texte.", encoding="utf-8")
    assert "note-2.txt" in m.save_upload(src, "note.txt", corpus, 10_000)
    assert (corpus / "note.txt").read_text(encoding="utf-8") == "Premier texte."
    with pytest.raises(m.UploadError, match="trop gros"):
        m.save_upload(src, "gros.txt", corpus, 5)
    with pytest.raises(m.UploadError, match="format non pris en charge"):
        m.save_upload(src, "script.exe", corpus, 10_000)
    with pytest.raises(m.UploadError, match="pas un vrai fichier .docx"):
        m.save_upload(src, "faux.docx", corpus, 10_000)
    assert sorted(p.name for p in corpus.iterdir()) == ["note-2.txt", "note.txt"]


def test_removal_takes_only_a_listed_document(tmp_path):
    m = load_app_module()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "dehors.txt").write_text("x", encoding="utf-8")
    with pytest.raises(m.UploadError):
        m.remove_document("../dehors.txt", corpus, {"a.txt"})
    with pytest.raises(m.UploadError):
        m.remove_document("../dehors.txt", corpus, {"../dehors.txt"})
    assert (tmp_path / "dehors.txt").exists()
    m.remove_document("a.txt", corpus, {"a.txt"})
    assert not (corpus / "a.txt").exists()


def test_read_only_hides_upload_and_removal(app, monkeypatch):
    m = load_app_module()
    ids = lambda demo: {c.get("props", {}).get("elem_id") for c in demo.config["components"]}  # noqa: E731
    assert {"askjobs-upload", "askjobs-remove-btn"} <= ids(m.create_app(app))
    assert not {"askjobs-upload", "askjobs-remove-btn"} & ids(m.create_app(app, read_only=True))
    assert "askjobs-corpus" in ids(m.create_app(app, read_only=True))  # the list of documents stays
    monkeypatch.setenv("ASKJOBS_READ_ONLY", "1")
    assert m.env_flag("ASKJOBS_READ_ONLY")
    monkeypatch.setenv("ASKJOBS_READ_ONLY", "0")
    assert not m.env_flag("ASKJOBS_READ_ONLY")


# --- The library: AskJobs.ask(history=…) and the eval's follow-ups --------------------------------------
def test_ask_with_history_answers_the_resolved_question_and_records_it(app):
    first = app.ask("Que font les chercheurs scientifiques en IA ?")
    answer = app.ask("Combien gagnent-ils ?", history=[{"question": first.question, "answer": first.to_dict()}])
    data = answer.to_dict()
    assert data["question"] == "Combien gagnent-ils ?"
    assert data["understood"] == "Combien gagnent les chercheurs scientifiques en IA ?"
    assert data["query"]["context"]["carried"] == {"subject": "les chercheurs scientifiques en IA"}
    assert "130 000 $" in answer.answer
    assert app.ask("Combien gagnent-ils ?").understood == "Combien gagnent-ils ?"  # no history: as typed


def test_ask_with_an_ambiguous_reference_asks_back(app):
    first = app.ask("Que font les architectes IA et les chercheurs scientifiques en IA ?")
    answer = app.ask("Combien gagnent-ils ?", history=[first])
    assert answer.form == "clarification" and not answer.answerable and not answer.citations
    assert "« les architectes IA » ou « les chercheurs scientifiques en IA »" in answer.answer
    assert answer.query["context"]["choices"] == ["les architectes IA", "les chercheurs scientifiques en IA"]


def test_the_eval_asks_a_follow_up_after_its_context_with_the_answers_as_history():
    from askjobs.evaluate import EvalQuestion, run_eval

    calls = []

    def ask(question, history=None):
        calls.append((question, [t["question"] for t in history or []]))
        return Answer(question, "130 000 $", True, 0.9)

    q = EvalQuestion("f1", "Combien gagnent-ils ?", ("130 000 $",), None, True,
                     context=("Que font les chercheurs ?",))
    report = run_eval(ask, [q])
    assert calls == [("Que font les chercheurs ?", []), ("Combien gagnent-ils ?", ["Que font les chercheurs ?"])]
    assert report["summary"]["answer_accuracy"] == 1.0


def test_askjobs_chat_is_a_terminal_conversation_with_follow_ups(app, capsys):
    from askjobs import cli

    lines = iter(["Que font les chercheurs scientifiques en IA ?", "Combien gagnent-ils ?", "nouvelle",
                  "Combien gagnent-ils ?", ""])
    args = cli.build_parser().parse_args(["chat", "--corpus", str(app.settings.corpus_dir),
                                          "--index", str(app.settings.index_dir)])
    import askjobs.pipeline as pipeline

    real = pipeline.AskJobs
    try:
        pipeline.AskJobs = lambda settings: real(settings.with_(chunk_tokens=40, chunk_overlap=5), FakeEncoder())
        assert cli.cmd_chat(args, read=lambda prompt: next(lines)) == 0
    finally:
        pipeline.AskJobs = real
    out = capsys.readouterr().out
    assert out.count("Question comprise : Combien gagnent les chercheurs scientifiques en IA ?") == 1
    assert "130 000 $" in out and "Nouvelle conversation." in out
