"""An interrupted smoke run resumes, keeps finished work, and gives the same bytes."""

import os
import signal
import subprocess
import time

import pytest
import yaml
from conftest import SMOKE, smoke_command

pytestmark = pytest.mark.integration


def wait_for_traces(folder, process, timeout_s=120):
    """Wait until the first trace files exist; return their paths."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        traces = sorted(folder.glob("*.npz"))
        if len(traces) >= 2:
            return traces
        assert process.poll() is None, "the run ended before any trace appeared"
        time.sleep(0.2)
    raise AssertionError(f"no traces in {folder} after {timeout_s} s")


def test_interrupted_run_resumes_without_redoing_finished_jobs(tmp_path, smoke_run):
    results = tmp_path / yaml.safe_load(SMOKE.read_text())["results_dir"]
    first = subprocess.Popen(
        smoke_command(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        traces = wait_for_traces(results / "traces", first)
        # Let Snakemake finish those jobs (it touches their outputs last).
        time.sleep(3)
        finished = {path: path.stat().st_mtime_ns for path in traces}
        # What a user's Ctrl-C sends to the whole foreground process group.
        os.killpg(first.pid, signal.SIGINT)
        first.wait(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    assert first.returncode != 0, "the run finished before it was interrupted"
    assert not (results / "synthetic" / "results.csv").exists()

    # Jobs cut off mid-write are marked incomplete; Snakemake never takes
    # their files as done, and reruns them when asked to.
    plain = subprocess.run(
        smoke_command(tmp_path, "--dry-run"), capture_output=True, text=True
    )
    if plain.returncode != 0:
        assert "--rerun-incomplete" in plain.stderr + plain.stdout
    second = subprocess.run(
        smoke_command(tmp_path, "--rerun-incomplete"),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert second.returncode == 0, second.stderr[-3000:]
    assert (results / "synthetic" / "results.csv").exists()
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path.name} was redone"

    # Same config and seeds: the resumed run's tables are byte for byte those
    # of the uninterrupted session run (manifests hold times, so they differ).
    reference = smoke_run[0]
    tables = sorted(p.relative_to(tmp_path) for p in results.rglob("*.csv"))
    assert tables
    for name in tables:
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes(), name
