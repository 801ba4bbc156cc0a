# Straggler traces: which workers answer in each trial, shared by all schemes.


rule traces_generate:
    output:
        trace=trace_pattern(),
    log:
        f"{LOGS}/traces_generate/{{model}}_N{{N}}_S{{S}}_T{{trials}}_seed{{seed}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/traces_generate.py"
