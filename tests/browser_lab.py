"""What the browser tests share: Debian's Chromium under Playwright, a real JupyterLab server on localhost
in the learner configuration (as postBuild makes it on Binder) or the instructor one, and helpers that
act on JupyterLab's page as a person would (menus, cells, keyboard).

Nothing here touches the real Jupyter setup: each server gets temporary config, data and runtime folders
(JUPYTER_CONFIG_DIR and friends), and the learner configuration is written there from the commands in
postBuild, so the two cannot drift apart.

The browser and axe-core come from `.ci/setup.d/20-chromium.sh`. When either is missing the tests fail
with one line that says so; they are never skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BIN, ROOT, course_env

CHROMIUM = Path("/usr/bin/chromium")
#: Headless Chromium on this machine: no sandbox (we run as root in CI), and no background connections
#: (the network is closed, and Chromium would otherwise keep trying to reach Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
SETUP = ".ci/setup.d/20-chromium.sh"
AXE = Path(os.environ.get("SYSLEAD_AXE_DIR", Path.home() / ".cache" / "syslead" / "axe"))
AXE_JS = AXE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}
TOKEN = "browser-test"


# --- the learner configuration, read from postBuild ------------------------------------------------

def postbuild_commands(text: str | None = None) -> list[list[str]]:
    """The commands postBuild runs, with its `for NAME in A B C; do ... done` loops unrolled."""
    text = (ROOT / "postBuild").read_text(encoding="utf-8") if text is None else text
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    commands: list[list[str]] = []
    i = 0
    while i < len(lines):
        loop = re.fullmatch(r"for (\w+) in (.+); do", lines[i])
        if loop:
            end = lines.index("done", i)
            for value in shlex.split(loop.group(2)):
                for body in lines[i + 1 : end]:
                    expanded = re.sub(r"\$\{?" + loop.group(1) + r"\}?", value, body)
                    commands.append(shlex.split(expanded))
            i = end + 1
        else:
            commands.append(shlex.split(lines[i]))
            i += 1
    return commands


def learner_settings() -> tuple[list[str], list[str]]:
    """(lab plugins, server extensions) that postBuild disables for learners on Binder."""
    plugins, server = [], []
    for cmd in postbuild_commands():
        if cmd[:3] == ["jupyter", "labextension", "disable"]:
            plugins += [a for a in cmd[3:] if not a.startswith("-")]
    # the server extensions are switched off in the JSON file postBuild writes
    text = (ROOT / "postBuild").read_text(encoding="utf-8")
    block = re.search(r"<<'JSON'\n(.*?)\nJSON\n", text, flags=re.S).group(1)
    server = [name for name, on in json.loads(block)["ServerApp"]["jpserver_extensions"].items() if not on]
    return plugins, server


#: A page that each nbgrader server extension serves (404 when the extension is off).
EXTENSION_ROUTES = {
    "nbgrader.server_extensions.formgrader": "formgrader",
    "nbgrader.server_extensions.assignment_list": "assignments",
    "nbgrader.server_extensions.course_list": "formgraders",
}


def write_config(folder: Path, *, learner: bool) -> None:
    """Jupyter config in a temporary JUPYTER_CONFIG_DIR: the learner's disables what postBuild disables
    (on top of what the installed course sets up for learners); the instructor's is tutor mode, as
    `syslead tutor-mode on --user` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    if not learner:
        # tutor mode in a folder on JUPYTER_CONFIG_PATH, read before every other (as on the course hub)
        from syslead.learner.lab import set_tutor_mode

        set_tutor_mode(True, folder.parent / "jupyter-tutor")
        return
    plugins, server = learner_settings()
    (folder / "labconfig").mkdir(exist_ok=True)
    page = {"disabledExtensions": {name: True for name in plugins}}
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=2))
    config = {"ServerApp": {"jpserver_extensions": {name: False for name in server}}}
    (folder / "jupyter_server_config.json").write_text(json.dumps(config, indent=2))


# --- a real JupyterLab server -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    base: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={TOKEN}"

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url(path), timeout=10) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code


def lab_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a JupyterLab server under test: every Jupyter folder under `home` (temporary);
    the instructor's tutor mode, if written, first on JUPYTER_CONFIG_PATH."""
    if (home / "jupyter-tutor").is_dir():
        extra.setdefault("JUPYTER_CONFIG_PATH", str(home / "jupyter-tutor"))
    return course_env(
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"), IPYTHONDIR=str(home / "ipython"),
        MPLBACKEND="Agg", **extra,
    )


#: What every server under test needs on this machine whatever the command: localhost only, a known
#: token, no browser of its own (the test drives Chromium), and root allowed (CI runs as root).
def machine_args(port: int) -> list[str]:
    return ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            "--allow-root", "--ServerApp.open_browser=False"]


@contextmanager
def start_lab(args: list[str], cwd: Path, home: Path, root: Path | None = None, **env: str):
    """Run `args` (a `jupyter lab ...` command) in `cwd` and yield a Lab once it answers; stop it after."""
    port = free_port()
    args = [*args, *machine_args(port)]
    log = home / "jupyter.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=lab_env(home, **env), stdout=out, stderr=subprocess.STDOUT, text=True)
    lab = Lab(f"http://127.0.0.1:{port}", root or cwd, log)
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited {proc.returncode} before it served:\n{log.read_text()}")
            try:
                if lab.status("api/status") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail(f"JupyterLab did not answer on {lab.base} within a minute:\n{log.read_text()}")
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def opened_url(home: Path) -> str:
    """The address the server would have opened in a browser (it writes it to its runtime folder even
    with --no-browser): the file given on the command line if any, else its default page."""
    runtime = home / "jupyter-runtime"
    files = sorted(runtime.glob("jpserver-file-to-run-*-open.html")) or sorted(runtime.glob("jpserver-*-open.html"))
    assert files, f"JupyterLab wrote no browser-open file in {runtime}"
    found = re.search(r'href="([^"]+)"', files[-1].read_text(encoding="utf-8"))
    assert found, f"no address in {files[-1]}"
    return found.group(1).replace("&amp;", "&")


@contextmanager
def lab_server(root: Path, home: Path, *, learner: bool, extra: list[str] = ()):
    """JupyterLab on 127.0.0.1 serving `root`; every Jupyter folder under `home` (temporary)."""
    write_config(home / "jupyter-config", learner=learner)
    args = [str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={root}", *extra]
    with start_lab(args, root, home) as lab:
        yield lab


# --- the browser -----------------------------------------------------------------------------------

def launch_chromium(playwright):
    """Debian's Chromium, headless; one loud line (a test failure) when it cannot be had."""
    if not CHROMIUM.exists():
        pytest.fail(f"BROWSER MISSING: no Chromium at {CHROMIUM}; run `bash {SETUP}` (apt-get install chromium) "
                    f"so the browser tests can run", pytrace=False)
    try:
        return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # the message of a failed launch is long; its first line says why
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        pytest.fail(f"BROWSER WON'T START: {CHROMIUM} failed to launch under Playwright: {first}", pytrace=False)


@pytest.fixture(scope="module")  # per test file: each imports it, and Playwright runs one at a time
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail('BROWSER MISSING: the Python package playwright is not installed; pip install ".[test]"',
                    pytrace=False)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@dataclass
class Console:
    """JavaScript errors a page reports: uncaught exceptions and console.error messages."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(
            f"console.error: {msg.text} ({msg.location.get('url', '')}:{msg.location.get('lineNumber', '')})"))


def new_page(browser, console: Console | None = None):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(30_000)
    page = context.new_page()
    if console is not None:
        console.watch(page)
    return page


def screenshot(target, name: str) -> Path:
    """A screenshot: into docs/screenshots/ (the README shows the best of them) only when asked
    (SYSLEAD_REFRESH_SCREENSHOTS=1), else into a temporary folder, so that a test run never rewrites the
    tracked images."""
    if os.environ.get("SYSLEAD_REFRESH_SCREENSHOTS") == "1":
        folder = SCREENSHOTS
    else:
        folder = Path(os.environ.get("SYSLEAD_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="syslead-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(folder / name))
    return folder / name


# --- JupyterLab, as a person uses it ---------------------------------------------------------------

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in front


def wait_for_notebook(page, name: str) -> None:
    """Wait until `name` is the active tab, its kernel has started and is idle, and its cells are shown."""
    page.locator(f".lm-TabBar-tab.lm-mod-current:has-text('{name}')").first.wait_for()
    page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").first.wait_for()
    page.locator(f"{NOTEBOOK} .jp-Toolbar-kernelName:not([aria-label='No Kernel'])").wait_for()
    wait_idle(page)


def wait_idle(page, timeout: float = 120) -> None:
    """Wait until the kernel of the front notebook is idle and no cell waits to run ([*])."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = page.evaluate(
            """(sel) => {
                const nb = document.querySelector(sel);
                if (!nb) return 'no notebook in front';
                const prompts = [...nb.querySelectorAll('.jp-InputArea-prompt')].map(p => p.textContent);
                if (prompts.some(t => t.includes('*'))) return 'cells running';
                const k = nb.querySelector('.jp-Notebook-ExecutionIndicator');
                const status = k ? k.dataset.status : 'no kernel status';
                return status === 'idle' ? '' : 'kernel ' + status;
            }""",
            NOTEBOOK,
        )
        if not state:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the notebook was still busy after {timeout:.0f} s ({state})")


def menu(page, top: str, command: str) -> None:
    """Choose a command from JupyterLab's menu bar (by its visible name and its command id)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(f".lm-Menu-item[data-command='{command}']").first.click()


def run_all(page) -> None:
    menu(page, "Run", "runmenu:run-all")
    page.wait_for_timeout(500)
    wait_idle(page)


def save(page) -> None:
    page.keyboard.press("Control+s")
    page.locator(f"{NOTEBOOK} .jp-Notebook").first.wait_for()
    # JupyterLab marks an unsaved tab with a dot; wait until it is gone
    page.locator(".lm-TabBar-tab.lm-mod-current.jp-mod-dirty").wait_for(state="detached")


def bring_into_view(locator, block: str = "center") -> None:
    """Scroll an element to the middle (or the top: block="start") of the notebook. JupyterLab lays out
    cells lazily, so the first scroll lands near it and the next ones settle once the cells above it have
    their real height."""
    last = None
    for _ in range(6):
        locator.evaluate("(e, block) => e.scrollIntoView({block: block})", block)
        locator.page.wait_for_timeout(150)
        box = locator.bounding_box()
        if box is not None and box == last:
            return
        last = box


def cell(page, index: int):
    return page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").nth(index)


def set_cell_text(page, index: int, text: str) -> None:
    """Replace a cell's text by typing, as a learner would (markdown cells: double-click to edit)."""
    target = cell(page, index)
    bring_into_view(target)
    if "jp-MarkdownCell" in (target.get_attribute("class") or ""):
        target.locator(".jp-MarkdownOutput").dblclick()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def run_cell(page, index: int) -> None:
    """Select a cell, run it with Shift+Enter, wait for the kernel."""
    target = cell(page, index)
    bring_into_view(target)
    target.locator(".jp-InputPrompt, .jp-InputArea-prompt").first.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(300)
    wait_idle(page)


def notebook_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def inject_axe(page) -> None:
    if not AXE_JS.is_file():
        pytest.fail(f"AXE MISSING: no axe-core at {AXE_JS}; run `bash {SETUP}` (npm install axe-core)",
                    pytrace=False)
    page.add_script_tag(path=str(AXE_JS))
