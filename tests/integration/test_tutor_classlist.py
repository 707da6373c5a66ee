"""A collected id that is not on the class list is named when it is autograded, not only at export
(issue 26, point 3): one sentence for each such id, with the listed id it is closest to.

On the small demo cohort (tests/tutor_cohort.py), whose learners were entered with a name and an email
(the class list), a submission is collected under a misspelt login and graded with ``syslead autograde``.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import tutor_cohort
from conftest import BIN, course_env
from tutor_cohort import ASSIGNMENT

from syslead.tutor.classlist import class_list
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


def test_autograde_names_each_collected_id_that_is_not_on_the_class_list(tmp_path_factory):
    base = tmp_path_factory.mktemp("classlist")
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "course")
    learners = sorted(p.name for p in (course / "submitted").iterdir())
    assert set(learners) <= class_list(Course.find(course))
    real = learners[0]
    typo = real[:-2] + real[-1] + real[-2]  # two letters swapped, as a hand-typed login might be
    assert typo != real
    other = "visitor-01"  # nowhere near any learner's id
    for sid in (typo, other):
        shutil.copytree(course / "submitted" / real / ASSIGNMENT, course / "submitted" / sid / ASSIGNMENT)
    run = subprocess.run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--jobs", "2", "--no-progress",
                          "--student", typo, "--student", other],
                         cwd=course, env=course_env(), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    said = [line for line in run.stdout.splitlines() if "not in the class list" in line]
    assert len(said) == 2, run.stdout
    mine = next(line for line in said if line.startswith(f"Warning: {typo} "))
    assert f"(did you mean {real}?)" in mine and f"nbgrader db student add {typo}" in mine
    theirs = next(line for line in said if line.startswith(f"Warning: {other} "))
    assert "did you mean" not in theirs
    for line in said:  # one sentence each: what is wrong and what to do
        assert line.endswith(".") and ". " not in line and ": check the id" in line
    assert not any(f"Warning: {sid} " in run.stdout for sid in learners)  # the listed learners are not named
    assert "2 graded" in run.stdout  # their work is graded and kept
