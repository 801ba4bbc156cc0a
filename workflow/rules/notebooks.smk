# Audit notebooks: each recomputes its figures' numbers from the tables the
# workflow wrote and asserts its claim; a claim that fails fails the rule.


rule notebooks_execute:
    input:
        unpack(audit_inputs),
    output:
        ipynb=f"{RESULTS}/notebooks/{{notebook}}.ipynb",
        html=f"{RESULTS}/notebooks/{{notebook}}.html",
    log:
        f"{LOGS}/notebooks_execute/{{notebook}}.log",
    wildcard_constraints:
        notebook="theory_decomposition|theory_rates|theory_noisy",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        values=audit_values,
    script:
        "../scripts/notebooks_execute.py"
