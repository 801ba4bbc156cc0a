"""Straggler traces: the uniform model, the file format and its validation."""

import numpy as np
import pytest

from letcc.traces import (
    generate_trace_file,
    load_trace,
    save_trace,
    uniform_masks,
)


@pytest.mark.parametrize(("N", "S"), [(5, 0), (10, 3), (40, 38)])
def test_uniform_masks_have_exactly_n_minus_s_survivors(N, S):
    masks = uniform_masks(N=N, S=S, trials=50, seed=1)

    assert masks.shape == (50, N)
    assert masks.dtype == np.bool_
    survivors = masks.sum(axis=1)
    assert (survivors == N - S).all(), f"got {set(survivors)}, expected {N - S}"


def test_uniform_masks_are_reproducible_and_seed_dependent():
    first = uniform_masks(N=20, S=4, trials=30, seed=7)

    assert np.array_equal(first, uniform_masks(N=20, S=4, trials=30, seed=7))
    assert not np.array_equal(first, uniform_masks(N=20, S=4, trials=30, seed=8))


def test_uniform_masks_straggle_each_worker_with_probability_s_over_n():
    N, S, trials = 10, 3, 20_000
    masks = uniform_masks(N=N, S=S, trials=trials, seed=0)

    rate = 1 - masks.mean(axis=0)
    # Binomial std of a rate is sqrt(0.3 * 0.7 / 20000) = 0.0032; 0.02 is
    # over 6 std, so a correct sampler fails with negligible probability.
    np.testing.assert_allclose(rate, S / N, atol=0.02)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"N": 1, "S": 0, "trials": 1, "seed": 0}, "N=1"),
        ({"N": 10, "S": 9, "trials": 1, "seed": 0}, "S=9"),
        ({"N": 10, "S": -1, "trials": 1, "seed": 0}, "S=-1"),
        ({"N": 10, "S": 1, "trials": 0, "seed": 0}, "trials=0"),
        ({"N": 10, "S": 1, "trials": 1, "seed": -3}, "seed=-3"),
    ],
)
def test_uniform_masks_reject_bad_sizes_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        uniform_masks(**kwargs)


def test_trace_file_round_trip_keeps_masks_and_metadata(tmp_path):
    path = tmp_path / "sub" / "uniform_N12_S2_T5_seed3.npz"
    masks = generate_trace_file(path, N=12, S=2, trials=5, seed=3)

    assert np.array_equal(load_trace(path, N=12), masks)
    with np.load(path) as data:
        assert int(data["N"]) == 12
        assert int(data["S"]) == 2
        assert int(data["seed"]) == 3
        assert str(data["model"]) == "uniform"
    assert not list(path.parent.glob("*.tmp")), "temporary file left behind"


def test_load_trace_names_file_and_both_n_on_mismatch(tmp_path):
    path = tmp_path / "trace.npz"
    generate_trace_file(path, N=12, S=2, trials=5, seed=0)

    with pytest.raises(ValueError) as error:
        load_trace(path, N=24)
    message = str(error.value)
    assert str(path) in message
    assert "N=12" in message and "N=24" in message


def test_load_trace_rejects_rows_with_fewer_than_two_survivors(tmp_path):
    masks = np.ones((3, 6), dtype=bool)
    masks[1, 1:] = False  # a single survivor in row 1
    path = tmp_path / "bad.npz"
    np.savez(path, masks=masks, N=6, S=0, seed=0, model="uniform")

    with pytest.raises(ValueError, match=r"rows \[1\] have fewer than 2 survivors"):
        load_trace(path)


def test_load_trace_rejects_non_bool_masks(tmp_path):
    path = tmp_path / "ints.npz"
    np.savez(path, masks=np.ones((2, 4), dtype=np.int8), N=4)

    with pytest.raises(ValueError, match="dtype bool, got int8"):
        load_trace(path)


def test_load_trace_rejects_a_file_without_masks(tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path, N=4)

    with pytest.raises(ValueError, match=r"lacks \['masks'\]"):
        load_trace(path)


def test_load_trace_rejects_width_disagreeing_with_stored_n(tmp_path):
    path = tmp_path / "wide.npz"
    np.savez(path, masks=np.ones((2, 5), dtype=bool), N=4)

    with pytest.raises(ValueError, match="5 columns but the file records N=4"):
        load_trace(path)


def test_save_trace_refuses_masks_with_too_few_survivors(tmp_path):
    masks = np.zeros((1, 4), dtype=bool)

    with pytest.raises(ValueError, match="fewer than 2 survivors"):
        save_trace(tmp_path / "t.npz", masks, S=4, seed=0)
    assert not (tmp_path / "t.npz").exists()


def test_generate_trace_file_rejects_unknown_model(tmp_path):
    with pytest.raises(ValueError, match="model='bursty' is unknown"):
        generate_trace_file(
            tmp_path / "t.npz", N=5, S=1, trials=1, seed=0, model="bursty"
        )
