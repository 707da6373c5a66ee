"""ruff, over the package, scripts, tests and the notebooks (house style point 10)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from conftest import ROOT

from syslead.learner.checks import answer_cell_code

RUFF = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")


def test_ruff_finds_nothing():
    proc = subprocess.run([RUFF, "check", "--no-cache", str(ROOT)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_finds_nothing_in_the_source_notebooks_as_the_kernel_runs_them(tmp_path):
    """An answer cell holds typed text, which the kernel turns into one line of Python
    (syslead.learner.checks.answer_cell_code): ruff reads that line, and every other cell as it is."""
    paths = sorted((ROOT / "source").glob("*/*.ipynb"))
    assert paths
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = answer_cell_code(cell.source) or cell.source
        nbformat.write(nb, tmp_path / path.name)
    proc = subprocess.run([RUFF, "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
