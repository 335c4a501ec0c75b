"""An article sent as itself (a full-text feed, a wire API): kept whole, only its hard wraps joined.

Nothing of such a body is furniture: its tables of figures, lists of names and one-line quotes are the article.
The only judgement left is whether anything in it reads as an article at all. A ``text`` input with no furniture
in it (``is_clean_copy``) and a wire agency's mark on it (wire copy sent as text) is such an article too; a table
set in fixed-width columns (``table_rows``) is one such mark: the wire's typesetting, which no page shows once a
scraper has dropped its tags.
"""

from __future__ import annotations

import re
from itertools import chain, pairwise

from workers.clean.chrome import is_chrome, is_end_marker, is_timestamp
from workers.clean.normalize import collapse, word_count
from workers.clean.pagetext import (
    PROSE_MIN_WORDS,
    counts_in_order,
    ends_sentence,
    has_number,
    is_figure_row,
    is_hard_wrapped,
    is_paragraph,
    looks_like_headline,
    unwrap_as,
)
from workers.clean.wire import is_marker, signs_off

# Words a line needs to read as part of an article ("Pay April 15" of a dividend notice has three); a body
# whose every line is shorter, a prompt or a bare date ("Home", "Sign in", "12 minutes ago") holds no article.
ARTICLE_LINE_WORDS = 3
# Labels a text may hold and still be an article sent as itself: lines after the first that end no sentence, hold
# no number and stand beside no row of figures (menu items, headlines of other stories, names, "Hosted by").
# Wire copy holds one or two (a line cut at an abbreviation, a table's name; the "Reuter" sign-off was one when this
# was chosen and is no label since clean14: signed copy may hold two beside it); a scraped page with no prompt at
# all still holds three or more (a byline, a handle, a separator). Chosen on Reuters items 0-1,499 and the
# even-numbered pages of AEB and L3S-GN1 rendered to text; checked on Reuters 1,500-2,999 and the odd pages
# (docs/cleaning.md).
CLEAN_COPY_LABELS = 2
# A row of a wire's quote table whose cells are empty: a delivery month's name and a dash for each of two cells or
# more with no quote ("DEC7 -- --"); a menu's items with a dash ("World --") are no row. Possessive and bounded:
# each character is read once.
_EMPTY_ROW = re.compile(r"[A-Z]{3}\d(?:[ \t]++-{2,3}+){2,}+")
# A row of a signed table that holds one figure: its name and the figure, in a few words ("Wheat 73,684", "Pay May
# 15"); a short line beside a run of two such rows or more heads them. A menu's counts ("World / Europe 12 /
# Business / Markets 3") stand one by one between its labels. review13's suggested bound, checked on Reuters
# 3,000-end (the signed tables of items 14133 and 15193 run to 3 words a row).
ROW_OF_ONE_FIGURE_WORDS = 4
# A table set in fixed-width columns, as the wire sets its quote and price tables ("MINNEAPOLIS WHEAT / MAY7 284 3/4
# UP 1 1/4", "uk  12.622 - 12.634", "BUENOS AIRES.......27.......21"): cells parted by two blanks or more or by a dot
# leader. A scraper that drops a page's tags leaves no such gap; a renderer that lays pages out in columns (w3m) does,
# but its rows' cells are headlines, menus and dates, not figures. Possessive: each blank or dot is read once.
_CELL_GAP = re.compile(r" {2,}+|\.{3,}+")
# A line with such a gap between two cells; the cell before it ends in no dot, so a run of dots is read once.
_SET_IN_COLUMNS = re.compile(r"[^\s.](?: {2,}+|\.{3,}+)\S")
# A word of a figure cell: a number, a fraction or a range ("284", "3/4", "5-7/8", "12.622", "(567)"), or the dash of
# an empty quote ("-", "--", "---"). A date or a time is none ("15.01.08", "2008-01-12", "12 Jan 2008", "18:00": the
# stage's date test, ``is_timestamp``, on the word and on the cell), a listing's or a list of links' (the windows of
# pages rendered by w3m; review19's forms).
_FIGURE_WORD = re.compile(r"[-+(]?\d[\d.,/%-]*+\)?|-{1,3}")
_DIGIT = re.compile(r"\d")  # an ASCII digit: str.isdigit takes "²", which no figure pattern reads
_EMPTY_CELL = re.compile(r"-{1,3}")
# A row of a table of short rows, as the wire sets a quote or position table ("May 6765", "Sep --- --- 4885",
# "16085"): opening with a word's character (a list's bullet or a bracket opens none) and ending in a figure in
# digits (a list's number opens its item, a widget's count stands in brackets, "Suriah (88)"). Matched on rows of a
# few words only (``_is_row`` first).
_TABLE_ROW = re.compile(r"\w.*\s\d[\d.,/]*|\d[\d.,/]*")
_NAME = re.compile(r"[^\W\d_]")  # a letter: a row that names its figure
# Share of a text's lines (its sign-off aside) that are rows of figures set in columns for the text to be such a
# table. Chosen on Reuters items 12,000-12,999 (every value from 0.3 to 0.5 keeps the same tables; 0.6 loses the quote
# tables whose last rows hold only empty cells, "DEC7  --     --"), checked on 13,000-end and on the AEB and L3S-GN1
# pages rendered by w3m, whole and in fragments (docs/cleaning.md).
TABLE_ROWS_SHARE = 0.5
# Rows of figures a table holds at least: two are as often a page's pair of figured lines (a score box, a byline's
# date) as a table (windows of pages rendered by w3m: 505 kept whole with two, 424 with three); every Reuters table
# that the test reads holds three or more.
TABLE_MIN_ROWS = 3
# Share of a text's words its rows of figures hold at least: an article that ends in a ticker sidebar has more lines of
# the sidebar than of its paragraphs but few of its words (review19's case, which page text cuts to the article). A
# third keeps every Reuters table that ``TABLE_ROWS_SHARE`` keeps (a half loses 13942, 15420 and 15580).
TABLE_WORDS_SHARE = 1 / 3


def body_paragraphs(body: str) -> list[str]:
    """The body's paragraphs, table rows and list items: a hard-wrapped paragraph joined into one line, the lede
    too when its dateline was cut (``is_hard_wrapped``'s ``lede_cut``: a short take's first line, its dateline cut,
    leaves one line of two at the width; page text is not read so)."""
    raw_lines = body.splitlines()
    return unwrap_as(raw_lines, is_hard_wrapped(raw_lines) or is_hard_wrapped(raw_lines, lede_cut=True))


def as_body(raw_lines: list[str], unwrapped: list[str], wrapped: bool) -> list[str]:
    """The raw lines of a text read as a body's (``body_paragraphs``), given them ``unwrapped`` as page text and
    whether they were judged ``wrapped`` so: the same lines unless the text is wrapped only without its first line
    (a lede cut by its dateline), read again only then (most wire copy shows its width with its first line)."""
    if wrapped or not is_hard_wrapped(raw_lines, lede_cut=True):
        return unwrapped
    return unwrap_as(raw_lines, wrapped=True)


def is_article_like(line: str) -> bool:
    """True when the line could be a line of an article: a few words, and not a prompt or a bare date."""
    return word_count(line) >= ARTICLE_LINE_WORDS and is_paragraph(line)


def holds_article(paragraphs: list[str]) -> bool:
    """True when a body holds anything article-like: a line that reads as one (``is_article_like``), or a table of
    figures, two rows of one figure in a row (``_is_table_row``), one of them naming its figure: a quote table's
    lines are all short ("May 6765 / Aug 13126", "5507 / Sep      ---    ---     4885"; Reuters 13438 and 14057,
    dead-lettered as ``body`` before). A bare number alone is no table ("1010", Reuters 13364), nor are bare numbers
    one after another (a counter's or a pager's: "0 / 1", "108 / 2")."""
    return any(map(is_article_like, paragraphs)) or any(
        _is_table_row(line) and _is_table_row(after) and _NAME.search(line + after) is not None
        for line, after in pairwise(paragraphs)
    )


def _is_table_row(line: str) -> bool:
    """A row of one figure (``_is_row``) set as a table's row (``_TABLE_ROW``: its name or figure first, the figure
    last), no date ("12 minutes ago") and no prompt, nor one with its count (``_is_prompt_or_marker`` of the row's
    name: "Share 12"). The rows of short lines that the body check published from windows of pages rendered by w3m
    were a list's items ("2. Pakistan", "• 72", "☆ Suriah (88)"), counts in brackets ("Yes (8%)", "Comments (3)")
    and number words ("League Two"): 782 windows of AEB and L3S-GN1, "Reuter" appended (read203)."""
    return (
        _is_row(line)
        and _TABLE_ROW.fullmatch(line) is not None
        and is_paragraph(line)
        and not _is_prompt_or_marker(_FIGURE_WORD.sub("", line).strip())
    )


def reads_as_copy(line: str) -> bool:
    """True when the line reads as a line of wire copy: a few words ending a sentence or giving a figure."""
    return (ends_sentence(line) or has_number(line)) and is_article_like(line)


def holds_copy(lines: list[str]) -> bool:
    """True when a line reads as copy (``reads_as_copy``), a short line that ends a sentence read with the line
    before it when that one ends none: a wrap before a capital leaves a sentence's end on a line of its own ("...
    patents to the / <Texwipe Co>."; 6 wire items of Reuters 0-2,999 hold one). A longer line, or one ending no
    sentence, lends nothing to the line before (a date above a dateline cut short)."""
    return any(reads_as_copy(_with_the_line_before(lines, index)) for index in range(len(lines)))


def _with_the_line_before(lines: list[str], index: int) -> str:
    line = lines[index]
    before = lines[index - 1] if index else ""
    cut = before and not ends_sentence(before) and ends_sentence(line) and word_count(line) < ARTICLE_LINE_WORDS
    return f"{before} {line}" if cut else line


def is_clean_copy(lines: list[str], signed: bool = False, table: frozenset[str] = frozenset()) -> bool:
    """True when the (unwrapped) lines of a text hold no furniture: at most ``CLEAN_COPY_LABELS`` labels, no
    prompt (share, subscribe, cookies, copyright) and no heading that opens the furniture after an article. A
    ``signed`` text (the wire's sign-off closes it) reads its labels as the wire sets them (``_is_label``); the
    lines of a ``table`` set in columns (``table_rows``) are its rows and headings, no labels."""
    return _labels_within(lines, CLEAN_COPY_LABELS, signed=signed, table=table) and not any(
        map(_is_prompt_or_marker, lines)
    )


def table_rows(raw_lines: list[str], signed: bool = False) -> frozenset[str]:
    """The lines of a text that is a table of figures set in columns (``_CELL_GAP``), as ``unwrap`` gives them: its
    rows of figures, a heading set in columns over one, its rows of empty cells; none when the text is no such
    table. Such a table: ``TABLE_ROWS_SHARE`` of its lines (its sign-off aside), and ``TABLE_MIN_ROWS`` at least,
    are rows of figures (``_figure_cells``) holding ``TABLE_WORDS_SHARE`` of its words, whose figures do not count
    up or down in order (a calendar or a bar of page numbers set in columns; ``counts_in_order``, as page text's
    one-cell tables). Only the table's own lines: a menu set in columns above it stays a label (review19).

    A ``signed`` text's table is read as the wire sets its quote tables: a cell may pair a figure with its code
    ("2/1 D", "196.00 B", "up 1-3/4"; ``_is_figure_cell``), and every line from its first row of figures to its
    last is the table's, the headings stacked between its blocks too ("SHIPMENT    BASIS / Soybean Oil (points per
    lb) / Fob Paranagua"; Reuters 14671)."""
    lines = [raw for raw in raw_lines if raw and not raw.isspace()]
    lines = lines[:-1] if lines and signs_off(lines[-1]) else lines
    least = max(TABLE_MIN_ROWS, TABLE_ROWS_SHARE * len(lines))
    text = "\n".join(lines)
    if text.count("  ") + text.count("...") < least:  # fewer gaps than rows needed (most pages), read at C speed
        return frozenset()
    cells = {index: _cells(raw) for index, raw in enumerate(lines) if _SET_IN_COLUMNS.search(raw)}
    if len(cells) < least:
        return frozenset()
    figures = {index: found for index, row in cells.items() if (found := _figure_cells(row, signed))}
    if len(figures) < least or counts_in_order(list(chain(*figures.values()))):
        return frozenset()
    if sum(len(lines[index].split()) for index in figures) < TABLE_WORDS_SHARE * len(text.split()):
        return frozenset()
    span = range(min(figures), max(figures) + 1) if signed else range(0)
    return frozenset(
        collapse(lines[index])
        for index, row in cells.items()
        if index in figures or index + 1 in figures or all(map(_EMPTY_CELL.fullmatch, row[1:]))
    ) | frozenset(collapse(lines[index]) for index in span)


def _cells(raw: str) -> list[str]:
    """The cells of a raw line, parted by two blanks or more or a dot leader, each ``collapse``d."""
    return [cell for cell in map(collapse, _CELL_GAP.split(raw)) if cell]


def _figure_cells(cells: list[str], signed: bool) -> list[str]:
    """The figure cells of a row set in columns (``_is_figure_cell``)."""
    return [cell for cell in cells if _is_figure_cell(cell, signed)]


def _is_figure_cell(cell: str, signed: bool) -> bool:
    """True when more than half the cell's words are figures (``_FIGURE_WORD``, no date), a digit among them, and
    the cell, its brackets aside, is no date (``is_timestamp``: "(Monday January 7 2008)"): "MAY7 284 3/4",
    "12.622 - 12.634"; not "Issue 1365", "[08]". In ``signed`` copy half is enough: the wire's quote cell pairs a
    figure with its code ("2/1 D", "196.00 B", "up 1-3/4"). Unsigned, half would keep 100 windows of 17 pages rendered
    by w3m whole (sidebars, dated lists, a gallery's months, a list of users; clean22), and none signed."""
    words = cell.split()
    figures = sum(1 for word in words if _FIGURE_WORD.fullmatch(word) and not is_timestamp(word))
    enough = 2 * figures >= len(words) if signed else 2 * figures > len(words)
    return enough and _DIGIT.search(cell) is not None and not is_timestamp(cell.strip("()[]"))


def _is_prompt_or_marker(line: str) -> bool:
    return is_chrome(line) or is_end_marker(line)


def is_all_copy(lines: list[str]) -> bool:
    """True when no line, the first included, reads as a label (``_labels_within``)."""
    return _labels_within(lines, 0, start=0)


def _labels_within(
    lines: list[str], most: int, start: int = 1, signed: bool = False, table: frozenset[str] = frozenset()
) -> bool:
    """True when no more than ``most`` lines from the ``start``-th (after the first, which may be a headline)
    read as labels (``_is_label``), the lines of a ``table`` set in columns aside."""
    labels = 0
    for index in range(start, len(lines)):
        if lines[index] in table or not _is_label(lines, index, signed):
            continue
        labels += 1
        if labels > most:
            return False
    return True


def _is_label(lines: list[str], index: int, signed: bool) -> bool:
    """True when the ``index``-th line reads as a label: no sentence's end, no number, no row of figures beside it
    (a table's heading or a row's name is the table's), not a row of empty cells (``_EMPTY_ROW``) and not the
    wire's sign-off (the mark, not furniture). A "More" alone is a label wherever it stands: it names no row of a
    table (a list of scores closed by "More" is a teaser list).

    In ``signed`` copy a line of ``PROSE_MIN_WORDS`` words or more is no label either (a list's lead-in "... are as
    follows -" or an item "-- an end to farm subsidies;", Reuters items 8015, 8080), and a short line beside a run
    of rows of one figure heads their table (``_beside_a_table``). Elsewhere a long line that ends no sentence is a
    label like a short one: a linked headline of another story, a caption, a comment (review14)."""
    line = lines[index]
    if is_marker(line):
        return True
    if ends_sentence(line) or has_number(line) or (signed and word_count(line) >= PROSE_MIN_WORDS):
        return False
    beside = _beside_a_table if signed else _beside_figures
    return not (beside(lines, index) or signs_off(line) or _EMPTY_ROW.fullmatch(line))


def _beside_figures(lines: list[str], index: int) -> bool:
    """True when the line before or after the ``index``-th is a row of figures."""
    return any(is_figure_row(lines[near]) for near in _neighbours(lines, index))


def _beside_a_table(lines: list[str], index: int) -> bool:
    """True when the line before or after the ``index``-th is a row of figures, or a row of one figure in a run of
    two such rows or more (``_in_a_run_of_rows``)."""
    return _beside_figures(lines, index) or any(_in_a_run_of_rows(lines, near) for near in _neighbours(lines, index))


def _in_a_run_of_rows(lines: list[str], index: int) -> bool:
    """True when the ``index``-th line and the line before or after it are rows of one figure (``_is_row``)."""
    return _is_row(lines[index]) and any(_is_row(lines[near]) for near in _neighbours(lines, index))


def _is_row(line: str) -> bool:
    """True when the line is a row of one figure: a number in at most ``ROW_OF_ONE_FIGURE_WORDS`` words."""
    return has_number(line) and word_count(line) <= ROW_OF_ONE_FIGURE_WORDS


def _neighbours(lines: list[str], index: int) -> list[int]:
    """The indices of the lines just before and after the ``index``-th."""
    return [near for near in (index - 1, index + 1) if 0 <= near < len(lines)]


def copy_title(raw_lines: list[str], lines: list[str]) -> str | None:
    """The headline of a text kept whole: its first line, when it reads as a headline and a blank line sets it apart
    from what follows (wire copy runs on from its first line, which is often its lede cut short), and what follows
    does not go on in lower case: no sentence begins so, and a lede cut short by a blank line goes on so
    ("<Starrex Mining Corp Ltd> said a sharp / (blank) / rise in its share price ...", Reuters item 5567)."""
    first = next((index for index, line in enumerate(raw_lines) if line.strip()), None)
    if first is None or first + 1 >= len(raw_lines) or raw_lines[first + 1].strip() or len(lines) < 2:
        return None
    return lines[0] if looks_like_headline(lines[0]) and not lines[1][:1].islower() else None
