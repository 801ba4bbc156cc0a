"""Benchmark of coded inference: encode and decode time against the network's.

For each network of the default config (LeNet5 at N=100, K=20; RepVGG at
N=60, K=20; ViT at N=20, K=8, all on 28 x 28 grayscale images) it times, per
scheme, the three stages of one round of coded inference over G groups:

- encode: form all ``G * N`` coded images in one batched product (building
  the encoder matrix, done once per (N, K, lam_enc), is timed apart as
  ``build_ms``);
- forward: the network (inference form, no grad) on the ``G * N`` coded
  images, in batches of ``--batch-size``;
- decode: one straggler pattern per group (S = N / 10 uniform stragglers),
  all decoded at once (LeTCC matrix-free, BACC and Lagrange through their
  maps).

Weights are untrained (timings do not depend on them). Prints a Markdown table
with the coding share ``(encode + decode) / forward`` and writes it to
``benchmarks/results/inference.md`` (and a CSV). Timings are the best of a few
repeats; on a shared machine compare ratios within one run.

    python benchmarks/bench_inference.py            # 100 groups per network
    python benchmarks/bench_inference.py --quick    # 20 groups, for a check
"""

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import torch

from letcc.coding import get_scheme, points
from letcc.engine import decode_chunked
from letcc.inference import encode, forward
from letcc.models import build_model, inference_form
from letcc.provenance import describe_machine
from letcc.traces import uniform_masks

HERE = Path(__file__).resolve().parent

#: (name, architecture, N, K) of the default config's networks.
NETWORKS = (
    ("lenet5", "lenet5", 100, 20),
    ("repvgg", "repvgg", 60, 20),
    ("vit", "vit", 20, 8),
)

SCHEMES = {
    "letcc": {"lam_enc": 1e-5, "lam_dec": 1e-6},
    "bacc": {},
    "lagrange": {},
}


def best_time(func, repeats):
    """Smallest wall time of ``repeats`` calls of ``func()``, and its result.

    One untimed call first, so that one-off costs (allocator growth, lazy
    initialisation) do not count.
    """
    result, times = func(), []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_network(arch, N, K, groups, batch_size, repeats):
    """Rows of encode, forward and decode time for one network and each scheme."""
    model = inference_form(build_model(arch, (1, 28, 28), 10, seed=0))
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(groups, K, 1, 28, 28, generator=generator)
    alpha, beta = points("chebyshev1", K), points("chebyshev2", N)
    masks = torch.from_numpy(uniform_masks(N=N, S=N // 10, trials=groups, seed=0))

    rows = []
    for name, params in SCHEMES.items():
        scheme = get_scheme(name, **params)

        build_s, E = best_time(lambda s=scheme: s.encoder_matrix(alpha, beta), repeats)
        encode_s, coded = best_time(lambda E=E: encode(E, images), repeats)

        def forward_all(coded=coded):
            with torch.no_grad():
                return forward(model, coded.flatten(0, 1), batch_size=batch_size)

        forward_s, logits = best_time(forward_all, repeats)
        values = logits.reshape(groups, N, -1).double()

        def decode_all(scheme=scheme, values=values):
            return decode_chunked(scheme, alpha, beta, masks, values)

        decode_s, _ = best_time(decode_all, repeats)
        rows.append(
            {
                "network": arch,
                "N": N,
                "K": K,
                "groups": groups,
                "coded_images": groups * N,
                "scheme": name,
                "build_ms": 1e3 * build_s,
                "encode_ms": 1e3 * encode_s,
                "decode_ms": 1e3 * decode_s,
                "forward_ms": 1e3 * forward_s,
                "coding_share_pct": 100 * (encode_s + decode_s) / forward_s,
            }
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 groups, 2 repeats")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--out", type=Path, default=HERE / "results", help="folder for the tables"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    groups, repeats = (20, 2) if args.quick else (100, 5)

    rows = []
    for _, arch, N, K in NETWORKS:
        print(f"{arch}: N={N}, K={K}, {groups} groups", flush=True)
        rows += bench_network(arch, N, K, groups, args.batch_size, repeats)
    table = pd.DataFrame(rows)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"Inference benchmark ({'quick' if args.quick else 'full'}), {stamp}",
            "",
            f"Machine: {describe_machine()}",
            "",
            "One round of coded inference over all groups: encode (one batched",
            "product), the network's forward pass on the coded images, and the",
            "decoding of one pattern per group (S = N/10). build_ms: the encoder",
            "matrix, built once per (N, K, lam_enc). Best of",
            f"{repeats} repeats. coding_share_pct = (encode + decode) / forward.",
            "",
            table.to_markdown(index=False, floatfmt=".4g"),
            "",
        ]
    )
    table.to_csv(args.out / "inference.csv", index=False)
    (args.out / "inference.md").write_text(text)
    (args.out / "inference.json").write_text(
        json.dumps({"machine": describe_machine(), "time": stamp})
    )
    print(text)


if __name__ == "__main__":
    main()
