"""A small graded demo cohort shared by the tutor tests (built once per test session, then copied).

Assignment 02 is used because its notebook autogrades in seconds; reading 1's slider cell makes nbclient
wait for the whole Execute.timeout under nbgrader (jupyter/nbclient#312), about 120 s per notebook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT

ASSIGNMENT = "02-systems-innovation"
LEARNERS = 6
SEED = 309  # one learner of each kind: complete, partial, wrong, blank, late, and one who never submits

#: Every cell of the notebook runs in well under a second. Under load, nbclient sometimes misses the reply
#: to a widget cell and waits for the whole Execute.timeout before it carries on with the same result
#: (jupyter/nbclient#312): a short timeout keeps that wait short. Serial and parallel runs share it.
SHORT_TIMEOUT = "\nc.Execute.timeout = 20  # tests only (see tests/tutor_cohort.py)\n"

_built: dict[str, Path] = {}


def collected(base: Path) -> Path:
    """A demo course with submissions collected, not yet autograded (built once, then cached)."""
    if "collected" not in _built:
        from syslead.tutor import demo

        dest = base / "collected-cohort"
        demo.build(dest, learners=LEARNERS, assignments=[ASSIGNMENT], seed=SEED, autograde=False,
                   source_root=ROOT, quiet=True)
        with open(dest / "nbgrader_config.py", "a") as f:
            f.write(SHORT_TIMEOUT)
        _built["collected"] = dest
    return _built["collected"]


def copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def graded(base: Path) -> Path:
    """The same cohort after `syslead autograde --jobs 2` (built once, then cached)."""
    if "graded" not in _built:
        from syslead.tutor.autograde import autograde
        from syslead.tutor.course import Course

        dest = copy(collected(base), base / "graded-cohort")
        autograde(ASSIGNMENT, course=Course.find(dest), jobs=2, progress=False, quiet=True)
        _built["graded"] = dest
    return _built["graded"]
