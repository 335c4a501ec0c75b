"""The HTML path's parse of a page: trafilatura's tree (``load_html``), element classes chosen in C."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
from lxml.etree import tostring
from lxml.html import HtmlElement, HtmlElementClassLookup
from trafilatura.utils import HTML_PARSER, load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_pages
from tests.hostile import attribute_flood, html_page, nested_page
from workers.clean.html import (  # its import sets HTML_PARSER's lookup
    LOOKUP,
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_ELEMENTS,
    extract_html,
)
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


def _attributes(count: int) -> str:
    return "".join(f" a{i}" for i in range(count))


@pytest.mark.parametrize(
    "tag",
    [
        f"<p{_attributes(MAX_ATTRIBUTES + 1)}>",
        f"<P/{'/'.join(f'a{i}' for i in range(MAX_ATTRIBUTES + 1))}>",  # "/" parts them too, in any case
        f"<p{''.join(f' a{i}=x' for i in range(MAX_ATTRIBUTES + 1))}>",  # unquoted values
        "<p " + "".join(f'a{i}="x"' for i in range(MAX_ATTRIBUTES + 1)) + ">",  # a closing quote parts them
        f'<p a="> "{_attributes(MAX_ATTRIBUTES)}>',  # a quoted ">" ends no tag
        f'<p a=x"{_attributes(MAX_ATTRIBUTES)} ">',  # a quote inside an unquoted value opens nothing
        f"</p{_attributes(MAX_ATTRIBUTES + 1)}>",  # an end tag is read as a start tag is
        f"<script>var s = '<a b=\"</script><p{_attributes(MAX_ATTRIBUTES + 1)}>\"'</script>",  # a script ends there
        f"<!-- <a b=\" --><p{_attributes(MAX_ATTRIBUTES + 1)}>\"",  # so does a comment
        f"<!--><p{_attributes(MAX_ATTRIBUTES + 1)}>",  # and a comment closed at once
        *(  # the text of these is no markup: a quote in it opens no value that could hide the tag after them
            f'<{name}><a b="</{name}><p{_attributes(MAX_ATTRIBUTES + 1)}>'
            for name in ("title", "textarea", "xmp", "iframe", "noembed", "noframes")
        ),
        f'<script></scripts><a b="</script><p{_attributes(MAX_ATTRIBUTES + 1)}>',  # "</scripts" ends no script
        f'<script><!--<script></script><a b="</script><p{_attributes(MAX_ATTRIBUTES + 1)}>',  # escaped twice
        f'<\u212a a="<p{_attributes(MAX_ATTRIBUTES + 1)}>',  # the Kelvin sign is no "k": no tag, no open quote
        f"<\u017fcript><p{_attributes(MAX_ATTRIBUTES + 1)}></script>",  # nor is a long s an "s": no script
    ],
    ids=["names", "slashes", "unquoted", "quoted", "quoted-gt", "quote-in-value", "end-tag", "script", "comment",
         "empty-comment", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "script-end-name",
         "script-escaped-twice", "kelvin-sign", "long-s"],
)  # fmt: skip
def test_a_tag_of_more_attributes_than_the_bound_is_too_many_attributes_unread_by_the_parsers(
    tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libxml2 and lexbor each test an attribute against the tag's others: a tag costs time quadratic in its
    attributes (40,000: 4 to 10 s in each; a raw message holds 700,000). The page is refused before either reads it,
    however the attributes hide from a reading that skips quotes, scripts or comments as a parser would not."""
    calls: list[str] = []
    monkeypatch.setattr("workers.clean.html.load_html", lambda page: calls.append("lxml"))
    monkeypatch.setattr("workers.clean.html.extract_plain_text", lambda page, **_: calls.append(page) or "")
    with pytest.raises(Rejected) as refused:
        extract_html(html_page("<p>An article.</p>" + tag))
    assert (refused.value.code, calls) == ("too_many_attributes", [])


def test_a_real_page_with_a_tag_of_as_many_attributes_as_the_bound_comes_out_as_it_did() -> None:
    page = load_pages(DEFAULT_AEB, 1)[0].html
    body = re.search(r"<body[^>]*>", page)
    assert body is not None
    crowded = page[: body.end()] + f"<span{_attributes(MAX_ATTRIBUTES)}></span>" + page[body.end() :]
    assert extract_html(crowded) == extract_html(page)


def test_a_raw_message_of_one_tag_of_attributes_is_too_many_attributes() -> None:
    """The largest such tag a raw message holds: refused before a parser reads it."""
    html = orjson.loads(attribute_flood(Settings().max_message_bytes))["html"]
    with pytest.raises(Rejected) as refused:
        extract_html(html)
    assert refused.value.code == "too_many_attributes"
