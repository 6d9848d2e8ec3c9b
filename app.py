"""askjobs chat page: `python app.py` serves the Gradio chat on http://127.0.0.1:7860.

The page only formats what the library returns (see src/askjobs/ui.py); questions go through
`AskJobs.ask`, the same call the CLI makes. Importing this file loads no model.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import unicodedata
from pathlib import Path

import gradio as gr

from askjobs import ui
from askjobs.feedback import append_feedback, default_feedback_path, feedback_record
from askjobs.pipeline import AskJobs, QuestionError
from askjobs.schema import Answer

ERROR_MESSAGE = ("Désolé, une erreur inattendue s'est produite en cherchant la réponse. Réessayez ; "
                 "si le problème persiste, prévenez la personne qui gère askjobs.")
SHOWN_QUESTION_CHARS = 300  # a rejected question is echoed back at most this long


def _shown(question: object) -> str:
    """A rejected question as echoed in the chat: control characters made visible, long text cut."""
    text = question if isinstance(question, str) else ""
    text = "".join("\ufffd" if unicodedata.category(c) == "Cc" and c not in "\n\t" else c for c in text)
    return text if len(text) <= SHOWN_QUESTION_CHARS else text[:SHOWN_QUESTION_CHARS] + f"… ({len(text)} caractères)"


def _turn_of(history: list[dict], index: int) -> int:
    """Which question/answer turn the chat message at `index` belongs to (each turn starts with the user)."""
    return sum(1 for m in history[: index + 1] if m.get("role") == "user") - 1


def create_app(askjobs: AskJobs, feedback_path: Path | None = None) -> gr.Blocks:
    """The chat page over one AskJobs instance (loaded once, shared by every visitor)."""
    feedback_path = Path(feedback_path) if feedback_path else default_feedback_path()
    top_k = min(max(askjobs.settings.top_k, 1), 10)

    def document_view(answer: Answer | None, i: int) -> str:
        sources = ui.sources_of(answer) if answer else ()
        if not 0 <= i < len(sources):
            return ui.render_document_placeholder()
        c = sources[i]
        doc = askjobs.index.documents.get(c.source)
        if doc is None:
            return ui.render_document_placeholder(f"Le document {c.source} n'est plus dans l'index.")
        return ui.render_document(doc.text, c)

    def open_turn(answers: list, turn: int):
        """Dropdown and document view for the sources of one turn, its first source shown."""
        answer = answers[turn] if 0 <= turn < len(answers) else None
        if answer is None:
            return gr.update(choices=[], value=None), ui.render_document_placeholder()
        choices = [(ui.source_label(c), f"{turn}:{i}") for i, c in enumerate(ui.sources_of(answer))]
        return (gr.update(choices=choices, value=choices[0][1] if choices else None),
                document_view(answer, 0))

    def respond(question: str, history: list | None, answers: list | None, k: float):
        history, answers = list(history or []), list(answers or [])
        try:
            answer = askjobs.ask(question, k=int(k))
        except QuestionError as exc:
            history.append({"role": "user", "content": ui.render_question(_shown(question).strip() or "(question vide)")})
            history.append({"role": "assistant", "content": ui.render_warning(str(exc))})
            answers.append(None)
            return "", history, answers, gr.update(), gr.update()
        except Exception:  # the visitor gets a French message; the traceback goes to the server log
            traceback.print_exc(file=sys.stderr)
            history.append({"role": "user", "content": ui.render_question(_shown(question))})
            history.append({"role": "assistant", "content": ui.render_warning(ERROR_MESSAGE)})
            answers.append(None)
            return gr.update(), history, answers, gr.update(), gr.update()
        history.append({"role": "user", "content": ui.render_question(answer.question)})
        history.append({"role": "assistant", "content": ui.render_answer(answer)})
        if ui.sources_of(answer):
            history.append({"role": "assistant", "content": ui.render_sources(answer),
                            "metadata": {"title": ui.sources_title(answer)}})
        answers.append(answer)
        return ("", history, answers, *open_turn(answers, len(answers) - 1))

    def show_source(choice: str | None, answers: list):
        try:
            turn, i = map(int, (choice or "").split(":"))
            return document_view(answers[turn], i)
        except (ValueError, IndexError):
            return ui.render_document_placeholder()

    def select_message(history: list, answers: list, evt: gr.SelectData):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return open_turn(answers, _turn_of(history, int(index)))

    def like(history: list, answers: list, comment: str, evt: gr.LikeData):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = _turn_of(history, int(index))
        answer = answers[turn] if 0 <= turn < len(answers) else None
        if evt.liked not in (True, False) or answer is None:
            return gr.update(), gr.update()
        verdict = "up" if evt.liked is True else "down"
        try:
            append_feedback(feedback_path, feedback_record(answer.to_dict(), verdict, comment))
        except OSError:
            traceback.print_exc(file=sys.stderr)
            return gr.update(), "⚠️ Votre avis n'a pas pu être enregistré (fichier inaccessible)."
        note = " avec votre commentaire" if (comment or "").strip() else ""
        return "", f"Merci ! Avis {'👍' if verdict == 'up' else '👎'} enregistré{note}."

    def ask_api(question: str, k: int = top_k) -> dict:
        """Answer one French question; returns the askjobs Answer as JSON."""
        try:
            return askjobs.ask(question, k=int(k)).to_dict()
        except QuestionError as exc:
            raise gr.Error(str(exc)) from exc

    with gr.Blocks(title="askjobs — questions sur vos documents") as demo:
        gr.Markdown("# askjobs\nPosez une question en français : la réponse est citée **mot pour mot** "
                    "depuis les documents, avec sa source. Si les documents ne répondent pas, askjobs le dit.")
        answers = gr.State([])  # one Answer (or None for a rejected question) per turn
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=560, elem_id="askjobs-chat",
                                  feedback_options=("Like", "Dislike"), latex_delimiters=[], buttons=["copy"],
                                  placeholder="Posez votre question ci-dessous ou cliquez sur un exemple.")
                with gr.Row():
                    question = gr.Textbox(label="Votre question", placeholder="Ex. : " + ui.EXAMPLES[0],
                                          scale=5, lines=1, max_lines=4, autofocus=True, elem_id="askjobs-question")
                    send = gr.Button("Envoyer", variant="primary", scale=1, min_width=100)
                examples = gr.Examples(ui.EXAMPLES, inputs=[question], label="Exemples de questions (cliquez)")
                with gr.Row():
                    k = gr.Slider(1, 10, value=top_k, step=1, label="Nombre de passages consultés",
                                  info="Plus de passages : plus de sources examinées, un peu plus lent.")
                    new_chat = gr.Button("Nouvelle conversation", variant="secondary")
                comment = gr.Textbox(label="Commentaire sur une réponse (facultatif)", lines=1,
                                     info="Écrivez-le, puis cliquez 👍 ou 👎 sous la réponse : il est enregistré "
                                     "avec votre avis.")
                feedback_status = gr.Markdown(elem_id="askjobs-feedback-status")
            with gr.Column(scale=2):
                gr.Markdown("### 📄 Document\nLe document complet, ouvert au passage cité (surligné). "
                            "Cliquez sur une réponse pour afficher ses sources.")
                doc_choice = gr.Dropdown(label="Source affichée", choices=[], value=None, interactive=True,
                                         elem_id="askjobs-doc-choice")
                doc_view = gr.HTML(ui.render_document_placeholder(), elem_id="askjobs-doc-view")

        private = {"api_visibility": "private", "concurrency_id": "askjobs"}
        outputs = [question, chat, answers, doc_choice, doc_view]
        for trigger in (question.submit, send.click):
            trigger(respond, [question, chat, answers, k], outputs, **private).then(
                None, js=ui.SCROLL_TO_MARK_JS)
        examples.load_input_event.then(respond, [question, chat, answers, k], outputs, **private).then(
            None, js=ui.SCROLL_TO_MARK_JS)
        doc_choice.input(show_source, [doc_choice, answers], [doc_view], api_visibility="private").then(
            None, js=ui.SCROLL_TO_MARK_JS)
        chat.select(select_message, [chat, answers], [doc_choice, doc_view], api_visibility="private").then(
            None, js=ui.SCROLL_TO_MARK_JS)
        chat.like(like, [chat, answers, comment], [comment, feedback_status], api_visibility="private")
        reset = lambda: ([], [], gr.update(choices=[], value=None), ui.render_document_placeholder(), "")  # noqa: E731
        reset_outputs = [chat, answers, doc_choice, doc_view, feedback_status]
        new_chat.click(reset, None, reset_outputs, api_visibility="private")
        chat.clear(reset, None, reset_outputs, api_visibility="private")  # the chat's own 🗑 button
        gr.api(ask_api, api_name="ask", concurrency_id="askjobs")
    return demo


def prepare(askjobs: AskJobs, log=print) -> None:
    """Build, update or repair the index as needed, then load the model and index.

    `build` is cheap when nothing changed (file hashes and index checksums only, no model); it also
    repairs a damaged index, which a plain load would only refuse.
    """
    from askjobs.index import IndexError_, read_manifest

    try:
        if any(askjobs.stale_files().values()):
            log("Pas encore d'index : construction…" if read_manifest(askjobs.settings.index_dir) is None else
                "Les documents ont changé depuis la dernière indexation : mise à jour de l'index…")
    except IndexError_ as exc:
        log(f"Index inutilisable ({exc}) : reconstruction…")
    report = askjobs.build(progress=lambda label, n: n and log(f"  calcul des vecteurs : {n} {label}"))
    if report.repaired:
        log(f"Index réparé : l'index précédent était inutilisable ({report.repaired}) ; il a été reconstruit à "
            f"partir des documents ({report.embedded} textes encodés à nouveau).")
    if not report.up_to_date:
        log(f"Index prêt : {report.documents} document(s), {report.chunks} passages en {report.seconds:.1f} s "
            f"(ajoutés {len(report.added)}, modifiés {len(report.changed)}, supprimés {len(report.removed)}).")
    askjobs.warm_up()


def launch(demo: gr.Blocks, host: str, port: int, **kwargs):
    """Serve the page locally (never through a public share link)."""
    return demo.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, css=ui.CSS, footer_links=["api"], **kwargs)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    p = argparse.ArgumentParser(description="Le chat askjobs : questions en français sur vos documents.")
    p.add_argument("--host", default=os.environ.get("ASKJOBS_HOST", "127.0.0.1"),
                   help="adresse d'écoute (défaut : 127.0.0.1, ou $ASKJOBS_HOST)")
    p.add_argument("--port", type=int, default=int(os.environ.get("ASKJOBS_PORT", "7860")),
                   help="port (défaut : 7860, ou $ASKJOBS_PORT)")
    p.add_argument("--corpus", type=Path, help="dossier des documents (défaut : corpus/)")
    p.add_argument("--index", type=Path, help="dossier de l'index (défaut : index/)")
    p.add_argument("--feedback", type=Path, help="fichier des avis 👍/👎 (défaut : feedback/feedback.jsonl)")
    args = p.parse_args(argv)

    from askjobs.config import Settings
    from askjobs.embed import ModelError
    from askjobs.index import IndexError_

    askjobs = AskJobs(Settings().with_(corpus_dir=args.corpus, index_dir=args.index))
    try:
        print(f"Chargement du modèle et de l'index ({askjobs.settings.index_dir})…", file=sys.stderr)
        prepare(askjobs, log=lambda msg: print(msg, file=sys.stderr))
    except (IndexError_, ModelError, ValueError, FileNotFoundError) as exc:  # French messages, never a trace
        print(f"askjobs : {exc}", file=sys.stderr)
        return 2
    print(f"Chat prêt : http://{args.host}:{args.port}", file=sys.stderr)
    launch(create_app(askjobs, feedback_path=args.feedback), args.host, args.port, quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
