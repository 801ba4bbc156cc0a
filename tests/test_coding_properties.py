"""Hypothesis properties of all coding schemes and their input validation."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letcc.coding import SCHEMES, get_scheme

NAMES = ("letcc", "bacc", "lagrange")
LAMS = (0.0, 1e-8, 1e-5, 1e-2, 1.0, 10.0)

# derandomize: the same examples on every run (deterministic CI)
PROPS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def spaced_points(rng, n, frac=0.2):
    """n sorted random points in [-1, 1] with min gap >= frac / n."""
    gmin = frac / n
    g = rng.dirichlet(np.ones(n + 1)) * (2.0 - (n - 1) * gmin)
    return np.clip(-1.0 + np.cumsum(g[:n]) + gmin * np.arange(n), -1.0, 1.0)


def random_masks(rng, n, t, min_surv=2):
    masks = np.ones((t, n), dtype=bool)
    for row in masks:
        s = rng.integers(0, n - min_surv + 1)
        row[rng.choice(n, size=s, replace=False)] = False
    return masks


def make(name, lam=1e-3):
    """The scheme `name`; letcc with lam_enc = lam_dec = lam."""
    if name == "letcc":
        return get_scheme(name, lam_enc=lam, lam_dec=lam)
    return get_scheme(name)


@st.composite
def configs(draw, names=NAMES):
    """(scheme, alpha, beta, masks, rng). Lagrange is kept small (<= 10 nodes)
    because its maps grow like the Lebesgue constant of random nodes."""
    name = draw(st.sampled_from(names))
    big = name != "lagrange"
    n = draw(st.integers(3, 24 if big else 10))
    k = draw(st.integers(2, 12 if big else 8))
    t = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lam = draw(st.sampled_from(LAMS)) if name == "letcc" else None
    scheme = make(name, lam)
    alpha, beta = spaced_points(rng, k), spaced_points(rng, n)
    return scheme, alpha, beta, random_masks(rng, n, t), rng


def dec(scheme, alpha, beta, masks):
    d = scheme.decoder_matrices(alpha, beta, masks)
    assert isinstance(d, torch.Tensor) and d.dtype == torch.float64
    assert tuple(d.shape) == (len(masks), len(alpha), len(beta))
    return d.numpy()


def scale(d):
    """max(1, largest absolute row sum): bounds how rounding is amplified."""
    return max(1.0, float(np.abs(d).sum(axis=-1).max()))


# Tolerance for two computations of the same map that may differ only in
# rounding (batched vs single, permuted batch, subset vs mask, row sums): for
# n <= 24 well-spaced knots and lam <= 10, scipy's smoothing spline is within
# ~2e-10 of a 40-digit mpmath solution, so a sound float64 solver differs from
# itself by less; Lagrange/BACC errors scale with the row sums |D| (Lebesgue
# constant), hence relative to scale(). A wrong map gives O(1e-2) or more.
RTOL_SAME = 1e-9


@PROPS
@given(configs())
def test_batching_consistency(cfg):
    scheme, alpha, beta, masks, _ = cfg
    d = dec(scheme, alpha, beta, masks)
    for t in range(len(masks)):
        single = dec(scheme, alpha, beta, masks[t : t + 1])[0]
        assert np.max(np.abs(single - d[t])) <= RTOL_SAME * scale(single)


@PROPS
@given(configs())
def test_permuting_masks_permutes_outputs(cfg):
    scheme, alpha, beta, masks, rng = cfg
    perm = rng.permutation(len(masks))
    d = dec(scheme, alpha, beta, masks)
    dp = dec(scheme, alpha, beta, masks[perm])
    assert np.max(np.abs(dp - d[perm])) <= RTOL_SAME * scale(d)


@PROPS
@given(configs())
def test_straggler_values_do_not_matter(cfg):
    scheme, alpha, beta, masks, rng = cfg
    d = dec(scheme, alpha, beta, masks)
    y = rng.standard_normal((len(beta), 3))
    for t, m in enumerate(masks):
        assert np.all(d[t][:, ~m] == 0.0), "straggler columns must be exactly 0"
        y2 = y.copy()
        y2[~m] = rng.uniform(-1e6, 1e6, size=((~m).sum(), 3))
        # exact zeros times finite values add exact zeros: bitwise equal
        np.testing.assert_array_equal(d[t] @ y, d[t] @ y2)


@PROPS
@given(configs())
def test_decoder_depends_only_on_survivors(cfg):
    # masking stragglers == deleting them from beta
    scheme, alpha, beta, masks, _ = cfg
    d = dec(scheme, alpha, beta, masks)
    for t, m in enumerate(masks):
        sub = dec(scheme, alpha, beta[m], np.ones((1, m.sum()), dtype=bool))[0]
        assert np.max(np.abs(sub - d[t][:, m])) <= RTOL_SAME * scale(sub)


@PROPS
@given(configs())
def test_rows_sum_to_one(cfg):
    # every scheme reproduces constants: D @ 1 = 1 and E @ 1 = 1
    scheme, alpha, beta, masks, _ = cfg
    d = dec(scheme, alpha, beta, masks)
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=0, atol=RTOL_SAME * scale(d))
    e = scheme.encoder_matrix(alpha, beta).numpy()
    assert e.shape == (len(beta), len(alpha))
    np.testing.assert_allclose(e.sum(-1), 1.0, rtol=0, atol=RTOL_SAME * scale(e))


@PROPS
@given(configs(names=("letcc", "lagrange")))
def test_linear_functions_reproduced(cfg):
    # the spline penalty vanishes on lines (any lam); polynomial interpolation
    # through >= 2 nodes is exact on lines. BACC is not (only constants).
    scheme, alpha, beta, masks, rng = cfg
    a, b = rng.uniform(-2, 2, size=2)
    d = dec(scheme, alpha, beta, masks)
    err = np.abs(d @ (a + b * beta) - (a + b * alpha))
    # 1e-8: as RTOL_SAME with the line's values (|a + b x| <= 4) folded in
    assert err.max() <= 1e-8 * scale(d)
    e = scheme.encoder_matrix(alpha, beta).numpy()
    err = np.abs(e @ (a + b * alpha) - (a + b * beta))
    assert err.max() <= 1e-8 * scale(e)


@PROPS
@given(configs())
def test_decoder_with_all_survivors_is_encoder_with_roles_swapped(cfg):
    # Both maps are "fit at the nodes, evaluate at the targets".
    # The scheme fixture has lam_enc == lam_dec, so the same object serves.
    scheme, alpha, beta, _, _ = cfg
    d = dec(scheme, alpha, beta, np.ones((1, len(beta)), dtype=bool))[0]
    e = scheme.encoder_matrix(beta, alpha).numpy()  # nodes beta, targets alpha
    assert np.max(np.abs(d - e)) <= RTOL_SAME * scale(d)


@PROPS
@given(configs())
def test_input_types_equivalent(cfg):
    # lists, numpy arrays and torch tensors give the same matrices
    scheme, alpha, beta, masks, _ = cfg
    d_np = scheme.decoder_matrices(alpha, beta, masks)
    d_t = scheme.decoder_matrices(
        torch.from_numpy(alpha), torch.from_numpy(beta), torch.from_numpy(masks)
    )
    d_l = scheme.decoder_matrices(list(alpha), list(beta), masks)
    assert torch.equal(d_np, d_t) and torch.equal(d_np, d_l)
    e_np = scheme.encoder_matrix(alpha, beta)
    assert torch.equal(e_np, scheme.encoder_matrix(list(alpha), torch.tensor(beta)))


# ----------------------------------------------------------------- bad input

ALPHA = np.array([-0.8, -0.2, 0.3, 0.7])
BETA = np.linspace(-1.0, 1.0, 7)
GOOD_MASKS = np.ones((2, 7), dtype=bool)


def bad_points():
    """(label, which argument, bad value)."""
    cases = []
    for arg, good in (("alpha", ALPHA), ("beta", BETA)):
        unsorted = good.copy()
        unsorted[[1, 2]] = unsorted[[2, 1]]
        repeated = good.copy()
        repeated[2] = repeated[1]
        descending = good[::-1].copy()
        for label, v in (("unsorted", unsorted), ("repeated", repeated)):
            cases.append((label, arg, v))
        cases.append(("descending", arg, descending))
        for label, val in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
            v = good.copy()
            v[-1 if label == "inf" else 0] = val
            cases.append((label, arg, v))
    return cases


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("label", "arg", "value"), bad_points())
def test_bad_points_raise(name, label, arg, value):
    s = make(name)
    kw = {"alpha": ALPHA, "beta": BETA, arg: value}
    with pytest.raises(ValueError, match=arg):
        s.encoder_matrix(kw["alpha"], kw["beta"])
    masks = np.ones((2, len(kw["beta"])), dtype=bool)
    with pytest.raises(ValueError, match=arg):
        s.decoder_matrices(kw["alpha"], kw["beta"], masks)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "alpha", [[0.1], [], np.array([0.3]), torch.tensor([0.3], dtype=torch.float64)]
)
def test_fewer_than_two_alpha_points_raise(name, alpha):
    s = make(name)
    with pytest.raises(ValueError, match="alpha"):
        s.encoder_matrix(alpha, BETA)
    with pytest.raises(ValueError, match="alpha"):
        s.decoder_matrices(alpha, BETA, GOOD_MASKS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_surv", [0, 1])
@pytest.mark.parametrize("as_torch", [False, True])
def test_fewer_than_two_survivors_raise(name, n_surv, as_torch):
    masks = GOOD_MASKS.copy()
    masks[1] = False
    masks[1, 3 : 3 + n_surv] = True
    if as_torch:
        masks = torch.from_numpy(masks)
    with pytest.raises(ValueError, match="masks"):
        make(name).decoder_matrices(ALPHA, BETA, masks)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "masks",
    [
        np.ones((2, 6), dtype=bool),  # N - 1 columns
        np.ones((2, 8), dtype=bool),  # N + 1 columns
        np.ones(7, dtype=bool),  # 1-D
        np.ones((2, 3, 7), dtype=bool),  # 3-D
        np.ones((7, 2), dtype=bool),  # transposed
    ],
    ids=["short", "long", "1d", "3d", "transposed"],
)
def test_bad_mask_shape_raises(name, masks):
    with pytest.raises(ValueError, match="masks"):
        make(name).decoder_matrices(ALPHA, BETA, masks)


@pytest.mark.parametrize("arg", ["lam_enc", "lam_dec"])
@pytest.mark.parametrize("value", [-1e-12, -1.0, -np.inf])
def test_negative_lam_raises(arg, value):
    kw = {"lam_enc": 1e-3, "lam_dec": 1e-3, arg: value}
    # accept a refusal at construction or at first use, but it must happen
    with pytest.raises(ValueError, match=arg):
        s = get_scheme("letcc", **kw)
        s.encoder_matrix(ALPHA, BETA)
        s.decoder_matrices(ALPHA, BETA, GOOD_MASKS)


def test_zero_lam_is_allowed():
    s = get_scheme("letcc", lam_enc=0.0, lam_dec=0.0)
    assert s.encoder_matrix(ALPHA, BETA).shape == (7, 4)


@pytest.mark.parametrize("name", ["LeTCC", "berrut", "", "replication", "lagrange "])
def test_unknown_scheme_lists_known_names(name):
    with pytest.raises(ValueError) as info:
        get_scheme(name)
    msg = str(info.value)
    for known in NAMES:
        assert known in msg


def test_schemes_registry():
    assert set(NAMES) <= set(SCHEMES)
    for name in NAMES:
        assert get_scheme(name).name == name
