"""The reader's answer forms: typed questions, short answers, list answers, reasons for refusing."""

from __future__ import annotations

import pytest

from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from askjobs.query import analyse_question
from conftest import write_corpus
from fakes import FakeEncoder

JOBS = {
    "recrutement.txt": (
        "Le recrutement dans l'IA en 2025\n"
        "Aux États-Unis, le salaire médian des postes liés à l'IA est d'environ 157 000 $.\n"
        "Les ingénieurs d'invite sont apparus récemment. Ce rôle a augmenté de 56 % entre 2021 et 2025.\n"
        "Les entreprises qui recrutent activement en 2025 comprennent:\n"
        "Amazon: Recrute des centaines d'ingénieurs en IA. NVIDIA: Recherche des experts en apprentissage profond. "
        "Meta: Embauche des chercheurs pour ses algorithmes.\n"
    ),
}


def built_app(tmp_path, documents: dict[str, str], chunk_tokens: int = 60) -> AskJobs:
    """An app over a small French corpus, with the fake encoder, built."""
    settings = Settings(corpus_dir=write_corpus(tmp_path / "corpus", documents), index_dir=tmp_path / "index",
                        chunk_tokens=chunk_tokens, chunk_overlap=5)
    app = AskJobs(settings, FakeEncoder())
    app.build()
    return app


@pytest.fixture
def jobs_app(tmp_path) -> AskJobs:
    return built_app(tmp_path, JOBS)


@pytest.mark.parametrize("question, kind, required", [
    ("Qui dirige NVIDIA ?", "person", True),
    ("Qui est chargé d'encadrer les usages de l'IA ?", "person", False),  # a role may answer
    ("Quelle entreprise recrute des ingénieurs en robotique ?", "organisation", True),
    ("Où la demande était-elle limitée ?", "place", False),
    ("À quelle région la demande était-elle limitée ?", "place", True),  # a place, not an institution
    ("Comment s'appelait le mari de Marlyse ?", "person", True),  # a relative is a person
    ("Quel est le salaire d'un ingénieur d'invite ?", "amount", True),
    ("Quel pourcentage des entreprises utilisent l'IA ?", "percentage", True),
    ("Depuis combien de temps les offres progressent-elles ?", "duration", True),
    ("Quelle est la durée du mandat du maire ?", "duration", True),
    ("Pourquoi les hôpitaux recrutent-ils ?", "reason", False),
    ("Qu'est-ce qu'un auditeur d'algorithmes ?", "definition", False),
    ("Comment l'IA aide-t-elle les médecins ?", "manner", False),
    ("Quelles compétences sont demandées ?", "list", False),
])
def test_the_question_says_what_kind_of_answer_it_wants(question, kind, required):
    q = analyse_question(question)
    assert (q.answer_type, q.type_required) == (kind, required)


def test_a_pay_question_knows_whose_pay_it_asks_about():
    q = analyse_question("Quel est le salaire d'un ingénieur d'invite ?")
    assert q.constraints.role_text == "ingénieur d'invite" and set(q.constraints.role) == {"ingenieur", "invit"}
    assert not q.wants_list
    listing = analyse_question("Quelles entreprises recrutent en ce moment ?")
    assert listing.wants_list and listing.focus == ("entrepris",)


def test_a_fact_answer_marks_its_short_answer_inside_the_quote(jobs_app):
    answer = jobs_app.ask("Quel est le salaire médian des postes liés à l'IA aux États-Unis ?")
    assert answer.answerable and answer.form == "fact"
    c = answer.citations[0]
    text = jobs_app.index.documents[c.source].text
    assert text[c.start:c.end] == c.quote
    assert c.start <= c.answer_start < c.answer_end <= c.end
    assert text[c.answer_start:c.answer_end] == "157 000 $"


def test_a_list_question_gets_the_items_each_cited(jobs_app):
    answer = jobs_app.ask("Quelles entreprises recrutent activement en 2025 ?")
    assert answer.answerable and answer.form == "list"
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert 2 <= len(answer.citations) <= 5
    text = jobs_app.index.documents["recrutement.txt"].text
    for c in answer.citations:
        assert text[c.start:c.end] == c.quote and not c.quote.rstrip().endswith(":")
    assert answer.answer == "\n".join(c.quote for c in answer.citations)
    assert sum(name in answer.answer for name in ("Amazon", "NVIDIA", "Meta")) >= 2
    assert len(answer.answer) <= 700


def test_a_person_question_without_a_person_is_refused_with_a_reason(jobs_app):
    answer = jobs_app.ask("Qui dirige NVIDIA ?")
    assert not answer.answerable and answer.form == "refusal"
    assert "personne" in answer.reason and "NVIDIA" in answer.reason
    assert answer.to_dict()["reason"] == answer.reason


def test_a_salary_question_for_a_role_without_one_is_refused_with_a_reason(jobs_app):
    answer = jobs_app.ask("Quel est le salaire d'un ingénieur d'invite ?")
    assert not answer.answerable
    assert answer.reason == "Les documents donnent des salaires, mais aucun pour « ingénieur d'invite »."


PLACES = {
    "metiers.txt": (
        "Les métiers de l'IA\n"
        "La prise de décision éthique est une priorité croissante dans les entreprises.\n"
        "Trouver un emploi bien rémunéré est devenu une priorité pour les professionnels techniques.\n"
        "Les grands modèles linguistiques (LLM) transforment le travail. "
        "Le RAG: utilisation de données externes pour fiabiliser les réponses.\n"
        "Les usines misent sur la maintenance prédictive afin de réduire les temps d'arrêt.\n"
    ),
}


@pytest.fixture
def places_app(tmp_path) -> AskJobs:
    return built_app(tmp_path, PLACES)


def _sid(app, words: str) -> int:
    return next(i for i, s in enumerate(app.index.sentences) if words in s.text)


def test_the_sentence_with_something_after_the_questions_preposition_fills_its_slot(places_app):
    from askjobs.answer import _slot_filled

    query = places_app.analyse("Pour qui un emploi bien rémunéré est-il devenu une priorité ?")
    assert _slot_filled(places_app.index, query, _sid(places_app, "pour les professionnels")) == 1.0
    # "… une priorité croissante dans les entreprises" shares the words but says nothing after "pour".
    assert _slot_filled(places_app.index, query, _sid(places_app, "priorité croissante")) == 0.0
    answer = places_app.ask("Pour qui un emploi bien rémunéré est-il devenu une priorité ?")
    c = answer.citations[0]
    assert "professionnels techniques" in c.quote
    assert places_app.index.documents[c.source].text[c.answer_start:c.answer_end] == "les professionnels techniques"


def _short(app, question: str) -> str | None:
    answer = app.ask(question)
    c = answer.citations[0]
    return None if c.answer_start is None else app.index.documents[c.source].text[c.answer_start:c.answer_end]


def test_definition_and_reason_questions_mark_the_defining_or_explaining_words(places_app):
    assert _short(places_app, "Que signifie le sigle LLM ?") == "grands modèles linguistiques"
    assert _short(places_app, "C'est quoi le RAG ?") == "utilisation de données externes pour fiabiliser les réponses"
    assert _short(places_app, "Pourquoi les usines misent-elles sur la maintenance prédictive ?") \
        == "réduire les temps d'arrêt"


def test_a_closed_question_marks_no_short_answer(places_app):
    assert _short(places_app, "Les usines misent-elles sur la maintenance prédictive ?") is None


EVENTS = {
    "histoire.txt": (
        "La guerre de 1794\n"
        "En 1794, les puissances européennes coalisées entrent en guerre contre la France.\n"
        "Le volcan a atteint une altitude de 400 mètres avant de s'effondrer.\n"
        "Le salaire moyen des géologues est passé de 56 000 $ en 2024 à 61 000 $ en 2025.\n"
    ),
}


@pytest.fixture
def events_app(tmp_path) -> AskJobs:
    return built_app(tmp_path, EVENTS)


def test_a_subject_question_marks_the_subject_and_a_measure_keeps_its_unit(events_app):
    assert analyse_question("Qui entre en guerre contre la France en 1794 ?").asks_subject
    assert not analyse_question("Qui les Français affrontent-ils ?").asks_subject  # the subject follows the verb
    # The subject, not "la France" nor "1794" (which the question already says).
    assert _short(events_app, "Qui entre en guerre contre la France en 1794 ?").startswith("les puissances européennes")
    assert analyse_question("Quelle altitude le volcan a-t-il atteint ?").answer_type == "number"
    assert _short(events_app, "Quelle altitude le volcan a-t-il atteint ?") == "400 mètres"


def test_a_figure_for_another_year_than_the_one_asked_is_refused_with_the_reason(events_app):
    answer = events_app.ask("Quel était le salaire moyen des géologues en 2022 ?")
    assert not answer.answerable and answer.form == "refusal"
    assert "2022" in answer.reason and "2024" in answer.reason
    assert events_app.ask("Quel était le salaire moyen des géologues en 2024 ?").answerable


@pytest.mark.parametrize("question, kind, required", [
    ("qui a ecrit l'article ?", "name", True),  # typed without accents
    ("Combien gagne un ingenieur IA ?", "amount", True),
    ("salaire prompt engineer", "amount", True),  # keywords, no question word
    ("nombre de postes crees en 2025", "number", True),
    ("La hausse des recrutements repose-t-elle sur de vrais budgets ?", None, False),  # a verb: not keywords
    ("Quel journaliste de Forbes a signé l'article ?", "person", True),  # one person of a trade, named
    ("Quels experts NVIDIA recherche-t-elle ?", "list", False),  # roles, not people
    ("Qu'est-ce que les Romains ont construit ?", None, False),  # the object of a verb, not a definition
])
def test_question_types_hold_without_accents_question_words_or_for_a_named_trade(question, kind, required):
    q = analyse_question(question)
    assert (q.answer_type, q.type_required) == (kind, required)


@pytest.mark.parametrize("question, defined, meaning", [
    ("Qu'est-ce que la maintenance prédictive ?", "maintenance prédictive", True),
    ("Le prompt engineering, concrètement, c'est quoi comme boulot ?", "prompt engineering", True),
    ("cobot ça veut dire quoi", "cobot", True),
    ("C'est quoi un profil hybride selon les recruteurs ?", "profil hybride", True),
    ("À quoi sert un éthicien de l'IA ?", "éthicien de l'IA", False),  # what it is for, not what it means
])
def test_the_word_a_definition_question_asks_about(question, defined, meaning):
    q = analyse_question(question)
    assert (q.defined, q.asks_meaning) == (defined, meaning)


FORMS = {
    "usines.txt": (
        "L'IA dans l'industrie\n"
        "Dans le secteur manufacturier, l'accent est mis sur les cobots et la maintenance prédictive. "
        "Les capteurs signalent les défaillances avant qu'elles ne se produisent, réduisant ainsi les temps d'arrêt.\n"
        "La formation continue reste une priorité des ingénieurs.\n"
        "Les auditeurs d'algorithmes, chargés de vérifier la conformité des systèmes, sont très recherchés.\n"
    ),
}


@pytest.fixture
def forms_app(tmp_path) -> AskJobs:
    return built_app(tmp_path, FORMS)


def test_a_definition_question_is_refused_when_the_word_is_only_mentioned(forms_app):
    answer = forms_app.ask("Qu'est-ce que la maintenance prédictive ?")
    assert not answer.answerable
    assert answer.reason == "Les documents mentionnent « maintenance prédictive » sans en donner de définition."
    defined = forms_app.ask("Qu'est-ce qu'un auditeur d'algorithmes ?")
    assert defined.answerable and "chargés de vérifier" in defined.answer


def test_a_why_question_is_answered_with_the_sentence_that_gives_the_cause(forms_app):
    answer = forms_app.ask("Pourquoi l'industrie mise-t-elle sur la maintenance prédictive ?")
    # The sentence naming the subject gives no cause; the next one does, and both are quoted.
    assert answer.answerable and "réduisant ainsi les temps d'arrêt" in answer.answer
    c = answer.citations[0]
    assert forms_app.index.documents[c.source].text[c.start:c.end] == c.quote
    refused = forms_app.ask("Pourquoi la formation continue reste-t-elle une priorité des ingénieurs ?")
    assert not refused.answerable and refused.reason == "Les passages trouvés parlent du sujet, mais ne disent pas pourquoi."


LISTS = {
    "llm.txt": (
        "IA générative et flux de travail\n"
        "En définitive, l'IA exige une montée en compétences continue.\n"
        "Savoir travailler avec des LLM comme GPT-4, Claude et Gemini est utile. "
        "Les compétences liées aux LLM sont désormais exigées. Ceci inclus:\n"
        "Intégration API: Connecter des LLM aux logiciels existants. "
        "RAG: Donner aux LLM des données externes pour fiabiliser les résultats. "
        "IA agentique: Développer des agents autonomes à partir de LLM.\n"
        "Des formations en éthique sont en plein essor.\n"
        "Les nouveaux métiers sont variés. Parmi eux, on trouve:\n"
        "Ingénieurs: conçoivent les algorithmes. Éthiciens: encadrent les usages.\n"
    ),
}


def _ranked(app, question):
    from askjobs.answer import _score_sentences
    query = app.analyse(question)
    retrieval = app.search(query)
    cands = _score_sentences(app.index, list(retrieval.hits), query, retrieval.qvec)
    return query, sorted(cands.values(), key=lambda c: (-c.score, c.sid))


def test_a_list_question_gets_the_items_the_documents_announce_for_it(tmp_path):
    from askjobs.answer import _announced_list
    app = built_app(tmp_path, LISTS, chunk_tokens=200)
    text = app.index.documents["llm.txt"].text
    query, ranked = _ranked(app, "Quelles compétences liées aux LLM sont exigées ?")
    source, block, _ = _announced_list(app.index, query, ranked, ranked[0])
    assert [text[i.start:i.end].split(":")[0] for i in block.items] == ["Intégration API", "RAG", "IA agentique"]
    # The list after "Parmi eux, on trouve:" is about jobs: its paragraph does not speak of training.
    query, ranked = _ranked(app, "Quelles formations sont en plein essor ?")
    assert _announced_list(app.index, query, ranked, ranked[0]) is None


def test_a_year_is_no_count():
    from askjobs.answer import _matches_type
    assert _matches_type("Certains postes ont connu un déclin jusqu'en 2030.", "number") == 0.0
    assert _matches_type("En 2030, 20 millions de postes auront disparu.", "number") == 1.0
    assert _matches_type("Publié en 2025.", "date") == 1.0


def test_a_cost_question_needs_the_thing_priced_in_the_quote(jobs_app):
    q = analyse_question("Combien coûte un master en IA ?")
    assert (q.answer_type, q.constraints.priced) == ("amount", "master en IA")
    answer = jobs_app.ask("Combien coûte un master en IA ?")
    assert not answer.answerable and answer.reason == "Les documents ne donnent aucun prix pour « master en IA »."


def test_a_role_written_with_an_acronym_the_documents_spell_out_is_the_same_role(tmp_path):
    docs = {"ia.txt": "L'intelligence artificielle (IA) change les métiers.\n"
                      "Architectes IA: Ils conçoivent l'infrastructure. Leur salaire se situe entre 196 000 $ et 320 000 $.\n"}
    app = built_app(tmp_path, docs)
    answer = app.ask("Combien gagne un architecte en intelligence artificielle ?")
    assert answer.answerable and "196 000 $" in answer.answer


def test_a_where_question_is_not_answered_by_a_sentence_that_says_nowhere(tmp_path):
    docs = {"offres.txt": "Les offres d'emploi liées à l'IA ont augmenté de 38 % entre 2020 et 2024 selon LinkedIn.\n"
                          "On peut se former à l'IA dans les universités et sur des plateformes en ligne.\n"}
    app = built_app(tmp_path, docs)
    refused = app.ask("Où les offres d'emploi liées à l'IA ont-elles augmenté ?")
    assert not refused.answerable and refused.reason == "Les passages trouvés parlent du sujet, mais ne disent pas où."
    answered = app.ask("Où peut-on se former à l'IA ?")
    assert answered.answerable and "dans les universités" in answered.answer


def test_the_short_answer_is_the_amount_of_the_clause_that_says_what_is_asked(tmp_path):
    docs = {"salaires.txt": "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $, "
                            "mais les postes spécialisés dépassent souvent 200 000 $ en salaire de base.\n"
                            "Le marché devrait atteindre 60,7 milliards de dollars d'ici 2034, contre 5,94 milliards "
                            "de dollars en 2024.\n"}
    app = built_app(tmp_path, docs, chunk_tokens=80)
    assert _short(app, "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?") == "157 000 $"
    assert _short(app, "Combien valait le marché en 2024 ?") == "5,94 milliards de dollars"


def test_a_number_is_marked_whole_where_the_rare_words_asked_point_and_a_date_keeps_its_day(tmp_path):
    docs = {"villes.txt": "Le recensement de 2015 compte 72 000 habitants à Tromsø et 12 000 à Bodø.\n"
                          "Le traité de Tanger est signé le 10 septembre 1844 par les deux pays.\n"
                          "La région de Berlin-Brandebourg regroupe près de 6 millions d'habitants.\n"
                          "En finale, le gardien Brodeur a effectué quarante-huit arrêts.\n"}
    app = built_app(tmp_path, docs, chunk_tokens=80)
    # "2015" stands right before "compte", but "habitants" and "Tromsø" say more of the question (marked without
    # "habitants", which the question counts already).
    assert _short(app, "Combien d'habitants compte Tromsø ?") == "72 000"
    # The date pattern wants a year after 1900 to hold the day itself; the day is the answer's too.
    assert _short(app, "Quand le traité de Tanger est-il signé ?") == "10 septembre 1844"
    # "6 millions", not its scale word alone (the number pattern stops at "6 ").
    assert _short(app, "Combien d'habitants regroupe la région de Berlin-Brandebourg ?").startswith("6 millions")
    assert _short(app, "Combien d'arrêts le gardien Brodeur a-t-il effectués en finale ?").startswith("quarante-huit")


def test_where_is_answered_with_the_preposition_that_says_where(tmp_path):
    app = built_app(tmp_path, {"oasis.txt": "L'oasis de Zaatcha se trouve dans les Aurès.\n"
                                            "Le port de Marseille est le premier port de France.\n"})
    assert _short(app, "Où se trouve l'oasis de Zaatcha ?") == "dans les Aurès"


def test_a_reason_is_marked_after_any_cause_link_the_reader_knows(tmp_path):
    app = built_app(tmp_path, {"course.txt": "La séance d'essai du vendredi a été écourtée à la suite d'un problème "
                                             "de radio.\nLe circuit se trouve au sud de la ville.\n"})
    assert _short(app, "Pourquoi la séance d'essai du vendredi a-t-elle été écourtée ?") == "un problème de radio"


def test_a_manner_cue_ending_on_an_elision_still_marks_what_follows(tmp_path):
    app = built_app(tmp_path, {"berlin.txt": "Les députés de Berlin sont élus au moyen d’un scrutin proportionnel.\n"
                                             "Le Sénat siège dans l'hôtel de ville.\n"})
    assert _short(app, "Comment les députés de Berlin sont-ils élus ?") == "un scrutin proportionnel"


def test_a_causal_verb_answers_why_its_effect_happens_not_why_its_cause_does(tmp_path):
    app = built_app(tmp_path, {"usines.txt": "Le marché de l'IA manufacturière grandit. Cet investissement garantit que "
                                             "les rôles de maintenance des machines resteront très demandés.\n"})
    answer = app.ask("Pourquoi les rôles de maintenance des machines resteront-ils demandés ?")
    assert answer.answerable and "garantit" in answer.answer
    refused = app.ask("Pourquoi cet investissement dans le marché de l'IA manufacturière ?")
    assert not refused.answerable and refused.reason == "Les passages trouvés parlent du sujet, mais ne disent pas pourquoi."


def test_why_a_list_item_holds_is_not_read_in_the_next_item_and_a_reflection_gives_its_cause(tmp_path):
    app = built_app(tmp_path, {"offres.txt": (
        "Les entreprises qui embauchent comprennent:\n"
        "NVIDIA: Recherche des experts en apprentissage profond. Meta: Recrute des ingénieurs pour alimenter ses "
        "algorithmes publicitaires.\n"
        "Des formations en éthique sont en plein essor, reflétant la nécessité d'une approche responsable.\n")})
    refused = app.ask("Pourquoi NVIDIA recherche-t-elle des experts en apprentissage profond ?")
    assert not refused.answerable and "Meta" not in refused.answer
    answer = app.ask("Pourquoi les formations en éthique sont-elles en plein essor ?")
    assert answer.answerable and "reflétant la nécessité" in answer.answer


def test_a_definition_question_after_et_asks_about_the_word_not_the_conjunction():
    assert analyse_question("Et c'est quoi l'IA agentique ?").defined == "IA agentique"


def test_a_count_is_not_answered_by_a_rate_and_an_ordinal_is_no_key_word(tmp_path):
    app = built_app(tmp_path, {"offres.txt": "Selon LinkedIn, les offres d'emploi liées à l'IA ont augmenté de 38 % "
                                             "entre 2020 et 2024.\nLes offres ont augmenté de 25,2 % au premier "
                                             "trimestre 2025.\n"})
    refused = app.ask("Combien d'offres d'emploi liées à l'IA LinkedIn comptait-il en 2024 ?")
    assert analyse_question("Combien d'offres LinkedIn comptait-il ?").asks_count and not refused.answerable
    assert analyse_question("Les offres ont progressé de combien au 1er trimestre 2025 ?").constraints.key_tokens \
        == ("2025",)
    assert analyse_question("C'est quoi exactement la vision par ordinateur ?").defined == "vision par ordinateur"


def test_a_list_question_about_things_a_sentence_names_after_comme_gets_that_sentence(tmp_path):
    app = built_app(tmp_path, LISTS, chunk_tokens=200)
    answer = app.ask("Avec quels LLM faut-il travailler ?")
    assert answer.answerable and answer.citations[0].quote.startswith("Savoir travailler avec des LLM comme GPT-4")
    assert not answer.answer.rstrip().endswith(":")


def test_a_question_about_what_is_said_marks_no_short_answer(places_app):
    from askjobs.answer import _short_answer
    s = places_app.index.sentences[_sid(places_app, "maintenance prédictive")]
    summary = places_app.analyse("Que dit le texte sur la maintenance prédictive ?")
    assert summary.asks_summary
    assert _short_answer(summary, places_app.index, s.source, s.start, s.end) is None
    reason = places_app.analyse("Pourquoi les usines misent-elles sur la maintenance prédictive ?")
    assert _short_answer(reason, places_app.index, s.source, s.start, s.end) is not None


def test_the_cause_must_be_in_the_answering_sentence_not_in_the_one_quoted_for_its_subject(tmp_path):
    from askjobs.answer import _form_unmet
    app = built_app(tmp_path, {"roles.txt": "Architectes IA: Ces personnes conçoivent l'infrastructure pour exécuter "
                                            "l'IA à grande échelle. Leur fourchette de salaire se situe entre "
                                            "196 000 $ et 320 000 $.\n"})
    query = app.analyse("Pourquoi la fourchette de salaire des architectes IA est-elle si haute ?")
    first, pay = _sid(app, "Architectes IA"), _sid(app, "Leur fourchette")
    s0, s1 = app.index.sentences[first], app.index.sentences[pay]
    # Quoted with the sentence before it (which says who "Leur" is), the pay sentence still gives no cause.
    assert _form_unmet(query, app.index, s1.source, s0.start, s1.end, pay) \
        == "Les passages trouvés parlent du sujet, mais ne disent pas pourquoi."
    assert _form_unmet(query, app.index, s0.source, s0.start, s0.end, first) is None  # "pour exécuter…"



def test_a_grievance_or_a_sign_gives_the_reason_without_a_link_word(tmp_path):
    from askjobs.answer import _form_unmet
    app = built_app(tmp_path, {"gare.txt": "Le maire de Paris s'est prononcé contre le projet de 2008. Il reproche "
                                           "l'absence d'engagement financier de l'État. Le projet est relancé en 2010.\n"})
    query = app.analyse("Pourquoi le maire s'est-il opposé au projet de 2008 ?")
    for words, unmet in (("Il reproche", False), ("Le maire de Paris", True), ("Le projet est relancé", True)):
        sid = _sid(app, words)
        s = app.index.sentences[sid]
        assert (_form_unmet(query, app.index, s.source, s.start, s.end, sid) is not None) == unmet, words

WORLD = {
    "salaires.txt": (
        "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $.\n"
        "Selon 365 Data Science, le salaire moyen d'un ingénieur en IA est passé de 156 000 $ à 206 000 $.\n"
        "Les travailleurs possédant des compétences en IA gagnent une prime salariale d'environ 28 % par rapport à "
        "leurs homologues.\n"
        "La transition vers l'IA nécessitera que 20 millions de travailleurs américains se recyclent.\n"
    ),
    "europe.txt": "La loi européenne sur l'IA entre en vigueur. En France, les formations en IA se multiplient.\n",
}


@pytest.mark.parametrize("a, b, same", [
    ("Canada", "canadiennes", True), ("Europe", "européens", True), ("États-Unis", "américains", True),
    ("USA", "États-Unis", True), ("Inde", "indiens", True), ("France", "Allemagne", False),
    ("France", "américains", False),
])
def test_a_place_and_its_nationality_are_one_place(a, b, same):
    from askjobs.answer import same_place
    assert same_place(a, b) == same


def test_a_figure_for_another_place_than_the_one_asked_is_refused_with_the_reason(tmp_path):
    app = built_app(tmp_path, WORLD, chunk_tokens=40)
    assert analyse_question("Quelle part des entreprises canadiennes utilise l'IA ?").constraints.places == \
        ("canadiennes",)
    european = app.ask("Combien de travailleurs européens devront se recycler ?")
    assert not european.answerable and "« américains »" in european.reason and "« européens »" in european.reason
    american = app.ask("Combien de travailleurs aux États-Unis devront se recycler ?")
    assert american.answerable and "20 millions" in american.answer
    canadian = app.ask("Combien de travailleurs canadiens devront se recycler ?")
    assert not canadian.answerable and canadian.reason == "Les documents ne parlent pas de « canadiens »."


def test_a_count_is_not_a_sum_of_money_nor_a_number_in_a_name_and_a_difference_wants_a_premium(tmp_path):
    from askjobs.answer import _typed
    app = built_app(tmp_path, WORLD, chunk_tokens=40)
    index = app.index

    def typed(question: str, words: str) -> float:
        s = next(s for s in index.sentences if words in s.text)
        return _typed(index, app.analyse(question), s.source, s.start, s.end)

    count = "Combien de travailleurs devront se recycler ?"
    assert typed(count, "20 millions") == 1.0
    assert typed(count, "157 000 $") == 0.0 and typed(count, "365 Data Science") == 0.0
    more = "Les compétences en IA, ça rapporte combien de plus ?"
    assert app.analyse(more).asks_difference and app.analyse("Quel bonus de salaire avec l'IA ?").answer_type == "amount"
    assert typed(more, "prime salariale") == 1.0 and typed(more, "157 000 $") == 0.0
    assert "28 %" in app.ask(more).answer


@pytest.mark.parametrize("question, kind, required, measure", [
    ("Depuis quand Berlin est-elle capitale ?", "date", True, ""),  # a date answers "depuis quand"
    ("Depuis combien de temps les offres progressent-elles ?", "duration", True, ""),
    ("c'est quoi le surnom de hans herrmann", "name", True, ""),  # typed by its noun, as "quel est le surnom"
    ("C'est quoi le RAG ?", "definition", False, ""),
    ("Comment s'appelle le maire de Berlin ?", "person", True, ""),
    ("Qui était le copilote de Herrmann en 1954 ?", "person", True, ""),  # a role of a named one: a name
    ("Qui est chargé d'encadrer les usages de l'IA ?", "person", False, ""),
    ("Quel peintre a représenté le fils prodigue ?", "person", True, ""),
    ("Quel musée expose les fossiles ?", "organisation", True, ""),
    ("Qui embauche des data scientists ?", "organisation", True, ""),  # a named one, or a kind ("les banques")
    ("Quelle est la superficie de la réserve ?", "number", True, "area"),
    ("À quel âge est-il mort ?", "number", True, "age"),
    ("Combien pèsera le marché de l'IA en 2034 ?", "number", True, ""),  # worth, not weight: no unit
])
def test_question_words_and_nouns_say_what_is_asked(question, kind, required, measure):
    q = analyse_question(question)
    assert (q.answer_type, q.type_required, q.measure) == (kind, required, measure)


def test_a_measure_needs_its_unit_a_count_is_no_date_and_a_relative_pronoun_is_no_place(tmp_path):
    from askjobs.answer import _typed
    app = built_app(tmp_path, {"reserve.txt": (
        "On accède à la réserve par la route départementale 47. La ville couvre 892 km2.\n"
        "Le 2 mai 1808, la population se souleva. L'empereur arriva à la tête de 80 000 soldats.\n"
        "Il tourne une vidéo dans laquelle il déambule dans son atelier.\n")}, chunk_tokens=80)
    index = app.index

    def typed(question: str, words: str) -> float:
        s = next(s for s in index.sentences if words in s.text)
        return _typed(index, app.analyse(question), s.source, s.start, s.end)

    area = "Quelle est la superficie de la réserve ?"
    assert typed(area, "route départementale 47") == 0.0 and typed(area, "892 km2") == 1.0
    count = "Combien de soldats ont été fusillés après le 2 mai 1808 ?"
    assert typed(count, "Le 2 mai 1808") == 0.0 and typed(count, "80 000 soldats") == 1.0
    refused = app.ask("Où était l'atelier de l'artiste ?")
    assert not refused.answerable and refused.reason == "Les passages trouvés parlent du sujet, mais ne disent pas où."


def test_a_date_question_about_an_event_needs_a_quote_about_that_event(tmp_path):
    app = built_app(tmp_path, {"artiste.txt": (
        "L'artiste s'inspire du travail d'une chorégraphe depuis 1962.\n"
        "La fondation qui porte son nom a été créée en 1991.\n")}, chunk_tokens=80)
    assert app.analyse("Quand est né l'artiste ?").event == "naissance"
    assert app.analyse("Quelle est la date de naissance de l'artiste ?").event == "naissance"
    assert app.analyse("Combien d'œuvres a-t-il créées ?").event == ""  # not a date question
    assert app.analyse("À partir de quelle date l'artiste ne peint-il plus ?").event == ""  # "ne", not "né"
    assert app.analyse("Quand les trotskistes ont-ils fondé le POI ?").event == "fondation"
    from askjobs.query import EVENTS
    assert EVENTS["mort"].search("comme christopher marlowe (1564-1593)")  # a lifespan gives both dates
    assert EVENTS["naissance"].search("a la suite de la creation de la ligue du nord en 1919")
    refused = app.ask("Quelle est la date de naissance de l'artiste ?")
    assert not refused.answerable and refused.reason == "Les passages trouvés ne parlent pas de naissance."
    answered = app.ask("En quelle année la fondation a-t-elle été créée ?")
    assert answered.answerable and "1991" in answered.answer


def test_a_question_for_a_nickname_prefers_the_sentence_that_gives_one(tmp_path):
    app = built_app(tmp_path, {"pilote.txt": (
        "Herrmann a fini deuxième derrière ses compagnons Joseph Siffert et Vic Elford.\n"
        "Surnommé Hans le Chanceux, il est sorti indemne de plusieurs accidents.\n")}, chunk_tokens=80)
    from askjobs.answer import _typed
    query = app.analyse("Quel est le surnom de Herrmann ?")
    typed = {s.text[:8]: _typed(app.index, query, s.source, s.start, s.end) for s in app.index.sentences}
    assert typed["Herrmann"] < typed["Surnommé"] == 1.0


def test_who_hires_is_answered_by_an_organisation_or_a_kind_of_them_not_by_a_list_of_trades(tmp_path):
    app = built_app(tmp_path, {"metiers.txt": (
        "Parmi les nouveaux métiers, on trouve les ingénieurs en IA et les data scientists.\n"
        "Les banques recrutent des data scientists pour détecter les fraudes.\n")}, chunk_tokens=80)
    from askjobs.answer import _typed
    query = app.analyse("Qui embauche des data scientists ?")
    assert query.collective and query.type_required
    typed = {s.text[:8]: _typed(app.index, query, s.source, s.start, s.end) for s in app.index.sentences}
    assert typed == {"Parmi le": 0.0, "Les banq": 1.0}


def test_a_share_answers_a_count_of_those_it_is_a_share_of_and_a_misspelt_name_is_no_answer():
    from askjobs.answer import _new_words, _share_of, same_place
    text = "Selon une enquête, 45 % des Français et 78 % des entreprises."
    at = text.index("%") + 1
    assert _share_of(text, at, {"franc"}) and not _share_of(text, text.rindex("%") + 1, {"franc"})
    assert _new_words({"hermann", "porsch"}, {"herrmann"}) == {"porsch"}
    assert same_place("Siri-Ferruch", "Sidi-Ferruch") and not same_place("Autriche", "Australie")
    assert analyse_question("Sur quoi ont porté les querelles sur l'indo-européen ?").constraints.places == ()
    organiser = analyse_question("Qui est l'organisateur de la Coupe du monde ?")
    assert organiser.agent and organiser.type_required


FILMS = {
    "films.txt": (
        "Le film\n"
        "Jim quitte l'hôpital et parcourt les rues d'une ville totalement désertée. "
        "Il entre dans une église et y découvre un macabre spectacle de corps entassés.\n"
        "Mis en service en 1999 pour le compte de Finnlines, le navire était destiné à naviguer pour la compagnie "
        "suédoise Stena Line.\n"
    ),
}


def _short_in(app, question: str, words: str, fitted: bool = True) -> str | None:
    """The short answer the reader marks in the sentence holding `words`, with the fitted or the hand-set weights."""
    from askjobs import answer

    s = app.index.sentences[_sid(app, words)]
    answer.phrase_weights.cache_clear()
    shipped = answer.PHRASE_WEIGHTS_FILE
    try:
        if not fitted:
            answer.PHRASE_WEIGHTS_FILE = shipped.with_name("absent.json")
        span = answer._short_answer(app.analyse(question), app.index, s.source, s.start, s.end)
    finally:
        answer.PHRASE_WEIGHTS_FILE = shipped
        answer.phrase_weights.cache_clear()
    return None if span is None else app.index.documents[s.source].text[span[0]:span[1]]


def test_the_fitted_phrase_weights_are_shipped_and_read_for_every_feature():
    import json

    from askjobs import answer

    assert answer.PHRASE_WEIGHTS_FILE.is_file(), "run eval/fit_phrases.py"
    fitted = json.loads(answer.PHRASE_WEIGHTS_FILE.read_text(encoding="utf-8"))["weights"]
    assert set(fitted) == set(answer.PHRASE_WEIGHTS)  # no stale feature, none left at its hand-set value
    answer.phrase_weights.cache_clear()
    assert answer.phrase_weights() == fitted


def test_the_fitted_weights_mark_the_phrase_that_fills_the_questions_gap(tmp_path):
    app = built_app(tmp_path, FILMS)
    # What follows the question's verb, whole ("un macabre spectacle" alone was the hand-set choice).
    assert _short_in(app, "Que découvre Jim en entrant dans l'église ?", "macabre") \
        == "un macabre spectacle de corps entassés"
    # The company the navire was meant for, not the one it first served (the hand-set weights said "Finnlines").
    assert "Stena Line" in _short_in(app, "Pour quelle compagnie le navire devait-il naviguer ?", "Finnlines")
    assert _short_in(app, "Pour quelle compagnie le navire devait-il naviguer ?", "Finnlines", fitted=False) == "Finnlines"


def test_older_years_and_centuries_are_dates_and_a_misspelt_name_is_found():
    from askjobs.answer import _DATE_SPAN, _HAS_DATE, _spelt_otherwise
    assert [m.group() for m in _DATE_SPAN.finditer("Ibn Rustom fonde en 761 un royaume, vers 875.")] == ["761", "875"]
    assert _HAS_DATE.search("entre le Ve et VIIIe siècles") and _HAS_DATE.search("dans les années 1980")
    assert not _HAS_DATE.search("une hausse de 150 postes") and not _DATE_SPAN.search("une hausse de 150 postes")
    assert _spelt_otherwise("mesi", {"messi"}) is False  # too short to judge
    from askjobs.answer import _DURATION_SPAN
    assert [m.group() for m in _DURATION_SPAN.finditer("pendant un an, puis 21 saisons")] == ["un an", "21 saisons"]
    assert _spelt_otherwise("mitterand", {"mitterrand"}) and not _spelt_otherwise("france", {"allemagn"})


def test_a_participle_of_effect_gives_the_cause_before_it_and_an_origin_is_no_cause(tmp_path):
    app = built_app(tmp_path, {"batiment.txt": "Son toit, en tôle de cuivre, s'est oxydé au cours des ans, lui donnant "
                                               "une couleur verte caractéristique.\n"}, chunk_tokens=80)
    from askjobs.answer import _form_unmet
    query = app.analyse("Pourquoi le toit est-il vert ?")
    s = app.index.sentences[0]
    assert _form_unmet(query, app.index, s.source, s.start, s.end, 0) is None
    assert analyse_question("De quelle origine sont les criollos ?").answer_type is None


@pytest.mark.parametrize("question, role", [
    ("D'après Forbes, un chef de produit IA touche combien par an ?", "chef de produit IA"),  # the subject
    ("Combien gagne un architecte IA selon Forbes ?", "architecte IA"),  # whose figure, not whose pay
    ("Quel est le salaire d'un ingénieur d'invite en 2025 ?", "ingénieur d'invite"),
    ("Les data scientists gagnent combien ?", "data scientists"),
])
def test_the_role_of_a_pay_question_is_whose_pay_it_is(question, role):
    assert analyse_question(question).constraints.role_text == role


def test_an_action_noun_with_its_object_is_no_place(tmp_path):
    app = built_app(tmp_path, {"metiers.txt": "On trouve les data scientists, spécialisés dans l'exploitation des "
                                              "données.\nLes cursus se trouvent dans les universités.\n"}, chunk_tokens=80)
    from askjobs.answer import _form_unmet
    query = app.analyse("Où trouver une formation en IA ?")
    first, second = app.index.sentences[0], app.index.sentences[1]
    assert _form_unmet(query, app.index, first.source, first.start, first.end, 0) is not None
    assert _form_unmet(query, app.index, second.source, second.start, second.end, 1) is None


def test_a_quote_about_a_role_that_names_nobody_near_it_does_not_name_its_holder(tmp_path):
    others = {"musee.txt": "Le musée des Confluences ouvre ses portes en 2014 au sud de la presqu'île.\n",
              "fleuve.txt": "Le Rhône rejoint la Saône au confluent, au sud de la gare de Perrache.\n"}
    app = built_app(tmp_path, {"ville.txt": (
        "Le maire de Lyon et le conseil municipal répondent devant les électeurs depuis la réforme que "
        "Jean Moulin, ancien préfet du Rhône, a fait voter en 1990.\n"), **others})
    answer = app.ask("Comment s'appelle le maire de Lyon ?")
    assert not answer.answerable, answer
    assert "sans nommer la personne" in answer.reason
    named = built_app(tmp_path / "b", {"ville.txt": (
        "Le maire de Lyon, Jean Moulin, préside le conseil municipal depuis 2020.\n"), **others})
    answer = named.ask("Comment s'appelle le maire de Lyon ?")
    assert answer.answerable and "Jean Moulin" in answer.answer, answer


def test_a_name_opening_the_question_that_no_passage_names_is_missing_even_if_like_a_common_word(tmp_path):
    # "Accenture" analyses to "accentur", one letter from the stem of "accentuer": a name is misspelt as a
    # name, never as a common word, so it is missing here.
    from askjobs.text import analyze, is_french_word

    assert analyze("Accenture") == ["accentur"]
    assert is_french_word("Concrètement") and not is_french_word("Accenture")  # an adverb opening a question
    app = built_app(tmp_path, {**JOBS, "tendance.txt": "La tendance s'accentue : les recruteurs embauchent des "
                                                          "profils hybrides, techniques et commerciaux.\n"})
    answer = app.ask("Accenture embauche quels profils ?")
    assert not answer.answerable and "Accenture" in answer.reason, answer


def test_a_duration_may_be_written_with_abbreviated_units():
    from askjobs.answer import _HAS_DURATION

    assert _HAS_DURATION.search("le mois synodique dure 29 j 12 h 44 min")
    assert not _HAS_DURATION.search("la route départementale 47")


def test_a_list_item_is_introduced_by_the_sentence_that_announces_its_list(jobs_app):
    from askjobs.answer import _introduction
    query, ranked = _ranked(jobs_app, "Quelles entreprises recrutent activement en 2025 ?")
    candidates = {c.sid: c for c in ranked}
    sentences = jobs_app.index.sentences
    item = next(c for c in ranked if sentences[c.sid].text.startswith("NVIDIA"))
    intro = _introduction(jobs_app.index, candidates, item)
    assert intro is not None and sentences[intro.sid].text.endswith("comprennent:")
    assert _introduction(jobs_app.index, candidates, intro) is None  # an introduction introduces nothing
    salary = next(c for c in ranked if "157 000" in sentences[c.sid].text)
    assert _introduction(jobs_app.index, candidates, salary) is None  # nor is a loose sentence an item


def test_a_question_about_one_named_company_quotes_its_item_not_the_others(jobs_app):
    answer = jobs_app.ask("Quels profils Meta recherche-t-elle ?")
    assert answer.answerable
    assert [c.quote for c in answer.citations] == ["Meta: Embauche des chercheurs pour ses algorithmes."]


def test_a_quote_that_does_not_name_the_company_asked_about_is_doubted(jobs_app):
    from askjobs.answer import _unnamed_subject
    query, ranked = _ranked(jobs_app, "Quels profils Meta recherche-t-elle ?")
    hits = list(jobs_app.search(query).hits)
    sentences = jobs_app.index.sentences
    salary = next(c for c in ranked if "157 000" in sentences[c.sid].text)
    meta = next(c for c in ranked if sentences[c.sid].text.startswith("Meta"))
    assert _unnamed_subject(query, jobs_app.index, hits, salary.sid, []) == "Meta"
    assert _unnamed_subject(query, jobs_app.index, hits, meta.sid, []) is None
    # The source a question cites ("selon Forbes") is not what it is about.
    query = jobs_app.analyse("Selon Amazon, quel est le salaire médian ?")
    assert _unnamed_subject(query, jobs_app.index, hits, salary.sid, []) is None


def test_a_nationality_answers_which_country_but_not_which_city(tmp_path):
    docs = {"recyclage.txt": "La transition nécessitera que 20 millions de travailleurs américains se recyclent.\n"}
    app = built_app(tmp_path, docs)
    assert app.ask("Dans quel pays 20 millions de travailleurs devront-ils se recycler ?").answerable
    assert not app.ask("Dans quelle ville 20 millions de travailleurs devront-ils se recycler ?").answerable


def test_a_sentence_announcing_several_things_without_a_colon_is_answered_by_the_next_ones(tmp_path):
    docs = {"formations.txt": (
        "Les métiers de l'IA\n"
        "Les entreprises recrutent des ingénieurs en IA.\n"
        "Face à cette demande, plusieurs formations spécialisées se développent. Des universités proposent des "
        "cursus dédiés à l'IA. Des plateformes en ligne offrent des certifications accessibles.\n"
        "Les salaires des ingénieurs progressent.\n")}
    app = built_app(tmp_path, docs, chunk_tokens=200)
    answer = app.ask("Quelles formations se développent ?")
    assert answer.form == "list"
    assert [c.quote for c in answer.citations] == ["Des universités proposent des cursus dédiés à l'IA.",
                                                   "Des plateformes en ligne offrent des certifications accessibles."]


def test_a_phrase_candidate_loses_a_leading_link_word_and_stops_at_an_unclosed_bracket():
    from askjobs.answer import _tidied

    def tidied(phrase: str) -> list[str]:
        return [phrase[a:b] for a, b, _ in _tidied(phrase, [(0, len(phrase), "NP")])]

    assert tidied("notamment le manque de transparence") == ["le manque de transparence"]
    assert tidied("dont la spartéine") == ["la spartéine"]
    assert tidied("latex) qui s'échappe") == ["latex"]
    assert tidied("Gog », un géant légendaire") == ["Gog"]
    assert tidied("une succession[pas clair") == ["une succession"]
    assert tidied("« Grenier de l'Europe") == ["Grenier de l'Europe"]
    assert tidied("Pomfrey (en anglais)") == ["Pomfrey (en anglais)"]  # closed: kept whole
    assert tidied("Etats généraux") == ["Etats généraux"]  # "et" only as a word of its own


def test_a_name_is_marked_with_the_title_or_place_words_of_its_noun_phrase(tmp_path):
    from askjobs.answer import _entities_in, _grown

    app = built_app(tmp_path, {"histoire.txt": "En 1844, la bataille d'Isly oppose l'armée française, menée par le "
                                               "maréchal Bugeaud, aux troupes marocaines.\n"})
    s = app.index.sentences[_sid(app, "Bugeaud")]
    text = app.index.documents[s.source].text
    ents = {text[a:b]: (a - s.start, b - s.start) for a, b, label in _entities_in(app.index, s.source, s.start, s.end)
            if label == "PER"}
    assert "maréchal Bugeaud" in ents, ents
    a, b = _grown(app.index, s.source, s.start, s.end, *ents["maréchal Bugeaud"])
    assert text[s.start + a:s.start + b] == "le maréchal Bugeaud"  # PIAF's spans keep the title and its article
    # "l'armée française, menée par le maréchal Bugeaud" is four words more: the name stays as tagged.
    assert _grown(app.index, s.source, s.start, s.end, *ents["maréchal Bugeaud"]) != (
        text.index("l'armée", s.start) - s.start, b)


def test_a_count_is_marked_without_the_noun_the_question_counts(tmp_path):
    app = built_app(tmp_path, {"flotte.txt": "Pour le débarquement, la flotte réunit 675 navires venus de trois ports.\n"
                                             "Harry Potter reçoit sa chouette à onze ans, avant la rentrée.\n"})
    assert _short_in(app, "Combien de navires furent employés pour l'opération ?", "675") == "675"
    assert _short_in(app, "Quel âge avait Harry Potter quand il a reçu sa chouette ?", "onze") == "onze ans"


def test_of_several_places_the_one_the_asked_noun_introduces_is_marked(tmp_path):
    # Four documents: a place named in one passage only is no common word of the corpus.
    others = {f"autre{i}.txt": f"Le chapitre {i} traite de la météo, des saisons et des récoltes de l'année.\n"
              for i in range(3)}
    app = built_app(tmp_path, {**others, "canada.txt": (
        "La région la plus peuplée du pays longe les basses-terres du fleuve Saint-Laurent et des Grands Lacs "
        "au sud-est.\n")})
    assert _short_in(app, "Quel fleuve trouve-t-on au Canada ?", "Saint-Laurent") in (  # tagged with or without it
        "fleuve Saint-Laurent", "Saint-Laurent", "du fleuve Saint-Laurent", "le fleuve Saint-Laurent")


def test_each_item_of_a_list_answer_marks_what_it_names(jobs_app):
    answer = jobs_app.ask("Quelles entreprises recrutent activement en 2025 ?")
    assert answer.form == "list"
    text = jobs_app.index.documents["recrutement.txt"].text
    assert [text[c.answer_start:c.answer_end] for c in answer.citations] == ["Amazon", "NVIDIA", "Meta"]


def test_a_measure_or_a_number_in_a_name_is_no_count(tmp_path):
    docs = {"navire.txt": (
        "Le Vizzavona\n"
        "Le Vizzavona mesure 188 mètres de long pour 28,70 mètres de large.\n"
        "En octobre, le Vizzavona participe à l'exercice Trident Juncture 18.\n"
        "Le navire peut embarquer 800 passagers.\n")}
    app = built_app(tmp_path, docs)
    from askjobs.answer import _typed
    text = app.index.documents["navire.txt"].text

    def counts(question, sentence):
        at = text.index(sentence)
        return _typed(app.index, app.analyse(question), "navire.txt", at, at + len(sentence))

    assert counts("Combien de marins composent l'équipage ?", "Le navire peut embarquer 800 passagers.") == 1.0
    assert counts("Combien de marins composent l'équipage ?",
                  "Le Vizzavona mesure 188 mètres de long pour 28,70 mètres de large.") == 0.0
    assert counts("Combien de marins composent l'équipage ?",
                  "En octobre, le Vizzavona participe à l'exercice Trident Juncture 18.") == 0.0
    # … but a question counting in a unit, or asking a length, is answered by the measure.
    assert counts("Combien de mètres mesure le Vizzavona ?",
                  "Le Vizzavona mesure 188 mètres de long pour 28,70 mètres de large.") == 1.0
    assert counts("Le Vizzavona fait combien de long ?",
                  "Le Vizzavona mesure 188 mètres de long pour 28,70 mètres de large.") == 1.0


def test_a_place_the_question_is_about_is_named_by_the_quote_in_any_of_its_forms(tmp_path):
    from askjobs.answer import _unnamed_subject
    docs = {"pays.txt": "La population\nLe Mexique est un pays d'Amérique du Nord. La population mexicaine atteint 126 millions.\n",
            "monde.txt": "La Terre\nLe monde compte plus de 8 milliards d'habitants, selon les Nations unies.\n"}
    app = built_app(tmp_path, docs)
    query = app.analyse("Combien d'habitants compte le Mexique ?")
    hits = list(app.search(query).hits)
    sid = {s.text: i for i, s in enumerate(app.index.sentences)}
    world = sid["Le monde compte plus de 8 milliards d'habitants, selon les Nations unies."]
    assert _unnamed_subject(query, app.index, hits, world, []) == "Mexique"
    assert _unnamed_subject(query, app.index, hits, sid["La population mexicaine atteint 126 millions."], []) is None


def test_a_relative_the_quote_speaks_of_without_naming_him_is_no_answer(tmp_path):
    from askjobs.answer import _role_unnamed
    docs = {"marlyse.txt": ("Marlyse de La Grange\n"
                            "Marlyse de La Grange présente une émission animalière sur la télévision publique.\n"
                            "Elle vivra mal la suppression de son émission, lancée par son mari en 1969, et son limogeage.\n")}
    app = built_app(tmp_path, docs)
    text = app.index.documents["marlyse.txt"].text
    quote = "Elle vivra mal la suppression de son émission, lancée par son mari en 1969, et son limogeage."
    at = text.index(quote)
    query = app.analyse("Comment s'appelait le mari de Marlyse de La Grange ?")
    assert _role_unnamed(query, app.index, "marlyse.txt", at, at + len(quote)) == "mari"


def test_the_asked_name_written_with_other_spaces_is_no_new_name():
    from askjobs.answer import _matches_type
    asked = frozenset({"Marlyse", "La", "Grange"})
    text = "Marlyse de LaGrange présente un programme de qualité."
    ents = [(0, 7, "MISC", "Marlyse"), (11, 19, "PER", "LaGrange")]
    assert _matches_type(text, "person", asked, entities=ents) == 0.0
    other = "Le programme est produit par Jean Dumas."
    assert _matches_type(other, "person", asked, entities=[(29, 39, "PER", "Jean Dumas")]) == 1.0


def test_a_relatives_death_is_not_the_death_asked_about():
    from askjobs.answer import _event_said
    asked = analyse_question("En quelle année Madame de Maintenon est-elle morte ?")
    assert asked.event == "mort"
    assert not _event_said(asked, "En juillet 1647, Françoise apprend la mort de son père.")
    assert _event_said(asked, "Elle meurt à Saint-Cyr ; sa mort en 1719 passe inaperçue.")
    father = analyse_question("En quelle année le père de Madame de Maintenon est-il mort ?")
    assert _event_said(father, "En juillet 1647, Françoise apprend la mort de son père.")


def test_a_gerund_after_en_says_nothing_of_where(tmp_path):
    from askjobs.answer import _form_unmet
    app = built_app(tmp_path, {"artiste.txt": "Il déambule en accentuant ses mouvements. Il travaille en Californie.\n"})
    query = app.analyse("Où travaille l'artiste ?")
    gerund, place = _sid(app, "accentuant"), _sid(app, "Californie")
    for sid, unmet in ((gerund, True), (place, False)):
        s = app.index.sentences[sid]
        assert (_form_unmet(query, app.index, s.source, s.start, s.end, sid) is not None) == unmet
