"""A resource-limited Python kernel for grading learners' notebooks (``syslead-sandbox``).

nbgrader runs a learner's code with the tutor's rights. This module ships a Jupyter kernelspec whose
launcher puts limits around the kernel before any learner code runs, so that one hostile or broken
submission cannot take the grader, the gradebook or the other learners down with it:

- **CPU time** (``RLIMIT_CPU``): past the limit the running cell fails with ``CPUTimeLimit``; a few
  seconds later the kernel is stopped for good (a cell that ignores the first signal).
- **memory** (``RLIMIT_AS``): an allocation past the limit raises ``MemoryError`` in that cell.
- **processes** (``RLIMIT_NPROC``): forking past the limit fails with ``BlockingIOError``; every process
  the kernel started is killed when it ends.
- **file size** (``RLIMIT_FSIZE``): writing past the limit fails with ``OSError: File too large``.
- **output**: a cell's printed and displayed output is cut after a few megabytes, with one line that says so.
- **a private working directory**: the kernel starts in a fresh copy of that one submission's folder, not
  in the course; nothing it writes there reaches the course.
- **no network**: a seccomp filter refuses to create internet sockets (``OSError: [Errno 101] Network is
  unreachable``); Unix sockets still work. Needs Linux on x86-64 or arm64.
- **as root only**: the kernel runs as an unprivileged user of its own (``syslead-grader-N``, created with
  ``useradd``), in a private mount namespace in which the course folder, the exchange, ``/home``, ``/root``
  and the temporary folders are replaced by empty ones (so it cannot read the gradebook or any other
  submission, nor write into the course), and it cannot signal the grader (``PermissionError``).

When the grader does not run as root, the limits, the private working directory, the output cut and the
network block still apply, but the kernel runs as the tutor's own user: it can read whatever the tutor
can read, including the gradebook, and it can signal the tutor's processes. ``describe()`` and
``docs/grading-safely.md`` say so plainly; container isolation is the step up.

Use::

    syslead sandbox install            # the kernelspec, into this Python's prefix (and the users, as root)
    syslead sandbox check              # what the sandbox can do on this machine
    nbgrader autograde ASSIGNMENT --Execute.kernel_name=syslead-sandbox

Limits come from ``sandbox.json`` beside ``kernel.json`` (written by ``install``) and can be overridden by
environment variables of the grading process (``SYSLEAD_SANDBOX_CPU_SECONDS``, ``..._MEMORY_MB``,
``..._PROCESSES``, ``..._FILE_SIZE_MB``, ``..._DISK_MB``, ``..._OUTPUT_MB``, ``..._USER`` (``auto`` or
``same``), ``..._NETWORK`` (``block`` or ``allow``), ``..._HIDE`` (extra folders to hide, separated by
``:``)). Each kernel run leaves a record (``.syslead/sandbox-runs/*.json`` in the course root, or in
``SYSLEAD_SANDBOX_LOG``) that :mod:`syslead.grading.hostile`'s report reads.

This file is also the launcher itself (``python -I -m syslead.grading.sandbox launch -f CONNECTION_FILE``): it
imports nothing heavy and nothing from the submission's folder.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import resource
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time

KERNEL_NAME = "syslead-sandbox"
DISPLAY_NAME = "Python 3 (grading sandbox)"
USER_PREFIX = "syslead-grader-"
STATE_DIR = "/run/syslead-sandbox"
RUNS_FOLDER = os.path.join(".syslead", "sandbox-runs")

#: The limits and switches, with their defaults. Each can be set in sandbox.json or by an environment
#: variable SYSLEAD_SANDBOX_<NAME upper-cased>.
DEFAULTS: dict[str, object] = {
    "cpu_seconds": 300,  # CPU time of the whole kernel (all cells of one notebook)
    "memory_mb": 4096,  # address space of each kernel process
    "processes": 128,  # processes and threads of the grading user (of the tutor, on top of theirs, if not root)
    "file_size_mb": 100,  # largest file the kernel may write; also the largest submitted file copied in
    "disk_mb": 1024,  # as root: the private working folder and home are a tmpfs of this size
    "output_mb": 8,  # printed and displayed output kept per cell
    "user": "auto",  # auto: a grading user of its own when root; same: never switch user
    "network": "block",  # block or allow
    "wall_seconds": 900,  # wall-clock time of the whole kernel; then it is stopped (the submission fails)
    "slots": 8,  # as root: how many grading users (kernels that can run at once)
    "hide": "",  # extra folders (or files) to hide from the kernel, separated by os.pathsep
}

#: Environment variables passed on to the kernel (everything else, secrets included, is dropped).
ENV_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
            "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION", "SOURCE_DATE_EPOCH"}
ENV_KEEP_PREFIXES = ("LC_", "OPENBLAS_", "OMP_", "MKL_", "NUMEXPR_", "NBGRADER_")

# Linux constants (not all are in the os module of Python 3.11)
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


# --- settings ----------------------------------------------------------------------------------------


def kernelspec_dir(prefix: str | None = None) -> str:
    return os.path.join(prefix or sys.prefix, "share", "jupyter", "kernels", KERNEL_NAME)


def load_settings(config_path: str | None = None, environ: dict | None = None) -> dict:
    """The settings in force: defaults, then sandbox.json, then SYSLEAD_SANDBOX_* variables."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    if config_path and os.path.isfile(config_path):
        with open(config_path, encoding="utf-8") as f:
            settings.update({k: v for k, v in json.load(f).items() if k in DEFAULTS})
    for key, default in DEFAULTS.items():
        value = environ.get(f"SYSLEAD_SANDBOX_{key.upper()}")
        if value is None or value == "":
            continue
        settings[key] = type(default)(value) if isinstance(default, int) else value
    if settings["user"] not in ("auto", "same"):
        raise ValueError(f"SYSLEAD_SANDBOX_USER must be 'auto' or 'same', not {settings['user']!r}.")
    if settings["network"] not in ("block", "allow"):
        raise ValueError(f"SYSLEAD_SANDBOX_NETWORK must be 'block' or 'allow', not {settings['network']!r}.")
    return settings


def install_kernel(prefix: str | None = None, settings: dict | None = None, users: bool = True) -> str:
    """Write the kernelspec (``kernel.json`` and ``sandbox.json``) under ``PREFIX/share/jupyter/kernels``;
    as root, also create the grading users. Returns the kernelspec folder. Idempotent."""
    folder = kernelspec_dir(prefix)
    os.makedirs(folder, exist_ok=True)
    config = os.path.join(folder, "sandbox.json")
    spec = {
        "argv": [sys.executable, "-I", "-m", "syslead.grading.sandbox", "launch", "--config", config,
                 "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False, "syslead": "resource-limited grading kernel; see syslead.grading.sandbox"},
    }
    chosen = {k: v for k, v in (settings or {}).items() if k in DEFAULTS}
    _write_json(os.path.join(folder, "kernel.json"), spec)
    _write_json(config, {**DEFAULTS, **chosen})
    if users and os.geteuid() == 0:
        for slot in range(int({**DEFAULTS, **chosen}["slots"])):
            ensure_user(slot)
    _warm_font_cache()
    return folder


def _write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _warm_font_cache() -> None:
    """Build matplotlib's font list once, so that each sandboxed kernel can start from a copy of it."""
    if not _font_caches():
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                       timeout=300, check=False)


def _font_caches() -> list[str]:
    home = os.path.expanduser("~")
    folders = [os.environ.get("MPLCONFIGDIR", ""),
               os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "matplotlib"),
               os.path.join(home, ".matplotlib")]
    found = []
    for folder in filter(None, folders):
        if os.path.isdir(folder):
            found += [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("fontlist-")]
    return found


# --- users and slots (root only) --------------------------------------------------------------------


def user_name(slot: int) -> str:
    return f"{USER_PREFIX}{slot + 1}"


def ensure_user(slot: int) -> tuple[int, int]:
    """The (uid, gid) of grading user ``slot``, created as a system user without a home or shell if
    missing."""
    import pwd

    name = user_name(slot)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        with open(os.path.join(_state_dir(), "useradd.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                                "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment",
                                "syslead grading sandbox", name], check=True, capture_output=True, text=True)
                entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _state_dir() -> str:
    os.makedirs(os.path.join(STATE_DIR, "locks"), mode=0o711, exist_ok=True)
    os.chmod(STATE_DIR, 0o711)
    return STATE_DIR


def acquire_slot(slots: int, wait_seconds: float = 600.0) -> tuple[int, int]:
    """Take a free grading slot: returns (slot, locked file descriptor). Waits while all are busy."""
    locks = os.path.join(_state_dir(), "locks")
    deadline = time.monotonic() + wait_seconds
    while True:
        for slot in range(slots):
            fd = os.open(os.path.join(locks, f"slot-{slot + 1}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return slot, fd
            except BlockingIOError:
                os.close(fd)
        if time.monotonic() > deadline:
            raise TimeoutError(f"all {slots} grading slots stayed busy for {wait_seconds:.0f} s")
        time.sleep(0.1)


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real user id is ``uid``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="ascii", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if int(fields.get("Uid", "-1 0").split()[0]) == uid:
            found.append(int(name))
    return found


def kill_user_processes(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process of ``uid`` (a grading user) until none is left; returns how many."""
    killed: set[int] = set()
    for _ in range(rounds):
        pids = processes_of(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        _reap()
        time.sleep(0.02)
    return len(killed)


def children_of(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        state, ppid = text.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(name))
    return found


def kill_descendants(rounds: int = 50) -> int:
    """As a child subreaper: SIGKILL every process below this one (orphans come back to us)."""
    killed: set[int] = set()
    for _ in range(rounds):
        _reap()
        pids = children_of(os.getpid())
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    _reap()
    return len(killed)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --- what the kernel can see ---------------------------------------------------------------------------


def find_course_root(start: str) -> str | None:
    """The course root above ``start`` (the first folder with nbgrader_config.py), not counting ``start``
    itself, which holds the learner's own files."""
    env = os.environ.get("SYSLEAD_COURSE_ROOT")
    if env:
        return os.path.realpath(env)
    folder = os.path.dirname(os.path.realpath(start))
    while True:
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def needed_paths() -> list[str]:
    """What the kernel must still see: Python, its libraries and the course package."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             os.path.dirname(sys.executable)}
    for entry in sys.path:
        if entry and os.path.exists(entry) and ("site-packages" in entry or "dist-packages" in entry
                                                or entry.startswith((sys.base_prefix, sys.prefix))):
            paths.add(entry)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the syslead package
    paths.add(here)
    paths.add(os.path.join(os.path.dirname(here), "data"))  # the repository's data folder (editable install)
    return _outermost([os.path.realpath(p) for p in paths if p and os.path.exists(p)])


def hidden_roots(settings: dict, course_root: str | None, submission: str) -> list[str]:
    roots = ["/home", "/root", "/srv", "/run", *SCRATCH]
    if course_root:
        roots.append(course_root)
    roots.append(os.path.realpath(submission))
    for var in ("SYSLEAD_EXCHANGE",):
        if os.environ.get(var):
            roots.append(os.environ[var])
    roots += [p for p in str(settings.get("hide") or "").split(os.pathsep) if p]
    return [os.path.realpath(r) for r in roots if os.path.lexists(r)]


#: Scratch folders: replaced by an empty, writable tmpfs (or, if Python lives inside, their other entries
#: are hidden).
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _check(_c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _outermost(paths: list[str]) -> list[str]:
    """The paths not inside another one of them."""
    return [p for p in sorted(set(paths)) if not any(q != p and _inside(p, q) for q in paths)]


def hide(path: str, keep: list[str], hidden: list[str], scratch_mb: int = 64) -> None:
    """Cover ``path`` with an empty folder (read-only, or a small writable tmpfs for the scratch folders
    /tmp, /var/tmp, /dev/shm), or with /dev/null for a file, in this process's private mount namespace.
    The paths in ``keep`` below it are mounted back in place (with traversable parent folders), so Python
    and its libraries stay usable even when they live in a folder that is hidden, such as /root."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) or path in keep or any(_inside(path, h) for h in hidden):
        return  # a symlink: mounting on it would hide its target (name the target in SYSLEAD_SANDBOX_HIDE)
    if any(_inside(path, k) for k in keep):
        return  # inside something the kernel needs
    if stat.S_ISREG(st.st_mode):
        _mount("/dev/null", path, None, MS_BIND)
        hidden.append(path)
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    inside = _outermost([k for k in keep if _inside(k, path)])
    handles = [(k, os.open(k, os.O_PATH | os.O_CLOEXEC), os.path.isdir(k)) for k in inside]
    scratch = path in SCRATCH
    try:
        _mount("syslead-hidden", path, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={scratch_mb if scratch else 1}m,mode={'1777' if scratch else '0755'}")
        for k, fd, is_dir in handles:
            rel = os.path.relpath(k, path)
            parent = os.path.join(path, os.path.dirname(rel))
            os.makedirs(parent, mode=0o755, exist_ok=True)
            if is_dir:
                os.makedirs(os.path.join(path, rel), mode=0o755, exist_ok=True)
            else:
                open(os.path.join(path, rel), "a").close()
            _mount(f"/proc/self/fd/{fd}", os.path.join(path, rel), None, MS_BIND | MS_REC)
    finally:
        for _, fd, _ in handles:
            os.close(fd)
    if not scratch:
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    hidden.append(path)


def copy_submission(source: str, dest: str, max_bytes: int, uid: int | None, gid: int | None) -> list[str]:
    """Copy the submission's regular files and folders (no links, no devices) into ``dest``; files larger
    than ``max_bytes`` are left out. Returns a note for each file left out."""
    notes: list[str] = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        rel = os.path.relpath(folder, source)
        target = os.path.normpath(os.path.join(dest, rel))
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints" and not os.path.islink(os.path.join(folder, d))]
        os.makedirs(target, mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(target, uid, gid)
        for name in files:
            src = os.path.join(folder, name)
            shown = os.path.normpath(os.path.join(rel, name))
            try:
                st = os.lstat(src)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                notes.append(f"{shown}: not a regular file, left out")
                continue
            if st.st_size > max_bytes:
                notes.append(f"{shown}: {st.st_size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB file "
                             "limit, left out")
                continue
            try:
                fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
                with os.fdopen(fd, "rb") as fin, open(os.path.join(target, name), "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
            except OSError as error:
                notes.append(f"{shown}: could not be copied ({error.strerror})")
                continue
            if uid is not None:
                os.chown(os.path.join(target, name), uid, gid)
    return notes


# --- the launcher ----------------------------------------------------------------------------------------


def _parse_launch(argv: list[str]) -> tuple[str | None, str, list[str]]:
    config, connection, rest = None, None, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            config, i = argv[i + 1], i + 2
        elif arg == "-f":
            connection, i = argv[i + 1], i + 2
        elif arg.startswith("-f="):
            connection, i = arg[3:], i + 1
        else:
            rest.append(arg)
            i += 1
    if not connection:
        raise SystemExit("syslead-sandbox: no connection file (-f) given")
    return config, connection, rest


def kernel_env(home: str, work: str, launcher_pid: int, settings: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith(ENV_KEEP_PREFIXES)}
    env.update({
        "HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"), "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"), "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "TMPDIR": os.path.join(home, "tmp"), "JPY_PARENT_PID": str(launcher_pid), "PYTHONNOUSERSITE": "1",
        "SYSLEAD_SANDBOX_KERNEL": json.dumps({"work": work, "network": settings["network"],
                                              "output_mb": settings["output_mb"]}),
    })
    env.setdefault("PATH", os.defpath)
    return env


def _set_limits(settings: dict, extra_processes: int = 0) -> None:
    cpu = int(settings["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    mem = int(settings["memory_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    size = int(settings["file_size_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    procs = int(settings["processes"]) + extra_processes
    resource.setrlimit(resource.RLIMIT_NPROC, (procs, procs))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _count_user_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` (what RLIMIT_NPROC counts)."""
    total = 0
    for pid in processes_of(uid):
        try:
            total += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return total


def _child(settings: dict, plan: dict, report_fd: int, out_fd: int) -> None:
    """In the forked child: build the sandbox, then exec the kernel. Never returns."""
    notes: dict = {"skipped": [], "hidden": []}
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        uid, gid = plan.get("uid"), plan.get("gid")
        base = plan["base"]
        if uid is not None:
            _check(_c().unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
            os.makedirs(base, mode=0o711, exist_ok=True)
            _mount("syslead-sandbox", base, "tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={int(settings['disk_mb'])}m,mode=0711")
        home, work = os.path.join(base, "home"), os.path.join(base, "work")
        for folder in (home, work, os.path.join(home, "tmp"), os.path.join(home, ".matplotlib")):
            os.makedirs(folder, mode=0o700, exist_ok=True)
            if uid is not None:
                os.chown(folder, uid, gid)
        notes["skipped"] = copy_submission(plan["submission"], work, int(settings["file_size_mb"]) << 20,
                                           uid, gid)
        for cache in _font_caches():
            target = os.path.join(home, ".matplotlib", os.path.basename(cache))
            shutil.copyfile(cache, target)
            if uid is not None:
                os.chown(target, uid, gid)
        connection = os.path.join(home, "connection.json")
        shutil.copyfile(plan["connection"], connection)
        os.chmod(connection, 0o600)
        if uid is not None:
            os.chown(connection, uid, gid)
            keep = needed_paths() + [os.path.realpath(base)]
            hidden: list[str] = []
            for root in hidden_roots(settings, plan.get("course_root"), plan["submission"]):
                hide(root, keep, hidden, int(settings["disk_mb"]))
            notes["hidden"] = hidden
            os.setgroups([])
            os.setgid(gid)
            _set_limits(settings)
            os.setuid(uid)
            for path in (sys.executable, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))):
                if not os.access(path, os.R_OK | os.X_OK):
                    raise PermissionError(
                        f"{path} cannot be read by the grading user {user_name(plan['slot'])}: install the course "
                        "where every user can read it (for example under /opt or /srv), or set "
                        "SYSLEAD_SANDBOX_USER=same to grade without a separate user")
        else:
            _set_limits(settings, extra_processes=_count_user_tasks(os.getuid()) + 16)
        _check(_c().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
        _check(_c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        os.chdir(home)
        env = kernel_env(home, work, plan["launcher_pid"], settings)
        args = [sys.executable, "-I", "-m", "syslead.grading.sandbox", "kernel", "-f", connection, *plan["extra"]]
        if not any(a.startswith("--HistoryManager.hist_file") for a in args):
            args.append("--HistoryManager.hist_file=:memory:")
        os.write(report_fd, json.dumps({"ok": True, **notes}).encode())
        os.close(report_fd)
        os.execve(sys.executable, args, env)
    except BaseException as error:  # report any failure to the launcher, which tells the tutor
        try:
            os.write(report_fd, json.dumps({"ok": False, "error": str(error), **notes}).encode())
        finally:
            os._exit(70)


def launch(argv: list[str]) -> int:
    """The kernelspec's entry point: build the sandbox, run the kernel in it, clean up after it."""
    config, connection, extra = _parse_launch(argv)
    settings = load_settings(config)
    submission = os.getcwd()
    started = time.time()
    record: dict = {"started": started, "cwd": submission, "limits": {k: settings[k] for k in (
        "cpu_seconds", "wall_seconds", "memory_mb", "processes", "file_size_mb", "disk_mb", "output_mb")},
        "network": settings["network"]}
    course_root = find_course_root(submission)
    log_dir = os.environ.get("SYSLEAD_SANDBOX_LOG") or (os.path.join(course_root, RUNS_FOLDER) if course_root else None)
    if course_root:
        record["course_root"] = course_root
        record["submission"] = os.path.relpath(submission, course_root)
    slot = lock_fd = uid = gid = None
    root = os.geteuid() == 0 and settings["user"] == "auto"
    tmp_base = None
    if root:
        slot, lock_fd = acquire_slot(int(settings["slots"]))
        uid, gid = ensure_user(slot)
        kill_user_processes(uid)  # anything left over from an earlier kernel that was killed hard
        base = os.path.join(STATE_DIR, f"slot-{slot + 1}")
        record.update(mode="separate user", user=user_name(slot))
    else:
        tmp_base = tempfile.mkdtemp(prefix="syslead-sandbox-")
        base = tmp_base
        import getpass

        record.update(mode="same user", user=getpass.getuser())
    _c().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    plan = {"uid": uid, "gid": gid, "slot": slot, "base": base, "submission": submission,
            "connection": connection, "course_root": course_root, "extra": extra, "launcher_pid": os.getpid()}
    report_r, report_w = os.pipe()
    out_r, out_w = os.pipe()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        os.close(out_r)
        _child(settings, plan, report_w, out_w)
    os.close(report_w)
    os.close(out_w)

    def forward(signum, frame):  # a signal sent to us alone (not to the group) goes to the kernel
        try:
            if os.getpgid(pid) != os.getpgrp() or signum == signal.SIGTERM:
                os.kill(pid, signum)
        except OSError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    setup = b""
    while True:
        chunk = os.read(report_r, 65536)
        if not chunk:
            break
        setup += chunk
    os.close(report_r)
    try:
        setup_info = json.loads(setup.decode() or "{}")
    except ValueError:
        setup_info = {"ok": False, "error": "the sandbox did not report"}
    record["skipped_files"] = setup_info.get("skipped", [])
    record["hidden"] = setup_info.get("hidden", [])
    if not setup_info.get("ok"):
        record["setup_error"] = setup_info.get("error", "unknown")
        os.write(2, f"syslead-sandbox: could not start the kernel: {record['setup_error']}\n".encode())
    status, terminal_bytes, shown = _supervise(pid, out_r, time.monotonic() + int(settings["wall_seconds"]),
                                               record)
    record["terminal_output_bytes"] = terminal_bytes
    record["terminal_output_cut"] = terminal_bytes > shown
    record["leftover_processes_killed"] = (record.get("leftover_processes_killed", 0) + kill_descendants()
                                           + (kill_user_processes(uid) if uid is not None else 0))
    if os.WIFSIGNALED(status):
        record["exit_signal"] = signal.Signals(os.WTERMSIG(status)).name
        code = 128 + os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
        record["exit_code"] = code
    record["seconds"] = round(time.time() - started, 3)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record["cpu_seconds_used"] = round(usage.ru_utime + usage.ru_stime, 3)
    record["max_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    if tmp_base:
        shutil.rmtree(tmp_base, ignore_errors=True)
    if lock_fd is not None:
        os.close(lock_fd)
    if log_dir:
        _write_record(log_dir, record)
    return code


def _supervise(pid: int, out_r: int, deadline: float, record: dict, keep: int = 64 * 1024) -> tuple[int, int, int]:
    """Wait for the kernel (stopping it at ``deadline``); pass the first ``keep`` bytes it writes to its
    terminal on to ours."""
    total = shown = 0
    status = None
    open_ = True
    while status is None or open_:
        if open_:
            ready, _, _ = select.select([out_r], [], [], 0.1)
            if ready:
                data = os.read(out_r, 65536)
                if not data:
                    open_ = False
                else:
                    total += len(data)
                    if shown < keep:
                        part = data[: keep - shown]
                        os.write(2, part)
                        shown += len(part)
                        if shown >= keep:
                            os.write(2, b"\nsyslead-sandbox: the kernel's terminal output is cut here\n")
        else:
            time.sleep(0.05)
        if status is None and time.monotonic() > deadline and not record.get("wall_time_limit"):
            record["wall_time_limit"] = True
            os.write(2, b"syslead-sandbox: the kernel ran past its wall-clock limit and was stopped\n")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if status is None:
            try:
                done, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, st = pid, 0
            if done == pid:
                status = st
                record["leftover_processes_killed"] = kill_descendants()  # they may hold the pipe open
                if not select.select([out_r], [], [], 0)[0]:
                    open_ = False
    os.close(out_r)
    return status, total, shown


def _write_record(log_dir: str, record: dict) -> None:
    try:
        os.makedirs(log_dir, exist_ok=True)
        name = (record.get("submission") or os.path.basename(record["cwd"])).replace(os.sep, "__")
        _write_json(os.path.join(log_dir, f"{name}--{time.time_ns()}-{os.getpid()}.json"), record)
    except OSError as error:
        os.write(2, f"syslead-sandbox: could not write the run record in {log_dir}: {error}\n".encode())


# --- inside the kernel -----------------------------------------------------------------------------------


class CPUTimeLimit(Exception):
    """Raised in a cell when the kernel has used up its CPU time."""


def block_network() -> str:
    """Install a seccomp filter that refuses internet sockets (socket(2) for anything but AF_UNIX and
    AF_NETLINK) and io_uring in this process and all it starts. Irreversible. Returns what it did."""
    import platform

    machine = platform.machine()
    arches = {"x86_64": (0xC000003E, 41, 317), "aarch64": (0xC00000B7, 198, 277)}
    if machine not in arches:
        return f"not available on {machine}"
    arch, socket_nr, seccomp_nr = arches[machine]
    io_uring_setup = 425
    allow, deny_net = 0x7FFF0000, 0x00050000 | errno.ENETUNREACH
    deny_nosys = 0x00050000 | errno.ENOSYS
    ld_w_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    prog = [
        (ld_w_abs, 0, 0, 4),  # arch
        (jeq, 1, 0, arch),
        (ret, 0, 0, deny_nosys),  # other ABIs (32-bit) are not needed by the kernel
        (ld_w_abs, 0, 0, 0),  # syscall number
        (jge, 0, 1, 0x40000000) if machine == "x86_64" else (jeq, 0, 1, 0xFFFFFFFF),  # x32 ABI
        (ret, 0, 0, deny_nosys),
        (jeq, 0, 1, io_uring_setup),
        (ret, 0, 0, deny_nosys),
        (jeq, 1, 0, socket_nr),
        (ret, 0, 0, allow),
        (ld_w_abs, 0, 0, 16),  # first argument (low 32 bits): the address family
        (jeq, 2, 0, 1),  # AF_UNIX
        (jeq, 1, 0, 16),  # AF_NETLINK
        (ret, 0, 0, deny_net),
        (ret, 0, 0, allow),
    ]
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = _c()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    result = libc.syscall(seccomp_nr, 1, 1, ctypes.byref(fprog))  # SET_MODE_FILTER, FLAG_TSYNC
    if result != 0:
        return f"not available: seccomp refused ({os.strerror(ctypes.get_errno())})"
    return "blocked"


OUTPUT_CUT = "[grading sandbox] the rest of this cell's output was cut: it passed the limit of {mb} MB."


def _cap_output(kernel, limit_mb: float) -> None:
    """Drop a cell's output messages past ``limit_mb`` megabytes, with one line that says so."""
    import threading

    session = kernel.session
    original = session.send
    state = {"bytes": 0, "cut": False}
    lock = threading.Lock()
    limit = limit_mb * 1e6
    counted = {"stream", "display_data", "update_display_data", "execute_result"}

    def size(content: dict) -> int:
        if "text" in content:
            return len(content["text"])
        return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in content.get("data", {}).values())

    def send(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
        msg_type = msg_or_type if isinstance(msg_or_type, str) else msg_or_type.get("header", {}).get("msg_type")
        if msg_type in counted:
            body = content if isinstance(msg_or_type, str) else msg_or_type.get("content", {})
            with lock:
                state["bytes"] += size(body or {})
                over, first = state["bytes"] > limit, not state["cut"]
                if over:
                    state["cut"] = True
            if over:
                if not first:
                    return None
                notice = {"name": "stderr", "text": "\n" + OUTPUT_CUT.format(mb=limit_mb) + "\n"}
                if isinstance(msg_or_type, str):
                    return original(stream, "stream", notice, parent, *args, **kwargs)
                msg = session.msg("stream", notice, parent=msg_or_type.get("parent_header"))
                return original(stream, msg, None, parent, *args, **kwargs)
        return original(stream, msg_or_type, content, parent, *args, **kwargs)

    session.send = send

    def reset(*_):
        with lock:
            state["bytes"], state["cut"] = 0, False

    kernel.shell.events.register("pre_execute", reset)


def kernel_main(argv: list[str]) -> None:
    """The kernel, inside the sandbox: ipykernel, sealed (network, CPU signal) after its sockets are bound
    and before any learner code or configuration from the submission is read."""
    info = json.loads(os.environ.pop("SYSLEAD_SANDBOX_KERNEL", "{}"))
    from ipykernel.kernelapp import IPKernelApp

    state = {"running": False}

    def on_cpu(signum, frame):
        if state["running"]:
            raise CPUTimeLimit("the grader stopped this cell: the notebook used up its CPU time "
                               "(an endless loop, or too much work)")

    class SandboxKernelApp(IPKernelApp):
        def init_io(self):  # sockets and heartbeat are bound by now; nothing of the learner's has run
            network = block_network() if info.get("network", "block") == "block" else "allowed"
            with open(os.path.join(os.environ["HOME"], "sandbox-kernel.json"), "w") as f:
                json.dump({"network": network}, f)
            if network != "blocked" and info.get("network", "block") == "block":
                sys.__stderr__.write(f"syslead-sandbox: network block {network}\n")
            if info.get("work"):
                os.chdir(info["work"])
            signal.signal(signal.SIGXCPU, on_cpu)
            super().init_io()

    app = SandboxKernelApp.instance()
    app.initialize(argv)
    shell = app.kernel.shell

    def pre(*_):
        state["running"] = True

    def post(*_):
        state["running"] = False

    shell.events.register("pre_execute", pre)
    shell.events.register("post_execute", post)
    _cap_output(app.kernel, float(info.get("output_mb", DEFAULTS["output_mb"])))
    app.start()


# --- what this machine allows ----------------------------------------------------------------------------


def describe(settings: dict | None = None) -> list[tuple[str, str]]:
    """What the sandbox does here, in plain words: (protection, how) pairs."""
    settings = settings or load_settings(os.path.join(kernelspec_dir(), "sandbox.json"))
    root = os.geteuid() == 0 and settings["user"] == "auto"
    rows = [
        ("CPU time", f"{settings['cpu_seconds']} s per notebook; then the running cell fails"),
        ("memory", f"{settings['memory_mb']} MB of address space per process; then MemoryError"),
        ("processes", f"{settings['processes']} processes and threads; then BlockingIOError"),
        ("file size", f"{settings['file_size_mb']} MB per file; then 'File too large'"),
        ("output", f"{settings['output_mb']} MB per cell; the rest is cut with a note"),
        ("working folder", "a private copy of the one submission"),
        ("network", "internet sockets refused (seccomp)" if settings["network"] == "block" else "allowed"),
    ]
    if root:
        rows += [("user", f"a grading user of its own ({USER_PREFIX}N), not root"),
                 ("course, exchange, homes, /tmp", "hidden (empty folders in a private mount namespace)"),
                 ("signals", "cannot signal the grader or other kernels")]
    else:
        rows += [("user", "the tutor's own user: it CAN read the gradebook and anything else you can read, "
                          "and signal your processes (run the grader as root, or in a container)")]
    return rows


def user_switch_possible() -> str | None:
    """None if kernels get a grading user of their own here; else the reason why not."""
    return None if os.geteuid() == 0 else "not running as root"


# --- hooks for the tutor tools ------------------------------------------------------------------------------


def ensure_installed() -> str:
    """The kernelspec's folder, installing it into this Python's prefix first if Jupyter cannot find it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir
    except NoSuchKernel:
        return install_kernel()


def prepare_grading(config, root, sandbox: bool = True):
    """Set an nbgrader Config (and this process's environment, which the kernels inherit) up for safe
    autograding of the course at ``root``: the sandbox kernel (unless ``sandbox`` is False), the repairs of
    :func:`syslead.grading.hostile.safe_grading`, and the exchange hidden from the kernel. For ``syslead
    autograde``'s workers, before they build NbGraderAPI."""
    from syslead.grading.hostile import safe_grading

    if sandbox:
        ensure_installed()
        os.environ["SYSLEAD_COURSE_ROOT"] = str(root)
        exchange = config.Exchange.get("root") if "Exchange" in config else None
        if exchange:
            hide = [p for p in os.environ.get("SYSLEAD_SANDBOX_HIDE", "").split(os.pathsep) if p]
            os.environ["SYSLEAD_SANDBOX_HIDE"] = os.pathsep.join(dict.fromkeys([*hide, str(exchange)]))
    return safe_grading(config, KERNEL_NAME if sandbox else None)


# --- the `syslead sandbox` command -----------------------------------------------------------------------

HELP = "install or check the resource-limited grading kernel (syslead-sandbox)"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    inst = sub.add_parser("install", help="install the kernelspec (and, as root, the grading users)")
    inst.add_argument("--prefix", default=None, help="install under PREFIX/share/jupyter/kernels "
                      "(default: this Python's prefix)")
    for key, default in DEFAULTS.items():
        if isinstance(default, int):
            inst.add_argument(f"--{key.replace('_', '-')}", type=int, default=None, dest=key,
                              help=f"default {default}")
    sub.add_parser("check", help="say what the sandbox protects against on this machine")
    rep = sub.add_parser("report", help="list anything unusual in an assignment's graded submissions")
    rep.add_argument("assignment")
    rep.add_argument("--course", default=".", help="the course root (default: this folder)")


def run(args) -> int:
    from syslead.errors import CourseError

    if args.action == "report":
        from syslead.grading.hostile import report_table, unusual

        root = os.path.abspath(args.course)
        if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
            raise CourseError(f"{root} is not a course folder (it has no nbgrader_config.py): run this from the "
                              "course root or give --course.")
        print(report_table(unusual(root, args.assignment), args.assignment))
        return 0
    if args.action == "install":
        chosen = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k, None) is not None}
        try:
            folder = install_kernel(args.prefix, chosen)
        except (OSError, subprocess.CalledProcessError) as error:
            raise CourseError(f"The grading kernel could not be installed ({error}): check that you may write "
                              "to the prefix, or choose another with --prefix.") from error
        print(f"Installed the {KERNEL_NAME} kernel in {folder}.")
        if args.prefix:
            print(f"Point Jupyter at it with JUPYTER_PATH={os.path.join(args.prefix, 'share', 'jupyter')}.")
    for what, how in describe():
        print(f"  {what:<30} {how}")
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "launch":
        return launch(argv[1:])
    if argv and argv[0] == "kernel":
        kernel_main(argv[1:])
        return 0
    print("usage: python -I -m syslead.grading.sandbox launch -f CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
