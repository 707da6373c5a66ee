"""Build and clean course notebooks with the right nbgrader metadata (see AUTHORING.md).

Used by authors (``python scripts/nbtools.py clean``) and by the tests. Cells are built with nbformat:

    from nbtools import md, code, reflection, answer, check_cell, notebook
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def md(text: str):
    """A plain markdown cell."""
    return new_markdown_cell(text.strip("\n"))


def code(source: str, *, tags: list[str] | None = None):
    """A plain code cell."""
    cell = new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def prompt(grade_id: str, text: str):
    """A locked markdown cell: a question's prompt, restored if a learner edits it."""
    cell = new_markdown_cell(text.strip("\n"))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False, locked=True)
    return cell


def reflection(grade_id: str, mark_scheme: str, points: float):
    """A manually graded markdown answer cell; its text (the mark scheme) is removed in the release."""
    body = "### BEGIN SOLUTION\n" + mark_scheme.strip("\n") + "\n### END SOLUTION"
    cell = new_markdown_cell(body)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, locked=False, points=points)
    return cell


def answer(grade_id: str, source: str):
    """An auto-graded answer cell (the solution region is replaced by the stub in the release)."""
    cell = new_code_cell(source.strip("\n"))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True, locked=False)
    return cell


def check_cell(grade_id: str, source: str, points: float):
    """A locked, graded check cell, tagged so that "Run all" goes on when it fails."""
    cell = new_code_cell(source.strip("\n"))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=False, locked=True, points=points)
    cell.metadata["tags"] = ["raises-exception"]
    return cell


def notebook(cells) -> nbformat.NotebookNode:
    """A notebook with the course's Python kernel."""
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def clean(nb: nbformat.NotebookNode) -> bool:
    """Strip outputs, execution counts and run-time metadata in place; return True if anything changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled", "jp-MarkdownHeadingCollapsed"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    if "widgets" in nb.metadata:
        del nb.metadata["widgets"]
        changed = True
    return changed


def course_notebooks() -> list[Path]:
    """Every committed notebook: notebooks/, source/ and release/."""
    return sorted(
        p for folder in ("notebooks", "source", "release") for p in (ROOT / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook cleanly (validated, cell ids kept)."""
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def main(argv: list[str]) -> int:
    if argv[:1] != ["clean"]:
        print("Usage: python scripts/nbtools.py clean   (strips outputs from every course notebook)")
        return 2
    for path in course_notebooks():
        nb = nbformat.read(str(path), as_version=4)
        if clean(nb):
            write(nb, path)
            print(f"cleaned {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
