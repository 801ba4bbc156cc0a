"""Summaries, figures and the results table of the inference track."""

import numpy as np
import pandas as pd
import pytest

from letcc.inference import COLUMNS
from letcc.inference_report import (
    gather_inference,
    plot_vs_s,
    results_table,
    summarise,
    write_results_table,
)


def trials_table(seed=0):
    """Per-trial rows for one model, two schemes, two S, two sigma, 4 trials."""
    rng = np.random.default_rng(seed)
    rows = []
    for scheme in ("letcc", "replication"):
        for S in (0, 3):
            for sigma in (0.0, 1.0):
                for trial in range(4):
                    mse = (
                        0.0 if scheme == "replication" and sigma == 0 else rng.random()
                    )
                    rows.append(
                        {
                            "model": "toy",
                            "stragglers": "uniform",
                            "scheme": scheme,
                            "N": 10,
                            "K": 4,
                            "S": S,
                            "sigma": sigma,
                            "trial": trial,
                            "seed": 0,
                            "mse": mse,
                            "rmse": np.sqrt(mse),
                            "accuracy": 0.9 - 0.1 * rng.random(),
                            "base_accuracy": 0.9,
                            "rel_accuracy": np.nan,
                            "agreement": rng.random(),
                            "n_images": 40,
                            "n_lost": 0,
                            "n_nonfinite": 0,
                            "n_outliers": 0,
                            "mean_survivors": 10 - S,
                            "lam_enc": 1e-5 if scheme == "letcc" else np.nan,
                            "lam_dec": 1e-4 if scheme == "letcc" else np.nan,
                            "lam_convention": "paper" if scheme == "letcc" else "none",
                        }
                    )
    table = pd.DataFrame(rows)
    table["rel_accuracy"] = table["accuracy"] / table["base_accuracy"]
    return table[list(COLUMNS)]


def test_summary_is_the_mean_and_sample_std_over_trials():
    table = trials_table()

    summary = summarise(table)

    assert len(summary) == 2 * 2 * 2
    for _, row in summary.iterrows():
        part = table[
            (table["scheme"] == row["scheme"])
            & (table["S"] == row["S"])
            & (table["sigma"] == row["sigma"])
        ]
        assert row["rmse_mean"] == pytest.approx(part["rmse"].mean())
        assert row["rmse_std"] == pytest.approx(np.std(part["rmse"], ddof=1))
        assert row["rel_accuracy_mean"] == pytest.approx(part["rel_accuracy"].mean())
        assert row["n_trials"] == 4


def test_gather_refuses_duplicated_rows(tmp_path):
    table = trials_table()
    for name in ("a.csv", "b.csv"):
        table.to_csv(tmp_path / name, index=False)

    assert len(gather_inference([tmp_path / "a.csv"])) == len(table)
    with pytest.raises(ValueError, match="duplicated rows"):
        gather_inference([tmp_path / "a.csv", tmp_path / "b.csv"])


def test_results_table_keeps_the_configured_s_and_writes_three_formats(tmp_path):
    summary = summarise(trials_table())

    wide = results_table(summary, {"toy": [3]})
    write_results_table(
        wide,
        csv=tmp_path / "t.csv",
        markdown=tmp_path / "t.md",
        latex=tmp_path / "t.tex",
        caption="RMSE ± std, lam_enc chosen",
    )

    assert wide["S"].tolist() == [3, 3]
    assert wide["sigma"].tolist() == [0.0, 1.0]
    row = summary[(summary["scheme"] == "letcc") & (summary["S"] == 3)].iloc[0]
    assert wide["letcc_rmse_mean"].iloc[0] == pytest.approx(row["rmse_mean"])
    assert wide["letcc_lam_enc"].iloc[0] == 1e-5
    markdown = (tmp_path / "t.md").read_text()
    assert "| LeTCC RMSE" in markdown and " ± " in markdown
    assert "Replication RelAcc" in markdown
    latex = (tmp_path / "t.tex").read_text()
    assert r"\begin{tabular}" in latex and r"$\pm$" in latex
    assert r"lam\_enc" in latex and "±" not in latex
    assert pd.read_csv(tmp_path / "t.csv").shape == wide.shape


@pytest.mark.parametrize("metric", ["mse", "relacc"])
def test_figure_csv_holds_the_plotted_means(tmp_path, metric):
    summary = summarise(trials_table())

    plotted = plot_vs_s(
        summary, metric, tmp_path / "f.png", tmp_path / "f.csv", title="toy"
    )

    column = "mse_mean" if metric == "mse" else "rel_accuracy_mean"
    np.testing.assert_allclose(plotted["mean"], summary[column])
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    written = pd.read_csv(tmp_path / "f.csv")
    np.testing.assert_allclose(written["mean"], plotted["mean"])


def test_unknown_figure_metric_is_refused(tmp_path):
    with pytest.raises(ValueError, match="metric='acc' is unknown"):
        plot_vs_s(summarise(trials_table()), "acc", tmp_path / "f.png", "f.csv")
