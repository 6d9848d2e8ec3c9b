"""Retrieval that scales: partial top-k, passage vectors not copied."""

from __future__ import annotations

import os
from pathlib import Path

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

def long_corpus(root: Path, n: int) -> Path:
    """The lifecycle corpus with n reports long enough to be cut into many passages (not kept whole)."""
    from test_index_lifecycle import french_doc, make_corpus

    corpus = make_corpus(root, 0)
    for i in range(n):
        (corpus / f"rapport-{i:04d}.txt").write_text(french_doc(i, sentences=45), encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    """Some 300 French passages with the fake encoder: more than the 100 candidates per retriever."""
    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    tmp = tmp_path_factory.mktemp("big")
    app = AskJobs(Settings(corpus_dir=long_corpus(tmp, 30), index_dir=tmp / "index", chunk_tokens=40,
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


@pytest.fixture
def large(monkeypatch):
    """As for an index too large to score every sentence: only dense and BM25 propose candidates."""
    import askjobs.store

    monkeypatch.setattr(askjobs.store, "ALL_SENTENCES_MAX", 0)


@pytest.mark.parametrize("question", BIG_QUESTIONS)
def test_candidate_scores_equal_the_scores_over_every_passage(big_app, question, large):
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


def _every_passage_and_candidates(app, question):
    """The same question retrieved twice on one index: scoring every passage (want), then through the
    FAISS searcher's candidates (got)."""
    from askjobs.retrieve import retrieve
    from askjobs.store import FaissSearcher, attach_searcher

    index = app.index
    query = app.analyse(question)
    qvec = app.encoder.encode_queries([query.resolved])[0]
    try:
        attach_searcher(index, _AllPassages(index))
        want = retrieve(index, query, qvec, 10)
        attach_searcher(index, FaissSearcher(index))
        got = retrieve(index, query, qvec, 10)
    finally:
        attach_searcher(index, FaissSearcher(index))
    return index, query, qvec, want, got


@pytest.mark.parametrize("question", BIG_QUESTIONS)
def test_candidate_only_retrieval_fuses_the_full_scores_of_the_candidates(big_app, question, large):
    """The fused ranking is that of every passage's scores cut to the candidates; each retriever's own 100
    best passages are exactly those found by scoring every passage."""
    from askjobs.retrieve import SPREAD_DEPTH, fuse, sentence_scores, top_n
    from askjobs.store import FaissSearcher

    index, query, qvec, want, got = _every_passage_and_candidates(big_app, question)
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


@pytest.mark.parametrize("question", BIG_QUESTIONS)
def test_with_every_sentence_scored_the_candidates_give_the_fusion_of_every_passage(big_app, question):
    index, query, qvec, want, got = _every_passage_and_candidates(big_app, question)
    assert [h.row for h in got.hits] == [h.row for h in want.hits]
    for name in ("dense", "lexical", "sentence"):
        assert got.rankings[name].ids.tolist() == want.rankings[name].ids.tolist()


def test_top_rows_keeps_every_tie_of_the_last_place():
    from askjobs.retrieve import top_rows

    scores = np.array([0.5, 0.9, 0.7, 0.7, 0.7, 0.1, 0.0], np.float32)
    assert top_rows(scores, 3).tolist() == [1, 2, 3, 4]  # three best, and the 0.7 tied with the third
    assert top_rows(scores, 10, positive=True).tolist() == [0, 1, 2, 3, 4, 5]  # no zero score
    assert top_rows(np.full(3, -np.inf, np.float32), 2).tolist() == []



@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("positive", [False, True])
def test_top_rows_are_the_n_best_kept_rows_with_their_ties(seed, positive):
    """BM25 scores are mostly 0 and sentence scores may be -inf: the candidates are the kept rows whose
    score reaches the n-th best kept score (every tie of it), whatever the fillers around them."""
    from askjobs.retrieve import top_rows

    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, 3000).astype(np.float32)  # many ties and zeros
    scores[rng.random(3000) < 0.5] = -np.inf
    keep = scores > 0 if positive else np.isfinite(scores)
    for n in (1, 5, 100, int(keep.sum()), 5000):
        order = np.argsort(-np.where(keep, scores, -np.inf), kind="stable")[:n]
        order = order[keep[order]]
        want = np.flatnonzero(keep & (scores >= scores[order[-1]])) if len(order) else []
        assert top_rows(scores, n, positive=positive).tolist() == list(want)

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


# --- Loading that scales ---------------------------------------------------------------------------

def test_loaded_rows_are_made_on_access_and_equal_the_built_ones(fake_app):
    from askjobs.index import StoredDocuments, StoredRows, load_index

    built = fake_app.index
    index = load_index(fake_app.settings.index_dir)
    assert isinstance(index.chunks, StoredRows) and isinstance(index.sentences, StoredRows)
    assert isinstance(index.documents, StoredDocuments)
    assert list(index.chunks) == list(built.chunks) and index.chunks[-1] == built.chunks[-1]
    assert list(index.sentences) == list(built.sentences)
    assert [list(s) for s in index.chunk_sentences] == [list(s) for s in built.chunk_sentences]
    assert list(index.entities) == [tuple(tuple(e) for e in ents) for ents in built.entities]
    assert dict(index.documents) == built.documents and "inconnu.txt" not in index.documents
    for s in index.sentences:  # exact offsets, accents included
        assert index.documents[s.source].text[s.start:s.end] == s.text
    with pytest.raises(IndexError):
        index.chunks[len(index.chunks)]


def test_vectors_are_memory_mapped_not_read_whole(fake_app):
    from askjobs.index import load_index

    index = load_index(fake_app.settings.index_dir)
    assert isinstance(index.sentence_vectors.base, np.memmap)  # a view of the file, not a copy in memory
    assert np.allclose(index.sentence_vectors, fake_app.index.sentence_vectors)
    assert index.chunks.table is not None and not index.chunks.table.flags.owndata


def test_large_files_verified_once_are_not_reread_while_unchanged(fake_app, monkeypatch):
    import askjobs.index as ix

    monkeypatch.setattr(ix, "TRUSTED_BYTES", 0)  # every file counts as large here
    fake_app.build(rebuild=True)  # the build records what it wrote
    version = ix.current_version(fake_app.settings.index_dir)
    read = []
    real = ix.sha256_file
    monkeypatch.setattr(ix, "sha256_file", lambda path, *a, **k: read.append(Path(path).name) or real(path, *a, **k))
    ix.load_index(fake_app.settings.index_dir)
    assert read == ["manifest.json"]  # the manifest is always hashed; the rest was verified when written
    # a file changed through the file system (new modification time) is read again, and the damage seen
    vectors = version / "sentences.npy"
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(ix.IndexDamagedError) as err:
        ix.load_index(fake_app.settings.index_dir)
    assert "sentences.npy" in str(err.value)


def test_a_document_changed_behind_the_checks_back_is_refused_when_read(fake_app, monkeypatch):
    """Even with its modification time put back, an altered document is never quoted: each document
    is compared with its manifest hash when read; `askjobs index --check` reads everything."""
    import os

    import askjobs.index as ix

    monkeypatch.setattr(ix, "TRUSTED_BYTES", 0)
    fake_app.build(rebuild=True)
    version = ix.current_version(fake_app.settings.index_dir)
    docs = version / "documents.jsonl"
    st = docs.stat()
    docs.write_bytes(docs.read_bytes().replace("157 000".encode(), "957 000".encode()))
    os.utime(docs, ns=(st.st_atime_ns, st.st_mtime_ns))
    index = ix.load_index(fake_app.settings.index_dir)  # loads: the file looks unchanged
    with pytest.raises(ix.IndexDamagedError):
        index.documents["salaires.txt"]
    with pytest.raises(ix.IndexDamagedError):
        ix.verify_version(version, index.manifest)  # the full check reads every byte


def test_above_the_threshold_the_dense_index_is_approximate_and_recorded(tmp_path, monkeypatch):
    import askjobs.index as ix
    from askjobs.config import Settings
    from askjobs.pipeline import AskJobs
    from fakes import FakeEncoder

    monkeypatch.setattr(ix, "APPROX_MIN_PASSAGES", 50)
    monkeypatch.setattr(ix, "APPROX_PROBED", 1.0)  # every list searched: the result must be exact
    settings = Settings(corpus_dir=long_corpus(tmp_path, 12), index_dir=tmp_path / "index", chunk_tokens=40,
                        chunk_overlap=5)
    AskJobs(settings, FakeEncoder()).build()
    index = ix.load_index(settings.index_dir)
    assert len(index.chunks) > 100 and not ix.is_exact(index.faiss)
    assert index.manifest["dense_index"]["kind"] == "ivf-sq8+refine"
    exact = np.asarray(index.chunk_vectors) @ FakeEncoder().encode_queries(["salaire médian"])[0]
    app = AskJobs(settings, FakeEncoder())
    found = app.search(app.analyse("Quel est le salaire médian ?"), k=5)
    # every list is searched at this size, and the candidates re-ranked exactly: exact search's 10 best
    assert set(found.rankings["dense"].ids[:10].tolist()) == set(np.argsort(-exact)[:10].tolist())
    assert "55 000" in app.ask("Quel est le salaire médian des data scientists ?").answer


def test_what_the_reader_memoises_per_document_is_read_from_the_arrays(fake_app):
    from askjobs.answer import _source_entities, _source_sentences
    from askjobs.index import load_index

    index = load_index(fake_app.settings.index_dir)
    for source in index.documents:
        by_rows = (index.cached(("source_sentences", source), lambda: None),
                   index.cached(("entities_by_source", source), lambda: None))
        assert by_rows[0] == [i for i, s in enumerate(index.sentences) if s.source == source]
        index.memo.clear()
        assert _source_sentences(index, source) == by_rows[0]
        assert _source_entities(index, source) == by_rows[1]  # the reader's own pass gives the same


def _advice(path: Path) -> set[str]:
    """The VmFlags of this process's mappings of `path` (Linux)."""
    flags, current = set(), None
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                current = head[-1] if len(head) > 5 else None
            elif head and head[0] == "VmFlags:" and current == str(path):
                flags.update(head[1:])
    return flags


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc only")
def test_the_mapped_files_of_a_loaded_index_are_read_row_by_row(fake_app):
    """At 10^6 passages the candidates' sentence vectors are scattered rows of a 6.6 GB file: with the
    kernel's read-ahead every row read brought megabytes with it, 5.7 GB resident after 100 questions.
    The sentence vectors, the row arrays and the documents are mapped with random-access advice."""
    from askjobs.index import load_index

    index = load_index(fake_app.settings.index_dir)
    _ = index.documents[next(iter(index.documents))].text  # maps documents.jsonl
    version = index.path.resolve()
    assert "rr" in _advice(version / "sentences.npy")
    assert "rr" in _advice(version / "documents.jsonl")
    assert np.allclose(np.linalg.norm(index.sentence_vectors, axis=1), 1, atol=1e-5)  # still read as before


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc only")
def test_rows_read_from_a_just_written_file_map_little_memory(tmp_path):
    """A build's files are cached in large blocks when written; a process mapping them then maps a whole
    block per row read (5.6 GB resident after 100 questions at 10^6 passages). Dropped once flushed, they
    are read back row by row."""
    from askjobs.index import _array, uncache_row_files

    np.save(tmp_path / "sentences.npy", np.random.default_rng(0).random((40_000, 384), dtype=np.float32))
    with open(tmp_path / "sentences.npy", "rb+") as fh:
        os.fsync(fh.fileno())
    uncache_row_files(tmp_path)
    vectors = _array(tmp_path / "sentences.npy")  # mapped as a loaded index maps it (61 MB)
    rows = np.random.default_rng(1).choice(len(vectors), 50, replace=False)
    assert np.isfinite(vectors[rows]).all()
    rss = 0
    with open("/proc/self/smaps") as fh:
        current = None
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                current = head[-1] if len(head) > 5 else None
            elif head and head[0] == "Rss:" and current == str(tmp_path / "sentences.npy"):
                rss += int(head[1])
    assert rss < 8 * 1024, f"{rss} kB resident for 50 rows of 1.5 kB"
