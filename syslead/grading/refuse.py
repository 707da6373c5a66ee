"""A submission nbgrader must not run, refused with one sentence on every grading path.

``syslead autograde`` screens each submission before it grades it (:func:`syslead.grading.submissions.screen`).
Formgrader's Autograde button and plain ``nbgrader autograde`` do not, so the course's pipeline
(:mod:`syslead.grading.pipeline`) runs :class:`RefuseUnsafe` first among the sanitising steps: a notebook of
more than :data:`~syslead.grading.submissions.MAX_CELLS` cells, or a submission folder holding a link, a device,
a FIFO or folders nested too deeply, stops that one submission with a sentence that names the learner;
nbgrader then grades the others.
"""

from __future__ import annotations

import functools
import os


class Refused(ValueError):
    """A submission that is not graded, and why (one sentence)."""


@functools.lru_cache(maxsize=1)
def _preprocessor():
    from nbgrader.preprocessors import NbGraderPreprocessor

    from syslead.grading.clean import clean_text
    from syslead.grading.submissions import MAX_CELLS, refused

    class RefuseUnsafe(NbGraderPreprocessor):
        """Refuse a notebook with too many cells, or a submission folder with links, special files or deep
        folders (before anything of it runs)."""

        def preprocess(self, nb, resources):
            info = resources.get("nbgrader", {}) if resources else {}
            who = clean_text(info.get("student") or "this learner")
            if len(nb.cells) > MAX_CELLS:
                raise Refused(f"{who}'s notebook has {len(nb.cells):,} cells, over the {MAX_CELLS:,} cells limit: "
                              "not graded; ask for it again.")
            folder = (resources.get("metadata") or {}).get("path") if resources else None
            notes = refused(folder) if folder and os.path.isdir(folder) else []
            if notes:
                raise Refused(f"{who}'s submission is refused: {clean_text(notes[0])}.")
            return nb, resources

    return RefuseUnsafe


def __getattr__(name: str):  # built on first use: nbgrader is slow to import
    if name == "RefuseUnsafe":
        return _preprocessor()
    raise AttributeError(name)
