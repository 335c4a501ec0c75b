"""Wire attribution: datelines ("MOSCOW, July 14 (Reuters) -"), agencies and credit trailers."""

from __future__ import annotations

import re

from workers.records import Wire

# Agency spellings as they appear in datelines and credits, mapped to one name each.
AGENCIES: dict[str, str] = {
    "reuters": "Reuters",
    "ap": "AP",
    "associated press": "AP",
    "afp": "AFP",
    "bloomberg": "Bloomberg",
    "pa": "PA",
    "pa media": "PA",
    "dpa": "dpa",
    "upi": "UPI",
    "xinhua": "Xinhua",
    "ani": "ANI",
    "pti": "PTI",
    "ians": "IANS",
    "efe": "EFE",
    "ansa": "ANSA",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "tass": "TASS",
    "aap": "AAP",
    "cp": "CP",
    "the canadian press": "CP",
}
_AGENCY_ALT = "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True))
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATELINE = re.compile(
    rf"""^(?P<dateline>
        (?P<city>[A-Z][A-Za-z.'\- ]{{1,40}}?(?:,\s*[A-Z][A-Za-z.\- ]{{1,25}}?)?)   # MOSCOW / WASHINGTON, D.C.
        (?:,\s*(?P<date>{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?))?                    # , July 14
        \s*\((?P<agency>{_AGENCY_ALT})\)                                            # (Reuters)
        \s*(?:-{{1,2}}|\u2013|\u2014)\s*)""",
    re.VERBOSE | re.IGNORECASE,
)
# "(Reporting by ...; Editing by ...)" and similar credit lines closing a wire story.
_TRAILER = re.compile(
    r"\s*\((?:(?:Additional\s+)?(?:Reporting|Writing|Editing|Compiled|Research)\b[^()]*)\)\s*$", re.IGNORECASE
)


def no_wire() -> Wire:
    """The attribution of an article that shows none."""
    return Wire(agency=None, dateline=None, city=None, date=None, trailer=None)


def split_dateline(paragraph: str) -> tuple[Wire, str]:
    """Find a dateline opening ``paragraph``; return the attribution and the paragraph without it."""
    match = _DATELINE.match(paragraph)
    if match is None or not match.group("city").strip().isupper():
        return no_wire(), paragraph
    wire = no_wire()
    wire.update(
        agency=AGENCIES[match.group("agency").lower()],
        dateline=match.group("dateline").strip(),
        city=match.group("city").strip(),
        date=match.group("date"),
    )
    return wire, paragraph[match.end() :]


def split_trailer(paragraph: str) -> tuple[str | None, str]:
    """Find a credit trailer closing ``paragraph``; return it and the paragraph without it."""
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
