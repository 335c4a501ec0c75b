"""Choosing an HTML page's article among the bodies that several extractors propose.

Each extractor yields a candidate body; one judge scores every candidate by the same measure and picks. The
measure is the candidate's prose, less what it holds that does not read as prose: a line of sentences counts its
words, any other line (a navigation row, a table of links, a label) costs ``FURNITURE_WEIGHT`` of a word per word.
A navigation table that a precise extraction returns as the article scores below zero; the same page's article,
found by another extractor, scores its length.

trafilatura's precision mode is preferred: it keeps less of the related links and comments that also read as
prose, so it wins unless another candidate scores more than ``1 / PRECISION_HOLD`` times as much (then the
precise extraction cut the article, or took furniture for it). Constants chosen on AEB, checked on L3S-GN1 (see
``bench.clean_eval``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.clean.chrome import is_chrome, is_timestamp
from workers.clean.normalize import word_count
from workers.clean.pagetext import is_prose

# A word of a line that does not read as prose costs this much of a word of prose (AEB: 0.5 to 2 score alike;
# 1 keeps a body that is mostly navigation below zero).
FURNITURE_WEIGHT = 1.0
# trafilatura's precision mode keeps its body unless another candidate scores this much more (chosen on AEB,
# where the precise body is the better one on all but a few pages; L3S-GN1 checked it).
PRECISION_HOLD = 0.7
CONTENT_WEIGHT = 0.5
TABLE_SEPARATOR = " | "  # how trafilatura writes the cells of a table row: "| a | b |"


# Separators of cells and of menu items written on one line: "| a | b |", "NEWS · SPORT", "Home • About".
_CELL = re.compile(r"\s+[|\u00b7\u2022]\s+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One extractor's proposed body, one paragraph, list item or table row a line."""

    name: str
    paragraphs: list[str]


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the judge found in a candidate: words that read as prose, words of links, and the rest."""

    prose_words: int
    link_words: int
    other_words: int

    @property
    def score(self) -> float:
        """The candidate's prose and other content (tables, lists), less its furniture (lines of links)."""
        return self.prose_words + CONTENT_WEIGHT * self.other_words - FURNITURE_WEIGHT * self.link_words


def split_cells(line: str, stopwords: frozenset[str]) -> list[str]:
    """A table row's prose cells as paragraphs of their own; a row of figures or labels stays one row.

    Old pages lay a whole article out in a table cell, which trafilatura writes as one cell of a row.
    """
    if not line.startswith("|"):
        return [line]
    cells = [cell.strip() for cell in line.strip("| ").split(TABLE_SEPARATOR.strip())]
    cells = [cell for cell in cells if cell]
    if not cells:
        return []  # a row of empty layout cells
    if not any(is_prose(cell, stopwords) for cell in cells):
        return [f"| {' | '.join(cells)} |"]
    return cells


def candidate_lines(paragraphs: list[str], stopwords: frozenset[str]) -> list[str]:
    """A candidate's lines: table cells of prose split out, prompts and bare dates dropped."""
    lines = [cell for line in paragraphs for cell in split_cells(line.strip(), stopwords)]
    return [line for line in lines if line and not (is_chrome(line) or is_timestamp(line))]


def is_link_line(line: str, links: frozenset[str]) -> bool:
    """True when most cells of the line (or the line itself) are the text of links of the page."""
    cells = [cell for cell in _CELL.split(line.strip("| ")) if cell]
    return line in links or sum(cell in links for cell in cells) * 2 > len(cells)


def judge(lines: list[str], stopwords: frozenset[str], links: frozenset[str]) -> Judgement:
    """Count a candidate's words of prose, of lines of links, and of its other lines."""
    prose = linked = other = 0
    for line in lines:
        words = word_count(line)
        if is_prose(line, stopwords):
            prose += words
        elif is_link_line(line, links):
            linked += words
        else:
            other += words
    return Judgement(prose_words=prose, link_words=linked, other_words=other)


def precision_holds(precise: Judgement, other: Judgement) -> bool:
    """True when the precise extraction scores at least ``PRECISION_HOLD`` of another candidate's score."""
    return precise.score > 0 and precise.score >= PRECISION_HOLD * other.score


def choose(candidates: list[tuple[Candidate, Judgement]]) -> tuple[Candidate, Judgement]:
    """The first candidate (the preferred one) unless another outscores it; else the best-scoring one."""
    first = candidates[0]
    best = max(candidates, key=lambda pair: pair[1].score)
    return first if precision_holds(first[1], best[1]) else best
