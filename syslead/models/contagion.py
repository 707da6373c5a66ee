"""Simple and complex contagion: news spreads from one contact, a practice needs several.

Reading 1 says systems leadership marks a shift from *hierarchical* to *viral* transmission. Damon Centola
(2010, "The spread of behavior in an online social network experiment", *Science* 329, 1194-1197) tested
what "viral" means for behaviour rather than news. He built online networks in which everyone had the
same number of contacts, some clustered (your contacts also know each other) and some random, and found
that a health behaviour spread further and faster through the clustered ones. Centola & Macy (2007,
*American Journal of Sociology* 113(3)) explain why with the distinction modelled here:

- a **simple contagion** (news, a rumour) passes on from a single contact who has it;
- a **complex contagion** (a practice that is costly, risky or only worth it if others do it too) is taken
  up only once **several** of your own contacts have taken it up.

Random links are short cuts, which help news travel; but a short cut brings you one contact who has
adopted, never two, so a practice that needs two cannot use it. Clustered ties overlap, so the people
round an early adopter hear it from several sides at once.

:func:`lattice` builds the clustered network (a ring in which each person knows the ``k`` nearest),
:func:`shuffle_links` turns it into a random one with **exactly** the same number of contacts for every
person (degree-preserving double-edge swaps), and :func:`spread_practice` runs the threshold rule step by
step. Everything is deterministic given the network, so small cases can be worked by hand (see
``tests/unit/test_contagion.py``). Charts are in :mod:`syslead.charts.contagion`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from syslead.models.arguments import whole
from syslead.models.spread import Network, from_edges, small_world

__all__ = ["lattice", "shuffle_links", "spread_practice", "seed_group", "final_share", "compare_networks"]


def lattice(n: int, k: int) -> Network:
    """A clustered network: ``n`` people in a ring, each knowing the ``k`` nearest (k / 2 on each side).

    This is a Watts-Strogatz small world with no rewiring: neighbours of neighbours are neighbours."""
    net = small_world(n, k, 0.0)
    return Network(net.indptr, net.indices, "clustered network", {"k": k})


def shuffle_links(network: Network, swaps_per_link: int = 10, seed: int | None = None) -> Network:
    """A random network with the same number of contacts for every person as ``network``.

    Repeatedly picks two relationships a-b and c-d and rewires them to a-d and c-b, unless that would
    make a self-link or a repeated link (Maslov & Sneppen 2002). Each person keeps their number of
    contacts; the clustering is destroyed."""
    swaps_per_link = whole("The number of swaps per link", swaps_per_link, 0)
    u, v = network.edges()
    u, v = u.astype(np.int64).copy(), v.astype(np.int64).copy()
    m = u.size
    rng = np.random.default_rng(seed)
    present = {(int(a), int(b)) for a, b in zip(u, v, strict=True)}

    def key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    tries = swaps_per_link * m
    picks = rng.integers(0, m, size=(tries, 2)) if m >= 2 else np.zeros((0, 2), dtype=np.int64)
    flips = rng.random(tries) < 0.5
    for (i, j), flip in zip(picks, flips, strict=True):
        if i == j:
            continue
        a, b = int(u[i]), int(v[i])
        c, d = (int(v[j]), int(u[j])) if flip else (int(u[j]), int(v[j]))
        if len({a, b, c, d}) < 4:
            continue
        new1, new2 = key(a, d), key(c, b)
        if new1 in present or new2 in present:
            continue
        present.discard(key(a, b))
        present.discard(key(c, d))
        present.add(new1)
        present.add(new2)
        u[i], v[i] = new1
        u[j], v[j] = new2
    return from_edges(network.n, u, v, "random network", {**network.params, "shuffled": True})


def seed_group(network: Network, person: int = 0) -> np.ndarray:
    """One person and all their contacts: the early adopters in Centola & Macy's model."""
    return np.unique(np.concatenate([[person], network.neighbours(person)])).astype(np.int64)


def spread_practice(network: Network, needed: int, seeds: Iterable[int] | None = None,
                    max_steps: int | None = None) -> pd.DataFrame:
    """Run the threshold rule: each step, everyone with at least ``needed`` contacts who have adopted
    adopts too (all at once). ``needed = 1`` is a simple contagion (news); 2 or more is a complex one.

    ``seeds`` are the first adopters (default: person 0 and their contacts, :func:`seed_group`).
    Returns one row per step, from step 0 (the seeds) to the step after which nobody new adopts:
    ``step``, ``adopted`` (how many have adopted by then) and ``share`` (of everyone)."""
    needed = whole("The number of contacts needed", needed, 1, example=2)
    n = network.n
    start = seed_group(network) if seeds is None else np.asarray(list(seeds), dtype=np.int64)
    if start.size == 0:
        raise ValueError("Give at least one first adopter (seeds), for example seeds=[0].")
    if start.min() < 0 or start.max() >= n:
        raise ValueError(f"First adopters must be people 0 to {n - 1}; got {sorted(start.tolist())}.")
    adopted = np.zeros(n, dtype=bool)
    adopted[start] = True
    owner = np.repeat(np.arange(n), network.degrees())
    counts = [int(adopted.sum())]
    limit = n if max_steps is None else max_steps
    for _ in range(limit):
        # how many adopted contacts each person has
        exposed = np.bincount(owner, weights=adopted[network.indices], minlength=n)
        new = (~adopted) & (exposed >= needed)
        if not new.any():
            break
        adopted |= new
        counts.append(int(adopted.sum()))
    steps = np.arange(len(counts))
    return pd.DataFrame({"step": steps, "adopted": counts, "share": np.asarray(counts) / n})


def final_share(result: pd.DataFrame) -> float:
    """The share of everyone who has adopted when the spread stops."""
    return float(result["share"].iloc[-1])


def compare_networks(n: int = 144, k: int = 6, needed_values: Iterable[int] = (1, 2, 3, 4),
                     networks: int = 5, seed: int = 1) -> pd.DataFrame:
    """Final share and steps taken, for each number of contacts needed, on the clustered network and on
    ``networks`` random networks with the same number of contacts each (averaged).

    Returns rows ``needed``, ``network`` ("clustered" or "random"), ``final_share``, ``steps`` (steps
    until the spread stopped, averaged) and ``steps_to_half`` (first step with half adopted, averaged
    over the runs that got there; NaN if none did)."""
    clustered = lattice(n, k)
    randoms = [shuffle_links(clustered, seed=seed + i) for i in range(networks)]
    rows = []
    for needed in needed_values:
        for label, nets in (("clustered", [clustered]), ("random", randoms)):
            runs = [spread_practice(net, needed) for net in nets]
            halves = [int(r.loc[r["share"] >= 0.5, "step"].iloc[0]) for r in runs if (r["share"] >= 0.5).any()]
            rows.append({
                "needed": needed,
                "network": label,
                "final_share": float(np.mean([final_share(r) for r in runs])),
                "steps": float(np.mean([len(r) - 1 for r in runs])),
                "steps_to_half": float(np.mean(halves)) if halves else float("nan"),
            })
    return pd.DataFrame(rows)
