"""French named entities and noun phrases from spaCy's fr_core_news_sm, computed once per sentence at build.

The reader needs to know whether a sentence names a person, an organisation or a place ("Qui
dirige NVIDIA ?" wants a person; "NVIDIA: Recherche des experts…" names none). A statistical
tagger tells that far better than capital letters do ("Forbes rapporte…", "Tesla: Embauche…").
The pipeline (installed from PyPI by `make setup`, never downloaded at run time) is loaded on
first use, once per process, without its lemmatiser: the index stores the entities, so answering a
question never loads spaCy.

The dependency parse gives the reader its candidate short answers: each noun phrase of a sentence
(a noun or number with its determiners, adjectives and complements), stored with the label "NP"
beside the entities. "Quel est le point culminant de l'île ?" is answered by a phrase
(« la crête de Novara »), seldom by a whole sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

MODEL = "fr_core_news_sm"
LABELS = ("PER", "ORG", "LOC", "MISC")
PHRASE = "NP"  # a noun phrase (not an entity): a candidate short answer
SUBJECT = "NPS"  # … that is the subject of its verb ("La foule a tué les prisonniers")
PHRASES = (PHRASE, SUBJECT)
# What the stored analysis holds, recorded in the index manifest (index.ENTITIES): an index built
# with another one is completed by `askjobs index`.
ANALYSIS = "spaCy fr_core_news_sm (PER, ORG, LOC, MISC, NP, NPS) per sentence (v3)"
_MAX_PHRASE_TOKENS = 12  # a longer subtree is a clause, not an answer
# Dependents kept in a phrase's core (without its complements): "la crête", "les grands modèles linguistiques".
_CORE_DEPS = frozenset({"det", "amod", "nummod", "flat:name", "flat:foreign", "fixed", "compound", "advmod"})
_ELIDED = re.compile(r"^(?:[dlDL]|qu|Qu)['’]")

# One sentence's entities: (start, end, label) with document offsets.
Entities = tuple[tuple[int, int, str], ...]


class NlpError(RuntimeError):
    """The French spaCy pipeline is missing; the message says how to install it."""


@lru_cache(maxsize=1)
def pipeline():
    """spaCy's French pipeline without its lemmatiser (about 4 s to load, once per process)."""
    try:
        import spacy

        return spacy.load(MODEL, exclude=["lemmatizer"])
    except (ImportError, OSError) as exc:
        raise NlpError(f"Le modèle français de spaCy ({MODEL}) est introuvable ({exc}). "
                       "Lancez `make setup` (il s'installe depuis PyPI avec askjobs).") from exc


def sentence_entities(texts: Sequence[str], offsets: Sequence[int] | None = None) -> list[Entities]:
    """The PER / ORG / LOC / MISC entities and the noun phrases (NP) of each text, shifted by its
    offset in its document."""
    if not texts:
        return []
    offsets = offsets if offsets is not None else [0] * len(texts)
    out = []
    for doc, base in zip(pipeline().pipe(texts, batch_size=64), offsets):
        ents = [(base + e.start_char, base + e.end_char, e.label_) for e in doc.ents
                if e.label_ in LABELS and _plausible(e.text)]
        ents += [(base + a, base + b, label) for a, b, label in noun_phrases(doc)]
        out.append(tuple(ents))
    return out


def noun_phrases(doc) -> list[tuple[int, int, str]]:
    """Character spans of a parsed text's noun phrases: for each noun, proper noun or number, its whole
    subtree ("la crête de Novara") and its core without complements ("la crête"), without a leading
    preposition or trailing punctuation, at most _MAX_PHRASE_TOKENS tokens."""
    spans = set()
    for tok in doc:
        if tok.pos_ not in ("NOUN", "PROPN", "NUM"):
            continue
        if tok.dep_ in _CORE_DEPS and tok.dep_ != "advmod" and tok.head.pos_ in ("NOUN", "PROPN", "NUM"):
            continue  # part of its head's phrase ("Novara" in "crête de Novara" is kept as its own nmod)
        core = [tok] + [c for c in tok.children if c.dep_ in _CORE_DEPS]
        # … with its noun complements up to the first punctuation ("la crête de Novara, à 1 200 mètres").
        with_nmod = core + [t for c in tok.children if c.dep_ == "nmod" for t in c.subtree]
        lo_n, hi_n = min(t.i for t in with_nmod), max(t.i for t in with_nmod)
        cut = next((t.i for t in doc[tok.i + 1:hi_n + 1] if t.pos_ == "PUNCT" and t.text not in "-'’"), hi_n + 1)
        for lo, hi in ((tok.left_edge.i, tok.right_edge.i), (min(t.i for t in core), max(t.i for t in core)),
                       (lo_n, cut - 1)):
            while lo <= hi and doc[lo].pos_ in ("ADP", "CCONJ", "PUNCT", "SCONJ"):
                lo += 1
            while hi >= lo and doc[hi].pos_ in ("PUNCT", "ADP", "CCONJ", "SCONJ", "DET"):
                hi -= 1
            if lo <= hi and hi - lo < _MAX_PHRASE_TOKENS:
                label = SUBJECT if tok.dep_ in ("nsubj", "nsubj:pass") else PHRASE
                spans.add((doc[lo].idx, doc[hi].idx + len(doc[hi].text), label))
    return sorted(spans)


def _plausible(text: str) -> bool:
    """Not one of the small model's slips: a French word opening a sentence ("Trouver", "Volume"),
    an elided article ("L’"), a run-on label ("RAG): Utilisation")."""
    from .text import is_french_word

    words = text.split()
    if len(text) < 2 or any(c in text for c in ":;()") or text[-1] in "’'" or _ELIDED.match(text):
        return False
    return not (len(words) == 1 and not text.isupper() and is_french_word(text))
