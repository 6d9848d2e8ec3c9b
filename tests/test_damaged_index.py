"""Any damage to any index file: a clear message naming the file, or an automatic repair; never a silently
different answer. Also a full disk and a read-only index folder."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from askjobs import cli
from askjobs import index as index_module
from askjobs.config import Settings
from askjobs.index import CURRENT, MANIFEST, MANIFEST_SUM, IndexError_, current_version, load_index
from askjobs.pipeline import AskJobs
from docmaker import AUTOMATISATION, SALAIRE, TELETRAVAIL
from fakes import FakeEncoder

QUESTIONS = ["Quel est le salaire médian des data scientists ?", "Combien de jours de télétravail par semaine ?",
             "Quels robots sont utilisés dans les usines ?", "Quelle est la capitale de l'Australie ?"]


class CountingEncoder(FakeEncoder):
    def __init__(self):
        self.encoded = 0

    def encode_passages(self, texts):
        self.encoded += len(texts)
        return self.encode_queries(texts)


def replies(app: AskJobs) -> list[tuple]:
    out = []
    for q in QUESTIONS:
        a = app.ask(q)
        out.append((a.answer, a.answerable, [(c.source, c.start, c.end) for c in a.citations]))
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path, list]:
    """A corpus, its index and the answers it gives; each test works on a copy of the index."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "docs"
    corpus.mkdir()
    for name, text in (("salaires.txt", SALAIRE), ("teletravail.txt", TELETRAVAIL), ("robots.txt", AUTOMATISATION)):
        (corpus / name).write_text(text, encoding="utf-8")
    app = AskJobs(Settings(corpus_dir=corpus, index_dir=root / "index"), FakeEncoder())
    app.build()
    return corpus, root / "index", replies(app)


@pytest.fixture
def copy(pristine, tmp_path):
    corpus, index_dir, expected = pristine
    shutil.copytree(index_dir, tmp_path / "index", symlinks=True)
    shutil.copytree(corpus, tmp_path / "docs")  # the manifest records names and hashes, not the folder
    return tmp_path / "docs", tmp_path / "index", expected


def settings(corpus, index_dir) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index_dir)


def index_files(index_dir: Path) -> list[str]:
    """Every file a damage may hit: CURRENT and each file of the current version."""
    version = current_version(index_dir)
    return [CURRENT] + sorted(p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file())


def flip(data: bytes) -> bytes:
    """64 bytes inverted in the middle (or all of a short file)."""
    mid = max(len(data) // 2 - 32, 0)
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 64]) + data[mid + 64:]


DAMAGES = {
    "64 bytes flipped": flip,
    "truncated to half": lambda d: d[: len(d) // 2],
    "emptied": lambda d: b"",
    "garbage appended": lambda d: d + b"\x00garbage\n",
    "deleted": None,
}


def damage(index_dir: Path, name: str, kind: str) -> None:
    path = index_dir / name if name == CURRENT else current_version(index_dir) / name
    if DAMAGES[kind] is None:
        path.unlink()
    else:
        path.write_bytes(DAMAGES[kind](path.read_bytes()))


def test_every_kind_of_damage_to_every_file_is_named_then_repaired(copy, tmp_path, capsys):
    corpus, index_dir, expected = copy
    files = index_files(index_dir)
    assert {CURRENT, MANIFEST, MANIFEST_SUM, "dense.faiss", "sentences.npy", "documents.jsonl"} <= set(files)
    cases = 0
    for name in files:
        for kind in DAMAGES:
            work = tmp_path / f"case{cases}"
            shutil.copytree(index_dir, work, symlinks=True)
            damage(work, name, kind)
            # Serving refuses the damaged index with a message naming the file and the fix...
            with pytest.raises(IndexError_) as err:
                load_index(work)
            message = str(err.value)
            shown = "CURRENT" if name == CURRENT else Path(name).name
            assert shown in message, (name, kind, message)
            assert "Lancez `askjobs index" in message
            # ... and a plain `askjobs index` repairs it, saying so; the answers are the same as before.
            app = AskJobs(settings(corpus, work), FakeEncoder())
            report = app.build()
            assert report.repaired and not report.up_to_date, (name, kind)
            assert replies(AskJobs(settings(corpus, work), FakeEncoder())) == expected, (name, kind)
            assert AskJobs(settings(corpus, work), FakeEncoder()).build().up_to_date
            cases += 1
    assert cases >= 55


def test_repair_re_encodes_only_what_was_lost(copy):
    corpus, index_dir, expected = copy
    manifest = json.loads((current_version(index_dir) / MANIFEST).read_text(encoding="utf-8"))
    damage(index_dir, "sentences.npy", "64 bytes flipped")
    encoder = CountingEncoder()
    report = AskJobs(settings(corpus, index_dir), encoder).build()
    assert "sentences.npy" in report.repaired
    assert encoder.encoded == report.embedded == manifest["counts"]["sentences"]  # passages' vectors kept
    assert report.unchanged == ["robots.txt", "salaires.txt", "teletravail.txt"] and not report.added
    assert replies(AskJobs(settings(corpus, index_dir), FakeEncoder())) == expected


def test_cli_says_the_index_was_repaired(copy, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    corpus, index_dir, _ = copy
    damage(index_dir, "sentences.jsonl", "emptied")
    args = ["--corpus", str(corpus), "--index", str(index_dir)]
    assert cli.main(["index", "--check", *args]) == 2
    assert "sentences.jsonl : 0 octets au lieu des" in capsys.readouterr().err
    assert cli.main(["index", *args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Index réparé. L'index précédent était inutilisable : L'index est endommagé (")
    assert "sentences.jsonl : 0 octets au lieu des" in out and "vecteurs intacts réutilisés" in out
    assert cli.main(["index", "--check", *args]) == 0
    assert capsys.readouterr().out.startswith("Index intact : ")


def test_a_running_app_keeps_serving_when_the_new_version_is_damaged(copy, caplog):
    corpus, index_dir, expected = copy
    app = AskJobs(settings(corpus, index_dir), FakeEncoder())
    assert replies(app) == expected
    old = current_version(index_dir)
    # Another process publishes a new version, which then gets damaged.
    AskJobs(settings(corpus, index_dir), FakeEncoder()).build(rebuild=True)
    damage(index_dir, "sentences.npy", "64 bytes flipped")
    with caplog.at_level(logging.WARNING, logger="askjobs"):
        assert replies(app) == expected
        assert replies(app) == expected
    warnings = [r.getMessage() for r in caplog.records if r.name == "askjobs"]
    assert len(warnings) == 1 and "sentences.npy" in warnings[0] and old.name in warnings[0]
    # A damaged pointer too.
    (index_dir / CURRENT).write_bytes(b"\xff\xfe../x\n")
    assert replies(app) == expected
    # Repaired: the app moves on to the new version.
    AskJobs(settings(corpus, index_dir), FakeEncoder()).build()
    assert replies(app) == expected and app.index.path == current_version(index_dir) != old


def test_a_full_disk_while_saving_keeps_the_previous_index(copy, capsys, monkeypatch):
    corpus, index_dir, expected = copy
    before = current_version(index_dir)
    (corpus / "nouveau.txt").write_text("Un nouveau document sur les salaires des robots.", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_module, "write_jsonl", full)
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"askjobs : Impossible d'écrire l'index dans {index_dir} (disque plein : libérez de la place "
                   "puis réessayez). L'index précédent, s'il existe, est conservé tel quel.\n")
    assert current_version(index_dir) == before
    assert sorted(p.name for p in (index_dir / "versions").iterdir()) == [before.name]  # nothing half-written
    (corpus / "nouveau.txt").unlink()
    monkeypatch.undo()
    assert replies(AskJobs(settings(corpus, index_dir), FakeEncoder())) == expected


def read_only(monkeypatch, index_dir: Path):
    """Make index_dir refuse writes (tests run as root, whom permissions do not stop)."""
    real_open = open

    def guarded_open(path, mode="r", *args, **kwargs):
        if Path(path).is_relative_to(index_dir) and any(c in mode for c in "wax+"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(index_module, "open", guarded_open, raising=False)


def test_a_read_only_index_folder_still_serves_and_says_when_it_would_need_writing(copy, capsys, monkeypatch):
    from askjobs import embed

    monkeypatch.setattr(embed, "make_encoder", lambda s: FakeEncoder())
    corpus, index_dir, expected = copy
    read_only(monkeypatch, index_dir)
    args = ["--corpus", str(corpus), "--index", str(index_dir)]
    assert cli.main(["index", *args]) == 0  # nothing to do: no need to write
    assert capsys.readouterr().out.startswith("Index à jour : aucun changement")
    assert cli.main(["ask", QUESTIONS[0], *args]) == 0
    assert "Réponse" in capsys.readouterr().out
    (corpus / "nouveau.txt").write_text("Un nouveau document.", encoding="utf-8")
    assert cli.main(["index", *args]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"askjobs : Le dossier de l'index {index_dir} n'est pas accessible en écriture "
                          "(système de fichiers en lecture seule) ; il faudrait pourtant l'écrire : les documents "
                          "ont changé depuis la dernière indexation (ajoutés : nouveau.txt). Donnez le droit "
                          "d'écriture sur ce dossier, ou indiquez-en un autre avec --index (ou ASKJOBS_INDEX).\n")
    assert "Traceback" not in err


def test_the_app_start_repairs_a_damaged_index_and_says_so(copy):
    from app_support import load_app_module

    corpus, index_dir, expected = copy
    damage(index_dir, "sentences.npy", "64 bytes flipped")
    app = AskJobs(settings(corpus, index_dir), FakeEncoder())
    logs = []
    load_app_module().prepare(app, log=logs.append)
    [repaired] = [m for m in logs if m.startswith("Index réparé : l'index précédent était inutilisable (L'index est "
                                                   "endommagé (")]
    assert "sentences.npy : son contenu ne correspond plus à la somme de contrôle du manifeste" in repaired
    assert logs[-1].startswith("Index prêt : 3 document(s)")
    assert replies(app) == expected


def test_a_damaged_pointer_is_repaired_from_the_newest_whole_version(copy):
    corpus, index_dir, expected = copy
    (index_dir / CURRENT).write_bytes(b"\xff\xfe../../etc\n")
    encoder = CountingEncoder()
    report = AskJobs(settings(corpus, index_dir), encoder).build()
    assert "CURRENT" in report.repaired and encoder.encoded == 0  # every vector kept
    assert report.unchanged == ["robots.txt", "salaires.txt", "teletravail.txt"]
    assert replies(AskJobs(settings(corpus, index_dir), FakeEncoder())) == expected
