"""The HTML path's parse of a page: trafilatura's tree (``load_html``), element classes chosen in C."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lxml.etree import tostring
from lxml.html import HtmlElement, HtmlElementClassLookup
from trafilatura.utils import HTML_PARSER, load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_pages
from workers.clean.html import LOOKUP  # its import sets HTML_PARSER's lookup to LOOKUP

EDGES = [
    "",
    "   ",
    "no markup at all, only a sentence.",
    "<p>A fragment with one block.</p>",
    "<?xml version='1.0' encoding='utf-8'?>\n<html><body><p>Declared encoding.</p></body></html>",
    "<!DOCTYPE html>\n<html/>\n<body><p>A self-closed html tag.</p></body>",
    "<html><body><form><input name='q' value='x'><select><option>a</option></select></form></body></html>",
]


def _serialised(tree: HtmlElement | None) -> bytes | None:
    return None if tree is None else tostring(tree)


@contextmanager
def _lxml_html_lookup() -> Iterator[None]:
    """trafilatura's parser with lxml.html's own element classes, as it comes, for the span of the block."""
    HTML_PARSER.set_element_class_lookup(HtmlElementClassLookup())
    try:
        yield
    finally:
        HTML_PARSER.set_element_class_lookup(LOOKUP)


def test_the_page_parses_to_trafilaturas_tree_on_real_pages_and_edge_cases() -> None:
    pages = [page.html for page in load_pages(DEFAULT_AEB, 20) + load_pages(DEFAULT_L3S, 20, L3S_DAMAGED)]
    ours = [_serialised(load_html(html)) for html in pages + EDGES]
    with _lxml_html_lookup():
        theirs = [_serialised(load_html(html)) for html in pages + EDGES]
    for html, mine, stock in zip(pages + EDGES, ours, theirs, strict=True):
        assert mine == stock, html[:80]


def test_every_element_is_a_plain_html_element_even_a_forms_field() -> None:
    tree = load_html(EDGES[-1])
    assert tree is not None
    assert {type(element) for element in tree.iter()} == {HtmlElement}
    with _lxml_html_lookup():
        assert {type(element) for element in load_html(EDGES[-1]).iter()} > {HtmlElement}  # lxml.html's own classes
