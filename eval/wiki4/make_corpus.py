"""Regenerate eval/wiki4/corpus/ (the fourth HELD-OUT wiki corpus) from PIAF v1.0 (Etalab, French Wikipedia, SQuAD format).

    python eval/wiki4/make_corpus.py [PIAF.json]    # default: ../shared/bench/piaf-dev.json from the repo root

Same file format as eval/wiki/make_corpus.py (whose `main` is reused): the title on the first line,
a blank line, then the article's paragraphs (`context`) in the JSON's order, separated by blank lines,
text unchanged. Only titles and paragraphs are read, never the questions (`qas`).
The six articles differ from those of eval/wiki/corpus/, eval/wiki-dev/corpus/, eval/wiki2/corpus/
and eval/wiki3/corpus/.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "corpus"


# eval/wiki3's script already loads eval/wiki2's, which loads eval/wiki's and eval/wiki-dev's:
# load it, and reuse its loader and theirs.
_spec = importlib.util.spec_from_file_location("wiki3_make_corpus", HERE.parent / "wiki3" / "make_corpus.py")
_wiki3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wiki3)
_wiki, _wiki_dev, _wiki2 = _wiki3._wiki, _wiki3._wiki_dev, _wiki3._wiki2

# article title in the JSON -> file name
ARTICLES = {
    "La République en marche": "la-republique-en-marche.txt",
    "Lucifer (personnage)": "lucifer-personnage.txt",
    "Massacres de Septembre": "massacres-de-septembre.txt",
    "Exode des Grecs en Corse": "exode-des-grecs-en-corse.txt",
    "Siège de Gibraltar (1779-1783)": "siege-de-gibraltar.txt",
    "Rome": "rome.txt",
}

USED = set(_wiki.ARTICLES) | set(_wiki_dev.ARTICLES) | set(_wiki2.ARTICLES) | set(_wiki3.ARTICLES)
assert not USED & set(ARTICLES), "an article of eval/wiki, eval/wiki-dev, eval/wiki2 or eval/wiki3 was chosen again"
USED_FILES = {p.name for d in ("wiki", "wiki-dev", "wiki2", "wiki3") for p in (HERE.parent / d / "corpus").glob("*.txt")}
assert not USED_FILES & set(ARTICLES.values()), "a file name of another wiki corpus was reused"


def main(argv: list[str]) -> int:
    return _wiki.main(argv, ARTICLES, OUT_DIR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
