"""Rule synthetic_run: evaluate every scheme on one N of the synthetic experiment."""

import torch

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.synthetic import run_synthetic
from letcc.traces import load_trace


def main(smk) -> None:
    """Write ``smk.output.table``, one row per scheme and trial."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    N = int(smk.wildcards.N)
    masks = load_trace(smk.input.trace, N=N)
    table = run_synthetic(
        masks,
        K=int(smk.wildcards.K),
        S=int(smk.wildcards.S),
        d=smk.params.d,
        m=smk.params.m,
        hidden=smk.params.hidden,
        seed=int(smk.wildcards.seed),
        alpha_points=smk.params.points["alpha"],
        beta_points=smk.params.points["beta"],
        schemes=smk.params.schemes,
        device=smk.params.device,
    )
    write_csv(table, smk.output.table)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
