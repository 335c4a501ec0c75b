"""The worker's producer keeps the metadata of every topic it writes to, whatever other topic it learns of.

aiokafka's client asks for every topic's metadata until it is told of one topic (a send to a topic its metadata
does not list yet), then for the topics it was told of only, and each answer replaces the last: every other topic
left its metadata. A record queued for one of those (behind a request in flight, or lingering) then had no leader,
and the producer asked the metadata again without end, silently, until the batch expired: the agent waited on it,
and so did Faust's commit, which flushes the producer first (as in two clean-clone CI runs of 2026-12-07, a worker
stuck at its start after a changelog the broker listed late).
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from workers.app import create_app
from workers.security import client_options
from workers.settings import Settings

LINGER_SECONDS = 5.0  # long enough for the send to the new topic to narrow the metadata before the batch leaves
DELIVERED_SECONDS = 20.0  # a record delivered in milliseconds, or its batch stuck for the delivery timeout


async def _create(settings: Settings, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1)])
        for _ in range(100):  # the metadata lists it at once on one broker, later under load
            if name in await admin.list_topics():
                return
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def test_a_record_queued_for_a_known_topic_is_delivered_after_a_send_to_a_new_one(
    pipeline_settings: Settings,
) -> None:
    settings = pipeline_settings
    app = create_app(settings, ("clean",))
    later = f"{settings.app_id}.made-later"

    async def run() -> None:
        producer = app.producer._new_producer()
        await producer.start()
        try:
            await producer.client.force_metadata_update()  # as Faust does once it made its tables' changelogs
            await _create(settings, later)  # a topic the producer's metadata does not list yet
            producer._message_accumulator._linger_time = LINGER_SECONDS  # the record waits in the accumulator
            queued = await producer.send(settings.topic_clean, b"queued", partition=0)
            await producer.send_and_wait(later, b"first of its topic", partition=0)
            await asyncio.wait_for(queued, DELIVERED_SECONDS)
        finally:
            await producer.stop()

    asyncio.run(run())
