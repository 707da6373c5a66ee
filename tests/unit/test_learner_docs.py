"""The learner's page on the reflection advice (issue 21, item 10): plain words, linked from the notebooks;
the developers' page stays for developers."""

from __future__ import annotations

import json

from conftest import ROOT

PAGE = ROOT / "docs" / "advice-on-your-reflection.md"
JARGON = ("__session__", "JPY_SESSION_NAME", "TF-IDF", "logistic", "macro-F1", "cross-validation", "numpy",
          "grade_id", "feedback_on(", "threshold")


def test_the_learners_page_says_what_it_reads_how_sure_it_is_and_that_the_tutors_mark_counts():
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    assert "## What it reads" in text and "save" in text.lower()
    assert "85 times in 100" in text and "not sure" in text
    assert "not a grade" in text and "tutor's mark is what counts" in text
    assert not [w for w in JARGON if w in text], [w for w in JARGON if w in text]


def test_the_notebooks_link_the_learners_page_not_the_developers_page():
    for nb in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("release/*/*.ipynb")]:
        text = "".join("".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"])
        assert "reflection-feedback.md" not in text, f"{nb.name} links the developers' page"
    start = (ROOT / "notebooks" / "00-start-here.ipynb").read_text(encoding="utf-8")
    assert "../docs/advice-on-your-reflection.md" in start
