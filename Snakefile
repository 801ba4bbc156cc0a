# LeTCC reproduction workflow. Stages live in workflow/rules/<stage>.smk, the
# logic they call in src/letcc/. Run: snakemake --cores 2
# (smoke test: snakemake --configfile config/smoke.yaml --cores 2).


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/traces.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/figures.smk"


rule all:
    input:
        synthetic_table(),
        rate_figure(),
