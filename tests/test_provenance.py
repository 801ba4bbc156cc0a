"""Provenance manifests: content, hashes, git state and atomic writing."""

import hashlib
import json
import subprocess

from letcc.provenance import (
    canonical_json,
    find_seeds,
    git_commit,
    main,
    sha256_file,
    verify_manifest,
    write_manifest,
)


def test_manifest_records_config_hash_seeds_inputs_and_versions(tmp_path):
    data = tmp_path / "in.csv"
    data.write_bytes(b"a,b\n1,2\n")
    config = {
        "seeds": {"inputs": 4, "traces": 5},
        "synthetic": {"N": [3, 5]},
        "inner": {"validation_seed": 9},
    }
    path = tmp_path / "out" / "x.manifest.json"

    manifest = write_manifest(path, config=config, inputs=[data], extra={"k": 1})

    assert json.loads(path.read_text()) == manifest
    expected = hashlib.sha256(canonical_json(config).encode()).hexdigest()
    assert manifest["config_sha256"] == expected
    assert manifest["seeds"] == {
        "seeds.inputs": 4,
        "seeds.traces": 5,
        "inner.validation_seed": 9,
    }
    assert manifest["inputs"] == {
        str(data): hashlib.sha256(data.read_bytes()).hexdigest()
    }
    assert set(manifest["packages"]) == {"letcc", "torch", "numpy", "scipy", "pandas"}
    assert manifest["extra"] == {"k": 1}
    assert manifest["created_utc"].endswith("+00:00")
    assert [p.name for p in path.parent.iterdir()] == [path.name], "temp file left"


def test_config_hash_ignores_key_order():
    assert canonical_json({"a": 1, "b": [1, 2]}) == canonical_json(
        {"b": [1, 2], "a": 1}
    )


def test_find_seeds_walks_nested_mappings():
    config = {"seeds": {"noise": 3}, "x": {"y": {"seed": 2, "val_seed": 7}}, "z": 3}
    assert find_seeds(config) == {"seeds.noise": 3, "x.y.seed": 2, "x.y.val_seed": 7}


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 5000)  # over one 1 MiB chunk

    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_git_commit_is_unknown_outside_a_repository(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_only_changed_sources_make_the_commit_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    for name in ("src/code.py", "figures/plot.csv", "README.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    head = git_commit(tmp_path)
    rev = ["git", "rev-parse", "HEAD"]
    assert (
        head
        == subprocess.run(
            rev, cwd=tmp_path, capture_output=True, text=True
        ).stdout.strip()
    )

    (tmp_path / "figures" / "plot.csv").write_text("2\n")
    (tmp_path / "README.md").write_text("2\n")
    (tmp_path / "figures" / "new.png").write_text("3\n")
    assert git_commit(tmp_path / "figures") == head
    assert not head.endswith("-dirty")

    (tmp_path / "src" / "code.py").write_text("2\n")
    assert git_commit(tmp_path) == f"{head}-dirty"


def test_verify_manifest_reports_changed_and_missing_files(tmp_path):
    table, figure = tmp_path / "table.csv", tmp_path / "figure.csv"
    table.write_text("a\n1\n")
    figure.write_text("b\n2\n")
    manifest = tmp_path / "figure.manifest.json"
    write_manifest(manifest, config={"seed": 0}, inputs=[table], outputs=[figure])

    assert verify_manifest(manifest) == []
    assert main([str(manifest)]) == 0

    table.write_text("a\n2\n")
    figure.unlink()

    problems = verify_manifest(manifest)
    assert problems == [
        f"input {table}: sha256 differs",
        f"output {figure}: missing",
    ]
    assert main([str(manifest)]) == 1
