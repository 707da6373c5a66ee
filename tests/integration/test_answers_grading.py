"""Real ``nbgrader autograde`` and ``generate_feedback`` on a temporary course copy: forged answers score 0,
honest ones score as before, and the released feedback holds no hidden test or mark scheme."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import BIN, ROOT, course_env, nbgrader

pytestmark = pytest.mark.slow

NAME = "01-systems-leadership"

#: What each learner writes into the two answer cells of reading 1 (levels: 3, absence: "B").
SUBMISSIONS = {
    "honest": {"answer-levels": "levels = 3", "answer-absence": 'absence_answer = "B"'},
    "wrong": {"answer-levels": "levels = 4", "answer-absence": 'absence_answer = "A"'},
    "floaty": {"answer-levels": "levels = 3.0", "answer-absence": "absence_answer = ' b '"},
    # issue 15's forged answers: each earned full marks when the learner's kernel decided
    "redefines-check": {
        "answer-levels": "levels = None\ndef check(*args, **kwargs):\n    print('✓ Right')\n"
                         "def expect(*args, **kwargs):\n    pass",
        "answer-absence": "absence_answer = None\nimport builtins\nbuiltins.check = check",
    },
    "always-equal": {
        "answer-levels": "class Anything:\n    def __eq__(self, other):\n        return True\n"
                         "    def __int__(self):\n        return 3\nlevels = Anything()",
        "answer-absence": "class Letter(str):\n    def __eq__(self, other):\n        return True\n"
                          "    __hash__ = str.__hash__\nabsence_answer = Letter('A')",
    },
    "empties-later-cells": {
        "answer-levels": "levels = None\nget_ipython().input_transformers_cleanup.append(lambda lines: [])",
        "answer-absence": "absence_answer = None",
    },
    "unquoted": {"answer-levels": "levels = three", "answer-absence": "absence_answer = B"},
    # the new form (issue 21): typed under the answer cell's first line ({stub}: the released cell)
    "typed": {"answer-levels": "{stub}three", "answer-absence": "{stub} b) "},
    "typed-wrong": {"answer-levels": "{stub}4", "answer-absence": "{stub}A"},
    "first-line-deleted": {"answer-levels": "3", "answer-absence": "B"},
    "typed-nonsense": {"answer-levels": '{stub}"""', "answer-absence": "{stub}🙂\n' + __import__('os').name"},
    "typed-breakout": {"answer-levels": "{stub}3')\nlevels = 3\nprint('", "answer-absence": "{stub}B\\"},
}
HONEST = {"honest": 2, "floaty": 2, "typed": 2, "first-line-deleted": 2}


def fill(nb: nbformat.NotebookNode, answers: dict[str, str]) -> None:
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid].replace("{stub}", cell.source.rstrip("\n") + "\n")


def hidden_and_mark_scheme_lines(source_nb: Path) -> list[str]:
    """Every line of every hidden-test block and mark scheme (solution block of a markdown cell)."""
    nb = nbformat.read(str(source_nb), as_version=4)
    lines = []
    for cell in nb.cells:
        blocks = re.findall(r"BEGIN HIDDEN TESTS\n(.*?)\n### END HIDDEN TESTS", cell.source, flags=re.S)
        if cell.cell_type == "markdown":
            blocks += re.findall(r"BEGIN SOLUTION\n(.*?)\n### END SOLUTION", cell.source, flags=re.S)
        lines += [ln.strip() for block in blocks for ln in block.splitlines() if len(ln.strip()) > 12]
    return lines


def html_text(path: Path) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_forged_answers_get_0_and_honest_ones_full_marks_in_real_autograde(tmp_path):
    from conftest import copy_course

    course = copy_course(tmp_path / "course")
    nbgrader("generate_assignment", NAME, "--force", cwd=course)
    release = nbformat.read(str(course / "release" / NAME / f"{NAME}.ipynb"), as_version=4)
    for learner, answers in SUBMISSIONS.items():
        nb = nbformat.from_dict(release)
        fill(nb, answers)
        folder = course / "submitted" / learner / NAME
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{NAME}.ipynb"))
    nbgrader("autograde", NAME, cwd=course)

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for learner in SUBMISSIONS:
            sub = gb.find_submission_notebook(NAME, NAME, learner)
            scores[learner] = sum(g.auto_score or 0 for g in sub.grades if g.name in ("check-levels", "check-absence"))
    assert scores == {learner: HONEST.get(learner, 0) for learner in SUBMISSIONS}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the formgrader's comment on the answer
        comment = gb.find_comment("answer-levels", NAME, NAME, "always-equal").auto_comment
        assert comment.startswith("✗ Not marked: Write your answer to levels as a plain value"), comment
        assert gb.find_comment("answer-levels", NAME, NAME, "honest").auto_comment.startswith("✓ Right")

    graded = {learner: nbformat.read(str(course / "autograded" / learner / NAME / f"{NAME}.ipynb"), as_version=4)
              for learner in SUBMISSIONS}
    for learner, nb in graded.items():
        checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ("check-levels", "check-absence")]
        assert len(checks) == 2
        for cell in checks:  # exactly one line, the grader's, whatever the kernel printed
            (out,) = cell.outputs
            text = out.get("text", "") if out.output_type == "stream" else out.traceback[0]
            assert text.strip().startswith("✓ Right" if learner in HONEST else "✗"), (learner, text)
            assert "\n" not in text.strip()
    unquoted = next(c for c in graded["unquoted"].cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer-absence")
    (error,) = [o for o in unquoted.outputs if o.output_type == "error"]
    assert error.traceback == ['✗ Python read B as a name, not as your answer: put your answer in quotes, like "B".']

    nbgrader("generate_feedback", NAME, cwd=course)
    secret = hidden_and_mark_scheme_lines(course / "source" / NAME / f"{NAME}.ipynb")
    assert secret
    for learner in SUBMISSIONS:
        text = html_text(course / "feedback" / learner / NAME / f"{NAME}.html")
        for marker in ("BEGIN HIDDEN TESTS", "import expect", "BEGIN SOLUTION", "Mark scheme", "Traceback (most recent call last)"):
            assert marker not in text, (learner, marker)
        for line in secret:
            assert line not in text, (learner, line)
    right = html_text(course / "feedback" / "honest" / NAME / f"{NAME}.html")
    wrong = html_text(course / "feedback" / "wrong" / NAME / f"{NAME}.html")
    why = "1 + 10 + 100 = 111 people know after step 2; the remaining 889 hear at step 3."
    assert f"✓ Right: you answered 3. {why}" in right
    assert f"✗ Not right: you answered 4; the answer is 3. {why}" in wrong
    assert "✗ Not marked:" in html_text(course / "feedback" / "always-equal" / NAME / f"{NAME}.html")


def test_released_feedback_of_the_demo_cohort_holds_no_hidden_test_or_mark_scheme(tmp_path):
    demo = tmp_path / "demo"
    proc = subprocess.run([str(BIN / "syslead"), "demo", "--into", str(demo), "--learners", "4",
                           "--assignments", NAME, "--jobs", "1"],
                          cwd=ROOT, env=course_env(), capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 and "namespace" in (proc.stdout + proc.stderr).lower():
        pytest.skip(f"the grading sandbox cannot run here: {(proc.stdout + proc.stderr).strip()[-300:]}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    nbgrader("generate_feedback", NAME, cwd=demo)
    files = sorted((demo / "feedback").rglob("*.html"))
    assert len(files) >= 3, files  # some demo learners may not submit
    secret = hidden_and_mark_scheme_lines(demo / "source" / NAME / f"{NAME}.ipynb")
    assert secret
    verdicts = 0
    for path in files:
        text = html_text(path)
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "import expect", "BEGIN SOLUTION", "Mark scheme",
                       "Traceback (most recent call last)"):
            assert marker not in text, (path, marker)
        for line in secret:
            assert line not in text, (path, line)
        verdicts += text.count("✓ Right:") + text.count("✗ Not right:") + text.count("✗ No answer yet")
    assert verdicts >= 2 * len(files)  # each feedback says right or wrong for both quick questions
    shutil.rmtree(demo, ignore_errors=True)
