"""The capstone: your own system as a small table of actors and relationships, drawn as a network.

A learner writes one relationship a line, in plain text (no programming)::

    my_system = system_table('''
    from | to | what passes between them | flow
    Director of adult services | Hospital discharge team | targets and funding | hierarchical
    Ward nurse | Care home manager | worries about a patient | viral
    ''')

- :func:`system_table` turns the text into a pandas table with the columns ``from``, ``to``, ``what`` and
  ``flow``. It never raises: a line it cannot read is kept as a *problem* that the check reports.
- The notebook's check cells are quick questions (``check("my_system", "system table")`` and
  ``check("my_system", "flows")`` from :mod:`syslead.learner.checks`), graded from the table's text as a
  plain value by :mod:`syslead.grading.answers` with :func:`table_problem` and :func:`flows_problem`.
  :func:`check` (``check("04-table", my_system)``, ``check("04-flows", my_system)``) says in one line
  whether the table is well-formed (:func:`check_table`) and whether every relationship says how
  information flows, hierarchically or virally (:func:`check_flows`). Like :func:`syslead.learner.checks.check`
  it raises :class:`syslead.learner.checks.NotYet` (one line, no traceback) when something is missing.
- :func:`draw_system` draws the table as a network: people higher up the lines of authority higher up,
  hierarchical links as solid arrows, viral links as dashed arrows; its alt text names every actor and
  link. :func:`who_connects` counts each actor's links and who would be cut off if they were away.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from syslead.learner.notyet import NotYet

#: The table's columns: who, with whom, what passes between them, and how information flows.
COLUMNS: tuple[str, ...] = ("from", "to", "what", "flow")

#: The two ways information can flow along a relationship (reading 1).
FLOWS: tuple[str, ...] = ("hierarchical", "viral")

#: A table needs at least this many relationships and actors to show a system rather than a few pairs.
MIN_RELATIONSHIPS = 5
MIN_ACTORS = 4

#: The line at the top of the learner's table, naming the columns (optional when parsing).
HEADER = "from | to | what passes between them | flow"

#: Words accepted for each flow (lowercase, without punctuation).
_FLOW_WORDS = {
    "hierarchical": "hierarchical", "hierarchically": "hierarchical", "hierarchy": "hierarchical",
    "viral": "viral", "virally": "viral",
}

#: A made-up example system (an early-help partnership); not anyone's real service.
EXAMPLE = """
from | to | what passes between them | flow
Director of children's services | Head of early help | priorities and budget | hierarchical
Head of early help | Family support team | caseload and procedures | hierarchical
Director of children's services | Head of social work | priorities and budget | hierarchical
Head of social work | Duty social worker | cases and decisions | hierarchical
Health visitor | Family support team | worries about a family | viral
School nurse | Health visitor | news about children | viral
Family support team | Duty social worker | advice on thresholds | viral
Parents' group | Family support team | what families need | viral
"""

_EMPTY_TABLE = ("No answer yet: write at least five relationships in your table, one a line (lines that "
                "start with # do not count), then run the table's cell and this check again.")


# ---------------------------------------------------------------------------------------------------
# From the learner's text to a table
# ---------------------------------------------------------------------------------------------------


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _quote(text: str, limit: int = 60) -> str:
    text = _clean(text)
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _flow(value: object) -> str:
    """A flow word in its canonical form ("hierarchical", "viral"), or the text as written."""
    text = _clean(value)
    key = re.sub(r"[^a-z ]", "", text.lower()).strip()
    return _FLOW_WORDS.get(key, text)


#: An arrow between who and with whom, in the plain form "Head of early help -> Schools: share referrals, viral".
_ARROW = re.compile(r"\s*(?:->|→|=>|-->)\s*")
_FLOW_AT_END = re.compile(r"^(?P<what>.*?)[\s,;(\[–-]+(?P<flow>hierarchical|hierarchically|hierarchy|viral|virally)[)\]]?\s*$",
                          re.I)


def _arrow_row(line: str) -> list[str]:
    """[who, with whom, what, flow] from a line written "who -> with whom: what passes, flow"."""
    who, rest = _ARROW.split(line, maxsplit=1)
    whom, _, what = rest.partition(":")
    flow = ""
    found = _FLOW_AT_END.match(what) or (_FLOW_AT_END.match(" " + whom) if not what else None)
    if found and what:
        what, flow = found.group("what"), found.group("flow")
    elif found:
        whom, flow = found.group("what"), found.group("flow")
    return [_clean(who), _clean(whom), _clean(what), _flow(flow)]


def _is_header(cells: list[str]) -> bool:
    return len(cells) >= 2 and cells[0].lower() in {"from", "who"} and cells[1].lower() in {"to", "with whom"}


def system_table(text: str | None = None) -> pd.DataFrame:
    """The relationships written one a line as ``who | with whom | what passes between them | flow``.

    Blank lines and lines that start with ``#`` are skipped, and so is the header line. ``flow`` may be
    left out (it is checked separately). Never raises: a line that cannot be read is left out of the
    table and described in ``table.attrs["problems"]``, which :func:`check_table` reports.
    """
    rows: list[list[str]] = []
    problems: list[str] = []
    for raw in ("" if text is None else str(text)).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.fullmatch(r"[|:\-\s]+", line):  # a markdown table's separator line
            continue
        if "|" not in line and _ARROW.search(line):
            rows.append(_arrow_row(line))
            continue
        cells = [_clean(c) for c in line.split("|")]
        if line.startswith("|"):
            cells = cells[1:]
        if line.endswith("|") and cells:
            cells = cells[:-1]
        if _is_header(cells):
            continue
        if len(cells) < 2 or len(cells) > len(COLUMNS):
            problems.append(
                f"The line {_quote(line)} has {len(cells)} part{'' if len(cells) == 1 else 's'}: write "
                f"who | with whom | what passes between them | flow, separated by |."
            )
            continue
        rows.append(cells + [""] * (len(COLUMNS) - len(cells)))
    table = _frame(rows)
    table.attrs["problems"] = problems
    return table


def _frame(rows: Iterable[Iterable[object]]) -> pd.DataFrame:
    table = pd.DataFrame([[_clean(v) for v in row] for row in rows], columns=list(COLUMNS), dtype=object)
    if len(table):
        table["flow"] = table["flow"].map(_flow)
    table.index = pd.RangeIndex(1, len(table) + 1)
    table.columns.name = "line"  # the header over the line numbers (an empty header confuses screen readers)
    return table


def example_system() -> pd.DataFrame:
    """A made-up example system (an early-help partnership), to show what a table and drawing look like."""
    return system_table(EXAMPLE)


def _as_table(value: object) -> tuple[pd.DataFrame | None, str | None]:
    """(table, None) for anything that can be read as a system table, else (None, one sentence)."""
    if value is None or value is Ellipsis:
        return None, _EMPTY_TABLE
    if isinstance(value, str):
        return system_table(value), None
    if isinstance(value, pd.DataFrame):
        names = {str(c).strip().lower(): c for c in value.columns}
        missing = [c for c in COLUMNS[:3] if c not in names]
        if missing:
            have = ", ".join(str(c) for c in value.columns) or "none"
            return None, (f"Your table needs the columns from, to and what (and flow); it lacks "
                          f"{', '.join(missing)} (it has: {have}): make it with system_table as in the cell above.")
        columns = [names.get(c) for c in COLUMNS]
        rows = [[row[c] if c is not None else "" for c in columns] for _, row in value.iterrows()]
        table = _frame(rows)
        table.attrs["problems"] = list(value.attrs.get("problems", []))
        return table, None
    if isinstance(value, list | tuple) and all(isinstance(r, list | tuple) for r in value):
        bad = [r for r in value if not 2 <= len(r) <= len(COLUMNS)]
        if bad:
            return None, (f"Each relationship should have 2 to 4 parts (who, with whom, what, flow); "
                          f"{_quote(str(bad[0]))} has {len(bad[0])}.")
        return _frame([list(r) + [""] * (len(COLUMNS) - len(r)) for r in value]), None
    return None, (f"Your system should be a table made with system_table(...) as in the cell above; you gave "
                  f"{type(value).__name__} {_quote(repr(value), 40)}.")


def _link(row) -> str:
    return f"“{row['from'] or '?'} → {row['to'] or '?'}”"


def actors(table: pd.DataFrame) -> list[str]:
    """The actors of a table, in the order they first appear."""
    seen: dict[str, None] = {}
    for _, row in table.iterrows():
        for name in (row["from"], row["to"]):
            if name:
                seen.setdefault(name, None)
    return list(seen)


def _same_names(table: pd.DataFrame) -> pd.DataFrame:
    """The table with each actor spelt as it first appears ("director" and "Director" are one actor)."""
    first: dict[str, str] = {}
    out = table.copy()
    for column in ("from", "to"):
        out[column] = [first.setdefault(v.lower(), v) if v else v for v in out[column]]
    return out


# ---------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------


def table_problem(value: object) -> str | None:
    """The first thing that keeps a system table from being well-formed, as one sentence (None if none)."""
    table, problem = _as_table(value)
    if problem:
        return problem
    if table.attrs.get("problems"):
        return table.attrs["problems"][0]
    if len(table) == 0:
        return _EMPTY_TABLE
    table = _same_names(table)
    for _, row in table.iterrows():
        if not row["from"] or not row["to"]:
            return (f"The relationship {_link(row)} is missing a name: write who | with whom | what passes "
                    f"between them on each line.")
        if row["from"].lower() == row["to"].lower():
            return (f"The relationship {_link(row)} links {row['from']} to themselves: name two different "
                    f"actors on each line.")
        if not row["what"]:
            return (f"The relationship {_link(row)} does not say what passes between them: add it after the "
                    f"second |, for example {row['from']} | {row['to']} | referrals.")
    pairs = table["from"].str.lower() + "\0" + table["to"].str.lower()
    twice = pairs[pairs.duplicated()]
    if len(twice):
        row = table.loc[twice.index[0]]
        return (f"Two lines describe {_link(row)}: put everything that passes from {row['from']} to "
                f"{row['to']} in one line.")
    example = {tuple(r) for r in example_system()[["from", "to", "what"]].itertuples(index=False)}
    for _, row in table.iterrows():
        if (row["from"], row["to"], row["what"]) in example:
            return (f"The line {_link(row)} is one of the examples: replace it with a relationship from your "
                    f"own system.")
    if len(table) < MIN_RELATIONSHIPS:
        return (f"Your table has {len(table)} relationship{'' if len(table) == 1 else 's'}: add at least "
                f"{MIN_RELATIONSHIPS}, so that it shows a system rather than a few pairs.")
    if len(actors(table)) < MIN_ACTORS:
        return (f"Your table names {len(actors(table))} actors: bring in at least {MIN_ACTORS} (a partner "
                f"agency, the community, the people the service is for).")
    return None


def check_table(table: object) -> str:
    """Say whether the system table is well-formed; raise NotYet with one sentence if it is not."""
    problem = table_problem(table)
    if problem:
        raise NotYet(problem)
    message = table_recorded(table)
    print(message)
    return message


def table_recorded(table: object) -> str:
    """What a well-formed system table gets: one sentence (the check here and the typed answer's check)."""
    found = _same_names(_as_table(table)[0])
    return (f"Recorded: your table is well-formed, {len(actors(found))} actors and {len(found)} relationships. "
            f"It counts when you submit the notebook.")


def flows_problem(value: object) -> str | None:
    """The first thing that keeps the flows from being marked, as one sentence (None if none)."""
    problem = table_problem(value)
    if problem:
        if problem.startswith("No answer yet"):
            return problem
        return f"First make your table pass the check above: {problem}"
    table, _ = _as_table(value)
    for _, row in table.iterrows():
        if not row["flow"]:
            return (f"The relationship {_link(row)} does not say how information flows: end its line with "
                    f"| hierarchical or | viral.")
        if row["flow"] not in FLOWS:
            return (f"The relationship {_link(row)} says the flow is {_quote(row['flow'], 30)}: write "
                    f"hierarchical or viral.")
    kinds = set(table["flow"])
    if kinds == {"hierarchical"}:
        return ("All your relationships are hierarchical: which of them carry information from person to "
                "person, outside the lines of authority? Mark at least one as viral.")
    if kinds == {"viral"}:
        return ("All your relationships are viral: which of them follow a line of authority (instructions, "
                "reporting, funding)? Mark at least one as hierarchical.")
    return None


def check_flows(table: object) -> str:
    """Say whether every relationship is marked hierarchical or viral, with at least one of each."""
    problem = flows_problem(table)
    if problem:
        raise NotYet(problem)
    message = flows_recorded(table)
    print(message)
    return message


def flows_recorded(table: object) -> str:
    """What a table whose flows are all marked gets: one sentence (the check here and the typed answer's check)."""
    counts = _as_table(table)[0]["flow"].value_counts()
    return (f"Recorded: you marked {counts['hierarchical']} relationships as hierarchical and {counts['viral']} as "
            f"viral. It counts when you submit the notebook.")


#: The capstone's auto-graded checks, by the id the notebook's check cells use.
CHECKS: dict[str, Callable[[object], str]] = {"04-table": check_table, "04-flows": check_flows}


def check(question_id: str, table: object) -> str:
    """The capstone's check cells: ``check("04-table", my_system)`` or ``check("04-flows", my_system)``."""
    if question_id not in CHECKS:
        raise NotYet(f"There is no check called {question_id!r}: use one of {', '.join(CHECKS)}.")
    return CHECKS[question_id](table)


# ---------------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------------


def _usable(value: object) -> pd.DataFrame:
    """The rows that can be drawn: two different, named actors (never raises)."""
    table, _ = _as_table(value)
    if table is None or len(table) == 0:
        return _frame([])
    table = _same_names(table)
    keep = (table["from"] != "") & (table["to"] != "") & (table["from"].str.lower() != table["to"].str.lower())
    return table[keep]


def _components(names: list[str], edges: list[tuple[str, str]]) -> list[set[str]]:
    """Groups of actors joined by relationships (in either direction)."""
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for n in names:
        groups.setdefault(root(n), set()).add(n)
    return sorted(groups.values(), key=lambda g: (-len(g), min(names.index(n) for n in g)))


def who_connects(table: object) -> pd.DataFrame:
    """Each actor's links (all, hierarchical, viral) and how many others would be cut off if they were away.

    "Cut off if away" counts the other actors of this actor's connected group who, with this one absent,
    are no longer joined by any relationship to the largest part of what is left of that group (reading
    1's single point of failure). Never raises.
    """
    columns = ["links", "hierarchical", "viral", "cut off if away"]
    usable = _usable(table)
    names = actors(usable)
    if not names:
        return _named(pd.DataFrame(columns=columns, index=pd.Index([]), dtype=int), "actor")
    edges = list(zip(usable["from"], usable["to"], strict=True))
    groups = _components(names, edges)
    rows = []
    for name in names:
        mine = usable[(usable["from"] == name) | (usable["to"] == name)]
        group = next(g for g in groups if name in g)
        rest = [n for n in names if n != name and n in group]
        split = _components(rest, [(a, b) for a, b in edges if name not in (a, b) and a in group]) if rest else [set()]
        rows.append([len(mine), int((mine["flow"] == "hierarchical").sum()), int((mine["flow"] == "viral").sum()),
                     len(rest) - len(split[0])])
    out = pd.DataFrame(rows, columns=columns, index=pd.Index(names))
    return _named(out.sort_values(["links", "cut off if away"], ascending=False, kind="stable"), "actor")


def single_point_of_failure(table: object, name: str = "the example") -> str:
    """In one sentence: the actor whose absence would cut off the most others (from :func:`who_connects`),
    how many links they have, and how many actors have no hierarchical link at all."""
    links = who_connects(table)
    if not len(links):
        return "No actors yet: once your table has relationships, this says who holds it together."
    hub = links["cut off if away"].idxmax()
    return (
        f"In {name}, {hub} links to {links.loc[hub, 'links']} others ({links.loc[hub, 'viral']} of them "
        f"viral); if {hub} were away, {links.loc[hub, 'cut off if away']} actors would lose every route to the "
        f"rest of the partnership. {int((links['hierarchical'] == 0).sum())} actors have no hierarchical link "
        f"at all."
    )


def _named(table: pd.DataFrame, rows: str) -> pd.DataFrame:
    """Name the column of row labels in the table's one header row (not in a second, mostly empty one)."""
    table.columns.name = rows
    return table


def _levels(names: list[str], down: list[tuple[str, str]]) -> dict[str, int]:
    """Rows of the drawing: 0 for the top of each line of authority, one more for each step down."""
    level = {n: 0 for n in names}
    for _ in range(len(names)):  # longest path; a loop in the lines of authority stops after n rounds
        changed = False
        for a, b in down:
            if level[b] < level[a] + 1 <= len(names):
                level[b] = level[a] + 1
                changed = True
        if not changed:
            break
    return level


def layout(table: object) -> dict[str, tuple[float, float]]:
    """Where each actor is drawn: rows by level of authority (actors with no hierarchical link in a row of
    their own at the bottom), or a circle when no relationship is marked hierarchical."""
    usable = _usable(table)
    names = actors(usable)
    down = [(a, b) for a, b, f in zip(usable["from"], usable["to"], usable["flow"], strict=True)
            if f == "hierarchical"]
    if not down:
        angles = np.pi / 2 - 2 * np.pi * np.arange(len(names)) / max(len(names), 1)
        return {n: (float(np.cos(t)), float(np.sin(t))) for n, t in zip(names, angles, strict=True)}
    in_line = {n for edge in down for n in edge}
    level = _levels([n for n in names if n in in_line], down)
    bottom = max(level.values()) + 1
    rows: dict[int, list[str]] = {}
    for n in names:
        rows.setdefault(level.get(n, bottom), []).append(n)
    neighbours: dict[str, list[str]] = {n: [] for n in names}
    for a, b in zip(usable["from"], usable["to"], strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    widest = max(len(r) for r in rows.values())
    pos: dict[str, tuple[float, float]] = {}
    for depth in sorted(rows):
        row = rows[depth]
        placed = [(np.mean([pos[m][0] for m in neighbours[n] if m in pos]) if any(m in pos for m in neighbours[n])
                   else i, i, n) for i, n in enumerate(row)]
        row = [n for _, _, n in sorted(placed)]
        xs = np.linspace(0, widest - 1, len(row)) if len(row) > 1 else [(widest - 1) / 2]
        for x, n in zip(xs, row, strict=True):
            pos[n] = (float(x), float(-depth))
    return pos


def _describe_links(table: pd.DataFrame, limit: int = 30) -> str:
    parts = []
    kinds = [("hierarchical", "Hierarchical links (solid arrows)"), ("viral", "Viral links (dashed arrows)"),
             ("", "Links not yet marked hierarchical or viral (dotted)")]
    listed = 0
    for flow, label in kinds:
        rows = table[table["flow"] == flow] if flow else table[~table["flow"].isin(FLOWS)]
        if not len(rows):
            continue
        links = []
        for _, row in rows.iterrows():
            if listed < limit:
                links.append(f"{row['from']} to {row['to']}" + (f" ({row['what']})" if row["what"] else ""))
            listed += 1
        more = len(rows) - len(links)
        parts.append(f"{label}, {len(rows)}: " + "; ".join(links) + (f"; and {more} more" if more else "") + ".")
    return " ".join(parts)


#: How far an arrow may bend (matplotlib's arc3 "rad") to pass around a box in its way, in order of preference.
BENDS = (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5, 0.7, -0.7)


def _crossed(arrow, boxes: dict, ends: tuple[str, str], renderer) -> int:
    """How many actors' boxes (other than its two ends) an arrow passes through on the page."""
    from matplotlib.path import Path

    patch = arrow.arrow_patch
    path = patch.get_transform().transform_path(patch.get_path())
    pieces = [Path(polygon) for polygon in path.to_polygons(closed_only=False)]
    count = 0
    for name, text in boxes.items():
        if name in ends:
            continue
        box = text.get_bbox_patch().get_window_extent(renderer).padded(3)
        count += any(piece.intersects_bbox(box, filled=False) for piece in pieces)
    return count


def _route_around_boxes(fig, arrows, boxes: dict) -> None:
    """Bend each arrow that would pass through another actor's box until it passes around every box (or
    through as few as it can), so that no arrow reads as a link to an actor it does not touch."""
    fig.canvas.draw()  # lay out the boxes, so that their size on the page is known
    renderer = fig.canvas.get_renderer()
    for arrow, bend, a, b in arrows:
        if not _crossed(arrow, boxes, (a, b), renderer):
            continue
        best, fewest = bend, None
        for rad in sorted(BENDS, key=lambda r: abs(r - bend)):
            arrow.arrow_patch.set_connectionstyle(f"arc3,rad={rad}")
            crossed = _crossed(arrow, boxes, (a, b), renderer)
            if fewest is None or crossed < fewest:
                best, fewest = rad, crossed
            if crossed == 0:
                break
        arrow.arrow_patch.set_connectionstyle(f"arc3,rad={best}")


def draw_system(table: object, title: str = "your system"):
    """A drawing of the system as a network, returned as a :class:`syslead.charts.base.Chart` with alt text.

    Each actor is a box; hierarchical links are solid arrows, viral links dashed arrows, links without a
    flow yet dotted grey. People higher up the lines of authority are drawn higher. An empty or unreadable
    table gives a drawing that says so, never an error.
    """
    from matplotlib.lines import Line2D

    from syslead.charts import style
    from syslead.charts.base import figure, render

    usable = _usable(table)
    names = actors(usable)
    if not names:
        fig, ax = figure()
        fig.set_size_inches(fig.get_size_inches()[0], 1.6)
        message = ("No drawing yet: your table has no relationships. Once it has, each actor appears here as "
                   "a box, with hierarchical links as solid arrows and viral links as dashed arrows.")
        ax.text(0.5, 0.5, textwrap.fill(message, 60), ha="center", va="center", fontsize=11, color="#333333",
                transform=ax.transAxes)
        ax.set_axis_off()
        return render(fig, message, data=usable)

    pos = layout(usable)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    width = max(xs) - min(xs) + 1
    height = max(ys) - min(ys) + 1
    circle = not (usable["flow"] == "hierarchical").any()
    fig, ax = figure()
    w, h = fig.get_size_inches()
    if circle:
        fig.set_size_inches(max(w, 8.5), max(h, 0.35 * len(names) + 3.5))
    else:
        fig.set_size_inches(max(w, 1.6 * width + 3.5), max(h, 1.2 * height + 1.0))
    wrap = 16 if width <= 5 else 12
    boxes = {}
    for name, (x, y) in pos.items():
        boxes[name] = ax.text(x, y, textwrap.fill(name, wrap), ha="center", va="center", fontsize=9, zorder=3,
                              bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "#333333",
                                    "linewidth": 1.0})
    styles = {
        "hierarchical": {"color": style.HIERARCHY, "linestyle": "-", "linewidth": 1.8},
        "viral": {"color": style.NETWORK, "linestyle": "--", "linewidth": 1.6},
        "": {"color": "#777777", "linestyle": ":", "linewidth": 1.4},
    }
    pad_x, pad_y = (0.9, 0.6) if not circle else (0.5, 0.35)
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_axis_off()
    arrows = []
    for _, row in usable.iterrows():
        kind = row["flow"] if row["flow"] in FLOWS else ""
        s = styles[kind]
        bend = 0.0 if kind == "hierarchical" else 0.2
        arrow = ax.annotate("", xy=pos[row["to"]], xytext=pos[row["from"]], zorder=2,
                            arrowprops={"arrowstyle": "-|>", "mutation_scale": 14, "color": s["color"],
                                        "linestyle": s["linestyle"], "linewidth": s["linewidth"],
                                        "shrinkA": 2, "shrinkB": 2, "connectionstyle": f"arc3,rad={bend}",
                                        "patchA": boxes[row["from"]].get_bbox_patch(),
                                        "patchB": boxes[row["to"]].get_bbox_patch()})
        arrows.append((arrow, bend, row["from"], row["to"]))
    handles = [Line2D([], [], label=f"{k} (solid)" if k == "hierarchical" else f"{k} (dashed)", **styles[k])
               for k in FLOWS if (usable["flow"] == k).any()]
    if (~usable["flow"].isin(FLOWS)).any():
        handles.append(Line2D([], [], label="not marked yet (dotted)", **styles[""]))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="how information flows",
              alignment="left")
    ax.set_title(title, loc="left")
    _route_around_boxes(fig, arrows, boxes)
    where = ("Actors are placed around a circle, because no link is marked hierarchical yet." if circle else
             "People higher up the lines of authority are drawn higher; actors with no hierarchical link are "
             "in the bottom row.")
    alt = (f"Network drawing of {title}: {len(names)} actors ({', '.join(names)}) and "
           f"{len(usable)} relationships, drawn as arrows from who to whom. {where} {_describe_links(usable)}")
    with warnings.catch_warnings():  # a name in a script the font lacks shows as boxes; the alt text has it
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return render(fig, alt, data=usable)
