"""The grading sandbox's kernel name and its limits, with their defaults.

A module of its own so that the sandbox (:mod:`syslead.grading.sandbox`), its kernel
(:mod:`syslead.grading.execute`) and the pipeline (:mod:`syslead.grading.pipeline`) read one declaration without
importing each other. Importing it is cheap: no nbgrader, no Jupyter.
"""

from __future__ import annotations

KERNEL_NAME = "syslead-sandbox"

#: The sandbox's limits, with their defaults. Each can be set in the kernelspec's sandbox.json (``syslead
#: sandbox install --memory-mb ...``) or by SYSLEAD_SANDBOX_<NAME> in the grader's environment.
LIMITS: dict[str, int] = {
    "cpu_seconds": 300,  # CPU time of the kernel (all cells of one notebook)
    "memory_mb": 4096,  # memory of the whole sandbox (cgroup or the grader's watch), and of each process
    "processes": 128,  # processes and threads in the sandbox
    "file_size_mb": 100,  # largest file it may write; also the largest submitted file copied in
    "home_mb": 512,  # size of its home folder (the submission's copy), a tmpfs
    "tmp_mb": 512,  # size of its private /tmp
    "shm_mb": 16,  # size of its /dev/shm
    "output_mb": 8,  # printed and displayed output kept per cell (counted by the grader too)
    "notebook_output_mb": 32,  # output kept per notebook, counted by the grader
    "wall_seconds": 900,  # wall-clock time of the whole kernel; then it is stopped
}
