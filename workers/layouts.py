"""Moving the workers from one layout of stages to another without processing anything again.

A worker's consumer group is named by its stages (``Settings.consumer_group``): a process started with other
stages joins a new group, which has no commits and so reads its topics from their start. Giving the new group the
old one's commits, on the topics the new stages read, makes it start where the old one stopped.
"""

from __future__ import annotations

from collections.abc import Mapping

from workers.settings import Settings, Stage


class OffsetsRefused(ValueError):
    """A copy of offsets that would not do what was asked: the reason, for the operator."""


def offsets_to_copy(
    settings: Settings, old: tuple[Stage, ...], new: tuple[Stage, ...], committed: Mapping[tuple[str, int], int]
) -> dict[tuple[str, int], int]:
    """The commits for the group of the ``new`` stages: what the group of the ``old`` ones ``committed`` on every
    topic the new stages read. Refused when the old stages did not read one of those topics, or their group has
    no commit on it (a typo, or a group that never ran): the new group would read that topic from its start."""
    if settings.consumer_group(old) == settings.consumer_group(new):
        raise OffsetsRefused(f"stages {','.join(old)} and {','.join(new)} are one consumer group: nothing to copy")
    topics = {settings.source_topic(stage) for stage in new}
    if unread := topics - {settings.source_topic(stage) for stage in old}:
        raise OffsetsRefused(f"stages {','.join(old)} do not read {', '.join(sorted(unread))}: no offsets to copy")
    copied = {tp: offset for tp, offset in committed.items() if tp[0] in topics and offset >= 0}
    if uncommitted := topics - {topic for topic, _ in copied}:
        group = settings.consumer_group(old)
        raise OffsetsRefused(f"consumer group {group} has committed no offset on {', '.join(sorted(uncommitted))}")
    return copied
