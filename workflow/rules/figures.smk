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
