"""Database tables (SQLModel). Datetimes are naive UTC (see bot.domain.clock) on every database."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.domain.clock import utcnow


class Mention(SQLModel, table=True):
    """One social mention, stored before anything else happens to it."""

    __table_args__ = (
        Index("ix_mention_received", "received_at"),
        Index("ix_mention_dept_received", "department", "received_at"),
        Index("ix_mention_claim", "status", "priority", "id"),  # the backlog, most urgent first
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=300)  # e.g. "slack:C1:1700.1", "ingest:tw-123"
    origin: str = Field(max_length=20)  # slack_message | app_mention | ingest | replay | demo | listener
    source: str = Field(default="", max_length=100)  # twitter, reddit, linkedin, …
    # the `sources:` entry a built-in listener stored it under (e.g. "reddit-brand"); None for other intakes
    source_name: str | None = Field(default=None, max_length=64)
    author: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=2000)
    lang_hint: str = Field(default="", max_length=10)
    text: str = Field(sa_column=Column(Text, nullable=False))  # plain text, Slack markup neutralised
    text_hash: str = Field(index=True, max_length=64)  # sha256 of the normalised text
    # sha256 of the normalised outside link a listener item shares ('' for none): groups one link
    link_hash: str = Field(default="", index=True, max_length=64)
    slack_channel: str = Field(default="", max_length=40)
    slack_ts: str = Field(default="", max_length=40)
    created_at: NaiveDatetime = Field(default_factory=utcnow)  # when the author posted it
    received_at: NaiveDatetime = Field(default_factory=utcnow)
    # pending → classified → routed; "failed" only when even the fallback failed
    status: str = Field(default="pending", max_length=20, index=True)
    claimed_until: NaiveDatetime | None = None  # a classification worker holds it until then
    # backlog order: 2 urgent-looking, 1 a problem, 0 other (bot/domain/priority.py, set at intake)
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # the newest Classification row, kept here so reports join by primary key instead of MAX(id)
    classification_id: int | None = None
    department: str = Field(default="", max_length=20)  # current owner, after corrections
    state: str = Field(default="new", max_length=20)  # new | acknowledged | not_relevant | reassigned
    handled_by: str = Field(default="", max_length=40)
    handled_at: NaiveDatetime | None = None
    duplicate_of: int | None = Field(default=None, foreign_key="mention.id")
    # Bumped by every card action, compared in the same UPDATE: a click carries the version its card
    # showed, so a stale or concurrent click is refused instead of the last writer winning.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Classification(SQLModel, table=True):
    """What a classifier said about a mention, with its cost."""

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    department: str = Field(max_length=20)
    confidence: float
    sentiment: str = Field(max_length=10)
    urgency: str = Field(max_length=10)
    language: str = Field(max_length=10)
    summary: str = Field(default="", max_length=500)
    topics: str = Field(default="", max_length=300)  # comma-separated, ≤ 3 tags
    classifier: str = Field(max_length=20)  # rules | local | llm | fallback | cache
    model: str = Field(default="", max_length=100)
    reason: str = Field(default="", max_length=500)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one row per Slack message to send, drained by the delivery worker."""

    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)  # e.g. "card:42" — one card per mention
    mention_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    # card | thread | alert | digest (chat.postMessage) · dm (channel is a user: the IM is opened first)
    # · update (chat.update of the parent row's message, or payload["ts"]) · upload (the attachment,
    # shared to the channel the parent row was posted to)
    kind: str = Field(max_length=20)
    channel: str = Field(max_length=100)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: text, blocks, …
    parent_id: int | None = Field(default=None, foreign_key="delivery.id")  # thread under this one
    # where a card goes, with a note, when `channel` does not exist or is archived ('' = nowhere)
    fallback_channel: str = Field(default="", max_length=100)
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow)
    claimed_until: NaiveDatetime | None = None
    claimed_by: str = Field(default="", max_length=40)  # the worker holding the claim (SIGTERM releases)
    # a post may have reached Slack without us hearing back: look for its metadata before posting again
    uncertain: bool = False
    last_error: str = Field(default="", max_length=500)
    message_ts: str = Field(default="", max_length=40)
    posted_channel: str = Field(default="", max_length=40)  # channel ID Slack answered with
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    sent_at: NaiveDatetime | None = None


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already taken, so a retried event is stored once."""

    event_id: str = Field(primary_key=True, max_length=100)
    received_at: NaiveDatetime = Field(default_factory=utcnow)


class Correction(SQLModel, table=True):
    """A human decision that the router was wrong: training data and few-shot examples."""

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    from_department: str = Field(max_length=20)
    to_department: str = Field(max_length=20)
    user_id: str = Field(max_length=40)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class DigestRun(SQLModel, table=True):
    """One scheduled digest slot, inserted in the transaction that enqueues its messages.

    The unique key makes each slot enqueue exactly once; the outbox rows (dedupe key
    `digest:<name>:<slot>:<recipient>`) say whether each message went out.
    """

    __table_args__ = (UniqueConstraint("digest_name", "slot", name="uq_digest_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_name: str = Field(max_length=100)
    slot: NaiveDatetime
    late: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class AlertRecord(SQLModel, table=True):
    """A spike alert that was raised; used for the cooldown."""

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(max_length=20, index=True)
    topic: str = Field(default="", max_length=100)
    window_start: NaiveDatetime
    count: int
    baseline: float
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class SourceCursor(SQLModel, table=True):
    """One built-in listener's place: its cursor, who polls it now, when next, and how it went."""

    __tablename__ = "source_cursor"

    name: str = Field(primary_key=True, max_length=64)  # the `sources:` entry's name
    cursor: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON, fetcher-defined
    claimed_by: str = Field(default="", max_length=100)  # the poller (host:pid:n) holding the claim
    claimed_until: NaiveDatetime | None = None  # the claim lapses then, if its poller died
    next_due_at: NaiveDatetime | None = None  # None: due now
    last_success_at: NaiveDatetime | None = None
    last_error_at: NaiveDatetime | None = None
    last_error: str = Field(default="", max_length=500)
    items_today: int = 0  # items fetched on `items_day` (before the match filter)
    items_day: str = Field(default="", max_length=10)  # YYYY-MM-DD (UTC) that items_today counts
    consecutive_failures: int = 0
    failing_since: NaiveDatetime | None = None  # the first failure of the current run (None: healthy)


class ChannelPace(SQLModel, table=True):
    """When the next message may go to a channel: per-channel pacing shared by every delivery worker."""

    channel: str = Field(primary_key=True, max_length=100)
    next_at: NaiveDatetime


# Reports read mentions by posted time per department: the top-N examples and the partial edge hours.
Index("ix_mention_dept_created", Mention.department, Mention.created_at)  # type: ignore[arg-type]
# Copies grouped under an earlier card, by posted time: the digest's "repeated" items read only these.
Index(
    "ix_mention_copies_created",
    Mention.created_at,  # type: ignore[arg-type]
    Mention.department,
    Mention.duplicate_of,  # type: ignore[arg-type]
    sqlite_where=Mention.duplicate_of.isnot(None),  # type: ignore[union-attr]
    postgresql_where=Mention.duplicate_of.isnot(None),  # type: ignore[union-attr]
)


class MentionRollup(SQLModel, table=True):
    """Mentions per posted hour (UTC) × current department × sentiment × urgency (see bot.store.rollups)."""

    __tablename__ = "rollup_hour"

    epoch_hour: int = Field(primary_key=True)  # hours since 1970-01-01 UTC of mention.created_at
    department: str = Field(primary_key=True, max_length=20)
    sentiment: str = Field(primary_key=True, max_length=10)
    urgency: str = Field(primary_key=True, max_length=10)
    n: int = 0
    copies: int = 0  # of those, copies grouped under an earlier card (mention.duplicate_of set)


class TopicRollup(SQLModel, table=True):
    """Mentions per posted hour (UTC) × current department × topic tag (a mention counts once per tag)."""

    __tablename__ = "rollup_topic_hour"

    epoch_hour: int = Field(primary_key=True)
    department: str = Field(primary_key=True, max_length=20)
    topic: str = Field(primary_key=True, max_length=100)
    n: int = 0


class LocalModel(SQLModel, table=True):
    """A local model retrained on seeds + corrections, kept here so every replica runs the same one.

    `payload` is the saved model file (zlib-compressed); older rows keep their history but drop it.
    """

    __tablename__ = "local_model"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=100)  # what Classification.model records for its answers
    seed_hash: str = Field(max_length=16, index=True)  # the seeds + code it was trained with
    max_correction_id: int = 0  # the newest correction it learned from: later ones are "new"
    corrections: int = 0  # corrected mentions it learned from (the latest correction of each)
    trigger: str = Field(max_length=20)  # count | nightly | seeds | command
    seconds: float = 0.0  # training time
    sha256: str = Field(max_length=64)  # of the uncompressed file, checked before it is installed
    payload: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Lease(SQLModel, table=True):
    """A named job only one process may run at a time (e.g. retraining); it lapses if its holder dies."""

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    until: NaiveDatetime
