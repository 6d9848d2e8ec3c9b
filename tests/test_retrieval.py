"""Retrieval on scraped text: glued words are matched, while the stored text and offsets stay as in the file."""

from __future__ import annotations

import json
from pathlib import Path

from askjobs import index as index_module
from askjobs.config import Settings
from askjobs.index import current_version, load_index
from askjobs.pipeline import AskJobs
from docmaker import RecordingEncoder
from fakes import FakeEncoder

# As scraped from a FAQ page: spaces lost at markup boundaries.
GLUED = ("Spam : que faire ?\n\nVoiciquelques règles simplesà respecter : nejamais répondreà un spam, "
         "ne pas cliquer sur les liens.Signalez le message sur la plateformedu ministère.")
OTHER = ("Vidéoprotection\n\nLa durée de conservation des images issues d'une caméra filmant la voie publique "
         "doit être proportionnée à l'objectif du système.")


def _corpus(tmp_path: Path) -> Settings:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "spam.txt").write_text(GLUED, encoding="utf-8")
    (corpus / "video.txt").write_text(OTHER, encoding="utf-8")
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


def test_glued_words_are_found_and_quoted_exactly_as_in_the_file(tmp_path):
    app = AskJobs(_corpus(tmp_path), FakeEncoder())
    app.build()
    answer = app.ask("Faut-il répondre à un spam ? Quelles règles simples respecter ?")
    assert answer.citations and answer.citations[0].source == "spam.txt"
    text = app.index.documents["spam.txt"].text
    assert text == GLUED  # stored as in the file
    for c in [*answer.citations, *answer.nearest]:
        assert app.index.documents[c.source].text[c.start:c.end] == c.quote
    assert any("simplesà" in c.quote or "nejamais" in c.quote for c in answer.citations)


def test_vectors_embedded_another_way_are_not_reused(tmp_path, monkeypatch):
    s = _corpus(tmp_path)
    AskJobs(s, FakeEncoder()).build()
    manifest = json.loads((current_version(s.index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedded_text"] == index_module.EMBEDDED_TEXT
    (s.corpus_dir / "video.txt").write_text(OTHER + "\nUne phrase de plus.", encoding="utf-8")
    monkeypatch.setattr(index_module, "EMBEDDED_TEXT", "another way (v0)")
    encoder = RecordingEncoder()
    AskJobs(s, encoder).build()
    index = load_index(s.index_dir)
    # Both documents re-embedded, not only the changed one.
    assert encoder.encoded == len(index.chunks) + len(index.sentences)
