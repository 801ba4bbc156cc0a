"""Slope fits and the MSE-vs-N figure."""

import numpy as np
import pandas as pd
import pytest

from letcc.figures import (
    LABELS,
    PALETTE,
    RATE_COLUMNS,
    describe_run,
    fit_loglog_slope,
    plot_mse_vs_n,
    rate_table,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def power_law_table(slopes, Ns=(20, 40, 80, 160), trials=30, seed=0):
    """Per-trial MSE = 2 N^slope times mean-one lognormal noise, per scheme."""
    rng = np.random.default_rng(seed)
    rows = []
    for scheme, slope in slopes.items():
        for N in Ns:
            noise = rng.lognormal(-0.125, 0.5, size=trials)  # E[noise] = 1
            for trial, factor in enumerate(noise):
                rows.append(
                    {
                        "scheme": scheme,
                        "N": N,
                        "S": 2,
                        "K": 8,
                        "trial": trial,
                        "mse": 2.0 * N**slope * factor,
                        "alpha_points": "chebyshev1",
                        "beta_points": "chebyshev2",
                        "lam_enc": 0.0 if scheme == "letcc" else np.nan,
                        "lam_dec": 0.0 if scheme == "letcc" else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def test_exact_power_law_gives_its_exponent_and_a_tight_interval():
    N = np.array([10, 20, 40, 80, 160])

    fit = fit_loglog_slope(N, 5.0 * N**-3.0)

    assert fit.slope == pytest.approx(-3.0, abs=1e-12)
    assert fit.hi - fit.lo < 1e-9
    assert np.exp(fit.intercept) == pytest.approx(5.0, rel=1e-12)
    assert fit.n_points == 5


def test_noisy_power_law_lies_within_the_fitted_interval():
    table = power_law_table({"letcc": -2.5}, Ns=(10, 20, 40, 80, 160, 320))

    fit = fit_loglog_slope(table["N"], table["mse"])

    assert fit.lo < -2.5 < fit.hi, f"CI [{fit.lo}, {fit.hi}] misses -2.5"
    assert fit.hi - fit.lo < 0.5, "interval too wide to be informative"


def test_interval_covers_the_true_slope_about_95_percent_of_the_time():
    # Gaussian residuals in log space are the interval's own assumption, so
    # its coverage must be close to nominal. 400 repetitions: binomial std of
    # the coverage is 0.011, so [0.91, 0.99] is a 3.6-std window.
    rng = np.random.default_rng(1)
    N = np.array([10, 20, 40, 80, 160])
    hits = 0
    for _ in range(400):
        mse = N**-3.0 * np.exp(rng.normal(0, 0.3, size=N.size))
        fit = fit_loglog_slope(N, mse)
        hits += fit.lo <= -3.0 <= fit.hi
    assert 0.91 <= hits / 400 <= 0.99


def test_two_n_give_a_slope_without_interval():
    fit = fit_loglog_slope([10, 10, 20, 20], [1.0, 3.0, 0.25, 0.25])

    assert fit.slope == pytest.approx(np.log2(0.25 / 2.0))
    assert np.isnan(fit.lo) and np.isnan(fit.hi)


@pytest.mark.parametrize(
    ("N", "mse", "message"),
    [
        ([10, 10], [1.0, 2.0], "at least 2 distinct N"),
        ([10, 20, 40], [1.0, 0.0, 0.5], "positive and finite"),
        ([10, 20], [1.0], "equal length"),
    ],
)
def test_fit_rejects_unusable_data(N, mse, message):
    with pytest.raises(ValueError, match=message):
        fit_loglog_slope(N, mse)


def test_rate_table_matches_a_direct_groupby():
    table = power_law_table({"letcc": -4.0, "bacc": -2.0})

    summary = rate_table(table)

    assert list(summary.columns) == list(RATE_COLUMNS)
    direct = table.groupby(["scheme", "N"])["mse"].agg(["mean", "std", "count"])
    got = summary.set_index(["scheme", "N"]).loc[direct.index]
    np.testing.assert_allclose(got["mean"], direct["mean"], rtol=1e-14)
    np.testing.assert_allclose(got["std"], direct["std"], rtol=1e-14)
    np.testing.assert_allclose(got["sem"], direct["std"] / np.sqrt(direct["count"]))
    assert (summary["n_trials"] == 30).all()
    letcc = summary[summary["scheme"] == "letcc"]
    assert letcc["slope"].nunique() == 1
    assert letcc["slope_lo"].iloc[0] < -4.0 < letcc["slope_hi"].iloc[0]


def test_plot_writes_a_png_and_the_plotted_numbers(tmp_path):
    table = power_law_table({"letcc": -4.0, "bacc": -2.0})
    png, csv = tmp_path / "fig" / "rate.png", tmp_path / "fig" / "rate.csv"

    summary = plot_mse_vs_n(table, png, csv, title=describe_run(table))

    assert png.read_bytes()[:8] == PNG_SIGNATURE
    written = pd.read_csv(csv)
    pd.testing.assert_frame_equal(written, summary, check_dtype=False)
    assert (written["theory_exponent"] == -3.0).all()


def test_describe_run_states_settings_and_lam_convention():
    text = describe_run(power_law_table({"letcc": -4.0, "bacc": -2.0}))

    assert "K=8, S=2, 30 trials" in text
    assert "alpha chebyshev1, beta chebyshev2" in text
    assert "lam_enc=0, lam_dec=0 (paper convention" in text


def test_every_scheme_has_a_colour_and_a_label():
    from letcc.coding import SCHEMES

    for scheme in SCHEMES:
        assert scheme in PALETTE and scheme in LABELS
