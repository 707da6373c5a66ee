"""The ``syslead`` command: course tools for learners and tutors.

Each command lives in its own module, which provides::

    HELP = "one line for the command list"
    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...     # 0 on success

and is listed in :data:`COMMANDS` below. A command reports a mistake by raising
:class:`syslead.errors.CourseError` with one plain sentence that says what is wrong and what to do;
``main`` prints it (no traceback) and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from syslead import __version__
from syslead.errors import CourseError

#: command name -> module. Add a line here when you add a command.
COMMANDS: dict[str, str] = {
    "journal": "syslead.learner.journal",
    "autograde": "syslead.tutor.autograde",
    "reflections": "syslead.tutor.reflections",
    "export": "syslead.tutor.export",
    "backup": "syslead.tutor.backup",
    "restore": "syslead.tutor.restore",
    "demo": "syslead.tutor.demo",
    "sandbox": "syslead.grading.sandbox",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syslead",
        description="Tools for the systems leadership course. Run tutor commands from the course root "
        "(the folder with nbgrader_config.py).",
    )
    parser.add_argument("--version", action="version", version=f"syslead {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0 if not COMMANDS else 2
    try:
        return int(args._run(args) or 0)
    except CourseError as error:
        print(f"syslead {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"syslead {args.command}: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
