"""Community Safety Partnership balances: allocation, spend to date, remaining, and areas whose spend lags the year."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from storage.periods import FinancialYear, year_elapsed_share

PENNY = Decimal("0.01")


@dataclass(frozen=True)
class AreaBalance:
    area: str
    allocation: Decimal
    spent: Decimal
    remaining: Decimal
    percent_spent: float | None
    lagging: bool


@dataclass(frozen=True)
class CspBalances:
    year: FinancialYear
    as_of: date
    year_elapsed_percent: float
    areas: list[AreaBalance]

    @property
    def total_allocation(self) -> Decimal:
        return sum((a.allocation for a in self.areas), Decimal("0.00"))

    @property
    def total_spent(self) -> Decimal:
        return sum((a.spent for a in self.areas), Decimal("0.00"))

    @property
    def total_remaining(self) -> Decimal:
        return sum((a.remaining for a in self.areas), Decimal("0.00"))

    @property
    def total_percent_spent(self) -> float | None:
        total = self.total_allocation
        return float(self.total_spent / total * 100) if total else None

    @property
    def lagging_areas(self) -> list[str]:
        return [a.area for a in self.areas if a.lagging]


def csp_balances(allocations: dict[str, Decimal], spend: Iterable[tuple[str, Decimal]], year: FinancialYear,
                 as_of: date, lag_margin_pp: float = 25.0) -> CspBalances:
    """Balances of each allocated area, largest allocation first.

    An area lags when its % spent trails the share of the year elapsed by more than `lag_margin_pp`
    points, or when it has spent nothing once a quarter of the year has gone.
    """
    spent: dict[str, Decimal] = {area: Decimal("0.00") for area in allocations}
    for area, amount in spend:
        if area in spent:
            spent[area] += Decimal(amount)
    elapsed = year_elapsed_share(year, as_of) * 100
    areas = []
    for area, allocation in allocations.items():
        allocation = Decimal(allocation).quantize(PENNY)
        area_spent = spent[area].quantize(PENNY)
        percent = float(area_spent / allocation * 100) if allocation else None
        lagging = allocation > 0 and (
            (percent is not None and elapsed - percent > lag_margin_pp) or (area_spent == 0 and elapsed >= 25)
        )
        areas.append(AreaBalance(area, allocation, area_spent, allocation - area_spent, percent, lagging))
    areas.sort(key=lambda a: (-a.allocation, a.area))
    return CspBalances(year=year, as_of=as_of, year_elapsed_percent=elapsed, areas=areas)
