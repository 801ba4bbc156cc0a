"""The synthetic experiment: a fixed random tanh network as the function f.

The network ``f(x) = W2 tanh(W1 x + b1) + b2`` maps R^d to R^m. It is smooth
and Lipschitz, so it satisfies the assumptions of the paper's noiseless rate
(``docs/method.md``, Claimed rates) while being cheap enough to evaluate on
every coded input of every trial at once.

Every random draw comes from its own ``numpy`` Generator seeded with the config
seed and a stream tag, so the network and the inputs do not depend on N: all N
of one run see the same function and the same inputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from letcc.coding import get_scheme, points
from letcc.experiment import evaluate_coded, resolve_device

logger = logging.getLogger(__name__)

# Stream tags: independent generators for weights and inputs from one seed.
_NETWORK_TAG = 0x6E6574  # "net"
_INPUT_TAG = 0x696E70  # "inp"

#: Convention of every lam written by this module: "paper", whose data term is
#: normalised by 1/n (``docs/method.md``, Convention warning); scipy's lam is n
#: times larger. Schemes without a lam get "none".
LAM_CONVENTION = "paper"

#: Columns of the per-run and gathered result tables, in order.
COLUMNS = (
    "scheme",
    "N",
    "S",
    "K",
    "trial",
    "seed",
    "mse",
    "n_nonfinite",
    "n_outliers",
    "alpha_points",
    "beta_points",
    "lam_enc",
    "lam_dec",
    "lam_convention",
)


@dataclass(frozen=True)
class TanhNetwork:
    """A one-hidden-layer tanh network, ``f(x) = W2 tanh(W1 x + b1) + b2``.

    Attributes
    ----------
    W1 : torch.Tensor, float64, shape (hidden, d)
    b1 : torch.Tensor, float64, shape (hidden,)
    W2 : torch.Tensor, float64, shape (m, hidden)
    b2 : torch.Tensor, float64, shape (m,)
    """

    W1: torch.Tensor
    b1: torch.Tensor
    W2: torch.Tensor
    b2: torch.Tensor

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate f on a batch.

        Parameters
        ----------
        x : torch.Tensor, float64, shape (..., d)

        Returns
        -------
        torch.Tensor, float64, shape (..., m)
        """
        return torch.tanh(x @ self.W1.T + self.b1) @ self.W2.T + self.b2

    def to(self, device: str | torch.device) -> TanhNetwork:
        """Return a copy whose weights live on ``device``."""
        return TanhNetwork(
            *(w.to(device) for w in (self.W1, self.b1, self.W2, self.b2))
        )


def make_network(d: int, m: int, hidden: int, seed: int) -> TanhNetwork:
    """Draw a random tanh network.

    Parameters
    ----------
    d, m, hidden : int
        Input, output and hidden widths, each >= 1.
    seed : int
        Config seed, >= 0.

    Returns
    -------
    TanhNetwork
        Float64 weights on the CPU. ``W1`` has i.i.d. N(0, 1/d) entries, so a
        standard normal input gives pre-activations of unit variance (tanh is
        neither saturated nor linear); ``W2`` has N(0, 1/hidden) entries, so
        outputs are of unit scale; biases are N(0, 1) and N(0, 0.1^2).
    """
    for name, value in (("d", d), ("m", m), ("hidden", hidden)):
        if value < 1:
            raise ValueError(f"{name}={value}; the network needs {name} >= 1.")

    rng = np.random.default_rng([seed, _NETWORK_TAG, d, m, hidden])

    W1 = rng.normal(0.0, 1.0 / np.sqrt(d), size=(hidden, d))
    b1 = rng.normal(0.0, 1.0, size=hidden)
    W2 = rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(m, hidden))
    b2 = rng.normal(0.0, 0.1, size=m)
    return TanhNetwork(*(torch.from_numpy(w) for w in (W1, b1, W2, b2)))


def make_inputs(trials: int, K: int, d: int, seed: int) -> torch.Tensor:
    """Draw the K inputs of every trial, i.i.d. standard normal.

    Parameters
    ----------
    trials, K, d : int
        Number of trials, inputs per trial and input dimension, each >= 1.
    seed : int
        Config seed, >= 0.

    Returns
    -------
    torch.Tensor, float64, shape (trials, K, d)
    """
    rng = np.random.default_rng([seed, _INPUT_TAG, K, d])
    return torch.from_numpy(rng.standard_normal((trials, K, d)))


def run_synthetic(
    masks: np.ndarray,
    *,
    K: int,
    S: int,
    d: int,
    m: int,
    hidden: int,
    seed: int,
    alpha_points: str,
    beta_points: str,
    schemes: dict[str, dict[str, Any]],
    device: str = "cpu",
) -> pd.DataFrame:
    """Evaluate every scheme on one N with the given straggler patterns.

    Parameters
    ----------
    masks : np.ndarray of bool, shape (trials, N)
        Survivor masks from a trace file, True = survivor.
    K : int
        Inputs per trial.
    S : int
        Stragglers per trial (recorded; the patterns come from ``masks``).
    d, m, hidden : int
        Network widths, see :func:`make_network`.
    seed : int
        Config seed for the network and the inputs.
    alpha_points, beta_points : str
        Point kinds for :func:`letcc.coding.points`.
    schemes : dict
        Scheme name -> keyword arguments of :func:`letcc.coding.get_scheme`,
        e.g. ``{"letcc": {"lam_enc": 0.0, "lam_dec": 1e-6}, "bacc": {}}``.
        Lams are in the paper's convention (data term normalised by 1/n).
    device : {"cpu", "cuda", "auto"}
        Where the batched products run.

    Returns
    -------
    pd.DataFrame
        One row per (scheme, trial) with the columns :data:`COLUMNS`. ``mse``
        is the mean over inputs and output coordinates of the squared error
        (see :func:`letcc.experiment.evaluate_coded`).
    """
    trials, N = masks.shape
    dev = resolve_device(device)

    alpha = points(alpha_points, K)
    beta = points(beta_points, N)
    f = make_network(d, m, hidden, seed).to(dev)
    X = make_inputs(trials, K, d, seed)

    frames = []
    for name, kwargs in schemes.items():
        scheme = get_scheme(name, **kwargs)
        result = evaluate_coded(scheme, alpha, beta, X, f, masks, device=dev)
        logger.info(
            "%s N=%d: mean MSE %.3e over %d trials, %d non-finite and %d "
            "outlying outputs",
            name,
            N,
            result.mse.mean(),
            trials,
            result.n_nonfinite.sum(),
            result.n_outliers.sum(),
        )
        frames.append(
            pd.DataFrame(
                {
                    "scheme": name,
                    "N": N,
                    "S": S,
                    "K": K,
                    "trial": np.arange(trials),
                    "seed": seed,
                    "mse": result.mse,
                    "n_nonfinite": result.n_nonfinite,
                    "n_outliers": result.n_outliers,
                    "alpha_points": alpha_points,
                    "beta_points": beta_points,
                    "lam_enc": kwargs.get("lam_enc", np.nan),
                    "lam_dec": kwargs.get("lam_dec", np.nan),
                    "lam_convention": LAM_CONVENTION if "lam_enc" in kwargs else "none",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def gather_results(paths: list[str]) -> pd.DataFrame:
    """Concatenate per-run tables into one tidy table.

    Parameters
    ----------
    paths : list of str
        CSV files written from :func:`run_synthetic`.

    Returns
    -------
    pd.DataFrame
        All rows, sorted by scheme, N, S, K, seed and trial.

    Raises
    ------
    ValueError
        If a file lacks one of :data:`COLUMNS` or two files hold the same
        (scheme, N, S, K, seed, trial) row.
    """
    if not paths:
        raise ValueError("no result files to gather; check synthetic.N.")
    frames = []
    for path in paths:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise ValueError(f"{path} lacks columns {sorted(missing)}; rerun it.")
        frames.append(frame[list(COLUMNS)])

    table = pd.concat(frames, ignore_index=True)

    keys = ["scheme", "N", "S", "K", "seed", "trial"]
    dup = table.duplicated(keys)
    if dup.any():
        first = table.loc[dup, keys].iloc[0].to_dict()
        raise ValueError(
            f"{int(dup.sum())} duplicated rows, first {first}; each "
            "(scheme, N, S, K, seed) must come from exactly one file."
        )
    return table.sort_values(keys, ignore_index=True)
