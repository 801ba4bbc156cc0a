"""Noise draws of the noisy setting: streams, file format and validation."""

import numpy as np
import pytest

from letcc.noise import generate_noise_file, load_noise, save_noise, standard_noise


def test_draws_are_standard_normal_of_the_requested_shape():
    noise = standard_noise(trials=400, N=50, width=3, seed=0)

    assert noise.shape == (400, 50, 3)
    assert noise.dtype == np.float64
    # 60000 draws: the sample mean has std 0.004 and the sample variance
    # std 0.006, so 0.02 is over 3 std for both.
    assert abs(noise.mean()) < 0.02
    assert abs(noise.var() - 1) < 0.02


def test_draws_are_reproducible_and_depend_on_seed_and_sizes():
    first = standard_noise(5, 10, 2, seed=3)

    assert np.array_equal(first, standard_noise(5, 10, 2, seed=3))
    assert not np.array_equal(first, standard_noise(5, 10, 2, seed=4))
    assert not np.array_equal(first, standard_noise(5, 11, 2, seed=3)[:, :10])


def test_more_trials_extend_the_same_stream():
    # Trials are drawn in order, so a longer run starts with the shorter one.
    assert np.array_equal(
        standard_noise(5, 10, 2, seed=1), standard_noise(8, 10, 2, seed=1)[:5]
    )


def test_file_round_trip_keeps_draws_and_metadata(tmp_path):
    path = tmp_path / "sub" / "noise.npz"
    noise = generate_noise_file(path, trials=4, N=6, width=2, seed=9)

    assert np.array_equal(load_noise(path, N=6, trials=4), noise)
    with np.load(path) as data:
        assert int(data["seed"]) == 9
        assert int(data["width"]) == 2
    assert not list(path.parent.glob("*.tmp")), "temporary file left behind"


def test_load_names_the_file_and_both_sizes_on_mismatch(tmp_path):
    path = tmp_path / "noise.npz"
    generate_noise_file(path, trials=4, N=6, width=2, seed=0)

    with pytest.raises(ValueError) as error:
        load_noise(path, N=7)
    assert str(path) in str(error.value)
    assert "N=6" in str(error.value) and "N=7" in str(error.value)
    with pytest.raises(ValueError, match="trials=4 but trials=5"):
        load_noise(path, trials=5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"other": np.zeros(2)}, "lacks 'noise'"),
        ({"noise": np.zeros((2, 3))}, r"shape \(2, 3\)"),
        ({"noise": np.full((1, 2, 1), np.nan)}, "must hold finite values"),
    ],
)
def test_load_rejects_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **content)

    with pytest.raises(ValueError, match=message):
        load_noise(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trials": 0, "N": 2, "width": 1, "seed": 0}, "trials=0"),
        ({"trials": 1, "N": 2, "width": 0, "seed": 0}, "width=0"),
        ({"trials": 1, "N": 2, "width": 1, "seed": -1}, "seed=-1"),
    ],
)
def test_sizes_out_of_range_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        standard_noise(**kwargs)


def test_save_refuses_a_wrong_shape(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        save_noise(tmp_path / "n.npz", np.zeros((2, 3)), seed=0)
