"""Rules theory_rate_n and theory_rate_s: a noiseless sweep in N or in S."""

import torch

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.theory import Setup, run_noiseless
from letcc.traces import load_trace


def main(smk) -> None:
    """Write ``smk.output.table``, one row per function, scheme, setting, trial."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    setup = Setup(
        **smk.params.setup, K=int(smk.wildcards.K), seed=int(smk.wildcards.seed)
    )
    traces = [
        (N, S, load_trace(path, N=N))
        for (N, S), path in zip(smk.params.pairs, smk.input.traces, strict=True)
    ]
    table = run_noiseless(
        traces,
        setup,
        experiment=smk.params.experiment,
        stragglers=smk.wildcards.stragglers,
        lagrange_max_N=smk.params.lagrange_max_N,
    )
    write_csv(table, smk.output.table)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
