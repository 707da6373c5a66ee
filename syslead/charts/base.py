"""Chart helpers shared by every notebook: one style, alt text on every chart, sliders with a fallback.

Importing this module applies the course style (see :mod:`syslead.charts.style`).

- :func:`render` turns a matplotlib figure into a :class:`Chart`: an image *with alt text* (HTML
  ``<img alt=...>``), with the PNG and a plain-text description as fallbacks. Chart functions in the
  package return it; a notebook cell that ends with the call shows it once. :func:`show` displays one
  straight away (for use inside a cell or a slider's function).
- :func:`label_line_end` labels a line directly at its end, instead of a distant legend.
- :func:`sliders` puts ipywidgets sliders over a chart function. Wherever widgets do not render
  (nbgrader feedback, GitHub, a screen reader's text view) the output reads as a sentence that says
  what the sliders do and points to the static chart above them.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from syslead.charts import style

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


def label_line_end(ax, x, y, text: str, color: str, *, dx: float = 0.0, dy: float = 0.0) -> None:
    """Write ``text`` just right of the last point of a line, in the line's colour."""
    ax.annotate(
        text,
        xy=(x, y),
        xytext=(6 + dx, dy),
        textcoords="offset points",
        color=color,
        va="center",
        fontweight="bold",
    )


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


def sliders(draw: Callable[..., Chart | None], fallback: str, **controls) -> Sliders:
    """Sliders that redraw ``draw(**values)`` (a function returning a :class:`Chart`) when released.

    When nobody can move a slider, only the fallback sentence is shown: when nbgrader runs the notebook
    (validate, autograde: it sets ``NBGRADER_EXECUTION``) and in other headless runs that set
    ``SYSLEAD_NO_WIDGETS=1`` (the tests, the benchmarks). This also keeps them clear of an nbclient bug
    in which a cell that creates widgets can wait for the whole cell timeout (jupyter/nbclient#312).

    ``controls`` maps each argument of ``draw`` to an ipywidgets slider (or any widget with a value).
    ``fallback`` is the sentence shown where widgets don't render; say what the sliders change and that
    the chart above shows the default settings.
    """
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("SYSLEAD_NO_WIDGETS"):
        return Sliders(None, fallback)

    import ipywidgets as widgets

    for name, control in controls.items():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False  # redraw when the slider is released, not on every pixel
        control.style = {"description_width": "initial"}
        if not getattr(control, "description", ""):
            control.description = name.replace("_", " ")
    def redraw(**values):
        chart = draw(**values)
        if chart is not None:
            show(chart)

    output = widgets.interactive_output(redraw, controls)
    box = widgets.VBox([widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"}), output])
    return Sliders(box, fallback)
