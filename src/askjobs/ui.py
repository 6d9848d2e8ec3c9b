"""HTML and text for the chat page: answers, sources, documents, the corpus panel. Formatting only, no retrieval.

Everything that comes from a document or a question goes through `display.safe_display` (bidi and
zero-width characters neutralised) and is HTML-escaped piece by piece, and only then wrapped in
<mark> or <strong>, so a corpus holding `<script>` shows as text. The HTML never contains a blank
line (newlines become <br>): the Chatbot's Markdown renderer then keeps each message as one raw
HTML block and never reads document text as Markdown.

The renderers read the Answer fields of CONTRACT.md §2 (`form`, `reason`, `understood`, and each
citation's `answer_start`/`answer_end`) when they exist, and fall back to the older fields otherwise.
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime

from .display import safe_display
from .schema import Answer, Citation

EXAMPLES = [
    "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?",
    "De combien ont augmenté les offres d'emploi liées à l'IA entre 2020 et 2024 selon LinkedIn ?",
    "Quel pourcentage des entreprises avaient adopté l'IA dans au moins une fonction fin 2024 ?",
]
OFF_TOPIC_EXAMPLE = "Quelle est la capitale de l'Australie ?"  # shows what a refusal looks like

DOC_MARK_ID = "askjobs-doc-mark"
MAX_DOC_CHARS = 200_000  # beyond this, the document view shows a window around the quote
# Confidence in words: at or above each bound (the refusal threshold sits below "incertaine").
# Measured on 2026-12-07 over the answers given to the four dev sets (eval/questions, -hard, -final,
# -heldout2: 201 answers) and on 400 PIAF dev questions (answer contained in the quote):
# 0.29–0.40 right 62 % / PIAF 42 %; 0.40–0.50 78 % / 56 %; 0.50–0.80 94 % / 76 %; ≥ 0.80 100 % / 90 %.
# So "probable" starts at 0.50: below, one answer in three to two is wrong and the chat says to check.
CONFIDENCE_WORDS = ((0.80, "sure", "réponse sûre"), (0.50, "probable", "réponse probable"),
                    (0.0, "uncertain", "réponse incertaine"))
FEEDBACK_REASONS = ("Incorrect", "Incomplet", "Hors sujet", "Mauvaise source")

CSS = """
.askjobs-answer { font-size: 1.05em; }
.askjobs-answer ul { margin: .2em 0 .2em 1.2em; padding: 0; }
.askjobs-answer li { margin: .15em 0; }
.askjobs-answer strong.askjobs-short { background: rgba(250, 204, 21, .35); border-radius: 2px; padding: 0 .1em; }
a.askjobs-ref, .askjobs-ref { font-weight: 700; color: var(--color-accent); text-decoration: none; cursor: pointer; }
a.askjobs-ref:hover, a.askjobs-ref:focus { text-decoration: underline; outline-offset: 2px; }
.askjobs-understood { font-size: .9em; margin-bottom: .35em; opacity: .85; }
.askjobs-meta { margin-top: .4em; font-size: .85em; opacity: .8; }
.askjobs-conf { border-radius: 999px; padding: 0 .5em; font-weight: 600; cursor: help; }
.askjobs-conf-sure { background: rgba(22, 163, 74, .15); color: #15803d; }
.askjobs-conf-probable { background: rgba(37, 99, 235, .12); color: #1d4ed8; }
.askjobs-conf-uncertain { background: rgba(217, 119, 6, .15); color: #b45309; }
.askjobs-tentative { border-left: 3px dashed #d97706; padding-left: .6em; font-style: italic; }
.askjobs-tentative-note { font-size: .9em; color: #b45309; margin-bottom: .3em; font-style: normal; }
.askjobs-refusal { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .10); padding: .5em .75em;
  border-radius: 4px; }
.askjobs-clarify { border-left: 4px solid #2563eb; background: rgba(37, 99, 235, .08); padding: .5em .75em;
  border-radius: 4px; }
.askjobs-warning { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, .08); padding: .5em .75em;
  border-radius: 4px; }
.askjobs-source { margin: .3em 0 .8em 0; }
.askjobs-source-meta { font-size: .85em; opacity: .8; }
.askjobs-passage { margin: .3em 0 0 0; padding: .4em .7em; border-left: 3px solid var(--border-color-primary);
  white-space: normal; }
.askjobs-source mark, .askjobs-doc mark { background: #fde047; color: #111; padding: 0 .1em; border-radius: 2px; }
.askjobs-source .askjobs-near, .askjobs-doc .askjobs-near { background: none; color: inherit;
  text-decoration: underline dotted; text-underline-offset: 3px; font-style: italic; }
.askjobs-doc-text { max-height: 520px; overflow-y: auto; padding: .6em .8em; line-height: 1.5;
  border: 1px solid var(--border-color-primary); border-radius: 6px; }
.askjobs-doc-head { margin-bottom: .4em; }
.askjobs-doc-empty { opacity: .7; }
.askjobs-corpus { font-size: .95em; }
.askjobs-corpus table { width: 100%; border-collapse: collapse; font-size: .9em; }
.askjobs-corpus td, .askjobs-corpus th { text-align: left; padding: .2em .3em; vertical-align: top;
  border-bottom: 1px solid var(--border-color-primary); }
.askjobs-skipped { color: #b45309; }
#askjobs-ref-target, #askjobs-ref-open { display: none !important; }
#askjobs-chat button[title="Effacer la conversation"] { display: none; }  /* one reset button: "Nouvelle conversation" */
@media (max-width: 700px) {
  #askjobs-intro { display: none; }
  #askjobs-chat { height: 56vh !important; min-height: 0 !important; }
  #askjobs-chat .placeholder-content { font-size: .9em; }
  #askjobs-chat .examples { gap: .35em !important; margin-top: .4em !important; }
  #askjobs-chat button.example { padding: .3em .6em !important; font-size: .85em; min-height: 0 !important; }
  .askjobs-doc-text { max-height: 45vh; }
}
"""

# Scrolls the document view so the highlighted quote is in sight (run in the browser after each update);
# on a narrow screen the document panel sits below the chat, so it is brought into view too.
SCROLL_TO_MARK_JS = f"""(...args) => {{
  const box = document.querySelector('.askjobs-doc-text');
  const mark = document.getElementById('{DOC_MARK_ID}');
  if (box && mark) {{ box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - box.clientHeight / 3); }}
  return args;
}}"""
SHOW_DOC_JS = f"""(...args) => {{
  const box = document.querySelector('.askjobs-doc-text');
  const mark = document.getElementById('{DOC_MARK_ID}');
  if (box && mark) {{ box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - box.clientHeight / 3); }}
  // On a phone the panel sits below the chat: bring the highlighted passage itself into view.
  if (mark && window.innerWidth < 700) {{ mark.scrollIntoView({{block: 'center'}}); }}
  return args;
}}"""

# Page script: a click (or Enter) on a [n] link in an answer opens that source in the document panel,
# through a hidden textbox whose `input` event the server listens to. Gradio's own English labels
# that its translation tables do not cover ("Liked", "Disliked") are put in French.
HEAD_JS = """<script>
(() => {
  const LABELS = {"Liked": "Vous aimez", "Disliked": "Vous n'aimez pas", "Feedback": "Avis détaillé",
    "Toggle Sidebar": "Afficher ou masquer le panneau Documents", "File upload": "Envoi de fichiers",
    "Click to upload or drop files": "Cliquez ou déposez des fichiers", "chatbot conversation": "Conversation",
    "Gradio footer navigation": "Pied de page"};
  const PREFIXES = [["user's message: ", "Votre question : "], ["bot's message: ", "Réponse d'askjobs : "],
    ["Select example ", "Choisir l'exemple : "]];
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a.askjobs-ref');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const m = (link.getAttribute('href') || '').match(/^#askjobs-ref-(\\d+)-(\\d+)$/);
    const box = document.querySelector('#askjobs-ref-target textarea, #askjobs-ref-target input');
    if (!m || !box) return;
    const open = document.querySelector('#askjobs-ref-open');
    box.value = m[1] + ':' + m[2];
    box.dispatchEvent(new Event('input', {bubbles: true}));
    if (open) setTimeout(() => open.click(), 50);
  }, true);
  const relabel = () => {
    document.querySelectorAll('[aria-label], [title]').forEach((el) => {
      for (const attr of ['aria-label', 'title']) {
        const v = el.getAttribute(attr);
        if (!v) continue;
        if (LABELS[v]) { el.setAttribute(attr, LABELS[v]); continue; }
        for (const [en, fr] of PREFIXES) {
          if (v.startsWith(en)) el.setAttribute(attr, fr + (el.innerText || '').trim().slice(0, 500));
        }
      }
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; relabel(); });
  }).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'title']});
})();
</script>"""


def esc(text: str) -> str:
    """Neutralise hidden characters, HTML-escape, and keep line breaks with no literal newline left."""
    return html.escape(safe_display(text.replace("\r\n", "\n")), quote=True).replace("\n", "<br>")


def highlight(text: str, start: int, end: int, *, mark_id: str | None = None, neutral: bool = False) -> str:
    """`text` as safe HTML with text[start:end] inside <mark>; each part is escaped on its own.

    `neutral`: a nearest passage of a refusal, underlined in a plain style rather than the citation yellow.
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"highlight span {start}–{end} is outside the text (length {len(text)})")
    attr = f' id="{mark_id}"' if mark_id else ""
    if neutral:
        return f"{esc(text[:start])}<span class=\"askjobs-near\"{attr}>{esc(text[start:end])}</span>{esc(text[end:])}"
    return f"{esc(text[:start])}<mark{attr}>{esc(text[start:end])}</mark>{esc(text[end:])}"


def seconds_fr(ms: float) -> str:
    """Milliseconds as French seconds: 1234 → '1,2 s'."""
    s = ms / 1000
    return (f"{s:.2f}" if s < 1 else f"{s:.1f}").replace(".", ",") + " s"


def number_fr(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def position(c: Citation) -> str:
    """'caractères 3092–3254' (and the page when the document has pages)."""
    page = f", page {c.page}" if c.page else ""
    return f"caractères {c.start}–{c.end}{page}"


def confidence_words(confidence: float) -> tuple[str, str]:
    """('sure' | 'probable' | 'uncertain', 'réponse sûre' …) for an answer's confidence."""
    for bound, key, words in CONFIDENCE_WORDS:
        if confidence >= bound:
            return key, words
    return CONFIDENCE_WORDS[-1][1:]


def understood_of(answer: Answer) -> str | None:
    """The question as understood, when a follow-up was resolved into another wording (else None)."""
    understood = getattr(answer, "understood", None)
    if isinstance(understood, str) and understood.strip() and understood.strip() != answer.question.strip():
        return understood
    return None


def form_of(answer: Answer) -> str:
    form = getattr(answer, "form", None)
    if isinstance(form, str) and form:
        return form
    return "fact" if answer.answerable and answer.citations else "refusal"


def render_question(question: str) -> str:
    """The user's question as shown in the chat: plain text, never HTML or Markdown."""
    return f"<div class=\"askjobs-question\">{esc(question)}</div>"


def ref_link(turn: int, c: Citation) -> str:
    """[n] as a link that opens this source in the document panel (a real <a href>: keyboard reachable)."""
    return (f"<a class=\"askjobs-ref\" href=\"#askjobs-ref-{turn}-{c.n}\" "
            f"title=\"Ouvrir la source {c.n} dans le panneau Document\">[{c.n}]</a>")


def quote_html(c: Citation) -> str:
    """The quote, with the short answer (amount, date, name) in bold when the reader marked it."""
    a, b = getattr(c, "answer_start", None), getattr(c, "answer_end", None)
    if isinstance(a, int) and isinstance(b, int) and c.start <= a < b <= c.end:
        rel_a, rel_b = a - c.start, b - c.start
        return (f"{esc(c.quote[:rel_a])}<strong class=\"askjobs-short\">{esc(c.quote[rel_a:rel_b])}</strong>"
                f"{esc(c.quote[rel_b:])}")
    return esc(c.quote)


def _understood_line(answer: Answer, understood: str | None = None) -> str:
    understood = understood or understood_of(answer)
    return (f"<div class=\"askjobs-understood\">Question comprise : <em>{esc(understood)}</em></div>"
            if understood else "")


def render_answer(answer: Answer, turn: int = 0, understood: str | None = None) -> str:
    """The reply bubble: how the question was understood, quotes with their [n] links, or a refusal.

    `turn` numbers the links; `understood` overrides the answer's own `understood` field.
    """
    total = answer.timings_ms.get("total", 0.0)
    head = _understood_line(answer, understood)
    if answer.answerable and answer.citations:
        if form_of(answer) == "list" and len(answer.citations) > 1:
            body = "<ul>" + "".join(f"<li>« {quote_html(c)} » {ref_link(turn, c)}</li>" for c in answer.citations) \
                + "</ul>"
        else:
            body = " ".join(f"« {quote_html(c)} » {ref_link(turn, c)}" for c in answer.citations)
        key, words = confidence_words(answer.confidence)
        n = len(answer.citations)
        note = ""
        if key == "uncertain":
            note = ("<div class=\"askjobs-tentative-note\">⚠️ Réponse incertaine : le passage cité semble proche "
                    "de la question, vérifiez-le dans la source.</div>")
        confidence = (f"<span class=\"askjobs-conf askjobs-conf-{key}\" "
                      f"title=\"confiance {number_fr(answer.confidence)} (de 0 à 1)\">{words}</span>")
        meta = f"{confidence} · {n} source{'s' if n > 1 else ''} · réponse en {seconds_fr(total)}"
        cls = "askjobs-answer askjobs-tentative" if key == "uncertain" else "askjobs-answer"
        return (f"<div class=\"askjobs-reply\">{head}{note}<div class=\"{cls}\">{body}</div>"
                f"<div class=\"askjobs-meta\">{meta}</div></div>")
    reason = getattr(answer, "reason", None)
    near = ("Voici les passages les plus proches (aucun ne répond), pour que vous puissiez juger vous-même."
            if answer.nearest else "Aucun passage proche dans les documents.")
    because = f"<br>{esc(reason)}" if isinstance(reason, str) and reason.strip() else ""
    return (f"<div class=\"askjobs-reply\">{head}<div class=\"askjobs-refusal\"><strong>🔍 Aucune réponse trouvée"
            f"</strong><br>{esc(answer.answer)}{because}<br>{near}</div>"
            f"<div class=\"askjobs-meta\">réponse en {seconds_fr(total)}</div></div>")


def render_clarification(message: str, choices: tuple[str, ...] | list[str]) -> str:
    """The question asked back when a follow-up could mean several things."""
    items = "".join(f"<li>{esc(c)}</li>" for c in choices)
    return (f"<div class=\"askjobs-reply askjobs-clarify\"><strong>🤔 De qui ou de quoi parlez-vous ?</strong><br>{esc(message)}"
            f"<ul>{items}</ul></div>")


def render_citation(c: Citation, *, neutral: bool = False) -> str:
    """One source: [n], title, file, position, and the passage with the quote highlighted (neutral for refusals)."""
    rel_start, rel_end = c.start - c.passage_start, c.end - c.passage_start
    if c.passage and 0 <= rel_start <= rel_end <= len(c.passage) and c.passage[rel_start:rel_end] == c.quote:
        passage = highlight(c.passage, rel_start, rel_end, neutral=neutral)
    else:  # should not happen; never show a misplaced highlight
        passage = f"<span class=\"askjobs-near\">{esc(c.quote)}</span>" if neutral else f"<mark>{esc(c.quote)}</mark>"
    return ("<div class=\"askjobs-source\">"
            f"<div><span class=\"askjobs-ref\">[{c.n}]</span> <strong>{esc(c.title)}</strong></div>"
            f"<div class=\"askjobs-source-meta\">📄 {esc(c.source)} · {position(c)}</div>"
            f"<blockquote class=\"askjobs-passage\">{passage}</blockquote></div>")


def is_refusal(answer: Answer) -> bool:
    return not (answer.answerable and answer.citations)


def sources_of(answer: Answer) -> tuple[Citation, ...]:
    """What the sources panel lists: the citations of an answer, or the nearest passages of a refusal."""
    return answer.nearest if is_refusal(answer) else answer.citations


def sources_title(answer: Answer) -> str:
    """Title of the folded sources message."""
    if not is_refusal(answer):
        n = len(answer.citations)
        return f"📚 Source{'s' if n > 1 else ''} ({n}) — passages complets"
    return f"🔎 Passages les plus proches ({len(answer.nearest)}) — aucun ne répond avec assez de certitude"


def render_sources(answer: Answer) -> str:
    """All sources of one reply, as the content of the folded sources message."""
    neutral = is_refusal(answer)
    items = "".join(render_citation(c, neutral=neutral) for c in sources_of(answer))
    hint = ("<div class=\"askjobs-source-meta\">Cliquez sur un numéro [n] de la réponse pour ouvrir le document "
            "complet au passage cité, dans le panneau « Document ».</div>")
    return f"<div class=\"askjobs-sources\">{items}{hint}</div>"


def render_warning(message: str) -> str:
    """A polite message when the question cannot be taken or something failed."""
    return f"<div class=\"askjobs-reply askjobs-warning\">⚠️ {esc(message)}</div>"


def render_document(text: str, c: Citation, *, neutral: bool = False) -> str:
    """The whole document with the cited span highlighted (a window around it for huge files)."""
    if not 0 <= c.start <= c.end <= len(text) or text[c.start:c.end] != c.quote:
        return render_document_placeholder("Le document a changé depuis cette réponse : posez la question à nouveau.")
    lo, hi, note = 0, len(text), ""
    if len(text) > MAX_DOC_CHARS:
        lo = max(0, c.start - MAX_DOC_CHARS // 2)
        hi = min(len(text), lo + MAX_DOC_CHARS)
        note = f" · extrait : caractères {lo}–{hi} sur {len(text)}"
    body = highlight(text[lo:hi], c.start - lo, c.end - lo, mark_id=DOC_MARK_ID, neutral=neutral)
    kind = " · passage proche, qui ne répond pas" if neutral else ""
    return ("<div class=\"askjobs-doc\">"
            f"<div class=\"askjobs-doc-head\"><span class=\"askjobs-ref\">[{c.n}]</span> <strong>{esc(c.title)}</strong>"
            f"<div class=\"askjobs-source-meta\">📄 {esc(c.source)} · {position(c)}{note}{kind}</div></div>"
            f"<div class=\"askjobs-doc-text\">{body}</div></div>")


def render_document_placeholder(message: str = "Posez une question : le document cité s'affichera ici, "
                                "avec le passage surligné.") -> str:
    return f"<div class=\"askjobs-doc askjobs-doc-empty\">{esc(message)}</div>"


def source_label(c: Citation) -> str:
    """Label of a source in the document chooser."""
    title = safe_display(c.title if len(c.title) <= 60 else c.title[:59] + "…")
    return f"[{c.n}] {title} — {safe_display(c.source)} ({position(c)})"


# --- Answers kept in the browser --------------------------------------------------------------
def answer_from_dict(data: dict | None) -> Answer | None:
    """An Answer back from `Answer.to_dict()` (as kept in the browser); unknown keys are ignored."""
    if not isinstance(data, dict):
        return None
    cfields = {f.name for f in dataclasses.fields(Citation)}
    afields = {f.name for f in dataclasses.fields(Answer)}

    def cite(c: dict) -> Citation:
        return Citation(**{k: v for k, v in c.items() if k in cfields})

    try:
        kwargs = {k: v for k, v in data.items() if k in afields and k not in ("citations", "nearest")}
        kwargs["citations"] = tuple(cite(c) for c in data.get("citations", []))
        kwargs["nearest"] = tuple(cite(c) for c in data.get("nearest", []))
        return Answer(**kwargs)
    except (TypeError, ValueError):
        return None


# --- The corpus: what is inside -----------------------------------------------------------------
def _short(title: str, limit: int = 80) -> str:
    return title if len(title) <= limit else title[:limit - 1] + "…"


def corpus_summary(documents: list[dict]) -> str:
    """Markdown for the empty chat: how many documents and their titles."""
    if not documents:
        return ("**Aucun document n'est encore indexé.** Ajoutez des fichiers dans le panneau « Documents » "
                "(à gauche), puis posez vos questions.")
    n = len(documents)
    titles = "\n".join(f"- « {_md(safe_display(_short(d['title'])))} »" for d in documents[:8])
    more = f"\n- … et {n - 8} autre(s)" if n > 8 else ""
    return (f"**askjobs répond à partir de {n} document{'s' if n > 1 else ''}** — chaque réponse est citée "
            f"mot pour mot, avec sa source :\n\n{titles}{more}\n\nPosez une question ci-dessous ou choisissez "
            "un exemple.")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~$])")


def _md(text: str) -> str:
    """Text shown literally inside Markdown (document titles may hold *, _, < …)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


LOADING_SUMMARY = ("**⏳ Chargement du modèle et de l'index…** Vous pouvez déjà écrire votre question : "
                   "elle sera traitée dès que askjobs sera prêt (quelques secondes).")


def render_corpus_loading() -> str:
    """The Documents panel while the model and the index load (the page is served before they are ready)."""
    return "<div class=\"askjobs-corpus\"><p>⏳ Chargement de la liste des documents…</p></div>"


def render_corpus(documents: list[dict], skipped: list[dict]) -> str:
    """The Documents panel: every indexed document (title, file, date, passages) and every skipped file."""
    if documents:
        rows = "".join(
            f"<tr><td><strong>{esc(_short(d['title'], 70))}</strong><br><span class=\"askjobs-source-meta\">"
            f"📄 {esc(d['source'])}</span></td><td>{esc(d.get('date') or '—')}</td><td>{d['passages']}</td></tr>"
            for d in documents)
        table = (f"<table><thead><tr><th>Document</th><th>Date</th><th>Passages</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    else:
        table = "<p>Aucun document indexé.</p>"
    n = len(documents)
    head = f"<p><strong>{n} document{'s' if n > 1 else ''} indexé{'s' if n > 1 else ''}</strong></p>"
    skipped_html = ""
    if skipped:
        items = "".join(f"<li><strong>{esc(s['source'])}</strong> — {esc(s['reason'])}</li>" for s in skipped)
        skipped_html = (f"<p class=\"askjobs-skipped\"><strong>{len(skipped)} fichier{'s' if len(skipped) > 1 else ''}"
                        f" ignoré{'s' if len(skipped) > 1 else ''}</strong></p><ul class=\"askjobs-skipped\">{items}</ul>")
    return f"<div class=\"askjobs-corpus\">{head}{table}{skipped_html}</div>"


# --- Export ----------------------------------------------------------------------------------
def _md_quote(text: str) -> str:
    return " ".join(safe_display(text).split())


def conversation_markdown(turns: list[tuple], when: datetime | None = None) -> str:
    """The conversation as Markdown: each question, how it was understood, the quoted answer and its citations.

    `turns`: (question as typed, its Answer or None, a message shown instead of an answer or None,
    and optionally the question as understood).
    """
    when = when or datetime.now()
    lines = [f"# Conversation askjobs — {when.strftime('%d/%m/%Y %H:%M')}", ""]
    for i, (question, answer, message, *rest) in enumerate(turns, start=1):
        lines += [f"## {i}. {_md_quote(question)}", ""]
        if answer is None:
            lines += [f"_{_md_quote(message or 'Pas de réponse.')}_", ""]
            continue
        understood = (rest[0] if rest else None) or understood_of(answer)
        if understood:
            lines += [f"Question comprise : *{_md_quote(understood)}*", ""]
        if is_refusal(answer):
            lines += [f"**{_md_quote(answer.answer)}**", ""]
            reason = getattr(answer, "reason", None)
            if isinstance(reason, str) and reason.strip():
                lines += [_md_quote(reason), ""]
            if answer.nearest:
                lines += ["Passages les plus proches (aucun ne répond) :", ""]
                lines += [f"- [{c.n}] « {_md_quote(c.quote)} » — {_md_quote(c.title)}, `{c.source}`, {position(c)}"
                          for c in answer.nearest]
                lines.append("")
            continue
        _, words = confidence_words(answer.confidence)
        lines += [f"> « {_md_quote(c.quote)} » [{c.n}]" + ("  " if k < len(answer.citations) - 1 else "")
                  for k, c in enumerate(answer.citations)]
        lines += ["", f"*{words[:1].upper()}{words[1:]} (confiance {number_fr(answer.confidence)})*", "", "Sources :", ""]
        lines += [f"- [{c.n}] {_md_quote(c.title)} — `{c.source}`, {position(c)}" for c in answer.citations]
        lines.append("")
    return "\n".join(lines)


# --- Gradio's own strings, in French whatever the browser's language -------------------------
# Flat keys take precedence over Gradio's nested tables in its translation lookup, so these win
# even for an English browser. Gradio's French table lacks some (copy_message…); all are here.
GRADIO_FR = {
    "chatbot.edit": "Modifier", "chatbot.retry": "Réessayer", "chatbot.undo": "Annuler",
    "chatbot.submit": "Envoyer", "chatbot.cancel": "Annuler", "chatbot.like": "J'aime",
    "chatbot.dislike": "Je n'aime pas", "chatbot.clear": "Effacer la conversation", "chatbot.complete": "Terminé",
    "chatbot.copy_message": "Copier le message", "chatbot.copied_message": "Message copié",
    "chat_interface.new_chat": "Nouvelle conversation", "chat_interface.message_placeholder": "Écrivez un message…",
    "chat_interface.chatbot": "Conversation", "chat_interface.conversation": "Conversation",
    "common.built_with": "créé avec", "common.built_with_gradio": "Créé avec Gradio", "common.clear": "Effacer",
    "common.download": "Télécharger", "common.download_all": "Tout télécharger", "common.edit": "Modifier",
    "common.empty": "Vide", "common.error": "Erreur", "common.hosted_on": "Hébergé sur",
    "common.loading": "Chargement", "common.logo": "logo", "common.or": "ou", "common.remove": "Retirer",
    "common.runs": "Exécutions", "common.runs_description": "Exécutions gardées dans ce navigateur",
    "common.back_to_app": "Application", "common.back_to_app_description": "Revenir à l'application",
    "common.settings": "Paramètres", "common.share": "Partager", "common.submit": "Envoyer",
    "common.undo": "Annuler", "common.no_devices": "Aucun périphérique trouvé", "common.language": "Langue",
    "common.display_theme": "Thème d'affichage", "common.pwa": "Application web progressive",
    "common.progress": "Progression", "common.record": "Enregistrer", "common.stop_recording": "Arrêter",
    "common.screen_studio": "Screen Studio", "common.share_gradio_tab": "Partager l'onglet", "common.run": "Exécuter",
    "errors.use_via_api": "Utiliser via l'API", "errors.use_via_api_or_mcp": "Utiliser via l'API ou MCP",
    "errors.contact_page_author": "Prévenez la personne qui gère cette page.",
    "errors.build_error": "il y a une erreur de construction", "errors.config_error": "il y a une erreur de configuration",
    "errors.runtime_error": "il y a une erreur d'exécution",
    "file.uploading": "Envoi en cours…", "dropdown.dropdown": "Liste déroulante", "slider.slider": "Curseur",
    "checkbox.checkbox": "Case à cocher", "label.label": "Étiquette",
    "status.queue_position": "En attente : {position} sur {size}",
    "blocks.connection_can_break": "Sur mobile, la connexion peut se couper si l'onglet passe en arrière-plan.",
    "blocks.long_requests_queue": "Beaucoup de questions sont en attente.",
    "blocks.lost_connection": "Connexion perdue en quittant la page. Reconnexion…",
    "blocks.waiting_for_inputs": "Attente de la fin de l'envoi des fichiers, réessayez.",
    "upload_text.click_to_upload": "Cliquez pour choisir un fichier", "upload_text.drop_file": "Déposez le fichier ici",
    "upload_text.drop_audio": "Déposez l'audio ici", "upload_text.drop_csv": "Déposez le fichier CSV ici",
    "upload_text.drop_image": "Déposez l'image ici", "upload_text.drop_video": "Déposez la vidéo ici",
    "upload_text.drop_gallery": "Déposez les fichiers ici", "upload_text.paste_clipboard": "Coller",
}
