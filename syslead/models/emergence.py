"""Critical connections, not critical mass: thresholds, cascades and the life cycle of emergence.

Wheatley & Frieze (2006) argue that systems change through *critical connections*, not critical mass:
local efforts link up as networks, grow into communities of practice, and suddenly a system of influence
emerges. Two classic threshold models sit on either side of that claim.

Granovetter (1978): :func:`granovetter`, a model of **critical mass** (no network: everyone sees everyone)
    Each person in a crowd has a **threshold**: the number of others who must act before they will. A
    person with threshold 0 acts alone; a person with threshold 1 acts once one other has; and so on. With
    thresholds 0, 1, 2, ..., 99 in a crowd of 100, everyone joins, one after the other. Change one
    person's threshold from 1 to 2 and the chain breaks after the first person: only one joins. The two
    crowds are almost identical; the outcome is not.

Watts (2002): :func:`threshold_cascade`, thresholds on a **network** (the connections side)
    The same rule on a network: each person joins once at least a share ``phi`` of *their own contacts*
    has. With too few connections the network falls apart into islands and nothing spreads far. With
    many connections each person hears from so many who have not joined that one neighbour is never
    enough. In between lies the **cascade window**, where one person's action can tip the whole system.
    :func:`cascade_window_bounds` gives the window's edges from Watts' cascade condition and
    :func:`cascade_sizes` runs the simulation over many networks.

The life cycle of emergence: :func:`life_cycle`
    A small picture model of the companion essay's three stages: scattered people link into networks,
    thicken into communities of practice, and the communities connect into a system of influence.

The networks are the :class:`syslead.models.spread.Network` objects of reading 1 (adjacency arrays), so the
same network can carry a message (reading 1) or a threshold cascade (here). Its charts are in
:mod:`syslead.charts.emergence`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from syslead.models.arguments import share, whole
from syslead.models.spread import Network, contacts_of, from_edges, random_network

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
        raise ValueError("network must be a Network, made by syslead.models.spread (such as random_network(10_000, 4)).")
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
    ``people`` people (:func:`syslead.models.spread.random_network`) and start ``starts`` cascades on each, each
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
        raise ValueError("network must be a Network, made by syslead.models.spread or life_cycle().")
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
