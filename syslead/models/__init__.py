"""The course's models: numbers only (numpy and pandas), no plotting, no widgets, no grading.

- :mod:`~syslead.models.spread`: networks (hierarchy, small world, random) and how a message spreads;
- :mod:`~syslead.models.diffusion`: the Bass diffusion model and fitting it to adoption data;
- :mod:`~syslead.models.competition`: a first mover against a later entrant that brings a system;
- :mod:`~syslead.models.capacity`: queues (M/M/1, M/M/c) and a week-by-week backlog;
- :mod:`~syslead.models.emergence`: threshold models, cascades on networks, the life cycle of emergence;
- :mod:`~syslead.models.datasets`: the course's small data files, wherever it runs;
- :mod:`~syslead.models.arguments`: one plain sentence for each bad argument.
"""
