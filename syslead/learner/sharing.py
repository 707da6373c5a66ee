"""Reflection circles, the learner's side: the opt-in under a reflection, the reply form, plain text.

A **reflection circle** is three or four learners of a cohort who each share one reflection and answer
the others'. The protocol is adapted from *Troika Consulting*, one of the Liberating Structures of
Henri Lipmanowicz and Keith McCandless (*The Surprising Power of Liberating Structures*, 2013): one
person brings a challenge, two or three peers ask and suggest while the person listens, and the person
then says what was most useful. Written and unhurried here, each reply has three parts (:data:`PARTS`).

Everything a learner writes is plain text in a Markdown cell, so nothing here can stop *Run All*:

- the **opt-in cell** under each reflection (cell metadata ``{"syslead": {"share": "<reflection id>"}}``)
  says whether to share that reflection, the name the circle sees (blank: the first name) and,
  optionally, the help the learner would like;
- a **reply cell** in a circle notebook (``{"syslead": {"reply_to": "<token>"}}``) holds one reply.

The tutor's side (forming circles, releasing them through nbgrader's exchange, returning the replies) is
:mod:`syslead.tutor.circles`; the self-paced learner's printable conversation guide is
:func:`conversation_guide`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import mistune

#: The three parts of a reply: (label the learner sees, key).
PARTS = (
    ("What I noticed", "noticed"),
    ("A question I would ask you", "question"),
    ("Something I would try in my own service", "try"),
)
PRACTICE = ("Troika Consulting, one of the Liberating Structures (Henri Lipmanowicz and Keith McCandless, "
            "The Surprising Power of Liberating Structures, 2013)")

SHARE_QUESTION = "Share with your reflection circle?"
NAME_QUESTION = "Name your circle sees"
HELP_QUESTION = "Help you would like"

#: What each reading's Reflections section says once, above the reflections (the opt-in cells are short).
OPT_IN_NOTE = ("Under each reflection you may share it with a small circle of learners of your cohort after the "
               "deadline: change *no* to *yes*. Nothing is shared otherwise ([how circles work](../../docs/circles.md)).")

#: The text of a fresh opt-in cell (the notebooks carry it under each reflection).
OPT_IN_TEXT = (
    f"**{SHARE_QUESTION}** no\n\n"
    f"**{NAME_QUESTION}** (blank: first name):\n\n"
    f"**{HELP_QUESTION}** (optional):"
)

YES = {"yes", "y", "yes please", "share", "ok", "okay", "sure", "oui", "ja", "si", "sí"}
MAX_NAME = 40


@dataclass(frozen=True)
class OptIn:
    reflection: str  # the reflection's grade id
    share: bool
    name: str  # the name the learner asked for ("" = their first name)
    help: str  # the help they would like ("" = none said)


def _meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    own = meta.get("syslead") if isinstance(meta, dict) else None
    return own if isinstance(own, dict) else {}


def form_cells(nb, key: str):
    """(reflection id, Markdown source) of each form cell marked ``syslead.KEY: REFLECTION`` in a notebook (a
    dict, as read by nbformat or json): the circle opt-ins ("share") and the self-assessments."""
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        reflection = _meta(cell).get(key)
        if not isinstance(reflection, str) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        yield reflection, "".join(source) if isinstance(source, list) else str(source)


def _after(source: str, question: str) -> str:
    """What the learner wrote after a bold question, up to the next bold question or the note in italics."""
    plain = source.replace("\r\n", "\n")
    at = plain.lower().find(question.lower().rstrip("?"))
    if at < 0:
        return ""
    rest = plain[at + len(question.rstrip("?")):]
    rest = re.sub(r"^\s*\?", "", rest)
    rest = re.sub(r"^\s*\*\*", "", rest)
    rest = re.sub(r"^\s*\((blank|leave blank|optional)[^)]*\)\s*:?", "", rest.strip(), flags=re.I)
    rest = re.split(r"\n\s*\*\*", rest, maxsplit=1)[0]
    return rest.strip().lstrip(" :*_").rstrip()


def opt_ins(nb) -> dict[str, OptIn]:
    """reflection id -> the learner's choice, for each opt-in cell of a notebook (a cell edited into
    something unreadable counts as "no": nothing is shared by mistake)."""
    found = {}
    for reflection, source in form_cells(nb, "share"):
        answer = _after(source, SHARE_QUESTION).lower()
        first = re.split(r"[\s.,;:!]+", answer.strip(), maxsplit=1)[0] if answer.strip() else ""
        share = answer.strip(" .!") in YES or first in YES
        name = plain_text(_after(source, NAME_QUESTION)).replace("\n", " ").strip()[:MAX_NAME]
        found[reflection] = OptIn(reflection, share, name, plain_text(_after(source, HELP_QUESTION))[:500])
    return found


def opt_in_cell(reflection: str):
    """A fresh opt-in cell for the reflection whose grade id is ``reflection``."""
    import nbformat

    return nbformat.v4.new_markdown_cell(OPT_IN_TEXT, metadata={"syslead": {"share": reflection}})


# --- replies -------------------------------------------------------------------------------------------

REPLY_HINT = "Your reply to {name}: double-click this box to write in it"


def reply_template(name: str = "the writer") -> str:
    hint = "*" + REPLY_HINT.format(name=name) + ".*\n\n"
    return hint + "\n\n".join(f"**{label}:** " for label, _ in PARTS) + "\n"


def read_reply(source: str) -> dict[str, str]:
    """The three parts of a reply cell, as plain text ({} when the learner wrote nothing)."""
    text = "\n".join(line for line in source.replace("\r\n", "\n").split("\n")
                     if not re.match(r"^\s*\*Your reply to .*double-click", line))
    labels = [label for label, _ in PARTS]
    found: dict[str, str] = {}
    for i, (label, key) in enumerate(PARTS):
        at = text.find(label)
        if at < 0:
            continue
        rest = text[at + len(label):]
        ends = [rest.find(other) for other in labels[i + 1:] if rest.find(other) >= 0]
        rest = rest[:min(ends)] if ends else rest
        value = plain_text(rest.strip().lstrip(":*").strip(" *_\n")).strip()
        if value:
            found[key] = value
    if not found:  # a reply written without the labels is still a reply
        loose = plain_text(text).strip()
        for label in labels:
            loose = loose.replace(label + ":", "").strip()
        if loose:
            found["noticed"] = loose
    return found


# --- learner text as plain text ------------------------------------------------------------------------

_markdown = mistune.create_markdown(renderer=None)


def _walk_text(tokens, out: list[str]) -> None:
    for token in tokens or []:
        kind = token.get("type")
        if kind in ("image", "block_html", "inline_html"):
            continue  # no pictures or markup from one learner reach another learner's screen
        if kind in ("text", "codespan"):
            out.append(token.get("raw", ""))
        elif kind in ("softbreak", "linebreak"):
            out.append("\n")
        elif kind == "block_code":
            out.append(token.get("raw", "") + "\n")
        if "children" in token:
            _walk_text(token["children"], out)
        if kind in ("paragraph", "heading", "block_code", "list_item", "block_quote"):
            out.append("\n\n")


def plain_text(markdown_text: str) -> str:
    """A learner's Markdown as plain text: words kept, links reduced to their words, pictures and HTML
    left out (what one learner wrote never loads or runs anything on another's screen)."""
    out: list[str] = []
    _walk_text(_markdown(markdown_text or ""), out)
    text = "".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def as_quote(text: str) -> str:
    """Plain text as a Markdown block quote that renders as the same words (HTML and Markdown escaped)."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"([\\`*_{}\[\]()#+!|>~-])", r"\\\1", escaped)
    return "\n".join("> " + line if line.strip() else ">" for line in escaped.split("\n"))


# --- with no cohort: a conversation guide -------------------------------------------------------------

def conversation_guide(reflection_text: str, title: str = "", help_wanted: str = "") -> str:
    """A printable page (HTML) to take to a colleague: the learner's own reflection and the circle's
    protocol as a 20-minute conversation, for a learner with no cohort."""
    return conversation_guides([(title, reflection_text, help_wanted, "")])


def conversation_guides(reflections: list[tuple[str, str, str, str]]) -> str:
    """One printable page of conversation guides, one for each (title, text, help wanted, anchor id)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("syslead.learner", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    items = [{"title": title, "reflection": plain_text(text), "help": help_wanted, "id": anchor}
             for title, text, help_wanted, anchor in reflections]
    return env.get_template("conversation-guide.html.j2").render(items=items, parts=PARTS, practice=PRACTICE)
