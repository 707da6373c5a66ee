"""Every notebook people author has a MyST Markdown twin, and the two hold the same cells."""

from __future__ import annotations

import importlib.util
import shutil
import time

from conftest import ROOT

spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "scripts" / "sync_notebooks.py")
sync_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_notebooks)


def test_every_authored_notebook_has_a_markdown_twin():
    notebooks = sorted((ROOT / "source").glob("*/*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    missing = [str(nb.relative_to(ROOT)) for nb in notebooks if not nb.with_suffix(".md").is_file()]
    assert not missing, f"notebooks without a .md twin: {missing}"


def test_every_pair_is_in_step():
    problems = [why for nb, md in sync_notebooks.pairs() if (why := sync_notebooks.out_of_step(nb, md))]
    assert not problems, "run 'python scripts/sync_notebooks.py':\n" + "\n".join(problems)


def test_a_change_to_the_markdown_is_seen_and_synced_into_the_notebook(tmp_path, monkeypatch):
    for folder in ("source", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setattr(sync_notebooks, "ROOT", tmp_path)
    md = tmp_path / "source" / "01-systems-leadership" / "01-systems-leadership.md"
    nb = md.with_suffix(".ipynb")
    time.sleep(0.01)
    md.write_text(md.read_text().replace("# Reading 1:", "# Reading one:", 1))
    assert sync_notebooks.out_of_step(nb, md)  # the check notices
    assert sync_notebooks.main(["--check"]) == 1
    assert sync_notebooks.main([]) == 0
    assert sync_notebooks.out_of_step(nb, md) is None
    assert "# Reading one:" in nb.read_text()


def test_nbgrader_metadata_lives_in_the_markdown():
    text = (ROOT / "source" / "01-systems-leadership" / "01-systems-leadership.md").read_text()
    assert '"grade_id": "reflection-message"' in text and "grade_id: check-levels" in text
