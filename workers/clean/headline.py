"""The article's headline among what a page offers as its title, chosen by the article's own words.

A page names its article in its meta tags (og:title, twitter:title, JSON-LD's headline), its <title> (the headline
with the site's name or section around it, split at ``_SEPARATOR``) and its headings; it also names itself, its
sections and its widgets there ("Winona Daily News", "TV3 > News > National News > Story", "Related News"). A
headline's words are its article's: the candidate whose words the body's opening shares most is the headline, and
none when no candidate shares enough of them (``MIN_SHARED``) or only the site's name does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from lxml.etree import XPath
from lxml.html import HtmlElement

from workers.clean.metadata import site_tags, squeezed

# What a <title> joins its headline to the site's name or section with: "|", a spaced hyphen or dash, ":", "»", ">".
_SEPARATOR = re.compile(r"\s*(?:[|»>:]|\s[-\u2013\u2014]\s)\s*")
_WORD = re.compile(r"\w+")
_META_TITLES = XPath(
    "//meta[@property='og:title' or @name='twitter:title' or @property='twitter:title' or @name='title']/@content"
)
_TITLE = XPath("//title//text()")
_HEADINGS = XPath("//h1 | //h2")
OPENING_WORDS = 200  # the body's words a headline's are looked for in: its first paragraphs
# The least share of its words (stopwords aside) the body's opening must hold for a candidate the page writes in one
# place only to be the headline. Chosen on L3S-GN1's even-numbered pages (sorted by id) over 0, 0.25, 0.34, 0.5 and
# 0.67 (mean token F1 against the headlines 0.703, 0.703, 0.700, 0.694, 0.663; junk titles 30, 29, 27, 27, 24);
# checked on its odd ones (docs: Cleaning).
MIN_SHARED = 0.34
# None of L3S-GN1's 610 annotated headlines has fewer words that are no numbers (titles2).
HEADLINE_MIN_WORDS = 2
SITE_WORD_CHARS = 3  # a site's word this long or longer supports no candidate: a shorter one is in many a host


def choose_headline(
    tree: HtmlElement, offered: Iterable[str | None], paragraphs: list[str], stopwords: frozenset[str], url: str | None
) -> str | None:
    """The candidate (``candidates``; ``offered``: the titles other readings gave) the page writes in the most places
    (its meta tags, the parts of its <title>, its headings), of those the article supports that name enough
    (``_names_enough``) and are not the site's
    name (``metadata.site_tags``: its site-name tags and the URL's host; not its copyright notices, whose scan of
    the page's text costs a millisecond a page); of equals, the one whose
    words the body's opening holds most (those it holds less those it lacks), then the longer. None if none.

    The article supports a candidate when the body's first ``OPENING_WORDS`` hold one of its words (stopwords and
    the site's own words aside: a body names its site too, "(Sports Network) - ...") and, if the page writes it in
    one place only, ``MIN_SHARED`` of them: a headline's words are its article's, though a headline writer's own (a
    pun, a kicker) often are not."""
    opening = set(_opening(paragraphs))
    site = cache(lambda: site_tags(tree, url))  # read only when the opening holds a candidate's word
    offers = candidates(tree, offered)  # a text once for each place that writes it
    found = {text: _words(text) for text in offers}  # each distinct text's words, read once
    places = Counter(" ".join(found[text]) for text in offers)
    best, best_key = None, (0, 0, 0)
    for text, all_words in found.items():
        words = [word for word in all_words if word not in stopwords]
        held = sum(word in opening and not _is_sites(word, site) for word in words)
        key = (places[" ".join(all_words)], 2 * held - len(words), len(text))
        supported = held and (key[0] > 1 or held >= MIN_SHARED * len(words)) and _names_enough(all_words)
        if supported and key > best_key and squeezed(text) not in site():
            best, best_key = text, key
    return best


def candidates(tree: HtmlElement, offered: Iterable[str | None]) -> list[str]:
    """What the page offers as its title, in each place it does: ``offered``, the meta titles, the <title> whole
    and its parts, and the h1 and h2 headings."""
    titles = [" ".join("".join(_TITLE(tree)).split())]
    found = [*offered, *_META_TITLES(tree), *titles, *_parts(titles), *_headings(tree)]
    return [text for text in (" ".join((text or "").split()) for text in found) if text]


def _parts(titles: Iterable[str]) -> Iterator[str]:
    for title in titles:
        yield from (part for part in _SEPARATOR.split(title) if part)


def _headings(tree: HtmlElement) -> Iterator[str]:
    for heading in _HEADINGS(tree):
        yield heading.text_content()


def _names_enough(words: list[str]) -> bool:
    """Whether a text's ``words`` hold ``HEADLINE_MIN_WORDS`` that are no numbers: fewer make a section's or a
    widget's label ("News", "Entertainment"), a date ("January 08, 2008") or a figure ("6.0"), not a headline."""
    return sum(not word.isdigit() for word in words) >= HEADLINE_MIN_WORDS


def _is_sites(word: str, site: Callable[[], str]) -> bool:
    """Whether the site's names (``site``: ``metadata.site_tags``) hold the word: one of ``SITE_WORD_CHARS`` or more
    (a shorter one, "s" or "tv", is inside many a host by chance)."""
    return len(word) >= SITE_WORD_CHARS and word in site()


def _opening(paragraphs: list[str]) -> Iterator[str]:
    """The first ``OPENING_WORDS`` words of the paragraphs, lower-case, the rest unread."""
    count = 0
    for paragraph in paragraphs:
        for word in _WORD.findall(paragraph.lower()):
            if count == OPENING_WORDS:
                return
            count += 1
            yield word


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())
