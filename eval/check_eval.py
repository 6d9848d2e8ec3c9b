"""Check the eval files against the schema of CONTRACT.md section 3 and against the corpus.

    python eval/check_eval.py [FILE.jsonl ...]     # default: every eval/*.jsonl
    python eval/check_eval.py --corpus eval/wiki/corpus eval/wiki/questions-heldout.jsonl
                                                   # another corpus (default: corpus/)

For every line: the fields and their types, unique ids, and for an answerable question that every
accepted substring (`answers`, `must_include`) occurs in its gold document(s) after askjobs' own
normalisation (askjobs.text.normalize: NFC, lower case, plain apostrophes and spaces). Unanswerable
questions must have no answers and no source. Prints counts per form / type / near-miss kind.
Exits 1 with a message naming the file, the line and the problem at the first bad file.
No model is loaded: only the text normalisation is imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # the checkout's own askjobs, even without PYTHONPATH

from askjobs.text import normalize  # noqa: E402

EVAL_DIR = ROOT / "eval"
CORPUS_DIR = ROOT / "corpus"

REQUIRED = {"id": str, "question": str, "answers": list, "answerable": bool}
OPTIONAL = {"source", "sources", "must_include", "min_include", "form", "type", "near_miss", "context", "ambiguous"}
FORMS = {"fact", "list", "definition", "reason", "document", "refusal"}
TYPES = {"amount", "number", "percentage", "date", "duration", "person", "organisation", "place", "name",
         "definition", "reason", "manner", "list"}
# The original file predates the labels: near_miss and form are only required in the newer files.
LEGACY = {"questions.jsonl"}


class EvalFileError(ValueError):
    pass


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> dict[str, str]:
    """Normalised text of every corpus document, by file name."""
    return {p.name: normalize(p.read_text(encoding="utf-8")) for p in sorted(corpus_dir.iterdir()) if p.is_file()}


def _check_row(row, corpus: dict[str, str], strict: bool) -> None:
    """Raise EvalFileError (message without the location) when a row breaks the schema."""
    if not isinstance(row, dict):
        raise EvalFileError("la ligne n'est pas un objet JSON")
    for key, typ in REQUIRED.items():
        if key not in row:
            raise EvalFileError(f"champ obligatoire manquant : {key!r}")
        if not isinstance(row[key], typ):
            raise EvalFileError(f"le champ {key!r} doit être de type {typ.__name__}")
    if "source" not in row:
        raise EvalFileError("champ obligatoire manquant : 'source' (nom du fichier, ou null)")
    unknown = set(row) - set(REQUIRED) - OPTIONAL
    if unknown:
        raise EvalFileError(f"champ(s) inconnu(s) : {sorted(unknown)} (faute de frappe ?)")
    if not row["question"].strip():
        raise EvalFileError("la question est vide")
    if not all(isinstance(a, str) and a.strip() for a in row["answers"]):
        raise EvalFileError("'answers' doit être une liste de textes non vides")
    if "form" in row and row["form"] not in FORMS:
        raise EvalFileError(f"form {row['form']!r} inconnu ; valeurs possibles : {sorted(FORMS)}")
    if "type" in row and row["type"] not in TYPES:
        raise EvalFileError(f"type {row['type']!r} inconnu ; valeurs possibles : {sorted(TYPES)}")
    if "ambiguous" in row and not isinstance(row["ambiguous"], bool):
        raise EvalFileError("'ambiguous' doit être true ou false")
    if "context" in row:
        ctx = row["context"]
        if not (isinstance(ctx, list) and ctx and all(
                isinstance(t, dict) and set(t) == {"question"} and isinstance(t["question"], str)
                and t["question"].strip() for t in ctx)):
            raise EvalFileError("'context' doit être une liste non vide de {\"question\": \"…\"}")

    if not row["answerable"]:
        if row["answers"] or row["source"] is not None or row.get("sources") or row.get("must_include"):
            raise EvalFileError("une question sans réponse doit avoir answers [], source null, "
                                "ni sources ni must_include")
        if strict and not (isinstance(row.get("near_miss"), str) and row["near_miss"].strip()):
            raise EvalFileError("une question sans réponse doit dire pourquoi dans 'near_miss'")
        return

    if row.get("ambiguous"):
        raise EvalFileError("une question ambiguë doit avoir answerable false")
    if "near_miss" in row:
        raise EvalFileError("'near_miss' est réservé aux questions sans réponse")
    if strict and "form" not in row:
        raise EvalFileError("il manque 'form' (fact, list, definition, reason, document)")
    if not row["answers"]:
        raise EvalFileError("une question answerable doit avoir au moins une réponse dans 'answers'")
    source = row["source"]
    if not isinstance(source, str) or source not in corpus:
        raise EvalFileError(f"source {source!r} absente du corpus ({', '.join(corpus)})")
    gold = [source]
    if "sources" in row:
        sources = row["sources"]
        if not (isinstance(sources, list) and len(sources) >= 2 and all(isinstance(s, str) for s in sources)):
            raise EvalFileError("'sources' doit être une liste d'au moins deux fichiers")
        missing = [s for s in sources if s not in corpus]
        if missing:
            raise EvalFileError(f"sources absentes du corpus : {missing}")
        if source not in sources:
            raise EvalFileError("'source' doit faire partie de 'sources'")
        gold = sources
    texts = [corpus[s] for s in gold]

    def absent(strings):
        return [s for s in strings if not any(normalize(s) in t for t in texts)]

    bad = absent(row["answers"])
    if bad:
        raise EvalFileError(f"réponse(s) introuvable(s) dans {', '.join(gold)} : {bad}")
    if "must_include" in row:
        items = row["must_include"]
        if not (isinstance(items, list) and items and all(isinstance(s, str) and s.strip() for s in items)):
            raise EvalFileError("'must_include' doit être une liste de textes non vides")
        bad = absent(items)
        if bad:
            raise EvalFileError(f"élément(s) de must_include introuvable(s) dans {', '.join(gold)} : {bad}")
        n = row.get("min_include", len(items))
        if not (isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(items)):
            raise EvalFileError(f"min_include doit être un entier entre 1 et {len(items)}")
    elif "min_include" in row:
        raise EvalFileError("'min_include' sans 'must_include'")
    if row.get("form") == "list" and "must_include" not in row:
        raise EvalFileError("une question de forme 'list' doit avoir 'must_include'")


def check_file(path: Path, corpus: dict[str, str], seen_ids: dict[str, str] | None = None) -> list[dict]:
    """Every row of one eval file, checked; raises EvalFileError naming the file and line."""
    path = Path(path)
    strict = path.name not in LEGACY
    seen_ids = {} if seen_ids is None else seen_ids
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalFileError(f"{where}: JSON invalide ({exc.msg})") from None
            try:
                _check_row(row, corpus, strict)
            except EvalFileError as exc:
                qid = row.get("id") if isinstance(row, dict) else None
                raise EvalFileError(f"{where} ({qid}): {exc}") from None
            if row["id"] in seen_ids:
                raise EvalFileError(f"{where}: l'identifiant {row['id']!r} est déjà utilisé ({seen_ids[row['id']]})")
            seen_ids[row["id"]] = where
            rows.append(row)
    if not rows:
        raise EvalFileError(f"{path.name}: aucune question")
    return rows


def counts(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["answerable"]]
    # form and type: answerable questions only (an unanswerable one is expected to be refused).
    return {
        "questions": len(rows),
        "answerable": len(ans),
        "unanswerable": len(rows) - len(ans),
        "multi_source": sum("sources" in r for r in rows),
        "with_context": sum("context" in r for r in rows),
        "ambiguous": sum(bool(r.get("ambiguous")) for r in rows),
        "form": dict(Counter(r.get("form", "-") for r in ans).most_common()),
        "type": dict(Counter(r.get("type", "-") for r in ans).most_common()),
        "near_miss": dict(Counter(r.get("near_miss", "-") for r in rows if not r["answerable"]).most_common()),
    }


def check_all(paths: list[Path], corpus_dir: Path = CORPUS_DIR) -> dict[str, dict]:
    """Check every file (ids unique across files, no question asked twice in the same words)."""
    corpus = load_corpus(corpus_dir)
    seen_ids: dict[str, str] = {}
    seen_q: dict[tuple, str] = {}
    report = {}
    for path in paths:
        rows = check_file(path, corpus, seen_ids)
        for r in rows:
            key = (normalize(r["question"]).strip(), tuple(normalize(t["question"]) for t in r.get("context", [])))
            if key in seen_q:
                raise EvalFileError(f"{Path(path).name} ({r['id']}): même question que {seen_q[key]}")
            seen_q[key] = f"{Path(path).name} ({r['id']})"
        report[Path(path).name] = counts(rows)
    return report


def default_files() -> list[Path]:
    return sorted(EVAL_DIR.glob("*.jsonl"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Check eval files against the schema and the corpus.")
    parser.add_argument("files", nargs="*", help="eval files (default: every eval/*.jsonl)")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                        help="folder of the gold documents (default: corpus/ of the repository)")
    args = parser.parse_args(argv)
    paths = [Path(a) for a in args.files] or default_files()
    if not args.corpus.is_dir():
        print(f"ERREUR : corpus introuvable : {args.corpus}", file=sys.stderr)
        return 1
    try:
        report = check_all(paths, args.corpus)
    except (EvalFileError, OSError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 1
    for name, c in report.items():
        print(f"{name}: {c['questions']} questions, {c['answerable']} answerable, "
              f"{c['unanswerable']} unanswerable, {c['multi_source']} multi-source, "
              f"{c['with_context']} with context, {c['ambiguous']} ambiguous")
        for key in ("form", "type", "near_miss"):
            print(f"  {key:9}: " + ", ".join(f"{k} {v}" for k, v in c[key].items()))
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
