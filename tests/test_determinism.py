"""Two smoke runs from scratch, in separate folders, give the same numbers.

The second run shares nothing with the session's smoke run but the config:
its traces, noise, trained network and every table are computed anew. Tables
must match byte for byte; trace, noise and checkpoint files hold write times,
so their arrays and weights are compared instead, exactly.
"""

import subprocess

import numpy as np
import pytest
import torch
from conftest import TIMEOUT_S, smoke_command

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(smoke_run, tmp_path_factory):
    """(first run's folder, second run's folder, results_dir)."""
    first, config = smoke_run
    second = tmp_path_factory.mktemp("again")
    done = subprocess.run(
        smoke_command(second), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return first, second, config["results_dir"]


def files(folder, pattern):
    """Paths under ``folder`` matching ``pattern``, relative to it, sorted."""
    return sorted(path.relative_to(folder) for path in folder.rglob(pattern))


def test_same_tables_byte_for_byte(runs):
    first, second, results = runs
    tables = files(first / results, "*.csv")
    assert len(tables) > 10
    assert files(second / results, "*.csv") == tables

    for name in tables:
        a = (first / results / name).read_bytes()
        assert a == (second / results / name).read_bytes(), name


def test_same_traces_and_noise(runs):
    first, second, results = runs
    arrays = files(first / results, "*.npz")
    assert arrays

    for name in arrays:
        with (
            np.load(first / results / name) as a,
            np.load(second / results / name) as b,
        ):
            assert a.files == b.files, name
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}:{key}")


def test_same_trained_weights(runs):
    first, second, results = runs
    checkpoints = files(first / results, "*.pt")
    assert checkpoints

    for name in checkpoints:
        a = torch.load(first / results / name, weights_only=True)["state_dict"]
        b = torch.load(second / results / name, weights_only=True)["state_dict"]
        assert a.keys() == b.keys(), name
        for key in a:
            assert torch.equal(a[key], b[key]), f"{name}:{key}"
