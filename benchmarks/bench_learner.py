"""Sizing: memory and CPU of one learner's server running each course notebook.

Prints every figure it measures and a table of learners per node, and writes them to
benchmarks/results/learner.json; asserts nothing.

    python benchmarks/bench_learner.py            # run every notebook, learner version (release/)
    python benchmarks/bench_learner.py --quick    # only the start page: check the script works

What it does: starts a Jupyter server from the hub's course environment (SYSLEAD_HUB_PREFIX, default
/opt/syslead-hub, made by deploy/jupyterhub/install.sh; or this Python with --here), with the server
extensions a learner gets; for each notebook it asks the server for a fresh kernel (POST /api/kernels,
as JupyterLab does), runs every code cell in it, and reads from /proc the kernel's peak memory (VmHWM)
and CPU seconds, and the server's resident memory and CPU seconds. One learner = the server plus the
kernel of the notebook they have open (plus the others if they keep them running).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")

# Nodes to size for: (cores, GiB); what a node keeps for itself (kubelet, system pods, the OS).
NODES = [(2, 8), (4, 16), (8, 32), (16, 64)]
SYSTEM_RESERVE_GIB = 1.0
# "Everyone presses Run All at once" should finish within this many seconds.
RUN_ALL_TARGET_SECONDS = 30
# Headroom on measured memory: the hub's single-user server carries its JupyterHub extension (about
# 20 MB more than the plain server measured here; see bench_hub.py) and peaks vary between runs.
HEADROOM = 1.15


def proc_status(pid: int, field: str) -> float:
    """A memory field of /proc/PID/status, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(x) for x in text]
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as reply:
        text = reply.read()
    return json.loads(text) if text else {}


def run_notebook(base: str, token: str, server_pid: int, runtime: Path, notebook: Path) -> dict:
    import nbformat
    from jupyter_client import BlockingKernelClient

    nb = nbformat.read(str(notebook), as_version=4)
    before = set(children(server_pid))
    server_cpu = cpu_seconds(server_pid)
    kernel = api(base, token, "POST", "/api/kernels", {"name": "python3", "path": str(notebook.parent.relative_to(ROOT))})
    (kernel_pid,) = set(children(server_pid)) - before
    kc = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel['id']}.json"))
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    start = time.perf_counter()
    errors = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        reply = kc.execute_interactive(cell.source, timeout=300, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok" and "raises-exception" not in cell.metadata.get("tags", []):
            errors += 1
    seconds = time.perf_counter() - start
    row = {
        "notebook": str(notebook.relative_to(ROOT)),
        "seconds": seconds,
        "kernel_peak_mb": proc_status(kernel_pid, "VmHWM"),
        "kernel_cpu_s": cpu_seconds(kernel_pid),
        "server_cpu_s": cpu_seconds(server_pid) - server_cpu,
        "server_rss_mb": proc_status(server_pid, "VmRSS"),
        "unexpected_errors": errors,
    }
    kc.stop_channels()
    api(base, token, "DELETE", f"/api/kernels/{kernel['id']}")
    return row


def sizing(per_learner_mb: float, run_all_cpu_s: float) -> list[dict]:
    rows = []
    for cores, gib in NODES:
        by_memory = math.floor((gib - SYSTEM_RESERVE_GIB) * 1024 / per_learner_mb)
        by_cpu = math.floor(RUN_ALL_TARGET_SECONDS * cores / run_all_cpu_s)
        rows.append({"cores": cores, "gib": gib, "by_memory": by_memory, "by_cpu": by_cpu,
                     "learners": min(by_memory, by_cpu)})
    return rows


def round_up(mb: float, step: int) -> int:
    return int(math.ceil(mb / step) * step)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the start page: check the script, not the machine")
    parser.add_argument("--here", action="store_true", help="use this Python's Jupyter, not the hub environment")
    args = parser.parse_args(argv)

    prefix = Path(sys.prefix) if args.here else Path(os.environ.get("SYSLEAD_HUB_PREFIX", "/opt/syslead-hub"))
    jupyter = prefix / "bin" / "jupyter"
    if not jupyter.exists():
        print(f"No Jupyter in {prefix}: run deploy/jupyterhub/install.sh, or pass --here.", file=sys.stderr)
        return 2
    notebooks = [ROOT / "notebooks" / "00-start-here.ipynb"]
    if not args.quick:
        notebooks += sorted((ROOT / "release").glob("*/*.ipynb"))

    token, port = secrets.token_hex(16), free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = Path(tempfile.mkdtemp(prefix="syslead-bench-runtime-"))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), PATH=f"{prefix / 'bin'}:{os.environ['PATH']}")
    # The learner extension set (configure.sh installs the same file into the hub environment).
    learner_config = ROOT / "deploy" / "jupyterhub" / "jupyter-config" / "learner"
    env["JUPYTER_CONFIG_PATH"] = str(learner_config)
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}", "--allow-root",
         "--LabApp.news_url=None"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                api(base, token, "GET", "/api/status")
                break
            except OSError:
                time.sleep(0.5)
        # What a learner's browser loads first: the JupyterLab page and its settings.
        for path in ("/lab", "/lab/api/settings", "/api/contents/notebooks"):
            urllib.request.urlopen(urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"}),
                                   timeout=60).read()
        idle_rss = proc_status(server.pid, "VmRSS")
        print(f"Jupyter server from {prefix}, idle after loading JupyterLab: {idle_rss:.0f} MB resident")
        rows = []
        for notebook in notebooks:
            row = run_notebook(base, token, server.pid, runtime, notebook)
            rows.append(row)
            print(f"  {row['notebook']}: run all {row['seconds']:.1f} s; kernel peak {row['kernel_peak_mb']:.0f} MB, "
                  f"kernel CPU {row['kernel_cpu_s']:.1f} s; server {row['server_rss_mb']:.0f} MB resident, "
                  f"CPU {row['server_cpu_s']:.2f} s; unexpected errors {row['unexpected_errors']}")
        server_peak = proc_status(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)

    heaviest = max(rows, key=lambda r: r["kernel_peak_mb"])
    one_open = server_peak + heaviest["kernel_peak_mb"]
    all_open = server_peak + sum(r["kernel_peak_mb"] for r in rows)
    run_all_cpu = max(r["kernel_cpu_s"] + r["server_cpu_s"] for r in rows)
    guarantee, limit = round_up(one_open * HEADROOM, 64), round_up(all_open * HEADROOM, 128)
    # A CPU request that packs learners as the Run All target allows; a limit of one core each.
    cpu_guarantee = math.ceil(100 * run_all_cpu / RUN_ALL_TARGET_SECONDS) / 100
    print(f"One learner: server peak {server_peak:.0f} MB + heaviest kernel {heaviest['kernel_peak_mb']:.0f} MB "
          f"({heaviest['notebook']}) = {one_open:.0f} MB; with every notebook's kernel kept running: {all_open:.0f} MB")
    print(f"Heaviest Run All: {run_all_cpu:.1f} CPU seconds")
    print(f"Suggested per learner ({HEADROOM:g} times the measured memory, rounded up): memory guarantee {guarantee} MiB, limit {limit} MiB; "
          f"CPU guarantee {cpu_guarantee:g} core, limit 1 core")
    table = sizing(guarantee, run_all_cpu)
    print(f"\n| node | by memory ({guarantee} MiB each, {SYSTEM_RESERVE_GIB:g} GiB kept for the node) | "
          f"by CPU (all press Run All, done in {RUN_ALL_TARGET_SECONDS} s) | learners per node |")
    print("|---|---|---|---|")
    for row in table:
        print(f"| {row['cores']} cores, {row['gib']} GiB | {row['by_memory']} | {row['by_cpu']} | {row['learners']} |")

    RESULTS.mkdir(exist_ok=True)
    out = {"python": sys.version.split()[0], "prefix": str(prefix), "quick": args.quick, "idle_server_mb": idle_rss,
           "server_peak_mb": server_peak, "notebooks": rows, "one_open_mb": one_open, "all_open_mb": all_open,
           "run_all_cpu_s": run_all_cpu, "guarantee_mib": guarantee, "limit_mib": limit,
           "cpu_guarantee": cpu_guarantee, "nodes": table}
    (RESULTS / ("learner-quick.json" if args.quick else "learner.json")).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
