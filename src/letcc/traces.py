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
from pathlib import Path

import numpy as np

from letcc.atomic import atomic_path

logger = logging.getLogger(__name__)

#: Straggler models this module can generate.
MODELS = ("uniform", "worstgap", "bernoulli", "latency")

#: Service-time laws and answer rules of the latency model.
LATENCY_LAWS = ("exponential", "pareto")
LATENCY_KEEP = ("first", "deadline")

#: Fewest survivors a pattern may leave: a spline or rational decoder needs two
#: points to define anything but a constant.
MIN_SURVIVORS = 2

# Tag mixed into the seed so the trace stream is independent of every other
# stream drawn from the same config seed (inputs, network weights).
_STREAM_TAG = 0x7472  # "tr"
_WORST_TAG = 0x7767  # "wg": tie-breaks of the worst-gap model
_BERNOULLI_TAG = 0x6265  # "be"
_LATENCY_TAG = 0x6C61  # "la"

# Relative tolerance under which two gaps count as equally wide: equispaced
# points differ by rounding only, and every such block is a worst case.
_GAP_RTOL = 1e-9


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


def worstgap_masks(
    beta: np.ndarray,
    S: int,
    trials: int,
    seed: int,
    alpha: np.ndarray | None = None,
) -> np.ndarray:
    """Straggle a contiguous block of S workers that leaves the widest gap.

    Parameters
    ----------
    beta : np.ndarray, shape (N,)
        Worker points, strictly ascending.
    S : int
        Stragglers per trial, ``0 <= S <= N - 2``.
    trials : int
        Number of patterns, at least 1.
    seed : int
        Config seed, >= 0; breaks ties, through a generator seeded with
        ``[seed, tag, N, S]``.
    alpha : np.ndarray, shape (K,), optional
        Input points. When given, each trial draws one input point uniformly
        and straggles the widest-gap block whose gap is centred nearest to
        it, so the gap falls where a result is decoded.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        True marks a survivor; each row straggles workers ``s .. s + S - 1``
        for one block start ``s``.

    Raises
    ------
    ValueError
        If a size is out of range or ``beta`` is not strictly ascending.

    Notes
    -----
    Only interior blocks count (a survivor on each side), since the claim
    concerns the gap between survivors: removing workers ``s .. s + S - 1``
    leaves the gap ``beta[s + S] - beta[s - 1]``, which spans ``S + 1``
    spacings. The widest such gaps are kept (to a relative 1e-9, so every
    block of equispaced points ties); without ``alpha`` a trial picks one of
    them uniformly. Against chebyshev2 points the widest gap is the central
    one, which sits between input points when K is even, so the model is
    adversarial only where the points leave ties to break.
    """
    beta = np.asarray(beta, dtype=float)
    N = beta.shape[0]
    _check_sizes(N=N, S=S, trials=trials, seed=seed)
    if beta.ndim != 1 or np.any(np.diff(beta) <= 0):
        raise ValueError("beta must be 1-D and strictly ascending.")

    masks = np.ones((trials, N), dtype=bool)
    if S == 0:
        return masks

    # Block s removes workers s..s+S-1; survivors s-1 and s+S bound the gap.
    starts = np.arange(1, N - S)
    gaps = beta[starts + S] - beta[starts - 1]
    widest = starts[gaps >= gaps.max() * (1 - _GAP_RTOL)]

    rng = np.random.default_rng([seed, _WORST_TAG, N, S])
    if alpha is None:
        chosen = rng.choice(widest, size=trials)
    else:
        alpha = np.asarray(alpha, dtype=float)
        targets = alpha[rng.integers(0, alpha.shape[0], size=trials)]
        centres = (beta[widest + S] + beta[widest - 1]) / 2
        nearest = np.argmin(np.abs(centres[None, :] - targets[:, None]), axis=1)
        chosen = widest[nearest]

    blocks = chosen[:, None] + np.arange(S)[None, :]
    np.put_along_axis(masks, blocks, False, axis=1)
    return masks


def bernoulli_masks(N: int, S: int, trials: int, seed: int) -> np.ndarray:
    """Straggle each worker independently with probability ``p = S / N``.

    Parameters
    ----------
    N : int
        Number of workers, at least 2.
    S : int
        Expected stragglers per trial, ``0 <= S <= N - 2``; ``p = S / N``.
    trials : int
        Number of patterns, at least 1.
    seed : int
        Config seed, >= 0; the generator is seeded with ``[seed, tag, N, S]``.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        True marks a survivor; the number of survivors varies between rows.

    Notes
    -----
    A row with fewer than :data:`MIN_SURVIVORS` survivors is redrawn (from
    the same generator, in order) until it has enough, so the rows follow
    the Bernoulli law conditioned on at least two survivors. With
    ``S <= N - 2`` a row is rejected with probability at most about 0.4
    (``N = 20``, ``S = 18``), so few redraws are needed.
    """
    _check_sizes(N=N, S=S, trials=trials, seed=seed)
    rng = np.random.default_rng([seed, _BERNOULLI_TAG, N, S])
    p = S / N

    masks = rng.random((trials, N)) >= p
    bad = np.flatnonzero(masks.sum(axis=1) < MIN_SURVIVORS)
    while bad.size:
        masks[bad] = rng.random((bad.size, N)) >= p
        bad = bad[masks[bad].sum(axis=1) < MIN_SURVIVORS]
    return masks


def worker_latencies(
    N: int,
    trials: int,
    seed: int,
    *,
    distribution: str = "pareto",
    pareto_shape: float = 2.0,
    heterogeneity: float = 0.0,
    shift: float = 1.0,
    scale: float = 1.0,
    stream: int = 0,
) -> np.ndarray:
    """Draw every worker's latency in every trial.

    Worker ``n`` in trial ``t`` answers after
    ``shift + scale * c_n * X[t, n]`` seconds, where ``X`` is i.i.d. standard
    exponential (``"exponential"``) or Pareto with minimum 1 and tail index
    ``pareto_shape`` (``"pareto"``), and ``c_n = exp(heterogeneity * z_n)``
    with ``z_n`` standard normal is the worker's slowness, drawn once for all
    trials (the same cluster in every trial).

    Parameters
    ----------
    N, trials : int
        Workers and trials, each >= 1.
    seed : int
        Config seed, >= 0. The slowness comes from a generator seeded with
        ``[seed, tag, N]`` (one cluster per N and seed), the service times
        from one seeded with ``[seed, tag, N, stream]``.
    distribution : {"exponential", "pareto"}
    pareto_shape : float, default 2
        Tail index of the Pareto law, > 0.
    heterogeneity : float, default 0
        Std of ``log c_n``, >= 0; 0 makes all workers identical.
    shift, scale : float, default 1
        Common shift (s) and scale (s) of every latency.
    stream : int, default 0
        Extra seed entry of the service times (the trace's S), so traces of
        different S draw different times on the same cluster.

    Returns
    -------
    np.ndarray, float64, shape (trials, N)
        Latencies in seconds.
    """
    if distribution not in LATENCY_LAWS:
        raise ValueError(
            f"distribution={distribution!r} is unknown; use one of {LATENCY_LAWS}."
        )
    if not pareto_shape > 0 or not heterogeneity >= 0:
        raise ValueError(
            f"pareto_shape={pareto_shape} must be > 0 and heterogeneity="
            f"{heterogeneity} >= 0."
        )
    # The cluster (each worker's slowness) depends on N and the seed only, so
    # traces of different S describe the same workers.
    cluster = np.random.default_rng([seed, _LATENCY_TAG, N])
    slowness = np.exp(heterogeneity * cluster.standard_normal(N))

    rng = np.random.default_rng([seed, _LATENCY_TAG, N, stream])
    if distribution == "exponential":
        base = rng.standard_exponential((trials, N))
    else:
        base = 1.0 + rng.pareto(pareto_shape, (trials, N))
    return shift + scale * slowness[None, :] * base


def latency_masks(
    N: int,
    S: int,
    trials: int,
    seed: int,
    *,
    distribution: str = "pareto",
    pareto_shape: float = 2.0,
    heterogeneity: float = 0.0,
    keep: str = "first",
) -> np.ndarray:
    """Stragglers from simulated worker latencies (:func:`worker_latencies`).

    Parameters
    ----------
    N : int
        Number of workers, at least 2.
    S : int
        ``0 <= S <= N - 2``: the stragglers per trial (``keep="first"``), or
        their expected number (``keep="deadline"``).
    trials, seed : int
        As in :func:`uniform_masks`.
    distribution, pareto_shape, heterogeneity
        See :func:`worker_latencies`.
    keep : {"first", "deadline"}
        ``"first"``: the master keeps the first ``N - S`` answers of each
        trial. ``"deadline"``: it keeps every answer that arrives by a
        deadline, the ``1 - S/N`` quantile of all latencies drawn for the
        trace, so that S workers per trial miss it on average.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        True marks a survivor.

    Notes
    -----
    A common shift and scale do not change which workers answer first nor
    the quantile deadline's verdicts, so they are not parameters here. With
    ``heterogeneity=0`` the workers are exchangeable: ``"first"`` then draws
    the same law as :func:`uniform_masks` and ``"deadline"`` nearly that of
    :func:`bernoulli_masks`; what this model adds is persistently slow
    workers. Under ``"deadline"``, a trial in which fewer than two workers
    beat the deadline keeps waiting for the second answer.
    """
    _check_sizes(N=N, S=S, trials=trials, seed=seed)
    if keep not in LATENCY_KEEP:
        raise ValueError(f"keep={keep!r} is unknown; use one of {LATENCY_KEEP}.")
    latency = worker_latencies(
        N,
        trials,
        seed,
        distribution=distribution,
        pareto_shape=pareto_shape,
        heterogeneity=heterogeneity,
        stream=S,
    )

    # Rank of each worker's answer within its trial, 0 = first to arrive.
    rank = np.argsort(np.argsort(latency, axis=1), axis=1)
    if keep == "first":
        return rank < N - S
    deadline = np.quantile(latency, 1.0 - S / N)
    return (latency <= deadline) | (rank < MIN_SURVIVORS)


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

    # Atomic: a killed job never leaves a truncated trace that a later run
    # would take as valid.
    with atomic_path(path) as tmp:
        np.savez(tmp, masks=masks, N=masks.shape[1], S=S, seed=seed, model=model)
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
            "pattern must leave at least two workers, so draw the trace with "
            f"S <= N - {MIN_SURVIVORS} stragglers."
        )


def generate_trace_file(
    path: str | os.PathLike,
    *,
    N: int,
    S: int,
    trials: int,
    seed: int,
    model: str = "uniform",
    beta: np.ndarray | None = None,
    alpha: np.ndarray | None = None,
    latency: dict | None = None,
) -> np.ndarray:
    """Draw a trace with the named model and write it to ``path``.

    Parameters
    ----------
    path : path-like
        Destination ``.npz`` file.
    N, S, trials, seed : int
        See :func:`uniform_masks`.
    model : {"uniform", "worstgap", "bernoulli", "latency"}
        Straggler model.
    beta : np.ndarray, shape (N,), optional
        Worker points; required by ``"worstgap"``.
    alpha : np.ndarray, shape (K,), optional
        Input points for ``"worstgap"`` (see :func:`worstgap_masks`).
    latency : dict, optional
        Keyword arguments of :func:`latency_masks` (``distribution``,
        ``pareto_shape``, ``heterogeneity``, ``keep``) for ``"latency"``.

    Returns
    -------
    masks : np.ndarray of bool, shape (trials, N)
        The patterns written.

    Raises
    ------
    ValueError
        If ``model`` is unknown, a size is out of range, or ``"worstgap"``
        lacks ``beta`` or gets one of the wrong length.
    """
    if model not in MODELS:
        raise ValueError(f"model={model!r} is unknown; use one of {MODELS}.")
    if model == "worstgap":
        if beta is None or len(beta) != N:
            raise ValueError(
                f"model='worstgap' needs the N={N} worker points as beta, got "
                f"{None if beta is None else len(beta)} points."
            )
        masks = worstgap_masks(beta, S, trials, seed, alpha=alpha)
        save_trace(path, masks, S=S, seed=seed, model=model)
        return masks
    if model == "bernoulli":
        masks = bernoulli_masks(N=N, S=S, trials=trials, seed=seed)
    elif model == "latency":
        masks = latency_masks(N=N, S=S, trials=trials, seed=seed, **(latency or {}))
    else:
        masks = uniform_masks(N=N, S=S, trials=trials, seed=seed)
    save_trace(path, masks, S=S, seed=seed, model=model)
    return masks
