"""Rule inference_run: every scheme on the test split, per trial."""

import pandas as pd
import torch

from letcc.atomic import write_csv, write_json
from letcc.experiment import resolve_device
from letcc.inference import (
    COLUMNS,
    chosen_lams,
    load_draws,
    open_split,
    run_schemes,
)
from letcc.logs import log_to_file


def main(smk) -> None:
    """Write the per-trial table and a JSON record of the run."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    entry, params = smk.params.entry, smk.params
    device = resolve_device(params.device)
    seed = int(smk.wildcards.seed)  # seeds.inputs: which images form each group
    data, network, groups, store = open_split(
        entry,
        checkpoint=smk.input.checkpoint,
        split="test",
        data_dir=params.data_dir,
        val_fraction=params.val_fraction,
        split_seed=params.split_seed,
        groups_seed=seed,
        groups=entry["groups"],
        point_kinds=params.points,
        batch_size=params.batch_size,
        device=device,
    )
    traces, noise = load_draws(
        list(smk.input.traces),
        list(smk.input.noise),
        params.settings,
        N=entry["N"],
        rows=int(smk.wildcards.trials) * groups.shape[0],
        width=store.truth.shape[-1],
        device=device,
    )
    lams = chosen_lams(pd.read_csv(smk.input.grid))

    table = run_schemes(
        store, groups.labels, traces, noise, params.sigma, params.schemes, lams
    )
    table["model"], table["seed"] = entry["name"], seed
    write_csv(table[list(COLUMNS)], smk.output.table)

    record = {
        "model": entry["name"],
        "arch": entry["arch"],
        "dataset": entry["dataset"],
        "data": data.summary(),
        "checkpoint": str(smk.input.checkpoint),
        "checkpoint_sha256": network.checkpoint.sha256,
        "training": network.checkpoint.metadata,
        "groups": groups.shape[0],
        "K": entry["K"],
        "N": entry["N"],
        "n_images": int(groups.labels.numel()),
        "base_accuracy": float(table["base_accuracy"].iloc[0]),
        "logit_std": float(store.truth.double().std()),
        "threads": torch.get_num_threads(),
        "device": str(device),
        "timings": store.timings.as_dict(),
    }
    write_json(record, smk.output.record)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
