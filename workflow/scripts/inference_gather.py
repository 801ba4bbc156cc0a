"""Rule inference_gather: one tidy table of the inference track + manifest."""

import json

from letcc.atomic import write_csv
from letcc.inference_report import gather_inference, network_provenance
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest


def main(smk) -> None:
    """Write ``smk.output.table`` and its manifest (data and checkpoint hashes)."""
    log_to_file(smk.log[0])

    table = gather_inference(list(smk.input.tables))
    write_csv(table, smk.output.table)

    records = []
    for path in smk.input.records:
        with open(path, encoding="utf-8") as handle:
            records.append(json.load(handle))
    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[*smk.input.tables, *smk.input.records, *smk.input.checkpoints],
        outputs=products(smk.output),
        extra={
            "rule": smk.rule,
            "rows": len(table),
            "networks": network_provenance(records),
        },
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
