"""One line a person can read per record of any pipeline topic, for ``enrich tail --summary``.

A record is summarised by what it can say: every field is optional here, since a raw record may come without an
id or a title, and a topic may carry anything a producer sent to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

import orjson

from workers import codec

Kind = Literal["raw", "clean", "unique", "enriched", "duplicates", "deadletter", "clusters"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# The schema of each kind's records, for a topic not named in the settings: the first whose schema takes a record is
# its kind. A kind whose records hold every field another's must (a duplicate is a clean record and more) comes first.
_SCHEMAS: tuple[tuple[Kind, codec.SchemaName], ...] = (
    ("clusters", "cluster"),
    ("deadletter", "deadletter"),
    ("duplicates", "duplicate"),
    ("enriched", "enriched"),
    ("unique", "unique"),
    ("clean", "clean"),
    ("raw", "raw"),
)
_SHOWN_ENTITIES = 12
_SHOWN_BYTES = 200


def kind_of(record: Mapping[str, Any], topic_kind: Kind | None) -> Kind | None:
    """The topic's kind when it is one of the pipeline's topics, else the first kind whose schema takes the record;
    None when none does (a record of another program, such as a Faust changelog's dedup index entry)."""
    if topic_kind is not None:
        return topic_kind
    return next((kind for kind, schema in _SCHEMAS if codec.validator(schema).is_valid(record)), None)


def summarise(value: bytes, topic_kind: Kind | None = None) -> str:
    """One line: the record's kind, id, source and title, then what that kind adds (entities, match, error...); a
    value that is none of the kinds, its first bytes, rather than a guess that reads as one."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:
        record = None
    if not isinstance(record, dict):
        return f"NOT A RECORD {_first_bytes(value)}"
    if (kind := kind_of(record, topic_kind)) is None:
        return f"NOT A PIPELINE RECORD {_first_bytes(value)}"
    return _LINES[kind](record).replace("\n", " ")


def _first_bytes(value: bytes) -> str:
    return repr(value[:_SHOWN_BYTES].decode("utf-8", "replace"))


def tail_line(
    key: bytes | None, value: bytes | None, topic_kind: Kind | None, summary: bool, named_deletes: bool = False
) -> str:
    """What ``enrich tail`` prints of a message: its value, or its summary. A null value is the key's delete on a
    compacted topic (``articles.clusters`` publishes one for a cluster an id left with no other member): JSON
    ``null`` (the form scripts have read since tail printed deletes), a JSON line naming the key with
    ``named_deletes`` (``deleted_line``), or DELETED and the key."""
    if value is None:
        if summary:
            return f"DELETED {(key or b'?').decode('utf-8', 'replace')}"
        return deleted_line(key, topic_kind) if named_deletes else "null"
    return summarise(value, topic_kind) if summary else value.decode("utf-8", "replace")


def deleted_line(key: bytes | None, topic_kind: Kind | None) -> str:
    """A key's delete as a line: on the clusters topic the line ``enrich process`` writes for it in its clusters
    file (schemas/cluster_delete.json), elsewhere ``{"key": ..., "deleted": true}``: a bare ``null`` says neither
    which key went nor, to a script reading JSON lines, that anything went."""
    name = None if key is None else key.decode("utf-8", "replace")
    if topic_kind == "clusters" and name is not None:
        return codec.cluster_delete(name).decode()
    return orjson.dumps({"key": name, "deleted": True}).decode()


def _text(record: Mapping[str, Any], field: str, missing: str = "?") -> str:
    value = record.get(field)
    return missing if value is None or value == "" else str(value)


def _article(label: str, record: Mapping[str, Any]) -> str:
    """What every article record has: id, source, title (any of them may be missing from a raw record)."""
    title = record.get("title")
    shown = repr(title) if isinstance(title, str) and title else "(no title)"
    return f"{label} {_text(record, 'id', '(no id)')} ({_text(record, 'source')}) {shown}"


def _raw(record: Mapping[str, Any]) -> str:
    given = [(kind, record[kind]) for kind in ("html", "text", "body") if isinstance(record.get(kind), str)]
    sizes = ", ".join(f"{kind} of {len(content)} characters" for kind, content in given) or "no html, text or body"
    return f"{_article('RAW', record)}: {sizes}"


def _clean(record: Mapping[str, Any]) -> str:
    words = len(str(record.get("text") or "").split())
    return f"{_article('CLEAN', record)}: {words} words, language {_text(record, 'language')}"


def _unique(record: Mapping[str, Any]) -> str:
    return f"{_article('UNIQUE', record)}: cluster {_text(record, 'cluster_id')}"


def _enriched(record: Mapping[str, Any]) -> str:
    entities = [e for e in record.get("entities") or [] if isinstance(e, dict)]
    if not entities:
        why = f"no entities ({record['nlp_reason']})" if record.get("nlp_reason") else "no entities"
        return f"{_article('ENRICHED', record)}: {why}"
    named = ", ".join(f"{_text(e, 'text')} ({_text(e, 'label')})" for e in entities[:_SHOWN_ENTITIES])
    more = f" and {len(entities) - _SHOWN_ENTITIES} more" if len(entities) > _SHOWN_ENTITIES else ""
    return f"{_article('ENRICHED', record)}: {named}{more}"


def _duplicate(record: Mapping[str, Any]) -> str:
    return (
        f"{_article('DUPLICATE', record)} of {_text(record, 'canonical_id')}: "
        f"{_text(record, 'match')} match, similarity {_text(record, 'similarity')}"
    )


def _deadletter(record: Mapping[str, Any]) -> str:
    """A null value (a tombstone) says so: its reason, the parser's, is an empty message's word for word."""
    null = " (the message's value was null)" if record.get("payload_null") else ""
    return (
        f"DEAD LETTER {_text(record, 'id', '(no id)')} stage={_text(record, 'stage')} "
        f"error={_text(record, 'error')}: {_text(record, 'reason')}{null}"
    )


def _cluster(record: Mapping[str, Any]) -> str:
    members = [m for m in record.get("members") or [] if isinstance(m, dict)]
    sources = ", ".join(dict.fromkeys(_text(m, "source") for m in members))
    merged = f", merged into {record['merged_into']}" if record.get("merged_into") else ""
    return (
        f"CLUSTER {_text(record, 'cluster_id')} of {_text(record, 'canonical_id')}: "
        f"{len(members)} members ({sources}){merged}"
    )


_LINES: dict[Kind, Callable[[Mapping[str, Any]], str]] = {
    "raw": _raw,
    "clean": _clean,
    "unique": _unique,
    "enriched": _enriched,
    "duplicates": _duplicate,
    "deadletter": _deadletter,
    "clusters": _cluster,
}
