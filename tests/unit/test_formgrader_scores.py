"""The course's check of a score typed into formgrader (syslead/tutor/formgrader.py): a score that fits is
saved as typed; anything else gets one sentence (the real API handler is tested in
tests/integration/test_formgrader_guard.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syslead.tutor.course import sqlite_path
from syslead.tutor.formgrader import score_problem


@pytest.mark.parametrize("value", [None, "", "  ", "0", "2.5", 4, "4", 4.0])
def test_a_score_from_0_to_the_points_or_an_empty_box_is_saved(value):
    assert score_problem(value, 4.0) is None


@pytest.mark.parametrize("value, says", [
    ("7", "A score of 7 is more than this answer's 4 points, so it was not saved: give a score from 0 to 4"),
    (4.5, "A score of 4.5 is more than this answer's 4 points"),
    ("-1", "cannot be below 0"),
    ("lots", "must be a number, and 'lots' is not"),
    ("nan", "must be a number"),
    ("inf", "must be a number"),
])
def test_any_other_score_gets_one_sentence(value, says):
    message = score_problem(value, 4.0)
    assert message is not None and says in message and "\n" not in message
    assert message.endswith(".") and message[0].isupper()


def test_extra_credit_has_no_maximum_but_cannot_be_negative():
    assert score_problem("12", None, "Extra credit") is None
    assert "Extra credit cannot be below 0" in score_problem("-2", None, "Extra credit")


def test_the_file_of_a_read_only_sqlite_url_is_named_plainly():
    assert sqlite_path("sqlite:////srv/course/gradebook.db") == Path("/srv/course/gradebook.db")
    assert sqlite_path("sqlite:///file:/srv/course/gradebook.db?mode=ro&uri=true") == Path("/srv/course/gradebook.db")
