"""Where syslead's repairs of tampered notebooks used to live; each now has a module of its own
(:mod:`syslead.grading.drop_empty_metadata`, :mod:`syslead.grading.restore_deleted_checks`), listed by the
course's pipeline (:data:`syslead.grading.pipeline.SANITIZE`). The old dotted names,
``syslead.grading.repairs.DropEmptyMetadata`` and ``syslead.grading.repairs.RestoreDeletedChecks``, still
import, for nbgrader configs that name them.
"""

from __future__ import annotations


def __getattr__(name: str):  # imported when first asked for: nbgrader is slow to import
    if name == "DropEmptyMetadata":
        from syslead.grading.drop_empty_metadata import DropEmptyMetadata

        return DropEmptyMetadata
    if name == "RestoreDeletedChecks":
        from syslead.grading.restore_deleted_checks import RestoreDeletedChecks

        return RestoreDeletedChecks
    raise AttributeError(name)
