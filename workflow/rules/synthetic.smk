# Synthetic experiment: a fixed random tanh network coded by every scheme.


rule synthetic_run:
    input:
        trace=synthetic_trace,
    output:
        table=synthetic_run_pattern(),
    log:
        f"{LOGS}/synthetic_run/N{{N}}_K{{K}}_S{{S}}_seed{{seed}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        d=SYNTHETIC["d"],
        m=SYNTHETIC["m"],
        hidden=SYNTHETIC["hidden"],
        points=config["points"],
        schemes=config["schemes"],
        device=config["device"],
    script:
        "../scripts/synthetic_run.py"


rule synthetic_gather:
    input:
        tables=synthetic_runs(),
    output:
        table=synthetic_table(),
        manifest=manifest_of(synthetic_table()),
    log:
        f"{LOGS}/synthetic_gather/results.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/synthetic_gather.py"
