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
        late = total_seconds_late - 3600 * extension_hours(self.extensions, student_id, self.assignment)
        return penalty(self.policy, late, self.max_score, score)


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


def set_due_date(course, assignment: str) -> None:
    """Write the manifest's deadline for ``assignment`` into the gradebook (nbgrader reads it from there)."""
    entry = course.manifest_assignment(assignment)
    if entry is None or entry.due is None:
        return
    due = entry.due.replace(tzinfo=None)  # nbgrader keeps naive UTC times
    with course.gradebook() as gb:
        if gb.find_assignment(assignment).duedate != due:
            gb.update_or_create_assignment(assignment, duedate=due)
