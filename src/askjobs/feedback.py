"""User feedback on chat answers: a JSONL log, and its conversion into eval questions.

The log cannot be lost or abused: each record is one `write` of one whole line on a file opened in
append mode, under a lock (threads and processes); a line left torn by an earlier failed write (disk
full) is moved aside to `<file>.torn` before the next record, never glued to; a partial write is taken
back at once. Comments, records and the file are bounded, and the chat limits how often a client may
give feedback (`RateLimiter`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from .config import PROJECT_ROOT
from .schema import stable_id
from .text import normalize

VERDICTS = ("up", "down")
MAX_COMMENT_CHARS = 2000
MAX_RECORD_BYTES = 32 * 1024
DEFAULT_MAX_FILE_MB = 20.0  # ASKJOBS_FEEDBACK_MAX_MB: about ten thousand records
_write_lock = threading.Lock()  # one process may serve several chat sessions at once
log = logging.getLogger("askjobs")


class FeedbackError(ValueError):
    """Feedback that cannot be recorded; the message (in French) is shown to the person who gave it."""


def max_file_bytes() -> int:
    """The feedback file's size limit: $ASKJOBS_FEEDBACK_MAX_MB megabytes, else 20."""
    value = os.environ.get("ASKJOBS_FEEDBACK_MAX_MB", "")
    try:
        mb = float(value) if value else DEFAULT_MAX_FILE_MB
    except ValueError:
        raise ValueError(f"ASKJOBS_FEEDBACK_MAX_MB doit être un nombre de mégaoctets, pas {value!r}.") from None
    return int(mb * 1024 * 1024)


def default_feedback_path() -> Path:
    """Where the chat writes feedback: $ASKJOBS_FEEDBACK, else feedback/feedback.jsonl."""
    value = os.environ.get("ASKJOBS_FEEDBACK")
    return Path(value).expanduser() if value else PROJECT_ROOT / "feedback" / "feedback.jsonl"


def feedback_record(answer: dict, verdict: str, comment: str = "", when: datetime | None = None) -> dict:
    """One feedback line from an `Answer.to_dict()` and the user's verdict ("up" or "down")."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(f"Le commentaire est trop long ({len(comment)} caractères, maximum {MAX_COMMENT_CHARS}) : "
                            "raccourcissez-le puis cliquez de nouveau 👍 ou 👎.")
    return {
        "time": (when or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "verdict": verdict,
        "question": answer["question"],
        "answer": answer["answer"],
        "answerable": bool(answer["answerable"]),
        "confidence": answer.get("confidence"),
        "citations": [{k: c[k] for k in ("source", "start", "end", "quote")} for c in answer.get("citations", [])],
        "comment": comment,
    }


def append_feedback(path: Path, record: dict, max_bytes: int | None = None) -> None:
    """Append one record as one whole line; FeedbackError (French) when it is too large or the file is full.

    OSError (disk full, permissions) leaves the file as it was: a partial line is truncated away at
    once, and should that fail too, the next append sets the torn line aside before writing.
    """
    import fcntl

    path = Path(path)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    if len(line) > MAX_RECORD_BYTES:
        raise FeedbackError(f"Cet avis est trop volumineux ({len(line) // 1024} Ko, maximum "
                            f"{MAX_RECORD_BYTES // 1024} Ko) : il n'est pas enregistré.")
    limit = max_file_bytes() if max_bytes is None else max_bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # other processes (a second app) append to the same file
            size = _set_aside_torn_line(fd, path)
            if size + len(line) > limit:
                log.warning("askjobs : fichier des avis plein (%s, %d octets) : avis refusé.", path, size)
                raise FeedbackError(f"Le fichier des avis a atteint sa taille maximale ({limit // (1024 * 1024)} Mo) : "
                                    "cet avis n'est pas enregistré. Prévenez la personne qui gère askjobs (elle peut "
                                    "archiver le fichier ou relever ASKJOBS_FEEDBACK_MAX_MB).")
            try:
                if os.write(fd, line) != len(line):
                    raise OSError(28, "No space left on device")  # a short write is how a full disk shows
            except OSError:
                try:
                    os.ftruncate(fd, size)  # take the partial line back now
                except OSError:
                    pass  # the next append sets it aside
                raise
        finally:
            os.close(fd)


def _set_aside_torn_line(fd: int, path: Path) -> int:
    """When the file does not end with a newline, move its last (torn) line to `<file>.torn`; the new size."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    start = size
    while start > 0:  # back to the last newline, a block at a time
        block = os.pread(fd, min(65536, start), max(0, start - 65536))
        nl = block.rfind(b"\n")
        if nl >= 0:
            start = max(0, start - 65536) + nl + 1
            break
        start = max(0, start - 65536)
    torn = os.pread(fd, size - start, start)
    aside = path.with_name(path.name + ".torn")
    try:
        with open(aside, "ab") as fh:
            fh.write(torn + b"\n")
        os.ftruncate(fd, start)
        log.warning("askjobs : %s finissait par une ligne incomplète (%d octets, écriture interrompue) : "
                     "mise de côté dans %s.", path, size - start, aside)
        return start
    except OSError:
        os.write(fd, b"\n")  # cannot copy it: end it, so the next record starts on its own line
        log.warning("askjobs : %s finissait par une ligne incomplète : terminée par un saut de ligne (elle sera "
                     "ignorée à la lecture).", path)
        return size + 1


class RateLimiter:
    """At most `burst` events at once per client, then one every `every` seconds (a token bucket)."""

    def __init__(self, burst: int = 20, every: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.burst, self.every, self.clock = burst, every, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, time)
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Whether this client may act now (and count it)."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) / self.every)
            if len(self._buckets) > 10_000:  # forget idle clients: the table stays small
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self.burst * self.every}
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1, now)
            return True


def read_feedback(path: Path, warn: Callable[[str], None] | None = None) -> list[dict]:
    """All feedback records; a line that is not one (torn, edited) is skipped with a warning naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Fichier d'avis introuvable : {path}")
    warn = warn or log.warning
    rows = []
    # Lines end at "\n" only: str.splitlines would also cut at U+2028 inside a JSON string.
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                warn(f"{path}:{n}: ligne ignorée (JSON invalide : {exc.msg}, ligne incomplète ?).")
                continue
            if not isinstance(row, dict) or row.get("verdict") not in VERDICTS or not isinstance(row.get("question"), str):
                warn(f"{path}:{n}: ligne ignorée (il faut au moins \"question\" (texte) et \"verdict\" (\"up\" ou "
                     "\"down\")).")
                continue
            rows.append(row)
    return rows


def feedback_to_questions(path: Path, *, include_review: bool = False,
                          warn: Callable[[str], None] | None = None) -> list[dict]:
    """Eval lines (the `askjobs eval` JSONL format) from 👍 answers; the latest verdict per question wins.

    👍 on an answer → its quotes become the expected answers; 👍 on a refusal → an unanswerable question.
    👎 rows say only that the reply was wrong, not what is right: they are left out, or with
    `include_review` kept with "review": true and no expected answer, for a person to complete.
    """
    latest: dict[str, dict] = {}
    for row in read_feedback(path, warn):
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
