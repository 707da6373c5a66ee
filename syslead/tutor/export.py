"""``syslead export``: grades per learner and assignment as CSV, and in the layouts Moodle and Canvas import.

Three files in ``grades/`` under the course root (or ``--out``), all UTF-8:

``grades.csv``
    One row per learner and assignment (every learner in the gradebook, every assignment), with nbgrader
    export's columns (``assignment, duedate, timestamp, student_id, last_name, first_name, email,
    raw_score, late_submission_penalty, score, max_score``, with the same numbers: a learner who did not
    submit scores 0, ``score`` is ``raw_score`` less the late penalty, never below 0) plus ``submitted``,
    ``seconds_late``, ``percent`` and ``needs_manual_grade`` (answers still waiting for a tutor).

``moodle.csv``
    Moodle's CSV grade import (*Grades > Import > CSV file*). Moodle reads a header row, then lets you map
    one column to a user field and each other column to a grade item; its documentation recommends
    mapping "Email address" to ``useremail`` (or "ID number" to ``useridnumber``) instead of the default
    first name (MoodleDocs, "Grade import", https://docs.moodle.org/405/en/Grade_import). We write the
    first columns of Moodle's own grade export (``First name, Last name, ID number, Email address``) and
    one column per assignment named as in nbgrader, holding the score in points; map each to its grade
    item (whose maximum grade should equal the assignment's ``max_score``).

``canvas.csv``
    Canvas's Gradebook import (*Grades > Import*). Canvas expects the columns of its own Gradebook
    export: ``Student`` ("Last, First"), ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one
    column per assignment; it matches learners on ID, SIS User ID or SIS Login ID, and a column whose name
    matches no assignment becomes a new assignment (Canvas Instructor Guide, "How do I import grades in
    the Gradebook?"; summarised by Ohio State's "Import a CSV File to Carmen Grades",
    https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
    ``ID`` (Canvas's internal number) is left empty; ``SIS User ID`` is the learner's ``lms_user_id`` from
    the gradebook when set, otherwise their nbgrader id, which is also the ``SIS Login ID`` (on a hub,
    the login). ``Section`` is left empty.

Scores come from nbgrader's gradebook through its own SQL queries (``Gradebook.submission_dicts``), so
they are the numbers formgrader shows. A submission with answers still to grade by hand is exported
with the points it has so far; the command says how many there are, so that you can finish grading first.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

from syslead.errors import CourseError
from syslead.grading.clean import csv_cell
from syslead.tutor.course import Course, add_course_argument

HELP = "export grades as CSV per learner and assignment, and for Moodle's and Canvas's gradebook import"


@dataclass
class Row:
    assignment: str
    duedate: object
    max_score: float
    student_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None
    submitted: bool
    timestamp: object = None
    seconds_late: float = 0.0
    raw_score: float = 0.0
    late_submission_penalty: float = 0.0
    needs_manual_grade: bool = False

    @property
    def score(self) -> float:
        return max(0.0, self.raw_score - self.late_submission_penalty)


def rows(course: Course, assignments: list[str] | None = None) -> list[Row]:
    """Every learner's result in every assignment (or those named), from the gradebook."""
    from nbgrader.api import Assignment, Student, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    course.require_gradebook()
    out = []
    with course.gradebook() as gb:
        known = {a.name: a for a in gb.assignments}
        names = assignments or sorted(known)
        for name in names:
            if name not in known:
                raise CourseError(f"There is no assignment called {name!r} in the gradebook (known: "
                                  f"{', '.join(sorted(known)) or 'none yet'}): check the name.")
        students = gb.db.query(Student.id, Student.first_name, Student.last_name, Student.email,
                               Student.lms_user_id).all()
        for name in names:
            assignment = known[name]
            duedate, max_score = assignment.duedate, assignment.max_score
            subs = {d["student"]: d for d in gb.submission_dicts(name)}
            penalties = dict(
                gb.db.query(SubmittedAssignment.student_id, func.sum(SubmittedNotebook.late_submission_penalty))
                .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                .filter(Assignment.name == name).group_by(SubmittedAssignment.student_id).all())
            for sid, first, last, email, lms in sorted(students):
                row = Row(name, duedate, max_score, sid, first, last, email, lms, sid in subs)
                if row.submitted:
                    d = subs[sid]
                    row.timestamp = d["timestamp"]
                    row.raw_score = float(d["score"] or 0.0)
                    row.late_submission_penalty = float(penalties.get(sid) or 0.0)
                    row.needs_manual_grade = bool(d["needs_manual_grade"])
                    if duedate is not None and row.timestamp is not None and row.timestamp > duedate:
                        row.seconds_late = (row.timestamp - duedate).total_seconds()
                out.append(row)
    return out


class _writer:
    """csv.writer whose every cell goes through :func:`syslead.grading.clean.csv_cell` (no formulas)."""

    def __init__(self, f):
        self.w = csv.writer(f)

    def writerow(self, row) -> None:
        self.w.writerow([csv_cell(x) for x in row])


def _refuse_links(paths: list[Path]) -> None:
    for path in paths:
        if path.is_symlink():
            raise CourseError(f"{path} is a symbolic link: remove it (syslead never writes through a link), then "
                              "export again.")


def _num(x: float) -> str:
    return f"{x:g}"


def write_grades(path: Path, data: list[Row]) -> None:
    columns = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "raw_score", "late_submission_penalty", "score", "max_score", "submitted", "seconds_late",
               "percent", "needs_manual_grade"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(columns)
        for r in data:
            w.writerow([r.assignment, r.duedate or "", r.timestamp or "", r.student_id, r.last_name or "",
                        r.first_name or "", r.email or "", _num(r.raw_score), _num(r.late_submission_penalty),
                        _num(r.score), _num(r.max_score), "yes" if r.submitted else "no", _num(r.seconds_late),
                        f"{100 * r.score / r.max_score:.1f}" if r.max_score else "",
                        "yes" if r.needs_manual_grade else "no"])


def _by_learner(data: list[Row]) -> tuple[list[str], dict[str, dict[str, Row]]]:
    assignments = list(dict.fromkeys(r.assignment for r in data))
    learners: dict[str, dict[str, Row]] = {}
    for r in data:
        learners.setdefault(r.student_id, {})[r.assignment] = r
    return assignments, learners


def write_moodle(path: Path, data: list[Row]) -> None:
    assignments, learners = _by_learner(data)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(["First name", "Last name", "ID number", "Email address", *assignments])
        for sid, results in learners.items():
            any_row = next(iter(results.values()))
            w.writerow([any_row.first_name or "", any_row.last_name or "", any_row.lms_user_id or sid,
                        any_row.email or "", *[_num(results[a].score) for a in assignments]])


def write_canvas(path: Path, data: list[Row]) -> None:
    assignments, learners = _by_learner(data)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments])
        for sid, results in learners.items():
            r = next(iter(results.values()))
            name = ", ".join(p for p in (r.last_name, r.first_name) if p) or sid
            w.writerow([name, "", r.lms_user_id or sid, sid, "", *[_num(results[a].score) for a in assignments]])


def write(course: Course, *, out: Path | None = None, assignments: list[str] | None = None) -> tuple[list[Path], list[Row]]:
    data = rows(course, assignments)
    if not data:
        raise CourseError("The gradebook has no learners yet: collect and autograde submissions first.")
    folder = Path(out) if out else course.root / "grades"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "grades.csv", folder / "moodle.csv", folder / "canvas.csv"]
    _refuse_links(paths)
    write_grades(paths[0], data)
    write_moodle(paths[1], data)
    write_canvas(paths[2], data)
    return paths, data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("--out", type=Path, help="the folder for the CSV files (default: grades/)")
    parser.add_argument("--assignment", action="append", metavar="NAME", help="only this assignment (repeatable)")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    paths, data = write(course, out=args.out, assignments=args.assignment)
    learners = len({r.student_id for r in data})
    print(f"Wrote {', '.join(str(p) for p in paths)} ({learners} learners).")
    waiting = [r for r in data if r.needs_manual_grade]
    if waiting:
        print(f"Note: {len(waiting)} submissions still have answers to grade by hand (formgrader, Manual "
              f"Grading); their scores so far are exported. Export again when you have graded them.")
    return 0
