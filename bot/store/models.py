"""Database tables (SQLModel). Datetimes are naive UTC (see bot.domain.clock) on every database."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text, UniqueConstraint
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
    origin: str = Field(max_length=20)  # slack_message | app_mention | ingest | replay | demo
    source: str = Field(default="", max_length=100)  # twitter, reddit, linkedin, …
    author: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=2000)
    lang_hint: str = Field(default="", max_length=10)
    text: str = Field(sa_column=Column(Text, nullable=False))  # plain text, Slack markup neutralised
    text_hash: str = Field(index=True, max_length=64)  # sha256 of the normalised text
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
    kind: str = Field(max_length=20)  # card | escalation | thread | alert | digest | update
    channel: str = Field(max_length=100)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: text, blocks, …
    parent_id: int | None = Field(default=None, foreign_key="delivery.id")  # thread under this one
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow)
    claimed_until: NaiveDatetime | None = None
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
    """One scheduled digest slot; the unique key makes each slot send exactly once."""

    __table_args__ = (UniqueConstraint("digest_name", "slot", name="uq_digest_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_name: str = Field(max_length=100)
    slot: NaiveDatetime
    status: str = Field(default="claimed", max_length=10)  # claimed | sent | failed
    late: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    sent_at: NaiveDatetime | None = None


class AlertRecord(SQLModel, table=True):
    """A spike alert that was raised; used for the cooldown."""

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(max_length=20, index=True)
    topic: str = Field(default="", max_length=100)
    window_start: NaiveDatetime
    count: int
    baseline: float
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
