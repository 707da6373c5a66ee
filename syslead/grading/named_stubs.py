"""NamedStubs: in ``generate_assignment``, after nbgrader's ClearSolutions, an emptied reflection cell's
text stub names its question (the heading of the prompt just above it), so that nbgrader's Validate, which
lists each unanswered cell by its text, says which reflection is missing
(:func:`syslead.grading.answers.named_stubs`)."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from syslead.grading.answers import named_stubs


class NamedStubs(NbGraderPreprocessor):
    """Name each reflection's question in its emptied text stub."""

    def preprocess(self, nb, resources):
        named_stubs(nb.cells)  # changes the cells in place
        return nb, resources
