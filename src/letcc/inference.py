"""Coded inference on a trained network, vectorised over groups and patterns.

The master holds G groups of K images (``docs/method.md``, Setting). For each
scheme it encodes all groups with one batched product, runs the network on
all ``G * N`` coded images in large batches, and decodes the logits of every
straggler pattern and noise draw at once. Notation of the arrays:

- ``G`` groups of ``K`` images of shape ``(C, H, W)``, flattened to
  ``d = C * H * W`` for coding; ``m`` logits per image;
- ``T = trials * G`` rows of straggler masks ``(T, N)`` and noise draws
  ``(T, N, m)``; row ``t`` belongs to trial ``t // G`` and group ``t % G``,
  so each trial is one pass over all groups.

The coded images and the network's outputs on them depend on the scheme's
encoder only (for LeTCC on ``lam_enc``), not on S, the mask or the noise, so
:func:`coded_outputs` runs once per encoder and the decoders reuse it.

Worker noise is Gaussian, added to every logit a worker returns:
``y_n = f(x~_n) + sigma * z_n`` with ``z_n`` standard normal and ``sigma``
absolute, in logit units. The reference outputs ``f(x_k)`` are noiseless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from letcc.coding import get_scheme, points
from letcc.data import LoadedDataset, Split
from letcc.engine import DecoderCache, decode_rows
from letcc.noise import load_noise
from letcc.traces import load_trace
from letcc.zoo import Network, load_entry_data, load_network

logger = logging.getLogger(__name__)

#: Schemes of the inference track: three codes and uncoded replication.
SCHEMES = ("letcc", "bacc", "lagrange", "replication")

#: Convention of every lam written here: the paper's mean data term (1/n).
LAM_CONVENTION = "paper"

#: Columns of the per-trial table, in order.
COLUMNS = (
    "model",
    "stragglers",
    "scheme",
    "N",
    "K",
    "S",
    "sigma",
    "trial",
    "seed",
    "mse",
    "rmse",
    "accuracy",
    "base_accuracy",
    "rel_accuracy",
    "agreement",
    "n_images",
    "n_lost",
    "n_nonfinite",
    "n_outliers",
    "mean_survivors",
    "lam_enc",
    "lam_dec",
    "lam_convention",
)

#: Columns of the validation grid of LeTCC's smoothing parameters.
GRID_COLUMNS = (
    "model",
    "stragglers",
    "N",
    "K",
    "S",
    "sigma",
    "lam_enc",
    "lam_dec",
    "val_mse",
    "chosen",
    "lam_convention",
)

# Stream tag of the draw of the image groups from the split.
_GROUPS_TAG = 0x677270  # "grp"


@dataclass(frozen=True)
class Groups:
    """Groups of K images drawn from one split.

    Attributes
    ----------
    images : torch.Tensor, float32, shape (G, K, C, H, W)
    labels : torch.Tensor, int64, shape (G, K)
    indices : np.ndarray of int64, shape (G, K)
        Rows of the split the images came from (distinct).
    """

    images: torch.Tensor
    labels: torch.Tensor
    indices: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(G, K)``."""
        return tuple(self.labels.shape)


def make_groups(split: Split, K: int, groups: int, seed: int) -> Groups:
    """Draw ``groups`` disjoint groups of ``K`` images from ``split``.

    Parameters
    ----------
    split : letcc.data.Split
    K : int
        Images per group, >= 1.
    groups : int
        Number of groups G, >= 1.
    seed : int
        Seed of the draw (a generator seeded with ``[seed, tag, K, groups]``).

    Returns
    -------
    Groups

    Raises
    ------
    ValueError
        If the split has fewer than ``groups * K`` images.
    """
    n = len(split)
    if groups < 1 or K < 1 or groups * K > n:
        raise ValueError(
            f"groups={groups} of K={K} images need {groups * K} images but the "
            f"split has {n}; lower groups to at most {n // max(K, 1)}."
        )
    rng = np.random.default_rng([seed, _GROUPS_TAG, K, groups])
    indices = rng.permutation(n)[: groups * K].reshape(groups, K)
    rows = torch.from_numpy(indices)
    return Groups(split.images[rows], split.labels[rows], indices)


def encode(E: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Coded images of every group in one batched product.

    Parameters
    ----------
    E : torch.Tensor, shape (N, K)
        Encoder matrix (:meth:`letcc.coding.CodingScheme.encoder_matrix`).
    images : torch.Tensor, shape (G, K, C, H, W)

    Returns
    -------
    torch.Tensor, shape (G, N, C, H, W), dtype of ``images``
        ``coded[g] = E @ images[g]`` with each image flattened.
    """
    G, K = images.shape[:2]
    flat = images.reshape(G, K, -1)
    coded = torch.matmul(E.to(device=flat.device, dtype=flat.dtype), flat)
    return coded.reshape(G, E.shape[0], *images.shape[2:])


@torch.no_grad()
def forward(
    model: torch.nn.Module, images: torch.Tensor, *, batch_size: int
) -> torch.Tensor:
    """The network's logits on a stack of images, in batches.

    Parameters
    ----------
    model : torch.nn.Module
        Inference form, in eval mode, on the device of ``images``.
    images : torch.Tensor, shape (B, C, H, W)
    batch_size : int
        Images per call of the network.

    Returns
    -------
    torch.Tensor, shape (B, m), on the device of ``images``
    """
    return torch.cat([model(chunk) for chunk in torch.split(images, batch_size)])


def coded_outputs(
    model: torch.nn.Module,
    images: torch.Tensor,
    E: torch.Tensor,
    *,
    batch_size: int,
) -> torch.Tensor:
    """Encode every group and run the network on all coded images.

    Parameters
    ----------
    model : torch.nn.Module
        Inference form, on the device of ``images``.
    images : torch.Tensor, float32, shape (G, K, C, H, W)
    E : torch.Tensor, shape (N, K)
    batch_size : int

    Returns
    -------
    torch.Tensor, float32, shape (G, N, m)
        Worker ``n``'s logits for group ``g``.
    """
    G = images.shape[0]
    coded = encode(E, images)
    logits = forward(model, coded.flatten(0, 1), batch_size=batch_size)
    return logits.reshape(G, E.shape[0], -1)


def replica_assignment(N: int, K: int) -> np.ndarray:
    """The input each worker computes under replication: worker n gets n mod K.

    Parameters
    ----------
    N, K : int
        Workers and inputs, ``N >= K >= 1``.

    Returns
    -------
    np.ndarray of int64, shape (N,)

    Notes
    -----
    Every input gets ``N // K`` or ``N // K + 1`` replicas (the first
    ``N mod K`` inputs one more) when ``K`` does not divide ``N``.
    Interleaving spreads each input's replicas over the worker order, so a
    contiguous block of stragglers (the worst-gap model) removes at most
    ``ceil(S / K)`` replicas of any input.
    """
    if not 1 <= K <= N:
        raise ValueError(f"replication needs 1 <= K <= N, got K={K}, N={N}.")
    return np.arange(N) % K


def replication_estimates(
    truth: torch.Tensor,
    masks: torch.Tensor,
    noise: torch.Tensor | None = None,
    sigma: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uncoded replication: each result is the mean of its surviving replicas.

    Parameters
    ----------
    truth : torch.Tensor, shape (G, K, m)
        The network's logits on the raw images (what every replica computes).
    masks : torch.Tensor of bool, shape (T, N)
        Survivors; row ``t`` belongs to group ``t % G``.
    noise : torch.Tensor, shape (T, N, m), optional
        Standard normal draws; worker ``n`` returns ``truth + sigma *
        noise[t, n]``.
    sigma : float, default 0
        Noise std, absolute (logit units).

    Returns
    -------
    estimates : torch.Tensor, float64, shape (T, K, m)
        Mean of the surviving replicas' outputs; zero where none survived.
    lost : torch.Tensor of bool, shape (T, K)
        True where every replica of the input straggled: no result.
    """
    G, K, _ = truth.shape
    T, N = masks.shape
    assignment = torch.as_tensor(replica_assignment(N, K), device=masks.device)
    onehot = torch.nn.functional.one_hot(assignment, K).double()  # (N, K)
    alive = masks.double()

    counts = alive @ onehot  # (T, K): surviving replicas per input
    lost = counts == 0
    group = torch.arange(T, device=masks.device) % G
    estimates = truth.double()[group]
    if noise is not None and sigma:
        total = torch.einsum("tn,tnm,nk->tkm", alive, noise.double(), onehot)
        estimates = estimates + sigma * total / counts.clamp(min=1)[:, :, None]
    return estimates.masked_fill(lost[:, :, None], 0.0), lost


def worker_values(
    outputs: torch.Tensor,
    rows: int,
    noise: torch.Tensor | None = None,
    sigma: float = 0.0,
) -> torch.Tensor:
    """What the workers return in every row: outputs plus Gaussian noise.

    Parameters
    ----------
    outputs : torch.Tensor, shape (G, N, m)
        Noiseless outputs on the coded images (:func:`coded_outputs`).
    rows : int
        T, a multiple of G; row ``t`` uses group ``t % G``.
    noise : torch.Tensor, shape (T, N, m), optional
        Standard normal draws.
    sigma : float, default 0
        Noise std, absolute (logit units).

    Returns
    -------
    torch.Tensor, float64, shape (T, N, m)
    """
    G = outputs.shape[0]
    values = outputs.double().repeat(rows // G, 1, 1)
    if noise is not None and sigma:
        values = values + sigma * noise.to(values)
    return values


@dataclass(frozen=True)
class TrialScores:
    """Per-trial metrics of one scheme and setting.

    Attributes
    ----------
    mse : np.ndarray, shape (trials,)
        Mean over groups, images and logits of ``(f^ - f)^2``, logit units
        squared.
    accuracy : np.ndarray, shape (trials,)
        Share of images whose estimate's argmax is the label; an image with
        no result (replication) or a non-finite estimate counts as wrong.
    agreement : np.ndarray, shape (trials,)
        Share of images whose estimate's argmax equals the base model's.
    base_accuracy : float
        Accuracy of the base model on the same images.
    n_lost : np.ndarray of int64, shape (trials,)
        Images with no result (replication) or a non-finite estimate.
    """

    mse: np.ndarray
    accuracy: np.ndarray
    agreement: np.ndarray
    base_accuracy: float
    n_lost: np.ndarray


def score(
    estimates: torch.Tensor,
    truth: torch.Tensor,
    labels: torch.Tensor,
    lost: torch.Tensor | None = None,
) -> TrialScores:
    """Score the estimates of every row against the base model and labels.

    Parameters
    ----------
    estimates : torch.Tensor, shape (T, K, m)
        ``T = trials * G`` rows; lost results must hold zeros (their MSE is
        measured against a zero output).
    truth : torch.Tensor, shape (G, K, m)
        The base model's logits on the raw images.
    labels : torch.Tensor of int64, shape (G, K)
    lost : torch.Tensor of bool, shape (T, K), optional
        Results that never arrived (replication).

    Returns
    -------
    TrialScores
    """
    G, K, m = truth.shape
    est = estimates.double().reshape(-1, G, K, m)
    truth = truth.double().to(est.device)
    labels = labels.to(est.device)

    mse = ((est - truth) ** 2).mean(dim=(1, 2, 3))

    wrong = ~torch.isfinite(est).all(dim=-1)
    if lost is not None:
        wrong |= lost.reshape(-1, G, K).to(est.device)
    pred = est.argmax(dim=-1).masked_fill(wrong, -1)
    base = truth.argmax(dim=-1)
    return TrialScores(
        mse=mse.cpu().numpy(),
        accuracy=(pred == labels).double().mean(dim=(1, 2)).cpu().numpy(),
        agreement=(pred == base).double().mean(dim=(1, 2)).cpu().numpy(),
        base_accuracy=float((base == labels).double().mean()),
        n_lost=wrong.sum(dim=(1, 2)).cpu().numpy(),
    )


@dataclass
class Timings:
    """Seconds spent in each stage of a run (wall clock, summed)."""

    encode: float = 0.0
    forward: float = 0.0
    decode: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Plain dictionary, seconds."""
        return {f"{k}_s": v for k, v in vars(self).items()}


class OutputStore:
    """Network outputs on coded images, computed once per encoder.

    Parameters
    ----------
    model : torch.nn.Module
        Inference form, on ``device``.
    groups : Groups
    alpha, beta : np.ndarray
        Points of the K inputs and N workers.
    batch_size : int
        Images per forward call.
    device : torch.device
    """

    def __init__(self, model, groups, alpha, beta, *, batch_size, device):
        self.model = model
        self.alpha = alpha
        self.beta = beta
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.images = groups.images.to(self.device)
        self.timings = Timings()
        self._outputs: dict[tuple, torch.Tensor] = {}

        tic = time.perf_counter()
        flat = self.images.flatten(0, 1)
        self.truth = forward(model, flat, batch_size=batch_size).reshape(
            *groups.shape, -1
        )
        self.timings.forward += time.perf_counter() - tic

    def outputs(self, scheme) -> torch.Tensor:
        """Outputs ``(G, N, m)`` on the coded images of ``scheme``'s encoder."""
        key = (scheme.name, getattr(scheme, "lam_enc", None))
        if key not in self._outputs:
            tic = time.perf_counter()
            E = scheme.encoder_matrix(self.alpha, self.beta, device=self.device)
            coded = encode(E, self.images)
            self.timings.encode += time.perf_counter() - tic

            tic = time.perf_counter()
            logits = forward(
                self.model, coded.flatten(0, 1), batch_size=self.batch_size
            )
            self._outputs[key] = logits.reshape(coded.shape[0], coded.shape[1], -1)
            self.timings.forward += time.perf_counter() - tic
        return self._outputs[key]


def tune_letcc(
    store: OutputStore,
    traces: Mapping[tuple[str, int], torch.Tensor],
    noise: torch.Tensor | None,
    sigmas: Sequence[float],
    lam_enc_grid: Sequence[float],
    lam_dec_grid: Sequence[float],
) -> pd.DataFrame:
    """Validation MSE of LeTCC on the grid of ``(lam_enc, lam_dec)``.

    Parameters
    ----------
    store : OutputStore
        On the validation groups.
    traces : mapping
        ``(straggler model, S) -> masks`` of shape ``(T, N)``.
    noise : torch.Tensor, shape (T, N, m), optional
        Standard normal draws; required when a sigma is positive.
    sigmas : sequence of float
        Noise stds, absolute.
    lam_enc_grid, lam_dec_grid : sequence of float
        Paper convention (1/n data term).

    Returns
    -------
    pd.DataFrame
        One row per (stragglers, S, sigma, lam_enc, lam_dec) with ``val_mse``
        (mean over trials) and ``chosen``: True on the grid point of least
        validation MSE of each (stragglers, S, sigma); ties go to the
        smaller lam_enc, then the smaller lam_dec. The criterion is the MSE
        of the logits, not accuracy: labels play no part in the choice.
    """
    rows = []
    for lam_enc in sorted(lam_enc_grid):
        logger.info(
            "validation grid: lam_enc=%g, %d lam_dec", lam_enc, len(lam_dec_grid)
        )
        outputs = store.outputs(get_scheme("letcc", lam_enc=lam_enc))
        for (stragglers, S), masks in traces.items():
            for sigma in sigmas:
                values = worker_values(outputs, masks.shape[0], noise, sigma)
                for lam_dec in sorted(lam_dec_grid):
                    scheme = get_scheme("letcc", lam_enc=lam_enc, lam_dec=lam_dec)
                    tic = time.perf_counter()
                    estimates, _ = decode_rows(
                        scheme, store.alpha, store.beta, masks, values
                    )
                    store.timings.decode += time.perf_counter() - tic
                    G, K, m = store.truth.shape
                    err = estimates.reshape(-1, G, K, m) - store.truth.double()
                    rows.append(
                        {
                            "stragglers": stragglers,
                            "S": S,
                            "sigma": sigma,
                            "lam_enc": lam_enc,
                            "lam_dec": lam_dec,
                            "val_mse": float((err**2).mean()),
                        }
                    )
    grid = pd.DataFrame(rows)
    best = grid.groupby(["stragglers", "S", "sigma"], sort=False)["val_mse"].idxmin()
    grid["chosen"] = grid.index.isin(best.to_numpy())
    grid["lam_convention"] = LAM_CONVENTION
    return grid


def run_schemes(
    store: OutputStore,
    labels: torch.Tensor,
    traces: Mapping[tuple[str, int], torch.Tensor],
    noise: torch.Tensor | None,
    sigmas: Sequence[float],
    schemes: Sequence[str],
    lams: Mapping[tuple[str, int, float], tuple[float, float]],
) -> pd.DataFrame:
    """Evaluate every scheme on every straggler model, S and noise level.

    Parameters
    ----------
    store : OutputStore
        On the test groups.
    labels : torch.Tensor, shape (G, K)
    traces : mapping
        ``(straggler model, S) -> masks`` of shape ``(T, N)``, ``T = trials *
        G``.
    noise : torch.Tensor, shape (T, N, m), optional
        Standard normal draws; required when a sigma is positive.
    sigmas : sequence of float
        Noise stds, absolute (logit units).
    schemes : sequence of str
        Names from :data:`SCHEMES`.
    lams : mapping
        ``(stragglers, S, sigma) -> (lam_enc, lam_dec)`` for LeTCC, chosen on
        the validation split.

    Returns
    -------
    pd.DataFrame
        One row per (stragglers, S, sigma, scheme, trial) with the metric
        columns of :data:`COLUMNS` (the caller adds ``model`` and ``seed``).
    """
    frames = []
    caches = {name: DecoderCache() for name in ("bacc", "lagrange")}
    for (stragglers, S), masks in traces.items():
        logger.info("evaluating %s stragglers, S=%d", stragglers, S)
        for sigma in sigmas:
            for name in schemes:
                params = {}
                if name == "letcc":
                    lam_enc, lam_dec = lams[(stragglers, S, sigma)]
                    params = {"lam_enc": lam_enc, "lam_dec": lam_dec}
                scores, faults = _evaluate(
                    store, labels, masks, noise, sigma, name, params, caches
                )
                setting = (stragglers, S, sigma)
                frames.append(
                    _trial_frame(
                        scores, faults, masks, labels.numel(), setting, name, params
                    )
                )
    table = pd.concat(frames, ignore_index=True)
    table["N"], table["K"] = len(store.beta), len(store.alpha)
    return table


def _evaluate(store, labels, masks, noise, sigma, name, params, caches):
    """Scores and per-trial fault counts of one scheme on one setting.

    The counts are ``{"n_nonfinite": ..., "n_outliers": ...}``, summed over
    the groups of each trial. Replication's replicas return the base
    network's logits (plus noise), so it has no faults to count.
    """
    G = store.truth.shape[0]
    tic = time.perf_counter()
    if name == "replication":
        estimates, lost = replication_estimates(store.truth, masks, noise, sigma)
        none = torch.zeros(masks.shape[0], dtype=torch.int64)
        counts = {"n_nonfinite": none, "n_outliers": none}
    else:
        scheme = get_scheme(name, **params)
        values = worker_values(store.outputs(scheme), masks.shape[0], noise, sigma)
        tic = time.perf_counter()
        estimates, screened = decode_rows(
            scheme, store.alpha, store.beta, masks, values, cache=caches.get(name)
        )
        counts = {
            "n_nonfinite": screened.n_nonfinite,
            "n_outliers": screened.n_outliers,
        }
        lost = None
    store.timings.decode += time.perf_counter() - tic
    scores = score(estimates, store.truth, labels, lost)
    faults = {
        key: count.reshape(-1, G).sum(dim=1).cpu().numpy()
        for key, count in counts.items()
    }
    return scores, faults


def _trial_frame(scores, faults, masks, n_images, setting, name, params):
    """The per-trial rows of one scheme and setting ``(stragglers, S, sigma)``."""
    stragglers, S, sigma = setting
    G = masks.shape[0] // scores.mse.shape[0]
    survivors = masks.double().sum(dim=1).reshape(-1, G).mean(dim=1)
    return pd.DataFrame(
        {
            "stragglers": stragglers,
            "scheme": name,
            "S": S,
            "sigma": sigma,
            "trial": np.arange(scores.mse.shape[0]),
            "mse": scores.mse,
            "rmse": np.sqrt(scores.mse),
            "accuracy": scores.accuracy,
            "base_accuracy": scores.base_accuracy,
            "rel_accuracy": scores.accuracy / scores.base_accuracy,
            "agreement": scores.agreement,
            "n_images": n_images,
            "n_lost": scores.n_lost,
            **faults,
            "mean_survivors": survivors.cpu().numpy(),
            "lam_enc": params.get("lam_enc", np.nan),
            "lam_dec": params.get("lam_dec", np.nan),
            "lam_convention": LAM_CONVENTION if params else "none",
        }
    )


def load_traces(
    paths: Sequence[str],
    settings: Sequence[tuple[str, int]],
    *,
    N: int,
    rows: int,
    device: str | torch.device = "cpu",
) -> dict[tuple[str, int], torch.Tensor]:
    """Read the trace files of a run, keyed by (straggler model, S).

    Parameters
    ----------
    paths : sequence of str
        Trace files (:func:`letcc.traces.load_trace`).
    settings : sequence of (str, int)
        The (straggler model, S) of each file, in the same order.
    N : int
        Workers; every file must hold N columns.
    rows : int
        Rows each file must hold (``trials * groups``).
    device : str or torch.device, default "cpu"

    Returns
    -------
    dict
        ``(stragglers, S) -> masks``, bool tensors of shape ``(rows, N)``.

    Raises
    ------
    ValueError
        If the lists differ in length or a file holds another number of rows.
    """
    if len(paths) != len(settings):
        raise ValueError(
            f"{len(paths)} trace files for {len(settings)} settings; give one "
            "file per (straggler model, S)."
        )
    traces = {}
    for path, (stragglers, S) in zip(paths, settings, strict=True):
        masks = load_trace(path, N=N)
        if masks.shape[0] != rows:
            raise ValueError(
                f"trace {path} holds {masks.shape[0]} patterns but this run needs "
                f"{rows} (trials * groups); use the trace generated for it."
            )
        traces[(stragglers, int(S))] = torch.from_numpy(masks).to(device)
    return traces


def load_noise_draws(
    paths: Sequence[str], *, N: int, rows: int, width: int, device
) -> torch.Tensor | None:
    """Read a run's noise file, if any, as a ``(rows, N, width)`` tensor.

    Parameters
    ----------
    paths : sequence of str
        Zero or one file written by :func:`letcc.noise.save_noise`.
    N, rows, width : int
        Expected workers, rows and logits per worker; a wider file is cut to
        its first ``width`` columns.
    device : str or torch.device

    Returns
    -------
    torch.Tensor, float64, shape (rows, N, width), or None without a file
    """
    if not paths:
        return None
    (path,) = paths
    draws = load_noise(path, N=N, trials=rows)
    if draws.shape[2] < width:
        raise ValueError(
            f"noise file {path} holds {draws.shape[2]} values per worker but the "
            f"network returns {width} logits; use the file generated for it."
        )
    return torch.from_numpy(draws[:, :, :width]).to(device)


def load_draws(
    trace_paths: Sequence[str],
    noise_paths: Sequence[str],
    settings: Sequence[tuple[str, int]],
    *,
    N: int,
    rows: int,
    width: int,
    device: str | torch.device = "cpu",
) -> tuple[dict[tuple[str, int], torch.Tensor], torch.Tensor | None]:
    """Read the straggler traces and the noise of one split of a run.

    Parameters
    ----------
    trace_paths, settings
        As for :func:`load_traces`.
    noise_paths : sequence of str
        As for :func:`load_noise_draws`.
    N, rows, width : int
        Workers, rows per file (``trials * groups``) and logits per worker.
    device : str or torch.device, default "cpu"

    Returns
    -------
    traces : dict
        ``(stragglers, S) -> masks`` of shape ``(rows, N)``.
    noise : torch.Tensor of shape (rows, N, width), or None without a file
    """
    traces = load_traces(trace_paths, settings, N=N, rows=rows, device=device)
    noise = load_noise_draws(noise_paths, N=N, rows=rows, width=width, device=device)
    return traces, noise


def open_split(
    entry: Mapping,
    *,
    checkpoint: str,
    split: str,
    data_dir: str,
    val_fraction: float,
    split_seed: int,
    groups_seed: int,
    groups: int,
    point_kinds: Mapping[str, str],
    batch_size: int,
    device,
) -> tuple[LoadedDataset, Network, Groups, OutputStore]:
    """Load the data and network of an entry and the groups of one split.

    Parameters
    ----------
    entry : mapping
        One ``inference.models`` entry.
    checkpoint : str
        Its checkpoint; a fetched one is checked against ``fetch.sha256``.
    split : {"val", "test"}
    data_dir : str
    val_fraction : float
    split_seed : int
        The config's ``seeds.split``: the validation split is the one
        training held out.
    groups_seed : int
        Seed of the draw of the groups (``seeds.inputs`` for the test split,
        ``inference.validation_seed`` for the validation split).
    groups : int
        Number of groups of K images.
    point_kinds : mapping
        ``{"alpha": kind, "beta": kind}`` for :func:`letcc.coding.points`.
    batch_size : int
        Images per forward call.
    device : torch.device

    Returns
    -------
    data : letcc.data.LoadedDataset
    network : letcc.zoo.Network
    groups : Groups
    store : OutputStore
        With the base model's logits on the raw images computed.
    """
    data = load_entry_data(
        entry, data_dir=data_dir, split_seed=split_seed, val_fraction=val_fraction
    )
    sha256 = entry["fetch"]["sha256"] if entry["source"] == "fetch" else None
    network = load_network(checkpoint, entry, data, sha256=sha256, device=device)
    chosen = make_groups(getattr(data, split), entry["K"], groups, groups_seed)
    alpha = points(point_kinds["alpha"], entry["K"])
    beta = points(point_kinds["beta"], entry["N"])
    store = OutputStore(
        network.model, chosen, alpha, beta, batch_size=batch_size, device=device
    )
    return data, network, chosen, store


def chosen_lams(
    grid: pd.DataFrame,
) -> dict[tuple[str, int, float], tuple[float, float]]:
    """The chosen ``(lam_enc, lam_dec)`` of each setting of a validation grid.

    Parameters
    ----------
    grid : pd.DataFrame
        As returned by :func:`tune_letcc` (read back from CSV).

    Returns
    -------
    dict
        ``(stragglers, S, sigma) -> (lam_enc, lam_dec)``, paper convention.

    Raises
    ------
    ValueError
        If a setting has no chosen row or more than one.
    """
    chosen = grid[grid["chosen"].astype(bool)]
    keys = chosen[["stragglers", "S", "sigma"]].itertuples(index=False)
    lams = {}
    for key, row in zip(keys, chosen.itertuples(index=False), strict=True):
        key = (str(key[0]), int(key[1]), float(key[2]))
        if key in lams:
            raise ValueError(f"the grid marks several chosen rows for {key}.")
        lams[key] = (float(row.lam_enc), float(row.lam_dec))
    settings = grid[["stragglers", "S", "sigma"]].drop_duplicates()
    if len(settings) != len(lams):
        raise ValueError(
            f"the grid has {len(settings)} settings but {len(lams)} chosen rows; "
            "rerun inference_tune."
        )
    return lams
