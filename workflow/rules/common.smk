# Config validation and output paths shared by every stage.

from snakemake.utils import validate

from letcc.config import check_config

# Types, bounds and defaults first (the schema), then relations between keys.
validate(config, schema="../schemas/config.schema.yaml")
check_config(config)

RESULTS = config["results_dir"]
FIGURES = config["figures_dir"]
LOGS = f"{RESULTS}/logs"
SYNTHETIC = config["synthetic"]


wildcard_constraints:
    model="uniform",
    N=r"\d+",
    K=r"\d+",
    S=r"\d+",
    trials=r"\d+",
    seed=r"\d+",


def trace_pattern(model="{model}", trials="{trials}"):
    """Trace file of one straggler model, N, S, trial count and seed.

    Wildcards stay in the pattern unless ``model`` or ``trials`` is given.
    """
    return f"{RESULTS}/traces/{model}_N{{N}}_S{{S}}_T{trials}_seed{{seed}}.npz"


def synthetic_run_pattern():
    """Per-N table of the synthetic experiment (all schemes, all trials)."""
    return f"{RESULTS}/synthetic/N{{N}}_K{{K}}_S{{S}}_seed{{seed}}.csv"


def synthetic_runs():
    """Every per-N table the configured synthetic experiment needs."""
    return expand(
        synthetic_run_pattern(),
        N=SYNTHETIC["N"],
        K=SYNTHETIC["K"],
        S=SYNTHETIC["S"],
        seed=config["seed"],
    )


def synthetic_table():
    """The gathered synthetic results, one row per scheme, N, S, K and trial."""
    return f"{RESULTS}/synthetic/results.csv"


def rate_figure():
    """The MSE-vs-N figure of the synthetic experiment."""
    return f"{FIGURES}/synthetic_mse_vs_N.png"


def manifest_of(path):
    """The provenance manifest written beside ``path``."""
    stem, _ = os.path.splitext(path)
    return f"{stem}.manifest.json"
