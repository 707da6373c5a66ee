"""Reflection circles: opt-in and reply forms read as plain text, circles formed fairly (no server)."""

from __future__ import annotations

import nbformat
import pytest

from syslead.errors import CourseError
from syslead.learner.sharing import (
    OPT_IN_TEXT,
    as_quote,
    conversation_guide,
    opt_in_cell,
    opt_ins,
    plain_text,
    read_reply,
    reply_template,
)
from syslead.tutor.circles import circle_count, form


def notebook_with(text: str, reflection: str = "reflection-message"):
    cell = opt_in_cell(reflection)
    cell.source = text
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize("answer, shared", [
    ("no", False), ("yes", True), ("Yes", True), ("YES.", True), ("yes please", True), (" y ", True),
    ("", False), ("no thanks", False), ("maybe", False), ("not yes", False), ("🙂", False),
])
def test_a_reflection_is_shared_only_when_the_learner_wrote_yes(answer, shared):
    text = OPT_IN_TEXT.replace("circle?** no", f"circle?** {answer}")
    assert opt_ins(notebook_with(text))["reflection-message"].share is shared


def test_the_fresh_opt_in_cell_shares_nothing_and_a_mangled_one_shares_nothing():
    assert opt_ins(notebook_with(OPT_IN_TEXT))["reflection-message"].share is False
    assert opt_ins(notebook_with("I deleted everything"))["reflection-message"].share is False
    assert opt_ins(nbformat.v4.new_notebook()) == {}


def test_the_name_and_the_help_are_read_as_plain_text_and_kept_short():
    text = (OPT_IN_TEXT.replace("circle?** no", "circle?** yes")
            .replace("first name):", "first name): Sam <img src=x onerror=alert(1)>")
            .replace("(optional):", "(optional): how to start with **schools**"))
    choice = opt_ins(notebook_with(text))["reflection-message"]
    assert choice.share and choice.name == "Sam" and "<" not in choice.name
    assert choice.help == "how to start with schools"
    long = OPT_IN_TEXT.replace("first name):", "first name): " + "x" * 500)
    assert len(opt_ins(notebook_with(long))["reflection-message"].name) <= 40


def test_a_reply_is_read_in_its_three_parts_and_an_empty_form_is_no_reply():
    assert read_reply(reply_template()) == {} and read_reply(reply_template("Sam")) == {}
    assert "Your reply to Sam" in reply_template("Sam")
    text = reply_template().replace("What I noticed:** ", "What I noticed:** the cascade stalled\n", 1)
    text = text.replace("ask you:** ", "ask you:** who else knew?\n", 1)
    assert read_reply(text) == {"noticed": "the cascade stalled", "question": "who else knew?"}
    assert read_reply("Just a few words of thanks") == {"noticed": "Just a few words of thanks"}


def test_learner_text_reaches_another_learner_as_words_only():
    text = plain_text("Hello [site](javascript:alert(1)) ![pic](http://tracker/x.png) <script>x()</script> **bold**")
    assert "javascript" not in text and "tracker" not in text and "<script>" not in text
    assert "Hello site" in text and "bold" in text
    quoted = as_quote("a <b> tag and *stars*\nsecond line")
    assert "<b>" not in quoted and quoted.startswith("> ") and "\n> second line" in quoted


def test_the_conversation_guide_holds_the_learners_reflection_escaped():
    page = conversation_guide("I saw <b>the</b> cascade stall", title="Reading 1", help_wanted="a <i>view</i>")
    assert "I saw the cascade stall" in page and "<b>the" not in page and "&lt;i&gt;view" in page
    assert "Troika Consulting" in page and "Lipmanowicz" in page


@pytest.mark.parametrize("n, size, sizes", [
    (2, 3, [2]), (3, 3, [3]), (4, 3, [4]), (5, 3, [3, 2]), (7, 3, [4, 3]), (8, 3, [4, 4]),
    (10, 3, [4, 3, 3]), (12, 4, [4, 4, 4]), (9, 4, [5, 4]),
])
def test_circles_are_three_or_four_where_that_can_be(n, size, sizes):
    circles = form([f"l{i}" for i in range(n)], size, seed=1)
    assert sorted((len(c) for c in circles), reverse=True) == sizes
    assert sorted(m for c in circles for m in c) == sorted(f"l{i}" for i in range(n))
    assert len(circles) == circle_count(n, size)


def test_the_same_seed_forms_the_same_circles_and_another_seed_may_not():
    people = [f"l{i}" for i in range(12)]
    assert form(people, 3, seed=7) == form(list(reversed(people)), 3, seed=7)
    assert any(form(people, 3, seed=7) != form(people, 3, seed=s) for s in range(8, 20))


def test_people_of_one_team_are_kept_apart_when_they_can_be():
    people = [f"l{i}" for i in range(9)]
    teams = {p: f"team-{i % 3}" for i, p in enumerate(people)}  # three teams of three, three circles
    for seed in range(20):
        for circle in form(people, 3, seed=seed, teams=teams):
            assert len({teams[m] for m in circle}) == len(circle)


def test_a_circle_of_one_is_refused_with_a_sentence():
    with pytest.raises(CourseError, match="circle needs two or more"):
        form(["alone"], 3, seed=1)
    with pytest.raises(CourseError, match="between 2 and 6"):
        form(["a", "b", "c"], 1, seed=1)
