"""Every command of the tutors' guide (docs/tutors.md) runs as written there, in order, on a fresh copy of
the course, and does what the guide says (issue 26, items 1 to 4).

The commands run through a shell in a fresh Python environment of their own (a venv whose packages are
this one's, through a ``.pth`` file, with the Jupyter config the course's wheel installs), so that
``jupyter server extension enable --sys-prefix ...`` writes into that environment, never into the one the
tests run in. The only things the test adds are what a real term has around the commands: a class list
(``learners.csv``), learners who answer and submit (their own ``nbgrader_config.py`` names them and the
exchange, as a hub's login would), a tutor's own test submission (``root``), a late learner and a
misspelt extension in course.yml, and the tutor's marks on the grading page.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import BIN, ROOT, copy_course, course_env

pytestmark = pytest.mark.slow

GUIDE = ROOT / "docs" / "tutors.md"
ASSIGNMENT = "02-systems-innovation"
TOKEN = "guide-test"


def guide_commands(path: Path = GUIDE) -> list[tuple[str, str]]:
    """(who, command) for every command line in the page's ``bash`` blocks, in order: who is "tutor", or
    "learner" for the lines the guide gives as ``#    learner: COMMAND``. Trailing comments are dropped."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            learner = re.match(r"#\s+learner:\s+(.*)$", line)
            if learner:
                out.append(("learner", learner.group(1).strip()))
            elif line and not line.startswith("#"):
                out.append(("tutor", re.sub(r"\s+#\s.*$", "", line)))
    return out


# --- a fresh environment for the commands ----------------------------------------------------------------


def fresh_env(folder: Path) -> Path:
    """A venv that sees this environment's packages, with its own prefix (so --sys-prefix writes there) and
    the Jupyter config the course's wheel installs (jupyter-settings/ on top of what the packages install)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix)))
    inner = next((folder / "lib").glob("python3*")) / "site-packages"
    (inner / "zz_course_tests.pth").write_text(f"import site; site.addsitedir({str(site)!r})\n")
    etc = Path(sys.prefix) / "etc" / "jupyter"
    shutil.copytree(etc, folder / "etc" / "jupyter")
    for path in (ROOT / "jupyter-settings").rglob("*.json"):
        rel = path.relative_to(ROOT / "jupyter-settings")
        if rel.parts[0] in ("jupyter_server_config.d", "labconfig"):
            (folder / "etc" / "jupyter" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / "etc" / "jupyter" / rel)
    share = folder / "share" / "jupyter"  # nbconvert's templates and JupyterLab's files: copies; no kernels,
    share.mkdir(parents=True)           # so the grading sandbox's kernel is set up for this environment
    for name in ("nbconvert", "lab", "labextensions"):
        if (Path(sys.prefix) / "share" / "jupyter" / name).is_dir():
            shutil.copytree(Path(sys.prefix) / "share" / "jupyter" / name, share / name)
    python = folder / "bin" / "python"
    for script in BIN.iterdir():  # the command-line tools, started by this venv's Python
        if script.is_file() and script.name not in ("python", "python3") and not script.name.startswith("python3."):
            head = script.read_bytes()[:200]
            if head.startswith(b"#!") and b"python" in head.split(b"\n", 1)[0]:
                body = script.read_text().split("\n", 1)[1]
                target = folder / "bin" / script.name
                target.write_text(f"#!{python}\n{body}")
                target.chmod(0o755)
    return folder


def shell(command: str, cwd: Path, env_dir: Path, timeout: int = 900, **extra: str) -> subprocess.CompletedProcess:
    """Run one command of the guide as a tutor types it, in bash, with the fresh environment first on PATH."""
    env = course_env(**extra)
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(env_dir)
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{command!r} (from docs/tutors.md) exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}"
                    f"\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_config(folder: Path, port: int) -> Path:
    """A JUPYTER_CONFIG_DIR that only says how to listen (port, token, no browser, root allowed), so that
    ``jupyter lab`` can run as the guide writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"port": port, "ip": "127.0.0.1", "open_browser": False, "allow_root": True},
        "IdentityProvider": {"token": TOKEN}, "LabApp": {"news_url": None}}))
    return folder


def wait_for(base: str, proc: subprocess.Popen) -> None:
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read())
            time.sleep(0.5)
    pytest.fail("the server did not start")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as page:
            return page.status, page.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --- the term ---------------------------------------------------------------------------------------------

DUE = dt.datetime(2026, 2, 2, 17, 0)
POLICY = {"percent_per_day": 10, "max_percent": 50}


def prepare_course(course: Path) -> None:
    """What a real term has around the commands: the deadline and late policy in course.yml, an extension
    for a learner who has not submitted, a misspelt extension id, and the class list to import."""
    data = yaml.safe_load((course / "course.yml").read_text())
    for a in data["assignments"]:
        if a["id"] == ASSIGNMENT:
            a["due"] = DUE.strftime("%Y-%m-%d %H:%M:%S UTC")
    data["late_policy"] = POLICY
    data["extensions"] = {"cy": {ASSIGNMENT: 72}, "adaa": {ASSIGNMENT: 24}}  # adaa: a misspelt "ada"
    (course / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    with open(course / "learners.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email"])
        for sid, first in (("ada", "Ada"), ("bo", "Bo"), ("cy", "Cy")):
            w.writerow([sid, first, "Learner", f"{sid}@example.org"])


def learner_home(base: Path, course: Path, sid: str | None) -> Path:
    """A learner's folder whose nbgrader config names them and the exchange (as a hub's login and its
    shared exchange would); ``None`` is the tutor's own test submission, under the tutor's account."""
    home = base / (sid or "tutor-test")
    home.mkdir()
    lines = [f"c.Exchange.root = {str(course / 'exchange')!r}"]
    if sid:
        lines.append(f"c.CourseDirectory.student_id = {sid!r}")
    (home / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return home


def answer(path: Path, *, reflections: bool) -> None:
    from fixtures.hostile import REFLECTION, answered, solutions

    nb = answered(path, solutions(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                  REFLECTION if reflections else None)
    nbformat.write(nb, str(path))


def late_by(course: Path, sid: str, hours: float) -> None:
    stamp = (DUE + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (course / "submitted" / sid / ASSIGNMENT / "timestamp.txt").write_text(stamp)


def test_every_command_of_the_guide_is_found():
    commands = [c for _, c in guide_commands()]
    assert "jupyter server extension enable --sys-prefix syslead.tutor.grading_page" in commands
    assert f"syslead release-feedback {ASSIGNMENT}" in commands and "syslead export" in commands
    assert "nbgrader db student import learners.csv" in commands
    assert all(c.split()[0] in ("nbgrader", "syslead", "jupyter", "cd") for c in commands), commands


def test_a_term_as_the_guide_gives_it(tmp_path):
    env_dir = fresh_env(tmp_path / "env")
    course = copy_course(tmp_path / "course")
    prepare_course(course)
    homes = {sid: learner_home(tmp_path, course, sid) for sid in ("ada", "bo", None)}
    seen = []
    for who, command in guide_commands():
        if command.startswith("syslead demo") or command.startswith("cd demo-course"):
            continue  # the demo cohort: test_the_demo_cohort_as_the_guide_gives_it
        if who == "learner":
            for home in homes.values():
                if command.startswith("nbgrader submit"):
                    answer(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", reflections=True)
                shell(command, home, env_dir)
            seen.append(command)
            continue
        if command.startswith("syslead autograde"):
            late_by(course, "ada", 63)  # three days late (any part of a day counts): 30 % of the points
        out = shell(command, course, env_dir)
        seen.append(command)
        if command.startswith("jupyter server extension enable"):
            enabled = shell("jupyter server extension list", course, env_dir)
            assert re.search(r"syslead\.tutor\.grading_page\s+\S*enabled", enabled.stdout + enabled.stderr)
        if command.startswith("syslead autograde"):
            assert "extension to adaa, who is not a learner of this course (did you mean ada?)" in out.stdout
            assert "root (the tutor's own account)" in out.stdout
            before, _, max_score = penalty_and_score(course, "ada")
            assert 0 < before < 0.3 * max_score  # nbgrader's own figure: capped at the quick questions' points
        if command.startswith("syslead reflections"):  # step 3: the grading page, then the tutor's marks
            opened_grading_page(course, env_dir, tmp_path)
            mark_reflections(course, "ada")
        if command.startswith("syslead release-feedback"):
            released(course, out.stdout)
        if command == "syslead export":
            exported(course, out.stdout)
        if command == "syslead backup --list":
            assert "gradebook" in out.stdout or ".db" in out.stdout
    assert len(seen) == len([c for c in guide_commands() if not c[1].startswith(("syslead demo", "cd demo"))])


def opened_grading_page(course: Path, env_dir: Path, tmp_path: Path) -> None:
    """The page is on in JupyterLab as the guide starts it (`jupyter lab` in the course root)."""
    port = free_port()
    env = course_env(JUPYTER_CONFIG_DIR=str(server_config(tmp_path / "listen", port)),
                     JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    proc = subprocess.Popen(["bash", "-c", "jupyter lab"], cwd=course, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base, proc)
        status, html = get(f"{base}/syslead/grade?token={TOKEN}")
        assert status == 200 and ASSIGNMENT in html, html[:500]
    finally:
        stop(proc)


def mark_reflections(course: Path, sid: str) -> None:
    """The tutor marks every reflection of ``sid`` at the top level, through the grading page's own save."""
    from syslead.tutor import grading_page
    from syslead.tutor.course import Course
    from syslead.tutor.gradebook import grades

    c = Course.find(course)
    for g in grades(c, ASSIGNMENT):
        if g.student == sid and g.cell_type == "markdown" and g.needs_manual_grade:
            grading_page.save(c, ASSIGNMENT, g.cell, g.grade_id, score=g.max_score, comment="Well reflected.")


def penalty_and_score(course: Path, sid: str) -> tuple[float, float, float]:
    from syslead.tutor.course import Course

    with Course.find(course).gradebook() as gb:
        sub = gb.find_submission(ASSIGNMENT, sid)
        return (sum(nb.late_submission_penalty or 0 for nb in sub.notebooks), sub.score,
                gb.find_assignment(ASSIGNMENT).max_score)


def released(course: Path, out: str) -> None:
    # ada's work is fully marked: her feedback is out, and its penalty follows the policy on the final score
    penalty, score, max_score = penalty_and_score(course, "ada")
    assert score > 0.3 * max_score and penalty == pytest.approx(0.3 * max_score)
    feedback = course / "feedback" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert feedback.is_file(), out
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", feedback.read_text(encoding="utf-8")))
    assert f"penalty: {penalty:g} points" in text, text[:600]
    shown = lambda x: str(round(float(x), 2))  # noqa: E731 - as nbgrader's feedback template rounds
    assert f"(Score: {shown(score - penalty)} / {shown(max_score)})" in text, text[:600]
    assert f"Late submission penalty (Score: -{shown(penalty)})" in text
    # bo's reflections are unmarked, and root is the tutor's own copy: held back, by name, with the reason
    assert not (course / "feedback" / "bo").exists() and not (course / "feedback" / "root").exists()
    assert re.search(r"bo: \d+ answers? still to mark", out), out
    assert "root: not a learner (the tutor's own account)" in out, out
    assert "cy has an extension of 72 hours" in out and "has not submitted" in out, out
    outbound = course / "exchange" / "systems-leadership" / "feedback"
    assert len(list(outbound.glob("*.html"))) == 1  # ada's one notebook, no one else's


def exported(course: Path, out: str) -> None:
    with open(course / "grades" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    assert "root" not in rows and {"ada", "bo", "cy"} <= set(rows)
    penalty, score, _ = penalty_and_score(course, "ada")
    assert float(rows["ada"]["late_submission_penalty"]) == pytest.approx(penalty)
    assert float(rows["ada"]["score"]) == pytest.approx(score - penalty)
    assert "Left out of the export, as not learners: root (the tutor's own account)" in out, out
    assert "extension to adaa, who is not a learner of this course (did you mean ada?)" in out, out


def test_the_demo_cohort_as_the_guide_gives_it(tmp_path):
    env_dir = fresh_env(tmp_path / "env")
    work = copy_course(tmp_path / "work")  # the guide's commands run from the course root
    for _, command in guide_commands():
        if command.startswith("syslead demo"):
            out = shell(command, work, env_dir, timeout=1800)
            assert (work / "demo-course" / "gradebook.db").is_file(), out.stdout[-2000:]
        elif command.startswith("cd demo-course"):
            port = free_port()
            env = course_env(JUPYTER_CONFIG_DIR=str(server_config(tmp_path / "listen", port)),
                             JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
            env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
            proc = subprocess.Popen(["bash", "-c", command], cwd=work, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_for(base, proc)
                status, html = get(f"{base}/lab?token={TOKEN}")
                assert status == 200 and "JupyterLab" in html
            finally:
                stop(proc)
