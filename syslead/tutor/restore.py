"""``syslead restore [BACKUP]``: put a gradebook backup back (default: the newest in ``backups/``).

The gradebook as it was just before is backed up first, so a restore can itself be undone. See
:mod:`syslead.tutor.backup` for how backups are made.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from syslead.tutor.backup import restore_gradebook
from syslead.tutor.course import Course, add_course_argument

HELP = "put a gradebook backup back (default: the newest in backups/); the current one is backed up first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("backup", nargs="?", type=Path, help="the backup file (default: the newest)")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    skipped: list[str] = []
    restored, safety = restore_gradebook(course, args.backup, skipped)
    for line in skipped:
        print(line)
    print(f"Restored the gradebook from {restored}.")
    if safety:
        print(f"The gradebook as it was just before is in {safety} (syslead restore {safety} undoes this).")
    return 0
