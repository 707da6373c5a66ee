"""Every quick question of every reading, answered in a real JupyterLab (learner setup, Debian's Chromium) as
a learner who does not program would: plain words, a letter or a number typed under the answer cell's first
line, never Python. Then Run All reaches the end, every check says the answer is recorded (a cohort's copy
never says right or wrong), and the saved notebook carries each typed answer for nbgrader.
(tests/integration/test_browser_learner.py walks reading 1 in more depth; test_malformed_answers.py plants
bad answers.)"""

from __future__ import annotations

import re

import pytest
from browser_lab import (
    NOTEBOOK,
    bring_into_view,
    cell,
    chromium,  # noqa: F401 - a fixture
    lab_server,
    new_page,
    notebook_cells,
    run_all,
    run_cell,
    save,
    set_cell_text,
    wait_for_notebook,
)
from conftest import ROOT, copy_course
from test_browser_learner import grade_id, solution_cells

from syslead.course import load_course

pytestmark = pytest.mark.slow

READINGS = [a.id for a in load_course(ROOT / "course.yml").assignments]


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("answers")
    course = copy_course(home / "course")
    with lab_server(course, home, learner=True) as lab:
        yield lab


def typed_answer(solution: str) -> str:
    """What the learner types under the first line: the source's answer without its own first line."""
    lines = solution.splitlines()
    if lines and lines[0].startswith("# Your answer"):
        lines = lines[1:]
    return "\n".join(lines).strip()


@pytest.mark.parametrize("name", READINGS)
def test_a_learner_answers_every_quick_question_without_python(learner_lab, chromium, name):  # noqa: F811
    path = f"release/{name}/{name}.ipynb"
    cells = notebook_cells(learner_lab.root / path)
    right = solution_cells(learner_lab.root / "source" / name / f"{name}.ipynb")
    answers = [(i, grade_id(c)) for i, c in enumerate(cells) if c["cell_type"] == "code" and grade_id(c) in right]
    assert answers, f"{name} has no quick question to answer"
    page = new_page(chromium)
    page.goto(learner_lab.url(f"lab/tree/{path}"))
    wait_for_notebook(page, f"{name}.ipynb")
    typed = {}
    for i, gid in answers:
        stub = "".join(cells[i]["source"]).rstrip("\n")
        typed[gid] = typed_answer(right[gid])
        assert not re.search(r"^\s*\w+\s*=", typed[gid], flags=re.M), f"{gid}: the answer would be Python"
        set_cell_text(page, i, f"{stub}\n{typed[gid]}")
        run_cell(page, i)
    run_all(page)
    save(page)
    prompts = page.locator(f"{NOTEBOOK} .jp-Cell .jp-InputArea-prompt").all_inner_texts()
    assert all(re.fullmatch(r"\s*(\[\d+\]:)?\s*", p) for p in prompts), f"cells that did not run: {prompts}"
    for i, gid in answers:
        bring_into_view(cell(page, i + 1))  # JupyterLab draws only the cells in view
        said = cell(page, i + 1).locator(".jp-OutputArea").inner_text()
        assert "Recorded" in said and "✓" not in said and "✗" not in said, f"{name} {gid}: {said}"
    page.context.close()
    saved = notebook_cells(learner_lab.root / path)
    for i, gid in answers:
        assert typed[gid] in "".join(saved[i]["source"]), f"{gid}: the typed answer is not in the saved notebook"
