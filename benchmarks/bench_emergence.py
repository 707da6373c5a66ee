"""How long the threshold-cascade model and the cascade-window chart take (figures that tests used to assert).

    python benchmarks/bench_emergence.py [--repeats 10]

Prints the median and slowest time of one cascade on a 10,000-person random network (mean degree 4,
threshold 0.18, one seed; the old test wanted each under 0.25 s), and the time to draw reading 3's
cascade-window chart at a small size (2 networks, 5 starts, mean degrees 1, 3, 8; it wanted under 5 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syslead.models.emergence import threshold_cascade  # noqa: E402
from syslead.models.spread import random_network  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="cascades to time (default 10)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    net = random_network(10_000, 4, seed=1)
    built = time.perf_counter() - started
    times, shares = [], []
    for seed in range(args.repeats):
        started = time.perf_counter()
        shares.append(threshold_cascade(net, 0.18, seeds=1, seed=seed))
        times.append(time.perf_counter() - started)
    print(f"1. a 10,000-person random network (mean degree 4): built in {built:.3f} s")
    print(f"2. threshold cascade (phi 0.18, one seed), {args.repeats} runs: median {statistics.median(times):.4f} s, "
          f"slowest {max(times):.4f} s; largest share reached {max(shares):.2f}")

    import matplotlib

    matplotlib.use("Agg")
    from syslead.charts.emergence import cascade_window_chart

    started = time.perf_counter()
    cascade_window_chart(phi=0.2, mean_degrees=(1, 3, 8), networks=2, starts=5, display=False)
    print(f"3. cascade-window chart (2 networks, 5 starts, degrees 1, 3, 8): {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
