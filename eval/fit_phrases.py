"""Fit the weights that choose a quote's short answer among its noun phrases (answer.PHRASE_WEIGHTS).

For a question that asks for no number, the reader marks one of the noun phrases and entities the
build stored for the quoted sentence (`answer._phrase_candidates`): the one with the best weighted
sum of its features. Here those weights are fitted on PIAF dev instead of set by hand:

1. PIAF dev's paragraphs are indexed once, as `askjobs bench squad` does (one document per
   paragraph, `AskJobs.build()`), under build/piaf-dev/ (git-ignored; later runs find it up to date);
2. every question goes through the real path `analyse → search → read` (refusal threshold 0, as in
   the bench); its citations, and which of them got their short answer from `_phrase_answer`, are
   kept in build/piaf-dev/reads.json (`--fresh` asks again, e.g. after a reader change);
3. each quote so marked that holds a gold answer gives a group: its candidate phrases, their
   features and their token F1 against the gold answers (askjobs.metrics). So does, for every question
   the reader answers with a phrase, the sentence of the gold paragraph that holds the answer, quoted
   or not: 2.6 times as many groups to fit on, and a second, larger measure;
4. the weights are fitted on the articles of one half (split by PIAF title, SHA-256, as
   eval/fit_reader.py) and judged on the other, both ways: mean F1 of the phrase each set of weights
   chooses, and the span F1 of `askjobs bench squad` (the first short answer if marked, else the
   answer) over all the questions, each half answered by the weights fitted on the other half;
   `--cv N` adds the mean over N random halvings (what the features were chosen by);
5. when the fitted weights beat the hand-set ones on both held-out halves, weights fitted on all the
   articles are written to src/askjobs/phrase_weights.json, which the reader loads.

    python eval/fit_phrases.py --cv 8        # fit, report, write the weights if they win held out
    python eval/fit_phrases.py --dry-run     # report only
    python eval/fit_phrases.py --dry-run --cv 8 --cv-half A   # choose features on half A only (B unseen)
    python eval/fit_phrases.py --buckets A   # where span F1 is lost on half A, by answer type (no fit)

`--buckets` sorts every question of a half by what its answer (as recorded in reads.json) does with the gold
span: refused; the quote does not hold it (retrieval or sentence choice); it holds it but no short answer is
marked; a short answer is marked but shares no word with it; it overlaps (boundaries); it is exact. For
each bucket and answer type: the count, the mean span F1 and the share of the half's F1 lost there.

The fit maximises the expected F1 of the chosen phrase under a softmax over each group's candidates
(a listwise ranker, scipy's L-BFGS, L2 penalty on standardised features); scikit-learn's logistic
regression, pointwise or on pairs (`--method`), did no better. The reader reads only the JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from askjobs import answer as reader  # noqa: E402
from askjobs.bench import load_squad, write_corpus  # noqa: E402
from askjobs.config import Settings  # noqa: E402
from askjobs.metrics import contains_gold, token_f1  # noqa: E402
from askjobs.pipeline import AskJobs  # noqa: E402

PIAF = ROOT.parent / "shared" / "bench" / "piaf-dev.json"
CACHE = ROOT / "build" / "piaf-dev"
# Answer types the reader answers otherwise (a typed span, a clause): their phrases are never chosen.
NOT_PHRASES = reader._QUANTITIES + ("definition", "reason", "manner")


def held_out(key: str) -> bool:
    """Half of the articles, fixed by their SHA-256 (as eval/fit_reader.py splits them)."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 1


def piaf_app(path: Path, folder: Path) -> AskJobs:
    """An app over PIAF's paragraphs, one document each; built once, then only checked."""
    data = load_squad(path)
    write_corpus(data.paragraphs, folder / "corpus")  # same bytes each run: the build finds nothing to do
    settings = Settings().with_(corpus_dir=folder / "corpus", index_dir=folder / "index")
    app = AskJobs(settings.with_(refusal_threshold=0.0))  # as the bench: every question answered
    t0 = time.perf_counter()
    report = app.build()
    print(f"index PIAF : {report.documents} documents, {report.sentences} phrases ({time.perf_counter() - t0:.0f} s)",
          file=sys.stderr)
    return app


def read_all(app: AskJobs, path: Path) -> list[dict]:
    """Every PIAF question through analyse → search → read; each citation with its short answer and
    whether `_phrase_answer` chose it."""
    data = load_squad(path)
    calls: dict[tuple[str, int, int], tuple[int, int] | None] = {}
    phrase_answer = reader._phrase_answer

    def recording(query, index, source, start, end):
        calls[(source, start, end)] = out = phrase_answer(query, index, source, start, end)
        return out

    reader._phrase_answer = recording
    out = []
    try:
        for i, q in enumerate(data.questions):
            calls.clear()
            query = app.analyse(q.question)
            answer = app.read(query, app.search(query))
            cites = []
            for c in answer.citations if answer.answerable else ():
                key = (c.source, c.start, c.end)
                marked = None if c.answer_start is None else (c.answer_start, c.answer_end)
                cites.append({"source": c.source, "start": c.start, "end": c.end, "answer": marked,
                              "phrase": key in calls and (calls[key] is None or tuple(calls[key]) == marked)})
            out.append({"id": q.qid, "question": q.question, "golds": list(q.answers), "source": q.source,
                        "article": q.source.rsplit("-p", 1)[0], "answer": answer.answer if answer.answerable else "",
                        "citations": cites})
            if (i + 1) % 200 == 0:
                print(f"  {i + 1}/{len(data.questions)} questions", file=sys.stderr)
    finally:
        reader._phrase_answer = phrase_answer
    return out


def groups(app: AskJobs, reads: list[dict], names: list[str]) -> list[dict]:
    """For each phrase-chosen quote holding a gold answer: its candidates' features and F1."""
    index = app.index
    out = []
    for r in reads:
        query = None
        for c in r["citations"]:
            text = index.documents[c["source"]].text
            if not c["phrase"] or not contains_gold(text[c["start"]:c["end"]], r["golds"]):
                continue
            query = query or app.analyse(r["question"])
            cands = reader._phrase_candidates(query, index, c["source"], c["start"], c["end"])
            if not cands:
                continue
            out.append(_group(r, query, cands, names, text))
    return out


def _group(r: dict, query, cands: list, names: list[str], text: str) -> dict:
    """One quote's (or sentence's) candidates: their features, start offsets and token F1 with the gold."""
    return {"id": r["id"], "article": r["article"], "test": held_out(r["article"]),
            "qtype": query.answer_type or "open",
            "X": np.array([[f[n] for n in names] for _, _, f in cands], dtype=float),
            "starts": np.array([a for a, _, _ in cands]),
            "f1": np.array([token_f1(text[a:b], r["golds"]) for a, b, _ in cands])}


def gold_sentence_groups(app: AskJobs, reads: list[dict], names: list[str]) -> list[dict]:
    """More to learn from: for each question the reader would answer with a phrase, the sentence of its
    gold paragraph that holds a gold answer, whether or not the reader quoted it."""
    index = app.index
    out = []
    for r in reads:
        query = app.analyse(r["question"])
        if query.yes_no or query.asks_summary or query.answer_type in NOT_PHRASES:
            continue
        sids = reader._source_sentences(index, r["source"])
        s = next((index.sentences[i] for i in sids if contains_gold(index.sentences[i].text, r["golds"])), None)
        if s is None:
            continue
        cands = reader._phrase_candidates(query, index, s.source, s.start, s.end)
        if not cands:
            continue
        text = index.documents[s.source].text
        out.append(_group(r, query, cands, names, text))
    return out


def choose(g: dict, w: np.ndarray) -> int:
    """The candidate the reader marks: best score, the earliest of ties (as `_phrase_answer`)."""
    s = np.round(g["X"] @ w, 9)
    best = np.flatnonzero(s == s.max())
    return int(best[np.argmin(g["starts"][best])])


def mean_f1(gs: list[dict], w: np.ndarray) -> float:
    return float(np.mean([g["f1"][choose(g, w)] for g in gs])) if gs else float("nan")


# --- fitting -----------------------------------------------------------------------------------

def fit_listwise(gs: list[dict], l2: float) -> np.ndarray:
    """Weights maximising the mean expected F1 under each quote's softmax, minus an L2 penalty
    (features standardised for the fit, weights returned on the raw features)."""
    from scipy.optimize import minimize

    allx = np.concatenate([g["X"] for g in gs])
    mu, sd = allx.mean(0), allx.std(0)
    sd[sd == 0] = 1.0
    xs = [(g["X"] - mu) / sd for g in gs]
    fs = [g["f1"] for g in gs]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, f in zip(xs, fs):
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            e = p @ f
            total -= e
            grad -= x.T @ (p * (f - e))
        n = len(xs)
        return total / n + l2 * w @ w, grad / n + 2 * l2 * w

    res = minimize(loss, np.zeros(allx.shape[1]), jac=True, method="L-BFGS-B")
    return res.x / sd


def fit_sklearn(gs: list[dict], pairwise: bool, C: float) -> np.ndarray:
    """scikit-learn logistic regression: the best candidates of each quote against the others
    (pointwise), or their feature differences (pairwise)."""
    from sklearn.linear_model import LogisticRegression

    allx = np.concatenate([g["X"] for g in gs])
    mu, sd = allx.mean(0), allx.std(0)
    sd[sd == 0] = 1.0
    if pairwise:
        diffs = []
        for g in gs:
            x = (g["X"] - mu) / sd
            top = g["f1"].max()
            if top <= 0:
                continue
            good, bad = x[g["f1"] == top], x[g["f1"] < top]
            diffs += [p - n for p in good for n in bad]
        d = np.array(diffs)
        model = LogisticRegression(C=C, max_iter=3000, fit_intercept=False).fit(
            np.concatenate([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))
    else:
        x = np.concatenate([(g["X"] - mu) / sd for g in gs])
        y = np.concatenate([(g["f1"] == g["f1"].max()) & (g["f1"] > 0) for g in gs]).astype(int)
        model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(x, y)
    return model.coef_[0] / sd


def fit(gs: list[dict], method: str, strength: float) -> np.ndarray:
    if method == "listwise":
        return fit_listwise(gs, strength)
    return fit_sklearn(gs, method == "pairwise", strength)


# --- end to end --------------------------------------------------------------------------------

def span_f1(app: AskJobs, reads: list[dict], weights_for) -> dict:
    """`askjobs bench squad`'s span F1 (the first citation's short answer if marked, else the answer)
    with the phrase choices of `weights_for(read)` (None keeps the recorded choice)."""
    index = app.index
    f1s, halves, changed = [], [], 0
    for r in reads:
        w, query, short = weights_for(r), None, None
        for c in r["citations"]:
            span = tuple(c["answer"]) if c["answer"] else None
            if c["phrase"] and w is not None:
                query = query or app.analyse(r["question"])
                cands = reader._phrase_candidates(query, index, c["source"], c["start"], c["end"])
                if cands:
                    g = {"X": np.array([[f[n] for n in NAMES] for _, _, f in cands], dtype=float),
                         "starts": np.array([a for a, _, _ in cands])}
                    a, b, _ = cands[choose(g, w)]
                    changed += (a, b) != span
                    span = (a, b)
            if span is not None:
                short = index.documents[c["source"]].text[span[0]:span[1]]
                break
        f1s.append(token_f1(short if short is not None else r["answer"], r["golds"]))
        halves.append(held_out(r["article"]))
    f1s, halves = np.array(f1s), np.array(halves)
    return {"span_F1": round(float(np.mean(f1s)), 4), "questions": len(f1s), "short_answers_changed": changed,
            "span_F1_A": round(float(np.mean(f1s[~halves])), 4), "span_F1_B": round(float(np.mean(f1s[halves])), 4)}


NAMES = sorted(reader.PHRASE_WEIGHTS)
BUCKETS = ("refused", "no_gold_in_quote", "unmarked", "wrong_phrase", "boundaries", "exact")


def buckets(app: AskJobs, reads: list[dict], half: str) -> str:
    """The table of `--buckets`: where the span F1 of one half's questions is lost (see the docstring)."""
    index = app.index
    rows = []
    for r in reads:
        if held_out(r["article"]) != (half == "B"):
            continue
        query = app.analyse(r["question"])
        kind = query.answer_type or ("yes_no" if query.yes_no else "summary" if query.asks_summary else "open")
        short = next((index.documents[c["source"]].text[c["answer"][0]:c["answer"][1]]
                      for c in r["citations"] if c["answer"]), None)
        f1 = token_f1(short if short is not None else r["answer"], r["golds"])
        bucket = ("refused" if not r["answer"] else "no_gold_in_quote" if not contains_gold(r["answer"], r["golds"])
                  else "unmarked" if short is None else "wrong_phrase" if f1 == 0 else "boundaries" if f1 < 1
                  else "exact")
        rows.append((kind, bucket, f1))
    n = len(rows)
    kinds = sorted({k for k, _, _ in rows}, key=lambda k: -sum(r[0] == k for r in rows))
    head = f"| half {half}: {n} questions, span F1 {np.mean([f for _, _, f in rows]):.3f} | " + \
        " | ".join(BUCKETS) + " | all |"
    lines = [head, "| --- " * (len(BUCKETS) + 2) + "|"]
    for kind in kinds + ["all"]:
        sub = [r for r in rows if kind in ("all", r[0])]
        cells = []
        for b in BUCKETS + ("all",):
            part = [f for _, bb, f in sub if b in ("all", bb)]
            lost = sum(1 - f for f in part) / n
            cells.append(f"{len(part)} · {np.mean(part):.2f} · {lost:.3f}" if part else "")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("(each cell: questions · mean span F1 · share of the half's span F1 lost there)")
    return "\n".join(lines)


def cross_validate(quotes: list[dict], sentences: list[dict], names: list[str], method: str, strength: float,
                   splits: int, within: str | None = None) -> dict:
    """Mean held-out F1 over `splits` random halvings of the articles (each half judged once): the
    measure the features were chosen by, steadier than one split. With `within` ("A" or "B"), only that
    half's articles are halved, so the other stays unseen by the choice."""
    if within is not None:
        quotes = [g for g in quotes if g["test"] == (within == "B")]
        sentences = [g for g in sentences if g["test"] == (within == "B")]
    articles = sorted({g["article"] for g in quotes + sentences})
    q, s = [], []
    for seed in range(splits):
        rng = np.random.default_rng(seed)
        side = {a: bool(rng.random() < 0.5) for a in articles}
        for half in (True, False):
            w = fit([g for g in quotes + sentences if side[g["article"]] != half], method, strength)
            q.append(mean_f1([g for g in quotes if side[g["article"]] == half], w))
            s.append(mean_f1([g for g in sentences if side[g["article"]] == half], w))
    return {"splits": splits, "quotes": round(float(np.mean(q)), 4),
            "quotes_sem": round(float(np.std(q) / np.sqrt(len(q))), 4),
            "gold_sentences": round(float(np.mean(s)), 4)}


METHODS = {"listwise": "listwise softmax, expected F1, L2 {strength}, scipy L-BFGS-B",
           "pointwise": "scikit-learn LogisticRegression(C={strength}, class_weight='balanced'), best candidates "
                        "against the others",
           "pairwise": "scikit-learn LogisticRegression(C={strength}) on best-minus-other differences"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--piaf", type=Path, default=PIAF)
    p.add_argument("--cache", type=Path, default=CACHE, help="where the PIAF index and answers are kept")
    p.add_argument("--fresh", action="store_true", help="ask the questions again (after a reader change)")
    p.add_argument("--method", choices=("listwise", "pointwise", "pairwise"), default="listwise")
    p.add_argument("--strength", type=float, default=None,
                   help="L2 penalty (listwise, default 0.01) or C (logistic regression, default 1.0)")
    p.add_argument("--features", nargs="*", default=None, help="fit only these features (default: all)")
    p.add_argument("--cv", type=int, default=0, help="also report the mean over this many random article halvings")
    p.add_argument("--cv-half", choices=("A", "B"), default=None,
                   help="halve only this half's articles in --cv (choose features there, report the other half)")
    p.add_argument("--out", type=Path, default=reader.PHRASE_WEIGHTS_FILE)
    p.add_argument("--dry-run", action="store_true", help="report, write nothing")
    p.add_argument("--buckets", choices=("A", "B"), default=None,
                   help="print where this half's span F1 is lost, by answer type, and stop (no fit)")
    args = p.parse_args()
    strength = args.strength if args.strength is not None else (0.01 if args.method == "listwise" else 1.0)
    names = args.features or NAMES
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise SystemExit(f"caractéristiques inconnues : {unknown} (connues : {NAMES})")

    app = piaf_app(args.piaf, args.cache)
    cached = args.cache / "reads.json"
    if args.fresh or not cached.is_file():
        t0 = time.perf_counter()
        reads = read_all(app, args.piaf)
        cached.write_text(json.dumps(reads, ensure_ascii=False), encoding="utf-8")
        print(f"questions lues en {time.perf_counter() - t0:.0f} s : {cached}", file=sys.stderr)
    reads = json.loads(cached.read_text(encoding="utf-8"))
    if args.buckets:
        print(buckets(app, reads, args.buckets))
        return 0

    hand = np.array([reader.PHRASE_WEIGHTS[n] for n in names])
    quotes = groups(app, reads, names)  # what the reader marks: the measure
    sentences = gold_sentence_groups(app, reads, names)  # more to fit on, and a second measure
    side = {"A": False, "B": True}
    fitted = {h: fit([g for g in quotes + sentences if g["test"] != t], args.method, strength)  # on the other half
              for h, t in side.items()}
    held = {}
    for h, t in side.items():
        part, sent = [g for g in quotes if g["test"] == t], [g for g in sentences if g["test"] == t]
        held[h] = {"articles": len({g["article"] for g in part + sent}), "quotes": len(part),
                   "quotes_hand": round(mean_f1(part, hand), 4), "quotes_fitted": round(mean_f1(part, fitted[h]), 4),
                   "quotes_best_candidate": round(float(np.mean([g["f1"].max() for g in part])), 4),
                   "gold_sentences": len(sent), "gold_sentences_hand": round(mean_f1(sent, hand), 4),
                   "gold_sentences_fitted": round(mean_f1(sent, fitted[h]), 4),
                   "quotes_training_fit": round(mean_f1(part, fitted["B" if h == "A" else "A"]), 4)}
    by_type = {}
    for kind in sorted({g["qtype"] for g in quotes}):
        sub = [g for g in quotes if g["qtype"] == kind]
        by_type[kind] = {"quotes": len(sub), "hand": round(mean_f1(sub, hand), 4),
                         "fitted": round(float(np.mean([g["f1"][choose(g, fitted["B" if g["test"] else "A"])]
                                                     for g in sub])), 4)}
    final = fit(quotes + sentences, args.method, strength)
    # The end-to-end runs score every feature: those not fitted weigh 0.
    place = lambda w: np.array([w[names.index(n)] if n in names else 0.0 for n in NAMES])  # noqa: E731
    hand_all = np.array([reader.PHRASE_WEIGHTS[n] for n in NAMES])
    end_to_end = {
        "hand": span_f1(app, reads, lambda r: hand_all),
        "held_out": span_f1(app, reads, lambda r: place(fitted["B" if held_out(r["article"]) else "A"])),
        "final_weights_in_sample": span_f1(app, reads, lambda r: place(final)),
    }
    wins = all(held[h]["quotes_fitted"] > held[h]["quotes_hand"] for h in side)
    result = {
        "weights": {n: round(float(w), 4) for n, w in zip(NAMES, place(final))},  # every feature: the reader reads all
        "method": METHODS[args.method].format(strength=strength)
                  + "; fitted on the quotes and the gold sentences; eval/fit_phrases.py",
        "data": {"piaf": args.piaf.name, "questions": len(reads), "quotes_with_gold_marked_by_a_phrase": len(quotes),
                 "gold_sentences": len(sentences),
                 "candidates": int(sum(len(g["f1"]) for g in quotes + sentences))},
        "held_out": held,
        "held_out_quotes_by_type": by_type,
        "end_to_end_span_f1": end_to_end,
        "beats_hand_set_on_both_halves": wins,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    if args.cv:
        result["cross_validation"] = cross_validate(quotes, sentences, names, args.method, strength, args.cv,
                                                      args.cv_half)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.dry_run:
        return 0
    if not wins:
        print("les poids ajustés ne battent pas les poids fixés à la main sur les deux moitiés : rien n'est écrit",
              file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"écrit : {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
