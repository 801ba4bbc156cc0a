"""Every bad input a user can hit, in one place.

Each test feeds one bad input through the public code path a user would take
(the config checks the workflow runs, the coding API, the trace, dataset and
checkpoint loaders, an audit notebook) and checks that the error names the
problem (the offending key, value or file) and says how to fix it.
"""

import copy
import gzip
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from letcc.coding import get_scheme, points
from letcc.config import check_config, check_renamed_keys, validate_config
from letcc.data import load_dataset
from letcc.experiment import evaluate_coded
from letcc.models import build_model
from letcc.notebooks import NotebookAuditError, execute_notebook
from letcc.traces import generate_trace_file, load_trace
from letcc.training import fetch_checkpoint, load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
IDX_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def names(problem, fix):
    """A ``match`` pattern: the message holds both phrases, in any order."""
    return f"(?s)(?=.*{re.escape(problem)})(?=.*{re.escape(fix)})"


def smoke_with(path, value):
    """config/smoke.yaml with the key at ``path`` (a dotted name) set to value."""
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return config


def checked(config):
    """Run the workflow's checks (workflow/rules/common.smk) on a copy."""
    config = copy.deepcopy(config)
    check_renamed_keys(config)
    validate_config(config, SCHEMA)
    check_config(config)


def lenet5():
    return build_model("lenet5", (1, 28, 28), 10, seed=0)


# Schema: unknown keys, wrong types, negative smoothing parameters.
@pytest.mark.parametrize(
    ("path", "value", "problem", "fix"),
    [
        (
            "synthetic.foo",
            1,
            "config key synthetic: Additional properties are not allowed ('foo'",
            "the keys allowed here are: d, m, hidden, K, S, N, trials",
        ),
        (
            "synthetic.K",
            "ten",
            "config key synthetic.K: 'ten' is not of type 'integer'",
            "Give a value of type integer",
        ),
        (
            "schemes.letcc.lam_enc",
            -1.0,
            "config key schemes.letcc.lam_enc: -1.0 is less than the minimum of 0",
            "Use a value >= 0",
        ),
        (
            "schemes.letcc.lam_dec",
            -1.0,
            "config key schemes.letcc.lam_dec: -1.0 is less than the minimum of 0",
            "Use a value >= 0",
        ),
    ],
    ids=["unknown-key", "wrong-type", "lam_enc<0", "lam_dec<0"],
)
def test_schema_names_the_bad_key_and_the_fix(path, value, problem, fix):
    with pytest.raises(ValueError, match=names(problem, fix)):
        checked(smoke_with(path, value))


def test_former_root_seed_key_names_its_replacement():
    config = smoke_with("seeds", None)
    del config["seeds"]
    config["seed"] = 2

    with pytest.raises(ValueError, match=names("config key seed: 2", "seeds: {")):
        checked(config)


# Config relations: fewer workers than inputs, fewer than 2 survivors.
@pytest.mark.parametrize(
    ("path", "value", "problem", "fix"),
    [
        (
            "synthetic.K",
            20,
            "contains [12], fewer workers than synthetic.K = 20",
            "make every entry of synthetic.N at least 20, or lower synthetic.K",
        ),
        (
            "inference.models.0.K",
            30,
            "inference.models[lenet5-mnist].K = 30 exceeds N = 24",
            "raise N to at least 30 or lower K",
        ),
        (
            "synthetic.S",
            11,
            "synthetic.S = 11 leaves fewer than 2 survivors",
            "lower synthetic.S to at most 10",
        ),
        (
            "inference.models.0.S",
            [0, 23],
            "inference.models[lenet5-mnist].S contains [23]",
            "use S <= 22",
        ),
    ],
    ids=["synthetic-N<K", "inference-N<K", "synthetic-S>=N-1", "inference-S>=N-1"],
)
def test_config_relation_names_the_keys_and_the_bound(path, value, problem, fix):
    with pytest.raises(ValueError, match=names(problem, fix)):
        checked(smoke_with(path, value))


def test_coded_evaluation_refuses_more_inputs_than_workers():
    # The coding API maps between any two point sets (a decoder is an encoder
    # with the roles swapped); a coded computation needs K <= N.
    K, N = 10, 4
    X = torch.zeros(1, K, 2, dtype=torch.float64)
    masks = np.ones((1, N), dtype=bool)

    with pytest.raises(
        ValueError, match=names("K=10 inputs but N=4 workers", "use N >= 10")
    ):
        evaluate_coded(
            get_scheme("letcc"),
            points("chebyshev1", K),
            points("chebyshev2", N),
            X,
            lambda x: x,
            masks,
        )


# A straggler pattern with fewer than 2 survivors.
@pytest.mark.parametrize("scheme", ["letcc", "bacc", "lagrange"])
def test_decoder_refuses_fewer_than_two_survivors(scheme):
    masks = np.zeros((2, 6), dtype=bool)
    masks[:, :2] = True
    masks[1, 1] = False  # one survivor in row 1

    with pytest.raises(
        ValueError, match=names("rows [1] leave fewer than 2", "S <= N - 2")
    ):
        get_scheme(scheme).decoder_matrices(
            points("chebyshev1", 3), points("chebyshev2", 6), masks
        )


def test_trace_file_with_fewer_than_two_survivors_is_refused(tmp_path):
    masks = np.ones((2, 6), dtype=bool)
    masks[1, 1:] = False
    path = tmp_path / "bad.npz"
    np.savez(path, masks=masks, N=6, S=5, seed=0, model="uniform")

    with pytest.raises(
        ValueError, match=names(f"trace {path}: rows [1]", "S <= N - 2")
    ):
        load_trace(path)


# Negative smoothing parameters through the coding API.
@pytest.mark.parametrize("key", ["lam_enc", "lam_dec"])
def test_negative_lam_is_refused(key):
    with pytest.raises(ValueError, match=names(f"{key} must be", ">= 0, got -1.0")):
        get_scheme("letcc", **{key: -1.0})


# Missing and corrupt dataset files.
def idx_gz(path, array):
    """Write ``array`` as a gzipped IDX file (magic, sizes, uint8 pixels)."""
    header = struct.pack(">I", 0x0800 + array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def write_idx_set(raw):
    """The four IDX files, gzipped, with 6 training and 2 test images."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (6, 28, 28)),
        np.arange(6) % 10,
        rng.integers(0, 256, (2, 28, 28)),
        np.arange(2),
    ]
    for name, array in zip(IDX_FILES, arrays, strict=True):
        idx_gz(raw / f"{name}.gz", array)


def load(name, root):
    return load_dataset(
        name,
        root,
        split_seed=0,
        val_fraction=0.5,
        system_dirs={},
        download=False,
        subset_fallback=False,
    )


@pytest.mark.parametrize(
    ("name", "folder"), [("fashion-mnist", "FashionMNIST"), ("mnist", "MNIST")]
)
def test_missing_dataset_names_the_files_and_where_to_put_them(tmp_path, name, folder):
    expected = tmp_path / folder / "raw" / "train-images-idx3-ubyte"

    with pytest.raises(
        FileNotFoundError, match=names(str(expected), "Put these files")
    ):
        load(name, tmp_path)


def test_truncated_dataset_file_is_reported_with_the_files_to_replace(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx_set(raw)
    images = raw / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:200]))

    with pytest.raises(
        FileNotFoundError, match=names("could not read it", "Put these files")
    ):
        load("fashion-mnist", tmp_path)


def test_garbage_gz_dataset_file_is_named(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx_set(raw)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not a gzip file")

    with pytest.raises(
        FileNotFoundError, match=names("train-images-idx3-ubyte.gz", "Put these")
    ):
        load("fashion-mnist", tmp_path)


# A checkpoint whose sha256 does not match.
def test_fetched_checkpoint_with_another_sha256_is_refused(tmp_path):
    source = tmp_path / "lenet5.pt"
    save_checkpoint(source, lenet5(), {})
    wrong = "0" * 64

    with pytest.raises(
        ValueError, match=names(f"does not match the expected {wrong}", "fetch.sha256")
    ):
        fetch_checkpoint(source, wrong, tmp_path / "fetched.pt")
    assert not (tmp_path / "fetched.pt").exists()


def test_loaded_checkpoint_with_another_sha256_is_refused(tmp_path):
    path = tmp_path / "lenet5.pt"
    save_checkpoint(path, lenet5(), {})
    wrong = "f" * 64

    with pytest.raises(
        ValueError, match=names(f"{path}: sha256", "Fetch or retrain it")
    ):
        load_checkpoint(path, sha256=wrong)


# A checkpoint of another architecture.
def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "lenet5.pt"
    save_checkpoint(path, lenet5(), {})

    with pytest.raises(
        ValueError,
        match=names("holds architecture 'lenet5', expected 'vit'", "train or fetch"),
    ):
        load_checkpoint(path, expected_arch="vit")


# A trace drawn for another number of workers.
def test_trace_of_another_n_is_refused(tmp_path):
    path = tmp_path / "uniform_N12.npz"
    generate_trace_file(path, N=12, S=1, trials=3, seed=0)

    with pytest.raises(
        ValueError,
        match=names("holds N=12 workers but N=24", "use the trace generated"),
    ):
        load_trace(path, N=24)


# An audit notebook run where no results exist.
def test_audit_of_missing_results_names_the_file_and_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the notebook's default paths are relative

    with pytest.raises(
        NotebookAuditError,
        match=names(
            "'results/theory/noiseless.csv' does not exist", "run the workflow"
        ),
    ):
        execute_notebook(
            ROOT / "notebooks" / "theory_rates.py",
            tmp_path / "out.ipynb",
            tmp_path / "out.html",
            {},
        )
