"""Tests for syslead.models.emergence: Granovetter's thresholds, Watts' cascades and the life cycle of emergence."""


import numpy as np
import pytest

from syslead.models.emergence import (
    STAGES,
    cascade_sizes,
    cascade_window_bounds,
    connected_groups,
    granovetter,
    granovetter_rounds,
    joining_curve,
    life_cycle,
    threshold_cascade,
)
from syslead.models.spread import from_edges, hierarchy, random_network, small_world

# --------------------------------------------------------------------------------------------------
# Granovetter (1978)


def test_thresholds_0_to_99_bring_everyone_in():
    assert granovetter(range(100)) == 100


def test_changing_one_threshold_from_1_to_2_stops_the_crowd_after_one_person():
    thresholds = list(range(100))
    thresholds[1] = 2
    assert granovetter(thresholds) == 1


def test_nobody_joins_without_someone_who_acts_alone():
    assert granovetter([1, 1, 2, 3]) == 0


def test_the_order_of_the_crowd_does_not_matter():
    rng = np.random.default_rng(0)
    crowd = rng.integers(0, 30, size=200)
    assert granovetter(crowd) == granovetter(rng.permutation(crowd)) == granovetter(sorted(crowd))


def test_the_check_question_crowd_stops_at_four():
    assert granovetter([0, 1, 2, 3, 5, 5, 6, 7, 8, 9]) == 4


def test_granovetter_agrees_with_joining_round_by_round():
    rng = np.random.default_rng(1)
    for _ in range(200):
        crowd = rng.integers(0, 12, size=int(rng.integers(1, 15)))
        joined = 0
        while True:  # the definition, one round at a time
            now = int((crowd <= joined).sum())
            if now == joined:
                break
            joined = now
        assert granovetter(crowd) == joined == granovetter_rounds(crowd)[-1]


def test_rounds_show_one_more_person_each_round_in_the_published_crowd():
    rounds = granovetter_rounds(range(100))
    assert rounds.tolist() == list(range(1, 101))


def test_the_crowd_comes_to_rest_where_the_joining_curve_meets_the_diagonal():
    crowd = [0, 1, 2, 3, 5, 5, 6, 7, 8, 9]
    curve = joining_curve(crowd)
    rest = curve[curve["willing"] <= curve["joined"]]["joined"].iloc[0]
    assert rest == granovetter(crowd)


@pytest.mark.parametrize("bad", [[], [0, -1], [0, float("nan")], "abc", [[0, 1], [2, 3]]])
def test_bad_thresholds_get_one_plain_sentence(bad):
    with pytest.raises(ValueError, match="threshold"):
        granovetter(bad)


# --------------------------------------------------------------------------------------------------
# Threshold cascades on networks (Watts 2002)


def _line(n):
    """People in a line: 0 - 1 - 2 - ... - n-1."""
    return from_edges(n, np.arange(n - 1), np.arange(1, n), "line", {})


def test_on_a_line_one_neighbour_in_two_is_enough_to_reach_everyone():
    assert threshold_cascade(_line(10), 0.5, seeds=[0]) == 1.0


def test_on_a_line_needing_both_neighbours_stops_the_cascade_at_the_seed():
    assert threshold_cascade(_line(10), 0.6, seeds=[0]) == pytest.approx(0.1)


def test_phi_counts_a_share_of_each_persons_own_contacts():
    # a star: the centre has 4 contacts, each leaf has 1. Seeding one leaf gives the centre 1 of 4 = 25 %.
    star = from_edges(5, np.zeros(4, dtype=np.int64), np.arange(1, 5), "star", {})
    assert threshold_cascade(star, 0.25, seeds=[1]) == 1.0
    assert threshold_cascade(star, 0.26, seeds=[1]) == pytest.approx(0.2)


def test_phi_zero_spreads_to_everyone_reachable_like_reading_one():
    two_islands = from_edges(6, np.array([0, 1, 3, 4]), np.array([1, 2, 4, 5]), "islands", {})
    assert threshold_cascade(two_islands, 0.0, seeds=[0]) == pytest.approx(0.5)


def test_a_person_with_no_contacts_never_joins_unless_they_start():
    lonely = from_edges(3, np.array([0]), np.array([1]), "pair and one", {})
    assert threshold_cascade(lonely, 0.1, seeds=[0]) == pytest.approx(2 / 3)


def test_seeds_one_means_one_person_at_random_and_the_seed_fixes_who():
    net = hierarchy(1000, 3)
    a = threshold_cascade(net, 1.0, seeds=1, seed=5)
    assert a == pytest.approx(1 / 1000)  # nobody else can follow when they need every contact
    assert threshold_cascade(net, 0.3, seeds=1, seed=5) == threshold_cascade(net, 0.3, seeds=1, seed=5)
    shares = {threshold_cascade(net, 0.3, seeds=1, seed=s) for s in range(20)}
    assert len(shares) > 1  # different seeds pick different people


def test_a_number_of_seeds_starts_that_many_people():
    net = random_network(500, 0.0)  # nobody knows anybody
    assert threshold_cascade(net, 0.2, seeds=25, seed=1) == pytest.approx(25 / 500)


def test_on_a_ring_one_contact_in_two_is_enough_to_go_all_the_way_round():
    ring = small_world(100, 2, 0.0)  # a ring: each person has 2 contacts
    assert threshold_cascade(ring, 0.5, seeds=[0]) == 1.0


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"phi": 1.5}, "between 0 and 1"),
        ({"phi": -0.1}, "between 0 and 1"),
        ({"phi": "a fifth"}, "share"),
        ({"phi": 0.2, "seeds": 0}, "between 1 and"),
        ({"phi": 0.2, "seeds": 101}, "between 1 and"),
        ({"phi": 0.2, "seeds": [100]}, "numbered 0 to 99"),
        ({"phi": 0.2, "seeds": []}, "at least one person"),
    ],
)
def test_bad_cascade_settings_get_one_plain_sentence(kwargs, words):
    with pytest.raises(ValueError, match=words):
        threshold_cascade(_line(100), **kwargs)


def test_a_cascade_needs_a_network_from_syslead():
    with pytest.raises(ValueError, match="Network"):
        threshold_cascade([[0, 1], [1, 2]], 0.2)


def test_ten_thousand_people_can_cascade_globally():
    # How long this takes is printed by benchmarks/bench_emergence.py (no timing is asserted here).
    net = random_network(10_000, 4, seed=1)
    shares = [threshold_cascade(net, 0.18, seeds=1, seed=seed) for seed in range(10)]
    assert max(shares) > 0.9  # mean degree 4 is well inside the window: global cascades happen


def test_the_result_does_not_depend_on_update_order():
    # Compare the rounds-at-once answer with a slow one-person-at-a-time sweep on small random networks.
    rng = np.random.default_rng(3)
    for trial in range(30):
        net = random_network(60, float(rng.uniform(1, 6)), seed=trial)
        phi = float(rng.uniform(0.05, 0.5))
        start = int(rng.integers(60))
        active = np.zeros(60, dtype=bool)
        active[start] = True
        changed = True
        while changed:
            changed = False
            for person in rng.permutation(60):
                contacts = net.neighbours(int(person))
                joined = int(active[contacts].sum())
                if not active[person] and joined >= 1 and joined >= phi * len(contacts) - 1e-9:
                    active[person] = changed = True
        assert threshold_cascade(net, phi, seeds=[start]) == pytest.approx(active.mean())


# The cascade window. Watts (2002, PNAS 99(9), fig. 1) runs phi = 0.18 on random networks of 10,000 people
# from one random seed: no global cascades at mean degree about 1 or below, global cascades between
# about 1 and 6 (the simulated edge sits a little above the theoretical 5.8), none beyond about 7.


@pytest.fixture(scope="module")
def window():
    zs = [1.0, 2.0, 3.0, 4.0, 5.0, 12.0, 16.0]
    table = cascade_sizes(0.18, zs, people=10_000, networks=4, starts=15, seed=2)
    return table.groupby("mean_degree")["share"]


def test_with_about_one_contact_each_nothing_spreads_far(window):
    assert window.max()[1.0] < 0.1


@pytest.mark.parametrize("z", [2.0, 3.0, 4.0, 5.0])
def test_between_two_and_five_contacts_one_person_can_tip_the_whole_system(window, z):
    assert (window.get_group(z) > 0.5).mean() > 0.2


def test_with_twelve_or_more_contacts_nobody_is_moved_by_one_neighbour(window):
    assert window.max()[12.0] < 0.01
    assert window.max()[16.0] < 0.01


def test_the_cascade_condition_puts_the_window_between_about_one_and_six_for_phi_018():
    lo, hi = cascade_window_bounds(0.18)
    assert lo == pytest.approx(1.0, abs=0.05)
    assert hi == pytest.approx(5.76, abs=0.05)


def test_a_higher_threshold_narrows_the_window_and_one_of_one_closes_it():
    assert cascade_window_bounds(0.25)[1] < cascade_window_bounds(0.18)[1] < cascade_window_bounds(0.1)[1]
    assert cascade_window_bounds(0.6) is None  # nobody with 2 or more contacts is moved by one


# --------------------------------------------------------------------------------------------------
# Connected groups and the life cycle of emergence


def test_connected_groups_are_numbered_by_their_smallest_member():
    net = from_edges(7, np.array([0, 1, 4, 6]), np.array([3, 3, 5, 5]), "groups", {})
    assert connected_groups(net).tolist() == [0, 0, 2, 0, 4, 4, 4]


def test_connected_groups_agree_with_networkx():
    nx = pytest.importorskip("networkx")
    net = random_network(400, 1.2, seed=9)
    ours = connected_groups(net)
    for component in nx.connected_components(net.to_networkx()):
        members = sorted(component)
        assert (ours[members] == members[0]).all()


def test_the_life_cycle_starts_scattered_and_ends_as_one_connected_system():
    start, end = life_cycle(0), life_cycle(3)
    assert start.network.contacts == 0 and start.groups().size == 40
    assert end.groups().tolist() == [40]


def test_networks_are_fragments_communities_are_a_few_groups_and_the_system_is_one():
    largest = [life_cycle(stage).groups()[0] for stage in (1, 2, 3)]
    assert largest[0] <= 8 < largest[1] < largest[2] == 40
    assert life_cycle(2).groups().size <= 5


def test_each_stage_keeps_the_links_of_the_stage_before():
    counts = [life_cycle(stage).network.contacts for _, stage in STAGES]
    assert counts == sorted(counts)


def test_only_the_last_stage_adds_many_links_across_causes():
    assert life_cycle(3).bridge.sum() > 2 * life_cycle(2).bridge.sum()


def test_a_stage_outside_zero_to_three_is_refused():
    with pytest.raises(ValueError, match="from 0"):
        life_cycle(4)


# --------------------------------------------------------------------------------------------------
# Charts: every chart says what it shows, with its numbers


def test_the_granovetter_chart_says_100_and_1():
    from syslead.charts.emergence import granovetter_chart

    chart = granovetter_chart(display=False)
    assert "all 100 have joined" in chart.alt and "flat at 1 person" in chart.alt


def test_the_window_chart_names_the_window():
    from syslead.charts.emergence import cascade_window_chart

    chart = cascade_window_chart(phi=0.2, mean_degrees=(1, 3, 8), networks=2, starts=5, display=False)
    assert "Watts' cascade condition puts the window between 1.0 and 5.8" in chart.alt


def test_the_life_cycle_chart_counts_the_groups():
    from syslead.charts.emergence import life_cycle_chart

    chart = life_cycle_chart(3, display=False)
    assert "1 separate connected group;" in chart.alt and "40 people (100 %)" in chart.alt
