"""Tools for tutors, each a ``syslead`` command run from the course root (like nbgrader) and usable from
Python:

- :mod:`~syslead.tutor.autograde`: ``syslead autograde ASSIGNMENT --jobs N``, nbgrader's autograde in
  parallel processes with a single writer to the gradebook;
- :mod:`~syslead.tutor.reflections`: ``syslead reflections ASSIGNMENT``, every answer to each reflection
  side by side (HTML and CSV);
- :mod:`~syslead.tutor.export`: ``syslead export``, grades as CSV, and in Moodle's and Canvas's import layouts;
- :mod:`~syslead.tutor.backup` and :mod:`~syslead.tutor.restore`: ``syslead backup`` / ``syslead restore``;
- :mod:`~syslead.tutor.demo`: ``syslead demo --learners 60``, a synthetic cohort run through nbgrader;
- :mod:`~syslead.tutor.dashboard`: the cohort charts of ``notebooks/tutor-dashboard.ipynb``;
- :mod:`~syslead.tutor.course`: what they share (the course root, nbgrader's settings, the gradebook).
"""
