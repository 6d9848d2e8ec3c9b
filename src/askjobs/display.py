"""Text made safe to show: invisible characters that could disguise a quote are neutralised.

Documents may hold characters that change how text *looks* without being seen: a right-to-left
override (U+202E) displays "lanif" for "final", zero-width characters hide inside words, and a
terminal control (ESC) can rewrite the screen. askjobs stores and cites the document text exactly
(offsets never move); only what is *displayed* goes through `safe_display`.

`safe_display(text)`:
1. removes the bidirectional formatting controls — embeddings and overrides U+202A–U+202E,
   isolates U+2066–U+2069, marks U+200E, U+200F and U+061C — so no span can be shown reordered;
2. removes zero-width and invisible characters — U+200B (zero-width space), U+2060 (word joiner),
   U+FEFF (BOM), U+180E, U+2061–U+2064 (invisible operators), U+034F, U+115F, U+1160, U+3164,
   U+FFA0 (Hangul fillers), U+00AD (soft hyphen) and the tag characters U+E0000–U+E007F — except
   the zero-width joiner and non-joiner (U+200D, U+200C) when both neighbours are letters, marks or
   symbols, where they shape scripts and emoji ("👩‍💻") and disguise nothing;
3. replaces other control characters (C0, DEL, C1; not newline or tab) by U+FFFD "�", so a file
   name cannot send terminal escape sequences and the reader still sees that something was there;
4. when the result holds right-to-left letters (Hebrew, Arabic…), wraps it in a first-strong
   isolate (U+2068 … U+2069): its natural right-to-left display cannot pull the text around it
   (the "[1]" marker, the file name) into its order. Left-to-right text (all French) comes back
   without any added character.

Every other character is returned unchanged and in order, so a French quote is displayed as the
same visible characters as the document. Apply it to each piece *after* cutting by document
offsets (a quote, a passage before/after a highlight), never cut its result by offsets. In HTML,
apply it before escaping.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = ("\u200b\u2060\ufeff\u180e\u2061\u2062\u2063\u2064\u034f\u115f\u1160\u3164\uffa0\u00ad"
              + "".join(chr(c) for c in range(0xE0000, 0xE0080)))
JOINERS = "\u200c\u200d"
FSI, PDI = "\u2068", "\u2069"

_DROP = str.maketrans({c: None for c in BIDI_CONTROLS + ZERO_WIDTH})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JOINER_RE = re.compile(f"[{JOINERS}]+")


def _joins(prev: str, nxt: str) -> bool:
    """A joiner between two letters, marks or symbols shapes the text; elsewhere it only hides."""
    return bool(prev) and bool(nxt) and all(unicodedata.category(c)[0] in "LMS" for c in (prev, nxt))


def _strip_joiners(text: str) -> str:
    def keep(m: re.Match) -> str:
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        return m.group()[0] if _joins(before, after) else ""  # one joiner is all a join needs

    return _JOINER_RE.sub(keep, text)


def has_rtl(text: str) -> bool:
    """Whether the text holds a right-to-left letter (bidi class R or AL)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def safe_display(text: str) -> str:
    """The text as it should be shown: bidi controls and hidden characters neutralised (see module doc)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _strip_joiners(_CONTROL_RE.sub("\ufffd", text.translate(_DROP)))
    return f"{FSI}{text}{PDI}" if has_rtl(text) else text
