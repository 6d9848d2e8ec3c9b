"""Retrieval that scales: partial top-k, passage vectors not copied."""

from __future__ import annotations

import numpy as np
import pytest

from askjobs.retrieve import top_n


@pytest.mark.parametrize("n", [1, 5, 100, 999, 1000, 5000])
def test_top_n_is_a_stable_sort_cut_to_n(n):
    rng = np.random.default_rng(n)
    scores = rng.integers(0, 50, 1000).astype(np.float32)  # many ties
    assert top_n(scores, n).tolist() == np.argsort(-scores, kind="stable")[:n].tolist()


def test_passage_vectors_are_read_from_faiss_without_a_copy(fake_app):
    from askjobs.index import load_index

    index = load_index(fake_app.settings.index_dir)
    assert not index.chunk_vectors.flags.owndata  # a view of the FAISS index's own memory
    assert np.allclose(index.chunk_vectors, fake_app.index.chunk_vectors)
    assert index.faiss.ntotal == len(index.chunks)


# --- Candidate-only scoring --------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    """Some 300 French passages with the fake encoder: more than the 100 candidates per retriever."""
    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder
    from test_index_lifecycle import make_corpus

    tmp = tmp_path_factory.mktemp("big")
    app = AskJobs(Settings(corpus_dir=make_corpus(tmp, 100), index_dir=tmp / "index", chunk_tokens=40,
                           chunk_overlap=5), FakeEncoder())
    app.build()
    assert len(app.index.chunks) > 250
    return app


BIG_QUESTIONS = ("Quel est le salaire médian des data scientists ?", "Combien de jours de télétravail ?",
                 "Quelle hausse pour la formation des techniciens en 2020 ?",
                 "Le recrutement des ingénieurs dans la santé progresse-t-il ?")


class _AllPassages:
    """The former behaviour: every passage and every sentence scored."""

    def __init__(self, index):
        from askjobs.store import FaissSearcher

        self.inner = FaissSearcher(index)

    def candidates(self, qvec, terms, n):
        return None

    def dense(self, qvec, rows):
        return self.inner.dense(qvec, rows)

    def lexical(self, terms, rows):
        return self.inner.lexical(terms, rows)

    def sentences(self, qvec, rows):
        return self.inner.sentences(qvec, rows)


@pytest.mark.parametrize("question", BIG_QUESTIONS)
def test_candidate_scores_equal_the_scores_over_every_passage(big_app, question):
    from askjobs.retrieve import SPREAD_DEPTH, sentence_scores
    from askjobs.store import FaissSearcher

    index = big_app.index
    query = big_app.analyse(question)
    qvec = big_app.encoder.encode_queries([query.resolved])[0]
    searcher = FaissSearcher(index)
    rows = searcher.candidates(qvec, query.terms, SPREAD_DEPTH)
    assert rows is not None and SPREAD_DEPTH <= len(rows) < len(index.chunks)  # fewer than all were scored
    every = _AllPassages(index)
    assert np.array_equal(searcher.dense(qvec, rows), every.dense(qvec, None)[rows])
    assert np.array_equal(searcher.lexical(query.terms, rows), every.lexical(query.terms, None)[rows])
    # the same cosines, up to the last bit a matrix product over fewer rows may round differently
    assert np.allclose(searcher.sentences(qvec, rows), sentence_scores(index, qvec)[rows], rtol=0, atol=1e-6)


@pytest.mark.parametrize("question", BIG_QUESTIONS)
def test_candidate_only_retrieval_fuses_the_full_scores_of_the_candidates(big_app, question):
    """The fused ranking is that of every passage's scores cut to the candidates; each retriever's own 100
    best passages are exactly those found by scoring every passage."""
    from askjobs.retrieve import SPREAD_DEPTH, fuse, retrieve, sentence_scores, top_n
    from askjobs.store import FaissSearcher, attach_searcher

    index = big_app.index
    query = big_app.analyse(question)
    qvec = big_app.encoder.encode_queries([query.resolved])[0]
    try:
        attach_searcher(index, _AllPassages(index))
        want = retrieve(index, query, qvec, 10)
        attach_searcher(index, FaissSearcher(index))
        got = retrieve(index, query, qvec, 10)
    finally:
        attach_searcher(index, FaissSearcher(index))
    every = _AllPassages(index)
    rows = FaissSearcher(index).candidates(qvec, query.terms, SPREAD_DEPTH)
    fused = fuse(every.dense(qvec, None)[rows], every.lexical(query.terms, None)[rows],
                 sentence_scores(index, qvec)[rows])
    assert [h.row for h in got.hits] == rows[top_n(fused, 10)].tolist()
    assert got.hits[0].row == want.hits[0].row
    for name in ("dense", "lexical"):  # each retriever's own 100 best: the same passages, the same scores
        assert got.rankings[name].ids.tolist() == want.rankings[name].ids.tolist()
        assert np.array_equal(got.rankings[name].scores, want.rankings[name].scores)
    assert {"candidates", "dense", "lexical", "sentence", "fuse"} <= set(got.timings_ms)


def test_top_rows_keeps_every_tie_of_the_last_place():
    from askjobs.retrieve import top_rows

    scores = np.array([0.5, 0.9, 0.7, 0.7, 0.7, 0.1, 0.0], np.float32)
    assert top_rows(scores, 3).tolist() == [1, 2, 3, 4]  # three best, and the 0.7 tied with the third
    assert top_rows(scores, 10, positive=True).tolist() == [0, 1, 2, 3, 4, 5]  # no zero score
    assert top_rows(np.full(3, -np.inf, np.float32), 2).tolist() == []


def test_sentence_scores_for_some_chunks_equal_those_for_every_chunk(fake_app):
    from askjobs.retrieve import sentence_scores

    index = fake_app.index
    qvec = fake_app.encoder.encode_queries(["salaire médian"])[0]
    everything = sentence_scores(index, qvec)
    rows = np.array([len(index.chunks) - 1, 0], np.int64)
    assert np.allclose(sentence_scores(index, qvec, rows), everything[rows], rtol=0, atol=1e-6)
    expected = [max(float(index.sentence_vectors[s] @ qvec) for s in sids) if sids else -np.inf
                for sids in index.chunk_sentences]
    assert np.allclose(everything, expected)
