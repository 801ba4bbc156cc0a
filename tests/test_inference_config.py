"""The inference section of the config: schema, cross-field checks, messages."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate
from snakemake_interface_common.exceptions import WorkflowError

from letcc._datasources import INFO
from letcc.config import DATASET_SHAPES, check_config, check_renamed_keys

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load(name):
    return yaml.safe_load((ROOT / name).read_text())


def layered(name):
    """``name`` over config.yaml, the way snakemake merges --configfile."""
    base, top = load("config/config.yaml"), load(name)

    def merge(into, over):
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value
        return into

    return merge(base, top)


def validated(config):
    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return config


def smoke_with(**changes):
    """The smoke config with its first network's keys changed."""
    config = load("config/smoke.yaml")
    config["inference"]["models"][0].update(changes)
    return config


def test_dataset_shapes_agree_with_the_data_loader():
    for name, (shape, classes) in DATASET_SHAPES.items():
        assert (INFO[name].input_shape, INFO[name].num_classes) == (shape, classes)
    assert set(DATASET_SHAPES) == set(INFO)


@pytest.mark.parametrize(
    "name", ["config/config.yaml", "config/smoke.yaml", "config/paper.yaml"]
)
def test_shipped_configs_pass_both_checks(name):
    check_config(validated(layered(name)))


def test_paper_config_names_the_papers_three_experiments():
    models = validated(layered("config/paper.yaml"))["inference"]["models"]

    got = {(m["arch"], m["dataset"], m["N"], m["K"]) for m in models}
    assert got == {
        ("lenet5", "mnist", 100, 20),
        ("repvgg", "cifar10", 60, 20),
        ("vit", "cifar100", 20, 8),
    }


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("schemes",), ["letcc", "uncoded"], "'uncoded' is not one of"),
        (("stragglers",), ["adversarial"], "'adversarial' is not one of"),
        (("latency", "keep"), "last", "'last' is not one of"),
        (("sigma",), [-1.0], "-1.0 is less than the minimum"),
    ],
)
def test_schema_rejects_unknown_schemes_and_straggler_models(path, value, message):
    config = load("config/smoke.yaml")
    node = config["inference"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    with pytest.raises(WorkflowError, match=message):
        validated(config)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arch": "resnet"}, "'resnet' is not one of"),
        ({"dataset": "imagenet"}, "'imagenet' is not one of"),
        ({"name": "LeNet_5"}, "does not match"),
        ({"source": "fetch"}, "'fetch' is a required property"),
        (
            {"source": "fetch", "fetch": {"url": "x.pt", "sha256": "abc"}},
            "'abc' does not match",
        ),
        ({"epochs": 3}, "'epochs' was unexpected"),
    ],
)
def test_schema_rejects_bad_network_entries(changes, message):
    with pytest.raises(WorkflowError, match=message):
        validated(smoke_with(**changes))


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        (
            {"K": 30},
            ["inference.models[lenet5-mnist].K = 30 exceeds N = 24", "raise N"],
        ),
        (
            {"S": [0, 23]},
            ["inference.models[lenet5-mnist].S contains [23]", "use S <= 22"],
        ),
        (
            {"S": [0, 22, 24]},
            ["S contains [24]", "fewer than 2 of N = 24"],
        ),
        (
            {"table_S": [5]},
            ["table_S contains [5], which are not in its S = [0, 4]"],
        ),
        (
            {"arch": "vit", "hyperparameters": {"patch_size": 5}},
            [
                "arch 'vit' does not fit dataset 'mnist'",
                "patch_size=5 does not divide the 28 x 28 images",
            ],
        ),
        (
            {
                "arch": "vit",
                "dataset": "cifar100",
                "hyperparameters": {"patch_size": 7},
            },
            ["arch 'vit' does not fit dataset 'cifar100'", "use one of [2, 4, 8, 16]"],
        ),
        (
            {"arch": "repvgg", "hyperparameters": {"width": 3}},
            ["arch 'repvgg' does not fit", "unknown hyper-parameters ['width']"],
        ),
    ],
)
def test_cross_field_checks_name_the_entry_the_value_and_the_fix(changes, fragments):
    config = validated(smoke_with(**changes))

    with pytest.raises(ValueError) as error:
        check_config(config)
    for fragment in fragments:
        assert fragment in str(error.value)


@pytest.mark.parametrize("stream", ["inputs", "traces", "noise"])
def test_validation_seed_must_differ_from_the_test_seeds(stream):
    config = validated(load("config/smoke.yaml"))
    config["seeds"][stream] = config["inference"]["validation_seed"]

    with pytest.raises(ValueError, match=f"validation_seed = 1 equals seeds.{stream}"):
        check_config(config)


def test_root_seed_key_points_to_seeds():
    config = load("config/smoke.yaml")
    del config["seeds"]
    config["seed"] = 3

    with pytest.raises(ValueError, match=r"seeds: \{inputs: 3, split: 3, training: 3"):
        check_renamed_keys(config)


def test_network_names_must_be_unique():
    config = load("config/smoke.yaml")
    config["inference"]["models"] *= 2

    # The schema's uniqueItems catches identical entries; the check catches
    # entries that differ only in settings.
    config["inference"]["models"][1] = {**config["inference"]["models"][1], "N": 30}
    with pytest.raises(ValueError, match=r"repeated names \['lenet5-mnist'\]"):
        check_config(validated(config))


def test_snakemake_stops_on_a_bad_inference_config_before_any_job(tmp_path):
    config = smoke_with(K=30)
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

    done = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert "K = 30 exceeds N = 24" in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()


def run_snakemake(workdir, config, *targets, dry=False):
    """Run the workflow on ``config`` in ``workdir``; return the finished process."""
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        *(["-n"] if dry else []),
        "--cores",
        "1",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.integration
def test_fetch_model_verifies_the_sha256_and_refuses_a_mismatch(tmp_path):
    from letcc.models import build_model
    from letcc.provenance import sha256_file
    from letcc.training import save_checkpoint

    source = tmp_path / "lenet5.pt"
    save_checkpoint(source, build_model("lenet5", (1, 28, 28), 10, seed=0), {})
    good = sha256_file(source)
    target = "results/smoke/models/fetched/lenet5-mnist.pt"

    bad = smoke_with(source="fetch", fetch={"url": str(source), "sha256": "0" * 64})
    del bad["inference"]["models"][0]["train"]
    done = run_snakemake(tmp_path, bad, target)
    assert done.returncode != 0
    assert (
        f"sha256 {good} does not match the expected"
        in (tmp_path / "results/smoke/logs/fetch_model/lenet5-mnist.log").read_text()
    )
    assert not (tmp_path / target).exists()

    ok = smoke_with(source="fetch", fetch={"url": source.as_uri(), "sha256": good})
    done = run_snakemake(tmp_path, ok, target)
    assert done.returncode == 0, done.stderr[-2000:]
    record = yaml.safe_load((tmp_path / target).with_suffix(".json").read_text())
    assert record["checkpoint_sha256"] == good == sha256_file(tmp_path / target)

    # Downstream rules read the fetched checkpoint, not a trained one.
    done = run_snakemake(tmp_path, ok, "results/smoke/inference/results.csv", dry=True)
    planned = done.stdout + done.stderr
    assert "rule fetch_model:" not in planned and "rule train_model:" not in planned
    assert "rule inference_run:" in planned
