"""In-document entity resolution: trimmed mentions, normalised names, abbreviations, short forms, salience.

Input is the tagger's spans over one cleaned text; output is one ``Entity`` per distinct entity (normalised name
and label) with every mention, whose offsets slice the text to the mention's surface form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workers.records import Entity, Mention

__all__ = ["Span", "is_abbreviation", "resolve_entities", "salience"]

Span = tuple[int, int, str]  # start, end (exclusive) character offsets into the text, and the label

# A short form joins a full name only when both are tagged PERSON: a surname tagged ORG or GPE is as often a
# company or a place ("Ford", "Washington") as the person.
PERSON = "PERSON"
# Leading article and trailing possessive that spaCy sometimes keeps in a span: "the European Union", "Putin's".
LEADING_ARTICLE = re.compile(r"^the\s+")
TRAILING_POSSESSIVE = re.compile(r"['\u2019]s$")
# "Long Form (ABBR)": a parenthesised token of 2 to 12 characters right after a mention, without spaces.
DEFINITION = re.compile(r"\s*\(([^\s()]{2,12})\)")
# Salience mixes how often an entity is mentioned with how early it first appears; mentions weigh more, as a
# story's main actor recurs, while a lede can name several actors once.
FREQUENCY_WEIGHT = 0.6


@dataclass(slots=True)
class Found:
    """One mention being resolved: where it is, what it says, and the entity it belongs to so far."""

    start: int
    end: int
    surface: str
    name: str
    label: str


def resolve_entities(text: str, spans: Iterable[Span], variants: Mapping[str, str]) -> list[Entity]:
    """Distinct entities of ``text`` in order of first mention, each with its mentions and salience."""
    found = [mention for span in spans if (mention := _found(text, span, variants))]
    found = sorted(found + _define_abbreviations(text, found), key=lambda f: f.start)
    _join_short_forms(found)
    return _group(text, found)


def _found(text: str, span: Span, variants: Mapping[str, str]) -> Found | None:
    """The mention of a span without a leading "the" or a trailing "'s", with its normalised name."""
    start, end, label = span
    surface = text[start:end]
    if article := LEADING_ARTICLE.match(surface):
        start += article.end()
    if possessive := TRAILING_POSSESSIVE.search(text, start, end):
        end = possessive.start()
    surface = text[start:end]
    if not surface.strip():
        return None
    return Found(start, end, surface, normalised(surface, variants), label)


def normalised(surface: str, variants: Mapping[str, str]) -> str:
    """The entity name a surface form stands for: its listed variant's name, else itself, whitespace collapsed."""
    collapsed = " ".join(surface.split())
    return variants.get(collapsed, collapsed)


def _define_abbreviations(text: str, found: list[Found]) -> list[Found]:
    """Join every mention of an abbreviation defined as "Long Form (ABBR)" to its long form.

    Returns the parenthesised definitions that the tagger did not mark itself, as new mentions.
    """
    long_forms: dict[str, Found] = {}
    for mention in found:
        definition = DEFINITION.match(text, mention.end)
        if definition and is_abbreviation(definition[1], mention.surface):
            long_forms.setdefault(definition[1], mention)
    if not long_forms:
        return []
    tagged = {f.start for f in found}
    added = [
        Found(match.start(1), match.end(1), match[1], long.name, long.label)
        for abbreviation, long in long_forms.items()
        for match in re.finditer(rf"\(({re.escape(abbreviation)})\)", text)
        if match.start(1) not in tagged
    ]
    for mention in found:
        long = long_forms.get(mention.surface) or long_forms.get(mention.name)
        if long is not None:
            mention.name, mention.label = long.name, long.label
    return added


def is_abbreviation(short: str, long: str) -> bool:
    """Whether ``short`` abbreviates ``long``: its letters and digits appear in order, the first one starting a word.

    The test of Schwartz and Hearst (2003), without their window: ``long`` is already a tagged mention.
    """
    letters = [c.lower() for c in short if c.isalnum()]
    words = long.split()
    if len(letters) < 2 or sum(c.isupper() for c in short) < 2 or len(words) < 2 or len(short) >= len(long):
        return False
    if letters[0] != words[0][0].lower():
        return False
    position = 0
    lowered = long.lower()
    for letter in letters:
        position = lowered.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True


def _join_short_forms(found: list[Found]) -> None:
    """Give a PERSON mention that is the tail of exactly one full PERSON name in the text that full name."""
    full_names: dict[str, set[str]] = {}
    for mention in found:
        words = mention.name.split()
        if mention.label == PERSON and len(words) > 1:
            for k in range(1, len(words)):
                full_names.setdefault(" ".join(words[k:]), set()).add(mention.name)
    for mention in found:
        candidates = full_names.get(mention.name, set()) if mention.label == PERSON else set()
        if len(candidates) == 1:
            mention.name = next(iter(candidates))


def _group(text: str, found: list[Found]) -> list[Entity]:
    """One entity per (name, label), in order of first mention; its text is its longest surface form."""
    groups: dict[tuple[str, str], list[Found]] = {}
    for mention in found:
        groups.setdefault((mention.name, mention.label), []).append(mention)
    most = max((len(mentions) for mentions in groups.values()), default=0)
    return [
        Entity(
            name=name,
            text=max((m.surface for m in mentions), key=len),
            label=label,
            count=len(mentions),
            salience=salience(len(mentions), most, mentions[0].start, len(text)),
            mentions=[Mention(start=m.start, end=m.end, text=m.surface) for m in mentions],
        )
        for (name, label), mentions in groups.items()
    ]


def salience(count: int, most: int, first_start: int, text_length: int) -> float:
    """A score in [0, 1] from the entity's share of mentions (against the most mentioned) and its first position."""
    frequency = count / most
    position = 1 - first_start / max(text_length, 1)
    return round(FREQUENCY_WEIGHT * frequency + (1 - FREQUENCY_WEIGHT) * position, 4)
