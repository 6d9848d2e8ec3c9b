"""The chat page in a real browser (Debian's headless Chromium), with the real model on the real corpus.

Screenshots of each state are saved in test-output/browser/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil

import pytest
from app_support import OUTPUT, ROOT, XSS_DOC, serve

from askjobs.config import Settings
from askjobs.pipeline import AskJobs

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]
SHOTS = OUTPUT / "browser"
TIMEOUT = 90_000  # ms; the first answer on a slow CI machine

SALARY_Q = "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?"
OFF_TOPIC_Q = "Quelle est la capitale de l'Australie ?"
XSS_Q = "Qu'est-ce que l'équipe sécurité a signalé dans une annonce d'emploi du portail carrière ?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app for the module: the repository's corpus plus a booby-trapped note, indexed in tmp."""
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "note-securite.txt").write_text(XSS_DOC, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=root / "index"))
    app.build()
    app.warm_up()
    feedback = root / "feedback.jsonl"
    url, demo = serve(app, feedback)
    try:
        yield url, feedback
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is missing: apt-get install chromium (.ci/run does it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    url, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("#askjobs-question textarea")
    yield page
    context.close()


def shot(page, name: str) -> None:
    """Save a screenshot once the chat's animations (sources sliding open) have finished."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, question: str) -> None:
    page.fill("#askjobs-question textarea", question)
    page.keyboard.press("Enter")


def test_clicking_an_example_shows_a_cited_answer_with_its_quote_highlighted(page, server):
    shot(page, "0-accueil")
    page.get_by_text(SALARY_Q[:40]).first.click()
    answer = page.locator("#askjobs-chat .askjobs-answer").last
    answer.wait_for()
    assert "157 000 $" in answer.inner_text()
    assert "[1]" in answer.inner_text()
    assert "réponse en" in page.locator("#askjobs-chat .askjobs-meta").last.inner_text()
    # The sources message: [1], title, file, position, and the quote highlighted in its passage.
    source = page.locator("#askjobs-chat .askjobs-source").first
    source.wait_for()
    assert source.locator(".askjobs-ref").first.inner_text() == "[1]"
    assert "emplois-automatisation-ia-competences.txt · caractères" in source.inner_text()
    mark = source.locator("mark").first
    assert mark.is_visible() and "157 000 $" in mark.inner_text()
    # The document panel opened at the quote: highlighted and scrolled into its box.
    doc_mark = page.locator("#askjobs-doc-view mark#askjobs-doc-mark")
    doc_mark.wait_for()
    assert "157 000 $" in doc_mark.inner_text()
    page.wait_for_function("""() => {
        const box = document.querySelector('.askjobs-doc-text'), m = document.getElementById('askjobs-doc-mark');
        const b = box.getBoundingClientRect(), r = m.getBoundingClientRect();
        return box.scrollTop > 0 && r.top >= b.top && r.bottom <= b.bottom; }""")
    shot(page, "1-reponse-citee")

    # 👍 with a comment goes to the feedback file, in a form `askjobs eval --from-feedback` reads.
    _, feedback = server
    page.get_by_label("Commentaire sur une réponse (facultatif)").fill("Exactement ce que je cherchais")
    page.locator("#askjobs-chat").get_by_role("button", name="J'aime", exact=True).last.click()  # 👍, fr-FR
    page.get_by_text("Avis 👍 enregistré avec votre commentaire").wait_for()
    row = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert row["verdict"] == "up" and row["question"] == SALARY_Q and row["comment"] == "Exactement ce que je cherchais"
    assert "157 000 $" in row["citations"][0]["quote"]


def test_an_off_topic_question_is_refused_with_the_nearest_passages(page):
    ask(page, SALARY_Q)
    page.locator("#askjobs-chat .askjobs-answer").last.wait_for()
    ask(page, OFF_TOPIC_Q)
    refusal = page.locator("#askjobs-chat .askjobs-refusal").last
    refusal.wait_for()
    text = refusal.inner_text()
    assert "Aucune réponse trouvée" in text and "Je n'ai pas trouvé la réponse dans les documents." in text
    assert page.locator("#askjobs-chat .askjobs-answer").count() == 1  # the history stays on screen
    # The refusal's own sources message (the second one) lists the nearest passages, best sentence marked.
    nearest = page.locator("#askjobs-chat .askjobs-sources").nth(1)
    nearest.locator("mark").first.wait_for(state="visible")
    assert "Passages les plus proches" in page.locator("#askjobs-chat").inner_text()
    assert nearest.locator(".askjobs-source").count() >= 1
    nearest.locator("mark").first.scroll_into_view_if_needed()
    assert refusal.is_visible()
    shot(page, "2-refus")


def test_markup_in_documents_and_questions_is_shown_as_text_and_never_runs(page):
    ask(page, XSS_Q)
    page.locator("#askjobs-chat .askjobs-answer, #askjobs-chat .askjobs-refusal").last.wait_for()
    ask(page, "<img src=x onerror=\"window.__pwned=4\"> salaire <script>window.__pwned=5</script> ?")
    page.locator("#askjobs-chat .askjobs-answer, #askjobs-chat .askjobs-refusal").nth(1).wait_for()
    # Show the booby-trapped note in the document panel (it is among the sources of the first reply).
    page.locator("#askjobs-chat [data-testid='user']").first.click()  # reopen the first reply's sources
    page.locator("#askjobs-doc-choice input").click()
    page.get_by_role("option", name="note-securite.txt").first.click()
    doc = page.locator("#askjobs-doc-view .askjobs-doc-text")
    doc.get_by_text("<script>window.__pwned = 1</script>", exact=False).wait_for()
    doc_text = doc.inner_text()
    assert '<img src=x onerror="window.__pwned=2">' in doc_text and "${window.__pwned=3}" in doc_text
    chat_text = page.locator("#askjobs-chat").inner_text()
    assert "<script>window.__pwned=5</script>" in chat_text  # the question, shown as typed
    page.wait_for_timeout(500)  # give any injected handler (img onerror) the time to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#askjobs-chat script, #askjobs-doc-view script, #askjobs-chat img[src='x'], "
                        "#askjobs-doc-view img").count() == 0
    shot(page, "3-injection-inerte")


def test_bad_questions_get_a_polite_message_not_a_stack_trace(page):
    ask(page, "é" * 10_000)
    warning = page.locator("#askjobs-chat .askjobs-warning").last
    warning.wait_for()
    assert "trop longue" in warning.inner_text() and "Traceback" not in page.content()
    page.fill("#askjobs-question textarea", "")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("La question est vide").wait_for()
    assert "(question vide)" in page.locator("#askjobs-chat").inner_text()
    shot(page, "4-question-invalide")
