"""Model registry, RepVGG re-parameterisation and checkpoints."""

import hashlib
import re

import pytest
import torch
from torch import nn

from letcc.models import (
    ARCHITECTURES,
    build_model,
    inference_form,
    is_reparameterized,
    model_spec,
)
from letcc.training import fetch_checkpoint, load_checkpoint, save_checkpoint

SHAPES = [((1, 28, 28), 10), ((3, 32, 32), 100)]


def images(shape, n=4, seed=0):
    return torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed))


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settle_batch_norm(model, shape, seed=0):
    """Give every BN layer non-trivial affine parameters and running stats.

    Fresh BN layers have mean 0 and variance 1, which would let a fusion that
    ignores the running statistics pass; a few training-mode passes on shifted,
    scaled inputs move them.
    """
    generator = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.5, 0.5, generator=generator)
        model.train()
        for step in range(3):
            model((2.0 * images(shape, n=16, seed=seed + step) + 0.5).to(dtype))
    return model.eval()


@pytest.mark.parametrize(("shape", "num_classes"), SHAPES)
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_logits_have_one_row_per_image(arch, shape, num_classes):
    model = build_model(arch, shape, num_classes, seed=0).eval()

    with torch.no_grad():
        out = model(images(shape, n=3))

    assert out.shape == (3, num_classes), f"{arch} on {shape}: got {out.shape}"
    assert torch.isfinite(out).all()


def test_seed_fixes_weights_and_leaves_global_state_alone():
    before = torch.random.get_rng_state()
    first = build_model("vit", (1, 28, 28), 10, seed=3).state_dict()
    second = build_model("vit", (1, 28, 28), 10, seed=3).state_dict()

    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_hyperparameters_are_recorded_and_checked():
    model = build_model("vit", (3, 32, 32), 10, embed_dim=64, depth=2)

    spec = model_spec(model)
    assert spec.hyperparameters["embed_dim"] == 64
    assert spec.hyperparameters["patch_size"] == 4
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['width'\]"):
        build_model("vit", (3, 32, 32), 10, width=3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("resnet", (1, 28, 28), 10), "unknown architecture 'resnet'"),
        (("lenet5", (1, 64, 64), 10), r"in_shape \(1, 64, 64\) is not supported"),
        (("lenet5", (1, 28, 28), 1), "num_classes must be at least 2, got 1"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        build_model(*args)


# --------------------------------------------------------------------------
# RepVGG: training form == re-parameterised form
# --------------------------------------------------------------------------

# float64: the fused 3x3 kernel is an exact algebraic rewrite of the three
# branches, so the forms differ only by rounding, bounded by about depth (6
# blocks) x (3x3 x 128 terms) x eps64 (2e-16) relative to the logits; measured
# 3e-16 with logits of size 0.3. Dropping one block's identity branch moves
# them by 7e-2, so 1e-9 separates the two by seven orders of magnitude.
ATOL_FLOAT64 = 1e-9
# float32, same bound with eps32 = 1.2e-7: ~1e-4 of the largest logit
# (measured 4e-7 of it).
RTOL_FLOAT32 = 1e-4


@pytest.mark.parametrize(("shape", "num_classes"), SHAPES)
def test_repvgg_reparameterisation_preserves_outputs_float64(shape, num_classes):
    model = build_model("repvgg", shape, num_classes, seed=0).double()
    settle_batch_norm(model, shape)
    x = images(shape, n=8, seed=5).double()

    fused = inference_form(model)

    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), atol=ATOL_FLOAT64, rtol=0)


def test_repvgg_reparameterisation_preserves_outputs_float32():
    shape = (3, 32, 32)
    model = settle_batch_norm(build_model("repvgg", shape, 10, seed=1), shape)
    x = images(shape, n=8, seed=6)

    with torch.no_grad():
        expected = model(x)
        got = inference_form(model)(x)

    scale = expected.abs().max().item()
    torch.testing.assert_close(got, expected, atol=RTOL_FLOAT32 * scale, rtol=0)


def test_repvgg_inference_form_is_a_plain_stack_of_3x3_convs():
    model = build_model("repvgg", (1, 28, 28), 10, seed=0)

    fused = inference_form(model)

    assert is_reparameterized(fused) and not is_reparameterized(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    kernels = {m.kernel_size for m in fused.modules() if isinstance(m, nn.Conv2d)}
    assert kernels == {(3, 3)}
    assert model.training, "the caller's model must be left as it was"


def test_inference_form_of_other_models_is_an_eval_copy():
    model = build_model("lenet5", (1, 28, 28), 10, seed=0)

    plain = inference_form(model)

    assert plain is not model and not plain.training and model.training


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


def trained_like(arch, shape=(1, 28, 28), num_classes=10):
    """A model with non-default weights and BN statistics, in eval mode."""
    model = build_model(arch, shape, num_classes, seed=0)
    return settle_batch_norm(model, shape, seed=1)


@pytest.mark.parametrize("form", ["lenet5", "repvgg", "repvgg-fused", "vit"])
def test_checkpoint_round_trip_gives_identical_outputs(tmp_path, form):
    model = trained_like(form.split("-")[0])
    if form.endswith("fused"):
        model = inference_form(model)
    metadata = {"epochs": 3, "lr": 1e-3, "data": {"sha256": "ab" * 32}}
    path = tmp_path / "ckpt" / "model.pt"

    digest = save_checkpoint(path, model, metadata)
    loaded = load_checkpoint(path, expected_arch=model_spec(model).arch, sha256=digest)

    assert digest == sha256(path)
    assert loaded.metadata == metadata
    assert loaded.spec == model_spec(model)
    assert not loaded.model.training
    x = images((1, 28, 28), n=5)
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model.eval()(x))
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"], "temp file left"


def test_checkpoint_with_wrong_sha256_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    digest = save_checkpoint(path, trained_like("lenet5"), {})
    wrong = "0" * 64

    with pytest.raises(ValueError) as error:
        load_checkpoint(path, sha256=wrong)

    message = str(error.value)
    assert str(path) in message and wrong in message and digest in message


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, trained_like("lenet5"), {})

    expected = f"checkpoint {path} holds architecture 'lenet5', expected 'vit'"
    with pytest.raises(ValueError, match=re.escape(expected)):
        load_checkpoint(path, expected_arch="vit")


def test_foreign_file_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": {}}, path)

    with pytest.raises(
        ValueError, match=re.escape(f"{path} is not a letcc checkpoint")
    ):
        load_checkpoint(path)


def test_metadata_must_be_json(tmp_path):
    with pytest.raises(ValueError, match="JSON serialisable"):
        save_checkpoint(tmp_path / "m.pt", trained_like("lenet5"), {"x": torch.ones(2)})
    assert not list(tmp_path.iterdir())


def test_model_without_spec_is_refused(tmp_path):
    with pytest.raises(ValueError, match="build_model"):
        save_checkpoint(tmp_path / "m.pt", nn.Linear(2, 2), {})


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_fetch_checkpoint_copies_and_verifies(tmp_path, as_url):
    source = tmp_path / "store" / "model.pt"
    digest = save_checkpoint(source, trained_like("lenet5"), {"k": 1})
    dest = tmp_path / "cache" / "model.pt"

    got = fetch_checkpoint(source.as_uri() if as_url else source, digest, dest)

    assert got == dest and sha256(dest) == digest
    assert load_checkpoint(dest, sha256=digest).metadata == {"k": 1}


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_fetch_checkpoint_mismatch_leaves_no_file(tmp_path, as_url):
    source = tmp_path / "model.pt"
    digest = save_checkpoint(source, trained_like("lenet5"), {})
    dest = tmp_path / "cache" / "model.pt"
    wrong = "f" * 64

    with pytest.raises(ValueError) as error:
        fetch_checkpoint(source.as_uri() if as_url else source, wrong, dest)

    message = str(error.value)
    assert wrong in message and digest in message and str(dest) in message
    assert not dest.exists()
    assert not list(dest.parent.iterdir()), "partial download left behind"


def test_fetch_checkpoint_skips_a_verified_copy(tmp_path):
    dest = tmp_path / "model.pt"
    digest = save_checkpoint(dest, trained_like("lenet5"), {})

    assert fetch_checkpoint(tmp_path / "absent.pt", digest, dest) == dest


def test_fetch_checkpoint_refuses_malformed_sha256(tmp_path):
    with pytest.raises(ValueError, match="64 hexadecimal digits, got 'abc'"):
        fetch_checkpoint(tmp_path / "a.pt", "abc", tmp_path / "b.pt")
