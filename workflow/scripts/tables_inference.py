"""Rule tables_inference: RMSE and relative accuracy at the configured S."""

import json

import pandas as pd

from letcc.inference_report import (
    network_provenance,
    results_table,
    summarise,
    write_results_table,
)
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest


def main(smk) -> None:
    """Write the table as CSV, Markdown and LaTeX, with one manifest."""
    log_to_file(smk.log[0])

    table = pd.read_csv(smk.input.table)
    wide = results_table(summarise(table), smk.params.table_s)
    trials = int(table["trial"].nunique())
    write_results_table(
        wide,
        csv=smk.output.csv,
        markdown=smk.output.markdown,
        latex=smk.output.latex,
        caption=(
            f"RMSE of the logits and relative accuracy (accuracy over the base "
            f"model's on the same images), mean ± std over {trials} trials. "
            "LeTCC's lam_enc and lam_dec were chosen on the validation split "
            "(paper convention, 1/n data term)."
        ),
    )

    records = []
    for path in smk.input.records:
        with open(path, encoding="utf-8") as handle:
            records.append(json.load(handle))
    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[smk.input.table, *smk.input.records, *smk.input.checkpoints],
        outputs=products(smk.output),
        extra={
            "rule": smk.rule,
            "table_S": smk.params.table_s,
            "networks": network_provenance(records),
        },
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
