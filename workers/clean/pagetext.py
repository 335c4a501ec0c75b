"""Article body out of scraped page text: the tags are gone, the page chrome is not.

Without tags, a line is judged by what it reads like. Article paragraphs are long, made of sentences, and dense in
the language's stopwords; menus, labels, teaser headlines, bylines and dates are short, title-like or bare. Each
line gets a score (its words when it reads as prose, a cost when it does not), and the article is the contiguous
run of lines with the highest total (the maximum-sum segment), so the short lines inside an article (subheadings, a
one-line quote) stay while the menus and teasers around it go. A paragraph standing alone between lines that cost
(a teaser card's summary, a comment) counts for less than one among other paragraphs. A heading such as "Related
Articles" or "Comments" that follows enough prose closes the article: the teasers and comments after it, which also
read as prose, never join it. Prompt lines (share, subscribe, cookies) are dropped wherever they stand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from math import isqrt

from workers.clean.chrome import Caseless, is_chrome, is_end_marker, is_timestamp
from workers.clean.language import LanguageGuess, guess_language
from workers.clean.normalize import collapse, has_unspaced_script, word_count
from workers.clean.stopwords import full_of_stopwords, lines_full_of_stopwords, stoplist

_WORD = re.compile(r"\w+")
SENTENCE_ENDS = ".!?\u3002\uff01\uff1f\u2026"  # full stop, marks, ideographic ones, ellipsis
# Quotes and brackets that may follow a sentence's end: straight (curly ones are straightened before), and the
# guillemets of French, Spanish, Italian, Russian (« ... ») and German (» ... «), which French sets apart with a
# space: "... devoir. »".
CLOSERS = "\"'\u201d\u2019)]\u00bb\u00ab\u203a\u2039 \u00a0\u202f"
MAX_TITLE_CHARS = 250  # longer first lines are paragraphs, not headlines
PROSE_MIN_WORDS = 10  # fewer words: a label, heading or teaser headline even when it ends in a full stop
LONG_LINE_WORDS = 40  # a line this long reads as prose even without a stoplist for its language
LINE_COST = 2.0  # a non-prose line costs this many words of article (a subheading between paragraphs is cheap)
WORD_COST = 0.5  # plus this much per word: a run of teaser headlines costs more than a run of one-word menus
TIMESTAMP_COST = 20.0  # a bare date between two blocks of prose separates cards or comments, not paragraphs
AFTER_CLOSE_WEIGHT = 0.5  # prose after "Related Articles" must be twice as long as the article before it
LINE_CAP = 150  # words: a longer line is a card or a page flattened into one line, not one paragraph
MARKER_COST = 30.0  # a 'Related Articles' heading inside a run costs a short paragraph
CLOSING_WORDS = 60  # words of prose an article needs before a "Related Articles" heading closes it
# A row of a table of figures ("Net 509,144 vs 277,834", "Heritage (1-0): Armani Sheffield 19 points"): content
# of an article, not furniture, though it is no sentence. It adds this much of a word per word, so a results table
# between paragraphs stays, and a wire item that is all table is an article (chosen on the Reuters dev slice).
FIGURE_WEIGHT = 0.5
FIGURE_ROW_NUMBERS = 2  # a line with one number is a label as often as a row: "12 comments", "Top 10 stories"
FIGURE_ROW_WORDS = 30  # a longer line without a sentence's end is a card or a flattened menu, not a table row
# A number standing as a word: 23, 1.19, 509,144 (not "reader42"), or spelt out as wire tables do ("Shr one dlr").
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "nil")
_NUMBER = Caseless.compile(rf"(?<!\w)(?:\d[\d.,]*|{'|'.join(NUMBER_WORDS)})(?!\w)")
_NUMBER_WORD_SET = frozenset(NUMBER_WORDS)  # the same, for a line's words to be looked up in


@dataclass(frozen=True, slots=True)
class PageText:
    """The title and body paragraphs found in a page's text, the language its prose is written in, and the
    stopwords its lines were read with (none when the prose does not read as the detected language)."""

    title: str | None
    paragraphs: list[str]
    language: str | None
    stopwords: frozenset[str]
    start: int = 0  # the index in the page's body of the article run's first line


# ASCII bytes that are no word character (``\w`` in ASCII: letters, digits, underscore) mapped to a space, every other
# byte kept: a text translated so and split falls apart at non-word characters only, into ASCII words and tokens
# holding other characters, whose ``\w+`` words the pattern then finds. The same words as the pattern's findall over
# the whole text, about twice as fast on page text (most lines are ASCII, most tokens of the others too).
_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ASCII_NON_WORD_TO_SPACE = bytes(byte if byte >= 0x80 or byte in _ASCII_WORD else ord(" ") for byte in range(256))
# The same but for the line break: a page's lines joined by line breaks are translated together, then split apart.
_NEWLINE = ord("\n")
_ASCII_NON_WORD_TO_SPACE_BUT_NEWLINE = (
    _ASCII_NON_WORD_TO_SPACE[:_NEWLINE] + b"\n" + _ASCII_NON_WORD_TO_SPACE[_NEWLINE + 1 :]
)


# Non-ASCII characters that are no word character, the ones most non-ASCII lines of page text hold (curly quotes and
# apostrophes, dashes, the no-break space, the ellipsis, guillemets, the bullet, the copyright sign): made spaces
# before a text is translated, so that a line holding no other non-ASCII character splits into its words at C speed
# (of the unwrapped lines holding a non-ASCII character, 2,389 of AEB's 4,311 and 3,030 of L3S-GN1's 3,931; the
# others' non-ASCII tokens go through the pattern).
NON_WORD_MARKS = "\u2019\u201c\u201d\u2018\u2013\u2014\u00a0\u2026\u00ab\u00bb\u2022\u00a9"


def _words(text: str) -> list[str]:
    """The text's ``\\w+`` words."""
    return _words_of_tokens(_translated(text, _ASCII_NON_WORD_TO_SPACE))


def _lines_words(lines: list[str]) -> list[list[str]]:
    """Each line's ``\\w+`` words (``_words``), the lines translated together (one call where a page has 130)."""
    text = "\n".join(lines)
    translated = _translated(text, _ASCII_NON_WORD_TO_SPACE_BUT_NEWLINE).split("\n")
    if len(translated) != len(lines):  # a line holding a line break: read it alone
        return list(map(_words, lines))
    if text.isascii():  # every token a word
        return [tokens.split() for tokens in translated]
    return [  # an ASCII line's tokens are its words: most lines of a page with curly quotes in its prose
        tokens.split() if tokens.isascii() else _words_of_tokens(tokens) for tokens in translated
    ]


def _translated(text: str, table: bytes) -> str:
    """The text with the ASCII non-word characters that the table maps to spaces made spaces, and the non-ASCII
    ``NON_WORD_MARKS`` too."""
    if not text.isascii():
        for mark in NON_WORD_MARKS:  # one ``str.replace`` per mark present, as ``normalize.straighten_quotes``
            if mark in text:
                text = text.replace(mark, " ")
    return text.encode(errors="surrogatepass").translate(table).decode(errors="surrogatepass")


# Every byte but the ASCII digits and the line break: deleted from a page's lines, it leaves each line's digits.
_NOT_DIGIT_NOR_NEWLINE = bytes(byte for byte in range(256) if byte not in b"0123456789\n")
_ASCII_DIGIT = re.compile("[0-9]")
# A line in lower case, its ``\\w+`` words each made lower case, and whether it holds an ASCII digit.
_Facts = tuple[str, list[str], bool]


def _digit_lines(lines: list[str]) -> list[bool]:
    """Whether each line holds an ASCII digit, the lines read together (one call where a page has 130)."""
    digits = "\n".join(lines).encode(errors="surrogatepass").translate(None, _NOT_DIGIT_NOR_NEWLINE).split(b"\n")
    if len(digits) != len(lines):  # a line holding a line break: read each alone
        return [_ASCII_DIGIT.search(line) is not None for line in lines]
    return list(map(bool, digits))


def _words_of_tokens(translated: str) -> list[str]:
    """The ``\\w+`` words of a text ``_translated`` (split at its non-word characters but the other non-ASCII ones):
    its tokens, but those holding a non-ASCII character, whose words the pattern finds."""
    tokens = translated.split()
    if translated.isascii():  # every token a word: an ASCII line, or a line of ASCII and NON_WORD_MARKS
        return tokens
    words: list[str] = []
    for token in tokens:
        if token.isascii():
            words.append(token)
        else:
            words.extend(_WORD.findall(token))
    return words


def _count(line: str, words: list[str]) -> int:
    """The line's word count, from its ``\\w+`` words unless a script without spaces needs counting apart (an ASCII
    line, most lines, holds none: read without ``has_unspaced_script``'s call)."""
    return len(words) if line.isascii() or not has_unspaced_script(line) else word_count(line)


def ends_sentence(line: str) -> bool:
    """True when the line ends like a sentence, closing quotes and brackets aside."""
    return line.rstrip(CLOSERS)[-1:] in SENTENCE_ENDS if line else False


def looks_like_headline(line: str) -> bool:
    """A headline: a few words, not too long, not ending like a sentence of body text, closing quotes and brackets
    aside (a lede ends '... "as expeditiously as possible."', Reuters item 3356)."""
    ends_like_body = line.rstrip(CLOSERS).endswith((".", ":", ";", ","))
    return len(_words(line)) >= 3 and len(line) <= MAX_TITLE_CHARS and not ends_like_body


PROSE_LINE_CHARS = 80  # longer lines are the page's prose, as far as its language goes


def prose_lines(lines: list[str]) -> list[str]:
    """The page's longer lines: its prose, whose language chooses the stoplist and is the article's."""
    return [line for line in lines if len(line) > PROSE_LINE_CHARS]


def _lowered(lines: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each distinct line's ``\\w+`` words in lower case (read on the line made lower case, one pass for all lines)
    and the line in lower case, both in the lines' order: every rule that reads a line in lower case reads it from
    here, the line made lower case once."""
    distinct = list(dict.fromkeys(lines))
    lowers = list(map(str.lower, distinct))
    return dict(zip(distinct, _lines_words(lowers), strict=True)), dict(zip(distinct, lowers, strict=True))


def page_stoplist(language: str | None, prose: list[list[str]]) -> frozenset[str]:
    """The language's stopwords, if the page's prose reads as that language; else none. ``prose``: the words of
    each line of the page's prose (``prose_lines``) in lower case (``_lowered``).

    A guess of a close language (Catalan for French, Dutch for German, Spanish for Italian, Belarusian for
    Russian) has a stoplist that fills under PROSE_MIN_STOPWORDS of the real language's words: with it, no line
    of the article would read as prose and the whole article would be lost. Without a stoplist, a line is prose
    by its length and its sentence ending alone.
    """
    stopwords = stoplist(language)
    return stopwords if lines_full_of_stopwords(prose, stopwords) else frozenset()


def is_prose(line: str, stopwords: frozenset[str], words: list[str] | None = None, count: int | None = None) -> bool:
    """A line that reads as sentences of an article: long enough, ending like a sentence, full of stopwords.

    ``words`` (the line's ``\\w+`` words) and ``count`` (its word count) save a caller that has them a second
    pass over the line.
    """
    words = _words(line) if words is None else words
    count = _count(line, words) if count is None else count
    return _reads_as_sentences(line, count) and full_of_stopwords(map(str.lower, words), len(words), stopwords)


def _reads_as_sentences(line: str, count: int) -> bool:
    """True when a line of ``count`` words is long enough and ends like a sentence (or is long enough alone)."""
    return count >= PROSE_MIN_WORDS and (count >= LONG_LINE_WORDS or ends_sentence(line))


# A run of a few words repeated ("a a a ...", "the the ...", "a b a b ..."; a broken template's, or appended to an
# article) reads as prose by its length (``LONG_LINE_WORDS``) and its stopwords, but is no article text. Prose's
# vocabulary grows with its length (Heaps' law), a run's stays its few words: the lines of LONG_LINE_WORDS words or more
# of AEB and L3S-GN1, annotated (3,592) and the stage's page-text outputs (3,931), hold 3.3 times the square root of
# their word count in distinct words or more; a run of two words holds 0.32 times at 40 words, less as it grows. The
# bound, the square root itself, is the geometric middle of the two (chosen there); checked on Reuters's bodies, whose
# 13,113 paragraphs of 40 words or more hold 1.8 times or more (a table of hog prices, its figures its distinct words).
RUN_MIN_CHARS = 2 * LONG_LINE_WORDS - 1  # a shorter line holds fewer than LONG_LINE_WORDS words


def is_word_run(words: list[str]) -> bool:
    """True when a line's ``words`` (in lower case), ``LONG_LINE_WORDS`` or more, hold fewer distinct ones than the
    square root of their count: a run of a few words repeated, not prose, nor a table (whose rows' figures differ).

    A line whose first words hold enough distinct ones is no run, whatever follows: prose is told so from twice the
    bound's words, where the set of all its words cost 3% of page text's time on AEB."""
    if len(words) < LONG_LINE_WORDS:
        return False
    enough = isqrt(len(words) - 1) + 1  # the fewest distinct words that are no run: enough ** 2 >= len(words)
    return len(set(words[: 2 * enough])) < enough and len(set(words)) < enough


def without_word_runs(lines: list[str]) -> list[str]:
    """The lines but the runs of a few words repeated (``is_word_run``), each cut from a line that holds more."""
    runs = {line for line in lines if _is_run_line(line, _words(line.lower()))}
    return _cut_runs(lines, runs) if runs else lines


def _is_run_line(line: str, words: list[str]) -> bool:
    """Whether a line whose ``words`` (in lower case) are given is a run (``is_word_run``), a short line never."""
    return len(line) >= RUN_MIN_CHARS and is_word_run(words)


def _cut_runs(lines: list[str], runs: set[str]) -> list[str]:
    """The ``lines``, each of the ``runs`` but what it holds besides its run (``cut_run``), dropped if nothing."""
    cut = {line: cut_run(line) for line in runs}
    return [kept for line in lines if (kept := cut.get(line, line))]


def cut_run(line: str) -> str:
    """A run line (``is_word_run``) without the run at its end, then at its start: an article's paragraph with a run
    appended on its line kept its text; "" when the run is all of it, or when it is the line's middle.

    A run at an end is the stretch of words from it that are all among the few words of its ``LONG_LINE_WORDS``
    words nearest it, when those are a run."""
    for at_end in (True, False):
        words = list(_WORD.finditer(line))
        ends = words[::-1] if at_end else words
        vocabulary = {word.group().lower() for word in ends[:LONG_LINE_WORDS]}
        if len(ends) < LONG_LINE_WORDS or len(vocabulary) ** 2 >= LONG_LINE_WORDS:
            continue
        run = next((n for n, word in enumerate(ends) if word.group().lower() not in vocabulary), None)
        if run is None:
            return ""
        line = (line[: ends[run - 1].start()] if at_end else line[ends[run].start() :]).strip()
    return "" if _is_run_line(line, _words(line.lower())) else line


def is_figure_row(line: str, count: int | None = None) -> bool:
    """A row of a table of figures: a few words, two of them numbers ("Net 1.1 mln vs 829,000"); not a date."""
    return _has_figures(line, word_count(line) if count is None else count) and not is_timestamp(line)


def _has_figures(line: str, count: int, lowered: str | None = None) -> bool:
    """The shape of a row of figures, the date test aside: 2 to ``FIGURE_ROW_WORDS`` words, two of them numbers
    (``lowered``: the line in lower case, when the caller has it)."""
    return 2 <= count <= FIGURE_ROW_WORDS and len(_NUMBER.findall(line, lowered)) >= FIGURE_ROW_NUMBERS


def _content_score(line: str, facts: _Facts, stopwords: frozenset[str], count: int) -> float | None:
    """What a line that is no prompt adds to an article run: its words when it is prose, half of them for a row of
    figures, a fixed cost for a bare date; None for a label, which costs what a prompt does (``_label_cost``).
    ``facts``: what one pass over the page found of the line (``_Facts``); ``count``: its word count.

    An ASCII line that holds no digit is tested for a date only when it holds "ago" or "day" (every date
    ``TIMESTAMP`` matches holds a digit, "ago", "yesterday" or "today"), and for a row of figures only when one of
    its words is a number word (the ``_NUMBER`` matches it can hold): a line of a menu or a headline skips both
    patterns."""
    lowered, words, digit = facts
    if _reads_as_sentences(line, count) and full_of_stopwords(words, len(words), stopwords):
        return float(min(count, LINE_CAP))
    plain = not digit and line.isascii()  # the pattern's hints below are exact on such a line
    if not (plain and "ago" not in lowered and "day" not in lowered) and is_timestamp(line, lowered):
        return -TIMESTAMP_COST
    if not (plain and _NUMBER_WORD_SET.isdisjoint(words)) and _has_figures(line, count, lowered):
        return FIGURE_WEIGHT * count  # a row of figures: not a date, as tested above
    return None


def _label_cost(count: int) -> float:
    """The score of a label or prompt line of ``count`` words."""
    return -(LINE_COST + WORD_COST * count)


def best_run(scores: list[float], closes: list[bool]) -> tuple[int, int]:
    """Start and end (exclusive) of the maximum-sum run of lines.

    A closing line ("Related Articles") costs a paragraph, and once it follows enough prose, what comes after it
    counts for less: the article goes on past an inline "Related" box, but the teasers and comments after its
    end, which read as prose too, must be much longer than the article to win over it.
    """
    best, best_span = 0.0, (0, 0)
    total, start, weight = 0.0, 0, 1.0
    for index, (score, closing) in enumerate(zip(scores, closes, strict=True)):
        if closing:
            weight = AFTER_CLOSE_WEIGHT if best >= CLOSING_WORDS else weight
            score = -MARKER_COST
        if total <= 0:
            total, start = 0.0, index
        total += score * weight if score > 0 else score
        if total > best:
            best, best_span = total, (start, index + 1)
    return best_span


def is_paragraph(line: str) -> bool:
    """A line inside the article run worth keeping: short ones too (list items, subheadings), not prompts or dates."""
    return not is_chrome(line) and not is_timestamp(line)


def line_scores(lines: list[str], stopwords: frozenset[str], cell_tables: bool = True) -> list[float]:
    """Each line's score; a line seen before on the page is a repeated menu or teaser and costs like a label,
    unless it is a row of figures (a results table repeats its rows for each period): that one counts as one.
    A line of content standing alone between lines that cost and end no sentence counts for ``ISOLATED_WEIGHT``.
    With ``cell_tables``, the cells of a table rendered one cell per line score as rows of figures."""
    return _read_lines(lines, stopwords, cell_tables, *_lowered(lines))[0]


class _Prompts(dict[str, bool]):
    """Each line's prompt test (``is_chrome``), run when first asked for: a label costs the same whether or not it
    is a prompt, so only the page's lines of content, its long runs of short lines and its article are tested.
    ``lowers``: each line the test may be asked of, in lower case (``_lowered``)."""

    __slots__ = ("lowers",)

    def __init__(self, lowers: dict[str, str]) -> None:
        super().__init__()
        self.lowers = lowers

    def __missing__(self, line: str) -> bool:
        self[line] = prompt = is_chrome(line, self.lowers[line])
        return prompt


def _read_lines(
    lines: list[str],
    stopwords: frozenset[str],
    cell_tables: bool,
    lowered: dict[str, list[str]],
    lowers: dict[str, str],
) -> tuple[list[float], _Prompts]:
    """``line_scores`` and the lines' prompt tests (``_Prompts``): each distinct line's tests run once, for every
    rule that reads them. ``lowered`` and ``lowers``: each distinct line's words in lower case and the line in lower
    case (``_lowered``), in the lines' order; the words are most lines' words each made lower case, the others' are
    found apart (``_lowers_alike``)."""
    distinct = list(lowered)
    prompts = _Prompts(lowers)
    readings = {
        line: _reading(line, fact, stopwords, prompts)
        for line, fact in zip(distinct, _facts(distinct, lowered, lowers), strict=True)
    }
    read = list(map(readings.__getitem__, lines))
    scores, counts = [score for score, _ in read], [count for _, count in read]
    for index in _repeats(lines, distinct):
        scores[index] = _repeated_score(lines[index], counts[index])
    if cell_tables:
        scores = _score_cells(scores, counts, _table_cells(lines, counts, prompts))
    return _weigh_isolated(lines, scores), prompts


def _repeats(lines: list[str], distinct: list[str]) -> list[int]:
    """The indices of the lines seen before on the page (``distinct``: its lines, each once)."""
    if len(distinct) == len(lines):
        return []
    first = dict(zip(reversed(lines), range(len(lines) - 1, -1, -1), strict=True))  # the last index set: the first
    return [index for index, line in enumerate(lines) if first[line] != index]


def _facts(lines: list[str], lowered: dict[str, list[str]], lowers: dict[str, str]) -> Iterator[_Facts]:
    """What one pass over the page finds of each of its distinct ``lines`` (``_Facts``), from their words in lower
    case and the lines in lower case (``_lowered``)."""
    lowered_lines = list(map(lowers.__getitem__, lines))
    others = [] if _all_lower_alike(lines) else _unlike(lines, lowered_lines)
    others_words = ([word.lower() for word in words] for words in _lines_words(others))
    words = lowered | dict(zip(others, others_words, strict=True))
    return zip(lowered_lines, map(words.__getitem__, lines), _digit_lines(lines), strict=True)


# The characters whose lower case is no one character read alone (``_lowers_alike``).
_CASE_CHANGERS = ("\u0130", "\u03a3")


def _all_lower_alike(lines: list[str]) -> bool:
    """True when no line holds a character of ``_CASE_CHANGERS``: then each line ``_lowers_alike``, found by two
    scans of the lines joined (none on an ASCII page), not a call for each of a page's 140 lines."""
    joined = "\n".join(lines)
    return joined.isascii() or not any(map(joined.__contains__, _CASE_CHANGERS))


def _unlike(lines: list[str], lowers: list[str]) -> list[str]:
    """The ``lines`` (``lowers``: each in lower case) whose lower case's words are not their words made lower case."""
    return [line for line, lower in zip(lines, lowers, strict=True) if not _lowers_alike(line, lower)]


def _lowers_alike(line: str, lower: str) -> bool:
    """True when the words of the line's lower case (``lower``) are its words each made lower case: every
    character's lower case is one character, a word character exactly when it is (a unit test checks every code
    point: "\u0130", whose lower case is "i\u0307", is the one longer), and no capital sigma, whose lower case
    depends on the letters around it, is in the line."""
    return line.isascii() or (len(lower) == len(line) and "\u03a3" not in line)


def _reading(line: str, facts: _Facts, stopwords: frozenset[str], prompts: _Prompts) -> tuple[float, int]:
    """A line's score and word count, from what one pass over the page found of it (``_Facts``): a prompt
    (``is_chrome``) costs as a label does."""
    count = _count(line, facts[1])
    content = _content_score(line, facts, stopwords, count)
    return (_label_cost(count) if content is None or prompts[line] else content), count


# A table rendered one cell per line (a standings or results table on a page whose scraper breaks the line at every
# cell): a run of short lines, half of them or more bare numbers, which do not count up or down in order. Its cells
# are figures of the article, as a table row's are. A calendar, a year or a price selector is such a run too, but its
# numbers count in order (0.95-1 of their steps one way on AEB and L3S-GN1; tables 0.46-0.57): it stays furniture.
# TABLE_MIN_CELLS chosen on the even-numbered pages of AEB and L3S-GN1 rendered to text, checked on the odd pages
# and on Reuters as text (docs/cleaning.md).
CELL_WORDS = 3  # a cell: a number, a name, a column's heading
TABLE_MIN_CELLS = 30  # cells: five rows of six; every value from 8 to 50 ties on the even pages (docs)
ORDERED_STEPS = 0.8  # of the steps from one number to the next going one way: a counting widget, not a table
_BARE_NUMBER = re.compile(r"[-+]?\d[\d.,:%]*")
_VALUE = re.compile(r"\d+(?:\.\d+)?")


def _score_cells(scores: list[float], counts: list[int], cells: list[bool]) -> list[float]:
    """The scores with every line of a table rendered one cell per line (``cells``) scored as a row of figures."""
    return [FIGURE_WEIGHT * count if cell else score for score, count, cell in zip(scores, counts, cells, strict=True)]


def _table_cells(lines: list[str], counts: list[int], prompts: _Prompts) -> list[bool]:
    """Which lines are cells of a table rendered one cell per line: a run of TABLE_MIN_CELLS or more short lines
    (CELL_WORDS at most, no prompt), half of them or more bare numbers that do not count in order. ``counts``:
    each line's word count. Prompts are tested only in a run of short lines that holds numbers enough for a table
    (a menu of 30 items holds none)."""
    marks = [False] * len(lines)
    for short_start, short_end in _long_runs(bytes(map(CELL_WORDS.__ge__, counts))):  # count <= CELL_WORDS
        short = lines[short_start:short_end]
        if 2 * sum(map(bool, map(_BARE_NUMBER.fullmatch, short))) < TABLE_MIN_CELLS:
            continue  # too few numbers for any run of cells in it
        for start, end in _long_runs(bytes(not prompts[line] for line in short)):
            cells = short[start:end]
            numbers = [line for line in cells if _BARE_NUMBER.fullmatch(line)]
            if 2 * len(numbers) >= len(cells) and not counts_in_order(numbers):
                marks[short_start + start : short_start + end] = [True] * len(cells)
    return marks


_LONG_RUN = re.compile(b"\x01{%d,}" % TABLE_MIN_CELLS)


def _long_runs(members: bytes) -> Iterator[tuple[int, int]]:
    """Start and end of each run of TABLE_MIN_CELLS or more members (bytes 1) in a row."""
    return (match.span() for match in _LONG_RUN.finditer(members))


def counts_in_order(numbers: list[str]) -> bool:
    """True when the numbers, read in turn, mostly go one way (1, 2, 3 ... or 2005, 2004 ...): a widget's."""
    values = [float(_VALUE.findall(number.replace(",", ""))[0]) for number in numbers]
    steps = [later - earlier for earlier, later in pairwise(values)]
    one_way = max(sum(step > 0 for step in steps), sum(step < 0 for step in steps))
    return one_way >= ORDERED_STEPS * max(len(steps), 1)


# A card of a teaser list or a comment thread is a paragraph standing alone between short lines that cost and end
# no sentence (its headline, author, date, "Reply"), where an article's paragraphs follow one another or a short
# sentence. Chosen on the even-numbered pages of AEB and L3S-GN1 rendered to text (best mean F1 of the two in the
# grid 0.3-1; no loss on Reuters items 0-1,499 as text), checked on the odd pages (docs/cleaning.md).
ISOLATED_WEIGHT = 0.5


def _weigh_isolated(lines: list[str], scores: list[float]) -> list[float]:
    """The scores with each positive one whose neighbours (or the page's edge) both cost and end no sentence
    (a headline, an author, a date: a card's lines, not an article's short sentences) weighted by
    ``ISOLATED_WEIGHT``."""
    return [
        score * ISOLATED_WEIGHT
        if score > 0 and _breaks(lines, scores, index - 1) and _breaks(lines, scores, index + 1)
        else score
        for index, score in enumerate(scores)
    ]


def _breaks(lines: list[str], scores: list[float], index: int) -> bool:
    """True when the ``index``-th line costs and ends no sentence, or is past the page's edge: asked only of a line
    of content's neighbours (most lines cost, and their sentence ends need not be read)."""
    if not 0 <= index < len(lines):
        return True
    return scores[index] <= 0 and not ends_sentence(lines[index])


def _repeated_score(line: str, count: int) -> float:
    return FIGURE_WEIGHT * count if is_figure_row(line, count) else _label_cost(count)


# Hard-wrapped text (wire copy, e-mail, old feeds): most lines fill a fixed width and none is much longer.
WRAP_MIN, WRAP_MAX = 40, 100  # characters of a wrapped line
WRAPPED_SHARE = 0.6  # of the lines: below this, long lines are paragraphs of their own


def is_hard_wrapped(lines: list[str], lede_cut: bool = False) -> bool:
    """True when the text is wrapped at a fixed width, so that a line break is not a paragraph break.

    Judged on the lines that a paragraph goes on after (the next line is neither blank nor indented): the last
    line of a paragraph is short in wrapped text too. With ``lede_cut`` the first line is not judged: wire copy
    whose dateline was cut off opens with a short line ("Compaq Computer Corp said it has"), which in a take of
    three lines would leave one line of two at the width.
    """
    stripped = list(map(str.strip, lines))
    lengths = list(filter(None, map(len, stripped)))  # the lines that are not blank
    if len(lengths) < 4 or max(lengths) > WRAP_MAX:
        return False
    first = 1 if lede_cut else 0
    pairs = zip(stripped[first:], lines[first + 1 :], strict=False)
    inner = [len(line) for line, after in pairs if line and _goes_on(after)]
    return sum(WRAP_MIN <= n <= WRAP_MAX for n in inner) >= WRAPPED_SHARE * max(len(inner), 1)


def _goes_on(line: str) -> bool:
    """True when the line continues a paragraph's text block: not blank, not indented."""
    return bool(line.strip()) and not line[:1].isspace()


def _is_row(previous: str, line: str) -> bool:
    """True when either line is a table row as trafilatura writes one: each is a line of its own."""
    return previous.startswith("|") or line.startswith("|")


def _collapsed(raw_lines: list[str]) -> list[str]:
    """Each line ``collapse``d: only stripped when it holds no white space but single spaces (most lines, found at C
    speed: every other white space character is unprintable). Judged line by line, not on the page's lines joined:
    the join, its copy with the breaks made spaces and their scans cost more than the lines' own tests."""
    return [raw.strip() if raw.isprintable() and "  " not in raw else collapse(raw) for raw in raw_lines]


def unwrap(raw_lines: list[str]) -> list[str]:
    """Join the lines of one paragraph: a break is kept at a blank or indented line, a table row ("| a | b |"),
    or after a sentence's end, unless the text is wrapped at a fixed width and the sentence's end is an
    abbreviation's the wrap fell after (``_wrapped_inside``).

    Without a fixed wrap width, only a line continued in lower case is joined (a sentence split in two:
    ``_lower_case_joined``). In wrapped text the first line joins the next however short it is: wire copy opens
    with a line whose dateline was cut off ("Standard Oil Co and BP North America / Inc said they plan ...").
    An article kept whole is read as wrapped more often (``body.body_paragraphs``).
    """
    return unwrap_as(raw_lines, is_hard_wrapped(raw_lines))


def unwrap_as(raw_lines: list[str], wrapped: bool) -> list[str]:
    """``unwrap`` of lines whose wrap is judged already (``wrapped``: at a fixed width, ``is_hard_wrapped``)."""
    collapsed = _collapsed(raw_lines)
    if not wrapped:
        return _lower_case_joined(raw_lines, collapsed)
    width = max(len(raw.rstrip()) for raw in raw_lines)
    opening = next((index for index, raw in enumerate(raw_lines) if raw.strip()), -1)  # the first line of text
    lines: list[list[str]] = []  # each line's raw lines, joined once at the end (as in ``_lower_case_joined``)
    length, ends = 0, False  # of the last line, its raw lines joined: its length, whether it ends a sentence
    for index, (raw, line) in enumerate(zip(raw_lines, collapsed, strict=True)):
        first = lines[-1][0] if lines else ""
        if (
            first
            and line
            and (line[0].islower() or length >= WRAP_MIN or len(lines) == 1)
            and _may_join(first, raw, line)
            and (not ends or _wrapped_inside(raw_lines[index - 1], line, width, index - 1 == opening))
        ):
            lines[-1].append(line)
            length += 1 + len(line)
            ends = ends_sentence(line) if line.rstrip(CLOSERS) else ends  # closers alone: the line before's end
        else:
            lines.append([line])
            length, ends = len(line), ends_sentence(line)
    return [" ".join(parts) for parts in lines if parts[0]]


def _lower_case_joined(raw_lines: list[str], collapsed: list[str]) -> list[str]:
    """``unwrap`` of text not wrapped at a fixed width (``collapsed``: its raw lines ``_collapsed``): a line going
    on in lower case joins the line before it (with the lines that joined that one) when that one ends no
    sentence. Only the lines in lower case are visited (a page's few), the others kept as they are. A line's joined
    lines are kept apart and joined once at the end: joined one by one, each copied the whole line so far, time
    quadratic in a run of them (a million lines of "a", 16 s of CPU). Its first line tells whether it is a table row,
    its last whether it ends a sentence (that one begins in lower case, no closing quote or bracket)."""
    lines = list(collapsed)
    joined: dict[int, list[str]] = {}  # a line's index: the lines that joined it, in order
    into: dict[int, int] = {}  # a joined line's index: the index of the line it joined
    for index in [index for index, line in enumerate(collapsed) if line[:1].islower()]:
        before = into.get(index - 1, index - 1)
        previous = lines[before] if index else ""
        line = lines[index]
        last = joined[before][-1] if before in joined else previous
        if previous and _may_join(previous, raw_lines[index], line) and not ends_sentence(last):
            joined.setdefault(before, []).append(line)
            lines[index] = ""
            into[index] = before
    for index, after in joined.items():
        lines[index] = " ".join([lines[index], *after])
    return [line for line in lines if line]


def _may_join(previous: str, raw: str, line: str) -> bool:
    """True when nothing but a sentence's end keeps the line (``raw``, and ``collapse``d) apart from the line before
    it: it is not indented and neither is a table row."""
    return not raw[:1].isspace() and not _is_row(previous, line)


# A line ending in an abbreviation's full stop (one after a letter: "U.S.", "Corp.", "tsp."; closing quotes and
# brackets aside), and the start of a line going on in a word in lower case, its punctuation aside.
_ABBREVIATION_END = re.compile(rf"[^\W\d_]\.[{re.escape(CLOSERS)}]*$")
_LOWER_WORD = re.compile(r"[^\W\d_]+(?=[\s,;:]|$)")


def _wrapped_inside(raw: str, after: str, width: int, first: bool) -> bool:
    """True when a fixed-width wrap fell inside a sentence after the raw line: the line ends in an abbreviation's
    full stop ("... until the U.S. / becomes more aggressive"), it is full (the next line's first word would take it
    past ``width``, the text's longest line, where a wrapper breaks; the ``first`` line is full however short, its
    dateline cut) and the next line (``after``, collapsed) goes on with a word in lower case, as no sentence begins.
    A line the writer ended ("... for the nation's largest retailer. / reuter") is not full; a question, a number's
    full stop ("... 9. / the"), a label ("e-mail:") or a brand ("my6sense's") is no such wrap."""
    if not after[:1].islower():  # most lines after a sentence's end: a sentence begins
        return False
    word = _LOWER_WORD.match(after)
    if word is None or not word.group().islower() or _ABBREVIATION_END.search(raw.rstrip()) is None:
        return False
    return first or len(raw.rstrip()) + 1 + len(after.split(maxsplit=1)[0]) > width


def has_number(line: str) -> bool:
    """True when the line holds a number, in digits or spelt out (one to ten)."""
    return _NUMBER.search(line) is not None


def opens_table(lines: list[str]) -> bool:
    """True when a line with a number opens a table of figures: it is the table's first row, not a headline."""
    return len(lines) > 1 and has_number(lines[0]) and is_figure_row(lines[1])


@dataclass(frozen=True, slots=True)
class PageLines:
    """A page's text read line by line, before any line is scored: its title, the lines after it, the language of
    its prose and the stopwords to read them with.

    ``guess``: py3langid's, of the page's prose.
    """

    title: str | None
    body: list[str]
    guess: LanguageGuess
    stopwords: frozenset[str]
    lowered_words: dict[str, list[str]]  # each distinct line of the body's words in lower case (``_lowered``)
    lowers: dict[str, str]  # each distinct line of the body in lower case (``_lowered``)

    @property
    def language(self) -> str | None:
        """The guessed language, which chooses the stoplist and the languages dates are read in (a wrong one costs
        little there: ``page_stoplist``)."""
        return self.guess.language

    @property
    def published_language(self) -> str | None:
        """The guess when its evidence is enough to publish (``LanguageGuess.published``)."""
        return self.guess.published


def read_page_lines(page: str) -> PageLines:
    """The page's lines (unwrapped), its title (the first line when it reads as a headline), language and stoplist."""
    return page_lines(unwrap(page.splitlines()))


def page_lines(lines: list[str]) -> PageLines:
    """``read_page_lines`` of lines already unwrapped, runs of a few words repeated dropped first
    (``is_word_run``): read as prose, they would sway the page's title, language and article run."""
    lowered, lowers = _lowered(lines)  # each distinct line read once, for the runs and then for the body
    if runs := {line for line, words in lowered.items() if _is_run_line(line, words)}:
        lines = _cut_runs(lines, runs)
        lowered, lowers = _lowered(lines)  # read again: a page with a run is rare
    title = lines[0] if lines and looks_like_headline(lines[0]) and not opens_table(lines) else None
    body = lines[1:] if title else lines
    if title and title not in body:  # the first line (the others keep their order, which no reader needs)
        del lowered[title], lowers[title]
    prose = prose_lines(body)
    guess = guess_language(" ".join(prose))
    stopwords = page_stoplist(guess.language, [lowered[line] for line in prose])
    return PageLines(title, body, guess, stopwords, lowered, lowers)


def article_of(page: PageLines, cell_tables: bool = True) -> PageText:
    """The page's article: its run of lines with the highest score, prompts and bare dates dropped.

    ``cell_tables=False`` (the HTML path's candidates): a table rendered one cell per line is not read as figures.
    There trafilatura reads the page's tables from their markup, and in the text rendered from it such runs were a
    sidebar's (a league table) as often as an article's: on AEB and L3S-GN1 the rule changed one HTML page, for
    the worse.
    """
    body = page.body
    ends = {line: is_end_marker(line, lower) for line, lower in page.lowers.items()}  # the body's distinct lines
    closes = [ends[line] for line in body]
    scores, prompts = _read_lines(body, page.stopwords, cell_tables, page.lowered_words, page.lowers)
    start, end = best_run(scores, closes)
    run = zip(body[start:end], closes[start:end], strict=True)
    lowers = page.lowers
    paragraphs = [line for line, closing in run if not (closing or prompts[line] or is_timestamp(line, lowers[line]))]
    return PageText(page.title, paragraphs, page.published_language, page.stopwords, start)


# The headline of an article in page text stands a few lines above its first paragraph (under it a byline, a date,
# a caption, "Print this article"), and its rare words come back in the first paragraphs: a site's name, a menu, a
# date or a prompt above the article shares none of them. Chosen on the even-numbered pages of L3S-GN1 rendered to
# text (by id, the damaged ones left out), checked on the odd ones (docs/cleaning.md).
TITLE_WINDOW = 10  # lines above the article's first that may hold its headline
TITLE_PARAGRAPHS = 5  # the article's first paragraphs, whose words a headline shares
TITLE_SHARED_WORDS = 2  # distinct words of the headline, stopwords and numbers aside, found in those paragraphs
# Fewer words of article: a promo's paragraph under its own headline ("WTNH Tax Center: Bill Saas, CPA") or a notice
# under its link ("Subscriber Agreement & Terms of Use"), which a page's last lines sent as text hold. Chosen on
# those fragments of AEB and L3S-GN1 (the smallest of 50, 60, 70, 80, 100 and 150 that titles none of them; what the
# fragments are titled then is the headline of the article a page's first lines open), costing one L3S-GN1 page's
# headline in each half.
TITLE_ARTICLE_WORDS = 60
# A menu's or a breadcrumb's separators ("Jobs | Cars | Homes", "BLOG > Weight Loss > Weight Loss Tips"), and a
# link's address ("//www.nbcdfw.com/news/local/We-Got-Her-...", "MenuSections https://www.ctpost.com/..."): chrome.
_NOT_IN_HEADLINES = ("|", "\u2022", "\u00b7", " > ", "//")
# A picture's caption: its credit ("... deep space travel. Credit: 20th Century Fox", "... a point against
# Russia's Karen Khachanov ... (Manu Fernandez/AP)"), a headline with its picture's credit run on ("He didn't get
# it.Credit...Doug Mills/The New York Times") or a player's label ("Media captionWho is Julian Assange?"): AEB
# rendered to text published them as titles (readtitle).
# A byline's line: an author's ("By Claudine Beaumont, Digital Channel Editor, at CES") or a desk's ("The Press
# Association Newsdesk", "Sports Desk"): it names the agency its article names, so shares two rare words with it
# (titles2: L3S-GN1 rendered to text titled 7 pages with the Press Association's).
_BYLINE = re.compile(r"^(?:By|BY) |(?:desk|Desk|DESK)$")
_PICTURE_CAPTION = re.compile(r"\bCredits?(?::|\.\.\.|\u2026|$)|\([^()/]+/[^()/]+\)$|^Media caption")


def article_title(page: PageLines, article: PageText) -> str | None:
    """The headline above the article run: of the headline-like lines (``looks_like_headline``) in the
    ``TITLE_WINDOW`` lines above its first, neither a prompt, a date nor a menu, the one sharing the most rare words
    with its first paragraphs, the highest of equals (a headline stands above its subtitle, byline and caption),
    when it shares ``TITLE_SHARED_WORDS`` at least; else None (a site's name, a menu or a date shares none), and
    None over an article of fewer than ``TITLE_ARTICLE_WORDS`` words."""
    words = page.lowered_words  # each line of the body's, the article's paragraphs among them
    if not _holds_words(article.paragraphs, words, TITLE_ARTICLE_WORDS):
        return None
    above = page.body[max(0, article.start - TITLE_WINDOW) : article.start]
    if page.title and article.start < TITLE_WINDOW:  # the page's first line, set apart from its body, is in reach
        above = [page.title, *above]
    lede = {word for paragraph in article.paragraphs[:TITLE_PARAGRAPHS] for word in _rare_words(paragraph, page)}
    best, best_shared = None, TITLE_SHARED_WORDS - 1
    for line in above:
        if (shared := len(_rare_words(line, page) & lede)) > best_shared and _may_be_headline(line):
            best, best_shared = line, shared
    return best


def _may_be_headline(line: str) -> bool:
    """True when the line reads as a headline (``looks_like_headline``) and is no prompt, date, menu, address,
    picture's caption or byline."""
    return (
        looks_like_headline(line)
        and not any(mark in line for mark in _NOT_IN_HEADLINES)
        and _PICTURE_CAPTION.search(line) is None
        and _BYLINE.search(line) is None
        and not is_chrome(line)
        and not is_timestamp(line)
    )


def _holds_words(paragraphs: list[str], words: dict[str, list[str]], minimum: int) -> bool:
    """True when the paragraphs (lines of a page's body, whose ``words`` are read already) hold ``minimum`` words,
    counted as the page's lines are (``_count``), the count stopped there."""
    total = 0
    for paragraph in paragraphs:
        total += _count(paragraph, words[paragraph])
        if total >= minimum:
            return True
    return False


def _rare_words(line: str, page: PageLines) -> set[str]:
    """The line's distinct words in lower case, the page's stopwords and numbers aside (read from
    ``page.lowered_words`` unless the line is the page's first, set apart as its ``title``)."""
    words = page.lowered_words.get(line) or _words(line.lower())
    return {word for word in words if word not in page.stopwords and not word.isdigit()}


def split_page_text(page: str, cell_tables: bool = True) -> PageText:
    """Title (the first line when it reads as a headline), body paragraphs and language of a page's text
    (``article_of`` the page's lines)."""
    return article_of(read_page_lines(page), cell_tables)
