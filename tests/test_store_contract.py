"""One contract for every store: the FAISS folder, Qdrant through qdrant-client's local mode, Qdrant's own
engine in process (qdrant-edge-py), and a real Qdrant server when ASKJOBS_QDRANT_URL names one (skipped
otherwise: CI has none).

Each test runs the real pipeline (build, ask) with the fake encoder; the Qdrant stores must give the
answers the FAISS store gives, keep exact offsets, re-index incrementally with correct BM25 statistics
after deletions, keep answering during a rebuild, and say in French what is wrong when damaged or
unreachable.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs import embed
from askjobs.index import IndexError_
from askjobs.pipeline import AskJobs
from conftest import SMALL_CORPUS, write_corpus
from docmaker import SALAIRE, TELETRAVAIL
from fakes import FakeEncoder
from test_index_lifecycle import asked_during_build, french_doc

pytest.importorskip("qdrant_client")

SERVER = os.environ.get("ASKJOBS_QDRANT_URL", "")
STORES = ["faiss", "qdrant-local", "qdrant-edge",
          pytest.param("qdrant-server", marks=pytest.mark.skipif(
              not SERVER.startswith("http"), reason="no Qdrant server: set ASKJOBS_QDRANT_URL=http://host:6333"))]
QUESTIONS = [
    "Quel est le salaire médian pour les postes liés à l'IA aux États-Unis ?",
    "Que font les auditeurs d'algorithmes ?",
    "De combien les offres d'emploi ont-elles augmenté ?",
    "Quel est le salaire médian des data scientists ?",
    "Combien de salariés sont en télétravail ?",
    "Quelle est la capitale de l'Australie ?",
    "Qui encadre les usages responsables de l'IA ?",
    "Le rapport 7 parle de quelle hausse ?",
]


def corpus_files(n: int = 30) -> dict[str, str]:
    files = dict(SMALL_CORPUS)
    files["salaires-data.txt"] = "Salaires\n\n" + SALAIRE
    files["teletravail.md"] = "# Télétravail\n\n" + TELETRAVAIL
    files.update({f"rapport-{i:03d}.txt": french_doc(i) for i in range(n)})
    return files


@pytest.fixture(params=STORES)
def store(request, monkeypatch, tmp_path):
    """The store under test, as ASKJOBS_STORE and its settings would choose it."""
    monkeypatch.delenv("ASKJOBS_STORE", raising=False)
    if request.param == "qdrant-edge":  # Qdrant's own engine in process (qdrant-edge-py): HNSW, int8
        pytest.importorskip("qdrant_edge")
        monkeypatch.setenv("ASKJOBS_QDRANT_URL", f"edge:{tmp_path / 'edge'}")
    if request.param == "qdrant-local":
        # qdrant-client's local mode in memory: its folder mode commits each point to SQLite on its own
        # (~25 ms here), tested once below.
        monkeypatch.setenv("ASKJOBS_QDRANT_URL", ":memory:")
    if request.param == "qdrant-server":
        alias = f"askjobs-test-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv("ASKJOBS_QDRANT_COLLECTION", alias)
        yield "qdrant"
        from qdrant_client import QdrantClient

        client = QdrantClient(url=SERVER, api_key=os.environ.get("ASKJOBS_QDRANT_API_KEY"))
        client.delete_alias(alias) if any(a.alias_name == alias for a in client.get_aliases().aliases) else None
        for c in client.get_collections().collections:
            if c.name.startswith(alias + "-"):
                client.delete_collection(c.name)
        return
    yield "faiss" if request.param == "faiss" else "qdrant"


def make_app(tmp_path: Path, store: str, files: dict[str, str] | None = None, name: str = "a") -> AskJobs:
    corpus = write_corpus(tmp_path / f"corpus-{name}", files or corpus_files())
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / f"index-{name}", chunk_tokens=40, chunk_overlap=8,
                        store=store)
    return AskJobs(settings, FakeEncoder())


def answer_of(app: AskJobs, question: str) -> dict:
    out = app.ask(question).to_dict()
    out.pop("timings_ms")
    return out


def test_same_answers_and_rankings_as_the_faiss_store(tmp_path, store):
    reference = make_app(tmp_path, "faiss", name="ref")
    reference.build()
    app = make_app(tmp_path, store)
    app.build()
    fresh = make_app(tmp_path, store)  # another process's view: loaded from the store, not the build's memory
    assert fresh.store.kind == store
    for question in QUESTIONS:
        assert answer_of(fresh, question) == answer_of(reference, question), question
        assert_same_retrieval(fresh, reference, question)


def assert_same_retrieval(app: AskJobs, reference: AskJobs, question: str) -> None:
    """The same fused passages, and each retriever's 100 best passages with the same scores."""
    got, want = app.search(app.analyse(question), k=10), reference.search(reference.analyse(question), k=10)
    assert [h.row for h in got.hits] == [h.row for h in want.hits], question
    for name, ranking in want.rankings.items():
        assert list(got.rankings[name].ids) == list(ranking.ids), (question, name)
        assert np.allclose(got.rankings[name].scores, ranking.scores, atol=1e-5), (question, name)


def test_offsets_are_exact_in_every_passage_sentence_and_citation(tmp_path, store, monkeypatch):
    if store == "qdrant" and os.environ.get("ASKJOBS_QDRANT_URL") == ":memory:":
        monkeypatch.delenv("ASKJOBS_QDRANT_URL")  # local mode in its default folder, <index>/qdrant
    app = make_app(tmp_path, store, corpus_files(6))
    app.build()
    index = make_app(tmp_path, store).index
    for c in index.chunks:
        assert index.documents[c.source].text[c.start:c.end] == c.text
    for s in index.sentences:
        assert index.documents[s.source].text[s.start:s.end] == s.text
    for question in QUESTIONS:
        for c in app.ask(question).citations:
            assert index.documents[c.source].text[c.start:c.end] == c.quote
    assert len(index.sentence_vectors) == len(index.sentences)
    assert np.allclose(index.sentence_vectors[[0, len(index.sentences) - 1]],
                       FakeEncoder().encode_passages([index.sentences[0].text, index.sentences[-1].text]), atol=1e-6)


def test_incremental_add_change_delete_matches_a_fresh_build(tmp_path, store):
    files = corpus_files()
    app = make_app(tmp_path, store, files)
    app.build()
    files = dict(files)
    files["salaires-data.txt"] = "Salaires\n\n" + SALAIRE.replace("55 000", "72 000")
    for name in ("rapport-003.txt", "rapport-004.txt", "metiers.md"):  # deletions change every term's IDF
        (tmp_path / "corpus-a" / name).unlink()
        files.pop(name)
    files["nouveau.txt"] = "Nouveau rapport\n\nLes ingénieurs en robotique gagnent 64 000 euros en 2025."
    write_corpus(tmp_path / "corpus-a", files)

    report = app.build()
    assert report.added == ["nouveau.txt"] and report.changed == ["salaires-data.txt"]
    assert report.removed == ["metiers.md", "rapport-003.txt", "rapport-004.txt"]
    assert report.embedded < 12  # only the two new texts' passages and sentences were encoded

    fresh = make_app(tmp_path, "faiss", files, name="fresh")
    fresh.build()
    reader = make_app(tmp_path, store)
    for question in QUESTIONS + ["Combien gagnent les ingénieurs en robotique ?"]:
        assert answer_of(reader, question) == answer_of(fresh, question), question
        assert_same_retrieval(reader, fresh, question)  # BM25 scores included: IDF right after deletions
    assert "72 000" in reader.ask("Quel est le salaire médian des data scientists ?").answer


def test_a_reader_keeps_answering_during_a_rebuild_and_then_sees_the_new_version(tmp_path, store):
    builder = make_app(tmp_path, store)
    builder.build()
    reader = make_app(tmp_path, store)
    question = "Quel est le salaire médian des data scientists ?"
    assert "55 000" in reader.ask(question).answer
    corpus = tmp_path / "corpus-a"
    (corpus / "salaires-data.txt").write_text("Salaires\n\n" + SALAIRE.replace("55 000", "72 000"), encoding="utf-8")
    for i in range(0, 30, 3):
        (corpus / f"rapport-{i:03d}.txt").write_text(french_doc(500 + i), encoding="utf-8")
    errors, answers = asked_during_build(builder, reader, question)
    assert not errors
    assert answers and all("55 000" in a or "72 000" in a for a in answers)
    assert "72 000" in reader.ask(question).answer


def _damage_qdrant(app: AskJobs) -> None:
    """Remove a passage point from the published collection, as a hand edit or a lost shard would."""
    collection = str(app.store.current())
    app.store.client.delete(collection, points_selector=[2])  # passage row 0


def _damage_faiss(app: AskJobs) -> None:
    (app.store.current() / "dense.faiss").write_bytes(b"")


def test_a_damaged_store_gives_a_clear_french_message_and_index_repairs_it(tmp_path, store, capsys, monkeypatch):
    app = make_app(tmp_path, store)
    app.build()
    (_damage_faiss if store == "faiss" else _damage_qdrant)(app)
    with pytest.raises(IndexError_) as err:
        make_app(tmp_path, store).ask("Que font les auditeurs d'algorithmes ?")
    assert "askjobs index" in str(err.value) and "Traceback" not in str(err.value)
    monkeypatch.setenv("ASKJOBS_STORE", store)
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    args = ["--corpus", str(tmp_path / "corpus-a"), "--index", str(tmp_path / "index-a")]
    assert cli.main(["ask", *args, "Que font les auditeurs d'algorithmes ?"]) == 2
    assert capsys.readouterr().err.startswith("askjobs : ")
    report = app.build()  # the build sees the damage and writes a whole new version
    assert report.repaired
    assert "conformité" in make_app(tmp_path, store).ask("Que font les auditeurs d'algorithmes ?").answer


def _drop_entities_faiss(app: AskJobs) -> None:
    import json

    from askjobs.files import sha256_file

    version = app.store.current()
    (version / "entities.jsonl").unlink()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    del manifest["entities"]
    manifest["files"].pop("entities.jsonl", None)
    (version / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (version / "manifest.sha256").write_text(sha256_file(version / "manifest.json"))


def _drop_entities_qdrant(app: AskJobs) -> None:
    from qdrant_client import models as m

    from askjobs.store_qdrant import META, point_id

    client, collection = app.store.client, str(app.store.current())
    meta = client.retrieve(collection, [point_id(META, 0)], with_payload=True)[0].payload
    del meta["manifest"]["entities"]
    client.overwrite_payload(collection, payload=meta, points=[point_id(META, 0)])
    client.delete_payload(collection, keys=["entities"], points=m.FilterSelector(filter=m.Filter(
        must=[m.FieldCondition(key="kind", match=m.MatchValue(value="sentence"))])))


def test_an_index_without_sentence_entities_is_refused_then_completed_keeping_its_vectors(tmp_path, store, capsys,
                                                                                          monkeypatch):
    question, files = "Quel est le salaire médian des data scientists ?", corpus_files(6)
    app = make_app(tmp_path, store, files)
    app.build()
    (_drop_entities_faiss if store == "faiss" else _drop_entities_qdrant)(app)  # as built before they were stored
    with pytest.raises(IndexError_, match="sans les entités nommées.*Lancez `askjobs index` pour le compléter"):
        make_app(tmp_path, store, files).ask(question)  # never parsed at question time
    monkeypatch.setenv("ASKJOBS_STORE", store)
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    args = ["--corpus", str(tmp_path / "corpus-a"), "--index", str(tmp_path / "index-a")]
    assert cli.main(["ask", *args, question]) == 2
    assert "askjobs index" in capsys.readouterr().err
    report = app.build()
    assert not report.up_to_date and report.embedded == 0  # entities added, every vector kept
    fresh = make_app(tmp_path, store, files)
    assert fresh.index.entities is not None and len(fresh.index.entities) == len(fresh.index.sentences)
    assert "55 000" in fresh.ask(question).answer


def test_a_qdrant_collection_that_lost_its_sentence_entities_is_refused(tmp_path, monkeypatch):
    from qdrant_client import models as m

    monkeypatch.setenv("ASKJOBS_QDRANT_URL", ":memory:")
    files = corpus_files(4)
    app = make_app(tmp_path, "qdrant", files)
    app.build()
    app.store.client.delete_payload(str(app.store.current()), keys=["entities"], points=m.FilterSelector(
        filter=m.Filter(must=[m.FieldCondition(key="kind", match=m.MatchValue(value="sentence"))])))
    with pytest.raises(IndexError_, match="entités nommées des phrases manquent.*askjobs index --rebuild"):
        make_app(tmp_path, "qdrant", files).ask("Quel est le salaire médian des data scientists ?")


def test_an_unreachable_qdrant_server_is_named_with_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASKJOBS_STORE", "qdrant")
    monkeypatch.setenv("ASKJOBS_QDRANT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    corpus = write_corpus(tmp_path / "corpus")
    code = cli.main(["ask", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "Quel salaire ?"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Le serveur Qdrant http://127.0.0.1:9 est injoignable" in err and "ASKJOBS_QDRANT_URL" in err
    assert "Traceback" not in err


def test_an_unknown_store_is_refused_not_replaced(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASKJOBS_STORE", "elastic")
    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    code = cli.main(["ask", "--corpus", str(write_corpus(tmp_path / "c")), "--index", str(tmp_path / "i"), "Quel ?"])
    err = capsys.readouterr().err
    assert code == 2 and "ASKJOBS_STORE='elastic' n'est pas un stockage connu" in err


def test_qdrant_keeps_two_versions_and_leaves_other_collections_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASKJOBS_QDRANT_URL", ":memory:")
    files = corpus_files(4)
    app = make_app(tmp_path, "qdrant", files)
    app.store.client.create_collection("askjobs-autre-application", vectors_config={})
    for price in ("61 000", "62 000", "63 000"):
        write_corpus(tmp_path / "corpus-a", {"salaires-data.txt": "Salaires\n\n" + SALAIRE.replace("55 000", price)})
        app.build()
    names = sorted(c.name for c in app.store.client.get_collections().collections)
    versions = [n for n in names if n != "askjobs-autre-application"]
    assert "askjobs-autre-application" in names and len(versions) == 2
    assert str(app.store.current()) == versions[-1]
    assert "63 000" in make_app(tmp_path, "qdrant", files).ask("Quel est le salaire médian des data scientists ?").answer
    monkeypatch.setenv("ASKJOBS_STORE", "qdrant")
    assert cli.main(["index", "--check", "--corpus", str(tmp_path / "corpus-a"),
                     "--index", str(tmp_path / "index-a")]) == 0
    assert "Index intact : la collection askjobs-" in capsys.readouterr().out
