"""Follow-up questions: "Et pour les architectes ?", "Combien gagnent-ils ?", "Et en 2024 ?".

A follow-up leaves out what the previous question said: its subject (a role, a company), a place,
a year. `resolve_followup` rewrites it as a whole question from the previous turn — the previous
question (as it was understood) and the answer quoted for it — and records what was carried over.
When the reference could mean several things ("ils" after a question about two roles, "elle"
after an answer naming four companies), it returns the choices instead of guessing.

A follow-up with a verb of its own ("Et que cherche NVIDIA ?") is a question of its own and is left
as typed; a question word without a verb ("Et dans quels secteurs ?", "Pour quels projets ?") asks
the previous question again with that question word.

Pure functions over strings and dicts, no model: French word lists, a few patterns, and
simplemma lemmas to recognise role nouns in their plural forms and verbs by their inflection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .text import is_french_word, normalize, stopwords, strip_accents

# Nouns naming the people or things a question is about ("les chercheurs", "d'un chef de produit IA").
ROLE_WORDS = frozenset(strip_accents(w) for w in (
    "ingénieur", "architecte", "chercheur", "chef", "scientifique", "scientist", "développeur", "analyste",
    "éthicien", "auditeur", "responsable", "spécialiste", "consultant", "manager", "designer", "technicien",
    "professionnel", "travailleur", "employé", "salarié", "cadre", "directeur", "dirigeant", "expert",
    "recruteur", "médecin", "étudiant", "débutant", "stagiaire", "engineer", "programmeur", "statisticien",
    "administrateur", "opérateur", "gestionnaire", "formateur", "enseignant", "juriste", "avocat",
    "poste", "emploi", "métier", "profession", "rôle", "profil", "fonction", "entreprise", "société",
    "startup", "organisation", "employeur", "secteur", "industrie", "pays", "candidat", "personne",
    "article", "document", "texte", "rapport", "étude", "publication",
))
# Subjects too vague to carry over when the answer names something more precise.
GENERIC_WORDS = frozenset(strip_accents(w) for w in (
    "poste", "emploi", "métier", "profession", "rôle", "profil", "fonction", "entreprise", "société",
    "organisation", "employeur", "secteur", "industrie", "personne", "candidat", "article", "document", "texte",
    "rapport", "étude", "publication", "source"))
_ROLE_SUFFIX = re.compile(r"(?:eur|euse|iste|ien|ienne|ecte|ant|ante|ier|ière)s?$")

_DETS = r"(?:les|le|la|l'|un|une|des|du|d'un|d'une|de la|de l'|de|d'|ces|ce|cet|cette|leurs|leur|aux|au)"
_DE_FORMS = {"les": "des", "le": "du", "la": "de la", "l'": "de l'", "un": "d'un", "une": "d'une",
             "ces": "de ces", "ce": "de ce", "cet": "de cet", "cette": "de cette", "": "de "}
_PLAIN_FORMS = {"des": "les", "du": "le", "de la": "la", "de l'": "l'", "d'un": "un", "d'une": "une",
                "de": "", "d'": "", "aux": "les", "au": "le"}
_WORD = re.compile(r"[\w-]+(?:'(?=\w))?|'", re.UNICODE)
_STOP_NP = frozenset(("aux", "au", "dans", "chez", "selon", "entre", "pour", "et", "ou", "qui", "que", "qu",
                      "lorsque", "quand", "avec", "sans", "sur", "depuis", "avant", "après", "par", "est",
                      "sont", "a", "ont", "gagne", "gagnent", "font", "fait", "touche", "touchent", "perçoit",
                      "perçoivent", "recrute", "recrutent", "travaillent", "travaille", "peut", "peuvent", "doit", "doivent",
                      "va", "vont", "reste", "restent", "semble", "semblent", "utilise", "utilisent", "il", "ils", "elle",
                      "elles", "on", "en", "est-ce", "qu'est-ce"))
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_CONJUNCTION = r"^\s*(?:et|mais|puis|ok|d'accord|alors|sinon)\b[\s,]*"
_LEAD = re.compile(_CONJUNCTION + r"(?:(?:pour|concernant|quant à)\s+)?", re.IGNORECASE)
_FRAGMENT_YEAR = re.compile(r"^(?:(?:en|pour|au cours de|durant|pendant|à partir de|depuis|d'ici(?: à)?|jusqu'en|vers|"
                            r"à l'horizon|à l'horizon de)\s+)?(?:l'année\s+)?"
                            r"((?:19|20)\d\d)$", re.IGNORECASE)
_WHICH_OF = re.compile(r"^\s*(?:et\s+)?(lesquel(?:le)?s|lequel|laquelle)\b", re.IGNORECASE)
# A period a question is about: "entre 2020 et 2024", "en 2024", "au premier trimestre 2025", "d'ici 2028".
_TIME = re.compile(r"\b(?:entre\s+(?:19|20)\d\d\s+et\s+(?:19|20)\d\d|(?:(?:en|au|à la)\s+)?(?:(?:premier|deuxième|second|"
                   r"troisième|quatrième|dernier|\d(?:er|e|ème))\s+(?:trimestre|semestre)|début|fin)\s+(?:de\s+)?(?:19|20)\d\d"
                   r"|(?:en|depuis|d'ici|jusqu'en|avant|après|au cours de|pendant|vers)\s+(?:19|20)\d\d)\b",
                   re.IGNORECASE)
# A prepositional phrase that adds a place, an organisation, a sector or a source to the question.
_MODIFIER = re.compile(r"^(dans|chez|en|au|aux|à|hors|sur|selon|d'après)\s+(.+)$", re.IGNORECASE)
_INVERSION = re.compile(r"\b([\w]+)-(?:t-)?(ils|elles|il|elle)\b", re.IGNORECASE)
_SUBJECT_PRONOUN = re.compile(r"(?:(?<=\bqu')|\b)(ils|elles|il|elle|ça|cela)\b(?=\s+(?!est-ce)\w)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\b(leurs|leur|ses|son|sa)\s+([\w-]+)", re.IGNORECASE)
_DEMONSTRATIVE = re.compile(r"\b(ces|ce|cet|cette)\s+([\w-]+)", re.IGNORECASE)
_QUESTION_WORD = re.compile(r"^(?:qu|quel|quelle|quels|quelles|combien|comment|pourquoi|où|ou|quand|qui|que|"
                            r"quoi|est-ce|lequel|laquelle|lesquels|lesquelles|y a-t-il)\b", re.IGNORECASE)
_FEMININE_END = re.compile(r"(?:tion|sion|té|ure|ance|ence|ie|ise|ude|ée|ette|esse|ique)$")
PLURAL_PRONOUNS = ("ils", "elles", "leurs")
_NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
                 "neuf": 9, "dix": 10, "vingt": 20}
_RELATIVE_YEAR = re.compile(r"\b(?:(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s+ans?\s+"
                            r"(?:plus tôt|avant|auparavant|plus tard|après)"
                            r"|(?P<year>l'année\s+(?:d'avant|précédente|d'après|suivante)))", re.IGNORECASE)
_DISLOCATION = re.compile(r"^\s*(?:et\s+)?((?:le|la|les|l')\s*[^,?]{2,40}?|(?-i:[A-ZÀ-Þ])[\w&.-]*(?:\s+(?-i:[A-ZÀ-Þ])[\w&.-]*){0,3})"
                          r"\s*,\s*(?:il|elle|ils|elles)\s+",
                          re.IGNORECASE)
# "ce"/"ces" + a noun, not the "ce" of "est-ce que".
# ("C'est quoi la génération augmentée… ?" names what it asks about: not a reference.)
_REFERENCE = re.compile(r"(?<![\w-])(?:ce|cet|cette|ces)\s+(?!document|article|texte|site|page)\w+"
                        r"|^\s*(?:c'(?!est\s+quoi\s+(?:l'|les?\s|la\s|une?\s|des\s|du\s)?\w)|ça\b|cela\b)",
                        re.IGNORECASE)
# A name in a question: capitalised, not its first word, not "IA" ("NVIDIA", "Meta", "Google Cloud").
_NAME = re.compile(r"(?<=\S\s)(?!IA\b)[A-ZÀ-Þ][\w-]*[A-Za-zÀ-ÿ](?:\s+[A-ZÀ-Þ][\w-]+)*")
_PREPOSITION = (r"(?:d'ici|d'|jusqu'à|jusqu'en|à partir de|auprès de|grâce à|pour|dans|avec|chez|depuis|par|"
                r"selon|sur|en|à|de|vers|contre|entre)")
_AFTER_PREPOSITION = r"(?:\s+|(?<='))"
# A question phrase that is a whole follow-up: "Pour quels projets", "Et depuis quand", "Et combien de postes".
# A bare "quel langage", "qui" or "quoi" is left out: it could be a subject or an object, not an adverbial.
_HOW_MANY = r"combien(?:\s+de\s+[\w-]+|\s+d'[\w-]+)?"
_WH_FRAGMENT = re.compile(
    rf"^(?:{_PREPOSITION}{_AFTER_PREPOSITION}(?:(?:quel|quelle|quels|quelles)\s+[\w-]+|{_HOW_MANY}|qui|quoi|quand|où)"
    rf"|{_HOW_MANY}|quand|où|pourquoi|comment)(?![\w'-])", re.IGNORECASE)
# What may follow it without naming anything: "Et dans quels secteurs en particulier ?", "Et pourquoi autant ?"
_WH_FILLERS = frozenset(("en", "particulier", "exactement", "précisément", "donc", "alors", "au", "juste", "ça",
                         "cela", "encore", "environ", "autant", "ainsi", "toujours", "surtout", "davantage", "plutôt"))
# A previous question word that only adds a circumstance (why, how, where, when, in which sector) and
# gives way to the new one: "Pourquoi les entreprises investissent-elles…" → "Dans quels secteurs les…".
_ADJUNCT_FRAME = re.compile(
    rf"^(?:{_PREPOSITION}{_AFTER_PREPOSITION}(?:quel|quelle|quels|quelles)\s+[\w-]+"
    r"(?:\s+(?:en particulier|exactement|précisément))?"
    r"|pour quelles? raisons?|de quelle (?:manière|façon)|(?:(?:depuis|jusqu'à|d'ici)\s+)?(?:pourquoi|comment|quand)"
    r"|(?:d')?où)(?![\w'-])", re.IGNORECASE)
# A question that asks something (its subject, its object, an amount): the new question word is added after it.
_ASKS_WORD = re.compile(
    rf"^(?:{_PREPOSITION}{_AFTER_PREPOSITION})?(?:qu'|que|qui|quoi|quel|quelle|quels|quelles|lequel|laquelle|lesquels|"
    r"lesquelles|où|quand|comment|combien|pourquoi)(?![\w-])"
    r"|\b(?:quel|quelle|quels|quelles|combien|comment|pourquoi|quand|où|quoi)(?![\w'-])", re.IGNORECASE)
_WHICH_NOUN = re.compile(r"^(?:quels|quelles)\s+(?!sont\b|étaient\b|seront\b)([\w-]+)", re.IGNORECASE)
# "ceux de la finance", "celle de Meta": the previous subject's noun with another complement.
_SAME_KIND = re.compile(r"^(?:ceux|celles|celui|celle)[\s-]+((?:de la|de l'|du|des|de|d')\s*\S.*)$", re.IGNORECASE)
# The thing "celui"/"celle" stands for, just before the complement it is followed by: "la fourchette de salaire des …".
_OWNED = re.compile(r"\b((?:le|la|l')\s*[\w-]+(?:\s+(?:de|d')\s*[\w-]+)?)\s+$", re.IGNORECASE)
_COMPLEMENT = re.compile(r"\s+(?=(?:de|du|des|d'|en|à|au|aux|pour|chez)\b)", re.IGNORECASE)
_AUXILIARIES = frozenset(("est", "sont", "a", "ont", "était", "étaient", "sera", "seront", "avait", "avaient"))


@dataclass(frozen=True)
class Resolution:
    """How a question was understood: `question` is what to answer; `context` what came from the previous turn."""

    question: str
    context: dict | None = None  # None: the question stands on its own
    choices: tuple[str, ...] = field(default=())  # several possible referents: ask which one was meant

    @property
    def ambiguous(self) -> bool:
        return bool(self.choices) or bool((self.context or {}).get("ambiguous"))

    def clarification(self) -> str:
        """The French question asked back when the reference is ambiguous."""
        if not self.choices:
            ctx = self.context or {}
            return (f"Je ne sais pas à qui ou à quoi renvoie « {ctx.get('pronoun', '')} » après « {ctx.get('previous', '')} ». "
                    "Reformulez la question en nommant ce dont vous parlez.")
        options = [f"« {c} »" for c in self.choices]
        listed = ", ".join(options[:-1]) + " ou " + options[-1] if len(options) > 1 else options[0]
        example = (self.context or {}).get("examples", [""])[0]
        hint = f" Par exemple : « {example} »" if example else ""
        return f"Votre question peut porter sur {listed}. Précisez de qui ou de quoi vous parlez.{hint}"


@dataclass(frozen=True)
class _NP:
    """A noun phrase of a question: its text, where it starts and ends, its determiner, and its number."""

    start: int
    end: int
    det: str
    text: str  # without its determiner
    plural: bool
    generic: bool
    asked: bool = False  # what the question asks to name ("quelles entreprises…"): its members are unknown

    def with_det(self, det: str) -> str:
        return f"{det}{'' if not det or det.endswith(chr(39)) else ' '}{self.text}"

    def plain(self) -> str:
        """The phrase as a subject: "d'un chef de produit IA" → "un chef de produit IA"."""
        det = self.det.lower()
        if det.startswith("quel"):
            det = "les" if self.plural else _article(self.text.split()[0], False)
        return self.with_det(_PLAIN_FORMS.get(det, det))


def _turn_question(turn) -> str | None:
    """The question of a history turn as it was understood (resolved when it was itself a follow-up)."""
    answer = getattr(turn, "to_dict", None)
    if answer is not None:  # an Answer object
        turn = {"question": turn.question, "answer": turn.to_dict()}
    if not isinstance(turn, dict):
        return None
    answer = turn.get("answer")
    if hasattr(answer, "to_dict"):
        answer = answer.to_dict()
    if isinstance(answer, dict) and isinstance(answer.get("understood"), str) and answer["understood"].strip():
        return answer["understood"]
    question = turn.get("question") or (answer or {}).get("question")
    return question if isinstance(question, str) and question.strip() else None


def _turn_quotes(turn) -> list[str]:
    answer = turn.to_dict() if hasattr(turn, "to_dict") else (turn or {}).get("answer") if isinstance(turn, dict) else None
    if hasattr(answer, "to_dict"):
        answer = answer.to_dict()
    if not isinstance(answer, dict) or not answer.get("answerable"):
        return []
    return [c.get("quote", "") for c in answer.get("citations", []) if isinstance(c, dict)]


def _is_role(word: str) -> bool:
    w = strip_accents(normalize(word))
    base = w[:-1] if w.endswith(("s", "x")) and len(w) > 3 else w
    return w in ROLE_WORDS or base in ROLE_WORDS or bool(_ROLE_SUFFIX.search(w)) and len(w) > 5 and w not in _NOT_ROLE


_NOT_ROLE = frozenset(strip_accents(w) for w in (
    "salaire", "salaires", "combien", "comment", "pourcentage", "avant", "pendant", "maintenant", "important",
    "importante", "croissant", "croissante", "suivant", "suivante", "courant", "dernier", "dernière", "premier",
    "première", "plusieurs", "leur", "leurs", "ailleurs", "meilleur", "meilleurs", "supérieur", "intérieur",
    "extérieur", "secteur", "secteurs", "valeur", "valeurs", "hauteur", "moteur", "facteur", "facteurs",
    "marché", "montant", "environnement", "investissement", "artificielle", "vigueur", "pouvoir"))


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def noun_phrases(text: str) -> list[_NP]:
    """Role and organisation phrases of a question, with their determiners: the things a pronoun may stand for."""
    words = _words(text)
    out: list[_NP] = []
    i = 0
    while i < len(words):
        w, s, e = words[i]
        low = w.lower()
        prev = words[i - 1][0].lower() if i else ""
        # A name: capitalised, not a dictionary word ("Recrute" opening a sentence), not "IA".
        capital = w[:1].isupper() and not w.endswith("'") and not (w.isupper() and len(w) <= 3) \
            and not is_french_word(w) \
            and low not in stopwords() and low not in _STOP_NP
        if _is_role(w) or (capital and prev not in ("aux", "au", "en", "à", "selon", "d'après")):
            # The determiner: one or two words before ("d'un", "de la", "les").
            det, start, head = "", s, s  # head: where the phrase's words start, after the determiner
            for n in (2, 1):
                if i - n >= 0:
                    cand = text[words[i - n][1]:s].strip()
                    if re.fullmatch(_DETS, cand, re.IGNORECASE):
                        det, start = cand, words[i - n][1]
                        break
            if not det:  # adjectives before the noun: "les nouveaux métiers", "quels nouveaux métiers"
                for n in (2, 3):
                    if i - n >= 0 and re.fullmatch(rf"{_DETS}|quel|quelle|quels|quelles", words[i - n][0], re.I) \
                            and all(x[0].islower() and x[0] not in _STOP_NP for x in words[i - n + 1:i]):
                        det, start, head = words[i - n][0], words[i - n][1], words[i - n + 1][1]
                        break
            if not det and i > 0 and words[i - 1][0].lower() in ("quel", "quelle", "quels", "quelles"):
                det, start = words[i - 1][0], words[i - 1][1]
            if not det and not capital and i > 0 and prev not in ("d'", "l'"):
                # A role noun must follow a determiner; "professionnels de la santé" after "les" is fine.
                i += 1
                continue
            j, end = i + 1, e
            while j < len(words):
                nxt, ns, ne = words[j]
                nlow = nxt.lower()
                if text[end:ns].strip(" '"):  # punctuation ends the phrase
                    break
                if re.search(r"-(?:t-)?(?:ils?|elles?|on)$", nlow):  # "peuvent-ils": the verb, not the phrase
                    break
                if nlow in _STOP_NP or _YEAR.fullmatch(nxt) or nxt == "'":
                    if nlow == "en" and j + 1 < len(words) and (words[j + 1][0].isupper() and words[j + 1][0].lower()
                                                               in ("ia",) or words[j + 1][0].islower()):
                        end, j = words[j + 1][2], j + 2  # "chercheurs scientifiques en IA"
                        continue
                    break
                if nxt.islower() and _is_finite_verb(nlow, words[j - 1][0].lower()):
                    break  # "les chefs de produits IA agissent comme…": the verb ends the phrase
                after_de = words[j - 1][0].lower() in ("de", "d'", "du")  # "les salariés de Vexel"
                if nlow in ("de", "d'", "du", "des", "à", "l'", "la") or nxt.islower() or nxt.isupper() or after_de:
                    if nlow in ("de", "d'", "du", "des", "à", "l'", "la") and j + 1 >= len(words):
                        break
                    end, j = ne, j + 1
                    continue
                break
            # Trailing function words are not part of the phrase ("de", "à l'").
            phrase = text[s:end]
            while True:
                stripped = re.sub(r"\s*\b(?:de|d'|du|des|à|la|l')\s*$", "", phrase, flags=re.IGNORECASE)
                if stripped == phrase:
                    break
                phrase = stripped
            end = s + len(phrase)
            plural = det.lower() in ("les", "des", "ces", "leurs", "aux", "quels", "quelles") \
                or low.endswith(("s", "x")) and not capital
            asked = det.lower().startswith("quel") or bool(re.search(r"\bquel(?:le)?s?\s+(?:sont|est)\s*$",
                                                                      text[:start], re.IGNORECASE))
            out.append(_NP(start, end, det, text[head:end], plural,
                           generic=strip_accents(normalize(w)).rstrip("sx") in GENERIC_WORDS
                           or strip_accents(normalize(w)) in GENERIC_WORDS, asked=asked))
            i = next((k for k, (_, ks, _) in enumerate(words) if ks >= end), len(words))
            continue
        i += 1
    return out


def _split_question(text: str) -> tuple[str, str]:
    """The question without its final punctuation, and that punctuation (" ?" by default)."""
    m = re.search(r"\s*[?!.…]+\s*$", text)
    return (text[:m.start()], text[m.start():].strip()) if m else (text.rstrip(), "?")


def _finish(body: str, punct: str = "?") -> str:
    body = re.sub(r"\s+", " ", body).strip()
    return f"{body[:1].upper()}{body[1:]} {punct or '?'}"


def _subject_choices(previous: str, quotes: list[str], plural: bool | None) -> tuple[list[_NP], str]:
    """What a pronoun may refer to: the previous question's phrases, or the answer's when those are vague.

    A vague phrase the question asked to name ("Quelles entreprises…") stands for its members, which
    only the answer names; when the answer names none (or several), the pronoun is ambiguous.
    """
    nps = noun_phrases(previous)
    agree = (lambda xs: [np for np in xs if np.plural == plural]) if plural is not None else (lambda xs: xs)  # noqa: E731
    # "Comment l'IA évite-t-elle… ?" then "Et dans la finance, elle sert à quoi ?": the subject written before the
    # previous question's inverted verb is the one a pronoun carries on, when it agrees.
    subject = _inverted_subject(previous)
    if subject is not None and agree([subject]):
        return [subject], "question"
    # "Quel est le rôle des chefs de produit IA ?" then "Et leur salaire ?": the generic phrase's complement.
    specific = [np for np in nps if not np.generic] or [c for np in nps if np.generic for c in _complements(previous, np)]
    if specific:
        # "Pourquoi le secteur de la santé recrute-t-il des spécialistes ?" then "Comment il utilise l'IA ?": a
        # pronoun that agrees with none of the specific phrases stands for a general one it agrees with.
        return _dedupe(agree(specific) or (agree(nps) if plural is not None else []) or specific), "question"
    from_answer = agree([np for q in quotes for np in noun_phrases(q) if not np.generic])
    if from_answer or any(np.asked for np in nps):
        return _dedupe(from_answer), "answer"  # possibly empty: nothing the pronoun can stand for
    # A bare complement ("offres d'emploi") is no referent when a phrase with an article is there ("le rapport").
    nps = [np for np in nps if np.det.lower() not in ("d'", "de")] or nps
    if plural is not None and len(nps) > 1:
        nps = agree(nps) or nps
    return _dedupe(nps), "question"


# A subject written before an inverted verb: a determiner and its noun ("les hôpitaux recrutent-ils", "l'IA
# évite-t-elle"), or a name ("Meta recrute-t-elle"), with a word between it and the verb: not an object pronoun
# on the verb itself ("l'utilisent-ils").
_SUBJECT_BEFORE = re.compile(r"(?:\b(les|le|la|un|une|des|du|ce|cet|cette|ces|son|sa|ses|leur|leurs|mon|ma|mes|notre|"
                             r"nos|votre|vos)\s+|\b(l['’]))([\w-]+(?:\s+[\w'’-]+)*?)\s+$"
                             r"|(?<!^)\b((?-i:[A-ZÀ-Þ])[\w-]+)\s+$", re.IGNORECASE)


def _inverted_subject(question: str) -> _NP | None:
    """The subject written before a question's inverted verb: "l'IA" in "Comment l'IA évite-t-elle… ?", "les
    hôpitaux" in "Pourquoi les hôpitaux recrutent-ils… ?"; None without such a subject."""
    inversion = _INVERSION.search(question)
    if inversion is None:
        return None
    m = _SUBJECT_BEFORE.search(question[:inversion.start()])
    if m is None or m.group(3) is None:
        return None  # none, or a name: the question's own noun phrases hold it
    det = m.group(1) or m.group(2)
    return _NP(m.start(), inversion.start() - 1, det, m.group(3), inversion.group(2).lower() in ("ils", "elles"),
               generic=False)


def _complements(text: str, np: _NP) -> list[_NP]:
    """The specific phrases inside a generic one's complement: "chefs de produit IA" in "rôle des chefs…"."""
    m = re.search(r"\s(?=des\s|du\s|de la\s|de l'|d'|de\s)", text[np.start:np.end])
    if m is None:
        return []
    at = np.start + m.start()
    return [replace(c, start=c.start + at, end=c.end + at) for c in noun_phrases(text[at:np.end]) if not c.generic]


def _dedupe(nps: list[_NP]) -> list[_NP]:
    seen, out = set(), []
    for np in nps:
        key = strip_accents(normalize(np.text))
        if key not in seen:
            seen.add(key)
            out.append(np)
    return out


def _de(det_phrase: str) -> str:
    """"les architectes" → "des architectes" (after "le salaire …")."""
    m = re.match(rf"^({_DETS})\s*(.*)$", det_phrase, re.IGNORECASE)
    if not m:
        return "de " + det_phrase
    det, rest = m.group(1).lower(), m.group(2)
    plain = _PLAIN_FORMS.get(det, det)
    return f"{_DE_FORMS.get(plain, 'de ')}{'' if _DE_FORMS.get(plain, '').endswith(chr(39)) else ' '}{rest}".replace("  ", " ")


def _article(noun: str, plural: bool) -> str:
    if plural:
        return "les"
    if noun[:1].lower() in "aeiouéèêàâîôûhy":
        return "l'"
    return "la" if _FEMININE_END.search(noun.lower()) else "le"


def resolve_followup(question: str, history: list | None) -> Resolution:
    """The question to answer given the previous turns (oldest first), and what was carried over."""
    if not history:
        return Resolution(question)
    turn_no, previous = None, None
    for n in range(len(history) - 1, -1, -1):
        previous = _turn_question(history[n])
        if previous:
            turn_no = n
            break
    if previous is None:
        return Resolution(question)
    quotes = _turn_quotes(history[turn_no])
    base = {"turn": turn_no, "previous": previous}
    body, punct = _split_question(question)
    lead = _LEAD.match(body)
    fragment = body[lead.end():].strip() if lead else body.strip()
    led = bool(lead and lead.group().strip())

    prev_body, prev_punct = _split_question(previous)
    # A previous follow-up answered as typed keeps its "Et": "Et que cherche NVIDIA ?" then "Et combien ?"
    prev_body = re.sub(_CONJUNCTION, "", prev_body, flags=re.IGNORECASE)
    # 0. A year counted from the previous one: "Et l'année d'avant ?", "C'était combien dix ans plus tôt ?"
    relative = _RELATIVE_YEAR.search(body)
    old_years = _YEAR.findall(prev_body)
    if relative and old_years:
        token = (relative.group("n") or "un").lower()
        n = int(token) if token.isdigit() else _NUMBER_WORDS.get(token)
        if n:
            later = re.search(r"après|plus tard|suivante", relative.group(), re.IGNORECASE)
            new = str(int(old_years[-1]) + (n if later else -n))
            at = prev_body.rfind(old_years[-1])
            # The year counted from stays in the question: retrieval still finds the passage that gives both.
            said = f"{'l’année' if relative.group('year') else token + ' ans'} {'après' if later else 'avant'}"
            return _resolved(f"{prev_body[:at]}{new}{prev_body[at + 4:]} ({said} {old_years[-1]})", prev_punct,
                             base, "ellipsis", {"year": new}, {"year": old_years[-1]})

    # 1. "Et la finance, elle s'en sert pour quoi ?": the pronoun stands for the phrase before the comma.
    dislocated = _DISLOCATION.match(body)
    if dislocated:
        text = f"{dislocated.group(1)} {body[dislocated.end():]}"
        return _resolved(_split_question(text)[0], punct, base, "dislocation", {"subject": dislocated.group(1)})

    # "Il a progressé de combien, ce métier ?": the thing is named by what was just said.
    if re.search(r",\s*(?:ce|cet|cette|ces)\s+[\w-]+\s*$", body) and not noun_phrases(previous.split("?")[0]) or \
            re.search(r",\s*(?:ce|cet|cette|ces)\s+[\w-]+\s*$", body) and all(np.generic for np in noun_phrases(prev_body)):
        return _resolved(f"{body}, à propos de « {prev_body} »", punct, base, "reference", {"topic": prev_body})

    # "Lesquelles recrutent le plus ?" after "Quelles entreprises recrutent… ?": which of the things asked about.
    which = _WHICH_OF.match(body)
    asked_np = next((np for np in noun_phrases(prev_body) if np.asked), None) if which else None
    kind = _WHICH_NOUN.match(prev_body) if which else None
    if asked_np is not None or kind is not None:
        det, noun = (asked_np.det, asked_np.text) if asked_np is not None else \
            (prev_body[kind.start():kind.start(1)].strip(), kind.group(1))
        text = f"{det[:1].upper()}{det[1:]} {noun}{body[which.end():]}"
        return _resolved(text, punct, base, "reference", {"subject": noun}, {"pronoun": which.group(1)})

    # 2. Pronouns: "Combien gagnent-ils ?", "Quel est leur salaire ?", "Que font ces professionnels ?"
    resolved = _resolve_pronoun(fragment if led else body, previous, quotes, base)
    if resolved is not None:
        return resolved

    # 3. What was just said: "Qui a fait cette prévision ?", "Que signifie ce sigle ?"
    reference = _REFERENCE.search(body)
    if reference and not any(not np.generic for np in noun_phrases(body)):
        return _resolved(f"{body}, à propos de « {prev_body} »", punct, base, "reference", {"topic": prev_body})

    # 4. A question of its own: its own verb ("Et que cherche NVIDIA ?", "Et qu'est-ce que le RAG ?",
    #    "Et les architectes gagnent-ils plus ?"), or a question word and its own subject named.
    conjunction = re.match(_CONJUNCTION, body, re.IGNORECASE)
    asked = body[conjunction.end():].strip() if conjunction else body.strip()
    if _has_verb(asked) or (_ASKS_WORD.search(asked) and _names_subject(asked)):
        return Resolution(question)

    # 5. A question word without a verb asks the previous question again: "Pour quels projets ?",
    #    "Et dans quels secteurs en particulier ?", "Et depuis quand ?", "Et combien ?"
    wh = _WH_FRAGMENT.match(asked)
    if wh and all(w.lower() in _WH_FILLERS for w in asked[wh.end():].split()):
        return _ask_again(asked, prev_body, punct, base)
    if not (led or _is_fragment(fragment)):
        return Resolution(question)
    if wh or led and _QUESTION_WORD.match(fragment) and len(fragment.split()) > 3:
        # "Et dans quels secteurs chez Google ?", "Et quel salaire pour un architecte senior ?": they name what they
        # ask about; nothing in the previous question to complete.
        return Resolution(question)

    # 6. Ellipsis: "Et en 2024 ?", "Et dans les grandes entreprises ?", "Et pour les architectes ?"
    year = _FRAGMENT_YEAR.match(fragment)
    if year:
        new = year.group(1)
        old = _YEAR.findall(prev_body)
        if old:
            text = _YEAR.sub(new, prev_body, count=1) if len(set(old)) == 1 else \
                prev_body[:prev_body.rfind(old[-1])] + new + prev_body[prev_body.rfind(old[-1]) + 4:]
            return _resolved(text, prev_punct, base, "ellipsis", {"year": new}, {"year": old[-1]})
        return _resolved(f"{prev_body} en {new}", prev_punct, base, "ellipsis", {"year": new})
    when, then = _YEAR.search(fragment) and _TIME.search(fragment), _TIME.search(prev_body)
    if when and then:  # "Et au premier trimestre 2025 ?" after "… entre 2020 et 2024 ?": another period
        text = prev_body[:then.start()] + fragment + prev_body[then.end():]
        return _resolved(text, prev_punct, base, "ellipsis", {"period": fragment}, {"period": then.group()})
    modifier = _MODIFIER.match(fragment)
    if modifier:  # a place, a company, a sector or a source added to the previous question
        kind = modifier.group(1).lower()
        same = _find_modifier(prev_body, kind)
        if same:
            text = prev_body[:same[0]] + fragment + prev_body[same[1]:]
            return _resolved(text, prev_punct, base, "ellipsis", {"modifier": fragment},
                             {"modifier": prev_body[same[0]:same[1]]})
        return _resolved(f"{prev_body} {fragment}", prev_punct, base, "ellipsis", {"modifier": fragment})
    new_subject = re.sub(r"^(?:pour|concernant|chez)\s+", "", fragment, flags=re.IGNORECASE)
    if not new_subject:
        return Resolution(question)
    old = noun_phrases(prev_body)
    target = next((np for np in old if not np.generic), old[0] if old else None)
    same_kind = _SAME_KIND.match(new_subject)
    plural = new_subject.lower().startswith(("ceux", "celles"))
    owner = same_kind and target is not None and target.plural != plural and \
        _OWNED.search(prev_body[:target.start])
    if owner:
        # "Et celui des architectes ?" after "Quel est le salaire des chercheurs … ?": the salary, of the architects.
        replacement = f"{owner.group(1)} {same_kind.group(1)}"
        text = prev_body[:owner.start(1)] + replacement + prev_body[target.end:]
        return _resolved(text, prev_punct, base, "ellipsis", {"subject": replacement},
                         {"subject": prev_body[owner.start(1):target.end]})
    people = [np for np in noun_phrases(same_kind.group(1)) if not np.generic] if same_kind else []
    if people and target is not None and not owner and _is_role(people[0].text.split()[0]):
        # "Et celui des chercheurs ?" after "Combien gagne un architecte IA ?": what the architect earns, of the
        # researchers: they take the architect's place.
        new_subject = people[0].with_det(_PLAIN_FORMS.get(people[0].det.lower(), people[0].det))
        same_kind = None
    if same_kind and target is not None and target.plural == plural:
        # "Et ceux de la finance ?" after "… les professionnels du marketing …": the same people, of the finance.
        head = _COMPLEMENT.split(target.text, maxsplit=1)[0]
        phrase = target.with_det(target.det) if target.det else head
        replacement = phrase[:len(phrase) - len(target.text)] + f"{head} {same_kind.group(1)}"
        text = prev_body[:target.start] + replacement + prev_body[target.end:]
        return _resolved(text, prev_punct, base, "ellipsis", {"subject": f"{head} {same_kind.group(1)}"},
                         {"subject": prev_body[target.start:target.end]})
    name = _NAME.search(prev_body)
    if re.fullmatch(r"[A-ZÀ-Þ][\w-]*(?:\s+[A-ZÀ-Þ][\w-]+)*", new_subject) and not is_french_word(new_subject) and name:  # "Que recherche NVIDIA ?" → "Et Meta ?"
        text = prev_body[:name.start()] + new_subject + prev_body[name.end():]
        return _resolved(text, prev_punct, base, "ellipsis", {"subject": new_subject}, {"subject": name.group()})
    sector = re.search(r"\bdans\s+(?:le|la|les|l')\s*[^,?]+", prev_body)
    if sector and not noun_phrases(new_subject) and re.match(r"(?:le|la|les|l')\s*\w", new_subject, re.I):
        # "…dans le commerce de détail ?" → "Et la santé ?": the same question in another sector
        text = prev_body[:sector.start()] + "dans " + new_subject + prev_body[sector.end():]
        return _resolved(text, prev_punct, base, "ellipsis", {"modifier": "dans " + new_subject},
                         {"modifier": sector.group()})
    if noun_phrases(new_subject) or (new_subject[:1].isupper() and len(new_subject.split()) <= 4):
        # Another subject, same question: "Et pour les architectes ?"
        if target is None:
            return _resolved(f"{prev_body} pour {new_subject}", prev_punct, base, "ellipsis",
                             {"subject": new_subject})
        det = target.det.lower()
        replacement = _de(new_subject) if det in _PLAIN_FORMS and det not in ("aux", "au") and det != "" \
            else new_subject
        if det in ("aux", "au"):
            replacement = "aux " + re.sub(rf"^{_DETS}\s*", "", new_subject, flags=re.IGNORECASE)
        text = prev_body[:target.start] + replacement + prev_body[target.end:]
        return _resolved(text, prev_punct, base, "ellipsis", {"subject": new_subject},
                         {"subject": prev_body[target.start:target.end]})
    if led and target is not None:
        # Another thing about the same subject: "Et leur prime ?" / "Et la prime d'équipement ?"
        return _resolved(f"{new_subject} {_de(target.plain())}", "?", base, "ellipsis",
                         {"subject": target.plain()}, {"asked": new_subject})
    return Resolution(question)


def _ask_again(asked: str, prev_body: str, punct: str, base: dict) -> Resolution:
    """The previous question with the follow-up's question word: "Pourquoi X ?" + "Et dans quels secteurs ?"."""
    asked = asked[:1].lower() + asked[1:]
    frame = _ADJUNCT_FRAME.match(prev_body)
    rest = prev_body[frame.end():].strip(" ,") if frame else ""
    if frame and rest:  # why, how, when, where: the new question word takes its place
        return _resolved(f"{asked} {rest}", punct, base, "ellipsis", {"question": rest},
                         {"question_word": frame.group()})
    which = _WHICH_NOUN.match(prev_body)
    if which and asked.lower() == "combien":  # "Quelles entreprises recrutent…" + "Et combien ?": how many of them
        noun = which.group(1)
        rest = prev_body[which.end():].strip()
        elided = "d'" if noun[:1].lower() in "aeiouyéèêàâîôûh" else "de "
        return _resolved(f"combien {elided}{noun} {rest}", punct, base, "ellipsis", {"question": rest},
                         {"question_word": prev_body[:which.start(1)].strip()})
    if not _ASKS_WORD.search(prev_body):  # yes/no: "Les entreprises adoptent-elles l'IA ?" + "Depuis quand ?"
        first = _WORD.match(prev_body)
        lower = first and (first.group().endswith("'") or is_french_word(first.group().split("-")[0]))
        text = prev_body[:1].lower() + prev_body[1:] if lower and not first.group().isupper() else prev_body
        return _resolved(f"{asked} {text}", punct, base, "ellipsis", {"question": prev_body})
    # The previous question word is what it asks (a subject, an object, an amount): both stay.
    return _resolved(f"{prev_body}, {asked}", punct, base, "ellipsis", {"question": prev_body})


# Finite forms a question leans on; simplemma reads a few of them as nouns ("fait") or adverbs.
_FINITE = frozenset(("est", "sont", "était", "étaient", "sera", "seront", "serait", "seraient", "a", "ont", "avait",
                     "avaient", "aura", "auront", "fait", "font", "va", "vont", "peut", "peuvent", "doit", "doivent",
                     "faut", "existe", "existent", "vaut", "valent", "veut", "veulent"))
_ARTICLES = frozenset(("le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "ce", "cet", "cette", "ces",
                       "son", "sa", "ses", "leur", "leurs", "au", "aux"))
# After these a word is a noun: "la recherche", "quelles offres".
_NOUN_SLOT = _ARTICLES | {"quel", "quelle", "quels", "quelles", "chaque", "plusieurs", "quelques", "mon", "ma", "mes",
                          "notre", "nos", "votre", "vos"}
_QUESTION_PRONOUNS = frozenset(("que", "qu'", "qui", "où", "comment", "pourquoi", "quand", "combien"))
_RELATIVES = frozenset(("qui", "que", "qu'", "dont", "où"))
_INFLECTED_VERB = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on|ce)\b", re.IGNORECASE)  # "gagnent-ils", "est-ce"
_NOT_VERB_END = re.compile(r"(?:é|ée|és|ées|ant|es|ment)$")  # participles, plural nouns, adverbs


@lru_cache(maxsize=4096)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="fr")


def _has_verb(text: str) -> bool:
    """Whether a question has a verb of its own ("que cherche NVIDIA", "les architectes gagnent combien").

    No tagger: a verb is a finite form of a common verb, an inverted verb ("gagnent-ils"), a word right
    after an interrogative pronoun ("qui embauche", "comment devenir"), or a word that simplemma reads as an
    inflected form of a verb ("recrutent" → "recruter"). A word after an article is a noun ("la recherche");
    a relative clause is not the question's verb ("les architectes qui débutent").
    """
    if _INFLECTED_VERB.search(text):
        return True
    words = [w.lower() for w, _, _ in _words(text)]
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        if i > 0 and w in _RELATIVES and not re.fullmatch(_PREPOSITION, prev):
            return False
        if w in _FINITE and prev not in _ARTICLES:
            return True
        if _no_verb_here(w, prev) or w in _WH_FILLERS:
            continue  # a noun after its article, a function word, an adverb
        if prev in ("se", "s'") or prev in _QUESTION_PRONOUNS and is_french_word(w) or _inflected_verb(w):
            return True
    return False


def _is_finite_verb(word: str, prev: str) -> bool:
    """A conjugated verb, as _has_verb reads one: a common finite form, or an inflected form of a verb
    that is not a participle, a plural noun or an adverb ("agissent" → "agir"; not "prenantes")."""
    return word in _FINITE or not _no_verb_here(word, prev) and _inflected_verb(word)


def _no_verb_here(word: str, prev: str) -> bool:
    """A noun after its article or a question's "quel", a function word, a number, an adverb in -ment."""
    return prev in _NOUN_SLOT or word in stopwords() or not word.isalpha() or word.endswith("ment")


def _inflected_verb(word: str) -> bool:
    """simplemma reads the word as an inflected form of a verb ("recrutent" → "recruter"), and it does not
    end like a participle, a plural noun or an adverb."""
    lemma = _lemma(word)
    return lemma.endswith(("er", "ir", "re", "oir")) and not word.startswith(lemma) and not _NOT_VERB_END.search(word)


def _names_subject(text: str) -> bool:
    """A name that is not the object of a preposition: "NVIDIA" in "combien NVIDIA", not "Meta" in "chez Meta"."""
    words = [w for w, _, _ in _words(text)]
    return any(w[:1].isupper() and w != "IA" and not w.endswith("'")
               and not re.fullmatch(_PREPOSITION, words[i - 1], re.IGNORECASE) for i, w in enumerate(words) if i)


def _is_fragment(text: str) -> bool:
    """A few words with no question word or verb of their own: "En 2024 ?", "Pour les architectes ?"."""
    return bool(text) and len(text.split()) <= 6 and not _QUESTION_WORD.match(text) and (
        bool(_FRAGMENT_YEAR.match(text)) or bool(re.match(r"^(?:pour|chez|dans|en|au|aux|selon)\b", text, re.I)))


def _find_modifier(body: str, kind: str) -> tuple[int, int] | None:
    """Where the previous question already says the same kind of thing ("aux États-Unis" for "en France")."""
    places = ("en", "au", "aux", "à")
    kinds = places if kind in places else (kind,)
    pattern = rf"\b(?:{'|'.join(re.escape(k) for k in kinds)})\s+(?:[A-ZÀ-Þ][\w-]*(?:\s+[A-ZÀ-Þ][\w-]*)*" \
        if kind in places else rf"\b{re.escape(kind)}\s+[^,?]+"
    if kind in places:
        pattern += ")"
    for m in re.finditer(pattern, body):
        if kind in places and m.group().split()[-1] in ("IA",):
            continue
        return m.start(), m.end()
    return None


def _resolved(text: str, punct: str, base: dict, kind: str, carried: dict, replaced: dict | None = None) -> Resolution:
    resolved = _finish(text, punct)
    context = {**base, "kind": kind, "carried": carried, "resolved": resolved}
    if replaced:
        context["replaced"] = replaced
    return Resolution(resolved, context)


# "Y a-t-il", "faut-il", "il existe", "s'agit-il": an impersonal "il" stands for nobody.
_IMPERSONAL = re.compile(r"\b(?:y\s+a-t-il|faut-il|s'agit-il|existe-t-il|reste-t-il|semble-t-il|vaut-il|"
                         r"il\s+(?:y\s+a|faut|existe|s'agit|reste|semble|vaut))\b", re.IGNORECASE)


def _resolve_pronoun(body: str, previous: str, quotes: list[str], base: dict) -> Resolution | None:
    if _IMPERSONAL.search(body):
        return None
    inversion = _INVERSION.search(body)
    possessive = _POSSESSIVE.search(body)
    subject = _SUBJECT_PRONOUN.search(body)
    demonstrative = next((m for m in _DEMONSTRATIVE.finditer(body) if _is_role(m.group(2))), None)
    hit = inversion or subject or possessive or demonstrative
    if hit is None:
        return None
    pronoun = (inversion or subject).group(2 if inversion else 1).lower() if (inversion or subject) else \
        hit.group(1).lower()
    plural = pronoun in PLURAL_PRONOUNS or pronoun == "ces" or (hit is possessive and pronoun == "ses")
    if hit is possessive and pronoun in ("leur",):
        plural = None  # "leur salaire": one thing of several people, or of one company
    body_nps = noun_phrases(body)
    if any(not np.generic and np.start < hit.start() for np in body_nps if hit is not demonstrative):
        return None  # the question names its own subject before the pronoun
    if hit is inversion and _SUBJECT_BEFORE.search(body[:inversion.start()]):
        # "Pourquoi les hôpitaux recrutent-ils… ?", "Comment l'IA évite-t-elle… ?", "Pourquoi Tesla recrute-t-elle… ?":
        # the inverted pronoun repeats the subject just written (a French "complex inversion"), it stands for nothing.
        return None
    choices, origin = _subject_choices(_split_question(previous)[0], quotes, plural)
    if pronoun in ("ça", "cela"):
        # "Et ça gagne combien ?" after "Qu'est-ce que fait un éthicien de l'IA ?": one thing or one person; "ça"
        # never stands for a plural ("les postes IA"), and may stand for the whole situation, which is no phrase.
        choices = [np for np in choices if np.plural is False]
        if not choices:
            return None
    record = {**base, "kind": "pronoun", "pronoun": hit.group()}
    if not choices:
        if origin == "answer":  # "Quelles entreprises… ?" then "Que cherche-t-elle ?": which one?
            return Resolution(body if body.endswith("?") else body + " ?",
                              {**record, "ambiguous": True, "choices": [], "examples": [], "from": origin})
        return None
    rewrite = lambda np: _rewrite(body, hit, np, inversion is not None and hit is inversion,  # noqa: E731
                                  hit is possessive, hit is demonstrative)
    if len(choices) > 1:
        examples = [_finish(rewrite(np)) for np in choices]
        return Resolution(question=body if body.endswith("?") else body + " ?",
                          context={**record, "ambiguous": True, "choices": [np.plain() for np in choices],
                                   "examples": examples, "from": origin},
                          choices=tuple(np.plain() for np in choices))
    np = choices[0]
    resolved = _finish(rewrite(np))
    return Resolution(resolved, {**record, "carried": {"subject": np.plain()}, "from": origin, "resolved": resolved})


def _rewrite(body: str, hit: re.Match, np: _NP, inversion: bool, possessive: bool, demonstrative: bool) -> str:
    body = _split_question(body)[0]
    plain = np.plain()
    if inversion:
        after = body[hit.end():].split()
        if hit.group(1).lower() in _AUXILIARIES or (after and re.fullmatch(r"\w+(?:é|ée|és|ées|is|it|u|us|ue|ues)",
                                                                            after[0].lower())):
            # "Combien sont-ils payés ?" → "Combien les auditeurs sont-ils payés ?" (complex inversion)
            return body[:hit.start()] + f"{plain} " + body[hit.start():]
        return body[:hit.start()] + f"{hit.group(1)} {plain}" + body[hit.end():]  # "gagnent-ils" → "gagnent les…"
    if possessive:  # "leur salaire" → "le salaire des chercheurs"
        noun = hit.group(2)
        plural = hit.group(1).lower() in ("leurs", "ses")
        art = _article(noun, plural)
        return body[:hit.start()] + f"{art}{'' if art.endswith(chr(39)) else ' '}{noun} {_de(plain)}" + body[hit.end():]
    if demonstrative:  # "ces professionnels" → "les chercheurs scientifiques en IA"
        return body[:hit.start()] + plain + body[hit.end():]
    before = body[:hit.start()]
    if re.search(r"\b(qu|lorsqu|puisqu)'$", before, re.IGNORECASE):  # "qu'ils" → "que les chercheurs"
        before = before[:-1] + "e "
    return before + plain + body[hit.end():]  # "ils travaillent" → "les chercheurs travaillent"
