"""The real model on the real corpus: the answers users see, exact citations, refusals, eval targets."""

from __future__ import annotations

import json

import pytest

from askjobs.config import PROJECT_ROOT
from askjobs.evaluate import load_questions, run_eval

pytestmark = pytest.mark.model
CORPUS = PROJECT_ROOT / "corpus"


def file_text(source: str) -> str:
    return (CORPUS / source).read_text(encoding="utf-8")


def test_median_us_salary_is_quoted_from_the_first_article(real_app):
    a = real_app.ask("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?")
    assert a.answerable
    assert "157 000 $" in a.answer
    c = a.citations[0]
    assert c.source == "emplois-automatisation-ia-competences.txt"
    assert file_text(c.source)[c.start:c.end] == c.quote
    assert "157 000 $" in c.quote and c.quote in c.passage


def test_article_date_and_title_are_read_from_the_text(real_app):
    docs = real_app.index.documents
    assert docs["ia-nouveaux-metiers-competences.txt"].date == "2025-03-02"
    assert docs["emplois-automatisation-ia-competences.txt"].title.startswith("La demande croissante d'emplois")


def test_a_question_about_the_article_itself_quotes_its_date_line(real_app):
    a = real_app.ask("Quand a été publié l'article sur les éthiciens de l'IA ?")
    assert a.answerable and a.answer == "Publié le 2 mars 2025"
    (c,) = a.citations
    assert c.source == "ia-nouveaux-metiers-competences.txt"
    assert file_text(c.source)[c.start:c.end] == c.quote
    # Neither article names its author: no sentence holding a name is passed off as a byline.
    assert not real_app.ask("Qui a écrit l'article sur les emplois en automatisation de l'IA ?").answerable


@pytest.mark.parametrize("question", [
    "Quelle est la capitale de l'Australie ?",
    "Comment faire une pâte à crêpes sans grumeaux ?",
    "Quel est le salaire moyen d'un ingénieur IA en France ?",
    # Tesla hires robotics engineers, and the next sentence has a number, but no pay is given.
    "Combien gagnent les ingénieurs en robotique ?",
])
def test_questions_the_documents_do_not_answer_are_refused(real_app, question):
    a = real_app.ask(question)
    assert not a.answerable
    assert a.answer == "Je n'ai pas trouvé la réponse dans les documents."
    assert a.nearest and not a.citations


def test_json_contract_through_the_cli(real_app, monkeypatch, capsys):
    from askjobs import cli

    monkeypatch.setattr(cli, "_app", lambda args: real_app)
    assert cli.main(["ask", "Combien de nouveaux emplois l'IA créera-t-elle d'ici 2028 ?", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"question", "answer", "answerable", "confidence", "citations", "timings_ms"} <= set(d)
    assert d["answerable"] and "69 millions" in d["answer"]
    for c in d["citations"]:
        assert file_text(c["source"])[c["start"]:c["end"]] == c["quote"]


@pytest.fixture(scope="module")
def eval_report(real_app):
    return run_eval(real_app.ask, load_questions(PROJECT_ROOT / "eval" / "questions.jsonl"))


def test_every_citation_of_the_eval_set_points_at_its_exact_text(eval_report):
    checked = 0
    for r in eval_report["results"]:
        for c in r["citations"] + r["nearest"]:
            text = file_text(c["source"])
            assert text[c["start"]:c["end"]] == c["quote"]
            assert text[c["passage_start"]:c["passage_end"]] == c["passage"]
            checked += 1
    assert checked > 300


def test_answers_stay_short(eval_report):
    # One or two sentences for a fact; a list answer's quotes together stay within 700 characters.
    assert all(len(r["answer"]) <= (700 if r["form"] == "list" else 400) for r in eval_report["results"])


def test_eval_meets_the_issue_targets(eval_report):
    # The core issue's targets on askjobs' own set (README, "Eval"). Today: 0.955 / 0.955 / 1.0 / 0.944.
    s = eval_report["summary"]
    assert s["retrieval_hit@5"] >= 0.95
    assert s["answer_accuracy"] >= 0.95
    assert s["citation_accuracy"] >= 0.95
    assert s["refusal_precision"] >= 0.90
    assert s["refusal_recall"] >= 0.90


def test_the_configured_threshold_is_still_the_calibrated_one(real_app):
    # A reader change moves confidences: the threshold must then be re-calibrated, not left behind.
    from askjobs.evaluate import calibrate
    from askjobs.pipeline import AskJobs

    app = AskJobs(real_app.settings.with_(refusal_threshold=0.0), real_app.encoder)
    questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl")
    c = calibrate(questions, run_eval(app.ask, questions)["results"])
    lo, hi = c["range"]
    assert lo < real_app.settings.refusal_threshold < hi, c


def test_the_issue_questions_get_what_the_documents_say(real_app):
    companies = real_app.ask("Quelles entreprises recrutent en ce moment pour l'IA ?")
    assert companies.form == "list" and len(companies.citations) >= 3
    assert sum(name in companies.answer for name in ("Amazon", "NVIDIA", "Meta", "Tesla")) >= 3
    for c in companies.citations:
        assert file_text(c.source)[c.start:c.end] == c.quote
    llm = real_app.ask("Quelles compétences sont exigées pour travailler avec les grands modèles de langage ?")
    assert llm.answerable and "Intégration API" in llm.answer
    assert not any(c.quote.rstrip().endswith(":") for c in llm.citations)  # never an introduction alone
    law = real_app.ask("Que dit le texte sur la loi européenne sur l'IA ?")
    assert law.answerable and "conformes et impartiaux" in law.answer
    role = real_app.ask("Quel rôle jouent les chefs de produit IA ?")
    assert role.answerable and "pont entre les équipes techniques" in role.answer
    jobs = real_app.ask("Quels sont les nouveaux métiers créés par l'IA ?")
    assert jobs.answerable and "data scientists" in jobs.answer and "prompt engineers" in jobs.answer


def test_near_misses_are_refused_with_the_reason(real_app):
    boss = real_app.ask("Qui dirige NVIDIA ?")
    assert not boss.answerable and "personne" in boss.reason and "NVIDIA" in boss.reason
    pay = real_app.ask("Quel est le salaire d'un ingénieur d'invite ?")
    assert not pay.answerable
    assert pay.reason == "Les documents donnent des salaires, mais aucun pour « ingénieur d'invite »."


def test_a_fact_answer_marks_the_amount_it_gives(real_app):
    a = real_app.ask("Au minimum, combien touche un architecte IA ?")
    assert a.answerable
    c = a.citations[0]
    assert file_text(c.source)[c.answer_start:c.answer_end].startswith("entre 196 000 $")


def test_a_pay_question_gets_its_roles_pay_even_below_another_roles(real_app):
    # Forbes reports the product managers' pay; the architects' range sits further down: the role asked
    # decides, and a role with no pay given is still refused.
    a = real_app.ask("Selon Forbes, quel est le salaire d'un architecte IA ?")
    assert a.answerable and "196 000 $" in a.answer, a
    assert not real_app.ask("Selon Forbes, combien gagne un ingénieur d'invite ?").answerable


def test_a_name_no_document_gives_is_missing_and_a_noun_no_document_uses_is_found_by_its_meaning(real_app):
    a = real_app.ask("Quels profils recrute Accenture en IA ?")
    assert not a.answerable and "Accenture" in a.reason, a
    b = real_app.ask("Comment l'IA réduit-elle les pannes des machines dans l'industrie ?")
    assert b.answerable and "défaillances" in b.answer, b
