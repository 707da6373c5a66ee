"""Moderation (issue 18.3): blind second marks on a sample, kept in moderation.db (not nbgrader's tables),
the answers a level or more apart, and Cohen's kappa per question."""

from __future__ import annotations

import sqlite3

import pytest
import tutor_cohort
from tutor_cohort import ASSIGNMENT

from syslead.errors import CourseError
from syslead.tutor import grading_page, moderation
from syslead.tutor.autograde import recorded
from syslead.tutor.course import Course
from syslead.tutor.gradebook import grades
from syslead.tutor.reflections import anonymiser

QUESTION = "reflection-channels"


def test_cohens_kappa_on_a_worked_example():
    # 10 answers: the markers agree on 8; each uses "2" 5 times and "3" 5 times -> chance 0.5, kappa 0.6
    first = ["2"] * 5 + ["3"] * 5
    second = ["2", "2", "2", "2", "3", "3", "3", "3", "2", "3"]
    assert sum(a == b for a, b in zip(first, second, strict=True)) == 8
    assert moderation.cohen_kappa(first, second) == pytest.approx((0.8 - 0.5) / 0.5)
    assert moderation.cohen_kappa(["1", "1"], ["1", "1"]) is None  # one level only: undefined
    assert moderation.cohen_kappa(["1", "2"], ["2", "1"]) == pytest.approx(-1.0)


@pytest.mark.slow
def test_second_marks_are_blind_sampled_kept_apart_and_compared(tmp_path_factory):
    base = tmp_path_factory.mktemp("moderation")
    course_dir = tutor_cohort.copy(tutor_cohort.graded(base), base / "course")
    course = Course.find(course_dir)
    before = recorded(course, ASSIGNMENT)
    rows = {g.student: g for g in grades(course, ASSIGNMENT) if g.cell == QUESTION}
    sample = moderation.sample(course, ASSIGNMENT, QUESTION)
    assert len(sample) == min(len(rows), max(3, -(-len(rows) // 4)))
    assert sample == moderation.sample(course, ASSIGNMENT, QUESTION)  # fixed
    outside = sorted(set(rows) - sample)
    if outside:
        with pytest.raises(CourseError, match="not in the moderation sample"):
            moderation.save(course, ASSIGNMENT, QUESTION, rows[outside[0]].grade_id, 2, 4)
    # the first marker grades the sample through the grading page's save; the second marker differs once
    people = sorted(sample)
    firsts = {s: 2.0 for s in people}
    for s in people:
        grading_page.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, score=firsts[s], comment=None,
                          confirm_blank=True)
    seconds = {s: 2.0 for s in people}
    seconds[people[0]] = 4.0  # two levels apart
    for s in people:
        moderation.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, seconds[s], 4)
    result = moderation.agreement(course, ASSIGNMENT, QUESTION, 4)
    assert result["n"] == len(people) and result["exact"] == len(people) - 1
    code = anonymiser(course)
    assert [{k: d[k] for k in ("learner", "first", "second")} for d in result["differ"]] == [
        {"learner": code(people[0]), "first": 2.0, "second": 4.0}]
    levels_first = ["2"] * len(people)
    levels_second = ["4"] + ["2"] * (len(people) - 1)
    assert result["kappa"] == moderation.cohen_kappa(levels_first, levels_second)
    # second marks live beside the gradebook, in their own file; nbgrader's grades are the first marker's
    with sqlite3.connect(course_dir / "moderation.db") as con:
        assert con.execute("select count(*) from second_marks").fetchone()[0] == len(people)
    with sqlite3.connect(course_dir / "gradebook.db") as con:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    assert "second_marks" not in tables
    after = recorded(course, ASSIGNMENT)
    for s in people:
        nb = after[s]["notebooks"][ASSIGNMENT]["grades"][QUESTION]
        assert nb[1] == firsts[s]  # manual score: the first marker's
    assert set(after) == set(before)


def sample_under(course, key_hex: str) -> set[str]:
    with sqlite3.connect(moderation.path(course)) as con:
        con.execute("insert or replace into settings values ('sample_key', ?)", (key_hex,))
    return moderation.sample(course, ASSIGNMENT, QUESTION)


@pytest.mark.slow
def test_the_sample_is_unpredictable_markers_are_named_and_an_agreed_mark_is_kept_backed_up_and_exported(
        tmp_path_factory):
    import csv
    import secrets

    from syslead.tutor import backup, export

    base = tmp_path_factory.mktemp("moderation-named")
    course_dir = tutor_cohort.copy(tutor_cohort.graded(base), base / "course")
    course = Course.find(course_dir)
    rows = {g.student: g for g in grades(course, ASSIGNMENT) if g.cell == QUESTION}
    # the sample follows moderation.db's own key, not the anonymised order the first marker sees
    sample = moderation.sample(course, ASSIGNMENT, QUESTION)
    (course_dir / ".syslead-anonymise-key").write_text(secrets.token_hex(32))
    assert moderation.sample(course, ASSIGNMENT, QUESTION) == sample  # the first marker's order: no effect
    others = {frozenset(sample_under(course, secrets.token_hex(32))) for _ in range(20)}
    assert len(others) > 1  # another key, another sample
    sample = moderation.sample(course, ASSIGNMENT, QUESTION)
    people = sorted(sample)
    for s in people:
        grading_page.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, score=1.0, comment=None,
                          confirm_blank=True, marker="first-tutor")
        moderation.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, 4.0 if s == people[0] else 1.0, 4,
                        marker="second-tutor")
    differ = moderation.agreement(course, ASSIGNMENT, QUESTION, 4)["differ"]
    assert len(differ) == 1 and differ[0]["first_marker"] == "first-tutor" and differ[0]["second_marker"] == "second-tutor"
    moderation.agree(course, ASSIGNMENT, QUESTION, rows[people[0]].grade_id, 3.0, 4, "first-tutor")
    result = moderation.agreement(course, ASSIGNMENT, QUESTION, 4)
    d = result["differ"][0]
    assert (d["first"], d["second"], d["agreed"], d["agreed_by"]) == (1.0, 4.0, 3.0, "first-tutor")  # beside both
    assert result["second_markers"] == ["second-tutor"] and result["kappa_text"]
    after = recorded(course, ASSIGNMENT)[people[0]]["notebooks"][ASSIGNMENT]["grades"][QUESTION]
    assert after[1] == 3.0  # the agreed mark is the final mark in the gradebook
    # backed up with the gradebook, put back by restore, and exported
    made = backup.backup_gradebook(course)
    assert backup.moderation_copy(made).is_file() and made in backup.backups(course)
    assert backup.moderation_copy(made) not in backup.backups(course)
    moderation.path(course).unlink()
    backup.restore_gradebook(course, made)
    assert moderation.agreement(course, ASSIGNMENT, QUESTION, 4)["differ"][0]["agreed"] == 3.0
    export.write(course, out=base / "grades")
    with open(base / "grades" / "moderation.csv", newline="") as f:
        exported = {r["learner"]: r for r in csv.DictReader(f)}
    assert set(exported) == sample
    mine = exported[people[0]]
    assert (mine["first_mark"], mine["second_mark"], mine["agreed_mark"]) == ("1", "4", "3")
    assert (mine["first_marker"], mine["second_marker"], mine["agreed_by"]) == ("first-tutor", "second-tutor",
                                                                                 "first-tutor")
