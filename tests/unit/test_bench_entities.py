"""The entities bench's articles: only first copies the entities stage tags, read from the shared Reuters corpus."""

from itertools import islice

from bench.entities import CORPUS, first_copies, reuters_stories

TABLE = "reuters21578-2221"  # a dividend table: cleaned with no language (py3langid's guess under 0.5)


def test_first_copies_leave_out_an_article_of_no_language() -> None:
    # Reuters 2221 is the 276th long story: three before it and three after.
    stories = list(islice(reuters_stories(CORPUS), 272, 279))
    assert stories[3][0] == TABLE
    articles = first_copies(stories, "Reuters", 5)
    assert TABLE not in [article.id for article in articles]
    assert [article.language for article in articles] == ["en"] * 5
    assert [article.id for article in articles] == [story_id for story_id, _, _ in stories if story_id != TABLE][:5]
