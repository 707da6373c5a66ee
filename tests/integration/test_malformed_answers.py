"""Nothing a learner types stops Run All (issue 21, item 2).

Each release notebook gets more than twenty malformed answers planted under every quick question (each
in its own copy of the answer cell, with a copy of the check under it), then runs top to bottom in a fresh
kernel as Run All does (nbclient honours the ``raises-exception`` tag as JupyterLab does). Every cell
runs; the only errors are one-line sentences in answer and check cells; each planted answer gets one
sentence beside it; the charts are all drawn, as in a clean run.
"""

from __future__ import annotations

import copy
import re

import nbformat
import pytest
from conftest import ROOT, assignments, headless_kernel_env
from nbclient import NotebookClient

RELEASES = [ROOT / "release" / a / f"{a}.ipynb" for a in assignments()]

#: (what it is, the answer cell's source made from the released one); B stands for a plausible answer.
MALFORMED = [
    ("missing quotes, old form", lambda cell, name: f"{cell}{name} = B"),
    ("quotes, old form", lambda cell, name: f'{cell}{name} = "B"'),
    ("stray quote", lambda cell, name: f'{cell}"B'),
    ("stray bracket", lambda cell, name: f"{cell}B)"),
    ("text where a number goes", lambda cell, name: f"{cell}about three"),
    ("a sentence", lambda cell, name: f"{cell}I think it's the network one, isn't it?"),
    ("two different answers", lambda cell, name: f"{cell}B\nC"),
    ("emoji", lambda cell, name: f"{cell}🙂👍"),
    ("emptied cell", lambda cell, name: ""),
    ("only spaces", lambda cell, name: "   \n\t\n"),
    ("marker line deleted", lambda cell, name: "B"),
    ("marker deleted, text", lambda cell, name: "the network, I think"),
    ("marker deleted, number", lambda cell, name: "3 steps"),
    ("pasted twice", lambda cell, name: f"{cell}B\n{cell}B"),
    ("Python code", lambda cell, name: f"{cell}import os\nprint(os.getcwd())"),
    ("a shell escape", lambda cell, name: f"{cell}!echo planted"),
    ("a magic", lambda cell, name: f"{cell}%time B"),
    ("a cell magic", lambda cell, name: f"{cell}%%bash\necho planted"),
    ("help syntax", lambda cell, name: f"{cell}B?"),
    ("triple quotes", lambda cell, name: f'{cell}"""'),
    ("a backslash", lambda cell, name: f"{cell}B\\"),
    ("indented", lambda cell, name: f"{cell}        B"),
    ("HTML", lambda cell, name: f"{cell}<b onclick=alert(1)>B</b>"),
    ("None", lambda cell, name: f"{cell}None"),
    ("5,000 characters", lambda cell, name: f"{cell}{'x' * 5000}"),
    ("a table's wrapper", lambda cell, name: f'{cell}{name} = system_table("""\na | b | c | viral'),
]


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def planted(path):
    """The release notebook with every malformed answer planted under each quick question; the planted
    check cells' indices."""
    nb = nbformat.read(str(path), as_version=4)
    cells, planted_checks = [], []
    pending = None  # the answer cell whose check comes next
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        if _nbg(cell).get("solution") and not _nbg(cell).get("grade"):
            pending = cell
            continue
        if pending is not None and _nbg(cell).get("grade"):
            name = re.search(r"check\(\"(\w+)\"", cell.source).group(1)
            stub = pending.source.rstrip("\n") + "\n"
            for _, make in MALFORMED:
                answer = nbformat.v4.new_code_cell(make(stub, name), metadata=copy.deepcopy(pending.metadata))
                check = nbformat.v4.new_code_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
                for added in (answer, check):
                    added.metadata.get("nbgrader", {}).pop("grade_id", None)
                    added.metadata.pop("nbgrader", None)  # copies are not graded; their tags stay
                cells += [answer, check]
                planted_checks.append(len(cells) - 1)
            pending = None
    nb.cells = cells
    return nb, planted_checks


def run(nb, path):
    # allow_errors=False: a cell that fails without the raises-exception tag stops the run, as in Run All
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=headless_kernel_env())
    return nb


def images(nb) -> int:
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def one_sentence(outputs) -> str:
    assert len(outputs) == 1, outputs
    (out,) = outputs
    if out.output_type == "error":
        assert len(out.traceback) == 1 and "Traceback" not in out.traceback[0], out.traceback
        text = out.traceback[0]
    else:
        text = out.get("text") or out.data["text/plain"]
    text = text.strip()
    assert "\n" not in text and text.endswith((".", "?")), text
    return text


def test_there_are_more_than_twenty_kinds_of_malformed_answer():
    assert len(MALFORMED) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("path", RELEASES, ids=[p.parent.name for p in RELEASES])
def test_malformed_answers_never_stop_run_all(path):
    nb, checks = planted(path)
    assert len(checks) >= 20
    run(nb, path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():  # Run All skips a blank cell too
            continue
        assert cell.execution_count is not None, f"cell {index} did not run"
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in cell.metadata.get("tags", []), (index, out.evalue)
                assert len(out.traceback) == 1 and out.traceback[0].startswith("✗"), (index, out.traceback)
    said = {}
    for (label, _), index in zip(MALFORMED * (len(checks) // len(MALFORMED)), checks, strict=True):
        said.setdefault(label, one_sentence(nb.cells[index].outputs))
    # read by its place, with a note (a quick question), or a table's one-sentence problem (the capstone)
    assert "lost its first line" in said["marker line deleted"] or "has 1 part" in said["marker line deleted"]
    assert "5,000 characters" in said["5,000 characters"] or "No answer yet" in said["5,000 characters"] \
        or "part" in said["5,000 characters"]
    assert not any(s.startswith("✓") for s in said.values())
    clean = run(nbformat.read(str(path), as_version=4), path)
    assert images(nb) == images(clean) > 0


SOURCES = [ROOT / "source" / a / f"{a}.ipynb" for a in assignments()]


def _wrong(answer: str) -> str:
    if answer.isdigit():
        return str(int(answer) + 2)
    return "A" if answer.upper() != "A" else "C"


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_a_self_paced_copy_tells_right_from_wrong_for_every_quick_question(path):
    """The self-paced copy (syslead publish --self-paced): under each quick question a wrong answer is
    planted first (with a copy of the check), then the right one; every check says so at once."""
    from syslead.grading.answers import self_paced

    source = nbformat.read(str(path), as_version=4)
    right = {}
    for cell in source.cells:
        solution = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S)
        if cell.cell_type == "code" and _nbg(cell).get("solution") and solution:
            right[cell.source.splitlines()[0]] = solution.group(1).strip()
    nb = self_paced(source)
    cells, verdicts = [], []  # verdicts: (check cell index, right?)
    for index, cell in enumerate(nb.cells):
        first = cell.source.splitlines()[0] if cell.source else ""
        if cell.cell_type == "code" and first in right:
            check = nb.cells[index + 1]
            if "answer=" in check.source:  # a quick question (the capstone's table has public rules)
                cells += [nbformat.v4.new_code_cell(f"{cell.source.rstrip()}\n{_wrong(right[first])}",
                                                    metadata=copy.deepcopy(cell.metadata)),
                          nbformat.v4.new_code_cell(check.source, metadata=copy.deepcopy(check.metadata))]
                verdicts.append((len(cells) - 1, False))
            cell.source = f"{cell.source.rstrip()}\n{right[first]}"
            cells.append(cell)
            verdicts.append((len(cells), True))
            continue
        cells.append(cell)
    nb.cells = cells
    quick = sum(1 for c in cells if c.cell_type == "code" and "check(" in c.source and "answer=" in c.source)
    assert verdicts and sum(1 for _, ok in verdicts if not ok) * 2 == quick  # the capstone: tables only
    run(nb, path)
    for index, ok in verdicts:
        text = "\n".join((o.get("traceback") or [o.get("text") or o.get("data", {}).get("text/plain", "")])[0]
                         for o in nb.cells[index].outputs)
        if ok:
            assert text.startswith(("✓ Right", "Recorded: your table", "Recorded: you marked")) and "\n" not in text.strip(), text
        else:
            assert text.startswith("✗ Not right: you answered") and "Hint:" in text, text
