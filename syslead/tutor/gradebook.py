"""One layer over ``nbgrader.api`` for what the tutor tools read from the gradebook.

Every tutor module (export, reflections, dashboard, the grading page) reads grades through these
functions, so there is one SQL join over nbgrader's tables and one rule for a cell's score:

- :func:`cell_score` is *the* score of one graded cell, as formgrader shows it: the manual score when a
  tutor gave one, else the auto score, plus extra credit; ``None`` while the cell still waits for a
  tutor (nbgrader flags it ``needs_manual_grade`` and no one has given a manual score) or has no score;
- :func:`grades` is every grade of an assignment (or of the whole course) as plain rows;
- :func:`late_penalties` is each learner's late penalty for an assignment (summed over notebooks);
- :func:`roll` is every learner the course knows of: those in the gradebook, and those with a collected
  submission whose autograde failed or never ran (they are not in nbgrader's tables yet).
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from syslead.tutor.course import Course


def cell_score(auto: float | None, manual: float | None, extra: float | None, needs_manual_grade: bool) -> float | None:
    """The score of one graded cell (see the module's docstring); the one place this is computed."""
    if manual is not None:
        return float(manual) + float(extra or 0)
    if needs_manual_grade or auto is None:
        return None
    return float(auto) + float(extra or 0)


@dataclass(frozen=True)
class GradeRow:
    assignment: str
    student: str
    notebook: str
    cell: str
    cell_type: str  # code or markdown
    max_score: float
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None
    needs_manual_grade: bool
    grade_id: str  # nbgrader's Grade.id (for saving)

    @property
    def score(self) -> float | None:
        return cell_score(self.auto_score, self.manual_score, self.extra_credit, self.needs_manual_grade)


_REQUEST: contextvars.ContextVar[dict | None] = contextvars.ContextVar("syslead_request_cache", default=None)


@contextlib.contextmanager
def request_cache():
    """Within this block (one page request that only reads), the gradebook's grades, the questions and the
    comments are read once and reused: the grading page asks for them several times per request."""
    token = _REQUEST.set({})
    try:
        yield
    finally:
        _REQUEST.reset(token)


def cached(key: tuple, compute):
    """``compute()``, once per :func:`request_cache` block for ``key`` (every time outside one)."""
    store = _REQUEST.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def grades(course: Course, assignment: str | None = None) -> list[GradeRow]:
    """Every grade in the gradebook (of ``assignment`` when given), in one query (one per request within
    :func:`request_cache`)."""
    return list(cached(("grades", str(course.root), assignment), lambda: _grades(course, assignment)))


def _grades(course: Course, assignment: str | None = None) -> list[GradeRow]:
    from nbgrader.api import Assignment, Grade, GradeCell, Notebook, SubmittedAssignment, SubmittedNotebook

    with course.gradebook() as gb:
        query = (gb.db.query(Assignment.name, SubmittedAssignment.student_id, Notebook.name, GradeCell.name,
                             GradeCell.cell_type, GradeCell.max_score, Grade.auto_score, Grade.manual_score,
                             Grade.extra_credit, Grade.needs_manual_grade, Grade.id)
                 .join(SubmittedNotebook, SubmittedNotebook.id == Grade.notebook_id)
                 .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
                 .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                 .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                 .join(GradeCell, GradeCell.id == Grade.cell_id))
        if assignment is not None:
            query = query.filter(Assignment.name == assignment)
        rows = query.all()
    return [GradeRow(a, s, nb, c, t, float(m or 0), au, ma, ex, bool(nd), gid)
            for a, s, nb, c, t, m, au, ma, ex, nd, gid in rows]


def late_penalties(gb, assignment: str) -> dict[str, float]:
    """learner id -> the late penalty of their submission of ``assignment`` (all its notebooks)."""
    from nbgrader.api import Assignment, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    return {sid: float(p or 0) for sid, p in
            gb.db.query(SubmittedAssignment.student_id, func.sum(SubmittedNotebook.late_submission_penalty))
            .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .filter(Assignment.name == assignment).group_by(SubmittedAssignment.student_id).all()}


@dataclass(frozen=True)
class Learner:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None
    in_gradebook: bool


def roll(course: Course) -> list[Learner]:
    """Every learner of the course: the gradebook's students, then anyone with a collected submission who
    is not in the gradebook (their autograde failed or has not run)."""
    from nbgrader.api import Student

    found: dict[str, Learner] = {}
    if course.has_gradebook():
        with course.gradebook() as gb:
            for sid, first, last, email, lms in gb.db.query(Student.id, Student.first_name, Student.last_name,
                                                            Student.email, Student.lms_user_id):
                found[sid] = Learner(sid, first, last, email, lms, True)
    folder = course.folder("submitted")
    if folder.is_dir():
        for p in folder.iterdir():
            if p.is_dir() and not p.name.startswith(".") and p.name not in found:
                found[p.name] = Learner(p.name, None, None, None, None, False)
    return [found[k] for k in sorted(found)]


def save_grade(course: Course, grade_id: str, *, manual_score: float | None = None,
               manual_comment: str | None = None, graded: bool = True) -> None:
    """Save a tutor's score (and comment) for one grade through nbgrader's API, as formgrader does."""
    from nbgrader.api import Grade

    with course.gradebook() as gb:
        grade = gb.db.query(Grade).filter(Grade.id == grade_id).one()
        grade.manual_score = manual_score
        grade.needs_manual_grade = not graded
        if manual_comment is not None:
            for comment in grade.notebook.comments:  # a written answer's comment has its cell's name
                if comment.name == grade.name:
                    comment.manual_comment = manual_comment
        gb.db.commit()
        # the late penalty follows the policy on the new score (syslead.tutor.late.refresh_penalties)
        from syslead.tutor.late import refresh_in

        refresh_in(gb, course.manifest(), grade.notebook.assignment.assignment.name,
                   grade.notebook.assignment.student_id)
