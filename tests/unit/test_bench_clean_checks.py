"""The checks ``bench.clean_eval`` prints under its tables, on small synthetic records and pages: each counts what
it names, and only that (the handbook's "Current figures" rows quote them)."""

from datetime import date
from typing import Any

import pytest
from lxml.html import fromstring

from bench.clean_eval import (
    REUTERS_FORMS,
    Page,
    after_crawl,
    code_bodies,
    comment_only_days,
    first_days,
    html_checks,
    kept_words,
    one_sentence_a_paragraph,
    other_languages,
    sent_on,
    unwritten_first_days,
)
from tests.hostile import PARAGRAPHS, html_page
from workers import times
from workers.clean import CleanOptions, clean_article, metadata
from workers.clean.metadata import writes_day
from workers.records import RawArticle


def record(published_at: str | None = None, precision: str | None = "day", **fields: Any) -> dict[str, Any]:
    """A published record with the fields the checks read."""
    return {"published_at": published_at, "published_precision": precision, "language": "en", "text": "", **fields}


def page(html: str, page_id: str = "p", url: str | None = None) -> Page:
    return Page(page_id, html, "", "", url)


def test_a_day_after_the_crawl_and_one_day_counts_not_the_day_after_nor_a_record_without_day() -> None:
    pairs = [
        ("next", record("2008-07-01T00:00:00Z")),
        ("later", record("2008-07-02T00:00:00Z")),
        ("time", record("2009-01-05T10:30:00Z", "time")),
        ("none", record()),
        ("dead", None),
    ]
    assert after_crawl(pairs, date(2008, 6, 30)) == ["later", "time"]


def test_the_last_day_is_the_stage_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's last day is the one the stage bounds a page's day by (``clean.latest_day``), not a copy of its
    allowance: an allowance changed in ``workers.times`` moves both."""
    pairs = [("next", record("2008-07-01T00:00:00Z")), ("later", record("2008-07-02T00:00:00Z"))]
    monkeypatch.setattr(times, "ALLOWANCE_SECONDS", 0.0)
    assert after_crawl(pairs, date(2008, 6, 30)) == ["next", "later"]
    monkeypatch.setattr(times, "ALLOWANCE_SECONDS", 2 * 86_400.0)
    assert after_crawl(pairs, date(2008, 6, 30)) == []


def test_a_day_the_stage_would_pass_over_counts_once_its_guard_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: the stage's date search bounded by the crawl (htmldate's ``max_date``) passes over a day
    the page writes after it; without that bound the stage publishes the day, and the check counts it."""
    html = html_page(f"<p>Posted July 5, 2008</p>{''.join(f'<p>{p}</p>' for p in PARAGRAPHS)}")
    raw = RawArticle(id="p", url=None, source="eval", title=None, published_at=None, html=html)
    fetched = date(2008, 6, 30)
    assert after_crawl([("p", clean_article(raw, sent_on(fetched), CleanOptions()))], fetched) == []
    search = metadata.find_date
    monkeypatch.setattr(metadata, "find_date", lambda tree, max_date=None, **options: search(tree, **options))
    unbounded = clean_article(raw, sent_on(fetched), CleanOptions())
    assert unbounded["published_at"] == "2008-07-05T00:00:00Z"
    assert after_crawl([("p", unbounded)], fetched) == ["p"]


def test_first_days_are_days_on_a_1st_not_times_nor_other_days() -> None:
    first, jan = page("<p>x</p>", "first"), page("<p>y</p>", "jan")
    pairs = [
        (first, record("2008-03-01T00:00:00Z")),
        (jan, record("2008-01-01T00:00:00Z")),
        (page("<p>t</p>", "time"), record("2008-03-01T04:00:00Z", "time")),
        (page("<p>d</p>", "day"), record("2008-03-11T00:00:00Z")),
        (page("<p>n</p>", "none"), None),
    ]
    assert first_days(pairs) == [(first, "2008-03-01"), (jan, "2008-01-01")]


def test_a_first_day_the_page_does_not_write_counts() -> None:
    written = page("<html><body><p>Posted 1 January 2008</p></body></html>", "written")
    year = page("<html><body><p>(c) 2008 The Paper</p></body></html>", "year")
    in_url = page("<html><body><p>(c) 2008</p></body></html>", "url", "http://x.com/2008/01/01/story")
    found = [(written, "2008-01-01"), (year, "2008-01-01"), (in_url, "2008-01-01")]
    assert unwritten_first_days(found) == ["year"]


def test_a_day_written_only_in_a_script_comment_counts() -> None:
    comment = "<html><head><script>//2007-10-15: Benton\nvar a = 1;</script></head><body><p>Story</p></body></html>"
    code = "<html><head><script>var day = '2007-10-15';</script></head><body><p>Story</p></body></html>"
    both = "<html><head><script>// 2007-10-15\n</script></head><body><p>Oct. 15, 2007</p></body></html>"
    elsewhere = "<html><head><script>// 2007-10-15\n</script></head><body><p>Story</p></body></html>"
    pairs = [
        (page(comment, "comment"), record("2007-10-15T00:00:00Z")),
        (page(code, "code"), record("2007-10-15T00:00:00Z")),
        (page(both, "both"), record("2007-10-15T00:00:00Z")),
        (page(elsewhere, "other day"), record("2007-10-16T00:00:00Z")),
        (page(comment, "none"), record()),
        (page(comment, "dead"), None),
    ]
    assert comment_only_days(pairs) == ["comment"]


def test_the_comment_check_leaves_the_page_as_it_was() -> None:
    html = "<html><head><script>//2007-10-15: Benton\n</script></head><body><p>Story</p></body></html>"
    one = page(html)
    comment_only_days([(one, record("2007-10-15T00:00:00Z"))])
    assert writes_day(fromstring(one.html), None, "2007-10-15")


def test_a_day_is_read_in_digits_either_order_and_in_english() -> None:
    for written in ("2008-07-22", "2008/7/22", "22.07.2008", "7/22/08", "July 22nd, 2008", "22 Jul 2008", "20080722"):
        assert writes_day(fromstring(f"<p>{written}</p>"), None, "2008-07-22"), written
    for other in ("2008-07-02", "2008-07-222", "July 2, 2008", "122.07.2008", "July 2008"):
        assert not writes_day(fromstring(f"<p>{other}</p>"), None, "2008-07-22"), other


def test_a_language_other_than_the_sets_counts_not_null() -> None:
    pairs = [
        ("en", record(language="en")),
        ("pcm", record(language="pcm")),
        ("null", record(language=None)),
        ("dead", None),
    ]
    assert other_languages(pairs, "en") == ["pcm"]


def test_a_body_with_a_line_of_script_code_counts() -> None:
    pairs = [
        ("code", record(text="A sentence.\n\nfunction f() { x = 1; }")),
        ("css", record(text="a { color: red; }")),
        ("set", record(text="Analysts quoted {1, 2, 3}; the market fell.")),
        ("prose", record(text="Plain prose, no braces.")),
        ("dead", None),
    ]
    assert code_bodies(pairs) == ["code", "css"]


def test_timed_records_are_not_checked_for_the_pages_days() -> None:
    one = page("<html><body><p>(c) 2008</p></body></html>")
    dated = [record("2008-01-01T00:00:00Z", text="function f() { x = 1; }")]
    timed = html_checks([one], dated, date(2007, 6, 30), timed=True)
    untimed = html_checks([one], dated, date(2007, 6, 30), timed=False)
    assert timed == {"bodies with script code": ["p"]}
    assert sorted(map(len, untimed.values())) == [0, 1, 1, 1]


def test_one_sentence_a_paragraph_breaks_before_a_capital_or_a_quoted_one_only() -> None:
    text = 'The vote was close. "Sound familiar?" It was, e.g. last year.\nA second line! its end'
    assert one_sentence_a_paragraph(text) == (
        'The vote was close.\n\n"Sound familiar?"\n\nIt was, e.g. last year.\n\nA second line! its end'
    )


def test_kept_words_counts_the_dead_of_15_words_and_the_items_losing_a_tenth(capsys: pytest.CaptureFixture) -> None:
    menu = "\n".join(f"Section{number}" for number in range(16))  # 16 words, no article: dead as text and as body
    story = (  # 34 words, kept whole either way
        "The council voted on Tuesday to close the library after years of rising costs and falling visits. Its users, "
        "who met on Friday, said they would take the decision to the courts this spring."
    )
    records = kept_words([("menu", menu), ("story", story)], REUTERS_FORMS, failures=True)
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("| text", "| body"))]
    assert [row.split(" | ")[1:5] for row in rows] == [["1", "1", "68.00%", "1"]] * 2  # 34 of 50 words
    assert [[name for name, record in named if record] for named in records.values()] == [["story"]] * 2
