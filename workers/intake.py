"""The raw topic's edge: bytes in, a validated ``RawArticle`` with a stable id out."""

from __future__ import annotations

import hashlib
from typing import Any, get_args

import orjson

from workers import codec
from workers.records import InputKind, RawArticle, Rejected

INPUT_KINDS: tuple[str, ...] = get_args(InputKind)  # the fields a raw record may carry its page or article in


def derive_id(record: dict[str, Any]) -> str:
    """A stable id: from the url when there is one, else from the page itself."""
    basis = record.get("url") or next((record[kind] for kind in INPUT_KINDS if record.get(kind)), "")
    prefix = "u" if record.get("url") else "c"
    return f"{prefix}-{hashlib.blake2b(basis.encode('utf-8'), digest_size=10).hexdigest()}"


def message_key(line: bytes) -> bytes | None:
    """The record's id as the message key, when the line is a JSON object: its own id, else the id the clean stage
    derives from its url or page, so that two versions of one url land on one partition, in the order sent."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    article_id = record.get("id")
    if isinstance(article_id, str):
        return article_id.encode()
    try:
        return derive_id(record).encode()
    except (AttributeError, TypeError):  # a url or page that is not a string: the clean stage rejects the record
        return None


def read_raw(payload: bytes, max_bytes: int) -> RawArticle:
    """Decode and validate a raw message; raise ``Rejected`` with the reason when it cannot be used."""
    if len(payload) > max_bytes:
        raise Rejected("oversized", f"message is {len(payload)} bytes, limit is {max_bytes}")
    record = codec.loads(payload)
    if not isinstance(record, dict):
        raise Rejected("schema_violation", f"raw record must be a JSON object, not {type(record).__name__}")
    if sum(kind in record for kind in INPUT_KINDS) != 1:
        page = "a raw record carries its page as exactly one of 'html', 'text', 'body'"
        raise Rejected("schema_violation", page, codec.given_id(record))
    codec.check("raw", record)
    raw = RawArticle(
        id=record.get("id") or derive_id(record),
        url=record.get("url"),
        source=record["source"],
        title=record.get("title"),
        published_at=record.get("published_at"),
    )
    kind = next(kind for kind in INPUT_KINDS if kind in record)
    raw[kind] = record[kind]
    return raw
