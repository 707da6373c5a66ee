"""What a learner's notebook calls: checks for the quick questions, feedback on reflections, the
learning journal and the capstone's helpers. It uses :mod:`syslead.models` and :mod:`syslead.charts`
and never imports :mod:`syslead.grading` or :mod:`syslead.tutor`."""
