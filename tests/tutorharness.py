"""Run grading as a tutor who is not root: a real Unix account, created for the test (as the hub tests do),
with a Python environment that account can read, then commands run as it with runuser. When the checkout or
this environment's packages sit behind a folder other users cannot enter (a ``mktemp -d`` folder, a venv under
``/root``), the harness opens the way to that one account with ACL entries (:func:`grant`), and takes them
back at the end, so the tutor's half of the security tests runs instead of skipping.

When the tests themselves do not run as root, "the tutor" is simply the current user.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "slsbx-tutor"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"
AS_ROOT = os.geteuid() == 0
WHO = ["root", "tutor"] if AS_ROOT else ["tutor"]


def grant(name: str, *paths: Path) -> list[Path]:
    """Let the account ``name`` read each of ``paths`` even when a folder on the way shuts other users out (a
    checkout in a ``mktemp -d`` folder, a venv under ``/root``): an ACL entry for that account alone on each
    such folder, ``rx`` on a path itself and ``x`` on the folders above it. Nothing is copied and no one else
    gains access. Returns the folders changed, for :func:`revoke`."""
    need: dict[Path, str] = {}
    for path in paths:
        path = path.resolve()
        for part in [path, *path.parents]:
            mode = part.stat().st_mode
            if part == path and (mode & 0o005) != 0o005:
                need[part] = "rx"
            elif part != path and not mode & 0o001:
                need.setdefault(part, "x")  # rx, when the folder is also one of the paths, is kept
    for part, perms in need.items():
        subprocess.run(["setfacl", "-m", f"u:{name}:{perms}", str(part)], check=True, capture_output=True, text=True)
    return list(need)


def revoke(name: str, changed: list[Path]) -> None:
    """Take back what :func:`grant` gave (before the account is removed: an ACL outlives its account's name)."""
    for part in changed:
        subprocess.run(["setfacl", "-x", f"u:{name}", str(part)], capture_output=True)


class Tutor:
    """A tutor's account (``name``), a folder it owns (``home``) and a Python it can run (``python``)."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="slsbx-", dir="/tmp"))
        self.base.chmod(0o755)
        if not AS_ROOT:
            self.name, self.python = pwd.getpwuid(os.getuid()).pw_name, Path(sys.executable)
            self.uid = os.getuid()
            return
        self.name = NAME
        try:
            pwd.getpwnam(NAME)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", NAME], check=True, capture_output=True)
        self.uid = pwd.getpwnam(NAME).pw_uid
        # the checkout and this environment's packages, readable by the tutor wherever they are
        self.granted: list[Path] = []
        self.grant_error = None
        try:
            self.granted = grant(NAME, ROOT, Path(sysconfig.get_paths()["purelib"]))
        except (OSError, subprocess.CalledProcessError) as error:  # no setfacl, or a file system without ACLs
            self.grant_error = ("the checkout or its Python packages are not readable by other users, and setfacl "
                                f"could not open them to the tutor account ({getattr(error, 'stderr', '') or error})")
        # a Python the tutor can run: the system's, with this environment's packages and this checkout
        venv = self.base / "venv"
        base_python = "/usr/bin/python3"
        subprocess.run([base_python, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        Path(site, "syslead-test.pth").write_text(f"{ROOT}\n{sysconfig.get_paths()['purelib']}\n")
        self.python = venv / "bin" / "python"
        self.folder(self.base / "work")

    def problem(self) -> str | None:
        """Why the tutor account cannot grade with this checkout (None: it can). Asked of the account itself,
        once: it imports the grading code and nbgrader with its own Python."""
        if not AS_ROOT:
            return None
        if getattr(self, "_problem", False) is not False:
            return self._problem
        self._problem = self.grant_error
        if self._problem is None:
            proc = self.run(str(self.python), "-c", "import syslead.grading.sandbox, nbgrader, nbclient, ipykernel",
                            timeout=300)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
                self._problem = f"the tutor account cannot import the grading code with {self.python} ({last})"
        return self._problem

    def folder(self, path: Path) -> Path:
        """``path`` (made if missing) and everything in it, owned by the tutor."""
        path.mkdir(parents=True, exist_ok=True)
        if AS_ROOT:
            subprocess.run(["chown", "-R", f"{self.uid}:{self.uid}", str(path)], check=True)
        return path

    def run(self, *command: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 600):
        full = {"PATH": f"{self.python.parent}:/usr/bin:/bin", "HOME": pwd.getpwnam(self.name).pw_dir,
                "LANG": "C.UTF-8", **(env or {})}
        prefix = [RUNUSER, "-u", self.name, "--"] if AS_ROOT else []
        return subprocess.run([*prefix, *command], env=full, cwd=str(cwd or self.base), capture_output=True,
                              text=True, timeout=timeout)

    def remove(self) -> None:
        from syslead.walk import remove_tree

        remove_tree(self.base)  # iterative: a corpus case nests folders 1,100 deep, which shutil.rmtree cannot remove
        if AS_ROOT:
            revoke(NAME, getattr(self, "granted", []))
            subprocess.run(["pkill", "-KILL", "-u", NAME], capture_output=True)
            subprocess.run(["userdel", "--remove", NAME], capture_output=True)


RUNNER = r'''
import json, sys
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook
spec = json.load(open(sys.argv[1]))
nb = new_notebook(cells=[new_code_cell(c) for c in spec["cells"]])
try:
    NotebookClient(nb, kernel_name=spec["kernel"], timeout=spec["timeout"], allow_errors=True, interrupt_on_timeout=True,
                   resources={"metadata": {"path": spec["cwd"]}}).execute()
    dead = False
except DeadKernelError:
    dead = True
print(json.dumps({"dead": dead, "cells": [c.get("outputs", []) for c in nb.cells]}))
'''


def run_cells_as(who: str, tutor: Tutor | None, cells: list[str], cwd: Path, env: dict, kernel: str,
                 timeout: int = 60) -> dict:
    """Run ``cells`` in a kernel started as ``who`` (root: this process's Python; tutor: the account)."""
    spec = cwd.parent / f"spec-{os.getpid()}-{len(os.listdir(cwd.parent))}.json"
    spec.write_text(json.dumps({"cells": cells, "cwd": str(cwd), "kernel": kernel, "timeout": timeout}))
    spec.chmod(0o644)
    if who == "root":
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(spec)], env={**os.environ, **env},
                              capture_output=True, text=True, timeout=600)
    else:
        proc = tutor.run(str(tutor.python), "-c", RUNNER, str(spec), env=env)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError(f"the notebook runner failed as {who}:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
