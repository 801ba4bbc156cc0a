"""Rule traces_latency: stragglers from simulated worker latencies."""

from letcc.logs import log_to_file
from letcc.traces import generate_trace_file


def main(smk) -> None:
    """Write ``smk.output.trace``; the latency settings are in the wildcards."""
    log_to_file(smk.log[0])
    generate_trace_file(
        smk.output.trace,
        N=int(smk.wildcards.N),
        S=int(smk.wildcards.S),
        trials=int(smk.wildcards.trials),
        seed=int(smk.wildcards.seed),
        model="latency",
        latency={
            "distribution": smk.wildcards.law,
            "pareto_shape": float(smk.wildcards.shape),
            "heterogeneity": float(smk.wildcards.spread),
            "keep": smk.wildcards.keep,
        },
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
