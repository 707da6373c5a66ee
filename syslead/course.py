"""The course manifest, ``course.yml``: the one place that holds the course's facts.

:func:`load_course` reads it and checks every entry; a mistake raises :class:`ManifestError` with one
sentence that names the file, the entry and the fix. Everything that needs to know the assignments, their
notebooks, titles, minutes, objectives, graded cells, the journal's order or the demo cohort's topics
reads them from here, never from code.

Where the manifest is found: the path given; else the nearest ``course.yml`` in the working folder or
one of its parents (a course checkout, or a tutor's course root); else the copy the installed package
carries (a learner who only has the package).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from syslead.errors import CourseError

FILE_NAME = "course.yml"
KINDS = ("question", "reflection")
_ID = re.compile(r"^\d\d-[a-z0-9]+(-[a-z0-9]+)*$")
_GRADE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ManifestError(CourseError):
    """A mistake in course.yml, said in one sentence with the entry and the fix."""


@dataclass(frozen=True)
class Objective:
    id: str
    text: str


@dataclass(frozen=True)
class Section:
    title: str
    minutes: int


@dataclass(frozen=True)
class Graded:
    """One graded cell of a notebook (its nbgrader ``grade_id``)."""

    id: str
    kind: str  # "question" or "reflection"
    points: float
    objective: str | None
    answer_cell: str | None = None
    prompt_cell: str | None = None
    demo_topics: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    reading: str
    notebook: str
    objectives: tuple[Objective, ...]
    sections: tuple[Section, ...]
    graded: tuple[Graded, ...]
    due: _dt.datetime | None = None
    lms: dict[str, str] = field(default_factory=dict)

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.sections)

    @property
    def reflections(self) -> tuple[Graded, ...]:
        return tuple(g for g in self.graded if g.kind == "reflection")

    @property
    def questions(self) -> tuple[Graded, ...]:
        return tuple(g for g in self.graded if g.kind == "question")

    @property
    def points(self) -> float:
        return sum(g.points for g in self.graded)

    def cell(self, grade_id: str) -> Graded:
        for g in self.graded:
            if g.id == grade_id:
                return g
        raise KeyError(grade_id)


@dataclass(frozen=True)
class Page:
    notebook: str
    minutes: int


@dataclass(frozen=True)
class Course:
    path: Path
    id: str
    title: str
    words_per_minute: int
    start_page: Page
    journal: Page
    journal_order: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    late_policy: dict = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        known = ", ".join(a.id for a in self.assignments)
        raise ManifestError(f"There is no assignment {assignment_id!r} in {self.path.name}; it has: {known}.")

    @property
    def minutes(self) -> int:
        return self.start_page.minutes + sum(a.minutes for a in self.assignments) + self.journal.minutes


def find_manifest(start: Path | None = None) -> Path:
    """The course.yml that applies here (see the module's docstring for the order)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    packaged = Path(__file__).resolve().parent / FILE_NAME
    if packaged.is_file():
        return packaged
    raise ManifestError(f"No {FILE_NAME} was found in {here} or above it: run this from the course folder, or "
                        f"reinstall the course with 'pip install .'.")


def load_course(path: str | Path | None = None) -> Course:
    """Read and check the course manifest (cached per file and modification time)."""
    p = Path(path) if path is not None else find_manifest()
    if p.is_dir():
        p = p / FILE_NAME
    if not p.is_file():
        raise ManifestError(f"There is no course manifest at {p}: check the path, or run this from the course folder.")
    return _load(str(p.resolve()), p.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> Course:
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ManifestError(f"{p.name} is not valid YAML{where}: check the indentation and quotes there.") from None
    return _check(p, data)


# --------------------------------------------------------------------------------------------------
# Checking: one sentence for each mistake, naming the file, the entry and the fix.


class _Where:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, entry: str, problem: str, fix: str):
        raise ManifestError(f"{self.path.name}, {entry}: {problem}; {fix}.")


def _need(w: _Where, d: object, key: str, entry: str, kind: type | tuple, fix: str):
    if not isinstance(d, dict) or key not in d or d[key] is None:
        w.fail(entry, f"'{key}' is missing", fix)
    value = d[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        w.fail(entry, f"'{key}' should be {_kind_name(kind)}, not {value!r}", fix)
    return value


def _kind_name(kind) -> str:
    names = {str: "text", int: "a whole number", list: "a list", dict: "a mapping", float: "a number"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _minutes(w: _Where, d: dict, entry: str) -> int:
    m = _need(w, d, "minutes", entry, int, "give the minutes a learner needs as a whole number, such as 10")
    if m <= 0:
        w.fail(entry, f"'minutes' is {m}", "give a whole number of minutes above 0")
    return m


def _check(p: Path, data: object) -> Course:
    w = _Where(p)
    if not isinstance(data, dict):
        w.fail("the top level", "it should be a mapping with course, start_page, journal and assignments",
               "start from the copy in the course repository")
    course = _need(w, data, "course", "the top level", dict, "add a 'course:' section with id and title")
    cid = _need(w, course, "id", "course", str, "give nbgrader's course id, such as systems-leadership")
    title = _need(w, course, "title", "course", str, "give the course's title")
    wpm = course.get("reading_words_per_minute", 150)
    if not isinstance(wpm, int) or wpm <= 0:
        w.fail("course", f"'reading_words_per_minute' is {wpm!r}", "give a whole number such as 150")

    def page(key: str) -> Page:
        d = _need(w, data, key, "the top level", dict, f"add a '{key}:' section with notebook and minutes")
        nb = _need(w, d, "notebook", key, str, "give the notebook's .md twin, such as notebooks/00-start-here.md")
        return Page(nb, _minutes(w, d, key))

    start, journal = page("start_page"), page("journal")
    raw_assignments = _need(w, data, "assignments", "the top level", list, "list the assignments in course order")
    if not raw_assignments:
        w.fail("assignments", "the list is empty", "add at least one assignment")
    assignments = []
    seen_ids: set[str] = set()
    seen_cells: dict[str, str] = {}
    for i, a in enumerate(raw_assignments, start=1):
        entry = f"assignment {i}"
        aid = _need(w, a, "id", entry, str, "give the folder name in source/, such as 05-my-reading")
        entry = f"assignment {i} ({aid})"
        if not _ID.match(aid):
            w.fail(entry, f"the id {aid!r} is not of the form NN-kebab-case", "name it like 05-my-reading")
        if aid in seen_ids:
            w.fail(entry, f"the id {aid!r} appears twice", "give each assignment its own id")
        seen_ids.add(aid)
        objectives = []
        for j, o in enumerate(_need(w, a, "objectives", entry, list, "list what the learner will be able to do"), 1):
            oid = _need(w, o, "id", f"{entry}, objective {j}", str, "give it a short id such as o1")
            objectives.append(Objective(oid, _need(w, o, "text", f"{entry}, objective {oid}", str, "say it in a line")))
        objective_ids = {o.id for o in objectives}
        sections = []
        for j, s in enumerate(_need(w, a, "sections", entry, list, "list the notebook's ## headings with minutes"), 1):
            t = _need(w, s, "title", f"{entry}, section {j}", str, "give the '## ' heading as the notebook has it")
            sections.append(Section(t, _minutes(w, s, f"{entry}, section '{t}'")))
        graded = []
        for j, g in enumerate(_need(w, a, "graded", entry, list, "list the notebook's graded cells"), 1):
            gid = _need(w, g, "id", f"{entry}, graded cell {j}", str, "give the cell's nbgrader grade_id")
            gentry = f"{entry}, graded cell {gid!r}"
            if not _GRADE_ID.match(gid):
                w.fail(gentry, "a grade id uses lower-case letters, digits and hyphens", "rename it, such as check-levels")
            if gid in seen_cells:
                w.fail(gentry, f"the id is used by {seen_cells[gid]} too", "give each graded cell its own id")
            seen_cells[gid] = aid
            kind = _need(w, g, "kind", gentry, str, "say 'question' or 'reflection'")
            if kind not in KINDS:
                w.fail(gentry, f"kind is {kind!r}", "say 'question' or 'reflection'")
            points = _need(w, g, "points", gentry, (int, float), "give the points, such as 1 or 4")
            if points <= 0:
                w.fail(gentry, f"points is {points}", "give a number of points above 0")
            objective = g.get("objective")
            if objective is not None and objective not in objective_ids:
                w.fail(gentry, f"its objective {objective!r} is not one of {sorted(objective_ids)}",
                       "name one of the assignment's objective ids")
            topics = g.get("demo_topics") or {}
            if not isinstance(topics, dict) or not all(isinstance(v, list) for v in topics.values()):
                w.fail(gentry, "demo_topics should map subjects, ideas and actions to lists", "see the other entries")
            graded.append(Graded(gid, kind, points, objective, g.get("answer_cell"), g.get("prompt_cell"),
                                 {k: tuple(v) for k, v in topics.items()}))
        due = a.get("due")
        if due is not None:
            due = _parse_due(w, entry, due)
        lms = a.get("lms") or {}
        if not isinstance(lms, dict):
            w.fail(entry, "'lms' should map names to ids", "write it like  lms: {canvas_assignment_id: '123'}")
        assignments.append(Assignment(
            aid, _need(w, a, "title", entry, str, "give the notebook's title"),
            _need(w, a, "reading", entry, str, "give the reading's citation for the course map"),
            _need(w, a, "notebook", entry, str, f"give the .md twin, such as source/{aid}/{aid}.md"),
            tuple(objectives), tuple(sections), tuple(graded), due, {k: str(v) for k, v in lms.items()}))
    order = tuple(_need(w, data["journal"], "order", "journal", list,
                        "list the assignment ids in the order the journal shows them"))
    for aid in order:
        if aid not in seen_ids:
            w.fail("journal, order", f"{aid!r} is not an assignment", "use the ids listed under assignments")
    late_policy = data.get("late_policy") or {}
    extensions = data.get("extensions") or {}
    for key, value in (("late_policy", late_policy), ("extensions", extensions)):
        if not isinstance(value, dict):
            w.fail(key, "it should be a mapping", "see AUTHORING.md for its form")
    return Course(p, cid, title, wpm, start, journal, order, tuple(assignments), late_policy, extensions, data)


def _parse_due(w: _Where, entry: str, value: object) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M UTC", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(text, fmt).replace(tzinfo=_dt.UTC)
        except ValueError:
            continue
    w.fail(entry, f"the due date {text!r} is not understood", "write it as 2026-01-20 17:00:00 UTC")
    raise AssertionError  # unreachable: fail() raises
