"""nbgrader's Execute, with the learner's output counted by the grader (per cell and per notebook).

The sandbox's kernel also cuts a cell's output past ``output_mb``, but that cut runs inside the learner's
own process, which their code can undo. Here the grader itself counts each output message as it arrives
from the kernel and keeps none past the limits: ``output_mb`` per cell and ``notebook_output_mb`` per
notebook (:data:`syslead.grading.pipeline.LIMITS`, or SYSLEAD_SANDBOX_OUTPUT_MB and
SYSLEAD_SANDBOX_NOTEBOOK_OUTPUT_MB). What was cut is said once in the cell's output.
"""

from __future__ import annotations

import json
import os

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

from syslead.grading.limits import LIMITS

COUNTED = {"stream", "display_data", "update_display_data", "execute_result", "error"}
CUT_NOTE = "[grader] the rest of this output was cut: it passed the limit of {mb:g} MB {per}."


def _limit_mb(name: str) -> float:
    value = os.environ.get(f"SYSLEAD_SANDBOX_{name.upper()}")
    try:
        return float(value) if value else float(LIMITS[name])
    except ValueError:
        return float(LIMITS[name])


def message_bytes(content: dict) -> int:
    """About how many bytes an output message carries (its text, its data, its traceback)."""
    total = 0
    for key in ("text", "data", "traceback", "evalue", "metadata"):
        value = content.get(key)
        if isinstance(value, str):
            total += len(value)
        elif value:
            total += len(json.dumps(value, default=str))
    return total


class BoundedExecute(Execute):
    """Execute (nbgrader's, configured as ``c.Execute``), keeping at most the output limits."""

    def preprocess(self, nb, resources=None, km=None):
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._cut: set[int] = set()
        self._cell_limit = _limit_mb("output_mb") * 1e6
        self._notebook_limit = _limit_mb("notebook_output_mb") * 1e6
        return super().preprocess(nb, resources, km)

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") in COUNTED:
            size = message_bytes(msg.get("content") or {})
            used = self._cell_bytes.get(cell_index, 0) + size
            if used > self._cell_limit or self._notebook_bytes + size > self._notebook_limit:
                if cell_index not in self._cut:
                    self._cut.add(cell_index)
                    per = "per cell" if used > self._cell_limit else "per notebook"
                    mb = (self._cell_limit if per == "per cell" else self._notebook_limit) / 1e6
                    note = new_output("stream", name="stderr", text="\n" + CUT_NOTE.format(mb=mb, per=per) + "\n")
                    cell.outputs.append(note)
                    self.log.warning("Output of cell %d cut by the grader (over %g MB %s)", cell_index, mb, per)
                return None
            self._cell_bytes[cell_index] = used
            self._notebook_bytes += size
        return super().process_message(msg, cell, cell_index)
