"""How a message spreads: down an organisation chart, or person to person through a network.

Reading 1 says systems leadership marks a shift in how messages travel, from *hierarchical* (down the
chain of command) to *viral* (person to person). This module makes that concrete.

Networks
    :func:`hierarchy`, :func:`small_world` and :func:`random_network` each return a :class:`Network` of
    ``n`` people, numbered 0 to n - 1, stored as adjacency arrays (compressed sparse rows) so that a
    network of a million people fits in a few tens of megabytes.

Spread
    :func:`simulate_spread` runs the model: at each step every informed person passes the message to each
    of their contacts with probability ``pass_on``; a share ``absent`` of people (never the seeds) neither
    receive nor pass it on. :func:`time_to_reach` reads off the first step at which a share is reached.

How it runs fast
    Each informed person keeps trying each contact, once a step, until the contact hears. So the delay
    along one contact is a geometric random number of steps (1 with probability ``pass_on``, 2 with
    probability ``pass_on * (1 - pass_on)``, and so on), independent of every other contact; and a
    person hears at the earliest of the arrival times over all their informed contacts. We therefore
    draw each contact's delay once, when its sender hears, and keep the pending arrivals in buckets by
    step (Dial's shortest-path algorithm with geometric edge weights). Every contact is looked at a
    bounded number of times, not once per step, and the result has exactly the distribution of the
    step-by-step model.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from syslead.models.arguments import share, whole

__all__ = [
    "Network",
    "hierarchy",
    "small_world",
    "random_network",
    "simulate_spread",
    "time_to_reach",
    "from_edges",
    "contacts_of",
    "reach_curve",
]


@dataclass(frozen=True, eq=False)
class Network:
    """An undirected network of ``n`` people.

    ``indices[indptr[i]:indptr[i + 1]]`` are the contacts of person ``i``. ``kind`` and ``params``
    say how it was made, for labels and alt text.
    """

    indptr: np.ndarray
    indices: np.ndarray
    kind: str = "network"
    params: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.indptr) - 1

    def __len__(self) -> int:
        return self.n

    @property
    def contacts(self) -> int:
        """Number of contacts counted from both ends (twice the number of relationships)."""
        return int(self.indptr[-1])

    def degrees(self) -> np.ndarray:
        """How many contacts each person has."""
        return np.diff(self.indptr)

    def neighbours(self, person: int) -> np.ndarray:
        """The contacts of one person."""
        if not 0 <= person < self.n:
            raise ValueError(f"Person {person} is not in this network: people are numbered 0 to {self.n - 1}.")
        return self.indices[self.indptr[person] : self.indptr[person + 1]]

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Each relationship once, as two arrays ``(u, v)`` with ``u < v``."""
        u = np.repeat(np.arange(self.n, dtype=self.indices.dtype), self.degrees())
        keep = u < self.indices
        return u[keep], self.indices[keep]

    def to_networkx(self):
        """The same network as a ``networkx.Graph`` (needs networkx; for comparisons and drawing)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        u, v = self.edges()
        g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        return g

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"<{self.kind} of {self.n:,} people, {self.contacts // 2:,} relationships ({settings})>"


# --------------------------------------------------------------------------------------------------
# Checking arguments: one plain sentence for each mistake.


_whole = whole
_probability = share


def from_edges(n: int, u: np.ndarray, v: np.ndarray, kind: str, params: dict) -> Network:
    """Build the adjacency arrays from a list of relationships (no self-loops, no repeats)."""
    dtype = np.int32 if n < 2**31 - 1 else np.int64
    src = np.concatenate([u, v]).astype(dtype, copy=False)
    dst = np.concatenate([v, u]).astype(dtype, copy=False)
    del u, v
    order = np.argsort(src)  # the order of contacts within a person does not matter
    indices = dst[order]
    del dst, order
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return Network(indptr=indptr, indices=indices, kind=kind, params=params)


def _dedupe(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop self-loops and repeated relationships."""
    lo = np.minimum(u, v).astype(np.int64)
    hi = np.maximum(u, v).astype(np.int64)
    keep = lo != hi
    key = np.sort(lo[keep] * n + hi[keep])
    if key.size:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key // n, key % n


# --------------------------------------------------------------------------------------------------
# Networks


def hierarchy(n: int, span: int) -> Network:
    """An organisation chart of ``n`` people: person 0 is the top, each person has up to ``span``
    direct reports, filled level by level (person i reports to person (i - 1) // span)."""
    n = _whole("The number of people n", n, 1)
    span = _whole("The span of control", span, 1)
    child = np.arange(1, n, dtype=np.int64)
    parent = (child - 1) // span
    return from_edges(n, parent, child, "hierarchy", {"span": span})


def small_world(n: int, k: int, rewire: float, seed: int | None = None) -> Network:
    """A Watts-Strogatz small world (Watts & Strogatz 1998): people sit in a ring, each linked to the
    ``k`` nearest (k / 2 on each side); then each link is moved, with probability ``rewire``, to a
    random person. Repeated links and self-links that rewiring would make are dropped, so a few people
    end up with slightly fewer than k contacts."""
    n = _whole("The number of people n", n, 1)
    k = _whole("The number of contacts per person k", k, 0)
    rewire = _probability("The rewiring probability", rewire)
    if k % 2:
        raise ValueError(f"k must be even (k / 2 neighbours on each side of the ring); got {k}.")
    if k >= n:
        raise ValueError(f"k must be smaller than the number of people n = {n}; got {k}.")
    rng = np.random.default_rng(seed)
    half = k // 2
    dtype = np.int32 if n < 2**30 else np.int64
    if half == 0:
        return Network(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=dtype), "small world",
                       {"k": k, "rewire": rewire})
    # Each person i starts with a link to i + 1, ..., i + half (round the ring); each such link is moved
    # with probability `rewire`: it keeps its first end and gets a random second end.
    moved = rng.random((n, half), dtype=np.float32) < rewire
    src = np.nonzero(moved)[0].astype(dtype)
    dst = rng.integers(0, n, size=src.size, dtype=dtype)
    # drop moved links that would land on the person themself or on their ring neighbours (repeats),
    # then repeats among the moved links themselves
    gap = (dst.astype(np.int64) - src) % n
    keep = (gap > half) & (gap < n - half)
    src, dst = _dedupe(n, src[keep], dst[keep])
    src, dst = src.astype(dtype), dst.astype(dtype)
    # The ring links that stay, seen from both ends: column j < half is the link to i + j + 1,
    # column half + j the link from i - j - 1.
    stays = np.concatenate([~moved, np.column_stack([np.roll(~moved[:, j], j + 1) for j in range(half)])], axis=1)
    del moved
    ring_degree = stays.sum(axis=1)
    offsets = np.concatenate([np.arange(1, half + 1), -np.arange(1, half + 1)]).astype(dtype)
    ring = (np.arange(n, dtype=dtype)[:, None] + offsets[None, :]) % dtype(n)
    ring = ring[stays]  # row by row: each person's ring contacts, grouped by person
    del stays
    # The moved links, seen from both ends, grouped by person.
    ends = np.concatenate([src, dst])
    others = np.concatenate([dst, src])
    order = np.argsort(ends, kind="stable")
    ends, others = ends[order], others[order]
    del order, src, dst
    # Each person's block: their ring contacts, then their moved-link contacts.
    ring_end = np.cumsum(ring_degree)
    indices = np.insert(ring, ring_end[ends], others)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ring_degree + np.bincount(ends, minlength=n), out=indptr[1:])
    return Network(indptr=indptr, indices=indices, kind="small world", params={"k": k, "rewire": rewire})


def random_network(n: int, mean_degree: float, seed: int | None = None) -> Network:
    """A random network (Erdős-Rényi): about ``n * mean_degree / 2`` relationships between pairs of
    people chosen at random, so each person has ``mean_degree`` contacts on average."""
    n = _whole("The number of people n", n, 1)
    try:
        mean_degree = float(mean_degree)
    except (TypeError, ValueError):
        raise ValueError(f"mean_degree must be a number; got {mean_degree!r}.") from None
    if not 0 <= mean_degree <= n - 1:
        raise ValueError(
            f"mean_degree must be between 0 and n - 1 = {n - 1} (nobody can know more people than there are); "
            f"got {mean_degree}."
        )
    rng = np.random.default_rng(seed)
    target = int(round(n * mean_degree / 2))
    u = np.empty(0, dtype=np.int64)
    v = np.empty(0, dtype=np.int64)
    # Draw pairs, drop repeats, and top up until there are enough (a couple of rounds at most).
    while u.size < target:
        need = target - u.size
        extra = need + need // 10 + 16
        u = np.concatenate([u, rng.integers(0, n, size=extra)])
        v = np.concatenate([v, rng.integers(0, n, size=extra)])
        u, v = _dedupe(n, u, v)
    if u.size > target:
        pick = np.sort(rng.choice(u.size, size=target, replace=False))
        u, v = u[pick], v[pick]
    return from_edges(n, u, v, "random network", {"mean_degree": mean_degree})


# --------------------------------------------------------------------------------------------------
# Spread


def _seeds(network: Network, seeds: Iterable[int] | int) -> np.ndarray:
    seeds = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one person who knows the message at the start, such as (0,).")
    out = np.unique(np.asarray(seeds))
    if out.dtype.kind not in "iu" or out.min() < 0 or out.max() >= network.n:
        raise ValueError(f"seeds must be people in the network, numbered 0 to {network.n - 1}; got {seeds!r}.")
    return out


def contacts_of(network: Network, people: np.ndarray) -> np.ndarray:
    """All contacts of the given people, concatenated."""
    pos = np.int32 if network.contacts < 2**31 else np.int64  # half the memory for positions
    starts = network.indptr[people].astype(pos)
    counts = (network.indptr[people + 1] - network.indptr[people]).astype(pos)
    total = int(counts.sum(dtype=np.int64))
    if total == 0:
        return network.indices[:0]
    # position of each entry = its block's start + its offset inside the block
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    offsets += np.arange(total, dtype=pos)
    return network.indices[offsets]


def simulate_spread(
    network: Network,
    *,
    pass_on: float = 1.0,
    absent: float = 0.0,
    seeds: Sequence[int] | int = (0,),
    max_steps: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Spread a message from ``seeds`` through ``network``.

    At each step every informed person passes the message to each of their contacts with probability
    ``pass_on``. A share ``absent`` of people, chosen at random but never the seeds, neither receive
    nor pass it on. Returns a DataFrame with columns ``step``, ``informed`` and ``fraction`` (informed
    divided by n), one row per step from step 0 (the seeds) until nobody else can be reached, or until
    ``max_steps``.
    """
    if not isinstance(network, Network):
        raise ValueError("network must be made by hierarchy(), small_world() or random_network().")
    pass_on = _probability("pass_on", pass_on)
    absent = _probability("absent", absent)
    if max_steps is not None:
        max_steps = _whole("max_steps", max_steps, 0)
    start = _seeds(network, seeds)
    n = network.n
    rng = np.random.default_rng(seed)

    blocked = np.zeros(n, dtype=bool)  # informed already, or absent
    n_absent = min(int(round(absent * n)), n - start.size)
    if n_absent:
        candidates = np.setdiff1d(np.arange(n), start, assume_unique=True)
        blocked[rng.choice(candidates, size=n_absent, replace=False)] = True
    blocked[start] = True

    counts = [int(start.size)]
    buckets: dict[int, list[np.ndarray]] = {}
    pending: list[int] = []  # heap of steps that have a bucket
    owner = np.zeros(n, dtype=np.int64)
    horizon_cut = [False]  # did max_steps stop arrivals that would otherwise have come?

    def expand(frontier: np.ndarray, step: int) -> None:
        targets = contacts_of(network, frontier)
        targets = targets[~blocked[targets]]
        if targets.size == 0 or pass_on == 0.0:
            return
        if pass_on == 1.0:
            arrivals = {step + 1: targets}
        else:
            delay = rng.geometric(pass_on, size=targets.size)
            if max_steps is not None:  # arrivals after the horizon will never be looked at
                keep = delay <= max_steps - step
                if not keep.all():
                    horizon_cut[0] = True
                targets, delay = targets[keep], delay[keep]
            if delay.size == 0:
                return
            top = int(delay.max())
            key = delay.astype(np.uint16 if top < 2**16 else np.int64)
            order = np.argsort(key, kind="stable")  # radix sort for 16-bit keys: linear time
            per = np.bincount(key, minlength=top + 1)
            bounds = np.cumsum(per)
            sorted_targets = targets[order]
            arrivals = {}
            for d in np.flatnonzero(per):
                arrivals[step + int(d)] = sorted_targets[bounds[d] - per[d] : bounds[d]]
        for when, who in arrivals.items():
            if when not in buckets:
                buckets[when] = []
                heapq.heappush(pending, when)
            buckets[when].append(who)

    expand(start, 0)
    step = 0
    while pending:
        when = heapq.heappop(pending)
        if max_steps is not None and when > max_steps:
            horizon_cut[0] = True
            break
        arrived = np.concatenate(buckets.pop(when))
        arrived = arrived[~blocked[arrived]]
        if arrived.size:
            # keep each person once (the last writer of owner[] for a person wins)
            owner[arrived] = np.arange(arrived.size)
            arrived = arrived[owner[arrived] == np.arange(arrived.size)]
            blocked[arrived] = True
        # steps in between with nobody new keep the same count
        counts.extend([counts[-1]] * (when - step - 1))
        counts.append(counts[-1] + int(arrived.size))
        step = when
        if arrived.size:
            expand(arrived, when)

    informed = np.asarray(counts, dtype=np.int64)
    if horizon_cut[0]:
        # the message was still on its way when max_steps stopped it: one row per step up to max_steps
        informed = np.concatenate([informed, np.full(max_steps + 1 - informed.size, informed[-1])])
    else:
        # drop trailing steps where nobody new heard (their arrivals were all blocked)
        last = int(np.flatnonzero(np.diff(informed, prepend=-1))[-1])
        informed = informed[: last + 1]
    return pd.DataFrame(
        {
            "step": np.arange(informed.size, dtype=np.int64),
            "informed": informed,
            "fraction": informed / n,
        }
    )


def time_to_reach(result: pd.DataFrame, share: float) -> int | None:
    """The first step at which ``fraction >= share``, or None if the message never got that far."""
    share = _probability("share", share)
    if not {"step", "fraction"} <= set(getattr(result, "columns", ())):
        raise ValueError("result must be the table that simulate_spread() returns.")
    hit = result.loc[result["fraction"] >= share - 1e-12, "step"]
    return None if hit.empty else int(hit.iloc[0])


def reach_curve(results: Sequence[pd.DataFrame], steps: int | None = None) -> pd.DataFrame:
    """Average several runs of :func:`simulate_spread` step by step (a finished run stays at its end
    value), for smoother charts. Returns columns ``step``, ``fraction``, ``low`` and ``high``
    (the smallest and largest fraction over the runs)."""
    if not results:
        raise ValueError("reach_curve needs at least one result from simulate_spread().")
    length = steps if steps is not None else max(len(r) for r in results)
    grid = np.vstack(
        [
            np.concatenate([r["fraction"].to_numpy(), np.full(max(0, length - len(r)), r["fraction"].iloc[-1])])[
                :length
            ]
            for r in results
        ]
    )
    return pd.DataFrame(
        {
            "step": np.arange(length),
            "fraction": grid.mean(axis=0),
            "low": grid.min(axis=0),
            "high": grid.max(axis=0),
        }
    )
