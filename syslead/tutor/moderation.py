"""Moderation: a second marker grades a sample blind; where the two differ, and Cohen's kappa.

Second marks never go into nbgrader's tables (formgrader and the exports keep showing the first marker's
grades). They live in a small sqlite file beside the gradebook, ``moderation.db``, with one table::

    second_marks(assignment, cell, student, score, level, marker, saved_at)
    primary key (assignment, cell, student)

``cell`` is the reflection's nbgrader grade id, ``level`` the Kember level key that the score stands for
(:func:`syslead.tutor.kember.score_level`). A second mark is kept even if the first marker changes
their grade afterwards, so that agreement is measured against what each marker said.

The sample is fixed per course and question: the learners whose anonymised code (a keyed hash, see
:func:`syslead.tutor.reflections.anonymiser`) sorts first, a quarter of the cohort and at least three,
so it does not follow the order of names or of grading. :func:`agreement` compares the two markers on the
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
    return con


def _rows(course, assignment: str, cell: str):
    from syslead.tutor.gradebook import grades

    return [g for g in grades(course, assignment) if g.cell == cell]


def sample(course, assignment: str, cell: str) -> set[str]:
    """The learners (ids) in this question's moderation sample."""
    from syslead.tutor.reflections import anonymiser

    code = anonymiser(course)
    students = sorted({g.student for g in _rows(course, assignment, cell)}, key=code)
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
                    (assignment, cell, row.student, score, score_level(score, points), marker,
                     dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
    con.close()


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
    pairs = []
    for g in _rows(course, assignment, cell):
        if g.grade_id in second and not g.needs_manual_grade and g.score is not None:
            pairs.append((code(g.student), g.score, second[g.grade_id]))
    first_levels = [score_level(a, points) for _, a, _ in pairs]
    second_levels = [score_level(b, points) for _, _, b in pairs]
    differ = [{"learner": who, "first": a, "second": b}
              for (who, a, b), la, lb in zip(pairs, first_levels, second_levels, strict=True)
              if abs(int(la) - int(lb)) >= 1]
    kappa = cohen_kappa(first_levels, second_levels)
    return {"n": len(pairs), "second_marked": len(second), "differ": sorted(differ, key=lambda d: d["learner"]),
            "exact": sum(a == b for a, b in zip(first_levels, second_levels, strict=True)),
            "kappa": kappa, "kappa_text": "undefined (one level only)" if kappa is None else f"{kappa:.2f}"}
