"""The one exception a learner's check raises: one line, never a traceback (used by checks and capstone)."""


class NotYet(AssertionError):
    """An answer that is missing, malformed or not right yet. Shown as one line, never as a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython calls this instead of printing a traceback
        return [f"✗ {self}"]
