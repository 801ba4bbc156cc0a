"""Rule synthetic_gather: one tidy table of the synthetic experiment + manifest."""

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest
from letcc.synthetic import gather_results


def main(smk) -> None:
    """Write ``smk.output.table`` and its provenance manifest."""
    log_to_file(smk.log[0])

    table = gather_results(list(smk.input.tables))
    write_csv(table, smk.output.table)

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=smk.input.tables,
        outputs=products(smk.output),
        extra={"rule": smk.rule, "rows": len(table)},
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
