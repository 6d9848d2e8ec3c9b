"""Question → Query: the one analysis of a question, read by every later stage.

Retrieval, the reader and the questions-about-a-document path all need the question's
terms, the kind of answer it expects and the names or numbers it mentions. They are
derived here, once per question, and passed along in a frozen `Query`; no later stage
re-analyses the question text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .about import question_about_document
from .text import analyze, is_french_word, normalize, stopwords, strip_accents
from .wordvec import related_terms

if TYPE_CHECKING:
    from .index import Index
    from .wordvec import WordVectors

# People often type without accents ("qui a ecrit", "salaire median", "ingenieur"): the question-type
# patterns below are compiled with accents folded and matched on the question with accents folded (_fold).
def _pattern(source: str) -> re.Pattern:
    return re.compile(strip_accents(source))


# --- Expected answer type -------------------------------------------------------
# The question word and the noun it governs say what kind of answer is wanted. These patterns
# are read on the normalised question (lower case, plain apostrophes). They were checked against
# spaCy's tagger on the eval questions: the question word decides the type better than the
# tagger's parse of a short question, and costs no model at query time.
_ASKS_NUMBER = _pattern(
    r"\bcombien\b|\bquel(?:le)?s?\s+(?:est|sont|était|a été)?\s*(?:le|la|les|l')?\s*"
    r"(?:pourcentage|salaire|montant|nombre|taux|prix|chiffre|part|proportion|somme|budget|co[uû]t|"
    r"r[ée]mun[ée]ration|fourchette|valeur|taille|population|superficie|hausse|baisse|augmentation|"
    r"plafond|plancher|niveau|progression|croissance|"
    # measures (PIAF: "Quelle a été l'altitude maximale du volcan ?", "À quel âge… ?")
    r"altitude|vitesse|[âa]ge|hauteur|longueur|largeur|profondeur|poids|masse|distance|temp[ée]rature|"
    r"surface|capacit[ée]|dimension|diam[èe]tre|[ée]paisseur|effectif|ordre de grandeur)\b"
    r"|\bà combien\b|\bquelle part\b|\bde combien\b|\bjusqu'o[uù]\b"
)
_ASKS_DURATION = _pattern(r"\bcombien\s+de\s+temps\b|\bquelle\s+dur[ée]e\b|\bcombien\s+d'ann[ée]es\b"
                            r"|\bdepuis\s+combien\b|\bquel(?:le)?\s+(?:est|[ée]tait|a\s+[ée]t[ée]|sera)\s+la\s+dur[ée]e\b")
_ASKS_DATE = _pattern(  # "quand" as a question word, not as the conjunction ("quand les entreprises…")
    r"^\W*quand\b|\b(?:jusqu'à|jusqu'a|d'ici|de|pour|à partir de|depuis)\s+quand\b|\bquand\s*\??\s*$"
    r"|\ben quelle ann[ée]e\b|\bquelle (?:date|ann[ée]e|[ée]poque|p[ée]riode)\b|\bà quelle date\b"
    r"|\b(?:à|a) quel horizon\b|\bquel (?:si[èe]cle|jour|mois)\b"
    r"|\bquel(?:le)?s? (?:est|était|fut) (?:la |l')(?:date|ann[ée]e)\b"
)
_ASKS_PERCENT = _pattern(
    r"\b(?:pourcentage|proportion|en proportion)\b|\bquelle part\b"
    r"|\bquel(?:le)?\s+(?:a été|était|est|fut)?\s*(?:la |le |l')?(?:hausse|baisse|augmentation|progression|croissance)\b"
    r"|\bde combien\b.*\b(?:augment|progress|hauss|cr[uû]|bondi|baiss|recul|diminu)")
# A number question about money ("combien gagne…", "quel salaire…") wants an amount or a rate,
# not any number: "20 millions de travailleurs" does not say what robotics engineers earn.
_ASKS_MONEY = _pattern(r"\b(?:gagn|salai|r[ée]mun[ée]r|pay[ée]|co[uû]t|prix|budget|montant|tarif|"
                         r"factur|d[ée]pens|investi|rapporte|touch|vaudr|vaut|valoir|valai)")
_ASKS_PAY = _pattern(r"\b(?:gagn|salai|r[ée]mun[ée]r|pay[ée]|touch)")
# A pay question about a difference ("combien de plus", "quel bonus… par rapport à…", "de combien… dépasse"):
# a premium answers it ("une prime de 28 % par rapport à leurs homologues"), a salary alone does not.
_ASKS_DIFFERENCE = _pattern(r"\bcombien de plus\b|\bde combien\b[^?]*\b(?:plus|d[ée]pass|sup[ée]rieur|gagn)"
                            r"|\b(?:bonus|prime|[ée]cart|diff[ée]rence|surplus|suppl[ée]ment|surco[uû]t)s?\b")
_ASKS_ORGANISATION = _pattern(
    r"\bquel(?:le)?s?\s+(?:est |sont )?(?:la |le |les |l')?(?:entreprise|soci[ée]t[ée]|groupe|bo[iî]te|firme|"
    r"organisation|cabinet|employeur|g[ée]ant|institution|organisme|universit[ée]|[ée]cole|r[ée]seau|start-?up|"
    r"constructeur|banque|compagnie|club|[ée]quipe|parti|association|minist[èe]re|agence|marque|journal|magazine|"
    r"plateforme|laboratoire|fabricant|éditeur|mus[ée]e|biblioth[èe]que|h[ôo]pital|th[ée][âa]tre|fondation|institut|"
    r"orchestre|studio|cha[îi]ne|station|tribunal|comit[ée]|conseil|op[ée]rateur|compagnie a[ée]rienne)s?\b")
# "Qui embauche … ?" is most often answered by a company, but may be by "des universités".
_ASKS_ORGANISATION_QUI = _pattern(
    r"^\W*qui\s+(?:embauche|recrute|emploie|cherche|propose|offre|finance|investit|publie|a publi|fabrique|vend)")
_ONE_PERSON = (r"(?:journaliste|reporter|r[ée]dact(?:eur|rice)|[ée]conomiste|chercheu(?:r|se)|professeur|universitaire|"
               r"d[ée]put[ée]e?|maire|s[ée]nat(?:eur|rice)|ambassad(?:eur|rice)|avocate?|juge|entrepreneu(?:r|se)|"
               r"investisseu(?:r|se)|porte-parole|cr[ée]at(?:eur|rice)|photographe|romanci(?:er|ère)|po[èe]te|philosophe|"
               r"historien(?:ne)?|savant|g[ée]n[ée]ral|capitaine|pr[ée]sentat(?:eur|rice)|peintre|sculpt(?:eur|rice)|"
               r"compositeur|compositrice|[ée]crivain|musicien(?:ne)?|r[ée]alisat(?:eur|rice)|architecte|pilote|copilote|"
               r"navigat(?:eur|rice)|roi|reine|empereur|pape|saint|prophète|ministre|gouverneur|bourgmestre|maire|"
               # (a relative is a person too: "Comment s'appelait le mari de… ?")
               r"mari|[ée]poux|[ée]pouse|femme|p[èe]re|m[èe]re|fils|fille|fr[èe]re|s(?:œ|oe)ur|oncle|tante|"
               r"grand-p[èe]re|grand-m[èe]re|cousine?|compagnon|compagne|fianc[ée]e?|successeur|pr[ée]d[ée]cesseur)")
_ASKS_PERSON = _pattern(
    r"^\W*(?:(?:par|de|à|avec|pour|contre|chez)\s+)?qui\b"
    r"|\bquel(?:le)?s?\s+(?:est |sont |était )?(?:la |le |les |l')?(?:personne|personnalit[ée]|auteur|autrice|pdg|"
    r"patron|fondat(?:eur|rice)|pr[ée]sident|directeur|directrice|dirigeant|ministre|roi|reine|empereur|pape|"
    r"[ée]crivain|artiste|peintre|compositeur|joueur|entra[iî]neur|chanteur|acteur|actrice|inventeur)s?\b"
    r"|\bquel(?:le)?\s+(?:est |était )?(?:la |le |l')?" + _ONE_PERSON + r"\b")
_ASKS_PLACE = _pattern(
    r"^\W*o[uù]\b|\b(?:d'|par |vers )o[uù]\b|\bdans quel(?:le)?s? (?:pays|ville|r[ée]gion|continent|"
    r"d[ée]partement|lieu|endroit|zone|quartier)\b|\bquel(?:le)?s? (?:est |sont )?(?:le |la |les |l')?(?:pays|ville|"
    r"r[ée]gion|continent|lieu|endroit|capitale|d[ée]partement|province|commune|fleuve|rivi[èe]re|montagne|[îi]le)s?\b")
_ASKS_NAME = _pattern(
    r"\bquel(?:le)?s?\s+(?:est|sont)?\s*(?:la|le|les|l')?\s*(?:nom|titre|surnom)s?\b|\bcomment s'appel"
    r"|\bqui\s+(?:a|ont|avait)\s+(?:écrit|rédigé|signé|fondé|créé|inventé|découvert|réalisé|composé|peint)\b"
)
_ASKS_DEFINITION = _pattern(
    r"\bqu'est-ce qu(?:e|')\s*(?:un|une|le|la|les|l'|des)\b|\bc'est quoi\b|\bque (?:signifie|d[ée]signe|veut dire)\b"
    r"|\bqu'appelle-t-on\b|\bà quoi (?:sert|servent)\b|\bquel(?:le)?s? (?:est |sont )?(?:le |la |les |l')?"
    r"(?:r[ôo]le|mission|fonction|t[âa]che|d[ée]finition)s?\b|\bque (?:font|fait)\s+(?:un|une|le|la|les|l')"
    r"|\bde quoi s'occupen?t?\b|\bqui sont les\b")
# Questions that ask for a cause, and (below) those that ask for a cause or an effect.
_WHY = (r"\bpourquoi\b|\bpour quelles? raisons?\b|\b(?:à|a) cause de quoi\b|\bqu'est-ce qui (?:explique|pousse|motive|"
        r"justifie|cause|a (?:caus|provoqu|entra[iî]n|pouss|motiv|conduit|men))")
_ASKS_CAUSE = _pattern(_WHY + r"|\bquel(?:le)?s? (?:est |sont )?(?:la |les |le )?(?:raison|cause|motif|origine)s?\b")
# "Quelle est la conséquence… ?" is a reason question too, but it asks for an effect.
_ASKS_REASON = _pattern(_WHY + r"|\bquel(?:le)?s? (?:est |sont )?(?:la |les |le )?"
                        r"(?:raison|cause|motif|origine|risque|effet|cons[ée]quence|impact)s?\b")
_ASKS_MANNER = _pattern(r"^\W*comment\b(?! s'appel)|\bde quelle (?:mani[èe]re|fa[çc]on)\b|\bpar quels? moyens?\b")
# A measure question is answered by a number with a unit of its kind: "Quelle est la superficie… ?" not by
# "route départementale 47".
_MEASURES = {"area": _pattern(r"\b(?:superficie|surface|aire)\b|\bcombien de (?:km[2²]|m[2²]|hectares)"),
             "length": _pattern(r"\b(?:altitude|hauteur|longueur|largeur|profondeur|distance|diam[èe]tre|[ée]paisseur)\b"
                                r"|\bà quelle (?:altitude|hauteur|distance|profondeur)\b|\bcombien de (?:m[èe]tres|kilom[èe]tres|"
                                r"km|long|large|haut|profond)\b"),
             "mass": _pattern(r"\b(?:poids|masse)\b|\bcombien de (?:kilos|kg|tonnes)\b"),
             "temperature": _pattern(r"\btemp[ée]rature\b"),
             "speed": _pattern(r"\bvitesse\b"),
             "age": _pattern(r"\b(?:[àa] )?quel [âa]ge\b|\bl'[âa]ge\b")}
# Events of a life or of an institution that a date or place question asks about ("Quand est né… ?", "la date
# de fondation…"): the quote must speak of that event, not give another date of the same person. Each pattern
# reads the noun and the verb's forms, accents folded.
_LIFESPAN = r"|\(\s*(?:v\.\s*)?\d{3,4}\s*[-–]\s*(?:v\.\s*)?\d{3,4}\s*\)"  # "Christopher Marlowe (1564-1593)"
_CREATED = r"|\bcre{1,2}e?e?s?\b|\bcreation|\b(?<!se )fond(?:e|ee|es|ees|a|erent|ation|ateur|atrice)\b"
EVENTS = {"fondation": _pattern(_CREATED[1:]),
          "naissance": _pattern(r"\b(?:est|sont|etait|etaient|fut|furent)(?:-(?:il|elle|ils|elles|t-il|t-elle))?\s+nee?s?\b"
                                r"|\bnee?s?\s+(?:le|en|a|au|aux|dans|vers|a la|le\s+\d)\b|\bnaissance|\bna[iî]t\b|\bnaqui"
                                + _LIFESPAN + _CREATED),
          "mort": _pattern(r"\bmorte?s?\b|\bd[ée]c[èe]s|\bd[ée]c[ée]d|\bmeurt\b|\bmouru" + _LIFESPAN),
          "mariage": _pattern(r"\bmari[ée]e?s?\b|\bmariage|\bepous"),
          "construction": _pattern(r"\bconstrui|\bconstruction|\bb[âa]ti|\bedifi"),
          "election": _pattern(r"\b[ée]lue?s?\b|\b[ée]lection")}
_COUNTED = re.compile(r"\bcombien\s+d(?:e\s+|['’])(\w+)", re.IGNORECASE)
_NAME_NOUN = re.compile(r"\b(?:nom|surnom|pseudonyme|titre|appellation|sobriquet)s?\b")
# "Qui était le copilote de Herrmann… ?": someone's role towards a named person or thing, filled by a name
# (read on the question as typed: the capital says the complement is a name).
_ROLE_OF_NAME = re.compile(r"^\W*(?:et\s+)?qui\s+(?:est|était|fut|sera|a été)\s+(?:le|la|l')\s*[\w-]+\s+(?:de|du|d')\s*[A-ZÀ-Þ]",
                           re.IGNORECASE)
# A person question the answer must name someone for ("Qui dirige NVIDIA ?"); a bare "qui" may be
# answered by a role ("Qui est chargé d'encadrer… ?" → "les éthiciens de l'IA").
_ASKS_NAMED_PERSON = _pattern(
    r"^\W*qui\s+(?:dirige|pr[ée]side|gouverne|poss[èe]de|a fond[ée]|a cr[ée]{2}|a invent[ée]|a d[ée]couvert|"
    r"(?:est|était|etait|sont) [àa] la t[êe]te d|"
    r"(?:est|était|sont) (?:le |la |les |l')?(?:pdg|patron|fondat|pr[ée]sident|directeur|directrice|dirigeant|ceo|chef|"
    r"auteur|autrice))"
    r"|^\W*par qui\b|\bquel(?:le)?s?\s+(?:est |sont |était )?(?:la |le |les |l')?(?:personne|pdg|patron|dirigeant)s?\b"
    # "Comment s'appelle le maire… ?": a person's role, filled by a name.
    r"|\bcomment s'appel\w*\s+(?:le|la|l')\s*" + _ONE_PERSON + r"\b"
    # One person of a trade, named: "Quel journaliste de Forbes a signé… ?" ("Quels experts…" asks for roles).
    r"|\bquel(?:le)?\s+(?:est |était )?(?:la |le |l')?" + _ONE_PERSON + r"\b")
# The role a person question asks the holder of: "Comment s'appelle le maire…", "Qui était le copilote de…".
_ROLE_HELD = re.compile(r"(?:\bcomment s'appel\w*|^\W*qui\s+(?:est|etait|sont|etaient|fut))\s+(?:le |la |les |l')\s*"
                        r"(?:(?:nouvel(?:le)?|nouveau|premier|premiere|dernier|derniere|ancien(?:ne)?|actuel(?:le)?|grand|grande"
                        r"|principal|principale|futur|future|jeune|vrai|veritable)\s+)?([\w-]+)")
# "Quelles compétences…", "Quels sont les…": the answer is several things.
_ASKS_LIST = _pattern(r"\bquel(?:le)?s\b|\blesquel(?:le)?s\b|\bcitez\b|\b[ée]num[ée]r")


def _fold(text: str) -> str:
    return strip_accents(_unled(normalize(text)))


# "Et qui encadre… ?", "Mais pourquoi… ?": a conjunction before the question word hides it from the patterns.
_LEAD = re.compile(r"^\W*(?:et|mais|alors|donc|bon|ok|sinon|puis)\b[\s,]*(?=\S)", re.IGNORECASE)


# Spoken French puts the question word after « c'est »: « c'est qui le maire de Rome », « le salaire, c'est
# combien ? », « c'était quand ? ». The patterns read it in the written order (« qui est le maire… »).
_SPOKEN_FRONT = re.compile(r"^\W*c'(est|était|etait)\s+(qui|où|ou|quand|combien)\b\s*")
_SPOKEN_BACK = re.compile(r"^\W*(.+?)[\s,]+c'(est|était|etait)\s+(qui|où|ou|quand|combien)\W*$")


# "Quand on maîtrise l'IA, on gagne combien… ?": a clause of condition or time before the question, which a
# question word after its comma asks ("quand" there is no "when?").
_CONDITION = re.compile(r"^\W*(?:quand|lorsqu'|lorsque|si|s'il|s'ils|une fois qu'|une fois que)\s*[^,?]+,\s*")


def _unled(low: str) -> str:
    """The question as the patterns read it: without a leading conjunction or condition, in the written word order."""
    low = _LEAD.sub("", low, count=1)
    if (m := _CONDITION.match(low)) and _WH_WORD.search(low, m.end()):
        low = low[m.end():]
    if m := _SPOKEN_FRONT.match(low):
        return f"{m.group(2)} {m.group(1)} {low[m.end():]}"
    if (m := _SPOKEN_BACK.match(low)) and not _WH_WORD.match(low, re.match(r"\W*", low).end()):
        return f"{m.group(3)} {m.group(2)} {m.group(1)} ?"
    return low



def answer_type(question: str) -> str | None:
    """What the question asks for: 'duration', 'date', 'percentage', 'amount', 'number', 'organisation',
    'person', 'place', 'name', 'definition', 'reason', 'manner', 'list' or None (an open question)."""
    q = _fold(question)
    if _KEYWORDS.match(q) and not _WH_WORD.search(q) and not _INVERTED_VERB.search(q):
        # "salaire median des metiers de l'IA" is typed as "Quel est le salaire médian… ?"
        q = "quel est " + (q if re.match(r"^\W*(?:le|la|les|l')\b", q) else "le " + q)
    # "C'est quoi le surnom de… ?", "Qu'est-ce que le salaire médian… ?": the noun says what is asked, as after "quel est".
    which = re.sub(r"\b(?:c'est quoi|qu'est-ce que)\s+(le|la|les|l')\s*", r"quel est \1 ", q, count=1)
    if which != q and any(p.search(which) for p in (_ASKS_NAME, _ASKS_DATE, _ASKS_NUMBER, _ASKS_PERCENT, _ASKS_DURATION)):
        q = which
    if _ASKS_DURATION.search(q):
        return "duration"
    if re.search(r"\bde quelles? origines?\b", q):
        return None  # "De quelle origine sont les criollos ?": a people or a place, not a cause
    if _ASKS_DATE.search(q):
        return "date"
    if _ASKS_NUMBER.search(q) or _ASKS_PERCENT.search(q) or (_ASKS_DIFFERENCE.search(q) and _ASKS_PAY.search(q)):
        if _ASKS_MONEY.search(q):
            return "amount"
        return "percentage" if _ASKS_PERCENT.search(q) else "number"
    for kind, pattern in (("organisation", _ASKS_ORGANISATION), ("organisation", _ASKS_ORGANISATION_QUI),
                          ("name", _ASKS_NAME), ("definition", _ASKS_DEFINITION),
                          ("person", _ASKS_PERSON), ("place", _ASKS_PLACE), ("reason", _ASKS_REASON),
                          ("manner", _ASKS_MANNER)):
        if pattern.search(q):
            return kind
    return "list" if _ASKS_LIST.search(q) else None


# A query typed as keywords, opening on the measure it wants: "salaire prompt engineer", "date de publication ?".
_KEYWORDS = re.compile(r"^\W*(?:(?:le|la|les|l')\s*)?(?:salaires?|prix|couts?|montants?|taux|nombre|pourcentage|"
                       r"part|remuneration|budget|date|annee|duree|hausse|baisse|augmentation|croissance)\b")


_SUMMARY = re.compile(r"\bque (?:dit|disent|raconte|racontent|sait-on|savons-nous|retenir)\b|\bparle[sz]?-moi\b"
                      r"|\bqu'en est-il\b|\bqu'est-ce que (?:le texte|l'article|le document|les documents) (?:dit|disent)\b")
_INVERTED_VERB = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)\b|\best-ce\b")  # a verb: a sentence, not keywords


def wants_list(question: str) -> bool:
    """The question asks for several things ("Quelles entreprises recrutent… ?")."""
    q = _fold(question)
    return bool(_ASKS_LIST.search(q)) and not _ASKS_REASON.search(q) and not _ASKS_NUMBER.search(q) \
        and not _ASKS_DATE.search(q)


@lru_cache(maxsize=None)
def _terms(words: str) -> frozenset[str]:
    """The analysed terms of a word list, computed on first use: importing askjobs loads no lexicon."""
    return frozenset(analyze(words))


# Words that say what kind of answer a pay question wants, not whose pay: what is left ("ingénieur",
# "invite") is the role the amount must be stated for.
_PAY_WORDS = ("salaire salaires gagner gagne payé paie rémunération touche combien médian moyen "
                               "moyenne annuel brut net fourchette plafond minimum maximum montant environ plus base "
                               "fixe niveau aujourd'hui actuellement total totale")
# Answer types a quote must hold for the answer to stand: a number question answered without a
# number is no answer. (An open "qui" or "où" may be answered by a role or an institution.)
REQUIRED_TYPES = frozenset({"date", "duration", "percentage", "amount", "number", "organisation", "name"})

# Words of the question that must be found in the documents for an answer to be about it: a name
# not at the start of the question, a word with a digit, an acronym.
_KEY_TOKEN = re.compile(r"(?<=\S\s)[A-ZÀ-Þ][\w-]+|\b(?!\d{1,2}(?:er|re|ère|e|ème|nd|nde)\b)\w*\d\w*\b|\b[A-ZÀ-Þ]{2,}\b")
# (ordinals such as "1er", "3e" are left out: the text may well write "premier", "troisième")
_CAPITALISED = re.compile(r"[A-ZÀ-ÞŒ][\w'’.-]*")
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\d[\d\s\u202f\u00a0]*(?:[.,]\d+)?")
_PLACE = re.compile(r"\b(?:en|au|aux|à|dans l'|dans le|dans la|du|de la|des)\s+((?:[A-ZÀ-Þ][\w'’-]+)(?:[ -][A-ZÀ-Þ][\w'’-]+)*)")
# The role of a pay question: "le salaire d'un ingénieur d'invite", "combien gagne un auditeur …".
_ROLE_BEFORE = re.compile(r"(?:^|,)\s*(?:(?:un|une|le|la|les|des)\s+|l')?([^,?]+?)\s*$", re.IGNORECASE)
_ROLE_END = re.compile(r"\s+(?:selon|d'après|d'apres|chez|en\s+(?:19|20)\d\d|par\s+(?:an|mois|heure|jour))\b", re.IGNORECASE)
# (the verb in any tense: "gagnait", "gagnera", "touche-t-il")
_PAY_VERB = r"(?:gagn|touch)(?:e|es|ent|ait|aient|era|eront|erait|eraient)?(?:-t)?(?:-(?:il|elle|ils|elles|on))?"
_ROLE = re.compile(r"(?:\b(?:salaires?|r[ée]mun[ée]rations?|paie|" + _PAY_VERB + r"|"
                   r"pay[ée]e?s?)\s+(?:moyen\s+|médian\s+|annuel\s+)?"
                   r"(?:d'une?\s+|des\s+|du\s+|de la\s+|de l'|d'|les\s+|le\s+|la\s+|l'|une?\s+)?)"
                   r"([^?!.,;]+)", re.IGNORECASE)


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
    numbers: tuple[str, ...] = ()  # other numbers the question states ("157 000", "38")
    places: tuple[str, ...] = ()  # "en France", "aux États-Unis", "entreprises canadiennes": where the answer must be about
    role: tuple[str, ...] = ()  # a pay question's role ("ingénieur d'invite"), as analysed terms
    role_text: str = ""  # … as written in the question, for the refusal's reason
    priced: str = ""  # what a cost question asks the price of ("un master en IA"), as written
    priced_head: str = ""  # … its head noun, analysed ("master"): the quote must name it
    decrease: bool = False  # the question asks about a loss or a fall ("détruire", "perdre", "baisser")

    def to_dict(self) -> dict:
        return {"key_tokens": list(self.key_tokens), "names": sorted(self.names), "years": list(self.years),
                "numbers": list(self.numbers), "places": list(self.places), "role": self.role_text or None,
                "priced": self.priced or None,
                "decrease": self.decrease}


@dataclass(frozen=True)
class Query:
    """A question analysed once: what retrieval and the reader read instead of the raw text."""

    text: str  # the question as asked (cleaned)
    resolved: str  # the question answered: `text`, or a follow-up completed from the conversation
    terms: tuple[str, ...]  # analysed content terms of `resolved`, in order, without repeats
    weights: dict[str, float] = field(default_factory=dict)  # IDF of each term in the index
    answer_type: str | None = None
    type_required: bool = False  # the quote must hold the answer type (see REQUIRED_TYPES), else it is no answer
    wants_list: bool = False  # several items are asked for ("Quelles entreprises… ?")
    focus: tuple[str, ...] = ()  # the term of what is asked for ("compétences", "transformation"), see _focus
    slot: str | None = None  # the preposition the answer follows: "pour" in "Pour qui… ?", "grâce à" in "Grâce à quoi… ?"
    defined: str = ""  # what a definition question asks about: "RAG" in "C'est quoi le RAG ?"
    asks_meaning: bool = False  # … and it asks what the word means ("qu'est-ce que", "que signifie"), not what it is for
    asks_cause: bool = False  # a reason question that asks why ("pourquoi", "quelle raison"), not for an effect
    asks_where: bool = False  # an "où" question ("Quel pays… ?" is a place question too, answered by a name)
    asks_count: bool = False  # "Combien d'offres… ?": a count, which a rate ("+38 %") or a sum of money does not give
    agent: bool = False  # "Qui est l'organisateur de… ?": a named person or organisation answers
    collective: bool = False  # "Qui embauche… ?": an organisation, or a kind of them ("les universités"), answers
    event: str = ""  # "naissance", "mort", "fondation"…: the event a date or place question asks about (see EVENTS)
    measure: str = ""  # "area", "length", "mass", "temperature", "speed", "age": the unit a measure question wants
    counted: frozenset[str] = frozenset()  # what a count question counts, analysed: "francais" in "Combien de Français… ?"
    # The role whose holder a person question asks for, analysed: "bourgmestr" in "Comment s'appelle le
    # bourgmestre de Berlin ?", "copilot" in "Qui était le copilote de Herrmann ?"
    role_held: tuple[str, ...] = ()
    asks_naming: bool = False  # a name question about a name itself ("Quel est le surnom de… ?"), see answer._typed
    asks_difference: bool = False  # a pay question about a difference ("combien de plus"): a premium answers, a salary not
    asks_summary: bool = False  # "Que dit le texte sur… ?", "Parlez-moi de…": what is said, no one phrase answers
    asks_subject: bool = False  # the question word is the verb's subject ("Qui a tué… ?", "Quelle espèce dépense… ?")
    yes_no: bool = False  # a closed question ("Les compétences techniques suffisent-elles… ?"): no short answer
    constraints: Constraints = Constraints()
    # For each term the documents never use, the index terms closest in meaning with their credit: the
    # cosine of the word vectors times the IDF of the index term over that of the rarest ({"defaill": 0.52}), see
    # askjobs.wordvec; a credited term counts for that part of the missing term's weight.
    related: dict[str, dict[str, float]] = field(default_factory=dict)
    about_document: str | None = None  # 'date', 'author' or 'topic'
    context: dict | None = None  # how a follow-up was resolved, None for a standalone question

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values()) or 1.0

    def to_dict(self) -> dict:
        return {"understood": self.resolved, "answer_type": self.answer_type, "wants_list": self.wants_list,
                "terms": list(self.terms), "focus": list(self.focus), "slot": self.slot, "defined": self.defined or None,
                "constraints": self.constraints.to_dict(), "about_document": self.about_document,
                "context": self.context}


def analyse_question(text: str, index: "Index | None" = None, *, resolved: str | None = None,
                     context: dict | None = None, words: "WordVectors | None" = None) -> Query:
    """Analyse a (cleaned) question once; `index` supplies the terms' IDF, `words` the words close in
    meaning to those the index never uses (askjobs.wordvec)."""
    resolved = resolved or text
    terms = tuple(dict.fromkeys(analyze(resolved)))
    weights = {t: index.idf(t) for t in terms} if index is not None else {t: 1.0 for t in terms}
    stripped = resolved.strip()
    kind = answer_type(resolved)
    low = _unled(normalize(resolved))
    if kind == "definition" and _VERB_AFTER.search(low):
        kind = None  # "Qu'est-ce que les Romains ont construit ?": an open question about what was done
    years = tuple(dict.fromkeys(_YEAR.findall(resolved)))
    numbers = tuple(n for n in dict.fromkeys(m.group().strip() for m in _NUMBER.finditer(resolved)) if n not in years)
    folded = _fold(resolved)
    role, role_text = _role(resolved, terms) if kind == "amount" and _ASKS_PAY.search(folded) else ((), "")
    constraints = Constraints(key_tokens=_key_tokens(stripped),
                              names=frozenset(names_in(resolved, all_words=True)), years=years, numbers=numbers,
                              places=asked_places(resolved),
                              role=role, role_text=role_text, decrease=bool(_DECREASE.search(low)),
                              **(_priced(resolved) if kind == "amount" and not role else {}))
    # A name, an acronym or a number has no synonym: the near-miss checks look for it as written.
    named = {t for token in constraints.key_tokens for t in analyze(token)}
    related = related_terms(words, index, [t for t in terms if t not in named]) if index is not None else {}
    if kind == "name" and _ASKS_NAMED_PERSON.search(folded):
        kind = "person"  # "Comment s'appelle le bourgmestre… ?" is answered by a person's name
    # "Qui est l'organisateur de la Coupe du monde ?", "Qui était le copilote de Herrmann ?": a role filled by a
    # named person or organisation.
    agent = kind == "person" and not _ASKS_NAMED_PERSON.search(folded) and bool(_ROLE_OF_NAME.match(stripped))
    collective = kind == "organisation" and not _ASKS_ORGANISATION.search(folded)
    asks_where = kind == "place" and bool(re.match(r"^\W*(?:d'|par |jusqu'|vers )?ou\b", folded))
    # "À quelle région… ?", "Dans quel pays… ?" want a place; an open "où" may be answered by an institution
    # ("dans les universités"), which _form_unmet checks instead.
    required = kind in REQUIRED_TYPES or (kind == "place" and not asks_where) \
        or (kind == "person" and bool(_ASKS_NAMED_PERSON.search(folded))) or agent
    return Query(text=text, resolved=resolved, terms=terms, weights=weights, answer_type=kind, type_required=required,
                 wants_list=wants_list(resolved), focus=_focus(resolved), slot=None if _defined(resolved) else _slot(low),
                 defined=_defined(resolved), asks_meaning=bool(_defined(resolved)) and not _PURPOSE.search(low),
                 asks_cause=kind == "reason" and bool(_ASKS_CAUSE.search(folded)),
                 asks_where=asks_where,
                 asks_count=kind == "number" and bool(
                     re.search(r"\bcombien d(?:e\s|')(?!temps|annees|fois|pour|dollars|euros|francs|livres)", folded)),
                 asks_difference=kind == "amount" and bool(_ASKS_DIFFERENCE.search(folded)),
                 collective=collective, agent=agent,
                 counted=frozenset(analyze(m.group(1))) if (m := _COUNTED.search(resolved)) else frozenset(),
                 asks_naming=kind == "name" and bool(_NAME_NOUN.search(normalize(resolved))),
                 role_held=tuple(analyze(m.group(1))) if kind == "person" and (m := _ROLE_HELD.search(folded)) else (),
                 measure=next((m for m, p in _MEASURES.items() if p.search(folded)), "") if kind == "number" else "",
                 event=next((e for e, p in EVENTS.items() if p.search(folded)), "") if kind in ("date", "place") else "",
                 asks_summary=kind is None and bool(_SUMMARY.search(folded)),
                 yes_no=not _WH_WORD.search(low),
                 asks_subject=bool(_ASKS_SUBJECT.search(low)),
                 constraints=constraints, related=related,
                 about_document=question_about_document(resolved), context=context)


# Where, not who: "un ingénieur IA américain" is paid in the United States (a place the key-token
# and year checks look after), the role is "ingénieur IA".
_DEMONYMS = ("américain américaine français française européen européenne canadien canadienne "
                              "britannique allemand allemande chinois chinoise indien indienne japonais japonaise "
                              "anglais anglaise africain africaine asiatique mondial mondiale international "
                              "internationale national nationale local locale")


# Nationalities, masculine singular (feminine and plural forms follow, see _NATIONALITY): "les entreprises
# canadiennes" asks about Canada as "au Canada" does.
NATIONALITIES = ("américain français européen canadien britannique allemand chinois indien japonais anglais africain "
                 "asiatique espagnol italien belge suisse québécois mexicain brésilien russe coréen australien "
                 "néerlandais portugais marocain algérien tunisien sénégalais").split()
NATIONALITY = re.compile(r"(?<![\w-])(?:" + "|".join(NATIONALITIES) + r")(?:n?e)?s?(?![\w-])", re.IGNORECASE)
_ASKED_PLACE = re.compile(r"\b(?:en|au|aux|à)\s+((?:[A-ZÀ-Þ][\w'’-]+)(?:[ -][A-ZÀ-Þ][\w'’-]+)*)")


def _key_tokens(question: str) -> tuple[str, ...]:
    """Names, acronyms and numbers as written; a capitalised first word when it is no French word
    ("Capgemini cherche quels profils ?": every question opens on a capital, a name does too)."""
    tokens = _KEY_TOKEN.findall(question)
    # … when a verb follows it ("Capgemini cherche…"): a word the dictionary lacks may be a grammatical
    # one ("Hormis l'usage militaire, …", "Pourtant, …", "Via quel…"), followed by a determiner or a comma.
    first = re.match(r"\W*([A-ZÀ-Þ][\w-]{2,})\b(?!['’])(?=\s+(\w+)\b(?!['’]))", question)
    if first and normalize(first.group(2)) in stopwords():
        first = None
    # (a verb with its subject pronoun is a verb: "Faut-il", "Recrute-t-elle")
    word = re.sub(r"(?:-t)?-(?:il|elle|ils|elles|on|je|tu|nous|vous|ce)$", "", first.group(1), flags=re.IGNORECASE) \
        if first else ""
    if word and word not in tokens and not is_french_word(word) and normalize(word) not in stopwords():
        tokens.insert(0, word)
    return tuple(dict.fromkeys(tokens))


def asked_places(question: str) -> tuple[str, ...]:
    """The places a question is about, as written: "en France", "aux États-Unis", "travailleurs européens";
    a country or a continent typed without its capital too ("et en europe ?")."""
    found = [m.group(1) for m in _ASKED_PLACE.finditer(question)] + [m.group() for m in NATIONALITY.finditer(question)]
    for m in _ASKED_PLACE_TYPED.finditer(question):
        words = m.group(1).split()
        for n in range(len(words), 0, -1):  # the longest name: "amérique du sud" before "amérique"
            if strip_accents(" ".join(words[:n]).lower()) in territories():
                found.append(" ".join(words[:n]))  # as typed: the reader looks for it in all its forms
                break
    return tuple(dict.fromkeys(found))


# A place typed in lower case: up to three words after the preposition ("en europe", "aux états-unis").
# (a lookahead: "liés à l'IA en europe" must be tried at "en" as well as at "à")
_ASKED_PLACE_TYPED = re.compile(r"\b(?:en|au|aux|à)\s+(?=((?-i:[a-zà-ÿ])[\w'’-]+(?:\s+[\w'’-]+){0,2}))", re.IGNORECASE)


@lru_cache(maxsize=1)
def territories() -> frozenset[str]:
    """French names of countries, continents and world regions (the CLDR's, from Babel), folded to lower case."""
    from babel import Locale

    # (not "Monde", "au monde" being no place, nor the unknown region, the United Nations, the euro zone)
    return frozenset(strip_accents(name.lower()) for code, name in Locale("fr").territories.items()
                     if code not in ("001", "ZZ", "UN", "EZ", "QO"))


# A question about a loss or a fall: the quote must speak of one, not of a rise ("créeront 69 millions
# de nouveaux emplois" does not say how many jobs AI will destroy).
_DECREASE = re.compile(r"\b(?:d[ée]trui|supprim|perd|disparai|dispara[iî]t|baiss|diminu|licenci|chut|recul|"
                       r"r[ée]dui|menac|d[ée]clin)")


# Adjectives that come before the noun a list question is about ("les nouveaux métiers").
_BEFORE_NOUN = ("nouveaux nouvelles grands grandes principaux principales meilleurs meilleures "
                                 "autres premiers premières derniers dernières petits petites plus")


def _focus(question: str) -> tuple[str, ...]:
    """The term of what the question asks for: the noun after "quel(s)/quelle(s) (est/sont) (le/les)" or
    "quel genre de": "compétences" in "Quelles compétences…", "transformation" in "Quel genre de
    transformation…". The answer is that noun with what the question does not say ("une transformation
    structurelle"), or what the text calls one."""
    m = re.search(r"\bquel(?:le)?s?\s+(?:est\s+|sont\s+|était\s+|étaient\s+)?(?:les?\s+|la\s+|l'|des\s+)?"
                  r"(?:(?:genre|type|sorte|forme|esp[èe]ce|catégorie)s?\s+(?:de\s+|d'))?(.*)", normalize(question))
    if not m:
        return ()
    for t in analyze(m.group(1)):
        if t not in _terms(_BEFORE_NOUN):
            return (t,)
    return ()


# "Pour qui…", "Grâce à quoi…", "… repose-t-elle sur quoi ?": the answer is what follows that
# preposition in the text ("… pour les professionnels techniques").
_SLOT = re.compile(r"(?:^\W*(?:et\s+)?|\s)(pour|gr[âa]ce [àa]|avec|par|sur|contre|chez|aupr[èe]s de|[àa] cause de|"
                   r"en raison de|[àa] partir de|vers|selon)\s+(?:qui|quoi|lequel|laquelle|lesquel(?:le)?s)\b")
# ("à", "de", "en", "dans" are left out: nearly every sentence has one, so they single out nothing.)


# A question word: without one, the question is closed (yes or no) and no phrase of the quote is "the" answer.
_WH_WORD = re.compile(r"\b(?:qui|que|qu'|quoi|quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|o[uù]|quand|comment|combien|"
                      r"pourquoi|citez|cite|citer|nommez|nommer|donnez|indiquez|d[ée]cri(?:s|vez|re)|expliquez)\b")


# The question word stands for the subject: "Qui a tué… ?", "Qu'est-ce qui a causé… ?", "Quelle espèce dépense… ?"
# (not "Qui est le PDG… ?", nor an inverted "Quel territoire occupe le Canada ?", whose subject follows the verb).
_BE = r"(?:est|sont|était|étaient|fut|furent|sera|seront|serait)\b"
_INVERTED = r"(?!.*(?:-t-|-|\s)(?:il|elle|ils|elles|on)\b)"
_ASKS_SUBJECT = re.compile(rf"^\W*(?:qui|qu'est-ce qui|qu'est ce qui)\s+(?!{_BE}){_INVERTED}"
                           rf"|^\W*quel(?:le)?s?\s+(?!{_BE})\w+\s+(?:\w+\s+)?(?!{_BE})(?:a|ont|avait|avaient|s'|se|"
                           rf"\w+(?:e|ent|a|it|ait|aient))\b{_INVERTED}"
                           # "Quelles compétences (en données) sont nécessaires ?": the thing asked is what the text
                           # says is so (« La pensée critique … sont nécessaires »), unlike "Quel est le salaire… ?".
                           rf"|^\W*quel(?:le)?s?\s+(?!{_BE})\w+\s+(?:(?:en|de|d'|du|des)\s*\w+\s+)?{_BE}"
                           rf"(?!\s+(?:le|la|les|l'|un|une|des|du|de)\b){_INVERTED}")


def _slot(low: str) -> str | None:
    """The preposition before "qui/quoi" in a (normalised) question, as the text would write it."""
    m = _SLOT.search(low)
    return m.group(1).replace("grace a", "grâce à").replace("grâce a", "grâce à") if m else None


# "Qu'est-ce que le RAG ?", "C'est quoi un LLM ?", "Que signifie le sigle LLM ?": what is to be defined.
_DEFINED = re.compile(r"(?:qu['’]est[- ]ce\s+qu(?:e\s+|['’]\s*)|(?:c['’]est quoi|que (?:signifie|d[ée]signe|veut dire)|"
                      r"qu['’]appelle-t-on|[àa] quoi (?:sert|servent))\s+)(?:(?:le |la |les |l['’]|une? |des )?"
                      r"(?:sigle|acronyme|terme|mot|expression|notion|concept)\s+)?(?:le |la |les |l['’]|une? |des )?"
                      r"(.+?)\s*\??$", re.IGNORECASE)


# "Le prompt engineering, c'est quoi comme boulot ?", "cobot ça veut dire quoi": the word comes first.
_DEFINED_FIRST = re.compile(r"^\W*(?:le |la |les |l['’]|une? |des )?(.+?)\s*,?\s*(?:concr[èe]tement\s*,?\s*)?"
                            r"(?:c['’]est quoi|[çc]a (?:veut dire|signifie|d[ée]signe) quoi|[çc]a sert [àa] quoi)\b",
                            re.IGNORECASE)
# What follows the word only frames the question ("… pour les recruteurs", "… concrètement").
_DEFINED_FILLER = re.compile(r"^(?:exactement|concr[èe]tement|vraiment|au juste|donc)\s*,?\s+(?:le |la |les |l['’]|une? |des )?",
                             re.IGNORECASE)
# … or what it is about: "le boulot d'un chef de produit" asks what a product manager does.
_DEFINED_WORK = re.compile(r"^(?:boulot|travail|r[ôo]le|job|m[ée]tier|mission|quotidien|taf)s?\s+"
                           r"(?:d['’]une?\s+|des\s+|du\s+|de la\s+|de l['’]|d['’]|de\s+)", re.IGNORECASE)
_DEFINED_TAIL = re.compile(r"\s*,?\s+(?:selon|d['’]apr[èe]s|aujourd['’]hui|en pratique|exactement|"
                           r"concr[èe]tement|au juste|comme)\b.*$", re.IGNORECASE)


_PURPOSE = re.compile(r"\b(?:à|a) quoi (?:sert|servent)\b|[çc]a sert [àa] quoi")
# "Qu'est-ce que les Romains ont construit ?" asks for the object of a verb, not for a definition.
_VERB_AFTER = re.compile(r"qu['’]est[- ]ce\s+qu(?:e\s+|['’]\s*)[^?]*?\b(?:a|ont|avait|avaient|aura|auront|est|sont|"
                         r"était|étaient|fut|furent|sera|seront|fait|font|faisait|peut|peuvent|pourrait|doit|doivent|"
                         r"va|vont|veut|veulent|faut|il|elle|ils|elles|on|je|tu|nous|vous)\b", re.IGNORECASE)


def _defined(question: str) -> str:
    text = _LEAD.sub("", question.strip(), count=1)  # "Et c'est quoi l'IA agentique ?"
    if _VERB_AFTER.search(text):
        return ""
    m = _DEFINED_FIRST.search(text) or _DEFINED.search(text)
    if not m:
        return ""
    return _DEFINED_TAIL.sub("", _DEFINED_WORK.sub("", _DEFINED_FILLER.sub("", m.group(1)))).strip(" ,«»\"")


# "Combien coûte un master en IA ?", "le prix d'une formation": what the price is asked of.
_COST = re.compile(r"(?:\bco[uû]ten?t?(?:-(?:il|elle|ils|elles))?\s+|\b(?:co[uû]t|prix|tarif|budget)s?\s+"
                   r"(?:d'une?\s+|des\s+|du\s+|de la\s+|de l'|d'|de\s+))(?:une?\s+|les?\s+|la\s+|l')?([^?!.,;]+)",
                   re.IGNORECASE)


def _priced(question: str) -> dict:
    m = _COST.search(question.replace("’", "'"))
    head = next(iter(analyze(m.group(1))), "") if m else ""
    return {"priced": m.group(1).strip(), "priced_head": head} if head else {}


def _role(question: str, terms: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """Whose pay a pay question asks about ("le salaire d'un ingénieur d'invite"): the role's terms
    (without pay words, places and numbers, checked apart) and the words as written."""
    question = question.replace("’", "'")
    m = _ROLE.search(question)
    if not m:
        # Spoken, the role comes first: "data scientist, c'est combien le salaire ?"
        topic = re.match(r"^\W*(?:et\s+)?(?:(?:un|une|le|la|les|des)\s+|l')?(.+?)[\s,]+c'est\s+combien\b", question,
                         re.IGNORECASE)
        if topic is None:
            return (), ""
        m = topic
    text = m.group(1).strip()
    if re.match(r"combien\b", text, re.IGNORECASE):
        # "…, un chef de produit IA touche combien par an ?": the role is the verb's subject, before it.
        subject = _ROLE_BEFORE.search(question[:m.start()])
        text = subject.group(1).strip() if subject else ""
    # Whose figure it is, not whose pay: "… selon Forbes", "… d'après LinkedIn", "… en 2025".
    text = _ROLE_END.split(text, maxsplit=1)[0].strip()
    places = set(analyze(" ".join(p.group(1) for p in _PLACE.finditer(question))))
    role = tuple(t for t in dict.fromkeys(analyze(text))
                 if t not in _terms(_PAY_WORDS) and t not in places and t not in _terms(_DEMONYMS)
                 and not t.isdigit())
    return (role, text) if role else ((), "")
