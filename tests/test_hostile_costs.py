"""Bounded cost per document: huge tokens, many lines and pasted blobs are indexed (or refused) in memory
that stays far under 1 GB. Peak memory is measured in a fresh subprocess (resource.getrusage), never time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askjobs.chunking import make_splitter, chunk_document
from askjobs.config import Settings
from askjobs.ingest import load_corpus
from askjobs.text import LONG_WORD, MAX_SENTENCE_CHARS, MAX_WORD_CHARS, split_sentences
from hostile_files import many_lines, single_token, text_with_blob

TESTS = Path(__file__).parent
MODEL_TOKENIZER = Settings().models_dir / "multilingual-e5-small" / "tokenizer.json"
PEAK_LIMIT_MB = 1024  # the ceiling the issue sets for any single file under the size limit

# Builds the index of one hostile file in a fresh process and reports the peak memory the build added.
# `subword` counts tokens like a subword tokenizer (about 3 characters each); `real` uses the real model.
_PROBE = r"""
import json, resource, sys
sys.path[:0] = [{tests!r}]
from pathlib import Path
from askjobs.config import Settings
from askjobs.pipeline import AskJobs
from fakes import FakeEncoder
import bm25s, faiss, langchain_text_splitters, simplemma  # imported before the baseline

class Subword(FakeEncoder):
    def count_tokens(self, text):
        return len(text) // 3 + 1

    def encode_passages(self, texts):  # cheap vectors: this measures the pipeline, not the fake model
        import hashlib
        import numpy as np
        seeds = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little") for t in texts]
        v = np.stack([np.random.default_rng(s).standard_normal(self.dim) for s in seeds]).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

corpus, index_dir, kind = Path({corpus!r}), Path({index!r}), {kind!r}
if kind == "real":
    from askjobs.embed import SentenceTransformerEncoder
    encoder = SentenceTransformerEncoder.from_settings(Settings())
    encoder.encode_passages(["chargement du modèle"])
else:
    encoder = Subword()
app = AskJobs(Settings(corpus_dir=corpus, index_dir=index_dir), encoder)
app.encoder.count_tokens("Bonjour")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = app.build()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
index = app.index
print(json.dumps({{"base_mb": base / 1024, "added_mb": (peak - base) / 1024, "documents": report.documents,
                  "chunks": report.chunks, "sentences": report.sentences,
                  "skipped": {{s.source: s.reason for s in report.skipped}},
                  "longest_chunk_tokens": max(encoder.count_tokens(c.text) for c in index.chunks),
                  "longest_sentence": max(len(s.text) for s in index.sentences)}}))
"""


def build_in_subprocess(corpus: Path, index_dir: Path, kind: str) -> dict:
    code = _PROBE.format(tests=str(TESTS), corpus=str(corpus), index=str(index_dir), kind=kind)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def hostile_folder(root: Path) -> Path:
    corpus = root / "docs"
    corpus.mkdir()
    single_token(corpus / "un-seul-mot.txt")
    many_lines(corpus / "cinquante-mille-lignes.txt")
    text_with_blob(corpus / "image-collee.md")
    (corpus / "vide.txt").write_bytes(b"")
    return corpus


def test_hostile_files_are_indexed_or_refused_in_bounded_memory(tmp_path):
    result = build_in_subprocess(hostile_folder(tmp_path), tmp_path / "index", "subword")
    print("\nhostile folder (subword counter, fake vectors):", json.dumps(result, ensure_ascii=False))
    assert result["added_mb"] < PEAK_LIMIT_MB
    assert result["documents"] == 2
    assert result["skipped"]["vide.txt"] == "fichier vide"
    assert result["skipped"]["un-seul-mot.txt"].startswith("pas du texte à lire : 100 % du fichier sont des suites "
                                                            "de plus de 200 caractères sans espace")
    assert result["longest_chunk_tokens"] <= 320 and result["longest_sentence"] <= MAX_SENTENCE_CHARS
    assert result["sentences"] == 50_000 + 20_000 + 1  # the blob: one passage and one sentence, not thousands


def test_a_pasted_blob_gets_one_passage_with_exact_offsets(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    text_with_blob(corpus / "image.md", blob_bytes=100_000, lines=4000)
    [doc], skipped = load_corpus(corpus)
    assert not skipped
    chunks = chunk_document(doc, make_splitter(320, 50, lambda t: len(t) // 3 + 1))
    [run] = LONG_WORD.finditer(doc.text)
    [blob_chunk] = [c for c in chunks if c.start < run.end() and c.end > run.start()]
    assert blob_chunk.start == run.start() and len(blob_chunk.text) // 3 + 1 <= 320  # its first window only
    assert all(doc.text[c.start:c.end] == c.text and len(c.text) // 3 + 1 <= 320 for c in chunks)
    assert chunks[-1].text.endswith("sans incident.")  # the text after the blob is indexed
    assert max(s.end - s.start for s in split_sentences(doc.text)) <= MAX_SENTENCE_CHARS


def test_a_long_run_on_text_is_cut_into_bounded_sentences_at_spaces():
    text = "mot " * 2000 + "fin."
    spans = split_sentences(text)
    assert all(s.end - s.start <= MAX_SENTENCE_CHARS for s in spans)
    assert all(not text[s.start:s.end].startswith(" ") and not text[s.start:s.end].endswith(" ") for s in spans)
    assert " ".join(text[s.start:s.end] for s in spans) == text


@pytest.mark.model
@pytest.mark.skipif(not MODEL_TOKENIZER.is_file(), reason="the model is built by `make model`")
def test_real_model_indexes_a_blob_and_refuses_a_single_token_in_bounded_memory(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    single_token(corpus / "un-seul-mot.txt")
    text_with_blob(corpus / "image-collee.md", blob_bytes=40_000, lines=600)
    result = build_in_subprocess(corpus, tmp_path / "index", "real")
    print("\nreal model:", json.dumps(result, ensure_ascii=False))
    assert result["added_mb"] < PEAK_LIMIT_MB
    assert result["documents"] == 1 and "un-seul-mot.txt" in result["skipped"]
    assert result["longest_chunk_tokens"] <= 320


_pieces = st.one_of(
    st.sampled_from(["Le salaire médian est de 157 000 $.", "M. Dupont", "\n", "\n\n", " ", "25,2 %", "IA ;"]),
    st.integers(MAX_WORD_CHARS - 5, 3 * MAX_WORD_CHARS).map(lambda n: "x" * n),  # around the long-run limit
    st.integers(150, 700).map(lambda n: " " * n),
    st.text(alphabet="abcdé \n.", max_size=60),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=40).map("".join))
def test_chunks_and_sentences_stay_exact_and_bounded_on_any_text(text):
    from askjobs.schema import Document

    if not text.strip():
        return
    doc = Document("x.txt", "x", text)
    count = lambda t: len(t) // 3 + 1  # noqa: E731
    chunks = chunk_document(doc, make_splitter(40, 5, count))
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.text.strip() == c.text and count(c.text) <= 40
    for s in split_sentences(text):
        assert 0 < s.end - s.start <= MAX_SENTENCE_CHARS and text[s.start:s.end].strip() == text[s.start:s.end]


def test_a_document_repeating_itself_is_still_covered_by_its_passages():
    from askjobs.schema import Document

    text = "Voir plus.\n\n" * 300 + "Fin du texte : le salaire médian est de 157 000 $."
    chunks = chunk_document(Document("x.txt", "x", text), make_splitter(40, 5, lambda t: len(t.split())))
    covered = set()
    for c in chunks:
        assert text[c.start:c.end] == c.text
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())  # no part left unindexed
