"""Sentence vectors pooled from the passages' forward pass: exact token spans, fallbacks, never mixed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from askjobs.chunking import chunk_document, make_splitter
from askjobs.config import Settings
from askjobs.embed import span_token_rows
from askjobs.index import (SENTENCE_ALONE, SENTENCE_POOLED, _passage_positions, _sentence_homes, build_index,
                           current_version, passage_text, sentence_vectors_made, sentences_of)
from askjobs.pipeline import AskJobs
from askjobs.schema import Document
from askjobs.text import unglue
from fakes import FakeEncoder

PROMPT = "passage: "
# Accents, elisions with straight and typographic apostrophes, a ligature the normaliser rewrites.
FRENCH = ("L'employeur doit prévenir l’agent avant la fin du contrat. Il s'agit d'une obligation légale ; "
          "aïe, c'est ça ! Le cœur du métier : l'efﬁcacité.")
# As scraped: spaces lost at markup boundaries, so the passage text (unglued) is longer than the chunk.
GLUED = ("Spam : que faire ?\n\nVoiciquelques règles simplesà respecter : nejamais répondreà un spam, "
         "ne pas cliquer sur les liens.Signalez le message sur la plateformedu ministère.")


def _tokenizer(max_length: int | None = None):
    """A small word-level tokenizer with the real one's offset behaviour: NFKC, offsets in the original."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([PROMPT + FRENCH], trainers.WordLevelTrainer(special_tokens=["[UNK]", "<s>", "</s>"]))
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    if max_length:
        tok.enable_truncation(max_length)
    return tok


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    doc = Document("f.txt", "", text)
    return [(s.start, s.end) for s in sentences_of(doc)]


def test_each_sentence_gets_exactly_its_own_tokens_accents_and_apostrophes_included():
    tok = _tokenizer()
    enc = tok.encode(PROMPT + FRENCH)
    spans = _sentence_spans(FRENCH)
    assert len(spans) == 3
    taken = []
    for start, end in spans:
        rows = span_token_rows(enc.offsets, (start, end), len(PROMPT))
        alone = tok.encode(FRENCH[start:end], add_special_tokens=False)
        assert [enc.tokens[r] for r in rows] == alone.tokens  # the same tokens as the sentence on its own
        assert "".join(FRENCH[start:end].split()) == "".join(
            (PROMPT + FRENCH)[enc.offsets[r][0]:enc.offsets[r][1]] for r in rows)  # every character, no other
        taken += rows
    assert len(taken) == len(set(taken))  # no token in two sentences
    assert not {0, len(enc.tokens) - 1} & set(taken)  # special tokens never pooled
    assert "l’" not in " ".join(enc.tokens) and "efficacité" in enc.tokens  # ’ split, ligature normalised


def test_a_sentence_past_the_truncated_tokens_has_no_pooled_vector():
    tok = _tokenizer(max_length=24)
    enc = tok.encode(PROMPT + FRENCH)
    first, second, _ = _sentence_spans(FRENCH)
    assert span_token_rows(enc.offsets, first, len(PROMPT)) is not None  # <s>, 3 of the prompt, 14: inside the 24
    assert span_token_rows(enc.offsets, second, len(PROMPT)) is None  # cut in the middle: encode it alone


def test_passage_positions_follow_the_spaces_unglue_adds():
    doc = Document("spam.txt", "Spam", GLUED)
    splitter = make_splitter(40, 8, lambda t: len(t.split()))
    for chunk in chunk_document(doc, splitter):
        text = passage_text(doc, chunk)
        where = _passage_positions(doc, chunk, text)
        assert where is not None and len(where) == len(chunk.text)
        for s in sentences_of(doc):
            if chunk.start <= s.start and s.end <= chunk.end:
                a, b = s.start - chunk.start, s.end - chunk.start
                assert text[where[a]:where[b - 1] + 1] == unglue(s.text)
    assert len(unglue(GLUED)) > len(GLUED)  # the fixture does exercise inserted spaces


def test_a_sentence_is_pooled_where_it_is_most_central():
    doc = Document("f.txt", "", "Un. Deux trois quatre. Cinq six. Sept huit neuf dix onze.")
    sentences = sentences_of(doc)
    from askjobs.schema import Chunk

    chunks = [Chunk("a", "f.txt", 0, 22, doc.text[0:22]), Chunk("b", "f.txt", 4, 57, doc.text[4:57])]
    homes = _sentence_homes(chunks, sentences, [[0, 1], [1, 2, 3]], range(len(sentences)))
    # "Deux trois quatre." is in both, at the end of the first and the start of the second: equal
    # margins of 0 keep the first; "Un." only in the first; the last two only in the second.
    assert homes == {0: 0, 1: 0, 2: 1, 3: 1}
    half = [Chunk("c", "f.txt", 0, 10, doc.text[0:10])]  # "Deux trois quatre." cut: no home, encoded alone
    assert _sentence_homes(half, sentences, [[0, 1]], range(2)) == {0: 0}


class CountingEncoder(FakeEncoder):
    def __init__(self, cut_after: int | None = None):
        self.passages: list[str] = []
        self.cut_after = cut_after  # characters of each passage its "tokens" cover (truncation)

    def encode_passages(self, texts):
        self.passages += list(texts)
        return self.encode_queries(texts)

    def encode_passages_with_spans(self, texts, spans):
        vectors, pooled = super().encode_passages_with_spans(texts, spans)
        if self.cut_after is not None:
            pooled = [[v if b <= self.cut_after else None for (a, b), v in zip(sp, vs)] for sp, vs in zip(spans, pooled)]
        return vectors, pooled


class PoolingEncoder(CountingEncoder):
    pool_sentences = True  # asked to pool (the default encodes sentences alone)


def _build(encoder, docs, chunk_tokens=12):
    splitter = make_splitter(chunk_tokens, 3, encoder.count_tokens)
    chunks = [c for d in docs for c in chunk_document(d, splitter)]
    return build_index(docs, chunks, encoder.encode_passages, model={"name": "fake", "dim": FakeEncoder.dim},
                       chunking={}, encode_spans=encoder.encode_passages_with_spans), chunks


def test_pooled_build_encodes_each_passage_once_and_truncated_sentences_alone():
    docs = [Document("spam.txt", "Spam", GLUED), Document("fr.txt", "Contrat", FRENCH)]
    encoder = CountingEncoder()
    index, chunks = _build(encoder, docs)
    assert index.manifest["sentence_vectors"] == SENTENCE_POOLED
    texts = [passage_text(index.documents[c.source], c) for c in chunks]
    # One pass per passage; a sentence no passage holds whole (longer than the chunk size) encoded alone.
    unhomed = [unglue(s.text) for s in index.sentences
               if not any(c.source == s.source and c.start <= s.start and s.end <= c.end for c in chunks)]
    assert unhomed and len(unhomed) < len(index.sentences) / 3
    assert encoder.passages == texts + unhomed
    # The fake's span vector is the vector of the span's own text: the span was the unglued sentence.
    for s, v in zip(index.sentences, index.sentence_vectors):
        assert np.allclose(v, encoder._vec(unglue(s.text)), atol=1e-6), s.text

    cut = CountingEncoder(cut_after=40)
    index2, _ = _build(cut, docs)
    alone = cut.passages[len(texts):]
    assert len(alone) > len(unhomed) and len(cut.passages) < len(texts) + len(index2.sentences)  # + truncated
    assert set(alone) <= {unglue(s.text) for s in index2.sentences}
    assert np.allclose(index2.sentence_vectors, index.sentence_vectors, atol=1e-6)


def test_pooled_and_alone_sentence_vectors_are_never_mixed(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "spam.txt").write_text(GLUED, encoding="utf-8")
    (corpus / "fr.txt").write_text(FRENCH, encoding="utf-8")
    s = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = AskJobs(s, FakeEncoder()).build()  # the default: every sentence encoded alone
    assert first.embedded == first.chunks + first.sentences
    assert sentence_vectors_made({}) == SENTENCE_ALONE  # as every index built before the record
    manifest = json.loads((current_version(s.index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sentence_vectors"] == SENTENCE_ALONE

    # Same model and backend, but sentences made the other way: the index is not up to date, the
    # passages' vectors are kept and every sentence is pooled again (from its passage's pass).
    report = AskJobs(s, PoolingEncoder()).build()
    assert not report.up_to_date and 0 < report.embedded <= report.chunks
    manifest = json.loads((current_version(s.index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sentence_vectors"] == SENTENCE_POOLED
    assert AskJobs(s, PoolingEncoder()).build().up_to_date
    assert AskJobs(s, FakeEncoder()).build().embedded == report.sentences  # and back: sentences alone again


@pytest.mark.model
def test_real_encoder_pools_sentences_from_the_passage_pass():
    from askjobs.embed import OnnxEncoder, make_encoder

    encoder = make_encoder(Settings().with_(backend="onnx"))
    if not isinstance(encoder, OnnxEncoder):
        pytest.skip("ONNX backend not configured")
    spans = _sentence_spans(FRENCH)
    passages, pooled = encoder.encode_passages_with_spans([FRENCH], [spans])
    assert np.allclose(passages, encoder.encode_passages([FRENCH]), atol=1e-5)  # the same pass
    alone = encoder.encode_passages([FRENCH[a:b] for a, b in spans])
    cos = [float(p @ a) for p, a in zip(pooled[0], alone)]
    assert min(cos) > 0.8  # close to the sentence on its own
    # But the passage's context pulls its sentences together (why pooling is off by default: the reader
    # tells them apart less well): pooled sentences are more alike than the same sentences alone.
    p = np.stack(pooled[0])
    off = ~np.eye(3, dtype=bool)
    assert (p @ p.T)[off].mean() > (alone @ alone.T)[off].mean() + 0.05
    prompt = encoder._prompts["passage"]
    enc = encoder._tokenizer.encode(prompt + FRENCH)
    for a, b in spans:
        rows = span_token_rows(enc.offsets, (a, b), len(prompt))
        got = "".join(enc.tokens[r] for r in rows).replace("\u2581", " ").strip()
        assert got.replace(" ", "") == FRENCH[a:b].replace(" ", "").replace("ﬁ", "fi")
    long = " ".join([FRENCH] * 40)  # far beyond 512 tokens: the last sentence is truncated away
    _, cut = encoder.encode_passages_with_spans([long], [[(0, len(FRENCH)), (len(long) - 20, len(long))]])
    assert cut[0][0] is not None and cut[0][1] is None
