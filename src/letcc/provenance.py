"""Provenance manifests written beside gathered tables and figures.

A manifest answers "what produced this file?": the resolved config and its
hash, the seeds, the hash of every input file, the versions of the packages
that did the numerics, the git commit of the code, and when and where it ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from letcc.atomic import write_json

logger = logging.getLogger(__name__)

#: Ending of every manifest file name.
MANIFEST = ".manifest.json"

#: Packages whose versions go into every manifest.
PACKAGES = ("letcc", "torch", "numpy", "scipy", "pandas")

_CHUNK = 1 << 20  # bytes read at a time when hashing

#: Paths, from the repository root, whose changes make a commit ``-dirty``:
#: the code, the workflow, the configs and what installs them.
SOURCES = (
    "Snakefile",
    "workflow",
    "src",
    "config",
    "notebooks",
    "profiles",
    "pyproject.toml",
    "environment.yml",
)


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` with sorted keys and no whitespace (hash-stable)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    """Hex sha256 of a UTF-8 string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_seeds(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Collect every seed of a nested config, by dotted path.

    A seed is an entry of a mapping named ``seeds`` or a key named ``seed``
    or ending in ``_seed`` (``theory.validation_seed``).
    """
    seeds = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if key == "seeds" and isinstance(value, Mapping):
            seeds.update({f"{path}.{name}": seed for name, seed in value.items()})
        elif isinstance(value, Mapping):
            seeds.update(find_seeds(value, prefix=f"{path}."))
        elif key == "seed" or key.endswith("_seed"):
            seeds[path] = value
    return seeds


def git_commit(directory: str | os.PathLike | None = None) -> str:
    """Commit of the git checkout holding ``directory``.

    Parameters
    ----------
    directory : path-like, optional
        Defaults to the folder of this module, so the commit is that of the
        code that ran, whatever the working directory of the workflow.

    Returns
    -------
    str
        ``git rev-parse HEAD``, with ``-dirty`` appended when a tracked or
        untracked (not ignored) file of :data:`SOURCES` differs from it;
        ``"unknown"`` outside a repository, before the first commit, or
        without git.

    Notes
    -----
    Only the files that define the computation count: a run that rewrites
    the committed figures, or a README being edited meanwhile, leaves the
    commit clean.
    """
    cwd = Path(directory) if directory is not None else Path(__file__).parent
    sources = [f":(top){path}" for path in SOURCES]
    try:
        head = _git(cwd, "rev-parse", "HEAD")
        status = _git(cwd, "status", "--porcelain", "--", *sources)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if status else head


def _git(cwd: Path, *args: str) -> str:
    """Run a git command in ``cwd`` and return its stripped stdout."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout.strip()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` ("not installed" where missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_info(requested: str | None) -> dict[str, Any]:
    """The device asked for in the config and what torch could see."""
    info: dict[str, Any] = {
        "requested": requested,
        "cuda_available": torch.cuda.is_available(),
    }
    if info["cuda_available"]:
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def describe_machine() -> str:
    """One line on where code ran: CPU, cores, GPU, load and versions.

    The load average tells a reader of a benchmark whether other work shared
    the cores while it ran.
    """
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = ", ".join(f"{k} {v}" for k, v in package_versions().items())
    return (
        f"{cpu}, {os.cpu_count()} cores, {device}, {torch.get_num_threads()} "
        f"torch threads, load average {load}; Python "
        f"{platform.python_version()}, {versions}"
    )


def build_manifest(
    *,
    config: Mapping[str, Any],
    inputs: Iterable[str | os.PathLike] = (),
    outputs: Iterable[str | os.PathLike] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the manifest dictionary (see :func:`write_manifest`)."""
    config = json.loads(canonical_json(config))
    return {
        "config": config,
        "config_sha256": sha256_text(canonical_json(config)),
        "seeds": find_seeds(config),
        "inputs": {str(p): sha256_file(p) for p in inputs},
        "outputs": {str(p): sha256_file(p) for p in outputs},
        "packages": package_versions(),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device_info(config.get("device")),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "extra": dict(extra or {}),
    }


def write_manifest(
    path: str | os.PathLike,
    *,
    config: Mapping[str, Any],
    inputs: Iterable[str | os.PathLike] = (),
    outputs: Iterable[str | os.PathLike] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a provenance manifest as JSON, atomically.

    Parameters
    ----------
    path : path-like
        Destination JSON file; its folder is created if missing.
    config : mapping
        The resolved workflow config (defaults filled in). Must be JSON
        serialisable; other objects are written with ``str``.
    inputs : iterable of path-like
        Files the product was computed from; each is hashed with sha256.
    outputs : iterable of path-like
        The products the manifest vouches for (written before it); hashed
        too, so :func:`verify_manifest` can tell whether they still match.
    extra : mapping, optional
        Anything else worth recording (e.g. the fitted slopes).

    Returns
    -------
    dict
        The manifest written, with keys ``config``, ``config_sha256`` (sha256
        of the config's canonical JSON: sorted keys, no whitespace), ``seeds``,
        ``inputs``, ``outputs``, ``packages``, ``git_commit``, ``python``,
        ``platform``, ``device``, ``created_utc`` and ``extra``.
    """
    manifest = build_manifest(
        config=config, inputs=inputs, outputs=outputs, extra=extra
    )
    write_json(manifest, path)  # atomic: readers never see half a manifest
    logger.info("wrote manifest %s (git %s)", path, manifest["git_commit"])
    return manifest


def products(output: Iterable[str | os.PathLike]) -> list[str]:
    """The files of a rule's ``output`` that are not provenance manifests."""
    return [str(path) for path in output if not str(path).endswith(MANIFEST)]


def verify_manifest(path: str | os.PathLike, root: str | os.PathLike = ".") -> list:
    """Compare the files a manifest names with the hashes it recorded.

    Parameters
    ----------
    path : path-like
        A manifest written by :func:`write_manifest`.
    root : path-like, default "."
        Folder the manifest's relative paths start from (where the workflow
        ran).

    Returns
    -------
    list of str
        One line per input or output that is missing or whose sha256 differs;
        empty when everything matches.
    """
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for kind in ("inputs", "outputs"):
        for name, expected in manifest.get(kind, {}).items():
            file = Path(root) / name
            if not file.exists():
                problems.append(f"{kind[:-1]} {name}: missing")
            elif sha256_file(file) != expected:
                problems.append(f"{kind[:-1]} {name}: sha256 differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: verify manifests against the files they name."""
    parser = argparse.ArgumentParser(
        prog="python -m letcc.provenance",
        description="Check that the inputs and outputs named in provenance "
        "manifests still have the sha256 the manifests recorded.",
    )
    parser.add_argument("manifests", nargs="+", help="*.manifest.json files")
    parser.add_argument(
        "--root", default=".", help="folder the workflow ran in (default: .)"
    )
    args = parser.parse_args(argv)

    failed = 0
    for manifest in args.manifests:
        problems = verify_manifest(manifest, args.root)
        print(f"{manifest}: {'ok' if not problems else 'MISMATCH'}")
        for line in problems:
            print(f"  {line}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
