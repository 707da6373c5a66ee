"""Charts: matplotlib and ipywidgets, with the course style set once (:mod:`syslead.charts.style`).

:mod:`syslead.charts.base` holds what every chart shares (a figure in the course style, alt text on
every chart, sliders with a fallback sentence); one module per reading's models draws its charts
(:mod:`~syslead.charts.spread`, :mod:`~syslead.charts.diffusion`, :mod:`~syslead.charts.capacity`,
:mod:`~syslead.charts.emergence`). Charts use :mod:`syslead.models`; nothing here grades or tutors.
"""

from syslead.charts.base import (
    Chart,
    Sliders,
    counts_axis,
    describe_share,
    figure,
    label_line_end,
    label_line_ends,
    render,
    show,
    sliders,
)

__all__ = ["Chart", "Sliders", "counts_axis", "describe_share", "figure", "label_line_end", "label_line_ends", "render", "show",
           "sliders"]
