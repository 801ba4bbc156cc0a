# LeTCC reproduction workflow. Stages live in workflow/rules/<stage>.smk, the
# logic they call in src/letcc/. Run: snakemake --cores 2
# (smoke test: snakemake --configfile config/smoke.yaml --cores 2).


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/traces.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/inference.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/notebooks.smk"


rule all:
    input:
        synthetic_table(),
        rate_figure(),
        theory_products(),
        notebook_products(),
        inference_products(),
