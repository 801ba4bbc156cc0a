"""Encoders and decoders of coded computing as batched linear maps.

K inputs sit at points ``alpha`` (shape ``(K,)``) and N workers at points
``beta`` (shape ``(N,)``), both in [-1, 1]. A scheme's encoder is the
``(N, K)`` matrix ``E`` with coded inputs ``E @ X``; its decoder for a
survivor mask is the ``(K, N)`` matrix ``D`` with estimates ``D @ Y``, zero in
the columns of stragglers.

Examples
--------
>>> from letcc.coding import get_scheme, points
>>> alpha, beta = points("chebyshev1", 4), points("chebyshev2", 10)
>>> scheme = get_scheme("letcc", lam_enc=1e-6, lam_dec=1e-4)
>>> scheme.encoder_matrix(alpha, beta).shape
torch.Size([10, 4])
>>> masks = np.ones((3, 10), dtype=bool)
>>> masks[:, [2, 7]] = False
>>> scheme.decoder_matrices(alpha, beta, masks).shape
torch.Size([3, 4, 10])
"""

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np  # noqa: F401 (the module examples use it)
import torch

from letcc import _rational, _splines, _validate
from letcc._points import POINT_KINDS, points  # noqa: F401 (public here)


class CodingScheme:
    """A pair of linear maps: encoder ``(N, K)`` and decoders ``(T, K, N)``.

    Subclasses define ``_maps(nodes, targets, masks, stage)``, returning the
    ``(T, len(targets), len(nodes))`` maps that interpolate or smooth data at
    the surviving ``nodes`` and evaluate at ``targets``.

    Every method takes ``device`` (where to compute: by default the device of
    a tensor argument, else CPU; ``"auto"`` picks CUDA when available) and
    ``dtype`` (``torch.float64`` by default). The dtype is that of the
    returned maps and of the products with data; the maps themselves are
    always solved for in float64, since the spline systems are far too
    ill-conditioned for float32 (their scale grows like ``1 / h^3`` for knot
    spacing ``h``). ``torch.float32`` thus halves the memory and speeds up the
    products on a GPU at a relative error near float32's rounding.
    """

    name: ClassVar[str]

    def encoder_matrix(self, alpha, beta, *, device=None, dtype=torch.float64):
        """Return the encoder ``E``, shape ``(N, K)``: coded inputs are ``E @ X``.

        Parameters
        ----------
        alpha : array-like, shape (K,)
            Points of the inputs, strictly ascending.
        beta : array-like, shape (N,)
            Points of the workers, strictly ascending.

        Returns
        -------
        torch.Tensor, shape (N, K)
        """
        alpha, beta, everyone = _prepare(alpha, beta, None, device)
        return self._maps(alpha, beta, everyone, "enc")[0].to(dtype)

    def decoder_matrices(self, alpha, beta, masks, *, device=None, dtype=torch.float64):
        """Return one decoder per survivor mask, shape ``(T, K, N)``.

        Parameters
        ----------
        alpha : array-like, shape (K,)
            Points of the inputs, strictly ascending.
        beta : array-like, shape (N,)
            Points of the workers, strictly ascending.
        masks : array-like of bool, shape (T, N)
            ``True`` where the worker's result arrived; at least 2 per row.

        Returns
        -------
        torch.Tensor, shape (T, K, N)
            ``D[t] @ Y`` estimates the K results from worker outputs ``Y``
            ``(N, ...)``; columns of stragglers are zero, so their rows of
            ``Y`` may hold anything finite.
        """
        alpha, beta, masks = _prepare(alpha, beta, masks, device)
        return self._maps(beta, alpha, masks, "dec").to(dtype)

    def decode(self, alpha, beta, masks, values, *, device=None, dtype=torch.float64):
        """Decode worker outputs for every mask.

        For ``letcc`` this never forms the ``(K, N)`` maps: it solves against
        the outputs directly, in time ``O(T N p)``.

        Parameters
        ----------
        alpha, beta, masks
            As in :meth:`decoder_matrices`.
        values : array-like, shape (T, N, p) or (N, p)
            Worker outputs, one row per worker; rows of stragglers are never
            used, so they may hold NaN. A 2-D array is shared by all masks.

        Returns
        -------
        torch.Tensor, shape (T, K, p)
            Estimates of the K results for each mask.
        """
        device = _validate.resolve_device(device, masks, values, beta, alpha)
        alpha, beta, masks = _prepare(alpha, beta, masks, device)
        values = _validate.as_values(values, masks.shape, device, dtype)
        return self._apply(beta, alpha, masks, "dec", values)

    def _apply(self, nodes, targets, masks, stage, values):
        # The maps are zero at stragglers, but 0 * NaN is NaN: clear them.
        values = values.masked_fill(~masks[:, :, None], 0.0)
        maps = self._maps(nodes, targets, masks, stage)
        return torch.bmm(maps.to(values.dtype), values)

    def params(self):
        """Return the scheme's parameters as a dict (for results tables)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _prepare(alpha, beta, masks, device):
    """Check and convert the points and masks; ``None`` masks mean all K alphas."""
    device = _validate.resolve_device(device, masks, beta, alpha)
    alpha = _validate.as_points(alpha, "alpha", device)
    beta = _validate.as_points(beta, "beta", device)
    if masks is None:
        masks = torch.ones(1, alpha.shape[0], dtype=torch.bool, device=device)
    else:
        masks = _validate.as_masks(masks, beta.shape[0], device)
    return alpha, beta, masks


@dataclass(frozen=True)
class LeTCC(CodingScheme):
    """Smoothing-spline encoder and decoder in the second-order Sobolev space.

    Parameters
    ----------
    lam_enc, lam_dec : float, default 0
        Smoothing parameters of encoder and decoder in the paper's
        normalisation, where the data term is a mean (1/n). scipy's
        ``make_smoothing_spline`` uses a sum, so its ``lam`` is ``n`` times
        these (``n = K`` for the encoder, ``|F|`` for the decoder). 0 gives
        the natural cubic interpolating spline.

    Notes
    -----
    Moradi, Tahmasebi and Maddah-Ali, "Coded Computing for Resilient
    Distributed Computing: A Learning-Theoretic Framework", NeurIPS 2024: the
    encoder and decoder minimise a mean squared data term plus ``lam`` times
    ``int u''(t)^2 dt``; the minimisers are natural cubic smoothing splines.
    """

    lam_enc: float = 0.0
    lam_dec: float = 0.0
    name: ClassVar[str] = "letcc"

    def __post_init__(self):
        object.__setattr__(
            self, "lam_enc", _validate.check_lam(self.lam_enc, "lam_enc")
        )
        object.__setattr__(
            self, "lam_dec", _validate.check_lam(self.lam_dec, "lam_dec")
        )

    def _maps(self, nodes, targets, masks, stage):
        lam = self.lam_enc if stage == "enc" else self.lam_dec
        return _splines.smoothing_matrices(nodes, targets, masks, lam)

    def _apply(self, nodes, targets, masks, stage, values):
        lam = self.lam_enc if stage == "enc" else self.lam_dec
        fitted = _splines.smoothing_apply(nodes, targets, masks, lam, values.double())
        return fitted.to(values.dtype)


@dataclass(frozen=True)
class BACC(CodingScheme):
    """Berrut approximated coded computing: rational interpolation both ways.

    Notes
    -----
    Jahani-Nezhad and Maddah-Ali, "Berrut Approximated Coded Computing:
    Straggler Resistance Beyond Polynomial Computing", IEEE TPAMI 2022.
    Berrut's first form with weights ``(-1)^i`` over the nodes in ascending
    order; the decoder re-indexes the survivors so the signs alternate over
    them alone.
    """

    name: ClassVar[str] = "bacc"

    def _maps(self, nodes, targets, masks, stage):
        weights = _rational.berrut_weights(masks)
        return _rational.barycentric_matrices(nodes, targets, weights)


@dataclass(frozen=True)
class Lagrange(CodingScheme):
    """Lagrange coded computing: polynomial interpolation both ways.

    Notes
    -----
    Yu et al., "Lagrange Coded Computing", AISTATS 2019. Exact for a
    polynomial ``f`` of known degree; over the reals its maps grow quickly
    with the number of nodes, so it serves as a foil.
    """

    name: ClassVar[str] = "lagrange"

    def _maps(self, nodes, targets, masks, stage):
        weights = _rational.lagrange_weights(nodes, masks)
        return _rational.barycentric_matrices(nodes, targets, weights)


SCHEMES = {scheme.name: scheme for scheme in (LeTCC, BACC, Lagrange)}


def get_scheme(name, **params):
    """Return the coding scheme called ``name`` with its parameters.

    Parameters
    ----------
    name : {"letcc", "bacc", "lagrange"}
    **params
        The scheme's parameters: ``lam_enc`` and ``lam_dec`` for ``"letcc"``;
        none for the others.

    Returns
    -------
    CodingScheme

    Raises
    ------
    ValueError
        For an unknown name, an unknown parameter or a bad value.
    """
    if name not in SCHEMES:
        raise ValueError(f"unknown scheme {name!r}; choose one of {tuple(SCHEMES)}.")
    scheme = SCHEMES[name]
    known = {field.name for field in fields(scheme)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"scheme {name!r} takes no parameter(s) {unknown}; "
            f"its parameters are {sorted(known) or 'none'}."
        )
    return scheme(**params)
