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
