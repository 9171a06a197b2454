"""Digest and snapshot wording for a metric's figures: the period a current figure is for, a RAG change, and the
lines saying how old the figures are."""
from __future__ import annotations

from datetime import date

from storage.figures import NOT_AVAILABLE, format_figure, rag_word
from storage.freshness import period_title, stands_at, staleness_note
from storage.kpi import PanelComparison

RAG_CHANGED = "{name}: {before} to {after}"
RAG_FIRST = "{name}: no RAG before, now {after}"
RAG_LOST = "{name}: {before} before, no RAG now"
FIGURE_WITH_PERIOD = "{figure} ({period})"
# Who each staleness line speaks for: figures of one kind and frequency age alike.
STALE_GROUPS = {
    ("office", "monthly"): "Office KPIs",
    ("reviews", "monthly"): "Complaint review measures",
    ("plan", "quarterly"): "Police and Crime Plan, quarterly measures",
    ("plan", "annual"): "Police and Crime Plan, annual measures",
}
STALE_GROUP_LINE = "{group}: {note}"


def current_period(c: PanelComparison) -> str:
    """The period the current figure is for: the last 3 months of a monthly metric (Jul-Sep 2025), else the
    latest period (2025/26 Q1, 2024/25); N/A with no figure."""
    if c.period is None:
        return NOT_AVAILABLE
    if c.metric.frequency == "monthly":
        return c.last3_span or NOT_AVAILABLE
    return period_title(c.period)


def current_figure(c: PanelComparison) -> str:
    """The current figure in a table cell: 58%, 10.02 per 1,000, 10 a month; N/A with no figure."""
    return format_figure(c.metric, c.current, compact=True) if c.period is not None else NOT_AVAILABLE


def latest_figure(c: PanelComparison) -> str:
    """The latest period's own figure (not an average), or N/A."""
    if c.period is None or c.latest is None:
        return NOT_AVAILABLE
    return format_figure(c.metric, c.latest, one_period=True, compact=True)


def latest_with_period(c: PanelComparison) -> str:
    """A latest figure with its period, for a column that holds figures of different periods: 666 (2025/26 Q1)."""
    if c.period is None or c.latest is None:
        return NOT_AVAILABLE
    return FIGURE_WITH_PERIOD.format(figure=latest_figure(c), period=period_title(c.period))


def rag_change(name: str, before: str, after: str) -> str:
    """'Volunteer hours: Amber to Red', or 'no RAG before, now Red' when there was nothing to judge before."""
    if before == "none":
        return RAG_FIRST.format(name=name, after=rag_word(after))
    if after == "none":
        return RAG_LOST.format(name=name, before=rag_word(before))
    return RAG_CHANGED.format(name=name, before=rag_word(before), after=rag_word(after))


def staleness_lines(comparisons: list[PanelComparison], as_of: date) -> list[str]:
    """One line per kind of figure whose freshest period is older than DESIGN.md allows on `as_of`:
    'Office KPIs: latest figures are for Sep 2025, 14 months ago.' Nothing when the figures are recent."""
    lines = []
    for (kind, frequency), group in STALE_GROUPS.items():
        dated = [c for c in comparisons if c.metric.kind == kind and c.metric.frequency == frequency and c.period]
        if not dated:
            continue
        freshest = max(dated, key=lambda c: stands_at(c.period))
        note = staleness_note(freshest.period, frequency, as_of)
        if note:
            lines.append(STALE_GROUP_LINE.format(group=group, note=note[0].lower() + note[1:]))
    return lines
