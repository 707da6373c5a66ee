"""The grading page's own overhead per reflection (issue 18.2): page load, save round trip, actions.

Builds a demo cohort (``syslead demo``, one assignment; or uses ``--course`` if given), starts a Jupyter
server on 127.0.0.1 with the grading page, and grades one reflection for every learner in Debian's Chromium
under Playwright, pressing keys as a tutor would. It prints:

- page load: from navigation until the first answer is on screen (median of ``--loads`` loads);
- save: from pressing "g" until the page shows the next answer (median over the learners);
- actions per reflection: the key presses the run needed per answer (counted, not assumed);
- an estimate of the tools' overhead for 20 learners x 3 reflections: a page load per reflection question,
  plus, per answer, the save time and ``--seconds-per-action`` for each action (a person's time to press a
  key once they have decided; 1 s by default: an assumption, stated in the output). Reading and judging
  the answer is the tutor's work, not the tool's, and is not counted.

Run: python benchmarks/bench_grading_page.py [--learners 6] [--course DIR]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENT = "02-systems-innovation"
QUESTION = "reflection-channels"
TOKEN = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=6)
    parser.add_argument("--course", type=Path, help="an autograded course to use instead of a new demo")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seconds-per-action", type=float, default=1.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="syslead-bench-grading-"))
    course = args.course
    if course is None:
        course = work / "course"
        subprocess.run([str(BIN / "syslead"), "demo", "--learners", str(args.learners), "--into", str(course),
                        "--assignments", ASSIGNMENT], cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "cfg"), "JUPYTER_DATA_DIR": str(work / "data"),
           "JUPYTER_RUNTIME_DIR": str(work / "rt"), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = open(work / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={course}", "--allow-root",
         "--ServerApp.jpserver_extensions", "syslead.tutor.grading_page=True"],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/syslead/grade/{ASSIGNMENT}/{QUESTION}?token={TOKEN}"
    try:
        import urllib.request

        from playwright.sync_api import sync_playwright

        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.on("dialog", lambda d: d.accept())  # a blank answer's confirm: one more action, counted
            page.goto(url)  # the first load logs in and warms up; not counted
            page.locator("#learner").wait_for()
            loads = []
            for _ in range(args.loads):
                t = time.perf_counter()
                page.goto(url)
                page.wait_for_function("() => document.querySelector('#learner').textContent.length > 0")
                loads.append(time.perf_counter() - t)
            n = len(page.evaluate("JSON.parse(document.getElementById('entries').textContent)"))
            for _ in range(n):
                page.keyboard.press("k")
            saves, actions = [], 0
            confirms = []
            page.on("dialog", lambda d: confirms.append(1))
            for i in range(n):
                who = page.locator("#learner").inner_text()
                page.keyboard.press(str(1 + i % 4))
                t = time.perf_counter()
                page.keyboard.press("g")
                actions += 2
                while page.locator("#learner").inner_text() == who and not page.locator(
                        "#message").inner_text().startswith("Saved"):
                    page.wait_for_timeout(5)
                saves.append(time.perf_counter() - t)
            actions += len(confirms)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    load, save = statistics.median(loads), statistics.median(saves)
    per_answer_actions = actions / n
    per_answer = save + per_answer_actions * args.seconds_per_action
    questions, learners = 3, 20
    total = questions * load + questions * learners * per_answer
    print(f"grading page, {n} answers to {QUESTION} ({ASSIGNMENT}):")
    print(f"  page load (median of {args.loads}): {load:.3f} s")
    print(f"  save round trip (median of {n}): {save:.3f} s")
    print(f"  actions per reflection: {per_answer_actions:.2f} (a level key and 'g'; "
          f"{len(confirms)} blank-answer confirm{'s' if len(confirms) != 1 else ''})")
    print(f"  tool overhead per reflection: {per_answer:.2f} s (save + {per_answer_actions:.2f} actions x "
          f"{args.seconds_per_action:g} s, an assumed time per key press)")
    print(f"  estimate for {learners} learners x {questions} reflections: {total / 60:.1f} minutes of tool "
          f"overhead ({questions} page loads + {questions * learners} answers), reading time not included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
