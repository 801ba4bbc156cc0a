"""Training and evaluating the networks, and their checkpoints.

Training is seeded through one ``torch.Generator`` (batch order and
augmentation), never through torch's global random state; the initial weights
are seeded by :func:`letcc.models.build_model`. The checkpoint functions live
in :mod:`letcc._checkpoint` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from letcc._checkpoint import (
    Checkpoint,
    fetch_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from letcc.data import LoadedDataset, Split
from letcc.models import parameter_count

logger = logging.getLogger(__name__)

__all__ = [
    "SHIFT",
    "Checkpoint",
    "TrainingMetrics",
    "accuracy",
    "fetch_checkpoint",
    "load_checkpoint",
    "predict_logits",
    "save_checkpoint",
    "shift_and_flip",
    "train_model",
]

#: Pixels of random shift (each way) used by ``augment=True``.
SHIFT = 4


@dataclass(frozen=True)
class TrainingMetrics:
    """What a training run achieved.

    Attributes
    ----------
    test_accuracy, val_accuracy : float
        Top-1 accuracy in [0, 1] after the last epoch.
    epochs : int
    wall_time_s : float
        Seconds of training and evaluation.
    parameter_count : int
    history : list of dict
        Per epoch: ``epoch``, ``train_loss`` (mean cross-entropy, nats),
        ``val_accuracy``, ``seconds``.
    """

    test_accuracy: float
    val_accuracy: float
    epochs: int
    wall_time_s: float
    parameter_count: int
    history: list[dict[str, float]]

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (for checkpoint metadata and tables)."""
        return dataclasses.asdict(self)


def train_model(
    model: nn.Module,
    data: LoadedDataset,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    device: str | torch.device = "cpu",
    weight_decay: float = 0.01,
    augment: bool = False,
    verbose: bool = True,
) -> TrainingMetrics:
    """Train ``model`` in place with AdamW and a one-cycle learning rate.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, C, H, W) images to (n, num_classes) logits.
    data : LoadedDataset
        Trained on ``data.train``; ``data.val`` is scored after every epoch and
        ``data.test`` once at the end.
    epochs : int
        Passes over the training split, at least 1.
    batch_size : int
        Images per optimiser step; the last, smaller batch is kept.
    lr : float
        Peak learning rate of the one-cycle schedule (warm-up over the first
        15 % of steps, then cosine decay).
    seed : int
        Seed of the generator drawing the batch order and augmentations.
    device : str or torch.device, default "cpu"
    weight_decay : float, default 0.01
        AdamW's decoupled weight decay.
    augment : bool, default False
        Random shifts of up to ``SHIFT`` pixels (zero fill) and horizontal
        flips; meant for CIFAR, not for digits.
    verbose : bool, default True
        Show a tqdm progress bar per epoch.

    Returns
    -------
    TrainingMetrics
        The model is left on ``device`` in eval mode.

    Raises
    ------
    ValueError
        If ``epochs``, ``batch_size`` or ``lr`` is not positive.
    """
    _check_positive(epochs=epochs, batch_size=batch_size, lr=lr)
    device = torch.device(device)
    model.to(device)
    steps = epochs * -(-len(data.train) // batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    run = _Run(
        optimiser=optimiser,
        schedule=torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=lr, total_steps=steps, pct_start=0.15
        ),
        generator=torch.Generator().manual_seed(seed),
        batch_size=batch_size,
        device=device,
        augment=augment,
        verbose=verbose,
    )

    start, history = time.perf_counter(), []
    for epoch in range(1, epochs + 1):
        tic = time.perf_counter()
        loss = _one_epoch(model, data.train, run, f"epoch {epoch}/{epochs}")
        val = accuracy(model, data.val, device=device)
        history.append(_epoch_record(epoch, loss, val, time.perf_counter() - tic))
        logger.info("epoch %d: train loss %.4f, val accuracy %.4f", epoch, loss, val)

    test = accuracy(model, data.test, device=device)
    wall = time.perf_counter() - start
    logger.info("test accuracy %.4f after %d epochs, %.1f s", test, epochs, wall)
    return TrainingMetrics(
        test, history[-1]["val_accuracy"], epochs, wall, parameter_count(model), history
    )


def _check_positive(**values: float) -> None:
    """ValueError naming the first argument that is not positive."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}.")


def _epoch_record(epoch, loss, val, seconds) -> dict[str, float]:
    return {"epoch": epoch, "train_loss": loss, "val_accuracy": val, "seconds": seconds}


@dataclass
class _Run:
    """The state shared by the epochs of one training run."""

    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    batch_size: int
    device: torch.device
    augment: bool
    verbose: bool


def _one_epoch(model: nn.Module, split: Split, run: _Run, desc: str) -> float:
    """One pass over ``split`` in a seeded order; returns the mean loss."""
    model.train()
    order = torch.randperm(len(split), generator=run.generator)
    total, seen = 0.0, 0
    bar = tqdm(torch.split(order, run.batch_size), desc=desc, disable=not run.verbose)
    for batch in bar:
        images, labels = split.images[batch], split.labels[batch]
        if run.augment:
            images = shift_and_flip(images, run.generator)
        loss = F.cross_entropy(model(images.to(run.device)), labels.to(run.device))
        run.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        run.optimiser.step()
        run.schedule.step()
        total += loss.item() * len(batch)
        seen += len(batch)
        bar.set_postfix(loss=f"{total / seen:.4f}", refresh=False)
    return total / seen


def shift_and_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by up to ``SHIFT`` pixels and flip half of them.

    Parameters
    ----------
    images : torch.Tensor, shape (n, C, H, W)
    generator : torch.Generator
        Draws the shifts (uniform in ``[-SHIFT, SHIFT]`` per axis) and the
        flips (probability 1/2).

    Returns
    -------
    torch.Tensor, shape (n, C, H, W)
        Uncovered pixels are 0, the dataset mean after normalisation.
    """
    n, _, height, width = images.shape
    padded = F.pad(images, (SHIFT,) * 4)
    offsets = torch.randint(0, 2 * SHIFT + 1, (2, n), generator=generator)
    rows = offsets[0, :, None] + torch.arange(height)  # (n, H)
    cols = offsets[1, :, None] + torch.arange(width)  # (n, W)
    flip = torch.rand(n, generator=generator) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n)[:, None, None]
    crops = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    return crops.permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    images: torch.Tensor,
    *,
    batch_size: int = 1000,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Logits of ``model`` in eval mode, computed in batches.

    Parameters
    ----------
    model : torch.nn.Module
    images : torch.Tensor, shape (n, C, H, W)
    batch_size : int, default 1000
    device : str or torch.device, default "cpu"

    Returns
    -------
    torch.Tensor, shape (n, num_classes), on the CPU
    """
    model.eval()
    device = torch.device(device)
    parts = [model(chunk.to(device)).cpu() for chunk in torch.split(images, batch_size)]
    return torch.cat(parts)


def accuracy(
    model: nn.Module, split: Split, *, device: str | torch.device = "cpu"
) -> float:
    """Top-1 accuracy of ``model`` on ``split``, in [0, 1]."""
    logits = predict_logits(model, split.images, device=device)
    return (logits.argmax(dim=1) == split.labels).float().mean().item()
