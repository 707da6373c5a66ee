"""Models, charts and checks for the systems leadership course.

The notebooks stay thin: each cell calls a few functions from here and says why.

Reading 1, systems leadership (hierarchical versus viral):
- ``syslead.models.spread``: networks (hierarchy, small world, random) and how a message spreads through them;
- ``syslead.charts.spread``: the reading's charts.

Reading 2, the systems innovator:
- ``syslead.models.diffusion``: the Bass diffusion model and fitting it to adoption data;
- ``syslead.models.competition``: a first mover against a later entrant that brings a system with it;
- ``syslead.charts.diffusion``: the reading's charts.

Reading 3, from hero to host:
- ``syslead.models.capacity``: queues (M/M/1, M/M/c) and a week-by-week backlog, with their charts;
- ``syslead.models.emergence``: threshold models, cascades on networks and the life cycle of emergence.

Shared:
- ``syslead.charts.base`` and ``syslead.charts.style``: one chart style, alt text on every chart, sliders with a
  text fallback;
- ``syslead.learner.checks``: the quick questions' checks (one sentence per mistake; no answers shipped),
  graded from plain values by ``syslead.grading.answers``;
- ``syslead.learner.reflection``: formative feedback on a reflection (Gibbs' stages);
- ``syslead.models.datasets``: the small data files, wherever the course runs;
- ``syslead.cli``: the ``syslead`` command.
"""

__version__ = "0.1.0"
