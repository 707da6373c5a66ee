"""No spoilers: Run All on a learner's copy shows no answer to a question the learner has not answered yet.

For every release notebook, a fresh kernel runs every cell as it is released (every answer still
`None`). The answers come from the source notebook: the value each solution cell sets, the hidden tests'
explanations, and, for a multiple-choice question, the wording of the right option. The test fails when

- anything a cell shows in a question's own section (from its "Check your understanding" heading to the
  next heading: the check's note, the scratch cell) holds the answer: the number (or a number that rounds
  to it), or the letter in quotes;
- any output anywhere (text, tables, a chart's alt text) spells out the right option's wording, or
  quotes a hidden test's explanation.
"""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, headless_kernel_env
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
OPTION = re.compile(r"^- \*\*([A-Z])\.\*\* (.+)$", re.M)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


@dataclass
class Question:
    grade_id: str
    value: object
    option: str = ""  # the right option's words, for a letter answer
    explanations: list[str] = field(default_factory=list)


def normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def questions(source: Path) -> list[Question]:
    """Each quick question of a source notebook, with its answer, from its solution and hidden tests."""
    cells = nbformat.read(str(source), as_version=4).cells
    found = []
    for i, cell in enumerate(cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        solution = SOLUTION.search(cell.source) if cell.cell_type == "code" else None
        if not solution or not grade_id.startswith("answer-"):
            continue
        try:  # a quick question's solution sets one plain value; the capstone's tables are not questions
            value = ast.literal_eval(ast.parse(solution.group(1)).body[-1].value)
        except (SyntaxError, ValueError, AttributeError, IndexError):
            continue
        q = Question(grade_id, value)
        prompt = next(c.source for c in reversed(cells[:i]) if c.cell_type == "markdown")
        if isinstance(value, str):
            q.option = dict(OPTION.findall(prompt)).get(value.strip().upper(), "").strip()
        for later in cells[i + 1 : i + 3]:
            hidden = HIDDEN.search(later.source) if later.cell_type == "code" else None
            if hidden:
                q.explanations += [n.value for n in ast.walk(ast.parse(hidden.group(1)))
                                   if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) > 20]
        found.append(q)
    return found


def shown(output) -> str:
    """Everything an output shows or says: text, HTML without tags (alt text kept), errors."""
    parts = []
    if output.output_type == "stream":
        parts.append(output.text)
    elif output.output_type == "error":
        parts.append(f"{output.ename}: {output.evalue}")
    else:
        data = output.get("data", {})
        parts.append(data.get("text/plain", ""))
        page = data.get("text/html", "")
        parts += re.findall(r'alt="([^"]*)"', page)
        parts.append(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", page)))
    return html.unescape(" ".join(parts))


def sections(cells) -> dict[str, tuple[int, int]]:
    """Each answer cell's question section: (first cell, end) from its heading to the next heading."""
    headings = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and re.search(r"^#+ ", c.source, re.M)]
    found = {}
    for i, cell in enumerate(cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("answer-"):
            start = max(h for h in headings if h < i)
            end = min([h for h in headings if h > i] or [len(cells)])
            found[grade_id] = (start, end)
    return found


def spoilers(nb, qs: list[Question]) -> list[str]:
    cells = nb.cells
    where = sections(cells)
    problems = []
    for q in qs:
        assert q.grade_id in where, f"{q.grade_id} is not in the learner's copy"
        start, end = where[q.grade_id]
        for i in range(start, end):
            for out in cells[i].get("outputs", []):
                text = shown(out)
                if isinstance(q.value, str):
                    if re.search(rf"[\"'“‘]{re.escape(q.value.strip())}[\"'”’]", text):
                        problems.append(f"cell {i} shows the answer to {q.grade_id} ({q.value!r}): {text[:160]!r}")
                else:
                    for number in NUMBER.findall(text):
                        if round(float(number)) == q.value:
                            problems.append(f"cell {i} shows the answer to {q.grade_id} ({q.value!r}) as "
                                            f"{number}: {text[:160]!r}")
                            break
        for i, cell in enumerate(cells):
            for out in cell.get("outputs", []):
                text = normal(shown(out))
                if q.option and normal(q.option.rstrip(".")) in text:
                    problems.append(f"cell {i} spells out the right option of {q.grade_id}: {q.option!r}")
                for why in q.explanations:
                    if normal(why) in text:
                        problems.append(f"cell {i} quotes the explanation of {q.grade_id}: {why[:80]!r}")
    return problems


def run_all(path: Path):
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=headless_kernel_env())
    return nb


def test_the_rules_find_a_spoiler():
    """The rules themselves: a scratch cell that prints the answer, an alt text that names the option."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Check your understanding 1"),
        nbformat.v4.new_code_cell("levels = None", metadata={"nbgrader": {"grade_id": "answer-levels"}}),
        nbformat.v4.new_code_cell("check()", outputs=[nbformat.v4.new_output(
            "error", ename="NotYet", evalue="No answer yet: replace None with your answer (a whole number)")]),
        nbformat.v4.new_code_cell("scratch", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "   step  informed\n0  0  1\n3  3  1000"})]),
        nbformat.v4.new_markdown_cell("## Next"),
        nbformat.v4.new_code_cell("chart", outputs=[nbformat.v4.new_output("display_data", data={
            "text/html": '<img alt="The star has less broadcast and more word of mouth than the average">'})]),
    ]
    nb.cells[1].metadata["nbgrader"]["grade_id"] = "answer-levels"
    nb.cells.insert(5, nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade_id": "answer-iphone"}}))
    found = spoilers(nb, [Question("answer-levels", 3),
                          Question("answer-iphone", "B", option="Less broadcast and more word of mouth.")])
    assert len(found) == 2 and "cell 3" in found[0] and "right option" in found[1], found
    nb.cells[3].outputs = []
    assert len(spoilers(nb, [Question("answer-levels", 3)])) == 0


@pytest.mark.parametrize("name", assignments())
def test_run_all_shows_no_answer_before_the_learner_gives_one(name):
    qs = questions(ROOT / "source" / name / f"{name}.ipynb")
    if not qs:
        pytest.skip(f"{name} has no quick questions")  # the capstone: reflections and a plan only
    nb = run_all(ROOT / "release" / name / f"{name}.ipynb")
    problems = spoilers(nb, qs)
    assert not problems, f"{name}:\n" + "\n".join(problems)
