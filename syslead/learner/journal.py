"""The learning journal: every reflection a learner wrote in the course, in one file to keep.

A learner on Binder loses their session when it is idle; a learner who finishes the course wants their
writing in one place. The journal gathers the answers to every reflection across the course notebooks in
a folder (release copies, fetched copies, downloaded or renamed ones, searched recursively), in course
order, each under its question, with the formative feedback of :func:`syslead.learner.reflection.feedback`, and
writes one Markdown file and one self-contained HTML file.

- In a notebook: ``make_journal("..")`` (``notebooks/my-learning-journal.ipynb``). It never raises; it
  shows what it found and a link to download the file.
- In a terminal: ``syslead journal PATH [--out FOLDER]``. A mistake gets one sentence and exit status 2.

The course's notebooks, their titles and the grade ids of their reflections come from the course manifest,
``course.yml`` (:func:`parts`, read through :func:`syslead.course.load_course`), in the journal's order.
Course notebooks are recognised by their nbgrader ``grade_id`` s, not by their file names, so a renamed
or downloaded copy is still found. When a folder holds several copies of the same
notebook, the journal uses the one with the most answered reflections (then the one saved last) and
says so. Unanswered reflections (still nbgrader's text stub) are listed as such; a missing, renamed or
unreadable notebook is reported in one line and the rest is still compiled. Tutors' copies (with mark
schemes, found by nbgrader's own solution marker) are never quoted.

Notebooks are read with nbformat. The HTML is made from Jinja2 templates (``templates/``) with
autoescaping on; a learner's Markdown is rendered with mistune and cleaned with nh3, so simple formatting
such as ``<b>`` shows as formatting while anything that could run or fetch is removed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from syslead.course import Course, delimiters, load_course
from syslead.errors import CourseError
from syslead.learner.reflection import ADVICE, STUB, Feedback, feedback, kind_of
from syslead.learner.self_assessment import SelfAssessment, self_assessments
from syslead.learner.sharing import PARTS as REPLY_PARTS
from syslead.learner.sharing import conversation_guides

HELP = "gather your reflections from the course notebooks in a folder into one Markdown and one HTML file"

#: What the journal says of the two readings of each reflection.
ABOUT_OWN_READING = ("Your own reading, where you placed each reflection on Kember's four levels before you asked "
                     "for advice, comes first: judging your own writing against examples is the skill. The "
                     "machine's reading is a second opinion, on Gibbs' stages, never a level.")

#: The name the journal's files get, before ".md" and ".html".
NAME = "my-journal"
SYSTEM = "my_system"  # the capstone's answer: the learner's own system, one relationship a line


@dataclass(frozen=True)
class Part:
    """One graded notebook of the course: its name, its title, and the grade ids of its reflections."""

    name: str
    title: str
    reflections: tuple[str, ...]
    other_ids: tuple[str, ...] = ()
    prompts: tuple[tuple[str, str], ...] = ()  # (reflection's grade id, its prompt cell's grade id)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.reflections + self.other_ids)


def parts(course: Course | str | os.PathLike | None = None) -> tuple[Part, ...]:
    """The course's graded notebooks in the journal's order, from the manifest (``course.yml``): each
    with its reflections (graded cells of kind reflection) and every other cell id the manifest names."""
    if not isinstance(course, Course):
        course = load_course(course)
    found = []
    for a in course.in_journal_order():
        reflections = tuple(g.id for g in a.reflections)
        prompts = tuple((g.id, g.prompt_cell) for g in a.reflections if g.prompt_cell)
        found.append(Part(a.id, a.title, reflections, tuple(i for i in a.cell_ids if i not in reflections),
                          prompts))
    return tuple(found)


def __getattr__(name: str):
    if name == "COURSE":  # the course found from here, for code that read the old constant
        return parts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Folders never searched: hidden ones (.git, .ipynb_checkpoints, .venv) and these.
SKIP_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages"})

#: A notebook file larger than this is not read (no course notebook comes near it).
MAX_BYTES = 50_000_000


# ---------------------------------------------------------------------------------------------------
# Reading the notebooks
# ---------------------------------------------------------------------------------------------------


@dataclass
class Reflection:
    """One reflection: its question and the learner's answer (``None`` when unanswered)."""

    grade_id: str
    title: str
    prompt: str
    answer: str | None
    feedback: Feedback | None = None
    mark: tuple[float, float] | None = None  # (points given, points possible), once a tutor has returned it
    tutor_comment: str | None = None
    replies: list[dict] = field(default_factory=list)  # from a reflection circle: {"from", "noticed", ...}
    guide: str | None = None  # the file name of its printable conversation guide, once written
    self_assessment: SelfAssessment | None = None  # the learner's own placement on Kember's levels (its form)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def mark_words(self) -> str | None:
        """The tutor's mark in words ("3 of 4 points"), or None before it is returned."""
        if self.mark is None:
            return None
        given, possible = self.mark
        return f"{given:g} of {possible:g} point{'' if possible == 1 else 's'}"


@dataclass
class Copy:
    """One course notebook found in the folder."""

    part: Part
    path: Path
    title: str
    reflections: list[Reflection]
    modified: float
    system: str | None = None  # the capstone's table of relationships, as the learner typed it
    drawing: tuple[str, str] | None = None  # (file name, alt text) of its drawing, once written

    @property
    def answered(self) -> int:
        return sum(r.answered for r in self.reflections)


@dataclass
class Journal:
    """What was found in a folder: one copy (or none) per part of the course, and one line per problem."""

    folder: Path
    copies: dict[str, Copy | None]
    problems: list[str] = field(default_factory=list)
    made: str = ""
    parts: tuple[Part, ...] = ()
    course_title: str = ""
    minutes: int = 0

    @property
    def evidence(self) -> list[str]:
        """What a learner can give as evidence of their learning (CPD): the course and its study time,
        the dates of the work, and the reflections written and marked. Plain sentences."""
        lines = []
        if self.course_title:
            lines.append(f"Course: {self.course_title}, about {_hours(self.minutes)} of study "
                         f"(the course's own estimate of its reading and exercises).")
        dates = sorted(c.modified for c in self.copies.values() if c and c.modified)
        if dates:
            first, last = _day(dates[0]), _day(dates[-1])
            lines.append(f"Dates of the work: {first}." if first == last else
                         f"Dates of the work: from {first} to {last} (when each notebook was last saved).")
        marked = [r for r in self.reflections if r.mark is not None]
        lines.append(f"Reflections written: {self.answered} of {self.expected}"
                     + (f"; {len(marked)} marked by a tutor, {sum(r.mark[0] for r in marked):g} of "
                        f"{sum(r.mark[1] for r in marked):g} points." if marked else "; none marked by a tutor yet."))
        return lines

    @property
    def reflections(self) -> list[Reflection]:
        return [r for c in self.copies.values() if c for r in c.reflections]

    @property
    def answered(self) -> int:
        return sum(r.answered for r in self.reflections)

    @property
    def expected(self) -> int:
        return sum(len(p.reflections) for p in self.parts)

    def markdown(self) -> str:
        return _markdown(self)

    def html(self) -> str:
        return _html(self)

    def write(self, out: str | os.PathLike, name: str = NAME) -> tuple[Path, Path]:
        """Write ``NAME.md`` and ``NAME.html`` into the folder ``out`` (made if needed); return both paths."""
        return _write(self, Path(out), name)


def _text(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return "" if source is None else str(source)


def _grade_id(cell: dict) -> str:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return gid if isinstance(gid, str) else ""


def _is_stub_line(line: str) -> bool:
    return re.sub(r"[*_\s]", " ", line).strip().startswith(STUB)


def answer_text(source: str) -> str | None:
    """The learner's own text in a reflection cell, or ``None`` if it still holds only nbgrader's stub."""
    lines = [line for line in source.replace("\r\n", "\n").split("\n") if not _is_stub_line(line)]
    text = "\n".join(lines).strip("\n")
    return text if text.strip() else None


def _is_tutors_copy(source: str) -> bool:
    return delimiters().is_solution(source) or "Mark scheme (tutors only" in source


def _split_prompt(source: str) -> tuple[str, str]:
    """(title, text) of a prompt cell: its first heading without the points, and the rest."""
    lines = source.strip().split("\n")
    if lines and lines[0].lstrip().startswith("#"):
        title = lines[0].lstrip("# ").strip()
        body = "\n".join(lines[1:]).strip()
    else:
        title, body = "", source.strip()
    title = re.sub(r"\s*\(\d+(\.\d+)? points?\)\s*$", "", title)
    return title, body


def _identify(ids: set[str], course: tuple[Part, ...]) -> Part | None:
    best, score = None, 0
    for part in course:
        hits = len(ids & part.ids) + 2 * len(ids & set(part.reflections))
        if hits > score:
            best, score = part, hits
    return best


class Unreadable(Exception):
    """A notebook file that cannot be read; the message says why, in a few words."""


def read_notebook(path: Path):
    """A notebook file, read with nbformat (as version 4), or :class:`Unreadable` with the reason."""
    import nbformat
    from nbformat.reader import NotJSONError

    try:
        if path.stat().st_size > MAX_BYTES:
            raise Unreadable("it is too large to be a course notebook")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Unreadable("it is not a text file") from None
    except OSError as error:
        raise Unreadable(f"it could not be opened ({error.strerror or error})") from None
    try:
        # capture_validation_error: a notebook that breaks the schema a little is still read, quietly
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
    except NotJSONError:
        raise Unreadable(f"it is not a complete notebook file (broken at line {_broken_line(text)})") from None
    except Exception:  # nbformat's reader raises several kinds for a file that is not a notebook
        raise Unreadable("it is not a notebook in the current format (it has no list of cells)") from None
    if not isinstance(nb.get("cells"), list):
        raise Unreadable("it is not a notebook in the current format (it has no list of cells)")
    return nb


def _broken_line(text: str) -> int:
    import json

    try:
        json.loads(text)  # only to say where it breaks: nbformat has already refused it
    except json.JSONDecodeError as error:
        return error.lineno
    return 1


class TutorsCopy(Exception):
    """A course notebook whose answer cells hold mark schemes (from source/): never quoted."""


def read_copy(path: Path, data, course: tuple[Part, ...] | None = None) -> Copy | None:
    """The course notebook in ``data``, or None if it is not one; :class:`TutorsCopy` for a tutors' copy."""
    cells = [c for c in data["cells"] if isinstance(c, dict)]
    part = _identify({_grade_id(c) for c in cells} - {""}, course if course is not None else parts())
    if part is None:
        return None
    title = part.title
    for cell in cells[:3]:
        first = _text(cell.get("source")).strip().split("\n")[0]
        if cell.get("cell_type") == "markdown" and first.startswith("# "):
            title = first[2:].strip()
            break
    found = []
    placed = self_assessments({"cells": cells})
    for gid in part.reflections:
        index = next((i for i, c in enumerate(cells) if _grade_id(c) == gid), None)
        if index is None:
            found.append(Reflection(gid, _default_title(part, gid), "", None))
            continue
        source = _text(cells[index].get("source"))
        if _is_tutors_copy(source):
            raise TutorsCopy(str(path))
        prompt_title, prompt = "", ""
        prompt_id = dict(part.prompts).get(gid)
        named = next((c for c in cells if prompt_id and _grade_id(c) == prompt_id), None)
        if named is not None:  # the prompt cell the manifest names
            prompt_title, prompt = _split_prompt(_text(named.get("source")))
        for cell in [] if named is not None else reversed(cells[:index]):  # else the locked text above
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            if cell.get("cell_type") == "markdown" and isinstance(meta, dict) and meta.get("locked") \
                    and not meta.get("solution"):
                prompt_title, prompt = _split_prompt(_text(cell.get("source")))
                break
            if _grade_id(cell) in part.reflections:  # reached the previous answer: this one has no prompt
                break
        found.append(Reflection(gid, prompt_title or _default_title(part, gid), prompt, answer_text(source),
                                self_assessment=placed.get(gid)))
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0
    return Copy(part, path, title, found, modified, _system_text(cells))


def _system_text(cells: list) -> str | None:
    """The capstone's table of relationships as the learner typed it (under ``# Your system (my_system)``)."""
    from syslead.learner.checks import answer_text as typed
    from syslead.learner.checks import marker_name

    for cell in cells:
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "code" and marker_name(source) == SYSTEM:
            text = typed(source, SYSTEM)
            return text if text and text.strip() else None
    return None


def _draw_systems(journal: Journal, out: Path, name: str) -> None:
    """The capstone's drawing of the learner's system, as a PNG beside the journal (the reflections that
    refer to it sit under it); a table that can't be drawn yet is left out without a word."""
    from syslead.learner.capstone import draw_system, system_table

    for copy in journal.copies.values():
        if not copy or not copy.system:
            continue
        table = system_table(copy.system)
        if table.empty:
            continue
        try:
            chart = draw_system(table)
        except Exception:  # noqa: BLE001 - a table the capstone's check would refuse: the journal still gets made
            continue
        file_name = f"{name}-my-system.png"
        temporary = out / f".{file_name}.partial"
        temporary.write_bytes(chart.png)
        os.replace(temporary, out / file_name)
        copy.drawing = (file_name, chart.alt)


def _default_title(part: Part, gid: str) -> str:
    return f"Reflection {part.reflections.index(gid) + 1}"


def notebooks_in(folder: Path) -> list[Path]:
    """Every ``.ipynb`` file under ``folder``, skipping hidden folders and :data:`SKIP_FOLDERS`."""
    from syslead.walk import TooDeep, walk

    found = []
    try:
        for root, dirs, files in walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_FOLDERS)
            found += [Path(root) / f for f in sorted(files) if f.endswith(".ipynb") and not f.startswith(".")]
    except TooDeep:  # folders nested absurdly deep: the notebooks found above them are enough
        pass
    return found


def _where(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def collect(folder: str | os.PathLike, course: Course | str | os.PathLike | None = None) -> Journal:
    """Find the course notebooks under ``folder`` and read every reflection (with feedback) from them.

    ``course`` is the manifest (a :class:`syslead.course.Course` or the path of a ``course.yml``); by
    default the one that applies in the working folder. Raises :class:`CourseError` only when ``folder``
    is not a folder or the manifest cannot be read; every problem with a notebook becomes one line in
    ``journal.problems``.
    """
    course = course if isinstance(course, Course) else load_course(course)
    course_parts = parts(course)
    root = Path(folder).expanduser()
    if not root.exists():
        raise CourseError(f"There is no folder called {str(folder)!r}: give the folder that holds your course "
                          f"notebooks, for example 'syslead journal .' in the course folder.")
    if not root.is_dir():
        raise CourseError(f"{str(folder)!r} is a file, not a folder: give the folder that holds your course "
                          f"notebooks, for example {str(root.parent)!r}.")
    root = root.resolve()
    copies: dict[str, list[Copy]] = {p.name: [] for p in course_parts}
    unreadable_lines: list[str] = []
    problems: list[str] = []
    unreadable: dict[str, str] = {}
    replies: dict[str, list[dict]] = {}  # reflection grade id -> replies from a reflection circle
    for path in notebooks_in(root):
        try:
            data = read_notebook(path)
        except Unreadable as why:
            unreadable_lines.append(f"Could not read {_where(path, root)}: {why}; the journal was made "
                                    f"without it (open it in JupyterLab to check it, or download it again).")
            unreadable[path.stem] = _where(path, root)
            continue
        if circle_replies(data, replies):
            continue  # the replies to a reflection, from the learner's circle: shown beside the reflection
        try:
            copy = read_copy(path, data, course_parts)
        except TutorsCopy:
            continue
        if copy is not None:
            copies[copy.part.name].append(copy)

    chosen: dict[str, Copy | None] = {}
    for part in course_parts:
        found = sorted(copies[part.name], key=lambda c: (c.answered, c.modified), reverse=True)
        if not found:
            chosen[part.name] = None
            also = (f"; {unreadable[part.name]} is there but could not be read (see above)"
                    if part.name in unreadable else "")
            problems.append(f"{part.title}: not found in {root}{also}, so its reflections are not in the "
                            f"journal.")
            continue
        best = found[0]
        chosen[part.name] = best
        if best.path.stem != part.name:
            problems.append(f"{part.title}: found under another name, {_where(best.path, root)}, and "
                            f"included.")
        if len(found) > 1:
            others = ", ".join(_where(c.path, root) for c in found[1:])
            problems.append(f"{part.title}: {len(found)} copies found; used {_where(best.path, root)} "
                            f"({best.answered} of {len(best.reflections)} answered, saved "
                            f"{_when(best.modified)}), not {others}.")
        returned = returned_marks(root, part.name)
        for r in best.reflections:
            if r.answered:
                r.feedback = feedback(r.answer, kind=kind_of(r.grade_id), self_assessment=r.self_assessment)
            if r.grade_id in returned:
                r.mark, r.tutor_comment = returned[r.grade_id]
            r.replies = replies.get(r.grade_id, [])
    # tutors' copies of the notebooks (with the answers) are skipped without a word: a learner has none
    problems = unreadable_lines + problems
    made = _dt.datetime.now().strftime("%d %B %Y at %H:%M").lstrip("0")
    return Journal(root, chosen, problems, made, course_parts, course.title, course.minutes)


def circle_replies(data, into: dict[str, list[dict]]) -> bool:
    """Whether ``data`` is a notebook of replies from a reflection circle (``syslead circles``); if it is,
    its replies are added to ``into`` by the reflection they answer, as plain text."""
    meta = data.get("metadata") if isinstance(data, dict) else None
    if not (isinstance(meta, dict) and isinstance(meta.get("syslead"), dict) and "circle_replies" in meta["syslead"]):
        return False
    from syslead.learner.sharing import PARTS

    for cell in data.get("cells", []):
        reply = ((cell.get("metadata") or {}).get("syslead") or {}).get("reply") if isinstance(cell, dict) else None
        if isinstance(reply, dict) and isinstance(reply.get("reflection"), str):
            clean = {key: str(reply[key])[:2000] for _, key in PARTS if isinstance(reply.get(key), str)}
            clean["from"] = str(reply.get("from") or "a member of your circle")[:60]
            into.setdefault(reply["reflection"], []).append(clean)
    return True


def _hours(minutes: int) -> str:
    """Study time in words, to the nearest half hour: 315 -> '5.5 hours'."""
    hours = round(minutes / 30) / 2
    return f"{hours:g} hour{'' if hours == 1 else 's'}" if hours >= 1 else f"{minutes} minutes"


def _day(timestamp: float) -> str:
    return _dt.datetime.fromtimestamp(timestamp).strftime("%d %B %Y").lstrip("0")


# nbgrader's feedback page (generate_feedback, then fetch_feedback puts it beside the learner's work) lists
# each graded cell as a link followed by "(Score: 1.0 / 1.0)", and each answer's comment in the footer of a
# panel that starts at <a name="comment-ID">. Read with the standard library's HTML parser, not patterns.
_BLOCKS = {"p", "br", "li", "div", "ul", "ol", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
_SCORE = re.compile(r"\s*\(Score:\s*([\d.]+)\s*/\s*([\d.]+)\)")


class _FeedbackPage(HTMLParser):
    """The scores and comments on one nbgrader feedback page: ``scores`` (grade id -> (given, possible)) and
    ``comments`` (grade id -> the comment in plain words)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scores: dict[str, tuple[float, float]] = {}
        self.comments: dict[str, str] = {}
        self._link: str | None = None  # the grade id of the link that just closed, whose score may follow
        self._href: str | None = None
        self._answer: str | None = None  # the answer whose panel we are in
        self._footer = 0  # depth of <div> inside that panel's footer (0: not in it)
        self._text: list[str] | None = None  # the comment's words, after "Comments:"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._link = None
        if self._text is not None and tag in _BLOCKS:
            self._text.append(" ")  # paragraphs and lines of a comment stay apart; inline tags join
        if tag == "a":
            href, name = attrs.get("href") or "", attrs.get("name") or ""
            self._href = href[1:] if href.startswith("#") else None
            if name.startswith("comment-"):
                self._close_comment()
                self._answer = name[len("comment-"):]
        elif tag == "div":
            if self._footer:
                self._footer += 1
            elif self._answer and "panel-footer" in (attrs.get("class") or "").split():
                self._footer = 1

    def handle_endtag(self, tag):
        if self._text is not None and tag in _BLOCKS:
            self._text.append(" ")
        if tag == "a":
            self._link, self._href = self._href, None
        elif tag == "div" and self._footer:
            self._footer -= 1
            if not self._footer:
                self._close_comment()

    def handle_data(self, data):
        if self._link:
            found = _SCORE.match(data)
            if found:
                self.scores[self._link] = (float(found.group(1)), float(found.group(2)))
            self._link = None
        if self._footer:
            if self._text is not None:
                self._text.append(data)
            elif data.strip() == "Comments:":
                self._text = []

    def _close_comment(self):
        words = " ".join("".join(self._text or []).split())
        if self._answer and words:
            self.comments[self._answer] = words
        self._answer, self._footer, self._text = None, 0, None


def returned_marks(folder: Path, name: str) -> dict[str, tuple[tuple[float, float], str | None]]:
    """The tutor's marks and comments for notebook ``name``, from the newest feedback page nbgrader
    returned under ``folder`` (``NAME.html``): grade id -> ((points given, points possible), comment)."""
    pages = [Path(root) / f for root, dirs, files in os.walk(folder)
             if not any(part.startswith(".") or part in SKIP_FOLDERS for part in Path(root).relative_to(folder).parts)
             for f in files if f == f"{name}.html"]
    found: dict[str, tuple[tuple[float, float], str | None]] = {}
    for page in sorted(pages, key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            text = page.read_text(encoding="utf-8", errors="replace")[:MAX_BYTES]
        except OSError:
            continue
        page_read = _FeedbackPage()
        page_read.feed(text)
        page_read.close()
        if not page_read.scores:
            continue  # not a feedback page
        return {gid: (mark, page_read.comments.get(gid)) for gid, mark in page_read.scores.items()}
    return found


def _when(timestamp: float) -> str:
    return _dt.datetime.fromtimestamp(timestamp).strftime("%d %B %Y %H:%M").lstrip("0") if timestamp else "at an unknown time"


# ---------------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------------


def _demote(text: str, by: int) -> str:
    """The learner's markdown with its headings moved down ``by`` levels (at most level 6), setext
    headings ("Title" over "===") made into ATX ones, and unclosed code fences and comments closed, so
    that an answer cannot break the journal's own structure."""
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        stripped = line.strip()
        opener = re.match(r"^(`{3,}|~{3,})", stripped)
        if fence:
            out.append(line)
            if opener and stripped.startswith(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            out.append(line)
            continue
        heading = re.match(r"^ {0,3}(#{1,6})(\s+.*|)$", line)
        if heading:
            level = min(6, len(heading.group(1)) + by)
            out.append("#" * level + heading.group(2))
            continue
        underline = re.fullmatch(r" {0,3}(=+|-+)\s*", line)
        if underline and out and out[-1].strip() and not re.match(r"^\s*([-*+]|\d+[.)]|>|#)", out[-1]):
            level = min(6, (1 if "=" in line else 2) + by)
            out[-1] = "#" * level + " " + out[-1].strip()
            continue
        out.append(line)
    if fence:
        out.append(fence)
    result = "\n".join(out)
    if result.count("<!--") > result.count("-->"):
        result += "\n-->"
    return result


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().split("\n"))


def _stage_list(fb: Feedback) -> list[str]:
    touched = []
    for stage in fb.stages:
        phrases = fb.phrases(stage)[:3]
        touched.append(stage + (f" ({', '.join(f'“{p}”' for p in phrases)})" if phrases else ""))
    return touched


def feedback_lines(fb: Feedback) -> list[str]:
    """The feedback on one reflection as a few plain lines (the journal's summary of it)."""
    words = f"{fb.word_count} word{'' if fb.word_count == 1 else 's'}"
    if not fb.sentences:
        return [words + "."] + list(fb.notes)
    lines = [f"{words}; your text touches {len(fb.stages)} of Gibbs' 6 stages: {', '.join(_stage_list(fb))}."]
    if fb.self_assessment is not None:
        lines.append("It reads Gibbs' stages, not Kember's levels: a second opinion on what your text does, beside "
                     "your own reading above.")
    lines += list(fb.notes)
    if fb.missing:
        lines.append(f"The machine could not tell about: {', '.join(fb.missing)}.")
    if fb.questions:
        lines.append("To take it further: " + " ".join(fb.questions))
    return lines


def _markdown(journal: Journal) -> str:
    out = ["# My learning journal", "",
           "*Systems leadership: an open Jupyter course.* "
           f"Made on {journal.made} from the course notebooks in `{journal.folder}`. "
           f"{journal.answered} of {journal.expected} reflections answered.", ""]
    out += ["## Evidence of learning", ""] + [f"- {line}" for line in journal.evidence] + [""]
    if journal.problems:
        out += ["## Notes", ""] + [f"- {line}" for line in journal.problems] + [""]
    for part in journal.parts:
        copy = journal.copies.get(part.name)
        out += [f"## {copy.title if copy else part.title}", ""]
        if copy is None:
            out += ["*Not found: this notebook was not in the folder, so its reflections are missing here.*", ""]
            continue
        out += [f"From `{_where(copy.path, journal.folder)}`, saved {_when(copy.modified)}.", ""]
        if copy.drawing:
            out += [f"![{copy.drawing[1]}]({copy.drawing[0]})", "",
                    "*My system, drawn from the table I wrote in this notebook; the reflections below refer to it.*", ""]
        for r in copy.reflections:
            out += [f"### {r.title}", "", "#### The question", ""]
            out += [_quote_block(r.prompt) if r.prompt else "*The question is not in this copy of the notebook.*", ""]
            out += ["#### My answer", ""]
            if not r.answered:
                out += ["*Not answered yet.*", ""]
                continue
            out += [_demote(r.answer, 4), ""]
            if r.mark is not None:
                out += ["#### My tutor's mark", "", f"- {r.mark_words}."]
                out += [f"- Comment: {r.tutor_comment}" if r.tutor_comment else "- No comment."] + [""]
            if r.replies:
                out += ["#### Replies from my reflection circle", ""]
                for reply in r.replies:
                    out += [f"- **{reply['from']}**: " + "; ".join(
                        f"{label.lower()}: {reply[key]}" for label, key in REPLY_PARTS if key in reply)]
                out += [""]
            if r.guide:
                out += [f"To talk it through with a colleague: [conversation guide]({r.guide}).", ""]
            if r.self_assessment is not None:
                out += ["#### My own reading (Kember's levels)", "", f"- {r.self_assessment.journal_line()}"]
                out += [f"- Why: {r.self_assessment.why}"] * bool(r.self_assessment.why) + [""]
            if r.feedback is not None:
                out += ["#### Feedback (advice, not a grade)", ""]
                out += [f"- {line}" for line in feedback_lines(r.feedback)] + [""]
    out += ["## About the feedback", "", ADVICE,
            "It reads your text for the six stages of Gibbs' reflective cycle (Gibbs 1988): description, "
            "feelings, evaluation, analysis, conclusion and action plan. " + ABOUT_OWN_READING, ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------

#: The HTML a learner's Markdown may keep: formatting, lists, links, tables, code; nothing that runs,
#: fetches or styles (nh3 drops every other tag and attribute, and any link that is not http(s) or mailto).
_TAGS = {"p", "br", "hr", "b", "strong", "i", "em", "u", "s", "del", "ins", "mark", "sub", "sup", "small",
         "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
         "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span", "abbr"}
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def _markdown_to_html(text: str, demote: int = 0):
    """A learner's Markdown as safe HTML: rendered by mistune (raw HTML kept, as JupyterLab shows it),
    then cleaned by nh3, so ``<b>`` is bold and ``<script>`` is gone."""
    import mistune
    import nh3
    from markupsafe import Markup

    body = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])(_demote(text, demote))
    clean = nh3.clean(body, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


@lru_cache(maxsize=1)
def _templates():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("syslead.learner", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["markdown"] = _markdown_to_html
    return env


def _render(template: str, **values) -> str:
    return _templates().get_template(template).render(**values)


def _html(journal: Journal) -> str:
    used: set[str] = set()
    sections = []
    for part in journal.parts:
        copy = journal.copies.get(part.name)
        title = copy.title if copy else part.title
        slug = _slug(title, used)
        reflections = [{"r": r, "id": _slug(f"{slug}-{r.grade_id}", used),
                        "feedback": feedback_lines(r.feedback) if r.feedback is not None else None}
                       for r in (copy.reflections if copy else [])]
        sections.append({"title": title, "slug": slug, "nb": copy, "reflections": reflections,
                         "where": _where(copy.path, journal.folder) if copy else "",
                         "when": _when(copy.modified) if copy else ""})
    return _render("journal.html.j2", journal=journal, sections=sections, advice=ADVICE, reply_parts=REPLY_PARTS,
                   about_own=ABOUT_OWN_READING)


# ---------------------------------------------------------------------------------------------------
# Writing, the notebook function and the command
# ---------------------------------------------------------------------------------------------------


def _write(journal: Journal, out: Path, name: str) -> tuple[Path, Path]:
    if not re.fullmatch(r"[\w][\w .()-]*", name) or name.endswith("."):
        raise CourseError(f"{name!r} cannot be a file name: use letters, digits and dashes, for example "
                          f"'{NAME}'.")
    if out.exists() and not out.is_dir():
        raise CourseError(f"{str(out)!r} is a file, not a folder: give a folder to write the journal into.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        _draw_systems(journal, out, name)
        written_ones = [r for r in journal.reflections if r.answered]
        if written_ones:  # one printable page: a conversation guide for each reflection, to take to a colleague
            guides = f"{name}-conversation-guides.html"
            for r in written_ones:
                r.guide = f"{guides}#{r.grade_id}"
            temporary = out / f".{guides}.partial"
            temporary.write_text(conversation_guides([(r.title, r.answer, "", r.grade_id) for r in written_ones]),
                                 encoding="utf-8")
            os.replace(temporary, out / guides)
        for suffix, text in ((".md", journal.markdown()), (".html", journal.html())):
            target = out / f"{name}{suffix}"
            temporary = out / f".{name}{suffix}.partial"
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)  # never leaves a half-written journal
            written.append(target)
    except OSError as error:
        raise CourseError(f"Could not write the journal into {str(out)!r} ({error.strerror or error}): choose a "
                          f"folder you can write to with --out.") from None
    return written[0], written[1]


@dataclass(frozen=True)
class Made:
    """What :func:`make_journal` shows in a notebook: the files written, what was found, how to download."""

    journal: Journal
    markdown_path: Path
    html_path: Path

    def _link(self, path: Path) -> str:
        try:
            return os.path.relpath(path, Path.cwd()).replace(os.sep, "/")
        except ValueError:
            return path.as_posix()

    def __str__(self) -> str:
        j = self.journal
        lines = [f"✓ Your learning journal is ready: {j.answered} of {j.expected} reflections answered.",
                 f"Written to {self.html_path} and {self.markdown_path}."]
        lines += [f"- {line}" for line in j.problems]
        lines.append("To keep it, right-click the .html file in the file browser on the left and choose Download.")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        j = self.journal
        return _render("journal-made.html.j2", journal=j, found=[(p, j.copies.get(p.name)) for p in j.parts],
                       html_path=self.html_path, markdown_path=self.markdown_path,
                       html_link=self._link(self.html_path), markdown_link=self._link(self.markdown_path))


@dataclass(frozen=True)
class JournalNotice:
    """One sentence instead of a journal, when it could not be made."""

    text: str

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return _render("journal-notice.html.j2", text=self.text)


def make_journal(folder: str | os.PathLike = "..", out: str | os.PathLike = ".", name: str = NAME,
                 course: Course | str | os.PathLike | None = None) -> Made | JournalNotice:
    """Gather the reflections from the course notebooks under ``folder`` and write the journal into ``out``.

    For notebooks: never raises. Shows how many reflections were found, one line per problem, and links
    to download the two files.
    """
    try:
        journal = collect(folder, course)
        md_path, html_path = journal.write(out, name)
    except CourseError as error:
        return JournalNotice(str(error))
    except Exception as error:  # a safety net: a learner's notebook gets a sentence, never a traceback
        return JournalNotice(f"Something went wrong while making your journal ({type(error).__name__}); your "
                             f"notebooks are untouched. Please tell your tutor.")
    return Made(journal, md_path, html_path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the folder that holds your course notebooks (searched with its subfolders)")
    parser.add_argument("--out", default=None, help="the folder to write the journal into (default: PATH)")
    parser.add_argument("--name", default=NAME, help=f"the journal's file name, without .md or .html "
                                                     f"(default: {NAME})")
    parser.add_argument("--course", default=None, metavar="COURSE_YML",
                        help="the course manifest (default: the course.yml of the course you are in)")


def run(args: argparse.Namespace) -> int:
    journal = collect(args.path, args.course)
    if not any(journal.copies.values()):
        raise CourseError(f"No course notebooks were found in {str(args.path)!r} or its subfolders: give the "
                          f"folder where you keep them (the journal finds them by their questions, whatever "
                          f"their file names).")
    md_path, html_path = journal.write(args.out if args.out is not None else journal.folder, args.name)
    print(f"Wrote {html_path} and {md_path}: {journal.answered} of {journal.expected} reflections answered.")
    for line in journal.problems:
        print(f"- {line}")
    return 0
