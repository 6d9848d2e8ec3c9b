"""Eval metrics on hand-made answers."""

import json

import pytest

from askjobs.evaluate import calibrate, judge, load_questions, summarize
from askjobs.metrics import contains_gold
from askjobs.schema import Answer, Citation


def cite(source: str, quote: str) -> Citation:
    return Citation(1, source, "T", "c1", 0, len(quote), quote, quote, 0, len(quote), 1.0)


def q(tmp_path, rows):
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return load_questions(p)


def test_contains_answer_ignores_case_apostrophes_and_nbsp():
    assert contains_gold("Le salaire est de 157\u202f000 $.", ("157 000 $",))
    assert contains_gold("L’IA avance", ("l'ia",))
    assert not contains_gold("rien", ("157 000 $",))


def test_judge_and_summary(tmp_path):
    qs = q(tmp_path, [
        {"id": "a", "question": "Salaire ?", "answers": ["157 000 $"], "source": "s.txt", "answerable": True},
        {"id": "b", "question": "Capitale ?", "answers": [], "source": None, "answerable": False},
        {"id": "c", "question": "Prime ?", "answers": ["25,2 %"], "source": "s.txt", "answerable": True},
    ])
    good = Answer("Salaire ?", "Il est de 157 000 $.", True, 0.9, (cite("s.txt", "Il est de 157 000 $."),),
                  (cite("s.txt", "Il est de 157 000 $."),), {"total": 10.0})
    refusal = Answer("Capitale ?", "Je n'ai pas trouvé", False, 0.1, (), (), {"total": 20.0})
    wrong_refusal = Answer("Prime ?", "Je n'ai pas trouvé", False, 0.2, (), (cite("s.txt", "x"),), {"total": 30.0})
    answers = [good, refusal, wrong_refusal]
    verdicts = [judge(x, a) for x, a in zip(qs, answers)]
    assert verdicts[0]["answer_correct"] and verdicts[0]["citation_correct"] and verdicts[0]["hit@1"]
    assert verdicts[1]["answer_correct"] and verdicts[1]["refused"]
    assert not verdicts[2]["answer_correct"]
    s = summarize(qs, answers, verdicts)
    assert s["answer_accuracy"] == 0.5 and s["citation_accuracy"] == 0.5
    assert s["refusal_precision"] == 0.5 and s["refusal_recall"] == 1.0
    assert s["latency_ms_p50"] == 20.0


def test_calibrate_picks_a_threshold_between_classes(tmp_path):
    qs = q(tmp_path, [
        {"id": "a", "question": "A", "answers": ["x"], "answerable": True},
        {"id": "b", "question": "B", "answers": ["y"], "answerable": True},
        {"id": "c", "question": "C", "answerable": False},
    ])
    results = [{"answer": "x", "confidence": 0.8}, {"answer": "y", "confidence": 0.6}, {"answer": "z", "confidence": 0.3}]
    c = calibrate(qs, results)
    assert 0.3 < c["threshold"] <= 0.6 and c["accuracy"] == 1.0


def test_calibrate_takes_the_middle_of_the_widest_best_range(tmp_path):
    # Two ranges reach the best accuracy, (0.3, 0.4] and (0.5, 0.75]: the wider one's middle is kept,
    # as far as possible from any question's confidence.
    rows = [("a", True, 0.4), ("b", True, 0.75), ("c", False, 0.3), ("d", False, 0.5)]
    qs = q(tmp_path, [{"id": i, "question": i, "answers": ["x"], "answerable": a} if a else
                      {"id": i, "question": i, "answerable": False} for i, a, _ in rows])
    c = calibrate(qs, [{"answer": "x" if a else "z", "confidence": conf} for _, a, conf in rows])
    assert c["range"] == [0.5, 0.75] and c["threshold"] == 0.625 and c["accuracy"] == 0.75


def test_bad_eval_files_name_the_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"question": "ok", "answers": ["a"]}\n{pas du json}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        load_questions(p)
    p.write_text('{"id": "1", "question": "Q", "answerable": true}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="answers"):
        load_questions(p)
