"""Quick questions graded from plain values, in the grader's own process (never by the learner's code).

:class:`PlainAnswers` is an nbgrader preprocessor. It runs in ``nbgrader autograde`` after the learner's
notebook has been executed and before ``SaveAutoGrades`` (see ``nbgrader_config.py``). For each graded
check cell it

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
import html
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

#: nbgrader's autograde pipeline (nbgrader 0.9's default) with PlainAnswers before SaveAutoGrades and
#: AnswerComments after it.
AUTOGRADE_PREPROCESSORS: tuple[str, ...] = (
    "nbgrader.preprocessors.Execute",
    "syslead.grading.clean.SanitizeNotebook",  # learner HTML and script made safe before anything shows it
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "syslead.grading.answers.PlainAnswers",
    "nbgrader.preprocessors.SaveAutoGrades",
    "syslead.grading.answers.AnswerComments",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
)

#: nbgrader's feedback pipeline with its own ClearHiddenTests and ClearMarkScheme (nbgrader #917), and
#: syslead's LateNotice (syslead/tutor/late.py), which opens a late submission's feedback with its penalty.
FEEDBACK_PREPROCESSORS: tuple[str, ...] = (
    "nbgrader.preprocessors.GetGrades",
    "syslead.tutor.late.LateNotice",  # a late submission's feedback states the deadline, rule and penalty
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
)

#: nbgrader's generate_assignment pipeline (nbgrader 0.9's default) with NamedStubs after ClearSolutions,
#: before the checksums: each emptied reflection names its question, so Validate says which is missing.
GENERATE_PREPROCESSORS: tuple[str, ...] = (
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "syslead.grading.answers.NamedStubs",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
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


def _is(cell: NotebookNode, key: str) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get(key))


def _answer_cell(cells: list[NotebookNode], index: int, name: str) -> NotebookNode | None:
    """The answer cell of the check at ``index``: the nearest code cell above it that assigns ``name``
    (as in Run All, the value the learner's kernel had), else the nearest solution cell above it."""
    above = [c for c in cells[:index] if c.cell_type == "code"]
    for cell in reversed(above):
        if binds_at_top(cell.source, name):
            return cell
    for cell in reversed(above):
        if _is(cell, "solution") and not _is(cell, "grade"):
            return cell
    if above and not any(_is(c, "solution") for c in above):  # nbgrader's metadata stripped: the cell above
        return above[-1]
    return None


def _stream(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def _error(text: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename="NotYet", evalue=text.removeprefix("✗ "), traceback=[text])


def _preprocessor_class():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class PlainAnswers(NbGraderPreprocessor):
        """Set each quick question's check-cell outcome from the plain-value comparison (see module)."""

        def _trusted_sources(self, resources) -> dict[str, str]:
            info = resources.get("nbgrader", {}) if resources else {}
            if not info.get("db_url"):
                return {}
            from nbgrader.api import Gradebook, MissingEntry

            found = {}
            with Gradebook(info["db_url"]) as gb:
                try:
                    notebook = gb.find_notebook(info["notebook"], info["assignment"])
                except MissingEntry:
                    return {}
                for cell in notebook.source_cells:
                    found[cell.name] = cell.source
            return found

        def preprocess(self, nb, resources):
            trusted = self._trusted_sources(resources)
            cells = nb.cells
            for index, cell in enumerate(cells):
                if cell.cell_type != "code" or not _is(cell, "grade") or _is(cell, "solution"):
                    continue
                grade_id = cell.metadata["nbgrader"].get("grade_id", "")
                source = trusted.get(grade_id)
                if source is None and not trusted:
                    source = cell.source  # no gradebook (a trusted notebook given directly)
                if source is None:
                    cell.outputs = [_error("✗ Not marked: this check cell is not in the course's gradebook.")]
                    continue
                try:
                    question = read_check(source)
                except NotAQuickQuestion as error:
                    self.log.warning("Check cell %s cannot be read by the grader (%s): scored 0.", grade_id, error)
                    cell.outputs = [_error(f"✗ Not marked: this check cell is not a quick question the grader "
                                           f"can read ({error}); tell your tutor.")]
                    continue
                answer = _answer_cell(cells, index, question.name)
                try:
                    verdict = grade(question, answer.source if answer is not None else None)
                except Exception as error:  # never let one odd answer stop the grading of the rest
                    self.log.warning("Check cell %s: the answer could not be read (%r): scored 0.", grade_id, error)
                    verdict = Verdict(False, "✗ Not marked: the answer cell could not be read; keep only its "
                                             "line with your answer.")
                cell.outputs = [_stream(verdict.message) if verdict.right else _error(verdict.message)]
                if answer is not None:
                    _one_sentence_errors(answer, question)
                    answer_id = answer.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                    if answer_id and resources is not None:
                        said = resources.setdefault("syslead_verdicts", {})
                        said[answer_id] = " ".join(filter(None, [said.get(answer_id), verdict.message]))
            return nb, resources

    class AnswerComments(NbGraderPreprocessor):
        """After SaveAutoGrades: the grader's line on each quick question becomes nbgrader's automatic
        comment on its answer cell, so the formgrader shows it beside the answer."""

        def preprocess(self, nb, resources):
            info = resources.get("nbgrader", {}) if resources else {}
            verdicts = resources.get("syslead_verdicts", {}) if resources else {}
            if not info.get("db_url") or not verdicts:
                return nb, resources
            from nbgrader.api import Gradebook, MissingEntry

            with Gradebook(info["db_url"]) as gb:
                for grade_id, message in verdicts.items():
                    try:
                        comment = gb.find_comment(grade_id, info["notebook"], info["assignment"], info["student"])
                    except MissingEntry:
                        continue
                    # nbgrader's feedback renders the comment as markdown, raw HTML included: a capstone
                    # message can name the learner's own words, so < and > become text
                    comment.auto_comment = html.escape(message, quote=False)
                gb.db.commit()
            return nb, resources

    class NamedStubs(NbGraderPreprocessor):
        """After ClearSolutions: an emptied reflection cell's text stub names its question (the heading of
        the prompt just above it), so that nbgrader's Validate, which lists each unanswered cell by its
        text, says which reflection is missing."""

        def preprocess(self, nb, resources):
            for cell in named_stubs(nb.cells):
                cell.source = cell.source  # changed in place by named_stubs
            return nb, resources

    return PlainAnswers, AnswerComments, NamedStubs


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
        if _is(cell, "solution") and cell.source.strip() == stub and title:
            cell.source = f"{head}, for “{title}”:{tail}"
            changed.append(cell)
        elif not _is(cell, "solution"):
            title = _title(cell.source) or title
    return changed


def _one_sentence_errors(answer: NotebookNode, question: QuickQuestion) -> None:
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


def __getattr__(name: str):  # nbgrader is slow to import: the preprocessor class is built on first use
    if name in ("PlainAnswers", "AnswerComments", "NamedStubs"):
        plain, comments, stubs = _preprocessor_class()
        globals().update(PlainAnswers=plain, AnswerComments=comments, NamedStubs=stubs)
        return globals()[name]
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
        if cell.cell_type == "code" and _is(cell, "grade") and not _is(cell, "solution"):
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
