"""The byline a page writes for its article: trafilatura's byline search, judged on the element it takes.

``trafilatura.metadata.extract_author`` takes the text of the first element whose class or id says "author" or
"byline" (comments, dates and figures pruned first) and reads it as one string of names. On pages it was never tuned
on the first such element is often no byline of the article: a picture's credit ("imageByline": the photographer),
or the byline of another article's teaser in a sidebar ("The truth about the credit crunch / by Phil Mullan"). And
the element often goes on after the names with the author's paper, title or place on a line of its own ("By SAEED
SHAH / Special to The Globe and Mail", "BY TOM CANAVAN / ASSOCIATED PRESS"), which the one string glues to the name
("SAEED SHAH Special"). This search passes over the first two as trafilatura passes over a figure, and gives the
element's lines apart. The rules were chosen on L3S-GN1 (where every such case of the 802 pages stands) and checked on
AEB (docs: Cleaning).
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass
from itertools import islice

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import normalize_authors
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from workers.clean.render import BLOCK

# An element whose class or id names a picture holds its credit: the photographer's name ("imageByline",
# "photo-credit", "caption-author"), not the story's author.
_PICTURE = re.compile(r"image|photo|picture|caption|img|pic(?![a-z])", re.IGNORECASE)
_BREAK = "\ue000"  # a line's end marked in the text (a private-use character; a page's newlines are spaces)
_ITEM = "\ue001"  # a list item's start marked in the text (a list's items are separate names: one author each)
# A full stop that ends a byline's sentence before another ("By Jane Doe. Photos by John Smith"): after a word of two
# letters or more (not an initial: "Mary J. Blige") that is no abbreviation of a name's ("Jane St. Clair", "John Doe
# Jr. Smith", "Dr. Jane Doe"), before a capital.
_SENTENCE_END = re.compile(r"(?<=\w\w)(?<!\b(?:St|Jr|Sr|Mr|Ms|Dr))(?<!\bMrs)\.\s+(?=[A-Z])")
_WORDS = re.compile(r"\w+")
_PRECEDING_TEXT = XPath("preceding::text()")
# trafilatura's limits on an element's text to be a byline (``extract_metainfo(len_limit=120)``).
_SHORTEST, _LONGEST = 2, 120


@dataclass(frozen=True, slots=True)
class Byline:
    """A byline element's text read as trafilatura reads a byline ("; " between its names), its lines, and the
    indices of the lines that begin a list's item."""

    names: str
    lines: list[str]
    items: frozenset[int]


def find_byline(tree: HtmlElement, title: str | None) -> Byline | None:
    """The element trafilatura's byline search takes, read as trafilatura reads it, with "; " where a sentence of
    it ends after a name (``_sentences``); None if there is none, it holds no name, or it is a picture's credit
    (``_credits_picture``) or a teaser's byline (``_under_teaser``; ``title``: the page's)."""
    subtree = prune_unwanted_nodes(deepcopy(tree), AUTHOR_DISCARD_XPATHS)
    title_words = set(_WORDS.findall((title or "").lower()))
    for expression in AUTHOR_XPATHS:
        for element in expression(subtree):
            content = trim(" ".join(element.itertext()))
            if not (content and _SHORTEST < len(content) < _LONGEST):
                continue
            if _credits_picture(element) or _under_teaser(element, content, title_words):
                return None  # the page's byline is not where the search looks: no guess at another element
            names = normalize_authors(None, _sentences(content))
            return Byline(names, *_lines(element)) if names else None
    return None


def _credits_picture(element: HtmlElement) -> bool:
    """Whether the element's class or id names a picture ("imageByline"): a caption's credit."""
    return bool(_PICTURE.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _under_teaser(element: HtmlElement, own: str, title_words: set[str]) -> bool:
    """Whether the byline stands in a teaser: in its card (its nearest ancestor holding more text), all that comes
    before it is one link of three words or more, a "by" aside, that is not the page's own headline (most of its
    words not in ``title_words``): another article's headline ("<a>The truth about the credit crunch</a> by Phil
    Mullan"), where a menu is many links. ``own``: the element's text."""
    card = next(
        (up for up in islice(element.iterancestors(), 3) if len(trim(" ".join(up.itertext()))) > len(own) + 2), None
    )
    if card is None:
        return False
    links, other = _text_before(card, element)
    words = _WORDS.findall(" ".join(links).lower())
    if len(links) != 1 or len(words) < 3 or _WORDS.findall(re.sub(r"(?i)\bby\b", "", other)):
        return False
    return 2 * sum(word in title_words for word in words) < len(words)


def _text_before(card: HtmlElement, element: HtmlElement) -> tuple[list[str], str]:
    """The card's text before the element: the text of each link (with an address), and the rest. The page's text
    before the element ends with the card's (the card holds the element), so it is read back from the element up to
    the first text outside the card, not from the page's start."""
    inside: list[tuple[str, list[HtmlElement]]] = []
    for text in reversed(_PRECEDING_TEXT(element)):
        chain = _up_to(text.getparent().getparent() if text.is_tail else text.getparent(), card)
        if not chain:
            break
        inside.append((text, chain))
    links: dict[HtmlElement, list[str]] = {}
    other: list[str] = []
    for text, chain in reversed(inside):
        link = next((up for up in chain if up.tag == "a" and up.get("href") is not None), None)
        (other if link is None else links.setdefault(link, [])).append(text)
    return [trim(" ".join(texts)) for texts in links.values()], " ".join(other)


def _up_to(node: HtmlElement | None, card: HtmlElement) -> list[HtmlElement]:
    """The node and its ancestors up to the card, the card included; empty if the node is not inside the card."""
    chain: list[HtmlElement] = []
    while node is not None:
        chain.append(node)
        if node is card:
            return chain
        node = node.getparent()
    return []


def _lines(element: HtmlElement) -> tuple[list[str], frozenset[int]]:
    """The element's text as a browser breaks it into lines (at the block elements and line breaks that end the page
    text's lines: ``render.BLOCK``), trimmed, and the indices of the lines that begin a list's item."""
    for node in element.iterdescendants():
        if node.tag in BLOCK:
            node.tail = _BREAK + (node.tail or "")
            if node.tag != "br":
                node.text = _BREAK + (_ITEM if node.tag == "li" else "") + (node.text or "")
    lines: list[str] = []
    items: set[int] = set()
    for piece in " ".join(element.itertext()).split(_BREAK):
        if _ITEM in piece:
            items.add(len(lines))  # the item begins with the next line that holds text
        if line := trim(piece.replace(_ITEM, "")):
            lines.append(line)
    return lines, frozenset(items)


def _sentences(line: str) -> str:
    """The line with "; " between its sentences where one ends after a name of two words or more ("By Jane Doe.
    Photos by John Smith": "By Jane Doe; Photos by John Smith"; "Dr. Jane Doe" stays)."""
    pieces = _SENTENCE_END.split(line)
    joined = pieces[0]
    for piece in pieces[1:]:
        head = joined.split("; ")[-1]
        name_words = _WORDS.findall(re.sub(r"(?i)^\W*by\b", "", head))
        joined += ("; " if len(name_words) >= 2 else ". ") + piece
    return joined
