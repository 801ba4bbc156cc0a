"""The theory figures: each drawn from a small table, with its CSV beside it."""

import numpy as np
import pandas as pd
import pytest

from letcc import claims
from letcc.noise import standard_noise
from letcc.theory import Setup, lam_grid, run_landscape, run_noiseless, run_noisy
from letcc.theory_figures import METHOD_STYLES, draw_theory_figure
from letcc.traces import uniform_masks, worstgap_masks

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SETUP = Setup(("xsinx", "tanhnet"), 2, 2, 4, 4, 0, "chebyshev1", "equispaced")


@pytest.fixture(scope="module")
def noiseless():
    frames = []
    for model in ("uniform", "worstgap"):

        def masks(N, S, model=model):
            if model == "uniform":
                return uniform_masks(N, S, 6, 0)
            return worstgap_masks(SETUP.beta(N), S, 6, 0, alpha=SETUP.alpha())

        frames.append(
            run_noiseless(
                [(N, 1, masks(N, 1)) for N in (10, 20, 40)],
                SETUP,
                experiment="rate_N",
                stragglers=model,
                lagrange_max_N=10,
            )
        )
        frames.append(
            run_noiseless(
                [(20, S, masks(20, S)) for S in (1, 2, 4)],
                SETUP,
                experiment="rate_S",
                stragglers=model,
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def noisy():
    traces = [
        (N, 1, uniform_masks(N, 1, 6, 0), standard_noise(6, N, 2, 0))
        for N in (10, 20, 40)
    ]
    return run_noisy(
        traces, SETUP, sigma=0.3, validation_seed=1, grid=lam_grid(1e-9, 1, 1)
    )


@pytest.fixture(scope="module")
def landscape():
    return run_landscape(
        uniform_masks(16, 1, 6, 0),
        standard_noise(6, 16, 2, 0),
        SETUP,
        N=16,
        S=1,
        sigma=0.3,
        validation_seed=1,
        lam_enc_grid=[0.0, 1e-5],
        lam_dec_grid=[0.0, 1e-6, 1e-3],
    )


@pytest.mark.parametrize(
    ("name", "table", "summarise"),
    [
        ("rate_N", "noiseless", claims.rate_n_summary),
        ("rate_S", "noiseless", claims.rate_s_summary),
        ("noisy_rate_N", "noisy", claims.noisy_summary),
        (
            "decomposition",
            "landscape",
            lambda t: claims.decomposition_summary(t).query("split == 'test'"),
        ),
        ("landscape", "landscape", claims.landscape_summary),
    ],
)
def test_figure_and_csv_are_written_from_the_table(
    request, tmp_path, name, table, summarise
):
    data = request.getfixturevalue(table)
    png, csv = tmp_path / f"{name}.png", tmp_path / f"{name}.csv"

    extra = draw_theory_figure(name, data, png, csv)

    assert png.read_bytes()[:8] == PNG_SIGNATURE
    written = pd.read_csv(csv)
    expected = summarise(data).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        written, expected.astype(written.dtypes.to_dict()), check_dtype=False
    )
    assert isinstance(extra, dict) and extra


def test_every_method_of_the_tables_has_a_style(noiseless, noisy):
    methods = set(claims.rate_n_summary(noiseless)["method"])
    methods |= set(claims.noisy_summary(noisy)["method"])

    assert methods <= set(METHOD_STYLES)


def test_rate_manifest_extra_holds_every_curve(noiseless, tmp_path):
    extra = draw_theory_figure(
        "rate_N", noiseless, tmp_path / "f.png", tmp_path / "f.csv"
    )

    assert "xsinx/worstgap/letcc" in extra["slopes"]
    assert np.isfinite(extra["slopes"]["xsinx/worstgap/letcc"][0])


def test_unknown_figure_is_refused(noisy, tmp_path):
    with pytest.raises(ValueError, match="unknown theory figure 'rates'"):
        draw_theory_figure("rates", noisy, tmp_path / "f.png", tmp_path / "f.csv")
