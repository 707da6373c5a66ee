"""A disk that fills up during ``syslead autograde`` (issue 26, trap 8): one plain sentence, nothing lost.

The whole small demo course (tests/tutor_cohort.py) lives on a real small file system (a tmpfs mounted for
the test; it needs root), with the tutor's marks in its gradebook. The disk is then filled to leave room
for autograde's backup of the gradebook and little else, so it fills up while the learners are graded
again. The command must say so in one sentence (what is wrong, what to do), with no traceback and no wall
of lines; and every grade, every flag, every collected submission and every last graded copy is still
there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest
import tutor_cohort
from conftest import BIN, course_env, small_tmpfs
from tutor_cohort import ASSIGNMENT

from syslead.tutor.autograde import recorded
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    with small_tmpfs(tmp_path / "small-disk", "8m") as where:
        yield where


def files(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fill(disk, leave: int) -> None:
    """Fill the file system until only ``leave`` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def test_a_disk_that_fills_during_autograde_gets_one_sentence_and_loses_nothing(tmp_path_factory, small_disk):
    base = tmp_path_factory.mktemp("full-disk")
    course = tutor_cohort.copy(tutor_cohort.graded(base), small_disk / "course")
    with Course.find(course).gradebook() as gb:  # the tutor has marked every written answer
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.needs_manual_grade:
                        g.manual_score, g.needs_manual_grade = min(2.0, g.max_score), False
        gb.db.commit()
    before = recorded(Course.find(course), ASSIGNMENT)
    kept = {name: files(course / name) for name in ("submitted", "autograded")}
    # room for the gradebook's backup (the first thing autograde writes) and not for the graded copies
    fill(small_disk, leave=(course / "gradebook.db").stat().st_size + 96 * 1024)
    run = subprocess.run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--force", "--jobs", "2", "--no-progress"],
                         cwd=course, env=course_env(), capture_output=True, text=True, timeout=900)
    text = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in text, text[-3000:]
    assert "The disk is full" in text and "free some space" in text, text[-3000:]
    assert len(text.strip().splitlines()) <= 3, text  # one sentence, not a table of failures
    (small_disk / "filler").unlink()
    assert recorded(Course.find(course), ASSIGNMENT) == before  # every grade and flag as the tutor left it
    assert {name: files(course / name) for name in kept} == kept  # every submission and last graded copy
    # and once there is room again, the same command grades everyone and keeps the tutor's marks
    again = subprocess.run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--force", "--jobs", "2", "--no-progress"],
                           cwd=course, env=course_env(), capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = recorded(Course.find(course), ASSIGNMENT)
    manual = lambda rec: {(s, g): v[1:] for s, r in rec.items() for nb in r["notebooks"].values()  # noqa: E731
                          for g, v in nb["grades"].items()}
    assert manual(after) == manual(before)
    shutil.rmtree(course, ignore_errors=True)
