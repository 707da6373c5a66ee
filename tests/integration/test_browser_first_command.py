"""The README's first command, as a learner runs it, gets them to every notebook through the links.

On a fresh copy of the repository (the files git tracks, as a learner's clone has them), the `jupyter lab
...` part of the README's first quick-start command runs exactly as written, from the course folder (the
test adds only what this machine needs: a port on 127.0.0.1, a token, no browser of its own, root allowed).
Chromium opens the address the server would have opened in the learner's browser, and must land on the
start page. Then it clicks every link to a course file on the start page, and every link in the closing
cell ("Next", "Previous", "Back to the course map") of each notebook it reaches, and each must open its
file: no "File Load Error", no missing file.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import shutil
import subprocess
import urllib.request
from pathlib import Path, PurePosixPath

import pytest
from browser_lab import (
    bring_into_view,
    chromium,  # noqa: F401 - a fixture
    new_page,
    opened_url,
    start_lab,
)
from conftest import BIN, ROOT, quick_start

pytestmark = pytest.mark.slow

START = "notebooks/00-start-here.ipynb"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
FRONT = "#jp-main-dock-panel .lm-DockPanel-widget:not(.lm-mod-hidden)"  # the document in front


def fresh_clone(dest: Path) -> Path:
    """The files git tracks, copied as a clone would have them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, files.stdout.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def readme_lab_command() -> list[str]:
    """The first quick-start command's `jupyter lab ...` part, with the installed environment's jupyter."""
    lab = shlex.split(quick_start()[0].split("&&")[-1])
    assert lab[0] == ".venv/bin/jupyter" and lab[1] == "lab", lab
    return [str(BIN / "jupyter"), *lab[1:]]


def readme_copy_command() -> list[str]:
    """The first quick-start command's `syslead publish ... --working-copy` part (the learner's own copy)."""
    parts = [shlex.split(p) for p in quick_start()[0].split("&&")]
    (made,) = [p for p in parts if p[0] == ".venv/bin/syslead"]
    assert made[1] == "publish" and "--working-copy" in made, made
    return [str(BIN / "syslead"), *made[1:]]


#: What the learner's file browser must never show (issue 21, item 5).
NOT_FOR_LEARNERS = re.compile(r"(^|/)(source|jupytext\.toml|tutor-dashboard\.[a-z]+|nbgrader_config\.py"
                              r"|gradebook\.db)($|/)|^(release|notebooks)/.*\.md$")


def served_files(lab, folder: str = "") -> list[str]:
    """Every file and folder JupyterLab's file browser can list, through its contents API."""
    found = []
    with urllib.request.urlopen(lab.url(f"api/contents/{folder}"), timeout=30) as reply:
        listing = json.loads(reply.read())
    for item in listing["content"]:
        found.append(item["path"])
        if item["type"] == "directory":
            found += served_files(lab, item["path"])
    return found


def course_links(course: Path, notebook: str, last_cell_only: bool) -> list[tuple[str, str]]:
    """(text, path inside the course) of each link to a course file in a notebook's markdown."""
    cells = json.loads((course / notebook).read_text(encoding="utf-8"))["cells"]
    cells = [c for c in cells if c["cell_type"] == "markdown"]
    if last_cell_only:
        cells = cells[-1:]
    found = []
    for c in cells:
        for text, href in LINK.findall("".join(c["source"])):
            if re.match(r"[a-z]+:", href) or href.startswith("#"):
                continue  # the web, or a place on the same page
            target = posixpath.normpath(posixpath.join(posixpath.dirname(notebook), href.split("#")[0]))
            found.append((text.strip("*_`"), target))
    return found


def open_in_front(page, name: str) -> str:
    """Wait until `name` is the current tab and its document is shown; '' or what went wrong."""
    try:
        page.locator(f".lm-TabBar-tab.lm-mod-current:has-text('{name}')").first.wait_for(timeout=30_000)
        page.locator(f"{FRONT} .jp-Cell, {FRONT} .cm-content, {FRONT} .jp-RenderedMarkdown").first.wait_for(
            timeout=30_000)
    except Exception:  # noqa: BLE001 - the reason is read from the page below
        pass
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        return dialogs.first.inner_text().replace("\n", " ")[:200]
    if not page.locator(f".lm-TabBar-tab.lm-mod-current:has-text('{name}')").count():
        return f"no tab called {name} came to the front"
    if not page.locator(f"{FRONT} .jp-Cell, {FRONT} .cm-content, {FRONT} .jp-RenderedMarkdown").count():
        return f"{name} opened but shows nothing"
    return ""


def test_first_command_opens_the_start_page_and_every_link_works(tmp_path, chromium):  # noqa: F811
    course = fresh_clone(tmp_path / "course")
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(readme_copy_command(), cwd=course, check=True, capture_output=True, text=True)
    with start_lab(readme_lab_command(), course, home) as lab:
        page = new_page(chromium)
        page.goto(opened_url(home))
        assert open_in_front(page, "00-start-here.ipynb") == "", "the first command does not open the start page"
        assert "/lab/tree/notebooks/00-start-here.ipynb" in page.url, page.url

        # Lab's root is the learner's working copy: the notebooks, and no answers or authors' files.
        assert lab.status("api/contents/release") == 200, "JupyterLab does not serve the course's notebooks"
        served = served_files(lab)
        assert not [f for f in served if NOT_FOR_LEARNERS.search(f)], served
        for f in served:
            if f.endswith((".ipynb", ".md")):
                text = (course / "my-course" / f).read_text(encoding="utf-8")
                assert "BEGIN SOLUTION" not in text and "Mark scheme" not in text, f
        course = course / "my-course"  # the links below are followed in the working copy

        problems, clicked, seen = [], [], set()
        queue = [START]
        while queue:
            here = queue.pop(0)
            if here in seen:
                continue
            seen.add(here)
            links = course_links(course, here, last_cell_only=here != START)
            if here != START:
                assert links, f"{here} ends with no link to the next notebook or the course map"
            for text, target in links:
                # bring `here` to the front again, then click the link as a learner would
                page.locator(".lm-TabBar-tab", has_text=PurePosixPath(here).name).first.click()
                assert open_in_front(page, PurePosixPath(here).name) == ""
                anchor = page.locator(f"{FRONT} .jp-RenderedMarkdown a", has_text=text).first
                try:
                    bring_into_view(anchor)
                    anchor.click()
                except Exception as error:  # noqa: BLE001
                    problems.append(f"{here}: could not click the link {text!r}: {str(error).splitlines()[0]}")
                    continue
                trouble = open_in_front(page, PurePosixPath(target).name)
                clicked.append(f"{here} -> {target}")
                if trouble:
                    problems.append(f"{here}: the link {text!r} to {target} did not open: {trouble}")
                    for close in page.locator(".jp-Dialog button").all()[-1:]:
                        close.click()
                elif target.endswith(".ipynb"):
                    queue.append(target)
        page.context.close()
    assert not problems, "\n".join(problems)
    reached = {s for s in seen if s.endswith(".ipynb")}
    expected = {str(p.relative_to(course)) for p in course.glob("release/*/*.ipynb")} | {START}
    assert expected <= reached, f"never reached through the links: {sorted(expected - reached)}"
    assert len(clicked) >= 2 * len(expected), clicked
    print(f"{len(clicked)} links clicked, {len(reached)} notebooks reached")
