"""Wire attribution: datelines ("MOSCOW, July 14 (Reuters) -"), agencies and credit trailers."""

from __future__ import annotations

import re

from workers.clean.pagetext import NUMBER_WORDS, ends_sentence, is_figure_row, is_hard_wrapped
from workers.records import Wire

# Agency spellings as they appear in datelines and credits, mapped to one name each.
AGENCIES: dict[str, str] = {
    "reuters": "Reuters",
    "reuter": "Reuters",  # the 1980s wire's spelling, which signs its stories off
    "thomson reuters": "Reuters",
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "bloomberg": "Bloomberg",
    "bloomberg news": "Bloomberg",
    "pa": "PA",
    "pa media": "PA",
    "dpa": "dpa",
    "upi": "UPI",
    "xinhua": "Xinhua",
    "ani": "ANI",
    "pti": "PTI",
    "press trust of india": "PTI",
    "ians": "IANS",
    "uni": "UNI",
    "efe": "EFE",
    "ansa": "ANSA",
    "kyodo": "Kyodo",
    "jiji": "Jiji",
    "yonhap": "Yonhap",
    "tass": "TASS",
    "ria novosti": "RIA Novosti",
    "interfax": "Interfax",
    "anadolu": "Anadolu",
    "aa": "Anadolu",
    "aap": "AAP",
    "cp": "CP",
    "the canadian press": "CP",
    "anp": "ANP",
    "apa": "APA",
    "belga": "Belga",
    "lusa": "Lusa",
    "europa press": "Europa Press",
    "bernama": "Bernama",
    "antara": "Antara",
    "irna": "IRNA",
    "wam": "WAM",
    "spa": "SPA",
    "kuna": "KUNA",
    "cna": "CNA",
    "ntb": "NTB",
    "tt": "TT",
    "ritzau": "Ritzau",
    "stt": "STT",
    "cnn": "CNN",
}
_AGENCY_ALT = "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True))
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DASH = r"(?:-{1,2}|\u2013|\u2014|:)"
_LETTER = r"(?:[^\W\d_]|[.'\- ])"  # a letter of a place name, or its dot, apostrophe, hyphen or space
_DATELINE = re.compile(
    rf"""^(?P<dateline>
        (?:(?P<city>[A-Z]{_LETTER}{{1,40}}?(?:,\s*[A-Z]{_LETTER}{{1,25}}?)?)                  # MOSCOW / Berlin / D.C.
        (?:,\s*(?P<date>{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?))?  # , July 14
        \s*)?
        \((?P<agency>{_AGENCY_ALT})\)                                                       # (Reuters)
        \s*{_DASH}\s*)""",
    re.VERBOSE | re.IGNORECASE,
)
# "(Reporting by ...; Editing by ...)" and similar credit lines closing a wire story.
_TRAILER = re.compile(
    r"\s*\((?:(?:Additional\s+)?(?:Reporting|Writing|Editing|Compiled|Research|Graphic)\b[^()]*)\)\s*$", re.IGNORECASE
)
# A closing paragraph that only credits: "Associated Press writer Jane Doe in Kabul contributed to this report."
_CREDIT_PARAGRAPH = re.compile(
    r"^[^.]{0,200}\bcontributed(?:\s+reporting)?\s+(?:to\s+)?this\s+(?:report|story|article)\.?$", re.IGNORECASE
)
# What the wire's transmission leaves after its last word: dots, blanks and control characters, raw or in caret
# notation ("REUTER...^M": a carriage return printed as ^M). Possessive: a run of dots or blanks is read once and
# never handed back to be read again (a 20,000-dot line once took 14 s; found by review).
_LINE_NOISE = r"(?:[.\s\x00-\x1f\x7f]|\^[@-_])*+"
# The Reuters wire's sign-off closing a story, alone on its last line or after its last sentence or figure ("...
# total 55.8 (33.7).        REUTER"), and what transmission glued to it (``junk``): a time and desk code with no
# blank before it ("REUTER11:43/VB", the one form in the corpus), or a one-letter code after a blank and "REUTER" in
# capitals ("REUTER E", "REUTER N": Reuters 9391 and 10280, the corpus's only two, which went the page-text path
# unsigned; "Reuter S." closing a page is a surname and its initial, read85), and line noise. Only the
# agency that signs off, as it writes itself: other agencies' names and codes close pages too (a photo credit "AP", a
# menu item "Uni", a cookie notice's "dpa"; found by review). The 1987 wire signs off in the singular, REUTER,
# Reuter or reuter (Reuter 14,199 items, REUTER 4,602, reuter 82 of all 21,578), and cut it short in capitals
# ("REUTE"); "Reuters" closes 4 items only, and many a photo credit, 404 page or cookie notice on the web (found by
# review). Forms counted on Reuters items 0-2,999: 2,960 alone or after a sentence, 8 with dots, 3 with "...^M", 1
# with a time and desk code, 1 cut short. What may stand before it is read by a look-behind, so no run of blanks is
# read twice.
_SIGN_OFF = re.compile(
    r"(?:^|(?<=\n)|(?<=[.!?)\]]\s))\s*+(?:REUTER?|[Rr]euter)"
    rf"(?P<junk>(?:\d{{1,2}}:\d{{2}}/[A-Z]{{1,4}}|(?<=REUTER)[ \t][A-Z])?{_LINE_NOISE})$"
)
# The wire's continuation marker: a take that another take continues closes with "More" (or "MORE", "more") alone
# on its last raw line, indented, after a sentence's end: 33 items of the corpus; 13 of Reuters items 0-2,999, 12
# of them hard-wrapped with 71+ words, the 13th (20 words) once its first line, cut short by the dateline, is set
# aside (clean32). Of the 216 lines of AEB and L3S-GN1 pages rendered to text that hold only
# "More", none is indented, and an own-line "More" closes many a teaser, comment thread or list of scores there.
_MARKER = rf"(?:MORE|[Mm]ore){_LINE_NOISE}"
_CONTINUED = re.compile(rf"\s++{_MARKER}$")
_MARKER_LINE = re.compile(rf"{_MARKER}$")
# The marker typed twice: after the take's last sentence as well as on a line of its own ("... to 215.74 billion
# dlrs. MORE / More"; reuters21578-10594, the one take of the corpus closed so).
_GLUED_MARKER = re.compile(rf"(?<=[.!?])[ \t]++{_MARKER}$")
# The wire's results row: a figure and its unit or kind (one or two lower-case words) set against the prior period's,
# a few such words before it, and after the second figure such a word, a bracket or the line's end ("Shr 23 cts vs 18
# cts", "Qtrly div 41.5 cts vs 41.5 cts prior", "Oper shr one ct vs two cts", "Shr loss 12 cts vs profit 5 cts"). The
# wire opens its earnings reports and dividend notices so: 2,478 items of the corpus, all but 5 signed off (of Reuters
# 0-11,999: 4440, 6457 and 9486, page text's failures, and 3870). A page's schedules, scores and product comparisons
# name a team or a product beside their figures ("Jan 19 WBB vs. Hawaii", "Arsenal 2 vs 1 Chelsea", "iPhone 11 vs
# iPhone 11 Pro") or set bare figures against each other ("Windows 10 vs 11", "Lakers 102 vs 99 final"): no unit
# word after the first figure (read75; the wire's rows without one, "Net 3,563,000 vs 2,821,000", "Shr nil vs nil",
# 49 items more, are all signed off). Each blank and word is read once (possessive repeats).
_FIGURE = rf"(?:\d[\d.,/]*+|{'|'.join(NUMBER_WORDS)})"  # page text's numbers, with fractions (6-1/16)
_RESULTS_ROW = re.compile(
    rf"(?<!\w){_FIGURE}(?:\s++(?!vs\b)[a-z]++){{1,2}}+\s++vs\.?\s++"  # a figure, its unit, "vs"
    rf"(?:(?!{_FIGURE}(?!\w))[a-z]++\s++){{0,2}}+{_FIGURE}(?!\w)(?=[ \t]*+(?:[a-z(]|$))"  # the prior figure, its unit
)
MAX_CITY_WORDS = 4  # "RIO DE JANEIRO" is the longest common dateline city; more words are a sentence


def no_wire() -> Wire:
    """The attribution of an article that shows none."""
    return Wire(agency=None, dateline=None, city=None, date=None, trailer=None)


def _is_city(city: str | None) -> bool:
    """A dateline city: absent, or a few words that each start with a capital (MOSCOW, Berlin, New York)."""
    if city is None:
        return True
    words = city.replace(",", " ").split()
    return len(words) <= MAX_CITY_WORDS and all(word[0].isupper() for word in words)


def split_dateline(paragraph: str) -> tuple[Wire, str]:
    """Find a dateline opening ``paragraph``; return the attribution and the paragraph without it."""
    match = _DATELINE.match(paragraph)
    if match is None or not _is_city(match.group("city")):
        return no_wire(), paragraph
    city = match.group("city")
    wire = no_wire()
    wire.update(
        agency=AGENCIES[match.group("agency").lower()],
        dateline=match.group("dateline").strip(),
        city=city.strip() if city else None,
        date=match.group("date"),
    )
    return wire, paragraph[match.end() :]


def signs_off(paragraph: str) -> bool:
    """True when the paragraph closes with the Reuters wire's sign-off (``_SIGN_OFF``)."""
    return _SIGN_OFF.search(paragraph) is not None


def is_signed(lines: list[str], raw_lines: list[str]) -> bool:
    """True when the wire's sign-off closes the text: its last line, or its last raw line (``unwrap`` joins an
    unindented sign-off to a line above that ends no sentence)."""
    return (bool(lines) and signs_off(lines[-1])) or signs_off(last_line(raw_lines))


def is_continued(lines: list[str], raw_lines: list[str]) -> bool:
    """True when a hard-wrapped take (``is_hard_wrapped``, its first line cut short by the dateline aside) closes
    with the wire's continuation marker indented on its last raw line (``_CONTINUED``) after a sentence's end, a
    marker glued to that sentence aside (``_GLUED_MARKER``; its ``lines`` are the raw lines ``unwrap``ped)."""
    return (
        _closes_a_take(raw_lines)
        and len(lines) > 1
        and ends_sentence(_GLUED_MARKER.sub("", lines[-2]))
        and is_hard_wrapped(raw_lines, lede_cut=True)
    )


def _closes_a_take(raw_lines: list[str]) -> bool:
    """True when the wire's continuation marker stands indented on the text's last raw line (``_CONTINUED``)."""
    return _CONTINUED.match(last_line(raw_lines)) is not None


def is_marker(line: str) -> bool:
    """True when the line is the wire's continuation marker alone ("More", "MORE", "more"; ``_MARKER_LINE``)."""
    return _MARKER_LINE.match(line) is not None


def last_line(raw_lines: list[str]) -> str:
    """The last line of a text that is not blank."""
    return next((line for line in reversed(raw_lines) if line.strip()), "")


def strip_transmission(lines: list[str]) -> list[str]:
    """The lines of wire copy without what its transmission left after the copy: a closing continuation marker (on
    its own line, and glued to the sentence before it), and the time and desk or letter code and line noise glued to
    its sign-off ("REUTER11:43/VB", "REUTER E" and "REUTER...^M" keep "REUTER")."""
    body = lines[:-1] if lines and is_marker(lines[-1]) else lines
    if not body:
        return body
    last = _GLUED_MARKER.sub("", body[-1])
    match = _SIGN_OFF.search(last)
    if match is not None and match.group("junk"):
        last = last[: match.start("junk")]
    return [*body[:-1], last]


def is_dated_or_credited(paragraphs: list[str]) -> bool:
    """True when a dateline opens a body (or its first paragraph after a headline) or a credit trailer closes it."""
    if not paragraphs:
        return False
    return any(map(_opens_with_a_dateline, paragraphs[:2])) or split_trailer(paragraphs[-1])[0] is not None


def opens_with_results(lines: list[str]) -> bool:
    """True when the text's first line is a row of figures that is the wire's results row (``_RESULTS_ROW``): an
    earnings report or dividend notice opens so, whatever rows and notes follow it."""
    return bool(lines) and is_figure_row(lines[0]) and _RESULTS_ROW.search(lines[0]) is not None


def _opens_with_a_dateline(paragraph: str) -> bool:
    """A dateline whose place reads as one: in capitals (WASHINGTON) or with a date (Berlin, March 3); "Top Stories
    (Reuters) -" names an agency under a heading."""
    wire, _ = split_dateline(paragraph)
    city = wire["city"]
    return wire["agency"] is not None and (city is None or city.isupper() or wire["date"] is not None)


def split_trailer(paragraph: str) -> tuple[str | None, str]:
    """Find a credit trailer closing ``paragraph``; return it and the paragraph without it."""
    if _CREDIT_PARAGRAPH.match(paragraph):
        return paragraph.strip(), ""
    match = _TRAILER.search(paragraph)
    if match is None:
        return None, paragraph
    return match.group(0).strip(), paragraph[: match.start()].rstrip()


def attribute(paragraphs: list[str]) -> tuple[Wire, list[str]]:
    """Strip the dateline and trailer from a body, recording them as its wire attribution."""
    if not paragraphs:
        return no_wire(), paragraphs
    wire, first = split_dateline(paragraphs[0])
    trailer, last = split_trailer(paragraphs[-1] if len(paragraphs) > 1 else first)
    body = [first, *paragraphs[1:]]
    body[-1] = last
    wire["trailer"] = trailer
    return wire, [p for p in body if p.strip()]
