"""Write the corpus of bad and hostile submissions into a course folder (see tests/fixtures/hostile.py).

    python scripts/make_hostile_corpus.py COURSE_ROOT [--assignment 01-systems-leadership]
        [--cases edited-check,infinite-loop] [--big-file-mb 500] [--zip PATH]

Each case becomes a learner of the same name in COURSE_ROOT/submitted/CASE/ASSIGNMENT/, built from the
course's own release notebook (answered in full from the source's solutions, then made bad or hostile),
so the corpus follows the course as it changes. Paths that the hostile code tries to read or write are
those of COURSE_ROOT. --zip also writes a zip whose member names try to escape the folder zip_collect
extracts it into. Run `nbgrader autograde ASSIGNMENT --Execute.kernel_name=syslead-sandbox` (or
`syslead autograde ASSIGNMENT`) afterwards, and see docs/grading-safely.md for what should happen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures import hostile  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("course_root", type=Path)
    parser.add_argument("--assignment", default="01-systems-leadership")
    parser.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    parser.add_argument("--big-file-mb", type=int, default=500)
    parser.add_argument("--zip", type=Path, default=None, help="also write the escaping zip here")
    args = parser.parse_args(argv)
    root = args.course_root.resolve()
    name = args.assignment
    release = root / "release" / name / f"{name}.ipynb"
    source = root / "source" / name / f"{name}.ipynb"
    for path in (release, source):
        if not path.is_file():
            print(f"There is no {path}: run this on a course folder with the assignment generated "
                  f"('nbgrader generate_assignment {name}').", file=sys.stderr)
            return 2
    unknown = [c for c in filter(None, args.cases.split(",")) if c not in hostile.CASE_IDS]
    if unknown:
        print(f"Unknown case {unknown[0]!r}; the cases are: {', '.join(hostile.CASE_IDS)}.", file=sys.stderr)
        return 2
    written = hostile.make_corpus(release, source, root / "submitted", root,
                                  [c for c in args.cases.split(",") if c] or None, args.big_file_mb)
    for case in written:
        print(f"{case.id:<20} {case.what}")
    if args.zip:
        args.zip.parent.mkdir(parents=True, exist_ok=True)
        args.zip.write_bytes(hostile.escaping_zip(release.read_bytes()))
        print(f"{hostile.ZIP_CASE.id:<20} {args.zip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
