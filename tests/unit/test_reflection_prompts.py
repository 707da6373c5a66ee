"""Reflection prompts ask for one clear task and at most three questions, and the frameworks are put to work.

Issue 22: prompts of five to seven sub-questions invited checklist answers. Each prompt now gives one task in
bold ("**Your task: ...**") and at most three questions in all. Each reading has a reflection that uses one of
the course's frameworks on the learner's own work, and an optional, timed "with a colleague" activity in its
"If you want more" section that names the practice it comes from.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.md"))

# the framework each reading puts to work, and words its prompt must use
FRAMEWORKS = {
    "01-systems-leadership": ("Ghate and colleagues' six dimensions", "six dimensions"),
    "02-systems-innovation": ("Adner's adoption chain", "adoption chain"),
    "03-hero-to-host": ("Grint's tame, wicked or critical problems", "Grint"),
    "04-leading-your-system": ("the authorising environment", "authorising environment"),
}
# the practice each "with a colleague" activity is credited to
PRACTICES = {
    "01-systems-leadership": "Frank Lyman",
    "02-systems-innovation": "Cooperrider",
    "03-hero-to-host": "Presencing Institute",
    "04-leading-your-system": "Art of Hosting",
}


def prompts(path: Path) -> list[tuple[str, str]]:
    nb = jupytext.read(path)
    return [(c.metadata["nbgrader"]["grade_id"], c.source) for c in nb.cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("prompt-")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_prompt_is_one_task_and_at_most_three_questions(path):
    found = prompts(path)
    assert len(found) >= 3
    for grade_id, text in found:
        assert len(re.findall(r"\*\*Your task", text)) == 1, f"{grade_id}: give one task, in bold"
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))  # not the title
        assert body.count("?") <= 3, f"{grade_id}: {body.count('?')} questions; ask at most three"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_reflection_puts_the_readings_framework_to_work(path):
    name, words = FRAMEWORKS[path.stem]
    assert any(words in text for _, text in prompts(path)), f"{path.stem}: no prompt uses {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_there_is_a_timed_with_a_colleague_activity_credited_to_its_practice(path):
    text = path.read_text(encoding="utf-8")
    optional = text.split("\n## If you want more\n", 1)
    assert len(optional) == 2, f"{path.stem}: no 'If you want more' section"
    optional = optional[1].split("\n## ", 1)[0]
    activity = re.search(r"\*\*With (?:a colleague|colleagues) \((\d+)[^)]*minutes\)", optional)
    assert activity, f"{path.stem}: no timed 'with a colleague' activity in 'If you want more'"
    assert PRACTICES[path.stem] in optional, f"{path.stem}: credit the practice to {PRACTICES[path.stem]}"
