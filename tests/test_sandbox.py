"""The resource-limited grading kernel (syslead.grading.sandbox): each limit really bites, and a normal notebook
grades the same with it as without it.

Every test starts a real kernel through the installed kernelspec, as nbgrader does (nbclient). The limits
are set low through SYSLEAD_SANDBOX_* variables so that each test takes seconds; the 20 GB allocation is
real (the memory limit stops it before a page is touched). Tests marked "root" need the grader to run as
root (CI does): that is when the kernel gets a user of its own and the course is hidden from it.
"""

from __future__ import annotations

import csv
import errno
import glob
import json
import os
import socket
import threading

import nbformat
import pytest
from conftest import nbgrader
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from syslead.grading import sandbox

pytestmark = pytest.mark.slow

AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not AS_ROOT, reason="a separate grading user and hidden folders need root")


@pytest.fixture(scope="module")
def kernel_prefix(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("kernels")
    sandbox.install_kernel(str(prefix), {"slots": 4})
    return prefix


@pytest.fixture
def course(tmp_path, kernel_prefix, monkeypatch):
    """A small course folder: a gradebook, another learner's submission, and eve's folder being graded."""
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix / "share" / "jupyter"))
    for key in list(os.environ):  # settings left by earlier tests (prepare_grading sets the course root)
        if key.startswith("SYSLEAD_SANDBOX_") or key == "SYSLEAD_COURSE_ROOT":
            monkeypatch.delenv(key)
    root = tmp_path / "course"
    (root / "submitted" / "bob" / "a1").mkdir(parents=True)
    (root / "autograded" / "eve" / "a1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00 GRADEBOOK-SECRET")
    (root / "submitted" / "bob" / "a1" / "a1.ipynb").write_text('{"answer": "BOB-SECRET-ANSWER"}')
    (root / "autograded" / "eve" / "a1" / "data.txt").write_text("eve's data\n")
    return root


def run_cells(cells: list[str], cwd, kernel: str = sandbox.KERNEL_NAME, timeout: int = 60):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb.cells


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def error(cell) -> tuple[str, str] | None:
    found = [(o.ename, o.evalue) for o in cell.outputs if o.output_type == "error"]
    return found[0] if found else None


def records(course) -> list[dict]:
    paths = sorted(glob.glob(str(course / ".syslead" / "sandbox-runs" / "*.json")), key=os.path.getmtime)
    return [json.loads(open(p).read()) for p in paths]


def grading_processes() -> list[int]:
    import pwd

    found = []
    for slot in range(8):
        try:
            found += sandbox.processes_of(pwd.getpwnam(sandbox.user_name(slot)).pw_uid)
        except KeyError:
            pass
    return found


def test_the_kernelspec_is_found_by_jupyter(course):
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(sandbox.KERNEL_NAME)
    assert spec.argv[1:5] == ["-I", "-m", "syslead.grading.sandbox", "launch"]
    assert spec.language == "python"


def test_the_kernel_works_in_a_private_copy_of_the_submission(course):
    cells = run_cells(["import os; print(sorted(os.listdir('.'))); print(open('data.txt').read())",
                       "open('made-by-learner.txt', 'w').write('x'); print(os.getcwd())"], course / "autograded" / "eve" / "a1")
    assert "['data.txt']" in text(cells[0]) and "eve's data" in text(cells[0])
    assert error(cells[1]) is None
    assert str(course) not in text(cells[1])
    assert not (course / "autograded" / "eve" / "a1" / "made-by-learner.txt").exists()
    [record] = records(course)
    assert record["submission"] == os.path.join("autograded", "eve", "a1")
    assert record["exit_code"] == 0


def test_allocating_20_gb_fails_cleanly_and_the_kernel_carries_on(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_MEMORY_MB", "2048")
    cells = run_cells(["x = bytearray(20 * 1024**3)", "import numpy\ny = numpy.ones(10**6); print(y.sum())"],
                      course / "autograded" / "eve" / "a1")
    assert error(cells[0])[0] == "MemoryError"
    assert "1000000.0" in text(cells[1])


@root_only
def test_a_fork_bomb_is_stopped_and_its_processes_are_killed_afterwards(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_PROCESSES", "40")
    bomb = ("import subprocess\nstarted = []\ntry:\n    for _ in range(1000):\n"
            "        started.append(subprocess.Popen(['sleep', '120']))\nfinally:\n    print('started', len(started))")
    # five daemons in sessions of their own, whose parent exits at once: neither the kernel nor Jupyter can
    # find them; the launcher (a child subreaper) gets them back and kills them
    orphans = ("import subprocess, sys\nsubprocess.run([sys.executable, '-c', \"import subprocess; [subprocess.Popen("
               "['sleep', '120'], start_new_session=True) for _ in range(5)]\"])")
    cells = run_cells([orphans, bomb, "print('still here')"], course / "autograded" / "eve" / "a1")
    assert error(cells[0]) is None
    assert error(cells[1])[0] == "BlockingIOError"
    started = int(text(cells[1]).split()[-1])
    assert 0 < started < 40
    assert "still here" in text(cells[2])
    assert grading_processes() == []
    assert records(course)[-1]["leftover_processes_killed"] >= 5


def test_a_big_file_write_is_stopped_and_a_big_submitted_file_is_left_out(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_FILE_SIZE_MB", "8")
    with open(course / "autograded" / "eve" / "a1" / "huge.bin", "wb") as f:
        f.truncate(20 << 20)  # a 20 MB file in the submission (sparse: no disk used)
    cells = run_cells(["import os; print(sorted(os.listdir('.')))",
                       "with open('out.bin', 'wb') as f:\n    f.write(b'x' * (32 << 20))"],
                      course / "autograded" / "eve" / "a1")
    assert "huge.bin" not in text(cells[0])
    assert error(cells[1]) == ("OSError", "[Errno 27] File too large")
    assert any("huge.bin" in note for note in records(course)[-1]["skipped_files"])


def test_a_cell_that_burns_cpu_and_ignores_interrupts_is_stopped(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_CPU_SECONDS", "2")
    cells = run_cells(["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                       "print('next cell')"], course / "autograded" / "eve" / "a1")
    assert error(cells[0])[0] == "CPUTimeLimit"
    assert "next cell" in text(cells[1])


def test_a_kernel_that_runs_too_long_is_stopped(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_WALL_SECONDS", "3")
    with pytest.raises(DeadKernelError):
        run_cells(["import time\ntime.sleep(30)"], course / "autograded" / "eve" / "a1")
    assert records(course)[-1]["wall_time_limit"] is True


def test_a_flood_of_output_is_cut(course, monkeypatch):
    monkeypatch.setenv("SYSLEAD_SANDBOX_OUTPUT_MB", "1")
    cells = run_cells(["for i in range(300_000):\n    print('x' * 10)",
                       "from IPython.display import HTML, display\nfor i in range(30):\n"
                       "    display(HTML('<b>y</b>' * 10_000))", "print('after')"],
                      course / "autograded" / "eve" / "a1")
    for cell in cells[:2]:
        assert "output was cut" in text(cell)
        assert len(json.dumps(cell.outputs)) < 1.3e6
    assert text(cells[2]) == "after\n"


@root_only
def test_the_kernel_cannot_read_the_gradebook_or_other_submissions_or_write_the_course(course):
    cells = run_cells([
        f"open({str(course / 'gradebook.db')!r}, 'rb').read()",
        f"open({str(course / 'submitted' / 'bob' / 'a1' / 'a1.ipynb')!r}).read()",
        f"import os; print(os.listdir({str(course)!r}))",
        f"open({str(course / 'planted.py')!r}, 'w').write('x')",
        "import os; print(os.getuid())",
    ], course / "autograded" / "eve" / "a1")
    assert error(cells[0])[0] == "FileNotFoundError"
    assert error(cells[1])[0] == "FileNotFoundError"
    # the course folder is gone (here it lives under /tmp, replaced by an empty tmpfs) or empty and read-only
    assert text(cells[2]).strip() == "[]" or error(cells[2])[0] == "FileNotFoundError"
    assert error(cells[3])[0] in ("FileNotFoundError", "OSError", "PermissionError")
    assert not (course / "planted.py").exists()
    assert int(text(cells[4])) != 0
    everything = json.dumps([c.outputs for c in cells])
    assert "GRADEBOOK-SECRET" not in everything and "BOB-SECRET-ANSWER" not in everything
    # the same cells without the sandbox do read them: the test can fail
    plain = run_cells([f"print(open({str(course / 'gradebook.db')!r}, 'rb').read())"], course, kernel="python3")
    assert "GRADEBOOK-SECRET" in text(plain[0])


@root_only
def test_the_kernel_cannot_signal_the_grader(course):
    cells = run_cells(["import os\nos.kill(os.getppid(), 0)", f"import os\nos.kill({os.getpid()}, 0)"],
                      course / "autograded" / "eve" / "a1")
    assert error(cells[0])[0] == "PermissionError"
    assert error(cells[1])[0] == "PermissionError"


def test_the_network_is_unreachable(course):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    probe = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5).close()\nprint('connected')"
    cells = run_cells([probe, "import socket\nsocket.getaddrinfo('pypi.org', 443)", "print('alive')"],
                      course / "autograded" / "eve" / "a1")
    assert error(cells[0]) == ("OSError", f"[Errno {errno.ENETUNREACH}] Network is unreachable")
    assert error(cells[1]) is not None
    assert "alive" in text(cells[2])
    assert not accepted
    # the same probe from an ordinary kernel connects: the test can fail
    plain = run_cells([probe], course, kernel="python3")
    assert "connected" in text(plain[0])
    server.close()


def test_secrets_in_the_graders_environment_do_not_reach_the_kernel(course, monkeypatch):
    monkeypatch.setenv("DATABASE_PASSWORD", "hunter2")
    cells = run_cells(["import os; print(os.environ.get('DATABASE_PASSWORD'), os.environ.get('HOME'))"],
                      course / "autograded" / "eve" / "a1")
    assert text(cells[0]).split()[0] == "None"
    assert "/root" not in text(cells[0])


def test_describe_says_plainly_what_is_and_is_not_protected():
    rows = dict(sandbox.describe(sandbox.load_settings(environ={})))
    assert set(rows) >= {"CPU time", "memory", "processes", "file size", "network", "user"}
    if not AS_ROOT:
        assert "CAN read the gradebook" in rows["user"]
    rows = dict(sandbox.describe(sandbox.load_settings(environ={"SYSLEAD_SANDBOX_USER": "same"})))
    assert "CAN read the gradebook" in rows["user"]


def test_bad_settings_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="SYSLEAD_SANDBOX_USER must be"):
        sandbox.load_settings(environ={"SYSLEAD_SANDBOX_USER": "nobody"})


# --- the same grades with and without the sandbox -------------------------------------------------------


def test_a_normal_notebook_grades_the_same_under_the_sandbox(tmp_path, kernel_prefix):
    """The course's reading 1, answered in full by ada and left blank by bo, autograded by nbgrader with
    its default kernel and again with --Execute.kernel_name=syslead-sandbox: the same scores and outputs."""
    import shutil

    from conftest import ROOT
    from test_nbgrader import COMPLETE_REFLECTION, answer_notebook, solutions

    name = "01-systems-leadership"
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / name, course / "source" / name)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader("generate_assignment", name, "--force", cwd=course)
    for learner, answers in (("ada", solutions(name)), ("bo", {})):
        folder = course / "submitted" / learner / name
        folder.mkdir(parents=True)
        shutil.copy2(course / "release" / name / f"{name}.ipynb", folder / f"{name}.ipynb")
        answer_notebook(folder / f"{name}.ipynb", answers, COMPLETE_REFLECTION if answers else None)

    def grade(*extra: str) -> tuple[dict, dict]:
        nbgrader("autograde", name, "--force", *extra, cwd=course,
                 JUPYTER_PATH=str(kernel_prefix / "share" / "jupyter"))
        nbgrader("export", "--to", str(tmp_path / "grades.csv"), cwd=course)
        with open(tmp_path / "grades.csv", newline="") as f:
            scores = {r["student_id"]: r["raw_score"] for r in csv.DictReader(f)}
        outputs = {}
        for learner in ("ada", "bo"):
            nb = nbformat.read(str(course / "autograded" / learner / name / f"{name}.ipynb"), as_version=4)
            outputs[learner] = [[(o.output_type, o.get("text"), o.get("ename"), o.get("evalue"),
                                  sorted(o.get("data", {}))) for o in c.get("outputs", [])] for c in nb.cells]
        return scores, outputs

    plain_scores, plain_outputs = grade()
    boxed_scores, boxed_outputs = grade(f"--Execute.kernel_name={sandbox.KERNEL_NAME}")
    assert float(plain_scores["ada"]) > 0
    assert boxed_scores == plain_scores
    assert boxed_outputs == plain_outputs
    assert len(records(course)) == 2  # both sandboxed kernels left a record; the plain ones did not
