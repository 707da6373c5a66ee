"""Arriving late with a system: a first mover's product against a later entrant's product-plus-complements.

Leadbeater (2013) argues that Apple often arrived late, but with a system around its product (the iPod
with iTunes and deals with record labels; the iPhone with the App Store), so its products became entry
points to systems. This module is a deliberately small model of that idea.

The model in two sentences
    People who have not adopted yet take up one of the two products at the Bass rate (broadcast p plus
    word of mouth q, as in :mod:`syslead.models.diffusion`), and each year a share of owners replace theirs;
    everyone who chooses picks each product in proportion to how attractive it is. The two products are
    equally good on their own, but the later entrant also brings **complements** (apps, content,
    services) whose value grows with the share of people using it, so its attractiveness is
    ``1 + complements * (its share of the population)`` against the first mover's 1.

What it leaves out (say so whenever you use it)
    The first mover building complements of its own; prices, contracts and the cost of switching;
    products improving over time; the population or market growing; a third competitor; and chance.
    It is a way to think about timing and feedback, not a forecast.

Functions
    :func:`simulate_entry` runs one race and returns a :class:`Race`; :func:`overtake_years` runs a
    grid of entry delays and complement strengths at once (for a heat map).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from syslead.models.diffusion import META_ANALYSIS_P, META_ANALYSIS_Q

__all__ = ["Race", "simulate_entry", "overtake_years"]

#: Share of owners who replace their product each year in the model (an assumption: about every 3 years).
REPLACEMENT = 0.3


def _number(name: str, value: object, low: float, high: float | None = None, example: str = "2") -> np.ndarray:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number such as {example}, not {value!r}.")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number such as {example}; got {value!r}.") from None
    if not np.isfinite(arr).all() or (arr < low).any() or (high is not None and (arr > high).any()):
        limit = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
        raise ValueError(f"{name} must be {limit}; got {value!r}.")
    return arr


def _run(delay: np.ndarray, complements: np.ndarray, p: float, q: float, replacement: float,
         years: float, steps_per_year: int):
    """Euler steps of the model for many (delay, complements) pairs at once (numpy broadcasting)."""
    delay, complements = np.broadcast_arrays(delay, complements)
    steps = int(round(years * steps_per_year))
    dt = 1.0 / steps_per_year
    first = np.zeros(delay.shape)
    later = np.zeros(delay.shape)
    out_first = np.empty((steps + 1, *delay.shape))
    out_later = np.empty((steps + 1, *delay.shape))
    out_first[0], out_later[0] = first, later
    for k in range(steps):
        t = k * dt
        owners = first + later
        adopting = (p + q * owners) * (1.0 - owners) * dt
        leaving_first = replacement * first * dt
        leaving_later = replacement * later * dt
        choosing = adopting + leaving_first + leaving_later
        pull = 1.0 + complements * later
        to_later = np.where(t >= delay - 1e-9, pull / (1.0 + pull), 0.0)
        first = first + choosing * (1.0 - to_later) - leaving_first
        later = later + choosing * to_later - leaving_later
        out_first[k + 1], out_later[k + 1] = first, later
    return np.arange(steps + 1) * dt, out_first, out_later


def _first_overtake(t: np.ndarray, first: np.ndarray, later: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """First time (years after the first launch) at which the later entrant has more users; NaN if never."""
    ahead = (later > first) & (t.reshape(-1, *([1] * delay.ndim)) >= delay)
    hit = ahead.any(axis=0)
    index = ahead.argmax(axis=0)
    return np.where(hit, t[index], np.nan)


@dataclass(frozen=True, eq=False)
class Race:
    """One run of the model. Times are years after the first mover launched; shares are of everyone."""

    delay: float
    complements: float
    years: np.ndarray = field(repr=False)
    first: np.ndarray = field(repr=False)
    later: np.ndarray = field(repr=False)

    @property
    def overtakes_at(self) -> float | None:
        """Years after the first mover's launch when the later entrant first has more users, or None."""
        t = _first_overtake(self.years, self.first, self.later, np.asarray(self.delay))
        return None if math.isnan(float(t)) else float(t)

    def share_at(self, year: float) -> tuple[float, float]:
        """(first mover's share, later entrant's share) of everyone at ``year`` years after the first launch."""
        i = int(np.clip(np.searchsorted(self.years, year - 1e-9), 0, len(self.years) - 1))
        return float(self.first[i]), float(self.later[i])

    def __repr__(self) -> str:
        when = self.overtakes_at
        verdict = "never overtakes" if when is None else f"overtakes {when:.1f} years after the first launch"
        a, b = self.first[-1], self.later[-1]
        return (
            f"Race(delay={self.delay:g} years, complements={self.complements:g}): the later entrant {verdict}; "
            f"after {self.years[-1]:g} years the first mover has {100 * a:.0f} % of people and the later entrant "
            f"{100 * b:.0f} %"
        )


def simulate_entry(
    delay: float = 3,
    complements: float = 3,
    *,
    p: float = META_ANALYSIS_P,
    q: float = META_ANALYSIS_Q,
    replacement: float = REPLACEMENT,
    years: float = 20,
    steps_per_year: int = 20,
) -> Race:
    """Race a first mover (a product alone, launched at year 0) against a later entrant that launches
    ``delay`` years later with complements of strength ``complements`` (0 means none; 3 means that
    when everyone uses it, its complements make it four times as attractive as the product alone).

    ``p`` and ``q`` are the Bass coefficients for the market as a whole (defaults: the meta-analysis
    averages), ``replacement`` the share of owners who replace their product each year. Returns a
    :class:`Race` with the shares of everyone using each product, year by year.
    """
    d = float(_number("delay", delay, 0.0, None, "3"))
    s = float(_number("complements", complements, 0.0, None, "3"))
    p = float(_number("p", p, 0.0, None, "0.03"))
    q = float(_number("q", q, 0.0, None, "0.38"))
    r = float(_number("replacement", replacement, 0.0, 1.0, "0.3"))
    horizon = float(_number("years", years, 0.0, 200.0, "20"))
    if horizon <= 0:
        raise ValueError("years must be more than 0: it is how long the race runs.")
    if isinstance(steps_per_year, bool) or not isinstance(steps_per_year, int) or steps_per_year < 1:
        raise ValueError(f"steps_per_year must be a whole number of 1 or more, such as 20; got {steps_per_year!r}.")
    t, first, later = _run(np.asarray(d), np.asarray(s), p, q, r, horizon, steps_per_year)
    return Race(delay=d, complements=s, years=t, first=first, later=later)


def overtake_years(
    delays,
    complements,
    *,
    p: float = META_ANALYSIS_P,
    q: float = META_ANALYSIS_Q,
    replacement: float = REPLACEMENT,
    years: float = 20,
    steps_per_year: int = 20,
) -> np.ndarray:
    """For every pair of entry delay and complement strength, the year (after the first launch) in which
    the later entrant first has more users than the first mover; NaN where it has not within ``years``.

    Returns an array of shape ``(len(complements), len(delays))``: one row per complement strength.
    """
    d = _number("delays", delays, 0.0, None, "[0, 1, 2]").ravel()
    s = _number("complements", complements, 0.0, None, "[0, 1, 2]").ravel()
    p = float(_number("p", p, 0.0, None, "0.03"))
    q = float(_number("q", q, 0.0, None, "0.38"))
    r = float(_number("replacement", replacement, 0.0, 1.0, "0.3"))
    horizon = float(_number("years", years, 0.0, 200.0, "20"))
    if d.size == 0 or s.size == 0:
        raise ValueError("delays and complements must each hold at least one number.")
    grid_d, grid_s = np.meshgrid(d, s)
    t, first, later = _run(grid_d, grid_s, p, q, r, horizon, steps_per_year)
    return _first_overtake(t, first, later, grid_d)
