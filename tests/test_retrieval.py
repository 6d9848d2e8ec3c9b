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


# --- Score fusion -------------------------------------------------------------------

def test_fusion_uses_the_values_fitted_by_eval_fit_fusion():
    import sys

    import numpy as np

    from askjobs import retrieve

    fit = json.loads((Path(__file__).parents[1] / "eval" / "fusion-fit.json").read_text(encoding="utf-8"))
    p = fit["params"]
    assert (p["lexical"], p["sentence"], p["alpha"], p["lexical_norm"]) == \
        (retrieve.LEXICAL_WEIGHT, retrieve.SENTENCE_WEIGHT, retrieve.ALPHA, "std")
    assert (fit["cosine_unit"], fit["depth"]) == (retrieve.COSINE_UNIT, retrieve.SPREAD_DEPTH)
    sys.path.insert(0, str(Path(__file__).parents[1] / "eval"))
    from fit_fusion import fuse as fitted_fuse

    rng = np.random.default_rng(0)
    dense, sentence = rng.uniform(0.7, 0.9, 300), rng.uniform(0.6, 0.9, 300)
    lexical = np.where(rng.random(300) < 0.3, rng.gamma(2.0, 3.0, 300), 0.0)
    ours = retrieve.fuse(dense, lexical, sentence)
    theirs = fitted_fuse(dense, lexical, sentence, p)
    assert np.argsort(-ours)[:20].tolist() == np.argsort(-theirs)[:20].tolist()


def test_a_retriever_that_scores_every_passage_alike_does_not_drown_the_others():
    import numpy as np

    from askjobs.retrieve import fuse

    rng = np.random.default_rng(1)
    lexical = np.where(rng.random(50) < 0.5, rng.permutation(50) * 0.5, 0.0)  # BM25 tells passages apart
    flat = 0.82 + rng.normal(0, 1e-6, 50)  # e5 on passages that all say the same thing
    fused = fuse(flat, lexical, flat)
    assert np.argsort(-fused)[:5].tolist() == np.argsort(-lexical)[:5].tolist()
    # When the dense retriever does single one passage out, it can win against a weak lexical lead.
    dense = flat.copy()
    dense[7] = 0.90
    assert int(np.argmax(fuse(dense, np.where(lexical > 0, 1.0, 0.0), flat))) == 7
