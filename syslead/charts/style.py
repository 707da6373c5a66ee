"""The course's chart style, set in one place.

Cells never call ``plt.style.use`` or set ``figsize``: ``syslead.charts.base`` applies this style when it is
imported. Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
distinguishable under the common colour-vision deficiencies; we also vary line style so that charts
survive greyscale printing.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

#: Okabe-Ito colours, by name. Source: https://jfly.uni-koeln.de/color/ (Okabe & Ito 2008).
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}

#: The order in which series take colours. Yellow is left out: it is too light on white for lines.
PALETTE = [
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["black"],
]

#: Line styles paired with the palette, so that series differ without colour too.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1))]

#: What each kind of structure is drawn in, everywhere in the course.
HIERARCHY = OKABE_ITO["vermillion"]
NETWORK = OKABE_ITO["blue"]
RANDOM_NETWORK = OKABE_ITO["bluish green"]

#: A sequential colour map that is perceptually uniform and colour-blind safe.
SEQUENTIAL_CMAP = "cividis"

RC = {
    "figure.figsize": (7.5, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "lines.linewidth": 2.2,
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=PALETTE) + cycler(linestyle=LINESTYLES),
}


def apply() -> None:
    """Apply the course style to matplotlib (idempotent)."""
    mpl.rcParams.update(RC)
