"""An article sent as itself (a full-text feed, a wire API): kept whole, only its hard wraps joined.

Nothing of such a body is furniture: its tables of figures, lists of names and one-line quotes are the article.
The only judgement left is whether anything in it reads as an article at all.
"""

from __future__ import annotations

from workers.clean.normalize import word_count
from workers.clean.pagetext import is_paragraph, unwrap

# Words a line needs to read as part of an article ("Pay April 15" of a dividend notice has three); a body
# whose every line is shorter, a prompt or a bare date ("Home", "Sign in", "12 minutes ago") holds no article.
ARTICLE_LINE_WORDS = 3


def body_paragraphs(body: str) -> list[str]:
    """The body's paragraphs, table rows and list items: a hard-wrapped paragraph joined into one line."""
    return unwrap(body.splitlines())


def is_article_like(line: str) -> bool:
    """True when the line could be a line of an article: a few words, and not a prompt or a bare date."""
    return word_count(line) >= ARTICLE_LINE_WORDS and is_paragraph(line)
