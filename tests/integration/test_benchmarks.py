"""The benchmark scripts run and print their figures (small sizes; no timing is asserted)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT, run

pytestmark = pytest.mark.slow


def test_spread_benchmark_runs_and_reports_every_figure():
    out = run([sys.executable, "benchmarks/bench_spread.py", "--quick"], cwd=ROOT).stdout
    for heading in ("1. simulate_spread", "2. the same model", "3. slider update", "4. notebooks"):
        assert heading in out
    assert "networkx loop:" in out and "times slower" in out
    result = json.loads((ROOT / "benchmarks" / "results" / "spread-quick.json").read_text())
    assert result["quick"] is True and result["slider"]["median_seconds"] > 0


def test_emergence_benchmark_prints_the_figures_the_tests_no_longer_assert():
    out = run([sys.executable, "benchmarks/bench_emergence.py", "--repeats", "2"], cwd=ROOT).stdout
    assert "threshold cascade" in out and "median" in out and "cascade-window chart" in out


def test_grading_benchmark_prints_the_sandbox_overhead_and_the_jobs_speed_up():
    """benchmarks/bench_grading.py --quick: the two figures issue 23 sets goals for, each on one plain line."""
    import re

    from syslead.grading import sandbox

    if sandbox.unavailable():
        pytest.skip(f"the grading sandbox cannot run here: {sandbox.unavailable()}")
    results = ROOT / "benchmarks" / "results" / "grading.json"
    before = results.stat().st_mtime_ns if results.exists() else None
    out = run([sys.executable, "benchmarks/bench_grading.py", "--quick"], cwd=ROOT).stdout
    overhead = re.search(r"^sandbox overhead: [+-]\d+\.\d % \(median of 1 run: (\d+\.\d) s without, (\d+\.\d) s with; "
                         r"2 submissions; goal: under \+20 %\); identical scores: yes$", out, re.M)
    speedup = re.search(r"^--jobs 2 speed-up: (\d+\.\d\d)× \(median of 1 run: (\d+\.\d) s serial nbgrader autograde, "
                        r"(\d+\.\d) s syslead autograde --jobs 2; .*identical gradebooks: yes$", out, re.M)
    assert overhead and speedup, out
    assert float(overhead.group(1)) > 0 and float(overhead.group(2)) > 0
    assert abs(float(speedup.group(1)) - float(speedup.group(2)) / float(speedup.group(3))) < 0.01
    assert "load average" in out
    assert (results.stat().st_mtime_ns if results.exists() else None) == before  # a smoke run writes no figures
