"""What every tutor command shares: finding the course root, reading nbgrader's settings, opening the
gradebook, one writer at a time, and the sentences for the mistakes a tutor can make.

A course root is the folder with ``nbgrader_config.py`` (as for nbgrader itself). Settings are read the
way nbgrader reads them (``nbgrader.apps.baseapp.NbGrader.load_config_file``: the Jupyter config folders,
then the course root), so ``CourseDirectory.db_url``, ``Exchange.root`` and ``Execute.timeout`` mean
the same to ``syslead`` as to ``nbgrader``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from syslead.errors import CourseError

CONFIG_FILE = "nbgrader_config.py"


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The course root: ``start`` (default: the current folder) if it holds ``nbgrader_config.py``."""
    here = Path(start or os.getcwd()).resolve()
    if not here.is_dir():
        raise CourseError(f"There is no folder {here}: give the course root, the folder with {CONFIG_FILE}.")
    if (here / CONFIG_FILE).is_file():
        return here
    for parent in here.parents:
        if (parent / CONFIG_FILE).is_file():
            raise CourseError(f"{here} is inside the course, not at its root: cd {parent} (the folder with "
                              f"{CONFIG_FILE}) and run the command again.")
    raise CourseError(f"{here} is not a course directory (it has no {CONFIG_FILE}): cd to the course root, "
                      f"the folder with {CONFIG_FILE}, and run the command again.")


def tools_on_path() -> None:
    """Put this Python's bin folder first on PATH: nbgrader runs ``alembic`` as a command when it makes a
    new gradebook, and kernels should be this environment's Python, even if the virtual environment was
    not activated (``.venv/bin/syslead ...``)."""
    bin_dir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *[p for p in parts if p != bin_dir]])


def load_config(root: Path):
    """nbgrader's configuration for the course at ``root``, loaded as nbgrader loads it."""
    from nbgrader.apps.baseapp import NbGrader

    tools_on_path()
    with working_directory(root):
        app = NbGrader()
        app.log.setLevel("ERROR")
        try:
            app.load_config_file()
        except Exception as error:  # a syntax error in nbgrader_config.py, say
            raise CourseError(f"nbgrader could not read {root / CONFIG_FILE} ({error}): fix that file and "
                              f"run the command again.") from error
    config = app.config
    config.CourseDirectory.root = str(root)
    return config


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///...`` URL (also of ``sqlite:///file:PATH?mode=ro&uri=true``)."""
    path = re.sub(r"^sqlite(\+\w+)?:///", "", url)
    if path.startswith("file:"):
        path = path[len("file:"):].split("?")[0]
    return Path(path)


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


@dataclass
class Course:
    """A course directory: its root, nbgrader's settings and the paths nbgrader uses."""

    root: Path
    config: object = field(repr=False)

    @classmethod
    def find(cls, start: str | os.PathLike | None = None) -> Course:
        root = find_root(start)
        return cls(root, load_config(root))

    # --- nbgrader's settings ---------------------------------------------------------------------------

    def coursedir(self):
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.config)

    @property
    def course_id(self) -> str:
        return self.coursedir().course_id or "default_course"

    @property
    def db_url(self) -> str:
        return self.coursedir().db_url

    @property
    def exchange_root(self) -> Path:
        from nbgrader.exchange.default.exchange import Exchange

        return Path(Exchange(config=self.config).root)

    def folder(self, kind: str) -> Path:
        """``source``, ``release``, ``submitted``, ``autograded``, ``feedback`` as configured."""
        return self.root / getattr(self.coursedir(), f"{kind}_directory")

    def manifest(self):
        """The course manifest (course.yml) of this course root, else the one the package carries; None when
        there is none (a mistake in one that exists is still a sentence). Folders above the course root
        are not searched: a course root is the top of its course."""
        import syslead.course as manifest

        for path in (self.root / manifest.FILE_NAME, Path(manifest.__file__).resolve().parent / manifest.FILE_NAME):
            if path.is_file():
                return manifest.load_course(path)
        return None

    def manifest_assignment(self, name: str):
        """This assignment's entry in the manifest, or None when the manifest does not list it."""
        manifest = self.manifest()
        for a in manifest.assignments if manifest else ():
            if a.id == name:
                return a
        return None

    # --- assignments and submissions -------------------------------------------------------------------

    def source_assignments(self) -> list[str]:
        folder = self.folder("source")
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def gradebook_assignments(self) -> list[str]:
        if not self.has_gradebook():
            return []
        with self.gradebook() as gb:
            return sorted(a.name for a in gb.assignments)

    def check_assignment(self, name: str, *, in_gradebook: bool = False) -> None:
        """Raise a :class:`CourseError` unless ``name`` is an assignment of this course."""
        known = sorted(set(self.source_assignments()) | set(self.gradebook_assignments()))
        if name not in known:
            listed = ", ".join(known) if known else "none yet"
            raise CourseError(f"There is no assignment called {name!r} in this course (known: {listed}): "
                              f"check the name, which is the folder's name in source/.")
        if in_gradebook and name not in self.gradebook_assignments():
            raise CourseError(f"Assignment {name!r} is not in the gradebook yet: run "
                              f"'nbgrader generate_assignment {name}' first.")

    def submitted(self, assignment: str) -> dict[str, Path]:
        """learner id -> their collected submission folder (``submitted/ID/ASSIGNMENT``)."""
        folder = self.folder("submitted")
        if not folder.is_dir():
            return {}
        return {p.name: p / assignment for p in sorted(folder.iterdir())
                if p.is_dir() and (p / assignment).is_dir()}

    def require_submissions(self, assignment: str) -> dict[str, Path]:
        """The collected submissions of ``assignment``, or a sentence that says how to get them."""
        found = self.submitted(assignment)
        if found:
            return found
        exchange = self.exchange_root
        inbound = exchange / self.course_id / "inbound"
        if not exchange.is_dir():
            raise CourseError(f"No submissions of {assignment} have been collected, and the exchange folder "
                              f"{exchange} does not exist: release the assignment ('nbgrader "
                              f"release_assignment {assignment}'), let learners submit, then run 'nbgrader "
                              f"collect {assignment}'.")
        waiting = [p for p in inbound.glob(f"*+{assignment}+*")] if inbound.is_dir() else []
        if waiting:
            raise CourseError(f"No submissions of {assignment} have been collected yet, but {len(waiting)} "
                              f"wait in the exchange: run 'nbgrader collect {assignment}' first.")
        raise CourseError(f"Nobody has submitted {assignment} yet (the exchange {exchange} has no "
                          f"submissions of it): wait for submissions, then run 'nbgrader collect {assignment}'.")

    # --- the gradebook ---------------------------------------------------------------------------------

    def has_gradebook(self) -> bool:
        url = self.db_url
        return not is_sqlite(url) or sqlite_path(url).is_file()

    def require_gradebook(self) -> None:
        if not self.has_gradebook():
            raise CourseError(f"This course has no gradebook yet ({sqlite_path(self.db_url)}): run 'nbgrader "
                              f"generate_assignment ASSIGNMENT', collect submissions and autograde them first.")

    @contextlib.contextmanager
    def gradebook(self):
        """nbgrader's :class:`~nbgrader.api.Gradebook` for this course, with plain-sentence errors."""
        from nbgrader.api import Gradebook

        with database_errors(self.db_url):
            gb = Gradebook(self.db_url, self.course_id)
            try:
                yield gb
            finally:
                gb.close()


@contextlib.contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn the database errors a tutor can fix into one sentence."""
    from sqlalchemy.exc import DatabaseError

    try:
        yield
    except DatabaseError as error:
        text = str(error.orig if getattr(error, "orig", None) else error)
        if "full" in text and is_sqlite(url):
            raise CourseError("The disk is full, so the gradebook could not be saved: free some space and run "
                              "this again; nothing was lost.") from error
        if "not a database" in text or "malformed" in text:
            raise CourseError(f"The gradebook {sqlite_path(url) if is_sqlite(url) else safe_url(url)} is damaged "
                              f"({text.splitlines()[0]}): put the newest good backup back with 'syslead "
                              f"restore'.") from error
        if "readonly" in text or "read-only" in text:
            where = sqlite_path(url) if is_sqlite(url) else safe_url(url)
            raise CourseError(f"The gradebook {where} is read-only for this account, so nothing could be saved: "
                              f"give this account write access to it and to its folder (ask whoever runs the "
                              f"server), then save again; nothing was lost.") from error
        if "locked" in text or "busy" in text:
            raise CourseError("The gradebook is locked by another program (formgrader, or an nbgrader command "
                              "still running): let it finish or close it, then run this again.") from error
        if is_sqlite(url):
            raise CourseError(f"The gradebook {sqlite_path(url)} could not be read ({text.splitlines()[0]}): "
                              f"restore a backup with 'syslead restore'.") from error
        raise CourseError(f"The gradebook database {safe_url(url)} could not be reached "
                          f"({text.splitlines()[0]}): check that the server runs and the URL in "
                          f"nbgrader_config.py (CourseDirectory.db_url) is right.") from error


def add_course_argument(parser) -> None:
    parser.add_argument("--course", metavar="DIR", default=None,
                        help="the course root (the folder with nbgrader_config.py); default: this folder")
