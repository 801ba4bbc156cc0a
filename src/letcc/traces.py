"""Straggler traces: which workers answer in each trial.

A trace is a boolean matrix ``masks`` of shape ``(trials, N)`` whose entry
``masks[t, n]`` is True when worker ``n`` answered in trial ``t`` (a survivor)
and False when it straggled. Every experiment reads its straggler patterns from
a trace file, so all schemes compared in one run see the same patterns (the
paired comparison required by ``docs/method.md``, section Metrics).

File format (``.npz``): ``masks`` (trials, N) bool, and the metadata scalars
``N``, ``S``, ``seed`` and ``model`` (the straggler model, a string).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

#: Straggler models this module can generate.
MODELS = ("uniform",)

#: Fewest survivors a pattern may leave: a spline or rational decoder needs two
#: points to define anything but a constant.
MIN_SURVIVORS = 2

# Tag mixed into the seed so the trace stream is independent of every other
# stream drawn from the same config seed (inputs, network weights).
_STREAM_TAG = 0x7472  # "tr"


def uniform_masks(N: int, S: int, trials: int, seed: int) -> np.ndarray:
    """Draw straggler patterns with S stragglers chosen uniformly at random.

    Parameters
    ----------
    N : int
        Number of workers, at least 2.
    S : int
        Stragglers per trial, ``0 <= S <= N - 2``.
    trials : int
        Number of independent patterns, at least 1.
    seed : int
        Config seed, >= 0. The generator is seeded with ``[seed, tag, N, S]``
        so each (N, S) gets its own reproducible stream.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        True marks a survivor. Each row has exactly ``N - S`` True entries.

    Raises
    ------
    ValueError
        If an argument is out of range; the message names it and its value.
    """
    _check_sizes(N=N, S=S, trials=trials, seed=seed)

    rng = np.random.default_rng([seed, _STREAM_TAG, N, S])

    # Ranking i.i.d. uniforms gives a uniformly random permutation per row;
    # its first S entries are a uniformly random S-subset.
    order = np.argsort(rng.random((trials, N)), axis=1)
    masks = np.ones((trials, N), dtype=bool)
    np.put_along_axis(masks, order[:, :S], False, axis=1)
    return masks


def _check_sizes(*, N: int, S: int, trials: int, seed: int) -> None:
    """Raise ValueError naming the first out-of-range trace setting."""
    if N < MIN_SURVIVORS:
        raise ValueError(f"N={N} is too small; use N >= {MIN_SURVIVORS}.")
    if not 0 <= S <= N - MIN_SURVIVORS:
        raise ValueError(
            f"S={S} with N={N} leaves {N - S} survivors; use 0 <= S <= "
            f"{N - MIN_SURVIVORS} so at least {MIN_SURVIVORS} workers answer."
        )
    if trials < 1:
        raise ValueError(f"trials={trials}; use trials >= 1.")
    if seed < 0:
        raise ValueError(f"seed={seed}; use a non-negative integer seed.")


def save_trace(
    path: str | os.PathLike,
    masks: np.ndarray,
    *,
    S: int,
    seed: int,
    model: str = "uniform",
) -> None:
    """Write a trace file atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.npz`` file; its folder is created if missing.
    masks : np.ndarray of bool, shape (trials, N)
        Survivor masks, True = survivor.
    S : int
        Stragglers per trial used to draw ``masks`` (metadata).
    seed : int
        Config seed used to draw ``masks`` (metadata).
    model : str, default "uniform"
        Straggler model name (metadata).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    masks = np.asarray(masks)
    _check_masks(masks, source=str(path))

    # Write next to the target and rename, so a killed job never leaves a
    # truncated trace that a later run would take as valid.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, masks=masks, N=masks.shape[1], S=S, seed=seed, model=model)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info(
        "wrote trace %s: %d trials, N=%d, S=%d, seed=%d, model=%s",
        path,
        masks.shape[0],
        masks.shape[1],
        S,
        seed,
        model,
    )


def load_trace(path: str | os.PathLike, N: int | None = None) -> np.ndarray:
    """Read and validate a trace file.

    Parameters
    ----------
    path : path-like
        A ``.npz`` file written by :func:`save_trace`.
    N : int, optional
        Expected number of workers. When given, the file's N must match.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        True marks a survivor.

    Raises
    ------
    ValueError
        If the file lacks ``masks`` or ``N``, if ``masks`` is not a 2-D bool
        array, if its width disagrees with the stored or the expected N, or if
        a row has fewer than two survivors. The message names the file.
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        missing = {"masks", "N"} - set(data.files)
        if missing:
            raise ValueError(
                f"trace {path} lacks {sorted(missing)}; regenerate it with "
                "letcc.traces.save_trace."
            )
        masks = data["masks"]
        stored_N = int(data["N"])

    _check_masks(masks, source=str(path))
    if masks.shape[1] != stored_N:
        raise ValueError(
            f"trace {path} is inconsistent: masks has {masks.shape[1]} columns "
            f"but the file records N={stored_N}; regenerate the file."
        )
    if N is not None and stored_N != N:
        raise ValueError(
            f"trace {path} holds N={stored_N} workers but N={N} was expected; "
            "use the trace generated for this N."
        )
    return masks


def _check_masks(masks: np.ndarray, *, source: str) -> None:
    """Check the shape, dtype and survivor count of a mask array."""
    if masks.ndim != 2:
        raise ValueError(
            f"trace {source}: masks must be 2-D (trials, N), got shape {masks.shape}."
        )
    if masks.dtype != np.bool_:
        raise ValueError(
            f"trace {source}: masks must have dtype bool, got {masks.dtype}."
        )
    survivors = masks.sum(axis=1)
    bad = np.flatnonzero(survivors < MIN_SURVIVORS)
    if bad.size:
        raise ValueError(
            f"trace {source}: rows {bad[:5].tolist()} have fewer than "
            f"{MIN_SURVIVORS} survivors ({survivors[bad[:5]].tolist()}); every "
            "pattern must leave at least two workers."
        )


def generate_trace_file(
    path: str | os.PathLike,
    *,
    N: int,
    S: int,
    trials: int,
    seed: int,
    model: str = "uniform",
) -> np.ndarray:
    """Draw a trace with the named model and write it to ``path``.

    Parameters
    ----------
    path : path-like
        Destination ``.npz`` file.
    N, S, trials, seed : int
        See :func:`uniform_masks`.
    model : {"uniform"}
        Straggler model.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        The patterns written.

    Raises
    ------
    ValueError
        If ``model`` is unknown or a size is out of range.
    """
    if model not in MODELS:
        raise ValueError(f"model={model!r} is unknown; use one of {MODELS}.")
    masks = uniform_masks(N=N, S=S, trials=trials, seed=seed)
    save_trace(path, masks, S=S, seed=seed, model=model)
    return masks
