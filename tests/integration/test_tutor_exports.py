"""Exports that don't lie (issue 18.4), on the small demo cohort of tests/tutor_cohort.py: missing work is
blank, partly graded and failed submissions are flagged, exporting before grading stops, every learner on
the roll has a row, nameless learners are listed, Canvas and Moodle columns carry the manifest's ids, and
numbers are plain decimals. Each LMS layout is checked against its documented import format."""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

import pytest
import tutor_cohort
import yaml
from conftest import ROOT, nbgrader, small_tmpfs
from tutor_cohort import ASSIGNMENT

from syslead.cli import main
from syslead.tutor import export
from syslead.tutor.autograde import autograde
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow

CANVAS_ID = "40417"
MOODLE_ITEM = "Reading 2: diffusion of innovations"
PLAIN = re.compile(r"^(-?\d+(\.\d+)?)?$")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("tutor-exports")


def with_manifest(course: Path, **changes) -> Path:
    """Give a course root its own course.yml (the repository's, with ``changes`` to assignment 02)."""
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    for a in data["assignments"]:
        if a["id"] == ASSIGNMENT:
            a.update(changes)
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return course


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sentence(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def troubled(base):
    """The graded cohort plus one learner whose autograde failed, one who renamed the notebook and one
    added by collect with no name or email."""
    course = tutor_cohort.copy(tutor_cohort.collected(base), base / "troubled")
    students = sorted(p.name for p in (course / "submitted").iterdir())
    broken, renamed = students[0], students[1]
    (course / "submitted" / broken / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{ not a notebook")
    folder = course / "submitted" / renamed / ASSIGNMENT
    (folder / f"{ASSIGNMENT}.ipynb").rename(folder / "my copy.ipynb")
    stranger = course / "submitted" / "zz-new-learner" / ASSIGNMENT
    shutil.copytree(course / "submitted" / students[2] / ASSIGNMENT, stranger)
    autograde(ASSIGNMENT, course=Course.find(course), jobs=2, progress=False, quiet=True)
    with_manifest(course, lms={"canvas_assignment_id": CANVAS_ID, "moodle_item": MOODLE_ITEM})
    return course, broken, renamed, "zz-new-learner"


def test_every_learner_on_the_roll_has_a_row_and_missing_work_is_blank(base, tmp_path):
    graded = tutor_cohort.graded(base)
    (grades, moodle, canvas), data = export.write(Course.find(graded), out=tmp_path)
    rows = read_csv(grades)
    assert len(rows) == tutor_cohort.LEARNERS
    missing = [r for r in rows if r["submitted"] == "no"]
    assert len(missing) == 1 and missing[0]["status"] == "missing"
    for col in ("raw_score", "late_submission_penalty", "score", "percent", "seconds_late"):
        assert missing[0][col] == "", col  # blank, not 0
    sid = missing[0]["student_id"]
    assert list(next(r for r in read_csv(canvas) if r["SIS Login ID"] == sid).values())[5] == ""
    assert next(r for r in read_csv(moodle) if r["ID number"] == sid)[ASSIGNMENT] == ""
    # the submitted learners' numbers are nbgrader's own
    nbgrader("export", "--to", str(tmp_path / "nb.csv"), cwd=graded)
    theirs = {r["student_id"]: r for r in read_csv(tmp_path / "nb.csv")}
    for r in rows:
        if r["submitted"] == "yes":
            for col in ("raw_score", "late_submission_penalty", "score", "max_score"):
                assert float(r[col]) == float(theirs[r["student_id"]][col]), col
    # a blank reflection is auto-zeroed and needs no tutor; the rest wait for one: flagged, not sent to the LMS
    partly = [r for r in rows if r["status"] == "partly graded"]
    assert partly and all(r["needs_manual_grade"] == "yes" and r["score"] != "" for r in partly)
    lms = {r["SIS Login ID"]: list(r.values())[5] for r in read_csv(canvas)}
    assert all(lms[r["student_id"]] == "" for r in partly)
    warnings = export.warnings_for(Course.find(graded), data)
    assert any("only partly graded" in w and partly[0]["student_id"] in w for w in warnings)
    assert any("did not submit" in w and sid in w for w in warnings)


def test_every_number_is_a_plain_decimal(base, tmp_path):
    paths, _ = export.write(Course.find(tutor_cohort.graded(base)), out=tmp_path)
    numeric = {"raw_score", "late_submission_penalty", "score", "max_score", "seconds_late", "percent"}
    rows = read_csv(paths[0])
    late = [r for r in rows if r["seconds_late"] not in ("", "0")]
    assert late and all(float(r["seconds_late"]) > 3600 for r in late)  # the late learner
    for r in rows:
        for col in numeric:
            assert PLAIN.match(r[col]), (col, r[col])
    for path, first_grade_column in ((paths[1], 4), (paths[2], 5)):  # moodle.csv, canvas.csv
        for r in read_csv(path):
            assert all(PLAIN.match(v) for v in list(r.values())[first_grade_column:]), r


def test_failed_renamed_and_nameless_learners_are_flagged_and_listed(troubled, tmp_path, capsys, monkeypatch):
    course, broken, renamed, stranger = troubled
    (grades, _, _), data = export.write(Course.find(course), out=tmp_path)
    rows = {r["student_id"]: r for r in read_csv(grades)}
    assert {broken, renamed, stranger} <= set(rows)  # no one falls off the roll
    assert rows[broken]["status"] == "not graded" and rows[broken]["score"] == ""
    assert rows[renamed]["status"] == "notebook missing" and "my copy.ipynb" in rows[renamed]["note"]
    assert rows[stranger]["first_name"] == "" and rows[stranger]["status"] != "missing"
    monkeypatch.chdir(course)
    assert main(["export", "--out", str(tmp_path / "cli")]) == 0
    out = capsys.readouterr().out
    assert "Warning: 1 collected submissions have no grades" in out and broken in out
    assert "lack the assignment's notebook" in out and renamed in out
    assert "have no name or email" in out and stranger in out


def test_canvas_layout_is_canvas_gradebook_import_format_with_the_manifest_id(troubled, tmp_path):
    """Canvas's Gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
    assignment named 'Assignment Name (id)', so that Canvas updates that assignment and creates none."""
    course, *_ = troubled
    (_, _, canvas), _ = export.write(Course.find(course), out=tmp_path)
    with open(canvas, newline="", encoding="utf-8") as f:
        header, *body = list(csv.reader(f))
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    title = Course.find(course).manifest_assignment(ASSIGNMENT).title
    assert header[5:] == [f"{title} ({CANVAS_ID})"]
    assert all(re.fullmatch(r".+ \(\d+\)", h) for h in header[5:])
    logins = [row[3] for row in body]
    assert len(logins) == len(set(logins)) and all(logins)  # every row can be matched
    assert all(PLAIN.match(row[5]) for row in body)
    assert export.lms_columns(Course.find(course), [ASSIGNMENT])[2] == []  # no warning: the id is known


def test_moodle_layout_is_an_identifier_column_and_grade_item_columns(troubled, tmp_path):
    """Moodle's CSV grade import: a header row, one column mapped to a user field (email or ID number),
    and a column per grade item, named as the grade item."""
    course, *_ = troubled
    (_, moodle, _), _ = export.write(Course.find(course), out=tmp_path)
    with open(moodle, newline="", encoding="utf-8") as f:
        header, *body = list(csv.reader(f))
    assert header == ["First name", "Last name", "ID number", "Email address", MOODLE_ITEM]
    ids = [row[2] for row in body]
    assert len(ids) == len(set(ids)) and all(ids)
    assert all(PLAIN.match(row[4]) for row in body)


def test_an_assignment_without_a_canvas_id_is_warned_about(base):
    course = Course.find(tutor_cohort.graded(base))  # no course.yml of its own, no lms ids
    warnings = export.lms_columns(course, [ASSIGNMENT])[2]
    assert len(warnings) == 1 and "new assignment" in warnings[0]


def test_exporting_before_grading_asks_for_allow_ungraded(base, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tutor_cohort.collected(base))
    err = sentence(capsys, "export", "--out", str(tmp_path))
    assert "--allow-ungraded" in err and "autograde" in err
    assert not (tmp_path / "grades.csv").exists()
    assert main(["export", "--out", str(tmp_path), "--allow-ungraded"]) == 0
    rows = read_csv(tmp_path / "grades.csv")
    assert len(rows) == tutor_cohort.LEARNERS and all(r["score"] == "" for r in rows)
    assert {r["status"] for r in rows} == {"not graded", "missing"}


def test_a_bad_out_and_a_full_disk_get_one_sentence(base, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tutor_cohort.graded(base))
    a_file = tmp_path / "grades.txt"
    a_file.write_text("not a folder")
    assert "is a file, not a folder" in sentence(capsys, "export", "--out", str(a_file))
    # a real full disk: a 64 KiB tmpfs filled up (a link to /dev/full is refused)
    with small_tmpfs(tmp_path / "full", "64k") as full:
        fd = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:  # no space left: the disk is full
            pass
        finally:
            os.close(fd)
        assert "The disk is full" in sentence(capsys, "export", "--out", str(full))
