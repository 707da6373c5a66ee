"""PlainAnswers: nbgrader's autograde step that marks each quick question from plain values, in the
grader's own process (never by the learner's code).

It runs after the learner's notebook has been executed and before ``SaveAutoGrades`` (the course's pipeline,
:data:`syslead.grading.pipeline.AUTOGRADE`). For each graded check cell it takes the check cell's trusted
source from the gradebook (what ``generate_assignment`` stored, hidden block included), reads the question
and the learner's answer with ``ast`` only (:mod:`syslead.grading.answers`), and replaces the check cell's
outputs with one line, ``✓ Right: ...`` (a stream, full marks) or ``✗ Not right: ...`` (an error, no
marks), so that ``SaveAutoGrades``, formgrader and the feedback see the grader's verdict, not whatever the
learner's kernel printed or raised. Each verdict is also left in ``resources["syslead_verdicts"]`` for
:class:`~syslead.grading.answer_comments.AnswerComments`.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from syslead.grading.answers import (
    NotAQuickQuestion,
    Verdict,
    answer_cell,
    error_output,
    grade,
    is_marked,
    one_sentence_errors,
    read_check,
    stream_output,
)

NOT_IN_GRADEBOOK = "✗ Not marked: this check cell is not in the course's gradebook."


def trusted_sources(resources) -> dict[str, str]:
    """Each source cell's trusted source by its grade_id, from the gradebook nbgrader names in ``resources``
    (empty when there is no gradebook, or the notebook is not in it)."""
    info = resources.get("nbgrader", {}) if resources else {}
    if not info.get("db_url"):
        return {}
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(info["db_url"]) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return {}
        return {cell.name: cell.source for cell in notebook.source_cells}


class PlainAnswers(NbGraderPreprocessor):
    """Set each quick question's check-cell outcome from the plain-value comparison (see the module)."""

    def _trusted_sources(self, resources) -> dict[str, str]:
        return trusted_sources(resources)

    def preprocess(self, nb, resources):
        trusted = self._trusted_sources(resources)
        cells = nb.cells
        for index, cell in enumerate(cells):
            if cell.cell_type != "code" or not is_marked(cell, "grade") or is_marked(cell, "solution"):
                continue
            grade_id = cell.metadata["nbgrader"].get("grade_id", "")
            source = trusted.get(grade_id)
            if source is None and not trusted:
                source = cell.source  # no gradebook (a trusted notebook given directly)
            if source is None:
                cell.outputs = [error_output(NOT_IN_GRADEBOOK)]
                continue
            try:
                question = read_check(source)
            except NotAQuickQuestion as error:
                self.log.warning("Check cell %s cannot be read by the grader (%s): scored 0.", grade_id, error)
                cell.outputs = [error_output(f"✗ Not marked: this check cell is not a quick question the grader "
                                             f"can read ({error}); tell your tutor.")]
                continue
            answer = answer_cell(cells, index, question.name)
            try:
                verdict = grade(question, answer.source if answer is not None else None)
            except Exception as error:  # never let one odd answer stop the grading of the rest
                self.log.warning("Check cell %s: the answer could not be read (%r): scored 0.", grade_id, error)
                verdict = Verdict(False, "✗ Not marked: the answer cell could not be read; keep only its "
                                         "line with your answer.")
            cell.outputs = [stream_output(verdict.message) if verdict.right else error_output(verdict.message)]
            if answer is not None:
                one_sentence_errors(answer, question)
                answer_id = answer.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if answer_id and resources is not None:
                    said = resources.setdefault("syslead_verdicts", {})
                    said[answer_id] = " ".join(filter(None, [said.get(answer_id), verdict.message]))
        return nb, resources
