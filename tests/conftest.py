"""Shared fixtures: the course root, a temporary copy of the course, and nbgrader run as a command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Kernels started by the tests (nbclient, nbgrader) must be this environment's Python, even when the
# test command was run without activating the virtual environment.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"

# matplotlib's font cache is per user and shared by every environment on the machine; one built by an
# environment that has since been deleted lacks matplotlib's own fonts, and charts then warn. The tests
# (and every kernel they start) use a fresh cache of their own.
os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="syslead-tests-mpl-")

# Folders of the course that a temporary copy needs (not the learner's or tutor's working files).
COURSE_PARTS = ["source", "release", "notebooks", "data", "nbgrader_config.py", "course.yml"]


@contextmanager
def small_tmpfs(where: Path, size: str):
    """A real, small file system (a tmpfs of ``size``, such as "64k") mounted at ``where`` for the block: a
    disk that can really fill up. Skips where mounting needs root and this is not root."""
    where.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def course_env(**extra: str) -> dict[str, str]:
    """The environment for jupyter/nbgrader commands: this Python's bin folder first on PATH (nbgrader
    runs alembic as a subprocess), and no course-wide exchange override from the caller."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SYSLEAD_EXCHANGE", None)
    env.update(extra)
    return env


def headless_kernel_env() -> dict[str, str]:
    """The environment for kernels the tests start with nbclient: no widgets (nobody can move a slider,
    and widget cells can hang nbclient until the cell timeout: jupyter/nbclient#312). The browser tests
    check the sliders in a real JupyterLab."""
    return {**os.environ, "SYSLEAD_NO_WIDGETS": "1"}


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it fails."""
    proc = subprocess.run(args, cwd=cwd, env=course_env(**env), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def nbgrader(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return run([str(BIN / "nbgrader"), *args], cwd=cwd, **env)


def copy_course(dest: Path) -> Path:
    """Copy the course (source, release, notebooks, data, config) into a new folder ``dest``."""
    dest.mkdir(parents=True)
    for part in COURSE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    return dest


def quick_start() -> list[str]:
    """The README's two Quick start commands, as written there."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A temporary copy of the course."""
    return copy_course(tmp_path / "course")


def assignments() -> list[str]:
    """Assignment names: the folders of source/."""
    return sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.fixture(autouse=True)
def _environment_is_restored_after_each_test():
    """No test leaks environment variables into the next (syslead.grading.pipeline.prepare_grading, for one, sets
    the course root for the kernels it starts)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def pytest_collection_modifyitems(config, items):
    """Mark each test by its folder: tests/unit (fast, no servers) or tests/integration."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "unit" in parts:
            item.add_marker(pytest.mark.unit)
        elif "integration" in parts:
            item.add_marker(pytest.mark.integration)


#: The security tests: under CI (CI=true) none of them may skip quietly; a skip is reported as a failure.
SECURITY_TESTS = ("test_sandbox.py", "test_hostile.py", "test_hub.py", "test_grading_paths.py",
                  "test_grading_safety.py", "test_hostile_report.py")


def skip_is_failure(filename: str, environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes") and filename in SECURITY_TESTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and skip_is_failure(Path(str(item.fspath)).name) and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"a security test was skipped under CI=true, which counts as a failure: {reason}"
