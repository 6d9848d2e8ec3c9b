"""The question is analysed once into a Query; search and read take it, and ask is exactly the two."""

from __future__ import annotations

import pytest

from askjobs.query import analyse_question


def test_a_query_holds_terms_type_and_constraints():
    q = analyse_question("Combien gagnent les chercheurs de Meta en 2025 ?")
    assert q.answer_type == "amount"
    assert "gagn" in q.terms and "chercheur" in q.terms
    assert q.constraints.years == ("2025",)
    assert "Meta" in q.constraints.key_tokens and "2025" in q.constraints.key_tokens
    assert q.about_document is None and q.resolved == q.text


def test_questions_about_a_document_are_recognised_once():
    assert analyse_question("De quand date l'article ?").about_document == "date"
    assert analyse_question("Que dit le rapport de McKinsey ?").about_document is None


def test_ask_is_analyse_then_search_then_read(fake_app):
    question = "Quel est le salaire médian aux États-Unis ?"
    query = fake_app.analyse(question)
    assert query.weights and all(w > 0 for w in query.weights.values())  # IDF from the index
    found = fake_app.search(query)
    assert found.hits and set(found.rankings) == {"dense", "lexical", "sentence"}
    by_parts = fake_app.read(query, found)
    asked = fake_app.ask(question)
    assert by_parts.answer == asked.answer and by_parts.citations == asked.citations
    assert asked.to_dict()["understood"] == question and asked.to_dict()["form"] == "fact"


def test_a_refusal_says_so_in_its_form(fake_app):
    answer = fake_app.ask("Quelle est la capitale de l'Australie ?")
    assert not answer.answerable and answer.form == "refusal" and not answer.citations


def test_the_query_knows_where_the_answer_sits():
    """The preposition before "qui/quoi", the word a definition question asks about, a closed question."""
    pour = analyse_question("Pour qui décrocher un poste bien payé est-il devenu une priorité ?")
    assert pour.slot == "pour" and not pour.yes_no
    assert analyse_question("Grâce à quoi les entreprises gagnent-elles en efficacité ?").slot == "grâce à"
    assert analyse_question("De quoi parle l'article ?").slot is None  # "de" singles out nothing
    assert analyse_question("C'est quoi le RAG ?").defined == "RAG"
    assert analyse_question("Que signifie le sigle LLM ?").defined == "LLM"
    assert analyse_question("Qu'est-ce qu'un auditeur d'algorithmes ?").defined == "auditeur d'algorithmes"
    # "le boulot d'un X" asks what X does: X is what is defined.
    assert analyse_question("C'est quoi le boulot d'un chef de produit IA ?").defined == "chef de produit IA"
    assert analyse_question("Quel genre de transformation vit le marché du travail ?").focus == ("transform",)
    assert analyse_question("Les compétences techniques suffisent-elles ?").yes_no
    assert not analyse_question("Quelle entreprise recrute ?").yes_no


@pytest.mark.parametrize("question, tokens", [
    ("Capgemini cherche quels profils en IA ?", ("Capgemini", "IA")),  # a name opening the question
    ("Faut-il connaître Python ?", ("Python",)),  # a verb with its pronoun is no name
    ("Hormis l'usage militaire, à quoi servaient les forts ?", ()),  # a word the dictionary lacks, then "l'"
    ("Combien gagne un architecte IA ?", ("IA",)),
])
def test_key_tokens_include_a_name_that_opens_the_question(question, tokens):
    assert analyse_question(question).constraints.key_tokens == tokens


@pytest.mark.parametrize("question, role", [
    ("Combien gagnait un ingénieur en IA en 2023 ?", "ingénieur en IA"),
    ("Combien gagneront les chercheurs en 2030 ?", "chercheurs"),
    ("Combien gagnaient les data scientists en 2024 ?", "data scientists"),
])
def test_the_role_of_a_pay_question_in_any_tense(question, role):
    assert analyse_question(question).constraints.role_text == role


@pytest.mark.parametrize("question, role", [
    ("Comment s'appelle le maire de Lyon ?", ("mair",)),
    ("Qui est le nouveau général ?", ("general",)),  # the adjective before the noun is not the role
    ("Qui dirige NVIDIA ?", ()),
])
def test_the_role_whose_holder_is_asked(question, role):
    assert analyse_question(question).role_held == role


@pytest.mark.parametrize("question, subject", [
    ("Quelles compétences en données sont nécessaires ?", True),  # « La pensée critique … sont nécessaires »
    ("Quels outils sont utilisés par les data scientists ?", True),
    ("Quel est le salaire médian ?", False),  # the attribute is asked, not the subject
    ("Quelles sont les compétences demandées ?", False),
    ("Quelles compétences les recruteurs sont-ils en train de chercher ?", False),  # the subject follows the verb
])
def test_a_copula_after_the_asked_noun_asks_for_the_subject(question, subject):
    assert analyse_question(question).asks_subject is subject


@pytest.mark.parametrize("spoken, written", [
    ("c'est qui le maire de rome", "Qui est le maire de rome ?"),
    ("Le maire de Rome, c'est qui ?", "Qui est le maire de Rome ?"),
    ("C'est quand la fête de la musique ?", "Quand est la fête de la musique ?"),
    ("C'est où le siège de Meta ?", "Où est le siège de Meta ?"),
])
def test_spoken_word_order_is_typed_as_the_written_one(spoken, written):
    a, b = analyse_question(spoken), analyse_question(written)
    assert (a.answer_type, a.role_held, a.asks_where) == (b.answer_type, b.role_held, b.asks_where)
    assert a.answer_type is not None


@pytest.mark.parametrize("question, places", [
    ("Et en europe ?", ("europe",)),
    ("Quel est le salaire des postes liés à l'IA en europe ?", ("europe",)),
    ("Combien gagne-t-on aux états-unis ?", ("états-unis",)),
    ("Quel salaire en amérique du sud ?", ("amérique du sud",)),
    ("Quel est le meilleur langage au monde ?", ()),  # "au monde" is no place
    ("Quels modèles sont en production ?", ()),
])
def test_a_country_or_continent_typed_in_lower_case_is_a_place_asked(question, places):
    assert analyse_question(question).constraints.places == places


def test_a_pay_question_spoken_with_the_role_first_keeps_its_role():
    spoken = analyse_question("data scientist, c'est combien le salaire ?")
    assert spoken.answer_type == "amount"
    assert spoken.constraints.role == analyse_question("Quel est le salaire d'un data scientist ?").constraints.role


def test_who_heads_asks_for_a_named_person():
    heads = analyse_question("Qui est à la tête de Tesla ?")
    assert heads.answer_type == "person" and heads.type_required
    assert (heads.answer_type, heads.type_required) == (lambda q: (q.answer_type, q.type_required))(
        analyse_question("Qui dirige Tesla ?"))


@pytest.mark.parametrize("question, kind", [
    ("Quand on maîtrise l'IA, on gagne combien de plus qu'un informaticien classique ?", "amount"),
    ("Si je suis data scientist, je gagne combien ?", "amount"),
    ("Quand la loi est-elle entrée en vigueur ?", "date"),  # "quand" asks
])
def test_a_leading_clause_of_condition_is_not_the_question_word(question, kind):
    assert analyse_question(question).answer_type == kind
