"""Self-assessment first: the learner places their own reflection on Kember's four levels, then asks the machine.

Under each reflection, before the advice cell, a plain-text form in a Markdown cell (cell metadata
``{"syslead": {"self_assessment": "<reflection id>"}}``) lists the four levels that tutors mark on, in the
words of course.yml's ``kember_levels`` (scripts/course_tables.py writes them into every form), links the
course's example reflections at each level (docs/reflection-examples.md), and asks:

    **I place my reflection at** (...): reflection
    **Why** (optional): I explain why the cascade stalled and say what I will do, but I don't question ...

Nothing here runs learner code, and a Markdown cell cannot stop *Run All*. :func:`read_placement` reads the
answer leniently, as a person would: a level's name in any case, with a typo or in a sentence ("I think
reflection"), or its points ("3", "0-1", "3/4"). The advice (:mod:`syslead.learner.reflection_advice`) shows
the learner's placement beside the machine's reading, and the journal keeps both.

The machine does not place writing on Kember's levels: it reads Gibbs' stages. Its reading is a second
opinion on what the text does, never a level.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from syslead.learner.sharing import form_cells, plain_text

#: Kember et al.'s (2008) four levels in order, with their points (course.yml's ``kember_levels``: its names
#: and points are fixed, checked by scripts/course_tables.py; their descriptors are written into each form).
LEVELS: tuple[tuple[str, str], ...] = (
    ("habitual action", "0-1"),
    ("understanding", "2"),
    ("reflection", "3"),
    ("critical reflection", "4"),
)
NAMES = tuple(name for name, _ in LEVELS)

EXAMPLES_LINK = "../../docs/reflection-examples.md"  # from source/NN/ and release/NN/
PLACE_QUESTION = "I place my reflection at"
PLACE_HINT = "(double-click here, write one of the four levels after the colon, then Shift+Enter)"
WHY_QUESTION = "Why"
WHY_HINT = "(optional: which example is yours closest to, and what would take it up a level?)"
HEAD = ("**Your own reading first**, before the advice below. Which level does your reflection reach "
        "consistently? Read it beside the [example reflections at each level]({link}), then place it:")

MAX_SAID = 200
MAX_WHY = 1000


def level_line(name: str, points: str, descriptor: str) -> str:
    """One level of the form: its name, its points and what it looks like (course.yml's descriptor)."""
    unit = "point" if points == "1" else "points"
    return f"- **{name}** ({points} {unit}): {' '.join(str(descriptor).split())};"


def form_text(levels: list[dict] | None = None, link: str = EXAMPLES_LINK) -> str:
    """The text of a fresh form. ``levels`` are course.yml's ``kember_levels`` (name, points, descriptor);
    without them, the level names alone."""
    if levels:
        lines = [level_line(lv["name"], str(lv["points"]), lv["descriptor"]) for lv in levels]
    else:
        lines = [f"- **{name}** ({points} points);" for name, points in LEVELS]
    lines[-1] = lines[-1].rstrip(";") + "."
    return "\n".join([HEAD.format(link=link), "", *lines, "",
                      f"**{PLACE_QUESTION}** {PLACE_HINT}:", "",
                      f"**{WHY_QUESTION}** {WHY_HINT}:"])


def form_cell(reflection: str, levels: list[dict] | None = None):
    """A fresh form for the reflection whose grade id is ``reflection``."""
    import nbformat

    return nbformat.v4.new_markdown_cell(form_text(levels), metadata={"syslead": {"self_assessment": reflection}})


@dataclass(frozen=True)
class SelfAssessment:
    """What a learner wrote in the form: the levels it names (in Kember's order; empty when none), their own
    words after the question (plain text, short), and why (optional)."""

    reflection: str
    levels: tuple[str, ...] = ()
    said: str = ""
    why: str = ""

    @property
    def placed(self) -> bool:
        """Whether the learner named exactly one level."""
        return len(self.levels) == 1

    @property
    def level(self) -> str:
        return self.levels[0] if self.placed else ""

    def words(self) -> str:
        """The placement in a few words: "reflection", "understanding or reflection", or ""."""
        if not self.levels:
            return ""
        return self.levels[0] if self.placed else ", ".join(self.levels[:-1]) + " or " + self.levels[-1]

    def sentence(self) -> str:
        """One sentence on the learner's own placement (or a request to place it first)."""
        if self.placed:
            return f"You placed it at: {self.level}."
        if self.levels:
            return (f"You placed it at: {self.words()} (you wrote “{self.said}”); choose the one level it "
                    f"reaches consistently.")
        if self.said:
            return (f"You wrote “{self.said}” where you place your reflection, which is not one of the four "
                    f"levels: write habitual action, understanding, reflection or critical reflection there.")
        return ("You have not placed your reflection yet: in the box just above this cell, read it beside the "
                "example reflections, write the level you think it reaches, save, and run this cell again. "
                "The machine's reading is below either way.")

    def journal_line(self) -> str:
        """The placement as the journal keeps it (the learner's own words when it names no single level)."""
        if self.placed:
            return f"I placed it at: {self.level}."
        if self.said:
            return f"I wrote: “{self.said}”."
        return "Not placed yet."


# --- reading the form ----------------------------------------------------------------------------------

_KEYWORDS = {"habitual": "habitual action", "understanding": "understanding",
             "understand": "understanding", "reflection": "reflection", "reflective": "reflection",
             "reflecting": "reflection", "critical": "critical reflection", "critically": "critical reflection"}
_POINTS = {"0": "habitual action", "1": "habitual action", "2": "understanding", "3": "reflection",
           "4": "critical reflection"}
_OWN = {"my", "this", "the", "your", "own", "whole"}
_HINTS = re.compile(r"^\s*\((?:double-click|optional|write|blank)[^)]*\)\s*", re.I)


def _after(source: str, question: str) -> str:
    """What the learner wrote after a bold question: up to the next bold question, hints in brackets left out."""
    text = source.replace("\r\n", "\n")
    at = text.lower().find(question.lower())
    if at < 0:
        return ""
    rest = text[at + len(question):]
    rest = re.sub(r"^\s*\*\*", "", rest)
    rest = _HINTS.sub("", rest)
    rest = re.sub(r"^\s*[:?]", "", rest)
    rest = re.split(r"\n\s*\*\*", rest, maxsplit=1)[0]
    return rest.strip().lstrip(" :*_").rstrip()


def _word_level(word: str) -> str | None:
    if word in _KEYWORDS:
        return _KEYWORDS[word]
    if len(word) >= 6:  # a typo of a long word ("refelction", "undrestanding"), never of a short one
        close = difflib.get_close_matches(word, list(_KEYWORDS), n=1, cutoff=0.8)
        if close:
            return _KEYWORDS[close[0]]
    return None


def read_placement(text: str) -> tuple[str, ...]:
    """The Kember levels a learner's answer names, in Kember's order: lenient on form (case, markup, typos,
    a sentence around it, points instead of a name), strict on content (a word that is no level is none)."""
    plain = plain_text(text or "").lower()
    plain = re.sub(r"\b([0-4])\s*(?:/|out of)\s*4\b", r" \1 ", plain)  # "3/4", "3 out of 4": points
    plain = re.sub(r"\b0\s*[-–]\s*1\b", " 1 ", plain)  # "0-1": the first level's points
    words = re.findall(r"[a-z]+|[0-9]+", plain)
    found: set[str] = set()
    weak: set[str] = set()
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        level = _POINTS.get(word) if word.isdigit() else _word_level(word)
        if level is None:
            continue
        if level == "reflection" and word != "reflective" and i and words[i - 1] in _OWN:
            weak.add(level)  # "my reflection is at understanding": the writing, unless no level is named
            continue
        if level == "critical reflection" and i + 1 < len(words) and _word_level(words[i + 1]) == "reflection":
            skip = True  # "critical reflection" is one level, not two
        if level == "habitual action" and word == "habitual" and i + 1 < len(words) and words[i + 1] == "action":
            skip = True
        found.add(level)
    found = found or weak
    return tuple(name for name in NAMES if name in found)


def read_form(source: str, reflection: str = "") -> SelfAssessment:
    """A form's answer (a cell's Markdown source) as a :class:`SelfAssessment`."""
    said = plain_text(_after(source, PLACE_QUESTION)).replace("\n", " ").strip()
    why = plain_text(_after(source, f"**{WHY_QUESTION}**")).strip()
    return SelfAssessment(reflection, read_placement(said), said[:MAX_SAID], why[:MAX_WHY])


def self_assessments(nb) -> dict[str, SelfAssessment]:
    """reflection id -> the learner's placement, for each form in a notebook (a dict, as read by nbformat
    or json)."""
    return {reflection: read_form(source, reflection) for reflection, source in form_cells(nb, "self_assessment")}
