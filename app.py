"""askjobs chat page: `python app.py` serves the Gradio chat on http://127.0.0.1:7860.

The page only formats what the library returns (see src/askjobs/ui.py); questions go through
`AskJobs.ask`, the same call the CLI makes, with the previous turns for follow-up questions.
The "Documents" sidebar lists what is indexed and lets a person add, remove and re-index files
(hidden with --read-only). Importing this file loads no model, nor Gradio (imported by create_app):
`python app.py` loads the index in a background thread and the question encoder in a child process
(askjobs.encoder_process) while it imports Gradio and serves the page (a page served before they are
loaded says so; a question asked then waits for them).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import tempfile
import threading
import traceback
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from askjobs import ui
from askjobs.display import safe_display
from askjobs.embed import ModelError
from askjobs.feedback import FeedbackError, RateLimiter, append_feedback, default_feedback_path, feedback_record
from askjobs.files import os_reason
from askjobs.followup import resolve_followup
from askjobs.ingest import SUPPORTED_SUFFIXES
from askjobs.pipeline import AskJobs, QuestionError
from askjobs.schema import Answer
from askjobs.text import analyze, normalize
from askjobs.threads import start_loading

if TYPE_CHECKING:
    import gradio as gr

ERROR_MESSAGE = ("Désolé, une erreur inattendue s'est produite en cherchant la réponse. Réessayez ; "
                 "si le problème persiste, prévenez la personne qui gère askjobs.")
SHOWN_QUESTION_CHARS = 300  # a rejected question is echoed back at most this long
MAX_UPLOAD_NAME = 120  # characters of an uploaded file's name
# What a file's first bytes must be for its suffix (checked before anything is written).
MAGIC = {".pdf": (b"%PDF",), ".docx": (b"PK\x03\x04",)}


def _shown(question: object) -> str:
    """A rejected question as echoed in the chat: control characters made visible, long text cut."""
    text = question if isinstance(question, str) else ""
    text = "".join("\ufffd" if unicodedata.category(c) == "Cc" and c not in "\n\t" else c for c in text)
    return text if len(text) <= SHOWN_QUESTION_CHARS else text[:SHOWN_QUESTION_CHARS] + f"… ({len(text)} caractères)"


def _turn_of(history: list[dict], index: int) -> int:
    """Which question/answer turn the chat message at `index` belongs to (each turn starts with the user)."""
    return sum(1 for m in history[: index + 1] if m.get("role") == "user") - 1


def _gradio():
    """Import Gradio (~1.3 s of CPU) on first use, as this module's global `gr`: Gradio resolves the
    handlers' type hints (gr.SelectData, gr.LikeData, gr.Request) in this module's namespace."""
    global gr
    if "gradio" not in sys.modules:
        sys.meta_path.insert(0, _NoStubWriting())
    import gradio

    gr = gradio
    return gradio


class _NoStubWriting:
    """Import finder that makes Gradio's import skip writing type stubs (`create_or_modify_pyi`).

    Gradio 6 re-reads and `ast.parse`s its own source file for each of its ~80 component classes as it
    defines them, to write `.pyi` stubs for type checkers beside them (into site-packages, errors ignored):
    0.9 s of the 2.2 s of CPU its import costs, holding the GIL while the model loads. The stubs are
    shipped with Gradio; nothing at run time reads them. Any other Gradio module loads untouched; a
    Gradio without that function is left as it is.
    """

    def find_spec(self, name, path, target=None):
        if name != "gradio.component_meta":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            if callable(getattr(module, "create_or_modify_pyi", None)):
                module.create_or_modify_pyi = lambda *args, **kwargs: None
        spec.loader.exec_module = exec_module
        return spec


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "oui", "on")


# --- Uploads: safe names, checked before writing ------------------------------------------------
class UploadError(ValueError):
    """An uploaded file askjobs will not write; the message (in French) says why."""


def safe_upload_name(name: str) -> str:
    """The file name an upload may be saved under in the corpus folder, or UploadError.

    Only a plain name is accepted: no folder part, no "..", no hidden file, no control character.
    """
    if not isinstance(name, str) or not name.strip():
        raise UploadError("Le fichier n'a pas de nom.")
    if "/" in name or "\\" in name or name.strip() in (".", "..") or ".." in Path(name.replace("\\", "/")).parts:
        raise UploadError(f"Nom de fichier refusé : « {safe_display(name)} » contient un chemin de dossier. "
                          "Envoyez le fichier sous un simple nom, par exemple rapport.pdf.")
    name = unicodedata.normalize("NFC", name.strip())
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name) or name.startswith(".") or ".." in name:
        raise UploadError(f"Nom de fichier refusé : « {safe_display(name)} ». Renommez-le avec des lettres, "
                          "chiffres, espaces ou tirets.")
    if len(name) > MAX_UPLOAD_NAME:
        raise UploadError(f"Nom de fichier trop long ({len(name)} caractères, maximum {MAX_UPLOAD_NAME}).")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadError(f"« {safe_display(name)} » : format non pris en charge. Formats acceptés : "
                          f"{', '.join(SUPPORTED_SUFFIXES)}.")
    return name


def save_upload(src: Path, name: str, corpus_dir: Path, max_bytes: int) -> str:
    """Copy one uploaded file into the corpus folder; returns what happened (French). Never overwrites.

    Name, type and size are checked before anything is written; a same-named file with other content
    is kept and the new one saved as "nom-2.ext"; the same bytes already present are not copied again.
    """
    name = safe_upload_name(name)
    size = src.stat().st_size
    if size == 0:
        raise UploadError(f"« {name} » est vide.")
    if size > max_bytes:
        raise UploadError(f"« {name} » est trop gros ({size / 1e6:.1f} Mo ; maximum {max_bytes / 1e6:.0f} Mo, "
                          "réglable par ASKJOBS_MAX_FILE_MB).")
    with open(src, "rb") as f:
        head = f.read(8)
    magic = MAGIC.get(Path(name).suffix.lower())
    if magic and not head.startswith(magic):
        raise UploadError(f"« {name} » n'est pas un vrai fichier {Path(name).suffix.lower()} (contenu d'un autre type).")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    data = src.read_bytes()
    for n in range(1, 100):
        candidate = name if n == 1 else f"{stem}-{n}{suffix}"
        target = corpus_dir / candidate
        if target.exists() or target.is_symlink():
            if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
                return f"« {candidate} » est déjà dans les documents (même contenu) : rien à ajouter."
            continue
        try:
            with open(target, "xb") as out:  # exclusive: never replaces a file created meanwhile
                out.write(data)
        except FileExistsError:
            continue
        if candidate != name:
            return f"« {name} » existait déjà avec un autre contenu : le nouveau fichier est enregistré sous « {candidate} »."
        return f"« {name} » ajouté."
    raise UploadError(f"Trop de fichiers nommés « {name} » : renommez-le.")


def remove_document(source: str, corpus_dir: Path, known: set[str]) -> None:
    """Delete one corpus file that the index lists (a name from the page, never an arbitrary path)."""
    if source not in known:
        raise UploadError(f"« {safe_display(source)} » n'est pas un document de l'index.")
    root = corpus_dir.resolve()
    path = (corpus_dir / source)
    if not path.resolve().is_relative_to(root) and not path.is_symlink():
        raise UploadError(f"« {safe_display(source)} » est hors du dossier des documents.")
    if not (path.is_file() or path.is_symlink()):
        raise UploadError(f"« {safe_display(source)} » n'existe plus dans le dossier des documents.")
    path.unlink()


# --- What is inside ------------------------------------------------------------------------------
def corpus_listing(askjobs: AskJobs) -> tuple[list[dict], list[dict]]:
    """(documents: title, source, date, passages; skipped: source, reason) of the current index."""
    try:
        index = askjobs.index
    except Exception:  # no index yet, or unusable: the panel says so and upload still works
        return [], []
    passages: dict[str, int] = {}
    for c in index.chunks:
        passages[c.source] = passages.get(c.source, 0) + 1
    docs = [{"source": d.source, "title": d.title, "date": d.date, "passages": passages.get(d.source, 0)}
            for d in sorted(index.documents.values(), key=lambda d: d.source)]
    skipped = [{"source": e["source"], "reason": e["reason"]} for e in index.manifest.get("skipped", [])]
    return docs, skipped


def corpus_examples(askjobs: AskJobs, documents: list[dict]) -> list[str]:
    """Example questions that fit this corpus: the built-in ones whose words it contains, else one per document."""
    try:
        index = askjobs.index
        vocabulary = set()
        for d in index.documents.values():
            vocabulary.update(analyze(d.text[:200_000]))
    except Exception:
        return []
    fitting = []
    for q in ui.EXAMPLES:
        terms = set(analyze(q))
        if terms and len(terms & vocabulary) / len(terms) >= 0.8:
            fitting.append(q)
    if len(fitting) < 2:
        fitting += [f"De quoi parle le document {d['source']} ?" for d in documents[:3]]
    return fitting + [ui.OFF_TOPIC_EXAMPLE]


# --- One conversation ------------------------------------------------------------------------------
def history_of(answers: list) -> list[dict]:
    """The previous turns as `AskJobs.ask(history=…)` takes them: question and answer JSON, oldest first."""
    turns = []
    for a in answers:
        if isinstance(a, dict) and isinstance(a.get("question"), str) and "answerable" in a:
            turns.append({"question": a["question"], "answer": a})
    return turns


def _pending_choice(question: str, answers: list) -> str | None:
    """The reply to a clarification: "les architectes IA" after "…peut porter sur A ou B" → that question."""
    last = answers[-1] if answers else None
    if not (isinstance(last, dict) and isinstance(last.get("clarify"), dict)):
        return None
    clarify = last["clarify"]
    q = " ".join(normalize(question).strip(" ?!.").split())
    for choice, example in zip(clarify.get("choices", []), clarify.get("examples", [])):
        c = " ".join(normalize(choice).split())
        if q and (q == c or q in c or c in q):
            return example
    return None


class Chat:
    """The chat's logic over one AskJobs (no Gradio): ask with history, resolve follow-ups, keep answers as JSON."""

    def __init__(self, askjobs: AskJobs):
        self.askjobs = askjobs
        self.takes_history = "history" in inspect.signature(askjobs.ask).parameters

    def ask(self, question: str, k: int, answers: list) -> dict:
        """The answer JSON for `question` after the turns in `answers`; {"clarify": …} when ambiguous."""
        chosen = _pending_choice(question, answers)
        history = history_of(answers)
        if chosen:  # the person picked one of the choices offered: answer the question it completes
            question_asked, question, history = question, chosen, []
        else:
            question_asked = question
        resolution = resolve_followup(question, history)
        if resolution.ambiguous:
            return {"question": question_asked, "clarify": {
                "message": resolution.clarification(), "choices": list(resolution.choices),
                "examples": resolution.context.get("examples", []), "context": resolution.context}}
        if self.takes_history and history:
            answer = self.askjobs.ask(question, k=k, history=history)
            data = answer.to_dict()
        else:
            answer = self.askjobs.ask(resolution.question, k=k)
            data = answer.to_dict()
            data["question"] = question_asked
            if resolution.context:
                data["understood"] = resolution.question
                data["query"] = {**(data.get("query") or {}), "context": resolution.context}
        if chosen:
            data["question"] = question_asked
            data.setdefault("understood", question)
            data["understood"] = data.get("understood") or question
        return data


def answer_of(data: dict | None) -> Answer | None:
    return ui.answer_from_dict(data) if isinstance(data, dict) and "answerable" in data else None


def understood_in(data: dict) -> str | None:
    u = data.get("understood")
    return u if isinstance(u, str) and u.strip() and u.strip() != str(data.get("question", "")).strip() else None


def render_turn(data: dict, turn: int) -> list[dict]:
    """The assistant messages of one turn: the answer, then its folded sources."""
    if "clarify" in data:
        c = data["clarify"]
        return [{"role": "assistant", "content": ui.render_clarification(c["message"], c["choices"])}]
    if "warning" in data:
        return [{"role": "assistant", "content": ui.render_warning(data["warning"])}]
    answer = answer_of(data)
    html = ui.render_answer(answer, turn, understood=understood_in(data))
    messages = [{"role": "assistant", "content": html}]
    if ui.sources_of(answer):
        messages.append({"role": "assistant", "content": ui.render_sources(answer),
                         "metadata": {"title": ui.sources_title(answer), "status": "done"}})
    return messages


def export_markdown(answers: list) -> str:
    turns = []
    for data in answers:
        if not isinstance(data, dict):
            continue
        message = data.get("clarify", {}).get("message") or data.get("warning")
        turns.append((data.get("question", ""), answer_of(data), message, understood_in(data)))
    return ui.conversation_markdown(turns)


# --- Start-up: the page is served while the model and the index load ----------------------------
class StartupError(RuntimeError):
    """The model or the index could not be prepared; the message (in French) says why and what to do."""


class Startup:
    """`prepare` run in a background thread, so the page can be served while the model and index load."""

    def __init__(self, askjobs: AskJobs, log=print):
        self.askjobs = askjobs
        self.log = log
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="askjobs-startup", daemon=True)

    def start(self) -> "Startup":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            prepare(self.askjobs, log=self.log)
        except BaseException as exc:  # kept for wait(): the questions and the main thread report it
            self.error = exc
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        """Loaded without error: questions are answered at once."""
        return self._done.is_set() and self.error is None

    def wait(self) -> None:
        """Return once the model and the index are loaded; StartupError if preparing them failed."""
        self._done.wait()
        if self.error is not None:
            raise StartupError(f"askjobs n'a pas pu charger le modèle ou l'index : {self.error}") from self.error


# --- The page ------------------------------------------------------------------------------------
def create_app(askjobs: AskJobs, feedback_path: Path | None = None, read_only: bool | None = None,
               startup: Startup | None = None) -> gr.Blocks:
    """The chat page over one AskJobs instance (loaded once, shared by every visitor).

    With `startup` still running, the page says that the model and the index are loading; a question
    asked meanwhile waits for them, and the document list fills in once they are loaded.
    """
    gr = _gradio()

    feedback_path = Path(feedback_path) if feedback_path else default_feedback_path()
    feedback_limiter = RateLimiter()  # per client address: a script cannot flood the feedback file
    read_only = env_flag("ASKJOBS_READ_ONLY") if read_only is None else read_only
    top_k = min(max(askjobs.settings.top_k, 1), 10)
    chat_logic = Chat(askjobs)
    build_lock = threading.Lock()
    export_dir = Path(tempfile.mkdtemp(prefix="askjobs-export-"))

    def loaded() -> None:
        """Wait for the model and the index when the page was served before they were ready."""
        if startup is not None:
            startup.wait()

    def document_view(answer: Answer | None, i: int) -> str:
        sources = ui.sources_of(answer) if answer else ()
        if not 0 <= i < len(sources):
            return ui.render_document_placeholder()
        c = sources[i]
        doc = askjobs.index.documents.get(c.source)
        if doc is None:
            return ui.render_document_placeholder(f"Le document {c.source} n'est plus dans l'index.")
        return ui.render_document(doc.text, c, neutral=ui.is_refusal(answer))

    def open_turn(answers: list, turn: int, i: int = 0):
        """Dropdown and document view for the sources of one turn, source `i` shown."""
        answer = answer_of(answers[turn]) if 0 <= turn < len(answers) else None
        if answer is None:
            return gr.update(choices=[], value=None), ui.render_document_placeholder()
        choices = [(ui.source_label(c), f"{turn}:{j}") for j, c in enumerate(ui.sources_of(answer))]
        i = i if 0 <= i < len(choices) else 0
        return (gr.update(choices=choices, value=choices[i][1] if choices else None), document_view(answer, i))

    def export_file(answers: list):
        if not any(isinstance(a, dict) for a in answers):
            return gr.update(value=None, interactive=False)
        path = export_dir / f"conversation-askjobs-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.md"
        path.write_text(export_markdown(answers), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

    def respond(question: str, history: list | None, answers: list | None, k: float):
        history, answers = list(history or []), list(answers or [])
        turn = len(answers)
        try:
            loaded()
            data = chat_logic.ask(question, int(k), answers)
        except StartupError as exc:  # the server stops: the log says why (see main)
            history.append({"role": "user", "content": ui.render_question(_shown(question))})
            data = {"question": _shown(question), "warning": str(exc)}
            history += render_turn(data, turn)
            answers.append(data)
            return gr.update(), history, answers, gr.update(), gr.update(), export_file(answers)
        except QuestionError as exc:
            history.append({"role": "user", "content": ui.render_question(_shown(question).strip() or "(question vide)")})
            data = {"question": _shown(question), "warning": str(exc)}
            history += render_turn(data, turn)
            answers.append(data)
            return "", history, answers, gr.update(), gr.update(), export_file(answers)
        except ModelError as exc:  # e.g. the process encoding questions died: French, said once in the log
            print(f"askjobs : {exc}", file=sys.stderr)
            history.append({"role": "user", "content": ui.render_question(_shown(question))})
            data = {"question": _shown(question), "warning": str(exc)}
            history += render_turn(data, turn)
            answers.append(data)
            return gr.update(), history, answers, gr.update(), gr.update(), export_file(answers)
        except Exception:  # the visitor gets a French message; the traceback goes to the server log
            traceback.print_exc(file=sys.stderr)
            history.append({"role": "user", "content": ui.render_question(_shown(question))})
            data = {"question": _shown(question), "warning": ERROR_MESSAGE}
            history += render_turn(data, turn)
            answers.append(data)
            return gr.update(), history, answers, gr.update(), gr.update(), export_file(answers)
        history.append({"role": "user", "content": ui.render_question(data["question"])})
        history += render_turn(data, turn)
        answers.append(data)
        return ("", history, answers, *open_turn(answers, turn), export_file(answers))

    def show_source(choice: str | None, answers: list):
        try:
            turn, i = map(int, (choice or "").split(":"))
            return document_view(answer_of(answers[turn]), i)
        except (ValueError, IndexError):
            return ui.render_document_placeholder()

    def open_ref(target: str, answers: list):
        """A [n] link was clicked: open source n of that turn in the document panel."""
        try:
            turn, n = (int(x) for x in (target or "").split(":")[:2])
        except ValueError:
            return gr.update(), gr.update()
        return open_turn(answers, turn, n - 1)

    def select_message(history: list, answers: list, evt: gr.SelectData):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return open_turn(answers, _turn_of(history, int(index)))

    def like(history: list, answers: list, comment: str, evt: gr.LikeData, request: gr.Request = None):
        client = getattr(getattr(request, "client", None), "host", None) or "?"
        if not feedback_limiter.allow(client):
            print(f"askjobs : avis refusé (trop d'avis de {client} en peu de temps).", file=sys.stderr)
            return gr.update(), "⚠️ Trop d'avis envoyés en peu de temps : attendez quelques secondes puis réessayez."
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = _turn_of(history, int(index))
        data = answers[turn] if 0 <= turn < len(answers) else None
        if not isinstance(data, dict) or "answerable" not in data:
            return gr.update(), "Cet avis ne porte sur aucune réponse : il n'est pas enregistré."
        if evt.liked is True:
            verdict, reason = "up", None
        elif evt.liked is False:
            verdict, reason = "down", None
        elif evt.liked in ui.FEEDBACK_REASONS:
            verdict, reason = "down", evt.liked
        else:  # an un-like (the same thumb clicked again) or an unknown option
            return gr.update(), "Avis retiré de l'affichage (l'avis déjà enregistré reste dans le fichier)."
        try:
            record = feedback_record(data, verdict, comment)
            if reason:
                record["reason"] = reason
            if understood_in(data):
                record["understood"] = data["understood"]
                record["context"] = (data.get("query") or {}).get("context")
            append_feedback(feedback_path, record)
        except FeedbackError as exc:  # too long a comment, a full feedback file: the visitor can act on it
            return gr.update(), f"⚠️ {exc}"
        except OSError as exc:  # one line in the log; the file is left whole (see askjobs.feedback)
            print(f"askjobs : avis non enregistré dans {feedback_path} ({os_reason(exc)}).", file=sys.stderr)
            return gr.update(), (f"⚠️ Votre avis n'a pas pu être enregistré ({os_reason(exc)}). Votre commentaire est "
                                 "conservé ci-dessus : réessayez plus tard.")
        note = " avec votre commentaire" if (comment or "").strip() else ""
        what = f"👎 « {reason} »" if reason else ("👍" if verdict == "up" else "👎")
        return "", f"✅ Merci ! Avis {what} enregistré{note}."

    def ask_api(question: str, k: int = top_k, history: list | None = None) -> dict:
        """Answer one French question (with the previous turns for a follow-up); returns the Answer JSON."""
        try:
            loaded()
            turns = [t for t in (history or []) if isinstance(t, dict)]
            previous = [t.get("answer") if isinstance(t.get("answer"), dict) else
                        {"question": t.get("question"), "answerable": False} for t in turns]
            data = chat_logic.ask(question, int(k), [p for p in previous if isinstance(p, dict)])
        except QuestionError as exc:  # one line in the server log, not a traceback per rejected question
            print(f"askjobs : question refusée par /ask ({exc})", file=sys.stderr)
            raise gr.Error(str(exc), print_exception=False) from None
        except ModelError as exc:
            print(f"askjobs : {exc}", file=sys.stderr)
            raise gr.Error(str(exc), print_exception=False) from None
        except StartupError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if "clarify" in data:
            c = data["clarify"]
            return {"question": data["question"], "answer": c["message"], "answerable": False, "form": "clarification",
                    "choices": c["choices"], "confidence": 0.0, "citations": [], "nearest": [],
                    "query": {"context": c["context"]}, "timings_ms": {}}
        return data

    # --- the Documents panel ---
    def settled() -> None:
        """Wait for start-up before reading or changing the documents; a failed one leaves an unusable
        index, which corpus_listing reports as empty and a rebuild repairs."""
        try:
            loaded()
        except StartupError:
            pass

    def corpus_state():
        settled()
        docs, skipped = corpus_listing(askjobs)
        examples = [{"text": q, "display_text": q} for q in corpus_examples(askjobs, docs)]
        return (ui.render_corpus(docs, skipped),
                gr.update(choices=[d["source"] for d in docs], value=None),
                gr.update(placeholder=ui.corpus_summary(docs), examples=examples))

    def rebuild(progress: gr.Progress, before: str = "") -> str:
        from askjobs.index import IndexError_
        from askjobs.pipeline import NothingIndexedError

        if not build_lock.acquire(blocking=False):
            return before + "Une indexation est déjà en cours : réessayez dans un instant."
        try:
            progress(0.05, desc="Lecture des documents…")
            seen = [0]

            def step(label: str, n: int) -> None:
                seen[0] += n
                progress(min(0.9, 0.1 + seen[0] / 400), desc=f"Calcul des vecteurs : {seen[0]} {label}")

            report = askjobs.build(progress=step)
            askjobs.warm_up()
            progress(1.0, desc="Index prêt")
        except NothingIndexedError as exc:
            return before + f"⚠️ {exc}"
        except IndexError_ as exc:
            return before + f"⚠️ Indexation impossible : {exc}"
        finally:
            build_lock.release()
        parts = [f"{label} : {len(files)}" for label, files in
                 (("ajoutés", report.added), ("modifiés", report.changed), ("retirés", report.removed)) if files]
        summary = ", ".join(parts) or "aucun changement"
        skipped = f" · {len(report.skipped)} fichier(s) ignoré(s), voir la liste" if report.skipped else ""
        return before + f"✅ Index à jour : {report.documents} document(s), {report.chunks} passages ({summary}){skipped}."

    def upload(files: list | None, progress=gr.Progress()):
        settled()  # the start-up build and this one must not overlap
        if read_only:
            return "⚠️ Ce site est en lecture seule : l'ajout de documents est désactivé.", None, *corpus_state()
        paths = [f if isinstance(f, str) else getattr(f, "name", None) for f in (files or [])]
        if not [p for p in paths if p]:
            return "Choisissez d'abord un ou plusieurs fichiers.", None, *corpus_state()
        lines, added = [], 0
        for p in paths:
            src = Path(p)
            try:
                message = save_upload(src, src.name, askjobs.settings.corpus_dir, askjobs.settings.max_file_bytes)
                added += "rien à ajouter" not in message
                lines.append("✅ " + message)
            except UploadError as exc:
                lines.append("⛔ " + str(exc))
        before = "\n".join(f"- {x}" for x in lines) + "\n\n"
        status = rebuild(progress, before) if added else before + "Aucun nouveau fichier : l'index n'a pas changé."
        return status, None, *corpus_state()

    def remove(source: str | None, progress=gr.Progress()):
        settled()
        if read_only:
            return "⚠️ Ce site est en lecture seule : le retrait de documents est désactivé.", *corpus_state()
        if not source:
            return "Choisissez d'abord le document à retirer.", *corpus_state()
        docs, _ = corpus_listing(askjobs)
        try:
            remove_document(source, askjobs.settings.corpus_dir, {d["source"] for d in docs})
        except UploadError as exc:
            return f"⛔ {exc}", *corpus_state()
        return rebuild(progress, f"« {safe_display(source)} » retiré du dossier des documents.\n\n"), *corpus_state()

    def reindex(progress=gr.Progress()):
        settled()
        if read_only:
            return "⚠️ Ce site est en lecture seule.", *corpus_state()
        return rebuild(progress), *corpus_state()

    if startup is None or startup.ready:
        docs0, skipped0 = corpus_listing(askjobs)
        examples0 = [{"text": q, "display_text": q} for q in corpus_examples(askjobs, docs0)]
        corpus0, summary0 = ui.render_corpus(docs0, skipped0), ui.corpus_summary(docs0)
    else:  # served while loading: the page says so, and the load event below fills it in (corpus_state)
        docs0, examples0 = [], []
        corpus0, summary0 = ui.render_corpus_loading(), ui.LOADING_SUMMARY
    with gr.Blocks(title="askjobs — questions sur vos documents") as demo:
        answers = gr.State([])  # one answer JSON (or a clarification / warning) per turn
        saved = gr.BrowserState({"chat": [], "answers": []}, storage_key="askjobs-conversation")
        with gr.Sidebar(label="Documents", open=False, width=380, elem_id="askjobs-sidebar"):
            gr.Markdown("### 📁 Documents\nLes documents dans lesquels askjobs cherche les réponses.")
            corpus_html = gr.HTML(corpus0, elem_id="askjobs-corpus")
            remove_choice = None
            if not read_only:  # a public site lists its documents but nobody may change them
                upload_files = gr.File(label="Ajouter des documents", file_count="multiple",
                                       file_types=list(SUPPORTED_SUFFIXES), type="filepath",
                                       elem_id="askjobs-upload")
                gr.Markdown(f"Formats : {', '.join(SUPPORTED_SUFFIXES)} · {askjobs.settings.max_file_mb:g} Mo maximum "
                            "par fichier.", elem_classes=["askjobs-source-meta"])
                upload_btn = gr.Button("Ajouter et indexer", variant="primary", elem_id="askjobs-upload-btn")
                remove_choice = gr.Dropdown(label="Retirer un document", choices=[d["source"] for d in docs0],
                                            value=None, elem_id="askjobs-remove-choice")
                remove_btn = gr.Button("Retirer ce document", variant="stop", elem_id="askjobs-remove-btn")
                reindex_btn = gr.Button("Ré-indexer le dossier", elem_id="askjobs-reindex-btn")
            docs_status = gr.Markdown(elem_id="askjobs-docs-status")
        gr.Markdown("# askjobs\nPosez une question en français : la réponse est citée **mot pour mot** depuis les "
                    "documents, avec sa source. Si les documents ne répondent pas, askjobs le dit. "
                    "Les documents sont listés dans le panneau « Documents » (bouton en haut à gauche).",
                    elem_id="askjobs-intro")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                chat = gr.Chatbot(label="Conversation", height=540, elem_id="askjobs-chat",
                                  feedback_options=("Like", "Dislike", *ui.FEEDBACK_REASONS), latex_delimiters=[],
                                  buttons=["copy"], placeholder=summary0, examples=examples0)
                with gr.Row():
                    question = gr.Textbox(label="Votre question", placeholder="Posez votre question en français…",
                                          scale=5, lines=1, max_lines=4, autofocus=True, elem_id="askjobs-question",
                                          show_label=False)
                    send = gr.Button("Envoyer", variant="primary", scale=1, min_width=90)
                feedback_status = gr.Markdown(elem_id="askjobs-feedback-status")
                with gr.Row():
                    new_chat = gr.Button("Nouvelle conversation", variant="secondary", elem_id="askjobs-reset")
                    export = gr.DownloadButton("Exporter la conversation", value=None, interactive=False,
                                               elem_id="askjobs-export")
                with gr.Accordion("Réglages et commentaire", open=False):
                    k = gr.Slider(1, 10, value=top_k, step=1, label="Nombre de passages consultés",
                                  info="Plus de passages : plus de sources examinées, un peu plus lent.")
                    comment = gr.Textbox(label="Commentaire sur une réponse (facultatif)", lines=1,
                                         info="Écrivez-le, puis cliquez 👍, 👎 ou ⚑ sous la réponse : il est "
                                         "enregistré avec votre avis.", elem_id="askjobs-comment")
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### 📄 Document\nLe document complet, ouvert au passage cité (surligné). "
                            "Cliquez sur un numéro [n] dans une réponse pour l'ouvrir ici.")
                doc_choice = gr.Dropdown(label="Source affichée", choices=[], value=None, interactive=True,
                                         elem_id="askjobs-doc-choice")
                doc_view = gr.HTML(ui.render_document_placeholder(), elem_id="askjobs-doc-view")
        # A [n] link in an answer writes "turn:n" here and clicks the button (see ui.HEAD_JS).
        ref_target = gr.Textbox(visible=True, elem_id="askjobs-ref-target", show_label=False, container=False)
        ref_open = gr.Button("Ouvrir la source", visible=True, elem_id="askjobs-ref-open")

        private = {"api_visibility": "private", "concurrency_id": "askjobs"}
        docs_private = {"api_visibility": "private", "concurrency_id": "documents", "concurrency_limit": 1}
        outputs = [question, chat, answers, doc_choice, doc_view, export]

        def save(history, answers_):
            return {"chat": history, "answers": answers_}

        def after(event):
            event.then(None, js=ui.SCROLL_TO_MARK_JS).then(save, [chat, answers], [saved], api_visibility="private")

        for trigger in (question.submit, send.click):
            after(trigger(respond, [question, chat, answers, k], outputs, **private))

        def example(history, answers_, k_, evt: gr.SelectData):
            value = evt.value.get("text") if isinstance(evt.value, dict) else evt.value
            return respond(str(value or ""), history, answers_, k_)
        after(chat.example_select(example, [chat, answers, k], outputs, **private))
        doc_choice.input(show_source, [doc_choice, answers], [doc_view], api_visibility="private").then(
            None, js=ui.SCROLL_TO_MARK_JS)
        ref_open.click(open_ref, [ref_target, answers], [doc_choice, doc_view], api_visibility="private").then(
            None, js=ui.SHOW_DOC_JS)
        chat.select(select_message, [chat, answers], [doc_choice, doc_view], api_visibility="private").then(
            None, js=ui.SCROLL_TO_MARK_JS)
        chat.like(like, [chat, answers, comment], [comment, feedback_status], api_visibility="private")

        def reset():
            return [], [], gr.update(choices=[], value=None), ui.render_document_placeholder(), "", \
                gr.update(value=None, interactive=False), {"chat": [], "answers": []}
        new_chat.click(reset, None, [chat, answers, doc_choice, doc_view, feedback_status, export, saved],
                       api_visibility="private")

        def restore(stored):
            stored = stored if isinstance(stored, dict) else {}
            history, answers_ = stored.get("chat") or [], stored.get("answers") or []
            if not isinstance(history, list) or not isinstance(answers_, list):
                history, answers_ = [], []
            last = len(answers_) - 1
            return (history, answers_, *open_turn(answers_, last), export_file(answers_))
        remove_slot = remove_choice if remove_choice is not None else gr.State()  # read-only: nothing to refresh
        # The conversation comes back at once; the documents once the model and index are loaded (every
        # visitor waits at the same time: no concurrency limit).
        demo.load(restore, [saved], [chat, answers, doc_choice, doc_view, export], api_visibility="private").then(
            corpus_state, None, [corpus_html, remove_slot, chat], api_visibility="private", concurrency_limit=None,
            show_progress="hidden")

        if not read_only:
            corpus_outputs = [corpus_html, remove_choice, chat]
            upload_btn.click(upload, [upload_files], [docs_status, upload_files, *corpus_outputs], **docs_private)
            remove_btn.click(remove, [remove_choice], [docs_status, *corpus_outputs], **docs_private)
            reindex_btn.click(reindex, None, [docs_status, *corpus_outputs], **docs_private)
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
    start_loading(askjobs)()


def i18n() -> gr.I18n:
    """Gradio's built-in strings in French for every browser language."""
    gr = _gradio()
    return gr.I18n(**{lang: ui.GRADIO_FR for lang in ("en", "fr", "de", "es", "it", "pt", "nl")})


def launch(demo: gr.Blocks, host: str, port: int, max_file_mb: float | None = None, **kwargs):
    """Serve the page locally (never through a public share link)."""
    limit = {"max_file_size": f"{int(max_file_mb)}mb"} if max_file_mb else {}
    return demo.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, css=ui.CSS, head=ui.HEAD_JS, footer_links=["api"], i18n=i18n(),
        **limit, **kwargs)


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
    p.add_argument("--read-only", action="store_true", default=env_flag("ASKJOBS_READ_ONLY"),
                   help="masquer l'ajout et le retrait de documents (site public ; ou ASKJOBS_READ_ONLY=1)")
    args = p.parse_args(argv)

    from askjobs.config import Settings
    from askjobs.embed import make_encoder
    from askjobs.encoder_process import ProcessEncoder

    settings = Settings().with_(corpus_dir=args.corpus, index_dir=args.index)
    # The question encoder loads in a child process from now on, on the other core: its tokenizer holds
    # the GIL for 0.75 s, and in this process it took turns with Gradio's import, the page, the index and
    # the French lexicon (~2.6 s of CPU, nearly all holding the GIL). Passages (a re-index) stay here.
    encoder = ProcessEncoder(make_encoder(settings)).start()
    try:
        return serve(AskJobs(settings, encoder), args)
    finally:
        encoder.close()


def serve(askjobs: AskJobs, args: argparse.Namespace) -> int:
    """Serve the chat until Ctrl-C: 0, or 2 with a French message when the model or index cannot be loaded."""
    from askjobs.index import IndexError_

    # The index, the French lexicon and the model load while Gradio is imported and the page is built.
    # The page still says « Chargement… » if it is served first.
    startup = Startup(askjobs, log=lambda msg: print(msg, file=sys.stderr)).start()
    url = f"http://{args.host}:{args.port}" + (" (lecture seule)" if args.read_only else "")
    demo = create_app(askjobs, feedback_path=args.feedback, read_only=args.read_only, startup=startup)
    launch(demo, args.host, args.port, max_file_mb=askjobs.settings.max_file_mb, quiet=True, prevent_thread_lock=True)
    if not startup.ready:
        print(f"Page ouverte : {url} — chargement du modèle et de l'index ({askjobs.settings.index_dir})…",
              file=sys.stderr)
    try:
        startup.wait()
    except StartupError:
        demo.close(verbose=False)
        exc = startup.error
        if isinstance(exc, (IndexError_, ModelError, ValueError, FileNotFoundError)):  # French, never a trace
            print(f"askjobs : {exc}", file=sys.stderr)
            return 2
        raise exc from None
    except KeyboardInterrupt:
        demo.close(verbose=False)
        return 130
    print(f"Chat prêt : {url}", file=sys.stderr)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
