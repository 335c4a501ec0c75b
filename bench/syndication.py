"""Real article bodies, and the edits outlets make when they republish a wire story, scripted.

Used by ``bench/dedup_eval.py`` to build a dev set labelled by construction, by ``bench/dedup_throughput.py``
to synthesise distinct bodies, and by the dedup unit tests. The corpora are read from ``../shared`` at run
time, never copied.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from bench.shared import SHARED

REUTERS = SHARED / "corpus" / "reuters21578.jsonl.gz"
AEB = SHARED / "eval" / "aeb" / "ground-truth.json"

Edit = Callable[[list[str], random.Random], list[str]]

_PARAGRAPH_START = re.compile(r"\n {2,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
# Templated Reuters stories: earnings, dividends, payouts; same words, other figures and company names.
TEMPLATED_TITLE = re.compile(r"\b(QTR|NET|LOSS|DIV|DIVIDEND|PAYOUT|SHR|PROFIT|EARNINGS)\b")
CORPUS_START = datetime(1987, 2, 26, tzinfo=UTC).timestamp()  # the first and last days of Reuters-21578
CORPUS_END = datetime(1987, 10, 20, tzinfo=UTC).timestamp()
# Every story of a dev set runs in the corpus's year (Reuters at its wire time, AEB bodies placed in its span), so an
# outlet's copyright line, which names the year a story ran, names this one on all its copies.
COPYRIGHT_YEAR = datetime.fromtimestamp(CORPUS_START, UTC).year
OUTLETS = ("The Daily Courier", "Metro Ledger", "Valley Times", "Harbor Post", "The Evening Star", "Coastal News")
REPORTERS = ("Anna Kowalski", "David Osei", "Maria Santos", "Tom Becker", "Lena Fischer", "Raj Patel")
CITIES = ("LONDON", "NEW YORK", "TOKYO", "WASHINGTON", "FRANKFURT", "PARIS", "SYDNEY", "CHICAGO")
MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
# Word swaps a copy editor makes: spelling, house style, a synonym.
SWAPS = {
    "said": "stated",
    "percent": "per cent",
    "pct": "percent",
    "company": "firm",
    "government": "administration",
    "about": "around",
    "but": "however",
    "also": "additionally",
    "organization": "organisation",
    "while": "whilst",
    "mln": "million",
    "dlrs": "dollars",
    "shares": "stock",
}


def reuters_bodies(min_words: int = 25) -> Iterator[dict]:
    """Reuters stories with at least ``min_words`` words, hard line wraps undone and the closing "Reuter" dropped:
    ``{id, title, paragraphs, time}`` (``time``: the story's wire time, epoch seconds)."""
    with gzip.open(REUTERS, "rt", encoding="utf-8") as lines:
        for line in lines:
            story = json.loads(line)
            paragraphs = paragraphs_of(story.get("text") or "")
            if sum(len(p.split()) for p in paragraphs) >= min_words:
                title, time = story.get("title") or "", wire_time(story.get("date") or "")
                yield {"id": story["id"], "title": title, "paragraphs": paragraphs, "time": time}


def wire_time(date: str) -> float:
    """A Reuters-21578 date ("26-FEB-1987 15:01:01.79", "1-MAR-1987 01:30:29.50") in epoch seconds, the hundredths
    dropped; the corpus's first day if unreadable."""
    try:
        return datetime.strptime(date.strip().split(".")[0], "%d-%b-%Y %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return CORPUS_START


def paragraphs_of(reuters_text: str) -> list[str]:
    """Paragraphs of a Reuters body (they open with an indent), each on one line, without the closing "Reuter"."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_START.split(reuters_text) if p.strip()]
    if paragraphs and paragraphs[-1].endswith("Reuter"):
        paragraphs[-1] = paragraphs[-1].removesuffix("Reuter").strip()
    return [p for p in paragraphs if p]


def aeb_bodies() -> Iterator[dict]:
    """The hand-marked article bodies of the extraction benchmark."""
    for page_id, page in json.loads(AEB.read_text(encoding="utf-8")).items():
        paragraphs = [p.strip() for p in page["articleBody"].split("\n") if p.strip()]
        yield {"id": f"aeb-{page_id[:12]}", "title": "", "paragraphs": paragraphs}


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (a plain rule: good enough to cut and reflow text)."""
    return _SENTENCE_END.split(paragraph)


def truncate(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Keep the first 60-90% of the words, cut at a sentence end: a trimmed ending."""
    flat = [(i, s) for i, p in enumerate(paragraphs) for s in sentences(p)]
    total = sum(len(s.split()) for _, s in flat)
    budget, kept, words = rng.uniform(0.6, 0.9) * total, [], 0
    for i, sentence in flat:
        if kept and words + len(sentence.split()) > budget:
            break
        kept.append((i, sentence))
        words += len(sentence.split())
    return [" ".join(s for j, s in kept if j == i) for i in dict.fromkeys(i for i, _ in kept)]


def lead(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Keep only the first one to three paragraphs: a short copy, a news brief made of the story's lead (more
    when those hold fewer than ``LEAD_MIN_WORDS``: the cleaner drops a body that short)."""
    kept = rng.randint(1, min(3, max(len(paragraphs) - 1, 1)))
    while kept < len(paragraphs) and sum(len(p.split()) for p in paragraphs[:kept]) < LEAD_MIN_WORDS:
        kept += 1
    return paragraphs[:kept]


LEAD_MIN_WORDS = 25  # the clean stage's default ENRICH_MIN_BODY_WORDS


def retitle(paragraphs: list[str], rng: random.Random) -> list[str]:
    """An outlet's own headline above the story: the lead's first words, title-cased, or a kicker before them."""
    words = paragraphs[0].split()[: rng.randint(5, 9)]
    kicker = rng.choice(("", "UPDATE: ", "BREAKING: ", "Markets: ", "In brief: "))
    return [kicker + " ".join(w.capitalize() for w in words).rstrip(",.;:"), *paragraphs]


def boilerplate(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Outlet boilerplate above and/or below the story: the outlet's own lines, word for word the same on every
    story it runs (its copyright line names the year the story ran, ``COPYRIGHT_YEAR``)."""
    outlet = rng.choice(OUTLETS)
    rng.randint(1987, 2024)  # the year once drawn per copy: still drawn, so that the rest of a dev set is unchanged
    above = [f"Sign up for {outlet}'s morning newsletter to get the day's top stories in your inbox."]
    below = [
        f"Copyright {COPYRIGHT_YEAR} {outlet}. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed.",
        "Read more: Follow our live coverage and share your views in the comments below.",
    ]
    where = rng.choice(("above", "below", "both"))
    return (above if where != "below" else []) + paragraphs + (below if where != "above" else [])


def dateline(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Add a wire dateline and trailer, or strip the ones there."""
    first = paragraphs[0]
    stripped = re.sub(r"^[A-Z][A-Z .]+, \w+\.? \d+ \((Reuters|AP)\) - ", "", first)
    if stripped != first or paragraphs[-1].startswith("(Reporting"):
        last = paragraphs[-1] if not paragraphs[-1].startswith("(Reporting") else None
        return [stripped, *paragraphs[1:-1], *([last] if last else [])]
    city, month = rng.choice(CITIES), rng.choice(MONTHS)
    trailer = f"(Reporting by {rng.choice(REPORTERS)}; Editing by {rng.choice(REPORTERS)})"
    return [f"{city}, {month} {rng.randint(1, 28)} (Reuters) - {first}", *paragraphs[1:], trailer]


def reflow(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Other paragraph breaks and curly quotes: how another CMS lays the same text out."""
    out: list[str] = []
    for paragraph in paragraphs:
        parts = sentences(paragraph)
        if len(parts) > 1 and rng.random() < 0.5:
            cut = rng.randint(1, len(parts) - 1)
            out += [" ".join(parts[:cut]), " ".join(parts[cut:])]
        elif out and rng.random() < 0.3:
            out[-1] = f"{out[-1]} {paragraph}"
        else:
            out.append(paragraph)
    return [re.sub(r'"([^"]*)"', "\u201c\\1\u201d", p).replace("'", "\u2019") for p in out]


def word_edits(paragraphs: list[str], rng: random.Random) -> list[str]:
    """A few words changed by a copy editor: two to five swaps or deletions. Never a figure (a number, a number word,
    a fraction) nor a figure's unit: an editor who drops "seven" from "seven years", "billion" from "two billion
    dlrs" or "cent" from "0.50 cent" changes the news, not the wording, and a copy whose figures disagree with its
    story's is no light edit of it.

    The words are drawn as before figures were kept apart (among those not after a digit or a word of
    ``NUMBER_WORDS``), so that every later draw of a dev set is the same; a draw that falls on a figure or its unit
    leaves it as it is."""
    original = [p.split() for p in paragraphs]
    edited = [list(words) for words in original]
    drawn = [(i, j) for i, p in enumerate(original) for j in range(len(p)) if not (j and _is_amount(p[j - 1]))]
    for i, j in rng.sample(drawn, min(len(drawn), rng.randint(2, 5))):
        if not _is_figure_or_unit(original[i], j):
            word = edited[i][j]
            edited[i][j] = SWAPS.get(word.lower(), "" if len(word) > 3 and word.islower() else word)
    return [" ".join(w for w in p if w) for p in edited]


def _is_figure_or_unit(words: list[str], j: int) -> bool:
    return _is_figure(words[j]) or (j > 0 and _is_figure(words[j - 1]))


def _is_amount(word: str) -> bool:
    return any(c.isdigit() for c in word) or word.lower() in NUMBER_WORDS


def _is_figure(word: str) -> bool:
    """A figure whatever its form: digits (1.5, 6-1/16, 10th, mid-1986), a number word alone or in a compound
    ("seven", "five-year", "two-for-one", "one."), however punctuated."""
    return bool(_FIGURE_WORD.search(word))


def update(paragraphs: list[str], rng: random.Random, extra: list[str]) -> list[str]:
    """An "UPDATE 1-": one or two new paragraphs, after the lead or at the end."""
    added = extra[: rng.randint(1, 2)]
    if rng.random() < 0.5:
        return [paragraphs[0], *added, *paragraphs[1:]]
    return [*paragraphs, *added]


EDITS: dict[str, Edit] = {
    "lead": lead,
    "retitle": retitle,
    "truncate": truncate,
    "boilerplate": boilerplate,
    "dateline": dateline,
    "reflow": reflow,
    "word_edits": word_edits,
}
# The order a copy's edits are applied in, whichever it gets: what happens to the story's words first (the outlet
# keeps its lead or trims it, a copy editor changes words, the wire's update adds paragraphs), then its wire
# furniture (dateline and trailer), its headline, then its layout, and last the outlet's own wrapper. Applied in
# the order they were drawn, a trim after the wrapper could leave a "copy" holding little but the newsletter
# line, and a dateline could open the newsletter line: nothing an outlet publishes.
EDIT_ORDER = ("lead", "truncate", "word_edits", "update", "dateline", "retitle", "reflow", "boilerplate")


TEAMS = ("Arsenal", "Chelsea", "Everton", "Fulham", "Brentford", "Burnley", "Leeds", "Wolves", "Watford")
PLAYERS = ("Martinez", "Okafor", "Silva", "Johnson", "Nakamura", "Keller", "Duarte", "Ivanov", "Murphy")
WEATHER_CITIES = ("Boston", "Denver", "Seattle", "Atlanta", "Phoenix", "Detroit", "Miami", "Portland", "Dallas")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INDEXES = ("Dow Jones Industrial Average", "Nasdaq Composite", "FTSE 100", "DAX", "Nikkei 225", "CAC 40")
MOVERS = ("Boeing", "Siemens", "Toyota", "Unilever", "Intel", "Danone", "Sony", "Barclays", "Pfizer")


def sports_result(rng: random.Random) -> list[str]:
    """A match report from one template: other teams, scorers and scores."""
    home, away = rng.sample(TEAMS, 2)
    scorer, other = rng.sample(PLAYERS, 2)
    goals, against, minute = rng.randint(1, 4), rng.randint(0, 3), rng.randint(10, 89)
    return [
        f"{home} beat {away} {goals}-{against} at home on Saturday, with {scorer} scoring in the "
        f"{minute}th minute to lift his side to {rng.randint(20, 60)} points from {rng.randint(15, 30)} games.",
        f"{away} had taken the lead through {other} but could not hold on, and the visitors have now won "
        f"only {rng.randint(1, 8)} of their last {rng.randint(9, 15)} league matches.",
        f"{home} travel to {rng.choice(TEAMS)} next weekend while {away} host {rng.choice(TEAMS)}.",
    ]


def weather_report(rng: random.Random) -> list[str]:
    """A daily forecast from one template: other cities, temperatures and days."""
    city, day = rng.choice(WEATHER_CITIES), rng.choice(DAYS)
    high = rng.randint(40, 99)
    return [
        f"{city} can expect mostly sunny skies on {day} with a high of {high} degrees and a low of "
        f"{high - rng.randint(8, 25)} degrees, the National Weather Service said.",
        f"Winds will blow from the {rng.choice(('north', 'south', 'east', 'west'))} at {rng.randint(5, 25)} "
        f"miles per hour, with a {rng.randint(0, 60)} percent chance of showers in the evening.",
        f"The outlook for {rng.choice(DAYS)} calls for temperatures near {rng.randint(40, 99)} degrees.",
    ]


def market_close(rng: random.Random) -> list[str]:
    """A market wrap from one template: other indexes, moves, levels and movers."""
    index, mover, laggard = rng.choice(INDEXES), *rng.sample(MOVERS, 2)
    verb, level = rng.choice(("rose", "fell")), rng.randint(3000, 40000)
    return [
        f"The {index} {verb} {rng.randint(1, 400)}.{rng.randint(0, 99)} points, or "
        f"{rng.randint(0, 3)}.{rng.randint(1, 99)} percent, to close at {level:,}.{rng.randint(0, 99)} "
        f"on {rng.choice(MONTHS)} {rng.randint(1, 28)}, as investors weighed fresh economic data.",
        f"{mover} led the gainers, up {rng.randint(2, 9)}.{rng.randint(0, 9)} percent after its results, "
        f"while {laggard} was the biggest loser, down {rng.randint(1, 7)}.{rng.randint(0, 9)} percent.",
        f"Volume was {rng.randint(2, 9)}.{rng.randint(0, 9)} billion shares, against a "
        f"{rng.randint(20, 30)}-day average of {rng.randint(2, 9)}.{rng.randint(0, 9)} billion.",
    ]


TEMPLATES = {"sports": sports_result, "weather": weather_report, "market": market_close}

NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Every number word, for a copy editor to keep (``word_edits``): one to ninety, and the scales.
_FIGURE_WORD = re.compile(
    r"\d|(?<![a-z])(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
    r"|million|billion|trillion)(?![a-z])",
    re.IGNORECASE,
)
FRACTIONS = ("1/16", "1/8", "3/16", "1/4", "5/16", "3/8", "7/16", "1/2", "9/16", "5/8", "11/16", "3/4", "7/8")


def amount(rng: random.Random) -> str:
    """A wire amount: a number word ("two billion") or figures ("1.5 billion")."""
    if rng.random() < 0.5:
        return f"{rng.choice(NUMBER_WORDS[:4])} billion"
    return f"{rng.randint(1, 4)}.{rng.choice((25, 5, 75))} billion"


def rate(rng: random.Random) -> str:
    """A money-market rate in sixteenths, as the wire writes it: 6-1/16."""
    return f"{rng.randint(5, 7)}-{rng.choice(FRACTIONS)}"


def fed_repo(rng: random.Random) -> list[str]:
    """The Fed's daily market operation, one template, other amounts and rates (the day is the item's own)."""
    return [
        f"The Federal Reserve entered the U.S. Government securities market to arrange {amount(rng)} dlrs of "
        "customer repurchase agreements, a Fed spokesman said.",
        f"Dealers said Federal funds were trading at {rate(rng)} pct when the Fed began its temporary and "
        "indirect supply of reserves to the banking system.",
    ]


def heating_oil(rng: random.Random) -> list[str]:
    """A refiner's price notice, one template, other moves and prices."""
    move = rng.choice(("raised", "lowered"))
    cents = rng.choice(("0.50", "0.25", "one", "1.50", "two", "0.75"))
    return [
        f"{rng.choice(REFINERS)} said it {move} the price it charges contract barge customers for heating oil "
        f"in New York harbor by {cents} cent a gallon, effective today.",
        f"The company said the change brings its contract barge price to {rng.randint(40, 55)}."
        f"{rng.randint(0, 99):02d} cts a gallon.",
    ]


REFINERS = ("Sun Co", "Exxon Corp", "Chevron Corp", "Texaco Inc")
# Daily wire items from one template whose instances differ in a figure or two and in the day they ran.
RECURRING = {"fed_repo": fed_repo, "heating_oil": heating_oil}


# Days before an item whose lead a day's item must not repeat: a copy runs up to two days after its story, and a
# lead copy of a day's item that repeats an item of the day before, word for word, is that item's copy as much as
# its own (no decision could tell; a label that says otherwise is noise).
REPEAT_DAYS = 3


def recurring(family: str, rng: random.Random, count: int, start: float) -> list[tuple[list[str], float]]:
    """``count`` daily items of ``family`` on consecutive days from ``start``, each at about the same hour; an item
    whose first paragraph repeats one of the ``REPEAT_DAYS`` before is drawn again."""
    items: list[list[str]] = []
    for _ in range(count):
        item = RECURRING[family](rng)
        while any(item[0] == earlier[0] for earlier in items[-REPEAT_DAYS:]):
            item = RECURRING[family](rng)
        items.append(item)
    return [(item, start + day * 86400 + rng.uniform(-1800, 1800)) for day, item in enumerate(items)]


def templated(family: str, rng: random.Random, count: int) -> list[list[str]]:
    """``count`` stories from the template of ``family``: same words, other names and figures."""
    return [TEMPLATES[family](rng) for _ in range(count)]
