"""Quick questions: the learner's check cells, and the rules that the grader shares with them.

A quick question is two cells. The **answer cell** (an nbgrader solution cell) holds what the learner
types, as plain text, under its first line (the marker, which names the answer)::

    # Your answer (levels): a whole number, such as 7, on the next line. ...
    3

An IPython input transformer (:func:`install`) turns that cell into ``levels = record_answer("levels",
"3")``, so nothing typed can be a syntax or name error; :func:`read_text` reads the text (lenient on form,
strict on content), in the kernel and in the grader alike. Older notebooks' ``levels = 3`` still counts.

The **check cell** (a locked, graded cell tagged ``raises-exception``) names the answer *variable* and the
kind of answer, ``check("levels", "whole number")``; in ``source/`` it also holds, between nbgrader's
hidden-tests markers, the expected answer and its explanation:
``expect(ANSWER, why="the reasoning, shown in the feedback", hint="...")``
(the full format is in docs/answers.md).

In a cohort's release the check cell only confirms that the answer is *recorded* and in the right form
(a whole number; one of the letters offered): nothing in the release says whether it is right, so
nothing there gives the answer away. The grader (:mod:`syslead.grading.answers`) reads the answer from
the answer cell's source without running it, and compares it with the hidden block in its own process;
the learner sees right or wrong, and why, in the feedback. The self-paced notebooks
(:func:`syslead.grading.answers.self_paced`) carry ``answer=``, ``why=`` and ``hint=`` in the check call
instead, and say right or wrong at once.

Mistakes get one sentence, never a traceback: a check run after a kernel restart says to run the cells
above first; an answer cell whose first line was deleted says to bring it back (in JupyterLab it is still
recognised, from its cell id and the saved notebook); an older notebook's unquoted word (``answer = B``)
says to put it in quotes. Each check
shows one message, and changing or re-running an answer cell clears the earlier verdict.

The kinds of answer (:data:`KINDS`): ``"whole number"``, ``"number"``, ``"letter"`` (with the letters
offered, for example ``"ABCD"``), ``"word"``, and the capstone's ``"system table"`` and ``"flows"``
(a table typed one relationship a line, checked by :mod:`syslead.learner.capstone`).
"""

from __future__ import annotations

import ast
import keyword
import re
import sys
from dataclasses import dataclass, field

from syslead.learner.notyet import NotYet

__all__ = ["NotYet", "NotPlain", "check", "expect", "plain_answer", "validate", "is_right", "install",
           "answer_text", "read_text", "record_answer", "marker_name"]

#: Every kind of answer a check understands.
KINDS: tuple[str, ...] = ("whole number", "number", "letter", "word", "system table", "flows")

#: The capstone's kinds: a table written as text, whose rules are public (no hidden answer).
TABLE_KINDS: tuple[str, ...] = ("system table", "flows")

#: An answer cell longer than this is not read (a plain answer is one short line).
MAX_SOURCE = 100_000

RUN_ABOVE = "run the cells above first (Run → Run All Above), then run this cell again"


class NotPlain(ValueError):
    """An answer cell whose answer is not a plain value that can be read without running it."""


# ---------------------------------------------------------------------------------------------------
# Reading an answer from the answer cell's source, without running it (shared with the grader)
# ---------------------------------------------------------------------------------------------------


def _binds(node: ast.AST, name: str) -> bool:
    """Whether ``node`` (anywhere inside) binds or deletes ``name``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Store | ast.Del):
            return True
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and sub.name == name:
            return True
        if isinstance(sub, ast.alias) and (sub.asname or sub.name.split(".")[0]) == name:
            return True
        if isinstance(sub, ast.Global | ast.Nonlocal) and name in sub.names:
            return True
    return False


def binds_at_top(source: str, name: str) -> bool:
    """Whether a cell's source assigns ``name`` anywhere (used to spot the answer cell)."""
    if len(source) > MAX_SOURCE:
        return False
    if marker_name(source) is not None:
        return marker_name(source) == name
    try:
        tree = ast.parse(source)
        return any(_binds(stmt, name) for stmt in tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return bool(re.search(rf"^\s*{re.escape(name)}\s*=", source, flags=re.M))


def plain_answer(source: str, name: str, kind: str = "whole number") -> object:
    """The value that an answer cell's source gives ``name``, read with ``ast``, never run.

    The last statement that binds ``name`` must be a plain ``name = value`` at the top of the cell, and
    the value a literal (``ast.literal_eval``): a number, a text in quotes, ``None``. For the capstone's
    kinds it is ``name = system_table(\"\"\"...\"\"\")`` with one text in quotes, and the text is returned.
    Anything else raises :class:`NotPlain` with one sentence that says what to write instead.
    """
    if len(source) > MAX_SOURCE:
        raise NotPlain(f"Your answer cell is too long to be an answer: keep only its line {name} = your answer.")
    try:
        tree = ast.parse(source)
    except (ValueError, RecursionError, MemoryError):
        raise NotPlain(f"Your answer cell cannot be read: keep only its line {name} = your answer.") from None
    except SyntaxError as error:
        raise NotPlain(f"Python cannot read line {error.lineno} of your answer cell: write only "
                       f"{name} = your answer on it, with a text answer in quotes.") from None
    last = None
    for stmt in tree.body:
        if _binds(stmt, name):
            last = stmt
    if last is None:
        raise NotPlain(f"Your answer cell does not give {name} a value: keep its line {name} = ... and put "
                       f"your answer after the = sign.")
    if not (isinstance(last, ast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], ast.Name)
            and last.targets[0].id == name):
        raise NotPlain(f"Your answer cell changes {name} in a way the grader does not read: write one line "
                       f"{name} = your answer, as the cell shows.")
    value = last.value
    if kind in TABLE_KINDS:
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "system_table"
                and not value.keywords and len(value.args) <= 1):
            if not value.args:
                return ""
            arg = value.args[0]
            if isinstance(arg, ast.Constant) and (arg.value is None or type(arg.value) is str):
                return arg.value or ""
        raise NotPlain(f"Write your table as text inside {name} = system_table(\"\"\" ... \"\"\"), as the cell "
                       f"shows: the grader reads the text, it does not run code.")
    if isinstance(value, ast.Name):
        raise NotPlain(_unquoted(value.id, kind))
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NotPlain(f"Write your answer to {name} as a plain value, such as {_example(kind)}, not a "
                       f"calculation or code: the grader reads what you type, it does not run it.") from None


def _example(kind: str) -> str:
    return {"whole number": "7", "number": "0.5", "letter": '"B"', "word": '"viral"'}.get(kind, "7")


def _unquoted(word: str, kind: str) -> str:
    if kind in ("whole number", "number"):
        return (f"Python read {word} as a name, not a number: write your answer in digits, such as "
                f"{_example(kind)}, without quotes.")
    return f'Python read {word} as a name, not as your answer: put your answer in quotes, like "{word}".'


# ---------------------------------------------------------------------------------------------------
# Answers typed as plain text, under a marker line (no Python: nothing a learner types can break a cell)
# ---------------------------------------------------------------------------------------------------

#: The first line of an answer cell: ``# Your answer (levels): ...`` or ``# Your system (my_system): ...``.
#: Whatever follows it in the cell is the learner's answer, as plain text.
MARKER = re.compile(r"^[ \t]*#[ \t]*your[ \t]+\w+[ \t]*\([ \t]*([A-Za-z_]\w*)[ \t]*\)[^\n]*$", re.I | re.M)

#: A typed answer longer than this is not a quick answer (the capstone's table may be longer).
MAX_TEXT = 1_000

_SOLUTION_LINE = re.compile(r"^[ \t]*###[ \t]*(BEGIN|END)[ \t]+SOLUTION[ \t]*$", re.M)


def marker_name(source: str) -> str | None:
    """The answer's name on a cell's marker line (the first one), or None when the cell has none."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    found = MARKER.search(source)
    if found is None:
        return None
    name = found.group(1)
    return name if name.isidentifier() and not keyword.iskeyword(name) else None


def answer_text(source: str, name: str) -> str | None:
    """What a learner typed under the marker line of ``name``'s answer cell; None if the cell has no
    marker line for ``name``."""
    found = MARKER.search(source) if isinstance(source, str) and len(source) <= MAX_SOURCE else None
    if found is None or found.group(1) != name:
        return None
    return source[found.end():]


def _typed_lines(text: str) -> list[str]:
    """The lines of a typed answer that count: not blank, not a comment (a line that starts with #)."""
    text = _SOLUTION_LINE.sub("", text)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


#: Quotes, brackets and punctuation that may wrap a typed answer ("B", (B), B., 'viral').
_WRAPPING = " \t\"'`“”‘’«»()[]{}.,;:!?"

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90, "hundred": 100, "a hundred": 100, "one hundred": 100})

_NUMBER = re.compile(r"[-+]?(\d{1,3}(?:[, ]\d{3})+|\d+)(\.\d+)?")


def _pasted_code(text: str) -> str:
    """``levels = 3`` or ``answer = "B"`` typed as the answer: the part after the = sign."""
    found = re.fullmatch(r"[A-Za-z_]\w*[ \t]*=[ \t]*(.+)", text, flags=re.S)
    return found.group(1).strip() if found else text


def _as_number(text: str, kind: str) -> int | float:
    words = text.lower().strip(_WRAPPING)
    if words in _NUMBER_WORDS:
        return _NUMBER_WORDS[words]
    found = _NUMBER.match(text)
    rest = text[found.end():].strip(_WRAPPING + "%") if found else text
    if found is None or re.search(r"\d", rest) or any(w in _NUMBER_WORDS for w in rest.lower().split()) \
            or len(rest.split()) > 3:
        raise NotYet(f"Your answer should be a number such as {_example(kind).strip(chr(34))}, in digits; "
                     f"you gave {_shown(text)}.")
    digits = re.sub(r"[, ]", "", found.group(1)) + (found.group(2) or "")
    sign = -1 if text.startswith("-") else 1
    return sign * (float(digits) if found.group(2) else int(digits))


def read_text(text: str, kind: str, choices: str = "") -> object:
    """A typed answer in canonical form (as :func:`validate` gives), lenient on form and strict on
    content: ``b``, `` B) `` and ``"B"`` are the letter B; ``1,000`` and ``three`` are numbers; a
    ``levels = 3`` pasted from an old notebook is 3. Raises :class:`NotYet` with one sentence otherwise."""
    if kind in TABLE_KINDS:
        return text
    if len(text.strip()) > MAX_TEXT:
        raise NotYet(f"Your answer is {len(text.strip()):,} characters long, and a quick answer is one letter, a word "
                     f"or a number: keep only that on the line under the first line.")
    lines = _typed_lines(text)
    if not lines:
        what = {"letter": "one letter", "word": "a word"}.get(kind, "a " + kind)
        raise NotYet(f"No answer yet: type your answer ({what}, no quotes needed) on the line under the "
                     f"first line of the answer cell, then run that cell and this one.")
    answers = [_pasted_code(line).strip(_WRAPPING) or line for line in lines]
    if len({a.lower() for a in answers}) > 1:
        raise NotYet("Your answer cell holds more than one answer: keep just one line under its first line, "
                     "then run that cell and this one.")
    typed = answers[0]
    if kind in ("whole number", "number"):
        value = _as_number(typed, kind)
        return validate(kind, value)
    if kind == "letter":
        found = re.fullmatch(r"(?:(?:option|answer|letter)\s*)?([A-Za-z])", typed.strip(_WRAPPING), flags=re.I)
        if found is None:
            offered = ", ".join(choices.upper()[:-1]) + " or " + choices.upper()[-1] if len(choices) > 1 else "one letter"
            raise NotYet(f"Your answer should be one of the letters {offered}; you gave {_shown(typed)}.")
        return validate(kind, found.group(1), choices)
    return validate(kind, re.sub(r"\s+", " ", typed.strip(_WRAPPING)), choices)


def record_answer(name: str, text: str) -> str:
    """What an answer cell runs (see :func:`install`): keep the typed text, as text, under ``name``."""
    value = str(text)
    _STATE.answers[name] = value
    _STATE.recorded_now = name
    return value


def answer_value(source: str, name: str, kind: str, choices: str = "", *, position: bool = False) -> object:
    """The canonical answer that an answer cell's source gives ``name``, read without running anything:
    typed text under a marker line (:func:`read_text`), or the older form ``name = "B"``
    (:func:`plain_answer`, then :func:`validate`). With ``position`` (the cell is known to be this
    question's answer cell, but its marker line was deleted), text that is not the older form is read
    as typed text. Raises :class:`NotPlain` or :class:`NotYet` with one sentence."""
    text = answer_text(source, name)
    if text is None and position and not binds_at_top(source, name):
        text = source
    if text is not None:
        return read_text(text, kind, choices)
    value = plain_answer(source, name, kind)
    return value if kind in TABLE_KINDS else validate(kind, value, choices)


# ---------------------------------------------------------------------------------------------------
# The form of an answer, and whether it is right (exact types: bool is not a number, no str subclass)
# ---------------------------------------------------------------------------------------------------


def validate(kind: str, value: object, choices: str = "") -> object:
    """The answer in canonical form (an int, a float, an upper-case letter, a lower-case word);
    raises :class:`NotYet` with one sentence when it is missing or not of the kind asked for."""
    if kind not in KINDS:
        raise NotYet(f"This check asks for an unknown kind of answer {kind!r}: tell your tutor.")
    if value is None or value is Ellipsis:
        what = {"letter": "one letter in quotes", "word": "a word in quotes"}.get(kind, "a " + kind)
        raise NotYet(f"No answer yet: replace None with your answer ({what}), then run that cell and this one.")
    if kind in ("whole number", "number"):
        if type(value) not in (int, float):
            raise NotYet(f"Your answer should be a number such as {_example(kind)}, without quotes; "
                         f"you gave {_shown(value)}.")
        if value != value or value in (float("inf"), float("-inf")):
            raise NotYet(f"Your answer should be a number such as {_example(kind)}; you gave {_shown(value)}.")
        if kind == "whole number":
            if type(value) is float and not value.is_integer():
                raise NotYet(f"Your answer should be a whole number such as 7; you gave {_shown(value)}.")
            return int(value)
        return value
    if type(value) is not str:
        raise NotYet(f"Your answer should be {'one letter' if kind == 'letter' else 'a word'} in quotes, such "
                     f"as {_example(kind)}; you gave {_shown(value)}.")
    text = value.strip()
    if kind == "letter":
        if len(text) != 1 or not text.isalpha():
            raise NotYet(f'Your answer should be one letter in quotes, such as "B"; you gave {_shown(value)}.')
        text = text.upper()
        if choices and text not in choices.upper():
            raise NotYet(f"Choose one of {', '.join(choices.upper())}; you gave {_shown(value)}.")
        return text
    if not text:
        raise NotYet('No answer yet: write your word between the quotes, like "viral".')
    return text.lower()


#: A text answer that may be quoted back: short, letters, digits, spaces and plain punctuation only.
_QUOTABLE = re.compile(r"[\w ,.'?!-]{1,40}")


def quoted(value: object) -> str | None:
    """``value`` as the grader may repeat it in a verdict (which nbgrader's feedback renders as markdown):
    a number, or a short text of letters, digits, spaces and plain punctuation; None for anything else
    (long text, HTML, markdown links), which a verdict calls "your answer" without quoting it."""
    if type(value) in (int, float, bool) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else None
    if type(value) is str and _QUOTABLE.fullmatch(value):
        return repr(value)
    return None


def _shown(value: object) -> str:
    if type(value) in (int, float, str, bool) or value is None:
        return quoted(value) or ("a long number" if type(value) in (int, float) else
                                 "a text that the grader does not repeat here (it is long, or holds more than letters and plain punctuation)")
    return f"something that is not a plain value ({type(value).__name__})"


def is_right(kind: str, value: object, expected: object, within: float = 0) -> bool:
    """Whether a canonical answer (from :func:`validate`) equals the expected one, compared as plain
    values of exact types in this process."""
    if kind in ("whole number", "number"):
        if type(expected) not in (int, float) or type(value) not in (int, float):
            return False
        return abs(value - expected) <= within
    if type(value) is not str:  # a str subclass may define its own __eq__
        return False
    if kind == "letter":
        return type(expected) is str and str.__eq__(value, expected.strip().upper())
    if kind == "word":
        accepted = expected if type(expected) in (tuple, list) else (expected,)
        return any(type(a) is str and str.__eq__(value, a.strip().lower()) for a in accepted)
    return False


def table_problem(kind: str, text: object) -> str | None:
    """The capstone's rule for a table kind: None when it is met, else one sentence."""
    from syslead.learner import capstone  # the capstone imports this module

    problem = capstone.table_problem if kind == "system table" else capstone.flows_problem
    return problem(text)


# ---------------------------------------------------------------------------------------------------
# The check cell in the learner's kernel
# ---------------------------------------------------------------------------------------------------


@dataclass
class _State:
    last: dict = field(default_factory=dict)  # the latest check: name, kind, value
    verdicts: dict = field(default_factory=dict)  # answer name -> IPython DisplayHandle of its verdict
    answers: dict = field(default_factory=dict)  # answer name -> the text its answer cell last recorded
    tries: dict = field(default_factory=dict)  # answer name -> wrong tries in a self-paced notebook
    previous: str | None = None  # the source of the cell run last (before this one)
    latest: str | None = None  # the source of the cell running now
    recorded_now: str | None = None  # the answer name that the cell running now recorded
    recorded_before: str | None = None  # ... and the one that the cell before it recorded
    installed: bool = False


_STATE = _State()
_MISSING = object()


def _shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _raw_history(shell) -> list[str]:
    """The cells this kernel ran, as the learner typed them (before any transformation)."""
    if shell is None:
        return []
    manager = getattr(shell, "history_manager", None)
    raw = getattr(manager, "input_hist_raw", None)
    return list(raw) if raw else list(shell.user_ns.get("In", []))


def _answer_source(shell, name: str) -> str | None:
    """The source of the latest cell this kernel ran that answers ``name`` (its answer cell)."""
    history = _raw_history(shell)
    for source in reversed(history[:-1] if history else []):
        if source and binds_at_top(source, name):
            return source
    return None


def _say(name: str, message: str) -> None:
    """Show one message for a check, in one display that a later change of the answer can clear."""
    shell = _shell()
    if shell is None:
        print(message)
        return
    from IPython.display import display

    handle = display({"text/plain": message}, raw=True, display_id=True)
    _STATE.verdicts[name] = handle


def lost_marker(name: str) -> str:
    """The sentence for an answer cell whose first line (the marker) was deleted."""
    return (f"The answer cell above has lost its first line, “# Your answer ({name}): ...”, which tells the "
            f"course that what follows is your answer: press Ctrl+Z in that cell until the line comes back "
            f"(or type it again), then run that cell and this one.")


def _lost_marker() -> bool:
    """Whether the cell run just before this check is empty or typed words with no marker line."""
    previous = _STATE.previous
    if previous is None or marker_name(previous) is not None:
        return False
    return not previous.strip() or _looks_typed(previous)


def check(name: str, kind: str, choices: str = "", *, answer: object = _MISSING, why: str = "",
          hint: str = "", within: float = 0, namespace: dict | None = None) -> None:
    """Check the answer held in the variable called ``name``; show one message; raise :class:`NotYet`
    (one line) when it is missing or malformed, or, in a self-paced notebook (``answer=`` given), wrong."""
    install()
    shell = _shell()
    if namespace is None:
        namespace = shell.user_ns if shell is not None else sys._getframe(1).f_globals
    _STATE.verdicts.pop(name, None)
    _STATE.last = {}
    by_place = ""  # the answer read from the cell run just before, whose first line was deleted
    if _lost_marker() and _STATE.recorded_before != name:
        if not (_STATE.previous or "").strip():
            raise NotYet(lost_marker(name))
        by_place = _STATE.previous  # as the grader reads it: the answer cell by its place above the check
    if not by_place and (not isinstance(name, str) or name not in namespace):
        raise NotYet(f"There is no answer to check yet: type your answer under the first line of the answer "
                     f"cell above, then run that cell and this one (after a restart, Python forgets "
                     f"everything: {RUN_ABOVE}).")
    value = namespace.get(name)
    recorded = _STATE.answers.get(name)
    note = (f" The answer cell above has lost its first line, “# Your answer ({name}): ...”: put it back "
            f"(Ctrl+Z) so that your answer is read without a note." if by_place else "")
    try:
        if by_place:
            canonical = read_text(by_place, kind, choices)
        elif recorded is not None and type(value) is str and str.__eq__(value, recorded):
            canonical = read_text(value, kind, choices)  # typed under a marker line (or found by cell id)
        else:
            source = _answer_source(shell, name)
            if source is not None:
                canonical = answer_value(source, name, kind, choices)
            else:
                canonical = value if kind in TABLE_KINDS else validate(kind, value, choices)
    except NotPlain as error:
        raise NotYet(str(error)) from None
    if kind in TABLE_KINDS:
        problem = table_problem(kind, canonical)
        if problem:
            raise NotYet(problem)
        _STATE.last = {"name": name, "kind": kind, "value": canonical}
        _say(name, _table_message(kind, canonical) + (f" {why}" if why else "") + note)
        return
    _STATE.last = {"name": name, "kind": kind, "value": canonical, "within": within}
    shown = quoted(canonical)
    earlier = (" (from the last time you ran the answer cell: if you have changed it since, run it again)"
               if name in _STATE.answers and _STATE.recorded_before != name and not by_place else "")
    if answer is _MISSING:  # a cohort's release: nothing here may say whether it is right
        _say(name, (f"Recorded: your answer is {shown}{earlier}." if shown else f"Recorded: your answer is kept{earlier}.")
             + " It is marked after the deadline, and your feedback will say whether it is right and why." + note)
        return
    if is_right(kind, canonical, answer, within):
        _STATE.tries.pop(name, None)
        _say(name, "✓ Right." + (f" {why}" if why else "") + note)
        return
    tries = _STATE.tries[name] = _STATE.tries.get(name, 0) + 1
    said = f"you answered {shown}" if shown else "that is not it"
    tip = f" Hint: {hint}" if hint else " Look again at the figure above."
    if tries >= 2 and why:  # the second wrong try also gets the reason, so nobody is left stuck
        raise NotYet(f"Not right: {said}.{tip} The answer is {_plain(answer)}: {why}")
    raise NotYet(f"Not right: {said}.{tip} Change your answer, then run that cell and this one again.")


def _plain(answer: object) -> str:
    if type(answer) in (tuple, list):
        return " or ".join(str(a) for a in answer)
    return str(answer)


def _table_message(kind: str, text: object) -> str:
    from syslead.learner import capstone

    return capstone.table_recorded(text) if kind == "system table" else capstone.flows_recorded(text)


def expect(answer: object = None, *, why: str = "", hint: str = "", within: float = 0) -> None:
    """The hidden part of a check cell (``source/`` only): the expected answer and its explanation.

    The grader never runs it: it reads the call's arguments with ``ast``. In the kernel (when an author
    validates the source) it confirms that the solution above matches the expected answer.
    """
    last = _STATE.last
    if not last:
        raise NotYet("expect(...) belongs under a check(...) that passed, in the same cell.")
    if last["kind"] in TABLE_KINDS:
        return
    if not is_right(last["kind"], last["value"], answer, within):
        raise NotYet(f"The solution gives {last['value']!r} but the hidden block expects {answer!r}.")


# ---------------------------------------------------------------------------------------------------
# One sentence for a NameError, and no stale verdicts (IPython hooks, installed on first import)
# ---------------------------------------------------------------------------------------------------


LOST_FIRST_LINE = ("If {what} is your answer, keep the first line of its answer cell, the one that starts with "
                   "“# Your answer”: it tells the course that what follows is your answer, not Python "
                   "(Ctrl+Z brings a deleted line back).")


def _is_code(source: str) -> bool:
    """Whether a cell reads as Python that does something (a call, an assignment, an import...), rather
    than as words or a number typed on their own."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(not isinstance(stmt, ast.Expr) or any(isinstance(n, ast.Call) for n in ast.walk(stmt))
               for stmt in tree.body)


def _looks_typed(source: str) -> bool:
    """Whether a cell looks like a typed answer rather than code: at most two short lines that count,
    and no Python that does something."""
    lines = _typed_lines(source)
    return 0 < len(lines) <= 2 and all(len(line) <= 80 for line in lines) and not _is_code(source)


def name_error_sentence(source: str, missing: str) -> str:
    """The sentence for a NameError on ``missing`` in a cell with this source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    for stmt in tree.body if tree else []:
        if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name) and stmt.value.id == missing
                and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return _unquoted(missing, "letter")
    if tree is not None and marker_name(source) is None and _looks_typed(source):
        return LOST_FIRST_LINE.format(what=missing)
    return (f"Python does not know the name {missing}: if it is made in a cell above, {RUN_ABOVE}; "
            f"otherwise check its spelling.")


def syntax_error_sentence(source: str, line: int | None) -> str:
    """The sentence for a cell that Python cannot read."""
    if marker_name(source) is None and _looks_typed(source):
        return LOST_FIRST_LINE.format(what="this")
    where = f"line {line} of this cell" if line else "this cell"
    return (f"Python cannot read {where}: undo your last change (Ctrl+Z), or if you meant to type an answer, "
            f"type it in the answer cell under its first line.")


def _one_line(shell, sentence: str, etype, value, tb, tb_offset) -> None:
    show = getattr(shell, "_showtraceback", None)
    if isinstance(value, SyntaxError) and callable(show):  # showtraceback ignores _render_traceback_ here
        show(etype, value, [f"✗ {sentence}"])
        return
    try:
        value._render_traceback_ = lambda: [f"✗ {sentence}"]
    except AttributeError:
        pass
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def _on_error(shell, etype, value, tb, tb_offset=None):
    history = _raw_history(shell)
    source = history[-1] if history else ""
    if isinstance(value, SyntaxError):
        sentence = syntax_error_sentence(source, getattr(value, "lineno", None))
    else:
        missing = getattr(value, "name", None) or ""
        sentence = name_error_sentence(source, missing) if missing else f"{value}: {RUN_ABOVE}."
    _one_line(shell, sentence, etype, value, tb, tb_offset)
    _clear_verdicts(source)


def _clear_verdicts(source: str) -> None:
    for name in list(_STATE.verdicts):
        if binds_at_top(source, name):
            handle = _STATE.verdicts.pop(name)
            handle.update({"text/plain": "Your answer above has changed: run this check again."}, raw=True)


def _after_cell(result) -> None:
    info = getattr(result, "info", None)
    source = getattr(info, "raw_cell", None) or ""
    if source:
        _clear_verdicts(source)


# ---------------------------------------------------------------------------------------------------
# The answer cell: typed text becomes a text value (an IPython input transformer, so nothing is run)
# ---------------------------------------------------------------------------------------------------

_CHECK_CALL = re.compile(r"^\s*check\(\s*[\"']([A-Za-z_]\w*)[\"']", re.M)
_SAVED: dict = {}  # notebook path -> (modification time, {cell id: answer name})


def _answer_cells_by_id(path) -> dict[str, str]:
    """{cell id: answer name} of a saved notebook: the code cell just above each check(...) cell."""
    import nbformat

    stamp = path.stat().st_mtime_ns
    cached = _SAVED.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    found, above = {}, None
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        called = _CHECK_CALL.search(cell.source)
        if called and above is not None and above.get("id"):
            found[above["id"]] = called.group(1)
        above = None if called else cell
    _SAVED.clear()
    _SAVED[str(path)] = (stamp, found)
    return found


def _name_by_cell_id(shell) -> str | None:
    """The answer name of the cell being run, from its cell id (JupyterLab sends it) and the saved
    notebook, for an answer cell whose first line was deleted; None when it cannot be told."""
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    parent = get_parent() if callable(get_parent) else None
    cell_id = ((parent or {}).get("metadata") or {}).get("cellId")
    if not cell_id:
        return None
    from syslead.learner.reflection import find_notebook

    path = find_notebook()
    return _answer_cells_by_id(path).get(cell_id) if path is not None else None


def answer_cell_code(source: str, shell=None) -> str | None:
    """The one line of Python that an answer cell runs instead of its text, or None for any other cell:
    ``levels = record_answer("levels", "<what the learner typed>")``; the text is quoted with repr, so
    nothing typed can be a syntax or name error."""
    name = marker_name(source)
    text = answer_text(source, name) if name is not None else None
    if name is None and len(source) <= MAX_TEXT and shell is not None and not _is_code(source):
        try:
            name = _name_by_cell_id(shell)
        except Exception:  # a missing or unreadable notebook file: the cell runs as it is
            name = None
        text = source if name is not None else None
    if name is None or text is None or not name.isidentifier() or keyword.iskeyword(name):
        return None
    return (f"{name} = __import__('syslead.learner.checks', fromlist=['record_answer'])"
            f".record_answer({name!r}, {text!r})\n")


def _transform_answer_cell(lines: list[str]) -> list[str]:
    try:
        code = answer_cell_code("".join(lines), _shell())
    except Exception:  # never let the transformer itself stop a cell
        return lines
    return [code] if code is not None else lines


def _before_cell(info) -> None:
    _STATE.previous, _STATE.latest = _STATE.latest, getattr(info, "raw_cell", None)
    _STATE.recorded_before, _STATE.recorded_now = _STATE.recorded_now, None


def install() -> None:
    """Install, in this kernel and once: answer cells read as typed text (an input transformer), one
    sentence for a NameError or SyntaxError, and the clearing of stale verdicts."""
    if _STATE.installed:
        return
    shell = _shell()
    if shell is None:
        return
    cleanup = getattr(shell, "input_transformers_cleanup", None)
    if cleanup is not None and _transform_answer_cell not in cleanup:
        cleanup.insert(0, _transform_answer_cell)
    shell.set_custom_exc((NameError, SyntaxError), _on_error)
    shell.events.register("pre_run_cell", _before_cell)
    shell.events.register("post_run_cell", _after_cell)
    _STATE.installed = True


install()
