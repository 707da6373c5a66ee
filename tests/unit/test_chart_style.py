"""The chart style's rules, checked on the drawn figures: no two labels overlap, and axes that count
things carry whole-number ticks only, whatever the sliders ask for."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Annotation

from syslead.charts import base, capacity, contagion, diffusion, emergence, spread
from syslead.models.datasets import load
from syslead.models.diffusion import fit_bass


@pytest.fixture
def drawn(monkeypatch):
    """Each chart's figure, kept open and laid out, instead of rendered to a PNG and closed."""
    figures = []

    def keep(fig, alt, data=None):
        fig.canvas.draw()
        figures.append(fig)
        return base.Chart(png=b"", alt=alt, data=data)

    for module in (base, capacity, contagion, diffusion, emergence, spread):
        if hasattr(module, "render"):
            monkeypatch.setattr(module, "render", keep)
    monkeypatch.setattr(base, "show", lambda fig, alt=None: keep(fig, alt))
    monkeypatch.setattr(diffusion, "show", lambda fig, alt=None: keep(fig, alt))
    yield figures
    plt.close("all")


def overlapping_labels(fig) -> list[tuple[str, str]]:
    renderer = fig.canvas.get_renderer()
    pairs = []
    for ax in fig.axes:
        labels = [t for t in ax.texts if isinstance(t, Annotation) and t.get_text().strip()]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
        pairs += [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)]
    return pairs


def iphone_fit():
    table = load("iphone_units.csv")
    return fit_bass(table["fiscal_year"], table["units_millions"])


CHARTS = {
    "race, no complements": lambda: diffusion.race(delay=3, complements=0, display=False),
    "race, defaults": lambda: diffusion.race(display=False),
    "race, late and weak": lambda: diffusion.race(delay=8, complements=0.5, replacement=0, display=False),
    "adoption curves": lambda: diffusion.adoption_curves(display=False),
    "technology adoption": lambda: diffusion.technology_adoption(display=False),
    "p-q map (figure 4 of reading 2)": lambda: diffusion.p_q_map(iphone_fit(), display=False),
    "reach over time, even race": lambda: spread.reach_over_time(n=100, span=12, contacts=16, pass_on=1.0),
    "reach with absence": lambda: spread.reach_with_absence(n=300, span=5, contacts=8),
    "time in system": lambda: capacity.time_in_system_chart(display=False),
    "practice spread (complex contagion)": lambda: contagion.practice_spread(needed=2),
}


@pytest.mark.parametrize("name", CHARTS)
def test_no_two_labels_overlap(drawn, name):
    CHARTS[name]()
    assert drawn, "the chart drew no figure"
    assert overlapping_labels(drawn[-1]) == [], f"{name}: labels overlap"


def test_label_line_ends_spreads_labels_that_would_touch():
    fig, ax = base.figure()
    ax.set_ylim(0, 100)
    ax.set_xlim(0, 10)
    base.label_line_ends(ax, [(9, 50, "one", "black"), (9, 50.5, "two\nlines", "black"), (9, 99.9, "top", "black")])
    fig.canvas.draw()
    assert overlapping_labels(fig) == []
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(t.get_window_extent().y1 <= frame.y1 + 1 for t in ax.texts), "a label left the top of the axes"
    plt.close(fig)


@pytest.mark.parametrize("pass_on", [1.0, 0.9])
def test_step_counts_have_whole_number_ticks_when_a_slider_redraws_them(drawn, pass_on):
    # a slider's small organisation: only two or three steps, where matplotlib would mark 0.5, 1.5, 2.5
    spread.reach_over_time(n=100, span=12, contacts=16, pass_on=pass_on)
    ticks = drawn[-1].axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks), f"fractional ticks on a count of steps: {list(ticks)}"


def test_counts_axis_gives_whole_numbers_on_any_range():
    fig, ax = base.figure()
    ax.plot([0, 3], [0, 2])
    base.counts_axis(ax, "xy")
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in [*ax.get_xticks(), *ax.get_yticks()])
    plt.close(fig)
