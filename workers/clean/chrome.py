"""Page furniture recognised by its wording: end-of-article markers, prompt lines and script code, in HTML and page
text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\.")  # a backslash and the character it escapes: \S, \W, \b, \u


@dataclass(frozen=True, slots=True)
class Caseless:
    """A case-insensitive pattern, read on ASCII text through its twin compiled to match case on the text made
    lower case: the same matches (lower-cased), about twice as fast, since the engine skips an alternative at its
    first letter only when case counts. Non-ASCII text goes to the pattern itself: Unicode case folding matches
    more than lower case does ("\u017f" for "s", the Kelvin sign for "k")."""

    pattern: re.Pattern[str]
    twin: re.Pattern[str]

    @classmethod
    def compile(cls, source: str, flags: int = 0) -> Caseless:
        """Both patterns of ``source``, whose letters (escapes aside) must be lower case for the twin to match."""
        if any(map(str.isupper, _ESCAPE.sub("", source))):
            raise ValueError("a caseless pattern's letters must be lower case")
        return cls(re.compile(source, flags | re.IGNORECASE), re.compile(source, flags))

    def match(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The pattern's match at the start of the text; ``lowered``: the text's lower case, if the caller has it."""
        if not text.isascii():
            return self.pattern.match(text)
        return self.twin.match(text.lower() if lowered is None else lowered)

    def search(self, text: str) -> re.Match[str] | None:
        """The pattern's first match in the text."""
        return self.twin.search(text.lower()) if text.isascii() else self.pattern.search(text)

    def findall(self, text: str, lowered: str | None = None) -> list[str]:
        """The pattern's matches in the text (lower-cased when the text is ASCII); ``lowered`` as for ``match``."""
        if not text.isascii():
            return self.pattern.findall(text)
        return self.twin.findall(text.lower() if lowered is None else lowered)


# A line that starts the page furniture after an article: related stories, comments, recommendations.
END_OF_ARTICLE = Caseless.compile(
    r"""^(?:(?:more\s+)?related(?:\s+(?:articles?|stories|news|content|posts|coverage|links|topics|videos?))?|
    more\s+(?:from|on|stories|news|in|about)\b.*|(?:read|see)\s+(?:more|next|also)\b.*|(?:also\s+)?read\s+this\b.*|
    recommended(?:\s+(?:for\s+you|stories|articles|reading|videos?))?|you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy)\b.*|
    (?:\d+\s+)?comments?(?:\s*\(\d+\))?|\d+\s+(?:comments?|responses?|replies)\b.*|\d*\s*responses?\s+to\b.*|no\s+comments\s+yet.*|(?:leave|post|add|write)\s+a\s+(?:comment|reply)\b.*|
    join\s+the\s+(?:conversation|discussion)\b.*|discussion|show\s+comments|view\s+comments|
    try\s+our\s+ai\s+features|explore\s+what\b.*|most\s+(?:read|popular|viewed|shared|commented)\b.*|
    trending(?:\s+(?:now|stories|news))?|(?:the\s+)?latest(?:\s+(?:news|stories|headlines|articles|videos?))?|
    top\s+stories|popular\s+(?:now|stories|posts)|what\s+to\s+read\s+next|up\s+next|
    sponsored(?:\s+(?:content|stories|links))?|promoted\s+(?:content|stories|links)|(?:about\s+the\s+author|more\s+by\s+this\s+author))[\s.:!]*$""",
    re.VERBOSE,
)
# Lines that are furniture wherever they stand: share, subscribe, cookie, sign-in and newsletter prompts.
CHROME_LINE = Caseless.compile(
    r"""^(?:share(?:\s+(?:on|via|this)\s+\w+)?|tweet|e-?mail|print|copy\s+link|save|whatsapp|facebook|twitter|
    linkedin|pinterest|reddit|subscribe\b.*|sign\s+(?:in|up)\b.*|log\s*in|register|follow\s+us\b.*|
    we\s+use\s+cookies\b.*|accept(?:\s+all)?(?:\s+cookies)?|advertisement|advertising|ad|skip\s+to\b.*|menu|home|
    search|close|next|previous|back\s+to\s+top|image|photo|video|(?:image|photo|video)\s*(?:credit|source)?:.*|
    getty\s+images|click\s+(?:here|to)\b.*|listen\s+to\s+(?:this\s+)?(?:article|story)\b.*|
    (?:like|love|enjoy(?:ed)?)\s+this\s+(?:story|article|post)\b.*|get\s+the\s+latest\b.*|
    (?:sign\s+up|subscribe)\s+(?:for|to)\b.*|
    (?:related|read\s+more|see\s+also|also\s+read|more|watch)\s*:.*|(?:copyright\b|\u00a9).*)[\s.:!]*$""",
    re.VERBOSE,
)
# Notices that make a line furniture wherever they stand in it. Searched apart from the prompts above, and only
# in lines holding their key word: as a ".*" alternative of CHROME_LINE they made every long line of prose
# backtrack through each of its characters.


@dataclass(frozen=True, slots=True)
class WordThen:
    """A line holding ``word`` and, after it on the same line, ``then``: the pattern ``word.*then`` searched in
    time linear in the line. As one pattern, every occurrence of the word read the rest of its line again when the
    second word was missing: a line of "newsletter " repeated took time quadratic in its length (64 KiB, 20 s of
    CPU; a raw message's 2 MiB, hours)."""

    word: re.Pattern[str]
    then: re.Pattern[str]  # matched from the word's end, within its line

    def search(self, line: str) -> re.Match[str] | None:
        """The ``then`` after the first occurrence of the word on some line of ``line`` (the first has the most of
        its line after it), each line read once."""
        start = 0
        while (word := self.word.search(line, start)) is not None:
            if (found := self.then.match(line, word.end())) is not None:
                return found
            start = line.find("\n", word.end()) + 1
            if not start:
                return None
        return None


_NEWSLETTER = WordThen(
    re.compile(r"\bnewsletters?\b", re.IGNORECASE), re.compile(r".*?(?:inbox|sign\s+up|subscribe)\b", re.IGNORECASE)
)
_RIGHTS = re.compile(r"\ball\s+rights\s+reserved\b", re.IGNORECASE)
# Cookie banners: scrapers keep the consent text that a browser hides once accepted, often several paragraphs.
_COOKIES = re.compile(
    r"""\b(?:this\s+(?:web)?site|we|our\s+(?:web)?site)\s+uses?\s+cookies\b|\bcookies?\s+(?:policy|settings|preferences)\b|
    \bnecessary\s+cookies\b|\baccept\s+(?:all\s+)?cookies\b|\bcookies\b.{0,80}\b(?:opt[- ]out|consent)\b|
    \bconsent\b.{0,80}\bcookies\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Photo captions and credits, which article bodies never hold: "(AP Photo/Alan Diaz)", "(Image: Getty)",
# "Photo by Jason Kempin/Getty Images", "... REUTERS/Brendan McDermid", "In this Dec. 12, 2006, file photo, ...".
_CAPTION = re.compile(
    r"""\((?:(?:AP|AFP|EPA|PA|Reuters|Getty)\s+)?(?:photo|image|picture|photograph)s?(?:\s+(?:credit|courtesy))?\s*
    (?::|/|by\b)[^()]*\)|\(credit:[^()]*\)|
    (?:\b(?:photo|image|picture|photograph)s?(?:\s+(?:credit|courtesy))?\s*(?::|by\b)\s*[^\s.!?][^.!?]{0,80}|
    \bREUTERS/[^\W\d][^.!?]{0,60}|\bGetty\s+Images\b[^.!?]{0,40})\s*$|
    ^(?:file\s+photo\b|(?:in\s+)?this\s+.{0,40}?\bfile\s+photo\b)""",
    re.IGNORECASE | re.VERBOSE,
)
# Each notice with the lower-case words one of which its lines must hold, a cheap test before the search.
_NOTICES: tuple[tuple[tuple[str, ...], re.Pattern[str] | WordThen], ...] = (
    (("newsletter",), _NEWSLETTER),
    (("reserved",), _RIGHTS),
    (("cookie",), _COOKIES),
    (("photo", "image", "picture", "getty", "reuters/", "credit"), _CAPTION),
)


# A dateline of a card or a comment: "12 minutes ago", "November 19, 2019 at 6:34 am", "2019-11-19 06:34".
TIMESTAMP = Caseless.compile(
    r"""^(?:(?:updated|published|posted)\s*:?\s*)?(?:
    (?:an?|\d+)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago|yesterday|today|
    (?:\w+,?\s+)?(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?
    (?:\s+\d{4})?|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}|
    \d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}:\d{2})
    (?:[\s,|\-\u2013\u2014]+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?[\s.|]*$""",
    re.VERBOSE,
)


TIMESTAMP_CHARS = 60  # a date line is short


def is_timestamp(line: str, lowered: str | None = None) -> bool:
    """True when the line is a bare date or time, as cards, comments and bylines show them (``lowered``: the line
    in lower case, when the caller has it)."""
    return len(line) <= TIMESTAMP_CHARS and TIMESTAMP.match(line, lowered) is not None


# Brackets, bars, dashes and bullets that decorate a heading: "[ 167 comments ]", "— Related Stories —".
HEADING_DECORATION = "[](){}|*#=\u2022\u2013\u2014- "


def is_end_marker(line: str, lowered: str | None = None) -> bool:
    """True when the line, decoration aside, opens the furniture that follows an article (``lowered``: the line in
    lower case, when the caller has it; the decoration holds no letter, so it strips alike)."""
    if len(line) > 60:  # markers are headings, never long
        return False
    stripped = None if lowered is None else lowered.strip(HEADING_DECORATION)
    return END_OF_ARTICLE.match(line.strip(HEADING_DECORATION), stripped) is not None


# Script or style code that a page shows as text (a damaged page whose <script> tag was cut, resiliparse's main
# content running a script into one line): a block in curly braces holding a statement's end or an assignment,
# "function f() { x = 1; }", "a { color: red; }". Prose has little use for braces: no Reuters item holds a pair,
# no annotated AEB or L3S-GN1 article line holds one, and the page lines holding both are script code or templates
# ("{* name *}", no statement). A sentence quoting a set or JSON ("{1, 2, 3}; analysts said") is prose: the ";" or
# "=" must stand inside the block, or the braced line hold three (a review's case, not fitted: "if (a) { f() } b=c;").
CODE_BLOCK = re.compile(r"\{[^{}]*[;=][^{}]*\}")
CODE_MARKS = 3


def is_code(line: str) -> bool:
    """True when the line reads as script or style code: a block in curly braces holding a ``;`` or ``=``, or a line
    with braces and ``CODE_MARKS`` of them."""
    if "{" not in line or "}" not in line:
        return False
    return CODE_BLOCK.search(line) is not None or line.count(";") + line.count("=") >= CODE_MARKS


def is_chrome(line: str, lowered: str | None = None) -> bool:
    """True when the line is a prompt, label, notice, photo caption or script code of the page, not part of any
    article (``lowered``: the line in lower case, when the caller has it)."""
    if is_code(line):
        return True
    lowered = line.lower() if lowered is None else lowered
    if CHROME_LINE.match(line, lowered) is not None:
        return True
    for words, notice in _NOTICES:  # plain loops: nested generators cost more than the searches they spare
        for word in words:
            if word in lowered:
                if notice.search(line) is not None:
                    return True
                break
    return False
