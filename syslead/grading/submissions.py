"""Reading what learners hand in without being led astray by it.

- :func:`refused`: symbolic links, devices, FIFOs and sockets anywhere in a submission (``os.lstat``, never
  followed). A symlink can make the grader read another learner's notebook, the gradebook or a tutor's key.
- :func:`notebook_problem` / :func:`read_notebook`: a notebook that is unreadable, huge or nested too
  deeply is refused with one sentence, instead of stopping a whole cohort's run.
- :func:`screen`: both, for one submission folder (``syslead autograde``, the report, ``syslead reflections``).
- :class:`SafeExchangeCollect`: nbgrader's collect, copying only regular files and folders (nbgrader's own
  ``shutil.copytree`` follows symlinks); set as ``c.ExchangeFactory.collect`` in nbgrader_config.py.
"""

from __future__ import annotations

import os
import stat

import nbformat

from syslead.grading.clean import clean_text
from syslead.walk import TooDeep, copy_tree, remove_tree, walk

MAX_NOTEBOOK_MB = 50  # larger notebooks are refused (the course's are well under 1 MB)
MAX_DEPTH = 100  # JSON nested deeper than this is refused (a notebook needs about 10)
MAX_CELLS = 5000  # notebooks with more cells are refused (the course's have about 100)


def _kind(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def refused(folder: str | os.PathLike) -> list[str]:
    """One note per entry in ``folder`` (and the folder itself) that is not a regular file or folder."""
    folder = os.fspath(folder)
    try:
        kind = _kind(os.lstat(folder).st_mode)
    except OSError:
        return []
    if kind:
        return [f"the submission folder is {kind}"]
    notes = []
    try:
        for here, dirs, files in walk(folder):
            for name in sorted(dirs + files):
                path = os.path.join(here, name)
                try:
                    kind = _kind(os.lstat(path).st_mode)
                except OSError:
                    continue
                if kind:
                    notes.append(f"{os.path.relpath(path, folder)} is {kind}")
    except TooDeep as error:
        notes.append(f"the submission's {error}")
    return notes


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def read_notebook(path: str | os.PathLike, max_mb: float = MAX_NOTEBOOK_MB) -> tuple[dict | None, str | None]:
    """(the notebook's JSON, None), or (None, why it is refused) for a link, a special file, a huge file,
    broken JSON or JSON nested too deeply."""
    try:
        st = os.lstat(path)
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    kind = _kind(st.st_mode)
    if kind:
        return None, f"is {kind}"
    if st.st_size > max_mb * 1e6:
        return None, f"is {st.st_size / 1e6:.0f} MB, over the {max_mb:g} MB limit for a notebook"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            data = f.read()
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    if not data.strip():
        return None, "is empty"
    try:  # the cheap checks first: a notebook of 300,000 cells takes minutes to validate
        import json

        raw = json.loads(data.decode("utf-8"))
        if isinstance(raw, dict) and isinstance(raw.get("cells"), list) and len(raw["cells"]) > MAX_CELLS:
            return None, f"has {len(raw['cells']):,} cells, over the {MAX_CELLS:,} cells limit for a notebook"
    except RecursionError:
        return None, f"is nested more than {MAX_DEPTH} levels deep"
    except Exception:  # broken JSON: said below, in nbformat's words  # noqa: BLE001
        pass
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except RecursionError:
        return None, f"is nested more than {MAX_DEPTH} levels deep"
    except Exception:  # nbformat's errors for text that is not a notebook  # noqa: BLE001
        return None, "is not a readable notebook (broken JSON)"
    if _depth(nb) > MAX_DEPTH:
        return None, f"is nested more than {MAX_DEPTH} levels deep"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "is not a notebook (no cells)"
    if len(nb["cells"]) > MAX_CELLS:
        return None, f"has {len(nb['cells']):,} cells, over the {MAX_CELLS:,} cells limit for a notebook"
    return nb, None


def notebook_problem(path: str | os.PathLike, max_mb: float = MAX_NOTEBOOK_MB) -> str | None:
    return read_notebook(path, max_mb)[1]


def screen(folder: str | os.PathLike) -> list[str]:
    """Why a submission folder must not be graded: refused entries, and notebooks that are huge or nested
    too deeply (empty or broken notebooks are left to nbgrader, which grades the rest of the submission)."""
    notes = refused(folder)
    if notes:
        return notes
    folder = os.fspath(folder)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".ipynb"):
            why = notebook_problem(os.path.join(folder, name))
            if why and ("MB" in why or "nested" in why or "cells limit" in why):
                notes.append(f"{name} {why}")
    return notes


import functools  # noqa: E402

#: How far the learner's own timestamp.txt may be from the time the exchange recorded before it is flagged.
TIMESTAMP_SLACK_SECONDS = 120
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


def submitted_at(folder: str):
    """When a submission folder was handed in, from what its owner cannot set: the latest inode change
    time (ctime) of the folder and everything in it. ``touch`` and ``os.utime`` set the modification time,
    never the change time, which only moves forward; so a learner can make their work look later, never
    earlier. A UTC datetime."""
    import datetime as dt

    newest = os.lstat(folder).st_ctime
    for here, dirs, files in walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(here, name)).st_ctime)
            except OSError:
                continue
    return dt.datetime.fromtimestamp(newest, dt.UTC)


def record_time(src: str, dest: str, learner: str, log) -> dict:
    """Write the submission time the exchange recorded into the collected copy's timestamp.txt (the file
    nbgrader's autograde reads for lateness), and flag a learner's own timestamp.txt that does not match.
    Returns ``{"recorded", "learner_said", "mismatch"}``; a mismatch is logged with the learner's name and
    kept in ``.syslead-timestamp.json`` beside the copy."""
    import datetime as dt
    import json

    recorded = submitted_at(src)
    said, mismatch = None, False
    try:
        with open(os.path.join(dest, "timestamp.txt"), encoding="utf-8", errors="replace") as f:
            said = f.read(200).strip()
    except OSError:
        pass
    if said is not None:
        try:
            from nbgrader.utils import parse_utc

            claimed = parse_utc(said).replace(tzinfo=dt.UTC)
            mismatch = abs((claimed - recorded).total_seconds()) > TIMESTAMP_SLACK_SECONDS
        except Exception:  # not a time at all
            mismatch = True
    with open(os.path.join(dest, "timestamp.txt"), "w", encoding="utf-8") as f:
        f.write(recorded.strftime(TIMESTAMP_FORMAT))
    info = {"recorded": recorded.strftime(TIMESTAMP_FORMAT), "learner_said": clean_text(said or "")[:80],
            "mismatch": mismatch}
    if mismatch:
        log.warning("%s: the submission's own timestamp.txt says %s, but the exchange recorded %s: the recorded "
                    "time is used", learner, info["learner_said"] or "nothing readable", info["recorded"])
        with open(os.path.join(dest, ".syslead-timestamp.json"), "w", encoding="utf-8") as f:
            json.dump(info, f)
    return info


@functools.lru_cache(maxsize=1)
def _collect_class():
    from nbgrader.exchange.default.collect import ExchangeCollect
    from nbgrader.utils import ignore_patterns
    from traitlets import Bool

    class SafeExchangeCollect(ExchangeCollect):
        """nbgrader's collect, but links, devices and FIFOs in a submission are never followed or copied:
        they are left out, with an error line that names the learner."""

        record_submission_time = Bool(True, help=(
            "Write the time the exchange recorded into the collected timestamp.txt (a learner cannot backdate "
            "it). Off only for `syslead demo`, whose synthetic learners hand in at made-up times.")).tag(config=True)

        def do_copy(self, src, dest, log=None):
            learner = clean_text(os.path.basename(src).split("+")[0])
            try:
                self._copy_one(src, dest, learner)
            except Exception as error:  # one learner's submission never stops the others' collect
                self.log.error("%s: not collected: %s", learner, clean_text(str(error))[:300])
                remove_tree(dest)

        def _copy_one(self, src, dest, learner):
            notes = refused(src)
            for note in notes:
                self.log.error("%s: refused in the submission: %s (left out, not followed)", learner, clean_text(note))
            if notes and notes[0].startswith(("the submission folder", "the submission's folders")):
                return  # not collected at all (the rest of the cohort is)
            dir_size = sum(os.lstat(os.path.join(d, f)).st_size for d, _, fs in walk(src) for f in fs)
            if dir_size > 1000 * self.coursedir.max_dir_size:
                raise RuntimeError(f"Directory size is too big. Size is {dir_size}, maximum size is "
                                   f"{1000 * self.coursedir.max_dir_size}")
            nbgrader_ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                              max_file_size=self.coursedir.max_file_size, log=self.log)

            def ignore(directory, names):
                special = {n for n in names if _kind(os.lstat(os.path.join(directory, n)).st_mode)}
                return set(nbgrader_ignore(directory, names)) | special

            copy_tree(src, dest, ignore=ignore)
            if self.record_submission_time:
                record_time(src, dest, learner, self.log)

    return SafeExchangeCollect


def __getattr__(name: str):  # built on first use: nbgrader is slow to import
    if name == "SafeExchangeCollect":
        return _collect_class()
    raise AttributeError(name)
