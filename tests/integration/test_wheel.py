"""The course package as a learner on a hub gets it: an installed wheel, with only the assignment folder.

On JupyterHub with nbgrader, learners fetch one assignment folder; the package (and the data inside it)
must come from the installed wheel, not from the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, course_env, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)], cwd=out)
    (found,) = out.glob("syslead-*.whl")
    return found


def test_wheel_carries_the_package_and_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "syslead/__init__.py" in names and "syslead/models/spread.py" in names
    assert "syslead/data/README.md" in names
    for csv in (ROOT / "data").glob("*.csv"):
        assert f"syslead/data/{csv.name}" in names, f"{csv.name} is missing from the wheel"
    for module in (ROOT / "syslead").rglob("*.py"):
        assert module.relative_to(ROOT).as_posix() in names
    assert not any(n.startswith(("source/", "release/", "tests/", "notebooks/")) for n in names)
    assert "syslead/course.yml" in names  # the manifest, for a learner who has only the package
    for template in (ROOT / "syslead" / "learner" / "templates").glob("*.j2"):
        assert f"syslead/learner/templates/{template.name}" in names


@pytest.mark.parametrize("name", assignments())
def test_a_fetched_assignment_runs_from_the_installed_wheel_alone(wheel, tmp_path, name):
    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        cwd=tmp_path)
    home = tmp_path / "learner"
    shutil.copytree(ROOT / "release" / name, home / name)  # what fetch_assignment gives a learner
    notebook = home / name / f"{name}.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import syslead, syslead.models.datasets\n"
        "print('PACKAGE', syslead.__file__)\n"
        "print('DATA', syslead.models.datasets.data_dir(), len(syslead.models.datasets.available()))"
    ))
    nbformat.write(nb, str(notebook))
    script = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3', allow_errors=True,\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "nbformat.write(nb, sys.argv[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(notebook), str(notebook.parent)], cwd=home,
                          env=course_env(PYTHONPATH=str(site), SYSLEAD_NO_WIDGETS="1"), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    done = nbformat.read(str(notebook), as_version=4)
    errors = [o for c in done.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert all(o.ename == "NotYet" for o in errors), [(o.ename, o.evalue) for o in errors]
    printed = "".join(o.get("text", "") for o in done.cells[-1].outputs)
    assert f"PACKAGE {site}" in printed
    assert f"DATA {site / 'syslead' / 'data'}" in printed
