"""The small pieces that keep learners' files from misleading the tutor's tools (fast; no kernels):
CSV cells never formulas, learner HTML sanitised, links and special files refused, bad notebooks named."""

from __future__ import annotations

import csv
import json
import os

import nbformat
import pytest

from syslead.grading import clean, submissions


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'])
def test_every_cell_that_a_spreadsheet_would_run_as_a_formula_is_text(text, tmp_path):
    assert clean.csv_cell(text) == "'" + text
    path = tmp_path / "x.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerow([clean.csv_cell(text)])
    with open(path, newline="") as f:
        assert next(csv.reader(f))[0].startswith("'")


@pytest.mark.parametrize("text", ["plain words", "3", "", None, "a = b", " =leading space"])
def test_ordinary_cells_are_unchanged(text):
    assert clean.csv_cell(text) == ("" if text is None else text)


def test_learner_html_and_script_are_removed_and_plain_markdown_is_kept():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("I *felt* > 3 things.\n\n> a quote"),
        nbformat.v4.new_markdown_cell('Hi <script>alert(1)</script><img src=x onerror="alert(2)"> '
                                      "[me](javascript:alert(3)) <b>bold</b>"),
        nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": "<i>ok</i><script>alert(4)</script>"}),
            nbformat.v4.new_output("display_data", data={"application/javascript": "alert(5)"}),
            nbformat.v4.new_output("display_data", data={"image/svg+xml": '<svg onload="alert(6)"/>',
                                                         "text/plain": "<chart>"})]),
    ])
    assert clean.clean_notebook(nb) >= 4
    text = json.dumps(nb)
    for n in (1, 2, 4, 5, 6):
        assert f"alert({n})" not in text
    assert "javascript:" not in text and "onerror" not in text and "<script" not in text
    assert nb.cells[0].source == "I *felt* > 3 things.\n\n> a quote"
    assert "<b>bold</b>" in nb.cells[1].source and "<i>ok</i>" in text
    assert nb.cells[2].outputs[1]["data"]["text/plain"].startswith("[output removed")
    assert clean.clean_notebook(nb) == 0  # a second pass changes nothing


def test_links_devices_and_fifos_are_refused_and_named(tmp_path):
    folder = tmp_path / "eve" / "a1"
    (folder / "sub").mkdir(parents=True)
    (folder / "a1.ipynb").write_text("{}")
    os.symlink("/etc/passwd", folder / "sub" / "passwd")
    os.symlink(tmp_path, folder / "up")
    os.mkfifo(folder / "pipe")
    notes = submissions.refused(folder)
    assert any("sub/passwd is a symbolic link" in n for n in notes)
    assert any("up is a symbolic link" in n for n in notes)
    assert any("pipe is a FIFO" in n for n in notes)
    os.symlink(folder, tmp_path / "eve" / "a2")
    assert submissions.refused(tmp_path / "eve" / "a2") == ["the submission folder is a symbolic link"]
    assert submissions.refused(tmp_path / "nobody") == []


def test_bad_notebooks_get_one_reason_each(tmp_path):
    good = tmp_path / "good.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")]), str(good))
    assert submissions.read_notebook(good)[1] is None
    deep = tmp_path / "deep.ipynb"
    deep.write_text('{"cells": [], "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    medium = tmp_path / "medium.ipynb"
    medium.write_text('{"cells": [], "x": ' + "[" * 500 + "]" * 500 + "}")
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as f:
        f.truncate(60 << 20)
    link = tmp_path / "link.ipynb"
    os.symlink(good, link)
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "empty.ipynb").write_text("")
    why = {p.name: submissions.notebook_problem(p) for p in tmp_path.iterdir()}
    assert why["good.ipynb"] is None
    assert "nested" in why["deep.ipynb"] and "nested" in why["medium.ipynb"]
    assert "MB" in why["huge.ipynb"]
    assert "symbolic link" in why["link.ipynb"]
    assert "broken JSON" in why["broken.ipynb"] and why["empty.ipynb"] == "is empty"
    # screen: huge and deep stop grading; broken ones are left to nbgrader, which reports them
    assert len(submissions.screen(tmp_path)) == 1  # the link is refused first, on its own
    link.unlink()
    assert sorted(n.split()[0] for n in submissions.screen(tmp_path)) == ["deep.ipynb", "huge.ipynb", "medium.ipynb"]
