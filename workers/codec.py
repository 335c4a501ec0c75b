"""JSON in and out with orjson, and JSON Schema validation against ``schemas/`` at the edges."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any, Literal

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from workers.records import Rejected

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SchemaName = Literal["raw", "clean", "unique", "enriched", "duplicate", "deadletter", "cluster"]


def dumps(record: Any) -> bytes:
    """Serialise a record to compact JSON bytes."""
    return orjson.dumps(record)


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
    """The payload as text for a dead letter: UTF-8 when it decodes, base64 otherwise."""
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode("ascii"), "base64"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = orjson.loads(path.read_bytes())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(name: SchemaName) -> Draft202012Validator:
    """A validator for ``schemas/<name>.json`` that checks formats (date-time) too."""
    schema = orjson.loads((SCHEMA_DIR / f"{name}.json").read_bytes())
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def check(name: SchemaName, record: Any) -> None:
    """Raise ``Rejected("schema_violation")`` naming the first problem when ``record`` breaks the schema."""
    error = next(iter(sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(record)"
        raise Rejected("schema_violation", f"{name} record invalid at {where}: {error.message[:300]}")
