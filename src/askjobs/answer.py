"""Hits → an extractive Answer: verbatim sentences with exact citations, or a refusal."""

from __future__ import annotations

import bisect
import difflib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .about import DocumentAnswer, answer_about_document
from .index import Index
from .nlp import LABELS, PHRASES, SUBJECT
from .query import EVENTS, NATIONALITY, Query, names_in
from .retrieve import Retrieval
from .schema import Answer, Citation, Hit, Sentence
from .structure import ListBlock, structure_of
from .text import (
    FRENCH_DATE,
    MONTHS,
    acronyms,
    analyze,
    head_date,
    is_french_word,
    is_heading,
    normalize,
    short_text_cache,
    stopwords,
    strip_accents,
)

NOT_FOUND = "Je n'ai pas trouvé la réponse dans les documents."

# Sentence ranking weights. Tuned on PIAF (French questions written by other
# people, see `askjobs bench squad`), not on askjobs' own eval set.
W_COSINE = 5.0  # e5 cosine between question and sentence
W_LEXICAL = 1.0  # IDF-weighted share of question terms in the sentence
W_CONTEXT = 0.75  # ... in the sentence, its neighbours and its document title
W_PASSAGE = 2.0  # how high the sentence's passage was retrieved (fused score / top score)
W_PHRASE = 0.25  # share of the question's adjacent term pairs found adjacent in the sentence
W_TYPE = 0.75  # the sentence holds what the question asks for (number, amount, date, name)
W_HEADING = -1.0  # a title line answers only when it holds the date or number asked for
W_SECTION = 0.5  # ... in the sentence's section heading, or the introduction of the list it is an item of
W_CUE = 0.25
W_FOCUS = 0.5  # list questions: the sentence (or its section, or its list) is about what is listed ("compétences")
W_SLOT = 0.5  # the sentence holds the asked thing where the question points: after its preposition ("Pour qui…" →
# "pour les professionnels…"), the defined word's definition, the focus noun with what the question does not say
W_ENUM = 0.25  # list questions: the sentence enumerates ("comme X, Y et Z", "(Python, TensorFlow, PyTorch)")
_ENUMERATES = re.compile(r"\b(?:comme|tel(?:le)?s? que|notamment|incluent|inclus|comprennent|parmi|figurent|"
                         r"dont)\b|[^,],[^,]+,|\([^)]*,[^)]*\)|^[^:]{2,60}:\s", re.IGNORECASE)  # the sentence has the shape of what an open question asks (defines, explains, says how)

# Answer-side cues: does a sentence hold the kind of token the question asks for.
_NUMBER_WORDS = (r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|"
                 r"quarante|cinquante|soixante|cent|cents|mille|millions?|milliards?|dizaines?|centaines?|"
                 r"milliers?|moitié|tiers|quart|double|triple)")
_HAS_NUMBER = re.compile(r"\d|\b" + _NUMBER_WORDS + r"\b(?!-)", re.IGNORECASE)
# (Older years are dates after a word of time: "en 761", "vers 1026", "à partir de 1014", "l'an 875".)
_OLD_YEAR_WORDS = ("en", "vers", "dès", "depuis", "partir de", "avant", "après", "jusqu'en", "l'an", "an", "année")
_OLD_YEAR = r"(?:" + "|".join(_OLD_YEAR_WORDS) + r")\s+\d{3,4}\b"
_OLD_YEAR_ALONE = "(?:" + "|".join(rf"(?<=\b{w} )" for w in _OLD_YEAR_WORDS) + r")\d{3,4}\b"  # the year alone, marked
_HAS_DATE = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b|\b(?:" + "|".join(MONTHS) + r")\b|\b" + _OLD_YEAR +
                       r"|\b[IVXLC]+e\s+(?:et\s+[IVXLC]+e\s+)?siècles?\b|\bannées\s+\d{2,4}\b"
                       r"|\b(?:\d+|" + _NUMBER_WORDS + r")\s+(?:ans?|années?|mois|semaines?|jours?|siècles?|décennies?)\b",
                       re.IGNORECASE)
_HAS_MONEY = re.compile(r"[$€£¥]|\b(?:euros?|dollars?|francs?|livres?|yens?|k€|M€|Md€)\b", re.IGNORECASE)
_HAS_PERCENT = re.compile(r"%|\bpour ?cents?\b|\bpourcentage\b|\bmoitié\b|\btiers\b|\bquart\b", re.IGNORECASE)
# A rate is an answer to a pay question when it is one of pay ("une prime salariale de 28 %"), not of
# something else ("ce rôle a augmenté de 56 %").
_COMPARED = re.compile(r"\bpar rapport [àa]|\bde plus que\b|\bhomologues?\b|\b[ée]carts?\b|\bdiff[ée]rences?\b|"
                       r"\bprimes?\b|\bsuppl[ée]ment", re.IGNORECASE)
_PAY_CONTEXT = re.compile(r"\b(?:prime|salai|r[ée]mun[ée]r|gagn|pay|revenu)", re.IGNORECASE)
# Units of time a duration is counted in; "un an", "une saison" count too.
_TIME_UNITS = (r"(?:ans?|années?|mois|semaines?|jours?|heures?|siècles?|décennies?|saisons?|minutes?|secondes?|"
               r"millièmes?|centièmes?|dixièmes?|trimestres?|semestres?|générations?|min|j|h)\b")  # "29 j 12 h 44 min"
_HAS_DURATION = re.compile(r"\bdepuis\b|\bpendant\b|\bdurant\b|\b(?:\d+|une?|" + _NUMBER_WORDS +
                           r")\s+(?:(?:prochain|dernier)e?s\s+)?" + _TIME_UNITS, re.IGNORECASE)
_DEFINES = re.compile(r"\b(?:est|sont)\s+(?:un|une|des|le|la|les|l')\b|\bconsist|\bdésign|\bagiss\w*\s+comme|\bcharg[ée]s?\s+d"
                      r"|\bresponsables?\s+d|\bspécialisés?\s+dans|\bexperts?\s+dans|\bse concentrent|\bconçoivent"
                      r"|\bmission|\bpermet|\bsert\s+à|\brôle|\bdéterminent|\bpilot|\bvérifi|\bencadr|:\s", re.IGNORECASE)
# The words that link a cause and its effect (a reason question's quote must hold one, see _form_unmet).
CAUSE_LINKS = (
    r"parce qu|car\b|en raison d|gr[âa]ce [àa]|afin d|pour (?:que|qu['’]|(?:s['’]|se |l['’]|les? |la |leur )?"
    r"\w+(?:er|ir|re)\b)|c['’]est pourquoi|du[es]? [àa]|dûe?s? [àa]|[àa] cause d|puisqu|par cons[ée]quent|"
    r"[ée]tant donn[ée]|vu qu|en effet|donc\b|raison|caus[ée]|(?:à la )?suite (?:[àa]|d)|r[ée]sult|provien|"
    r"faute d|sous l['’]effet|dans le but|en vue d|ainsi(?! qu)|de sorte qu|si bien qu|refl[èé]t|s['’]expliquen?t? par|"
    r"du fait d|compte tenu d|[àa] force d|pour avoir|pour cause|sous pr[ée]texte d|au motif d|sous couvert d")
# A sentence that explains: a cause, or what it makes possible or necessary.
_EXPLAINS = re.compile(rf"\b(?:{CAUSE_LINKS}|alors que|entra[îi]n|n[ée]cessit|permet)", re.IGNORECASE)
# What follows the defined word in a definition: "X (…) :", "X, …", "X est / désigne / consiste à / qui …".
AFTER_DEFINED = (r"\s*(?:\([^)]*\)\s*)?(?::\s*|,\s+|\s+(?:est|sont|était|désigne|signifie|consiste à|consiste en|consiste|"
                 r"correspond à|correspond|permet de|permet|sert à|sert|regroupe|englobe|recouvre|vise|"
                 r"sont chargés d['’]?e?|chargés? d['’]?e?|responsables? d['’]?e?|qui)\b\s*)")
_MANNER = re.compile(r"\ben\s+\w+ant\b|\bgrâce à|\bpar\s+(?:la|le|l'|des|un|une)|\bpassent?\s+d|\ben\s+(?:utilisant|"
                     r"s'appuyant)|\bqui\s+(?:aident|permettent)|\bavec\b", re.IGNORECASE)
# Short answers inside a quote (the highlighted part): amounts, rates, dates, numbers.
_NUM = r"\d[\d\u202f\u00a0 ]*(?:[.,]\d+)?"
_SCALE = r"(?:\s+(?:milliards?|millions?|mille|milliers?|centaines?))"
_CURRENCY = r"(?:\s?[$€£¥]|\s+(?:de\s+)?(?:dollars|euros|francs|livres)\b|\s?(?:k€|M€|Md€))"
_AMOUNT_SPAN = re.compile(rf"(?:entre\s+{_NUM}{_SCALE}?{_CURRENCY}?\s+et\s+)?{_NUM}{_SCALE}?{_CURRENCY}")
_PERCENT_SPAN = re.compile(rf"{_NUM}\s?(?:%|pour ?cent)")
_NUMBER_SPAN = re.compile(rf"(?:des\s+)?(?:{_NUM}|\b{_NUMBER_WORDS}\b){_SCALE}?", re.IGNORECASE)
_YEAR_SPAN = r"(?:1[5-9]\d\d|20\d\d)"
_DATE_SPAN = re.compile(
    rf"{FRENCH_DATE.pattern}|\b(?:entre|de)\s+{_YEAR_SPAN}\s+(?:et|à)\s+{_YEAR_SPAN}\b"
    rf"|\b(?:(?:{'|'.join(MONTHS)})\s+)?{_YEAR_SPAN}\b|{_OLD_YEAR_ALONE}|\b(?:les\s+)?années\s+\d{{2,4}}\b"
    rf"|\b(?:entre\s+le\s+)?[IVXLC]+e\s+(?:et\s+[IVXLC]+e\s+)?siècles?\b", re.IGNORECASE)
_DAY = re.compile(rf"\b(?:1er|[12]\d|3[01]|0?[1-9])\s+(?:{'|'.join(MONTHS)})\b", re.IGNORECASE)  # "le 2 mai"
_DURATION_SPAN = re.compile(rf"\bdepuis\s+(?:{_YEAR_SPAN}|\w+\s+\w+)|\b(?:{_NUM}|une?|{_NUMBER_WORDS})\s+"
                            rf"(?:(?:prochain|dernier)e?s\s+)?{_TIME_UNITS}", re.IGNORECASE)
# Entity labels that answer each type, in order of preference.
# The small model often tags a company as a place or a person ("McKinsey" LOC, "Tesla" PER): any named
# thing answers "quelle entreprise"; a person question wants PER.
_ENTITY_LABELS = {"person": ("PER",), "organisation": ("ORG", "MISC", "PER", "LOC"), "place": ("LOC",),
                  "name": ("PER", "ORG", "LOC", "MISC"), "agent": ("PER", "ORG")}
_MAX_ENTITY_CHARS = 60  # a longer "entity" is a tagging slip ("Meta: Axée sur les ingénieurs …")


# Answer types a heading or a following sentence may hold.
_QUANTITIES = ("number", "amount", "date", "percentage", "duration")


@dataclass(frozen=True)
class ReaderSettings:
    refusal_threshold: float = 0.5
    max_answer_chars: int = 400
    max_list_chars: int = 700  # all the quotes of a list answer together
    max_list_items: int = 5


@dataclass
class _Candidate:
    sid: int
    score: float
    cosine: float
    lexical: float
    context: float
    hit_rank: int
    features: np.ndarray | None = None  # see FEATURES


@dataclass(frozen=True)
class _Verdict:
    """How sure the reader is that a quote answers, and, when a check failed, why (in French)."""

    confidence: float
    reason: str | None = None
    unnamed: str | None = None  # the name the question is about that the quote does not hold (_unnamed_subject)


_NO_PASSAGE = "Aucun passage des documents ne répond à cette question."  # the chat and the CLI then show the nearest


def read(query: Query, retrieval: Retrieval, index: Index, settings: ReaderSettings) -> Answer:
    """Pick the sentence(s) that answer the query from the retrieved passages, or refuse."""
    hits, qvec = list(retrieval.hits), retrieval.qvec
    candidates = _score_sentences(index, hits, query, qvec)
    nearest = tuple(_nearest(index, hits, candidates))

    def refuse(confidence: float, reason: str | None = None) -> Answer:
        return Answer(query.text, NOT_FOUND, False, confidence, nearest=nearest, form="refusal",
                      reason=reason or _NO_PASSAGE, query=query.to_dict())

    if not candidates:
        return refuse(0.0, "Les documents ne contiennent aucun passage sur ce sujet.")
    if query.about_document is not None:
        found = answer_about_document(query.about_document, hits, index)
        # No byline: "l'auteur de l'article" may be an article the text cites ("L'universitaire X
        # indique…"), so the ordinary reader looks, and its name check refuses when none is given;
        # unless the question names the document by its own date ("l'article publié le 2 mars 2025").
        dated = _dated(query, index, hits) if found.start is None and query.about_document == "author" else None
        if dated is not None:
            found = answer_about_document("author", [h for h in hits if h.chunk.source == dated], index)
        if found.start is not None or query.about_document != "author" or dated is not None:
            return _answer_about_document(query, found, hits, index, settings, nearest, refuse)

    def judged(cand: _Candidate) -> tuple[tuple[int, int, str], _Verdict]:
        """A candidate's quote and how far it answers."""
        cand_span = _answer_span(index, cand, candidates, query, settings.max_answer_chars)
        return cand_span, _confidence(query, index, hits, cand, cand_span)

    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.sid))
    best = ranked[0]
    span, verdict = judged(best)
    if verdict.reason is not None and query.asks_cause:
        # "Dans le secteur manufacturier, l'accent est mis sur … la maintenance prédictive." names the
        # subject; the next sentence of its passage often says why ("… pour prédire les défaillances").
        longer = _with_next(index, best, span, settings.max_answer_chars)
        if longer is not None and (v := _confidence(query, index, hits, best, longer)).reason is None:
            span, verdict = longer, v
    if verdict.reason is not None:
        # The best sentence fails a check of the question (no amount for the role asked, not the year
        # asked, no cause for a "pourquoi"…): a sentence scored nearly as well, sharing as many of the
        # question's words, that passes them answers instead.
        margin = REASON_MARGIN if query.asks_cause else TIE_MARGIN
        for other in ranked[1:3]:
            if other.score < best.score - margin:
                break
            if other.lexical < best.lexical - 0.05:
                continue  # it must say as much of what the question asks about (one light word aside)
            other_span, other_verdict = judged(other)
            if other_verdict.reason is None and other_verdict.confidence > verdict.confidence:
                best, span, verdict = other, other_span, other_verdict
                break
    if verdict.reason is not None and (query.constraints.role or verdict.unnamed):
        # A pay question's role is not negotiable: "Combien gagne un architecte IA selon Forbes ?" is answered
        # by the architects' range further down, not refused for the product managers' pay Forbes reports, as
        # long as that quote passes every check by itself.
        for other in ranked[1:8]:
            other_span, other_verdict = judged(other)
            if other_verdict.reason is None and other_verdict.confidence >= settings.refusal_threshold:
                best, span, verdict = other, other_span, other_verdict
                break
    if query.wants_list and verdict.confidence < settings.refusal_threshold \
            and (intro := _introduction(index, candidates, best)) is not None:
        # An item read alone ("NVIDIA: Recherche des experts…") shares few of a list question's words; the
        # sentence that announces its list ("Les entreprises qui embauchent… comprennent:") says what is listed.
        intro_span, intro_verdict = judged(intro)
        if intro_verdict.reason is None and intro_verdict.confidence > verdict.confidence:
            best, span, verdict = intro, intro_span, intro_verdict
    if query.wants_list and (inline := _inline_enumeration(index, query, ranked, best)) is not None:
        # "… travailler avec des LLM comme GPT-4, Claude et Gemini …" names the very things asked
        # ("Avec quels LLM… ?"); a list announced nearby would list something else about them.
        inline_span, inline_verdict = judged(inline)
        if inline_verdict.reason is None and inline_verdict.confidence >= settings.refusal_threshold:
            return _fact(query, index, hits, inline, inline_span, inline_verdict, nearest)
    if verdict.confidence < settings.refusal_threshold:
        return refuse(verdict.confidence, verdict.reason)

    start, end, source = span
    quotes = _list_quotes(query, index, hits, candidates, best, span, settings) \
        if query.wants_list or index.documents[source].text[start:end].rstrip().endswith(":") else []
    if len(quotes) >= 2 and (names := _subject_names(query, index, hits)):
        # "Quels experts Meta recherche-t-elle ?": of the items labelled with a name ("NVIDIA: Recherche…",
        # "Meta: Axée sur…"), the one about Meta.
        labels = [_ITEM_LABEL.match(index.documents[src].text[a:b]) for a, b, src, _, _ in quotes]
        if any(m and m.group(1) in names for m in labels):
            quotes = [q for q, m in zip(quotes, labels) if not m or m.group(1) in names]
            if len(quotes) == 1 and (item := _candidate_at(index, candidates, quotes[0])) is not None:
                item_span = quotes[0][:3]  # the item alone, as the list would have quoted it
                item_verdict = _confidence(query, index, hits, item, item_span)
                if item_verdict.reason is None:
                    return _fact(query, index, hits, item, item_span, item_verdict, nearest)
    if len(quotes) >= 2:
        citations = tuple(_citation(index, n, src, a, b, hits[rank], score, _item_answer(query, index, src, a, b))
                          for n, (a, b, src, rank, score) in enumerate(quotes, start=1))
        return Answer(query.text, "\n".join(c.quote for c in citations), True, verdict.confidence, citations,
                      nearest, form="list", query=query.to_dict())
    return _fact(query, index, hits, best, span, verdict, nearest)


# A labelled item: "Amazon: Recrute…", "Génération augmentée de récupération (RAG): Utilisation…".
_LABEL = re.compile(r"\s*([^:.!?]{2,60}?)\s*:\s")


def _item_answer(query: Query, index: Index, source: str, start: int, end: int) -> tuple[int, int] | None:
    """The short answer of a list item: its label when it has one (what the item names), else as for a fact."""
    m = _LABEL.match(index.documents[source].text, start, end)
    if m:
        return m.start(1), m.end(1)
    return _short_answer(query, index, source, start, end)


def _fact(query: Query, index: Index, hits: list[Hit], best: _Candidate, span: tuple[int, int, str],
          verdict: _Verdict, nearest: tuple[Citation, ...]) -> Answer:
    """A one-quote answer: the span, cited, with its short answer marked."""
    start, end, source = span
    form = "definition" if query.answer_type in ("definition", "reason", "manner") else "fact"
    citation = _citation(index, 1, source, start, end, hits[best.hit_rank], best.score,
                         _short_answer(query, index, source, start, end))
    return Answer(query.text, citation.quote, True, verdict.confidence, (citation,), nearest, form=form,
                  query=query.to_dict())


# "des LLM comme GPT-4, Claude et Gemini", "des langages tels que Python, R ou Julia": the things named.
_NAMES_FOLLOW = re.compile(r"\s*(?:comme|tel(?:le)?s? que|notamment|à savoir|par exemple|en particulier|dont)\s+"
                           r"[^.;:]*?(?:,[^.;:]*?\b(?:et|ou)\b|\b(?:et|ou)\b)", re.IGNORECASE)


def _inline_enumeration(index: Index, query: Query, ranked: list[_Candidate], best: _Candidate) -> _Candidate | None:
    """The best-ranked sentence, nearly as good as the best, that enumerates examples right after the
    noun a list question asks about, or None."""
    if not query.focus:
        return None
    for cand in ranked[:12]:
        if cand.score < best.score - LIST_MARGIN:
            break
        text = index.sentences[cand.sid].text
        for m in _WORD.finditer(text):
            if set(analyze(m.group())) & set(query.focus) and _NAMES_FOLLOW.match(text, m.end()):
                return cand
    return None


def _dated(query: Query, index: Index, hits: list[Hit]) -> str | None:
    """The retrieved document whose publication date the question states ("… publié le 2 mars 2025"), or None."""
    asked = normalize(query.resolved)
    for source in dict.fromkeys(h.chunk.source for h in hits):
        m = head_date(index.documents[source].text)
        if m and re.search(rf"\b{re.escape(normalize(m.group()))}\b", asked):
            return source
    return None


def _answer_about_document(query: Query, found: DocumentAnswer, hits: list[Hit], index: Index,
                           settings: ReaderSettings, nearest: tuple[Citation, ...], refuse) -> Answer:
    """The date line, byline or opening sentence of the document meant, or a refusal when it states none."""
    if found.start is None:
        what = {"date": "de date de publication", "author": "d'auteur"}.get(query.about_document, "de réponse")
        return refuse(0.0, f"Le document « {index.documents[found.source].title} » n'indique pas {what}.")
    if found.confidence < settings.refusal_threshold:
        return refuse(found.confidence, "Plusieurs documents pourraient être celui dont parle la question ; "
                                        "précisez lequel.")
    start, end = found.start, found.end
    if end - start > settings.max_answer_chars:  # a long opening sentence: its first clauses
        start, end = _trim_long(index, Sentence(found.source, start, end, index.documents[found.source].text[start:end]),
                                [], settings.max_answer_chars)
    hit = next(h for h in hits if h.chunk.source == found.source)
    citation = _citation(index, 1, found.source, start, end, hit, found.confidence,
                         _short_answer(query, index, found.source, start, end))
    return Answer(query.text, citation.quote, True, found.confidence, (citation,), nearest, form="document",
                  query=query.to_dict())


def _entities(index: Index) -> list:
    """Each sentence's named entities, as the build stored them (an index without them is refused at load
    and completed by `askjobs index`; only an index without sentences has none)."""
    return index.entities if index.entities is not None else []


def _entities_in(index: Index, source: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Named entities inside document offsets [start, end)."""
    starts, ents = index.cached(("entities_by_source", source), lambda: _source_entities(index, source))
    i = bisect.bisect_left(starts, start)
    out = []
    while i < len(ents) and ents[i][0] < end:
        if ents[i][1] <= end:
            out.append(ents[i])
        i += 1
    return out


def _source_entities(index: Index, source: str) -> tuple[list[int], list]:
    ents = sorted(e for s, es in zip(index.sentences, _entities(index)) if s.source == source for e in es)
    return [e[0] for e in ents], ents


def _matches_type(text: str, qtype: str | None, asked_names: frozenset = frozenset(),
                  common: frozenset = frozenset(), entities: list | None = None) -> float:
    """1.0 when the text holds the kind of thing the question asks for (a number, a date, a person…)."""
    if qtype is None or qtype in ("list",):
        return 0.0
    if qtype in _ENTITY_LABELS:
        labels = _ENTITY_LABELS[qtype]
        if entities is not None:
            found = {normalize(e[3]) for e in entities if e[2] in labels and e[1] - e[0] <= _MAX_ENTITY_CHARS}
            # The name asked about, written with other spaces ("Marlyse de LaGrange" for "… de La Grange"), is not new.
            parts = frozenset(_squashed(n) for n in asked_names)
            found = {n for n in found if not _composed(_squashed(n), parts)}
            asked = common | set(analyze(" ".join(asked_names)))
            return 1.0 if any(_new_words(set(analyze(n)), asked) for n in found) else 0.0
        # A name the question does not already contain, and not the corpus' own topic ("IA").
        new = {n for n in names_in(text) - asked_names if not set(analyze(n)) <= common}
        return 1.0 if new else 0.0
    if qtype == "amount":
        return 1.0 if _HAS_MONEY.search(text) or (_HAS_PERCENT.search(text) and _PAY_CONTEXT.search(text)) else 0.0
    return _holds_pattern(text, qtype)


@short_text_cache(limit=2000)
def _holds_pattern(text: str, qtype: str) -> float:
    """_matches_type for the kinds a pattern finds; the reader asks it of the same sentences again and again."""
    if qtype == "number":
        # A year is no count: "jusqu'en 2030" does not say how many jobs were cut.
        text = re.sub(r"\b(?:1[5-9]\d\d|20\d\d)\b", " ", text)
    pattern = {"number": _HAS_NUMBER, "date": _HAS_DATE, "duration": _HAS_DURATION, "percentage": _HAS_PERCENT,
               "definition": _DEFINES, "reason": _EXPLAINS, "manner": _MANNER}[qtype]
    return 1.0 if pattern.search(text) else 0.0


# Kinds of organisations, which answer "Qui embauche… ?" as a named one does.
_ORGANISATIONS = re.compile(r"\b(?:entreprises?|soci[ée]t[ée]s|universit[ée]s|[ée]coles|h[ôo]pitaux|banques|institutions|"
                            r"start-?ups?|gouvernements?|administrations?|employeurs|firmes|groupes|laboratoires|agences|"
                            r"organisations|associations|cabinets|collectivit[ée]s|minist[èe]res|[ée]tablissements|"
                            r"industriels|constructeurs|fabricants|assureurs|op[ée]rateurs|plateformes|[ée]tats?)\b",
                            re.IGNORECASE)
_NAMING = re.compile(r"\b(?:sur)?nomm[ée]e?s?\b|\bappel[ée]e?s?\b|\bintitul[ée]e?s?\b|\bbaptis[ée]e?s?\b|\bsurnom\b|"
                     r"\bpseudonyme\b|\bdit(?:e|es|s)?\s+(?:«|\"|(?-i:[A-ZÀ-Þ]))|\bs['’]appel", re.IGNORECASE)


def _squashed(text: str) -> str:
    """Letters and digits only, accents folded: "LaGrange", "La Grange" and "la-grange" alike."""
    return re.sub(r"[\W_]+", "", strip_accents(text.lower()))


def _composed(word: str, parts: frozenset[str]) -> bool:
    """`word` is some of `parts` run together ("lagrange" from "la" and "grange")."""
    return bool(word) and any(word == p or (word.startswith(p) and _composed(word[len(p):], parts))
                              for p in parts if p)


def _share_of(text: str, at: int, counted: frozenset[str]) -> bool:
    """The rate ending at `at` is a share of what is counted: "45 % des Français"."""
    m = re.match(r"\s+(?:des|de la|de l['’]|de|du|d['’])\s*(\w+)", text[at:at + 60], re.IGNORECASE)
    return bool(m and counted & set(analyze(m.group(1))))


def _alike(a: str, b: str) -> bool:
    """One word spelt two ways ("Mesier" / "Messier", "Siri-Ferruch" / "Sidi-Ferruch"): difflib's ratio
    ≥ 0.85, which two words whose lengths differ by more than a third never reach (checked first, cheaply)."""
    return max(len(a), len(b)) <= 1.36 * min(len(a), len(b)) and difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def _spelt_otherwise(word: str, terms: set[str]) -> bool:
    """A name the question misspells: "Mesier" for "Messier", "Mitterand" for "Mitterrand"."""
    return len(word) >= 5 and not word.isdigit() and any(abs(len(t) - len(word)) <= 2 and _alike(word, t) for t in terms)


def _new_words(words: set[str], asked: set[str]) -> set[str]:
    """The words of a name the question does not say, even spelt otherwise ("Hermann" for "Herrmann")."""
    return {w for w in words - asked
            if not any(len(w) >= 5 and w[0] == a[0] and abs(len(w) - len(a)) <= 2 and _alike(w, a) for a in asked)}


def _typed(index: Index, query: Query, source: str, start: int, end: int) -> float:
    """Does document text [start, end) hold what the query asks for?"""
    text = index.documents[source].text
    if query.asks_count:
        # "Combien d'offres… ?" asks how many: "ont augmenté de 38 %" says by how much, not how many,
        # "157 000 $" how much money, "le 2 mai 1808" when. (Nor does a number in a name: "Selon 365 Data Science".)
        # A share of those counted does answer: "45 % des Français" for "Combien de Français… ?".
        quote = _PERCENT_SPAN.sub(lambda p: p.group() if _share_of(text, start + p.end(), query.counted) else " ",
                                  text[start:end])
        quote = _DATE_SPAN.sub(" ", _DAY.sub(" ", _AMOUNT_SPAN.sub(" ", quote)))
        # Nor a measure ("188 mètres de long" does not say how many sailors), unless the question asks one
        # ("Combien de km² … ?", "… combien de long ?").
        if not query.measure:
            quote = _MEASURE_SPAN.sub(" ", quote)
        # (nor a number in a name: "Trident Juncture 18", "la Porsche 906")
        quote = re.sub(r"\b((?-i:[A-ZÀ-Þ])[\w-]+)\s+\d+\b",
                       lambda m: m.group() if m.group(1).lower() in stopwords() else m.group(1), quote)
        return _matches_type(re.sub(r"\b\d+(?=\s+(?-i:[A-ZÀ-Þ]))", " ", quote), "number")
    if query.measure:
        # "Quelle est la superficie… ?": a number with an area unit, not "la route départementale 47".
        return 1.0 if re.search(rf"(?:\d|\b(?:{_NUMBER_WORDS}|plusieurs|quelques|dizaines|centaines|milliers)\b){_SCALE}?"
                                rf"\s*(?:de\s+|d['’])?{_UNITS[query.measure]}",
                                text[start:end], re.IGNORECASE) else 0.0
    if query.asks_difference:
        # "Combien de plus… ?": a rate, or a sum set against another ("… de plus que", "par rapport à").
        quote = text[start:end]
        return 1.0 if _PERCENT_SPAN.search(quote) or (_HAS_MONEY.search(quote) and _COMPARED.search(quote)) else 0.0
    ents = None
    if query.answer_type in _ENTITY_LABELS:
        ents = [(a, b, label, text[a:b]) for a, b, label in _entities_in(index, source, start, end)]
    if query.answer_type == "place" and "pay" in query.focus and NATIONALITY.search(text[start:end]):
        return 1.0  # "des travailleurs américains" answers "Dans quel pays… ?" (not "Dans quelle ville… ?")
    if query.collective and _ORGANISATIONS.search(text[start:end]):
        return 1.0  # "Qui embauche… ?" → "… dans les universités", "les banques recrutent…"
    if query.asks_naming:
        # "Quel est le surnom de… ?": a sentence that gives a name ("Surnommé Hans le Chanceux") answers best; a
        # sentence that only holds some name ("… derrière Joseph Siffert") less well.
        if _NAMING.search(text[start:end]):
            return 1.0
        return 0.5 * _matches_type(text[start:end], "name", query.constraints.names, _common_terms(index), ents)
    return _matches_type(text[start:end], "agent" if query.agent else query.answer_type, query.constraints.names,
                         _common_terms(index), ents)


def _common_terms(index: Index) -> frozenset:
    """Terms found in over a third of the passages: the corpus' topic, not an answer."""
    n = max(len(index.chunks), 1)
    return index.cached(("common",), lambda: frozenset(t for t, df in index.term_df.items() if df > n / 3))


def _coverage(found: set[str], terms: list[str], weights: dict[str, float], total: float,
              related: dict[str, dict[str, float]] | None = None) -> float:
    """The weighted share of `terms` found; a term the documents never use counts, in part, through the
    words closest to it in meaning (Query.related: "panne" found as "défaillance" counts 0.52)."""
    if not related:
        return sum(weights[t] for t in terms if t in found) / total
    return sum(weights[t] * (1.0 if t in found else max((c for w, c in related.get(t, {}).items() if w in found),
                                                         default=0.0))
               for t in terms) / total


def _sentence_terms(index: Index, sid: int) -> set[str]:
    return index.cached(("sentence", sid), lambda: set(analyze(index.sentences[sid].text)))


def _title_terms(index: Index, source: str) -> set[str]:
    return index.cached(("title", source), lambda: set(analyze(index.documents[source].title)))


def _passage_names(index: Index, hit: Hit) -> set[str]:
    """The analysed terms of a retrieved passage's proper names (capitalised words)."""
    # (analysed as written: lower-cased, "Cyberport" would be split as a glued word)
    return index.cached(("names", hit.row), lambda: set(analyze(" ".join(
        w for w in re.findall(r"\b[A-ZÀ-Þ][\w-]+", hit.chunk.text) if not is_french_word(w)))))


def _passage_terms(index: Index, hit: Hit) -> set[str]:
    """A retrieved passage's terms, with its document title's."""
    return index.cached(("chunk", hit.row),
                 lambda: set(analyze(hit.chunk.text)) | _title_terms(index, hit.chunk.source))


# The features each candidate sentence is scored on, in the order of the weight vector.
FEATURES = ("cosine", "lexical", "context", "phrase", "passage", "typed", "cue", "heading", "section", "focus",
            "enum", "first", "slot")
_HAND_WEIGHTS = {"cosine": W_COSINE, "lexical": W_LEXICAL, "context": W_CONTEXT, "phrase": W_PHRASE,
                 "passage": W_PASSAGE, "typed": W_TYPE, "cue": W_CUE, "heading": W_HEADING, "section": W_SECTION,
                 "focus": W_FOCUS, "enum": W_ENUM, "first": 0.0, "slot": W_SLOT}
WEIGHTS_FILE = Path(__file__).with_name("reader_weights.json")


@lru_cache(maxsize=1)
def sentence_weights() -> np.ndarray:
    """The feature weights: fitted by eval/fit_reader.py when its file is there, else the hand-set ones."""
    weights = dict(_HAND_WEIGHTS)
    if WEIGHTS_FILE.is_file():
        weights.update(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))["weights"])
    return np.array([weights[f] for f in FEATURES], dtype=np.float64)


def _score_sentences(index: Index, hits: list[Hit], query: Query, qvec: np.ndarray,
                     weights: np.ndarray | None = None) -> dict[int, _Candidate]:
    """Every sentence of the retrieved passages, with its features and their weighted sum."""
    terms, wterms, total, qtype = query.terms, query.weights, query.total_weight, query.answer_type
    weights = sentence_weights() if weights is None else weights
    out: dict[int, _Candidate] = {}
    top = hits[0].score if hits else 1.0
    for rank, hit in enumerate(hits):
        sids = index.chunk_sentences[hit.row]
        if not sids:
            continue
        cosines = index.sentence_vectors[sids] @ qvec
        first = next((sid for sid in sids if not is_heading(index.sentences[sid].text)), None)
        for sid, cos in zip(sids, cosines):
            if sid in out:
                continue
            sentence = index.sentences[sid]
            typed = _typed(index, query, sentence.source, sentence.start, sentence.end)
            heading = is_heading(sentence.text) and not (typed and qtype in _QUANTITIES)
            own = _sentence_terms(index, sid)
            if _continues_previous(index, sid):
                # "Leur fourchette de salaire…" speaks of the previous sentence's subject: the two
                # are read as one unit, for words and for meaning.
                own = own | _sentence_terms(index, sid - 1)
                cos = max(float(cos), float(index.sentence_vectors[sid - 1] @ qvec))
            section_terms = _section_terms(index, sid)
            listing = query.wants_list and bool(query.focus)
            x = np.array([
                float(cos),
                _coverage(own, terms, wterms, total, query.related),
                _coverage(_window_terms(index, sid), terms, wterms, total, query.related),
                _phrase_overlap(index, sid, terms),
                hit.score / top,
                typed if query.type_required else 0.0,
                typed if not query.type_required else 0.0,
                float(heading),
                _coverage(section_terms, terms, wterms, total, query.related),
                float(listing and bool(set(query.focus) & (own | section_terms))),
                float(listing and bool(_ENUMERATES.search(sentence.text))),
                float(sid == first),
                _slot_filled(index, query, sid),
            ])
            out[sid] = _Candidate(sid, float(x @ weights), float(cos), float(x[1]), float(x[2]), rank, x)
    return out


_DETERMINER = r"(?:(?:les|le|la|l'|des|du|un|une|ses|son|sa|leurs?|ces|cette|cet|ce|nos|notre|vos|votre)\s+|l')?"
_PREPOSITION_FORMS = {"à": r"(?:à|au|aux)", "a": r"(?:à|au|aux)", "de": r"(?:de|du|des|d')", "en": r"en"}


def _slot_filled(index: Index, query: Query, sid: int) -> float:
    """1.0 when the sentence holds something in the place the question asks about: after the question's
    preposition a word the question does not say ("pour les professionnels" for "Pour qui… ?"), or a
    definition of the defined word ("RAG): Utilisation…", "grands modèles linguistiques (LLM)")."""
    asked = set(query.terms)
    if not (_sentence_terms(index, sid) & asked) - set(query.focus):
        return 0.0  # the place asked about must be in a sentence about the question's other words
    text = normalize(index.sentences[sid].text)
    if query.defined:
        d = re.escape(normalize(query.defined))
        return float(bool(re.search(rf"\(\s*{d}\s*\)|\b{d}\b{AFTER_DEFINED}", text)))
    if query.slot:
        prep = _PREPOSITION_FORMS.get(query.slot, re.escape(query.slot))
        for m in re.finditer(rf"(?<!\w){prep}\s*{_DETERMINER}([\w’'-]+)", text):
            found = set(analyze(m.group(1)))
            if found and not found & asked:
                return 1.0
        return 0.0
    # (The focus noun of "Quel territoire occupe le Canada ?" names the kind of answer; the sentence that
    # answers seldom repeats it: rewarding it cost 9 of 400 PIAF questions, so it is not a slot.)
    return 0.0


def _phrase_overlap(index: Index, sid: int, terms: list[str]) -> float:
    """Share of the question's consecutive term pairs that the sentence also has side by side."""
    pairs = set(zip(terms, terms[1:]))
    if not pairs:
        return 0.0

    def sentence_pairs() -> set:
        seq = analyze(index.sentences[sid].text)
        return set(zip(seq, seq[1:]))

    return len(pairs & index.cached(("pairs", sid), sentence_pairs)) / len(pairs)


# A sentence opening on one of these continues the previous one's subject.
_ANAPHORA = re.compile(r"^(?:il|elle|ils|elles|leur|leurs|ce|cet|cette|ces|ceux|celui|celle|celles|cela|ceci|"
                       r"son|sa|ses|lui|eux)\b", re.IGNORECASE)


def _continues_previous(index: Index, sid: int) -> bool:
    """The sentence opens on an anaphor and follows a sentence of the same document."""
    if sid == 0 or not _ANAPHORA.match(index.sentences[sid].text):
        return False
    prev = index.sentences[sid - 1]
    return prev.source == index.sentences[sid].source and not is_heading(prev.text)


def _answer_span(index: Index, best: _Candidate, candidates: dict[int, _Candidate], query: Query,
                 max_chars: int) -> tuple[int, int, str]:
    """The best sentence, joined with a neighbour when it completes the answer (≤ 2 sentences)."""
    terms, qtype = query.terms, query.answer_type
    s = index.sentences[best.sid]
    start, end = s.start, s.end
    own = _sentence_terms(index, best.sid)
    missing = {t for t in terms if t not in own}
    options = []
    for nb in (best.sid - 1, best.sid + 1):
        if not (0 <= nb < len(index.sentences)):
            continue
        n = index.sentences[nb]
        if n.source != s.source or is_heading(n.text) or (nb > best.sid and (
                _other_item(index, s.source, s.start, s.end, n.start) or n.text.rstrip().endswith(":"))):
            continue  # (a quote never ends on the introduction of a list it does not quote)
        if max(n.end, end) - min(n.start, start) > max_chars:
            continue
        adds_terms = bool(missing & _sentence_terms(index, nb))
        close = nb in candidates and candidates[nb].score >= best.score - 0.5
        # A sentence announcing a list ("… incluent:"), a very short one, or one whose
        # follower goes on about the same subject ("Leur travail consiste…") needs its follower.
        needs_next = nb == best.sid + 1 and (s.text.rstrip().endswith(":") or len(s.text) < 60
                                             or bool(_ANAPHORA.match(n.text)))
        # The question asks for a number or a date the best sentence lacks and its neighbour gives.
        # (Only the next one: an earlier sentence usually speaks of something else.)
        completes = nb == best.sid + 1 and qtype in _QUANTITIES and not _typed(index, query, s.source, s.start, s.end) \
            and bool(_typed(index, query, n.source, n.start, n.end)) and nb in candidates
        if needs_next or completes or (adds_terms and close):
            options.append((needs_next, candidates.get(nb, best).score if nb in candidates else -1e9, n))
    if _continues_previous(index, best.sid) and s.end - index.sentences[best.sid - 1].start <= max_chars:
        # The answer opens on a pronoun: quote the sentence that says what it refers to.
        start = index.sentences[best.sid - 1].start
    elif options:
        _, _, n = max(options, key=lambda o: (o[0], o[1]))
        start, end = min(start, n.start), max(end, n.end)
    if end - start > max_chars:
        start, end = _trim_long(index, s, terms, max_chars)
    return start, end, s.source


_CLAUSE = re.compile(r"(?<=[,;:])\s+")


def _trim_long(index: Index, s: Sentence, terms: list[str], max_chars: int) -> tuple[int, int]:
    """For a run-on sentence over the limit, the window of clauses that covers most question terms."""
    text = s.text
    cuts = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    best = (-1.0, 0, min(len(text), max_chars))
    wanted = set(terms)
    for i in range(len(cuts) - 1):
        for j in range(i + 1, len(cuts)):
            a, b = cuts[i], cuts[j]
            piece = text[a:b].rstrip()
            if len(piece) > max_chars:
                break
            found = len(wanted & set(analyze(piece)))
            score = found + len(piece) / (10 * max_chars)
            if score > best[0]:
                best = (score, a, a + len(piece))
    _, a, b = best
    return s.start + a, s.start + b


def _confidence(query: Query, index: Index, hits: list[Hit], best: _Candidate,
                span: tuple[int, int, str]) -> _Verdict:
    """How sure askjobs is that the quoted span answers the question, in [0, 1], and why not when a check fails.

    Half semantic (e5 cosine of the best sentence, mapped from [0.80, 0.92]), half lexical
    (IDF-weighted share of the question's terms found in the quote, its neighbours, its section
    heading or its document title), then cut for each sign of a near miss: a name or number of the
    question absent from every retrieved passage ("… en France ?" over documents about the United
    States), a year asked that the quote does not state, a quote without the kind of answer asked
    (a number, a date, a named person…), or a pay question whose amount is not the role's.
    """
    terms, qtype, c = query.terms, query.answer_type, query.constraints
    start, end, source = span
    doc = index.documents[source]
    quote = doc.text[start:end]
    # Words the corpus never uses weigh like the rarest known word: a paraphrase
    # ("gagne" for "salaire") should cost coverage, not sink it.
    capped = {t: min(w, index.idf_df(1)) for t, w in query.weights.items()}
    if query.defined and _slot_filled(index, query, best.sid):
        # "Que signifie le sigle LLM ?" is answered by a definition of "LLM": the other words only frame it.
        terms = [t for t in analyze(query.defined) if t in capped] or terms
        capped = {t: capped[t] for t in terms}
    total = sum(capped.values()) or 1.0
    sources = {h.chunk.source for h in hits} | {source}
    quote_terms = _with_acronyms(index, sources, set(analyze(quote)))
    near = _coverage(quote_terms | _title_terms(index, source), terms, capped, total, query.related)
    window = _coverage(_window_terms(index, best.sid), terms, capped, total, query.related)
    lexical = max(near, window)
    semantic = min(max((best.cosine - 0.80) / 0.12, 0.0), 1.0)
    conf = 0.5 * semantic + 0.5 * lexical
    reasons: list[str] = []
    passages = set().union(*(_passage_terms(index, h) for h in hits))
    missing = []
    for token in c.key_tokens:
        if token in c.years and qtype in _QUANTITIES:
            continue  # a year asked for a figure is checked against the quote's years below
        # A name is misspelt as another name, not as a common word ("Accenture" is not "accentuant"); the
        # passages' names are gathered only for a word they do not hold.
        if any(k not in passages and not _spelt_otherwise(k, set().union(*(_passage_names(index, h) for h in hits)))
               for k in analyze(token)):
            # A proper noun ("France") seldom has another spelling in the text; an acronym
            # ("USA" for "États-Unis") or a number may well have one, so it costs less.
            conf *= 0.35 if token[1:].islower() else 0.5
            missing.append(token)
    if missing:
        reasons.append(f"Les documents ne parlent pas de {_quoted(missing)}.")
    subject_unnamed = _unnamed_subject(query, index, hits, best.sid, missing)
    if subject_unnamed:
        # "Meta cherche quoi comme profils ?" is not answered by « … de nouveaux profils émergent »: the passages
        # speak of Meta, the quote (with its neighbours and heading) does not.
        conf *= 0.5
        reasons.append(f"Aucun passage trouvé ne dit cela de « {subject_unnamed} ».")
    passage_texts = [index.documents[h.chunk.source].text[h.chunk.start:h.chunk.end] for h in hits] \
        if any(p[:1].islower() for p in c.places) else []
    unknown = [p for p in c.places if p[:1].islower() and not _place_in(p, passage_texts)]
    if unknown:
        conf *= 0.35  # "les entreprises canadiennes" over documents that never mention Canada
        reasons.append(f"Les documents ne parlent pas de {_quoted(unknown)}.")
    elif (elsewhere := _elsewhere(query, index, hits, source, start, end)) is not None:
        conf *= 0.25  # a figure for the United States does not answer for France
        reasons.append(elsewhere)
    if query.event and not _event_said(query, quote):
        conf *= 0.35  # "Quelle est la date de naissance de… ?" is not answered by the year an artist started
        reasons.append(f"Les passages trouvés ne parlent pas de {_EVENT_NOUNS[query.event]}.")
    quote_years = set(re.findall(r"\b(?:1[5-9]\d\d|20\d\d)\b", quote))
    absent_years = [y for y in c.years if y not in quote_years and y not in missing]
    if absent_years and qtype in _QUANTITIES:
        # A quote giving the figure for other years answers another question; one stating no year may
        # still be about the one asked.
        conf *= 0.25 if quote_years else 0.7
        reasons.append(f"Les documents ne donnent pas ce chiffre pour {_quoted(absent_years)}"
                       + (f" (seulement pour {_quoted(sorted(quote_years))})." if quote_years else "."))
    if c.decrease and not _decrease_said(query, index, source, start, end):
        conf *= 0.35
        reasons.append("Les documents parlent de hausse ou de création, pas de baisse ni de perte.")
    if qtype is not None and query.type_required and not _typed(index, query, source, start, end):
        conf *= 0.2 if qtype == "person" else 0.35
        reasons.append(_missing_type_reason(query, index, hits))
    elif (unmet := _form_unmet(query, index, source, start, end, best.sid)) is not None:
        conf *= FORM_CUT
        reasons.append(unmet)
    elif query.role_held and (unnamed := _role_unnamed(query, index, source, start, end)):
        conf *= 0.35  # "Le bourgmestre-gouverneur et le Sénat sont responsables devant…" names no bourgmestre
        reasons.append(f"Les documents parlent de « {unnamed} » sans nommer la personne.")
    elif qtype == "amount" and c.priced_head and c.priced_head not in set(analyze(quote)):
        conf *= 0.35  # a salary does not say what a master's degree costs
        reasons.append(f"Les documents ne donnent aucun prix pour « {c.priced} ».")
    elif qtype == "amount" and any(t in index.term_df for t in c.role):
        # The role's words the documents use ("ingénieur", "invite") must be in the quote; a word they
        # never use ("outre-Atlantique") cannot be, and is left to the checks above.
        role = [t for t in c.role if t in index.term_df]
        # … before the amount's sentence ends: "Le salaire médian est de 157 000 $. Les ingénieurs d'invite
        # sont apparus récemment." gives no pay for them ("Architectes IA: … Leur fourchette… 196 000 $" does).
        money = _HAS_MONEY.search(quote)
        upto = quote if money is None else quote[:next((m.end() for m in re.finditer(r"[.!?](?:\s|$)", quote)
                                                         if m.start() >= money.end()), len(quote))]
        found = _with_acronyms(index, sources, set(analyze(upto)))
        if sum(capped[t] for t in role if t in found) / (sum(capped[t] for t in role) or 1.0) < 0.5:
            conf *= 0.35
            reasons.append(_missing_type_reason(query, index, hits))
    conf = float(min(max(conf, 0.0), 1.0))
    return _Verdict(conf, reasons[0] if reasons else None, subject_unnamed)


# "la mort de son père", "le mariage de sa fille": the event of someone else than the question's subject.
_RELATIVE_AFTER = re.compile(r"\s+(?:de|d['’])\s*(?:son|sa|ses|leurs?)\s+(\w+)", re.IGNORECASE)


def _event_said(query: Query, quote: str) -> bool:
    """The quote speaks of the event the question asks about ("mort", "naissance"…), and not only of a relative's
    ("Quand Madame de Maintenon est-elle morte ?" is not answered by « … apprend la mort de son père en 1645 »)."""
    low = strip_accents(quote.lower())
    for m in EVENTS[query.event].finditer(low):
        rel = _RELATIVE_AFTER.match(low, m.end())
        if rel is None or set(analyze(rel.group(1))) & set(query.terms):
            return True
    return False


# A reason question is answered by a quote that gives a cause, or by one the next sentence draws a
# consequence from ("… discriminatoires. Par conséquent, …"); "ainsi que" is a list, not a cause.
_CAUSE = re.compile(rf"\b(?:{CAUSE_LINKS})", re.IGNORECASE)
# A verb whose subject is the cause and whose object the effect: "Cet investissement garantit que les rôles…
# resteront demandés" says why the roles stay in demand, not why firms invest.
# ("X reflète Y", "X s'explique par Y" put the cause after: they are with the links above.)
_CAUSE_VERB = re.compile(r"\b(?:garanti|conduit [àa]|m[èe]ne(?:nt)? [àa]|provoqu|favoris|stimul|"
                         r"entra[îi]ne(?:nt)?\b|entra[îi]nant|(?<!s['’])expliqu|aboutiss|motiv|oblig|contrain|"
                         # a participle of effect: "… s'est oxydé, lui donnant une couleur verte"
                         r"(?:lui|leur|en|le|la|les)\s+(?:donnant|rendant|conf[ée]rant|valant)|causant|provoquant)",
                         re.IGNORECASE)
# A reason given as a grievance, a judgement or a sign rather than with a link word: "Il reproche l'absence
# d'engagement financier…" says why he opposed; "Des fumerolles indiquent la présence d'un corps chaud" why one thinks.
_JUSTIFIES = re.compile(r"\b(?:reproch|critiqu|d[ée]non[cç]|invoqu|argu[ée]|justifi|jug(?:e|ent|eant|é|ée)\s+(?:que|qu['’]|l|le|la|les|trop|in)|"
                        r"estim(?:e|ent|ant|é)\s+qu|indiqu|t[ée]moign|attest|prouv|r[ée]v[èé]l|sugg[èé]r|signe\s+d|preuves?\b)", re.IGNORECASE)
_CONSEQUENCE = re.compile(r"^\W*(?:par cons[ée]quent|c['’]est pourquoi|donc|ainsi|de ce fait|d[èe]s lors|en cons[ée]quence)\b",
                          re.IGNORECASE)
# A definition phrased otherwise than "X est / X : / X (…)": "Il s'agit d'un numéro de série désignant…".
_DEFINING_WORDS = re.compile(r"\bil s['’]agit d|c['’]est-à-dire|\bd[ée]sign|\bsignifi|\bconsist|\bappel[ée]e?s?\b|"
                             r"\bnomm[ée]e?s?\b|\bd[ée]fini", re.IGNORECASE)
# The unit a measure question wants (Query.measure), after its number.
_UNITS = {"area": r"(?:km2|km²|m2|m²|kilomètres? carrés?|mètres? carrés?|hectares?|ha\b|ares?\b|acres?)",
          "length": r"(?:mètres?|m\b|km\b|kilomètres?|cm\b|centimètres?|mm\b|millimètres?|pieds?|miles?|"
                    r"années?-lumière|unités? astronomiques?|ua\b|parsecs?)",
          "mass": r"(?:kg\b|kilos?|kilogrammes?|tonnes?|t\b|g\b|grammes?|livres?)",
          "temperature": r"(?:°|degrés?)",
          "speed": r"(?:km/h|kilomètres? par heure|kilomètres?-heure|nœuds?|m/s|mph)",
          "age": r"(?:ans?\b|années?)"}
# A number with a unit of measure: "188 mètres", "6,21 m", "30 114 UMS" is no count.
_MEASURE_SPAN = re.compile(r"\d[\d\u202f\u00a0 ]*(?:[.,]\d+)?\s*(" + "|".join(
    u for k, u in _UNITS.items() if k != "age") + r"|UMS\b|tjb\b|tonneaux\b|nœuds?\b)", re.IGNORECASE)
# (not a relative pronoun: "la vidéo dans laquelle il déambule" says nothing of where; nor a gerund: "en accentuant")
_LOCATIVE = re.compile(r"\b(?:dans|en(?!\s+\w+ant\b)|chez|sur|vers|hors de|près de|auprès de|à travers)\s+(?!(?:la)?quel(?:le)?s?\b|quoi\b)"
                       r"(?:l['’]|les?\s|la\s|des\s|du\s|d['’]|une?\s|ses\s|leurs?\s)?\s*([^\W\d][\w-]{2,}(?:\s+[^\W\d][\w-]{2,})?)"
                       r"|\b(?:à|au|aux)\s+((?-i:[A-ZÀ-Þ])[\w-]+)", re.IGNORECASE)
# An action noun with its object is no place: "dans l'exploitation des données", "dans la conception d'algorithmes"
# (checked on the locative's first word: "dans l'administration publique" stays a place).
_ACTION_OF = re.compile(r"(?<=tion|sion|ment)(?:\s+\w+)?\s+(?:des|du|de|d['’])\s", re.IGNORECASE)
FORM_CUT = 0.25  # a quote that names the subject but neither defines nor explains it, for a question that asks it to


def _form_unmet(query: Query, index: Index, source: str, start: int, end: int, sid: int) -> str | None:
    """Why the quote does not have the form the question asks for, or None: a "pourquoi" question needs a
    cause, an open "où" a place or a locative phrase, a "qu'est-ce que X" question a definition of X (not
    a sentence that only mentions X)."""
    text = index.documents[source].text
    if query.asks_cause:
        # The cause must be in the best sentence or after it, not in a sentence quoted before it for its
        # subject ("Architectes IA: … pour exécuter l'IA … Leur fourchette de salaire…").
        quote = text[max(start, index.sentences[sid].start):end]
        if _CAUSE.search(quote) or _JUSTIFIES.search(quote) or any(_says_after(query, quote, m.end()) for m in _CAUSE_VERB.finditer(quote)):
            return None
        nxt = sid + 1
        if nxt < len(index.sentences) and index.sentences[nxt].source == source \
                and _CONSEQUENCE.match(index.sentences[nxt].text):
            return None
        return "Les passages trouvés parlent du sujet, mais ne disent pas pourquoi."
    if query.asks_where:
        # An open "où" may be answered by a place or by where in an institution ("dans les universités",
        # "en ligne", "chez Amazon"); a sentence with neither says nothing of where.
        quote = text[start:end]
        if _typed(index, query, source, start, end) or any(
                not set(analyze(m.group(1) or m.group(2))) <= set(query.terms) and not (m.group(1) and _ACTION_OF.match(quote, m.start(1) + len(m.group(1).split()[0])))
                for m in _LOCATIVE.finditer(quote) if m.group(1) or m.group(2)):
            return None
        return "Les passages trouvés parlent du sujet, mais ne disent pas où."
    if query.answer_type == "definition" and query.asks_meaning and len(query.defined.split()) <= 4:
        if not set(analyze(query.defined)) <= set(analyze(text[start:end])):
            return None  # the quote does not name the word: a paraphrase the reader cannot judge
        if _clause_answer(query, index, source, start, end) is not None or _DEFINING_WORDS.search(text[start:end]) \
                or re.search(rf"\(\s*{re.escape(normalize(query.defined))}s?\s*\)", normalize(text[start:end])):
            return None  # (the last: a name glossed by the word, "Cholécalciférol (vitamine D3)")
        return f"Les documents mentionnent « {query.defined} » sans en donner de définition."
    return None


def _says_after(query: Query, quote: str, at: int) -> bool:
    """The question's words after position `at` of the quote weigh at least half those before it (and some
    are after): the question is about the effect a causal verb there brings about ("Son toit … s'est oxydé,
    lui donnant une couleur verte" says why the roof is green: the subject before, what is asked after)."""
    before, after = set(analyze(quote[:at])), set(analyze(quote[at:]))
    later = sum(w for t, w in query.weights.items() if t in after and t not in before)
    return later > 0 and later >= 0.5 * sum(w for t, w in query.weights.items() if t in before and t not in after)


def _with_acronyms(index: Index, sources: set[str], terms: set[str]) -> set[str]:
    """Terms with what the documents' acronyms stand for: "ia" brings "intelligent" and "artificiel" where a
    retrieved document writes "l'intelligence artificielle (IA)", and those words bring "ia"."""
    out = set(terms)
    for src in sorted(sources):
        for acr, words in index.cached(("acronyms", src), lambda src=src: acronyms(index.documents[src].text)).items():
            if acr in terms:
                out |= words
            elif words <= terms:
                out.add(acr)
    return out


# A quote that speaks of a loss or a fall, for a question about one (Constraints.decrease).
_DECREASE_SAID = re.compile(r"\b(?:d[ée]trui|supprim|perd|perte|disparai|dispara[iî]t|baiss|diminu|licenci|chut|recul|"
                            r"r[ée]dui|d[ée]clin|menac|moins)", re.IGNORECASE)


# Names of one place that share no prefix: "États-Unis" is where "américain" is from.
_PLACE_ALIASES = {"etats-unis": "amerique", "etats unis": "amerique", "usa": "amerique", "us": "amerique",
                  "royaume-uni": "britannique", "grande-bretagne": "britannique", "pays-bas": "neerlandais"}


def _place_key(word: str) -> str:
    word = strip_accents(word.lower()).strip()
    return _PLACE_ALIASES.get(word, word)


def same_place(a: str, b: str) -> bool:
    """Two words for one place: "Canada" / "canadiennes", "Europe" / "européens", "États-Unis" / "américains"."""
    a, b = _place_key(a), _place_key(b)
    shared = len(os.path.commonprefix([a, b]))
    # (or one misspelt: "Siri-Ferruch" for "Sidi-Ferruch")
    return shared >= min(4, min(len(a), len(b)) - 1) and shared > 1 or \
        min(len(a), len(b)) >= 6 and _alike(a, b)


def _place_in(place: str, texts: list[str]) -> bool:
    """Some word of the texts names the place."""
    key = _place_key(place)
    return any(same_place(key, w) for text in texts for w in re.findall(r"[^\W\d][\w-]*", text)
               if _place_key(w)[:1] == key[:1])


def _elsewhere(query: Query, index: Index, hits: list[Hit], source: str, start: int, end: int) -> str | None:
    """Why the quote answers for another place than the one asked, or None: it names a place (a location
    found at build, or a nationality) and not the asked one ("Aux États-Unis, le salaire médian…" for "… en
    France ?")."""
    asked = query.constraints.places
    if not asked:
        return None
    text = index.documents[source].text
    quote = text[start:end]
    # The place may be named around the quote ("En Espagne, … À Madrid, le roi…"): its passage counts.
    around = [text[h.chunk.start:h.chunk.end] for h in hits
              if h.chunk.source == source and h.chunk.start < end and h.chunk.end > start]
    # An acronym after "en" is often a field, not a place: "ingénieur en IA" over passages that write "IA"
    # and never tag it as a location.
    asked = tuple(p for p in asked if not (p.isupper() and not _located(index, hits, p)))
    if not asked:
        return None
    if any(_place_in(p, [quote, *around]) for p in asked):
        return None
    named = [quote[a - start:b - start] for a, b, label in _entities_in(index, source, start, end)
             if label == "LOC" and b - a <= _MAX_ENTITY_CHARS] + [m.group() for m in NATIONALITY.finditer(quote)]
    if not named:
        return None
    return f"Les passages trouvés parlent de {_quoted(list(dict.fromkeys(named))[:2])}, pas de {_quoted(list(asked))}."


_HOLDER_REACH = 40  # characters between a role's word and the name of its holder ("le maire, Jean Dupont,")


def _role_unnamed(query: Query, index: Index, source: str, start: int, end: int) -> str | None:
    """The role's word as the quote writes it when the quote speaks of the role asked without a name (a
    person's, an organisation's) near it; None when it names one, or does not speak of the role at all (then the other
    checks judge it)."""
    text = index.documents[source].text
    spots = [m for m in _WORD.finditer(text, start, end) if set(analyze(m.group())) & set(query.role_held)]
    if not spots:
        return None
    # (any named thing: an organisation may hold a role too, and the small model often tags one as a place:
    # "Qui est le rival régional ?" → « du Lille OSC, le rival régional », "Lille OSC" tagged LOC)
    asked = set(analyze(" ".join(query.constraints.names)))
    holders = [(a, b) for a, b, label in _entities_in(index, source, start, end)
               if label in LABELS and b - a <= _MAX_ENTITY_CHARS and _new_words(set(analyze(text[a:b])), asked)]
    if any(a - _HOLDER_REACH <= m.end() and m.start() <= b + _HOLDER_REACH for m in spots for a, b in holders):
        return None
    return spots[0].group()


def _subject_names(query: Query, index: Index, hits: list[Hit], missing: list[str] = (),
                   places: bool = False) -> list[str]:
    """The names the question is about (a company, a person: capitalised, no acronym, not the source after
    "selon"; a place too when `places`) that the retrieved passages hold."""
    return [token for token in query.constraints.key_tokens
            if token not in missing and token[:1].isupper() and token[1:].islower()
            and not re.search(rf"\b(?:selon|d['’]apr[èe]s|par)\s+{re.escape(token)}\b", query.resolved, re.IGNORECASE)
            and (places or not _located(index, hits, token))]


def _names(text: str, name: str) -> bool:
    # (as written: analysed, "Meta" would be "met", the stem of "mettre")
    return bool(re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE))


_ITEM_LABEL = re.compile(r"\s*((?-i:[A-ZÀ-Þ])[\w&.-]*(?:\s+(?-i:[A-ZÀ-Þ])[\w&.-]*){0,2})\s*:")  # "NVIDIA:", "Meta:"


def _candidate_at(index: Index, candidates: dict[int, _Candidate], quote: tuple) -> _Candidate | None:
    """The candidate sentence a quote (start, end, source, …) begins with."""
    start, _, source = quote[:3]
    return next((c for sid, c in candidates.items()
                 if index.sentences[sid].source == source and index.sentences[sid].start == start), None)


def _unnamed_subject(query: Query, index: Index, hits: list[Hit], sid: int, missing: list[str]) -> str | None:
    """A name the question is about that the quote, its neighbours and its heading do not hold."""
    # A place is named in its other forms too: "Mexique" as "mexicain", "États-Unis" as "américains".
    window = _window_text(index, sid)
    return next((n for n in _subject_names(query, index, hits, missing, places=True) if not _names(window, n)
                 and not (_located(index, hits, n) and _place_in(n, [window]))), None)


def _window_text(index: Index, sid: int) -> str:
    """A sentence with its neighbours in the same document, its section heading and its document's title."""
    def compute() -> str:
        s = index.sentences[sid]
        doc = index.documents[s.source]
        heading = structure_of(index, s.source).section_of(s.start)
        near = [index.sentences[i].text for i in (sid - 1, sid, sid + 1)
                if 0 <= i < len(index.sentences) and index.sentences[i].source == s.source]
        return "\n".join([doc.title, doc.text[heading.start:heading.end] if heading else "", *near])

    return index.cached(("window_text", sid), compute)


def _located(index: Index, hits: list[Hit], word: str) -> bool:
    """`word` is tagged as a location in the retrieved passages, or not written in them at all."""
    said = False
    for h in hits:
        text = index.documents[h.chunk.source].text
        for m in re.finditer(rf"\b{re.escape(word)}\b", text[h.chunk.start:h.chunk.end]):
            said = True
            at = h.chunk.start + m.start()
            if any(label == "LOC" for _, _, label in _entities_in(index, h.chunk.source, at, at + len(word))):
                return True
    return not said


def _decrease_said(query: Query, index: Index, source: str, start: int, end: int) -> bool:
    """The quote speaks of a loss or a fall; for a figure, in the sentence that gives a figure ("… ont connu
    un déclin. … créeront 69 millions de nouveaux emplois" does not say how many jobs were cut)."""
    if query.answer_type not in _QUANTITIES:
        return bool(_DECREASE_SAID.search(index.documents[source].text[start:end]))
    return any(_DECREASE_SAID.search(s.text) and _typed(index, query, source, s.start, s.end)
               for s in (index.sentences[sid] for sid in _source_sentences(index, source))
               if s.start < end and s.end > start)


def _quoted(words: list[str]) -> str:
    return ", ".join(f"« {w} »" for w in words)


_EVENT_NOUNS = {"naissance": "naissance", "mort": "mort ni de décès", "fondation": "fondation",
                "mariage": "mariage", "construction": "construction", "election": "élection"}
_TYPE_NOUNS = {"amount": "aucun montant", "number": "aucun nombre", "percentage": "aucun pourcentage",
               "date": "aucune date", "duration": "aucune durée", "organisation": "aucune organisation",
               "name": "aucun nom", "place": "aucun lieu"}


def _missing_type_reason(query: Query, index: Index, hits: list[Hit]) -> str:
    """Why the documents do not answer, in French: what they give, and what they lack."""
    qtype, c = query.answer_type, query.constraints
    about = sorted(t for t in c.key_tokens if not t.isdigit())
    if qtype == "amount" and c.role_text:
        role = re.sub(r"^(?:(?:en moyenne|au total|totale?s?|moyens?|médians?|annuels?|de base)\s+)*", "", c.role_text)
        pay = any(_HAS_MONEY.search(index.sentences[sid].text) and _PAY_CONTEXT.search(index.sentences[sid].text)
                  for h in hits for sid in index.chunk_sentences[h.row])
        if pay:
            return f"Les documents donnent des salaires, mais aucun pour « {role} »."
        return f"Les documents ne donnent aucun salaire pour « {role} »."
    if qtype == "person":
        subject = f"parlent de {_quoted(about)}, mais " if about else ""
        return f"Les documents {subject}ne nomment aucune personne qui réponde à la question."
    what = _TYPE_NOUNS.get(qtype, "rien")
    subject = f" sur {_quoted(about)}" if about else ""
    return f"Les passages les plus proches{subject} ne contiennent {what} qui réponde à la question."


def _short_answer(query: Query, index: Index, source: str, start: int, end: int,
                  phrases: bool = True) -> tuple[int, int] | None:
    """The short answer inside a quote (amount, rate, date, number, name, else a noun phrase), as
    document offsets, or None.

    Of several candidates, the one the question's words stand nearest to, rare words counting most,
    wins ("157 000 $" next to "salaire médian", not "200 000 $" further on). A question that asks for
    no number is answered by the noun phrase the build found (see `_phrase_answer`) when `phrases` is set.
    """
    qtype, text = query.answer_type, index.documents[source].text
    quote = text[start:end]
    spans: list[tuple[int, int]] = []
    if qtype in ("amount", "percentage", "number", "date", "duration"):
        pattern = {"amount": _AMOUNT_SPAN, "percentage": _PERCENT_SPAN, "number": _NUMBER_SPAN, "date": _DATE_SPAN,
                   "duration": _DURATION_SPAN}[qtype]
        spans = [(m.start(), m.end()) for m in pattern.finditer(quote)]
        if qtype == "number":
            spans = _joined(spans, quote)
        if qtype == "amount" and not spans:
            spans = [(m.start(), m.end()) for m in _PERCENT_SPAN.finditer(quote)]
        if qtype == "duration" and not spans:
            spans = [(m.start(), m.end()) for m in _DATE_SPAN.finditer(quote)]
    elif qtype in _ENTITY_LABELS:
        asked = set(analyze(" ".join(query.constraints.names))) | _common_terms(index)
        labels = _ENTITY_LABELS[qtype]
        ents = sorted((labels.index(label), a - start, b - start) for a, b, label in _entities_in(index, source, start, end)
                      if label in labels and b - a <= _MAX_ENTITY_CHARS and not set(analyze(text[a:b])) <= asked)
        spans = [(a, b) for rank, a, b in ents if rank == ents[0][0]] if ents else []
    asked_text = {normalize(x) for x in query.constraints.numbers + query.constraints.years}
    spans = [(a, b) for a, b in spans if quote[a:b].strip() and normalize(quote[a:b]).strip() not in asked_text
             and not _in_question(quote[a:b], query)]
    if not spans:
        if not phrases or query.yes_no or query.asks_summary or qtype in _QUANTITIES:
            return None
        if qtype in ("definition", "reason", "manner"):
            return _clause_answer(query, index, source, start, end)
        span = _phrase_answer(query, index, source, start, end)
        return (_with_locative(text, start, span[0]), span[1]) if span and query.asks_where else span
    tokens = [(m.start(), m.end(), set(analyze(m.group()))) for m in _WORD.finditer(quote)]
    token_starts = [t[0] for t in tokens]
    weight = {t: query.weights.get(t, 1.0) for t in query.terms}

    def near(sp: tuple[int, int]) -> float:
        # The question's words around the span, each by its IDF over its distance in words (`_proximity`):
        # in "Le recensement de 2015 compte 72 000 habitants à Tromsø", "habitants" and "Tromsø" point at
        # the count, though "compte" stands nearest the year.
        lo = bisect.bisect_left(token_starts, sp[0])
        return round(_proximity(tokens, lo, max(bisect.bisect_left(token_starts, sp[1]) - 1, lo), weight), 9)

    def said(sp: tuple[int, int]) -> float:
        # How much of the question the span's clause says: in "… le salaire médian … est d'environ
        # 157 000 $, mais les postes spécialisés dépassent souvent 200 000 $ en salaire de base", the
        # median is the first clause's amount, though "salaire" stands nearer the second.
        cuts = [0] + [m.end() for m in _SPAN_CLAUSE.finditer(quote)] + [len(quote)]
        k = bisect.bisect_right(cuts, sp[0]) - 1
        clause = quote[cuts[k]:cuts[min(k + 1, len(cuts) - 1)]]
        found = set(analyze(clause))
        year = any(y in clause for y in query.constraints.years)  # the year asked outweighs any word
        words = sum(w for t, w in query.weights.items() if t in found) if qtype in ("amount", "percentage") else 0.0
        return 100.0 * year + words

    focus = set(query.focus) if qtype in _ENTITY_LABELS else set()

    def named_as_asked(sp: tuple[int, int]) -> bool:
        # The name the noun asked for introduces: "Quel fleuve… ?" → « le fleuve Saint-Laurent », not « des
        # Grands Lacs » nearer the question's words (the tagger may keep the noun in the name, or not).
        words = _WORD.findall(quote[max(sp[0] - 30, 0):sp[0]])[-2:] + _WORD.findall(quote[sp[0]:sp[1]])[:1]
        return bool(focus) and any(set(analyze(w)) & focus for w in words)

    a, b = min(spans, key=lambda sp: (-said(sp), -named_as_asked(sp), -near(sp), sp[0]))
    while b > a and quote[b - 1] in " \u00a0\u202f":
        b -= 1
    if qtype == "date":
        # "10 septembre 1844": the day belongs to the date (the date pattern wants a recent year for it).
        day = _DAY_BEFORE.search(quote, 0, a)
        if day and re.match(rf"(?:{'|'.join(MONTHS)})\b", quote[a:], re.IGNORECASE):
            a = day.start()
    if qtype in _ENTITY_LABELS:
        a, b = _grown(index, source, start, end, a, b)
    if query.asks_where:
        a = _with_locative(text, start, start + a) - start
    if qtype in ("number", "duration"):
        # A number with what it counts, as the parse grouped them: "400 mètres", "19 ans".
        # Not what the question already counts: "Combien de navires… ?" is answered « 675 », not « 675 navires »
        # (PIAF's gold spans mostly leave it out: on PIAF dev's fitting half 16 marks change, 7 for the better
        # and 4 for the worse, « 30 pays » for "Dans combien de pays… ?").
        unit = [(x - start, y - start) for x, y, label in _entities_in(index, source, start, end)
                if label in PHRASES and x - start == a and b < y - start and len(text[x:y].split()) <= 4
                and not set(analyze(text[start + b:y])) & set(query.terms)]
        if unit:
            b = min(unit, key=lambda u: u[1])[1]
    return start + a, start + b


_SPAN_CLAUSE = re.compile(r"[,;:](?=\s)|\s(?:mais|tandis que|alors que|contre|et)\s")
_DAY_BEFORE = re.compile(r"\b(?:1er|[12]\d|3[01]|0?[1-9])\s+$")  # the day number right before a month
_LOCATIVE_BEFORE = re.compile(r"\b(?:dans|en|à|au|aux|sur|sous|près de|vers|chez|hors de|auprès de)\s+"
                              r"(?:(?:les|le|la)\s+|l['’])?$", re.IGNORECASE)  # "dans les" right before a place


# A name or place is marked with the words its noun phrase puts before it, up to this many: PIAF's gold
# spans say « le général Bugeaud », « son fils Emanuele », « le nord du Maghreb », « 10 Downing Street » where
# the tagger's entity is « Bugeaud », « Emanuele », « Maghreb », « Downing Street » (PIAF dev, fitting half: of
# 47 names and places partly right, 41 were shorter than the gold and 4 longer; growing by 1 or 3 words did
# worse there than by 2). Words after it are left: the parse's phrases run on there (« McKinsey de 2025 »,
# « Le Forum économique mondial prévoit »), for no gain on that half.
_GROW_WORDS = 2


def _grown(index: Index, source: str, start: int, end: int, a: int, b: int) -> tuple[int, int]:
    """The smallest noun phrase of the quote ending with the name at quote offsets [a, b) and starting at
    most _GROW_WORDS words before it, else the name itself (quote offsets)."""
    text = index.documents[source].text
    best = None
    for x, y, label in _entities_in(index, source, start, end):
        x, y = x - start, y - start
        if label not in PHRASES or not (x <= a and b == y) or (x, y) == (a, b):
            continue
        extra = len(_WORD.findall(text[start + x:start + a])) + len(_WORD.findall(text[start + b:start + y]))
        if extra <= _GROW_WORDS and (best is None or y - x < best[1] - best[0]):
            best = (x, y)
    return best or (a, b)


def _joined(spans: list[tuple[int, int]], quote: str) -> list[tuple[int, int]]:
    """Numbers the pattern found apart with only spaces between them, as one: "6 millions" (the pattern
    takes "6 " and leaves its scale word to a second match), "trois cents", and a compound number word
    ("quarante-huit", which the pattern reads as "quarante" and "huit")."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        gap = quote[out[-1][1]:a] if out else None
        if gap is not None and (not gap.strip() or gap == "-" and quote[out[-1][0]:b].replace("-", "").isalpha()):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _with_locative(text: str, start: int, a: int) -> int:
    """Where the answer to "où" starts: with the preposition before the place ("Où se trouve Zaatcha ?" →
    "dans les Aurès"), which says where with respect to it ("près de Tunis" is not "à Tunis")."""
    at = _LOCATIVE_BEFORE.search(text, max(a - 20, start), a)
    return at.start() if at else a


# How a candidate phrase is scored as the short answer (see _phrase_candidates): the hand-set weights,
# used when no fitted ones are shipped (phrase_weights()).
PHRASE_WEIGHTS = {"distance": -0.35, "extra_words": -0.3, "asked_share": -2.0, "typed": 1.5, "focus": 1.0,
                  "entity": 0.5, "after": 0.3, "slot": 1.5, "subject": 1.0, "numeric": 0.0, "words": 0.0,
                  **dict.fromkeys(("proximity", "best_sentence", "next_asked", "after_de", "after_verb_be",
                                   "before_comma", "determiner", "contains_other", "inside_other", "per", "org",
                                   "other_type", "left_share", "right_share", "between", "anchor", "anchor_before",
                                   "anchor_after", "subject_first", "clause_share", "rare"), 0.0)}
PHRASE_WEIGHTS_FILE = Path(__file__).with_name("phrase_weights.json")


@lru_cache(maxsize=1)
def phrase_weights() -> dict[str, float]:
    """The phrase feature weights: fitted by eval/fit_phrases.py when its file is there, else the hand-set ones."""
    weights = dict(PHRASE_WEIGHTS)
    if PHRASE_WEIGHTS_FILE.is_file():
        weights.update(json.loads(PHRASE_WEIGHTS_FILE.read_text(encoding="utf-8"))["weights"])
    return weights


_WORD = re.compile(r"\w+(?:['’]\w+)*")
# Answer types whose short answer is a named thing: an entity of these labels, else a noun phrase.
_PHRASE_LABELS = {"person": ("PER",), "organisation": ("ORG", "MISC"), "place": ("LOC",),
                  "name": ("PER", "ORG", "LOC", "MISC")}


def _phrase_candidates(query: Query, index: Index, source: str, start: int, end: int) -> list[tuple[int, int, dict]]:
    """The noun phrases and entities of a quote that could answer, each with its features (document offsets).

    A candidate must bring something the question does not say: a phrase made only of the
    question's words ("le marché du travail" for "…le marché du travail…") is no answer.
    """
    text = index.documents[source].text
    asked = set(query.terms)
    focus = set(query.focus)
    words = [(m.start() + start, m.end() + start, set(analyze(m.group()))) for m in _WORD.finditer(text[start:end])]
    hits = [i for i, (_, _, terms) in enumerate(words) if terms & asked and not terms <= focus]
    labels = _PHRASE_LABELS.get(query.answer_type, ())
    spans = _tidied(text, _entities_in(index, source, start, end))
    slot = re.compile(rf"(?<!\w){_PREPOSITION_FORMS.get(query.slot, re.escape(query.slot))}\s*$") if query.slot else None
    typed = [(a, b) for a, b, label in spans if label in labels]
    kinds: dict[tuple[int, int], set[str]] = {}
    for a, b, label in spans:
        kinds.setdefault((a, b), set()).add(label)
    cuts = _sentence_starts(index, source, start, end)
    sentence_of = [bisect.bisect_right(cuts, wa) - 1 for wa, _, _ in words]
    weight = {t: query.weights.get(t, 1.0) for t in asked}
    total = sum(weight.values()) or 1.0
    # The share of the question's weight each sentence of the quote says ("… Il entre dans une église et y
    # découvre …": the answer is in the sentence with the question's words, not in the one before).
    in_sentence: list[set[str]] = [set() for _ in cuts]
    for i, (_, _, terms) in enumerate(words):
        in_sentence[sentence_of[i]] |= terms
    said = [sum(w for t, w in weight.items() if t in found) / total for found in in_sentence]
    # The question's first word after its wh-word, often its verb ("Que découvre Jim… ?"): the answer is next to it.
    anchor = next((t for t in query.terms if t not in focus), None)
    # The clauses of the quote (cut as `_short_answer` cuts them: at a comma, "mais", "et"…).
    clause_cuts = [start] + [m.end() + start for m in _SPAN_CLAUSE.finditer(text[start:end])]
    clause_of = [bisect.bisect_right(clause_cuts, wa) - 1 for wa, _, _ in words]
    out, seen = [], set()
    for a, b, label in spans:
        if (a, b) in seen or b - a > _MAX_ENTITY_CHARS * 2:
            continue
        seen.add((a, b))
        inside = [i for i, (wa, wb, _) in enumerate(words) if wa >= a and wb <= b]
        if not inside:
            continue
        terms = [t for i in inside for t in words[i][2]]
        new = [t for t in terms if t not in asked]
        if not new:
            continue
        lo, hi = inside[0], inside[-1]
        gaps = [lo - h for h in hits if h < lo] + [h - hi for h in hits if h > hi]
        k = sentence_of[lo]
        prev = normalize(text[words[lo - 1][0]:words[lo - 1][1]]) if lo > 0 else ""
        after = text[b:end].lstrip()
        anchor_before = 1.0 / min((lo - i for i in range(lo) if anchor in words[i][2]), default=_FAR)
        anchor_after = 1.0 / min((i - hi for i in range(hi + 1, len(words)) if anchor in words[i][2]), default=_FAR)
        out.append((a, b, {
            "distance": min(gaps, default=len(words)) - 1,
            "extra_words": max(len(inside) - 3, 0),
            "asked_share": sum(t in asked and t not in focus for t in terms) / len(terms),
            "typed": float(any(ta <= a and b <= tb or a <= ta and tb <= b for ta, tb in typed)),
            "focus": float(bool(focus & set(terms)) and len(new) > 0),
            "entity": float(label not in PHRASES),
            "subject": float(query.asks_subject and label == SUBJECT),
            "numeric": float(any(ch.isdigit() for ch in text[a:b])),
            "words": float(len(inside)),
            "after": float(any(h < lo for h in hits)),
            "slot": float(slot is not None and bool(slot.search(normalize(text[max(a - 12, 0):a])))),
            # Added for the fitted weights (eval/fit_phrases.py); 0 in the hand-set ones.
            "proximity": _proximity(words, lo, hi, weight) / total,
            "best_sentence": float(said[k] == max(said)),
            "next_asked": float(hi + 1 in hits),
            "after_de": float(prev in _OF_WORDS),
            "after_verb_be": float(prev in _BE_WORDS),
            "before_comma": float(after[:1] in (",", ";", ".", ")", "")),
            "determiner": float(normalize(text[words[lo][0]:words[lo][1]]) in _DETERMINERS
                                or text[a:a + 2].lower() in ("l'", "l’")),
            "contains_other": float(any(a <= x and y <= b and (x, y) != (a, b) for x, y in kinds)),
            "inside_other": float(any(x <= a and b <= y and (x, y) != (a, b) and y - x <= _MAX_ENTITY_CHARS * 2
                                      for x, y in kinds)),
            "per": float("PER" in kinds[(a, b)]),
            "org": float("ORG" in kinds[(a, b)]),
            "other_type": float(bool(labels) and label not in PHRASES and not kinds[(a, b)] & set(labels)),
            "left_share": _said_near(words, range(max(lo - 4, 0), lo), sentence_of, k, weight) / total,
            "right_share": _said_near(words, range(hi + 1, min(hi + 5, len(words))), sentence_of, k, weight) / total,
            "between": float(any(h < lo and sentence_of[h] == k for h in hits)
                             and any(h > hi and sentence_of[h] == k for h in hits)),
            "anchor": max(anchor_before, anchor_after),
            "anchor_before": anchor_before,
            "anchor_after": anchor_after,
            "subject_first": float(query.asks_subject
                                   and (SUBJECT in kinds[(a, b)] or lo == 0 or sentence_of[lo - 1] != k)),
            # Added in the fifth session: the question's words in the phrase's clause, the phrase aside (the
            # answer's clause says the rest of the question: "…, le traité de Lalla Maghnia qui marquera les
            # frontières…"), and how rare the phrase's new words are in the corpus (a name, not "l'époque").
            "clause_share": _said_in(words, clause_of, clause_of[lo], lo, hi, weight) / total,
            "rare": sum(index.idf(t) for t in new) / len(new) / index.idf_df(0),
        }))
    return out


# Words the build's phrases may open with that are no part of an answer: adverbs and links the parse
# attached to the noun ("notamment le manque…", "dont la spartéine", "ainsi l'instrument des dieux").
_LEADING = re.compile(r"(?:(?:notamment|ainsi|aussi|dont|donc|alors|encore|même|surtout|seulement|également|déjà|"
                      r"toujours|enfin|puis|et|ou|mais|comme|soit|voire|hormis|sauf|excepté)\s+)+", re.IGNORECASE)
_PAIRS = {"(": ")", "[": "]", "«": "»", "“": "”"}


def _tidied(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The phrases without a leading adverb or link word and cut at a bracket or quotation mark left
    unclosed ("latex) qui s'échappe" → "latex", "Gog », un géant" → "Gog", "une succession[pas clair" →
    "une succession"); a phrase left empty is dropped."""
    out = []
    for a, b, label in spans:
        lead = _LEADING.match(text, a, b)
        if lead and lead.end() < b:
            a = lead.end()
        while a < b and text[a] in _PAIRS and _PAIRS[text[a]] not in text[a:b]:  # "« Grenier de l'Europe"
            a += 1
            a += len(text[a:b]) - len(text[a:b].lstrip())
        piece = text[a:b]
        for i, ch in enumerate(piece):
            opening = next((o for o, c in _PAIRS.items() if c == ch), None)
            if ch in _PAIRS and _PAIRS[ch] not in piece[i:] or opening and opening not in piece[:i]:
                b = a + len(piece[:i].rstrip())
                break
        if b > a and text[a:b].strip():
            out.append((a, b, label))
    return out


_FAR = float("inf")  # no such word in the quote: 1 / _FAR is 0
_OF_WORDS = frozenset({"de", "du", "des", "d"})
_BE_WORDS = frozenset({"est", "sont", "était", "étaient", "fut", "furent", "devient", "devenu", "reste", "demeure"})
_DETERMINERS = frozenset({"le", "la", "les", "un", "une", "des", "du", "ce", "cet", "cette", "ces", "son", "sa", "ses",
                          "leur", "leurs", "notre", "nos", "votre", "vos", "mon", "ma", "mes"})


def _sentence_starts(index: Index, source: str, start: int, end: int) -> list[int]:
    """Where the sentences of a quote start (document offsets; the quote's start first)."""
    sids = _source_sentences(index, source)
    starts = [index.sentences[i].start for i in sids if start < index.sentences[i].start < end]
    return [start, *starts]


def _said_near(words: list, near: range, sentence_of: list[int], k: int, weight: dict[str, float]) -> float:
    """The weight of the question's terms among words[near] of sentence k."""
    found = {t for i in near if sentence_of[i] == k for t in words[i][2]}
    return sum(w for t, w in weight.items() if t in found)


def _said_in(words: list, clause_of: list[int], clause: int, lo: int, hi: int, weight: dict[str, float]) -> float:
    """The weight of the question's terms in a clause, words[lo..hi] (the candidate) aside."""
    found = {t for i, (_, _, terms) in enumerate(words) if clause_of[i] == clause and not lo <= i <= hi for t in terms}
    return sum(w for t, w in weight.items() if t in found)


def _proximity(words: list, lo: int, hi: int, weight: dict[str, float]) -> float:
    """The question's terms around words[lo..hi], each by its weight over 1 + its distance in words."""
    out = 0.0
    for t, w in weight.items():
        gaps = [lo - i for i in range(lo) if t in words[i][2]] \
            + [i - hi for i in range(hi + 1, len(words)) if t in words[i][2]]
        if gaps:
            out += w / min(gaps)
    return out


def _phrase_answer(query: Query, index: Index, source: str, start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase of a quote most likely to be the short answer: new to the question, of the
    type asked, nearest to the question's words, short."""
    candidates = _phrase_candidates(query, index, source, start, end)
    if not candidates:
        return None
    weights = phrase_weights()
    # Rounded: float noise must not break a tie the earliest phrase wins (eval/fit_phrases.py scores alike).
    a, b, _ = max(candidates, key=lambda c: (round(sum(weights[k] * v for k, v in c[2].items()), 9), -c[0]))
    return a, b


# Where an explanation starts in a sentence: what follows answers "pourquoi" / "comment" / "qu'est-ce que".
_REASON_CUE = re.compile(r"\b(?:parce qu['’]?e?|car|afin d['’]?e?|en raison d['’]?e?|(?:due?s?|grâce) à|à cause d['’]?e?|puisqu['’]?e?|"
                         r"pour(?= \w+(?:er|ir|re)\b)|ainsi|c['’]est pourquoi|du fait d['’]?e?s?|(?:à la )?suite (?:à|d['’]?e?s?)|faute d['’]?e?|"
                         r"sous l['’]effet d['’]?e?s?|dans le but d['’]?e?|en vue d['’]?e?|compte tenu d['’]?e?s?|à force d['’]?e?|"
                         r"pour cause d['’]?e?|sous prétexte d['’]?e?|au motif d['’]?e?|causée?s? par|s['’]expliquen?t? par|"
                         r"provien(?:t|nent) d['’]?e?s?|résult(?:e|ent) d['’]?e?s?|étant donnée? qu['’]?e?|vu qu['’]?e?)\s*", re.IGNORECASE)
_MANNER_CUE = re.compile(r"\b(?:grâce à|en(?= \w+ant\b)|par|au moyen d['’]?e?|à l['’]aide d['’]?e?|avec|en utilisant|"
                         r"en s['’]appuyant sur)(?:\s+|(?<=['’]))", re.IGNORECASE)  # "au moyen d’un" has no space
_DEFINITION_CUE = re.compile(AFTER_DEFINED, re.IGNORECASE)
_SPELLED_OUT = re.compile(r"[\s»”\"']*\(([^()]{3,80})\)")
_CLAUSE_END = re.compile(r"[,;:.!?)](?:\s|$)|\s(?:et|mais|tandis que|alors que)\s")
_MAX_CLAUSE_CHARS = 160


def _clause_answer(query: Query, index: Index, source: str, start: int, end: int) -> tuple[int, int] | None:
    """For a definition, reason or manner question, the clause of the quote that defines or explains: what
    follows the defined word ("RAG): Utilisation de données externes…"), "car/parce que/afin de/pour…" or
    "grâce à/en …ant/par…", up to the end of the clause; the occurrence nearest the question's words wins."""
    text = index.documents[source].text
    quote = text[start:end]
    spans = []
    if query.answer_type == "definition" and query.defined:
        wanted = set(analyze(query.defined))
        words = [(m.start(), m.end(), set(analyze(m.group()))) for m in _WORD.finditer(quote)]
        for i, (_, wend, _) in enumerate(words):
            # The defined words, as the text inflects them ("les auditeurs d'algorithmes"), end here.
            window = set().union(*(t for _, _, t in words[max(i - len(wanted) - 1, 0):i + 1]))
            if not wanted or not wanted <= window or not words[i][2] & wanted:
                continue
            spelled = _SPELLED_OUT.match(quote, wend)
            if spelled and len(spelled.group(1).split()) >= 2:
                # "MLOps (Machine Learning Operations)", "« cobots » (robots collaboratifs)".
                return start + spelled.start(1), start + spelled.end(1)
            inside = quote[max(words[i][0] - 1, 0)] == "(" and quote[wend:wend + 1] == ")"
            cue = _DEFINITION_CUE.match(quote, wend + 1 if inside else wend)
            if cue:
                spans.append(cue.end())
            elif inside and query.defined.isupper():
                # "les grands modèles linguistiques (LLM)": the words before the parenthesis spell the
                # acronym out, one content word per letter.
                k, n = i - 1, 0
                while k >= 0 and n < len(query.defined):
                    n += bool(words[k][2])
                    k -= 1
                if n == len(query.defined):
                    return start + words[k + 1][0], start + quote.rindex("(", 0, words[i][0]) - 1
    else:
        cue_re = _REASON_CUE if query.answer_type == "reason" else _MANNER_CUE if query.answer_type == "manner" else None
        if cue_re is None:
            return None
        spans = [m.end() for m in cue_re.finditer(quote)]
    asked = set(query.terms)
    positions = [m.start() for m in _WORD.finditer(quote) if set(analyze(m.group())) & asked]
    best = None
    for a in spans:
        stop = _CLAUSE_END.search(quote, a + 1)
        b = min(stop.start() if stop else len(quote), a + _MAX_CLAUSE_CHARS)
        piece = quote[a:b].rstrip()
        new = set(analyze(piece)) - asked
        if len(piece.split()) < 2 or not new:
            continue
        distance = min((abs(p - a) for p in positions), default=0)
        if best is None or distance < best[0]:
            best = (distance, a, a + len(piece))
    return (start + best[1], start + best[2]) if best else None


def _in_question(span_text: str, query: Query) -> bool:
    """The candidate repeats the question ("157 000 $" in "… autour de 157 000 $ ?")."""
    return normalize(span_text).strip() in normalize(query.resolved)


def _list_quotes(query: Query, index: Index, hits: list[Hit], candidates: dict[int, _Candidate], best: _Candidate,
                 span: tuple[int, int, str], settings: ReaderSettings) -> list[tuple[int, int, str, int, float]]:
    """The quotes of a list answer: the items of the list the best sentences belong to, then other
    sentences nearly as good (from any document), ≤ max_list_items quotes and max_list_chars in all.

    Each quote is (start, end, source, hit rank, score). Introductions ending on a colon are never
    quoted alone: their items are.
    """
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.sid))
    out: list[tuple[int, int, str, int, float]] = []
    used = 0
    blocks_seen: set[tuple[str, int]] = set()

    def add(a: int, b: int, src: str, cand: _Candidate) -> bool:
        nonlocal used
        if len(out) >= settings.max_list_items:
            return False
        if any(src == s2 and a < b2 and b > a2 for a2, b2, s2, _, _ in out):
            return True  # overlaps a quote already taken
        text = index.documents[src].text[a:b]
        if used + len(text) > settings.max_list_chars or text.rstrip().endswith(":"):
            return True
        out.append((a, b, src, cand.hit_rank, cand.score))
        used += len(text)
        return True

    # A list the documents announce ("… Ceci inclus:" then its items) about what is asked is the answer,
    # even when a loose sentence scored higher: its items are what a reader would quote.
    announced = _announced_list(index, query, ranked, best)
    if announced is not None:
        source, block, cand = announced
        for item in block.items:
            a, b = _item_span(index, source, item, settings)
            add(a, b, source, cand)
        if len(out) >= 2:
            return out
        out.clear()
        used = 0

    # "Face à cette demande croissante, plusieurs formations spécialisées se développent." announces, without a
    # colon, what the next sentences of its paragraph name: they are the items.
    for sid in _announced_sentences(index, query, best.sid):
        add(index.sentences[sid].start, index.sentences[sid].end, index.sentences[sid].source, best)
    if len(out) >= 2:
        return out
    out.clear()
    used = 0

    for rank, cand in enumerate(ranked[:12]):
        if cand.score < best.score - LIST_MARGIN or len(out) >= settings.max_list_items:
            break
        s = index.sentences[cand.sid]
        if is_heading(s.text) or (query.type_required and not _typed(index, query, s.source, s.start, s.end)
                                  and not s.text.rstrip().endswith(":")):
            continue
        block = structure_of(index, s.source).list_holding(s.start, s.end)
        # A list is the answer when it lists what the question asks for ("Les entreprises qui
        # embauchent… comprennent:" for "Quelles entreprises…"), not because one item matched a word.
        about = not query.focus or bool(set(query.focus) & (_intro_terms(index, s.source, block) | _section_terms(
            index, cand.sid))) if block is not None else False
        holds_best = block is not None and block.intro.start <= index.sentences[best.sid].start < block.span.end
        if block is not None and about and (s.source, block.intro.start) not in blocks_seen and (rank == 0 or holds_best):
            blocks_seen.add((s.source, block.intro.start))
            for item in block.items:
                a, b = _item_span(index, s.source, item, settings)
                add(a, b, s.source, cand)
            if rank == 0 and len(out) >= 2:
                break  # the best sentence's own list is the answer; other sentences would only dilute it
            continue
        if s.text.rstrip().endswith(":"):
            continue
        a = index.sentences[cand.sid - 1].start if _continues_previous(index, cand.sid) else s.start
        if cand.sid != best.sid:
            # A loose sentence is an item only if it would answer the question by itself: "Amazon: Recrute…"
            # does not for "Quels secteurs embauchent… ?", however close its score.
            verdict = _confidence(query, index, hits, cand, (a, s.end, s.source))
            if verdict.reason is not None or verdict.confidence < settings.refusal_threshold / 2:
                continue
        add(a, s.end, s.source, cand)
    return out


# "plusieurs formations", "de nombreux secteurs", "sont variés": a sentence that says there are several of a thing.
_SEVERAL = re.compile(r"\b(?:plusieurs|divers(?:es)?|de nombreu(?:x|ses)|diff[ée]rent(?:e)?s|vari[ée]e?s|multiples)\b",
                      re.IGNORECASE)


def _announced_sentences(index: Index, query: Query, sid: int, most: int = 3) -> list[int]:
    """For a list question, the sentences that follow, in its paragraph, a short sentence saying there are several
    of what the question asks about and naming none ("… plusieurs formations spécialisées se développent.")."""
    s = index.sentences[sid]
    if not (query.wants_list and query.focus and set(query.focus) & _sentence_terms(index, sid)) \
            or not _SEVERAL.search(s.text) or _ENUMERATES.search(s.text) or len(s.text.split()) > 20:
        return []
    text = index.documents[s.source].text
    out, end = [], s.end
    for nxt in range(sid + 1, min(sid + 1 + most, len(index.sentences))):
        n = index.sentences[nxt]
        if n.source != s.source or "\n" in text[end:n.start] or is_heading(n.text):
            break
        out.append(nxt)
        end = n.end
    return out


def _announced_list(index: Index, query: Query, ranked: list[_Candidate], best: _Candidate):
    """(source, block, candidate) of the best-ranked list block about what a list question asks, or None.

    About it: the focus noun ("compétences") and most of the question's other words are in the list's
    introduction, with the sentences of its paragraph before it."""
    total = sum(query.weights.get(t, 1.0) for t in query.terms if t not in query.focus) or 1.0
    for cand in ranked[:12]:
        if cand.score < best.score - LIST_MARGIN:
            break
        s = index.sentences[cand.sid]
        block = structure_of(index, s.source).list_holding(s.start, s.end)
        if block is None or len(block.items) < 2:
            continue
        around = _intro_terms(index, s.source, block, paragraph=True)
        if query.focus and not set(query.focus) & around:
            continue
        said = sum(query.weights.get(t, 1.0) for t in query.terms if t not in query.focus and t in around)
        if said / total >= ANNOUNCED_SHARE:
            return s.source, block, cand
    return None


def _introduction(index: Index, candidates: dict[int, _Candidate], item: _Candidate) -> _Candidate | None:
    """The retrieved sentence that introduces the list a candidate is an item of, or None."""
    s = index.sentences[item.sid]
    block = structure_of(index, s.source).list_holding(s.start, s.end)
    if block is None or block.intro.start == s.start:
        return None
    return next((c for sid, c in candidates.items() if index.sentences[sid].source == s.source
                 and index.sentences[sid].start == block.intro.start), None)


ANNOUNCED_SHARE = 0.35  # of the question's words (IDF-weighted, focus aside) a list's introduction must say
TIE_MARGIN = 0.25  # sentences scored within this of the best are as good a reading: the checks decide
REASON_MARGIN = 0.5  # … for a "pourquoi", whose cause is often in a sentence sharing fewer of its words


def _with_next(index: Index, best: _Candidate, span: tuple[int, int, str], max_chars: int) -> tuple[int, int, str] | None:
    """The span extended to the sentence after it in the same document, when that fits."""
    start, end, source = span
    nxt = next((i for i in range(best.sid + 1, min(best.sid + 3, len(index.sentences)))
                if index.sentences[i].start >= end), None)
    if nxt is None:
        return None
    n = index.sentences[nxt]
    if n.source != source or is_heading(n.text) or n.end - start > max_chars:
        return None
    if _other_item(index, source, start, end, n.start):
        return None
    return start, n.end, source


def _other_item(index: Index, source: str, start: int, end: int, at: int) -> bool:
    """Offset `at` lies past the end of the list item holding [start, end): the next item of a list speaks
    of something else ("NVIDIA: Recherche…" then "Meta: Axée sur…")."""
    block = structure_of(index, source).list_holding(start, end)
    return block is not None and any(i.start <= start < i.end and at >= i.end for i in block.items)
LIST_MARGIN = 1.0  # a list's other quotes score within this of the best sentence


def _item_span(index: Index, source: str, item, settings: ReaderSettings) -> tuple[int, int]:
    """A list item to quote: whole when short, else its first sentence(s) up to a share of the list's room."""
    room = settings.max_list_chars // 3
    if item.end - item.start <= room:
        return item.start, item.end
    sids = [i for i in _source_sentences(index, source) if item.start <= index.sentences[i].start < item.end]
    end = index.sentences[sids[0]].end if sids else item.end
    for i in sids[1:]:
        if index.sentences[i].end - item.start > room:
            break
        end = index.sentences[i].end
    if end - item.start > settings.max_answer_chars:
        first = index.sentences[sids[0]] if sids else Sentence(source, item.start, item.end,
                                                               index.documents[source].text[item.start:item.end])
        return _trim_long(index, first, [], room)
    return item.start, end


def _source_sentences(index: Index, source: str) -> list[int]:
    return index.cached(("source_sentences", source),
                        lambda: [i for i, s in enumerate(index.sentences) if s.source == source])


def _window_terms(index: Index, sid: int) -> set[str]:
    """Terms of a sentence, its neighbours in the same document, its section heading and the document's title."""
    def compute() -> set[str]:
        s = index.sentences[sid]
        out = _title_terms(index, s.source) | _sentence_terms(index, sid) | _section_terms(index, sid)
        for nb in (sid - 1, sid + 1):
            if 0 <= nb < len(index.sentences) and index.sentences[nb].source == s.source:
                out |= _sentence_terms(index, nb)
        return out

    return index.cached(("window", sid), compute)


def _section_terms(index: Index, sid: int) -> set[str]:
    """Terms of the heading a sentence sits under and, for a list item, of what introduces the list:
    context for what it says ("Amazon: Recrute…" is one of "Les entreprises qui embauchent…")."""
    def compute() -> set[str]:
        s = index.sentences[sid]
        layout = structure_of(index, s.source)
        text = index.documents[s.source].text
        heading = layout.section_of(s.start)
        said = text[heading.start:heading.end] if heading else ""
        # The document's title already counts for every sentence (see _window_terms).
        out = set(analyze(said)) if said and said != index.documents[s.source].title else set()
        block = layout.list_holding(s.start, s.end)
        if block is not None and not block.intro.start <= s.start < block.intro.end:
            out |= _intro_terms(index, s.source, block)
        return out
    return index.cached(("section", sid), compute)


def _intro_terms(index: Index, source: str, block: ListBlock, paragraph: bool = False) -> set[str]:
    """Terms of a list's introduction and of the sentences before it up to their heading (at most
    three): "L'essor de l'IA générative a modifié les exigences en matière de compétences … Ceci inclus:"."""
    text = index.documents[source].text
    out = set(analyze(text[block.intro.start:block.intro.end]))
    sids = _source_sentences(index, source)
    starts = [index.sentences[i].start for i in sids]
    k = bisect.bisect_left(starts, block.intro.start) - 1
    start = block.intro.start
    for j in range(k, max(k - 3, -1), -1):
        prev = index.sentences[sids[j]]
        if is_heading(prev.text) or (paragraph and "\n" in text[prev.end:start]):
            break  # (with `paragraph`, the introduction's own paragraph only)
        out |= _sentence_terms(index, sids[j])
        start = prev.start
    return out


def _citation(index: Index, n: int, source: str, start: int, end: int, hit: Hit, score: float,
              short: tuple[int, int] | None = None) -> Citation:
    doc = index.documents[source]
    chunk = hit.chunk
    if chunk.source != source or not (chunk.start <= end and chunk.end >= start):
        p_start, p_end = start, end
    else:
        p_start, p_end = min(chunk.start, start), max(chunk.end, end)
    return Citation(n=n, source=source, title=doc.title, chunk_id=chunk.chunk_id, start=start, end=end,
                    quote=doc.text[start:end], passage=doc.text[p_start:p_end], passage_start=p_start,
                    passage_end=p_end, score=round(float(score), 4), page=doc.page_at(start),
                    answer_start=short[0] if short else None, answer_end=short[1] if short else None)


def _nearest(index: Index, hits: list[Hit], candidates: dict[int, _Candidate]) -> list[Citation]:
    """Each retrieved passage with its best sentence, for the user to judge."""
    out = []
    for rank, hit in enumerate(hits):
        sids = [s for s in index.chunk_sentences[hit.row] if s in candidates]
        if sids:
            sid = max(sids, key=lambda s: candidates[s].score)
            s = index.sentences[sid]
            start, end = s.start, s.end
        else:
            start, end = hit.chunk.start, hit.chunk.end
        out.append(_citation(index, rank + 1, hit.chunk.source, start, end, hit, hit.score))
    return out
