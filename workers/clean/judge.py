"""Choosing an HTML page's article among the bodies that several extractors propose.

Each extractor yields a candidate body; one judge measures every candidate the same way and picks. The measure,
``Judgement.score``, is the candidate's prose (its lines that read as sentences, each counted up to
``LINE_CAP`` words) less ``FURNITURE_WEIGHT`` per word of its lines of links (navigation rows, menus, link
lists: most of their cells are the text of a link of the page). Other lines (tables of figures, lists, headings,
and teaser cards: a line that opens with a link's text and goes on with a capital, a linked headline glued to its
summary) count neither way. A navigation table that a precise extraction returns as the article scores below zero; the
same page's article, found by another extractor, scores its length.

The choice:
1. trafilatura's precision mode, unless it scores less than ``PRECISION_HOLD`` of the page text (the precise
   body cut the article, or took furniture for it) and the alternative scores more than ``1 / PRECISION_HOLD``
   times as much. The alternative is resiliparse's main content cleaned by the page-text path when that holds
   against the page text by the same test; else trafilatura's default mode.
2. That body, unless the page text (the page rendered to text and cleaned by the page-text path) has a positive
   score and either trafilatura's body has none, or at least ``FLATTENED_SHARE`` of its words stand in lines
   longer than ``LINE_CAP`` words (a table-laid page's cell flattened into one line, article and furniture
   together) while the page text scores at least ``PAGE_TEXT_HOLD`` of it.

The constants were chosen together on the even-numbered pages (by id) of AEB and L3S-GN1, maximising the mean of
the two sets' mean page F1 over a grid, and checked on the odd-numbered pages, which they were not chosen on
(``bench.clean_eval``; the figures are in the docs notes). ``PRECISION_HOLD`` was re-used, not re-chosen, when
resiliparse's main content joined the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.clean.normalize import word_count
from workers.clean.pagetext import LINE_CAP, PROSE_MIN_WORDS, is_paragraph, is_prose

FURNITURE_WEIGHT = 2.0  # a word of a line of links costs two words of prose (grid 0.5-2; 2 best on both halves)
# A body stands unless the other scores twice as much (grid 0.5-0.9); the same test tells whether resiliparse's
# main content may stand in for trafilatura's default mode (re-used, not re-chosen: 0.3-0.7 give the same on the
# even pages; the odd ones checked it).
PRECISION_HOLD = 0.5
FLATTENED_SHARE = 0.3  # of a trafilatura body's words in over-long lines: a flattened layout table (grid 0.1-0.7)
PAGE_TEXT_HOLD = 0.3  # the page text replaces a flattened body when it scores this share of it (grid 0.3-1.5)
# Characters of the shortest ASCII line with PROSE_MIN_WORDS words: a character each and a gap between two (an
# unspaced script counts two characters a word and needs no gap: a line in one can hold them in 13 characters).
SHORTEST_PROSE = 2 * PROSE_MIN_WORDS - 1
TABLE_SEPARATOR = "|"  # how trafilatura writes the cells of a table row: "| a | b |"
# Separators of cells and of menu items written on one line: "| a | b |", "NEWS · SPORT", "Home • About".
_CELL = re.compile(r"\s+[|\u00b7\u2022]\s+")


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the judge found in a candidate: words of prose (capped per line), of lines of links, in long lines."""

    prose_words: int
    link_words: int
    flattened_share: float  # of all its words, the share in lines longer than LINE_CAP words

    @property
    def score(self) -> float:
        """The candidate's prose, less its furniture."""
        return self.prose_words - FURNITURE_WEIGHT * self.link_words


@dataclass(frozen=True, slots=True)
class Candidate:
    """One extractor's proposed body, one paragraph, list item or table row a line, and its judgement."""

    name: str
    paragraphs: list[str]
    judgement: Judgement


def split_cells(line: str, stopwords: frozenset[str]) -> list[str]:
    """A table row's prose cells as paragraphs of their own; a row of figures or labels stays one row.

    Old pages lay a whole article out in a table cell, which trafilatura writes as one cell of a row.
    """
    if not line.startswith(TABLE_SEPARATOR):
        return [line]
    cells = [cell.strip() for cell in line.strip("| ").split(TABLE_SEPARATOR)]
    cells = [cell for cell in cells if cell]
    if not cells:
        return []  # a row of empty layout cells
    if not any(is_prose(cell, stopwords) for cell in cells):
        return [f"| {' | '.join(cells)} |"]
    return cells


def candidate_lines(paragraphs: list[str], stopwords: frozenset[str]) -> list[str]:
    """A candidate's lines: table cells of prose split out, prompts and bare dates dropped."""
    lines = [cell for line in paragraphs for cell in split_cells(line.strip(), stopwords)]
    return [line for line in lines if line and is_paragraph(line)]


def is_link_line(line: str, links: frozenset[str]) -> bool:
    """True when most cells of the line (or the line itself) are the text of links of the page."""
    cells = [cell for cell in _CELL.split(line.strip("| ")) if cell]
    return line in links or sum(cell in links for cell in cells) * 2 > len(cells)


def is_card(line: str, links: frozenset[str], lengths: frozenset[int]) -> bool:
    """True when the line opens with the text of a link of the page and goes on with a capital: a teaser's linked
    headline glued to its summary ("Live Traffic Cams Watch live traffic cameras from around the area."), where an
    article's paragraph that opens with a link goes on with the sentence ("Blue Origin will offer NASA ...").
    ``lengths``: those of the links' texts. An opening is looked up only at a link's length, so the time is linear in
    the line (building and hashing every opening took time quadratic in it: a 2 MB line, over 120 s)."""
    words = line.split()
    joined = " ".join(words)
    end = len(words[0]) if words else 0  # the opening: the words before the next one, joined[:end]
    for word in words[1:]:
        if word[:1].isupper() and end in lengths and joined[:end] in links:
            return True
        end += 1 + len(word)
    return False


def judge(lines: list[str], stopwords: frozenset[str], links: frozenset[str]) -> Judgement:
    """Count a candidate's words of prose, of lines of links, and of over-long lines."""
    prose = linked = flattened = total = 0
    lengths = frozenset(map(len, links))
    for line in lines:
        words = word_count(line)
        total += words
        flattened += words if words > LINE_CAP else 0
        if is_prose(line, stopwords, count=words):
            prose += 0 if is_card(line, links, lengths) else min(words, LINE_CAP)
        elif is_link_line(line, links):
            linked += words
    return Judgement(prose_words=prose, link_words=linked, flattened_share=flattened / total if total else 0.0)


def candidate(name: str, paragraphs: list[str], stopwords: frozenset[str], links: frozenset[str]) -> Candidate:
    """A candidate body, its lines cleaned and judged."""
    lines = candidate_lines(paragraphs, stopwords)
    return Candidate(name, lines, judge(lines, stopwords, links))


def precision_holds(body: Judgement, other: Judgement) -> bool:
    """True when a body (the precise one, or a cheap one) scores above zero and at least ``PRECISION_HOLD`` of the
    other's score."""
    return _holds(body.score, other.score)


def _holds(score: float, other: float) -> bool:
    return score > 0 and score >= PRECISION_HOLD * other


def prose_bound(lines: list[str]) -> int:
    """The most that a candidate made of some of these lines can score: the words of each line long enough to read
    as prose, up to ``LINE_CAP`` each (a table row, which the candidate splits into cells, with all its words)."""
    bound = 0
    for line in lines:
        if len(line) < SHORTEST_PROSE and line.isascii():
            continue  # too short to hold PROSE_MIN_WORDS words, a table row's cells too: no prose in it
        words = word_count(line)
        if line.lstrip().startswith(TABLE_SEPARATOR):
            bound += words  # its cells' words add up to at most the row's, each cell capped apart
        elif words >= PROSE_MIN_WORDS:
            bound += min(words, LINE_CAP)
    return bound


def stands_alone(body: Judgement, page_bound: float) -> bool:
    """True when the precise body stands whatever the page text scores, given ``prose_bound`` of the page's lines:
    it holds against that bound (so against the page text) and is no flattened layout table, so neither
    ``precision_holds`` nor ``page_text_wins`` could turn on the page text, which then need not be scored."""
    return _holds(body.score, page_bound) and body.flattened_share < FLATTENED_SHARE


def page_text_wins(body: Judgement, page: Judgement) -> bool:
    """True when the page text replaces trafilatura's body: it found none, or a flattened layout table."""
    if page.score <= 0:
        return False
    flattened = body.flattened_share >= FLATTENED_SHARE and page.score >= PAGE_TEXT_HOLD * body.score
    return body.score <= 0 or flattened
