"""``syslead backup``: a consistent copy of the gradebook; ``syslead restore`` goes back to one.

Backups are sqlite files in ``backups/`` under the course root, named ``gradebook-DATE-TIME-REASON.db``.

- With the default sqlite gradebook, the copy is made with sqlite's online backup API
  (``sqlite3.Connection.backup``; https://www.sqlite.org/backup.html): it is consistent even while
  formgrader has the gradebook open, and it waits for a writer to finish instead of copying half a
  transaction.
- With a server database (``CourseDirectory.db_url`` such as ``postgresql://...``), every table of
  nbgrader's schema (``nbgrader.api.Base.metadata``) is copied into a sqlite file inside one read
  transaction; ``restore`` copies it back in one write transaction.

Every command that writes grades (``syslead autograde``, ``syslead restore``, ``syslead demo``) takes a
backup first (see :meth:`syslead.tutor.course.Course.writing`), and ``restore`` backs up the current
gradebook before it overwrites it, so a restore can itself be undone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import fcntl
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from syslead.errors import CourseError
from syslead.tutor.course import Course, add_course_argument, database_errors, is_sqlite, sqlite_path

HELP = "copy the gradebook to backups/ (sqlite's online backup API); 'syslead restore' goes back"

BACKUP_FOLDER = "backups"


def _name(reason: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", reason).strip("-")[:60] or "manual"
    return f"gradebook-{stamp}-{slug}.db"


def sqlite_copy(source: Path, dest: Path, *, pages: int = -1) -> None:
    """Copy a sqlite database with the online backup API (consistent while others use it)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(dest, timeout=30)
        try:
            src.backup(dst, pages=pages)
        finally:
            dst.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise CourseError("The gradebook is locked by another program (formgrader, or an nbgrader command "
                              "still running): let it finish or close it, then run this again.") from error
        raise
    finally:
        src.close()


def copy_tables(source_url: str, dest_url: str) -> None:
    """Copy every table of nbgrader's gradebook schema (and its alembic version) from one database to
    another, replacing what the destination held, in one transaction on each side."""
    from nbgrader.api import Base
    from sqlalchemy import Column, MetaData, String, Table, create_engine, inspect

    src = create_engine(source_url, future=True)
    dst = create_engine(dest_url, future=True)
    try:
        Base.metadata.create_all(dst)
        tables = Base.metadata.sorted_tables
        with src.connect() as s, dst.begin() as d:
            for table in reversed(tables):
                d.execute(table.delete())
            for table in tables:
                rows = [dict(row._mapping) for row in s.execute(table.select())]
                if rows:
                    d.execute(table.insert(), rows)
            if "alembic_version" in inspect(src).get_table_names():
                version = Table("alembic_version", MetaData(), autoload_with=s)
                rows = [dict(row._mapping) for row in s.execute(version.select())]
                meta = MetaData()
                target = Table("alembic_version", meta, Column("version_num", String(32), nullable=False))
                meta.create_all(d)
                d.execute(target.delete())
                if rows:
                    d.execute(target.insert(), rows)
    finally:
        src.dispose()
        dst.dispose()


def backup_gradebook(course: Course, *, reason: str = "manual", to: Path | None = None) -> Path:
    """Copy the course's gradebook to ``backups/`` (or ``to``) and return the copy's path."""
    course.require_gradebook()
    folder = course.root / BACKUP_FOLDER
    dest = Path(to) if to else folder / _name(reason)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise CourseError(f"{dest} already exists: choose another file name.")
    url = course.db_url
    try:
        with database_errors(url):
            if is_sqlite(url):
                sqlite_copy(sqlite_path(url), dest)
            else:
                copy_tables(url, f"sqlite:///{dest}")
    except (OSError, sqlite3.Error, CourseError) as error:
        dest.unlink(missing_ok=True)  # a half-written copy must never count as a backup
        if "full" in str(error) or getattr(error, "errno", None) == errno.ENOSPC:
            raise CourseError(f"The disk is full, so the gradebook could not be backed up to {dest.parent}: free "
                              f"some space and run this again; nothing was changed.") from error
        if isinstance(error, CourseError):
            raise
        raise CourseError(f"The gradebook could not be backed up ({error}): if it is damaged, put the newest "
                          f"good backup back with 'syslead restore'.") from error
    problem = check_backup(dest)
    if problem:
        dest.unlink(missing_ok=True)
        raise CourseError(f"The backup just made failed its check ({problem}), so it was removed: the gradebook "
                          f"itself may be damaged; put the newest good backup back with 'syslead restore'.")
    _copy_moderation(course, dest)
    return dest


def moderation_copy(backup: Path) -> Path:
    """Where the copy of moderation.db that goes with a gradebook backup is kept."""
    return backup.with_name(f"{backup.stem}.moderation.db")


def _copy_moderation(course: Course, dest: Path) -> None:
    """Copy moderation.db (second and agreed marks, syslead.tutor.moderation) beside the gradebook's backup."""
    from syslead.tutor import moderation

    source = moderation.path(course)
    if source.is_file():
        try:
            sqlite_copy(source, moderation_copy(dest))
        except (OSError, sqlite3.Error) as error:
            moderation_copy(dest).unlink(missing_ok=True)
            raise CourseError(f"moderation.db could not be backed up ({error}): free some space and run this "
                              f"again; nothing was changed.") from error


def check_backup(path: Path) -> str | None:
    """Why ``path`` is not a usable gradebook backup (empty, not sqlite, fails sqlite's integrity check,
    or has no grade tables), or None when it is."""
    path = Path(path)
    if not path.is_file():
        return "there is no such file"
    if path.stat().st_size == 0:
        return "it is empty (0 bytes)"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchone()
            names = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as error:
        return f"sqlite cannot read it: {error}"
    if not result or result[0] != "ok":
        return f"sqlite's integrity check says: {result[0] if result else 'nothing'}"
    if "grade" not in names or "submitted_assignment" not in names:
        return "it is not an nbgrader gradebook (it has no grade tables)"
    return None


@contextlib.contextmanager
def writing(course: Course, reason: str, *, backup: bool = True) -> Iterator[Path | None]:
    """Hold ``course``'s write lock (one syslead writer at a time) and back up the gradebook first.

    Yields the path of the backup (``None`` when there was no gradebook to back up yet).
    """
    lock_path = course.root / ".syslead-write.lock"
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            who = lock.read().strip() or "another command"
            raise CourseError(f"Another syslead command ({who}) is writing grades in this course: wait for it "
                              f"to finish, then run this again.") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{reason}, process {os.getpid()}")
        lock.flush()
        try:
            saved = None
            if backup and course.has_gradebook():
                saved = backup_gradebook(course, reason=reason)
            yield saved
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def backups(course: Course) -> list[Path]:
    """The course's backups, oldest first."""
    return sorted(p for p in (course.root / BACKUP_FOLDER).glob("gradebook-*.db")
                  if not p.name.endswith(".moderation.db"))


def restore_gradebook(course: Course, backup: Path | None = None,
                      skipped: list[str] | None = None) -> tuple[Path, Path | None]:
    """Put a backup (default: the newest good one) back as the gradebook. Returns (restored, safety copy of
    the gradebook as it was just before, or None if there was none). Broken backups are skipped, with a
    sentence each appended to ``skipped``."""
    skipped = [] if skipped is None else skipped
    if backup is None:
        found = backups(course)
        if not found:
            raise CourseError(f"There are no backups in {course.root / BACKUP_FOLDER}: nothing to restore.")
        for candidate in reversed(found):
            problem = check_backup(candidate)
            if problem is None:
                backup = candidate
                break
            skipped.append(f"Skipped {candidate.name}: {problem}.")
        if backup is None:
            raise CourseError(f"None of the {len(found)} backups in {course.root / BACKUP_FOLDER} is usable (the "
                              f"newest: {skipped[0].split(': ', 1)[1]}): nothing was restored.")
    backup = Path(backup).resolve()
    if not backup.is_file():
        raise CourseError(f"There is no backup file {backup}: list the backups with 'syslead backup --list'.")
    problem = check_backup(backup)
    if problem:
        raise CourseError(f"{backup} cannot be restored: {problem}. Run 'syslead restore' without a file to "
                          f"use the newest good backup.")
    url = course.db_url
    current = sqlite_path(url) if is_sqlite(url) else None
    damaged = current is not None and current.is_file() and check_backup(current) is not None
    with writing(course, f"before restore of {backup.name}", backup=not damaged) as safety:
        if damaged:  # keep the damaged file for the record, under a name that never counts as a backup
            safety = course.root / BACKUP_FOLDER / f"damaged-{_name('before restore')}"
            safety.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(current, safety)
            current.unlink()
        with database_errors(url):
            if is_sqlite(url):
                sqlite_copy(backup, sqlite_path(url))
            else:
                copy_tables(f"sqlite:///{backup}", url)
        if moderation_copy(backup).is_file():  # the second and agreed marks of the same moment
            from syslead.tutor import moderation

            sqlite_copy(moderation_copy(backup), moderation.path(course))
    return backup, safety


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("--to", metavar="FILE", type=Path, help="where to write the copy (default: backups/)")
    parser.add_argument("--list", action="store_true", help="list the backups instead of making one")


def run(args: argparse.Namespace) -> int:
    course = Course.find(args.course)
    if args.list:
        found = backups(course)
        if not found:
            print(f"No backups yet in {course.root / BACKUP_FOLDER}.")
        for path in found:
            print(f"{path.relative_to(course.root)}  ({path.stat().st_size / 1024:.0f} KiB)")
        return 0
    dest = backup_gradebook(course, reason="manual", to=args.to)
    print(f"Backed up the gradebook to {dest}. Go back to it with: syslead restore {dest}")
    return 0
