"""The tutor's report reads limits and blocks from a graded notebook's outputs (syslead.grading.report)."""

import nbformat

from syslead.grading import report as hostile


def graded(*outputs) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "answer-one", "solution": True}})
    cell.outputs = list(outputs)
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)"), cell])


def test_a_process_limit_is_reported_when_the_answer_cells_message_was_replaced_by_one_sentence():
    # what syslead.grading.answers leaves of "BlockingIOError: [Errno 11] Resource temporarily unavailable"
    out = nbformat.v4.new_output("error", ename="BlockingIOError", traceback=["✗ ..."],
                                 evalue="This cell stopped with an error (BlockingIOError): run it again to see the message.")
    rows = hostile._outputs("eve", "nb", graded(out))
    assert [(r.kind, r.detail) for r in rows] == [("limit", "answer-one: process limit hit")]


def test_the_message_itself_is_read_too_and_an_ordinary_error_is_not_a_limit():
    stream = nbformat.v4.new_output("stream", name="stderr", text="OSError: [Errno 11] Resource temporarily unavailable\n")
    assert [r.kind for r in hostile._outputs("eve", "nb", graded(stream))] == ["limit"]
    plain = nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])
    assert hostile._outputs("eve", "nb", graded(plain)) == []
