"""The theory runs: schedule, roughness, noiseless, noisy and landscape tables."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.interpolate import CubicSpline, make_smoothing_spline

from letcc.coding import get_scheme, points
from letcc.experiment import evaluate_coded
from letcc.noise import standard_noise
from letcc.synthetic import make_inputs
from letcc.theory import (
    LAM_RULES,
    LANDSCAPE_COLUMNS,
    NOISELESS_COLUMNS,
    NOISY_COLUMNS,
    Setup,
    encoder_roughness,
    gather_tables,
    lam_grid,
    run_landscape,
    run_noiseless,
    run_noisy,
    schedule_lam,
)
from letcc.traces import uniform_masks

SETUP = Setup(
    functions=("xsinx", "tanhnet", "abspow"),
    d=2,
    m=3,
    hidden=5,
    K=4,
    seed=0,
    alpha_points="chebyshev1",
    beta_points="equispaced",
)


def integral_of_second_derivative_squared(spline, lo, hi):
    """int u''^2 of a piecewise cubic: Simpson's rule is exact on each piece."""
    total = 0.0
    knots = spline.x
    for a, b in zip(knots[:-1], knots[1:], strict=True):
        t = np.array([a, (a + b) / 2, b])
        u2 = spline(t, 2) ** 2
        total += (b - a) / 6 * (u2[0] + 4 * u2[1] + u2[2]).sum()
    return total


def test_encoder_roughness_matches_a_natural_cubic_spline():
    alpha = points("chebyshev1", 6)
    X = make_inputs(3, 6, 2, seed=1)

    got = encoder_roughness(alpha, X)

    for t in range(3):
        spline = CubicSpline(alpha, X[t].numpy(), bc_type="natural")
        # u'' is linear on each piece, so u''^2 is quadratic and Simpson's
        # rule integrates it exactly: only rounding separates the two.
        expected = (
            integral_of_second_derivative_squared(spline, alpha[0], alpha[-1]) / 2
        )
        assert got[t] == pytest.approx(expected, rel=1e-10)


def test_encoder_roughness_with_smoothing_matches_scipy():
    alpha = points("chebyshev1", 8)
    X = make_inputs(2, 8, 1, seed=2)
    lam = 1e-3

    got = encoder_roughness(alpha, X, lam_enc=lam)

    for t in range(2):
        spline = make_smoothing_spline(alpha, X[t, :, 0].numpy(), lam=8 * lam)
        x = np.linspace(alpha[0], alpha[-1], 200001)
        second = spline(x, 2)
        # Trapezoid on 2e5 cells of a piecewise-linear u'' squared: the
        # error is below 1e-8 relative here.
        expected = np.trapezoid(second**2, x)
        assert got[t] == pytest.approx(expected, rel=1e-6)


def test_schedule_is_the_stated_formula():
    lam = schedule_lam(N=100, S=4, sigma=0.2, roughness=50.0)

    assert lam == pytest.approx((0.04 / (4 * 96 * 50.0)) ** 0.8, rel=1e-15)
    # Doubling the survivors divides lam by 2^(4/5).
    ratio = schedule_lam(196, 4, 0.2, 50.0) / schedule_lam(100, 4, 0.2, 50.0)
    assert ratio == pytest.approx(2**-0.8, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"N": 3, "S": 3, "sigma": 0.1, "roughness": 1.0},
        {"N": 10, "S": 1, "sigma": 0.0, "roughness": 1.0},
        {"N": 10, "S": 1, "sigma": 0.1, "roughness": 0.0},
    ],
)
def test_schedule_rejects_degenerate_settings(kwargs):
    with pytest.raises(ValueError, match="schedule needs"):
        schedule_lam(**kwargs)


def test_lam_grid_is_log_spaced_with_both_ends():
    grid = lam_grid(1e-12, 10.0, 4)

    assert len(grid) == 53
    assert grid[0] == pytest.approx(1e-12) and grid[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(np.diff(np.log10(grid)), 0.25)
    with pytest.raises(ValueError, match="0 < min < max"):
        lam_grid(1.0, 1.0, 4)


def test_noiseless_rows_match_a_direct_evaluation():
    masks = uniform_masks(10, 2, trials=6, seed=0)

    table = run_noiseless(
        [(10, 2, masks)],
        SETUP,
        experiment="rate_N",
        stragglers="uniform",
        lagrange_max_N=10,
    )

    assert list(table.columns) == list(NOISELESS_COLUMNS)
    assert set(table["scheme"]) == {"letcc", "bacc", "lagrange"}
    assert len(table) == 3 * 3 * 6
    f = SETUP.function("abspow")
    direct = evaluate_coded(
        get_scheme("bacc"),
        SETUP.alpha(),
        SETUP.beta(10),
        make_inputs(6, 4, 2, 0),
        f,
        masks,
    ).mse
    rows = table[(table["function"] == "abspow") & (table["scheme"] == "bacc")]
    np.testing.assert_allclose(rows["mse"], direct, rtol=1e-12)


def test_lagrange_runs_only_up_to_its_limit():
    traces = [(N, 1, uniform_masks(N, 1, 2, 0)) for N in (6, 12)]

    table = run_noiseless(
        traces, SETUP, experiment="rate_N", stragglers="uniform", lagrange_max_N=6
    )

    assert set(table.loc[table["scheme"] == "lagrange", "N"]) == {6}


@pytest.fixture(scope="module")
def noisy():
    traces = [
        (N, 1, uniform_masks(N, 1, 8, 0), standard_noise(8, N, 3, 0)) for N in (12, 24)
    ]
    return run_noisy(
        traces, SETUP, sigma=0.1, validation_seed=1, grid=lam_grid(1e-10, 1.0, 1)
    )


def test_noisy_table_has_every_rule_for_every_function(noisy):
    assert list(noisy.columns) == list(NOISY_COLUMNS)
    letcc = noisy[noisy["scheme"] == "letcc"]
    assert set(letcc["lam_rule"]) == set(LAM_RULES)
    assert set(noisy.loc[noisy["scheme"] == "bacc", "lam_rule"]) == {"none"}
    counts = noisy.groupby(["function", "N", "scheme", "lam_rule"]).size()
    assert (counts == 8).all()


def test_noisy_lams_follow_their_rules(noisy):
    letcc = noisy[noisy["scheme"] == "letcc"]
    by_rule = dict(list(letcc.groupby("lam_rule")))
    assert (by_rule["interpolate"]["lam_dec"] == 0).all()
    # One lam per (function, N) for schedule and validation; the validation
    # lam is a grid value.
    for rule in ("schedule", "validation"):
        assert (
            by_rule[rule].groupby(["function", "N"])["lam_dec"].nunique() == 1
        ).all()
    grid = lam_grid(1e-10, 1.0, 1)
    assert np.isin(by_rule["validation"]["lam_dec"], grid).all()
    assert by_rule["gcv"]["lam_dec"].gt(0).all()
    assert np.isnan(noisy.loc[noisy["scheme"] == "bacc", "lam_dec"]).all()


def test_noisy_interpolation_equals_a_direct_noisy_decode(noisy):
    N, trials, sigma = 12, 8, 0.1
    masks = uniform_masks(N, 1, trials, 0)
    f = SETUP.function("xsinx")
    X = make_inputs(trials, 4, 2, 0)
    scheme = get_scheme("letcc")
    coded = torch.einsum(
        "nk,tkd->tnd", scheme.encoder_matrix(SETUP.alpha(), SETUP.beta(N)), X
    )
    Y = f(coded) + sigma * torch.from_numpy(standard_noise(trials, N, 3, 0)[:, :, :2])
    estimate = scheme.decode(SETUP.alpha(), SETUP.beta(N), masks, Y)
    expected = ((estimate - f(X)) ** 2).mean(dim=(1, 2)).numpy()

    rows = noisy[
        (noisy["function"] == "xsinx")
        & (noisy["N"] == N)
        & (noisy["lam_rule"] == "interpolate")
    ]
    np.testing.assert_allclose(rows["mse"], expected, rtol=1e-12)


@pytest.fixture(scope="module")
def landscape():
    masks = uniform_masks(16, 2, 10, 0)
    return run_landscape(
        masks,
        standard_noise(10, 16, 3, 0),
        SETUP,
        N=16,
        S=2,
        sigma=0.1,
        validation_seed=1,
        lam_enc_grid=[0.0, 1e-5, 1e-2],
        lam_dec_grid=[0.0, 1e-6, 1e-3],
    )


def test_landscape_bound_holds_in_every_row(landscape):
    bound = (
        2 * landscape["dec_gen"]
        + 2 * landscape["lipschitz"] ** 2 * landscape["enc_train"]
    )

    assert list(landscape.columns) == list(LANDSCAPE_COLUMNS)
    assert (landscape["loss"] <= bound * (1 + 1e-12)).all()
    assert set(landscape["split"]) == {"test", "validation"}
    assert len(landscape) == 3 * 2 * 3 * 3 * 10


def test_interpolating_encoder_has_no_training_error(landscape):
    exact = landscape[landscape["lam_enc"] == 0]

    assert np.allclose(exact["enc_train"], 0, atol=1e-24)
    # u_enc(alpha_k) = x_k, so the decoder's target is the truth itself.
    np.testing.assert_allclose(exact["loss"], exact["dec_gen"], rtol=1e-10)


def test_landscape_radius_covers_every_input(landscape):
    biggest = max(float(make_inputs(10, 4, 2, seed).abs().max()) for seed in (0, 1))
    assert (landscape["radius"] >= biggest).all()
    xsinx = landscape[landscape["function"] == "xsinx"].iloc[0]
    assert xsinx["lipschitz"] <= 1 + xsinx["radius"]


def test_gather_rejects_repeated_rows(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    for name in ("x.csv", "y.csv"):
        frame.to_csv(tmp_path / name, index=False)

    with pytest.raises(ValueError, match="2 repeated rows"):
        gather_tables([tmp_path / "x.csv", tmp_path / "y.csv"], ["a", "b"], ["a"])
    with pytest.raises(ValueError, match=r"lacks columns \['c'\]"):
        gather_tables([tmp_path / "x.csv"], ["a", "c"], ["a"])
    with pytest.raises(ValueError, match="no tables to gather"):
        gather_tables([], ["a"], ["a"])
