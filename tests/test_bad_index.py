"""A damaged or mismatched index: a clear French message naming the problem and the fix, never a trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs.index import REBUILD_HINT, IndexError_, current_version, load_index
from askjobs.pipeline import AskJobs
from docmaker import AUTOMATISATION, SALAIRE, TELETRAVAIL
from fakes import FakeEncoder

FIX = "Lancez `askjobs index"  # plain `askjobs index` repairs; `--rebuild` is named where only it would do


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in (("salaires.txt", SALAIRE), ("teletravail.txt", TELETRAVAIL), ("robots.txt", AUTOMATISATION)):
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    AskJobs(Settings(corpus_dir=corpus, index_dir=index_dir), FakeEncoder()).build()
    return corpus, index_dir, current_version(index_dir)


@pytest.fixture
def use_fake_encoder(monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())


def edit_manifest(version: Path, change) -> None:
    path = version / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    changed = change(manifest)
    path.write_text(json.dumps(changed if isinstance(changed, dict) else manifest, ensure_ascii=False),
                    encoding="utf-8")


def without(key):
    return lambda m: {k: v for k, v in m.items() if k != key}


def set_dim(value):
    def change(m):
        m["model"]["dim"] = value
    return change


def truncate(name: str, keep: float = 0.5):
    def damage(version: Path) -> None:
        data = (version / name).read_bytes()
        (version / name).write_bytes(data[: int(len(data) * keep)])
    return damage


DAMAGES = {
    "truncated FAISS file": (truncate("dense.faiss"), "dense.faiss : "),
    "empty FAISS file": (truncate("dense.faiss", 0), "dense.faiss : 0 octets au lieu des"),
    "invalid JSON manifest": (lambda v: (v / "manifest.json").write_text("{\"format\": 1, \"model\": ",
                                                                          encoding="utf-8"),
                              "manifeste de l'index"),
    "manifest is a list": (lambda v: (v / "manifest.json").write_text("[1, 2]", encoding="utf-8"),
                           "un objet JSON est attendu"),
    "manifest without model": (lambda v: edit_manifest(v, without("model")), "la clé « model » manque"),
    "manifest without documents": (lambda v: edit_manifest(v, without("documents")), "la clé « documents » manque"),
    "manifest with a wrong dim": (lambda v: edit_manifest(v, set_dim(32)),
                                  "manifest.json : son contenu ne correspond plus à sa somme de contrôle"),
    "manifest with a text dim": (lambda v: edit_manifest(v, set_dim("64")), "« model.dim » doit être un entier"),
    "manifest of another format": (lambda v: edit_manifest(v, lambda m: m.update(format=99)), "au format 99"),
    "document entry without hash": (lambda v: edit_manifest(v, lambda m: m["documents"][0].pop("hash")),
                                    "n'a pas de « source » et de « hash »"),
    "document text edited": (lambda v: (v / "documents.jsonl").write_text(
        (v / "documents.jsonl").read_text(encoding="utf-8").replace("55 000", "99 000"), encoding="utf-8"),
        "documents.jsonl : son contenu ne correspond plus à la somme de contrôle"),
    "truncated documents": (truncate("documents.jsonl", 0.7), "documents.jsonl : "),
    "missing sentence vectors": (lambda v: (v / "sentences.npy").unlink(), "sentences.npy : le fichier manque"),
    "truncated sentence vectors": (truncate("sentences.npy", 0.6), "sentences.npy : "),
    "missing lexical index": (lambda v: [p.unlink() for p in (v / "bm25").iterdir()], ".json : le fichier manque"),
}


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_damaged_index_raises_a_clear_error_naming_the_fix(built, case):
    corpus, index_dir, version = built
    damage, expected = DAMAGES[case]
    damage(version)
    with pytest.raises(IndexError_) as err:
        load_index(index_dir)
    message = str(err.value)
    assert expected in message
    assert FIX in message
    assert "Traceback" not in message and "faiss::" not in message


@pytest.mark.parametrize("case", ["truncated FAISS file", "invalid JSON manifest", "manifest with a wrong dim",
                                  "manifest without model", "truncated documents"])
def test_cli_reports_a_damaged_index_without_a_trace(built, case, capsys, use_fake_encoder):
    corpus, index_dir, version = built
    DAMAGES[case][0](version)
    code = cli.main(["ask", "--corpus", str(corpus), "--index", str(index_dir), "Quel est le salaire médian ?"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("askjobs : ") and FIX in err
    assert "Traceback" not in err


def test_index_built_with_another_model_names_both_models(built, capsys):
    corpus, index_dir, _ = built
    with pytest.raises(IndexError_, match="construit avec le modèle 'fake-hash-encoder'.*'multilingual-e5-small'"):
        load_index(index_dir, model_name="multilingual-e5-small")
    # Through the CLI with the real (lazily loaded) encoder: the mismatch is found before any model loads.
    code = cli.main(["ask", "--corpus", str(corpus), "--index", str(index_dir), "--model", "multilingual-e5-small",
                     "Quel est le salaire médian ?"])
    err = capsys.readouterr().err
    assert code == 2 and "fake-hash-encoder" in err and FIX in err and "Traceback" not in err


def test_pointer_to_a_missing_version(built):
    corpus, index_dir, _ = built
    (index_dir / "CURRENT").write_text("20990101T000000-1-000000\n", encoding="utf-8")
    with pytest.raises(IndexError_, match="n'existe pas") as err:
        load_index(index_dir)
    assert FIX in str(err.value)


def test_no_index_yet_says_how_to_build_one(tmp_path, capsys, use_fake_encoder):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(SALAIRE, encoding="utf-8")
    with pytest.raises(IndexError_, match="Lancez `askjobs index`"):
        load_index(tmp_path / "index")
    code = cli.main(["ask", "--corpus", str(tmp_path / "docs"), "--index", str(tmp_path / "index"), "Salaire ?"])
    assert code == 2 and "askjobs index" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["truncated FAISS file", "invalid JSON manifest", "manifest with a wrong dim"])
def test_askjobs_index_repairs_a_damaged_index(built, case, capsys, use_fake_encoder):
    corpus, index_dir, version = built
    DAMAGES[case][0](version)
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "Index réparé. L'index précédent était inutilisable : " in out and "Index prêt : 3 documents" in out
    assert len(load_index(index_dir).documents) == 3
    assert REBUILD_HINT.startswith("Lancez")
