"""Benchmark of the tutor tools (issue 6). Prints measured figures; asserts nothing.

1. On the 60-learner demo cohort of one assignment (default 02-systems-innovation; `syslead demo
   --learners 60` with its seed), serial `nbgrader autograde` against `syslead autograde --jobs N`, each
   run as the command a tutor types, on two copies of the same collected submissions, in the same run;
   then whether every grade, flag, comment, late penalty and timestamp in the two gradebooks is identical.
2. The per-notebook cost against the floor: starting a bare Python kernel, waiting until it is ready and
   shutting it down (jupyter_client), averaged over several starts.
3. `syslead reflections` and `syslead export` on 300 learners: the graded 60-learner cohort copied five
   times under new ids (notebooks copied, gradebook rows written through nbgrader's Gradebook API).

    python benchmarks/bench_tutor.py [--learners 60] [--assignment 02-systems-innovation] [--jobs 2]

Note: the course's nbgrader_config.py sets Execute.timeout = 120. Under load nbclient sometimes misses the
reply to a widget cell and waits that long before carrying on (jupyter/nbclient#312); reading 1's notebook
does so every time here, so it is not the default assignment. ``--timeout`` overrides the timeout in both
copies alike.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def bare_kernel_start(n: int = 5) -> float:
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(n):
        started = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def grow(course_root: Path, assignment: str, copies: int) -> int:
    """Copy every learner ``copies`` times under new ids (files and gradebook rows); return the cohort size."""
    from nbgrader.api import MissingEntry

    from syslead.tutor.autograde import merge_submission, read_submission
    from syslead.tutor.course import Course

    course = Course.find(course_root)
    with course.gradebook() as gb:
        students = list(gb.students)
        for k in range(1, copies):
            for st in students:
                new = f"{st.id}-{k}"
                gb.add_student(new, first_name=st.first_name, last_name=f"{st.last_name} {k}",
                               email=f"{new}@example.org")
                try:
                    record = read_submission(gb, assignment, st.id)
                except MissingEntry:
                    continue
                for kind in ("submitted", "autograded"):
                    src = course.folder(kind) / st.id / assignment
                    if src.is_dir():
                        shutil.copytree(src, course.folder(kind) / new / assignment)
                merge_submission(gb, assignment, new, record)
        return len(gb.students)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--assignment", default="02-systems-innovation")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--big", type=int, default=300, help="learners for the reflections/export timing")
    parser.add_argument("--timeout", type=int, default=None, help="override Execute.timeout in both copies")
    args = parser.parse_args()

    from syslead.tutor import demo, export, reflections
    from syslead.tutor.autograde import recorded
    from syslead.tutor.course import Course

    work = Path(tempfile.mkdtemp(prefix="bench-tutor-"))
    try:
        collected = work / "collected"
        started = time.perf_counter()
        demo.build(collected, learners=args.learners, assignments=[args.assignment], autograde=False,
                   source_root=ROOT, quiet=True)
        if args.timeout:
            with open(collected / "nbgrader_config.py", "a") as f:
                f.write(f"\nc.Execute.timeout = {args.timeout}\n")
        n = len(list((collected / "submitted").iterdir()))
        print(f"demo cohort: {args.learners} learners, {n} submissions of {args.assignment} "
              f"(built and collected in {time.perf_counter() - started:.1f} s)")

        serial, parallel = work / "serial", work / "parallel"
        shutil.copytree(collected, serial)
        shutil.copytree(collected, parallel)
        t_serial = timed([str(BIN / "nbgrader"), "autograde", args.assignment], serial)
        t_parallel = timed([str(BIN / "syslead"), "autograde", args.assignment, "--jobs", str(args.jobs),
                            "--no-progress"], parallel)
        same = recorded(Course.find(serial), args.assignment) == recorded(Course.find(parallel), args.assignment)
        print(f"serial nbgrader autograde:        {t_serial:7.1f} s  ({t_serial / n:.2f} s per notebook)")
        print(f"syslead autograde --jobs {args.jobs}:       {t_parallel:7.1f} s  ({t_parallel / n:.2f} s per notebook)")
        print(f"speed-up:                         {t_serial / t_parallel:7.2f} x  (target 1.7 x)")
        print(f"identical gradebooks:             {'yes' if same else 'NO'}")

        floor = bare_kernel_start()
        print(f"bare kernel start+ready+shutdown: {floor:7.2f} s  (median of 5); serial nbgrader spends "
              f"{t_serial / n - floor:.2f} s per notebook above it")

        copies = max(1, round(args.big / args.learners))
        big = grow(parallel, args.assignment, copies)
        course = Course.find(parallel)
        started = time.perf_counter()
        reflections.write(course, args.assignment, out=work / "out")
        t_refl = time.perf_counter() - started
        started = time.perf_counter()
        export.write(course, out=work / "out")
        t_export = time.perf_counter() - started
        c_refl = timed([str(BIN / "syslead"), "reflections", args.assignment], parallel)
        c_export = timed([str(BIN / "syslead"), "export"], parallel)
        print(f"syslead reflections, {big} learners: {c_refl:6.2f} s as a command ({t_refl:.2f} s in Python; "
              f"target under 5 s)")
        print(f"syslead export, {big} learners:      {c_export:6.2f} s as a command ({t_export:.2f} s in Python; "
              f"target under 5 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
