"""Training loop: metrics, seeded determinism, augmentation."""

import pytest
import torch
import torch.nn.functional as F

from letcc.data import LoadedDataset, Split
from letcc.models import build_model
from letcc.training import SHIFT, accuracy, shift_and_flip, train_model


def split(n, seed):
    """Two classes told apart by the sign of the image mean."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = torch.randn(n, 1, 28, 28, generator=generator) * 0.5
    images += (2.0 * labels - 1.0)[:, None, None, None]
    return Split(images, labels, torch.arange(n))


def toy_data():
    return LoadedDataset(
        name="toy",
        train=split(96, 0),
        val=split(32, 1),
        test=split(32, 2),
        num_classes=2,
        input_shape=(1, 28, 28),
        source="local",
        manifest={},
        split_seed=0,
        val_fraction=0.25,
        mean=(0.0,),
        std=(1.0,),
        test_origin="official",
    )


def run(seed, augment=False):
    model = build_model("lenet5", (1, 28, 28), 2, seed=0)
    metrics = train_model(
        model,
        toy_data(),
        epochs=2,
        batch_size=32,
        lr=3e-3,
        seed=seed,
        augment=augment,
        verbose=False,
    )
    return model, metrics


def test_metrics_describe_the_run():
    model, metrics = run(seed=0)

    assert metrics.epochs == 2 and len(metrics.history) == 2
    assert metrics.parameter_count == sum(p.numel() for p in model.parameters())
    assert metrics.test_accuracy == accuracy(model, toy_data().test)
    assert metrics.test_accuracy > 0.9, "a separable toy problem must be learned"
    assert metrics.wall_time_s > 0
    assert set(metrics.as_dict()) >= {"test_accuracy", "val_accuracy", "history"}
    assert not model.training


def test_same_seed_same_weights_other_seed_other_weights():
    first, _ = run(seed=1, augment=True)
    again, _ = run(seed=1, augment=True)
    other, _ = run(seed=2, augment=True)

    a, b, c = (m.state_dict() for m in (first, again, other))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("name", ["epochs", "batch_size", "lr"])
def test_non_positive_settings_are_refused(name):
    settings = {"epochs": 1, "batch_size": 8, "lr": 1e-3, name: 0}
    model = build_model("lenet5", (1, 28, 28), 2)

    with pytest.raises(ValueError, match=f"{name} must be positive, got 0"):
        train_model(model, toy_data(), seed=0, verbose=False, **settings)


def test_shift_and_flip_moves_whole_images():
    images = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))

    out = shift_and_flip(images, torch.Generator().manual_seed(1))

    # Each output must equal one of the (2 SHIFT + 1)^2 x 2 candidate shifts
    # and flips of its input, exactly (the op only moves pixels).
    padded = F.pad(images, (SHIFT,) * 4)
    for i in range(len(images)):
        candidates = [
            crop.flip(-1) if flip else crop
            for dy in range(2 * SHIFT + 1)
            for dx in range(2 * SHIFT + 1)
            for crop in [padded[i, :, dy : dy + 32, dx : dx + 32]]
            for flip in (False, True)
        ]
        assert any(torch.equal(out[i], c) for c in candidates), f"image {i}"
