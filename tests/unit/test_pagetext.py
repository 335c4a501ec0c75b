"""Page text without tags: which lines read as article, and which run of them is the article."""

from __future__ import annotations

import random
import re
import sys
from itertools import chain

import pytest

from bench.clean_eval import DEFAULT_AEB, document_scores, load_page
from tests.conftest import SEED_BODY_END, SEED_BODY_START, SEED_CHROME, SEED_PAGE_ID, seed_record
from workers.clean import pagetext
from workers.clean.chrome import (
    CHROME_LINE,
    END_OF_ARTICLE,
    TIMESTAMP,
    Caseless,
    is_chrome,
    is_code,
    is_end_marker,
    is_timestamp,
)
from workers.clean.normalize import collapse, word_count
from workers.clean.pagetext import (
    _NUMBER,
    FIGURE_WEIGHT,
    ISOLATED_WEIGHT,
    LINE_CAP,
    LONG_LINE_WORDS,
    NON_WORD_MARKS,
    TIMESTAMP_COST,
    _all_lower_alike,
    _collapsed,
    _content_score,
    _count,
    _digit_lines,
    _facts,
    _has_figures,
    _lines_words,
    _lowered,
    _lowers_alike,
    _Prompts,
    _repeats,
    _weigh_isolated,
    _words,
    best_run,
    cut_run,
    ends_sentence,
    is_hard_wrapped,
    is_prose,
    is_word_run,
    prose_lines,
    split_page_text,
    unwrap,
)
from workers.clean.stopwords import full_of_stopwords, lines_full_of_stopwords, stoplist

ENGLISH = stoplist("en")
PARAGRAPHS = [
    "The central bank raised its main interest rate by a quarter of a point on Tuesday, the third rise this year.",
    "Officials said the decision was taken to bring inflation back towards the target within two years.",
    "Analysts had expected the move, and the currency barely changed after the announcement in the afternoon.",
    "The bank will publish its next forecasts in March, when it is also due to review its bond purchases.",
]
MENU = ["Home", "World", "Business", "Markets", "Sport", "Opinion", "Subscribe", "Sign in"]
TEASERS = [
    "Reuters",
    "12 minutes ago",
    "Oil prices edge higher as traders weigh supply risks",
    "LONDON, July 14 (Reuters) - Oil prices rose on Monday as traders weighed the risk of new sanctions on supply "
    "against signs of weaker demand in China, where imports have slowed for the third month in a row, and in "
    "Europe, where refiners have cut runs, while the dollar held near its highest level in a month.",
    "Reuters",
    "29 minutes ago",
    "Kremlin says talks with Washington will continue next week",
    "MOSCOW, July 14 (Reuters) - The Kremlin said on Monday that talks with the United States would continue next "
    "week and that it was waiting for clarity on the timing from the other side, which it said had been slow to "
    "answer, adding that it was ready for them and saw no reason to delay them any further than that.",
]


def page(*blocks: list[str]) -> str:
    return "\n".join(line for block in blocks for line in block)


def test_seed_page_body_ends_before_the_chrome_and_the_teasers() -> None:
    found = split_page_text(seed_record(SEED_PAGE_ID)["text"])
    assert found.title == "Russia says it will help Taliban fight Islamic State in Afghanistan"
    assert found.paragraphs[0].startswith(SEED_BODY_START)
    assert found.paragraphs[-1].endswith(SEED_BODY_END)
    assert not [chrome for chrome in SEED_CHROME if chrome in "\n".join(found.paragraphs)]
    assert found.language == "en"


def test_article_between_menu_and_related_teasers() -> None:
    text = page(["Rates rise again as the bank fights inflation"], MENU, PARAGRAPHS, ["Related Articles"], TEASERS)
    found = split_page_text(text)
    assert found.title == "Rates rise again as the bank fights inflation"
    assert found.paragraphs == PARAGRAPHS


def test_subheading_inside_the_article_stays_and_prompts_go() -> None:
    body = [*PARAGRAPHS[:2], "What comes next", "Share this article", *PARAGRAPHS[2:]]
    found = split_page_text(page(MENU, body, MENU))
    assert found.paragraphs == [*PARAGRAPHS[:2], "What comes next", *PARAGRAPHS[2:]]


def test_article_goes_on_past_an_inline_related_box() -> None:
    body = [*PARAGRAPHS[:2], "Related", "Bank holds rates steady", *PARAGRAPHS[2:]]
    found = split_page_text(page(MENU, body, MENU))
    assert found.paragraphs[0] == PARAGRAPHS[0] and found.paragraphs[-1] == PARAGRAPHS[-1]


def test_comments_after_the_article_are_not_part_of_it() -> None:
    comments = ["Comments", "reader42", "November 19, 2019 at 6:34 am", PARAGRAPHS[1].replace("Officials", "People")]
    found = split_page_text(page(MENU, PARAGRAPHS, comments))
    assert found.paragraphs == PARAGRAPHS


def test_repeated_lines_are_menus_not_paragraphs() -> None:
    scores_page = page(MENU, PARAGRAPHS, MENU, [PARAGRAPHS[0]] * 3)
    assert split_page_text(scores_page).paragraphs == PARAGRAPHS


def test_best_run_is_the_maximum_sum_segment() -> None:
    assert best_run([-1, 5, -2, 6, -10, 4], [False] * 6) == (1, 4)
    assert best_run([-1.0, -2.0], [False, False]) == (0, 0)


def test_text_after_a_closing_heading_counts_for_less() -> None:
    scores = [70.0, -1.0, 40.0]
    assert best_run(scores, [False, False, False]) == (0, 3)
    assert best_run(scores, [False, True, False]) == (0, 1)  # 70 - 30 for the heading + 40 / 2 after it < 70
    assert best_run([70.0, -1.0, 100.0], [False, True, False]) == (0, 3)  # enough after it: an inline box


def test_prose_lines() -> None:
    assert is_prose(PARAGRAPHS[0], ENGLISH)
    assert not is_prose("Oil prices edge higher as traders weigh supply risks", ENGLISH)  # a headline
    assert not is_prose("Apple, Google, Microsoft, Amazon, Meta, Nvidia, Tesla, Netflix, Intel, IBM.", ENGLISH)
    assert is_prose("Die Regierung hat am Dienstag eine neue Reform angekündigt, die von den Gewerkschaften "
                    "abgelehnt wird.", stoplist("de"))  # fmt: skip


def test_words_of_scripts_without_spaces_are_counted_by_characters() -> None:
    assert word_count("Oil prices rose") == 3
    assert word_count("東京都は新しい計画を発表した") == 7


@pytest.mark.parametrize(
    "line",
    ["Related Articles", "More from Reuters", "No comments yet...", "34 Comments", "You may also like",
     "[ 167 comments ]", "\u2014 Related Stories \u2014", "| Read more |"],
)  # fmt: skip
def test_end_markers(line: str) -> None:
    assert is_end_marker(line)


@pytest.mark.parametrize(
    "line", ["Related talks will be held in Geneva next week, officials said.", "Comments by the minister angered"]
)
def test_sentences_are_not_end_markers(line: str) -> None:
    assert not is_end_marker(line)


@pytest.mark.parametrize(
    "line",
    ["Share on Facebook", "Subscribe to our newsletter", "We use cookies to improve your experience", "Advertisement",
     "Related: Bank holds rates steady", "© 2019 Example Media. All rights reserved.",
     "Get our morning newsletter, the day's top stories delivered to your inbox", "Example Media, all rights reserved"],
)  # fmt: skip
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "A worker loads boxes into a truck outside a warehouse in Memphis, Tenn. (AP Photo/John Smith, File)",
        "Traders work on the floor of the New York Stock Exchange, Nov. 18, 2019. REUTERS/Brendan McDermid",
        "Protesters gather outside the parliament building on Monday (Image: Getty)",
        "Photo by Jane Doe/Getty Images",
        "Photograph: Tim Roberts/Getty Images",
        "(Image credit: NASA/JPL-Caltech)",
        "In this Oct. 3, 2018, file photo, the company's logo is displayed at its headquarters in Detroit.",
        "FILE PHOTO: A man walks past the central bank's headquarters in Frankfurt, Germany, March 5, 2019.",
        "This website uses cookies to improve your experience while you navigate through the website.",
        "Necessary cookies are absolutely essential for the website to function properly.",
        "Privacy & Cookies Policy",
        "It is mandatory to procure user consent prior to running these cookies on your website.",
    ],
)
def test_photo_captions_credits_and_cookie_banner_lines_are_chrome(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "A photo by the agency showed the ship listing badly before it sank, the coast guard said.",
        "Reuters reported the figures on Tuesday, citing two people familiar with the matter.",
        "The image of the company suffered after the recall, and its shares fell by a fifth.",
        "The bakery sold 4,000 cookies on Saturday, its owner said, twice as many as a year ago.",
        "Regulators say websites use cookies to follow readers from page to page without asking them.",
    ],
)
def test_sentences_about_photos_images_or_cookies_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


def test_captions_inside_the_article_and_the_cookie_banner_after_it_are_dropped() -> None:
    caption = "Officials leave the central bank after the meeting on Tuesday. (AP Photo/Jane Doe)"
    banner = [
        "Privacy Overview",
        "This website uses cookies to improve your experience while you navigate through the website. Out of "
        "these cookies, the cookies that are categorized as necessary are stored on your browser as they are "
        "essential for the working of basic functionalities of the website.",
    ]
    found = split_page_text(page(MENU, PARAGRAPHS[:2], [caption], PARAGRAPHS[2:], MENU, banner))
    assert found.paragraphs == PARAGRAPHS


@pytest.mark.parametrize(
    "line",
    ["The newsletter, founded in 1990, has 40,000 readers.", "The court reserved its judgment until next month."],
)
def test_sentences_that_name_a_newsletter_or_a_reservation_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 minutes ago", True),
        ("an hour ago", True),
        ("November 19, 2019 at 6:34 am", True),
        ("Updated: Nov. 19, 2019 10:02 a.m. EST", True),
        ("2019-11-19 06:34", True),
        ("March 5, 2024 was the day the talks began.", False),
    ],
)
def test_timestamps(line: str, expected: bool) -> None:
    assert is_timestamp(line) is expected


def test_non_english_page_keeps_its_article_and_language() -> None:
    paragraphs = [
        "Le gouvernement a annoncé mardi une nouvelle réforme des retraites, qui est contestée par les syndicats.",
        "Les syndicats ont appelé à une grève nationale le mois prochain, et ils demandent le retrait du projet.",
        "Le Premier ministre a déclaré qu'il était prêt à discuter, mais pas à renoncer à la réforme cette année.",
    ]
    found = split_page_text(page(["Accueil", "Politique", "Économie", "Se connecter"], paragraphs, ["Commentaires"]))
    assert found.paragraphs == paragraphs
    assert found.language == "fr"


WIRE_COPY = """A surprise 7.5 pct drop in U.S. January
durable goods orders points to a slowdown in capital spending
that could presage lackluster real growth in the U.S. economy
in the first quarter of 1987, economists said.
    With total orders, excluding the volatile defense sector,
falling a record 9.9 pct, economists agreed that the report
painted a bleak picture for the U.S. economy.
    But they stressed that the 1987 tax reform laws may be a
primary factor behind the drop in orders for business capital
goods, since the investment tax credit is gone.
 Reuter
"""


def test_hard_wrapped_wire_copy_is_joined_into_its_paragraphs() -> None:

    assert is_hard_wrapped(WIRE_COPY.splitlines())
    paragraphs = unwrap(WIRE_COPY.splitlines())
    assert paragraphs[0].startswith("A surprise 7.5 pct drop in U.S. January durable goods orders")
    assert paragraphs[0].endswith("economists said.")
    assert paragraphs[1].startswith("With total orders") and paragraphs[2].startswith("But they stressed")
    page = split_page_text(WIRE_COPY)
    assert sum(len(p.split()) for p in page.paragraphs) >= 70  # the whole story, not a fragment of it


def test_lines_of_an_unwrapped_page_stay_apart_unless_a_sentence_runs_on() -> None:

    lines = ["Related Articles", "Reuters", "A sentence that was split", "in two by the scraper.", "Next paragraph."]
    assert unwrap(lines) == [
        "Related Articles",
        "Reuters",
        "A sentence that was split in two by the scraper.",
        "Next paragraph.",
    ]


def _unwrapped_line_by_line(raw_lines: list[str]) -> list[str]:
    """``unwrap``'s rule for text with no fixed wrap width, read line by line as the stage once did: a line going
    on in lower case, not indented, joins the line before it (and the lines joined to that one) when neither is a
    table row and that one ends no sentence."""
    lines: list[str] = []
    for raw in raw_lines:
        line = collapse(raw)
        previous = lines[-1] if lines else ""
        if (
            previous
            and line[:1].islower()
            and not raw[:1].isspace()
            and not ends_sentence(previous)
            and not (previous.startswith("|") or line.startswith("|"))
        ):
            lines[-1] = f"{previous} {line}"
        else:
            lines.append(line)
    return [line for line in lines if line]


def test_unwrapping_visits_only_the_lines_in_lower_case_and_joins_as_line_by_line() -> None:
    """Runs of lines in lower case joined into one, blanks, indents, table rows and sentence ends between them:
    the lines looked at alone join as a line-by-line reading joins them."""
    pieces = ["the", "The", "said.", "rose", "Inc", "| a | b |", "  indented", "\tx", "", " ", "a\u00a0 b", "U.S."]
    seeded = random.Random(80)
    texts = [
        [" ".join(seeded.choice(pieces) for _ in range(seeded.randrange(3))) for _ in range(seeded.randrange(9))]
        for _ in range(5000)
    ]
    unwrapped = [lines for lines in texts if not is_hard_wrapped(lines)]
    assert len(unwrapped) > 4000 and sum(unwrap(lines) != lines for lines in unwrapped) > 1000
    assert [unwrap(lines) for lines in unwrapped] == list(map(_unwrapped_line_by_line, unwrapped))


def test_a_wrap_after_an_abbreviation_joins_only_in_text_wrapped_at_a_fixed_width() -> None:
    wrapped = [
        "The central bank said its trade deficit narrowed in",
        "March and that its exports to the U.S. and the U.K.",
        "rose on the back of a weaker currency and new orders",
        "from car makers, the first rise this year.",
        "    It gave no forecast.",
    ]
    assert unwrap(wrapped) == [" ".join(wrapped[:4]), "It gave no forecast."]
    written = [*wrapped[:3], "from car makers.", "reuter"]  # a line the writer ended, short of the width
    assert unwrap(written) == [" ".join(written[:4]), "reuter"]
    page = ["Markets fell in early trade in the U.S.", "iPhone sales rose again, the company said on Monday."]
    assert unwrap(page) == page  # no fixed width: a full stop ends the line's paragraph


def test_teaser_cards_after_the_article_are_not_part_of_it() -> None:
    """A news site's list of cards after the article (AEB's page e4c6a3b4 has this shape), with no heading to
    close the article: each card is a headline, an author and a one-paragraph summary that reads as prose."""
    cards = [
        ["Why the pivot from trade talks to tariffs is a bust", "Tiana Lowe"],
        ["Ministers still have not delivered the promised plan", "Jenna Ellis"],
        ["Europe is waking up to threats from abroad, experts say", "Joel Gehrke"],
        ["The first election debate was a total shambles", "Tom Rogan"],
    ]
    summaries = [
        "The core of the question has always rested on one thing: whether the government would act on its threats.",
        "People are still waiting for the ministers to deliver on their plan, and the second week of it was no better.",
        "Attempts to gain economic influence in Europe pose major strategic threats to its allies, the experts said.",
        "The first debate of the campaign on Tuesday was a shambles from start to finish, and the audience said so.",
    ]
    teasers = [line for card, summary in zip(cards, summaries, strict=True) for line in (*card, summary)]
    found = split_page_text(page(MENU, PARAGRAPHS, ["Opinion", "Central banks", "Inflation"], teasers))
    assert found.paragraphs == PARAGRAPHS


# An AEB page (autoracing.com.br, 2019) whose article is two sentences and a standings table, rendered one cell per
# line ("Pos.", "Piloto", ..., "1", "Kyle Busch", "5040", ...): before, the cells cost as a menu's labels do and a
# teaser paragraph below the table was published as the article (F1 0).
STANDINGS_TABLE_PAGE = "11ea381ad92b5448cf66eae62f52ac565361a244c8881615fc6a7bb523cc0c32"
STANDINGS = ["Pos.", "Driver", "Points", "Wins"] + [
    cell for row in range(1, 9) for cell in (str(row), f"Driver {chr(64 + row)}", str(5040 - 37 * row), str(row % 3))
]
CALENDAR = ["January 2008", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] + [str(day) for day in range(1, 32)]


def test_a_table_rendered_one_cell_per_line_is_the_article_s() -> None:
    page_text = load_page(DEFAULT_AEB, STANDINGS_TABLE_PAGE)
    found = "\n".join(split_page_text(page_text.text).paragraphs)
    precision, recall = document_scores(page_text.truth, found)
    assert precision > 0.6
    assert recall > 0.9
    assert "Kyle Busch\n5040" in found


def test_cells_of_a_table_join_the_article_and_a_calendar_s_do_not() -> None:
    intro = "The standings after the last race of the season, with the points, wins and places of every driver."
    found = split_page_text(page(MENU, [intro], STANDINGS, MENU, CALENDAR)).paragraphs
    assert found == [intro, *STANDINGS]
    widget = split_page_text(page(MENU, PARAGRAPHS, CALENDAR)).paragraphs
    assert widget == PARAGRAPHS
    html_candidate = split_page_text(page(MENU, [intro], STANDINGS, MENU, CALENDAR), cell_tables=False).paragraphs
    assert html_candidate == [intro]


TRICKY_WORDS = [
    "Net 509,144 vs 277,834.",
    "café \u00a0naïve_x 12,5 \u2013 «oui»",
    "x\x1cy",
    "中文 abc",
    "a\ud800b c",
    "It\u2019s \u201cdone\u201d \u2013 caf\u00e9\u2026 \u00abok\u00bb \u2022 \u00a9\u00a02019 \u2018x\u2014y\u2019",
    "\u2019\u2019 \u2014",
    "",
    "  ",
]


@pytest.mark.parametrize("text", TRICKY_WORDS)
def test_a_line_s_words_are_its_word_pattern_matches(text: str) -> None:
    assert _words(text) == re.findall(r"\w+", text)


def test_the_marks_made_spaces_before_splitting_are_no_word_characters() -> None:
    assert all(re.fullmatch(r"\W", mark) for mark in NON_WORD_MARKS)


def test_lines_translated_together_have_the_words_of_each_line_alone() -> None:
    assert _lines_words(TRICKY_WORDS) == [re.findall(r"\w+", line) for line in TRICKY_WORDS]
    assert _lines_words(["one\ntwo", "three"]) == [["one", "two"], ["three"]]  # a line break inside a line


CASE_VARIANTS = [str, str.upper, str.title, str.swapcase]
# Lines near the hints of ``_content_score`` (a date or row of figures without a digit, with "ago", "day" or a
# number word in or out of a word; folding characters that only the case-insensitive pattern reads as letters).
HINTED_LINES = [*MENU, *TEASERS, *PARAGRAPHS, *TRICKY_WORDS, "a minute ago", "An hour ago", "Posted 5 mins ago",
                "yesterday", "Today", "Sunday", "Updated: today", "Nov. 19, 2019", "19 Nov 2019", "12:30", "2019-11-19",
                "Net one dlr vs nil", "Shr one vs two", "someone often done", "one", "Gain 12 vs 9", "1,2", "12.5a 7",
                "ten-two", "won_one two", "\u017fix to one", "\u0131ki one two", "ye\u017fterday", "tod\u212ay",
                "Record date nine vs ten", "Shr 23 cts vs 18 cts", "Net 509,144 vs 277,834", "a day ago", "day one",
                "\u0661\u0662 and \u0663", "MORE ON TEN", "seven eight"]  # fmt: skip


def _unhinted_score(line: str) -> float | None:
    """``_content_score`` as the predicates read it, every pattern run (the reading before its hints)."""
    words = _words(line)
    count = _count(line, words)
    if is_prose(line, ENGLISH, words, count):
        return float(min(count, LINE_CAP))
    if is_timestamp(line):
        return -TIMESTAMP_COST
    return FIGURE_WEIGHT * count if _has_figures(line, count) else None


def test_a_line_s_hinted_score_is_its_score_with_every_pattern_run() -> None:
    lines = list(dict.fromkeys(variant(line) for line in HINTED_LINES for variant in CASE_VARIANTS))
    facts = _facts(lines, *_lowered(lines))
    scores = [
        _content_score(line, fact, ENGLISH, _count(line, fact[1])) for line, fact in zip(lines, facts, strict=True)
    ]
    assert scores == list(map(_unhinted_score, lines))


def test_the_prose_s_words_read_line_by_line_are_those_of_its_text_in_lower_case() -> None:
    # The page's stoplist test once read the words of its prose joined and made lower case; it now reads each
    # prose line's lower-case words: the same words, a final sigma or a dotted capital I at a line's edge too.
    lines = [f"{line} \u0130stanbul \u039f\u0394\u039f\u03a3 x {'Word ' * 20}\u03a3" for line in TRICKY_WORDS]
    lines += [*PARAGRAPHS, PARAGRAPHS[0], "\u03a3\u039f\u03a3 " * 30, "short"]
    joined = " ".join(prose_lines(lines)).lower()
    lowered = _lowered(lines)[0]  # as page_lines reads them
    assert [word for line in prose_lines(lines) for word in lowered[line]] == re.findall(r"\w+", joined)


def _weighed_reading_every_line(lines: list[str], scores: list[float]) -> list[float]:
    """``_weigh_isolated`` as it read every line's sentence end before (the code it replaced)."""
    padded = [True, *[score <= 0 and not ends_sentence(line) for line, score in zip(lines, scores, strict=True)], True]
    return [
        score * ISOLATED_WEIGHT if score > 0 and padded[i] and padded[i + 2] else score
        for i, score in enumerate(scores)
    ]


@pytest.mark.parametrize(
    "scores",
    [[], [5.0], [-1.0], [0.0, 5.0, 0.0], [5.0, 5.0], [-1.0, 5.0, -1.0, 5.0, -1.0], [5.0, -1.0, 5.0], [-3.0, 0.0, -2.0],
     [12.0, -2.5, -2.5, 30.0, -20.0, 4.0, 4.0, -1.0]],
)  # fmt: skip
def test_isolated_lines_are_weighed_as_when_every_line_s_end_was_read(scores: list[float]) -> None:
    for ends in ("Menu", "It rose."):  # neighbours that end no sentence, and ones that do
        lines = [f"Line {index}" if index % 2 else ends for index in range(len(scores))]
        assert _weigh_isolated(lines, scores) == _weighed_reading_every_line(lines, scores)


def test_a_character_s_lower_case_is_one_word_character_exactly_when_it_is_one() -> None:
    # What ``_lowers_alike`` rests on, for every code point: a line of such characters (no capital sigma, whose
    # lower case depends on its neighbours) has the lower-case words of its words.
    word = re.compile(r"\w")
    longer = [chr(point) for point in range(sys.maxunicode + 1) if len(chr(point).lower()) != 1]
    assert longer == ["\u0130"]
    for char in map(chr, range(sys.maxunicode + 1)):
        assert (word.match(char) is None) is (word.match(char.lower()) is None), hex(ord(char))


LOWER_CASE_LINES = [*TRICKY_WORDS, *HINTED_LINES, "\u0391\u03a3'\u0391 \u039f\u0394\u039f\u03a3", "\u0130stanbul'da",
                    "\u212aelvin \u2160 \u24b6", "Stra\u00dfe \u0178 \u1e9e", "\u03a3\u039f\u03a3.\u03a3"]  # fmt: skip


def test_a_line_s_facts_hold_its_words_each_made_lower_case() -> None:
    lines = list(dict.fromkeys(variant(line) for line in LOWER_CASE_LINES for variant in CASE_VARIANTS))
    facts = list(_facts(lines, *_lowered(lines)))
    assert [words for _, words, _ in facts] == [[word.lower() for word in _words(line)] for line in lines]
    assert [lower for lower, _, _ in facts] == [line.lower() for line in lines]


def test_lines_read_alike_together_as_each_alone() -> None:
    """A page is read as lowering alike (``_all_lower_alike``) exactly when each of its lines is (``_lowers_alike``):
    pages of every code point but the surrogates, with and without each character that lowers otherwise."""
    points = [chr(point) for point in range(sys.maxunicode + 1) if not 0xD800 <= point <= 0xDFFF]
    plain = [
        "".join(points[at : at + 64]).replace("\u0130", "").replace("\u03a3", "") for at in range(0, len(points), 64)
    ]
    pages = [
        plain,
        ["Oil prices rose"],
        *([*plain[:50], changer] for changer in ("\u0130stanbul", "\u039f\u0394\u039f\u03a3")),
    ]
    decisions = [all(_lowers_alike(line, line.lower()) for line in page) for page in pages]
    assert decisions == [True, True, False, False]
    assert list(map(_all_lower_alike, pages)) == decisions


def test_prompts_and_end_markers_read_from_the_line_in_lower_case_as_from_the_line() -> None:
    """The prompt tests run on the page's lines made lower case once (``_Prompts`` reading ``_lowered``; a call
    ``is_chrome(line, line.lower())`` would run as ``is_chrome(line)`` does and prove nothing), end markers on the
    line in lower case given."""
    markers = ["\u2014 Related Stories \u2014", "[ 167 Comments ]", "Read more: the rest", "Share on Facebook"]
    lines = [variant(line) for line in [*LOWER_CASE_LINES, *markers] for variant in CASE_VARIANTS]
    prompts, ends = [is_chrome(line) for line in lines], [is_end_marker(line) for line in lines]
    assert 0 < sum(prompts) < len(lines) and 0 < sum(ends) < len(lines)
    read = _Prompts(_lowered(lines)[1])
    assert [read[line] for line in lines] == prompts
    assert [is_end_marker(line, line.lower()) for line in lines] == ends


def test_lines_counted_until_full_of_stopwords_read_as_their_words_together() -> None:
    """Lines of prose, of names and empty ones, in every order and number: the count stopped once it is enough
    decides as the words read together."""
    kinds = [["the", "bank", "said", "it", "would"], ["oil", "prices", "rose"], ["a"], [], ["is", "of"], ["x"] * 9]
    seeded = random.Random(80)
    pages = [[seeded.choice(kinds) for _ in range(seeded.randrange(6))] for _ in range(3000)]
    decisions = [full_of_stopwords(chain.from_iterable(lines), sum(map(len, lines)), ENGLISH) for lines in pages]
    assert 0 < sum(decisions) < len(pages)
    assert [lines_full_of_stopwords(lines, ENGLISH) for lines in pages] == decisions
    assert lines_full_of_stopwords([["oil"]], frozenset())  # no stoplist: nothing to count


def test_the_lines_seen_before_are_each_occurrence_after_the_first() -> None:
    lines = ["a", "b", "a", "c", "b", "a", "", ""]
    assert _repeats(lines, list(dict.fromkeys(lines))) == [2, 4, 5, 7]
    assert _repeats(["a", "b"], ["a", "b"]) == []


def test_lines_read_together_hold_a_digit_where_each_alone_does() -> None:
    lines = [*HINTED_LINES, "one\n2", "x"]
    assert _digit_lines(lines) == [any(char in "0123456789" for char in line) for line in lines]


@pytest.mark.parametrize("caseless", [CHROME_LINE, END_OF_ARTICLE, TIMESTAMP, _NUMBER])
def test_a_caseless_pattern_s_twin_matches_where_the_pattern_does(caseless: Caseless) -> None:
    lines = [*MENU, *TEASERS, *PARAGRAPHS, "Share on Facebook", "34 Comments", "Updated: Nov. 19, 2019 10:02 am EST",
             "\u017fhare", "Related \u017ftories", "\u017fix to one", "Read more: \u212aelvin", "Posted 5 mins ago",
             "Net one dlr vs nil", "Copyright 2019 Example", "\u00a9 2019", "İyi günler 12 Ekim 2019"]  # fmt: skip
    for line in (variant(line) for line in lines for variant in CASE_VARIANTS):
        assert (caseless.match(line) is None) is (caseless.pattern.match(line) is None), line
        assert (caseless.search(line) is None) is (caseless.pattern.search(line) is None), line
        assert len(caseless.findall(line)) == len(caseless.pattern.findall(line)), line


def test_a_caseless_pattern_with_a_capital_letter_is_refused() -> None:
    with pytest.raises(ValueError, match="lower case"):
        Caseless.compile(r"\bReuters\b")


@pytest.mark.parametrize(
    "raw_lines",
    [[" Oil prices  rose ", "\t", "", " x\u00a0\u2003y \x1f", "z "], [" a ", " b"], ["a\nb", "c"], ["  ", " "], [],
     ["\u3000a\u3000"], ["Oil prices rose", "on Monday."]],
)  # fmt: skip
def test_lines_collapsed_together_are_each_line_collapsed(raw_lines: list[str]) -> None:
    assert _collapsed(raw_lines) == [collapse(line) for line in raw_lines]


@pytest.mark.parametrize(
    "line",
    [
        "function writeDate() { var d = new Date(); document.write(d.getFullYear()); }",
        'if ((i >= sLength) || (s.charAt(i) != "@")) { return false; } else { i += 2; }',
        "#header .menu a { color: #336699; font-size: 11px; }",
        "var tip = {width: 300, offset: 12}; tip.show = function () { return true }",
    ],
)
def test_script_and_style_code_is_chrome(line: str) -> None:
    assert is_code(line)
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "The plan covers three towns: Aviemore; Largs, on the coast; and Millport, on Cumbrae.",
        "AEDT = Australian Eastern Daylight Time, which is 11 hours ahead of UTC.",
        "Nice try ;-} but the figures say otherwise, and the council knows it.",
        "Welcome back, {* welcomeName *}! Your saved articles are below.",
        "The set {1, 2, 3} has three members, the teacher said.",
        'The app sends its settings as {"tracking": false, "ads": true}; Apple said it would stop.',
        "Set theory writes it as A = {1, 2, 3}, and the proof follows from there.",
        "Revenue rose 5% (see table {1}); analysts had expected less.",
    ],
)
def test_prose_with_semicolons_equals_or_a_brace_is_not_code(line: str) -> None:
    assert not is_code(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Our newsletter\nis free to read; subscribe", False),  # the prompt must follow the word on its line
        ("Weekly newsletter\nThe newsletter: sign\nup now", True),  # on a later line of the word, as before
        ("newsletter " * 200_000, False),  # read once: from each word to the line's end, it took hours
    ],
    ids=["next-line", "later-line", "flood"],
)
def test_a_newsletter_prompt_is_the_word_then_a_prompt_on_its_line(line: str, expected: bool) -> None:
    assert is_chrome(line) is expected


def test_a_run_of_lines_in_lower_case_is_joined_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each line going on in lower case joins the line before it; whether that one ends a sentence is read on the
    last line joined, not on the whole joined line, which each join copied (a million lines of "a": 16 s of CPU)."""
    asked: list[int] = []
    monkeypatch.setattr(pagetext, "ends_sentence", lambda line: asked.append(len(line)) or ends_sentence(line))
    lines = ["Opening words", *["and so on"] * 10_000, "", "Next paragraph."]
    assert unwrap(lines) == [" ".join(lines[:-2]), "Next paragraph."]
    assert max(asked) == len("Opening words")


def test_a_paragraph_wrapped_at_a_fixed_width_is_joined_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each wrapped line joins the line before it; whether that one ends a sentence is read on the last line joined,
    not on the whole joined line, which each join copied (a paragraph of 2 MiB: 6 s of CPU)."""
    asked: list[int] = []
    monkeypatch.setattr(pagetext, "ends_sentence", lambda line: asked.append(len(line)) or ends_sentence(line))
    line = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    lines = [line] * 1_000 + ["", "Next paragraph."]
    assert unwrap(lines) == [" ".join(lines[:-2]), "Next paragraph."]
    assert max(asked) == len(line)


def test_a_run_of_one_word_repeated_is_read_as_no_line_of_the_page() -> None:
    """Read as prose, the run opening a page was its title, and its words swayed the language guess."""
    article = (
        "Officials in Sacramento said on Tuesday that the state budget gap had widened again this year, and that the "
        "governor would send a revised plan to the legislature before the end of the month."
    )
    page = split_page_text("\n".join(["de"] * 100 + ["Budget gap widens in Sacramento", article]))
    assert (page.title, page.paragraphs, page.language) == ("Budget gap widens in Sacramento", [article], "en")


def test_a_run_is_told_from_its_first_words_as_from_all_of_them() -> None:
    """``is_word_run`` reads a line's first words first: the same answer as the set of all its words, for lines of
    every length around the bound and vocabularies around its square root, the new words first, last or anywhere."""
    chance = random.Random(41)
    lines = [[str(chance.randrange(size)) for _ in range(count)] for count in range(30, 130) for size in range(1, 16)]
    lines += [sorted(line) for line in lines] + [sorted(line, reverse=True) for line in lines]
    runs = [len(words) >= LONG_LINE_WORDS and len(set(words)) ** 2 < len(words) for words in lines]
    assert 0 < sum(runs) < len(lines)
    assert list(map(is_word_run, lines)) == runs


GAP = "Budget gap widens in Sacramento again, officials said."  # 9 distinct words: a run's few words are 6 at most


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (f"{GAP} " + "a b " * 100, GAP),
        ("A B " * 100 + GAP, GAP),
        ("Gap. " + "a " * 100 + GAP, GAP),  # a few words, a sentence of them too, by the run are read as of the run
        (f"{GAP} " + "a " * 200 + GAP, ""),  # the run in the middle: the line is dropped, as it was
        ("a b " * 100, ""),
    ],
)
def test_a_run_is_cut_from_the_ends_of_its_line_and_a_line_still_a_run_is_dropped(line: str, kept: str) -> None:
    assert cut_run(line) == kept
