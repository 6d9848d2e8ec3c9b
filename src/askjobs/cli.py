"""Command line: argument parsing and printing only; the work is in the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .display import safe_display as _shown
from .threads import start_loading
from .ui import confidence_words


def _settings(args):
    from .config import Settings

    return Settings().with_(corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None),
                            model=getattr(args, "model", None))


def _dump(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _names(files: list[str], limit: int = 8) -> str:
    if not files:
        return ""
    more = f", … (+{len(files) - limit})" if len(files) > limit else ""
    return " (" + ", ".join(_shown(f) for f in files[:limit]) + more + ")"


def format_build_report(report, corpus_dir) -> str:
    """The summary `askjobs index` prints: what changed, what was encoded, every skipped file and why."""
    if report.up_to_date:
        head = (f"Index à jour : aucun changement, rien à encoder ({report.documents} documents, "
                f"{report.chunks} passages) en {report.seconds:.2f} s.")
    elif report.documents:
        head = (f"Index prêt : {report.documents} documents, {report.chunks} passages, {report.sentences} phrases "
                f"en {report.seconds:.1f} s ({report.embedded} textes encodés).")
    else:
        head = f"Aucun document utilisable dans {corpus_dir} : rien n'a été indexé."
    if report.repaired:
        kept = report.chunks + report.sentences - report.embedded
        head = (f"Index réparé. L'index précédent était inutilisable : {report.repaired}. Il a été reconstruit à "
                f"partir des documents ({report.embedded} textes encodés à nouveau, {max(kept, 0)} vecteurs "
                f"intacts réutilisés).\n" + head)
    lines = [head,
             f"  ajoutés : {len(report.added)}{_names(report.added)}, "
             f"modifiés : {len(report.changed)}{_names(report.changed)}, "
             f"supprimés : {len(report.removed)}{_names(report.removed)}, inchangés : {len(report.unchanged)}"]
    if report.skipped:
        lines.append(f"  ignorés : {len(report.skipped)}")
        lines += [f"  ignoré : {_shown(s.source)} — {_shown(s.reason)}" for s in report.skipped]
    return "\n".join(lines)


def cmd_index(args) -> int:
    from . import embed
    from .pipeline import AskJobs, NothingIndexedError

    settings = _settings(args)
    if args.check:
        return _check_index(settings)
    encoder = embed.make_encoder(settings)
    encoder.show_progress = True
    app = AskJobs(settings, encoder)
    where = app.store.where() if app.store.kind != "faiss" else settings.index_dir
    workers = " ; lecture, découpage et vecteurs sur Ray" if args.workers == "ray" else ""
    print(f"Indexation de {settings.corpus_dir} → {where} (modèle {settings.model}{workers})", file=sys.stderr)
    try:
        report = app.build(rebuild=args.rebuild, workers=args.workers, progress=lambda label, n: n and print(
            f"  calcul des vecteurs : {n} {label}", file=sys.stderr))
    except NothingIndexedError as exc:
        print(format_build_report(exc.report, settings.corpus_dir))
        print(f"askjobs : {exc}", file=sys.stderr)
        return 1
    print(format_build_report(report, settings.corpus_dir))
    return 0


def _check_index(settings) -> int:
    """`askjobs index --check`: compare every index file with its recorded size and checksum."""
    from .index import current_version, read_manifest, verify_version
    from .store import open_store

    store = open_store(settings.index_dir, settings.store)
    if store.kind != "faiss":  # a collection: every point the manifest announces is there
        manifest = store.verified_manifest()
        if manifest is None:
            raise _UserError(f"Aucun index dans {store.where()}. Lancez `askjobs index` pour le construire.")
        print(f"Index intact : la collection {store.current()} de {store.where()} contient les "
              f"{manifest['counts']['chunks']} passages et {manifest['counts']['sentences']} phrases annoncés.")
        return 0
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        raise _UserError(f"Aucun index dans {settings.index_dir}. Lancez `askjobs index` pour le construire.")
    version = current_version(settings.index_dir)
    if "files" not in manifest:
        raise _UserError(f"L'index {version} date d'avant les sommes de contrôle : rien à comparer. Lancez "
                         "`askjobs index` pour les ajouter (les vecteurs sont réutilisés).")
    verify_version(version, manifest)
    print(f"Index intact : {len(manifest['files']) + 1} fichiers de {version} conformes à leur taille et à leur "
          "somme de contrôle.")
    return 0


def _app(args):
    from .pipeline import AskJobs

    app = AskJobs(_settings(args))
    stale = app.stale_files()
    if any(stale.values()):
        parts = [f"{label} : {', '.join(files)}" for label, files in
                 (("ajoutés", stale["added"]), ("modifiés", stale["changed"]), ("supprimés", stale["removed"])) if files]
        raise _UserError("Les documents ont changé depuis la construction de l'index (" + " ; ".join(parts)
                         + "). Lancez `askjobs index` pour le mettre à jour.")
    return app


class _UserError(Exception):
    pass


def _finish(args, code: int) -> int:
    """The command's exit code; run from the command line, the process ends here (see exit_now)."""
    if getattr(args, "exit_now", False):
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """Flush the output and end the process without freeing the model, tokenizer and index one object
    at a time: that took 1-2 s after `askjobs ask` had printed its answer (the Rust tokenizer alone
    ~1 s), for memory the process gives back anyway. Nothing is left to write at this point."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (`askjobs ask … | head -1`): Python's own exit status for it
        code = code or 120
    os._exit(code)


def format_answer(answer, bold: bool | None = None) -> str:
    """A reply for the terminal: the quoted answer (one bullet per quote for a list) with its numbered
    sources; the short answer inside a quote is shown in bold on a terminal, and after an arrow."""
    bold = sys.stdout.isatty() if bold is None else bold
    lines = []
    if answer.answerable:
        lines.append(f"{confidence_words(answer.confidence)[1].capitalize()} (confiance {answer.confidence:.2f}) :")
        for c in answer.citations:
            bullet = "• " if answer.form == "list" else ""
            lines.append(f"{bullet}« {_highlighted(c, bold)} » [{c.n}]")
        shorts = [c.quote[c.answer_start - c.start:c.answer_end - c.start] for c in answer.citations
                  if c.answer_start is not None]
        if shorts and answer.form != "list":
            lines.append(f"→ {_shown(shorts[0])}")
        lines.append("")
        lines.append("Sources :")
        for c in answer.citations:
            page = f", page {c.page}" if c.page else ""
            lines.append(f"[{c.n}] {_shown(c.title)} — {_shown(c.source)}{page}, caractères {c.start}–{c.end}")
    else:
        lines.append(_shown(answer.answer) + f" (confiance {answer.confidence:.2f})")
        if getattr(answer, "reason", None):
            lines.append(_shown(answer.reason))
        if answer.nearest:
            lines.append("")
            lines.append("Passages les plus proches :")
            for c in answer.nearest[:3]:
                lines.append(f"[{c.n}] {_shown(c.title)} — {_shown(c.source)}, caractères {c.start}–{c.end} : "
                             f"« {_shown(c.quote)} »")
    lines.append(f"({answer.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


def _highlighted(c, bold: bool) -> str:
    """The quote, its short answer in bold (ANSI) when shown on a terminal."""
    if not bold or c.answer_start is None:
        return _shown(c.quote)
    a, b = c.answer_start - c.start, c.answer_end - c.start
    return f"{_shown(c.quote[:a])}\033[1m{_shown(c.quote[a:b])}\033[0m{_shown(c.quote[b:])}"


def cmd_ask(args) -> int:
    from .pipeline import clean_question

    app = _app(args)
    clean_question(args.question, app.settings.max_question_chars)  # a bad question is refused before loading
    start_loading(app)()
    answer = app.ask(args.question, k=args.k)
    if args.json:
        _dump(answer.to_dict())
    else:
        print(format_answer(answer))
    return _finish(args, 0)


def cmd_chat(args, read=input) -> int:
    """A conversation in the terminal: each question is read with the previous turns (follow-ups)."""
    from .pipeline import QuestionError

    app = _app(args)
    ready = start_loading(app)  # while the first question is typed
    print("askjobs — posez vos questions en français. « nouvelle » recommence la conversation ; "
          "une ligne vide ou Ctrl-D termine.", file=sys.stderr)
    history: list[dict] = []
    while True:
        try:
            question = read("\nQuestion : ")
        except EOFError:
            print()
            return _finish(args, 0)
        if not question.strip():
            return _finish(args, 0)
        if question.strip().lower() in ("nouvelle", "/nouvelle"):
            history = []
            print("Nouvelle conversation.")
            continue
        if ready:
            ready()
            ready = None
        try:
            answer = app.ask(question, k=args.k, history=history)
        except QuestionError as exc:
            print(f"askjobs : {exc}")
            continue
        if answer.understood.strip() != answer.question.strip():
            print(f"Question comprise : {_shown(answer.understood)}")
        if answer.form == "clarification":  # asked back: the next question should say which one
            print(_shown(answer.answer))
            continue
        print(format_answer(answer))
        history.append({"question": answer.question, "answer": answer.to_dict()})


def cmd_eval(args) -> int:
    from .evaluate import calibrate, load_questions, run_eval

    if args.from_feedback:  # convert chat feedback into eval lines instead of evaluating
        from .feedback import feedback_to_questions
        warn = lambda message: print(f"askjobs : {message}", file=sys.stderr)  # noqa: E731
        for row in feedback_to_questions(args.from_feedback, warn=warn):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not args.file:
        raise _UserError("Donnez un fichier de questions JSONL, ou --from-feedback FICHIER.")
    questions = load_questions(Path(args.file))
    app = _app(args)
    start_loading(app)()
    if args.calibrate:
        app.settings = app.settings.with_(refusal_threshold=0.0)
    report = run_eval(app.ask, questions, progress=None if args.json else
                      lambda i, n: print(f"\r  {i}/{n} questions", end="", file=sys.stderr, flush=True))
    if not args.json:
        print(file=sys.stderr)
    if args.calibrate:
        report["calibration"] = calibrate(questions, report["results"])
    if args.json:
        _dump(report)
        return _finish(args, 0)
    for r in report["results"]:
        v = r["verdict"]
        mark = "ok " if v["answer_correct"] else "KO "
        print(f"{mark}{r['id']}: {_shown(r['question'])}\n     → {_shown(r['answer'][:160])}")
    print()
    for key, value in report["summary"].items():
        if isinstance(value, dict):  # per form / type / near miss: one line per group
            print(f"{key:>20} :")
            for group, row in value.items():
                print(f"{'':>22}{group:<24} {row['correct']:.3f}  (n={row['n']})")
        else:
            print(f"{key:>20} : {value}")
    if args.calibrate:
        c = report["calibration"]
        lo, hi = c["range"]
        print(f"\nSeuil de refus recommandé : {c['threshold']} (exactitude globale {c['accuracy']}, "
              f"la même pour tout seuil entre {lo} et {hi})")
    return _finish(args, 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="askjobs", description="Questions en français sur vos documents, "
                                "réponses citées mot pour mot.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--corpus", type=Path, help="dossier des documents (défaut : corpus/)")
        sp.add_argument("--index", type=Path, help="dossier de l'index (défaut : index/)")
        sp.add_argument("--model", help="modèle sentence-transformers (dossier ou identifiant)")

    sp = sub.add_parser("index", help="construire ou mettre à jour l'index")
    common(sp)
    sp.add_argument("--rebuild", action="store_true", help="tout reconstruire")
    sp.add_argument("--workers", choices=("local", "ray"), default="local",
                    help="où lire, découper et calculer les vecteurs : ce processus (défaut) ou un cluster Ray "
                         "(RAY_ADDRESS, sinon un cluster local)")
    sp.add_argument("--check", action="store_true",
                    help="vérifier l'index (tailles et sommes de contrôle de ses fichiers) sans rien modifier")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("ask", help="poser une question")
    common(sp)
    sp.add_argument("question")
    sp.add_argument("--k", type=int, default=None, help="nombre de passages (défaut 5)")
    sp.add_argument("--json", action="store_true", help="sortie JSON")
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("chat", help="conversation dans le terminal (questions de relance comprises)")
    common(sp)
    sp.add_argument("--k", type=int, default=None, help="nombre de passages (défaut 5)")
    sp.set_defaults(func=cmd_chat)

    sp = sub.add_parser("eval", help="évaluer sur un fichier de questions JSONL")
    common(sp)
    sp.add_argument("file", nargs="?")
    sp.add_argument("--from-feedback", type=Path, help="écrire en JSONL les questions tirées des avis 👍 du chat")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--calibrate", action="store_true", help="proposer un seuil de refus")
    sp.set_defaults(func=cmd_eval)
    sp = sub.add_parser("bench", help="mesurer sur un jeu de questions-réponses (SQuAD)")
    bench_sub = sp.add_subparsers(dest="bench_kind", required=True)
    sq = bench_sub.add_parser("squad", help="fichiers au format SQuAD (ex. PIAF, CNIL) : un tableau par jeu, "
                                            "puis leur moyenne")
    sq.add_argument("file", type=Path, nargs="+")
    sq.add_argument("--max-q", type=int, default=None, help="nombre maximal de questions")
    sq.add_argument("--json", action="store_true")
    sq.add_argument("--report", type=Path, default=None,
                    help="dossier du rapport (Markdown + graphiques) ; avec plusieurs fichiers, un sous-dossier par jeu")
    sq.add_argument("--model", help="modèle sentence-transformers (dossier ou identifiant)")
    sq.set_defaults(func=lambda args: __import__("askjobs.bench", fromlist=["cmd_bench_squad"]).cmd_bench_squad(args))
    sc = bench_sub.add_parser("scale", help="index synthétiques de 10^4 à 10^6 passages (texte PIAF, vecteurs e5 "
                                            "bruités) : construction, chargement, mémoire, latence par étape")
    sc.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="nombres de passages")
    sc.add_argument("--store", default=None, help="stockage mesuré : faiss (défaut) ou qdrant")
    sc.add_argument("--questions", type=int, default=200, help="questions PIAF posées à chaque taille")
    sc.add_argument("--piaf", type=Path, default=None, help="fichier PIAF (défaut ../shared/bench/piaf-dev.json)")
    sc.add_argument("--keep", action="store_true", help="garder les index construits (build/scale-cache/)")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(func=lambda args: __import__("askjobs.bench", fromlist=["cmd_bench_scale"]).cmd_bench_scale(args))
    return p


def main(argv: list[str] | None = None) -> int:
    """`askjobs …`; run from the command line (argv None), ask, chat and eval end the process as soon
    as their output is written (exit_now); called with argv (tests, scripts), every command returns."""
    args = build_parser().parse_args(argv)
    args.exit_now = argv is None
    from .embed import ModelError
    from .index import IndexError_
    from .pipeline import QuestionError

    try:
        return args.func(args)
    except (QuestionError, IndexError_, ModelError, _UserError, FileNotFoundError, ValueError) as exc:
        print(f"askjobs : {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # permissions, a full disk: what and where, in French, never a traceback
        from .files import os_reason

        where = f" : {exc.filename}" if exc.filename else ""
        print(f"askjobs : {os_reason(exc)}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("askjobs : interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
