"""Reflection circles on the course's JupyterHub, with eight real Unix accounts (removed afterwards).

The hub is set up by deploy/jupyterhub's own scripts (tests/hubharness.py). Each learner works in their
own server, as JupyterLab does (nbgrader's Assignments handlers, the contents API); the tutor runs syslead
and nbgrader in a terminal of the formgrader's Lab (the grader account, with that server's environment). The whole loop: opt in, submit,
collect, form circles, release, fetch, reply, submit, collect, return, fetch the replies. What each
learner can read is checked as that learner: nobody reads a circle but their own, or the replies to
another's reflection, and the learner who did not opt in has no words in anybody else's files.
"""

from __future__ import annotations

import json
import pwd
import re
import subprocess
from pathlib import Path

import pytest
from hubharness import COURSE, RUNUSER, CourseHub, json_of, ok, term_on_a_hub

from syslead.learner.sharing import OPT_IN_TEXT, opt_in_cell

pytestmark = pytest.mark.slow

NAME = "02-systems-innovation"
TAG = "slcirc"
PEOPLE = ("ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal")
LEARNERS = tuple(f"{TAG}-{p}" for p in PEOPLE)
SHARERS = LEARNERS[:7]
QUIET = LEARNERS[7]  # submits, does not opt in
SECRET = "hal-kept-this-reflection-private"


def words(learner: str) -> str:
    return SECRET if learner == QUIET else f"{learner} wrote this: our referral cascade stalled at the second tier."


def must(proc, what: str) -> str:
    assert proc.returncode == 0, f"{what} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def opt_in(learner: str):
    def change(nb: dict) -> None:
        cells = nb["cells"]
        reflections = [c for c in cells if c["cell_type"] == "markdown" and c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        for cell in reflections:
            cell["source"] = words(learner)
        first = reflections[0]
        rid = first["metadata"]["nbgrader"]["grade_id"]
        if not any(c.get("metadata", {}).get("syslead", {}).get("share") == rid for c in cells):
            cells.insert(cells.index(first) + 1, json.loads(json.dumps(opt_in_cell(rid))))
        cell = next(c for c in cells if c.get("metadata", {}).get("syslead", {}).get("share") == rid)
        cell["source"] = OPT_IN_TEXT.replace("circle?** no", f"circle?** {'no' if learner == QUIET else 'yes'}")
    return change


def reply_as(learner: str):
    def change(nb: dict) -> None:
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("syslead", {}).get("reply_to"):
                cell["source"] = (f"**What I noticed:** {learner} saw the second tier.\n\n"
                                  f"**A question I would ask you:** who heard it first?\n\n"
                                  f"**Something I would try in my own service:** a practitioner forum.")
    return change


@pytest.fixture(scope="module")
def term():
    with term_on_a_hub(TAG, PEOPLE, ("tutor",), run_the_loop, log_chars=4000) as played:
        yield played


def formgrader_environment(hub: CourseHub) -> dict[str, str]:
    """The environment of the formgrader's own server: what a tutor's terminal in it has."""
    for pid in CourseHub.pids_of(pwd.getpwnam(hub.grader).pw_uid):
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        env = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
        if "JUPYTERHUB_API_TOKEN" in env:
            return env
    raise AssertionError("the formgrader service is not running")


def run_the_loop(hub: CourseHub, seen: dict) -> None:
    hub.start_server(f"{TAG}-tutor")
    ok(hub.formgrader(f"{TAG}-tutor", "GET", "api/assignments"))  # the service is up
    env = formgrader_environment(hub)
    course_dir = hub.home(hub.grader) / COURSE

    def tutor(command: str) -> str:
        """A command in a terminal of the formgrader's Lab (the grader account, in the course folder)."""
        proc = subprocess.run([RUNUSER, "-u", hub.grader, "--", "bash", "-c", command], env=env, cwd=course_dir,
                              capture_output=True, text=True, timeout=600)
        return must(proc, command)

    def action(name: str, verb: str, assignment: str):
        return ok(hub.server(name, "POST", f"assignments/{verb}", data={"course_id": COURSE, "assignment_id": assignment}))

    def edit(name: str, path: str, change) -> None:
        nb = json_of(hub.server(name, "GET", f"api/contents/{path}"))["content"]
        change(nb)
        json_of(hub.server(name, "PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": nb}))

    tutor(f"nbgrader generate_assignment {NAME} --force && nbgrader release_assignment {NAME} --force")
    for i, name in enumerate(LEARNERS):
        tutor(f"nbgrader db student add {name} --first-name={PEOPLE[i].capitalize()} --last-name=Surname")
    for name in LEARNERS:
        hub.start_server(name)
        action(name, "fetch", NAME)
        edit(name, f"{NAME}/{NAME}.ipynb", opt_in(name))
        action(name, "submit", NAME)
    tutor(f"nbgrader collect {NAME}")
    seen["formed"] = tutor(f"syslead circles {NAME} --size 3 --seed 5")
    seen["released"] = tutor(f"syslead circles {NAME} --release")
    seen["released_again"] = tutor(f"syslead circles {NAME} --release")
    plan = json.loads((course_dir / "circles" / NAME / "plan.json").read_text())
    seen["plan"] = plan
    circle_ids = [f"{NAME}-circle-{i + 1}" for i in range(len(plan["circles"]))]
    outbound = hub.exchange / COURSE / "outbound"
    seen["can_read"], seen["listed"], seen["secret_found"] = {}, {}, {}
    for name in LEARNERS:  # as each learner: a terminal on their server, and their Assignments tab
        seen["can_read"][name] = [aid for aid in circle_ids
                                  if hub.as_unix_user(name, "bash", "-c", f"cat {outbound / aid}/*.ipynb").returncode == 0]
        listed = ok(hub.server(name, "GET", "assignments", params={"course_id": COURSE}))["value"]
        seen["listed"][name] = sorted(a["assignment_id"] for a in listed if "-circle-" in a["assignment_id"])
        found = hub.as_unix_user(name, "bash", "-c", f"grep -rl {SECRET} ~ {outbound} 2>/dev/null")
        seen["secret_found"][name] = [p for p in found.stdout.splitlines() if p]
    for i, members in enumerate(plan["circles"]):
        for name in members:
            action(name, "fetch", circle_ids[i])
            edit(name, f"{circle_ids[i]}/{circle_ids[i]}.ipynb", reply_as(name))
            action(name, "submit", circle_ids[i])
    outsider = next(n for n in SHARERS if n not in plan["circles"][0])
    seen["outsider_fetch"] = hub.as_unix_user(outsider, "bash", "-c", f"cp -r {outbound / circle_ids[0]} /tmp/{outsider}-x")
    seen["replies"] = tutor(f"syslead circles {NAME} --replies")
    first_id = re.search(r"^([0-9a-f]{8})\s", seen["replies"], flags=re.M).group(1)
    seen["held"] = first_id
    tutor(f"syslead circles {NAME} --hold-reply {first_id}")
    seen["returned"] = tutor(f"syslead circles {NAME} --return")
    seen["returned_again"] = tutor(f"syslead circles {NAME} --return")
    plan = json.loads((course_dir / "circles" / NAME / "plan.json").read_text())
    seen["plan_after"] = plan
    seen["got"] = {}
    for name in SHARERS:
        aid = f"{NAME}-replies-{plan['codes'][name]}"
        action(name, "fetch", aid)
        nb = json_of(hub.server(name, "GET", f"api/contents/{aid}/{aid}.ipynb"))["content"]
        seen["got"][name] = [c["metadata"]["syslead"]["reply"] for c in nb["cells"]
                             if "reply" in c.get("metadata", {}).get("syslead", {})]
    # The journal, as each author makes it on their own server: the replies beside the reflection they answer.
    seen["journal"] = {}
    for name in SHARERS[:2]:
        must(hub.as_unix_user(name, "bash", "-c", "cd ~ && syslead journal . --out journal"), f"{name} journal")
        seen["journal"][name] = (hub.home(name) / "journal" / "my-journal.html").read_text(encoding="utf-8")
    other = SHARERS[1]
    seen["steal_replies"] = hub.as_unix_user(SHARERS[0], "bash", "-c",
                                             f"cat {outbound}/{NAME}-replies-{plan['codes'][other]}/*.ipynb")
    seen["status"] = tutor(f"syslead circles {NAME} --status")


def test_circles_are_formed_from_the_reflections_shared_and_the_others_are_named(term):
    _, seen = term
    plan = seen["plan"]
    assert sorted(plan["shared"]) == sorted(SHARERS)
    assert plan["left_out"] == {QUIET: "did not choose to share a reflection"}
    assert sorted(len(c) for c in plan["circles"]) == [3, 4]
    assert "Ann" in json.dumps(plan["shared"]) and "Surname" not in json.dumps(plan["shared"])
    assert f"{QUIET}: did not choose to share a reflection" in seen["formed"]
    assert "Nothing changed" in seen["released_again"]


def test_each_learner_reads_and_lists_their_own_circle_only(term):
    _, seen = term
    plan = seen["plan"]
    for name in SHARERS:
        i = next(k for k, c in enumerate(plan["circles"]) if name in c)
        assert seen["can_read"][name] == [f"{NAME}-circle-{i + 1}"], name
        assert seen["listed"][name] == [f"{NAME}-circle-{i + 1}"], name
    assert seen["can_read"][QUIET] == [] and seen["listed"][QUIET] == []
    assert seen["outsider_fetch"].returncode != 0 and "Permission denied" in seen["outsider_fetch"].stderr


def test_the_learner_who_did_not_opt_in_has_no_words_in_anyone_elses_files(term):
    hub, seen = term
    for name in SHARERS:
        assert seen["secret_found"][name] == [], name
    own = seen["secret_found"][QUIET]
    assert str(hub.home(QUIET) / NAME / f"{NAME}.ipynb") in own  # the search itself finds the words
    assert all(p.startswith(str(hub.home(QUIET)) + "/") for p in own), own


def test_replies_go_back_to_their_authors_held_ones_never_and_nothing_twice(term):
    _, seen = term
    plan = seen["plan_after"]
    total = sum(len(c) * (len(c) - 1) for c in plan["circles"])
    assert f"{total} replies read." in seen["replies"]
    assert sum(len(v) for v in seen["got"].values()) == total - 1
    for name, replies in seen["got"].items():
        circle = next(c for c in plan["circles"] if name in c)
        assert len(replies) in (len(circle) - 1, len(circle) - 2)
        assert all("saw the second tier" in r["noticed"] and r["from"] for r in replies)
    assert "No new replies" in seen["returned_again"]
    assert "1 held replies were not sent." in seen["returned"]
    assert seen["steal_replies"].returncode != 0  # another author's replies cannot be read


def test_each_authors_journal_keeps_the_replies_beside_their_reflection(term):
    _, seen = term
    for name, page in seen["journal"].items():
        assert "Replies from my reflection circle" in page, name
        assert page.count("saw the second tier") == len(seen["got"][name]), name
        assert "conversation-guides.html#" in page


def test_the_tutor_sees_who_shared_and_who_replied(term):
    _, seen = term
    for name in SHARERS:
        assert re.search(rf"^{name}: shared; replied [23]; received [123]", seen["status"], flags=re.M), seen["status"]
    assert f"{QUIET}: did not share (did not choose to share a reflection)" in seen["status"]
