"""Small file helpers shared by several stages: hashing files and reading JSON Lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def iter_jsonl(path: Path, what: str, hint: str = "") -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line; errors name the file, the line and the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Fichier {what} introuvable : {path}")
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: JSON invalide ({exc.msg}).{hint}") from exc
