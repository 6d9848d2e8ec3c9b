"""Hits → an extractive Answer: verbatim sentences with exact citations, or a refusal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np

from .about import DocumentAnswer, answer_about_document
from .index import Index
from .query import Query, names_in
from .retrieve import Retrieval
from .schema import Answer, Citation, Hit, Sentence
from .text import MONTHS, analyze, is_heading

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

# Answer-side cues: does a sentence hold the kind of token the question asks for.
_NUMBER_WORDS = (r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|"
                 r"quarante|cinquante|soixante|cent|cents|mille|millions?|milliards?|dizaines?|centaines?|"
                 r"milliers?|moitié|tiers|quart|double|triple)")
_HAS_NUMBER = re.compile(r"\d|\b" + _NUMBER_WORDS + r"\b(?!-)", re.IGNORECASE)
_HAS_DATE = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b|\b(?:" + "|".join(MONTHS) + r")\b"
                       r"|\b(?:\d+|" + _NUMBER_WORDS + r")\s+(?:ans?|années?|mois|semaines?|jours?|siècles?|décennies?)\b",
                       re.IGNORECASE)
_HAS_MONEY = re.compile(r"[$€£¥]|%|\b(?:euros?|dollars?|francs?|livres?|yens?|k€|M€|Md€)\b", re.IGNORECASE)


_QUANTITIES = ("number", "amount", "date")  # answer types a heading or a following sentence may hold


@dataclass(frozen=True)
class ReaderSettings:
    refusal_threshold: float = 0.5
    max_answer_chars: int = 400


@dataclass
class _Candidate:
    sid: int
    score: float
    cosine: float
    lexical: float
    context: float
    hit_rank: int


def read(query: Query, retrieval: Retrieval, index: Index, settings: ReaderSettings) -> Answer:
    """Pick the sentence(s) that answer the query from the retrieved passages, or refuse."""
    hits, qvec = list(retrieval.hits), retrieval.qvec
    candidates = _score_sentences(index, hits, query, qvec)
    nearest = tuple(_nearest(index, hits, candidates))
    refuse = partial(Answer, query.text, NOT_FOUND, False, nearest=nearest, form="refusal", query=query.to_dict())
    if not candidates:
        return refuse(0.0)
    if query.about_document is not None:
        found = answer_about_document(query.about_document, hits, index)
        # No byline: "l'auteur de l'article" may be an article the text cites ("L'universitaire X
        # indique…"), so the ordinary reader looks, and its name check refuses when none is given.
        if found.start is not None or query.about_document != "author":
            return _answer_about_document(query, found, hits, index, settings, nearest, refuse)

    best = max(candidates.values(), key=lambda c: (c.score, -c.sid))
    span = _answer_span(index, best, candidates, query, settings.max_answer_chars)
    confidence = _confidence(query, index, hits, best, span)
    if confidence < settings.refusal_threshold:
        return refuse(confidence)

    start, end, source = span
    hit = hits[best.hit_rank]
    citation = _citation(index, 1, source, start, end, hit, best.score)
    return Answer(query.text, citation.quote, True, confidence, (citation,), nearest, query=query.to_dict())


def _answer_about_document(query: Query, found: DocumentAnswer, hits: list[Hit], index: Index,
                           settings: ReaderSettings, nearest: tuple[Citation, ...], refuse) -> Answer:
    """The date line, byline or opening sentence of the document meant, or a refusal when it states none."""
    if found.start is None or found.confidence < settings.refusal_threshold:
        return refuse(found.confidence if found.start is not None else 0.0)
    start, end = found.start, found.end
    if end - start > settings.max_answer_chars:  # a long opening sentence: its first clauses
        start, end = _trim_long(index, Sentence(found.source, start, end, index.documents[found.source].text[start:end]),
                                [], settings.max_answer_chars)
    hit = next(h for h in hits if h.chunk.source == found.source)
    citation = _citation(index, 1, found.source, start, end, hit, found.confidence)
    return Answer(query.text, citation.quote, True, found.confidence, (citation,), nearest, form="document",
                  query=query.to_dict())


def _matches_type(text: str, qtype: str | None, asked_names: frozenset = frozenset(),
                  common: frozenset = frozenset()) -> float:
    if qtype is None:
        return 0.0
    if qtype == "name":
        # A name the question does not already contain, and not the corpus' own topic ("IA").
        new = {n for n in names_in(text) - asked_names if not set(analyze(n)) <= common}
        return 1.0 if new else 0.0
    pattern = {"number": _HAS_NUMBER, "amount": _HAS_MONEY, "date": _HAS_DATE}[qtype]
    return 1.0 if pattern.search(text) else 0.0


def _common_terms(index: Index) -> frozenset:
    """Terms found in over a third of the passages: the corpus' topic, not an answer."""
    n = max(len(index.chunks), 1)
    return index.cached(("common",), lambda: frozenset(t for t, df in index.term_df.items() if df > n / 3))


def _coverage(found: set[str], terms: list[str], weights: dict[str, float], total: float) -> float:
    return sum(weights[t] for t in terms if t in found) / total


def _sentence_terms(index: Index, sid: int) -> set[str]:
    return index.cached(("sentence", sid), lambda: set(analyze(index.sentences[sid].text)))


def _title_terms(index: Index, source: str) -> set[str]:
    return index.cached(("title", source), lambda: set(analyze(index.documents[source].title)))


def _passage_terms(index: Index, hit: Hit) -> set[str]:
    """A retrieved passage's terms, with its document title's."""
    return index.cached(("chunk", hit.row),
                 lambda: set(analyze(hit.chunk.text)) | _title_terms(index, hit.chunk.source))


def _score_sentences(index: Index, hits: list[Hit], query: Query, qvec: np.ndarray) -> dict[int, _Candidate]:
    terms, weights, total, qtype = query.terms, query.weights, query.total_weight, query.answer_type
    out: dict[int, _Candidate] = {}
    top = hits[0].score if hits else 1.0
    for rank, hit in enumerate(hits):
        sids = index.chunk_sentences[hit.row]
        if not sids:
            continue
        cosines = index.sentence_vectors[sids] @ qvec
        for sid, cos in zip(sids, cosines):
            if sid in out:
                continue
            sentence = index.sentences[sid]
            typed = _matches_type(sentence.text, qtype, query.constraints.names, _common_terms(index))
            heading = is_heading(sentence.text) and not (typed and qtype in _QUANTITIES)
            own = _sentence_terms(index, sid)
            if _continues_previous(index, sid):
                # "Leur fourchette de salaire…" speaks of the previous sentence's subject: the two
                # are read as one unit, for words and for meaning.
                own = own | _sentence_terms(index, sid - 1)
                cos = max(float(cos), float(index.sentence_vectors[sid - 1] @ qvec))
            window = _window_terms(index, sid)
            lexical = _coverage(own, terms, weights, total)
            phrase = _phrase_overlap(index, sid, terms)
            context = _coverage(window, terms, weights, total)
            score = (W_COSINE * float(cos) + W_LEXICAL * lexical + W_CONTEXT * context + W_PHRASE * phrase
                     + W_PASSAGE * hit.score / top + W_TYPE * typed + W_HEADING * heading)
            out[sid] = _Candidate(sid, score, float(cos), lexical, context, rank)
    return out


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
        if n.source != s.source or is_heading(n.text):
            continue
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
        completes = nb == best.sid + 1 and qtype in _QUANTITIES and not _matches_type(s.text, qtype) \
            and bool(_matches_type(n.text, qtype)) and nb in candidates
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
                span: tuple[int, int, str]) -> float:
    """How sure askjobs is that the quoted span answers the question, in [0, 1].

    Half semantic (e5 cosine of the best sentence, mapped from [0.80, 0.92]),
    half lexical (IDF-weighted share of the question's terms found in the quote,
    its neighbours or its document title), then cut for each sign of a near
    miss: a name or number of the question absent from every retrieved passage
    ("... en France ?" over documents about the United States), or a question
    asking for a number, a date or a name answered by a quote holding none.
    """
    terms, qtype = query.terms, query.answer_type
    start, end, source = span
    doc = index.documents[source]
    quote = doc.text[start:end]
    # Words the corpus never uses weigh like the rarest known word: a paraphrase
    # ("gagne" for "salaire") should cost coverage, not sink it.
    capped = {t: min(w, index.idf_df(1)) for t, w in query.weights.items()}
    total = sum(capped.values()) or 1.0
    near = _coverage(set(analyze(quote)) | _title_terms(index, source), terms, capped, total)
    window = _coverage(_window_terms(index, best.sid), terms, capped, total)
    lexical = max(near, window)
    semantic = min(max((best.cosine - 0.80) / 0.12, 0.0), 1.0)
    conf = 0.5 * semantic + 0.5 * lexical
    passages = set().union(*(_passage_terms(index, h) for h in hits))
    for token in query.constraints.key_tokens:
        if any(k not in passages for k in analyze(token)):
            # A proper noun ("France") seldom has another spelling in the text; an acronym
            # ("USA" for "États-Unis") or a number may well have one, so it costs less.
            conf *= 0.35 if token[1:].islower() else 0.5
    if qtype is not None and not _matches_type(quote, qtype, query.constraints.names, _common_terms(index)):
        conf *= 0.35
    return float(min(max(conf, 0.0), 1.0))


def _window_terms(index: Index, sid: int) -> set[str]:
    """Terms of a sentence, its neighbours in the same document, and the document's title."""
    s = index.sentences[sid]
    out = _title_terms(index, s.source) | _sentence_terms(index, sid)
    for nb in (sid - 1, sid + 1):
        if 0 <= nb < len(index.sentences) and index.sentences[nb].source == s.source:
            out |= _sentence_terms(index, nb)
    return out


def _citation(index: Index, n: int, source: str, start: int, end: int, hit: Hit, score: float) -> Citation:
    doc = index.documents[source]
    chunk = hit.chunk
    if chunk.source != source or not (chunk.start <= end and chunk.end >= start):
        p_start, p_end = start, end
    else:
        p_start, p_end = min(chunk.start, start), max(chunk.end, end)
    return Citation(n=n, source=source, title=doc.title, chunk_id=chunk.chunk_id, start=start, end=end,
                    quote=doc.text[start:end], passage=doc.text[p_start:p_end], passage_start=p_start,
                    passage_end=p_end, score=round(float(score), 4), page=doc.page_at(start))


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
