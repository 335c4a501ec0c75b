"""Producing to and reading from topics with aiokafka, for the CLI and the tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from workers.security import client_options
from workers.settings import Settings
from workers.topics import TOPIC_MAX_MESSAGE_BYTES


def message_key(line: bytes) -> bytes | None:
    """The record's id as the message key, when the line is a JSON object with one."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    article_id = record.get("id") if isinstance(record, dict) else None
    return article_id.encode() if isinstance(article_id, str) else None


async def produce_lines(settings: Settings, topic: str, lines: Iterable[bytes]) -> int:
    """Publish every non-blank line as one message; return how many."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        max_request_size=TOPIC_MAX_MESSAGE_BYTES,
        **client_options(settings),
    )
    try:
        await producer.start()  # inside the try: a failed start (say, refused credentials) still closes the client
        pending = [
            await producer.send(topic, value=line.rstrip(b"\r\n"), key=message_key(line))
            for line in lines
            if line.strip()
        ]
        await asyncio.gather(*pending)
        return len(pending)
    finally:
        await producer.stop()


async def tail_topic(
    settings: Settings, topic: str, from_beginning: bool, max_messages: int | None, idle_timeout: float | None
) -> AsyncIterator[bytes]:
    """Values arriving on ``topic``, read without committing offsets (a throwaway group)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"{settings.app_id}-tail-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        fetch_max_bytes=TOPIC_MAX_MESSAGE_BYTES,
        max_partition_fetch_bytes=TOPIC_MAX_MESSAGE_BYTES,
        **client_options(settings),
    )
    seen = 0
    try:
        await consumer.start()
        while max_messages is None or seen < max_messages:
            batch = await consumer.getmany(timeout_ms=int((idle_timeout or 3600) * 1000))
            if not batch:
                return
            for record in (r for records in batch.values() for r in records):
                yield record.value
                seen += 1
                if max_messages is not None and seen >= max_messages:
                    return
    finally:
        await consumer.stop()
