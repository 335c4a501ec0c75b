"""The HTML path's parse of a page: trafilatura's tree (``load_html``), element classes chosen in C."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from lxml.etree import tostring
from lxml.html import HtmlElement, HtmlElementClassLookup
from trafilatura.utils import HTML_PARSER, load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_pages
from tests.hostile import html_page, nested_page
from workers.clean.html import LOOKUP, MAX_DEPTH, MAX_ELEMENTS, extract_html  # its import sets HTML_PARSER's lookup
from workers.records import Rejected
from workers.settings import Settings

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


def _depth(tree: HtmlElement) -> int:
    """How deep the tree's elements nest, its root counted."""
    return max(len(list(element.iterancestors())) for element in tree.iter()) + 1


def _wrapped(page: str, levels: int) -> str:
    """The page with its body's content inside ``levels`` nested ``<div>``s."""
    body = re.search(r"<body[^>]*>(.*)</body>", page, re.DOTALL)
    assert body is not None
    return page[: body.start(1)] + "<div>" * levels + body[1] + "</div>" * levels + page[body.end(1) :]


def test_a_real_page_nested_as_deep_as_the_bound_is_read_as_it_was_and_one_level_more_is_too_deep() -> None:
    for page in load_pages(DEFAULT_AEB, 3):
        levels = MAX_DEPTH - _depth(load_html(page.html))
        assert _depth(load_html(_wrapped(page.html, levels))) == MAX_DEPTH
        assert extract_html(_wrapped(page.html, levels)).paragraphs == extract_html(page.html).paragraphs
        with pytest.raises(Rejected) as refused:
            extract_html(_wrapped(page.html, levels + 1))
        assert refused.value.code == "too_deep"


@pytest.mark.parametrize("whole", [True, False], ids=["document", "fragment"])
def test_a_page_nested_as_deep_as_the_size_limit_allows_is_too_deep_unread_by_resiliparse(
    whole: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About 190,000 nested <div>s, as a whole document or a fragment (which ``load_html`` turns down): resiliparse
    would take hours over them."""
    calls: list[str] = []
    monkeypatch.setattr("workers.clean.html.extract_plain_text", lambda page, **_: calls.append(page) or "")
    nested = nested_page(Settings().max_message_bytes)
    with pytest.raises(Rejected) as refused:
        extract_html(html_page(nested) if whole else nested)
    assert (refused.value.code, calls) == ("too_deep", [])


def test_a_page_of_more_elements_than_the_bound_is_too_many_elements_unread_by_the_extractors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Flat, not deep: every step of the path costs time by the element, and a raw message holds 500,000 of them."""
    calls: list[str] = []
    monkeypatch.setattr("workers.clean.html.extract_plain_text", lambda page, **_: calls.append(page) or "")
    monkeypatch.setattr("workers.clean.html._extraction", lambda tree, **_: calls.append("trafilatura"))
    page = load_pages(DEFAULT_AEB, 1)[0].html
    body = re.search(r"<body[^>]*>", page)
    assert body is not None
    flooded = page[: body.end()] + "<br>" * MAX_ELEMENTS + page[body.end() :]
    with pytest.raises(Rejected) as refused:
        extract_html(flooded)
    assert (refused.value.code, calls) == ("too_many_elements", [])
