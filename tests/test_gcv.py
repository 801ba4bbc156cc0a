"""Generalised cross-validation per pattern, against scipy and dense algebra.

References: the hat matrix of a smoothing spline built column by column with
``scipy.interpolate.make_smoothing_spline`` (an independent B-spline
implementation), ``numpy.linalg.inv`` for the band of the inverse, and
scipy's own GCV choice (``lam=None``) for the selected fit.
"""

import numpy as np
import pytest
import torch
from scipy.interpolate import make_smoothing_spline

from letcc.coding import get_scheme
from letcc.gcv import band_inverse, gcv_scores, select_gcv, smooth_per_pattern


def dense_gcv(x, Y, lam):
    """GCV of a smoothing spline (paper lam) from its dense hat matrix via scipy."""
    n = len(x)
    hat = np.stack(
        [make_smoothing_spline(x, np.eye(n)[i], lam=n * lam)(x) for i in range(n)],
        axis=1,
    )
    residual = Y - hat @ Y
    return (residual**2).sum() / (n * Y.shape[1]) / (1 - np.trace(hat) / n) ** 2


def noisy_curve(n=40, p=1, seed=1, sigma=0.2):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    Y = np.sin(3 * x)[:, None] + np.arange(p) * x[:, None] ** 2
    return x, Y + sigma * rng.standard_normal((n, p))


def test_band_inverse_matches_the_dense_inverse():
    rng = np.random.default_rng(0)
    n, T = 9, 4
    diag = torch.from_numpy(rng.uniform(6, 8, (T, n)))
    off1 = torch.from_numpy(rng.uniform(-1, 1, (T, n - 1)))
    off2 = torch.from_numpy(rng.uniform(-1, 1, (T, n - 2)))

    bands = band_inverse(diag, off1, off2)

    for t in range(T):
        B = np.diag(diag[t]) + np.diag(off1[t], 1) + np.diag(off1[t], -1)
        B += np.diag(off2[t], 2) + np.diag(off2[t], -2)
        inverse = np.linalg.inv(B)
        for k in range(3):
            # float64 inverse of a well-conditioned 9x9 matrix: 1e-13 is
            # thousands of roundings away from either computation's error.
            np.testing.assert_allclose(bands[k][t], np.diag(inverse, k), atol=1e-13)


@pytest.mark.parametrize("lam", [1e-7, 1e-5, 1e-3, 1e-1])
@pytest.mark.parametrize("p", [1, 3])
def test_gcv_matches_the_dense_criterion(lam, p):
    x, Y = noisy_curve(p=p)
    masks = np.ones((1, len(x)), dtype=bool)

    score = gcv_scores(x, masks, torch.from_numpy(Y)[None], [lam])

    # Both are float64 evaluations of one formula; scipy's hat matrix is
    # built from 40 separate B-spline solves, which agree with the banded
    # Reinsch solution to about 1e-12 relative at these lams.
    assert float(score[0, 0]) == pytest.approx(dense_gcv(x, Y, lam), rel=1e-8)


def test_gcv_of_a_pattern_uses_only_its_survivors():
    x, Y = noisy_curve(n=30, p=2, seed=3)
    masks = np.ones((2, 30), dtype=bool)
    masks[0, [0, 7, 8, 20]] = False
    masks[1, [29]] = False
    values = torch.from_numpy(np.stack([Y, Y]))
    values[0, [0, 7, 8, 20]] = 1e6  # stragglers' rows must not be read

    scores = gcv_scores(x, masks, values, [1e-4, 1e-2])

    for t in range(2):
        keep = masks[t]
        for g, lam in enumerate([1e-4, 1e-2]):
            expected = dense_gcv(x[keep], Y[keep], lam)
            assert float(scores[t, g]) == pytest.approx(expected, rel=1e-8)


def test_selected_fit_matches_scipys_gcv_fit():
    x, Y = noisy_curve(n=50, seed=5)
    masks = np.ones((1, 50), dtype=bool)
    grid = np.logspace(-12, 1, 53)

    lam, _ = select_gcv(x, masks, torch.from_numpy(Y)[None], grid)
    ours = smooth_per_pattern(x, x, masks, torch.from_numpy(Y)[None], lam)[0, :, 0]
    theirs = make_smoothing_spline(x, Y[:, 0])(x)

    # Both minimise the same criterion, scipy by bounded Brent search on its
    # lam: the fits agree to ~1e-5 here (the criterion is flat near its
    # minimum). Missing the n between the two lam conventions moves the fit
    # by more than 1e-2, checked below, so 1e-3 separates right from wrong.
    assert np.abs(ours.numpy() - theirs).max() < 1e-3
    wrong = smooth_per_pattern(x, x, masks, torch.from_numpy(Y)[None], lam * 50)
    assert np.abs(wrong[0, :, 0].numpy() - theirs).max() > 1e-2


def test_selection_is_per_pattern():
    # Two patterns of very different data: a straight line wants a large lam,
    # a wiggly curve a small one.
    x = np.linspace(-1, 1, 40)
    rng = np.random.default_rng(2)
    line = 0.5 * x + 0.05 * rng.standard_normal(40)
    wiggle = np.sin(12 * x) + 0.05 * rng.standard_normal(40)
    values = torch.from_numpy(np.stack([line, wiggle])[:, :, None])
    masks = np.ones((2, 40), dtype=bool)

    lam, score = select_gcv(x, masks, values, np.logspace(-12, 1, 27))

    assert lam[0] > 1e3 * lam[1]
    assert score.shape == (2,)


def test_smooth_per_pattern_matches_the_scheme_with_one_lam():
    beta = np.linspace(-1, 1, 25)
    alpha = np.array([-0.7, -0.1, 0.4, 0.9])
    masks = np.ones((4, 25), dtype=bool)
    masks[1, 3:6] = False
    masks[2, [0, 24]] = False
    masks[3, 10] = False
    values = torch.from_numpy(np.random.default_rng(0).standard_normal((4, 25, 2)))
    lams = [0.0, 1e-5, 1e-3, 1e-1]

    ours = smooth_per_pattern(alpha, beta, masks, values, lams)

    for t, lam in enumerate(lams):
        scheme = get_scheme("letcc", lam_dec=lam)
        reference = scheme.decode(alpha, beta, masks[t : t + 1], values[t : t + 1])
        # The same banded solver on the same system: rounding only.
        torch.testing.assert_close(ours[t], reference[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: gcv_scores(
                np.linspace(-1, 1, 5), np.ones((1, 5), bool), torch.ones(1, 5, 1), [0.0]
            ),
            "GCV needs lam > 0",
        ),
        (
            lambda: gcv_scores(
                np.linspace(-1, 1, 5),
                np.array([[True, True, False, False, False]]),
                torch.ones(1, 5, 1),
                [1.0],
            ),
            "at least 3 survivors",
        ),
        (
            lambda: select_gcv(
                np.linspace(-1, 1, 5),
                np.ones((1, 5), bool),
                torch.ones(1, 5, 1),
                [1, 2],
            ),
            "grid must be 1-D, ascending, with >= 3 lams",
        ),
        (
            lambda: smooth_per_pattern(
                [0.0, 0.5],
                np.linspace(-1, 1, 5),
                np.ones((2, 5), bool),
                torch.ones(2, 5, 1),
                [1.0],
            ),
            r"one entry per pattern, shape \(2,\)",
        ),
    ],
)
def test_bad_arguments_raise_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
