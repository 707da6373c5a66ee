"""README: exactly two quick-start commands, both true; CI runs the second as written."""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import BIN, ROOT, course_env, quick_start

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_exactly_two_quick_start_commands():
    commands = quick_start()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    opens, tests = commands
    assert opens.endswith("notebooks/00-start-here.ipynb") and "jupyter lab" in opens
    assert "pytest" in tests and '".[test]"' in tests


def test_ci_runs_the_readme_test_command_as_written():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start()[1] in ci.splitlines()


def test_no_placeholder_binder_badge_the_learners_copy_has_the_configured_one():
    """This repository holds the answers: Binder gets the learners' copy, whose README (rendered by
    syslead publish from course.yml's publish section) has the badge; tests/integration/test_publish.py checks it."""
    assert "mybinder.org/v2/gh/" not in README
    assert "syslead publish OUT" in README and "docs/publishing.md" in README


# The README's course map is made from course.yml and checked against it in tests/unit/test_course.py.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_open_command_serves_the_start_page(tmp_path):
    """Run the first command's parts after the install (which is what the test command does): the
    learner's working copy, then `jupyter lab ...`, in a copy of the files git tracks."""
    clone = tmp_path / "course"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, tracked.stdout.split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    *_, copy, lab = [shlex.split(part) for part in quick_start()[0].split("&&")]
    assert copy[0] == ".venv/bin/syslead" and lab[0] == ".venv/bin/jupyter"
    subprocess.run([str(BIN / "syslead"), *copy[1:]], cwd=clone, check=True, capture_output=True, text=True)
    port, token = free_port(), "course-test"
    args = [str(BIN / "jupyter"), *lab[1:], "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", "--allow-root"]
    proc = subprocess.Popen(args, cwd=clone, env=course_env(JUPYTER_RUNTIME_DIR=str(tmp_path)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read())
                time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/lab/tree/notebooks/00-start-here.ipynb?token={token}") as page:
            html = page.read().decode()
        assert page.status == 200 and "JupyterLab" in html
        assert '"disabled": true' in html.split('"news"', 1)[1][:40]  # no news feed
        url = f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
        with urllib.request.urlopen(url) as reply:  # and no pop-up asking about it (overrides.json)
            schema = json.loads(reply.read())["schema"]["properties"]
        assert schema["fetchNews"]["default"] == "false" and schema["checkForUpdates"]["default"] is False
        url = f"{base}/api/contents/notebooks/00-start-here.ipynb?content=0&token={token}"
        with urllib.request.urlopen(url) as reply:
            assert json.loads(reply.read())["type"] == "notebook"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
