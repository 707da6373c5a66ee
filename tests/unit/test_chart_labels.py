"""Every course chart: no two text labels overlap, and no label or plotted point sits under a legend.

Each chart the notebooks draw (at its default settings, and at the ends of its sliders) is drawn here, and
every piece of text on it (titles, axis labels, tick labels, labels on lines and points, the capstone's
boxes) is measured on the page with matplotlib's ``Text.get_window_extent``. Two labels whose boxes
overlap fail the test, and so does a label or a point of a line under a legend.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Annotation, Text

from syslead.charts import base

#: Boxes may touch: an overlap of less than this many pixels each way is not a collision.
SLACK = 1.0


def _label_boxes(fig: Figure, renderer) -> list[tuple[str, object]]:
    """Every visible, non-empty text on the figure outside legends, with its box on the page (a text
    drawn in a box, like the capstone's actors, takes its box's size)."""
    legend_texts = {id(t) for legend in fig.findobj(Legend) for t in legend.findobj(Text)}
    boxes = []
    for text in fig.findobj(Text):
        if id(text) in legend_texts or not text.get_visible() or not text.get_text().strip():
            continue
        if isinstance(text, Annotation) and not text._check_xy(renderer):
            continue  # an annotation whose point is outside the axes is not drawn
        box = text.get_window_extent(renderer)
        patch = text.get_bbox_patch()
        if patch is not None:
            box = patch.get_window_extent(renderer)
        boxes.append((text.get_text(), box))
    return boxes


def _markers(ax) -> list[tuple[str, object]]:
    """Every marker drawn on the axes, as (what, box on the page), at the size it is drawn."""
    import numpy as np
    from matplotlib.transforms import Bbox

    pixels = ax.figure.dpi / 72.0
    found = []
    for collection in ax.collections:
        sizes = collection.get_sizes() if hasattr(collection, "get_sizes") else []
        offsets = collection.get_offsets()
        if not len(sizes) or not len(offsets) or collection.get_offset_transform() != ax.transData:
            continue
        for i, (x, y) in enumerate(ax.transData.transform(offsets)):
            side = sizes[i % len(sizes)] ** 0.5 * pixels
            found.append(("a point", Bbox.from_bounds(x - side / 2, y - side / 2, side, side)))
    for line in ax.get_lines():
        if line.get_marker() in (None, "", " ", "None", "none") or not line.get_visible():
            continue
        side = line.get_markersize() * pixels
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        for x, y in ax.transData.transform(xy):
            found.append(("a marker", Bbox.from_bounds(x - side / 2, y - side / 2, side, side)))
    return found


def _arrows_through_boxes(fig: Figure, renderer) -> list[str]:
    """Arrows that pass through a boxed label other than the two they join (the capstone's drawing)."""
    from matplotlib.path import Path

    boxed = [t for t in fig.findobj(Text) if t.get_bbox_patch() is not None and t.get_text().strip()]
    found = []
    for note in fig.findobj(Annotation):
        arrow = note.arrow_patch
        if arrow is None:
            continue
        path = arrow.get_transform().transform_path(arrow.get_path())
        pieces = [Path(p) for p in path.to_polygons(closed_only=False)]
        for text in boxed:
            if text.get_bbox_patch() in (arrow.patchA, arrow.patchB):
                continue
            box = text.get_bbox_patch().get_window_extent(renderer)
            if any(piece.intersects_bbox(box, filled=False) for piece in pieces):
                found.append(f"an arrow passes through {text.get_text()!r}")
    return found


def _overlap(a, b) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > SLACK) and (min(a.y1, b.y1) - max(a.y0, b.y0) > SLACK)


def collisions(fig: Figure) -> list[str]:
    """What overlaps on a drawn figure, one line each (empty when nothing does)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = _label_boxes(fig, renderer)
    found = [f"{a!r} overlaps {b!r}" for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
             if _overlap(box_a, box_b)]
    for ax in fig.axes:  # labels on the axes against the markers on them (a star, a point on a line)
        inside = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
                  if t.get_visible() and t.get_text().strip() and t.get_bbox_patch() is None]
        for what, box in _markers(ax):
            found += [f"{a!r} is over {what}" for a, text_box in inside if _overlap(text_box, box)]
    found += _arrows_through_boxes(fig, renderer)
    for legend in fig.findobj(Legend):
        if not legend.get_visible():
            continue
        frame = legend.get_window_extent(renderer)
        found += [f"{a!r} is under the legend" for a, box in boxes if _overlap(box, frame)]
        axes = legend.axes
        if axes is None:
            continue
        for line in axes.get_lines():
            if not line.get_visible() or line.get_label().startswith("_child") and not len(line.get_xdata()):
                continue
            points = axes.transData.transform(list(zip(line.get_xdata(), line.get_ydata(), strict=True)))
            if any(frame.x0 < x < frame.x1 and frame.y0 < y < frame.y1 for x, y in points):
                found.append(f"the legend covers the line {line.get_label()!r}")
    return found


@pytest.fixture
def drawn(monkeypatch):
    """Collect every figure a chart function renders, checked just before it is saved and closed."""
    seen: list[list[str]] = []
    render = base.render

    def checking_render(fig, alt, data=None):
        seen.append(collisions(fig))
        return render(fig, alt, data)

    monkeypatch.setattr(base, "render", checking_render)
    monkeypatch.setattr(base, "show", lambda chart_or_fig, alt=None: (
        checking_render(chart_or_fig, alt) if isinstance(chart_or_fig, Figure) else chart_or_fig))
    for name in ("spread", "contagion", "diffusion"):
        module = __import__(f"syslead.charts.{name}", fromlist=["render"])
        for attr in ("render", "show"):
            if hasattr(module, attr):
                monkeypatch.setattr(module, attr, getattr(base, attr))
    yield seen
    plt.close("all")


def _charts():
    from syslead.charts import capacity, contagion, diffusion, emergence, spread
    from syslead.learner import capstone
    from syslead.models.datasets import load
    from syslead.models.diffusion import fit_bass

    def fitted():
        iphone = load("iphone_units.csv")
        return fit_bass(iphone["fiscal_year"], iphone["units_millions"])

    small = {"people": 2000, "networks": 1, "starts": 4}  # the cascade window on smaller networks: same labels
    cases = {
        # reading 1
        "r1 fig 1 picture": lambda: spread.picture(n=40, span=3, contacts=4, absent=0),
        "r1 fig 2 picture, 3 absent": lambda: spread.picture(n=40, span=3, contacts=4, absent=3),
        "r1 fig 3 reach over time": lambda: spread.reach_over_time(n=1000, span=5, contacts=8, pass_on=0.5),
        "r1 fig 3 slider: few people, certain": lambda: spread.reach_over_time(n=100, span=12, contacts=2,
                                                                               pass_on=1.0, absent=0.3),
        "r1 fig 4 absence": lambda: spread.reach_with_absence(n=1000, span=5, contacts=8),
        "r1 time to 90 %": lambda: spread.time_to_90_by_size(),
        "r1 fig 5 practice": lambda: contagion.practice_spread(needed=2),
        "r1 fig 5 slider: 1 needed": lambda: contagion.practice_spread(needed=1),
        "r1 fig 5 slider: 4 needed": lambda: contagion.practice_spread(needed=4),
        # reading 2
        "r2 fig 1 adoption": lambda: diffusion.adoption_curves(p=0.03, q=0.38, display=False),
        "r2 fig 1 slider: no word of mouth": lambda: diffusion.adoption_curves(p=0.2, q=0.0, display=False),
        "r2 fig 1 slider: no broadcast": lambda: diffusion.adoption_curves(p=0.0, q=1.0, display=False),
        "r2 fig 2 iPhone fit": lambda: diffusion.fitted_adoption(fitted(), display=False),
        "r2 fig 3 p and q": lambda: diffusion.p_q_map(fitted(), display=False),
        "r2 technology adoption": lambda: diffusion.technology_adoption(display=False),
        "r2 fig 4 race": lambda: diffusion.race(delay=3, complements=3, replacement=0.3, display=False),
        "r2 fig 5 overtake map": lambda: diffusion.overtake_map(display=False),
        # reading 3
        "r3 fig 1 time in system": lambda: capacity.time_in_system_chart(teams=(1, 3, 10), display=False),
        "r3 fig 2 hero or host": lambda: capacity.hero_or_host_chart(demand=4.5, capacity=5, people=5,
                                                                     display=False),
        "r3 fig 2 slider: demand 12": lambda: capacity.hero_or_host_chart(demand=12, people=2, display=False),
        "r3 fig 2 slider: demand 0.5": lambda: capacity.hero_or_host_chart(demand=0.5, people=10, display=False),
        "r3 fig 2 slider: demand 6": lambda: capacity.hero_or_host_chart(demand=6, people=5, display=False),
        "r3 fig 3 Granovetter": lambda: emergence.granovetter_chart(display=False),
        "r3 fig 4 cascade window": lambda: emergence.cascade_window_chart(phi=0.18, display=False),
        "r3 fig 4 slider: phi 0.05": lambda: emergence.cascade_window_chart(phi=0.05, display=False, **small),
        "r3 fig 4 slider: phi 0.1": lambda: emergence.cascade_window_chart(phi=0.1, display=False, **small),
        "r3 fig 4 slider: phi 0.4": lambda: emergence.cascade_window_chart(phi=0.4, display=False, **small),
        "r3 fig 5 life cycle": lambda: emergence.life_cycle_chart(stage=2, display=False),
        "r3 life cycle, stage 0": lambda: emergence.life_cycle_chart(stage=0, display=False),
        "r3 life cycle, stage 3": lambda: emergence.life_cycle_chart(stage=3, display=False),
        "r3 fig 6 backlog": lambda: capacity.backlog_chart(start=3, end=8, weeks=52, capacity=5, people=5,
                                                           display=False),
        # the capstone
        "capstone example drawing": lambda: capstone.draw_system(capstone.example_system(), "the example"),
        "capstone template lines": lambda: capstone.draw_system(capstone.system_table(TEMPLATE)),
        "capstone model answer": lambda: capstone.draw_system(capstone.system_table(MODEL_ANSWER)),
        "capstone, a line that skips a level": lambda: capstone.draw_system(capstone.system_table(SKIPS_A_LEVEL)),
        "capstone, no hierarchy yet": lambda: capstone.draw_system(capstone.system_table(NO_HIERARCHY)),
    }
    return cases


#: Capstone tables: the two lines the learner's answer cell suggests, the model answer and one with no
#: hierarchical link (drawn around a circle).
TEMPLATE = """
Director of children's services | Head of early help | priorities and budget | hierarchical
Health visitor | Family support team | worries about a family | viral
"""
MODEL_ANSWER = """
Director of adult social care | Hospital discharge lead | targets and funding | hierarchical
Hospital chief operating officer | Hospital discharge lead | bed pressures each morning | hierarchical
Hospital discharge lead | Ward discharge coordinators | the daily discharge list | hierarchical
Hospital discharge lead | Me (reablement team manager) | referrals for reablement | hierarchical
Me (reablement team manager) | Reablement workers | rotas and priorities | hierarchical
Ward discharge coordinators | Reablement workers | tips about who is nearly ready to go home | viral
Reablement workers | Care home managers | news about spare places | viral
Care home managers | Voluntary sector link worker | families' worries about going home | viral
Voluntary sector link worker | Ward discharge coordinators | who in the community can help at home | viral
"""
SKIPS_A_LEVEL = """
Director of children's services | Head of early help | priorities and budget | hierarchical
Head of early help | Family support team | cases | hierarchical
Director of children's services | Family support team | a direct instruction | hierarchical
Health visitor | Family support team | worries about a family | viral
"""
NO_HIERARCHY = """
Head of early help | Health visitor | worries | viral
Health visitor | School nurse | referrals | viral
School nurse | Parents' group | news | viral
Parents' group | Head of early help | ideas | viral
Family support team | Head of early help | cases | viral
Family support team | School nurse | cases |
"""

CHARTS = _charts()


@pytest.mark.parametrize("name", list(CHARTS))
def test_no_two_labels_of_a_course_chart_overlap(name, drawn):
    CHARTS[name]()
    assert drawn, f"{name}: no chart was drawn"
    problems = [p for chart in drawn for p in chart]
    assert not problems, f"{name}: " + "; ".join(problems)


def test_the_overlap_check_sees_two_labels_on_top_of_each_other():
    fig, ax = base.figure()
    ax.text(0.5, 0.5, "backlog grows without limit")
    ax.text(0.52, 0.5, "hero decides alone")
    assert any("overlaps" in p for p in collisions(fig))
    plt.close(fig)


def test_the_overlap_check_sees_a_label_and_a_line_under_a_legend():
    fig, ax = base.figure()
    ax.plot([0, 1], [1, 1], label="everyone joins")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper right")
    ax.text(0.97, 0.99, "a label in the corner", ha="right", va="top", transform=ax.transAxes)
    problems = collisions(fig)
    assert any("under the legend" in p for p in problems)
    assert any("covers the line" in p for p in problems)
    plt.close(fig)


@pytest.mark.parametrize("absent", [0, 3])
def test_reading_one_colour_bar_counts_whole_steps(absent, monkeypatch):
    from syslead.charts import spread

    figures = []
    monkeypatch.setattr(spread, "render", lambda fig, alt, data=None: figures.append(fig) or base.render(fig, alt))
    spread.picture(n=40, span=3, contacts=4, absent=absent)
    fig = figures[0]
    fig.canvas.draw()
    bar = fig.axes[-1]  # the colour bar
    ticks = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert ticks and all(t.lstrip("−-").isdigit() for t in ticks), f"colour bar ticks: {ticks}"
    lo, hi = bar.get_ylim()
    assert ticks == [str(step) for step in range(round(lo + 0.5), round(hi - 0.5) + 1)]
