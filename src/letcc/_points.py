"""Standard point families on [-1, 1], with no torch import.

Re-exported by :mod:`letcc.coding`; kept apart so that light jobs (drawing
straggler traces) can place points without loading torch.
"""

import numpy as np

POINT_KINDS = ("chebyshev1", "chebyshev2", "equispaced")


def points(kind, n):
    """Return ``n`` points of a standard family on [-1, 1], ascending.

    Parameters
    ----------
    kind : {"chebyshev1", "chebyshev2", "equispaced"}
        ``"chebyshev1"``: roots of the Chebyshev polynomial T_n,
        ``cos((2j - 1) pi / (2n))``. ``"chebyshev2"``: its extrema including
        the end points, ``cos(j pi / (n - 1))``. ``"equispaced"``: a uniform
        grid including the end points (the setting of the paper's theory).
    n : int
        Number of points, at least 1 (2 for the families with end points).

    Returns
    -------
    numpy.ndarray, shape (n,), float64

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``n`` too small.
    """
    if kind not in POINT_KINDS:
        raise ValueError(f"kind must be one of {POINT_KINDS}, got {kind!r}.")
    smallest = 1 if kind == "chebyshev1" else 2
    if int(n) != n or n < smallest:
        raise ValueError(
            f"n must be an integer >= {smallest} for {kind!r} points, got {n!r}."
        )

    n = int(n)
    if kind == "chebyshev1":
        grid = np.cos((2 * np.arange(1, n + 1) - 1) * np.pi / (2 * n))
    elif kind == "chebyshev2":
        grid = np.cos(np.arange(n) * np.pi / (n - 1))
    else:
        return np.linspace(-1.0, 1.0, n)
    return np.sort(grid)
