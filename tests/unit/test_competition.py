"""syslead.models.competition: a first mover's product against a later entrant's product with complements."""

from __future__ import annotations

import math

import numpy as np
import pytest

from syslead.models.competition import Race, overtake_years, simulate_entry
from syslead.models.diffusion import META_ANALYSIS_P, META_ANALYSIS_Q, bass_cumulative


def test_without_complements_the_later_entrant_never_overtakes():
    for delay in (0, 2, 6):
        race = simulate_entry(delay, 0, years=40)
        assert race.overtakes_at is None
        assert np.all(race.later <= race.first + 1e-12)


def test_with_complements_arriving_later_means_overtaking_later():
    times = [simulate_entry(d, 3).overtakes_at for d in (1, 3, 5)]
    assert None not in times
    assert times[0] < times[1] < times[2]
    assert all(t > d for t, d in zip(times, (1, 3, 5), strict=True))


def test_stronger_complements_overtake_sooner():
    times = [simulate_entry(3, s).overtakes_at for s in (1, 3, 6)]
    assert times[0] > times[1] > times[2]


def test_when_people_choose_only_once_arriving_too_late_means_never_overtaking():
    assert simulate_entry(2, 3, replacement=0.0).overtakes_at is not None
    assert simulate_entry(8, 3, replacement=0.0).overtakes_at is None  # the notebook's question 3
    assert simulate_entry(8, 3, replacement=0.3).overtakes_at is not None


def test_nobody_uses_the_later_product_before_it_launches():
    race = simulate_entry(4, 3)
    assert np.all(race.later[race.years < 4 - 1e-9] == 0)
    assert race.later[-1] > 0


def test_everyone_who_has_adopted_follows_the_bass_curve_whoever_they_chose():
    race = simulate_entry(3, 2, replacement=0.3, steps_per_year=200)
    owners = race.first + race.later
    expected = bass_cumulative(race.years, META_ANALYSIS_P, META_ANALYSIS_Q)
    np.testing.assert_allclose(owners, expected, atol=2e-3)


def test_shares_stay_between_nobody_and_everyone():
    race = simulate_entry(1, 6, p=0.2, q=1.5, replacement=1.0)
    assert np.all(race.first >= 0) and np.all(race.later >= 0)
    assert np.all(race.first + race.later <= 1 + 1e-12)


def test_overtake_years_agrees_with_single_races():
    delays, strengths = [0.5, 3, 8], [0, 1, 4]
    grid = overtake_years(delays, strengths, replacement=0.0)
    assert grid.shape == (3, 3)
    for i, s in enumerate(strengths):
        for j, d in enumerate(delays):
            one = simulate_entry(d, s, replacement=0.0).overtakes_at
            assert (math.isnan(grid[i, j]) and one is None) or grid[i, j] == pytest.approx(one)


def test_a_race_says_in_words_what_happened():
    assert "never overtakes" in repr(simulate_entry(3, 0))
    assert "overtakes 6.1 years after" in repr(simulate_entry(3, 3))
    assert isinstance(simulate_entry(), Race)
    first, later = simulate_entry(3, 3).share_at(20)
    assert later > first


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"delay": -1}, "delay must be 0 or more"),
        ({"complements": "strong"}, "complements must be a number"),
        ({"replacement": 1.5}, "replacement must be between 0 and 1"),
        ({"years": 0}, "years must be more than 0"),
        ({"steps_per_year": 0}, "steps_per_year must be a whole number"),
        ({"p": float("nan")}, "p must be 0 or more"),
    ],
)
def test_impossible_settings_get_a_plain_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_entry(**kwargs)


def test_an_empty_grid_gets_a_plain_error():
    with pytest.raises(ValueError, match="at least one number"):
        overtake_years([], [1, 2])
