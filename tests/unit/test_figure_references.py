"""Does every quick question's feedback point at the right figure?

A check cell's hidden ``why`` and ``hint`` may send the learner to "figure N". That figure must exist in the
notebook (a caption ``**Figure N.**``) and must be the one the question itself points at: the question's
own text (the markdown between its ``## `` heading and the check cell) names it too. Reading 2 once sent
learners to figure 4 for a question about figure 3, and to figure 6, which did not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.md"))
FIGURE = re.compile(r"\bfigures?\s+(\d+)", re.IGNORECASE)


def figure_mentions(text: str) -> set[int]:
    return {int(n) for n in FIGURE.findall(text)}


def checks_with_their_questions(path: Path) -> list[tuple[str, str, str]]:
    """(grade id, check cell source, the question's markdown since its '## ' heading) for each check cell."""
    nb = jupytext.read(path)
    found, question = [], ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            headings = [m.start() for m in re.finditer(r"^## ", cell.source, flags=re.M)]
            question = cell.source[headings[-1]:] if headings else question + "\n" + cell.source
        elif meta.get("grade") and not meta.get("solution"):
            found.append((meta["grade_id"], cell.source, question))
    return found


def captions(path: Path) -> set[int]:
    return {int(n) for n in re.findall(r"\*\*Figure (\d+)\.\*\*", path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_a_check_names_exists_and_is_the_one_its_question_names(path):
    problems = []
    for grade_id, check, question in checks_with_their_questions(path):
        hidden = check.split("### BEGIN HIDDEN TESTS", 1)[-1]
        for n in sorted(figure_mentions(hidden)):
            if n not in captions(path):
                problems.append(f"{grade_id} names figure {n}, which {path.name} does not have")
            elif n not in figure_mentions(question):
                problems.append(f"{grade_id} names figure {n}, but its question names {sorted(figure_mentions(question))}")
    assert not problems, "\n".join(problems)


def test_a_hint_naming_the_wrong_figure_is_caught(tmp_path):
    path = ROOT / "source" / "02-systems-innovation" / "02-systems-innovation.md"
    text = path.read_text(encoding="utf-8")
    wrong = tmp_path / path.name
    wrong.write_text(text.replace("hint='In figure 3, how many products", "hint='In figure 4, how many products"),
                     encoding="utf-8")
    assert wrong.read_text(encoding="utf-8") != text
    with pytest.raises(AssertionError, match="check-iphone names figure 4"):
        test_every_figure_a_check_names_exists_and_is_the_one_its_question_names(wrong)
