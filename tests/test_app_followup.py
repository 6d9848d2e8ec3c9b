"""The follow-up resolver: elliptic and pronoun questions rewritten from the previous turn, no model."""

from __future__ import annotations

import pytest

from askjobs.followup import resolve_followup
from askjobs.schema import Answer, Citation


def turn(question: str, quotes: tuple[str, ...] = (), understood: str | None = None) -> dict:
    answer = {"question": question, "answerable": bool(quotes),
              "citations": [{"n": i + 1, "quote": q} for i, q in enumerate(quotes)]}
    if understood:
        answer["understood"] = understood
    return {"question": question, "answer": answer}


@pytest.mark.parametrize("previous,question,resolved,carried", [
    ("Que font les chercheurs scientifiques en IA ?", "Combien gagnent-ils ?",
     "Combien gagnent les chercheurs scientifiques en IA ?", {"subject": "les chercheurs scientifiques en IA"}),
    ("Que font les chercheurs scientifiques en IA ?", "Quel est leur salaire ?",
     "Quel est le salaire des chercheurs scientifiques en IA ?", {"subject": "les chercheurs scientifiques en IA"}),
    ("Que font les chercheurs scientifiques en IA ?", "Où travaillent-elles ?",
     "Où travaillent les chercheurs scientifiques en IA ?", {"subject": "les chercheurs scientifiques en IA"}),
    ("Que font les chercheurs scientifiques en IA ?", "Est-ce qu'ils travaillent chez Meta ?",
     "Est-ce que les chercheurs scientifiques en IA travaillent chez Meta ?",
     {"subject": "les chercheurs scientifiques en IA"}),
    ("Quel est le salaire d'un chef de produit IA ?", "Combien gagne-t-il dans les grandes entreprises ?",
     "Combien gagne un chef de produit IA dans les grandes entreprises ?", {"subject": "un chef de produit IA"}),
    ("Quel est le salaire d'un chef de produit IA ?", "Et dans les grandes entreprises ?",
     "Quel est le salaire d'un chef de produit IA dans les grandes entreprises ?",
     {"modifier": "dans les grandes entreprises"}),
    ("Combien gagnent les chercheurs scientifiques en IA ?", "Et pour les architectes ?",
     "Combien gagnent les architectes ?", {"subject": "les architectes"}),
    ("Quel est le salaire d'un chef de produit IA ?", "Et pour un architecte IA ?",
     "Quel est le salaire d'un architecte IA ?", {"subject": "un architecte IA"}),
    ("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?", "Et pour les architectes ?",
     "Quel est le salaire médian des architectes aux États-Unis ?", {"subject": "les architectes"}),
    ("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?", "Et en France ?",
     "Quel est le salaire médian des postes liés à l'IA en France ?", {"modifier": "en France"}),
    ("Quel pourcentage des entreprises avaient adopté l'IA fin 2024 ?", "Et en 2023 ?",
     "Quel pourcentage des entreprises avaient adopté l'IA fin 2023 ?", {"year": "2023"}),
    ("Combien d'offres d'emploi liées à l'IA selon LinkedIn ?", "Et en 2024 ?",
     "Combien d'offres d'emploi liées à l'IA selon LinkedIn en 2024 ?", {"year": "2024"}),
    ("Que recherche NVIDIA ?", "Et Meta ?", "Que recherche Meta ?", {"subject": "Meta"}),
    ("Quels experts NVIDIA recherche-t-elle ?", "Et Meta ?", "Quels experts Meta recherche-t-elle ?",
     {"subject": "Meta"}),
    ("De combien ont augmenté les offres de spécialistes IA dans le commerce de détail ?", "Et la santé ?",
     "De combien ont augmenté les offres de spécialistes IA dans la santé ?", {"modifier": "dans la santé"}),
])
def test_a_follow_up_is_rewritten_from_the_previous_question(previous, question, resolved, carried):
    r = resolve_followup(question, [turn(previous)])
    assert r.question == resolved and not r.ambiguous
    assert r.context["carried"] == carried and r.context["previous"] == previous and r.context["turn"] == 0
    assert r.context["resolved"] == resolved


def test_what_was_replaced_is_recorded():
    r = resolve_followup("Et en 2023 ?", [turn("Quel pourcentage des entreprises avaient adopté l'IA fin 2024 ?")])
    assert r.context["kind"] == "ellipsis" and r.context["replaced"] == {"year": "2024"}


@pytest.mark.parametrize("question", [
    "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?",
    "Quelle est la capitale de l'Australie ?",
    "Combien y a-t-il d'offres d'emploi en IA ?",  # impersonal "il"
    "Faut-il un diplôme pour devenir ingénieur en IA ?",
    "Qu'est-ce que le RAG ?",  # the "ce" of "est-ce que" refers to nothing
    "Et qui encadre les usages responsables ?",  # a question of its own after "Et"
    "Et ?",
])
def test_a_question_that_stands_on_its_own_is_left_alone(question):
    r = resolve_followup(question, [turn("Que font les chercheurs scientifiques en IA ?")])
    assert r.question == question and r.context is None and not r.ambiguous


def test_without_history_nothing_changes():
    assert resolve_followup("Combien gagnent-ils ?", []).question == "Combien gagnent-ils ?"
    assert resolve_followup("Combien gagnent-ils ?", None).context is None


def test_two_possible_referents_are_asked_back_not_guessed():
    r = resolve_followup("Combien gagnent-ils ?",
                         [turn("Que font les architectes IA et les chercheurs scientifiques en IA ?")])
    assert r.ambiguous and r.choices == ("les architectes IA", "les chercheurs scientifiques en IA")
    assert r.context["ambiguous"] is True and r.context["choices"] == list(r.choices)
    message = r.clarification()
    assert "« les architectes IA » ou « les chercheurs scientifiques en IA »" in message
    assert "Combien gagnent les architectes IA ?" in message


def test_a_vague_previous_subject_is_read_from_the_cited_answer():
    quotes = ("Amazon: Recrute activement des centaines de postes liés à l'IA. NVIDIA: Recherche des experts en "
              "apprentissage profond. Meta: Axée sur les ingénieurs en apprentissage automatique.",)
    r = resolve_followup("Que recherche-t-elle ?",
                         [turn("Quelles entreprises recrutent activement en IA en 2025 ?", quotes)])
    assert r.choices == ("Amazon", "NVIDIA", "Meta") and r.context["from"] == "answer"
    one = ("Forbes rapporte que les chefs de produits IA gagnent un salaire annuel moyen de 141 000 $.",)
    r = resolve_followup("Combien gagnent-ils dans les grandes entreprises ?",
                         [turn("Quels postes de gestion de produits existent en IA ?", one)])
    assert r.question == "Combien gagnent les chefs de produits IA dans les grandes entreprises ?"
    assert r.context["from"] == "answer"


def test_the_last_turn_counts_and_a_resolved_turn_is_read_as_it_was_understood():
    history = [turn("Que font les chercheurs scientifiques en IA ?"),
               turn("Et pour les architectes ?", understood="Que font les architectes ?")]
    r = resolve_followup("Combien gagnent-ils ?", history)
    assert r.question == "Combien gagnent les architectes ?" and r.context["turn"] == 1
    # History turns may be Answer objects (the library's own type).
    answer = Answer("Que font les chercheurs scientifiques en IA ?", "…", True, 0.8,
                    (Citation(1, "a.txt", "T", "c", 0, 1, "…", "…", 0, 1, 0.8),))
    assert resolve_followup("Combien gagnent-ils ?", [answer]).question == \
        "Combien gagnent les chercheurs scientifiques en IA ?"


@pytest.mark.parametrize("previous,question,resolved", [
    ("Quel pourcentage des entreprises avaient adopté l'IA fin 2024 ?", "Et l'année d'avant ?",
     "Quel pourcentage des entreprises avaient adopté l'IA fin 2023 (l’année avant 2024) ?"),
    ("Combien pèsera le marché de l'IA dans l'industrie manufacturière en 2034 ?", "C'était combien dix ans plus tôt ?",
     "Combien pèsera le marché de l'IA dans l'industrie manufacturière en 2024 (dix ans avant 2034) ?"),
    ("Combien de nouveaux emplois l'IA va-t-elle créer d'ici 2028 ?", "Qui a fait cette prévision ?",
     "Qui a fait cette prévision, à propos de « Combien de nouveaux emplois l'IA va-t-elle créer d'ici 2028 » ?"),
    ("Quelle entreprise recrute des ingénieurs en robotique ?", "Pour quels projets ?",
     "Quelle entreprise recrute des ingénieurs en robotique, pour quels projets ?"),
    ("Pourquoi le secteur de la santé recrute-t-il des spécialistes en IA ?", "Et la finance, elle s'en sert pour quoi ?",
     "La finance s'en sert pour quoi ?"),
    ("Qui sont les auditeurs d'algorithmes ?", "Combien sont-ils payés ?",
     "Combien les auditeurs d'algorithmes sont-ils payés ?"),
])
def test_years_references_continuations_and_dislocations(previous, question, resolved):
    assert resolve_followup(question, [turn(previous)]).question == resolved


def test_a_pronoun_for_one_of_the_things_asked_about_is_ambiguous_when_the_answer_names_none():
    r = resolve_followup("Quels profils cherche-t-elle ?", [turn(
        "Quelles entreprises recrutent pour l'IA ?",
        ("Les entreprises recrutent également des chefs de projet IA pour piloter l'intégration de l'IA.",))])
    assert r.ambiguous and r.choices == () and "Reformulez" in r.clarification()
    one = resolve_followup("Quels profils cherche-t-elle ?", [turn(
        "Quelle entreprise recrute des centaines de postes liés à l'IA ?",
        ("Amazon: Recrute activement des centaines de postes liés à l'IA, notamment des scientifiques des données.",))])
    assert one.question == "Quels profils cherche Amazon ?"
