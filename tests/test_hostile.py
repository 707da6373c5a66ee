"""Grading you can trust: the corpus of bad and hostile submissions (syslead.grading.hostile), graded for real.

Reading 1 is released, three ordinary learners (ada: complete, bo: blank, cy: half right) and every case
of the corpus (scripts/make_hostile_corpus.py) are submitted, and each is autograded by nbgrader's own
API, one learner at a time (as `syslead autograde` does), in the resource-limited kernel and with the
repairs of syslead.grading.hostile.safe_grading. The tests then prove:

- every case has the outcome syslead.grading.hostile.CASES states for it (graded with that automatic score, or
  not graded), and the tutor's report has the row that explains it;
- ada's, bo's and cy's scores, cell by cell, are exactly those of a course graded without the bad ones;
- tampered checks are graded with the source version;
- hostile code leaks nothing and changes nothing in the course;
- a zip whose member names try to escape is extracted inside its folder by nbgrader's zip_collect;
- manual grades survive a late resubmission, its collection and re-autograding.

The 500 MB file is 30 MB here, with the sandbox's file limit at 8 MB (the same limit, proven quicker);
cells time out after 10 s instead of 120 s.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, nbgrader, run

from syslead.grading import hostile, sandbox

pytestmark = pytest.mark.slow

NAME = "01-systems-leadership"
AS_ROOT = os.geteuid() == 0
ORDINARY = ("ada", "bo", "cy")
ADA_MARK = " (ada's own words, ADA-PRIVATE-7731)"
SANDBOX_ENV = {"SYSLEAD_SANDBOX_FILE_SIZE_MB": "8", "SYSLEAD_SANDBOX_WALL_SECONDS": "300"}


def make_course(path: Path) -> Path:
    (path / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / NAME, path / "source" / NAME)
    shutil.copy2(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    nbgrader("generate_assignment", NAME, "--force", cwd=path)
    return path


def submit_ordinary(root: Path) -> None:
    release = root / "release" / NAME / f"{NAME}.ipynb"
    answers = hostile.solutions(root / "source" / NAME / f"{NAME}.ipynb")
    half = {"answer-levels": answers["answer-levels"]}
    for learner, given, reflection in (("ada", answers, hostile.REFLECTION + ADA_MARK), ("bo", {}, None),
                                       ("cy", half, hostile.REFLECTION)):
        folder = root / "submitted" / learner / NAME
        hostile.write_files(folder, {release.name: hostile.answered(release, given, reflection)})
        (folder / "timestamp.txt").write_text("2024-01-01 12:00:00.000000 UTC")


def grade(root: Path, students: list[str], force: bool = True) -> dict[str, dict]:
    """Autograde each learner with nbgrader's API in the sandbox; returns nbgrader's result per learner."""
    from nbgrader.apps import NbGraderAPI

    config = hostile.safe_grading(hostile.course_config(root))
    config.Execute.timeout = 10
    api = NbGraderAPI(config=config)
    results = {}
    here = os.getcwd()
    try:
        os.chdir(root)
        for student in students:
            results[student] = api.autograde(NAME, student, force=force, create=True)
    finally:
        os.chdir(here)
    return results


def cell_scores(root: Path, student: str) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(NAME, student)
        return {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}


def code_score(root: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_submission(NAME, student).code_score


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Two courses: one with only the ordinary learners, one with them and the whole corpus."""
    base = tmp_path_factory.mktemp("hostile")
    prefix = base / "kernels"
    sandbox.install_kernel(str(prefix), {"slots": 4})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        for key, value in SANDBOX_ENV.items():
            mp.setenv(key, value)
        plain = make_course(base / "plain")
        submit_ordinary(plain)
        grade(plain, list(ORDINARY))

        course = make_course(base / "course")
        submit_ordinary(course)
        config_digest = hashlib.sha256((course / "nbgrader_config.py").read_bytes()).hexdigest()
        run([str(Path(os.sys.executable)), str(ROOT / "scripts" / "make_hostile_corpus.py"), str(course),
             "--big-file-mb", "30", "--zip", str(course / "downloaded" / NAME / "archive" / "eve.zip")],
            cwd=course)
        results = grade(course, [*ORDINARY, *hostile.CASE_IDS])
        rows = hostile.unusual(course, NAME)
        yield {"plain": plain, "course": course, "results": results, "rows": rows, "prefix": prefix,
               "config_digest": config_digest}


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda c: c.id)
def test_each_case_has_its_stated_outcome_and_a_line_in_the_report(graded, case):
    course, result = graded["course"], graded["results"][case.id]
    if case.outcome == "graded":
        assert result["success"], result.get("log", "")[-2000:]
        assert code_score(course, case.id) == case.auto_score
    else:
        assert not result["success"]
        assert not (course / "autograded" / case.id / NAME / f"{NAME}.ipynb").exists()
    kinds = {r.kind for r in graded["rows"] if r.student == case.id}
    assert set(case.flags) <= kinds, [r for r in graded["rows"] if r.student == case.id]
    for row in graded["rows"]:
        assert "\n" not in row.detail and len(row.detail) < 200


def test_ordinary_learners_score_exactly_as_in_a_course_without_the_bad_submissions(graded):
    for learner in ORDINARY:
        assert graded["results"][learner]["success"]
        assert cell_scores(graded["course"], learner) == cell_scores(graded["plain"], learner)
    assert code_score(graded["course"], "ada") == 2.0
    assert code_score(graded["course"], "cy") == 1.0
    assert code_score(graded["course"], "bo") == 0.0
    # and nothing about them is reported
    assert [r for r in graded["rows"] if r.student in ORDINARY] == []


def test_tampered_checks_are_graded_with_the_source_version(graded):
    course = graded["course"]
    source = nbformat.read(str(course / "source" / NAME / f"{NAME}.ipynb"), as_version=4)
    want = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "check-levels")
    for case in ("edited-check", "deleted-grade-cell", "stripped-metadata", "duplicated-cell"):
        nb = nbformat.read(str(course / "autograded" / case / NAME / f"{NAME}.ipynb"), as_version=4)
        checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "check-levels"]
        assert len(checks) == 1, case
        assert "BEGIN HIDDEN TESTS" in want.source
        assert want.source.split("### BEGIN HIDDEN TESTS")[1].strip().split("\n")[0] in checks[0].source, case
    submitted = nbformat.read(str(course / "submitted" / "edited-check" / NAME / f"{NAME}.ipynb"), as_version=4)
    assert "assert True" in [c.source for c in submitted.cells]
    assert cell_scores(course, "edited-check")["check-levels"] == 0.0


def test_hostile_code_leaks_nothing_and_changes_nothing(graded):
    course = graded["course"]
    assert hashlib.sha256((course / "nbgrader_config.py").read_bytes()).hexdigest() == graded["config_digest"]
    assert not (course / "planted.txt").exists()
    graded_text = (course / "autograded" / "read-gradebook" / NAME / f"{NAME}.ipynb").read_text()
    if AS_ROOT:
        assert "SQLite format 3" not in graded_text
        assert "ADA-PRIVATE-7731" not in graded_text  # ada's reflection, from her notebook
        assert "FileNotFoundError" in graded_text
        killer = (course / "autograded" / "kill-parent" / NAME / f"{NAME}.ipynb").read_text()
        assert "PermissionError" in killer
    many = (course / "autograded" / "many-processes" / NAME / f"{NAME}.ipynb").read_text()
    assert "Resource temporarily unavailable" in many
    # nothing the floods printed is kept beyond the cut
    for case in ("print-flood", "display-flood"):
        size = (course / "autograded" / case / NAME / f"{NAME}.ipynb").stat().st_size
        assert size < 12e6, (case, size)


def test_the_report_reads_as_a_table_and_as_data(graded):
    table = hostile.report_table(graded["rows"], NAME)
    for case in hostile.CASES:
        if case.flags:
            assert case.id in table
    frame = hostile.report_frame(graded["rows"])
    assert list(frame.columns) == ["student", "notebook", "kind", "detail"]
    assert hostile.report_table([], NAME) == f"Nothing unusual in the submissions of {NAME}."


def test_a_zip_whose_members_try_to_escape_stays_inside_its_folder(graded, tmp_path):
    course = graded["course"]
    archive = course / "downloaded" / NAME / "archive" / "eve.zip"
    names = zipfile.ZipFile(archive).namelist()
    assert any(n.startswith("../") for n in names) and any(n.startswith("/") for n in names)
    outside = [course / "downloaded" / "escaped-dotdot.txt", course / "escaped-dotdot.txt",
               Path("/tmp/escaped-absolute.txt"), course.parent / "escaped-nested.txt"]
    for path in outside:
        path.unlink(missing_ok=True)
    nbgrader("zip_collect", NAME, "--force", "--FileNameCollector.named_regexp="
             r".*(?P<student_id>eve)_(?P<file_id>.*)", cwd=course)
    for path in outside:
        assert not path.exists(), path
    extracted = course / "downloaded" / NAME / "extracted"
    found = [p for p in extracted.rglob("*") if p.is_file()]
    assert found and all(extracted in p.parents for p in found)


def test_manual_grades_survive_a_late_resubmission_and_regrading(graded, tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    course, prefix = graded["course"], graded["prefix"]
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    db = f"sqlite:///{course / 'gradebook.db'}"
    marks = {"reflection-message": (3.0, "Good link to the model."), "reflection-practice": (2.0, "Say more.")}
    with Gradebook(db) as gb:  # the tutor grades two reflections by hand (what formgrader does)
        gb.update_or_create_assignment(NAME, duedate=datetime.datetime(2025, 1, 1))
        for grade_id, (score, comment) in marks.items():
            gb.find_grade(grade_id, NAME, NAME, "ada").manual_score = score
            gb.find_comment(grade_id, NAME, NAME, "ada").manual_comment = comment
        gb.db.commit()

    # ada hands in again, late and with a wrong second answer, through the exchange; the tutor collects
    exchange = tmp_path / "exchange"
    opts = [f"--Exchange.root={exchange}", "--course", "systems-leadership"]
    nbgrader("release_assignment", NAME, *opts, cwd=course)
    home = tmp_path / "ada"
    home.mkdir()
    nbgrader("fetch_assignment", NAME, *opts, cwd=home)
    answers = hostile.solutions(course / "source" / NAME / f"{NAME}.ipynb")
    answers["answer-absence"] = answers["answer-absence"].replace('"B"', '"D"')
    nb = hostile.answered(home / NAME / f"{NAME}.ipynb", answers,
                          hostile.REFLECTION + ADA_MARK + " I changed my mind.")
    nbformat.write(nb, str(home / NAME / f"{NAME}.ipynb"))
    nbgrader("submit", NAME, *opts, "--student=ada", cwd=home)
    nbgrader("collect", NAME, "--update", "--student=ada", *opts, cwd=course)
    assert "changed my mind" in (course / "submitted" / "ada" / NAME / f"{NAME}.ipynb").read_text()

    for force in (False, True):  # nbgrader regrades the newer submission; then a forced regrade
        result = grade(course, ["ada"], force=force)["ada"]
        assert result["success"], result.get("log", "")[-2000:]
        assert code_score(course, "ada") == 1.0  # the new answer was graded
        with Gradebook(db) as gb:
            assert gb.find_submission(NAME, "ada").total_seconds_late > 0
            for grade_id, (score, comment) in marks.items():
                assert gb.find_grade(grade_id, NAME, NAME, "ada").manual_score == score
                assert gb.find_comment(grade_id, NAME, NAME, "ada").manual_comment == comment
    # everyone else's grades did not move
    for learner in ("bo", "cy"):
        assert cell_scores(course, learner) == cell_scores(graded["plain"], learner)


def test_the_corpus_table_lists_every_case_and_the_docs_carry_it():
    table = hostile.describe_cases()
    for case in [*hostile.CASES, hostile.ZIP_CASE]:
        assert f"`{case.id}`" in table
    assert table in (ROOT / "docs" / "grading-safely.md").read_text(), (
        "docs/grading-safely.md's table is stale: paste syslead.grading.hostile.describe_cases() into it")
    assert table in (ROOT / "README.md").read_text(), (
        "README's table of bad submissions is stale: paste syslead.grading.hostile.describe_cases() into it")
    assert json.dumps(hostile.SAFE_GRADING_OPTIONS)  # usable on nbgrader's command line


def test_the_tutor_gets_the_report_from_the_command_line(graded):
    out = run([str(Path(os.sys.executable).parent / "syslead"), "sandbox", "report", NAME, "--course",
               str(graded["course"])], cwd=graded["course"]).stdout
    assert "Unusual submissions of" in out and "invalid-json" in out and "ada " not in out


def test_prepare_grading_sets_up_the_sandbox_and_the_repairs(graded, monkeypatch):
    from traitlets.config import Config

    monkeypatch.setenv("JUPYTER_PATH", str(graded["prefix"] / "share" / "jupyter"))
    monkeypatch.delenv("SYSLEAD_SANDBOX_HIDE", raising=False)
    config = Config()
    config.Exchange.root = "/srv/nbgrader/exchange"
    sandbox.prepare_grading(config, graded["course"])
    assert config.Execute.kernel_name == sandbox.KERNEL_NAME
    assert "syslead.grading.hostile.RestoreDeletedChecks" in config.Autograde.sanitize_preprocessors
    assert os.environ["SYSLEAD_COURSE_ROOT"] == str(graded["course"])
    assert "/srv/nbgrader/exchange" in os.environ["SYSLEAD_SANDBOX_HIDE"]
    monkeypatch.delenv("SYSLEAD_COURSE_ROOT")
    plain = sandbox.prepare_grading(Config(), graded["course"], sandbox=False)
    assert "kernel_name" not in plain.Execute
