"""`syslead reflections`, `syslead export`, the demo cohort and the dashboard's charts, on the small graded
demo cohort of tests/tutor_cohort.py (assignment 02, six learners, one of each kind)."""

from __future__ import annotations

import csv
import json
import re

import pytest
import tutor_cohort
from conftest import ROOT, nbgrader
from tutor_cohort import ASSIGNMENT

from syslead.tutor import dashboard, demo, export, reflections
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return tutor_cohort.graded(tmp_path_factory.mktemp("tutor-reports"))


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def source_prompts_and_schemes():
    cells = json.loads((ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())["cells"]
    out = {}
    for i, cell in enumerate(cells):
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "markdown" and meta.get("grade") and meta.get("solution"):
            scheme = re.search(r"BEGIN SOLUTION\n(.*?)\n### END", "".join(cell["source"]), re.S).group(1)
            out[meta["grade_id"]] = ("".join(cells[i - 1]["source"]), scheme)
    return out


def test_reflections_page_has_a_section_per_question_with_prompt_scheme_and_every_answer(graded):
    course = Course.find(graded)
    page, table = reflections.write(course, ASSIGNMENT)
    text = page.read_text()
    expected = source_prompts_and_schemes()
    assert len(expected) == 3 and text.count("<section ") == 3
    assert "<script" not in text and "src=" not in text  # self-contained
    # and, opened from disk or served, it forbids every script and every fetch (a belt to nh3's braces)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', text).group(1)
    assert "default-src 'none'" in policy and "script-src" not in policy
    import html

    for grade_id, (prompt, scheme) in expected.items():
        section = text.split(f'<section id="{grade_id}"', 1)[1].split("</section>", 1)[0]
        assert html.escape(prompt.splitlines()[-1]) in section  # the prompt, from the source notebook
        last = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", scheme.splitlines()[-1])  # the words of its links
        assert html.escape(last.split(": ")[0]) in section and "docs/reflection-examples.md" in section  # the scheme
    rows = read_csv(table)
    learners = {p.name for p in (graded / "submitted").iterdir()}
    assert {r["learner"] for r in rows} == learners and len(rows) == 3 * len(learners)
    answered = [r for r in rows if r["answer"]]
    assert answered and all(r["words"] != "0" for r in answered)
    assert sum(bool(r["gibbs_stages"]) for r in answered) >= len(answered) // 2
    for r in answered:  # every answer is on the page, with its stage summary
        assert html.escape(r["answer"][:60]) in text
    assert "Gibbs stages: " in text and "No answer." in text  # the blank learner's reflections


def test_anonymised_reflections_hide_ids_and_keep_codes_stable(graded):
    course = Course.find(graded)
    page, table = reflections.write(course, ASSIGNMENT, anonymise=True)
    first = read_csv(table)
    text = page.read_text()
    with course.gradebook() as gb:
        people = [(s.id, s.first_name, s.last_name) for s in gb.students]
    for sid, first_name, last_name in people:
        assert sid not in text and sid not in table.read_text()
        assert f"{first_name} {last_name}" not in text
    assert all(re.fullmatch(r"L-[0-9a-f]{6}", r["learner"]) for r in first)
    _, again = reflections.write(course, ASSIGNMENT, anonymise=True)
    assert [r["learner"] for r in read_csv(again)] == [r["learner"] for r in first]


def test_export_matches_nbgrader_and_has_moodle_and_canvas_layouts(graded, tmp_path):
    course = Course.find(graded)
    (grades, moodle, canvas), _ = export.write(course, out=tmp_path)
    nbgrader("export", "--to", str(tmp_path / "nb.csv"), cwd=graded)
    theirs = {(r["assignment"], r["student_id"]): r for r in read_csv(tmp_path / "nb.csv")}
    ours = {(r["assignment"], r["student_id"]): r for r in read_csv(grades)}
    assert set(ours) == set(theirs) and len(ours) == tutor_cohort.LEARNERS
    for key, r in ours.items():
        for col in ("raw_score", "late_submission_penalty", "score", "max_score"):
            if r["submitted"] == "no" and col != "max_score":
                assert r[col] == "" and float(theirs[key][col]) == 0  # nbgrader writes 0; we leave it blank
            else:
                assert float(r[col]) == float(theirs[key][col]), (key, col)
        assert r["timestamp"] == theirs[key]["timestamp"]
    assert sum(r["submitted"] == "no" for r in ours.values()) == 1
    assert sum(float(r["seconds_late"] or 0) > 0 for r in ours.values()) >= 1  # the late learner

    m = read_csv(moodle)
    assert list(m[0])[:4] == ["First name", "Last name", "ID number", "Email address"] and ASSIGNMENT in m[0]
    c = read_csv(canvas)
    assert list(c[0])[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    by_login = {r["SIS Login ID"]: list(r.values())[5] for r in c}
    assert by_login == {sid: r["score"] if r["status"] == "graded" else "" for (_, sid), r in ours.items()}
    assert all(", " in r["Student"] for r in c)  # "Last, First"


def test_the_demo_is_reproducible_and_has_every_kind_of_submission(tmp_path):
    cohort = demo.make_learners(60, ["a", "b", "c"], seed=2025)
    assert [x.id for x in cohort] == [x.id for x in demo.make_learners(60, ["a", "b", "c"], seed=2025)]
    kinds = {k for x in cohort for k in x.kinds.values()}
    assert kinds == set(demo.KINDS)
    made = []
    for name in ("one", "two"):
        built = demo.build(tmp_path / name, learners=3, assignments=[ASSIGNMENT], seed=11, autograde=False,
                           source_root=ROOT, quiet=True)
        files = sorted((tmp_path / name / "submitted").rglob("*"))
        made.append({str(p.relative_to(tmp_path / name)): p.read_text() for p in files
                     if p.is_file() and p.name != "submission_secret.txt"})
        assert built.kinds()
    assert made[0] == made[1] and len(made[0]) >= 2


def test_dashboard_charts_say_what_they_show(graded):
    cohort = dashboard.load(Course.find(graded))
    assert len(cohort.results) == tutor_cohort.LEARNERS
    charts = [dashboard.completion_chart(cohort), dashboard.score_distribution_chart(cohort),
              dashboard.question_difficulty_chart(cohort), dashboard.reflection_length_chart(cohort),
              dashboard.late_chart(cohort)]
    for chart in charts:
        assert chart.png.startswith(b"\x89PNG") and re.search(r"\d", chart.alt)
    assert "1 late" in charts[0].alt and "1 not submitted" in charts[0].alt
    nudges = dashboard.nudge_list(cohort)
    missing = next(x.id for x in demo.make_learners(tutor_cohort.LEARNERS, [ASSIGNMENT], tutor_cohort.SEED)
                   if x.kinds[ASSIGNMENT] == "missing")
    assert missing in set(nudges["learner"]) and "not submitted" in nudges.set_index("learner").loc[missing, "why"]
