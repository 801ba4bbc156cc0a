"""Rule traces_generate: draw the straggler patterns of one (model, N, S, seed)."""

from letcc.logs import log_to_file
from letcc.traces import generate_trace_file


def main(smk) -> None:
    """Write ``smk.output.trace`` from the rule's wildcards."""
    log_to_file(smk.log[0])
    generate_trace_file(
        smk.output.trace,
        N=int(smk.wildcards.N),
        S=int(smk.wildcards.S),
        trials=int(smk.wildcards.trials),
        seed=int(smk.wildcards.seed),
        model=smk.wildcards.model,
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
