"""Charts for reading 1: a message cascading down a hierarchy versus spreading through a network.

Each function runs the model in :mod:`syslead.models.spread`, draws one chart in the course style, and returns
a :class:`syslead.charts.base.Chart` whose alt text gives the numbers the chart shows. Notebooks call them in
one line; the sliders call :func:`reach_over_time` again with the learner's settings.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm

from syslead.charts import style
from syslead.charts.base import Chart, counts_axis, describe_share, figure, label_line_ends, render
from syslead.models.spread import Network, hierarchy, simulate_spread, small_world, time_to_reach

#: How the network is built in every chart: a small world with a little random rewiring.
REWIRE = 0.2


@lru_cache(maxsize=32)
def _hierarchy(n: int, span: int) -> Network:
    return hierarchy(n, span)


@lru_cache(maxsize=32)
def _network(n: int, contacts: int, seed: int) -> Network:
    contacts = min(contacts, n - 1 - (n - 1) % 2)  # a tiny organisation cannot have more contacts than people
    return small_world(n, max(contacts, 2) if n > 2 else 0, REWIRE, seed=seed)


def _steps(value: int | None) -> str:
    return "never" if value is None else f"step {value}"


def compare(n: int, span: int, contacts: int, pass_on: float, absent: float, seed: int = 1):
    """Run the same message through a hierarchy and a network of the same people.

    Returns ``(hierarchy_result, network_result)``, the tables from :func:`simulate_spread`."""
    h = simulate_spread(_hierarchy(n, span), pass_on=pass_on, absent=absent, seed=seed)
    w = simulate_spread(_network(n, contacts, seed), pass_on=pass_on, absent=absent, seed=seed)
    return h, w


def reach_over_time(
    n: int = 1000,
    span: int = 5,
    contacts: int = 8,
    pass_on: float = 0.5,
    absent: float = 0.0,
    seed: int = 1,
) -> Chart:
    """Line chart: the share of people who have heard, step by step, in a hierarchy and in a network."""
    h, w = compare(n, span, contacts, pass_on, absent, seed)
    fig, ax = figure()
    last = max(len(h), len(w)) - 1
    labels = []
    for result, colour, ls, name in (
        (h, style.HIERARCHY, "-", "hierarchy"),
        (w, style.NETWORK, "--", "network"),
    ):
        steps = np.append(result["step"].to_numpy(), last)
        share = np.append(result["fraction"].to_numpy(), result["fraction"].iloc[-1]) * 100
        ax.step(steps, share, where="post", color=colour, linestyle=ls)
        labels.append((steps[-1], share[-1], name, colour))
    ax.axhline(90, color="#777777", linewidth=0.8, linestyle=":")
    ax.text(0, 91.5, "90 %", color="#555555", fontsize=9)
    ax.set_xlabel("step (each step, everyone who knows tells their contacts)")
    ax.set_ylabel("people who have heard (%)")
    ax.set_ylim(0, 105)
    ax.set_xlim(0, max(last, 1) * 1.15)
    counts_axis(ax, "x")  # steps are whole numbers, however few there are
    label_line_ends(ax, labels)
    alt = (
        f"Line chart of the share of {n:,} people who have heard a message at each step, starting from one "
        f"person, with a {describe_share(pass_on)} chance of passing it on each step and {describe_share(absent)} of people absent. "
        f"Down the hierarchy ({span} reports per manager) it reaches 90 % at {_steps(time_to_reach(h, 0.9))} "
        f"and ends at {describe_share(h['fraction'].iloc[-1])} after {len(h) - 1} steps; through the network "
        f"({contacts} contacts each) it reaches 90 % at {_steps(time_to_reach(w, 0.9))} and ends at "
        f"{describe_share(w['fraction'].iloc[-1])} after {len(w) - 1} steps."
    )
    return render(fig, alt, data={"hierarchy": h, "network": w})


def time_to_90_by_size(
    sizes=(10, 100, 1_000, 10_000, 100_000, 1_000_000),
    span: int = 5,
    contacts: int = 8,
    pass_on: float = 0.5,
    seed: int = 1,
) -> Chart:
    """Chart: steps needed to reach 90 % as the organisation grows, hierarchy against network.

    The chart's ``data`` is the table of figures drawn (a pandas DataFrame)."""
    table = {"people": [], "hierarchy": [], "network": []}
    for n in sizes:
        h = simulate_spread(hierarchy(n, span), pass_on=pass_on, seed=seed)
        net = small_world(n, min(contacts, n - 1 - (n - 1) % 2), REWIRE, seed=seed)
        w = simulate_spread(net, pass_on=pass_on, seed=seed)
        del net
        table["people"].append(n)
        table["hierarchy"].append(time_to_reach(h, 0.9))
        table["network"].append(time_to_reach(w, 0.9))
    fig, ax = figure()
    labels = []
    for key, colour, marker, ls in (
        ("hierarchy", style.HIERARCHY, "o", "-"),
        ("network", style.NETWORK, "s", "--"),
    ):
        ax.plot(table["people"], table[key], marker=marker, color=colour, linestyle=ls)
        labels.append((table["people"][-1], table[key][-1], key, colour))
    ax.set_xscale("log")
    ax.set_xlabel("people in the organisation (log scale)")
    ax.set_ylabel("steps until 90 % have heard")
    ax.set_ylim(bottom=0)
    ax.set_xlim(right=table["people"][-1] * 8)
    counts_axis(ax, "y")
    label_line_ends(ax, labels)
    pairs = "; ".join(
        f"{n:,} people: hierarchy {a}, network {b}"
        for n, a, b in zip(table["people"], table["hierarchy"], table["network"], strict=True)
    )
    alt = (
        f"Line chart of the steps a message needs to reach 90 % of an organisation as it grows from "
        f"{sizes[0]:,} to {sizes[-1]:,} people, with a {describe_share(pass_on)} chance of passing it on each step. "
        f"Both grow slowly (in proportion to the number of digits), and the hierarchy "
        f"({span} reports per manager) always needs more steps than the network ({contacts} contacts each). "
        f"Steps to 90 %: {pairs}."
    )
    return render(fig, alt, data=pd.DataFrame(table))


def reach_with_absence(
    n: int = 1000,
    span: int = 5,
    contacts: int = 8,
    absences=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
    runs: int = 5,
) -> Chart:
    """Chart: the share finally reached when some people are absent, hierarchy against network.

    Each point averages ``runs`` runs with different people absent. The chart's ``data`` is the table."""
    table = {"absent": list(absences), "hierarchy": [], "network": []}
    for a in absences:
        hs, ws = [], []
        for r in range(runs):
            h, w = compare(n, span, contacts, 1.0, a, seed=r + 1)
            hs.append(h["fraction"].iloc[-1])
            ws.append(w["fraction"].iloc[-1])
        table["hierarchy"].append(float(np.mean(hs)))
        table["network"].append(float(np.mean(ws)))
    fig, ax = figure()
    x = [100 * a for a in absences]
    labels = []
    for key, colour, marker, ls in (
        ("hierarchy", style.HIERARCHY, "o", "-"),
        ("network", style.NETWORK, "s", "--"),
    ):
        y = [100 * v for v in table[key]]
        ax.plot(x, y, marker=marker, color=colour, linestyle=ls)
        labels.append((x[-1], y[-1], key, colour))
    ax.plot(x, [100 - v for v in x], color="#777777", linewidth=0.8, linestyle=":")
    ax.text(x[1], 100 - x[1] + 2, "everyone who is present", color="#555555", fontsize=9)
    ax.set_xlabel("people absent (%)")
    ax.set_ylabel("people who finally hear (%)")
    ax.set_ylim(0, 105)
    ax.set_xlim(right=x[-1] * 1.25)
    label_line_ends(ax, labels)
    pairs = "; ".join(
        f"{a:.0f} % absent: hierarchy {describe_share(hv)}, network {describe_share(wv)}"
        for a, hv, wv in zip(x, table["hierarchy"], table["network"], strict=True)
    )
    alt = (
        f"Line chart of the share of {n:,} people who finally hear a message when between "
        f"{x[0]:.0f} % and {x[-1]:.0f} % of people are absent and those present always pass it on. "
        f"Through the network ({contacts} contacts each) nearly everyone present hears; down the hierarchy "
        f"({span} reports per manager) each absent manager cuts off a whole branch, so far fewer hear. "
        f"Share who hear: {pairs}."
    )
    return render(fig, alt, data=pd.DataFrame(table))


def _tree_layout(n: int, span: int) -> np.ndarray:
    """Positions for an organisation chart: levels top to bottom, people spread evenly on each level."""
    level = np.zeros(n, dtype=int)
    for i in range(1, n):
        level[i] = level[(i - 1) // span] + 1
    pos = np.zeros((n, 2))
    for lv in range(level.max() + 1):
        members = np.flatnonzero(level == lv)
        pos[members, 0] = (np.arange(members.size) + 0.5) / members.size
        pos[members, 1] = -lv
    return pos


def _ring_layout(n: int) -> np.ndarray:
    angle = 2 * np.pi * np.arange(n) / n
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _steps_colours(top: int):
    """One colour per whole step, 0 to ``top``: a colour map cut into ``top + 1`` bands and the norm that
    puts each step in the middle of its band (so that the colour bar reads 0, 1, 2, ..., never 0.5)."""
    import matplotlib as mpl

    cmap = mpl.colormaps[style.SEQUENTIAL_CMAP].resampled(top + 1)
    return cmap, BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)


def _draw(ax, network: Network, pos: np.ndarray, heard_at: np.ndarray, absent_mask: np.ndarray, cmap, norm):
    u, v = network.edges()
    ax.add_collection(LineCollection(np.stack([pos[u], pos[v]], axis=1), colors="#BBBBBB", linewidths=0.8))
    present = ~absent_mask
    reached = present & (heard_at >= 0)
    ax.scatter(pos[reached, 0], pos[reached, 1], c=heard_at[reached], cmap=cmap, norm=norm,
               s=70, edgecolors="black", linewidths=0.5, zorder=3)
    missed = present & (heard_at < 0)
    ax.scatter(pos[missed, 0], pos[missed, 1], facecolors="white", edgecolors="black", s=70,
               linewidths=0.8, zorder=3, marker="o")
    ax.scatter(pos[absent_mask, 0], pos[absent_mask, 1], color="#999999", marker="x", s=50, zorder=3)
    ax.set_axis_off()
    ax.autoscale_view()


def _heard_at(network: Network, absent_people: np.ndarray) -> np.ndarray:
    """Step at which each person hears with pass_on = 1 (breadth first), -1 if never."""
    heard = np.full(network.n, -1)
    blocked = np.zeros(network.n, dtype=bool)
    blocked[absent_people] = True
    heard[0], blocked[0] = 0, True
    frontier, step = np.array([0]), 0
    while frontier.size:
        step += 1
        nxt = np.unique(np.concatenate([network.neighbours(int(p)) for p in frontier]))
        nxt = nxt[~blocked[nxt]]
        heard[nxt], blocked[nxt] = step, True
        frontier = nxt
    return heard


def picture(n: int = 40, span: int = 3, contacts: int = 4, absent: int = 0, seed: int = 3) -> Chart:
    """Two drawings of the same people: an organisation chart and a network, each person coloured by
    the step at which they heard (darker is sooner), absent people as grey crosses and people the
    message never reached as white circles. ``absent`` is a number of people (never person 0)."""
    h = hierarchy(n, span)
    w = small_world(n, contacts, 0.15, seed=seed)
    rng = np.random.default_rng(seed)
    gone = rng.choice(np.arange(1, n), size=min(absent, n - 1), replace=False) if absent else np.array([], int)
    absent_mask = np.zeros(n, dtype=bool)
    absent_mask[gone] = True
    heard_h, heard_w = _heard_at(h, gone), _heard_at(w, gone)
    top = max(heard_h.max(), heard_w.max(), 1)
    fig, (left, right) = figure(1, 2, wide=True)
    cmap, norm = _steps_colours(int(top))
    _draw(left, h, _tree_layout(n, span), heard_h, absent_mask, cmap, norm)
    _draw(right, w, _ring_layout(n), heard_w, absent_mask, cmap, norm)
    left.set_title(f"organisation chart ({span} reports each)", loc="left")
    right.set_title(f"network ({contacts} contacts each)", loc="left")
    sm = left.collections[1]
    fig.colorbar(sm, ax=[left, right], label="step at which they heard", shrink=0.8, ticks=range(int(top) + 1))

    def summary(heard):
        present = ~absent_mask
        got = int((heard[present] >= 0).sum())
        return f"{got} of {int(present.sum())} people present hear, the last at step {heard.max()}"

    alt = (
        f"Two drawings of the same {n} people, each dot coloured by the step at which that person heard a "
        f"message that starts with person 0 and is always passed on; {len(gone)} people are absent (grey "
        f"crosses). Left, an organisation chart with {span} reports per manager: {summary(heard_h)}"
        + (", and everyone below an absent manager is cut off (white circles)" if len(gone) else "")
        + f". Right, a network where each person knows {contacts} others: {summary(heard_w)}."
    )
    return render(fig, alt)


def explore_reach():
    """Sliders over figure 3 (:func:`reach_over_time`): people, reports per manager, contacts, the chance of
    passing the message on and the share absent. The notebook calls this in one line."""
    from ipywidgets import FloatSlider, IntSlider

    from syslead.charts.base import sliders

    return sliders(
        reach_over_time,
        fallback=(
            "Interactive version of figure 3: sliders change the number of people, the span of control, "
            "contacts per person, the chance of passing the message on, and the share absent. "
            "Sliders need a running notebook; figure 3 above shows the default settings."
        ),
        n=IntSlider(value=1000, min=100, max=10000, step=100, description="people",
                    tooltip="How many people are in the organisation"),
        span=IntSlider(value=5, min=2, max=12, description="reports per manager",
                       tooltip="How many people report to each manager in the hierarchy"),
        contacts=IntSlider(value=8, min=2, max=16, step=2, description="contacts per person",
                           tooltip="How many colleagues each person knows in the network"),
        pass_on=FloatSlider(value=0.5, min=0.1, max=1.0, step=0.05, description="pass-on chance",
                            tooltip="The chance that someone who has heard passes the message on at each step"),
        absent=FloatSlider(value=0.0, min=0.0, max=0.3, step=0.01, description="share absent",
                           tooltip="The share of people who are away and pass nothing on"),
    )
