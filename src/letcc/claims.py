"""Summaries of the theory tables and the verdict on each of the paper's claims.

The theory runs (:mod:`letcc.theory`) write per-trial tables; the functions
here reduce them to the numbers the figures plot (one CSV per figure) and to
``claims.csv``, one row per checkable claim of ``docs/method.md``:

1. the loss decomposition ``R <= 2 E[dec. generalisation error] + 2 L^2
   (enc. training error)`` holds at every ``(lam_enc, lam_dec)``;
2. noiseless LeTCC: ``R = O(N^-3)`` at fixed S;
3. noiseless LeTCC: ``R = O(S^3)`` at fixed N;
4. noisy LeTCC with a stated ``lam_dec(N, S)``: ``R = O(N^-3/5)``.

The rates are upper bounds over the Sobolev class W^{2,2}, so a measured
log-log slope passes when its 95% interval reaches the theory's exponent or
goes below it (decays at least as fast; grows at most as fast in S); it
fails when the whole interval lies on the slow side. Every function and
straggler model must pass; the row names the least favourable case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from letcc.figures import fit_loglog_slope

#: Exponents of the paper's bounds (published version, ``docs/method.md``).
THEORY_EXPONENTS = {"rate_N": -3.0, "rate_S": 3.0, "noisy_N": -3.0 / 5.0}

#: Bootstrap resamples behind each mean's interval in the rate summaries.
BOOTSTRAP_RESAMPLES = 2000

#: Columns of a rate summary (plus the x column, ``N`` or ``S``, after
#: ``method``).
RATE_SUMMARY_COLUMNS = (
    "function",
    "stragglers",
    "method",
    "mean",
    "std",
    "n_trials",
    "sem",
    "ci_lo",
    "ci_hi",
    "q10",
    "q90",
    "lam_dec_median",
    "slope",
    "slope_lo",
    "slope_hi",
    "n_points",
    "theory_exponent",
)

#: Columns of claims.csv, in order.
CLAIM_COLUMNS = (
    "claim",
    "statement",
    "theory",
    "measured",
    "lo",
    "hi",
    "interval",
    "case",
    "n_cases",
    "criterion",
    "status",
)


def method_label(scheme: str, lam_rule: str | None = None) -> str:
    """Name of a scheme with its lam rule, e.g. ``"letcc-gcv"`` or ``"bacc"``."""
    if lam_rule is None or lam_rule == "none" or pd.isna(lam_rule):
        return scheme
    return f"{scheme}-{lam_rule}"


def rate_summary(table: pd.DataFrame, x: str, theory_exponent: float) -> pd.DataFrame:
    """Per-point statistics and per-curve log-log slopes of a rate table.

    Parameters
    ----------
    table : pd.DataFrame
        Per-trial rows with columns ``function``, ``stragglers``, ``scheme``,
        ``x`` and ``mse``; a ``lam_rule`` column, when present, splits each
        scheme into methods; ``lam_dec`` is summarised by its median.
    x : {"N", "S"}
        The swept variable.
    theory_exponent : float
        The paper's exponent of ``x``, copied into every row.

    Returns
    -------
    pd.DataFrame
        One row per (function, stragglers, method, x): the mean, std
        (ddof=1), count and standard error of the per-trial MSE, a 95%
        bootstrap interval of the mean (``ci_lo``, ``ci_hi``), its 10%/90%
        quantiles, the median ``lam_dec``, and the curve's slope of log mean
        MSE on log x with its 95% interval
        (:func:`letcc.figures.fit_loglog_slope`); NaN slope for a curve with
        one point, NaN interval for two.

    Raises
    ------
    ValueError
        If a trial's MSE is NaN or infinite (a decoder broke down); the
        message names the settings.

    Notes
    -----
    The per-trial MSE is heavy-tailed (a few straggler patterns near an
    input point dominate the mean), so the normal interval ``mean +- 1.96
    sem`` often reaches below 0; the percentile bootstrap of the mean
    (:data:`BOOTSTRAP_RESAMPLES` resamples, a fixed seed per point) stays
    positive and follows the skew.
    """
    failed = table[~np.isfinite(table["mse"])]
    if not failed.empty:
        where = failed[["function", "scheme", x]].drop_duplicates().to_dict("records")
        raise ValueError(
            f"{len(failed)} trials have a non-finite MSE, first settings {where[:3]}: "
            "a decoder broke down numerically; a mean over the other trials would "
            "hide it. Leave those settings out (for Lagrange, lower "
            "theory.lagrange_max_N)."
        )
    table = table.copy()
    rules = table["lam_rule"] if "lam_rule" in table else [None] * len(table)
    table["method"] = [
        method_label(s, r) for s, r in zip(table["scheme"], rules, strict=True)
    ]
    if "lam_dec" not in table:
        table["lam_dec"] = np.nan

    keys = ["function", "stragglers", "method"]
    summary = (
        table.groupby([*keys, x])
        .agg(
            mean=("mse", "mean"),
            std=("mse", "std"),
            n_trials=("mse", "count"),
            q10=("mse", lambda v: v.quantile(0.1)),
            q90=("mse", lambda v: v.quantile(0.9)),
            lam_dec_median=("lam_dec", "median"),
        )
        .reset_index()
    )
    summary["sem"] = summary["std"] / np.sqrt(summary["n_trials"])
    intervals = table.groupby([*keys, x])["mse"].apply(_bootstrap_interval)
    summary["ci_lo"] = [lo for lo, _ in intervals]
    summary["ci_hi"] = [hi for _, hi in intervals]

    fits = {}
    for key, rows in table.groupby(keys):
        if rows[x].nunique() >= 2:
            fit = fit_loglog_slope(rows[x], rows["mse"])
            fits[key] = (fit.slope, fit.lo, fit.hi, fit.n_points)
        else:
            fits[key] = (np.nan, np.nan, np.nan, 1)
    curve = summary[keys].apply(tuple, axis=1).map(fits)
    for i, name in enumerate(("slope", "slope_lo", "slope_hi", "n_points")):
        summary[name] = curve.map(lambda fit, i=i: fit[i])
    summary["theory_exponent"] = theory_exponent

    columns = list(RATE_SUMMARY_COLUMNS)
    columns.insert(3, x)
    return summary[columns].sort_values([*keys, x], ignore_index=True)


def _bootstrap_interval(values, level=0.95):
    """Percentile bootstrap interval of the mean of ``values``: (lo, hi)."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, values.size, size=(BOOTSTRAP_RESAMPLES, values.size))
    means = values[picks].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def decomposition_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean loss, bound terms and their ratio at every grid point.

    Parameters
    ----------
    table : pd.DataFrame
        The landscape table (:data:`letcc.theory.LANDSCAPE_COLUMNS`).

    Returns
    -------
    pd.DataFrame
        One row per (function, split, lam_enc, lam_dec): means over trials
        of ``loss``, ``dec_gen`` and ``enc_train``; ``lipschitz``;
        ``dec_term = 2 dec_gen``, ``enc_term = 2 L^2 enc_train``, ``bound``
        their sum and ``ratio = loss / bound`` (means first, as the claim is
        about expectations); ``worst_trial_ratio``, the largest per-trial
        ratio (the inequality also holds trial by trial); and ``chosen``,
        True at the pair with the least mean validation loss.
    """
    keys = ["function", "split", "lam_enc", "lam_dec"]
    trial_bound = (
        2 * table["dec_gen"] + 2 * table["lipschitz"] ** 2 * table["enc_train"]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        trial_ratio = np.where(trial_bound > 0, table["loss"] / trial_bound, np.nan)
    frame = table.assign(trial_ratio=trial_ratio)
    summary = (
        frame.groupby(keys)
        .agg(
            loss=("loss", "mean"),
            dec_gen=("dec_gen", "mean"),
            enc_train=("enc_train", "mean"),
            lipschitz=("lipschitz", "first"),
            radius=("radius", "first"),
            n_trials=("loss", "count"),
            worst_trial_ratio=("trial_ratio", "max"),
        )
        .reset_index()
    )
    summary["dec_term"] = 2 * summary["dec_gen"]
    summary["enc_term"] = 2 * summary["lipschitz"] ** 2 * summary["enc_train"]
    summary["bound"] = summary["dec_term"] + summary["enc_term"]
    summary["ratio"] = summary["loss"] / summary["bound"]
    chosen = chosen_pairs(table)
    summary["chosen"] = [
        chosen.get(f) == (e, d)
        for f, e, d in zip(
            summary["function"], summary["lam_enc"], summary["lam_dec"], strict=True
        )
    ]
    return summary


def chosen_pairs(table: pd.DataFrame) -> dict:
    """The ``(lam_enc, lam_dec)`` with the least mean validation loss, per function.

    Parameters
    ----------
    table : pd.DataFrame
        The landscape table, with a ``validation`` split.

    Returns
    -------
    dict
        Function name -> ``(lam_enc, lam_dec)``.
    """
    validation = table[table["split"] == "validation"]
    means = validation.groupby(["function", "lam_enc", "lam_dec"])["loss"].mean()
    return {
        name: (float(rows.idxmin()[1]), float(rows.idxmin()[2]))
        for name, rows in means.groupby(level="function")
    }


def landscape_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean test and validation loss per grid point, with the chosen pair.

    Parameters
    ----------
    table : pd.DataFrame
        The landscape table.

    Returns
    -------
    pd.DataFrame
        One row per (function, lam_enc, lam_dec): ``test_loss`` and
        ``validation_loss`` (means over trials of the squared error per
        input), ``chosen`` (least validation loss: the pair a practitioner
        would pick) and ``test_best`` (least test loss: the oracle).
    """
    keys = ["function", "lam_enc", "lam_dec"]
    means = table.pivot_table(
        index=keys, columns="split", values="loss", aggfunc="mean"
    )
    summary = means.rename(
        columns={"test": "test_loss", "validation": "validation_loss"}
    ).reset_index()
    summary.columns.name = None
    summary["chosen"] = summary.groupby("function")["validation_loss"].transform(
        lambda v: v == v.min()
    )
    summary["test_best"] = summary.groupby("function")["test_loss"].transform(
        lambda v: v == v.min()
    )
    return summary[[*keys, "test_loss", "validation_loss", "chosen", "test_best"]]


def evaluate_claims(
    rate_n: pd.DataFrame,
    rate_s: pd.DataFrame,
    noisy: pd.DataFrame,
    decomposition: pd.DataFrame,
    *,
    slope_tolerance: float = 0.0,
    bound_rtol: float = 1e-9,
) -> pd.DataFrame:
    """One verdict per claim, from the figure summaries.

    Parameters
    ----------
    rate_n, rate_s : pd.DataFrame
        :func:`rate_summary` of the noiseless sweeps in N and in S.
    noisy : pd.DataFrame
        :func:`rate_summary` of the noisy sweep in N.
    decomposition : pd.DataFrame
        :func:`decomposition_summary` of the landscape table.
    slope_tolerance : float, default 0
        Slack added to the theory's exponent: a decay claim passes when the
        slope's lower 95% end is at most ``exponent + slope_tolerance``.
    bound_rtol : float, default 1e-9
        Relative slack of the decomposition bound, for rounding only.

    Returns
    -------
    pd.DataFrame
        Columns :data:`CLAIM_COLUMNS`, four rows: ``decomposition``,
        ``noiseless_rate_N``, ``noiseless_rate_S``, ``noisy_rate_N``.
        ``status`` is ``"pass"`` or ``"fail"``.
    """
    rows = [_decomposition_claim(decomposition, bound_rtol)]
    specs = (
        (
            "noiseless_rate_N",
            rate_n,
            "letcc",
            "rate_N",
            "noiseless LeTCC: R = O(S^3 N^-3); exponent of N at fixed S",
        ),
        (
            "noiseless_rate_S",
            rate_s,
            "letcc",
            "rate_S",
            "noiseless LeTCC: R = O(S^3 N^-3); exponent of S at fixed N",
        ),
        (
            "noisy_rate_N",
            noisy,
            "letcc-schedule",
            "noisy_N",
            "noisy LeTCC, lam_dec(N, S) by schedule: R = O(S^8/5 N^-3/5); "
            "exponent of N",
        ),
    )
    for claim, summary, method, kind, statement in specs:
        rows.append(
            _slope_claim(
                claim,
                statement,
                summary[summary["method"] == method],
                THEORY_EXPONENTS[kind],
                slope_tolerance,
            )
        )
    return pd.DataFrame(rows)[list(CLAIM_COLUMNS)]


def _slope_claim(claim, statement, summary, exponent, tolerance):
    """Verdict on a rate: every curve's interval must reach the exponent."""
    curves = summary.drop_duplicates(["function", "stragglers"])
    if curves.empty:
        raise ValueError(f"no LeTCC curves to judge claim {claim!r}.")
    decreasing = exponent < 0
    # The slow side is above a negative exponent and above a positive one
    # alike: a larger slope means slower decay or faster growth.
    worst = curves.loc[curves["slope_lo"].fillna(curves["slope"]).idxmax()]
    lower = worst["slope_lo"] if np.isfinite(worst["slope_lo"]) else worst["slope"]
    holds = lower <= exponent + tolerance
    direction = "decays at least as fast as" if decreasing else "grows no faster than"
    return {
        "claim": claim,
        "statement": statement,
        "theory": f"{exponent:g}",
        "measured": float(worst["slope"]),
        "lo": float(worst["slope_lo"]),
        "hi": float(worst["slope_hi"]),
        "interval": "95% CI of the log-log slope",
        "case": f"{worst['function']}, {worst['stragglers']} stragglers",
        "n_cases": len(curves),
        "criterion": (
            f"every curve {direction} the bound: lower CI end <= "
            f"{exponent:g} + {tolerance:g}; shown: the curve with the largest "
            "lower end"
        ),
        "status": "pass" if holds else "fail",
    }


def _decomposition_claim(summary, rtol):
    """Verdict on the decomposition: the mean loss is below the mean bound."""
    test = summary[summary["split"] == "test"]
    if test.empty:
        raise ValueError("no test rows in the decomposition summary.")
    worst = test.loc[test["ratio"].idxmax()]
    holds = bool((test["loss"] <= test["bound"] * (1 + rtol)).all())
    return {
        "claim": "decomposition",
        "statement": (
            "R <= 2 E[decoder generalisation error] + 2 L^2 (encoder training "
            "error), at every (lam_enc, lam_dec)"
        ),
        "theory": "loss / bound <= 1",
        "measured": float(worst["ratio"]),
        "lo": float(test["ratio"].min()),
        "hi": float(test["ratio"].max()),
        "interval": "range of loss / bound over the grid",
        "case": (
            f"{worst['function']}, lam_enc={worst['lam_enc']:g}, "
            f"lam_dec={worst['lam_dec']:g}"
        ),
        "n_cases": len(test),
        "criterion": f"loss <= bound (1 + {rtol:g}) at every grid point and function",
        "status": "pass" if holds else "fail",
    }


def rate_n_summary(noiseless: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_summary` of the noiseless sweep in N (exponent -3)."""
    rows = noiseless[noiseless["experiment"] == "rate_N"]
    return rate_summary(rows, "N", THEORY_EXPONENTS["rate_N"])


def rate_s_summary(noiseless: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_summary` of the noiseless sweep in S (exponent +3)."""
    rows = noiseless[noiseless["experiment"] == "rate_S"]
    return rate_summary(rows, "S", THEORY_EXPONENTS["rate_S"])


def noisy_summary(noisy: pd.DataFrame) -> pd.DataFrame:
    """:func:`rate_summary` of the noisy sweep in N (exponent -3/5)."""
    return rate_summary(noisy, "N", THEORY_EXPONENTS["noisy_N"])


def claims_from_tables(
    noiseless: pd.DataFrame,
    noisy: pd.DataFrame,
    landscape: pd.DataFrame,
    *,
    slope_tolerance: float = 0.0,
    bound_rtol: float = 1e-9,
) -> pd.DataFrame:
    """claims.csv from the three theory tables (see :func:`evaluate_claims`).

    Parameters
    ----------
    noiseless : pd.DataFrame
        The gathered noiseless sweeps (:data:`letcc.theory.NOISELESS_COLUMNS`).
    noisy : pd.DataFrame
        The noisy table (:data:`letcc.theory.NOISY_COLUMNS`).
    landscape : pd.DataFrame
        The landscape table (:data:`letcc.theory.LANDSCAPE_COLUMNS`).
    slope_tolerance, bound_rtol : float
        As in :func:`evaluate_claims`.

    Returns
    -------
    pd.DataFrame
        Columns :data:`CLAIM_COLUMNS`, one row per claim.
    """
    return evaluate_claims(
        rate_n_summary(noiseless),
        rate_s_summary(noiseless),
        noisy_summary(noisy),
        decomposition_summary(landscape),
        slope_tolerance=slope_tolerance,
        bound_rtol=bound_rtol,
    )
