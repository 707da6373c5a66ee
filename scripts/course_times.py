"""Honest times: the minutes each part of a notebook needs, worked out from its text, not claimed.

    python scripts/course_times.py            # per notebook: computed minutes against course.yml's, section by section
    python scripts/course_times.py --check    # exit 1 when course.yml states less than the computation anywhere
    python scripts/course_times.py --write    # put the computed minutes into course.yml (then run course_tables.py)

The rules (a learner who reads and thinks, and does not program):

- prose is read at ``course.reading_words_per_minute`` in course.yml (150 words a minute): every word a
  learner sees in a markdown cell, the opening text before the first ``## `` heading included, but not the
  tutors' mark schemes (the learner's copy has a stub there), the tables of times, link addresses, or an
  address shown as a link's text;
- each chart (a ``**Figure N.**`` or ``**Table N.**`` caption): CHART minutes to look at it, beyond reading
  its caption (counted as prose);
- each set of sliders (a cell that calls ``sliders(`` or a chart module's ``explore_...()``): SLIDERS minutes to try the settings it suggests;
- each quick question (a check cell): QUESTION minutes to work it out and run the two cells, beyond reading
  it (counted as prose);
- each other code cell that shows a result (not imports, not a scratch cell, not the feedback cell):
  RESULT minutes to run it and read what it prints;
- each reflection: REFLECTION minutes, the lower end of the 15-20 that writing at Kember's *reflection*
  level takes (the form under it where the learner places it on Kember's levels before the advice, the
  feedback cell, and the three-line form that offers to share it with a reflection circle, are part of that
  time);
- extra allowances for named cells that ask for more than a quick answer (EXTRA, by nbgrader grade id:
  the capstone's own table of actors);
- required outside reading: a section's minutes in READING_OUTSIDE (none is required now);
- the optional section *If you want more* is not counted.

The whole notebook is rounded up once; a section may state its minutes rounded down (``--write`` shares the
remainders out so that the sections add up to the notebook's total). Other engineers' edits change the word counts, so nothing here
pins a number: tests/unit/test_course_times.py recomputes from the notebooks every time.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syslead.course import OPTIONAL_SECTION as OPTIONAL  # noqa: E402
from syslead.course import Assignment, Course, load_course  # noqa: E402

CHART = 1
SLIDERS = 3
QUESTION = 2
RESULT = 1
REFLECTION = 15
EXTRA = {"check-system": 20}  # writing the table of your own system, in the capstone (a non-programmer: 15-25)
READING_OUTSIDE: dict[tuple[str, str], int] = {}  # (assignment id, section title) -> minutes of required reading
OPENING = "(opening: title, objectives, how to use it)"

_TIMES = re.compile(r"<!-- times:start -->.*?<!-- times:end -->", re.S)
_CAPTION = re.compile(r"\*\*(?:Figure|Table) \d+\.\*\*")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")


@dataclass
class Part:
    """What a section of a notebook asks of a learner."""

    title: str
    words: int = 0
    charts: int = 0
    sliders: int = 0
    questions: int = 0
    results: int = 0
    reflections: int = 0
    extra: int = 0
    outside: int = 0

    def exact(self, words_per_minute: int) -> float:
        if self.title == OPTIONAL:
            return 0.0
        return (self.words / words_per_minute + CHART * self.charts + SLIDERS * self.sliders
                + QUESTION * self.questions + RESULT * self.results + REFLECTION * self.reflections
                + self.extra + self.outside)

    def minutes(self, words_per_minute: int) -> int:
        """The section's minutes, to the nearest whole minute (a half rounds up)."""
        return math.floor(self.exact(words_per_minute) + 0.5)

    def why(self) -> str:
        bits = [f"{self.words} words"]
        for n, what in ((self.charts, "chart"), (self.sliders, "slider set"), (self.questions, "question"),
                        (self.results, "result"), (self.reflections, "reflection")):
            if n:
                bits.append(f"{n} {what}{'' if n == 1 else 's'}")
        if self.extra:
            bits.append(f"{self.extra} min extra")
        if self.outside:
            bits.append(f"{self.outside} min outside reading")
        return ", ".join(bits)


def prose_words(markdown: str) -> int:
    """Words a learner reads in a markdown cell: no table of times, comments, link addresses or markup."""
    text = _TIMES.sub(" ", markdown)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\[[^\]\s]*[./][^\]\s]*\]\([^)]*\)", " ", text)  # a link whose text is an address
    text = re.sub(r"\]\([^)]*\)", "] ", text)  # keep a link's text, drop its address
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"</?[a-z][^>]*>", " ", text)
    return len(_WORD.findall(text))


def _is_plumbing(code: str) -> bool:
    """Imports and comments only (the set-up cell), or a scratch cell whose every line is a comment."""
    lines = [ln.strip() for ln in code.splitlines() if ln.strip()]
    return all(ln.startswith(("#", "from ", "import ", ")")) or ln.startswith("(") for ln in lines)


def parts(assignment: Assignment, root: Path) -> list[Part]:
    """The opening and each '## ' section of an assignment's notebook, with what each asks of a learner."""
    import jupytext

    nb = jupytext.read(root / assignment.notebook)
    found = [Part(OPENING)]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        own = cell.metadata.get("syslead", {})
        if cell.cell_type == "markdown" and (own.get("share") or own.get("self_assessment")):
            continue  # the forms under a reflection (share it; place it on the levels): part of its minutes
        if cell.cell_type == "markdown":
            chunks = re.split(r"^(?=## )", cell.source, flags=re.M)
            for chunk in chunks:
                heading = re.match(r"## (.+)", chunk)
                if heading:
                    found.append(Part(heading.group(1).strip()))
                part = found[-1]
                if meta.get("solution"):  # a reflection's answer cell: the mark scheme, not for learners
                    part.reflections += 1
                    part.extra += EXTRA.get(meta.get("grade_id", ""), 0)
                    continue
                part.words += prose_words(chunk)
                part.charts += len(_CAPTION.findall(chunk))
            continue
        part, code = found[-1], cell.source
        if meta.get("grade") and not meta.get("solution"):
            part.questions += 1
            part.extra += EXTRA.get(meta.get("grade_id", ""), 0)
        elif meta.get("solution") or "feedback_on(" in code or _is_plumbing(code):
            continue  # an answer cell (part of its question), the feedback cell (part of its reflection), set-up
        elif "sliders(" in code or re.search(r"\.explore_\w+\(", code):
            part.sliders += 1
        elif not _shows_a_captioned_chart(cell, nb.cells):
            part.results += 1
    for part in found:
        part.outside += READING_OUTSIDE.get((assignment.id, part.title), 0)
    return found


def _shows_a_captioned_chart(cell, cells) -> bool:
    """A code cell whose next markdown cell opens with a caption: the chart's time is the caption's."""
    after = cells[cells.index(cell) + 1:]
    nxt = next((c for c in after if c.cell_type == "markdown"), None)
    return nxt is not None and bool(_CAPTION.match(nxt.source.lstrip()))


def computed(assignment: Assignment, course: Course) -> dict[str, int]:
    """Section title -> computed minutes (the opening under OPENING)."""
    wpm = course.words_per_minute
    return {p.title: p.minutes(wpm) for p in parts(assignment, course.root)}


def computed_total(assignment: Assignment, course: Course) -> int:
    """The whole notebook's minutes, rounded up once (not the sum of the rounded sections)."""
    wpm = course.words_per_minute
    return math.ceil(sum(p.exact(wpm) for p in parts(assignment, course.root)) - 1e-9)


def stated(assignment: Assignment) -> dict[str, int]:
    return {OPENING: assignment.opening, **{s.title: s.minutes for s in assignment.sections}}


def shortfalls(course: Course) -> list[str]:
    """One line for each place where course.yml states fewer minutes than the computation."""
    problems = []
    for a in course.assignments:
        have, wpm = stated(a), course.words_per_minute
        for part in parts(a, course.root):
            title, minutes = part.title, math.floor(part.exact(wpm) + 1e-9)  # a section: within a minute
            if have.get(title, 0) < minutes:
                problems.append(f"{a.id}, {title!r}: course.yml states {have.get(title, 0)} minutes, the text needs "
                                f"{minutes}; raise it in course.yml (or shorten the section), then run "
                                f"'python scripts/course_tables.py'.")
        if a.minutes < computed_total(a, course):
            problems.append(f"{a.id}: course.yml states {a.minutes} minutes in all, the text needs "
                            f"{computed_total(a, course)}; raise the sections' minutes in course.yml.")
    return problems


def minutes_to_state(assignment: Assignment, course: Course) -> dict[str, int]:
    """The minutes course.yml should state: each part rounded down, then a minute more to the parts with the
    largest remainders until the sum is the notebook's total rounded up once (largest-remainder rounding)."""
    wpm = course.words_per_minute
    exact = {p.title: p.exact(wpm) for p in parts(assignment, course.root)}
    want = {t: math.floor(x + 1e-9) for t, x in exact.items()}
    short = computed_total(assignment, course) - sum(want.values())
    for title in sorted(exact, key=lambda t: exact[t] - want[t], reverse=True)[:max(short, 0)]:
        want[title] += 1
    return want


def write_minutes(course: Course, path: Path) -> list[str]:
    """Put the computed minutes into course.yml, in place (comments and layout kept). Returns what changed."""
    text = path.read_text(encoding="utf-8")
    changed = []
    for a in course.assignments:
        start = text.index(f"- id: {a.id}\n")
        end = text.find("\n- id: ", start + 1)
        end = len(text) if end == -1 else end
        block = text[start:end]
        for title, minutes in minutes_to_state(a, course).items():
            if title == OPENING:
                if re.search(r"^  opening_minutes: \d+$", block, flags=re.M):
                    new = re.sub(r"^  opening_minutes: \d+$", f"  opening_minutes: {minutes}", block, flags=re.M)
                else:
                    new = block.replace("  sections:\n", f"  opening_minutes: {minutes}\n  sections:\n", 1)
            else:
                quoted = [re.escape(title), re.escape(title.replace("'", "''"))]
                pattern = rf"(  - title: ['\"]?(?:{'|'.join(quoted)})['\"]?\n    minutes: )\d+"
                new = re.sub(pattern, lambda m, n=minutes: f"{m.group(1)}{n}", block, count=1)
            if new != block:
                changed.append(f"{a.id}, {title}: {minutes}")
                block = new
        text = text[:start] + block + text[end:]
    path.write_text(text, encoding="utf-8")
    return changed


def report(course: Course) -> str:
    lines = []
    wpm = course.words_per_minute
    for a in course.assignments:
        have = stated(a)
        lines.append(f"{a.id}: computed {computed_total(a, course)} min, course.yml states {a.minutes} min")
        for p in parts(a, course.root):
            lines.append(f"  {p.minutes(wpm):3d} (stated {have.get(p.title, 0):3d})  {p.title}: {p.why()}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when course.yml states less than the text needs")
    parser.add_argument("--write", action="store_true",
                        help="put the computed minutes into course.yml (then run scripts/course_tables.py)")
    parser.add_argument("--course", type=Path, default=ROOT / "course.yml", help="the manifest (default: course.yml)")
    args = parser.parse_args(argv)
    course = load_course(args.course)
    if args.write:
        for line in write_minutes(course, args.course):
            print(f"course.yml: {line}")
        return 0
    if args.check:
        problems = shortfalls(course)
        print("\n".join(problems) or "every section states at least the minutes its text needs")
        return 1 if problems else 0
    print(report(course))
    return 0


if __name__ == "__main__":
    sys.exit(main())
