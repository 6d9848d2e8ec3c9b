"""French named entities from spaCy's fr_core_news_sm, computed once per sentence when the index is built.

The reader needs to know whether a sentence names a person, an organisation or a place ("Qui
dirige NVIDIA ?" wants a person; "NVIDIA: Recherche des experts…" names none). A statistical
tagger tells that far better than capital letters do ("Forbes rapporte…", "Tesla: Embauche…").
The pipeline (installed from PyPI by `make setup`, never downloaded at run time) is loaded on
first use, once per process, with only its tokeniser and entity recogniser: the index stores the
entities, so answering a question never loads spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

MODEL = "fr_core_news_sm"
LABELS = ("PER", "ORG", "LOC", "MISC")
_ELIDED = re.compile(r"^(?:[dlDL]|qu|Qu)['’]")

# One sentence's entities: (start, end, label) with document offsets.
Entities = tuple[tuple[int, int, str], ...]


class NlpError(RuntimeError):
    """The French spaCy pipeline is missing; the message says how to install it."""


@lru_cache(maxsize=1)
def pipeline():
    """spaCy's French pipeline, entity recognition only (about 4 s to load, once per process)."""
    try:
        import spacy

        return spacy.load(MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "morphologizer"])
    except (ImportError, OSError) as exc:
        raise NlpError(f"Le modèle français de spaCy ({MODEL}) est introuvable ({exc}). "
                       "Lancez `make setup` (il s'installe depuis PyPI avec askjobs).") from exc


def sentence_entities(texts: Sequence[str], offsets: Sequence[int] | None = None) -> list[Entities]:
    """The PER / ORG / LOC / MISC entities of each text, shifted by its offset in its document."""
    if not texts:
        return []
    offsets = offsets if offsets is not None else [0] * len(texts)
    out = []
    for doc, base in zip(pipeline().pipe(texts, batch_size=64), offsets):
        out.append(tuple((base + e.start_char, base + e.end_char, e.label_) for e in doc.ents
                         if e.label_ in LABELS and _plausible(e.text)))
    return out


def _plausible(text: str) -> bool:
    """Not one of the small model's slips: a French word opening a sentence ("Trouver", "Volume"),
    an elided article ("L’"), a run-on label ("RAG): Utilisation")."""
    from .text import is_french_word

    words = text.split()
    if len(text) < 2 or any(c in text for c in ":;()") or text[-1] in "’'" or _ELIDED.match(text):
        return False
    return not (len(words) == 1 and not text.isupper() and is_french_word(text))
