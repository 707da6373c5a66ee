"""How much the grading sandbox (syslead-sandbox, bubblewrap) costs per notebook: autograding the demo
cohort with nbgrader's default kernel and with the sandbox, in the same run, alternating, on the same
submissions.

    python benchmarks/bench_sandbox.py [--learners 6] [--rounds 2] [--assignment 01-systems-leadership]

Builds the demo cohort (`syslead demo`, collect only) in a temporary folder, then times
`nbgrader autograde ASSIGNMENT --force` serially, alternately without and with
`--Execute.kernel_name=syslead-sandbox`, and prints each time, the medians and the overhead (goal: under
20 %), per notebook and in all. Scores are checked to be identical. A few minutes with the defaults.
Writes benchmarks/results/sandbox.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def autograde(course: Path, assignment: str, env: dict, *extra: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "nbgrader"), "autograde", assignment, "--force", *extra], cwd=course, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"nbgrader autograde failed:\n{proc.stderr[-3000:]}")
    return elapsed


def scores(course: Path, env: dict, out: Path) -> dict[str, str]:
    subprocess.run([str(BIN / "nbgrader"), "export", "--to", str(out)], cwd=course, env=env, check=True,
                   capture_output=True)
    with open(out, newline="") as f:
        return {(r["assignment"], r["student_id"]): r["raw_score"] for r in csv.DictReader(f)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--assignment", default="01-systems-leadership")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from syslead.grading import sandbox
    from syslead.tutor import demo

    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    prefix = work / "kernels"
    sandbox.install_kernel(str(prefix))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_PATH=str(prefix / "share" / "jupyter"))
    env.pop("SYSLEAD_EXCHANGE", None)
    course = work / "course"
    print(f"building the demo cohort ({args.learners} learners) in {course} ...", flush=True)
    demo.build(course, learners=args.learners, assignments=[args.assignment], autograde=False, quiet=True,
               source_root=ROOT)
    learners = len([p for p in (course / "submitted").iterdir() if (p / args.assignment).is_dir()])
    times: dict[str, list[float]] = {"default": [], "sandbox": []}
    found: dict[str, dict] = {}
    for round_ in range(args.rounds):
        for kind, extra in (("default", ()), ("sandbox", (f"--Execute.kernel_name={sandbox.KERNEL_NAME}",))):
            elapsed = autograde(course, args.assignment, env, *extra)
            times[kind].append(elapsed)
            found[kind] = scores(course, env, work / f"{kind}.csv")
            print(f"round {round_ + 1}, {kind:<7}: {elapsed:6.1f} s for {learners} submissions "
                  f"({elapsed / learners:.2f} s each)", flush=True)
    default, boxed = statistics.median(times["default"]), statistics.median(times["sandbox"])
    overhead = boxed / default - 1
    same = found["default"] == found["sandbox"]
    print(f"median: default {default:.1f} s ({default / learners:.2f} s a notebook), sandbox {boxed:.1f} s "
          f"({boxed / learners:.2f} s a notebook): overhead {overhead * 100:+.1f} % per notebook "
          f"(goal: under +20 %); identical scores: {same}")
    result = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "cpus": os.cpu_count(),
              "root": os.geteuid() == 0, "learners": learners, "assignment": args.assignment,
              "seconds": times, "median_default": default, "median_sandbox": boxed, "overhead": overhead,
              "identical_scores": same}
    out = ROOT / "benchmarks" / "results" / "sandbox.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    if not same:
        sys.exit("the scores differ between the two kernels")


if __name__ == "__main__":
    main()
