"""The language the clean stage publishes: py3langid's guess when the text gives enough evidence of it, else none.

Reuters tables, AEB and L3S-GN1 pages are read from ``../shared`` (their licences keep them out of the repository).
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection
from itertools import count, cycle

import numpy as np
import pytest
from py3langid.langid import LanguageIdentifier, visit_counts

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, DEFAULT_REUTERS, load_page, load_reuters
from tests.conftest import raw
from tests.languages import ARTICLES, CHINESE, raw_article
from workers import codec
from workers.clean import CleanOptions, clean_article
from workers.clean.html import extract_html, load_html
from workers.clean.language import (
    FEATURE_BYTES,
    LANGUAGE_MIN_PROBABILITY,
    LANGUAGE_SAMPLE_CHARS,
    LanguageGuess,
    _identifier,
    _WindowedIdentifier,
    guess_language,
)
from workers.clean.normalize import has_unspaced_script
from workers.clean.pagetext import article_of, prose_lines, read_page_lines
from workers.clean.render import render_tree
from workers.clean.stopwords import stoplist
from workers.nlp import load_pipelines
from workers.pipeline import CleanStage, EntitiesStage, Message
from workers.records import Origin
from workers.settings import Settings

ORIGIN = Origin(topic="t", partition=0, offset=0, timestamp_ms=None)
# Reuters 0-2,999 (the set the bound was chosen on): earnings and dividend tables in English, with the language
# py3langid guesses for them (the stage published it before the bound).
TABLES = {
    "reuters21578-14": "pcm",  # Shr one dlr vs 73 cts / Net 12.6 mln vs 15.8 mln / Revs 337.3 mln vs 315 ...
    "reuters21578-86": "pcm",  # Qtly div two cts vs 1.7 cts / Pay March 26 / Record March 12
    "reuters21578-38": "zxx",  # "no linguistic content"
    "reuters21578-533": "vo",  # Volapuk
    "reuters21578-976": "wa",  # Walloon
    "reuters21578-36": "en",  # Qtly div eights cts vs 7.5 cts prior / Pay March 31 / Record March 13
}
# Reuters 0-2,999's English sentences that py3langid is least sure of (0.84 and 0.85).
SENTENCES = ("reuters21578-3076", "reuters21578-1394")
# Reuters 0-2,999's items in English that py3langid names Nigerian Pidgin at even odds or more (0.50-0.82): earnings
# tables and one sentence with figures. No stoplist for pcm; a fifth or more of their words (0.48-0.64) are stopwords
# of languages with one.
PIDGIN = (
    "reuters21578-649",  # Shr 73 cts vs 58 cts / Shr diluted 69 cts vs 54 cts / Net 1,101,000 vs 901,000
    "reuters21578-1525",  # Shr 13 cts vs 41 cts / Net 1,079,100 vs 3,535,205 (0.50)
    "reuters21578-1752",
    "reuters21578-1768",
    "reuters21578-2304",
    "reuters21578-2337",
    "reuters21578-2985",  # The Bangladesh trade deficit narrowed to 1.91 billion Taka in October ... (0.82)
)
# An AEB page whose prose py3langid gives Indonesian at 0.72: the page's guess published at the bound, not at 0.8.
INDONESIAN_PAGE = "21486419bb109c5a62a68957f528e6ff29c92f58d8d3c1f2837c86ff3f3e11f9"
# A Japanese AEB page (no stoplist for Japanese) whose prose holds Latin words that are stopwords of listed languages:
# "for" (three times), "PC", "alt": 5 of its 30 words counted by spaces, of 210 counted two characters a word.
JAPANESE_PAGE = "f105de6e63ca91ea482f60193f6252092557f969f2fd128ff68c0d4d6b90dd7d"
# AEB pages in other languages than English, and the one L3S-GN1 page below (in English).
PAGES = {
    "0ec95c7261d122f304728e90c983450ef1ce1e0b423546835c397d50aaf0d0f2": "ko",
    "11ea381ad92b5448cf66eae62f52ac565361a244c8881615fc6a7bb523cc0c32": "pt",
    "20b2b64916b00b25203c9f1bf14248922f4d522f18328e9f876cce116df0083e": "it",
    INDONESIAN_PAGE: "id",  # py3langid's guess for the page's prose: 0.72
    "3c6d3381ef52ca26be2fbde19c1b0fe17d85682b726dfecf5e300c1ca34546b1": "ru",
    "57b4dafd18cfd0531b69f81e87158648227c673ef159f8d8c87d34e34bdb21f2": "de",
    "85439e26c41c75901820d01a13e8cea7836abb58635ea3986f71a163ab0311d3": "ja",
    JAPANESE_PAGE: "ja",
}
# An L3S-GN1 page whose longer lines are its scripts' code: py3langid's guess for them is English at 0.20.
SCRIPT_PAGE = "8cad55ae-6c20-41d6-9bf4-3f5e555137ce"


def stories(ids: Collection[str]) -> dict[str, str]:
    """Reuters 0-2,999's bodies of these ids."""
    return {found: text for found, text in load_reuters(DEFAULT_REUTERS, 0, 3000) if found in ids}


def clean(**fields: str) -> dict:
    return dict(clean_article(raw(**fields), ORIGIN, CleanOptions()))


def published_and_guessed(ids: Collection[str]) -> dict[str, tuple[str | None, LanguageGuess]]:
    """Each Reuters 0-2,999 story's published language and py3langid's guess on its cleaned text (the record checked
    against the schema)."""
    found = stories(ids)
    assert len(found) == len(ids)
    languages = {}
    for story_id, text in found.items():
        article = clean(text=text)
        codec.check("clean", article)
        languages[story_id] = (article["language"], guess_language(article["text"]))
    return languages


def test_a_wire_table_is_published_without_a_language() -> None:
    """py3langid names a language for each table, but gives it less than even odds: no language is published."""
    for story_id, (language, guess) in published_and_guessed(TABLES).items():
        assert (guess.language, language) == (TABLES[story_id], None), story_id
        assert guess.probability < LANGUAGE_MIN_PROBABILITY


def test_english_read_as_a_language_without_a_stoplist_is_published_without_a_language() -> None:
    """py3langid gives Nigerian Pidgin even odds or more, but the words are those of languages with a stoplist."""
    assert stoplist("pcm") == frozenset()
    for story_id, (language, guess) in published_and_guessed(PIDGIN).items():
        assert (guess.language, guess.words_agree, language) == ("pcm", False, None), story_id
        assert guess.probability >= LANGUAGE_MIN_PROBABILITY


def test_a_text_of_no_language_is_published_without_one() -> None:
    """Letters and figures of no words: py3langid is sure of "no linguistic content" (`zxx`), which is no language
    the text is written in, so none is published (consumer21 saw `zxx` on an enriched record)."""
    body = "qwx zzkv plo 123 4567 ## ++ kkk mmm ttt vvv 88 99 00"
    guess = guess_language(body)
    assert (guess.language, guess.probability >= LANGUAGE_MIN_PROBABILITY) == ("zxx", True)
    assert clean(body=body)["language"] is None


# review23's sentences in Latin-script languages without a stoplist (BBC Hausa and Somali are news feeds): py3langid
# is sure of them (0.999 or more) and gives the languages with a stoplist under 0.001; a fifth or more of their words
# are short words some stoplist holds ("ta", "a", "ku", "li", "il", "d").
SURE_WITHOUT_STOPLIST = {
    "ha": "Gwamnatin Najeriya ta sanar a ranar Asabar cewa za ta kara albashin ma'aikata daga watan gobe. Ministan kudi"
    " ya ce an amince da karin ne bayan tattaunawa da kungiyoyin kwadago.",
    "so": "Dowladda Soomaaliya ayaa maanta ku dhawaaqday in ay kordhin doonto mushaharka shaqaalaha dowladda laga"
    " bilaabo bisha soo socota, sida uu sheegay wasiirka maaliyadda.",
    "uz": "O'zbekiston hukumati bugun kelgusi yil uchun davlat byudjeti loyihasini ma'qulladi. Moliya vazirining"
    " so'zlariga ko'ra, byudjet xarajatlari o'n foizga oshadi.",
    "lb": "D'Regierung huet haut de Budget fir d'nächst Joer virgestallt. De Finanzminister sot, datt d'Ausgabe ëm"
    " fënnef Prozent an d'Luucht ginn, well d'Investitiounen an d'Schoulen an d'Spideeler wichteg sinn.",
    "mt": "Il-Gvern ħabbar illum li se jżid il-pensjonijiet mis-sena d-dieħla. Il-Ministru tal-Finanzi qal li l-baġit"
    " se jkun iffukat fuq l-edukazzjoni u s-saħħa, u li l-ekonomija qed tikber b'mod sod.",
    "ht": "Gouvènman an te anonse jodi a ke li pral ogmante salè minimòm travayè yo nan faktori yo. Minis la di"
    " desizyon sa a ap antre an vigè nan mwa pwochen.",
}
# review23's Japanese and Chinese sentences quoting one English sentence (py3langid: 1.00 and 0.79, the Chinese
# doubt on Wu and Cantonese, which have no stoplist either).
QUOTING_ENGLISH = {
    "ja": "大谷翔平選手は試合後、「I just want to help the team win」と英語で語った。ドジャースは5対3で勝利した。",
    "zh": "苹果公司周二发布了新款iPhone。库克表示：“This is the best iPhone we have ever made.” 新机将于9月20日上市。",  # noqa: RUF001
}


def test_a_sure_guess_of_a_language_without_a_stoplist_is_published() -> None:
    """py3langid weighed no language the stage could check it against: the short words the lists share are the
    language's own, and the guess stands."""
    for language, text in {**SURE_WITHOUT_STOPLIST, **QUOTING_ENGLISH}.items():
        guess = guess_language(text)
        assert (stoplist(language), guess.language, guess.published) == (frozenset(), language, language)


# review24's short sentences in languages without a stoplist: py3langid is sure of them (0.92-0.99), but gives the
# languages with a stoplist 0.012-0.078, as much as some of Reuters' English tables named `pcm` (0.062).
SHORT_WITHOUT_STOPLIST = {
    "jv": "Pamarentah ngumumake yen sekolah-sekolah ing Jawa Tengah bakal dibukak maneh minggu ngarep.",
    "bcl": "An gobyerno nagpahayag na magtutugdok nin bagong eskwelahan sa Naga.",
    "fo": "Veðrið í Tórshavn verður gott í morgin, sigur Veðurstovan.",
}


def test_a_short_sentence_in_a_language_without_a_stoplist_keeps_its_language() -> None:
    """Only py3langid's name for English-lexified text (``LANGUAGE_CHECKED_GUESSES``) is checked against the words."""
    for language, text in SHORT_WITHOUT_STOPLIST.items():
        guess = guess_language(text)
        assert (stoplist(language), guess.language, guess.published) == (frozenset(), language, language)


def test_chinese_keeps_its_language_without_a_stoplist() -> None:
    """None of a Chinese article's words is a stopword of a listed language: py3langid's guess stands."""
    article = clean(text="\n\n".join(CHINESE))
    guess = guess_language(article["text"])
    assert (article["language"], guess.words_agree, stoplist("zh")) == ("zh", True, frozenset())


def mixed_with_english(text: str) -> str:
    """The text with a word of the English test article put after every 10th character of a script without spaces:
    a third of its letters Latin, a fifth or more of its ``\\w+`` words stopwords of listed languages."""
    english = cycle(ARTICLES["en"]["text"].split())
    unspaced = count(1)
    return "".join(
        f"{char} {next(english)} " if has_unspaced_script(char) and next(unspaced) % 10 == 0 else char for char in text
    )


def test_japanese_and_chinese_with_english_words_in_them_keep_their_language() -> None:
    """Counted two characters a word, the Japanese and Chinese outweigh the English put among them ("for", "the", "in"
    are stopwords of listed languages): the guess stands."""
    texts = {"ja": load_page(DEFAULT_AEB, JAPANESE_PAGE).text, "zh": "\n\n".join(CHINESE)}
    for language, text in texts.items():
        article = clean(text=mixed_with_english(text))
        assert "Scholz" in article["text"], language
        assert (article["language"], guess_language(article["text"]).words_agree) == (language, True)


def test_english_sentences_keep_their_language() -> None:
    found = stories(SENTENCES)
    assert len(found) == len(SENTENCES)
    assert [clean(text=text)["language"] for text in found.values()] == ["en"] * len(SENTENCES)


@pytest.mark.parametrize("kind", ["html", "text"])
def test_pages_in_several_languages_keep_theirs(kind: str) -> None:
    pages = {page_id: load_page(DEFAULT_AEB, page_id) for page_id in PAGES}
    found = {page_id: clean(**{kind: page.html if kind == "html" else page.text}) for page_id, page in pages.items()}
    assert {page_id: article["language"] for page_id, article in found.items()} == PAGES


def test_a_page_whose_longer_lines_are_code_takes_its_language_from_the_article() -> None:
    """The page's guess (from its longer lines) is not published; the article's own text is English beyond doubt."""
    page = load_page(DEFAULT_L3S, SCRIPT_PAGE)
    assert extract_html(page.html, with_day=False).language is None
    assert clean(html=page.html)["language"] == "en"


def test_the_page_text_publishes_no_unchecked_guess_but_reads_its_lines_with_the_guess() -> None:
    """The text path: the page's guess (English at 0.20) picks the stoplist, and is not the article's language."""
    page = read_page_lines(render_tree(load_html(load_page(DEFAULT_L3S, SCRIPT_PAGE).html)).text)
    assert (page.language, page.published_language, article_of(page).language) == ("en", None, None)
    assert page.stopwords == stoplist("en") != frozenset()


def test_a_page_guess_under_0_8_is_published_at_the_bound() -> None:
    """The Indonesian page's prose: its guess lies between the bound and 0.8, so the page's lines publish it (at 0.8
    they would not, and the article's own text, read again, would: 0.81 here, 0.84 from the page's html)."""
    page = read_page_lines(load_page(DEFAULT_AEB, INDONESIAN_PAGE).text)
    guess = guess_language(" ".join(prose_lines(page.body)))
    assert guess.language == page.language == "id"
    assert LANGUAGE_MIN_PROBABILITY <= guess.probability < 0.8
    assert page.published_language == "id"


def test_the_entities_stage_says_a_table_without_a_language_was_not_tagged() -> None:
    """A wire table through the clean and entities stages: enriched with no entity and the reason, never guessed."""
    settings = Settings(metrics_port=0)
    [text] = stories(["reuters21578-86"]).values()
    raw = {**raw_article("en"), "title": None, "text": text}
    [[cleaned]] = CleanStage(settings).process([Message(json.dumps(raw).encode(), ORIGIN)])
    unique = {**{k: v for k, v in cleaned.record.items() if k != "sketch"}, "cluster_id": "cl"}
    entities = EntitiesStage(settings, load_pipelines(settings))
    [[enriched]] = entities.process([Message(codec.dumps(unique), ORIGIN)])
    assert cleaned.record["language"] is None
    assert (enriched.record["entities"], enriched.record["nlp_model"]) == ([], None)
    assert enriched.record["nlp_reason"] == "language_unknown"
    codec.check("enriched", enriched.record)


def _model_paths(identifier: _WindowedIdentifier) -> tuple[np.ndarray, np.ndarray]:
    """Each state's string of bytes as the shortest path from the start reaches it (its length, and the bytes as a
    number: each byte plus one a digit of base 257, so that strings of any length differ), by a breadth-first walk of
    the automaton."""
    moves, rows = identifier._moves.astype(np.int64), identifier._rows.astype(np.int64)
    depth = np.full(len(rows), -1, dtype=np.int64)
    code = np.zeros(len(rows), dtype=np.int64)
    depth[0], frontier, every_byte = 0, np.zeros(1, dtype=np.int64), np.arange(256, dtype=np.int64)
    while len(frontier):
        targets = moves[(rows[frontier][:, None] + every_byte).ravel()]
        new = depth[targets] < 0
        parents, steps = np.repeat(frontier, 256)[new], np.tile(every_byte, len(frontier))[new]
        frontier, first = np.unique(targets[new], return_index=True)  # its first path in breadth-first order
        depth[frontier] = depth[parents[first]] + 1
        code[frontier] = code[parents[first]] * 257 + steps[first] + 1
    return depth, code


def test_the_language_model_s_longest_path_is_the_walk_s_window() -> None:
    """No state of py3langid's automaton lies further than ``FEATURE_BYTES`` bytes from the start, and some lies that
    far: a window shorter would miss features, one longer only cost time."""
    depth, _ = _model_paths(_identifier())
    assert depth.min() >= 0 and depth.max() == FEATURE_BYTES


@pytest.mark.slow
def test_every_transition_of_the_language_model_is_aho_corasick_s() -> None:
    """Each state's move on each byte goes to the state of the longest suffix of its string and the byte that is some
    state's string (26.8 million moves): so the state after any text is the one its last ``FEATURE_BYTES`` bytes reach
    from the start, which ``_WindowedIdentifier`` walks."""
    identifier = _identifier()
    depth, code = _model_paths(identifier)
    moves, rows = identifier._moves.astype(np.int64), identifier._rows.astype(np.int64)
    order = np.argsort(code)
    every_byte, powers = np.arange(256, dtype=np.int64), 257 ** np.arange(FEATURE_BYTES + 2, dtype=np.int64)
    for start in range(0, len(rows), 4096):
        states = np.arange(start, min(len(rows), start + 4096), dtype=np.int64)
        strings = (code[states][:, None] * 257 + every_byte + 1).ravel()  # each state's string and a byte after it
        lengths = np.repeat(depth[states] + 1, 256)
        expected = np.zeros(len(strings), dtype=np.int64)  # the start, unless a longer suffix is a state's string
        found = np.zeros(len(strings), dtype=bool)
        for length in range(FEATURE_BYTES + 1, 0, -1):
            suffix = strings % powers[length]
            at = np.minimum(np.searchsorted(code, suffix, sorter=order), len(rows) - 1)
            hit = ~found & (lengths >= length) & (code[order[at]] == suffix)
            expected[hit], found = order[at][hit], found | hit
        assert np.array_equal(moves[(rows[states][:, None] + every_byte).ravel()], expected)


def test_a_text_s_features_are_counted_as_py3langid_walks_them() -> None:
    """The same counts in the same order as py3langid's byte-by-byte walk, so the same scores to the bit, on the
    samples of real pages and stories and on random text and bytes of every length up to past the window."""
    identifier = _identifier()
    plain = LanguageIdentifier(
        identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes, identifier.tk_nextmove, identifier.tk_output,
        norm_probs=True, tk_row=identifier.tk_row,
    )  # fmt: skip
    pages = [read_page_lines(load_page(folder, page).text) for folder, page in ((DEFAULT_AEB, JAPANESE_PAGE),)]
    texts = [page.guess.sample for page in pages] + [text[:LANGUAGE_SAMPLE_CHARS] for text in stories(PIDGIN).values()]
    texts += [article["text"][:LANGUAGE_SAMPLE_CHARS] for article in ARTICLES.values()]
    chance = random.Random(14)
    texts += ["".join(map(chr, chance.choices(range(0x3000), k=size))) for size in range(40) for _ in range(20)]
    samples = [plain._encode(text) for text in texts]
    samples += [chance.randbytes(size) for size in range(40) for _ in range(20)]
    for sample in samples:
        walked = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, sample) or {}
        features, counts = identifier._feature_counts(sample)
        assert list(zip(features.tolist(), counts.tolist(), strict=True)) == list(walked.items())
        assert np.array_equal(identifier._raw_score(sample), plain._raw_score(sample))
