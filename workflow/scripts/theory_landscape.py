"""Rule theory_landscape: loss and its bound's terms on a (lam_enc, lam_dec) grid."""

import torch

from letcc.atomic import write_csv
from letcc.logs import log_to_file
from letcc.noise import load_noise
from letcc.provenance import products, write_manifest
from letcc.theory import Setup, run_landscape
from letcc.traces import load_trace


def main(smk) -> None:
    """Write ``smk.output.table`` and its manifest."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    wildcards = smk.wildcards
    N, trials = int(wildcards.N), int(wildcards.trials)
    setup = Setup(**smk.params.setup, K=int(wildcards.K), seed=int(wildcards.seed))
    table = run_landscape(
        load_trace(smk.input.trace, N=N),
        load_noise(smk.input.noise, N=N, trials=trials),
        setup,
        N=N,
        S=int(wildcards.S),
        sigma=float(wildcards.sigma),
        validation_seed=int(wildcards.vseed),
        lam_enc_grid=smk.params.lam_enc,
        lam_dec_grid=smk.params.lam_dec,
    )
    write_csv(table, smk.output.table)

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[smk.input.trace, smk.input.noise],
        outputs=products(smk.output),
        extra={"rule": smk.rule, "rows": len(table)},
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
