"""The grading sandbox (syslead.grading.sandbox, bubblewrap): what a learner's kernel can and cannot do,
for a tutor who is root and for one who is not (a real account made for the test, tests/tutorharness.py).

Every test starts a real kernel through the installed kernelspec, as nbgrader does (nbclient, in a process
of its own running as that tutor). Limits are set low through SYSLEAD_SANDBOX_* variables so that each test
takes seconds; the 20 GB allocation is real (the memory limit stops it before a page is touched). Where a
test shows that something is hidden or unreachable, the same probe from an ordinary kernel succeeds, so the
test can fail.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import psutil
import pytest
from conftest import nbgrader
from tutorharness import AS_ROOT, WHO, Tutor, run_cells_as

from syslead.grading import sandbox

pytestmark = pytest.mark.slow

BOB_SECRET = "BOB-SECRET-ANSWER"
SOLUTION_SECRET = "SOLUTION-SECRET-42"


@pytest.fixture(scope="module")
def tutor():
    """The tutor's account; the root half runs even when the tutor cannot use this checkout (``who`` skips
    only the tutor's half then, and under CI=true a skipped security test fails: tests/conftest.py)."""
    t = Tutor()
    yield t
    t.remove()


@pytest.fixture(scope="module")
def prefixes(tutor):
    """The kernelspec, installed once by each kind of tutor with their own Python: who -> JUPYTER_PATH."""
    out = {}
    if AS_ROOT:
        sandbox.install_kernel(str(tutor.base / "kernels-root"))
        out["root"] = str(tutor.base / "kernels-root" / "share" / "jupyter")
    if tutor.problem():
        return out
    folder = tutor.folder(tutor.base / "kernels-tutor")
    proc = tutor.run(str(tutor.python), "-c", f"from syslead.grading import sandbox; sandbox.install_kernel({str(folder)!r})")
    assert proc.returncode == 0, proc.stderr
    out["tutor"] = str(folder / "share" / "jupyter")
    return out


@pytest.fixture(params=WHO)
def who(request, tutor):
    if request.param == "tutor" and tutor.problem():
        pytest.skip(tutor.problem())
    return request.param


@pytest.fixture
def course(who, tutor, request):
    """A small course: a gradebook, a source notebook with its solution, another learner's submission, the
    tutor's SSH key, and eve's folder being graded."""
    root = tutor.base / f"course-{who}-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    (root / "submitted" / "bob" / "a1").mkdir(parents=True)
    (root / "autograded" / "eve" / "a1").mkdir(parents=True)
    (root / "source" / "a1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00 GRADEBOOK-SECRET")
    (root / "source" / "a1" / "a1.ipynb").write_text(json.dumps({"solution": SOLUTION_SECRET}))
    (root / "submitted" / "bob" / "a1" / "a1.ipynb").write_text(json.dumps({"answer": BOB_SECRET}))
    (root / "autograded" / "eve" / "a1" / "data.txt").write_text("eve's data\n")
    if who == "tutor":
        tutor.folder(root)
    yield root


def home_of(who: str, tutor: Tutor) -> Path:
    import pwd

    return Path(pwd.getpwnam("root" if who == "root" else tutor.name).pw_dir)


def run(who, tutor, prefixes, cells, course, kernel=sandbox.KERNEL_NAME, timeout=60, **env):
    env = {"JUPYTER_PATH": prefixes[who], **{k: str(v) for k, v in env.items()}}
    return run_cells_as(who, tutor, cells, course / "autograded" / "eve" / "a1", env, kernel, timeout)


def text(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


def error(outputs) -> tuple[str, str] | None:
    found = [(o["ename"], o["evalue"]) for o in outputs if o["output_type"] == "error"]
    return found[0] if found else None


def records(course) -> list[dict]:
    paths = sorted(glob.glob(str(course / ".syslead" / "sandbox-runs" / "*.json")), key=os.path.getmtime)
    return [json.loads(open(p).read()) for p in paths]


def test_the_kernelspec_names_the_sandbox_provisioner(tutor, prefixes):
    spec = json.loads(Path(prefixes[WHO[0]], "kernels", sandbox.KERNEL_NAME, "kernel.json").read_text())
    assert spec["argv"][1:5] == ["-I", "-m", "syslead.grading.sandbox", "kernel"]
    assert spec["metadata"]["kernel_provisioner"]["provisioner_name"] == sandbox.KERNEL_NAME
    from importlib.metadata import entry_points

    [ep] = entry_points(group="jupyter_client.kernel_provisioners", name=sandbox.KERNEL_NAME)
    assert ep.load() is sandbox.SandboxProvisioner


def test_the_kernel_works_in_a_private_copy_of_its_own_submission(who, tutor, prefixes, course):
    got = run(who, tutor, prefixes, ["import os; print(sorted(os.listdir('.'))); print(open('data.txt').read())",
                                     "open('made-by-learner.txt', 'w').write('x'); print(os.getcwd())",
                                     "import matplotlib.pyplot as plt; plt.plot([1, 2]); plt.show()"], course)
    cells = got["cells"]
    assert "['data.txt']" in text(cells[0]) and "eve's data" in text(cells[0])
    assert error(cells[1]) is None and str(course) not in text(cells[1])
    assert any("image/png" in o.get("data", {}) for o in cells[2])
    assert not (course / "autograded" / "eve" / "a1" / "made-by-learner.txt").exists()
    [record] = records(course)
    assert record["submission"] == os.path.join("autograded", "eve", "a1")
    assert "exit_code" in record and record["events"] == []  # an honest notebook: nothing to report


def test_the_kernel_sees_nothing_of_the_course_the_tutor_or_other_learners(who, tutor, prefixes, course):
    key = home_of(who, tutor) / ".ssh" / "id_slsbx_test"
    key.parent.mkdir(exist_ok=True)
    key.write_text("TUTOR-SSH-KEY")
    if who == "tutor":
        tutor.folder(key.parent)
    probes = [f"open({str(course / 'gradebook.db')!r}, 'rb').read()",
              f"open({str(course / 'submitted' / 'bob' / 'a1' / 'a1.ipynb')!r}).read()",
              f"open({str(course / 'source' / 'a1' / 'a1.ipynb')!r}).read()",
              f"open({str(key)!r}).read()",
              f"import os; os.listdir({str(course)!r})",
              f"open({str(course / 'planted.py')!r}, 'w').write('x')",
              f"open({str(home_of(who, tutor) / '.bashrc')!r}, 'a').write('planted')"]
    try:
        boxed = run(who, tutor, prefixes, [*probes, "import os; print(sorted(os.listdir('/')))"], course)["cells"]
        for cell in boxed[:-1]:
            assert error(cell) is not None and error(cell)[0] in ("FileNotFoundError", "PermissionError", "OSError")
        assert "'root'" not in text(boxed[-1]) or who == "root"  # only the folders it needs
        everything = json.dumps(boxed)
        for secret in ("GRADEBOOK-SECRET", BOB_SECRET, SOLUTION_SECRET, "TUTOR-SSH-KEY"):
            assert secret not in everything
        assert not (course / "planted.py").exists()
        bashrc = home_of(who, tutor) / ".bashrc"
        assert "planted" not in (bashrc.read_text() if bashrc.exists() else "")
        # the report names what was tried
        tried = {e["detail"] for e in records(course)[-1]["events"] if e["kind"] == "file"}
        assert {str(course / "gradebook.db"), str(key), str(course / "source" / "a1" / "a1.ipynb")} <= tried
        # the same probes in an ordinary kernel do read them: the test can fail
        plain = run(who, tutor, prefixes, [f"print(open({str(key)!r}).read())",
                                           f"print(open({str(course / 'source' / 'a1' / 'a1.ipynb')!r}).read())"],
                    course, kernel="python3")["cells"]
        assert "TUTOR-SSH-KEY" in text(plain[0]) and SOLUTION_SECRET in text(plain[1])
    finally:
        key.unlink()


def test_no_tcp_and_no_abstract_unix_socket_reaches_the_host(who, tutor, prefixes, course):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX)
    name = f"\0slsbx-{os.getpid()}"
    abstract.bind(name)
    abstract.listen()
    accepted = []
    for s in (server, abstract):
        threading.Thread(target=lambda s=s: accepted.append(s.accept()), daemon=True).start()
    tcp = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5).close()\nprint('connected')"
    unix = (f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(5)\ns.connect({name!r})\n"
            "print('connected')")
    try:
        cells = run(who, tutor, prefixes, [tcp, unix, "import socket\nsocket.getaddrinfo('pypi.org', 443)",
                                           "print('alive')"], course)["cells"]
        assert error(cells[0])[0] in ("ConnectionRefusedError", "OSError")
        assert error(cells[1])[0] in ("ConnectionRefusedError", "FileNotFoundError", "OSError")
        assert error(cells[2]) is not None
        assert "alive" in text(cells[3])
        assert not accepted
        kinds = {e["kind"] for e in records(course)[-1]["events"]}
        assert {"network", "abstract socket"} <= kinds
        # the same probes from an ordinary kernel connect: the test can fail
        plain = run(who, tutor, prefixes, [tcp, unix], course, kernel="python3")["cells"]
        assert "connected" in text(plain[0]) and "connected" in text(plain[1])
    finally:
        server.close()
        abstract.close()


def test_no_other_process_is_visible_and_every_process_dies_with_the_kernel(who, tutor, prefixes, course):
    marker = f"{os.getpid()}{len(who)}7"
    bomb = ("import subprocess\nstarted = []\ntry:\n    for _ in range(1000):\n"
            f"        started.append(subprocess.Popen(['sleep', '{marker}']))\nfinally:\n    print('started', len(started))")
    # daemons in sessions of their own whose parent exits at once: no one inside can find them
    daemons = ("import subprocess, sys\nsubprocess.run([sys.executable, '-c', \"import subprocess; [subprocess.Popen("
               f"['sleep', '{marker}'], start_new_session=True) for _ in range(5)]\"])")
    others = f"import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))\nos.kill({os.getpid()}, 0)"
    # with the process limit used up (threads count too), a message over 64 KB (a chart) still arrives whole
    big = "print('big', 'x' * 200_000)"
    cells = run(who, tutor, prefixes, [daemons, bomb, big, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
                                       others, "print('still here')"], course, SYSLEAD_SANDBOX_PROCESSES=40)["cells"]
    assert error(cells[0]) is None
    assert error(cells[1])[0] == "BlockingIOError"
    assert 0 < int(text(cells[1]).split()[-1]) < 40
    assert text(cells[2]).count("x") == 200_000
    assert error(cells[4])[0] == "ProcessLookupError"  # the grader is not in its PID namespace
    assert "still here" in text(cells[5])
    left = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", marker]]
    assert left == []  # by design: the PID namespace died with the kernel
    record = records(course)[-1]
    assert record["processes_at_end"] >= 5
    assert {"signal"} <= {e["kind"] for e in record["events"]}


def test_allocating_20_gb_fails_cleanly_and_the_kernel_carries_on(who, tutor, prefixes, course):
    cells = run(who, tutor, prefixes, ["x = bytearray(20 * 1024**3)", "import numpy\nprint(numpy.ones(10**6).sum())"],
                course, SYSLEAD_SANDBOX_MEMORY_MB=2048)["cells"]
    assert error(cells[0])[0] == "MemoryError"
    assert "1000000.0" in text(cells[1])


def test_big_files_links_and_fifos_are_left_out_and_a_big_write_is_stopped(who, tutor, prefixes, course):
    folder = course / "autograded" / "eve" / "a1"
    with open(folder / "huge.bin", "wb") as f:
        f.truncate(20 << 20)  # 20 MB, sparse
    os.symlink(course / "gradebook.db", folder / "link.db")
    os.mkfifo(folder / "pipe")
    cells = run(who, tutor, prefixes, ["import os; print(sorted(os.listdir('.')))",
                                       "with open('out.bin', 'wb') as f:\n    f.write(b'x' * (32 << 20))"],
                course, SYSLEAD_SANDBOX_FILE_SIZE_MB=8)["cells"]
    assert text(cells[0]).strip() == "['data.txt']"
    assert error(cells[1]) == ("OSError", "[Errno 27] File too large")
    notes = " ".join(records(course)[-1]["skipped_files"])
    assert "huge.bin" in notes and "link.db" in notes and "pipe" in notes


def test_a_cell_that_burns_cpu_and_ignores_interrupts_is_stopped(who, tutor, prefixes, course):
    cells = run(who, tutor, prefixes, ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                                       "print('next cell')"], course, SYSLEAD_SANDBOX_CPU_SECONDS=2)["cells"]
    assert error(cells[0])[0] == "CPUTimeLimit"
    assert "next cell" in text(cells[1])


def test_an_endless_cell_is_interrupted_at_the_time_limit(who, tutor, prefixes, course):
    cells = run(who, tutor, prefixes, ["import time\nwhile True:\n    time.sleep(0.1)", "print('next cell')"], course,
                timeout=3)["cells"]
    assert error(cells[0])[0] == "KeyboardInterrupt"  # nbclient's interrupt reaches the kernel (as a message)
    assert "next cell" in text(cells[1])


def test_a_kernel_that_runs_too_long_is_stopped(who, tutor, prefixes, course):
    got = run(who, tutor, prefixes, ["import time\ntime.sleep(30)"], course, SYSLEAD_SANDBOX_WALL_SECONDS=3)
    assert got["dead"]
    assert records(course)[-1]["wall_time_limit"] is True


def test_a_flood_of_output_is_cut(who, tutor, prefixes, course):
    cells = run(who, tutor, prefixes, ["for i in range(300_000):\n    print('x' * 10)",
                                       "from IPython.display import HTML, display\nfor i in range(30):\n"
                                       "    display(HTML('<b>y</b>' * 10_000))", "print('after')"], course,
                SYSLEAD_SANDBOX_OUTPUT_MB=1)["cells"]
    for cell in cells[:2]:
        assert "output was cut" in text(cell)
        assert len(json.dumps(cell)) < 1.3e6
    assert text(cells[2]) == "after\n"


def test_secrets_in_the_graders_environment_do_not_reach_the_kernel(who, tutor, prefixes, course):
    cells = run(who, tutor, prefixes, ["import os; print(os.environ.get('DATABASE_PASSWORD'), os.environ['HOME'])"],
                course, DATABASE_PASSWORD="hunter2")["cells"]
    assert text(cells[0]).split() == ["None", sandbox.HOME]


def test_without_namespaces_grading_is_refused_with_one_sentence(tutor):
    """In a sandbox that may create no user namespace (bwrap --disable-userns), as a tutor who is not root:
    syslead sandbox check says why and how to fix it, without a traceback."""
    bwrap = sandbox.bwrap_path()
    syslead = Path(sys.executable).parent / "syslead"
    cmd = [bwrap, "--unshare-user", "--uid", "1000", "--disable-userns", "--ro-bind", "/", "/", "--dev", "/dev",
           "--proc", "/proc", "--tmpfs", "/tmp", str(syslead), "sandbox", "check"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "The grading sandbox cannot start on this machine" in proc.stdout
    assert "--unsafe-no-sandbox" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert sandbox.unavailable() is None  # here, outside, it can


def test_describe_says_plainly_what_is_protected():
    rows = dict(sandbox.describe(sandbox.load_settings(environ={})))
    assert set(rows) >= {"files", "network", "processes", "user", "CPU time", "memory", "file size"}
    assert "no TCP" in rows["network"]


def test_bad_settings_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="must be a whole number"):
        sandbox.load_settings(environ={"SYSLEAD_SANDBOX_MEMORY_MB": "lots"})


# --- the same grades with and without the sandbox -------------------------------------------------------


def test_a_normal_notebook_grades_the_same_under_the_sandbox(tmp_path, tutor, prefixes):
    """The course's reading 1, answered in full by ada and left blank by bo, autograded by plain nbgrader
    with its default kernel (asked for) and again as the course's nbgrader_config.py says, in the sandbox: the
    same scores and outputs."""
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
        nbgrader("autograde", name, "--force", *extra, cwd=course, JUPYTER_PATH=prefixes[WHO[0]])
        nbgrader("export", "--to", str(tmp_path / "grades.csv"), cwd=course)
        with open(tmp_path / "grades.csv", newline="") as f:
            scores = {r["student_id"]: r["raw_score"] for r in csv.DictReader(f)}
        outputs = {}
        for learner in ("ada", "bo"):
            nb = nbformat.read(str(course / "autograded" / learner / name / f"{name}.ipynb"), as_version=4)
            outputs[learner] = [[(o.output_type, o.get("text"), o.get("ename"), o.get("evalue"),
                                  sorted(o.get("data", {}))) for o in c.get("outputs", [])] for c in nb.cells]
        return scores, outputs

    plain_scores, plain_outputs = grade("--Execute.kernel_name=")  # the one way out of the sandbox: asked for
    assert records(course) == []
    boxed_scores, boxed_outputs = grade()  # plain `nbgrader autograde` in the course folder: the pipeline's sandbox
    assert float(plain_scores["ada"]) > 0
    assert boxed_scores == plain_scores
    assert boxed_outputs == plain_outputs
    assert len(records(course)) == 2  # both sandboxed kernels left a record; the unsandboxed ones did not


# --- issue 23: what the sandbox bounds outside the learner's own process -----------------------------------


def test_the_sandboxs_first_process_holds_none_of_the_graders_secrets(who, tutor, prefixes, course):
    """bwrap is the sandbox's process 1; as a tutor who is not root the kernel may read its environment."""
    cells = run(who, tutor, prefixes, [
        "try:\n    print('ENV1', open('/proc/1/environ', 'rb').read().decode(errors='replace'))\n"
        "except OSError as e:\n    print('ENV1 unreadable', e.errno)",
        "import os\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n        try:\n"
        "            print('ENV', pid, open(f'/proc/{pid}/environ', 'rb').read().decode(errors='replace'))\n"
        "        except OSError:\n            pass"], course, HUB_API_TOKEN="TOKEN-HUNTER2")["cells"]
    assert "ENV1" in text(cells[0])
    assert "TOKEN-HUNTER2" not in text(cells[0]) + text(cells[1])


def test_home_tmp_and_dev_shm_are_size_capped_and_dev_is_read_only(who, tutor, prefixes, course):
    fill = ("import os\nwritten = 0\ntry:\n    with open({path!r}, 'wb') as f:\n        for _ in range(200):\n"
            "            f.write(b'x' * (1 << 20)); f.flush(); written += 1\nexcept OSError as e:\n    print('stopped', e.errno)\n"
            "print('MB', written)")
    cells = run(who, tutor, prefixes, [
        fill.format(path="/home/learner/fill-1"),
        fill.format(path="/dev/shm/fill"),
        "try:\n    open('/dev/planted', 'w')\nexcept OSError as e:\n    print('dev', e.errno)"],
        course, SYSLEAD_SANDBOX_HOME_MB=24, SYSLEAD_SANDBOX_SHM_MB=4, SYSLEAD_SANDBOX_FILE_SIZE_MB=500)["cells"]
    assert "stopped 28" in text(cells[0]) and int(text(cells[0]).split()[-1]) <= 24, text(cells[0])  # ENOSPC
    assert "stopped 28" in text(cells[1]) and int(text(cells[1]).split()[-1]) <= 4, text(cells[1])
    assert "dev 30" in text(cells[2])  # EROFS


def test_the_notebook_being_graded_is_not_in_the_sandbox(who, tutor, prefixes, course):
    """nbgrader writes the notebook it grades (with the restored checks and hidden tests) into the folder
    the kernel starts in; the kernel is sent the cells and never gets the file."""
    graded = course / "autograded" / "eve" / "a1" / "a1.ipynb"
    graded.write_text(json.dumps({"hidden": "HIDDEN-TEST-SECRET"}))
    if who == "tutor":
        tutor.folder(course)
    cells = run(who, tutor, prefixes, [
        "import os\nfor here, dirs, files in os.walk('/'):\n    if here.startswith(('/proc', '/sys', '/usr')):\n"
        "        dirs[:] = []\n        continue\n    for f in files:\n        if f.endswith('.ipynb'):\n"
        "            print('FOUND', os.path.join(here, f), open(os.path.join(here, f), errors='replace').read()[:200])"],
        course)["cells"]
    found = [line for line in text(cells[0]).splitlines() if line.startswith("FOUND ")]
    assert "HIDDEN-TEST-SECRET" not in text(cells[0])
    assert not [f for f in found if "site-packages" not in f.split()[1]], found  # (libraries ship example notebooks)


def test_memory_is_bounded_for_the_whole_sandbox_not_per_process(who, tutor, prefixes, course):
    """Three processes of 400 MB each (each under the per-process limit) against a sandbox limit of 900 MB:
    a cgroup (where the grader may make one) or the grader's own watch stops them; the record says which."""
    got = run(who, tutor, prefixes, [
        "import subprocess, sys\ncode = \"b = bytearray(400 << 20)\\nb[::4096] = b'x' * len(b[::4096])\\n"
        "import time; time.sleep(6)\"\nprocs = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(3)]\n"
        "print('codes', [p.wait() for p in procs])"], course, timeout=60, SYSLEAD_SANDBOX_MEMORY_MB=900)
    record = records(course)[-1]
    assert "memory_bound" in record, record
    if "cgroup" in record["memory_bound"]:
        codes = text(got["cells"][0])
        assert got["dead"] or "-9" in codes, codes  # the out-of-memory killer stopped at least one
    else:
        assert record.get("memory_limit") is True and got["dead"], record
