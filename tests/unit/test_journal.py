"""The learning journal: every reflection from the course notebooks in a folder, in one file to keep.

Fixture folders are made here from the release notebooks, filled in as a learner would: complete, partly
answered, with a corrupt notebook, with a renamed one, with several copies, with tutors' copies.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, course_env

from syslead.cli import main
from syslead.learner import journal
from syslead.learner.journal import Journal, JournalNotice, Made, answer_text, collect, make_journal

#: The course's parts, as the journal reads them from the manifest.
COURSE = journal.parts(ROOT / "course.yml")

ANSWER = (
    "Last March our safeguarding alert went from the director to heads of service by email. I felt uneasy "
    "when a week later two health visitors had not seen it. It went badly because it relied on one route. "
    "I have learned that people pass on what they have discussed. Next time I will ask team leads to "
    "brief their teams and check who has heard."
)


def release(name: str) -> Path:
    return ROOT / "release" / name / f"{name}.ipynb"


def fill(path: Path, answers: dict[str, str]) -> None:
    """Write answers into reflection cells (by grade_id), as a learner would, and save."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, str(path))


def copy_release(folder: Path, name: str, as_name: str | None = None) -> Path:
    target = folder / (as_name or f"{name}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(release(name), target)
    return target


def every_answer(part) -> dict[str, str]:
    return {gid: f"{ANSWER} (Answer to {gid}.)" for gid in part.reflections}


@pytest.fixture
def complete(tmp_path) -> Path:
    """Every course notebook, every reflection answered, in the folders nbgrader's fetch makes."""
    folder = tmp_path / "complete"
    for part in COURSE:
        fill(copy_release(folder / part.name, part.name), every_answer(part))
    return folder


@pytest.fixture
def partly(tmp_path) -> Path:
    """Reading 1 fully answered, reading 2 with one answer, reading 3 and the capstone untouched."""
    folder = tmp_path / "partly"
    first, second = COURSE[0], COURSE[1]
    fill(copy_release(folder, first.name), every_answer(first))
    fill(copy_release(folder, second.name), {second.reflections[1]: ANSWER})
    for part in COURSE[2:]:
        copy_release(folder, part.name)
    return folder


def test_does_the_course_list_match_the_source_notebooks():
    """The manifest's journal order holds every assignment, and its cell ids are the notebooks' own."""
    assert sorted(p.name for p in COURSE) == assignments()
    for part in COURSE:
        nb = nbformat.read(str(ROOT / "source" / part.name / f"{part.name}.ipynb"), as_version=4)
        meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
        reflections = [m["grade_id"] for c, m in zip(nb.cells, meta, strict=True)
                       if c.cell_type == "markdown" and m.get("solution")]
        assert tuple(reflections) == part.reflections
        assert part.ids == {m["grade_id"] for m in meta if m}
        assert nb.cells[0].source.startswith(f"# {part.title}\n")


@pytest.mark.parametrize("name", assignments())
def test_is_every_reflection_of_an_untouched_release_unanswered(name):
    nb = nbformat.read(str(release(name)), as_version=4)
    answers = [c.source for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all(answer_text(a) is None for a in answers)


def test_does_a_stub_left_above_the_learners_text_stay_out_of_the_answer():
    stub = "*Write your reflection here: double-click this cell to edit it, then press Shift+Enter.*"
    assert answer_text(f"{stub}\n\nMy own words.") == "My own words."


# --- complete and partly answered ---------------------------------------------------------------------


def test_does_a_complete_folder_give_every_answer_in_course_order_with_its_question(complete):
    found = collect(complete)
    assert found.answered == found.expected == sum(len(p.reflections) for p in COURSE)
    assert found.problems == []
    text = found.markdown()
    positions = []
    for part in COURSE:
        for gid in part.reflections:
            positions.append(text.index(f"(Answer to {gid}.)"))
    assert positions == sorted(positions)
    prompt = next(c.source for c in nbformat.read(str(release(COURSE[0].name)), as_version=4).cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "prompt-message")
    title, body = prompt.split("\n", 1)
    assert "### Reflection 1: how a message really travelled\n" in text and "(4 points)" not in text
    assert journal._quote_block(body) in text
    assert text.index("how a message really travelled") < text.index("(Answer to reflection-message.)")


def test_does_each_answer_carry_its_feedback_summary(complete):
    text = collect(complete).markdown()
    assert text.count("#### Feedback (advice, not a grade)") == sum(len(p.reflections) for p in COURSE)
    assert "touches" in text and "of Gibbs' 6 stages" in text and "“I felt”" in text
    assert journal.ADVICE in text


def test_are_unanswered_questions_listed_as_such(partly):
    found = collect(partly)
    assert found.answered == len(COURSE[0].reflections) + 1
    text = found.markdown()
    unanswered = found.expected - found.answered
    assert text.count("*Not answered yet.*") == unanswered
    assert text.count("#### Feedback (advice, not a grade)") == found.answered
    assert found.problems == []  # unanswered is not a problem with a file
    assert "Write your reflection here" not in text


# --- missing, corrupt, renamed, copies, tutors' copies --------------------------------------------


def test_is_a_corrupt_notebook_reported_in_one_line_and_the_rest_compiled(complete):
    broken = complete / COURSE[2].name / f"{COURSE[2].name}.ipynb"
    broken.write_text(broken.read_text(encoding="utf-8")[:5000], encoding="utf-8")  # cut off mid-file
    found = collect(complete)
    about = [line for line in found.problems if f"{COURSE[2].name}.ipynb" in line]
    assert len(about) == 2  # could not read it; and so that reading is missing, pointing back to it
    assert about[0].startswith("Could not read") and "not a complete notebook file" in about[0]
    assert about[1].startswith(COURSE[2].title) and "could not be read" in about[1]
    assert all("\n" not in line for line in found.problems)
    assert found.copies[COURSE[2].name] is None
    assert found.answered == found.expected - len(COURSE[2].reflections)
    assert f"(Answer to {COURSE[3].reflections[0]}.)" in found.markdown()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"cells": "none"}'])
def test_is_any_unreadable_file_one_line(tmp_path, content):
    (tmp_path / "02-systems-innovation.ipynb").write_bytes(content)
    found = collect(tmp_path)
    assert found.problems[0].startswith("Could not read 02-systems-innovation.ipynb: ")
    assert len(found.problems) == 1 + len(COURSE)  # that line, and one line per reading not found


def test_is_a_missing_notebook_reported_in_one_line(partly):
    (partly / f"{COURSE[3].name}.ipynb").unlink()
    found = collect(partly)
    assert found.problems == [f"{COURSE[3].title}: not found in {partly.resolve()}, so its reflections are not "
                              f"in the journal."]
    assert "*Not found: this notebook was not in the folder" in found.markdown()


def test_is_a_renamed_notebook_found_by_its_questions_and_reported(partly):
    (partly / f"{COURSE[0].name}.ipynb").rename(partly / "Downloads-my copy (1).ipynb")
    found = collect(partly)
    assert found.copies[COURSE[0].name].path.name == "Downloads-my copy (1).ipynb"
    assert found.problems == [f"{COURSE[0].title}: found under another name, Downloads-my copy (1).ipynb, "
                              f"and included."]
    assert found.answered == len(COURSE[0].reflections) + 1


def test_is_the_copy_with_most_answers_used_when_there_are_several(tmp_path):
    part = COURSE[1]
    copy_release(tmp_path / "release" / part.name, part.name)  # the untouched release copy
    answered = copy_release(tmp_path / "uploads", part.name, f"{part.name} (2).ipynb")
    fill(answered, every_answer(part))
    found = collect(tmp_path)
    assert found.copies[part.name].path == answered.resolve()
    line = next(line for line in found.problems if "copies found" in line)
    assert "used uploads/02-systems-innovation (2).ipynb (3 of 3 answered" in line
    assert f"not release/{part.name}/{part.name}.ipynb" in line


def test_are_tutors_copies_with_mark_schemes_never_quoted(tmp_path):
    shutil.copytree(ROOT / "source", tmp_path / "source")
    found = collect(tmp_path)
    assert found.answered == 0 and all(c is None for c in found.copies.values())
    # skipped without tutor jargon: a learner has no tutors' copies and needs no word about them
    assert not any("tutors' cop" in line or "mark scheme" in line for line in found.problems), found.problems
    assert "Mark scheme" not in found.markdown() and "Mark scheme" not in found.html()


def test_are_hidden_folders_and_checkpoints_skipped(complete):
    checkpoint = complete / COURSE[0].name / ".ipynb_checkpoints"
    checkpoint.mkdir()
    stale = copy_release(checkpoint, COURSE[0].name, f"{COURSE[0].name}-checkpoint.ipynb")
    fill(stale, every_answer(COURSE[0]) | {COURSE[0].reflections[0]: ANSWER + " Stale words from a checkpoint."})
    found = collect(complete)
    assert found.problems == [] and "Stale words" not in found.markdown()


# --- what the learner's text can do to the journal ---------------------------------------------------


TRICKY = """# My own heading

Text with <script>alert('x')</script> and <b>tags</b>, an emoji 🎉 and a [link](https://example.org).

Setext heading
==============

```python
print("a code block that never closes")
"""


def test_can_an_answer_not_break_the_journals_headings_or_run_code(partly):
    fill(partly / f"{COURSE[1].name}.ipynb", {COURSE[1].reflections[0]: TRICKY})
    found = collect(partly)
    text = found.markdown()
    assert "\n##### My own heading\n" in text and "\n##### Setext heading\n" in text
    after = text.split("print(\"a code block that never closes\")", 1)[1]
    assert after.lstrip().startswith("```")  # the fence is closed before the journal goes on
    page = found.html()
    assert "<script>" not in page and "alert(" not in page  # nh3 removes the script and its text
    assert "<b>tags</b>" in page and "&lt;b&gt;" not in page  # simple HTML shows as it does in JupyterLab
    assert "<h5>My own heading</h5>" in page and "🎉" in page
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in page


def test_is_html_in_an_answer_formatting_not_code(partly):
    """Issue 16: the journal's HTML showed <b> literally; links that run code and attributes are dropped."""
    fill(partly / f"{COURSE[1].name}.ipynb", {COURSE[1].reflections[0]: (
        'I was <b>really</b> <em>sure</em>. <a href="javascript:alert(1)" onclick="x()">click</a> '
        '<img src="https://example.org/t.png" onerror="x()"> <span style="color:red">red</span>')})
    page = collect(partly).html()
    assert "<b>really</b>" in page and "<em>sure</em>" in page
    assert "javascript:" not in page and "onclick" not in page and "onerror" not in page and "<img" not in page
    assert "style=\"color" not in page and "<span>red</span>" in page


def test_is_a_title_with_markup_escaped_in_the_page(partly, tmp_path):
    """Values that are not Markdown (titles, paths, problems) are escaped by the template."""
    odd = tmp_path / "a <b> folder"
    shutil.copytree(partly, odd)
    page = collect(odd).html()
    assert "a &lt;b&gt; folder" in page and "a <b> folder" not in page


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def test_is_the_html_self_contained_and_accessible(partly):
    page = collect(partly).html()
    outline = Outline()
    outline.feed(page)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page and "<title>" in page
    assert not outline.tags & {"script", "link", "iframe", "img"}  # nothing fetched, nothing run
    assert not re.search(r"url\(|@import", page)
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))  # no skipped level
    assert "<main>" in page and 'aria-label="Contents"' in page
    # state is said in words, never by colour alone
    assert page.count("Not answered yet.") == collect(partly).expected - collect(partly).answered
    for tag, attrs in outline.attrs:
        if tag == "a" and attrs.get("href", "").startswith("#"):
            assert f'id="{attrs["href"][1:]}"' in page


# --- writing the files ---------------------------------------------------------------------------------


def test_are_both_files_written_and_rewritten_in_place(complete, tmp_path):
    out = tmp_path / "out"
    md, page = collect(complete).write(out)
    assert (md.name, page.name) == ("my-journal.md", "my-journal.html")
    first = page.read_text(encoding="utf-8")
    fill(complete / COURSE[0].name / f"{COURSE[0].name}.ipynb", {COURSE[0].reflections[0]: "Changed my mind."})
    collect(complete).write(out)
    assert page.read_text(encoding="utf-8") != first and "Changed my mind." in md.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["my-journal-conversation-guides.html", "my-journal.html",
                                                     "my-journal.md"]


def test_does_make_journal_show_what_it_found_and_links_to_download(partly, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = make_journal(partly, out="journal")
    assert isinstance(made, Made)
    shown = made._repr_html_()
    assert '<a href="journal/my-journal.html" download>' in shown
    assert f"{made.journal.answered} of {made.journal.expected} reflections answered" in shown
    assert "right-click" in str(made)


@pytest.mark.parametrize("folder", ["/nowhere/at/all", __file__])
def test_does_make_journal_answer_a_bad_folder_with_one_sentence(folder):
    result = make_journal(folder)
    assert isinstance(result, JournalNotice)
    assert str(result).count(": ") == 1 and str(result).endswith(".") and "\n" not in str(result)


def test_is_an_empty_folder_still_a_journal_in_the_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = make_journal(tmp_path, out=tmp_path / "out")
    assert isinstance(made, Made) and made.journal.answered == 0
    assert len(made.journal.problems) == len(COURSE)


# --- the command -----------------------------------------------------------------------------------------


def test_does_the_command_write_the_journal_beside_the_notebooks(complete, capsys):
    assert main(["journal", str(complete)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Wrote {complete.resolve() / 'my-journal.html'}")
    assert (complete / "my-journal.md").is_file()
    assert isinstance(collect(complete), Journal)  # the journal files are not mistaken for notebooks


def test_does_the_command_report_problems_one_line_each(partly, tmp_path, capsys):
    (partly / f"{COURSE[2].name}.ipynb").write_text("{", encoding="utf-8")
    assert main(["journal", str(partly), "--out", str(tmp_path / "kept"), "--name", "term-1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("- Could not read 03-hero-to-host.ipynb")
    assert (tmp_path / "kept" / "term-1.html").is_file()


@pytest.mark.parametrize("args, says", [
    (["/nowhere/at/all"], "There is no folder called '/nowhere/at/all'"),
    ([__file__], "is a file, not a folder"),
    (["EMPTY"], "No course notebooks were found"),
    (["COMPLETE", "--name", "../escape"], "cannot be a file name"),
    (["COMPLETE", "--out", __file__], "is a file, not a folder"),
])
def test_does_a_mistake_get_one_sentence_and_status_2(args, says, complete, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = [{"EMPTY": str(tmp_path / "empty"), "COMPLETE": str(complete)}.get(a, a) for a in args]
    assert main(["journal", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("syslead journal: ") and says in err
    assert "\n" not in err and err.endswith(".") and "Traceback" not in err


@pytest.mark.slow  # a new interpreter that imports the whole learner side
def test_does_the_installed_command_run_as_learners_type_it(partly):
    proc = subprocess.run([sys.executable, "-m", "syslead.cli", "journal", "."], cwd=partly, env=course_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "reflections answered" in proc.stdout
    page = (partly / "my-journal.html").read_text(encoding="utf-8")
    assert html_lib.escape(ANSWER, quote=False)[:60] in page


# --- evidence of learning (CPD): hours, dates, marks and comments ------------------------------------

#: A feedback page as nbgrader's generate_feedback writes it (its template's table of contents and an
#: answer's comment box), cut down to what the journal reads.
FEEDBACK_PAGE = """<html><body><div id="toc"><ol>
<li><a href="#check-levels">Test cell</a> (Score: 1.0 / 1.0)</li>
<li><a href="#{gid}">Written response</a> (Score: 3.0 / 4.0)</li>
<li><a href="#comment-{gid}">Comment</a></li>
</ol></div>
<a name="comment-{gid}"></a><a name="{gid}"></a><div class="panel-heading">
<span class="nbgrader-label">Student&#39;s answer</span></div>
<div class="panel-footer">
  <div>
    <b>Comments:</b> <p>Good use of the model &amp; your own team; say what you would <em>change</em>.</p><p>Well done.</p>
  </div>
</div>
</body></html>"""


def test_does_the_journal_give_the_courses_hours_and_the_dates_of_the_work(complete):
    from syslead.course import load_course

    found = collect(complete)
    hours = round(load_course(ROOT / "course.yml").minutes / 30) / 2
    evidence = " ".join(found.evidence)
    assert f"about {hours:g} hours of study" in evidence
    assert "Dates of the work:" in evidence and "none marked by a tutor yet" in evidence
    assert "## Evidence of learning" in found.markdown() and "Evidence of learning</h2>" in found.html()


def test_does_the_journal_show_a_tutors_returned_mark_and_comment(complete):
    part = COURSE[0]
    gid = part.reflections[0]
    page = complete / part.name / "feedback" / "2026-12-01 10:00:00" / f"{part.name}.html"
    page.parent.mkdir(parents=True)
    page.write_text(FEEDBACK_PAGE.format(gid=gid), encoding="utf-8")
    found = collect(complete)
    (r,) = [r for r in found.copies[part.name].reflections if r.grade_id == gid]
    assert r.mark == (3.0, 4.0) and r.mark_words == "3 of 4 points"
    assert r.tutor_comment == "Good use of the model & your own team; say what you would change. Well done."
    assert "1 marked by a tutor, 3 of 4 points" in " ".join(found.evidence)
    md, page_html = found.markdown(), found.html()
    assert "#### My tutor's mark" in md and "3 of 4 points" in md and "Good use of the model" in md
    assert "My tutor&#39;s mark" in page_html or "My tutor's mark" in page_html
    assert "Good use of the model &amp; your own team" in page_html


def test_the_replies_from_a_reflection_circle_stand_beside_the_reflection_they_answer(complete, tmp_path):
    """A notebook of replies fetched from a circle (syslead circles --return) is read, not listed as a course
    notebook; each reply appears under its reflection, as text, in both files."""
    part = COURSE[0]
    rid = part.reflections[0]
    cells = [nbformat.v4.new_markdown_cell("# Replies from your reflection circle")]
    for who, noticed in (("Robin", "the route went <b>round</b> the managers"), ("Sam", "who heard first")):
        cells.append(nbformat.v4.new_markdown_cell(f"### From {who}", metadata={"syslead": {"reply": {
            "reflection": rid, "from": who, "noticed": noticed, "question": "what would you do next?"}}}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["syslead"] = {"circle_replies": {"assignment": part.name}}
    folder = complete / f"{part.name}-replies-abc123"
    folder.mkdir()
    nbformat.write(nb, str(folder / f"{part.name}-replies-abc123.ipynb"))
    found = collect(complete)
    assert not [p for p in found.problems if "replies" in p]
    mine = next(r for r in found.reflections if r.grade_id == rid)
    assert [r["from"] for r in mine.replies] == ["Robin", "Sam"]
    assert all(not r.replies for r in found.reflections if r.grade_id != rid)
    md_path, html_path = found.write(tmp_path / "out")
    page = html_path.read_text(encoding="utf-8")
    assert "Replies from my reflection circle" in page and "&lt;b&gt;round&lt;/b&gt;" in page
    assert "<b>round" not in page
    assert "**Robin**" in md_path.read_text(encoding="utf-8")


def test_the_journal_makes_a_printable_conversation_guide_for_each_reflection_written(complete, tmp_path):
    """For a learner with no cohort: one page of guides, each holding the learner's own reflection, and a
    link to it under each reflection in the journal."""
    found = collect(complete)
    _, html_path = found.write(tmp_path / "out")
    guides = (tmp_path / "out" / "my-journal-conversation-guides.html").read_text(encoding="utf-8")
    written = [r for r in found.reflections if r.answered]
    assert written and all(f'id="{r.grade_id}"' in guides for r in written)
    assert "Troika Consulting" in guides and "Answer to" in guides
    assert html_path.read_text(encoding="utf-8").count("my-journal-conversation-guides.html#") == len(written)


def test_the_capstones_drawing_goes_into_the_journal_beside_its_reflections(complete, tmp_path):
    """The table a learner typed in the capstone is drawn as a picture beside the capstone's reflections,
    with the drawing's alt text; the untouched table (header only) draws nothing."""
    capstone = COURSE[-1]
    path = complete / capstone.name / f"{capstone.name}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "(my_system)" in c.source)
    untouched = cell.source
    found = collect(complete)
    md_path, html_path = found.write(tmp_path / "before")
    assert not (tmp_path / "before" / "my-journal-my-system.png").exists()
    cell.source = untouched + ("Director | Head of early help | priorities | hierarchical\n"
                               "Head of early help | Family support team | cases | hierarchical\n"
                               "Health visitor -> Family support team: worries about a family, viral\n")
    nbformat.write(nb, str(path))
    found = collect(complete)
    md_path, html_path = found.write(tmp_path / "after")
    png = tmp_path / "after" / "my-journal-my-system.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    page = html_path.read_text(encoding="utf-8")
    assert '<img src="my-journal-my-system.png" alt="' in page and "Health visitor" in page.split("my-journal-my-system.png")[1][:2000]
    assert "![" in md_path.read_text(encoding="utf-8")
