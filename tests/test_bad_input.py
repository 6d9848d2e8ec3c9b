"""Bad files: each is skipped with a clear French reason, and every other file is still indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from askjobs import cli
from askjobs.config import Settings
from askjobs.ingest import load_corpus, scan_corpus
from askjobs.pipeline import AskJobs
from docmaker import SALAIRE, TELETRAVAIL, html_page, write_docx, write_encrypted_pdf, write_image_pdf, write_pdf
from fakes import FakeEncoder


def reasons(skipped) -> dict[str, str]:
    return {s.source: s.reason for s in skipped}


@pytest.fixture
def use_fake_encoder(monkeypatch):
    """Make the CLI build with the fast fake encoder instead of the real model."""
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())


def make_bad_folder(root: Path) -> Path:
    corpus = root / "docs"
    corpus.mkdir()
    (corpus / "bon.txt").write_text("Bon document\n\n" + SALAIRE, encoding="utf-8")
    (corpus / "bon.pdf").write_bytes(b"")
    write_pdf(corpus / "bon.pdf", [TELETRAVAIL])
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "blancs.md").write_text(" \n\t\n  ", encoding="utf-8")
    (corpus / "binaire.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(512).replace(b"\x00", b"\x01"))
    (corpus / "casse.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    good_pdf = (corpus / "bon.pdf").read_bytes()
    (corpus / "tronque.pdf").write_bytes(good_pdf[: len(good_pdf) // 3])
    write_encrypted_pdf(corpus / "secret.pdf", SALAIRE, user_password="motdepasse")
    write_image_pdf(corpus / "scan.pdf")
    (corpus / "abime.docx").write_bytes(b"PK\x03\x04 ceci n'est pas un docx")
    (corpus / "menus.html").write_text("<html><body><nav>Accueil</nav><script>x()</script></body></html>")
    (corpus / "copie.txt").write_text("Bon document\n\n" + SALAIRE, encoding="utf-8")
    (corpus / "tableur.xlsx").write_bytes(b"PK\x03\x04")
    return corpus


def test_every_bad_file_is_skipped_with_its_reason_and_the_rest_indexed(tmp_path):
    corpus = make_bad_folder(tmp_path)
    docs, skipped = load_corpus(corpus)
    assert sorted(d.source for d in docs) == ["bon.pdf", "bon.txt"]
    why = reasons(skipped)
    assert why["vide.txt"] == "fichier vide"
    assert why["blancs.md"] == "fichier vide"
    assert "binaire" in why["binaire.txt"]
    assert "binaire" in why["image.md"]
    assert "PDF illisible ou endommagé" in why["casse.pdf"]
    assert "PDF illisible ou endommagé" in why["tronque.pdf"]
    assert "mot de passe" in why["secret.pdf"]
    assert "nécessite une reconnaissance de caractères (OCR)" in why["scan.pdf"]
    assert "document Word illisible" in why["abime.docx"]
    assert "sans texte principal" in why["menus.html"]
    assert why["copie.txt"] == "doublon exact de bon.txt : indexé une seule fois"
    assert why["tableur.xlsx"].startswith("format non pris en charge (.xlsx)")
    assert len(skipped) == 12


def test_pdf_protected_only_against_editing_is_indexed(tmp_path):
    write_encrypted_pdf(tmp_path / "ouvert.pdf", SALAIRE, user_password="")
    docs, skipped = load_corpus(tmp_path)
    assert skipped == [] and "55 000 euros" in docs[0].text


def test_file_over_the_size_limit(tmp_path):
    (tmp_path / "petit.txt").write_text(SALAIRE, encoding="utf-8")
    (tmp_path / "gros.txt").write_text(SALAIRE * 200, encoding="utf-8")
    docs, skipped = load_corpus(tmp_path, max_bytes=5000)
    assert [d.source for d in docs] == ["petit.txt"]
    assert "fichier trop volumineux" in reasons(skipped)["gros.txt"]
    assert "ASKJOBS_MAX_FILE_MB" in reasons(skipped)["gros.txt"]


def test_size_limit_is_configurable(monkeypatch):
    monkeypatch.setenv("ASKJOBS_MAX_FILE_MB", "2")
    assert Settings().max_file_bytes == 2 * 1024 * 1024
    assert Settings().with_(max_file_mb=0.5).max_file_bytes == 512 * 1024


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    # Tests run as root, for whom chmod 000 does not block reads: simulate the refusal.
    (tmp_path / "ok.txt").write_text(SALAIRE, encoding="utf-8")
    (tmp_path / "interdit.txt").write_text(TELETRAVAIL, encoding="utf-8")
    import askjobs.ingest as ingest

    real = ingest.sha256_file

    def refusing(path):
        if path.name == "interdit.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(ingest, "sha256_file", refusing)
    docs, skipped = load_corpus(tmp_path)
    assert [d.source for d in docs] == ["ok.txt"]
    assert "lecture refusée (permissions)" in reasons(skipped)["interdit.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_for_real(tmp_path):
    (tmp_path / "ok.txt").write_text(SALAIRE, encoding="utf-8")
    locked = tmp_path / "interdit.txt"
    locked.write_text(TELETRAVAIL, encoding="utf-8")
    locked.chmod(0)
    docs, skipped = load_corpus(tmp_path)
    assert "lecture refusée (permissions)" in reasons(skipped)["interdit.txt"]


def test_symlinks_leading_outside_are_not_followed(tmp_path):
    outside = tmp_path / "ailleurs"
    outside.mkdir()
    (outside / "secret.txt").write_text("Le mot de passe du serveur est hunter2.", encoding="utf-8")
    corpus = tmp_path / "docs"
    (corpus / "sous").mkdir(parents=True)
    (corpus / "sous" / "vrai.txt").write_text(SALAIRE, encoding="utf-8")
    (corpus / "fuite.txt").symlink_to(outside / "secret.txt")
    (corpus / "dossier-externe").symlink_to(outside, target_is_directory=True)
    (corpus / "boucle").symlink_to(corpus, target_is_directory=True)
    (corpus / "casse.txt").symlink_to(tmp_path / "nexiste-pas.txt")
    (corpus / "alias.txt").symlink_to(corpus / "sous" / "vrai.txt")
    docs, skipped = load_corpus(corpus)
    assert [d.source for d in docs] == ["alias.txt"]  # a link inside the corpus is a plain duplicate
    why = reasons(skipped)
    assert "hors du dossier de documents : non suivi" in why["fuite.txt"]
    assert "hors du dossier de documents : non suivi" in why["dossier-externe"]
    assert "lien symbolique vers un dossier" in why["boucle"]
    assert "lien symbolique cassé" in why["casse.txt"]
    assert why["sous/vrai.txt"] == "doublon exact de alias.txt : indexé une seule fois"
    assert all("hunter2" not in d.text for d in docs)


def test_hidden_and_office_lock_files_are_ignored_silently(tmp_path):
    (tmp_path / "ok.txt").write_text(SALAIRE, encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.txt").write_text(TELETRAVAIL, encoding="utf-8")
    (tmp_path / "~$rapport.docx").write_bytes(b"verrou")
    files, skipped = scan_corpus(tmp_path)
    assert [f.source for f in files] == ["ok.txt"] and skipped == []


def test_missing_corpus_folder_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="n'existe pas"):
        load_corpus(tmp_path / "absent")


def test_cli_summary_lists_every_skipped_file_and_exits_zero(tmp_path, capsys, use_fake_encoder):
    corpus = make_bad_folder(tmp_path)
    code = cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Index prêt : 2 documents" in out
    assert "ignorés : 12" in out
    for name in ("vide.txt", "blancs.md", "binaire.txt", "image.md", "casse.pdf", "tronque.pdf", "secret.pdf",
                 "scan.pdf", "abime.docx", "menus.html", "copie.txt", "tableur.xlsx"):
        assert f"ignoré : {name} — " in out
    assert "OCR" in out


def test_cli_exits_non_zero_only_when_nothing_usable(tmp_path, capsys, use_fake_encoder):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "vide.txt").write_bytes(b"")
    write_image_pdf(corpus / "scan.pdf")
    code = cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    captured = capsys.readouterr()
    assert code == 1
    assert "Aucun document utilisable" in captured.out
    assert "ignoré : scan.pdf — PDF sans couche texte" in captured.out
    assert "Aucun document utilisable" in captured.err
    assert "L'index précédent, s'il existe, est conservé" in captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_cli_missing_corpus_is_a_message_not_a_trace(tmp_path, capsys, use_fake_encoder):
    code = cli.main(["index", "--corpus", str(tmp_path / "absent"), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 2 and "n'existe pas" in err and "Traceback" not in err


def test_fixing_a_bad_file_gets_it_indexed_next_time(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "ok.txt").write_text(SALAIRE, encoding="utf-8")
    (corpus / "vide.txt").write_bytes(b"")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    assert [s.source for s in app.build().skipped] == ["vide.txt"]
    again = app.build()
    assert again.up_to_date and [s.source for s in again.skipped] == ["vide.txt"]  # reported, not re-examined
    assert not any(app.stale_files().values())  # a skipped file does not make the index look stale
    (corpus / "vide.txt").write_text(TELETRAVAIL, encoding="utf-8")
    assert app.stale_files()["changed"] == ["vide.txt"]
    fixed = app.build()
    assert fixed.added == ["vide.txt"] and fixed.skipped == []


def test_html_and_docx_extras_do_not_stop_the_build(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "page.html").write_text(html_page("Salaires", [SALAIRE]), encoding="utf-8")
    write_docx(corpus / "fiche.docx", ["Télétravail", TELETRAVAIL])
    (corpus / "faux.docx").write_text("texte brut renommé en .docx", encoding="utf-8")
    report = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder()).build()
    assert sorted(report.added) == ["fiche.docx", "page.html"]
    assert [s.source for s in report.skipped] == ["faux.docx"]


def test_build_with_nothing_usable_raises_and_keeps_the_previous_index(tmp_path):
    from askjobs.pipeline import NothingIndexedError

    corpus = tmp_path / "docs"
    corpus.mkdir()
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())
    with pytest.raises(NothingIndexedError, match="ne contient aucun document à indexer"):
        app.build()
    (corpus / "ok.txt").write_text(SALAIRE, encoding="utf-8")
    version = app.build().path
    (corpus / "ok.txt").write_bytes(b"")
    with pytest.raises(NothingIndexedError, match="ok.txt — fichier vide") as err:
        app.build()
    assert err.value.report.removed == ["ok.txt"]
    assert (tmp_path / "index" / "CURRENT").read_text().strip() == version.name
