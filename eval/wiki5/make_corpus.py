"""Regenerate eval/wiki5/corpus/ (the fifth HELD-OUT wiki corpus) from PIAF v1.0 (Etalab, French Wikipedia, SQuAD format).

    python eval/wiki5/make_corpus.py [PIAF.json]    # default: ../shared/bench/piaf-dev.json from the repo root

Same file format as eval/wiki/make_corpus.py (whose `main` is reused): the title on the first line,
a blank line, then the article's paragraphs (`context`) in the JSON's order, separated by blank lines,
text unchanged. Only titles and paragraphs are read, never the questions (`qas`).
The six articles differ from those of eval/wiki/corpus/, eval/wiki-dev/corpus/, eval/wiki2/corpus/,
eval/wiki3/corpus/ and eval/wiki4/corpus/. The articles of 4 to 6 paragraphs were used up by those
corpora: these have 3 paragraphs, or 7 (whole articles, so the shared loader needs no cap).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "corpus"


# eval/wiki4's script already loads eval/wiki3's, which reaches eval/wiki2's, eval/wiki's and
# eval/wiki-dev's: load it, and reuse its loader and theirs.
_spec = importlib.util.spec_from_file_location("wiki4_make_corpus", HERE.parent / "wiki4" / "make_corpus.py")
_wiki4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wiki4)
_wiki, _wiki_dev, _wiki2, _wiki3 = _wiki4._wiki, _wiki4._wiki_dev, _wiki4._wiki2, _wiki4._wiki3

# article title in the JSON -> file name
ARTICLES = {
    "Rhinocéros blanc": "rhinoceros-blanc.txt",
    "Aide à l'innovation en France": "aide-innovation-france.txt",
    "Mridang": "mridang.txt",
    "<i>28 jours plus tard</i>": "28-jours-plus-tard.txt",
    "Guerre anglo-zouloue": "guerre-anglo-zouloue.txt",
    "Patrick Kane": "patrick-kane.txt",
}

USED = (set(_wiki.ARTICLES) | set(_wiki_dev.ARTICLES) | set(_wiki2.ARTICLES) | set(_wiki3.ARTICLES)
        | set(_wiki4.ARTICLES))
assert not USED & set(ARTICLES), "an article of eval/wiki, eval/wiki-dev, eval/wiki2, eval/wiki3 or eval/wiki4 was chosen again"
USED_FILES = {p.name for d in ("wiki", "wiki-dev", "wiki2", "wiki3", "wiki4")
              for p in (HERE.parent / d / "corpus").glob("*.txt")}
assert not USED_FILES & set(ARTICLES.values()), "a file name of another wiki corpus was reused"


def main(argv: list[str]) -> int:
    return _wiki.main(argv, ARTICLES, OUT_DIR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
