"""Networks of the inference track: seeds, training settings, fit checks."""

import pytest
import torch

from letcc.data import LoadedDataset, Split
from letcc.models import build_model, check_fit, is_reparameterized
from letcc.training import save_checkpoint
from letcc.zoo import SEED_TAGS, derive_seed, load_network, train_network


def toy_data(num_classes=2, shape=(1, 28, 28)):
    generator = torch.Generator().manual_seed(0)

    def split(n):
        labels = torch.arange(n) % num_classes
        images = torch.randn(n, *shape, generator=generator) * 0.5
        images += (2.0 * (labels % 2) - 1.0)[:, None, None, None]
        return Split(images, labels, torch.arange(n))

    return LoadedDataset(
        name="toy",
        train=split(64),
        val=split(16),
        test=split(16),
        num_classes=num_classes,
        input_shape=shape,
        source="local",
        manifest={},
        split_seed=0,
        val_fraction=0.2,
        mean=(0.0,),
        std=(1.0,),
        test_origin="official",
    )


ENTRY = {
    "name": "toy-net",
    "arch": "lenet5",
    "dataset": "mnist",
    "hyperparameters": {},
    "train": {
        "epochs": 1,
        "batch_size": 16,
        "lr": 3e-3,
        "weight_decay": 0.01,
        "augment": False,
    },
}


def test_derived_seeds_differ_between_streams_and_are_reproducible():
    seeds = {stream: derive_seed(0, stream) for stream in SEED_TAGS}

    assert len(set(seeds.values())) == len(SEED_TAGS)
    assert seeds == {stream: derive_seed(0, stream) for stream in SEED_TAGS}
    assert derive_seed(1, "weights") != seeds["weights"]
    assert all(0 <= value < 2**31 for value in seeds.values())
    with pytest.raises(ValueError, match="unknown stream 'labels'"):
        derive_seed(0, "labels")


def test_training_is_reproducible_from_the_config_seed():
    first, metrics = train_network(ENTRY, toy_data(), seed=3, verbose=False)
    again, _ = train_network(ENTRY, toy_data(), seed=3, verbose=False)

    a, b = first.state_dict(), again.state_dict()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert metrics.epochs == 1 and not first.training


def test_load_network_refuses_a_checkpoint_for_other_classes(tmp_path):
    path = tmp_path / "ten.pt"
    save_checkpoint(path, build_model("lenet5", (1, 28, 28), 10, seed=0), {})

    with pytest.raises(ValueError) as error:
        load_network(path, ENTRY, toy_data(num_classes=2))
    message = str(error.value)
    assert "built for images (1, 28, 28) and 10 classes" in message
    assert "'toy-net' uses 'mnist' with images (1, 28, 28) and 2 classes" in message


def test_load_network_returns_the_inference_form(tmp_path):
    entry = {**ENTRY, "arch": "repvgg"}
    path = tmp_path / "repvgg.pt"
    save_checkpoint(path, build_model("repvgg", (1, 28, 28), 2, seed=0), {})

    network = load_network(path, entry, toy_data())

    assert is_reparameterized(network.model) and not network.model.training
    with pytest.raises(ValueError, match="holds architecture 'repvgg'"):
        load_network(path, ENTRY, toy_data())


def test_check_fit_accepts_what_build_model_builds():
    for arch in ("lenet5", "repvgg", "vit"):
        for shape in ((1, 28, 28), (3, 32, 32)):
            spec = check_fit(arch, shape, 10)
            model = build_model(arch, shape, 10, seed=0)
            assert spec == model.letcc_spec
    with pytest.raises(ValueError, match="embed_dim=90 is not divisible"):
        check_fit("vit", (1, 28, 28), 10, {"embed_dim": 90, "num_heads": 4})
