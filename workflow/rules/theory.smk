# Theory track: the loss decomposition and the rate claims, checked on three
# functions. Runs write per-trial tables; figures and claims.csv are drawn
# from them only.


wildcard_constraints:
    stragglers="uniform|worstgap",
    sigma=r"[0-9.e+-]+",
    vseed=r"\d+",


rule theory_rate_n:
    input:
        traces=rate_traces,
    output:
        table=theory_table("rate_N"),
    log:
        log_of("theory_rate_n", theory_table("rate_N")),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        experiment="rate_N",
        pairs=rate_pairs,
        setup=theory_setup(),
        lagrange_max_N=THEORY["lagrange_max_N"],
    script:
        "../scripts/theory_rate.py"


rule theory_rate_s:
    input:
        traces=rate_traces,
    output:
        table=theory_table("rate_S"),
    log:
        log_of("theory_rate_s", theory_table("rate_S")),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        experiment="rate_S",
        pairs=rate_pairs,
        setup=theory_setup(),
        lagrange_max_N=THEORY["lagrange_max_N"],
    script:
        "../scripts/theory_rate.py"


rule theory_gather:
    input:
        tables=rate_tables(),
    output:
        table=noiseless_table(),
        manifest=manifest_of(noiseless_table()),
    log:
        f"{LOGS}/theory_gather/noiseless.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/theory_gather.py"


rule theory_noisy:
    input:
        unpack(noisy_inputs),
    output:
        table=theory_table("noisy"),
        manifest=manifest_of(theory_table("noisy")),
    log:
        log_of("theory_noisy", theory_table("noisy")),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        N=THEORY["N"],
        setup=theory_setup(),
        lam_grid=THEORY["lam_grid"],
    script:
        "../scripts/theory_noisy.py"


rule theory_landscape:
    input:
        unpack(landscape_inputs),
    output:
        table=theory_table("landscape"),
        manifest=manifest_of(theory_table("landscape")),
    log:
        log_of("theory_landscape", theory_table("landscape")),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        setup=theory_setup(),
        lam_enc=THEORY["landscape"]["lam_enc"],
        lam_dec=THEORY["landscape"]["lam_dec"],
    script:
        "../scripts/theory_landscape.py"


rule theory_plot_rates:
    input:
        table=noiseless_table(),
    output:
        rate_N=report(
            theory_figure("rate_N"),
            caption="../report/theory_rate_N.rst",
            category="Theory",
        ),
        rate_N_csv=companion(theory_figure("rate_N"), ".csv"),
        rate_N_manifest=manifest_of(theory_figure("rate_N")),
        rate_S=report(
            theory_figure("rate_S"),
            caption="../report/theory_rate_S.rst",
            category="Theory",
        ),
        rate_S_csv=companion(theory_figure("rate_S"), ".csv"),
        rate_S_manifest=manifest_of(theory_figure("rate_S")),
    log:
        f"{LOGS}/theory_plot_rates/rate_N_rate_S.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figures=["rate_N", "rate_S"],
    script:
        "../scripts/theory_figure.py"


rule theory_plot_noisy:
    input:
        table=theory_file("noisy"),
    output:
        noisy_rate_N=report(
            theory_figure("noisy_rate_N"),
            caption="../report/theory_noisy_rate_N.rst",
            category="Theory",
        ),
        noisy_rate_N_csv=companion(theory_figure("noisy_rate_N"), ".csv"),
        noisy_rate_N_manifest=manifest_of(theory_figure("noisy_rate_N")),
    log:
        f"{LOGS}/theory_plot_noisy/noisy_rate_N.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figures=["noisy_rate_N"],
    script:
        "../scripts/theory_figure.py"


rule theory_plot_landscape:
    input:
        table=theory_file("landscape"),
    output:
        decomposition=report(
            theory_figure("decomposition"),
            caption="../report/theory_decomposition.rst",
            category="Theory",
        ),
        decomposition_csv=companion(theory_figure("decomposition"), ".csv"),
        decomposition_manifest=manifest_of(theory_figure("decomposition")),
        landscape=report(
            theory_figure("landscape"),
            caption="../report/theory_landscape.rst",
            category="Theory",
        ),
        landscape_csv=companion(theory_figure("landscape"), ".csv"),
        landscape_manifest=manifest_of(theory_figure("landscape")),
    log:
        f"{LOGS}/theory_plot_landscape/decomposition_landscape.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        figures=["decomposition", "landscape"],
    script:
        "../scripts/theory_figure.py"


rule theory_claims:
    input:
        noiseless=noiseless_table(),
        noisy=theory_file("noisy"),
        landscape=theory_file("landscape"),
    output:
        claims=claims_table(),
        manifest=manifest_of(claims_table()),
    log:
        f"{LOGS}/theory_claims/claims.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        tolerance=THEORY["tolerance"],
    script:
        "../scripts/theory_claims.py"
