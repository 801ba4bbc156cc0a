"""End to end: the whole workflow on config/smoke.yaml in a scratch folder.

One snakemake run (about 20 s including start-up) is shared by every test
here; its content is then checked against the config and recomputed numbers.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from letcc.figures import rate_table
from letcc.provenance import canonical_json, sha256_file, sha256_text
from letcc.traces import load_trace

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "config" / "smoke.yaml"

#: Kills a hung run so it fails instead of stalling the suite; the smoke run
#: itself takes well under a minute.
TIMEOUT_S = 300

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the workflow once; return (working dir, config)."""
    workdir = tmp_path_factory.mktemp("smoke")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(SMOKE),
        "--cores",
        "2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir, yaml.safe_load(SMOKE.read_text())


@pytest.fixture(scope="module")
def results(run):
    workdir, config = run
    return pd.read_csv(workdir / config["results_dir"] / "synthetic" / "results.csv")


def test_results_have_one_row_per_scheme_n_and_trial(run, results):
    _, config = run
    synthetic = config["synthetic"]
    expected = {
        (scheme, N, trial)
        for scheme in config["schemes"]
        for N in synthetic["N"]
        for trial in range(synthetic["trials"])
    }

    got = set(zip(results["scheme"], results["N"], results["trial"], strict=True))

    assert len(results) == len(expected)
    assert got == expected
    assert (results["K"] == synthetic["K"]).all()
    assert (results["S"] == synthetic["S"]).all()
    assert (results["seed"] == config["seed"]).all()


def test_mse_is_finite_and_non_negative(results):
    assert np.isfinite(results["mse"]).all()
    assert (results["mse"] >= 0).all()
    assert (results["n_nonfinite"] == 0).all()


def test_letcc_mse_decreases_with_n(results):
    means = results[results["scheme"] == "letcc"].groupby("N")["mse"].mean()

    assert means.is_monotonic_decreasing, f"mean MSE by N: {means.to_dict()}"


def test_lam_columns_state_their_convention(run, results):
    _, config = run
    letcc = results[results["scheme"] == "letcc"]

    assert (letcc["lam_convention"] == "paper").all()
    assert (letcc["lam_dec"] == config["schemes"]["letcc"]["lam_dec"]).all()
    assert (results["alpha_points"] == config["points"]["alpha"]).all()


def test_traces_exist_for_every_n(run):
    workdir, config = run
    synthetic = config["synthetic"]
    for N in synthetic["N"]:
        name = f"uniform_N{N}_S{synthetic['S']}_T{synthetic['trials']}_seed0.npz"
        masks = load_trace(workdir / config["results_dir"] / "traces" / name, N=N)
        assert (masks.sum(axis=1) == N - synthetic["S"]).all()


def test_figure_is_a_png_under_the_smoke_results(run):
    workdir, config = run
    png = workdir / config["figures_dir"] / "synthetic_mse_vs_N.png"

    assert config["figures_dir"].startswith(config["results_dir"])
    assert png.stat().st_size > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (workdir / "figures").exists()


def test_figure_csv_matches_a_recomputation(run, results):
    workdir, config = run
    written = pd.read_csv(workdir / config["figures_dir"] / "synthetic_mse_vs_N.csv")

    pd.testing.assert_frame_equal(written, rate_table(results), check_dtype=False)


@pytest.mark.parametrize(
    "product",
    ["{results_dir}/synthetic/results", "{figures_dir}/synthetic_mse_vs_N"],
)
def test_manifests_record_config_code_and_inputs(run, product):
    workdir, config = run
    path = workdir / f"{product.format(**config)}.manifest.json"
    manifest = json.loads(path.read_text())

    assert manifest["config"]["synthetic"] == config["synthetic"]
    assert manifest["config_sha256"] == sha256_text(canonical_json(manifest["config"]))
    assert manifest["seeds"] == {"seed": config["seed"]}
    assert manifest["git_commit"]
    assert set(manifest["packages"]) >= {"letcc", "torch", "numpy", "scipy"}
    for name, digest in manifest["inputs"].items():
        assert sha256_file(workdir / name) == digest, name
