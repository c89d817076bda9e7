"""Run every benchmark of the project in turn: `python -m benchmarks.run [--lines N]`.

Each benchmark prints its own table of medians and ratios against the baseline its issue names,
measured in the same run. They run one after another (never in parallel: the machine has two
cores and the ratios must not be skewed by each other's load).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

BENCHMARKS = ("ingest", "cohorts", "clv", "segments", "exports", "app")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines (default 1,000,000)")
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only these (repeatable)")
    args = parser.parse_args()
    failed = []
    for name in args.only or BENCHMARKS:
        print(f"\n=== benchmarks.bench_{name} --lines {args.lines}", flush=True)
        rc = subprocess.call([sys.executable, "-m", f"benchmarks.bench_{name}", "--lines", str(args.lines)])
        if rc:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
