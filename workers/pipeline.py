"""The three stages as batch functions: messages in, routed outputs out. No Kafka here.

The Faust agents (``workers.agents``) and the offline ``enrich process`` mode (``workers.offline``) both run
these, so a record takes the same path through the same code either way. Every failure of one message
becomes a dead letter for that message; nothing a message contains can stop a stage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, Literal, NamedTuple, Protocol

from workers import codec
from workers.clean import CleanOptions, clean_article, warm_up
from workers.deadletters import REPLAY_HEADER, letter_key
from workers.dedup import (
    Article,
    Decision,
    DedupIndex,
    DedupOptions,
    IndexEntry,
    PersistedEntry,
    canonical_of,
    event_time,
    sketch_of_record,
    sketch_record,
)
from workers.dedup.decision import DEFAULT_MODEL, load_model
from workers.dedup.sketch import Sketcher
from workers.entities import cut_mentions, tag_texts
from workers.intake import read_raw
from workers.limits import (
    CLUSTER_RECORD_BYTES,
    DEADLETTER_PREFIX_BYTES,
    DEADLETTER_REASON_CHARS,
    DEADLETTER_RECORD_BYTES,
    TOPIC_MAX_MESSAGE_BYTES,
    TOPIC_RECORD_BYTES,
)
from workers.nlp import Pipelines
from workers.records import (
    SCHEMA_VERSION,
    CleanArticle,
    ClusterMember,
    ClusterRecord,
    DeadLetter,
    DuplicateArticle,
    EnrichedArticle,
    NlpReason,
    Origin,
    Rejected,
    UniqueArticle,
)
from workers.settings import Settings, Stage
from workers.times import latest_time, now_iso, received_at, utc_text

log = logging.getLogger(__name__)

# "state" and "cluster_state" are table writes (a None record deletes the key); "clusters" carries a
# ClusterMember that the caller adds to the cluster's record (``grow_cluster``) and publishes, with the cluster
# whose entry of it it renews (``Joined``); "cluster_merges" names, under the key of a cluster merged into another,
# the cluster it goes into (``merge_clusters``); "cluster_leaves" names, under the key of a cluster, the id its
# record no longer lists and the cluster that lists it now (``without_member``).
Destination = Literal[
    "clean",
    "unique",
    "enriched",
    "duplicates",
    "deadletter",
    "clusters",
    "cluster_merges",
    "cluster_leaves",
    "state",
    "cluster_state",
]
# Where a raw message ends: exactly one of these for each (enriched, duplicates, or a dead letter).
FINAL: frozenset[Destination] = frozenset(("enriched", "duplicates", "deadletter"))
# What the agent makes on the event loop from its tables (the table writes, the cluster records): every other output
# is published as the stage made it.
MADE_ON_THE_LOOP: frozenset[Destination] = frozenset(
    ("state", "cluster_state", "clusters", "cluster_merges", "cluster_leaves")
)
# The schema of each published destination's records (``schemas/<name>.json``), which every record names with its
# version and the package's in its headers (``record_headers``): a consumer can route or set aside a record by them
# before reading its value, and a record says which release wrote it.
RECORD_SCHEMAS: Mapping[Destination, codec.SchemaName] = {
    "clean": "clean",
    "unique": "unique",
    "enriched": "enriched",
    "duplicates": "duplicate",
    "deadletter": "deadletter",
    "clusters": "cluster",
    "cluster_merges": "cluster",
    "cluster_leaves": "cluster",
}
PACKAGE_VERSION = version("news-enrich")
# The records a stage makes of one message, which carry on the header naming the dead letter it replays: the next
# stage, failing on one, names that letter in its own (``replay_of``), which the next replay leaves. Not the cluster
# records, each of a story and many messages, nor a letter, which names it in its record.
CARRIES_REPLAY: frozenset[Destination] = frozenset(("clean", "unique", "enriched", "duplicates"))


@dataclass(frozen=True, slots=True)
class Message:
    """One input message of a stage and where it was read; ``null`` when its value was null (the payload is then
    empty), ``replay_of`` the place of the dead letter it replays (``workers.deadletters.replay_of``)."""

    payload: bytes
    origin: Origin
    null: bool = False
    replay_of: str | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """One record a stage emits, the destination it goes to and its key (the article id)."""

    destination: Destination
    key: str
    record: Any
    value: bytes | None = None  # the record serialised, when the stage did (to measure it against its topic's cap)

    def serialised(self) -> bytes:
        """The record as published: the bytes the stage made, else made now."""
        return codec.dumps(self.record) if self.value is None else self.value


# The exit status of a worker that stops with a batch unpublished, its offsets not committed, and of ``enrich process``
# whose stage cannot go on: sysexits' EX_TEMPFAIL, for a supervisor (or an operator) to run it again.
EXIT_UNPUBLISHED = 75


class StageUnavailable(RuntimeError):
    """The stage cannot go on (its child process could not start, or was stopped): the batch in progress is left
    unpublished and uncommitted, and the worker exits for its supervisor to restart it."""


class StageRunner(Protocol):
    """What an agent or the offline mode needs of a stage: a stage here, or one run in a child process
    (``workers.child``). ``close`` ends what it runs on (a child process; nothing for a stage here)."""

    fallbacks: int  # batches it processed one record at a time because the whole batch failed

    def process(self, messages: Sequence[Message]) -> list[list[Output]]: ...

    def close(self) -> None: ...


class PhasedStage(StageRunner, Protocol):
    """A stage whose ``process`` is ``finish`` over each message's ``one``: a message's own work, then the batch's
    shared work once. A child process (``workers.child``) limits the CPU of each ``one`` and runs ``finish`` once a
    batch, as the stage does here."""

    def one(self, message: Message) -> list[Output]: ...

    def finish(self, results: list[list[Output]]) -> list[list[Output]]: ...


def serialised(output: Output) -> Output:
    """The output with the bytes to publish, unless it has them or the agent makes its record on the loop: made on a
    stage's thread or child process, as a text can be a megabyte."""
    if output.value is not None or output.destination in MADE_ON_THE_LOOP:
        return output
    return replace(output, value=codec.dumps(output.record))


def record_headers(destination: Destination, replay_of: str | None = None) -> list[tuple[str, bytes]]:
    """The Kafka headers of a record published to ``destination``: ``enrich-schema`` (its schema's name and
    ``schema_version``, "enriched/1") and ``enrich-version`` (the package's version, "0.1.0"); and, for a record
    made of a message that replays a dead letter, the replay header naming that letter (``CARRIES_REPLAY``)."""
    headers = [
        ("enrich-schema", f"{RECORD_SCHEMAS[destination]}/{SCHEMA_VERSION}".encode()),
        ("enrich-version", PACKAGE_VERSION.encode()),
    ]
    if replay_of and destination in CARRIES_REPLAY:
        headers.append((REPLAY_HEADER, replay_of.encode()))
    return headers


def dead_letter(stage: Stage, message: Message, error: Rejected, article_id: str | None) -> Output:
    """The dead-letter output for a message a stage could not process, sized for the dead-letter topic: the whole
    message when it fits (any message of up to ``TOPIC_MAX_MESSAGE_BYTES`` does), else its prefix (see
    ``truncated``). It says so when the message's value was null and when it replays an earlier letter, so that
    ``enrich replay`` sends a null value again, and leaves this letter by default."""
    payload, encoding = codec.payload_text(message.payload)
    record = DeadLetter(
        schema_version=SCHEMA_VERSION,
        id=letter_id(article_id or error.article_id),
        stage=stage,
        error=error.code,
        reason=error.reason[:DEADLETTER_REASON_CHARS],
        payload=payload,
        payload_encoding=encoding,
        origin=message.origin,
        failed_at=now_iso(),
    )
    if message.null:
        record["payload_null"] = True
    if message.replay_of:
        record["replay_of"] = message.replay_of
    # Measured only past a topic's cap: any message up to it has a whole letter under the cap (workers/limits.py).
    if len(message.payload) > TOPIC_MAX_MESSAGE_BYTES and len(codec.dumps(record)) > DEADLETTER_RECORD_BYTES:
        record = truncated(record, message.payload)
    return Output("deadletter", letter_key(record), record)


def letter_id(article_id: object) -> str | None:
    """The id a dead letter keeps and is keyed by: only one the schema could take, as a huge or misshapen id (which
    is why a record is refused) could push the letter past its topic's cap; without it the key is the message's
    place, topic:partition:offset."""
    return article_id if isinstance(article_id, str) and len(article_id) <= codec.max_id_chars() else None


def truncated(record: DeadLetter, payload: bytes) -> DeadLetter:
    """A dead letter keeping the payload's first ``DEADLETTER_PREFIX_BYTES``, its size and sha256: for a message
    larger than any topic's cap, which only a compressed batch brings (the cap bounds a batch as compressed); the
    bytes stay at the record's origin. ``enrich replay`` leaves such a letter: no producer of the pipeline could
    send the message again, and the clean stage would refuse it again as oversized."""
    prefix, encoding = codec.payload_text(payload[:DEADLETTER_PREFIX_BYTES])
    return DeadLetter(
        **{**record, "payload": prefix, "payload_encoding": encoding},
        payload_truncated=True,
        payload_size=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
    )


def guarded(stage: Stage, message: Message, work: Callable[[], list[Output]], article_id: str | None) -> list[Output]:
    """Run ``work`` for one message; a rejection or any exception becomes that message's dead letter."""
    try:
        return work()
    except Rejected as rejected:
        return [dead_letter(stage, message, rejected, article_id)]
    except Exception as exc:  # a bug on one record must not stop the stage: logged in full, dead-lettered
        log.exception(
            "stage %s failed on %s at %s",
            stage,
            article_id,
            message.origin,
            extra={"stage": stage, "article_id": article_id, "origin": message.origin},
        )
        return [dead_letter(stage, message, Rejected("internal_error", f"{type(exc).__name__}: {exc}"), article_id)]


def read_record(message: Message, schema: codec.SchemaName) -> Any:
    """Decode an inter-stage record and check it against its schema."""
    record = codec.loads(message.payload)
    codec.check(schema, record)
    return record


class InProcessStage:
    """A stage run in this process (``StageRunner``): it holds no process or other resource to end."""

    def close(self) -> None:
        """Nothing to end."""


class BatchedStage(InProcessStage):
    """A stage that runs a batch's records together and, when that fails, one at a time; ``fallbacks`` counts the
    batches that fell back, for the agent to export (metrics live with the agents, not in the stages)."""

    name: Stage
    fallbacks: int = 0

    def in_batch(
        self,
        messages: Sequence[Message],
        schema: codec.SchemaName,
        whole: Callable[[list[Any]], list[list[Output]]],
        one: Callable[[Any], list[Output]],
    ) -> list[list[Output]]:
        """Decode each message against ``schema`` and run ``whole`` on the decodable records together (one index
        call, one ``nlp.pipe``); if the batch fails, run ``one`` record at a time, so that a bad record sinks only
        itself. Returns the outputs of each message, in order."""
        stage = self.name
        results: list[list[Output]] = [[] for _ in messages]
        records: dict[int, Any] = {}
        for i, message in enumerate(messages):
            results[i] = guarded(stage, message, lambda m=message, i=i: _decode_into(records, i, m, schema), None)
        try:
            outputs = whole(list(records.values()))
        except Exception:  # one bad record must not sink its batch: one at a time to find it
            log.exception("%s batch of %d failed; processing its records one by one", stage, len(records))
            self.fallbacks += 1
            self._undo_batch()
            for i, record in records.items():
                results[i] = guarded(stage, messages[i], lambda r=record: one(r), record["id"])
            return results
        for i, group in zip(records, outputs, strict=True):
            results[i] = group
        return results

    def _undo_batch(self) -> None:
        """Undo what a failed batch call changed before its records are processed again one at a time (a stage that
        keeps no state between records has nothing to undo)."""


def _decode_into(records: dict[int, Any], index: int, message: Message, schema: codec.SchemaName) -> list[Output]:
    records[index] = read_record(message, schema)
    return []


# What the clean stage's child processes start from (``workers.child``): its modules imported and warmed up once.
CLEAN_PRELOAD = ("workers.pipeline", "workers.clean.warmed")


class CleanStage(InProcessStage):
    """Raw page -> clean article with its dedup sketch, or a dead letter saying why not."""

    name: Stage = "clean"
    fallbacks = 0  # each page is cleaned on its own: no batch to fall back from

    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_message_bytes
        self.options = CleanOptions(min_body_words=settings.min_body_words, max_text_chars=settings.max_text_chars)
        self.dedup = dedup_options(settings)
        self.sketcher = Sketcher(self.dedup.num_perm, self.dedup.shingle_words)
        warm_up()  # at start, not inside the first batch of pages

    def process(self, messages: Sequence[Message]) -> list[list[Output]]:
        """Clean each message on its own, then sketch the batch's articles together for the dedup stage."""
        return self.finish([self.one(message) for message in messages])

    def one(self, message: Message) -> list[Output]:
        """The message's clean article (not yet sketched) or its dead letter."""
        return guarded(self.name, message, lambda: self._clean(message), None)

    def finish(self, results: list[list[Output]]) -> list[list[Output]]:
        """Sketch the batch's clean articles together (one encoding of their texts): ``results`` with the sketches."""
        cleaned = [outputs[0].record for outputs in results if outputs[0].destination == "clean"]
        if cleaned:
            texts = self.sketcher.sketch_many([article["text"] for article in cleaned]).texts()  # encoded at once
            for article, text in zip(cleaned, texts, strict=True):
                article["sketch"] = sketch_record(text, self.dedup)
        return results

    def _clean(self, message: Message) -> list[Output]:
        raw = read_raw(message.payload, self.max_bytes)
        try:
            return [Output("clean", raw["id"], clean_article(raw, message.origin, self.options))]
        except Rejected as rejected:
            return [dead_letter(self.name, message, rejected, raw["id"])]


class DedupStage(BatchedStage):
    """Clean article -> first copy (unique) or later copy (duplicates), its cluster membership, the state to persist."""

    name: Stage = "dedup"

    def __init__(
        self,
        settings: Settings,
        index: DedupIndex | None = None,
        persisted: Callable[[], list[tuple[str, PersistedEntry]]] | None = None,
    ) -> None:
        """``persisted``: the index entries as the outputs of the batches decided so far left them (the worker's
        ``dedup-index`` table), for a failed batch to rebuild the index from (``_undo_batch``)."""
        self.index = index if index is not None else DedupIndex(dedup_options(settings))  # empty is falsy
        self.persisted = persisted

    def process(self, messages: Sequence[Message]) -> list[list[Output]]:
        """Decide the batch in order (an earlier message can be the original of a later one), in one index call."""
        return self.in_batch(messages, "clean", self._decide_all, self._decide_one)

    def _undo_batch(self) -> None:
        """A batch call that failed may have changed the index for the records ahead of the one at fault (decided
        them, updated their ids): decided again on that index, those would be replays, and an id updated to another
        story would leave no cluster. The index is rebuilt from the entries persisted before the batch, as a worker's
        is when it starts; with none given (the offline mode) it stays as the failed call left it."""
        if self.persisted is not None:
            log.warning("dedup: the index is rebuilt from its table before the failed batch is decided again")
            self.index.reset(self.persisted())

    def _decide_all(self, articles: list[CleanArticle]) -> list[list[Output]]:
        given = [self._input(article) for article in articles]
        decided = self.index.decide_many(given)
        outputs = [
            self._outputs(article, at, *result)
            for article, (_, _, _, at, _), result in zip(articles, given, decided, strict=True)
        ]
        return self._with_forgotten(_in_live_clusters(outputs))

    def _with_forgotten(self, outputs: list[list[Output]]) -> list[list[Output]]:
        """The deletes of what the index forgot deciding these articles, around their outputs. The deletes of entries
        it holds again come first, after the first record, as it forgot them before deciding: an id it forgot can be
        an article of the batch (an entry left out of a rebuilt index as unreadable, read again), whose fresh entry
        must outlive the delete. Those of entries it no longer holds come last: making room for a later article can
        evict one the batch wrote (read212: deleted first, an article read again with its old event time kept the
        entry its own output wrote after the delete, and a rebuilt index held it). The closed clusters' deletes come
        last too: making room can close the cluster of an article the batch replays, whose cluster record must be
        published again from the state before the state forgets it. But a
        closed cluster the batch opened again (its first copy, out of the window, back with new content and decided
        afresh under the same cluster id) is deleted just before the reopening article's cluster record: deleted
        after it, the state would forget that first copy and the next member's record would be published without it.
        A later copy the window passed while its cluster stays open keeps, instead of its entry, the cluster whose
        record lists it and the merges it keeps (``DepartedEntry``): a rebuilt index makes its leave when it comes back
        as another story, and keeps its merges while that cluster is open, as the live one does; a held member handed
        the merges of one decided afresh has its entry written again (``DedupIndex._hand_over``). These writes come
        last, as the index holds them once the batch is decided: a member of the batch handed merges after its own
        record, or passed by the window after it, has its entry written after that record's.
        """
        if not outputs:  # a batch none of whose records could be read: the deletes wait for the next one
            return outputs
        written = self.index.drain_departed()
        evicted = [article_id for article_id in self.index.drain_evicted() if article_id not in written]
        again = [article_id for article_id in evicted if self.index.holds(article_id)]  # read again since: held
        gone = [Output("state", article_id, None) for article_id in evicted if article_id not in again]
        outputs[0][1:1] = [Output("state", article_id, None) for article_id in again]
        for closed in self.index.drain_closed():
            delete = Output("cluster_state", closed, None)
            if self.index.holds(canonical_of(closed)) and (spot := _reopened_at(outputs, closed)) is not None:
                group, position = spot
                outputs[group].insert(position, delete)
            else:
                outputs[-1].append(delete)
        outputs[-1] += [*gone, *(Output("state", key, entry) for key, entry in written.items())]
        return outputs

    def _input(self, article: CleanArticle) -> Article:
        """What the index needs of an article. The record is left whole: a failed batch is decided again one record
        at a time from the same records, each with the sketch it brought."""
        at = self._event_time(article)
        sketch = sketch_of_record(article.get("sketch"), self.index.options)
        return article["id"], article["content_hash"], article["text"], at, sketch

    def _event_time(self, article: CleanArticle) -> float:
        """The article's event time, no later than its message's time and one day (``workers.times``): a record
        the clean stage did not check (an older version's, another client's) claiming a time in the future would
        make every article held look out of the window, and be evicted."""
        received = received_at(article["origin"])
        at = event_time(article["published_at"], received)
        if at > (latest := latest_time(received)):
            log.warning(
                "dedup: %s's published_at %s is later than its message's time and one day; taken as %s",
                article["id"],
                article["published_at"],
                utc_text(datetime.fromtimestamp(latest, UTC)),
                extra={"stage": self.name, "article_id": article["id"]},
            )
            return latest
        return at

    def _decide_one(self, article: CleanArticle) -> list[Output]:
        """One record of a failed batch, decided as in a batch of its own (a sketch that cannot be read included: the
        index decides its article from its text, ``DedupIndex._given``)."""
        given = self._input(article)
        return self._with_forgotten([self._outputs(article, given[3], *self.index.decide(*given))])[0]

    def _outputs(self, article: CleanArticle, at: float, decision: Decision, entry: IndexEntry) -> list[Output]:
        """What the decision publishes and persists (the index's deletes: ``_with_forgotten``). A replayed article
        goes to the cluster record that lists it now: its own cluster's state is gone once merged, and a record
        grown from none would publish it live again, as itself alone. ``at``: the event time the index was given."""
        home = decision.merged_into or decision.cluster_id
        outputs = [
            *(Output("cluster_leaves", left, (article["id"], home)) for left in decision.left),
            *(Output("cluster_merges", merged, home) for merged in decision.merged),
            Output("clusters", home, Joined(cluster_member(article, decision), _renewed(at, decision, entry))),
            Output("state", article["id"], entry),
        ]
        fields = dict(article)  # a copy: the record stays whole for a retry
        fields.pop("sketch", None)  # for this stage only
        if decision.kind == "unique":
            unique = UniqueArticle(**fields, cluster_id=decision.cluster_id)
            return [Output("unique", article["id"], unique), *outputs]
        duplicate = DuplicateArticle(
            **fields,
            cluster_id=decision.cluster_id,
            canonical_id=decision.canonical_id,
            similarity=round(decision.similarity, 4),
            match=decision.kind,
            revision_of=decision.revision_of,
            merged=list(decision.merged),
        )
        return [Output("duplicates", article["id"], duplicate), *outputs]


def _renewed(at: float, decision: Decision, entry: IndexEntry) -> str | None:
    """The cluster whose record's entry of the article this decision renews: the one it names, when it was made
    afresh on this very article (read101: an id back after the window passed it, decided into the cluster whose
    record lists it). None for an earlier decision given back for another message: the same text sent again with
    another date (the entry's event time is the first one's), an update of itself (its entry keeps its first
    arrival), whose entry stays as listed, so that messages read again publish the records as they were. Its own
    message read again names the same cluster and makes the entry listed there (nothing changes), or its output
    goes to the cluster that one was merged into since, which it does not renew. ``at``: the event time the index
    was given for this message (``DedupStage._event_time``), not read again: where it is the clock's (a message with
    no time or one in the future, with no date or one past the bound) the clock has moved on since (read110)."""
    made_on_it = entry["event_time"] == at and entry["seq"] == entry["first_seq"]
    return decision.cluster_id if made_on_it else None


def _reopened_at(outputs: list[list[Output]], cluster_id: str) -> tuple[int, int] | None:
    """Where the cluster record of the first copy that opened ``cluster_id`` again is: its group and position. Only a
    decision made afresh on the article renews its cluster's entry of it (``Joined.renews``): a replay of the first
    copy ahead of it in the batch publishes the record as it stands, other members and all (read202's fuzz: the
    delete went before the replay's record, and it was published without them)."""
    first_copy = canonical_of(cluster_id)
    for n, group in enumerate(outputs):
        for position, output in enumerate(group):
            if (
                output.destination == "clusters"
                and output.key == cluster_id
                and output.record.member["id"] == first_copy
                and output.record.renews == cluster_id
            ):
                return n, position
    return None


def _in_live_clusters(outputs: list[list[Output]]) -> list[list[Output]]:
    """A batch's outputs, each cluster output's key (and each replayed merge's target) followed through the merges
    made by the records ahead of it: a replayed article's decision names the cluster its own lived in before the
    batch (``Decision.merged_into``), and a copy ahead of it in the batch can have merged that one since. So does a
    leave of an id back after the window passed it (``Decision.left``: the clusters it started, as they were before
    the batch; read76: not followed, a leave from a cluster merged ahead of it found no record, and the id stayed
    listed in the one it went into), and the cluster a leave says the id went to (``canonical_moved_to``): an id sent
    twice in a batch gets its first decision twice, leaves and all, and a copy between the two can have merged the
    cluster it went to. A leave whose two clusters are one by then is dropped, as a replay one record at a time has
    none: the id is listed there again (live96: its record was published without it, its story's first copy said to
    have moved to the cluster merged into it, and the id listed again after the copy that merged it). A new
    decision's cluster is followed through none: a cluster is merged by a copy decided after those that joined it."""
    moved: dict[str, str] = {}  # cluster merged by a record of the batch -> the one it went into

    def live(cluster_id: str) -> str:
        while cluster_id in moved:
            cluster_id = moved[cluster_id]
        return cluster_id

    def followed(output: Output) -> Output | None:
        if output.destination == "clusters" and output.key in moved:
            return replace(output, key=live(output.key))
        if output.destination == "cluster_leaves":
            article_id, home = output.record
            key, went_to = live(output.key), live(home)
            return None if key == went_to else replace(output, key=key, record=(article_id, went_to))
        if output.destination == "cluster_merges" and (into := live(output.record)) != output.key:
            moved[output.key] = into
            return replace(output, record=into)
        return output

    for group in outputs:
        group[:] = [live_output for output in group if (live_output := followed(output)) is not None]
    return outputs


class Joined(NamedTuple):
    """A "clusters" output's record: an article's entry, and the cluster whose listed entry of it the new one replaces
    (``_renewed``; None: one listed stays)."""

    member: ClusterMember
    renews: str | None


def cluster_member(article: CleanArticle, decision: Decision) -> ClusterMember:
    """An article's entry in its story's cluster record."""
    return ClusterMember(
        id=article["id"],
        source=article["source"],
        url=article["url"],
        published_at=article["published_at"],
        published_precision=article.get("published_precision"),
        match=decision.kind,
        revision_of=decision.revision_of,
    )


def grow_cluster(
    record: ClusterRecord | None, cluster_id: str, member: ClusterMember, renewed: bool = False
) -> tuple[ClusterRecord, bytes]:
    """The cluster's record with ``member`` added, and its bytes to publish. A member already there keeps its entry
    (a replay changes nothing), unless ``renewed`` (``Joined.renews``): its id was decided afresh into this cluster,
    and its old entry says what the article published now no longer does (read101: it was kept); it is then listed
    with the new one, in its place, the members after it added again after it, so that a longer entry cannot take
    the record past its cap."""
    members = record["members"] if record else []
    at = next((n for n, m in enumerate(members) if m["id"] == member["id"]), len(members))
    if record is not None and at < len(members) and (members[at] == member or not renewed):
        return record, codec.dumps(record)
    grown = ClusterRecord(
        schema_version=SCHEMA_VERSION,
        cluster_id=cluster_id,
        canonical_id=canonical_of(cluster_id),
        members=members[:at],
        merged=record["merged"] if record else [],
        merged_into=None,
        updated_at=now_iso(),
    )
    if record and "canonical_moved_to" in record and member["id"] != grown["canonical_id"]:  # not back in its story
        grown["canonical_moved_to"] = record["canonical_moved_to"]
    return with_members(_flagged(grown, record or {}), [member, *members[at + 1 :]])


def with_members(record: ClusterRecord, added: Sequence[ClusterMember]) -> tuple[ClusterRecord, bytes]:
    """``record`` with the ``added`` members listed after its own, within CLUSTER_RECORD_BYTES: the oldest ``merged``
    ids are left out while ``record`` alone is over it (``merged_truncated``), then the added members that do not fit
    (``members_truncated``; the first member is always listed). A copy of a story republished without end, long
    urls or merge after merge must not grow the record past what its topic and the table's changelog take. With
    its bytes: a record under the cap with everything is serialised once, to measure it and to publish it."""
    whole: ClusterRecord = {**record, "members": [*record["members"], *added]}
    value = codec.dumps(whole)
    if len(value) <= CLUSTER_RECORD_BYTES:
        return whole, value
    # Measured as though both flags were set, so that setting one cannot take the record over the cap.
    size = len(codec.dumps({**record, **dict.fromkeys(_TRUNCATION_FLAGS, True)}))
    merged, cut = record["merged"], 0
    while size > CLUSTER_RECORD_BYTES and cut < len(merged):
        size -= len(codec.dumps(merged[cut])) + (cut + 1 < len(merged))  # its comma, unless it was the last
        cut += 1
    members = list(record["members"])
    for member in added:
        size += len(codec.dumps(member)) + 1
        if members and size > CLUSTER_RECORD_BYTES:
            break
        members.append(member)
    left_out = {"members_truncated": len(members) < len(whole["members"]), "merged_truncated": cut > 0}
    grown = _flagged({**record, "members": members, "merged": merged[cut:]}, left_out)
    return grown, codec.dumps(grown)


# Set on a cluster record (true, else absent) once it leaves out some of its members, or of the clusters merged in.
_TRUNCATION_FLAGS = ("members_truncated", "merged_truncated")


def _flagged(record: ClusterRecord, *sources: Mapping[str, Any]) -> ClusterRecord:
    """``record``, with the truncation flags that any of ``sources`` sets (one that left something out)."""
    return {**record, **{flag: True for flag in _TRUNCATION_FLAGS if any(s.get(flag) for s in sources)}}


def without_member(record: ClusterRecord | None, article_id: str, moved_to: str) -> ClusterRecord | None:
    """The cluster's record once ``article_id`` left it for cluster ``moved_to`` (decided afresh as another article:
    ``Decision.left``), or None when it lists nothing else (the cluster's delete). ``record`` as it is when it does not
    list the id (none left, a replay of the leave, or a member the record left out). The story's first copy leaving
    is said (``canonical_moved_to``): its id's records carry another article from then on, not this story."""
    if record is None or not any(m["id"] == article_id for m in record["members"]):
        return record
    members = [m for m in record["members"] if m["id"] != article_id]
    if not members:
        return None
    moved = {"canonical_moved_to": moved_to} if article_id == record["canonical_id"] else {}
    return {**record, "members": members, **moved, "updated_at": now_iso()}


class Table(Protocol):
    """What a stage's state is kept in: the agent's Faust table, a dict offline (the cluster records)."""

    def get(self, key: str) -> Any: ...

    def __setitem__(self, key: str, value: Any) -> None: ...

    def pop(self, key: str, default: Any = None) -> Any: ...


# The dedup stage's outputs that read or write the table of cluster records (``apply_cluster_output``).
CLUSTER_TABLE_OUTPUTS: frozenset[Destination] = frozenset(
    ("clusters", "cluster_merges", "cluster_leaves", "cluster_state")
)


@dataclass(frozen=True, slots=True)
class ClusterChange:
    """A cluster record to publish under ``key``, with its bytes; ``record`` and ``value`` None: the key's delete."""

    key: str
    record: ClusterRecord | None
    value: bytes | None


def apply_cluster_output(table: Table, output: Output) -> ClusterChange | None:
    """Apply one of the dedup stage's ``CLUSTER_TABLE_OUTPUTS`` to the table of cluster records, in the order the
    stage made them; the record it publishes, or None when it publishes nothing (a state write, a leave or merge
    a replay repeats). One code for the workers and ``enrich process``, so both publish the same story view."""
    key, destination = output.key, output.destination
    if destination == "cluster_state":
        save(table, key, output.record)
        return None
    if destination == "clusters":
        member, renews = output.record
        record, value = grow_cluster(table.get(key), key, member, renewed=renews == key)
        save(table, key, record)
        return ClusterChange(key, record, value)
    if destination == "cluster_leaves":
        before = table.get(key)
        if (left := without_member(before, *output.record)) is before:
            return None  # its record does not list the id: nothing changes
        save(table, key, left)
        return ClusterChange(key, left, None if left is None else codec.dumps(left))
    older = table.get(output.record)  # cluster_merges: the key's cluster goes into the one the record names
    if older is None:  # not expected: the cluster merged into has a member in the window, so a record
        log.warning("no record of cluster %s to merge %s into", output.record, key)
        return None
    folded, last = merge_clusters(older, table.get(key), key)
    save(table, output.record, folded)
    save(table, key, None)
    return None if last is None else ClusterChange(key, last, codec.dumps(last))


def save(table: Table, key: str, record: Any) -> None:
    """Write ``record`` under ``key``; None (a table write's delete) deletes the key."""
    if record is None:
        table.pop(key, None)
    else:
        table[key] = record


def merge_clusters(
    older: ClusterRecord, younger: ClusterRecord | None, younger_id: str
) -> tuple[ClusterRecord, ClusterRecord | None]:
    """The records of two clusters once ``younger_id`` is merged into ``older``: ``older`` with its members added,
    and ``younger``'s last record, naming the cluster it went into (None when there is no record of it left, as
    when a replay merges it again)."""
    if younger is None:
        return older, None
    now = now_iso()
    known = {m["id"] for m in older["members"]}
    folded: ClusterRecord = {**older, "merged": [*older["merged"], *younger["merged"], younger_id], "updated_at": now}
    if any(m["id"] == older["canonical_id"] for m in younger["members"]):  # its first copy back in it, as it grows
        folded.pop("canonical_moved_to", None)
    folded, _ = with_members(_flagged(folded, younger), [m for m in younger["members"] if m["id"] not in known])
    return folded, {**younger, "merged_into": older["cluster_id"], "updated_at": now}


class EntitiesStage(BatchedStage):
    """First copy of a story -> enriched article with the entities of its text and title, by its language's model.

    A batch is tagged by each language's pipeline (``tag_texts``: at most ``ner_batch_chars`` characters at once);
    an article in a language without a model is enriched without entities, with the reason.
    """

    name: Stage = "entities"

    def __init__(self, settings: Settings, pipelines: Pipelines) -> None:
        self.pipelines = pipelines
        self.batch_size = settings.ner_batch_size
        self.batch_chars = settings.ner_batch_chars

    def process(self, messages: Sequence[Message]) -> list[list[Output]]:
        """Decode each message, tag the decodable ones together, and fall back to one by one if that fails."""
        return self.in_batch(messages, "unique", self._enrich_all, self._enrich_one)

    def _enrich_all(self, articles: list[UniqueArticle]) -> list[list[Output]]:
        by_language: dict[str | None, list[int]] = {}
        for i, article in enumerate(articles):
            by_language.setdefault(article["language"], []).append(i)
        outputs: list[list[Output]] = [[] for _ in articles]
        for language, rows in by_language.items():
            for i, output in zip(rows, self._enrich_language(language, [articles[i] for i in rows]), strict=True):
                outputs[i] = [output]
        return outputs

    def _enrich_one(self, article: UniqueArticle) -> list[Output]:
        return self._enrich_language(article["language"], [article])

    def _enrich_language(self, language: str | None, articles: list[UniqueArticle]) -> list[Output]:
        """Articles of one language, tagged by its pipeline together, or enriched without entities and why."""
        tagger = self.pipelines.get(language)
        if isinstance(tagger, str):
            return [self._enriched(article, [], None, tagger) for article in articles]
        texts, titles = [a["text"] for a in articles], [a["title"] for a in articles]
        tagged = tag_texts(tagger.nlp, texts, self.batch_size, self.batch_chars, tagger.variants, titles)
        return [self._enriched(a, entities, tagger.model, None) for a, entities in zip(articles, tagged, strict=True)]

    @staticmethod
    def _enriched(article: UniqueArticle, entities: list, model: str | None, reason: NlpReason | None) -> Output:
        record = EnrichedArticle(**article, entities=entities, nlp_model=model, nlp_reason=reason)
        return Output("enriched", article["id"], *fit_mentions(record, TOPIC_RECORD_BYTES))


def fit_mentions(record: EnrichedArticle, limit: int) -> tuple[EnrichedArticle, bytes]:
    """``record``, or when it serialises to more than ``limit`` bytes (a long text dense with mentions) the record
    listing each entity's first mentions, as many per entity as fit, with ``mentions_truncated``: a record over
    its topic's cap is refused by the broker and stops the worker. Rejected (too_long) if one each does not fit.
    With its bytes, made on the stage's thread to measure it, which the agent publishes."""
    if len(value := codec.dumps(record)) <= limit:
        return record, value

    def cut(most: int) -> tuple[EnrichedArticle, bytes]:
        shorter = EnrichedArticle(
            **{**record, "entities": cut_mentions(record["entities"], most), "mentions_truncated": True}
        )
        return shorter, codec.dumps(shorter)

    fits, over = 1, max((max(len(e["mentions"]), len(e["title_mentions"])) for e in record["entities"]), default=0)
    best = cut(fits)
    if over < fits or len(best[1]) > limit:
        raise Rejected("too_long", f"the enriched record exceeds {limit} bytes even with one mention per entity")
    while over - fits > 1:  # the most mentions per entity that fit: fits does, over does not
        middle = (fits + over) // 2
        if len((candidate := cut(middle))[1]) <= limit:
            fits, best = middle, candidate
        else:
            over = middle
    return best


def dedup_options(settings: Settings) -> DedupOptions:
    """The dedup stage's options from the settings."""
    model = load_model(settings.dedup_decision_model or DEFAULT_MODEL)
    return DedupOptions(
        boilerplate_stories=settings.dedup_boilerplate_stories,
        bands=settings.dedup_lsh_bands,
        num_perm=settings.dedup_num_perm,
        shingle_words=settings.dedup_shingle_words,
        window_seconds=settings.dedup_window_seconds,
        model=model,
    )
