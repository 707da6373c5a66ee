"""The two grading figures issue 23 sets goals for, in one command:

1. **the sandbox's overhead**: serial ``nbgrader autograde ASSIGNMENT --force`` on the same collected
   submissions, alternately with nbgrader's default kernel (``--Execute.kernel_name=python3``) and with the
   grading sandbox (``--Execute.kernel_name=syslead-sandbox``, bubblewrap), the order swapped each round;
   goal: under +20 %;
2. **the ``--jobs 2`` speed-up**: serial ``nbgrader autograde ASSIGNMENT`` (the course's pipeline, so in the
   sandbox) against ``syslead autograde ASSIGNMENT --jobs 2``, each on a fresh copy of the same collected
   submissions, each round; goal: at least 1.7x on a quiet 2-core machine.

Both are medians over the rounds, and both check that the scores are identical (between the two kernels;
between the two gradebooks, every grade, comment, penalty and timestamp). The load average is printed
before and after: the goals are for a quiet machine.

    python benchmarks/bench_grading.py                 # 20 learners, 3 rounds: about half an hour when quiet
    python benchmarks/bench_grading.py --quick         # 2 learners, 1 round: shows that it works (figures rough)
    python benchmarks/bench_grading.py --learners 20 --rounds 3 --assignment 02-systems-innovation --jobs 2

The demo cohort (``syslead demo``, collect only) is built in a temporary folder and removed at the end.
A full run writes benchmarks/results/grading.json; ``--quick`` writes nothing. Exits 1 if any scores differ.
Reading 1 (01-systems-leadership) is not the default: under load nbclient sometimes misses the reply to
one of its widget cells and waits for Execute.timeout (jupyter/nbclient#312), which swamps both figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def timed(args: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(args))} failed "
                 f"(exit {proc.returncode}):\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")
    return elapsed


def scores(course: Path, env: dict, out: Path) -> dict:
    subprocess.run([str(BIN / "nbgrader"), "export", "--to", str(out)], cwd=course, env=env, check=True,
                   capture_output=True)
    with open(out, newline="") as f:
        return {(r["assignment"], r["student_id"]): r["raw_score"] for r in csv.DictReader(f)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--assignment", default="02-systems-innovation")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 learners, 1 round, no results file: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.learners, args.rounds = 2, 1
    sys.path.insert(0, str(ROOT))
    from syslead.grading import sandbox
    from syslead.tutor import demo
    from syslead.tutor.autograde import recorded
    from syslead.tutor.course import Course

    why = sandbox.unavailable()
    if why:
        print(f"bench_grading: the grading sandbox cannot run here ({why}), so there is nothing to measure.",
              file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        prefix = work / "kernels"
        sandbox.install_kernel(str(prefix))
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   JUPYTER_PATH=str(prefix / "share" / "jupyter"))
        env.pop("SYSLEAD_EXCHANGE", None)
        collected = work / "collected"
        load_before = load()
        print(f"building the demo cohort ({args.learners} learners, {args.assignment}) ...", flush=True)
        demo.build(collected, learners=args.learners, assignments=[args.assignment], autograde=False, quiet=True,
                   source_root=ROOT)
        n = len([p for p in (collected / "submitted").iterdir() if (p / args.assignment).is_dir()])

        # 1. the sandbox's overhead: the same course folder, regraded with --force, kernels alternating
        kernels = {"without": "python3", "with": sandbox.KERNEL_NAME}
        overhead_times: dict[str, list[float]] = {"without": [], "with": []}
        found: dict[str, dict] = {}
        course = work / "overhead"
        shutil.copytree(collected, course)
        print("  a first run, not timed (Python's and Jupyter's caches warm up) ...", flush=True)
        timed([str(BIN / "nbgrader"), "autograde", args.assignment, "--force",
               f"--Execute.kernel_name={sandbox.KERNEL_NAME}"], course, env)
        for round_ in range(args.rounds):
            order = ("without", "with") if round_ % 2 == 0 else ("with", "without")
            for kind in order:
                elapsed = timed([str(BIN / "nbgrader"), "autograde", args.assignment, "--force",
                                 f"--Execute.kernel_name={kernels[kind]}"], course, env)
                overhead_times[kind].append(elapsed)
                found[kind] = scores(course, env, work / f"{kind}.csv")
                print(f"  round {round_ + 1}, {kind:<7} the sandbox: {elapsed:7.1f} s for {n} submissions", flush=True)
        without, with_ = statistics.median(overhead_times["without"]), statistics.median(overhead_times["with"])
        overhead = with_ / without - 1
        same_scores = found["without"] == found["with"]

        # 2. the --jobs speed-up: fresh copies of the same collected submissions each round
        speed_times: dict[str, list[float]] = {"serial": [], "jobs": []}
        same_gradebooks = True
        for round_ in range(args.rounds):
            serial, parallel = work / f"serial-{round_}", work / f"parallel-{round_}"
            shutil.copytree(collected, serial)
            shutil.copytree(collected, parallel)
            runs = {"serial": ([str(BIN / "nbgrader"), "autograde", args.assignment], serial),
                    "jobs": ([str(BIN / "syslead"), "autograde", args.assignment, "--jobs", str(args.jobs),
                              "--no-progress"], parallel)}
            order = ("serial", "jobs") if round_ % 2 == 0 else ("jobs", "serial")
            for kind in order:
                command, folder = runs[kind]
                elapsed = timed(command, folder, env)
                speed_times[kind].append(elapsed)
                label = "serial nbgrader autograde" if kind == "serial" else f"syslead autograde --jobs {args.jobs}"
                print(f"  round {round_ + 1}, {label}: {elapsed:7.1f} s for {n} submissions", flush=True)
            same_gradebooks &= (recorded(Course.find(serial), args.assignment)
                                == recorded(Course.find(parallel), args.assignment))
        t_serial, t_jobs = statistics.median(speed_times["serial"]), statistics.median(speed_times["jobs"])
        speedup = t_serial / t_jobs
        load_after = load()

        runs = f"median of {args.rounds} run{'s' if args.rounds != 1 else ''}"
        print()
        print(f"sandbox overhead: {overhead * 100:+.1f} % ({runs}: {without:.1f} s without, {with_:.1f} s with; "
              f"{n} submissions; goal: under +20 %); identical scores: {'yes' if same_scores else 'NO'}")
        print(f"--jobs {args.jobs} speed-up: {speedup:.2f}× ({runs}: {t_serial:.1f} s serial nbgrader autograde, "
              f"{t_jobs:.1f} s syslead autograde --jobs {args.jobs}; goal: at least 1.7× on a quiet 2-core machine); "
              f"identical gradebooks: {'yes' if same_gradebooks else 'NO'}")
        print(f"machine: {os.cpu_count()} CPUs, load average {load_before} before and {load_after} after"
              + (" (a smoke run: too few learners for the figures to mean much)" if args.quick else ""))
        if not args.quick:
            result = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "cpus": os.cpu_count(),
                      "root": os.geteuid() == 0, "load_before": load_before, "load_after": load_after,
                      "learners": n, "assignment": args.assignment, "rounds": args.rounds, "jobs": args.jobs,
                      "overhead_seconds": overhead_times, "overhead": overhead, "identical_scores": same_scores,
                      "speedup_seconds": speed_times, "speedup": speedup, "identical_gradebooks": same_gradebooks}
            out = ROOT / "benchmarks" / "results" / "grading.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1) + "\n")
            print(f"wrote {out.relative_to(ROOT)}")
        if not (same_scores and same_gradebooks):
            print("bench_grading: the scores differ between the runs (see above).", file=sys.stderr)
            return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
