"""syslead.models.diffusion: the Bass model, its peak, fitting it to data, and its plain errors (reading 2)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from syslead.models.datasets import load
from syslead.models.diffusion import (
    META_ANALYSIS_P,
    META_ANALYSIS_Q,
    BassFit,
    bass_adoption_rate,
    bass_cumulative,
    bass_peak,
    fit_bass,
)

P, Q = META_ANALYSIS_P, META_ANALYSIS_Q


def solve_bass_ode(p: float, q: float, t_end: float, steps: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """dF/dt = (p + q F)(1 - F), F(0) = 0, by the classical Runge-Kutta method (independent of the closed form)."""

    def slope(f):
        return (p + q * f) * (1 - f)

    h = t_end / steps
    f = np.empty(steps + 1)
    f[0] = 0.0
    for k in range(steps):
        k1 = slope(f[k])
        k2 = slope(f[k] + h * k1 / 2)
        k3 = slope(f[k] + h * k2 / 2)
        k4 = slope(f[k] + h * k3)
        f[k + 1] = f[k] + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return np.linspace(0, t_end, steps + 1), f


def synthetic_counts(p: float, q: float, m: float, periods: int) -> np.ndarray:
    """Exact adopters per period 1..periods for a product launched at time 0."""
    return np.diff(m * bass_cumulative(np.arange(periods + 1), p, q))


# --------------------------------------------------------------------------------------------------
# The closed form


@pytest.mark.parametrize("p, q", [(P, Q), (0.01, 0.8), (0.2, 0.05), (0.05, 0.0), (0.3, 0.3)])
def test_closed_form_solves_the_bass_differential_equation(p, q):
    t, f_numeric = solve_bass_ode(p, q, 30.0)
    np.testing.assert_allclose(bass_cumulative(t, p, q), f_numeric, atol=1e-9)


@pytest.mark.parametrize("p, q", [(P, Q), (0.002, 0.6), (0.1, 0.0)])
def test_adoption_rate_is_the_derivative_of_the_share_adopted(p, q):
    t = np.linspace(0.5, 40, 200)
    h = 1e-5
    numeric = (bass_cumulative(t + h, p, q) - bass_cumulative(t - h, p, q)) / (2 * h)
    np.testing.assert_allclose(bass_adoption_rate(t, p, q), numeric, rtol=1e-6, atol=1e-9)
    f = bass_cumulative(t, p, q)
    np.testing.assert_allclose(bass_adoption_rate(t, p, q), (p + q * f) * (1 - f), rtol=1e-7, atol=1e-14)


def test_closed_form_matches_values_worked_by_hand():
    # F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t) with p = 0.03, q = 0.38, t = 10
    e = math.exp(-0.41 * 10)
    assert bass_cumulative(10, P, Q) == pytest.approx((1 - e) / (1 + (Q / P) * e), rel=1e-12)
    assert bass_cumulative(10, P, Q) == pytest.approx(0.8128, abs=1e-4)
    # with p = q the curve is tanh(p t)
    assert bass_cumulative(2.0, 0.25, 0.25) == pytest.approx(math.tanh(0.5), rel=1e-12)


def test_broadcast_only_is_an_exponential_approach_to_everyone():
    t = np.array([0.0, 1.0, 10.0, 50.0])
    np.testing.assert_allclose(bass_cumulative(t, 0.1, 0.0), 1 - np.exp(-0.1 * t), rtol=1e-12)
    np.testing.assert_allclose(bass_adoption_rate(t, 0.1, 0.0), 0.1 * np.exp(-0.1 * t), rtol=1e-12)


def test_word_of_mouth_alone_never_starts_because_nobody_is_first():
    t = np.linspace(0, 100, 11)
    assert np.all(bass_cumulative(t, 0.0, 0.5) == 0)
    assert np.all(bass_adoption_rate(t, 0.0, 0.5) == 0)
    assert bass_cumulative(10, 0.0, 0.0) == 0.0


def test_at_launch_nobody_has_adopted_and_adoption_runs_at_rate_p():
    assert bass_cumulative(0, P, Q) == 0.0
    assert bass_adoption_rate(0, P, Q) == pytest.approx(P)


def test_before_launch_nothing_happens():
    t = np.array([-5.0, -0.1])
    assert np.all(bass_cumulative(t, P, Q) == 0)
    assert np.all(bass_adoption_rate(t, P, Q) == 0)


def test_share_adopted_rises_to_everyone_and_never_passes_it():
    t = np.linspace(0, 200, 2001)
    f = bass_cumulative(t, P, Q)
    assert np.all(np.diff(f) >= 0)
    assert f[-1] == pytest.approx(1.0, abs=1e-12)
    assert f.max() <= 1.0


def test_functions_take_one_time_or_many():
    assert isinstance(bass_cumulative(3, P, Q), float)
    assert isinstance(bass_adoption_rate(3.0, P, Q), float)
    grid = np.arange(12).reshape(3, 4)
    assert bass_cumulative(grid, P, Q).shape == (3, 4)
    assert bass_adoption_rate([1, 2, 3], P, Q).shape == (3,)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "a lot", None, True])
def test_impossible_coefficients_get_a_plain_error(bad):
    with pytest.raises(ValueError, match="^p must"):
        bass_cumulative(1, bad, Q)
    with pytest.raises(ValueError, match="^q must"):
        bass_adoption_rate(1, P, bad)
    with pytest.raises(ValueError, match="^p must"):
        bass_peak(bad, Q)


# --------------------------------------------------------------------------------------------------
# The peak


def test_peak_of_the_meta_analysis_averages_is_about_six_years_after_launch():
    peak = bass_peak(P, Q)
    assert peak.time == pytest.approx(math.log(Q / P) / (P + Q))
    assert round(peak.time) == 6
    assert peak.share == pytest.approx((Q - P) / (2 * Q))
    assert peak.rate == pytest.approx((P + Q) ** 2 / (4 * Q))


@pytest.mark.parametrize("p, q", [(P, Q), (0.005, 0.9), (0.1, 0.2)])
def test_peak_is_where_the_adoption_rate_is_highest(p, q):
    t = np.linspace(0, 60, 600_001)
    rate = bass_adoption_rate(t, p, q)
    i = int(np.argmax(rate))
    peak = bass_peak(p, q)
    assert peak.time == pytest.approx(t[i], abs=1e-3)
    assert peak.rate == pytest.approx(rate[i], rel=1e-9)
    assert peak.share == pytest.approx(bass_cumulative(peak.time, p, q), rel=1e-9)


def test_when_broadcast_outweighs_word_of_mouth_adoption_is_fastest_at_launch():
    assert bass_peak(0.2, 0.1) == (0.0, 0.0, 0.2)
    assert bass_peak(0.2, 0.0) == (0.0, 0.0, 0.2)


def test_with_no_broadcast_there_is_no_peak_because_nothing_happens():
    assert bass_peak(0.0, 0.4) == (0.0, 0.0, 0.0)
    assert bass_peak(0.0, 0.0) == (0.0, 0.0, 0.0)


# --------------------------------------------------------------------------------------------------
# Fitting


def test_fit_is_exact_on_data_without_noise():
    counts = synthetic_counts(P, Q, 5_000, 20)
    fit = fit_bass(np.arange(1, 21), counts)
    assert fit.p == pytest.approx(P, rel=1e-4)
    assert fit.q == pytest.approx(Q, rel=1e-4)
    assert fit.m == pytest.approx(5_000, rel=1e-4)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(fit.per_period(), counts, rtol=1e-4)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p, q, m", [(P, Q, 1_000.0), (0.01, 0.5, 250_000.0), (0.08, 0.25, 60.0)])
def test_fit_recovers_p_q_m_from_noisy_data(seed, p, q, m):
    rng = np.random.default_rng(seed)
    exact = synthetic_counts(p, q, m, 25)
    noisy = exact * (1 + 0.02 * rng.standard_normal(exact.size))  # 2 % noise on each period's count
    fit = fit_bass(np.arange(2000, 2025), noisy)
    assert fit.p == pytest.approx(p, rel=0.05)
    assert fit.q == pytest.approx(q, rel=0.05)
    assert fit.m == pytest.approx(m, rel=0.03)
    assert fit.r_squared > 0.99


def test_fit_gives_rates_per_unit_of_the_periods_you_use():
    counts = synthetic_counts(P, Q, 800, 16)
    yearly = fit_bass(np.arange(1, 17), counts)
    monthly = fit_bass(12 * np.arange(1, 17), counts)  # the same data, with periods counted in months
    assert monthly.p == pytest.approx(yearly.p / 12, rel=1e-4)
    assert monthly.q == pytest.approx(yearly.q / 12, rel=1e-4)
    assert monthly.m == pytest.approx(yearly.m, rel=1e-4)


def test_fit_takes_launch_as_one_period_before_the_first_and_reports_the_peak_in_calendar_time():
    fit = fit_bass(np.arange(2007, 2027), synthetic_counts(P, Q, 100, 20))
    assert fit.start == 2006
    assert fit.peak.time == pytest.approx(2006 + bass_peak(P, Q).time, abs=1e-2)
    assert fit.peak.rate == pytest.approx(100 * bass_peak(P, Q).rate, rel=1e-3)
    assert fit.cumulative(2006) == 0.0


def test_fit_of_the_iphone_series_finds_strong_word_of_mouth_and_little_broadcast():
    data = load("iphone_units.csv")
    fit = fit_bass(data["fiscal_year"], data["units_millions"])
    assert isinstance(fit, BassFit)
    # the notebook's question 2 and its text rely on these
    assert fit.p < META_ANALYSIS_P and fit.q > META_ANALYSIS_Q
    assert 0.9 < fit.r_squared < 1.0
    assert 1_500 < fit.m < 3_000  # millions of iPhones over the model's life
    assert 2014 < fit.peak.time < 2018
    assert "p = 0.00" in repr(fit) and "q = 0.4" in repr(fit)


@pytest.mark.parametrize(
    "periods, adopters, message",
    [
        ([1, 2], [3, 4], "at least three"),
        ([], [], "at least three"),
        ([1, 2, 3], [5, -1, 4], "negative"),
        ([1, 2, 3, 4], [1, 2, 3], "same length"),
        ([1, 3, 2], [1, 2, 3], "increase"),
        ([1, 2, 2], [1, 2, 3], "increase"),
        ([1, 2, 3], [0, 0, 0], "all zero"),
        ([1, 2, 3], [1, float("nan"), 3], "missing"),
        ([1, 2, 3], ["a", "b", "c"], "numbers"),
    ],
    ids=["two points", "no points", "negative count", "mismatched lengths", "not increasing", "repeated period",
         "all zero", "missing value", "not numbers"],
)
def test_fit_refuses_bad_input_with_one_plain_sentence(periods, adopters, message):
    with pytest.raises(ValueError) as info:
        fit_bass(periods, adopters)
    text = str(info.value)
    assert message in text
    assert "\n" not in text and text.endswith(".")
    assert len(re.findall(r"[.!?](\s|$)", text)) == 1  # one sentence


# --------------------------------------------------------------------------------------------------
# The charts of reading 2 (syslead.charts.diffusion)


@pytest.mark.parametrize(
    "name",
    ["adoption_curves", "fitted_adoption", "p_q_map", "technology_adoption", "race", "overtake_map"],
)
def test_every_reading_two_chart_has_alt_text_with_its_numbers(name):
    from syslead import charts
    from syslead.charts import diffusion as diffusion_charts

    data = load("iphone_units.csv")
    fit = fit_bass(data["fiscal_year"], data["units_millions"])
    make = getattr(diffusion_charts, name)
    chart = make(fit, display=False) if name in {"fitted_adoption", "p_q_map"} else make(display=False)
    assert isinstance(chart, charts.Chart) and chart.png.startswith(b"\x89PNG")
    assert len(chart.alt) > 150 and re.search(r"\d", chart.alt)


def test_the_fitted_chart_shows_p_and_q_as_the_learner_can_read_them():
    from syslead.charts import diffusion as diffusion_charts

    data = load("iphone_units.csv")
    fit = fit_bass(data["fiscal_year"], data["units_millions"])
    chart = diffusion_charts.fitted_adoption(fit, display=False)
    assert f"p = {fit.p:.3f}" in chart.alt and f"q = {fit.q:.2f}" in chart.alt
