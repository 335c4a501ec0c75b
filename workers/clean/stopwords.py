"""Stopword lists by ISO 639-1 code, from the ones jusText ships (no download)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import justext

PROSE_MIN_STOPWORDS = 0.2  # share of stopwords below which a line is a list of names or keywords, not a sentence

# ISO 639-1 codes (as py3langid returns them) of the languages jusText has a stoplist for.
_JUSTEXT_NAMES: dict[str, str] = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "az": "Azerbaijani",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "bs": "Bosnian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "eo": "Esperanto",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "is": "Icelandic",
    "it": "Italian",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "ms": "Malay",
    "nl": "Dutch",
    "nn": "Norwegian_Nynorsk",
    "no": "Norwegian_Bokmal",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
}


@cache
def stoplist(language: str | None) -> frozenset[str]:
    """The language's stopwords, lower case; empty when jusText has no list for it."""
    name = _JUSTEXT_NAMES.get(language or "")
    return justext.get_stoplist(name) if name else frozenset()


@cache
def any_stoplist() -> frozenset[str]:
    """The stopwords of every language jusText has a list for, lower case."""
    return frozenset().union(*map(stoplist, _JUSTEXT_NAMES))


def full_of_stopwords(lowered: Iterable[str], words: int, stopwords: frozenset[str]) -> bool:
    """True when the stopwords are ``PROSE_MIN_STOPWORDS`` of a text's ``words`` words (``lowered``: in lower case),
    or there are no stopwords to count."""
    return _full_of_stopwords([lowered], words, stopwords)


def lines_full_of_stopwords(lines: list[list[str]], stopwords: frozenset[str]) -> bool:
    """``full_of_stopwords`` of the words of ``lines`` (each a list of words in lower case) read together, counted a
    line at a time until the count is enough: a page's prose is about twice as full as it needs to be."""
    return _full_of_stopwords(lines, sum(map(len, lines)), stopwords)


def _full_of_stopwords(parts: Iterable[Iterable[str]], words: int, stopwords: frozenset[str]) -> bool:
    """The rule of both: the stopwords of ``parts`` (words in lower case, ``words`` in all) counted a part at a time,
    until they are ``PROSE_MIN_STOPWORDS`` of the words; true without stopwords to count."""
    if not stopwords:
        return True
    least = PROSE_MIN_STOPWORDS * words
    found = 0
    for part in parts:
        if found >= least:
            return True
        found += sum(map(stopwords.__contains__, part))
    return found >= least
