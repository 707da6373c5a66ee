"""Honest times: every notebook's sections and minutes come from course.yml, and no notebook runs over 75."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syslead.course import load_course

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course()
LONGEST = 75


def headings(md: str) -> list[str]:
    text = re.sub(r"```\{code-cell\}.*?```", "", md, flags=re.S)
    return [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=[a.id for a in COURSE.assignments])
def test_the_manifest_lists_the_notebooks_sections_in_order(assignment):
    md = (ROOT / assignment.notebook).read_text(encoding="utf-8")
    assert [s.title for s in assignment.sections] == headings(md)


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=[a.id for a in COURSE.assignments])
def test_the_notebooks_table_of_times_is_the_manifests(assignment):
    md = (ROOT / assignment.notebook).read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (.+?) \| (\d+) \|$", md, flags=re.M))
    assert {t: int(m) for t, m in table.items()} == {s.title: s.minutes for s in assignment.sections}
    assert f"| **total** | **{assignment.minutes}** |" in md
    found = re.search(r"Reading: (\d+) minutes\. Exercises: (\d+) minutes\.", md)
    assert int(found.group(1)) + int(found.group(2)) == assignment.minutes


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=[a.id for a in COURSE.assignments])
def test_no_notebook_runs_over_75_minutes(assignment):
    assert assignment.minutes <= LONGEST, f"{assignment.id} takes {assignment.minutes} minutes: split it into parts"


@pytest.mark.parametrize("page", ["README.md", "notebooks/00-start-here.md"])
def test_the_course_maps_give_the_manifests_minutes(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    for assignment in COURSE.assignments:
        row = next(line for line in text.splitlines() if f"release/{assignment.id}/{assignment.id}.ipynb" in line
                   and line.startswith("|"))
        assert row.rstrip().endswith(f"| {assignment.minutes} minutes |"), row
