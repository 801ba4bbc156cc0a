"""Coded evaluation shared by all experiments.

Given a scheme's point sets, a batch of input groups and one straggler pattern
per group, :func:`evaluate_coded` encodes, computes and decodes every trial with
batched products (the encoder and decoder are linear maps, ``docs/method.md``,
LeTCC section) and returns the per-trial error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from letcc.engine import decode_rows

logger = logging.getLogger(__name__)

DEVICES = ("cpu", "cuda", "auto")

#: Default memory budget of one decoding chunk (bytes), see evaluate_coded.
DEFAULT_BLOCK_BYTES = 256 * 2**20


@dataclass(frozen=True)
class CodedResult:
    """Per-trial outcome of :func:`evaluate_coded`.

    Attributes
    ----------
    mse : np.ndarray of float64, shape (trials,)
        Mean over the K inputs and the m output coordinates of the squared
        error ``(f^(x_k)_j - f(x_k)_j)^2``.
    n_nonfinite : np.ndarray of int64, shape (trials,)
        Workers that answered (True in the given mask) but returned a NaN or an
        infinite value, and so were treated as stragglers.
    n_outliers : np.ndarray of int64, shape (trials,)
        Finite answers far from the others' (:mod:`letcc.faults`).
    """

    mse: np.ndarray
    n_nonfinite: np.ndarray
    n_outliers: np.ndarray


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn a config device name into a torch device.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"} or torch.device
        "auto" picks CUDA when it is available and the CPU otherwise.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the name is unknown, or "cuda" is asked for but unavailable.
    """
    if isinstance(device, torch.device):
        return device
    if device not in DEVICES:
        raise ValueError(f"device={device!r} is unknown; use one of {DEVICES}.")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' but torch sees no CUDA device; use 'cpu' or 'auto'."
        )
    return torch.device(device)


def evaluate_coded(
    scheme,
    alpha: np.ndarray,
    beta: np.ndarray,
    X: torch.Tensor,
    f: Callable[[torch.Tensor], torch.Tensor],
    masks: np.ndarray,
    *,
    device: str | torch.device = "cpu",
    max_block_bytes: int = DEFAULT_BLOCK_BYTES,
    cache=None,
    outliers: str = "report",
) -> CodedResult:
    """Encode, compute and decode every trial at once and score the estimates.

    Parameters
    ----------
    scheme : letcc.coding.CodingScheme
        From :func:`letcc.coding.get_scheme`.
    alpha : np.ndarray, shape (K,)
        Input points, ascending in [-1, 1].
    beta : np.ndarray, shape (N,)
        Worker points, ascending in [-1, 1].
    X : torch.Tensor, float64, shape (trials, K, d)
        The K inputs of every trial.
    f : callable
        Maps a float64 tensor of shape (B, d) on ``device`` to (B, m).
    masks : np.ndarray of bool, shape (trials, N)
        True = the worker answered in that trial.
    device : {"cpu", "cuda", "auto"} or torch.device, default "cpu"
    max_block_bytes : int, default 256 MiB
        Memory budget of one decoding chunk, see Notes.
    cache : letcc.engine.DecoderCache, optional
        Keeps the decoder maps for later calls on the same masks (several
        functions evaluated on one trace); without it ``letcc`` decodes
        matrix-free.
    outliers : {"report", "drop"}, default "report"
        Decode outlying answers as they are and count them, or treat them as
        stragglers (:func:`letcc.faults.screen_outputs`).

    Returns
    -------
    CodedResult
        Per-trial MSE (mean over inputs and output coordinates of the squared
        error) and the counts of non-finite and outlying worker outputs.

    Raises
    ------
    ValueError
        On inconsistent shapes, or if dropping faulty outputs leaves a trial
        with fewer than two survivors.

    Notes
    -----
    A worker whose output has any NaN or infinite coordinate is treated as a
    straggler: its mask entry is cleared before decoding, as a master that
    discards unusable answers would do. :mod:`letcc.faults` describes the
    outlier rule and how each scheme reacts to an outlier.

    Encoding and computing take one batched call each. Decoding runs
    :func:`letcc.engine.decode_rows`: the screening, then all masks of a chunk
    at once, with as many trials per chunk as fit ``max_block_bytes``.
    """
    dev = resolve_device(device)
    masks = np.asarray(masks, dtype=bool)
    _check_shapes(alpha, beta, X, masks)
    trials, K, d = X.shape
    N = len(beta)

    E = scheme.encoder_matrix(alpha, beta, device=dev)
    X = X.to(dev, torch.float64)

    # Coded inputs of every trial in one product: X~[t] = E @ X[t].
    X_coded = torch.einsum("nk,tkd->tnd", E, X)

    # Every worker of every trial in one call of f.
    Y = f(X_coded.reshape(-1, d)).reshape(trials, N, -1)
    truth = f(X.reshape(-1, d)).reshape(trials, K, -1)

    # f^[t] = D[t] @ Y[t] over the screened survivors; the decoders never
    # read the stragglers' rows.
    answered = torch.from_numpy(masks).to(dev)
    estimate, screened = decode_rows(
        scheme,
        alpha,
        beta,
        answered,
        Y,
        budget_bytes=max_block_bytes,
        cache=cache,
        outliers=outliers,
    )

    mse = ((estimate - truth) ** 2).mean(dim=(1, 2))
    return CodedResult(
        mse=mse.cpu().numpy(),
        n_nonfinite=screened.n_nonfinite.cpu().numpy(),
        n_outliers=screened.n_outliers.cpu().numpy(),
    )


def _check_shapes(
    alpha: np.ndarray, beta: np.ndarray, X: torch.Tensor, masks: np.ndarray
) -> None:
    """Raise ValueError if the arrays of one evaluation disagree in shape."""
    if X.ndim != 3:
        raise ValueError(f"X must have shape (trials, K, d), got {tuple(X.shape)}.")
    if masks.ndim != 2:
        raise ValueError(f"masks must have shape (trials, N), got {masks.shape}.")
    if X.shape[1] != len(alpha):
        raise ValueError(
            f"X holds K={X.shape[1]} inputs per trial but alpha has {len(alpha)} "
            "points; use one alpha per input."
        )
    if masks.shape[1] != len(beta):
        raise ValueError(
            f"masks has N={masks.shape[1]} columns but beta has {len(beta)} "
            "points; use the trace drawn for this N."
        )
    if len(alpha) > len(beta):
        raise ValueError(
            f"K={len(alpha)} inputs but N={len(beta)} workers; a code needs at "
            f"least as many workers as inputs, so use N >= {len(alpha)} or fewer "
            "inputs."
        )
    if masks.shape[0] != X.shape[0]:
        raise ValueError(
            f"masks has {masks.shape[0]} trials but X has {X.shape[0]}; give one "
            "straggler pattern per trial."
        )
