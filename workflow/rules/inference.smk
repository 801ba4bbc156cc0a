# Coded inference on trained networks: choose LeTCC's smoothing on the
# validation split, evaluate every scheme on the test split, gather.


rule inference_tune:
    input:
        checkpoint=lambda wildcards: checkpoint_of(wildcards.net),
        traces=lambda wildcards: inference_traces(wildcards.net, "val"),
        noise=lambda wildcards: inference_noise(wildcards.net, "val"),
    output:
        grid=inference_run_pattern("lam_grid.csv"),
    log:
        inference_log("inference_tune"),
    wildcard_constraints:
        net=r"[a-z0-9][a-z0-9-]*",
        vseed=r"\d+",
    conda:
        "../../environment.yml"
    threads: INFERENCE["threads"]
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        entry=lambda wildcards: NETWORKS[wildcards.net],
        settings=lambda wildcards: inference_settings(wildcards.net),
        data_dir=INFERENCE["data_dir"],
        val_fraction=INFERENCE["val_fraction"],
        split_seed=SEEDS["split"],
        groups=INFERENCE["val_groups"],
        batch_size=INFERENCE["batch_size"],
        sigma=INFERENCE["sigma"],
        lam_enc=INFERENCE["lam_enc"],
        lam_dec=INFERENCE["lam_dec"],
        points=config["points"],
        device=config["device"],
    script:
        "../scripts/inference_tune.py"


rule inference_run:
    input:
        checkpoint=lambda wildcards: checkpoint_of(wildcards.net),
        traces=lambda wildcards: inference_traces(wildcards.net, "test"),
        noise=lambda wildcards: inference_noise(wildcards.net, "test"),
        grid=inference_run_pattern("lam_grid.csv"),
    output:
        table=inference_run_pattern("trials.csv"),
        record=inference_run_pattern("run.json"),
    log:
        inference_log("inference_run"),
    wildcard_constraints:
        net=r"[a-z0-9][a-z0-9-]*",
        vseed=r"\d+",
    conda:
        "../../environment.yml"
    threads: INFERENCE["threads"]
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        entry=lambda wildcards: NETWORKS[wildcards.net],
        settings=lambda wildcards: inference_settings(wildcards.net),
        data_dir=INFERENCE["data_dir"],
        val_fraction=INFERENCE["val_fraction"],
        split_seed=SEEDS["split"],
        batch_size=INFERENCE["batch_size"],
        sigma=INFERENCE["sigma"],
        schemes=INFERENCE["schemes"],
        points=config["points"],
        device=config["device"],
    script:
        "../scripts/inference_run.py"


rule inference_gather:
    input:
        tables=[inference_run_file(net, "trials.csv") for net in NETWORKS],
        records=[inference_run_file(net, "run.json") for net in NETWORKS],
        checkpoints=[checkpoint_of(net) for net in NETWORKS],
    output:
        table=inference_table(),
        manifest=manifest_of(inference_table()),
    log:
        f"{LOGS}/inference_gather/results.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../scripts/inference_gather.py"
