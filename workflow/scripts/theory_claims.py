"""Rule theory_claims: claims.csv, one verdict per claim of the paper's theory."""

import pandas as pd

from letcc.atomic import write_csv
from letcc.claims import claims_from_tables
from letcc.logs import log_to_file
from letcc.provenance import products, write_manifest


def main(smk) -> None:
    """Write ``smk.output.claims`` and its manifest (never fails on a verdict)."""
    log_to_file(smk.log[0])

    def read(path):
        return pd.read_csv(path, keep_default_na=False, na_values=[""])

    claims = claims_from_tables(
        read(smk.input.noiseless),
        read(smk.input.noisy),
        read(smk.input.landscape),
        slope_tolerance=smk.params.tolerance["slope"],
        bound_rtol=smk.params.tolerance["bound_rtol"],
    )
    write_csv(claims, smk.output.claims)

    write_manifest(
        smk.output.manifest,
        config=smk.config,
        inputs=[smk.input.noiseless, smk.input.noisy, smk.input.landscape],
        outputs=products(smk.output),
        extra={
            "rule": smk.rule,
            "status": dict(zip(claims["claim"], claims["status"], strict=True)),
        },
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
