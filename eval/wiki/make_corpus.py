"""Regenerate eval/wiki/corpus/ from PIAF v1.0 (Etalab, French Wikipedia paragraphs, SQuAD format).

    python eval/wiki/make_corpus.py [PIAF.json]    # default: ../shared/bench/piaf-dev.json from the repo root

Each chosen article becomes one UTF-8 file: its title on the first line, a blank line, then its
paragraphs (`context`) in the JSON's order, separated by blank lines, text unchanged.
Only titles and paragraphs are read, never the questions (`qas`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUT_DIR = Path(__file__).resolve().parent / "corpus"
DEFAULT_SOURCE = ROOT / ".." / "shared" / "bench" / "piaf-dev.json"

# article title in the JSON -> file name
ARTICLES = {
    "CDG Express": "cdg-express.txt",
    "Bronzage": "bronzage.txt",
    "Institut d'études politiques": "institut-etudes-politiques.txt",
    "Calendrier hégirien": "calendrier-hegirien.txt",
    "Saint-Paul (île)": "saint-paul-ile.txt",
    "Couleur du Web": "couleur-du-web.txt",
}


def render(article: dict) -> str:
    paragraphs = [p["context"] for p in article["paragraphs"]]
    return article["title"] + "\n\n" + "\n\n".join(paragraphs) + "\n"


def main(argv: list[str], articles: dict[str, str] = ARTICLES, out_dir: Path = OUT_DIR) -> int:
    """Write `articles` (title -> file name) of the PIAF file named in argv (else DEFAULT_SOURCE) to out_dir."""
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    by_title = {a["title"]: a for a in data}
    missing = [t for t in articles if t not in by_title]
    if missing:
        print(f"articles absents de {source} : {missing}", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for title, name in articles.items():
        (out_dir / name).write_text(render(by_title[title]), encoding="utf-8")
        print(f"{name}: {len(by_title[title]['paragraphs'])} paragraphes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
