"""Charts for reading 2: broadcast versus word of mouth, fitting real adoption data, and arriving late.

Each function draws one chart in the course style and returns a :class:`syslead.charts.base.Chart` whose alt
text gives the numbers the chart shows. Notebooks call them in one line; the sliders call
:func:`adoption_curves` and :func:`race` again with the learner's settings. The models are in
:mod:`syslead.models.diffusion` and :mod:`syslead.models.competition`.
"""

from __future__ import annotations

import numpy as np

from syslead.charts import style
from syslead.charts.base import (
    Chart,
    counts_axis,
    figure,
    label_line_end,
    label_line_ends,
    label_points,
    render,
    show,
)
from syslead.models.competition import REPLACEMENT, overtake_years, simulate_entry
from syslead.models.datasets import load
from syslead.models.diffusion import (
    META_ANALYSIS_P,
    META_ANALYSIS_Q,
    BassFit,
    bass_adoption_rate,
    bass_cumulative,
    bass_peak,
)

#: Broadcast, the hierarchical channel of reading 1, and word of mouth, its viral channel, keep the
#: colours they had there; the mix of both gets a third.
BROADCAST = style.HIERARCHY
WORD_OF_MOUTH = style.NETWORK
BOTH = style.OKABE_ITO["bluish green"]
FIRST_MOVER = style.OKABE_ITO["reddish purple"]
LATER_ENTRANT = style.OKABE_ITO["bluish green"]

#: "Word of mouth only" still needs someone to go first: a tiny amount of broadcast (a pilot, a few
#: enthusiasts). With p exactly 0 nobody is first and nothing ever happens.
SEED_P = 0.001


def _peak_words(p: float, q: float) -> str:
    pk = bass_peak(p, q)
    if pk.rate == 0:
        return "never takes off"
    if pk.time == 0:
        return f"is fastest at launch ({100 * pk.rate:.1f} % a year)"
    return f"peaks in year {pk.time:.1f} at {100 * pk.rate:.1f} % a year"


def adoption_curves(p: float = META_ANALYSIS_P, q: float = META_ANALYSIS_Q, years: int = 25,
                    display: bool = True) -> Chart:
    """Two panels: the share who have adopted (left) and the share adopting each year (right), for
    broadcast only (p, no q), word of mouth only (q, with a tiny seed of broadcast) and both (p and q)."""
    t = np.linspace(0, years, 401)
    cases = [
        ("broadcast only", p, 0.0, BROADCAST, "-"),
        ("word of mouth only", SEED_P, q, WORD_OF_MOUTH, "--"),
        ("both", p, q, BOTH, "-."),
    ]
    fig, (left, right) = figure(1, 2, wide=True)
    labels = []
    for name, pp, qq, colour, ls in cases:
        share = 100 * bass_cumulative(t, pp, qq)
        rate = 100 * bass_adoption_rate(t, pp, qq)
        left.plot(t, share, color=colour, linestyle=ls)
        right.plot(t, rate, color=colour, linestyle=ls)
        labels.append((t[-1], share[-1], name, colour))
        pk = bass_peak(pp, qq)
        if pk.time > 0:
            right.plot([pk.time], [100 * pk.rate], marker="o", color=colour)
    left.set_xlabel("years since launch")
    left.set_ylabel("people who have adopted (%)")
    left.set_ylim(0, 105)
    left.set_xlim(0, years * 1.45)
    label_line_ends(left, labels)
    right.set_xlabel("years since launch")
    right.set_ylabel("people adopting each year (%)")
    right.set_ylim(bottom=0)
    right.set_xlim(0, years)
    by = {name: (pp, qq) for name, pp, qq, _, _ in cases}
    at = min(10, years)

    def after(name):
        return f"{100 * bass_cumulative(at, *by[name]):.0f} %"

    alt = (
        f"Two line charts over {years} years since launch. Left: the share of people who have adopted. "
        f"After {at} years, broadcast only (p = {p:g}, q = 0) has reached {after('broadcast only')}, word of "
        f"mouth only (q = {q:g}, with a seed of p = {SEED_P:g}) {after('word of mouth only')}, and both "
        f"together {after('both')}. Right: the share adopting each year. Broadcast only "
        f"{_peak_words(p, 0.0)} and then slows; word of mouth only {_peak_words(SEED_P, q)}; both together "
        f"{_peak_words(p, q)}."
    )
    return show(fig, alt) if display else render(fig, alt)


def fitted_adoption(fit: BassFit, what: str = "iPhones sold", unit: str = "million",
                    until: float | None = None, display: bool = True) -> Chart:
    """Bars of the adopters per period against the fitted Bass curve, with p, q, m and R² written on the
    chart, and the curve carried on (dashed) to ``until`` to show what the model expects next."""
    periods = fit.periods
    step = float(np.median(np.diff(periods)))
    until = periods[-1] + 6 * step if until is None else until
    fig, ax = figure()
    ax.bar(periods, fit.adopters, width=0.7 * step, color=style.OKABE_ITO["sky blue"], label="data")
    ahead = np.arange(periods[-1], until + step / 2, step)
    ends = np.concatenate([periods, ahead[1:]])
    edges = np.concatenate([[fit.start], ends])
    per_period = np.diff(fit.cumulative(edges))
    n_data = len(periods)
    ax.plot(ends[:n_data], per_period[:n_data], color=style.OKABE_ITO["black"], marker="o", markersize=4)
    ax.plot(ends[n_data - 1:], per_period[n_data - 1:], color=style.OKABE_ITO["black"], linestyle="--")
    ax.text(
        0.02, 0.97,
        f"p = {fit.p:.3f}  (broadcast)\nq = {fit.q:.2f}  (word of mouth)\n"
        f"m = {fit.m:,.0f} {unit}\nR² = {fit.r_squared:.2f}",
        transform=ax.transAxes, va="top", ha="left", fontsize=12, family="monospace",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#BBBBBB"},
    )
    ax.set_xlabel("year")
    ax.set_ylabel(f"{what} per year ({unit})")
    ax.set_xlim(periods[0] - step, until + 2.2 * step)
    counts_axis(ax, "x")  # years
    label_line_end(ax, ends[-1], per_period[-1], "model", style.OKABE_ITO["black"])
    peak = fit.peak
    alt = (
        f"Bar chart of {what} per year, {periods[0]:.0f} to {periods[-1]:.0f}, from "
        f"{fit.adopters[0]:,.2f} to {fit.adopters[-1]:,.2f} {unit} (highest {fit.adopters.max():,.2f} in "
        f"{periods[int(np.argmax(fit.adopters))]:.0f}), with the fitted Bass model as a line: p = {fit.p:.3f} "
        f"(broadcast), q = {fit.q:.2f} (word of mouth), market size m = {fit.m:,.0f} {unit}, R² = "
        f"{fit.r_squared:.2f}. The model peaks around {peak.time:.0f} at {peak.rate:,.0f} {unit} a year, and its "
        f"dashed continuation falls to {per_period[-1]:,.0f} {unit} a year by {ends[-1]:.0f}."
    )
    return show(fig, alt) if display else render(fig, alt)


def p_q_map(fit: BassFit | None = None, label: str = "iPhone", display: bool = True) -> Chart:
    """Published products placed by their p (broadcast, log scale) and q (word of mouth), with the
    meta-analysis average and, if given, a fitted product as a star."""
    table = load("bass_parameters.csv")
    products = table[table["category"] != "meta-analysis"]
    fig, ax = figure()
    ax.scatter(products["p"], products["q"], color=style.OKABE_ITO["sky blue"], edgecolors="black",
               linewidths=0.5, s=45, zorder=3)
    ax.axvline(META_ANALYSIS_P, color="#777777", linewidth=0.8, linestyle=":")
    ax.axhline(META_ANALYSIS_Q, color="#777777", linewidth=0.8, linestyle=":")
    ax.scatter([META_ANALYSIS_P], [META_ANALYSIS_Q], marker="D", s=70, color=style.OKABE_ITO["black"], zorder=4)
    placed = ""
    if fit is not None:
        ax.scatter([fit.p], [fit.q], marker="*", s=260, color=style.OKABE_ITO["vermillion"], edgecolors="black",
                   linewidths=0.6, zorder=5)
        placed = f" The {label}, fitted, is a star at p = {fit.p:.3f}, q = {fit.q:.2f}."
    ax.set_xscale("log")
    ax.set_xlabel("p, broadcast (per year, log scale)")
    ax.set_ylabel("q, word of mouth (per year)")
    ax.set_ylim(0, max(0.6, float(products["q"].max()) + 0.05, (fit.q + 0.08) if fit else 0))
    ax.text(0.99, 0.02, "more broadcast →", transform=ax.transAxes, ha="right", fontsize=9, color="#555555")
    ax.text(0.01, 0.98, "↑ more word of mouth", transform=ax.transAxes, va="top", fontsize=9, color="#555555")
    # the fitted star first, then the products, then the average (which has room below its line), each
    # where it overlaps nothing
    if fit is not None:
        label_points(ax, [(fit.p, fit.q, f"{label} (fitted)", style.OKABE_ITO["vermillion"])], fontsize=10, bold=True)
    label_points(ax, [(r["p"], r["q"], r["product"].lower(), "#444444") for _, r in products.iterrows()])
    label_points(ax, [(META_ANALYSIS_P, META_ANALYSIS_Q, "average of published studies", style.OKABE_ITO["black"])],
                 bold=True)
    listed = "; ".join(f"{r['product'].lower()} p = {r['p']:g}, q = {r['q']:g}" for _, r in products.iterrows())
    alt = (
        f"Scatter chart of published Bass coefficients, p (broadcast) on a log scale across and q (word of "
        f"mouth) up. Dotted lines cross at the average of published studies, p = {META_ANALYSIS_P}, q = "
        f"{META_ANALYSIS_Q}. Every product listed has less broadcast than that average, and most have a q near "
        f"or above it: word of mouth does most of the work. Products: {listed}.{placed}"
    )
    return show(fig, alt) if display else render(fig, alt)


def technology_adoption(display: bool = True) -> Chart:
    """The adoption series in technology_adoption_us.csv (Our World in Data), one line each."""
    table = load("technology_adoption_us.csv")
    fig, ax = figure()
    order = ["colour TV", "container ports", "internet", "social media", "smartphone"]
    colours = [style.PALETTE[i] for i in (0, 3, 1, 4, 2)]
    styles = ["-", "--", "-.", ":", (0, (5, 1))]
    words, labels = [], []
    for name, colour, ls in zip(order, colours, styles, strict=True):
        s = table[table["technology"] == name].sort_values("year")
        ax.plot(s["year"], s["percent"], color=colour, linestyle=ls)
        labels.append((s["year"].iloc[-1], s["percent"].iloc[-1], name, colour))
        words.append(
            f"{name} from {s['percent'].iloc[0]:g} % in {s['year'].iloc[0]} to {s['percent'].iloc[-1]:g} % in "
            f"{s['year'].iloc[-1]}"
        )
    ax.set_xlabel("year")
    ax.set_ylabel("adoption (%)")
    ax.set_ylim(0, 105)
    ax.set_xlim(1960, 2032)
    label_line_ends(ax, labels)
    measured = {
        name: table.loc[table["technology"] == name, "what_is_measured"].iloc[0] for name in order
    }
    alt = (
        "Line chart of five adoption series compiled by Our World in Data, each an S curve or part of one: "
        + "; ".join(words) + ". What each measures: "
        + "; ".join(f"{name}, {measured[name]}" for name in order) + "."
    )
    return show(fig, alt) if display else render(fig, alt)


def race(delay: float = 3, complements: float = 3, replacement: float = REPLACEMENT, years: int = 20,
         display: bool = True) -> Chart:
    """Line chart: the share of people using the first mover's product and the later entrant's, year by
    year, with the later entrant's launch and the moment it overtakes marked."""
    r = simulate_entry(delay, complements, replacement=replacement, years=years)
    fig, ax = figure()
    a, b = 100 * r.first, 100 * r.later
    ax.plot(r.years, a, color=FIRST_MOVER, linestyle="-")
    ax.plot(r.years, b, color=LATER_ENTRANT, linestyle="--")
    ax.axvline(r.delay, color="#777777", linewidth=0.8, linestyle=":")
    ax.text(r.delay + 0.2, 101, "later entrant launches", color="#555555", fontsize=9)
    when = r.overtakes_at
    if when is not None:
        _, share = r.share_at(when)
        ax.plot([when], [100 * share], marker="o", color="black", zorder=4)
        ax.annotate(f"overtakes in year {when:.1f}", (when, 100 * share), xytext=(8, -16),
                    textcoords="offset points", fontsize=10)
    ax.set_xlabel("years since the first mover launched")
    ax.set_ylabel("people using each product (%)")
    ax.set_ylim(0, 108)
    ax.set_xlim(0, years * 1.3)
    label_line_ends(ax, [(r.years[-1], a[-1], "first mover", FIRST_MOVER),
                         (r.years[-1], b[-1], "later entrant\nwith complements", LATER_ENTRANT)])
    every = "choose only once" if replacement == 0 else f"replace about {100 * replacement:.0f} % of products a year"
    verdict = ("never overtakes in these years" if when is None
               else f"overtakes the first mover {when:.1f} years after the first launch")
    alt = (
        f"Line chart over {years} years of the share of people using each of two products, where people "
        f"{every}. The first mover launches at year 0 with its product alone; the later entrant launches "
        f"{r.delay:g} years later with complements of strength {r.complements:g}. The later entrant {verdict}. "
        f"After {years} years the first mover has {a[-1]:.0f} % of people and the later entrant {b[-1]:.0f} %."
    )
    return show(fig, alt) if display else render(fig, alt)


def overtake_map(replacements=(0.0, REPLACEMENT), years: int = 20, display: bool = True) -> Chart:
    """Two heat maps side by side: how many years after the first launch the later entrant takes the lead,
    by its entry delay (across) and the strength of its complements (up). Grey: not within ``years``."""
    delays = np.arange(0, 10.01, 0.5)
    strengths = np.arange(0, 6.01, 0.25)
    fig, axes = figure(1, len(replacements), wide=True, sharey=True)
    axes = np.atleast_1d(axes)
    pieces = []
    image = None
    for ax, rep in zip(axes, replacements, strict=True):
        grid = overtake_years(delays, strengths, replacement=rep, years=years)
        ax.set_facecolor("#D9D9D9")
        image = ax.pcolormesh(delays, strengths, np.ma.masked_invalid(grid), cmap=style.SEQUENTIAL_CMAP,
                              vmin=0, vmax=years, shading="nearest")
        title = "people choose only once" if rep == 0 else f"people replace {100 * rep:.0f} % a year"
        ax.set_title(title, loc="left")
        ax.set_xlabel("entry delay of the later entrant (years)")
        row = int(np.argmin(np.abs(strengths - 3)))
        ok = delays[np.isfinite(grid[row])]
        latest = f"up to {ok.max():g} years late" if ok.size else "at no delay"
        pieces.append(
            f"{title}: with complements of strength 3 the later entrant takes the lead if it arrives {latest} "
            f"(for example at year {grid[row, 6]:.1f} when it arrives 3 years late)"
            if np.isfinite(grid[row, 6]) else
            f"{title}: with complements of strength 3 the later entrant takes the lead if it arrives {latest}"
        )
    axes[0].set_ylabel("strength of its complements")
    fig.colorbar(image, ax=list(axes), label=f"year the later entrant leads (grey: not within {years})", shrink=0.85)
    alt = (
        f"Two heat maps of the year in which a later entrant with complements takes the lead from a first "
        f"mover, by entry delay (0 to 10 years, across) and strength of complements (0 to 6, up); grey means "
        f"not within {years} years. With no complements it never leads in either map. "
        + "; ".join(pieces) + "."
    )
    return show(fig, alt) if display else render(fig, alt)


def explore_adoption():
    """Sliders over figure 1 (:func:`adoption_curves`): p (broadcast) and q (word of mouth)."""
    from ipywidgets import FloatSlider

    from syslead.charts.base import sliders

    return sliders(
        adoption_curves,
        fallback=(
            "Interactive version of figure 1: sliders change p (broadcast) and q (word of mouth). "
            "Sliders need a running notebook; figure 1 above shows the default settings, p = 0.03 and q = 0.38."
        ),
        p=FloatSlider(value=0.03, min=0.0, max=0.2, step=0.005, readout_format=".3f", description="p (broadcast)",
                      tooltip="p: the share of those not yet adopting who adopt each year because of broadcast"),
        q=FloatSlider(value=0.38, min=0.0, max=1.0, step=0.02, description="q (word of mouth)",
                      tooltip="q: how strongly those who have adopted bring others in, by word of mouth"),
    )


def all_parts_ready(chances=(0.9, 0.8), parts=(1, 3, 5)) -> str:
    """Co-innovation risk as arithmetic (our illustration of Adner's point, not his figures): if each
    partner's part is ready on time with the same chance, all of them are ready with that chance multiplied
    together. One sentence for each chance."""
    words = {1: "one part", 3: "three parts", 5: "five parts"}
    lines = ["If each partner's part is ready on time with the same chance, all of them are ready with that "
             "chance multiplied together (our illustration of Adner's point, not his figures)."]
    for chance in chances:
        together = ", ".join(f"{words.get(n, f'{n} parts')} {chance**n:.0%}" for n in parts)
        lines.append(f"Each part ready with a chance of {chance:.0%}: {together}.")
    return "\n".join(lines)


def fit_among_products(fit: BassFit) -> str:
    """Where a fitted product's p sits among the published products of figure 3, in one sentence."""
    products = load("bass_parameters.csv").query("category != 'meta-analysis'")
    below = int((products["p"] < fit.p).sum())
    return (
        f"Our fit: p = {fit.p:.3f}, q = {fit.q:.2f}. Of the {len(products)} products in figure 3, "
        f"{int((products['p'] < META_ANALYSIS_P).sum())} have a p below the published average of "
        f"{META_ANALYSIS_P:g}, and {below} have a p below the iPhone's. Their middle (median) p is "
        f"{products['p'].median():.3f}."
    )
