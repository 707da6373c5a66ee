"""Benchmark for reading 1's spread model, the slider redraw and the notebooks.

Prints every figure it measures (and writes them to benchmarks/results/spread.json); asserts nothing.

    python benchmarks/bench_spread.py            # the full run behind the figures in docs/how-it-is-built.md
    python benchmarks/bench_spread.py --quick    # a small run that checks the script works

What it measures, all in one run on this machine:
1. syslead.models.spread.simulate_spread on a 1,000,000-person small world (k = 10): wall time for
   pass_on = 0.3 and 1.0 (best of 3), and peak memory, in a fresh process each.
2. At 100,000 people: the same model as a straightforward networkx loop, and NDlib's SI model
   (the peer library) on the same network: time and peak memory, each in a fresh process.
3. A slider update at 10,000 people: simulate both structures and redraw the chart.
4. Every course notebook: a fresh kernel runs all cells; wall time and the kernel's peak memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- each measurement in a fresh process, so that peak memory is its own ----------------------------


def _ours(n: int, k: int, pass_on: float, repeat: int, queue) -> None:
    import tracemalloc

    from syslead.models.spread import simulate_spread, small_world

    net = small_world(n, k, 0.1, seed=0)
    after_build = peak_mb()
    times = []
    for r in range(repeat):
        tracemalloc.start()
        t = time.perf_counter()
        result = simulate_spread(net, pass_on=pass_on, seed=r)
        times.append(time.perf_counter() - t)
        sim_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    queue.put({
        "seconds_best": min(times), "seconds_all": times, "steps": len(result) - 1,
        "final_share": float(result["fraction"].iloc[-1]), "network_mb_rss_after_build": after_build,
        "simulate_extra_mb": sim_peak, "process_peak_mb": peak_mb(),
    })


def _networkx_loop(n: int, k: int, pass_on: float, queue) -> None:
    import random

    import networkx as nx

    from syslead.models.spread import small_world

    g = small_world(n, k, 0.1, seed=0).to_networkx()
    reachable = len(nx.node_connected_component(g, 0))
    rng = random.Random(0)
    t = time.perf_counter()
    informed = {0}
    counts = [1]
    while len(informed) < reachable:
        new = set()
        for person in informed:
            for contact in g.neighbors(person):
                if contact not in informed and rng.random() < pass_on:
                    new.add(contact)
        informed |= new
        counts.append(len(informed))
    queue.put({"seconds": time.perf_counter() - t, "steps": len(counts) - 1, "process_peak_mb": peak_mb()})


def _ndlib(n: int, k: int, pass_on: float, queue) -> None:
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    from syslead.models.spread import small_world

    g = small_world(n, k, 0.1, seed=0).to_networkx()
    t = time.perf_counter()
    model = ep.SIModel(g, seed=0)
    config = mc.Configuration()
    config.add_model_parameter("beta", pass_on)
    config.add_model_initial_configuration("Infected", [0])
    model.set_initial_status(config)
    steps = 0
    while True:
        it = model.iteration(node_status=False)
        steps += 1
        if it["node_count"][1] == n or steps > 10_000:
            break
    queue.put({"seconds": time.perf_counter() - t, "steps": steps - 1, "process_peak_mb": peak_mb()})


def in_fresh_process(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    try:
        result = queue.get(timeout=1800)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the whole benchmark
        result = {"error": f"{type(exc).__name__}: {exc}"}
    proc.join()
    return result


# --- in this process ------------------------------------------------------------------------------


def slider_update(n: int, repeat: int) -> dict:
    from syslead.charts import spread as spread_charts

    t = time.perf_counter()
    spread_charts.reach_over_time(n=n, span=5, contacts=8, pass_on=0.5)
    cold = time.perf_counter() - t
    warm = []
    for i in range(repeat):
        t = time.perf_counter()
        spread_charts.reach_over_time(n=n, span=5, contacts=8, pass_on=0.4 + 0.05 * i)
        warm.append(time.perf_counter() - t)
    return {"first_seconds": cold, "median_seconds": statistics.median(warm), "runs": repeat}


def notebooks() -> list[dict]:
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "source").glob("*/*.ipynb"))
    rows = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        t = time.perf_counter()
        km = KernelManager(kernel_name="python3")
        # no widgets: nobody moves a slider here, and widget cells can hang nbclient (jupyter/nbclient#312)
        km.start_kernel(cwd=str(path.parent), env={**os.environ, "SYSLEAD_NO_WIDGETS": "1"})
        try:
            NotebookClient(nb, km=km, timeout=300, allow_errors=True).execute()
            seconds = time.perf_counter() - t
            status = Path(f"/proc/{km.provisioner.process.pid}/status").read_text()
            hwm = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        finally:
            km.shutdown_kernel(now=True)
        errors = sum(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
        rows.append({"notebook": str(path.relative_to(ROOT)), "seconds": seconds, "kernel_peak_mb": hwm / 1024,
                     "errors": errors})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check the script, not the machine")
    args = parser.parse_args(argv)
    big, mid, repeat = (20_000, 5_000, 1) if args.quick else (1_000_000, 100_000, 3)
    k = 10
    out: dict = {"python": sys.version.split()[0], "quick": args.quick}

    print(f"1. simulate_spread on a small world of {big:,} people, k = {k} (fresh process each)")
    for p in (0.3, 1.0):
        r = in_fresh_process(_ours, big, k, p, repeat)
        out[f"ours_{big}_pass_on_{p}"] = r
        print(f"   pass_on = {p}: best {r['seconds_best']:.3f} s of {repeat}; {r['steps']} steps; "
              f"simulate allocates {r['simulate_extra_mb']:.0f} MB at peak; process peak {r['process_peak_mb']:.0f} MB "
              f"(after building the network: {r['network_mb_rss_after_build']:.0f} MB)")

    print(f"2. the same model at {mid:,} people, pass_on = 0.3: ours, a networkx loop, NDlib's SI model")
    ours = in_fresh_process(_ours, mid, k, 0.3, max(repeat, 3))
    loop = in_fresh_process(_networkx_loop, mid, k, 0.3)
    try:
        import ndlib  # noqa: F401

        nd = in_fresh_process(_ndlib, mid, k, 0.3)
    except ImportError:
        nd = {"error": "NDlib is not installed: pip install '.[bench]'"}
    out[f"compare_{mid}"] = {"ours": ours, "networkx_loop": loop, "ndlib_si": nd}
    print(f"   ours: {ours['seconds_best']:.3f} s, process peak {ours['process_peak_mb']:.0f} MB")
    print(f"   networkx loop: {loop['seconds']:.2f} s ({loop['seconds'] / ours['seconds_best']:.0f} times slower), "
          f"process peak {loop['process_peak_mb']:.0f} MB")
    if "error" in nd:
        print(f"   NDlib SI: not measured ({nd['error']})")
    else:
        print(f"   NDlib SI: {nd['seconds']:.2f} s ({nd['seconds'] / ours['seconds_best']:.0f} times slower), "
              f"process peak {nd['process_peak_mb']:.0f} MB")

    n_slider = 2_000 if args.quick else 10_000
    s = slider_update(n_slider, 3 if args.quick else 9)
    out["slider"] = {"people": n_slider, **s}
    print(f"3. slider update at {n_slider:,} people (simulate both and redraw): median {1000 * s['median_seconds']:.0f} ms "
          f"(first move, building the networks: {1000 * s['first_seconds']:.0f} ms)")

    if args.quick:
        print("4. notebooks: skipped in --quick")
    else:
        rows = notebooks()
        out["notebooks"] = rows
        print("4. notebooks, fresh kernel, run all:")
        for row in rows:
            print(f"   {row['notebook']}: {row['seconds']:.1f} s, kernel peak {row['kernel_peak_mb']:.0f} MB")

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("spread-quick.json" if args.quick else "spread.json")).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
