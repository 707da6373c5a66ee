"""nbgrader's formgrader, with the course's guards and a way to the grading page.

Loaded by the grading page's server extension (:mod:`syslead.tutor.grading_page`), so it is on wherever
the grading page is (the course hub's grader and tutor accounts; a tutor who ran the tutors' guide's
``jupyter server extension enable``). It changes no nbgrader file:

- **Scores.** Formgrader's page turned a score above the answer's maximum into the maximum (7 saved as 4
  on a 4-point answer) with only a red flash. Here its API refuses a score that is not a number from 0 to
  the answer's points (and a negative extra credit) with one sentence, and saves nothing; the page shows
  the sentence and the score that is in the gradebook. (:class:`GradeHandler`, a subclass of nbgrader's.)
- **A gradebook that cannot be written** (read-only, locked, a full disk) gave a spinner that never
  stopped: nbgrader's handlers let the database error through as a bare 500. Here every formgrader call
  that writes answers with the sentence that ``syslead`` commands give
  (:func:`syslead.tutor.course.database_errors`), and nothing is lost: the page shows what is saved.
- **The mark scheme.** Formgrader's grading page of a submission shows, under each reflection, its mark
  scheme from the source notebook and a link to that question on the course's grading page (comments to
  reuse, only what is still to grade), and the comments already given on that question, each a button
  that puts it in the comment box (and saves it, as typing does). Its *Manual Grading* pages open with a
  banner to the grading page, and the list of a notebook's submissions has an "Ungraded only" filter.

The handlers are put in front of formgrader's own (tornado takes the first route that matches), the
pages get one script of ours (``templates/formgrader/syslead-formgrader.js``) through an nbconvert
template that extends formgrader's, and formgrader's Jinja pages through a template that extends its
``gradebook_base.tpl``.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

from tornado import web

from syslead.errors import CourseError

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "formgrader"
SCRIPT = "syslead-formgrader.js"  # the grading page of one submission
LIST_SCRIPT = "syslead-formgrader-list.js"  # the Manual Grading list of a notebook's submissions
SCRIPTS = (SCRIPT, LIST_SCRIPT)


def score_problem(value, most: float | None, what: str = "A score") -> str | None:
    """Why VALUE cannot be saved as a score of at most MOST points (None for no limit), or None if it can.
    An empty value (None or "") clears the score, as in formgrader."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{what} must be a number, and {str(value)[:40]!r} is not: type a number; nothing was saved."
    if not math.isfinite(number):
        return f"{what} must be a number, and {str(value)[:40]!r} is not: type a number; nothing was saved."
    if number < 0:
        return f"{what} cannot be below 0 ({number:g} was typed): type a number from 0 up; nothing was saved."
    if most is not None and number > most + 1e-9:
        return (f"{what} of {number:g} is more than this answer's {most:g} points, so it was not saved: "
                f"give a score from 0 to {most:g} (extra credit has its own box).")
    return None


def _handlers():
    """nbgrader's API handlers that write, each in a subclass that refuses bad scores and says in one
    sentence why the gradebook could not be written."""
    from nbgrader.api import MissingEntry
    from nbgrader.server_extensions.formgrader import apihandlers
    from nbgrader.server_extensions.formgrader.base import check_notebook_dir, check_xsrf
    from sqlalchemy.exc import DatabaseError

    from syslead.tutor.course import database_errors

    class Guarded:
        """Turn a database error while writing into one sentence (JSON ``{"message": ...}``), after
        putting the gradebook's session back as it was (nothing half-saved)."""

        def refuse(self, status: int, message: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"message": message}))

        def guarded(self, write, *args) -> None:
            try:
                with database_errors(self.db_url):
                    write(*args)
            except CourseError as error:
                try:
                    self.gradebook.db.rollback()
                except DatabaseError:
                    pass
                self.log.warning("formgrader: %s", error)
                self.refuse(409, str(error))

    class GradeHandler(Guarded, apihandlers.GradeHandler):
        @web.authenticated
        @check_xsrf
        @check_notebook_dir
        def put(self, grade_id):
            try:
                with database_errors(self.db_url):
                    grade = self.gradebook.find_grade_by_id(grade_id)
                    most = grade.max_score
            except MissingEntry as error:
                raise web.HTTPError(404) from error
            except CourseError as error:
                return self.refuse(409, str(error))
            data = self.get_json_body() or {}
            problem = (score_problem(data.get("manual_score"), most)
                       or score_problem(data.get("extra_credit"), None, "Extra credit"))
            if problem:
                self.log.info("formgrader: refused a score for grade %s: %s", grade_id, problem)
                return self.refuse(400, problem)
            self.guarded(super().put, grade_id)

    class CommentHandler(Guarded, apihandlers.CommentHandler):
        @web.authenticated
        @check_xsrf
        @check_notebook_dir
        def put(self, comment_id):
            self.guarded(super().put, comment_id)

    class FlagSubmissionHandler(Guarded, apihandlers.FlagSubmissionHandler):
        @web.authenticated
        @check_xsrf
        @check_notebook_dir
        def post(self, submission_id):
            self.guarded(super().post, submission_id)

    class StudentHandler(Guarded, apihandlers.StudentHandler):
        @web.authenticated
        @check_xsrf
        @check_notebook_dir
        def put(self, student_id):
            self.guarded(super().put, student_id)

    class AssignmentHandler(Guarded, apihandlers.AssignmentHandler):
        @web.authenticated
        @check_xsrf
        @check_notebook_dir
        def put(self, assignment_id):
            self.guarded(super().put, assignment_id)

    ours = {apihandlers.GradeHandler: GradeHandler, apihandlers.CommentHandler: CommentHandler,
            apihandlers.FlagSubmissionHandler: FlagSubmissionHandler, apihandlers.StudentHandler: StudentHandler,
            apihandlers.AssignmentHandler: AssignmentHandler}
    return [(route, ours[handler]) for route, handler, *_ in apihandlers.default_handlers if handler in ours]


def install(web_app, log) -> bool:
    """Put the guards in front of formgrader's API and our script and banner into its pages. Returns
    False (and changes nothing) when formgrader is not loaded in this server."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.formgrader import handlers as fg_handlers
    from tornado.routing import HostMatches, Rule

    settings = web_app.settings
    if "nbgrader_formgrader" not in settings:
        return False
    base = settings["base_url"]
    routes = [(url_path_join(base, route.lstrip("/")), handler) for route, handler in _handlers()]
    # first in the router: tornado uses the first rule whose pattern matches (formgrader's are after it)
    router = web_app.default_router
    router.rules.insert(0, router.process_rule(Rule(HostMatches(".*$"), routes)))

    # formgrader's grading page of a submission: an nbconvert template that extends formgrader's own
    old = settings["nbgrader_exporter"]
    config = copy.deepcopy(old.config)
    config.HTMLExporter.template_name = "syslead-formgrade"
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), *old.extra_template_basedirs]
    config.HTMLExporter.extra_template_paths = [*old.extra_template_paths, fg_handlers.template_path]
    settings["nbgrader_exporter"] = type(old)(config=config)

    # formgrader's Manual Grading pages: a gradebook_base.tpl that extends formgrader's (as nbgrader/...)
    env = settings["nbgrader_jinja2_env"]
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES / "pages")),
                               PrefixLoader({"nbgrader": env.loader}), env.loader])
    log.info("syslead: formgrader refuses scores above an answer's points, says when the gradebook cannot be "
             "written, and shows the mark schemes")
    return True
