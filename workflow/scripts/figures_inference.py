"""Rule figures_inference: one metric against S for every scheme, one network."""

import json

import pandas as pd

from letcc.inference_report import (
    describe_network,
    network_provenance,
    plot_vs_s,
    summarise,
)
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest


def main(smk) -> None:
    """Write the figure, the CSV of its numbers and their manifest."""
    log_to_file(smk.log[0])

    net, metric = smk.wildcards.net, smk.wildcards.metric
    table = pd.read_csv(smk.input.table)
    with open(smk.input.record, encoding="utf-8") as handle:
        record = json.load(handle)
    summary = summarise(table[table["model"] == net])
    plot_vs_s(
        summary,
        metric,
        smk.output.figure,
        smk.output.csv,
        title=describe_network(record, trials=int(table["trial"].nunique())),
    )

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[smk.input.table, smk.input.record, smk.input.checkpoint],
        outputs=products(smk.output),
        extra={"rule": smk.rule, "network": network_provenance([record])[net]},
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
