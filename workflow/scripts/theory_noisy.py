"""Rule theory_noisy: noisy workers, lam_dec by schedule, validation and GCV."""

import torch

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.noise import load_noise
from letcc.provenance import products, write_manifest
from letcc.theory import Setup, lam_grid, run_noisy
from letcc.traces import load_trace


def main(smk) -> None:
    """Write ``smk.output.table`` and its manifest."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    wildcards = smk.wildcards
    trials, S = int(wildcards.trials), int(wildcards.S)
    setup = Setup(**smk.params.setup, K=int(wildcards.K), seed=int(wildcards.seed))
    traces = [
        (
            N,
            S,
            load_trace(trace, N=N),
            load_noise(noise, N=N, trials=trials),
        )
        for N, trace, noise in zip(
            smk.params.N, smk.input.traces, smk.input.noise, strict=True
        )
    ]
    grid = lam_grid(
        smk.params.lam_grid["min"],
        smk.params.lam_grid["max"],
        smk.params.lam_grid["per_decade"],
    )
    table = run_noisy(
        traces,
        setup,
        sigma=float(wildcards.sigma),
        validation_seed=int(wildcards.vseed),
        grid=grid,
    )
    write_csv(table, smk.output.table)

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[*smk.input.traces, *smk.input.noise],
        outputs=products(smk.output),
        extra={"rule": smk.rule, "rows": len(table), "lam_grid": grid.tolist()},
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
