"""Strip outputs and run-time metadata from every committed notebook (see AUTHORING.md).

    python scripts/nbtools.py clean

Notebooks are written as MyST Markdown (.md) and paired with their .ipynb by jupytext
(scripts/sync_notebooks.py); this only cleans what running a notebook in JupyterLab leaves in the .ipynb.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


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
