"""Config schema and cross-field checks, with the messages a user sees."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate
from snakemake_interface_common.exceptions import WorkflowError

from letcc.config import check_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIGS = ["config/config.yaml", "config/smoke.yaml"]


def load(name):
    return yaml.safe_load((ROOT / name).read_text())


def validated(config):
    """Validate a copy against the schema (filling defaults) and return it."""
    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return config


@pytest.mark.parametrize("name", CONFIGS)
def test_shipped_configs_pass_schema_and_cross_field_checks(name):
    check_config(validated(load(name)))


def test_default_config_equals_schema_defaults():
    # The schema is the one place for defaults; config.yaml spells them out
    # for a reader and must not drift from them.
    assert validated(load("config/config.yaml")) == validated({})


def test_schema_rejects_an_unknown_key_naming_it():
    config = load("config/smoke.yaml")
    config["synthetic"]["trails"] = 5

    with pytest.raises(WorkflowError, match="'trails' was unexpected"):
        validated(config)


def test_schema_rejects_a_wrong_type_naming_value_and_key():
    config = load("config/smoke.yaml")
    config["synthetic"]["K"] = "ten"

    with pytest.raises(WorkflowError) as error:
        validated(config)
    message = str(error.value)
    assert "'ten' is not of type 'integer'" in message
    assert "['synthetic']['K']" in message


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("device",), "gpu", "'gpu' is not one of"),
        (("points", "beta"), "random", "'random' is not one of"),
        (("schemes", "letcc", "lam_dec"), -1.0, "-1.0 is less than the minimum"),
        (("schemes", "bacc"), {"lam_dec": 1.0}, "'lam_dec' was unexpected"),
        (("synthetic", "N"), [20, 20], "has non-unique elements"),
    ],
)
def test_schema_rejects_bad_values(path, value, message):
    config = load("config/smoke.yaml")
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    with pytest.raises(WorkflowError, match=message):
        validated(config)


def test_schema_fills_nested_defaults():
    config = validated({"schemes": {"letcc": {}}})

    assert config["schemes"] == {"letcc": {"lam_enc": 0.0, "lam_dec": 0.0}}
    assert config["points"] == {"alpha": "chebyshev1", "beta": "chebyshev2"}


def test_cross_field_check_rejects_n_below_k():
    config = validated(load("config/smoke.yaml"))
    config["synthetic"]["K"] = 20

    with pytest.raises(ValueError) as error:
        check_config(config)
    message = str(error.value)
    assert "synthetic.K = 20" in message
    assert "[12]" in message
    assert "lower synthetic.K" in message


def test_cross_field_check_rejects_too_many_stragglers():
    config = validated(load("config/smoke.yaml"))
    config["synthetic"]["S"] = 11

    with pytest.raises(ValueError) as error:
        check_config(config)
    message = str(error.value)
    assert "synthetic.S = 11" in message
    assert "lower synthetic.S to at most 10" in message


def dry_run(tmp_path, config):
    """Run ``snakemake -n`` on the repository's Snakefile with ``config``."""
    configfile = tmp_path / "bad.yaml"
    configfile.write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-n",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(configfile),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_snakemake_reports_a_bad_config_key_before_running(tmp_path):
    config = load("config/smoke.yaml")
    config["sede"] = 1

    done = dry_run(tmp_path, config)

    assert done.returncode != 0
    assert "'sede' was unexpected" in done.stdout + done.stderr


def test_snakemake_reports_a_cross_field_error_before_running(tmp_path):
    config = load("config/smoke.yaml")
    config["synthetic"]["K"] = 100

    done = dry_run(tmp_path, config)

    assert done.returncode != 0
    assert "synthetic.K = 100" in done.stdout + done.stderr
