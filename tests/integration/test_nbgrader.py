"""The nbgrader loop, proven on a temporary copy of the course.

- release/ is exactly what `nbgrader generate_assignment` makes from source/ (no stale release);
- the source passes every check (`validate`), the release fails every one (`validate --invert`);
- nothing of the solutions, mark schemes or hidden tests reaches release/;
- release -> fetch -> submit -> collect -> autograde -> generate_feedback -> export works end to end.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, nbgrader

from syslead.course import load_course
from syslead.learner.journal import returned_marks

pytestmark = pytest.mark.slow

ASSIGNMENTS = assignments()


def comparable(path: Path) -> list[tuple]:
    """A notebook's cells as (type, source, nbgrader metadata, tags), ignoring cell ids."""
    nb = nbformat.read(str(path), as_version=4)
    return [
        (c.cell_type, c.source, json.dumps(c.metadata.get("nbgrader", {}), sort_keys=True),
         tuple(c.metadata.get("tags", [])))
        for c in nb.cells
    ]


def test_release_is_what_generate_assignment_makes_from_source(course):
    for name in ASSIGNMENTS:
        (course / "release" / name).rename(course / f"committed-{name}")
        nbgrader("generate_assignment", name, "--force", cwd=course)
        fresh = course / "release" / name / f"{name}.ipynb"
        committed = course / f"committed-{name}" / f"{name}.ipynb"
        assert comparable(fresh) == comparable(committed), (
            f"release/{name} is stale: run 'nbgrader generate_assignment {name} --force' and commit release/"
        )
        assert sorted(p.name for p in (course / "release" / name).iterdir()) == sorted(
            p.name for p in (course / f"committed-{name}").iterdir()
        )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_passes_every_check(course, name):
    out = nbgrader("validate", f"source/{name}/{name}.ipynb", cwd=course).stdout
    assert "Success! Your notebook passes all the tests." in out


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_fails_every_check(course, name):
    out = nbgrader("validate", "--invert", f"release/{name}/{name}.ipynb", cwd=course).stdout
    assert "Success! The notebook does not pass any tests." in out


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_solution_mark_scheme_or_hidden_test_leaks_into_the_release(name):
    source = nbformat.read(str(ROOT / "source" / name / f"{name}.ipynb"), as_version=4)
    release_text = (ROOT / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "Mark scheme", "mark scheme",
                   "BEGIN MARK SCHEME"):
        assert marker not in release_text
    secret = []
    for cell in source.cells:
        for block in re.findall(r"BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)\n### END", cell.source, flags=re.S):
            secret += [line.strip() for line in block.splitlines() if len(line.strip()) > 12]
    assert secret, "the source should have solutions and hidden tests"
    for line in secret:
        assert json.dumps(line)[1:-1] not in release_text, f"leaked into the release: {line!r}"


# --- the whole loop -------------------------------------------------------------------------------

COMPLETE_REFLECTION = (
    "Last spring our new early-help referral form went out by email from the director to heads of "
    "service. I felt frustrated when, weeks later, health visitors had never seen it. Looking back, "
    "the message went down one line only; the model shows why a single route fails when people are away. "
    "I have learned that informal networks reached people faster. Next time I will ask team leads and "
    "our practitioner forum to pass it on as well, and check who has heard after one week."
)


def answer_notebook(path: Path, answers: dict[str, str], reflection: str | None) -> None:
    """Fill in a fetched notebook as a learner would: answer cells, reflection cells, and (with a reflection)
    the self-assessment form under each, placed at "reflection"."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if reflection and cell.metadata.get("syslead", {}).get("self_assessment"):
            cell.source = cell.source.replace("then Shift+Enter):", "then Shift+Enter): reflection")
        if not meta.get("solution"):
            continue
        if cell.cell_type == "code" and meta["grade_id"] in answers:
            cell.source = answers[meta["grade_id"]]
        elif cell.cell_type == "markdown" and reflection:
            cell.source = reflection
    nbformat.write(nb, str(path))


def solutions(name: str) -> dict[str, str]:
    """The answer cells of the source (with their solution), as a complete learner would write them."""
    from fixtures.hostile import solutions as from_source

    return from_source(ROOT / "source" / name / f"{name}.ipynb")


def points(name: str) -> tuple[float, float]:
    """(auto-graded points, all points) of an assignment, read from the source's nbgrader metadata."""
    nb = nbformat.read(str(ROOT / "source" / name / f"{name}.ipynb"), as_version=4)
    auto = total = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            total += meta["points"]
            if cell.cell_type == "code":
                auto += meta["points"]
    return auto, total


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_fetch_submit_collect_autograde_feedback_export(course, tmp_path, name):
    exchange = tmp_path / "exchange"
    opts = [f"--Exchange.root={exchange}", "--course", "systems-leadership"]

    nbgrader("generate_assignment", name, "--force", cwd=course)
    nbgrader("release_assignment", name, *opts, cwd=course)

    homes = {}
    for learner in ("ada", "bo"):
        home = tmp_path / learner
        home.mkdir()
        nbgrader("fetch_assignment", name, *opts, cwd=home)
        assert (home / name / f"{name}.ipynb").is_file()
        homes[learner] = home

    answer_notebook(homes["ada"] / name / f"{name}.ipynb", solutions(name), COMPLETE_REFLECTION)
    # bo submits the notebook untouched (blank)
    for learner, home in homes.items():
        # one machine, one OS user: name the learner explicitly (on a hub it is their login)
        nbgrader("submit", name, *opts, f"--student={learner}", cwd=home)

    nbgrader("collect", name, *opts, cwd=course)
    for learner in homes:
        assert (course / "submitted" / learner / name / f"{name}.ipynb").is_file()

    nbgrader("autograde", name, cwd=course)
    nbgrader("generate_feedback", name, cwd=course)
    for learner in homes:
        feedback = course / "feedback" / learner / name / f"{name}.html"
        assert feedback.is_file() and "<img" in feedback.read_text(encoding="utf-8")
        # the learning journal reads the marks from nbgrader's own feedback page (issue 21, item 11)
        marks = returned_marks(feedback.parent, name)
        questions = [g for g in load_course(course).assignment(name).graded if g.kind == "question"]
        assert questions and all(g.id in marks for g in questions), sorted(marks)
        assert sum(marks[g.id][0][0] for g in questions) == (points(name)[0] if learner == "ada" else 0)

    nbgrader("export", "--to", str(tmp_path / "grades.csv"), cwd=course)
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == name}
    auto, total = points(name)
    assert set(rows) == {"ada", "bo"}
    assert float(rows["ada"]["raw_score"]) == auto > 0
    assert float(rows["bo"]["raw_score"]) == 0
    assert float(rows["ada"]["max_score"]) == float(rows["bo"]["max_score"]) == total

    # the reflections wait for a tutor: they are flagged for manual grading, not scored automatically
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(name, "ada")
        manual = [g for g in sub.notebooks[0].grades if g.needs_manual_grade]
        assert len(manual) >= 3
        assignment = load_course(course).assignment(name)
        reflections = assignment.reflections
        assert {g.id for g in reflections} <= {g.name for g in manual}
        assert {g.name for g in sub.notebooks[0].grades} <= {g.id for g in assignment.graded}  # no form is graded

    # the learner's own placement on Kember's levels passes through autograde untouched (not graded, not locked)
    from syslead.learner.self_assessment import self_assessments

    graded = nbformat.read(str(course / "autograded" / "ada" / name / f"{name}.ipynb"), as_version=4)
    placed = self_assessments(graded)
    assert sorted(placed) == sorted(g.id for g in reflections)
    assert all(p.level == "reflection" for p in placed.values())
