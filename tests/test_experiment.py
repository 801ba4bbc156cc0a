"""Batched coded evaluation: plumbing, non-finite outputs, devices."""

import numpy as np
import pytest
import torch
from scipy.interpolate import CubicSpline

from letcc.coding import get_scheme, points
from letcc.experiment import evaluate_coded, resolve_device
from letcc.synthetic import make_inputs, make_network
from letcc.traces import uniform_masks


@pytest.fixture
def setting():
    """A small synthetic problem: K=4 inputs in R^3, f: R^3 -> R^2, N=11."""
    K, N, trials = 4, 11, 6
    alpha, beta = points("chebyshev1", K), points("chebyshev2", N)
    X = make_inputs(trials, K, 3, seed=0)
    f = make_network(3, 2, 8, seed=0)
    masks = uniform_masks(N=N, S=2, trials=trials, seed=0)
    return alpha, beta, X, f, masks


def natural_spline(knots, values, at):
    """scipy's natural cubic interpolant, continued linearly beyond the knots.

    The minimiser over W^{2,2}[-1, 1] is linear outside its outermost knots
    (docs/method.md); CubicSpline would continue the end cubic instead.
    """
    spline = CubicSpline(knots, values, bc_type="natural")
    slope = spline.derivative()
    out = spline(np.clip(at, knots[0], knots[-1]))
    for end in (knots[0], knots[-1]):
        beyond = (at < end) if end == knots[0] else (at > end)
        out[beyond] = spline(end) + np.outer(at[beyond] - end, slope(end))
    return out


def reference_letcc_interpolation(alpha, beta, X, f, masks):
    """Per-trial MSE of LeTCC with lam = 0, one trial at a time with scipy.

    Independent of letcc.coding: scipy's natural cubic interpolating spline
    is the LeTCC encoder and decoder at lam_enc = lam_dec = 0.
    """
    mse = []
    for x, mask in zip(X.numpy(), masks, strict=True):
        coded = natural_spline(alpha, x, beta)
        y = f(torch.from_numpy(coded)).numpy()
        estimate = natural_spline(beta[mask], y[mask], alpha)
        truth = f(torch.from_numpy(x)).numpy()
        mse.append(np.mean((estimate - truth) ** 2))
    return np.array(mse)


def test_batched_letcc_matches_a_per_trial_scipy_loop(setting):
    alpha, beta, X, f, masks = setting
    scheme = get_scheme("letcc", lam_enc=0.0, lam_dec=0.0)

    result = evaluate_coded(scheme, alpha, beta, X, f, masks)

    expected = reference_letcc_interpolation(alpha, beta, X, f, masks)
    # Both are float64 solves of small well-conditioned systems; 1e-9 relative
    # leaves room for different elimination orders, not for a wrong mapping.
    np.testing.assert_allclose(result.mse, expected, rtol=1e-9, atol=1e-18)
    assert (result.n_nonfinite == 0).all()


@pytest.mark.parametrize("name", ["letcc", "bacc"])
def test_linear_f_with_inputs_on_worker_points_is_recovered_exactly(name):
    # Equispaced alpha (K=5) lie on equispaced beta (N=9), and with every
    # worker present both schemes reproduce node values exactly: the decoded
    # value at alpha_k is the worker output there, f(x_k).
    K, N, trials = 5, 9, 4
    alpha, beta = points("equispaced", K), points("equispaced", N)
    X = make_inputs(trials, K, 3, seed=2)
    A = torch.arange(6, dtype=torch.float64).reshape(2, 3) / 5

    def f(x):
        return x @ A.T + 1.0

    masks = np.ones((trials, N), dtype=bool)
    kwargs = {"lam_enc": 0.0, "lam_dec": 0.0} if name == "letcc" else {}

    result = evaluate_coded(get_scheme(name, **kwargs), alpha, beta, X, f, masks)

    # Outputs are O(1); exact up to float64 rounding of a few products.
    assert result.mse.max() < 1e-24, f"got MSE {result.mse}, expected ~0"


def test_non_finite_outputs_become_counted_stragglers(setting):
    alpha, beta, X, f, masks = setting
    masks = np.ones_like(masks)
    N = len(beta)
    poisoned = {(0, 3), (2, 0), (2, 7)}  # (trial, worker)
    calls = []

    def poisoning_f(x):
        y = f(x)
        if not calls:  # first call: the coded inputs, rows t * N + n
            for t, n in poisoned:
                y[t * N + n, 1] = np.nan if n else np.inf
        calls.append(x.shape)
        return y

    scheme = get_scheme("letcc", lam_enc=0.0, lam_dec=1e-6)
    result = evaluate_coded(scheme, alpha, beta, X, poisoning_f, masks)

    assert result.n_nonfinite.tolist() == [1, 0, 2, 0, 0, 0]
    assert np.isfinite(result.mse).all()

    # Same numbers as dropping those workers from the trace in the first place.
    dropped = masks.copy()
    for t, n in poisoned:
        dropped[t, n] = False
    clean = evaluate_coded(scheme, alpha, beta, X, f, dropped)
    np.testing.assert_allclose(result.mse, clean.mse, rtol=1e-12)


def test_non_finite_output_of_a_straggler_is_not_counted(setting):
    alpha, beta, X, f, masks = setting
    t, n = 0, int(np.flatnonzero(~masks[0])[0])  # a worker that straggled

    def f_nan(x):
        y = f(x)
        if x.shape[0] == masks.size:
            y[t * len(beta) + n] = np.nan
        return y

    result = evaluate_coded(get_scheme("bacc"), alpha, beta, X, f_nan, masks)

    assert result.n_nonfinite.sum() == 0
    assert np.isfinite(result.mse).all()


def test_too_few_finite_answers_raise(setting):
    alpha, beta, X, f, masks = setting

    def all_nan(x):
        return torch.full((x.shape[0], 2), np.nan, dtype=torch.float64)

    with pytest.raises(
        ValueError, match="fewer than 2 answers left after dropping non-finite"
    ):
        evaluate_coded(get_scheme("bacc"), alpha, beta, X, all_nan, masks)


def test_small_blocks_give_the_same_result_as_one_block(setting):
    alpha, beta, X, f, masks = setting
    scheme = get_scheme("letcc", lam_enc=1e-4, lam_dec=1e-5)

    whole = evaluate_coded(scheme, alpha, beta, X, f, masks)
    # 8 * N * N bytes is one trial per block.
    blocked = evaluate_coded(
        scheme, alpha, beta, X, f, masks, max_block_bytes=8 * len(beta) ** 2
    )

    np.testing.assert_allclose(blocked.mse, whole.mse, rtol=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("masks_width", "masks has N=10 columns but beta has 11"),
        ("masks_rows", "masks has 5 trials but X has 6"),
        ("alpha", "X holds K=4 inputs per trial but alpha has 5"),
    ],
)
def test_inconsistent_shapes_are_reported(setting, change, message):
    alpha, beta, X, f, masks = setting
    if change == "masks_width":
        masks = masks[:, :-1]
    elif change == "masks_rows":
        masks = masks[:-1]
    else:
        alpha = points("chebyshev1", 5)

    with pytest.raises(ValueError, match=message):
        evaluate_coded(get_scheme("bacc"), alpha, beta, X, f, masks)


def test_resolve_device_names():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="device='tpu' is unknown"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_resolve_device_refuses_missing_cuda():
    with pytest.raises(ValueError, match="no CUDA device; use 'cpu' or 'auto'"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(setting):
    alpha, beta, X, f, masks = setting
    scheme = get_scheme("letcc", lam_enc=0.0, lam_dec=1e-6)

    cpu = evaluate_coded(scheme, alpha, beta, X, f, masks, device="cpu")
    gpu = evaluate_coded(scheme, alpha, beta, X, f.to("cuda"), masks, device="cuda")

    # Same float64 arithmetic, different kernels: agreement to 1e-9 relative.
    np.testing.assert_allclose(gpu.mse, cpu.mse, rtol=1e-9)
