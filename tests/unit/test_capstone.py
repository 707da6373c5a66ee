"""The capstone's package code: the learner's table, its two checks, the network drawing, who connects."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from syslead import charts
from syslead.charts import base as chart_base
from syslead.charts import style
from syslead.learner import capstone
from syslead.learner.capstone import (
    check,
    check_flows,
    check_table,
    draw_system,
    example_system,
    layout,
    system_table,
    who_connects,
)
from syslead.learner.checks import NotYet

MINE = """
from | to | what passes between them | flow
Director of adult social care | Discharge lead | targets and funding | hierarchical
Discharge lead | Ward coordinators | the daily list | hierarchical
Discharge lead | Me (reablement manager) | referrals | hierarchical
Me (reablement manager) | Reablement workers | rotas | hierarchical
Ward coordinators | Reablement workers | who is nearly ready | viral
Reablement workers | Care homes | spare places | viral
"""

NOTEBOOK = ROOT / "source" / "04-leading-your-system" / "04-leading-your-system.ipynb"
RELEASE = ROOT / "release" / "04-leading-your-system" / "04-leading-your-system.ipynb"


def message(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and text.endswith((".", "?")), text  # one plain line
    return text


# --- reading the learner's text --------------------------------------------------------------------


def test_does_system_table_read_one_relationship_a_line():
    table = system_table(MINE)
    assert list(table.columns) == ["from", "to", "what", "flow"]
    assert len(table) == 6 and table.attrs["problems"] == []
    assert table.iloc[0].tolist() == ["Director of adult social care", "Discharge lead", "targets and funding",
                                      "hierarchical"]


def test_does_system_table_skip_comments_blank_lines_and_markdown_table_marks():
    text = """
    | from | to | what | flow |
    |---|---|---|---|
    # an example that does not count | A | b | viral

    | A  |   B | advice |  Viral |
    C | D | news
    """
    table = system_table(text)
    assert table[["from", "to"]].values.tolist() == [["A", "B"], ["C", "D"]]
    assert table["flow"].tolist() == ["viral", ""]  # "Viral" read as viral; a missing flow left blank


def test_does_a_line_with_the_wrong_number_of_parts_become_a_problem_not_an_error():
    table = system_table("A | B | c | viral | extra\nJust a name\nC | D | e | viral")
    assert len(table) == 1
    assert len(table.attrs["problems"]) == 2
    assert "has 5 parts" in table.attrs["problems"][0] and "has 1 part:" in table.attrs["problems"][1]


@pytest.mark.parametrize("text", [None, "", "   ", 42, "|||", "#", "a|b|c|d|e|f|g"])
def test_does_system_table_never_raise(text):
    assert isinstance(system_table(text), pd.DataFrame)


# --- the first check: a well-formed table ----------------------------------------------------------


def test_is_a_well_formed_table_recorded_without_a_tick(capsys):
    out = check_table(system_table(MINE))
    assert out.startswith("Recorded:") and "6 actors and 6 relationships" in out
    assert capsys.readouterr().out.strip() == out


@pytest.mark.parametrize("value, expected", [
    (None, "No answer yet"),
    (system_table("from | to | what passes between them | flow\n# A | B | c | viral\n"), "No answer yet"),
    (system_table(MINE.replace("| the daily list |", "| |")), "does not say what passes"),
    (system_table(MINE + "Care homes | care homes | gossip | viral"), "to themselves"),
    (system_table(MINE + "Discharge lead | Ward coordinators | more lists | hierarchical"), "Two lines describe"),
    (system_table("\n".join(MINE.strip().splitlines()[:4])), "add at least 5"),
    (system_table("A | B | x | viral\nB | A | y | viral\nA | C | z | viral\nC | A | w | viral\nB | C | v | viral"),
     "at least 4"),
    (system_table(MINE + "Health visitor | Family support team | worries about a family | viral"),
     "one of the examples"),
    (system_table(MINE + "A | B | c | d | e"), "has 5 parts"),
    (pd.DataFrame({"who": ["A"], "whom": ["B"]}), "needs the columns"),
    (3.5, "should be a table made with system_table"),
    ([("A", "B", "c", "viral", "x", "y")], "2 to 4 parts"),
])
def test_does_a_malformed_table_get_one_sentence_that_says_what_to_do(value, expected):
    with pytest.raises(NotYet) as error:
        check_table(value)
    assert expected in message(error)


def test_is_an_actor_spelt_with_other_capitals_the_same_actor():
    table = system_table(MINE + "care homes | Director of Adult Social Care | complaints | hierarchical")
    assert "6 actors" in check_table(table)


def test_are_a_string_a_list_of_rows_and_a_hand_made_dataframe_read_too():
    rows = [tuple(line.split(" | ")) for line in MINE.strip().splitlines()[1:]]
    frame = pd.DataFrame(rows, columns=["From", "To", "What", "Flow"])
    for value in (MINE, rows, frame):
        assert check_table(value).startswith("Recorded:")


# --- the second check: every relationship hierarchical or viral ------------------------------------


def test_do_marked_flows_pass_with_a_count():
    out = check_flows(system_table(MINE))
    assert out.startswith("Recorded:") and "4 relationships as hierarchical and 2 as viral" in out


@pytest.mark.parametrize("change, expected", [
    (lambda t: t.replace("| rotas | hierarchical", "| rotas |"), "does not say how information flows"),
    (lambda t: t.replace("| rotas | hierarchical", "| rotas | downwards"), "“downwards”: write hierarchical or viral"),
    (lambda t: t.replace("viral", "hierarchical"), "All your relationships are hierarchical"),
    (lambda t: t.replace("hierarchical", "viral"), "All your relationships are viral"),
    (lambda t: t.replace("| the daily list |", "| |"), "First make your table pass the check above"),
    (lambda t: "from | to | what passes between them | flow\n", "No answer yet"),
])
def test_does_a_missing_or_wrong_flow_get_one_sentence(change, expected):
    with pytest.raises(NotYet) as error:
        check_flows(system_table(change(MINE)))
    assert expected in message(error)


def test_do_the_check_cells_ids_reach_the_right_checks():
    assert check("04-table", MINE).startswith("Recorded: your table")
    assert check("04-flows", MINE).startswith("Recorded: you marked")
    with pytest.raises(NotYet) as error:
        check("04-tabel", MINE)
    assert "04-table" in message(error)


def test_does_a_failed_check_show_one_line_not_a_traceback():
    with pytest.raises(NotYet) as error:
        check("04-table", None)
    assert error.value._render_traceback_() == [f"✗ {error.value}"]


# --- the notebook's answer cell -------------------------------------------------------------------


def _answer_cell(path):
    nb = nbformat.read(str(path), as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer-system")


def _run(source: str):
    """What the answer cell gives my_system: the text typed under its first line, read, never run."""
    from syslead.learner.checks import answer_value

    return answer_value(source, "my_system", "system table")


def test_does_the_release_start_with_an_empty_table_that_fails_both_checks_as_unanswered():
    start = _run(_answer_cell(RELEASE))
    for question in ("04-table", "04-flows"):
        with pytest.raises(NotYet) as error:
            check(question, start)
        assert message(error).startswith("No answer yet")


def test_does_a_learner_who_only_uncomments_the_examples_hear_that_they_are_examples():
    source = _answer_cell(RELEASE)
    examples = [line for line in source.splitlines()[1:] if line.startswith("# ") and line.count("|") == 3]
    assert len(examples) == 2
    uncommented = source
    for line in examples:
        uncommented = uncommented.replace(line, line[2:])
    with pytest.raises(NotYet) as error:
        check("04-table", _run(uncommented))
    assert "one of the examples" in message(error)


def test_does_the_sources_model_answer_pass_both_checks():
    answer = _run(_answer_cell(NOTEBOOK))
    assert check("04-table", answer).startswith("Recorded:") and check("04-flows", answer).startswith("Recorded:")


# --- the drawing ------------------------------------------------------------------------------------


def test_does_the_alt_text_name_every_actor_and_every_link():
    table = system_table(MINE)
    chart = draw_system(table)
    assert isinstance(chart, charts.Chart) and chart.png.startswith(b"\x89PNG")
    for name in capstone.actors(table):
        assert name in chart.alt
    for _, row in table.iterrows():
        assert f"{row['from']} to {row['to']} ({row['what']})" in chart.alt
    assert "Hierarchical links (solid arrows), 4" in chart.alt and "Viral links (dashed arrows), 2" in chart.alt


def test_are_hierarchical_and_viral_links_told_apart_by_line_style_not_only_colour(monkeypatch):
    drawn = {}

    def keep(fig, alt, data=None):
        drawn["fig"] = fig
        return charts.Chart(b"", alt, data)

    monkeypatch.setattr(chart_base, "render", keep)
    draw_system(system_table(MINE))
    arrows = [t.arrow_patch for t in drawn["fig"].axes[0].texts if getattr(t, "arrow_patch", None)]
    assert len(arrows) == 6
    kinds = {(tuple(np.round(a.get_edgecolor()[:3], 3)), a.get_linestyle()) for a in arrows}
    solid = tuple(np.round(np.array(chart_base.plt.matplotlib.colors.to_rgb(style.HIERARCHY)), 3))
    dashed = tuple(np.round(np.array(chart_base.plt.matplotlib.colors.to_rgb(style.NETWORK)), 3))
    assert kinds == {(solid, "-"), (dashed, "--")}
    chart_base.plt.close(drawn["fig"])


@pytest.mark.parametrize("value", [
    None, 7, "not a table at all", "", pd.DataFrame(),
    pd.DataFrame({"from": ["A", None, "C"], "to": ["B", "B", np.nan], "what": ["x", "y", "z"]}),
    system_table("A | A | itself | viral\nA | B | x | viral\nA | B | x | viral"),
    system_table("A | B | x | hierarchical\nB | C | y | hierarchical\nC | A | z | hierarchical"),  # a loop
    system_table("\n".join(f"Person {i} | Person {(i * 7) % 60} | news | viral" for i in range(1, 60))),
    system_table("Directeur général des services départementaux de la Seine-Saint-Denis | 子ども家庭支援センター | 情報 | hierarchical"),
])
def test_does_draw_system_always_give_a_chart_with_alt_text(value):
    chart = draw_system(value)
    assert isinstance(chart, charts.Chart) and len(chart.alt) > 40


def test_does_an_empty_table_give_a_drawing_that_says_so():
    assert draw_system(system_table("")).alt.startswith("No drawing yet")


def test_are_people_higher_up_the_lines_of_authority_drawn_higher():
    pos = layout(system_table(MINE))
    assert pos["Director of adult social care"][1] > pos["Discharge lead"][1] > pos["Ward coordinators"][1]
    assert pos["Me (reablement manager)"][1] > pos["Reablement workers"][1]
    assert pos["Care homes"][1] == min(y for _, y in pos.values())  # no hierarchical link: the bottom row


def test_does_a_loop_in_the_lines_of_authority_still_end():
    pos = layout(system_table("A | B | x | hierarchical\nB | C | y | hierarchical\nC | A | z | hierarchical"))
    assert set(pos) == {"A", "B", "C"}


def test_does_who_connects_count_links_and_who_is_cut_off():
    table = system_table("Hub | A | x | hierarchical\nHub | B | x | hierarchical\nHub | C | x | viral\n"
                         "C | D | y | viral\nE | F | z | viral")
    counts = who_connects(table)
    assert counts.loc["Hub"].tolist() == [3, 2, 1, 2]  # without the hub, A and B lose their only route to C-D
    assert counts.loc["C", "cut off if away"] == 1  # D
    assert counts.loc["A", "cut off if away"] == 0
    assert counts.loc["E", "cut off if away"] == 0  # F has nobody else in its group to be cut off from
    assert counts.index[0] == "Hub"


def test_does_who_connects_give_an_empty_table_for_an_empty_system():
    assert who_connects(None).empty and list(who_connects("").columns)[-1] == "cut off if away"


def test_is_the_example_system_a_well_formed_system_with_both_flows():
    example = example_system()
    assert capstone.table_problem(example) == f"The line {capstone._link(example.iloc[0])} is one of the examples: " \
                                               f"replace it with a relationship from your own system."
    assert set(example["flow"]) == {"hierarchical", "viral"}
    assert re.search(r"made.up|not anyone", capstone.__doc__ + capstone.EXAMPLE + str(capstone.example_system.__doc__))


def test_can_a_relationship_be_written_with_an_arrow_in_plain_words():
    table = system_table("Head of early help -> Schools: share referrals, viral\n"
                         "Director → Head of early help: priorities and budget (hierarchical)\n"
                         "Health visitor -> Family support team")
    assert table.values.tolist() == [
        ["Head of early help", "Schools", "share referrals", "viral"],
        ["Director", "Head of early help", "priorities and budget", "hierarchical"],
        ["Health visitor", "Family support team", "", ""],
    ]
    assert table.attrs["problems"] == []
