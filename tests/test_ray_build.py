"""`askjobs index --workers ray`: reading, chunking and embedding on a real local Ray cluster build the
index the default build makes (same documents, chunks, offsets, sentences, vectors and term counts),
incrementally too, and into either store."""

from __future__ import annotations

import numpy as np
import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs import embed
from askjobs.pipeline import AskJobs
from conftest import write_corpus
from docmaker import SALAIRE, write_pdf
from fakes import FakeEncoder
from test_store_contract import QUESTIONS, answer_of, corpus_files

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """One local cluster for the module, small (the machine is shared), always shut down."""
    import fakes

    ray.cloudpickle.register_pickle_by_value(fakes)  # workers rebuild the fake encoder from its code
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def corpus(tmp_path, name: str):
    root = write_corpus(tmp_path / name, corpus_files(12))
    write_pdf(root / "rapport.pdf", ["Rapport annuel\n" + SALAIRE, "Les techniciens gagnent 38 000 euros."])
    (root / "vide.txt").write_text("   \n", encoding="utf-8")  # skipped, with its reason, by both builds
    return root


def app(tmp_path, name: str, store: str = "faiss") -> AskJobs:
    return AskJobs(Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / f"index-{name}", chunk_tokens=40,
                            chunk_overlap=8, store=store), FakeEncoder())


def assert_same_index(a, b) -> None:
    assert a.documents == b.documents
    assert a.chunks == b.chunks  # ids, sources and exact offsets
    assert a.sentences == b.sentences
    assert np.allclose(a.chunk_vectors, b.chunk_vectors, atol=1e-6)
    assert np.allclose(a.sentence_vectors, b.sentence_vectors, atol=1e-6)
    assert a.term_df == b.term_df
    assert a.entities == b.entities
    drop = ("created", "files")
    assert {k: v for k, v in a.manifest.items() if k not in drop} == \
           {k: v for k, v in b.manifest.items() if k not in drop}


def test_ray_build_gives_the_default_index_and_answers(tmp_path):
    corpus(tmp_path, "corpus")
    local, distributed = app(tmp_path, "local"), app(tmp_path, "ray")
    local_report = local.build()
    ray_report = distributed.build(workers="ray")
    assert ray_report.skipped == local_report.skipped and ray_report.embedded == local_report.embedded
    assert_same_index(app(tmp_path, "ray").index, app(tmp_path, "local").index)
    for question in QUESTIONS[:4]:
        assert answer_of(distributed, question) == answer_of(local, question)

    # Incremental: one file changed, one removed; Ray embeds only the changed texts, like the default build.
    (tmp_path / "corpus" / "salaires-data.txt").write_text("Salaires\n\n" + SALAIRE.replace("55 000", "61 000"),
                                                            encoding="utf-8")
    (tmp_path / "corpus" / "rapport-002.txt").unlink()
    local_report, ray_report = local.build(), distributed.build(workers="ray")
    assert ray_report.changed == local_report.changed == ["salaires-data.txt"]
    assert ray_report.removed == ["rapport-002.txt"] and ray_report.embedded == local_report.embedded < 10
    assert_same_index(app(tmp_path, "ray").index, app(tmp_path, "local").index)


def test_cli_index_workers_ray_into_the_qdrant_store(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASKJOBS_STORE", "qdrant")
    monkeypatch.setenv("ASKJOBS_QDRANT_URL", ":memory:")
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    root = corpus(tmp_path, "corpus")
    code = cli.main(["index", "--workers", "ray", "--corpus", str(root), "--index", str(tmp_path / "index-qdrant")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "sur Ray" in captured.err and "Qdrant :memory:" in captured.err and "vide.txt" in captured.out
    reader = AskJobs(Settings(corpus_dir=root, index_dir=tmp_path / "index-qdrant", store="qdrant"), FakeEncoder())
    local = AskJobs(Settings(corpus_dir=root, index_dir=tmp_path / "index-local"), FakeEncoder())
    local.build()
    assert_same_index(reader.store.reusable(), local.index)
    assert "38 000" in reader.ask("Combien gagnent les techniciens ?").answer
