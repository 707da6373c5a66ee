"""Write the course map and each notebook's table of times from the course manifest, course.yml.

    python scripts/course_tables.py            # write the tables, sync the notebook pairs, regenerate release/
    python scripts/course_tables.py --check    # change nothing; list what disagrees with course.yml

The tables live between marker comments, and only there:

- ``<!-- course-map:start -->`` ... ``<!-- course-map:end -->`` in README.md and in the start page's .md;
- ``<!-- times:start -->`` ... ``<!-- times:end -->`` in each assignment's .md (the "Time." line and a row
  per ``## `` section), in the start page and in the journal (their "Time." line).

The Kember et al. (2008) level descriptors come from course.yml's ``kember_levels`` too, the one source for
every place that shows them:

- ``<!-- kember:start -->`` ... ``<!-- kember:end -->`` in the start page (the table of levels);
- the level lines of every mark scheme in source/ (``**3, reflection** (DESCRIPTOR).``: the words in brackets);
- the self-assessment form under every reflection in source/ (a Markdown cell with metadata
  ``{"syslead": {"self_assessment": ...}}``, where the learner places their reflection on the levels before the
  advice): its whole text is :func:`syslead.learner.self_assessment.form_text` of the levels;
- the grading page's buttons, ``syslead/tutor/levels.yml`` (each named level's ``descriptor``);
- the feedback's Kember notes, ``syslead/learner/reflection_cues.json`` (each stage's ``kember``, made from
  its ``kember_level`` and ``kember_note``).

After writing, every changed .md is synced into its .ipynb (scripts/sync_notebooks.py) and each changed
assignment's release/ copy is made again with ``nbgrader generate_assignment NAME --force``. ``--check``
also compares course.yml with the source notebooks (syslead.course.check_notebooks: titles, sections,
graded cells and points) and fails, with one line per problem, when anything disagrees.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syslead.course import Course, check_notebooks, load_course  # noqa: E402

MAP = ("<!-- course-map:start -->", "<!-- course-map:end -->")
TIMES = ("<!-- times:start -->", "<!-- times:end -->")
KEMBER = ("<!-- kember:start -->", "<!-- kember:end -->")
NOTE = "<!-- made from course.yml by scripts/course_tables.py: edit the minutes there, then run it -->"
KEMBER_NOTE = ("<!-- made from course.yml (kember_levels) by scripts/course_tables.py: edit the descriptors there, "
               "then run it -->")
LEVELS_YML = Path("syslead/tutor/levels.yml")
CUES_JSON = Path("syslead/learner/reflection_cues.json")


def _minutes(n: int) -> str:
    return f"{n} minute{'' if n == 1 else 's'}"


def course_map(course: Course, *, from_folder: str) -> str:
    """The course map as a Markdown table, with links relative to ``from_folder`` (``""`` is the root).

    The README lists the start page as row 0; the start page does not list itself."""
    up = "../" * len(Path(from_folder).parts)
    rows = ["| part | reading | notebook | time |", "|---|---|---|---|"]
    start = course.start_page
    start_ipynb = str(Path(start.notebook).with_suffix(".ipynb"))
    if from_folder != str(Path(start.notebook).parent):
        rows.append(f"| 0 | {start.summary} | [`{start_ipynb}`]({up}{start_ipynb}) | {_minutes(start.minutes)} |")
    for number, a in enumerate(course.assignments, start=1):
        link = f"[`{a.id}`]({up}release/{a.id}/{a.id}.ipynb)"
        if len(a.part_minutes) == 1:
            rows.append(f"| {number} | {a.reading} | {link} | {_minutes(a.minutes)} |")
            continue
        first, second = a.part_minutes  # a notebook done in two parts: a row each, neither over 75 minutes
        rows.append(f"| {number}a | {a.reading}; part 1, up to *{a.second_part}* | {link} | {_minutes(first)} |")
        rows.append(f"| {number}b | {a.title}, part 2: from *{a.second_part}* to the end | {link} | {_minutes(second)} |")
    journal = course.journal
    journal_ipynb = str(Path(journal.notebook).with_suffix(".ipynb"))
    shown = journal_ipynb if not from_folder else Path(journal_ipynb).name
    link = f"{up}{journal_ipynb}" if from_folder != str(Path(journal_ipynb).parent) else Path(journal_ipynb).name
    rows.append(f"| | {journal.summary} | [`{shown}`]({link}) | {_minutes(journal.minutes)} |")
    return "\n".join(rows)


def times_table(minutes: int, sections: list[tuple[str, int]] | None = None, second_part: str | None = None,
                part_minutes: tuple[int, ...] = ()) -> str:
    """The "Time." line and, for an assignment, a row per section (and where its second part starts)."""
    if not sections:
        return f"**Time.** {_minutes(minutes)}."
    if second_part and len(part_minutes) == 2:
        head = (f"**Time.** About {_minutes(minutes)} in all, in two parts: part 1 takes {_minutes(part_minutes[0])}, "
                f"up to *{second_part}*; part 2 takes {_minutes(part_minutes[1])}, from *{second_part}* to the end. "
                "Take a break between them: your work is saved.")
    else:
        head = f"**Time.** About {_minutes(minutes)} in all:"
    rows = [head, "", "| section | minutes |", "|---|---|"]
    rows += [f"| {title} | {m or 'optional, not counted'} |" for title, m in sections]
    return "\n".join(rows)


def assignment_times(a) -> str:
    """An assignment's table of times: the opening, each section, and where its second part starts."""
    sections = [(s.title, s.minutes) for s in a.sections]
    if a.opening:
        sections.insert(0, ("Before the first section: objectives, how to use this notebook", a.opening))
    return times_table(a.minutes, sections, a.second_part, a.part_minutes)


def _block(markers: tuple[str, str], body: str) -> str:
    return f"{markers[0]}\n{KEMBER_NOTE if markers == KEMBER else NOTE}\n{body}\n{markers[1]}"


# --- the Kember levels: one source (course.yml's kember_levels), every place made from it ---------------


def kember_levels(root: Path) -> list[dict]:
    """course.yml's kember_levels: name, points and descriptor of each of the four levels, in order."""
    import yaml

    data = yaml.safe_load((root / "course.yml").read_text(encoding="utf-8"))
    levels = (data.get("kember_levels") or {}).get("levels") or []
    if [lv.get("name") for lv in levels] != ["habitual action", "understanding", "reflection", "critical reflection"]:
        raise SystemExit("course.yml: kember_levels should list habitual action, understanding, reflection and "
                         "critical reflection, in that order, each with points and a descriptor.")
    return [{**lv, "descriptor": " ".join(str(lv["descriptor"]).split()), "points": str(lv["points"])}
            for lv in levels]


def kember_table(levels: list[dict]) -> str:
    """The start page's table of levels."""
    rows = ["| level | points | what it looks like |", "|---|---|---|"]
    rows += [f"| {lv['name']} | {lv['points']} | {lv['descriptor']} |" for lv in levels]
    return "\n".join(rows)


def mark_scheme_line(level: dict) -> str:
    """How a mark scheme names a level, before its own *Here:* line."""
    return f"**{level['points']}, {level['name']}** ({level['descriptor']})."


def with_mark_scheme_levels(text: str, levels: list[dict]) -> str:
    """A source notebook with each mark scheme's level descriptors as course.yml has them."""
    for lv in levels:
        head = re.escape(f"**{lv['points']}, {lv['name']}** (")
        text = re.sub(rf"{head}[^)]*\)\.", lambda _, lv=lv: mark_scheme_line(lv), text)
    return text


_FORM = re.compile(r'(\+\+\+ \{"syslead": \{"self_assessment": "[^"]+"\}\}\n\n)(.*?)(?=\n\n(?:\+\+\+|```))', re.S)


def with_self_assessment_forms(text: str, levels: list[dict]) -> str:
    """A source notebook with each self-assessment form's text made from course.yml's levels."""
    from syslead.learner.self_assessment import form_text

    return _FORM.sub(lambda m: m.group(1) + form_text(levels), text)


def button_descriptor(level: dict) -> str:
    """The grading page's button text for a level: the descriptor as a sentence."""
    d = level["descriptor"]
    return f"{d[0].upper()}{d[1:]}."


def with_button_descriptors(text: str, levels: list[dict]) -> str:
    """syslead/tutor/levels.yml with each named level's descriptor from course.yml (other lines untouched)."""
    import json

    for lv in levels:
        text = re.sub(rf"(  name: {re.escape(lv['name'])}\n(?:  [a-z]+: .*\n)*?  descriptor: ).*",
                      lambda m, lv=lv: m.group(1) + json.dumps(button_descriptor(lv), ensure_ascii=False), text)
    return text


def cue_note(note: str, level: dict) -> str:
    """A Gibbs stage's Kember note in the feedback: what the stage adds, and the level's descriptor."""
    return f"Kember: {note} {level['name']} (writing that {level['descriptor']})."


def with_cue_notes(text: str, levels: list[dict]) -> str:
    """reflection_cues.json with each stage's "kember" made from its "kember_level" and "kember_note"."""
    import json

    by_name = {lv["name"]: lv for lv in levels}

    def note(m: re.Match) -> str:
        level = by_name.get(m.group(2))
        if level is None:
            raise SystemExit(f"{CUES_JSON}: kember_level {m.group(2)!r} is not a level in course.yml's kember_levels; "
                             f"use one of {', '.join(by_name)}.")
        return m.group(1) + json.dumps(cue_note(m.group(3), level), ensure_ascii=False)

    return re.sub(r'(  "kember_level": "([^"]+)",\n  "kember_note": "([^"]+)",\n  "kember": )"[^"\n]*"', note, text)


def replace_block(text: str, markers: tuple[str, str], body: str, where: str) -> str:
    """``text`` with the part between the markers replaced; a one-sentence error when they are missing."""
    begin, end = (re.escape(m) for m in markers)
    found = re.findall(rf"{begin}.*?{end}", text, flags=re.S)
    if len(found) != 1:
        how = "is missing" if not found else "appears more than once"
        raise SystemExit(f"{where}: the pair {markers[0]} ... {markers[1]} {how}; put it once where the table "
                         f"goes (see AUTHORING.md).")
    return re.sub(rf"{begin}.*?{end}", lambda _: _block(markers, body), text, count=1, flags=re.S)


def expected(course: Course) -> dict[Path, str]:
    """Every file the tables go into, with the text it should have."""
    root = course.root
    want: dict[Path, str] = {}

    def put(path: Path, markers: tuple[str, str], body: str) -> None:
        text = want.get(path)
        if text is None:
            text = path.read_text(encoding="utf-8")
        want[path] = replace_block(text, markers, body, str(path.relative_to(root)))

    readme = root / "README.md"
    if readme.is_file():
        put(readme, MAP, course_map(course, from_folder=""))
    start = root / course.start_page.notebook
    put(start, MAP, course_map(course, from_folder=str(Path(course.start_page.notebook).parent)))
    put(start, TIMES, times_table(course.start_page.minutes))
    put(root / course.journal.notebook, TIMES, times_table(course.journal.minutes))
    for a in course.assignments:
        put(root / a.notebook, TIMES, assignment_times(a))
    levels = kember_levels(root)
    put(start, KEMBER, kember_table(levels))
    for a in course.assignments:
        path = root / a.notebook
        want[path] = with_self_assessment_forms(with_mark_scheme_levels(want[path], levels), levels)
    for path, make in ((root / LEVELS_YML, with_button_descriptors), (root / CUES_JSON, with_cue_notes)):
        if path.is_file():
            want[path] = make(path.read_text(encoding="utf-8"), levels)
    return want


def stale(course: Course) -> list[Path]:
    """The files whose tables disagree with the manifest."""
    return [p for p, text in expected(course).items() if p.read_text(encoding="utf-8") != text]


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_notebooks", Path(__file__).with_name("sync_notebooks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nbgrader() -> str:
    here = Path(sys.executable).parent / "nbgrader"
    return str(here) if here.exists() else (shutil.which("nbgrader") or "nbgrader")


def write(course: Course, *, generate: bool = True, say=print) -> list[Path]:
    """Write the tables, sync the pairs that changed, regenerate the release of changed assignments."""
    changed = []
    for path, text in expected(course).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
            say(f"wrote {path.relative_to(course.root)}")
    if not changed:
        return changed
    sync = _sync_module()
    sync.ROOT = course.root
    pages = {course.root / n for n in [course.start_page.notebook, course.journal.notebook,
                                       *(a.notebook for a in course.assignments)]}
    for path in changed:
        if path in pages:
            notebook, text = path.with_suffix(".ipynb"), path
            if sync.out_of_step(notebook, text):
                sync.sync(notebook, text)
                say(f"synced {path.relative_to(course.root)} -> {notebook.name}")
    if generate:
        for a in course.assignments:
            if course.root / a.notebook in changed:
                # nbgrader runs alembic (beside it in the same bin folder) when it makes a gradebook
                env = {**os.environ, "PATH": f"{Path(_nbgrader()).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
                done = subprocess.run([_nbgrader(), "generate_assignment", a.id, "--force"], cwd=course.root,
                                      capture_output=True, text=True, env=env)
                if done.returncode:
                    last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                    raise SystemExit(f"nbgrader generate_assignment {a.id} failed ({last[0]}); run it yourself "
                                     f"from {course.root} to see why.")
                say(f"generated release/{a.id}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; list what disagrees with course.yml")
    parser.add_argument("--course", type=Path, default=ROOT / "course.yml", help="the manifest (default: course.yml)")
    parser.add_argument("--no-generate", action="store_true", help="do not run nbgrader generate_assignment")
    args = parser.parse_args(argv)
    course = load_course(args.course)
    if args.check:
        problems = [f"{p.relative_to(course.root)}: its table disagrees with course.yml; run "
                    f"'python scripts/course_tables.py'." for p in stale(course)]
        problems += check_notebooks(course)
        for line in problems:
            print(line)
        return 1 if problems else 0
    write(course, generate=not args.no_generate)
    problems = check_notebooks(course)
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
