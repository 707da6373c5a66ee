"""DropEmptyMetadata: a repair of a tampered notebook, run by nbgrader's autograde before a submission runs
(:data:`syslead.grading.pipeline.SANITIZE`, after nbgrader's DeduplicateIds).

When a learner duplicates a check cell, DeduplicateIds drops the copy's nbgrader metadata but leaves an empty
``nbgrader`` dict, which CheckCellMetadata then rejects as an "old metadata format", and nbgrader stops the
whole batch. This step makes the copy a plain cell instead, so that the learner is graded."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyMetadata(NbGraderPreprocessor):
    """Remove an empty ``nbgrader`` metadata dict from any cell (see the module)."""

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.get("metadata", {}) and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources
