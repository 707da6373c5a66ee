"""Each of syslead's nbgrader preprocessors, on its own, on small fixture notebooks built with nbformat
(issue 23, item 8). Each has a module of its own; the ones that read nbgrader's gradebook run on a real
nbgrader Gradebook in a temporary SQLite file, filled by nbgrader's own SaveCells from the fixture's source
notebook, as ``generate_assignment`` fills it. One real kernel (BoundedExecute); everything else in this
process.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import shutil

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from syslead.grading import pipeline
from syslead.grading.answers import TEXT_STUB

ASSIGNMENT, NOTEBOOK, STUDENT, LATE_STUDENT = "a1", "reading", "ada", "bob"
DUE = dt.datetime(2026, 2, 2, 17, 0)
CHECK_SOURCE = ('check("levels", "whole number")\n### BEGIN HIDDEN TESTS\n'
                'expect(3, why="1 < 10 < 100: three levels.")\n### END HIDDEN TESTS\n')


def meta(grade_id: str, *, grade=False, solution=False, locked=False, points=0) -> dict:
    data = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if grade:
        data["points"] = points
    return {"nbgrader": data}


def source_notebook() -> nbformat.NotebookNode:
    """A tiny assignment: a quick question (answer cell, check cell with a hidden block) and a reflection."""
    return new_notebook(cells=[
        new_markdown_cell("# Reading\n\nHow many levels?", metadata=meta("intro", locked=True)),
        new_code_cell("levels = 3", metadata=meta("answer-levels", solution=True)),
        new_code_cell(CHECK_SOURCE, metadata=meta("check-levels", grade=True, locked=True, points=1)),
        new_markdown_cell("## Reflection 1: What changed? (3 points)", metadata=meta("prompt-1", locked=True)),
        new_markdown_cell(TEXT_STUB, metadata=meta("reflection-1", grade=True, solution=True, points=3)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def submission(answer: str, *, check: str | None = None, kernel_said: str = "✓ Right\n") -> nbformat.NotebookNode:
    """A learner's copy: their answer, the check as they left it (the release's, without the hidden block,
    unless ``check`` says otherwise), and whatever their kernel printed under the check."""
    nb = source_notebook()
    nb.cells[1].source = answer
    nb.cells[2].source = check if check is not None else 'check("levels", "whole number")\n'
    nb.cells[2].outputs = [new_output("stream", name="stdout", text=kernel_said)]
    return nb


def by_id(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.get("metadata", {})}


def one_line(cell) -> str:
    out = cell.outputs[0]
    return out.get("text") or out["traceback"][0]


def resources(db_url: str, student: str = STUDENT) -> dict:
    return {"nbgrader": {"db_url": db_url, "assignment": ASSIGNMENT, "notebook": NOTEBOOK, "student": student}}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """A real nbgrader gradebook (SQLite) holding the fixture's source cells, saved by nbgrader's own
    ComputeChecksums and SaveCells, with two learners' submissions (bob's three hours late)."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import ComputeChecksums, SaveCells

    folder = tmp_path_factory.mktemp("gradebook")
    db_url = f"sqlite:///{folder / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        gb.add_assignment(ASSIGNMENT, duedate=DUE)
    nb, res = ComputeChecksums().preprocess(source_notebook(), resources(db_url))
    SaveCells().preprocess(nb, res)
    with Gradebook(db_url) as gb:
        for student, hours in ((STUDENT, -1), (LATE_STUDENT, 3)):
            gb.add_student(student, email=f"{student}@example.org")
            gb.add_submission(ASSIGNMENT, student, timestamp=DUE + dt.timedelta(hours=hours))
    return db_url


# --- the pipeline names each one, and each has a module of its own --------------------------------------


def test_each_syslead_preprocessor_in_the_pipeline_has_a_module_of_its_own_and_a_test_here():
    names = pipeline.syslead_preprocessors()
    modules = [name.rsplit(".", 1)[0] for name in names]
    shared = sorted({m for m in modules if modules.count(m) > 1})
    assert not shared, f"these modules hold more than one preprocessor: {shared}"
    tests = {n.removeprefix("test_") for n in globals() if n.startswith("test_")}
    for name in names:
        module, cls = name.rsplit(".", 1)
        assert isinstance(getattr(importlib.import_module(module), cls), type), name
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower()
        assert any(t.startswith(snake) for t in tests), f"no test here named test_{snake}_..."


def test_the_old_dotted_names_still_import():
    from syslead.grading import answers, repairs
    from syslead.grading.answer_comments import AnswerComments
    from syslead.grading.drop_empty_metadata import DropEmptyMetadata
    from syslead.grading.named_stubs import NamedStubs
    from syslead.grading.plain_answers import PlainAnswers
    from syslead.grading.restore_deleted_checks import RestoreDeletedChecks

    assert (answers.PlainAnswers, answers.AnswerComments, answers.NamedStubs) == (PlainAnswers, AnswerComments, NamedStubs)
    assert (repairs.DropEmptyMetadata, repairs.RestoreDeletedChecks) == (DropEmptyMetadata, RestoreDeletedChecks)
    assert answers.AUTOGRADE_PREPROCESSORS == pipeline.AUTOGRADE
    config = Config()
    config.Autograde.autograde_preprocessors = ["syslead.grading.answers.PlainAnswers"]  # an old course config
    from traitlets.utils.importstring import import_item

    assert import_item(config.Autograde.autograde_preprocessors[0]) is PlainAnswers


# --- sanitising, before the submission runs ---------------------------------------------------------------


def test_refuse_unsafe_refuses_too_many_cells_and_lets_an_honest_notebook_through(tmp_path):
    from syslead.grading.refuse import Refused, RefuseUnsafe
    from syslead.grading.submissions import MAX_CELLS

    honest = submission("levels = 3")
    assert RefuseUnsafe().preprocess(honest, {"metadata": {"path": str(tmp_path)}})[0] is honest
    flood = new_notebook(cells=[new_code_cell("") for _ in range(MAX_CELLS + 1)])
    with pytest.raises(Refused, match=r"^eve\\x1b\[2J's notebook has 5,001 cells"):  # the name escaped, too
        RefuseUnsafe().preprocess(flood, {"nbgrader": {"student": "eve\x1b[2J"}})


def test_drop_empty_metadata_makes_a_deduplicated_copy_a_plain_cell():
    from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

    from syslead.grading.drop_empty_metadata import DropEmptyMetadata

    nb = submission("levels = 3")
    nb.cells.insert(3, nbformat.from_dict(json.loads(json.dumps(nb.cells[2]))))  # the learner copied the check
    nb, res = DeduplicateIds().preprocess(nb, {})
    emptied = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader") == {}]
    assert len(emptied) == 1  # what nbgrader leaves of one copy, and CheckCellMetadata refuses
    with pytest.raises(Exception, match="Outdated schema version"):
        CheckCellMetadata().preprocess(json.loads(json.dumps(nb), object_hook=nbformat.NotebookNode), res)
    nb, res = DropEmptyMetadata().preprocess(nb, res)
    assert "nbgrader" not in nb.cells[emptied[0]].metadata
    assert by_id(nb)["check-levels"].metadata["nbgrader"]["grade"] is True  # the original keeps its own
    CheckCellMetadata().preprocess(nb, res)  # no longer stops the batch


def test_restore_deleted_checks_puts_a_deleted_check_back_from_the_gradebook(gradebook):
    from syslead.grading.restore_deleted_checks import RestoreDeletedChecks

    nb = submission("levels = 7")
    del nb.cells[2]  # the learner deleted the check cell
    nb.cells[0].source = "# My own title"  # and edited a locked cell
    nb, _ = RestoreDeletedChecks().preprocess(nb, resources(gradebook))
    cells = by_id(nb)
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells][:3] == ["intro", "answer-levels", "check-levels"]
    restored = cells["check-levels"].source
    assert CHECK_SOURCE.strip() in restored and "added back by nbgrader" in restored  # hidden block and all
    assert cells["intro"].source.startswith("# Reading")  # nbgrader's OverwriteCells, still done
    assert cells["answer-levels"].source == "levels = 7"  # the learner's answer is theirs
    assert "reflection-1" in cells and cells["reflection-1"].source == TEXT_STUB  # not doubled or lost


# --- autograding, after the submission ran ----------------------------------------------------------------


def test_bounded_execute_cuts_a_cells_output_at_the_limit_in_a_real_kernel(monkeypatch):
    from syslead.grading.execute import CUT_NOTE, BoundedExecute

    monkeypatch.setenv("SYSLEAD_SANDBOX_OUTPUT_MB", "0.1")
    monkeypatch.setenv("SYSLEAD_SANDBOX_NOTEBOOK_OUTPUT_MB", "0.15")
    # each print is one output message; the limits: 0.1 MB a cell, 0.15 MB the notebook
    nb = new_notebook(cells=[new_code_cell(f"print({letter!r} * {size})") for letter, size in
                             (("a", 60_000), ("b", 200_000), ("c", 60_000), ("d", 60_000))],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    step = BoundedExecute(kernel_name="python3", timeout=120, startup_timeout=300)
    nb, _ = step.preprocess(nb, {"metadata": {"path": "."}})
    kept = [sum(len(o.get("text", "")) for o in c.outputs if o.get("name") == "stdout") for c in nb.cells]
    notes = [[o["text"].strip() for o in c.outputs if o.get("name") == "stderr"] for c in nb.cells]
    assert kept == [60_001, 0, 60_001, 0], kept
    assert notes == [[], [CUT_NOTE.format(mb=0.1, per="per cell")], [], [CUT_NOTE.format(mb=0.15, per="per notebook")]]


def test_sanitize_notebook_cleans_learner_html_and_output_metadata():
    from syslead.grading.clean import SanitizeNotebook

    nb = submission("levels = 3")
    nb.cells[0].source = "Hi <img src=x onerror=alert(1)> [me](javascript:alert(2))"
    nb.cells[1].outputs = [
        new_output("display_data", data={"text/html": "<b>ok</b><script>alert(3)</script>"}),
        new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                   metadata={"image/png": {"width": "1 onerror=alert(4)", "height": 40}}),
    ]
    nb, _ = SanitizeNotebook().preprocess(nb, {})
    text = json.dumps(nb)
    for bad in ("onerror", "javascript:", "<script"):
        assert bad not in text, bad
    assert "<b>ok</b>" in nb.cells[1].outputs[0]["data"]["text/html"]
    assert nb.cells[1].outputs[1]["metadata"]["image/png"] == {"height": 40}  # numbers only


def test_plain_answers_marks_from_plain_values_not_from_the_kernels_output():
    from nbgrader.utils import determine_grade

    from syslead.grading.plain_answers import PlainAnswers

    def points(nb):
        nb = PlainAnswers().preprocess(nb, {})[0]  # no gradebook: a trusted notebook given directly
        return determine_grade(by_id(nb)["check-levels"])[0], one_line(by_id(nb)["check-levels"])

    trusted = CHECK_SOURCE
    assert points(submission("levels = 3", check=trusted)) == (1, "✓ Right: you answered 3. 1 < 10 < 100: three levels.\n")
    score, said = points(submission("levels = 4", check=trusted))
    assert score == 0 and said.startswith("✗ Not right: you answered 4; the answer is 3.")
    forged = "class A:\n    def __eq__(s, o):\n        return True\nlevels = A()"
    score, said = points(submission(forged, check=trusted))
    assert score == 0 and said.startswith("✗ Not marked:")


def test_plain_answers_reads_the_check_from_the_gradebook_not_from_the_submission(gradebook):
    from nbgrader.utils import determine_grade

    from syslead.grading.plain_answers import PlainAnswers

    # the learner rewrote their check to expect their own wrong answer, and their kernel said "✓ Right"
    forged = submission("levels = 7", check='check("levels", "whole number")\nexpect(7, why="mine")\n')
    nb, res = PlainAnswers().preprocess(forged, resources(gradebook))
    check = by_id(nb)["check-levels"]
    assert determine_grade(check)[0] == 0
    assert one_line(check).startswith("✗ Not right: you answered 7; the answer is 3. 1 < 10 < 100")
    assert res["syslead_verdicts"] == {"answer-levels": one_line(check)}
    nb, _ = PlainAnswers().preprocess(submission("levels = 3"), resources(gradebook))
    assert determine_grade(by_id(nb)["check-levels"])[0] == 1
    # a graded check the gradebook does not know is never marked from the learner's own source
    stray = submission("levels = 3", check=CHECK_SOURCE)
    stray.cells[2].metadata["nbgrader"]["grade_id"] = "check-mine"
    nb, _ = PlainAnswers().preprocess(stray, resources(gradebook))
    assert one_line(by_id(nb)["check-mine"]) == "✗ Not marked: this check cell is not in the course's gradebook."


def test_answer_comments_writes_the_verdict_as_the_answer_cells_comment_escaped(gradebook):
    from nbgrader.api import Gradebook

    from syslead.grading.answer_comments import AnswerComments
    from syslead.grading.plain_answers import PlainAnswers

    nb, res = PlainAnswers().preprocess(submission("levels = 3"), resources(gradebook))
    AnswerComments().preprocess(nb, res)
    with Gradebook(gradebook) as gb:
        comment = gb.find_comment("answer-levels", NOTEBOOK, ASSIGNMENT, STUDENT).auto_comment
        other = gb.find_comment("answer-levels", NOTEBOOK, ASSIGNMENT, LATE_STUDENT).auto_comment
    assert comment == "✓ Right: you answered 3. 1 &lt; 10 &lt; 100: three levels."
    assert other is None  # only this learner's


# --- generating the assignment, and the feedback ----------------------------------------------------------


def test_named_stubs_names_each_reflections_question():
    from syslead.grading.named_stubs import NamedStubs

    nb, _ = NamedStubs().preprocess(source_notebook(), {})
    head, _, tail = TEXT_STUB.partition(":")
    assert by_id(nb)["reflection-1"].source == f"{head}, for “Reflection 1: What changed?”:{tail}"
    assert by_id(nb)["answer-levels"].source == "levels = 3"  # nothing else changes


def test_late_notice_opens_late_feedback_with_one_sentence_and_says_nothing_on_time(gradebook, tmp_path):
    from nbgrader.api import Gradebook

    from syslead.tutor.late import LateNotice

    shutil.copy(ROOT / "course.yml", tmp_path / "course.yml")
    with open(tmp_path / "course.yml", "a") as f:
        f.write("\nlate_policy:\n  per_hour: 1\n  max_points: 4\n")
    with Gradebook(gradebook) as gb:  # bob's check was marked right at autograde
        gb.find_grade("check-levels", NOTEBOOK, ASSIGNMENT, LATE_STUDENT).auto_score = 1
        gb.db.commit()
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    late, _ = LateNotice(config=config).preprocess(source_notebook(), resources(gradebook, LATE_STUDENT))
    first = late.cells[0]
    assert first.metadata["syslead"] == {"late_notice": True}
    assert first.source == ("**Late work.** Submitted 3 hours after the deadline (2026-02-02 17:00 UTC); late policy: "
                            f"{_describe()}; penalty: 1 point.")
    on_time, _ = LateNotice(config=config).preprocess(source_notebook(), resources(gradebook))
    assert len(on_time.cells) == len(source_notebook().cells)


def _describe() -> str:
    from syslead.tutor.late import describe

    return describe({"per_hour": 1, "max_points": 4})
