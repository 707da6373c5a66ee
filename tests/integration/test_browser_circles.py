"""A reflection circle's notebook in a real JupyterLab (learner setup, Debian's Chromium): it reads as prose,
a learner answers a reflection by typing in the reply box, saves, and the tutor's tools read the reply in
its three parts. axe-core finds no serious problem in it. The screenshot is the one docs/circles.md shows
(refreshed with SYSLEAD_REFRESH_SCREENSHOTS=1)."""

from __future__ import annotations

import nbformat
import pytest
from browser_lab import (
    NOTEBOOK,
    chromium,  # noqa: F401 - a fixture
    inject_axe,
    lab_server,
    new_page,
    notebook_cells,
    run_cell,
    save,
    screenshot,
    set_cell_text,
    wait_for_notebook,
)
from conftest import copy_course
from test_browser_a11y import AXE_RUN, CONTENT, OURS

from syslead.learner.sharing import read_reply
from syslead.tutor import circles
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-systems-leadership"


def a_circle(course: Course):
    plan = circles.Plan(ASSIGNMENT, seed=3, size=3, circles=[["amira", "ben", "chloe"]])
    texts = {
        "amira": "When our director emailed the new referral pathway to heads of service, health visitors "
                 "heard about it weeks later from a family. The message went down one line only.",
        "ben": "I tried a practitioner forum instead of a cascade. Three people came; two of them told their "
               "teams, and those teams asked better questions than I had.",
        "chloe": "I was the bottleneck: every change waited for my sign-off, and I felt proud of being careful.",
    }
    names = {"amira": "Amira", "ben": "Ben", "chloe": "Chloe"}
    for m in plan.circles[0]:
        plan.shared[m] = {"name": names[m], "reflections": {"reflection-message": texts[m]}, "help": "", "held": []}
    plan.shared["ben"]["help"] = "How would you get a fourth person to come?"
    return plan, circles.circle_notebook(course, plan, 0)


def test_a_learner_answers_a_circle_reflection_in_the_browser(tmp_path, chromium):  # noqa: F811
    course_root = copy_course(tmp_path / "course")
    plan, nb = a_circle(Course.find(course_root))
    folder = tmp_path / "home-of-ben"
    folder.mkdir()
    name = f"{plan.circle_id(0)}.ipynb"
    nbformat.write(nb, str(folder / name))
    with lab_server(folder, tmp_path / "lab", learner=True) as lab:
        page = new_page(chromium)
        page.goto(lab.url(f"lab/tree/{name}"))
        wait_for_notebook(page, name)
        text = page.locator(NOTEBOOK).inner_text()
        assert "Your circle: Amira, Ben, Chloe" in text and "Troika Consulting" in text
        assert "The message went down one line only" in text
        # Amira's reflection is cell 1; the reply box under it is cell 2.
        assert "Your reply to Amira: double-click this box to write in it" in text
        reply = ("**What I noticed:** the pathway reached families before staff.\n\n"
                 "**A question I would ask you:** who did the health visitors trust?\n\n"
                 "**Something I would try in my own service:** ask team leads to retell it.")
        set_cell_text(page, 2, reply)
        run_cell(page, 2)  # renders the markdown
        save(page)
        screenshot(page, "circle-notebook.png")
        inject_axe(page)
        report = page.evaluate(AXE_RUN, [CONTENT, sorted(OURS), NOTEBOOK])
        page.context.close()
    problems = [f"cell {f['cell']}: {f['rule']} ({f['impact']}): {f['why']}" for f in report["found"]]
    assert not problems, "\n".join(problems)
    cells = notebook_cells(folder / name)
    assert read_reply("".join(cells[2]["source"])) == {
        "noticed": "the pathway reached families before staff.",
        "question": "who did the health visitors trust?",
        "try": "ask team leads to retell it.",
    }
    assert cells[2]["metadata"]["syslead"]["reply_to"] == circles.reflection_token(plan, "amira", "reflection-message")
