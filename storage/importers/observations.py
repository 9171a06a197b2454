"""Import monthly, quarterly and annual figures, in long form (metric,period,value) or the wide form kept in Excel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import COMMAND_LINE, record_change
from storage.catalog import Catalog, MetricDefinition
from storage.echo import shorten
from storage.importers.common import (
    CellError, ImportRejected, ImportResult, Problem, StoppedReading, in_batches, insert_rows, is_blank,
    require_columns, text,
)
from storage.importers.figure_cells import (
    FractionWatch, as_at_day, check_period, check_value, count_value, figure_value,
)
from storage.importers.files import Table, read_table
from storage.importers.limits import MAX_PROBLEMS, TOO_MANY_PROBLEMS
from storage.models import ImportRow, MetricRow, ObservationHistoryRow, ObservationRow
from storage.periods import Month, Period, PeriodError, parse_month, parse_period, period_kind, period_start

LONG_REQUIRED = ["metric", "period", "value"]
LONG_OPTIONAL = ["numerator", "denominator", "note", "as_at"]
AS_AT = "as_at"
WIDE_KEY_COLUMNS = ("metric", "slug", "metric name", "name", "kpi")
WIDE_DESCRIPTIVE_COLUMNS = ("section", "unit", "definition", "description", "target", "notes", "polarity", "frequency")
VALUE_TOLERANCE = 0.05

UNKNOWN_METRIC = "unknown metric {name!r}; did you mean: {suggestions}"
UNKNOWN_METRIC_NOTHING_CLOSE = "unknown metric {name!r}; `kpibot metrics` lists the slugs and names"


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    row: int
    metric: MetricDefinition
    period: Period
    value: float
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None
    as_at: date | None = None


class MetricNames:
    """The metric each name in a file stands for, looked up once per distinct name. Suggestions for a miss are
    worked out for the first SUGGESTED_NAMES misses only: each compares the name with every slug, name and alias,
    and a file of thousands of unknown names would otherwise take minutes to refuse."""

    SUGGESTED_NAMES = 20
    LONGEST_NAME = 200   # no metric's name or alias is longer; a longer cell is not worth comparing

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._known: dict[str, tuple[MetricDefinition | None, str | None]] = {}
        self._suggested = 0

    def find(self, raw, row: int, column: str, problems: list[Problem]) -> MetricDefinition | None:
        name = text(raw)
        if not name:
            problems.append(Problem(row, column, "no metric given"))
            return None
        known = self._known.get(name)
        if known is None:
            known = self._known[name] = self._look_up(name)
        metric, problem = known
        if problem:
            problems.append(Problem(row, column, problem))
        return metric

    def _look_up(self, name: str) -> tuple[MetricDefinition | None, str | None]:
        metric = self.catalog.find(name)
        if metric is None:
            close = []
            if self._suggested < self.SUGGESTED_NAMES and len(name) <= self.LONGEST_NAME:
                self._suggested += 1
                close = self.catalog.suggest(name)
            suggestions = ", ".join(m.slug for m in close)
            shown = shorten(name)
            return None, (UNKNOWN_METRIC.format(name=shown, suggestions=suggestions) if suggestions
                          else UNKNOWN_METRIC_NOTHING_CLOSE.format(name=shown))
        if metric.derived_from_reviews:
            return None, (f"{metric.slug} is worked out from the review log; "
                          "load cases with `kpibot import reviews` instead")
        return metric, None


def _long_records(table: Table, catalog: Catalog, today: date, problems: list[Problem],
                  fractions: FractionWatch) -> list[ObservationRecord]:
    require_columns(table, LONG_REQUIRED, LONG_OPTIONAL)
    records = []
    as_at_position = table.columns.index(AS_AT) if AS_AT in table.columns else None
    names = MetricNames(catalog)
    for number, row in table.numbered_rows(problems):
        metric = names.find(table.cell(row, "metric"), number, "metric", problems)
        try:
            period = parse_period(text(table.cell(row, "period")))
        except PeriodError as exc:
            problems.append(Problem(number, "period", str(exc)))
            period = None
        counts: dict[str, float | None] = {}
        for column in ("numerator", "denominator"):
            raw = table.cell(row, column) if column in table.columns else None
            try:
                counts[column] = count_value(raw, column)
            except CellError as exc:
                problems.append(Problem(number, column, str(exc)))
                counts[column] = None
        try:
            as_at = None if as_at_position is None else as_at_day(row[as_at_position], today)
        except CellError as exc:
            problems.append(Problem(number, AS_AT, str(exc)))
            as_at = None
        raw_value = table.cell(row, "value")
        value = None
        if metric is None or period is None:
            continue
        problem = check_period(metric, period, today)
        if problem:
            problems.append(Problem(number, "period", problem))
            continue
        numerator, denominator = counts["numerator"], counts["denominator"]
        if (numerator is None) != (denominator is None):
            problems.append(Problem(number, "numerator" if numerator is None else "denominator",
                                    "give both numerator and denominator, or neither"))
            continue
        if denominator is not None:
            if denominator <= 0 or numerator < 0 or numerator > denominator:
                problems.append(Problem(number, "denominator", "needs 0 <= numerator <= denominator and denominator > 0"))
                continue
            if metric.unit != "percent":
                problems.append(Problem(number, "numerator", f"counts are only used for percent metrics; {metric.slug} is in {metric.unit}"))
                continue
        if is_blank(raw_value):
            if denominator is None:
                problems.append(Problem(number, "value", "no value given"))
                continue
            value = numerator / denominator * 100
        else:
            try:
                value = figure_value(metric, raw_value)
            except CellError as exc:
                problems.append(Problem(number, "value", str(exc)))
                continue
            if denominator is not None and abs(value - numerator / denominator * 100) > VALUE_TOLERANCE:
                problems.append(Problem(number, "value", f"{value:g}% does not match numerator/denominator "
                                                         f"({numerator / denominator * 100:.1f}%)"))
                continue
            if denominator is None:
                fractions.add(metric, value, number, "value")
        problem = check_value(metric, value)
        if problem:
            problems.append(Problem(number, "value", problem))
            continue
        note = text(table.cell(row, "note")) if "note" in table.columns else ""
        records.append(ObservationRecord(number, metric, period, float(value), numerator, denominator, note or None,
                                         as_at))
    return records


def _header_month(raw) -> Month | None:
    if isinstance(raw, (datetime, date)):
        return Month(raw.year, raw.month)
    try:
        return parse_month(text(raw))
    except PeriodError:
        return None


def _is_wide(table: Table) -> bool:
    return bool(table.columns) and table.columns[0] in WIDE_KEY_COLUMNS and any(
        _header_month(h) for h in table.original_columns[1:])


def _wide_records(table: Table, catalog: Catalog, today: date, problems: list[Problem],
                  fractions: FractionWatch) -> list[ObservationRecord]:
    key = table.columns[0]
    as_at_position = table.columns.index(AS_AT) if AS_AT in table.columns else None
    months: dict[int, Month] = {}
    for position, (raw, clean) in enumerate(zip(table.original_columns, table.columns)):
        if position == 0 or clean in WIDE_DESCRIPTIVE_COLUMNS or clean in WIDE_KEY_COLUMNS or clean == AS_AT:
            continue
        month = _header_month(raw)
        if month is None:
            problems.append(Problem(1, text(raw) or f"#{position + 1}",
                                    "header is not a month; use Apr-25, 2025-04 or an Excel date"))
        elif month in months.values():
            problems.append(Problem(1, text(raw), f"{month.title} appears in more than one column"))
        else:
            months[position] = month
    if problems:
        raise ImportRejected(table.filename, problems)
    records = []
    names = MetricNames(catalog)
    for number, row in table.numbered_rows(problems):
        metric = names.find(row[0], number, key, problems)
        if metric is None:
            continue
        try:
            as_at = None if as_at_position is None else as_at_day(row[as_at_position], today)
        except CellError as exc:
            problems.append(Problem(number, AS_AT, str(exc)))
            continue
        for position, month in months.items():
            raw = row[position]
            if is_blank(raw):
                continue
            column = month.title
            problem = check_period(metric, month, today)
            if problem:
                problems.append(Problem(number, column, problem))
                continue
            try:
                value = figure_value(metric, raw)
            except CellError as exc:
                problems.append(Problem(number, column, str(exc)))
                continue
            fractions.add(metric, value, number, column)
            problem = check_value(metric, value)
            if problem:
                problems.append(Problem(number, column, problem))
                continue
            records.append(ObservationRecord(number, metric, month, float(value), as_at=as_at))
    return records


def read_observations(path, catalog: Catalog, today: date) -> tuple[Table, list[ObservationRecord]]:
    """Parse and check a whole file; raises ImportRejected listing every problem found."""
    table = read_table(path)
    problems: list[Problem] = []
    fractions = FractionWatch()
    records = _wide_records(table, catalog, today, problems, fractions) if _is_wide(table) \
        else _long_records(table, catalog, today, problems, fractions)
    problems.extend(fractions.problems())
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        if len(problems) >= MAX_PROBLEMS:
            problems.append(StoppedReading(record.row, None, TOO_MANY_PROBLEMS.format(limit=MAX_PROBLEMS)))
            break
        key = (record.metric.slug, record.period.label)
        if key in seen:
            problems.append(Problem(record.row, "period", f"{record.metric.slug} {record.period.label} is also on row {seen[key]}"))
        else:
            seen[key] = record.row
    if problems:
        raise ImportRejected(table.filename, sorted(problems, key=lambda p: (p.row or 0)))
    if not records:
        raise ImportRejected(table.filename, [Problem(None, None, "no figures found under the header")])
    return table, records


def import_observations(session: Session, path, catalog: Catalog, loaded_by: str, now: datetime,
                        source: str | None = None, place: str = COMMAND_LINE,
                        action: str = "import observations") -> ImportResult:
    """Check the file whole, then write it and its audit entry in the caller's transaction; re-imported periods
    keep their old value in history."""
    table, records = read_observations(path, catalog, now.date())
    ids = dict(session.execute(select(MetricRow.slug, MetricRow.id)).all())
    missing = sorted({r.metric.slug for r in records if r.metric.slug not in ids})
    if missing:
        raise ImportRejected(table.filename, [Problem(None, "metric", f"{', '.join(missing)} not in the database "
                                                                       "catalog; run `kpibot init` first")])
    batch = ImportRow(kind="observations", filename=table.filename, sha256=table.sha256, rows=len(records),
                      loaded_by=loaded_by, loaded_at=now)
    session.add(batch)
    session.flush()
    wanted_ids = {ids[r.metric.slug] for r in records}
    existing = {
        (row.metric_id, row.period): row
        for ids_slice in in_batches(sorted(wanted_ids))
        for row in session.scalars(select(ObservationRow).where(ObservationRow.metric_id.in_(ids_slice)))
    }
    new_rows: list[dict] = []
    inserted = replaced = unchanged = 0
    source = source or table.filename
    for record in records:
        metric_id = ids[record.metric.slug]
        fields = dict(value=record.value, numerator=record.numerator, denominator=record.denominator, note=record.note,
                      as_at=record.as_at)
        row = existing.get((metric_id, record.period.label))
        if row is None:
            new_rows.append(dict(
                metric_id=metric_id, period=record.period.label, period_kind=period_kind(record.period),
                period_start=period_start(record.period), source=source, loaded_by=loaded_by, loaded_at=now,
                import_id=batch.id, **fields,
            ))
            inserted += 1
        elif all(getattr(row, k) == v for k, v in fields.items()):
            unchanged += 1
        else:
            session.add(ObservationHistoryRow(
                metric_id=metric_id, period=row.period, value=row.value, numerator=row.numerator,
                denominator=row.denominator, note=row.note, as_at=row.as_at, source=row.source, loaded_by=row.loaded_by,
                loaded_at=row.loaded_at, replaced_at=now, replaced_by=loaded_by, replaced_by_import_id=batch.id,
            ))
            for key, value in fields.items():
                setattr(row, key, value)
            row.source, row.loaded_by, row.loaded_at, row.import_id = source, loaded_by, now, batch.id
            replaced += 1
    batch.inserted, batch.replaced = inserted, replaced
    insert_rows(session, ObservationRow, new_rows)
    result = ImportResult("observations", table.filename, len(records), inserted, replaced, unchanged)
    record_change(session, now, loaded_by, place, action, result.summary())
    session.flush()
    return result
