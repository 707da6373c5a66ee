"""``syslead circles ASSIGNMENT``: reflection circles, where learners read and answer each other's reflections.

nbgrader moves notebooks between a tutor and each learner; a circle moves one reflection between three or
four learners, through the same exchange. The steps, each one command, each safe to run again:

1. ``syslead circles A --size 3 [--seed N] [--teams teams.csv]`` (after ``nbgrader collect A``): reads the
   reflections each learner chose to share (the opt-in cell under each reflection,
   :mod:`syslead.learner.sharing`), forms circles at random with the seed, keeping people of one team
   apart when a team column is given, and writes the plan to ``circles/A/plan.json``. Who is left out
   (did not submit, did not share) is named. Run again before release, it keeps the circles it formed,
   adds learners who shared since, and drops a reflection that was withdrawn.
2. ``--show``, ``--move LEARNER --to N``, ``--hold LEARNER`` / ``--unhold LEARNER``: look at every circle
   and change it before release.
3. ``--release``: writes one notebook per circle (``circles/release/A-circle-N``) with the circle's
   shared reflections as plain text and a reply form under each, and releases it as the nbgrader
   assignment ``A-circle-N``. On a shared server its folder in the exchange is readable by the circle's
   members only (POSIX ACLs, set by the tutor who owns the folder), and the learners' assignment list
   shows only the circles they can read (:class:`syslead.learner.exchange.ReadableList`). Learners fetch
   it and submit it as they do any assignment.
4. ``--replies``: collects the circles' submissions (into ``circles/submitted``) and lists every reply
   with an id, for the tutor to read; ``--hold-reply ID`` keeps an unkind or unsafe reply back.
5. ``--return``: gives each author the replies to their reflection, with the replier's first name (or
   the name they chose), as a private assignment ``A-replies-CODE`` that only the author can fetch. A
   reply is never sent twice, and a held one never.

``--status`` (and :func:`participation`, which the dashboard and the export read) says who shared, who
replied and who is still waiting.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import hashlib
import json
import logging
import os
import random
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from syslead.errors import CourseError
from syslead.grading.submissions import read_notebook, refused
from syslead.learner.journal import answer_text
from syslead.learner.sharing import PARTS, PRACTICE, as_quote, opt_ins, plain_text, read_reply, reply_template
from syslead.tutor.course import Course, add_course_argument

HELP = "reflection circles: form them from the reflections learners shared, release them, return the replies"

FOLDER = "circles"
MIN_SIZE, MAX_SIZE = 2, 6


def _safe(text: object) -> str:
    """Learner-made text for a terminal: control characters shown as escapes, never acted on."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


@dataclass
class Shared:
    learner: str
    name: str  # what the circle sees
    reflections: dict[str, str]  # grade id -> plain text
    help: str = ""


@dataclass
class Plan:
    assignment: str
    seed: int
    size: int
    circles: list[list[str]] = field(default_factory=list)
    shared: dict[str, dict] = field(default_factory=dict)  # learner -> {name, reflections, help, held}
    left_out: dict[str, str] = field(default_factory=dict)  # learner -> why
    released: dict[str, str] = field(default_factory=dict)  # circle assignment id -> content digest
    released_at: str | None = None
    codes: dict[str, str] = field(default_factory=dict)  # learner -> private code for their replies
    returned: dict[str, list[str]] = field(default_factory=dict)  # learner -> reply ids sent to them
    held_replies: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # shared after release, not in a circle yet

    @staticmethod
    def path(course: Course, assignment: str) -> Path:
        return course.root / FOLDER / assignment / "plan.json"

    @classmethod
    def load(cls, course: Course, assignment: str) -> Plan | None:
        path = cls.path(course, assignment)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (ValueError, TypeError) as error:
            raise CourseError(f"The circles plan {path} cannot be read ({error}): restore it from a backup, or "
                              f"delete it and form the circles again.") from None

    def save(self, course: Course) -> Path:
        path = self.path(course, self.assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def circle_of(self, learner: str) -> int | None:
        for i, members in enumerate(self.circles):
            if learner in members:
                return i
        return None

    def circle_id(self, i: int) -> str:
        return f"{self.assignment}-circle-{i + 1}"


# --- reading what learners shared ---------------------------------------------------------------------

def _class_list(course: Course) -> dict[str, dict]:
    """learner id -> {first_name, email} from the gradebook (empty without one)."""
    if not course.has_gradebook():
        return {}
    with course.gradebook() as gb:
        return {s.id: {"first_name": s.first_name or "", "email": s.email or ""} for s in gb.students}


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())


def gather(course: Course, assignment: str) -> tuple[dict[str, Shared], dict[str, str]]:
    """(learner -> what they shared, learner -> why they are left out), from the collected submissions."""
    course.check_assignment(assignment)
    submitted = course.submitted(assignment)
    if not submitted:
        course.require_submissions(assignment)  # raises the sentence that says how to collect
    people = _class_list(course)
    shared: dict[str, Shared] = {}
    left_out: dict[str, str] = {}
    for learner, folder in submitted.items():
        if people and learner not in people:
            left_out[learner] = "not in the class list (a tutor's test submission?)"
            continue
        bad = refused(folder)
        if bad:
            left_out[learner] = f"submission not read ({bad[0]})"
            continue
        chosen: dict[str, str] = {}
        name, help_wanted, empty = "", "", []
        for path in _notebooks(folder):
            nb, why = read_notebook(path)
            if nb is None:
                left_out[learner] = f"{path.name} {why}"
                continue
            choices = opt_ins(nb)
            by_id = {}
            for cell in nb.get("cells", []):
                gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
                if isinstance(gid, str):
                    by_id[gid] = cell
            for rid, choice in choices.items():
                if not choice.share:
                    continue
                cell = by_id.get(rid)
                text = answer_text(_source(cell)) if cell else None
                if not text:
                    empty.append(rid)
                    continue
                chosen[rid] = plain_text(text)
                name = name or choice.name
                help_wanted = help_wanted or choice.help
        if chosen:
            left_out.pop(learner, None)
            first = (people.get(learner, {}).get("first_name") or "").strip().split(" ")[0]
            shared[learner] = Shared(learner, name or first or learner, chosen, help_wanted)
        elif learner not in left_out:
            left_out[learner] = ("chose to share a reflection they had not written" if empty
                                 else "did not choose to share a reflection")
    for learner in people:
        if learner not in submitted:
            left_out[learner] = "did not submit"
    return shared, left_out


def _source(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


# --- forming circles ----------------------------------------------------------------------------------

def circle_count(n: int, size: int) -> int:
    """How many circles for ``n`` people: every circle ``size`` or ``size + 1`` where that can be, else
    as close to ``size`` as it can be."""
    def cost(k: int) -> tuple[int, int]:
        small, big = n // k, -(-n // k)
        return (max(abs(small - size) if small < size else 0, big - size - 1 if big > size + 1 else 0), -k)

    return min(range(1, n + 1), key=cost)


def form(learners: list[str], size: int, seed: int, teams: dict[str, str] | None = None) -> list[list[str]]:
    """Circles of about ``size`` from ``learners``, at random with ``seed``; two people of one team share a
    circle only where no other placement is left."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise CourseError(f"A circle of {size} does not work: give --size between {MIN_SIZE} and {MAX_SIZE} "
                          f"(three or four is best).")
    if len(learners) < 2:
        raise CourseError(f"Only {len(learners)} learner shared a reflection, and a circle needs two or more: "
                          f"wait for more learners to share (they write yes under a reflection and submit "
                          f"again), collect, and run this again.")
    teams = teams or {}
    order = sorted(learners)
    random.Random(seed).shuffle(order)
    k = circle_count(len(order), size)
    cap = -(-len(order) // k)
    circles: list[list[str]] = [[] for _ in range(k)]
    for learner in order:
        team = teams.get(learner)
        open_ = [i for i in range(k) if len(circles[i]) < cap]
        best = min(open_, key=lambda i: (sum(1 for m in circles[i] if team and teams.get(m) == team),
                                         len(circles[i]), i))
        circles[best].append(learner)
    return [sorted(c) for c in circles]


def read_teams(path: Path) -> dict[str, str]:
    """learner id -> team, from a CSV with columns ``id`` (or ``learner``/``student``) and ``team``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as error:
        raise CourseError(f"The team list {path} cannot be read ({error.strerror}): check the path.") from None
    if not rows:
        return {}
    columns = {c.lower().strip(): c for c in rows[0] if c}
    who = next((columns[c] for c in ("id", "learner", "student", "username") if c in columns), None)
    if who is None or "team" not in columns:
        raise CourseError(f"The team list {path} needs a column 'id' (the learner's id) and a column 'team': "
                          f"it has {', '.join(columns) or 'none'}.")
    return {row[who].strip(): (row[columns["team"]] or "").strip() for row in rows if row.get(who)}


def plan_circles(course: Course, assignment: str, *, size: int = 3, seed: int | None = None,
                 teams: dict[str, str] | None = None, reshuffle: bool = False) -> tuple[Plan, list[str]]:
    """Form (or update) the circles of ``assignment``; returns the plan and sentences about what changed."""
    shared, left_out = gather(course, assignment)
    plan = Plan.load(course, assignment)
    notes: list[str] = []
    record = {s.learner: {"name": s.name, "reflections": s.reflections, "help": s.help} for s in shared.values()}
    if plan is None or (reshuffle and not plan.released_at):
        seed = secrets.randbelow(10**6) if seed is None else seed
        plan = Plan(assignment, seed, size)
        plan.circles = form(sorted(shared), size, seed, teams)
        for learner, entry in record.items():
            plan.shared[learner] = {**entry, "held": []}
        plan.left_out = left_out
        return plan, notes
    # Run again: keep the circles; follow withdrawals and late sharers.
    for learner in list(plan.shared):
        if learner in record:
            held = plan.shared[learner].get("held", [])
            if not plan.released_at:
                plan.shared[learner] = {**record[learner], "held": held}
            continue
        if plan.released_at:
            notes.append(f"{_safe(learner)} no longer shares in their latest submission, but the circles were released "
                         f"on {plan.released_at}: their reflection stays in circle "
                         f"{(plan.circle_of(learner) or 0) + 1}; use --hold {_safe(learner)} and --release to take "
                         f"it out.")
            continue
        notes.append(f"{_safe(learner)} withdrew their reflection: it is taken out of their circle.")
        del plan.shared[learner]
        i = plan.circle_of(learner)
        if i is not None:
            plan.circles[i].remove(learner)
    new = sorted(set(record) - set(plan.shared))
    for learner in new:
        if plan.released_at:
            if learner not in plan.late:
                plan.late.append(learner)
            notes.append(f"{_safe(learner)} shared after the circles were released: add them with --move "
                         f"{_safe(learner)} --to N, then --release again (only that circle is sent again).")
            plan.shared[learner] = {**record[learner], "held": []}
            continue
        plan.shared[learner] = {**record[learner], "held": []}
        team = (teams or {}).get(learner)
        target = min(range(len(plan.circles)) or [0], key=lambda i: (
            sum(1 for m in plan.circles[i] if team and (teams or {}).get(m) == team), len(plan.circles[i]), i))
        if not plan.circles:
            plan.circles.append([])
        plan.circles[target].append(learner)
        notes.append(f"{_safe(learner)} shared since the circles were formed: added to circle {target + 1}.")
    plan.circles = [c for c in plan.circles if c] or plan.circles
    plan.left_out = {k: v for k, v in left_out.items() if k not in plan.shared}
    for i, members in enumerate(plan.circles):
        if len(members) == 1:
            notes.append(f"Circle {i + 1} has only {_safe(members[0])}: move them into another circle with "
                         f"--move {_safe(members[0])} --to N before release.")
    return plan, notes


# --- changing a plan by hand --------------------------------------------------------------------------

def move(plan: Plan, learner: str, to: int) -> str:
    if learner not in plan.shared:
        raise CourseError(f"{_safe(learner)} has no shared reflection in {plan.assignment}'s circles (sharing: "
                          f"{', '.join(map(_safe, sorted(plan.shared))) or 'nobody'}): check the id.")
    if not 1 <= to <= len(plan.circles) + 1:
        raise CourseError(f"There is no circle {to}: give a number from 1 to {len(plan.circles)}, or "
                          f"{len(plan.circles) + 1} for a new circle.")
    old = plan.circle_of(learner)
    if old is not None:
        plan.circles[old].remove(learner)
    if to == len(plan.circles) + 1:
        plan.circles.append([])
    plan.circles[to - 1].append(learner)
    plan.circles[to - 1].sort()
    if learner in plan.late:
        plan.late.remove(learner)
    return f"{_safe(learner)} is now in circle {to}."


def hold(plan: Plan, learner: str, *, on: bool = True) -> str:
    if learner not in plan.shared:
        raise CourseError(f"{_safe(learner)} has no shared reflection in {plan.assignment}'s circles: check the id.")
    plan.shared[learner]["held"] = list(plan.shared[learner]["reflections"]) if on else []
    return (f"{_safe(learner)}'s reflection is held back: their circle will not see it (they still see and answer "
            f"the others')." if on else f"{_safe(learner)}'s reflection will be shared again.")


# --- the circle notebooks and their release -----------------------------------------------------------

def _titles(course: Course, assignment: str) -> dict[str, str]:
    """reflection grade id -> its title (the prompt's heading), read from the source notebook."""
    titles: dict[str, str] = {}
    manifest = course.manifest_assignment(assignment)
    source = course.root / manifest.source_notebook if manifest else None
    if source and source.is_file():
        nb, _ = read_notebook(source)
        cells = nb.get("cells", []) if nb else []
        for i, cell in enumerate(cells):
            gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
            if manifest and gid in {r.id for r in manifest.reflections}:
                prompt = next((_source(c) for c in reversed(cells[:i]) if c.get("cell_type") == "markdown"), "")
                heading = next((line.lstrip("# ").strip() for line in prompt.splitlines() if line.startswith("#")), "")
                titles[gid] = re.sub(r"\s*\(\d+(\.\d+)? points?\)\s*$", "", heading) or gid
    return titles


def reflection_token(plan: Plan, learner: str, reflection: str) -> str:
    """An opaque code for one shared reflection (no learner id in any learner's file)."""
    return hashlib.sha256(f"{plan.seed}:{plan.assignment}:{learner}:{reflection}".encode()).hexdigest()[:12]


def circle_notebook(course: Course, plan: Plan, i: int):
    import nbformat

    titles = _titles(course, plan.assignment)
    members = plan.circles[i]
    names = [plan.shared[m]["name"] for m in members]
    manifest = course.manifest_assignment(plan.assignment)
    title = manifest.title if manifest else plan.assignment
    cells = [nbformat.v4.new_markdown_cell(
        f"# Your reflection circle: {title}\n\n"
        f"Your circle: {', '.join(names)}. Each of you chose to share a reflection. Read each one below and "
        f"answer it in the box under it, in three short parts. About 10 minutes a reflection.\n\n"
        f"- **What I noticed**: something in the reflection that struck you, in its own words if you can.\n"
        f"- **A question I would ask you**: a question that helps the writer think further, not advice in "
        f"disguise.\n"
        f"- **Something I would try in my own service**: what their reflection gives you.\n\n"
        f"Be as kind and as honest as you would want a colleague to be. Your tutor reads the replies before "
        f"they go back to the writers, with your name as it appears above. Double-click a reply box to write in "
        f"it, and press Shift+Enter to see it as text again. Leave the box under your own reflection empty. "
        f"When you are done, save and submit this notebook as you submit an assignment.\n\n"
        f"*The protocol is adapted from {PRACTICE}.*")]
    for member in members:
        entry = plan.shared[member]
        for rid, text in entry["reflections"].items():
            if rid in entry.get("held", []):
                continue
            token = reflection_token(plan, member, rid)
            heading = f"## {entry['name']}: {titles.get(rid, 'a reflection')}"
            help_line = f"\n\n*The help {entry['name']} would like:* {as_quote(entry['help'])[2:]}" if entry.get("help") else ""
            cells.append(nbformat.v4.new_markdown_cell(f"{heading}\n\n{as_quote(text)}{help_line}",
                                                       metadata={"syslead": {"shared": token}}))
            cells.append(nbformat.v4.new_markdown_cell(reply_template(entry["name"]),
                                                       metadata={"syslead": {"reply_to": token}}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["syslead"] = {"circle": {"assignment": plan.assignment, "circle": i + 1}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def _digest(nb) -> str:
    return hashlib.sha256(json.dumps([c.source for c in nb.cells]).encode()).hexdigest()[:16]


def _api(course: Course):
    from nbgrader.apps import NbGraderAPI

    config = copy.deepcopy(course.config)  # the course's own settings stay as they are
    config.CourseDirectory.release_directory = f"{FOLDER}/release"
    config.CourseDirectory.submitted_directory = f"{FOLDER}/submitted"
    config.ExchangeReleaseAssignment.force = True
    log = logging.getLogger("syslead.circles")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return NbGraderAPI(config=config, log=log)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        from syslead.tutor.autograde import _error_line

        raise CourseError(f"nbgrader could not {what}: {_error_line(result)}")


def _accounts(learners: list[str]) -> tuple[list[str], list[str]]:
    """(learners with a Unix account here, learners without)."""
    import pwd

    have, lack = [], []
    for learner in learners:
        try:
            pwd.getpwnam(learner)
            have.append(learner)
        except KeyError:
            lack.append(learner)
    return have, lack


def restrict(folder: Path, readers: list[str]) -> str:
    """Make ``folder`` (a released assignment in the exchange) readable by its owner and ``readers`` only.

    With accounts for every reader, other accounts lose all access and each reader gets read access by
    a POSIX ACL. With none (a one-machine course: everyone is one account) nothing needs changing."""
    if os.environ.get("SYSLEAD_EXCHANGE_LAYOUT") == "per-learner":
        raise CourseError("In the per-learner exchange layout (Kubernetes) every learner's server runs as one user, "
                          "so a circle's folder cannot be limited to its members: run circles on a hub with one "
                          "account per learner (deploy/jupyterhub), or not at all.")
    have, lack = _accounts(readers)
    if not have:
        return "one account for everybody here: no per-circle permissions needed"
    setfacl = shutil.which("setfacl")
    if not setfacl:
        raise CourseError("setfacl is not installed, so a circle's folder cannot be limited to its members: install "
                          "the Debian package 'acl' (deploy/jupyterhub/install.sh does), then --release again.")
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, (os.stat(path).st_mode & 0o7770) & ~0o007)
    spec = ",".join(f"u:{learner}:rX" for learner in have)
    subprocess.run([setfacl, "-R", "-m", spec, str(folder)], check=True, capture_output=True)
    if lack:
        return f"readable by {len(have)} accounts; no account for {', '.join(map(_safe, lack))}"
    return f"readable by its {len(have)} members only"


def release(course: Course, assignment: str, *, quiet: bool = False) -> list[str]:
    """Release each circle's notebook (again only where it changed); returns what was done."""
    plan = _need_plan(course, assignment)
    single = [i + 1 for i, c in enumerate(plan.circles) if len(c) == 1]
    if single:
        raise CourseError(f"Circle {single[0]} has one member, who would have nobody to read: move them into "
                          f"another circle (--move ID --to N), then --release.")
    import nbformat

    api = _api(course)
    done = []
    exchange = course.exchange_root / course.course_id / "outbound"
    for i, members in enumerate(plan.circles):
        if not members:
            continue
        aid = plan.circle_id(i)
        nb = circle_notebook(course, plan, i)
        digest = _digest(nb)
        if plan.released.get(aid) == digest:
            continue
        folder = course.root / FOLDER / "release" / aid
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / f"{aid}.ipynb"))
        _check(api.release_assignment(aid), f"release {aid}")
        how = restrict(exchange / aid, members)
        again = " again" if aid in plan.released else ""
        plan.released[aid] = digest
        done.append(f"Released {aid}{again} to {len(members)} learners ({how}).")
    if not done:
        done.append(f"Nothing changed since the circles of {assignment} were released on {plan.released_at}: "
                    f"nothing was sent again.")
    plan.released_at = plan.released_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    plan.save(course)
    return done


def _need_plan(course: Course, assignment: str) -> Plan:
    plan = Plan.load(course, assignment)
    if plan is None:
        raise CourseError(f"The circles of {assignment} have not been formed yet: run 'syslead circles "
                          f"{assignment} --size 3' after collecting it.")
    return plan


# --- replies ------------------------------------------------------------------------------------------

@dataclass
class Reply:
    id: str
    circle: int
    author: str  # who wrote the reflection
    reflection: str
    replier: str
    parts: dict[str, str]
    held: bool = False


def collect_replies(course: Course, assignment: str) -> tuple[list[Reply], list[str]]:
    """Collect the circles' submissions and read every reply; returns the replies and one sentence per
    submission that could not be read."""
    from syslead.tutor.collect import owners

    plan = _need_plan(course, assignment)
    api = _api(course)
    notes = []
    for i in range(len(plan.circles)):
        aid = plan.circle_id(i)
        found = owners(course, aid)
        if not found:
            continue
        if len(set(found.values())) == 1 and len(found) > 1:
            api.config.CollectApp.check_owner = False
        _check(api.collect(aid), f"collect {aid}")
    tokens = {reflection_token(plan, m, rid): (m, rid) for m in plan.shared for rid in plan.shared[m]["reflections"]}
    replies: list[Reply] = []
    base = course.root / FOLDER / "submitted"
    for i, members in enumerate(plan.circles):
        aid = plan.circle_id(i)
        for member in members:
            folder = base / member / aid
            if not folder.is_dir():
                continue
            notebooks = _notebooks(folder)
            if not notebooks:
                notes.append(f"{_safe(member)}'s reply to circle {i + 1} has no notebook (renamed or deleted?): ask "
                             f"them to fetch the circle again and submit it.")
                continue
            for path in notebooks:
                nb, why = read_notebook(path)
                if nb is None:
                    notes.append(f"{_safe(member)}'s reply notebook {_safe(path.name)} {why}: ask them to submit it again.")
                    continue
                for cell in nb.get("cells", []):
                    token = ((cell.get("metadata") or {}).get("syslead") or {}).get("reply_to")
                    if token not in tokens:
                        continue
                    author, rid = tokens[token]
                    if author == member or member not in plan.circles[i] or author not in plan.circles[i]:
                        continue  # one's own box, or a reply from outside the circle
                    parts = read_reply(_source(cell))
                    if parts:
                        rid_hash = hashlib.sha256(f"{token}:{member}".encode()).hexdigest()[:8]
                        replies.append(Reply(rid_hash, i + 1, author, rid, member, parts,
                                             rid_hash in plan.held_replies))
    (course.root / FOLDER / assignment).mkdir(parents=True, exist_ok=True)
    (course.root / FOLDER / assignment / "replies.json").write_text(
        json.dumps([r.__dict__ for r in replies], indent=1, ensure_ascii=False), encoding="utf-8")
    return replies, notes


def hold_reply(course: Course, assignment: str, reply_id: str, *, on: bool = True) -> str:
    plan = _need_plan(course, assignment)
    replies = _saved_replies(course, assignment)
    if reply_id not in {r.id for r in replies}:
        raise CourseError(f"There is no reply {_safe(reply_id)} in {assignment}'s circles: run --replies to list them "
                          f"with their ids.")
    if on and any(reply_id in sent for sent in plan.returned.values()):
        raise CourseError(f"Reply {_safe(reply_id)} was already returned to its author, and cannot be taken back: "
                          f"talk to the people involved.")
    if on and reply_id not in plan.held_replies:
        plan.held_replies.append(reply_id)
    if not on and reply_id in plan.held_replies:
        plan.held_replies.remove(reply_id)
    plan.save(course)
    return f"Reply {_safe(reply_id)} is {'held back: its author will never see it' if on else 'no longer held'}."


def _saved_replies(course: Course, assignment: str) -> list[Reply]:
    path = course.root / FOLDER / assignment / "replies.json"
    if not path.is_file():
        raise CourseError(f"No replies of {assignment}'s circles have been read yet: run 'syslead circles "
                          f"{assignment} --replies' first.")
    return [Reply(**r) for r in json.loads(path.read_text(encoding="utf-8"))]


def replies_notebook(course: Course, plan: Plan, author: str, replies: list[Reply]):
    import nbformat

    titles = _titles(course, plan.assignment)
    names = {m: plan.shared[m]["name"] for m in plan.shared}
    cells = [nbformat.v4.new_markdown_cell(
        "# Replies from your reflection circle\n\n"
        "Your circle read the reflection you shared and answered it. Read the replies, then write in your "
        "learning journal what was most useful and what you will do. Nothing needs to be submitted.")]
    for rid in plan.shared[author]["reflections"]:
        mine = [r for r in replies if r.reflection == rid]
        if not mine:
            continue
        cells.append(nbformat.v4.new_markdown_cell(
            f"## Your reflection: {titles.get(rid, rid)}\n\n{as_quote(plan.shared[author]['reflections'][rid])}"))
        for r in mine:
            body = "\n\n".join(f"**{label}:** {as_quote(r.parts[key])[2:]}" for label, key in PARTS if key in r.parts)
            cells.append(nbformat.v4.new_markdown_cell(
                f"### From {names.get(r.replier, 'a member of your circle')}\n\n{body}",
                metadata={"syslead": {"reply": {"reflection": rid, "from": names.get(r.replier, ""),
                                                **r.parts}}}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["syslead"] = {"circle_replies": {"assignment": plan.assignment}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def return_replies(course: Course, assignment: str) -> list[str]:
    """Send each author the replies not yet sent (held ones never), as a private assignment."""
    import nbformat

    plan = _need_plan(course, assignment)
    replies = [r for r in _saved_replies(course, assignment) if r.id not in plan.held_replies]
    api = _api(course)
    exchange = course.exchange_root / course.course_id / "outbound"
    done = []
    for author in sorted({r.author for r in replies}):
        sent = set(plan.returned.get(author, []))
        new = [r for r in replies if r.author == author and r.id not in sent]
        if not new:
            continue
        code = plan.codes.setdefault(author, secrets.token_hex(3))
        round_ = 1 + sum(1 for aid in plan.released if aid.startswith(f"{assignment}-replies-{code}"))
        aid = f"{assignment}-replies-{code}" + (f"-{round_}" if round_ > 1 else "")
        folder = course.root / FOLDER / "release" / aid
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(replies_notebook(course, plan, author, new), str(folder / f"{aid}.ipynb"))
        _check(api.release_assignment(aid), f"release {aid}")
        how = restrict(exchange / aid, [author])
        plan.released[aid] = "replies"
        plan.returned[author] = sorted(sent | {r.id for r in new})
        plan.save(course)
        done.append(f"{_safe(author)}: {len(new)} replies in {aid} ({how}).")
    held = len([r for r in _saved_replies(course, assignment) if r.id in plan.held_replies])
    if held:
        done.append(f"{held} held replies were not sent.")
    if not [d for d in done if not d.endswith("were not sent.")]:
        done.insert(0, "No new replies to return: every reply read so far has been sent (held ones never are).")
    return done


# --- participation ------------------------------------------------------------------------------------

def participation(course: Course, assignment: str) -> dict[str, dict]:
    """learner -> {shared, circle, replied, received, waiting}: for --status, the dashboard and the export."""
    plan = Plan.load(course, assignment)
    if plan is None:
        return {}
    path = course.root / FOLDER / assignment / "replies.json"
    replies = [Reply(**r) for r in json.loads(path.read_text(encoding="utf-8"))] if path.is_file() else []
    out = {}
    for learner in sorted(set(plan.shared) | set(plan.left_out)):
        i = plan.circle_of(learner)
        replied = sum(1 for r in replies if r.replier == learner)
        out[learner] = {
            "shared": learner in plan.shared,
            "circle": None if i is None else i + 1,
            "replied": replied,
            "received": len(plan.returned.get(learner, [])),
            "waiting": bool(plan.released_at and i is not None and replied == 0),
            "why_not": plan.left_out.get(learner, ""),
        }
    return out


def participation_line(entry: dict) -> str:
    """One cell of the export's participation column."""
    if not entry.get("shared"):
        return "did not share"
    return f"shared; replied {entry['replied']}; received {entry['received']}"


# --- the command --------------------------------------------------------------------------------------

def show(plan: Plan, course: Course) -> str:
    titles = _titles(course, plan.assignment)
    lines = [f"Circles of {plan.assignment} (seed {plan.seed}"
             + (f", released {plan.released_at})" if plan.released_at else ", not released yet)")]
    for i, members in enumerate(plan.circles):
        lines.append(f"  circle {i + 1}:")
        for m in members:
            entry = plan.shared[m]
            held = " (held back)" if entry.get("held") else ""
            what = "; ".join(titles.get(r, r) for r in entry["reflections"])
            lines.append(f"    {_safe(m)} as {_safe(entry['name'])}: {_safe(what)}{held}")
    for m in plan.late:
        lines.append(f"  waiting for a circle (shared after release): {_safe(m)}")
    if plan.left_out:
        lines.append("  left out:")
        lines += [f"    {_safe(m)}: {why}" for m, why in sorted(plan.left_out.items())]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_argument(parser)
    parser.add_argument("assignment", help="the assignment whose shared reflections form the circles")
    parser.add_argument("--size", type=int, default=3, help="people per circle (default 3; 3 or 4 is best)")
    parser.add_argument("--seed", type=int, help="the random seed (same seed and learners, same circles)")
    parser.add_argument("--teams", type=Path, help="a CSV with columns id and team: keep a team's people apart")
    parser.add_argument("--reshuffle", action="store_true", help="form the circles afresh (before release only)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--show", action="store_true", help="show the circles and who is left out")
    action.add_argument("--move", metavar="LEARNER", help="move a learner to the circle given by --to")
    action.add_argument("--hold", metavar="LEARNER", help="hold back a learner's shared reflection")
    action.add_argument("--unhold", metavar="LEARNER", help="share a held-back reflection again")
    action.add_argument("--release", action="store_true", help="release the circles through the exchange")
    action.add_argument("--replies", action="store_true", help="collect the circles and list every reply")
    action.add_argument("--hold-reply", metavar="ID", help="keep a reply back from its author")
    action.add_argument("--unhold-reply", metavar="ID", help="let a held reply go to its author")
    action.add_argument("--return", dest="return_", action="store_true", help="send the replies to their authors")
    action.add_argument("--status", action="store_true", help="who shared, who replied, who is waiting")
    parser.add_argument("--to", type=int, metavar="N", help="with --move: the circle's number")


def run(args: argparse.Namespace) -> int:
    from syslead.tutor.backup import writing

    course = Course.find(args.course)
    course.check_assignment(args.assignment)
    a = args.assignment
    if args.show:
        print(show(_need_plan(course, a), course))
        return 0
    if args.status:
        rows = participation(course, a)
        if not rows:
            raise CourseError(f"The circles of {a} have not been formed yet: run 'syslead circles {a} --size 3'.")
        for learner, e in rows.items():
            state = participation_line(e) + (", waiting to reply" if e["waiting"] else "")
            print(f"{_safe(learner)}: {state}" + (f" ({e['why_not']})" if e["why_not"] else ""))
        return 0
    with writing(course, "circles", backup=False):
        if args.move or args.hold or args.unhold:
            plan = _need_plan(course, a)
            if args.move:
                if args.to is None:
                    raise CourseError("Say which circle with --to N (see --show for the numbers).")
                print(move(plan, args.move, args.to))
            else:
                print(hold(plan, args.hold or args.unhold, on=bool(args.hold)))
            plan.save(course)
            return 0
        if args.release:
            print("\n".join(release(course, a)))
            return 0
        if args.replies:
            replies, notes = collect_replies(course, a)
            for r in replies:
                held = " [held]" if r.held else ""
                print(f"{r.id}{held}  circle {r.circle}, {_safe(r.replier)} to {_safe(r.author)}:")
                for label, key in PARTS:
                    if key in r.parts:
                        print(f"    {label}: {_safe(r.parts[key])}")
            print(f"{len(replies)} replies read." if replies else "No replies yet.")
            for note in notes:
                print(note)
            return 0
        if args.hold_reply or args.unhold_reply:
            print(hold_reply(course, a, args.hold_reply or args.unhold_reply, on=bool(args.hold_reply)))
            return 0
        if args.return_:
            print("\n".join(return_replies(course, a)))
            return 0
        teams = read_teams(args.teams) if args.teams else None
        plan, notes = plan_circles(course, a, size=args.size, seed=args.seed, teams=teams, reshuffle=args.reshuffle)
        plan.save(course)
        print(show(plan, course))
        for note in notes:
            print(note)
        print(f"Next: look the circles over (--move, --hold), then run 'syslead circles {a} --release'.")
    return 0
