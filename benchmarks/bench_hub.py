"""Load: a cohort of learners on the course hub fetching and submitting at the same moment.

Prints every figure it measures and writes them to benchmarks/results/hub.json; it checks that every
submission was collected whole and under the right name, and exits 1 if one was lost or mixed up.

    sudo python benchmarks/bench_hub.py                 # 20 learners (the figures in the deploy README)
    sudo python benchmarks/bench_hub.py --learners 3    # a small run that checks the script works

The hub is set up as deploy/jupyterhub/README.md says (tests/hubharness.py runs its scripts) on
localhost only, with real Unix accounts named ``slload-...`` that are removed at the end. Every
request goes to 127.0.0.1; each learner makes one request of each kind, so the run is bounded.

1. The tutor generates and releases 01-systems-leadership through the formgrader service.
2. All learners log in and start their servers at once (hub REST API).
3. All at once, each learner's own server fetches the assignment, the learner saves an answer that
   carries their name and a random mark (contents API), and their server submits it.
4. The tutor collects through the formgrader; we check that each learner's collected notebook is the
   one they saved (their mark, nobody else's). With --autograde, the tutor then autogrades them all.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hubharness import COURSE, CourseHub, json_of, missing_requirements, needs_root  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
NAME = "01-systems-leadership"
NOTEBOOK = f"{NAME}/{NAME}.ipynb"


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median": statistics.median(ordered), "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
            "max": ordered[-1]}


def ok(reply) -> dict:
    data = json_of(reply)
    if isinstance(data, dict) and data.get("success") is False:
        raise RuntimeError(f"{reply.url}: {json.dumps(data)[:1000]}")
    return data


def rss_mb_of_user(hub: CourseHub, name: str) -> float:
    import pwd

    total = 0.0
    for pid in hub.pids_of(pwd.getpwnam(name).pw_uid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20, help="how many learners (default 20)")
    parser.add_argument("--autograde", action="store_true", help="also autograde every submission")
    args = parser.parse_args(argv)
    if not 1 <= args.learners <= 40:
        print("Give between 1 and 40 learners: each one is a real account with its own server.", file=sys.stderr)
        return 2
    reason = needs_root() or missing_requirements()
    if reason:
        print(f"Cannot run: {reason}.", file=sys.stderr)
        return 2

    short = [f"l{i:02d}" for i in range(args.learners)]
    out: dict = {"learners": args.learners}
    t0 = time.perf_counter()
    with CourseHub(tag="slload", learners=tuple(short), tutors=("tutor",)) as hub:
        learners, tutor = hub.learners, hub.tutors[0]
        out["setup_seconds"] = time.perf_counter() - t0
        print(f"Hub with {len(learners)} learners and a tutor set up in {out['setup_seconds']:.1f} s "
              f"(configure.sh, accounts, hub start)")

        out["release_seconds"], _ = timed(lambda: [
            ok(hub.formgrader(tutor, "POST", f"api/assignment/{NAME}/assign")),
            ok(hub.formgrader(tutor, "POST", f"api/assignment/{NAME}/release"))])
        print(f"1. tutor generates and releases {NAME}: {out['release_seconds']:.1f} s")

        with ThreadPoolExecutor(max_workers=len(learners)) as pool:
            list(pool.map(hub.token, learners))  # log in (PAM) and get a token, all at once
            start = time.perf_counter()
            spawn = list(pool.map(lambda n: timed(hub.start_server, n, 300)[0], learners))
            out["all_servers_ready_seconds"] = time.perf_counter() - start
        out["server_start_seconds"] = summary(spawn)
        rss = [rss_mb_of_user(hub, n) for n in learners]
        out["server_rss_mb"] = summary(rss)
        print(f"2. {len(learners)} servers started at once: all ready after {out['all_servers_ready_seconds']:.1f} s "
              f"(each: median {statistics.median(spawn):.1f} s, max {max(spawn):.1f} s); "
              f"each server {statistics.median(rss):.0f} MB resident (median), {sum(rss):.0f} MB in all")

        marks = {n: f"load-mark {n} {secrets.token_hex(8)}" for n in learners}

        def work(name: str) -> dict:
            fetch, _ = timed(lambda: ok(hub.server(name, "POST", "assignments/fetch",
                                                   data={"course_id": COURSE, "assignment_id": NAME})))
            nb = json_of(hub.server(name, "GET", f"api/contents/{NOTEBOOK}"))["content"]
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    cell["source"] = marks[name]
            save, _ = timed(lambda: json_of(hub.server(name, "PUT", f"api/contents/{NOTEBOOK}",
                                                       json={"type": "notebook", "format": "json", "content": nb})))
            submit, _ = timed(lambda: ok(hub.server(name, "POST", "assignments/submit",
                                                    data={"course_id": COURSE, "assignment_id": NAME})))
            return {"fetch": fetch, "save": save, "submit": submit}

        with ThreadPoolExecutor(max_workers=len(learners)) as pool:
            start = time.perf_counter()
            rows = list(pool.map(work, learners))
            out["fetch_save_submit_all_seconds"] = time.perf_counter() - start
        for step in ("fetch", "save", "submit"):
            out[f"{step}_seconds"] = summary([r[step] for r in rows])
        print(f"3. all {len(learners)} fetch, save and submit at once: done after "
              f"{out['fetch_save_submit_all_seconds']:.1f} s; per request (median / p95 / max): " + "; ".join(
                  f"{s} {out[f'{s}_seconds']['median']:.2f} / {out[f'{s}_seconds']['p95']:.2f} / "
                  f"{out[f'{s}_seconds']['max']:.2f} s" for s in ("fetch", "save", "submit")))

        inbound = hub.exchange / COURSE / "inbound"
        out["inbound_submissions"] = len(list(inbound.iterdir()))
        out["collect_seconds"], collected = timed(lambda: ok(hub.formgrader(tutor, "POST", f"api/assignment/{NAME}/collect")))
        course_dir = hub.home(hub.grader) / COURSE
        problems = []
        for name in learners:
            path = course_dir / "submitted" / name / NAME / f"{NAME}.ipynb"
            if not path.exists():
                problems.append(f"{name}: not collected")
                continue
            text = path.read_text()
            others = [m for n, m in marks.items() if n != name and m in text]
            if marks[name] not in text or others:
                problems.append(f"{name}: collected notebook holds {'someone else' if others else 'not their'} work")
        out["collected"] = len(learners) - sum("not collected" in p for p in problems)
        out["problems"] = problems
        print(f"4. tutor collects: {out['collect_seconds']:.1f} s; {out['inbound_submissions']} submissions in the "
              f"exchange, {out['collected']} of {len(learners)} collected; lost or mixed up: {len(problems)}")
        for problem in problems:
            print(f"   {problem}")

        if args.autograde:
            out["autograde_seconds"], _ = timed(lambda: [
                ok(hub.formgrader(tutor, "POST", f"api/submission/{NAME}/{n}/autograde")) for n in learners])
            print(f"5. tutor autogrades all {len(learners)}: {out['autograde_seconds']:.1f} s "
                  f"({out['autograde_seconds'] / len(learners):.1f} s each)")
        _ = collected

    out["total_seconds"] = time.perf_counter() - t0
    print(f"Whole run, including removing the accounts: {out['total_seconds']:.1f} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"hub-{args.learners}.json").write_text(json.dumps(out, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
