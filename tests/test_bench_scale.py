"""`askjobs bench scale`: synthetic indexes recombined from a real index, written and read as real versions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from fakes import FakeEncoder


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small French index standing for PIAF (fake vectors)."""
    from test_index_lifecycle import make_corpus

    tmp = tmp_path_factory.mktemp("base")
    app = AskJobs(Settings(corpus_dir=make_corpus(tmp, 20), index_dir=tmp / "index", chunk_tokens=40,
                           chunk_overlap=5), FakeEncoder())
    app.build()
    return app


def synthetic(base, tmp_path, n: int, **kw):
    """The synthetic index of n passages, published as a version and loaded by the store."""
    from askjobs.bench_scale import write_synthetic
    from askjobs.index import publish_version
    from askjobs.store import open_store

    publish_version(tmp_path, lambda folder: write_synthetic(base.index, n, folder, **kw)[0])
    return open_store(tmp_path, "faiss").load()


def test_synthetic_passages_quote_their_documents_exactly(base, tmp_path):
    index = synthetic(base, tmp_path, 57)
    assert len(index.chunks) == 57 and len(index.documents) == 6  # ten passages to a document
    assert len(index.sentences) >= 2 * 57
    for c in index.chunks:
        assert index.documents[c.source].text[c.start:c.end] == c.text
    for s, ents in zip(index.sentences, index.entities):
        assert index.documents[s.source].text[s.start:s.end] == s.text
        for a, b, _ in ents:  # the base sentence's entities, moved with it
            assert s.start <= a < b <= s.end
    assert sum(len(e) for e in index.entities) > 0
    for row, sids in enumerate(index.chunk_sentences):
        assert sids and all(index.chunks[row].start <= index.sentences[i].start < index.chunks[row].end for i in sids)
    assert np.allclose(np.linalg.norm(index.chunk_vectors, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(index.sentence_vectors, axis=1), 1, atol=1e-5)
    assert index.bm25.scores["num_docs"] == 57 and index.term_df


def test_writing_in_batches_writes_the_same_files_as_at_once(base, tmp_path):
    """At 10^6 passages the build writes a few thousand documents at a time; the batch boundaries
    must not show in the index (every file byte for byte, the manifest's records of them too)."""
    small = synthetic(base, tmp_path / "small", 75, batch=2)
    whole = synthetic(base, tmp_path / "whole", 75, batch=10**6)
    assert small.manifest["files"] == whole.manifest["files"]
    assert small.manifest["counts"] == whole.manifest["counts"]
    assert [c.text for c in small.chunks] == [c.text for c in whole.chunks]


def test_the_synthetic_version_is_what_a_real_build_writes(base, tmp_path):
    """The same files as index.py writes for a built index (the loader checks them all), and the
    same answers to `askjobs index --check`: the load timed is a real one."""
    from askjobs.index import check_version_files, current_version, verify_version

    index = synthetic(base, tmp_path, 30)
    version = current_version(tmp_path)
    real = current_version(base.settings.index_dir)
    assert sorted(index.manifest["files"]) == sorted(base.index.manifest["files"])
    check_version_files(version, index.manifest)
    verify_version(version, index.manifest)  # every checksum re-read
    assert {p.name for p in version.iterdir()} == {p.name for p in real.iterdir()}


def test_one_size_is_built_loaded_and_asked_like_a_real_index(base, tmp_path):
    from askjobs.bench_scale import build_one, query_one, table

    questions = ["Quel est le salaire médian des data scientists ?", "Combien de jours de télétravail ?"]
    vectors = FakeEncoder().encode_queries(questions)
    qfile = tmp_path / "questions.json"
    qfile.write_text(json.dumps([{"question": q, "answers": [], "source": "", "vector": v.tolist()}
                                 for q, v in zip(questions, vectors)], ensure_ascii=False), encoding="utf-8")
    built = build_one(130, "faiss", tmp_path / "index", base.settings.index_dir)
    assert built["passages"] == 130 and built["disk_mb"] > 0
    asked = query_one("faiss", tmp_path / "index", qfile)
    assert asked["questions"] == 2 and asked["rss_mb"] > 0
    for stage in ("dense", "lexical", "sentence", "fuse", "read", "total"):
        p50, p95 = asked[f"{stage}_ms"]
        assert 0 <= p50 <= p95
    assert "130" in table([{"store": "faiss", **built, **asked}])


def test_bench_scale_refuses_bad_sizes_in_french(capsys):
    from askjobs import cli

    assert cli.main(["bench", "scale", "--sizes", "0"]) == 2
    assert "--sizes" in capsys.readouterr().err
    assert cli.main(["bench", "scale", "--store", "oracle"]) == 2
    assert "n'est pas un stockage connu" in capsys.readouterr().err


def test_a_step_killed_for_lack_of_memory_is_one_french_line(capsys, monkeypatch, tmp_path):
    """At 10^6 passages the kernel killed the build (out of memory): it printed nothing, and the
    command used to end in a traceback with an empty message."""
    import subprocess

    from askjobs import bench_scale, cli

    piaf = tmp_path / "piaf.json"
    piaf.write_text("{}")
    monkeypatch.setattr(bench_scale, "material", lambda settings, piaf, questions: (tmp_path, tmp_path / "q"))
    monkeypatch.setattr(bench_scale.subprocess, "run",
                        lambda cmd, **kw: subprocess.CompletedProcess(cmd, -9, stdout="", stderr=""))
    assert cli.main(["bench", "scale", "--sizes", "1000000", "--piaf", str(piaf)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "signal 9" in err and "mémoire" in err and "1000000 passages" in err
