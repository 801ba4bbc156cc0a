"""Rule traces_worstgap: widest-gap straggler blocks placed on the input points."""

from letcc._points import points
from letcc.logs import log_to_file
from letcc.traces import generate_trace_file


def main(smk) -> None:
    """Write ``smk.output.trace`` from the rule's wildcards."""
    log_to_file(smk.log[0])
    N = int(smk.wildcards.N)
    generate_trace_file(
        smk.output.trace,
        N=N,
        S=int(smk.wildcards.S),
        trials=int(smk.wildcards.trials),
        seed=int(smk.wildcards.seed),
        model="worstgap",
        beta=points(smk.wildcards.beta, N),
        alpha=points(smk.wildcards.alpha, int(smk.wildcards.K)),
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
