"""The theory figures: decomposition, rates in N and S, noisy rate, landscape.

Each function draws one figure from a summary of :mod:`letcc.claims` and
writes the summary beside it as CSV, so every plotted number can be checked.
Colours and names come from :data:`letcc.figures.PALETTE` and
:data:`letcc.figures.LABELS`; LeTCC's smoothing rules share its colour and
differ in line style.
"""

from __future__ import annotations

import logging
import os

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from letcc import claims
from letcc.atomic import save_figure, write_csv
from letcc.figures import LABELS, PALETTE

# Files only, also on a cluster node without a display.
matplotlib.use("Agg")

logger = logging.getLogger(__name__)

#: Line style, marker and display name of each method, in legend order.
METHOD_STYLES = {
    "letcc": ("-", "o", "LeTCC"),
    "letcc-schedule": ("-", "o", "LeTCC, schedule lam"),
    "letcc-validation": ("--", "s", "LeTCC, validation lam"),
    "letcc-gcv": ("-.", "^", "LeTCC, GCV lam"),
    "letcc-interpolate": (":", "x", "LeTCC, lam = 0"),
    "bacc": ("-", "o", LABELS["bacc"]),
    "lagrange": ("-", "D", LABELS["lagrange"]),
}

#: Display names of the functions (:data:`letcc.functions.FUNCTIONS`).
DESCRIPTIONS = {
    "xsinx": "x sin x (coordinate-wise)",
    "tanhnet": "random tanh network",
    "abspow": "|x|^2.5 (coordinate-wise)",
}

#: Display names of the straggler models.
STRAGGLER_LABELS = {
    "uniform": "random stragglers",
    "worstgap": "worst-case stragglers (widest gap)",
}

#: Colours of the bound's terms in the decomposition figure.
TERM_COLOURS = {
    "loss": "black",
    "bound": "0.45",
    "dec_term": PALETTE["letcc"],
    "enc_term": PALETTE["replication"],
}


def plot_rates(
    summary: pd.DataFrame,
    x: str,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    title: str = "",
) -> None:
    """MSE against N (or S) on log-log axes, one panel per function and model.

    Parameters
    ----------
    summary : pd.DataFrame
        :func:`letcc.claims.rate_summary` of a noiseless sweep.
    x : {"N", "S"}
        The swept variable.
    out_png, out_csv : path-like
        Figure (PNG, 200 dpi) and the CSV of ``summary``.
    title : str
        Settings of the run, printed above the panels.

    Notes
    -----
    Markers are means over trials, bars their 95% bootstrap interval, bands
    the 10-90% range of trials; the legend gives each curve's slope with its
    95% interval, and the dashed line the theory's exponent through the
    first LeTCC point. Lagrange points above the panel's range are drawn as
    triangles on its upper edge with their value, so the other curves keep
    a readable scale.
    """
    functions = list(dict.fromkeys(summary["function"]))
    models = list(dict.fromkeys(summary["stragglers"]))
    fig, axes = plt.subplots(
        len(functions),
        len(models),
        figsize=(4.6 * len(models), 3.3 * len(functions)),
        layout="constrained",
        squeeze=False,
    )
    exponent = float(summary["theory_exponent"].iloc[0])
    for row, name in enumerate(functions):
        for col, model in enumerate(models):
            ax = axes[row, col]
            rows = summary[
                (summary["function"] == name) & (summary["stragglers"] == model)
            ]
            _draw_rate_panel(ax, rows, x, exponent)
            ax.set_title(
                f"{DESCRIPTIONS.get(name, name)}; {STRAGGLER_LABELS.get(model, model)}",
                fontsize="small",
            )
            ax.set_xlabel(
                "number of workers N" if x == "N" else "number of stragglers S"
            )
            ax.set_ylabel("MSE per output coordinate")
    _finish(fig, title, out_png, summary, out_csv, note=RATE_NOTE)


def plot_noisy(
    summary: pd.DataFrame,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    sigma: float,
    title: str = "",
) -> None:
    """Noisy MSE against N, one panel per function, one line per lam rule.

    Parameters
    ----------
    summary : pd.DataFrame
        :func:`letcc.claims.rate_summary` of the noisy sweep.
    out_png, out_csv : path-like
        Figure and the CSV of ``summary``.
    sigma : float
        Noise standard deviation; ``sigma^2`` is drawn as a reference.
    title : str
        Settings of the run.
    """
    functions = list(dict.fromkeys(summary["function"]))
    fig, axes = plt.subplots(
        1,
        len(functions),
        figsize=(4.8 * len(functions), 4.2),
        layout="constrained",
        squeeze=False,
    )
    exponent = float(summary["theory_exponent"].iloc[0])
    for ax, name in zip(axes[0], functions, strict=True):
        rows = summary[summary["function"] == name]
        _draw_rate_panel(ax, rows, "N", exponent, anchor="letcc-schedule")
        ax.axhline(sigma**2, color="0.6", linewidth=0.8)
        ax.annotate(
            "noise variance $\\sigma^2$",
            (0.02, sigma**2),
            xycoords=("axes fraction", "data"),
            fontsize="x-small",
            color="0.4",
            va="bottom",
        )
        ax.set_title(DESCRIPTIONS.get(name, name), fontsize="small")
        ax.set_xlabel("number of workers N")
        ax.set_ylabel("MSE per output coordinate")
    _finish(fig, title, out_png, summary, out_csv, note=RATE_NOTE)


def plot_decomposition(
    summary: pd.DataFrame,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    title: str = "",
) -> None:
    """Loss beside the two terms of its bound, along both smoothing parameters.

    Parameters
    ----------
    summary : pd.DataFrame
        :func:`letcc.claims.decomposition_summary`; the test split is drawn
        and written.
    out_png, out_csv : path-like
        Figure and the CSV of the test rows (every grid point, not only the
        two slices drawn).
    title : str
        Settings of the run.

    Notes
    -----
    Left: ``lam_dec`` varies at the chosen ``lam_enc``; right: ``lam_enc``
    varies at the chosen ``lam_dec`` (the pair with the least validation
    loss). ``lam = 0`` sits one step left of the smallest positive value on
    the log axis, with its own tick. A zero term (the encoder's training
    error at ``lam_enc = 0``) has no place on a log axis and is left out.
    """
    test = summary[summary["split"] == "test"].reset_index(drop=True)
    functions = list(dict.fromkeys(test["function"]))
    fig, axes = plt.subplots(
        len(functions),
        2,
        figsize=(10.0, 3.2 * len(functions)),
        layout="constrained",
        squeeze=False,
    )
    for row, name in enumerate(functions):
        rows = test[test["function"] == name]
        chosen = rows[rows["chosen"]].iloc[0]
        panels = (
            (
                "lam_dec",
                rows[rows["lam_enc"] == chosen["lam_enc"]],
                f"lam_enc = {chosen['lam_enc']:g}",
            ),
            (
                "lam_enc",
                rows[rows["lam_dec"] == chosen["lam_dec"]],
                f"lam_dec = {chosen['lam_dec']:g}",
            ),
        )
        for col, (axis, line, fixed) in enumerate(panels):
            ax = axes[row, col]
            _draw_decomposition_panel(ax, line.sort_values(axis), axis)
            ax.set_title(
                f"{DESCRIPTIONS.get(name, name)}: L = {chosen['lipschitz']:.3g} "
                f"on |x| <= {chosen['radius']:.3g}; {fixed}",
                fontsize="small",
            )
    # Every panel has the same four lines: one legend for the figure.
    handles, labels = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small")
    _finish(fig, title, out_png, test, out_csv)


def plot_landscape(
    summary: pd.DataFrame,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    title: str = "",
) -> None:
    """Heatmap of the mean test loss over the ``(lam_enc, lam_dec)`` grid.

    Parameters
    ----------
    summary : pd.DataFrame
        :func:`letcc.claims.landscape_summary`.
    out_png, out_csv : path-like
        Figure and the CSV of ``summary``.
    title : str
        Settings of the run.

    Notes
    -----
    Colour: log10 of the mean test loss (squared error per input). Star: the
    pair chosen on the validation draws; circle: the best pair on the test
    draws (an oracle, for reference).
    """
    functions = list(dict.fromkeys(summary["function"]))
    fig, axes = plt.subplots(
        1,
        len(functions),
        figsize=(4.9 * len(functions), 4.4),
        layout="constrained",
        squeeze=False,
    )
    for ax, name in zip(axes[0], functions, strict=True):
        rows = summary[summary["function"] == name]
        grid = rows.pivot(index="lam_enc", columns="lam_dec", values="test_loss")
        image = ax.imshow(
            np.log10(grid.to_numpy()), origin="lower", aspect="auto", cmap="viridis"
        )
        fig.colorbar(image, ax=ax, label="log10 mean test loss", shrink=0.9)
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.tick_params(axis="x", labelrotation=60, labelsize="x-small")
        ax.tick_params(axis="y", labelsize="x-small")
        ax.set_xlabel("lam_dec (paper convention)")
        ax.set_ylabel("lam_enc (paper convention)")

        chosen = rows[rows["chosen"]].iloc[0]
        best = rows[rows["test_best"]].iloc[0]
        for point, marker in ((chosen, "*"), (best, "o")):
            ax.plot(
                list(grid.columns).index(point["lam_dec"]),
                list(grid.index).index(point["lam_enc"]),
                marker=marker,
                markersize=13 if marker == "*" else 11,
                markerfacecolor="white" if marker == "*" else "none",
                markeredgecolor="black" if marker == "*" else "red",
                linestyle="none",
            )
        ax.set_title(
            f"{DESCRIPTIONS.get(name, name)}\nstar: chosen on validation, test loss "
            f"{chosen['test_loss']:.3g}; red circle: best on test (oracle), "
            f"{best['test_loss']:.3g}",
            fontsize="x-small",
        )
    _finish(fig, title, out_png, summary, out_csv)


def _draw_rate_panel(ax, rows, x, exponent, anchor="letcc"):
    """Curves of one panel, with bands, CI bars, the guide and the legend."""
    upper = _panel_top(rows)
    order = {method: i for i, method in enumerate(METHOD_STYLES)}
    methods = sorted(rows["method"].unique(), key=lambda m: order.get(m, len(order)))
    for method in methods:
        line = rows[rows["method"] == method].sort_values(x)
        _draw_method(ax, method, line, x, upper)

    start = rows[rows["method"] == anchor].sort_values(x)
    if not start.empty:
        first = start.iloc[0]
        xs = np.sort(rows[x].unique()).astype(float)
        ax.plot(
            xs,
            first["mean"] * (xs / first[x]) ** exponent,
            color="0.4",
            linestyle=(0, (4, 3)),
            linewidth=1,
            label=f"theory bound: rate ${x}^{{{exponent:g}}}$",
        )

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=upper)
    ax.set_xticks(sorted(rows[x].unique()))
    ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="x-small", loc="best")


def _panel_top(rows):
    """Upper y limit: a decade above every curve but Lagrange's."""
    bounded = rows[~rows["method"].str.startswith("lagrange")]
    return float(10 * bounded["q90"].max())


def _draw_method(ax, method, rows, x, upper):
    """One method's means, 95% CI bars and 10-90% band, slope in the label."""
    base = method.split("-")[0]
    colour = PALETTE.get(base, "0.3")
    style, marker, name = METHOD_STYLES.get(method, ("-", "o", method))
    first = rows.iloc[0]
    if np.isfinite(first["slope_lo"]):
        interval = f"[{first['slope_lo']:.2f}, {first['slope_hi']:.2f}]"
        fit = f"slope {first['slope']:.2f} {interval}"
    elif np.isfinite(first["slope"]):
        fit = f"slope {first['slope']:.1f} ({int(first['n_points'])} points, no CI)"
    else:
        fit = "one point, no slope"

    inside = rows[rows["mean"] <= upper]
    outside = rows[rows["mean"] > upper]
    if method in ("letcc", "letcc-schedule", "bacc"):
        ax.fill_between(
            inside[x],
            inside["q10"],
            np.minimum(inside["q90"], upper),
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    # Bootstrap intervals of the mean: positive, so they fit a log axis.
    ax.errorbar(
        inside[x],
        inside["mean"],
        yerr=[inside["mean"] - inside["ci_lo"], inside["ci_hi"] - inside["mean"]],
        color=colour,
        linestyle=style,
        marker=marker,
        markersize=3.5,
        capsize=2,
        linewidth=1.3,
        label=f"{name}: {fit}",
    )
    for _, point in outside.iterrows():
        ax.plot(point[x], upper, marker="^", color=colour, clip_on=False)
        ax.annotate(
            f"{point['mean']:.0e}",
            (point[x], upper),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize="xx-small",
            color=colour,
        )


def _draw_decomposition_panel(ax, rows, axis):
    """Loss, both terms and the bound against one smoothing parameter."""
    values = rows[axis].to_numpy(dtype=float)
    positive = values[values > 0]
    step = np.diff(np.log10(positive)).min() if positive.size > 1 else 1.0
    zero_at = positive.min() / 10**step if positive.size else 1.0
    xs = np.where(values > 0, values, zero_at)

    for column, style, label in (
        ("bound", "-", "bound: sum of the two terms"),
        ("dec_term", "--", "2 x decoder generalisation error"),
        (
            "enc_term",
            ":",
            "2 L$^2$ x encoder training error (0 at lam_enc = 0: not drawn)",
        ),
    ):
        ys = rows[column].to_numpy(dtype=float)
        keep = ys > 0
        ax.plot(
            xs[keep],
            ys[keep],
            linestyle=style,
            color=TERM_COLOURS[column],
            linewidth=1.4,
            label=label,
        )
    ax.plot(
        xs,
        rows["loss"],
        "o",
        color=TERM_COLOURS["loss"],
        markersize=4,
        label="measured loss R",
    )

    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = list(xs)
    labels = ["0" if v == 0 else f"{v:g}" for v in values]
    ax.set_xticks(ticks, labels)
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.tick_params(axis="x", labelrotation=60, labelsize="x-small")
    ax.set_xlabel(f"{axis} (paper convention)")
    ax.set_ylabel("squared error per input")
    ax.grid(True, which="major", alpha=0.3)


#: Footnote of the rate figures: what markers, bars and bands show.
RATE_NOTE = (
    "markers: mean over trials; bars: 95% bootstrap interval of the mean; "
    "bands: 10-90% of trials; legend: log-log slope [95% CI]"
)


def _finish(fig, title, out_png, table, out_csv, note=None):
    """Title and footnote, save figure and CSV, close."""
    if title:
        fig.suptitle(title, fontsize="small")
    if note:
        fig.supxlabel(note, fontsize="x-small", color="0.3")
    save_figure(fig, out_png, dpi=200)
    plt.close(fig)
    write_csv(table, out_csv)
    logger.info("wrote %s and %s", out_png, out_csv)


def draw_theory_figure(
    name: str,
    table: pd.DataFrame,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
) -> dict:
    """Draw the theory figure ``name`` from its table.

    Parameters
    ----------
    name : {"rate_N", "rate_S", "noisy_rate_N", "decomposition", "landscape"}
    table : pd.DataFrame
        The gathered noiseless table for the rate figures, the noisy table
        for ``"noisy_rate_N"``, the landscape table otherwise.
    out_png, out_csv : path-like
        Figure and CSV of its numbers.

    Returns
    -------
    dict
        Headline numbers for the manifest: slopes per curve, or the largest
        loss/bound ratio and the chosen pairs.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name in ("rate_N", "rate_S"):
        summarise = claims.rate_n_summary if name == "rate_N" else claims.rate_s_summary
        summary = summarise(table)
        x = name[-1]
        rows = table[table["experiment"] == name]
        plot_rates(summary, x, out_png, out_csv, title=_title(rows, sweep=x))
        return {"slopes": _slopes(summary)}
    if name == "noisy_rate_N":
        summary = claims.noisy_summary(table)
        sigma = float(table["sigma"].iloc[0])
        plot_noisy(summary, out_png, out_csv, sigma=sigma, title=_title(table, "N"))
        return {"slopes": _slopes(summary)}
    if name == "decomposition":
        summary = claims.decomposition_summary(table)
        plot_decomposition(summary, out_png, out_csv, title=_title(table, None))
        test = summary[summary["split"] == "test"]
        return {"max_loss_over_bound": float(test["ratio"].max())}
    if name == "landscape":
        summary = claims.landscape_summary(table)
        plot_landscape(summary, out_png, out_csv, title=_title(table, None))
        chosen = summary[summary["chosen"]]
        return {
            "chosen": chosen[["function", "lam_enc", "lam_dec", "test_loss"]].to_dict(
                "records"
            )
        }
    raise ValueError(
        f"unknown theory figure {name!r}; choose rate_N, rate_S, noisy_rate_N, "
        "decomposition or landscape."
    )


def _slopes(summary):
    """Slope and interval per curve, for the manifest."""
    curves = summary.drop_duplicates(["function", "stragglers", "method"])
    return {
        f"{row.function}/{row.stragglers}/{row.method}": [
            row.slope,
            row.slope_lo,
            row.slope_hi,
        ]
        for row in curves.itertuples()
    }


def _title(table, sweep):
    """Settings shared by a theory table, for the figure title."""

    def values(column):
        return "/".join(
            f"{v:g}" if isinstance(v, float) else str(v)
            for v in sorted(table[column].unique())
        )

    parts = [f"K={values('K')}", f"{table['trial'].nunique()} trials"]
    if sweep != "S":
        parts.insert(1, f"S={values('S')}")
    if sweep != "N":
        parts.insert(1, f"N={values('N')}")
    if "sigma" in table:
        parts.append(f"noise sigma={values('sigma')}")
    text = ", ".join(parts)
    text += f"; alpha {values('alpha_points')}, beta {values('beta_points')}"
    if "experiment" in table:
        text += "; LeTCC interpolates (lam_enc = lam_dec = 0)"
    if "lam_rule" in table:
        letcc = table[table["scheme"] == "letcc"]
        text += f"; LeTCC lam_enc={_values_of(letcc, 'lam_enc')}"
    text += "; lam in the paper's convention (1/n data term)"
    return text


def _values_of(rows, column):
    """Distinct values of a column, joined by "/"."""
    return "/".join(f"{v:g}" for v in sorted(rows[column].unique()))
