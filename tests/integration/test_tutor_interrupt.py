"""An interrupted ``syslead autograde`` never changes a tutor's marks or "graded" flags (issue 26, trap 6).

On the small demo cohort (tests/tutor_cohort.py), a tutor marks every written answer; then a forced
autograde is stopped (KeyboardInterrupt, as Ctrl-C raises it) at several points of its work: while the
first learner's grades are written, just after the second's are written, while a learner's last copy is being set
aside, and while the workers grade; and Ctrl-C itself (SIGINT to the command and its workers), after a fixed time and
while a learner's slow code runs. After each stop, and after a plain re-run and a forced re-run, every
manual score and every "graded" flag is what the tutor left.
"""

from __future__ import annotations

import pytest
import tutor_cohort
from tutor_cohort import ASSIGNMENT

from syslead.tutor import autograde as ag
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("tutor-interrupt")


def mark_everything(course) -> dict:
    """The tutor marks every answer that waits (2 points each) and flags it graded; returns the marks."""
    with Course.find(course).gradebook() as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.needs_manual_grade:
                        g.manual_score = min(2.0, g.max_score)
                        g.needs_manual_grade = False
        gb.db.commit()
    return marks(course)


def marks(course) -> dict:
    with Course.find(course).gradebook() as gb:
        return {(sub.student_id, g.name): (g.manual_score, bool(g.needs_manual_grade))
                for sub in gb.find_assignment(ASSIGNMENT).submissions
                for nb in sub.notebooks for g in nb.grades if g.manual_score is not None}


def stop_at(monkeypatch, name: str, after: int = 0):
    """Raise KeyboardInterrupt on the (after+1)-th call of autograde's function ``name``."""
    real = getattr(ag, name)
    calls = {"n": 0}

    def stopping(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ag, name, stopping)


POINTS = [
    ("merge_submission", 0),  # while the first learner's grades are written (before the commit)
    ("_keep_new", 1),  # just after the second learner's grades are written
    ("answer_texts", 2),  # while a learner's last graded copy is being set aside and read
]


def three(course) -> list[str]:
    """Three learners who handed in work (to keep each run short)."""
    return sorted(p.name for p in (course / "submitted").iterdir())[:3]


@pytest.mark.parametrize("name,after", POINTS)
def test_an_interrupted_autograde_changes_no_mark_and_no_flag(base, monkeypatch, name, after):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / f"stop-{name}-{after}")
    tutor = mark_everything(course)
    assert tutor and all(not needs for _, needs in tutor.values())
    with monkeypatch.context() as m:
        stop_at(m, name, after)
        with pytest.raises(KeyboardInterrupt):
            ag.autograde(ASSIGNMENT, course=Course.find(course), jobs=2, force=True, progress=False, quiet=True,
                         students=three(course))
    assert marks(course) == tutor
    ag.autograde(ASSIGNMENT, course=Course.find(course), jobs=2, progress=False, quiet=True,
                 students=three(course))  # run again
    assert marks(course) == tutor
    ag.autograde(ASSIGNMENT, course=Course.find(course), jobs=2, force=True, progress=False, quiet=True,
                 students=three(course))
    assert marks(course) == tutor


def slow_learner(course) -> str:
    """The first of three() gets a first cell that runs for 12 s (learners' code can be slow): a Ctrl-C then
    finds nbgrader inside that learner's grading, and nbgrader's answer to it is to delete the learner's
    autograded folder once the kernel has stopped, which takes seconds."""
    import nbformat

    who = three(course)[0]
    path = course / "submitted" / who / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(12)"))
    nbformat.write(nb, str(path))
    return who


def grading(course, who: str) -> bool:
    """nbgrader is grading ``who``: their last graded copy is set aside and the new one is being written."""
    folder = course / "autograded" / who
    return (folder / f".{ASSIGNMENT}.syslead-previous").is_dir() and (folder / ASSIGNMENT).is_dir()


#: When the Ctrl-C comes: after a fixed time; and 5 s and 8 s into grading a learner whose code is slow
#: (issue 26, trap 6: the last graded copy was put back before nbgrader, still stopping, deleted it)
WHEN = [6.0, "slow+5", "slow+8"]


@pytest.mark.parametrize("when", WHEN)
def test_ctrl_c_on_the_command_changes_no_mark_and_no_flag(base, when):
    """Ctrl-C as a terminal sends it: SIGINT to the command and its workers, part-way through."""
    import os
    import signal
    import subprocess
    import time

    from conftest import BIN, course_env

    course = tutor_cohort.copy(tutor_cohort.graded(base), base / f"ctrl-c-{when}")
    tutor = mark_everything(course)
    slow = slow_learner(course) if isinstance(when, str) else None
    who = [a for s in three(course) for a in ("--student", s)]
    proc = subprocess.Popen([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--jobs", "2", "--force", "--no-progress", *who],
                            cwd=course, env=course_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    if slow:
        deadline = time.monotonic() + 240
        while not grading(course, slow) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(float(when.split("+")[1]))
        assert proc.poll() is None, "autograde ended before the moment to stop it came"
    else:
        time.sleep(when)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, err[-3000:]
    assert marks(course) == tutor
    graded = {d.name for d in (course / "autograded").iterdir() if (d / ASSIGNMENT).is_dir()}
    ag.autograde(ASSIGNMENT, course=Course.find(course), jobs=2, progress=False, quiet=True, students=three(course))
    assert marks(course) == tutor
    assert set(three(course)) <= graded  # each learner's last graded copy was kept (the re-run compares with it)
    ag.autograde(ASSIGNMENT, course=Course.find(course), jobs=2, force=True, progress=False, quiet=True,
                 students=three(course))
    assert marks(course) == tutor
