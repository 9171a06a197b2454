"""Months, quarters and financial years (1 April to 31 March), parsed and written as the papers write them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.echo import shorten

MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]


class PeriodError(ValueError):
    """Text that is not a month, quarter or financial year."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"month {self.month} is not between 1 and 12")

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> "Month":
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> "Month":
        return Month.from_index(self.index + months)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.shift(1).first_day - timedelta(days=1)

    @property
    def financial_year(self) -> "FinancialYear":
        return FinancialYear(self.year if self.month >= 4 else self.year - 1)

    @property
    def quarter(self) -> "Quarter":
        return Quarter(self.financial_year.start_year, (self.month - 4) % 12 // 3 + 1)

    @property
    def label(self) -> str:
        """Storage form, e.g. 2025-09."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def title(self) -> str:
        """Reading form, e.g. Sep 2025."""
        return f"{MONTH_ABBR[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class FinancialYear:
    start_year: int

    @property
    def label(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def first_month(self) -> Month:
        return Month(self.start_year, 4)

    @property
    def months(self) -> list[Month]:
        return [self.first_month.shift(i) for i in range(12)]

    @property
    def first_day(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, 3, 31)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class Quarter:
    start_year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise PeriodError(f"quarter Q{self.number} does not exist; quarters are Q1 to Q4")

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.start_year)

    @property
    def months(self) -> list[Month]:
        first = Month(self.start_year, 4).shift((self.number - 1) * 3)
        return [first, first.shift(1), first.shift(2)]

    @property
    def label(self) -> str:
        return f"{self.financial_year.label} Q{self.number}"

    @property
    def span(self) -> str:
        """Reading form of its months, e.g. Jul-Sep 2025."""
        return month_span(self.months[0], self.months[-1])

    def previous(self) -> "Quarter":
        return Quarter(self.start_year - 1, 4) if self.number == 1 else Quarter(self.start_year, self.number - 1)

    def __str__(self) -> str:
        return self.label


Period = Month | Quarter | FinancialYear


def month_span(first: Month, last: Month) -> str:
    """'Jul-Sep 2025', or 'Nov 2024-Jan 2025' across a calendar year."""
    if first == last:
        return last.title
    if first.year == last.year:
        return f"{MONTH_ABBR[first.month - 1]}-{MONTH_ABBR[last.month - 1]} {last.year}"
    return f"{first.title}-{last.title}"


def period_kind(period: Period) -> str:
    return {Month: "month", Quarter: "quarter", FinancialYear: "year"}[type(period)]


def period_start(period: Period) -> date:
    if isinstance(period, Month):
        return period.first_day
    if isinstance(period, Quarter):
        return period.months[0].first_day
    return period.first_day


def period_end(period: Period) -> date:
    if isinstance(period, Month):
        return period.last_day
    if isinstance(period, Quarter):
        return period.months[-1].last_day
    return period.last_day


_FY = r"(?P<fy>\d{4})\s*[/-]\s*(?P<fy2>\d{2}|\d{4})"
_FY_RE = re.compile(rf"^(?:fy\s*)?{_FY}$", re.I)
_QUARTER_RES = [
    re.compile(rf"^{_FY}\s*q(?P<q>\d)$", re.I),
    re.compile(rf"^q(?P<q>\d)\s*{_FY}$", re.I),
]
_MONTH_ISO_RE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(?:-01)?$")
_MONTH_NAME_RE = re.compile(r"^(?P<name>[a-z]{3,9})\.?[\s\-',]*(?P<y>\d{2}|\d{4})$", re.I)


def parse_financial_year(text: str) -> FinancialYear:
    match = _FY_RE.match(text.strip())
    if not match:
        raise PeriodError(f"{shorten(text)!r} is not a financial year; write it like 2025/26")
    return _financial_year(match, text)


def _financial_year(match: re.Match, text: str) -> FinancialYear:
    start = int(match["fy"])
    end = int(match["fy2"])
    if (end % 100) != (start + 1) % 100 or (end >= 1000 and end != start + 1):
        raise PeriodError(f"{shorten(text)!r}: a financial year runs from one year into the next, like 2025/26")
    return FinancialYear(start)


def parse_month(text: str) -> Month:
    """A month as YYYY-MM, 'Apr-25', 'April 2025'."""
    cleaned = text.strip()
    match = _MONTH_ISO_RE.match(cleaned)
    if match:
        return Month(int(match["y"]), int(match["m"]))
    match = _MONTH_NAME_RE.match(cleaned)
    if match:
        number = _month_number(match["name"])
        if number is not None:
            year = int(match["y"])
            return Month(year + 2000 if year < 100 else year, number)
    raise PeriodError(f"{shorten(text)!r} is not a month; write it as YYYY-MM, e.g. 2025-09")


def parse_period(text: str) -> Period:
    """A month (2025-09), a quarter (2025/26 Q2) or a financial year (2025/26)."""
    cleaned = " ".join(str(text).split())
    iso = _MONTH_ISO_RE.match(cleaned)
    if iso and 1 <= int(iso["m"]) <= 12:
        return Month(int(iso["y"]), int(iso["m"]))
    for pattern in _QUARTER_RES:
        match = pattern.match(cleaned)
        if match:
            return Quarter(_financial_year(match, cleaned).start_year, int(match["q"]))
    if _FY_RE.match(cleaned):
        try:
            return parse_financial_year(cleaned)
        except PeriodError:
            if "/" in cleaned:
                raise
    try:
        return parse_month(cleaned)
    except PeriodError:
        raise PeriodError(
            f"{shorten(text)!r} is not a period; use a month (2025-09), a quarter (2025/26 Q2) or a financial year (2025/26)"
        ) from None


def parse_period_label(label: str) -> Period:
    """Parse a period label as stored in the database."""
    return parse_period(label)


_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")
_DAY_NAME_RE = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-]+(?P<name>[a-z]{3,9})\.?[\s\-,]+(?P<y>\d{2}|\d{4})$", re.I)
_BARE_QUARTER_RE = re.compile(r"^q(?P<q>\d)$", re.I)
_RELATIVE_RE = re.compile(r"^(?P<which>last|this|previous|current)\s+(?P<unit>month|quarter|year|financial\s+year)$", re.I)
DATE_FORMS = "2025-09-30, 30/09/2025, 30 Sep 2025, Sep 2025, 2025/26 Q2, Q2, last month or last quarter"


def _month_number(name: str) -> int | None:
    """1-12 for a month's name or a common abbreviation (Sep, Sept, September); None otherwise."""
    name = name.lower().rstrip(".")
    for number, full in enumerate(MONTH_NAMES, start=1):
        full = full.lower()
        if len(name) >= 3 and (name == full or (full.startswith(name) and len(name) <= 4)):
            return number
    return None


def parse_date(text: str) -> date:
    """A day as people in England write it: 2025-09-30, 30/09/2025, 30 Sep 2025, 30 September 2025."""
    cleaned = " ".join(str(text).split())
    for form in _DAY_FORMATS:
        try:
            return datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    match = _DAY_NAME_RE.match(cleaned)
    if match:
        number = _month_number(match["name"])
        year = int(match["y"])
        if number is not None:
            try:
                return date(year + 2000 if year < 100 else year, number, int(match["d"]))
            except ValueError:
                raise PeriodError(f"{shorten(text)!r} is not a day of the calendar") from None
    raise PeriodError(f"{shorten(text)!r} is not a date; write it like 2025-09-30, 30/09/2025 or 30 Sep 2025")


def last_complete_quarter(day: date) -> Quarter:
    """The latest quarter that had ended by the end of `day` (on 30 Sep 2025: 2025/26 Q2)."""
    quarter = Month.of(day).quarter
    return quarter if quarter.months[-1].last_day <= day else quarter.previous()


def current_quarter(today: date) -> Quarter:
    return Month.of(today).quarter


def parse_relative_period(text: str, today: date) -> Period | None:
    """`Q2` (of the financial year `today` is in), `last month`, `last quarter`, `this year`; None if not one."""
    cleaned = " ".join(str(text).split()).lower()
    bare = _BARE_QUARTER_RE.match(cleaned)
    if bare:
        return Quarter(Month.of(today).financial_year.start_year, int(bare["q"]))
    match = _RELATIVE_RE.match(cleaned)
    if not match:
        return None
    back = 1 if match["which"] in ("last", "previous") else 0
    unit = match["unit"].split()[-1]
    month = Month.of(today)
    if unit == "month":
        return month.shift(-back)
    if unit == "quarter":
        quarter = month.quarter
        return quarter.previous() if back else quarter
    return FinancialYear(month.financial_year.start_year - back)


def parse_when(text: str, today: date) -> date:
    """An `as of` date in any of the forms of DATE_FORMS; a month, quarter or year stands for its last day."""
    try:
        return parse_date(text)
    except PeriodError:
        pass
    relative = parse_relative_period(text, today)
    if relative is not None:
        return period_end(relative)
    try:
        return period_end(parse_period(text))
    except PeriodError:
        raise PeriodError(f"{shorten(text)!r} is not a date; write it as one of {DATE_FORMS}") from None


def parse_period_text(text: str, today: date) -> Period:
    """A period as people type it: a month, quarter or year, `Q2`, `last month`, `last quarter`."""
    relative = parse_relative_period(text, today)
    if relative is not None:
        return relative
    return parse_period(text)


def year_elapsed_share(year: FinancialYear, as_of: date) -> float:
    """Share (0..1) of the financial year that has passed by the end of `as_of`."""
    total = (year.last_day - year.first_day).days + 1
    if as_of < year.first_day:
        return 0.0
    passed = (min(as_of, year.last_day) - year.first_day).days + 1
    return passed / total
