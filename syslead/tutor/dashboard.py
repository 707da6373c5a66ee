"""The cohort at a glance, for ``notebooks/tutor-dashboard.ipynb``: tables from the gradebook and charts.

:func:`load` reads a course's gradebook (through nbgrader's API and :mod:`syslead.tutor.export`) and its
learners' reflections (:mod:`syslead.tutor.reflections`) into pandas tables; each chart function takes
that :class:`Cohort` and returns a :class:`syslead.charts.base.Chart` with alt text that gives the numbers.
:func:`load_or_demo` is what the notebook calls: the course it runs in, or, when that course has no
graded submissions yet, a small demo cohort built in a temporary folder (:mod:`syslead.tutor.demo`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from syslead.charts import style
from syslead.charts.base import Chart, figure, render
from syslead.errors import CourseError
from syslead.tutor.course import CONFIG_FILE, Course


def demo_assignments(root: Path | None = None) -> tuple[str, ...]:
    """The assignments the fallback demo grades: course.yml's ``tutor_dashboard: demo_assignments``."""
    from syslead.course import load_course

    return load_course(root).dashboard_demo


@dataclass
class Cohort:
    """What the dashboard shows, as tables.

    - ``results``: one row per learner and assignment (``export.rows``): score, max_score, percent,
      submitted, late, hours_late, needs_manual_grade, timestamp;
    - ``questions``: one row per learner and graded question: score (None until graded), points, kind;
    - ``reflections``: one row per learner and reflection: words (0 when unanswered), stages.
    """

    root: Path
    results: pd.DataFrame
    questions: pd.DataFrame
    reflections: pd.DataFrame
    note: str = ""

    def _repr_markdown_(self) -> str:
        return self.note

    def __repr__(self) -> str:
        return self.note


def _questions(course: Course) -> pd.DataFrame:
    from syslead.tutor.gradebook import grades

    data = [{"assignment": g.assignment, "learner": g.student, "question": g.cell,
             "kind": "written" if g.cell_type == "markdown" else "auto", "points": g.max_score, "score": g.score}
            for g in grades(course)]
    return pd.DataFrame(data, columns=["assignment", "learner", "question", "kind", "points", "score"])


def load(course: Course | str | Path | None = None) -> Cohort:
    """Read a course's gradebook and reflections into a :class:`Cohort`."""
    from syslead.tutor import export, reflections

    if not isinstance(course, Course):
        course = Course.find(course)
    course.require_gradebook()
    pd.set_option("display.max_colwidth", None)  # the nudge list's reasons whole, never cut off with "..."
    rows = export.rows(course)  # learners only: a tutor's own test copy (root) is left out
    results = pd.DataFrame([{
        "assignment": r.assignment, "learner": r.student_id, "email": r.email or "", "submitted": r.submitted,
        "score": np.nan if r.score is None else r.score, "max_score": r.max_score,
        "percent": 100 * r.score / r.max_score if r.max_score and r.score is not None else np.nan,
        "hours_late": beyond / 3600, "late": beyond > 0, "needs_manual_grade": r.needs_manual_grade,
        "timestamp": r.timestamp} for r in rows for beyond in [_seconds_late(course, r)]],
        columns=["assignment", "learner", "email", "submitted", "score", "max_score", "percent", "hours_late", "late",
                 "needs_manual_grade", "timestamp"])
    answers = []
    for name in sorted(set(results["assignment"])) if len(results) else []:
        if not course.submitted(name) or not (course.folder("source") / name).is_dir():
            continue
        for q in reflections.collect(course, name):
            for a in q.answers:
                answers.append({"assignment": name, "learner": a.student, "question": q.grade_id,
                                "words": a.words, "stages": len(a.stages), "answered": bool(a.text)})
    refl = pd.DataFrame(answers, columns=["assignment", "learner", "question", "words", "stages", "answered"])
    n_learners = results["learner"].nunique() if len(results) else 0
    note = (f"Reading the gradebook of {course.root}: {n_learners} learners, "
            f"{results['assignment'].nunique() if len(results) else 0} assignments.")
    return Cohort(course.root, results, _questions(course), refl, note)


def _seconds_late(course: Course, row) -> float:
    """How late a submission is, against course.yml's deadline (``due``; else the gradebook's) moved by the
    learner's extension in course.yml: 0 when on time or within the extension."""
    from syslead.tutor.late import extension_hours

    if row.timestamp is None:
        return 0.0
    manifest = course.manifest()
    entry = course.manifest_assignment(row.assignment)
    due = entry.due.replace(tzinfo=None) if entry is not None and entry.due is not None else row.duedate
    if due is None:
        return 0.0
    extension = extension_hours(manifest.extensions or {}, row.student_id, row.assignment) if manifest else 0.0
    return max(0.0, (row.timestamp - due).total_seconds() - 3600 * extension)


def course_root(start: str | Path | None = None) -> Path | None:
    """The course root at or above ``start`` (a notebook runs in ``notebooks/``), or None."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def load_or_demo(start: str | Path | None = None, *, learners: int = 6, seed: int = 2025) -> Cohort:
    """The cohort of the course around ``start``; if it has no graded submissions yet, a demo cohort of
    ``learners`` built in a temporary folder (it takes about half a minute, and says so)."""
    root = course_root(start)
    if root is not None:
        course = Course.find(root)
        if course.has_gradebook():
            try:
                cohort = load(course)
            except CourseError:
                cohort = None
            if cohort is not None and len(cohort.results) and cohort.results["submitted"].any():
                return cohort
    from syslead.tutor.demo import build

    folder = Path(tempfile.mkdtemp(prefix="syslead-dashboard-")) / "demo-course"
    source = root if root is not None else None
    wanted = demo_assignments(source)
    available = Course.find(source).source_assignments() if source else list(wanted)
    chosen = [a for a in wanted if a in available] or available[:2]
    cohort_made = build(folder, learners=learners, assignments=chosen, seed=seed, jobs=2, source_root=source,
                        progress=False, quiet=True)
    cohort = load(Course.find(cohort_made.root))
    cohort.note = (f"This course has no graded submissions yet, so this dashboard shows a **demo cohort** of "
                   f"{learners} synthetic learners ({', '.join(chosen)}), built and autograded just now in "
                   f"{cohort_made.root} with `syslead demo`. Run the notebook again once you have autograded "
                   f"real submissions.")
    return cohort


# --- charts ---------------------------------------------------------------------------------------------


def _short(name: str) -> str:
    return name.split("-", 1)[0] if name[:2].isdigit() else name


def completion_chart(cohort: Cohort) -> Chart:
    """Per assignment: how many learners submitted on time, late, or not at all."""
    r = cohort.results
    table = (r.assign(status=np.where(~r["submitted"], "not submitted", np.where(r["late"], "late", "on time")))
             .groupby(["assignment", "status"]).size().unstack(fill_value=0)
             .reindex(columns=["on time", "late", "not submitted"], fill_value=0))
    fig, ax = figure()
    left = np.zeros(len(table))
    colours = {"on time": style.OKABE_ITO["bluish green"], "late": style.OKABE_ITO["orange"],
               "not submitted": "#BBBBBB"}
    hatches = {"on time": "", "late": "//", "not submitted": ".."}
    labels = [_short(a) for a in table.index]
    for status in table.columns:
        ax.barh(labels, table[status], left=left, color=colours[status], hatch=hatches[status],
                edgecolor="white", label=status)
        left += table[status].to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel("learners")
    ax.set_ylabel("assignment")
    ax.legend(loc="lower right", ncols=3, bbox_to_anchor=(1, 1.0))
    parts = [f"{a}: {row['on time']} on time, {row['late']} late, {row['not submitted']} not submitted"
             for a, row in table.iterrows()]
    alt = "Bar chart of completion by assignment. " + "; ".join(parts) + "."
    return render(fig, alt=alt, data=table)


def score_distribution_chart(cohort: Cohort) -> Chart:
    """Scores of the learners who submitted, per assignment, as dots (with the median marked)."""
    r = cohort.results[cohort.results["submitted"]]
    names = sorted(r["assignment"].unique())
    fig, ax = figure()
    rng = np.random.default_rng(0)
    parts = []
    for i, name in enumerate(names):
        pct = r.loc[r["assignment"] == name, "percent"].to_numpy()
        ax.scatter(pct, i + rng.uniform(-0.18, 0.18, len(pct)), s=22, color=style.PALETTE[i % len(style.PALETTE)],
                   alpha=0.8)
        med = float(np.median(pct))
        ax.plot([med, med], [i - 0.3, i + 0.3], color="black", linewidth=2.5)
        q1, q3 = np.percentile(pct, [25, 75])
        parts.append(f"{name}: median {med:.0f} %, middle half {q1:.0f} to {q3:.0f} %, n = {len(pct)}")
    ax.set_yticks(range(len(names)), [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlim(-3, 103)
    ax.set_xlabel("score (% of the assignment's points so far)")
    ax.set_ylabel("assignment")
    alt = ("Dot plot of each submission's score by assignment, black bars at the medians. " + "; ".join(parts)
           + ". Written answers count only once a tutor has graded them.")
    table = r.groupby("assignment")["percent"].describe()[["count", "25%", "50%", "75%"]]
    return render(fig, alt=alt, data=table)


def question_difficulty_chart(cohort: Cohort) -> Chart:
    """Share of the points learners earned on each question, hardest first (graded answers only)."""
    q = cohort.questions.dropna(subset=["score"])
    table = (q.groupby(["assignment", "question", "kind"])
             .apply(lambda g: g["score"].sum() / g["points"].sum() if g["points"].sum() else np.nan,
                    include_groups=False)
             .rename("share").reset_index().sort_values("share"))
    table["label"] = [f"{_short(a)} {qn}" for a, qn in zip(table["assignment"], table["question"], strict=True)]
    fig, ax = figure()
    colours = [style.OKABE_ITO["vermillion"] if k == "written" else style.OKABE_ITO["blue"] for k in table["kind"]]
    ax.barh(table["label"], 100 * table["share"], color=colours)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("points earned (% of the points available)")
    ax.tick_params(axis="y", labelsize=8)
    ax.text(1.0, -0.16, "blue: marked automatically; vermillion: written, graded by a tutor",
            transform=ax.transAxes, ha="right", fontsize=9)
    hardest = ", ".join(f"{row.label} {100 * row.share:.0f} %" for row in table.head(3).itertuples())
    easiest = ", ".join(f"{row.label} {100 * row.share:.0f} %" for row in table.tail(2).itertuples())
    alt = (f"Horizontal bars: share of points earned per question across the cohort, hardest first. Hardest: "
           f"{hardest}. Easiest: {easiest}. {len(table)} questions with at least one graded answer.")
    return render(fig, alt=alt, data=table.drop(columns="label"))


def reflection_length_chart(cohort: Cohort) -> Chart:
    """How long the written reflections are (answered ones), with the unanswered counted."""
    refl = cohort.reflections
    words = refl.loc[refl["answered"], "words"]
    fig, ax = figure()
    bins = np.arange(0, max(int(words.max()) if len(words) else 0, 300) + 50, 25)
    ax.hist(words, bins=bins, color=style.OKABE_ITO["blue"], edgecolor="white")
    ax.set_xlabel("words in the reflection")
    ax.set_ylabel("reflections")
    unanswered = int((~refl["answered"]).sum())
    if len(words):
        med = float(words.median())
        ax.axvline(med, color="black", linestyle="--", linewidth=1.5)
        ax.annotate(f"median {med:.0f} words", xy=(med, ax.get_ylim()[1] * 0.92), xytext=(6, 0),
                    textcoords="offset points")
        alt = (f"Histogram of reflection lengths: {len(words)} answered reflections, median {med:.0f} words, "
               f"shortest {int(words.min())}, longest {int(words.max())}; {unanswered} reflections in submitted "
               f"notebooks were left unanswered.")
    else:
        alt = f"No answered reflections yet; {unanswered} reflections in submitted notebooks are unanswered."
    return render(fig, alt=alt, data=words.describe())


def late_chart(cohort: Cohort) -> Chart:
    """How late the late submissions were, per assignment."""
    r = cohort.results[cohort.results["late"]]
    names = sorted(cohort.results["assignment"].unique())
    fig, ax = figure()
    parts = []
    for i, name in enumerate(names):
        hours = r.loc[r["assignment"] == name, "hours_late"].to_numpy()
        ax.scatter(hours, np.full(len(hours), i), s=40, color=style.OKABE_ITO["orange"], edgecolor="black")
        parts.append(f"{name}: {len(hours)} late" + (f", up to {hours.max():.0f} hours" if len(hours) else ""))
    ax.set_yticks(range(len(names)), [_short(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("hours after the due date")
    ax.set_ylabel("assignment")
    alt = "Dots for each late submission, by hours after the due date. " + "; ".join(parts) + "."
    return render(fig, alt=alt, data=r[["assignment", "learner", "hours_late"]].reset_index(drop=True))


def nudge_list(cohort: Cohort, *, low: float = 30.0) -> pd.DataFrame:
    """Learners who may need a nudge, with why: a missing or blank submission, late work, or a low score
    (under ``low`` % on an assignment that has been fully graded)."""
    r = cohort.results
    refl = cohort.reflections
    out = []
    for learner, g in r.groupby("learner"):
        reasons = []
        missing = sorted(g.loc[~g["submitted"], "assignment"])
        if missing:
            reasons.append("not submitted: " + ", ".join(missing))
        sub = g[g["submitted"]]
        mine = refl[refl["learner"] == learner]
        blank = [a for a in sub["assignment"] if not mine[(mine["assignment"] == a) & mine["answered"]].shape[0]
                 and sub.loc[sub["assignment"] == a, "score"].iloc[0] == 0]
        if blank:
            reasons.append("blank: " + ", ".join(sorted(blank)))
        late = sorted(sub.loc[sub["late"], "assignment"])
        if late:
            reasons.append("late: " + ", ".join(late))
        graded = sub[~sub["needs_manual_grade"]]
        lowscore = sorted(a for a, p in zip(graded["assignment"], graded["percent"], strict=True)
                          if p < low and a not in blank)
        if lowscore:
            reasons.append(f"under {low:g} %: " + ", ".join(lowscore))
        if reasons:
            email = next((e for e in g["email"] if e), "") if "email" in g else ""
            out.append({"learner": learner, "email": email, "submitted": f"{len(sub)} of {len(g)}",
                        "why": "; ".join(reasons),
                        "concerns": len(missing) * 2 + len(blank) * 2 + len(late) + len(lowscore)})
    table = pd.DataFrame(out, columns=["learner", "email", "submitted", "why", "concerns"])
    return table.sort_values(["concerns", "learner"], ascending=[False, True]).reset_index(drop=True)


def circles_table(cohort: Cohort) -> pd.DataFrame:
    """Reflection circles (``syslead circles``): for each assignment whose circles were formed, who shared,
    in which circle, how many replies each wrote and received, and who is still waiting to reply."""
    from syslead.tutor.circles import participation

    course = Course.find(cohort.root)
    rows = []
    for name in sorted(set(cohort.results["assignment"])) if len(cohort.results) else []:
        for learner, e in participation(course, name).items():
            rows.append({"assignment": name, "learner": learner, "shared": "yes" if e["shared"] else "no",
                         "circle": e["circle"] if e["circle"] is not None else "",
                         "replies written": e["replied"], "replies received": e["received"],
                         "waiting to reply": "yes" if e["waiting"] else "",
                         "why not in a circle": e["why_not"]})
    columns = ["assignment", "learner", "shared", "circle", "replies written", "replies received",
               "waiting to reply", "why not in a circle"]
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        table.attrs["note"] = "No reflection circles have been formed yet (syslead circles ASSIGNMENT --size 3)."
    return table
