"""Rules theory_plot_*: theory figures of one table, each with CSV and manifest."""

import pandas as pd

from letcc.logs import log_to_file
from letcc.provenance import write_manifest
from letcc.theory_figures import draw_theory_figure


def main(smk) -> None:
    """Draw every figure named in ``smk.params.figures`` from ``smk.input.table``.

    Each figure ``name`` has the outputs ``name`` (PNG), ``name_csv`` and
    ``name_manifest``.
    """
    log_to_file(smk.log[0])

    table = pd.read_csv(smk.input.table, keep_default_na=False, na_values=[""])
    for name in smk.params.figures:
        extra = draw_theory_figure(
            name, table, smk.output[name], smk.output[f"{name}_csv"]
        )
        write_manifest(
            smk.output[f"{name}_manifest"],
            config=smk.config,
            inputs=[smk.input.table],
            outputs=[smk.output[name], smk.output[f"{name}_csv"]],
            extra={"rule": smk.rule, "figure": name, **extra},
        )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
