"""What the build stores per sentence: spaCy's entities and noun phrases, with exact offsets."""

from __future__ import annotations

from askjobs.nlp import PHRASE, sentence_entities


def test_noun_phrases_are_stored_with_exact_document_offsets():
    text = "Le point culminant de l'île est la crête de Novara, à 268 mètres."
    base = 40  # the sentence's offset in its document
    found = sentence_entities([text], [base])[0]
    phrases = {text[a - base:b - base] for a, b, label in found if label == PHRASE}
    assert "la crête de Novara" in phrases  # the phrase with its complement, stopped at the comma
    assert "268 mètres" in phrases
    assert not any(p.startswith(("à ", "de ")) or p.endswith((",", ".")) for p in phrases)
    assert any(label == "LOC" and text[a - base:b - base] == "Novara" for a, b, label in found)
