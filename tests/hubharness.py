"""A course hub on this machine, set up as deploy/jupyterhub/README.md says, for tests and benchmarks.

It runs the README's steps with its own names and folders: ``configure.sh`` (Unix groups, grader
account, course folder, exchange, extension sets, hub settings), ``add-person.sh`` for each person
(real Unix accounts with passwords), then the systemd unit's ``ExecStart`` command. It needs root and
the course environment that ``install.sh`` makes (``.ci/setup.d/30-jupyterhub.sh`` runs it).

People log in through the hub's login form (PAM), get an API token from the hub's REST API with
their password, start their own server through the REST API and talk to it (and to the formgrader
service) through the hub's proxy, as a browser would. Everything it creates (accounts, groups,
folders, processes) is removed by :meth:`CourseHub.stop`.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "jupyterhub"
PREFIX = Path(os.environ.get("SYSLEAD_HUB_PREFIX", "/opt/syslead-hub"))
COURSE = "systems-leadership"
UNIT = DEPLOY / "syslead-hub.service"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def needs_root() -> str | None:
    """Why the hub cannot run as this user, or None."""
    if os.geteuid() != 0:
        return "the hub test creates Unix accounts and starts servers as them, so it must run as root"
    return None


def missing_requirements() -> str | None:
    """What is missing for a hub here, in one sentence, or None."""
    if not (PREFIX / "bin" / "jupyterhub").exists():
        return (f"there is no course environment in {PREFIX}: run 'sudo deploy/jupyterhub/install.sh' "
                "(.ci/setup.d/30-jupyterhub.sh does) or set SYSLEAD_HUB_PREFIX")
    if not (PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return f"configurable-http-proxy is missing from {PREFIX}/proxy: run 'sudo deploy/jupyterhub/install.sh'"
    return None


def unit_command(prefix: Path, state: Path) -> tuple[list[str], Path]:
    """The systemd unit's ExecStart and WorkingDirectory, with this hub's prefix and state folder."""
    text = UNIT.read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1)
    workdir = re.search(r"^WorkingDirectory=(.+)$", text, re.M).group(1)

    def local(s: str) -> str:
        return s.replace("/opt/syslead-hub", str(prefix)).replace("/srv/jupyterhub", str(state))

    return shlex.split(local(command)), Path(local(workdir))


class HubError(AssertionError):
    pass


class CourseHub:
    """A running course hub with its own accounts, named ``TAG-...``."""

    def __init__(self, tag: str = "slhub", learners: tuple[str, ...] = (), tutors: tuple[str, ...] = ()):
        self.tag = tag
        self.learners = [f"{tag}-{n}" for n in learners]
        self.tutors = [f"{tag}-{n}" for n in tutors]
        self.grader = f"{tag}-grader"
        self.groups = [f"{tag}-learners", f"{tag}-tutors"]
        self.passwords = {name: secrets.token_urlsafe(12) for name in self.learners + self.tutors}
        self.tokens: dict[str, str] = {}
        self.base = Path(tempfile.mkdtemp(prefix=f"{tag}-"))
        self.base.chmod(0o755)  # learners must reach the exchange inside it
        self.state = self.base / "hub"
        self.exchange = self.base / "exchange"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.formgrader_port = free_port()
        self.log_path = self.base / "hub.log"
        self.proc: subprocess.Popen | None = None

    # --- the README's steps -------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "SYSLEAD_HUB_PREFIX": str(PREFIX),
            "SYSLEAD_HUB_STATE": str(self.state),
            "SYSLEAD_EXCHANGE": str(self.exchange),
            "SYSLEAD_COURSE_ID": COURSE,
            "SYSLEAD_GRADER": self.grader,
            "SYSLEAD_LEARNERS_GROUP": self.groups[0],
            "SYSLEAD_TUTORS_GROUP": self.groups[1],
            "SYSLEAD_HUB_BIND_URL": self.url,
            "SYSLEAD_HUB_API_PORT": str(free_port()),
            "SYSLEAD_PROXY_API_PORT": str(free_port()),
            "SYSLEAD_FORMGRADER_PORT": str(self.formgrader_port),
        })
        return env

    def script(self, name: str, *args: str, stdin: str | None = None) -> str:
        proc = subprocess.run(["bash", str(DEPLOY / name), *args], env=self.env(), input=stdin,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise HubError(f"{name} {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def start(self) -> CourseHub:
        self.remove_accounts()
        self.script("configure.sh")
        for name in self.learners:
            self.script("add-person.sh", "learner", name, stdin=self.passwords[name] + "\n")
        for name in self.tutors:
            self.script("add-person.sh", "tutor", name, stdin=self.passwords[name] + "\n")
        command, workdir = unit_command(PREFIX, self.state)
        env = dict(os.environ, PATH=f"{PREFIX / 'bin'}:/usr/local/bin:/usr/bin:/bin")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.wait_for(self.hub_is_up, 90, "the hub")
        return self

    def hub_is_up(self) -> bool:
        if self.proc.poll() is not None:
            raise HubError(f"the hub exited with status {self.proc.returncode}:\n{self.log()[-4000:]}")
        return requests.get(f"{self.url}/hub/api", timeout=2).status_code == 200

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the hub stops the servers, the service and its proxy
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.remove_accounts()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> CourseHub:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def remove_accounts(self) -> None:
        """Remove this hub's accounts and groups (also those left by an earlier run with this tag)."""
        names = [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(f"{self.tag}-")]
        for name in names:
            uid = pwd.getpwnam(name).pw_uid
            for pid in self.pids_of(uid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        for group in self.groups:
            subprocess.run(["groupdel", group], capture_output=True)

    @staticmethod
    def pids_of(uid: int) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        pids.append(int(entry.name))
                except FileNotFoundError:
                    pass
        return pids

    # --- as a person would: log in, get a token, start a server ---------------------------------

    @staticmethod
    def wait_for(check, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise HubError(f"{what} did not become ready within {seconds:.0f} s")

    def login(self, name: str, password: str | None = None) -> requests.Session:
        """Log in through the hub's login form, as a browser does."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        reply = session.post(f"{self.url}/hub/login", timeout=60, allow_redirects=False,
                             data={"username": name, "password": password or self.passwords[name], "_xsrf": xsrf})
        if reply.status_code != 302:
            raise HubError(f"{name} could not log in: {reply.status_code}")
        return session

    def token(self, name: str) -> str:
        """Log in, then ask the hub's REST API for an API token with the password."""
        if name not in self.tokens:
            self.login(name)
            reply = requests.post(f"{self.url}/hub/api/users/{name}/tokens", timeout=60, json={
                "auth": {"username": name, "password": self.passwords[name]}, "note": "course test",
                "expires_in": 3600})
            if reply.status_code != 201:
                raise HubError(f"no token for {name}: {reply.status_code} {reply.text}")
            self.tokens[name] = reply.json()["token"]
        return self.tokens[name]

    def as_user(self, name: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"token {self.token(name)}"
        return session

    def hub_api(self, name: str, method: str, path: str, **kw) -> requests.Response:
        return self.as_user(name).request(method, f"{self.url}/hub/api{path}", timeout=60, **kw)

    def start_server(self, name: str, timeout: float = 120) -> None:
        reply = self.hub_api(name, "POST", f"/users/{name}/server")
        if reply.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"could not start {name}'s server: {reply.status_code} {reply.text}")

        def ready() -> bool:
            model = self.hub_api(name, "GET", f"/users/{name}").json()
            server = model.get("servers", {}).get("")
            return bool(server and server.get("ready"))

        self.wait_for(ready, timeout, f"{name}'s server")

    def server(self, name: str, method: str, path: str, **kw) -> requests.Response:
        """A request to NAME's own server (through the hub's proxy) with NAME's token."""
        return self.as_user(name).request(method, f"{self.url}/user/{name}/{path.lstrip('/')}", timeout=300, **kw)

    def formgrader(self, name: str, method: str, path: str, **kw) -> requests.Response:
        """A request to the course's formgrader service (through the hub's proxy) with NAME's token."""
        url = f"{self.url}/services/{COURSE}/formgrader/{path.lstrip('/')}"
        return self.as_user(name).request(method, url, timeout=600, allow_redirects=False, **kw)

    def as_unix_user(self, name: str, *command: str) -> subprocess.CompletedProcess:
        """Run a command as NAME's Unix account, as NAME could in a terminal on their own server."""
        env = {"PATH": f"{PREFIX / 'bin'}:/usr/bin:/bin", "HOME": pwd.getpwnam(name).pw_dir,
               "SYSLEAD_EXCHANGE": str(self.exchange), "SYSLEAD_COURSE_ID": COURSE}
        return subprocess.run([RUNUSER, "-u", name, "--", *command], env=env, capture_output=True, text=True,
                              timeout=300, cwd="/")

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)


def json_of(reply: requests.Response) -> dict | list:
    if reply.status_code >= 400:
        raise HubError(f"{reply.request.method} {reply.url}: {reply.status_code}\n{reply.text[:2000]}")
    return json.loads(reply.text)


def ok(reply: requests.Response) -> dict | list:
    """The JSON of a reply from nbgrader's handlers, which report failure as success: false."""
    data = json_of(reply)
    if isinstance(data, dict) and data.get("success") is False:
        raise HubError(f"{reply.request.method} {reply.url} failed:\n{json.dumps(data, indent=1)[:3000]}")
    return data


@contextmanager
def term_on_a_hub(tag: str, learners: tuple[str, ...], tutors: tuple[str, ...], run, *, log_chars: int = 8000):
    """A hub whose term ``run(hub, seen)`` has been played once, for a module's tests to check: yields
    ``(hub, seen)``. Skips without root (CI runs as root), fails when the hub's environment is missing, and
    prints the end of the hub's log when the term fails."""
    import pytest

    if needs_root():
        pytest.skip(needs_root())  # a developer can run it with sudo
    if missing_requirements():
        pytest.fail(missing_requirements())
    seen: dict = {}
    with CourseHub(tag=tag, learners=learners, tutors=tutors) as hub:
        try:
            run(hub, seen)
        except BaseException:
            print(hub.log()[-log_chars:])
            raise
        yield hub, seen
