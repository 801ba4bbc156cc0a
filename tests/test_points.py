"""Point sets of letcc.coding.points against closed forms and numpy's Chebyshev."""

import numpy as np
import pytest
from numpy.polynomial import chebyshev as npcheb

from letcc.coding import points

KINDS = ("chebyshev1", "chebyshev2", "equispaced")
SIZES = (2, 3, 4, 5, 7, 8, 16, 33, 100)

# Tolerance for closed-form comparisons: the implementation may use cos(...) or
# the symmetric sin(...) form (as numpy does); both are within a few ulps of the
# exact value, and all values are in [-1, 1], so 1e-15 absolute is ~5 ulp of 1.
ATOL = 1e-15


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_shape_dtype_sorted_range(kind, n):
    x = points(kind, n)
    assert isinstance(x, np.ndarray)
    assert x.shape == (n,)
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) > 0), "points must be strictly ascending"
    assert x.min() >= -1.0 and x.max() <= 1.0


@pytest.mark.parametrize("n", SIZES)
def test_chebyshev1_closed_form(n):
    j = np.arange(1, n + 1)
    expected = np.sort(np.cos((2 * j - 1) * np.pi / (2 * n)))
    x = points("chebyshev1", n)
    np.testing.assert_allclose(x, expected, rtol=0, atol=ATOL)
    # independent reference: numpy's Chebyshev points of the first kind
    np.testing.assert_allclose(x, npcheb.chebpts1(n), rtol=0, atol=ATOL)


@pytest.mark.parametrize("n", SIZES)
def test_chebyshev1_are_roots_of_T_n(n):
    x = points("chebyshev1", n)
    coef = np.zeros(n + 1)
    coef[-1] = 1.0
    # |T_n'(x)| <= n^2 on [-1, 1], so an ulp-level error in x gives
    # |T_n(x)| <~ n^2 * 1e-16; 1e-13 * n^2 leaves a wide margin yet catches any
    # wrong formula (which gives |T_n| = O(1)).
    assert np.max(np.abs(npcheb.chebval(x, coef))) < 1e-13 * n**2
    # and against numpy's root finder (companion-matrix eigenvalues, accurate to
    # ~1e-14 for these well-separated simple roots)
    np.testing.assert_allclose(x, np.sort(npcheb.chebroots(coef).real), atol=1e-12)


@pytest.mark.parametrize("n", SIZES)
def test_chebyshev1_interior_and_symmetric(n):
    x = points("chebyshev1", n)
    # roots of T_n never reach the end points
    assert x[0] > -1.0 and x[-1] < 1.0
    np.testing.assert_allclose(x, -x[::-1], rtol=0, atol=ATOL)


@pytest.mark.parametrize("n", SIZES)
def test_chebyshev2_closed_form(n):
    j = np.arange(n)
    expected = np.sort(np.cos(j * np.pi / (n - 1)))
    x = points("chebyshev2", n)
    np.testing.assert_allclose(x, expected, rtol=0, atol=ATOL)
    np.testing.assert_allclose(x, npcheb.chebpts2(n), rtol=0, atol=ATOL)
    # the extrema include both end points, exactly
    assert x[0] == -1.0 and x[-1] == 1.0
    np.testing.assert_allclose(x, -x[::-1], rtol=0, atol=ATOL)


@pytest.mark.parametrize("n", [n for n in SIZES if n >= 3])
def test_chebyshev2_are_extrema_of_T_n_minus_1(n):
    x = points("chebyshev2", n)
    coef = np.zeros(n)
    coef[-1] = 1.0  # T_{n-1}
    # |T_{n-1}| = 1 at its extrema; the value is flat there, so error is O(ulp)
    np.testing.assert_allclose(np.abs(npcheb.chebval(x, coef)), 1.0, atol=1e-12)


@pytest.mark.parametrize("n", SIZES)
def test_equispaced_is_linspace(n):
    x = points("equispaced", n)
    # np.linspace is the specified definition: demand bit equality
    np.testing.assert_array_equal(x, np.linspace(-1.0, 1.0, n))
    assert x[0] == -1.0 and x[-1] == 1.0


@pytest.mark.parametrize("kind", ["chebyshev", "cheb1", "Equispaced", "", "uniform"])
def test_unknown_kind_raises(kind):
    with pytest.raises(ValueError, match="kind"):
        points(kind, 5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, -1, -5])
def test_nonpositive_n_raises(kind, n):
    with pytest.raises(ValueError, match=r"\bn\b"):
        points(kind, n)


def test_chebyshev2_needs_two_points():
    with pytest.raises(ValueError, match=r"\bn\b"):
        points("chebyshev2", 1)


@pytest.mark.parametrize("kind", KINDS)
def test_non_integer_n_raises(kind):
    with pytest.raises((TypeError, ValueError)):
        points(kind, 4.5)
