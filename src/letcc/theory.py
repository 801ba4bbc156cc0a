"""Experiments that check the paper's theory: rates, noise and the decomposition.

Three runners write the tidy tables that the theory figures and audit
notebooks are drawn from (``docs/method.md``: "Why this choice" and "Claimed
rates"):

- :func:`run_noiseless`: per-trial MSE of LeTCC, BACC and Lagrange with
  noiseless workers, for one straggler model and a list of (N, S);
- :func:`run_noisy`: per-trial MSE with Gaussian worker noise, LeTCC's
  ``lam_dec`` chosen by a stated schedule, a validation grid, or
  generalised cross-validation per straggler pattern, and BACC;
- :func:`run_landscape`: on a grid of ``(lam_enc, lam_dec)``, the loss and
  the two terms of its upper bound, on test and validation draws.

All runs are paired: every scheme and every smoothing rule sees the same
inputs (:func:`letcc.synthetic.make_inputs`), the same straggler patterns
(trace files) and the same noise (noise files). The work is small, so it
runs on the CPU.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from letcc._splines import SurvivorSplines, _q_transpose, solve_pentadiagonal
from letcc.coding import get_scheme, points
from letcc.experiment import evaluate_coded
from letcc.functions import make_function, output_dim
from letcc.gcv import select_gcv, smooth_per_pattern
from letcc.noise import standard_noise
from letcc.synthetic import make_inputs
from letcc.traces import uniform_masks

logger = logging.getLogger(__name__)

#: Convention of every lam written here: the paper's mean data term (1/n).
LAM_CONVENTION = "paper"

#: Columns of the noiseless table, in order.
NOISELESS_COLUMNS = (
    "experiment",
    "function",
    "stragglers",
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

#: Columns of the noisy table, in order.
NOISY_COLUMNS = (
    "function",
    "stragglers",
    "scheme",
    "lam_rule",
    "N",
    "S",
    "K",
    "sigma",
    "trial",
    "seed",
    "validation_seed",
    "mse",
    "lam_enc",
    "lam_dec",
    "lam_convention",
    "alpha_points",
    "beta_points",
)

#: Columns of the landscape (decomposition) table, in order.
LANDSCAPE_COLUMNS = (
    "function",
    "split",
    "N",
    "S",
    "K",
    "sigma",
    "trial",
    "seed",
    "validation_seed",
    "lam_enc",
    "lam_dec",
    "loss",
    "dec_gen",
    "enc_train",
    "lipschitz",
    "radius",
    "m_out",
    "lam_convention",
    "alpha_points",
    "beta_points",
)

#: The ways the noisy runs choose LeTCC's ``lam_dec``.
LAM_RULES = ("interpolate", "schedule", "validation", "gcv")


@dataclass(frozen=True)
class Setup:
    """Settings shared by every theory run.

    Attributes
    ----------
    functions : tuple of str
        Names from :data:`letcc.functions.FUNCTIONS`.
    d : int
        Input dimension of every function.
    m : int
        Output dimension of the tanh network.
    hidden : int
        Hidden width of the tanh network.
    K : int
        Inputs coded together per trial.
    seed : int
        Config seed: network weights and test inputs.
    alpha_points, beta_points : str
        Point families (:func:`letcc.coding.points`).
    """

    functions: tuple
    d: int
    m: int
    hidden: int
    K: int
    seed: int
    alpha_points: str
    beta_points: str

    def function(self, name):
        """The function ``name`` with this setup's sizes and weights."""
        return make_function(
            name, d=self.d, m=self.m, hidden=self.hidden, seed=self.seed
        )

    def alpha(self):
        """Input points, shape (K,)."""
        return points(self.alpha_points, self.K)

    def beta(self, N):
        """Worker points, shape (N,)."""
        return points(self.beta_points, N)

    def noise_width(self):
        """Output coordinates the noise files must cover: the widest function."""
        return max(output_dim(name, d=self.d, m=self.m) for name in self.functions)


def run_noiseless(traces, setup, *, experiment, stragglers, lagrange_max_N=0):
    """Per-trial MSE of every scheme with noiseless workers.

    Parameters
    ----------
    traces : sequence of (int, int, np.ndarray)
        ``(N, S, masks)`` per setting; ``masks`` of shape (trials, N), True
        for survivors, read from a trace file.
    setup : Setup
    experiment : str
        Label of the sweep, e.g. ``"rate_N"`` or ``"rate_S"``.
    stragglers : str
        Straggler model that drew the masks (recorded).
    lagrange_max_N : int, default 0
        Lagrange runs only where ``N <= lagrange_max_N``: over the reals its
        maps grow exponentially with N.

    Returns
    -------
    pd.DataFrame
        One row per (function, N, S, scheme, trial), columns
        :data:`NOISELESS_COLUMNS`. ``mse`` is the mean over the K inputs and
        the output coordinates of the squared error. LeTCC interpolates both
        ways (``lam_enc = lam_dec = 0``): without noise, smoothing only adds
        bias.
    """
    frames = []
    alpha = setup.alpha()
    for N, S, masks in traces:
        trials = masks.shape[0]
        beta = setup.beta(N)
        X = make_inputs(trials, setup.K, setup.d, setup.seed)
        schemes = {"letcc": {"lam_enc": 0.0, "lam_dec": 0.0}, "bacc": {}}
        if N <= lagrange_max_N:
            schemes["lagrange"] = {}
        for name in setup.functions:
            f = setup.function(name)
            for scheme, params in schemes.items():
                result = evaluate_coded(
                    get_scheme(scheme, **params), alpha, beta, X, f, masks
                )
                logger.info(
                    "%s %s %s N=%d S=%d: mean MSE %.3e",
                    experiment,
                    name,
                    scheme,
                    N,
                    S,
                    result.mse.mean(),
                )
                frames.append(
                    pd.DataFrame(
                        {
                            "experiment": experiment,
                            "function": name,
                            "stragglers": stragglers,
                            "scheme": scheme,
                            "N": N,
                            "S": S,
                            "K": setup.K,
                            "trial": np.arange(trials),
                            "seed": setup.seed,
                            "mse": result.mse,
                            "n_nonfinite": result.n_nonfinite,
                            "n_outliers": result.n_outliers,
                            "alpha_points": setup.alpha_points,
                            "beta_points": setup.beta_points,
                            "lam_enc": params.get("lam_enc", np.nan),
                            "lam_dec": params.get("lam_dec", np.nan),
                            "lam_convention": LAM_CONVENTION if params else "none",
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)[list(NOISELESS_COLUMNS)]


def encoder_roughness(alpha, X, lam_enc=0.0):
    """Penalty of the encoder curve per coordinate, ``(1/d) int ||u_enc''||^2``.

    Parameters
    ----------
    alpha : array-like, shape (K,)
        Input points, strictly ascending.
    X : torch.Tensor, float64, shape (T, K, d)
        Inputs of each trial.
    lam_enc : float, default 0
        Encoder smoothing parameter, paper convention.

    Returns
    -------
    np.ndarray, float64, shape (T,)
        ``(1/d) int_{alpha_1}^{alpha_K} ||u''(t)||^2 dt`` of each trial's
        encoder, in squared input units per unit of t^3.

    Notes
    -----
    For a natural cubic spline with second derivatives ``gamma`` at the
    interior knots, ``int u''^2 = gamma^T R gamma`` with ``R`` the
    tridiagonal Gram matrix of the knots (Green and Silverman, 1994,
    Theorem 2.1); the fit gives ``gamma = (R + lam_s Q^T Q)^{-1} Q^T x``.
    The spline is linear beyond the end knots, so nothing is added there.
    """
    alpha = torch.as_tensor(np.asarray(alpha, dtype=np.float64))
    T, K, d = X.shape
    masks = torch.ones(T, K, dtype=torch.bool)
    fits = SurvivorSplines.fit(alpha, alpha, masks, float(lam_enc))
    gamma = solve_pentadiagonal(*fits.bands, _q_transpose(fits.q, X.double()))

    h = torch.diff(alpha)
    diag = (h[:-1] + h[1:]) / 3
    off = h[1:-1] / 6
    energy = (diag[None, :, None] * gamma**2).sum(dim=(1, 2))
    energy = energy + 2 * (off[None, :, None] * gamma[:, :-1] * gamma[:, 1:]).sum(
        dim=(1, 2)
    )
    return (energy / d).numpy()


def schedule_lam(N, S, sigma, roughness):
    """The stated schedule of ``lam_dec`` in N and S for the noisy setting.

    Parameters
    ----------
    N : int
        Workers.
    S : int
        Stragglers; ``N - S`` results reach the decoder.
    sigma : float
        Noise standard deviation per output coordinate, > 0.
    roughness : float
        ``J``, the mean per-coordinate penalty of the encoder curve
        (:func:`encoder_roughness`), > 0.

    Returns
    -------
    float
        ``lam_dec = (sigma^2 / (4 (N - S) J))^(4/5)``, paper convention.

    Notes
    -----
    A smoothing spline fitted to ``n`` noisy samples of a curve ``g`` with
    penalty ``lam`` (mean data term) has, up to constants of order one, an
    integrated squared bias of order ``lam int g''^2`` and a variance of
    order ``sigma^2 / (n lam^(1/4))`` (its equivalent kernel has bandwidth
    ``lam^(1/4)``; Silverman 1984, Wahba 1990). Minimising the sum over lam
    gives ``lam = (sigma^2 / (4 n int g''^2))^(4/5)``, the classical
    ``n^(-4/5)`` order. The decoder fits ``g = f o u_enc`` from the
    ``n = N - S`` survivors; the master knows its encoder but not f, so
    ``int g''^2`` is stood in for by the encoder's own penalty ``J``, exact
    when f is the identity and of the right scale for the unit-slope
    functions here. S enters only through the survivor count: the largest
    gap, ``(S + 1)`` spacings, needs a bandwidth of that order, which
    ``lam^(1/4)`` exceeds for every setting of the default run. This is a
    schedule derived from classical smoothing-spline theory, not the
    paper's own choice, whose constants are not known here.
    """
    if N - S < 1 or sigma <= 0 or roughness <= 0:
        raise ValueError(
            f"schedule needs N - S >= 1, sigma > 0 and roughness > 0; got N={N}, "
            f"S={S}, sigma={sigma}, roughness={roughness}."
        )
    return float((sigma**2 / (4 * (N - S) * roughness)) ** 0.8)


def lam_grid(lam_min, lam_max, per_decade):
    """Log-spaced grid of smoothing parameters, both ends included.

    Parameters
    ----------
    lam_min, lam_max : float
        Ends, ``0 < lam_min < lam_max``, paper convention.
    per_decade : int
        Points per factor of 10, >= 1.

    Returns
    -------
    np.ndarray, float64, shape (G,)
    """
    if not 0 < lam_min < lam_max or per_decade < 1:
        raise ValueError(
            f"lam grid needs 0 < min < max and per_decade >= 1; got min={lam_min}, "
            f"max={lam_max}, per_decade={per_decade}."
        )
    decades = np.log10(lam_max) - np.log10(lam_min)
    count = int(round(decades * per_decade)) + 1
    return np.logspace(np.log10(lam_min), np.log10(lam_max), count)


def run_noisy(
    traces,
    setup,
    *,
    sigma,
    validation_seed,
    grid,
    lam_enc=0.0,
    refine_steps=16,
):
    """Per-trial MSE with noisy workers, for every way of choosing ``lam_dec``.

    Parameters
    ----------
    traces : sequence of (int, int, np.ndarray, np.ndarray)
        ``(N, S, masks, noise)`` per N: survivor masks (trials, N) from a
        trace file and standard normal draws (trials, N, width) from a noise
        file; worker n's output is ``f(x~_n) + sigma * noise[t, n, :m]``.
    setup : Setup
    sigma : float
        Noise standard deviation per output coordinate, > 0.
    validation_seed : int
        Seed of the validation draws (inputs, uniform straggler patterns and
        noise), independent of the test draws of ``setup.seed``.
    grid : np.ndarray, shape (G,)
        Candidate ``lam_dec`` for the validation and GCV rules, paper
        convention, ascending, positive.
    lam_enc : float, default 0
        LeTCC's encoder smoothing parameter.
    refine_steps : int, default 16
        Golden-section steps after the GCV grid search.

    Returns
    -------
    pd.DataFrame
        One row per (function, N, scheme, lam rule, trial), columns
        :data:`NOISY_COLUMNS`; ``lam_dec`` is the value used in that trial
        (GCV chooses one per pattern). The lam rules of LeTCC
        (:data:`LAM_RULES`) are ``interpolate`` (``lam_dec = 0``, a
        reference), ``schedule`` (:func:`schedule_lam`), ``validation`` (the
        grid value with the least mean MSE on the validation draws, applied
        to the test draws) and ``gcv`` (:func:`letcc.gcv.select_gcv` per test
        pattern, from the noisy outputs alone). BACC has ``lam_rule = none``.
    """
    alpha = setup.alpha()
    frames = []
    for N, S, masks, noise in traces:
        trials = masks.shape[0]
        beta = setup.beta(N)
        test = _Draws(
            X=make_inputs(trials, setup.K, setup.d, setup.seed),
            masks=masks,
            noise=noise,
        )
        validation = _Draws(
            X=make_inputs(trials, setup.K, setup.d, validation_seed),
            masks=uniform_masks(N, S, trials, validation_seed),
            noise=standard_noise(trials, N, noise.shape[2], validation_seed),
        )
        roughness = float(encoder_roughness(alpha, test.X, lam_enc).mean())
        scheduled = schedule_lam(N, S, sigma, roughness)
        letcc = get_scheme("letcc", lam_enc=lam_enc)

        for name in setup.functions:
            f = setup.function(name)
            Y, truth = _noisy_outputs(letcc, alpha, beta, test, f, sigma)
            Yv, truth_v = _noisy_outputs(letcc, alpha, beta, validation, f, sigma)

            losses = _grid_mse(alpha, beta, validation.masks, Yv, truth_v, grid)
            validated = float(grid[int(np.argmin(losses))])
            chosen, _ = select_gcv(beta, masks, Y, grid, refine_steps=refine_steps)
            lams = {
                "interpolate": np.zeros(trials),
                "schedule": np.full(trials, scheduled),
                "validation": np.full(trials, validated),
                "gcv": chosen,
            }
            logger.info(
                "noisy %s N=%d: lam_dec schedule %.2e, validation %.2e, "
                "gcv median %.2e",
                name,
                N,
                scheduled,
                validated,
                float(np.median(chosen)),
            )
            for rule, lam in lams.items():
                estimate = smooth_per_pattern(alpha, beta, masks, Y, lam)
                frames.append(
                    _noisy_frame(
                        setup,
                        name,
                        "letcc",
                        rule,
                        N,
                        S,
                        sigma,
                        validation_seed,
                        _mse(estimate, truth),
                        lam_enc,
                        lam,
                    )
                )

            bacc = get_scheme("bacc")
            Yb, truth_b = _noisy_outputs(bacc, alpha, beta, test, f, sigma)
            estimate = bacc.decode(alpha, beta, masks, Yb)
            frames.append(
                _noisy_frame(
                    setup,
                    name,
                    "bacc",
                    "none",
                    N,
                    S,
                    sigma,
                    validation_seed,
                    _mse(estimate, truth_b),
                    np.nan,
                    np.full(trials, np.nan),
                )
            )
    return pd.concat(frames, ignore_index=True)[list(NOISY_COLUMNS)]


def run_landscape(
    masks,
    noise,
    setup,
    *,
    N,
    S,
    sigma,
    validation_seed,
    lam_enc_grid,
    lam_dec_grid,
):
    """Loss and the two terms of its bound on a grid of smoothing parameters.

    Parameters
    ----------
    masks : np.ndarray of bool, shape (trials, N)
        Test straggler patterns, from a trace file.
    noise : np.ndarray, float64, shape (trials, N, width)
        Test noise draws (standard normal), from a noise file.
    setup : Setup
    N, S : int
        Workers and stragglers.
    sigma : float
        Noise standard deviation per output coordinate, >= 0.
    validation_seed : int
        Seed of the validation draws (inputs, uniform patterns, noise).
    lam_enc_grid, lam_dec_grid : sequence of float
        Smoothing parameters of encoder and decoder, paper convention.

    Returns
    -------
    pd.DataFrame
        One row per (function, split, lam_enc, lam_dec, trial), columns
        :data:`LANDSCAPE_COLUMNS`. Per trial, with ``u_enc`` and ``u_dec``
        LeTCC's encoder and decoder curves:

        - ``loss = (1/K) sum_k ||u_dec(alpha_k) - f(x_k)||^2``;
        - ``dec_gen = (1/K) sum_k ||u_dec(alpha_k) - f(u_enc(alpha_k))||^2``;
        - ``enc_train = (1/K) sum_k ||u_enc(alpha_k) - x_k||^2``;

        squared Euclidean norms, summed over coordinates (not averaged).
        ``lipschitz`` is f's constant on ``[-radius, radius]^d``, where
        ``radius`` is the largest ``|x_kj|`` or ``|u_enc(alpha_k)_j|`` over
        every trial, split and ``lam_enc`` of the function: the box holds
        every segment between ``x_k`` and ``u_enc(alpha_k)``, which is all
        the bound's Lipschitz step uses. So ``loss <= 2 dec_gen + 2
        lipschitz^2 enc_train`` holds in every row.
    """
    alpha = setup.alpha()
    beta = setup.beta(N)
    trials = masks.shape[0]
    splits = {
        "test": _Draws(make_inputs(trials, setup.K, setup.d, setup.seed), masks, noise),
        "validation": _Draws(
            make_inputs(trials, setup.K, setup.d, validation_seed),
            uniform_masks(N, S, trials, validation_seed),
            standard_noise(trials, N, noise.shape[2], validation_seed),
        ),
    }
    lam_dec_grid = np.asarray(lam_dec_grid, dtype=np.float64)

    # u_enc at the alphas for every lam_enc: the encoder's training fit.
    fitted = {
        (split, lam): torch.einsum(
            "jk,tkd->tjd",
            get_scheme("letcc", lam_enc=lam).encoder_matrix(alpha, alpha),
            draws.X,
        )
        for split, draws in splits.items()
        for lam in lam_enc_grid
    }
    radius = max(
        float(torch.cat([d.X.abs().flatten() for d in splits.values()]).max()),
        max(float(v.abs().max()) for v in fitted.values()),
    )

    frames = []
    for name in setup.functions:
        f = setup.function(name)
        lipschitz = f.lipschitz(radius)
        logger.info("landscape %s: L = %.4g on radius %.4g", name, lipschitz, radius)
        for split, draws in splits.items():
            truth = f(draws.X)
            for lam_enc in lam_enc_grid:
                scheme = get_scheme("letcc", lam_enc=lam_enc)
                Y, _ = _noisy_outputs(scheme, alpha, beta, draws, f, sigma)
                u_alpha = fitted[(split, lam_enc)]
                target = f(u_alpha)
                enc_train = ((u_alpha - draws.X) ** 2).sum(-1).mean(-1).numpy()
                estimates = _decode_grid(alpha, beta, draws.masks, Y, lam_dec_grid)
                for lam_dec, estimate in zip(lam_dec_grid, estimates, strict=True):
                    frames.append(
                        pd.DataFrame(
                            {
                                "function": name,
                                "split": split,
                                "N": N,
                                "S": S,
                                "K": setup.K,
                                "sigma": sigma,
                                "trial": np.arange(trials),
                                "seed": setup.seed,
                                "validation_seed": validation_seed,
                                "lam_enc": lam_enc,
                                "lam_dec": lam_dec,
                                "loss": _sq_norm(estimate, truth),
                                "dec_gen": _sq_norm(estimate, target),
                                "enc_train": enc_train,
                                "lipschitz": lipschitz,
                                "radius": radius,
                                "m_out": truth.shape[-1],
                                "lam_convention": LAM_CONVENTION,
                                "alpha_points": setup.alpha_points,
                                "beta_points": setup.beta_points,
                            }
                        )
                    )
    return pd.concat(frames, ignore_index=True)[list(LANDSCAPE_COLUMNS)]


@dataclass(frozen=True)
class _Draws:
    """Inputs (T, K, d), survivor masks (T, N) and unit noise (T, N, width)."""

    X: torch.Tensor
    masks: np.ndarray
    noise: np.ndarray


def _noisy_outputs(scheme, alpha, beta, draws, f, sigma):
    """Worker outputs ``f(E x) + sigma z``, shape (T, N, m), and the truth (T, K, m)."""
    E = scheme.encoder_matrix(alpha, beta)
    coded = torch.einsum("nk,tkd->tnd", E, draws.X)
    outputs = f(coded)
    width = outputs.shape[-1]
    outputs = outputs + sigma * torch.from_numpy(draws.noise[:, :, :width])
    return outputs, f(draws.X)


def _decode_grid(alpha, beta, masks, values, lams, chunk=8):
    """LeTCC decodes of every pattern at each lam: shape (G, T, K, p)."""
    T = masks.shape[0]
    masks = torch.as_tensor(masks)
    pieces = []
    for start in range(0, len(lams), chunk):
        part = np.asarray(lams[start : start + chunk])
        width = len(part)
        estimate = smooth_per_pattern(
            alpha,
            beta,
            masks.repeat(width, 1),
            values.repeat(width, 1, 1),
            np.repeat(part, T),
        )
        pieces.append(estimate.reshape(width, T, *estimate.shape[1:]))
    return torch.cat(pieces)


def _grid_mse(alpha, beta, masks, values, truth, lams):
    """Mean over trials of the MSE at each lam: shape (G,)."""
    estimates = _decode_grid(alpha, beta, masks, values, lams)
    return ((estimates - truth[None]) ** 2).mean(dim=(1, 2, 3)).numpy()


def _mse(estimate, truth):
    """Per-trial mean over inputs and coordinates of the squared error: (T,)."""
    return ((estimate - truth) ** 2).mean(dim=(1, 2)).numpy()


def _sq_norm(estimate, target):
    """Per-trial mean over inputs of the squared Euclidean error: (T,)."""
    return ((estimate - target) ** 2).sum(dim=-1).mean(dim=-1).numpy()


def _noisy_frame(
    setup, name, scheme, rule, N, S, sigma, validation_seed, mse, lam_enc, lam_dec
):
    """Rows of the noisy table for one function, N, scheme and lam rule."""
    return pd.DataFrame(
        {
            "function": name,
            "stragglers": "uniform",
            "scheme": scheme,
            "lam_rule": rule,
            "N": N,
            "S": S,
            "K": setup.K,
            "sigma": sigma,
            "trial": np.arange(len(mse)),
            "seed": setup.seed,
            "validation_seed": validation_seed,
            "mse": mse,
            "lam_enc": lam_enc,
            "lam_dec": lam_dec,
            "lam_convention": LAM_CONVENTION if scheme == "letcc" else "none",
            "alpha_points": setup.alpha_points,
            "beta_points": setup.beta_points,
        }
    )


def gather_tables(paths: Sequence[str], columns: Sequence[str], keys: Sequence[str]):
    """Concatenate per-run tables, checking columns and unique keys.

    Parameters
    ----------
    paths : sequence of str
        CSV files of one kind.
    columns : sequence of str
        The columns each must hold (and the order kept).
    keys : sequence of str
        Columns that identify a row; a repeat means two runs overlap.

    Returns
    -------
    pd.DataFrame
        All rows, sorted by ``keys``.

    Raises
    ------
    ValueError
        If no file is given, a file lacks a column, or a key repeats.
    """
    if not paths:
        raise ValueError("no tables to gather; check the theory settings.")
    frames = []
    for path in paths:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        missing = set(columns) - set(frame.columns)
        if missing:
            raise ValueError(f"{path} lacks columns {sorted(missing)}; rerun it.")
        frames.append(frame[list(columns)])
    table = pd.concat(frames, ignore_index=True)
    dup = table.duplicated(list(keys))
    if dup.any():
        first = table.loc[dup, list(keys)].iloc[0].to_dict()
        raise ValueError(
            f"{int(dup.sum())} repeated rows, first {first}; each setting must "
            "come from exactly one run."
        )
    return table.sort_values(list(keys), ignore_index=True)
