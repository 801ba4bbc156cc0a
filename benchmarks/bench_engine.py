"""Benchmarks of the coding engine: growth in N, speed-ups, memory, float32.

Prints Markdown tables and writes them, with the machine they ran on, to
``benchmarks/results/engine.md`` (and one CSV per table). Timings are the
best of a few repeats; compare ratios within one run, since a shared machine
is noisy between runs.

    python benchmarks/bench_engine.py            # full run, a few minutes
    python benchmarks/bench_engine.py --quick    # smaller sizes, for a check
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.interpolate import make_smoothing_spline

from letcc.coding import get_scheme, points
from letcc.engine import DecoderCache, decode_chunked
from letcc.provenance import describe_machine

HERE = Path(__file__).resolve().parent
LAM_DEC = 1e-4


def best_time(func, *args, repeats=3, **kwargs):
    """Smallest wall time of ``repeats`` calls of ``func(*args, **kwargs)``, s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def uniform_masks(n, stragglers, count, seed):
    """``count`` masks of ``n`` workers with ``stragglers`` chosen uniformly."""
    rng = np.random.default_rng(seed)
    masks = np.ones((count, n), dtype=bool)
    for row in masks:
        row[rng.choice(n, stragglers, replace=False)] = False
    return masks


def setting(n, k, count, seed=0):
    """Points and masks for N workers, K inputs and N/10 stragglers."""
    alpha = points("chebyshev1", k)
    beta = points("chebyshev2", n)
    return alpha, beta, uniform_masks(n, max(1, n // 10), count, seed)


def growth_size(k_rule, n, budget):
    """K and the number of patterns T for one point of the growth sweep."""
    # K <= N - 2 keeps the smallest N meaningful under K = 20.
    k = min(20 if k_rule == "K=20" else max(2, n // 5), n - 2)
    # A fixed batch keeps the per-step cost of the banded loop comparable
    # across N; the memory bound caps it at K = N/5.
    count = int(max(1, min(50, budget // (k * n))))
    return k, count


def growth(sizes, budget):
    """Decoder build time per pattern against N, for each scheme and K rule."""
    rows = []
    for name in ("letcc", "bacc", "lagrange"):
        scheme = get_scheme(name, **({"lam_dec": LAM_DEC} if name == "letcc" else {}))
        for k_rule in ("K=20", "K=N/5"):
            for n in sizes:
                k, count = growth_size(k_rule, n, budget)
                alpha, beta, masks = setting(n, k, count)
                seconds = best_time(
                    scheme.decoder_matrices, alpha, beta, masks, repeats=2
                )
                rows.append(
                    dict(
                        scheme=name,
                        k_rule=k_rule,
                        N=n,
                        K=k,
                        T=count,
                        us_per_pattern=1e6 * seconds / count,
                    )
                )
                print(
                    f"  growth {name:8s} {k_rule:6s} N={n:6d}: "
                    f"{rows[-1]['us_per_pattern']:.1f} us/pattern",
                    flush=True,
                )
    rows += output_floor(sizes, budget)
    table = pd.DataFrame(rows)
    exponents = (
        table[table.N >= 100]
        .groupby(["scheme", "k_rule"])
        .apply(lambda g: np.polyfit(np.log(g.N), np.log(g.us_per_pattern), 1)[0])
        .rename("growth_exponent")
        .reset_index()
    )
    return table, exponents


def output_floor(sizes, budget):
    """Time to allocate and write a (T, K, N) output: what any build must pay.

    Its growth shows how much of a build's exponent comes from memory caches
    rather than arithmetic.
    """
    rows = []
    for k_rule in ("K=20", "K=N/5"):
        for n in sizes:
            k, count = growth_size(k_rule, n, budget)
            seconds = best_time(torch.ones, count, k, n, dtype=torch.float64)
            rows.append(
                dict(
                    scheme="output write (floor)",
                    k_rule=k_rule,
                    N=n,
                    K=k,
                    T=count,
                    us_per_pattern=1e6 * seconds / count,
                )
            )
    return rows


def scipy_loop(alpha, beta, masks, values):
    """What a user would write: one scipy smoothing spline per pattern."""
    out = np.empty((masks.shape[0], len(alpha), values.shape[2]))
    for t, mask in enumerate(masks):
        fit = make_smoothing_spline(
            beta[mask], values[t, mask], lam=LAM_DEC * mask.sum()
        )
        out[t] = fit(alpha)
    return out


def against_scipy(count):
    """Batched engine against looping scipy, T patterns, N=100, K=20, p=10."""
    alpha, beta, masks = setting(100, 20, count)
    values = np.random.default_rng(1).normal(size=(count, 100, 10))
    scheme = get_scheme("letcc", lam_dec=LAM_DEC)

    # Accuracy is checked only inside the survivors' range, where scipy's
    # spline is the natural one (it extrapolates with the end cubic).
    reference = scipy_loop(alpha, beta, masks, values)
    ours = scheme.decode(alpha, beta, masks, values).numpy()
    loop = best_time(scipy_loop, alpha, beta, masks, values, repeats=1)
    batched = best_time(scheme.decode, alpha, beta, masks, values)
    return pd.DataFrame(
        [
            dict(
                T=count,
                N=100,
                K=20,
                p=10,
                scipy_loop_s=loop,
                letcc_batched_s=batched,
                speedup=loop / batched,
                max_abs_diff=float(np.abs(ours - reference).max()),
            )
        ]
    )


def against_floor(count, sizes):
    """Decode time against a plain batched matrix product of the same shapes."""
    rows = []
    for n in sizes:
        alpha, beta, masks = setting(n, 20, count)
        values = torch.randn(count, n, 10, dtype=torch.float64)
        scheme = get_scheme("letcc", lam_dec=LAM_DEC)
        maps = scheme.decoder_matrices(alpha, beta, masks)
        cache = DecoderCache(max_bytes=2 * maps.nelement() * 8)
        decode_chunked(scheme, alpha, beta, masks, values, cache=cache)

        floor = best_time(torch.bmm, maps, values, repeats=5)
        cached = best_time(
            decode_chunked,
            scheme,
            alpha,
            beta,
            masks,
            values,
            cache=cache,
            repeats=5,
        )
        direct = best_time(scheme.decode, alpha, beta, masks, values)
        rows.append(
            dict(
                T=count,
                N=n,
                K=20,
                p=10,
                bmm_floor_ms=1e3 * floor,
                cached_ms=1e3 * cached,
                cached_over_floor=cached / floor,
                matrix_free_ms=1e3 * direct,
                matrix_free_over_floor=direct / floor,
            )
        )
    return pd.DataFrame(rows)


PEAK_MEMORY_SCRIPT = """
import sys
import numpy as np, torch
from letcc.coding import get_scheme, points
from letcc.engine import DecoderCache, decode_chunked

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

count, n, budget_mb, use_cache = map(int, sys.argv[1:])
rng = np.random.default_rng(0)
masks = np.ones((count, n), dtype=bool)
for row in masks:
    row[rng.choice(n, n // 10, replace=False)] = False
values = torch.randn(count, n, 1, dtype=torch.float64)
alpha, beta = points("chebyshev1", 20), points("chebyshev2", n)
scheme = get_scheme("letcc", lam_dec=1e-4)

# Reset the high-water mark so only the decoding counts.
open("/proc/self/clear_refs", "w").write("5")
before = peak_mb()
budget = budget_mb * 2**20
if use_cache:
    cache = DecoderCache(max_bytes=budget // 2)
    decode_chunked(scheme, alpha, beta, masks, values, budget_bytes=budget // 2,
                   cache=cache)
else:
    decode_chunked(scheme, alpha, beta, masks, values, budget_bytes=budget)
print(peak_mb() - before)
"""


def peak_memory(count, n, budget_mb):
    """Peak resident memory of chunked decoding, each path in a fresh process.

    With a cache, half the budget bounds the cache and half each chunk's
    working set; without one, the matrix-free decode gets the whole budget.
    Linux only (it reads the high-water mark from /proc).
    """
    rows = []
    for use_cache in (True, False):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                PEAK_MEMORY_SCRIPT,
                str(count),
                str(n),
                str(budget_mb),
                str(int(use_cache)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(
            dict(
                path="cached maps" if use_cache else "matrix-free",
                T=count,
                N=n,
                K=20,
                budget_mb=budget_mb,
                peak_increase_mb=float(result.stdout.strip()),
                all_maps_at_once_mb=count * 20 * n * 8 / 2**20,
            )
        )
    return pd.DataFrame(rows)


def single_precision(count, sizes):
    """float32 against float64 decoding with built maps: time and error.

    The maps are always solved for in float64; the dtype is that of the
    stored maps and of the products with the outputs.
    """
    rows = []
    for n in sizes:
        alpha, beta, masks = setting(n, 20, count)
        scheme = get_scheme("letcc", lam_dec=LAM_DEC)
        values = torch.randn(count, n, 10, dtype=torch.float64)
        timings, results = {}, {}
        for dtype in (torch.float64, torch.float32):
            maps = scheme.decoder_matrices(alpha, beta, masks, dtype=dtype)
            data = values.to(dtype)
            timings[dtype] = best_time(torch.bmm, maps, data, repeats=5)
            results[dtype] = torch.bmm(maps, data).double()
        exact = results[torch.float64]
        error = (results[torch.float32] - exact).norm() / exact.norm()
        rows.append(
            dict(
                N=n,
                T=count,
                float64_ms=1e3 * timings[torch.float64],
                float32_ms=1e3 * timings[torch.float32],
                relative_error=float(error),
            )
        )
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "results",
        help="folder for engine.md and the CSVs",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)

    if args.quick:
        sizes, budget, scipy_t, floor_t, mem = (
            [10, 100, 1000],
            2e6,
            100,
            100,
            (1000, 300),
        )
    else:
        sizes = [10, 30, 100, 300, 1000, 3000, 10000]
        budget, scipy_t, floor_t, mem = 4e7, 1000, 1000, (10000, 1000)

    tables = {}
    print("decoder build time against N", flush=True)
    tables["growth"], tables["growth_exponents"] = growth(sizes, budget)
    print("batched engine against a scipy loop", flush=True)
    tables["against_scipy"] = against_scipy(scipy_t)
    print("decode against the bmm floor", flush=True)
    tables["against_floor"] = against_floor(floor_t, [100, 1000])
    print("peak memory", flush=True)
    tables["peak_memory"] = peak_memory(*mem, budget_mb=256)
    print("float32 against float64", flush=True)
    tables["float32"] = single_precision(floor_t, [100, 1000])
    report(tables, args.out, quick=args.quick)


def report(tables, out, *, quick):
    """Print the tables and write them to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Engine benchmark ({'quick' if quick else 'full'}), {stamp}",
        "",
        f"Machine: {describe_machine()}",
        "",
    ]
    for name, table in tables.items():
        table.to_csv(out / f"engine_{name}.csv", index=False)
        lines += [f"### {name}", "", table.to_markdown(index=False, floatfmt=".4g"), ""]
    text = "\n".join(lines)
    (out / "engine.md").write_text(text)
    (out / "engine.json").write_text(
        json.dumps({"machine": describe_machine(), "time": stamp})
    )
    print(text)


if __name__ == "__main__":
    main()
