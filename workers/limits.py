"""Message size limits, derived in one place so that every message a topic accepts has a dead letter that fits.

No Kafka here: the stages size their dead letters by these, ``workers.topics`` configures the topics with them and
the clients (Faust's producer and consumer, the CLI's) take messages this large.
"""

from __future__ import annotations

# The largest message of every topic but the dead-letter one: headroom over the raw size limit the clean stage
# applies (ENRICH_MAX_MESSAGE_BYTES, 2 MiB), a clean record carries the text only, an enriched one adds entities.
TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# Room a record leaves under its topic's cap for its key and the record batch's own header.
RECORD_HEADROOM_BYTES = 4 * 1024
# What one serialised record of those topics may take (the entities stage cuts an enriched record's mentions to it).
TOPIC_RECORD_BYTES = TOPIC_MAX_MESSAGE_BYTES - RECORD_HEADROOM_BYTES
# A dead letter's reason is cut to this many characters: an exception's message can be as long as its input.
DEADLETTER_REASON_CHARS = 2000
# Room for everything of a dead letter but its payload: the reason (each character 6 bytes at worst, as \u001f),
# the id (512 characters, as much), the origin and the replay_of place (a topic name of at most 249 characters each),
# the fixed fields, the key and the record batch's own header. About 17 KiB at worst; 64 KiB leaves room for a field
# added later.
DEADLETTER_OVERHEAD_BYTES = 64 * 1024
# The room a dead letter's payload has, its quotes aside: the largest message of the other topics as base64 (3 bytes
# in 4 characters, padded to a multiple of 4, never escaped). A payload goes as text when that fits, else base64.
DEADLETTER_PAYLOAD_BYTES = 4 * -(-TOPIC_MAX_MESSAGE_BYTES // 3)
# The dead-letter topic takes any message of the other topics whole.
DEADLETTER_MAX_MESSAGE_BYTES = DEADLETTER_PAYLOAD_BYTES + DEADLETTER_OVERHEAD_BYTES
# What one serialised dead letter may take, leaving room for its key and the batch header.
DEADLETTER_RECORD_BYTES = DEADLETTER_MAX_MESSAGE_BYTES - RECORD_HEADROOM_BYTES
# What a story cluster's record may take (articles.clusters and the dedup-clusters table's changelog): half a stock
# broker's default max.message.bytes (1 MiB); past it the oldest merged ids are not listed, then the last members
# (the first always is: at most about 60 KiB, its id, url and source at their raw schema's maxLength, each character
# escaped as \u001f).
CLUSTER_RECORD_BYTES = 512 * 1024
# The fewest bytes a member's entry takes in a cluster record, its comma included (empty id and source, no url, time
# or revision: pinned by a test), and so the most members a record can list. A later copy the window passed is kept
# for its record's leave (``DedupIndex._departed``) by no more than that many per cluster: a story copied for ever
# keeps its cluster open, and a record lists no more of its copies than this.
CLUSTER_MEMBER_MIN_BYTES = 80
CLUSTER_MEMBERS_MAX = CLUSTER_RECORD_BYTES // CLUSTER_MEMBER_MIN_BYTES
# Producers and consumers send and fetch the largest message of any topic.
CLIENT_MAX_MESSAGE_BYTES = max(TOPIC_MAX_MESSAGE_BYTES, DEADLETTER_MAX_MESSAGE_BYTES)
# What a dead letter too large for its topic keeps of its payload (a message read from a topic that holds
# larger values than its cap, as a compressed batch does): a prefix, with the full size and sha256.
DEADLETTER_PREFIX_BYTES = 64 * 1024
