"""The worst-case straggler model: a contiguous block leaving the widest gap."""

import numpy as np
import pytest

from letcc.coding import points
from letcc.traces import generate_trace_file, load_trace, worstgap_masks


def widest_interior_gap(beta, S):
    """Brute force: the widest gap left by removing S consecutive interior workers."""
    N = len(beta)
    return max(beta[s + S] - beta[s - 1] for s in range(1, N - S))


def blocks(masks):
    """Start and length of the straggling run of each row."""
    out = []
    for row in masks:
        gone = np.flatnonzero(~row)
        out.append((gone[0], len(gone)) if gone.size else (None, 0))
    return out


@pytest.mark.parametrize("kind", ["equispaced", "chebyshev2", "chebyshev1"])
@pytest.mark.parametrize(("N", "S"), [(10, 1), (20, 3), (33, 8)])
def test_each_row_straggles_s_consecutive_workers_leaving_the_widest_gap(kind, N, S):
    beta = points(kind, N)
    masks = worstgap_masks(beta, S, trials=40, seed=0, alpha=points("chebyshev1", 5))

    widest = widest_interior_gap(beta, S)
    for (start, length), row in zip(blocks(masks), masks, strict=True):
        assert length == S and np.all(~row[start : start + S])
        assert 1 <= start <= N - S - 1, "the block must have a survivor on each side"
        gap = beta[start + S] - beta[start - 1]
        assert gap == pytest.approx(widest, rel=1e-9)


def test_chebyshev2_has_a_single_central_worst_block():
    beta = points("chebyshev2", 21)  # odd N: symmetric, one central block for S=3
    masks = worstgap_masks(beta, 3, trials=20, seed=5)

    starts = {start for start, _ in blocks(masks)}
    assert starts == {9}


def test_with_inputs_the_gap_is_centred_near_the_drawn_input():
    beta, alpha = points("equispaced", 41), points("chebyshev1", 4)
    masks = worstgap_masks(beta, 3, trials=200, seed=1, alpha=alpha)

    spacing = beta[1] - beta[0]
    for start, _ in blocks(masks):
        centre = (beta[start + 3] + beta[start - 1]) / 2
        # Equispaced centres are one spacing apart, so the nearest is within
        # half a spacing of its input (inputs nearer the ends than the first
        # interior centre are the exception, not present for K = 4, N = 41).
        assert np.min(np.abs(alpha - centre)) <= spacing / 2 + 1e-12
    # Every input is drawn: 200 draws over 4 inputs miss one with probability
    # 4 (3/4)^200, about 1e-25.
    centres = {(beta[s + 3] + beta[s - 1]) / 2 for s, _ in blocks(masks)}
    assert len(centres) == 4


def test_no_stragglers_leaves_everyone():
    assert worstgap_masks(points("equispaced", 8), 0, trials=3, seed=0).all()


def test_ties_are_broken_reproducibly_by_the_seed():
    beta = points("equispaced", 30)
    first = worstgap_masks(beta, 2, trials=50, seed=7)

    assert np.array_equal(first, worstgap_masks(beta, 2, trials=50, seed=7))
    assert not np.array_equal(first, worstgap_masks(beta, 2, trials=50, seed=8))


def test_trace_file_records_the_model(tmp_path):
    path = tmp_path / "worst.npz"
    beta = points("equispaced", 12)
    masks = generate_trace_file(
        path, N=12, S=2, trials=5, seed=0, model="worstgap", beta=beta
    )

    assert np.array_equal(load_trace(path, N=12), masks)
    with np.load(path) as data:
        assert str(data["model"]) == "worstgap"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: generate_trace_file(
                "x.npz", N=5, S=1, trials=1, seed=0, model="worstgap"
            ),
            "needs the N=5 worker points as beta, got None",
        ),
        (
            lambda: worstgap_masks(np.array([0.0, 0.5, 0.4, 1.0]), 1, 1, 0),
            "strictly ascending",
        ),
        (lambda: worstgap_masks(points("equispaced", 5), 4, 1, 0), "S=4"),
    ],
)
def test_bad_arguments_raise_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
