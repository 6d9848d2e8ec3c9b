"""A hostile corpus folder: nothing in it may crash indexing; each bad entry is skipped with a French reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs.ingest import MAX_DEPTH, CorpusError, scan_corpus
from askjobs.pipeline import AskJobs
from docmaker import SALAIRE, TELETRAVAIL
from fakes import FakeEncoder


def reasons(skipped) -> dict[str, str]:
    return {s.source: s.reason for s in skipped}


@pytest.fixture
def use_fake_encoder(monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())


def good_corpus(root: Path) -> Path:
    corpus = root / "docs"
    corpus.mkdir()
    (corpus / "salaires.txt").write_text(SALAIRE, encoding="utf-8")
    (corpus / "teletravail.txt").write_text(TELETRAVAIL, encoding="utf-8")
    return corpus


def test_symlink_loops_and_dangling_links_are_reported_and_the_rest_indexed(tmp_path, capsys, use_fake_encoder):
    corpus = good_corpus(tmp_path)
    os.symlink("b.txt", corpus / "a.txt")  # two files linking to each other
    os.symlink("a.txt", corpus / "b.txt")
    os.symlink("soi.md", corpus / "soi.md")  # a link to itself
    os.symlink("absent.txt", corpus / "casse.txt")
    (corpus / "sous").mkdir()
    os.symlink("..", corpus / "sous" / "parent")  # a folder loop: never walked into
    files, skipped = scan_corpus(corpus)
    assert sorted(f.source for f in files) == ["salaires.txt", "teletravail.txt"]
    why = reasons(skipped)
    assert why["a.txt"] == why["b.txt"] == why["soi.md"] == "boucle de liens symboliques : non suivi"
    assert "lien symbolique cassé" in why["casse.txt"]
    assert "lien symbolique vers un dossier" in why["sous/parent"]

    index_dir = tmp_path / "index"
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "ignoré : a.txt — boucle de liens symboliques" in out and "Index prêt : 2 documents" in out
    assert cli.main(["ask", "Quel est le salaire médian ?", "--corpus", str(corpus), "--index", str(index_dir)]) == 0


def test_a_very_deep_tree_is_walked_to_a_limit_and_reported(tmp_path):
    corpus = good_corpus(tmp_path)
    deep = corpus
    for i in range(MAX_DEPTH + 5):
        deep = deep / "d"
        deep.mkdir()
        if i == MAX_DEPTH - 2:
            (deep / "profond.txt").write_text(SALAIRE.replace("Salaire", "Rémunération"), encoding="utf-8")
    (deep / "trop-profond.txt").write_text("Texte perdu dans les profondeurs.", encoding="utf-8")
    files, skipped = scan_corpus(corpus)
    assert len(files) == 3 and any(f.source.endswith("/profond.txt") for f in files)
    [(source, reason)] = reasons(skipped).items()
    assert source.count("/") == MAX_DEPTH + 1 and f"plus de {MAX_DEPTH} niveaux" in reason


def test_odd_file_names(tmp_path):
    corpus = good_corpus(tmp_path)
    with open(os.path.join(os.fsencode(corpus), b"caf\xe9-latin1.txt"), "wb") as fh:  # not UTF-8
        fh.write(b"Un nom de fichier en Latin-1.")
    (corpus / "ligne\nnouvelle.txt").write_text("Un nom avec un saut de ligne.", encoding="utf-8")
    (corpus / "-tiret \u202eetrange.md").write_text("Un nom qui commence par un tiret.", encoding="utf-8")
    (corpus / ("x" * 250 + ".txt")).write_text("Un nom de 254 caractères.", encoding="utf-8")
    os.mkfifo(corpus / "tube.txt")  # reading it would block forever
    files, skipped = scan_corpus(corpus)
    why = reasons(skipped)
    assert why == {"caf\ufffd-latin1.txt": "nom de fichier illisible (caractères qui ne sont pas de l'UTF-8) : "
                                           "renommez-le",
                   "tube.txt": "pas un fichier ordinaire (tube, socket ou périphérique) : non lu"}
    assert {"ligne\nnouvelle.txt", "-tiret \u202eetrange.md", "x" * 250 + ".txt"} < {f.source for f in files}
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    report = app.build()
    assert report.documents == 5
    assert app.build().up_to_date  # names round-trip through the manifest


def test_unreadable_folders_are_reported(tmp_path, monkeypatch):
    corpus = good_corpus(tmp_path)
    (corpus / "prive").mkdir()
    (corpus / "prive" / "secret.txt").write_text("Secret.", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # tests run as root, who reads any folder: simulate a refusal
        if Path(path).name == "prive":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, skipped = scan_corpus(corpus)
    assert len(files) == 2
    assert reasons(skipped) == {"prive/": "dossier illisible (accès refusé (permissions)) : son contenu n'est pas "
                                          "indexé"}


def test_an_unreadable_corpus_folder_is_one_message(tmp_path, monkeypatch, capsys, use_fake_encoder):
    corpus = good_corpus(tmp_path)
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
                        if Path(p) == corpus else real_scandir(p))
    with pytest.raises(CorpusError, match="est illisible"):
        scan_corpus(corpus)
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 2
    assert "est illisible (accès refusé (permissions))" in capsys.readouterr().err


def test_a_corpus_folder_that_is_a_link_loop(tmp_path):
    os.symlink("boucle", tmp_path / "boucle")
    with pytest.raises(FileNotFoundError, match="n'existe pas"):
        scan_corpus(tmp_path / "boucle")
