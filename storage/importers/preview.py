"""What loading a file would change, found by running exactly its import in a transaction that is always rolled
back: new and replaced figures, the RAG changes they cause, the cases, allocations and spend a file adds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import COMMAND_LINE, AuditPlace
from storage.catalog import MetricDefinition
from storage.db import Database
from storage.figures import format_figure, format_money, rag_word
from storage.importers.common import ImportResult, in_batches, plural
from storage.importers.kinds import kind_of
from storage.importers.load import CSP_ALLOCATIONS, CSP_SPEND, OBSERVATIONS, REVIEWS, load
from storage.models import CspAllocationRow, CspSpendRow, ImportRow, MetricRow, ObservationRow, ReviewRow
from storage.periods import Month, parse_period_label, period_start
from storage.repository import metric_comparison, read_catalog

LINES_PER_LIST = 20

ROWS_READ = "{filename}: {rows} of {what}; {counts}."
KIND_WORDS = {OBSERVATIONS: "figures", REVIEWS: "the review log", CSP_ALLOCATIONS: "CSP allocations",
              CSP_SPEND: "CSP spend"}
COVERS = "Changes {metrics}, {periods}."
NOTHING_CHANGES = "Nothing would change: every row is already loaded as it is."
NEW_VALUE = "{metric}, {period}: {new} (new)"
REPLACED_VALUE = "{metric}, {period}: {old} -> {new}"
RAG_CHANGE = "{metric} turns {after} (was {before})"
CASES = "Cases: {new} new, {changed} updated."
CASES_WHERE = "The case references are listed where case lists may be shown."
NEW_CASE = "{reference}: new, {after}"
CHANGED_CASE = "{reference}: {before} -> {after}"
OPEN_CASE = "received {received}, open"
CLOSED_CASE = "received {received}, completed {completed}, {outcome}"
WITH_LEARNING = ", with learning"
NEW_ALLOCATION = "{area} {year} allocation: {new} (new)"
REPLACED_ALLOCATION = "{area} {year} allocation: {old} -> {new}"
SPEND_ADDED = "Adds {lines}, {total} in all."
SPEND_AREA = "{area}: {lines}, {total}"
MORE = "... and {count} more"


@dataclass(frozen=True)
class FigureChange:
    metric: MetricDefinition
    period: str              # the period's label, as stored: 2025-09, 2025/26 Q1
    old: float | None        # None: a new figure
    new: float

    def describe(self) -> str:
        period = _period_title(self.period)
        new = format_figure(self.metric, self.new, one_period=True)
        if self.old is None:
            return NEW_VALUE.format(metric=self.metric.name, period=period, new=new)
        return REPLACED_VALUE.format(metric=self.metric.name, period=period,
                                     old=format_figure(self.metric, self.old, one_period=True), new=new)


@dataclass(frozen=True)
class RagChange:
    metric: MetricDefinition
    before: str              # green, amber, red, none
    after: str

    def describe(self) -> str:
        return RAG_CHANGE.format(metric=self.metric.name, after=rag_word(self.after), before=rag_word(self.before))


@dataclass(frozen=True)
class CaseState:
    received: date
    completed: date | None
    outcome: str | None
    learning: bool

    def describe(self) -> str:
        if self.completed is None:
            text = OPEN_CASE.format(received=self.received.isoformat())
        else:
            text = CLOSED_CASE.format(received=self.received.isoformat(), completed=self.completed.isoformat(),
                                      outcome=self.outcome)
        return text + (WITH_LEARNING if self.learning else "")


@dataclass(frozen=True)
class CaseChange:
    reference: str           # sensitive: shown only where case lists may be
    before: CaseState | None
    after: CaseState

    def describe(self) -> str:
        if self.before is None:
            return NEW_CASE.format(reference=self.reference, after=self.after.describe())
        return CHANGED_CASE.format(reference=self.reference, before=self.before.describe(),
                                   after=self.after.describe())


@dataclass(frozen=True)
class AllocationChange:
    area: str
    year: str
    old: Decimal | None
    new: Decimal

    def describe(self) -> str:
        if self.old is None:
            return NEW_ALLOCATION.format(area=self.area, year=self.year, new=format_money(self.new))
        return REPLACED_ALLOCATION.format(area=self.area, year=self.year, old=format_money(self.old),
                                          new=format_money(self.new))


@dataclass(frozen=True)
class AreaSpend:
    area: str
    lines: int
    total: Decimal


@dataclass(frozen=True)
class Preview:
    kind: str
    result: ImportResult
    figures: tuple[FigureChange, ...] = ()
    rag_changes: tuple[RagChange, ...] = ()
    cases: tuple[CaseChange, ...] = ()
    allocations: tuple[AllocationChange, ...] = ()
    spend: tuple[AreaSpend, ...] = ()

    @property
    def rows(self) -> int:
        return self.result.rows

    @property
    def new_values(self) -> tuple[FigureChange, ...]:
        return tuple(f for f in self.figures if f.old is None)

    @property
    def replaced_values(self) -> tuple[FigureChange, ...]:
        return tuple(f for f in self.figures if f.old is not None)

    @property
    def metrics(self) -> tuple[MetricDefinition, ...]:
        """The metrics whose figures the file changes, in catalog order of first appearance."""
        seen: dict[str, MetricDefinition] = {}
        for change in self.figures:
            seen.setdefault(change.metric.slug, change.metric)
        return tuple(seen.values())

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(sorted({f.period for f in self.figures}, key=lambda label: period_start(parse_period_label(label))))

    def summary_lines(self, show_cases: bool = False) -> list[str]:
        """The preview as a chat answer says it; case references only with `show_cases` (they are sensitive)."""
        counts = [f"{self.result.inserted} new", f"{self.result.replaced} replaced"]
        if self.result.unchanged:
            counts.append(f"{self.result.unchanged} unchanged")
        lines = [ROWS_READ.format(filename=self.result.filename, rows=plural(self.rows, "row"),
                                  what=KIND_WORDS[self.kind], counts=", ".join(counts))]
        if not (self.figures or self.cases or self.allocations or self.spend):
            return lines + [NOTHING_CHANGES]
        if self.figures:
            lines.append(COVERS.format(metrics=", ".join(m.name for m in self.metrics),
                                       periods=_span(self.periods)))
            lines += _listed([f.describe() for f in self.replaced_values + self.new_values])
        lines += [change.describe() for change in self.rag_changes]
        if self.cases:
            new = sum(1 for c in self.cases if c.before is None)
            lines.append(CASES.format(new=new, changed=len(self.cases) - new))
            lines += _listed([c.describe() for c in self.cases]) if show_cases else [CASES_WHERE]
        lines += _listed([a.describe() for a in self.allocations])
        if self.spend:
            total = sum((s.total for s in self.spend), Decimal("0.00"))
            lines.append(SPEND_ADDED.format(lines=plural(sum(s.lines for s in self.spend), "spend line"),
                                            total=format_money(total)))
            lines += _listed([SPEND_AREA.format(area=s.area, lines=plural(s.lines, "line"), total=format_money(s.total))
                              for s in self.spend])
        return lines


def preview(db: Database, path: Path | str, loaded_by: str, now: datetime, kind: str | None = None,
            place: AuditPlace = COMMAND_LINE, due_days: int = 28) -> Preview:
    """Run the import of `path` (its kind found from its header unless given) and report what it would change,
    writing nothing; raises ImportRejected, as the import would, when the file has problems."""
    kind = kind or kind_of(path)
    today = now.date()
    with Session(db.engine) as session:
        try:
            result = load(session, kind, path, loaded_by, now, place)
            after = _changed(session, kind, result, loaded_by, now)
            catalog = read_catalog(session)
            touched = _touched_metrics(kind, after, catalog)
            rag_after = {m.slug: metric_comparison(session, m, None, today, due_days).rag for m in touched}
        finally:
            session.rollback()
    with Session(db.engine) as session:   # the database as it stands: nothing above was written
        try:
            before = _earlier(session, kind, after)
            rag_before = {m.slug: metric_comparison(session, m, None, today, due_days).rag for m in touched}
        finally:
            session.rollback()
    rag_changes = tuple(RagChange(m, rag_before[m.slug], rag_after[m.slug]) for m in touched
                        if rag_before[m.slug] != rag_after[m.slug])
    if kind == OBSERVATIONS:
        figures = tuple(FigureChange(catalog.find(slug), period, before.get((slug, period)), value)
                        for (slug, period), value in after.items())
        return Preview(kind, result, figures=figures, rag_changes=rag_changes)
    if kind == REVIEWS:
        cases = tuple(CaseChange(reference, before.get(reference.upper()), state) for reference, state in after.items())
        return Preview(kind, result, cases=cases, rag_changes=rag_changes)
    if kind == CSP_ALLOCATIONS:
        allocations = tuple(AllocationChange(area, year, before.get((area.lower(), year)), amount)
                            for (area, year), amount in after.items())
        return Preview(kind, result, allocations=allocations)
    return Preview(kind, result, spend=tuple(AreaSpend(area, lines, total) for area, (lines, total) in after.items()))


def _batch_id(session: Session, kind: str, result: ImportResult, loaded_by: str, now: datetime) -> int | None:
    return session.scalar(select(ImportRow.id).where(
        ImportRow.kind == kind, ImportRow.filename == result.filename, ImportRow.loaded_by == loaded_by,
        ImportRow.loaded_at == now).order_by(ImportRow.id.desc()).limit(1))


def _changed(session: Session, kind: str, result: ImportResult, loaded_by: str, now: datetime) -> dict:
    """What the load just wrote, read back inside its own transaction."""
    if kind == OBSERVATIONS:
        batch = _batch_id(session, kind, result, loaded_by, now)
        rows = session.execute(
            select(MetricRow.slug, ObservationRow.period, ObservationRow.value, ObservationRow.period_start)
            .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
            .where(ObservationRow.import_id == batch).order_by(MetricRow.slug, ObservationRow.period_start))
        return {(slug, period): value for slug, period, value, _ in rows}
    if kind == CSP_SPEND:
        batch = _batch_id(session, kind, result, loaded_by, now)
        spend: dict[str, tuple[int, Decimal]] = {}
        for area, amount in session.execute(select(CspSpendRow.area, CspSpendRow.amount)
                                            .where(CspSpendRow.import_id == batch).order_by(CspSpendRow.area)):
            lines, total = spend.get(area, (0, Decimal("0.00")))
            spend[area] = (lines + 1, total + Decimal(amount))
        return spend
    written_by = dict(loaded_by=loaded_by, loaded_at=now, source=result.filename)
    if kind == REVIEWS:
        rows = session.scalars(select(ReviewRow).filter_by(**written_by).order_by(ReviewRow.received_on,
                                                                                   ReviewRow.reference))
        return {r.reference: CaseState(r.received_on, r.completed_on, r.outcome, r.learning) for r in rows}
    rows = session.scalars(select(CspAllocationRow).filter_by(**written_by).order_by(CspAllocationRow.year,
                                                                                      CspAllocationRow.area))
    return {(r.area, r.year): Decimal(r.allocation) for r in rows}


def _earlier(session: Session, kind: str, after: dict) -> dict:
    """The same rows as the database holds them now, before the load."""
    if kind == OBSERVATIONS:
        slugs = sorted({slug for slug, _ in after})
        found = {}
        for part in in_batches(slugs):
            rows = session.execute(select(MetricRow.slug, ObservationRow.period, ObservationRow.value)
                                   .join(MetricRow, MetricRow.id == ObservationRow.metric_id)
                                   .where(MetricRow.slug.in_(part)))
            found.update({(slug, period): value for slug, period, value in rows if (slug, period) in after})
        return found
    if kind == REVIEWS:
        return {
            r.reference.upper(): CaseState(r.received_on, r.completed_on, r.outcome, r.learning)
            for part in in_batches(list(after))
            for r in session.scalars(select(ReviewRow).where(ReviewRow.reference.in_(part)))
        }
    if kind == CSP_ALLOCATIONS:
        return {(r.area.lower(), r.year): Decimal(r.allocation) for r in session.scalars(select(CspAllocationRow))}
    return {}


def _touched_metrics(kind: str, after: dict, catalog) -> list[MetricDefinition]:
    if kind == OBSERVATIONS:
        slugs = {slug for slug, _ in after}
        return [m for m in catalog.metrics if m.slug in slugs]
    if kind == REVIEWS and after:
        return [m for m in catalog.metrics if m.derived_from_reviews]
    return []


def _period_title(label: str) -> str:
    period = parse_period_label(label)
    return period.title if isinstance(period, Month) else period.label


def _span(labels: tuple[str, ...]) -> str:
    if len(labels) == 1:
        return _period_title(labels[0])
    return f"{_period_title(labels[0])} to {_period_title(labels[-1])}"


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= LINES_PER_LIST:
        return lines
    return lines[:LINES_PER_LIST] + [MORE.format(count=len(lines) - LINES_PER_LIST)]
