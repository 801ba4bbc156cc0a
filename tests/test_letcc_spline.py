"""LeTCC smoothing-spline encoder/decoder against scipy and a Reinsch reference."""

import numpy as np
import pytest
import torch
from numpy.polynomial import chebyshev as npcheb
from scipy.interpolate import CubicSpline, make_smoothing_spline

from letcc.coding import get_scheme

# Paper-normalised lam values from 0 to 10, log-spaced above 0.
LAMS = (0.0, 1e-8, 1e-6, 1e-4, 1e-2, 1e-1, 1.0, 10.0)
SEEDS = range(4)

# Tolerance against scipy, relative to max(1, max|reference entry|). For
# well-spaced knots (min gap >= 0.2/n) and n <= 32, make_smoothing_spline's hat
# matrix differs from a 40-digit mpmath Reinsch solution by <= 1e-9 at
# lam_paper = 10 (about 1e-12 at lam = 1e-2, 1e-15 at small lam); a second
# float64 solver can err by the same order, so 1e-7 leaves a ~100x margin while
# any real mistake (wrong lam scaling, cubic instead of linear extrapolation,
# wrong boundary condition) is orders of magnitude larger.
RTOL_SCIPY = 1e-7


def spaced_points(rng, n, lo=-1.0, hi=1.0, frac=0.2):
    """n sorted random points in [lo, hi] with min gap >= frac * (hi - lo) / 2 / n."""
    gmin = frac * (hi - lo) / 2.0 / n
    free = (hi - lo) - (n - 1) * gmin
    g = rng.dirichlet(np.ones(n + 1)) * free
    x = lo + np.cumsum(g[:n]) + gmin * np.arange(n)
    return np.clip(x, lo, hi)


def random_masks(rng, n, t, min_surv):
    masks = np.ones((t, n), dtype=bool)
    for row in masks:
        s = rng.integers(0, n - min_surv + 1)
        row[rng.choice(n, size=s, replace=False)] = False
    return masks


def end_masks(n):
    """Masks where end workers straggle, so alphas fall outside the survivors."""
    m = np.ones((3, n), dtype=bool)
    m[0, :2] = False
    m[1, -2:] = False
    m[2, [0, 1, n - 2, n - 1]] = False
    return m


def natural_eval(spl, x0, x1, t):
    """Evaluate a natural spline on [x0, x1], extended LINEARLY outside."""
    t = np.asarray(t, dtype=float)
    out = np.array(spl(t), dtype=float)
    d = spl.derivative()
    for end, sel in ((x0, t < x0), (x1, t > x1)):
        if np.any(sel):
            out[sel] = spl(end)[None] + d(end)[None] * (t[sel] - end)[:, None]
    return out


def scipy_smoother(x, t, lam_paper):
    """Matrix (len(t), len(x)): data at x -> paper-normalised spline at t."""
    n = len(x)
    if lam_paper == 0.0:
        spl = CubicSpline(x, np.eye(n), bc_type="natural")
    else:
        spl = make_smoothing_spline(x, np.eye(n), lam=n * lam_paper)
    return natural_eval(spl, x[0], x[-1], t)


def reinsch_hat(x, lam_scipy):
    """Hat matrix of the smoothing spline at its knots (Green & Silverman, 2.3)."""
    n = len(x)
    if n == 2:
        return np.eye(2)
    h = np.diff(x)
    q = np.zeros((n, n - 2))
    r = np.zeros((n - 2, n - 2))
    for j in range(n - 2):
        q[j, j] = 1 / h[j]
        q[j + 1, j] = -1 / h[j] - 1 / h[j + 1]
        q[j + 2, j] = 1 / h[j + 1]
        r[j, j] = (h[j] + h[j + 1]) / 3
        if j < n - 3:
            r[j, j + 1] = r[j + 1, j] = h[j + 1] / 6
    k = q @ np.linalg.solve(r, q.T)
    return np.linalg.solve(np.eye(n) + lam_scipy * k, np.eye(n))


def reinsch_smoother(x, t, lam_paper):
    """Independent reference for any n >= 2: the smoothing spline is the natural
    interpolating spline through its own fitted values."""
    fitted = reinsch_hat(x, len(x) * lam_paper)
    spl = CubicSpline(x, fitted, bc_type="natural")
    return natural_eval(spl, x[0], x[-1], t)


def decoder_ref(alpha, beta, masks, lam, smoother=scipy_smoother):
    out = np.zeros((len(masks), len(alpha), len(beta)))
    for i, m in enumerate(masks):
        out[i][:, m] = smoother(beta[m], alpha, lam)
    return out


def assert_close_scaled(actual, ref, rtol):
    scale = max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(actual - ref)))
    assert err <= rtol * scale, f"max abs err {err:.3e} > {rtol:.1e} * {scale:.3g}"


def as_np(t):
    assert isinstance(t, torch.Tensor)
    assert t.dtype == torch.float64
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_decoder_matches_scipy(seed, lam):
    rng = np.random.default_rng([seed, 101])
    n = int(rng.integers(8, 33))
    k = int(rng.integers(5, 17))
    alpha = spaced_points(rng, k)
    beta = spaced_points(rng, n)
    # scipy's make_smoothing_spline needs >= 5 data points
    masks = np.concatenate([random_masks(rng, n, 6, min_surv=5), end_masks(n)])
    masks[0] = True  # the all-survivors pattern
    scheme = get_scheme("letcc", lam_enc=1e-6, lam_dec=lam)
    d = as_np(scheme.decoder_matrices(alpha, beta, masks))
    assert d.shape == (len(masks), k, n)
    assert_close_scaled(d, decoder_ref(alpha, beta, masks, lam), RTOL_SCIPY)


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_encoder_matches_scipy(seed, lam):
    rng = np.random.default_rng([seed, 202])
    k = int(rng.integers(5, 21))
    n = int(rng.integers(k, 41))
    # alphas inside a sub-interval so that some betas need extrapolation
    alpha = spaced_points(rng, k, lo=-0.8, hi=0.9)
    beta = spaced_points(rng, n)
    scheme = get_scheme("letcc", lam_enc=lam, lam_dec=1e-4)
    e = as_np(scheme.encoder_matrix(alpha, beta))
    assert e.shape == (n, k)
    assert_close_scaled(e, scipy_smoother(alpha, beta, lam), RTOL_SCIPY)


@pytest.mark.parametrize("lam", LAMS)
def test_standard_chebyshev_configuration(lam):
    # BACC convention: alpha Chebyshev-1 (K), beta Chebyshev-2 (N). The betas
    # +-1 lie outside the alpha range, so the encoder must extrapolate there.
    k, n = 10, 24
    alpha, beta = npcheb.chebpts1(k), npcheb.chebpts2(n)
    scheme = get_scheme("letcc", lam_enc=lam, lam_dec=lam)
    e = as_np(scheme.encoder_matrix(alpha, beta))
    assert_close_scaled(e, scipy_smoother(alpha, beta, lam), RTOL_SCIPY)
    rng = np.random.default_rng(7)
    masks = np.concatenate([random_masks(rng, n, 4, min_surv=5), end_masks(n)])
    d = as_np(scheme.decoder_matrices(alpha, beta, masks))
    assert_close_scaled(d, decoder_ref(alpha, beta, masks, lam), RTOL_SCIPY)


@pytest.mark.parametrize("lam", [0.0, 1e-3, 1.0])
def test_extrapolation_is_linear_not_cubic(lam):
    # Data on [-0.5, 0.5], evaluated out to +-1: natural-spline minimiser is
    # linear beyond the last knot.
    rng = np.random.default_rng(11)
    alpha = np.linspace(-0.5, 0.5, 7)
    beta = np.linspace(-1.0, 1.0, 11)
    x = rng.standard_normal(7)
    scheme = get_scheme("letcc", lam_enc=lam, lam_dec=lam)
    got = as_np(scheme.encoder_matrix(alpha, beta)) @ x
    ref = scipy_smoother(alpha, beta, lam) @ x
    # guard: this data makes cubic extrapolation visibly different, so the
    # test discriminates the two
    if lam == 0.0:
        spl = CubicSpline(alpha, x, bc_type="natural")
    else:
        spl = make_smoothing_spline(alpha, x, lam=7 * lam)
    assert np.max(np.abs(spl(beta) - ref)) > 1e-3
    # 1e-9: a 7-knot problem is well conditioned (errors ~1e-14); see RTOL_SCIPY
    assert_close_scaled(got, ref, 1e-9)
    # outside the data the values are collinear: zero second differences
    for side in (got[:3], got[-3:]):
        assert abs(side[0] - 2 * side[1] + side[2]) <= 1e-10 * max(
            1, np.abs(side).max()
        )


@pytest.mark.parametrize("lam", [0.0, 1e-4, 1e-1, 10.0])
@pytest.mark.parametrize("n_surv", [2, 3, 4])
def test_few_survivors_against_reinsch(n_surv, lam):
    # scipy's make_smoothing_spline refuses < 5 points, so the reference here is
    # the Reinsch hat matrix + natural interpolation of the fitted values.
    rng = np.random.default_rng([n_surv, 303])
    n, k = 9, 6
    beta = spaced_points(rng, n)
    alpha = spaced_points(rng, k)
    masks = np.zeros((4, n), dtype=bool)
    for row in masks:
        row[rng.choice(n, size=n_surv, replace=False)] = True
    masks[-1] = False
    masks[-1, 3 : 3 + n_surv] = True  # survivors in the middle: extrapolate both
    scheme = get_scheme("letcc", lam_enc=lam, lam_dec=lam)
    d = as_np(scheme.decoder_matrices(alpha, beta, masks))
    ref = decoder_ref(alpha, beta, masks, lam, smoother=reinsch_smoother)
    # <= 4 knots: tiny, well-conditioned systems; 1e-9 is generous
    assert_close_scaled(d, ref, 1e-9)
    if n_surv == 2:
        # two survivors: the minimiser is the straight line through them
        for t, m in enumerate(masks):
            b0, b1 = beta[m]
            lin = np.stack([(b1 - alpha) / (b1 - b0), (alpha - b0) / (b1 - b0)], 1)
            np.testing.assert_allclose(d[t][:, m], lin, atol=1e-12)


@pytest.mark.parametrize("lam", [1e-6, 1e-2, 1.0, 10.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_scipy_and_reinsch_references_agree(seed, lam):
    # Sanity of the test's own references, so a disagreement with the code under
    # test is not blamed on a wrong reference.
    rng = np.random.default_rng([seed, 404])
    x = spaced_points(rng, 20)
    t = np.linspace(-1, 1, 15)
    assert_close_scaled(scipy_smoother(x, t, lam), reinsch_smoother(x, t, lam), 1e-8)


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_decoder_zero_columns_at_stragglers(seed, lam):
    rng = np.random.default_rng([seed, 505])
    n, k = 16, 7
    alpha, beta = spaced_points(rng, k), spaced_points(rng, n)
    masks = np.concatenate([random_masks(rng, n, 8, min_surv=2), end_masks(n)])
    d = as_np(get_scheme("letcc", lam_dec=lam).decoder_matrices(alpha, beta, masks))
    for t, m in enumerate(masks):
        assert np.all(d[t][:, ~m] == 0.0), "straggler columns must be exactly 0"
        assert np.any(d[t][:, m] != 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_interpolating_decoder_reproduces_nodes(seed):
    # lam = 0, all survivors, alpha a subset of beta: D selects the node values.
    rng = np.random.default_rng([seed, 606])
    n = 20
    beta = spaced_points(rng, n)
    idx = np.sort(rng.choice(n, size=7, replace=False))
    alpha = beta[idx]
    masks = np.ones((1, n), dtype=bool)
    d = as_np(get_scheme("letcc", lam_dec=0.0).decoder_matrices(alpha, beta, masks))
    sel = np.zeros((7, n))
    sel[np.arange(7), idx] = 1.0
    # interpolation at a knot: exact up to rounding in the solve (~1e-15)
    np.testing.assert_allclose(d[0], sel, atol=1e-12)
    # same for the encoder: lam_enc = 0, betas include the alphas
    e = as_np(get_scheme("letcc", lam_enc=0.0).encoder_matrix(beta, alpha))
    np.testing.assert_allclose(e, sel, atol=1e-12)


@pytest.mark.parametrize("lam", (*LAMS, 100.0))
@pytest.mark.parametrize("seed", SEEDS)
def test_straight_lines_reproduced(seed, lam):
    # The penalty vanishes on lines and a line fits the data exactly, so every
    # lam returns the line itself, including the linear extension outside.
    rng = np.random.default_rng([seed, 707])
    n, k = 18, 9
    alpha, beta = spaced_points(rng, k), spaced_points(rng, n)
    a, b = rng.standard_normal(2)
    scheme = get_scheme("letcc", lam_enc=lam, lam_dec=lam)
    masks = np.concatenate([random_masks(rng, n, 6, min_surv=2), end_masks(n)])
    d = as_np(scheme.decoder_matrices(alpha, beta, masks))
    y = a + b * beta
    # The banded Reinsch system R + lam_s Q^T Q has cond <~ 1e5 here (n = 18,
    # lam_s = 1800), so a sound solver errs ~1e-11 or less; 1e-7 is RTOL_SCIPY
    # (scipy itself errs up to 5e-8 on such lines at lam = 100).
    assert_close_scaled(d @ y, np.broadcast_to(a + b * alpha, (len(masks), k)), 1e-7)
    e = as_np(scheme.encoder_matrix(alpha, beta))
    assert_close_scaled(e @ (a + b * alpha), a + b * beta, 1e-7)


def test_lam_scaling_uses_paper_normalisation():
    # The paper normalisation means lam_scipy = |F| * lam. Guard that this
    # case discriminates: scipy with lam_scipy = lam (no factor) is visibly
    # different, and the code must match the scaled one.
    rng = np.random.default_rng(9)
    beta = spaced_points(rng, 12)
    alpha = spaced_points(rng, 5)
    lam = 1e-2
    masks = np.ones((1, 12), dtype=bool)
    d = as_np(get_scheme("letcc", lam_dec=lam).decoder_matrices(alpha, beta, masks))
    right = scipy_smoother(beta, alpha, lam)
    wrong = scipy_smoother(beta, alpha, lam / 12)  # i.e. lam_scipy = lam
    assert np.max(np.abs(right - wrong)) > 1e-3
    assert_close_scaled(d[0], right, RTOL_SCIPY)


def test_lam_dec_and_lam_enc_are_independent():
    rng = np.random.default_rng(10)
    alpha, beta = spaced_points(rng, 8), spaced_points(rng, 14)
    masks = random_masks(rng, 14, 3, min_surv=5)
    s = get_scheme("letcc", lam_enc=1e-1, lam_dec=1e-5)
    assert s.name == "letcc"
    e = as_np(s.encoder_matrix(alpha, beta))
    d = as_np(s.decoder_matrices(alpha, beta, masks))
    assert_close_scaled(e, scipy_smoother(alpha, beta, 1e-1), RTOL_SCIPY)
    assert_close_scaled(d, decoder_ref(alpha, beta, masks, 1e-5), RTOL_SCIPY)
