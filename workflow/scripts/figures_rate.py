"""Rule figures_rate: MSE against N on log-log axes, with fitted slopes."""

import pandas as pd

from letcc.figures import describe_run, plot_mse_vs_n
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest


def main(smk) -> None:
    """Write the figure, the CSV of its numbers and their manifest."""
    log_to_file(smk.log[0])

    table = pd.read_csv(smk.input.table)
    summary = plot_mse_vs_n(
        table, smk.output.figure, smk.output.csv, title=describe_run(table)
    )

    slopes = summary.drop_duplicates("scheme").set_index("scheme")
    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[smk.input.table],
        outputs=products(smk.output),
        extra={
            "rule": smk.rule,
            "slopes": slopes[["slope", "slope_lo", "slope_hi"]].to_dict("index"),
            "theory_exponent": float(summary["theory_exponent"].iloc[0]),
        },
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
