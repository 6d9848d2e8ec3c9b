"""Question → Query: the one analysis of a question, read by every later stage.

Retrieval, the reader and the questions-about-a-document path all need the question's
terms, the kind of answer it expects and the names or numbers it mentions. They are
derived here, once per question, and passed along in a frozen `Query`; no later stage
re-analyses the question text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .about import question_about_document
from .text import analyze, is_french_word, normalize, stopwords

if TYPE_CHECKING:
    from .index import Index

# --- Expected answer type -------------------------------------------------------
_ASKS_NUMBER = re.compile(
    r"\bcombien\b|\bquel(?:le)?s?\s+(?:est|sont|était|a été)?\s*(?:le|la|les|l')?\s*"
    r"(?:pourcentage|salaire|montant|nombre|taux|prix|chiffre|part|proportion|somme|budget|co[uû]t|"
    r"r[ée]mun[ée]ration|fourchette|valeur|taille|population|superficie|hausse|baisse|augmentation)"
    r"|\bà combien\b|\bquelle part\b|\bde combien\b"
)
_ASKS_DATE = re.compile(  # "quand" as a question word, not as the conjunction ("quand les entreprises…")
    r"^\W*quand\b|\b(?:depuis|jusqu'à|jusqu'a|d'ici|de|pour|à partir de)\s+quand\b|\bquand\s*\??\s*$"
    r"|\ben quelle ann[ée]e\b|\bquelle (?:date|ann[ée]e|[ée]poque|p[ée]riode)\b|\bà quelle date\b"
)
_ASKS_NAME = re.compile(
    r"\bquel(?:le)?s?\s+(?:est|sont)?\s*(?:la|le|les|l')?\s*(?:nom|entreprise|soci[ée]t[ée]|organisation|"
    r"universit[ée]|[ée]cole|plateforme|marque|ville|pays|institution|organisme|cabinet|magazine|journal)s?\b"
    r"|\bqui\s+(?:est|sont|était|a été)\s+(?:l'|le |la |les )?(?:auteur|pdg|fondateur|directeur|président|"
    r"dirigeant|créateur|inventeur)"
    r"|\bqui\s+(?:a|ont|avait)\s+(?:écrit|rédigé|signé|fondé|créé|inventé|découvert|réalisé|composé|peint)\b"
)
# A number question about money ("combien gagne…", "quel salaire…") wants an amount or a rate,
# not any number: "20 millions de travailleurs" does not say what robotics engineers earn.
_ASKS_MONEY = re.compile(r"\b(?:gagn|salai|r[ée]mun[ée]r|pay[ée]|co[uû]t|prix|budget|montant|tarif|"
                         r"factur|d[ée]pens|investi|rapporte)")

# Words of the question that must be found in the documents for an answer to be about it: a name
# not at the start of the question, a word with a digit, an acronym.
_KEY_TOKEN = re.compile(r"(?<=\S\s)[A-ZÀ-Þ][\w-]+|\b\w*\d\w*\b|\b[A-ZÀ-Þ]{2,}\b")
_CAPITALISED = re.compile(r"[A-ZÀ-ÞŒ][\w'’.-]*")
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")


def answer_type(question: str) -> str | None:
    """What kind of token the question asks for: 'date', 'amount', 'number', 'name' or None."""
    q = normalize(question)
    if _ASKS_DATE.search(q):
        return "date"
    if _ASKS_NUMBER.search(q):
        return "amount" if _ASKS_MONEY.search(q) else "number"
    if _ASKS_NAME.search(q):
        return "name"
    return None


def names_in(text: str, all_words: bool = False) -> set[str]:
    """Proper names in a text: capitalised words, except a sentence's first word when it is
    a French word ("Les", "Selon", "L'intelligence"); "Forbes rapporte…" and "Tesla: …" do count."""
    out = set()
    for m in _CAPITALISED.finditer(text):
        word = m.group().rstrip(".'’")
        first = m.start() == 0 or text[:m.start()].rstrip().endswith((".", "!", "?", "\n", ":"))
        if all_words or not first or not (normalize(word) in stopwords() or is_french_word(word)):
            out.add(normalize(word))
    return out


# --- The Query --------------------------------------------------------------------

@dataclass(frozen=True)
class Constraints:
    """What the question pins down: an answer must be about these."""

    key_tokens: tuple[str, ...] = ()  # names, acronyms, numbers as written in the question
    names: frozenset[str] = frozenset()  # every capitalised word of the question, normalised
    years: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"key_tokens": list(self.key_tokens), "names": sorted(self.names), "years": list(self.years)}


@dataclass(frozen=True)
class Query:
    """A question analysed once: what retrieval and the reader read instead of the raw text."""

    text: str  # the question as asked (cleaned)
    resolved: str  # the question answered: `text`, or a follow-up completed from the conversation
    terms: tuple[str, ...]  # analysed content terms of `resolved`, in order, without repeats
    weights: dict[str, float] = field(default_factory=dict)  # IDF of each term in the index
    answer_type: str | None = None
    constraints: Constraints = Constraints()
    about_document: str | None = None  # 'date', 'author' or 'topic'
    context: dict | None = None  # how a follow-up was resolved, None for a standalone question

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values()) or 1.0

    def to_dict(self) -> dict:
        return {"understood": self.resolved, "answer_type": self.answer_type, "terms": list(self.terms),
                "constraints": self.constraints.to_dict(), "about_document": self.about_document,
                "context": self.context}


def analyse_question(text: str, index: "Index | None" = None, *, resolved: str | None = None,
                     context: dict | None = None) -> Query:
    """Analyse a (cleaned) question once; `index` supplies the terms' IDF."""
    resolved = resolved or text
    terms = tuple(dict.fromkeys(analyze(resolved)))
    weights = {t: index.idf(t) for t in terms} if index is not None else {t: 1.0 for t in terms}
    stripped = resolved.strip()
    constraints = Constraints(key_tokens=tuple(dict.fromkeys(_KEY_TOKEN.findall(stripped))),
                              names=frozenset(names_in(resolved, all_words=True)),
                              years=tuple(dict.fromkeys(_YEAR.findall(resolved))))
    return Query(text=text, resolved=resolved, terms=terms, weights=weights, answer_type=answer_type(resolved),
                 constraints=constraints, about_document=question_about_document(resolved), context=context)
