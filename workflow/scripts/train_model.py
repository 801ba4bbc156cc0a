"""Rule train_model: train one network of the inference track, save it."""

import torch

from letcc.atomic import write_json
from letcc.experiment import resolve_device
from letcc.logs import log_to_file
from letcc.training import save_checkpoint
from letcc.zoo import load_entry_data, train_network, training_record


def main(smk) -> None:
    """Write the checkpoint and its metrics JSON (also stored inside it)."""
    log_to_file(smk.log[0])
    torch.set_num_threads(smk.threads)

    entry, seed = smk.params.entry, int(smk.wildcards.seed)  # seeds.training
    device = resolve_device(smk.params.device)
    data = load_entry_data(
        entry,
        data_dir=smk.params.data_dir,
        split_seed=smk.params.split_seed,
        val_fraction=smk.params.val_fraction,
    )
    model, metrics = train_network(entry, data, seed=seed, device=device)

    record = training_record(
        entry,
        data,
        metrics,
        split_seed=smk.params.split_seed,
        training_seed=seed,
        threads=torch.get_num_threads(),
        device=str(device),
    )
    record["checkpoint_sha256"] = save_checkpoint(smk.output.checkpoint, model, record)
    write_json(record, smk.output.metrics)


main(snakemake)  # noqa: F821 (the object Snakemake's script directive injects)
