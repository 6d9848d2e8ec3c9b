"""Metrics over an eval file: per-question results and the totals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from .files import iter_jsonl
from .schema import Answer
from .text import normalize


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    source: str | None
    answerable: bool


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL eval file, checking every line; errors name the line and the fix."""
    path = Path(path)
    out, seen = [], set()
    for n, row in iter_jsonl(path, "de questions", " Une question par ligne, au format JSON."):
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise ValueError(f"{path}:{n}: il manque le champ \"question\" (texte).")
        qid = str(row.get("id", f"line{n}"))
        if qid in seen:
            raise ValueError(f"{path}:{n}: l'identifiant {qid!r} est déjà utilisé.")
        seen.add(qid)
        answers = row.get("answers") or []
        if isinstance(answers, str):
            answers = [answers]
        answerable = bool(row.get("answerable", bool(answers)))
        if answerable and not answers:
            raise ValueError(f"{path}:{n}: une question answerable doit avoir au moins une réponse dans \"answers\".")
        out.append(EvalQuestion(qid, row["question"], tuple(map(str, answers)), row.get("source"), answerable))
    if not out:
        raise ValueError(f"{path} ne contient aucune question.")
    return out


def contains_answer(text: str, answers: tuple[str, ...]) -> bool:
    t = normalize(text)
    return any(normalize(a) in t for a in answers)


def judge(q: EvalQuestion, a: Answer) -> dict:
    """Per-question verdicts."""
    retrieved = [c.source for c in a.nearest]
    r = {
        "refused": not a.answerable,
        "hit@1": bool(q.source) and q.source in retrieved[:1],
        "hit@5": bool(q.source) and q.source in retrieved[:5],
    }
    if q.answerable:
        r["answer_correct"] = a.answerable and contains_answer(a.answer, q.answers)
        r["citation_correct"] = a.answerable and any(
            c.source == q.source and contains_answer(c.quote, q.answers) for c in a.citations)
    else:
        r["answer_correct"] = not a.answerable
        r["citation_correct"] = not a.citations
    return r


def summarize(questions: list[EvalQuestion], answers: list[Answer], verdicts: list[dict]) -> dict:
    ans = [v for q, v in zip(questions, verdicts) if q.answerable]
    unans = [v for q, v in zip(questions, verdicts) if not q.answerable]
    refused = [q.answerable for q, v in zip(questions, verdicts) if v["refused"]]
    lat = np.array([a.timings_ms.get("total", 0.0) for a in answers])
    mean = lambda xs: round(float(np.mean(xs)), 4) if len(xs) else None  # noqa: E731
    return {
        "questions": len(questions),
        "answerable": len(ans),
        "unanswerable": len(unans),
        "retrieval_hit@1": mean([v["hit@1"] for v in ans]),
        "retrieval_hit@5": mean([v["hit@5"] for v in ans]),
        "answer_accuracy": mean([v["answer_correct"] for v in ans]),
        "citation_accuracy": mean([v["citation_correct"] for v in ans]),
        "refusal_precision": mean([not x for x in refused]) if refused else None,
        "refusal_recall": mean([v["refused"] for v in unans]),
        "mean_answer_chars": mean([len(a.answer) for q, a in zip(questions, answers) if q.answerable and a.answerable]),
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1) if len(lat) else None,
    }


def run_eval(ask, questions: list[EvalQuestion], progress=None) -> dict:
    """Ask every question through `ask(question) -> Answer`; return summary and per-question results."""
    answers, verdicts, results = [], [], []
    t0 = time.perf_counter()
    for i, q in enumerate(questions):
        a = ask(q.question)
        v = judge(q, a)
        answers.append(a)
        verdicts.append(v)
        results.append({"id": q.id, **a.to_dict(), "expected": {"answers": list(q.answers), "source": q.source,
                                                              "answerable": q.answerable}, "verdict": v})
        if progress:
            progress(i + 1, len(questions))
    summary = summarize(questions, answers, verdicts)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return {"summary": summary, "results": results}


def calibrate(questions: list[EvalQuestion], results: list[dict]) -> dict:
    """The refusal threshold that maximises overall accuracy, from answers given with threshold 0.

    Every threshold between two consecutive confidences has the same outcome. Of the best ones,
    the widest unbroken range is kept and its middle value returned: the threshold farthest from
    any question's confidence, so that small score shifts (another CPU, a retrained model) change
    no decision.
    """
    rows = []
    for q, r in zip(questions, results):
        ok = contains_answer(r["answer"], q.answers) if q.answerable else False
        rows.append((r["confidence"], q.answerable, ok))
    bounds = [0.0] + sorted({c for c, _, _ in rows if 0.0 < c < 1.0}) + [1.0]
    # Range k is (bounds[k], bounds[k + 1]]: a question is answered when its confidence >= the threshold.
    scores = [sum((c >= hi and ok) if answerable else (c < hi) for c, answerable, ok in rows)
              for hi in bounds[1:]]
    top = max(scores)
    ranges = []  # each unbroken run of best ranges k..j spans (bounds[k], bounds[j + 1]]
    for is_top, run in groupby(range(len(scores)), key=lambda k: scores[k] == top):
        if is_top:
            run = list(run)
            ranges.append((bounds[run[-1] + 1] - bounds[run[0]], bounds[run[0]], bounds[run[-1] + 1]))
    _, lo, hi = max(ranges)
    return {"threshold": round((lo + hi) / 2, 4), "accuracy": round(top / len(rows), 4), "questions": len(rows),
            "range": [round(lo, 4), round(hi, 4)]}
