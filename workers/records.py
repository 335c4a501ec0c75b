"""The records that travel between stages and out of the pipeline, mirroring ``schemas/*.json``."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

SCHEMA_VERSION = 1

ErrorCode = Literal[
    "oversized",  # the message is larger than ENRICH_MAX_MESSAGE_BYTES
    "invalid_encoding",  # the bytes are not UTF-8
    "invalid_json",  # the text is not one JSON document
    "schema_violation",  # the JSON does not match the stage's input schema
    "empty_body",  # the page, text or body holds no words at all
    "no_article",  # the input holds words, but no article: navigation, prompts, a page of links
    "too_long",  # the cleaned text or title is longer than ENRICH_MAX_TEXT_CHARS (spaCy's max_length), or its
    # enriched record exceeds its topic's cap even with one mention listed per entity
    "too_deep",  # the page's elements nest deeper than any real page's (workers.clean.html.MAX_DEPTH)
    "too_many_elements",  # the page holds far more elements than any real page (workers.clean.html.MAX_ELEMENTS)
    "too_many_attributes",  # a tag holds far more attributes than any real page's (workers.clean.html.MAX_ATTRIBUTES)
    "internal_error",  # a bug: the stage raised on this record
    "cpu_limit_exceeded",  # the stage used more than ENRICH_CLEAN_CPU_LIMIT_SECONDS of CPU on it (workers.child)
    "stage_process_died",  # the stage's child process died on it otherwise: killed (the OOM killer), a crash
]
MatchKind = Literal["exact", "near", "revision"]
NlpReason = Literal[
    "no_model_for_language",  # no spaCy pipeline is configured for the article's language (ENRICH_NLP_MODELS)
    "language_unknown",  # the clean stage could not tell the article's language
    "model_unavailable",  # the language's pipeline is configured but could not be loaded (see the worker's log)
]
InputKind = Literal["html", "text", "body"]
# How precise a published_at is: "time", a time of day with its zone (the producer's, or a page's meta tag); "day",
# the day alone (a page's day as htmldate finds it, or a producer's date), published as midnight UTC.
Precision = Literal["day", "time"]


class Rejected(Exception):
    """A record a stage refuses, with a machine-readable code and a reason a person can act on."""

    def __init__(self, code: ErrorCode, reason: str, article_id: str | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code: ErrorCode = code
        self.reason = reason
        self.article_id = article_id


class Origin(TypedDict):
    """Where a message was read: Kafka coordinates, or a file and line number offline."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None


class RawArticle(TypedDict):
    """A scraped page as it arrives on the raw topic (after validation and id derivation)."""

    id: str
    url: str | None
    source: str
    title: str | None
    published_at: str | None
    html: NotRequired[str]
    text: NotRequired[str]
    body: NotRequired[str]  # the article itself, already clean (a full-text feed, a wire API)


class Wire(TypedDict):
    """Wire attribution found in the article: agency, dateline city and date, trailer."""

    agency: str | None
    dateline: str | None
    city: str | None
    date: str | None
    trailer: str | None


class ArticleSketch(TypedDict):
    """The dedup sketch of an article's text, made by the clean stage's parallel workers for the single dedup owner."""

    num_perm: int
    shingle_words: int
    data: str  # base64 of workers.dedup.sketch.Sketch.to_text


class CleanArticle(TypedDict):
    """An article body without page chrome, normalised, with its title, language and wire attribution."""

    schema_version: int
    id: str
    url: str | None
    source: str
    title: str | None
    author: NotRequired[str | None]  # absent from records written before the field existed
    published_at: str | None  # RFC 3339 in UTC ("Z"): workers.times.published
    published_precision: NotRequired[Precision | None]  # None with no published_at; absent from older records
    language: str | None
    text: str
    content_hash: str
    input_kind: InputKind
    wire: Wire
    origin: Origin
    sketch: NotRequired[ArticleSketch]  # on articles.clean only: the dedup stage drops it


class Mention(TypedDict):
    """One occurrence of an entity: character offsets into the cleaned text and the surface form they slice."""

    start: int
    end: int
    text: str


class Entity(TypedDict):
    """A distinct entity of an article (normalised name, one label) with its mentions in the text and the title."""

    name: str
    text: str
    label: str
    count: int  # mentions in the text (title mentions apart)
    salience: float
    mentions: list[Mention]  # offsets into the text
    title_mentions: list[Mention]  # offsets into the title


class UniqueArticle(CleanArticle):
    """The first copy of a story, on its way to entity tagging."""

    cluster_id: str


class EnrichedArticle(UniqueArticle):
    """The pipeline's main output: a clean, first-seen article with its entities.

    ``nlp_model`` is the pipeline that tagged them; None when none did, and then ``nlp_reason`` says why.
    """

    entities: list[Entity]
    nlp_model: str | None
    nlp_reason: NlpReason | None
    mentions_truncated: NotRequired[bool]  # set when the mentions listed were cut for the record to fit its topic


class DuplicateArticle(CleanArticle):
    """A later copy of a story already seen: which one, how similar, and how it matched."""

    cluster_id: str
    canonical_id: str
    similarity: float
    match: MatchKind
    revision_of: str | None
    merged: list[str]


class ClusterMember(TypedDict):
    """One copy of a story in the story view: who ran it, where, when, and how it matched."""

    id: str
    source: str
    url: str | None
    published_at: str | None
    published_precision: NotRequired[Precision | None]  # absent from older records
    match: Literal["unique", "exact", "near", "revision"]
    revision_of: str | None


class ClusterRecord(TypedDict):
    """The story view on the compacted clusters topic: every copy seen so far, the first one first.

    A cluster merged into an older one (a later copy showed they are one story) is published a last time with
    ``merged_into``; the older one lists it in ``merged`` and holds its members from then on.
    """

    schema_version: int
    cluster_id: str
    canonical_id: str
    members: list[ClusterMember]
    members_truncated: NotRequired[bool]  # set once a member was left out for the record to stay small
    merged: list[str]
    merged_truncated: NotRequired[bool]  # set once a merged cluster was left out, for the same reason
    merged_into: str | None
    # Set once the first copy's id left for another cluster (sent again with unrelated content): that cluster.
    canonical_moved_to: NotRequired[str]
    updated_at: str


class ClusterDelete(TypedDict):
    """A cluster's delete as a line of a file: on the topic a null value under its key, which a line has none of."""

    cluster_id: str
    deleted: Literal[True]


class DeadLetter(TypedDict):
    """A message no stage could process, with the reason, the stage and the original bytes."""

    schema_version: int
    id: str | None
    stage: str
    error: ErrorCode
    reason: str
    payload: str
    payload_encoding: Literal["utf-8", "base64"]
    origin: Origin
    failed_at: str
    payload_truncated: NotRequired[bool]
    payload_size: NotRequired[int]
    payload_sha256: NotRequired[str]
    payload_null: NotRequired[bool]  # set when the message's value was null: payload is empty
    replay_of: NotRequired[str]  # the place (topic:partition:offset) of the letter whose replay failed again here
