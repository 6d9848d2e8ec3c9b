"""Document structure: headings, the section each sentence sits in, and introduced lists, with exact offsets.

A careful reader uses a document's layout: a heading is context for the sentences under it, a
sentence ending on a colon announces what follows, and "Architectes IA: Ces personnes …" is one
item of a list, not a sentence to quote alone. This module finds that layout in the plain text of
a document (no model); the reader asks it which list a sentence belongs to and which section it is in.

Lists come in three shapes in real French text:
- an introduction ending on a colon, followed by lines (bullets or one item per line);
- an introduction ending on a colon, followed by run-on "Libellé: description" items, as scraped
  web pages glue them ("Amazon: Recrute … NVIDIA: Recherche …");
- a sentence followed by an enumeration opener ("Parmi eux, on trouve …", "Ceux-ci incluent …").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .schema import Span
from .text import is_date_line, is_heading, split_sentences

if TYPE_CHECKING:
    from .index import Index

# "Libellé: description": a short label (≤ 8 words, no sentence punctuation) opening a sentence.
_LABEL = re.compile(r"^[\"«“(]?\s*[A-ZÀ-ÖØ-ÞŒ0-9][^:.!?;\n]{0,80}?\s?:\s+\S")
_BULLET = re.compile(r"^\s*(?:[-*•–—▪◦·]|\d{1,2}[.)])\s+\S")
# A sentence that opens an enumeration of what the previous sentence announced.
_OPENER = re.compile(
    r"^(?:parmi (?:eux|elles|ceux-ci|celles-ci|ces \w+|les \w+)|on (?:y )?(?:trouve|compte|distingue)|"
    r"ceux-ci (?:incluent|comprennent|sont)|celles-ci (?:incluent|comprennent|sont)|"
    r"il s['’]agit (?:notamment )?(?:de|des|du)|notamment\b|en voici\b|les voici\b)", re.IGNORECASE)
# A sentence that goes on with more items of the same enumeration.
_MORE = re.compile(r"^(?:d['’]autres\b|enfin\b|également\b|on trouve aussi|il y a aussi|de même\b)",
                   re.IGNORECASE)
_MAX_ITEMS = 12
_SHORT_LINE = 200  # characters: a longer line after a colon is a paragraph, not an item


@dataclass(frozen=True)
class ListBlock:
    """An introducing sentence and the items it announces (each item one or more whole sentences)."""

    intro: Span
    items: tuple[Span, ...]

    @property
    def span(self) -> Span:
        return Span(self.intro.start, self.items[-1].end if self.items else self.intro.end)


@dataclass(frozen=True)
class Structure:
    """The layout of one document's text."""

    sentences: tuple[Span, ...]
    headings: tuple[Span, ...]
    lists: tuple[ListBlock, ...]

    def section_of(self, offset: int) -> Span | None:
        """The last heading before `offset` (the title counts): the section a sentence belongs to."""
        i = bisect.bisect_right([h.start for h in self.headings], offset) - 1
        while i >= 0 and self.headings[i].start == offset:  # a heading is not its own section
            i -= 1
        return self.headings[i] if i >= 0 else None

    def list_holding(self, start: int, end: int | None = None) -> ListBlock | None:
        """The list whose introduction or items overlap [start, end)."""
        end = start + 1 if end is None else end
        for block in self.lists:
            if block.intro.start < end and block.span.end > start:
                return block
        return None

    def is_heading(self, start: int) -> bool:
        return any(h.start == start for h in self.headings)


def document_structure(text: str) -> Structure:
    """Headings and lists of a document's text; every span is an exact [start, end) into `text`."""
    sentences = split_sentences(text)
    heading_flags = [is_heading(text[s.start:s.end]) and not is_date_line(text[s.start:s.end])
                     and not _BULLET.match(_line_of(text, s.start)) for s in sentences]
    ends = {s.end: n for n, s in enumerate(sentences)}
    lists: list[ListBlock] = []
    i = 0
    while i < len(sentences):
        block = _list_from(text, sentences, heading_flags, i)
        if block is None or not block.items:
            i += 1
            continue
        lists.append(block)
        i = ends[block.items[-1].end] + 1
    # Short lines announced by a colon are items, not headings.
    inside = [(it.start, it.end) for b in lists for it in b.items]
    headings = tuple(s for s, h in zip(sentences, heading_flags)
                     if h and not any(a <= s.start < e for a, e in inside))
    return Structure(tuple(sentences), headings, tuple(lists))


def structure_of(index: "Index", source: str) -> Structure:
    """A document's structure, computed once per index."""
    return index.cached(("structure", source), lambda: document_structure(index.documents[source].text))


def _line_of(text: str, offset: int) -> str:
    a = text.rfind("\n", 0, offset) + 1
    b = text.find("\n", offset)
    return text[a:len(text) if b < 0 else b]


def _same_line(text: str, a: Span, b: Span) -> bool:
    return "\n" not in text[a.end:b.start]


def _glued(a: Span, b: Span) -> bool:
    """No space between two sentences ("stocks.Ces"): scraped text whose layout was lost there."""
    return a.end == b.start


def _list_from(text: str, sentences: list[Span], headings: list[bool], i: int) -> ListBlock | None:
    """The list introduced by sentence i, if it introduces one."""
    s = sentences[i]
    if i + 1 >= len(sentences) or headings[i]:
        return None
    said, nxt = text[s.start:s.end], sentences[i + 1]
    if said.endswith(":"):
        if _LABEL.match(text[nxt.start:nxt.end]):
            return _labelled_items(text, sentences, headings, i)
        if _BULLET.match(_line_of(text, nxt.start)):
            return _line_items(text, sentences, i, bullets=True)
        if not _same_line(text, s, nxt):
            return _line_items(text, sentences, i, bullets=False)
        return ListBlock(s, (nxt,))  # "… comprennent: X, Y et Z." on one line: the rest of the sentence run
    if not headings[i + 1] and _OPENER.match(text[nxt.start:nxt.end]):
        items = [nxt]
        for j in range(i + 2, min(len(sentences), i + 2 + _MAX_ITEMS)):
            if headings[j] or not _MORE.match(text[sentences[j].start:sentences[j].end]):
                break
            items.append(sentences[j])
        return ListBlock(s, tuple(items))
    return None


def _labelled_items(text: str, sentences: list[Span], headings: list[bool], i: int) -> ListBlock:
    """Run-on "Libellé: description" items; an item goes on over the sentences that follow its label.

    The last item stops at a heading, at a glued boundary ("impartiaux.Compétences"), at a new line
    that is not another item, or after as many sentences as the longest earlier item.
    """
    items: list[list[Span]] = []
    for j in range(i + 1, len(sentences)):
        sj = sentences[j]
        if headings[j]:
            break
        labelled = bool(_LABEL.match(text[sj.start:sj.end]))
        prev = sentences[j - 1]
        if labelled:
            if len(items) >= _MAX_ITEMS:
                break
            items.append([sj])
            continue
        if not _same_line(text, prev, sj) or _glued(prev, sj):
            break
        if not _label_ahead(text, sentences, headings, j):  # the last item: as long as the longest other
            longest = max((len(it) for it in items[:-1]), default=2)
            if len(items[-1]) >= longest:
                break
        items[-1].append(sj)
    return ListBlock(sentences[i], tuple(Span(it[0].start, it[-1].end) for it in items))


def _label_ahead(text: str, sentences: list[Span], headings: list[bool], j: int) -> bool:
    """Another "Libellé:" item follows sentence j in the same run of text (same line, no glued boundary)."""
    for k in range(j + 1, len(sentences)):
        if headings[k] or not _same_line(text, sentences[k - 1], sentences[k]) or _glued(sentences[k - 1], sentences[k]):
            return False
        if _LABEL.match(text[sentences[k].start:sentences[k].end]):
            return True
    return False


def _line_items(text: str, sentences: list[Span], i: int, bullets: bool) -> ListBlock:
    """One item per line after the introduction, until a blank line or a line of another kind
    (a line that is not a bullet, or, for plain lines, a long paragraph)."""
    items: list[Span] = []
    j = i + 1
    while j < len(sentences) and len(items) < _MAX_ITEMS:
        line_start = text.rfind("\n", 0, sentences[j].start) + 1
        if items and text[items[-1].end:line_start].count("\n") > 1:
            break  # a blank line ends the list
        line = _line_of(text, sentences[j].start)
        if (bullets and not _BULLET.match(line)) or (not bullets and len(line.strip()) > _SHORT_LINE):
            break
        k = j  # the item is the whole line: every sentence on it
        while k + 1 < len(sentences) and _same_line(text, sentences[k], sentences[k + 1]):
            k += 1
        items.append(Span(sentences[j].start, sentences[k].end))
        j = k + 1
    if not items:  # it introduces a paragraph, not a list: what follows is its first sentence
        items = [sentences[i + 1]]
    return ListBlock(sentences[i], tuple(items))
