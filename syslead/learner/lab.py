"""How JupyterLab is set up for learners and for tutors.

The course's wheel ships the learners' setup as Jupyter config in the environment it is installed into
(``pip install .`` puts them in ``PREFIX/etc/jupyter``; the files are in ``jupyter-settings/``):

- ``labconfig/page_config.d/syslead-learner.json`` switches off nbgrader's tutor menus (Formgrader,
  Create Assignment, Course List); nbgrader's Validate button and Assignments tab stay;
- ``jupyter_server_config.d/syslead-learner.json`` switches off nbgrader's formgrader and course-list
  server extensions, and switches on this module, a server extension that adds the course's CSS
  (``lab_custom/custom.css``: links in text are underlined) to JupyterLab's page as its custom CSS.

A file that a wheel installs stays installed whatever extra is asked for, so tutors switch their tools
on with a file of higher priority: ``syslead tutor-mode on`` writes ``syslead-tutor.json`` beside the
learner files (read after them, so it wins), or into the user's Jupyter config with ``--user`` where
Jupyter reads that first (outside a virtual environment; in one, the environment's config comes first and
the command says so). ``syslead tutor-mode off`` removes it. On the course hub the grader's and
tutors' config folders come first on ``JUPYTER_CONFIG_PATH`` and do the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from syslead.errors import CourseError

HELP = "switch nbgrader's tutor tools (Formgrader, Create Assignment, Course List) on or off in JupyterLab"

CUSTOM = Path(__file__).resolve().parent / "lab_custom"

#: nbgrader's tutor tools: the JupyterLab plugins (menus, toolbar) and the server extensions behind them.
TUTOR_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                 "@jupyter/nbgrader:course-list"]
TUTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]

NAME = "syslead-tutor.json"


# --- the server extension: the course's CSS ------------------------------------------------------------

def _jupyter_server_extension_points():
    return [{"module": "syslead.learner.lab"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Have JupyterLab's page load its custom CSS (as ``--LabApp.custom_css=True`` would: JupyterLab, loaded
    before this extension, has made its page template by now, and a config file's setting does not reach
    it), and serve, at that address, the course's CSS followed by the user's own custom.css if any."""
    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from tornado import web
    from tornado.routing import PathMatches, Rule

    class CourseCss(JupyterHandler):
        @web.authenticated
        def get(self):
            own = Path(serverapp.config_dir) / "custom" / "custom.css"
            text = (CUSTOM / "custom.css").read_text(encoding="utf-8")
            if own.is_file():
                text += "\n/* the user's own custom.css */\n" + own.read_text(encoding="utf-8")
            self.set_header("Content-Type", "text/css")
            self.set_header("Cache-Control", "no-cache")
            self.finish(text)

    settings = serverapp.web_app.settings
    lab_page = settings.get("lab_jinja2_env")
    if lab_page is None:
        serverapp.log.warning("syslead.learner.lab: JupyterLab is not loaded; the course's CSS is not applied")
        return
    lab_page.globals["custom_css"] = True
    # first among the routes: the notebook package (and JupyterLab) may serve a placeholder at this address
    path = url_path_join(settings.get("base_url", "/"), "custom/custom.css")
    router = serverapp.web_app.default_router
    router.rules.insert(0, router.process_rule(Rule(PathMatches(path + "$"), CourseCss)))


# --- tutor mode ------------------------------------------------------------------------------------------

def config_dir(user: bool) -> Path:
    """Where tutor mode is written: this environment's Jupyter config, or the user's (``--user``)."""
    from jupyter_core.paths import ENV_CONFIG_PATH, jupyter_config_dir

    return Path(jupyter_config_dir() if user else ENV_CONFIG_PATH[0])


def tutor_files(folder: Path) -> dict[Path, dict]:
    """The two files of tutor mode in a Jupyter config folder, with what they hold."""
    return {
        folder / "labconfig" / "page_config.d" / NAME: {"disabledExtensions": dict.fromkeys(TUTOR_PLUGINS, False)},
        folder / "jupyter_server_config.d" / NAME: {
            "ServerApp": {"jpserver_extensions": dict.fromkeys(TUTOR_SERVER_EXTENSIONS, True)}},
    }


def set_tutor_mode(on: bool, folder: Path) -> list[Path]:
    """Write (on) or remove (off) the tutor-mode files in ``folder``; the files changed."""
    changed = []
    try:
        for path, content in tutor_files(folder).items():
            if on:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
                changed.append(path)
            elif path.exists():
                path.unlink()
                changed.append(path)
    except PermissionError as error:
        raise CourseError(
            f"cannot write in {Path(error.filename).parent} (no permission); run it with --user to switch tutor "
            f"mode for your own account only."
        ) from None
    return changed


def tutor_mode_is_on(folder: Path) -> bool:
    return all(path.exists() for path in tutor_files(folder))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("state", choices=["on", "off", "status"],
                        help="on: show the tutor tools; off: hide them again (learners' setup); status: say which")
    parser.add_argument("--user", action="store_true",
                        help="for your account only (your Jupyter config folder), not for this whole environment")


def user_config_comes_first() -> bool:
    """Whether Jupyter reads the user's config folder before this environment's (not in a virtual
    environment, or with JUPYTER_PREFER_ENV_PATH=0); only then can tutor mode for one user win."""
    from jupyter_core.paths import prefer_environment_over_user

    return not prefer_environment_over_user()


def run(args: argparse.Namespace) -> int:
    if args.user and args.state == "on" and not user_config_comes_first():
        raise CourseError(
            f"Jupyter reads this environment's config ({sys.prefix}) before yours, so tutor mode for your "
            f"account alone would not show; run `syslead tutor-mode on` without --user."
        )
    folder = config_dir(args.user)
    where = "your Jupyter config" if args.user else f"this environment ({sys.prefix})"
    if args.state == "status":
        state = "on" if tutor_mode_is_on(folder) else "off"
        print(f"Tutor mode is {state} in {where}.")
        return 0
    set_tutor_mode(args.state == "on", folder)
    if args.state == "on":
        print(f"Tutor mode is on in {where}: restart JupyterLab to see Formgrader, Create Assignment and "
              f"Course List. `syslead tutor-mode off` hides them again.")
    else:
        print(f"Tutor mode is off in {where}: restart JupyterLab; learners' tools only (Validate stays).")
    if os.environ.get("JUPYTER_CONFIG_PATH"):
        print("Note: JUPYTER_CONFIG_PATH is set; its folders come first and may override this.")
    return 0
