"""Charts for reading 1's second look at "viral": simple against complex contagion (Centola 2010).

Each function runs :mod:`syslead.models.contagion` and returns a :class:`syslead.charts.base.Chart` whose
alt text is written from the numbers it draws.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from syslead.charts import style
from syslead.charts.base import Chart, counts_axis, describe_share, figure, label_line_ends, render
from syslead.models.contagion import compare_networks, lattice, shuffle_links, spread_practice

#: An illustrative size: a ring of 144 people with 6 contacts each. (Centola's networks, like these, gave
#: every member the same number of contacts; the exact sizes here are ours.)
PEOPLE = 144
CONTACTS = 6
RANDOM_NETWORKS = 5


@lru_cache(maxsize=8)
def _networks(n: int, k: int, count: int, seed: int):
    clustered = lattice(n, k)
    return clustered, tuple(shuffle_links(clustered, seed=seed + i) for i in range(count))


@lru_cache(maxsize=8)
def _summary(n: int, k: int, count: int, seed: int) -> pd.DataFrame:
    return compare_networks(n, k, needed_values=tuple(range(1, k // 2 + 2)), networks=count, seed=seed)


def _padded(result: pd.DataFrame, last: int) -> np.ndarray:
    share = result["share"].to_numpy()
    return np.concatenate([share, np.full(max(0, last + 1 - share.size), share[-1])])


def _fmt_steps(value: float) -> str:
    return "never" if np.isnan(value) else f"after {value:.0f} steps"


def practice_spread(needed: int = 2, n: int = PEOPLE, contacts: int = CONTACTS, seed: int = 1) -> Chart:
    """Two panels. Left: the share who have adopted, step by step, when each person needs ``needed``
    adopting contacts, on a clustered network and on random networks with the same contacts each.
    Right: the final share for every number needed, on both kinds of network."""
    clustered, randoms = _networks(n, contacts, RANDOM_NETWORKS, seed)
    summary = _summary(n, contacts, RANDOM_NETWORKS, seed)
    c_run = spread_practice(clustered, needed)
    r_runs = [spread_practice(net, needed) for net in randoms]
    last = max([len(c_run) - 1] + [len(r) - 1 for r in r_runs] + [5])
    steps = np.arange(last + 1)

    fig, (left, right) = figure(1, 2, wide=True)
    c_share = _padded(c_run, last) * 100
    left.plot(steps, c_share, color=style.NETWORK, linestyle="-")
    r_shares = np.array([_padded(r, last) for r in r_runs]) * 100
    for row in r_shares:
        left.plot(steps, row, color=style.RANDOM_NETWORK, linestyle="--", linewidth=1.0, alpha=0.6)
    r_mean = r_shares.mean(axis=0)
    left.plot(steps, r_mean, color=style.RANDOM_NETWORK, linestyle="--")
    left.set_ylim(0, 105)
    left.set_xlim(0, last * 1.02)
    counts_axis(left, "x")  # steps
    label_line_ends(left, [(steps[-1], c_share[-1], "clustered", style.NETWORK),
                           (steps[-1], r_mean[-1], "random\n(average)", style.RANDOM_NETWORK)])
    left.set_xlabel("step")
    left.set_ylabel("people who have adopted (%)")
    kind = "news: one contact is enough" if needed == 1 else f"a practice: {needed} contacts needed"
    left.set_title(kind, loc="left")

    values = sorted(summary["needed"].unique())
    x = np.arange(len(values))
    width = 0.38
    by = {net: summary[summary["network"] == net].set_index("needed")["final_share"] for net in ("clustered", "random")}
    right.bar(x - width / 2, [by["clustered"][v] * 100 for v in values], width, color=style.NETWORK,
              label="clustered")
    right.bar(x + width / 2, [by["random"][v] * 100 for v in values], width, color=style.RANDOM_NETWORK,
              hatch="//", edgecolor="white", label="random (average)")
    right.set_xticks(x, [str(v) for v in values])
    right.set_ylim(0, 125)
    right.set_yticks(range(0, 101, 20))
    right.set_xlabel("contacts who must have adopted first")
    right.set_ylabel("people who adopt in the end (%)")
    right.legend(loc="upper center", ncol=2)
    if needed in values:
        right.axvspan(values.index(needed) - 0.5, values.index(needed) + 0.5, color="#EEEEEE", zorder=0)

    c_final, r_final = c_run["share"].iloc[-1], float(np.mean([r["share"].iloc[-1] for r in r_runs]))
    c_half = float(c_run.loc[c_run["share"] >= 0.5, "step"].iloc[0]) if (c_run["share"] >= 0.5).any() else float("nan")
    r_halves = [float(r.loc[r["share"] >= 0.5, "step"].iloc[0]) for r in r_runs if (r["share"] >= 0.5).any()]
    reached = len(r_halves)
    bars = "; ".join(
        f"{v} needed: clustered {describe_share(by['clustered'][v])}, random {describe_share(by['random'][v])}"
        for v in values
    )
    alt = (
        f"Two charts of {n} people who each have {contacts} contacts, on a clustered network (a ring where "
        f"contacts know each other) and on {len(r_runs)} random networks with the same number of contacts. "
        f"The spread starts with one person and their contacts. Left, when a person adopts once {needed} "
        f"of their contacts have: on the clustered network {describe_share(c_final)} adopt in the end, "
        f"half {_fmt_steps(c_half)}; on the random networks {describe_share(r_final)} on average, and "
        f"{reached} of {len(r_runs)} reach half. Right, the final share for each number of contacts needed: "
        f"{bars}."
    )
    table = pd.DataFrame({"step": steps, "clustered_percent": c_share, "random_average_percent": r_mean})
    return render(fig, alt, data={"over_time": table, "final": summary})


def news_and_practice() -> str:
    """Figure 5's findings in one sentence: how fast news spreads on each kind of network, and how far a
    practice that needs two contacts gets (from :func:`syslead.models.contagion.compare_networks`)."""
    table = compare_networks().set_index(["needed", "network"])
    news_c, news_r = table.loc[(1, "clustered")], table.loc[(1, "random")]
    two_c, two_r = table.loc[(2, "clustered")], table.loc[(2, "random")]
    return (
        f"News (one contact enough): everyone hears on both kinds of network, but half have heard after "
        f"{news_r.steps_to_half:.0f} steps on the random networks and {news_c.steps_to_half:.0f} on the clustered "
        f"one. A practice that needs two contacts: {two_c.final_share:.0%} adopt on the clustered network, "
        f"{two_r.final_share:.0%} on the random ones (on average)."
    )


def explore_practice():
    """A slider over figure 5 (:func:`practice_spread`): how many contacts must have adopted first."""
    from ipywidgets import IntSlider

    from syslead.charts.base import sliders

    return sliders(
        practice_spread,
        fallback=(
            "Interactive version of figure 5: the slider changes how many of a person's contacts must have "
            "adopted before they adopt. Sliders need a running notebook; figure 5 above shows two contacts."
        ),
        needed=IntSlider(value=2, min=1, max=4, description="contacts needed",
                         tooltip="How many of a person's contacts must have adopted before they adopt"),
    )
