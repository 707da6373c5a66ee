"""Quick questions: the learner's check cells, and the rules that the grader shares with them.

A quick question is two cells. The **answer cell** (an nbgrader solution cell) holds one plain value::

    levels = None          # the learner replaces None with 3

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
above first; an unquoted word in an answer cell (``answer = B``) says to put it in quotes. Each check
shows one message, and changing or re-running an answer cell clears the earlier verdict.

The kinds of answer (:data:`KINDS`): ``"whole number"``, ``"number"``, ``"letter"`` (with the letters
offered, for example ``"ABCD"``), ``"word"``, and the capstone's ``"system table"`` and ``"flows"``
(a table written in ``system_table(\"\"\"...\"\"\")``, checked by :mod:`syslead.learner.capstone`).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field

from syslead.learner.notyet import NotYet

__all__ = ["NotYet", "NotPlain", "check", "expect", "plain_answer", "validate", "is_right", "install"]

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
    installed: bool = False


_STATE = _State()
_MISSING = object()


def _shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _answer_source(shell, name: str) -> str | None:
    """The source of the latest cell this kernel ran that assigns ``name`` (its answer cell)."""
    history = shell.user_ns.get("In", []) if shell is not None else []
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
    if not isinstance(name, str) or name not in namespace:
        raise NotYet(f"Python does not know your answer yet (after a restart it forgets everything): {RUN_ABOVE}.")
    value = namespace[name]
    source = _answer_source(shell, name)
    if source is not None and kind not in TABLE_KINDS:
        try:
            value = plain_answer(source, name, kind)
        except NotPlain as error:
            raise NotYet(str(error)) from None
    if kind in TABLE_KINDS:
        if source is not None:
            try:
                value = plain_answer(source, name, kind)
            except NotPlain as error:
                raise NotYet(str(error)) from None
        problem = table_problem(kind, value)
        if problem:
            raise NotYet(problem)
        _STATE.last = {"name": name, "kind": kind, "value": value}
        _say(name, _table_message(kind, value) + (f" {why}" if why else ""))
        return
    canonical = validate(kind, value, choices)
    _STATE.last = {"name": name, "kind": kind, "value": canonical, "within": within}
    if answer is _MISSING:
        shown = quoted(canonical)
        _say(name, (f"✓ Answer recorded: {shown}." if shown else "✓ Answer recorded.") + " It counts when you "
                   "submit the notebook; your feedback will say whether it is right.")
        return
    if is_right(kind, canonical, answer, within):
        _say(name, "✓ Right." + (f" {why}" if why else ""))
        return
    raise NotYet("Not quite." + (f" Hint: {hint}" if hint else " Look again at the figure above and try again."))


def _table_message(kind: str, text: object) -> str:
    from syslead.learner import capstone

    table = capstone._same_names(capstone._as_table(text)[0])
    if kind == "system table":
        return (f"✓ Your table is well-formed: {len(capstone.actors(table))} actors and {len(table)} "
                f"relationships. It counts when you submit the notebook.")
    counts = table["flow"].value_counts()
    return (f"✓ You marked {counts['hierarchical']} relationships as hierarchical and {counts['viral']} as "
            f"viral. It counts when you submit the notebook.")


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
    return (f"Python does not know the name {missing}: if it is made in a cell above, {RUN_ABOVE}; "
            f"otherwise check its spelling.")


def _on_name_error(shell, etype, value, tb, tb_offset=None):
    missing = getattr(value, "name", None) or ""
    history = shell.user_ns.get("In", [])
    source = history[-1] if history else ""
    sentence = name_error_sentence(source, missing) if missing else f"{value}: {RUN_ABOVE}."
    try:
        value._render_traceback_ = lambda: [f"✗ {sentence}"]
    except AttributeError:
        pass
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
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


def install() -> None:
    """Install the one-sentence NameError message and the stale-verdict clearing in this kernel (once)."""
    if _STATE.installed:
        return
    shell = _shell()
    if shell is None:
        return
    shell.set_custom_exc((NameError,), _on_name_error)
    shell.events.register("post_run_cell", _after_cell)
    _STATE.installed = True


install()
