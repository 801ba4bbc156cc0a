"""Natural cubic smoothing splines as banded linear maps, batched over masks.

The smoothing spline of the survivors has its knots at the survivors alone
(the representer theorem), so each mask is fitted on its own knots. The fit
uses the Reinsch form (Green and Silverman, *Nonparametric Regression and
Generalized Linear Models*, 1994, sections 2.1-2.3): with ``Q`` the second
divided differences and ``R`` the tridiagonal Gram matrix of the knots,

    (R + lam_s Q^T Q) gamma = Q^T y,      g = y - lam_s Q gamma,

where ``g`` are the fitted values and ``gamma`` the second derivatives at the
interior knots, and ``lam_s = n * lam`` converts the paper's normalisation
(a mean data term) to Reinsch's (a sum). The matrix is pentadiagonal, so a
fit with ``p`` right-hand sides costs ``O(n p)``.

Masks with fewer survivors than the largest are padded: padded knots get an
identity row in the banded system and no weight anywhere else.
"""

from dataclasses import dataclass

import torch


def solve_pentadiagonal(diag, off1, off2, rhs):
    """Solve symmetric positive definite pentadiagonal systems, batched.

    Parameters
    ----------
    diag : torch.Tensor, shape (T, n)
        Main diagonals.
    off1 : torch.Tensor, shape (T, n - 1)
        First super-diagonals (equal to the sub-diagonals).
    off2 : torch.Tensor, shape (T, n - 2)
        Second super-diagonals.
    rhs : torch.Tensor, shape (T, n, p)

    Returns
    -------
    torch.Tensor, shape (T, n, p)

    Notes
    -----
    Banded Cholesky factorisation ``L L^T`` followed by two triangular
    solves; the loop runs over the ``n`` rows and each step is vectorised
    over the batch and the right-hand sides, so the cost is ``O(T n p)``.
    The loop is bound by the overhead of small tensor operations, so each
    step uses as few as it can (fused multiply-adds, reciprocal roots).
    """
    n = diag.shape[1]
    if n == 0:
        return rhs
    inv_root, low1, low2 = _banded_cholesky(diag, off1, off2)

    # Rows as contiguous (p, T) slabs: in-place updates then allocate nothing
    # and the (T,) factors broadcast along the slab's last axis.
    rows = rhs.permute(1, 2, 0).contiguous()
    for j in range(n):
        if j >= 1:
            rows[j].addcmul_(low1[j], rows[j - 1], value=-1)
        if j >= 2:
            rows[j].addcmul_(low2[j], rows[j - 2], value=-1)
        rows[j].mul_(inv_root[j])

    # Backward, overwriting each row once it is no longer needed.
    for j in reversed(range(n)):
        if j + 1 < n:
            rows[j].addcmul_(low1[j + 1], rows[j + 1], value=-1)
        if j + 2 < n:
            rows[j].addcmul_(low2[j + 2], rows[j + 2], value=-1)
        rows[j].mul_(inv_root[j])
    return rows.permute(2, 0, 1)


def _banded_cholesky(diag, off1, off2):
    """Columns of the banded Cholesky factor, each of shape (T,).

    Returns the reciprocals of the diagonal of ``L`` and its first and second
    sub-diagonals, indexed by row (``low1[j] = L[j, j-1]``,
    ``low2[j] = L[j, j-2]``; entries that do not exist are None).
    """
    n = diag.shape[1]
    d = diag.T.contiguous().unbind(0)
    e1 = off1.T.contiguous().unbind(0)
    e2 = off2.T.contiguous().unbind(0)
    inv_root, low1, low2 = [], [None] * (n + 1), [None] * (n + 2)

    for j in range(n):
        pivot = d[j]
        if j >= 1:
            pivot = torch.addcmul(pivot, low1[j], low1[j], value=-1)
        if j >= 2:
            pivot = torch.addcmul(pivot, low2[j], low2[j], value=-1)
        inv_root.append(pivot.rsqrt())
        if j + 1 < n:
            below = e1[j]
            if j >= 1:
                below = torch.addcmul(below, low1[j], low2[j + 1], value=-1)
            low1[j + 1] = below * inv_root[j]
        if j + 2 < n:
            low2[j + 2] = e2[j] * inv_root[j]
    return inv_root, low1, low2


@dataclass
class SurvivorSplines:
    """Smoothing splines through the survivors of each mask, on their own knots.

    Build with :meth:`fit`; then :meth:`apply` smooths data and evaluates it
    at the targets, and :meth:`matrices` returns the linear maps themselves.

    Attributes
    ----------
    index : torch.Tensor, shape (T, M), int64
        Worker index of each survivor, ascending; padding repeats the last.
    valid : torch.Tensor, shape (T, M), bool
        False at padding. ``M`` is the largest number of survivors.
    count : torch.Tensor, shape (T,), int64
        Survivors per mask, ``n_t``.
    lam_s : torch.Tensor, shape (T,)
        ``n_t * lam``, the smoothing parameter for a summed data term.
    q : torch.Tensor, shape (T, 3, M - 2)
        The three nonzeros of each column of ``Q`` (rows ``j, j+1, j+2``).
    bands : tuple of torch.Tensor
        Diagonals of ``R + lam_s Q^T Q``: shapes (T, M-2), (T, M-3), (T, M-4).
    rows, weights : torch.Tensor, shape (T, m, 2)
        For each target, the two knots of its interval and the linear
        interpolation weights on their values.
    curves : torch.Tensor, shape (T, m, 2)
        Weights on the second derivatives at those two knots.
    """

    index: torch.Tensor
    valid: torch.Tensor
    count: torch.Tensor
    lam_s: torch.Tensor
    q: torch.Tensor
    bands: tuple
    rows: torch.Tensor
    weights: torch.Tensor
    curves: torch.Tensor

    @classmethod
    def fit(cls, knots, targets, masks, lam):
        """Set up the fits for every mask.

        Parameters
        ----------
        knots : torch.Tensor, shape (N,)
            Strictly ascending points of the data.
        targets : torch.Tensor, shape (m,)
            Where the splines are evaluated; beyond the outermost survivor the
            natural spline is a straight line.
        masks : torch.Tensor, shape (T, N), bool
            Survivors, at least 2 per row.
        lam : float
            Smoothing parameter in the paper's normalisation, >= 0.
        """
        count = masks.sum(dim=1)
        width = int(count.max())
        index = torch.argsort((~masks).to(torch.int8), dim=1, stable=True)
        index = index[:, :width]
        valid = torch.arange(width, device=knots.device) < count[:, None]
        last = index.gather(1, (count - 1)[:, None])
        index = torch.where(valid, index, last)
        x = knots[index]

        h = (x[:, 1:] - x[:, :-1]).masked_fill(~valid[:, 1:], 1.0)
        interior = valid[:, 2:]
        lam_s = lam * count.to(knots.dtype)
        q = _second_differences(h, interior)
        bands = _reinsch_bands(h, q, lam_s, interior)
        rows, weights, curves = _evaluation(x, h, count, targets)
        return cls(index, valid, count, lam_s, q, bands, rows, weights, curves)

    def apply(self, values):
        """Smooth ``values`` at the survivors and evaluate at the targets.

        Parameters
        ----------
        values : torch.Tensor, shape (T, N, p)
            Data at every knot; only the survivors' rows are read.

        Returns
        -------
        torch.Tensor, shape (T, m, p)
        """
        y = values.gather(1, self.index[:, :, None].expand(-1, -1, values.shape[2]))
        if not self.valid.all():
            y = y * self.valid[:, :, None]
        gamma = solve_pentadiagonal(*self.bands, _q_transpose(self.q, y))
        smoothing = _q_apply(self.q, gamma)
        fitted = torch.addcmul(y, self.lam_s[:, None, None], smoothing, value=-1)
        return self._evaluate(fitted, gamma)

    def matrices(self, n_knots):
        """Return the maps from data at all knots to values at the targets.

        Parameters
        ----------
        n_knots : int
            ``N``, the number of knots including stragglers.

        Returns
        -------
        torch.Tensor, shape (T, m, N)
            Zero in the columns of stragglers.

        Notes
        -----
        With ``Lin`` and ``C`` the evaluation weights on values and second
        derivatives, the map is ``Lin + (C - lam_s Lin Q) B^{-1} Q^T`` with
        ``B = R + lam_s Q^T Q``; its transpose is computed with one banded
        solve against the ``m`` columns of ``(C - lam_s Lin Q)^T``.
        """
        # In-place steps keep the peak near four (T, m, M) tensors.
        lin = self._scatter(self.weights)
        coupling = self._scatter(self.curves)[:, :, 1:-1]
        coupling.mul_(self.valid[:, None, 2:])
        lin_q = _q_transpose(self.q, lin.transpose(1, 2)).transpose(1, 2)
        coupling.addcmul_(self.lam_s[:, None, None], lin_q, value=-1)
        del lin_q
        solved = solve_pentadiagonal(*self.bands, coupling.transpose(1, 2))
        del coupling
        compact = lin.add_(_q_apply(self.q, solved).transpose(1, 2))
        del solved
        compact.mul_(self.valid[:, None, :])

        shape = (*compact.shape[:2], n_knots)
        index = self.index[:, None, :].expand(-1, compact.shape[1], -1)
        return compact.new_zeros(shape).scatter_add_(2, index, compact)

    def _evaluate(self, fitted, gamma):
        """Evaluate splines with knot values ``fitted`` and interior ``gamma``."""
        pad = gamma.new_zeros(gamma.shape[0], 1, gamma.shape[2])
        # Natural ends: zero second derivative at the first and last knot
        # (padding already holds zeros, including each mask's last survivor).
        second = torch.cat([pad, gamma, pad], dim=1)
        out = 0.0
        for side in range(2):
            pick = self.rows[:, :, side, None].expand(-1, -1, fitted.shape[2])
            out = out + self.weights[:, :, side, None] * fitted.gather(1, pick)
            out = out + self.curves[:, :, side, None] * second.gather(1, pick)
        return out

    def _scatter(self, coefficients):
        """Dense (T, m, M) form of per-target weights on two knots each."""
        shape = (*coefficients.shape[:2], self.index.shape[1])
        dense = coefficients.new_zeros(shape)
        return dense.scatter_add(2, self.rows, coefficients)


def smoothing_matrices(knots, targets, masks, lam):
    """Smoothing-spline maps from data at the knots to values at ``targets``.

    For each mask, the spline minimises
    ``(1/|F|) sum_{i in F} (y_i - g(t_i))^2 + lam * int g''(t)^2 dt``
    over the survivors ``F`` (the paper's normalisation).

    Parameters
    ----------
    knots : torch.Tensor, shape (n,)
    targets : torch.Tensor, shape (m,)
    masks : torch.Tensor, shape (T, n), bool
        Survivors; each row has at least 2.
    lam : float
        Smoothing parameter in the paper's normalisation, >= 0; 0 gives the
        natural interpolating spline of the survivors.

    Returns
    -------
    torch.Tensor, shape (T, m, n)
        Zero in the columns of stragglers. Time and memory ``O(T m n)``.
    """
    fits = SurvivorSplines.fit(knots, targets, masks, lam)
    return fits.matrices(knots.shape[0])


def smoothing_apply(knots, targets, masks, lam, values):
    """Smoothing-spline fits of ``values`` evaluated at ``targets``.

    Parameters
    ----------
    knots, targets, masks, lam
        As in :func:`smoothing_matrices`.
    values : torch.Tensor, shape (T, n, p)
        Data at every knot; rows of stragglers are never read.

    Returns
    -------
    torch.Tensor, shape (T, m, p)
        Without forming the maps: time ``O(T (n + m) p)``.
    """
    fits = SurvivorSplines.fit(knots, targets, masks, lam)
    return fits.apply(values)


def _second_differences(h, interior):
    """Nonzeros of the columns of ``Q``, zero at padding: shape (T, 3, M-2)."""
    left, right = 1 / h[:, :-1], 1 / h[:, 1:]
    q = torch.stack([left, -left - right, right], dim=1)
    return q * interior[:, None, :]


def _reinsch_bands(h, q, lam_s, interior):
    """Diagonals of ``R + lam_s Q^T Q``, identity rows at padding."""
    scale = lam_s[:, None]
    diag = (h[:, :-1] + h[:, 1:]) / 3 + scale * (q * q).sum(dim=1)
    off1 = h[:, 1:-1] / 6 + scale * (
        q[:, 1, :-1] * q[:, 0, 1:] + q[:, 2, :-1] * q[:, 1, 1:]
    )
    off2 = scale * q[:, 2, :-2] * q[:, 0, 2:]

    diag = torch.where(interior, diag, 1.0)
    off1 = off1 * (interior[:, :-1] & interior[:, 1:])
    off2 = off2 * (interior[:, :-2] & interior[:, 2:])
    return diag, off1, off2


def _q_transpose(q, y):
    """``Q^T y`` for y of shape (T, M, p): shape (T, M-2, p)."""
    out = q[:, 0, :, None] * y[:, :-2]
    out.addcmul_(q[:, 1, :, None], y[:, 1:-1])
    return out.addcmul_(q[:, 2, :, None], y[:, 2:])


def _q_apply(q, gamma):
    """``Q gamma`` for gamma of shape (T, M-2, p): shape (T, M, p)."""
    shape = (gamma.shape[0], gamma.shape[1] + 2, gamma.shape[2])
    out = gamma.new_zeros(shape)
    out[:, :-2].addcmul_(q[:, 0, :, None], gamma)
    out[:, 1:-1].addcmul_(q[:, 1, :, None], gamma)
    out[:, 2:].addcmul_(q[:, 2, :, None], gamma)
    return out


def _evaluation(x, h, count, targets):
    """Interval and weights of each target, per mask.

    Returns
    -------
    rows : torch.Tensor, shape (T, m, 2), int64
        Left and right knot of the interval holding the target (the end
        interval for targets beyond the outermost survivors).
    weights : torch.Tensor, shape (T, m, 2)
        Weights on the knot values: linear interpolation or extrapolation.
    curves : torch.Tensor, shape (T, m, 2)
        Weights on the second derivatives at the two knots; outside the
        survivors' range only the linear part of the end piece remains, since
        the natural spline continues as a straight line.
    """
    t = targets.expand(x.shape[0], -1).contiguous()
    top = (count - 2)[:, None]
    left = torch.searchsorted(x.contiguous(), t, right=True) - 1
    left = torch.minimum(left.clamp_min(0), top)
    step = h.gather(1, left)
    x_left = x.gather(1, left)
    x_right = x.gather(1, left + 1)
    a = (x_right - t) / step
    b = (t - x_left) / step

    first = x[:, :1]
    final = x.gather(1, (count - 1)[:, None])
    inside = (t >= first) & (t <= final)
    cubic_a = torch.where(inside, a**3, 0.0)
    cubic_b = torch.where(inside, b**3, 0.0)

    rows = torch.stack([left, left + 1], dim=2)
    weights = torch.stack([a, b], dim=2)
    curves = torch.stack([cubic_a - a, cubic_b - b], dim=2) * step[:, :, None] ** 2
    return rows, weights, curves / 6
