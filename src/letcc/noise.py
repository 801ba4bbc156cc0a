"""Noise draws of the noisy setting, stored like straggler traces.

In the noisy computation of ``docs/method.md`` (Claimed rates), worker ``n``
returns ``y_n = f(x~_n) + e_n`` with ``e_n`` zero mean and variance
``sigma^2``. The standard normal draws ``z`` behind ``e = sigma z`` are
written once per (N, width, trials, seed) to a file that every scheme reads,
so all schemes see the same noise (a paired comparison); ``sigma`` scales
them at use, so one file serves every noise level.

File format (``.npz``): ``noise`` (trials, N, width) float64, and the
metadata scalars ``N``, ``width`` and ``seed``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from letcc.atomic import atomic_path

logger = logging.getLogger(__name__)

# Tag mixed into the seed: independent of the traces, weights and inputs
# drawn from the same config seed.
_NOISE_TAG = 0x6E6F69  # "noi"


def standard_noise(trials: int, N: int, width: int, seed: int) -> np.ndarray:
    """Draw i.i.d. standard normal worker noise.

    Parameters
    ----------
    trials : int
        Number of trials, >= 1.
    N : int
        Number of workers, >= 1.
    width : int
        Output coordinates per worker, >= 1; a function with fewer outputs
        uses the first ones.
    seed : int
        Config seed, >= 0. The generator is seeded with
        ``[seed, tag, N, width]``, so each (N, width) has its own stream.

    Returns
    -------
    np.ndarray, float64, shape (trials, N, width)
        Unit-variance draws; multiply by ``sigma`` for the noise.

    Raises
    ------
    ValueError
        If a size is below its minimum; the message names it.
    """
    for name, value, low in (
        ("trials", trials, 1),
        ("N", N, 1),
        ("width", width, 1),
        ("seed", seed, 0),
    ):
        if int(value) != value or value < low:
            raise ValueError(f"{name}={value!r}; use an integer >= {low}.")
    rng = np.random.default_rng([seed, _NOISE_TAG, N, width])
    return rng.standard_normal((trials, N, width))


def save_noise(path: str | os.PathLike, noise: np.ndarray, *, seed: int) -> None:
    """Write noise draws atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.npz`` file; its folder is created if missing.
    noise : np.ndarray, float64, shape (trials, N, width)
    seed : int
        Config seed the draws came from (metadata).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = np.asarray(noise, dtype=np.float64)
    if noise.ndim != 3:
        raise ValueError(
            f"noise must have shape (trials, N, width), got {noise.shape}."
        )

    # Atomic: a killed job never leaves a truncated file.
    with atomic_path(path) as tmp:
        np.savez(tmp, noise=noise, N=noise.shape[1], width=noise.shape[2], seed=seed)
    logger.info("wrote noise %s: shape %s, seed=%d", path, noise.shape, seed)


def load_noise(
    path: str | os.PathLike, *, N: int | None = None, trials: int | None = None
) -> np.ndarray:
    """Read noise draws, checking their shape.

    Parameters
    ----------
    path : path-like
        A file written by :func:`save_noise`.
    N, trials : int, optional
        Expected workers and trials; checked when given.

    Returns
    -------
    np.ndarray, float64, shape (trials, N, width)

    Raises
    ------
    ValueError
        If the file lacks ``noise``, holds non-finite values, or its shape
        disagrees with ``N`` or ``trials``. The message names the file.
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        if "noise" not in data.files:
            raise ValueError(
                f"noise file {path} lacks 'noise'; regenerate it with "
                "letcc.noise.save_noise."
            )
        noise = data["noise"]
    if noise.ndim != 3 or not np.isfinite(noise).all():
        raise ValueError(
            f"noise file {path} must hold finite values of shape "
            f"(trials, N, width), got shape {noise.shape}."
        )
    for name, expected, got in (
        ("N", N, noise.shape[1]),
        ("trials", trials, noise.shape[0]),
    ):
        if expected is not None and expected != got:
            raise ValueError(
                f"noise file {path} holds {name}={got} but {name}={expected} was "
                "expected; use the file generated for this setting."
            )
    return noise


def generate_noise_file(
    path: str | os.PathLike, *, trials: int, N: int, width: int, seed: int
) -> np.ndarray:
    """Draw noise with :func:`standard_noise` and write it to ``path``.

    Returns
    -------
    np.ndarray, float64, shape (trials, N, width)
        The draws written.
    """
    noise = standard_noise(trials, N, width, seed)
    save_noise(path, noise, seed=seed)
    return noise
