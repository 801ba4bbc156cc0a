# Figures, drawn only from gathered tables, each with its CSV and manifest.


rule figures_rate:
    input:
        table=synthetic_table(),
    output:
        figure=report(
            rate_figure(),
            caption="../report/synthetic_mse_vs_N.rst",
            category="Synthetic",
        ),
        csv=f"{FIGURES}/synthetic_mse_vs_N.csv",
        manifest=manifest_of(rate_figure()),
    log:
        f"{LOGS}/figures_rate/synthetic_mse_vs_N.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/figures_rate.py"


rule figures_inference:
    input:
        table=inference_table(),
        record=lambda wildcards: inference_run_file(wildcards.net, "run.json"),
        checkpoint=lambda wildcards: checkpoint_of(wildcards.net),
    output:
        figure=report(
            f"{FIGURES}/inference_{{net}}_{{metric}}_vs_S.png",
            caption="../report/inference_vs_S.rst",
            category="Inference",
        ),
        csv=f"{FIGURES}/inference_{{net}}_{{metric}}_vs_S.csv",
        manifest=f"{FIGURES}/inference_{{net}}_{{metric}}_vs_S.manifest.json",
    log:
        f"{LOGS}/figures_inference/{{net}}_{{metric}}.log",
    wildcard_constraints:
        net=r"[a-z0-9][a-z0-9-]*",
        metric="mse|relacc",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/figures_inference.py"


rule tables_inference:
    input:
        table=inference_table(),
        records=[inference_run_file(net, "run.json") for net in NETWORKS],
        checkpoints=[checkpoint_of(net) for net in NETWORKS],
    output:
        csv=inference_summary_table("csv"),
        markdown=report(
            inference_summary_table("md"),
            caption="../report/inference_table.rst",
            category="Inference",
        ),
        latex=inference_summary_table("tex"),
        manifest=manifest_of(inference_summary_table("csv")),
    log:
        f"{LOGS}/tables_inference/inference_table.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        table_s={entry["name"]: entry["table_S"] for entry in INFERENCE["models"]},
    script:
        "../scripts/tables_inference.py"
