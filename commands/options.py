"""Words every command accepts after its own: `as of YYYY-MM-DD` (or a month) and `public`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from storage.periods import Month, PeriodError, parse_date, parse_month

_AS_OF_RE = re.compile(r"\bas\s+of\s+(?P<when>\S+(?:\s+\d{4})?)\s*$", re.I)
_TRAILING_MONTH_RE = re.compile(r"(?:^|\s)(?P<when>\d{4}-\d{2})\s*$")


@dataclass(frozen=True)
class Options:
    text: str
    as_of: date | None
    public: bool


class OptionError(ValueError):
    pass


def _when(text: str) -> date:
    try:
        return parse_date(text)
    except PeriodError:
        pass
    try:
        return parse_month(text).last_day
    except PeriodError:
        raise OptionError(f"{text!r} is not a date or month; write `as of 2025-09-30` or `as of 2025-09`") from None


def split_options(text: str, default_as_of: date | None = None) -> Options:
    """Peel `public` and an as-of date off the end of a command's text."""
    words = " ".join(text.split())
    public = False
    if words.lower().endswith(" public") or words.lower() == "public":
        public = True
        words = words[: -len("public")].strip()
    as_of = default_as_of
    match = _AS_OF_RE.search(words)
    if match:
        as_of = _when(match["when"])
        words = words[: match.start()].strip()
    else:
        match = _TRAILING_MONTH_RE.search(words)
        if match:
            as_of = Month.of(_when(match["when"])).last_day
            words = words[: match.start()].strip()
    if not public and words.lower().endswith(" public"):
        public = True
        words = words[: -len("public")].strip()
    return Options(words, as_of, public)
