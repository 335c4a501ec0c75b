"""The dev generator's re-sent results: a company's table sent again (corrected, reworded, the operating figures in
place of the net ones) is one story; another period's, another company's or another year's table is another.

Titles and figures are short excerpts of Reuters-21578 stories (the corpus is not committed)."""

from __future__ import annotations

import pytest

from bench.dedup_eval import DAY, REPORT_RESEND_SECONDS, distinct
from bench.wire_reports import Report, report_of

HOUR = 3600.0
AT = 541_000_000.0  # March 1987

# (title, paragraphs, hours after the first) of two tables the wire sent of one company's results.
RESENT = {
    "Rite Aid, net then operating figures (-19610, -19742)": (
        (
            "RITE AID CORP <RAD> 1ST QTR NET MAY 30",
            ["Shr 50 cts vs 40 cts", "NOTE: 1987 first qtr net gain from discontinued operations was 47.1 mln or 1.64"],
            0.0,
        ),
        (
            "RITE AID CORP <RAD> 1ST QTR MAY 30",
            ["Oper shr 50 cts vs 40 cts", "NOTE: 1987 1st quarter net excludes a gain of 47.1 mln dlrs or 1.14 dlrs"],
            3.0,
        ),
    ),
    "Ambrit, the same title, figures corrected and notes added (-8528, -8581)": (
        ("AMBRIT INC <ABI> 4TH QTR JAN 31 NET", ["Shr 28 cts vs nil", "Net 3,614,000 vs 7,000"], 0.0),
        (
            "AMBRIT INC <ABI> 4TH QTR JAN 31 NET",
            ["Shr 28 cts vs nil", "Net 4,568,000 vs 7,000", "Net includes gains of 5,807,000 dlrs vs 928,000 dlrs"],
            2.1,
        ),
    ),
    "Dynamic Homes, the same title reworded (-8286, -8317)": (
        ("DYNAMIC HOMES INC <DYHM> 4TH QTR NET", ["Shr profit 0.2 cts vs loss 2.2 cts", "Sales 1,660,000"], 0.0),
        ("DYNAMIC HOMES INC <DYHM> 4TH QTR NET", ["Shr nil vs loss two cts", "Revs 1,660,300"], 0.6),
    ),
    "DeRose, a correction the next day (-12382, -12658)": (
        ("DEROSE INDUSTRIES INC <DRI> 4TH QTR", ["Year", "Shr loss 1.51 dlrs vs profit 61 cts"], 0.0),
        ("CORRECTED - DEROSE INDUSTRIES INC <DRI> 4TH QTR", ["Year", "Shr loss 1.51 dlrs vs loss 1.59 cts"], 19.0),
    ),
    "Int'l Hydron, the name shortened (-603, -731)": (
        ("INTERNATIONAL HYDRON CORP <HYD> 4TH QTR NET", ["Oper net profit 634,000", "Sales 16.8 mln"], 0.0),
        ("INT'L HYDRON CORP <HYD> 4TH QTR OPER NET", ["Oper net profit 734,000", "Revs 16.8 mln"], 2.4),
    ),
    "an untickered company's correction": (
        (
            "DIGIMED CORP 2ND QTR DEC 31 LOSS",
            ["Shr loss 12 cts vs loss 30 cts", "Net loss 1,200,000 vs 2,900,000"],
            0.0,
        ),
        (
            "CORRECTED - DIGIMED CORP 2ND QTR DEC 31 LOSS",
            ["Shr loss 12 cts vs loss 13 cts", "Net loss 1,250,000 vs 2,900,000"],
            5.0,
        ),
    ),
}

# Two tables or stories of one company, or of two, that are two stories.
APART = {
    "another quarter": (
        ("RITE AID CORP <RAD> 4TH QTR NET", ["Shr 75 cts vs 61 cts"], 0.0),
        ("RITE AID CORP <RAD> 1ST QTR NET MAY 30", ["Shr 50 cts vs 40 cts"], 48.0),
    ),
    "the year beside the quarter, the same hour": (
        (
            "TOWLE MANUFACTURING CO <QTOW> 4TH QTR OPER LOSS",
            ["Oper shr loss 1.40 dlrs vs loss 34 cts", "Sales 38.9 mln vs 41.2 mln"],
            0.0,
        ),
        (
            "TOWLE MANUFACTURING CO <QTOW> YEAR LOSS",
            ["Oper shr loss 3.08 dlrs vs loss 3.57 dlrs", "Sales 140.3 mln vs 155.7 mln"],
            0.1,
        ),
    ),
    "another quarter's end": (
        ("XYZ CORP <XYZ> 1ST QTR JAN 31 NET", ["Shr 10 cts vs 8 cts"], 0.0),
        ("XYZ CORP <XYZ> 1ST QTR APRIL 30 NET", ["Shr 21 cts vs 17 cts"], 24.0),
    ),
    "another company, the same title": (
        ("AMBRIT INC <ABI> 4TH QTR NET", ["Shr 28 cts vs nil"], 0.0),
        ("AMERICAN BUSINESS PRODUCTS INC <ABP> 4TH QTR NET", ["Shr 28 cts vs 31 cts"], 1.0),
    ),
    "another company under a mistyped ticker (-21195, -20455)": (
        ("CHAMBERS DEVELOPMENT CO INC <CDV> 3RD QTR NET", ["Shr 14 cts vs 10 cts"], 0.0),
        ("GENERAL DEVELOPMENT CORP <CDV> 3RD QTR NET", ["Shr 40 cts vs 35 cts"], 24.2),
    ),
    "another year's figures": (
        ("DYNAMIC HOMES INC <DYHM> 4TH QTR NET", ["Shr profit 0.2 cts vs loss 2.2 cts"], 0.0),
        ("DYNAMIC HOMES INC <DYHM> 4TH QTR NET", ["Shr profit 1.5 cts vs profit 0.2 cts"], 365 * 24.0),
    ),
    "a story written about the results (-15247, -15263)": (
        ("GENERAL ELECTRIC CO <GE> 1ST QTR NET", ["Shr 1.05 dlrs vs 91 cts", "Net 958 mln vs 828 mln"], 0.0),
        ("GENERAL ELECTRIC <GE> 1ST QTR HELPED BY RCA", ["General Electric said net rose to 958 mln dlrs."], 0.4),
    ),
    "a dividend of the reporting company": (
        ("GETTY PETROLEUM <GTY> YEAR NET", ["Shr 1.10 dlrs vs 52 cts"], 0.0),
        ("GETTY PETROLEUM <GTY> SETS STOCK DIVIDEND", ["Getty Petroleum set a five pct stock dividend."], 0.0),
    ),
}


def bases(pair: tuple) -> list[dict]:
    return [
        {"id": f"r{n}", "title": title, "paragraphs": paragraphs, "time": AT + hours * HOUR}
        for n, (title, paragraphs, hours) in enumerate(pair)
    ]


@pytest.mark.parametrize("pair", RESENT.values(), ids=RESENT.keys())
def test_a_company_s_results_sent_again_are_one_story(pair: tuple) -> None:
    kept = distinct(bases(pair))
    assert [base["id"] for base in kept] == ["r0"]
    assert not kept[0]["recurring"]


@pytest.mark.parametrize("pair", APART.values(), ids=APART.keys())
def test_another_period_company_or_year_is_another_story(pair: tuple) -> None:
    assert [base["id"] for base in distinct(bases(pair))] == ["r0", "r1"]


def test_a_results_table_sent_again_after_the_dedup_window_is_another_story() -> None:
    """Final Test's fourth quarter, corrected 20 days on (-7774, -15777): the index has let the first go by then."""
    first = ("FINAL TEST INC <FNLT> 4TH QTR LOSS", ["Net loss 128,141 vs loss 1,298,377"], 0.0)
    again = ("FINAL TEST INC <FNLT> 4TH QTR LOSS", ["Net loss 123,840 vs loss 1,298,377"], 20 * 24.0)
    within = (*again[:2], 6 * 24.0)
    assert 6 * DAY < REPORT_RESEND_SECONDS < 20 * DAY  # the dedup index's window, ENRICH_DEDUP_WINDOW_SECONDS
    assert len(distinct(bases((first, again)))) == 2
    assert len(distinct(bases((first, within)))) == 1


@pytest.mark.parametrize(
    ("title", "report"),
    [
        ("RITE AID CORP <RAD> 1ST QTR NET MAY 30", Report("RAD R", ("quarter 1",), ("MAY", "30"))),
        ("(CORRECTED) - UNIVERSITY PATENTS INC<UPT> 2ND QTR", Report("UPT U", ("quarter 2",), None)),
        ("POTOMAC ELECTRIC POWER CO <POM> JANUARY NET", Report("POM P", ("month JAN",), None)),
        ("XYZ CORP <XYZ> NINE MTHS SEPT 30 NET", Report("XYZ X", ("months 9",), ("SEP", "30"))),
        ("<ACC CORP> 3RD QTR NET", Report("ACC CORP", ("quarter 3",), None)),
        ("DIGIMED CORP 2ND QTR DEC 31 LOSS", Report("DIGIMED CORP", ("quarter 2",), ("DEC", "31"))),
        ("U.S. BANKER PREDICTS FURTHER DOLLAR FALL THIS YEAR", None),
        ("FRANKLIN CALIFORNIA TAX-FREE SETS PAYOUT", None),
        ("GENERAL ELECTRIC <GE> 1ST QTR HELPED BY RCA", None),
    ],
)
def test_a_results_title_names_its_company_and_period(title: str, report: Report | None) -> None:
    assert report_of(title) == report


def test_a_period_s_end_named_by_one_title_only_is_the_same_period() -> None:
    """ "MUSICLAND GROUP INC <TMG> 3RD QTR NET" and "... 3RD QTR NET SEPT 25" (-20105, -20228)."""
    plain, dated = report_of("MUSICLAND GROUP INC <TMG> 3RD QTR NET"), report_of("MUSICLAND <TMG> 3RD QTR NET SEPT 25")
    assert plain is not None and dated is not None and plain.same_as(dated) and dated.same_as(plain)
    assert not dated.same_as(Report("TMG M", ("quarter 3",), ("JUN", "26")))
