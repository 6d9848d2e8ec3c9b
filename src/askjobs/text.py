"""French text handling shared by every stage: normalisation, sentences, lexical analysis."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache, wraps
from pathlib import Path

from .schema import Span

# --- Sentence boundaries -----------------------------------------------------
# One definition serves the chunker (as a langchain separator) and the reader.
# A boundary is the whitespace after . ! ? … (optionally closed by a quote or a
# parenthesis) when an upper-case letter, a digit or an opening quote follows,
# except after common French abbreviations and single initials ("M. Dupont",
# "J. Martin"). Run-on sentences glued without a space ("stocks.Ces") are
# split too, because real web text has them.
_ABBREVIATIONS = (
    "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "Drs", "Pr", "Me", "Mgr",
    "St", "Ste", "cf", "Cf", "p", "pp", "ex", "Ex", "av", "apr", "env", "vol",
    "chap", "fig", "art", "éd", "coll", "Cie", "réf", "min", "max", "tél", "Tél",
)
_NOT_ABBREV = "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS)
_UPPER = "A-ZÀ-ÖØ-ÞŒ"
_LOWER = "a-zß-öø-ÿœ"
SENTENCE_BOUNDARY = (
    rf"(?:(?<=[.!?…]){_NOT_ABBREV}(?<!\b[{_UPPER}]\.)|(?<=[.!?…][»\"”)\]])|(?<=[.!?…][\s\u202f\u00a0]»))"
    rf"\s+(?=[«\"“(\[]?\s?[{_UPPER}0-9])"
    rf"|(?<=[{_LOWER}%)][.!?])(?=[{_UPPER}][{_LOWER}])"
)
# A run of more than this many characters without a space is no word (a hash, base64, a glued
# table): the chunker gives it one passage of its own and the ingester refuses files made of them.
MAX_WORD_CHARS = 200
LONG_WORD = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}")
# Where a line may be cut between words: never inside "157 000 $" or "25,2 %".
WORD_BOUNDARY = r"\s+(?!\d{3}(?!\d))(?![$€£%‰])"
_SENTENCE_RE = re.compile(SENTENCE_BOUNDARY)
_TERMINAL = tuple(".!?…:;»\"”)")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    line_start = start
    while line_start < end:
        nl = text.find("\n", line_start, end)
        line_end = end if nl == -1 else nl
        cursor = line_start
        for m in _SENTENCE_RE.finditer(text, line_start, line_end):
            _append_trimmed(text, cursor, m.start(), spans)
            cursor = m.end()
        _append_trimmed(text, cursor, line_end, spans)
        line_start = line_end + 1
    return spans


# No sentence is longer than this: a longer run (text without punctuation, or one enormous "word")
# is cut at the last space before the limit, else at the limit, so every later stage (embedding,
# the reader, quotes) works on a bounded span. Real French sentences are far shorter.
MAX_SENTENCE_CHARS = 2000


def _append_trimmed(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE_CHARS:
        cut = start + MAX_SENTENCE_CHARS
        space = max(text.rfind(" ", start + 1, cut), text.rfind("\t", start + 1, cut))
        piece_end = space if space > start else cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        out.append(Span(start, piece_end))
        start = piece_end
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append(Span(start, end))


# The reader normalises and analyses the same short texts (a sentence, a name, a heading) for every
# question it reads them for; a bounded cache of short texts answers those at once. Longer texts
# (passages at build) are worked on afresh: the caches must not hold megabytes.
_CACHED_CHARS = 600


def short_text_cache(limit: int = _CACHED_CHARS, maxsize: int = 16384):
    """Cache a function of a text (and more hashable arguments) for texts of at most `limit` characters."""
    def wrap(fn):
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(text: str, *args):
            return cached(text, *args) if len(text) <= limit else fn(text, *args)
        return call
    return wrap


@short_text_cache()  # the reader asks it of the same sentences several times for each question
def is_heading(sentence: str) -> bool:
    """A short line without final punctuation: a title, not an answer."""
    s = sentence.strip()
    return bool(s) and not s.endswith(_TERMINAL) and len(s.split()) <= 14


# --- Dates ---------------------------------------------------------------------------
MONTHS = {m: i for i, m in enumerate(
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
     "septembre", "octobre", "novembre", "décembre"], start=1)}
FRENCH_DATE = re.compile(
    r"\b(1er|[12]\d|3[01]|0?[1-9])\s+(" + "|".join(MONTHS) + r")\s+((?:19|20)\d\d)\b", re.IGNORECASE)


_DATE_LINE = re.compile(r"^\s*(publié|mis à jour|modifié|date)\b", re.IGNORECASE)


def is_date_line(line: str) -> bool:
    """"Publié le 2 mars 2025", "Mis à jour : …", or a short line holding a date: not a title or a lead."""
    return bool(_DATE_LINE.match(line) or (FRENCH_DATE.search(line) and len(line.strip()) < 40))


def head_date(text: str, head_chars: int = 400) -> re.Match | None:
    """The first full French date ("2 mars 2025") near the top of a text: its publication date."""
    return FRENCH_DATE.search(text[:head_chars])


# --- Normalisation ---------------------------------------------------------------
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
                              "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
                              "«": '"', "»": '"', "“": '"', "”": '"'})


@short_text_cache()
def normalize(text: str) -> str:
    """The one normalisation for documents and questions: NFC, lower case, plain quotes and spaces."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES).lower()


class _WithoutMarks(dict):
    """str.translate's table for strip_accents: each character maps to itself, or to nothing when it is a
    combining mark (Unicode category Mn), decided the first time the character is met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()


def strip_accents(text: str) -> str:
    """The text decomposed (NFD) without its combining marks: "Élève" → "Eleve"."""
    if text.isascii():
        return text  # nothing to decompose, no mark to drop
    return unicodedata.normalize("NFD", text).translate(_WITHOUT_MARKS)


# --- Lexical analysis (BM25 and the reader's term overlap) ----------------------
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_FRENCH

    extra = {"quel", "quelle", "quels", "quelles", "qui", "que", "quoi", "où", "quand",
             "comment", "combien", "pourquoi", "est", "sont", "ce", "cette", "ces", "il",
             "elle", "ils", "elles", "on", "selon", "fait", "faire", "peut", "doit",
             "d", "l", "s", "c", "j", "n", "m", "t", "qu", "y", "a",
             # Function words Snowball's list lacks ("entre 2021 et 2025" is no answer to "entre-t-elle").
             # Words that carry meaning in a question stay: plus, moins, sans, avant, après, depuis.
             "entre", "vers", "chez", "sous", "parmi", "comme", "ainsi", "donc", "alors", "dont", "lors",
             "encore", "déjà", "très", "tout", "tous", "toute", "toutes", "autre", "autres", "chaque",
             "plusieurs", "certains", "certaines", "cela", "ceci", "ça", "celui", "celle", "ceux", "celles",
             "lequel", "laquelle", "lesquels", "lesquelles", "cet", "leurs", "si", "où", "aussi", "bien",
             "tel", "telle", "tels", "telles", "quoi", "chez", "afin", "car", "puis", "ni"}
    return frozenset(strip_accents(w) for w in set(STOPWORDS_FRENCH) | extra) | frozenset(STOPWORDS_FRENCH) | frozenset(extra)


# Recorded in the index manifest: an index analysed another way must be rebuilt.
ANALYZER = "fr: more stop words, simplemma lemmas (participles as their verb), then Snowball stems, accents and ligatures folded, glued words split (v5)"


# The masculine past participle of an -ir / -re verb is often in simplemma's dictionary as an adjective or a
# noun of its own ("découvert", "écrit", "produit"), while its feminine is read as the verb ("découverte" →
# "découvrir"): "a-t-on découvert l'île" and "l'île a été découverte" must share their term.
_PARTICIPLE_END = re.compile(r"(?:ert|it|is|us|u|i|int)$")
_VERB_END = re.compile(r"(?:ir|re|oir)$")


@lru_cache(maxsize=1)
def _lemmatizer():
    import simplemma

    @lru_cache(maxsize=200_000)
    def lemma(word: str) -> str:
        found = simplemma.lemmatize(word, lang="fr")
        # The masculine singular the word may be a form of ("découvertes" → "découvert").
        masculine = word[:-1] if word.endswith("s") else word
        masculine = masculine[:-1] if masculine.endswith("e") and _PARTICIPLE_END.search(masculine[:-1]) else masculine
        # (Only when simplemma reads the word as that masculine: "entreprise" is a noun of its own, not "entrepris".)
        if found == masculine and _PARTICIPLE_END.search(masculine):
            for form in (masculine, masculine + "e"):
                verb = simplemma.lemmatize(form, lang="fr")
                if verb != form and _VERB_END.search(verb) and verb[:3] == masculine[:3]:
                    return verb
        return found

    return lemma


MAX_TERM_CHARS = 64
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu)'")


@lru_cache(maxsize=50_000)
def is_french_word(word: str) -> bool:
    """A word of the French dictionary ("intelligence", "embauche"), not a name ("Tesla", "Forbes")."""
    import simplemma

    word = _ELISION.sub("", normalize(word))
    # simplemma's dictionary has few adverbs in -ment: "concrètement" is French as "concrète" is.
    return simplemma.is_known(word, lang="fr") or (
        word.endswith("ment") and len(word) > 7 and simplemma.is_known(word[:-4], lang="fr"))


def load_lexicon(cache_dir: Path | None = None) -> None:
    """Load the French lemma dictionary and word frequencies now, with the index, not on the first question.

    With `cache_dir`, simplemma's French dictionary is read from a copy kept there (see _simplemma_from_cache).
    """
    if cache_dir is not None:
        _simplemma_from_cache(cache_dir)
    _lemmatizer()("emplois")
    _word_frequencies()


LEXICON_CACHE_FORMAT = 1
_SIMPLEMMA_LOADING = threading.Lock()


def _simplemma_from_cache(cache_dir: Path) -> None:
    """Give simplemma its French dictionary from a copy in `cache_dir`, written the first time.

    simplemma ships its dictionaries front-coded and lzma-compressed and decodes the 250 000 French
    entries in Python: 0.16 s of CPU holding the GIL at every cold start. The copy holds the decoded
    keys and values as two NUL-separated blocks, read back in 0.07 s into the same dict (same entries,
    same order). It is named after simplemma's version and checked against the size and time of its data
    file, so another simplemma rewrites it. Without simplemma's loader (another version), or when the
    folder cannot be written, simplemma loads its dictionary itself as before.
    """
    try:
        import simplemma
        from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY
        from simplemma.strategies.dictionaries import dictionary_factory as factory

        stat = (factory.DATA_FOLDER / "fr.plzma").stat()
        factory._load_dictionary_from_disk  # noqa: B018  the loader replaced below, in this version
    except (ImportError, AttributeError, OSError):
        return
    stamp = {"format": LEXICON_CACHE_FORMAT, "simplemma": simplemma.__version__, "source_bytes": stat.st_size,
             "source_mtime_ns": stat.st_mtime_ns}
    path = cache_dir / f"simplemma-{simplemma.__version__}-fr.bin"
    # simplemma's process-wide factory keeps the first dictionary it is given: ours, the one time it loads.
    with _SIMPLEMMA_LOADING:  # two indexes loading at once must not restore each other's loader
        decode = factory._load_dictionary_from_disk

        def load(lang: str) -> dict[bytes, bytes]:
            if lang != "fr":
                return decode(lang)
            return read_dictionary_copy(path, stamp) or write_dictionary_copy(path, stamp, decode(lang))

        factory._load_dictionary_from_disk = load
        try:
            DEFAULT_DICTIONARY_FACTORY.get_dictionary("fr")
        finally:
            factory._load_dictionary_from_disk = decode


def read_dictionary_copy(path: Path, stamp: dict) -> dict[bytes, bytes] | None:
    """The dictionary written by write_dictionary_copy, or None when missing, stale or damaged."""
    import json
    import zlib

    try:
        head, _, body = path.read_bytes().partition(b"\n")
        header = json.loads(head)
        if {k: header.get(k) for k in stamp} != stamp or header.get("crc32") != zlib.crc32(body):
            return None
        keys, values = body[:header["keys_bytes"]].split(b"\0"), body[header["keys_bytes"]:].split(b"\0")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not len(keys) == len(values) == header.get("entries"):
        return None
    return dict(zip(keys, values))


def write_dictionary_copy(path: Path, stamp: dict, dictionary: dict[bytes, bytes]) -> dict[bytes, bytes]:
    """Write the copy read_dictionary_copy reads (atomically; skipped if the folder cannot be written)."""
    import json
    import os
    import zlib

    if not dictionary or any(b"\0" in k or b"\0" in v for k, v in dictionary.items()):
        return dictionary  # NUL separates the entries: such a dictionary is not copied
    keys, values = b"\0".join(dictionary), b"\0".join(dictionary.values())
    header = {**stamp, "entries": len(dictionary), "keys_bytes": len(keys), "crc32": zlib.crc32(keys + values)}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(json.dumps(header).encode("utf-8") + b"\n" + keys + values)
        os.replace(tmp, path)
    except OSError:  # a read-only folder, a full disk: simplemma decodes its own next time too
        try:
            tmp.unlink()
        except OSError:
            pass
    return dictionary


# --- Words glued together by scraping ----------------------------------------------
# Web text loses spaces at markup boundaries: "Voiciquelques règles simplesà respecter",
# "nejamais répondreà un spam", "de la police nationaleInfo-escroqueries", "Non,la CNIL".
# unglue() puts the spaces back for analysis and embedding only; the stored text and every
# offset stay as in the file. A letter run is split only when wordfreq's French list does not
# know it and two or three words it knows well make it up exactly.
_LETTERS = f"{_UPPER}{_LOWER}"
_GLUED_PUNCT = re.compile(rf"(?<=[{_LETTERS}\s])([,;:?!])(?=[{_LETTERS}])|(?<=[{_LOWER}])(\.)(?=[{_UPPER}][{_LOWER}])")
_LETTER_RUN = re.compile(rf"[{_LETTERS}]{{5,}}")
_CAMEL = re.compile(rf"(?<=[{_LOWER}])(?=[{_UPPER}])")
_MIN_ZIPF = 3.5  # a glued piece must be a common word ("guides" 3.8, "simples" 4.5, "site" 5.5)
_MIN_CONTENT_LETTERS = 4  # ... of four letters or more, unless it is a function word ("une", "de", "à")
_MIN_ZIPF_NAME_LIKE = 5.0  # in a capitalised run, unless a function word is among them ("Voici" 5.1 "quelques" 5.8)
_ONE_LETTER_WORDS = "aày"  # French's one-letter words; other letters are elisions, never glued alone
_MAX_PIECES = 3


@lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, float]:
    """wordfreq's French list: word → zipf frequency (log10 of uses per billion words).

    Read from wordfreq's data file without importing wordfreq: its import compiles some 400 regular
    expressions for tokenisers askjobs never calls (0.15 s of CPU, half of this list's load, on every
    cold start). The values are those of `get_frequency_dict("fr", wordlist="best")` bit for bit
    (tests/test_coldstart.py compares the two): same file, same arithmetic per frequency band.
    """
    import gzip
    import math
    from importlib.util import find_spec

    import msgpack  # wordfreq's own dependency

    spec = find_spec("wordfreq")  # finds the package, runs none of it
    data = Path(next(iter(spec.submodule_search_locations or ()), "")) / "data" if spec else None
    # wordlist="best": the large list when wordfreq ships one for French, else the small one.
    path = next((p for p in (data / "large_fr.msgpack.gz", data / "small_fr.msgpack.gz") if p.is_file()),
                None) if data else None
    if path is None:  # another layout: let wordfreq find its list
        from wordfreq import get_frequency_dict

        return {w: math.log10(f) + 9 for w, f in get_frequency_dict("fr", wordlist="best").items()}
    with gzip.open(path, "rb") as f:
        header, *bands = msgpack.load(f, raw=False)
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        raise ValueError(f"Liste de fréquences de wordfreq illisible ({path}) : en-tête {header!r} inattendu ; "
                         "réinstallez wordfreq (`make setup`).")
    zipf: dict[str, float] = {}
    for index, words in enumerate(bands):  # band i holds the words of frequency 10 ** (-i / 100)
        zipf.update(dict.fromkeys(words, math.log10(10 ** (-index / 100)) + 9))  # 0.04 s less than word by word
    return zipf


def _zipf(word: str) -> float:
    return _word_frequencies().get(word, 0.0)


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_FRENCH

    return frozenset(w for w in STOPWORDS_FRENCH if len(w) > 1 or w in _ONE_LETTER_WORDS)


def _piece_ok(piece: str) -> bool:
    return piece in _function_words() or (len(piece) >= _MIN_CONTENT_LETTERS and _zipf(piece) >= _MIN_ZIPF)


def _known(word: str) -> bool:
    """In wordfreq's French list or simplemma's dictionary of inflected forms ("nomadisaient")."""
    import simplemma

    return _zipf(word) > 0 or simplemma.is_known(word, lang="fr")


@lru_cache(maxsize=100_000)
def _unglue_word(word: str) -> str:
    """A letter run as it should read: itself when French knows it, else the common words it is made of.

    Unknown capitalised runs are mostly names ("Chicagoland", "Batmale"): they are split only when a
    function word is among the pieces ("UnGuide", "Desguidespour") or every piece is very common
    ("Voiciquelques").
    """
    low = word.lower()
    if word.isupper() or _known(low):  # acronyms and words French knows stay whole
        return word
    parts = _CAMEL.split(word)
    if len(parts) > 1 and _piece_ok(parts[0].lower()):  # "nationaleInfo": a known word, then a capital
        return " ".join(_unglue_word(p) if len(p) >= 5 else p for p in parts)
    name_like = word[0].isupper()
    best: tuple | None = None  # (pieces, -weakest zipf, cut points)

    def search(start: int, cuts: list[int], weakest: float, function_word: bool, content_word: bool) -> None:
        nonlocal best
        if start == len(low):
            if len(cuts) < 2 or not content_word or (name_like and not function_word and weakest < _MIN_ZIPF_NAME_LIKE):
                return
            if len(cuts) == _MAX_PIECES and not function_word:
                return
            key = (len(cuts), -weakest, cuts)
            if best is None or key[:2] < best[:2]:
                best = key
            return
        if len(cuts) == _MAX_PIECES:
            return
        for end in range(start + 1, len(low) + 1):
            piece = low[start:end]
            if _piece_ok(piece):
                fw = piece in _function_words()
                search(end, cuts + [end], min(weakest, _zipf(piece)), function_word or fw, content_word or not fw)

    search(0, [], 99.0, False, False)
    if best is None:
        return word
    pieces, start = [], 0
    for end in best[2]:
        pieces.append(word[start:end])
        start = end
    return " ".join(pieces)


def unglue(text: str) -> str:
    """The text with the spaces scraping lost put back, for analysis and embedding (never for quoting)."""
    text = _GLUED_PUNCT.sub(lambda m: (m.group(1) or m.group(2)) + " ", text)
    # A run longer than any three glued words is left alone: the search over its cut points grows with
    # the square of its length, and a 5 MB "word" must not cost minutes.
    return _LETTER_RUN.sub(lambda m: _unglue_word(m.group(0)) if len(m.group(0)) <= 64 else m.group(0), text)


def analyze(text: str) -> list[str]:
    """Content terms of a French text: normalised, stop words removed, lemmatised, stemmed, accents folded.

    Snowball alone leaves many inflections apart ("gagnent"/"gagne", "emplois"/"emploi",
    "créent"/"crée"); the lemma ("gagner", "emploi", "créer") joins them before the stem
    joins derived words ("limiter"/"limité").
    """
    return list(_analyzed(text))


@short_text_cache()  # (a tuple: what the cache hands out again must not be changed by a caller)
def _analyzed(text: str) -> tuple[str, ...]:
    lemma = _lemmatizer()
    # A "word" longer than any French word (a hash, base64) is cut: analysing it whole costs time and
    # memory that grow with its length, and its tail never matches a question anyway.
    words = [w[:MAX_TERM_CHARS] for w in _TOKEN_RE.findall(normalize(unglue(text))) if w not in stopwords() and w != "_"]
    return tuple(strip_accents(s).translate(_LIGATURES) for s in _stemmer().stemWords([lemma(w) for w in words]))


# "sœur" and "soeur", "œuvre" and "oeuvre" are one word: most keyboards have no "œ".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


# --- Acronyms a document spells out ------------------------------------------------
# "L'intelligence artificielle (IA)", "le règlement général sur la protection des données (RGPD)",
# "MLOps (Machine Learning Operations)": the acronym and its words say the same thing, so a question
# about "l'intelligence artificielle" is about "IA" in a document that writes it so.
_ACRONYM_AFTER = re.compile(r"\(\s*([A-ZÀ-Þ][A-Za-zÀ-ÿ0-9]{1,9})\s*\)")
_ACRONYM_BEFORE = re.compile(r"\b([A-ZÀ-Þ][A-Za-zÀ-ÿ0-9]{1,9})\s*[»”\"]?\s*\(([^()]{3,100})\)")
_LINK_WORDS = frozenset(("de", "des", "du", "d", "la", "le", "les", "l", "et", "en", "à", "a", "au", "aux", "sur",
                         "pour", "par", "of", "the", "and", "for"))


def _initials_match(letters: str, words: list[str]) -> bool:
    content = [w for w in words if w.lower() not in _LINK_WORDS]
    return len(content) == len(letters) and all(
        strip_accents(w[0]).lower() == c for w, c in zip(content, letters))


def acronyms(text: str) -> dict[str, frozenset[str]]:
    """Acronyms a text spells out, as analysed terms: {"ia": {"intelligent", "artificiel"}, …}."""
    out: dict[str, frozenset[str]] = {}
    for m in _ACRONYM_AFTER.finditer(text):
        acr = m.group(1)
        letters = strip_accents("".join(c for c in acr if c.isupper())).lower()
        if len(letters) < 2:
            continue
        words = _TOKEN_RE.findall(text[max(0, m.start() - 200):m.start()])
        content, taken = 0, 0
        for w in reversed(words):  # back to as many content words as the acronym has capitals
            taken += 1
            content += w.lower() not in _LINK_WORDS
            if content == len(letters):
                break
        if content == len(letters) and _initials_match(letters, words[-taken:]):
            out.setdefault(analyze(acr)[0] if analyze(acr) else acr.lower(),
                           frozenset(analyze(" ".join(words[-taken:]))))
    for m in _ACRONYM_BEFORE.finditer(text):
        acr, spelled = m.group(1), m.group(2)
        letters = strip_accents("".join(c for c in acr if c.isupper())).lower()
        if len(letters) >= 2 and _initials_match(letters, _TOKEN_RE.findall(spelled)):
            key = analyze(acr)
            if key:
                out.setdefault(key[0], frozenset(analyze(spelled)))
    return out
