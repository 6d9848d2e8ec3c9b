"""The eval files stay valid: schema of CONTRACT.md section 3, every accepted answer present in its gold document.

Runs eval/check_eval.py on every eval/*.jsonl (no model), and checks that the checker itself catches bad lines.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"questions.jsonl", "questions-hard.jsonl", "questions-final.jsonl", "questions-heldout2.jsonl",
            "followups.jsonl"}


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_eval", ROOT / "eval" / "check_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_eval = _load_checker()


def test_all_eval_files_are_valid():
    files = check_eval.default_files()
    assert EXPECTED <= {p.name for p in files}
    report = check_eval.check_all(files)
    assert report["questions.jsonl"]["questions"] == 106
    new = ("questions-hard.jsonl", "questions-final.jsonl")
    assert sum(report[name]["questions"] for name in new) >= 100
    for name in new:
        c = report[name]
        share = c["unanswerable"] / c["questions"]
        assert 0.2 <= share <= 0.35, (name, share)
        assert c["form"].get("list", 0) >= 3 and c["multi_source"] >= 2, name
    held2 = report["questions-heldout2.jsonl"]
    assert held2["questions"] == 50 and held2["unanswerable"] == 13 and held2["multi_source"] == 5
    assert held2["form"].get("list", 0) >= 8 and held2["with_context"] == 0
    follow = report["followups.jsonl"]
    assert follow["with_context"] == follow["questions"] and follow["ambiguous"] >= 2


def test_main_prints_counts(capsys):
    assert check_eval.main([]) == 0
    out = capsys.readouterr().out
    assert "questions-final.jsonl:" in out and out.rstrip().endswith("OK")


GOOD = {"id": "t1", "question": "Quel est le salaire médian ?", "answers": ["157 000 $"],
        "source": "emplois-automatisation-ia-competences.txt", "answerable": True, "form": "fact", "type": "amount"}


@pytest.mark.parametrize("change, message", [
    ({"answers": ["158 000 $"]}, "introuvable"),
    ({"source": "absent.txt"}, "absente du corpus"),
    ({"answerable": False}, "sans réponse"),
    ({"form": "list"}, "must_include"),
    ({"form": "liste"}, "form 'liste' inconnu"),
    ({"type": "montant"}, "type 'montant' inconnu"),
    ({"must_include": ["157 000 $", "Python"], "min_include": 3}, "min_include"),
    ({"must_include": ["Silicon Valley", "Lyon"]}, "must_include introuvable"),
    ({"sources": ["emplois-automatisation-ia-competences.txt"]}, "au moins deux"),
    ({"anwsers": []}, "inconnu"),
    ({"context": [{"q": "Et en 2024 ?"}]}, "context"),
    ({"ambiguous": True}, "ambiguë"),
])
def test_bad_line_fails_with_a_clear_message(tmp_path, capsys, change, message):
    good = dict(GOOD, id="t0")
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (good, dict(GOOD, **change))) + "\n",
                    encoding="utf-8")
    assert check_eval.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl:2 (t1)" in err and message in err, err


def test_unanswerable_needs_a_near_miss_label_and_no_answers(tmp_path, capsys):
    path = tmp_path / "nm.jsonl"
    row = {"id": "n1", "question": "Qui dirige NVIDIA ?", "answers": [], "source": None, "answerable": False}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert check_eval.main([str(path)]) == 1
    assert "near_miss" in capsys.readouterr().err
    path.write_text(json.dumps(dict(row, near_miss="person-never-named", answers=["Jensen"])) + "\n", encoding="utf-8")
    assert check_eval.main([str(path)]) == 1
    path.write_text(json.dumps(dict(row, near_miss="person-never-named")) + "\n", encoding="utf-8")
    assert check_eval.main([str(path)]) == 0


def test_apostrophes_and_spaces_are_normalised_like_askjobs(tmp_path):
    # The corpus writes "éthiciens de l’IA" (curly apostrophe); a straight one must be accepted.
    row = {"id": "a1", "question": "Qui encadre les usages responsables ?", "answers": ["éthiciens de l'IA"],
           "source": "ia-nouveaux-metiers-competences.txt", "answerable": True, "form": "fact"}
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert check_eval.check_all([path])["ok.jsonl"]["answerable"] == 1


def test_duplicate_ids_across_files_are_refused(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    b.write_text(json.dumps(dict(GOOD, question="Autre ?"), ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(check_eval.EvalFileError, match="déjà utilisé"):
        check_eval.check_all([a, b])
