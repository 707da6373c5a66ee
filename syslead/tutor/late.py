"""Late work: deadlines, a penalty rule and extensions, all from the course manifest (course.yml).

In course.yml::

    assignments:
    - id: 02-systems-innovation
      due: 2026-02-02 17:00:00 UTC        # the deadline (UTC)
      ...
    late_policy:                          # one rule for the course; leave it out for no penalty
      per_hour: 1                         # points off for each hour late or part of one ...
      max_points: 4                       # ... but never more than this (optional)
    # or
    late_policy:
      percent_per_day: 10                 # % of the assignment's points off per day late or part of one
      max_percent: 50                     # (optional)
    extensions:                           # per learner, in hours; 'all' for every assignment
      learner-id: {02-systems-innovation: 48}
      other-id: {all: 24}

How it is applied: nbgrader's own ``AssignLatePenalties`` step of autograde asks a
``LateSubmissionPlugin`` for each late notebook's penalty; :class:`ManifestLatePenalty` is that plugin,
configured from the manifest by :func:`configure` (``syslead autograde`` does it, and writes the
manifest's ``due`` into the gradebook first, so formgrader and ``nbgrader export`` see the same deadline).
A learner's extension moves their deadline: the plugin takes the extension off the time late before
it applies the rule. nbgrader never takes off more than the notebook's score.

nbgrader applies the rule once, at autograde, to the score before any reflection is marked; so
:func:`refresh_penalties` applies it again to the current score whenever syslead saves a mark, exports
or writes feedback.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode

from syslead.errors import CourseError

RULES = ("per_hour", "percent_per_day")


def check_policy(policy: dict) -> None:
    """Raise a sentence for a late_policy that cannot be applied."""
    if not policy:
        return
    rules = [k for k in RULES if k in policy]
    unknown = sorted(set(policy) - {*RULES, "max_points", "max_percent"})
    if len(rules) != 1 or unknown:
        raise CourseError("course.yml's late_policy should have one rule, per_hour (points per hour late) or "
                          "percent_per_day (per cent of the points per day late), with max_points or max_percent "
                          f"if you want a cap; it has {', '.join(sorted(policy)) or 'nothing'}.")
    for key, value in policy.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise CourseError(f"course.yml's late_policy {key} is {value!r}: give a number of 0 or more.")


def extension_hours(extensions: dict, student: str, assignment: str) -> float:
    """The learner's extension for this assignment, in hours (0 when none)."""
    mine = extensions.get(student) or {}
    if not isinstance(mine, dict):
        raise CourseError(f"course.yml's extensions for {student} should map assignment ids (or 'all') to "
                          f"hours, like  {student}: {{{assignment}: 48}}.")
    value = mine.get(assignment, mine.get("all", 0))
    if not isinstance(value, int | float) or value < 0:
        raise CourseError(f"course.yml's extension for {student} is {value!r}: give the hours as a number.")
    return float(value)


def penalty(policy: dict, seconds_late: float, max_score: float, score: float | None = None) -> float:
    """The points taken off for work ``seconds_late`` late (0 when on time or no policy)."""
    if not policy or seconds_late <= 0:
        return 0.0
    if "per_hour" in policy:
        points = math.ceil(seconds_late / 3600) * float(policy["per_hour"])
        if "max_points" in policy:
            points = min(points, float(policy["max_points"]))
    else:
        percent = math.ceil(seconds_late / 86400) * float(policy["percent_per_day"])
        if "max_percent" in policy:
            percent = min(percent, float(policy["max_percent"]))
        points = max_score * min(percent, 100.0) / 100
    if score is not None:
        points = min(points, score)
    return round(points, 6)


def describe(policy: dict) -> str:
    """The rule in words, for reports and feedback."""
    if not policy:
        return "no late penalty"
    if "per_hour" in policy:
        text = f"{policy['per_hour']:g} point{'s' if policy['per_hour'] != 1 else ''} per hour late"
        return text + (f", at most {policy['max_points']:g}" if "max_points" in policy else "")
    text = f"{policy['percent_per_day']:g}% of the points per day late"
    return text + (f", at most {policy['max_percent']:g}%" if "max_percent" in policy else "")


class ManifestLatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin, with the rule and the extensions from course.yml."""

    policy = Dict(help="course.yml's late_policy").tag(config=True)
    extensions = Dict(help="course.yml's extensions").tag(config=True)
    assignment = Unicode("", help="the assignment being graded").tag(config=True)
    max_score = Float(0.0, help="the assignment's points").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        assignment, max_score = self.assignment, self.max_score
        if not assignment:  # set by the course's pipeline (formgrader, nbgrader autograde): ask nbgrader's step
            assignment = getattr(self.parent, "assignment_id", "") or ""
            try:
                max_score = self.parent.gradebook.find_assignment(assignment).max_score
            except Exception:  # no gradebook at hand: a percent rule then takes nothing off
                max_score = 0.0
        late = total_seconds_late - 3600 * extension_hours(self.extensions, student_id, assignment)
        return penalty(self.policy, late, max_score, score)


def configure(config, manifest, assignment: str, max_score: float) -> None:
    """Point nbgrader's AssignLatePenalties at :class:`ManifestLatePenalty` with the manifest's rule."""
    if manifest is None or not manifest.late_policy:
        return  # nbgrader's own default: no penalty
    check_policy(manifest.late_policy)
    config.AssignLatePenalties.plugin_class = ManifestLatePenalty
    config.ManifestLatePenalty.policy = dict(manifest.late_policy)
    config.ManifestLatePenalty.extensions = {k: dict(v) if isinstance(v, dict) else v
                                             for k, v in manifest.extensions.items()}
    config.ManifestLatePenalty.assignment = assignment
    config.ManifestLatePenalty.max_score = float(max_score)


def refresh_penalties(course, assignment: str | None = None, student: str | None = None) -> dict:
    """Apply the manifest's late policy again to the *current* score of every late notebook (of
    ``assignment``, of ``student``, when given) and write the new penalty into the gradebook.

    nbgrader works the penalty out once, at autograde, when the reflections are not marked yet and the
    score is only the quick questions' points, and never again. Every syslead step that reads or shows a
    penalty (the grading page's save, ``syslead export``, the feedback's late notice, ``syslead
    release-feedback``) calls this first, so the gradebook, the export and the feedback agree with the
    policy on the final score. Returns {(assignment, learner): (old, new)} for the penalties that changed.
    Nothing is done without a ``late_policy`` in course.yml (nbgrader's own penalties are then left alone)."""
    manifest = course.manifest()
    if manifest is None or not manifest.late_policy or not course.has_gradebook():
        return {}
    with course.gradebook() as gb:
        return refresh_in(gb, manifest, assignment, student)


def refresh_in(gb, manifest, assignment: str | None = None, student: str | None = None) -> dict:
    """:func:`refresh_penalties` in an open nbgrader ``Gradebook`` with a loaded manifest."""
    if manifest is None or not manifest.late_policy:
        return {}
    from nbgrader.api import Assignment, SubmittedAssignment, SubmittedNotebook

    changed = {}
    query = (gb.db.query(SubmittedNotebook, SubmittedAssignment, Assignment)
             .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
             .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id))
    if assignment is not None:
        query = query.filter(Assignment.name == assignment)
    if student is not None:
        query = query.filter(SubmittedAssignment.student_id == student)
    for nb, sub, a in query.all():
        seconds = sub.total_seconds_late or 0
        if seconds <= 0:
            continue
        late = seconds - 3600 * extension_hours(manifest.extensions or {}, sub.student_id, a.name)
        new = penalty(manifest.late_policy, late, float(a.max_score or 0), float(nb.score or 0))
        old = nb.late_submission_penalty
        if old is None or abs(float(old) - new) > 1e-9:
            nb.late_submission_penalty = new
            key = (a.name, sub.student_id)
            before = changed.get(key, (0.0, 0.0))
            changed[key] = (before[0] + float(old or 0), before[1] + new)
    if changed:
        gb.db.commit()
    return changed


def set_due_date(course, assignment: str) -> None:
    """Write the manifest's deadline for ``assignment`` into the gradebook (nbgrader reads it from there)."""
    entry = course.manifest_assignment(assignment)
    if entry is None or entry.due is None:
        return
    due = entry.due.replace(tzinfo=None)  # nbgrader keeps naive UTC times
    with course.gradebook() as gb:
        if gb.find_assignment(assignment).duedate != due:
            gb.update_or_create_assignment(assignment, duedate=due)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f}" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f}"


def notice(*, seconds_late: float, due, policy: dict, extension: float, penalty_points: float) -> str | None:
    """The sentence a learner's feedback gives about lateness; None when the work was on time."""
    if not seconds_late or seconds_late < 0 or due is None:
        return None
    plural = "s" if penalty_points != 1 else ""
    text = f"Submitted {_hours(seconds_late)} hours after the deadline ({_when(due)})"
    if extension:
        import datetime as dt

        extended = due + dt.timedelta(hours=extension)
        beyond = seconds_late - 3600 * extension
        if beyond <= 0:
            return (text + f", within your extension of {extension:g} hours (extended deadline {_when(extended)}): "
                    "on time, no penalty.")
        text += (f", {_hours(beyond)} hours after your extended deadline ({_when(extended)}, an extension of "
                 f"{extension:g} hours)")
    return text + f"; late policy: {describe(policy)}; penalty: {penalty_points:g} point{plural}."


def _notice_class():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class LateNotice(NbGraderPreprocessor):
        """generate_feedback: a late submission's feedback opens with one plain sentence, when it was
        submitted against the deadline (and the learner's extended deadline), the rule and the points taken
        off, all read from the gradebook (nbgrader.api) and the manifest. On-time work says nothing."""

        def preprocess(self, nb, resources):
            from pathlib import Path

            import nbformat
            from nbgrader.api import Gradebook, MissingEntry

            info = resources.get("nbgrader", {}) if resources else {}
            if not info.get("db_url"):
                return nb, resources
            from syslead.tutor.course import Course

            root = getattr(getattr(self.config, "CourseDirectory", None), "root", None) or "."
            manifest = Course(Path(root), None).manifest()
            with Gradebook(info["db_url"]) as gb:
                # the policy on the score as it is now (reflections marked since autograde)
                refresh_in(gb, manifest, info["assignment"], info["student"])
                try:
                    sub = gb.find_submission(info["assignment"], info["student"])
                    nb_sub = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
                except MissingEntry:
                    return nb, resources
                seconds, due = sub.total_seconds_late, sub.duedate
                points = nb_sub.late_submission_penalty or 0.0
                total = nb_sub.score
            if resources.get("nbgrader", {}).get("late_penalty") is not None:  # GetGrades read it before
                resources["nbgrader"]["late_penalty"] = points
                resources["nbgrader"]["score"] = total - points
            if not seconds or seconds <= 0:
                return nb, resources
            policy, extension = {}, 0.0
            if manifest is not None:
                policy = dict(manifest.late_policy or {})
                extension = extension_hours(manifest.extensions or {}, info["student"], info["assignment"])
            sentence = notice(seconds_late=seconds, due=due, policy=policy, extension=extension,
                              penalty_points=points)
            if sentence:
                cell = nbformat.v4.new_markdown_cell(f"**Late work.** {sentence}")
                cell.metadata["syslead"] = {"late_notice": True}
                nb.cells.insert(0, cell)
                resources["nbgrader"]["late_notice"] = sentence
            return nb, resources

    return LateNotice


def __getattr__(name: str):  # nbgrader's preprocessors are slow to import: built on first use
    if name == "LateNotice":
        globals()["LateNotice"] = _notice_class()
        return globals()["LateNotice"]
    raise AttributeError(name)
