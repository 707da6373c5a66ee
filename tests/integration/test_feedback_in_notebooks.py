"""Feedback on a reflection, in every graded notebook: one short cell after each reflection answer (and the
form where the learner first places it on Kember's levels).

The cell reads the saved notebook (found through the kernel's session, as JupyterLab sets it). Where
there is no session (nbgrader validate and autograde, nbclient here) it says one calm sentence and never
raises.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from conftest import ROOT, assignments
from nbclient import NotebookClient
from nbformat.v4 import new_notebook

NOTEBOOKS = [ROOT / folder / a / f"{a}.ipynb" for folder in ("source", "release") for a in assignments()]


def reflection_answers(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
            and c.metadata.get("nbgrader", {}).get("solution") and c.metadata["nbgrader"].get("grade")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_is_every_reflection_followed_by_its_self_assessment_then_a_plain_feedback_cell(path):
    nb = nbformat.read(str(path), as_version=4)
    answers = reflection_answers(nb)
    assert len(answers) >= 3
    imports = next(i for i, c in enumerate(nb.cells) if "from syslead.learner.reflection import feedback_on" in c.source)
    for index in answers:
        form, cell = nb.cells[index + 1], nb.cells[index + 2]
        gid = nb.cells[index].metadata["nbgrader"]["grade_id"]
        # the learner's own placement comes first: a plain Markdown form, never graded, locked or run
        assert form.cell_type == "markdown" and form.metadata.get("syslead") == {"self_assessment": gid}
        assert "nbgrader" not in form.metadata and "(../../docs/reflection-examples.md)" in form.source
        assert imports < index
        assert cell.cell_type == "code" and "nbgrader" not in cell.metadata and "tags" not in cell.metadata
        comment, call = cell.source.split("\n")
        assert comment.startswith("# ") and "Ctrl+S" in comment and "not a grade" in comment
        assert call == f'feedback_on("{gid}")'


def mini_notebook(name: str, answer: str | None):
    """The release's import cell and its reflection cells (prompt, answer, self-assessment, feedback) only:
    quick to run."""
    release = nbformat.read(str(ROOT / "release" / name / f"{name}.ipynb"), as_version=4)
    imports = next(c for c in release.cells if "from syslead.learner.reflection import feedback_on" in c.source)
    cells = [imports]
    for index in reflection_answers(release):
        prompt, cell, form, after = release.cells[index - 1 : index + 3]
        if answer is not None:
            cell.source = answer
        cells += [prompt, cell, form, after]
    nb = new_notebook(cells=cells, metadata=release.metadata)
    return nb


REFLECTION = ("Last month I led the handover meeting. I felt anxious because two teams disagreed. "
              "It went badly at first. I think the reason was that nobody owned the decision. "
              "I learned that I should ask who decides before we meet. Next time I will agree that first.")


def run(nb, folder, session: str | None):
    env = {k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"}
    env["SYSLEAD_NO_WIDGETS"] = "1"  # see conftest.headless_kernel_env
    if session:
        env["JPY_SESSION_NAME"] = session
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute(env=env)
    outputs = [(c.source, o) for c in nb.cells if c.cell_type == "code" and "feedback_on(" in c.source
               for o in c.outputs]
    assert all(o.output_type != "error" and o.get("name") != "stderr" for _, o in outputs)
    return outputs


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_does_each_feedback_cell_read_its_saved_reflection_when_the_notebook_is_found(name, tmp_path):
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(mini_notebook(name, REFLECTION), str(path))
    outputs = run(nbformat.read(str(path), as_version=4), tmp_path, session=str(path))
    assert len(outputs) == len(reflection_answers(nbformat.read(str(path), as_version=4)))
    for source, out in outputs:
        gid = re.search(r'feedback_on\("([^"]+)"\)', source).group(1)
        page = out.data["text/html"]
        assert "Feedback on your reflection (advice, not a grade)" in page
        assert f"cell {gid}" in out.data["text/plain"] and "Action plan" in out.data["text/plain"]
        # the form above it is untouched: the advice asks for the learner's own placement first, and still speaks
        assert "You have not placed your reflection yet" in out.data["text/plain"]


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_does_each_feedback_cell_say_one_calm_sentence_when_there_is_no_notebook_to_read(name, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for answer, session, cwd in ((REFLECTION, None, elsewhere), (None, "SAVED", tmp_path)):  # no file; a stub
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(mini_notebook(name, answer), str(path))
        outputs = run(nbformat.read(str(path), as_version=4), cwd,
                      session=str(path) if session else None)
        assert outputs
        for _, out in outputs:
            text = out.data["text/plain"]
            assert "Ctrl+S" in text and "\n" not in text and text.count(". ") == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_under_nbgrader_the_feedback_reads_the_notebook_in_its_folder(name, tmp_path):
    """validate and autograde run a notebook in its own folder with no session: the feedback finds it."""
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(mini_notebook(name, REFLECTION), str(path))
    outputs = run(nbformat.read(str(path), as_version=4), tmp_path, session=None)
    assert outputs
    for source, out in outputs:
        gid = re.search(r'feedback_on\("([^"]+)"\)', source).group(1)
        assert f"cell {gid}" in out.data["text/plain"] and "Action plan" in out.data["text/plain"]
