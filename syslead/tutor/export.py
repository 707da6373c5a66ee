"""``syslead export``: grades per learner and assignment as CSV, and in the layouts Moodle and Canvas import.

Three files in ``grades/`` under the course root (or ``--out``), all UTF-8:

``grades.csv``
    One row per learner on the roll and assignment, with nbgrader export's columns (``assignment, duedate,
    timestamp, student_id, last_name, first_name, email, raw_score, late_submission_penalty, score,
    max_score``; ``score`` is ``raw_score`` less the late penalty, never below 0) plus ``submitted``,
    ``seconds_late``, ``percent``, ``needs_manual_grade``, ``status``, ``note`` and ``circles`` (taking part
    in reflection circles, ``syslead circles``: "shared; replied 2; received 3", or "did not share";
    blank where no circles were formed).

``moodle.csv``
    Moodle's CSV grade import (*Grades > Import > CSV file*). Moodle reads a header row, then lets you map
    one column to a user field and each other column to a grade item; its documentation recommends
    mapping "Email address" to ``useremail`` (or "ID number" to ``useridnumber``) (MoodleDocs, "Grade
    import", https://docs.moodle.org/405/en/Grade_import). We write the first columns of Moodle's own
    grade export (``First name, Last name, ID number, Email address``) and one column per assignment,
    named by the manifest's ``lms: {moodle_item: ...}`` (the grade item's name in Moodle) or else the
    assignment's id, holding the score in points.

``canvas.csv``
    Canvas's Gradebook import (*Grades > Import*). Canvas expects the columns of its own Gradebook
    export: ``Student`` ("Last, First"), ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one
    column per assignment named ``Assignment Name (id)``; it matches learners on ID, SIS User ID or SIS
    Login ID, and an assignment column without a known id becomes a *new* assignment (Canvas Instructor
    Guide, "How do I import grades in the Gradebook?"; summarised by Ohio State's "Import a CSV File to
    Carmen Grades"). The id comes from the manifest, ``lms: {canvas_assignment_id: ...}`` per assignment
    in course.yml; without one, the column is the plain title and the command warns.

What the files never do (issue "exports that don't lie"):

- **Missing work is blank, not 0.** A learner who did not submit has empty score cells (``status``
  ``missing``); Canvas and Moodle leave a blank cell alone on import, so no one gets a 0 they did not earn.
- **Partly graded and failed submissions are flagged.** ``status`` is ``graded``, ``partly graded``
  (answers still wait for a tutor: the score so far is written), ``not graded`` (collected but never
  autograded, or its autograde failed: blank), ``notebook missing`` (the learner renamed or deleted
  the notebook), or ``missing``; the command lists them on screen. In the LMS files such a cell is blank.
- **Exporting before grading stops** with a sentence unless ``--allow-ungraded``.
- **Every learner on the roll has a row** (the gradebook's students and anyone with a collected
  submission), and learners without a name or email are listed on screen.
- **Plain decimals**: numbers are written without exponents (``58828400``, not ``5.88284e+07``).

Scores come from nbgrader's gradebook through :mod:`syslead.tutor.gradebook` (nbgrader's own
``Gradebook.submission_dicts``), so they are the numbers formgrader shows.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import errno
from dataclasses import dataclass
from pathlib import Path

from syslead.errors import CourseError
from syslead.grading.clean import csv_cell
from syslead.tutor.course import Course, add_course_argument

HELP = "export grades as CSV per learner and assignment, and for Moodle's and Canvas's gradebook import"


#: What a row's ``status`` can be, and whether its score is real enough to send to an LMS.
STATUSES = {"graded": True, "partly graded": False, "not graded": False, "notebook missing": False,
            "missing": False}


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
    status: str = "missing"
    note: str = ""
    timestamp: object = None
    seconds_late: float | None = None
    raw_score: float | None = None
    late_submission_penalty: float | None = None
    needs_manual_grade: bool = False
    circles: str = ""  # reflection circles: shared, replied, received (syslead circles), blank without

    @property
    def score(self) -> float | None:
        if self.raw_score is None:
            return None
        return max(0.0, self.raw_score - (self.late_submission_penalty or 0.0))

    @property
    def for_lms(self) -> float | None:
        """The score to send to an LMS: only a fully graded one (a blank cell changes nothing there)."""
        return self.score if STATUSES[self.status] else None


def rows(course: Course, assignments: list[str] | None = None) -> list[Row]:
    """Every learner on the roll in every assignment (or those named), from the gradebook."""
    from syslead.tutor.circles import participation, participation_line
    from syslead.tutor.classlist import not_learners
    from syslead.tutor.gradebook import late_penalties, roll

    course.require_gradebook()
    learners = roll(course)
    others = not_learners(course, [p.id for p in learners])  # a tutor's own test copy is not a learner's
    learners = [p for p in learners if p.id not in others]
    out = []
    with course.gradebook() as gb:
        from syslead.tutor.late import refresh_in

        refresh_in(gb, course.manifest())  # penalties on the scores as marked now, not as at autograde
        known = {a.name: a for a in gb.assignments}
        names = assignments or sorted(known)
        for name in names:
            if name not in known:
                raise CourseError(f"There is no assignment called {name!r} in the gradebook (known: "
                                  f"{', '.join(sorted(known)) or 'none yet'}): check the name.")
        for name in names:
            assignment = known[name]
            duedate, max_score = assignment.duedate, assignment.max_score
            notebooks = {nb.name for nb in assignment.notebooks}
            subs = {d["student"]: d for d in gb.submission_dicts(name)}
            penalties = late_penalties(gb, name)
            collected = course.submitted(name)
            taking_part = participation(course, name)
            for p in learners:
                row = Row(name, duedate, max_score, p.id, p.first_name, p.last_name, p.email, p.lms_user_id,
                          p.id in subs or p.id in collected)
                if taking_part:
                    row.circles = participation_line(taking_part.get(p.id, {}))
                folder = collected.get(p.id)
                if folder is not None:
                    absent = sorted(nb for nb in notebooks if not (folder / f"{nb}.ipynb").is_file())
                    if absent:
                        found = sorted(x.name for x in folder.glob("*.ipynb"))
                        row.status = "notebook missing"
                        row.note = (f"{', '.join(a + '.ipynb' for a in absent)} not in the submission"
                                    f" (it has {', '.join(found) or 'no notebook'})")
                if p.id in subs:
                    d = subs[p.id]
                    row.timestamp = d["timestamp"]
                    row.raw_score = float(d["score"] or 0.0)
                    row.late_submission_penalty = penalties.get(p.id, 0.0)
                    row.needs_manual_grade = bool(d["needs_manual_grade"])
                    row.seconds_late = 0.0
                    if duedate is not None and row.timestamp is not None and row.timestamp > duedate:
                        row.seconds_late = (row.timestamp - duedate).total_seconds()
                    if row.status != "notebook missing":
                        row.status = "partly graded" if row.needs_manual_grade else "graded"
                        if row.needs_manual_grade:
                            row.note = "answers still to grade by hand; the score so far"
                elif row.submitted and row.status != "notebook missing":
                    row.status = "not graded"
                    row.note = "collected but not autograded, or its autograde failed"
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


def _num(x: float | None) -> str:
    """A plain decimal (never an exponent), blank for no value."""
    if x is None:
        return ""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def write_grades(path: Path, data: list[Row]) -> None:
    columns = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "raw_score", "late_submission_penalty", "score", "max_score", "submitted", "seconds_late",
               "percent", "needs_manual_grade", "status", "note", "circles"]
    with _open(path) as f:
        w = _writer(f)
        w.writerow(columns)
        for r in data:
            w.writerow([r.assignment, r.duedate or "", r.timestamp or "", r.student_id, r.last_name or "",
                        r.first_name or "", r.email or "", _num(r.raw_score), _num(r.late_submission_penalty),
                        _num(r.score), _num(r.max_score), "yes" if r.submitted else "no", _num(r.seconds_late),
                        f"{100 * r.score / r.max_score:.1f}" if r.max_score and r.score is not None else "",
                        "yes" if r.needs_manual_grade else "no", r.status, r.note, r.circles])


def _by_learner(data: list[Row]) -> tuple[list[str], dict[str, dict[str, Row]]]:
    assignments = list(dict.fromkeys(r.assignment for r in data))
    learners: dict[str, dict[str, Row]] = {}
    for r in data:
        learners.setdefault(r.student_id, {})[r.assignment] = r
    return assignments, learners


def lms_columns(course: Course, assignments: list[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Column names per assignment for Moodle and for Canvas, from the manifest's ``lms`` entries, and the
    warnings to show (assignments with no Canvas id, which Canvas would import as new assignments)."""
    moodle, canvas, warnings = {}, {}, []
    for name in assignments:
        entry = course.manifest_assignment(name)
        lms = entry.lms if entry else {}
        title = entry.title if entry else name
        moodle[name] = lms.get("moodle_item") or name
        if lms.get("canvas_assignment_id"):
            canvas[name] = f"{title} ({lms['canvas_assignment_id']})"
        else:
            canvas[name] = title
            warnings.append(f"{name} has no Canvas assignment id in course.yml (lms: {{canvas_assignment_id: "
                            f"...}}), so Canvas would import its column as a new assignment.")
    return moodle, canvas, warnings


def write_moodle(path: Path, data: list[Row], columns: dict[str, str] | None = None) -> None:
    assignments, learners = _by_learner(data)
    columns = columns or {a: a for a in assignments}
    with _open(path) as f:
        w = _writer(f)
        w.writerow(["First name", "Last name", "ID number", "Email address", *[columns[a] for a in assignments]])
        for sid, results in learners.items():
            any_row = next(iter(results.values()))
            w.writerow([any_row.first_name or "", any_row.last_name or "", any_row.lms_user_id or sid,
                        any_row.email or "", *[_num(results[a].for_lms) for a in assignments]])


def write_canvas(path: Path, data: list[Row], columns: dict[str, str] | None = None) -> None:
    assignments, learners = _by_learner(data)
    columns = columns or {a: a for a in assignments}
    with _open(path) as f:
        w = _writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *[columns[a] for a in assignments]])
        for sid, results in learners.items():
            r = next(iter(results.values()))
            name = ", ".join(p for p in (r.last_name, r.first_name) if p) or sid
            w.writerow([name, "", r.lms_user_id or sid, sid, "", *[_num(results[a].for_lms) for a in assignments]])


@contextlib.contextmanager
def _open(path: Path):
    """A CSV file to write, with one sentence for a full disk or a folder that cannot be written."""
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            yield f
    except OSError as error:
        raise _write_error(path, error) from error


def _write_error(path: Path, error: OSError) -> CourseError:
    if error.errno == errno.ENOSPC:
        return CourseError(f"The disk is full, so {path} could not be written: free some space (or give "
                           f"another folder with --out) and export again; the gradebook is unchanged.")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return CourseError(f"{path} cannot be written here ({error.strerror}): give a folder you can write "
                           f"to with --out.")
    return CourseError(f"{path} could not be written ({error.strerror}): give another folder with --out.")


class Ungraded(CourseError):
    """Export before grading: nothing is written unless the tutor says --allow-ungraded."""


def write(course: Course, *, out: Path | None = None, assignments: list[str] | None = None,
          allow_ungraded: bool = False) -> tuple[list[Path], list[Row]]:
    data = rows(course, assignments)
    if not data:
        raise CourseError("The gradebook has no learners yet: collect and autograde submissions first.")
    submitted = [r for r in data if r.submitted]
    graded = [r for r in submitted if r.status in ("graded", "partly graded")]
    if not allow_ungraded and submitted and not graded:
        raise Ungraded(f"None of the {len(submitted)} collected submissions has been graded yet, so every "
                       f"score would be blank: run 'syslead autograde ASSIGNMENT' first, or export anyway "
                       f"with --allow-ungraded.")
    if not allow_ungraded and not submitted:
        raise Ungraded("No learner has submitted anything yet, so the files would be empty: collect "
                       "submissions first, or export anyway with --allow-ungraded.")
    folder = Path(out) if out else course.root / "grades"
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"--out {folder} is a file, not a folder: give a folder for the three CSV files "
                          f"(it is made if it does not exist).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _write_error(folder, error) from error
    paths = [folder / "grades.csv", folder / "moodle.csv", folder / "canvas.csv"]
    _refuse_links(paths)
    names = list(dict.fromkeys(r.assignment for r in data))
    moodle, canvas, _ = lms_columns(course, names)
    write_grades(paths[0], data)
    write_moodle(paths[1], data, moodle)
    write_canvas(paths[2], data, canvas)
    from syslead.tutor import moderation

    second = moderation.rows_for_export(course)
    if second:  # second and agreed marks, with the first marks and the markers' names (not an LMS file)
        where = folder / "moderation.csv"
        _refuse_links([where])
        try:
            with open(where, "w", newline="", encoding="utf-8") as f:
                w = _writer(f)
                w.writerow(list(second[0]))
                for row in second:
                    w.writerow([_num(v) if isinstance(v, float) else ("" if v is None else v) for v in row.values()])
        except OSError as error:
            raise _write_error(where, error) from error
    return paths, data


def warnings_for(course: Course, data: list[Row]) -> list[str]:
    """What the tutor should know before uploading these files, one sentence each."""
    from syslead.tutor.classlist import (
        extension_problems,
        not_learner_sentence,
        not_learners,
        unlisted,
        unlisted_sentence,
    )
    from syslead.tutor.gradebook import roll

    ids = [p.id for p in roll(course)]
    sentences = [not_learner_sentence(not_learners(course, ids), "the export"),
                 unlisted_sentence(unlisted(course, {r.student_id for r in data if r.submitted}))]
    out = [s for s in sentences if s] + extension_problems(course)
    by_status: dict[str, list[Row]] = {}
    for r in data:
        by_status.setdefault(r.status, []).append(r)

    def who(rs: list[Row]) -> str:
        ids = sorted({f"{r.student_id} ({r.assignment})" for r in rs})
        return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")

    if by_status.get("partly graded"):
        rs = by_status["partly graded"]
        out.append(f"{len(rs)} submissions are only partly graded (answers wait for a tutor): {who(rs)}. "
                   f"grades.csv has their score so far; Moodle and Canvas get a blank until you grade them.")
    if by_status.get("not graded"):
        rs = by_status["not graded"]
        out.append(f"{len(rs)} collected submissions have no grades (autograde failed or has not run): "
                   f"{who(rs)}. Their cells are blank; run 'syslead autograde' and export again.")
    if by_status.get("notebook missing"):
        rs = by_status["notebook missing"]
        out.append(f"{len(rs)} submissions lack the assignment's notebook (renamed or deleted): {who(rs)}. "
                   f"They are flagged and blank in the LMS files; see the note column of grades.csv.")
    missing = by_status.get("missing", [])
    if missing:
        out.append(f"{len(missing)} learners did not submit: {who(missing)}. Their cells are blank, not 0.")
    nameless = sorted({r.student_id for r in data if not (r.first_name and r.last_name) or not r.email})
    if nameless:
        out.append(f"{len(nameless)} learners have no name or email in the gradebook, so Moodle cannot match "
                   f"them by email and Canvas shows their id: {', '.join(nameless)}. Add them with 'nbgrader "
                   f"db student add ID --first-name ... --last-name ... --email ...'.")
    _, _, lms_warnings = lms_columns(course, list(dict.fromkeys(r.assignment for r in data)))
    return out + lms_warnings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("--out", type=Path, help="the folder for the CSV files (default: grades/)")
    parser.add_argument("--assignment", action="append", metavar="NAME", help="only this assignment (repeatable)")
    parser.add_argument("--allow-ungraded", action="store_true",
                        help="export even though nothing has been graded yet")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    paths, data = write(course, out=args.out, assignments=args.assignment, allow_ungraded=args.allow_ungraded)
    learners = len({r.student_id for r in data})
    print(f"Wrote {', '.join(str(p) for p in paths)} ({learners} learners).")
    moderated = paths[0].parent / "moderation.csv"
    if moderated.is_file() and moderated.stat().st_mtime >= paths[0].stat().st_mtime - 1:
        print(f"Wrote {moderated}: the second and agreed marks, beside the first marks, with the markers' names.")
    for line in warnings_for(course, data):
        print(f"Warning: {line}")
    return 0
