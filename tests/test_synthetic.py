"""The synthetic experiment: network, inputs, per-run tables and gathering."""

import numpy as np
import pandas as pd
import pytest
import torch

from letcc.synthetic import (
    COLUMNS,
    gather_results,
    make_inputs,
    make_network,
    run_synthetic,
)
from letcc.traces import uniform_masks

SETTINGS = {
    "K": 4,
    "S": 1,
    "d": 3,
    "m": 2,
    "hidden": 8,
    "seed": 0,
    "alpha_points": "chebyshev1",
    "beta_points": "chebyshev2",
    "schemes": {"letcc": {"lam_enc": 0.0, "lam_dec": 1e-7}, "bacc": {}},
}


def test_network_is_seeded_float64_and_has_the_configured_shape():
    f = make_network(d=3, m=2, hidden=8, seed=5)
    x = torch.zeros(7, 3, dtype=torch.float64)

    y = f(x)

    assert y.shape == (7, 2) and y.dtype == torch.float64
    torch.testing.assert_close(y, make_network(d=3, m=2, hidden=8, seed=5)(x))
    assert not torch.equal(make_network(d=3, m=2, hidden=8, seed=6).W1, f.W1)


def test_network_rejects_zero_width():
    with pytest.raises(ValueError, match="hidden=0"):
        make_network(d=3, m=2, hidden=0, seed=0)


def test_inputs_are_seeded_and_nested_in_trials():
    X = make_inputs(trials=5, K=4, d=3, seed=0)

    assert X.shape == (5, 4, 3) and X.dtype == torch.float64
    # Same seed, more trials: the first trials are unchanged, so a longer run
    # extends a shorter one instead of replacing it.
    torch.testing.assert_close(make_inputs(trials=8, K=4, d=3, seed=0)[:5], X)


def test_run_synthetic_gives_one_row_per_scheme_and_trial():
    masks = uniform_masks(N=9, S=1, trials=6, seed=0)

    table = run_synthetic(masks, **SETTINGS)

    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 2 * 6
    assert set(table["scheme"]) == {"letcc", "bacc"}
    assert (table["N"] == 9).all() and np.isfinite(table["mse"]).all()
    bacc = table[table["scheme"] == "bacc"]
    assert bacc["lam_dec"].isna().all() and (bacc["lam_convention"] == "none").all()
    letcc = table[table["scheme"] == "letcc"]
    assert (letcc["lam_dec"] == 1e-7).all() and (
        letcc["lam_convention"] == "paper"
    ).all()


def test_gather_sorts_and_keeps_every_row(tmp_path):
    paths = []
    for N in (12, 6):
        path = tmp_path / f"N{N}.csv"
        run_synthetic(uniform_masks(N=N, S=1, trials=3, seed=0), **SETTINGS).to_csv(
            path, index=False
        )
        paths.append(str(path))

    table = gather_results(paths)

    assert len(table) == 2 * 2 * 3
    assert table["N"].tolist()[:3] == [6, 6, 6]
    assert table.loc[table["scheme"] == "bacc", "lam_enc"].isna().all()


def test_gather_rejects_duplicated_rows(tmp_path):
    path = tmp_path / "N6.csv"
    run_synthetic(uniform_masks(N=6, S=1, trials=2, seed=0), **SETTINGS).to_csv(
        path, index=False
    )

    with pytest.raises(ValueError, match="duplicated rows"):
        gather_results([str(path), str(path)])


def test_gather_rejects_a_table_missing_columns(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"scheme": ["letcc"], "N": [5]}).to_csv(path, index=False)

    with pytest.raises(ValueError, match="lacks columns"):
        gather_results([str(path)])
