"""Fixtures shared by the end-to-end tests: one smoke run per test session."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "config" / "smoke.yaml"

#: Kills a hung run so it fails instead of stalling the suite; the smoke run
#: itself takes about a minute.
TIMEOUT_S = 300


def smoke_command(workdir, *extra):
    """The smoke workflow's command line, run in ``workdir``."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(SMOKE),
        "--cores",
        "2",
        *extra,
    ]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """Run the smoke workflow once; return (working dir, config)."""
    workdir = tmp_path_factory.mktemp("smoke")
    done = subprocess.run(
        smoke_command(workdir), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir, yaml.safe_load(SMOKE.read_text())
