"""Rule notebooks_execute: run one audit notebook on the workflow's outputs."""

import os
import sys
from pathlib import Path

from letcc.logs import log_to_file
from letcc.notebooks import execute_notebook


def main(smk) -> None:
    """Write the executed notebook and its HTML; fail if a claim fails."""
    log_to_file(smk.log[0])
    # The kernel is a child process: point its stderr (fd 2) at the log too.
    os.dup2(sys.stderr.fileno(), 2)

    parameters = {name: str(path) for name, path in smk.input.items()}
    parameters.pop("notebook")
    parameters.update(smk.params.values)
    execute_notebook(
        smk.input.notebook,
        smk.output.ipynb,
        smk.output.html,
        parameters,
        failed_copy=Path(smk.log[0]).with_suffix(".failed.ipynb"),
    )


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
