"""The ``syslead`` command: course tools for learners and tutors.

Each command lives in its own module, which provides::

    HELP = "one line for the command list"
    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...     # 0 on success

and is listed in :data:`COMMANDS` below. Only the module of the command that runs is imported (the
command list reads each module's ``HELP`` line from its source without importing it), so ``syslead
--help`` works where a tutor-only module cannot load (no ``fcntl`` on Windows, no nbgrader).
A command reports a mistake by raising
:class:`syslead.errors.CourseError` with one plain sentence that says what is wrong and what to do;
``main`` prints it (no traceback) and exits with status 2.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys

from syslead import __version__
from syslead.errors import CourseError

#: command name -> module. Add a line here when you add a command.
COMMANDS: dict[str, str] = {
    "journal": "syslead.learner.journal",
    "tutor-mode": "syslead.learner.lab",
    "collect": "syslead.tutor.collect",
    "autograde": "syslead.tutor.autograde",
    "reflections": "syslead.tutor.reflections",
    "circles": "syslead.tutor.circles",
    "export": "syslead.tutor.export",
    "release-feedback": "syslead.tutor.release_feedback",
    "backup": "syslead.tutor.backup",
    "restore": "syslead.tutor.restore",
    "demo": "syslead.tutor.demo",
    "sandbox": "syslead.grading.sandbox",
    "publish": "syslead.tutor.publish",
}

#: commands whose module is in the learners' copy but which only a tutor needs: listed only where the
#: tutor's tools (``syslead.tutor``) are installed, so the learners' copy offers ``journal`` alone.
TUTOR_ONLY = {"tutor-mode"}


def present(module_name: str) -> bool:
    """Whether the command's module is in this install: the learners' copy (``syslead publish``) has no
    tutor or grading subpackage, and so lists only the learner's commands."""
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def help_line(module_name: str) -> str:
    """A command module's ``HELP`` string, read from its source file (the module is not imported)."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin:
        return ""
    tree = ast.parse(open(spec.origin, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HELP" for t in node.targets):
            try:
                return str(ast.literal_eval(node.value))
            except ValueError:
                return ""
    return ""


def _missing(name: str, error: ModuleNotFoundError):
    """A command whose module cannot load here: it says why in one sentence, and what to install."""
    def run(_args) -> int:
        if error.name == "fcntl":
            raise CourseError(f"'syslead {name}' needs Linux or macOS (it locks the gradebook with fcntl); run it "
                              f"on the course server.")
        raise CourseError(f"'syslead {name}' needs the package {error.name!r}, which is not installed here: "
                          f"install the tutor's tools with  pip install \"syslead[tutor]\"  and try again.")
    return run


def _chosen(argv: list[str]) -> str | None:
    """The command named on the command line (the first word that is one), if any."""
    return next((a for a in argv if a in COMMANDS), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (to add its options)."""
    argv = sys.argv[1:] if argv is None else argv
    chosen = _chosen(argv)
    parser = argparse.ArgumentParser(
        prog="syslead",
        description="Tools for the systems leadership course. Run tutor commands from the course root "
        "(the folder with nbgrader_config.py).",
    )
    parser.add_argument("--version", action="version", version=f"syslead {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if not present(module_name) or (name in TUTOR_ONLY and not present("syslead.tutor")):
            continue
        text = help_line(module_name)
        command = sub.add_parser(name, help=text, description=text)
        if name == chosen:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                command.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
                command.set_defaults(_run=_missing(name, error))
                continue
            module.add_arguments(command)
            command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
