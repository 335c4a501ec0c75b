"""In-document entity resolution: trimmed mentions, normalised names, abbreviations, short forms, salience.

Input is the tagger's spans over one cleaned text and over its title; output is one ``Entity`` per distinct
entity (normalised name) with every mention, whose offsets slice the text (``mentions``) or the title
(``title_mentions``) to the mention's surface form.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workers.records import Entity, Mention

__all__ = ["Span", "is_abbreviation", "resolve_entities", "salience", "trimmed"]

Span = tuple[int, int, str]  # start, end (exclusive) character offsets into the text, and the label

# Person labels of the models: OntoNotes' (English) and WikiNER's (French and most other spaCy languages).
PERSON_LABELS = frozenset({"PERSON", "PER"})
# What spaCy sometimes keeps in a span before or after the name: "the European Union", "l'OTAN" (French elided
# articles, lower case: "L'Oréal" keeps its "L'"), "Putin's".
LEADING_ARTICLE = re.compile(r"^(?:the\s+|[ld]['\u2019](?=\w))")
TRAILING_POSSESSIVE = re.compile(r"['\u2019]s$")
# What no name begins or ends with, which a model can keep at a span's edge ("🚀🚀 Apple Inc.", "Coca-Cola®"): other
# symbols (emoji, ®, ™) and modifier symbols (an emoji's skin tone), format characters (an emoji sequence's zero-width
# joiner) and variation selectors, and spaces. Maths and currency symbols are kept: "Disney+", "C++", "$".
_EDGE_CATEGORIES = frozenset(("So", "Sk", "Cf", "Zs"))
_VARIATION_SELECTORS = frozenset(map(chr, range(0xFE00, 0xFE10)))
# "Long Form (ABBR)": a parenthesised token of 2 to 12 characters right after a mention, without spaces.
DEFINITION = re.compile(r"\s*\(([^\s()]{2,12})\)")
# Salience mixes how often an entity is mentioned with how early it first appears; mentions weigh more, as a
# story's main actor recurs, while a lede can name several actors once. The title is the article's start, and
# its mentions count with the body's: the people in the headline are the story's main actors.
FREQUENCY_WEIGHT = 0.6


@dataclass(slots=True)
class Found:
    """One mention being resolved: where it is (in the title or the text), what it says, its entity so far."""

    start: int
    end: int
    surface: str
    name: str
    label: str
    in_title: bool = False


def resolve_entities(
    text: str, spans: Iterable[Span], variants: Mapping[str, str], title: str = "", title_spans: Iterable[Span] = ()
) -> list[Entity]:
    """Distinct entities of ``text`` and its ``title``, in order of first mention (the title's first)."""
    body = [mention for span in spans if (mention := _found(text, span, variants))]
    heading = [mention for span in title_spans if (mention := _found(title, span, variants, in_title=True))]
    body = sorted(body + _define_abbreviations(text, body, heading), key=lambda f: f.start)
    found = heading + body
    _join_short_forms(found)
    return _group(text, found)


def _found(text: str, span: Span, variants: Mapping[str, str], in_title: bool = False) -> Found | None:
    """The mention of a span without symbols at its edges (``_is_edge``), a leading article or a trailing "'s", with
    its normalised name."""
    start, end = trimmed(text, span[0], span[1])
    surface = text[start:end]
    if not surface.strip():
        return None
    return Found(start, end, surface, normalised(surface, variants), span[2], in_title)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span ``text[start:end]`` without symbols at its edges (``_is_edge``), a leading article or a trailing
    "'s": what a mention keeps of a tagger's span."""
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    if article := LEADING_ARTICLE.match(text[start:end]):
        start += article.end()
    if possessive := TRAILING_POSSESSIVE.search(text, start, end):
        end = possessive.start()
    return start, end


def _is_edge(character: str) -> bool:
    """Whether a span's first or last character is none of a name's (``_EDGE_CATEGORIES``)."""
    return (
        character.isspace() or character in _VARIATION_SELECTORS or unicodedata.category(character) in _EDGE_CATEGORIES
    )


def normalised(surface: str, variants: Mapping[str, str]) -> str:
    """The entity name a surface form stands for: its listed variant's name, else itself, whitespace collapsed."""
    collapsed = " ".join(surface.split())
    return variants.get(collapsed, collapsed)


def _define_abbreviations(text: str, found: list[Found], heading: list[Found]) -> list[Found]:
    """Join every mention of an abbreviation defined in the text as "Long Form (ABBR)" to its long form.

    ``found`` are the text's mentions, ``heading`` the title's. Returns the parenthesised definitions that the
    tagger did not mark itself, as new mentions of the text.
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
    for mention in heading + found:
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
    """Give a mention that is the tail of exactly one full person's name in the article that full name.

    Whatever the mention's own label: the model that tagged "Donald Trump" PERSON can tag a later "Trump" ORG.
    """
    full_names: dict[str, set[str]] = {}
    for mention in found:
        words = mention.name.split()
        if mention.label in PERSON_LABELS and len(words) > 1:
            for k in range(1, len(words)):
                full_names.setdefault(" ".join(words[k:]), set()).add(mention.name)
    for mention in found:
        candidates = full_names.get(mention.name, set())
        if len(candidates) == 1:
            mention.name = next(iter(candidates))


def _group(text: str, found: list[Found]) -> list[Entity]:
    """One entity per normalised name, in order of first mention; its text is its longest surface form."""
    groups: dict[str, list[Found]] = {}
    for mention in found:
        groups.setdefault(mention.name, []).append(mention)
    most = max((len(mentions) for mentions in groups.values()), default=0)
    return [
        Entity(
            name=name,
            text=max((m.surface for m in mentions), key=len),
            label=label_of(mentions),
            count=sum(not m.in_title for m in mentions),
            salience=salience(len(mentions), most, 0 if mentions[0].in_title else mentions[0].start, len(text)),
            mentions=[_mention(m) for m in mentions if not m.in_title],
            title_mentions=[_mention(m) for m in mentions if m.in_title],
        )
        for name, mentions in groups.items()
    ]


def _mention(found: Found) -> Mention:
    return Mention(start=found.start, end=found.end, text=found.surface)


def label_of(mentions: list[Found]) -> str:
    """One label per entity: the most frequent among its longest mentions (the fullest name), the first on a tie.

    "Donald Trump" (PERSON) decides for the "Trump" the model called ORG; a name that is always as long (the
    same word tagged two ways) takes the label most of its mentions have.
    """
    longest = max(len(m.surface) for m in mentions)
    labels = Counter(m.label for m in mentions if len(m.surface) == longest)
    return labels.most_common(1)[0][0]  # Counter keeps first-seen order among equal counts


def salience(count: int, most: int, first_start: int, text_length: int) -> float:
    """A score in [0, 1] from the entity's share of mentions (against the most mentioned) and its first position."""
    frequency = count / most
    position = 1 - first_start / max(text_length, 1)
    return round(FREQUENCY_WEIGHT * frequency + (1 - FREQUENCY_WEIGHT) * position, 4)
