"""The tutor's report of anything unusual after autograding (:func:`unusual`, :func:`report_table`), and
:func:`clean_text`, which every learner-derived string printed to a terminal goes through.

After autograding: one row per thing a tutor should know about each submission (cells that were edited and
restored from the source, cells that timed out, limits the grading sandbox enforced, missing or unexpected
files, submissions nbgrader could not grade or that were refused). Printed by ``syslead autograde`` and
``syslead sandbox report``; callable from the tutor dashboard.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from syslead.grading.clean import clean_text


def course_config(root: Path):
    """The course's nbgrader configuration (its nbgrader_config.py), rooted at ``root``."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (Path(root) / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    return config


#: error names in an autograded notebook, and what the tutor should read for them
ERRORS = {
    "CellTimeoutError": ("timeout", "a cell ran past the time limit and was stopped"),
    "MemoryError": ("limit", "memory limit hit"),
    "CPUTimeLimit": ("limit", "CPU-time limit hit"),
    # the sandbox has no network, so a cell that stops with this could not start another process (EAGAIN);
    # an answer cell's message is replaced by one sentence (syslead.grading.answers), its name is kept
    "BlockingIOError": ("limit", "process limit hit"),
}
MESSAGES = [
    (re.compile(r"Resource temporarily unavailable"), "limit", "process limit hit"),
    (re.compile(r"File too large"), "limit", "file-size limit hit"),
    (re.compile(r"Network is unreachable|Connection refused|Temporary failure in name resolution"), "blocked",
     "tried to use the network (the sandbox has none)"),
    (re.compile(r"output was cut"), "limit", "output cut at the size limit"),
    (re.compile(r"\.\.\. Output truncated \.\.\."), "limit", "over 1000 lines of output (cut by nbgrader)"),
    (re.compile(r"Operation not permitted"), "blocked", "was refused an operation (such as signalling the grader)"),
    (re.compile(r"Read-only file system"), "blocked", "tried to write outside its own folder"),
]


@dataclass(frozen=True)
class Row:
    student: str
    notebook: str
    kind: str  # failed, refused, missing, restored, timeout, limit, blocked, file, process
    detail: str


def _release_cells(path: Path) -> dict[str, dict]:
    """The cells of the release notebook (what each learner started from) that carry a grade id."""
    cells = {}
    if not path.is_file():
        return cells
    for cell in nbformat.read(str(path), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            cells[meta["grade_id"]] = {"cell_type": cell.cell_type, "source": cell.source,
                                       "locked": bool(meta.get("locked") or meta.get("grade") and
                                                      not meta.get("solution")),
                                       "points": meta.get("points")}
    return cells


def _compare(student: str, notebook: str, nb, release: dict[str, dict]) -> list[Row]:
    rows = []
    seen: dict[str, int] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        seen[grade_id] = seen.get(grade_id, 0) + 1
        want = release.get(grade_id)
        if want is None or seen[grade_id] > 1:
            continue
        if cell.cell_type != want["cell_type"]:
            rows.append(Row(student, notebook, "restored", f"cell {grade_id} was changed from {want['cell_type']} "
                                                           f"to {cell.cell_type}; nbgrader changed it back"))
        elif want["locked"] and cell.source != want["source"]:
            rows.append(Row(student, notebook, "restored", f"locked cell {grade_id} was edited; graded with the "
                                                           "source version"))
        if meta.get("points") != want["points"] and want["points"] is not None:
            rows.append(Row(student, notebook, "restored", f"cell {grade_id}: points changed to {meta.get('points')}; "
                                                           f"the gradebook's {want['points']} count"))
    for grade_id, count in seen.items():
        if count > 1 and grade_id in release:
            rows.append(Row(student, notebook, "restored", f"cell {grade_id} appears {count} times; the extra copies "
                                                           "are graded as plain cells"))
    missing = sorted(g for g in release if g not in seen)
    if missing and not seen:
        rows.append(Row(student, notebook, "restored", "all nbgrader metadata was removed; the checks were put "
                                                       "back from the source"))
    elif missing:
        rows.append(Row(student, notebook, "restored", f"cells deleted: {', '.join(missing)} (checks are put back "
                                                       "from the source)"))
    return rows


def _outputs(student: str, notebook: str, nb) -> list[Row]:
    rows = []
    for index, cell in enumerate(nb.cells):
        label = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        found: dict[str, str] = {}
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") in ERRORS:
                kind, text = ERRORS[out["ename"]]
                found[text] = kind
            blob = out.get("text", "") if out.get("output_type") == "stream" else (
                f"{out.get('ename', '')}: {out.get('evalue', '')}" if out.get("output_type") == "error" else "")
            for pattern, kind, text in MESSAGES:
                if pattern.search(blob):
                    found[text] = kind
        rows += [Row(student, notebook, kind, f"{label}: {text}") for text, kind in found.items()]
    return rows


def _records(root: Path, student: str, assignment: str) -> list[dict]:
    folder = root / ".syslead" / "sandbox-runs"
    prefix = "__".join(("autograded", student, assignment)) + "--"
    found = []
    if folder.is_dir():
        for path in sorted(folder.glob(prefix + "*.json"), key=lambda p: p.stat().st_mtime):
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                pass
    return found


def unusual(root: Path | str, assignment: str, students: list[str] | None = None,
            since: float | None = None) -> list[Row]:
    """Anything a tutor should know about each submission of ``assignment`` after autograding: rows of
    (learner, notebook, kind, detail). Reads the course's submitted/ and autograded/ folders, the gradebook
    (for the source version of each cell) and the grading sandbox's run records (those since ``since``)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI

    from syslead.grading.clean import looks_unsafe
    from syslead.grading.submissions import screen

    root = Path(root)
    config = course_config(root)
    api = NbGraderAPI(config=config)
    coursedir = api.coursedir
    submitted_dir = root / coursedir.submitted_directory
    autograded_dir = root / coursedir.autograded_directory
    rows: list[Row] = []
    with Gradebook(coursedir.db_url, coursedir.course_id or "default_course") as gb:
        try:
            expected = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return [Row("-", "-", "failed", f"{assignment} is not in the gradebook")]
        release = root / coursedir.release_directory / assignment
        sources = {name: _release_cells(release / f"{name}.ipynb") for name in expected}
        learners = students or sorted(p.name for p in submitted_dir.iterdir()
                                      if (p / assignment).is_dir()) if submitted_dir.is_dir() else []
        for student in learners:
            folder = submitted_dir / student / assignment
            problems = screen(folder)
            if problems:
                rows += [Row(student, "-", "refused", f"not graded: {p}") for p in problems]
                continue
            found = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
            for extra in sorted(set(found) - {f"{n}.ipynb" for n in expected}):
                rows.append(Row(student, extra, "missing", "unexpected notebook, not graded (wrong name?)"))
            for name in expected:
                fname = f"{name}.ipynb"
                if fname not in found:
                    rows.append(Row(student, fname, "missing", "notebook missing: graded as 0"))
                    continue
                try:
                    nb = nbformat.read(str(folder / fname), as_version=4)
                except Exception as error:
                    reason = "the file is empty" if (folder / fname).stat().st_size == 0 else (
                        f"not a readable notebook ({type(error).__name__})")
                    rows.append(Row(student, fname, "failed", f"{reason}: not graded; ask for it again"))
                    continue
                rows += _compare(student, fname, nb, sources[name])
                if looks_unsafe(nb):
                    rows.append(Row(student, fname, "blocked", "script or unsafe HTML in the notebook was removed; "
                                                               "formgrader and the feedback show the cleaned copy"))
                graded = autograded_dir / student / assignment / fname
                if not graded.is_file():
                    rows.append(Row(student, fname, "failed", "nbgrader could not grade it: see its log"))
                    continue
                try:
                    rows += _outputs(student, fname, nbformat.read(str(graded), as_version=4))
                except Exception:
                    rows.append(Row(student, fname, "failed", "the graded notebook cannot be read"))
            for record in _records(root, student, assignment):
                if since is not None and record.get("started", 0) < since:
                    continue
                rows += _record_rows(student, record)
    return rows


BLOCKED = {"file": "tried to open {detail}, which the sandbox hides",
           "network": "tried to connect to {detail} (the sandbox has no network)",
           "abstract socket": "tried an abstract Unix socket {detail} (the sandbox has no network)",
           "unix socket": "tried the Unix socket {detail}, which the sandbox hides",
           "signal": "tried to signal {detail}, outside the sandbox or its first process (nothing happened)"}


def _record_rows(student: str, record: dict) -> list[Row]:
    rows = []
    for note in record.get("skipped_files", []):
        rows.append(Row(student, "-", "file", f"left out of the grading copy: {note}"))
    for event in record.get("events", []):
        text = BLOCKED.get(event.get("kind"), "tried {detail} (refused by the sandbox)")
        rows.append(Row(student, "-", "blocked", text.format(detail=event.get("detail", ""))))
    if record.get("setup_error"):
        rows.append(Row(student, "-", "failed", f"the grading sandbox could not start: {record['setup_error']}"))
    if record.get("memory_limit"):
        rows.append(Row(student, "-", "limit", f"the sandbox's processes together passed {record['limits']['memory_mb']} "
                                               "MB: it was stopped"))
    if record.get("wall_time_limit"):
        rows.append(Row(student, "-", "timeout", f"the kernel was stopped after {record['limits']['wall_seconds']} s"))
    if record.get("processes_at_end"):
        rows.append(Row(student, "-", "process", f"{record['processes_at_end']} processes still running when the "
                                                 "notebook ended: killed with the sandbox"))
    if record.get("terminal_output_cut"):
        rows.append(Row(student, "-", "limit", f"{record['terminal_output_bytes'] / 1e6:.1f} MB written to the "
                                               "terminal, cut"))
    return rows


def report_table(rows: list[Row], assignment: str = "") -> str:
    """The report as a plain-text table for the terminal (nothing unusual: one line that says so)."""
    if not rows:
        return f"Nothing unusual in the submissions{' of ' + assignment if assignment else ''}."
    # every field may come from a learner (a file name, a sandbox event): control characters shown escaped
    rows = [Row(clean_text(r.student), clean_text(r.notebook), r.kind, clean_text(r.detail)) for r in rows]
    width = max(len("learner"), *(len(r.student) for r in rows))
    kinds = max(len("what"), *(len(r.kind) for r in rows))
    lines = [f"Unusual submissions{' of ' + assignment if assignment else ''}:",
             f"{'learner':<{width}}  {'what':<{kinds}}  detail", f"{'-' * width}  {'-' * kinds}  ------"]
    last = None
    for r in sorted(rows, key=lambda r: r.student):
        who = r.student if r.student != last else ""
        last = r.student
        where = "" if r.notebook in ("-", "") else f"{r.notebook}: "
        lines.append(f"{who:<{width}}  {r.kind:<{kinds}}  {where}{r.detail}")
    return "\n".join(lines)


def report_frame(rows: list[Row]):
    """The report as a pandas DataFrame (for the tutor dashboard)."""
    import pandas as pd

    return pd.DataFrame([r.__dict__ for r in rows], columns=["student", "notebook", "kind", "detail"])
