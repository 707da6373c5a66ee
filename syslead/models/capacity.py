"""The hero as a bottleneck: queues when one person must decide everything, or many people can.

Reading 3 (Wheatley & Frieze 2011) says the hope for heroic leaders rests on the belief that leaders have
the answers. If every problem has to wait for one person's decision, that person is a queue. This module
puts numbers on it with two standard models from queueing theory.

The steady state: :func:`time_in_system`
    Problems arrive at random (a Poisson stream, ``arrival_rate`` a week, say) and each takes a random
    time to settle (exponential, ``service_rate`` a week per person). With one person deciding this is
    the **M/M/1** queue; with ``servers`` people taking the next problem in line it is the **M/M/c**
    queue. The mean time a problem spends in the system (waiting plus being dealt with) has a closed
    form: for one server it is ``1 / (service_rate - arrival_rate)``; for several it uses the Erlang C
    formula (the chance that a new problem has to wait), :func:`chance_of_waiting`.

    The shock in these formulas is how fast the wait grows as people get busy. At 90 % load one person's
    mean time in system is 10 service times; ten people pooled at the same 90 % load take about 1.67.

Week by week: :func:`simulate_backlog`
    A small simulation for when demand changes over time, as it does in public services: each week new
    problems arrive, the people who can decide settle as many as they can, and the rest wait. It shows
    the backlog, and how many weeks of work it stands for.

Every function checks its arguments and says in one sentence what is wrong. Its charts are in
:mod:`syslead.charts.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from syslead.models.arguments import number, whole

__all__ = [
    "load",
    "chance_of_waiting",
    "time_in_system",
    "rising_demand",
    "simulate_backlog",
]


# --------------------------------------------------------------------------------------------------
# Checking arguments: one plain sentence for each mistake.


def _rate(name: str, value: object) -> float:
    if isinstance(value, float) and math.isnan(value):
        rate = -math.inf  # a missing rate is refused as "not more than 0", like 0 or -1
    else:
        rate = number(name, value, example="4 (problems per unit of time)")
    if rate <= 0:
        raise ValueError(f"{name} must be more than 0 (problems per unit of time); got {value!r}.")
    return rate


def _whole(name: str, value: object, minimum: int) -> int:
    return whole(name, value, minimum, example=3)


def _amount(name: str, value: object) -> float:
    """A number that may be 0 but not negative (a demand, a backlog, a capacity)."""
    amount = number(name, value, example="5")
    if amount < 0:
        raise ValueError(f"{name} cannot be negative; got {value!r}.")
    return amount


def _stable(arrival_rate: float, service_rate: float, servers: int) -> None:
    if arrival_rate >= servers * service_rate:
        who = "one person" if servers == 1 else f"{servers} people"
        raise ValueError(
            f"Problems arrive at {arrival_rate:g} per unit of time but {who} can settle at most "
            f"{servers * service_rate:g}, so the backlog grows without limit: lower the arrival rate or add "
            f"people."
        )


# --------------------------------------------------------------------------------------------------
# The steady state: M/M/1 and M/M/c


def load(arrival_rate: float, service_rate: float, servers: int = 1) -> float:
    """How busy each person is: ``arrival_rate / (servers * service_rate)``, a share between 0 and 1
    when the queue is stable (0.9 means busy 90 % of the time)."""
    arrival_rate = _rate("arrival_rate", arrival_rate)
    service_rate = _rate("service_rate", service_rate)
    servers = _whole("servers", servers, 1)
    return arrival_rate / (servers * service_rate)


def chance_of_waiting(arrival_rate: float, service_rate: float, servers: int = 1) -> float:
    """The chance that a new problem finds everyone busy and has to wait (Erlang C).

    For one server it equals the load. We compute it through the Erlang B recursion,
    ``B(k) = a B(k-1) / (k + a B(k-1))`` with ``a = arrival_rate / service_rate``, then
    ``C = B / (1 - load * (1 - B))``; this stays accurate for hundreds of servers, where the textbook
    formula with factorials overflows.
    """
    arrival_rate = _rate("arrival_rate", arrival_rate)
    service_rate = _rate("service_rate", service_rate)
    servers = _whole("servers", servers, 1)
    _stable(arrival_rate, service_rate, servers)
    offered = arrival_rate / service_rate  # how many people it would take to keep up, on average
    blocked = 1.0
    for k in range(1, servers + 1):
        blocked = offered * blocked / (k + offered * blocked)
    rho = offered / servers
    return blocked / (1.0 - rho * (1.0 - blocked))


def time_in_system(arrival_rate: float, service_rate: float, servers: int = 1) -> float:
    """Mean time a problem spends in an M/M/c system: waiting in line plus being dealt with.

    ``arrival_rate``: problems arriving per unit of time (at random, a Poisson stream).
    ``service_rate``: problems one person settles per unit of time when busy (exponential times).
    ``servers``: how many people can take the next problem (1 for a hero who decides everything).

    The answer is in the same unit of time as the rates. With ``service_rate = 1`` it is counted in
    service times: ``time_in_system(0.9, 1)`` is 10, and ``time_in_system(9, 1, servers=10)`` is about
    1.67. Formula: ``C / (servers * service_rate - arrival_rate) + 1 / service_rate``, where ``C`` is
    :func:`chance_of_waiting`.

    Raises ValueError when a rate is not more than 0, and when ``arrival_rate >= servers * service_rate``
    (then the backlog grows without limit and there is no mean time).
    """
    arrival_rate = _rate("arrival_rate", arrival_rate)
    service_rate = _rate("service_rate", service_rate)
    servers = _whole("servers", servers, 1)
    _stable(arrival_rate, service_rate, servers)
    waiting = chance_of_waiting(arrival_rate, service_rate, servers) / (servers * service_rate - arrival_rate)
    return waiting + 1.0 / service_rate


# --------------------------------------------------------------------------------------------------
# Week by week


def rising_demand(start: float, end: float, weeks: int) -> np.ndarray:
    """Demand that rises (or falls) in a straight line from ``start`` to ``end`` problems a week over
    ``weeks`` weeks: one number per week, to pass to :func:`simulate_backlog`."""
    start = _amount("The demand at the start", start)
    end = _amount("The demand at the end", end)
    weeks = _whole("The number of weeks", weeks, 1)
    return np.linspace(start, end, weeks)


def simulate_backlog(
    demand: Sequence[float],
    capacity: float,
    *,
    people: int = 1,
    backlog: float = 0,
    random: bool = True,
    seed: int | None = None,
) -> pd.DataFrame:
    """Week by week, the problems waiting for a decision when ``people`` share the deciding.

    ``demand``: how many new problems arrive each week, on average, one number per week (for example
    ``rising_demand(3, 8, 52)``). ``capacity``: how many problems one person can settle in a week.
    ``people``: how many people can settle them (1 for a hero who must decide everything; more for a
    host who lets the people who hold the knowledge decide). ``backlog``: problems waiting at the start.

    Each week, in order: new problems arrive; the people settle as many as they can from everything
    waiting (at most ``people * capacity``, the oldest first); the rest wait for next week.
    With ``random=True`` (the default) the numbers vary as they do in real weeks: arrivals are a Poisson
    number with mean ``demand`` and each person settles a Poisson number with mean ``capacity`` (so
    some weeks are quiet and some are not). ``seed`` fixes the random numbers, so the same seed gives
    the same weeks. With ``random=False`` arrivals and settling are exactly the averages (plain
    arithmetic: the backlog only grows when demand is above ``people * capacity``).

    Returns a table with one row per week: ``week`` (1, 2, ...), ``demand``, ``arrived``, ``settled``,
    ``backlog`` (waiting at the end of the week) and ``weeks_to_clear`` (the backlog divided by what the
    people can settle in a week: roughly how many weeks a new problem waits behind it).
    """
    try:
        demand = np.asarray(demand, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("demand must be a list of numbers, one for each week, such as [4, 4.5, 5].") from None
    if demand.ndim == 0:
        raise ValueError("demand must be a list of numbers, one for each week; use rising_demand() to make one.")
    if demand.ndim != 1 or demand.size == 0:
        raise ValueError("demand must be a flat list of numbers with at least one week in it.")
    if not np.all(np.isfinite(demand)) or (demand < 0).any():
        raise ValueError("demand cannot be negative or missing in any week.")
    capacity = _amount("capacity (problems one person settles in a week)", capacity)
    people = _whole("The number of people who can decide", people, 1)
    waiting = _amount("The backlog at the start", backlog)
    if not isinstance(random, bool):
        raise ValueError(f"random must be True or False; got {random!r}.")
    if random and not float(waiting).is_integer():
        raise ValueError(f"With random=True the backlog at the start must be a whole number; got {backlog!r}.")

    weeks = demand.size
    if random:
        rng = np.random.default_rng(seed)
        arrived = rng.poisson(demand).astype(float)
        can_settle = rng.poisson(capacity * people, size=weeks).astype(float)
    else:
        arrived = demand.copy()
        can_settle = np.full(weeks, capacity * people)
    settled = np.empty(weeks)
    left = np.empty(weeks)
    for w in range(weeks):  # a loop over weeks: each week depends on the one before
        total = waiting + arrived[w]
        settled[w] = min(total, can_settle[w])
        waiting = total - settled[w]
        left[w] = waiting
    per_week = capacity * people
    with np.errstate(divide="ignore", invalid="ignore"):
        to_clear = np.where(left > 0, left / per_week if per_week > 0 else np.inf, 0.0)
    return pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "demand": demand,
            "arrived": arrived,
            "settled": settled,
            "backlog": left,
            "weeks_to_clear": to_clear,
        }
    )
