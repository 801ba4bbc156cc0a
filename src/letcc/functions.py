"""The functions f that the theory figures compute, with Lipschitz constants.

The loss decomposition of ``docs/method.md`` (section "Why this choice")
needs a Lipschitz constant L of f on the set where the inputs and the
encoder's outputs lie; the rate claims need functions whose smoothness is
known. Three functions cover both:

``"xsinx"``
    ``f(x) = x sin(x)`` coordinate-wise, R^d -> R^d. Smooth but not globally
    Lipschitz (``f'(x) = sin x + x cos x`` grows like ``|x|``), so L is the
    exact maximum of ``|f'|`` over an interval ``[-R, R]`` that holds every
    value the bound involves.
``"tanhnet"``
    The random network ``W2 tanh(W1 x + b1) + b2`` of :mod:`letcc.synthetic`,
    R^d -> R^m. Since ``|tanh'| <= 1``, ``L = ||W2||_2 ||W1||_2`` on all of
    R^d.
``"abspow"``
    ``f(x) = |x|^2.5`` coordinate-wise, R^d -> R^d: two square-integrable
    derivatives on bounded intervals (``f'' ~ |x|^0.5``) but not three
    (``f''' ~ |x|^-0.5`` is not square-integrable near 0), the edge of the
    Sobolev class W^{2,2} that the paper's rates assume. ``L = 2.5 R^1.5`` on
    ``[-R, R]``.

Examples
--------
>>> import torch
>>> f = make_function("xsinx", d=2)
>>> f(torch.tensor([[0.0, torch.pi / 2]], dtype=torch.float64))
tensor([[0.0000, 1.5708]], dtype=torch.float64)
>>> round(f.lipschitz(radius=1.0), 4)  # |sin 1 + cos 1|
1.3818
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from scipy import optimize

from letcc.synthetic import make_network

logger = logging.getLogger(__name__)

#: Names of the functions :func:`make_function` builds.
FUNCTIONS = ("xsinx", "tanhnet", "abspow")

#: Exponent of ``abspow``: between 2.5 and 3 f'' is Hoelder but f''' is not
#: square-integrable, so f sits just inside W^{2,2} and outside W^{3,2}.
ABS_POWER = 2.5


@dataclass(frozen=True)
class TheoryFunction:
    """A function R^d -> R^m with a Lipschitz constant on any ball.

    Attributes
    ----------
    name : str
        One of :data:`FUNCTIONS`.
    d, m : int
        Input and output dimensions.
    network : letcc.synthetic.TanhNetwork or None
        The weights, for ``"tanhnet"`` only.
    """

    name: str
    d: int
    m: int
    network: object = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate f on a batch.

        Parameters
        ----------
        x : torch.Tensor, float64, shape (..., d)

        Returns
        -------
        torch.Tensor, float64, shape (..., m)
        """
        if self.name == "xsinx":
            return x * torch.sin(x)
        if self.name == "abspow":
            return x.abs() ** ABS_POWER
        return self.network(x)

    def to(self, device: str | torch.device) -> TheoryFunction:
        """Return a copy whose weights (if any) live on ``device``."""
        if self.network is None:
            return self
        return TheoryFunction(self.name, self.d, self.m, self.network.to(device))

    def lipschitz(self, radius: float) -> float:
        """Lipschitz constant of f (Euclidean norms) on the box ``|x_i| <= radius``.

        Parameters
        ----------
        radius : float
            Half-width R of the box, >= 0, in the units of the inputs.
            Ignored by ``"tanhnet"``, whose constant holds on all of R^d.

        Returns
        -------
        float
            ``L`` with ``||f(x) - f(y)|| <= L ||x - y||`` for x, y in the box.

        Notes
        -----
        For a coordinate-wise f with ``|f'| <= c`` on ``[-R, R]``, the mean
        value theorem per coordinate gives ``|f(x_i) - f(y_i)| <= c |x_i -
        y_i|``, so ``L = c`` in the Euclidean norm. For the network, the chain
        rule with ``|tanh'| <= 1`` gives ``L <= ||W2||_2 ||W1||_2`` (spectral
        norms), an upper bound rather than the exact constant.
        """
        if radius < 0 or not np.isfinite(radius):
            raise ValueError(f"radius must be finite and >= 0, got {radius!r}.")
        if self.name == "xsinx":
            return xsinx_max_slope(radius)
        if self.name == "abspow":
            return ABS_POWER * radius ** (ABS_POWER - 1)
        W1 = self.network.W1.cpu().numpy()
        W2 = self.network.W2.cpu().numpy()
        return float(np.linalg.norm(W2, 2) * np.linalg.norm(W1, 2))


def make_function(
    name: str, *, d: int, m: int | None = None, hidden: int = 32, seed: int = 0
) -> TheoryFunction:
    """Build one of the theory's functions.

    Parameters
    ----------
    name : {"xsinx", "tanhnet", "abspow"}
    d : int
        Input dimension, >= 1.
    m : int, optional
        Output dimension of ``"tanhnet"`` (the coordinate-wise functions have
        ``m = d``); required for it.
    hidden : int, default 32
        Hidden width of ``"tanhnet"``.
    seed : int, default 0
        Seed of the network's weights (:func:`letcc.synthetic.make_network`).

    Returns
    -------
    TheoryFunction

    Raises
    ------
    ValueError
        For an unknown name, or ``"tanhnet"`` without ``m``.
    """
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {FUNCTIONS}.")
    if name != "tanhnet":
        return TheoryFunction(name, d, d)
    if m is None:
        raise ValueError("function 'tanhnet' needs its output dimension m.")
    return TheoryFunction(name, d, m, make_network(d, m, hidden, seed))


def xsinx_max_slope(radius: float) -> float:
    """Exact ``max |sin x + x cos x|`` over ``|x| <= radius``.

    Parameters
    ----------
    radius : float
        R >= 0.

    Returns
    -------
    float
        The Lipschitz constant of ``x sin x`` on ``[-R, R]``; at most
        ``1 + R``, and equal to ``max(|f'(R)|, |f'(c)|)`` over the critical
        points c of ``f'`` in ``(0, R)``.

    Notes
    -----
    ``f'`` is odd, so the maximum of ``|f'|`` over ``[-R, R]`` is over
    ``[0, R]``. Its interior extrema solve ``f''(x) = 2 cos x - x sin x = 0``;
    consecutive roots are more than 1 apart (they lie one in each interval
    ``(k pi, k pi + pi / 2)``), so a grid of step 0.25 brackets each one for
    Brent's method.
    """
    if radius <= 0:
        return 0.0

    def slope(x):
        return np.sin(x) + x * np.cos(x)

    def curvature(x):
        return 2 * np.cos(x) - x * np.sin(x)

    grid = np.linspace(0.0, radius, max(2, int(np.ceil(radius / 0.25)) + 1))
    values = curvature(grid)
    candidates = [radius]
    for left, right, v_left, v_right in zip(
        grid[:-1], grid[1:], values[:-1], values[1:], strict=True
    ):
        if v_left == 0:
            candidates.append(left)
        elif v_left * v_right < 0:
            candidates.append(optimize.brentq(curvature, left, right, xtol=1e-14))
    return float(np.max(np.abs(slope(np.asarray(candidates)))))


def output_dim(name: str, *, d: int, m: int) -> int:
    """Output dimension of the named function: ``m`` for the network, else ``d``."""
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {FUNCTIONS}.")
    return m if name == "tanhnet" else d
