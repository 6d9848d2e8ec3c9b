"""User feedback on chat answers: a JSONL log, and its conversion into eval questions."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from .config import PROJECT_ROOT
from .files import iter_jsonl, write_jsonl
from .schema import stable_id
from .text import normalize

VERDICTS = ("up", "down")
_write_lock = threading.Lock()  # one process may serve several chat sessions at once


def default_feedback_path() -> Path:
    """Where the chat writes feedback: $ASKJOBS_FEEDBACK, else feedback/feedback.jsonl."""
    value = os.environ.get("ASKJOBS_FEEDBACK")
    return Path(value).expanduser() if value else PROJECT_ROOT / "feedback" / "feedback.jsonl"


def feedback_record(answer: dict, verdict: str, comment: str = "", when: datetime | None = None) -> dict:
    """One feedback line from an `Answer.to_dict()` and the user's verdict ("up" or "down")."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    return {
        "time": (when or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "verdict": verdict,
        "question": answer["question"],
        "answer": answer["answer"],
        "answerable": bool(answer["answerable"]),
        "confidence": answer.get("confidence"),
        "citations": [{k: c[k] for k in ("source", "start", "end", "quote")} for c in answer.get("citations", [])],
        "comment": (comment or "").strip(),
    }


def append_feedback(path: Path, record: dict) -> None:
    """Append one record to the JSONL file, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock:
        write_jsonl(path, [record], mode="a")


def read_feedback(path: Path) -> list[dict]:
    """All feedback records; errors name the line."""
    path = Path(path)
    rows = []
    for n, row in iter_jsonl(path, "d'avis"):
        if not isinstance(row, dict) or row.get("verdict") not in VERDICTS or not isinstance(row.get("question"), str):
            raise ValueError(f"{path}:{n}: il faut au moins \"question\" (texte) et \"verdict\" (\"up\" ou \"down\").")
        rows.append(row)
    return rows


def feedback_to_questions(path: Path, *, include_review: bool = False) -> list[dict]:
    """Eval lines (the `askjobs eval` JSONL format) from 👍 answers; the latest verdict per question wins.

    👍 on an answer → its quotes become the expected answers; 👍 on a refusal → an unanswerable question.
    👎 rows say only that the reply was wrong, not what is right: they are left out, or with
    `include_review` kept with "review": true and no expected answer, for a person to complete.
    """
    latest: dict[str, dict] = {}
    for row in read_feedback(path):
        latest[" ".join(normalize(row["question"]).split())] = row  # later rows override earlier ones
    out = []
    for key, row in latest.items():
        line = {"id": "fb-" + stable_id(key, length=10), "question": row["question"]}
        quotes = [c["quote"] for c in row.get("citations", []) if c.get("quote")]
        if row["verdict"] == "up" and row.get("answerable") and quotes:
            line.update(answers=quotes, source=row["citations"][0].get("source"), answerable=True)
        elif row["verdict"] == "up" and not row.get("answerable"):
            line.update(answers=[], source=None, answerable=False)
        elif include_review:
            line.update(answers=[], source=None, answerable=None, review=True,
                        rejected_answer=row.get("answer"), comment=row.get("comment", ""))
        else:
            continue
        out.append(line)
    return out
