"""Fast tests of the chat's HTML and feedback log: no model, no browser."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from app_support import ROOT, SALARY_DOC, XSS_DOC, load_app_module
from fakes import FakeEncoder

from askjobs import cli, ui
from askjobs.config import Settings
from askjobs.feedback import append_feedback, feedback_record, feedback_to_questions
from askjobs.pipeline import AskJobs
from askjobs.schema import Answer, Citation


class _Collect(HTMLParser):
    """Elements, their attributes, the page's text, and the text inside <mark>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text, self.marked, self._in_mark = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)
        if tag == "br":
            self.text.append("\n")
        self._in_mark += tag == "mark"

    def handle_endtag(self, tag):
        self._in_mark -= tag == "mark"

    def handle_data(self, data):
        self.text.append(data)
        if self._in_mark:
            self.marked.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def citation(text: str, quote: str, n: int = 1, source: str = "note.txt") -> Citation:
    start = text.index(quote)
    return Citation(n=n, source=source, title="Note <b>de sécurité</b>", chunk_id="c1", start=start,
                    end=start + len(quote), quote=quote, passage=text, passage_start=0, passage_end=len(text),
                    score=0.9)


def test_highlight_escapes_each_part_and_marks_exact_offsets():
    text = "avant <script>alert(1)</script> « cité & <img src=x onerror=alert(1)> » après"
    start, end = text.index("«"), text.index("»") + 1
    html = ui.highlight(text, start, end)
    p = parse(html)
    assert p.tags == ["mark"]  # no script/img element: everything else is text
    assert "".join(p.text) == text
    assert "".join(p.marked) == text[start:end]
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("start,end", [(-1, 2), (3, 2), (0, 99)])
def test_highlight_refuses_a_span_outside_the_text(start, end):
    with pytest.raises(ValueError, match="outside the text"):
        ui.highlight("bonjour", start, end)


def test_rendered_html_has_no_blank_line_for_markdown_to_break():
    text = "Titre\n\n# pas un titre\n\n    pas du code *ni de l'italique*\r\nfin"
    html = ui.highlight(text, text.index("pas du"), len(text))
    assert "\n" not in html and "\r" not in html
    assert "".join(parse(html).text) == text.replace("\r\n", "\n")


def test_sources_show_title_file_position_and_the_quote_highlighted_in_its_passage():
    quote = "L'équipe sécurité a aussi signalé une image piégée <img src=x onerror=\"window.__pwned=2\"> " \
            "dans une annonce d'emploi."
    c = citation(XSS_DOC, quote)
    answer = Answer("Qu'a signalé l'équipe ?", quote, True, 0.8, (c,), (c,), {"total": 420.0})
    for html in (ui.render_answer(answer), ui.render_sources(answer)):
        p = parse(html)
        assert not {"script", "img"} & set(p.tags) and not [a for a in p.attrs if a.startswith("on")]
    sources = parse(ui.render_sources(answer))
    shown = "".join(sources.text)
    assert "[1] Note <b>de sécurité</b>" in shown  # the title's markup is shown as text
    assert f"note.txt · caractères {c.start}–{c.end}" in shown
    assert "".join(sources.marked) == quote
    reply = "".join(parse(ui.render_answer(answer)).text)
    assert f"« {quote} » [1]" in reply and "0,42 s" in reply


def test_answer_markers_match_the_numbered_sources():
    text = SALARY_DOC
    a = citation(text, "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $, "
                       "mais les postes spécialisés dépassent souvent 200 000 $ en salaire de base.", n=1)
    b = citation(text, "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté de "
                       "38 % entre 2020 et 2024.", n=2)
    answer = Answer("q", a.quote + " " + b.quote, True, 0.9, (a, b), (a, b), {"total": 1500.0})
    reply = "".join(parse(ui.render_answer(answer)).text)
    sources = "".join(parse(ui.render_sources(answer)).text)
    for c in (a, b):
        assert f"« {c.quote} » [{c.n}]" in reply
        assert f"[{c.n}] " in sources
    assert "2 sources" in reply and "1,5 s" in reply
    assert ui.sources_title(answer).startswith("📚 Sources (2)")


def test_a_refusal_looks_different_and_still_lists_the_nearest_passages():
    c = citation(SALARY_DOC, "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté "
                             "de 38 % entre 2020 et 2024.")
    refusal = Answer("Quelle est la capitale de l'Australie ?", "Je n'ai pas trouvé la réponse dans les documents.",
                     False, 0.02, (), (c,), {"total": 300.0})
    html = ui.render_answer(refusal)
    assert "askjobs-refusal" in html and "askjobs-answer" not in html
    assert "Aucune réponse trouvée" in html and "Je n'ai pas trouvé la réponse dans les documents." in \
        "".join(parse(html).text)
    assert ui.sources_of(refusal) == (c,)
    assert ui.sources_title(refusal).startswith("🔎 Passages les plus proches (1)")
    # The nearest passage is underlined in a neutral style, never in the citation yellow (<mark>).
    sources = ui.render_sources(refusal)
    assert "<mark" not in sources and f'<span class="askjobs-near">{ui.esc(c.quote)}</span>' in sources


def test_document_view_shows_the_whole_text_with_the_span_marked_and_anchored():
    quote = "Un gabarit contenait ${window.__pwned=3} et {{7*7}} sans échappement."
    c = citation(XSS_DOC, quote)
    html = ui.render_document(XSS_DOC, c)
    p = parse(html)
    assert f'<mark id="{ui.DOC_MARK_ID}">' in html
    assert "".join(p.marked) == quote and XSS_DOC.rstrip("\n") in "".join(p.text)
    assert not {"script", "img"} & set(p.tags)
    # The document changed since the answer: no misplaced highlight.
    stale = ui.render_document("autre texte" + XSS_DOC, c)
    assert "<mark" not in stale and "a changé" in stale


def test_document_view_of_a_huge_file_is_a_window_around_the_quote():
    text = "x" * 300_000 + " la phrase citée. " + "y" * 300_000
    c = citation(text, "la phrase citée.")
    html = ui.render_document(text, c)
    assert "".join(parse(html).marked) == "la phrase citée."
    assert len(html) < ui.MAX_DOC_CHARS + 2000 and "extrait" in html


def test_warning_and_question_are_shown_as_text():
    assert parse(ui.render_warning("<img src=x onerror=alert(1)>")).tags == ["div"]
    assert parse(ui.render_question("<script>alert(1)</script>")).tags == ["div"]


def test_rejected_question_is_echoed_short_and_with_control_characters_visible():
    app_module = load_app_module()
    assert app_module._shown("a\x00b\x07") == "a\ufffdb\ufffd"
    long = app_module._shown("é" * 10_000)
    assert len(long) < 400 and long.endswith("(10000 caractères)")


def test_turns_are_counted_from_user_messages():
    app_module = load_app_module()
    history = [{"role": "user"}, {"role": "assistant"}, {"role": "assistant"}, {"role": "user"},
               {"role": "assistant"}]
    assert [app_module._turn_of(history, i) for i in range(5)] == [0, 0, 0, 1, 1]


def test_importing_the_app_loads_no_model():
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('a', 'app.py'); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            "print(sorted(k for k in ('torch', 'sentence_transformers', 'faiss') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_prepare_builds_a_missing_index_then_updates_it_when_the_corpus_changes(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "salaires.txt").write_text(SALARY_DOC, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    logs = []
    load_app_module().prepare(app, log=logs.append)
    assert logs[0] == "Pas encore d'index : construction…" and any("Index prêt" in m for m in logs)
    assert set(app.index.documents) == {"salaires.txt"}
    (corpus / "note.txt").write_text(XSS_DOC, encoding="utf-8")
    logs.clear()
    load_app_module().prepare(app, log=logs.append)
    assert any("ont changé" in m for m in logs) and set(app.index.documents) == {"salaires.txt", "note.txt"}
    logs.clear()
    load_app_module().prepare(app, log=logs.append)
    assert logs == []  # up to date: nothing rebuilt


def _answer_dict(question: str, answerable: bool, quote: str | None = None) -> dict:
    cites = [{"n": 1, "source": "salaires.txt", "start": 10, "end": 10 + len(quote), "quote": quote}] if quote else []
    return {"question": question, "answer": quote or "Je n'ai pas trouvé la réponse dans les documents.",
            "answerable": answerable, "confidence": 0.9, "citations": cites, "nearest": [], "timings_ms": {}}


def test_a_comment_with_a_unicode_line_separator_reads_back_whole(tmp_path):
    # json.dumps leaves U+2028 unescaped; a reader splitting on it would see two broken lines.
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, feedback_record(_answer_dict("Prix du café ?", True, "2 €"), "up", "ligne\u2028suite"))
    (q,) = feedback_to_questions(path)
    assert q["question"] == "Prix du café ?"


def test_feedback_log_turns_thumbs_up_into_eval_questions(tmp_path, capsys):
    path = tmp_path / "avis" / "feedback.jsonl"
    quote = "le salaire médian pour les postes liés à l'IA est d'environ 157 000 $"
    append_feedback(path, feedback_record(_answer_dict("Salaire médian IA ?", True, quote), "up", " parfait "))
    append_feedback(path, feedback_record(_answer_dict("Capitale de l'Australie ?", False), "up"))
    append_feedback(path, feedback_record(_answer_dict("Qui a écrit le rapport ?", True, "LinkedIn"), "down"))
    append_feedback(path, feedback_record(_answer_dict("Prix du café ?", True, "2 €"), "up"))
    append_feedback(path, feedback_record(_answer_dict("prix du  CAFÉ ?", True, "2 €"), "down"))  # latest wins

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["verdict"] == "up" and rows[0]["comment"] == "parfait" and rows[0]["time"].endswith("+00:00")
    assert rows[0]["citations"] == [{"source": "salaires.txt", "start": 10, "end": 10 + len(quote), "quote": quote}]
    assert "157 000 $" in path.read_text(encoding="utf-8")  # ensure_ascii=False: French stays readable

    questions = feedback_to_questions(path)
    assert [(q["question"], q["answers"], q["answerable"]) for q in questions] == [
        ("Salaire médian IA ?", [quote], True), ("Capitale de l'Australie ?", [], False)]
    assert questions[0]["source"] == "salaires.txt" and questions[0]["id"].startswith("fb-")
    review = feedback_to_questions(path, include_review=True)
    assert {q["question"] for q in review if q.get("review")} == {"Qui a écrit le rapport ?", "prix du  CAFÉ ?"}

    assert cli.main(["eval", "--from-feedback", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out == questions
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in out), encoding="utf-8")
    from askjobs.evaluate import load_questions

    assert [q.answerable for q in load_questions(eval_file)] == [True, False]


def test_feedback_rejects_an_unknown_verdict():
    with pytest.raises(ValueError, match="verdict"):
        feedback_record(_answer_dict("q", False), "maybe")
