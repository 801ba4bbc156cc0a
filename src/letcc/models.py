"""The networks whose inference is coded: LeNet5, RepVGG and a small ViT.

Each is sized for 28 x 28 grayscale (MNIST, Fashion-MNIST) or 32 x 32 RGB
(CIFAR) inputs and small enough to train on a few CPU cores. RepVGG and the
ViT come from timm (``timm.models.byobnet`` and
``timm.models.vision_transformer``); LeNet5 is written here.

:func:`build_model` attaches a :class:`ModelSpec` to every model it builds, so a
checkpoint can record, and later rebuild, exactly that architecture.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)

#: Name of the attribute holding a model's :class:`ModelSpec`.
SPEC_ATTR = "letcc_spec"


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild a model (except its weights).

    Attributes
    ----------
    arch : str
        One of :data:`ARCHITECTURES`.
    in_shape : tuple of int
        ``(C, H, W)`` of one input image.
    num_classes : int
    hyperparameters : dict
        The architecture's size settings (defaults merged with overrides).
    """

    arch: str
    in_shape: tuple[int, int, int]
    num_classes: int
    hyperparameters: dict[str, Any] = field(default_factory=dict)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling.

    conv 5x5 (6) -> pool -> conv 5x5 (16) -> pool -> fc 120 -> fc 84 -> fc
    classes. A 28 x 28 input is zero-padded by 2 in the first convolution, as
    in the original 32 x 32 design, so both sizes reach the 16 x 5 x 5 map.

    Parameters
    ----------
    in_shape : tuple of int
        ``(C, H, W)`` with ``H == W`` in {28, 32}.
    num_classes : int
    """

    def __init__(self, in_shape: tuple[int, int, int], num_classes: int):
        super().__init__()
        channels, height, _ = in_shape
        pad = (32 - height) // 2
        self.features = nn.Sequential(
            nn.Conv2d(channels, 6, kernel_size=5, padding=pad),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (n, num_classes), of images of shape (n, C, H, W)."""
        return self.classifier(self.features(x))


def _build_lenet5(in_shape, num_classes, hp) -> nn.Module:
    return LeNet5(in_shape, num_classes)


def _build_repvgg(in_shape, num_classes, hp) -> nn.Module:
    """A RepVGG-A-style ByobNet from timm with three narrow stages.

    timm's RepVGG stem has stride 2, so the stages run at 14/7/4 (28 x 28
    input) or 16/8/4 (32 x 32) pixels; the first stage keeps stride 1 because
    ImageNet's five downsamplings would leave no spatial extent here.
    """
    # Imported here: timm takes seconds to import and LeNet5 does not need it.
    from timm.models.byobnet import ByoBlockCfg, ByobNet, ByoModelCfg

    blocks = tuple(
        ByoBlockCfg(type="rep", d=depth, c=width, s=1 if i == 0 else 2)
        for i, (depth, width) in enumerate(zip(hp["depths"], hp["widths"], strict=True))
    )
    cfg = ByoModelCfg(blocks=blocks, stem_type="rep", stem_chs=hp["stem_width"])
    return ByobNet(cfg, num_classes=num_classes, in_chans=in_shape[0])


def _build_vit(in_shape, num_classes, hp) -> nn.Module:
    """A small timm VisionTransformer: class token, learned positions."""
    # Imported here: timm takes seconds to import and LeNet5 does not need it.
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=in_shape[1],
        patch_size=hp["patch_size"],
        in_chans=in_shape[0],
        num_classes=num_classes,
        embed_dim=hp["embed_dim"],
        depth=hp["depth"],
        num_heads=hp["num_heads"],
        mlp_ratio=hp["mlp_ratio"],
    )


@dataclass(frozen=True)
class _Arch:
    build: Callable[..., nn.Module]
    defaults: Callable[[tuple[int, int, int]], dict[str, Any]]


def _vit_defaults(in_shape: tuple[int, int, int]) -> dict[str, Any]:
    """ViT size: 7-pixel patches (a 4 x 4 grid) at 28 x 28, 4-pixel (8 x 8) at 32.

    Attention and MLP cost grow with the number of tokens; 16 tokens keep an
    epoch of Fashion-MNIST near a minute on two CPU cores, while CIFAR's
    colour textures need the finer 8 x 8 grid.
    """
    patch = 7 if in_shape[1] == 28 else 4
    return {
        "patch_size": patch,
        "embed_dim": 96,
        "depth": 6,
        "num_heads": 4,
        "mlp_ratio": 2.0,
    }


_ARCHS: dict[str, _Arch] = {
    "lenet5": _Arch(_build_lenet5, lambda in_shape: {}),
    "repvgg": _Arch(
        _build_repvgg,
        lambda in_shape: {
            "stem_width": 32,
            "widths": [32, 64, 128],
            "depths": [1, 2, 2],
        },
    ),
    "vit": _Arch(_build_vit, _vit_defaults),
}

#: Names accepted by :func:`build_model`.
ARCHITECTURES = tuple(_ARCHS)

_SIZES = ((1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 32, 32))


def build_model(
    name: str,
    in_shape: tuple[int, int, int],
    num_classes: int,
    *,
    seed: int | None = None,
    **hyperparameters: Any,
) -> nn.Module:
    """Build an untrained network and attach its :class:`ModelSpec`.

    Parameters
    ----------
    name : str
        One of :data:`ARCHITECTURES`: ``"lenet5"``, ``"repvgg"``, ``"vit"``.
    in_shape : tuple of int
        ``(C, H, W)``: ``C`` in {1, 3}, ``H == W`` in {28, 32}.
    num_classes : int
        Number of logits, at least 2.
    seed : int, optional
        Seed for the initial weights. The initialisers draw from torch's
        global generator, so it is seeded inside ``torch.random.fork_rng``,
        which restores the caller's random state afterwards.
    **hyperparameters
        Overrides of the architecture's size settings. Defaults: none for
        LeNet5; RepVGG ``stem_width=32, widths=[32, 64, 128], depths=[1, 2,
        2]``; ViT ``patch_size`` 7 (28 x 28) or 4 (32 x 32), ``embed_dim=96,
        depth=6, num_heads=4, mlp_ratio=2.0``.

    Returns
    -------
    torch.nn.Module
        Maps images (n, C, H, W) float32 to logits (n, num_classes), in
        training mode, with ``model.letcc_spec`` set.

    Raises
    ------
    ValueError
        For an unknown name, an unsupported input shape, fewer than two
        classes, or an unknown hyper-parameter.
    """
    spec = _make_spec(name, in_shape, num_classes, hyperparameters)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        model = _ARCHS[name].build(spec.in_shape, num_classes, spec.hyperparameters)
    setattr(model, SPEC_ATTR, spec)
    logger.debug("built %s with %d parameters", spec, parameter_count(model))
    return model


def check_fit(
    name: str,
    in_shape: tuple[int, int, int],
    num_classes: int,
    hyperparameters: dict[str, Any] | None = None,
) -> ModelSpec:
    """Check that an architecture fits a dataset, without building it.

    Cheap enough for config validation: no weights are allocated and timm is
    not imported.

    Parameters
    ----------
    name : str
        One of :data:`ARCHITECTURES`.
    in_shape : tuple of int
        ``(C, H, W)`` of the dataset's images.
    num_classes : int
    hyperparameters : dict, optional
        Overrides of the architecture's size settings.

    Returns
    -------
    ModelSpec
        The spec :func:`build_model` would attach.

    Raises
    ------
    ValueError
        Whatever :func:`build_model` refuses (unknown name or
        hyper-parameter, unsupported image size), and for the ViT a patch
        size that does not divide the image side or an embedding width not
        divisible by the number of heads.
    """
    spec = _make_spec(name, in_shape, num_classes, dict(hyperparameters or {}))
    if name == "vit":
        hp, side = spec.hyperparameters, spec.in_shape[1]
        if side % hp["patch_size"]:
            divisors = [p for p in range(2, side) if side % p == 0]
            raise ValueError(
                f"vit: patch_size={hp['patch_size']} does not divide the "
                f"{side} x {side} images of in_shape {spec.in_shape}; use one of "
                f"{divisors}."
            )
        if hp["embed_dim"] % hp["num_heads"]:
            raise ValueError(
                f"vit: embed_dim={hp['embed_dim']} is not divisible by "
                f"num_heads={hp['num_heads']}; change one of them."
            )
    return spec


def _make_spec(name, in_shape, num_classes, overrides) -> ModelSpec:
    """Check the arguments and merge the hyper-parameters."""
    if name not in _ARCHS:
        raise ValueError(
            f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}."
        )
    in_shape = tuple(int(s) for s in in_shape)
    if in_shape not in _SIZES:
        raise ValueError(
            f"in_shape {in_shape} is not supported; the models are sized for "
            f"(C, H, W) in {list(_SIZES)}."
        )
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
    defaults = _ARCHS[name].defaults(in_shape)
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown hyper-parameters {unknown} for {name!r}; "
            f"known: {sorted(defaults)}."
        )
    hp = copy.deepcopy({**defaults, **overrides})
    return ModelSpec(name, in_shape, int(num_classes), hp)


def model_spec(model: nn.Module) -> ModelSpec:
    """The :class:`ModelSpec` that :func:`build_model` attached to ``model``.

    Raises
    ------
    ValueError
        If ``model`` was not built by :func:`build_model`.
    """
    spec = getattr(model, SPEC_ATTR, None)
    if not isinstance(spec, ModelSpec):
        raise ValueError(
            f"{type(model).__name__} has no {SPEC_ATTR!r}; build models with "
            "letcc.models.build_model so checkpoints can record the architecture."
        )
    return spec


def is_reparameterized(model: nn.Module) -> bool:
    """True if any RepVGG block of ``model`` is in its single-conv form."""
    return any(getattr(m, "reparam_conv", None) is not None for m in model.modules())


def inference_form(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode, RepVGG re-parameterised.

    For RepVGG each block's three training branches (3x3 conv + BN, 1x1 conv
    + BN, identity BN) are folded, with the batch-norm running statistics,
    into one 3x3 convolution with bias (Ding et al., 2021, Sec. 3.3), using
    timm's ``reparameterize_model``. Other architectures are only copied and
    set to eval mode. The caller's model is left untouched.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :func:`build_model` (trained or not).

    Returns
    -------
    torch.nn.Module
        Same function as ``model.eval()`` up to float rounding.
    """
    spec = model_spec(model)
    plain = copy.deepcopy(model).eval()
    if spec.arch == "repvgg" and not is_reparameterized(plain):
        from timm.utils import reparameterize_model

        plain = reparameterize_model(plain, inplace=True)
    return plain


def parameter_count(model: nn.Module) -> int:
    """Number of scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())
