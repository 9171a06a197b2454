"""Words every command accepts after its own: `as of <date>` (any form of DATE_FORMS), `public`, and a period
typed beside the rest (`calls-under-25s Q2`, `/csp 2024/25`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from answers.response import shorten
from storage.periods import DATE_FORMS, Month, Period, PeriodError, parse_date, parse_period_text, parse_when

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
        raise OptionError(AS_OF_UNREADABLE.format(text=shorten(text))) from None


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


# `2025/26 Q2` and `last month` are two words, `30 Sep 2025` three: nothing longer is a date.
_LONGEST_PERIOD_WORDS = 3


@dataclass(frozen=True)
class TypedPeriod:
    """A period or day typed at the start or end of a command's text, and what is left around it."""

    rest: str
    when: Period | date
    words: str


def _period_or_day(text: str, today: date) -> Period | date | None:
    try:
        return parse_period_text(text, today)
    except PeriodError:
        pass
    try:
        return parse_date(text)
    except PeriodError:
        return None


def split_period(text: str, today: date) -> TypedPeriod | None:
    """The longest run of up to three words at the end (else the start) of `text` that is a period or a day.

    `calls-under-25s 2025/26 Q2` gives 2025/26 Q2 and `calls-under-25s`; `2024/25 blaby` gives 2024/25 and
    `blaby`; the whole text may be the period (`2024/25`), leaving nothing. None when neither end is one."""
    words = text.split()
    for length in range(min(_LONGEST_PERIOD_WORDS, len(words)), 0, -1):
        for taken, rest in ((words[-length:], words[:-length]), (words[:length], words[length:])):
            when = _period_or_day(" ".join(taken), today)
            if when is not None:
                return TypedPeriod(" ".join(rest), when, " ".join(taken))
    return None
