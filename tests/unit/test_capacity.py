"""Tests for syslead.models.capacity: the hero as a bottleneck (M/M/1, M/M/c and a week-by-week backlog)."""

import math

import numpy as np
import pytest

from syslead.models.capacity import (
    chance_of_waiting,
    load,
    rising_demand,
    simulate_backlog,
    time_in_system,
)

# --------------------------------------------------------------------------------------------------
# The published numbers


def test_one_person_at_90_percent_load_takes_ten_service_times():
    assert time_in_system(0.9, 1.0) == pytest.approx(10.0)


def test_ten_people_pooled_at_90_percent_load_take_about_one_and_two_thirds_service_times():
    assert time_in_system(9.0, 1.0, servers=10) == pytest.approx(1.6687, abs=5e-4)


def test_one_server_matches_the_mm1_formula_at_every_load():
    for lam in (0.1, 0.5, 0.8, 0.95, 0.99):
        assert time_in_system(lam, 1.0) == pytest.approx(1 / (1 - lam))


def test_the_answer_is_in_the_unit_of_the_rates():
    # 4.5 problems a week, 5 settled a week by one person: 1 / (5 - 4.5) = 2 weeks
    assert time_in_system(4.5, 5.0) == pytest.approx(2.0)


def test_two_servers_match_the_closed_form():
    # M/M/2: W = 1 / (mu (1 - rho^2)), with rho = lambda / (2 mu)
    for rho in (0.3, 0.7, 0.9):
        assert time_in_system(2 * rho, 1.0, servers=2) == pytest.approx(1 / (1 - rho**2))


def test_erlang_c_matches_the_textbook_formula_with_factorials():
    c, a = 10, 9.0
    top = a**c / math.factorial(c) * c / (c - a)
    expected = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    assert chance_of_waiting(a, 1.0, c) == pytest.approx(expected)
    assert chance_of_waiting(0.6, 1.0) == pytest.approx(0.6)  # one server: the chance of waiting is the load


def test_erlang_c_stays_finite_for_hundreds_of_people():
    w = time_in_system(450.0, 1.0, servers=500)
    assert 1.0 < w < 1.01


def test_pooling_never_makes_the_wait_longer_at_the_same_load():
    for rho in (0.5, 0.8, 0.9, 0.97):
        times = [time_in_system(rho * c, 1.0, servers=c) for c in (1, 2, 3, 5, 10, 20)]
        assert times == sorted(times, reverse=True)


def test_the_wait_explodes_as_one_person_nears_full_load():
    assert time_in_system(0.99, 1.0) == pytest.approx(100.0)
    assert time_in_system(0.99, 1.0) > 40 * time_in_system(0.5, 1.0)


def test_load_is_the_share_of_time_each_person_is_busy():
    assert load(9, 1, 10) == pytest.approx(0.9)


# --------------------------------------------------------------------------------------------------
# Plain errors


@pytest.mark.parametrize("arrival, servers", [(1.0, 1), (2.0, 1), (10.0, 10), (12.0, 10)])
def test_demand_at_or_above_capacity_says_the_backlog_grows_without_limit(arrival, servers):
    with pytest.raises(ValueError, match="grows without limit"):
        time_in_system(arrival, 1.0, servers=servers)


@pytest.mark.parametrize("arrival, service", [(0, 1), (-1, 1), (0.5, 0), (0.5, -2), (float("nan"), 1)])
def test_rates_that_are_not_positive_are_refused(arrival, service):
    with pytest.raises(ValueError, match="more than 0"):
        time_in_system(arrival, service)


@pytest.mark.parametrize("servers", [0, -1, 2.5, "three", True])
def test_a_team_size_that_is_not_a_whole_number_of_people_is_refused(servers):
    with pytest.raises(ValueError, match="servers"):
        time_in_system(0.5, 1.0, servers=servers)


def test_errors_are_plain_value_errors_of_one_sentence():
    with pytest.raises(ValueError) as info:
        time_in_system(2, 1)
    assert type(info.value) is ValueError
    message = str(info.value)
    assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message


# --------------------------------------------------------------------------------------------------
# Week by week


def test_without_randomness_demand_below_capacity_leaves_no_backlog():
    weeks = simulate_backlog([4.0] * 20, capacity=5.0, random=False)
    assert (weeks["backlog"] == 0).all()
    assert weeks["settled"].tolist() == [4.0] * 20


def test_without_randomness_the_backlog_grows_by_the_excess_each_week():
    weeks = simulate_backlog([7.0] * 10, capacity=5.0, random=False)
    assert weeks["backlog"].tolist() == pytest.approx([2.0 * w for w in range(1, 11)])
    assert weeks["weeks_to_clear"].iloc[-1] == pytest.approx(20.0 / 5.0)


def test_more_people_settle_more_each_week():
    weeks = simulate_backlog([7.0] * 10, capacity=5.0, people=2, random=False)
    assert (weeks["backlog"] == 0).all()


def test_a_starting_backlog_is_worked_down():
    weeks = simulate_backlog([3.0] * 5, capacity=5.0, backlog=6, random=False)
    assert weeks["backlog"].tolist() == pytest.approx([4.0, 2.0, 0.0, 0.0, 0.0])


def test_the_table_has_one_row_per_week_and_documented_columns():
    weeks = simulate_backlog(rising_demand(3, 8, 52), capacity=5.0, seed=1)
    assert list(weeks.columns) == ["week", "demand", "arrived", "settled", "backlog", "weeks_to_clear"]
    assert weeks["week"].tolist() == list(range(1, 53))


def test_nothing_is_lost_or_invented():
    weeks = simulate_backlog(rising_demand(3, 8, 52), capacity=5.0, backlog=4, seed=2)
    assert 4 + weeks["arrived"].sum() - weeks["settled"].sum() == pytest.approx(weeks["backlog"].iloc[-1])
    assert (weeks["backlog"] >= 0).all()


def test_the_same_seed_gives_the_same_weeks():
    a = simulate_backlog(rising_demand(3, 8, 30), capacity=5.0, seed=7)
    b = simulate_backlog(rising_demand(3, 8, 30), capacity=5.0, seed=7)
    assert a.equals(b)


def test_with_rising_demand_the_heros_backlog_explodes_and_the_hosts_stays_short():
    demand = rising_demand(3, 8, 52)
    # Without randomness: demand passes 5 a week in week 22, and the excess adds up to about 46 problems.
    plain = simulate_backlog(demand, capacity=5.0, people=1, random=False)
    assert plain["backlog"].iloc[-1] == pytest.approx((demand[demand > 5] - 5).sum())
    ends = []
    for seed in range(20):
        hero = simulate_backlog(demand, capacity=5.0, people=1, seed=seed)
        host = simulate_backlog(demand, capacity=5.0, people=5, seed=seed)
        ends.append(hero["backlog"].iloc[-1])
        assert hero["backlog"].iloc[-1] > 3 * max(host["backlog"].max(), 1)
        assert host["backlog"].max() <= 5
    assert np.mean(ends) > 35


def test_random_weeks_build_a_queue_below_capacity_that_plain_arithmetic_misses():
    demand = [4.5] * 2000  # 90 % of one person's capacity
    hero = simulate_backlog(demand, capacity=5.0, seed=11)
    assert simulate_backlog(demand, capacity=5.0, random=False)["backlog"].max() == 0
    assert hero["backlog"].mean() > 2  # a real queue, although demand is below capacity
    assert hero["backlog"].mean() < 40  # but a stable one


def test_above_capacity_the_random_backlog_grows_at_the_excess_rate():
    hero = simulate_backlog([6.0] * 5000, capacity=5.0, seed=3)
    assert hero["backlog"].iloc[-1] / 5000 == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"demand": [], "capacity": 5}, "at least one week"),
        ({"demand": 4, "capacity": 5}, "one for each week"),
        ({"demand": [4, -1], "capacity": 5}, "negative"),
        ({"demand": ["a lot"], "capacity": 5}, "list of numbers"),
        ({"demand": [4], "capacity": -5}, "negative"),
        ({"demand": [4], "capacity": 5, "people": 0}, "at least 1"),
        ({"demand": [4], "capacity": 5, "backlog": 2.5}, "whole number"),
    ],
)
def test_bad_backlog_settings_get_one_plain_sentence(kwargs, words):
    with pytest.raises(ValueError, match=words):
        simulate_backlog(**kwargs)


def test_rising_demand_is_a_straight_line_from_start_to_end():
    assert rising_demand(3, 8, 6).tolist() == pytest.approx([3, 4, 5, 6, 7, 8])
    with pytest.raises(ValueError):
        rising_demand(3, 8, 0)


# --------------------------------------------------------------------------------------------------
# Charts: every chart says what it shows, with its numbers


def test_the_load_chart_alt_text_gives_the_published_numbers():
    from syslead.charts.capacity import time_in_system_chart

    chart = time_in_system_chart(display=False)
    assert chart.png.startswith(b"\x89PNG")
    assert "1 person: 10.00" in chart.alt and "10 people: 1.67" in chart.alt


def test_past_the_heros_capacity_the_chart_says_the_backlog_grows_without_limit():
    from syslead.charts.capacity import hero_or_host_chart

    below = hero_or_host_chart(demand=4.5, capacity=5, people=5, display=False)
    above = hero_or_host_chart(demand=6, capacity=5, people=5, display=False)
    assert "2.0 weeks" in below.alt
    assert "grows without limit" in above.alt and "0.2 weeks" in above.alt


def test_the_backlog_chart_describes_both_lines():
    from syslead.charts.capacity import backlog_chart

    chart = backlog_chart(display=False)
    assert "hero" in chart.alt and "host team of 5" in chart.alt
    assert not np.isnan(chart.png[0])
