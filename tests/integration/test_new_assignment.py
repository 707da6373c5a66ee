"""Adding an assignment takes one .md and one manifest entry, and nothing else (AUTHORING.md's steps).

On a temporary copy of the course, a toy assignment (one quick question, one reflection) is written as
a MyST Markdown file and given an entry in course.yml; then, exactly as AUTHORING.md says:
sync the pair, make the tables and the release, check the manifest, validate, and run the whole nbgrader
loop: release, fetch, submit, collect, autograde, feedback; and the learning journal picks up the
toy's reflection. No Python file of the course is touched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, copy_course, course_env, nbgrader, run

pytestmark = pytest.mark.slow

NAME = "05-toy-reading"

TOY = '''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# Reading 5: A toy reading

A very small assignment that shows the shape of every notebook in the course.

**Objectives.** By the end you will be able to:

1. add two small numbers;
2. say what you would do next.

<!-- times:start -->
<!-- times:end -->

+++

## A small question

How many legs do two birds have between them?

```{code-cell}
---
nbgrader:
  grade: false
  grade_id: answer-legs
  locked: false
  schema_version: 3
  solution: true
  task: false
---
# Replace None with your answer (a whole number), then run this cell and the next one.
legs = None
### BEGIN SOLUTION
legs = 4
### END SOLUTION
```

```{code-cell}
---
nbgrader:
  grade: true
  grade_id: check-legs
  locked: true
  points: 1
  schema_version: 3
  solution: false
  task: false
tags: [raises-exception]
---
from syslead.learner.checks import check

check("legs", "whole number")
### BEGIN HIDDEN TESTS
from syslead.learner.checks import expect

expect(4, why="Each bird has two legs.")
### END HIDDEN TESTS
```

## Reflections

+++ {"nbgrader": {"grade": false, "grade_id": "prompt-next", "locked": true, "schema_version": 3, "solution": false, "task": false}}

### Reflection 1: what next (4 points)

What will you do next in your own service, and why?

+++ {"nbgrader": {"grade": true, "grade_id": "reflection-next", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}}

### BEGIN SOLUTION
**Mark scheme (tutors only; removed from the learner's copy).** 4 points on Kember et al.'s four levels.
### END SOLUTION

+++

## Key points

- Two birds have four legs.
'''

ENTRY = {
    "id": NAME,
    "title": "Reading 5: A toy reading",
    "reading": "A toy reading, written for this test",
    "notebook": f"source/{NAME}/{NAME}.md",
    "objectives": [{"id": "o1", "text": "add two small numbers"}, {"id": "o2", "text": "say what you would do next"}],
    "sections": [{"title": "A small question", "minutes": 3}, {"title": "Reflections", "minutes": 10},
                 {"title": "Key points", "minutes": 1}],
    "graded": [
        {"id": "check-legs", "kind": "question", "points": 1, "objective": "o1", "answer_cell": "answer-legs"},
        {"id": "reflection-next", "kind": "reflection", "reflection_kind": "experience", "points": 4, "objective": "o2",
         "prompt_cell": "prompt-next",
         "demo_topics": {"subjects": ["the team rota"], "ideas": ["small steps"], "actions": ["ask the team"]}},
    ],
}

REFLECTION = ("Last month I changed the team rota on my own. I felt uneasy when two colleagues said they had "
              "not been asked. It went badly because I relied on one route. I have learned that people own "
              "what they help to shape. Next time I will ask the team before I decide.")


def python_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.py")}


def test_a_toy_assignment_added_with_one_md_and_one_manifest_entry_runs_the_whole_loop(tmp_path):
    course = copy_course(tmp_path / "course")
    for extra in ("README.md", "scripts"):  # a course checkout has these; the copy needs them for the steps
        src = ROOT / extra
        shutil.copytree(src, course / extra) if src.is_dir() else shutil.copy2(src, course / extra)
    before = python_files(course)

    # 1. one .md ...
    (course / "source" / NAME).mkdir()
    (course / "source" / NAME / f"{NAME}.md").write_text(TOY, encoding="utf-8")
    # ... and one manifest entry (and its place in the journal's order)
    manifest = course / "course.yml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["assignments"].append(ENTRY)
    data["journal"]["order"].append(NAME)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")

    # 2. AUTHORING.md's commands: sync the pair, make the tables and the release, check
    python = sys.executable
    run([python, "scripts/sync_notebooks.py"], cwd=course)
    run([python, "scripts/course_tables.py"], cwd=course)
    run([python, "scripts/course_tables.py", "--check"], cwd=course)
    run([python, "scripts/sync_notebooks.py", "--check"], cwd=course)
    source_nb = course / "source" / NAME / f"{NAME}.ipynb"
    release_nb = course / "release" / NAME / f"{NAME}.ipynb"
    assert source_nb.is_file() and release_nb.is_file()
    assert "**Time.** About 14 minutes in all:" in nbformat.read(str(release_nb), 4).cells[0].source
    assert f"[`{NAME}`](release/{NAME}/{NAME}.ipynb) | 14 minutes |" in (course / "README.md").read_text()
    released = nbformat.read(str(release_nb), 4)
    assert not any("BEGIN SOLUTION" in c.source or "HIDDEN TESTS" in c.source for c in released.cells)
    assert "Success! Your notebook passes all the tests." in nbgrader(
        "validate", f"source/{NAME}/{NAME}.ipynb", cwd=course).stdout
    assert "Success! The notebook does not pass any tests." in nbgrader(
        "validate", "--invert", f"release/{NAME}/{NAME}.ipynb", cwd=course).stdout

    # 3. the nbgrader loop: release, fetch and submit (two learners), collect, autograde, feedback
    exchange = tmp_path / "exchange"
    opts = [f"--Exchange.root={exchange}", "--course", "systems-leadership"]
    nbgrader("release_assignment", NAME, *opts, cwd=course)
    homes = {}
    for learner in ("ada", "bo"):
        home = tmp_path / learner
        home.mkdir()
        nbgrader("fetch_assignment", NAME, *opts, cwd=home)
        homes[learner] = home
    fetched = homes["ada"] / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(str(fetched), 4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "answer-legs":
            cell.source = cell.source.replace("legs = None", "legs = 4")
        elif gid == "reflection-next":
            cell.source = REFLECTION
    nbformat.write(nb, str(fetched))
    for learner, home in homes.items():
        nbgrader("submit", NAME, *opts, f"--student={learner}", cwd=home)
    nbgrader("collect", NAME, *opts, cwd=course)
    nbgrader("autograde", NAME, cwd=course)
    nbgrader("generate_feedback", NAME, cwd=course)
    for learner in homes:
        assert (course / "feedback" / learner / NAME / f"{NAME}.html").is_file()

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        ada, bo = gb.find_submission(NAME, "ada"), gb.find_submission(NAME, "bo")
        assert (ada.code_score, ada.max_code_score, ada.max_score) == (1, 1, 5)
        assert bo.code_score == 0
        assert [g.name for g in ada.notebooks[0].grades if g.needs_manual_grade] == ["reflection-next"]

    # 4. the learner's journal finds the toy's reflection, with its question, in the manifest's order
    out = run([python, "-m", "syslead.cli", "journal", str(homes["ada"]), "--out", str(tmp_path / "journal")],
              cwd=course).stdout
    assert "1 of " in out
    journal = (tmp_path / "journal" / "my-journal.md").read_text(encoding="utf-8")
    assert "## Reading 5: A toy reading" in journal and "### Reflection 1: what next" in journal
    assert "Next time I will ask the team before I decide." in journal
    assert journal.index("## Reading 5: A toy reading") > journal.index("## Capstone")

    # nothing else was needed: no Python file of the course changed
    assert python_files(course) == before


def test_the_journal_command_finds_the_manifest_of_the_course_it_runs_in(tmp_path):
    """Without --course, the journal reads the course.yml of the folder it runs in (or above)."""
    course = copy_course(tmp_path / "course")
    data = yaml.safe_load((course / "course.yml").read_text(encoding="utf-8"))
    data["journal"]["order"] = list(reversed(data["journal"]["order"]))
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "syslead.cli", "journal", "release", "--out", str(tmp_path)],
                          cwd=course, env=course_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "my-journal.md").read_text(encoding="utf-8")
    assert text.index("## Capstone") < text.index("## Reading 1")
