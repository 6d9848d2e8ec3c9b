"""Feedback that cannot be lost or abused: whole lines only, torn lines set aside, bounded sizes, a rate limit."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from askjobs import cli
from askjobs import feedback as fb
from askjobs.feedback import (MAX_COMMENT_CHARS, FeedbackError, RateLimiter, append_feedback, feedback_record,
                              feedback_to_questions, read_feedback)

QUOTE = "le salaire médian pour les postes liés à l'IA est d'environ 157 000 $"


def answer(question: str = "Salaire médian IA ?", quote: str = QUOTE) -> dict:
    return {"question": question, "answer": quote, "answerable": True, "confidence": 0.9,
            "citations": [{"n": 1, "source": "salaires.txt", "start": 10, "end": 10 + len(quote), "quote": quote}]}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().decode("utf-8").split("\n") if line]


def test_a_failed_write_loses_nothing_and_a_later_thumb_is_kept_whole(tmp_path, monkeypatch):
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, feedback_record(answer("Première ?"), "up"))
    real_write, real_truncate = os.write, os.ftruncate

    def disk_full(fd, data):  # half the line gets to disk, then the disk is full
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        append_feedback(path, feedback_record(answer("Perdue ?"), "up"))
    assert [r["question"] for r in lines(path)] == ["Première ?"]  # the half line was taken back at once

    # Worse: the half line cannot even be taken back (the process died, or truncation failed too).
    monkeypatch.setattr(os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(OSError):
        append_feedback(path, feedback_record(answer("Déchirée ?"), "up"))
    monkeypatch.setattr(os, "write", real_write)
    monkeypatch.setattr(os, "ftruncate", real_truncate)
    assert not path.read_bytes().endswith(b"\n")  # a torn line is there now

    append_feedback(path, feedback_record(answer("Après la panne ?"), "up"))  # shown as « enregistré »
    assert [r["question"] for r in lines(path)] == ["Première ?", "Après la panne ?"]  # whole, not glued
    torn = (tmp_path / "feedback.jsonl.torn").read_bytes()
    assert torn.startswith(b'{"time"') and "Déchirée".encode() in torn  # set aside, not deleted
    assert [q["question"] for q in feedback_to_questions(path)] == ["Première ?", "Après la panne ?"]


def test_from_feedback_skips_a_bad_line_with_a_warning(tmp_path, capsys):
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, feedback_record(answer("Première ?"), "up"))
    with open(path, "ab") as fh:
        fh.write(b'{"time": "2026-01-01", "verdict": "up", "quest\n[1, 2]\n')
    append_feedback(path, feedback_record(answer("Dernière ?"), "up"))
    assert cli.main(["eval", "--from-feedback", str(path)]) == 0
    captured = capsys.readouterr()
    assert [json.loads(x)["question"] for x in captured.out.splitlines()] == ["Première ?", "Dernière ?"]
    assert f"askjobs : {path}:2: ligne ignorée (JSON invalide" in captured.err
    assert f"askjobs : {path}:3: ligne ignorée (il faut au moins" in captured.err


def test_comments_records_and_the_file_are_bounded(tmp_path):
    path = tmp_path / "feedback.jsonl"
    feedback_record(answer(), "up", "é" * MAX_COMMENT_CHARS)  # at the limit: fine
    with pytest.raises(FeedbackError, match=r"trop long \(2001 caractères, maximum 2000\)"):
        feedback_record(answer(), "up", "é" * (MAX_COMMENT_CHARS + 1))
    with pytest.raises(FeedbackError, match="trop long"):
        feedback_record(answer(), "up", "x" * 20_000_000)  # the 20 MB comment of the report
    huge = feedback_record(answer(quote="mot " * 9000), "up")
    with pytest.raises(FeedbackError, match="trop volumineux .* maximum 32 Ko"):
        append_feedback(path, huge)
    assert not path.exists() or path.stat().st_size == 0
    record = feedback_record(answer(), "up")
    size = len(json.dumps(record, ensure_ascii=False).encode()) + 1
    for _ in range(3):
        append_feedback(path, record, max_bytes=3 * size)
    with pytest.raises(FeedbackError, match="taille maximale"):
        append_feedback(path, record, max_bytes=3 * size)
    assert len(lines(path)) == 3


def test_the_file_size_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASKJOBS_FEEDBACK_MAX_MB", "0.5")
    assert fb.max_file_bytes() == 512 * 1024
    monkeypatch.setenv("ASKJOBS_FEEDBACK_MAX_MB", "beaucoup")
    with pytest.raises(ValueError, match="ASKJOBS_FEEDBACK_MAX_MB"):
        fb.max_file_bytes()


def test_rate_limit_per_client():
    now = [0.0]
    limiter = RateLimiter(burst=5, every=2.0, clock=lambda: now[0])
    assert [limiter.allow("127.0.0.1") for _ in range(7)] == [True] * 5 + [False] * 2
    assert limiter.allow("10.0.0.2")  # another client has its own allowance
    now[0] += 2.0
    assert limiter.allow("127.0.0.1") and not limiter.allow("127.0.0.1")  # one more every 2 s
    now[0] += 100
    assert sum(limiter.allow("127.0.0.1") for _ in range(10)) == 5  # never more than the burst


_WRITER = """
import sys
sys.path.insert(0, {src!r})
from askjobs.feedback import append_feedback, feedback_record
for i in range(150):
    append_feedback({path!r}, feedback_record({{"question": f"proc {{sys.argv[1]}} n{{i}} " + "é" * 3000,
        "answer": "a", "answerable": False, "citations": []}}, "up"))
"""


def test_concurrent_writers_in_threads_and_processes_never_interleave(tmp_path):
    path = tmp_path / "feedback.jsonl"
    code = _WRITER.format(src=str(Path(fb.__file__).parents[1]), path=str(path))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(p)]) for p in range(2)]

    def thread_writer(t: int) -> None:
        for i in range(100):
            append_feedback(path, feedback_record(answer(f"thread {t} n{i} " + "ü" * 2000), "down", "c" * 500))

    threads = [threading.Thread(target=thread_writer, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = read_feedback(path, warn=lambda m: pytest.fail(m))
    assert len(rows) == 6 * 100 + 2 * 150
    assert len({r["question"] for r in rows}) == len(rows)
