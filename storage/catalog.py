"""The metric catalog: metric definitions read from YAML (shipped and user-supplied), validated, and looked up by name."""
from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

UNITS = ("percent", "count", "days", "hours", "rate_per_1000", "currency", "yes_no")
FREQUENCIES = ("monthly", "quarterly", "annual")
AGGREGATES = ("mean", "sum")
POLARITIES = ("higher_better", "lower_better", "neutral")
KINDS = ("office", "reviews", "plan")
SUGGESTION_THRESHOLD = 0.5
# A due day past a quarter's worth of working days is a typing slip, not a timetable.
MAX_DUE_WORKING_DAY = 60
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CatalogError(ValueError):
    """A catalog file or entry that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Section:
    name: str
    kind: str


@dataclass(frozen=True)
class MetricDefinition:
    slug: str
    name: str
    definition: str
    section: str
    kind: str
    unit: str
    frequency: str
    aggregate: str
    polarity: str
    target: float | None = None
    expectation: str | None = None
    baseline_year: str = "2024/25"
    tolerance: float | None = None
    aliases: tuple[str, ...] = ()
    plan_ref: int | None = None
    headline: bool = False
    # The figures for a period are due by this working day after the period ends; None: no due day.
    due_working_day: int | None = None
    # Who loads the figures: a user id on each platform, by platform name ({"slack": "U0ANALYST"}).
    owners: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def maintain(self) -> bool:
        """'Increase or maintain': holding the baseline counts as meeting the expectation."""
        return bool(self.expectation and "maintain" in self.expectation.lower())

    @property
    def derived_from_reviews(self) -> bool:
        return self.kind == "reviews"

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug, "name": self.name, "definition": self.definition, "section": self.section,
            "kind": self.kind, "unit": self.unit, "frequency": self.frequency, "aggregate": self.aggregate,
            "polarity": self.polarity, "target": self.target, "expectation": self.expectation,
            "baseline_year": self.baseline_year, "tolerance": self.tolerance, "aliases": list(self.aliases),
            "plan_ref": self.plan_ref, "headline": self.headline, "due_working_day": self.due_working_day,
            "owners": dict(self.owners),
        }


_EXPECTATIONS = [
    # (pattern, polarity); a number in the text ("over 80%") becomes the target.
    (re.compile(r"completed\s*y/?n", re.I), "higher_better"),
    (re.compile(r"^(increase|improve)", re.I), "higher_better"),
    (re.compile(r"^(decrease|reduce)", re.I), "lower_better"),
    (re.compile(r"^maintain", re.I), "higher_better"),
]
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)")


def expectation_rule(expectation: str) -> tuple[str, float | None]:
    """Polarity and numeric target implied by a Plan dashboard target/expectation text."""
    text = expectation.strip()
    for pattern, polarity in _EXPECTATIONS:
        if pattern.search(text):
            if pattern.pattern.startswith("completed"):
                return polarity, 1.0
            number = _NUMBER_RE.search(text)
            return polarity, float(number.group(1)) if number else None
    raise CatalogError(
        f"expectation {expectation!r} is not understood; use Increase, Decrease, Reduce, "
        "Increase or maintain, 'Increase (over 80%)' or 'Completed Y/N'"
    )


def _choice(entry: dict, key: str, choices: Iterable[str], where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if value not in choices:
        raise CatalogError(f"{where}: {key} {value!r} is not one of {', '.join(choices)}")
    return value


def _number(entry: dict, key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatalogError(f"{where}: {key} must be a number or null, not {value!r}")
    return float(value)


def metric_from_entry(entry: Any, sections: dict[str, Section] | None, source: str, index: int) -> MetricDefinition:
    """Validate one YAML entry; `sections` None accepts any section name."""
    where = f"{source}: metric #{index + 1}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    slug = str(entry.get("slug") or "")
    if not SLUG_RE.match(slug):
        raise CatalogError(f"{where}: slug {slug!r} must be kebab-case, e.g. calls-under-25s")
    where = f"{source}: metric {slug!r}"
    for key in ("name", "definition", "section"):
        if not str(entry.get(key) or "").strip():
            raise CatalogError(f"{where}: {key} is required")
    section = str(entry["section"]).strip()
    if sections is not None and section not in sections:
        raise CatalogError(f"{where}: section {section!r} is not listed under sections")
    expectation = entry.get("expectation")
    polarity = entry.get("polarity")
    target = _number(entry, "target", where)
    if expectation:
        implied_polarity, implied_target = expectation_rule(str(expectation))
        polarity = polarity or implied_polarity
        target = target if target is not None else implied_target
    kind = entry.get("kind") or (sections[section].kind if sections and section in sections else "office")
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CatalogError(f"{where}: aliases must be a list of phrases")
    plan_ref = entry.get("plan_ref")
    if plan_ref is not None and not isinstance(plan_ref, int):
        raise CatalogError(f"{where}: plan_ref must be a whole number or null")
    baseline_year = str(entry.get("baseline_year") or "2024/25")
    if not re.match(r"^\d{4}/\d{2}$", baseline_year):
        raise CatalogError(f"{where}: baseline_year {baseline_year!r} must be written like 2024/25")
    tolerance = _number(entry, "tolerance", where)
    if tolerance is not None and tolerance < 0:
        raise CatalogError(f"{where}: tolerance cannot be negative")
    due_working_day = entry.get("due_working_day")
    if due_working_day is not None and (isinstance(due_working_day, bool) or not isinstance(due_working_day, int)
                                        or not 1 <= due_working_day <= MAX_DUE_WORKING_DAY):
        raise CatalogError(f"{where}: due_working_day must be a whole number of working days from 1 to "
                           f"{MAX_DUE_WORKING_DAY}, or null")
    return MetricDefinition(
        slug=slug,
        name=" ".join(str(entry["name"]).split()),
        definition=" ".join(str(entry["definition"]).split()),
        section=section,
        kind=_choice({"kind": kind}, "kind", KINDS, where),
        unit=_choice(entry, "unit", UNITS, where),
        frequency=_choice(entry, "frequency", FREQUENCIES, where, "monthly"),
        aggregate=_choice(entry, "aggregate", AGGREGATES, where, "mean"),
        polarity=_choice({"polarity": polarity}, "polarity", POLARITIES, where),
        target=target,
        expectation=str(expectation) if expectation else None,
        baseline_year=baseline_year,
        tolerance=tolerance,
        aliases=tuple(a.strip().lower() for a in aliases if a.strip()),
        plan_ref=plan_ref,
        headline=bool(entry.get("headline", False)),
        due_working_day=due_working_day,
        owners=_owners(entry.get("owners"), where),
    )


def _owners(value: Any, where: str) -> dict[str, str]:
    """`owners: {slack: U0ANALYST, teams: "29:1a2b"}`: one user id per platform, both written as text."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in value.items()):
        raise CatalogError(f"{where}: owners must map a platform to a user id, e.g. {{slack: U0ANALYST}}")
    return {k.strip().lower(): v.strip() for k, v in value.items()}


@dataclass
class Catalog:
    sections: list[Section]
    metrics: list[MetricDefinition]
    _by_key: dict[str, MetricDefinition] = field(default_factory=dict, init=False, repr=False)
    _by_slug: dict[str, MetricDefinition] = field(default_factory=dict, init=False, repr=False)
    _words: tuple[list[str], dict[str, set[str]]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for metric in self.metrics:
            self._by_slug.setdefault(metric.slug, metric)
            for key in (metric.slug, metric.name.lower(), *metric.aliases):
                self._by_key.setdefault(_normal(key), metric)

    def get(self, slug: str) -> MetricDefinition | None:
        return self._by_slug.get(slug)

    def find(self, text: str) -> MetricDefinition | None:
        """Exact slug, name or alias (case and punctuation ignored)."""
        return self._by_key.get(_normal(text))

    def match(self, text: str) -> MetricDefinition | None:
        """Exact match, else the one metric whose slug, name or an alias contains every word typed."""
        exact = self.find(text)
        if exact is not None:
            return exact
        words = _normal(text).split()
        if not words:
            return None
        keys: set[str] | None = None
        for word in words:
            having = self._keys_with_word_starting(word)
            keys = having if keys is None else keys & having
            if not keys:
                return None
        hits = {self._by_key[key].slug for key in keys}
        return self.get(hits.pop()) if len(hits) == 1 else None

    def _keys_with_word_starting(self, prefix: str) -> set[str]:
        """Every slug, name or alias with a word that starts with `prefix`: a range of the sorted word list."""
        if self._words is None:
            owners: dict[str, set[str]] = {}
            for key in self._by_key:
                for part in key.split():
                    owners.setdefault(part, set()).add(key)
            self._words = (sorted(owners), owners)
        ordered, owners = self._words
        found: set[str] = set()
        for part in ordered[bisect.bisect_left(ordered, prefix):]:
            if not part.startswith(prefix):
                break
            found |= owners[part]
        return found

    def suggest(self, text: str, limit: int = 3) -> list[MetricDefinition]:
        """The closest metrics to a miss, best first."""
        wanted = _normal(text)
        scored: dict[str, float] = {}
        words = set(wanted.split())
        for key, metric in self._by_key.items():
            ratio = difflib.SequenceMatcher(None, wanted, key).ratio()
            overlap = len(words & set(key.split())) / max(len(words), 1)
            score = max(ratio, 0.5 * ratio + 0.5 * overlap)
            scored[metric.slug] = max(scored.get(metric.slug, 0.0), score)
        ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
        return [self.get(slug) for slug, score in ranked[:limit] if score >= SUGGESTION_THRESHOLD]

    def section(self, text: str) -> Section | None:
        """A section by its name, case and punctuation ignored, `the` and `and`/`&` optional (`police estate`)."""
        wanted = section_words(text)
        if not wanted:
            return None
        return next((s for s in self.sections if section_words(s.name) == wanted), None)

    def in_section(self, name: str) -> list[MetricDefinition]:
        return [m for m in self.metrics if m.section == name]


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", text.lower()).split())


SECTION_FILLER = {"the", "and"}


def section_words(text: str) -> list[str]:
    """A section name's words without `the` and `and`: `The Police Estate` and `police estate` are one."""
    return [word for word in _normal(text).split() if word not in SECTION_FILLER]


def _refuse_control_characters(value: Any, where: str) -> None:
    """Names, definitions and aliases are shown in chat, charts and Word: a control character (YAML's "\\0" or
    "\\a" escapes write them) is refused here, naming where it is, rather than failing a database or a snapshot."""
    from storage.text_rules import control_character_problem

    if isinstance(value, str):
        problem = control_character_problem(value, "the text")
        if problem is not None:
            raise CatalogError(f"{where}: {problem} Remove it and import the catalog again.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(str(key), where)
            _refuse_control_characters(item, f"{where}, {key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _refuse_control_characters(item, f"{where} #{position + 1}")


def parse_catalog(data: Any, source: str) -> Catalog:
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        raise CatalogError(f"{source}: expected a mapping with a 'metrics' list")
    _refuse_control_characters(data, source)
    sections: dict[str, Section] = {}
    for position, item in enumerate(data.get("sections") or []):
        if not isinstance(item, dict) or not item.get("name"):
            raise CatalogError(f"{source}: section #{position + 1} needs a name")
        kind = item.get("kind", "office")
        if kind not in KINDS:
            raise CatalogError(f"{source}: section {item['name']!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        sections[str(item["name"])] = Section(str(item["name"]), kind)
    metrics = [metric_from_entry(entry, sections or None, source, i) for i, entry in enumerate(data["metrics"])]
    seen: set[str] = set()
    for metric in metrics:
        if metric.slug in seen:
            raise CatalogError(f"{source}: slug {metric.slug!r} appears more than once")
        seen.add(metric.slug)
    if not sections:
        sections = {m.section: Section(m.section, m.kind) for m in metrics}
    return Catalog(list(sections.values()), metrics)


def load_catalog_file(path: Path | str) -> Catalog:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8 text; save the catalog as UTF-8 YAML") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_catalog(data, str(path))


def builtin_catalog() -> Catalog:
    """The catalog shipped with kpibot: office KPIs, review measures, Plan headline metrics."""
    text = Path(__file__).with_name("catalog.yaml").read_text(encoding="utf-8")
    return parse_catalog(yaml.safe_load(text), "catalog.yaml")
