"""Synthetic datasets for the benchmark, loaded through the same importers an office uses.

S is the bundled dataset (the published Panel papers). M adds, on top of S:
  - metrics up to 300 in all, each with 10 years of monthly figures;
  - 20,000 completed complaint reviews;
  - 50 CSP areas in all, each with 5,000 spend lines and a yearly allocation.
L is ten times M in every dimension.

The synthetic history lies before the Panel day's financial year and in sections of its own, so every
command answers exactly as it does at S: a ratio of handler times then measures what the extra data costs,
not a longer answer. Files are written as CSV (and the extra metrics as a catalog YAML) and loaded with the
importers in chunks of at most CHUNK_ROWS rows, each chunk one transaction, as an office would load them.
"""
from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import yaml

from storage.bootstrap import initialise, load_demo
from storage.catalog import load_catalog_file
from storage.db import Database
from storage.importers.csp import import_csp_allocations, import_csp_spend
from storage.importers.observations import import_observations
from storage.importers.reviews import import_reviews
from storage.repository import read_catalog, sync_catalog

PANEL_DAY = datetime(2025, 10, 27, 9, 0, tzinfo=timezone.utc)
LOADED_BY = "bench"
CHUNK_ROWS = 100_000
HISTORY_YEARS = 10
FIRST_HISTORY_YEAR = 2013          # financial years 2013/14 .. 2022/23: before anything S answers from
METRICS_PER_SECTION = 25


@dataclass(frozen=True)
class Scale:
    name: str
    metrics: int            # metrics in all, the shipped catalog included
    reviews: int            # synthetic reviews added
    areas: int              # CSP areas in all, the demo's nine included
    spend_per_area: int     # synthetic spend lines per area

    @property
    def synthetic(self) -> bool:
        return self.reviews > 0


SCALES = {
    "S": Scale("S", 0, 0, 0, 0),
    "M": Scale("M", 300, 20_000, 50, 5_000),
    "L": Scale("L", 3_000, 200_000, 500, 5_000),
}
DEMO_AREAS = 9


def _months() -> Iterator[str]:
    for year in range(FIRST_HISTORY_YEAR, FIRST_HISTORY_YEAR + HISTORY_YEARS):
        for month in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3):
            yield f"{year + (month < 4)}-{month:02d}"


def _financial_years() -> list[str]:
    return [f"{y}/{str(y + 1)[-2:]}" for y in range(FIRST_HISTORY_YEAR, FIRST_HISTORY_YEAR + HISTORY_YEARS)]


def _chunks(rows: Iterator[list], header: list[str], folder: Path, stem: str) -> list[Path]:
    """Write rows to CSV files of at most CHUNK_ROWS rows each."""
    paths, out, writer, count = [], None, None, 0
    for row in rows:
        if writer is None or count == CHUNK_ROWS:
            if out:
                out.close()
            path = folder / f"{stem}-{len(paths) + 1:03d}.csv"
            paths.append(path)
            out = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(out)
            writer.writerow(header)
            count = 0
        writer.writerow(row)
        count += 1
    if out:
        out.close()
    return paths


def write_files(scale: Scale, folder: Path, existing_metrics: int, seed: int = 7) -> dict[str, list[Path]]:
    """The scale's synthetic files: a catalog, observations, reviews, allocations and spend."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    extra = max(0, scale.metrics - existing_metrics)
    slugs = [f"synthetic-{i:05d}" for i in range(1, extra + 1)]
    sections = sorted({f"Synthetic {i // METRICS_PER_SECTION + 1:03d}" for i in range(extra)})
    catalog = {
        "sections": [{"name": name, "kind": "office"} for name in sections],
        "metrics": [
            {"slug": slug, "name": f"Synthetic measure {i + 1}", "definition": "Generated for the benchmark.",
             "section": f"Synthetic {i // METRICS_PER_SECTION + 1:03d}", "kind": "office", "unit": "count",
             "frequency": "monthly", "aggregate": "sum", "polarity": "higher_better", "baseline_year": "2013/14"}
            for i, slug in enumerate(slugs)
        ],
    }
    catalog_path = folder / "catalog.yaml"
    catalog_path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    months = list(_months())

    def observations():
        for slug in slugs:
            level = rng.randint(20, 400)
            for month in months:
                yield [slug, month, max(0, level + rng.randint(-15, 15)), "", "", ""]

    def reviews():
        first = date(FIRST_HISTORY_YEAR, 4, 1)
        span = (date(FIRST_HISTORY_YEAR + HISTORY_YEARS, 2, 1) - first).days
        for i in range(scale.reviews):
            received = first + timedelta(days=i * span // max(1, scale.reviews))
            completed = received + timedelta(days=rng.randint(10, 55))
            yield [f"HIST-{i + 1:07d}", received.isoformat(), completed.isoformat(),
                   rng.choice(["upheld", "not upheld"]), rng.choice(["yes", "no"])]

    areas = [f"Synthetic Area {i:04d}" for i in range(1, max(0, scale.areas - DEMO_AREAS) + 1)]
    area_names = areas + ["Leicester", "Charnwood", "SNWLP", "Blaby", "Hinckley and Bosworth", "Harborough",
                          "Oadby and Wigston", "Melton Mowbray", "Rutland"][:scale.areas]
    years = _financial_years()

    def allocations():
        for area in area_names:
            for year in years:
                yield [area, year, f"{rng.randint(20_000, 300_000)}.00"]

    def spend():
        per_year = max(1, scale.spend_per_area // len(years))
        for area in area_names:
            for y, year in enumerate(years):
                start = date(FIRST_HISTORY_YEAR + y, 4, 1)
                for n in range(per_year):
                    day = start + timedelta(days=n * 364 // per_year)
                    yield [day.isoformat(), area, f"Project {n % 40 + 1}", f"{rng.randint(5, 400) * 10}.00"]

    files = {"catalog": [catalog_path]}
    files["observations"] = _chunks(observations(), ["metric", "period", "value", "numerator", "denominator", "note"],
                                    folder, "observations") if slugs else []
    files["reviews"] = _chunks(reviews(), ["reference", "received", "completed", "outcome", "learning"],
                               folder, "reviews") if scale.reviews else []
    files["csp_allocations"] = _chunks(allocations(), ["area", "year", "allocation"], folder, "allocations")
    files["csp_spend"] = _chunks(spend(), ["date", "area", "project", "amount"], folder, "spend")
    return files


def build(url: str, scale: Scale, workdir: Path, progress: Callable[[str], None] = print) -> dict[str, float]:
    """An empty database at `url` brought to `scale`; returns seconds spent per kind of import."""
    db = Database(url)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        initialise(db, PANEL_DAY)
        load_demo(db, LOADED_BY, PANEL_DAY)
        timings["demo"] = time.perf_counter() - started
        if not scale.synthetic:
            return timings
        with db.session() as session:
            existing = len(read_catalog(session).metrics)
        files = write_files(scale, workdir, existing)
        started = time.perf_counter()
        with db.session() as session:
            sync_catalog(session, load_catalog_file(files["catalog"][0]), "bench-catalog.yaml", PANEL_DAY)
        timings["catalog"] = time.perf_counter() - started
        for kind, importer in (("observations", _observations), ("reviews", import_reviews),
                               ("csp_allocations", import_csp_allocations), ("csp_spend", import_csp_spend)):
            started = time.perf_counter()
            for number, path in enumerate(files[kind], 1):
                with db.session() as session:
                    result = importer(session, path, LOADED_BY, PANEL_DAY)
                progress(f"  {scale.name}: {kind} file {number}/{len(files[kind])}: {result.inserted:,} rows")
            timings[kind] = time.perf_counter() - started
        return timings
    finally:
        db.dispose()


def _observations(session, path, loaded_by, now):
    return import_observations(session, path, read_catalog(session), loaded_by, now)
