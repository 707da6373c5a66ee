"""The charts for :mod:`syslead.models.emergence` (reading 3's notebook); matplotlib is imported only when one is drawn."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# The model's public names are importable from here too, so a notebook needs one import.
from syslead.models.emergence import (  # noqa: F401
    STAGES,
    LifeCycle,
    _share,
    cascade_sizes,
    cascade_window_bounds,
    connected_groups,
    granovetter,
    granovetter_rounds,
    joining_curve,
    life_cycle,
    threshold_cascade,
)

__all__ = [
    "granovetter",
    "granovetter_rounds",
    "joining_curve",
    "threshold_cascade",
    "cascade_sizes",
    "cascade_window_bounds",
    "connected_groups",
    "LifeCycle",
    "life_cycle",
    "STAGES",
    "granovetter_chart",
    "cascade_window_chart",
    "life_cycle_chart",
    "life_cycle_groups",
    "explore_cascade_window",
]


def granovetter_chart(display: bool = True):
    """Line chart: Granovetter's two crowds of 100, how many have joined after each round."""
    from syslead.charts import style
    from syslead.charts.base import counts_axis, figure, render, show

    first = np.arange(100)
    second = first.copy()
    second[1] = 2
    fig, ax = figure()
    ends = {}
    for crowd, name, colour, ls in (
        (first, "thresholds 0, 1, 2, ..., 99", style.NETWORK, "-"),
        (second, "the same, but one 1 becomes a 2", style.HIERARCHY, "--"),
    ):
        rounds = granovetter_rounds(crowd)
        steps = np.arange(rounds.size)
        if rounds.size < 100:  # the crowd has stopped: keep drawing it flat so the two can be compared
            steps = np.append(steps, 99)
            rounds = np.append(rounds, rounds[-1])
        ax.step(steps, rounds, where="post", color=colour, linestyle=ls)
        ends[name] = granovetter(crowd)
        if rounds[-1] > 50:  # label the rising line at the top left, away from the line
            ax.text(2, rounds[-1] - 4, f"{name}: {ends[name]} joined", color=colour, fontweight="bold", va="top")
        else:
            ax.text(98, rounds[-1] + 4, f"{name}: {ends[name]} joined", color=colour, fontweight="bold",
                    ha="right", va="bottom")
    ax.set_xlim(0, 99)
    ax.set_ylim(0, 105)
    counts_axis(ax, "xy")  # rounds, and people
    ax.set_xlabel("round (each round, everyone whose threshold is met joins)")
    ax.set_ylabel("people who have joined")
    alt = (
        "Line chart of how many people in a crowd of 100 have joined, round by round. With thresholds "
        "0, 1, 2, ..., 99 one more person joins each round, in a straight line, until all "
        f"{ends['thresholds 0, 1, 2, ..., 99']} have joined after 99 rounds. With the same crowd except "
        "that one threshold of 1 becomes a 2, the first person joins, nobody's threshold is then met, and "
        f"the line stays flat at {ends['the same, but one 1 becomes a 2']} person."
    )
    return show(fig, alt) if display else render(fig, alt)


#: A cascade counts as global when it reaches at least this share of the network.
GLOBAL = 0.1


@lru_cache(maxsize=16)
def _window_table(phi: float, mean_degrees: tuple, people: int, networks: int, starts: int, seed: int):
    return cascade_sizes(phi, mean_degrees, people=people, networks=networks, starts=starts, seed=seed)


def cascade_window_chart(
    phi: float = 0.18,
    mean_degrees: Sequence[float] = (0.5, 1, 1.5, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16),
    people: int = 10_000,
    networks: int = 3,
    starts: int = 10,
    seed: int = 0,
    display: bool = True,
):
    """Line chart: how often one person tips a global cascade (at least a tenth of the network), against the
    mean number of contacts, on random networks where each person joins once a share ``phi`` of their
    contacts has. The shaded band is the window from Watts' cascade condition."""
    from syslead.charts import style
    from syslead.charts.base import figure, render, show

    phi = _share("phi", phi)
    table = _window_table(phi, tuple(float(z) for z in mean_degrees), people, networks, starts, seed)
    grouped = table.groupby("mean_degree")["share"]
    z = np.array(sorted(table["mean_degree"].unique()))
    often = grouped.apply(lambda s: float((s >= GLOBAL).mean())).reindex(z).to_numpy()
    mean = grouped.mean().reindex(z).to_numpy()
    fig, ax = figure()
    bounds = cascade_window_bounds(phi)
    if bounds is not None:
        lo, hi = bounds
        ax.axvspan(lo, min(hi, z.max() * 1.05), color=style.OKABE_ITO["sky blue"], alpha=0.18, linewidth=0)
        ax.text(lo + 0.1, 104, "cascade window (theory)", color="#555555", fontsize=9)
    ax.plot(z, often * 100, marker="o", color=style.NETWORK, linestyle="-",
            label="runs where one person tips a global cascade (%)")
    ax.plot(z, mean * 100, marker="s", color=style.HIERARCHY, linestyle="--", label="average share who join (%)")
    # the legend goes under the chart, where it can't cover the lines (they reach 100 %)
    fig.legend(loc="outside lower center", ncols=2, fontsize=9)
    # the two ends of the window are named only where the chart shows them: where the runs stay flat at 0
    few = np.flatnonzero(often > 0)
    if few.size and few[0] > 0:
        ax.text(0.1, 86, "too few links:\nislands", color="#555555", fontsize=9)
    if few.size and few[-1] < z.size - 1:
        ax.text(z.max(), 14, "too many links: one neighbour\nis never enough", color="#555555", fontsize=9,
                ha="right")
    last_mean = int(np.argmax(mean))
    ax.set_xlabel("mean contacts per person")
    ax.set_ylabel("% of runs, or % of people")
    ax.set_ylim(0, 110)
    ax.set_xlim(0, z.max() * 1.05)
    inside = z[often > 0]
    where = (
        f"Global cascades (at least {100 * GLOBAL:.0f} % of people) happen between about {inside.min():g} and "
        f"{inside.max():g} contacts on average"
        if inside.size else f"No run tips {100 * GLOBAL:.0f} % of the network or more at any of these mean contacts"
    )
    window = (
        f"; Watts' cascade condition puts the window between {bounds[0]:.1f} and {bounds[1]:.1f}"
        if bounds is not None and math.isfinite(bounds[1]) else ""
    )
    pairs = ", ".join(f"{zz:g}: {100 * o:.0f} %" for zz, o in zip(z, often, strict=True))
    alt = (
        f"Line chart from {len(table):,} simulated cascades on random networks of {people:,} people, each "
        f"started by one person, where everyone joins once {100 * phi:.0f} % of their contacts have. Across: mean "
        f"contacts per person, from {z.min():g} to {z.max():g}. {where}{window}. Share of runs where one "
        f"person tips a global cascade, by mean contacts: {pairs}. The average share who join "
        f"peaks at {100 * mean.max():.0f} % with {z[last_mean]:g} contacts."
    )
    return show(fig, alt) if display else render(fig, alt)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def life_cycle_chart(stage: float = 3.0, *, causes: int = 5, size: int = 8, seed: int = 4, display: bool = True):
    """A drawing of the life cycle of emergence at ``stage``: people coloured by their local cause,
    links between them, links that join two causes drawn dark and dashed, and a count of the groups."""
    from matplotlib.collections import LineCollection

    from syslead.charts import style
    from syslead.charts.base import figure, render, show

    picture = life_cycle(stage, causes=causes, size=size, seed=seed)
    n = picture.network.n
    pos = picture.position
    fig, ax = figure()
    u, v = picture.network.edges()
    inside = ~picture.bridge
    ax.add_collection(LineCollection(np.stack([pos[u[inside]], pos[v[inside]]], axis=1), colors="#AAAAAA",
                                     linewidths=0.9, zorder=1))
    ax.add_collection(LineCollection(np.stack([pos[u[~inside]], pos[v[~inside]]], axis=1), colors="#333333",
                                     linewidths=1.4, linestyles="--", zorder=2))
    colours = [style.PALETTE[i % len(style.PALETTE)] for i in range(causes)]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    for g in range(causes):
        mine = picture.cause == g
        ax.scatter(pos[mine, 0], pos[mine, 1], color=colours[g], marker=markers[g % len(markers)], s=60,
                   edgecolors="black", linewidths=0.5, zorder=3)
    sizes = picture.groups()
    alone = int((sizes == 1).sum())
    bridges = int((~inside).sum())
    ax.set_title(picture.name, loc="left")
    ax.text(1.55, 1.1, (
        f"{_plural(len(u), 'link', 'links')}\n"
        f"{bridges} across causes (dashed)\n\n"
        f"{_plural(sizes.size, 'connected group', 'connected groups')}\n"
        f"largest: {sizes[0]} of {n} people\n({100 * sizes[0] / n:.0f} %)"
    ), va="top", fontsize=10, color="#333333")
    ax.set_xlim(-1.35, 2.9)
    ax.set_ylim(-1.42, 1.42)
    ax.set_aspect("equal")
    ax.set_axis_off()
    where = (
        " People are gathered around their cause." if stage >= 2 else
        " People are still spread out, not yet gathered by cause." if stage <= 1 else
        " People are moving together around their cause."
    )
    alt = (
        f"Drawing of {n} people working on {causes} local causes (colours and marker shapes), at the stage "
        f"'{picture.name}'. There are {_plural(len(u), 'link', 'links')}, {bridges} of them (dark, dashed) "
        f"joining people on different causes. The people form "
        f"{_plural(sizes.size, 'separate connected group', 'separate connected groups')}"
        + (f", {_plural(alone, 'person', 'people')} on their own" if alone else "")
        + f"; the largest holds {_plural(int(sizes[0]), 'person', 'people')} ({100 * sizes[0] / n:.0f} %)."
        + where
    )
    return show(fig, alt) if display else render(fig, alt)


def life_cycle_groups() -> str:
    """Figure 5's counts in one sentence: who has found a kindred spirit, and the connected groups at each
    stage of the life cycle."""
    stages = {name: life_cycle(stage) for name, stage in (("networks", 1), ("communities of practice", 2),
                                                          ("system of influence", 3))}
    linked = int((stages["networks"].network.degrees() > 0).sum())
    n = stages["networks"].network.n
    networks, communities, system = (stages[s].groups() for s in stages)
    return (
        f"At the networks stage, {linked} of {n} people have found at least one kindred spirit. Connected "
        f"groups, largest first: networks {_plural(len(networks), 'group', 'groups')}; communities of practice "
        f"{_plural(len(communities), 'group', 'groups')} (largest {communities[0]} people); system of influence "
        f"{_plural(len(system), 'group', 'groups')} of {system[0]}."
    )


def explore_cascade_window():
    """A slider over figure 4 (:func:`cascade_window_chart`): φ, the share of contacts each person needs."""
    from ipywidgets import FloatSlider

    from syslead.charts.base import sliders

    return sliders(
        cascade_window_chart,
        fallback=(
            "Interactive version of figure 4: the slider changes phi, the share of their contacts each person "
            "needs to see joining before they join. Sliders need a running notebook; figure 4 above shows "
            "phi = 0.18."
        ),
        phi=FloatSlider(value=0.18, min=0.05, max=0.4, step=0.01, description="φ (share needed)",
                        tooltip="phi: the share of their contacts each person needs to see joining before "
                                "they join"),
    )
