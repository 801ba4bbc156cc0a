"""Smoothing parameter per straggler pattern, by generalised cross-validation.

In the noisy setting the decoder's ``lam_dec`` trades the smoothing bias
against the noise it lets through. Generalised cross-validation (GCV; Craven
and Wahba, 1979) picks it from the survivors' own outputs, with no ground
truth: for the ``n`` survivors of one pattern, outputs ``Y`` of shape
``(n, p)`` and the smoothing ("hat") matrix ``A(lam)`` that maps data at the
survivors to fitted values there,

    V(lam) = (1 / (n p)) ||(I - A) Y||_F^2 / (tr(I - A) / n)^2,

and ``lam`` minimises ``V``. All ``p`` output coordinates share one ``lam``
(the paper fits every coordinate with the same smoothing parameter), so
their residuals are pooled; with ``p = 1`` this is the criterion of
``scipy.interpolate.make_smoothing_spline(x, y, lam=None)``.

Both terms come from the banded Reinsch form of :mod:`letcc._splines`: with
``B = R + lam_s Q^T Q`` and ``gamma = B^{-1} Q^T y``, the residual is
``(I - A) y = lam_s Q gamma`` and ``tr(I - A) = lam_s tr(B^{-1} Q^T Q)``.
The trace needs only the central five bands of ``B^{-1}``, which the
recursion of Hutchinson and de Hoog (1985) gives from the ``L D L^T``
factors in ``O(n)``, batched over patterns here. ``lam_s = n lam``
converts the paper's normalisation (a mean data term) to Reinsch's (a sum).

References
----------
P. Craven and G. Wahba, "Smoothing noisy data with spline functions",
Numerische Mathematik 31, 377-403, 1979.
M. F. Hutchinson and F. R. de Hoog, "Smoothing noisy data with spline
functions", Numerische Mathematik 47, 99-106, 1985.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import torch

from letcc import _validate
from letcc._splines import (
    SurvivorSplines,
    _q_apply,
    _q_transpose,
    solve_pentadiagonal,
)

logger = logging.getLogger(__name__)

#: Golden-section ratio used to refine the grid minimum of V(log lam).
_GOLDEN = (math.sqrt(5) - 1) / 2

#: Default bytes of one batch of (pattern, lam) fits in :func:`gcv_scores`.
DEFAULT_BUDGET_BYTES = 128 * 2**20


def fit_per_pattern(knots, targets, masks, lams):
    """Set up smoothing splines with one smoothing parameter per mask.

    Parameters
    ----------
    knots : torch.Tensor, float64, shape (N,)
        Strictly ascending points of the workers.
    targets : torch.Tensor, float64, shape (m,)
        Where the splines are evaluated (the alphas).
    masks : torch.Tensor of bool, shape (T, N)
        Survivors, at least 2 per row.
    lams : torch.Tensor, float64, shape (T,)
        Smoothing parameter of each mask, paper convention (mean data
        term), >= 0.

    Returns
    -------
    letcc._splines.SurvivorSplines
        Its :meth:`~letcc._splines.SurvivorSplines.apply` fits and evaluates
        every mask with its own ``lam``.

    Notes
    -----
    The Reinsch matrix is ``R + lam_s Q^T Q``: the fit at ``lam = 0`` gives
    the bands of ``R`` (identity rows at padding), and ``Q^T Q`` follows from
    the stored columns of ``Q``, which are zero at padding.
    """
    base = SurvivorSplines.fit(knots, targets, masks, 0.0)
    lam_s = lams.to(knots.dtype) * base.count.to(knots.dtype)
    bands = tuple(
        r + lam_s[:, None] * g
        for r, g in zip(base.bands, _gram_bands(base.q), strict=True)
    )
    return dataclasses.replace(base, lam_s=lam_s, bands=bands)


def smooth_per_pattern(alpha, beta, masks, values, lams):
    """Decode worker outputs with one ``lam_dec`` per straggler pattern.

    Parameters
    ----------
    alpha : array-like, shape (K,)
        Points of the inputs, strictly ascending.
    beta : array-like, shape (N,)
        Points of the workers, strictly ascending.
    masks : array-like of bool, shape (T, N)
        Survivors, at least 2 per row.
    values : torch.Tensor, shape (T, N, p)
        Worker outputs; stragglers' rows are not read.
    lams : array-like, shape (T,)
        ``lam_dec`` of each pattern, paper convention, >= 0.

    Returns
    -------
    torch.Tensor, float64, shape (T, K, p)
        The LeTCC decoder's estimates, as
        :meth:`letcc.coding.CodingScheme.decode` gives for a single lam.
    """
    alpha, beta, masks, values, lams = _prepare(alpha, beta, masks, values, lams)
    fits = fit_per_pattern(beta, alpha, masks, lams)
    return fits.apply(values)


def gcv_scores(beta, masks, values, lams, *, budget_bytes=DEFAULT_BUDGET_BYTES):
    """GCV criterion of every pattern at every smoothing parameter.

    Parameters
    ----------
    beta : array-like, shape (N,)
        Points of the workers, strictly ascending.
    masks : array-like of bool, shape (T, N)
        Survivors; at least 3 per row (with 2 the fit interpolates and
        ``tr(I - A) = 0``).
    values : torch.Tensor, shape (T, N, p)
        Worker outputs; stragglers' rows are not read.
    lams : array-like, shape (G,) or (T, G)
        Smoothing parameters, paper convention, > 0: shared by all patterns,
        or one row per pattern.
    budget_bytes : int
        Memory of one batch of (pattern, lam) fits; the grid is split into
        batches that fit.

    Returns
    -------
    torch.Tensor, float64, shape (T, G)
        ``V(lam)`` as defined in the module docstring, in squared output
        units.

    Raises
    ------
    ValueError
        If a lam is not positive, or a pattern has fewer than 3 survivors.
    """
    beta = _validate.as_points(beta, "beta", "cpu")
    masks = _validate.as_masks(masks, beta.shape[0], "cpu")
    values = torch.as_tensor(values, dtype=torch.float64)
    T, N, p = values.shape
    lams = torch.as_tensor(np.asarray(lams, dtype=np.float64))
    lams = lams.expand(T, -1) if lams.ndim == 1 else lams
    if lams.shape[0] != T:
        raise ValueError(
            f"lams must have shape (G,) or (T={T}, G), got {tuple(lams.shape)}."
        )
    if not bool((lams > 0).all()):
        raise ValueError(
            f"GCV needs lam > 0 (at lam = 0 the fit interpolates and V is 0/0); "
            f"got min lam {float(lams.min())!r}."
        )
    few = int(masks.sum(dim=1).min())
    if few < 3:
        raise ValueError(
            f"GCV needs at least 3 survivors per pattern, a pattern has {few}; "
            "lower S or raise N."
        )

    G = lams.shape[1]
    per_fit = 8 * N * (p + 12)
    chunk = max(1, int(budget_bytes // (per_fit * T)))
    scores = []
    for start in range(0, G, chunk):
        part = lams[:, start : start + chunk]
        width = part.shape[1]
        batch_masks = masks.repeat_interleave(width, dim=0)
        batch_values = values.repeat_interleave(width, dim=0)
        score = _scores(beta, batch_masks, batch_values, part.reshape(-1))
        scores.append(score.reshape(T, width))
    return torch.cat(scores, dim=1)


def select_gcv(beta, masks, values, grid, *, refine_steps=16):
    """Per-pattern ``lam`` minimising GCV: grid search, then golden section.

    Parameters
    ----------
    beta : array-like, shape (N,)
    masks : array-like of bool, shape (T, N)
        At least 3 survivors per row.
    values : torch.Tensor, shape (T, N, p)
        Worker outputs (noisy); stragglers' rows are not read.
    grid : array-like, shape (G,)
        Ascending positive lams (paper convention), log-spaced.
    refine_steps : int, default 16
        Golden-section steps on ``log lam`` within the two grid cells around
        each pattern's grid minimum; each shrinks the bracket by 0.618.

    Returns
    -------
    lam : np.ndarray, float64, shape (T,)
        The selected ``lam_dec`` per pattern, paper convention.
    score : np.ndarray, float64, shape (T,)
        ``V`` at that lam.

    Notes
    -----
    A grid first, because ``V`` can have several local minima in ``log lam``;
    the refinement assumes it is unimodal between the grid minimum's two
    neighbours. A minimum at an end of the grid stays there (the grid should
    then be widened; it is logged).
    """
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 3 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"grid must be 1-D, ascending, with >= 3 lams; got {grid!r}.")
    scores = gcv_scores(beta, masks, values, grid)
    best = scores.argmin(dim=1).numpy()
    at_edge = int(((best == 0) | (best == grid.size - 1)).sum())
    if at_edge:
        logger.info("GCV minimum at the end of the lam grid in %d patterns", at_edge)

    log_grid = np.log(grid)
    lo = log_grid[np.clip(best - 1, 0, grid.size - 1)]
    hi = log_grid[np.clip(best + 1, 0, grid.size - 1)]
    chosen = log_grid[best]
    chosen_score = scores[np.arange(len(best)), best].numpy()

    # Golden section on [lo, hi] per pattern, all patterns in one batch.
    left = hi - _GOLDEN * (hi - lo)
    right = lo + _GOLDEN * (hi - lo)
    f_left = _score_each(beta, masks, values, left)
    f_right = _score_each(beta, masks, values, right)
    for _ in range(refine_steps):
        shrink_right = f_left < f_right
        lo = np.where(shrink_right, lo, left)
        hi = np.where(shrink_right, right, hi)
        new_left = hi - _GOLDEN * (hi - lo)
        new_right = lo + _GOLDEN * (hi - lo)
        probe = np.where(shrink_right, new_left, new_right)
        f_probe = _score_each(beta, masks, values, probe)
        left, right = (
            np.where(shrink_right, new_left, right),
            np.where(shrink_right, left, new_right),
        )
        f_left, f_right = (
            np.where(shrink_right, f_probe, f_right),
            np.where(shrink_right, f_left, f_probe),
        )

    for point, value in ((left, f_left), (right, f_right)):
        better = value < chosen_score
        chosen = np.where(better, point, chosen)
        chosen_score = np.where(better, value, chosen_score)
    return np.exp(chosen), chosen_score


def _score_each(beta, masks, values, log_lams):
    """``V`` of pattern t at ``exp(log_lams[t])``: shape (T,)."""
    lams = np.exp(log_lams)[:, None]
    return gcv_scores(beta, masks, values, lams)[:, 0].numpy()


def _scores(beta, masks, values, lams):
    """``V`` for each row of a batch with one lam per row: shape (B,)."""
    fits = fit_per_pattern(beta, beta, masks, lams)
    p = values.shape[2]
    index = fits.index[:, :, None].expand(-1, -1, p)
    y = values.gather(1, index) * fits.valid[:, :, None]
    gamma = solve_pentadiagonal(*fits.bands, _q_transpose(fits.q, y))

    # (I - A) y = lam_s Q gamma, zero at padding since Q's columns are.
    residual = fits.lam_s[:, None, None] * _q_apply(fits.q, gamma)
    n = fits.count.to(torch.float64)
    rss = (residual**2).sum(dim=(1, 2)) / (n * p)

    # tr(I - A) = lam_s tr(B^{-1} Q^T Q) from the central bands of B^{-1}.
    inverse = band_inverse(*fits.bands)
    gram = _gram_bands(fits.q)
    trace = (inverse[0] * gram[0]).sum(dim=1)
    trace = trace + 2 * (inverse[1] * gram[1]).sum(dim=1)
    trace = trace + 2 * (inverse[2] * gram[2]).sum(dim=1)
    effective = fits.lam_s * trace / n
    return rss / effective**2


def band_inverse(diag, off1, off2):
    """Central five bands of the inverse of SPD pentadiagonal matrices.

    Parameters
    ----------
    diag : torch.Tensor, shape (T, n)
        Main diagonals of ``B``.
    off1 : torch.Tensor, shape (T, n - 1)
        First off-diagonals (``B`` is symmetric).
    off2 : torch.Tensor, shape (T, n - 2)
        Second off-diagonals.

    Returns
    -------
    tuple of torch.Tensor
        ``(S0, S1, S2)`` of shapes (T, n), (T, n - 1), (T, n - 2): the
        diagonal and the first two super-diagonals of ``B^{-1}``.

    Notes
    -----
    With ``B = L D L^T`` (``L`` unit lower triangular with two sub-diagonals
    ``l1``, ``l2``), ``B^{-1} = D^{-1} L^{-1} + (I - L^T) B^{-1}``; the upper
    triangle of the first term is ``D^{-1}`` on the diagonal only, so row
    ``i`` of the band follows from rows ``i + 1`` and ``i + 2``:
    ``S[i, j] = delta_ij / D_i - l1_i S[i+1, j] - l2_i S[i+2, j]`` for
    ``j = i + 2, i + 1, i`` (Hutchinson and de Hoog, 1985). ``O(T n)``.
    """
    n = diag.shape[1]
    zero = diag.new_zeros(diag.shape[0])
    d = [zero] * n
    l1 = [zero] * n
    l2 = [zero] * n

    # L D L^T, one row at a time, vectorised over the batch.
    for j in range(n):
        value = diag[:, j]
        if j >= 1:
            value = value - l1[j - 1] ** 2 * d[j - 1]
        if j >= 2:
            value = value - l2[j - 2] ** 2 * d[j - 2]
        d[j] = value
        if j + 1 < n:
            coupling = off1[:, j]
            if j >= 1:
                coupling = coupling - l2[j - 1] * l1[j - 1] * d[j - 1]
            l1[j] = coupling / d[j]
        if j + 2 < n:
            l2[j] = off2[:, j] / d[j]

    s0 = [zero] * n
    s1 = [zero] * max(n - 1, 0)
    s2 = [zero] * max(n - 2, 0)
    for i in reversed(range(n)):
        if i + 2 < n:
            s2[i] = -l1[i] * s1[i + 1] - l2[i] * s0[i + 2]
        if i + 1 < n:
            below = s1[i + 1] if i + 2 < n else zero
            s1[i] = -l1[i] * s0[i + 1] - l2[i] * below
        value = 1 / d[i]
        if i + 1 < n:
            value = value - l1[i] * s1[i]
        if i + 2 < n:
            value = value - l2[i] * s2[i]
        s0[i] = value
    stack = [torch.stack(band, dim=1) if band else diag[:, :0] for band in (s1, s2)]
    return torch.stack(s0, dim=1), stack[0], stack[1]


def _gram_bands(q):
    """Diagonal and two super-diagonals of ``Q^T Q``: (T, M-2), (T, M-3), (T, M-4)."""
    diag = (q * q).sum(dim=1)
    off1 = q[:, 1, :-1] * q[:, 0, 1:] + q[:, 2, :-1] * q[:, 1, 1:]
    off2 = q[:, 2, :-2] * q[:, 0, 2:]
    return diag, off1, off2


def _prepare(alpha, beta, masks, values, lams):
    """Check and convert the arguments of :func:`smooth_per_pattern` (CPU)."""
    alpha = _validate.as_points(alpha, "alpha", "cpu")
    beta = _validate.as_points(beta, "beta", "cpu")
    masks = _validate.as_masks(masks, beta.shape[0], "cpu")
    values = torch.as_tensor(values, dtype=torch.float64)
    lams = torch.as_tensor(np.asarray(lams, dtype=np.float64))
    if values.shape[:2] != masks.shape:
        raise ValueError(
            f"values must have shape (T, N, p) = {tuple(masks.shape)} + (p,), "
            f"got {tuple(values.shape)}."
        )
    if lams.shape != (masks.shape[0],):
        raise ValueError(
            f"lams must have one entry per pattern, shape ({masks.shape[0]},), "
            f"got {tuple(lams.shape)}."
        )
    if not bool(torch.isfinite(lams).all()) or bool((lams < 0).any()):
        raise ValueError(f"lams must be finite and >= 0, got {lams.tolist()[:5]}...")
    return alpha, beta, masks, values.masked_fill(~masks[:, :, None], 0.0), lams
