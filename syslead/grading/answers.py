"""Quick questions graded from plain values, in the grader's own process (never by the learner's code).

This module reads and marks quick questions; the nbgrader preprocessors that use it each have a module of
their own: :class:`~syslead.grading.plain_answers.PlainAnswers`,
:class:`~syslead.grading.answer_comments.AnswerComments` and :class:`~syslead.grading.named_stubs.NamedStubs`
(the course's pipeline, :mod:`syslead.grading.pipeline`, lists them). PlainAnswers runs in
``nbgrader autograde`` after the learner's notebook has been executed and before ``SaveAutoGrades``. For each
graded check cell it

1. takes the check cell's source from the gradebook (what ``generate_assignment`` stored from
   ``source/``, hidden block included), and reads with ``ast``, never running it, the answer's variable
   and kind from ``check("levels", "whole number")`` and the expected answer and its explanation from
   ``expect(3, why="...")`` in the hidden block;
2. reads the learner's answer from the answer cell's source (the nearest cell above that assigns the
   variable, normally the answer cell), again
   with ``ast`` only (:func:`syslead.learner.checks.plain_answer`);
3. compares the two as plain values of exact types (:func:`syslead.learner.checks.is_right`), and
4. replaces the check cell's outputs with one line: ``✓ Right: ...`` (a stream, full marks) or
   ``✗ Not right: ...`` (an error, no marks), so that nbgrader's own ``SaveAutoGrades``, formgrader and
   feedback see the grader's verdict, not whatever the learner's kernel printed or raised.

An answer that is not a plain value gets 0, and the line says why in one sentence; :class:`AnswerComments`
(after ``SaveAutoGrades``) also puts that line in nbgrader's automatic comment on the answer cell, where
the formgrader shows it. Error outputs of an
answer cell are replaced by the same one-sentence message the notebook gives.

:func:`self_paced` turns a source notebook into the self-paced learners' copy, whose checks say right
or wrong at once (they have no grade to protect).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass

import nbformat
from nbformat.notebooknode import NotebookNode

from syslead.course import delimiters
from syslead.learner.checks import (
    KINDS,
    TABLE_KINDS,
    NotPlain,
    NotYet,
    answer_value,
    binds_at_top,
    is_right,
    name_error_sentence,
    quoted,
    table_problem,
)


def _hidden_block() -> re.Pattern:
    """A hidden-test block, between the markers nbgrader's ClearHiddenTests uses."""
    from syslead.course import delimiters

    d = delimiters()
    return re.compile(rf"^[ \t]*###[ \t]*{re.escape(d.begin_hidden_tests)}.*?^[ \t]*###[ \t]*"
                      rf"{re.escape(d.end_hidden_tests)}[ \t]*\n?", re.S | re.M)


HIDDEN = _hidden_block()


class NotAQuickQuestion(ValueError):
    """A check cell that the grader cannot read (an authoring mistake; see AUTHORING.md)."""


@dataclass(frozen=True)
class QuickQuestion:
    """What a check cell says, read with ``ast`` from its trusted source."""

    name: str
    kind: str
    choices: str = ""
    answer: object = None
    why: str = ""
    hint: str = ""
    within: float = 0
    has_answer: bool = False


def _literal(node: ast.AST, what: str) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise NotAQuickQuestion(f"{what} is not a plain value") from None


def _calls(tree: ast.Module, func: str) -> list[ast.Call]:
    return [s.value for s in tree.body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
            and isinstance(s.value.func, ast.Name) and s.value.func.id == func]


def read_check(source: str) -> QuickQuestion:
    """The quick question a check cell's source describes, read with ``ast`` (never executed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotAQuickQuestion(f"the check cell is not valid Python ({error.msg})") from None
    checks = _calls(tree, "check")
    if len(checks) != 1:
        raise NotAQuickQuestion("a check cell holds exactly one check(...) line")
    call = checks[0]
    args = [_literal(a, "an argument of check(...)") for a in call.args]
    kwargs = {k.arg: _literal(k.value, f"check(..., {k.arg}=...)") for k in call.keywords}
    if len(args) < 2 or not all(type(a) is str for a in args[:3]):
        raise NotAQuickQuestion('check(...) takes the answer\'s variable name and kind, e.g. check("levels", "whole number")')
    fields = {"name": args[0], "kind": args[1], "choices": args[2] if len(args) > 2 else kwargs.pop("choices", "")}
    fields.update({k: v for k, v in kwargs.items() if k in ("why", "hint", "within")})
    if "answer" in kwargs:
        fields.update(answer=kwargs["answer"], has_answer=True)
    expects = _calls(tree, "expect")
    if len(expects) > 1:
        raise NotAQuickQuestion("a check cell holds at most one expect(...) line")
    if expects:
        call = expects[0]
        if len(call.args) > 1:
            raise NotAQuickQuestion("expect(...) takes the answer, then why=, hint= and within=")
        if call.args:
            fields.update(answer=_literal(call.args[0], "the expected answer"), has_answer=True)
        for k in call.keywords:
            if k.arg not in ("why", "hint", "within"):
                raise NotAQuickQuestion(f"expect(...) has no argument {k.arg}=")
            fields[k.arg] = _literal(k.value, f"expect(..., {k.arg}=...)")
    question = QuickQuestion(**fields)
    if question.kind not in KINDS:
        raise NotAQuickQuestion(f"unknown kind {question.kind!r} (use one of {', '.join(KINDS)})")
    if question.kind not in TABLE_KINDS and not question.has_answer:
        raise NotAQuickQuestion("the hidden block has no expect(answer, why=...)")
    return question


@dataclass(frozen=True)
class Verdict:
    right: bool
    message: str  # one line for the learner (and the tutor)


def grade(question: QuickQuestion, answer_source: str | None) -> Verdict:
    """The verdict on one quick question, from the answer cell's source (None: no answer cell).

    The answer is what the learner typed under the cell's marker line, or, in an older notebook, the
    value in ``name = "B"``; a cell whose marker line was deleted is read as typed text, since the grader
    knows from its place that it is this question's answer cell."""
    if answer_source is None:
        return Verdict(False, "✗ Not marked: the answer cell above this check is missing, so there is no "
                              "answer to mark.")
    try:
        value = answer_value(answer_source, question.name, question.kind, question.choices, position=True)
    except NotPlain as error:
        return Verdict(False, f"✗ Not marked: {error}")
    except NotYet as error:
        return Verdict(False, f"✗ {error}")
    if question.kind in TABLE_KINDS:
        problem = table_problem(question.kind, value)
        if problem:
            return Verdict(False, f"✗ {problem}" + (f" {question.why}" if question.why else ""))
        return Verdict(True, "✓ Done: your table meets this check." + (f" {question.why}" if question.why else ""))
    canonical = value
    why = f" {question.why}" if question.why else ""
    shown = quoted(canonical)  # the learner's text is repeated only when short and plain (see quoted)
    if is_right(question.kind, canonical, question.answer, question.within):
        return Verdict(True, f"✓ Right: you answered {shown}.{why}" if shown else f"✓ Right: your answer is right.{why}")
    said = f"you answered {shown}" if shown else "your answer is not it"
    return Verdict(False, f"✗ Not right: {said}; the answer is {question.answer!r}.{why}")


def is_marked(cell: NotebookNode, key: str) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get(key))


def answer_cell(cells: list[NotebookNode], index: int, name: str) -> NotebookNode | None:
    """The answer cell of the check at ``index``: the nearest code cell above it that assigns ``name``
    (as in Run All, the value the learner's kernel had), else the nearest solution cell above it."""
    above = [c for c in cells[:index] if c.cell_type == "code"]
    for cell in reversed(above):
        if binds_at_top(cell.source, name):
            return cell
    for cell in reversed(above):
        if is_marked(cell, "solution") and not is_marked(cell, "grade"):
            return cell
    if above and not any(is_marked(c, "solution") for c in above):  # nbgrader's metadata stripped: the cell above
        return above[-1]
    return None


def stream_output(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def error_output(text: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename="NotYet", evalue=text.removeprefix("✗ "), traceback=[text])


def _title(markdown: str) -> str | None:
    found = re.search(r"^#{1,6}\s+(.+?)\s*(\(\d+ points?\))?\s*$", markdown, flags=re.M)
    return found.group(1).strip() if found else None


def named_stubs(cells: list[NotebookNode], stub: str | None = None) -> list[NotebookNode]:
    """Give each reflection cell that still holds the text stub the title of its question, as in
    "*Write your reflection here, for “Reflection 1: ...”: double-click ...*"; return the cells changed."""
    changed, title = [], None
    stub = stub or TEXT_STUB
    head, _, tail = stub.partition(":")
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        if is_marked(cell, "solution") and cell.source.strip() == stub and title:
            cell.source = f"{head}, for “{title}”:{tail}"
            changed.append(cell)
        elif not is_marked(cell, "solution"):
            title = _title(cell.source) or title
    return changed


def one_sentence_errors(answer: NotebookNode, question: QuickQuestion) -> None:
    """Replace the answer cell's error outputs by one sentence (the notebook's own message)."""
    if not any(o.get("output_type") == "error" for o in answer.get("outputs", [])):
        return
    try:
        answer_value(answer.source, question.name, question.kind, question.choices, position=True)
        sentence = None
    except (NotPlain, NotYet) as error:
        sentence = str(error)
    outputs = []
    for out in answer.outputs:
        if out.get("output_type") != "error":
            outputs.append(out)
            continue
        text = sentence
        if text is None and out.get("ename") == "NameError":
            missing = re.search(r"name '(\w+)' is not defined", out.get("evalue", ""))
            text = name_error_sentence(answer.source, missing.group(1)) if missing else None
        if text is None:
            text = f"This cell stopped with an error ({out.get('ename', 'error')}): run it again to see the message."
        outputs.append(nbformat.v4.new_output("error", ename=out.get("ename", "Error"), evalue=text,
                                              traceback=[f"✗ {text}"]))
    answer.outputs = outputs


#: Names that used to live here, kept importable for nbgrader configs that name them
#: (``"syslead.grading.answers.PlainAnswers"``): each now has a module of its own.
MOVED = {"PlainAnswers": "syslead.grading.plain_answers", "AnswerComments": "syslead.grading.answer_comments",
         "NamedStubs": "syslead.grading.named_stubs", "AUTOGRADE_PREPROCESSORS": "syslead.grading.pipeline",
         "FEEDBACK_PREPROCESSORS": "syslead.grading.pipeline", "GENERATE_PREPROCESSORS": "syslead.grading.pipeline"}
_PIPELINE_NAMES = {"AUTOGRADE_PREPROCESSORS": "AUTOGRADE", "FEEDBACK_PREPROCESSORS": "FEEDBACK",
                   "GENERATE_PREPROCESSORS": "GENERATE"}


def __getattr__(name: str):
    # imported by name when first asked for (the new modules import this one, and nbgrader is slow to import)
    if name in MOVED:
        import importlib

        return getattr(importlib.import_module(MOVED[name]), _PIPELINE_NAMES.get(name, name))
    raise AttributeError(name)


# ---------------------------------------------------------------------------------------------------
# The self-paced copy: instant checks, no solutions, no hidden blocks, no mark schemes
# ---------------------------------------------------------------------------------------------------

#: What an emptied reflection cell says (as in nbgrader_config.py's ClearSolutions.text_stub).
TEXT_STUB = "*Write your reflection here: double-click this cell to edit it, then press Shift+Enter.*"


def instant_check_source(source: str) -> str:
    """A check cell's source with its hidden block folded into an instant ``check(..., answer=...)``."""
    question = read_check(source)
    visible = HIDDEN.sub("", source).rstrip("\n")
    extra = []
    if question.has_answer and question.kind not in TABLE_KINDS:
        extra.append(f"answer={question.answer!r}")
    for key in ("why", "hint"):
        if getattr(question, key):
            extra.append(f"{key}={getattr(question, key)!r}")
    if question.within:
        extra.append(f"within={question.within!r}")
    if not extra:
        return visible + "\n"
    tree = ast.parse(visible)
    call = _calls(tree, "check")[0]
    lines = visible.splitlines()
    line = call.end_lineno - 1
    end = call.end_col_offset - 1  # the closing parenthesis
    joined = ",\n      ".join(extra)
    lines[line] = lines[line][:end] + f",\n      {joined}" + lines[line][end:]
    return "\n".join(lines) + "\n"


def self_paced(source_nb: NotebookNode, text_stub: str = TEXT_STUB) -> NotebookNode:
    """The self-paced learners' copy of a source notebook: each quick question's check says right or
    wrong at once, with the hint and explanation that the source holds; solutions, hidden blocks, mark
    schemes, outputs and nbgrader's metadata are removed. The source notebook is not changed."""
    from nbgrader.preprocessors import ClearMarkScheme, ClearOutput, ClearSolutions

    nb = copy.deepcopy(source_nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and is_marked(cell, "grade") and not is_marked(cell, "solution"):
            cell.source = instant_check_source(cell.source)
    resources = {}
    nb, resources = ClearSolutions(code_stub={"python": ""}, text_stub=text_stub).preprocess(nb, resources)
    nb, resources = ClearMarkScheme(enforce_metadata=False).preprocess(nb, resources)
    nb, resources = ClearOutput().preprocess(nb, resources)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        for key in ("editable", "deletable"):
            cell.metadata.pop(key, None)
        d = delimiters()
        if d.begin_hidden_tests in cell.source or d.begin_solution in cell.source:
            raise ValueError("a hidden block or solution outside a graded cell: fix the source notebook")
    return nb
