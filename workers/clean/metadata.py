"""A page's title, author and publication day, read from its parsed HTML by trafilatura's and htmldate's rules.

``trafilatura.bare_extraction(with_metadata=True)`` also reads the site name, categories, tags and licence, which
the stage never uses. This reads the three fields the stage uses, with the same rules and the same results, on
the tree the stage parsed once, except that: a meta tag's, JSON-LD's or byline's author that reads as no name is no
author (``byline_names``; the byline is searched where the meta author holds no name); the byline search takes no
picture's credit or teaser's byline, and its names are read by its element's lines, a name ending with its line
(``byline.find_byline``, ``_on_lines``), and a part naming no author (the author's title or agency after the name, a
firm, the page's own site: ``_names_no_one``, ``_names_job``, ``_before_title``; chosen on L3S-GN1, checked on AEB)
is left out; htmldate's date parser
(dateparser, for the date strings htmldate's own patterns cannot read) reads English and the page's own language
(``day_languages``), not all of dateparser's; a first day of a month the page does not write is a year or a
month, no day (``writes_day``); and the date search reads no script's comments (``without_script_comments``).
"""

from __future__ import annotations

import logging
import re
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import chain

from dateparser import DateDataParser
from dateparser.data import language_locale_dict
from htmldate import find_date
from htmldate.extractors import get_external_parser, try_date_expr
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import set_date_params

from workers.clean.byline import Byline, find_byline
from workers.clean.language import detectable_languages
from workers.clean.wire import AGENCIES
from workers.times import published

log = logging.getLogger(__name__)

# What trafilatura's byline XPaths (``trafilatura.xpaths.AUTHOR_XPATHS``) test for, widened into one scan: a page
# without any such element has no byline for them to find, so the copy of the tree and the XPaths (whose regular
# expressions call back into Python for every element) are spared. It saves about 70% of the cost of the author
# on L3S-GN1 (2008: few pages mark a byline) and a little on AEB. The scan reads each attribute's values of the
# whole page at once (libxml2 collects them), one value a line: the patterns hold no line break, so none matches
# across two values ("^...$" matches a whole value, or a line of one holding a break: a wider test, still safe).
_AUTHOR_CLASS = re.compile(
    r"[Aa]uthor|[Bb]yline|^(?:username|byl|BBL)$|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by"
    r"|journalist-name|screenname|writer",
    re.MULTILINE,
)
_AUTHOR_ID = re.compile(r"[Aa]uthor|zuozhe|bianji|xiaobian")
_AUTHOR_REL = re.compile(r"^author$", re.MULTILINE)
_AUTHOR_TEST_IDS = re.compile(r"^(?:AuthorCard|AuthorURL)$", re.MULTILINE)
# <author>, and <rel> (an XPath tests "rel='me'": a child element)
_AUTHOR_TAGS = XPath("boolean(//author | //rel)")
# Every value of each attribute the scan reads, one XPath each, compiled once (not once a page).
_ATTRIBUTE_VALUES = {
    attribute: XPath(f"//@{attribute}")
    for attribute in ("class", "id", "itemprop", "rel", "data-component", "data-testid")
}
# Every attribute value of the page: a day may be written in a link or a meta tag only (``writes_day``).
_ALL_ATTRIBUTES = XPath("//@*")
# A day's English ordinal suffix where it is not "th" ("1st", "22nd"): ``writes_day``.
_ORDINALS = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}
# English names, fixed: ``calendar``'s follow the process's locale (LC_TIME).
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The words a date tail cut from a name's end begins with (``_without_date_tail``): whole month and weekday names and a
# date line's words. An abbreviation ends real names ("Nguyen Thi Thu", "Yang Sun"); every glued tail read on AEB and
# L3S-GN1 begins with a whole word.
_DATE_TAIL = frozenset(word.lower() for word in [*_MONTHS, *_DAYS, "Updated", "Published", "Posted"])
# The words of a date line, not of a name: trafilatura's byline search, which cuts a name at its first digit, lands
# on "Updated Dec. 27, 2007" or "Friday, January 11, 2008" and keeps "Updated Dec" or "Friday; January". The tail's
# words and the names' abbreviations.
_DATE_WORDS = _DATE_TAIL | {word[:3].lower() for word in [*_MONTHS, *_DAYS]} | {"sept", "tues", "thur", "thurs"}
# Lower-case particles of names ("Jan van der Berg", "María de la Cruz", "Saad al-Hariri"), left out of the count: a
# name's, but not capitalised. "al-Hariri" counts as "Hariri" ("e-mail" as "mail").
_PARTICLES = frozenset((
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "la", "le", "les", "los",
    "ter", "ten", "zu", "bin", "binti", "ibn", "y", "e", "al", "el",
))  # fmt: skip
# The words of a byline's line that names a role or labels the names, no name's: a line of them and of date words is
# no line of names (``_on_lines``). The roles on L3S-GN1's ("Staff Writer") and AEB's ("News reporter") bylines'
# later lines and the labels of review26's probes ("Staff", "Reporter", "Written by", "About the Author", "By");
# checked on all 802 pages of both sets (no author changed).
_ROLE_WORDS = frozenset(("by", "about", "the", "author", "written", "staff", "writer", "reporter", "news"))
_NOT_NAME_WORDS = _DATE_WORDS | _ROLE_WORDS  # a byline's words that are no name's
# A job's title after the author's name, no name's: a later part holding one ("Paul Takahashi; Staff writer", "Tom
# Krisher; AP Auto Writer") names the author's job, and one after an agency on the name's line ("JESSICA MINTZ AP
# Technology Writer") begins it; a part of role words alone ("Staff Writers") names no one. Chosen on L3S-GN1, checked
# on AEB (authors39).
_TITLE_WORDS = frozenset(("staff", "writer", "reporter", "correspondent", "editor"))
# The wire agencies' names as a byline's words ("the associated press": a name and its code, ``wire.AGENCIES``): an
# agency after a name is the author's employer ("By Jane Doe. AP"), not a second author; alone, the desk's credit.
_AGENCY_WORDS = frozenset(tuple(agency.split()) for agency in AGENCIES)
_AGENCY_LENGTHS = frozenset(map(len, _AGENCY_WORDS))
# A firm's words, no person's: a legal form ("Pocket-lint Ltd", "Vitalnetwork Ltd") or a web designer's ("Vivid
# Interactive and Design"): a meta author that names the site's owner or maker, not the article's author.
_FIRM_WORDS = frozenset(("ltd", "inc", "llc", "plc", "pty", "gmbh", "corp", "design", "interactive"))
# Where a page names itself: its site name and application name meta tags, and its copyright notices (a meta tag's
# or a line's, with a year: "Copyright (c) Condé Nast 2019"; a picture's credit has none: "© Regan" on a blogger's
# page, "© REUTERS / POOL"); a part naming one of them, or the URL's host, is the site's ("The Earthtimes" of
# earthtimes.org), not an author.
_SITE_META = XPath("//meta[@property='og:site_name' or @name='application-name']/@content")
_COPYRIGHTS = XPath(
    "//meta[translate(@name, 'CHIOPRTY', 'chioprty') = 'copyright']/@content"
    " | //text()[contains(., '\u00a9') or contains(., 'opyright') or contains(., 'OPYRIGHT')]"
    "[string-length() < 200 and not(ancestor::script or ancestor::style)]"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A desk's words that bylines write lower-case ("Reuters staff", "Detroit News wire services", "dpa"): a name's.
_DESK_WORDS = frozenset(("staff", "writer", "writers", "wire", "services", "dpa"))
# A credit naming the picture but not who took it ("File", "Getty Images", "AP Photo"; "Photos by John Smith" and
# "AP Photo/Duane Burleson" name them): the byline search split it off the photographer's name before it at a comma
# ("Kevork Djansezian, file", "Tim Robberts, Getty Images"). "Staff Photographer" names a role, the name's own.
_PICTURE = re.compile(r"\b(?:photos?|images?|file)\b", re.IGNORECASE)
# A photo's credit, not a byline's name: the words of L3S-GN1's caption credits ("STAFF PHOTO BY KATHY ANDERSON", "AP
# Photo/Duane Burleson, File", "Kevork Djansezian, file", "AP Image"): a photo's or an image's word, a file photo's,
# or a photographer's, whole ("Photographer" is one, "Photopoulos" a name).
_CREDIT = re.compile(rf"{_PICTURE.pattern}|\bphotograph\w*\b", re.IGNORECASE)
# A credit that names who took or gave the picture ("Photos by John Smith", "AP Photo/Duane Burleson", "Image courtesy
# of NASA"): the name before it is the story's.
_NAMES_TAKER = re.compile(r"\bby\b|/|\bcourtesy\b", re.IGNORECASE)
# A byline's label ends at a colon the page writes ("Текст: Венера Ерофеева", "About the Author: RYAN MCNEILL") or
# at a lower-case "by" ("Analysis by Chris Cillizza"; trafilatura strips a leading "By" itself).
_LABEL_END = re.compile(r"\bby\s+")
# The verbs a prompt in a byline's place begins with: those of L3S-GN1's author elements ("Find More Articles By:",
# "Enter your email to receive our newsletter.", "Reply to this Comment by Tim", "E-mail", "Login Register Log-out"),
# and "Read", "Follow".
_PROMPT_VERBS = frozenset(("find", "enter", "reply", "e-mail", "email", "login", "read", "follow"))
_WORD = re.compile(r"\w[\w'\u2019-]*")  # a word, with its apostrophes and hyphens ("O'Neill", "Action-packed")
_LAST_WORD = re.compile(r"(\w+)\W*$")  # a text's last word and what follows it ("Monday ": "Monday")
# The meta tags that give a page's publication time, by the standards that name them (not chosen on a set): Open
# Graph's article:published_time, schema.org's datePublished (a meta tag's itemprop, or JSON-LD's), Dublin Core's
# issued date; the first with a time of day and a zone, written on the day htmldate found, is the page's time.
_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_PUBLISHED_META = XPath(
    "//meta["
    + " or ".join(
        f"{_LOWER.format('@' + attribute)} = '{name}'"
        for attribute, names in (
            ("property", ("article:published_time", "og:article:published_time")),
            ("itemprop", ("datepublished",)),
            ("name", ("article:published_time", "dcterms.issued", "dc.date.issued")),
        )
        for name in names
    )
    + "]/@content"
)
_JSON_LD = XPath("//script[@type='application/ld+json']/text()")
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"')
# The page's scripts, the whole document's (its JavaScript: ``_is_javascript``).
_SCRIPTS = XPath("//script")
# What every comment of a script begins with (``_SCRIPT_COMMENT``): a script without any holds none, unread.
_COMMENT_MARKS = ("//", "/*", "<!--", "-->")
# A script's string literals, read whole: a "//" in a URL is no comment. A string ends on its line (template literals
# aside), at its closing quote or, without one, at the line's end: a quote the scan misreads (in a regular expression
# literal read as a division: ``_opens_literal``) leaves no more than the rest of its line misread, and no quote is read
# again to the line's end (time quadratic in the line: 32,000 characters of '\\"' took 3 s, a script under the raw
# size limit hours).
_SCRIPT_STRING = r""""(?:[^"\\\n]++|\\.)*+"?|'(?:[^'\\\n]++|\\.)*+'?|`(?:[^`\\]++|\\.)*+`?"""
# A script's regular expression literals, read whole as its strings are: "/^\/*/" and "/https?:\/\//" hold no
# comment. Its character classes are read whole ("/[/]/"); left open, it ends at its line's end, read once.
_SCRIPT_REGEX = r"""/(?:[^/\\\[\n]++|\\.|\[(?:[^\]\\\n]++|\\.)*+\]?)*+/?"""
# A script's comments: "/* */", "//" and HTML's "<!--" to the line's end (a line feed, or U+2028 and U+2029, which
# JavaScript reads as line ends too), "-->" at a line's start (after any of them) to its end (JavaScript reads both
# HTML forms as comments of a line).
_SCRIPT_COMMENT = (
    r"/\*.*?(?:\*/|\Z)|(?://|<!--)[^\n\u2028\u2029]*+|(?:^|(?<=[\u2028\u2029]))[ \t]*+-->[^\n\u2028\u2029]*+"
)
# The script up to its next comment (group "comment"), its next "/" that starts none (group "slash": a regular
# expression literal or a division, ``_opens_literal``) or its next string that ends in no quote (group "open": left
# open to its line's end, a value a look-back cannot tell by its last character), read as runs of plain code, whole
# strings and single characters. Linear: each character is read once, a string left open twice.
_TO_MARK = re.compile(
    rf"""(?:(?!{_SCRIPT_COMMENT})(?:[^"'`/<\n\u2028\u2029-]++|(?:{_SCRIPT_STRING})(?<=["'`])|[^/"'`]))*+"""
    rf"""(?:(?P<comment>{_SCRIPT_COMMENT})|(?P<slash>/)|(?P<open>{_SCRIPT_STRING}))?""",
    re.DOTALL | re.MULTILINE,
)
_REGEX_LITERAL = re.compile(_SCRIPT_REGEX, re.DOTALL)  # an escaped line break goes on, as in _TO_MARK
# The keywords a value follows, as the word before a "/" (not after ".": there the word is a property's name).
_VALUE_KEYWORDS = r"(?<![\w$.])(?:return|typeof|case|in|instanceof|new|void|delete|throw|yield|await)"
_OPENS_VALUE = re.compile(rf"(?:{_VALUE_KEYWORDS}|(?<![\w$.])(?:do|else))\Z")
# The brackets a look-back matches (``_Brackets``): those of code, read in the scan's runs of code and whole strings,
# a string read whole (its brackets none of the code's). Before the "(" of a ")" the keyword of a statement that
# follows it ("if (x) /re/.test(s)"), before the "{" of a "}" what an object literal follows ("= {a: 1} / 2"): an
# operator but "=>" or a keyword a value follows; else a block ("} /re/"). Read in the ``_OPENER_WINDOW`` characters
# before the bracket.
_CODE_BRACKET = re.compile(rf"[(){{}}]|{_SCRIPT_STRING}")
_OPENER_WINDOW = 16
_CONDITION = re.compile(r"(?<![\w$.])(?:if|while|for|with)\s*\Z")
_OBJECT = re.compile(rf"(?:[=(,:\[?!&|+*%^~<-]|(?<!=)>|{_VALUE_KEYWORDS})\s*\Z")
# Held by a date search from setting htmldate's parser's languages to its end (``_find_day``).
_DAY_SEARCH = threading.Lock()


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says of itself: its title, author, publication day (``YYYY-MM-DD``) and, when its meta tags
    give one on that day, its publication time (RFC 3339, UTC)."""

    title: str | None
    author: str | None
    day: str | None
    time: str | None = None


def page_metadata(
    tree: HtmlElement,
    with_day: bool = True,
    language: str | None = None,
    url: str | None = None,
    latest: date | None = None,
) -> PageMetadata:
    """Title, author and day of the page as ``trafilatura.metadata.extract_metadata`` finds them (tree unchanged).

    ``with_day=False`` skips htmldate's date search (the costliest part on old pages): the day is then None.
    ``language``: the page's, its date strings read in it (``day_languages``). ``url``: the URL the page was
    fetched from, read for a day ("/2008/01/15/") where the page names no URL of its own (canonical or og:url).
    ``latest``: the last day the page can be of (the day it was fetched); None: today.
    """
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word meta author is a handle, as trafilatura judges it
    try:
        found = extract_meta_json(tree, found)
    except Exception:  # trafilatura guards this call the same way: its JSON-LD reader can fail
        log.warning("JSON-LD metadata unreadable", exc_info=True)
    day = _find_day(tree, found.url or extract_url(tree) or url, language, latest) if with_day else None
    title = found.title or extract_title(tree)
    return PageMetadata(title, _author(tree, found.author, title, found.url or url), day, published_time(tree, day))


def published_time(tree: HtmlElement, day: str | None) -> str | None:
    """The page's publication time (UTC, ``workers.times.published``) from its meta tags or JSON-LD
    (``_PUBLISHED_META``), when one gives a time of day with its zone written on ``day``, htmldate's day: htmldate
    reads the same tags but keeps the day alone, and a tag that disagrees with the day it chose (a stale template's,
    another article's in the JSON-LD) is not the page's time. None without a day."""
    if not day:
        return None
    scripts = (_JSON_LD_PUBLISHED.findall(script) for script in _JSON_LD(tree))
    for value in chain(_PUBLISHED_META(tree), *scripts):
        value = value.strip()
        if value[:10] == day and (found := published(value)) is not None and found.precision == "time":
            return found.at
    return None


def _author(tree: HtmlElement, meta_author: str | None, title: str | None, url: str | None) -> str | None:
    """The names of the meta tags' or JSON-LD's author, else of the byline search's (``find_byline``), those that
    read as names (``byline_names``), the byline's read by its lines (``_on_lines``: a label's line dropped, the
    lines after a name the author's paper, title or place): a JSON-LD author is a site's user ("Admin") or its address
    ("FIFA com") as often as a byline is; where the meta author holds none, the byline is searched as where there
    is none."""
    text = cache(lambda: "\n".join(tree.itertext()))  # joined once, only when a check reads it
    site = cache(lambda: _site_names(tree, url))
    if meta_author and (names := _names(meta_author, text, site)):
        return names
    byline = find_byline(tree, title) if may_name_author(tree) else None
    names = _names(byline.names, text, site) if byline else None
    return _on_lines(names, byline) if byline and names else None


def _on_lines(names: str, byline: Byline) -> str | None:
    """The names as the byline's lines hold them (``_line_pieces``), a piece on a label's line ("Staff", "Written by")
    dropped, each name read by its lines (``_by_lines``) up to the first that ends before its last piece: the later
    lines are its paper, title or place ("SAEED SHAH Special" of "By SAEED SHAH / Special to The Globe and Mail" is
    "SAEED SHAH")."""
    line_words = [{word.lower() for word in _WORD.findall(line)} for line in byline.lines]
    labels = {index for index, words in enumerate(line_words) if not any(map(_is_name_word, words))}
    kept: list[str] = []
    start = 0
    for name in names.split("; "):
        pieces = [piece for piece in _line_pieces(name, line_words, start) if piece[0] not in labels]
        start = pieces[-1][0] if pieces else start
        read, ended = _by_lines(pieces, byline.items)
        kept += read
        if ended:
            break
    return "; ".join(kept) or None


def _by_lines(pieces: list[tuple[int, str]], items: frozenset[int]) -> tuple[list[str], bool]:
    """The names one name's pieces (line, text) make: a list's item (a line of ``items``) a name of its own, a first
    word alone on its line joined to the next line's ("Jane" / "Doe"), a name of two words or more ended with its
    line; and whether it ended before the last piece."""
    read: list[str] = []
    words = 0
    for line, piece in pieces:
        if words > 1 and line not in items:
            return read, True
        if words == 1 and line not in items:
            read[-1] += f" {piece}"
            words += len(_WORD.findall(piece))
        else:
            read.append(piece)
            words = len(_WORD.findall(piece))
    return read, False


def _line_pieces(name: str, line_words: list[set[str]], start: int) -> list[tuple[int, str]]:
    """The name's words as they run over the byline's lines from line ``start`` on: each line's run of them (its
    index and its text in the name). A word no line holds stays with the run before it."""
    runs: list[tuple[int, int, int]] = []  # each run's line, and where it begins and ends in the name
    line = start
    for word in _WORD.finditer(name):
        line = next((index for index in range(line, len(line_words)) if word[0].lower() in line_words[index]), line)
        begin = runs.pop()[1] if runs and runs[-1][0] == line else word.start()
        runs.append((line, begin, word.end()))
    return [(line, name[begin:end]) for line, begin, end in runs]


def _is_name_word(word: str) -> bool:
    """Whether a byline's word may be a name's: not a date's, a number, a role's or a label's."""
    return word.lower() not in _NOT_NAME_WORDS and not _has_digit(word)


def byline_names(author: str, page_text: str = "", site: str = "") -> str | None:
    """The names of a byline that read as names on a page whose text is ``page_text`` and whose names of itself are
    ``site`` (``_names``, ``_site_names``)."""
    return _names(author, lambda: page_text, lambda: squeezed(site))


def _names(author: str, text: Callable[[], str], site: Callable[[], str]) -> str | None:
    """The names of a byline (trafilatura's, "; " between them) that read as names (``reads_as_name``) as the page
    writes them (``_as_written``), after a label (``_after_label``), up to the date line: without the date words
    glued after a name (``_without_date_tail``) and what follows them, and without a later part of one word before a
    date word that the page writes with the day's number after it (``_dated``; a dateline's place). A part the page
    writes as a web address is no name (``_is_address``: "vnunet.com"), nor a photo's credit (``_without_credits``).
    None if none; or if a part of two words or more that reads as no name follows an "and" on the page
    (``_is_sentence``: the search split a sentence there). A part that names no one is left out (``_names_no_one``:
    role words alone, a firm, the site itself; ``_names_job``: a later part's title or agency), an agency and title
    on a name's line cut (``_before_title``),
    and an agency's name the search cut at a lower-case word is read whole (``_agency_as_written``: "Press Trust" of
    "Press Trust of India"). ``site`` gives the page's names of itself (``_site_names``). ``text`` gives the
    page's text, asked for only where a check reads the page (most names need none: joining a page's text costs
    about as much as reading its meta tags).

    The byline search takes the text of any element whose class says "author" or "byline": a date line, a
    headline's kicker, a newsletter prompt, a caption's credit, a comment's author. A record without an author says
    nothing; one with "Dec" says noise.
    """
    parts = _without_credits(author.split("; "))
    if any(_is_sentence(part, text) for part in parts):
        return None
    names: list[str] = []
    for index, part in enumerate(parts):
        if not reads_as_name(_as_written(part, text)) or _is_address(part, text):
            continue
        part = _after_label(part, text)
        name = _without_date_tail(part)
        if index and name == part and _ends_in_date_word(part) and _dated(part, text()):
            break  # a later part, one word before a date: the date line's place ("Pakistan January 11, 2008")
        if not (_names_no_one(name, site) or (index and _names_job(name, bool(names)))):
            names.append(_agency_as_written(_before_title(name), text))
        if name != part:  # the names end where the date line begins: what follows is its place ("British Columbia")
            break
    return "; ".join(names) or None


def _names_no_one(name: str, site: Callable[[], str]) -> bool:
    """Whether a part names no author: role words alone ("Staff Writers"), a firm (``_FIRM_WORDS``), or the page's own
    site or its owner (``site``: "The Earthtimes", "Condé Nast"; a wire agency stays: the story's source)."""
    words = [word.lower() for word in _WORD.findall(name)]
    if all(_singular(word) in _ROLE_WORDS for word in words) or _FIRM_WORDS.intersection(words):
        return True
    squeezed = "".join(word for word in words if word != "the")
    return tuple(words) not in _AGENCY_WORDS and len(squeezed) > 3 and squeezed in site()


def _names_job(name: str, after_name: bool) -> bool:
    """Whether a later part of a byline names the job of the author before it: a title ("Jane Doe; Staff Writer"),
    or, ``after_name`` (a name kept before it), an agency, the author's employer ("JANE DOE; AP"; "AFP" after a
    date line is the story's credit)."""
    words = [word.lower() for word in _WORD.findall(name)]
    return any(_singular(word) in _TITLE_WORDS for word in words) or (after_name and tuple(words) in _AGENCY_WORDS)


def _before_title(name: str) -> str:
    """The name without the agency and title the byline writes after it on its line, two words or more left that
    read as a name: an agency's name of two words or more, or one that a title word follows ("JASON STRAZIUSO
    Associated Press Writer", "JESSICA MINTZ AP Technology Writer"; "Michael R. Bloomberg" stays). A title alone
    stays: where its words begin is not known ("Michelle Shephard National Security Reporter")."""
    words = list(_WORD.finditer(name))
    lowered = [word[0].lower() for word in words]
    titled = any(_singular(word) in _TITLE_WORDS for word in lowered)
    for index in range(2, len(words)):
        tail = tuple(lowered[index:])
        lengths = (length for length in _AGENCY_LENGTHS if length <= len(tail))
        agency = any(tail[:length] in _AGENCY_WORDS and (titled or length > 1) for length in lengths)
        if agency and reads_as_name(kept := name[: words[index].start()].rstrip()):
            return kept
    return name


def _agency_as_written(name: str, text: Callable[[], str]) -> str:
    """An agency's name whole as the page writes it where the byline search cut it at a lower-case word ("Press
    Trust" of "Press Trust of India"), else the name."""
    words = tuple(word.lower() for word in _WORD.findall(name))
    for agency in _AGENCY_WORDS:
        cut = len(agency) > len(words) > 1 and agency[: len(words)] == words
        if cut and (found := re.search(rf"\b{_word_run(agency)}\b", text(), re.IGNORECASE)):
            return found[0]
    return name


def _singular(word: str) -> str:
    """A lower-case word without a plural's "s" ("writers": "writer"; "news" stays)."""
    return word if word in _ROLE_WORDS else word.removesuffix("s")


def _site_names(tree: HtmlElement, url: str | None) -> str:
    """The names the page gives itself (``site_tags``, ``_COPYRIGHTS`` with a year) and its URL's host, squeezed."""
    notices = [notice for notice in _COPYRIGHTS(tree) if _YEAR.search(notice)]
    return "\n".join([site_tags(tree, url), squeezed("\n".join(notices))])


def site_tags(tree: HtmlElement, url: str | None) -> str:
    """The names the page's tags give it (``_SITE_META``) and its URL's host, squeezed: cheap (no scan of its text)."""
    host = re.sub(r"^\w+://|[/?#].*$", "", url or "")
    return squeezed("\n".join([host, *_SITE_META(tree)]))


def squeezed(text: str) -> str:
    """The text lower-cased, each line's words run together ("Condé Nast 2019": "condénast2019")."""
    return "\n".join("".join(_WORD.findall(line.lower())) for line in text.splitlines())


def _without_credits(parts: list[str]) -> list[str]:
    """The byline's parts without a photo's credit (a word of ``_CREDIT``: "Photos by John Smith", "Staff
    Photographer") and without the photographer named before a credit of the picture alone (``_PICTURE``:
    "Kevork Djansezian; File"): a credit names who took or gave a picture, the other parts who wrote the story ("Jane
    Doe; Photos by John Smith", "Jane Doe; Image courtesy of NASA")."""
    kept: list[str] = []
    for part in parts:
        if not _CREDIT.search(part):
            kept.append(part)
        elif _PICTURE.search(part) and not _NAMES_TAKER.search(part):
            kept = kept[:-1]
    return kept


def _is_sentence(part: str, text: Callable[[], str]) -> bool:
    """Whether a part of two words or more, dates aside, reads as no name and the page writes it after an "and"
    ("The Russian and Syrian defense ministries"): the search split a sentence at its "and". A desk's words after a
    comma are no sentence ("Jane Doe, staff reporter")."""
    words = _WORD.findall(part)
    if sum(word.lower() not in _DATE_WORDS for word in words) < 2 or reads_as_name(part):
        return False
    return re.search(r"\band\W+" + _word_run(words), text()) is not None


def _is_address(part: str, text: Callable[[], str]) -> bool:
    """Whether the page writes the part's words as a web or mail address's, the last a top-level domain's ("Vnunet
    Com": "vnunet.com"; "Tglantz Com": "tglantz@thestate.com"): a site's, not a name ("John Doe" of
    "john.doe@example.com" ends before the "@")."""
    words = _WORD.findall(part)
    if len(words) < 2 or len(words[-1]) > 4 or f".{words[-1].lower()}" not in (page_text := text()):
        return False  # a top-level domain is written in lower case after a dot
    address = _word_run(words, gap=r"[\w.@-]*\.")
    return re.search(rf"\b{address}(?![\w@-]|\.\w)", page_text, re.IGNORECASE) is not None


def _after_label(part: str, text: Callable[[], str]) -> str:
    """The part after its label, if a name is left: after a lower-case "by" ("Analysis by Chris Cillizza") or a
    colon the page writes between its words before a name of two words or more ("Текст: Венера Ерофеева", "About
    the Author: RYAN MCNEILL")."""
    rest = _LABEL_END.split(part)[-1]
    words = list(_WORD.finditer(rest))
    found = re.search(_word_run((word[0] for word in words), gap=r"(\W+)"), text()) if len(words) > 2 else None
    colons = [index for index, gap in enumerate(found.groups() if found else ()) if ":" in gap]
    if colons:
        rest = rest[words[colons[-1] + 1].start() :]
    return rest if reads_as_name(rest) else part


def _as_written(name: str, text: Callable[[], str]) -> str:
    """A one-word name as the page writes it: lower-cased where the page writes it only so ("jdadmin", "rmb8090").

    trafilatura capitalises a name it finds in lower case ("Jdadmin"); one word in lower case is a user name or a
    sentence's word ("From correspondents in Karachi"), and reads as no name (a desk's "dpa" aside).
    """
    lower = name.lower()
    if " " in name.strip() or lower == name or re.search(rf"(?<!\w){re.escape(name.strip())}", page_text := text()):
        return name
    return lower if re.search(rf"(?<!\w){re.escape(lower.strip())}", page_text) else name


def _without_date_tail(name: str) -> str:
    """The name without the date words the byline search leaves after it ("Jeff Foust Monday": "Jeff Foust"), cut
    only while two words or more, initials aside, are left that read as a name ("Theresa May" stays whole), and only
    where the tail begins with a whole date word ("Updated Dec", "Monday"), never at an abbreviation ("Nguyen Thi Thu").

    The search cuts a byline at its first digit, so "By Jeff Foust Monday, November 18, 2019" comes out with the
    weekday glued to the name.
    """
    kept = rest = name
    while (tail := _LAST_WORD.search(rest)) and tail[1].lower() in _DATE_WORDS:
        rest = rest[: tail.start()].rstrip()
        if sum(len(word) > 1 for word in _WORD.findall(rest)) < 2 or not reads_as_name(rest):
            break
        if tail[1].lower() in _DATE_TAIL:  # a tail begins with a whole word: "Updated Dec", "Monday"
            kept = rest
    return kept


def _ends_in_date_word(text: str) -> bool:
    """Whether the text's last word is a whole date word ("Pakistan January")."""
    return bool((tail := _LAST_WORD.search(text)) and tail[1].lower() in _DATE_TAIL)


def _dated(part: str, page_text: str) -> bool:
    """Whether the page writes a number after the part's words ("Pakistan\n\nJanuary 11, 2008"): the byline search
    cut a date there (at its first digit), not a name ("Jane Doe; Brian May")."""
    words = _WORD.findall(part)
    return re.search(_word_run(words) + r"\W*\d", page_text) is not None


def _word_run(words: Iterable[str], gap: str = r"\W+") -> str:
    """A pattern of ``words`` in a row as a page writes them, ``gap`` between them (by default anything but word
    characters): how the byline checks look the parts' words up in the page's text."""
    return gap.join(map(re.escape, words))


def reads_as_name(text: str) -> bool:
    """Whether ``text`` reads as a person's or a desk's name: most of its words are capitalised, dates aside.

    Names are written capitalised ("Mike Corder", "The Associated Press", "Charles de Gaulle"); a sentence or a
    prompt mostly not ("Enter your email", "Fighting back"). Words of a date (month, weekday, "Updated", a number)
    are left out of the count: "Theresa May" is a name, "Jan 4" and "Updated Dec" hold no word left to be one.
    So are a name's lower-case particles ("Jan van der Berg", "Saad al-Hariri"); a desk's lower-case words count
    as a name's ("Reuters staff", "dpa"). A name begins with no prompt's verb ("Find More Articles By Ahead",
    capitalised word by word), and a name of one word does not end in a capital after a small letter (a user
    name: "TonyZ"; one with a digit, "rmb8090", holds no word counted). An inner capital is a name's ("McClatchy",
    "DeSantis", "TechCrunch").
    """
    found = _WORD.findall(text)
    if (found and found[0].lower() in _PROMPT_VERBS) or (len(found) == 1 and _ends_as_handle(found[0])):
        return False
    words = [
        _after_particle(word)
        for word in found
        if word.lower() not in _DATE_WORDS and word not in _PARTICLES and not _has_digit(word)
    ]
    return 2 * sum(not word[0].islower() or word in _DESK_WORDS for word in words) > len(words)


def _ends_as_handle(word: str) -> bool:
    """Whether the word ends in a capital after a small letter, as a user name does ("TonyZ"; not "McClatchy")."""
    return len(word) > 1 and word[-2].islower() and word[-1].isupper()


def _after_particle(word: str) -> str:
    """The word after a hyphened particle ("al-Hariri": "Hariri"), else the word."""
    head, _, rest = word.partition("-")
    return rest if rest and head in _PARTICLES else word


def _has_digit(word: str) -> bool:
    """Whether the word holds a digit: a day, a year or a time's, never a name's."""
    return any(character.isdigit() for character in word)


def _find_day(tree: HtmlElement, url: str | None, language: str | None, latest: date | None) -> str | None:
    """htmldate's day of the page (trafilatura's settings), its date strings read in ``day_languages(language)``,
    none after ``latest`` (a later reading is passed over, as a US date read day first: "01/09/2008" in January);
    None for a first day of a month the page does not write (``writes_day``): htmldate gives 1 January for a year
    alone (a copyright line "(c) 2008" is its last resort) and the 1st of a month for a month alone ("(c) 2006-07"
    read as July 2006), so a first day the page does not write is a year or a month, not a day.

    The page is searched without its scripts' comments (``without_script_comments``): htmldate reads dates in inline
    scripts, where code states the page's day as data (``mistats.pubdate='2008/01/08'``) and a comment notes when
    a line was written (``//2007-10-15: Benton``, an ad channel's, on every page of a site).

    htmldate's parser is one a process and its languages one attribute: a search holds the lock from setting them
    to its end, so that no search in another thread reads its strings in this page's languages.
    """
    with without_script_comments(tree):
        with _DAY_SEARCH:
            date_parser(language)
            bound = {"max_date": latest.isoformat()} if latest else {}
            day = find_date(tree, **{**set_date_params(), "url": url, **bound})
        return None if day and day.endswith("-01") and not writes_day(tree, url, day) else day


@contextmanager
def without_script_comments(tree: HtmlElement) -> Iterator[None]:
    """The page's JavaScript (``_is_javascript``) without its comments (``_SCRIPT_COMMENT``) while the block runs, as
    it was after: comments are not data. In place, not on a copy: htmldate copies the tree it is given."""
    changed = []
    try:  # the strip itself inside: a script that fails half-way leaves the ones before it put back
        for script in filter(_is_javascript, _SCRIPTS(tree)):
            if (text := script.text) and (stripped := _without_comments(text)) is not text:
                changed.append((script, text))
                script.text = stripped
        yield
    finally:
        for script, text in changed:
            script.text = text


def _is_javascript(script: HtmlElement) -> bool:
    """Whether the script is code: without a type or of a script's type ("text/javascript", "module"); JSON-LD and
    other data blocks are no code and hold no comments."""
    kind = (script.get("type") or "").strip().lower()
    return not kind or "script" in kind or kind == "module"


def _without_comments(script: str) -> str:
    """The script without its comments (``_TO_MARK``, read on from each comment and each "/" that starts none); the
    same string when it has none."""
    if not any(mark in script for mark in _COMMENT_MARKS):
        return script
    kept: list[str] = []
    # Where each comment ends and begins, in order: a look-back skips them. Arrays, 16 bytes a comment: a list of
    # (end, start) pairs took about 120, 80 MB more at the stage's peak on a 2 MiB raw message of "//\n".
    ends, starts = array("q"), array("q")
    start = position = 0
    placed = _Placed(0, value=False)
    brackets = _Brackets()
    while True:
        found = _TO_MARK.match(script, position)
        if found.lastgroup:
            brackets.read(script, position, found.start(found.lastgroup))
        if found.start("comment") >= 0:
            kept.append(script[start : found.start("comment")])
            start = position = found.end("comment")
            ends.append(position)
            starts.append(found.start("comment"))
        elif (slash := found.start("slash")) >= 0:
            if _opens_literal(script, slash, placed, ends, starts, brackets):
                placed = _Placed(_REGEX_LITERAL.match(script, slash).end(), value=True)
            else:
                placed = _Placed(slash + 1, value=False)
            position = placed.end
        elif found.start("open") >= 0:
            placed = _Placed(found.end("open"), value=True)
            position = placed.end
        else:
            return "".join([*kept, script[start:]]) if kept else script


@dataclass(frozen=True, slots=True)
class _Placed:
    """The last token the scan read that a look-back cannot tell by its last character (a regular expression literal
    or a string that ends in no quote, a dividing "/") or the script's start: where a look-back stops, and whether a
    value ends there."""

    end: int
    value: bool


def _opens_literal(
    script: str, slash: int, placed: _Placed, ends: array[int], starts: array[int], brackets: _Brackets
) -> bool:
    """Whether the "/" at ``slash`` opens a regular expression literal, as JavaScript's tokenizers tell it: by the
    significant token before it (white space, comments and a postfix "++" or "--" aside). After a value (a name, a
    number, "1." too, a string or literal, "]", a ")" but one that closes ``if``, ``while``, ``for`` or ``with (...)``,
    a "}" that closes an object literal) it divides; after anything else (an operator, an opening bracket, a block's
    "}", ",", ";", the script's start, a keyword a value follows: ``_OPENS_VALUE``) it opens a literal.

    Not told as a parser would: a bracket is matched as ``_Brackets`` reads them (those of code), and what stands
    before its opener read in a few characters (``_CONDITION``, ``_OBJECT``)."""
    end = _token_end(script, slash, placed.end, ends, starts)
    while end - 2 >= placed.end and script.startswith(("++", "--"), end - 2):
        end = _token_end(script, end - 2, placed.end, ends, starts)
    if end == placed.end:
        return not placed.value
    last = script[end - 1]
    if last.isalnum() or last in "_$":
        return _OPENS_VALUE.search(script, max(placed.end, end - 10), end) is not None
    if last == ".":  # a number's point ("1./3") ends a value, a spread's ("[.../a/]") none
        return not script[end - 2 : end - 1].isdecimal()
    if last in "})":
        opener = brackets.opener(end - 1)
        before = _CONDITION if last == ")" else _OBJECT
        found = opener >= 0 and before.search(script, max(0, opener - _OPENER_WINDOW), opener) is not None
        return found == (last == ")")
    return last not in "]\"'`"  # a string that ends in a quote


class _Brackets:
    """The brackets of a script's code, read run by run as the scan passes them (``_TO_MARK``'s runs of code and whole
    strings; not those of its strings, literals or comments, which a parser does not match either): the opener of the
    last closing one, which a look-back asks about, and those still open in an array, 8 bytes each."""

    def __init__(self) -> None:
        self._open = array("q")
        self._closed = self._opener = -1

    def read(self, script: str, start: int, end: int) -> None:
        """Match the brackets of the run from ``start`` to ``end``, its strings skipped."""
        for found in _CODE_BRACKET.finditer(script, start, end):
            bracket = script[found.start()]
            if bracket in "({":
                self._open.append(found.start())
            elif bracket in ")}":
                self._closed, self._opener = found.start(), self._open.pop() if self._open else -1

    def opener(self, close: int) -> int:
        """Where the bracket the one at ``close`` closes opens: -1 if none is open, or if ``close`` is not the last
        closing bracket of code read (the look-back's token, which only white space and comments follow)."""
        return self._opener if close == self._closed else -1


def _token_end(script: str, end: int, floor: int, ends: array[int], starts: array[int]) -> int:
    """Where the last token before ``end`` ends, white space and comments skipped, not before ``floor``. Read back in
    windows that double from one character, never over a comment's end (a line comment's trailing blanks are no white
    space between tokens): a look-back reads a few times what it skips, not the script before it."""
    index = bisect_right(ends, end)
    width = 1
    while True:
        comment_end = ends[index - 1] if index else -1
        bottom = max(floor, end - width, comment_end)
        end = bottom + len(script[bottom:end].rstrip())
        if end > bottom or end == floor:
            return end
        if end == comment_end:
            index, end, width = index - 1, starts[index - 1], 1
        else:
            width *= 2


def writes_day(tree: HtmlElement, url: str | None, day: str) -> bool:
    """Whether the page (its text, its scripts' included, attributes or URL) writes ``day`` (``YYYY-MM-DD``) as a
    day, in English or digits. Digits are read day first and month first ("01/07/2006")."""
    year, short, number, day_number = day[:4], day[2:4], int(day[5:7]), int(day[8:10])
    month, digits = (f"0?{n}" if n < 10 else str(n) for n in (number, day_number))
    name = rf"{_MONTHS[number - 1][:3]}[a-z]*"  # "Jan", "January", "Sept"
    ordinal = _ORDINALS.get(day_number, "th")
    written = re.compile(
        rf"{year}(?:(?P<a>[-/.]){month}(?P=a){digits}(?!\d)|{day[5:7]}{day[8:10]})"
        rf"|(?<!\d)(?:{digits}(?P<b>[-/.]){month}(?P=b)|{month}(?P<c>[-/.]){digits}(?P=c))(?:{year}|{short})(?!\d)"
        rf"|\b{name}\W{{1,3}}{digits}(?:{ordinal})?\W{{1,3}}{year}"
        rf"|(?<!\d){digits}(?:{ordinal})?\W{{1,3}}{name}\W{{1,3}}{year}",
        re.IGNORECASE,
    )
    return bool(written.search("\n".join([url or "", *_ALL_ATTRIBUTES(tree), *tree.itertext()])))


def date_parser(language: str | None = None) -> DateDataParser:
    """htmldate's date parser (one a process, its own settings), set to read ``day_languages(language)`` only.

    htmldate caches the day it reads in a string without the languages it was read in: the cache is emptied when
    they change, so a page's day never depends on the pages before it (the same day as a search in a new process).
    """
    parser = get_external_parser()
    languages = day_languages(language)
    if parser.languages != languages:
        try_date_expr.cache_clear()
        parser.languages = languages  # a public attribute, read on every call
    return parser


@cache
def day_languages(language: str | None) -> list[str]:
    """The languages a page's date strings are read in: English (the web's dates, whatever the page's language)
    and the page's own; every one of ``date_languages`` when its language is unknown or one dateparser lacks.

    A string no language reads (most of those htmldate hands dateparser) is tried in every locale of every language
    given: two languages instead of 101 spare most of the date search's cost on L3S-GN1 (docs: Benchmarks).
    """
    code = "nb" if language == "no" else language
    if code not in language_locale_dict:
        return date_languages()
    return list(dict.fromkeys(("en", code)))


@cache
def date_languages() -> list[str]:
    """The languages dateparser reads a date string in for htmldate: every one py3langid can name a page's language
    (dateparser says "nb" for Norwegian Bokmål, py3langid "no"), in dateparser's own order of its locales.

    A string dateparser cannot read (most of those htmldate hands it: "Jan 16, 7:00", "Published: Dec. 30, 2007 at
    8:20 PM") is tried in every locale of every language it is given: 25-50 ms with all 205 of dateparser's, about
    half that with these 101. The same day on all 790 pages of AEB and L3S-GN1 either way (docs: Benchmarks).
    """
    codes = {"nb" if code == "no" else code for code in detectable_languages()}
    return [language for language in language_locale_dict if language in codes]


def may_name_author(tree: HtmlElement) -> bool:
    """False when no element of the page is one that trafilatura's byline XPaths could match."""

    def values(attribute: str) -> str:
        return "\n".join(_ATTRIBUTE_VALUES[attribute](tree))

    return bool(
        _AUTHOR_TAGS(tree)
        or _AUTHOR_CLASS.search(values("class"))
        or _AUTHOR_ID.search(values("id"))
        or "author" in values("itemprop")
        or _AUTHOR_REL.search(values("rel"))
        or "Byline" in values("data-component")
        or _AUTHOR_TEST_IDS.search(values("data-testid"))
    )


def warm_up() -> None:
    """Load dateparser's tables of ``date_languages`` now, not inside the first page whose date needs them.

    htmldate hands hard date strings to dateparser, which loads them on first use: about 2.5 s of CPU once a process
    (a worker calls this at start; the benchmark before it times the stage).
    """
    with _DAY_SEARCH:
        date_parser().get_date_data("no date here")
