"""One set of Kember et al. (2008) level descriptors, kept in course.yml and quoted word for word everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

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
