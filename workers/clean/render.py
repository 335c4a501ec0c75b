"""HTML to page text as a tag-dropping scraper sees it: one line per block element, every visible line kept.

``render_page`` is a streaming tokenizer (the standard library's), not a tree: no nesting limit, no network
access, and malformed markup still yields its text; the benchmark renders its page-text inputs with it, and the
HTML path uses it for a page lxml cannot parse. ``render_tree`` reads the same lines from a page lxml has already
parsed (the HTML path's page-text candidate), about 3.7 times faster.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from lxml.etree import iterwalk
from lxml.html import HtmlElement

from workers.clean.normalize import collapse

# Elements whose content a reader never sees.
HIDDEN = frozenset({"head", "script", "style", "noscript", "template", "svg", "iframe", "object", "canvas"})
# Elements that start a new line of text in a browser (inline ones such as a, span, em do not).
BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "label",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "select",
        "summary",
        "table",
        "tbody",
        "td",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden: list[str] = []  # the hidden elements open around the current position, innermost last
        # How many of each are open: an end tag is looked for in ``hidden`` only when one is, so each end tag costs
        # what it closes (a scan of the list for every end tag took time quadratic in the page).
        self.open: Counter[str] = Counter()
        self.link: list[str] | None = None  # the text of the link open at the current position
        self.links: set[str] = set()  # the text of every link of the page, spaces collapsed

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" or (tag in BLOCK and self.hidden == ["head"]):
            self.hidden.clear()  # as in a browser: the body, or body content in an unclosed head, ends the head
            self.open.clear()
        if tag in HIDDEN:
            self.hidden.append(tag)
            self.open[tag] += 1
        elif tag in BLOCK:
            self.out.append("\n")
        elif tag == "a":
            self.close_link()  # links do not nest: an unclosed one ends where the next starts
            self.link = []

    def close_link(self) -> None:
        """Record the open link's text, if a link is open."""
        if self.link is not None:
            self.links.add(collapse("".join(self.link)))
            self.link = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.open[tag]:  # the innermost one open closes, and every hidden element open inside it
            while (closed := self.hidden.pop()) != tag:
                self.open[closed] -= 1
            self.open[tag] -= 1
        elif tag in BLOCK:
            self.out.append("\n")
        elif tag == "a":
            self.close_link()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data)
            if self.link is not None:
                self.link.append(data)


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's visible text, one line per block, and the text of each of its links."""

    text: str
    links: frozenset[str]


def _rendered(pieces: list[str], links: set[str]) -> RenderedPage:
    """The page of the text pieces of a walk through it (blank lines and runs of spaces collapsed) and its links."""
    lines = "".join(pieces).split("\n")
    links.discard("")
    # Most lines of a walk are empty or indentation: skipped before collapsing (they would collapse to nothing).
    return RenderedPage("\n".join(collapse(line) for line in lines if line and not line.isspace()), frozenset(links))


def render_page(html: str) -> RenderedPage:
    """The visible text of ``html`` (one line per block, blank lines and runs of spaces collapsed), and its links."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    renderer.close_link()
    return _rendered(renderer.out, renderer.links)


def render_tree(tree: HtmlElement) -> RenderedPage:
    """``render_page`` of a page lxml has already parsed: the same lines, read from its tree at C speed.

    lxml (libxml2) has already closed what the markup left open, so the tokenizer's repairs are not needed.
    ``tree``: the page's root. A page holding a second ``<html>`` after its end is parsed with a second top-level
    element beside the root, which holds the rest of the page: the root's following siblings are read too.
    """
    out: list[str] = []
    links: set[str] = set()
    for top in (tree, *tree.itersiblings()):
        _render_element(top, out, links)
    return _rendered(out, links)


def _render_element(tree: HtmlElement, out: list[str], links: set[str]) -> None:
    """Append the lines of ``tree`` and its subtree to ``out``, and its links' text to ``links``."""
    walk = iterwalk(tree, events=("start", "end"))
    for event, element in walk:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in HIDDEN:
                walk.skip_subtree()
                continue
            out.append("\n" if tag in BLOCK else "")
            out.append((element.text or "") if tag else "")
            if tag == "a":
                links.add(collapse(element.text_content()))
        else:
            out.append("\n" if tag in BLOCK else "")
            out.append(element.tail or "")


def render_page_text(html: str) -> str:
    """The visible text of ``html``, one line per block, blank lines and runs of spaces collapsed."""
    return render_page(html).text
