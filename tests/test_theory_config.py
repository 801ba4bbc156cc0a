"""The theory section of the config: schema defaults and cross-field checks."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate
from snakemake_interface_common.exceptions import WorkflowError

from letcc.config import check_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def smoke():
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    validate(config, str(SCHEMA))
    return config


def test_schema_fills_the_theory_defaults():
    config = {}
    validate(config, str(SCHEMA))

    theory = config["theory"]
    assert theory["functions"] == ["xsinx", "tanhnet", "abspow"]
    assert theory["points"] == {"alpha": "chebyshev1", "beta": "equispaced"}
    assert theory["tolerance"] == {"slope": 0.0, "bound_rtol": 1e-9}
    assert len(theory["N"]) >= 6 and max(theory["N"]) / min(theory["N"]) >= 16


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("functions",), ["sinc"], "'sinc' is not one of"),
        (("sigma",), 0.0, "less than or equal to the minimum"),
        (("N",), [20, 40], "is too short"),
        (("S_sweep", "S"), [0, 1, 2], "0 is less than the minimum"),
        (("landscape", "lam_dec"), [-1.0, 0.0], "-1.0 is less than the minimum"),
        (("tolerance", "slop"), 0.1, "'slop' was unexpected"),
    ],
)
def test_schema_rejects_bad_theory_values(path, value, message):
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    node = config["theory"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    with pytest.raises(WorkflowError, match=message):
        validate(config, str(SCHEMA))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(K=20), r"theory.N = \[12, 24, 48\] has fewer workers than"),
        (lambda t: t["landscape"].update(N=3), "theory.landscape.N = 3 has fewer"),
        (lambda t: t.update(S=10), "theory.S = 10 leaves fewer than 3 survivors"),
        (lambda t: t["S_sweep"].update(S=[1, 23]), "lower it to at most 22"),
        (
            lambda t: t.update(validation_seed=0),
            "equals seeds.inputs, seeds.traces, seeds.noise",
        ),
        (
            lambda t: t["lam_grid"].update(min=1.0, max=0.5),
            "theory.lam_grid.min = 1.0 is not below",
        ),
    ],
)
def test_cross_field_checks_name_the_theory_key(change, message):
    config = copy.deepcopy(smoke())
    change(config["theory"])

    with pytest.raises(ValueError, match=message):
        check_config(config)


def test_shipped_theory_settings_pass():
    check_config(smoke())
