"""Public holidays for working calendars, from the ``holidays`` package as a policy adjusts them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import holidays as holidays_pkg


@dataclass(frozen=True)
class HolidaySource:
    """Public holidays from the ``holidays`` package, adjusted by the policy."""

    country: str
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public",)
    exclude_names: frozenset[str] = frozenset()
    annual_dates: tuple[tuple[int, int], ...] = ()
    annual_name: str = "additional holiday"

    def on(self, day: date) -> str | None:
        """The holiday's name on ``day``, or None."""
        name = _holiday_table(self.country, self.subdiv, self.categories, day.year).get(day)
        if name is not None and name not in self.exclude_names:
            return name
        if (day.month, day.day) in self.annual_dates:
            return self.annual_name
        return None


@functools.lru_cache(maxsize=512)
def _holiday_table(
    country: str, subdiv: str | None, categories: tuple[str, ...], year: int
) -> dict[date, str]:
    table = holidays_pkg.country_holidays(
        country, subdiv=subdiv, years=year, categories=categories, language="en_US"
    )
    return {day: str(name) for day, name in table.items()}


def check_holiday_source(country: str, subdiv: str | None, categories: tuple[str, ...]) -> None:
    """Raise ValueError with the package's own words if the holiday source is unknown."""
    holidays_pkg.country_holidays(country, subdiv=subdiv, years=2000, categories=categories)
