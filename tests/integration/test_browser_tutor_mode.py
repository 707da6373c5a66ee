"""A learner's install shows none of nbgrader's tutor tools; `syslead tutor-mode on` brings them back.

The course installed as a learner installs it (`pip install .`: the environment this test runs in) carries
the learners' setup in its Jupyter config. In a real JupyterLab, in Chromium: no Formgrader, Create
Assignment or Course List (not in the menus, the command palette or the sidebars) and their server pages
answer 404, while nbgrader's Validate button is on a notebook's toolbar. Then `syslead tutor-mode on
--user` (in a temporary Jupyter config folder, which Jupyter reads first) and a restart: the tutor tools
are there, and Validate still is. `syslead tutor-mode off --user` takes them away again.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from browser_lab import (
    chromium,  # noqa: F401 - a fixture
    lab_env,
    new_page,
    start_lab,
)
from conftest import BIN, ROOT, copy_course

pytestmark = pytest.mark.slow

TOOLS = re.compile(r"Formgrader|Create Assignment|Course List", re.I)
NOTEBOOK = "release/01-systems-leadership/01-systems-leadership.ipynb"


def what_lab_shows(lab, browser) -> dict:
    """The tutor tools JupyterLab offers: in its menu bar, its command palette, its sidebars; Validate."""
    page = new_page(browser)
    page.goto(lab.url(f"lab/tree/{NOTEBOOK}"))
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    page.wait_for_timeout(1500)  # plugins add their menus and panels as they activate
    menus = []
    for item in page.locator(".lm-MenuBar-item").all():
        item.click()
        menus += page.locator(".lm-Menu:visible .lm-Menu-itemLabel").all_inner_texts()
        page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+c")  # the command palette
    page.locator(".lm-CommandPalette-input").fill("nbgrader")
    palette = page.locator(".lm-CommandPalette-item").all_inner_texts()
    page.keyboard.press("Escape")
    sidebars = page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
        "tabs => tabs.map(t => (t.title || '') + ' ' + (t.dataset.id || '') + ' ' + t.textContent)")
    validate = page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").count()
    page.context.close()
    found = [t for t in [*menus, *palette, *sidebars] if TOOLS.search(t)]
    return {"tools": sorted(set(found)), "validate": validate,
            "formgrader page": lab.status("formgrader"), "course list page": lab.status("formgraders")}


#: Jupyter reads the user's config folder before the environment's, as outside a virtual environment (in
#: one, `syslead tutor-mode on` without --user writes into the environment; test_lab_setup.py checks
#: that the file it writes there wins too).
USER_FIRST = {"JUPYTER_PREFER_ENV_PATH": "0"}


def installed_lab(course, home):
    """JupyterLab as the installed course sets it up: no config of the test's own."""
    (home / "jupyter-config").mkdir(parents=True, exist_ok=True)
    return start_lab([str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={course}"], course, home, **USER_FIRST)


def tutor_mode(home, state: str) -> None:
    proc = subprocess.run([str(BIN / "syslead"), "tutor-mode", state, "--user"], cwd=ROOT, env=lab_env(home, **USER_FIRST),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"Tutor mode is {state}" in proc.stdout, proc.stdout


def test_learner_install_hides_the_tutor_tools_and_tutor_mode_shows_them(tmp_path, chromium):  # noqa: F811
    course = copy_course(tmp_path / "course")
    home = tmp_path / "home"

    # the installed course, nothing else: the Jupyter config folder of the user is empty
    with installed_lab(course, home) as lab:
        learner = what_lab_shows(lab, chromium)
    assert learner["tools"] == [], f"a learner's install shows tutor tools: {learner['tools']}"
    assert learner["formgrader page"] == 404 and learner["course list page"] == 404, learner
    assert learner["validate"] >= 1, "nbgrader's Validate button is missing for learners"

    tutor_mode(home, "on")
    with installed_lab(course, home) as lab:
        tutor = what_lab_shows(lab, chromium)
    assert any(re.search("Formgrader", t, re.I) for t in tutor["tools"]), tutor
    assert any(re.search("Course List", t, re.I) for t in tutor["tools"]), tutor
    assert tutor["formgrader page"] == 200, tutor
    assert tutor["validate"] >= 1, "Validate should stay in tutor mode"

    tutor_mode(home, "off")
    with installed_lab(course, home) as lab:
        again = what_lab_shows(lab, chromium)
    assert again["tools"] == [] and again["formgrader page"] == 404, again
