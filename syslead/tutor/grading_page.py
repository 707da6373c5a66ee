"""The grading page: one reflection at a time, every learner's answer beside the mark scheme.

A Jupyter server extension, so it runs inside the tutor's JupyterLab, and on the hub behind the hub's
login (deploy/jupyterhub enables it for graders). Open ``/syslead/grade`` in the server (the JupyterLab
URL with ``lab`` replaced by ``syslead/grade``) for the list of questions; each question's page shows:

- the question (the prompt from the source notebook) and its mark scheme, rendered from markdown and
  sanitised;
- the Kember et al. (2008) levels (one data file, ``syslead/tutor/levels.yml``) as buttons that set the
  score, a comment box, and the comments already used for this question, to reuse with one click;
- each learner's answer in turn (sanitised HTML), anonymised by default (stable codes: see
  :func:`syslead.tutor.reflections.anonymiser`), and progress ("3 of 5 graded").

Keyboard: ``j`` / ``→`` next learner, ``k`` / ``←`` previous, ``0``-``4`` a level, ``g`` "graded" (save and
go on). Grades are saved through :mod:`syslead.tutor.gradebook` (nbgrader's API) into the course's own
gradebook: formgrader, ``nbgrader export`` and ``syslead export`` see them at once. A blank answer that
nbgrader scored 0 is never changed without a confirm. Requests need the server's login
(``@tornado.web.authenticated``) and saving needs the page's XSRF token (jupyter_server checks it).

Moderation: ``?marker=second`` opens the same page for a second marker, blind (it shows no first marks),
on a sample of the learners; second marks go to ``moderation.db`` beside the gradebook (see
:mod:`syslead.tutor.moderation`), never into nbgrader's tables. The question's page then lists where the
two marks differ by a level or more, and Cohen's kappa.

Formgrader: where nbgrader's formgrader runs in the same server, this extension also puts the course's
guards and additions into it (:mod:`syslead.tutor.formgrader`): scores above an answer's points refused
with a sentence, a sentence for a gradebook that cannot be written, and the mark schemes, the comments to
reuse and an "Ungraded only" filter on its pages.

The course root is the server's root folder when it holds ``nbgrader_config.py`` (start JupyterLab in
the course root), or ``c.SysleadGrading.course_root`` in the Jupyter config.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import tornado.web
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from syslead.errors import CourseError
from syslead.tutor.kember import level_score, levels, score_level  # noqa: F401 - score_level for callers

HERE = Path(__file__).resolve().parent
BLANK_NOTE = "blank, scored 0 by nbgrader"


@dataclass
class Entry:
    """One learner's answer to the question, as the page shows it."""

    grade: str  # nbgrader Grade.id
    learner: str  # a code when anonymised
    answer_html: str
    words: int
    score: float | None
    auto_score: float | None
    manual_score: float | None
    graded: bool
    blank: bool  # nbgrader scored an unchanged (blank) answer 0
    comment: str


def question(course, assignment: str, grade_id: str):
    from syslead.tutor.reflections import questions

    for q in questions(course, assignment):
        if q.grade_id == grade_id:
            return q
    raise CourseError(f"{assignment} has no reflection {grade_id!r}.")


def entries(course, assignment: str, grade_id: str, *, anonymise: bool = True, only: set[str] | None = None) -> list[Entry]:
    """Every learner's answer to one reflection, with its grade, in a stable order."""
    from syslead.grading.submissions import read_notebook
    from syslead.learner.reflection import STUB
    from syslead.tutor.gradebook import grades
    from syslead.tutor.reflections import _meta, anonymiser
    from syslead.tutor.render import markdown_html

    q = question(course, assignment, grade_id)
    code = anonymiser(course) if anonymise else (lambda s: s)
    rows = [g for g in grades(course, assignment) if g.cell == grade_id and g.notebook == q.notebook]
    comments = _comments(course, assignment, grade_id)
    out = []
    for g in sorted(rows, key=lambda g: code(g.student)):
        if only is not None and g.student not in only:
            continue
        path = course.folder("autograded") / g.student / assignment / f"{q.notebook}.ipynb"
        if not path.is_file():
            path = course.folder("submitted") / g.student / assignment / f"{q.notebook}.ipynb"
        text = ""
        nb, _why = read_notebook(path) if path.is_file() else (None, None)
        for cell in (nb or {}).get("cells", []):  # a refused notebook (a link, broken, huge) shows as blank
            if _meta(cell).get("grade_id") == grade_id:
                text = cell.source.strip()
        if text.lstrip("*_ ").startswith(STUB):
            text = ""
        blank = g.auto_score == 0 and not g.needs_manual_grade and g.manual_score is None
        out.append(Entry(g.grade_id, code(g.student), str(markdown_html(text)) if text else "",
                         len(text.split()), g.score, g.auto_score, g.manual_score, not g.needs_manual_grade,
                         blank, comments.get(g.student, "")))
    return out


def _comments(course, assignment: str, grade_id: str) -> dict[str, str]:
    from syslead.tutor.gradebook import cached

    return dict(cached(("comments", str(course.root), assignment, grade_id),
                       lambda: _read_comments(course, assignment, grade_id)))


def _read_comments(course, assignment: str, grade_id: str) -> dict[str, str]:
    from nbgrader.api import Assignment, Comment, SolutionCell, SubmittedAssignment, SubmittedNotebook

    with course.gradebook() as gb:
        rows = (gb.db.query(SubmittedAssignment.student_id, Comment.manual_comment)
                .join(SubmittedNotebook, SubmittedNotebook.id == Comment.notebook_id)
                .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                .join(SolutionCell, SolutionCell.id == Comment.cell_id)
                .filter(Assignment.name == assignment, SolutionCell.name == grade_id).all())
    return {s: c or "" for s, c in rows}


def reusable_comments(course, assignment: str, grade_id: str) -> list[str]:
    """The comments already given on this question, most used first."""
    from collections import Counter

    counts = Counter(c for c in _comments(course, assignment, grade_id).values() if c.strip())
    return [c for c, _ in counts.most_common(12)]


def save(course, assignment: str, grade_id: str, grade: str, *, score: float, comment: str | None,
         confirm_blank: bool = False, marker: str | None = None) -> dict:
    """Save a first marker's score (and comment) for one grade; returns the new state of the question."""
    from nbgrader.api import Grade

    from syslead.tutor.gradebook import save_grade

    q = question(course, assignment, grade_id)
    with course.gradebook() as gb:
        g = gb.db.query(Grade).filter(Grade.id == grade).one_or_none()
        if g is None or g.name != grade_id or g.notebook.assignment.assignment.name != assignment:
            raise CourseError("That answer is not part of this question: reload the page.")
        blank = g.auto_score == 0 and not g.needs_manual_grade and g.manual_score is None
    if not 0 <= score <= q.points:
        raise CourseError(f"A score for this question is between 0 and {q.points:g}.")
    if blank and not confirm_blank and score != 0:
        raise BlankAnswer("This answer was left blank and nbgrader scored it 0: confirm to give it another score.")
    save_grade(course, grade, manual_score=score, manual_comment=comment, graded=True)
    if marker:
        from syslead.tutor import moderation

        student = next(g.student for g in moderation._rows(course, assignment, grade_id) if g.grade_id == grade)
        moderation.note_first_marker(course, assignment, grade_id, student, marker)
    return progress(course, assignment, grade_id)


class BlankAnswer(CourseError):
    """A change to an auto-zeroed blank answer, not yet confirmed."""


def progress(course, assignment: str, grade_id: str) -> dict:
    from syslead.tutor.gradebook import grades

    rows = [g for g in grades(course, assignment) if g.cell == grade_id]
    done = sum(not g.needs_manual_grade for g in rows)
    return {"graded": done, "total": len(rows), "text": f"{done} of {len(rows)} graded"}


# --- the server extension ----------------------------------------------------------------------------


# Our pages run only our own script file (grading.js): no inline script, no event attributes, no plug-ins, no
# other origin. Learners' answers are sanitised before they reach a page (syslead.tutor.render); this header
# means that a script that got past the sanitiser would still not run.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")


class _Base(JupyterHandler):
    def course(self):
        from syslead.tutor.course import Course

        root = self.settings.get("syslead_course_root") or self.settings.get("server_root_dir") or "."
        return Course.find(root)

    def render_page(self, name: str, **context) -> None:
        from syslead.tutor.reflections import templates

        context.setdefault("base", self.base_url)
        context.setdefault("xsrf", self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.finish(templates().get_template(name).render(**context))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        message = str(error) if isinstance(error, CourseError) else self._reason
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(message)


class IndexHandler(_Base):
    @tornado.web.authenticated
    def get(self):
        from syslead.tutor.reflections import questions

        course = self.course()
        items = []
        for assignment in course.gradebook_assignments():
            if not (course.folder("source") / assignment).is_dir():
                continue
            for q in questions(course, assignment):
                items.append({"assignment": assignment, "question": q, **progress(course, assignment, q.grade_id)})
        self.render_page("grading-index.html.j2", items=items)


class QuestionHandler(_Base):
    @tornado.web.authenticated
    def get(self, assignment: str, grade_id: str):
        from syslead.tutor.gradebook import request_cache

        with request_cache():  # one read of the grades, questions and comments for the whole page
            self._get(assignment, grade_id)

    def _get(self, assignment: str, grade_id: str):
        from syslead.tutor import moderation
        from syslead.tutor.render import markdown_html

        course = self.course()
        try:
            q = question(course, assignment, grade_id)
        except CourseError as error:
            raise tornado.web.HTTPError(404, str(error)) from error
        anonymise = self.get_argument("names", "") != "show"
        second = self.get_argument("marker", "") == "second"
        sample = moderation.sample(course, assignment, grade_id) if second else None
        data = entries(course, assignment, grade_id, anonymise=anonymise, only=sample)
        if second:
            marks = moderation.marks(course, assignment, grade_id)
            for e in data:  # blind: the first marker's score and comment are not shown
                e.score = marks.get(e.grade)
                e.manual_score = None
                e.graded = e.grade in marks
                e.comment = ""
        self.render_page(
            "grading.html.j2", assignment=assignment, q=q, prompt=markdown_html(q.prompt),
            scheme=markdown_html(q.mark_scheme), levels=levels(), anonymised=anonymise, second=second,
            entries=[asdict(e) for e in data], progress=(
                {"text": f"{sum(e.graded for e in data)} of {len(data)} second-marked"} if second
                else progress(course, assignment, grade_id)),
            comments=reusable_comments(course, assignment, grade_id) if not second else [],
            agreement=None if second else moderation.agreement(course, assignment, grade_id, q.points))


class SaveHandler(_Base, APIHandler):
    @tornado.web.authenticated
    def post(self, assignment: str, grade_id: str):
        from syslead.tutor import moderation

        course = self.course()
        body = json.loads(self.request.body or b"{}")
        q = question(course, assignment, grade_id)
        try:
            score = float(body["score"]) if body.get("score") is not None else level_score(body["level"], q.points)
            if body.get("marker") == "second":
                moderation.save(course, assignment, grade_id, str(body["grade"]), score, q.points,
                                marker=moderation.marker_name(self))
                marks = moderation.marks(course, assignment, grade_id)
                result = {"text": f"{len(marks)} of {len(moderation.sample(course, assignment, grade_id))} "
                                  f"second-marked"}
            else:
                result = save(course, assignment, grade_id, str(body["grade"]), score=score,
                              comment=body.get("comment"), confirm_blank=bool(body.get("confirm")),
                              marker=moderation.marker_name(self))
        except BlankAnswer as error:
            self.set_status(409)
            self.finish(json.dumps({"confirm": str(error)}))
            return
        except (CourseError, KeyError, ValueError) as error:
            self.set_status(400)
            self.finish(json.dumps({"error": str(error) if isinstance(error, CourseError) else
                                    "The request is missing the answer or the score: reload the page."}))
            return
        self.finish(json.dumps({"ok": True, "score": score, "progress": result}))


class AgreeHandler(_Base):
    """The first marker's page: the agreed mark of an answer the two markers put a level or more apart."""

    @tornado.web.authenticated
    def post(self, assignment: str, grade_id: str):
        from syslead.tutor import moderation

        course = self.course()
        try:
            q = question(course, assignment, grade_id)
            try:
                score = float(self.get_argument("score"))
            except ValueError as error:
                raise CourseError("The agreed mark should be a number: go back and try again.") from error
            moderation.agree(course, assignment, grade_id, self.get_argument("grade"), score, q.points,
                             moderation.marker_name(self))
        except CourseError as error:  # a bad input: its one sentence, as the page's other forms give it
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(str(error))
            return
        self.redirect(url_path_join(self.base_url, "syslead", "grade", assignment, grade_id))


class ScriptHandler(_Base):
    @tornado.web.authenticated
    def get(self):
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.finish((HERE / "templates" / "grading.js").read_text(encoding="utf-8"))


class SchemesHandler(_Base, APIHandler):
    """The reflections of one notebook of an assignment, for formgrader's grading page of a submission
    (syslead/tutor/formgrader.py): each one's mark scheme (rendered, sanitised), its page here and the
    comments already given on it, most used first."""

    @tornado.web.authenticated
    def get(self, assignment: str, notebook: str):
        from syslead.tutor.reflections import questions
        from syslead.tutor.render import markdown_html

        course = self.course()
        found = {q.grade_id: {"title": q.title, "scheme_html": str(markdown_html(q.mark_scheme)),
                              "url": f"/syslead/grade/{assignment}/{q.grade_id}",
                              "comments": reusable_comments(course, assignment, q.grade_id)}
                 for q in questions(course, assignment) if q.notebook == notebook}
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(found))


class FormgraderScriptHandler(_Base):
    """The course's scripts for formgrader's pages (syslead/tutor/formgrader.py)."""

    @tornado.web.authenticated
    def get(self, name: str):
        from syslead.tutor.formgrader import SCRIPTS, TEMPLATES

        if name not in SCRIPTS:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.finish((TEMPLATES / name).read_text(encoding="utf-8"))


def _jupyter_server_extension_points():
    return [{"module": "syslead.tutor.grading_page"}]


def _load_jupyter_server_extension(serverapp):
    import os

    web_app = serverapp.web_app
    root = os.environ.get("SYSLEAD_COURSE_ROOT") or serverapp.config.get("SysleadGrading", {}).get("course_root")
    if root:
        web_app.settings["syslead_course_root"] = root
    base = url_path_join(web_app.settings["base_url"], "syslead", "grade")
    part = r"([A-Za-z0-9_.-]+)"
    web_app.add_handlers(".*$", [
        (base, IndexHandler),
        (url_path_join(base, "grading.js"), ScriptHandler),
        (url_path_join(base, r"(syslead-formgrader[a-z-]*\.js)"), FormgraderScriptHandler),
        (url_path_join(base, "api", "schemes", part, part), SchemesHandler),
        (url_path_join(base, "agree", part, part), AgreeHandler),
        (url_path_join(base, part, part), QuestionHandler),
        (url_path_join(base, "api", part, part), SaveHandler),
    ])
    serverapp.log.info("syslead: the grading page is at %s", base)
    from syslead.tutor import formgrader

    formgrader.install(web_app, serverapp.log)  # formgrader's guards and mark schemes, when it is loaded
