"""RestoreDeletedChecks: a repair of a tampered notebook, run by nbgrader's autograde before a submission
runs (:data:`syslead.grading.pipeline.SANITIZE`, in place of nbgrader's OverwriteCells).

nbgrader's OverwriteCells puts each locked and graded cell back from the gradebook's source; this step also
puts back a deleted auto-graded check (a code grade cell), after the nearest cell before it that is still
there (or at the end), so that it runs and is scored. nbgrader's own ``add_missing_cells`` fails when that
neighbour is gone too, and would also put back reflection cells with their mark scheme, which the feedback
would then show."""

from __future__ import annotations

import uuid

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells


class RestoreDeletedChecks(OverwriteCells):
    """nbgrader's OverwriteCells, and a deleted code check is put back from the source (see the module)."""

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = source_nb.source_cells
        ids = [cell.name for cell in source_cells]
        for grade_cell in source_nb.grade_cells:
            if grade_cell.cell_type != "code" or grade_cell.name not in ids:
                continue
            present = {c.metadata.nbgrader["grade_id"]: i for i, c in enumerate(nb.cells)
                       if utils.is_grade(c) or utils.is_solution(c) or utils.is_locked(c)}
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            at = ids.index(grade_cell.name)
            cell = self.missing_cell_transform(source_cells[at], grade_cell.max_score)
            # after the nearest earlier cell still there; with none, at the end (after every answer)
            after = next((present[p] for p in reversed(ids[:at]) if p in present), len(nb.cells) - 1)
            restored = nbformat.from_dict(cell)
            restored["id"] = uuid.uuid4().hex[:8]
            nb.cells.insert(after + 1, restored)
        return nb, resources

    def add_missing_task_cells(self, nb, resources):
        return nb, resources

    def preprocess(self, nb, resources):
        self.add_missing_cells = True
        return super().preprocess(nb, resources)
