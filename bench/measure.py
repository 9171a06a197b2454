"""Timing primitives for the benchmark: repeated samples after a warm-up, and their median and tail."""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Stats:
    samples: int
    median: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        if not values:
            raise ValueError("no samples")
        ordered = sorted(values)
        return cls(len(ordered), statistics.median(ordered), percentile(ordered, 95), percentile(ordered, 99))


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list: the smallest value with `pct`% of samples at or below it."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def side_by_side(cases: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str, Stats]:
    """Time every case `repeats` times, interleaved round by round so a busy spell hits them all alike."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            samples[name].append(timed(fn))
    return {name: Stats.of(values) for name, values in samples.items()}
