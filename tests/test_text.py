"""French sentence segmentation, normalisation and lexical analysis."""

import pytest

from askjobs.text import analyze, is_heading, normalize, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text)]


def test_sentences_keep_numbers_abbreviations_and_model_names_whole():
    text = ("M. Dupont gagne 157 000 $ par an. Mme Durand cite une hausse de 25,2 % au premier trimestre. "
            "Le GPT-4 reste cité. J. Martin conclut.")
    assert sentences(text) == [
        "M. Dupont gagne 157 000 $ par an.",
        "Mme Durand cite une hausse de 25,2 % au premier trimestre.",
        "Le GPT-4 reste cité.",
        "J. Martin conclut.",
    ]


def test_run_on_sentences_glued_without_space_are_split():
    text = "Le commerce suit avec 35 % de hausse.Ces chiffres démontrent une tendance."
    assert sentences(text) == ["Le commerce suit avec 35 % de hausse.", "Ces chiffres démontrent une tendance."]


def test_lines_are_sentence_boundaries_and_quotes_stay_with_their_sentence():
    text = "Titre de section\n« Bonjour. » Puis la suite ! Fin"
    assert sentences(text) == ["Titre de section", "« Bonjour. »", "Puis la suite !", "Fin"]


def test_sentence_offsets_are_exact_with_surrounding_spaces():
    text = "  Première phrase.   Deuxième phrase ?  \n\n  Troisième.  "
    for span in split_sentences(text):
        assert text[span.start:span.end] == text[span.start:span.end].strip()
    assert sentences(text) == ["Première phrase.", "Deuxième phrase ?", "Troisième."]


def test_heading_detection():
    assert is_heading("Compétences techniques de base")
    assert not is_heading("La programmation reste le fondement de la plupart des emplois.")


def test_normalize_unifies_apostrophes_spaces_and_case():
    assert normalize("L’IA\u00a0coûte 157\u202f000 $") == "l'ia coûte 157 000 $"


def test_analyze_drops_stopwords_stems_and_folds_accents():
    assert analyze("Quel est le salaire médian aux États-Unis ?") == ["salair", "median", "etat", "unir"]
    assert analyze("les salaires") == analyze("Salaire")
    assert analyze("médian") == analyze("median")


@pytest.mark.parametrize("a, b", [("gagnent", "gagne"), ("emplois", "emploi"), ("créent", "crée"),
                                  ("recrutent", "recrute"), ("hôpitaux", "hôpital"), ("travaux", "travail")])
def test_analyze_joins_inflections_snowball_alone_keeps_apart(a, b):
    assert analyze(a) == analyze(b)


@pytest.mark.parametrize("a, b", [("soeur", "sœur"), ("les oeuvres", "l'œuvre"), ("coeur", "Cœur")])
def test_analyze_reads_a_ligature_as_its_two_letters(a, b):
    assert analyze(a) == analyze(b)


@pytest.mark.parametrize("a, b", [("a-t-on découvert", "a été découverte"), ("écrit", "écrite"), ("connu", "connue"),
                                  ("peint", "peinte"), ("découverts", "découvrir")])
def test_analyze_reads_a_past_participle_as_its_verb_in_every_gender(a, b):
    assert analyze(a) == analyze(b)


@pytest.mark.parametrize("noun, verb", [("entreprise", "entreprendre"), ("suite", "suivre"), ("élite", "élire"),
                                        ("recrue", "recroître")])
def test_analyze_leaves_a_noun_that_only_looks_like_a_participle_alone(noun, verb):
    assert analyze(noun) != analyze(verb)


def test_words_glued_by_scraping_are_split_for_analysis_only():
    from askjobs.text import unglue

    assert unglue("Voiciquelques règles simplesà respecter") == "Voici quelques règles simples à respecter"
    assert unglue("nejamais répondreà un spam") == "ne jamais répondre à un spam"
    assert unglue("la police nationaleInfo-escroqueries") == "la police nationale Info-escroqueries"
    assert unglue("Non,la CNIL est compétente.Ces procédés") == "Non, la CNIL est compétente. Ces procédés"
    # Glued words now match their question's terms.
    assert set(analyze("règles simples")) <= set(analyze("Voiciquelques règles simplesà respecter"))
    assert analyze("ne jamais répondre à un spam") == analyze("nejamais répondreà un spam")


def test_clean_words_names_and_acronyms_stay_whole():
    from askjobs.text import unglue

    clean = ("LinkedIn et YouTube à Montmartre : M. Dupont, Batmale et Chicagoland, le RGPD, les cobots "
             "agentiques, nomadisaient, www.cnil.fr, 157 000 $, 25,2 %.")
    assert unglue(clean) == clean


def test_acronyms_a_document_spells_out():
    from askjobs.text import acronyms
    found = acronyms("L’intelligence artificielle (IA) transforme le travail. Le règlement général sur la protection "
                     "des données (RGPD) s'applique. Une expertise en MLOps (Machine Learning Operations) aide. "
                     "Un rôle (clé) et les grands modèles linguistiques (LLM).")
    assert found["ia"] == {"intelligent", "artificiel"}
    assert found["rgpd"] == {"regl", "general", "protect", "don"}
    assert "mlop" in found
    assert "llm" not in found and "cle" not in found  # initials that do not spell it, a word in brackets
