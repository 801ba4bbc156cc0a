"""Checks of the workflow config, each failing with the key and the fix.

The JSON schema ``workflow/schemas/config.schema.yaml`` holds every type, bound,
enum and default; :func:`validate_config` applies it and rewords its errors.
What it cannot say is how two keys must relate; those rules live here too and
run right after schema validation (``workflow/rules/common.smk``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: Fewest workers that must answer: the decoders need two points.
MIN_SURVIVORS = 2


def check_config(config: Mapping[str, Any]) -> None:
    """Check the relations between config keys that the schema cannot express.

    Parameters
    ----------
    config : mapping
        The config after schema validation (defaults filled in).

    Raises
    ------
    ValueError
        If ``synthetic.K`` exceeds an entry of ``synthetic.N`` (a code needs at
        least as many workers as inputs), or if ``synthetic.S`` leaves fewer
        than two survivors for an entry of ``synthetic.N``, or if a ``theory``
        setting breaks a rule of :func:`check_theory`, or an ``inference``
        setting one of :func:`check_inference`. The message quotes the key,
        the value and how to fix it.
    """
    synthetic = config["synthetic"]
    K, S, Ns = synthetic["K"], synthetic["S"], synthetic["N"]

    too_few_workers = [N for N in Ns if N < K]
    if too_few_workers:
        raise ValueError(
            f"synthetic.N = {list(Ns)} contains {too_few_workers}, fewer workers "
            f"than synthetic.K = {K} inputs; make every entry of synthetic.N at "
            f"least {K}, or lower synthetic.K."
        )

    too_many_stragglers = [N for N in Ns if N - S < MIN_SURVIVORS]
    if too_many_stragglers:
        raise ValueError(
            f"synthetic.S = {S} leaves fewer than {MIN_SURVIVORS} survivors for "
            f"synthetic.N entries {too_many_stragglers}; lower synthetic.S to at "
            f"most {min(too_many_stragglers) - MIN_SURVIVORS}, or drop those N."
        )
    if config.get("theory"):
        check_theory(config["theory"], seeds=config["seeds"])
    if config.get("inference"):
        check_inference(config["inference"], seeds=config["seeds"])
    logger.debug("config passed cross-field checks")


def validate_config(config: dict[str, Any], schema: str | os.PathLike) -> None:
    """Validate ``config`` against the JSON schema, filling in defaults.

    Parameters
    ----------
    config : dict
        The config as read; defaults are written into it.
    schema : path-like
        Absolute path of ``workflow/schemas/config.schema.yaml``.

    Raises
    ------
    ValueError
        If a key is unknown, of the wrong type or out of range; the message
        (:func:`explain_schema_error`) names the key and the fix.
    """
    from snakemake.utils import validate
    from snakemake_interface_common.exceptions import WorkflowError

    try:
        validate(config, str(schema))
    except WorkflowError as error:
        message = explain_schema_error(error)
        if message is None:
            raise
        raise ValueError(message) from None


def explain_schema_error(error: BaseException) -> str | None:
    """A short message for a config that fails the JSON schema.

    Parameters
    ----------
    error : Exception
        What ``snakemake.utils.validate`` raised; the ``jsonschema``
        ValidationError it wraps is its ``__context__``.

    Returns
    -------
    str or None
        The key at fault, what is wrong with it and how to fix it; None when
        ``error`` does not wrap a ValidationError.
    """
    from jsonschema import ValidationError

    cause = error if isinstance(error, ValidationError) else error.__context__
    if not isinstance(cause, ValidationError):
        return None
    key = ".".join(str(part) for part in cause.absolute_path) or "(top level)"
    return (
        f"config key {key}: {cause.message}. {_schema_fix(cause)} "
        "workflow/schemas/config.schema.yaml gives every key's type, range and "
        "default; config/README.md explains them."
    )


def _schema_fix(cause) -> str:
    """What to change, by the schema keyword the value broke."""
    rule, bound = cause.validator, cause.validator_value
    if rule == "additionalProperties":
        allowed = ", ".join(cause.schema.get("properties", {}))
        return f"Remove it or fix its spelling; the keys allowed here are: {allowed}."
    if rule == "type":
        return f"Give a value of type {bound}."
    if rule in ("minimum", "exclusiveMinimum"):
        return f"Use a value {'>=' if rule == 'minimum' else '>'} {bound}."
    if rule in ("maximum", "exclusiveMaximum"):
        return f"Use a value {'<=' if rule == 'maximum' else '<'} {bound}."
    if rule == "enum":
        return f"Use one of {bound}."
    if rule == "required":
        return f"Add the missing keys {bound}."
    return "Correct the value."


def check_renamed_keys(config: Mapping[str, Any]) -> None:
    """Point configs written for an older layout of the keys to the new one.

    Parameters
    ----------
    config : mapping
        The config as read, before schema validation.

    Raises
    ------
    ValueError
        If the config has a root ``seed`` key, which ``seeds`` replaced.
    """
    if "seed" in config:
        seed = config["seed"]
        raise ValueError(
            f"config key seed: {seed} was replaced by one seed per random stream; "
            f"write seeds: {{inputs: {seed}, split: {seed}, training: {seed}, "
            f"traces: {seed}, noise: {seed}}} instead, which reproduces the old "
            "results exactly (see config/README.md)."
        )


def _check_validation_seed(section: str, seed: int, seeds: Mapping[str, int]):
    """Refuse a validation seed that would repeat a test stream's draws."""
    streams = ("inputs", "traces", "noise")
    clashes = [f"seeds.{name}" for name in streams if seeds[name] == seed]
    if clashes:
        raise ValueError(
            f"{section}.validation_seed = {seed} equals {', '.join(clashes)}, so "
            "the validation draws would repeat the test draws; choose a "
            "validation_seed that differs from seeds.inputs, seeds.traces and "
            "seeds.noise."
        )


def check_theory(theory: Mapping[str, Any], *, seeds: Mapping[str, int]) -> None:
    """Check the relations between the keys of the ``theory`` section.

    Parameters
    ----------
    theory : mapping
        The ``theory`` section after schema validation.
    seeds : mapping
        The config's ``seeds``.

    Raises
    ------
    ValueError
        If a worker count of ``theory.N``, ``theory.S_sweep.N`` or
        ``theory.landscape.N`` is below ``theory.K``; if the stragglers leave
        fewer than 3 survivors where the noisy runs choose lam by GCV
        (``theory.N`` and ``theory.landscape.N`` with ``theory.S``) or fewer
        than 2 in the S sweep; if ``theory.validation_seed`` equals the inputs,
        traces or noise seed (validation draws would repeat test draws); or if
        ``theory.lam_grid.min >= theory.lam_grid.max``.
    """
    K, S = theory["K"], theory["S"]
    sweep, landscape = theory["S_sweep"], theory["landscape"]
    workers = {
        "theory.N": list(theory["N"]),
        "theory.S_sweep.N": [sweep["N"]],
        "theory.landscape.N": [landscape["N"]],
    }
    for key, Ns in workers.items():
        small = [N for N in Ns if N < K]
        if small:
            raise ValueError(
                f"{key} = {Ns if len(Ns) > 1 else Ns[0]} has fewer workers than "
                f"theory.K = {K} inputs; raise it to at least {K} or lower theory.K."
            )

    # GCV needs 3 survivors: with 2 the fit interpolates and tr(I - A) = 0.
    for key in ("theory.N", "theory.landscape.N"):
        short = [N for N in workers[key] if N - S < MIN_SURVIVORS + 1]
        if short:
            raise ValueError(
                f"theory.S = {S} leaves fewer than {MIN_SURVIVORS + 1} survivors for "
                f"{key} = {short}; lower theory.S or raise {key}."
            )
    most = max(sweep["S"])
    if sweep["N"] - most < MIN_SURVIVORS:
        raise ValueError(
            f"theory.S_sweep.S reaches {most}, leaving fewer than {MIN_SURVIVORS} "
            f"of theory.S_sweep.N = {sweep['N']} workers; lower it to at most "
            f"{sweep['N'] - MIN_SURVIVORS}."
        )

    _check_validation_seed("theory", theory["validation_seed"], seeds)
    grid = theory["lam_grid"]
    if grid["min"] >= grid["max"]:
        raise ValueError(
            f"theory.lam_grid.min = {grid['min']} is not below theory.lam_grid.max "
            f"= {grid['max']}; make min < max."
        )


#: Image shape ``(C, H, W)`` and class count of each dataset of the inference
#: track (the same as ``letcc.data``; kept here so that validating a config
#: does not import torchvision, and checked against it by the tests).
DATASET_SHAPES = {
    "mnist": ((1, 28, 28), 10),
    "fashion-mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
}


def check_inference(inference: Mapping[str, Any], *, seeds: Mapping[str, int]) -> None:
    """Check the relations between the keys of the ``inference`` section.

    Parameters
    ----------
    inference : mapping
        The ``inference`` section after schema validation.
    seeds : mapping
        The config's ``seeds``.

    Raises
    ------
    ValueError
        If ``inference.validation_seed`` equals the inputs, traces or noise
        seed (validation draws would repeat the test ones); if two entries of
        ``inference.models`` share a name; or, for an entry, if its
        architecture does not fit its dataset's images
        (:func:`letcc.models.check_fit`), ``K > N``, an ``S`` leaves fewer
        than two survivors (``S >= N - 1``), or a ``table_S`` is not one of
        its ``S``. The message names the entry, the key and the fix.
    """
    _check_validation_seed("inference", inference["validation_seed"], seeds)
    names = [entry["name"] for entry in inference["models"]]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"inference.models has repeated names {repeated}; names are used in "
            "output paths, so give each entry its own."
        )
    for entry in inference["models"]:
        _check_network(entry)


def _check_network(entry: Mapping[str, Any]) -> None:
    """Cross-field checks of one ``inference.models`` entry."""
    # Imported here: it imports torch, which the other checks do not need.
    from letcc.models import check_fit

    where = f"inference.models[{entry['name']}]"
    shape, classes = DATASET_SHAPES[entry["dataset"]]
    try:
        check_fit(entry["arch"], shape, classes, entry["hyperparameters"])
    except ValueError as error:
        raise ValueError(
            f"{where}: arch {entry['arch']!r} does not fit dataset "
            f"{entry['dataset']!r} (images {shape}, {classes} classes): {error}"
        ) from error

    N, K = entry["N"], entry["K"]
    if K > N:
        raise ValueError(
            f"{where}.K = {K} exceeds N = {N}; a code needs at least as many "
            f"workers as inputs, so raise N to at least {K} or lower K."
        )
    too_many = [S for S in entry["S"] if N - S < MIN_SURVIVORS]
    if too_many:
        raise ValueError(
            f"{where}.S contains {too_many}, leaving fewer than {MIN_SURVIVORS} "
            f"of N = {N} workers; use S <= {N - MIN_SURVIVORS}."
        )
    missing = [S for S in entry["table_S"] if S not in entry["S"]]
    if missing:
        raise ValueError(
            f"{where}.table_S contains {missing}, which are not in its S = "
            f"{list(entry['S'])}; add them to S or drop them from table_S."
        )
