"""syslead.models.contagion: simple and complex contagion, checked against small cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from syslead.charts.contagion import practice_spread
from syslead.models.contagion import compare_networks, lattice, seed_group, shuffle_links, spread_practice
from syslead.models.spread import from_edges


def test_news_on_a_ring_of_eight_travels_one_step_each_way_per_step():
    # ring 0-1-2-3-4-5-6-7-0, each knows the two next to them; seed 0 alone.
    # step 1: 1 and 7; step 2: 2 and 6; step 3: 3 and 5; step 4: 4.
    ring = lattice(8, 2)
    result = spread_practice(ring, needed=1, seeds=[0])
    assert result["adopted"].tolist() == [1, 3, 5, 7, 8]
    assert result["share"].iloc[-1] == 1.0


def test_a_practice_needing_two_contacts_stalls_on_a_ring_of_eight():
    # seeds 0 and 1: person 2 knows 1 and 3, only one adopter; person 7 knows 0 and 6: one. Nobody moves.
    result = spread_practice(lattice(8, 2), needed=2, seeds=[0, 1])
    assert result["adopted"].tolist() == [2]


def test_a_practice_needing_two_spreads_round_a_ring_where_neighbours_overlap():
    # ring of 10, each knows 2 on each side. Seeds 0, 1: person 2 knows 0, 1, 3, 4 -> two adopters, joins;
    # person 9 knows 7, 8, 0, 1 -> joins; person 8 knows 6, 7, 9, 0 -> one adopter only at step 1.
    # step 1: {2, 9}; step 2: {3, 8}; step 3: {4, 7}; step 4: {5, 6}.
    result = spread_practice(lattice(10, 4), needed=2, seeds=[0, 1])
    assert result["adopted"].tolist() == [2, 4, 6, 8, 10]


def test_short_cuts_carry_news_but_not_a_practice():
    # two triangles 0-1-2 and 3-4-5 joined by one short cut 2-3.
    u = np.array([0, 0, 1, 3, 3, 4, 2])
    v = np.array([1, 2, 2, 4, 5, 5, 3])
    net = from_edges(6, u, v, "test", {})
    assert spread_practice(net, 1, seeds=[0, 1, 2])["adopted"].tolist() == [3, 4, 6]
    # person 3 has one adopting contact (2): a practice needing two never crosses the short cut.
    assert spread_practice(net, 2, seeds=[0, 1, 2])["adopted"].tolist() == [3]


def test_the_seed_group_is_a_person_and_their_contacts():
    assert seed_group(lattice(10, 4), 0).tolist() == [0, 1, 2, 8, 9]


def test_shuffling_keeps_everyones_number_of_contacts_and_breaks_the_clusters():
    ring = lattice(144, 6)
    shuffled = shuffle_links(ring, seed=3)
    assert (shuffled.degrees() == 6).all()
    assert shuffled.contacts == ring.contacts
    u, v = shuffled.edges()
    assert (u != v).all() and len(set(zip(u.tolist(), v.tolist(), strict=True))) == u.size

    def triangles(net):
        nbrs = [set(net.neighbours(i).tolist()) for i in range(net.n)]
        return sum(len(nbrs[a] & nbrs[b]) for a, b in zip(*net.edges(), strict=True)) // 3

    assert triangles(ring) == 144 * 3  # each person starts 3 triangles going round the ring
    assert triangles(shuffled) < triangles(ring) / 5


def test_on_the_clustered_network_a_practice_spreads_that_stalls_on_random_ones():
    table = compare_networks(144, 6, needed_values=(1, 3), networks=3, seed=1).set_index(["needed", "network"])
    assert table.loc[(1, "clustered"), "final_share"] == 1.0
    assert table.loc[(1, "random"), "final_share"] == 1.0
    # news reaches half sooner through the short cuts of a random network
    assert table.loc[(1, "random"), "steps_to_half"] < table.loc[(1, "clustered"), "steps_to_half"]
    assert table.loc[(3, "clustered"), "final_share"] == 1.0
    assert table.loc[(3, "random"), "final_share"] < 0.2


def test_needing_more_contacts_than_half_your_ring_stops_everything():
    # with 3 contacts on each side, a newcomer next to the seed group sees at most 3 adopters.
    ring = lattice(144, 6)
    assert spread_practice(ring, 4)["adopted"].tolist() == [7]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two"])
def test_a_bad_number_needed_gets_one_plain_sentence(bad):
    with pytest.raises(ValueError, match="contacts needed"):
        spread_practice(lattice(10, 2), bad)


def test_seeds_outside_the_network_are_refused_plainly():
    with pytest.raises(ValueError, match="people 0 to 9"):
        spread_practice(lattice(10, 2), 1, seeds=[12])


def test_the_chart_alt_text_gives_the_numbers_it_draws():
    chart = practice_spread(needed=3)
    final = chart.data["final"].set_index(["needed", "network"])["final_share"]
    assert f"3 needed: clustered {100 * final[(3, 'clustered')]:.0f} %" in chart.alt
    assert f"random {100 * final[(3, 'random')]:.0f} %" in chart.alt
    assert "once 3 of their contacts" in chart.alt
