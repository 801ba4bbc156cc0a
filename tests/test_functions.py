"""The theory's functions and their Lipschitz constants, against closed forms."""

import numpy as np
import pytest
import torch

from letcc.functions import (
    ABS_POWER,
    FUNCTIONS,
    make_function,
    output_dim,
    xsinx_max_slope,
)
from letcc.synthetic import make_network


def test_coordinate_wise_functions_match_their_formulas():
    x = torch.linspace(-3, 3, 13, dtype=torch.float64).reshape(-1, 1).repeat(1, 2)

    torch.testing.assert_close(make_function("xsinx", d=2)(x), x * torch.sin(x))
    torch.testing.assert_close(make_function("abspow", d=2)(x), x.abs() ** 2.5)


def test_tanhnet_is_the_synthetic_network():
    f = make_function("tanhnet", d=3, m=2, hidden=5, seed=4)
    reference = make_network(3, 2, 5, 4)
    x = torch.randn(7, 3, dtype=torch.float64)

    torch.testing.assert_close(f(x), reference(x))
    assert (f.d, f.m) == (3, 2)


@pytest.mark.parametrize("radius", [0.3, 1.0, 2.0, 4.5, 10.0, 31.0])
def test_xsinx_slope_is_the_maximum_of_its_derivative(radius):
    # Brute force on a grid of step radius / 2e6; |f''| <= 2 + radius bounds
    # how far the grid maximum can fall below the true one.
    grid = np.linspace(0.0, radius, 2_000_001)
    brute = np.abs(np.sin(grid) + grid * np.cos(grid)).max()
    slack = (2 + radius) * radius / 4e6

    exact = xsinx_max_slope(radius)

    assert brute - 1e-12 <= exact <= brute + slack
    assert exact <= 1 + radius


def test_xsinx_slope_on_the_unit_interval_is_its_end_value():
    # f'' = 2 cos x - x sin x > 0 on [0, 1], so |f'| peaks at x = 1.
    assert xsinx_max_slope(1.0) == pytest.approx(np.sin(1) + np.cos(1), rel=1e-15)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_lipschitz_constant_bounds_every_difference_quotient(name):
    f = make_function(name, d=3, m=2, hidden=6, seed=1)
    radius = 2.5
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-radius, radius, (4000, 3)))
    y = torch.from_numpy(rng.uniform(-radius, radius, (4000, 3)))
    # Close pairs too, where the quotient approaches the local slope.
    y[:2000] = (x[:2000] + 1e-4 * torch.randn(2000, 3, dtype=torch.float64)).clamp(
        -radius, radius
    )

    quotient = (f(x) - f(y)).norm(dim=1) / (x - y).norm(dim=1)

    assert float(quotient.max()) <= f.lipschitz(radius) * (1 + 1e-9)


def test_abspow_constant_is_its_closed_form():
    f = make_function("abspow", d=1)

    assert f.lipschitz(3.0) == pytest.approx(ABS_POWER * 3.0**1.5, rel=1e-15)


def test_tanhnet_constant_is_the_product_of_spectral_norms():
    f = make_function("tanhnet", d=4, m=3, hidden=8, seed=2)
    W1, W2 = f.network.W1.numpy(), f.network.W2.numpy()

    expected = (
        np.linalg.svd(W1, compute_uv=False)[0] * np.linalg.svd(W2, compute_uv=False)[0]
    )

    assert f.lipschitz(100.0) == pytest.approx(expected, rel=1e-12)


def test_output_dim_is_m_for_the_network_and_d_otherwise():
    assert output_dim("tanhnet", d=5, m=2) == 2
    assert output_dim("xsinx", d=5, m=2) == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_function("sinc", d=2), "unknown function 'sinc'"),
        (lambda: make_function("tanhnet", d=2), "needs its output dimension m"),
        (lambda: make_function("xsinx", d=2).lipschitz(-1.0), "radius must be"),
        (lambda: output_dim("sinc", d=1, m=1), "unknown function 'sinc'"),
    ],
)
def test_bad_arguments_raise_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
