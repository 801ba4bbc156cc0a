# Networks of the inference track: trained here or fetched and verified. Both
# rules write a checkpoint and a JSON record beside it; checkpoint_of() picks
# the one an entry's `source` names, so the inference rules read either.


rule train_model:
    output:
        checkpoint=trained_checkpoint(),
        metrics=companion(trained_checkpoint(), ".json"),
    log:
        f"{LOGS}/train_model/{{net}}_seed{{seed}}.log",
    wildcard_constraints:
        net=r"[a-z0-9][a-z0-9-]*",
    conda:
        "../../environment.yml"
    threads: INFERENCE["threads"]
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        entry=lambda wildcards: NETWORKS[wildcards.net],
        data_dir=INFERENCE["data_dir"],
        val_fraction=INFERENCE["val_fraction"],
        split_seed=SEEDS["split"],
        device=config["device"],
    script:
        "../scripts/train_model.py"


rule fetch_model:
    output:
        checkpoint=fetched_checkpoint(),
        record=companion(fetched_checkpoint(), ".json"),
    log:
        f"{LOGS}/fetch_model/{{net}}.log",
    wildcard_constraints:
        net=r"[a-z0-9][a-z0-9-]*",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        entry=lambda wildcards: NETWORKS[wildcards.net],
    script:
        "../scripts/fetch_model.py"
