"""Self-assessment first: the learner places their reflection on Kember's four levels before the advice.

The form is plain text in a Markdown cell under each reflection (nothing in it runs, so it cannot stop Run
All); it is read leniently, as a person would read it. The advice shows the learner's placement beside the
machine's reading (Gibbs' stages, a second opinion, never a level), and the journal keeps both.
"""

from __future__ import annotations

import re
import shutil
import sys

import nbformat
import pytest
import yaml
from conftest import ROOT, assignments

from syslead.learner.journal import collect
from syslead.learner.reflection import Feedback, feedback, feedback_on
from syslead.learner.self_assessment import (
    NAMES,
    PLACE_QUESTION,
    SelfAssessment,
    form_cell,
    form_text,
    read_form,
    read_placement,
    self_assessments,
)

LEVELS = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))["kember_levels"]["levels"]
REFLECTION = ("Last March our safeguarding alert went from the director to heads of service by email. I felt "
              "uneasy when a week later two health visitors had not seen it. It went badly because it relied on "
              "one route. I have learned that people pass on what they have discussed. Next time I will ask team "
              "leads to brief their teams and check who has heard.")


def placed(answer: str, why: str = "") -> str:
    """A fresh form with the learner's answer typed after the question (and their reason after Why)."""
    text = form_text(LEVELS).replace("then Shift+Enter):", f"then Shift+Enter): {answer}")
    return text.replace("up a level?):", f"up a level?): {why}") if why else text


@pytest.mark.parametrize("answer, levels", [
    ("reflection", ("reflection",)), ("Reflection.", ("reflection",)), ("**critical reflection**", ("critical reflection",)),
    ("CRITICAL REFLECTION", ("critical reflection",)), ("habitual action", ("habitual action",)),
    ("Understanding", ("understanding",)), ("I think it is reflection", ("reflection",)),
    ("refelction", ("reflection",)), ("undrestanding", ("understanding",)), ("reflective", ("reflection",)),
    ("at the critical reflection level", ("critical reflection",)), ("my reflection is at understanding", ("understanding",)),
    ("3", ("reflection",)), ("0-1", ("habitual action",)), ("1", ("habitual action",)), ("3/4", ("reflection",)),
    ("2 points", ("understanding",)), ("level 4", ("critical reflection",)),
    ("understanding, maybe reflection", ("understanding", "reflection")),
    ("", ()), ("not sure", ()), ("🙂", ()), ("action plan", ()), ("7", ()), ("feelings", ()),
])
def test_a_placement_is_read_leniently_on_form_and_strictly_on_content(answer, levels):
    assert read_placement(answer) == levels
    assert read_form(placed(answer)).levels == levels


def test_a_fresh_form_is_not_a_placement_and_lists_the_levels_of_course_yml_with_the_examples():
    fresh = read_form(form_text(LEVELS), "reflection-message")
    assert fresh == SelfAssessment("reflection-message") and not fresh.placed and not fresh.said
    text = form_text(LEVELS)
    assert "(../../docs/reflection-examples.md)" in text and PLACE_QUESTION in text
    for level in LEVELS:  # each level with its points and course.yml's descriptor, word for word
        assert f"**{level['name']}** ({level['points']} points): {' '.join(level['descriptor'].split())}" in text
    assert [lv["name"] for lv in LEVELS] == list(NAMES)
    assert "(" not in read_form(placed("reflection")).said  # the hint in brackets is not the learner's answer


def test_the_reason_is_kept_as_plain_text_and_a_mangled_form_is_no_placement():
    choice = read_form(placed("reflection", "like the <b>third</b> example, but I don't question **why**"))
    assert choice.level == "reflection" and choice.why == "like the third example, but I don't question why"
    assert read_form("I deleted everything").levels == () and read_form("").said == ""


def test_the_forms_of_a_notebook_are_found_by_their_reflection():
    first, second = form_cell("reflection-message", LEVELS), form_cell("reflection-practice", LEVELS)
    first.source = placed("critical reflection")
    nb = nbformat.v4.new_notebook(cells=[first, second, nbformat.v4.new_markdown_cell(placed("reflection"))])
    found = self_assessments(nb)
    assert set(found) == {"reflection-message", "reflection-practice"}  # a form without the metadata is no form
    assert found["reflection-message"].level == "critical reflection" and not found["reflection-practice"].placed
    assert self_assessments({}) == {} and self_assessments(None) == {}


# --- the advice: the learner's own reading first, the machine's beside it --------------------------------


def test_the_advice_shows_the_learners_placement_beside_the_machines_reading():
    own = read_form(placed("reflection", "closest to the third example"), "reflection-message")
    fb = feedback(REFLECTION, self_assessment=own)
    text, page = str(fb), fb._repr_html_()
    assert "You placed it at: reflection." in text and "closest to the third example" in text
    machine = next(line for line in text.split("\n") if line.startswith("The machine's reading:"))
    for stage in fb.stages:  # the machine's reading names what it actually read: Gibbs' stages
        assert stage in machine
    assert "not Kember's levels" in machine and "second opinion" in machine
    assert not any(name in machine.split("not Kember's levels")[0] for name in ("habitual", "critical"))
    assert text.index("You placed it at") < text.index("Stages the machine recognised")  # yours comes first
    assert "You placed it at: reflection." in page and 'aria-label="Your reading and the machine\'s"' in page


def test_without_a_placement_the_advice_asks_for_one_first_and_still_gives_its_reading():
    fb = feedback(REFLECTION, self_assessment=SelfAssessment("reflection-message"))
    assert "You have not placed your reflection yet" in str(fb)
    assert fb.stages and "Stages the machine recognised" in str(fb)
    unclear = feedback(REFLECTION, self_assessment=read_form(placed("pretty good")))
    assert "“pretty good”" in str(unclear) and "not one of the four levels" in str(unclear)
    two = feedback(REFLECTION, self_assessment=read_form(placed("understanding or reflection")))
    assert "understanding or reflection" in str(two) and "choose the one level" in str(two)
    assert "You placed it" not in str(feedback(REFLECTION))  # no form (text given directly): the machine's alone


def test_the_learners_words_are_escaped_in_the_advice():
    fb = feedback(REFLECTION, self_assessment=read_form(placed("<script>alert(1)</script> reflection",
                                                                "<img src=x onerror=alert(1)>")))
    page = fb._repr_html_()
    assert "<script>" not in page and "<img" not in page


def test_an_empty_or_foreign_reflection_still_shows_the_placement_and_says_the_machine_has_none():
    own = read_form(placed("understanding"))
    for text in ("", "Le mois dernier, nous avons changé le formulaire de signalement pour toutes les équipes."):
        fb = feedback(text, self_assessment=own)
        assert "You placed it at: understanding." in str(fb) and "The machine's reading: none this time" in str(fb)


def _learner_copy(folder, name="01-systems-leadership", answer=REFLECTION, level=None, why=""):
    """A release notebook with its first reflection written (and placed, when ``level`` is given), saved."""
    path = folder / f"{name}.ipynb"
    nb = nbformat.read(str(ROOT / "release" / name / f"{name}.ipynb"), as_version=4)
    first = next(c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("reflection"))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == first:
            cell.source = answer
        if level is not None and cell.metadata.get("syslead", {}).get("self_assessment") == first:
            cell.source = cell.source.replace("then Shift+Enter):", f"then Shift+Enter): {level}")
            cell.source = cell.source.replace("up a level?):", f"up a level?): {why}")
    nbformat.write(nb, str(path))
    return path, first


def test_feedback_on_reads_the_placement_saved_in_the_form_above_it(tmp_path):
    path, first = _learner_copy(tmp_path, level="Critical reflection")
    fb = feedback_on(first, path)
    assert isinstance(fb, Feedback) and "You placed it at: critical reflection." in str(fb)
    path, first = _learner_copy(tmp_path)  # the form left as it came
    assert "You have not placed your reflection yet" in str(feedback_on(first, path))


def test_the_journal_keeps_the_learners_placement_and_the_machines_reading(tmp_path):
    _learner_copy(tmp_path, level="reflection", why="like the third example")
    journal = collect(tmp_path, ROOT / "course.yml")
    written = next(r for r in journal.reflections if r.answered)
    assert written.self_assessment.level == "reflection" and written.feedback.self_assessment.level == "reflection"
    unwritten = next(r for r in journal.reflections if not r.answered and r.self_assessment is not None)
    assert not unwritten.self_assessment.placed
    md, page = journal.markdown(), journal.html()
    mine = md.split(f"### {written.title}")[1].split("\n### ")[0]
    assert "#### My own reading (Kember's levels)" in mine and "- I placed it at: reflection." in mine
    assert "- Why: like the third example" in mine and "#### Feedback (advice, not a grade)" in mine
    assert mine.index("My own reading") < mine.index("Feedback (advice")
    assert "<h4>My own reading (Kember's levels)</h4>" in page and "I placed it at: reflection." in page
    assert "second opinion" in md and "second opinion" in page


@pytest.mark.parametrize("name", assignments())
def test_every_reflection_has_one_form_that_course_tables_made_from_course_yml(name):
    manifest = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    kinds = {g["id"] for a in manifest["assignments"] if a["id"] == name for g in a["graded"]
             if g["kind"] == "reflection"}
    for folder in ("source", "release"):
        nb = nbformat.read(str(ROOT / folder / name / f"{name}.ipynb"), as_version=4)
        forms = [c for c in nb.cells if c.metadata.get("syslead", {}).get("self_assessment")]
        assert sorted(c.metadata["syslead"]["self_assessment"] for c in forms) == sorted(kinds)
        for form in forms:
            assert form.source == form_text(LEVELS) and "nbgrader" not in form.metadata


def test_the_form_adds_no_minutes_beyond_the_reflections_own(tmp_path):
    """The form is part of the reflection's 15 minutes: taking it out of a notebook changes no time."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_times", ROOT / "scripts" / "course_times.py")
    course_times = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("course_times", course_times)  # its dataclass needs the module registered
    spec.loader.exec_module(course_times)
    from syslead.course import load_course

    course = load_course(ROOT / "course.yml")
    a = course.assignments[0]
    with_forms = [(p.title, p.words, p.reflections) for p in course_times.parts(a, course.root)]
    copy = tmp_path / "course"
    shutil.copytree(ROOT / "source", copy / "source")
    shutil.copy(ROOT / "course.yml", copy / "course.yml")
    md = copy / a.notebook
    text = md.read_text(encoding="utf-8")
    stripped = re.sub(r'\+\+\+ \{"syslead": \{"self_assessment": "[^"]+"\}\}\n\n.*?\n\n(?=```)', "", text, flags=re.S)
    assert stripped != text
    md.write_text(stripped, encoding="utf-8")
    assert [(p.title, p.words, p.reflections) for p in course_times.parts(a, copy)] == with_forms
