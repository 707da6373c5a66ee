"""syslead.learner.checks: one plain line for the learner, a failing cell for nbgrader."""

from __future__ import annotations

import pytest

from syslead.learner.checks import QUESTIONS, NotYet, check, digest


def test_a_right_answer_says_so(capsys):
    check("01-levels", 3)
    assert capsys.readouterr().out.startswith("✓ Right.")


@pytest.mark.parametrize("value", [3.0, 3])
def test_whole_numbers_may_be_typed_as_floats(value):
    check("01-levels", value)


@pytest.mark.parametrize(
    "question, value, words",
    [
        ("01-levels", None, "No answer yet"),
        ("01-levels", 4, "Not quite. Hint:"),
        ("01-levels", "3", "whole number"),
        ("01-levels", 3.5, "whole number"),
        ("01-levels", True, "whole number"),
        ("01-absence", None, "No answer yet"),
        ("01-absence", "E", "Choose one of A, B, C, D"),
        ("01-absence", "AB", "one letter"),
        ("01-absence", "A", "Not quite"),
        ("no-such-question", 1, "no question called"),
    ],
)
def test_missing_or_wrong_answers_raise_one_line(question, value, words):
    with pytest.raises(NotYet) as info:
        check(question, value)
    assert words in str(info.value)
    lines = info.value._render_traceback_()
    assert len(lines) == 1 and lines[0].startswith("✗ ") and "\n" not in lines[0]


def test_letters_are_case_and_space_insensitive():
    check("01-absence", " b ")


def test_a_not_yet_is_an_assertion_so_nbgrader_scores_it_as_failed():
    assert issubclass(NotYet, AssertionError)


def test_answers_are_stored_only_as_digests():
    check("01-levels", 3)  # loads every reading's questions
    assert QUESTIONS
    for q in QUESTIONS.values():
        assert len(q.digest) == 64 and int(q.digest, 16) >= 0
    assert QUESTIONS["01-levels"].digest == digest("whole number", 3)
