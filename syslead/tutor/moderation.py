"""Moderation: a second marker grades a sample blind; where the two differ, and Cohen's kappa.

Second marks never go into nbgrader's tables (formgrader and the exports keep showing the first marker's
grades). They live in a small sqlite file beside the gradebook, ``moderation.db``, with one table::

    second_marks(assignment, cell, student, score, level, marker, saved_at)
    primary key (assignment, cell, student)

``cell`` is the reflection's nbgrader grade id, ``level`` the Kember level key that the score stands for
(:func:`syslead.tutor.kember.score_level`). A second mark is kept even if the first marker changes
their grade afterwards, so that agreement is measured against what each marker said.

The sample is fixed per course and question, a quarter of the cohort and at least three: the learners
whose keyed hash sorts first, under a random key of its own kept in ``moderation.db`` (table
``settings``). The first marker's page lists learners by their anonymised code (another key), so its
order says nothing about which answers will be checked: the first marker cannot predict the sample.

Markers are named: each mark records who gave it (the account logged in to the server, or the name the
marker gives), the first marker's name in ``first_markers`` when they save on the grading page. Where
the two markers differ by a level or more, they agree a mark: :func:`agree` records it in
``agreed_marks`` beside the two originals (and who agreed it) and saves it into the gradebook as the
final mark. ``syslead backup`` copies ``moderation.db`` beside each gradebook backup, and ``syslead
export`` writes ``moderation.csv`` (every second and agreed mark, with both originals and the names). :func:`agreement` compares the two markers on the
learners both have graded: the answers whose levels differ by one or more, the share of exact agreement,
and Cohen's kappa (Cohen 1960: observed agreement corrected for the agreement expected by chance from each
marker's own spread of levels; undefined, reported as None, when both markers used one level only).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path

FILE_NAME = "moderation.db"
SAMPLE_FRACTION = 0.25
SAMPLE_MIN = 3


def path(course) -> Path:
    from syslead.tutor.course import is_sqlite, sqlite_path

    url = course.db_url
    return (sqlite_path(url).parent if is_sqlite(url) else course.root) / FILE_NAME


def _connect(course) -> sqlite3.Connection:
    con = sqlite3.connect(path(course), timeout=30)
    con.execute("create table if not exists second_marks (assignment text not null, cell text not null, "
                "student text not null, score real not null, level text, marker text, saved_at text, "
                "primary key (assignment, cell, student))")
    con.execute("create table if not exists first_markers (assignment text not null, cell text not null, "
                "student text not null, marker text, saved_at text, primary key (assignment, cell, student))")
    con.execute("create table if not exists agreed_marks (assignment text not null, cell text not null, "
                "student text not null, first real, second real, agreed real not null, marker text, "
                "saved_at text, primary key (assignment, cell, student))")
    con.execute("create table if not exists settings (name text primary key, value text not null)")
    return con


def _sample_key(course) -> bytes:
    """This course's random key for the moderation sample (made on first use, kept in moderation.db)."""
    import secrets

    con = _connect(course)
    try:
        with con:
            con.execute("insert or ignore into settings values ('sample_key', ?)", (secrets.token_hex(32),))
        return bytes.fromhex(con.execute("select value from settings where name = 'sample_key'").fetchone()[0])
    finally:
        con.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def marker_name(handler=None) -> str:
    """Who is marking: the account logged in to the Jupyter server (the hub's login), else the system user."""
    import getpass
    import os

    user = getattr(handler, "current_user", None) if handler is not None else None
    name = getattr(user, "name", None) or getattr(user, "username", None) if user is not None else None
    if name and not str(name).lower().startswith("anonymous"):  # a token login is "Anonymous Io" and the like
        return str(name)
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def _rows(course, assignment: str, cell: str):
    from syslead.tutor.gradebook import grades

    return [g for g in grades(course, assignment) if g.cell == cell]


def sample(course, assignment: str, cell: str) -> set[str]:
    """The learners (ids) in this question's moderation sample."""
    import hashlib
    import hmac

    key = _sample_key(course)

    def order(student: str) -> str:
        return hmac.new(key, f"{assignment}/{cell}/{student}".encode(), hashlib.sha256).hexdigest()

    students = sorted({g.student for g in _rows(course, assignment, cell)}, key=order)
    n = min(len(students), max(SAMPLE_MIN, math.ceil(SAMPLE_FRACTION * len(students))))
    return set(students[:n])


def save(course, assignment: str, cell: str, grade: str, score: float, points: float, marker: str = "second") -> None:
    from syslead.errors import CourseError
    from syslead.tutor.kember import score_level

    row = next((g for g in _rows(course, assignment, cell) if g.grade_id == grade), None)
    if row is None:
        raise CourseError("That answer is not part of this question: reload the page.")
    if row.student not in sample(course, assignment, cell):
        raise CourseError("That answer is not in the moderation sample: reload the page.")
    if not 0 <= score <= points:
        raise CourseError(f"A score for this question is between 0 and {points:g}.")
    with _connect(course) as con:
        con.execute("insert or replace into second_marks values (?, ?, ?, ?, ?, ?, ?)",
                    (assignment, cell, row.student, score, score_level(score, points), marker, _now()))
    con.close()


def note_first_marker(course, assignment: str, cell: str, student: str, marker: str) -> None:
    """Record who gave the first mark of this answer (the grading page calls it on each save)."""
    with _connect(course) as con:
        con.execute("insert or replace into first_markers values (?, ?, ?, ?, ?)",
                    (assignment, cell, student, marker, _now()))
    con.close()


def agree(course, assignment: str, cell: str, grade: str, score: float, points: float, marker: str) -> None:
    """The agreed mark of a second-marked answer: recorded beside the two originals, and saved into the
    gradebook (through nbgrader's API) as the final mark."""
    from syslead.errors import CourseError
    from syslead.tutor.gradebook import save_grade

    row = next((g for g in _rows(course, assignment, cell) if g.grade_id == grade), None)
    if row is None:
        raise CourseError("That answer is not part of this question: reload the page.")
    second = marks(course, assignment, cell).get(grade)
    if second is None:
        raise CourseError("That answer has no second mark yet, so there is nothing to agree: reload the page.")
    if not 0 <= score <= points:
        raise CourseError(f"A score for this question is between 0 and {points:g}.")
    with _connect(course) as con:
        con.execute("insert or replace into agreed_marks values (?, ?, ?, ?, ?, ?, ?, ?)",
                    (assignment, cell, row.student, row.score, second, score, marker, _now()))
    con.close()
    save_grade(course, grade, manual_score=score, graded=True)


def names(course, assignment: str, cell: str) -> dict[str, dict]:
    """learner -> {"first": name, "second": name, "agreed": score, "agreed_by": name, "first_score": ...}."""
    if not path(course).is_file():
        return {}
    con = _connect(course)
    try:
        out: dict[str, dict] = {}
        for student, marker in con.execute("select student, marker from first_markers where assignment = ? and "
                                           "cell = ?", (assignment, cell)):
            out.setdefault(student, {})["first"] = marker
        for student, marker in con.execute("select student, marker from second_marks where assignment = ? and "
                                           "cell = ?", (assignment, cell)):
            out.setdefault(student, {})["second"] = marker
        for student, first, second, agreed, marker in con.execute(
                "select student, first, second, agreed, marker from agreed_marks where assignment = ? and cell = ?",
                (assignment, cell)):
            out.setdefault(student, {}).update(agreed=agreed, agreed_by=marker, first_score=first, second_score=second)
        return out
    finally:
        con.close()


def rows_for_export(course) -> list[dict]:
    """Every second mark, with the first mark (the agreed one's original when agreed), the agreed mark and the
    markers' names: what ``syslead export`` writes to moderation.csv."""
    if not path(course).is_file():
        return []
    con = _connect(course)
    try:
        seconds = con.execute("select assignment, cell, student, score, marker, saved_at from second_marks "
                              "order by assignment, cell, student").fetchall()
    finally:
        con.close()
    out = []
    current = {}
    for assignment, cell, student, score, marker, saved in seconds:
        if (assignment, cell) not in current:
            current[(assignment, cell)] = ({g.student: g.score for g in _rows(course, assignment, cell)},
                                           names(course, assignment, cell))
        firsts, who = current[(assignment, cell)]
        mine = who.get(student, {})
        out.append({"assignment": assignment, "question": cell, "learner": student,
                    "first_mark": mine.get("first_score", firsts.get(student)), "first_marker": mine.get("first", ""),
                    "second_mark": score, "second_marker": marker or "", "agreed_mark": mine.get("agreed"),
                    "agreed_by": mine.get("agreed_by", ""), "second_marked_at": saved})
    return out


def marks(course, assignment: str, cell: str) -> dict[str, float]:
    """nbgrader Grade.id -> the second marker's score, for this question."""
    if not path(course).is_file():
        return {}
    con = _connect(course)
    try:
        by_student = dict(con.execute("select student, score from second_marks where assignment = ? and cell = ?",
                                      (assignment, cell)))
    finally:
        con.close()
    return {g.grade_id: by_student[g.student] for g in _rows(course, assignment, cell) if g.student in by_student}


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two markers' categories (None when chance agreement is 1: one category only)."""
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    cats = set(first) | set(second)
    expected = sum((first.count(c) / n) * (second.count(c) / n) for c in cats)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def agreement(course, assignment: str, cell: str, points: float) -> dict | None:
    """How the two markers compare on this question, or None when nothing has been second-marked."""
    from syslead.tutor.kember import score_level
    from syslead.tutor.reflections import anonymiser

    second = marks(course, assignment, cell)
    if not second:
        return None
    code = anonymiser(course)
    who = names(course, assignment, cell)
    pairs = []
    for g in _rows(course, assignment, cell):
        if g.grade_id in second and not g.needs_manual_grade and g.score is not None:
            mine = who.get(g.student, {})
            first = mine.get("first_score", g.score) if "agreed" in mine else g.score  # the original first mark
            pairs.append((code(g.student), first, second[g.grade_id], g.grade_id, mine))
    first_levels = [score_level(a, points) for _, a, _, _, _ in pairs]
    second_levels = [score_level(b, points) for _, _, b, _, _ in pairs]
    differ = [{"learner": code_, "first": a, "second": b, "grade": gid, "first_marker": mine.get("first", ""),
               "second_marker": mine.get("second", ""), "agreed": mine.get("agreed"),
               "agreed_by": mine.get("agreed_by", "")}
              for (code_, a, b, gid, mine), la, lb in zip(pairs, first_levels, second_levels, strict=True)
              if abs(int(la) - int(lb)) >= 1]
    kappa = cohen_kappa(first_levels, second_levels)
    markers = sorted({m.get("second", "") for *_, m in pairs} - {""})
    return {"n": len(pairs), "second_markers": markers, "second_marked": len(second), "differ": sorted(differ, key=lambda d: d["learner"]),
            "exact": sum(a == b for a, b in zip(first_levels, second_levels, strict=True)),
            "kappa": kappa, "kappa_text": "undefined (one level only)" if kappa is None else f"{kappa:.2f}"}
