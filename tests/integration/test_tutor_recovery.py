"""Recovery without traps (issue 18.6), on the small demo cohort of tests/tutor_cohort.py: a forced re-run
keeps a tutor's "graded" flags for answers that did not change, backups are checked before they count,
restore skips a broken one, no failure deletes a learner's work, a deleted reflection cell scores 0 with a
comment and a score box, and a full disk, a bad --jobs and collect's ownership check each get a sentence."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time

import nbformat
import pytest
import tutor_cohort
from conftest import BIN, course_env, run, small_tmpfs
from tutor_cohort import ASSIGNMENT

from syslead.cli import main
from syslead.tutor import backup
from syslead.tutor.autograde import autograde, recorded
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow

REFLECTION = "reflection-channels"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("tutor-recovery")


def syslead(*args, cwd, check=True):
    if check:
        return run([str(BIN / "syslead"), *args], cwd=cwd)
    return subprocess.run([str(BIN / "syslead"), *args], cwd=cwd, env=course_env(), capture_output=True, text=True,
                          timeout=600)


def sentence(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "Traceback" not in err, err
    return err


def grade_by_hand(course, student, score=3.0, grade_id=REFLECTION):
    """What a tutor does in formgrader: a score, and the "graded" flag."""
    with Course.find(course).gradebook() as gb:
        grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()


def flag(course, student, grade_id=REFLECTION):
    with Course.find(course).gradebook() as gb:
        g = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        return g.manual_score, bool(g.needs_manual_grade)


def answered(course):
    """A learner who wrote the reflection (so that it needs a tutor)."""
    with Course.find(course).gradebook() as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            g = gb.find_grade(REFLECTION, ASSIGNMENT, ASSIGNMENT, sub.student_id)
            if g.needs_manual_grade:
                return sub.student_id
    raise AssertionError("no answered reflection in the demo cohort")


def test_force_keeps_graded_flags_of_unchanged_answers_and_asks_again_for_changed_ones(base):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "force")
    student = answered(course)
    others = sorted(set(recorded(Course.find(course), ASSIGNMENT)) - {student})
    grade_by_hand(course, student)
    grade_by_hand(course, others[0], score=2.0)
    # the second learner resubmits a changed answer (newer timestamp, other words)
    path = course / "submitted" / others[0] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == REFLECTION)
    cell.source += "\n\nI have added a paragraph after the deadline."
    nbformat.write(nb, path)
    autograde(ASSIGNMENT, course=Course.find(course), jobs=2, force=True, progress=False, quiet=True,
              students=[student, others[0]])
    assert flag(course, student) == (3.0, False)  # the same text: still graded (nbgrader would reset it)
    assert flag(course, others[0]) == (2.0, True)  # a changed text: back in the queue, score kept


def test_a_failed_save_keeps_the_last_graded_copy(base):
    """The trap: a gradebook that cannot be written made autograde delete the learner's autograded copy."""
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "no-loss")
    student = sorted(recorded(Course.find(course), ASSIGNMENT))[0]
    graded_nb = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    before = graded_nb.read_bytes()
    # a resubmission (a new timestamp), so that the grades to save really differ from the gradebook's
    (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text("2025-01-20 16:59:00.000000 UTC")
    holder = sqlite3.connect(course / "gradebook.db", timeout=0, check_same_thread=False)
    state = {}

    def hold_the_gradebook():
        # once the workers are grading, another program takes the write lock until the run is over
        while not list((course / "autograded" / student).glob(f".{ASSIGNMENT}.syslead-previous")):
            time.sleep(0.05)
        holder.execute("BEGIN IMMEDIATE")
        state["held"] = True

    t = threading.Thread(target=hold_the_gradebook, daemon=True)
    t.start()
    try:
        report = autograde(ASSIGNMENT, course=Course.find(course), jobs=1, force=True, progress=False,
                           quiet=True, students=[student])
    finally:
        t.join(timeout=5)
        if state.get("held"):
            holder.rollback()
        holder.close()
    assert state.get("held"), "the test never took the lock"
    assert report.failed and "could not be saved" in report.failed[0].reason
    assert graded_nb.read_bytes() == before  # the last graded copy is back, untouched
    assert not list((course / "autograded" / student).glob(".*syslead-previous"))


def test_a_deleted_reflection_cell_scores_0_with_a_comment_and_a_score_box(base):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "deleted")
    student = answered(course)
    path = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != REFLECTION]
    nbformat.write(nb, path)
    report = autograde(ASSIGNMENT, course=Course.find(course), jobs=1, force=True, progress=False, quiet=True,
                       students=[student])
    assert not report.failed and "deleted by the learner" in report.outcomes[0].reason
    with Course.find(course).gradebook() as gb:
        g = gb.find_grade(REFLECTION, ASSIGNMENT, ASSIGNMENT, student)
        assert (g.auto_score, g.manual_score, bool(g.needs_manual_grade), g.score) == (0.0, None, False, 0.0)
        assert gb.find_comment(REFLECTION, ASSIGNMENT, ASSIGNMENT, student).auto_comment == \
            "cell deleted by the learner"
    # formgrader shows a score box for every graded cell in the autograded notebook: the cell is back
    graded_nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    back = [c for c in graded_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == REFLECTION]
    assert len(back) == 1 and "Cell deleted by the learner" in back[0].source
    grade_by_hand(course, student, score=1.0)  # and the tutor can change it
    assert flag(course, student) == (1.0, False)


def test_backups_are_checked_and_restore_skips_a_broken_one(base, monkeypatch, capsys):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "restore")
    before = recorded(Course.find(course), ASSIGNMENT)
    good = backup.backup_gradebook(Course.find(course), reason="good")
    assert backup.check_backup(good) is None
    broken = course / "backups" / "gradebook-99991231-235959-000000-broken.db"  # the newest by name
    broken.write_bytes(b"")
    assert "empty" in backup.check_backup(broken)
    grade_by_hand(course, answered(course), score=1.0)
    monkeypatch.chdir(course)
    assert main(["restore"]) == 0
    out = capsys.readouterr().out
    assert f"Skipped {broken.name}: it is empty (0 bytes)." in out and "Restored the gradebook" in out
    assert recorded(Course.find(course), ASSIGNMENT) == before
    assert main(["restore"]) == 0  # a second restore works too (the trap: it refused)
    capsys.readouterr()
    assert f"{broken.name} cannot be restored: it is empty" in sentence(capsys, "restore", str(broken))


def test_a_damaged_gradebook_gets_a_sentence_and_restore_brings_it_back(base, monkeypatch, capsys):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "damaged")
    before = recorded(Course.find(course), ASSIGNMENT)
    backup.backup_gradebook(Course.find(course), reason="before damage")
    db = course / "gradebook.db"
    db.write_bytes(b"this is not sqlite" * 100)
    monkeypatch.chdir(course)
    err = sentence(capsys, "export")
    assert "is damaged" in err and "syslead restore" in err
    assert main(["restore"]) == 0
    assert recorded(Course.find(course), ASSIGNMENT) == before
    kept = list((course / "backups").glob("damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not sqlite")  # nothing is lost
    assert kept[0] not in backup.backups(Course.find(course))  # and it never counts as a backup


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB file system (tmpfs), smaller than the demo's gradebook: a full disk, for real."""
    with small_tmpfs(tmp_path / "tiny-disk", "64k") as where:
        yield where


def test_a_full_disk_gets_one_sentence_and_changes_nothing(base, tiny_disk, monkeypatch, capsys):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "full")
    assert (course / "gradebook.db").stat().st_size > 64 * 1024
    before = recorded(Course.find(course), ASSIGNMENT)
    monkeypatch.chdir(course)
    err = sentence(capsys, "backup", "--to", str(tiny_disk / "copy.db"))
    assert "The disk is full" in err and not list(tiny_disk.iterdir())  # no half-written backup left
    shutil.rmtree(course / "backups")
    (course / "backups").symlink_to(tiny_disk)  # autograde's backup first lands on the full disk
    err = sentence(capsys, "autograde", ASSIGNMENT, "--force", "--jobs", "1", "--no-progress")
    assert "The disk is full" in err
    assert recorded(Course.find(course), ASSIGNMENT) == before
    (course / "backups").unlink()


def test_jobs_beyond_the_cores_are_capped_with_a_note(base):
    course = tutor_cohort.copy(tutor_cohort.graded(base), base / "jobs")
    out = syslead("autograde", ASSIGNMENT, "--jobs", "99", cwd=course).stdout
    assert "Note: --jobs 99 is more than this machine's" in out and out.count("--jobs 99") == 1
    assert "0 graded, 5 skipped" in out


def test_collect_explains_the_ownership_check_once_on_one_machine(base):
    course = tutor_cohort.copy(tutor_cohort.collected(base), base / "collect")
    shutil.rmtree(course / "submitted")
    out = syslead("collect", ASSIGNMENT, cwd=course)
    text = out.stdout + out.stderr
    assert text.count("ownership check") == 1 and "cheating attempt?" in text  # said once, as a note
    assert text.count("claims to be submitted by") == 0
    assert len(list((course / "submitted").iterdir())) == tutor_cohort.LEARNERS - 1
    # plain nbgrader collect on the same exchange warns once per submission
    shutil.rmtree(course / "submitted")
    plain = run([str(BIN / "nbgrader"), "collect", ASSIGNMENT], cwd=course)
    assert (plain.stdout + plain.stderr).count("cheating attempt?") == tutor_cohort.LEARNERS - 1
