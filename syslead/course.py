"""The course manifest, ``course.yml``: the one place that holds the course's facts.

:func:`load_course` reads it and checks every entry; a mistake raises :class:`ManifestError` with one
sentence that names the file, the entry and the fix. Everything that needs to know the assignments, their
notebooks, titles, minutes, objectives, graded cells, the journal's order or the demo cohort's topics
reads them from here, never from code.

Where the manifest is found: the path given; else the nearest ``course.yml`` in the working folder or
one of its parents that is a course folder, one that also holds ``notebooks/``, ``release/`` or
``source/`` (a course checkout, a learners' copy, or a tutor's course root: a stray ``course.yml`` in
``/tmp`` or a home folder is not taken for the course); else the copy the installed package
carries (a learner who only has the package), or the checkout an editable install points at.

:func:`check_notebooks` compares the manifest with the source notebooks (graded cells, their kinds and
points, the cells they name, the ``## `` section titles), and :func:`delimiters` gives nbgrader's own
solution and hidden-test markers, as nbgrader (and the course's ``nbgrader_config.py``) configure them.
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
#: What a reflection asks for (``reflection_kind``); the advice asks only the questions that fit it
#: (syslead.learner.reflection_advice.KIND_STAGES).
REFLECTION_KINDS = ("experience", "reading", "plan", "self-rating", "review")
OPTIONAL_SECTION = "If you want more"  # the optional section: its time is not counted
TOPIC_KEYS = ("subjects", "ideas", "actions")
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
    reflection_kind: str | None = None  # a reflection's: one of REFLECTION_KINDS


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
    opening: int = 0  # minutes for the text before the first '## ' heading (title, objectives, how to use it)
    second_part: str | None = None  # the section that starts the second part, for a notebook done in two parts

    @property
    def minutes(self) -> int:
        return self.opening + sum(s.minutes for s in self.sections)

    @property
    def part_minutes(self) -> tuple[int, ...]:
        """The minutes of each part: one, or two when the notebook is done in two parts (second_part)."""
        if not self.second_part:
            return (self.minutes,)
        at = [s.title for s in self.sections].index(self.second_part)
        first = self.opening + sum(s.minutes for s in self.sections[:at])
        return (first, self.minutes - first)

    @property
    def reflections(self) -> tuple[Graded, ...]:
        return tuple(g for g in self.graded if g.kind == "reflection")

    @property
    def questions(self) -> tuple[Graded, ...]:
        return tuple(g for g in self.graded if g.kind == "question")

    @property
    def points(self) -> float:
        return sum(g.points for g in self.graded)

    @property
    def cell_ids(self) -> tuple[str, ...]:
        """Every nbgrader cell id the manifest names: the graded cells, their answer cells and prompts."""
        ids: list[str] = []
        for g in self.graded:
            ids += [x for x in (g.answer_cell, g.id, g.prompt_cell) if x]
        return tuple(dict.fromkeys(ids))

    @property
    def source_notebook(self) -> str:
        """The notebook nbgrader reads (the .md twin's .ipynb), relative to the course root."""
        return str(Path(self.notebook).with_suffix(".ipynb"))

    def cell(self, grade_id: str) -> Graded:
        for g in self.graded:
            if g.id == grade_id:
                return g
        raise KeyError(grade_id)


@dataclass(frozen=True)
class Page:
    notebook: str
    minutes: int
    summary: str = ""  # what the page is, for the course map


@dataclass(frozen=True)
class Publish:
    """Where a course team publishes the learners' copy (``syslead publish``) and the web book.

    Every field is optional: without ``repository`` there is no Binder badge and no launch buttons;
    ``binder_url`` defaults to mybinder.org, ``branch`` to ``learners``; ``hub_url`` adds a JupyterHub
    launch button (through nbgitpuller); ``web_url`` is where the web book is served.
    """

    repository: str | None = None
    branch: str = "learners"
    binder_url: str | None = "https://mybinder.org"
    hub_url: str | None = None
    web_url: str | None = None


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
    dashboard_demo: tuple[str, ...] = ()
    publish: Publish = field(default_factory=Publish)
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

    def in_journal_order(self) -> tuple[Assignment, ...]:
        """The assignments in the order the learning journal shows them."""
        return tuple(self.assignment(aid) for aid in self.journal_order)

    def graded_cell(self, grade_id: str) -> tuple[Assignment, Graded] | None:
        """The assignment and graded cell with this nbgrader grade id, or None."""
        for a in self.assignments:
            for g in a.graded:
                if g.id == grade_id:
                    return a, g
        return None


#: a folder with course.yml and one of these is a course: a checkout, a learners' copy, a course root.
COURSE_FOLDERS = ("notebooks", "release", "source")


def is_course_folder(folder: Path) -> bool:
    """Whether ``folder`` is a course's own folder (its course.yml sits beside its notebooks)."""
    return any((folder / name).is_dir() for name in COURSE_FOLDERS)


def find_manifest(start: Path | None = None) -> Path:
    """The course.yml that applies here (see the module's docstring for the order)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file() and is_course_folder(folder):
            return candidate
    package = Path(__file__).resolve().parent
    for candidate in (package / FILE_NAME, package.parent / FILE_NAME):  # a wheel's copy; an editable checkout
        if candidate.is_file():
            return candidate
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
        summary = d.get("summary", "")
        if not isinstance(summary, str):
            w.fail(key, f"'summary' should be text, not {summary!r}", "say in a line what the page is")
        return Page(nb, _minutes(w, d, key), summary)

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
            optional = t == OPTIONAL_SECTION and not s.get("minutes")  # not counted: no minutes, or 0
            sections.append(Section(t, 0 if optional else _minutes(w, s, f"{entry}, section '{t}'")))
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
            if not isinstance(topics, dict):
                w.fail(gentry, "demo_topics should map subjects, ideas and actions to lists", "see the other entries")
            for key, value in topics.items():
                if key == "ratings":
                    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 20:
                        w.fail(gentry, f"demo_topics' ratings is {value!r}",
                               "give how many 1-5 ratings the demo learner lists first, such as 9")
                elif key not in TOPIC_KEYS:
                    w.fail(gentry, f"demo_topics has {key!r}", f"use only {', '.join(TOPIC_KEYS)} and ratings")
                elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                    w.fail(gentry, f"demo_topics' {key} should be a list of phrases", "see the other entries")
            if topics and kind != "reflection":
                w.fail(gentry, "only reflections have demo_topics", "move them to a reflection")
            for key, want in (("answer_cell", "question"), ("prompt_cell", "reflection")):
                value = g.get(key)
                if value is not None and (not isinstance(value, str) or not _GRADE_ID.match(value)):
                    w.fail(gentry, f"{key} is {value!r}", "give the nbgrader grade_id of that cell")
                if value is not None and kind != want:
                    w.fail(gentry, f"a {kind} has no {key}", f"remove it, or make the cell a {want}")
            reflection_kind = g.get("reflection_kind")
            if kind == "reflection" and reflection_kind not in REFLECTION_KINDS:
                w.fail(gentry, f"reflection_kind is {reflection_kind!r}",
                       f"say what the reflection asks for: one of {', '.join(REFLECTION_KINDS)}")
            if kind != "reflection" and reflection_kind is not None:
                w.fail(gentry, "a question has no reflection_kind", "remove it, or make the cell a reflection")
            graded.append(Graded(gid, kind, points, objective, g.get("answer_cell"), g.get("prompt_cell"),
                                 {k: (v if k == "ratings" else tuple(v)) for k, v in topics.items()}, reflection_kind))
        due = a.get("due")
        if due is not None:
            due = _parse_due(w, entry, due)
        lms = a.get("lms") or {}
        if not isinstance(lms, dict):
            w.fail(entry, "'lms' should map names to ids", "write it like  lms: {canvas_assignment_id: '123'}")
        opening = (_minutes(w, {"minutes": a["opening_minutes"]}, f"{entry}, opening_minutes")
                   if "opening_minutes" in a else 0)
        second = a.get("second_part")
        if second is not None and second not in [sec.title for sec in sections[1:]]:
            w.fail(entry, f"second_part {second!r} is not one of its sections after the first",
                   "give the title of the section where the second part starts")
        assignments.append(Assignment(
            aid, _need(w, a, "title", entry, str, "give the notebook's title"),
            _need(w, a, "reading", entry, str, "give the reading's citation for the course map"),
            _need(w, a, "notebook", entry, str, f"give the .md twin, such as source/{aid}/{aid}.md"),
            tuple(objectives), tuple(sections), tuple(graded), due, {k: str(v) for k, v in lms.items()}, opening, second))
    order = tuple(_need(w, data["journal"], "order", "journal", list,
                        "list the assignment ids in the order the journal shows them"))
    for aid in order:
        if aid not in seen_ids:
            w.fail("journal, order", f"{aid!r} is not an assignment", "use the ids listed under assignments")
    missing = [aid for aid in seen_ids if aid not in order]
    if missing:
        w.fail("journal, order", f"{sorted(missing)[0]!r} is missing", "list every assignment once")
    if len(set(order)) != len(order):
        w.fail("journal, order", "an assignment appears twice", "list every assignment once")
    late_policy = data.get("late_policy") or {}
    extensions = data.get("extensions") or {}
    for key, value in (("late_policy", late_policy), ("extensions", extensions)):
        if not isinstance(value, dict):
            w.fail(key, "it should be a mapping", "see AUTHORING.md for its form")
    dashboard = data.get("tutor_dashboard") or {}
    demo = dashboard.get("demo_assignments", []) if isinstance(dashboard, dict) else None
    if not isinstance(demo, list) or any(aid not in seen_ids for aid in demo):
        w.fail("tutor_dashboard, demo_assignments", f"{demo!r} is not a list of assignment ids",
               "use the ids listed under assignments")
    return Course(p, cid, title, wpm, start, journal, order, tuple(assignments), late_policy, extensions,
                  tuple(demo), _publish(w, data.get("publish")), data)


_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")


def _publish(w: _Where, d: object) -> Publish:
    """The optional ``publish:`` section (see :class:`Publish`)."""
    if d is None:
        return Publish()
    if not isinstance(d, dict):
        w.fail("publish", "it should be a mapping", "write it like  publish: {repository: https://github.com/ORG/REPO}")
    known = ("repository", "branch", "binder_url", "hub_url", "web_url")
    for key in d:
        if key not in known:
            w.fail("publish", f"{key!r} is not a setting", f"use only {', '.join(known)}")
    values = {}
    for key in ("repository", "binder_url", "hub_url", "web_url"):
        value = d.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not _URL.match(value):
            w.fail(f"publish, {key}", f"{value!r} is not a web address",
                   "give the full address starting with https://, such as https://github.com/ORG/REPO")
        values[key] = value.rstrip("/")
    if "repository" in values and not values["repository"].startswith("https://github.com/"):
        w.fail("publish, repository", f"{values['repository']!r} is not a GitHub repository",
               "give it as https://github.com/ORG/REPO (Binder's and the hub's launch links are made for GitHub)")
    branch = d.get("branch", "learners")
    if not isinstance(branch, str) or not _BRANCH.match(branch) or branch.startswith(("-", "/")):
        w.fail("publish, branch", f"{branch!r} is not a branch name", "give a name such as learners")
    return Publish(branch=branch, **{"binder_url": "https://mybinder.org", **values})


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


# --------------------------------------------------------------------------------------------------
# The manifest against the notebooks, and nbgrader's own markers


@dataclass(frozen=True)
class Delimiters:
    """nbgrader's solution and hidden-test markers (``### BEGIN SOLUTION`` is found by the text after ``###``)."""

    begin_solution: str
    end_solution: str
    begin_hidden_tests: str
    end_hidden_tests: str

    def is_solution(self, source: str) -> bool:
        return self.begin_solution in source

    def solution(self, source: str) -> str | None:
        """The lines between the first solution markers (without them), or None when there are none."""
        return _between(source, self.begin_solution, self.end_solution)

    def hidden_tests(self, source: str) -> str | None:
        return _between(source, self.begin_hidden_tests, self.end_hidden_tests)


def _between(source: str, begin: str, end: str) -> str | None:
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if begin in line]
    if not starts:
        return None
    ends = [i for i, line in enumerate(lines) if end in line and i > starts[0]]
    stop = ends[0] if ends else len(lines)
    return "\n".join(lines[starts[0] + 1:stop])


def delimiters(config=None) -> Delimiters:
    """The markers nbgrader's ClearSolutions and ClearHiddenTests use: their defaults, or as ``config``
    (a traitlets Config, such as the course's ``nbgrader_config.py``) sets them."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    if config is None:
        return _default_delimiters()
    solutions, tests = ClearSolutions(config=config), ClearHiddenTests(config=config)
    return Delimiters(solutions.begin_solution_delimeter, solutions.end_solution_delimeter,
                      tests.begin_test_delimeter, tests.end_test_delimeter)


@lru_cache(maxsize=1)
def _default_delimiters() -> Delimiters:
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    return Delimiters(ClearSolutions.begin_solution_delimeter.default_value,
                      ClearSolutions.end_solution_delimeter.default_value,
                      ClearHiddenTests.begin_test_delimeter.default_value,
                      ClearHiddenTests.end_test_delimeter.default_value)


def section_titles(nb) -> list[str]:
    """The ``## `` headings of a notebook's text cells, in order (not in code blocks or mark schemes)."""
    titles = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "markdown" or meta.get("solution"):
            continue
        fence = None
        for line in cell.get("source", "").split("\n"):
            opener = re.match(r"^\s*(`{3,}|~{3,})", line)
            if fence:
                if opener and opener.group(1).startswith(fence):
                    fence = None
                continue
            if opener:
                fence = opener.group(1)
                continue
            if line.startswith("## "):
                titles.append(line[3:].strip())
    return titles


def _nbgrader_cells(nb) -> dict[str, dict]:
    found = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("grade_id"):
            found[meta["grade_id"]] = {"type": cell.get("cell_type"), **meta}
    return found


def check_notebooks(course: Course | None = None) -> list[str]:
    """Where course.yml and the source notebooks disagree: one sentence each (empty when they agree).

    For each assignment: its notebook exists; its first heading is the title; its ``## `` headings are the
    sections, in order; its graded cells (nbgrader ``grade: true``) are the ones listed under ``graded``,
    in order, with the same kind (a code cell is a question, a text cell a reflection) and points; and
    the answer and prompt cells named exist. Also: every folder in source/ is an assignment, and the
    start page and journal exist. The notebook read is the ``.ipynb`` beside the ``.md`` (run
    ``python scripts/sync_notebooks.py`` first after editing the ``.md``).
    """
    import nbformat

    course = course or load_course()
    root, name = course.root, course.path.name
    problems: list[str] = []
    for page, what in ((course.start_page, "start_page"), (course.journal, "journal")):
        if not (root / page.notebook).is_file():
            problems.append(f"{name}, {what}: {page.notebook} does not exist; give the path of the page's .md.")
    source = root / "source"
    if source.is_dir():
        known = {a.id for a in course.assignments}
        for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if folder.name not in known:
                problems.append(f"source/{folder.name} is not in {name}: add an entry for it under assignments "
                                f"(see AUTHORING.md), or remove the folder.")
    for a in course.assignments:
        entry = f"{name}, assignment {a.id}"
        md, ipynb = root / a.notebook, root / a.source_notebook
        if not md.is_file():
            problems.append(f"{entry}: its notebook {a.notebook} does not exist; write it, or fix the path.")
            continue
        if not ipynb.is_file():
            problems.append(f"{entry}: {a.source_notebook} does not exist yet; run 'python scripts/sync_notebooks.py'.")
            continue
        nb = nbformat.read(str(ipynb), as_version=4)
        first = next((c.source.strip().split("\n")[0] for c in nb.cells if c.cell_type == "markdown"), "")
        if first != f"# {a.title}":
            problems.append(f"{entry}: the title is {a.title!r} but the notebook's first heading is {first!r}; "
                            f"make them the same.")
        titles, want = section_titles(nb), [s.title for s in a.sections]
        if titles != want:
            extra = [t for t in titles if t not in want]
            lost = [t for t in want if t not in titles]
            why = (f"the notebook has the section {extra[0]!r} that is not listed" if extra else
                   f"the section {lost[0]!r} is not a '## ' heading in the notebook" if lost else
                   "the sections are in another order than the notebook's")
            problems.append(f"{entry}, sections: {why}; list the notebook's '## ' headings in order: {titles}.")
        cells = _nbgrader_cells(nb)
        graded = [gid for gid, m in cells.items() if m.get("grade")]
        listed = [g.id for g in a.graded]
        if graded != listed:
            extra = [g for g in graded if g not in listed]
            lost = [g for g in listed if g not in graded]
            why = (f"the notebook's graded cell {extra[0]!r} is not listed" if extra else
                   f"{lost[0]!r} is not a graded cell of the notebook" if lost else
                   "the graded cells are in another order than the notebook's")
            problems.append(f"{entry}, graded: {why}; list them in the notebook's order: {graded}.")
        for g in a.graded:
            meta = cells.get(g.id)
            if not meta or not meta.get("grade"):
                continue
            kind = "question" if meta["type"] == "code" else "reflection"
            gentry = f"{entry}, graded cell {g.id!r}"
            if kind != g.kind:
                problems.append(f"{gentry}: it is a {kind} in the notebook ({meta['type']} cell); say kind: {kind}.")
            if float(meta.get("points", 0)) != float(g.points):
                problems.append(f"{gentry}: the notebook gives it {meta.get('points')} points, the manifest "
                                f"{g.points}; make them the same.")
            for key in ("answer_cell", "prompt_cell"):
                cell_id = getattr(g, key)
                if cell_id and cell_id not in cells:
                    problems.append(f"{gentry}: its {key} {cell_id!r} is not a cell of the notebook; give the "
                                    f"grade_id of that cell, or remove {key}.")
    return problems
