"""``syslead collect ASSIGNMENT``: nbgrader's collect, with its ownership check explained once.

nbgrader's collect checks that each submission in the exchange is owned by the account of the learner it
claims to be from, and warns "cheating attempt?" for each one that is not (``CollectApp.check_owner``).
On a one-machine course (the course-local exchange, or a demo), every learner submits as the same
account, so the check would warn about every submission. When all the waiting submissions belong to one
account, this command says so once and collects with the check off; when they belong to several
accounts (a shared hub, where each learner logs in), the check stays on and nbgrader warns as usual.
"""

from __future__ import annotations

import argparse
import logging
import os

from syslead.errors import CourseError
from syslead.tutor.course import Course, add_course_argument

HELP = "collect an assignment's submissions (nbgrader collect; its ownership warning explained once)"


def owners(course: Course, assignment: str) -> dict[str, str]:
    """inbound submission folder -> the account that owns it."""
    import pwd

    inbound = course.exchange_root / course.course_id / "inbound"
    out = {}
    for p in sorted(inbound.glob(f"*+{assignment}+*")) if inbound.is_dir() else []:
        uid = p.stat().st_uid
        try:
            out[p.name] = pwd.getpwuid(uid).pw_name
        except KeyError:
            out[p.name] = str(uid)
    return out


def collect(assignment: str, *, course: Course | None = None, quiet: bool = False) -> dict:
    from nbgrader.apps import NbGraderAPI

    course = course or Course.find()
    course.check_assignment(assignment)
    found = owners(course, assignment)
    if not found:
        raise CourseError(f"Nobody has submitted {assignment} yet (the exchange {course.exchange_root} has no "
                          f"submissions of it): wait for submissions, then run this again.")
    config = course.config
    accounts = set(found.values())
    if len(accounts) == 1 and len(found) > 1:
        config.CollectApp.check_owner = False
        if not quiet:
            print(f"Note: all {len(found)} submissions in the exchange belong to one account "
                  f"({next(iter(accounts))}), as on a one-machine course where every learner submits from the "
                  f"same account. nbgrader's ownership check ('cheating attempt?') would warn about every one, "
                  f"so it is off for this collect; on a shared hub, where each learner has an account, it stays on.")
    log = logging.getLogger("syslead.collect")
    cwd = os.getcwd()
    os.chdir(course.root)
    try:
        result = NbGraderAPI(config=config, log=log).collect(assignment)
    finally:
        os.chdir(cwd)
    if not result.get("success"):
        from syslead.tutor.autograde import _error_line

        raise CourseError(f"nbgrader could not collect {assignment}: {_error_line(result)}")
    if not quiet:
        print(f"Collected {len(found)} submissions of {assignment} into {course.folder('submitted')}.")
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("assignment", help="the assignment (its folder name in source/)")


def run(args: argparse.Namespace) -> int:
    collect(args.assignment, course=Course.find(args.course))
    return 0
