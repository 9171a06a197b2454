"""SQLAlchemy models of the shared database: catalog, observations and their history, reviews, CSP money, imports."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.addresses import CONVERSATION_ID_LENGTH, MESSAGE_REF_LENGTH, PLATFORM_LENGTH, WORKSPACE_LENGTH

MONEY = Numeric(14, 2)


class Base(DeclarativeBase):
    pass


class AtAddress:
    """A conversation's address, as every table that names one keeps it (storage.addresses reads and writes it)."""

    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH))
    workspace: Mapped[str] = mapped_column(String(WORKSPACE_LENGTH), default="")
    conversation_id: Mapped[str] = mapped_column(String(CONVERSATION_ID_LENGTH))


class MetricRow(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(20))
    aggregate: Mapped[str] = mapped_column(String(10))
    polarity: Mapped[str] = mapped_column(String(20))
    target: Mapped[float | None] = mapped_column(Float)
    expectation: Mapped[str | None] = mapped_column(String(80))
    baseline_year: Mapped[str] = mapped_column(String(7))
    tolerance: Mapped[float | None] = mapped_column(Float)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    plan_ref: Mapped[int | None] = mapped_column(Integer)
    headline: Mapped[bool] = mapped_column(Boolean, default=False)
    due_working_day: Mapped[int | None] = mapped_column(Integer)
    owners: Mapped[dict | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SectionRow(Base):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ObservationRow(Base):
    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("metric_id", "period", name="uq_observations_metric_period"),
        # Serves "latest period of a metric" and "a metric's months in a range".
        Index("ix_observations_metric_start", "metric_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(12))
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # The date the figure stood at, where that is not the end of its period (a survey published early).
    as_at: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))

    metric: Mapped[MetricRow] = relationship()


class ObservationHistoryRow(Base):
    """The value an observation had before a re-import replaced it."""

    __tablename__ = "observation_history"
    __table_args__ = (Index("ix_observation_history_metric_period", "metric_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(12))
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    as_at: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[str] = mapped_column(String(120))
    replaced_by_import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))


class ReviewRow(Base):
    """A complaint review case. No personal data: a reference, dates and outcome only."""

    __tablename__ = "reviews"
    __table_args__ = (
        # Open reviews by due date: the due date is received + a fixed number of days, so it sorts as received.
        Index("ix_reviews_open_received", "completed_on", "received_on"),
        Index("ix_reviews_received", "received_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    learning: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CspAllocationRow(Base):
    __tablename__ = "csp_allocations"
    __table_args__ = (UniqueConstraint("area", "year", name="uq_csp_allocations_area_year"),
                      Index("ix_csp_allocations_year", "year"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(120))
    year: Mapped[str] = mapped_column(String(7))
    allocation: Mapped[Decimal] = mapped_column(MONEY)
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CspSpendRow(Base):
    __tablename__ = "csp_spend"
    __table_args__ = (Index("ix_csp_spend_area_date", "area", "spent_on"), Index("ix_csp_spend_date", "spent_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spent_on: Mapped[date] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(120))
    project: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))


class ImportRow(Base):
    """One accepted file: what it held, who loaded it and when."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DigestSubscriptionRow(AtAddress, Base):
    """A conversation's subscription to the weekly or quarterly digest, by its address (platform, workspace,
    conversation id), never by name; `reference` is the platform's own, handed back to its adapter to post."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("platform", "workspace", "conversation_id", "kind",
                                       name="uq_digest_subscriptions_address_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[dict | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(12))
    day_of_week: Mapped[str] = mapped_column(String(3), default="mon")
    hour: Mapped[int] = mapped_column(Integer, default=8)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(400))   # a person's id: long on some platforms
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    problem_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DigestDeliveryRow(AtAddress, Base):
    """The delivery ledger: one row per (address, kind, period), claimed by an insert only one process can win."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "conversation_id", "kind", "period",
                         name="uq_digest_deliveries_address_kind_period"),
        Index("ix_digest_deliveries_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[dict | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(16))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="SET NULL"))
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12))
    claimed_by: Mapped[str] = mapped_column(String(120))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The platform's reference to the posted message (Slack's ts, a Teams activity id): opaque here.
    message_ref: Mapped[str | None] = mapped_column(String(MESSAGE_REF_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    triggered_by: Mapped[str] = mapped_column(String(120))
    # What an alert says (its line, whether it is for the worse, the load it followed), kept so that a later
    # check can post it when this attempt could not; NULL for a digest, which is built again instead.
    payload: Mapped[dict | None] = mapped_column(JSON)


class DigestAttemptRow(Base):
    """The run log: every delivery attempt, with its times, outcome and who set it off."""

    __tablename__ = "digest_attempts"
    __table_args__ = (Index("ix_digest_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("digest_deliveries.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)
    triggered_by: Mapped[str] = mapped_column(String(120))
    process: Mapped[str] = mapped_column(String(120))


class CommentaryRow(Base):
    """An analyst's observation or planned action on a metric for a quarter; later entries supersede earlier ones."""

    __tablename__ = "commentary"
    __table_args__ = (Index("ix_commentary_metric_quarter", "metric_id", "quarter", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))  # observation | action
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SnapshotRow(Base):
    """A produced Panel snapshot: who asked, when, and the figures it printed (kept whole, and their SHA-256)."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_quarter", "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_as_of: Mapped[date] = mapped_column(Date)
    formats: Mapped[str] = mapped_column(String(20))
    figures_sha256: Mapped[str] = mapped_column(String(64))
    figures: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    """Who did what, where and when, and how it ended: every command and every change to the data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    # Where: a conversation (its platform, workspace and id) or, with platform "cli" or "console", no chat at all.
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH))
    workspace: Mapped[str] = mapped_column(String(WORKSPACE_LENGTH), default="")
    place: Mapped[str] = mapped_column(String(CONVERSATION_ID_LENGTH))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))


class SeenRequestRow(Base):
    """A state-changing chat request already carried out, by the platform's signature of it, kept while the
    platform would still accept that signature: a replay on any replica finds it and changes nothing."""

    __tablename__ = "seen_requests"
    __table_args__ = (Index("ix_seen_requests_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of timestamp and signature
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConversationRow(AtAddress, Base):
    """Where the bot was added on a platform that posts only into conversations it knows (Teams): the reference
    it needs to post there, kept from the install event and refreshed by every message. `user_id` names the
    person of a personal chat, so that a private answer finds it; `name`, a channel's name as its team lists it,
    for the cards that mention it; `removed_at` is set when the app is removed."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "conversation_id", name="uq_conversations_address"),
        Index("ix_conversations_personal", "platform", "workspace", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[dict] = mapped_column(JSON)
    user_id: Mapped[str | None] = mapped_column(String(400))
    name: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertSubscriptionRow(AtAddress, Base):
    """A conversation's alert, by its address as digest subscriptions are: RAG turns (of a section, or of any
    metric; `section` "" for any), a metric crossing a line (`metric_slug`, `direction`, `limit_value`), or the
    complaint reviews due within `days`. The fields that do not apply to a kind are "" or NULL; the unique key
    makes one alert of each kind, section, metric and direction per conversation."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("platform", "workspace", "conversation_id", "kind", "section", "metric_slug",
                                       "direction", name="uq_alert_subscriptions_address_alert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[dict | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(12))
    section: Mapped[str] = mapped_column(String(120), default="")
    metric_slug: Mapped[str] = mapped_column(String(80), default="")
    direction: Mapped[str] = mapped_column(String(8), default="")
    limit_value: Mapped[float | None] = mapped_column(Float)
    days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingUploadRow(AtAddress, Base):
    """A file given in chat, checked and previewed, waiting for its uploader's Confirm or Cancel. The bytes are
    kept here (not on one replica's disk) so that whichever process takes the click can import it; the row goes
    when the upload is imported, cancelled or left past `expires_at`, and its bytes with it."""

    __tablename__ = "pending_uploads"
    __table_args__ = (Index("ix_pending_uploads_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[str] = mapped_column(String(400))
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(12))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
