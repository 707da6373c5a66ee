"""Walking, copying and removing what learners hand in, without recursion and with a depth cap.

A learner can hand in (or, on a hub, make directly in the inbound folder) folders nested more than a
thousand levels deep. Python's ``os.walk`` (before 3.12), ``shutil.copytree`` and ``shutil.rmtree`` recurse
once per level and raise ``RecursionError`` there, which used to stop a whole cohort's collect or autograde
and leave the folder on disk. These functions keep their own stack:

- :func:`walk`: like ``os.walk(top, followlinks=False)``, top-down; raises :class:`TooDeep` past
  ``max_depth`` (a submission needs a handful of levels);
- :func:`depth_problem`: the sentence that refuses a submission nested too deeply, or None;
- :func:`remove_tree`: removes a folder however deep it is, never following a link; safe to run twice.
"""

from __future__ import annotations

import os
import stat

MAX_DEPTH = 32  # folders inside a submission deeper than this are refused (a course needs 2 or 3)


class TooDeep(ValueError):
    """A folder nested deeper than the cap."""


def walk(top: str | os.PathLike, max_depth: int = MAX_DEPTH):
    """Yield ``(folder, dirnames, filenames)`` for ``top`` and every folder below it, top-down, without
    following links (a link to a folder is listed in ``filenames``). The caller may prune ``dirnames``.
    Raises :class:`TooDeep` when a folder is more than ``max_depth`` levels below ``top``."""
    stack = [(os.fspath(top), 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"folders are nested more than {max_depth} levels deep")
        dirs, files = [], []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError:
            continue
        dirs.sort()
        files.sort()
        yield folder, dirs, files
        stack.extend((os.path.join(folder, d), depth + 1) for d in reversed(dirs))


def depth_problem(top: str | os.PathLike, max_depth: int = MAX_DEPTH) -> str | None:
    """None, or the sentence that says the folder is nested too deeply."""
    try:
        for _ in walk(top, max_depth):
            pass
    except TooDeep as error:
        return str(error)
    return None


def remove_tree(top: str | os.PathLike) -> None:
    """Remove ``top`` and everything in it, however deeply nested (never following a link). A missing
    ``top`` is fine, so this is safe to run twice; entries that cannot be removed are left and skipped."""
    top = os.fspath(top)
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(top)
        return
    stack = [top]
    failed: set[str] = set()
    while stack:
        folder = stack[-1]
        pushed = False
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    path = entry.path
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if path not in failed:
                                stack.append(path)
                                pushed = True
                                break
                        else:
                            os.unlink(path)
                    except FileNotFoundError:
                        continue
                    except OSError:
                        failed.add(path)
        except FileNotFoundError:
            stack.pop()
            continue
        except OSError:
            failed.add(folder)
            stack.pop()
            continue
        if pushed:
            continue
        stack.pop()
        try:
            os.rmdir(folder)
        except FileNotFoundError:
            pass
        except OSError:
            failed.add(folder)


def copy_tree(src: str | os.PathLike, dest: str | os.PathLike, ignore=None, max_depth: int = MAX_DEPTH) -> None:
    """Copy the regular files and folders of ``src`` into ``dest`` (created), never following or copying a
    link, device or FIFO. ``ignore(folder, names)`` returns names to leave out, as for ``shutil.copytree``.
    Raises :class:`TooDeep` past ``max_depth`` (before anything is copied)."""
    import shutil

    src, dest = os.fspath(src), os.fspath(dest)
    problem = depth_problem(src, max_depth)
    if problem:
        raise TooDeep(problem)
    for folder, dirs, files in walk(src, max_depth):
        left_out = set(ignore(folder, dirs + files)) if ignore else set()
        dirs[:] = [d for d in dirs if d not in left_out]
        target = os.path.join(dest, os.path.relpath(folder, src))
        os.makedirs(target, exist_ok=True)
        shutil.copystat(folder, target, follow_symlinks=False)
        for name in files:
            path = os.path.join(folder, name)
            if name in left_out or not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as fin, open(os.path.join(target, name), "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            shutil.copystat(path, os.path.join(target, name), follow_symlinks=False)
