"""Honest times: no notebook runs over 75 minutes by the manifest's count (split one that does into parts).

scripts/course_tables.py writes every table of times from course.yml and tests/unit/test_course.py checks them;
this test holds the ceiling that issue 14 sets.
"""

from __future__ import annotations

import pytest

from syslead.course import load_course

COURSE = load_course()
LONGEST = 75


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=[a.id for a in COURSE.assignments])
def test_no_notebook_runs_over_75_minutes(assignment):
    assert assignment.minutes <= LONGEST, f"{assignment.id} takes {assignment.minutes} minutes: split it into parts"
