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


rule traces_worstgap:
    output:
        trace=worstgap_pattern(),
    log:
        log_of("traces_worstgap", worstgap_pattern()),
    wildcard_constraints:
        alpha="chebyshev1|chebyshev2|equispaced",
        beta="chebyshev1|chebyshev2|equispaced",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/traces_worstgap.py"


rule traces_noise:
    output:
        noise=noise_pattern(),
    log:
        log_of("traces_noise", noise_pattern()),
    wildcard_constraints:
        width=r"\d+",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/traces_noise.py"


rule traces_latency:
    output:
        trace=latency_pattern(),
    log:
        latency_pattern(folder=f"{LOGS}/traces_latency", ext="log"),
    wildcard_constraints:
        law="exponential|pareto",
        keep="first|deadline",
        shape=r"[0-9.e+-]+",
        spread=r"[0-9.e+-]+",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/traces_latency.py"
