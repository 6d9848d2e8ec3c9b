"""Regenerate eval/wiki3/corpus/ (the third HELD-OUT wiki corpus) from PIAF v1.0 (Etalab, French Wikipedia, SQuAD format).

    python eval/wiki3/make_corpus.py [PIAF.json]    # default: ../shared/bench/piaf-dev.json from the repo root

Same file format as eval/wiki/make_corpus.py (whose `main` is reused): the title on the first line,
a blank line, then the article's paragraphs (`context`) in the JSON's order, separated by blank lines,
text unchanged. Only titles and paragraphs are read, never the questions (`qas`).
The six articles differ from those of eval/wiki/corpus/, eval/wiki-dev/corpus/ and eval/wiki2/corpus/.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "corpus"


# eval/wiki2's script already loads eval/wiki's and eval/wiki-dev's: load it, and reuse its loader and theirs.
_spec = importlib.util.spec_from_file_location("wiki2_make_corpus", HERE.parent / "wiki2" / "make_corpus.py")
_wiki2 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wiki2)
_wiki, _wiki_dev = _wiki2._wiki, _wiki2._wiki_dev

# article title in the JSON -> file name
ARTICLES = {
    "Mariage homosexuel": "mariage-homosexuel.txt",
    "Mexique": "mexique.txt",
    "<i>Chelidonium majus</i>": "chelidonium-majus.txt",
    "<i>Vizzavona</i> (navire)": "vizzavona-navire.txt",
    "Troisième dynastie d'Ur": "troisieme-dynastie-ur.txt",
    "Marlyse de La Grange": "marlyse-de-la-grange.txt",
}

USED = set(_wiki.ARTICLES) | set(_wiki_dev.ARTICLES) | set(_wiki2.ARTICLES)
assert not USED & set(ARTICLES), "an article of eval/wiki, eval/wiki-dev or eval/wiki2 was chosen again"
USED_FILES = {p.name for d in ("wiki", "wiki-dev", "wiki2") for p in (HERE.parent / d / "corpus").glob("*.txt")}
assert not USED_FILES & set(ARTICLES.values()), "a file name of another wiki corpus was reused"


def main(argv: list[str]) -> int:
    return _wiki.main(argv, ARTICLES, OUT_DIR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
