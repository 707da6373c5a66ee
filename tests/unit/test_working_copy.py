"""The README's first command opens the learner's own working copy (issue 21, item 5): it holds no
solution, mark scheme, authors' twin or tutor file, and a learner's work survives a second run of the
command and a `git pull` of course updates."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from conftest import ROOT, quick_start

from syslead.errors import CourseError
from syslead.tutor.publish import WORKING_MARKER, working_copy

FORBIDDEN = re.compile(r"(^|/)(source|jupytext\.toml|tutor-dashboard\.[a-z]+|nbgrader_config\.py)($|/)"
                       r"|^(release|notebooks)/.*\.md$")


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != WORKING_MARKER)


def test_the_first_command_makes_a_working_copy_that_git_ignores_and_opens_it():
    parts = [shlex.split(p) for p in quick_start()[0].split("&&")]
    (made,) = [p for p in parts if p[0] == ".venv/bin/syslead"]
    assert made[1:] == ["publish", "my-course", "--working-copy"]
    lab = parts[-1]
    assert "--ServerApp.root_dir=my-course" in lab and lab[-1] == "my-course/notebooks/00-start-here.ipynb"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "my-course/" in ignored  # a git pull never touches the learner's work


def test_the_working_copy_holds_the_notebooks_and_nothing_for_tutors_or_authors(tmp_path):
    made = working_copy(tmp_path / "my-course")
    held = files(made.out)
    assert "notebooks/00-start-here.ipynb" in held and "release/01-systems-leadership/01-systems-leadership.ipynb" in held
    assert not [f for f in held if FORBIDDEN.search(f)], held
    for f in held:
        path = made.out / f
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")  # pictures too (docs/screenshots)
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "Mark scheme" not in text, f
    assert len(made.added) == len([f for f in held if f.endswith(".ipynb")])


def test_a_second_run_keeps_the_learners_work_and_adds_what_is_new(tmp_path):
    out = tmp_path / "my-course"
    working_copy(out)
    mine = out / "release/01-systems-leadership/01-systems-leadership.ipynb"
    nb = json.loads(mine.read_text(encoding="utf-8"))
    nb["cells"][-1]["source"] = "My own notes, which must survive."
    mine.write_text(json.dumps(nb), encoding="utf-8")
    (out / "notebooks/my-learning-journal.ipynb").unlink()  # as if the course added it since the last run
    again = working_copy(out)
    assert "My own notes, which must survive." in mine.read_text(encoding="utf-8")
    assert "release/01-systems-leadership/01-systems-leadership.ipynb" in again.kept
    assert again.added == ["notebooks/my-learning-journal.ipynb"]


def test_a_folder_that_holds_other_files_is_left_alone(tmp_path):
    out = tmp_path / "somewhere"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    with pytest.raises(CourseError, match="not a working copy"):
        working_copy(out)
    assert files(out) == ["thesis.docx"]
