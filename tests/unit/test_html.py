"""The HTML path's own parse of a page: trafilatura's tree, element classes chosen in C."""

from __future__ import annotations

from lxml.etree import tostring
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_pages
from workers.clean.html import parse_page

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


def test_the_page_parses_to_trafilaturas_tree_on_real_pages_and_edge_cases() -> None:
    pages = [page.html for page in load_pages(DEFAULT_AEB, 20) + load_pages(DEFAULT_L3S, 20, L3S_DAMAGED)]
    for html in pages + EDGES:
        assert _serialised(parse_page(html)) == _serialised(load_html(html)), html[:80]


def test_every_element_is_a_plain_html_element_even_a_forms_field() -> None:
    tree = parse_page(EDGES[-1])
    assert tree is not None
    assert {type(element) for element in tree.iter()} == {HtmlElement}
    assert {type(element) for element in load_html(EDGES[-1]).iter()} > {HtmlElement}  # lxml.html's own classes
