"""Critical connections, not critical mass: thresholds, cascades and the life cycle of emergence.

Wheatley & Frieze (2006) argue that systems change through *critical connections*, not critical mass:
local efforts link up as networks, grow into communities of practice, and suddenly a system of influence
emerges. Two classic models show why a few connections can matter more than large numbers.

Granovetter (1978): :func:`granovetter`
    Each person in a crowd has a **threshold**: the number of others who must act before they will. A
    person with threshold 0 acts alone; a person with threshold 1 acts once one other has; and so on. With
    thresholds 0, 1, 2, ..., 99 in a crowd of 100, everyone joins, one after the other. Change one
    person's threshold from 1 to 2 and the chain breaks after the first person: only one joins. The two
    crowds are almost identical; the outcome is not.

Watts (2002): :func:`threshold_cascade`
    The same rule on a network: each person joins once at least a share ``phi`` of *their own contacts*
    has. With too few connections the network falls apart into islands and nothing spreads far. With
    many connections each person hears from so many who have not joined that one neighbour is never
    enough. In between lies the **cascade window**, where one person's action can tip the whole system.
    :func:`cascade_window_bounds` gives the window's edges from Watts' cascade condition and
    :func:`cascade_sizes` runs the simulation over many networks.

The life cycle of emergence: :func:`life_cycle`
    A small picture model of the companion essay's three stages: scattered people link into networks,
    thicken into communities of practice, and the communities connect into a system of influence.

The networks are the :class:`syslead.spread.Network` objects of reading 1 (adjacency arrays), so the
same network can carry a message (reading 1) or a threshold cascade (here). The chart functions at the
end draw the notebook's charts (they import matplotlib only when called).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .arguments import share, whole
from .spread import Network, contacts_of, from_edges, random_network

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
]


# --------------------------------------------------------------------------------------------------
# Checking arguments: one plain sentence for each mistake.


def _thresholds(values: object) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("thresholds must be a list of numbers, one for each person, such as [0, 1, 2].") from None
    if out.ndim != 1:
        raise ValueError("thresholds must be a flat list of numbers, one for each person, such as [0, 1, 2].")
    if out.size == 0:
        raise ValueError("thresholds must list at least one person's threshold, such as [0, 1, 2].")
    if not np.all(np.isfinite(out)) or (out < 0).any():
        raise ValueError("Every threshold must be a number of people, 0 or more (0 means they act alone).")
    return out


def _share(name: str, value: object) -> float:
    return share(name, value, example=0.18)


_whole = whole


# --------------------------------------------------------------------------------------------------
# Granovetter (1978): thresholds in a crowd


def granovetter(thresholds: Sequence[float]) -> int:
    """How many people end up joining when each joins once at least their threshold number have.

    ``thresholds`` has one number per person: how many others must have joined before they join
    (0 = they start on their own). Nobody ever leaves. Example (Granovetter 1978): thresholds
    0, 1, 2, ..., 99 give 100 (everyone joins, one at a time); change the 1 to a 2 and only 1 joins.

    How it is worked out: sort the thresholds from low to high. The person in place ``k`` (counting
    from 0) joins if the ``k`` people before them have all joined and their threshold is at most ``k``.
    So the answer is the first place where the sorted threshold is more than its place, or everyone.
    """
    ordered = np.sort(_thresholds(thresholds))
    stuck = np.flatnonzero(ordered > np.arange(ordered.size))
    return int(stuck[0]) if stuck.size else int(ordered.size)


def granovetter_rounds(thresholds: Sequence[float]) -> np.ndarray:
    """How many have joined after each round, until nobody else joins.

    Round 0: the people with threshold 0. Each round after that, everyone whose threshold is at most the
    number who had joined by the end of the round before joins too. The last number is
    :func:`granovetter`'s answer."""
    ordered = np.sort(_thresholds(thresholds))
    joined = [int(np.searchsorted(ordered, 0, side="right"))]
    while True:
        now = int(np.searchsorted(ordered, joined[-1], side="right"))
        if now == joined[-1]:
            return np.asarray(joined)
        joined.append(now)


def joining_curve(thresholds: Sequence[float]) -> pd.DataFrame:
    """For each number already joined (0 to n), how many people's thresholds are met.

    The crowd comes to rest at the first point where the curve meets the diagonal: that many have joined
    and no one else's threshold is met. Returns columns ``joined`` and ``willing``."""
    ordered = np.sort(_thresholds(thresholds))
    joined = np.arange(ordered.size + 1)
    willing = np.searchsorted(ordered, joined, side="right")
    return pd.DataFrame({"joined": joined, "willing": willing})


# --------------------------------------------------------------------------------------------------
# Watts (2002): threshold cascades on networks


def _start(network: Network, seeds: object, rng: np.random.Generator) -> np.ndarray:
    n = network.n
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        count = int(seeds)
        if not 1 <= count <= n:
            raise ValueError(f"seeds must be between 1 and the number of people ({n:,}); got {count}.")
        return rng.choice(n, size=count, replace=False) if count < n else np.arange(n)
    try:
        people = np.unique(np.asarray(list(seeds), dtype=np.int64))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(
            "seeds must be how many people start at random (such as 1) or a list of people (such as [0, 5])."
        ) from None
    if people.size == 0 or people.min() < 0 or people.max() >= n:
        raise ValueError(f"seeds must name at least one person in the network, numbered 0 to {n - 1}.")
    return people


def threshold_cascade(network: Network, phi: float, *, seeds: int | Sequence[int] = 1, seed: int | None = None) -> float:
    """The share of people active at the end of a threshold cascade (Watts 2002).

    Each person joins once at least a share ``phi`` of their contacts has joined (someone with 8 contacts
    and ``phi = 0.18`` joins once 2 have, since 2 / 8 = 0.25 is at least 0.18 and 1 / 8 is not). A person
    only joins because of their contacts: someone with no contact who has joined never joins, so
    ``phi = 0`` means one active contact is enough (the simple spread of reading 1). Nobody leaves.

    ``seeds``: who starts. A whole number means that many people chosen at random (``seeds=1``, the
    default, is one person picked at random, as in Watts' experiments); a list means those people.
    ``seed`` fixes the random choice, so the same seed picks the same people.

    Returns the final share active, between 0 and 1, counting the people who started. The order in which
    people are updated does not change the end result (joining only ever makes others more likely to
    join), so we update in rounds: everyone whose contacts just joined is checked at once. Each contact
    is looked at once per joiner, so 10,000 people take a few milliseconds.
    """
    if not isinstance(network, Network):
        raise ValueError("network must be a Network, made by syslead.spread (such as random_network(10_000, 4)).")
    phi = _share("phi", phi)
    n = network.n
    rng = np.random.default_rng(seed)
    start = _start(network, seeds, rng)

    degree = np.diff(network.indptr)
    # contacts who must have joined: the smallest whole number m with m / degree >= phi, and at least 1
    need = np.maximum(np.ceil(phi * degree - 1e-9), 1).astype(np.int64)
    active = np.zeros(n, dtype=bool)
    active[start] = True
    heard = np.zeros(n, dtype=np.int64)  # how many of each person's contacts have joined
    frontier = start
    while frontier.size:
        targets = contacts_of(network, frontier)
        if targets.size == 0:
            break
        who, times = np.unique(targets, return_counts=True)
        heard[who] += times
        who = who[~active[who]]
        frontier = who[heard[who] >= need[who]]
        active[frontier] = True
    return float(active.sum()) / n


def cascade_sizes(
    phi: float,
    mean_degrees: Sequence[float],
    *,
    people: int = 10_000,
    networks: int = 5,
    starts: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Run threshold cascades from one random person on random networks of each mean degree.

    For each mean number of contacts in ``mean_degrees`` we build ``networks`` random networks of
    ``people`` people (:func:`syslead.spread.random_network`) and start ``starts`` cascades on each, each
    from one person picked at random. Returns one row per cascade: ``mean_degree``, ``network``,
    ``start`` and ``share`` (the final share active). Everything follows from ``seed``.
    """
    phi = _share("phi", phi)
    people = _whole("The number of people", people, 2)
    networks = _whole("The number of networks", networks, 1)
    starts = _whole("The number of starts", starts, 1)
    rng = np.random.default_rng(seed)
    rows = []
    for z in mean_degrees:
        for j in range(networks):
            net = random_network(people, z, seed=int(rng.integers(2**31)))
            for s in range(starts):
                share = threshold_cascade(net, phi, seeds=1, seed=int(rng.integers(2**31)))
                rows.append((float(z), j, s, share))
    return pd.DataFrame(rows, columns=["mean_degree", "network", "start", "share"])


def cascade_window_bounds(phi: float, top: float = 40.0) -> tuple[float, float] | None:
    """The edges of the cascade window on large random networks, from Watts' (2002) cascade condition.

    A person with ``k`` contacts is *vulnerable* if one joining contact is enough (``1 / k >= phi``).
    Global cascades are possible when the vulnerable people form a connected web that spans the network:
    on a random network with mean degree ``z`` (Poisson degrees) that happens when
    ``sum over vulnerable k of k (k - 1) P(k) > z``. Returns the lowest and highest ``z`` where this holds
    (about 1 and 5.8 for ``phi = 0.18``), or None if it never does. Finite networks cascade a little
    beyond the upper edge (Watts' simulations on 10,000 people do), because cascades there can hop between
    small vulnerable clusters.
    """
    phi = _share("phi", phi)
    if phi == 0:
        return (1.0, math.inf)
    largest = math.floor(1 / phi + 1e-9)  # the most contacts a vulnerable person can have
    if largest < 2:
        return None
    z = np.linspace(0.01, top, 40_000)
    k = np.arange(2, largest + 1)
    log_p = k[:, None] * np.log(z)[None, :] - z[None, :] - np.array([math.lgamma(x + 1) for x in k])[:, None]
    excess = (k * (k - 1))[:, None] * np.exp(log_p)
    inside = excess.sum(axis=0) > z
    if not inside.any():
        return None
    where = np.flatnonzero(inside)
    return float(z[where[0]]), float(z[where[-1]])


# --------------------------------------------------------------------------------------------------
# Connected groups


def connected_groups(network: Network) -> np.ndarray:
    """A group number for each person: two people share a number when a chain of contacts joins them.

    Groups are numbered by their smallest member. (Each round every person takes the smallest number
    among themselves and their contacts, and jumps to the number their number points to, until nothing
    changes.)"""
    if not isinstance(network, Network):
        raise ValueError("network must be a Network, made by syslead.spread or life_cycle().")
    n = network.n
    label = np.arange(n)
    owner = np.repeat(np.arange(n), np.diff(network.indptr))
    while True:
        lowest = label.copy()
        if network.indices.size:
            np.minimum.at(lowest, owner, label[network.indices])
        lowest = lowest[lowest]  # pointer jumping: follow the chain of smaller numbers
        if np.array_equal(lowest, label):
            return label
        label = lowest


# --------------------------------------------------------------------------------------------------
# The life cycle of emergence (Wheatley & Frieze 2006), as a picture model

#: The stages of the picture, as (name, stage number) pairs for a slider.
STAGES = [
    ("scattered", 0.0),
    ("networks forming", 0.5),
    ("networks", 1.0),
    ("communities forming", 1.5),
    ("communities of practice", 2.0),
    ("connecting", 2.5),
    ("system of influence", 3.0),
]


@dataclass(frozen=True, eq=False)
class LifeCycle:
    """One moment in the life cycle: the people, who they are linked to, and where to draw them."""

    stage: float
    network: Network
    cause: np.ndarray  # which local cause (0 to causes - 1) each person works on
    position: np.ndarray  # (n, 2) where to draw each person
    bridge: np.ndarray  # for each relationship in network.edges() order: does it join two causes?

    @property
    def name(self) -> str:
        """The nearest stage's name, such as 'communities of practice'."""
        return min(STAGES, key=lambda s: abs(s[1] - self.stage))[0]

    def groups(self) -> np.ndarray:
        """Sizes of the connected groups, largest first (a person with no link is a group of one)."""
        _, sizes = np.unique(connected_groups(self.network), return_counts=True)
        return np.sort(sizes)[::-1]


@lru_cache(maxsize=8)
def _life_cycle_plan(causes: int, size: int, seed: int):
    """Everything that does not depend on the stage: who works on what, where they sit, and the links
    of each stage in the order they are made."""
    rng = np.random.default_rng(seed)
    n = causes * size
    cause = np.repeat(np.arange(causes), size)
    scattered = rng.uniform(-1.15, 1.15, size=(n, 2))
    angle = 2 * np.pi * np.arange(causes) / causes + np.pi / 2
    centre = np.column_stack([np.cos(angle), np.sin(angle)])
    inner = np.arange(size)
    ring = 0.32 * np.column_stack([np.cos(2 * np.pi * inner / size), np.sin(2 * np.pi * inner / size)])
    clustered = centre[cause] + np.tile(ring, (causes, 1))

    def pairs_within(g):
        members = np.flatnonzero(cause == g)
        a, b = np.triu_indices(members.size, 1)
        return members[a], members[b]

    # Stage 1, networks: about half the people find one kindred spirit on the same cause; a few find
    # someone on another cause. Small chains and pairs, scattered.
    net = []
    for person in range(n):
        if rng.random() < 0.5:
            same = np.flatnonzero((cause == cause[person]) & (np.arange(n) != person))
            net.append((person, int(rng.choice(same))))
    for _ in range(max(1, causes // 2)):
        a = int(rng.integers(n))
        net.append((a, int(rng.choice(np.flatnonzero(cause != cause[a])))))
    # Stage 2, communities of practice: about half the pairs on the same cause start working together.
    com = []
    for g in range(causes):
        a, b = pairs_within(g)
        keep = rng.random(a.size) < 0.5
        com.extend(zip(a[keep].tolist(), b[keep].tolist(), strict=True))
    # Stage 3, system of influence: each community links to the next around the circle and to one across.
    sys = []
    for g in range(causes):
        for h in {(g + 1) % causes, (g + causes // 2) % causes} - {g}:
            sys.append((int(rng.choice(np.flatnonzero(cause == g))), int(rng.choice(np.flatnonzero(cause == h)))))
    plan = []
    seen: set[tuple[int, int]] = set()
    for batch in (net, com, sys):
        order = rng.permutation(len(batch))
        fresh = []
        for i in order:
            pair = (min(int(batch[i][0]), int(batch[i][1])), max(int(batch[i][0]), int(batch[i][1])))
            if pair[0] != pair[1] and pair not in seen:
                seen.add(pair)
                fresh.append(pair)
        plan.append(fresh)
    return cause, scattered, clustered, plan


def life_cycle(stage: float, *, causes: int = 5, size: int = 8, seed: int = 4) -> LifeCycle:
    """The picture model of the life cycle of emergence at ``stage`` (0 to 3).

    ``causes * size`` people each work on one of ``causes`` local causes. Stage 0: they are scattered
    and unconnected. Stage 1, **networks**: each finds one or two kindred spirits, mostly on the same
    cause. Stage 2, **communities of practice**: people on the same cause gather and link densely.
    Stage 3, **system of influence**: a few people link the communities to each other. Stages in between
    (such as 1.5) have made part of the next stage's links. The same ``seed`` gives the same people."""
    try:
        stage = float(stage)
    except (TypeError, ValueError):
        raise ValueError(f"stage must be a number from 0 (scattered) to 3 (system of influence); got {stage!r}.") from None
    if math.isnan(stage) or not 0.0 <= stage <= 3.0:
        raise ValueError(f"stage must be from 0 (scattered) to 3 (system of influence); got {stage!r}.")
    causes = _whole("The number of causes", causes, 1)
    size = _whole("The number of people on each cause", size, 2)
    cause, scattered, clustered, plan = _life_cycle_plan(causes, size, seed)
    n = causes * size
    links: list[tuple[int, int]] = []
    for i, batch in enumerate(plan):
        done = min(max(stage - i, 0.0), 1.0)
        links.extend(batch[: int(round(done * len(batch)))])
    u = np.array([a for a, _ in links], dtype=np.int64)
    v = np.array([b for _, b in links], dtype=np.int64)
    network = from_edges(n, u, v, "life cycle", {"stage": stage})
    pull = min(max(stage - 1.0, 0.0), 1.0)  # people gather around their cause between stages 1 and 2
    pull = pull * pull * (3 - 2 * pull)  # ease in and out
    position = (1 - pull) * scattered + pull * clustered
    eu, ev = network.edges()
    return LifeCycle(stage, network, cause, position, cause[eu] != cause[ev])


# --------------------------------------------------------------------------------------------------
# Charts for the notebook (matplotlib is imported only when one is drawn)


def granovetter_chart(display: bool = True):
    """Line chart: Granovetter's two crowds of 100, how many have joined after each round."""
    from . import style
    from .charts import figure, render, show

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
    from . import style
    from .charts import figure, render, show

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
    ax.legend(loc="upper right")
    ax.text(0.1, 72, "too few links:\nislands", color="#555555", fontsize=9)
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

    from . import style
    from .charts import figure, render, show

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
