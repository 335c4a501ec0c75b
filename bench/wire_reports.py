"""What a wire title of a company's results names: the company and the period ("RITE AID CORP <RAD> 1ST QTR NET MAY
30" is Rite Aid's quarter to May 30), for the dev generator to tell a report sent again from another report.

A results title is the company (its ticker in angle brackets, or its name) followed by nothing but the words of a
results table's title: the period (a quarter, a half, the year, a count of months or weeks, the month and day it
ended), what is reported (net, loss, profit, operating) and a correction's prefix. A title with any other word
("GENERAL ELECTRIC <GE> 1ST QTR HELPED BY RCA") is a story written about the results, not the table: no report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CORRECTION = re.compile(r"^\W*CORRECT(?:ED|ION)\b\W*")
_TICKER = re.compile(r"<([^>]+)>")
_ORDINALS = {"1ST": "1", "FIRST": "1", "2ND": "2", "SECOND": "2", "3RD": "3", "THIRD": "3", "4TH": "4", "FOURTH": "4"}
_COUNTS = {"THREE": "3", "SIX": "6", "NINE": "9", "TWELVE": "12"}
_SPANS = {"QTR": "quarter", "QUARTER": "quarter", "HALF": "half"}  # after an ordinal
_UNITS = {"MTHS": "months", "MONTHS": "months", "WKS": "weeks", "WEEKS": "weeks"}  # after a count
_YEAR = {"YEAR", "YR"}
# The ways a title writes a month ("JAN", "JANUARY", "SEPT"), each to its first form.
_MONTH_FORMS = (
    "JAN JANUARY", "FEB FEBRUARY", "MAR MARCH", "APR APRIL", "MAY", "JUN JUNE", "JUL JULY", "AUG AUGUST",
    "SEP SEPT SEPTEMBER", "OCT OCTOBER", "NOV NOVEMBER", "DEC DECEMBER",
)  # fmt: skip
_MONTHS = {form: forms.split()[0] for forms in _MONTH_FORMS for form in forms.split()}
_RESULTS = {"NET", "LOSS", "PROFIT", "EARNINGS", "OPER", "OPERATING", "SHR"}
_LINKS = {"AND", "ENDS", "ENDED", "ENDING", "END"}
_OPENING = _RESULTS | set(_ORDINALS) | set(_COUNTS) | set(_SPANS) | _YEAR  # where an untickered company name ends
_RESULTS_TITLE_WORDS = _OPENING | _LINKS | set(_UNITS)  # every word a results table's title may hold


@dataclass(frozen=True, slots=True)
class Report:
    """The company and the period a results title names (``span`` empty, ``end`` None: the title names none)."""

    company: str
    span: tuple[str, ...]  # ("quarter 1",), ("year",), ("months 9",), ("month JAN",), ("1986",)...
    end: tuple[str, str] | None  # the month and day the period ended, where the title names them

    def same_as(self, other: Report) -> bool:
        """One company's report of one period: the same span, and the same end where both titles name one."""
        ends_agree = self.end is None or other.end is None or self.end == other.end
        return self.company == other.company and self.span == other.span and ends_agree


def report_of(title: str) -> Report | None:
    """The report a results title names, or None for any other title."""
    title = _CORRECTION.sub("", title.upper()).strip()
    ticker = _TICKER.search(title)
    if ticker:
        name, words = _words(title[: ticker.start()]), _words(title[ticker.end() :])
        company = f"{ticker.group(1).strip()} {_initial(name)}".strip()
    else:
        words = _words(title)
        start = next((n for n, word in enumerate(words) if word in _OPENING), 0)
        company, words = " ".join(words[:start]), words[start:]
    reports = any(word in _RESULTS or word in _SPANS for word in words)
    if not company or not reports or not all(map(_in_results_title, words)):
        return None
    return _period(company, words)


def _initial(name: list[str]) -> str:
    """The first letter of a company's name: a ticker mistyped onto another company's table (General Development's
    results under Chambers Development's <CDV>) names another company."""
    name = name[1:] if name[:1] == ["THE"] else name
    return name[0][0] if name else ""


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,.]+", text) if word]


def _in_results_title(word: str) -> bool:
    return word in _RESULTS_TITLE_WORDS or word.isdigit() or _month(word) is not None


def _month(word: str) -> str | None:
    """The month a word names ("JAN", "JANUARY", "SEPT"), as its first three letters."""
    return _MONTHS.get(word)


def _period(company: str, words: list[str]) -> Report:
    span: list[str] = []
    end = None
    for word, after in zip(words, [*words[1:], ""], strict=True):
        if word in _ORDINALS and after in _SPANS:
            span.append(f"{_SPANS[after]} {_ORDINALS[word]}")
        elif (word in _COUNTS or word.isdigit()) and after in _UNITS:
            span.append(f"{_UNITS[after]} {_COUNTS.get(word, word)}")
        elif word in _YEAR:
            span.append("year")
        elif len(word) == 4 and word.isdigit():
            span.append(word)
        elif (month := _month(word)) and after.isdigit() and len(after) <= 2:
            end = (month, after)
        elif month:
            span.append(f"month {month}")
    return Report(company, tuple(sorted(span)), end)
