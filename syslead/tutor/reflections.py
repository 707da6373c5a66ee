"""``syslead reflections ASSIGNMENT``: every learner's answer to each manually graded question, side by side.

It writes two files in ``reflections/`` under the course root (or ``--out``):

- ``ASSIGNMENT.html``: one self-contained page (no scripts, no external files), one section per manually
  graded question with its prompt and its mark scheme (both taken from the *source* notebook: the prompt is
  the markdown cell just above the answer cell, the mark scheme is the answer cell's text between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``), then each learner's answer with its word count, its
  score when there is one, and the Gibbs stages that :func:`syslead.learner.reflection.feedback` finds in it;
- ``ASSIGNMENT.csv``: the same, one row per learner and question (UTF-8 with a byte-order mark, so that
  Excel opens it with the right characters).

Answers are read from ``autograded/ID/ASSIGNMENT`` (what formgrader shows), or from ``submitted/`` for a
submission not autograded yet; scores come from the gradebook. ``--anonymise`` replaces learner ids with
codes such as ``L-3f9a2c`` (a keyed hash: the key is made once per course and kept in
``.syslead-anonymise-key``, so codes stay the same from run to run, and cannot be worked back to ids
without the key) and leaves names out.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from syslead.course import delimiters
from syslead.errors import CourseError
from syslead.grading.clean import clean_text, csv_cell
from syslead.grading.submissions import read_notebook, refused
from syslead.learner.reflection import STUB, feedback, kind_of
from syslead.tutor.course import Course, add_course_argument

HELP = "every answer to each reflection side by side, as one HTML page and a CSV (optionally anonymised)"

KEY_FILE = ".syslead-anonymise-key"


@dataclass
class Answer:
    student: str
    text: str
    words: int
    stages: tuple[str, ...]
    missing: tuple[str, ...]
    score: float | None
    needs_manual_grade: bool | None
    source: str  # autograded, submitted


@dataclass
class Question:
    grade_id: str
    notebook: str
    prompt: str
    mark_scheme: str
    points: float
    answers: list[Answer] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.prompt.strip().splitlines()[0] if self.prompt.strip() else self.grade_id
        return first.lstrip("#").strip() or self.grade_id


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_manually_graded(cell: dict) -> bool:
    """A written answer (markdown, graded, with a solution) or a task: nbgrader leaves these to a tutor."""
    meta = _meta(cell)
    return bool(meta.get("task")) or bool(meta.get("grade") and meta.get("solution") and cell.get("cell_type") == "markdown")


def questions(course: Course, assignment: str) -> list[Question]:
    """The manually graded questions of an assignment, read from its source notebooks (once per request
    within gradebook.request_cache)."""
    from syslead.tutor.gradebook import cached

    return list(cached(("questions", str(course.root), assignment), lambda: _questions(course, assignment)))


def _questions(course: Course, assignment: str) -> list[Question]:
    folder = course.folder("source") / assignment
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = _read_source(path).cells
        for i, cell in enumerate(cells):
            if not is_manually_graded(cell):
                continue
            prompt = ""
            for before in reversed(cells[:i]):
                if before.get("cell_type") == "markdown" and not _meta(before).get("solution"):
                    prompt = _text(before)
                    break
            text = _text(cell)
            d = delimiters()
            m = re.search(rf"^[^\n]*{re.escape(d.begin_solution)}[^\n]*\n?(.*?)\n?^[^\n]*{re.escape(d.end_solution)}",
                          text, flags=re.S | re.M)
            scheme = (m.group(1) if m else text).strip()
            found.append(Question(_meta(cell)["grade_id"], path.stem, prompt, scheme, float(_meta(cell).get("points", 0))))
    return found


def _read_source(path: Path):
    """A source notebook (the course's own, trusted), read with nbformat (version 4)."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _grades(course: Course, assignment: str) -> dict[tuple[str, str, str], tuple[float | None, bool]]:
    """(student, notebook, grade id) -> (score or None if not graded yet, needs manual grade)."""
    from syslead.tutor.gradebook import grades

    return {(g.student, g.notebook, g.cell): (g.score, g.needs_manual_grade) for g in grades(course, assignment)}


def anonymiser(course: Course):
    """A function id -> stable code, keyed by the course's secret (made on first use)."""
    key_path = course.root / KEY_FILE
    if not key_path.is_file():
        key_path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        key_path.chmod(0o600)
    key = key_path.read_text(encoding="utf-8").strip().encode()
    return lambda student: "L-" + hmac.new(key, student.encode(), hashlib.sha256).hexdigest()[:6]


def collect(course: Course, assignment: str, *, anonymise: bool = False,
            skipped: list[str] | None = None) -> list[Question]:
    """The questions of ``assignment`` with every learner's answer, score and Gibbs stage summary."""
    course.check_assignment(assignment)
    qs = questions(course, assignment)
    if not qs:
        raise CourseError(f"{assignment} has no manually graded questions (reflections) in source/.")
    submitted = course.require_submissions(assignment)
    grades = _grades(course, assignment) if course.has_gradebook() else {}
    code = anonymiser(course) if anonymise else (lambda s: s)
    autograded = course.folder("autograded")
    skipped = skipped if skipped is not None else []
    by_notebook: dict[str, list[Question]] = {}
    for q in qs:
        by_notebook.setdefault(q.notebook, []).append(q)
    for student, folder in submitted.items():
        try:
            bad = refused(folder)
            if bad:
                skipped.append(f"{student}: not read ({'; '.join(bad[:3])}); syslead never follows a link")
                continue
            for nb_name, nb_questions in by_notebook.items():
                path, where = autograded / student / assignment / f"{nb_name}.ipynb", "autograded"
                if not os.path.lexists(path):
                    path, where = folder / f"{nb_name}.ipynb", "submitted"
                cells = {}
                if os.path.lexists(path):
                    nb, why = read_notebook(path)
                    if why:
                        where = "unreadable"
                        skipped.append(f"{student}: {path.name} {why}; skipped")
                    else:
                        cells = {_meta(c).get("grade_id"): c for c in nb["cells"] if isinstance(c, dict)}
                for q in nb_questions:
                    cell = cells.get(q.grade_id)
                    text = _text(cell).strip() if cell else ""
                    if text.lstrip("*_ ").startswith(STUB):
                        text = ""
                    read = feedback(text, kind=kind_of(q.grade_id)) if text else None
                    score, needs = grades.get((student, nb_name, q.grade_id), (None, None))
                    q.answers.append(Answer(code(student), text, read.word_count if read else 0,
                                            tuple(read.stages) if read else (), tuple(read.missing) if read else (),
                                            score, needs, where if cell else "missing"))
        except Exception as error:  # one learner's submission never stops the others' reflections
            skipped.append(f"{student}: not read ({type(error).__name__}); skipped")
    for q in qs:
        q.answers.sort(key=lambda a: a.student)
    return qs


# --- output ---------------------------------------------------------------------------------------------

def _score(a: Answer, q: Question) -> str:
    if a.score is None:
        return "not graded yet" if a.text else "no score"
    flag = " (to review)" if a.needs_manual_grade else ""
    return f"{a.score:g} of {q.points:g}{flag}"


def _stages(a: Answer) -> str:
    if not a.text:
        return ""
    if not a.stages:
        return "Gibbs stages: none found"
    return f"Gibbs stages: {', '.join(a.stages)}; could not tell: {', '.join(a.missing) or 'none'}"


def templates():
    """The tutor pages' Jinja2 templates (syslead/tutor/templates/), autoescaped."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("syslead.tutor", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True))
    env.filters["num"] = lambda x: f"{x:g}"
    return env


def to_html(assignment: str, qs: list[Question], *, anonymised: bool) -> str:
    from syslead.tutor.render import markdown_html

    n = len({a.student for q in qs for a in q.answers})
    return templates().get_template("reflections.html.j2").render(
        assignment=assignment, questions=qs, learners=n, anonymised=anonymised, score=_score, stages=_stages,
        markdown=markdown_html)


CSV_COLUMNS = ["learner", "assignment", "notebook", "question", "points", "score", "needs_manual_grade",
               "words", "gibbs_stages", "gibbs_missing", "answer"]


def write_csv(path: Path, assignment: str, qs: list[Question]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for q in qs:
            for a in q.answers:
                w.writerow([csv_cell(x) for x in [a.student, assignment, q.notebook, q.grade_id, f"{q.points:g}",
                            "" if a.score is None else f"{a.score:g}",
                            "" if a.needs_manual_grade is None else str(a.needs_manual_grade).lower(),
                            a.words, "; ".join(a.stages), "; ".join(a.missing) if a.text else "", a.text]])


def write(course: Course, assignment: str, *, out: Path | None = None, anonymise: bool = False) -> tuple[Path, Path]:
    """Write ``ASSIGNMENT.html`` and ``ASSIGNMENT.csv``; returns their paths."""
    skipped: list[str] = []
    qs = collect(course, assignment, anonymise=anonymise, skipped=skipped)
    for line in skipped:
        print(clean_text(line))
    folder = Path(out) if out else course.root / "reflections"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "-anonymised" if anonymise else ""
    page, table = folder / f"{assignment}{suffix}.html", folder / f"{assignment}{suffix}.csv"
    for path in (page, table):
        if path.is_symlink():
            raise CourseError(f"{path} is a symbolic link: remove it (syslead never writes through a link), then "
                              "run this again.")
    page.write_text(to_html(assignment, qs, anonymised=anonymise), encoding="utf-8")
    write_csv(table, assignment, qs)
    return page, table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("assignment", help="the assignment (its folder name in source/)")
    parser.add_argument("--out", type=Path, help="the folder for the HTML and CSV (default: reflections/)")
    parser.add_argument("--anonymise", "--anonymize", action="store_true",
                        help="codes instead of learner ids (stable per course), and no names")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    page, table = write(course, args.assignment, out=args.out, anonymise=args.anonymise)
    print(f"Wrote {page} and {table}.")
    return 0
