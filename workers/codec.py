"""JSON in and out with orjson, and JSON Schema validation against ``schemas/`` at the edges."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs
import orjson

from workers.limits import DEADLETTER_PAYLOAD_BYTES
from workers.records import ClusterDelete, Rejected

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
# The id's length bound when the schema sets none: what ``workers.limits`` sizes a dead letter's overhead for.
DEFAULT_MAX_ID_CHARS = 512
SchemaName = Literal["raw", "clean", "unique", "enriched", "duplicate", "deadletter", "cluster", "cluster_delete"]


def dumps(record: Any) -> bytes:
    """Serialise a record to compact JSON bytes."""
    return orjson.dumps(record)


def cluster_delete(cluster_id: str) -> bytes:
    """A cluster's delete as a line (schemas/cluster_delete.json): on the clusters topic a null value under its key,
    which a line of a file has none of. One form for ``enrich process``'s clusters file and ``enrich tail``."""
    return dumps(ClusterDelete(cluster_id=cluster_id, deleted=True))


def loads(payload: bytes | str) -> Any:
    """Parse JSON bytes, rejecting what is not UTF-8 or not JSON with the matching error code."""
    if isinstance(payload, bytes):
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Rejected("invalid_encoding", f"payload is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Rejected("invalid_json", f"payload is not JSON: {exc}") from None


def payload_text(payload: bytes) -> tuple[str, Literal["utf-8", "base64"]]:
    """The payload as text for a dead letter: the text itself when it is UTF-8 and fits the room a dead letter has
    for a payload escaped (``DEADLETTER_PAYLOAD_BYTES``: the largest message of a topic as base64), so an operator
    reads it as sent; else base64, which takes 4 bytes per 3 and is never escaped (escaping makes a quote 2 bytes, a
    control character 6), so any message of a topic has a dead letter that fits."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode("ascii"), "base64"
    if len(orjson.dumps(text)) - 2 <= DEADLETTER_PAYLOAD_BYTES:  # its quotes aside
        return text, "utf-8"
    return base64.b64encode(payload).decode("ascii"), "base64"


@cache
def _schemas() -> dict[str, Any]:
    return {path.stem: orjson.loads(path.read_bytes()) for path in sorted(SCHEMA_DIR.glob("*.json"))}


@cache
def max_id_chars() -> int:
    """The longest id the schemas take (the raw id's ``maxLength``, 512 if a later schema drops it)."""
    return int(_schemas()["common"]["$defs"]["id"].get("maxLength", DEFAULT_MAX_ID_CHARS))


@cache
def validator(name: SchemaName) -> jsonschema_rs.Validator:
    """A validator for ``schemas/<name>.json`` that checks formats (date-time) too.

    jsonschema-rs, not the pure-Python ``jsonschema``: every stage checks every record it reads, and a record
    costs about 2 us to check here against 300 us there (measured on unique records of 400-word articles).
    """
    schemas = _schemas()
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return jsonschema_rs.validator_for(schemas[name], registry=registry, validate_formats=True)


def check(name: SchemaName, record: Any) -> None:
    """Raise ``Rejected("schema_violation")`` naming the first problem when ``record`` breaks the schema."""
    checker = validator(name)
    if checker.is_valid(record):
        return
    try:
        error = min(checker.iter_errors(record), key=lambda e: [str(p) for p in e.instance_path])
    except ValueError as exc:  # a value nested deeper than the validator's errors can show (1,000 arrays in a title)
        raise Rejected("schema_violation", f"{name} record invalid: {exc}", given_id(record)) from None
    where = "/".join(str(p) for p in error.instance_path) or "(record)"
    raise Rejected("schema_violation", f"{name} record invalid at {where}: {error.message[:300]}", given_id(record))


def given_id(record: Any) -> str | None:
    """The id a decoded record gives, when it is a string: a record a stage refuses is still named by it in its dead
    letter (``workers.pipeline.letter_id`` keeps one the schema could take)."""
    given = record.get("id") if isinstance(record, dict) else None
    return given if isinstance(given, str) else None
