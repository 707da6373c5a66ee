"""A learner who deletes a check cell and a reflection keeps the point they earned (issue 26, trap 5).

On the small demo cohort (tests/tutor_cohort.py), the learner with every quick question right deletes one
check cell and one reflection cell from their notebook, then is graded again with ``syslead autograde``:
the check is put back from the source and run, so its point is kept (it used to score 0 while its output
said the answer was right); the reflection scores 0 with the comment "cell deleted by the learner", and
the autograde table names it.
"""

from __future__ import annotations

import nbformat
import pytest
import tutor_cohort
from tutor_cohort import ASSIGNMENT

from syslead.tutor.autograde import DELETED_COMMENT, autograde
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


def code_grades(course, student):
    with Course.find(course).gradebook() as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}


def test_a_deleted_check_keeps_its_point_and_a_deleted_reflection_is_named(tmp_path):
    course = tutor_cohort.copy(tutor_cohort.graded(tmp_path), tmp_path / "deleted")
    learners = sorted(p.name for p in (course / "submitted").iterdir())
    full = next(s for s in learners if (g := code_grades(course, s)) and all(a == m for a, m in g.values()))
    path = course / "submitted" / full / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    check = next(m["grade_id"] for c, m in zip(nb.cells, meta, strict=True)
                 if c.cell_type == "code" and m.get("grade") and not m.get("solution"))
    reflection = next(m["grade_id"] for c, m in zip(nb.cells, meta, strict=True)
                      if c.cell_type == "markdown" and m.get("grade") and m.get("solution"))
    nb.cells = [c for c, m in zip(nb.cells, meta, strict=True) if m.get("grade_id") not in (check, reflection)]
    nbformat.write(nb, str(path))
    earned = code_grades(course, full)[check]
    report = autograde(ASSIGNMENT, course=Course.find(course), jobs=1, force=True, progress=False, quiet=True,
                       students=[full])
    assert code_grades(course, full)[check] == earned and earned[0] == earned[1] > 0  # the point is kept
    with Course.find(course).gradebook() as gb:
        g = gb.find_grade(reflection, ASSIGNMENT, ASSIGNMENT, full)
        assert g.auto_score == 0 and not g.needs_manual_grade
        assert gb.find_comment(reflection, ASSIGNMENT, ASSIGNMENT, full).auto_comment == DELETED_COMMENT
    note = next(o.reason for o in report.outcomes if o.student == full)
    assert reflection in note and check not in note, note


def test_a_renamed_notebook_gets_a_sentence_about_the_name_not_generate_assignment(tmp_path):
    course = tutor_cohort.copy(tutor_cohort.collected(tmp_path), tmp_path / "renamed")
    student = sorted(p.name for p in (course / "submitted").iterdir())[0]
    folder = course / "submitted" / student / ASSIGNMENT
    (folder / f"{ASSIGNMENT}.ipynb").rename(folder / "my copy.ipynb")
    report = autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=[student])
    outcome = next(o for o in report.outcomes if o.student == student)
    assert outcome.status == "failed", outcome
    assert outcome.reason == (f"{ASSIGNMENT}.ipynb is not in the submission (it has my copy.ipynb): the learner "
                              f"renamed or deleted it; ask them to submit it again under its own name.")
