"""An article's compact fingerprint: a b-bit MinHash of its word shingles, its size, its numbers and names.

Words are found and hashed with numpy over the UTF-8 bytes (no Python object per word), so one sketch costs
tens of microseconds; rensa turns the shingle hashes into the MinHash signature.
"""

from __future__ import annotations

import binascii
import itertools
import struct
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from rensa import RMinHash

__all__ = [
    "EDGES_KEPT",
    "FACTS_KEPT",
    "FACT_DTYPE",
    "FALL",
    "FALL_WORDS",
    "FIGURE_KEYS",
    "LEAD_KEYS",
    "RISE",
    "RISE_WORDS",
    "FactMatch",
    "Sketch",
    "Sketcher",
    "Sketches",
    "any_across",
    "distinct",
    "fact_match",
    "gather",
    "sum_across",
]

MINHASH_SEED = 1  # fixed: signatures must agree across processes and restarts
# Numbers and names kept per article: a bottom-k sample (the k smallest) of their keys, each a fact's 16-bit
# hash under the 16-bit hash of its context (the two words either side, other facts masked). 16 keys per kind
# find a few facts in the text two copies share; they cost 64 bytes per kind.
FACTS_KEPT = 16
FACT_DTYPE = np.uint32
# A text form's header: its size, distinct numbers and names, numbers and names kept (``_layout``: the rest).
_HEADER = struct.Struct("<5I")
MIN_SAMPLE = 2  # fewer shared contexts than this say nothing either way
# Paragraphs kept at each end of an article, hashed with their word counts: where an outlet's wrapper sits
# (newsletter prompt above; copyright, "read more" below), for the index to recognise when many stories share them.
EDGE_PARAGRAPHS = 3
EDGES_KEPT = 2 * EDGE_PARAGRAPHS
_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")
CONTEXT_WORDS = 2  # words each side of a fact that place it in the text
# The lead: the first shingles of an article, where a copy cut to its first paragraphs overlaps its story most.
# A MinHash of it (``LEAD_KEYS`` 32-bit values, one LSH band each) finds a short copy of a long story, whose
# Jaccard on the whole signature is too low for the banded LSH. 60 shingles hold a story's lead even under a
# headline, a dateline and a newsletter line (30 words); 8 keys find a lead of Jaccard 0.35 with p = 0.97.
LEAD_SHINGLES = 60
LEAD_KEYS = 8
_LEAD_SEEDS = (np.arange(1, LEAD_KEYS + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93))[:, None]
# The figures of a short article: a MinHash of its runs of ``FIGURE_RUN`` figures in order (``FIGURE_KEYS`` 32-bit
# values, one LSH band each), for articles of fewer than ``SHORT_WORDS`` words. A wire table or brief is mostly
# figures, and a copy editor's word edits ("mln" to "million", a dropped "prior") leave a 15-word table no 5-word
# shingle in common with its copy, but its figures in order; an item of the same template on another day, or
# another company's notice, has other figures. Chosen on fitting seeds 1-4 (docs/benchmarks.md, eighth round):
# runs of two figures merged other stories (a notice's "five cts vs five cts" inside another's table), runs of four
# found fewer copies; 2 keys as many as 4 (8 a few more, at about 75 bytes an article where 2 take about 20); 60
# words fewer, 200 the same.
SHORT_WORDS = 100
FIGURE_RUN = 3
FIGURE_KEYS = 2
_FIGURE_SEEDS = (np.arange(1, FIGURE_KEYS + 1, dtype=np.uint64) * np.uint64(0xA0761D6478BD642F))[:, None]
# Numbers written as words are figures too ("two billion dlrs", "Pay April one"). Not "million", "hundred" or
# "quarter": they stand by a figure or a word the same in every item of a template, agreeing for any two of them.
NUMBER_WORDS = (
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    *("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty"),
    *("forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
)
# Verbs of a rise or a fall, compared in place as figures are, by their direction only: "raised" against "lowered"
# under one context is a conflict (a notice run again with the other move), "rose" against "climbed" is the same
# direction. Never evidence for a copy: a direction agreeing in place counts neither as agreeing nor as a fact in
# common (two unrelated briefs closing on one risk warning, "can fall as well as rise", share it: ``fact_match``).
RISE_WORDS = ("raised", "raises", "raise", "rose", "rise", "rises", "risen", "increased", "increases", "increase")
RISE_WORDS += ("gained", "gains", "climbed", "climbs", "jumped", "boosted")
FALL_WORDS = ("lowered", "lowers", "fell", "falls", "fall", "fallen", "decreased", "decreases", "decrease", "cut")
FALL_WORDS += ("cuts", "reduced", "reduces", "declined", "declines", "dropped", "slipped", "eased")
# Words that open a sentence before a name without being its first word ("In New York", "But Exxon", "The Fed"):
# articles, conjunctions, prepositions, pronouns. Taken for names, they agreed in place in every run of a template.
OPENING_WORDS = ("the", "a", "an", "and", "but", "or", "nor", "so", "yet", "however", "in", "on", "at", "by", "for")
OPENING_WORDS += ("of", "to", "from", "with", "as", "after", "before", "since", "under", "while", "when", "if")
OPENING_WORDS += ("it", "he", "she", "they", "we", "i", "its", "his", "her", "their", "this", "that", "these", "those")
# A direction's own 16 bits in its fact key: the two highest values, which no other fact's own bits take.
RISE, FALL = 0xFFFF, 0xFFFE
_U64 = np.uint64
_HASH_BASE = _U64(0x100000001B3)  # odd (FNV-1 64-bit prime), so it has an inverse modulo 2**64
_HASH_BASE_INVERSE = _U64(pow(0x100000001B3, -1, 2**64))
_SHINGLE_MIX = _U64(0x9E3779B97F4A7C15)  # golden-ratio constant: spreads each word's contribution
_MIX_1, _MIX_2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)  # splitmix64 finaliser constants


def _byte_class(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode("ascii"))] = True
    return table


_DIGIT = _byte_class("0123456789")
_FIGURE_JOINER = _byte_class(".,/-")
_UPPER = _byte_class("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = _DIGIT | _UPPER | _byte_class("abcdefghijklmnopqrstuvwxyz")
_WORD[0x80:] = True  # bytes of non-ASCII letters belong to words (general punctuation is cleared below)
# A capitalised word right after one of these starts a sentence or a line: not evidence of a name.
_SENTENCE_BREAK = _byte_class(".!?:;-\n\"'(")
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[_UPPER] += 32
# Stand-ins for a fact in its neighbours' contexts, and for the text's edges (any fixed odd 64-bit values).
_NUMBER_MASK, _NAME_MASK = _U64(0x2545F4914F6CDD1D), _U64(0x5851F42D4C957F2D)
_EDGES = np.full(CONTEXT_WORDS, 0x14057B7EF767814F, dtype=np.uint64)


_NO_EDGES = np.zeros(0, dtype=np.uint32)
_NO_EDGE_WORDS = np.zeros(0, dtype=np.uint16)
_NO_LEAD = np.zeros(LEAD_KEYS, dtype=np.uint32)
_NO_FIGURES = np.zeros(FIGURE_KEYS, dtype=np.uint32)


@dataclass(frozen=True, slots=True)
class Sketch:
    """What the index keeps of an article: signature, shingle count, samples of its numbers and names."""

    signature: np.ndarray  # uint16[num_perm]: the low 16 bits of each MinHash value (b-bit MinHash)
    size: int  # shingles in the article
    numbers: np.ndarray  # uint32[<= FACTS_KEPT]: the smallest context-and-fact keys of its numbers, sorted
    names: np.ndarray  # uint32[<= FACTS_KEPT]: the same for its names
    number_count: int  # distinct keys of its numbers
    name_count: int  # distinct keys of its names
    edges: np.ndarray  # uint32[<= EDGES_KEPT]: hashes of its first and last paragraphs
    edge_words: np.ndarray  # uint16: their word counts
    lead: np.ndarray  # uint32[LEAD_KEYS]: MinHash of its first ``LEAD_SHINGLES`` shingles (zeros: none kept)
    figures: np.ndarray  # uint32[FIGURE_KEYS]: MinHash of a short article's runs of figures (zeros: none)
    # The form ``from_text`` read it from: the dedup owner persists what the clean stage sent, unencoded again.
    text: str | None = field(default=None, compare=False, repr=False)

    def to_text(self) -> str:
        """A compact base64 form for the persisted index entry: the text it was read from, if it was.

        ``text`` holds for the arrays because a sketch is frozen; one derived with ``dataclasses.replace`` must
        set ``text=None``.
        """
        if self.text is not None:
            return self.text
        return Sketches.of([self], len(self.signature)).texts()[0]

    @classmethod
    def from_text(cls, text: str, num_perm: int) -> Sketch:
        """The sketch ``to_text`` wrote. Sketches written before paragraphs (or the lead, or the figures) were kept
        have none; facts of the oldest form (bare 16-bit hashes, no context) are dropped. A ValueError for a text that
        is not base64, too short to hold the header and the signature, or of no form's length for its header
        (``_form_of``), or for no text at all (a persisted entry damaged into None or a number): no sketch of
        ``num_perm`` values, and noise must not be read as one."""
        if not isinstance(text, str):
            raise ValueError(f"a sketch's text form is a str, not {type(text).__name__}")
        raw = binascii.a2b_base64(text)  # binascii.Error, a ValueError, for a text that is not base64
        if len(raw) < _HEADER.size + 2 * num_perm:
            raise ValueError(f"{len(raw)} bytes, fewer than a header and {num_perm} signature values take")
        size, number_count, name_count, n_numbers, n_names = _HEADER.unpack_from(raw)
        data = np.frombuffer(bytearray(raw), dtype=np.uint8)  # its own writable buffer: the arrays are views of it
        facts_end = _facts_end(num_perm, n_numbers, n_names)
        count = int(data[facts_end : facts_end + 4].view(np.uint32)[0]) if len(data) >= facts_end + 4 else 0
        at = _layout(num_perm, n_numbers, n_names, count)
        form = _form_of(len(data), n_numbers, n_names, count, at)
        signature = data[_HEADER.size : at.numbers].view(np.uint16)
        edges, edge_words, lead, figures = _NO_EDGES, _NO_EDGE_WORDS, _NO_LEAD, _NO_FIGURES
        if form == _WITH_PARAGRAPHS:
            edges = data[at.edges : at.edge_words].view(np.uint32)
            edge_words = data[at.edge_words : at.lead].view(np.uint16)
            lead = data[at.lead : at.figures].view(np.uint32) if len(data) >= at.figures else _NO_LEAD
            figures = data[at.figures :].view(np.uint32) if len(data) > at.figures else _NO_FIGURES
        elif form == _OLDEST:  # its facts are read as none
            at, number_count, name_count = _layout(num_perm, 0, 0, 0), 0, 0
        elif form == _NO_FORM:
            raise ValueError(
                f"{len(data)} bytes: the length of no form keeping {n_numbers} numbers, {n_names} names and "
                f"{count} paragraphs ({num_perm} signature values)"
            )
        numbers, names = data[at.numbers : at.names].view(FACT_DTYPE), data[at.names : at.facts_end].view(FACT_DTYPE)
        return cls(signature, size, numbers, names, number_count, name_count, edges, edge_words, lead, figures, text)


Offsets = np.ndarray | int  # byte offsets or counts: an int for one text form, an array for a batch's rows


class _Layout(NamedTuple):
    """Where each part of a sketch's text form starts, in bytes."""

    numbers: Offsets  # after the header and the signature
    names: Offsets
    facts_end: Offsets  # the paragraphs' count (uint32)
    edges: Offsets
    edge_words: Offsets
    lead: Offsets  # where the form before the lead ends
    figures: Offsets  # where the form before the figure keys ends (and a row without keys)
    end: Offsets  # where a form with figure keys ends


def _facts_end(num_perm: int, numbers_kept: Offsets, names_kept: Offsets) -> Offsets:
    """Where a text form's facts end and its paragraphs' count (uint32) starts: after the header, the signature
    (uint16 values) and the facts."""
    return _HEADER.size + 2 * num_perm + 4 * (numbers_kept + names_kept)


def _layout(num_perm: int, numbers_kept: Offsets, names_kept: Offsets, edge_count: Offsets) -> _Layout:
    """The text form's layout, the one both readers follow and ``Sketches.texts`` writes (``_TAIL_ORDER``)."""
    numbers = _HEADER.size + 2 * num_perm
    facts_end = _facts_end(num_perm, numbers_kept, names_kept)
    lead = facts_end + 4 + 6 * edge_count  # a uint32 hash and a uint16 word count per paragraph
    figures = lead + 4 * LEAD_KEYS
    # Positional: a keyword call costs as much as the rest (``from_text`` makes one per text).
    return _Layout(
        numbers, numbers + 4 * numbers_kept, facts_end, facts_end + 4, facts_end + 4 + 4 * edge_count, lead, figures,
        figures + 4 * FIGURE_KEYS,
    )  # fmt: skip


# The ``_Layout`` fields where the parts after the header and the signature start (``end`` starts none), in the
# order ``_layout`` places them (at full counts each part has bytes): the order ``Sketches.texts`` writes them in.
_TAIL_ORDER = tuple(sorted(_Layout._fields[:-1], key=_layout(1, FACTS_KEPT, FACTS_KEPT, EDGES_KEPT)._asdict().get))


# Which form a text form is (``_form_of``): of no form, the oldest (bare 16-bit facts), the one before paragraphs
# (facts keyed by context), or one with paragraphs (before the lead, before the figure keys, with them).
_NO_FORM, _OLDEST, _BEFORE_PARAGRAPHS, _WITH_PARAGRAPHS = range(4)


def _form_of(
    length: Offsets, numbers_kept: Offsets, names_kept: Offsets, edges: Offsets, at: _Layout
) -> np.ndarray | int:
    """Which form a text form of ``length`` bytes is, given the facts its header keeps and the paragraphs' count
    where a form with paragraphs holds it (``edges``): each form ends at its own length for a header (no form kept
    more than ``FACTS_KEPT`` facts of a kind or ``EDGES_KEPT`` paragraphs), so a length that is none is noise. A
    form with paragraphs ends after them (before the lead was kept), after the lead (before the figure keys, or a
    row without keys) or after the figure keys; the one before paragraphs after its facts (4 bytes each); the oldest
    2 bytes a fact after the signature (without facts, it is the one before paragraphs)."""
    facts = numbers_kept + names_kept
    fits = (numbers_kept <= FACTS_KEPT) & (names_kept <= FACTS_KEPT)
    whole = fits & (edges <= EDGES_KEPT) & ((length == at.lead) | (length == at.figures) | (length == at.end))
    before = fits & (length == at.facts_end)
    oldest = fits & (facts > 0) & (length == at.numbers + 2 * facts)
    return _WITH_PARAGRAPHS * whole + _BEFORE_PARAGRAPHS * before + _OLDEST * oldest


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    values = (values ^ (values >> _U64(30))) * _MIX_1
    values = (values ^ (values >> _U64(27))) * _MIX_2
    return values ^ (values >> _U64(31))


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique``'s result in a seventh to a tenth of its time (numpy 2.4, thousands
    to tens of thousands of int64 or uint64): a lookup's candidate pairs, a batch's fact keys."""
    values = np.sort(values)
    first = np.ones(len(values), dtype=bool)
    first[1:] = values[1:] != values[:-1]
    return values[first]


def sum_across(values: np.ndarray) -> np.ndarray:
    """Sums along the last axis, a short one (the end paragraphs), of bools or integers of 32 bits or fewer: column
    by column, as int64 (numpy's reduction along a short axis takes five times as long)."""
    total = np.zeros(values.shape[:-1], dtype=np.int64)
    for column in range(values.shape[-1]):
        total += values[..., column]
    return total


def any_across(values: np.ndarray) -> np.ndarray:
    """``any`` along the last axis, a short one, column by column (ten times as fast as numpy's reduction)."""
    truth = values if values.dtype == np.bool_ else values != 0
    found = np.zeros(values.shape[:-1], dtype=np.bool_)
    for column in range(values.shape[-1]):
        found |= truth[..., column]
    return found


def gather(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows ``rows`` of a per-row array (the index's, a batch's): ``np.take``, a third to a half of the time of
    fancy indexing on a 2-D array (every candidate pair reads a few)."""
    return np.take(values, rows, axis=0)


def _bottom_per_text(values: np.ndarray, text_of: np.ndarray, texts: int) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the ``FACTS_KEPT`` smallest distinct keys of its ``values`` (zero-padded), and how many distinct
    there are."""
    keys = distinct((text_of.astype(_U64) << _U64(32)) | values.astype(_U64))
    owner = (keys >> _U64(32)).astype(np.intp)
    counts = np.bincount(owner, minlength=texts)
    rank = np.arange(len(keys)) - (np.cumsum(counts) - counts)[owner]
    kept = rank < FACTS_KEPT
    bottom = np.zeros((texts, FACTS_KEPT), dtype=FACT_DTYPE)
    bottom[owner[kept], rank[kept]] = (keys[kept] & _U64(0xFFFFFFFF)).astype(FACT_DTYPE)
    return bottom, counts


@dataclass(frozen=True, slots=True)
class Sketches:
    """The sketches of a batch of texts, one row each: the layout the index stores them in."""

    signatures: np.ndarray  # uint16[n, num_perm]
    sizes: np.ndarray  # shingles per text
    numbers: np.ndarray  # FACT_DTYPE[n, FACTS_KEPT], the first ``fact_counts[:, 2]`` of each row used
    names: np.ndarray  # FACT_DTYPE[n, FACTS_KEPT], the first ``fact_counts[:, 3]`` of each row used
    fact_counts: np.ndarray  # uint16[n, 4]: distinct numbers, distinct names, numbers kept, names kept
    edges: np.ndarray  # uint32[n, EDGES_KEPT]: first and last paragraphs' hashes, the first ``edge_counts`` used
    edge_words: np.ndarray  # uint16[n, EDGES_KEPT]: their word counts
    edge_counts: np.ndarray  # uint8[n]
    leads: np.ndarray  # uint32[n, LEAD_KEYS]
    figures: np.ndarray  # uint32[n, FIGURE_KEYS]

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, row: int) -> Sketch:
        number_count, name_count, n_numbers, n_names = self.fact_counts[row].tolist()
        n_edges = int(self.edge_counts[row])
        return Sketch(  # positional: a frozen dataclass's keyword call costs as much as the views
            self.signatures[row],
            int(self.sizes[row]),
            self.numbers[row, :n_numbers],
            self.names[row, :n_names],
            number_count,
            name_count,
            self.edges[row, :n_edges],
            self.edge_words[row, :n_edges],
            self.leads[row],
            self.figures[row],
        )

    @classmethod
    def of(cls, sketches: list[Sketch], num_perm: int) -> Sketches:
        """The batch form of single sketches (read back from their text form, say)."""
        numbers, names = [s.numbers for s in sketches], [s.names for s in sketches]
        edges = [s.edges for s in sketches]
        return cls(
            signatures=np.array([s.signature for s in sketches], dtype=np.uint16).reshape(len(sketches), num_perm),
            sizes=np.array([s.size for s in sketches], dtype=np.uint32),
            numbers=_padded(numbers, FACTS_KEPT, FACT_DTYPE),
            names=_padded(names, FACTS_KEPT, FACT_DTYPE),
            fact_counts=_fact_counts(
                np.array([s.number_count for s in sketches], dtype=np.int64),
                np.array([s.name_count for s in sketches], dtype=np.int64),
                np.array([len(values) for values in numbers], dtype=np.int64),
                np.array([len(values) for values in names], dtype=np.int64),
            ),
            edges=_padded(edges, EDGES_KEPT, np.uint32),
            edge_words=_padded([s.edge_words for s in sketches], EDGES_KEPT, np.uint16),
            edge_counts=np.array([len(values) for values in edges], dtype=np.uint8),
            leads=np.array([s.lead for s in sketches], dtype=np.uint32).reshape(len(sketches), LEAD_KEYS),
            figures=np.array([s.figures for s in sketches], dtype=np.uint32).reshape(len(sketches), FIGURE_KEYS),
        )

    @classmethod
    def from_texts(cls, texts: list[str], num_perm: int) -> Sketches:
        """``Sketch.from_text`` of each text form, read for the batch at once: each part of every row gathered from
        the decoded bytes side by side (a dedup worker's batch of records; read one at a time and put together, a
        sketch's small arrays took 3.5 times as long). A batch holding a text of an older form, or of none, is read
        text by text: ``Sketch.from_text`` raises its ValueError for one of none."""
        raw = [binascii.a2b_base64(text) for text in texts]
        form = _TextForms(raw, num_perm)
        if not form.current.all():
            return cls.of([Sketch.from_text(text, num_perm) for text in texts], num_perm)
        at = form.at
        return cls(
            signatures=form.read(_HEADER.size, num_perm, np.uint16),
            sizes=form.header[:, 0].copy(),
            numbers=form.read(at.numbers, FACTS_KEPT, FACT_DTYPE, form.numbers_kept),
            names=form.read(at.names, FACTS_KEPT, FACT_DTYPE, form.names_kept),
            fact_counts=_fact_counts(*form.header[:, 1:5].T.astype(np.int64)),
            edges=form.read(at.edges, EDGES_KEPT, np.uint32, form.edge_counts),
            edge_words=form.read(at.edge_words, EDGES_KEPT, np.uint16, form.edge_counts),
            edge_counts=form.edge_counts.astype(np.uint8),
            leads=form.read(at.lead, LEAD_KEYS, np.uint32, np.where(form.has_lead, LEAD_KEYS, 0)),
            figures=form.read(at.figures, FIGURE_KEYS, np.uint32, np.where(form.has_figures, FIGURE_KEYS, 0)),
        )

    def take(self, rows: np.ndarray) -> Sketches:
        """The sketches of ``rows``, copied."""
        return Sketches(*(gather(getattr(self, name), rows) for name in self.__slots__))

    def texts(self) -> list[str]:
        """Every row's ``Sketch.to_text`` form, encoded for the whole batch at once: the row's parts side by side
        in one byte matrix, each part's unused tail masked out, the rest read row by row."""
        counts, edge_counts = self.fact_counts.astype(np.intp), self.edge_counts.astype(np.intp)
        # After the header and the signature, each part under the ``_Layout`` field the readers read it at:
        # (values, how many of each row's are written; None: all).
        tail = {
            "numbers": (self.numbers, counts[:, 2]),
            "names": (self.names, counts[:, 3]),
            "facts_end": (edge_counts.astype("<u4")[:, None], None),  # the paragraphs' count
            "edges": (self.edges, edge_counts),
            "edge_words": (self.edge_words, edge_counts),
            "lead": (self.leads, None),
            # Only a row with figure keys writes them: every other row's form is the one before the keys, which a
            # dedup owner of that version reads whole (``from_text`` reads a missing tail as no keys).
            "figures": (self.figures, np.where(self.figures[:, 0] != 0, FIGURE_KEYS, 0)),
        }
        parts = (
            (np.column_stack((self.sizes, self.fact_counts)).astype("<u4"), None),
            (self.signatures, None),
            *(tail[name] for name in _TAIL_ORDER),
        )
        matrix = np.concatenate([np.ascontiguousarray(values).view(np.uint8) for values, _ in parts], axis=1)
        written = np.concatenate(
            [
                np.broadcast_to(
                    True if used is None else np.arange(values.shape[1]).repeat(values.itemsize) < used[:, None],
                    (len(self), values.shape[1] * values.itemsize),
                )
                for values, used in parts
            ],
            axis=1,
        )
        data = matrix[written].tobytes()
        bounds = np.concatenate(([0], np.cumsum(written.sum(axis=1)))).tolist()
        return [
            binascii.b2a_base64(data[start:end], newline=False).decode("ascii")
            for start, end in itertools.pairwise(bounds)
        ]


class _TextForms:
    """Decoded text forms of sketches side by side in one buffer, where each row's parts start, and whether every
    row is of a form with paragraphs (``_form_of``): the one ``Sketches.texts`` writes (with a lead; figure keys or
    not) or the one before the lead, read here as ``Sketch.from_text`` reads them."""

    def __init__(self, raw: list[bytes], num_perm: int) -> None:
        lengths = np.array([len(row) for row in raw], dtype=np.intp)
        self.starts = np.cumsum(lengths) - lengths
        # Zero bytes after the last row: a part gathered at its widest from any row start stays inside.
        longest = _layout(num_perm, FACTS_KEPT, FACTS_KEPT, EDGES_KEPT).end
        self.data = np.frombuffer(b"".join(raw) + bytes(longest), dtype=np.uint8)
        self.header = self.read(0, _HEADER.size // 4, np.uint32)
        self.numbers_kept, self.names_kept = (np.minimum(self.header[:, k], FACTS_KEPT).astype(np.intp) for k in (3, 4))
        counts = self.read(_facts_end(num_perm, self.numbers_kept, self.names_kept), 1, np.uint32)[:, 0].astype(np.intp)
        self.edge_counts = np.minimum(counts, EDGES_KEPT)
        self.at = _layout(num_perm, self.numbers_kept, self.names_kept, self.edge_counts)
        self.has_lead, self.has_figures = lengths >= self.at.figures, lengths > self.at.figures
        form = _form_of(lengths, self.header[:, 3], self.header[:, 4], counts, self.at)
        self.current = form == _WITH_PARAGRAPHS

    def read(self, offsets: Offsets, width: int, dtype: type, used: np.ndarray | None = None) -> np.ndarray:
        """[rows, width] values of ``dtype`` at each row's ``offsets``; where ``used`` is given, the values past each
        row's ``used`` are 0."""
        size = np.dtype(dtype).itemsize
        windows = np.lib.stride_tricks.sliding_window_view(self.data, width * size)  # no [rows, bytes] index array
        values = windows[self.starts + offsets].view(dtype)  # a copy: fancy indexing
        if used is not None:
            values[np.arange(width) >= used[:, None]] = 0
        return values


def _padded(rows: list[np.ndarray], width: int, dtype: type) -> np.ndarray:
    """Rows of up to ``width`` values as one zero-padded [rows, width] array."""
    lengths = np.array([len(values) for values in rows], dtype=np.intp)
    padded = np.zeros((len(rows), width), dtype=dtype)
    if lengths.any():
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        padded[np.repeat(np.arange(len(rows)), lengths), np.arange(len(starts)) - starts] = np.concatenate(rows)
    return padded


def _fact_counts(
    number_counts: np.ndarray, name_counts: np.ndarray, numbers_kept: np.ndarray, names_kept: np.ndarray
) -> np.ndarray:
    """The ``fact_counts`` rows: distinct numbers and names (capped to 16 bits), and how many of each are kept."""
    cap = np.iinfo(np.uint16).max
    return np.stack(
        [np.minimum(number_counts, cap), np.minimum(name_counts, cap), numbers_kept, names_kept], axis=1
    ).astype(np.uint16)


def _fact_keys(
    data: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    is_number: np.ndarray,
    words: np.ndarray,
    own: np.ndarray,
    opening: np.ndarray,
    text_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keys of the numbers and of the names, and the text each is in: the hash of a fact's context in the high
    16 bits, its own below.

    The context is the words either side in the same text, numbers and capitalised words masked: a templated
    sibling puts another fact under the same context (a conflict), while boilerplate, a trailer or an added
    paragraph puts its facts under contexts the other copy does not have (nothing to compare). Every capitalised
    word is masked, not only names, so a context does not change when a paragraph break moves.
    """
    is_name = _is_name(data, starts, ends, is_number, opening)
    masked = np.where(is_number, _NUMBER_MASK, np.where(_UPPER[data[starts]], _NAME_MASK, words))
    padded = np.concatenate((_EDGES, masked, _EDGES))
    padded_text = np.concatenate((np.full(CONTEXT_WORDS, -1), text_of, np.full(CONTEXT_WORDS, -1)))
    positions = np.flatnonzero(is_number | is_name)
    own_text = text_of[positions]
    context = np.zeros(len(positions), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in (*range(CONTEXT_WORDS), *range(CONTEXT_WORDS + 1, 2 * CONTEXT_WORDS + 1)):
            around = positions + offset
            neighbour = np.where(padded_text[around] == own_text, padded[around], _EDGES[0])
            context = context * _SHINGLE_MIX ^ neighbour
        context = _mix(context)
    keys = ((context >> _U64(48)) << _U64(16) | own[positions]).astype(FACT_DTYPE)
    numbers, names = is_number[positions], is_name[positions]
    return keys[numbers], own_text[numbers], keys[names], own_text[names]


class Sketcher:
    """Computes sketches, a batch of texts at a time: numpy's per-call cost is paid once per batch, not per text.

    Owns the table of hash-base powers, grown to the longest batch seen.
    """

    def __init__(self, num_perm: int, shingle_words: int) -> None:
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._powers = np.ones(1, dtype=np.uint64)
        self._inverse_powers = np.ones(1, dtype=np.uint64)
        self._number_words = np.sort(self._hashes_of_words(" ".join(NUMBER_WORDS)))
        self._rise_words = np.sort(self._hashes_of_words(" ".join(RISE_WORDS)))
        self._fall_words = np.sort(self._hashes_of_words(" ".join(FALL_WORDS)))
        self._opening_words = np.sort(self._hashes_of_words(" ".join(OPENING_WORDS)))

    def _hashes_of_words(self, text: str) -> np.ndarray:
        data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        is_word = _WORD[data]
        edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
        return self._word_hashes(data, is_word, edges[0::2], edges[1::2])

    def sketch(self, text: str) -> Sketch:
        """The sketch of one text."""
        return self.sketch_many([text])[0]

    def sketch_many(self, texts: list[str]) -> Sketches:
        """The sketches of ``texts``, computed over their UTF-8 bytes joined by line breaks (words never span two)."""
        encoded = [text.encode("utf-8") for text in texts]
        data = np.frombuffer(b"\n".join(encoded), dtype=np.uint8)
        text_starts = np.cumsum([0, *(len(e) + 1 for e in encoded[:-1])])
        is_word = _WORD[data]
        _clear_general_punctuation(data, is_word)
        _join_figures(data, is_word)
        edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
        starts, ends = edges[0::2], edges[1::2]
        text_of = np.searchsorted(text_starts, starts, side="right") - 1
        word_counts = np.bincount(text_of, minlength=len(texts))
        words = self._word_hashes(data, is_word, starts, ends)
        is_number = _has_digit(data, starts, ends) | np.isin(words, self._number_words)
        verb = ~_UPPER[data[starts]]  # in running text: a title-cased headline's "Raised" sits among masked names
        rises, falls = verb & np.isin(words, self._rise_words), verb & np.isin(words, self._fall_words)
        own = np.where(rises, _U64(RISE), np.where(falls, _U64(FALL), np.minimum(words & _U64(0xFFFF), _U64(FALL - 1))))
        number_keys, number_text, name_keys, name_text = _fact_keys(
            data, starts, ends, is_number | rises | falls, words, own, np.isin(words, self._opening_words), text_of
        )
        numbers, number_counts = _bottom_per_text(number_keys, number_text, len(texts))
        names, name_counts = _bottom_per_text(name_keys, name_text, len(texts))
        shingles, offsets = self._shingles(words, word_counts)
        edges, edge_words, edge_counts = _edge_paragraphs(texts)
        leads = _leads(shingles, offsets)
        keyed = is_number & (ends - starts > 1) & (word_counts[text_of] < SHORT_WORDS)  # see ``SHORT_WORDS``
        figures = _figure_keys(words, keyed, text_of, len(texts))
        return Sketches(
            signatures=self._signatures(shingles, offsets),
            sizes=np.maximum(word_counts - self.shingle_words + 1, 1).astype(np.uint32),
            numbers=numbers,
            names=names,
            fact_counts=_fact_counts(
                number_counts, name_counts, np.minimum(number_counts, FACTS_KEPT), np.minimum(name_counts, FACTS_KEPT)
            ),
            edges=edges,
            edge_words=edge_words,
            edge_counts=edge_counts,
            leads=leads,
            figures=figures,
        )

    def _word_hashes(self, data: np.ndarray, is_word: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """A polynomial hash of each lower-cased word, from prefix sums over the whole text at once."""
        self._grow(len(data) + 1)
        with np.errstate(over="ignore"):
            weighted = np.where(is_word, _LOWER[data].astype(np.uint64), _U64(0)) * self._powers[: len(data)]
            prefix = np.concatenate(([_U64(0)], np.cumsum(weighted, dtype=np.uint64)))
            return _mix((prefix[ends] - prefix[starts]) * self._inverse_powers[starts])

    def _shingles(self, words: np.ndarray, word_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One hash per run of ``shingle_words`` words of a text (the whole text when it is shorter), and where
        each text's shingles start."""
        per_shingle = np.minimum(word_counts, self.shingle_words)  # words in each of the text's shingles
        counts = np.maximum(word_counts - self.shingle_words + 1, 1)
        offsets = np.concatenate(([0], np.cumsum(counts)))
        text_of = np.repeat(np.arange(len(counts)), counts)
        first = (np.cumsum(word_counts) - word_counts)[text_of] + np.arange(offsets[-1]) - offsets[:-1][text_of]
        padded = np.concatenate((words, np.zeros(self.shingle_words, dtype=np.uint64)))
        shingles = np.zeros(offsets[-1], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for offset in range(self.shingle_words):
                shingles = np.where(
                    offset < per_shingle[text_of], shingles * _SHINGLE_MIX ^ padded[first + offset], shingles
                )
            return _mix(shingles), offsets.astype(np.uint64)

    def _signatures(self, shingles: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(shingles, offsets, self.num_perm, MINHASH_SEED)
        return np.array(matrix.to_rows(), dtype=np.uint32).astype(np.uint16)

    def _grow(self, length: int) -> None:
        if length <= len(self._powers):
            return
        length = max(length, 2 * len(self._powers))
        with np.errstate(over="ignore"):
            self._powers = np.concatenate(([_U64(1)], np.cumprod(np.full(length - 1, _HASH_BASE), dtype=np.uint64)))
            self._inverse_powers = np.concatenate(
                ([_U64(1)], np.cumprod(np.full(length - 1, _HASH_BASE_INVERSE), dtype=np.uint64))
            )


def _leads(shingles: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per text, the minimum of each of ``LEAD_KEYS`` hashes over its first ``LEAD_SHINGLES`` shingles (never 0:
    0 stands for no lead)."""
    starts, counts = offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)
    kept = np.minimum(counts, LEAD_SHINGLES)
    first = np.repeat(starts, kept) + np.arange(kept.sum()) - np.repeat(np.cumsum(kept) - kept, kept)
    return _lowest_keys(shingles[first], np.cumsum(kept) - kept, _LEAD_SEEDS)


def _figure_keys(words: np.ndarray, is_figure: np.ndarray, text_of: np.ndarray, texts: int) -> np.ndarray:
    """Per text, the minimum of each of ``FIGURE_KEYS`` hashes over its runs of ``FIGURE_RUN`` figures in order
    (``is_figure``: the words that count), 0 for a text with fewer figures (never 0 otherwise)."""
    at = np.flatnonzero(is_figure)
    first = at[: max(len(at) - FIGURE_RUN + 1, 0)]
    owner = text_of[first]
    runs = np.zeros(len(first), dtype=np.uint64)
    whole = np.ones(len(first), dtype=bool)
    with np.errstate(over="ignore"):
        for offset in range(FIGURE_RUN):
            runs = runs * _SHINGLE_MIX ^ words[at[offset : offset + len(first)]]
            whole &= text_of[at[offset : offset + len(first)]] == owner
    owner, runs = owner[whole], runs[whole]
    keys = np.zeros((texts, FIGURE_KEYS), dtype=np.uint32)
    if len(owner):  # a text's runs are side by side: ``owner`` ascends
        starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        keys[owner[starts]] = _lowest_keys(runs, starts, _FIGURE_SEEDS)
    return keys


def _lowest_keys(values: np.ndarray, starts: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """[groups, keys]: per group of ``values`` (each from its ``starts`` entry to the next), the minimum of each
    seed's 32-bit hash of them, never 0 (0 stands for no key)."""
    with np.errstate(over="ignore"):
        keys = (_mix(values[None, :] ^ seeds) >> _U64(32)).astype(np.uint32)
    return np.maximum(np.minimum.reduceat(keys, starts, axis=1), 1).T.copy()


def _edge_paragraphs(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text, the CRC-32 of its first and last ``EDGE_PARAGRAPHS`` paragraphs (non-blank lines, lower-cased,
    quotes straightened; the cleaner has normalised the spaces) and their word counts."""
    hashes, sizes, counts = [], [], []
    padding = [0] * EDGES_KEPT
    for text in texts:
        ends = _end_lines(text)
        hashes.append([zlib.crc32(_normalised(line).encode("utf-8")) for line in ends] + padding[len(ends) :])
        sizes.append([min(line.count(" ") + 1, 0xFFFF) for line in ends] + padding[len(ends) :])
        counts.append(len(ends))
    return (
        np.array(hashes, dtype=np.uint32).reshape(len(texts), EDGES_KEPT),
        np.array(sizes, dtype=np.uint16).reshape(len(texts), EDGES_KEPT),
        np.array(counts, dtype=np.uint8),
    )


def _normalised(line: str) -> str:
    line = line.lower()
    return line if line.isascii() else line.translate(_QUOTES)


def _end_lines(text: str) -> list[str]:
    """The first and last ``EDGE_PARAGRAPHS`` non-blank lines (each once, stripped), found from the two ends
    without splitting the lines between."""
    first: list[str] = []
    at = 0
    while len(first) < EDGE_PARAGRAPHS and at <= len(text):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if line := text[at:end].strip():
            first.append(line)
        at = end + 1
    last: list[str] = []
    end = len(text)
    while len(last) < EDGE_PARAGRAPHS and end >= at:
        start = text.rfind("\n", 0, end) + 1
        if start >= at and (line := text[start:end].strip()):
            last.append(line)
        end = start - 1
    return first + last[::-1]


def _clear_general_punctuation(data: np.ndarray, is_word: np.ndarray) -> None:
    """Curly quotes, dashes, ellipses and odd spaces (U+2000-U+207F, U+00A0) separate words as ASCII ones do."""
    lead = np.flatnonzero(data[:-2] == 0xE2)
    lead = lead[(data[lead + 1] & 0xFE) == 0x80]
    nbsp = np.flatnonzero((data[:-1] == 0xC2) & (data[1:] == 0xA0))
    for shift in (0, 1, 2):
        is_word[lead + shift] = False
    is_word[nbsp] = False
    is_word[nbsp + 1] = False


def _join_figures(data: np.ndarray, is_word: np.ndarray) -> None:
    """A point, comma, slash or hyphen between two digits belongs to the figure: 1.5, 6,089,000 and 6-1/16 are one
    fact each, so that a figure compares with the one another copy puts in its place ("two billion", "1.5 billion")."""
    if len(data) < 3:
        return
    inner = _FIGURE_JOINER[data[1:-1]] & _DIGIT[data[:-2]] & _DIGIT[data[2:]]
    is_word[1:-1] |= inner


def _has_digit(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    digits = np.concatenate(([0], np.cumsum(_DIGIT[data])))
    return digits[ends] > digits[starts]


def _is_name(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray, is_number: np.ndarray, opening: np.ndarray
) -> np.ndarray:
    """Capitalised words that do not open a sentence, a line or a quote, and those that do before one but for
    ``opening`` (``OPENING_WORDS``)."""
    is_break = _SENTENCE_BREAK[data]
    # Curly quotes, dashes and the ellipsis (U+2010-U+2026) break as their ASCII forms do, or a quote's first
    # word would be a name in a copy with curly quotes and not in the original.
    lead = np.flatnonzero((data[:-2] == 0xE2) & (data[1:-1] == 0x80) & (data[2:] >= 0x90) & (data[2:] <= 0xA6))
    is_break[lead] = True
    breaks = np.concatenate(([0], np.cumsum(is_break)))
    previous_end = np.concatenate(([0], ends[:-1]))
    opens = breaks[starts] > breaks[previous_end]
    if len(opens):
        opens[0] = True
    capitalised = _UPPER[data[starts]] & ~is_number
    names = capitalised & ~opens
    # A capitalised word opening a sentence before a name is that name's first word ("Exxon Corp said"), or a
    # notice's subject would be no fact: the name after it follows in the same sentence, so in the same text.
    before_name = np.zeros_like(names)
    before_name[:-1] = names[1:]
    return names | (capitalised & opens & before_name & ~opening)


class FactMatch(NamedTuple):
    """How pairs of articles' samples of one kind of fact compare, under the bound where both are complete: one
    value per pair."""

    shared: np.ndarray  # contexts both articles put a fact of this kind under
    agreeing: np.ndarray  # of those, contexts under which both put the same fact
    common: np.ndarray  # keys (a fact in its context) in both samples
    mine: np.ndarray  # keys of the first sample compared
    theirs: np.ndarray  # keys of the second sample compared


_SLOTS = np.arange(FACTS_KEPT)


def fact_match(mine: np.ndarray, my_counts: np.ndarray, theirs: np.ndarray, their_counts: np.ndarray) -> FactMatch:
    """Compare samples of fact keys, pair by pair: ``mine`` and ``theirs`` are [pairs, FACTS_KEPT] keys, sorted and
    zero-padded; the counts, [pairs, 2], are each article's distinct keys and the keys kept of them.

    A bottom-k sample holds every key of its article below its largest kept key, so under the smaller of the
    two bounds each sample is complete: a key, or a context, missing from one sample is missing from its article.
    Under the bound both samples are prefixes, and a context's keys sit next to each other (the context is the
    key's high bits).
    """
    bound = np.minimum(_bound(mine, my_counts), _bound(theirs, their_counts))[:, None]
    my_ok = (my_counts[:, 1:2] > _SLOTS) & (mine <= bound)
    their_ok = (their_counts[:, 1:2] > _SLOTS) & (theirs <= bound)
    # A slot of mine meets one of theirs both usable: their side masked in the [pairs, slots, slots] comparison, mine
    # after the ``any`` (the same truth, one [pairs, slots] mask instead of a third cube of bools).
    usable = their_ok[:, None, :]
    common = _any_of_words((mine[:, :, None] == theirs[:, None, :]) & usable) & my_ok
    # A key's context is its high 16 bits: compared as uint16, half the bytes of the two cubes' comparisons.
    my_contexts, their_contexts = (mine >> 16).astype(np.uint16), (theirs >> 16).astype(np.uint16)
    shared = _any_of_words((my_contexts[:, :, None] == their_contexts[:, None, :]) & usable) & my_ok
    first = np.ones_like(my_ok)
    first[:, 1:] = my_contexts[:, 1:] != my_contexts[:, :-1]
    # A key agreed before in its context: a context's keys sit side by side, so the common keys counted before the
    # slot exceed those counted before its context's first slot (running counts, not a [pairs, slots, slots] cube).
    common_before = np.cumsum(common, axis=1) - common
    agreed_before = common_before > np.maximum.accumulate(np.where(first, common_before, 0), axis=1)
    agreeing = common & ~agreed_before
    # A direction is a fact only where it differs in place (see ``RISE_WORDS``): agreeing, it is neither agreement
    # nor a context compared, and it is no fact for the share of facts the other lacks.
    my_facts = ~_is_direction(mine)
    directions = _count_of_words(agreeing & ~my_facts)
    return FactMatch(
        shared=_count_of_words(shared & first) - directions,
        agreeing=_count_of_words(agreeing) - directions,
        common=_count_of_words(common & my_facts),
        mine=_count_of_words(my_ok & my_facts),
        theirs=_count_of_words(their_ok & ~_is_direction(theirs)),
    )


def _is_direction(keys: np.ndarray) -> np.ndarray:
    """Which fact keys are a direction's (``RISE`` or ``FALL`` in their own 16 bits)."""
    return (keys & 0xFFFF) >= FALL


def _any_of_words(truth: np.ndarray) -> np.ndarray:
    """``any`` along the last axis (a sample's ``FACTS_KEPT`` slots, a multiple of 8: the view refuses others) of
    C-contiguous bools, read as 64-bit words: two word ORs where numpy's reduction along a short axis takes several
    times as long."""
    return any_across(truth.view(np.uint64))


def _count_of_words(truth: np.ndarray) -> np.ndarray:
    """How many are true along the last axis (a sample's slots) of C-contiguous bools, as int64 (numpy's sum):
    the 64-bit words' set bits, one per true byte."""
    return sum_across(np.bitwise_count(truth.view(np.uint64)))


def _bound(samples: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per sample, the largest key kept when the sample is not its article's every key, else above any key."""
    last = samples[np.arange(len(samples)), np.maximum(counts[:, 1].astype(np.intp), 1) - 1].astype(np.int64)
    return np.where(counts[:, 0] > counts[:, 1], last, 2**32)
