"""BACC (Berrut) and Lagrange baselines against independent numpy/scipy references."""

import numpy as np
import pytest
import torch
from numpy.polynomial import chebyshev as npcheb
from scipy.interpolate import BarycentricInterpolator

from letcc.coding import get_scheme

SEEDS = range(6)


def spaced_points(rng, n, lo=-1.0, hi=1.0, frac=0.2):
    """n sorted random points in [lo, hi] with min gap >= frac * (hi - lo) / 2 / n."""
    gmin = frac * (hi - lo) / 2.0 / n
    free = (hi - lo) - (n - 1) * gmin
    g = rng.dirichlet(np.ones(n + 1)) * free
    x = lo + np.cumsum(g[:n]) + gmin * np.arange(n)
    return np.clip(x, lo, hi)


def random_masks(rng, n, t, min_surv, keep=()):
    masks = np.ones((t, n), dtype=bool)
    for row in masks:
        s = rng.integers(0, n - min_surv + 1)
        row[rng.choice(n, size=s, replace=False)] = False
        row[list(keep)] = True
        while row.sum() < min_surv:
            row[rng.integers(n)] = True
    return masks


def berrut_matrix(nodes, t):
    """Berrut's first-form rational interpolant as a (len(t), len(nodes)) matrix,
    weights (-1)^i over the nodes in ascending order; exact at the nodes."""
    nodes = np.asarray(nodes, dtype=float)
    w = (-1.0) ** np.arange(len(nodes))
    out = np.zeros((len(t), len(nodes)))
    for i, ti in enumerate(t):
        hit = np.flatnonzero(nodes == ti)
        if hit.size:
            out[i, hit[0]] = 1.0
            continue
        c = w / (ti - nodes)
        out[i] = c / c.sum()
    return out


def as_np(t):
    assert isinstance(t, torch.Tensor)
    assert t.dtype == torch.float64
    return t.detach().cpu().numpy()


def mixed_alpha(rng, beta, k):
    """k sorted alphas: some equal to betas exactly, the rest random."""
    n_hit = k // 2
    hits = rng.choice(beta, size=n_hit, replace=False)
    rest = rng.uniform(-1, 1, size=k - n_hit)
    a = np.unique(np.concatenate([hits, rest]))
    assert len(a) == k
    return a


# Berrut's interpolant is a ratio of two sums of terms w_i/(t - z_i); away from
# exact nodes each entry is computed with O(n) rounding errors relative to the
# row's magnitude, and rows are bounded (|entries| <= ~1 here); 1e-12 absolute
# leaves ~1000x margin over float64 noise for n <= 30.
BERRUT_ATOL = 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_bacc_decoder_matches_numpy_berrut(seed):
    rng = np.random.default_rng([seed, 11])
    n = int(rng.integers(6, 31))
    k = int(rng.integers(2, 13))
    beta = spaced_points(rng, n)
    alpha = mixed_alpha(rng, beta, k)  # some alphas sit on (maybe straggling) nodes
    masks = random_masks(rng, n, 8, min_surv=2)
    masks[0] = True
    masks[1] = True
    masks[1, n // 2] = False  # one interior straggler flips the sign pattern
    d = as_np(get_scheme("bacc").decoder_matrices(alpha, beta, masks))
    assert d.shape == (len(masks), k, n)
    for t, m in enumerate(masks):
        ref = np.zeros((k, n))
        ref[:, m] = berrut_matrix(beta[m], alpha)
        np.testing.assert_allclose(d[t], ref, rtol=0, atol=BERRUT_ATOL)
        assert np.all(d[t][:, ~m] == 0.0)


def test_bacc_decoder_signs_alternate_over_survivors_only():
    # Guard that the reference discriminates: signs (-1)^n over ALL workers,
    # not re-indexed over survivors, would give a visibly different matrix.
    beta = npcheb.chebpts2(9)
    alpha = npcheb.chebpts1(5)
    mask = np.ones(9, dtype=bool)
    mask[4] = False
    d = as_np(get_scheme("bacc").decoder_matrices(alpha, beta, mask[None]))[0]
    right = berrut_matrix(beta[mask], alpha)
    w_wrong = (-1.0) ** np.flatnonzero(mask)
    c = w_wrong / (alpha[:, None] - beta[mask][None])
    wrong = c / c.sum(1, keepdims=True)
    assert np.max(np.abs(right - wrong)) > 1e-2
    np.testing.assert_allclose(d[:, mask], right, rtol=0, atol=BERRUT_ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_bacc_reproduces_node_values(seed):
    rng = np.random.default_rng([seed, 22])
    n = 15
    beta = spaced_points(rng, n)
    idx = np.sort(rng.choice(n, size=5, replace=False))
    alpha = beta[idx]  # evaluate exactly at survivor nodes
    masks = random_masks(rng, n, 6, min_surv=6, keep=idx)
    d = as_np(get_scheme("bacc").decoder_matrices(alpha, beta, masks))
    sel = np.zeros((5, n))
    sel[np.arange(5), idx] = 1.0
    for t in range(len(masks)):
        # r(z_i) = v_i: exact by definition (no 0/0 may leak through)
        assert np.all(np.isfinite(d[t]))
        np.testing.assert_allclose(d[t], sel, rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
def test_bacc_encoder_matches_numpy_berrut(seed):
    rng = np.random.default_rng([seed, 33])
    k = int(rng.integers(2, 16))
    n = int(rng.integers(k, 31))
    alpha = spaced_points(rng, k)
    hits = rng.choice(alpha, size=k // 2, replace=False)  # some betas on alphas
    beta = np.unique(np.concatenate([hits, rng.uniform(-1, 1, n - k // 2)]))
    e = as_np(get_scheme("bacc").encoder_matrix(alpha, beta))
    assert e.shape == (len(beta), k)
    np.testing.assert_allclose(e, berrut_matrix(alpha, beta), rtol=0, atol=BERRUT_ATOL)


def test_bacc_standard_configuration():
    k, n = 10, 20
    alpha, beta = npcheb.chebpts1(k), npcheb.chebpts2(n)
    s = get_scheme("bacc")
    assert s.name == "bacc"
    e = as_np(s.encoder_matrix(alpha, beta))
    np.testing.assert_allclose(e, berrut_matrix(alpha, beta), rtol=0, atol=BERRUT_ATOL)
    masks = random_masks(np.random.default_rng(5), n, 5, min_surv=14)
    d = as_np(s.decoder_matrices(alpha, beta, masks))
    for t, m in enumerate(masks):
        np.testing.assert_allclose(
            d[t][:, m], berrut_matrix(beta[m], alpha), rtol=0, atol=BERRUT_ATOL
        )


def lebesgue_tol(ref, values_scale):
    # Barycentric/Lagrange evaluation is stable up to the Lebesgue constant
    # Lambda = max row-sum |L_ij|: error <~ (3n + 4) eps Lambda |y|. With n <= 12
    # that is < 1e-14 Lambda |y|; 1e-12 Lambda |y| leaves 100x margin.
    lam = max(1.0, float(np.max(np.abs(ref).sum(axis=-1))))
    return 1e-12 * lam * max(1.0, values_scale)


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrange_exact_on_polynomials_decoder(seed):
    rng = np.random.default_rng([seed, 44])
    n, k = 12, 8
    beta, alpha = npcheb.chebpts2(n), npcheb.chebpts1(k)
    masks = random_masks(rng, n, 6, min_surv=6)
    masks[0] = True
    d = as_np(get_scheme("lagrange").decoder_matrices(alpha, beta, masks))
    for t, m in enumerate(masks):
        deg = int(m.sum()) - 1  # the largest degree |F| nodes determine
        coef = rng.standard_normal((deg + 1, 3))  # three output coordinates
        y = npcheb.chebval(beta, coef).T  # (n, 3)
        ref = npcheb.chebval(alpha, coef).T
        ref_mat = BarycentricInterpolator(beta[m], np.eye(m.sum()))(alpha)
        tol = lebesgue_tol(ref_mat, np.abs(y).max())
        np.testing.assert_allclose(d[t] @ y, ref, rtol=0, atol=tol)
        assert np.all(d[t][:, ~m] == 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrange_matches_scipy_barycentric(seed):
    rng = np.random.default_rng([seed, 55])
    n = int(rng.integers(4, 13))
    k = int(rng.integers(2, 9))
    beta = npcheb.chebpts2(n)
    alpha = mixed_alpha(rng, beta, k)
    masks = random_masks(rng, n, 6, min_surv=2)
    s = get_scheme("lagrange")
    assert s.name == "lagrange"
    d = as_np(s.decoder_matrices(alpha, beta, masks))
    assert d.shape == (len(masks), k, n)
    for t, m in enumerate(masks):
        ref = BarycentricInterpolator(beta[m], np.eye(m.sum()))(alpha)
        np.testing.assert_allclose(d[t][:, m], ref, rtol=0, atol=lebesgue_tol(ref, 1))
        assert np.all(d[t][:, ~m] == 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_lagrange_encoder(seed):
    rng = np.random.default_rng([seed, 66])
    k = int(rng.integers(2, 11))
    n = int(rng.integers(k, 25))
    alpha, beta = npcheb.chebpts1(k), npcheb.chebpts2(n)
    e = as_np(get_scheme("lagrange").encoder_matrix(alpha, beta))
    assert e.shape == (n, k)
    ref = BarycentricInterpolator(alpha, np.eye(k))(beta)
    np.testing.assert_allclose(e, ref, rtol=0, atol=lebesgue_tol(ref, 1))
    coef = rng.standard_normal(k)  # degree k - 1: reproduced exactly
    np.testing.assert_allclose(
        e @ npcheb.chebval(alpha, coef),
        npcheb.chebval(beta, coef),
        rtol=0,
        atol=lebesgue_tol(ref, np.abs(coef).sum()),
    )


def test_lagrange_is_not_exact_beyond_its_degree():
    # guard that the exactness test is not vacuous: degree |F| is NOT reproduced
    beta, alpha = npcheb.chebpts2(8), npcheb.chebpts1(5)
    d = as_np(
        get_scheme("lagrange").decoder_matrices(alpha, beta, np.ones((1, 8), bool))
    )
    coef = np.zeros(9)
    coef[-1] = 1.0  # T_8 on 8 nodes
    err = np.abs(d[0] @ npcheb.chebval(beta, coef) - npcheb.chebval(alpha, coef))
    assert err.max() > 1e-3
