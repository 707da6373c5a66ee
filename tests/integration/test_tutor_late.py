"""Late policy and extensions from the manifest (issue 18.5): a deadline per assignment (``due``), one
penalty rule (``late_policy``) applied by nbgrader's own AssignLatePenalties through a LateSubmissionPlugin,
and per-learner extensions; the autograde report and the export state the penalty. The late submission
is 63 hours late."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import tutor_cohort
import yaml
from conftest import ROOT, nbgrader
from tutor_cohort import ASSIGNMENT

from syslead.errors import CourseError
from syslead.tutor import export, late
from syslead.tutor.autograde import autograde
from syslead.tutor.course import Course

DUE = dt.datetime(2026, 2, 2, 17, 0)


def test_the_rules():
    hour = 3600
    assert late.penalty({"per_hour": 1}, 63 * hour, 10) == 63
    assert late.penalty({"per_hour": 1, "max_points": 4}, 63 * hour, 10) == 4
    assert late.penalty({"per_hour": 0.5}, 10, 10) == 0.5  # any part of an hour counts
    assert late.penalty({"percent_per_day": 10}, 63 * hour, 12) == pytest.approx(3.6)  # 3 days: 30 % of 12
    assert late.penalty({"percent_per_day": 10, "max_percent": 20}, 63 * hour, 12) == pytest.approx(2.4)
    assert late.penalty({"per_hour": 1}, 63 * hour, 10, score=2.5) == 2.5  # never more than the score
    assert late.penalty({}, 63 * hour, 10) == 0 and late.penalty({"per_hour": 1}, 0, 10) == 0
    assert late.extension_hours({"ann": {ASSIGNMENT: 48}}, "ann", ASSIGNMENT) == 48
    assert late.extension_hours({"ann": {"all": 24}}, "ann", ASSIGNMENT) == 24
    assert late.extension_hours({"ann": {"all": 24}}, "bob", ASSIGNMENT) == 0
    assert late.describe({"percent_per_day": 10, "max_percent": 50}) == "10% of the points per day late, at most 50%"
    said = late.notice(seconds_late=63 * hour, due=DUE, policy={"per_hour": 1}, extension=60, penalty_points=3)
    assert said == ("Submitted 63 hours after the deadline (2026-02-02 17:00 UTC), 3 hours after your extended "
                    "deadline (2026-02-05 05:00 UTC, an extension of 60 hours); late policy: 1 point per hour late; "
                    "penalty: 3 points.")
    assert late.notice(seconds_late=0, due=DUE, policy={"per_hour": 1}, extension=0, penalty_points=0) is None
    assert "on time, no penalty" in late.notice(seconds_late=63 * hour, due=DUE, policy={"per_hour": 1},
                                                extension=72, penalty_points=0)
    for bad in ({"per_hour": 1, "percent_per_day": 5}, {"per_week": 1}, {"per_hour": -1}):
        with pytest.raises(CourseError):
            late.check_policy(bad)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("tutor-late")


def setup_course(base, name, *, policy, extensions=None):
    """The collected demo cohort with a manifest deadline, a rule, and one learner 63 hours late."""
    course = tutor_cohort.copy(tutor_cohort.collected(base), base / name)
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    for a in data["assignments"]:
        if a["id"] == ASSIGNMENT:
            a["due"] = DUE.strftime("%Y-%m-%d %H:%M:%S UTC")
    data["late_policy"] = policy
    data["extensions"] = extensions or {}
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    students = sorted(p.name for p in (course / "submitted").iterdir())
    latecomer, on_time = students[0], students[1]
    for student, when in ((latecomer, DUE + dt.timedelta(hours=63)), (on_time, DUE - dt.timedelta(hours=5))):
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(stamp)
    return course, latecomer, on_time


def penalties(course):
    with Course.find(course).gradebook() as gb:
        out = {sub.student_id: (sub.total_seconds_late, sum(nb.late_submission_penalty or 0 for nb in sub.notebooks),
                                sub.score)
               for sub in gb.find_assignment(ASSIGNMENT).submissions}
        return out, gb.find_assignment(ASSIGNMENT).duedate


@pytest.mark.slow
def test_a_63_hour_late_submission_loses_what_the_manifest_says(base):
    course, latecomer, on_time = setup_course(base, "per-day", policy={"percent_per_day": 10, "max_percent": 50})
    report = autograde(ASSIGNMENT, course=Course.find(course), jobs=2, progress=False, quiet=True,
                       students=[latecomer, on_time])
    got, due = penalties(course)
    assert due == DUE  # the manifest's deadline is now the gradebook's
    seconds, penalty, score = got[latecomer]
    assert seconds == 63 * 3600
    with Course.find(course).gradebook() as gb:
        max_score = gb.find_assignment(ASSIGNMENT).max_score
        raw = sum(nb.score for nb in gb.find_submission(ASSIGNMENT, latecomer).notebooks)
    assert penalty == pytest.approx(min(raw, 0.3 * max_score))  # 3 days (any part of a day counts) x 10 %
    assert got[on_time][1] == 0
    note = next(o.reason for o in report.outcomes if o.student == latecomer)
    assert "63.0 hours late" in note and f"{penalty:g} points off" in note and "10% of the points per day" in note
    rows = {r.student_id: r for r in export.rows(Course.find(course))}
    assert rows[latecomer].late_submission_penalty == pytest.approx(penalty)
    assert rows[latecomer].score == pytest.approx(max(0, raw - penalty))
    assert rows[latecomer].seconds_late == 63 * 3600


@pytest.mark.slow
def test_an_extension_moves_the_deadline_for_that_learner_only(base):
    course, latecomer, on_time = setup_course(base, "extension", policy={"per_hour": 0.1},
                                              extensions={"someone-else": {"all": 100}})
    data = yaml.safe_load((course / "course.yml").read_text())
    data["extensions"][latecomer] = {ASSIGNMENT: 72}
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=[latecomer])
    got, _ = penalties(course)
    assert got[latecomer][0] == 63 * 3600 and got[latecomer][1] == 0  # late, but within the extension
    data["extensions"][latecomer] = {ASSIGNMENT: 60}  # 3 hours beyond the extension: 0.3 points
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    autograde(ASSIGNMENT, course=Course.find(course), jobs=1, force=True, progress=False, quiet=True,
              students=[latecomer])
    got, _ = penalties(course)
    assert got[latecomer][1] == pytest.approx(min(0.3, got[latecomer][2]))  # never more than the score


@pytest.mark.slow
def test_a_bad_rule_is_one_sentence_before_anything_is_graded(base):
    course, latecomer, _ = setup_course(base, "bad-rule", policy={"per_hour": 1, "percent_per_day": 5})
    with pytest.raises(CourseError, match="should have one rule"):
        autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=[latecomer])
    assert not (course / "autograded").exists() or not any((course / "autograded").iterdir())


def feedback_text(course, student):
    """The words of a learner's feedback HTML files (tags and spacing folded)."""
    files = sorted((course / "feedback" / student / ASSIGNMENT).glob("*.html"))
    assert files, f"no feedback for {student}"
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", f.read_text(encoding="utf-8"))))
            for f in files]


@pytest.mark.slow
def test_the_feedback_states_the_penalty_and_on_time_work_says_nothing(base):
    """Real autograde, then real ``nbgrader generate_feedback``: the late learner's feedback opens with the
    sentence, with the deadline, the rule and the points from the gradebook; the on-time learner's has none."""
    policy = {"percent_per_day": 10, "max_percent": 50}
    course, latecomer, on_time = setup_course(base, "feedback", policy=policy)
    autograde(ASSIGNMENT, course=Course.find(course), jobs=2, progress=False, quiet=True,
              students=[latecomer, on_time])
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    with Course.find(course).gradebook() as gb:
        points = [nb.late_submission_penalty or 0 for nb in gb.find_submission(ASSIGNMENT, latecomer).notebooks]
        raw = sum(nb.score for nb in gb.find_submission(ASSIGNMENT, latecomer).notebooks)
        max_score = gb.find_assignment(ASSIGNMENT).max_score
    assert sum(points) == pytest.approx(min(raw, 0.3 * max_score))  # what autograde took off, no more
    for text in feedback_text(course, latecomer):
        found = re.search(r"Submitted 63 hours after the deadline \(2026-02-02 17:00 UTC\); late policy: "
                          r"10% of the points per day late, at most 50%; penalty: ([0-9.]+) points?\.", text)
        assert found, text[:400]
        assert float(found.group(1)) in [pytest.approx(p) for p in points]
    for text in feedback_text(course, on_time):
        assert "Submitted" not in text and "late policy" not in text and "Late work" not in text


@pytest.mark.slow
def test_the_feedback_names_the_extended_deadline(base):
    course, latecomer, _ = setup_course(base, "feedback-extension", policy={"per_hour": 0.1})
    data = yaml.safe_load((course / "course.yml").read_text())
    data["extensions"] = {latecomer: {ASSIGNMENT: 60}}
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=[latecomer])
    nbgrader("generate_feedback", ASSIGNMENT, "--student", latecomer, cwd=course)
    for text in feedback_text(course, latecomer):
        assert re.search(r"Submitted 63 hours after the deadline \(2026-02-02 17:00 UTC\), 3 hours after your "
                         r"extended deadline \(2026-02-05 05:00 UTC, an extension of 60 hours\); late policy: "
                         r"0.1 points per hour late; penalty: [0-9.]+ points?\.", text), text[:400]


@pytest.mark.slow
def test_after_hand_marking_the_penalty_follows_the_policy_in_gradebook_export_and_feedback(base):
    """nbgrader works the penalty out at autograde, on the quick questions alone; once the tutor has marked
    the reflections (here through nbgrader's own API, as formgrader saves), the export and the feedback
    take the policy's share of the final score, and the gradebook says the same (issue 26, trap 2)."""
    course, latecomer, _ = setup_course(base, "after-marking", policy={"percent_per_day": 10, "max_percent": 50})
    autograde(ASSIGNMENT, course=Course.find(course), jobs=1, progress=False, quiet=True, students=[latecomer])
    with Course.find(course).gradebook() as gb:
        max_score = gb.find_assignment(ASSIGNMENT).max_score
        sub = gb.find_submission(ASSIGNMENT, latecomer)
        before = sum(nb.late_submission_penalty or 0 for nb in sub.notebooks)
        assert before == pytest.approx(min(sub.score, 0.3 * max_score))
        for nb in sub.notebooks:
            for g in nb.grades:
                if g.cell.cell_type == "markdown":  # formgrader's save: a manual score, flagged graded
                    g.manual_score = g.max_score
                    g.needs_manual_grade = False
        gb.db.commit()
        raw = gb.find_submission(ASSIGNMENT, latecomer).score
    assert raw > 0.3 * max_score > before  # the cap at the old score no longer binds
    row = next(r for r in export.rows(Course.find(course)) if r.student_id == latecomer)
    assert row.late_submission_penalty == pytest.approx(0.3 * max_score)
    assert row.score == pytest.approx(raw - 0.3 * max_score)
    got, _ = penalties(course)
    assert got[latecomer][1] == pytest.approx(0.3 * max_score)  # the gradebook agrees
    nbgrader("generate_feedback", ASSIGNMENT, "--student", latecomer, "--force", cwd=course)
    shown = str(round(0.3 * max_score, 2))
    for text in feedback_text(course, latecomer):
        assert f"penalty: {0.3 * max_score:g} points." in text, text[:400]
        assert f"Late submission penalty (Score: -{shown})" in text
        assert f"(Score: {round(raw - 0.3 * max_score, 2)} / {round(max_score, 2)})" in text
