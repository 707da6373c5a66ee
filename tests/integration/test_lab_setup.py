"""The learners' JupyterLab setup that the wheel installs, and tutor mode on top of it, as Jupyter reads them.

The files are merged by Jupyter's own config readers (jupyter_server's ConfigManager for JupyterLab's
page config, traitlets for the server's), from folders laid out as an installed environment and a user's
config folder. The browser test (test_browser_tutor_mode.py) checks the same in a running JupyterLab.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import BIN, ROOT, course_env
from jupyter_server.services.config.manager import ConfigManager

from syslead.learner.lab import TUTOR_PLUGINS, TUTOR_SERVER_EXTENSIONS, set_tutor_mode, tutor_mode_is_on

SETTINGS = ROOT / "jupyter-settings"
LEARNER_FILES = {
    "labconfig/page_config.d/syslead-learner.json": SETTINGS / "labconfig/page_config.d/syslead-learner.json",
    "jupyter_server_config.d/syslead-learner.json": SETTINGS / "jupyter_server_config.d/syslead-learner.json",
}


def installed_env(folder: Path) -> Path:
    """An environment's etc/jupyter as `pip install .` leaves it: nbgrader's file, then ours."""
    etc = folder / "etc" / "jupyter"
    for inside, src in LEARNER_FILES.items():
        (etc / inside).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, etc / inside)
    (etc / "jupyter_server_config.d" / "nbgrader.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": {
        name: True for name in [*TUTOR_SERVER_EXTENSIONS, "nbgrader.server_extensions.assignment_list",
                                "nbgrader.server_extensions.validate_assignment"]}}}))
    return etc


def disabled(*folders: Path) -> set[str]:
    """The plugins JupyterLab disables, reading the folders from the lowest priority to the highest."""
    # ConfigManager takes the folders as jupyter_config_path() lists them: the highest priority first
    page = ConfigManager(read_config_path=[str(f / "labconfig") for f in reversed(folders)]).get("page_config")
    return {name for name, off in page.get("disabledExtensions", {}).items() if off}


def server_extensions(*folders: Path) -> dict[str, bool]:
    """jpserver_extensions as the server merges its config files, lowest priority first."""
    merged: dict[str, bool] = {}
    for folder in folders:
        files = sorted((folder / "jupyter_server_config.d").glob("*.json"))
        for path in files:
            merged.update(json.loads(path.read_text())["ServerApp"]["jpserver_extensions"])
    return merged


def test_a_learner_install_disables_the_tutor_tools_and_keeps_validate(tmp_path):
    env = installed_env(tmp_path / "env")
    assert disabled(env) == set(TUTOR_PLUGINS)
    on = server_extensions(env)
    assert not any(on[name] for name in TUTOR_SERVER_EXTENSIONS)
    assert on["nbgrader.server_extensions.validate_assignment"] and on["syslead.learner.lab"]
    assert "@jupyter/nbgrader:validate-assignment" not in disabled(env)


def test_tutor_mode_in_the_environment_wins_over_the_learner_files_and_off_undoes_it(tmp_path):
    env = installed_env(tmp_path / "env")
    set_tutor_mode(True, env)
    assert tutor_mode_is_on(env)
    assert disabled(env) == set()
    assert all(server_extensions(env)[name] for name in TUTOR_SERVER_EXTENSIONS)
    set_tutor_mode(False, env)
    assert not tutor_mode_is_on(env) and disabled(env) == set(TUTOR_PLUGINS)


def test_tutor_mode_for_one_user_wins_over_the_environment(tmp_path):
    env, user = installed_env(tmp_path / "env"), tmp_path / "user"
    set_tutor_mode(True, user)
    assert disabled(env, user) == set()
    assert all(server_extensions(env, user)[name] for name in TUTOR_SERVER_EXTENSIONS)


def test_tutor_mode_for_one_user_is_refused_where_the_environment_comes_first(tmp_path):
    env = course_env(JUPYTER_CONFIG_DIR=str(tmp_path), JUPYTER_PREFER_ENV_PATH="1")
    out = subprocess.run([str(BIN / "syslead"), "tutor-mode", "on", "--user"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "without --user" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and not tutor_mode_is_on(tmp_path)


def test_the_command_says_what_it_did(tmp_path):
    env = course_env(JUPYTER_CONFIG_DIR=str(tmp_path), JUPYTER_PREFER_ENV_PATH="0")
    run = [str(BIN / "syslead"), "tutor-mode"]
    out = subprocess.run([*run, "on", "--user"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Tutor mode is on" in out.stdout and out.stderr == ""
    assert tutor_mode_is_on(tmp_path)
    out = subprocess.run([*run, "status", "--user"], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().startswith("Tutor mode is on")
    out = subprocess.run([*run, "off", "--user"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not tutor_mode_is_on(tmp_path)
    out = subprocess.run([*run, "sideways"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "invalid choice" in out.stderr


@pytest.mark.slow
def test_the_wheel_installs_the_learner_setup_and_the_course_css(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(tmp_path.glob("syslead-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for inside in LEARNER_FILES:
        assert any(n.endswith(f".data/data/etc/jupyter/{inside}") for n in names), inside
    assert "syslead/learner/lab_custom/custom.css" in names
