"""Regenerate eval/wiki-dev/corpus/ (the DEV wiki corpus) from PIAF v1.0 (Etalab, French Wikipedia, SQuAD format).

    python eval/wiki-dev/make_corpus.py [PIAF.json]    # default: ../shared/bench/piaf-dev.json from the repo root

Same file format as eval/wiki/make_corpus.py (whose `main` is reused): the title on the first line,
a blank line, then the article's paragraphs (`context`) in the JSON's order, separated by blank lines,
text unchanged. Only titles and paragraphs are read, never the questions (`qas`).
The six articles differ from those of the held-out wiki corpus (eval/wiki/corpus/).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "corpus"

_spec = importlib.util.spec_from_file_location("wiki_make_corpus", HERE.parent / "wiki" / "make_corpus.py")
_wiki = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wiki)

# article title in the JSON -> file name
ARTICLES = {
    "Berlin": "berlin.txt",
    "Bruce Nauman": "bruce-nauman.txt",
    "Réserve naturelle nationale de Vireux-Molhain": "reserve-vireux-molhain.txt",
    "Guerre d'indépendance espagnole": "guerre-independance-espagnole.txt",
    "Hans Herrmann": "hans-herrmann.txt",
    "Fils prodigue": "fils-prodigue.txt",
}

HELD_OUT = set(_wiki.ARTICLES)
assert not HELD_OUT & set(ARTICLES), "an article of the held-out wiki corpus was chosen for dev"


def main(argv: list[str]) -> int:
    return _wiki.main(argv, ARTICLES, OUT_DIR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
