"""Article body out of scraped page text: the tags are gone, the page chrome is not."""

from __future__ import annotations

import re

from workers.clean.normalize import normalize_line

# A line that starts the page furniture after an article: everything from it on is chrome.
_END_OF_ARTICLE = re.compile(
    r"""^(?:related\s+(?:articles?|stories|news|content|posts)|more\s+(?:from|on|stories|news)\b.*|
    read\s+(?:more|next|also)\b.*|recommended(?:\s+for\s+you)?|you\s+may\s+(?:also\s+)?like.*|
    comments?(?:\s*\(\d+\))?|no\s+comments\s+yet.*|leave\s+a\s+(?:comment|reply)|
    try\s+our\s+ai\s+features|explore\s+what\b.*|most\s+(?:read|popular|viewed)|trending(?:\s+now)?|
    latest\s+(?:news|stories)|sponsored(?:\s+content)?|advertisement|share\s+this\s+(?:article|story))[.:!]*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines that are chrome wherever they stand: share, subscribe, cookie and sign-in prompts.
_CHROME_LINE = re.compile(
    r"""^(?:share(?:\s+(?:on|via)\s+\w+)?|tweet|email|print|copy\s+link|subscribe\b.*|sign\s+(?:in|up)\b.*|
    log\s*in|register|follow\s+us\b.*|we\s+use\s+cookies\b.*|accept(?:\s+all)?(?:\s+cookies)?|
    advertisement|skip\s+to\s+(?:main\s+)?content|menu|home|search)[.:!]*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"\w+")
MIN_PARAGRAPH_WORDS = 4  # shorter lines in a body are labels, bylines or buttons, not paragraphs
MAX_TITLE_CHARS = 250  # longer first lines are paragraphs, not headlines


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def looks_like_headline(line: str) -> bool:
    """A headline: a few words, not too long, not ending like a sentence of body text."""
    return _words(line) >= 3 and len(line) <= MAX_TITLE_CHARS and not line.endswith((".", ":", ";", ","))


def split_page_text(page: str) -> tuple[str | None, list[str]]:
    """Title (the first line when it reads as a headline) and body paragraphs of a page's text."""
    lines = [normalize_line(raw) for raw in page.splitlines()]
    lines = [line for line in lines if line]
    title = lines[0] if lines and looks_like_headline(lines[0]) else None
    paragraphs: list[str] = []
    for line in lines[1 if title else 0 :]:
        if _END_OF_ARTICLE.match(line) and paragraphs:
            break
        if _CHROME_LINE.match(line) or _words(line) < MIN_PARAGRAPH_WORDS:
            continue
        paragraphs.append(line)
    return title, paragraphs
