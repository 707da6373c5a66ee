"""``syslead release-feedback ASSIGNMENT``: feedback for fully marked work only, and who waits and why.

nbgrader's ``generate_feedback`` and ``release_feedback`` release every learner's feedback, marked or not:
a learner whose reflections are still unmarked gets "2.4 / 16". This command runs the same two nbgrader
steps (through nbgrader's API, so the course's feedback preprocessors and late notice apply) for each
learner whose work is fully marked, and holds back everyone else, by name, with the reason:

- answers still to mark (which ones);
- collected but not autograded (or its autograde failed);
- not a learner (the tutor's own account, such as ``root``: :mod:`syslead.tutor.classlist`).

``--all`` releases everyone's feedback anyway (what nbgrader's own commands do). Late penalties are
worked out again on the final scores first (:func:`syslead.tutor.late.refresh_penalties`), so the feedback
says what the gradebook and the export say. It also names the learners with an extension for this
assignment who have not submitted yet, so that nobody's late work is forgotten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from dataclasses import dataclass, field

from syslead.errors import CourseError
from syslead.tutor.course import Course, add_course_argument, working_directory

HELP = "release feedback for fully marked work only (nbgrader generate_feedback + release_feedback); says who waits"


@dataclass
class Plan:
    ready: list[str] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)  # learner -> why


def plan(course: Course, assignment: str, *, everyone: bool = False) -> Plan:
    """Who gets feedback now, and who is held back with the reason."""
    from syslead.tutor.classlist import not_learners
    from syslead.tutor.gradebook import grades

    out = Plan()
    waiting: dict[str, list[str]] = {}
    graded_ids = set()
    for g in grades(course, assignment):
        graded_ids.add(g.student)
        if g.score is None:
            waiting.setdefault(g.student, []).append(g.cell)
    collected = set(course.submitted(assignment))
    others = not_learners(course, graded_ids | collected)
    for sid in sorted(graded_ids | collected):
        if sid not in graded_ids:
            out.held[sid] = "collected but not autograded (or its autograde failed): run 'syslead autograde' first"
        elif sid in others and not everyone:
            out.held[sid] = f"not a learner ({others[sid]})"
        elif sid in waiting and not everyone:
            cells = sorted(waiting[sid])
            out.held[sid] = (f"{len(cells)} answer{'s' if len(cells) != 1 else ''} still to mark "
                             f"({', '.join(cells)})")
        else:
            out.ready.append(sid)
    return out


def extensions_not_submitted(course: Course, assignment: str, now: dt.datetime | None = None) -> list[str]:
    """One sentence per learner with an extension for ``assignment`` who has not submitted it yet."""
    from syslead.tutor.late import extension_hours

    manifest = course.manifest()
    if manifest is None or not manifest.extensions:
        return []
    entry = course.manifest_assignment(assignment)
    due = entry.due if entry is not None else None
    collected = set(course.submitted(assignment))
    now = now or dt.datetime.now(dt.UTC)
    out = []
    for sid in sorted(map(str, manifest.extensions)):
        try:
            hours = extension_hours(manifest.extensions, sid, assignment)
        except CourseError as error:
            out.append(str(error))
            continue
        if hours <= 0 or sid in collected:
            continue
        if due is None:
            out.append(f"{sid} has an extension of {hours:g} hours and has not submitted {assignment} yet.")
            continue
        until = (due if due.tzinfo else due.replace(tzinfo=dt.UTC)) + dt.timedelta(hours=hours)
        state = "which runs until" if until > now else "which ended on"
        out.append(f"{sid} has an extension of {hours:g} hours, {state} {until:%Y-%m-%d %H:%M} UTC, and has not "
                   f"submitted {assignment} yet: collect and grade their work when it comes, then run this again.")
    return out


def release(course: Course, assignment: str, *, everyone: bool = False, quiet: bool = False) -> Plan:
    """Generate and release feedback for the learners :func:`plan` finds ready; returns the plan."""
    from nbgrader.apps import NbGraderAPI

    from syslead.tutor.late import refresh_penalties

    course.check_assignment(assignment, in_gradebook=True)
    refresh_penalties(course, assignment)
    todo = plan(course, assignment, everyone=everyone)
    failed = {}
    with working_directory(course.root):
        api = NbGraderAPI(config=course.config, log=logging.getLogger("syslead.release_feedback"))
        steps = (("generate feedback", lambda sid: api.generate_feedback(assignment, sid, force=True)),
                 ("release feedback", lambda sid: api.release_feedback(assignment, sid)))
        for sid in todo.ready:
            for what, step in steps:
                result = step(sid)
                if not result.get("success"):
                    from syslead.tutor.autograde import _error_line

                    failed[sid] = f"nbgrader could not {what}: {_error_line(result)}"
                    break
    for sid, why in failed.items():
        todo.ready.remove(sid)
        todo.held[sid] = why
    if not quiet:
        print(f"Released feedback on {assignment} to {len(todo.ready)} learner{'s' if len(todo.ready) != 1 else ''}"
              + (f": {', '.join(todo.ready)}." if todo.ready else "."))
        if todo.held:
            print(f"Held back ({len(todo.held)}):")
            for sid, why in sorted(todo.held.items()):
                print(f"  {sid}: {why}")
            if not everyone:
                print("Mark what is missing (the grading page, or formgrader) and run this again; --all releases "
                      "everyone's feedback as it is.")
        for line in extensions_not_submitted(course, assignment):
            print(f"Note: {line}")
    return todo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("assignment", help="the assignment (its folder name in source/)")
    parser.add_argument("--all", action="store_true", dest="everyone",
                        help="release everyone's feedback, marked or not (what nbgrader's own commands do)")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    release(course, args.assignment, everyone=args.everyone)
    return 0
