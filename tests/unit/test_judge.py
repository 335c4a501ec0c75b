"""The judge of HTML candidates, and the renderer it reads links from: pure functions on small inputs and on real
pages of the shared evaluation sets."""

from __future__ import annotations

import re

from resiliparse.extract.html2text import extract_plain_text
from trafilatura.utils import load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, load_page, load_pages
from workers.clean.chrome import is_code
from workers.clean.html import FAST, MAIN_CONTENT, _extraction, _judged, _trafilatura, extract_html
from workers.clean.judge import (
    Judgement,
    candidate,
    candidate_lines,
    is_card,
    is_link_line,
    page_text_wins,
    precision_holds,
    prose_bound,
    split_cells,
    stands_alone,
)
from workers.clean.normalize import collapse, word_count
from workers.clean.pagetext import LINE_CAP, article_of, read_page_lines
from workers.clean.render import render_page, render_tree
from workers.clean.stopwords import stoplist

ENGLISH = stoplist("en")
SENTENCE = "The council said on Tuesday that the new bridge would open to traffic in the spring of next year."
NAV = frozenset({"HOME", "BREAKING NEWS", "BUSINESS", "COLUMNISTS"})


def test_a_prose_cell_of_a_layout_table_is_a_paragraph_and_empty_rows_go() -> None:
    assert split_cells(f"| | {SENTENCE} | Advertisement |", ENGLISH) == [SENTENCE, "Advertisement"]
    assert split_cells("|  |  |", ENGLISH) == []
    assert split_cells("| Net | 509,144 | 277,834 |", ENGLISH) == ["| Net | 509,144 | 277,834 |"]
    assert candidate_lines(["| | |", "Share this article", SENTENCE], ENGLISH) == [SENTENCE]


def test_a_row_of_links_is_furniture_and_a_row_of_figures_is_not() -> None:
    assert is_link_line("| HOME | BREAKING NEWS | BUSINESS | COLUMNISTS |", NAV)
    assert is_link_line("HOME \u00b7 BUSINESS \u00b7 Weather", NAV)
    assert not is_link_line("| Net | 509,144 | 277,834 |", NAV)


def test_a_teaser_card_is_no_prose_but_a_paragraph_opening_with_a_link_is() -> None:
    # Lines of real pages: L3S-GN1 df234055's list of the station's services (a linked name, then its summary),
    # which trafilatura's precise pass took for the article; AEB d1c57d78's paragraph opening with a linked name.
    links = frozenset({"Live Traffic Cams", "Horoscopes", "Blue Origin", "Blue Moon"})
    lengths = frozenset(map(len, links))
    for card in (
        "Live Traffic Cams Watch live traffic cameras from around the area.",
        "Horoscopes Check your daily horoscope, sun signs, love horoscopes and much more.",
    ):
        assert is_card(card, links, lengths), card
        assert candidate("precision", [card], ENGLISH, links).judgement.score == 0
    paragraph = "Blue Origin will offer NASA its Blue Moon lander that the company unveiled in May, capable of landing."
    assert not is_card(paragraph, links, lengths)
    assert candidate("precision", [paragraph], ENGLISH, links).judgement.score == word_count(paragraph)


def test_a_navigation_table_scores_below_zero_and_the_article_above() -> None:
    navigation = candidate("precision", ["| HOME | BREAKING NEWS | BUSINESS | COLUMNISTS |"], ENGLISH, NAV)
    article = candidate("default", [SENTENCE] * 3, ENGLISH, NAV)
    assert navigation.judgement.score < 0 < article.judgement.score
    assert not precision_holds(navigation.judgement, article.judgement)
    assert page_text_wins(navigation.judgement, article.judgement)


def test_the_precise_body_holds_unless_another_scores_twice_as_much() -> None:
    precise = Judgement(prose_words=100, link_words=0, flattened_share=0.0)
    assert precision_holds(precise, Judgement(prose_words=200, link_words=0, flattened_share=0.0))
    assert not precision_holds(precise, Judgement(prose_words=201, link_words=0, flattened_share=0.0))


def test_page_text_replaces_a_flattened_layout_table_but_not_a_sound_body() -> None:
    page = Judgement(prose_words=300, link_words=0, flattened_share=0.0)
    assert page_text_wins(Judgement(prose_words=400, link_words=0, flattened_share=0.9), page)
    assert not page_text_wins(Judgement(prose_words=400, link_words=0, flattened_share=0.0), page)
    assert not page_text_wins(Judgement(prose_words=0, link_words=0, flattened_share=0.0), Judgement(0, 5, 0.0))


def test_render_collects_link_texts_and_sees_past_an_unclosed_head_and_an_embed() -> None:
    page = render_page(
        "<html><head><title>T</title><embed src='x'><div><a href='/'>Home  page</a> | <a>News</a></div>"
        f"<p>{SENTENCE}</p>"
    )
    assert page.text.splitlines() == ["Home page | News", SENTENCE]
    assert page.links == frozenset({"Home page", "News"})


def test_render_closes_the_innermost_hidden_element_and_those_open_inside_it() -> None:
    """An end tag closes the innermost hidden element of its name and every one open inside it; that of one no longer
    open is passed over. The renderer counts those open, to spare a scan of them at every end tag (which took time
    quadratic in the page: 32,000 unclosed <iframe>s and as many </p>s, 10 s)."""
    page = render_page(f"<object><iframe>x</object><p>{SENTENCE}</p></iframe><noscript><svg>y</noscript>Seen.")
    assert page.text.splitlines() == [SENTENCE, "Seen."]


def test_render_tree_reads_the_same_lines_and_links_from_a_parsed_page() -> None:
    html = (
        "<html><head><title>T</title><style>p {}</style></head><body><script>var x = 1;</script>"
        "<table><tr><td><a href='/'>Home</a></td><td><a href='/b'>Business <b>news</b></a></td></tr></table>"
        f"<div><p>{SENTENCE}</p><p>Second <em>line</em>.<br>Third line</p><!-- a comment --></div>"
        "<noscript>Enable scripts</noscript><ul><li>One</li><li>Two</li></ul></body></html>"
    )
    expected = render_page(html)
    assert render_tree(load_html(html)) == expected
    assert expected.text.splitlines() == ["Home", "Business news", SENTENCE, "Second line.", "Third line", "One", "Two"]


# An L3S-GN1 page of three pages end to end: after the first one's </html> come a script and the other two, the
# article in them; libxml2 parses them into a second <html> beside the root.
TWO_ROOTS_PAGE = "954487ce-7582-4ba5-8e52-071c2c3b1fa9"


def test_render_tree_reads_a_second_top_level_element_beside_the_root() -> None:
    html = load_page(DEFAULT_L3S, TWO_ROOTS_PAGE).html
    tree = load_html(html)
    assert [element.tag for element in tree.itersiblings()] == ["html"]
    rendered = render_tree(tree)
    assert rendered == render_page(html)
    assert "LAS VEGAS - The Democratic presidential primary is taking on a racial tone" in rendered.text


def test_collapse_treats_as_space_exactly_what_the_pattern_it_replaced_did() -> None:
    spaces = "".join(chr(code) for code in range(0x3100) if re.fullmatch(r"\s", chr(code)))
    assert len(spaces) > 20  # tabs, breaks, file separators, no-break and typographic spaces
    text = f"{spaces}Home{spaces}page\u200b {spaces}"
    assert collapse(text) == re.sub(r"\s+", " ", text).strip() == "Home page\u200b"


def test_the_prose_bound_is_at_least_what_any_candidate_of_the_lines_scores() -> None:
    row = f"| {SENTENCE} {SENTENCE} | {' '.join([SENTENCE] * 7)} |"  # two prose cells, 160 words in all
    for lines in ([row], [row, SENTENCE, "Home", "Share this article"], [" ".join([SENTENCE] * 9)]):
        assert candidate("c", lines, ENGLISH, frozenset()).judgement.score <= prose_bound(lines)
    assert prose_bound([row]) >= LINE_CAP  # the row's cells are capped one by one, not as one line
    assert prose_bound(["Home", "Business news", "Short line."]) == 0
    # Ten words in 19 ASCII characters, and in 13 of mixed scripts ("a" and one Chinese character each a word's
    # worth, the character also the gap): both may read as prose, so both count.
    lines = ["a b c d e f g h i j", "a\u4e2d" * 6 + "a", "a b c d e f g h i"]
    assert [word_count(line) for line in lines] == [10, 10, 9]
    assert prose_bound(lines) == 20


def test_a_precise_body_that_stands_alone_is_what_the_whole_judge_chooses_on_real_pages() -> None:
    pages = load_pages(DEFAULT_AEB, 30) + load_pages(DEFAULT_L3S, 30, L3S_DAMAGED)
    alone = 0
    for page in pages:
        tree = load_html(page.html)
        rendered = render_tree(tree)
        lines = read_page_lines(rendered.text)
        article = candidate("page_text", article_of(lines, False).paragraphs, lines.stopwords, rendered.links)
        everything = candidate("all", lines.body, lines.stopwords, rendered.links)
        bound = prose_bound(lines.body)
        assert article.judgement.score <= bound and everything.judgement.score <= bound, page.id
        body = _trafilatura(
            "precision", _extraction(tree, favor_precision=True, **FAST), None, lines.stopwords, rendered.links
        )
        if stands_alone(body.judgement, bound):
            alone += 1
            assert _judged(page.html, tree, None, lines, rendered.links, body) is body, page.id
    assert 10 < alone < len(pages)  # the shortcut is taken, and not on every page


# An L3S-GN1 page whose <script> opening tag this copy lost: its script shows as text, and resiliparse's main content
# runs it into one line of 109 words that read as English prose to the stopword test ("if", "i", "s", "a").
SCRIPT_AS_TEXT_PAGE = "d9e50b32-13b4-4d19-9e12-17e3b0e2fbda"


def test_script_code_shown_as_text_is_no_candidate_line_and_the_article_stands() -> None:
    html = load_page(DEFAULT_L3S, SCRIPT_AS_TEXT_PAGE).html
    leaked = [line for line in extract_plain_text(html, **MAIN_CONTENT).splitlines() if is_code(line)]
    assert any(word_count(line) >= LINE_CAP // 2 for line in leaked)
    paragraphs = extract_html(html).paragraphs
    assert not any(map(is_code, paragraphs))
    assert any(line.startswith("NEW YORK (AP) - Andrew Morton, author of") for line in paragraphs)


class _CountedLinks(frozenset):
    """A page's link texts that count how often the text of a line's opening is looked up among them."""

    lookups = 0

    def __contains__(self, text: object) -> bool:
        type(self).lookups += 1
        return super().__contains__(text)


def test_a_long_line_looks_up_no_opening_that_is_no_links_length() -> None:
    """AEB d1c57d78's paragraph 500 times over, one line: every opening before a capital was built and looked up
    (time quadratic in the line: a 2 MB paragraph under the raw size limit, over 120 s); now only one as long as
    the text of a link, and none here."""
    links = _CountedLinks({"Blue Origin", "Blue Moon"})
    paragraph = "Blue Origin will offer NASA its Blue Moon lander that the company unveiled in May, capable of landing."
    line = " ".join([paragraph] * 500)
    assert (is_card(line, links, frozenset(map(len, links))), _CountedLinks.lookups) == (False, 0)
