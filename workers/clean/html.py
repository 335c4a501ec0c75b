"""Article body and metadata out of a page's HTML, with trafilatura and resiliparse (no network access).

Each extractor proposes a body (trafilatura's precision mode; resiliparse's main content and the page rendered to
text, both cleaned by the page-text path; trafilatura's default mode) and ``workers.clean.judge`` picks one. What a
trafilatura body holds of share prompts and bare dates is dropped by the same wording rules as in page text
(cutting at a "Related" heading, as page text does, costs more article than it saves here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import trafilatura
from lxml.etree import ElementDefaultClassLookup, XPath
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLParserException
from trafilatura.settings import Document
from trafilatura.utils import HTML_PARSER, fromstring_bytes, load_html

from workers.clean.headline import choose_headline
from workers.clean.judge import Candidate, candidate, page_text_wins, precision_holds, prose_bound, stands_alone
from workers.clean.metadata import PageMetadata, page_metadata
from workers.clean.pagetext import PageLines, article_of, is_figure_row, read_page_lines, split_page_text, unwrap
from workers.clean.render import render_page, render_tree
from workers.records import Rejected
from workers.times import utc_text

OPTIONS = {"include_comments": False, "include_tables": True}
# The precise pass skips trafilatura's fallback extractors (readability, jusText): they cost more than its own and
# the judge checks its body anyway. The default pass runs only when that body and resiliparse's both look wrong,
# so it keeps them: on old layouts they find the article that trafilatura's own pass misses.
FAST = {"fast": True}
# resiliparse's main content as plain text: one line per block; no list bullets, image alt texts or comments.
MAIN_CONTENT = {"main_content": True, "list_bullets": False, "alt_texts": False, "comments": False}
# trafilatura's parser (``trafilatura.utils.HTML_PARSER``, which ``load_html`` uses), set once a process to choose
# every element's class in C: lxml.html's own lookup asks a Python method for the class of each element it hands out
# (a form's fields get their own classes, which neither trafilatura nor htmldate uses), and trafilatura's passes,
# htmldate's search and the renderer ask for about 3,500 elements a page on L3S-GN1 (about 2 ms a page; the same
# output on every page). As ``metadata.date_parser`` sets htmldate's parser: one parser, configured in place.
LOOKUP = ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)
HTML_PARSER.set_element_class_lookup(LOOKUP)
# How deep a page's elements may nest, its root counted. The deepest of the 802 AEB and L3S-GN1 pages nests 98 deep
# (L3S-GN1; AEB's 51): twice that, the bound is under the 256 at which lxml (libxml2) stops reading a page, dropping
# the rest, so the tree shows it. Deeper nesting is hostile or broken, and costly: resiliparse's main content takes
# time quadratic in the depth of nested blocks, holding the GIL (16,000 <div>s: 5 s; the 400,000 a raw message can
# hold: hours), while the worker misses its heartbeats and liveness probe (docs: Cleaning).
MAX_DEPTH = 200
_TOO_DEEP = XPath("/*" * (MAX_DEPTH + 1))  # the elements nested deeper: one step a level, at C speed
# How many elements a page may hold. The most of the 802 AEB and L3S-GN1 pages is 2,214 (L3S-GN1; AEB's 1,596): the
# bound is 45 times that, room for a modern page's large DOM. More is hostile or broken, and costly even when flat:
# trafilatura's pruning and wild-text pass, htmldate and the byline search cost 20 to 110 microseconds of CPU an
# element, and the 520,000 unclosed <p>s a raw message can hold took 32 s of CPU, 61 s on a loaded machine: the
# liveness probe's window (mend50). At the bound, 5 to 9 s (flat <p>, <br>, <li>).
MAX_ELEMENTS = 100_000
_ELEMENTS = XPath("count(//*)")
# How many attributes one tag may hold. The most of the 802 AEB and L3S-GN1 pages is 78 (L3S-GN1; AEB's 64): the bound
# is about 13 times that. Both parsers check each attribute of a tag against the tag's others (libxml2's and lexbor's
# duplicate test), so a tag costs time quadratic in its attributes, holding the GIL: 40,000 in one tag, 4 to 10 s in
# each, and the 700,000 a raw message can hold, hours. At the bound a tag costs about 2 ms, a page of such tags as large
# as a raw message about 2 s. Counted before either parser reads the page (``_TAG_ATTRIBUTES``).
MAX_ATTRIBUTES = 1000
# A page read as HTML's tokenizer reads it, tag by tag, up to a tag of more than MAX_ATTRIBUTES attributes (the match
# ends before it): text, comments (ended at the first "-->", "--!>", or "<!-->"), other markup declarations, the text
# of the elements whose text is no markup (a script, with its "<!--" escapes; style, title, textarea, xmp, iframe,
# noembed, noframes; each ended at its own end tag, "</title" then a space, "/" or ">"), and tags with their attributes
# (a name, then "=" and a value, quoted or not; a quote elsewhere is part of a name, as in HTML). Letters are ASCII
# letters only, as in HTML (re.ASCII: no Kelvin sign read as a "k"). Every part is read once, by possessive steps:
# linear in the page. Both parsers read a page so (lxml 6.2 on libxml2 2.14, resiliparse 2.0 on lexbor), but inside
# <svg> or <math> lexbor reads a script, style or title as markup and a "<![CDATA[" to its "]]>": a tag hidden there
# is not counted (docs: Cleaning).
_SPACE = r"[\t\n\f\r ]"  # HTML's white space
_NAME = r"[^\t\n\f\r />][^\t\n\f\r />=]*+"  # an attribute's name: its first character may be "="
_VALUE = r"""(?:"[^"]*+"?|'[^']*+'?|[^\t\n\f\r >]++)"""  # quoted (to the page's end if left open), or not
_ATTRIBUTE = rf"(?>[\t\n\f\r /]*+{_NAME}(?:{_SPACE}*+={_SPACE}*+{_VALUE}?)?)"
_TAG = rf"[^\t\n\f\r />]*+{_ATTRIBUTE}{{0,{MAX_ATTRIBUTES}}}+(?!{_ATTRIBUTE})[\t\n\f\r /]*+>?"


def _start(name: str) -> str:
    """The start tag of the element ``name``, its attributes counted."""
    return rf"<{name}(?![^\t\n\f\r />]){_TAG}"


def _raw_text(name: str) -> str:
    """An element whose text is no markup, its tag and its text, ended where its end tag starts."""
    return rf"{_start(name)}(?:[^<]++|<(?!/{name}[\t\n\f\r />]))*+"


# A script's text: "<!--" escapes it, and in an escaped part "<script" (then a space, "/" or ">") escapes it
# twice, up to "</script"; "-->" ends either, and "</script" ends the script only where it is not escaped twice.
_SCRIPT_TAG = r"script[\t\n\f\r />]"
_ESCAPED = rf"""<!(?=--)(?:[^<-]++|-(?!->)|<(?!/?{_SCRIPT_TAG})
    |<{_SCRIPT_TAG}(?:[^<-]++|-(?!->)|<(?!/{_SCRIPT_TAG}))*+(?:</{_SCRIPT_TAG})?)*+(?:-->)?"""
_SCRIPT = rf"{_start('script')}(?:[^<]++|<(?!/{_SCRIPT_TAG}|!--)|{_ESCAPED})*+"
_RAW_TEXT_ELEMENTS = ("style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")  # as a script, no markup
_RAW_TEXTS = "|".join(map(_raw_text, _RAW_TEXT_ELEMENTS))
_TAG_ATTRIBUTES = re.compile(
    rf"""(?:[^<]++|<!--(?:-?>|.*?--!?>|.*+)|{_SCRIPT}|{_RAW_TEXTS}
    |</?[A-Za-z]{_TAG}|<[!?][^>]*+>?|</(?![A-Za-z])[^>]*+>?|<(?![A-Za-z/!?]))*+""",
    re.ASCII | re.DOTALL | re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What the page's HTML gives: title, body paragraphs, publication day and time (RFC 3339) and author."""

    title: str | None
    paragraphs: list[str]
    published_at: str | None  # the page's day, midnight UTC (``published_day``)
    author: str | None
    article_like: bool  # a paragraph reads as prose or is a row of figures: else the page holds no article
    language: str | None  # of the page's prose, as the page-text path publishes it (``published_language``)
    published_time: str | None = None  # its meta tags' time on that day, in UTC (``metadata.published_time``)


def published_day(day: str | None) -> str | None:
    """The page's publication day (``YYYY-MM-DD``, as htmldate gives it) as an RFC 3339 time: midnight UTC.

    htmldate finds the day a page was published, not its hour, so the time is the day's start, published with
    precision "day"; the page's meta tags may give its time of day (``metadata.published_time``).
    """
    if not day:
        return None
    try:
        start = datetime.combine(date.fromisoformat(day), time(), UTC)  # a day alone: a time of day is refused
    except ValueError:
        return None
    return utc_text(start, "seconds")


def _trafilatura(
    name: str, document: Document | None, title: str | None, stopwords: frozenset[str], links: frozenset[str]
) -> Candidate:
    """trafilatura's body as a candidate, without the headline it repeats as the first line."""
    lines = (document.text or "").split("\n") if document else []
    if title and lines and lines[0].strip() == title.strip():
        lines = lines[1:]  # before unwrapping: a headline without a full stop would join the first paragraph
    return candidate(name, unwrap(lines), stopwords, links)  # <pre> wire copy keeps its wraps: unwrapped here


def _extraction(tree: HtmlElement | None, **mode: bool) -> Document | None:
    """trafilatura's body of the parsed page (it works on a copy: the tree stays as it was)."""
    return trafilatura.bare_extraction(tree, **OPTIONS, **mode) if tree is not None else None


def _main_content(html: str, stopwords: frozenset[str], links: frozenset[str]) -> Candidate:
    """resiliparse's main content (fast, high recall), its lines scored by the page-text path, as a candidate."""
    try:
        text = extract_plain_text(html, **MAIN_CONTENT)
    except HTMLParserException:
        text = ""  # no candidate: trafilatura's default mode stands in
    return candidate("main_content", split_page_text(text, cell_tables=False).paragraphs, stopwords, links)


def extract_html(html: str, with_day: bool = True, url: str | None = None, latest: date | None = None) -> HtmlExtract:
    """The article's paragraphs (comments excluded), title, publication day and author, chosen by the judge.

    The page is parsed once; trafilatura's passes and the metadata rules share the tree. When trafilatura's
    precision body does not hold against the page text's, resiliparse's main content (about a tenth of the cost
    of trafilatura's default mode) is the alternative; the default mode runs only when that does not hold either.
    The page text is scored only when the precise body could give way to it (``stands_alone``): on two thirds of
    AEB's pages it cannot, whatever the page text's run, and the same article comes out without it.
    ``with_day=False``: the publication day is not searched for (the raw record carries its own time); ``url``
    and ``latest``: the URL the page was fetched from and the last day it can be of (``page_metadata``).
    Raises ``Rejected`` (``too_many_attributes``, ``too_deep``, ``too_many_elements``) for a page with a tag of more
    than ``MAX_ATTRIBUTES`` attributes, nested deeper than ``MAX_DEPTH`` or holding
    more than ``MAX_ELEMENTS`` elements.
    """
    _check_attributes(html)
    tree = load_html(html)
    _check_shape(html, tree)
    rendered = render_tree(tree) if tree is not None else render_page(html)
    page = read_page_lines(rendered.text)
    meta = (
        page_metadata(tree, with_day, page.language, url, latest)
        if tree is not None
        else PageMetadata(None, None, None)
    )
    stopwords = page.stopwords
    body = _trafilatura(
        "precision", _extraction(tree, favor_precision=True, **FAST), meta.title, stopwords, rendered.links
    )
    chosen = (
        body
        if stands_alone(body.judgement, prose_bound(page.body))
        else _judged(html, tree, meta.title, page, rendered.links, body)
    )
    return HtmlExtract(
        title=choose_headline(tree, (meta.title, page.title), chosen.paragraphs, stopwords, url)
        if tree is not None
        else page.title,
        paragraphs=chosen.paragraphs,
        published_at=published_day(meta.day),
        author=meta.author,
        article_like=chosen.judgement.prose_words > 0 or any(map(is_figure_row, chosen.paragraphs)),
        language=page.published_language,
        published_time=meta.time,
    )


def _check_attributes(html: str) -> None:
    """Raise ``Rejected`` (``too_many_attributes``) when a tag of the page holds more than ``MAX_ATTRIBUTES``
    attributes, before a parser spends time quadratic in them."""
    if (end := _TAG_ATTRIBUTES.match(html).end()) < len(html):
        raise Rejected(
            "too_many_attributes",
            f"the tag at character {end:,} holds more than {MAX_ATTRIBUTES:,} attributes "
            "(of 802 real pages, 78 at most)",
        )


def _check_shape(html: str, tree: HtmlElement | None) -> None:
    """Raise ``Rejected`` when the page's elements nest deeper than ``MAX_DEPTH`` (``too_deep``) or number more than
    ``MAX_ELEMENTS`` (``too_many_elements``) in lxml's tree of it; of a page ``load_html`` turns down (no "html" at
    its start and one element at its top), the tree of the page as it stands, which resiliparse reads all the same."""
    root = tree if tree is not None else fromstring_bytes(html)
    if root is None:
        return
    if _TOO_DEEP(root):
        raise Rejected(
            "too_deep", f"the page's elements nest more than {MAX_DEPTH} deep (of 802 real pages, 98 at most)"
        )
    if (elements := int(_ELEMENTS(root))) > MAX_ELEMENTS:
        raise Rejected(
            "too_many_elements",
            f"the page holds {elements:,} elements, more than {MAX_ELEMENTS:,} (of 802 real pages, 2,214 at most)",
        )


def _judged(
    html: str, tree: HtmlElement | None, title: str | None, page: PageLines, links: frozenset[str], body: Candidate
) -> Candidate:
    """The judge's choice among the precise body, its alternatives and the page text's article."""
    stopwords = page.stopwords
    page_text = candidate("page_text", article_of(page, cell_tables=False).paragraphs, stopwords, links)
    if not precision_holds(body.judgement, page_text.judgement):
        other = _main_content(html, stopwords, links)
        if not precision_holds(other.judgement, page_text.judgement):
            other = _trafilatura("default", _extraction(tree), title, stopwords, links)
        body = body if precision_holds(body.judgement, other.judgement) else other
    return page_text if page_text_wins(body.judgement, page_text.judgement) else body
