"""HTML for the chat page: answers, sources and documents. Formatting only, no retrieval.

Everything that comes from a document or a question is HTML-escaped piece by piece, and only then
wrapped in <mark>, so a corpus holding `<script>` shows as text. The HTML never contains a blank line
(newlines become <br>): the Chatbot's Markdown renderer then keeps each message as one raw HTML block
and never reads document text as Markdown.
"""

from __future__ import annotations

import html

from .schema import Answer, Citation

EXAMPLES = [
    "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?",
    "De combien ont augmenté les offres d'emploi liées à l'IA entre 2020 et 2024 selon LinkedIn ?",
    "Quel pourcentage des entreprises avaient adopté l'IA dans au moins une fonction fin 2024 ?",
    "Quelle est la capitale de l'Australie ?",
]

DOC_MARK_ID = "askjobs-doc-mark"
MAX_DOC_CHARS = 200_000  # beyond this, the document view shows a window around the quote

CSS = """
.askjobs-answer { font-size: 1.05em; }
.askjobs-answer .askjobs-ref, .askjobs-source .askjobs-ref { font-weight: 700; color: var(--color-accent); }
.askjobs-meta { margin-top: .4em; font-size: .85em; opacity: .75; }
.askjobs-refusal { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .10); padding: .5em .75em;
  border-radius: 4px; }
.askjobs-warning { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, .08); padding: .5em .75em;
  border-radius: 4px; }
.askjobs-source { margin: .3em 0 .8em 0; }
.askjobs-source-meta { font-size: .85em; opacity: .8; }
.askjobs-passage { margin: .3em 0 0 0; padding: .4em .7em; border-left: 3px solid var(--border-color-primary);
  white-space: normal; }
.askjobs-source mark, .askjobs-doc mark { background: #fde047; color: #111; padding: 0 .1em; border-radius: 2px; }
.askjobs-doc-text { max-height: 520px; overflow-y: auto; padding: .6em .8em; line-height: 1.5;
  border: 1px solid var(--border-color-primary); border-radius: 6px; }
.askjobs-doc-head { margin-bottom: .4em; }
.askjobs-doc-empty { opacity: .7; }
"""

# Scrolls the document view so the highlighted quote is in sight (run in the browser after each update).
SCROLL_TO_MARK_JS = f"""() => {{
  const box = document.querySelector('.askjobs-doc-text');
  const mark = document.getElementById('{DOC_MARK_ID}');
  if (box && mark) {{ box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - box.clientHeight / 3); }}
}}"""


def esc(text: str) -> str:
    """HTML-escape text and keep its line breaks, with no literal newline left."""
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def highlight(text: str, start: int, end: int, *, mark_id: str | None = None) -> str:
    """`text` as safe HTML with text[start:end] inside <mark>; each part is escaped on its own."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"highlight span {start}–{end} is outside the text (length {len(text)})")
    attr = f' id="{mark_id}"' if mark_id else ""
    return f"{esc(text[:start])}<mark{attr}>{esc(text[start:end])}</mark>{esc(text[end:])}"


def seconds_fr(ms: float) -> str:
    """Milliseconds as French seconds: 1234 → '1,2 s'."""
    s = ms / 1000
    return (f"{s:.2f}" if s < 1 else f"{s:.1f}").replace(".", ",") + " s"


def position(c: Citation) -> str:
    """'caractères 3092–3254' (and the page when the document has pages)."""
    page = f", page {c.page}" if c.page else ""
    return f"caractères {c.start}–{c.end}{page}"


def render_question(question: str) -> str:
    """The user's question as shown in the chat: plain text, never HTML or Markdown."""
    return f"<div class=\"askjobs-question\">{esc(question)}</div>"


def render_answer(answer: Answer) -> str:
    """The reply bubble: quotes with their [n] markers, or a refusal that looks different."""
    total = answer.timings_ms.get("total", 0.0)
    if answer.answerable and answer.citations:
        quotes = " ".join(f"« {esc(c.quote)} » <span class=\"askjobs-ref\">[{c.n}]</span>" for c in answer.citations)
        n = len(answer.citations)
        confidence = f"{answer.confidence:.2f}".replace(".", ",")
        meta = f"{n} source{'s' if n > 1 else ''} · confiance {confidence} · réponse en {seconds_fr(total)}"
        return f"<div class=\"askjobs-answer\">{quotes}</div><div class=\"askjobs-meta\">{meta}</div>"
    near = ("Voici les passages les plus proches, pour que vous puissiez juger vous-même."
            if answer.nearest else "Aucun passage proche dans les documents.")
    return ("<div class=\"askjobs-refusal\"><strong>🔍 Aucune réponse trouvée</strong><br>"
            f"{esc(answer.answer)}<br>{near}</div>"
            f"<div class=\"askjobs-meta\">réponse en {seconds_fr(total)}</div>")


def render_citation(c: Citation) -> str:
    """One source: [n], title, file, position, and the passage with the quote highlighted."""
    rel_start, rel_end = c.start - c.passage_start, c.end - c.passage_start
    if c.passage and 0 <= rel_start <= rel_end <= len(c.passage) and c.passage[rel_start:rel_end] == c.quote:
        passage = highlight(c.passage, rel_start, rel_end)
    else:  # should not happen; never show a misplaced highlight
        passage = f"<mark>{esc(c.quote)}</mark>"
    return ("<div class=\"askjobs-source\">"
            f"<div><span class=\"askjobs-ref\">[{c.n}]</span> <strong>{esc(c.title)}</strong></div>"
            f"<div class=\"askjobs-source-meta\">📄 {esc(c.source)} · {position(c)}</div>"
            f"<blockquote class=\"askjobs-passage\">{passage}</blockquote></div>")


def sources_of(answer: Answer) -> tuple[Citation, ...]:
    """What the sources panel lists: the citations of an answer, or the nearest passages of a refusal."""
    return answer.citations if answer.answerable and answer.citations else answer.nearest


def sources_title(answer: Answer) -> str:
    """Title of the collapsible sources message."""
    if answer.answerable and answer.citations:
        n = len(answer.citations)
        return f"📚 Source{'s' if n > 1 else ''} ({n})"
    return f"🔎 Passages les plus proches ({len(answer.nearest)}) — aucun ne répond avec assez de certitude"


def render_sources(answer: Answer) -> str:
    """All sources of one reply, as the content of the sources message."""
    items = "".join(render_citation(c) for c in sources_of(answer))
    hint = ("<div class=\"askjobs-source-meta\">Le document complet, avec le passage surligné, s'affiche "
            "dans le panneau « Document » (cliquez sur cette réponse pour l'y ouvrir).</div>")
    return f"<div class=\"askjobs-sources\">{items}{hint}</div>"


def render_warning(message: str) -> str:
    """A polite message when the question cannot be taken or something failed."""
    return f"<div class=\"askjobs-warning\">⚠️ {esc(message)}</div>"


def render_document(text: str, c: Citation) -> str:
    """The whole document with the cited span highlighted (a window around it for huge files)."""
    if not 0 <= c.start <= c.end <= len(text) or text[c.start:c.end] != c.quote:
        return render_document_placeholder("Le document a changé depuis cette réponse : posez la question à nouveau.")
    lo, hi, note = 0, len(text), ""
    if len(text) > MAX_DOC_CHARS:
        lo = max(0, c.start - MAX_DOC_CHARS // 2)
        hi = min(len(text), lo + MAX_DOC_CHARS)
        note = f" · extrait : caractères {lo}–{hi} sur {len(text)}"
    body = highlight(text[lo:hi], c.start - lo, c.end - lo, mark_id=DOC_MARK_ID)
    return ("<div class=\"askjobs-doc\">"
            f"<div class=\"askjobs-doc-head\"><span class=\"askjobs-ref\">[{c.n}]</span> <strong>{esc(c.title)}</strong>"
            f"<div class=\"askjobs-source-meta\">📄 {esc(c.source)} · {position(c)}{note}</div></div>"
            f"<div class=\"askjobs-doc-text\">{body}</div></div>")


def render_document_placeholder(message: str = "Posez une question : le document cité s'affichera ici, "
                                "avec le passage surligné.") -> str:
    return f"<div class=\"askjobs-doc askjobs-doc-empty\">{esc(message)}</div>"


def source_label(c: Citation) -> str:
    """Label of a source in the document chooser."""
    title = c.title if len(c.title) <= 60 else c.title[:59] + "…"
    return f"[{c.n}] {title} — {c.source} ({position(c)})"
