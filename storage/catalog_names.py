"""What a name typed after /kpi means: a section (by its name or its initials spelt out), a metric, or a choice."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from storage.catalog import Catalog, MetricDefinition, Section, section_words

# Section names are few and short: only a near-spelling is offered (`neighbourhod crime`, not `crime`).
SECTION_SUGGESTION_THRESHOLD = 0.8


@dataclass(frozen=True)
class Lookup:
    """What a typed name found: one metric, one section, several that fit it equally well, or nothing."""

    metric: MetricDefinition | None = None
    section: Section | None = None
    choices: tuple[MetricDefinition | Section, ...] = ()

    @property
    def found(self) -> bool:
        return self.metric is not None or self.section is not None or bool(self.choices)


def _fits(name: list[str], typed: list[str]) -> bool:
    return all(any(word.startswith(part) for word in name) for part in typed)


def _spelt_out(name: list[str], typed: list[str]) -> bool:
    """A one-word name of initials (VAWG) typed in full: the initials of two or more words typed."""
    return len(typed) >= 2 and len(name) == 1 and len(name[0]) >= 3 and name[0] == "".join(w[0] for w in typed)


def sections_fitting(catalog: Catalog, text: str) -> list[Section]:
    """Sections whose name has a word starting with each word typed (`rural` fits Rural Crime), and those
    whose name is the initials typed out (`violence against women and girls` fits VAWG)."""
    typed = section_words(text)
    if not typed:
        return []
    return [s for s in catalog.sections if _spelt_out(section_words(s.name), typed) or _fits(section_words(s.name), typed)]


def lookup(catalog: Catalog, text: str) -> Lookup:
    """A section's own name wins (`neighbourhood crime` is the section, not the metric with that alias); then
    a metric's slug, name or alias; then the one metric or section every word typed fits. A text that fits
    a metric and a section (or several sections) equally well gives them all as choices."""
    section = catalog.section(text)
    if section is not None:
        return Lookup(section=section)
    metric = catalog.find(text)
    if metric is not None:
        # A section's initials spelt out (VAWG) fit as well as a metric's own name or alias.
        typed = section_words(text)
        spelt = [s for s in catalog.sections if _spelt_out(section_words(s.name), typed)]
        return Lookup(choices=(*spelt, metric)) if spelt else Lookup(metric=metric)
    metric = catalog.match(text)
    fitting = sections_fitting(catalog, text)
    if metric is not None and not fitting:
        return Lookup(metric=metric)
    if metric is None and len(fitting) == 1:
        return Lookup(section=fitting[0])
    return Lookup(choices=(*fitting, *([metric] if metric is not None else [])))


def suggest_sections(catalog: Catalog, text: str, limit: int = 2) -> list[Section]:
    """Sections whose name is close to a miss (`neighbourhod crime`), best first."""
    wanted = " ".join(section_words(text))
    scored = [(difflib.SequenceMatcher(None, wanted, " ".join(section_words(s.name))).ratio(), s.name, s)
              for s in catalog.sections]
    close = sorted((item for item in scored if item[0] >= SECTION_SUGGESTION_THRESHOLD),
                   key=lambda item: (-item[0], item[1]))
    return [section for _, _, section in close[:limit]]
