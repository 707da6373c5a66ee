"""Friendly checks for the auto-graded questions.

Each question a learner answers with a number or a letter is followed by a visible check cell::

    check("01-levels", levels)

The check says in one sentence whether the answer is right and, if not, gives a hint. It raises
:class:`NotYet` when the answer is missing or wrong, so that nbgrader's ``validate`` and autograder see a
failing cell, but it shows the learner one plain line instead of a traceback. Check cells carry the
``raises-exception`` tag, so "Run all" carries on past an unanswered question.

The expected answers are stored here only as SHA-256 digests, so the release notebooks do not give the
answers away; nbgrader's hidden tests (in ``source/`` only) hold the authoritative checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


class NotYet(AssertionError):
    """An answer that is missing or not right yet. Shown as one line, never as a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython calls this instead of printing a traceback
        return [f"✗ {self}"]


@dataclass(frozen=True)
class Question:
    """What a check needs: the kind of answer, the digest of the right one, and a hint."""

    kind: str  # "whole number" or "letter"
    digest: str
    hint: str
    options: str = ""  # for letters, the allowed letters, for example "ABCD"


def normalise(kind: str, value: object) -> str:
    """The canonical text of an answer, the form that is hashed. Raises NotYet for a malformed one."""
    if value is None or value is Ellipsis:
        raise NotYet(f"No answer yet: replace None with your answer ({'a ' + kind}), then run both cells again.")
    if kind == "whole number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NotYet(f"Your answer should be a whole number such as 7, without quotes; you gave {value!r}.")
        if isinstance(value, float) and not value.is_integer():
            raise NotYet(f"Your answer should be a whole number such as 7; you gave {value!r}.")
        return str(int(value))
    if kind == "letter":
        if not isinstance(value, str) or len(value.strip()) != 1:
            raise NotYet(f"Your answer should be one letter in quotes, such as \"B\"; you gave {value!r}.")
        return value.strip().upper()
    raise ValueError(f"Unknown kind of answer {kind!r}: use 'whole number' or 'letter'.")


def digest(kind: str, value: object) -> str:
    """SHA-256 of an answer's canonical text (used to register a question's right answer)."""
    return hashlib.sha256(normalise(kind, value).encode()).hexdigest()


#: The course's auto-graded questions, by id. Notebook cells refer to them by these ids.
#: Each reading registers its own in a module of ``syslead.learner.questions`` (one file per reading).
QUESTIONS: dict[str, Question] = {}


def _load_questions() -> None:
    import importlib
    import pkgutil

    from syslead.learner import questions

    for info in pkgutil.iter_modules(questions.__path__):
        importlib.import_module(f"{questions.__name__}.{info.name}")


def register(question_id: str, question: Question) -> None:
    """Add a question (used by the modules that own each reading's questions)."""
    QUESTIONS[question_id] = question


def check(question_id: str, value: object) -> str:
    """Check a learner's answer; print a plain message; raise NotYet when it is missing or not right."""
    if not QUESTIONS:
        _load_questions()
    if question_id not in QUESTIONS:
        raise NotYet(f"There is no question called {question_id!r}: check the spelling in this cell.")
    q = QUESTIONS[question_id]
    if q.kind == "letter" and q.options:
        letter = normalise("letter", value)
        if letter not in q.options:
            raise NotYet(f"Choose one of {', '.join(q.options)}; you gave {value!r}.")
    if digest(q.kind, value) != q.digest:
        raise NotYet(f"Not quite. Hint: {q.hint}")
    message = "✓ Right. Your answer is recorded; it counts when you submit the notebook."
    print(message)
    return message
