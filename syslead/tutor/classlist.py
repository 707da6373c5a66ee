"""Who is a learner: the class list, the tutor's own test submissions, and extension ids that match no one.

nbgrader adds a student row for every id it autogrades, so its student table alone cannot tell a learner
from a tutor who submitted a test copy. The **class list** is the learners the tutor entered in the
gradebook with a name or an email (``nbgrader db student add ID --first-name ... --email ...`` or ``nbgrader
db student import FILE.csv``); autograde's own rows have neither. When there is a class list, an id outside
it gets one sentence, from ``syslead autograde`` and from ``syslead export`` (it stays in the export: it may be
a learner with a misspelt id). With or without a
class list, the tutor's own account (``root``, or the account running the command) is never a learner
unless the class list names it: its work is graded as usual (nothing is lost), but left out of ``syslead
export``'s files and of ``syslead release-feedback``, with one sentence. :func:`extension_problems` checks course.yml's
``extensions`` against the learners and the assignments, one sentence for each id that matches nothing.
"""

from __future__ import annotations

import difflib
import getpass

from syslead.tutor.course import Course

#: Accounts that are a tutor's, never a learner's, unless the class list names them.
TUTOR_ACCOUNTS = {"root"}


def class_list(course: Course) -> set[str]:
    """The learners the tutor entered with a name or an email (empty when there is no class list)."""
    if not course.has_gradebook():
        return set()
    from nbgrader.api import Student

    with course.gradebook() as gb:
        rows = gb.db.query(Student.id, Student.first_name, Student.last_name, Student.email).all()
    return {sid for sid, first, last, email in rows if first or last or email}


def tutor_accounts() -> set[str]:
    try:
        me = getpass.getuser()
    except (KeyError, OSError):
        me = None
    return TUTOR_ACCOUNTS | ({me} if me else set())


def not_learners(course: Course, ids) -> dict[str, str]:
    """id -> why it is not a learner, for those of ``ids`` that are a tutor's own account (``root``, or the
    account running this) and not on the class list."""
    listed = class_list(course)
    tutors = tutor_accounts()
    return {sid: "the tutor's own account" for sid in ids if sid in tutors and sid not in listed}


def unlisted(course: Course, ids) -> list[str]:
    """Those of ``ids`` (not tutors' accounts) missing from the class list, when there is one. They stay in
    the export (no one falls off the roll), with a sentence."""
    listed = class_list(course)
    tutors = tutor_accounts()
    return sorted(sid for sid in ids if listed and sid not in listed and sid not in tutors)


def unlisted_sentence(ids: list[str]) -> str | None:
    if not ids:
        return None
    return (f"{', '.join(ids)} handed in work but {'is' if len(ids) == 1 else 'are'} not in the class list (the "
            f"gradebook's learners with a name or email): check the id, and if it is a learner, add them (nbgrader "
            f"db student add ID --first-name NAME --last-name NAME --email ADDRESS).")


def unlisted_sentences(course: Course, ids) -> list[str]:
    """One sentence for each of ``ids`` that is missing from the class list (when there is one), with the
    nearest listed id when one is close (a misspelt login): what autograde says before it grades."""
    listed = class_list(course)
    out = []
    for sid in unlisted(course, ids):
        near = difflib.get_close_matches(sid, sorted(listed), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        out.append(f"{sid} handed in work but is not in the class list{hint}: check the id, and if it is a learner, "
                   f"add them (nbgrader db student add {sid} --first-name NAME --last-name NAME --email ADDRESS); "
                   f"their work is graded and kept.")
    return out


def not_learner_sentence(reasons: dict[str, str], what: str) -> str | None:
    """One sentence about the ids left out of ``what`` (None when there are none)."""
    if not reasons:
        return None
    parts = ", ".join(f"{sid} ({why})" for sid, why in sorted(reasons.items()))
    return (f"Left out of {what}, as not learners: {parts}; their work is graded and kept, and if one is a "
            f"learner, add them to the class list (nbgrader db student add ID --first-name NAME --last-name NAME "
            f"--email ADDRESS) and run this again.")


def extension_problems(course: Course, manifest=None) -> list[str]:
    """One sentence for each extension in course.yml whose learner id or assignment id matches nothing."""
    manifest = manifest if manifest is not None else course.manifest()
    if manifest is None or not manifest.extensions:
        return []
    known = class_list(course)
    if not known:
        from syslead.tutor.gradebook import roll

        known = {p.id for p in roll(course)}
    assignments = {a.id for a in manifest.assignments}
    out = []
    for sid, entry in sorted(manifest.extensions.items(), key=lambda kv: str(kv[0])):
        sid = str(sid)
        if known and sid not in known:
            near = difflib.get_close_matches(sid, sorted(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            out.append(f"course.yml gives an extension to {sid}, who is not a learner of this course{hint}: "
                       f"fix the id, or that learner's extension is not applied.")
        for name in (entry or {}) if isinstance(entry, dict) else ():
            if name != "all" and name not in assignments:
                near = difflib.get_close_matches(str(name), sorted(assignments), n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                out.append(f"course.yml gives {sid} an extension for {name}, which is not an assignment{hint}: "
                           f"fix the name, or the extension is not applied.")
    return out
