"""The language of a text, from py3langid's bundled model (no download at run time)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from py3langid.modelio import load_model

from workers.clean.normalize import word_count
from workers.clean.stopwords import any_stoplist, full_of_stopwords

# Characters py3langid reads. Its answer on the first 500 matched its answer on 1,000 and on the whole text for
# all 2,104 texts tried (AEB page prose and bodies, Reuters stories), and its byte-by-byte walk costs time in
# proportion to the sample: a fifth of page-text cleaning at 1,000.
LANGUAGE_SAMPLE_CHARS = 500
# The least probability py3langid gives its guess (normalised over its languages) for the stage to publish it: even
# odds, taken as such rather than fitted (Reuters 0-2,999 alone would allow 0.8: its least sure English sentence
# scores 0.84). Under it the sample gives too little evidence of any language: on Reuters 0-2,999 sent as text, 182 of
# the 189 tables published as Nigerian Pidgin, "no linguistic content", Volapuk or Walloon fall under it, and 102
# tables published as English, but no English sentence. On Reuters 3,000-end, AEB and L3S-GN1 every page keeps its
# language (0.6 would change one page's; those sets were looked at for 0.6-0.8, so they are no blind check of 0.5
# against them: Benchmarks > Cleaning).
LANGUAGE_MIN_PROBABILITY = 0.5
# The guesses checked against the listed languages' words (``_words_agree``): py3langid's name for English-lexified
# text, `pcm` (Nigerian Pidgin), the wrong guess without a stoplist at even odds or more on Reuters (8 on 0-2,999 and
# 82 on 3,000-end, all `pcm` but one `zxx`, never published: below). Any other language without a stoplist is left
# to the probability: the union of the lists holds the short words of most Latin-script languages, and no probability
# py3langid gives the listed languages told right guesses (Bikol 0.031, Faroese 0.078) from Reuters' wrong ones (0.062
# and up: review24).
LANGUAGE_CHECKED_GUESSES = frozenset(("pcm",))
# py3langid's name for "no linguistic content", never a language to publish as such: not published at any probability
# (until consumer21 it was checked as `pcm` is, and a sample with no stopwords in it, "qwx zzkv plo 123 4567 ## ++ kkk
# mmm ttt vvv 88 99 00" at 0.91, was published as written in `zxx`, tagged with `no_model_for_language`).
NO_LINGUISTIC_CONTENT = "zxx"
_LETTERS = re.compile(r"[^\W\d_]+")  # a word of letters: figures are words of no language


class LanguageGuess(NamedTuple):
    """py3langid's language of a sample, the probability it gives it (None and 0 for an empty sample), and the
    sample."""

    language: str | None
    probability: float
    sample: str

    @property
    def words_agree(self) -> bool:
        """Whether the sample's words bear the guess out (``_words_agree``; read only at ``LANGUAGE_MIN_PROBABILITY``
        or more: py3langid's second walk, for the guesses ``LANGUAGE_CHECKED_GUESSES`` names)."""
        return _words_agree(self.language, self.sample)

    @property
    def published(self) -> str | None:
        """The language, when the sample gives enough evidence of it to publish; else None (not a guess as fact)."""
        sure = self.probability >= LANGUAGE_MIN_PROBABILITY and self.language != NO_LINGUISTIC_CONTENT
        return self.language if sure and self.words_agree else None


# py3langid finds a text's features with a DFA over its bytes, walked one byte after another in a Python loop: each step
# waits on the one before, and a step that misses the cache (the transitions take 39 MB) waits for memory. The DFA is
# an Aho-Corasick automaton over byte n-grams of at most FEATURE_BYTES bytes: its state after a byte is the state that
# the last FEATURE_BYTES bytes reach from the start, whatever came before them. So every byte's state is found at once,
# in FEATURE_BYTES steps over all the bytes together (``_WindowedIdentifier``): the same states, so the same features
# in the same order, and scores equal to the bit (unit tests: the model's longest path, every transition of the
# automaton, the scores on real text and on random strings).
FEATURE_BYTES = 6


class _WindowedIdentifier(LanguageIdentifier):
    """py3langid's identifier, its DFA walked for every byte at once (``FEATURE_BYTES``)."""

    __slots__ = ("_moves", "_outputs", "_rows")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._moves = np.frombuffer(self.tk_nextmove, dtype=f"u{self.tk_nextmove.itemsize}")  # no copy
        self._rows = np.asarray(self._rowbase, dtype=np.intp)  # each state's first index in ``_moves``
        self._outputs = np.asarray(self.tk_output)  # each state's feature, -1 for none

    def _raw_score(self, text: bytes) -> np.ndarray:
        """py3langid's scores of the text's features (``_feature_counts``), its ``_sparse_score`` arithmetic (the log of
        each count and one, times the feature's weights, summed in the same order, and the priors) on the arrays; a
        text without any scored by py3langid."""
        features, counts = self._feature_counts(text)
        if not len(features):
            return super()._raw_score(text)
        return np.log1p(counts.astype(np.float32)) @ self.nb_ptc[features] + self.nb_pc

    def _feature_counts(self, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Each feature of the text and how often it occurs, in the order they first occur, as py3langid's
        ``visit_counts`` counts them: the state at each byte walked from the start over its last ``FEATURE_BYTES``
        bytes, the walks of all bytes a byte at a time together (``back``: the byte that many places before each).
        The features are grouped by a stable sort (each one's first occurrence first), not counted in a ``Counter``
        over a list of them, then read into arrays again: a third of the language guess before."""
        data = np.frombuffer(text, dtype=np.uint8)
        states = np.zeros(len(data), dtype=np.intp)  # numpy's index type: indexing converts no other
        for back in range(min(FEATURE_BYTES, len(data)) - 1, -1, -1):
            walked = states[back:]  # the bytes with one ``back`` places before them
            walked[:] = self._moves[self._rows[walked] + data[: len(data) - back]]
        features = self._outputs[states]
        features = features[features >= 0]
        order = np.argsort(features, kind="stable")
        grouped = features[order]
        starts = np.flatnonzero(np.diff(grouped, prepend=-1))  # each feature's first place among them sorted
        first = np.argsort(order[starts])  # the features in the order they first occur
        return grouped[starts][first], np.diff(starts, append=len(grouped))[first]


@cache
def _identifier() -> LanguageIdentifier:
    """py3langid's bundled model (the one ``py3langid.classify`` reads), its weights held as float32, not float16,
    its scores normalised to probabilities, its DFA walked for every byte at once (``_WindowedIdentifier``).

    A text is scored by a product of its features' rows of weights, which numpy computes in float32 either way: from
    float16 it first widens every row the text hits, at each call (0.06 of the 0.2 ms a page's language costs). Widened
    once here, the same float32 numbers reach the same product, for 28 MB more held (57 MB in all).
    """
    weights, priors, classes, moves, rows, outputs = load_model(MODEL_DIR / MODEL_FILE)
    return _WindowedIdentifier(
        np.asarray(weights, dtype=np.float32), np.asarray(priors), classes, moves, outputs, norm_probs=True, tk_row=rows
    )


def guess_language(text: str) -> LanguageGuess:
    """py3langid's language of the text's first characters, with its probability (read by ``published``)."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if not sample:
        return LanguageGuess(None, 0.0, sample)
    language, probability = _identifier().classify(sample)
    return LanguageGuess(language or None, probability, sample)


def _words_agree(language: str | None, sample: str) -> bool:
    """False when the guess is the one py3langid makes of English (``LANGUAGE_CHECKED_GUESSES``) and a fifth or more of
    the sample's words (of letters; a script without spaces counted two characters a word, as ``word_count`` does) are
    stopwords of the languages with a stoplist: the sample is written in their words, not in the one named.

    The pick that fails is English with figures or a table of figures ("Shr", "vs", "Net", "Record") named Nigerian
    Pidgin: on Reuters, every one of them (0.31-0.71 of their words in the lists). Other
    guesses are left to the probability: a guess with a stoplist because its own stopwords would not tell a short
    sentence of names from a table, one without because the lists hold most short words of any Latin script (Hausa,
    Javanese, Faroese: Benchmarks > Cleaning).
    """
    if language not in LANGUAGE_CHECKED_GUESSES:
        return True
    return not full_of_stopwords(_LETTERS.findall(sample.lower()), word_count(sample, _LETTERS), any_stoplist())


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, from its first characters; None when they give too little evidence."""
    return guess_language(text).published


@cache
def detectable_languages() -> frozenset[str]:
    """ISO 639-1 codes (and a few ISO 639-3 ones) of every language py3langid's model can name."""
    return frozenset(language for language, _ in _identifier().rank(""))
