"""The course manifest, course.yml: it loads, it agrees with the notebooks, and the tables come from it.

- A mistake in course.yml gets one sentence that names the file, the entry and the fix.
- course.yml and every source notebook agree: title, '## ' sections, graded cells, kinds and points.
- The README's course map, the start page's course map and every notebook's table of times are what
  scripts/course_tables.py makes from course.yml; changing a minute there is one command.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, assignments

from syslead.course import ManifestError, check_notebooks, delimiters, load_course

spec = importlib.util.spec_from_file_location("course_tables", ROOT / "scripts" / "course_tables.py")
course_tables = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course_tables)

COURSE = load_course(ROOT / "course.yml")


def copy_text_sources(dest: Path) -> Path:
    """The parts of the course the tables touch: manifest, README, notebooks/ and source/."""
    dest.mkdir()
    for name in ("course.yml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("notebooks", "source"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def edit_manifest(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")


# --- the manifest and the notebooks agree --------------------------------------------------------------


def test_the_manifest_lists_every_source_folder_in_course_order():
    assert sorted(a.id for a in COURSE.assignments) == assignments()
    assert [a.id for a in COURSE.assignments] == sorted(a.id for a in COURSE.assignments)
    assert sorted(COURSE.journal_order) == assignments()


def test_the_manifest_agrees_with_every_source_notebook():
    """Titles, '## ' sections, graded cells (ids, order, kinds, points) and the cells they name."""
    problems = check_notebooks(COURSE)
    assert not problems, "course.yml and the notebooks disagree:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", assignments())
def test_every_nbgrader_cell_of_a_notebook_is_named_in_the_manifest(name):
    """The journal and the demo find cells by the ids the manifest gives; none may be left out."""
    a = COURSE.assignment(name)
    nb = nbformat.read(str(ROOT / a.source_notebook), as_version=4)
    ids = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == {g.id for g in a.graded}
    assert ids == set(a.cell_ids) | _unnamed_locked_cells(nb)


def _unnamed_locked_cells(nb) -> set[str]:
    """Locked cells that are neither graded nor an answer or a prompt (none today; allowed)."""
    names = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") and not meta.get("grade") and not meta.get("solution") and meta.get("locked"):
            if not meta["grade_id"].startswith("prompt-"):
                names.add(meta["grade_id"])
    return names


@pytest.mark.parametrize("change, says", [
    (lambda d: d["assignments"][0]["graded"][0].update(points=3), "the notebook gives it 1 points, the manifest 3"),
    (lambda d: d["assignments"][1]["graded"].pop(1), "the notebook's graded cell 'check-peak-year' is not listed"),
    (lambda d: d["assignments"][2]["sections"][0].update(title="The reading, briefly"),
     "the notebook has the section 'The reading in our own words' that is not listed"),
    (lambda d: d["assignments"][0]["graded"][0].update(kind="reflection", answer_cell=None, reflection_kind="experience"),
     "it is a question in the notebook (code cell); say kind: question"),
    (lambda d: d["assignments"][0]["graded"][0].update(answer_cell="answer-gone"),
     "its answer_cell 'answer-gone' is not a cell of the notebook"),
    (lambda d: d["assignments"][3].update(title="Capstone"), "the title is 'Capstone' but the notebook's first"),
    (lambda d: d["assignments"].pop(), "source/04-leading-your-system is not in course.yml: add an entry"),
])
def test_a_manifest_that_disagrees_with_a_notebook_is_named_in_one_sentence(tmp_path, change, says):
    root = copy_text_sources(tmp_path / "course")
    edit_manifest(root / "course.yml", lambda d: (change(d), d["journal"].update(
        order=[a["id"] for a in d["assignments"]])))
    problems = check_notebooks(load_course(root / "course.yml"))
    assert len(problems) == 1 and says in problems[0], problems
    assert problems[0].startswith("course.yml") or problems[0].startswith("source/")


# --- a mistake in course.yml ---------------------------------------------------------------------------


@pytest.mark.parametrize("change, says", [
    (lambda d: d["assignments"][0].pop("title"), "assignment 1 (01-systems-leadership): 'title' is missing"),
    (lambda d: d["assignments"][0].update(id="Reading 1"), "is not of the form NN-kebab-case"),
    (lambda d: d["assignments"][1]["sections"][0].update(minutes="five"), "'minutes' should be a whole number"),
    (lambda d: d["assignments"][1]["sections"][0].update(minutes=0), "'minutes' is 0"),
    (lambda d: d["assignments"][0]["graded"][2].update(id="check-levels"), "the id is used by 01-systems-leadership"),
    (lambda d: d["assignments"][0]["graded"][0].update(kind="essay"), "kind is 'essay'"),
    (lambda d: d["assignments"][0]["graded"][0].update(objective="o9"), "its objective 'o9' is not one of"),
    (lambda d: d["assignments"][0]["graded"][3]["demo_topics"].update(colours=["red"]), "demo_topics has 'colours'"),
    (lambda d: d["assignments"][0]["graded"][0].update(prompt_cell="prompt-x"), "a question has no prompt_cell"),
    (lambda d: d["assignments"][0]["graded"][3].pop("reflection_kind"), "reflection_kind is None"),
    (lambda d: d["assignments"][0]["graded"][3].update(reflection_kind="diary"), "reflection_kind is 'diary'"),
    (lambda d: d["assignments"][0]["graded"][0].update(reflection_kind="plan"), "a question has no reflection_kind"),
    (lambda d: d["journal"]["order"].pop(), "'04-leading-your-system' is missing"),
    (lambda d: d["journal"]["order"].append("05-nothing"), "'05-nothing' is not an assignment"),
    (lambda d: d.update(tutor_dashboard={"demo_assignments": ["09-x"]}), "tutor_dashboard, demo_assignments"),
])
def test_a_mistake_in_the_manifest_gets_one_sentence_with_the_entry_and_the_fix(tmp_path, change, says):
    path = tmp_path / "course.yml"
    shutil.copy(ROOT / "course.yml", path)
    edit_manifest(path, change)
    with pytest.raises(ManifestError) as caught:
        load_course(path)
    message = str(caught.value)
    assert message.startswith("course.yml, ") and says in message, message
    assert "\n" not in message and message.endswith(".") and message.count("; ") >= 1  # the problem; the fix


def test_broken_yaml_says_where(tmp_path):
    path = tmp_path / "course.yml"
    path.write_text("course:\n  id: x\n   title: y\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"course.yml is not valid YAML at line \d+"):
        load_course(path)


def test_nbgrader_markers_come_from_nbgraders_config():
    from traitlets.config import Config

    markers = delimiters()
    assert markers.begin_solution == "BEGIN SOLUTION" and markers.end_hidden_tests == "END HIDDEN TESTS"
    assert markers.solution("x = None\n### BEGIN SOLUTION\nx = 3\n### END SOLUTION") == "x = 3"
    config = Config()
    config.ClearSolutions.begin_solution_delimeter = "START ANSWER"
    config.ClearSolutions.end_solution_delimeter = "STOP ANSWER"
    assert delimiters(config).solution("# START ANSWER\ny = 1\n# STOP ANSWER") == "y = 1"


# --- the tables ------------------------------------------------------------------------------------------


def test_the_course_map_and_every_table_of_times_come_from_the_manifest():
    stale = course_tables.stale(COURSE)
    assert not stale, f"run 'python scripts/course_tables.py': {[str(p.relative_to(ROOT)) for p in stale]}"


def test_the_tables_say_what_the_manifest_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for number, a in enumerate(COURSE.assignments, start=1):
        link = f"[`{a.id}`](release/{a.id}/{a.id}.ipynb)"
        text = (ROOT / a.notebook).read_text(encoding="utf-8")
        assert f"**Time.** About {a.minutes} minutes in all" in text
        if a.second_part:  # two parts: a row each in the course map, and the notebook says where part 2 starts
            first, second = a.part_minutes
            assert f"| {number}a | {a.reading}; part 1, up to *{a.second_part}* | {link} | {first} minutes |" in readme
            assert f"| {number}b | {a.title}, part 2: from *{a.second_part}* to the end | {link} | {second} minutes |" in readme
            assert (f"in two parts: part 1 takes {first} minutes, up to *{a.second_part}*; part 2 takes {second} minutes, "
                    f"from *{a.second_part}* to the end") in text
        else:
            assert f"| {number} | {a.reading} | {link} | {a.minutes} minutes |" in readme
        for s in a.sections:
            assert f"| {s.title} | {s.minutes or 'optional, not counted'} |" in text
    assert f"| {COURSE.start_page.minutes} minutes |" in readme


@pytest.mark.parametrize("name", assignments())
def test_the_release_carries_the_same_table_of_times(name):
    a = COURSE.assignment(name)
    first = nbformat.read(str(ROOT / "release" / name / f"{name}.ipynb"), as_version=4).cells[0].source
    table = course_tables.assignment_times(a)
    assert table in first


def test_changing_a_minute_in_the_manifest_is_one_command(tmp_path, capsys):
    root = copy_text_sources(tmp_path / "course")
    manifest = root / "course.yml"
    edit_manifest(manifest, lambda d: d["assignments"][1]["sections"][0].update(minutes=14))
    assert course_tables.main(["--check", "--course", str(manifest)]) == 1
    out = capsys.readouterr().out
    for path in ("README.md", "notebooks/00-start-here.md", "source/02-systems-innovation/02-systems-innovation.md"):
        assert f"{path}: its table disagrees with course.yml" in out
    assert "01-systems-leadership.md" not in out
    assert course_tables.main(["--course", str(manifest), "--no-generate"]) == 0
    course = load_course(manifest)
    minutes = course.assignment("02-systems-innovation").minutes
    assert minutes == COURSE.assignment("02-systems-innovation").minutes + 14 - COURSE.assignments[1].sections[0].minutes
    assert f"| {minutes} minutes |" in (root / "README.md").read_text()
    notebook = nbformat.read(str(root / "source" / "02-systems-innovation" / "02-systems-innovation.ipynb"), 4)
    assert "| The reading in our own words | 14 |" in notebook.cells[0].source  # synced into the .ipynb
    assert course_tables.main(["--check", "--course", str(manifest)]) == 0


def test_a_missing_marker_is_one_sentence(tmp_path):
    root = copy_text_sources(tmp_path / "course")
    md = root / COURSE.assignments[0].notebook
    md.write_text(md.read_text().replace("<!-- times:end -->", ""), encoding="utf-8")
    with pytest.raises(SystemExit, match="01-systems-leadership.md: the pair <!-- times:start --> ... "
                                         "<!-- times:end --> is missing"):
        course_tables.expected(load_course(root / "course.yml"))


# --- the code reads its facts from the manifest ------------------------------------------------------------


def test_the_demo_cohort_writes_about_the_manifests_topics(tmp_path):
    import random

    from syslead.tutor import demo

    learner = demo.Learner("ada", "Ada", "Okafor", "steady", demo.SERVICES[0])
    topics = COURSE.assignment("01-systems-leadership").cell("reflection-message").demo_topics
    text = demo.write_reflection(random.Random(3), "reflection-message", learner, 3, COURSE)
    assert any(subject in text for subject in topics["subjects"])
    path = tmp_path / "course.yml"
    shutil.copy(ROOT / "course.yml", path)
    edit_manifest(path, lambda d: d["assignments"][0]["graded"][3]["demo_topics"].update(
        subjects=["the brand-new duty rota"], ratings=3))
    text = demo.write_reflection(random.Random(3), "reflection-message", learner, 3, load_course(path))
    assert "the brand-new duty rota" in text and text.startswith("My ratings on the three practices: ")


def test_the_demo_reads_answers_between_nbgraders_markers():
    from syslead.tutor import demo

    found = demo.answers_from_source(ROOT / COURSE.assignments[0].source_notebook)
    assert set(found) == {g.answer_cell for g in COURSE.assignments[0].questions if g.answer_cell}
    assert all(value for _, value in found.values())


def test_the_dashboards_fallback_demo_grades_the_manifests_choice():
    from syslead.tutor import dashboard

    assert dashboard.demo_assignments(ROOT) == COURSE.dashboard_demo
    assert COURSE.dashboard_demo and all(COURSE.assignment(a) for a in COURSE.dashboard_demo)


def test_nbgraders_course_id_is_the_manifests():
    from syslead.tutor.course import load_config

    assert load_config(ROOT).CourseDirectory.course_id == COURSE.id


def test_a_stray_course_yml_above_the_working_folder_is_not_taken_for_the_course(tmp_path):
    from syslead.course import find_manifest

    shutil.copy(ROOT / "course.yml", tmp_path / "course.yml")  # a stray copy, as in /tmp or a home folder
    work = tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    assert find_manifest(work) != tmp_path / "course.yml"
    (tmp_path / "notebooks").mkdir()  # now it is a course folder (a learners' copy has notebooks/ beside it)
    assert find_manifest(work) == tmp_path / "course.yml"


def test_every_graded_cell_serves_an_objective_and_every_objective_is_assessed():
    """Constructive alignment, from the manifest: each graded cell names one of its assignment's objectives,
    and no objective goes without a graded cell."""
    course = load_course(ROOT / "course.yml")
    for a in course.assignments:
        unnamed = [g.id for g in a.graded if g.objective is None]
        assert unnamed == [], f"{a.id}: graded cells with no objective: {unnamed}"
        unassessed = {o.id for o in a.objectives} - {g.objective for g in a.graded}
        assert unassessed == set(), f"{a.id}: objectives no graded cell serves: {sorted(unassessed)}"
