"""Which follow-ups borrow from the previous question, and how: a question of its own stays as it is,
a question word without a verb asks the previous question again with it, an ellipsis fills in the rest.

Each case is (previous question, follow-up, expected question); STANDALONE means the follow-up is
answered as typed, with nothing carried over (context None).
"""

from __future__ import annotations

import pytest

from askjobs.followup import resolve_followup

STANDALONE = None


def turn(question: str) -> dict:
    return {"question": question, "answer": {"question": question, "answerable": False, "citations": []}}


@pytest.mark.parametrize("previous,question,expected", [
    # "Et" + a question with its own question word and verb (or named subject): nothing to borrow.
    ("Quelles entreprises recrutent des experts en IA ?", "Et que cherche NVIDIA ?", STANDALONE),
    ("Quelles entreprises recrutent des experts en IA ?", "Et que recherche Meta ?", STANDALONE),
    ("Quelles entreprises recrutent des experts en IA ?", "Et qui embauche des ingénieurs en robotique ?", STANDALONE),
    ("Que font les chercheurs scientifiques en IA ?", "Et qu'est-ce que le RAG ?", STANDALONE),
    ("Que font les chercheurs scientifiques en IA ?", "Qu'est-ce que le RAG ?", STANDALONE),
    # A subject written before the inverted verb: the pronoun repeats it (complex inversion), nothing to borrow.
    ("Quels métiers encadrent l'éthique ?", "Pourquoi les entreprises industrielles investissent-elles dans l'IA ?",
     STANDALONE),
    ("Combien gagne un data scientist chez Capgemini ?", "Comment l'IA évite-t-elle les arrêts de production ?",
     STANDALONE),
    ("Quelles entreprises recrutent ?", "Pourquoi les hôpitaux recrutent-ils des spécialistes ?", STANDALONE),
    ("Que fait Tesla ?", "Pourquoi Meta recrute-t-elle ?", STANDALONE),
    ("Que font les chercheurs scientifiques en IA ?", "Et comment devenir architecte IA ?", STANDALONE),
    ("Qui vérifie la conformité des systèmes intelligents ?", "Et qui encadre les usages responsables ?",
     STANDALONE),
    ("Quel est le salaire d'un chef de produit IA ?", "Et quel est celui d'un architecte ?", STANDALONE),
    ("Quelles entreprises recrutent des ingénieurs en IA ?", "Et les architectes gagnent combien ?", STANDALONE),
    ("Combien gagnent les chercheurs scientifiques en IA ?", "Et les architectes gagnent-ils plus ?", STANDALONE),
    # "ceux de X": the previous subject's noun with another complement (a plural pronoun for a plural subject).
    ("Pourquoi les professionnels du marketing doivent-ils se former à l'IA ?", "Et ceux de la finance ?",
     "Pourquoi les professionnels de la finance doivent-ils se former à l'IA ?"),
    ("Combien gagnent les ingénieurs en IA aux États-Unis ?", "Et ceux de Meta ?",
     "Combien gagnent les ingénieurs de Meta aux États-Unis ?"),
    # "celui / celle de X" for a thing of another gender or number than the subject: the thing, of X.
    ("Quel est le salaire des chercheurs scientifiques en IA ?", "Et celui des architectes ?",
     "Quel est le salaire des architectes ?"),
    ("Quelle est la fourchette de salaire des chercheurs en IA ?", "Et celle des architectes ?",
     "Quelle est la fourchette de salaire des architectes ?"),
    # "celui des chercheurs" with no thing named before: the researchers take the subject's place.
    ("Combien gagne un architecte IA ?", "Et celui des chercheurs scientifiques ?",
     "Combien gagne les chercheurs scientifiques ?"),
    # A name put first, then a pronoun: the name is the subject ("Et Google, il embauche qui ?").
    ("Quelles entreprises recrutent activement en IA en 2025 ?", "Et Google, il embauche qui ?",
     "Google embauche qui ?"),
    # A possessive for the complement of a vague phrase ("le rôle des chefs de produit IA").
    ("Quel est le rôle des chefs de produit IA ?", "Et leur salaire ?", "Le salaire des chefs de produit IA ?"),
    # "il" agrees with the general phrase when no specific one is singular ("des spécialistes" is plural).
    ("Pourquoi le secteur de la santé recrute-t-il des spécialistes en IA ?", "Comment il utilise l'IA ?",
     "Comment le secteur de la santé utilise l'IA ?"),
    # The words before a role noun are part of it ("les data scientists", not "les scientists").
    ("Combien gagnent les data scientists ?", "Et ils travaillent où ?", "Les data scientists travaillent où ?"),
    ("Que font les architectes IA ?", "Et comment l'utilisent-ils ?", "Comment l'utilisent les architectes IA ?"),
    # The subject written before the previous question's inverted verb is the one a pronoun carries on.
    ("Comment l'IA évite-t-elle les arrêts de production ?", "Et dans la finance, elle sert à quoi ?",
     "Dans la finance, l'IA sert à quoi ?"),
    ("Pourquoi les hôpitaux recrutent-ils des spécialistes ?", "Et ils paient bien ?", "Les hôpitaux paient bien ?"),
    # "il" for the phrase with an article, not for a bare complement ("offres d'emploi").
    ("Qui a publié le rapport sur les offres d'emploi ?", "Il date de quand ?", "Le rapport date de quand ?"),
    # "Lesquelles…" for the things the previous question asked about.
    ("Quelles entreprises recrutent en IA ?", "Lesquelles recrutent le plus ?", "Quelles entreprises recrutent le plus ?"),
    ("Quelles compétences sont demandées ?", "Lesquelles sont les plus importantes ?",
     "Quelles compétences sont les plus importantes ?"),
    # Another period replaces the previous one.
    ("De combien les offres d'emploi en IA ont-elles augmenté entre 2020 et 2024 ?", "Et au premier trimestre 2025 ?",
     "De combien les offres d'emploi en IA ont-elles augmenté au premier trimestre 2025 ?"),
    # Another year, with the preposition the user types.
    ("Combien d'emplois l'IA va-t-elle créer d'ici 2028 selon le Forum économique mondial ?", "Et d'ici 2030 ?",
     "Combien d'emplois l'IA va-t-elle créer d'ici 2030 selon le Forum économique mondial ?"),
    # A question word without a verb: the previous question asked with it. Its own question word, when
    # it only says how or why, gives way ("Pourquoi …" → "Dans quels secteurs …").
    ("Pourquoi les entreprises investissent-elles dans l'IA ?", "Et dans quels secteurs en particulier ?",
     "Dans quels secteurs en particulier les entreprises investissent-elles dans l'IA ?"),
    ("Comment les entreprises utilisent-elles l'IA ?", "Et dans quels secteurs ?",
     "Dans quels secteurs les entreprises utilisent-elles l'IA ?"),
    ("Où travaillent les chercheurs scientifiques en IA ?", "Et depuis quand ?",
     "Depuis quand travaillent les chercheurs scientifiques en IA ?"),
    ("Quand l'IA remplacera-t-elle les emplois de bureau ?", "Et pourquoi ?",
     "Pourquoi l'IA remplacera-t-elle les emplois de bureau ?"),
    # ... a yes/no question gets the question word in front.
    ("Les institutions financières adoptent-elles l'IA ?", "Et pour quelles raisons ?",
     "Pour quelles raisons les institutions financières adoptent-elles l'IA ?"),
    ("Les offres d'emploi liées à l'IA ont-elles augmenté selon LinkedIn ?", "Et de combien ?",
     "De combien les offres d'emploi liées à l'IA ont-elles augmenté selon LinkedIn ?"),
    ("Faut-il un diplôme pour devenir ingénieur en IA ?", "Et pourquoi ?",
     "Pourquoi faut-il un diplôme pour devenir ingénieur en IA ?"),
    ("Les chercheurs scientifiques en IA travaillent-ils chez Meta ?", "Et depuis combien de temps ?",
     "Depuis combien de temps les chercheurs scientifiques en IA travaillent-ils chez Meta ?"),
    # ... "combien" after "quels N" asks how many N.
    ("Quelles entreprises recrutent des ingénieurs en IA ?", "Et combien ?",
     "Combien d'entreprises recrutent des ingénieurs en IA ?"),
    # ... a question word that is the subject or the thing asked stays, the new one follows it.
    ("Quelle entreprise recrute des ingénieurs en robotique ?", "Et pour quels projets ?",
     "Quelle entreprise recrute des ingénieurs en robotique, pour quels projets ?"),
    ("De combien ont augmenté les offres de spécialistes IA dans la santé ?", "Et depuis quand ?",
     "De combien ont augmenté les offres de spécialistes IA dans la santé, depuis quand ?"),
    ("Combien de nouveaux emplois l'IA va-t-elle créer dans le monde ?", "Et d'ici quand ?",
     "Combien de nouveaux emplois l'IA va-t-elle créer dans le monde, d'ici quand ?"),
    ("Combien gagnent les chercheurs scientifiques en IA ?", "Et pourquoi autant ?",
     "Combien gagnent les chercheurs scientifiques en IA, pourquoi autant ?"),
    # Ellipses with no verb and no question word of their own: resolved as before.
    ("Quelle est la fourchette de salaire des architectes IA ?", "Et pour les chercheurs scientifiques en IA ?",
     "Quelle est la fourchette de salaire des chercheurs scientifiques en IA ?"),
    ("Combien gagnent les chercheurs scientifiques en IA ?", "Et pour les architectes qui débutent ?",
     "Combien gagnent les architectes qui débutent ?"),  # the verb of a relative clause is not its own
    ("Quel est le salaire moyen d'un ingénieur en IA aux États-Unis en 2025 ?", "Et en 2024 ?",
     "Quel est le salaire moyen d'un ingénieur en IA aux États-Unis en 2024 ?"),
    ("Quel est le salaire des ingénieurs IA dans la finance ?", "Et la recherche ?",
     "Quel est le salaire des ingénieurs IA dans la recherche ?"),
    ("Quelles entreprises recrutent des ingénieurs en IA ?", "Et chez Meta ?",
     "Quelles entreprises recrutent des ingénieurs en IA chez Meta ?"),
    ("Quelle entreprise recrute des ingénieurs en robotique ?", "Pour quels projets ?",
     "Quelle entreprise recrute des ingénieurs en robotique, pour quels projets ?"),
    ("Quels frameworks d'apprentissage automatique faut-il connaître ?", "Et quel langage ?", STANDALONE),
    ("Quelles compétences faut-il pour devenir ingénieur en IA ?", "Et quelles certifications ?", STANDALONE),
    # "ça" before a verb stands for one thing or one person of the previous question, never for a plural.
    ("Qu'est-ce que fait un éthicien de l'IA ?", "Et ça gagne combien ?", "Un éthicien de l'IA gagne combien ?"),
    ("Qu'est-ce que le MLOps ?", "Et ça sert à quoi ?", "Le MLOps sert à quoi ?"),
    ("Combien gagnent les architectes IA ?", "Pourquoi ça augmente ?", STANDALONE),
    # "C'est quoi X ?" names what it asks about; "C'est quoi ce sigle ?" points back.
    ("Pourquoi les ingénieurs cloud gagnent-ils plus ?", "C'est quoi la génération augmentée de récupération ?",
     STANDALONE),
])
def test_a_follow_up_borrows_only_what_it_leaves_out(previous, question, expected):
    r = resolve_followup(question, [turn(previous)])
    assert not r.ambiguous
    if expected is STANDALONE:
        assert (r.question, r.context) == (question, None)
    else:
        assert r.question == expected
        assert r.context["previous"] == previous and r.context["resolved"] == expected


def test_the_question_word_given_way_is_recorded():
    r = resolve_followup("Et dans quels secteurs ?", [turn("Comment les entreprises utilisent-elles l'IA ?")])
    assert r.context["kind"] == "ellipsis" and r.context["replaced"] == {"question_word": "Comment"}
    assert r.context["carried"] == {"question": "les entreprises utilisent-elles l'IA"}


@pytest.mark.parametrize("previous,question,expected", [
    ("Et pourquoi les entreprises investissent-elles dans l'IA ?", "Et dans quels secteurs ?",
     "Dans quels secteurs les entreprises investissent-elles dans l'IA ?"),
    ("Et les entreprises adoptent-elles l'IA ?", "Et depuis quand ?",
     "Depuis quand les entreprises adoptent-elles l'IA ?"),
])
def test_a_previous_question_answered_as_typed_is_read_without_its_et(previous, question, expected):
    assert resolve_followup(question, [turn(previous)]).question == expected


def test_a_verb_ends_a_noun_phrase_and_a_generic_phrase_lends_its_complement():
    from askjobs.followup import noun_phrases
    quote = "Les chefs de produits IA agissent comme un pont entre les équipes techniques."
    assert noun_phrases(quote)[0].text == "chefs de produits IA"
    asked = resolve_followup("Combien gagnent-ils ?", [turn("Quel est le rôle d'un chef de produit IA ?")])
    assert asked.question == "Combien gagnent un chef de produit IA ?"
