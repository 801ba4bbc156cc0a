"""Rule theory_gather: the noiseless sweeps in one tidy table, with a manifest."""

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest
from letcc.theory import NOISELESS_COLUMNS, gather_tables

#: Columns that identify a row of the gathered table.
KEYS = ["experiment", "function", "stragglers", "scheme", "N", "S", "trial"]


def main(smk) -> None:
    """Write ``smk.output.table`` and its provenance manifest."""
    log_to_file(smk.log[0])

    table = gather_tables(list(smk.input.tables), NOISELESS_COLUMNS, KEYS)
    write_csv(table, smk.output.table)

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=smk.input.tables,
        outputs=products(smk.output),
        extra={"rule": smk.rule, "rows": len(table)},
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
