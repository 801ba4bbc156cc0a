"""The banded solver, matrix-free decoding, float32 and the decoder cache."""

import numpy as np
import pytest
import torch
from scipy.linalg import solveh_banded

from letcc._splines import solve_pentadiagonal
from letcc.coding import get_scheme, points
from letcc.engine import DecoderCache, decode_chunked

SCHEMES = [("letcc", {"lam_dec": 1e-5}), ("letcc", {}), ("bacc", {}), ("lagrange", {})]


def random_masks(rng, count, n, low, high):
    """Masks with a random number of stragglers in [low, high) each."""
    masks = np.ones((count, n), dtype=bool)
    for row in masks:
        row[rng.choice(n, rng.integers(low, high), replace=False)] = False
    return masks


@pytest.mark.parametrize("n", [1, 2, 3, 7, 40])
def test_pentadiagonal_solver_matches_scipy_solveh_banded(n):
    rng = np.random.default_rng(n)
    count, width = 4, 3
    # Diagonally dominant, hence positive definite.
    off1 = rng.uniform(-1, 1, (count, max(n - 1, 0)))
    off2 = rng.uniform(-1, 1, (count, max(n - 2, 0)))
    diag = 5 + rng.uniform(0, 1, (count, n))
    rhs = rng.normal(size=(count, n, width))

    ours = solve_pentadiagonal(*map(torch.from_numpy, (diag, off1, off2, rhs)))

    for t in range(count):
        bands = np.zeros((3, n))
        bands[2] = diag[t]
        bands[1, 1:] = off1[t]
        bands[0, 2:] = off2[t]
        expected = solveh_banded(bands, rhs[t])
        # Both are backward-stable solves of a well-conditioned system.
        np.testing.assert_allclose(ours[t].numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "params"), SCHEMES)
def test_decode_equals_the_decoder_maps_applied_to_the_outputs(name, params):
    rng = np.random.default_rng(3)
    alpha, beta = points("chebyshev1", 9), points("chebyshev2", 35)
    masks = random_masks(rng, 12, 35, 0, 25)
    values = rng.normal(size=(12, 35, 4))
    scheme = get_scheme(name, **params)

    maps = scheme.decoder_matrices(alpha, beta, masks).numpy()
    expected = np.einsum("tkn,tnp->tkp", maps, values)
    values[~masks] = np.nan
    ours = scheme.decode(alpha, beta, masks, values).numpy()

    # Same arithmetic up to the order of the sums: a few ulps of the outputs.
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_decode_shares_two_dimensional_outputs_across_masks():
    rng = np.random.default_rng(4)
    alpha, beta = points("equispaced", 5), points("equispaced", 20)
    masks = random_masks(rng, 3, 20, 1, 5)
    values = rng.normal(size=(20, 2))
    scheme = get_scheme("letcc", lam_dec=1e-3)

    shared = scheme.decode(alpha, beta, masks, values)
    stacked = scheme.decode(alpha, beta, masks, np.stack([values] * 3))

    torch.testing.assert_close(shared, stacked, rtol=0, atol=0)


def test_decode_rejects_outputs_of_the_wrong_shape():
    alpha, beta = points("equispaced", 4), points("equispaced", 10)
    masks = np.ones((2, 10), dtype=bool)
    scheme = get_scheme("bacc")

    with pytest.raises(ValueError, match=r"values must have shape \(T, N, p\)"):
        scheme.decode(alpha, beta, masks, np.zeros((2, 9, 3)))


@pytest.mark.parametrize(("name", "params"), SCHEMES)
def test_float32_maps_are_the_float64_maps_rounded(name, params):
    rng = np.random.default_rng(5)
    alpha, beta = points("chebyshev1", 20), points("chebyshev2", 400)
    masks = random_masks(rng, 4, 400, 10, 40)
    scheme = get_scheme(name, **params)

    single = scheme.decoder_matrices(alpha, beta, masks, dtype=torch.float32)
    double = scheme.decoder_matrices(alpha, beta, masks)

    assert single.dtype == torch.float32
    # Solved in float64 and rounded once: float32's unit roundoff.
    torch.testing.assert_close(single.double(), double, rtol=6e-8, atol=1e-30)


def test_cache_builds_each_block_once_and_returns_the_same_maps():
    rng = np.random.default_rng(6)
    alpha, beta = points("chebyshev1", 6), points("chebyshev2", 30)
    masks = random_masks(rng, 8, 30, 2, 6)
    scheme = get_scheme("letcc", lam_dec=1e-4)
    cache = DecoderCache()

    first = cache.decoders(scheme, alpha, beta, masks)
    second = cache.decoders(scheme, alpha, beta, masks.copy())

    assert second is first
    assert (cache.hits, cache.misses) == (8, 8)
    torch.testing.assert_close(first, scheme.decoder_matrices(alpha, beta, masks))


def test_cache_keys_on_the_scheme_the_points_and_the_masks():
    rng = np.random.default_rng(7)
    alpha, beta = points("chebyshev1", 6), points("chebyshev2", 30)
    masks = random_masks(rng, 4, 30, 2, 6)
    cache = DecoderCache()

    cache.decoders(get_scheme("letcc", lam_dec=1e-4), alpha, beta, masks)
    cache.decoders(get_scheme("letcc", lam_dec=1e-3), alpha, beta, masks)
    cache.decoders(get_scheme("bacc"), alpha, beta, masks)
    cache.decoders(get_scheme("bacc"), points("equispaced", 6), beta, masks)
    cache.decoders(get_scheme("bacc"), alpha, beta, masks[::-1].copy())

    assert cache.hits == 0
    assert len(cache) == 5


def test_cache_stays_under_its_byte_bound():
    rng = np.random.default_rng(8)
    alpha, beta = points("chebyshev1", 5), points("chebyshev2", 20)
    scheme = get_scheme("bacc")
    block = 3 * 5 * 20 * 8
    cache = DecoderCache(max_bytes=2 * block)

    for _ in range(5):
        cache.decoders(scheme, alpha, beta, random_masks(rng, 3, 20, 1, 4))
        assert cache.nbytes <= 2 * block

    assert len(cache) == 2


@pytest.mark.parametrize("use_cache", [False, True])
def test_chunked_decoding_equals_one_call(use_cache):
    rng = np.random.default_rng(9)
    alpha, beta = points("chebyshev1", 7), points("chebyshev2", 25)
    masks = random_masks(rng, 50, 25, 0, 10)
    values = torch.from_numpy(rng.normal(size=(50, 25, 3)))
    scheme = get_scheme("letcc", lam_dec=1e-5)
    cache = DecoderCache() if use_cache else None

    whole = scheme.decode(alpha, beta, masks, values)
    # A budget of a few patterns' working set forces several chunks.
    budget = 7 * 8 * 200 * 25
    chunked = decode_chunked(
        scheme, alpha, beta, masks, values, budget_bytes=budget, cache=cache
    )

    torch.testing.assert_close(chunked, whole, rtol=1e-10, atol=1e-12)
    if use_cache:
        assert cache.hits + cache.misses == 50
        assert len(cache) > 1


def test_cached_decoding_ignores_nan_at_stragglers():
    rng = np.random.default_rng(10)
    alpha, beta = points("chebyshev1", 5), points("chebyshev2", 20)
    masks = random_masks(rng, 6, 20, 1, 5)
    clean = rng.normal(size=(6, 20, 2))
    dirty = clean.copy()
    dirty[~masks] = np.nan
    scheme = get_scheme("bacc")

    expected = decode_chunked(scheme, alpha, beta, masks, torch.from_numpy(clean))
    got = decode_chunked(
        scheme, alpha, beta, masks, torch.from_numpy(dirty), cache=DecoderCache()
    )

    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
