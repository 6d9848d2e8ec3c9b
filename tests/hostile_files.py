"""Hostile corpus files (shared by the tests and the measurement script): big, but legal, inputs."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

LINE = "Ligne {n} : relevé de la station météo numéro {k}, capteur en service, valeur enregistrée sans incident."


SHORT_LINE = "Relevé {n} : {k} mm."


def single_token(path: Path, size: int = 5 * 1024 * 1024) -> Path:
    """One "word" of `size` letters, no space, no line break (under the 50 MB limit)."""
    block = "".join(chr(97 + (i * 7919) % 26) for i in range(4096))
    path.write_text((block * (size // len(block) + 1))[:size], encoding="utf-8")
    return path


def many_lines(path: Path, lines: int = 50_000) -> Path:
    """A text of `lines` short French lines (each its own sentence), like a log or a long table."""
    path.write_text("\n".join(SHORT_LINE.format(n=n, k=n % 97) for n in range(lines)) + "\n", encoding="utf-8")
    return path


def text_with_blob(path: Path, blob_bytes: int = 1024 * 1024, lines: int = 20_000) -> Path:
    """French lines with a base64 blob pasted in the middle (an image in a Markdown export)."""
    blob = base64.b64encode(b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(blob_bytes // 32)))
    half = [LINE.format(n=n, k=100 + n % 200) for n in range(lines // 2)]
    path.write_text("\n".join(half) + "\n![image](data:image/png;base64," + blob.decode() + ")\n" + "\n".join(half),
                    encoding="utf-8")
    return path
