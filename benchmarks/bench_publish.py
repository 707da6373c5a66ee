"""How long `syslead publish` takes: the learners' copy, then (with --web) the web book.

Prints each figure it measures; nothing is asserted. One run each, into a temporary folder.

    python benchmarks/bench_publish.py          # the learners' copy only (seconds)
    python benchmarks/bench_publish.py --web    # and the web book (runs every notebook: minutes)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syslead.course import load_course  # noqa: E402
from syslead.tutor.publish import build_web, publish  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web", action="store_true", help="also build the web book")
    args = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    course = load_course(ROOT / "course.yml")
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        out = Path(tmp) / "learners"
        start = time.perf_counter()
        report = publish(out, course, repository="https://github.com/example-course-team/learners")
        copy_s = time.perf_counter() - start
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"learners' copy: {len(report.files)} files, {size / 1e6:.1f} MB, in {copy_s:.1f} s")
        if args.web:
            start = time.perf_counter()
            html = build_web(out)
            web_s = time.perf_counter() - start
            pages = [p for p in html.rglob("*.html") if "_static" not in p.parts]
            web_size = sum(f.stat().st_size for f in html.rglob("*") if f.is_file())
            print(f"web book: {len(pages)} pages, {web_size / 1e6:.1f} MB, built (every notebook run) in {web_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
