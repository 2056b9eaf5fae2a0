"""How long do the everyday commands take, start to finish? Prints figures and ratios; asserts nothing.

    python benchmarks/startup.py [--repeat N] [--stack FILE]

Each command runs in a fresh process, as a user runs it. The rounds are interleaved (round r runs every
command once, in a rotated order) so that a machine that gets busier or quieter weighs on all alike; the
table gives each command's median. The ratios are the ones the speed goals are written in:
`explain --json` against a bare interpreter's start, and the `explain` table against importing its
dependencies alone: on a pipe (as here) click and PyYAML; rich only on a terminal, for colour.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands(stack: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "bare interpreter": [py, "-c", "pass"],
        "import click, yaml": [py, "-c", "import click, yaml"],
        "import click, yaml, rich": [py, "-c", "import click, yaml, rich.console, rich.table, rich.text"],
        "import numpy": [py, "-c", "import numpy"],
        "explain --json": [py, "-m", "shapecli", "explain", stack, "--json"],
        "explain": [py, "-m", "shapecli", "explain", stack],
        "run --numeric": [py, "-m", "shapecli", "run", stack, "--numeric"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--stack", default="addition", help="a scenario name or stack file (default: addition)")
    args = parser.parse_args()
    cmds = commands(args.stack)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    names = list(cmds)
    for _ in range(2):  # warm the file cache and write any missing bytecode
        for cmd in cmds.values():
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    for r in range(args.repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            subprocess.run(cmds[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    for name in names:
        print(f"{name:<28} {median[name] * 1000:7.1f} ms")
    print()
    bare, deps = median["bare interpreter"], median["import click, yaml"]
    print(f"explain --json / bare interpreter: {median['explain --json'] / bare:5.2f}x  (goal <= 2.5x)")
    print(f"explain (piped) / its dependencies' import (click, yaml): {median['explain'] / deps:5.2f}x  (goal <= 1.2x)")
    print(f"run --numeric / explain: {median['run --numeric'] / median['explain']:5.2f}x")


if __name__ == "__main__":
    main()
