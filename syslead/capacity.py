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

Every function checks its arguments and says in one sentence what is wrong. The chart functions at the
end draw the notebook's charts (they import matplotlib only when called).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arguments import number, whole

__all__ = [
    "load",
    "chance_of_waiting",
    "time_in_system",
    "rising_demand",
    "simulate_backlog",
    "time_in_system_chart",
    "hero_or_host_chart",
    "backlog_chart",
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


# --------------------------------------------------------------------------------------------------
# Charts for the notebook (matplotlib is imported only when one is drawn)


def _time_or_inf(demand: float, capacity: float, servers: int) -> float:
    """Like :func:`time_in_system`, but 1 / capacity for no demand and infinity when it cannot keep up."""
    if demand <= 0:
        return 1.0 / capacity
    if demand >= servers * capacity:
        return math.inf
    return time_in_system(demand, capacity, servers)


def _fmt_time(value: float) -> str:
    return "no limit" if not math.isfinite(value) else f"{value:.1f}"


def time_in_system_chart(teams: Sequence[int] = (1, 3, 10), top: float = 0.98, display: bool = True):
    """Line chart: mean time in system (in service times) against how busy each person is, for one
    person deciding alone and for teams that pool the same kind of work, with the values at 90 % busy."""
    from . import style
    from .charts import figure, label_line_end, render, show

    ceiling = 25.0
    loads = np.linspace(0.0, top, 400)[1:]
    colours = [style.HIERARCHY, style.OKABE_ITO["bluish green"], style.NETWORK, style.OKABE_ITO["reddish purple"]]
    fig, ax = figure()
    at_90 = {}
    for i, c in enumerate(teams):
        times = np.array([time_in_system(x * c, 1.0, c) for x in loads])
        colour = colours[i % len(colours)]
        ls = style.LINESTYLES[i % len(style.LINESTYLES)]
        shown = times <= ceiling
        ax.plot(loads[shown] * 100, times[shown], color=colour, linestyle=ls)
        name = "1 person (the hero)" if c == 1 else f"{c} people pooled"
        x_end, y_end = loads[shown][-1] * 100, times[shown][-1]
        if shown.all():
            label_line_end(ax, x_end, y_end, name, colour)
        else:  # the line leaves the top of the chart: label it just left of where it leaves
            ax.annotate(name, xy=(x_end, y_end), xytext=(-8, -2), textcoords="offset points", ha="right",
                        va="top", color=colour, fontweight="bold")
        at_90[c] = time_in_system(0.9 * c, 1.0, c)
        ax.plot([90], [at_90[c]], marker="o", color=colour, markersize=7, zorder=4)
        below = i == len(teams) - 1 and i > 0  # the lowest line: write its value under it
        ax.annotate(f"{at_90[c]:.3g}", xy=(90, at_90[c]), xytext=(-8, -14 if below else 6),
                    textcoords="offset points", ha="right", color=colour, fontsize=10)
    ax.axvline(90, color="#777777", linewidth=0.8, linestyle=":")
    ax.text(90, ceiling * 1.01, "90 % busy", color="#555555", fontsize=9, ha="center", va="bottom", clip_on=False)
    ax.set_ylim(0, ceiling)
    ax.set_xlim(0, 125)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.set_xlabel("how busy each person is (% of their time)")
    ax.set_ylabel("mean time in system (service times)")
    pairs = "; ".join(f"{c} {'person' if c == 1 else 'people'}: {at_90[c]:.2f}" for c in teams)
    alt = (
        "Line chart of the mean time a problem spends waiting plus being dealt with, in service times, "
        f"against how busy each person is, from 0 % to {top * 100:.0f} %. Every line starts at 1 service time "
        "when nobody is busy and climbs ever more steeply as people get busier, but the single hero's line "
        f"climbs first and fastest. At 90 % busy the mean time in system is: {pairs}. "
        f"At {top * 100:.0f} % one person's is {time_in_system(top, 1):.0f} service times and "
        f"{max(teams)} people's is {time_in_system(top * max(teams), 1, max(teams)):.1f}."
    )
    return show(fig, alt) if display else render(fig, alt)


def hero_or_host_chart(
    demand: float = 4.5, capacity: float = 5.0, people: int = 5, top: float | None = None, display: bool = True
):
    """Line chart against demand (problems a week): mean weeks a problem spends in the system when one
    person decides everything and when ``people`` share the deciding, with a marker at ``demand``."""
    from . import style
    from .charts import figure, label_line_end, render, show

    demand = _amount("demand", demand)
    capacity = _rate("capacity", capacity)
    people = _whole("The number of people", people, 1)
    top = max(capacity * 2, demand * 1.25) if top is None else top
    grid = np.linspace(0.05, top, 300)
    fig, ax = figure()
    ceiling = 6.0
    series = (("hero decides alone", 1, style.HIERARCHY, "-"), (f"host, {people} decide", people, style.NETWORK, "--"))
    now = {}
    for name, c, colour, ls in series:
        ok = grid < c * capacity
        times = np.array([time_in_system(x, capacity, c) for x in grid[ok]])
        shown = times <= ceiling
        ax.plot(grid[ok][shown], times[shown], color=colour, linestyle=ls)
        if shown.any():
            label_line_end(ax, grid[ok][shown][-1], times[shown][-1], name, colour)
        if c * capacity < top:
            ax.axvline(c * capacity, color=colour, linewidth=0.8, linestyle=":")
        now[c] = _time_or_inf(demand, capacity, c)
        y = min(now[c], ceiling)
        ax.plot([demand], [y], marker="o" if c == 1 else "s", color=colour, markersize=9, zorder=4,
                markerfacecolor=colour if math.isfinite(now[c]) else "white")
        if not math.isfinite(now[c]):  # the open marker at the top: say what it means
            ax.annotate("backlog grows\nwithout limit", xy=(demand, y), xytext=(-10, -2), textcoords="offset points",
                        color=colour, fontsize=9, va="top", ha="right")
    ax.text(capacity * 1.02, ceiling * 0.55, "the most one\nperson can settle", color=style.HIERARCHY, fontsize=9)
    ax.set_ylim(0, ceiling * 1.02)
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("new problems a week")
    ax.set_ylabel("mean time in system (weeks)")
    team_limit = people * capacity
    if team_limit > top:
        worst = time_in_system(top, capacity, people)
        spread = (
            f"at about {worst:.1f} weeks" if f"{worst:.1f}" == f"{1 / capacity:.1f}"
            else f"between {1 / capacity:.1f} and {worst:.1f} weeks"
        )
        team = (
            f"the hosted team of {people}, who can settle up to {team_limit:g} a week between them, stays "
            f"{spread} across the whole chart"
        )
    else:
        team = (
            f"the hosted team of {people} stays low and climbs only as demand nears {team_limit:g} a week, "
            f"the most they can settle between them"
        )

    def reading(value: float, who: str) -> str:
        if math.isfinite(value):
            return f"with {who} a problem spends {value:.1f} weeks in the system on average"
        return f"with {who} the backlog grows without limit, because demand is more than they can settle"

    alt = (
        f"Line chart of the mean weeks a problem spends waiting plus being settled, against new problems a "
        f"week, when each person can settle {capacity:g} a week. The hero's line rises steeply and shoots "
        f"off the chart as demand nears {capacity:g} a week, the most one person can settle; {team}. "
        f"At {demand:g} new problems a week (the markers): {reading(now[1], 'the hero deciding alone')} "
        f"(demand is {100 * demand / capacity:.0f} % of what one person can settle); "
        f"{reading(now[people], f'a host team of {people}')}."
    )
    return show(fig, alt) if display else render(fig, alt)


def backlog_chart(
    start: float = 3.0,
    end: float = 8.0,
    weeks: int = 52,
    capacity: float = 5.0,
    people: int = 5,
    seed: int = 3,
    display: bool = True,
):
    """Line chart: the backlog week by week as demand rises from ``start`` to ``end`` problems a week,
    for a hero deciding alone and a hosted team of ``people`` (each settles ``capacity`` a week)."""
    from . import style
    from .charts import figure, label_line_end, render, show

    demand = rising_demand(start, end, weeks)
    hero = simulate_backlog(demand, capacity, people=1, seed=seed)
    host = simulate_backlog(demand, capacity, people=people, seed=seed + 1)
    fig, ax = figure()
    for table, name, colour, ls in (
        (hero, "hero decides alone", style.HIERARCHY, "-"),
        (host, f"host, {people} decide", style.NETWORK, "--"),
    ):
        ax.plot(table["week"], table["backlog"], color=colour, linestyle=ls)
        label_line_end(ax, table["week"].iloc[-1], table["backlog"].iloc[-1], name, colour, dy=7)
    over = np.flatnonzero(demand > capacity)
    if over.size:
        ax.axvline(over[0] + 1, color="#777777", linewidth=0.8, linestyle=":")
        ax.text(over[0] + 1.5, ax.get_ylim()[1] * 0.92, "demand passes what\none person can settle",
                color="#555555", fontsize=9, va="top")
    ax.set_xlim(0, weeks * 1.3)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("week")
    ax.set_ylabel("problems waiting at the end of the week")
    passes = f"passes {capacity:g} a week in week {over[0] + 1}" if over.size else f"never passes {capacity:g} a week"
    alt = (
        f"Line chart of the problems waiting at the end of each week for {weeks} weeks, as new problems rise "
        f"from {start:g} to {end:g} a week; each person settles about {capacity:g} a week. Demand {passes}. "
        f"With the hero deciding alone the backlog ends at {hero['backlog'].iloc[-1]:.0f} problems, "
        f"{hero['weeks_to_clear'].iloc[-1]:.1f} weeks of the hero's work (largest {hero['backlog'].max():.0f}). "
        f"With a host team of {people} it ends at {host['backlog'].iloc[-1]:.0f} "
        f"(largest {host['backlog'].max():.0f})."
    )
    return show(fig, alt) if display else render(fig, alt)
