"""The harness that runs grading as a tutor who is not root (tests/tutorharness.py) opens a checkout that
other users cannot enter to that one account, and takes it back (issue 23: the tutor's half never skips)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from tutorharness import RUNUSER, grant, revoke

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root")]

OTHER = "nobody"  # an account every Debian has; the tutor's own account is left to the security tests


def as_other(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([RUNUSER, "-u", OTHER, "--", *command], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8"}, cwd="/")


def test_a_checkout_behind_a_closed_folder_is_opened_to_the_tutor_alone_and_closed_again():
    if shutil.which("setfacl") is None:
        pytest.fail("setfacl is missing: install the acl package (the harness needs it for a tutor account)")
    closed = Path(tempfile.mkdtemp(prefix="slsbx-closed-"))  # 0700, as mktemp -d makes it
    try:
        checkout = closed / "checkout"
        (checkout / "probe").mkdir(parents=True)
        (checkout / "probe" / "__init__.py").write_text("WHERE = 'inside'\n")
        checkout.chmod(0o700)
        code = f"import sys; sys.path.insert(0, {str(checkout)!r}); import probe; print(probe.WHERE)"
        python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
        shut = as_other(python, "-c", code)
        assert shut.returncode != 0 and "probe" in shut.stderr  # shut out before
        changed = grant(OTHER, checkout)
        assert changed == [checkout, closed]  # rx on the checkout, x on the folder above; / and /tmp were open
        opened = as_other(python, "-c", code)
        assert opened.returncode == 0 and opened.stdout.strip() == "inside", opened.stderr
        assert closed.stat().st_mode & 0o007 == 0  # other users still shut out: the ACL names one account
        revoke(OTHER, changed)
        both = grant(OTHER, checkout / "probe", checkout)  # a folder that is a path and above one keeps rx
        assert as_other(python, "-c", code).returncode == 0
        revoke(OTHER, both)
        assert as_other(python, "-c", code).returncode != 0
        assert f"user:{OTHER}" not in subprocess.run(["getfacl", "-p", str(closed)], capture_output=True, text=True).stdout
    finally:
        shutil.rmtree(closed, ignore_errors=True)
