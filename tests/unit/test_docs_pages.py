"""The README fits a newcomer; the detail lives in docs/ pages, and the tests check those pages (issue 26, 11).

- README.md is about 8 KB: what the course is, the two commands, the course map, links;
- every relative link in README.md and docs/*.md points at a file that exists;
- the tables that the tests keep true are in the docs pages (the hostile-submission corpus in
  docs/grading-safely.md, JupyterLab's own accessibility findings in docs/how-it-is-built.md);
- the figures quoted are the measured ones: the test paths named exist, the speed-up is a measured range.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_the_readme_is_about_8_kb():
    size = len(README.read_bytes())
    assert size <= 8600, f"README.md is {size} bytes: move detail into a docs/ page and link to it"


def test_the_readme_has_the_two_commands_the_course_map_and_links_to_every_page():
    text = README.read_text(encoding="utf-8")
    assert "## Quick start" in text and "<!-- course-map:start -->" in text and "<!-- course-map:end -->" in text
    for page in ("docs/tutors.md", "docs/grading-safely.md", "docs/reflection-feedback.md", "docs/answers.md",
                 "docs/publishing.md", "docs/how-it-is-built.md", "deploy/jupyterhub/README.md"):
        assert f"]({page})" in text, page


def links(path):
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z]+:", target) and not target.startswith("#"):
            yield target.split("#", 1)[0]


def test_every_relative_link_in_the_readme_and_the_docs_points_at_a_file():
    broken = [f"{path.relative_to(ROOT)} -> {t}" for path in [README, *DOCS] for t in links(path)
              if t and not (path.parent / t).exists()]
    assert not broken, broken


def test_the_hostile_corpus_table_is_in_the_grading_safety_page():
    from fixtures import hostile

    assert hostile.describe_cases() in (ROOT / "docs" / "grading-safely.md").read_text(encoding="utf-8")


def test_the_accessibility_page_names_the_real_test_and_jupyterlabs_own_findings():
    text = (ROOT / "docs" / "how-it-is-built.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)`", text)
    assert named and all((ROOT / p).is_file() for p in named), named
    table = text.split("## Accessibility", 1)[1].split("\n## ", 1)[0]
    for rule in ("aria-allowed-attr", "aria-required-children", "button-name", "color-contrast"):
        assert f"`{rule}`" in table


def test_the_guide_quotes_the_measured_speed_up_not_a_single_flattering_run():
    text = (ROOT / "docs" / "tutors.md").read_text(encoding="utf-8") + README.read_text(encoding="utf-8")
    assert "1.72" not in text
    assert "1.12 to 1.45 times" in text


def test_every_test_path_the_readme_and_the_docs_name_exists():
    for path in [README, *DOCS]:
        for named in re.findall(r"`(tests/[\w/.-]+\.py)`", path.read_text(encoding="utf-8")):
            assert (ROOT / named).is_file(), f"{path.name} names {named}, which does not exist"


@pytest.mark.slow  # collects the whole suite in a new interpreter
def test_the_readme_gives_the_fast_lane_count_within_5_per_cent():
    import subprocess
    import sys

    said = int(re.search(r"\(about (\d+) tests:", README.read_text(encoding="utf-8")).group(1))
    out = subprocess.run([sys.executable, "-m", "pytest", "-m", "not slow", "--collect-only", "-q",
                          "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True, timeout=600).stdout
    found = int(re.search(r"(\d+)(?:/\d+)? tests? collected", out).group(1))
    assert abs(found - said) <= 0.05 * found, f"the fast lane has {found} tests; the README says about {said}"


def test_a_read_only_gradebook_gets_a_sentence_that_does_not_send_the_tutor_to_a_backup(tmp_path):
    import sqlite3

    from sqlalchemy import create_engine, text

    from syslead.errors import CourseError
    from syslead.tutor.course import database_errors

    db = tmp_path / "gradebook.db"
    with sqlite3.connect(db) as con:
        con.execute("create table t (x)")
    engine = create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
    with pytest.raises(CourseError) as said:
        with database_errors(f"sqlite:///{db}"):
            with engine.begin() as con:
                con.execute(text("insert into t values (1)"))  # sqlite: "attempt to write a readonly database"
    message = str(said.value)
    assert "read-only" in message and "restore" not in message and "\n" not in message
