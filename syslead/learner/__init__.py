"""What a learner's notebook calls: checks for the quick questions, feedback on reflections, the
learning journal and the capstone's helpers. It uses :mod:`syslead.models` and :mod:`syslead.charts`
and never imports :mod:`syslead.grading` or :mod:`syslead.tutor`."""

import sys as _sys

# In a learner's kernel, importing any of the learner's modules (each reading's first cell does) installs
# the quick questions' one-sentence messages (a NameError becomes a sentence; see checks.install).
# Elsewhere (the syslead command) nothing more is loaded.
if "IPython" in _sys.modules:
    from syslead.learner import checks as _checks  # noqa: F401
