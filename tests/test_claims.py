"""Summaries of the theory tables and the verdicts of claims.csv."""

import numpy as np
import pandas as pd
import pytest

from letcc.claims import (
    CLAIM_COLUMNS,
    decomposition_summary,
    evaluate_claims,
    landscape_summary,
    method_label,
    rate_summary,
)


def power_law_table(slopes, xs=(20, 40, 80, 160), x="N", trials=40, seed=0):
    """Per-trial MSE = x^slope times mean-one lognormal noise, per curve."""
    rng = np.random.default_rng(seed)
    rows = []
    for (function, scheme), slope in slopes.items():
        for value in xs:
            noise = rng.lognormal(-0.02, 0.2, size=trials)  # mean one
            for trial, factor in enumerate(noise):
                rows.append(
                    {
                        "function": function,
                        "stragglers": "uniform",
                        "scheme": scheme,
                        x: value,
                        "trial": trial,
                        "mse": float(value) ** slope * factor,
                    }
                )
    return pd.DataFrame(rows)


def test_rate_summary_recovers_power_laws():
    table = power_law_table({("f", "letcc"): -4.0, ("f", "bacc"): -2.0})

    summary = rate_summary(table, "N", -3.0)

    slopes = summary.drop_duplicates("method").set_index("method")["slope"]
    # Lognormal factors of std 0.2 over 40 trials move each mean by ~3%,
    # a slope over a factor 8 in N by well under 0.1.
    assert slopes["letcc"] == pytest.approx(-4.0, abs=0.1)
    assert slopes["bacc"] == pytest.approx(-2.0, abs=0.1)
    assert (summary["theory_exponent"] == -3.0).all()
    assert (summary["ci_lo"] < summary["mean"]).all()
    assert (summary["mean"] < summary["ci_hi"]).all()


def test_rate_summary_means_and_spread_match_pandas():
    table = power_law_table({("f", "letcc"): -1.0}, xs=(10, 20, 40))

    summary = rate_summary(table, "N", -3.0).set_index("N")

    grouped = table.groupby("N")["mse"]
    np.testing.assert_allclose(summary["mean"], grouped.mean())
    np.testing.assert_allclose(summary["sem"], grouped.std() / np.sqrt(40))
    np.testing.assert_allclose(summary["q90"], grouped.quantile(0.9))


def test_bootstrap_interval_of_a_skewed_mean_stays_positive():
    # Mostly tiny values and one huge one: mean - 1.96 sem < 0, the
    # bootstrap interval is not.
    table = pd.DataFrame(
        {
            "function": "f",
            "stragglers": "uniform",
            "scheme": "letcc",
            "N": [10] * 50 + [20] * 50,
            "trial": list(range(50)) * 2,
            "mse": ([1e-9] * 49 + [1.0]) * 2,
        }
    )

    summary = rate_summary(table, "N", -3.0)

    assert (summary["mean"] - 1.96 * summary["sem"] < 0).all()
    assert (summary["ci_lo"] > 0).all()


def test_lam_rules_split_a_scheme_into_methods():
    table = power_law_table({("f", "letcc"): -1.0, ("f", "bacc"): 0.0})
    table["lam_rule"] = np.where(table["scheme"] == "letcc", "gcv", "none")
    table["lam_dec"] = np.where(table["scheme"] == "letcc", 1e-6, np.nan)

    summary = rate_summary(table, "N", -0.6)

    assert set(summary["method"]) == {"letcc-gcv", "bacc"}
    assert (
        summary.loc[summary["method"] == "letcc-gcv", "lam_dec_median"].eq(1e-6).all()
    )
    assert method_label("letcc", None) == "letcc"


def test_a_non_finite_trial_stops_the_summary_naming_its_setting():
    table = power_law_table({("f", "lagrange"): 5.0}, xs=(20, 40))
    table.loc[3, "mse"] = np.nan

    with pytest.raises(ValueError, match=r"1 trials have a non-finite MSE.*'N': 20"):
        rate_summary(table, "N", -3.0)


def test_a_curve_with_one_point_has_no_slope():
    table = power_law_table({("f", "lagrange"): 5.0}, xs=(20,))

    summary = rate_summary(table, "N", -3.0)

    assert np.isnan(summary["slope"]).all()


def landscape(loss_scale=1.0):
    """A tiny landscape table where loss <= bound by construction."""
    rows = []
    for split in ("test", "validation"):
        for lam_enc in (0.0, 1e-4):
            for lam_dec in (0.0, 1e-6):
                for trial in range(3):
                    enc = 0.0 if lam_enc == 0 else 0.1
                    dec = 0.2 + lam_dec * 1e5 + (split == "validation") * lam_enc * 1e3
                    rows.append(
                        {
                            "function": "f",
                            "split": split,
                            "lam_enc": lam_enc,
                            "lam_dec": lam_dec,
                            "trial": trial,
                            "loss": loss_scale * (dec + 2.0**2 * enc),
                            "dec_gen": dec,
                            "enc_train": enc,
                            "lipschitz": 2.0,
                            "radius": 3.0,
                        }
                    )
    return pd.DataFrame(rows)


def test_decomposition_summary_computes_the_bound_and_its_ratio():
    summary = decomposition_summary(landscape()).set_index(
        ["split", "lam_enc", "lam_dec"]
    )

    row = summary.loc[("test", 1e-4, 0.0)]
    assert row["bound"] == pytest.approx(2 * 0.2 + 2 * 4 * 0.1)
    assert row["ratio"] == pytest.approx((0.2 + 0.4) / 1.2)
    assert summary.loc[("test", 0.0, 0.0), "ratio"] == pytest.approx(0.5)
    # Validation loss is least at lam_enc = 0, lam_dec = 0.
    assert summary.loc[("test", 0.0, 0.0), "chosen"]
    assert summary["chosen"].sum() == 2  # one pair, flagged in both splits


def test_landscape_summary_flags_chosen_and_best_pairs():
    summary = landscape_summary(landscape())

    assert summary["chosen"].sum() == 1
    assert summary["test_best"].sum() == 1
    best = summary[summary["test_best"]].iloc[0]
    assert (best["lam_enc"], best["lam_dec"]) == (0.0, 0.0)


def rate_curves(slope, lo, hi, method="letcc", x="N"):
    return pd.DataFrame(
        {
            "function": ["f", "g"],
            "stragglers": ["uniform", "uniform"],
            "method": [method, method],
            x: [10, 10],
            "slope": [slope, -8.0],
            "slope_lo": [lo, -9.0],
            "slope_hi": [hi, -7.0],
        }
    )


def verdicts(rate_n, rate_s=None, noisy=None, loss_scale=1.0):
    return evaluate_claims(
        rate_n,
        rate_s if rate_s is not None else rate_curves(2.0, 1.5, 2.5, x="S"),
        noisy if noisy is not None else rate_curves(-1.0, -1.2, -0.8, "letcc-schedule"),
        decomposition_summary(landscape(loss_scale)),
    ).set_index("claim")


def test_claims_pass_when_every_interval_reaches_the_exponent():
    claims = verdicts(rate_curves(-2.8, -3.2, -2.4))

    assert list(claims.reset_index().columns) == list(CLAIM_COLUMNS)
    assert list(claims.index) == [
        "decomposition",
        "noiseless_rate_N",
        "noiseless_rate_S",
        "noisy_rate_N",
    ]
    assert (claims["status"] == "pass").all()
    # The least favourable curve is reported: f, not g.
    assert claims.loc["noiseless_rate_N", "measured"] == -2.8
    assert claims.loc["noiseless_rate_N", "case"].startswith("f,")


def test_a_slope_interval_wholly_on_the_slow_side_fails():
    claims = verdicts(
        rate_curves(-2.0, -2.3, -1.7),
        rate_s=rate_curves(4.0, 3.5, 4.5, x="S"),
        noisy=rate_curves(-0.4, -0.5, -0.3, "letcc-schedule"),
    )

    assert claims.loc["noiseless_rate_N", "status"] == "fail"
    assert claims.loc["noiseless_rate_S", "status"] == "fail"
    assert claims.loc["noisy_rate_N", "status"] == "fail"


def test_slope_tolerance_widens_the_pass_region():
    curves = rate_curves(-2.0, -2.8, -1.2)
    strict = verdicts(curves)
    loose = evaluate_claims(
        curves,
        rate_curves(2.0, 1.5, 2.5, x="S"),
        rate_curves(-1.0, -1.2, -0.8, "letcc-schedule"),
        decomposition_summary(landscape()),
        slope_tolerance=0.5,
    ).set_index("claim")

    assert strict.loc["noiseless_rate_N", "status"] == "fail"
    assert loose.loc["noiseless_rate_N", "status"] == "pass"


def test_a_loss_above_its_bound_fails_the_decomposition():
    claims = verdicts(rate_curves(-4.0, -5.0, -3.0), loss_scale=2.5)

    assert claims.loc["decomposition", "status"] == "fail"
    assert claims.loc["decomposition", "measured"] > 1


def test_missing_letcc_curves_are_reported():
    with pytest.raises(
        ValueError, match="no LeTCC curves to judge claim 'noiseless_rate_N'"
    ):
        verdicts(rate_curves(-4.0, -5.0, -3.0, method="bacc"))
