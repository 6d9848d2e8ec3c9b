"""What the chat and the CLI display: hidden characters in documents cannot disguise a quote."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from askjobs.display import BIDI_CONTROLS, FSI, PDI, ZERO_WIDTH, safe_display


def test_french_text_is_shown_unchanged():
    text = "Aux États-Unis, le salaire médian est d'environ 157 000 $ (« brut »).\n\tFin !"
    assert safe_display(text) == text


def test_right_to_left_override_cannot_reverse_a_quote():
    # "\u202elanif\u202c" is displayed "final" by a bidi-aware renderer; shown safely it reads as stored.
    assert safe_display("le salaire \u202elanif\u202c est 10 $") == "le salaire lanif est 10 $"
    for c in BIDI_CONTROLS:
        assert safe_display(f"a{c}b") == "ab"


def test_zero_width_characters_are_removed_but_joiners_inside_words_are_kept():
    assert safe_display("sa\u200blaire\u2060 mé\u00addian\ufeff") == "salaire médian"
    assert safe_display("tag\U000E0041\U000E0042s") == "tags"
    assert safe_display("👩\u200d💻") == "👩\u200d💻"  # an emoji sequence
    assert safe_display("می\u200cخواهم").strip(FSI + PDI) == "می\u200cخواهم"  # Persian ZWNJ inside a word
    assert safe_display("mot \u200d autre\u200c") == "mot  autre"  # next to spaces or at the end: hidden only


def test_control_characters_are_made_visible():
    assert safe_display("fichier\x1b[2J.txt") == "fichier\ufffd[2J.txt"
    assert safe_display("a\rb\x85c") == "a\ufffdb\ufffdc"


def test_right_to_left_text_is_isolated_from_what_surrounds_it():
    shown = safe_display("שלום עולם")
    assert shown == f"{FSI}שלום עולם{PDI}"
    assert safe_display("sans lettre hébraïque") == "sans lettre hébraïque"


_HIDDEN = set(BIDI_CONTROLS + ZERO_WIDTH)


@given(st.text(alphabet=st.sampled_from(list("ab é1 \n") + list(BIDI_CONTROLS + ZERO_WIDTH[:14]) + ["\u200d",
                                                                                                    "\u200c"])))
def test_shown_text_has_no_hidden_control_and_keeps_every_visible_character(text):
    shown = safe_display(text)
    assert not _HIDDEN & set(shown)
    visible = [c for c in text if c not in _HIDDEN and c not in "\u200c\u200d"]
    assert [c for c in shown if c not in "\u200c\u200d"] == visible
    for i, c in enumerate(shown):  # a kept joiner always sits between two letters
        if c in "\u200c\u200d":
            assert 0 < i < len(shown) - 1
            assert unicodedata.category(shown[i - 1])[0] in "LMS"
            assert unicodedata.category(shown[i + 1])[0] in "LMS"


def test_the_cli_prints_quotes_and_file_names_safely():
    from askjobs.cli import format_answer
    from askjobs.schema import Answer, Citation

    quote = "Le salaire \u202edian\u202cmé est de 10 $."
    c = Citation(1, "note\x1b[31m.txt", "Ti\u200btre", "id", 0, len(quote), quote, quote, 0, len(quote), 1.0)
    shown = format_answer(Answer("q ?", quote, True, 0.9, [c], []))
    assert "« Le salaire dianmé est de 10 $. » [1]" in shown
    assert "[1] Titre — note\ufffd[31m.txt, caractères 0–" in shown
    assert "\u202e" not in shown and "\x1b" not in shown
    assert quote == c.quote  # the stored quote and its offsets are untouched


def test_the_terminal_says_the_confidence_in_the_same_words_as_the_chat():
    from askjobs.cli import format_answer
    from askjobs.schema import Answer, Citation
    c = Citation(n=1, source="a.txt", title="A", chunk_id="x", start=0, end=5, quote="Texte", passage="Texte",
                 passage_start=0, passage_end=5, score=1.0)
    assert format_answer(Answer("q", "Texte", True, 0.9, (c,)), bold=False).startswith("Réponse sûre (confiance 0.90)")
    assert format_answer(Answer("q", "Texte", True, 0.55, (c,)), bold=False).startswith("Réponse probable (confiance 0.55)")
    assert format_answer(Answer("q", "Texte", True, 0.45, (c,)), bold=False).startswith("Réponse incertaine (confiance 0.45)")
