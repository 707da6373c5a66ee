"""Reflection circles on one machine, through the course's own nbgrader exchange.

Eight learners fetch reading 2, write their reflections, choose (or not) to share one in the opt-in cell
under it, and submit; the tutor collects, forms circles, releases them; each member fetches their circle,
answers the others, submits; the tutor reads the replies, holds one back and returns the rest; each author
fetches the replies to their reflection. Second runs send nothing twice; a withdrawn reflection is never
shown. (tests/integration/test_hub.py runs the same loop with real accounts on the course's JupyterHub.)
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from syslead.errors import CourseError
from syslead.learner.sharing import OPT_IN_TEXT, opt_in_cell
from syslead.tutor import circles
from syslead.tutor.course import Course, load_config

pytestmark = pytest.mark.slow

ASSIGNMENT = "02-systems-innovation"
LEARNERS = [f"learner{i}" for i in range(1, 9)]
SHARERS = LEARNERS[:6]  # learner7 submits but does not share; learner8 never submits
SECRET = "learner7-private-words-that-must-not-travel"


def reflection_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]


def write_and_opt_in(path: Path, learner: str, share: bool, name: str = "") -> None:
    """What a learner does in the notebook: write the reflections; under the first, say yes or no."""
    nb = nbformat.read(str(path), as_version=4)
    cells = reflection_cells(nb)
    for i, cell in enumerate(cells):
        words = SECRET if learner == "learner7" else f"{learner} reflects on reflection {i}: the cascade stalled."
        cell.source = words
    first = cells[0]
    at = nb.cells.index(first)
    if not any(c.metadata.get("syslead", {}).get("share") for c in nb.cells):  # today's notebooks lack the cell
        nb.cells.insert(at + 1, opt_in_cell(first.metadata["nbgrader"]["grade_id"]))
    optin = next(c for c in nb.cells if c.metadata.get("syslead", {}).get("share") == first.metadata["nbgrader"]["grade_id"])
    text = OPT_IN_TEXT.replace("circle?** no", f"circle?** {'yes' if share else 'no'}")
    optin.source = text.replace("first name):", f"first name): {name}") if name else text
    nbformat.write(nb, str(path))


class OneMachine:
    """The course in a folder with its own exchange; learners are homes on this one account."""

    def __init__(self, root: Path, tmp: Path):
        self.root, self.tmp = root, tmp
        self.config = load_config(root)
        self.config.Exchange.root = str(root / "exchange")
        self.config.Exchange.cache = str(tmp / "cache")
        self.config.CollectApp.check_owner = False
        self.course = Course(root, self.config)
        self.log = logging.getLogger("test.circles")

    def home(self, learner: str) -> Path:
        path = self.tmp / "homes" / learner
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _coursedir(self, assignment: str, learner: str):
        cd = self.course.coursedir()
        cd.assignment_id, cd.student_id = assignment, learner
        return cd

    def fetch(self, learner: str, assignment: str) -> Path:
        from nbgrader.auth import Authenticator
        from nbgrader.exchange.default import ExchangeFetchAssignment

        fetch = ExchangeFetchAssignment(coursedir=self._coursedir(assignment, learner),
                                        authenticator=Authenticator(config=self.config), config=self.config, log=self.log)
        fetch.assignment_dir = str(self.home(learner))
        fetch.start()
        return self.home(learner) / assignment

    def submit(self, learner: str, assignment: str) -> None:
        from nbgrader.auth import Authenticator
        from nbgrader.exchange.default import ExchangeSubmit

        submit = ExchangeSubmit(coursedir=self._coursedir(assignment, learner),
                                authenticator=Authenticator(config=self.config), config=self.config, log=self.log)
        submit.assignment_dir = str(self.home(learner))
        submit.start()


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    from nbgrader.apps import NbGraderAPI

    from syslead.tutor.collect import collect
    from syslead.tutor.demo import copy_course

    tmp = tmp_path_factory.mktemp("circles")
    root = tmp / "course"
    copy_course(ROOT, root)
    m = OneMachine(root, tmp)
    (root / "exchange").mkdir()
    api = NbGraderAPI(config=m.config)
    assert api.generate_assignment(ASSIGNMENT, force=True, create=True)["success"]
    with m.course.gradebook() as gb:
        for learner in LEARNERS:
            gb.update_or_create_student(learner, first_name=learner.capitalize(), last_name="Example")
    assert api.release_assignment(ASSIGNMENT)["success"]
    for learner in LEARNERS[:-1]:
        folder = m.fetch(learner, ASSIGNMENT)
        write_and_opt_in(next(folder.glob("*.ipynb")), learner, share=learner in SHARERS,
                         name="Robin" if learner == "learner2" else "")
        m.submit(learner, ASSIGNMENT)
    collect(ASSIGNMENT, course=m.course, quiet=True)
    return m


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*.ipynb"))


def test_the_whole_loop_on_one_machine(machine):
    course = machine.course
    plan, notes = circles.plan_circles(course, ASSIGNMENT, size=3, seed=11)
    plan.save(course)
    assert sorted(plan.shared) == SHARERS
    assert plan.left_out == {"learner7": "did not choose to share a reflection", "learner8": "did not submit"}
    assert sorted(len(c) for c in plan.circles) == [3, 3]
    assert plan.shared["learner2"]["name"] == "Robin" and plan.shared["learner1"]["name"] == "Learner1"

    done = circles.release(course, ASSIGNMENT)
    assert len(done) == 2 and all("one account for everybody" in d for d in done)
    assert circles.release(course, ASSIGNMENT)[0].startswith("Nothing changed")  # never sent twice

    outbound = Path(machine.config.Exchange.root) / course.course_id / "outbound"
    for i, members in enumerate(plan.circles):
        text = all_text(outbound / plan.circle_id(i))
        assert SECRET not in text  # learner7 did not opt in: their words are in no circle
        for learner in SHARERS:  # only this circle's reflections
            assert (f"{learner} reflects" in text) == (learner in members)
        assert "learner8" not in text and "Example" not in text  # no ids of non-members, no surnames

    # Each member answers the others' reflections, in the reply boxes, and submits.
    for i, members in enumerate(plan.circles):
        for member in members:
            folder = machine.fetch(member, plan.circle_id(i))
            path = next(folder.glob("*.ipynb"))
            nb = nbformat.read(str(path), as_version=4)
            for cell in nb.cells:
                token = cell.metadata.get("syslead", {}).get("reply_to")
                if token and token != circles.reflection_token(plan, member, next(iter(plan.shared[member]["reflections"]))):
                    cell.source = cell.source.replace("What I noticed:** ", f"What I noticed:** {member} noticed the stall", 1)
                    cell.source = cell.source.replace("ask you:** ", "ask you:** who did you tell first?", 1)
            nbformat.write(nb, str(path))
            machine.submit(member, plan.circle_id(i))

    replies, notes = circles.collect_replies(course, ASSIGNMENT)
    assert notes == []
    assert len(replies) == sum(len(c) * (len(c) - 1) for c in plan.circles)  # everyone answered everyone else
    assert all(r.replier != r.author and plan.circle_of(r.replier) == plan.circle_of(r.author) for r in replies)
    held = replies[0]
    print(circles.hold_reply(course, ASSIGNMENT, held.id))

    sent = circles.return_replies(course, ASSIGNMENT)
    assert len([s for s in sent if "replies in" in s]) == len(SHARERS) and "1 held replies were not sent." in sent
    again = circles.return_replies(course, ASSIGNMENT)
    assert again[0].startswith("No new replies")  # a second run sends nothing twice

    plan = circles.Plan.load(course, ASSIGNMENT)
    for author in SHARERS:
        code = plan.codes[author]
        folder = machine.fetch(author, f"{ASSIGNMENT}-replies-{code}")
        nb = nbformat.read(str(next(folder.glob("*.ipynb"))), as_version=4)
        got = [c.metadata["syslead"]["reply"] for c in nb.cells if "reply" in c.metadata.get("syslead", {})]
        expected = [r for r in replies if r.author == author and r.id != held.id]
        assert len(got) == len(expected) and all("noticed the stall" in g["noticed"] for g in got)
        assert f"{author} reflects" in nb.cells[1].source  # their own reflection, with the replies under it
        if author == held.author:
            assert not any(held.replier + " noticed" in g["noticed"] for g in got)  # the held reply never arrives
        # the learner's journal shows the replies beside the reflection they answer
        from syslead.learner.journal import collect as journal_of

        shared_id = next(iter(plan.shared[author]["reflections"]))
        mine = next(r for r in journal_of(machine.home(author)).reflections if r.grade_id == shared_id)
        assert len(mine.replies) == len(expected) and all("noticed the stall" in r["noticed"] for r in mine.replies)

    status = circles.participation(course, ASSIGNMENT)
    assert status["learner7"]["shared"] is False and status["learner8"]["why_not"] == "did not submit"
    assert all(status[m]["replied"] == len(plan.circles[plan.circle_of(m)]) - 1 for m in SHARERS)
    assert sum(status[m]["received"] for m in SHARERS) == len(replies) - 1

    # The export carries participation as a column, and the tutor dashboard shows it.
    import pandas as pd

    from syslead.tutor import dashboard, export

    rows = {r.student_id: r for r in export.rows(course, [ASSIGNMENT])}
    assert rows["learner7"].circles == "did not share" and rows["learner8"].circles == "did not share"
    for m in SHARERS:
        assert rows[m].circles == f"shared; replied {status[m]['replied']}; received {status[m]['received']}"
    cohort = dashboard.Cohort(course.root, pd.DataFrame({"assignment": [ASSIGNMENT]}), pd.DataFrame(), pd.DataFrame())
    table = dashboard.circles_table(cohort)
    assert sorted(table["learner"]) == sorted(LEARNERS)
    assert set(table.loc[table["shared"] == "yes", "learner"]) == set(SHARERS)
    assert table.loc[table["learner"] == "learner8", "why not in a circle"].item() == "did not submit"


def test_a_withdrawn_reflection_is_taken_out_before_release(machine, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(machine.root, root, ignore=shutil.ignore_patterns("circles"))
    course = Course(root, machine.config)
    plan, _ = circles.plan_circles(course, ASSIGNMENT, size=3, seed=11)
    plan.save(course)
    # learner3 withdraws: a new submission that says no replaces the old one when the tutor collects again
    path = next((root / "submitted" / "learner3" / ASSIGNMENT).glob("*.ipynb"))
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("syslead", {}).get("share"):
            cell.source = OPT_IN_TEXT
    nbformat.write(nb, str(path))
    plan, notes = circles.plan_circles(course, ASSIGNMENT)
    assert "learner3" not in plan.shared and plan.circle_of("learner3") is None
    assert any("learner3 withdrew" in n for n in notes)
    for i in range(len(plan.circles)):
        assert "learner3 reflects" not in json.dumps(circles.circle_notebook(course, plan, i))


def test_bad_input_gets_one_sentence_and_loses_nothing(machine, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(machine.root, root, ignore=shutil.ignore_patterns("circles"))
    course = Course(root, machine.config)
    with pytest.raises(CourseError, match="have not been formed yet"):
        circles.release(course, ASSIGNMENT)
    plan, _ = circles.plan_circles(course, ASSIGNMENT, size=3, seed=11)
    with pytest.raises(CourseError, match="no shared reflection"):
        circles.move(plan, "learner7", 1)
    with pytest.raises(CourseError, match="There is no circle 9"):
        circles.move(plan, "learner1", 9)
    # a circle of one is refused at release, with the way out
    lonely = plan.circles[0][0]
    for other in plan.circles[0][1:]:
        circles.move(plan, other, 2)
    plan.save(course)
    with pytest.raises(CourseError, match="has one member"):
        circles.release(course, ASSIGNMENT)
    assert circles.move(plan, lonely, 2).endswith("circle 2.")
    # a broken reply notebook is named, and the others are still read
    member = plan.circles[1][0]
    broken = root / "circles" / "submitted" / member / plan.circle_id(1)
    broken.mkdir(parents=True)
    (broken / "renamed.ipynb").write_text("{ not json")
    plan.save(course)
    replies, notes = circles.collect_replies(course, ASSIGNMENT)
    assert notes == [f"{member}'s reply notebook renamed.ipynb is not a readable notebook (broken JSON): ask them "
                     f"to submit it again."]
