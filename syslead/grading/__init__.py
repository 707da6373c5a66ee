"""Grading learners' work safely: the sandbox kernel, nbgrader preprocessors, the hostile corpus.
It may use :mod:`syslead.learner` (to know the questions) but never :mod:`syslead.tutor`."""
