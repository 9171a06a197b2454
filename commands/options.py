"""Words every command accepts after its own: `as of <date>` (any form of DATE_FORMS) and `public`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from storage.periods import DATE_FORMS, Month, PeriodError, parse_when

_AS_OF_RE = re.compile(r"(?:^|\s)as\s+of\s+(?P<when>.+?)\s*$", re.I)
_TRAILING_MONTH_RE = re.compile(r"(?:^|\s)(?P<when>\d{4}-\d{2})\s*$")
AS_OF_UNREADABLE = "{text!r} is not a date or month I can read after `as of`; write it as one of " + DATE_FORMS + "."


@dataclass(frozen=True)
class Options:
    text: str
    as_of: date | None
    public: bool


class OptionError(ValueError):
    pass


def _when(text: str, today: date) -> date:
    try:
        return parse_when(text, today)
    except PeriodError:
        raise OptionError(AS_OF_UNREADABLE.format(text=text)) from None


def _date_then_more(text: str, today: date) -> bool:
    """`as of 2025-10-27 overdue`: a date followed by other words, so `as of` is not at the end.

    Left in the text for the command to say where `as of` goes."""
    words = text.split()
    for length in range(min(3, len(words) - 1), 0, -1):
        try:
            parse_when(" ".join(words[:length]), today)
        except PeriodError:
            continue
        try:
            parse_when(text, today)
        except PeriodError:
            return True
        return False
    return False


def split_options(text: str, default_as_of: date | None = None, today: date | None = None) -> Options:
    """Peel `public` and an as-of date off the end of a command's text.

    `today` resolves relative dates (`as of last month`, `as of Q2`); without it, the calendar's today."""
    today = today or date.today()
    words = " ".join(text.split())
    public = False
    if words.lower().endswith(" public") or words.lower() == "public":
        public = True
        words = words[: -len("public")].strip()
    as_of = default_as_of
    match = _AS_OF_RE.search(words)
    if match and not _date_then_more(match["when"], today):
        as_of = _when(match["when"], today)
        words = words[: match.start()].strip()
    else:
        match = _TRAILING_MONTH_RE.search(words)
        if match:
            as_of = Month.of(_when(match["when"], today)).last_day
            words = words[: match.start()].strip()
    if not public and words.lower().endswith(" public"):
        public = True
        words = words[: -len("public")].strip()
    return Options(words, as_of, public)
