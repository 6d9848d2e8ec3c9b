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
