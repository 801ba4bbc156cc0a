"""Coded inference: batched products against per-group loops, replication."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from letcc.coding import get_scheme, points
from letcc.data import Split
from letcc.inference import (
    Groups,
    OutputStore,
    chosen_lams,
    coded_outputs,
    decode_rows,
    encode,
    make_groups,
    replica_assignment,
    replication_estimates,
    run_schemes,
    score,
    tune_letcc,
    worker_values,
)
from letcc.models import build_model
from letcc.traces import uniform_masks

G, K, N, M = 3, 4, 9, 5  # groups, inputs per group, workers, logits


def generator(seed):
    return torch.Generator().manual_seed(seed)


def tiny_net(seed=0):
    """A small smooth network on 1 x 4 x 4 images with M logits."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, M)
    ).eval()


def tiny_groups(seed=0):
    images = torch.randn(G, K, 1, 4, 4, generator=generator(seed))
    labels = torch.randint(0, M, (G, K), generator=generator(seed + 1))
    return Groups(images, labels, np.arange(G * K).reshape(G, K))


def tiny_store(seed=0):
    alpha, beta = points("chebyshev1", K), points("chebyshev2", N)
    return OutputStore(
        tiny_net(seed), tiny_groups(seed), alpha, beta, batch_size=7, device="cpu"
    )


def test_encode_equals_a_product_per_group():
    E = torch.randn(N, K, generator=generator(1))
    images = torch.randn(G, K, 2, 3, 3, generator=generator(2))

    coded = encode(E, images)

    for g in range(G):
        expected = (E @ images[g].reshape(K, -1)).reshape(N, 2, 3, 3)
        torch.testing.assert_close(coded[g], expected)


def test_coded_outputs_equal_a_loop_over_groups_and_images():
    model = build_model("lenet5", (1, 28, 28), 10, seed=0).eval()
    images = torch.randn(2, 3, 1, 28, 28, generator=generator(3))
    E = get_scheme("letcc", lam_enc=1e-5).encoder_matrix(
        points("chebyshev1", 3), points("chebyshev2", 5)
    )

    outputs = coded_outputs(model, images, E, batch_size=4)

    with torch.no_grad():
        for g in range(2):
            for n in range(5):
                coded = (E[n].float() @ images[g].reshape(3, -1)).reshape(1, 1, 28, 28)
                # Batched and single-image convolutions may sum in another
                # order: float32 rounding of logits of order 0.1 is ~1e-8.
                torch.testing.assert_close(
                    outputs[g, n], model(coded)[0], atol=1e-5, rtol=1e-5
                )


@pytest.mark.parametrize("name", ["letcc", "bacc", "lagrange"])
def test_batched_decoding_equals_a_loop_over_rows(name):
    store = tiny_store()
    trials = 4
    masks = torch.from_numpy(uniform_masks(N=N, S=3, trials=trials * G, seed=0))
    noise = torch.randn(trials * G, N, M, generator=generator(5), dtype=torch.float64)
    params = {"lam_enc": 1e-4, "lam_dec": 1e-3} if name == "letcc" else {}
    scheme = get_scheme(name, **params)
    outputs = store.outputs(scheme)

    values = worker_values(outputs, trials * G, noise, sigma=0.5)
    estimates, screened = decode_rows(scheme, store.alpha, store.beta, masks, values)

    # Independent reference: one decoder matrix and one product per row.
    for t in range(trials * G):
        D = scheme.decoder_matrices(store.alpha, store.beta, masks[t : t + 1])[0]
        y = outputs[t % G].double() + 0.5 * noise[t]
        torch.testing.assert_close(estimates[t], D @ y, rtol=1e-9, atol=1e-9)
    assert int(screened.n_nonfinite.sum()) == int(screened.n_outliers.sum()) == 0


def test_run_schemes_equals_a_per_group_loop():
    store = tiny_store(seed=1)
    trials = 3
    masks = torch.from_numpy(uniform_masks(N=N, S=2, trials=trials * G, seed=1))
    noise = torch.randn(trials * G, N, M, generator=generator(6), dtype=torch.float64)
    labels = tiny_groups(seed=1).labels
    lams = {("uniform", 2, 0.3): (1e-5, 1e-4)}

    table = run_schemes(
        store,
        labels,
        {("uniform", 2): masks},
        noise,
        [0.3],
        ["letcc", "bacc"],
        lams,
    )

    net, images = tiny_net(seed=1), tiny_groups(seed=1).images
    for name, params in (("letcc", {"lam_enc": 1e-5, "lam_dec": 1e-4}), ("bacc", {})):
        scheme = get_scheme(name, **params)
        E = scheme.encoder_matrix(store.alpha, store.beta)
        mse = np.zeros(trials)
        for t in range(trials):
            for g in range(G):
                row = t * G + g
                with torch.no_grad():
                    truth = net(images[g]).double()
                    coded = (E.float() @ images[g].reshape(K, -1)).reshape(N, 1, 4, 4)
                    y = net(coded).double() + 0.3 * noise[row]
                D = scheme.decoder_matrices(
                    store.alpha, store.beta, masks[row : row + 1]
                )
                mse[t] += float(((D[0] @ y - truth) ** 2).mean()) / G
        got = table[table["scheme"] == name].sort_values("trial")["mse"].to_numpy()
        # float32 network outputs, float64 decoding: agreement to ~1e-6.
        np.testing.assert_allclose(got, mse, rtol=1e-5)
    assert set(table.columns) >= {"rel_accuracy", "agreement", "n_lost"}


def test_replica_assignment_is_balanced_when_k_does_not_divide_n():
    assignment = replica_assignment(20, 8)

    counts = np.bincount(assignment, minlength=8)
    assert counts.tolist() == [3, 3, 3, 3, 2, 2, 2, 2]


def test_replica_assignment_refuses_k_above_n():
    with pytest.raises(ValueError, match="K=5, N=3"):
        replica_assignment(3, 5)


def test_replication_equals_a_direct_loop():
    n_workers, k, m, groups, sigma = 7, 3, 2, 2, 0.7
    truth = torch.randn(groups, k, m, generator=generator(7), dtype=torch.float64)
    rng = np.random.default_rng(0)
    masks = torch.from_numpy(rng.random((6, n_workers)) < 0.4)
    noise = torch.randn(6, n_workers, m, generator=generator(8), dtype=torch.float64)

    estimates, lost = replication_estimates(truth, masks, noise, sigma)

    for t in range(6):
        for j in range(k):
            replicas = [n for n in range(n_workers) if n % k == j and masks[t, n]]
            if not replicas:
                assert lost[t, j]
                assert torch.equal(estimates[t, j], torch.zeros(m, dtype=torch.float64))
                continue
            outputs = [truth[t % groups, j] + sigma * noise[t, n] for n in replicas]
            expected = torch.stack(outputs).mean(dim=0)
            assert not lost[t, j]
            torch.testing.assert_close(estimates[t, j], expected)
    assert lost.any(), "the draw should lose some input, else the test is weak"


def test_score_counts_lost_images_as_wrong_and_measures_them_against_zero():
    truth = torch.tensor([[[2.0, 1.0], [0.0, 3.0]]], dtype=torch.float64)  # (1, 2, 2)
    labels = torch.tensor([[0, 1]])
    estimates = torch.tensor([[[2.0, 1.0], [0.0, 0.0]]], dtype=torch.float64)
    lost = torch.tensor([[False, True]])

    scores = score(estimates, truth, labels, lost)

    # The lost image's zero logits would argmax to class 0; it must count as
    # wrong all the same. Its squared error is 3^2 over 4 entries.
    assert scores.accuracy.tolist() == [0.5]
    assert scores.agreement.tolist() == [0.5]
    assert scores.base_accuracy == 1.0
    assert scores.n_lost.tolist() == [1]
    np.testing.assert_allclose(scores.mse, [9.0 / 4])


def test_non_finite_worker_outputs_are_dropped_and_counted():
    scheme = get_scheme("bacc")
    alpha, beta = points("chebyshev1", K), points("chebyshev2", N)
    values = torch.randn(2, N, M, generator=generator(9), dtype=torch.float64)
    masks = torch.ones(2, N, dtype=torch.bool)
    values[0, 4, 1] = float("nan")

    estimates, screened = decode_rows(scheme, alpha, beta, masks, values)

    assert screened.n_nonfinite.tolist() == [1, 0]
    assert screened.n_outliers.tolist() == [0, 0]
    dropped = masks.clone()
    dropped[0, 4] = False
    expected, _ = decode_rows(scheme, alpha, beta, dropped, values.nan_to_num())
    torch.testing.assert_close(estimates, expected)


def test_tune_letcc_marks_the_least_validation_mse_of_each_setting():
    store = tiny_store(seed=2)
    masks = torch.from_numpy(uniform_masks(N=N, S=2, trials=2 * G, seed=2))
    traces = {("uniform", 0): torch.ones_like(masks), ("uniform", 2): masks}
    noise = torch.randn(2 * G, N, M, generator=generator(10), dtype=torch.float64)

    grid = tune_letcc(store, traces, noise, [0.0, 1.0], [0.0, 1e-4], [0.0, 1e-3, 1e-1])

    assert len(grid) == 2 * 2 * 2 * 3
    for _, rows in grid.groupby(["stragglers", "S", "sigma"]):
        assert rows["chosen"].sum() == 1
        assert rows.loc[rows["chosen"], "val_mse"].iloc[0] == rows["val_mse"].min()
    assert (grid["lam_convention"] == "paper").all()


def test_chosen_lams_reads_back_the_grid_from_csv(tmp_path):
    grid = pd.DataFrame(
        {
            "stragglers": ["uniform"] * 3,
            "S": [2, 2, 2],
            "sigma": [1.0] * 3,
            "lam_enc": [0.0, 1e-4, 1e-4],
            "lam_dec": [0.0, 0.0, 1e-3],
            "val_mse": [3.0, 2.0, 1.0],
            "chosen": [False, False, True],
        }
    )
    grid.to_csv(tmp_path / "grid.csv", index=False)

    lams = chosen_lams(pd.read_csv(tmp_path / "grid.csv"))

    assert lams == {("uniform", 2, 1.0): (1e-4, 1e-3)}


def test_make_groups_are_disjoint_and_refuse_too_few_images():
    split = Split(torch.zeros(30, 1, 4, 4), torch.arange(30) % 10, torch.arange(30))

    groups = make_groups(split, K=4, groups=7, seed=0)

    assert groups.shape == (7, 4)
    assert len(np.unique(groups.indices)) == 28
    with pytest.raises(ValueError, match="need 32 images but the split has 30"):
        make_groups(split, K=4, groups=8, seed=0)
