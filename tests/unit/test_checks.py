"""Quick questions: answers read as plain values, never run; one sentence for every mistake.

The fast tests check the shared rules (syslead.learner.checks) and the grader's reading of check cells
(syslead.grading.answers) on every source notebook. The slow ones run the learner's cells in a real
kernel (nbclient), as JupyterLab does.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, headless_kernel_env

from syslead.grading.answers import grade, instant_check_source, read_check, self_paced
from syslead.learner.checks import (
    NotPlain,
    NotYet,
    answer_cell_code,
    answer_value,
    check,
    is_right,
    plain_answer,
    validate,
)

SOURCES = [ROOT / "source" / a / f"{a}.ipynb" for a in assignments()]
RELEASES = [ROOT / "release" / a / f"{a}.ipynb" for a in assignments()]


def _nbg(cell, key):
    return bool(cell.metadata.get("nbgrader", {}).get(key))


def quick_questions(path: Path):
    """(answer cell, check cell) of every graded code cell of a notebook."""
    nb = nbformat.read(str(path), as_version=4)
    found, answer = [], None
    for cell in nb.cells:
        if cell.cell_type == "code" and _nbg(cell, "solution"):
            answer = cell
        elif cell.cell_type == "code" and _nbg(cell, "grade"):
            found.append((answer, cell))
    return found


def without_solution_markers(source: str) -> str:
    return re.sub(r"### (BEGIN|END) SOLUTION\n?", "", source)


# --- reading an answer without running it ---------------------------------------------------------


@pytest.mark.parametrize("source, kind, value", [
    ("levels = 3", "whole number", 3),
    ("# a comment\nlevels = None\nlevels = 3.0", "whole number", 3.0),
    ('answer = "B"', "letter", "B"),
    ("answer = ' b '", "letter", " b "),
    ('t = system_table("""a | b | c | viral""")', "system table", "a | b | c | viral"),
    ("t = system_table()", "system table", ""),
])
def test_a_plain_value_is_read_from_the_source(source, kind, value):
    name = source.split("\n")[-1].split(" =")[0]
    assert plain_answer(source, name, kind) == value


@pytest.mark.parametrize("source, words", [
    ("levels = 1 + 2", "plain value"),
    ("levels = int('3')", "plain value"),
    ("class A:\n    def __eq__(self, other):\n        return True\nlevels = A()", "plain value"),
    ("levels = 3\nlevels += 1", "does not read"),
    ("levels = 3\nfor levels in range(4):\n    pass", "does not read"),
    ("levels = 3\nimport levels", "does not read"),
    ("levels = 3\ndef levels():\n    return 3", "does not read"),
    ("x = 3", "does not give levels a value"),
    ("levels = (", "cannot read line"),
    ("levels = B", 'put your answer in quotes, like "B"'),
    ("t = system_table(text)", "inside t = system_table"),
])
def test_anything_but_a_plain_value_is_refused_with_one_sentence(source, words):
    name = "t" if source.startswith("t =") else "levels"
    kind = "system table" if name == "t" else "letter"
    with pytest.raises(NotPlain) as info:
        plain_answer(source, name, kind)
    message = str(info.value)
    assert words in message and "\n" not in message and message.endswith(".")


def test_an_unquoted_word_in_a_number_question_asks_for_digits():
    with pytest.raises(NotPlain, match="in digits"):
        plain_answer("levels = three", "levels", "whole number")


class Sneaky(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("kind, value, words", [
    ("whole number", None, "No answer yet"),
    ("whole number", "3", "number such as 7"),
    ("whole number", 3.5, "whole number"),
    ("whole number", True, "number such as 7"),
    ("whole number", AlwaysEqual(), "not a plain value"),
    ("whole number", float("nan"), "number such as 7"),
    ("letter", None, "No answer yet"),
    ("letter", "E", "Choose one of A, B, C, D"),
    ("letter", "AB", "one letter"),
    ("letter", Sneaky("B"), "not a plain value"),
    ("letter", 2, "one letter in quotes"),
])
def test_the_form_of_an_answer_is_checked_with_exact_types(kind, value, words):
    with pytest.raises(NotYet) as info:
        validate(kind, value, "ABCD")
    assert words in str(info.value)
    lines = info.value._render_traceback_()
    assert len(lines) == 1 and lines[0].startswith("✗ ") and "\n" not in lines[0]


def test_right_and_wrong_compare_plain_values_only():
    assert is_right("whole number", validate("whole number", 3.0), 3)
    assert not is_right("whole number", 4, 3)
    assert is_right("letter", validate("letter", " b ", "ABCD"), "B")
    assert not is_right("letter", "A", "B")
    assert not is_right("letter", Sneaky("A"), "B")
    assert not is_right("whole number", AlwaysEqual(), 3)
    assert is_right("number", 0.52, 0.5, within=0.05) and not is_right("number", 0.6, 0.5, within=0.05)


# --- the check cell outside a kernel (namespace given) --------------------------------------------


def test_the_cohort_check_records_the_answer_and_never_says_whether_it_is_right(capsys):
    check("levels", "whole number", namespace={"levels": 4})
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("Recorded: your answer is 4.") and "after the deadline" in out
    assert "✓" not in out and "✗" not in out


def test_the_self_paced_check_says_right_with_the_reason_or_gives_the_hint_then_the_reason(capsys):
    check("levels", "whole number", answer=3, why="Because.", namespace={"levels": 3})
    assert capsys.readouterr().out == "✓ Right. Because.\n"
    with pytest.raises(NotYet, match="Not right: you answered 4. Hint: look up. Change your answer") as first:
        check("levels", "whole number", answer=3, why="Because.", hint="look up.", namespace={"levels": 4})
    assert "Because" not in str(first.value)
    with pytest.raises(NotYet, match="Hint: look up. The answer is 3: Because."):
        check("levels", "whole number", answer=3, why="Because.", hint="look up.", namespace={"levels": 4})


# --- answers typed as plain text under the answer cell's first line -------------------------------

MARK = "# Your answer (levels): a whole number, on the next line.\n"
LETTER = "# Your answer (absence_answer): one letter, A, B, C or D.\n"


@pytest.mark.parametrize("typed, kind, value", [
    ("3", "whole number", 3), (" 3 \n", "whole number", 3), ("three", "whole number", 3),
    ("3 steps", "whole number", 3), ("1,000", "whole number", 1000), ("3.0", "whole number", 3),
    ("levels = 3", "whole number", 3), ("b", "letter", "B"), (" B) ", "letter", "B"), ('"B', "letter", "B"),
    ("(b).", "letter", "B"), ("option B", "letter", "B"), ("B\nB", "letter", "B"),
    ('absence_answer = "B"', "letter", "B"), ("absence_answer = B", "letter", "B"), ("# a note\nB", "letter", "B"),
])
def test_a_typed_answer_is_read_leniently_in_form(typed, kind, value):
    marker, name = (LETTER, "absence_answer") if kind == "letter" else (MARK, "levels")
    assert answer_value(marker + typed, name, kind, "ABCD") == value


@pytest.mark.parametrize("typed, kind, words", [
    ("", "letter", "No answer yet"), ("   \n", "whole number", "No answer yet"),
    ("E", "letter", "Choose one of A, B, C, D"), ("BC", "letter", "one of the letters A, B, C or D"),
    ("🙂", "letter", "one of the letters"), ("B\nC", "letter", "more than one answer"),
    ("about three", "whole number", "a number such as 7"), ("3 or 4", "whole number", "a number such as 7"),
    ("3.5", "whole number", "whole number"), ("x" * 5000, "letter", "5,000 characters"),
    ("print('B')", "letter", "one of the letters"),
])
def test_a_typed_answer_is_strict_in_content_with_one_sentence(typed, kind, words):
    marker, name = (LETTER, "absence_answer") if kind == "letter" else (MARK, "levels")
    with pytest.raises(NotYet) as info:
        answer_value(marker + typed, name, kind, "ABCD")
    message = str(info.value)
    assert words in message and "\n" not in message and message.endswith(".")


def test_an_answer_cell_becomes_one_line_that_records_the_text_and_cannot_fail():
    for typed in ('"B', "B)", "🙂", "'''", "\\", "x" * 5000, "absence_answer = B", "import os\nos.system('x')"):
        code = answer_cell_code(LETTER + typed)
        assert code.startswith("absence_answer = __import__(") and code.count("\n") == 1
        compile(code, "answer", "exec")  # never a syntax error
    assert answer_cell_code("x = 3") is None and answer_cell_code("draw(x)") is None


def test_the_grader_reads_a_cell_whose_first_line_was_deleted_by_its_place():
    assert answer_value("B", "absence_answer", "letter", "ABCD", position=True) == "B"
    with pytest.raises(NotPlain):
        answer_value("B", "absence_answer", "letter", "ABCD")


def test_a_missing_answer_variable_says_to_run_the_cells_above():
    with pytest.raises(NotYet, match=r"run the cells above first \(Run → Run All Above\)"):
        check("levels", "whole number", namespace={})


# --- every source notebook's quick questions, as the grader reads them ----------------------------


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_check_cell_is_read_by_the_grader_and_its_solution_scores(path):
    pairs = quick_questions(path)
    assert len(pairs) >= 2
    for answer, check_cell in pairs:
        question = read_check(check_cell.source)
        assert answer is not None, f"{check_cell.metadata.nbgrader.grade_id} has no answer cell above it"
        assert grade(question, without_solution_markers(answer.source)).right, check_cell.source
        assert question.why, "the feedback explains every quick question"
        unanswered = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION\n?", "", answer.source, flags=re.S)
        verdict = grade(question, unanswered)
        assert not verdict.right and verdict.message.startswith("✗ ") and "\n" not in verdict.message


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_a_wrong_answer_is_not_right_and_the_feedback_says_why(path):
    for _answer, check_cell in quick_questions(path):
        question = read_check(check_cell.source)
        if question.kind == "whole number":
            wrong = f"{question.name} = {question.answer + 1}"
        elif question.kind == "letter":
            wrong = f'{question.name} = "{"A" if question.answer != "A" else "C"}"'
        else:
            continue
        verdict = grade(question, wrong)
        assert not verdict.right and "Not right" in verdict.message and question.why in verdict.message


def test_a_forged_answer_gets_no_marks_with_one_sentence():
    question = read_check('check("levels", "whole number")\n### BEGIN HIDDEN TESTS\nexpect(3, why="W.")\n'
                          '### END HIDDEN TESTS')
    for forged in ("class A:\n    def __eq__(s, o):\n        return True\nlevels = A()",
                   "levels = 3\nlevels = Sneaky(3)", "levels = '3'", "levels = True",
                   "def check(*a, **k):\n    print('✓ Right')\nlevels = None"):
        verdict = grade(question, forged)
        assert not verdict.right and verdict.message.startswith("✗ ") and "\n" not in verdict.message


@pytest.mark.parametrize("path", RELEASES, ids=[p.parent.name for p in RELEASES])
def test_the_release_holds_nothing_the_answer_can_be_worked_out_from(path):
    text = path.read_text(encoding="utf-8")
    assert "expect(" not in text and "answer=" not in text and not re.search(r"\b[0-9a-f]{64}\b", text)
    for _answer, check_cell in quick_questions(path):
        assert "BEGIN HIDDEN TESTS" not in check_cell.source
        assert re.fullmatch(r'# Checks your answer to “[^”\n]+”\.\n'
                            r'from syslead\.learner\.checks import check\n\ncheck\("\w+", "[a-z ]+"(, "[A-Z]+")?\)',
                            check_cell.source), check_cell.source


def test_the_package_ships_no_answer_digests():
    package = ROOT / "syslead"
    assert not (package / "learner" / "questions").exists()
    for path in package.rglob("*.py"):
        assert not re.search(r"\b[0-9a-f]{64}\b", path.read_text(encoding="utf-8")), path


# --- the self-paced copy ---------------------------------------------------------------------------


def test_an_instant_check_carries_the_answer_hint_and_explanation():
    source = ('from syslead.learner.checks import check\ncheck("levels", "whole number")\n'
              '### BEGIN HIDDEN TESTS\nfrom syslead.learner.checks import expect\n\n'
              'expect(3,\n       why="W.",\n       hint="H.")\n### END HIDDEN TESTS')
    out = instant_check_source(source)
    assert "HIDDEN" not in out and "expect" not in out
    assert read_check(out).answer == 3 and read_check(out).why == "W." and read_check(out).hint == "H."


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_the_self_paced_notebook_has_instant_checks_and_no_solution_or_mark_scheme(path):
    source = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(source)
    nb = self_paced(source)
    assert nbformat.writes(source) == before, "self_paced must not change the source notebook"
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Mark scheme", "expect(", '"nbgrader"'):
        assert marker not in text
    checks = [c for c in nb.cells if c.cell_type == "code" and "check(" in c.source and "import check" in c.source]
    assert len(checks) == len(quick_questions(path))
    for cell in checks:
        question = read_check(cell.source)
        assert question.why and (question.has_answer or question.kind in ("system table", "flows"))


# --- in a real kernel -------------------------------------------------------------------------------


def run_cells(sources: list[str]) -> list:
    """Run cells one after another in a fresh kernel; return each cell's outputs."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute(env=headless_kernel_env())
    return [c.outputs for c in nb.cells]


def release_cells(name: str) -> tuple[list[str], dict[str, str]]:
    """The code cells of a release notebook, and its answer and check cells by grade id."""
    nb = nbformat.read(str(ROOT / "release" / name / f"{name}.ipynb"), as_version=4)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata}
    return [c.source for c in nb.cells if c.cell_type == "code"], by_id


def one_line(outputs) -> str:
    """The single message a cell showed (a display, a stream or a one-line error)."""
    assert len(outputs) == 1, outputs
    (out,) = outputs
    if out.output_type == "error":
        assert len(out.traceback) == 1 and "Traceback" not in out.traceback[0], out.traceback
        return out.traceback[0]
    return out.get("text") or out.data["text/plain"]


@pytest.mark.slow
def test_in_a_kernel_every_mistake_gets_one_sentence_and_no_verdict_goes_stale():
    _, cell = release_cells("01-systems-leadership")
    imports = "from syslead.learner.checks import check"
    levels, absence = cell["answer-levels"].rstrip("\n") + "\n", cell["answer-absence"].rstrip("\n") + "\n"
    outs = run_cells([
        cell["check-levels"],                                        # 0 after a restart: nothing run yet
        imports + "\n" + "import syslead.learner",                   # 1 the reading's first cell
        levels + "3",                                                # 2
        cell["check-levels"],                                        # 3 recorded, once
        absence + "b) ",                                             # 4 no quotes needed, any case
        cell["check-absence"],                                       # 5
        "B",                                                         # 6 the first line deleted
        cell["check-absence"],                                       # 7
        levels + "1 + 2",                                            # 8 a calculation
        cell["check-levels"],                                        # 9
        imports + "\nspread_charts.picture(n=40)",                   # 10 a chart cell after a restart
        levels + "three",                                            # 11
        cell["check-levels"],                                        # 12 recorded, once
    ])
    assert "run the cells above first (Run → Run All Above)" in one_line(outs[0])
    assert outs[2] == [] and outs[4] == [] and outs[8] == [] and outs[11] == []
    assert one_line(outs[12]).startswith("Recorded: your answer is 3.") and "✓" not in one_line(outs[12])
    assert one_line(outs[5]).startswith("Recorded: your answer is 'B'.")
    assert "keep the first line of its answer cell" in one_line(outs[6])
    assert "has lost its first line, “# Your answer (absence_answer)" in one_line(outs[7])
    # re-running the answer cell (8) cleared cell 3's verdict
    assert one_line(outs[3]) == "Your answer above has changed: run this check again."
    assert "a number such as 7" in one_line(outs[9])
    assert "run the cells above first" in one_line(outs[10])


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_every_quick_question_behaves_the_same_in_a_kernel(name):
    """Each check cell of each release, as after a restart, then under its unanswered answer cell:
    one line each ("run the cells above first", then "No answer yet")."""
    _, cell = release_cells(name)
    sources, expected, seen = [], [], set()
    for gid in [g for g in cell if g.startswith("check-")]:
        variable = re.search(r'check\("(\w+)"', cell[gid]).group(1)
        answer_id = next(a for a in cell if a.startswith("answer-") and f"({variable})" in cell[a])
        sources += [cell[gid], cell[answer_id], cell[gid]]
        first = "No answer yet" if variable in seen else "run the cells above first (Run → Run All Above)"
        expected += [first, None, "No answer yet"]
        seen.add(variable)
    outs = run_cells(["import syslead.learner"] + sources)[1:]
    assert len(outs) == len(expected) >= 6
    for out, words in zip(outs, expected, strict=True):
        if words is None:  # the answer cell itself: no error
            assert all(o.output_type != "error" for o in out)
        else:
            assert words in one_line(out)


# --- the grader's preprocessor, in this process -----------------------------------------------------


def graded_with(answers: dict[str, str], strip_metadata: bool = False) -> dict[str, float]:
    """Reading 1's source (trusted check cells) with these answer cells, after its kernel 'printed ✓'
    in every check cell; the points nbgrader would give each check after PlainAnswers."""
    from nbgrader.utils import determine_grade

    from syslead.grading.answers import PlainAnswers

    nb = nbformat.read(str(SOURCES[0]), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
        if cell.cell_type == "code" and meta.get("grade"):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✓ Right\n")]
    if strip_metadata:  # the check cells keep theirs (nbgrader restores them); the answer cells lose it
        for cell in nb.cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                cell.metadata.pop("nbgrader", None)
    nb, _ = PlainAnswers().preprocess(nb, {})
    return {c.metadata.nbgrader.grade_id: determine_grade(c)[0] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") in ("check-levels", "check-absence")}


def test_the_kernels_output_never_decides_a_point():
    honest = {"answer-levels": "levels = 3", "answer-absence": 'absence_answer = "B"'}
    assert graded_with(honest) == {"check-levels": 1.0, "check-absence": 1.0}
    assert graded_with(honest, strip_metadata=True) == {"check-levels": 1.0, "check-absence": 1.0}
    forged = {"answer-levels": "class A:\n    def __eq__(s, o):\n        return True\nlevels = A()",
              "answer-absence": "absence_answer = None\ndef check(*a, **k):\n    print('✓ Right')"}
    assert graded_with(forged) == {"check-levels": 0, "check-absence": 0}
    assert graded_with({"answer-levels": "levels = 3\nwhile True:\n    pass",
                        "answer-absence": "absence_answer = 'B'"}) == {"check-levels": 1.0, "check-absence": 1.0}
    assert graded_with({"answer-levels": "levels = " + "[" * 5000 + "]" * 5000,
                        "answer-absence": "absence_answer = ("}) == {"check-levels": 0, "check-absence": 0}


@pytest.mark.slow
def test_a_self_paced_check_says_right_or_gives_the_hint_at_once_in_a_kernel():
    nb = self_paced(nbformat.read(str(SOURCES[0]), as_version=4))
    checks = {re.search(r'check\("(\w+)"', c.source).group(1): c.source for c in nb.cells
              if c.cell_type == "code" and "check(" in c.source and "answer=" in c.source}
    answers = {re.search(r"\((\w+)\)", c.source).group(1): c.source for c in nb.cells
               if c.cell_type == "code" and c.source.startswith("# Your answer (")}
    outs = run_cells(["import syslead.learner", answers["levels"] + "\n3", checks["levels"],
                      answers["absence_answer"] + "\nA", checks["absence_answer"], checks["absence_answer"]])
    assert one_line(outs[2]).startswith("✓ Right. 1 + 10 + 100 = 111")
    assert one_line(outs[4]).startswith("✗ Not right: you answered 'A'. Hint: In an organisation chart")
    assert "The answer is B: Figure 4" in one_line(outs[5])


def test_a_verdict_quotes_only_a_short_plain_answer():
    """nbgrader's feedback renders the verdict (the answer cell's comment) as markdown, HTML included: the
    learner's text is quoted back only when it is short and plain."""
    word = read_check('check("kind", "word")\n### BEGIN HIDDEN TESTS\nexpect("viral", why="W.")\n### END HIDDEN TESTS')
    letter = read_check('check("pick", "letter", "ABCD")\n### BEGIN HIDDEN TESTS\nexpect("B", why="W.")\n'
                        '### END HIDDEN TESTS')
    assert "you answered 'linear'" in grade(word, 'kind = "linear"').message
    assert "you answered 'viral'" in grade(word, 'kind = "Viral"').message
    assert "you gave 'E'" in grade(letter, 'pick = "E"').message
    for hostile in ('<img src=x onerror="alert(1)">', "<script>alert(1)</script>", "[x](javascript:alert(1))",
                    "a" * 41):
        for question, name in ((word, "kind"), (letter, "pick")):
            message = grade(question, f"{name} = {hostile!r}").message
            assert not grade(question, f"{name} = {hostile!r}").right
            assert "alert" not in message and "<" not in message and "a" * 41 not in message, message
            assert "\n" not in message and len(message) < 200
    assert "your answer is not it; the answer is 'viral'" in grade(word, 'kind = "a few words, <b>bold</b>"').message


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_check_cell_names_its_question_by_the_title_in_the_manifest(path):
    """nbgrader's Validate shows a failing check cell's source: its first line names the question by
    the title of its section in course.yml, so a learner knows which answer is missing."""
    from syslead.course import load_course

    course = load_course(ROOT / "course.yml")
    titles = {s.title for a in course.assignments if a.id == path.parent.name for s in a.sections}
    for _, check_cell in quick_questions(path):
        first = check_cell.source.splitlines()[0]
        title = re.fullmatch(r"# Checks your answer to “(.+)”\.", first)
        assert title and title.group(1) in titles, first


@pytest.mark.parametrize("path", RELEASES, ids=[p.parent.name for p in RELEASES])
def test_each_emptied_reflection_names_its_question_so_validate_says_which_is_missing(path):
    """nbgrader's Validate lists each unanswered reflection by its text: the release's stubs differ."""
    from syslead.learner.reflection import STUB

    nb = nbformat.read(str(path), as_version=4)
    stubs = [c.source for c in nb.cells if c.cell_type == "markdown" and _nbg(c, "solution")]
    assert len(stubs) >= 3 and len(set(stubs)) == len(stubs)
    for stub in stubs:
        assert stub.lstrip("*").startswith(STUB + ", for “Reflection "), stub
