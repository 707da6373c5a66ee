"""Grading that holds on every path (issue 23): one pipeline, nothing learner-made reaching the tutor raw,
walks that cannot be stopped, a submission time the learner cannot set, publishing that cannot leak.

Fast: fixture notebooks and folders, no kernel. The sandbox's own bounds are proven with real kernels in
tests/integration/test_sandbox.py, the whole corpus in tests/integration/test_hostile.py and formgrader's
Autograde on a real hub in tests/integration/test_hub.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from syslead.grading import clean, pipeline, sandbox, submissions
from syslead.grading.clean import clean_markdown, clean_notebook, clean_text, safe_url
from syslead.grading.report import Row, report_table
from syslead.walk import TooDeep, copy_tree, depth_problem, remove_tree, walk

# --- 1. one pipeline --------------------------------------------------------------------------------------


def load(path: Path) -> Config:
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.mark.parametrize("config_file", ["nbgrader_config.py", "deploy/jupyterhub/jupyter-config/grader/nbgrader_config.py"])
def test_every_config_declares_the_one_pipeline_with_the_sandbox_kernel(config_file):
    config = load(ROOT / config_file)
    want = pipeline.apply(Config())
    assert config.Execute.kernel_name == pipeline.KERNEL_NAME == "syslead-sandbox"
    assert config.Autograde.sanitize_preprocessors == want.Autograde.sanitize_preprocessors
    assert config.Autograde.autograde_preprocessors == want.Autograde.autograde_preprocessors
    assert config.GenerateFeedback.preprocessors == want.GenerateFeedback.preprocessors
    assert "syslead.grading.execute.BoundedExecute" in config.Autograde.autograde_preprocessors
    assert "nbgrader.preprocessors.Execute" not in config.Autograde.autograde_preprocessors


def test_the_sandbox_is_only_left_out_when_asked_and_limits_are_declared_once():
    assert pipeline.apply(Config(), sandbox=False).Execute.kernel_name == ""
    assert sandbox.DEFAULTS == pipeline.LIMITS
    assert sandbox.KERNEL_NAME == pipeline.KERNEL_NAME


def test_the_late_policy_comes_from_course_yml(tmp_path):
    text = (ROOT / "course.yml").read_text()
    (tmp_path / "course.yml").write_text(text + "\nlate_policy:\n  per_hour: 1\n  max_points: 4\n")
    config = pipeline.apply(Config(), tmp_path)
    assert config.AssignLatePenalties.plugin_class == "syslead.tutor.late.ManifestLatePenalty"
    assert config.ManifestLatePenalty.policy == {"per_hour": 1, "max_points": 4}
    assert "plugin_class" not in pipeline.apply(Config(), ROOT).AssignLatePenalties  # no policy: nbgrader's own


def test_the_late_plugin_reads_the_assignment_from_nbgrader_when_not_pinned():
    from syslead.tutor.late import ManifestLatePenalty

    class Step:  # what nbgrader's AssignLatePenalties gives its plugin as parent
        assignment_id = "a1"

        class gradebook:  # noqa: N801
            @staticmethod
            def find_assignment(name):
                return type("A", (), {"max_score": 10.0})()

    plugin = ManifestLatePenalty(policy={"percent_per_day": 10}, extensions={"eve": {"a1": 24}})
    plugin.parent = None
    object.__setattr__(plugin, "_trait_values", {**plugin._trait_values, "parent": Step()})
    assert plugin.late_submission_penalty("bob", 10.0, 3600) == 1.0  # 10 % of a1's 10 points
    assert plugin.late_submission_penalty("eve", 10.0, 3600) == 0.0  # eve's 24-hour extension on a1


# --- 2. nothing learner-made reaches the tutor raw -------------------------------------------------------


def image_output(metadata: dict):
    return nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}, metadata=metadata)


def test_output_metadata_keeps_numeric_width_and_height_only():
    out = image_output({"image/png": {"width": "1 onerror=alert(1)", "height": 20, "unconfined": True},
                        "width": 5, "height": "7 onload=x", "isolated": "<script>"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[out])])
    assert clean_notebook(nb) == 4
    assert nb.cells[0].outputs[0].metadata == {"image/png": {"height": 20}, "width": 5}


@pytest.mark.parametrize("markdown", [
    "See [the plan][p].\n\n[p]: javascript:alert(1)\n",  # reference-style
    "See [the plan](&#106;avascript:alert(1)).",  # entity-encoded
    "See [the plan](&#x6A;&#x61;vascript&colon;alert(1)).",
    "See [the plan](jav&#x09;ascript:alert(1)).",  # a tab a browser drops
    "See <javascript:alert(1)>.",  # an autolink
    "See [the plan](JaVaScRiPt:alert(1)) and ![x](vbscript:msgbox(1)).",
    "See ![x](data:text/html;base64,PHNjcmlwdD4=).",
    "See [the plan](java%73cript:alert(1)).",  # %-escaped
])
def test_unsafe_link_destinations_are_rewritten_from_the_parsed_tree(markdown):
    import re

    import mistune

    cleaned = clean_markdown(markdown)
    html = mistune.html(cleaned)
    destinations = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert all(safe_url(d) for d in destinations), (cleaned, html)
    assert all(safe_url(d, image=True) for d in _links(cleaned)), cleaned
    assert clean_markdown(cleaned) == cleaned  # and nothing more to rewrite


def _links(markdown: str) -> list[str]:
    import mistune

    tokens, _ = mistune.create_markdown(renderer=None).parse(markdown)
    found, stack = [], list(tokens)
    while stack:
        t = stack.pop()
        if t.get("type") in ("link", "image"):
            found.append(t["attrs"]["url"])
        stack.extend(t.get("children") or [])
    return found


def test_honest_markdown_with_safe_links_is_left_exactly_as_it_was():
    text = ("A **plain** reflection: [the report](https://example.org/a?b=1), [a section](#top), "
            "[mail](mailto:a@b.org), ![pasted](attachment:image.png) and [ref][r].\n\n[r]: https://example.org\n")
    assert clean_markdown(text) == text


def test_control_characters_are_escaped_in_every_printed_string():
    hostile = "eve\x1b]0;owned\x07\x1b[2K\r\u202e"
    assert clean_text(hostile) == "eve\\x1b]0;owned\\x07\\x1b[2K\\x0d\\u202e"
    table = report_table([Row(hostile, "nb\x1b[1A.ipynb", "file", "left out: a\x1b[2Jb.csv")], "a1")
    assert "\x1b" not in table and "\r" not in table and "\\x1b[2J" in table
    from syslead.tutor.autograde import Outcome, Report

    report = Report("a1", [Outcome(hostile, "refused", "not graded: x\x1b[2K is a FIFO")])
    assert "\x1b" not in report.table() and "\\x1b[2K" in report.table()


def test_a_notebook_of_very_many_cells_is_refused_with_a_sentence(tmp_path):
    folder = tmp_path / "eve"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("") for _ in range(submissions.MAX_CELLS + 1)])
    nbformat.write(nb, folder / "a1.ipynb")
    [note] = submissions.screen(folder)
    assert note.startswith("a1.ipynb has 5,001 cells, over the 5,000 cells limit")


# --- 3. the sandbox's own environment and mounts ----------------------------------------------------------


def test_bwrap_itself_gets_only_the_listed_environment(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hunter2")
    assert set(sandbox.bwrap_environment()) == set(sandbox.BWRAP_ENV) == {"PATH", "LANG"}


def test_mounts_cap_home_tmp_and_dev_shm_and_make_dev_read_only():
    args = sandbox.mount_args("/x/home", "/x/ipc", 64, home_mb=32, shm_mb=8)
    joined = " ".join(args)
    assert f"--size {8 << 20} --perms 1777 --tmpfs /dev/shm --remount-ro /dev" in joined
    assert f"--size {32 << 20} --perms 0777 --tmpfs {sandbox.HOME}" in joined
    assert f"--size {64 << 20} --perms 1777 --tmpfs /tmp" in joined
    assert f"--ro-bind /x/home {sandbox.STAGE}" in joined  # the submission's copy, read-only


def test_the_notebooks_are_never_copied_into_the_sandbox(tmp_path):
    src = tmp_path / "eve" / "a1"
    src.mkdir(parents=True)
    (src / "a1.ipynb").write_text('{"hidden": "HIDDEN"}')
    (src / "data.csv").write_text("a,b\n")
    sandbox.copy_submission(str(src), str(tmp_path / "copy"), 1 << 20)
    assert sorted(os.listdir(tmp_path / "copy")) == ["data.csv"]


def test_cgroups_where_the_grader_may_make_them_else_the_graders_watch(tmp_path):
    v1 = tmp_path / "v1"
    for controller in ("memory", "pids"):
        (v1 / controller).mkdir(parents=True)
    made, how = sandbox.make_cgroups("syslead-k-x", {"memory_mb": 512, "processes": 64}, base=str(v1))
    assert len(made) == 2 and "cgroup" in how
    assert (v1 / "memory" / "syslead-k-x" / "memory.limit_in_bytes").read_text() == str(512 << 20)
    assert (v1 / "pids" / "syslead-k-x" / "pids.max").read_text() == "64"
    made, how = sandbox.make_cgroups("syslead-k-y", {"memory_mb": 512, "processes": 64}, base=str(tmp_path / "none"))
    assert made == [] and "the grader stops the sandbox" in how


# --- 4. walks that cannot be stopped ----------------------------------------------------------------------


def deep(folder: Path, levels: int) -> Path:
    """A folder nested ``levels`` deep, made without recursion (and without paths longer than the kernel's)."""
    folder.mkdir(parents=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("bulk.bin", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            f.write(b"x" * 1000)
    finally:
        os.close(fd)
    return folder


def test_a_folder_1100_levels_deep_is_refused_by_name_and_removed(tmp_path):
    sub = deep(tmp_path / "submitted" / "eve" / "a1", 1100)
    assert depth_problem(sub) and "nested more than" in depth_problem(sub)
    [note] = submissions.refused(sub)
    assert note.startswith("the submission's folders are nested more than")
    assert submissions.screen(sub) == [note]
    with pytest.raises(TooDeep):
        copy_tree(sub, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    remove_tree(sub)
    assert not sub.exists()
    remove_tree(sub)  # safe twice


def test_walk_is_top_down_prunable_and_never_follows_links(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "f.txt").write_text("x")
    (tmp_path / "out").mkdir()
    (tmp_path / "a" / "link").symlink_to(tmp_path / "out")
    seen = [(os.path.relpath(f, tmp_path), d, fs) for f, d, fs in walk(tmp_path / "a")]
    assert seen == [("a", ["b"], ["f.txt", "link"]), ("a/b", [], [])]


def test_collect_skips_a_bad_submission_and_collects_the_rest(tmp_path):
    """One learner's folder nested 1,100 deep no longer stops collect: the others are collected."""
    from syslead.grading.submissions import SafeExchangeCollect

    class Coursedir:
        max_dir_size, max_file_size, ignore, include = 100_000, 100_000, [], ["*"]

    collector = SafeExchangeCollect.__new__(SafeExchangeCollect)
    object.__setattr__(collector, "_trait_values", {"log": logging.getLogger("t"), "coursedir": Coursedir()})
    inbound = tmp_path / "inbound"
    deep(inbound / "eve+a1+2026-01-01 10:00:00.000000 UTC", 1100)
    ok = inbound / "ada+a1+2026-01-01 10:00:00.000000 UTC"
    ok.mkdir()
    (ok / "a1.ipynb").write_text("{}")
    (ok / "timestamp.txt").write_text("2026-01-01 10:00:00.000000 UTC")
    collector.do_copy(str(inbound / "eve+a1+2026-01-01 10:00:00.000000 UTC"), str(tmp_path / "sub" / "eve"))
    collector.do_copy(str(ok), str(tmp_path / "sub" / "ada"))
    assert not (tmp_path / "sub" / "eve").exists()
    assert (tmp_path / "sub" / "ada" / "a1.ipynb").is_file()
    remove_tree(inbound)  # pytest's own clean-up of tmp_path recurses, and would fail on it


# --- 5. a submission time the learner cannot set ----------------------------------------------------------


def test_collect_records_the_time_itself_and_flags_a_backdated_timestamp(tmp_path, caplog):
    src, dest = tmp_path / "inbound" / "eve+a1+2020-01-01 00:00:00.000000 UTC", tmp_path / "submitted"
    src.mkdir(parents=True)
    (src / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
    os.utime(src / "timestamp.txt", (0, 0))  # a learner can set the modification time, never the change time
    os.utime(src, (0, 0))
    copy_tree(src, dest)
    with caplog.at_level(logging.WARNING):
        info = submissions.record_time(str(src), str(dest), "eve", logging.getLogger("collect"))
    recorded = dt.datetime.strptime(info["recorded"], submissions.TIMESTAMP_FORMAT)
    assert abs((recorded - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()) < 300
    assert info["mismatch"] and "eve" in caplog.text and "2020-01-01" in caplog.text
    assert (dest / "timestamp.txt").read_text() == info["recorded"]
    assert json.loads((dest / ".syslead-timestamp.json").read_text())["mismatch"] is True


def test_an_honest_timestamp_is_not_flagged(tmp_path):
    src, dest = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    now = dt.datetime.now(dt.UTC).strftime(submissions.TIMESTAMP_FORMAT)
    (src / "timestamp.txt").write_text(now)
    copy_tree(src, dest)
    assert submissions.record_time(str(src), str(dest), "ada", logging.getLogger("t"))["mismatch"] is False


# --- 6. output counted by the grader ----------------------------------------------------------------------


def test_the_grader_counts_output_per_cell_and_per_notebook(monkeypatch):
    from syslead.grading.execute import BoundedExecute

    monkeypatch.setenv("SYSLEAD_SANDBOX_OUTPUT_MB", "1")
    monkeypatch.setenv("SYSLEAD_SANDBOX_NOTEBOOK_OUTPUT_MB", "1.5")
    ex = BoundedExecute()
    ex._cell_bytes, ex._notebook_bytes, ex._cut = {}, 0, set()
    ex._cell_limit, ex._notebook_limit = 1e6, 1.5e6
    cells = [nbformat.v4.new_code_cell("") for _ in range(3)]

    def flood(index: int, n: int) -> None:
        for _ in range(n):
            msg = {"msg_type": "stream", "content": {"name": "stdout", "text": "x" * 100_000},
                   "parent_header": {"msg_id": "m"}, "header": {"msg_type": "stream"}}
            ex.process_message(msg, cells[index], index)

    ex.output_hook_stack = {"m": []}
    ex.clear_before_next_output = False
    ex._display_id_map = {}
    flood(0, 30)  # 3 MB in one cell: 1 MB kept
    flood(1, 8)  # 0.8 MB, but the notebook has only 0.5 MB left
    flood(2, 8)  # nothing left for this one
    kept = [sum(len(o.get("text", "")) for o in c.outputs if o.get("name") == "stdout") for c in cells]
    assert kept == [1_000_000, 500_000, 0]
    assert "1 MB per cell" in cells[0].outputs[-1]["text"]
    assert "1.5 MB per notebook" in cells[1].outputs[-1]["text"] and "per notebook" in cells[2].outputs[-1]["text"]


# --- 7. publishing that cannot leak graded answers --------------------------------------------------------


def test_the_leak_check_counts_an_instant_checks_answer(tmp_path):
    from syslead.tutor.publish import find_instant_answers

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check('levels', levels, answer=3)")])
    nbformat.write(nb, tmp_path / "a.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check('levels', levels)")]),
                   tmp_path / "b.ipynb")
    assert find_instant_answers(tmp_path, ["a.ipynb", "b.ipynb"]) == ["a.ipynb"]


@pytest.mark.slow  # makes a gradebook (about 10 s on a busy machine)
def test_assignments_with_a_due_date_or_in_the_gradebook_count_as_graded(tmp_path):
    from nbgrader.api import Gradebook

    from syslead.course import load_course
    from syslead.tutor.publish import graded_assignments

    text = (ROOT / "course.yml").read_text().replace("- id: 02-systems-innovation",
                                                     "- id: 02-systems-innovation\n  due: 2026-02-02 17:00:00 UTC", 1)
    (tmp_path / "course.yml").write_text(text)
    course = load_course(tmp_path / "course.yml")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment("01-systems-leadership")
    assert graded_assignments(course) == {"01-systems-leadership", "02-systems-innovation"}


def test_clean_module_keeps_its_public_names():
    assert clean.SAFE_SCHEMES == ("http", "https", "mailto", "attachment")


# --- 8. tests that never skip quietly ---------------------------------------------------------------------


def test_under_ci_a_skipped_security_test_fails(tmp_path):
    import subprocess
    import sys

    (tmp_path / "test_sandbox.py").write_text("import pytest\n\ndef test_x():\n    pytest.skip('no bubblewrap')\n")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider", str(tmp_path / "test_sandbox.py")]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    quiet = subprocess.run(cmd, capture_output=True, text=True, env={**env, "CI": ""}, cwd=tmp_path, timeout=300)
    loud = subprocess.run(cmd, capture_output=True, text=True, env={**env, "CI": "true"}, cwd=tmp_path, timeout=300)
    assert quiet.returncode == 0 and "1 skipped" in quiet.stdout, quiet.stdout[-500:]
    assert loud.returncode == 1 and "1 failed" in loud.stdout and "no bubblewrap" in loud.stdout, loud.stdout[-800:]


def test_formgraders_path_refuses_too_many_cells_and_links_with_a_sentence(tmp_path):
    from syslead.grading.refuse import Refused, RefuseUnsafe

    assert pipeline.SANITIZE[0] == "syslead.grading.refuse.RefuseUnsafe"
    step = RefuseUnsafe()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell("") for _ in range(submissions.MAX_CELLS + 1)])
    with pytest.raises(Refused, match="eve's notebook has 5,001 cells"):
        step.preprocess(nb, {"nbgrader": {"student": "eve"}, "metadata": {"path": str(tmp_path)}})
    (tmp_path / "gradebook-link").symlink_to("/etc/passwd")
    with pytest.raises(Refused, match="gradebook-link is a symbolic link"):
        step.preprocess(nbformat.v4.new_notebook(), {"nbgrader": {"student": "eve"}, "metadata": {"path": str(tmp_path)}})
    (tmp_path / "gradebook-link").unlink()
    honest = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert step.preprocess(honest, {"metadata": {"path": str(tmp_path)}})[0] is honest
