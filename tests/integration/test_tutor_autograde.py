"""`syslead autograde`: the same scores as serial `nbgrader autograde`, safe re-runs, manual grades kept,
failures isolated, a backup first, and plain sentences for a tutor's mistakes.

The cohort is `syslead demo`'s (tests/tutor_cohort.py): six learners of assignment 02, one of each kind
(complete, partial, wrong, blank, late, never submitted).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess

import pytest
import tutor_cohort
from conftest import BIN, course_env, nbgrader, run
from tutor_cohort import ASSIGNMENT

from syslead.cli import main
from syslead.tutor.autograde import autograde, recorded
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("tutor-autograde")


def syslead(*args, cwd):
    return run([str(BIN / "syslead"), *args], cwd=cwd)


def export(course, to):
    nbgrader("export", "--to", str(to), cwd=course)
    with open(to, newline="") as f:
        return sorted(tuple(row.items()) for row in csv.DictReader(f))


def set_manual_grade(course, student, grade_id="reflection-channels", score=3.0, comment="Good use of p and q."):
    with Course.find(course).gradebook() as gb:
        grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = score
        comment_row = gb.find_comment(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        comment_row.manual_comment = comment
        gb.db.commit()


def test_parallel_autograde_gives_exactly_the_scores_of_serial_nbgrader(base):
    collected = tutor_cohort.collected(base)
    serial = tutor_cohort.copy(collected, base / "serial")
    nbgrader("autograde", ASSIGNMENT, cwd=serial)
    parallel = tutor_cohort.graded(base)  # syslead autograde --jobs 2 on a copy of the same cohort

    serial_book, parallel_book = recorded(Course.find(serial), ASSIGNMENT), recorded(Course.find(parallel), ASSIGNMENT)
    assert len(parallel_book) == 5  # every submission (one learner never submitted)
    assert parallel_book == serial_book  # every grade, flag, comment, late penalty and timestamp
    assert export(parallel, base / "p.csv") == export(serial, base / "s.csv")
    scores = {s: r["score"] for s, r in parallel_book.items()}
    assert len(set(scores.values())) >= 3, scores  # the kinds of submission really differ
    for student in parallel_book:  # formgrader has the executed notebook to show
        assert (parallel / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert list((parallel / "backups").glob("gradebook-*before-autograde*.db")), "no backup before grading"


def test_a_second_run_skips_what_is_graded_and_prints_a_table(base):
    graded = tutor_cohort.copy(tutor_cohort.graded(base), base / "rerun")
    before = recorded(Course.find(graded), ASSIGNMENT)
    out = syslead("autograde", ASSIGNMENT, "--jobs", "2", cwd=graded).stdout
    assert "0 graded, 5 skipped, 0 refused, 0 failed" in out
    assert out.count("already graded (--force grades it again)") == 5
    assert recorded(Course.find(graded), ASSIGNMENT) == before


def test_manual_grades_survive_a_forced_rerun_as_with_nbgrader(base):
    graded = tutor_cohort.graded(base)
    student = sorted(recorded(Course.find(graded), ASSIGNMENT))[0]
    ours = tutor_cohort.copy(graded, base / "manual-ours")
    theirs = tutor_cohort.copy(graded, base / "manual-theirs")
    for course in (ours, theirs):
        set_manual_grade(course, student)
    flag_before = recorded(Course.find(ours), ASSIGNMENT)[student]["notebooks"][ASSIGNMENT]["grades"][
        "reflection-channels"][3]

    proc = syslead("autograde", ASSIGNMENT, "--force", "--student", student, "--jobs", "2", cwd=ours)
    assert "1 graded, 0 skipped, 0 refused, 0 failed" in proc.stdout
    nbgrader("autograde", ASSIGNMENT, "--force", "--student", student, cwd=theirs)

    with Course.find(ours).gradebook() as gb:
        grade = gb.find_grade("reflection-channels", ASSIGNMENT, ASSIGNMENT, student)
        assert grade.manual_score == 3.0 and grade.score == 3.0
        assert gb.find_comment("reflection-channels", ASSIGNMENT, ASSIGNMENT, student).manual_comment == \
            "Good use of p and q."
    mine, nbgraders = recorded(Course.find(ours), ASSIGNMENT), recorded(Course.find(theirs), ASSIGNMENT)
    # one difference, on purpose (issue 18.6): the answer's text did not change, so the tutor's "graded"
    # flag stays as it was; nbgrader asks for every manually scored answer again
    ours_grade = mine[student]["notebooks"][ASSIGNMENT]["grades"]["reflection-channels"]
    theirs_grade = nbgraders[student]["notebooks"][ASSIGNMENT]["grades"]["reflection-channels"]
    assert ours_grade[3] == flag_before and theirs_grade[3] is True
    assert ours_grade[:3] == theirs_grade[:3]
    for book in (mine, nbgraders):
        book[student]["notebooks"][ASSIGNMENT]["grades"]["reflection-channels"] = ours_grade[:3]
    assert mine == nbgraders  # everything else is exactly nbgrader's


def test_a_broken_submission_fails_alone_and_is_reported(base):
    course = tutor_cohort.copy(tutor_cohort.collected(base), base / "broken")
    students = sorted(p.name for p in (course / "submitted").iterdir())
    broken, fine = students[0], students[1]
    (course / "submitted" / broken / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{ this is not a notebook")
    report = autograde(ASSIGNMENT, course=Course.find(course), jobs=2, students=[broken, fine],
                       progress=False, quiet=True)
    outcome = {o.student: o for o in report.outcomes}
    assert outcome[fine].status == "graded"
    assert outcome[broken].status == "failed" and "nbgrader could not grade it" in outcome[broken].reason
    assert not (course / "autograded" / broken / ASSIGNMENT).exists()
    assert set(recorded(Course.find(course), ASSIGNMENT)) == {fine}
    assert broken in (course / "syslead-autograde.log").read_text()
    result = subprocess.run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--student", broken],
                            cwd=course, env=course_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "1 failed" in result.stdout


def test_backup_and_restore_bring_back_the_gradebook(base):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "restore")
    before = recorded(Course.find(course), ASSIGNMENT)
    out = syslead("backup", cwd=course).stdout
    assert "Backed up the gradebook to" in out
    student = sorted(before)[0]
    set_manual_grade(course, student, score=1.0)
    assert recorded(Course.find(course), ASSIGNMENT) != before
    out = syslead("restore", cwd=course).stdout
    assert "Restored the gradebook" in out and "undoes this" in out
    assert recorded(Course.find(course), ASSIGNMENT) == before


# --- mistakes a tutor can make: one sentence, exit status 2 -----------------------------------------------


def sentence(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "Traceback" not in err, err
    return err


def test_not_in_a_course_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "is not a course directory" in sentence(capsys, "autograde", ASSIGNMENT)


def test_unknown_assignment(base, monkeypatch, capsys):
    monkeypatch.chdir(tutor_cohort.graded(base))
    err = sentence(capsys, "reflections", "09-nonsense")
    assert "no assignment called '09-nonsense'" in err and ASSIGNMENT in err


def test_missing_exchange(base, monkeypatch, capsys):
    course = tutor_cohort.copy(tutor_cohort.collected(base), base / "no-exchange")
    for folder in ("submitted", "exchange"):
        shutil.rmtree(course / folder)
    monkeypatch.chdir(course)
    err = sentence(capsys, "autograde", ASSIGNMENT)
    assert "the exchange folder" in err and "does not exist" in err and "nbgrader collect" in err


def test_locked_database(base, monkeypatch, capsys):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "locked")
    holder = sqlite3.connect(course / "gradebook.db", timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another program is writing
    try:
        monkeypatch.chdir(course)
        assert "The gradebook is locked by another program" in sentence(capsys, "export")
    finally:
        holder.rollback()
        holder.close()
