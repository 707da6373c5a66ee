"""Keep every notebook in source/ and notebooks/ in step with its MyST Markdown twin (jupytext pairs).

    python scripts/sync_notebooks.py            # sync every pair: the newer file of each pair wins
    python scripts/sync_notebooks.py --check    # change nothing; list the pairs that are out of step

People edit the ``.md`` (it reviews as a readable diff). A tutor may instead edit the ``.ipynb`` in
JupyterLab, with nbgrader's Create Assignment toolbar; running this afterwards writes the change back into
the ``.md``. A ``.md`` with no ``.ipynb`` yet (a new assignment) gets its notebook. nbgrader's cell
metadata (grade ids, points, solution, locked) travels in the ``.md``'s cell metadata.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("source", "notebooks")


def pairs(root: Path | None = None) -> list[tuple[Path, Path]]:
    """Every (notebook, markdown) pair under the paired folders, whichever half exists."""
    root = root or ROOT
    stems: set[Path] = set()
    for folder in FOLDERS:
        for path in (root / folder).rglob("*"):
            if ".ipynb_checkpoints" in path.parts or path.suffix not in {".ipynb", ".md"}:
                continue
            if path.suffix == ".md" and not _is_notebook_text(path):
                continue  # a plain README, not a notebook
            stems.add(path.with_suffix(""))
    return [(s.with_suffix(".ipynb"), s.with_suffix(".md")) for s in sorted(stems)]


def _is_notebook_text(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:400]
    return head.startswith("---") and "jupytext:" in head


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, dict]]:
    keep = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.metadata.items() if k not in {"execution", "collapsed", "scrolled"}}
        keep.append((cell.cell_type, cell.source.strip(), meta))
    return keep


def out_of_step(notebook: Path, text: Path) -> str | None:
    """Why a pair is out of step, in one sentence, or None when the two hold the same cells."""
    if not notebook.exists():
        return f"{text.relative_to(ROOT)} has no notebook yet"
    if not text.exists():
        return f"{notebook.relative_to(ROOT)} has no Markdown twin yet"
    a = _cells(nbformat.read(notebook, as_version=4))
    b = _cells(jupytext.read(text))
    if len(a) != len(b):
        return f"{notebook.relative_to(ROOT)} has {len(a)} cells and its .md has {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            return f"{notebook.relative_to(ROOT)} and its .md differ at cell {i + 1}"
    return None


def sync(notebook: Path, text: Path) -> None:
    """Bring one pair in step with jupytext's own rule (the newer file is the source; outputs and cell
    ids of the notebook are kept)."""
    from jupytext.cli import jupytext as jupytext_cli

    newest = text if not notebook.exists() or (text.exists() and text.stat().st_mtime >= notebook.stat().st_mtime) else notebook
    jupytext_cli(["--sync", "--quiet", str(newest)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; list pairs that are out of step")
    args = parser.parse_args(argv)
    problems = []
    for notebook, text in pairs():
        if args.check:
            if why := out_of_step(notebook, text):
                problems.append(why)
        elif out_of_step(notebook, text):
            sync(notebook, text)
            print(f"synced {text.relative_to(ROOT)} <-> {notebook.name}")
    if problems:
        print("Out of step (run 'python scripts/sync_notebooks.py' to fix):\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
