# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Audit: the noisy rate in N
#
# Claim 4 of `docs/method.md`: with noisy workers (y_n = f(x~_n) + e_n,
# variance sigma^2 per coordinate) and lam_dec chosen as a function of N and
# S, LeTCC's loss is R = O(S^(8/5) N^(-3/5)). The workflow chooses lam_dec
# in three ways (a stated schedule, a validation grid, and generalised
# cross-validation per straggler pattern) and also runs lam_dec = 0 and
# BACC, which interpolate the noise. This notebook reads only the workflow's
# per-trial table, the figure's CSV and `claims.csv`, recomputes the plotted
# numbers and checks the claim for the schedule: the 95% interval of every
# function's log-log slope must reach -3/5 or go below it.

# %%
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Image, display
from scipy import stats

# %% tags=["parameters"]
noisy_table = "results/theory/noisy/uniform_S3_K10_sigma0.3_T200_seed0_val1.csv"
noisy_csv = "figures/theory_noisy_rate_N.csv"
noisy_png = "figures/theory_noisy_rate_N.png"
claims_csv = "figures/claims.csv"
slope_tolerance = 0.0

# %%
inputs = {
    "noisy_table": noisy_table,
    "noisy_csv": noisy_csv,
    "noisy_png": noisy_png,
    "claims_csv": claims_csv,
}
for name, path in inputs.items():
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"audit input {name} = {path!r} does not exist; run the workflow "
            "(snakemake --cores all) to write it, or pass its path."
        )

table = pd.read_csv(noisy_table, keep_default_na=False, na_values=[""])
claims = pd.read_csv(claims_csv).set_index("claim")
with_rule = table["scheme"] + "-" + table["lam_rule"]
table["method"] = np.where(table["lam_rule"] == "none", table["scheme"], with_rule)
sigma = float(table["sigma"].iloc[0])
print(f"{len(table)} rows; sigma = {sigma}; methods {sorted(table.method.unique())}")

# %% [markdown]
# ## Recompute the plotted numbers

# %%
keys = ["function", "method"]
means = (
    table.groupby([*keys, "N"])
    .agg(mean=("mse", "mean"), lam_dec_median=("lam_dec", "median"))
    .reset_index()
)
rows = []
for key, curve in means.groupby(keys):
    fit = stats.linregress(np.log(curve["N"]), np.log(curve["mean"]))
    half = stats.t.ppf(0.975, len(curve) - 2) * fit.stderr
    rows.append((*key, fit.slope, fit.slope - half, fit.slope + half))
slopes = pd.DataFrame(rows, columns=[*keys, "slope", "slope_lo", "slope_hi"])

plotted = pd.read_csv(noisy_csv)
merged = means.merge(plotted, on=[*keys, "N"])
assert len(merged) == len(means) == len(plotted), "plotted points differ"
np.testing.assert_allclose(merged["mean_x"], merged["mean_y"], rtol=1e-9)
np.testing.assert_allclose(
    merged["lam_dec_median_x"], merged["lam_dec_median_y"], rtol=1e-9, equal_nan=True
)
check = slopes.merge(plotted.drop_duplicates(keys), on=keys)
np.testing.assert_allclose(check["slope_x"], check["slope_y"], rtol=1e-9)
print(f"{len(merged)} points and {len(check)} slopes agree with {noisy_csv}")

display(Image(filename=noisy_png))
print(slopes.round(3).to_string(index=False))

# %% [markdown]
# ## The chosen lam_dec
#
# Median lam_dec per N (paper convention). The schedule is
# lam = (sigma^2 / (4 (N - S) J))^(4/5), with J the mean per-coordinate
# penalty of the encoder curve (`letcc.theory.schedule_lam`); validation
# picks one grid value per (function, N) on separate draws; GCV picks one
# per straggler pattern from the noisy outputs alone.

# %%
lams = means[means["method"].str.startswith("letcc-")].pivot_table(
    index=["function", "N"], columns="method", values="lam_dec_median"
)
print(lams.map(lambda v: f"{v:.2e}").to_string())

# %% [markdown]
# ## Claim 4: the schedule decays at least like N^(-3/5)

# %%
schedule = slopes[slopes["method"] == "letcc-schedule"]
failing = schedule[schedule["slope_lo"] > -0.6 + slope_tolerance]
worst = schedule.loc[schedule["slope_lo"].idxmax()]
print(
    f"least favourable: {worst.function}: slope {worst.slope:.3f}, 95% CI "
    f"[{worst.slope_lo:.3f}, {worst.slope_hi:.3f}], theory -0.6"
)
assert failing.empty, (
    "Claim noisy_rate_N (R = O(N^-3/5) with lam_dec by schedule) does not hold: "
    f"the slope interval lies above -0.6 + {slope_tolerance:g} for "
    f"{failing[['function', 'slope', 'slope_lo']].to_dict('records')}"
)
row = claims.loc["noisy_rate_N"]
assert row["status"] == "pass", f"claims.csv says noisy_rate_N failed: {row.to_dict()}"
assert np.isclose(row["measured"], worst["slope"], rtol=1e-9), (
    f"claims.csv reports {row['measured']}, recomputed {worst['slope']}"
)
print(f"Claim noisy_rate_N holds for all {len(schedule)} functions.")

# %% [markdown]
# ## Beside the claim: the other rules and the interpolating schemes
#
# Not claims of the paper, so reported rather than asserted. Interpolating
# the noise (LeTCC with lam_dec = 0, and BACC) leaves an error of the order
# of sigma^2 that does not shrink with N: the last local slope of those
# curves is near 0. The ratio column compares each rule's loss at the
# largest N with the schedule's.

# %%
largest = means[means["N"] == means["N"].max()].set_index(keys)["mean"]
last_two = sorted(means["N"].unique())[-2:]
tail = means[means["N"].isin(last_two)].pivot_table(
    index=keys, columns="N", values="mean"
)
report = pd.DataFrame(
    {
        "mean MSE at largest N": largest,
        "vs schedule": largest
        / largest.xs("letcc-schedule", level="method")
        .reindex(largest.index.get_level_values("function"))
        .to_numpy(),
        "last local slope": np.log(tail[last_two[1]] / tail[last_two[0]])
        / np.log(last_two[1] / last_two[0]),
        "sigma^2": sigma**2,
    }
)
print(report.round(4).to_string())
