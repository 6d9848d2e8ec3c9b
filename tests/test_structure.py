"""Document structure: headings, sections and introduced lists, with exact offsets."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from askjobs.structure import document_structure

RUN_ON = (
    "Recrutement en 2025\n"
    "Les entreprises qui embauchent activement comprennent:\n"
    "Amazon: Recrute des centaines de postes. Il forme aussi. NVIDIA: Recherche des experts en apprentissage profond. "
    "Meta: Axée sur les ingénieurs. Elle paie bien.Cette liste montre que la demande est forte.\n"
)


def texts(text, spans):
    return [text[s.start:s.end] for s in spans]


def test_run_on_labelled_items_end_at_a_glued_boundary():
    # The last item is as long as the longest other (two sentences here) and stops at "bien.Cette".
    s = document_structure(RUN_ON)
    (block,) = s.lists
    assert RUN_ON[block.intro.start:block.intro.end].endswith("comprennent:")
    items = texts(RUN_ON, block.items)
    assert [i.split(":")[0] for i in items] == ["Amazon", "NVIDIA", "Meta"]
    assert items[-1] == "Meta: Axée sur les ingénieurs. Elle paie bien."  # not the sentence glued after it


def test_bulleted_lines_are_items_and_a_blank_line_ends_the_list():
    text = "Compétences clés :\n- Python\n- SQL et statistiques\n- Docker\n\nLa suite du texte parle d'autre chose.\n"
    (block,) = document_structure(text).lists
    assert texts(text, block.items) == ["- Python", "- SQL et statistiques", "- Docker"]


def test_short_lines_after_a_colon_are_items_not_headings():
    text = "Les langages demandés sont :\nPython\nJava\nRust\n"
    s = document_structure(text)
    assert texts(text, s.lists[0].items) == ["Python", "Java", "Rust"]
    assert s.headings == ()


def test_an_enumeration_opener_makes_the_previous_sentence_an_introduction():
    text = ("Les nouveaux métiers sont variés. Parmi eux, on trouve les ingénieurs et les éthiciens.\n"
            "D'autres professions émergent, comme les auditeurs. Les salaires varient.\n")
    (block,) = document_structure(text).lists
    assert text[block.intro.start:block.intro.end] == "Les nouveaux métiers sont variés."
    assert texts(text, block.items) == ["Parmi eux, on trouve les ingénieurs et les éthiciens.",
                                        "D'autres professions émergent, comme les auditeurs."]


def test_a_colon_before_a_paragraph_introduces_its_first_sentence():
    text = "Voici ce que dit le rapport :\n" + "Le marché progresse nettement depuis deux ans. " * 6 + "\n"
    (block,) = document_structure(text).lists
    assert texts(text, block.items) == ["Le marché progresse nettement depuis deux ans."]


def test_each_sentence_belongs_to_the_section_of_the_heading_above_it():
    text = "Titre du document\nSalaires\nLe salaire médian est de 157 000 $.\nFormation\nLes cursus se multiplient.\n"
    s = document_structure(text)
    assert texts(text, s.headings) == ["Titre du document", "Salaires", "Formation"]
    pay = text.index("Le salaire")
    assert text[s.section_of(pay).start:s.section_of(pay).end] == "Salaires"
    assert text[s.section_of(text.index("Les cursus")).start:s.section_of(text.index("Les cursus")).end] == "Formation"
    assert s.section_of(0) is None  # the title has no section above it


def test_a_date_line_is_not_a_heading():
    text = "Publié le 2 mars 2025\nL'IA transforme le travail.\n"
    assert document_structure(text).headings == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Intro :", "- point", "Libellé: texte.", "Phrase simple.", "Titre", "", "a.B"]),
                max_size=12))
def test_spans_always_point_inside_the_text_in_order(lines):
    text = "\n".join(lines)
    s = document_structure(text)
    for block in s.lists:
        spans = [block.intro, *block.items]
        assert all(0 <= sp.start < sp.end <= len(text) for sp in spans)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
