"""Learner notebooks read as prose: no visible code cell outside an answer is longer than three lines.

A learner who does not program sees the narrative, the charts and the answer cells. Code that only makes
a chart, a slider or a sentence is one short call into the package, or its input is hidden (JupyterLab's
``jupyter.source_hidden``, and the ``hide-input`` tag for the web book). House style point 16.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import ROOT, assignments

#: Every notebook a learner opens: the released assignments, the start page and the journal (the tutor
#: dashboard is for tutors). The source notebooks are checked too, since the release is made from them.
LEARNER = ([ROOT / "release" / a / f"{a}.ipynb" for a in assignments()]
           + [ROOT / "source" / a / f"{a}.ipynb" for a in assignments()]
           + [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if p.name != "tutor-dashboard.ipynb"])
MOST_LINES = 3


def _hidden(cell) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


def _answer(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _long_cells(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _hidden(cell) or _answer(cell):
            continue
        # the source's hidden tests are taken out of the learner's copy, as nbgrader does
        source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.S)
        lines = source.strip().splitlines()
        if len(lines) > MOST_LINES:
            found.append(f"cell {i + 1} ({len(lines)} lines): {lines[0][:60]!r}")
    return found


@pytest.mark.parametrize("path", LEARNER, ids=[str(p.relative_to(ROOT)) for p in LEARNER])
def test_no_visible_code_cell_outside_an_answer_is_longer_than_three_lines(path):
    nb = nbformat.read(str(path), as_version=4)
    assert not _long_cells(nb), f"{path.name}: " + "; ".join(_long_cells(nb))


@pytest.mark.parametrize("path", LEARNER, ids=[str(p.relative_to(ROOT)) for p in LEARNER])
def test_a_hidden_cell_is_hidden_in_the_web_book_too(path):
    nb = nbformat.read(str(path), as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and _hidden(cell):
            assert "hide-input" in cell.metadata.get("tags", []), f"{path.name} cell {i + 1}: add the hide-input tag"


def test_the_three_line_rule_finds_a_long_chart_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("sliders(\n    draw,\n    fallback='...',\n    n=IntSlider(),\n)"),
                nbformat.v4.new_code_cell("a = 1\nb = 2\nc = 3\nd = 4", metadata={"jupyter": {"source_hidden": True}}),
                nbformat.v4.new_code_cell("a = 1\nb = 2\nc = 3\nd = 4",
                                          metadata={"nbgrader": {"solution": True, "grade_id": "answer-x"}})]
    assert len(_long_cells(nb)) == 1


def test_a_bass_fit_shows_as_a_sentence_not_a_repr():
    from IPython.lib.pretty import pretty

    from syslead.models.datasets import load
    from syslead.models.diffusion import fit_bass

    iphone = load("iphone_units.csv")
    shown = pretty(fit_bass(iphone["fiscal_year"], iphone["units_millions"]))
    assert not shown.startswith("BassFit(") and "r_squared" not in shown
    assert "explains 9" in shown and "word of mouth q = 0.44" in shown


def test_the_sentences_that_replace_code_give_the_figures():
    from syslead.charts import capacity, contagion, diffusion, emergence
    from syslead.learner import capstone

    assert "10.00 service times" in capacity.waits_at_90() and "1.67 service times" in capacity.waits_at_90()
    assert "five parts 59%" in diffusion.all_parts_ready() and "five parts 33%" in diffusion.all_parts_ready()
    assert "1 group of 40" in emergence.life_cycle_groups()
    assert "% adopt on the clustered network" in contagion.news_and_practice()
    assert "Family support team" in capstone.single_point_of_failure(capstone.example_system())
