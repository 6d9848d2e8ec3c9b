"""Small file helpers shared by several stages: hashing files and reading JSON Lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
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
    # Lines end at "\n" only: str.splitlines would also cut at U+2028 inside a JSON string.
    with open(path, encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: JSON invalide ({exc.msg}).{hint}") from exc


def write_jsonl(path: Path, rows: Iterable[dict], mode: str = "w") -> None:
    """Write (or with mode "a", append) one JSON object per line, UTF-8, non-ASCII kept as is."""
    with open(path, mode, encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def os_reason(exc: OSError) -> str:
    """An operating-system error in French, with what to do about it."""
    import errno

    reasons = {
        errno.ENOSPC: "disque plein : libérez de la place puis réessayez",
        errno.EDQUOT: "quota de disque dépassé : libérez de la place puis réessayez",
        errno.EROFS: "système de fichiers en lecture seule",
        errno.EACCES: "accès refusé (permissions)",
        errno.EPERM: "opération non permise (permissions)",
        errno.ENAMETOOLONG: "chemin ou nom trop long",
        errno.ELOOP: "boucle de liens symboliques",
        errno.ENOENT: "fichier ou dossier introuvable (supprimé entre-temps ?)",
        errno.EIO: "erreur d'entrée-sortie du disque",
        errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
        errno.EMFILE: "trop de fichiers ouverts",
    }
    return reasons.get(exc.errno, exc.strerror or str(exc))
