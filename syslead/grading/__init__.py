"""Grading learners' work safely: the one pipeline, the sandbox kernel, nbgrader preprocessors, the report.
It may use :mod:`syslead.learner` (to know the questions) but never :mod:`syslead.tutor`."""
