"""A cohort on a shared JupyterHub, with real Unix users, proven end to end.

The hub is set up with deploy/jupyterhub/'s own scripts, as its README says (tests/hubharness.py),
on localhost, with a tutor and three learners who are real Unix accounts (removed afterwards). The
whole term runs through the hub's REST API, each learner's own server (nbgrader's Assignments
handlers and the contents API, as JupyterLab uses them) and the formgrader service's API:

- the tutor generates and releases 01-systems-leadership; each learner's server fetches it;
- ada submits complete work, bo partial work, both on time; cy submits complete work after the due
  date; bo also tries to submit in ada's name;
- the tutor collects, autogrades, grades ada's first reflection, generates and releases feedback;
- each learner's server fetches their own feedback.

Then we check what each learner could reach as their own Unix user (as in a terminal on their server).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import time

import nbformat
import pytest
from conftest import ROOT
from hubharness import COURSE, CourseHub, json_of, ok, term_on_a_hub

pytestmark = pytest.mark.slow

NAME = "01-systems-leadership"
NOTEBOOK = f"{NAME}/{NAME}.ipynb"
TAG = "slhub"
ADA, BO, CY, TUTOR = (f"{TAG}-{n}" for n in ("ada", "bo", "cy", "tutor"))
REFLECTION = (
    "Ada's reflection: last spring our early-help referral form went out by email from the director to "
    "heads of service, and weeks later health visitors had never seen it. The message went down one line "
    "only; next time I will ask team leads and our practitioner forum to pass it on as well."
)
MARK = "early-help referral form"  # a phrase only ada's work contains
TUTOR_COMMENT = "A clear example; say what you would check after a week."


PROBE = """import json, os
probe = {{"pid1": open("/proc/1/cmdline", "rb").read().split(b"\\0")[0].decode(errors="replace"),
         "course": os.path.exists({course!r}), "gradebook": os.path.exists({course!r} + "/gradebook.db"),
         "home": os.path.expanduser("~"), "env": sorted(os.environ)}}
try:
    probe["env1"] = open("/proc/1/environ", "rb").read().decode(errors="replace")
except OSError as error:
    probe["env1"] = "unreadable %d" % error.errno
try:
    open({course!r} + "/planted-by-cy.txt", "w").write("x")
    probe["planted"] = True
except OSError as error:
    probe["planted"] = error.errno
print("SANDBOX-PROBE " + json.dumps(probe))
"""


def source_cells() -> list:
    return nbformat.read(str(ROOT / "source" / NAME / f"{NAME}.ipynb"), as_version=4).cells


def solutions() -> dict[str, str]:
    """Each quick question's answer cell as the source solves it."""
    return {
        c.metadata["nbgrader"]["grade_id"]: re.sub(r"### (BEGIN|END) SOLUTION\n?", "", c.source)
        for c in source_cells()
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    }


def auto_points() -> float:
    return sum(c.metadata["nbgrader"]["points"] for c in source_cells()
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))


def answered(nb: dict, answers: dict[str, str], reflection: str | None) -> dict:
    """A fetched notebook (JSON from the contents API) with these answers typed in."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if cell["cell_type"] == "code" and meta["grade_id"] in answers:
            cell["source"] = answers[meta["grade_id"]]
        elif cell["cell_type"] == "markdown" and reflection:
            cell["source"] = reflection
    return nb


def learner_action(hub: CourseHub, name: str, action: str):
    return ok(hub.server(name, "POST", f"assignments/{action}", data={"course_id": COURSE, "assignment_id": NAME}))


@pytest.fixture(scope="module")
def cohort():
    """Run the whole term once; the tests below check what happened."""
    with term_on_a_hub(TAG, ("ada", "bo", "cy"), ("tutor",), run_the_term) as term:
        yield term


def run_the_term(hub: CourseHub, seen: dict) -> None:
    learners = (ADA, BO, CY)
    seen["groups"] = {n: sorted(json_of(hub.hub_api(n, "GET", f"/users/{n}"))["groups"]) for n in (*learners, TUTOR)}

    # The tutor's own server lists the course and links to its formgrader (tutor extension set).
    hub.start_server(TUTOR)
    seen["tutor_courses"] = ok(hub.server(TUTOR, "GET", "formgraders"))["value"]

    # 1. The tutor makes the learner version and releases it, through the formgrader service.
    seen["generate"] = ok(hub.formgrader(TUTOR, "POST", f"api/assignment/{NAME}/assign"))
    seen["release"] = ok(hub.formgrader(TUTOR, "POST", f"api/assignment/{NAME}/release"))

    # 2. Each learner's own server fetches it.
    for name in learners:
        hub.start_server(name)
        listed = learner_action(hub, name, "fetch")
        seen.setdefault("fetched", {})[name] = [a["status"] for a in listed["value"] if a["assignment_id"] == NAME]
    seen["learner_formgrader_list"] = hub.server(ADA, "GET", "formgraders").status_code

    def write(name: str, answers: dict[str, str], reflection: str | None) -> None:
        nb = json_of(hub.server(name, "GET", f"api/contents/{NOTEBOOK}"))["content"]
        body = {"type": "notebook", "format": "json", "content": answered(nb, answers, reflection)}
        json_of(hub.server(name, "PUT", f"api/contents/{NOTEBOOK}", json=body))

    every = solutions()
    write(ADA, every, REFLECTION)
    first = sorted(every)[0]
    write(BO, {first: every[first]}, None)  # partial: one quick question, no reflection
    write(CY, every, "Cy's reflection, written after the due date.")
    # cy's work also carries a cell that probes where the grader runs it (issue 23: formgrader's Autograde must
    # run learner code only in the sandbox): it tries the course folder, the gradebook and the grader's secrets.
    course_dir = hub.home(hub.grader) / COURSE
    nb = json_of(hub.server(CY, "GET", f"api/contents/{NOTEBOOK}"))["content"]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": PROBE.format(course=str(course_dir))})
    json_of(hub.server(CY, "PUT", f"api/contents/{NOTEBOOK}", json={"type": "notebook", "format": "json", "content": nb}))

    # 3. ada and bo submit on time from their servers. bo then also submits an empty copy in ada's
    #    name, as anyone can with `nbgrader submit --student` (switching off the hub's course check,
    #    which runs on bo's side and so is bo's to bypass).
    for name in (ADA, BO):
        seen.setdefault("submitted", {})[name] = learner_action(hub, name, "submit")
    bo_copy = hub.home(BO) / "impostor" / NAME
    attack = hub.as_unix_user(BO, "bash", "-c", f"mkdir -p {bo_copy.parent} && cp -r ~/{NAME} {bo_copy.parent}/ && "
                              f"cd {bo_copy.parent} && nbgrader submit {NAME} --student={ADA} "
                              "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin")
    seen["impostor_submit"] = attack
    inbound = hub.exchange / COURSE / "inbound"
    seen["inbound_before_due"] = sorted(p.name for p in inbound.iterdir())

    # 4. The tutor sets the due date to now; cy submits after it.
    time.sleep(1.1)
    due = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ok(hub.formgrader(TUTOR, "PUT", f"api/assignment/{NAME}", json={
        "duedate_notimezone": due.strftime("%Y-%m-%d %H:%M:%S"), "duedate_timezone": "+00:00"}))
    time.sleep(1.1)
    seen["submitted"][CY] = learner_action(hub, CY, "submit")

    # 5. The tutor collects and autogrades every submission.
    seen["collect"] = ok(hub.formgrader(TUTOR, "POST", f"api/assignment/{NAME}/collect"))
    for name in learners:
        seen.setdefault("autograde", {})[name] = ok(hub.formgrader(TUTOR, "POST", f"api/submission/{NAME}/{name}/autograde"))
    seen["after_autograde"] = {s["student"]: s for s in ok(hub.formgrader(TUTOR, "GET", f"api/submissions/{NAME}"))}

    # 6. The tutor grades ada's first reflection (3 of 4) with a comment.
    notebooks = ok(hub.formgrader(TUTOR, "GET", f"api/submitted_notebooks/{NAME}/{NAME}"))
    ada_nb = next(n for n in notebooks if n["student"] == ADA)
    grades = ok(hub.formgrader(TUTOR, "GET", "api/grades", params={"submission_id": ada_nb["id"]}))
    reflection = next(g for g in grades if g["name"] == "reflection-message")
    ok(hub.formgrader(TUTOR, "PUT", f"api/grade/{reflection['id']}", json={"manual_score": 3}))
    comments = ok(hub.formgrader(TUTOR, "GET", "api/comments", params={"submission_id": ada_nb["id"]}))
    comment = next(c for c in comments if c["name"] == "reflection-message")
    ok(hub.formgrader(TUTOR, "PUT", f"api/comment/{comment['id']}", json={"manual_comment": TUTOR_COMMENT}))
    seen["after_grading"] = {s["student"]: s for s in ok(hub.formgrader(TUTOR, "GET", f"api/submissions/{NAME}"))}

    # 7. Feedback: generated and released by the tutor, fetched by each learner's own server.
    seen["generate_feedback"] = ok(hub.formgrader(TUTOR, "POST", f"api/assignment/{NAME}/generate_feedback"))
    seen["release_feedback"] = ok(hub.formgrader(TUTOR, "POST", f"api/assignment/{NAME}/release_feedback"))
    for name in learners:
        learner_action(hub, name, "fetch_feedback")
        folder = json_of(hub.server(name, "GET", f"api/contents/{NAME}/feedback"))
        pages = []
        for stamp in folder["content"]:
            inner = json_of(hub.server(name, "GET", f"api/contents/{stamp['path']}"))["content"]
            pages += [json_of(hub.server(name, "GET", f"api/contents/{f['path']}"))["content"] for f in inner]
        seen.setdefault("feedback", {})[name] = pages

    course_dir = hub.home(hub.grader) / COURSE
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        seen["late_seconds"] = {n: gb.find_submission(NAME, n).total_seconds_late for n in learners}
    seen["collected_ada"] = (course_dir / "submitted" / ADA / NAME / f"{NAME}.ipynb").read_text()
    graded_cy = nbformat.read(str(course_dir / "autograded" / CY / NAME / f"{NAME}.ipynb"), as_version=4)
    printed = [o.get("text", "") for c in graded_cy.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    seen["probe"] = [json.loads(t.split("SANDBOX-PROBE ", 1)[1]) for t in printed if "SANDBOX-PROBE " in t]
    seen["planted"] = (course_dir / "planted-by-cy.txt").exists()
    runs = course_dir / ".syslead" / "sandbox-runs"
    seen["sandbox_runs"] = [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))] if runs.is_dir() else []


# --- the term -------------------------------------------------------------------------------------


def test_course_groups_follow_the_unix_groups(cohort):
    _, seen = cohort
    for name in (ADA, BO, CY):
        assert seen["groups"][name] == [f"nbgrader-{COURSE}"]
    assert seen["groups"][TUTOR] == [f"formgrade-{COURSE}", f"nbgrader-{COURSE}"]


def test_each_learner_fetches_the_released_assignment_from_their_own_server(cohort):
    hub, seen = cohort
    assert seen["release"]["success"]
    for name in (ADA, BO, CY):
        assert seen["fetched"][name] == ["fetched"]
        assert (hub.home(name) / NAME / f"{NAME}.ipynb").stat().st_uid == hub.home(name).stat().st_uid


def test_every_submission_is_collected_and_autograded(cohort):
    _, seen = cohort
    graded = seen["after_autograde"]
    auto = auto_points()
    assert auto > 0
    assert graded[ADA]["score"] == auto  # complete
    assert 0 < graded[BO]["score"] < auto  # partial
    assert graded[CY]["score"] == auto  # complete, late
    assert all(graded[name]["autograded"] for name in (ADA, BO, CY))
    # written reflections wait for a tutor; bo wrote none, and nbgrader scores an untouched answer 0
    assert graded[ADA]["needs_manual_grade"] and graded[CY]["needs_manual_grade"]
    assert not graded[BO]["needs_manual_grade"]


def test_the_late_submission_is_recorded_as_late(cohort):
    _, seen = cohort
    assert seen["late_seconds"][ADA] == 0 and seen["late_seconds"][BO] == 0
    assert seen["late_seconds"][CY] > 0


def test_the_tutors_reflection_grade_counts_and_reaches_only_its_learner(cohort):
    _, seen = cohort
    assert seen["after_grading"][ADA]["score"] == seen["after_autograde"][ADA]["score"] + 3
    assert seen["after_grading"][BO]["score"] == seen["after_autograde"][BO]["score"]
    ada_pages = seen["feedback"][ADA]
    assert len(ada_pages) == 1
    assert MARK in ada_pages[0]
    assert TUTOR_COMMENT in ada_pages[0]


def test_each_learner_fetches_their_own_feedback_and_nobody_elses(cohort):
    _, seen = cohort
    for name in (ADA, BO, CY):
        assert len(seen["feedback"][name]) == 1, name
    for name in (BO, CY):
        page = seen["feedback"][name][0]
        assert MARK not in page and TUTOR_COMMENT not in page
    assert "written after the due date" in seen["feedback"][CY][0]


def test_the_tutor_reaches_the_formgrader_from_their_course_list(cohort):
    hub, seen = cohort
    assert [c["course_id"] for c in seen["tutor_courses"]] == [COURSE]
    assert seen["tutor_courses"][0]["url"].endswith(f"/services/{COURSE}/lab?formgrader=true")
    assert hub.formgrader(TUTOR, "GET", "api/status").json() == {"status": True}


# --- what a learner cannot do ---------------------------------------------------------------------


def test_a_learner_cannot_reach_the_formgrader(cohort):
    hub, seen = cohort
    assert hub.formgrader(BO, "GET", "api/status").status_code == 403
    assert hub.formgrader(BO, "GET", f"api/submissions/{NAME}").status_code == 403
    assert hub.formgrader(BO, "POST", f"api/assignment/{NAME}/release_feedback").status_code == 403
    # nor by going round the proxy to the service's own port
    direct = hub.as_user(BO).get(f"http://127.0.0.1:{hub.formgrader_port}/services/{COURSE}/formgrader/api/status",
                                 timeout=30, allow_redirects=False)
    assert direct.status_code == 403
    # and their own server has no formgrader or course list (learner extension set)
    assert hub.server(BO, "GET", "formgrader").status_code == 404
    assert seen["learner_formgrader_list"] == 404
    # nor can they open the gradebook or the course folder
    denied = hub.as_unix_user(BO, "cat", str(hub.home(hub.grader) / COURSE / "gradebook.db"))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr


def test_a_learner_cannot_read_another_learners_work_or_submission(cohort):
    hub, _ = cohort
    inbound = hub.exchange / COURSE / "inbound"
    listing = hub.as_unix_user(BO, "ls", str(inbound))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    found = hub.as_unix_user(BO, "bash", "-c", f"ls -d {inbound}/{ADA}+* 2>/dev/null | wc -l")
    assert found.stdout.strip() == "0"
    for path in (hub.home(ADA) / NOTEBOOK, hub.home(ADA) / ".local" / "share" / "jupyter" / "nbgrader_cache"):
        denied = hub.as_unix_user(BO, "ls", str(path))
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, path
    # another learner's server is closed to bo's token too
    assert hub.server(ADA, "GET", "api/contents").status_code == 200
    assert hub.as_user(BO).get(f"{hub.url}/user/{ADA}/api/contents", timeout=30, allow_redirects=False).status_code == 403
    # submission folders carry a random part, so their names cannot be guessed
    names = [p.name for p in inbound.iterdir()]
    assert names and all(re.fullmatch(rf"{TAG}-\w+\+{NAME}\+[^+]+\+[\w-]{{12}}", n) for n in names)


def test_a_submission_in_another_learners_name_is_not_collected(cohort):
    hub, seen = cohort
    assert seen["impostor_submit"].returncode == 0, seen["impostor_submit"].stderr
    ada_folders = [n for n in seen["inbound_before_due"] if n.startswith(f"{ADA}+")]
    assert len(ada_folders) == 2  # ada's own, and bo's in her name
    inbound = hub.exchange / COURSE / "inbound"
    (own,) = [n for n in ada_folders if (inbound / n).stat().st_uid == hub.home(ADA).stat().st_uid]
    (impostor,) = [n for n in ada_folders if n != own]
    assert (inbound / impostor).stat().st_uid == hub.home(BO).stat().st_uid
    assert impostor.split("+")[2] > own.split("+")[2]  # bo's is newer: plain `nbgrader collect` would take it
    assert "someone submitted in another learner's name" in seen["collect"]["log"]
    assert MARK in seen["collected_ada"]  # ada's own work was collected, not bo's copy
    assert seen["after_autograde"][ADA]["score"] == auto_points()


def test_a_learner_cannot_read_or_overwrite_another_learners_feedback(cohort):
    hub, _ = cohort
    feedback = hub.exchange / COURSE / "feedback"
    listing = hub.as_unix_user(BO, "ls", str(feedback))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    # Even told the name of ada's feedback file, bo cannot change or replace it.
    ada_page = next(p for p in feedback.iterdir() if MARK in p.read_text())
    for command in (f"echo changed >> {ada_page}", f"echo changed > {ada_page}.new && mv {ada_page}.new {ada_page}",
                    f"rm -f {ada_page}"):
        attempt = hub.as_unix_user(BO, "bash", "-c", command)
        assert attempt.returncode != 0, command
    assert "changed" not in ada_page.read_text()
    # Asking for ada's feedback in her name brings bo nothing of hers.
    hub.as_unix_user(BO, "bash", "-c", f"cd ~ && nbgrader fetch_feedback {NAME} --student={ADA} "
                     "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin")
    pages = hub.as_unix_user(BO, "bash", "-c", f"cat ~/{NAME}/feedback/*/*.html").stdout
    assert pages and MARK not in pages


# --- issue 23: formgrader's Autograde runs learner code only in the sandbox -------------------------------


def test_formgraders_autograde_runs_learner_code_only_in_the_sandbox(cohort):
    """The tutor pressed Autograde in the formgrader (its REST API, as the formgrader page calls it) for cy,
    whose notebook probes where it runs: in the grading sandbox its first process is bubblewrap, the course
    folder and gradebook do not exist, nothing can be planted, and none of the grader's secrets is there."""
    hub, seen = cohort
    [probe] = seen["probe"]
    assert os.path.basename(probe["pid1"]) == "bwrap", probe
    assert probe["course"] is False and probe["gradebook"] is False, probe
    assert probe["planted"] is not True and seen["planted"] is False
    assert probe["home"] == "/home/learner"
    assert not any("TOKEN" in k or k.startswith(("JUPYTERHUB", "SYSLEAD_HUB")) for k in probe["env"]), probe["env"]
    assert "JUPYTERHUB" not in probe["env1"] and "TOKEN" not in probe["env1"], probe["env1"]
    # the sandbox's own record of each run, one per learner the formgrader graded
    graded = {r["submission"].split(os.sep)[1] for r in seen["sandbox_runs"] if r.get("submission")}
    assert {ADA, BO, CY} <= graded, seen["sandbox_runs"]
    assert all(r["mode"] == "user namespace" for r in seen["sandbox_runs"])  # the grader is not root
    assert seen["after_autograde"][CY]["score"] == auto_points()  # the probe changes nothing of cy's score
