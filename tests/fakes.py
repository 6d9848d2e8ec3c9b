"""A fake encoder for fast tests: hashed bags of French content terms, no model."""

from __future__ import annotations

import hashlib

import numpy as np

from askjobs.text import analyze


class FakeEncoder:
    """Vectors seeded from SHA-256 of each content term, so shared words mean similar vectors."""

    name = "fake-hash-encoder"
    fingerprint = "fake-v1"
    dim = 64

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for term in analyze(text) or ["\u2205"]:
            seed = int.from_bytes(hashlib.sha256(term.encode("utf-8")).digest()[:4], "little")
            v += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / (np.linalg.norm(v) or 1.0)

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    encode_passages = encode_queries

    pool_sentences = False  # as the real encoder: sentences encoded alone unless asked

    def encode_passages_with_spans(self, texts, spans):
        """As the ONNX encoder: passage vectors plus one vector per character span of each text, from the
        one call. A bag of terms has no context, so a span's vector is the vector of its own terms."""
        pooled = [[self._vec(t[a:b]) for a, b in sp] for t, sp in zip(texts, spans)]
        return self.encode_passages(texts), pooled

    def count_tokens(self, text: str) -> int:
        return len(text.split())
