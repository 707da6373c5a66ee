"""A tutor's marking session, in a real browser, in the instructor configuration (every nbgrader tool on).

On a small demo cohort (`syslead demo`, autograded), Chromium opens JupyterLab, opens the formgrader from
the Nbgrader menu, sees the assignment with its submissions, opens a submission, gives a reflection a
mark and a comment, generates the learner's feedback; and `nbgrader export` then carries that mark.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from browser_lab import (
    EXTENSION_ROUTES,
    Console,
    chromium,  # noqa: F401 - a fixture
    lab_server,
    menu,
    new_page,
    screenshot,
)
from conftest import BIN, ROOT, nbgrader, run

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-systems-leadership"
MARK = 3
COMMENT = "A clear account of how the form travelled. Say more about why the forum reached people the email missed."

#: The formgrader's pages load MathJax from a public CDN; this machine has no internet, so those two
#: errors are expected here (a tutor online does not get them). Any other JavaScript error fails the test.
OFFLINE_ONLY = re.compile(r"cdnjs\.cloudflare\.com/ajax/libs/mathjax|MathJax is not defined")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """A demo course with a few synthetic learners' submissions, collected and autograded."""
    home = tmp_path_factory.mktemp("tutor")
    course = home / "demo-course"
    run([str(BIN / "syslead"), "demo", "--learners", "3", "--into", str(course), "--assignments", ASSIGNMENT],
        cwd=ROOT)
    return home, course


def reflection_to_mark(course) -> tuple[str, str, str, float]:
    """(learner, their submitted notebook's id, reflection grade id, the submission's score so far) of a
    reflection that awaits a mark: the longest one written in the cohort."""
    from nbgrader.api import Gradebook

    waiting = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            path = course / "autograded" / sub.student_id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                     for c in nbformat.read(str(path), as_version=4).cells}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.needs_manual_grade and grade.name.startswith("reflection"):
                        waiting.append((len(cells.get(grade.name, "")), sub.student_id, nb.id, grade.name, sub.score))
    if not waiting:
        pytest.fail(f"the demo cohort has no reflection waiting for a mark in {ASSIGNMENT}")
    _, learner, notebook_id, grade_id, score = max(waiting)
    return learner, notebook_id, grade_id, score


def saved_grade(course, learner: str, grade_id: str) -> tuple[float | None, str | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, learner)
        comment = gb.find_comment(grade_id, ASSIGNMENT, ASSIGNMENT, learner)
        return grade.manual_score, comment.manual_comment


def test_a_tutor_marks_a_reflection_in_the_formgrader(cohort, chromium):  # noqa: F811
    home, course = cohort
    learner, notebook_id, grade_id, score_before = reflection_to_mark(course)
    console = Console()
    page = new_page(chromium, console)

    with lab_server(course, home, learner=False, extra=["--LabApp.news_url=None"]) as lab:
        for extension, route in EXTENSION_ROUTES.items():  # the tutors' tools are on here
            assert lab.status(route) != 404, f"{extension} is off in the instructor configuration"
        page.goto(lab.url("lab"))
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for()
        dismiss_news(page)
        menu(page, "Nbgrader", "nbgrader:open-formgrader")
        fg = page.frame_locator("iframe[src*='formgrader']")

        # --- the assignment, with its submissions -------------------------------------------------------
        submissions = sorted(p.name for p in (course / "submitted").iterdir())
        row = fg.locator("tr", has=fg.locator("td.name", has_text=ASSIGNMENT))
        row.wait_for()
        assert row.locator("td.num-submissions").inner_text().strip() == str(len(submissions))
        row.locator("td.num-submissions a").click()
        wait_for_frame(page, f"/formgrader/manage_submissions/{ASSIGNMENT}$")
        listed = fg.locator("td.student-id")
        listed.first.wait_for()
        assert sorted(listed.all_inner_texts()) == submissions

        # --- open the learner's submission from Manual Grading ----------------------------------------------
        fg.locator("a", has_text="Manual Grading").click()
        wait_for_frame(page, "/formgrader/gradebook$")
        fg.locator("td a", has_text=ASSIGNMENT).first.click()
        wait_for_frame(page, f"/formgrader/gradebook/{ASSIGNMENT}$")
        fg.locator("td a", has_text=ASSIGNMENT).first.click()  # the assignment's notebook
        wait_for_frame(page, f"/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}$")
        fg.locator(f"a.name-hidden[href$='/submissions/{notebook_id}']").click()

        # --- a mark and a comment for one reflection ------------------------------------------------------------
        wait_for_frame(page, f"/formgrader/submissions/{notebook_id}$")
        grading = next(f for f in page.frames if f"/formgrader/submissions/{notebook_id}" in f.url)
        # the page's marks and comments are loaded, and their inputs save on change
        grading.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                                  " && formgrader.comments && formgrader.comments.loaded")
        score = fg.locator(f"input.score#{grade_id}")
        comment = fg.locator(f"textarea.comment#{grade_id}-comment")
        comment.scroll_into_view_if_needed()
        comment.fill(COMMENT)
        comment.press("Tab")
        score.fill(str(MARK))
        score.press("Tab")
        deadline = time.monotonic() + 30
        while saved_grade(course, learner, grade_id) != (MARK, COMMENT) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert saved_grade(course, learner, grade_id) == (MARK, COMMENT), "the formgrader did not save the mark"
        # the reflection's question just above its answer, the mark and the comment (the formgrader scrolls
        # to the input in focus a moment after a save, so scroll until the question stays in place)
        for _ in range(10):
            top = score.evaluate("""e => { document.activeElement.blur();
                const question = e.closest('.cell').previousElementSibling, box = document.scrollingElement;
                box.scrollTop += question.getBoundingClientRect().top - 190;
                return question.getBoundingClientRect().top; }""")
            page.wait_for_timeout(400)
            if abs(score.evaluate("e => e.closest('.cell').previousElementSibling.getBoundingClientRect().top")
                   - top) < 2:
                break
        shot(page, "formgrader-grading.png")

        # --- generate the learner's feedback ---------------------------------------------------------------------
        fg.locator("a", has_text="Manual Grading").first.click()
        wait_for_frame(page, "/formgrader/gradebook$")
        fg.locator("a", has_text="Manage Assignments").first.click()
        wait_for_frame(page, "/formgrader/manage_assignments$")
        fg.locator("tr", has=fg.locator("td.name", has_text=ASSIGNMENT)).locator("td.num-submissions a").click()
        wait_for_frame(page, f"/formgrader/manage_submissions/{ASSIGNMENT}$")
        fg.locator("tr", has=fg.locator("td.student-id", has_text=learner)).locator(
            "td.generate-feedback a").click()
        modal = fg.locator(".modal-dialog")
        modal.wait_for(timeout=120_000)
        assert f"Successfully generated feedback for '{ASSIGNMENT}' for student '{learner}'" in modal.inner_text()
        feedback = course / "feedback" / learner / ASSIGNMENT / f"{ASSIGNMENT}.html"
        text = feedback.read_text(encoding="utf-8")
        assert COMMENT in text and f"Score: {score_before + MARK:.1f} / " in text

    # --- the mark is in the export ------------------------------------------------------------------------------
    nbgrader("export", "--to", str(home / "grades.csv"), cwd=course)
    with open(home / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    assert float(rows[learner]["raw_score"]) == pytest.approx(score_before + MARK)

    unexpected = [e for e in console.errors if not OFFLINE_ONLY.search(e)]
    assert unexpected == [], "JavaScript errors in the console:\n" + "\n".join(unexpected)


def shot(page, name: str) -> Path:
    """A screenshot, tracked only when asked (see browser_lab.screenshot)."""
    return screenshot(page, name)


# --- the grading page (syslead.tutor.grading_page), on the small demo cohort --------------------------------

GRADING_EXTENSION = ["--ServerApp.jpserver_extensions", "syslead.tutor.grading_page=True", "--LabApp.news_url=None"]


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory):
    import tutor_cohort

    home = tmp_path_factory.mktemp("grading-page")
    return home, tutor_cohort.copy(tutor_cohort.graded(home), home / "course")


def test_a_tutor_grades_a_whole_reflection_on_the_grading_page(small_cohort, chromium):  # noqa: F811
    import tutor_cohort

    from syslead.tutor.course import Course
    from syslead.tutor.reflections import anonymiser

    home, course = small_cohort
    assignment, grade_id = tutor_cohort.ASSIGNMENT, "reflection-channels"
    c = Course.find(course)
    code = anonymiser(c)
    with c.gradebook() as gb:
        students = [s.student_id for s in gb.find_assignment(assignment).submissions]
        names = [f"{s.first_name} {s.last_name}" for s in gb.students]
    console = Console()
    page = new_page(chromium, console)
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()  # refuse once, then confirm

    page.on("dialog", on_dialog)
    given: dict[str, float] = {}
    blanks = 0
    with lab_server(course, home, learner=False, extra=GRADING_EXTENSION) as lab:
        page.goto(lab.url("syslead/grade"))
        with page.expect_response(re.compile(r"/syslead/grade/[^/]+/[^/?]+$")) as question_page:
            page.get_by_role("link", name=re.compile("Reflection 1")).click()
        page.locator("#learner").wait_for()
        # the page runs only its own script file: an inline script (as one that got past the sanitiser would
        # be) does not run; the header is what stops it (without it the same script runs)
        policy = question_page.value.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        csp = lambda: [e for e in console.errors if "Content Security Policy" in e]  # noqa: E731
        assert csp() == []  # the page itself keeps to the policy
        ran = page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                                      document.body.append(s); return window.__ran === 1; }""")
        assert ran is False
        wait_until(page, lambda: len(csp()) == 1)  # the browser's report of the one script it refused
        console.errors.remove(csp()[0])
        text = page.content()
        assert not any(s in text for s in students) and not any(n in text for n in names)  # anonymised
        assert "<strong>Mark scheme" in text and "**" not in page.locator(".scheme").inner_text()  # rendered
        assert page.locator(".levels button").count() == 5
        for _ in range(len(students)):
            page.keyboard.press("k")  # to the first learner
        for i in range(len(students)):
            who = page.locator("#learner").inner_text()
            blank = page.locator("#blank-note").is_visible()
            level = "2" if blank else str(1 + i % 4)
            page.keyboard.press(level)
            assert page.locator(f".levels button[data-level='{level}']").get_attribute("aria-pressed") == "true"
            page.keyboard.press("g")
            if blank:
                blanks += 1
            if blank and blanks == 1:  # the first blank one: refused, nothing saved, still here; then confirmed
                wait_until(page, lambda: page.locator("#message").inner_text() != "")
                assert page.locator("#message").inner_text() == "Not changed." and page.locator(
                    "#learner").inner_text() == who
                page.keyboard.press(level)
                page.keyboard.press("g")
            given[who] = float(level)  # a 4-point reflection: level n gives n points
            wait_until(page, lambda who=who: page.locator("#learner").inner_text() != who
                       or page.locator("#message").inner_text().startswith("Saved"))
        page.locator("#progress", has_text=f"{len(students)} of {len(students)} graded").wait_for()
        shot(page, "grading-page.png")
        # formgrader sees the same grades (its own API, as its pages read them)
        with c.gradebook() as gb:
            notebooks = {s: gb.find_submission_notebook(assignment, assignment, s).id for s in students}
        for s in students:
            reply = page.request.get(lab.url(f"formgrader/api/grades?submission_id={notebooks[s]}"))
            assert reply.ok, reply.status
            grade = next(g for g in reply.json() if g["name"] == grade_id)
            assert grade["manual_score"] == given[code(s)] and grade["needs_manual_grade"] is False
        # a POST with the login cookie but without the page's XSRF token is refused (a request that carries
        # the server's token itself is exempt, as everywhere in Jupyter)
        refused = page.request.post(f"{lab.base}/syslead/grade/api/{assignment}/{grade_id}",
                                    data=json.dumps({"grade": "x", "score": 1}))
        assert refused.status == 403
    assert blanks >= 1 and len(dialogs) == blanks + 1 and all("left blank" in d for d in dialogs)
    with c.gradebook() as gb:
        for s in students:
            g = gb.find_grade(grade_id, assignment, assignment, s)
            assert (g.manual_score, bool(g.needs_manual_grade)) == (given[code(s)], False)
    from syslead.tutor import export

    rows = {r.student_id: r for r in export.rows(c)}
    with c.gradebook() as gb:
        for s in students:
            assert rows[s].raw_score == pytest.approx(gb.find_submission(assignment, s).score)
    # the browser logs the refused save (409, the confirm) and the refused POST (403) as failed loads
    unexpected = [e for e in console.errors if not OFFLINE_ONLY.search(e) and "status of 409" not in e]
    assert unexpected == [], "JavaScript errors in the console:\n" + "\n".join(unexpected)


def wait_until(page, condition, timeout: float = 30) -> None:
    """Poll ``condition`` (Playwright calls) while the page runs, so that dialogs are handled meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the grading page did not get there in time")
        page.wait_for_timeout(100)


def wait_for_frame(page, url: str, timeout: float = 30) -> None:
    """Wait until the formgrader's frame shows the page whose address matches `url`."""
    deadline = time.monotonic() + timeout
    while not any(re.search(url, f.url.split("?")[0].rstrip("/")) for f in page.frames):
        if time.monotonic() > deadline:
            raise AssertionError(f"the formgrader did not go to {url}: {[f.url for f in page.frames]}")
        page.wait_for_timeout(100)


def dismiss_news(page) -> None:
    """JupyterLab asks tutors (not learners: postBuild disables it) whether to fetch Jupyter news; answer No."""
    ask = page.locator(".Toastify__toast", has_text="Jupyter news")
    try:
        ask.wait_for(timeout=5_000)
    except Exception:
        return
    ask.get_by_role("button", name="No", exact=True).click()
    ask.wait_for(state="detached")


def test_a_second_marker_moderates_a_sample_blind(tmp_path_factory, chromium):  # noqa: F811
    """Moderation in a real browser: with first marks in the gradebook, a second marker opens
    ``?marker=second``, sees only the sample and none of the first marks, grades it with the keys; the first
    marker's page then lists the answers a level or more apart and Cohen's kappa, which agrees with one
    computed here from the gradebook and moderation.db; the first marks are unchanged."""
    import sqlite3

    import tutor_cohort

    from syslead.tutor import moderation
    from syslead.tutor.course import Course
    from syslead.tutor.gradebook import grades, save_grade
    from syslead.tutor.kember import score_level
    from syslead.tutor.reflections import anonymiser

    home = tmp_path_factory.mktemp("moderation")
    course = tutor_cohort.copy(tutor_cohort.graded(home), home / "course")
    assignment, grade_id = tutor_cohort.ASSIGNMENT, "reflection-channels"
    c = Course.find(course)
    rows = sorted((g for g in grades(c, assignment) if g.cell == grade_id), key=lambda g: g.student)
    points = rows[0].max_score
    for i, g in enumerate(rows):  # the first marker's marks: levels 1..4 in turn
        save_grade(c, g.grade_id, manual_score=float(1 + i % 4), manual_comment=f"first marker {i}", graded=True)
    first = {g.student: (g.manual_score, g.needs_manual_grade) for g in grades(c, assignment) if g.cell == grade_id}
    first_comments = sorted(f"first marker {i}" for i in range(len(rows)))
    sample = moderation.sample(c, assignment, grade_id)
    code = anonymiser(c)
    learner_of = {code(s): s for s in sample}
    console = Console()
    page = new_page(chromium, console)
    given: dict[str, float] = {}
    with lab_server(course, home, learner=False, extra=GRADING_EXTENSION) as lab:
        page.goto(lab.url(f"syslead/grade/{assignment}/{grade_id}?marker=second"))
        page.locator("#learner").wait_for()
        entries = json.loads(page.locator("#entries").inner_text())
        assert sorted(e["learner"] for e in entries) == sorted(code(s) for s in sample)  # the sample only
        # blind: no first mark, in the data or on screen
        assert all(e["score"] is None and e["manual_score"] is None and not e["graded"] and e["comment"] == ""
                   for e in entries)
        text = page.content()
        assert not any(c_ in text for c_ in first_comments) and page.locator("#agreement").count() == 0
        for _ in range(len(entries)):
            page.keyboard.press("k")
        for i in range(len(entries)):
            who = page.locator("#learner").inner_text()
            assert page.locator(".levels button[aria-pressed='true']").count() == 0  # no first mark shown
            # the first answer agrees with the first marker, every other one is two levels or more apart,
            # whichever learners the (per-course, random) anonymiser put in the sample
            mark = int(score_level(first[learner_of[who]][0], points))
            level = str(mark if i == 0 else (1 if mark >= 3 else 4))
            page.keyboard.press(level)
            page.keyboard.press("g")
            given[who] = float(level)
            wait_until(page, lambda who=who: page.locator("#learner").inner_text() != who
                       or page.locator("#message").inner_text().startswith("Saved"))
        page.locator("#progress", has_text=f"{len(entries)} of {len(entries)} second-marked").wait_for()
        page.goto(lab.url(f"syslead/grade/{assignment}/{grade_id}"))  # the first marker's page: the agreement
        agreement = page.locator("#agreement").inner_text()
        differ = {tuple(r.locator("td").all_inner_texts()) for r in page.locator("table.differ tr").all()
                  if r.locator("td").count()}
    # an independent kappa from the gradebook's first marks and moderation.db's second marks
    con = sqlite3.connect(moderation.path(c))
    second = dict(con.execute("select student, score from second_marks where cell = ?", (grade_id,)))
    con.close()
    assert {code(s): v for s, v in second.items()} == given and set(second) == sample
    pairs = [(score_level(first[s][0], points), score_level(second[s], points)) for s in sorted(second)]
    n = len(pairs)
    p_o = sum(a == b for a, b in pairs) / n
    cats = {x for p in pairs for x in p}
    p_e = sum(sum(a == k for a, _ in pairs) / n * sum(b == k for _, b in pairs) / n for k in cats)
    kappa = (p_o - p_e) / (1 - p_e)
    assert f"Cohen's kappa {kappa:.2f}" in " ".join(agreement.split())
    assert f"{n} answers marked by both; {sum(a == b for a, b in pairs)} at the same level" in agreement
    apart = {code(s) for s in second if abs(int(score_level(first[s][0], points)) - int(score_level(second[s], points))) >= 1}
    assert len(apart) == n - 1 and {d[0] for d in differ} == apart
    # the first marker's grades are as they were
    assert {g.student: (g.manual_score, g.needs_manual_grade)
            for g in grades(c, assignment) if g.cell == grade_id} == first
    unexpected = [e for e in console.errors if not OFFLINE_ONLY.search(e)]
    assert unexpected == [], "JavaScript errors in the console:\n" + "\n".join(unexpected)
