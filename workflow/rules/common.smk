# Config validation and output paths shared by every stage.

from letcc.config import check_config, check_renamed_keys, validate_config

# Types, bounds and defaults first (the schema), then relations between keys.
check_renamed_keys(config)
validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))
check_config(config)

RESULTS = config["results_dir"]
FIGURES = config["figures_dir"]
LOGS = f"{RESULTS}/logs"
SYNTHETIC = config["synthetic"]
SEEDS = config["seeds"]


wildcard_constraints:
    model="uniform|bernoulli",
    N=r"\d+",
    K=r"\d+",
    S=r"\d+",
    trials=r"\d+",
    seed=r"\d+",


def trace_pattern(model="{model}", trials="{trials}"):
    """Trace file of one straggler model, N, S, trial count and traces seed.

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
        seed=SEEDS["inputs"],
    )


def synthetic_trace(wildcards):
    """The uniform trace a per-N synthetic table reads."""
    pattern = trace_pattern(model="uniform", trials=SYNTHETIC["trials"])
    return pattern.format(N=wildcards.N, S=wildcards.S, seed=SEEDS["traces"])


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


# Theory track: the shared draws and tables behind the theory figures.

THEORY = config["theory"]
# Output width of the widest function: m for the network, d for the others.
NOISE_WIDTH = max(
    THEORY["m"] if name == "tanhnet" else THEORY["d"] for name in THEORY["functions"]
)


def worstgap_pattern():
    """Worst-case trace: widest-gap blocks, placed on the theory's points."""
    return (
        f"{RESULTS}/traces/worstgap_beta-{{beta}}_alpha-{{alpha}}-K{{K}}"
        "_N{N}_S{S}_T{trials}_seed{seed}.npz"
    )


def noise_pattern():
    """Standard normal worker noise of one N, output width, trial count, seed."""
    return f"{RESULTS}/traces/noise_N{{N}}_W{{width}}_T{{trials}}_seed{{seed}}.npz"


def theory_trace(stragglers, N, S, trials, seed):
    """The trace file a theory run reads for one straggler model, N and S."""
    if stragglers == "uniform":
        return trace_pattern(model="uniform", trials=trials).format(N=N, S=S, seed=seed)
    return worstgap_pattern().format(
        beta=THEORY["points"]["beta"],
        alpha=THEORY["points"]["alpha"],
        K=THEORY["K"],
        N=N,
        S=S,
        trials=trials,
        seed=seed,
    )


def theory_noise(N, trials, seed):
    """The noise file of the theory runs for N workers."""
    return noise_pattern().format(N=N, width=NOISE_WIDTH, trials=trials, seed=seed)


def theory_table(kind):
    """Output pattern of a theory run: rate_N, rate_S, noisy or landscape."""
    base = f"{RESULTS}/theory/{kind}"
    settings = {
        "rate_N": "{stragglers}_S{S}_K{K}_T{trials}_seed{seed}",
        "rate_S": "{stragglers}_N{N}_K{K}_T{trials}_seed{seed}",
        "noisy": "uniform_S{S}_K{K}_sigma{sigma}_T{trials}_seed{seed}_val{vseed}",
        "landscape": (
            "uniform_N{N}_S{S}_K{K}_sigma{sigma}_T{trials}_seed{seed}_val{vseed}"
        ),
    }[kind]
    return f"{base}/{settings}.csv"


def theory_file(kind):
    """The configured theory run of one kind (wildcards filled from the config)."""
    return theory_table(kind).format(
        stragglers="{stragglers}",
        S=THEORY["S"],
        N=THEORY["S_sweep"]["N"] if kind == "rate_S" else THEORY["landscape"]["N"],
        K=THEORY["K"],
        sigma=f"{THEORY['sigma']:g}",
        trials=THEORY["trials"],
        seed=SEEDS["inputs"],
        vseed=THEORY["validation_seed"],
    )


def noiseless_table():
    """Gathered noiseless theory runs: both sweeps, both straggler models."""
    return f"{RESULTS}/theory/noiseless.csv"


def theory_figure(name):
    """A theory figure (PNG) in the figures folder."""
    return f"{FIGURES}/theory_{name}.png"


def claims_table():
    """One verdict per claim of the paper's theory."""
    return f"{FIGURES}/claims.csv"


def log_of(rule, path):
    """The log of ``rule`` writing ``path``: the same name under its log folder."""
    stem, _ = os.path.splitext(os.path.basename(path))
    return f"{LOGS}/{rule}/{stem}.log"


def companion(path, ext):
    """The file beside ``path`` with extension ``ext`` (e.g. the figure's CSV)."""
    stem, _ = os.path.splitext(path)
    return f"{stem}{ext}"


# Inference track: trained networks coded by every scheme.

from letcc.config import DATASET_SHAPES

INFERENCE = config["inference"]
NETWORKS = {entry["name"]: entry for entry in INFERENCE["models"]}


def trained_checkpoint():
    """Checkpoint of a network trained here, for one name and training seed."""
    return f"{RESULTS}/models/trained/{{net}}_seed{{seed}}.pt"


def fetched_checkpoint():
    """Checkpoint of a fetched network; its sha256 is checked against the config."""
    return f"{RESULTS}/models/fetched/{{net}}.pt"


def checkpoint_of(net):
    """The checkpoint the inference rules read for network ``net``."""
    if NETWORKS[net]["source"] == "fetch":
        return fetched_checkpoint().format(net=net)
    return trained_checkpoint().format(net=net, seed=SEEDS["training"])


def latency_pattern(folder=f"{RESULTS}/traces", ext="npz"):
    """Trace of the latency straggler model; its settings are in the name."""
    return (
        f"{folder}/latency-{{law}}-a{{shape}}-h{{spread}}-{{keep}}"
        f"_N{{N}}_S{{S}}_T{{trials}}_seed{{seed}}.{ext}"
    )


def inference_trace(stragglers, N, K, S, trials, seed):
    """The trace file of one straggler model, (N, K, S), trial count and seed."""
    if stragglers in ("uniform", "bernoulli"):
        pattern = trace_pattern(model=stragglers, trials=trials)
        return pattern.format(N=N, S=S, seed=seed)
    if stragglers == "worstgap":
        return worstgap_pattern().format(
            beta=config["points"]["beta"],
            alpha=config["points"]["alpha"],
            K=K,
            N=N,
            S=S,
            trials=trials,
            seed=seed,
        )
    latency = INFERENCE["latency"]
    return latency_pattern().format(
        law=latency["distribution"],
        shape=f"{latency['pareto_shape']:g}",
        spread=f"{latency['heterogeneity']:g}",
        keep=latency["keep"],
        N=N,
        S=S,
        trials=trials,
        seed=seed,
    )


def inference_split(net, split, stream):
    """Rows of traces or noise, and their seed, of a network's split.

    ``split`` is ``"test"`` (``groups`` groups, the ``stream``'s seed of
    ``seeds``) or ``"val"`` (``val_groups`` groups, ``validation_seed``);
    every trial covers all groups, so a file holds ``trials * groups`` rows.
    """
    entry = NETWORKS[net]
    groups = entry["groups"] if split == "test" else INFERENCE["val_groups"]
    seed = SEEDS[stream] if split == "test" else INFERENCE["validation_seed"]
    return INFERENCE["trials"] * groups, seed


def inference_settings(net):
    """The (straggler model, S) pairs a network is evaluated on, in order."""
    entry = NETWORKS[net]
    return [[name, S] for name in INFERENCE["stragglers"] for S in entry["S"]]


def inference_traces(net, split):
    """The trace files of :func:`inference_settings`, in the same order."""
    entry = NETWORKS[net]
    rows, seed = inference_split(net, split, "traces")
    return [
        inference_trace(name, entry["N"], entry["K"], S, rows, seed)
        for name, S in inference_settings(net)
    ]


def inference_noise(net, split):
    """The noise file of a network's split, as a list; empty when every sigma is 0."""
    if not any(INFERENCE["sigma"]):
        return []
    entry = NETWORKS[net]
    rows, seed = inference_split(net, split, "noise")
    classes = DATASET_SHAPES[entry["dataset"]][1]
    return [noise_pattern().format(N=entry["N"], width=classes, trials=rows, seed=seed)]


def inference_run_folder(root):
    """Folder of one network's run under ``root``; every setting in its name."""
    return f"{root}/{{net}}/N{{N}}_K{{K}}_T{{trials}}_seed{{seed}}_val{{vseed}}"


def inference_run_pattern(name):
    """File ``name`` of one network's run."""
    return f"{inference_run_folder(f'{RESULTS}/inference')}/{name}"


def inference_log(rule):
    """Log of an inference rule, with the wildcards of its run folder."""
    return f"{inference_run_folder(f'{LOGS}/{rule}')}.log"


def inference_run_file(net, name):
    """File ``name`` of the configured run of network ``net``."""
    entry = NETWORKS[net]
    return inference_run_pattern(name).format(
        net=net,
        N=entry["N"],
        K=entry["K"],
        trials=INFERENCE["trials"],
        seed=SEEDS["inputs"],
        vseed=INFERENCE["validation_seed"],
    )


def inference_table():
    """Gathered per-trial results of every network."""
    return f"{RESULTS}/inference/results.csv"


def inference_figure(net, metric):
    """Figure of one network: ``metric`` is ``mse`` or ``relacc``, against S."""
    return f"{FIGURES}/inference_{net}_{metric}_vs_S.png"


def inference_summary_table(ext):
    """The results table at the configured S, as ``csv``, ``md`` or ``tex``."""
    return f"{FIGURES}/inference_table.{ext}"


def inference_products():
    """Everything the inference track delivers (nothing without models)."""
    if not NETWORKS:
        return []
    figures = [
        inference_figure(net, metric)
        for net in NETWORKS
        for metric in ("mse", "relacc")
    ]
    return [inference_table(), *figures, inference_summary_table("md")]


# Theory runs: inputs and products (workflow/rules/theory.smk).

STRAGGLER_MODELS = ["uniform", "worstgap"]


def theory_setup():
    """Settings of every theory run that are not in its output path."""
    return {
        "functions": list(THEORY["functions"]),
        "d": THEORY["d"],
        "m": THEORY["m"],
        "hidden": THEORY["hidden"],
        "alpha_points": THEORY["points"]["alpha"],
        "beta_points": THEORY["points"]["beta"],
    }


def rate_pairs(wildcards):
    """(N, S) of a noiseless sweep: N varies at fixed S, or S at fixed N."""
    if "S" in wildcards.keys():
        return [[N, int(wildcards.S)] for N in THEORY["N"]]
    return [[int(wildcards.N), S] for S in THEORY["S_sweep"]["S"]]


def rate_traces(wildcards):
    """Trace files of a noiseless sweep, in the order of ``rate_pairs``."""
    return [
        theory_trace(wildcards.stragglers, N, S, int(wildcards.trials), SEEDS["traces"])
        for N, S in rate_pairs(wildcards)
    ]


def noisy_inputs(wildcards):
    """Uniform traces and noise files of every N of the noisy sweep."""
    trials, S = int(wildcards.trials), int(wildcards.S)
    traces, noise = SEEDS["traces"], SEEDS["noise"]
    return {
        "traces": [theory_trace("uniform", N, S, trials, traces) for N in THEORY["N"]],
        "noise": [theory_noise(N, trials, noise) for N in THEORY["N"]],
    }


def landscape_inputs(wildcards):
    """Uniform trace and noise file of the landscape's N and S."""
    trials, N, S = int(wildcards.trials), int(wildcards.N), int(wildcards.S)
    return {
        "trace": theory_trace("uniform", N, S, trials, SEEDS["traces"]),
        "noise": theory_noise(N, trials, SEEDS["noise"]),
    }


def rate_tables():
    """Every noiseless sweep table: both sweeps, both straggler models."""
    return expand(theory_file("rate_N"), stragglers=STRAGGLER_MODELS) + expand(
        theory_file("rate_S"), stragglers=STRAGGLER_MODELS
    )


def theory_products():
    """The theory figures and claims.csv (their CSVs and manifests follow)."""
    names = ["decomposition", "rate_N", "rate_S", "noisy_rate_N", "landscape"]
    return [theory_figure(name) for name in names] + [claims_table()]


# Audit notebooks: inputs and products (workflow/rules/notebooks.smk).

NOTEBOOK_SOURCES = os.path.join(workflow.basedir, "notebooks")


def audit_inputs(wildcards):
    """The files one audit notebook reads, by parameter name."""
    figure_files = {
        name: {
            f"{key}_csv": companion(theory_figure(fig), ".csv")
            for key, fig in figs.items()
        }
        | {f"{key}_png": theory_figure(fig) for key, fig in figs.items()}
        for name, figs in {
            "theory_rates": {"rate_n": "rate_N", "rate_s": "rate_S"},
            "theory_noisy": {"noisy": "noisy_rate_N"},
            "theory_decomposition": {
                "decomposition": "decomposition",
                "landscape": "landscape",
            },
        }.items()
    }
    tables = {
        "theory_rates": {"noiseless": noiseless_table()},
        "theory_noisy": {"noisy_table": theory_file("noisy")},
        "theory_decomposition": {"landscape_table": theory_file("landscape")},
    }
    name = wildcards.notebook
    return {
        "notebook": os.path.join(NOTEBOOK_SOURCES, f"{name}.py"),
        **tables[name],
        **figure_files[name],
        "claims_csv": claims_table(),
    }


def audit_values(wildcards):
    """Tolerances passed to an audit notebook beside its paths."""
    tolerance = THEORY["tolerance"]
    if wildcards.notebook == "theory_decomposition":
        return {"bound_rtol": tolerance["bound_rtol"]}
    return {"slope_tolerance": tolerance["slope"]}


def notebook_products():
    """Every executed audit notebook and its HTML rendering."""
    return expand(
        f"{RESULTS}/notebooks/{{notebook}}.{{ext}}",
        notebook=["theory_decomposition", "theory_rates", "theory_noisy"],
        ext=["ipynb", "html"],
    )
