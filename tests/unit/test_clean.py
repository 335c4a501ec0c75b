"""The clean stage on the seed page, on HTML, and on what is not an article."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import py3langid
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, DEFAULT_REUTERS, load_reuters
from tests.conftest import COPY_URL, SEED_BODY_END, SEED_BODY_START, SEED_CHROME, SEED_PAGE_ID, raw, seed_record
from tests.languages import ARTICLES, CHINESE
from workers import codec
from workers.clean import CleanOptions, clean_article, detect_language
from workers.clean.html import published_day
from workers.clean.language import LANGUAGE_SAMPLE_CHARS, _identifier
from workers.clean.normalize import (
    _MOJIBAKE_HINT,
    _may_hold_mojibake,
    content_hash,
    join_paragraphs,
    normalize_line,
    word_count,
    words_up_to,
)
from workers.clean.pagetext import LONG_LINE_WORDS, looks_like_headline, split_page_text
from workers.intake import read_raw
from workers.records import Origin, Rejected

FILLER = "and it goes on for a while so that it reads as one of the paragraphs of the article."
ORIGIN = Origin(topic="t", partition=0, offset=0, timestamp_ms=None)
OPTIONS = CleanOptions()


def test_seed_page_keeps_the_article_and_drops_the_chrome() -> None:
    page = seed_record(SEED_PAGE_ID)["text"]
    article = clean_article(raw(text=page), ORIGIN, OPTIONS)
    assert article["title"] == "Russia says it will help Taliban fight Islamic State in Afghanistan"
    assert article["text"].startswith(SEED_BODY_START)
    assert article["text"].endswith(SEED_BODY_END)
    for chrome in SEED_CHROME:
        assert chrome not in article["text"]
    assert article["text"].count("\n\n") == 12  # 13 paragraphs, a blank line between each
    assert article["language"] == "en"
    assert article["input_kind"] == "text"


def test_html_copy_loses_navigation_share_related_and_comments() -> None:
    record = seed_record(COPY_URL)
    article = clean_article(raw(html=record["html"]), ORIGIN, OPTIONS)
    assert article["title"] == "Russia pledges help to Taliban against Islamic State"
    assert article["text"].startswith("Zamir Kabulov, Russia's former ambassador")
    for chrome in ("Share on Facebook", "Related Stories", "Reader123", "Subscribe", "All rights reserved"):
        assert chrome not in article["text"]
    assert article["wire"]["agency"] == "Reuters"
    assert article["wire"]["city"] == "MOSCOW"
    assert article["wire"]["trailer"] == "(Reporting by the Moscow newsroom; Editing by Mark Trevelyan)"
    assert "Reporting by" not in article["text"]


def test_html_page_fills_the_publication_time_from_its_own_meta_time_when_the_record_has_none() -> None:
    record = seed_record(COPY_URL)  # <meta property="article:published_time" content="2025-07-14T11:20:00+00:00">
    article = clean_article(raw(html=record["html"]), ORIGIN, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == ("2025-07-14T11:20:00Z", "time")
    codec.check("clean", article)
    given = clean_article(raw(html=record["html"], published_at="2025-07-15T10:00:00+02:00"), ORIGIN, OPTIONS)
    assert (given["published_at"], given["published_precision"]) == ("2025-07-15T08:00:00Z", "time")  # the producer's


def _budget_page(meta: str) -> str:
    """review57's page: a meta time of day with its zone, and no other date."""
    paragraphs = "".join(
        f"<p>Officials in Sacramento said the budget gap had widened, part {n}, {FILLER}</p>" for n in range(4)
    )
    return (
        f"<html lang='en'><head><title>Budget gap widens</title>{meta}</head>"
        f"<body><article><h1>Budget gap widens</h1>{paragraphs}</article></body></html>"
    )


def test_a_pages_meta_time_is_published_in_utc_not_as_its_days_midnight() -> None:
    """review57: "2026-12-05T22:30:00-08:00" came out as "2026-12-05T00:00:00Z", 30.5 hours before the instant."""
    page = _budget_page("<meta property='article:published_time' content='2026-12-05T22:30:00-08:00'>")
    article = clean_article(raw(html=page), ORIGIN, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == ("2026-12-06T06:30:00Z", "time")
    codec.check("clean", article)


def test_a_pages_day_alone_says_so() -> None:
    """A day without a time of day (htmldate's day, a meta date with no zone) is midnight UTC, precision day."""
    page = _budget_page("<meta property='article:published_time' content='2026-12-05T22:30:00'>")  # no zone
    article = clean_article(raw(html=page), ORIGIN, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == ("2026-12-05T00:00:00Z", "day")
    codec.check("clean", article)


def test_a_meta_time_after_the_message_and_one_day_gives_way_to_the_day() -> None:
    """Sent at 2025-07-14T12:00Z: the day 2025-07-15 is within the bound, its 23:00 at -08:00 (07:00Z on the 16th)
    is not."""
    page = _budget_page("<meta property='article:published_time' content='2025-07-15T23:00:00-08:00'>")
    article = clean_article(raw(html=page), SENT, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == ("2025-07-15T00:00:00Z", "day")


def test_a_producers_day_alone_is_a_day_not_a_dead_letter() -> None:
    """review57: a producer's published_at "2026-12-06" sent the whole article to the dead-letter topic."""
    text = seed_record(SEED_PAGE_ID)["text"]
    payload = json.dumps({"id": "d1", "source": "S", "published_at": "2026-12-06", "text": text}).encode()
    article = clean_article(read_raw(payload, 1_000_000), ORIGIN, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == ("2026-12-06T00:00:00Z", "day")
    codec.check("clean", article)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-12-06T10:00:00+02:00", "2026-12-06T08:00:00Z"),
        ("2026-12-06T15:30:00+05:30", "2026-12-06T10:00:00Z"),
        ("2026-12-06t09:00:00z", "2026-12-06T09:00:00Z"),
        ("2026-12-06T23:59:60Z", "2026-12-06T23:59:59Z"),
        ("2026-12-06T10:00:00.123456789Z", "2026-12-06T10:00:00.123Z"),
        ("2026-12-06T10:00:00-00:00", "2026-12-06T10:00:00Z"),
    ],
)
def test_a_producers_time_is_published_in_utc(given: str, expected: str) -> None:
    """review57's producer times passed through unchanged; the schema takes each of them."""
    text = seed_record(SEED_PAGE_ID)["text"]
    payload = json.dumps({"id": "t1", "source": "S", "published_at": given, "text": text}).encode()
    article = clean_article(read_raw(payload, 1_000_000), ORIGIN, OPTIONS)
    assert (article["published_at"], article["published_precision"]) == (expected, "time")


FUTURE = "2099-01-01T00:00:00Z"
SENT = Origin(
    topic="t", partition=0, offset=0, timestamp_ms=round(datetime(2025, 7, 14, 12, tzinfo=UTC).timestamp() * 1e3)
)


def test_a_producers_time_after_the_message_and_one_day_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """A published_at in the future is not a fact: not published, an html page's own day searched instead."""
    page, text = seed_record(COPY_URL)["html"], seed_record(SEED_PAGE_ID)["text"]
    with caplog.at_level(logging.WARNING, logger="workers.clean"):
        from_page = clean_article(raw(id="page", html=page, published_at=FUTURE), SENT, OPTIONS)
        from_text = clean_article(raw(id="text", text=text, published_at=FUTURE), SENT, OPTIONS)
    assert from_page["published_at"] == "2025-07-14T11:20:00Z"  # the page's own, as when the producer gives none
    assert from_text["published_at"] is None
    codec.check("clean", from_page)
    codec.check("clean", from_text)
    assert [(r.article_id, FUTURE in r.getMessage()) for r in caplog.records] == [("page", True), ("text", True)]
    within, after = "2025-07-15T11:59:00Z", "2025-07-15T12:01:00Z"  # the message's time and one day: 12:00
    assert clean_article(raw(text=text, published_at=within), SENT, OPTIONS)["published_at"] == within
    assert clean_article(raw(text=text, published_at=after), SENT, OPTIONS)["published_at"] is None
    offline = clean_article(raw(text=text, published_at=FUTURE), ORIGIN, OPTIONS)  # no message time: now
    assert offline["published_at"] is None


def test_html_page_without_a_date_leaves_the_publication_time_empty() -> None:
    paragraphs = "".join(f"<p>Paragraph {n} of the story, {FILLER}</p>" for n in range(4))
    page = f"<html><head><title>Rates rise again</title></head><body><article>{paragraphs}</article></body></html>"
    article = clean_article(raw(html=page), ORIGIN, OPTIONS)
    assert article["published_at"] is None
    codec.check("clean", article)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2019-11-19", "2019-11-19T00:00:00Z"),
        ("20191119", "2019-11-19T00:00:00Z"),  # as date.fromisoformat reads a day
        ("0001-01-01", "0001-01-01T00:00:00Z"),
        ("9999-12-31", "9999-12-31T00:00:00Z"),
        ("2019-11-19T10:00:00Z", None),  # a time, not a day: the meta tags' time is read elsewhere
        (None, None),
        ("", None),
        ("19/11/2019", None),
        ("2019-02-30", None),
    ],
)
def test_published_day_is_an_rfc_3339_time_or_nothing(day: str | None, expected: str | None) -> None:
    assert published_day(day) == expected


def test_given_title_wins_over_the_extracted_one() -> None:
    page = seed_record(SEED_PAGE_ID)["text"]
    assert clean_article(raw(text=page, title="  Given\u00a0title "), ORIGIN, OPTIONS)["title"] == "Given title"


# Script code shown as the page's text, as long and as full of English stopwords as prose ("for", "i", "a", "if"):
# published as the article before script code was furniture.
SCRIPT_STATEMENT = "for (var i = 0; i < a.length; i++) { if (a[i] == s) { return true; } else { i += 1; } }"
SCRIPT_CODE = " ".join([SCRIPT_STATEMENT] * 4)


@pytest.mark.parametrize(
    ("page", "code"),
    [
        ("", "empty_body"),
        (" \n\t", "empty_body"),
        ("Home\nNews\nSport\nSubscribe\nSign in", "no_article"),
        ("<html><body><nav><a href='/'>Home</a></nav><p>404 Not Found</p></body></html>", "no_article"),
    ],
)
def test_pages_without_an_article_are_dead_letters_with_their_own_code(page: str, code: str) -> None:
    kind = {"html": page} if page.startswith("<") else {"text": page}
    with pytest.raises(Rejected) as rejected:
        clean_article(raw(**kind), ORIGIN, OPTIONS)
    assert rejected.value.code == code


@pytest.mark.parametrize(
    ("kind", "page"),
    [
        ("html", f"<html><head><title>News</title></head><body><p>{SCRIPT_CODE}</p></body></html>"),
        ("text", SCRIPT_CODE),
        ("body", SCRIPT_CODE),
    ],
)
def test_a_page_of_script_code_alone_is_no_article(kind: str, page: str) -> None:
    with pytest.raises(Rejected) as rejected:
        clean_article(raw(**{kind: page}), ORIGIN, OPTIONS)
    assert rejected.value.code == "no_article"


def test_normalize_line_fixes_mojibake_invisible_characters_and_spaces() -> None:
    assert normalize_line("CafÃ©\u200b  au\u00a0lait\x07 ") == "Café au lait"
    assert normalize_line("\u201cquoted\u201d") == '"quoted"'


def test_text_without_the_byte_of_a_mojibake_lead_skips_the_search_and_holds_no_mojibake() -> None:
    """Every lead character ``_MOJIBAKE_HINT`` reads is written in UTF-8 with the byte 0xC3 that the cheap test
    looks for: text the test passes by holds no match of the pattern."""
    leads = [chr(code) for code in range(0x80, 0x250) if _MOJIBAKE_HINT.match(chr(code) + "\u20ac")]
    assert leads == [chr(code) for code in range(0xC2, 0xF5)]
    assert all(_may_hold_mojibake(f"x{lead}y") for lead in leads)
    assert not _may_hold_mojibake("It\u2019s a \u201cdeal\u201d \u2014 \u00a0caf\u0117 \ud800")
    assert normalize_line("\u201cCaf\u00c3\u00a9\u201d") == '"Caf\u00e9"'  # found, repaired as before


def test_paragraphs_are_joined_by_one_blank_line() -> None:
    assert join_paragraphs([" one ", "", "two\u200b"]) == "one\n\ntwo"


def test_content_hash_is_stable_and_128_bits() -> None:
    assert content_hash("abc") == content_hash("abc") != content_hash("abd")
    assert len(content_hash("abc")) == 32


def test_headline_detection() -> None:
    assert looks_like_headline("Russia says it will help Taliban fight Islamic State")
    assert not looks_like_headline("This is a sentence of body text.")
    assert not looks_like_headline("Menu")
    assert not looks_like_headline('The chiefs met and agreed to close the deal "as expeditiously as possible."')
    assert not looks_like_headline("The chiefs met and agreed to close the deal (as the court had asked).")
    assert looks_like_headline('Viacom chiefs agree to work "as expeditiously as possible"')


def test_page_text_without_headline_has_no_title() -> None:
    page = split_page_text(f"This first line is a sentence of body text, not a title, {FILLER}\nSecond one here.")
    assert page.title is None
    assert page.paragraphs[0].startswith("This first line")


def test_language_of_non_english_text() -> None:
    text = "Le gouvernement a annoncé mardi une nouvelle réforme des retraites, contestée par les syndicats."
    assert detect_language(text) == "fr"


def test_the_widened_model_scores_every_language_as_py3langid_does() -> None:
    """Its float32 weights give the very probabilities of py3langid's float16 model (``rank``: every language's), on
    the test articles and on real bodies of AEB, L3S-GN1 and Reuters, at the sample's length and shorter."""
    bodies = [
        json.loads((folder / "ground-truth.json").read_text(encoding="utf-8")) for folder in (DEFAULT_AEB, DEFAULT_L3S)
    ]
    texts = [article["text"] for article in ARTICLES.values()] + ["".join(CHINESE)]
    texts += [page["articleBody"] for truth in bodies for page in list(truth.values())[:40]]
    texts += [story for _, story in load_reuters(DEFAULT_REUTERS, 0, 80)]
    samples = [text[:length] for text in texts for length in (LANGUAGE_SAMPLE_CHARS, 60)]
    assert {py3langid.classify(sample)[0] for sample in samples} >= {"en", "fr", "de", "zh"}
    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # the one py3langid.classify reads
    assert [_identifier().rank(sample) for sample in samples] == [model.rank(sample) for sample in samples]


def test_read_raw_derives_a_stable_id_from_the_url() -> None:
    payload = b'{"url": "https://x.example/a", "source": "X", "text": "t"}'
    assert read_raw(payload, 10_000)["id"] == read_raw(payload, 10_000)["id"]
    assert read_raw(payload, 10_000)["id"].startswith("u-")
    assert read_raw(b'{"source": "X", "text": "t"}', 10_000)["id"].startswith("c-")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe not utf-8", "invalid_encoding"),
        (b'{"source": "X", "text": ', "invalid_json"),
        (b"[1, 2]", "schema_violation"),
        (b'{"source": "X"}', "schema_violation"),
        (b'{"source": "X", "text": "t", "html": "<p>t</p>"}', "schema_violation"),
        (b'{"source": "X", "text": "t", "published_at": "yesterday"}', "schema_violation"),
        (b'{"source": "X", "text": "' + b"x" * 2000 + b'"}', "oversized"),
    ],
)
def test_read_raw_rejects_bad_input_with_its_reason(payload: bytes, code: str) -> None:
    with pytest.raises(Rejected) as rejected:
        read_raw(payload, 1024)
    assert rejected.value.code == code
    assert rejected.value.reason


def test_join_paragraphs_repairs_mojibake_quotes_entities_and_controls() -> None:
    text = join_paragraphs(["Itâ€™s a \u201cdeal\u201d &amp; more\x00", "e\u0301t\u00e9\u200d \t here"])
    assert text == 'It\'s a "deal" & more\n\nét\u00e9 here'


def test_plain_ascii_paragraphs_still_lose_entities_and_runs_of_spaces() -> None:
    assert join_paragraphs(["AT&amp;T  said on  Monday"]) == "AT&T said on Monday"


def test_words_up_to_counts_a_short_body_exactly_and_a_long_one_only_as_far_as_needed() -> None:
    short = "Only seven words are in this body."
    assert words_up_to(short, 25) == 7
    long_body = " ".join(["word"] * 500)
    assert 25 <= words_up_to(long_body, 25) <= word_count(long_body)
    link_first = "https://example.com/" + "x" * 400 + " " + " ".join(["word"] * 30)  # few words in its prefix
    assert words_up_to(link_first, 25) == word_count(link_first) == 34


HOME_PAGE = "\n".join(
    ["News", "World", "Business", "Sport", "Subscribe"]
    + [f"Headline number {n} about the markets and the world today" for n in range(30)]
    + ["© 2019 Example Media. All rights reserved."]
)


@pytest.mark.parametrize("page", [HOME_PAGE, "404\nPage not found\nThe page you requested could not be found.\nHome"])
def test_home_pages_and_404_pages_are_rejected(page: str) -> None:
    with pytest.raises(Rejected) as rejected:
        clean_article(raw(text=page), ORIGIN, OPTIONS)
    assert rejected.value.code == "no_article"
    assert "not an article" in rejected.value.reason


def test_non_english_html_article_flows_through_with_its_language() -> None:
    paragraphs = [
        "Die Bundesregierung hat am Dienstag eine neue Rentenreform vorgestellt, die von den Gewerkschaften "
        "scharf kritisiert wird.",
        "Die Gewerkschaften kündigten für den kommenden Monat einen landesweiten Streik an und fordern, dass "
        "der Entwurf zurückgezogen wird.",
        "Der Kanzler sagte, er sei zu Gesprächen bereit, wolle aber an der Reform in diesem Jahr festhalten.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        "<html><head><title>Rentenreform: Streik angekündigt</title><meta name='author' content='Anna Schmidt'>"
        f"</head><body><nav><a href='/'>Start</a></nav><article><h1>Rentenreform</h1>{body}</article></body></html>"
    )
    article = clean_article(raw(html=html), ORIGIN, OPTIONS)
    assert article["language"] == "de"
    assert article["author"] == "Anna Schmidt"
    assert article["text"] == "\n\n".join(paragraphs)


BUDGET = [
    "Officials in Sacramento said on Tuesday that the state budget gap had widened again this year, and that the "
    "governor would send a revised plan to the legislature before the end of the month.",
    "Lawmakers from both parties said they expected a long fight over the plan, which cuts funding for roads.",
]


def _with_run(kind: str, word: str, lines: int) -> str:
    """The budget article followed by ``lines`` lines of one ``word`` (the reviewer's input), as a ``kind`` field."""
    if kind == "html":
        return "<html><body><article>" + "".join(f"<p>{line}</p>" for line in [*BUDGET, *[word] * lines]) + "</article>"
    return "\n\n".join(BUDGET) + "\n" + "\n".join([word] * lines)


@pytest.mark.parametrize("kind", ["text", "html", "body"])
@pytest.mark.parametrize(("word", "lines"), [("a", 100), ("the", 100), ("a b", 100), ("a", 32_768)])
def test_a_run_of_one_word_repeated_after_an_article_is_dropped_and_the_article_published(
    kind: str, word: str, lines: int
) -> None:
    article = clean_article(raw(**{kind: _with_run(kind, word, lines)}), ORIGIN, OPTIONS)
    assert article["text"] == "\n\n".join(BUDGET)
    assert article["language"] == "en"


@pytest.mark.parametrize("kind", ["text", "body"])
def test_a_run_of_one_word_repeated_alone_is_no_article(kind: str) -> None:
    with pytest.raises(Rejected) as rejected:
        clean_article(raw(**{kind: "\n".join(["a"] * 1000)}), ORIGIN, OPTIONS)
    assert rejected.value.code == "no_article"


# Reuters 14052: its table's rows, wrapped, read as one line of 45 words, 12 distinct (the fewest of Reuters's lines of
# 40 words or more for their length); and a chant quoted in a paragraph of 66 words, 30 distinct.
HOGS = (
    "Barrow and gilts in the east and\nwest were 1.00 to 1.50 dlr higher than monday's midsession. Top\n"
    "50.50 dlrs per cwt.\n                    EAST          WEST\nU.S. 1-2 210-250 LB 49.50-50.50   49.50-50.50\n"
    "U.S. 1-3 210-250 LB 49.50-50.50   49.50-50.50\nU.S. 1-2 200-210 LB 48.50-49.50   48.50-49.50\n"
    "    SOWS - steady/up 2.00 dlrs. Top 46.00 dlrs.\nUS 1-3 300-500 lb 42.00-43.00, over 500 lb 43.00-46.00 dlrs.\n"
    " Reuter\n"
)
CHANT = (
    'The crowd chanted "U-S-A! U-S-A! U-S-A! U-S-A! U-S-A! U-S-A! U-S-A! U-S-A!" as the team came out, and kept '
    'chanting "U-S-A! U-S-A! U-S-A! U-S-A!" until the final whistle, on the loudest night the old stadium had seen '
    "in years."
)


@pytest.mark.parametrize(("kind", "sent", "kept"), [("body", HOGS, "U.S. 1-2 210-250 LB"), ("text", CHANT, CHANT)])
def test_repetitive_real_text_is_kept(kind: str, sent: str, kept: str) -> None:
    text = sent if kind == "body" else "\n\n".join([BUDGET[0], sent, BUDGET[1]])
    article = clean_article(raw(**{kind: text}), ORIGIN, OPTIONS)
    paragraphs = article["text"].split("\n\n")
    assert max(map(word_count, paragraphs)) >= LONG_LINE_WORDS  # a line the rule reads
    assert kept in article["text"]
    assert len(article["text"].split()) == len(text.split())  # every word


@pytest.mark.parametrize("kind", ["text", "html", "body"])
@pytest.mark.parametrize("run", ["newsletter " * 3000, "a b " * 2000])
@pytest.mark.parametrize("at_end", [True, False])
def test_a_run_on_the_line_of_an_article_paragraph_is_cut_from_it_and_the_paragraph_kept(
    kind: str, run: str, at_end: bool
) -> None:
    """A run on a paragraph's line (no line break between them) took the paragraph with it."""
    lines = [BUDGET[0], f"{BUDGET[1]} {run}"] if at_end else [f"{run}{BUDGET[0]}", BUDGET[1]]
    text = "".join(f"<p>{line}</p>" for line in lines) if kind == "html" else "\n\n".join(lines)
    article = clean_article(raw(**{kind: text}), ORIGIN, OPTIONS)
    assert article["text"] == "\n\n".join(BUDGET)
