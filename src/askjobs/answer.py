"""Hits → an extractive Answer: verbatim sentences with exact citations, or a refusal."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .index import Index
from .schema import Answer, Citation, Hit, Sentence
from .text import analyze, is_heading, normalize

NOT_FOUND = "Je n'ai pas trouvé la réponse dans les documents."

# Sentence ranking weights. Tuned on PIAF (French questions written by other
# people, see `askjobs bench squad`), not on askjobs' own eval set.
W_COSINE = 10.0  # e5 cosine between question and sentence
W_LEXICAL = 1.5  # IDF-weighted share of question terms in the sentence
W_CONTEXT = 0.5  # ... in the sentence, its neighbours and its document title
W_PASSAGE = 0.5  # how high the sentence's passage was retrieved
W_TYPE = 0.4  # the sentence holds what the question asks for (number, date, name)

# Answer-type cues: what kind of token a question asks for.
_ASKS_NUMBER = re.compile(
    r"\bcombien\b|\bquel(?:le)?s?\s+(?:est|sont|était|a été)?\s*(?:le|la|les|l')?\s*"
    r"(?:pourcentage|salaire|montant|nombre|taux|prix|chiffre|part|proportion|somme|budget|co[uû]t|"
    r"r[ée]mun[ée]ration|fourchette|valeur|taille|population|superficie|hausse|baisse|augmentation)"
    r"|\bà combien\b|\bquelle part\b|\bde combien\b"
)
_ASKS_DATE = re.compile(
    r"\bquand\b|\ben quelle ann[ée]e\b|\bquelle (?:date|ann[ée]e|[ée]poque|p[ée]riode)\b|\bdepuis quand\b|\bà quelle date\b"
)
_ASKS_NAME = re.compile(
    r"^\W*qui\b|\bquel(?:le)?s?\s+(?:est|sont)?\s*(?:la|le|les|l')?\s*(?:entreprise|soci[ée]t[ée]|organisation|"
    r"personne|auteur|pays|ville|groupe|institution|organisme|marque)"
)
_HAS_NUMBER = re.compile(r"\d")
_HAS_DATE = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b|\b(?:janvier|février|mars|avril|mai|juin|juillet|août|"
                       r"septembre|octobre|novembre|décembre)\b", re.IGNORECASE)
_HAS_NAME = re.compile(r"(?<=\S\s)[A-ZÀ-Þ][\w'’-]+")
_KEY_TOKEN = re.compile(r"(?<=\S\s)[A-ZÀ-Þ][\w-]+|\b\w*\d\w*\b|\b[A-ZÀ-Þ]{2,}\b")


@dataclass(frozen=True)
class ReaderSettings:
    top_k: int = 5
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


def answer_question(question: str, qvec: np.ndarray, hits: list[Hit], index: Index,
                    settings: ReaderSettings) -> Answer:
    """Pick the sentence(s) that answer the question from the hits, or refuse."""
    terms = list(dict.fromkeys(analyze(question)))
    weights = {t: index.idf(t) for t in terms}
    total_weight = sum(weights.values()) or 1.0
    qtype = _question_type(question)

    candidates = _score_sentences(index, hits, qvec, terms, weights, total_weight, qtype)
    nearest = tuple(_nearest(index, hits, candidates))
    if not candidates:
        return Answer(question, NOT_FOUND, False, 0.0, (), nearest)

    best = max(candidates.values(), key=lambda c: (c.score, -c.sid))
    span = _answer_span(index, best, candidates, terms, settings.max_answer_chars)
    confidence = _confidence(question, index, hits, best, span, terms, weights, total_weight)
    if confidence < settings.refusal_threshold:
        return Answer(question, NOT_FOUND, False, confidence, (), nearest)

    start, end, source = span
    hit = hits[best.hit_rank]
    citation = _citation(index, 1, source, start, end, hit, best.score)
    return Answer(question, citation.quote, True, confidence, (citation,), nearest)


def _question_type(question: str) -> str | None:
    q = normalize(question)
    if _ASKS_DATE.search(q):
        return "date"
    if _ASKS_NUMBER.search(q):
        return "number"
    if _ASKS_NAME.search(q):
        return "name"
    return None


def _matches_type(text: str, qtype: str | None) -> float:
    if qtype is None:
        return 0.0
    pattern = {"number": _HAS_NUMBER, "date": _HAS_DATE, "name": _HAS_NAME}[qtype]
    return 1.0 if pattern.search(text) else 0.0


def _coverage(found: set[str], terms: list[str], weights: dict[str, float], total: float) -> float:
    return sum(weights[t] for t in terms if t in found) / total


def _sentence_terms(index: Index, sid: int) -> set[str]:
    cache = index._sentence_index
    if sid not in cache:
        cache[sid] = set(analyze(index.sentences[sid].text))
    return cache[sid]


def _score_sentences(index, hits, qvec, terms, weights, total, qtype) -> dict[int, _Candidate]:
    out: dict[int, _Candidate] = {}
    top = hits[0].score if hits else 1.0
    for rank, hit in enumerate(hits):
        title_terms = set(analyze(index.documents[hit.chunk.source].title))
        sids = index.chunk_sentences[hit.row]
        if not sids:
            continue
        cosines = index.sentence_vectors[sids] @ qvec
        for sid, cos in zip(sids, cosines):
            if sid in out:
                continue
            sentence = index.sentences[sid]
            if is_heading(sentence.text):
                continue
            own = _sentence_terms(index, sid)
            window = set(own) | title_terms
            for nb in (sid - 1, sid + 1):
                if 0 <= nb < len(index.sentences) and index.sentences[nb].source == sentence.source:
                    window |= _sentence_terms(index, nb)
            lexical = _coverage(own, terms, weights, total)
            context = _coverage(window, terms, weights, total)
            score = (W_COSINE * float(cos) + W_LEXICAL * lexical + W_CONTEXT * context
                     + W_PASSAGE * hit.score / top + W_TYPE * _matches_type(sentence.text, qtype))
            out[sid] = _Candidate(sid, score, float(cos), lexical, context, rank)
    return out


def _answer_span(index: Index, best: _Candidate, candidates: dict[int, _Candidate], terms: list[str],
                 max_chars: int) -> tuple[int, int, str]:
    """The best sentence, joined with a neighbour when it completes the answer (≤ 2 sentences)."""
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
        # A sentence announcing a list ("… incluent:") or a very short one needs its follower.
        needs_next = nb == best.sid + 1 and (s.text.rstrip().endswith(":") or len(s.text) < 60)
        if needs_next or (adds_terms and close):
            options.append((needs_next, candidates.get(nb, best).score if nb in candidates else -1e9, n))
    if options:
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


def _confidence(question, index, hits, best, span, terms, weights, total) -> float:
    """How sure askjobs is that the quoted span answers the question, in [0, 1]."""
    start, end, source = span
    doc = index.documents[source]
    quoted_terms = set(analyze(doc.text[start:end]))
    near = _coverage(quoted_terms | set(analyze(doc.title)), terms, weights, total)
    context = max(near, best.context)
    semantic = min(max((best.cosine - 0.78) / 0.12, 0.0), 1.0)
    conf = 0.5 * semantic + 0.5 * context
    # Names and numbers in the question that the passages never mention: likely a near miss
    # ("... en France ?" over documents about the United States).
    passages = set()
    for h in hits:
        passages |= set(analyze(h.chunk.text)) | set(analyze(index.documents[h.chunk.source].title))
    keys = {k for tok in _KEY_TOKEN.findall(question.strip()) for k in analyze(tok)}
    keys |= {t for t in terms if index.term_df.get(t, 0) == 0}  # words the corpus never uses
    missing = [k for k in keys if k not in passages]
    if missing:
        conf *= 0.5 ** len(missing)
    return float(min(max(conf, 0.0), 1.0))


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
