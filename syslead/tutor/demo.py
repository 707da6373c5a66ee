"""``syslead demo --learners 60``: a synthetic cohort to try the tutor's tools on.

It copies the course (source/, release/, notebooks/, data/, nbgrader_config.py) into a new folder
(default ``demo-course/``) and runs the whole term there through nbgrader's own Python API and exchange
classes: ``generate_assignment`` (with due dates a week apart), ``release_assignment``, then for each
learner ``fetch_assignment``, answering in the fetched notebook, and ``submit``, then ``collect`` and
``syslead autograde``. Afterwards ``cd demo-course && jupyter lab`` opens a course whose formgrader has
submissions waiting for manual grading.

Learners are fictional (``example.org`` addresses). Each learner has an engagement pattern (steady,
variable or fading) and each submission is one of: **complete** (every quick question right, three
reflections), **partial** (some questions left unanswered, one or two reflections), **wrong** (answers
given but wrong, thin reflections), **blank** (submitted untouched), **late** (complete, after the due
date), or not submitted at all. Reflections are assembled from sentences written for people who lead
public services (a reablement team, a GP practice, a housing options team, ...), at one of Kember et al.'s
(2008) four depths, so that they differ in length, Gibbs stages and quality. Everything is drawn from one
seeded random generator: the same ``--seed`` and ``--learners`` give the same cohort, answers and times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from syslead.course import Delimiters, delimiters, load_course
from syslead.errors import CourseError
from syslead.learner.checks import marker_name
from syslead.tutor.backup import writing
from syslead.tutor.course import Course, find_root, load_config

HELP = "build a synthetic cohort (complete, partial, blank, wrong, late) and run it through nbgrader"

COURSE_PARTS = ["source", "release", "notebooks", "data", "nbgrader_config.py", "course.yml"]

#: The first due date of the demo term (UTC); later assignments are due a week apart.
FIRST_DUE = dt.datetime(2025, 1, 20, 17, 0)

KINDS = ("complete", "partial", "wrong", "blank", "late", "missing")

#: How likely each kind of submission is, by the learner's engagement pattern.
PROFILES = {
    "steady": (0.72, 0.12, 0.04, 0.02, 0.06, 0.04),
    "variable": (0.40, 0.22, 0.12, 0.08, 0.10, 0.08),
    "fading": (0.22, 0.18, 0.12, 0.14, 0.08, 0.26),
}
ENGAGEMENT = (("steady", 0.55), ("variable", 0.30), ("fading", 0.15))

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Eilidh", "Farah", "Gareth", "Hana", "Ifeoma", "Jack", "Kiran", "Lowri",
    "Marek", "Nadia", "Owen", "Priya", "Quinn", "Rhys", "Siobhan", "Tomasz", "Uzma", "Victor", "Wen", "Yusuf",
    "Zara", "Aled", "Bethan", "Callum", "Deborah", "Emeka", "Fiona", "Grace", "Hamza", "Isla", "Joseph",
)
LAST_NAMES = (
    "Okafor", "Patel", "Williams", "Nowak", "MacLeod", "Hussain", "Jones", "Evans", "Khan", "O'Neill", "Smith",
    "Begum", "Campbell", "Adeyemi", "Murphy", "Thomas", "Chen", "Davies", "Kowalski", "Ahmed", "Roberts",
    "Mensah", "Fraser", "Singh", "Hughes", "Kaur", "Walsh", "Brown", "Lewis", "Ali",
)

#: (service, team, a colleague's role) for the learner's own workplace.
SERVICES = (
    ("adult social care", "our reablement team", "the duty social worker"),
    ("a GP practice", "the reception and care navigation team", "the practice manager"),
    ("a council housing options service", "the homelessness prevention team", "a housing officer"),
    ("a secondary school", "the pastoral team", "the head of year"),
    ("the probation service", "a local delivery unit", "a senior probation officer"),
    ("a county library service", "the mobile library team", "the area librarian"),
    ("a fire and rescue service", "a community safety team", "the watch manager"),
    ("a hospital discharge hub", "the discharge coordinators", "the ward sister"),
    ("a youth service", "the detached youth work team", "a youth worker"),
    ("children's services", "an early help team", "the family support worker"),
    ("a neighbourhood policing team", "the neighbourhood team", "a police community support officer"),
    ("a benefits and revenues service", "the customer contact centre", "the team leader"),
)

#: What each reflection is about (a subject from the learner's work, an idea from the reading, a concrete
#: next step) comes from the course manifest: each reflection's ``demo_topics`` in course.yml.
GENERIC_TOPIC = (
    ("a recent change in my service",),
    ("the idea from the reading",),
    ("try a small change next month and ask the team how it went",),
)

#: Sentences by depth; fields are filled from the learner's workplace and the question's topic.
DESCRIBE = (
    "In {service}, {team} dealt with {subject} over the last year.",
    "Last spring {subject} landed on {team} in {service} with very little warning.",
    "I work in {service} and I was part of {team} when {subject} came up.",
    "A recent example from my work in {service} is {subject}.",
)
HABITUAL = (
    "We followed the usual process and it was done in the end.",
    "My manager sent it round and people got on with it.",
    "It was the normal way things happen here.",
    "Everyone did their part and the deadline was met.",
)
UNDERSTAND = (
    "The reading helped me see this as {idea}.",
    "Looking at it through {idea}, it makes sense that some people heard late and some not at all.",
    "The model in the notebook shows {idea}, and that matches what happened to {team}.",
)
FEEL = (
    "I felt frustrated when {role} told me weeks later that nobody had mentioned it to them.",
    "Honestly I was anxious, because I was the one who would be blamed if it went wrong.",
    "I was surprised, and a bit embarrassed, at how much depended on me being in the office.",
    "I felt proud of the team, but also tired of fixing the same gap again and again.",
)
EVALUATE = (
    "What went well was that the people who talked to each other every day got it first; what went badly "
    "was everyone who relied on the official route.",
    "The formal route was slow and patchy, while the informal one was quick but left some people out.",
    "It worked for the people in the building and failed for part-time and night staff.",
)
ANALYSE = (
    "I think this happened because we treat {subject} as a message to send rather than a change people have "
    "to make sense of together.",
    "The reason, I now believe, is that our structure assumes the person at the top holds the information "
    "and everyone else waits.",
    "Perhaps the model leaves out trust: {role} passed it on to colleagues they trusted, not to the list "
    "they were given.",
)
CRITICAL = (
    "I also have to question my own assumption that more control would have made it safer; the evidence "
    "from our own team suggests the opposite.",
    "It makes me ask whose voices our process leaves out, especially families and staff on the front line, "
    "and whether I have been part of that.",
    "If I am honest, the hierarchy suits me because it makes me feel in control, and that is worth "
    "challenging.",
)
LEARN = (
    "I have learned that a message is not delivered because it was sent.",
    "Looking back, I could have asked the people closest to the work how it would land before we decided.",
    "I realised that the informal network is part of how the service actually runs.",
)
ACT = (
    "Next time I will {action}.",
    "From next month I plan to {action}, and I will check with {role} whether it helped.",
    "My next step is to {action} before the next change comes along.",
)
SHORT_WRONG = (
    "Messages go down the chain of command.",
    "Not sure this applies to my job, we just follow procedure.",
    "It was fine.",
    "Our service is different because it is regulated.",
)


@dataclass
class Learner:
    id: str
    first_name: str
    last_name: str
    engagement: str
    service: tuple[str, str, str]
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"{self.id}@example.org"


@dataclass
class Cohort:
    """What the demo built: where, who, and the kind of each submission."""

    root: Path
    learners: list[Learner]
    assignments: list[str]
    seed: int
    autograde_report: object = None

    def kinds(self) -> dict[tuple[str, str], str]:
        return {(a, learner.id): learner.kinds[a] for learner in self.learners for a in self.assignments}


def _pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def make_learners(n: int, assignments: list[str], seed: int) -> list[Learner]:
    rng = random.Random(seed)
    used: set[str] = set()
    learners = []
    for _ in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = re.sub(r"[^a-z]", "", f"{first[0]}{last}".lower())
        ident, k = base, 2
        while ident in used:
            ident, k = f"{base}{k}", k + 1
        used.add(ident)
        engagement = _pick(rng, ENGAGEMENT)
        learner = Learner(ident, first, last, engagement, rng.choice(SERVICES))
        for i, name in enumerate(assignments):
            weights = list(PROFILES[engagement])
            if engagement == "fading":  # drop off as the term goes on
                weights[-1] *= 1 + i
            learner.kinds[name] = rng.choices(KINDS, weights=weights)[0]
        learners.append(learner)
    return learners


def topics(grade_id: str, course=None) -> dict:
    """The demo topics of one reflection, from the manifest (``demo_topics``), else generic ones."""
    found = (course or load_course()).graded_cell(grade_id)
    given = dict(found[1].demo_topics) if found else {}
    subjects, ideas, actions = GENERIC_TOPIC
    return {"subjects": given.get("subjects", subjects), "ideas": given.get("ideas", ideas),
            "actions": given.get("actions", actions), "ratings": given.get("ratings", 0)}


def write_reflection(rng: random.Random, grade_id: str, learner: Learner, depth: int, course=None) -> str:
    """A reflection at one of Kember et al.'s four depths (1 habitual action ... 4 critical reflection)."""
    topic = topics(grade_id, course)
    subjects, ideas, actions = topic["subjects"], topic["ideas"], topic["actions"]
    service, team, role = learner.service
    fill = dict(service=service, team=team, role=role, subject=rng.choice(subjects), idea=rng.choice(ideas),
                action=rng.choice(actions))
    parts = [rng.choice(DESCRIBE)]
    if depth == 1:
        parts += rng.sample(HABITUAL, 2)
    if depth >= 2:
        parts += [rng.choice(UNDERSTAND), rng.choice(EVALUATE)]
    if depth >= 3:
        parts.insert(1, rng.choice(FEEL))
        parts += [rng.choice(ANALYSE), rng.choice(LEARN), rng.choice(ACT)]
    if depth == 4:
        parts.insert(-1, rng.choice(CRITICAL))
        other = [a for a in actions if a != fill["action"]]
        if other:
            parts.append(rng.choice(ACT).replace("{action}", other[0]))
    if topic["ratings"] and depth >= 2:  # a reflection that asks the learner to rate themselves first
        ratings = ", ".join(str(rng.randint(1, 5)) for _ in range(topic["ratings"]))
        parts.insert(0, f"My ratings on the {_count(topic['ratings'])} practices: {ratings}.")
    text = " ".join(dict.fromkeys(p.format(**fill) for p in parts))  # no sentence twice
    if depth >= 3 and rng.random() < 0.5:  # some learners write in paragraphs
        sentences = re.split(r"(?<=\.) ", text)
        cut = len(sentences) // 2
        text = " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])
    return text


_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


def _solution_value(code: str, markers: Delimiters | None = None) -> tuple[str, str] | None:
    """('levels', '3') from an answer cell's solution lines (between nbgrader's solution markers)."""
    solution = (markers or delimiters()).solution(code)
    typed = marker_name(code)  # an answer typed under the cell's first line: the text is the answer
    if typed and solution and solution.strip():
        return typed, solution.strip()
    m = re.fullmatch(r"\s*(\w+)\s*=\s*(.+?)\s*", solution or "")
    return (m.group(1), m.group(2)) if m else None


def _wrong(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return str(int(value) + 2)
    letter = re.fullmatch(r"([\"']?)([A-Za-z])[\"']?", value)
    if letter:
        quote = letter.group(1)
        return quote + ("A" if letter.group(2).upper() != "A" else "C") + quote
    return "None"


def answers_from_source(source_nb: Path, markers: Delimiters | None = None) -> dict[str, tuple[str, str]]:
    """grade_id of each answer cell -> (variable, right value), read from the source notebook."""
    nb = nbformat.read(str(source_nb), as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            value = _solution_value(cell.source, markers)
            if value:
                found[meta["grade_id"]] = value
    return found


def answer(path: Path, kind: str, learner: Learner, right: dict[str, tuple[str, str]], rng: random.Random,
           course=None) -> None:
    """Fill in a fetched notebook the way a learner of this kind would."""
    if kind == "blank":
        return
    nb = nbformat.read(str(path), as_version=4)
    reflections = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    if kind in ("complete", "late"):
        write = set(range(len(reflections)))
        depths = [rng.choices((1, 2, 3, 4), weights=(1, 3, 4, 2))[0] for _ in reflections]
    elif kind == "partial":
        write = set(rng.sample(range(len(reflections)), k=rng.randint(1, max(1, len(reflections) - 1))))
        depths = [rng.choices((1, 2, 3), weights=(3, 4, 2))[0] for _ in reflections]
    else:  # wrong
        write = set(rng.sample(range(len(reflections)), k=rng.randint(1, len(reflections))))
        depths = [1 for _ in reflections]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type == "code" and grade_id in right:
            var, value = right[grade_id]
            if kind == "partial" and rng.random() < 0.5:
                continue  # left as None
            if kind == "wrong" or (kind == "partial" and rng.random() < 0.3):
                value = _wrong(value)
            if marker_name(cell.source) == var:  # typed under the answer cell's first line
                cell.source = cell.source.rstrip("\n") + "\n" + value + "\n"
            else:
                cell.source = re.sub(rf"^{var}\s*=\s*None\s*$", f"{var} = {value}", cell.source, flags=re.M)
    for i, cell in enumerate(reflections):
        if i not in write:
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        if kind == "wrong" and rng.random() < 0.6:
            cell.source = rng.choice(SHORT_WRONG)
        else:
            cell.source = write_reflection(rng, gid, learner, depths[i], course)
    nbformat.write(nb, str(path))


def copy_course(source_root: Path, dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        raise CourseError(f"{dest} already exists and is not empty: choose another folder with --into, or "
                          f"delete that one first.")
    dest.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        src = source_root / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif src.is_file():
            shutil.copy2(src, dest / part)


def _check(result: dict, what: str) -> None:
    if not result or not result.get("success"):
        from syslead.tutor.autograde import _error_line

        raise CourseError(f"nbgrader could not {what}: {_error_line(result or {})}")


def build(dest: Path, *, learners: int = 60, assignments: list[str] | None = None, seed: int = 2025,
          jobs: int = 2, autograde: bool = True, source_root: Path | None = None, progress: bool = True,
          quiet: bool = False) -> Cohort:
    """Build a demo course in ``dest`` with ``learners`` synthetic learners and return what it made."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.auth import Authenticator
    from nbgrader.exchange.default import ExchangeFetchAssignment

    say = (lambda *a: None) if quiet else print
    if learners < 1:
        raise CourseError("--learners must be at least 1.")
    source_root = find_root(source_root) if source_root else _default_source_root()
    dest = Path(dest).resolve()
    copy_course(source_root, dest)
    in_source = set(Course(dest, load_config(dest)).source_assignments())
    available = [a.id for a in load_course(dest).assignments if a.id in in_source]  # in course order
    if assignments is None:
        assignments = available
    unknown = [a for a in assignments if a not in available]
    if unknown:
        raise CourseError(f"There is no assignment called {unknown[0]!r} in this course (known: "
                          f"{', '.join(available)}): check the name.")

    config = load_config(dest)
    manifest = load_course(dest)  # the copy's course.yml: its demo topics
    markers = delimiters(config)  # the solution markers as this course's nbgrader is configured
    config.Exchange.root = str(dest / "exchange")
    (dest / "exchange").mkdir(exist_ok=True)
    (dest / "exchange").chmod(0o777)  # as nbgrader makes it: learners on a shared machine write into it
    config.CollectApp.check_owner = False  # every demo submission is written by this one user
    config.SafeExchangeCollect.record_submission_time = False  # the demo's hand-in times are made up on purpose
    work = Path(tempfile.mkdtemp(prefix="syslead-demo-"))
    config.Exchange.cache = str(work / "cache")
    course = Course(dest, config)
    cohort = Cohort(dest, make_learners(learners, assignments, seed), list(assignments), seed)
    rng = random.Random(seed + 1)
    try:
        log = logging.getLogger("syslead.demo")  # nbgrader's chatter stays out of the tutor's screen
        log.addHandler(logging.NullHandler())
        log.propagate = False
        api = NbGraderAPI(config=config, log=log)
        auth = Authenticator(config=config, log=log)
        say(f"Building a demo cohort of {learners} learners in {dest} ...")
        with writing(course, "demo", backup=False):
            for i, name in enumerate(assignments):
                _check(api.generate_assignment(name, force=True, create=True), f"generate {name}")
                with course.gradebook() as gb:
                    gb.update_or_create_assignment(name, duedate=FIRST_DUE + dt.timedelta(weeks=i))
                    for learner in cohort.learners:
                        gb.update_or_create_student(learner.id, first_name=learner.first_name,
                                                    last_name=learner.last_name, email=learner.email)
                _check(api.release_assignment(name), f"release {name}")
            for i, name in enumerate(assignments):
                due = FIRST_DUE + dt.timedelta(weeks=i)
                right = answers_from_source(dest / "source" / name / f"{name}.ipynb", markers)
                for learner in cohort.learners:
                    kind = learner.kinds[name]
                    if kind == "missing":
                        continue
                    home = work / "homes" / learner.id
                    home.mkdir(parents=True, exist_ok=True)
                    coursedir = course.coursedir()
                    coursedir.assignment_id = name
                    coursedir.student_id = learner.id
                    fetch = ExchangeFetchAssignment(coursedir=coursedir, authenticator=auth, config=config, log=log)
                    fetch.assignment_dir = str(home)
                    fetch.start()
                    for path in sorted((home / name).glob("*.ipynb")):
                        answer(path, kind, learner, right, rng, manifest)
                    if kind == "late":
                        when = due + dt.timedelta(hours=rng.randint(2, 72), minutes=rng.randint(0, 59))
                    else:
                        when = due - dt.timedelta(hours=rng.randint(1, 140), minutes=rng.randint(0, 59))
                    submit = _TimedSubmit(when, coursedir=coursedir, authenticator=auth, config=config, log=log)
                    submit.assignment_dir = str(home)
                    submit.start()
                _check(api.collect(name), f"collect {name}")
                say(f"  {name}: released, {sum(lr.kinds[name] != 'missing' for lr in cohort.learners)} "
                    f"submissions collected")
        if autograde:
            from syslead.tutor.autograde import autograde as run_autograde

            reports = {}
            for name in assignments:
                reports[name] = run_autograde(name, course=course, jobs=jobs, progress=progress, quiet=quiet)
            cohort.autograde_report = reports
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return cohort


def _default_source_root() -> Path:
    """The course this command runs in, else the course the package was installed from."""
    try:
        return find_root()
    except CourseError:
        here = Path(__file__).resolve().parents[2]
        if (here / "nbgrader_config.py").is_file():
            return here
        raise


def _timed_submit_class():
    from nbgrader.exchange.default import ExchangeSubmit

    class TimedSubmit(ExchangeSubmit):
        """nbgrader's submit, with the submission time given (so some learners can be late)."""

        def __init__(self, when: dt.datetime, **kwargs):
            super().__init__(**kwargs)
            self._when = when

        def set_timestamp(self):
            self.timestamp = self._when.replace(tzinfo=dt.UTC).strftime(self.timestamp_format)

    return TimedSubmit


def _TimedSubmit(when, **kwargs):  # noqa: N802 - a factory that reads like the class it makes
    return _timed_submit_class()(when, **kwargs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--learners", type=int, default=60, help="how many learners (default 60)")
    parser.add_argument("--into", type=Path, default=Path("demo-course"),
                        help="the new folder for the demo course (default: demo-course)")
    parser.add_argument("--assignments", nargs="+", metavar="NAME",
                        help="which assignments (default: all in source/)")
    parser.add_argument("--seed", type=int, default=2025, help="the random seed (same seed, same cohort)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel autograding processes (default 2)")
    parser.add_argument("--no-autograde", action="store_true", help="stop after collect")


def run(args: argparse.Namespace) -> int:
    cohort = build(args.into, learners=args.learners, assignments=args.assignments, seed=args.seed,
                   jobs=args.jobs, autograde=not args.no_autograde)
    counts: dict[str, int] = {}
    for kind in cohort.kinds().values():
        counts[kind] = counts.get(kind, 0) + 1
    print("Submissions: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in KINDS))
    print(f"Now: cd {cohort.root} && jupyter lab, then Nbgrader > Formgrader > Manual Grading.")
    return 0
