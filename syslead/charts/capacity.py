"""The charts for :mod:`syslead.models.capacity` (reading 3's notebook); matplotlib is imported only when one is drawn."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# The model's public names are importable from here too, so a notebook needs one import.
from syslead.models.capacity import (  # noqa: F401
    _amount,
    _rate,
    _whole,
    chance_of_waiting,
    load,
    rising_demand,
    simulate_backlog,
    time_in_system,
)

__all__ = [
    "load",
    "chance_of_waiting",
    "time_in_system",
    "rising_demand",
    "simulate_backlog",
    "time_in_system_chart",
    "hero_or_host_chart",
    "backlog_chart",
    "waits_at_90",
    "explore_hero_or_host",
]


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
    from syslead.charts import style
    from syslead.charts.base import figure, label_line_ends, render, show

    ceiling = 25.0
    loads = np.linspace(0.0, top, 400)[1:]
    colours = [style.HIERARCHY, style.OKABE_ITO["bluish green"], style.NETWORK, style.OKABE_ITO["reddish purple"]]
    fig, ax = figure()
    at_90, labels = {}, []
    for i, c in enumerate(teams):
        times = np.array([time_in_system(x * c, 1.0, c) for x in loads])
        colour = colours[i % len(colours)]
        ls = style.LINESTYLES[i % len(style.LINESTYLES)]
        shown = times <= ceiling
        ax.plot(loads[shown] * 100, times[shown], color=colour, linestyle=ls)
        name = "1 person (the hero)" if c == 1 else f"{c} people pooled"
        x_end, y_end = loads[shown][-1] * 100, times[shown][-1]
        if shown.all():
            labels.append((x_end, y_end, name, colour))
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
    label_line_ends(ax, labels)
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
    from syslead.charts import style
    from syslead.charts.base import figure, label_line_ends, label_points, render, show

    demand = _amount("demand", demand)
    capacity = _rate("capacity", capacity)
    people = _whole("The number of people", people, 1)
    top = max(capacity * 2, demand * 1.25) if top is None else top
    grid = np.linspace(0.05, top, 300)
    fig, ax = figure()
    ceiling = 6.0
    series = (("hero decides alone", 1, style.HIERARCHY, "-"), (f"host, {people} decide", people, style.NETWORK, "--"))
    now, labels, unlimited = {}, [], []
    for name, c, colour, ls in series:
        ok = grid < c * capacity
        times = np.array([time_in_system(x, capacity, c) for x in grid[ok]])
        shown = times <= ceiling
        ax.plot(grid[ok][shown], times[shown], color=colour, linestyle=ls)
        if shown.any():
            labels.append((grid[ok][shown][-1], times[shown][-1], name, colour))
        if c * capacity < top:
            ax.axvline(c * capacity, color=colour, linewidth=0.8, linestyle=":")
        now[c] = _time_or_inf(demand, capacity, c)
        y = min(now[c], ceiling)
        ax.plot([demand], [y], marker="o" if c == 1 else "s", color=colour, markersize=9, zorder=4,
                markerfacecolor=colour if math.isfinite(now[c]) else "white")
        if not math.isfinite(now[c]):  # the open marker at the top: say what it means (below)
            unlimited.append((demand, y, colour))
    ax.text(capacity * 1.02, ceiling * 0.55, "the most one\nperson can settle", color=style.HIERARCHY, fontsize=9)
    ax.set_ylim(0, ceiling * 1.02)
    ax.set_xlim(0, top * 1.3)
    label_line_ends(ax, labels)
    ax.set_xlabel("new problems a week")
    ax.set_ylabel("mean time in system (weeks)")
    if unlimited:  # one label for the open markers (both sit at the same place when both are swamped),
        # placed where it overlaps no other label or marker
        x, y, colour = unlimited[-1]
        text = "backlog grows\nwithout limit" + (" for both" if len(unlimited) > 1 else "")
        label_points(ax, [(x, y, text, colour if len(unlimited) == 1 else "#333333")], fontsize=9)
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
    from syslead.charts import style
    from syslead.charts.base import counts_axis, figure, label_line_ends, render, show

    demand = rising_demand(start, end, weeks)
    hero = simulate_backlog(demand, capacity, people=1, seed=seed)
    host = simulate_backlog(demand, capacity, people=people, seed=seed + 1)
    fig, ax = figure()
    labels = []
    for table, name, colour, ls in (
        (hero, "hero decides alone", style.HIERARCHY, "-"),
        (host, f"host, {people} decide", style.NETWORK, "--"),
    ):
        ax.plot(table["week"], table["backlog"], color=colour, linestyle=ls)
        labels.append((table["week"].iloc[-1], table["backlog"].iloc[-1], name, colour))
    over = np.flatnonzero(demand > capacity)
    if over.size:
        ax.axvline(over[0] + 1, color="#777777", linewidth=0.8, linestyle=":")
        ax.text(over[0] + 1.5, ax.get_ylim()[1] * 0.92, "demand passes what\none person can settle",
                color="#555555", fontsize=9, va="top")
    ax.set_xlim(0, weeks * 1.3)
    ax.set_ylim(bottom=0)
    counts_axis(ax, "xy")  # weeks, and problems waiting
    label_line_ends(ax, labels)
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


def waits_at_90(teams: Sequence[int] = (1, 10)) -> str:
    """Figure 1 at 90 % busy, one sentence for each team size."""
    lines = []
    for team in teams:
        days = time_in_system(arrival_rate=0.9 * team, service_rate=1, servers=team)
        lines.append(f"At 90 % busy, with {team} {'person' if team == 1 else 'people'} deciding: "
                     f"a problem spends {days:.2f} service times in the system on average.")
    return "\n".join(lines)


def explore_hero_or_host():
    """Sliders over figure 2 (:func:`hero_or_host_chart`): new problems a week and the hosted team's size."""
    from ipywidgets import FloatSlider, IntSlider

    from syslead.charts.base import sliders

    return sliders(
        hero_or_host_chart,
        fallback=(
            "Interactive version of figure 2: one slider changes how many new problems arrive each week, the "
            "other the number of people in the hosted team. Sliders need a running notebook; figure 2 above "
            "shows the default settings."
        ),
        demand=FloatSlider(value=4.5, min=0.5, max=12, step=0.25, description="new problems a week",
                           tooltip="How many new problems arrive each week, on average"),
        people=IntSlider(value=5, min=2, max=10, description="hosted team size",
                         tooltip="People in the hosted team: how many share the deciding when the leader hosts"),
    )
