"""An interrupted or killed smoke run resumes with the same command.

Each case stops a smoke run part-way, either as a user's Ctrl-C (SIGINT to the
whole process group, which Snakemake handles) or as a crash (SIGKILL to
Snakemake and every job at once, which nothing can handle), then reruns the
very same command. After a kill, Snakemake first has to be told with ``--unlock``
that no other instance still runs in the folder. The rerun must complete,
leave finished jobs alone, leave no temporary file behind, and give tables
byte for byte those of the session's uninterrupted smoke run.
"""

import os
import signal
import subprocess
import time

import pytest
import yaml
from conftest import SMOKE, TIMEOUT_S, smoke_command

pytestmark = pytest.mark.integration


def wait_for(pattern, folder, process, count=1, timeout_s=120):
    """Wait until ``count`` files match ``pattern`` in ``folder``; return them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if len(found) >= count:
            return found
        assert process.poll() is None, f"the run ended before {pattern} appeared"
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} in {folder} after {timeout_s} s")


def interrupt(workdir, results, sig):
    """Start a smoke run, stop it with ``sig`` mid-way; return finished files.

    The finished files are the first traces, left 3 s for Snakemake to close
    their jobs (it touches outputs last), with their modification times.
    """
    run = subprocess.Popen(
        smoke_command(workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        traces = wait_for("*.npz", results / "traces", run, count=2)
        time.sleep(3)
        finished = {path: path.stat().st_mtime_ns for path in traces}

        # Stop while the synthetic and theory jobs are writing their tables.
        wait_for("*.csv", results / "synthetic", run)
        os.killpg(run.pid, sig)
        run.wait(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode != 0, "the run finished before it was stopped"
    return finished


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_stopped_run_resumes_with_the_same_command(tmp_path, smoke_run, sig):
    results = tmp_path / yaml.safe_load(SMOKE.read_text())["results_dir"]
    finished = interrupt(tmp_path, results, sig)
    assert not (results / "synthetic" / "results.csv").exists()

    # A killed Snakemake cannot release its lock on the folder; it refuses to
    # run until told that no other instance is alive.
    if sig == signal.SIGKILL:
        locked = subprocess.run(smoke_command(tmp_path), capture_output=True, text=True)
        assert locked.returncode != 0 and "--unlock" in locked.stderr
        unlock = subprocess.run(
            smoke_command(tmp_path, "--unlock"), capture_output=True
        )
        assert unlock.returncode == 0, unlock.stderr[-3000:]

    # The same command again: profiles/default makes Snakemake rerun jobs
    # still marked incomplete; atomic writes mean no output of a cut-off job
    # exists to be mistaken for a finished one.
    rerun = subprocess.run(
        smoke_command(tmp_path), capture_output=True, text=True, timeout=TIMEOUT_S
    )

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (results / "synthetic" / "results.csv").exists()
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path.name} was redone"
    leftovers = [p for p in results.rglob(".*") if ".tmp" in p.name]
    assert not leftovers, f"temporary files left behind: {leftovers}"

    # Same config and seeds: the resumed run's tables are byte for byte those
    # of the uninterrupted session run (manifests hold times, so they differ).
    reference = smoke_run[0]
    tables = sorted(p.relative_to(tmp_path) for p in results.rglob("*.csv"))
    assert tables
    for name in tables:
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes(), name
