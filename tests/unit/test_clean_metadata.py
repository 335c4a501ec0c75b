"""The page metadata the HTML path reads: the same title, author and day as trafilatura's full metadata pass."""

from __future__ import annotations

from trafilatura.metadata import extract_author, extract_metadata
from trafilatura.utils import load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_pages
from workers.clean import CleanOptions, clean_article
from workers.clean.metadata import may_name_author, page_metadata
from workers.records import Origin, RawArticle

PAGE = (
    "<html><head><title>Bridge opens - Town News</title><meta name='author' content='jdoe'>"
    "<meta property='article:published_time' content='2019-03-04T10:00:00Z'></head><body>"
    "<h1>Bridge opens to traffic</h1><p class='byline'>By Jane Doe</p>"
    "<p>The council said on Tuesday that the new bridge would open to traffic in the spring.</p></body></html>"
)


def test_page_metadata_matches_trafilatura_and_leaves_the_tree_alone() -> None:
    tree = load_html(PAGE)
    before = tree.xpath("count(//*)")
    found = page_metadata(tree)
    full = extract_metadata(load_html(PAGE))
    assert (found.title, found.author, found.day) == (full.title, full.author, full.date)
    assert (found.title, found.author, found.day) == ("Bridge opens to traffic", "Jane Doe", "2019-03-04")
    assert tree.xpath("count(//*)") == before


def test_the_byline_scan_never_skips_a_page_where_trafilatura_finds_an_author() -> None:
    pages = load_pages(DEFAULT_AEB, 60) + load_pages(DEFAULT_L3S, 120, L3S_DAMAGED)
    trees = [tree for tree in (load_html(page.html) for page in pages) if tree is not None]
    authors = [extract_author(tree) for tree in trees]
    assert sum(map(bool, authors)) > 50  # the sample holds bylines to miss
    assert not any(author and not may_name_author(tree) for tree, author in zip(trees, authors, strict=True))
    assert not all(map(may_name_author, trees))  # and pages the scan spares


def test_the_byline_scan_sees_each_kind_of_element_trafilatura_tests() -> None:
    for element in (
        "<span class='post-author'>",
        "<div id='Author1'>",
        "<p class='byl'>",
        "<a rel='author'>",
        "<span itemprop='author name'>",
        "<div data-component='TextByline'>",
        "<div data-testid='AuthorCard'>",
        "<author>",
    ):
        assert may_name_author(load_html(f"<html><body>{element}Jane Doe</body></html>")), element
    assert not may_name_author(load_html("<html><body><p class='story'>By Jane Doe</p></body></html>"))


def test_without_the_day_search_title_and_author_stay_and_the_producers_time_is_published() -> None:
    found = page_metadata(load_html(PAGE), with_day=False)
    assert (found.title, found.author, found.day) == ("Bridge opens to traffic", "Jane Doe", None)
    origin = Origin(topic="t", partition=0, offset=0, timestamp_ms=None)
    base = {"id": "a1", "url": None, "source": "Test", "title": None, "html": PAGE}
    timed = clean_article(RawArticle(**base, published_at="2019-03-05T08:00:00Z"), origin, CleanOptions(1))
    untimed = clean_article(RawArticle(**base, published_at=None), origin, CleanOptions(1))
    assert (timed["published_at"], untimed["published_at"]) == ("2019-03-05T08:00:00Z", "2019-03-04T00:00:00Z")
    assert {**timed, "published_at": None} == {**untimed, "published_at": None}
