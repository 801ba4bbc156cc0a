"""Rule traces_noise: standard normal worker noise shared by every scheme."""

from letcc.logs import log_to_file
from letcc.noise import generate_noise_file


def main(smk) -> None:
    """Write ``smk.output.noise`` from the rule's wildcards."""
    log_to_file(smk.log[0])
    generate_noise_file(
        smk.output.noise,
        trials=int(smk.wildcards.trials),
        N=int(smk.wildcards.N),
        width=int(smk.wildcards.width),
        seed=int(smk.wildcards.seed),
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
