"""Moderation's agreed mark through the real grading page (issue 26, point 7): a POST to
``/syslead/grade/agree/ASSIGNMENT/QUESTION`` on a running Jupyter server with the grading page switched on
(``--ServerApp.jpserver_extensions``, as the browser tests start it) records the agreed mark beside the two
originals, in moderation.db, and saves it into the gradebook as the final grade; a bad input gets one
sentence and changes nothing."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
import tutor_cohort
from browser_lab import TOKEN, lab_server
from tutor_cohort import ASSIGNMENT

from syslead.tutor import grading_page, moderation
from syslead.tutor.autograde import recorded
from syslead.tutor.course import Course
from syslead.tutor.gradebook import grades

pytestmark = pytest.mark.slow

QUESTION = "reflection-channels"
GRADING_EXTENSION = ["--ServerApp.jpserver_extensions", "syslead.tutor.grading_page=True", "--LabApp.news_url=None"]


def post(lab, path: str, **form) -> tuple[int, str]:
    """POST a form as the page's own form does, authenticated by the server's token; (status, body)."""
    request = urllib.request.Request(f"{lab.base}/{path}", data=urllib.parse.urlencode(form).encode(),
                                     headers={"Authorization": f"token {TOKEN}"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def final(course, student: str) -> tuple:
    """(auto score, manual score, extra credit, needs manual grade) of the question for ``student``."""
    return recorded(course, ASSIGNMENT)[student]["notebooks"][ASSIGNMENT]["grades"][QUESTION]


def test_the_agreed_mark_is_posted_saved_beside_both_originals_and_a_bad_one_gets_a_sentence(tmp_path_factory):
    home = tmp_path_factory.mktemp("agree-http")
    course_dir = tutor_cohort.copy(tutor_cohort.graded(home), home / "course")
    course = Course.find(course_dir)
    rows = {g.student: g for g in grades(course, ASSIGNMENT) if g.cell == QUESTION}
    people = sorted(moderation.sample(course, ASSIGNMENT, QUESTION))
    apart, same = people[0], people[1]
    for s in people:  # first marks by one tutor, second marks by another: one answer three levels apart
        grading_page.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, score=1.0, comment=None,
                          confirm_blank=True, marker="first-tutor")
        moderation.save(course, ASSIGNMENT, QUESTION, rows[s].grade_id, 4.0 if s == apart else 1.0, 4,
                        marker="second-tutor")
    assert final(course, apart)[1] == 1.0
    where = f"syslead/grade/agree/{ASSIGNMENT}/{QUESTION}"
    with lab_server(course_dir, home, learner=False, extra=GRADING_EXTENSION) as lab:
        status, page = post(lab, where, grade=rows[apart].grade_id, score="3")
        assert status == 200 and "Mark scheme" in page  # back on the question's page after the redirect
        after = moderation.agreement(course, ASSIGNMENT, QUESTION, 4)
        agreed = {d["grade"]: d for d in after["differ"]}[rows[apart].grade_id]
        assert (agreed["first"], agreed["second"], agreed["agreed"]) == (1.0, 4.0, 3.0)  # beside both originals
        assert agreed["first_marker"] == "first-tutor" and agreed["second_marker"] == "second-tutor"
        assert agreed["agreed_by"] == moderation.marker_name()  # the server's own account (token login)
        auto, manual, _, needs = final(course, apart)
        assert manual == 3.0 and needs is False  # the final grade in nbgrader's gradebook
        kept = recorded(course, ASSIGNMENT)
        # bad inputs: one sentence each, and nothing changes
        bad = [
            (dict(grade=rows[apart].grade_id, score="three"), 400,
             "The agreed mark should be a number: go back and try again."),
            (dict(grade=rows[apart].grade_id, score="9"), 400, "A score for this question is between 0 and 4."),
            (dict(grade=rows[same].grade_id + "-no-such", score="2"), 400,
             "That answer is not part of this question: reload the page."),
        ]
        for form, code, sentence in bad:
            status, body = post(lab, where, **form)
            assert (status, body.strip()) == (code, sentence), (form, status, body[:500])
            assert "Traceback" not in body and body.count("\n") <= 1
        assert recorded(course, ASSIGNMENT) == kept
        assert moderation.names(course, ASSIGNMENT, QUESTION)[apart]["agreed"] == 3.0
