"""Rule inference_tune: LeTCC's validation MSE on the (lam_enc, lam_dec) grid."""

import torch

from letcc.atomic import write_csv
from letcc.experiment import resolve_device
from letcc.inference import load_draws, open_split, tune_letcc
from letcc.logs import log_to_file


def main(smk) -> None:
    """Write the grid with the chosen point of each setting marked."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    entry, params = smk.params.entry, smk.params
    device = resolve_device(params.device)
    _, _, groups, store = open_split(
        entry,
        checkpoint=smk.input.checkpoint,
        split="val",
        data_dir=params.data_dir,
        val_fraction=params.val_fraction,
        split_seed=params.split_seed,
        groups_seed=int(smk.wildcards.vseed),
        groups=params.groups,
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

    grid = tune_letcc(
        store, traces, noise, params.sigma, params.lam_enc, params.lam_dec
    )
    grid.insert(0, "model", entry["name"])
    grid.insert(2, "N", entry["N"])
    grid.insert(3, "K", entry["K"])
    write_csv(grid, smk.output.grid)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
