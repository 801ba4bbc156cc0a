"""Figures drawn from the gathered result tables, each with a CSV beside it.

All figures share one palette and label map per scheme (Okabe-Ito colours,
distinguishable with the common colour-vision deficiencies), render with the
Agg backend, and have explicit sizes so reruns give identical layouts.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from scipy import stats

from letcc.atomic import save_figure, write_csv

# Files only: never open a window, also on a cluster node without a display.
matplotlib.use("Agg")

logger = logging.getLogger(__name__)

#: Colour per scheme, shared by every figure.
PALETTE = {
    "letcc": "#0072B2",
    "bacc": "#D55E00",
    "lagrange": "#009E73",
    "replication": "#CC79A7",
}

#: Display name per scheme, shared by every figure.
LABELS = {
    "letcc": "LeTCC",
    "bacc": "BACC",
    "lagrange": "Lagrange",
    "replication": "Replication",
}

#: Exponent of N in the paper's noiseless bound R = O(S^3 N^-3).
THEORY_EXPONENT_NOISELESS = -3.0

#: Size of a single-panel figure, inches (fits one column of a paper).
SINGLE_PANEL = (5.0, 3.8)

#: Columns of the CSV written beside the MSE-vs-N figure, in order.
RATE_COLUMNS = (
    "scheme",
    "N",
    "mean",
    "std",
    "n_trials",
    "sem",
    "q10",
    "q90",
    "slope",
    "slope_lo",
    "slope_hi",
    "theory_exponent",
)


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares line through (log N, log mean MSE).

    Attributes
    ----------
    slope : float
        Fitted exponent b in mean MSE ~ a N^b.
    lo, hi : float
        95% confidence interval of the slope (Student t with n - 2 degrees of
        freedom); NaN when only two N were given.
    intercept : float
        Natural log of a.
    n_points : int
        Number of distinct N fitted.
    """

    slope: float
    lo: float
    hi: float
    intercept: float
    n_points: int


def fit_loglog_slope(N: np.ndarray, mse: np.ndarray, level: float = 0.95) -> SlopeFit:
    """Fit the exponent of a power law to the per-N mean of the MSE.

    Parameters
    ----------
    N : array-like of int, shape (n,)
        Number of workers of each observation (repeats allowed).
    mse : array-like of float, shape (n,)
        The matching per-trial MSE values, >= 0.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    SlopeFit

    Raises
    ------
    ValueError
        If the shapes differ, fewer than two distinct N are given, or a
        per-N mean is not positive and finite (its log is undefined).

    Notes
    -----
    The line is fitted to ``log(mean over trials)`` against ``log N`` by
    ordinary least squares (``scipy.stats.linregress``); the interval is
    ``slope +- t_{(1 + level)/2, n - 2} * stderr``. Averaging first estimates
    the rate of the expected loss R of ``docs/method.md``; the spread over
    trials enters the figure separately.
    """
    N = np.asarray(N, dtype=float)
    mse = np.asarray(mse, dtype=float)
    if N.shape != mse.shape or N.ndim != 1:
        raise ValueError(
            f"N and mse must be 1-D of equal length, got {N.shape} and {mse.shape}."
        )

    means = pd.Series(mse).groupby(N).mean()
    if len(means) < 2:
        raise ValueError(
            f"a slope needs at least 2 distinct N, got {means.index.tolist()}."
        )
    if not (np.isfinite(means) & (means > 0)).all():
        raise ValueError(
            f"per-N mean MSE must be positive and finite to take logs, got "
            f"{means.to_dict()}."
        )

    fit = stats.linregress(np.log(means.index.to_numpy()), np.log(means.to_numpy()))

    dof = len(means) - 2
    if dof > 0:
        half = stats.t.ppf((1 + level) / 2, dof) * fit.stderr
    else:
        half = np.nan
    return SlopeFit(
        slope=float(fit.slope),
        lo=float(fit.slope - half),
        hi=float(fit.slope + half),
        intercept=float(fit.intercept),
        n_points=len(means),
    )


def rate_table(
    table: pd.DataFrame, theory_exponent: float = THEORY_EXPONENT_NOISELESS
) -> pd.DataFrame:
    """Summarise per-trial MSE by scheme and N, with each scheme's slope.

    Parameters
    ----------
    table : pd.DataFrame
        Gathered results with at least the columns ``scheme``, ``N``, ``mse``.
    theory_exponent : float, default -3
        The paper's exponent of N, copied into every row for reference.

    Returns
    -------
    pd.DataFrame
        One row per (scheme, N) with the columns :data:`RATE_COLUMNS`:
        mean, std (ddof=1), n_trials, sem (std / sqrt(n_trials)), the 10% and
        90% quantiles of the per-trial MSE, and the scheme's fitted slope with
        its 95% interval (:func:`fit_loglog_slope`).
    """
    grouped = table.groupby(["scheme", "N"])["mse"]
    summary = grouped.agg(
        mean="mean",
        std="std",
        n_trials="count",
        q10=lambda x: x.quantile(0.1),
        q90=lambda x: x.quantile(0.9),
    ).reset_index()
    summary["sem"] = summary["std"] / np.sqrt(summary["n_trials"])

    fits = {
        scheme: fit_loglog_slope(rows["N"], rows["mse"])
        for scheme, rows in table.groupby("scheme")
    }
    summary["slope"] = summary["scheme"].map(lambda s: fits[s].slope)
    summary["slope_lo"] = summary["scheme"].map(lambda s: fits[s].lo)
    summary["slope_hi"] = summary["scheme"].map(lambda s: fits[s].hi)
    summary["theory_exponent"] = theory_exponent
    return summary[list(RATE_COLUMNS)]


def plot_mse_vs_n(
    table: pd.DataFrame,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    theory_exponent: float = THEORY_EXPONENT_NOISELESS,
    title: str | None = None,
) -> pd.DataFrame:
    """Draw mean MSE against N on log-log axes, one line per scheme.

    Parameters
    ----------
    table : pd.DataFrame
        Gathered results, one row per (scheme, N, trial), with columns
        ``scheme``, ``N``, ``mse``.
    out_png : path-like
        Figure file (PNG, 200 dpi, :data:`SINGLE_PANEL` inches).
    out_csv : path-like
        CSV of the plotted numbers (:func:`rate_table`).
    theory_exponent : float, default -3
        Exponent of the paper's bound, printed in the legend and drawn as a
        dashed guide through the first LeTCC point (or first point).
    title : str, optional
        Figure title, e.g. the settings of the run.

    Returns
    -------
    pd.DataFrame
        The table written to ``out_csv``.

    Notes
    -----
    Markers are the mean over trials; error bars its 95% confidence interval
    (1.96 standard errors); the shaded band the 10-90% range of per-trial MSE.
    A std band is not drawn because the per-trial MSE is skewed (std often
    exceeds the mean), so mean - std is negative and has no place on a log
    axis; the std is in the CSV.
    """
    summary = rate_table(table, theory_exponent)

    fig, ax = plt.subplots(figsize=SINGLE_PANEL, layout="constrained")
    for scheme, rows in summary.groupby("scheme", sort=False):
        _draw_scheme(ax, scheme, rows)
    _draw_guide(ax, summary, theory_exponent)

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of workers N")
    ax.set_ylabel("MSE per output coordinate")
    ax.set_xticks(sorted(summary["N"].unique()))
    ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="lower left")
    ax.text(
        0.98,
        0.98,
        "markers: mean over trials\nbars: 95% CI of the mean\nband: 10-90% of trials",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="x-small",
        color="0.3",
    )
    if title:
        ax.set_title(title, fontsize="small")

    save_figure(fig, out_png, dpi=200)
    plt.close(fig)
    write_csv(summary, out_csv)
    logger.info("wrote %s and %s", out_png, out_csv)
    return summary


def describe_run(table: pd.DataFrame) -> str:
    """One-line summary of the settings shared by a results table, for titles.

    Parameters
    ----------
    table : pd.DataFrame
        Gathered results with columns ``K``, ``S``, ``trial``, ``alpha_points``,
        ``beta_points``, ``scheme``, ``lam_enc`` and ``lam_dec``.

    Returns
    -------
    str
        E.g. ``"K=10, S=3, 200 trials; alpha chebyshev1, beta chebyshev2;
        LeTCC lam_enc=0, lam_dec=0 (paper, 1/n)"``. Settings that vary within
        the table are listed with "/".
    """

    def values(column: str, rows: pd.DataFrame = table) -> str:
        return "/".join(
            f"{v:g}" if isinstance(v, float) else str(v)
            for v in sorted(rows[column].unique())
        )

    text = (
        f"K={values('K')}, S={values('S')}, {table['trial'].nunique()} trials; "
        f"alpha {values('alpha_points')}, beta {values('beta_points')}"
    )
    letcc = table[table["scheme"] == "letcc"]
    if not letcc.empty:
        text += (
            f"\nLeTCC lam_enc={values('lam_enc', letcc)}, "
            f"lam_dec={values('lam_dec', letcc)} (paper convention, 1/n data term)"
        )
    return text


def _draw_scheme(ax: plt.Axes, scheme: str, rows: pd.DataFrame) -> None:
    """Plot one scheme's means, 95% CI bars and 10-90% band."""
    color = PALETTE.get(scheme, "0.3")
    first = rows.iloc[0]
    ci = f"[{first.slope_lo:.2f}, {first.slope_hi:.2f}]"
    label = f"{LABELS.get(scheme, scheme)}: slope {first.slope:.2f}, 95% CI {ci}"

    ax.fill_between(
        rows["N"], rows["q10"], rows["q90"], color=color, alpha=0.15, linewidth=0
    )
    # The lower bar is clipped at a tiny positive value: log axes cannot show 0.
    lower = np.minimum(1.96 * rows["sem"], rows["mean"] * (1 - 1e-9))
    ax.errorbar(
        rows["N"],
        rows["mean"],
        yerr=[lower, 1.96 * rows["sem"]],
        color=color,
        marker="o",
        markersize=4,
        capsize=2,
        label=label,
    )


def _draw_guide(ax: plt.Axes, summary: pd.DataFrame, exponent: float) -> None:
    """Dashed line of the theory's exponent through the first LeTCC point."""
    anchor_rows = summary[summary["scheme"] == "letcc"]
    if anchor_rows.empty:
        anchor_rows = summary
    anchor = anchor_rows.sort_values("N").iloc[0]

    Ns = np.sort(summary["N"].unique()).astype(float)
    guide = anchor["mean"] * (Ns / anchor["N"]) ** exponent
    ax.plot(
        Ns,
        guide,
        color="0.4",
        linestyle="--",
        linewidth=1,
        label=f"theory bound: rate $N^{{{exponent:g}}}$",
    )
