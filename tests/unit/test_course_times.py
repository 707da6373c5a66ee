"""Honest times: the minutes course.yml states are at least what the notebooks' text needs, and no part runs
over 75 minutes.

scripts/course_times.py works the minutes out from the text every time (150 words a minute for prose, the
opening included; a stated allowance per chart, slider set, question and printed result; 15 minutes per
reflection; extra time for the capstone's own table; the optional "If you want more" not counted). Nothing here
pins a number: edit a notebook and these tests recompute. scripts/course_tables.py writes every table of times
from course.yml and tests/unit/test_course.py checks them; this test holds the ceiling that issue 14 sets.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from syslead.course import load_course

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT / "course.yml")
LONGEST = 75

spec = importlib.util.spec_from_file_location("course_times", ROOT / "scripts" / "course_times.py")
course_times = importlib.util.module_from_spec(spec)
sys.modules["course_times"] = course_times  # its dataclass needs the module registered
spec.loader.exec_module(course_times)

IDS = [a.id for a in COURSE.assignments]


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=IDS)
def test_no_part_runs_over_75_minutes(assignment):
    for n, minutes in enumerate(assignment.part_minutes, 1):
        assert minutes <= LONGEST, (f"{assignment.id}, part {n}, takes {minutes} minutes: cut it, move material "
                                    f"to 'If you want more', or split it into two parts (second_part)")


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=IDS)
def test_the_manifest_states_at_least_what_the_text_needs(assignment):
    problems = [line for line in course_times.shortfalls(COURSE) if line.startswith(f"{assignment.id}")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=IDS)
def test_each_part_of_the_text_fits_in_75_minutes(assignment):
    """The computation itself, not only the claim: the text of each part needs at most 75 minutes."""
    wpm = COURSE.words_per_minute
    parts = course_times.parts(assignment, COURSE.root)
    titles = [p.title for p in parts]
    cut = titles.index(assignment.second_part) if assignment.second_part else len(parts)
    for part in (parts[:cut], parts[cut:]):
        if part:
            assert sum(p.exact(wpm) for p in part) <= LONGEST, [p.title for p in part]


def test_every_section_and_the_opening_are_counted():
    for a in COURSE.assignments:
        titles = [p.title for p in course_times.parts(a, COURSE.root)]
        assert titles == [course_times.OPENING] + [s.title for s in a.sections]
        assert a.opening > 0, f"{a.id}: the opening text needs minutes too (opening_minutes in course.yml)"


def test_the_allowances_are_the_stated_ones():
    assert COURSE.words_per_minute == 150
    assert course_times.REFLECTION >= 15
    assert course_times.EXTRA["check-system"] >= 15  # a table of one's own system, for a non-programmer


def _copy(tmp_path: Path) -> Path:
    shutil.copy2(ROOT / "course.yml", tmp_path / "course.yml")
    for folder in ("notebooks", "source"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.ipynb"))
    return tmp_path / "course.yml"


def test_more_text_without_more_minutes_is_caught(tmp_path):
    manifest = _copy(tmp_path)
    course = load_course(manifest)
    first = course.assignments[0]
    path = tmp_path / first.notebook
    text = path.read_text(encoding="utf-8")
    padding = "A paragraph that a learner has to read. " * 60  # 480 words: over three minutes
    path.write_text(text.replace("## Key points\n", f"## Key points\n\n{padding}\n", 1), encoding="utf-8")
    problems = course_times.shortfalls(load_course(manifest))
    assert any(p.startswith(f"{first.id}, 'Key points'") for p in problems), problems


def test_the_optional_section_is_not_counted(tmp_path):
    manifest = _copy(tmp_path)
    course = load_course(manifest)
    a = next(a for a in course.assignments if any(s.title == "If you want more" for s in a.sections))
    path = tmp_path / a.notebook
    before = course_times.computed_total(a, course)
    text = path.read_text(encoding="utf-8")
    padding = "Optional reading for the curious. " * 300
    path.write_text(text.replace("## If you want more\n", f"## If you want more\n\n{padding}\n", 1), encoding="utf-8")
    assert course_times.computed_total(a, load_course(manifest)) == before


def test_writing_the_minutes_makes_the_check_pass(tmp_path):
    manifest = _copy(tmp_path)
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("  - title: Reflections\n    minutes: 4", "  - title: Reflections\n    minutes: 3", 1),
                        encoding="utf-8")
    assert course_times.shortfalls(load_course(manifest))
    course_times.write_minutes(load_course(manifest), manifest)
    assert not course_times.shortfalls(load_course(manifest))
