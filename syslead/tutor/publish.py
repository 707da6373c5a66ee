"""``syslead publish OUT``: the learners' copy of the course, for a learners' repository, Binder and the web.

It writes into ``OUT`` what learners get, and nothing else:

- the release notebooks (as ``nbgrader generate_assignment`` wrote them in ``release/``), or with
  ``--self-paced`` the self-paced notebooks with instant checks where the course has them;
- the start page and the learning journal (``notebooks/``), and the pages of ``docs/`` they link to;
- ``data/``, ``environment.yml``, ``postBuild`` and ``jupyter-settings/`` (what Binder builds);
- ``course.yml`` (it holds no answers), ``pyproject.toml``, ``LICENSE`` and the package ``syslead/``
  without its tutor and grading tools, so that ``pip install .`` works;
- a README for learners and the web book's settings (``_config.yml``, ``_toc.yml``, ``index.ipynb``),
  both rendered from the manifest.

It never writes ``source/``, mark schemes, hidden tests, a gradebook or tutor tools, and it checks
the tree it wrote: a solution, hidden-test or mark-scheme marker in any file stops it with one
sentence. ``--web`` then builds the course as a web book with Jupyter Book (``OUT/_build/html``).

An earlier publish in ``OUT`` is replaced (its files are marked by ``.syslead-publish.json``); a
folder that holds anything else is left alone. A git checkout's ``.git`` is always kept, so that a CI
job can check out the learners' branch into ``OUT``, publish and commit (see docs/publishing.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import nbformat

from syslead import __version__
from syslead.course import Course, Publish, load_course
from syslead.errors import CourseError

HELP = "write the learners' copy of the course (no answers, mark schemes or tutor tools) into a folder"

MARKER = ".syslead-publish.json"
#: The files and folders at the top of the course that learners get as they are.
TOP_FILES = ("environment.yml", "constraints.txt", "postBuild", "course.yml", "pyproject.toml", "LICENSE")
TOP_FOLDERS = ("data", "jupyter-settings")
#: repo2docker's other configuration files, published when the course has them.
BINDER_EXTRAS = ("apt.txt", "runtime.txt", "start", "requirements.txt", "binder", ".binder")
#: Parts of the package that stay with the tutors.
PACKAGE_LEFT_OUT = ("tutor", "grading")
#: nbgrader's delimiters of the text that must never reach a learner (solutions, hidden tests, mark
#: schemes): the same strings nbgrader's ClearSolutions, ClearHiddenTests and ClearMarkScheme look for.
def _answer_delimiters() -> tuple[tuple[str, str], ...]:
    from nbgrader.preprocessors import ClearMarkScheme

    from syslead.course import delimiters

    d = delimiters()
    scheme = (ClearMarkScheme.begin_mark_scheme_delimeter.default_value,
              ClearMarkScheme.end_mark_scheme_delimeter.default_value)
    return ((f"### {d.begin_solution}", f"### {d.end_solution}"),
            (f"### {d.begin_hidden_tests}", f"### {d.end_hidden_tests}"),
            (f"=== {scheme[0]} ===", f"=== {scheme[1]} ==="))


ANSWER_DELIMITERS = _answer_delimiters()
_LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


@dataclass
class Report:
    out: Path
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    web: Path | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="the folder to write the learners' copy into (made if missing)")
    parser.add_argument("--self-paced", action="store_true",
                        help="for Binder and the web: notebooks with instant checks instead of the cohort's "
                             "release notebooks (where the course has them)")
    parser.add_argument("--graded-too", action="append", default=[], metavar="ASSIGNMENT",
                        help="with --self-paced: publish this graded assignment (one with a due date, or in the "
                             "gradebook) self-paced too, with its answers (repeatable; only once no cohort takes it)")
    parser.add_argument("--web", action="store_true",
                        help="then build the web book with Jupyter Book into OUT/_build/html (runs every notebook)")
    parser.add_argument("--working-copy", action="store_true",
                        help="a learner's own copy to work in: only the notebooks and the pages they link to; "
                             "made again, it keeps every notebook already there")
    parser.add_argument("--course", metavar="FOLDER", default=None,
                        help="the course root, the folder with course.yml (default: found from here)")
    for name, what in (("repository", "the learners' GitHub repository"), ("branch", "its branch"),
                       ("binder-url", "the BinderHub"), ("hub-url", "the course's JupyterHub"),
                       ("web-url", "where the web book is served")):
        parser.add_argument(f"--{name}", default=None, help=f"{what} (default: course.yml's publish section)")


def run(args: argparse.Namespace) -> int:
    course = load_course(args.course)
    if args.working_copy:
        made = working_copy(args.out, course)
        print(f"Your working copy of {course.title!r} is in {made.out}: "
              + (f"{len(made.added)} new notebook{'s' if len(made.added) != 1 else ''}" if made.added else
                 "no new notebooks")
              + (f", and your {len(made.kept)} notebook{'s' if len(made.kept) != 1 else ''} kept as you left "
                 f"{'them' if len(made.kept) != 1 else 'it'}." if made.kept else "."))
        return 0
    overrides = {k: getattr(args, k) for k in ("repository", "branch", "binder_url", "hub_url", "web_url")
                 if getattr(args, k) is not None}
    report = publish(args.out, course=course, self_paced=args.self_paced, web=args.web,
                     graded_too=tuple(args.graded_too), **overrides)
    print(f"Wrote the learners' copy of {course.title!r} to {report.out} ({len(report.files)} files; "
          f"no solutions, hidden tests or mark schemes).")
    for note in report.notes:
        print(f"Note: {note}")
    if report.web:
        print(f"The web book is in {report.web} (open index.html).")
    return 0


# --------------------------------------------------------------------------------------------------


def graded_assignments(course: Course) -> set[str]:
    """The course's assignments that a cohort is graded on: those with a due date in course.yml, and those in
    the course's gradebook (its gradebook.db)."""
    graded = {a.id for a in course.assignments if a.due is not None}
    db = Path(course.root) / "gradebook.db"
    if db.is_file():
        from nbgrader.api import Gradebook

        try:
            with Gradebook(f"sqlite:///{db}") as gb:
                graded |= {a.name for a in gb.assignments}
        except Exception:  # an unreadable gradebook: treat every assignment as graded
            graded |= {a.id for a in course.assignments}
    return graded


def find_instant_answers(folder: Path, notebooks: list[str]) -> list[str]:
    """The notebooks (paths relative to ``folder``) whose checks carry their answer (``check(..., answer=...)``,
    what a self-paced notebook's instant check holds): an answer, as much as a solution is."""
    import ast

    found = []
    for rel in notebooks:
        try:
            nb = nbformat.read(folder / rel, as_version=4)
        except Exception:  # unreadable: find_answer_markers looks at its raw lines
            continue
        for cell in nb.cells:
            if cell.cell_type != "code" or "answer" not in cell.source:
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            if any(isinstance(n, ast.Call) and any(k.arg == "answer" for k in n.keywords) for n in ast.walk(tree)):
                found.append(rel)
                break
    return found


def publish(out: str | Path, course: Course | None = None, *, self_paced: bool = False, web: bool = False,
            graded_too: tuple[str, ...] = (), **settings: str) -> Report:
    """Write the learners' copy of ``course`` into ``out`` (see the module's docstring). With ``self_paced``,
    assignments a cohort is graded on (:func:`graded_assignments`) keep their release notebook, without
    answers, unless named in ``graded_too``."""
    course = course or load_course()
    unknown = sorted(set(graded_too) - {a.id for a in course.assignments})
    if unknown:
        raise CourseError(f"--graded-too names {unknown[0]}, which is not an assignment in course.yml: give one of "
                          f"{', '.join(a.id for a in course.assignments)}.")
    settings = {k: v.rstrip("/") if k != "branch" else v for k, v in settings.items() if v}
    settings_check = _check_settings(settings)
    where = replace(course.publish, **settings_check)
    root = course.root.resolve()
    out = Path(out).expanduser().resolve()
    _prepare(out, root)
    report = Report(out)

    def write(rel: str, data: bytes | str) -> None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        report.files.append(rel)

    def copy(rel: str) -> None:
        src = root / rel
        if not src.exists():
            raise CourseError(f"The course has no {rel}, which learners need: restore it from the course repository.")
        if src.is_dir():
            for f in sorted(src.rglob("*")):
                if f.is_file() and not _junk(f):
                    copy(str(f.relative_to(root)))
            return
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        report.files.append(rel)

    # The notebooks: release (or self-paced) assignments, the start page and the journal.
    make_self_paced = _self_paced_maker() if self_paced else None
    if self_paced and make_self_paced is None:
        report.notes.append("this version of the course has no self-paced notebooks yet "
                            "(syslead.grading.answers.self_paced): the release notebooks were published instead.")
    graded = graded_assignments(course) - set(graded_too) if make_self_paced is not None else set()
    kept_release = [a.id for a in course.assignments if a.id in graded]
    if kept_release:
        report.notes.append(f"{', '.join(kept_release)} {'is' if len(kept_release) == 1 else 'are'} graded (a due date, "
                            "or in the gradebook): published as the cohort's release notebook, without answers; name "
                            "it with --graded-too to publish it self-paced once no cohort takes it.")
    for a in course.assignments:
        rel = f"release/{a.id}/{a.id}.ipynb"
        if not (root / rel).is_file():
            raise CourseError(f"There is no {rel}: run 'nbgrader generate_assignment {a.id}' in the course root first.")
        if make_self_paced is not None and a.id not in graded:
            nb = make_self_paced(nbformat.read(root / a.notebook.replace(".md", ".ipynb"), as_version=4))
            write(rel, nbformat.writes(nb) + "\n")
        else:
            copy(rel)
    pages = [_ipynb(course.start_page.notebook), _ipynb(course.journal.notebook)]
    for rel in pages:
        copy(rel)
    # The learner-facing pages the notebooks link to (docs/...), so that no link leads nowhere.
    for rel in sorted(_linked_files(out, [r for r in report.files if r.endswith(".ipynb")], root)):
        copy(rel)

    # What Binder and `pip install .` need.
    for rel in TOP_FILES:
        copy(rel)
    for rel in TOP_FOLDERS:
        copy(rel)
    for rel in BINDER_EXTRAS:
        if (root / rel).exists():
            copy(rel)
    (out / "postBuild").chmod(0o755)
    for f in sorted((root / "syslead").rglob("*")):
        rel = f.relative_to(root)
        if f.is_file() and not _junk(f) and rel.parts[1] not in PACKAGE_LEFT_OUT:
            copy(str(rel))

    # The README for learners, and the web book's settings.
    context = _context(course, where, self_paced and make_self_paced is not None)
    write("README.md", _render("learners-README.md.j2", context))
    index = nbformat.v4.new_notebook()
    index.cells.append(nbformat.v4.new_markdown_cell(_render("course-map.md.j2", context)))
    index.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    write("index.ipynb", nbformat.writes(index) + "\n")
    write("_config.yml", _yaml(book_config(course, where)))
    extra = [r for r in report.files if r.startswith("docs/") and r.endswith(".md")] + ["data/README.md"] * (out / "data" / "README.md").is_file()
    write("_toc.yml", _yaml(book_toc(course, extra)))
    write(".gitignore", "_build/\n.ipynb_checkpoints/\n__pycache__/\n*.egg-info/\n.venv/\n")
    write(MARKER, json.dumps({"course": course.id, "syslead": __version__, "self_paced": bool(context["self_paced"]),
                              "files": sorted(set(report.files) | {MARKER})}, indent=1) + "\n")

    leaks = find_answer_markers(out)
    answers_allowed = {f"release/{a.id}/{a.id}.ipynb" for a in course.assignments
                       if make_self_paced is not None and a.id not in graded}
    leaks += find_instant_answers(out, sorted(r for r in set(report.files)
                                              if r.endswith(".ipynb") and r not in answers_allowed))
    if leaks:
        raise CourseError(f"{leaks[0]} in the learners' copy holds a solution, hidden test or mark scheme: "
                          f"regenerate release/ with nbgrader generate_assignment, then publish again.")
    if web:
        report.web = build_web(out)
    return report


def _check_settings(settings: dict) -> dict:
    """Settings given on the command line, checked as course.yml's publish section is."""
    import tempfile

    from syslead.course import _publish, _Where

    known = {f: settings[f] for f in ("repository", "branch", "binder_url", "hub_url", "web_url") if f in settings}
    if not known:
        return {}
    checked = _publish(_Where(Path(tempfile.gettempdir()) / "the command line"), known)
    return {k: getattr(checked, k) for k in known}


def _ipynb(md: str) -> str:
    return str(Path(md).with_suffix(".ipynb"))


#: What a learner's working copy holds: the notebooks, the pages they link to and the course's data with
#: its notes on sources (reading 2 links to them); see :func:`working_copy`.
WORKING_COPY_PARTS = ("release", "notebooks", "docs", "data")
WORKING_MARKER = ".syslead-working-copy.json"


@dataclass
class WorkingCopy:
    out: Path
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def working_copy(out: str | Path, course: Course | None = None) -> WorkingCopy:
    """A learner's own copy of the course to work in, made from the learners' copy (:func:`publish`):
    only the notebooks (self-paced where the course has them), the pages of ``docs/`` they link to and
    ``data/``,
    so that JupyterLab opened on it shows no solution, mark scheme, authors' ``.md`` twin, ``jupytext.toml``,
    tutor dashboard or ``source/``.

    Made again (after a ``git pull`` of course updates, or by running the README's first command a second
    time), it adds what is new and never replaces a notebook that is already there: that is the learner's
    work. Other files (the pages of ``docs/``, ``data/``) are brought up to date. Keep ``OUT`` out of git (the course's
    ``.gitignore`` lists ``my-course/``), so that a pull never touches it."""
    import tempfile

    course = course or load_course()
    out = Path(out).expanduser().resolve()
    root = course.root.resolve()
    if out == root or root.is_relative_to(out) or (root / "source") in (out, *out.parents):
        raise CourseError(f"{out} is not a new folder beside the course's files: give one such as my-course.")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / WORKING_MARKER).is_file())):
        raise CourseError(f"{out} already holds files that are not a working copy of the course: give a new "
                          f"folder (nothing there was changed).")
    report = WorkingCopy(out)
    with tempfile.TemporaryDirectory(prefix="syslead-working-copy-") as tmp:
        learners = publish(Path(tmp) / "copy", course, self_paced=True)
        report.notes = [n for n in learners.notes if "self-paced" not in n]
        for rel in sorted(learners.files):
            if rel.split("/", 1)[0] not in WORKING_COPY_PARTS:
                continue
            target = out / rel
            if target.suffix == ".ipynb" and target.exists():
                report.kept.append(rel)  # the learner's work: never replaced
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(learners.out / rel, target)
            if target.suffix == ".ipynb":
                report.added.append(rel)
    (out / WORKING_MARKER).write_text(json.dumps({"course": course.id, "syslead": __version__}) + "\n",
                                      encoding="utf-8")
    return report


def _junk(f: Path) -> bool:
    return any(part in ("__pycache__", ".ipynb_checkpoints") for part in f.parts) or f.suffix in (".pyc", ".pyo")


def _prepare(out: Path, root: Path) -> None:
    """Make ``out`` empty (but for ``.git``), or say why not, in one sentence."""
    if out == root or root.is_relative_to(out):
        raise CourseError(f"{out} holds the course itself: give a new folder for the learners' copy, such as ../learners.")
    if root / "source" in (out, *out.parents):
        raise CourseError(f"{out} is inside source/: give a folder outside the course's sources.")
    if out.exists() and not out.is_dir():
        raise CourseError(f"{out} is a file: give a folder for the learners' copy.")
    out.mkdir(parents=True, exist_ok=True)
    entries = [p for p in out.iterdir() if p.name != ".git"]
    if not entries:
        return
    if not (out / MARKER).is_file():
        raise CourseError(f"{out} already holds files that are not an earlier publish: give an empty or new folder "
                          f"(nothing there was changed).")
    for p in entries:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def _self_paced_maker():
    """The function that turns a source notebook into a self-paced one, if this version has it."""
    try:
        from syslead.grading.answers import self_paced  # type: ignore[attr-defined]
    except ImportError:
        return None
    return self_paced


def _linked_files(out: Path, notebooks: list[str], root: Path) -> set[str]:
    """Files outside the notebooks that their Markdown links to and that learners may read (docs/)."""
    wanted = set()
    for rel in notebooks:
        nb = nbformat.read(out / rel, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for target, _anchor in _LINK.findall(cell.source):
                if "://" in target or target.startswith("mailto:"):
                    continue
                path = (root / rel).parent / target
                try:
                    found = path.resolve().relative_to(root)
                except ValueError:
                    continue
                if found.parts and found.parts[0] == "docs" and (root / found).is_file():
                    wanted.add(str(found))
    # the pictures those pages show (docs/screenshots/...), so that a page is whole in the learners' copy
    for page in [w for w in wanted if w.endswith(".md")]:
        text = (root / page).read_text(encoding="utf-8")
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text):
            if "://" in target:
                continue
            try:
                found = ((root / page).parent / target).resolve().relative_to(root)
            except ValueError:
                continue
            if found.parts and found.parts[0] == "docs" and (root / found).is_file():
                wanted.add(str(found))
    return wanted


def find_answer_markers(folder: Path) -> list[str]:
    """Files under ``folder`` (but .git and _build) with a line that is one of nbgrader's answer delimiters:
    in a notebook, a line of a cell; in any other file, a line of its text. (A delimiter quoted inside a
    sentence or a string, as syslead's own code does, is not a region.)"""
    begins = {begin for begin, _end in ANSWER_DELIMITERS}
    found = []
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if not f.is_file() or rel.parts[0] in (".git", "_build"):
            continue
        text = f.read_bytes().decode("utf-8", errors="replace")
        lines = text.splitlines()
        if f.suffix == ".ipynb":
            try:
                nb = nbformat.reads(text, as_version=4)
                lines = [line for cell in nb.cells for line in cell.source.splitlines()]
            except Exception:  # not a notebook nbformat can read: look at its raw lines
                pass
        if any(line.strip() in begins for line in lines):
            found.append(str(rel))
    return found


# --- what learners read ------------------------------------------------------------------------------


def launch_links(course: Course, where: Publish, path: str) -> tuple[str | None, str | None]:
    """Binder's and the hub's (nbgitpuller's) links that open ``path`` of the learners' copy in JupyterLab."""
    binder = hub = None
    if where.repository:
        slug = where.repository.removeprefix("https://github.com/")
        if where.binder_url:
            binder = f"{where.binder_url}/v2/gh/{slug}/{quote(where.branch, safe='')}?urlpath={quote('lab/tree/' + path)}"
        if where.hub_url:
            repo_name = slug.rsplit("/", 1)[-1]
            hub = (f"{where.hub_url}/hub/user-redirect/git-pull?repo={quote(where.repository, safe='')}"
                   f"&branch={quote(where.branch, safe='')}&urlpath={quote(f'lab/tree/{repo_name}/{path}', safe='')}")
    return binder, hub


def _context(course: Course, where: Publish, self_paced: bool) -> dict:
    start = _ipynb(course.start_page.notebook)
    binder, hub = launch_links(course, where, start)
    badges = []
    if binder:
        badges.append(f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({binder})")
    if where.web_url:
        badges.append(f"[![Read the course on the web](https://img.shields.io/badge/read-on%20the%20web-0072B2)]({where.web_url})")
    return {
        "course": course, "publish": where, "self_paced": self_paced, "badges": badges,
        "binder_link": binder, "hub_link": hub, "start_notebook": start,
        "journal_notebook": _ipynb(course.journal.notebook),
        "start_page": start, "journal": _ipynb(course.journal.notebook),
        "hours": _hours(course.minutes),
    }


def _hours(minutes: int) -> str:
    half_hours = round(minutes / 30)
    whole, half = divmod(half_hours, 2)
    return f"{whole}½" if half else str(whole)


def _render(name: str, context: dict) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("syslead.tutor", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "htm", "xml"]), keep_trailing_newline=True)
    env.filters["cell"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return env.get_template(name).render(**context)


def _yaml(data: dict) -> str:
    import yaml

    return "# Written by `syslead publish` from course.yml: change the manifest, not this file.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=110)


def book_toc(course: Course, extra: list[str] = ()) -> dict:
    """Jupyter Book's table of contents: the course map, the start page, each reading, the journal, then the
    pages they link to (``extra``: how reflections get feedback, where the data come from)."""
    chapters = [{"file": _ipynb(course.start_page.notebook).removesuffix(".ipynb")}]
    chapters += [{"file": f"release/{a.id}/{a.id}"} for a in course.assignments]
    chapters.append({"file": _ipynb(course.journal.notebook).removesuffix(".ipynb")})
    chapters += [{"file": str(Path(rel).with_suffix(""))} for rel in extra]
    return {"format": "jb-book", "root": "index", "chapters": chapters}


def book_config(course: Course, where: Publish) -> dict:
    """Jupyter Book's _config.yml: every notebook run at build time, search, launch buttons, nothing fetched
    from the internet by the pages (no widget or MathJax scripts from a CDN)."""
    config = {
        "title": course.title,
        "author": "The course team",
        "copyright": "the course team (MIT licence)",
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints", "README.md"],
        # Every notebook runs at build time, so that each chart shows with its alt text; the journal does not:
        # on the web there are no answers to collect, and running it would write a journal file.
        "execute": {"execute_notebooks": "force", "timeout": 300, "allow_errors": False,
                    "stderr_output": "show", "exclude_patterns": [_ipynb(course.journal.notebook)]},
        "html": {"use_repository_button": bool(where.repository), "use_issues_button": False,
                 "use_edit_page_button": False, "use_multitoc_numbering": False,
                 "home_page_in_navbar": True, "extra_footer": ""},
        "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": where.binder_url or "",
                           "jupyterhub_url": where.hub_url or "", "thebe": False, "colab_url": ""},
        "sphinx": {"config": {
            # The pages load nothing from a CDN: the web book works offline and leaks no reader's visit.
            "nb_ipywidgets_js": {},
            # A check that says "no answer yet" is shown as the sentence it is, not coloured as Python.
            "nb_render_error_lexer": "myst-ansi",
            "html_show_sourcelink": False,
            "myst_heading_anchors": 3,
            "suppress_warnings": ["myst.header"],
        }},
    }
    if where.repository:
        config["repository"] = {"url": where.repository, "branch": where.branch, "path_to_book": ""}
    return config


# --- the web book ------------------------------------------------------------------------------------


def build_web(out: Path) -> Path:
    """Build the web book from a learners' copy with Jupyter Book; every notebook is run on the way."""
    exe = shutil.which("jupyter-book") or str(Path(sys.executable).parent / "jupyter-book")
    if not Path(exe).exists():
        raise CourseError("Jupyter Book is not installed: pip install 'jupyter-book>=1.0.4,<2', then publish with --web again.")
    env = {**os.environ, "SYSLEAD_NO_WIDGETS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([exe, "build", "--builder", "html", "--warningiserror", "--keep-going", str(out)],
                          cwd=out, env=env, capture_output=True, text=True, timeout=1800)
    html = out / "_build" / "html"
    # Running the notebooks may write files beside them: the learners' copy keeps only what publish wrote.
    published = set(json.loads((out / MARKER).read_text(encoding="utf-8"))["files"])
    for f in sorted(out.rglob("*"), reverse=True):
        rel = f.relative_to(out)
        if rel.parts[0] in ("_build", ".git") or str(rel) in published:
            continue
        if f.is_file() or f.is_symlink():
            f.unlink()
        elif f.is_dir() and not any(f.iterdir()):
            f.rmdir()
    (out / "_build" / "jupyter-book.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0 or not (html / "index.html").is_file():
        lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
        first = lines[0].strip() if lines else f"exit status {proc.returncode}"
        raise CourseError(f"The web book did not build ({first}): see {out / '_build' / 'jupyter-book.log'}.")
    for page in html.rglob("*.html"):
        _one_copy_of_each_inline_script(page)
    return html


_INLINE_SCRIPT = re.compile(r"^\s*<script>[^<]*</script>\s*$")


def _one_copy_of_each_inline_script(page: Path) -> None:
    """Jupyter Book 1 writes sphinx-thebe's and sphinx-togglebutton's inline settings twice into each page
    (their handlers run once per read of the notebooks), and the second ``const THEBE_JS_URL`` stops with
    "Identifier 'THEBE_JS_URL' has already been declared". Keep the first copy of each such line."""
    text = page.read_text(encoding="utf-8")
    seen: set[str] = set()
    kept = []
    for line in text.split("\n"):
        if _INLINE_SCRIPT.match(line):
            if line.strip() in seen:
                continue
            seen.add(line.strip())
        kept.append(line)
    if len(kept) != text.count("\n") + 1:
        page.write_text("\n".join(kept), encoding="utf-8")
