"""Rule fetch_model: copy or download a checkpoint and verify its sha256."""

from letcc.atomic import write_json
from letcc.logs import log_to_file
from letcc.training import fetch_checkpoint, load_checkpoint


def main(smk) -> None:
    """Fetch, refuse a sha256 or architecture mismatch, record what was read."""
    log_to_file(smk.log[0])

    entry = smk.params.entry
    source, sha256 = entry["fetch"]["url"], entry["fetch"]["sha256"]
    fetch_checkpoint(source, sha256, smk.output.checkpoint)
    checkpoint = load_checkpoint(
        smk.output.checkpoint, expected_arch=entry["arch"], sha256=sha256
    )

    record = {
        "model": entry["name"],
        "arch": checkpoint.spec.arch,
        "in_shape": list(checkpoint.spec.in_shape),
        "num_classes": checkpoint.spec.num_classes,
        "source_url": source,
        "checkpoint_sha256": checkpoint.sha256,
        "metadata": checkpoint.metadata,
    }
    write_json(record, smk.output.record)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
