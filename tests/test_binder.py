"""Binder: environment.yml and postBuild build the course on mybinder.org.

Docker is not available here, so we check the build repo2docker would run (`--no-build` prints it),
that environment.yml and pyproject.toml ask for the same packages, and that every extension postBuild
switches off really exists under that name.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run
from packaging.requirements import Requirement

REPO2DOCKER = shutil.which("repo2docker") or str(Path(sys.executable).parent / "repo2docker")


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    found = {}
    for dep in env["dependencies"]:
        assert isinstance(dep, str), "put the course's packages in conda dependencies, not a pip section"
        req = Requirement(dep.replace("=", "==") if re.fullmatch(r"[\w.-]+=[\d.]+", dep) else dep)
        found[req.name.lower()] = str(req.specifier)
    return found


def test_repo2docker_builds_from_environment_yml_and_runs_postbuild():
    out = run([REPO2DOCKER, "--no-build", "--debug", str(ROOT)], cwd=ROOT)
    dockerfile = out.stdout + out.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert '--file "environment.yml"' in dockerfile
    assert "RUN ./postBuild" in dockerfile


def test_environment_yml_asks_for_what_pyproject_asks_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {Requirement(d).name.lower(): str(Requirement(d).specifier) for d in project["dependencies"]}
    conda = conda_requirements()
    python = conda.pop("python")
    conda.pop("pip", None)
    assert conda == wanted
    assert project["requires-python"] == ">=3.11" and python == "==3.11"


def postbuild_server_settings() -> dict[str, bool]:
    text = (ROOT / "postBuild").read_text()
    block = re.search(r"<<'JSON'\n(.*?)\nJSON\n", text, flags=re.S).group(1)
    return json.loads(block)["ServerApp"]["jpserver_extensions"]


def test_postbuild_installs_the_package_and_hides_the_tutor_tools():
    script = (ROOT / "postBuild").read_text()
    assert (ROOT / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps" in script
    plugins = re.search(r"for plugin in ([^;]+);", script).group(1).split()
    assert sorted(plugins) == ["assignment-list", "course-list", "create-assignment", "formgrader", "menu"]
    assert "validate" not in " ".join(plugins)
    assert "@jupyterlab/apputils-extension:announcements" in script
    assert postbuild_server_settings() == {
        f"nbgrader.server_extensions.{name}": False for name in ("formgrader", "course_list", "assignment_list")
    }


def test_postbuild_server_settings_really_switch_the_tutor_extensions_off(tmp_path):
    """Jupyter reads the file postBuild writes, after nbgrader's own, and the tutor extensions are off."""
    folder = tmp_path / "jupyter_server_config.d"
    folder.mkdir()
    (folder / "syslead-learners.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": postbuild_server_settings()}}))
    script = (
        "from jupyter_server.serverapp import ServerApp\n"
        "app = ServerApp()\n"
        "app.initialize(argv=['--allow-root'], new_httpserver=False)\n"
        "print(sorted(k for k, on in app.jpserver_extensions.items() if on and k.startswith('nbgrader')))\n"
    )
    out = run([sys.executable, "-c", script], cwd=tmp_path, JUPYTER_CONFIG_PATH=str(tmp_path))
    assert out.stdout.strip().splitlines()[-1] == "['nbgrader.server_extensions.validate_assignment']"


def installed_lab_plugins() -> set[str]:
    """Plugin ids that JupyterLab and nbgrader ship in this environment (read from their bundles)."""
    ids = set()
    share = Path(sys.prefix) / "share" / "jupyter"
    for bundle in list((share / "labextensions" / "@jupyter" / "nbgrader").rglob("*.js")) + list(
        (share / "lab" / "static").glob("*.js")
    ):
        ids |= set(re.findall(r'"(@jupyter(?:lab)?/[\w-]+(?:-extension)?:[\w-]+)"', bundle.read_text(errors="ignore")))
    return ids


def test_every_extension_postbuild_names_exists():
    script = (ROOT / "postBuild").read_text()
    plugins = re.search(r"for plugin in ([^;]+);", script).group(1).split()
    shipped = installed_lab_plugins()
    for plugin in plugins:
        assert f"@jupyter/nbgrader:{plugin}" in shipped
    assert "@jupyterlab/apputils-extension:announcements" in shipped
    assert "@jupyter/nbgrader:validate-assignment" in shipped
    for name in postbuild_server_settings():
        assert importlib.util.find_spec(name), name


@pytest.mark.parametrize("field", ["name", "channels", "dependencies"])
def test_environment_yml_is_complete(field):
    assert yaml.safe_load((ROOT / "environment.yml").read_text()).get(field)
