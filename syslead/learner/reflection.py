"""Formative feedback on a written reflection, on Gibbs' reflective cycle: the public face.

Gibbs' cycle (Gibbs 1988, *Learning by Doing*, Further Education Unit, Oxford Polytechnic) walks a
reflection through six stages: **description** (what happened), **feelings** (what you thought and felt),
**evaluation** (what was good and bad), **analysis** (what sense you can make of it), **conclusion** (what
you learned, what else you could have done) and **action plan** (what you will do next time).

After a reflection cell, one short line gives the learner advice (never a grade)::

    from syslead.learner.reflection import feedback_on
    feedback_on("reflection-1")        # reads the *saved* notebook: press Ctrl+S first

or, for any text, ``feedback(text, kind=...)``. The answer names the stages the machine recognised with
confidence, quoting the sentences that show each and the validated cue phrases in them; says which stages
it cannot tell about; counts the words; and asks one question for each stage that fits the kind of
reflection (course.yml's ``reflection_kind``) and that it did not recognise, tied to the Kember et al. (2008)
levels that the mark schemes use. One sentence under it says it is a machine's reading, how often it is
right (the validated figure in the model file) and that the tutor's mark is what counts.

The work is split by job:

- :mod:`syslead.learner.reflection_model`: the model; :func:`read_sentence` (the one public function for a
  sentence: its reading's ``.claimed`` is a stage, "none" or "not sure") and :func:`gibbs_stage`;
- :mod:`syslead.learner.reflection_text`: reading the markdown with mistune's parser into sentences;
- :mod:`syslead.learner.reflection_advice`: the advice, its HTML from a Jinja template.

This module re-exports them and finds the reflection in the saved notebook (:func:`feedback_on`), with the
learner's own placement on Kember's levels from the form above the advice cell
(:mod:`syslead.learner.self_assessment`), which the advice shows first, beside the machine's reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np  # noqa: F401 - re-exported for the tests and benchmarks

from syslead.learner.reflection_advice import (  # noqa: F401 - the public names
    ADVICE,
    FAILED,
    KEMBER,
    KIND_QUESTIONS,
    KIND_STAGES,
    KINDS,
    QUESTIONS,
    Feedback,
    Hint,
    Sentence,
    about_the_reading,
    feedback,
    question,
)
from syslead.learner.reflection_model import (  # noqa: F401 - the public names
    CERED_TO_STAGE,
    CUES,
    CUES_PATH,
    HERE,
    LABELS,
    MODEL_PATH,
    NONE_THRESHOLD,
    STAGES,
    UNSURE,
    Model,
    Reading,
    cue_matches,
    cue_stages,
    decide,
    evidence_phrases,
    features,
    gibbs_stage,
    load_model,
    read_sentence,
    tokens,
    validated,
)
from syslead.learner.reflection_text import (  # noqa: F401 - the public names
    FUNCTION_WORDS,
    STUB,
    reads_as_english,
    split_sentences,
    strip_markdown,
    word_count,
)

# ---------------------------------------------------------------------------------------------------
# Feedback on a reflection cell of the notebook being edited
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A one-sentence answer when there is nothing to give feedback on yet."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        from syslead.learner.reflection_advice import _template

        return _template("reflection-notice.html.j2").render(text=self.text).strip()


_SAVE_FIRST = "save the notebook (Ctrl+S, or Cmd+S on a Mac) and run this cell again"


def _session_path() -> str | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython is always there with Jupyter
        shell = None
    namespace = getattr(shell, "user_ns", None) or {}
    for name in ("__session__", "__vsc_ipynb_file__"):
        value = namespace.get(name)
        if isinstance(value, str) and value:
            return value
    return os.environ.get("JPY_SESSION_NAME") or None


def find_notebook(notebook: str | os.PathLike | None = None) -> Path | None:
    """The notebook file this kernel belongs to (or ``notebook``, if given), when it can be found."""
    given = str(notebook) if notebook is not None else _session_path()
    if not given:
        return None
    path = Path(given).expanduser()
    for candidate in (path, Path.cwd() / path, Path.cwd() / path.name):
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate
    return None


def _only_notebook_with(grade_id: str) -> Path | None:
    """Without a session (nbgrader's validate and autograde run the notebook in its own folder), the one
    notebook in the working folder that has this answer cell, if there is exactly one."""
    found = []
    for candidate in sorted(Path.cwd().glob("*.ipynb")):
        try:
            if f'"grade_id": "{grade_id}"' in candidate.read_text(encoding="utf-8"):
                found.append(candidate)
        except OSError:
            continue
    return found[0] if len(found) == 1 else None


def kind_of(grade_id: str) -> str:
    """The kind of reflection (course.yml's ``reflection_kind``) with this grade id; "experience" when the
    manifest cannot be read or does not name it."""
    try:
        from syslead.course import load_course

        for assignment in load_course().assignments:
            for g in assignment.reflections:
                if g.id == grade_id and g.reflection_kind:
                    return g.reflection_kind
    except Exception:  # no manifest here: the advice still comes, with the questions of the whole cycle
        pass
    return "experience"


def feedback_on(grade_id: str, notebook: str | os.PathLike | None = None) -> Feedback | Notice:
    """Feedback on a reflection answer cell (nbgrader ``grade_id``, e.g. "reflection-1") of this notebook.

    It reads the notebook as last *saved*: save (Ctrl+S) before you run it. The notebook is found from
    the kernel's session (JupyterLab 4 sets ``__session__`` and ``JPY_SESSION_NAME``), or pass its
    path as ``notebook``; failing both (nbgrader's validate and autograde), it is the one notebook in
    the working folder with that answer cell. Never raises: when there is nothing to read it says so in
    one sentence.
    """
    path = find_notebook(notebook) or _only_notebook_with(grade_id)
    if path is None:
        return Notice(f"I could not find this notebook's file: {_SAVE_FIRST}; if it still fails, "
                      f"copy your reflection into feedback(\"...\") instead.")
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
    except Exception:
        return Notice(f"I could not read {path.name}: {_SAVE_FIRST}.")
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    if not cells:
        known = [c.metadata.nbgrader.grade_id for c in nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("reflection")]
        hint = f" (this notebook has {', '.join(known)})" if known else ""
        return Notice(f"There is no answer cell called {grade_id!r} in {path.name}{hint}: "
                      f"check the name in this cell.")
    text = cells[0].source if isinstance(cells[0].source, str) else "".join(cells[0].source)
    if not [s for s in split_sentences(text) if not s.startswith(STUB)]:
        return Notice(f"Cell {grade_id!r} has no reflection in the saved notebook yet: write your "
                      f"reflection in it, then {_SAVE_FIRST}.")
    from syslead.learner.self_assessment import self_assessments

    return feedback(text, source=f"Read from the saved notebook ({path.name}, cell {grade_id}), {_saved_when(path)}: "
                                 f"if you have written since, save (Ctrl+S) and run this cell again.",
                    kind=kind_of(grade_id), self_assessment=self_assessments(nb).get(grade_id))


def _saved_when(path: Path) -> str:
    """When the notebook was last saved, in words ("saved just now", "saved 5 minutes ago", ...): the
    advice reads the saved file, so the learner can tell whether it is the text on screen."""
    import time

    try:
        seconds = time.time() - path.stat().st_mtime
    except OSError:
        return "as last saved"
    if seconds < 60:
        return "saved just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"saved {minutes} minute{'s' if minutes != 1 else ''} ago"
    return "saved " + time.strftime("at %H:%M on %d %B %Y", time.localtime(path.stat().st_mtime))
