"""Import CSP allocations (area,year,allocation) and spend lines (date,area,project,amount)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import COMMAND_LINE, record_change
from storage.echo import shorten
from storage.importers.common import (
    CellError, ImportRejected, ImportResult, Problem, echo, insert_rows, parse_day, parse_money, require_columns, text,
    too_long,
)
from storage.importers.files import read_table
from storage.models import CspAllocationRow, CspSpendRow, ImportRow
from storage.periods import Month, PeriodError, parse_financial_year


def import_csp_allocations(session: Session, path, loaded_by: str, now: datetime, place: str = COMMAND_LINE,
                           action: str = "import csp-allocations") -> ImportResult:
    table = read_table(path)
    require_columns(table, ["area", "year", "allocation"])
    problems: list[Problem] = []
    records: list[tuple[str, str, Decimal]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in table.numbered_rows(problems):
        area = " ".join(text(table.cell(row, "area")).split())
        long_area = too_long(area, CspAllocationRow.area, "CSP area's name")
        if not area:
            problems.append(Problem(number, "area", "no area given"))
        elif long_area:
            problems.append(Problem(number, "area", long_area))
            area = ""
        try:
            year = parse_financial_year(text(table.cell(row, "year"))).label
        except PeriodError as exc:
            problems.append(Problem(number, "year", str(exc)))
            year = None
        try:
            amount = parse_money(table.cell(row, "allocation"))
            if amount < 0:
                raise CellError("an allocation cannot be negative")
        except CellError as exc:
            problems.append(Problem(number, "allocation", str(exc)))
            amount = None
        if area and year and amount is not None:
            key = (area.lower(), year)
            if key in seen:
                problems.append(Problem(number, "area", f"{shorten(area)} {year} is also on row {seen[key]}"))
            else:
                seen[key] = number
                records.append((area, year, amount))
    if problems:
        raise ImportRejected(table.filename, problems)
    if not records:
        raise ImportRejected(table.filename, [Problem(None, None, "no allocations found under the header")])
    existing = {(row.area.lower(), row.year): row for row in session.scalars(select(CspAllocationRow))}
    inserted = replaced = unchanged = 0
    for area, year, amount in records:
        row = existing.get((area.lower(), year))
        if row is None:
            session.add(CspAllocationRow(area=area, year=year, allocation=amount, source=table.filename,
                                         loaded_by=loaded_by, loaded_at=now))
            inserted += 1
        elif Decimal(row.allocation) == amount and row.area == area:
            unchanged += 1
        else:
            row.area, row.allocation, row.source, row.loaded_by, row.loaded_at = area, amount, table.filename, loaded_by, now
            replaced += 1
    session.add(ImportRow(kind="csp-allocations", filename=table.filename, sha256=table.sha256, rows=len(records),
                          inserted=inserted, replaced=replaced, loaded_by=loaded_by, loaded_at=now))
    result = ImportResult("CSP allocations", table.filename, len(records), inserted, replaced, unchanged)
    record_change(session, now, loaded_by, place, action, result.summary())
    session.flush()
    return result


def import_csp_spend(session: Session, path, loaded_by: str, now: datetime, place: str = COMMAND_LINE,
                     action: str = "import csp-spend") -> ImportResult:
    """Spend lines add up, so the same file is refused a second time rather than counted twice."""
    table = read_table(path)
    require_columns(table, ["date", "area", "project", "amount"])
    earlier = session.scalar(select(ImportRow).where(ImportRow.kind == "csp-spend", ImportRow.sha256 == table.sha256))
    if earlier is not None:
        raise ImportRejected(table.filename, [Problem(None, None, (
            f"this exact file was already imported on {earlier.loaded_at:%Y-%m-%d %H:%M} by {earlier.loaded_by}; "
            "importing it again would count its spend twice"))])
    areas_by_year: dict[str, dict[str, str]] = {}
    for area, year in session.execute(select(CspAllocationRow.area, CspAllocationRow.year)):
        areas_by_year.setdefault(year, {})[area.lower()] = area
    problems: list[Problem] = []
    records = []
    for number, row in table.numbered_rows(problems):
        try:
            spent_on = parse_day(table.cell(row, "date"))
            if spent_on > now.date():
                problems.append(Problem(number, "date", f"{spent_on.isoformat()} is in the future"))
        except CellError as exc:
            problems.append(Problem(number, "date", str(exc)))
            spent_on = None
        area_text = " ".join(text(table.cell(row, "area")).split())
        project = " ".join(text(table.cell(row, "project")).split())
        long_project = too_long(project, CspSpendRow.project, "project's name")
        if not project:
            problems.append(Problem(number, "project", "no project given"))
        elif long_project:
            problems.append(Problem(number, "project", long_project))
            project = ""
        try:
            amount = parse_money(table.cell(row, "amount"))
        except CellError as exc:
            problems.append(Problem(number, "amount", str(exc)))
            amount = None
        area = None
        if not area_text:
            problems.append(Problem(number, "area", "no area given"))
        elif spent_on is not None:
            year = Month.of(spent_on).financial_year.label
            area = areas_by_year.get(year, {}).get(area_text.lower())
            if area is None:
                known = ", ".join(sorted(areas_by_year.get(year, {}).values())) or "none yet"
                problems.append(Problem(number, "area", f"{echo(area_text)} has no {year} allocation (areas with one: "
                                                        f"{known}); import csp-allocations first"))
        if spent_on and area and project and amount is not None:
            records.append((spent_on, area, project, amount))   # a tuple: a long file is held while it is checked
    if problems:
        raise ImportRejected(table.filename, problems)
    if not records:
        raise ImportRejected(table.filename, [Problem(None, None, "no spend lines found under the header")])
    batch = ImportRow(kind="csp-spend", filename=table.filename, sha256=table.sha256, rows=len(records),
                      inserted=len(records), replaced=0, loaded_by=loaded_by, loaded_at=now)
    session.add(batch)
    session.flush()
    insert_rows(session, CspSpendRow, (
        dict(spent_on=spent_on, area=area, project=project, amount=amount, source=table.filename,
             loaded_by=loaded_by, loaded_at=now, import_id=batch.id)
        for spent_on, area, project, amount in records))
    result = ImportResult("CSP spend", table.filename, len(records), len(records), 0)
    record_change(session, now, loaded_by, place, action, result.summary())
    return result
