"""Write constraints.txt from environment.yml: the exact versions Binder builds, for pip.

    python scripts/pins.py          # rewrite constraints.txt
    python scripts/pins.py --check  # exit 1, with one sentence, if constraints.txt is out of date

The README's two commands install with `pip install -c constraints.txt`, so what the tests run on, and
what a learner gets from the first command, are the versions Binder builds from environment.yml. A new
release on PyPI then changes nothing until someone moves a pin here (and in environment.yml).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "# Made from environment.yml by scripts/pins.py: do not edit by hand; change environment.yml and run\n"
    "# `python scripts/pins.py`. The README's commands install with `pip install -c constraints.txt`.\n"
)


def pins(environment: str) -> list[str]:
    """`name==version` for each exactly pinned conda dependency, python and pip left out."""
    out = []
    for line in environment.splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.-]+)=([0-9][0-9A-Za-z.]*)\s*(#.*)?", line)
        if match and match.group(1).lower() not in ("python", "pip"):
            out.append(f"{match.group(1)}=={match.group(2)}")
    return out


def render() -> str:
    return HEADER + "\n".join(pins((ROOT / "environment.yml").read_text(encoding="utf-8"))) + "\n"


def main(argv: list[str]) -> int:
    target = ROOT / "constraints.txt"
    if "--check" in argv:
        if not target.exists() or target.read_text(encoding="utf-8") != render():
            print("constraints.txt does not match environment.yml: run `python scripts/pins.py`.")
            return 1
        return 0
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
