"""How fast is `shapecli explain` on very long stacks? Prints figures and ratios.

    python benchmarks/explain_large.py [N ...]

For each N it writes a stack of N layers, then times the stages separately
(YAML reading, the symbolic engine, rendering the table and the JSON) and the
whole command in a fresh process, as a user would run it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time

from rich.console import Console

from shapecli.engine import explain
from shapecli.render.json_output import explanation_to_json
from shapecli.render.table import render_explanation
from shapecli.stackfile import read_stack_file


def write_stack(n: int, folder: str) -> str:
    path = os.path.join(folder, f"stack{n}.yaml")
    body = ["input_shape: [time, 16]", "symbols: {time: null}", "layers:"]
    for i in range(n):
        body.append("  - LSTM: {units: 16, return_sequences: true}" if i % 2 else "  - Dense: {units: 16}")
    with open(path, "w") as handle:
        handle.write("\n".join(body) + "\n")
    return path


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'layers':>7} {'read':>8} {'engine':>8} {'table':>8} {'json':>8} {'command':>8} {'µs/layer':>9}")
        for n in sizes:
            path = write_stack(n, folder)
            stack, t_read = timed(lambda: read_stack_file(path))
            explanation, t_engine = timed(lambda: explain(stack))
            console = Console(file=io.StringIO(), width=120, no_color=True)
            _, t_table = timed(lambda: render_explanation(explanation, console))
            _, t_json = timed(lambda: explanation_to_json(explanation))
            _, t_cmd = timed(lambda: subprocess.run(
                [sys.executable, "-m", "shapecli", "explain", path], stdout=subprocess.DEVNULL, check=True))
            print(f"{n:>7} {t_read:>7.3f}s {t_engine:>7.3f}s {t_table:>7.3f}s {t_json:>7.3f}s {t_cmd:>7.3f}s "
                  f"{t_cmd / n * 1e6:>9.1f}")
        _, t_startup = timed(lambda: subprocess.run(
            [sys.executable, "-m", "shapecli", "--version"], stdout=subprocess.DEVNULL, check=True))
        print(f"start-up alone (shapecli --version): {t_startup:.3f}s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 1000, 10000])
