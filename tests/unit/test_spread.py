"""syslead.models.spread: the networks, the spread model, and its plain errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syslead.models.spread import (
    Network,
    hierarchy,
    random_network,
    reach_curve,
    simulate_spread,
    small_world,
    time_to_reach,
)


def naive_spread(network: Network, pass_on: float, rng: np.random.Generator) -> list[int]:
    """The model exactly as described, step by step: every informed person tries every contact."""
    informed = np.zeros(network.n, dtype=bool)
    informed[0] = True
    counts = [1]
    while True:
        new = set()
        for person in np.flatnonzero(informed):
            for contact in network.neighbours(int(person)):
                if not informed[contact] and rng.random() < pass_on:
                    new.add(int(contact))
        if not new and informed.sum() == _reachable(network):
            return counts
        informed[list(new)] = True
        counts.append(int(informed.sum()))


def _reachable(network: Network) -> int:
    seen = {0}
    todo = [0]
    while todo:
        p = todo.pop()
        for c in network.neighbours(p):
            if int(c) not in seen:
                seen.add(int(c))
                todo.append(int(c))
    return len(seen)


# --- networks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,span", [(1, 3), (2, 1), (10, 3), (1000, 5), (1000, 10), (12345, 7)])
def test_hierarchy_reports_to_the_person_above(n, span):
    net = hierarchy(n, span)
    assert net.n == n and net.contacts == 2 * (n - 1)
    for person in range(1, min(n, 200)):
        assert (person - 1) // span in net.neighbours(person)
    assert net.degrees().max() <= span + 1


@pytest.mark.parametrize("n,span", [(1000, 5), (1000, 10), (31, 2), (5000, 3), (7, 1)])
def test_hierarchy_cascade_matches_the_geometric_series(n, span):
    result = simulate_spread(hierarchy(n, span))
    for t, informed in zip(result["step"], result["informed"], strict=True):
        assert informed == min(n, sum(span**i for i in range(t + 1)))
    assert result["informed"].iloc[-1] == n


def test_small_world_has_k_contacts_each_without_rewiring():
    net = small_world(100, 6, 0.0)
    assert (net.degrees() == 6).all()
    assert set(net.neighbours(0).tolist()) == {1, 2, 3, 97, 98, 99}


def test_small_world_rewiring_keeps_about_k_contacts_and_no_self_links():
    net = small_world(5000, 10, 0.3, seed=1)
    u, v = net.edges()
    assert (u != v).all()
    assert len(set(zip(u.tolist(), v.tolist(), strict=True))) == u.size
    assert 9.8 < net.degrees().mean() <= 10


def test_small_world_is_reproducible_with_a_seed():
    a, b = small_world(500, 4, 0.2, seed=7), small_world(500, 4, 0.2, seed=7)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


def test_random_network_has_the_mean_degree_asked_for():
    net = random_network(4000, 6, seed=3)
    assert net.contacts == 4000 * 6
    u, v = net.edges()
    assert (u < v).all()


def test_networks_can_be_compared_with_networkx():
    nx = pytest.importorskip("networkx")
    g = small_world(50, 4, 0.1, seed=2).to_networkx()
    assert isinstance(g, nx.Graph) and g.number_of_nodes() == 50


# --- the spread ------------------------------------------------------------------------------------


def test_result_has_one_row_per_step_from_zero():
    result = simulate_spread(small_world(300, 4, 0.1, seed=1), pass_on=0.4, seed=2)
    assert list(result.columns) == ["step", "informed", "fraction"]
    assert result["step"].tolist() == list(range(len(result)))
    assert result["informed"].iloc[0] == 1
    assert result["informed"].is_monotonic_increasing
    assert np.allclose(result["fraction"], result["informed"] / 300)
    assert result["informed"].iloc[-1] == 300  # pass_on < 1 still reaches everyone in the end


def test_the_fast_model_matches_the_step_by_step_model_on_average():
    """Same distribution as the naive step-by-step loop: compare the mean curves over many runs."""
    net = small_world(120, 4, 0.2, seed=5)
    rng = np.random.default_rng(0)
    runs = 300
    naive = [naive_spread(net, 0.35, rng) for _ in range(runs)]
    fast = [simulate_spread(net, pass_on=0.35, seed=s)["informed"].tolist() for s in range(runs)]
    length = max(max(map(len, naive)), max(map(len, fast)))

    def grid(curves):
        return np.array([c + [c[-1]] * (length - len(c)) for c in curves], dtype=float)

    a, b = grid(naive), grid(fast)
    se = np.sqrt(a.var(axis=0) / runs + b.var(axis=0) / runs) + 1e-9
    z = np.abs(a.mean(axis=0) - b.mean(axis=0)) / se
    assert z.max() < 4.5, f"mean curves differ at step {z.argmax()}: z = {z.max():.1f}"
    # and the curve really is random: runs differ
    assert a.std(axis=0).max() > 1


def test_pass_on_zero_informs_only_the_seeds():
    result = simulate_spread(hierarchy(50, 3), pass_on=0.0, seeds=(0, 5))
    assert result.to_dict("list") == {"step": [0], "informed": [2], "fraction": [2 / 50]}


def test_absent_people_cut_off_branches_of_a_hierarchy_but_not_a_network():
    h = [simulate_spread(hierarchy(2000, 5), absent=0.1, seed=s)["fraction"].iloc[-1] for s in range(5)]
    w = [simulate_spread(small_world(2000, 8, 0.2, seed=s), absent=0.1, seed=s)["fraction"].iloc[-1]
         for s in range(5)]
    assert np.mean(h) < 0.8
    assert np.mean(w) > 0.88


def test_absent_is_a_share_of_people_and_never_the_seeds():
    net = small_world(100, 4, 0.0)
    result = simulate_spread(net, absent=1.0, seeds=(3,))
    assert result["informed"].tolist() == [1]
    result = simulate_spread(net, absent=0.5, seed=1)
    assert result["informed"].iloc[-1] <= 51


def test_max_steps_stops_early_with_one_row_per_step():
    net = hierarchy(1000, 2)
    result = simulate_spread(net, max_steps=3)
    assert result["step"].tolist() == [0, 1, 2, 3] and result["informed"].tolist() == [1, 3, 7, 15]
    slow = simulate_spread(small_world(2000, 4, 0.0), pass_on=0.05, max_steps=5, seed=1)
    assert slow["step"].tolist() == [0, 1, 2, 3, 4, 5]
    assert simulate_spread(net, max_steps=0)["informed"].tolist() == [1]


def test_the_spread_is_reproducible_with_a_seed():
    net = random_network(1000, 5, seed=1)
    a = simulate_spread(net, pass_on=0.3, absent=0.1, seed=11)
    b = simulate_spread(net, pass_on=0.3, absent=0.1, seed=11)
    pd.testing.assert_frame_equal(a, b)


def test_an_unreachable_person_ends_the_run():
    net = Network(indptr=np.array([0, 1, 2, 2]), indices=np.array([1, 0], dtype=np.int32))
    result = simulate_spread(net)
    assert result["informed"].tolist() == [1, 2]


def test_time_to_reach_reads_the_first_step_at_the_share():
    result = simulate_spread(hierarchy(1000, 10))
    assert time_to_reach(result, 0.1) == 2
    assert time_to_reach(result, 0.5) == 3
    assert time_to_reach(result, 1.0) == 3
    cut = simulate_spread(hierarchy(1000, 10), absent=0.3, seed=1)
    assert time_to_reach(cut, 0.95) is None


def test_reach_curve_averages_runs_of_different_length():
    a = pd.DataFrame({"step": [0, 1], "informed": [1, 2], "fraction": [0.5, 1.0]})
    b = pd.DataFrame({"step": [0, 1, 2], "informed": [1, 1, 2], "fraction": [0.5, 0.5, 1.0]})
    curve = reach_curve([a, b])
    assert curve["fraction"].tolist() == [0.5, 0.75, 1.0]
    assert curve["low"].tolist() == [0.5, 0.5, 1.0]


# --- plain errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: hierarchy(0, 3), "at least 1"),
        (lambda: hierarchy(10, 0), "span of control must be at least 1"),
        (lambda: hierarchy(2.5, 3), "whole number"),
        (lambda: hierarchy("ten", 3), "whole number"),
        (lambda: small_world(10, 3, 0.1), "even"),
        (lambda: small_world(10, 10, 0.1), "smaller than"),
        (lambda: small_world(10, 4, 1.5), "between 0 and 1"),
        (lambda: random_network(10, 20), "between 0 and n - 1"),
        (lambda: random_network(10, "many"), "must be a number"),
        (lambda: simulate_spread(hierarchy(10, 2), pass_on=2), "between 0 and 1"),
        (lambda: simulate_spread(hierarchy(10, 2), pass_on=-0.1), "between 0 and 1"),
        (lambda: simulate_spread(hierarchy(10, 2), absent=float("nan")), "between 0 and 1"),
        (lambda: simulate_spread(hierarchy(10, 2), seeds=()), "at least one person"),
        (lambda: simulate_spread(hierarchy(10, 2), seeds=(10,)), "numbered 0 to 9"),
        (lambda: simulate_spread(hierarchy(10, 2), max_steps=-1), "at least 0"),
        (lambda: simulate_spread("a network"), "hierarchy(), small_world() or random_network()"),
        (lambda: time_to_reach(pd.DataFrame({"x": [1]}), 0.5), "simulate_spread"),
        (lambda: hierarchy(10, 2).neighbours(10), "numbered 0 to 9"),
    ],
)
def test_bad_arguments_get_one_plain_sentence(call, words):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert words in message
    assert "\n" not in message and message.endswith(".")
