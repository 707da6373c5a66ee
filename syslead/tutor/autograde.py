"""``syslead autograde ASSIGNMENT --jobs N``: nbgrader's autograde, in parallel, with one writer.

Why not just run ``nbgrader autograde`` N times at once? nbgrader writes grades into the gradebook while
it grades, and the default sqlite gradebook does not take concurrent writers (nbgrader issue #174).
So the work is split in two:

1. **Workers grade into their own gradebooks.** Before the run, the course gradebook is backed up
   (``backups/``) and copied once per worker into a private sqlite file (sqlite's online backup API; a
   server database such as PostgreSQL is copied table by table). Each worker is a separate process that
   runs nbgrader's own autograde (``nbgrader.apps.NbGraderAPI.autograde``, the call formgrader makes) for
   one learner at a time, against its private copy, on the course's real ``submitted/`` and
   ``autograded/`` folders (each learner's ``autograded/ID/ASSIGNMENT`` is written by one worker only).
   Because each private copy holds the course's gradebook as it was at the start, nbgrader sees exactly
   what a serial run sees (existing manual grades, extensions, due dates), so it computes the same
   auto scores, "needs manual grade" flags, auto comments and late penalties.
2. **One process writes the course gradebook.** After each learner, the worker reads back what nbgrader
   recorded for that submission and sends it to the parent, which writes it into the course gradebook
   through nbgrader's ``Gradebook`` API: the submission's timestamp, each notebook's late penalty, each
   grade's ``auto_score`` and ``needs_manual_grade``, each comment's ``auto_comment``. It never writes
   ``manual_score``, ``extra_credit`` or ``manual_comment``: a tutor's grades are never touched, and a
   grade that has a manual score stays flagged for review, as nbgrader does.

This works the same for the default sqlite gradebook and for any database nbgrader accepts through
``CourseDirectory.db_url`` (tested with PostgreSQL). Only one ``syslead`` writer runs at a time per course
(a lock file, ``.syslead-write.lock``).

Failures are isolated: a submission that nbgrader cannot grade, or a worker process that dies, marks that
learner as failed (its half-written ``autograded/`` folder is removed, as nbgrader does, and nothing is
recorded for it) and the others carry on; a new worker replaces a dead one. The full log of each failure is
appended to ``syslead-autograde.log`` in the course root. A full disk is not one learner's failure: the run
stops at the first learner it hits, with one sentence, and keeps every grade, submission and graded copy.

A learner's last graded copy is set aside while they are graded again, and put back if their new grades are
not saved. After a Ctrl-C (or a full disk) it is put back only once every worker has exited: nbgrader
answers a Ctrl-C by deleting the learner's ``autograded/ID/ASSIGNMENT`` once its kernel has stopped, and a
copy put back before that would be deleted, so that a re-run had nothing to compare the answers with and
asked again for every answer the tutor had marked (issue 26, trap 6).

Re-running is safe: a learner is skipped when ``autograded/ID/ASSIGNMENT`` exists, the gradebook has the
submission, and the collected submission is not newer than the graded one (nbgrader's own rule plus the
gradebook check); ``--force`` grades everyone again. The run ends with a table of who was graded, skipped
or failed, and why; a text progress bar shows while it runs.
"""

from __future__ import annotations

import argparse
import collections
import errno
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from syslead.errors import CourseError
from syslead.grading.clean import clean_text
from syslead.tutor.backup import writing
from syslead.tutor.course import (
    Course,
    add_course_argument,
    database_errors,
    is_sqlite,
    load_config,
    sqlite_path,
)
from syslead.walk import remove_tree

HELP = "autograde an assignment's submissions in parallel processes (same scores as nbgrader autograde)"

LOG_FILE = "syslead-autograde.log"


@dataclass
class Outcome:
    student: str
    status: str  # graded, skipped, failed
    reason: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    """What one run did: an outcome per learner, the time it took and the backup taken before it."""

    assignment: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    backup: Path | None = None
    jobs: int = 1

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def table(self) -> str:
        order = {"failed": 0, "refused": 1, "graded": 2, "skipped": 3}
        rows = sorted(self.outcomes, key=lambda o: (order[o.status], o.student))
        width = max([len("learner")] + [len(clean_text(o.student)) for o in rows])
        lines = [f"{'learner':<{width}}  result   time    why",
                 f"{'-' * width}  -------  ------  ---"]
        for o in rows:
            secs = f"{o.seconds:5.1f}s" if o.status != "skipped" else "     -"
            lines.append(f"{clean_text(o.student):<{width}}  {o.status:<7}  {secs}  {clean_text(o.reason)}")
        lines.append(f"{self.assignment}: {self.count('graded')} graded, {self.count('skipped')} skipped, "
                     f"{self.count('refused')} refused, {self.count('failed')} failed, in {self.seconds:.1f} s with {self.jobs} "
                     f"process{'es' if self.jobs != 1 else ''}.")
        return "\n".join(lines)


class Progress:
    """A text progress bar on stderr (a line per tenth when stderr is not a terminal)."""

    def __init__(self, total: int, label: str, stream=None, enabled: bool = True):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.counts: collections.Counter = collections.Counter()
        self._last_tenth = -1

    def step(self, status: str) -> None:
        self.done += 1
        self.counts[status] += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / self.total)
        bar = "#" * filled + "." * (30 - filled)
        text = (f"{self.label} [{bar}] {self.done}/{self.total}  graded {self.counts['graded']}, failed "
                f"{self.counts['failed']}  {elapsed:4.0f} s, about {left:4.0f} s left")
        if self.tty:
            self.stream.write("\r" + text + ("\n" if self.done == self.total else ""))
            self.stream.flush()
        elif self.done * 10 // self.total != self._last_tenth:
            self._last_tenth = self.done * 10 // self.total
            print(text, file=self.stream, flush=True)


# --- what a worker does ---------------------------------------------------------------------------------


def read_submission(gb, assignment: str, student: str) -> dict:
    """What autograde recorded for one submission, as plain data (the fields nbgrader's autograde writes)."""
    sub = gb.find_submission(assignment, student)
    st = sub.student
    return {
        "student": {"first_name": st.first_name, "last_name": st.last_name, "email": st.email,
                    "lms_user_id": st.lms_user_id},
        "timestamp": sub.timestamp,
        "seconds_late": sub.total_seconds_late,
        "notebooks": {
            nb.name: {
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": {g.name: (g.auto_score, bool(g.needs_manual_grade)) for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
            }
            for nb in sub.notebooks
        },
    }


#: The note nbgrader puts at the top of a graded cell that the learner deleted (and it puts back).
DELETED_NOTE = "*Cell deleted by the learner (id: {cell_id}).*\n\n"
DELETED_COMMENT = "cell deleted by the learner"


def deleted_cells(gb, root: Path, assignment: str, student: str) -> dict[str, list[str]]:
    """notebook -> the written answers (markdown grade cells) missing from the learner's collected notebook
    (they deleted them). A deleted code check is not listed: syslead.grading.repairs puts it back from the
    source and nbgrader runs it, so its score is the one it earned."""
    import nbformat

    out = {}
    for nb in gb.find_assignment(assignment).notebooks:
        path = root / "submitted" / student / assignment / f"{nb.name}.ipynb"
        if not path.is_file():
            continue
        there = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                 for c in nbformat.read(str(path), as_version=4).cells}
        gone = [g.name for g in nb.grade_cells if g.name not in there and g.cell_type == "markdown"]
        if gone:
            out[nb.name] = gone
    return out


def restore_deleted_answers(root: Path, assignment: str, student: str, deleted: dict[str, list[str]]) -> None:
    """Put each deleted written answer back into the learner's autograded notebook, as the released
    (blank) cell with a note, so that formgrader shows its score box. (Deleted code checks are put back
    before grading by syslead.grading.repairs, so they run; they are not touched here.)"""
    import nbformat

    for nb_name, gone in deleted.items():
        path = root / "autograded" / student / assignment / f"{nb_name}.ipynb"
        release = root / "release" / assignment / f"{nb_name}.ipynb"
        if not path.is_file() or not release.is_file():
            continue
        nb = nbformat.read(str(path), as_version=4)
        order = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in
                 nbformat.read(str(release), as_version=4).cells]
        released = {c.metadata.nbgrader["grade_id"]: c for c in nbformat.read(str(release), as_version=4).cells
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}
        changed = False
        for gid in gone:
            cell = released.get(gid)
            present = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
            if cell is None or cell.cell_type != "markdown" or gid in present:
                continue
            cell = nbformat.from_dict(dict(cell))
            cell.source = DELETED_NOTE.format(cell_id=gid) + cell.source
            at = order.index(gid)
            after = next((present.index(p) for p in reversed(order[:at]) if p and p in present), len(nb.cells) - 1)
            nb.cells.insert(after + 1, cell)
            changed = True
        if changed:
            nbformat.write(nb, str(path))


def answer_texts(folder: Path) -> dict[tuple[str, str], str]:
    """(notebook, grade id) -> the text of each graded cell in an autograded or submitted folder."""
    import nbformat

    out = {}
    if not folder.is_dir():
        return out
    for path in folder.glob("*.ipynb"):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # an unreadable notebook has no texts to compare
            continue
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid:
                out[(path.stem, gid)] = cell.source
    return out


def _error_line(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "Exception" in line) and not line.startswith(("File ", "Traceback", "raise ")):
            if "Please see the" in line or "There was an error processing" in line:
                continue
            return line.removeprefix("[ERROR] ")[:200]
    return (lines[-1] if lines else "no log")[:200]


def _worker(conn, root: str, db_url: str, assignment: str, log_path: str, sandbox: bool = True) -> None:
    """A worker process: autograde one learner at a time into a private gradebook, report back."""
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    os.dup2(log.fileno(), 2)  # nbgrader's and the kernels' chatter goes to the worker's log, not the screen
    sys.stderr = log
    try:
        from nbgrader.api import Gradebook
        from nbgrader.apps import NbGraderAPI

        os.chdir(root)
        config = load_config(Path(root))
        config.CourseDirectory.db_url = db_url
        # learners' code runs in the resource-limited kernel, with the repairs for tampered notebooks
        # (syslead.grading.pipeline, syslead.grading.sandbox; docs/grading-safely.md)
        from syslead.grading.pipeline import prepare_grading

        config = prepare_grading(config, Path(root), sandbox=sandbox)
        course_id = NbGraderAPI(config=config).coursedir.course_id or "default_course"
        with Gradebook(db_url, course_id) as gb:
            max_score = gb.find_assignment(assignment).max_score
        from syslead.tutor.late import configure

        configure(config, Course(Path(root), config).manifest(), assignment, max_score)
        api = NbGraderAPI(config=config)
        conn.send(("ready", os.getpid()))
        while True:
            student = conn.recv()
            if student is None:
                break
            started = time.perf_counter()
            try:
                result = api.autograde(assignment, student, force=True, create=True)
            except Exception:
                result = {"success": False, "error": traceback.format_exc()}
            record = None
            if result.get("success"):
                try:
                    with Gradebook(db_url, course_id) as gb:
                        record = read_submission(gb, assignment, student)
                        record["deleted"] = deleted_cells(gb, Path(root), assignment, student)
                    restore_deleted_answers(Path(root), assignment, student, record["deleted"])
                except Exception:
                    result = {"success": False, "error": traceback.format_exc(), "log": result.get("log")}
            conn.send(("done", student, bool(result.get("success")), record,
                       "" if result.get("success") else _error_line(result),
                       "" if result.get("success") else (result.get("log") or "") + (result.get("error") or ""),
                       time.perf_counter() - started))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


# --- the one writer -------------------------------------------------------------------------------------


def merge_submission(gb, assignment: str, student: str, record: dict,
                     unchanged: set[tuple[str, str]] | frozenset = frozenset()) -> None:
    """Write what a worker's autograde recorded into the course gradebook (never the manual fields).

    ``unchanged``: (notebook, grade id) of answers whose text is the same as when they were last graded; a
    tutor's manual grade of such an answer keeps its "graded" flag (nbgrader would ask for it again).
    A graded cell that the learner deleted scores 0 with the comment "cell deleted by the learner"; the
    tutor can change it in formgrader, which shows its score box (nbgrader puts the cell back)."""
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning

    try:
        gb.find_student(student)
    except MissingEntry:
        gb.add_student(student, **{k: v for k, v in record["student"].items() if v is not None})
    kwargs = {"timestamp": record["timestamp"]} if record["timestamp"] is not None else {}
    with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
        warnings.simplefilter("ignore", SAWarning)
        sub = gb.update_or_create_submission(assignment, student, **kwargs)
    try:
        for nb in sub.notebooks:
            got = record["notebooks"].get(nb.name)
            if got is None:
                continue
            nb.late_submission_penalty = got["late_submission_penalty"]
            deleted = set(record.get("deleted", {}).get(nb.name, ()))
            for grade in nb.grades:
                if grade.name in deleted:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = False
                elif grade.name in got["grades"]:
                    auto, needs = got["grades"][grade.name]
                    grade.auto_score = auto
                    if grade.manual_score is not None and (nb.name, grade.name) in unchanged:
                        continue  # the tutor graded this very text: their "graded" flag stands
                    # nbgrader's rule (SaveAutoGrades): a manual score, or no auto score, needs review
                    grade.needs_manual_grade = bool(needs or grade.manual_score is not None)
            for comment in nb.comments:
                if comment.name in deleted:
                    comment.auto_comment = DELETED_COMMENT
                elif comment.name in got["comments"]:
                    comment.auto_comment = got["comments"][comment.name]
        gb.db.commit()
    except Exception:
        gb.db.rollback()
        raise


def recorded(course: Course, assignment: str) -> dict[str, dict]:
    """Everything the gradebook holds for an assignment's submissions, learner by learner: timestamp,
    total score and, per notebook, the late penalty and each grade and comment (for comparing runs)."""
    out = {}
    with course.gradebook() as gb:
        for sub in gb.find_assignment(assignment).submissions:
            out[sub.student_id] = {
                "timestamp": str(sub.timestamp),
                "score": sub.score,
                "notebooks": {
                    nb.name: {
                        "late_submission_penalty": nb.late_submission_penalty,
                        "grades": {g.name: (g.auto_score, g.manual_score, g.extra_credit, bool(g.needs_manual_grade))
                                   for g in nb.grades},
                        "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
                    }
                    for nb in sub.notebooks
                },
            }
    return out


def already_graded(course: Course, gb, assignment: str, student: str) -> bool:
    """nbgrader's rule for skipping (autograded folder exists, submission not newer), and the gradebook
    has the submission."""
    from nbgrader.api import MissingEntry

    coursedir = course.coursedir()
    dest = course.folder("autograded") / student / assignment
    if not dest.is_dir():
        return False
    new = coursedir.get_existing_timestamp(str(course.folder("submitted") / student / assignment))
    old = coursedir.get_existing_timestamp(str(dest))
    if new is not None and old is not None and new > old:
        return False
    try:
        gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    return True


def snapshot(course: Course, dest: Path) -> str:
    """A private sqlite copy of the course gradebook for one worker; returns its URL."""
    from syslead.tutor.backup import copy_tables, sqlite_copy

    url = course.db_url
    if is_sqlite(url):
        sqlite_copy(sqlite_path(url), dest)
    else:
        copy_tables(url, f"sqlite:///{dest}")
    return f"sqlite:///{dest}"


class _Worker:
    def __init__(self, ctx, index: int, course: Course, assignment: str, tmp: Path, sandbox: bool = True):
        self.index = index
        path = tmp / f"worker-{index}-{time.monotonic_ns()}.db"
        url = snapshot(course, path)
        self.conn, child = ctx.Pipe()
        self.log = tmp / f"worker-{index}.log"
        self.proc = ctx.Process(target=_worker, args=(child, str(course.root), url, assignment, str(self.log), sandbox),
                                daemon=True)
        self.proc.start()
        child.close()
        self.student: str | None = None
        self.started = 0.0
        self.ready = False

    def send(self, student: str | None) -> None:
        self.student = student
        self.started = time.perf_counter()
        self.conn.send(student)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)
        self.conn.close()


def _halt(workers: list[_Worker], grace: float = 10.0) -> None:
    """After an interrupt or a full disk: wait until every worker has exited. A Ctrl-C reaches the workers
    too, and nbgrader answers it by deleting the learner's ``autograded/ID/ASSIGNMENT`` (its own clean-up of
    a failed submission) once the kernel has stopped, which can take seconds. Only once the workers have gone
    may a learner's last graded copy be put back, or that clean-up deletes the copy put back (issue 26,
    trap 6). Each worker is asked to stop after its learner; one still busy after ``grace`` seconds gets a
    SIGINT (nbgrader then stops and cleans up), then SIGTERM, then SIGKILL."""
    import signal

    for w in workers:
        try:
            w.conn.send(None)
        except (OSError, ValueError):
            pass
    for stop, wait_for in ((None, grace), (signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        alive = [w for w in workers if w.proc.is_alive()]
        if not alive:
            return
        for w in alive:
            if stop is not None:
                try:
                    os.kill(w.proc.pid, stop)
                except (OSError, ValueError, TypeError):
                    pass
        deadline = time.monotonic() + wait_for
        for w in alive:
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))


def _previous(course: Course, assignment: str, student: str) -> Path:
    return course.folder("autograded") / student / f".{assignment}.syslead-previous"


def _set_aside(course: Course, assignment: str, student: str) -> None:
    """Move the learner's last autograded copy aside before grading again: it comes back on a failure."""
    dest = course.folder("autograded") / student / assignment
    aside = _previous(course, assignment, student)
    if aside.exists() and not dest.exists():
        return  # a run that stopped: the copy set aside is the last good one
    if aside.exists():
        remove_tree(aside)
    if dest.exists():
        dest.rename(aside)


def _keep_new(course: Course, assignment: str, student: str) -> None:
    aside = _previous(course, assignment, student)
    if aside.exists():
        remove_tree(aside)


def _remove_partial(course: Course, assignment: str, student: str) -> None:
    """After a failure: remove the half-written copy and put the last good one back (never lose work)."""
    dest = course.folder("autograded") / student / assignment
    aside = _previous(course, assignment, student)
    if dest.exists():
        remove_tree(dest)
    if aside.exists():
        aside.rename(dest)


def autograde(assignment: str, *, course: Course | None = None, jobs: int = 2, force: bool = False,
              students: list[str] | None = None, progress: bool = True, quiet: bool = False,
              sandbox: bool = True) -> Report:
    """Autograde ``assignment`` with ``jobs`` worker processes; returns a :class:`Report`.

    ``sandbox``: run learners' code in the bubblewrap sandbox (see :mod:`syslead.grading.sandbox`); where it
    cannot run, refuse with one sentence. A submission with a link, device or FIFO in it, or a notebook that
    is huge or nested too deeply, is refused (not graded) and named in the table; the others are graded."""
    course = course or Course.find()
    if jobs < 1:
        raise CourseError("--jobs must be at least 1.")
    cores = os.cpu_count() or 1
    if jobs > cores:
        if not quiet:
            print(f"Note: --jobs {jobs} is more than this machine's {cores} cores; using {cores} (more "
                  f"processes than cores only makes each one slower).")
        jobs = cores
    course.check_assignment(assignment, in_gradebook=True)
    check_writable(course)
    from syslead.tutor.late import check_policy

    manifest = course.manifest()
    if manifest is not None:
        check_policy(manifest.late_policy)
    submitted = course.require_submissions(assignment)
    if not quiet:  # a misspelt extension would be ignored without a word, and its learner penalised in full
        from syslead.tutor.classlist import (
            extension_problems,
            not_learner_sentence,
            not_learners,
            unlisted_sentences,
        )

        others = not_learner_sentence(not_learners(course, submitted), "the export and the feedback")
        for line in [*extension_problems(course, manifest), *unlisted_sentences(course, submitted),
                     *([others] if others else [])]:
            print(f"Warning: {line}")
    if students:
        unknown = [s for s in students if s not in submitted]
        if unknown:
            raise CourseError(f"{unknown[0]} has no collected submission of {assignment}: check the id, or run "
                              f"'nbgrader collect {assignment}'.")
        submitted = {s: submitted[s] for s in students}
    if sandbox:
        from syslead.grading.sandbox import unavailable

        why = unavailable()
        if why:
            raise CourseError(why)
    report = Report(assignment, jobs=jobs)
    started = time.perf_counter()
    todo: list[str] = []
    from syslead.grading.submissions import screen

    with course.gradebook() as gb:
        for student in submitted:
            try:
                problems = screen(course.folder("submitted") / student / assignment)
            except Exception as error:  # one learner's submission never stops the others' grading
                problems = [f"it could not be read ({type(error).__name__})"]
            if problems:  # never graded: a link could lead nbgrader to another learner's files
                report.outcomes.append(Outcome(student, "refused", "not graded: " + "; ".join(problems[:3])))
                continue
            if not force and already_graded(course, gb, assignment, student):
                report.outcomes.append(Outcome(student, "skipped", "already graded (--force grades it again)"))
            else:
                todo.append(student)
    if todo:
        with writing(course, f"before autograde {assignment}") as saved:
            report.backup = saved
            from syslead.tutor.late import set_due_date

            set_due_date(course, assignment)
            _run(course, assignment, todo, jobs, report, Progress(len(todo), assignment, enabled=progress),
                 sandbox=sandbox)
    report.seconds = time.perf_counter() - started
    if not quiet:
        print(report.table())
        from syslead.grading.report import report_table, unusual

        graded = [o.student for o in report.outcomes if o.status != "skipped"]
        if graded:
            print(report_table(unusual(course.root, assignment, students=graded), assignment))
        if report.failed:
            print(f"The full log of each failure is in {course.root / LOG_FILE}.")
    return report


def check_writable(course: Course) -> None:
    """Stop before grading when the gradebook or the autograded folder cannot be written."""
    url = course.db_url
    if is_sqlite(url):
        path = sqlite_path(url)
        if path.exists() and not os.access(path, os.W_OK):
            raise CourseError(f"The gradebook {path} is read-only, so no grade could be saved: make it writable "
                              f"(chmod u+w {path.name}) and run this again; nothing was changed.")
        if not os.access(path.parent, os.W_OK):
            raise CourseError(f"The folder {path.parent} is read-only, so the gradebook cannot be saved: make "
                              f"it writable and run this again; nothing was changed.")
    folder = course.folder("autograded")
    if folder.exists() and not os.access(folder, os.W_OK):
        raise CourseError(f"The folder {folder} is read-only, so graded copies cannot be written: make it "
                          f"writable and run this again; nothing was changed.")


def _run(course: Course, assignment: str, todo: list[str], jobs: int, report: Report, bar: Progress,
         sandbox: bool = True) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = collections.deque(todo)
    tmp = Path(tempfile.mkdtemp(prefix="syslead-autograde-"))
    workers: list[_Worker] = []
    failures: list[tuple[str, str]] = []
    before: dict[str, dict] = {}  # learner -> answer texts of their last autograded copy
    pending: set[str] = set()  # learners whose last graded copy is set aside and whose new grades are not saved
    manifest = course.manifest()
    policy = manifest.late_policy if manifest else {}

    def fail(student: str, reason: str, log: str, seconds: float) -> None:
        _remove_partial(course, assignment, student)
        pending.discard(student)
        report.outcomes.append(Outcome(student, "failed", reason, seconds))
        failures.append((student, log))
        bar.step("failed")

    try:
        with course.gradebook() as gb:
            workers = [_Worker(ctx, i, course, assignment, tmp, sandbox) for i in range(min(jobs, len(queue)))]
            while workers:
                for w in workers:
                    if w.ready and w.student is None and queue:
                        student = queue.popleft()
                        pending.add(student)
                        _set_aside(course, assignment, student)
                        before[student] = answer_texts(_previous(course, assignment, student))
                        w.send(student)
                idle = [w for w in workers if w.ready and w.student is None]
                if not queue and len(idle) == len(workers):
                    break
                waiting = {w.conn: w for w in workers}
                waiting.update({w.proc.sentinel: w for w in workers})
                for obj in wait(list(waiting)):
                    w = waiting[obj]
                    if w not in workers:
                        continue
                    try:
                        if obj is w.proc.sentinel and not w.conn.poll():
                            raise EOFError
                        message = w.conn.recv()
                    except (EOFError, OSError):
                        code = w.proc.exitcode
                        if w.student is not None:
                            fail(w.student, f"the grading process stopped unexpectedly (exit code {code})",
                                 w.log.read_text(errors="replace")[-5000:] if w.log.exists() else "",
                                 time.perf_counter() - w.started)
                        elif not w.ready:
                            log = w.log.read_text(errors="replace")[-2000:] if w.log.exists() else ""
                            raise CourseError(f"A grading process could not start (exit code {code}); its "
                                              f"last words: {log.strip().splitlines()[-1] if log.strip() else 'none'}.") from None
                        w.stop()
                        workers.remove(w)
                        if queue:
                            workers.append(_Worker(ctx, w.index, course, assignment, tmp, sandbox))
                        continue
                    if message[0] == "ready":
                        w.ready = True
                        continue
                    _, student, ok, record, reason, log, seconds = message
                    w.student = None
                    if not ok:
                        fail(student, _renamed(course, assignment, student) or f"nbgrader could not grade it: {reason}",
                             log, seconds)
                        if disk_full(reason):  # nbgrader itself could not write: every other learner would fail too
                            raise OSError(errno.ENOSPC, DISK_FULL)
                        continue
                    now = answer_texts(course.folder("autograded") / student / assignment)
                    old = before.pop(student, {})
                    unchanged = {k for k, text in now.items() if k in old and old[k] == text}
                    try:
                        with database_errors(course.db_url):
                            merge_submission(gb, assignment, student, record, unchanged)
                    except Exception as error:
                        fail(student, f"its grades could not be saved: {error}", traceback.format_exc(), seconds)
                        if disk_full(str(error)):
                            raise OSError(errno.ENOSPC, DISK_FULL) from error
                        continue
                    _keep_new(course, assignment, student)
                    pending.discard(student)
                    report.outcomes.append(Outcome(student, "graded", _note(record, policy), seconds))
                    bar.step("graded")
    except BaseException:
        # stopped (Ctrl-C, or an error of this process): first every worker has gone, then each learner
        # whose grades were not saved gets their last graded copy back, which matches the gradebook
        _halt(workers)
        for student in sorted(pending):
            _remove_partial(course, assignment, student)
        raise
    finally:
        for w in workers:
            w.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if failures:
            try:
                with open(course.root / LOG_FILE, "a", encoding="utf-8") as f:
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                    for student, log in failures:
                        f.write(f"===== {stamp} autograde {assignment} {student}: failed\n{log}\n")
            except OSError:  # a full disk: the failures' one sentence is said anyway, and nothing else is lost
                pass


DISK_FULL = "No space left on device"


def disk_full(text: str) -> bool:
    """Whether a failure's message or log says the disk (or the gradebook's database) is full."""
    return any(sign in text for sign in ("No space left on device", "[Errno 28]", "database or disk is full",
                                         "The disk is full"))


def _renamed(course: Course, assignment: str, student: str) -> str | None:
    """The sentence for a submission whose notebook was renamed or deleted (nbgrader's own error would send
    the tutor to generate_assignment), or None."""
    folder = course.folder("submitted") / student / assignment
    expected = sorted(p.name for p in (course.folder("release") / assignment).glob("*.ipynb"))
    found = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    absent = [name for name in expected if name not in found]
    if not absent:
        return None
    return (f"{', '.join(absent)} is not in the submission (it has {', '.join(found) or 'no notebook'}): the "
            f"learner renamed or deleted it; ask them to submit it again under its own name.")


def _note(record: dict, policy: dict | None = None) -> str:
    from syslead.tutor.late import describe

    waiting = sum(needs for nb in record["notebooks"].values() for _, needs in nb["grades"].values())
    penalty = sum(nb["late_submission_penalty"] or 0 for nb in record["notebooks"].values())
    deleted = sorted(g for v in record.get("deleted", {}).values() for g in v)
    parts = [f"{waiting} answer{'s' if waiting != 1 else ''} to grade by hand" if waiting else "fully graded"]
    late = record.get("seconds_late") or 0
    if late > 0:
        parts.append(f"{late / 3600:.1f} hours late, {penalty:g} point{'s' if penalty != 1 else ''} off "
                     f"({describe(policy or {})})")
    if deleted:
        parts.append(f"deleted by the learner (scored 0; formgrader shows the score box): {', '.join(deleted)}")
    return ", ".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("assignment", help="the assignment (its folder name in source/)")
    parser.add_argument("--jobs", "-j", type=int, default=min(4, os.cpu_count() or 1),
                        help="how many submissions to grade at once (default: the number of cores, at most 4)")
    parser.add_argument("--force", action="store_true", help="grade again submissions that are already graded")
    parser.add_argument("--student", action="append", metavar="ID", help="only this learner (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run learners' code with your own rights, outside the sandbox (only for code you trust)")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    try:
        report = autograde(args.assignment, course=course, jobs=args.jobs, force=args.force,
                           students=args.student, progress=not args.no_progress, sandbox=not args.unsafe_no_sandbox)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise CourseError("The disk is full, so autograde stopped: free some space and run it again; every "
                              "grade, submission and last graded copy is kept.") from error
        raise
    return 1 if report.failed else 0
