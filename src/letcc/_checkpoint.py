"""Checkpoints of trained networks: atomic save, checked load, verified fetch.

A checkpoint is one ``torch.save`` file holding a plain dictionary: the
architecture and its hyper-parameters (a :class:`letcc.models.ModelSpec`),
whether the weights are RepVGG's re-parameterised form, JSON-like metadata
and the ``state_dict``. Only tensors and plain Python values are stored, so it
loads with ``torch.load(weights_only=True)``: no code runs while reading.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from letcc.atomic import atomic_path
from letcc.models import (
    ModelSpec,
    build_model,
    inference_form,
    is_reparameterized,
    model_spec,
)
from letcc.provenance import sha256_file

logger = logging.getLogger(__name__)

#: Value of the ``format`` key that marks a file as ours.
FORMAT = "letcc-checkpoint"
#: Layout version of the stored dictionary.
VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20  # bytes copied at a time when fetching


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint.

    Attributes
    ----------
    model : torch.nn.Module
        Rebuilt with :func:`letcc.models.build_model`, weights loaded, in eval
        mode (and re-parameterised if it was saved that way).
    spec : letcc.models.ModelSpec
    metadata : dict
        What the saver recorded (training settings, metrics, data manifest).
    sha256 : str
        Hex sha256 of the file read.
    path : pathlib.Path
    """

    model: nn.Module
    spec: ModelSpec
    metadata: dict[str, Any]
    sha256: str
    path: Path


def save_checkpoint(
    path: str | os.PathLike, model: nn.Module, metadata: Mapping[str, Any]
) -> str:
    """Write ``model`` and ``metadata`` to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination; its folder is created if missing. Written through a temp
        file in the same folder and ``os.replace``, so readers never see half
        a checkpoint.
    model : torch.nn.Module
        Built by :func:`letcc.models.build_model` (training or inference
        form).
    metadata : mapping
        JSON-serialisable (str, int, float, bool, None, lists, dicts):
        training hyper-parameters, metrics, the data manifest, ...

    Returns
    -------
    str
        Hex sha256 of the written file.

    Raises
    ------
    ValueError
        If ``model`` has no spec or ``metadata`` is not JSON serialisable.
    """
    spec = model_spec(model)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "arch": spec.arch,
        "in_shape": list(spec.in_shape),
        "num_classes": spec.num_classes,
        "hyperparameters": _plain(spec.hyperparameters, "hyperparameters"),
        "reparameterized": is_reparameterized(model),
        "metadata": _plain(metadata, "metadata"),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    digest = sha256_file(path)
    logger.info("saved %s checkpoint %s (sha256 %s)", spec.arch, path, digest)
    return digest


def _plain(obj: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A JSON round trip of ``obj``: plain types only, or a ValueError."""
    try:
        return json.loads(json.dumps(dict(obj)))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"checkpoint {what} must be JSON serialisable ({exc}); convert "
            "tensors and arrays with .tolist() and paths with str()."
        ) from exc


def load_checkpoint(
    path: str | os.PathLike,
    expected_arch: str | None = None,
    sha256: str | None = None,
) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` and rebuild it.

    Parameters
    ----------
    path : path-like
    expected_arch : str, optional
        Refuse a checkpoint of another architecture.
    sha256 : str, optional
        Expected hex sha256 of the file, checked before anything is unpickled.

    Returns
    -------
    Checkpoint

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        On a sha256 mismatch, a file that is not a letcc checkpoint, or an
        architecture other than ``expected_arch``; the message names the
        file, what was expected and what was found.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist.")
    digest = sha256_file(path)
    if sha256 is not None and digest != _check_sha256(sha256):
        raise ValueError(
            f"checkpoint {path}: sha256 {digest} does not match the expected "
            f"{sha256}; the file is corrupt or not the one recorded. Fetch or "
            "retrain it."
        )
    payload = torch.load(path, map_location="cpu", weights_only=True)
    _check_payload(payload, path, expected_arch)
    spec = ModelSpec(
        payload["arch"],
        tuple(payload["in_shape"]),
        payload["num_classes"],
        payload["hyperparameters"],
    )
    model = _rebuild(spec, payload)
    logger.info("loaded %s checkpoint %s (sha256 %s)", spec.arch, path, digest)
    return Checkpoint(model, spec, payload["metadata"], digest, path)


def _check_payload(payload: Any, path: Path, expected_arch: str | None) -> None:
    """Refuse foreign files and architectures other than ``expected_arch``."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"{path} is not a letcc checkpoint (no format={FORMAT!r} key); "
            "write checkpoints with letcc.training.save_checkpoint."
        )
    if payload.get("version") != VERSION:
        raise ValueError(
            f"checkpoint {path} has layout version {payload.get('version')}, "
            f"this code reads version {VERSION}."
        )
    if expected_arch is not None and payload["arch"] != expected_arch:
        raise ValueError(
            f"checkpoint {path} holds architecture {payload['arch']!r}, "
            f"expected {expected_arch!r}; train or fetch a {expected_arch!r} "
            f"checkpoint, or set the model entry's arch to {payload['arch']!r}."
        )


def _rebuild(spec: ModelSpec, payload: Mapping[str, Any]) -> nn.Module:
    """Build the architecture, match its form, load the weights, set eval."""
    model = build_model(
        spec.arch, spec.in_shape, spec.num_classes, **spec.hyperparameters
    )
    if payload["reparameterized"]:
        model = inference_form(model)
    model.load_state_dict(payload["state_dict"], strict=True)
    return model.eval()


def _check_sha256(sha256: str) -> str:
    """Lower-case ``sha256`` after checking it is 64 hex digits."""
    value = str(sha256).strip().lower()
    if not _SHA256.fullmatch(value):
        raise ValueError(
            f"sha256 must be 64 hexadecimal digits, got {sha256!r}; copy it from "
            "the checkpoint's manifest or `sha256sum`."
        )
    return value


def fetch_checkpoint(
    source: str | os.PathLike,
    sha256: str,
    dest: str | os.PathLike,
    *,
    timeout: float = 60.0,
) -> Path:
    """Copy or download a checkpoint to ``dest`` and verify its sha256.

    Parameters
    ----------
    source : str or path-like
        A local path, or a URL (``file://``, ``http://``, ``https://``)
        read with ``urllib``.
    sha256 : str
        Expected hex sha256 of the file.
    dest : path-like
        Where to put it. If it already holds a file with this sha256 nothing
        is fetched.
    timeout : float, default 60
        Seconds to wait on a network connection.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    ValueError
        If ``sha256`` is malformed or the fetched bytes hash differently; then
        nothing is left at ``dest`` (an older file there is kept as it was).
    OSError
        If the source cannot be read (``urllib.error.URLError`` for URLs).
    """
    expected = _check_sha256(sha256)
    dest = Path(dest)
    if dest.is_file() and sha256_file(dest) == expected:
        logger.info("%s already holds sha256 %s; not fetched", dest, expected)
        return dest
    with atomic_path(dest) as tmp:
        found = _copy_hashing(source, tmp, timeout)
        if found != expected:
            raise ValueError(
                f"checkpoint from {source}: sha256 {found} does not match the "
                f"expected {expected}; nothing was written to {dest}. Check "
                "fetch.url and fetch.sha256 of the inference.models entry."
            )
    logger.info("fetched %s to %s (sha256 %s)", source, dest, expected)
    return dest


def _copy_hashing(source: str | os.PathLike, target: Path, timeout: float) -> str:
    """Stream ``source`` (path or URL) into ``target``; return its sha256."""
    digest = hashlib.sha256()
    with _open_source(source, timeout) as src, open(target, "wb") as dst:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def _open_source(source: str | os.PathLike, timeout: float):
    """A binary file object for a local path or a URL."""
    text = os.fspath(source)
    if urllib.parse.urlsplit(text).scheme in ("file", "http", "https"):
        return urllib.request.urlopen(text, timeout=timeout)
    return open(text, "rb")


__all__ = [
    "Checkpoint",
    "fetch_checkpoint",
    "load_checkpoint",
    "save_checkpoint",
]
