"""The dashboard and the exports know extensions and leave out a tutor's own test copy (issue 26, traps 3, 8, 9).

On the small demo cohort (tests/tutor_cohort.py): the late learner is given an extension in course.yml
that covers their lateness, the tutor hands in a test copy as ``root``, and course.yml carries a misspelt
extension id. The dashboard then shows no late work and no ``root``, its nudge list carries emails and
whole reasons, ``syslead export`` leaves ``root`` out with one sentence and names the misspelt id.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import tutor_cohort
import yaml
from tutor_cohort import ASSIGNMENT

from syslead.tutor import dashboard, export
from syslead.tutor.autograde import autograde
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("tutor-dashboard-traps")
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "traps")
    learners = sorted(p.name for p in (course / "submitted").iterdir())
    shutil.copytree(course / "submitted" / learners[0] / ASSIGNMENT, course / "submitted" / "root" / ASSIGNMENT)
    autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=["root"])
    return course


def late_learners(course):
    cohort = dashboard.load(Course.find(course))
    return sorted(cohort.results.loc[cohort.results["late"], "learner"]), cohort


def set_extensions(course, extensions):
    data = yaml.safe_load((course / "course.yml").read_text())
    data["extensions"] = extensions
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))


def test_an_extension_that_covers_the_lateness_is_not_late_work(course):
    set_extensions(course, {})
    late, cohort = late_learners(course)
    assert len(late) == 1, late
    hours = float(cohort.results.loc[cohort.results["learner"] == late[0], "hours_late"].iloc[0])
    set_extensions(course, {late[0]: {ASSIGNMENT: int(hours) + 2}})
    assert late_learners(course)[0] == []
    assert "0 late" in dashboard.completion_chart(late_learners(course)[1]).alt


def test_root_is_not_a_learner_and_the_nudges_carry_emails_and_whole_reasons(course):
    cohort = dashboard.load(Course.find(course))
    assert "root" not in set(cohort.results["learner"])
    nudges = dashboard.nudge_list(cohort)
    assert list(nudges.columns[:2]) == ["learner", "email"]
    assert all("@" in e for e in nudges["email"])
    assert pd.get_option("display.max_colwidth") is None
    html = nudges.to_html()
    assert all(why in html for why in nudges["why"])  # whole, never cut with "..."


def test_the_export_leaves_root_out_and_names_a_misspelt_extension(course, tmp_path):
    learners = sorted(p.name for p in (course / "submitted").iterdir() if p.name != "root")
    set_extensions(course, {learners[1] + "x": {ASSIGNMENT: 24}, learners[2]: {"02-sytems-innovation": 24}})
    c = Course.find(course)
    (grades, _, _), data = export.write(c, out=tmp_path)
    assert "root" not in grades.read_text()
    warnings = export.warnings_for(c, data)
    said = [w for w in warnings if "root" in w]
    assert len(said) == 1 and "root (the tutor's own account)" in said[0]
    assert said[0].count(". ") == 0 and said[0].endswith(".") and "\n" not in said[0]  # one sentence
    assert any(f"extension to {learners[1]}x, who is not a learner of this course (did you mean {learners[1]}?)"
               in w for w in warnings), warnings
    assert any("02-sytems-innovation, which is not an assignment (did you mean 02-systems-innovation?)" in w
               for w in warnings), warnings
