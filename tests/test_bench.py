"""`askjobs bench squad`: metric functions on hand-made cases, and a tiny SQuAD file end to end."""

from __future__ import annotations

import json
import re
import os
from pathlib import Path

import pytest

from askjobs.bench import METHODS, format_table, load_squad, run_bench, slugify, spread, write_report
from askjobs.metrics import (contains_gold, coverage_curve, exact_match, normalize_answer, recall_at, reciprocal_rank,
                             token_f1, unique_sources)
from askjobs.config import Settings
from fakes import FakeEncoder

MINI = Path(__file__).parent / "data" / "mini_squad.json"


# --- French answer normalisation ---------------------------------------------------

def test_normalize_answer_drops_elisions_articles_and_punctuation_but_keeps_accents():
    assert normalize_answer("l'IA") == normalize_answer("IA") == "ia"
    assert normalize_answer("L’intelligence artificielle") == "intelligence artificielle"
    assert normalize_answer("« Les Échos »") == "échos"
    assert normalize_answer("d’une entreprise") == "entreprise"
    assert normalize_answer("157\u00a0000\u202f$") == normalize_answer("157 000 $") == "157 000"
    assert normalize_answer("élève") != normalize_answer("eleve")  # accents are kept


def test_exact_match_and_f1_follow_squad_with_french_normalisation():
    assert exact_match("L’IA.", ["l'IA"]) == 1.0
    assert exact_match("la France", ["France", "Paris"]) == 1.0
    assert exact_match("Paris", ["Lyon"]) == 0.0
    assert token_f1("157\u00a0000 $ par an", ["157 000 $"]) == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert token_f1("rien à voir", ["Vauban"]) == 0.0
    assert token_f1("Vauban", ["le maréchal", "Vauban"]) == 1.0  # best gold counts


def test_containment_needs_whole_words_of_the_normalised_gold():
    sentence = "Le salaire médian atteint 157\u00a0000 $ aux États-Unis, selon l’étude."
    assert contains_gold(sentence, ["157 000 $"]) == 1.0
    assert contains_gold(sentence, ["l'étude"]) == 1.0
    assert contains_gold("Elle passe via Lyon.", ["IA"]) == 0.0  # "ia" inside "via" does not count
    assert contains_gold("Il a choisi la, pas le.", ["la"]) == 1.0  # a gold made only of an article
    assert contains_gold("", ["Paris"]) == 0.0


def test_ranking_metrics_on_a_hand_made_ranking():
    ranked = unique_sources(["b.txt", "b.txt", "a.txt", "c.txt"])
    assert ranked == ["b.txt", "a.txt", "c.txt"]
    assert recall_at(ranked, "a.txt", 1) == 0.0
    assert recall_at(ranked, "a.txt", 2) == 1.0
    assert reciprocal_rank(ranked, "a.txt") == 0.5
    assert reciprocal_rank(ranked, "z.txt") == 0.0
    assert reciprocal_rank(["x"] * 10 + ["a.txt"], "a.txt", k=10) == 0.0


def test_coverage_curve_trades_answered_share_for_accuracy():
    curve = coverage_curve([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 1])
    assert curve[0] == {"threshold": 0.0, "coverage": 1.0, "accuracy": 0.75}
    at_08 = next(c for c in curve if c["threshold"] == 0.8)
    assert at_08["coverage"] == 0.5 and at_08["accuracy"] == 1.0


# --- Loading SQuAD files ----------------------------------------------------------

def test_load_squad_makes_one_titled_document_per_paragraph():
    data = load_squad(MINI)
    assert len(data.paragraphs) == 4 and len(data.questions) == 7
    assert data.paragraphs[0].title == "Port de Saint-Malo §1"
    assert data.paragraphs[1].source == "port-de-saint-malo-p2.txt"
    assert data.questions[0].source == "port-de-saint-malo-p1.txt"
    assert slugify("Saint-Paul (île)") == "saint-paul-ile"


@pytest.mark.parametrize("content, message", [
    ("{pas du json", "JSON invalide"),
    ('{"version": "x"}', "\"data\""),
    ('{"data": [{"title": "A", "paragraphs": [{"qas": []}]}]}', "article 1 (A), paragraphe 1"),
    ('{"data": [{"title": "A", "paragraphs": [{"context": "Texte.", "qas": [{"question": "Q ?", '
     '"answers": "Paris"}]}]}]}', "question 1"),
])
def test_load_squad_rejects_malformed_files_with_a_french_message(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_squad(path)


def test_load_squad_skips_unanswerable_squad2_questions(tmp_path):
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"data": [{"title": "Été", "paragraphs": [{"context": "Il fait chaud en été.", "qas": [
        {"id": "1", "question": "Quand fait-il chaud ?", "answers": [{"text": "en été"}]},
        {"id": "2", "question": "Quand neige-t-il ?", "answers": [], "is_impossible": True}]}]}]},
        ensure_ascii=False), encoding="utf-8")
    data = load_squad(path)
    assert [q.qid for q in data.questions] == ["1"] and data.skipped_unanswerable == 1


def test_max_q_spreads_questions_over_the_whole_file():
    data = load_squad(MINI)
    picked = spread(data.questions, 3)
    assert [q.qid for q in picked] == ["m1", "m4", "m7"]
    with pytest.raises(ValueError, match="--max-q"):
        spread(data.questions, 0)


# --- End to end -------------------------------------------------------------------

def _check_result(result, tmp_path):
    data = load_squad(MINI)
    contexts = {p.source: p.context for p in data.paragraphs}
    assert set(result.methods) == set(METHODS)
    assert result.dataset["questions"] == 7 and result.build["documents"] == 4
    for row in result.questions:
        answer = row["askjobs"]["answer"]
        assert answer and len(answer) <= 400
        assert any(answer in c for c in contexts.values()), "answers are quoted verbatim"
    table = format_table(result)
    assert "askjobs complet" in table and "BM25 seul" in table
    files = write_report(result, tmp_path / "report")
    assert {f.name for f in files} == {"report.md", "recall_at_k.png", "coverage.png"}
    assert all(f.stat().st_size > 1000 for f in files)
    assert "| askjobs complet |" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")


def test_bench_end_to_end_with_fake_encoder(tmp_path):
    result = run_bench(load_squad(MINI), Settings(), encoder=FakeEncoder())
    _check_result(result, tmp_path)
    # The questions share their rare words with their paragraph: retrieval must find it.
    assert result.methods["askjobs"]["R@1"] >= 0.85
    assert result.methods["askjobs"]["containment"] >= 0.7


@pytest.mark.model
def test_bench_cli_end_to_end_with_real_model(tmp_path, capsys):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from askjobs.cli import main

    assert main(["bench", "squad", str(MINI), "--json", "--report", str(tmp_path / "report")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["methods"]["askjobs"]["R@1"] == 1.0
    assert out["methods"]["askjobs"]["containment"] >= 6 / 7
    assert (tmp_path / "report" / "coverage.png").is_file()


def test_several_sets_print_one_table_each_and_their_macro_average(tmp_path, capsys, monkeypatch):
    from askjobs.cli import main
    from askjobs import embed

    other = tmp_path / "autre.json"
    other.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    assert main(["bench", "squad", str(MINI), str(other), "--report", str(tmp_path / "reports")]) == 0
    out = capsys.readouterr().out
    assert f"## {MINI.stem}" in out and "## autre" in out
    assert "moyenne des 2 jeux" in out
    assert out.count("askjobs face au meilleur retriever seul") == 2
    assert (tmp_path / "reports" / MINI.stem / "report.md").is_file()
    assert (tmp_path / "reports" / "autre" / "recall_at_k.png").is_file()
    macro = out.split("moyenne des 2 jeux")[1]
    assert "meilleure phrase seule (e5)" in macro and "askjobs complet" in macro
