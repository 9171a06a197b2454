"""Queries over the shared database: the catalog, a metric's observations, the review log and CSP money."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.catalog import Catalog, MetricDefinition, Section
from storage.csp import CspBalances, csp_balances
from storage.kpi import PanelComparison, Point, cut_day, known_by, panel_comparison
from storage.models import (
    CspAllocationRow, CspSpendRow, MetricRow, ObservationRow, ReviewRow, SectionRow,
)
from storage.periods import FinancialYear, Month, parse_financial_year, parse_period_label, period_start
from storage.reviews import MEASURE_FIELDS, Review, monthly_measures


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- catalog ---------------------------------------------------------------------------------------------

def sync_catalog(session: Session, catalog: Catalog, source: str, now: datetime | None = None) -> tuple[int, int]:
    """Add or update the catalog's sections and metrics; returns (added, updated) metric counts."""
    now = now or utcnow()
    sections = {row.name: row for row in session.scalars(select(SectionRow))}
    next_position = max((row.position for row in sections.values()), default=-1) + 1
    for section in catalog.sections:
        if section.name not in sections:
            session.add(SectionRow(name=section.name, kind=section.kind, position=next_position))
            next_position += 1
    existing = {row.slug: row for row in session.scalars(select(MetricRow))}
    next_position = max((row.position for row in existing.values()), default=-1) + 1
    added = updated = 0
    for metric in catalog.metrics:
        fields = metric.as_dict()
        row = existing.get(metric.slug)
        if row is None:
            session.add(MetricRow(**fields, position=next_position, source=source, updated_at=now))
            next_position += 1
            added += 1
        elif any(getattr(row, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(row, key, value)
            row.source, row.updated_at = source, now
            updated += 1
    session.flush()
    if added or updated:
        session.info["catalog_changed"] = True
        forget_catalog()
    return added, updated


def _definition(row: MetricRow) -> MetricDefinition:
    return MetricDefinition(
        slug=row.slug, name=row.name, definition=row.definition, section=row.section, kind=row.kind,
        unit=row.unit, frequency=row.frequency, aggregate=row.aggregate, polarity=row.polarity,
        target=row.target, expectation=row.expectation, baseline_year=row.baseline_year,
        tolerance=row.tolerance, aliases=tuple(row.aliases or ()), plan_ref=row.plan_ref, headline=row.headline,
        due_working_day=row.due_working_day, owners=dict(row.owners or {}),
    )


# The catalog as last read from each database, with the stamp it was read under. A request checks the
# stamp (one small aggregate query) and reads the catalog again only when it has changed: at 3,000
# metrics, reading it whole cost 100 ms of every /kpi.
_CATALOG_CACHE: dict[str, tuple[tuple, Catalog]] = {}
_CATALOG_LOCK = threading.Lock()
_catalog_generation = 0   # bumped by every in-process catalog change, whatever its timestamps say


def _catalog_stamp(session: Session) -> tuple:
    metrics = session.execute(select(func.count(MetricRow.id), func.max(MetricRow.id), func.max(MetricRow.updated_at))).one()
    sections = session.execute(select(func.count(SectionRow.id), func.max(SectionRow.id))).one()
    return (_catalog_generation, *metrics, *sections)


def _load_catalog(session: Session) -> Catalog:
    sections = [Section(r.name, r.kind) for r in session.scalars(select(SectionRow).order_by(SectionRow.position))]
    metrics = [_definition(r) for r in session.scalars(select(MetricRow).order_by(MetricRow.position))]
    return Catalog(sections, metrics)


def read_catalog(session: Session) -> Catalog:
    """The catalog as this session sees it; unchanged since the last read, the same (read-only) object."""
    if session.info.get("catalog_changed"):
        return _load_catalog(session)   # this transaction changed it: never cache what may roll back
    key = str(session.get_bind().url)
    stamp = _catalog_stamp(session)
    cached = _CATALOG_CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    catalog = _load_catalog(session)
    with _CATALOG_LOCK:
        _CATALOG_CACHE[key] = (stamp, catalog)
    return catalog


def metric_by_slug(session: Session, slug: str) -> MetricDefinition | None:
    """One metric by its exact slug, without reading the catalog."""
    row = session.scalar(select(MetricRow).where(MetricRow.slug == slug)) if slug else None
    return _definition(row) if row is not None else None


def latest_period_starts(session: Session, on_or_before: date) -> dict[str, date]:
    """Each metric's latest period starting on or before a day, by slug: one seek per metric on its index."""
    latest = (select(func.max(ObservationRow.period_start))
              .where(ObservationRow.metric_id == MetricRow.id, ObservationRow.period_start <= on_or_before)
              .scalar_subquery())
    return {slug: start for slug, start in session.execute(select(MetricRow.slug, latest)) if start is not None}


def forget_catalog() -> None:
    """Make the next read_catalog read the catalog again, in every database."""
    global _catalog_generation
    with _CATALOG_LOCK:
        _catalog_generation += 1
        _CATALOG_CACHE.clear()


def metric_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(MetricRow.slug, MetricRow.id)).all())


# --- observations ----------------------------------------------------------------------------------------

def latest_period_start(session: Session, metric_id: int, before: date | None = None) -> date | None:
    query = select(func.max(ObservationRow.period_start)).where(ObservationRow.metric_id == metric_id)
    if before is not None:
        query = query.where(ObservationRow.period_start <= before)
    return session.scalar(query)


def observation_points(session: Session, metric_id: int, first: date | None = None,
                       last: date | None = None) -> list[Point]:
    query = select(ObservationRow.period, ObservationRow.value, ObservationRow.numerator,
                   ObservationRow.denominator, ObservationRow.as_at).where(ObservationRow.metric_id == metric_id)
    if first is not None:
        query = query.where(ObservationRow.period_start >= first)
    if last is not None:
        query = query.where(ObservationRow.period_start <= last)
    return [Point(parse_period_label(p), v, n, d, as_at=as_at)
            for p, v, n, d, as_at in session.execute(query.order_by(ObservationRow.period_start))]


def has_any_data(session: Session) -> bool:
    return any(
        session.scalar(select(model.id).limit(1)) is not None
        for model in (ObservationRow, ReviewRow, CspAllocationRow, CspSpendRow)
    )


# --- reviews ---------------------------------------------------------------------------------------------

def _review(row: ReviewRow) -> Review:
    return Review(row.reference, row.received_on, row.completed_on, row.outcome, row.learning)


def reviews_touching(session: Session, first: date, last: date) -> list[Review]:
    """Reviews received by `last` that were open at, or received or completed after, `first`."""
    query = select(ReviewRow).where(
        ReviewRow.received_on <= last,
        or_(ReviewRow.received_on >= first, ReviewRow.completed_on.is_(None), ReviewRow.completed_on >= first),
    )
    return [_review(row) for row in session.scalars(query)]


def open_reviews(session: Session, as_of: date) -> list[Review]:
    """Reviews received by `as_of` and not completed by then, oldest first.

    Two queries, each a range on the (completed_on, received_on) index: as one query with an OR, the
    planner walked every review ever received to find the handful still open.
    """
    still_open = select(ReviewRow).where(ReviewRow.completed_on.is_(None), ReviewRow.received_on <= as_of)
    # Only the completed_on range goes to the database: given received_on too, SQLite ranged over that instead.
    closed_later = select(ReviewRow).where(ReviewRow.completed_on > as_of)
    rows = [*session.scalars(still_open), *(row for row in session.scalars(closed_later) if row.received_on <= as_of)]
    rows.sort(key=lambda row: (row.received_on, row.id))
    return [_review(row) for row in rows]


def review_log_span(session: Session) -> tuple[date | None, date | None]:
    # One aggregate per subquery, so each is answered from an index end rather than a scan of the log.
    first, last_received, last_completed = session.execute(select(
        select(func.min(ReviewRow.received_on)).scalar_subquery(),
        select(func.max(ReviewRow.received_on)).scalar_subquery(),
        select(func.max(ReviewRow.completed_on)).scalar_subquery(),
    )).one()
    last = max((d for d in (last_received, last_completed) if d is not None), default=None)
    return first, last


def review_points(session: Session, metric: MetricDefinition, first: Month, last: Month, as_of: date,
                  due_days: int) -> list[Point]:
    """Monthly values of a review measure derived from the case log, for the months the log covers."""
    log_first, _ = review_log_span(session)
    if log_first is None:
        return []
    first = max(first, Month.of(log_first))
    if first > last:
        return []
    reviews = reviews_touching(session, first.first_day, min(last.last_day, as_of))
    field = MEASURE_FIELDS[metric.slug]
    points = []
    month = first
    while month <= last:
        # Every month is counted as it stood on `as_of`, as the Panel table counts it.
        measures = monthly_measures(reviews, month, as_of, due_days)
        value = getattr(measures, field)
        if field == "avg_days_to_complete":
            # Days and completions, so 3-month and baseline averages weigh every review equally.
            days = (value or 0.0) * measures.completed_in_month
            points.append(Point(month, value, days, float(measures.completed_in_month)))
        else:
            points.append(Point(month, float(value)))
        month = month.shift(1)
    return points


# --- the Panel comparison of one metric -----------------------------------------------------------------

def _cut(as_of: date | Month | None, as_of_day: date | None) -> date | None:
    """The last day an answer may use figures from: `as_of` (a month stands for its last day), narrowed by
    `as_of_day` where a caller gives both."""
    days = [day for day in (cut_day(as_of), as_of_day) if day is not None]
    return min(days) if days else None


def _last_month_ended(day: date) -> Month:
    month = Month.of(day)
    return month if day == month.last_day else month.shift(-1)


def _window_start(metric: MetricDefinition, year: FinancialYear, newest: Month) -> date:
    """The first day a comparison at a period starting in `newest` reads: the previous 3 months (a monthly
    metric) or the previous quarter or year, and the baseline year."""
    back = -5 if metric.frequency == "monthly" else -15
    return min(newest.shift(back).first_day, year.first_day)


def metric_comparison(session: Session, metric: MetricDefinition, as_of: date | Month | None = None,
                      today: date | None = None, due_days: int = 28, as_of_day: date | None = None) -> PanelComparison:
    """Read just the periods the Panel comparison needs, and compare with what was known on `as_of`.

    `as_of` is a date, or a month standing for its last day; `as_of_day` narrows a month to a day in it.
    Without either, every loaded figure counts. Review measures are counted as the log stood on that day
    (default: the end of the log's last month, or today if sooner).
    """
    cut = _cut(as_of, as_of_day)
    today = min(today or date.today(), cut or date.max)
    year = parse_financial_year(metric.baseline_year)
    if metric.derived_from_reviews:
        _, log_last = review_log_span(session)
        if log_last is None:
            return panel_comparison(metric, [], cut)
        end = _last_month_ended(cut) if cut else Month.of(min(log_last, today))
        first = min(end.shift(-5), year.first_month)
        points = review_points(session, metric, first, end, min(end.last_day, today), due_days)
        return panel_comparison(metric, points, cut or end)
    metric_id = session.scalar(select(MetricRow.id).where(MetricRow.slug == metric.slug))
    latest = latest_period_start(session, metric_id, cut) if metric_id is not None else None
    if latest is None:
        return panel_comparison(metric, [], cut)
    # The newest period started by the cut may not have ended by it: read one month further back.
    first = _window_start(metric, year, Month.of(latest).shift(-1))
    comparison = panel_comparison(metric, observation_points(session, metric_id, first, latest), cut)
    if comparison.period is None or _window_start(metric, year, Month.of(period_start(comparison.period))) < first:
        # Nothing in that window was known yet (a year still running, figures known late by their as_at):
        # read the metric's earlier figures too.
        comparison = panel_comparison(metric, observation_points(session, metric_id, None, latest), cut)
    return comparison


# --- CSP -------------------------------------------------------------------------------------------------

def _allocated_years_statement():
    """A loose index scan: each step asks the year index for the next year after the last one, so the
    cost follows the number of years (about a dozen), not the number of areas times years."""
    first = select(func.min(CspAllocationRow.year).label("year")).cte("allocated_years", recursive=True)
    following = select(func.min(CspAllocationRow.year)).where(CspAllocationRow.year > first.c.year) \
        .scalar_subquery()
    years = first.union_all(select(following).where(first.c.year.is_not(None)))
    return select(years.c.year).where(years.c.year.is_not(None)).order_by(years.c.year)


# Built once: the statement has no parameters, and building it per call cost more than running it.
_ALLOCATED_YEARS = _allocated_years_statement()


def csp_years(session: Session) -> list[str]:
    """The financial years with an allocation, oldest first."""
    return list(session.scalars(_ALLOCATED_YEARS))


def csp_balances_for(session: Session, year: FinancialYear, as_of: date, lag_margin_pp: float) -> CspBalances:
    allocations = {
        area: Decimal(amount) for area, amount in session.execute(
            select(CspAllocationRow.area, CspAllocationRow.allocation).where(CspAllocationRow.year == year.label)
        )
    }
    spend = session.execute(
        select(CspSpendRow.area, func.sum(CspSpendRow.amount))
        .where(CspSpendRow.spent_on >= year.first_day, CspSpendRow.spent_on <= min(as_of, year.last_day))
        .group_by(CspSpendRow.area)
    ).all()
    return csp_balances(allocations, [(area, Decimal(total)) for area, total in spend], year, as_of, lag_margin_pp)


# --- a metric's recent history (charts) ------------------------------------------------------------------

def metric_history(session: Session, metric: MetricDefinition, as_of: date | Month | None = None,
                   months: int = 13, today: date | None = None, due_days: int = 28) -> list[Point]:
    """The last `months` months of a monthly metric up to its latest month known on `as_of` (every
    period known by then for quarterly and annual metrics), oldest first."""
    cut = cut_day(as_of)
    today = min(today or date.today(), cut or date.max)
    if metric.derived_from_reviews:
        _, log_last = review_log_span(session)
        if log_last is None:
            return []
        end = _last_month_ended(cut) if cut else Month.of(min(log_last, today))
        return review_points(session, metric, end.shift(-(months - 1)), end, min(end.last_day, today), due_days)
    metric_id = session.scalar(select(MetricRow.id).where(MetricRow.slug == metric.slug))
    latest = latest_period_start(session, metric_id, cut) if metric_id is not None else None
    if latest is None:
        return []
    if metric.frequency != "monthly":
        return known_by(observation_points(session, metric_id, None, latest), cut)
    # One month more than asked for: the newest month started by the cut may not have ended by it.
    first = Month.of(latest).shift(-months)
    known = _known_months(session, metric_id, first, latest, cut)
    if not known:
        return []
    end = max(p.period for p in known)
    if end.shift(-(months - 1)) < first:
        # Figures known late (by their as_at): the months before the ones read belong in the chart too.
        known = _known_months(session, metric_id, end.shift(-(months - 1)), latest, cut)
    return [p for p in known if p.period >= end.shift(-(months - 1))]


def _known_months(session: Session, metric_id: int, first: Month, latest: date, cut: date | None) -> list[Point]:
    points = known_by(observation_points(session, metric_id, first.first_day, latest), cut)
    return [p for p in points if isinstance(p.period, Month)]


def figures_loaded_between(session: Session, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """(metric slug, period) of observations loaded in [start, end), for 'what changed this week'."""
    query = (select(MetricRow.slug, ObservationRow.period)
             .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
             .where(ObservationRow.loaded_at >= start, ObservationRow.loaded_at < end)
             .order_by(MetricRow.position, ObservationRow.period_start))
    return [(slug, period) for slug, period in session.execute(query)]


def aware_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the database holds UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def quarter_notes(session: Session, slug: str, quarter_months: list[Month]) -> list[str]:
    """Notes loaded with a metric's figures in a quarter's months (the import's `note` column)."""
    labels = [m.label for m in quarter_months]
    query = (select(ObservationRow.period, ObservationRow.note)
             .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
             .where(MetricRow.slug == slug, ObservationRow.period.in_(labels), ObservationRow.note.is_not(None))
             .order_by(ObservationRow.period_start))
    return [f"{period}: {note}" for period, note in session.execute(query) if note]
