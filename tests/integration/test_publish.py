"""`syslead publish OUT`: the learners' copy holds no answers, installs with pip and builds on Binder.

The copy is written once per test session (module fixture); each test reads it. The leak test takes every
solution, hidden-test and mark-scheme region out of the source notebooks with nbgrader's own delimiters
and looks for each of its lines in every file of the copy (in notebooks, in the text of every cell and
output, so that JSON escaping cannot hide a match).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, run

from syslead.course import ManifestError, load_course
from syslead.tutor.publish import ANSWER_DELIMITERS, MARKER, find_answer_markers, publish

REPO2DOCKER = shutil.which("repo2docker") or str(Path(sys.executable).parent / "repo2docker")
SYSLEAD = str(Path(sys.executable).parent / "syslead")
SETTINGS = {"repository": "https://github.com/example-course-team/systems-leadership-learners",
            "hub_url": "https://hub.example.org"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("publish") / "learners"
    publish(folder, load_course(ROOT / "course.yml"), **SETTINGS)
    return folder


# --- what must never be published ---------------------------------------------------------------------

def answer_regions() -> list[tuple[str, str]]:
    """(notebook, text) for every region between nbgrader's BEGIN and END delimiters in source/*/*.ipynb."""
    regions = []
    for path in sorted(ROOT.glob("source/*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines = cell.source.splitlines()
            for begin, end in ANSWER_DELIMITERS:
                inside = None
                for line in lines:
                    if line.strip() == begin:
                        inside = []
                    elif line.strip() == end and inside is not None:
                        regions.append((path.name, "\n".join(inside)))
                        inside = None
                    elif inside is not None:
                        inside.append(line)
    return regions


def json_strings(node) -> list[str]:
    """Every string in a JSON document, and each list of strings joined (a notebook's multi-line source)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in json_strings(v)]
    if isinstance(node, list):
        return ["".join(x for x in node if isinstance(x, str))] + [s for v in node for s in json_strings(v)]
    return []


def texts_of(folder: Path) -> dict[str, str]:
    """Every file under folder as text; a notebook as the text of its cells and outputs (JSON decoded)."""
    texts = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or ".git" in f.parts:
            continue
        raw = f.read_bytes().decode("utf-8", errors="replace")
        if f.suffix in (".ipynb", ".json"):
            raw += "\n" + "\n".join(json_strings(json.loads(raw)))
        texts[str(f.relative_to(folder))] = raw
    return texts


def leaks(folder: Path) -> list[str]:
    texts = texts_of(folder)
    found = []
    for notebook, region in answer_regions():
        for line in region.splitlines():
            line = line.strip()
            if len(line) < 6:  # an empty line or a lone "-" is in every file
                continue
            for rel, text in texts.items():
                if line in text:
                    found.append(f"{rel} holds a line of an answer in {notebook}: {line[:80]!r}")
    return found


def test_the_source_notebooks_have_answers_to_look_for():
    regions = answer_regions()
    by_notebook = {name for name, _ in regions}
    assert by_notebook == {p.name for p in ROOT.glob("source/*/*.ipynb")}
    assert len(regions) >= 20
    assert any("Mark scheme" in text for _, text in regions)
    assert sum(len([line for line in text.splitlines() if len(line.strip()) >= 6]) for _, text in regions) > 100


def test_no_solution_hidden_test_or_mark_scheme_text_is_published(out):
    assert leaks(out) == []
    assert find_answer_markers(out) == []


def test_the_leak_test_finds_an_answer_that_slipped_in(out, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    source = sorted(ROOT.glob("source/*/*.ipynb"))[1]
    shutil.copy2(source, copy / "release" / "slipped-in.ipynb")
    found = leaks(copy)
    assert found and all(f.startswith("release/slipped-in.ipynb") for f in found)
    assert find_answer_markers(copy) == ["release/slipped-in.ipynb"]


def test_the_copy_holds_what_learners_need_and_no_tutor_files(out):
    course = load_course(ROOT / "course.yml")
    top = {p.name for p in out.iterdir()}
    assert top == {"README.md", "LICENSE", "course.yml", "environment.yml", "constraints.txt", "postBuild", "pyproject.toml",
                   "data", "docs", "jupyter-settings", "notebooks", "release", "syslead", "index.ipynb",
                   "_config.yml", "_toc.yml", ".gitignore", MARKER}
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    for a in course.assignments:
        assert f"release/{a.id}/{a.id}.ipynb" in files
        assert (out / f"release/{a.id}/{a.id}.ipynb").read_bytes() == (ROOT / f"release/{a.id}/{a.id}.ipynb").read_bytes()
    assert {"notebooks/00-start-here.ipynb", "notebooks/my-learning-journal.ipynb"} <= files
    assert not any(f.startswith(("source/", "syslead/tutor/", "syslead/grading/")) for f in files)
    assert not any(f.endswith((".db", ".pyc")) for f in files)
    twins = [f for f in files if f.endswith(".ipynb") and f.removesuffix(".ipynb") + ".md" in files]
    assert twins == [], "the authors' .md twins (with the solutions) are not for learners"
    assert not any(f.endswith("jupytext.toml") for f in files)
    assert "notebooks/tutor-dashboard.ipynb" not in files and "nbgrader_config.py" not in files
    for csv in (ROOT / "data").iterdir():
        assert (out / "data" / csv.name).read_bytes() == csv.read_bytes()
    assert (out / "postBuild").stat().st_mode & 0o111
    assert (out / "course.yml").read_bytes() == (ROOT / "course.yml").read_bytes()


def test_every_link_in_the_published_notebooks_leads_to_a_published_file(out):
    from syslead.tutor.publish import _LINK

    missing = []
    for nb_path in sorted(out.rglob("*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target, _anchor in _LINK.findall(cell.source):
                if "://" not in target and not target.startswith("mailto:") and not (nb_path.parent / target).exists():
                    missing.append(f"{nb_path.relative_to(out)} -> {target}")
    assert missing == []


def test_the_readme_for_learners_has_the_map_the_times_and_the_configured_badge(out):
    readme = (out / "README.md").read_text()
    course = load_course(ROOT / "course.yml")
    for a in course.assignments:
        assert f"[{a.title}](release/{a.id}/{a.id}.ipynb)" in readme
        for minutes in a.part_minutes:  # a notebook in two parts has a row for each, neither over 75 minutes
            assert f"| {minutes} minutes |" in readme
    badge = ("[![Launch on Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/"
             "example-course-team/systems-leadership-learners/learners?urlpath=lab/tree/notebooks/00-start-here.ipynb)")
    assert badge in readme
    assert "https://hub.example.org/hub/user-redirect/git-pull?repo=" in readme
    assert "source/" not in readme and "nbgrader" not in readme


@pytest.mark.slow  # pip builds a wheel
def test_the_package_installs_from_the_copy_without_tutor_tools(out, tmp_path):
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(out)], cwd=tmp_path)
    (wheel,) = wheels.glob("syslead-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "syslead/learner/checks.py" in names and "syslead/course.yml" in names
    assert "syslead/data/iphone_units.csv" in names
    assert not any(n.startswith(("syslead/tutor/", "syslead/grading/")) for n in names)
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    script = ("import syslead.learner.checks, syslead.charts.spread, syslead.learner.journal, syslead.course\n"
              "from syslead.cli import build_parser\n"
              "print(sorted(build_parser()._subparsers._group_actions[0].choices))\n"
              "print(len(syslead.course.load_course().assignments))\n")
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n" + script],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    commands, count = proc.stdout.strip().splitlines()[-2:]
    assert commands == "['journal']"
    assert int(count) == len(load_course(ROOT / "course.yml").assignments)


def test_repo2docker_builds_the_copy_from_environment_yml_and_runs_postbuild(out):
    proc = run([REPO2DOCKER, "--no-build", "--debug", str(out)], cwd=out)
    dockerfile = proc.stdout + proc.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert '--file "environment.yml"' in dockerfile
    assert "RUN ./postBuild" in dockerfile
    assert "source" not in {p.name for p in out.iterdir()}


# --- the command ----------------------------------------------------------------------------------------

@pytest.mark.slow  # the command, twice
def test_publishing_again_replaces_an_earlier_copy_and_keeps_git(tmp_path):
    folder = tmp_path / "learners"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/learners\n")
    proc = subprocess.run([SYSLEAD, "publish", str(folder), "--course", str(ROOT)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "no solutions, hidden tests or mark schemes" in proc.stdout
    (folder / "release" / "stale.ipynb").write_text("{}")
    proc = subprocess.run([SYSLEAD, "publish", str(folder), "--course", str(ROOT), "--self-paced"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not (folder / "release" / "stale.ipynb").exists()
    assert (folder / ".git" / "HEAD").read_text() == "ref: refs/heads/learners\n"
    try:
        import syslead.grading.answers as answers  # noqa: F401
        has_self_paced = hasattr(answers, "self_paced")
    except ImportError:
        has_self_paced = False
    if not has_self_paced:
        assert "the release notebooks were published instead" in proc.stdout
    # No repository in course.yml: no badge and no launch links, and nothing that pretends to be one.
    assert "mybinder.org/v2" not in (folder / "README.md").read_text()


@pytest.mark.parametrize("case", ["foreign", "course", "bad-url"])
def test_a_mistake_gets_one_sentence_and_nothing_is_lost(tmp_path, case):
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "my-notes.txt").write_text("keep me")
    args = [SYSLEAD, "publish", str(folder), "--course", str(ROOT)]
    if case == "course":
        args[2] = str(ROOT)
    if case == "bad-url":
        args[2] = str(tmp_path / "new")
        args += ["--hub-url", "hub.example.org"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    message = proc.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert message.startswith("syslead publish: ") and message.endswith(".")
    assert (folder / "my-notes.txt").read_text() == "keep me"
    assert (ROOT / "source").is_dir()


@pytest.mark.parametrize(("section", "words"), [
    ({"repository": "github.com/org/repo"}, "publish, repository: 'github.com/org/repo' is not a web address"),
    ({"repository": "https://gitlab.com/org/repo"}, "is not a GitHub repository"),
    ({"hub_url": 42}, "publish, hub_url: 42 is not a web address"),
    ({"branch": "-x"}, "publish, branch: '-x' is not a branch name"),
    ({"binder": "https://mybinder.org"}, "publish: 'binder' is not a setting"),
    ("https://github.com/org/repo", "publish: it should be a mapping"),
])
def test_the_publish_section_of_course_yml_is_checked(tmp_path, section, words):
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["publish"] = section
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ManifestError) as error:
        load_course(tmp_path / "course.yml")
    message = str(error.value)
    assert words in message and message.startswith("course.yml, ") and message.count(". ") == 0


def test_the_publish_section_of_course_yml_is_read(tmp_path):
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["publish"] = {"repository": "https://github.com/org/repo/", "hub_url": "https://hub.example.org",
                       "web_url": "https://org.github.io/repo"}
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    where = load_course(tmp_path / "course.yml").publish
    assert (where.repository, where.branch, where.binder_url, where.hub_url, where.web_url) == (
        "https://github.com/org/repo", "learners", "https://mybinder.org", "https://hub.example.org",
        "https://org.github.io/repo")


@pytest.mark.slow  # a subprocess that imports the course tools
def test_the_publish_benchmark_runs_and_prints_its_figures():
    out = run([sys.executable, "benchmarks/bench_publish.py"], cwd=ROOT).stdout
    assert "learners' copy: " in out and " files, " in out and " s" in out


def test_the_example_workflow_publishes_to_the_learners_branch_and_deploys_the_web_book():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow[True]["release"]["types"] == ["published"]  # YAML reads the key `on` as True
    steps = workflow["jobs"]["publish"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert "syslead publish ../learners --web" in scripts
    assert "git push origin learners" in scripts and "git checkout --orphan learners" in scripts
    artifact = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert artifact["with"]["path"] == "learners/_build/html"
    assert load_course(ROOT / "course.yml").publish.branch == "learners"
