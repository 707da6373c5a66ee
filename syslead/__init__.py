"""Models, charts and checks for the systems leadership course.

The notebooks stay thin: each cell calls a few functions from here and says why.

- ``syslead.spread``: how a message moves through a hierarchy or a network (reading 1).
- ``syslead.charts``: the course's chart style, alt text and slider helpers.
- ``syslead.checks``: friendly checks for the auto-graded questions.
- ``syslead.datasets``: the small data files the notebooks use, wherever the course runs.
"""

__version__ = "0.1.0"
