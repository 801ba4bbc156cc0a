"""Faulty worker outputs: the outlier rule, and each scheme's documented reaction."""

import numpy as np
import pytest
import torch

from letcc.coding import get_scheme, points
from letcc.experiment import evaluate_coded
from letcc.faults import find_outliers, screen_outputs
from letcc.inference import replica_assignment, replication_estimates
from letcc.synthetic import make_inputs, make_network
from letcc.traces import uniform_masks

N, K, TRIALS = 30, 6, 8


@pytest.fixture
def setting():
    """Chebyshev points, a tanh network, inputs and straggler patterns."""
    alpha, beta = points("chebyshev1", K), points("chebyshev2", N)
    f = make_network(3, 2, 8, seed=0)
    X = make_inputs(TRIALS, K, 3, seed=1)
    masks = uniform_masks(N=N, S=4, trials=TRIALS, seed=2)
    return alpha, beta, f, X, masks


def poisoned(f, worker, error):
    """``f`` with ``error`` added to the output of one worker in every trial.

    Calls on the K raw inputs (the ground truth) are left alone.
    """

    def g(x):
        y = f(x).clone()
        if x.shape[0] == TRIALS * N:
            y.view(TRIALS, N, -1)[:, worker] += error
        return y

    return g


def test_coded_outputs_of_a_smooth_function_are_not_outliers(setting):
    alpha, beta, f, X, masks = setting
    for name in ("letcc", "bacc", "lagrange"):
        result = evaluate_coded(get_scheme(name), alpha, beta, X, f, masks)
        assert result.n_outliers.sum() == 0, name


def test_a_wild_answer_is_flagged_and_nothing_else():
    values = torch.linspace(0, 1, N, dtype=torch.float64).repeat(2, 1)[..., None]
    values[1, 7] = 1e3
    survivors = torch.ones(2, N, dtype=torch.bool)
    survivors[1, 3] = False

    flagged = find_outliers(values, survivors)

    assert flagged.nonzero().tolist() == [[1, 7]]


def test_a_straggler_is_never_flagged_whatever_it_holds():
    values = torch.zeros(1, N, 2, dtype=torch.float64)
    values[0, :, 0] = torch.linspace(-1, 1, N)
    values[0, 5] = 1e9
    survivors = torch.ones(1, N, dtype=torch.bool)
    survivors[0, 5] = False

    assert not find_outliers(values, survivors).any()


def test_equal_outputs_flag_nothing():
    values = torch.full((3, N, 2), 4.0, dtype=torch.float64)
    assert not find_outliers(values, torch.ones(3, N, dtype=torch.bool)).any()


def test_report_decodes_the_outlier_and_moves_estimates_by_the_decoder_column(
    setting,
):
    alpha, beta, f, X, masks = setting
    masks[:, 12] = True
    error = 1e4
    scheme = get_scheme("letcc", lam_dec=1e-4)

    clean = evaluate_coded(scheme, alpha, beta, X, f, masks)
    dirty = evaluate_coded(scheme, alpha, beta, X, poisoned(f, 12, error), masks)

    assert dirty.n_outliers.tolist() == [1] * TRIALS
    assert clean.n_outliers.sum() == 0
    # Linear decoder: the estimate of input k moves by D[k, 12] * error in
    # every output coordinate, so the MSE grows by about mean_k D[k, 12]^2 e^2.
    D = scheme.decoder_matrices(alpha, beta, masks).numpy()[:, :, 12]
    expected = (D**2).mean(axis=1) * error**2
    np.testing.assert_allclose(dirty.mse, expected, rtol=1e-3)


def test_drop_treats_the_outlier_as_a_straggler(setting):
    alpha, beta, f, X, masks = setting
    masks[:, 12] = True
    scheme = get_scheme("bacc")
    without = masks.copy()
    without[:, 12] = False

    dropped = evaluate_coded(
        scheme, alpha, beta, X, poisoned(f, 12, 1e6), masks, outliers="drop"
    )
    reference = evaluate_coded(scheme, alpha, beta, X, f, without)

    assert dropped.n_outliers.tolist() == [1] * TRIALS
    np.testing.assert_allclose(dropped.mse, reference.mse, rtol=1e-12)


def test_unknown_action_and_bad_factor_are_refused():
    values = torch.zeros(1, N, 1, dtype=torch.float64)
    answered = torch.ones(1, N, dtype=torch.bool)
    with pytest.raises(ValueError, match="'ignore' is not one of.*use 'report'"):
        screen_outputs(values, answered, outliers="ignore")
    with pytest.raises(ValueError, match="factor = 0.5 must exceed 1"):
        find_outliers(values, answered, factor=0.5)


# The reaction of each scheme as letcc.faults documents it: the LeNet5 setting
# of the inference track, 200 uniform patterns with S = 30.


@pytest.fixture(scope="module")
def weights():
    """Largest |D[k, n]| of each pattern, per scheme."""
    alpha, beta = points("chebyshev1", 20), points("chebyshev2", 100)
    masks = uniform_masks(N=100, S=30, trials=200, seed=0)
    schemes = {
        "letcc": get_scheme("letcc"),
        "letcc-smoothed": get_scheme("letcc", lam_dec=1e-4),
        "bacc": get_scheme("bacc"),
        "lagrange": get_scheme("lagrange"),
    }
    return {
        name: scheme.decoder_matrices(alpha, beta, masks).abs().amax(dim=(1, 2))
        for name, scheme in schemes.items()
    }


def test_interpolating_decoders_pass_an_outlier_at_about_full_size(weights):
    for name in ("letcc", "bacc"):
        assert 1.0 <= weights[name].median() <= 2.0, name


def test_smoothing_damps_an_outlier_about_tenfold(weights):
    ratio = weights["letcc"].median() / weights["letcc-smoothed"].median()
    assert ratio > 8
    assert weights["letcc-smoothed"].max() < 0.3


def test_lagrange_amplifies_an_outlier(weights):
    assert weights["lagrange"].median() > 1e3
    assert weights["lagrange"].max() > 1e10


def test_spline_influence_is_local_and_berrut_decays_slowly():
    alpha, beta = points("chebyshev1", 20), points("chebyshev2", 100)
    everyone = np.ones((1, 100), dtype=bool)
    middle = 50
    nearest = np.argmin(np.abs(alpha - beta[middle]))
    farthest = np.argmax(np.abs(alpha - beta[middle]))

    for name, far_bound in (
        ("letcc", lambda r: r < 1e-20),
        ("bacc", lambda r: r > 1e-2),
    ):
        D = get_scheme(name).decoder_matrices(alpha, beta, everyone)[0].abs()
        ratio = float(D[farthest, middle] / D[nearest, middle])
        assert far_bound(ratio), (name, ratio)


def test_replication_moves_only_the_replicated_input():
    G, Kr, Nr, m = 1, 4, 12, 3
    truth = torch.zeros(G, Kr, m, dtype=torch.float64)
    masks = torch.ones(1, Nr, dtype=torch.bool)
    masks[0, 4] = False
    noise = torch.zeros(1, Nr, m, dtype=torch.float64)
    worker, error = 1, 1e5
    noise[0, worker] = error  # worker 1 returns truth + error (sigma = 1)

    estimates, _ = replication_estimates(truth, masks, noise, sigma=1.0)

    assignment = replica_assignment(Nr, Kr)
    target = assignment[worker]
    replicas = int(((assignment == target) & masks[0].numpy()).sum())
    moved = estimates[0].abs().amax(dim=1)
    assert moved[target] == pytest.approx(error / replicas)
    assert moved.sum() == pytest.approx(error / replicas)
