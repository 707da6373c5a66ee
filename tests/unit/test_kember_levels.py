"""One set of Kember et al. (2008) level descriptors, kept in course.yml and quoted word for word everywhere.

scripts/course_tables.py makes every other place from course.yml's kember_levels: the start page's table, the
level lines of the mark schemes, the grading page's buttons (syslead/tutor/levels.yml) and the feedback's
Kember notes (syslead/learner/reflection_cues.json). These tests check that each says what course.yml says,
and that a change there reaches all of them in one command.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from syslead.course import load_course

ROOT = Path(__file__).resolve().parents[2]
KEMBER = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))["kember_levels"]
LEVELS = KEMBER["levels"]
SOURCES = sorted((ROOT / "source").glob("*/*.ipynb"))


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def mark_schemes(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(str(path), as_version=4)
    return [(c.metadata["nbgrader"]["grade_id"], one_line(c.source)) for c in nb.cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]


def test_the_manifest_names_the_four_levels_in_order_with_their_source():
    assert [level["name"] for level in LEVELS] == ["habitual action", "understanding", "reflection",
                                                   "critical reflection"]
    assert [str(level["points"]) for level in LEVELS] == ["0-1", "2", "3", "4"]
    assert "Kember" in KEMBER["source"] and "33(4)" in KEMBER["source"]


def test_the_start_page_quotes_every_descriptor_with_its_points():
    page = one_line((ROOT / "notebooks" / "00-start-here.md").read_text(encoding="utf-8"))
    for level in LEVELS:
        assert f"| {level['name']} | {level['points']} | {one_line(level['descriptor'])} |" in page


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_mark_scheme_quotes_the_same_descriptors(path):
    schemes = mark_schemes(path)
    assert len(schemes) >= 3
    for grade_id, text in schemes:
        for level in LEVELS:
            expected = f"**{level['points']}, {level['name']}** ({one_line(level['descriptor'])})."
            assert expected in text, f"{path.name}, {grade_id}: the {level['name']} level is not quoted as in course.yml"


# --- every other place is made from course.yml by scripts/course_tables.py, and says the same ------------

spec = importlib.util.spec_from_file_location("course_tables", ROOT / "scripts" / "course_tables.py")
course_tables = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course_tables)
MADE = course_tables.kember_levels(ROOT)


def test_the_grading_pages_buttons_say_what_course_yml_says():
    buttons = {lv["name"]: lv["descriptor"] for lv in
               yaml.safe_load((ROOT / "syslead" / "tutor" / "levels.yml").read_text(encoding="utf-8"))["levels"]}
    for level in MADE:
        assert buttons[level["name"]] == course_tables.button_descriptor(level)
        assert one_line(level["descriptor"]).lower() in buttons[level["name"]].lower()


def test_the_feedbacks_kember_notes_quote_course_yml():
    stages = json.loads((ROOT / "syslead" / "learner" / "reflection_cues.json").read_text(encoding="utf-8"))["stages"]
    by_name = {lv["name"]: lv for lv in MADE}
    for stage, cue in stages.items():
        level = by_name[cue["kember_level"]]
        assert cue["kember"] == course_tables.cue_note(cue["kember_note"], level), stage
        assert one_line(level["descriptor"]) in cue["kember"]


def test_the_start_pages_table_is_made_from_course_yml():
    page = (ROOT / "notebooks" / "00-start-here.md").read_text(encoding="utf-8")
    assert course_tables.kember_table(MADE) in page


def test_a_descriptor_changed_in_course_yml_reaches_every_place(tmp_path):
    for name in ("course.yml",):
        shutil.copy2(ROOT / name, tmp_path / name)
    for folder in ("notebooks", "source"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for rel in (course_tables.LEVELS_YML, course_tables.CUES_JSON):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    manifest = tmp_path / "course.yml"
    old = "draws a conclusion for what to do"
    assert old in manifest.read_text(encoding="utf-8")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, "says what they will now do"),
                        encoding="utf-8")
    course = load_course(manifest)
    made = course_tables.expected(course)
    places = [tmp_path / course.start_page.notebook, tmp_path / course_tables.LEVELS_YML,
              tmp_path / course_tables.CUES_JSON, *(tmp_path / a.notebook for a in course.assignments)]
    for place in places:
        assert "says what they will now do" in made[place], place.name
        assert old not in made[place], place.name
    assert set(places) <= set(course_tables.stale(course))
    for a in course.assignments:  # the self-assessment form under each reflection lists the levels too
        text = made[tmp_path / a.notebook]
        forms = text.count('{"syslead": {"self_assessment": ')
        assert forms == len(a.reflections) and text.count("says what they will now do;") == forms, a.id


# --- the worked examples: one per level, linked from the start page and from every mark scheme --------

EXAMPLES = ROOT / "docs" / "reflection-examples.md"


def test_the_examples_show_one_reflection_at_each_level_with_why():
    text = EXAMPLES.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    for level in LEVELS:
        heading = f"{level['name'].capitalize()} ({level['points']} point{'' if level['points'] == '1' else 's'})"
        assert heading in headings, heading
        section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
        assert section.count("\n> ") >= 3, f"{heading}: the example reflection is missing"
        assert "**Why it sits here.**" in section, f"{heading}: say why the example sits at this level"


def test_the_start_page_links_the_examples():
    page = (ROOT / "notebooks" / "00-start-here.md").read_text(encoding="utf-8")
    assert "(../docs/reflection-examples.md)" in page


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_mark_scheme_links_the_examples(path):
    for grade_id, text in mark_schemes(path):
        assert "(../../docs/reflection-examples.md)" in text, f"{path.name}, {grade_id}: link the example reflections"


# The "Here:" line under each level says what that level looks like in this reflection. Kember's level 2
# (understanding) uses the ideas correctly but leaves them as theory: a level-2 line that credited applying
# the ideas to the learner's own case would give 2 points for what the descriptors call level 3.
OWN_CASE = re.compile(r"\b(own|their (service|system|table|moment|case|work|change|practice)|the episode)\b")
LEFT_AS_THEORY = re.compile(r"\b(not|without|rather than|no)\b")


def here_lines(text: str, level: dict) -> list[str]:
    head = re.escape(f"**{level['points']}, {level['name']}**")
    return re.findall(head + r".*?\*Here:\*\s*(.*?)(?=\s*- \*\*\d|$)", text)


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_a_level_2_line_never_credits_the_learners_own_case(path):
    understanding = next(level for level in LEVELS if level["name"] == "understanding")
    for grade_id, text in mark_schemes(path):
        lines = here_lines(text, understanding)
        assert len(lines) == 1, f"{path.name}, {grade_id}: no '*Here:*' line under the understanding level"
        credited, _, missing = lines[0].partition(" but ")
        where = f"{path.name}, {grade_id}: the level-2 line"
        assert missing, f"{where} should say, after 'but', what keeps it at understanding: {lines[0]!r}"
        assert not OWN_CASE.search(credited), (f"{where} credits the learner's own case, which is level 3 "
                                              f"(reflection): {credited!r}")
        assert LEFT_AS_THEORY.search(missing), f"{where} should say what is not done with the ideas: {missing!r}"


def test_the_level_2_check_catches_a_line_that_credits_the_own_case():
    understanding = next(level for level in LEVELS if level["name"] == "understanding")
    bad = (f"- **2, understanding** ({understanding['descriptor']}). *Here:* applies Grint's kinds to their own "
           "moment, but briefly. - **3, reflection** (...)")
    credited, _, missing = here_lines(one_line(bad), understanding)[0].partition(" but ")
    assert OWN_CASE.search(credited) and not LEFT_AS_THEORY.search(missing)
