"""Fit the reader's sentence-scoring weights instead of setting them by hand.

Every sentence of the retrieved passages is described by the features of `askjobs.answer.FEATURES`
(e5 cosine, term coverage, context, phrase overlap, passage rank, answer type, section heading,
list cues, first sentence of its passage) and labelled 1 when it holds a gold answer. A logistic
regression (scikit-learn) is fitted on half the questions and judged on the other half: for each
held-out question, does the sentence ranked first hold the answer, with the hand-set weights and
with the fitted ones? The questions are PIAF dev (split by Wikipedia article, so no article is on
both sides) and askjobs' own eval sets (split by question id).

    python eval/fit_reader.py                      # writes src/askjobs/reader_weights.json
    python eval/fit_reader.py --max-q 600 --dry-run

The weights are scaled to the hand-set ones' total, so score margins keep their meaning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from askjobs import answer as reader  # noqa: E402
from askjobs.bench import load_squad, spread, write_corpus  # noqa: E402
from askjobs.config import Settings  # noqa: E402
from askjobs.evaluate import load_questions  # noqa: E402
from askjobs.metrics import contains_gold  # noqa: E402
from askjobs.pipeline import AskJobs  # noqa: E402


def held_out(key: str) -> bool:
    """Half of the keys, fixed by their SHA-256 (not by Python's salted hash)."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 1


def rows_for(app: AskJobs, question: str, golds: tuple[str, ...], group: str, test: bool) -> dict | None:
    """The features and labels of one question's candidate sentences."""
    query = app.analyse(question)
    found = app.search(query)
    index = app.index
    cands = reader._score_sentences(index, list(found.hits), query, found.qvec, reader.sentence_weights())
    if not cands:
        return None
    sids = sorted(cands)
    X = np.stack([cands[s].features for s in sids])
    y = np.array([contains_gold(_unit(index, s), golds) for s in sids], dtype=float)
    return {"X": X, "y": y, "group": group, "test": test}


def _unit(index, sid: int) -> str:
    """What would be quoted for a sentence: with the one before when it opens on a pronoun."""
    s = index.sentences[sid]
    if reader._continues_previous(index, sid):
        return index.sentences[sid - 1].text + " " + s.text
    return s.text


def piaf_rows(path: Path, max_q: int | None, settings: Settings, max_paragraphs: int | None = None
              ) -> tuple[list[dict], dict]:
    data = load_squad(path)
    if max_paragraphs is not None and max_paragraphs < len(data.paragraphs):
        # Whole articles, spread over the file, until max_paragraphs: a smaller index to build.
        articles: dict[str, list] = {}
        for para in data.paragraphs:
            articles.setdefault(para.source.rsplit("-p", 1)[0], []).append(para)
        keep: list = []
        for name in sorted(articles, key=lambda a: hashlib.sha256(a.encode()).hexdigest()):
            if len(keep) + len(articles[name]) > max_paragraphs:
                continue
            keep += articles[name]
        sources = {para.source for para in keep}
        data = type(data)(data.name, tuple(keep), tuple(q for q in data.questions if q.source in sources))
    questions = spread(data.questions, max_q)
    out = []
    with tempfile.TemporaryDirectory(prefix="askjobs-fit-") as tmp:
        corpus = Path(tmp) / "corpus"
        write_corpus(data.paragraphs, corpus)
        app = AskJobs(settings.with_(corpus_dir=corpus, index_dir=Path(tmp) / "index"))
        t0 = time.perf_counter()
        app.build(rebuild=True)
        build_s = time.perf_counter() - t0
        for i, q in enumerate(questions):
            article = q.source.rsplit("-p", 1)[0]
            row = rows_for(app, q.question, q.answers, "piaf", held_out(article))
            if row is not None:
                out.append(row)
            if (i + 1) % 200 == 0:
                print(f"  PIAF {i + 1}/{len(questions)}", file=sys.stderr)
    return out, {"questions": len(questions), "build_seconds": round(build_s, 1)}


def own_rows(files: list[Path], settings: Settings) -> list[dict]:
    app = AskJobs(settings)
    out = []
    for f in files:
        for q in load_questions(f):
            if not q.answerable:
                continue
            golds = q.answers + q.must_include
            row = rows_for(app, q.question, golds, "own", held_out(q.id))
            if row is not None:
                out.append(row)
    return out


def top1(rows: list[dict], w: np.ndarray) -> float:
    """Share of questions whose best-scored sentence holds the answer."""
    return float(np.mean([r["y"][int(np.argmax(r["X"] @ w))] for r in rows])) if rows else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--piaf", type=Path, default=ROOT.parent / "shared" / "bench" / "piaf-dev.json")
    p.add_argument("--max-q", type=int, default=None, help="PIAF questions used (default: all)")
    p.add_argument("--max-paragraphs", type=int, default=None,
                   help="index only whole PIAF articles up to this many paragraphs (default: all)")
    p.add_argument("--eval", type=Path, nargs="*",
                   default=[ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "questions-hard.jsonl"])
    p.add_argument("--out", type=Path, default=ROOT / "src" / "askjobs" / "reader_weights.json")
    p.add_argument("--dry-run", action="store_true", help="print the result, write nothing")
    p.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    p.add_argument("--pairwise", action="store_true",
                   help="fit on pairs (answer sentence minus other sentence of the same question): a ranking")
    args = p.parse_args()

    from sklearn.linear_model import LogisticRegression

    # The features must be those of the hand-set weights' reader, not of an earlier fit.
    reader.sentence_weights.cache_clear()
    reader.WEIGHTS_FILE = Path("/nonexistent")
    settings = Settings()
    piaf, piaf_info = piaf_rows(args.piaf, args.max_q, settings, args.max_paragraphs)
    own = own_rows([f for f in args.eval if f.is_file()], settings)
    rows = piaf + own
    train = [r for r in rows if not r["test"] and r["y"].any()]
    X = np.concatenate([r["X"] for r in train])
    y = np.concatenate([r["y"] for r in train])
    if args.pairwise:
        # Ranking, not classification: within each question, (holding - not holding) feature differences.
        diffs = []
        for r in train:
            pos, neg = r["X"][r["y"] > 0], r["X"][r["y"] == 0]
            diffs += [p - n for p in pos for n in neg]
        D = np.array(diffs)
        model = LogisticRegression(C=args.C, max_iter=2000, fit_intercept=False).fit(
            np.concatenate([D, -D]), np.concatenate([np.ones(len(D)), np.zeros(len(D))]))
    else:
        model = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced").fit(X, y)
    hand = reader.sentence_weights()
    fitted = model.coef_[0] * (np.abs(hand).sum() / np.abs(model.coef_[0]).sum())

    def report(subset: list[dict]) -> dict:
        answerable = [r for r in subset if r["y"].any()]  # the answer was retrieved at all
        return {"questions": len(subset), "answer_retrieved": len(answerable),
                "top1_hand": round(top1(answerable, hand), 4), "top1_fitted": round(top1(answerable, fitted), 4)}

    result = {
        "features": list(reader.FEATURES),
        "weights": {f: round(float(w), 4) for f, w in zip(reader.FEATURES, fitted)},
        "method": (f"scikit-learn LogisticRegression(C={args.C}) on within-question pairs (pairwise ranking)"
                   if args.pairwise else f"scikit-learn LogisticRegression(C={args.C}, class_weight='balanced') on "
                   "sentence features") + ", scaled to the hand-set weights' total; eval/fit_reader.py",
        "trained_on": {"piaf_questions": sum(not r["test"] for r in piaf), "own_questions": sum(not r["test"] for r in own),
                       "sentences": int(len(y))},
        "held_out": {"piaf": report([r for r in piaf if r["test"]]), "own": report([r for r in own if r["test"]])},
        "training_fit": {"piaf": report([r for r in piaf if not r["test"]]),
                         "own": report([r for r in own if not r["test"]])},
        "piaf": piaf_info,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.dry_run:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"écrit : {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
