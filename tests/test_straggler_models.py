"""The Bernoulli and latency straggler models and their trace files."""

import numpy as np
import pytest

from letcc.traces import (
    bernoulli_masks,
    generate_trace_file,
    latency_masks,
    load_trace,
    uniform_masks,
    worker_latencies,
)


def test_bernoulli_straggles_each_worker_with_probability_s_over_n():
    N, S, trials = 20, 4, 20_000
    masks = bernoulli_masks(N=N, S=S, trials=trials, seed=0)

    # P(fewer than 2 survivors) = 0.2^20 + 20 * 0.8 * 0.2^19: nothing is
    # rejected, so each entry is Bernoulli(0.2). The rate's std is
    # sqrt(0.2 * 0.8 / 20000) = 0.0028; 0.015 is over 5 std.
    np.testing.assert_allclose(1 - masks.mean(axis=0), S / N, atol=0.015)
    counts = N - masks.sum(axis=1)
    assert counts.min() < S < counts.max(), "the straggler count must vary"


def test_bernoulli_redraws_patterns_with_fewer_than_two_survivors():
    masks = bernoulli_masks(N=4, S=2, trials=5_000, seed=1)

    survivors = masks.sum(axis=1)
    assert survivors.min() >= 2
    # Conditioned on >= 2 of 4 survivors at p = 1/2, the mean survivor count
    # is (2*6 + 3*4 + 4*1) / 11 = 28/11; its std over 5000 rows is ~0.01.
    assert survivors.mean() == pytest.approx(28 / 11, abs=0.05)


def test_bernoulli_is_reproducible_and_seed_dependent():
    first = bernoulli_masks(N=12, S=3, trials=40, seed=5)

    assert np.array_equal(first, bernoulli_masks(N=12, S=3, trials=40, seed=5))
    assert not np.array_equal(first, bernoulli_masks(N=12, S=3, trials=40, seed=6))


@pytest.mark.parametrize("distribution", ["exponential", "pareto"])
def test_latency_first_keeps_exactly_the_fastest_n_minus_s(distribution):
    N, S = 15, 4
    masks = latency_masks(
        N, S, 50, seed=2, distribution=distribution, heterogeneity=0.3
    )
    latency = worker_latencies(
        N, 50, 2, distribution=distribution, heterogeneity=0.3, stream=S
    )

    assert (masks.sum(axis=1) == N - S).all()
    slowest_kept = np.where(masks, latency, -np.inf).max(axis=1)
    fastest_dropped = np.where(masks, np.inf, latency).min(axis=1)
    assert (slowest_kept < fastest_dropped).all()


def test_identical_workers_make_latency_first_uniform_in_law():
    N, S, trials = 10, 3, 20_000
    masks = latency_masks(N, S, trials, seed=3, heterogeneity=0.0)

    # Exchangeable workers: every worker straggles with probability S/N, as
    # under uniform_masks; std of a rate 0.0032, tolerance over 6 std.
    np.testing.assert_allclose(1 - masks.mean(axis=0), S / N, atol=0.02)
    uniform = uniform_masks(N=N, S=S, trials=trials, seed=3)
    np.testing.assert_allclose(masks.mean(axis=0), uniform.mean(axis=0), atol=0.03)


def test_heterogeneous_workers_straggle_more_when_slower():
    N, S, trials = 12, 3, 4_000
    masks = latency_masks(N, S, trials, seed=4, heterogeneity=1.0)

    # Recover each worker's slowness from the same draw: the latencies over
    # trials share the factor c_n, so their median orders the workers.
    latency = worker_latencies(N, trials, 4, heterogeneity=1.0, stream=S)
    slowness = np.median(latency, axis=0)
    straggle_rate = 1 - masks.mean(axis=0)
    # A worker's straggle rate increases with its slowness: the two orders
    # agree (Spearman correlation near 1; rates over 4000 trials have std
    # below 0.008, small against the gaps between the workers' rates).
    ranks = [np.argsort(np.argsort(x)) for x in (slowness, straggle_rate)]
    spearman = np.corrcoef(*ranks)[0, 1]
    assert spearman > 0.95, f"Spearman correlation {spearman:.2f}"


def test_latency_deadline_misses_s_workers_on_average_and_keeps_two():
    N, S, trials = 10, 6, 5_000
    masks = latency_masks(N, S, trials, seed=5, heterogeneity=0.5, keep="deadline")

    assert masks.sum(axis=1).min() >= 2
    # The deadline is the (1 - S/N) quantile of all draws, so S/N of them
    # miss it; rows that keep waiting for a second answer shift the mean a
    # little below S.
    stragglers = N - masks.sum(axis=1)
    assert S - 0.3 < stragglers.mean() <= S + 0.01
    assert stragglers.std() > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"distribution": "weibull"}, "distribution='weibull' is unknown"),
        ({"keep": "all"}, "keep='all' is unknown"),
        ({"pareto_shape": 0.0}, "pareto_shape=0.0 must be > 0"),
        ({"heterogeneity": -1.0}, "heterogeneity=-1.0 >= 0"),
    ],
)
def test_latency_rejects_bad_settings_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        latency_masks(10, 2, 5, seed=0, **kwargs)


def test_trace_files_of_the_new_models_round_trip(tmp_path):
    settings = {"distribution": "exponential", "heterogeneity": 0.2, "keep": "first"}
    for model, extra in (("bernoulli", {}), ("latency", {"latency": settings})):
        path = tmp_path / f"{model}.npz"
        masks = generate_trace_file(
            path, N=16, S=5, trials=7, seed=0, model=model, **extra
        )

        assert np.array_equal(load_trace(path, N=16), masks)
        with np.load(path) as data:
            assert str(data["model"]) == model


def test_latency_traces_of_every_s_share_one_cluster():
    first = worker_latencies(8, 4000, 0, heterogeneity=1.0, stream=2)
    second = worker_latencies(8, 4000, 0, heterogeneity=1.0, stream=5)

    # Same slowness c_n, fresh service times: the per-worker medians (c_n
    # times the law's median, up to sampling error) agree, the draws do not.
    np.testing.assert_allclose(
        np.median(first, axis=0), np.median(second, axis=0), rtol=0.1
    )
    assert not np.allclose(first, second)
