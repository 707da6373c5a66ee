"""JupyterHub for one course on one server: the systems leadership course with nbgrader.

``configure.sh`` copies this file into the hub's state folder (default /srv/jupyterhub) beside
``course.json``, which holds this installation's settings (course id, paths, ports, Unix groups).
Start the hub from that folder::

    cd /srv/jupyterhub && /opt/syslead-hub/bin/jupyterhub -f /srv/jupyterhub/jupyterhub_config.py

What it sets up, following nbgrader's "Using nbgrader with JupyterHub" (one class, several graders):

- People log in with their Unix account and password (PAM). Who may log in, and who is a tutor, is
  decided by two Unix groups (``learners_group``, ``tutors_group``); at every login the hub copies
  that into nbgrader's course groups: ``nbgrader-COURSE`` (everyone on the course) and
  ``formgrade-COURSE`` (tutors). Add or remove people with ``usermod``; no hub restart.
- Each person's JupyterLab runs as their own Unix user (LocalProcessSpawner), from the one course
  environment in ``prefix`` that holds JupyterHub, JupyterLab, nbgrader and the course package.
- The formgrader runs as a hub service named like the course, as the grader account, in the course
  folder; only ``formgrade-COURSE`` may open it.
- Extension sets: learners get nbgrader's Assignments tab and Validate button (the environment's
  default, written by configure.sh); tutors' own servers also get the course list, which links to the
  formgrader; the grader service gets formgrader and the assignment editor.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
from pathlib import Path

from jupyterhub.auth import PAMAuthenticator

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
settings = json.loads((HERE / "course.json").read_text(encoding="utf-8"))

COURSE = settings["course_id"]
PREFIX = Path(settings["prefix"])
EXCHANGE = settings["exchange"]
LEARNERS_GROUP = settings["learners_group"]
TUTORS_GROUP = settings["tutors_group"]
ON_COURSE = f"nbgrader-{COURSE}"  # nbgrader's name for the group of everyone on the course
GRADERS = f"formgrade-{COURSE}"  # nbgrader's name for the group that may open the formgrader
PATH = f"{PREFIX / 'bin'}:/usr/local/bin:/usr/bin:/bin"

# --- where the hub listens and keeps its state ----------------------------------------------------

c.JupyterHub.bind_url = settings["bind_url"]
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_api_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [str(PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(HERE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{HERE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HERE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(HERE / "jupyterhub.pid")

# --- who may log in, and in which course group ----------------------------------------------------


def unix_groups(name: str) -> set[str]:
    """The Unix groups a user belongs to (primary and supplementary)."""
    try:
        primary = pwd.getpwnam(name).pw_gid
    except KeyError:
        return set()
    return {grp.getgrgid(gid).gr_name for gid in os.getgrouplist(name, primary)}


def course_groups(name: str) -> list[str]:
    """nbgrader's course groups for a user, from their Unix groups."""
    groups = unix_groups(name)
    found = []
    if groups & {LEARNERS_GROUP, TUTORS_GROUP}:
        found.append(ON_COURSE)
    if TUTORS_GROUP in groups:
        found.append(GRADERS)
    return found


class CourseAuthenticator(PAMAuthenticator):
    """Unix password login (PAM); course groups follow the Unix groups at each login and refresh."""

    async def authenticate(self, handler, data):
        name = await super().authenticate(handler, data)
        if name is None:
            return None
        return {"name": name, "groups": course_groups(name)}

    async def refresh_user(self, user, handler=None, **kwargs):
        return {"name": user.name, "groups": course_groups(user.name)}


c.JupyterHub.authenticator_class = CourseAuthenticator
c.CourseAuthenticator.allowed_groups = {LEARNERS_GROUP, TUTORS_GROUP}
c.CourseAuthenticator.manage_groups = True
c.CourseAuthenticator.admin_users = set(settings.get("admins", []))
c.Authenticator.auth_refresh_age = 300  # re-read Unix groups at most every five minutes

# --- what each group may do (nbgrader's roles for one course) -------------------------------------

c.JupyterHub.load_roles = [
    {
        "name": GRADERS,
        "description": "Tutors: open the course's formgrader",
        "groups": [GRADERS],
        "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
    },
    {
        "name": ON_COURSE,
        "description": "Everyone on the course: find the course's services",
        "groups": [ON_COURSE],
        "scopes": ["list:services", f"read:services!service={COURSE}"],
    },
]

# --- each person's own JupyterLab, as their own Unix user -----------------------------------------

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(PREFIX / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "PATH": PATH,
    "SYSLEAD_COURSE_ID": COURSE,
    "SYSLEAD_EXCHANGE": EXCHANGE,
}
# What a server's own token may do: nbgrader's assignment list reads the user's course groups
# (JupyterHubAuthPlugin) and a tutor's course list finds the formgrader service. A token never gets
# more than its user has.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "list:services",
    "read:services",
]
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90


def choose_extension_set(spawner) -> None:
    """Tutors' own servers load the tutor extension set on top of the learners' default."""
    env = dict(spawner.environment)
    if any(group.name == GRADERS for group in spawner.user.groups):
        env["JUPYTER_CONFIG_PATH"] = str(PREFIX / "etc" / "jupyter-tutor")
    else:
        env.pop("JUPYTER_CONFIG_PATH", None)
    spawner.environment = env


c.Spawner.pre_spawn_hook = choose_extension_set

# --- the formgrader: a shared server for tutors, run by the grader account ------------------------

c.JupyterHub.services = [
    {
        # nbgrader finds the formgrader of a course by this name: it must be the course id.
        "name": COURSE,
        "url": f"http://127.0.0.1:{settings['formgrader_port']}",
        "command": [str(PREFIX / "bin" / "jupyterhub-singleuser")],
        "user": settings["grader"],
        "cwd": settings["course_dir"],
        "oauth_no_confirm": True,
        "environment": {
            "PATH": PATH,
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": str(PREFIX / "etc" / "jupyter-grader"),
            "SYSLEAD_COURSE_ID": COURSE,
            "SYSLEAD_EXCHANGE": EXCHANGE,
        },
    }
]
