"""AnswerComments: after nbgrader's ``SaveAutoGrades``, the grader's line on each quick question (left by
:class:`~syslead.grading.plain_answers.PlainAnswers` in ``resources["syslead_verdicts"]``) becomes nbgrader's
automatic comment on its answer cell in the gradebook, so that formgrader shows it beside the answer."""

from __future__ import annotations

import html

from nbgrader.preprocessors import NbGraderPreprocessor


class AnswerComments(NbGraderPreprocessor):
    """Write each verdict as the answer cell's automatic comment (HTML-escaped: the feedback renders it)."""

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {}) if resources else {}
        verdicts = resources.get("syslead_verdicts", {}) if resources else {}
        if not info.get("db_url") or not verdicts:
            return nb, resources
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(info["db_url"]) as gb:
            for grade_id, message in verdicts.items():
                try:
                    comment = gb.find_comment(grade_id, info["notebook"], info["assignment"], info["student"])
                except MissingEntry:
                    continue
                # nbgrader's feedback renders the comment as markdown, raw HTML included: a capstone
                # message can name the learner's own words, so < and > become text
                comment.auto_comment = html.escape(message, quote=False)
            gb.db.commit()
        return nb, resources
