"""The /kpi answers: one metric's Panel comparison, a section's table, a miss and a choice, in DESIGN.md's words."""
from __future__ import annotations

from datetime import date

from answers.response import Fact, Response, Table, error, shorten
from storage.catalog import Catalog, Section
from storage.catalog_names import suggest_sections
from storage.figures import NOT_AVAILABLE, direction_word, format_day, format_figure, format_figure_difference, rag_word
from storage.freshness import period_title, staleness_note
from storage.kpi import PanelComparison

NO_RAG_REASON = {
    "neutral": "a count to watch, not judged",
    "nothing": "no target or baseline to judge against",
    "no-data": "no current figure",
}
NO_TARGET = "No target"
MISS = "I don't know a metric or section called {text!r}."
MISS_HINT = "Closest metrics: {options}. Type /kpi help for the full list."
MISS_SECTIONS_HINT = "Closest sections: {options}."
NO_MATCH_HINT = "Type /kpi help for the sections and metrics I know."
CHOICES = "{text!r} could mean {choices}."
CHOICE_SECTION = "the section {name}"
CHOICE_METRIC = "the metric {name}"
CHOICES_HINT = "Choose one, or type the name in full."
SECTION_CURRENT = "Current: the last 3 months for monthly figures, the latest period for the others."
SECTION_HINT = "/kpi <metric> gives the full comparison for one metric."
LOAD_HINT = "Load figures with `kpibot import observations FILE` ({slug})."
NONE_KNOWN_BY = "{name}: no figures known by {day}"
NONE_KNOWN_BY_HINT = "Without a date, /kpi {slug} answers with every figure loaded."


def miss_answer(catalog: Catalog, text: str) -> Response:
    metrics = catalog.suggest(text)
    sections = suggest_sections(catalog, text)
    hints = [MISS_HINT.format(options=", ".join(m.slug for m in metrics))] if metrics else []
    if sections:
        hints.append(MISS_SECTIONS_HINT.format(options=", ".join(s.name for s in sections)))
    if not hints:
        return error(MISS.format(text=shorten(text)), NO_MATCH_HINT)
    return Response(
        title=MISS.format(text=shorten(text)), is_error=True, notes=hints,
        suggestions=[f"/kpi {m.slug}" for m in metrics] + [f"/kpi {s.name.lower()}" for s in sections],
    )


def choices_answer(text: str, choices, words: str) -> Response:
    """A text that fits a section and a metric (or several sections) equally well: each offered as a choice."""
    named = [CHOICE_SECTION.format(name=c.name) if isinstance(c, Section) else CHOICE_METRIC.format(name=c.name)
             for c in choices]
    listed = ", ".join(named[:-1]) + " or " + named[-1]
    return Response(
        title=CHOICES.format(text=shorten(text), choices=listed), is_error=True, notes=[CHOICES_HINT],
        suggestions=[f"/kpi {c.name.lower() if isinstance(c, Section) else c.slug}{words}" for c in choices],
    )


def rag_text(comparison: PanelComparison) -> str:
    if comparison.rag != "none":
        return rag_word(comparison.rag)
    if comparison.metric.polarity == "neutral":
        reason = NO_RAG_REASON["neutral"]
    elif comparison.period is None:
        reason = NO_RAG_REASON["no-data"]
    else:
        reason = NO_RAG_REASON["nothing"]
    return f"{rag_word('none')} ({reason})"


def _stale_notes(comparisons: list[PanelComparison], reading_day: date | None) -> list[str]:
    """The line saying how old the figures are, once per period, when older than DESIGN.md allows."""
    if reading_day is None:
        return []
    lines = (staleness_note(c.period, c.metric.frequency, reading_day, c.as_at) for c in comparisons)
    return list(dict.fromkeys(line for line in lines if line))


def metric_answer(comparison: PanelComparison, with_definition: bool = False, *, as_of: date | None = None,
                  notes: list[str] = (), known_by: date | None = None) -> Response:
    """One metric's Panel comparison. `as_of` is the day it is read on: figures older than their frequency
    allows on that day get a line saying so. `known_by` is the as-of date asked for, if one was."""
    metric = comparison.metric
    figure = lambda v: format_figure(metric, v)  # noqa: E731
    difference = lambda v: format_figure_difference(metric, v)  # noqa: E731
    definition = [f"Definition: {metric.definition}"] if with_definition else []
    if comparison.period is None and comparison.baseline is None:
        if known_by is not None:
            return Response(title=NONE_KNOWN_BY.format(name=metric.name, day=format_day(known_by)),
                            notes=[*notes, *definition, NONE_KNOWN_BY_HINT.format(slug=metric.slug)])
        return Response(title=f"{metric.name}: no figures loaded yet",
                        notes=[*notes, *definition, LOAD_HINT.format(slug=metric.slug)])
    period = period_title(comparison.period) if comparison.period is not None else None
    facts: list[Fact] = []
    if metric.frequency == "monthly":
        headline = f"{metric.name}: {figure(comparison.last3)} ({comparison.last3_span})"
        facts += [
            Fact(f"Last 3 months ({comparison.last3_span})", figure(comparison.last3)),
            Fact(f"Previous 3 months ({comparison.previous3_span})", figure(comparison.previous3)),
            Fact("Difference to previous 3 months", difference(comparison.change_vs_previous3)),
            Fact(f"Baseline {comparison.baseline_year}", figure(comparison.baseline)),
            Fact("Baseline comparison", difference(comparison.change_vs_baseline)),
            Fact(f"Latest month ({period})", format_figure(metric, comparison.latest, one_period=True)),
        ]
    elif comparison.period is None:
        headline = f"{metric.name}: no figure yet since the {comparison.baseline_year} baseline"
        facts.append(Fact("Latest", NOT_AVAILABLE))
        facts.append(Fact(f"Baseline {comparison.baseline_year}", figure(comparison.baseline)))
    else:
        headline = f"{metric.name}: {figure(comparison.latest)} ({period})"
        facts += [
            Fact(f"Latest ({period})", figure(comparison.latest)),
            Fact("Previous period", figure(comparison.previous3)),
            Fact("Difference to previous period", difference(comparison.change_vs_previous3)),
            Fact(f"Baseline {comparison.baseline_year}", figure(comparison.baseline)),
            Fact("Baseline comparison", difference(comparison.change_vs_baseline)),
        ]
    target = metric.expectation or (figure(comparison.target) if comparison.target is not None else NO_TARGET)
    facts += [
        Fact("Target" if not metric.expectation else "Target/expectation", target),
        Fact("RAG", rag_text(comparison)),
        Fact("Direction", direction_word(comparison.direction)),
    ]
    footer = f"{metric.section} · {metric.slug} · {metric.frequency}"
    return Response(title=headline, facts=facts,
                    notes=[*notes, *_stale_notes([comparison], as_of), *definition, footer])


def section_answer(section: str, comparisons: list[PanelComparison], *, as_of: date | None = None,
                   notes: list[str] = ()) -> Response:
    """A section's table: each metric's period, current figure, baseline, move and RAG."""
    rows = []
    for c in comparisons:
        compact = lambda v: format_figure(c.metric, v, compact=True)  # noqa: E731
        if c.period is None:
            period = NOT_AVAILABLE
        else:
            period = c.last3_span if c.metric.frequency == "monthly" else period_title(c.period)
        rows.append([
            c.metric.name,
            period,
            compact(c.current) if c.period else NOT_AVAILABLE,
            compact(c.baseline),
            format_figure_difference(c.metric, c.change_vs_previous3, compact=True),
            rag_word(c.rag),
        ])
    return Response(
        title=f"{section}",
        table=Table(["Metric", "Period", "Current", "Baseline", "Diff. to previous", "RAG"], rows, SECTION_CURRENT),
        notes=[*notes, *_stale_notes(comparisons, as_of), SECTION_HINT],
    )
