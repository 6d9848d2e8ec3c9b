"""Fit the reader's answer confidence instead of setting it by hand (an offline experiment: writes
eval/reports/confidence-fit.json, changes nothing the tool reads).

For every question of the dev sets (eval/questions*.jsonl over corpus/) and of PIAF dev (over a
temporary index of its paragraphs), the reader's best answer is taken WITHOUT refusal
(`answer.read` with threshold 0) and described by features computed with the reader's own
functions (`_score_sentences`, `_answer_span`, `_confidence`, `_typed`, `_form_unmet`,
`_short_answer`…): the hand-set confidence, its semantic and lexical halves, the cut its checks
applied and which checks failed, the sentence score and its margin over the next sentence, the
passage rank, the answer type, the quote length… It is labelled 1 when the answer is right:
`askjobs.evaluate.judge` for our questions (0 for an unanswerable one), the gold answer contained
in the answer for PIAF (`askjobs.metrics.contains_gold`). PIAF negatives: the same questions
answered with the gold article's passages removed from the hits (labelled by containment too,
almost always 0).

A logistic regression (scikit-learn, standardised features) is judged against the hand-set
confidence on held-out data only: (a) leave one set out over {seed, hard, final, heldout2, PIAF},
(b) PIAF split by article (eval/fit_reader.py's `held_out`). questions-final.jsonl is held out
(eval/README.md): it is only ever a test part, never training data, and the model written is
fitted without it.

    python eval/fit_confidence.py                  # writes eval/reports/confidence-fit.json
    python eval/fit_confidence.py --max-q 100 --dry-run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from askjobs import answer as reader  # noqa: E402
from askjobs.bench import load_squad, spread, write_corpus  # noqa: E402
from askjobs.config import Settings  # noqa: E402
from askjobs.evaluate import calibrate, judge, load_questions  # noqa: E402
from askjobs.metrics import contains_gold  # noqa: E402
from askjobs.pipeline import AskJobs  # noqa: E402
from askjobs.query import Constraints  # noqa: E402
from askjobs.text import analyze  # noqa: E402

OWN_SETS = {"seed": "questions.jsonl", "hard": "questions-hard.jsonl", "final": "questions-final.jsonl",
            "heldout2": "questions-heldout2.jsonl"}
NEVER_TRAIN = ("final",)  # eval/README.md: questions-final.jsonl is held out, nothing is tuned on it
PARTS = ("seed", "hard", "final", "heldout2", "piaf")
SEARCH_K = 30  # passages searched for a PIAF negative, before the gold article's are dropped
TYPE_GROUPS = ("quantity", "entity", "dmr", "list", "open")

FEATURES = (
    "hand_conf",  # the current confidence (answer.read's)
    "semantic", "lexical",  # its two halves, each in [0, 1]
    "cut",  # the product of the cuts its checks applied (confidence / uncut confidence)
    "names_missing", "year_absent", "decrease_unmet", "type_missing", "form_unmet",  # 0/1 per check
    "any_reason",  # a check failed (the verdict has a reason)
    "cosine",  # raw e5 cosine of the best sentence
    "score", "margin", "swapped",  # sentence score, best minus second best, another sentence than the top one
    "hit_rank", "passage_dense",  # rank of the quote's passage (0-4), its e5 cosine
    "top_dense",  # e5 cosine of the first passage
    "context", "phrase", "slot", "first", "section",  # the best sentence's own reader features
    "typed",  # the quote holds the asked type (any type, required or not)
    "type_required",
    "short_marked",  # the reader marks a short answer inside the quote
    "log_chars", "n_quotes",  # quote length, number of quotes (list answers)
    "n_terms", "n_key_tokens",
    *(f"group_{g}" for g in TYPE_GROUPS),
)


def held_out(key: str) -> bool:
    """Half of the keys, fixed by their SHA-256 (as eval/fit_reader.py)."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 1


def type_group(query) -> str:
    t = query.answer_type
    if t in reader._QUANTITIES:
        return "quantity"
    if t in reader._ENTITY_LABELS:
        return "entity"
    if t in ("definition", "reason", "manner"):
        return "dmr"
    if t == "list" or query.wants_list:
        return "list"
    return "open"


def choose(query, index, hits, candidates, max_chars):
    """The candidate and span `answer.read` quotes for an ordinary question, with its verdict.

    Mirrors read()'s choice (best sentence, the next sentence for a reason, a nearly as good sentence
    that passes the checks) using its own functions; the caller checks the confidence against read's."""
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.sid))
    best = ranked[0]
    span = reader._answer_span(index, best, candidates, query, max_chars)
    verdict = reader._confidence(query, index, hits, best, span)
    if verdict.reason is not None and query.answer_type == "reason":
        longer = reader._with_next(index, best, span, max_chars)
        if longer is not None and (v := reader._confidence(query, index, hits, best, longer)).reason is None:
            span, verdict = longer, v
    if verdict.reason is not None:
        margin = reader.REASON_MARGIN if query.answer_type == "reason" else reader.TIE_MARGIN
        for other in ranked[1:3]:
            if other.score < best.score - margin:
                break
            if other.lexical < best.lexical - 0.05:
                continue
            other_span = reader._answer_span(index, other, candidates, query, max_chars)
            other_verdict = reader._confidence(query, index, hits, other, other_span)
            if other_verdict.reason is None and other_verdict.confidence > verdict.confidence:
                best, span, verdict = other, other_span, other_verdict
                break
    return ranked, best, span, verdict


def features(query, index, hits, ranked, best, span, verdict, answer) -> dict:
    start, end, source = span
    quote = index.documents[source].text[start:end]
    c = query.constraints
    # The two halves of the confidence, from _confidence itself: a query without the checks' inputs
    # gives 0.5·semantic + 0.5·lexical; one without terms either gives 0.5·semantic.
    unchecked = replace(query, answer_type=None, type_required=False, constraints=Constraints())
    uncut = reader._confidence(unchecked, index, hits, best, span).confidence
    semantic = 2 * reader._confidence(replace(unchecked, terms=(), weights={}, defined=""), index, hits, best,
                                      span).confidence
    lexical = 2 * uncut - semantic
    cut = verdict.confidence / uncut if uncut > 0 else 1.0
    # Which checks fail: the conditions _confidence tests, with the reader's own helpers.
    passages = set().union(*(reader._passage_terms(index, h) for h in hits))
    names_missing = any(any(k not in passages for k in analyze(t)) for t in c.key_tokens
                        if not (t in c.years and query.answer_type in reader._QUANTITIES))
    quote_years = set(re.findall(r"\b(?:1[5-9]\d\d|20\d\d)\b", quote))
    year_absent = query.answer_type in reader._QUANTITIES and any(y not in quote_years for y in c.years)
    decrease_unmet = c.decrease and not reader._DECREASE_SAID.search(quote)
    typed = bool(reader._typed(index, query, source, start, end))
    type_missing = query.answer_type is not None and query.type_required and not typed
    form_unmet = reader._form_unmet(query, index, source, start, end, best.sid) is not None
    x = best.features
    f = dict.fromkeys(FEATURES, 0.0)
    f.update({
        "hand_conf": verdict.confidence, "semantic": semantic, "lexical": lexical, "cut": cut,
        "names_missing": float(names_missing), "year_absent": float(year_absent),
        "decrease_unmet": float(decrease_unmet), "type_missing": float(type_missing),
        "form_unmet": float(form_unmet), "any_reason": float(verdict.reason is not None),
        "cosine": best.cosine, "score": best.score,
        "margin": ranked[0].score - ranked[1].score if len(ranked) > 1 else 1.0,
        "swapped": float(best.sid != ranked[0].sid),
        "hit_rank": float(best.hit_rank), "passage_dense": float(hits[best.hit_rank].dense_score or 0.0),
        "top_dense": float(hits[0].dense_score or 0.0),
        "context": x[reader.FEATURES.index("context")], "phrase": x[reader.FEATURES.index("phrase")],
        "slot": x[reader.FEATURES.index("slot")], "first": x[reader.FEATURES.index("first")],
        "section": x[reader.FEATURES.index("section")],
        "typed": float(typed), "type_required": float(query.type_required),
        "short_marked": float(reader._short_answer(query, index, source, start, end) is not None),
        "log_chars": math.log(max(len(answer.answer), 1)), "n_quotes": float(len(answer.citations)),
        "n_terms": float(len(query.terms)), "n_key_tokens": float(len(c.key_tokens)),
        f"group_{type_group(query)}": 1.0,
    })
    return f


class Reader:
    """The reader's answer without refusal, and its features."""

    def __init__(self, app: AskJobs):
        self.app = app
        self.settings = reader.ReaderSettings(0.0, app.settings.max_answer_chars)
        self.mismatches: list[str] = []

    def row(self, query, retrieval) -> tuple[object, dict | None]:
        index = self.app.index
        answer = reader.read(query, retrieval, index, self.settings)
        hits = list(retrieval.hits)
        if not answer.answerable or answer.form == "document":
            return answer, None  # no candidate at all, or a question about a document: outside the model
        candidates = reader._score_sentences(index, hits, query, retrieval.qvec)
        ranked, best, span, verdict = choose(query, index, hits, candidates, self.settings.max_answer_chars)
        if abs(verdict.confidence - answer.confidence) > 1e-9:
            self.mismatches.append(query.text)
        return answer, features(query, index, hits, ranked, best, span, verdict, answer)


def own_rows(app: AskJobs, eval_dir: Path) -> tuple[list[dict], dict]:
    rd = Reader(app)
    out, info = [], {}
    for part, name in OWN_SETS.items():
        questions = load_questions(eval_dir / name)
        results = []
        for q in questions:
            query = app.analyse(q.question)
            answer, f = rd.row(query, app.search(query))
            label = float(judge(q, answer)["answer_correct"]) if q.answerable else 0.0
            out.append({"part": part, "id": q.id, "x": f, "hand": answer.confidence, "y": label,
                        "refuse_ok": 0.0 if q.answerable else 1.0, "group": q.id})
            results.append({"answer": answer.answer if answer.answerable else "", "confidence": answer.confidence})
        # evaluate.py's own calibration of the hand-set confidence on this set, for reference
        info[part] = {"questions": len(questions), "answerable": sum(q.answerable for q in questions),
                      "outside_model": sum(r["x"] is None for r in out if r["part"] == part),
                      "calibrate_hand": calibrate(questions, results)}
    info["confidence_mismatches"] = rd.mismatches
    return out, info


def piaf_rows(app_settings: Settings, encoder, path: Path, max_q: int | None) -> tuple[list[dict], dict]:
    data = load_squad(path)
    questions = spread(data.questions, max_q)
    out = []
    with tempfile.TemporaryDirectory(prefix="askjobs-conf-") as tmp:
        corpus = Path(tmp) / "corpus"
        write_corpus(data.paragraphs, corpus)
        app = AskJobs(app_settings.with_(corpus_dir=corpus, index_dir=Path(tmp) / "index"), encoder)
        t0 = time.perf_counter()
        app.build(rebuild=True)
        build_s = time.perf_counter() - t0
        rd = Reader(app)
        same_top = 0
        for i, q in enumerate(questions):
            article = q.source.rsplit("-p", 1)[0]
            query = app.analyse(q.question)
            found = app.search(query, SEARCH_K)
            if i < 20:  # the first k of a deeper search are what search(query) gives
                same_top += [h.row for h in found.top(app.settings.top_k).hits] == [h.row for h in app.search(query).hits]
            for kind, hits in (("pos", found.hits[:app.settings.top_k]),
                               ("neg", tuple(h for h in found.hits
                                             if h.chunk.source.rsplit("-p", 1)[0] != article)[:app.settings.top_k])):
                answer, f = rd.row(query, replace(found, hits=hits))
                label = float(answer.answerable and contains_gold(answer.answer, q.answers))
                out.append({"part": "piaf", "id": f"{q.qid}:{kind}", "kind": kind, "x": f, "hand": answer.confidence,
                            "y": label, "refuse_ok": (1.0 - label) if kind == "neg" else 0.0, "group": article})
            if (i + 1) % 100 == 0:
                print(f"  PIAF {i + 1}/{len(questions)}", file=sys.stderr)
    info = {"questions": len(questions), "build_seconds": round(build_s, 1), "search_k_for_negatives": SEARCH_K,
            "first20_deep_search_top5_equals_search": f"{same_top}/20",
            "outside_model": sum(r["x"] is None for r in out), "confidence_mismatches": rd.mismatches,
            "positives_correct": round(float(np.mean([r["y"] for r in out if r["kind"] == "pos"])), 4),
            "negatives_containing_gold": int(sum(r["y"] for r in out if r["kind"] == "neg"))}
    return out, info


# --- Fitting and judging --------------------------------------------------------------------

# A smaller model, decided before seeing any held-out result: the confidence's parts, the sentence
# margin, the passage rank, the type found, the short answer marked and the answer type.
COMPACT = ("hand_conf", "semantic", "lexical", "cut", "any_reason", "margin", "hit_rank", "typed", "short_marked",
           *(f"group_{g}" for g in TYPE_GROUPS))


def matrix(rows: list[dict], names=FEATURES) -> np.ndarray:
    return np.array([[r["x"][f] for f in names] for r in rows], dtype=np.float64)


def fit(rows: list[dict], C: float, names=FEATURES):
    """Standardised features, logistic regression; each set weighs the same in total (PIAF would
    otherwise outweigh our questions three to one)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y = matrix(rows, names), np.array([r["y"] for r in rows])
    parts = [r["part"] for r in rows]
    counts = {p: parts.count(p) for p in set(parts)}
    w = np.array([len(rows) / (len(counts) * counts[p]) for p in parts])
    scaler = StandardScaler().fit(X)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=C, max_iter=5000).fit((X - scaler.mean_) / scale, y, sample_weight=w)
    return scaler.mean_, scale, model, names


def predict(fitted, rows: list[dict]) -> np.ndarray:
    mean, scale, model, names = fitted
    return model.predict_proba((matrix(rows, names) - mean) / scale)[:, 1]


def accuracy(scores, y, refuse_ok, t: float) -> float:
    """Answer when score ≥ t: right when the answer is; refuse otherwise: right when refusing is."""
    return float(np.mean(np.where(np.asarray(scores) >= t, y, refuse_ok)))


def best_threshold(scores, y, refuse_ok) -> float:
    """The threshold of best accuracy: of the equally good ranges between consecutive scores, the middle
    of the widest unbroken one (askjobs.evaluate.calibrate's rule, for any labels; scores in [0, 1])."""
    s = np.asarray(scores, dtype=float)
    bounds = [0.0] + sorted({float(c) for c in s if 0.0 < c < 1.0}) + [1.0]
    # range k is (bounds[k], bounds[k + 1]]: a score is answered when it is >= the threshold
    accs = [accuracy(s, y, refuse_ok, hi) for hi in bounds[1:]]
    top = max(accs)
    best, k = None, 0
    while k < len(accs):
        if accs[k] < top - 1e-12:
            k += 1
            continue
        j = k
        while j + 1 < len(accs) and accs[j + 1] >= top - 1e-12:
            j += 1
        lo, hi = bounds[k], bounds[j + 1]
        if best is None or hi - lo > best[0]:
            best = (hi - lo, (lo + hi) / 2)
        k = j + 1
    return float(best[1])


def auc(y, s) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, s)), 4) if len(set(y)) == 2 else None


def auc_gain_ci(y, hand, fitted, n: int = 2000, seed: int = 0) -> list[float] | None:
    """95 % paired bootstrap interval of AUC(fitted) − AUC(hand) over the part's rows."""
    from sklearn.metrics import roc_auc_score

    y, hand, fitted = map(np.asarray, (y, hand, fitted))
    if len(set(y)) < 2:
        return None
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if len(set(y[i])) == 2:
            gains.append(roc_auc_score(y[i], fitted[i]) - roc_auc_score(y[i], hand[i]))
    return [round(float(np.percentile(gains, 2.5)), 4), round(float(np.percentile(gains, 97.5)), 4)]


def judge_split(train: list[dict], test: list[dict], C: float, names=FEATURES) -> dict:
    model = fit(train, C, names)
    y_tr, r_tr = [r["y"] for r in train], [r["refuse_ok"] for r in train]
    y_te, r_te = [r["y"] for r in test], [r["refuse_ok"] for r in test]
    hand_tr, hand_te = [r["hand"] for r in train], [r["hand"] for r in test]
    fit_tr, fit_te = predict(model, train), predict(model, test)
    # Two accuracies: "eval", as `askjobs eval` counts (refusing an answerable question is never right),
    # and "binary" (refusing a wrong answer is right: does the score tell right answers from wrong ones).
    binary_tr, binary_te = [1.0 - y for y in y_tr], [1.0 - y for y in y_te]
    out = {"train_rows": len(train), "test_rows": len(test), "test_right": int(sum(y_te)),
           "auc_hand": auc(y_te, hand_te), "auc_fitted": auc(y_te, fit_te),
           "auc_gain_ci95": auc_gain_ci(y_te, hand_te, fit_te),
           "acc_hand_at_0.29": round(accuracy(hand_te, y_te, r_te, 0.29), 4)}
    for name, rtr, rte in (("eval", r_tr, r_te), ("binary", binary_tr, binary_te)):
        th, tf = best_threshold(hand_tr, y_tr, rtr), best_threshold(fit_tr, y_tr, rtr)
        out[f"{name}_acc_hand"] = round(accuracy(hand_te, y_te, rte, th), 4)
        out[f"{name}_acc_fitted"] = round(accuracy(fit_te, y_te, rte, tf), 4)
        out[f"{name}_t_hand"], out[f"{name}_t_fitted"] = round(th, 4), round(tf, 4)
    out["answer_all_eval_acc"] = round(accuracy(hand_te, y_te, r_te, -1.0), 4)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--piaf", type=Path, default=ROOT.parent / "shared" / "bench" / "piaf-dev.json")
    p.add_argument("--max-q", type=int, default=400, help="PIAF questions used (as `askjobs bench squad --max-q`)")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "confidence-fit.json")
    p.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    p.add_argument("--dry-run", action="store_true", help="print the result, write nothing")
    p.add_argument("--cache", type=Path, default=None, help="rows: read them from / save them to this JSON file")
    args = p.parse_args()

    if args.cache is not None and args.cache.is_file():
        cached = json.loads(args.cache.read_text(encoding="utf-8"))
        rows, data_info = cached["rows"], cached["info"]
    else:
        answer_py = (ROOT / "src" / "askjobs" / "answer.py").read_bytes()
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        reader_info = {"commit": commit, "answer_py_sha256": hashlib.sha256(answer_py).hexdigest()[:16],
                       "answer_py_modified_since_commit": bool(subprocess.run(
                           ["git", "-C", str(ROOT), "status", "--porcelain", "src/askjobs/answer.py"],
                           capture_output=True, text=True).stdout.strip())}
        with tempfile.TemporaryDirectory(prefix="askjobs-conf-own-") as tmp:
            settings = Settings().with_(corpus_dir=ROOT / "corpus", index_dir=Path(tmp) / "index")
            app = AskJobs(settings)
            app.build(rebuild=True)
            own, own_info = own_rows(app, ROOT / "eval")
            piaf, piaf_info = piaf_rows(settings, app.encoder, args.piaf, args.max_q)
        rows, data_info = own + piaf, {"own": own_info, "piaf": piaf_info, "reader": reader_info}
        if args.cache is not None:
            args.cache.write_text(json.dumps({"rows": rows, "info": data_info}, ensure_ascii=False), encoding="utf-8")

    model_rows = [r for r in rows if r["x"] is not None]
    trainable = [r for r in model_rows if r["part"] not in NEVER_TRAIN]
    result = {"features": list(FEATURES), "compact_features": list(COMPACT)}
    for variant, names in (("full", FEATURES), ("compact", COMPACT)):
        splits = {}
        for part in PARTS:  # (a) leave one set out
            test = [r for r in model_rows if r["part"] == part]
            splits[f"loso:{part}"] = judge_split([r for r in trainable if r["part"] != part], test, args.C, names)
        # (b) PIAF by article, as fit_reader.py: the other half of PIAF and our sets (but final) train
        piaf_test = [r for r in model_rows if r["part"] == "piaf" and held_out(r["group"])]
        piaf_train = [r for r in trainable if not (r["part"] == "piaf" and held_out(r["group"]))]
        splits["piaf-by-article"] = judge_split(piaf_train, piaf_test, args.C, names)
        pos_test = [r for r in piaf_test if r["kind"] == "pos"]
        splits["piaf-by-article:positives-only"] = judge_split(piaf_train, pos_test, args.C, names)

        mean, scale, model, _ = fitted = fit(trainable, args.C, names)
        fitted_all = predict(fitted, trainable)
        y_all, r_all = [r["y"] for r in trainable], [r["refuse_ok"] for r in trainable]
        coef = model.coef_[0]
        result[variant] = {
            "model": {
                "method": f"scikit-learn StandardScaler + LogisticRegression(C={args.C}), each set weighing the same; "
                          "fitted on every set but questions-final.jsonl; eval/fit_confidence.py",
                "features": list(names),
                "scaler_mean": {f: round(float(m), 6) for f, m in zip(names, mean)},
                "scaler_scale": {f: round(float(s), 6) for f, s in zip(names, scale)},
                "coef_standardised": {f: round(float(c), 4) for f, c in zip(names, coef)},
                "intercept_standardised": round(float(model.intercept_[0]), 4),
                # the same model on the raw features: p = sigmoid(intercept + sum of coef * x)
                "coef_raw": {f: round(float(c / s), 6) for f, c, s in zip(names, coef, scale)},
                "intercept_raw": round(float(model.intercept_[0] - (coef * mean / scale).sum()), 6),
                "threshold_eval": round(best_threshold(fitted_all, y_all, r_all), 4),
                "threshold_binary": round(best_threshold(fitted_all, y_all, [1.0 - y for y in y_all]), 4),
                "trained_on": {p: sum(r["part"] == p for r in trainable) for p in PARTS if p not in NEVER_TRAIN},
            },
            "held_out": splits,
        }
        cols = ("auc_hand", "auc_fitted", "auc_gain_ci95", "eval_acc_hand", "eval_acc_fitted", "binary_acc_hand",
                "binary_acc_fitted", "acc_hand_at_0.29")
        print(f"\n{variant}\n| held-out part | rows | right | " + " | ".join(cols) + " |", file=sys.stderr)
        for name, s in splits.items():
            print(f"| {name} | {s['test_rows']} | {s['test_right']} | " + " | ".join(str(s[c]) for c in cols) + " |",
                  file=sys.stderr)
    result.update({
        "data": data_info,
        "rows": {p: {"rows": sum(r["part"] == p for r in rows), "in_model": sum(r["part"] == p for r in model_rows),
                     "right": int(sum(r["y"] for r in model_rows if r["part"] == p))} for p in PARTS},
        "date": time.strftime("%Y-%m-%d %H:%M"),
    })
    if not args.dry_run:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"écrit : {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
