"""Faulty worker outputs: screened before decoding, counted in every result.

The master receives one output per worker that answered. Before decoding it
screens them for two kinds of fault:

* **Non-finite**: an output with a NaN or infinite coordinate is unusable. It
  is dropped, the worker counts as a straggler, and the results count it in
  ``n_nonfinite``.
* **Outlier**: a finite output far from those of the other survivors (a bit
  flip, a worker that ran the wrong input, an overflow short of inf). It is
  counted in ``n_outliers``. By default it is decoded like any other answer,
  so that the results show what each scheme makes of it; with
  ``outliers="drop"`` it is treated as a straggler too.

The outlier rule is robust to the outliers themselves. For each pattern, let
``c`` be the coordinate-wise median of the survivors' outputs and ``r_n`` the
largest absolute coordinate of ``y_n - c``. Worker ``n`` is an outlier when
``r_n > factor * median(r)``, the median taken over the survivors (with a
floor of ``1e-9 (1 + max|c|)`` so that identical outputs flag nothing). Coded
outputs of a smooth function vary smoothly across workers, so ``r_n`` stays
within tens of times its median. The largest ratio measured on the theory
track's functions and point sets was 59, for ``abspow`` (``|x|^2.5`` of
Gaussian inputs, whose tail grows fast) over 2,000 trials; in three quarters
of 72 settings (four functions, two worker point sets, N from 20 to 640, three
schemes) the largest ratio over 50 trials stays below 10.
:data:`OUTLIER_FACTOR` = 1000 leaves a wide margin, so the rule flags gross
errors (a flipped exponent bit, an overflow short of inf) and nothing in the
smoke or default runs.

How each scheme reacts to an outlier
------------------------------------
Every decoder here is linear in the survivors' outputs: an error ``e`` in
worker ``n``'s output moves the estimate of input ``k`` by exactly
``D[k, n] e``, where ``D`` is the decoder of that straggler pattern
(:meth:`letcc.coding.CodingScheme.decoder_matrices`). No scheme bounds the
damage: an error of size ``e`` gives estimate errors of order ``e`` times the
weights below. The schemes differ in those weights, measured here in the
LeNet5 setting of the inference track (Chebyshev points, N = 100, K = 20)
over 200 uniform patterns with S = 30:

* **LeTCC**, ``lam_dec = 0``: the decoder is an interpolating natural cubic
  spline. The largest weight is 1.4 in the median pattern (5.3 at worst), so
  it passes an outlier through at about full size, but only to the inputs
  next to the worker: the spline's cardinal functions decay geometrically,
  and with all workers answering an input at the far end feels 1e-29 of the
  error of a middle worker.
* **LeTCC**, ``lam_dec > 0``: smoothing shrinks every weight; at
  ``lam_dec = 1e-4`` the largest is 0.14 in the median pattern (0.21 at
  worst), so an outlier is damped about tenfold and spread over neighbours:
  the smoothing chosen against noise also limits an outlier's damage.
* **BACC**: Berrut's rational interpolant also passes through every answer
  (largest weight 1.2 in the median pattern, 4.4 at worst), and its weights
  decay only like the inverse distance, so far inputs feel about 7e-4 of the
  error rather than LeTCC's 1e-29.
* **Lagrange**: the polynomial interpolant through the survivors amplifies:
  its largest weight is 4e4 in the median pattern and 6e13 at worst, so one
  outlier can ruin every estimate.
* **Uncoded replication**: each result is the mean of its surviving
  replicas, so an outlier moves only the input it replicates, by ``e``
  divided by that input's number of surviving replicas.

``tests/test_faults.py`` checks these statements.

Screening takes two medians over the workers per pattern and output
coordinate. For 1,000 patterns of N = 100 workers and 10 outputs it took
27 ms on 2 CPU cores, against 34 ms for LeTCC's matrix-free decode of the
same outputs; the encode, forward and decode overheads quoted elsewhere do not
include it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)

#: Outlier threshold: distance from the survivors' median output, in units of
#: the survivors' median such distance.
OUTLIER_FACTOR = 1000.0

#: What to do with outliers: decode them as they are, or drop them.
OUTLIER_ACTIONS = ("report", "drop")

_FLOOR = 1e-9  # relative floor of the scale, so equal outputs flag nothing


@dataclass(frozen=True)
class Screened:
    """Worker outputs of every pattern after screening.

    Attributes
    ----------
    survivors : torch.Tensor of bool, shape (T, N)
        Workers whose outputs are decoded.
    n_nonfinite : torch.Tensor of int64, shape (T,)
        Answers with a NaN or infinite coordinate, dropped.
    n_outliers : torch.Tensor of int64, shape (T,)
        Finite answers flagged as outliers (dropped only under ``"drop"``).
    """

    survivors: torch.Tensor
    n_nonfinite: torch.Tensor
    n_outliers: torch.Tensor


def find_outliers(
    values: torch.Tensor, survivors: torch.Tensor, factor: float = OUTLIER_FACTOR
) -> torch.Tensor:
    """Flag survivors whose output is far from the others' (see module notes).

    Parameters
    ----------
    values : torch.Tensor, shape (T, N, m)
        Worker outputs; rows of non-survivors are ignored.
    survivors : torch.Tensor of bool, shape (T, N)
        Workers with finite outputs to compare.
    factor : float, default :data:`OUTLIER_FACTOR`
        Threshold in units of the median distance, > 1.

    Returns
    -------
    torch.Tensor of bool, shape (T, N)
        True where a survivor's output is an outlier.
    """
    if factor <= 1:
        raise ValueError(f"factor = {factor} must exceed 1; the default is 1000.")
    keep = survivors[..., None]
    masked = torch.where(keep, values, torch.nan)
    center = masked.nanmedian(dim=1).values  # (T, m)
    distance = (masked - center[:, None, :]).abs().amax(dim=-1)  # (T, N), NaN off
    scale = distance.nanmedian(dim=1).values  # (T,)
    floor = _FLOOR * (1 + center.abs().amax(dim=-1))
    threshold = factor * torch.maximum(scale, floor)
    return survivors & (distance > threshold[:, None])


def screen_outputs(
    values: torch.Tensor,
    answered: torch.Tensor,
    *,
    outliers: str = "report",
    factor: float = OUTLIER_FACTOR,
) -> Screened:
    """Drop non-finite outputs and flag (or drop) outliers, per pattern.

    Parameters
    ----------
    values : torch.Tensor, shape (T, N, m)
        Worker outputs.
    answered : torch.Tensor of bool, shape (T, N)
        True where the worker answered (not a straggler).
    outliers : {"report", "drop"}, default "report"
        Decode outliers as they are and count them, or also drop them.
    factor : float, default :data:`OUTLIER_FACTOR`

    Returns
    -------
    Screened

    Raises
    ------
    ValueError
        If ``outliers`` is not an action of :data:`OUTLIER_ACTIONS`, or if the
        dropped outputs leave a pattern with fewer than 2 survivors.
    """
    if outliers not in OUTLIER_ACTIONS:
        raise ValueError(
            f"outliers = {outliers!r} is not one of {OUTLIER_ACTIONS}; use "
            "'report' to count them or 'drop' to treat them as stragglers."
        )
    finite = torch.isfinite(values).all(dim=-1)
    survivors = answered & finite
    flagged = find_outliers(values, survivors, factor)
    if outliers == "drop":
        survivors = survivors & ~flagged

    screened = Screened(
        survivors=survivors,
        n_nonfinite=(answered & ~finite).sum(dim=1),
        n_outliers=flagged.sum(dim=1),
    )
    _check_survivors(survivors, outliers)
    _log(screened, outliers)
    return screened


def _check_survivors(survivors: torch.Tensor, outliers: str) -> None:
    """Refuse patterns left with fewer than 2 usable answers."""
    bad = torch.nonzero(survivors.sum(dim=1) < 2).flatten()
    if bad.numel():
        dropped = "non-finite" + (" and outlying" if outliers == "drop" else "")
        raise ValueError(
            f"patterns {bad[:5].tolist()} have fewer than 2 answers left after "
            f"dropping {dropped} worker outputs; the decoders need at least 2. "
            "Check the function the workers compute for overflow."
        )


def _log(screened: Screened, outliers: str) -> None:
    """Warn once per call about faulty outputs, with their counts."""
    nonfinite = int(screened.n_nonfinite.sum())
    flagged = int(screened.n_outliers.sum())
    if nonfinite:
        logger.warning("%d non-finite worker outputs treated as stragglers", nonfinite)
    if flagged:
        what = "dropped" if outliers == "drop" else "decoded as they are"
        logger.warning("%d outlying worker outputs %s", flagged, what)
