"""Formgrader in the course's tutor setup (issue 26, traps 8 and 10), with the real parts: a real JupyterLab
with nbgrader's formgrader and the course's grading page on, over HTTP and in Chromium.

- A score above an answer's points is refused by formgrader's own API with one sentence, and nothing is
  saved (formgrader's page used to save 4 for 7 on a 4-point answer without a word).
- A gradebook that cannot be written gives one sentence, not a spinner that never stops, and nothing is lost.
- Formgrader's pages send the tutor to the grading page, and its grading page of a submission shows each
  reflection's mark scheme under the answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import requests
from browser_lab import TOKEN, Console, chromium, lab_server, new_page  # noqa: F401 - chromium is a fixture

pytestmark = pytest.mark.slow

SERVER = ["--ServerApp.jpserver_extensions", "syslead.tutor.grading_page=True", "--LabApp.news_url=None"]
#: formgrader's pages load MathJax from a public CDN; this machine is offline (see test_browser_tutor.py)
OFFLINE_ONLY = re.compile(r"cdnjs\.cloudflare\.com/ajax/libs/mathjax|MathJax is not defined|ERR_NAME_NOT_RESOLVED|"
                          r"net::ERR_")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    import tutor_cohort

    home = tmp_path_factory.mktemp("formgrader-guard")
    return home, tutor_cohort.graded(home)


def course_copy(cohort, name: str) -> tuple[Path, Path]:
    import tutor_cohort

    home, graded = cohort
    (home / name).mkdir()
    return home / name, tutor_cohort.copy(graded, home / name / "course")


def reflection(course: Path) -> dict:
    """A reflection of the cohort: its grade id, submitted notebook id, learner, points and saved score."""
    import tutor_cohort
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(tutor_cohort.ASSIGNMENT):
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.name.startswith("reflection") and g.max_score:
                        return {"id": g.id, "name": g.name, "notebook": nb.id, "notebook_name": nb.name,
                                "learner": sub.student_id, "points": g.max_score, "manual": g.manual_score}
    pytest.fail("the demo cohort has no reflection")


def saved(course: Path, grade_id: str) -> tuple[float | None, bool]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        g = gb.find_grade_by_id(grade_id)
        return g.manual_score, g.needs_manual_grade


def api(lab, method: str, path: str, **body) -> requests.Response:
    return requests.request(method, f"{lab.base}/{path.lstrip('/')}", headers={"Authorization": f"token {TOKEN}"},
                            data=json.dumps(body) if body else None, timeout=30)


def open_submission(chromium, lab, r: dict):  # noqa: F811
    """Formgrader's grading page of R's submission in Chromium, once its grades and comments are loaded."""
    console = Console()
    page = new_page(chromium, console)
    page.context.set_extra_http_headers({"Authorization": f"token {TOKEN}"})  # as a logged-in tutor
    page.goto(f"{lab.base}/formgrader/submissions/{r['notebook']}/")
    try:
        page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                               " && formgrader.comments && formgrader.comments.loaded")
    except Exception:
        pytest.fail(f"formgrader's page did not load its grades; JavaScript errors: {console.errors}")
    return page, console


def type_score(page, r: dict, value: str) -> None:
    box = page.locator(f"input.score[id='{r['name']}']")
    box.fill(value)
    box.press("Tab")  # formgrader saves on change


def test_formgrader_refuses_a_score_above_the_maximum_with_a_sentence_and_shows_the_mark_scheme(cohort, chromium):  # noqa: F811
    import tutor_cohort

    from syslead.tutor.course import Course
    from syslead.tutor.reflections import questions

    home, course = course_copy(cohort, "scores")
    r = reflection(course)
    points = r["points"]
    with lab_server(course, home, learner=False, extra=SERVER) as lab:
        shown = api(lab, "GET", f"formgrader/api/grade/{r['id']}")
        assert shown.status_code == 200 and shown.json()["max_score"] == points
        too_many = points + 3
        refused = api(lab, "PUT", f"formgrader/api/grade/{r['id']}", manual_score=str(too_many), extra_credit=None)
        assert refused.status_code == 400, refused.text
        message = refused.json()["message"]
        assert f"{too_many:g} is more than this answer's {points:g} points" in message, message
        assert "not saved" in message and "\n" not in message
        assert saved(course, r["id"])[0] == r["manual"]  # nothing saved: not clamped to the maximum
        for bad, why in ((-1, "below 0"), ("lots", "must be a number")):
            reply = api(lab, "PUT", f"formgrader/api/grade/{r['id']}", manual_score=bad)
            assert reply.status_code == 400 and why in reply.json()["message"], reply.text
        assert saved(course, r["id"])[0] == r["manual"]
        ok = api(lab, "PUT", f"formgrader/api/grade/{r['id']}", manual_score=str(points - 1), extra_credit=None)
        assert ok.status_code == 200, ok.text
        assert saved(course, r["id"]) == (points - 1, False)  # a score that fits is saved, as formgrader did

        # formgrader's Manual Grading pages open with a banner whose link opens the grading page
        listing = api(lab, "GET", f"formgrader/gradebook/{tutor_cohort.ASSIGNMENT}/{r['notebook_name']}")
        assert listing.status_code == 200
        link = re.search(r'id="syslead-grading-page".*?<a href="([^"]+)">grading page</a>', listing.text, re.S)
        assert link, listing.text[:2000]
        grading = api(lab, "GET", link.group(1))
        assert grading.status_code == 200 and "Reflection" in grading.text
        # its grading page of a submission loads the course's script, which finds each reflection's scheme
        page = api(lab, "GET", f"formgrader/submissions/{r['notebook']}/")
        assert page.status_code == 200 and "/syslead/grade/syslead-formgrader.js" in page.text
        assert f'id="{r["name"]}"' in page.text  # formgrader's own score box is still there
        script = api(lab, "GET", "syslead/grade/syslead-formgrader.js")
        assert script.status_code == 200 and "GradeUI.prototype.save" in script.text
        schemes = api(lab, "GET", f"syslead/grade/api/schemes/{tutor_cohort.ASSIGNMENT}/{r['notebook_name']}")
        assert schemes.status_code == 200
        c = Course.find(course)
        expected = {q.grade_id: q for q in questions(c, tutor_cohort.ASSIGNMENT) if q.notebook == r["notebook_name"]}
        assert set(schemes.json()) == set(expected) and r["name"] in expected
        for grade_id, q in expected.items():
            words = re.findall(r"[A-Za-z]{6,}", q.mark_scheme)
            assert words and all(w in schemes.json()[grade_id]["scheme_html"] for w in words[:5]), grade_id
            assert api(lab, "GET", schemes.json()[grade_id]["url"]).status_code == 200

        # a comment another tutor gave on the same question, to reuse
        other = other_comment(course, r)
        reused = "Name the stage of the model you used, and say what you would do differently."
        assert api(lab, "PUT", f"formgrader/api/comment/{other}", manual_comment=reused).status_code == 200

        # in Chromium: the banner, each reflection's mark scheme under its answer, and the sentence
        page, console = open_submission(chromium, lab, r)
        banner = page.locator("#syslead-grading-page a")
        assert banner.get_attribute("href") == "/syslead/grade"
        page.locator(".syslead-scheme").first.wait_for()
        assert page.locator(".syslead-scheme").count() == len(expected)
        cell = page.locator(".nbgrader_cell", has=page.locator(f"input.score[id='{r['name']}']"))
        scheme_text = cell.locator(".syslead-scheme").inner_text()
        assert all(w in scheme_text for w in re.findall(r"[A-Za-z]{6,}", expected[r["name"]].mark_scheme)[:5])
        link = cell.locator(".syslead-question-link").get_attribute("href")
        assert link == f"/syslead/grade/{tutor_cohort.ASSIGNMENT}/{r['name']}", link
        reuse = cell.locator(".syslead-reuse", has_text=reused)
        assert reuse.count() == 1
        reuse.click()
        assert cell.locator("textarea.comment").input_value() == reused
        wait_for(lambda: saved_comment(course, r) == reused)
        type_score(page, r, f"{too_many:g}")
        alert = page.locator("#syslead-message[role='alert']")
        alert.wait_for(state="visible")
        assert f"{too_many:g} is more than this answer's {points:g} points" in alert.inner_text()
        page.wait_for_function(f"() => Number(document.getElementById('{r['name']}').value) === {points - 1}")
        assert saved(course, r["id"]) == (points - 1, False)  # what was saved before, not the maximum
        type_score(page, r, f"{points:g}")  # a score that fits: saved, the sentence goes
        alert.wait_for(state="hidden")
        assert saved(course, r["id"]) == (points, False)
        errors = [e for e in console.errors if not OFFLINE_ONLY.search(e)]
        assert all("status of 400" in e for e in errors), errors  # only the refused save, reported by Chromium

        # "Ungraded only" on the list of the notebook's submissions: R's submission, now fully graded, goes
        for g in api(lab, "GET", f"formgrader/api/grades?submission_id={r['notebook']}").json():
            if g["needs_manual_grade"]:
                assert api(lab, "PUT", f"formgrader/api/grade/{g['id']}", manual_score="0").status_code == 200
        rows = api(lab, "GET", f"formgrader/api/submitted_notebooks/{tutor_cohort.ASSIGNMENT}/{r['notebook_name']}").json()
        waiting = sorted(x["id"] for x in rows if x["needs_manual_grade"])
        assert r["notebook"] not in waiting and len(rows) > len(waiting)
        page.goto(f"{lab.base}/formgrader/gradebook/{tutor_cohort.ASSIGNMENT}/{r['notebook_name']}")
        page.locator("#syslead-ungraded-only").wait_for()
        shown = "() => $('#main-table').parent().DataTable().rows({search: 'applied'}).count()"
        assert page.evaluate(shown) == len(rows)
        page.get_by_label("Ungraded only").check()
        assert page.evaluate(shown) == len(waiting)
        page.get_by_label("Ungraded only").uncheck()
        assert page.evaluate(shown) == len(rows)
        assert page.locator("#syslead-grading-page a").get_attribute("href") == "/syslead/grade"


def test_a_read_only_gradebook_gives_formgrader_a_sentence_and_loses_nothing(cohort, chromium):  # noqa: F811
    home, course = course_copy(cohort, "read-only")
    r = reflection(course)
    comment = comment_id(course, r)
    db = course / "gradebook.db"
    # read-only as sqlite sees it, for root too (root may write a file whatever its mode)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f'\nc.CourseDirectory.db_url = "sqlite:///file:{db}?mode=ro&uri=true"  # test: read-only\n')
    db.chmod(0o444)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with lab_server(course, home, learner=False, extra=SERVER) as lab:
        grades = api(lab, "GET", f"formgrader/api/grades?submission_id={r['notebook']}")
        assert grades.status_code == 200 and any(g["id"] == r["id"] for g in grades.json())  # the page loads
        for path, body in ((f"formgrader/api/grade/{r['id']}", {"manual_score": "1", "extra_credit": None}),
                           (f"formgrader/api/comment/{comment}", {"manual_comment": "Good."})):
            reply = api(lab, "PUT", path, **body)
            assert reply.status_code == 409, (path, reply.status_code, reply.text[:500])
            message = reply.json()["message"]
            assert "read-only" in message and str(db) in message and "nothing was lost" in message, message
            assert "restore" not in message and "\n" not in message
        # the server carries on: reading still works after the refused write
        assert api(lab, "GET", f"formgrader/api/grade/{r['id']}").json()["manual_score"] == r["manual"]
        # in Chromium: the sentence, and the save mark stops (no spinner); the box shows what is saved
        page, _ = open_submission(chromium, lab, r)
        type_score(page, r, "1")
        alert = page.locator("#syslead-message[role='alert']")
        alert.wait_for(state="visible")
        assert "read-only" in alert.inner_text() and "nothing was lost" in alert.inner_text()
        glyph = page.locator(".nbgrader_cell", has=page.locator(f"input.score[id='{r['name']}']")).locator(".score-saved")
        assert "glyphicon-refresh" not in glyph.get_attribute("class") and "glyphicon-remove" in glyph.get_attribute("class")
        shows = "=== ''" if r["manual"] is None else f"!== '' && Number(v) === {r['manual']}"
        page.wait_for_function(f"() => {{ const v = document.getElementById('{r['name']}').value; return v {shows}; }}")
        # a comment that cannot be saved stays in its box, with the sentence
        typed = "A long comment the tutor would not want to type twice."
        box = page.locator(f"textarea[id='{r['name']}-comment']")
        box.fill(typed)
        box.press("Tab")  # formgrader saves a comment when its box changes
        page.wait_for_function("() => document.getElementById('syslead-message').textContent.includes('comment')")
        said = alert.inner_text()
        assert "still in its box" in said and "read-only" in said, said
        assert box.input_value() == typed
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def other_comment(course: Path, r: dict) -> str:
    """The id of another learner's comment box on R's question."""
    import tutor_cohort
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(tutor_cohort.ASSIGNMENT):
            if sub.student_id != r["learner"]:
                return gb.find_comment(r["name"], r["notebook_name"], tutor_cohort.ASSIGNMENT, sub.student_id).id
    pytest.fail("the demo cohort has one learner")


def saved_comment(course: Path, r: dict) -> str | None:
    import tutor_cohort
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_comment(r["name"], r["notebook_name"], tutor_cohort.ASSIGNMENT, r["learner"]).manual_comment


def wait_for(condition, seconds: float = 20) -> None:
    import time

    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"the page did not save within {seconds:g} s")
        time.sleep(0.2)


def comment_id(course: Path, r: dict) -> str:
    import tutor_cohort
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_comment(r["name"], r["notebook_name"], tutor_cohort.ASSIGNMENT, r["learner"]).id
