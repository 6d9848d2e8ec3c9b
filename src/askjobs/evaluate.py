"""Metrics over an eval file: per-question results and the totals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from .files import iter_jsonl
from .metrics import contains_gold
from .schema import Answer


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    source: str | None
    answerable: bool
    sources: tuple[str, ...] = ()  # every document holding (part of) the answer; defaults to (source,)
    must_include: tuple[str, ...] = ()  # list answers: the items expected
    min_include: int = 0  # how many of them an acceptable answer shows
    form: str | None = None  # fact, list, definition, reason…
    type: str | None = None  # expected answer type (amount, date, person…)
    near_miss: str | None = None  # for unanswerable questions: the kind of near miss
    context: tuple[str, ...] = ()  # earlier questions of the conversation, oldest first

    @property
    def gold_sources(self) -> tuple[str, ...]:
        return self.sources or ((self.source,) if self.source else ())


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
        must = tuple(map(str, row.get("must_include") or ()))
        answerable = bool(row.get("answerable", bool(answers or must)))
        if answerable and not (answers or must):
            raise ValueError(f"{path}:{n}: une question answerable doit avoir au moins une réponse dans "
                             "\"answers\" (ou des éléments dans \"must_include\").")
        context = tuple(t["question"] if isinstance(t, dict) else str(t) for t in row.get("context") or ())
        out.append(EvalQuestion(qid, row["question"], tuple(map(str, answers)), row.get("source"), answerable,
                                tuple(row.get("sources") or ()), must, int(row.get("min_include") or len(must)),
                                row.get("form"), row.get("type"), row.get("near_miss"), context))
    if not out:
        raise ValueError(f"{path} ne contient aucune question.")
    return out


def answer_ok(q: EvalQuestion, text: str) -> bool:
    """The text holds an accepted answer and, for a list, enough of its items."""
    if q.answers and not contains_gold(text, q.answers):
        return False
    return sum(bool(contains_gold(text, (item,))) for item in q.must_include) >= q.min_include


def judge(q: EvalQuestion, a: Answer) -> dict:
    """Per-question verdicts."""
    retrieved = [c.source for c in a.nearest]
    golds = q.gold_sources
    r = {
        "refused": not a.answerable,
        "hit@1": any(s in retrieved[:1] for s in golds),
        "hit@5": any(s in retrieved[:5] for s in golds),
    }
    if q.answerable:
        r["answer_correct"] = a.answerable and answer_ok(q, a.answer)
        # The quotes cited from gold documents hold the answer by themselves (a list cites each item).
        r["citation_correct"] = r["answer_correct"] and answer_ok(
            q, " ".join(c.quote for c in a.citations if c.source in golds))
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
        **_breakdowns(questions, verdicts),
    }


def _breakdowns(questions: list[EvalQuestion], verdicts: list[dict]) -> dict:
    """Accuracy per answer form and per expected type, refusal rate per kind of near miss (when labelled)."""
    out = {}
    for key, label in (("form", "by_form"), ("type", "by_type"), ("near_miss", "by_near_miss")):
        groups: dict[str, list[bool]] = {}
        for q, v in zip(questions, verdicts):
            value = getattr(q, key)
            if value:
                groups.setdefault(value, []).append(v["answer_correct"])
        if groups:
            out[label] = {g: {"n": len(xs), "correct": round(float(np.mean(xs)), 4)} for g, xs in sorted(groups.items())}
    return out


def run_eval(ask, questions: list[EvalQuestion], progress=None) -> dict:
    """Ask every question through `ask(question) -> Answer`; return summary and per-question results.

    A follow-up (with `context`) is asked as in a conversation: its earlier questions first, each
    answer passed on as `history` (`ask(question, history=…)`), and only the last answer is judged.
    """
    answers, verdicts, results = [], [], []
    t0 = time.perf_counter()
    for i, q in enumerate(questions):
        history = []
        for earlier in q.context:
            history.append({"question": earlier, "answer": ask(earlier, history=list(history)).to_dict()})
        a = ask(q.question, history=history) if history else ask(q.question)
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
        ok = answer_ok(q, r["answer"]) if q.answerable else False
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
