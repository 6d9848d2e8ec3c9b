"""Does word-vector query expansion help BM25, or the fusion? Issue 10 study.

Each set's index is built once and every question's scores cached (dense, best sentence, BM25 of its
terms, BM25 of every candidate expansion term); then every variant is scored in seconds:

    python eval/expansion_study.py dump [--sets piaf-dev cnil-dev seeds hard]
    python eval/expansion_study.py study [--sets …]
    python eval/expansion_study.py check [--sets …] --weight W   # the real retrieve(), both ways
    python eval/expansion_study.py misses --sets cnil-dev          # why it cannot help there

Parameters are chosen on one half of each set's questions (split by a SHA-256 of the question's id)
and reported on the other half, both ways. Recall is by document: a document ranks by its best passage.
Indexes and scores are cached under eval/reports/expansion/scratch/ (git-ignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fusion_study import ROOT, SETS, cached_query_vectors

SCRATCH = ROOT / "eval" / "reports" / "expansion" / "scratch"
# Broader expansion (not Query.related): which question terms, which neighbours.
NEAR_K = 3
NEAR_MIN = 0.45  # the lowest threshold studied; higher ones filter the cached neighbours


@dataclass
class StudySet:
    name: str
    corpus: Path
    ids: list[str]
    questions: list[str]
    gold: list[tuple[str, ...]]  # documents that answer each question (any of them)


def load_set(name: str) -> StudySet:
    from askjobs.bench import load_squad, write_corpus

    path = SETS[name]
    if path.suffix == ".jsonl":
        from askjobs.evaluate import load_questions

        qs = [q for q in load_questions(path) if q.answerable and q.source]
        return StudySet(name, ROOT / "corpus", [q.id for q in qs], [q.question for q in qs],
                        [tuple(q.sources or (q.source,)) for q in qs])
    data = load_squad(path)
    corpus = SCRATCH / name / "corpus"
    if not corpus.is_dir():
        write_corpus(data.paragraphs, corpus)
    return StudySet(name, corpus, [q.qid for q in data.questions], [q.question for q in data.questions],
                    [(q.source,) for q in data.questions])


def half(qid: str) -> int:
    """0 or 1: the half a question belongs to, by a SHA-256 of its id."""
    return hashlib.sha256(qid.encode("utf-8")).digest()[0] & 1


def app_for(study: StudySet, encoder):
    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs

    settings = Settings().with_(corpus_dir=study.corpus, index_dir=SCRATCH / study.name / "index")
    return AskJobs(settings, encoder)


def near_terms(table, index, terms: list[str], threshold: float, k: int, *, nouns_only: bool) -> dict:
    """For each term (used by the index or not), the index's other terms closest in meaning with their
    cosine: every kind of word when not `nouns_only`, else the index's nouns and adjectives."""
    known, qvecs = table.vectors(terms)
    if not known:
        return {}
    vocabulary, matrix = index.cached(("study-near", nouns_only), lambda: table.vectors(
        sorted(t for t in index.term_df if not nouns_only or table.is_noun_or_adjective(t))))
    sims = qvecs @ matrix.T
    out = {}
    for term, row in zip(known, sims):
        top = np.argsort(-row)[:k + 1]
        close = {vocabulary[i]: round(float(row[i]), 3) for i in top if row[i] >= threshold and vocabulary[i] != term}
        if close:
            out[term] = dict(list(close.items())[:k])
    return out


def dump(name: str, encoder) -> Path:
    """Cache every question's scores over every passage, with its expansion candidates."""
    from askjobs.retrieve import dense_scores, lexical_scores, sentence_scores
    from askjobs.text import analyze
    from askjobs.wordvec import load as load_table

    out = SCRATCH / name / "scores.npz"
    if out.exists():
        return out
    study = load_set(name)
    app = app_for(study, encoder)
    t0 = time.perf_counter()
    report = app.build()
    print(f"[{name}] index {report.documents} docs {report.chunks} chunks ({time.perf_counter() - t0:.0f} s, "
          f"embedded {report.embedded})", file=sys.stderr)
    index = app.index
    table = load_table(app.settings.models_dir / "wordvec")
    qvecs = cached_query_vectors(SCRATCH / name / "queries.npy", encoder, study.questions)
    n = len(study.questions)
    dense = np.stack([dense_scores(index, q) for q in qvecs])
    sent = np.stack([sentence_scores(index, q) for q in qvecs])
    lex = np.zeros_like(dense)
    meta, term_scores = [], {}
    for i, text in enumerate(study.questions):
        query = app.analyse(text)
        lex[i] = lexical_scores(index, query.terms)
        named = {t for tok in query.constraints.key_tokens for t in analyze(tok)}
        plain = [t for t in query.terms if t not in named]
        nouns = near_terms(table, index, plain, NEAR_MIN, NEAR_K, nouns_only=True)
        anyword = near_terms(table, index, plain, NEAR_MIN, NEAR_K, nouns_only=False)
        info = {"terms": list(query.terms), "related": query.related, "nouns": nouns, "any": anyword,
                "df": {t: index.term_df.get(t, 0) for t in plain},
                "noun": {t: table.is_noun(t) for t in plain} if table else {}}
        meta.append(info)
        for near in (query.related, nouns, anyword):
            for term, close in near.items():
                for t in (term, *close):  # the question's own term too: variant "fill" reads it
                    if t not in term_scores:
                        term_scores[t] = lexical_scores(index, (t,))
    sources = [c.source for c in index.chunks]
    docs = list(dict.fromkeys(sources))
    doc_ids = {s: j for j, s in enumerate(docs)}
    vocab = sorted(term_scores)
    np.savez_compressed(out, dense=dense.astype(np.float32), sent=sent.astype(np.float32), lex=lex.astype(np.float32),
                        chunk_doc=np.array([doc_ids[s] for s in sources]),
                        gold_mask=np.array([[d in g for d in docs] for g in study.gold]),
                        half=np.array([half(q) for q in study.ids]),
                        term_lex=np.stack([term_scores[t] for t in vocab]).astype(np.float32) if vocab
                        else np.zeros((0, len(sources)), np.float32))
    (SCRATCH / name / "meta.json").write_text(json.dumps({"vocab": vocab, "questions": study.questions, "meta": meta,
                                                          "n": n}, ensure_ascii=False), encoding="utf-8")
    return out


# --- Scoring variants ----------------------------------------------------------------

def load(name: str) -> tuple[dict, dict]:
    d = dict(np.load(SCRATCH / name / "scores.npz"))
    m = json.loads((SCRATCH / name / "meta.json").read_text(encoding="utf-8"))
    m["row"] = {t: i for i, t in enumerate(m["vocab"])}
    return d, m


def doc_recall(d: dict, scores: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """Document R@1 and R@5 over the questions `rows`; ties count against the gold document."""
    scores, cd, mask = scores[rows], d["chunk_doc"], d["gold_mask"][rows]
    ndoc = int(cd.max()) + 1
    doc = np.full((len(rows), ndoc), -np.inf)
    for j in range(ndoc):
        doc[:, j] = scores[:, cd == j].max(axis=1)
    g = np.where(mask, doc, -np.inf).max(axis=1)
    rank = ((doc >= g[:, None]) & ~mask).sum(axis=1)
    return float(np.mean(rank < 1)), float(np.mean(rank < 5))


def expansion_matrix(d: dict, m: dict, pick) -> np.ndarray:
    """Per question, Σ cosine × BM25 of its expansion terms; `pick(info)` gives {term: cosine}."""
    out = np.zeros_like(d["lex"])
    for i, info in enumerate(m["meta"]):
        for t, c in pick(info).items():
            out[i] += c * d["term_lex"][m["row"][t]]
    return out


def fill_matrix(d: dict, m: dict, pick_near, weight: float) -> np.ndarray:
    """Per question, BM25 where each expanded term t counts max(BM25(t), weight × max over its neighbours of
    cosine × BM25(neighbour)): a neighbour stands in for a term a passage lacks, and adds nothing where the
    passage has the term itself (no double count)."""
    out = d["lex"].copy()
    row = m["row"]
    for i, info in enumerate(m["meta"]):
        for t, close in pick_near(info).items():
            own = d["term_lex"][row[t]] if t in row else np.zeros(out.shape[1], np.float32)
            best = np.max([c * d["term_lex"][row[e]] for e, c in close.items()], axis=0)
            out[i] += np.maximum(0.0, weight * best - own)
    return out


def merge(*nears) -> dict[str, float]:
    out: dict[str, float] = {}
    for near in nears:
        for close in near.values():
            for t, c in close.items():
                out[t] = max(out.get(t, 0.0), c)
    return out


def pickers() -> dict:
    """Which question terms are expanded, and to what: name -> (params -> pick(info))."""
    def related(info, thr):  # Query.related: absent nouns (cosine ≥ 0.5 already)
        return merge({t: {w: c for w, c in near.items() if c >= thr} for t, near in info["related"].items()})

    def rare(info, thr, df_max):  # nouns the index uses in at most df_max passages, plus the absent ones
        sel = {t: near for t, near in info["nouns"].items() if info["noun"].get(t) and info["df"].get(t, 0) <= df_max}
        return merge({t: {w: c for w, c in near.items() if c >= thr} for t, near in sel.items()})

    def absent_any(info, thr):  # absent terms of every kind (verbs too), to any index term
        sel = {t: near for t, near in info["any"].items() if info["df"].get(t, 0) == 0}
        return merge({t: {w: c for w, c in near.items() if c >= thr} for t, near in sel.items()})

    def every(info, thr):  # every term, to nouns and adjectives
        return merge({t: {w: c for w, c in near.items() if c >= thr} for t, near in info["nouns"].items()})

    out = {}
    for thr in (0.5, 0.6, 0.7):
        out[f"related≥{thr}"] = lambda info, thr=thr: related(info, thr)
        out[f"absent-any≥{thr}"] = lambda info, thr=thr: absent_any(info, thr)
        out[f"every-noun≥{thr}"] = lambda info, thr=thr: every(info, thr)
        for df_max in (1, 3, 10):
            out[f"rare-noun df≤{df_max} ≥{thr}"] = lambda info, thr=thr, df_max=df_max: rare(info, thr, df_max)
    return out


def fill_pickers() -> dict:
    """Which question terms are filled in by their neighbours (variant 'fill'): name -> pick_near(info)."""
    def sel(near, thr, keep):
        return {t: {w: c for w, c in close.items() if c >= thr} for t, close in near.items() if keep(t)}

    out = {}
    for thr in (0.5, 0.6, 0.7):
        out[f"fill related≥{thr}"] = lambda info, thr=thr: {t: c for t, c in sel(info["related"], thr, lambda t: True).items() if c}
        out[f"fill every-noun≥{thr}"] = lambda info, thr=thr: {
            t: c for t, c in sel(info["nouns"], thr, lambda t: info["noun"].get(t)).items() if c}
        out[f"fill every-term≥{thr}"] = lambda info, thr=thr: {
            t: c for t, c in sel(info["nouns"], thr, lambda t: True).items() if c}
        # the word's own family: a neighbour sharing its first letters ("pirat" → "piratag", "supprim" → "suppress")
        for prefix in (4, 5):
            out[f"fill family{prefix}≥{thr}"] = lambda info, thr=thr, prefix=prefix: {
                t: c for t, c in {t: {w: x for w, x in close.items() if x >= thr and w[:prefix] == t[:prefix]}
                                  for t, close in info["any"].items()}.items() if c}
        for df_max in (3, 10):
            out[f"fill rare-noun df≤{df_max} ≥{thr}"] = lambda info, thr=thr, df_max=df_max: {
                t: c for t, c in sel(info["nouns"], thr, lambda t: info["noun"].get(t) and info["df"].get(t, 0) <= df_max).items() if c}
    return out


def fused(d: dict, lex: np.ndarray, extra: np.ndarray | None = None, extra_weight: float = 0.0) -> np.ndarray:
    """askjobs' fusion (retrieve.fuse) per question, with the lexical scores given; `extra` is fused as a
    fourth retriever in units of the lexical spread (variant 'separate')."""
    from askjobs.retrieve import fuse, spread

    out = np.empty_like(d["dense"], dtype=np.float64)
    for i in range(len(out)):
        out[i] = fuse(d["dense"][i], lex[i], d["sent"][i])
        if extra is not None and extra_weight:
            out[i] += 1.5 * extra_weight * extra[i] / spread(np.where(lex[i] > 0, lex[i], extra[i]))
    return out


def bm25_alone(lex: np.ndarray) -> np.ndarray:
    return np.where(lex > 0, lex, -np.inf)


WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)


def study(names: list[str]) -> dict:
    """Every variant on every set and half; choose on one half, report the other."""
    data = {n: load(n) for n in names}
    rows = {n: {h: np.flatnonzero(d["half"] == h) for h in (0, 1)} | {"all": np.arange(len(d["half"]))}
            for n, (d, m) in data.items()}
    results: dict[str, dict] = {}

    def record(variant: str, per_set: dict) -> None:
        results[variant] = per_set

    base = {}
    for n, (d, m) in data.items():
        base[n] = {
            "bm25": {h: doc_recall(d, bm25_alone(d["lex"]), r) for h, r in rows[n].items()},
            "dense": {h: doc_recall(d, d["dense"], r) for h, r in rows[n].items()},
            "sentence": {h: doc_recall(d, d["sent"], r) for h, r in rows[n].items()},
        }
        fl = fused(d, d["lex"])
        base[n]["askjobs"] = {h: doc_recall(d, fl, r) for h, r in rows[n].items()}
        touched = sum(1 for info in m["meta"] if info["related"])
        print(f"## {n}: {len(d['half'])} q, {touched} with Query.related; "
              + "; ".join(f"{k} " + " ".join(f"{h}:{v[h][0]:.3f}/{v[h][1]:.3f}" for h in (0, 1, "all"))
                          for k, v in base[n].items()), flush=True)
    record("base", base)
    for pname, pick in pickers().items():
        extra = {n: expansion_matrix(d, m, pick) for n, (d, m) in data.items()}
        touched = {n: int((extra[n].max(axis=1) > 0).sum()) for n in data}
        for w in WEIGHTS:
            for mode in ("sum", "separate"):
                per_set = {}
                for n, (d, m) in data.items():
                    if mode == "sum":
                        lex = d["lex"] + w * extra[n]
                        f = fused(d, lex)
                        per_set[n] = {"bm25": {h: doc_recall(d, bm25_alone(lex), r) for h, r in rows[n].items()}}
                    else:
                        f = fused(d, d["lex"], extra[n], w)
                        per_set[n] = {}
                    per_set[n]["askjobs"] = {h: doc_recall(d, f, r) for h, r in rows[n].items()}
                    per_set[n]["touched"] = touched[n]
                record(f"{pname} | {mode} w={w}", per_set)
        print(f"  {pname}: questions touched " + ", ".join(f"{n} {t}" for n, t in touched.items()), flush=True)
    for pname, pick_near in fill_pickers().items():
        for w in WEIGHTS:
            per_set = {}
            for n, (d, m) in data.items():
                lex = fill_matrix(d, m, pick_near, w)
                per_set[n] = {"bm25": {h: doc_recall(d, bm25_alone(lex), r) for h, r in rows[n].items()},
                              "askjobs": {h: doc_recall(d, fused(d, lex), r) for h, r in rows[n].items()}}
            record(f"{pname} | w={w}", per_set)
    return results


def choose(results: dict, names: list[str], on: int) -> tuple[str, dict]:
    """The variant that, on half `on`, loses on no set (R@1 and R@5 against askjobs as it is; where askjobs
    already trails a single retriever on a half, as CNIL's half 0 trails dense, a variant may not trail it
    further) and has the best mean gain (R@1 + R@5 / 2); base when none gains."""
    base = results["base"]

    def ok(variant):
        gains = []
        for n in names:
            r1, r5 = results[variant][n]["askjobs"][on]
            b1, b5 = base[n]["askjobs"][on]
            if r1 < b1 or r5 < b5:
                return None
            gains.append((r1 - b1) + 0.5 * (r5 - b5))
        return float(np.mean(gains))

    scored = [(ok(v), v) for v in results if v != "base"]
    scored = [(g, v) for g, v in scored if g is not None and g > 0]
    if not scored:
        return "base", {}
    _, v = max(scored)
    return v, results[v]


def report(results: dict, names: list[str]) -> None:
    base = results["base"]
    print("\n# Held-out: chosen on one half, reported on the other (R@1 / R@5, askjobs fusion)")
    for on in (0, 1):
        other = 1 - on
        v, _ = choose(results, names, on)
        print(f"chosen on half {on}: {v}"
              + ("" if v == "base" else "  (on that half: " + ", ".join(
                  f"{n} {results[v][n]['askjobs'][on][0]:.3f}/{results[v][n]['askjobs'][on][1]:.3f}" for n in names) + ")"))
        for n in names:
            b = base[n]["askjobs"][other]
            r = results[v][n]["askjobs"][other] if v != "base" else b
            print(f"  {n:9s} half {other}: base {b[0]:.3f} / {b[1]:.3f} → {r[0]:.3f} / {r[1]:.3f}   "
                  f"(bm25 {base[n]['bm25'][other][0]:.3f}, dense {base[n]['dense'][other][0]:.3f})")
    print("\n# Each family alone: its weight chosen on one half (as above), reported on the other; then on all")
    families = sorted({v.rsplit(" w=", 1)[0].rstrip(" |") for v in results if v != "base"})
    for fam in families:
        members = {v: results[v] for v in results if v != "base" and v.rsplit(" w=", 1)[0].rstrip(" |") == fam}
        cells = []
        for on in (0, 1):
            v, _ = choose({"base": base, **members}, names, on)
            other = 1 - on
            got = results[v] if v != "base" else base
            cells.append(f"w={v.rsplit('=', 1)[1] if v != 'base' else '0'} on {on} → half {other}: " + " ".join(
                f"{got[n]['askjobs'][other][0] - base[n]['askjobs'][other][0]:+.3f}/"
                f"{got[n]['askjobs'][other][1] - base[n]['askjobs'][other][1]:+.3f}" for n in names))
        print(f"  {fam:28s} " + "   ".join(cells))
    print(f"  (gains in R@1/R@5 over askjobs as it is, sets in the order {', '.join(names)})")
    print("\n# Best variants on all questions (by mean R@1 gain over the sets)")
    rows = []
    for v, per in results.items():
        if v == "base":
            continue
        g1 = [per[n]["askjobs"]["all"][0] - base[n]["askjobs"]["all"][0] for n in names]
        g5 = [per[n]["askjobs"]["all"][1] - base[n]["askjobs"]["all"][1] for n in names]
        rows.append((float(np.mean(g1)), min(g1), min(g5), v))
    rows.sort(reverse=True)
    for mean1, min1, min5, v in rows[:25]:
        cells = "  ".join(f"{n} {results[v][n]['askjobs']['all'][0]:.3f}/{results[v][n]['askjobs']['all'][1]:.3f}"
                          + (f" (bm25 {results[v][n]['bm25']['all'][0]:.3f}/{results[v][n]['bm25']['all'][1]:.3f})"
                             if "bm25" in results[v][n] else "") for n in names)
        print(f"  {mean1:+.4f} min {min1:+.3f}/{min5:+.3f}  {v}: {cells}")


class ExpandingSearcher:
    """The index's own searcher, with BM25 widened: each term standing in for a question noun the index never
    uses (Query.related) adds weight × its cosine × its own BM25 (a weighted BM25 query; BM25 sums over terms).
    Candidates, dense and sentence scores are the wrapped searcher's."""

    def __init__(self, base, weight: float):
        self.base, self.weight, self.related = base, weight, {}

    def candidates(self, qvec, terms, n):
        return self.base.candidates(qvec, terms, n)

    def candidate_ms(self):
        return self.base.candidate_ms()

    def dense(self, qvec, rows):
        return self.base.dense(qvec, rows)

    def sentences(self, qvec, rows):
        return self.base.sentences(qvec, rows)

    def lexical(self, terms, rows):
        scores = self.base.lexical(terms, rows)
        for term, cosine in (merge(self.related) if self.weight > 0 else {}).items():
            scores = scores + np.float32(self.weight * cosine) * self.base.lexical((term,), rows)
        return scores


def check(names: list[str], weight: float, encoder) -> None:
    """The real analyse → retrieve path, expansion weight 0 then `weight`, alternating: document R@1 / R@5 per
    half and the search step's latency (without the query's embedding, cached)."""
    from askjobs.metrics import percentile
    from askjobs.retrieve import retrieve
    from askjobs.store import attach_searcher, searcher_of

    for name in names:
        study_set = load_set(name)
        app = app_for(study_set, encoder)
        app.build()
        index = app.index
        qvecs = np.load(SCRATCH / name / "queries.npy")
        queries = [app.analyse(q) for q in study_set.questions]
        own = searcher_of(index)
        for w in (0.0, weight, 0.0, weight):  # twice each, alternating (a loaded machine)
            searcher = ExpandingSearcher(own, w)
            attach_searcher(index, searcher)
            ranks, ms = [], []
            for query, qvec, gold in zip(queries, qvecs, study_set.gold):
                searcher.related = query.related
                t0 = time.perf_counter()
                found = retrieve(index, query, qvec, 20, candidates=app.settings.candidates)
                ms.append((time.perf_counter() - t0) * 1e3)
                docs = list(dict.fromkeys(h.chunk.source for h in found.hits))
                ranks.append(next((i for i, s in enumerate(docs) if s in gold), 99))
            attach_searcher(index, own)
            ranks = np.array(ranks)
            halves = np.array([half(q) for q in study_set.ids])
            cells = "  ".join(f"half {h}: {np.mean(ranks[halves == h] < 1):.3f} / {np.mean(ranks[halves == h] < 5):.3f}"
                              for h in (0, 1))
            print(f"{name:9s} w={w}: all {np.mean(ranks < 1):.3f} / {np.mean(ranks < 5):.3f}  {cells}  "
                  f"search p50 {percentile(ms, 50):.2f} ms", flush=True)


def misses(name: str) -> None:
    """Why expansion cannot tell sibling pages apart: for the questions askjobs misses at R@1, the question
    terms the gold page lacks, and whether the gold page or the page ranked first holds a closer stand-in."""
    from askjobs.text import analyze
    from askjobs.wordvec import load as load_table

    d, m = load(name)
    app = app_for(load_set(name), None)
    index, table = app.index, load_table(app.settings.models_dir / "wordvec")
    terms_of: dict[str, set] = {}
    for c in index.chunks:
        terms_of.setdefault(c.source, set()).update(analyze(index.documents[c.source].title + " " + c.text))
    docs = list(dict.fromkeys(c.source for c in index.chunks))
    f, cd = fused(d, d["lex"]), d["chunk_doc"]
    top = np.stack([f[:, cd == j].max(axis=1) for j in range(cd.max() + 1)], 1).argmax(1)
    missed = [i for i in range(len(top)) if not d["gold_mask"][i, top[i]]]
    on_gold, on_top, lacking, closer = [], [], 0, {"gold": 0, "first": 0}
    for i in missed:
        terms = m["meta"][i]["terms"]
        gold, first = terms_of[docs[int(d["gold_mask"][i].argmax())]], terms_of[docs[top[i]]]
        on_gold.append(np.mean([t in gold for t in terms]) if terms else 0.0)
        on_top.append(np.mean([t in first for t in terms]) if terms else 0.0)
        lacking += any(t not in gold and t in first for t in terms)
        known, qv = table.vectors([t for t in terms if t not in gold and t not in first])
        if known:
            _, gv = table.vectors(sorted(gold))
            _, fv = table.vectors(sorted(first))
            for a, b in zip((qv @ gv.T).max(1), (qv @ fv.T).max(1)):
                closer["gold" if a > b else "first"] += 1
    print(f"{name}: {len(missed)} questions missed at R@1; share of their terms on the gold page {np.mean(on_gold):.2f}, "
          f"on the page ranked first {np.mean(on_top):.2f}; {lacking} have a term the first page holds and the gold "
          f"page lacks. Terms on neither page: the closest stand-in (word vectors) is on the gold page for "
          f"{closer['gold']}, on the page ranked first for {closer['first']}.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["dump", "study", "check", "misses"])
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--weight", type=float, default=0.3)
    ap.add_argument("--json", type=Path, default=None, help="write every variant's numbers here")
    args = ap.parse_args()
    if args.what in ("dump", "check"):
        from askjobs.config import Settings
        from askjobs.embed import make_encoder

        encoder = make_encoder(Settings())
        if args.what == "dump":
            for name in args.sets:
                dump(name, encoder)
        else:
            check(args.sets, args.weight, encoder)
        return
    if args.what == "misses":
        for name in args.sets:
            misses(name)
        return
    results = study(args.sets)
    report(results, args.sets)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
