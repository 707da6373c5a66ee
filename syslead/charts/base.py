"""Chart helpers shared by every notebook: one style, alt text on every chart, sliders with a fallback.

Importing this module applies the course style (see :mod:`syslead.charts.style`).

- :func:`render` turns a matplotlib figure into a :class:`Chart`: an image *with alt text* (HTML
  ``<img alt=...>``), with the PNG and a plain-text description as fallbacks. Chart functions in the
  package return it; a notebook cell that ends with the call shows it once. :func:`show` displays one
  straight away (for use inside a cell or a slider's function).
- :func:`label_line_ends` labels lines directly at their ends, instead of a distant legend, and keeps the
  labels apart; :func:`counts_axis` gives an axis that counts things whole-number ticks only.
- :func:`sliders` puts ipywidgets sliders over a chart function. Wherever widgets do not render
  (nbgrader feedback, GitHub, a screen reader's text view) the output reads as a sentence that says
  what the sliders do and points to the static chart above them.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from syslead.charts import style
from syslead.errors import CourseError

style.apply()


@dataclass(frozen=True, eq=False)
class Chart:
    """A rendered chart: PNG bytes, the alt text that says what it shows, and (optionally) the table
    of figures it was drawn from, for learners who want the numbers."""

    png: bytes
    alt: str
    data: object = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = base64.b64encode(self.png).decode("ascii")
        alt = html.escape(self.alt, quote=True)
        return {
            "text/html": (
                f'<figure class="syslead-chart" style="margin:0">'
                f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%"/></figure>'
            ),
            "image/png": data,
            "text/plain": f"[Chart] {self.alt}",
        }

    def __repr__(self) -> str:
        return f"[Chart] {self.alt}"


def figure(nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, object]:
    """A new figure in the course style (size comes from the style; pass ``wide=True`` for two panels)."""
    wide = kwargs.pop("wide", False)
    if wide:
        w, h = style.RC["figure.figsize"]
        kwargs.setdefault("figsize", (w * 1.35, h))
    return plt.subplots(nrows, ncols, **kwargs)


def render(fig: Figure, alt: str, data: object = None) -> Chart:
    """Render a figure to a :class:`Chart` (not displayed yet) and close the figure."""
    if not alt or not alt.strip():
        raise ValueError("Every chart needs alt text that says what it shows.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return Chart(png=buffer.getvalue(), alt=alt.strip(), data=data)


def show(chart_or_fig: Chart | Figure, alt: str | None = None) -> None:
    """Display a :class:`Chart` (or a figure with its alt text) now, once."""
    chart = chart_or_fig if isinstance(chart_or_fig, Chart) else render(chart_or_fig, alt or "")
    from IPython.display import display

    display(chart)


#: Points between two end labels, and the size of their text (the style's font size).
LABEL_GAP = 2.0


def label_line_ends(ax, ends) -> None:
    """Label several lines directly at their ends, each in its line's colour, with no two labels
    overlapping: labels that would touch are moved apart vertically (and kept inside the axes).

    ``ends`` is a list of ``(x, y, text, colour)``. Call it after the axes' limits are set (the spacing is
    worked out in points on the page). This is the one place where the course's charts place end labels."""
    ends = [e for e in ends if e is not None]
    if not ends:
        return
    fontsize = float(mpl.rcParams["font.size"])
    to_points = 72.0 / ax.figure.dpi
    items = []
    for x, y, text, colour in ends:
        px, py = ax.transData.transform((float(x), float(y)))
        height = fontsize * 1.25 * (str(text).count("\n") + 1)
        items.append({"x": x, "y": y, "text": text, "colour": colour, "at": py * to_points, "h": height})
    order = sorted(range(len(items)), key=lambda i: items[i]["at"])
    placed = {i: items[i]["at"] for i in order}
    # bottom up: each label starts at least half its height plus the gap above the one below it
    for below, above in zip(order, order[1:], strict=False):
        low = placed[below] + (items[below]["h"] + items[above]["h"]) / 2 + LABEL_GAP
        placed[above] = max(placed[above], low)
    # then, if the top one left the axes, top down
    _, top = ax.transAxes.transform((0, 1))
    top = top * to_points - items[order[-1]]["h"] / 2
    if placed[order[-1]] > top:
        placed[order[-1]] = top
        for above, below in zip(order[::-1], order[-2::-1], strict=False):
            high = placed[above] - (items[below]["h"] + items[above]["h"]) / 2 - LABEL_GAP
            placed[below] = min(placed[below], high)
    for i, item in enumerate(items):
        ax.annotate(
            item["text"],
            xy=(item["x"], item["y"]),
            xytext=(6, placed[i] - item["at"]),
            textcoords="offset points",
            color=item["colour"],
            va="center",
            fontweight="bold",
        )


def label_line_end(ax, x, y, text: str, color: str) -> None:
    """Label one line at its end (several lines: :func:`label_line_ends`, which keeps them apart)."""
    label_line_ends(ax, [(x, y, text, color)])


#: Where a point's label may go, in order of preference: (dx, dy) in points, and its alignment.
_AROUND = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"), (-5, -3, "right", "top"),
           (0, 7, "center", "bottom"), (0, -7, "center", "top"), (8, 0, "left", "center"), (-8, 0, "right", "center")]
_AROUND += [(k * dx, k * dy + (6 * k if dy > 0 else -6 * k if dy < 0 else 0), ha, va)
            for k in (2, 4) for dx, dy, ha, va in _AROUND[:8]]


def _marker_boxes(ax) -> list[Bbox]:
    """The box on the page of every marker on the axes: scatter points and the markers of plotted lines,
    each as large as it is drawn (a big star takes more room than a small dot)."""
    to_pixels = ax.figure.dpi / 72.0
    boxes = []
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if not len(offsets):
            continue
        sizes = collection.get_sizes() if hasattr(collection, "get_sizes") else []
        for i, (px, py) in enumerate(ax.transData.transform(offsets)):
            side = max(10.0, (sizes[i % len(sizes)] ** 0.5) * to_pixels) if len(sizes) else 10.0
            boxes.append(Bbox.from_bounds(px - side / 2, py - side / 2, side, side))
    for line in ax.get_lines():
        if line.get_marker() in (None, "", " ", "None", "none") or not line.get_visible():
            continue
        side = max(10.0, line.get_markersize() * to_pixels)
        points = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        for px, py in ax.transData.transform(points):
            boxes.append(Bbox.from_bounds(px - side / 2, py - side / 2, side, side))
    return boxes


def label_points(ax, points, *, fontsize: float = 9, bold: bool = False) -> None:
    """Label points of a scatter chart, each where its label overlaps no other label and no point and
    stays inside the axes (the first free place of eight around the point; the least crowded otherwise).

    ``points`` is a list of ``(x, y, text, colour)``; labels already on the axes are kept clear of."""
    fig = ax.figure
    fig.canvas.draw()  # lay the figure out, so that text sizes on the page are known
    fig.set_layout_engine("none")  # and keep that layout, so that the labels stay where they were placed
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [t.get_window_extent(renderer).padded(2) for t in ax.texts if t.get_visible()]
    taken += _marker_boxes(ax)
    for x, y, text, colour in points:
        best, best_cost = None, None  # cost: labels and points overlapped, and 5 for leaving the axes
        for dx, dy, ha, va in _AROUND:
            label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                                fontsize=fontsize, color=colour, fontweight="bold" if bold else "normal")
            box = label.get_window_extent(renderer)
            cost = sum(box.overlaps(other) for other in taken) + (0 if frame.contains(box.x0, box.y0)
                                                                   and frame.contains(box.x1, box.y1) else 5)
            if best_cost is None or cost < best_cost:
                if best is not None:
                    best.remove()
                best, best_cost = label, cost
            else:
                label.remove()
            if cost == 0:
                break
        taken.append(best.get_window_extent(renderer).padded(2))


def counts_axis(ax, which: str = "y") -> None:
    """Mark an axis that counts things (people, steps, rounds, weeks) with whole numbers only: no 2.5
    steps, whatever range the data or a slider gives it."""
    for name in which:
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(integer=True))


def describe_share(x: float) -> str:
    """A share as words for alt text: 0.934 -> '93 %'."""
    return f"{100 * x:.0f} %"


class Sliders:
    """Sliders over a chart, with a plain-text fallback where widgets cannot render."""

    def __init__(self, box, fallback: str):
        self.box = box
        self.fallback = fallback

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.box is None:
            return {"text/plain": self.fallback}
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["text/plain"] = self.fallback
        return bundle

    def __repr__(self) -> str:
        return self.fallback


#: Widest a slider is drawn: wide enough for a usable track beside its short description, narrow enough
#: to read on a laptop. Its description keeps the width it needs, and the track takes the rest.
SLIDER_WIDTH = "34rem"

#: What a slider says when the notebook behind it has restarted and its chart can no longer redraw.
RESTART_NOTE = ("These sliders stopped redrawing because the notebook restarted: choose Run, then Run All Cells, "
                "and move them again.")


def sliders(draw: Callable[..., Chart | None], fallback: str, **controls) -> Sliders:
    """Sliders that redraw ``draw(**values)`` (a function returning a :class:`Chart`) when released.

    When nobody can move a slider, only the fallback sentence is shown: when nbgrader runs the notebook
    (validate, autograde: it sets ``NBGRADER_EXECUTION``) and in other headless runs that set
    ``SYSLEAD_NO_WIDGETS=1`` (the tests, the benchmarks). This also keeps them clear of an nbclient bug
    in which a cell that creates widgets can wait for the whole cell timeout (jupyter/nbclient#312).

    ``controls`` maps each argument of ``draw`` to an ipywidgets slider (or any widget with a value).
    Give each a short ``description`` (its accessible name, beside the track) and, for more words, a
    ``tooltip``. The sliders are stacked, each up to :data:`SLIDER_WIDTH` wide, so every track stays
    usable on a narrow screen. ``fallback`` is the sentence shown where widgets don't render; say what the
    sliders change and that the chart above shows the default settings. A setting the chart can't draw
    shows its one-sentence reason under the sliders, never a traceback; after a restart, the page says
    which command brings the sliders back (:data:`RESTART_NOTE`).
    """
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("SYSLEAD_NO_WIDGETS"):
        return Sliders(None, fallback)

    import ipywidgets as widgets

    for name, control in controls.items():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False  # redraw when the slider is released, not on every pixel
        control.style = {"description_width": "initial"}
        control.layout = widgets.Layout(width="100%", max_width=SLIDER_WIDTH)
        if not getattr(control, "description", ""):
            control.description = name.replace("_", " ")
        if not getattr(control, "tooltip", None):
            control.tooltip = control.description

    def redraw(**values):
        try:
            chart = draw(**values)
        except (ValueError, CourseError) as problem:  # a setting the model refuses: its plain sentence
            print(f"This setting can't be drawn: {problem}")
            return
        if chart is not None:
            show(chart)

    output = widgets.interactive_output(redraw, controls)
    box = widgets.VBox([*controls.values(), output])
    box.add_class("syslead-sliders")
    name_slider_handles()
    return Sliders(box, fallback)


#: ipywidgets 8 draws a slider's handle as an element with role "slider" and no name, so a screen reader
#: says only "slider"; the description beside it is a separate label. This names each handle after its
#: slider's description (and the readout after it too), for every slider on the page, now and as sliders
#: are drawn again. After a kernel restart, ipywidgets marks every widget on the page "disconnected" (the
#: sliders still move, but nothing in the kernel redraws the chart): above each such set of sliders it
#: then puts :data:`RESTART_NOTE`, and takes it away once they are drawn again. JupyterLab runs it as a
#: trusted output of the cell; it changes nothing else on the page.
NAME_HANDLES_JS = """
(function () {
  if (window.sysleadSliderNames) { window.sysleadSliderNames(); return; }
  const name = () => {
    for (const slider of document.querySelectorAll('.widget-slider')) {
      const label = slider.querySelector('.widget-label');
      const text = label ? label.textContent.trim() : '';
      if (!text) continue;
      for (const handle of slider.querySelectorAll('.noUi-handle:not([aria-label])')) {
        handle.setAttribute('aria-label', text);
      }
      const readout = slider.querySelector('.widget-readout:not([aria-label])');
      if (readout) { readout.setAttribute('aria-label', text + ': value'); }
    }
    // after a restart ipywidgets marks the sliders "disconnected": say what to run, above them
    for (const box of document.querySelectorAll('.syslead-sliders.jupyter-widgets-disconnected')) {
      const before = box.previousElementSibling;
      if (before && before.classList.contains('syslead-restart-note')) continue;
      const note = document.createElement('p');
      note.className = 'syslead-restart-note';
      note.setAttribute('role', 'status');
      note.style.fontWeight = 'bold';
      note.textContent = RESTART_NOTE;
      box.before(note);
    }
    for (const note of document.querySelectorAll('.syslead-restart-note')) {
      const box = note.nextElementSibling;
      if (!box || !box.classList.contains('jupyter-widgets-disconnected')) note.remove();
    }
  };
  let queued = false;
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; name(); }); } };
  window.sysleadSliderNames = name;
  new MutationObserver(soon).observe(document.body, {childList: true, subtree: true, attributes: true,
                                                     attributeFilter: ['class']});
  name();
})();
"""


def name_slider_handles() -> None:
    """Give the slider handles on the page accessible names (see :data:`NAME_HANDLES_JS`)."""
    from IPython.display import Javascript, display

    display(Javascript(NAME_HANDLES_JS.replace("RESTART_NOTE", json.dumps(RESTART_NOTE))))
