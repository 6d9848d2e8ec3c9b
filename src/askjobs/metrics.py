"""Metrics shared by `askjobs eval` and `askjobs bench`: one definition each, one French normalisation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from .text import normalize

_ELISION = re.compile(r"\b(?:l|d)'")
_ARTICLES = frozenset({"le", "la", "les", "un", "une", "des"})


def normalize_answer(text: str, articles: bool = False) -> str:
    """SQuAD answer normalisation for French: case, quotes, spaces, punctuation, articles; accents kept."""
    t = normalize(text)  # NFC, lower case, typographic quotes/apostrophes and NBSP made plain
    if not articles:
        t = _ELISION.sub(" ", t)
    t = "".join(" " if unicodedata.category(c)[0] in "PSZ" else c for c in t)
    return " ".join(w for w in t.split() if articles or w not in _ARTICLES)


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1 against the best-matching gold answer."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for g in golds:
        gold = normalize_answer(g).split()
        common = sum(min(pred.count(w), gold.count(w)) for w in set(pred) & set(gold))
        if not pred or not gold:
            best = max(best, float(pred == gold))
        elif common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_gold(prediction: str, golds: Sequence[str]) -> float:
    """1 when a normalised gold answer appears, on word boundaries, inside the normalised prediction."""
    p = f" {normalize_answer(prediction)} "
    for g in golds:
        gold = normalize_answer(g)
        if gold and f" {gold} " in p:
            return 1.0
        if not gold and normalize_answer(g, articles=True):  # a gold made only of articles ("la")
            if f" {normalize_answer(g, articles=True)} " in f" {normalize_answer(prediction, articles=True)} ":
                return 1.0
    return 0.0


def recall_at(ranked: Sequence[str], gold: str, k: int) -> float:
    return float(gold in ranked[:k])


def reciprocal_rank(ranked: Sequence[str], gold: str, k: int = 10) -> float:
    for i, source in enumerate(ranked[:k]):
        if source == gold:
            return 1.0 / (i + 1)
    return 0.0


def unique_sources(sources: Sequence[str]) -> list[str]:
    """Documents in the order their first passage was ranked."""
    return list(dict.fromkeys(sources))


def coverage_curve(confidences: Sequence[float], correct: Sequence[float]) -> list[dict]:
    """Accuracy among the questions answered, against the share answered, as the threshold rises."""
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=float)
    out = []
    for t in np.unique(np.concatenate([[0.0], conf])):
        kept = conf >= t
        if kept.any():
            out.append({"threshold": round(float(t), 4), "coverage": round(float(kept.mean()), 4),
                        "accuracy": round(float(ok[kept].mean()), 4)})
    return out


def percentile(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if len(values) else 0.0
