"""The page metadata the HTML path reads: the same title, author and day as trafilatura's full metadata pass."""

from __future__ import annotations

from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from workers.clean.metadata import page_metadata

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
