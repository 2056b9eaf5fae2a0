"""How fast is `shapecli explain` on very long stacks? Prints figures and ratios.

    python benchmarks/explain_large.py [N ...]

For each N it writes a stack of N layers, then times the stages separately
(YAML reading, the symbolic engine, writing the table as a pipe gets it and the
JSON; the best of three, in this process) and the whole command in a fresh
process, as a user would run it (the median of seven, table and --json), with
its peak memory. The last lines say whether time grows linearly (µs a layer at
the largest N over the smallest), compare the largest command with the goal
(under 0.5 s for 10,000 layers), and time the same number of layers written
each differently (no line repeats: nothing is read or worked out only once).
"""

from __future__ import annotations

import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

from shapecli.engine import explain
from shapecli.render import LONG_STACK
from shapecli.render.json_output import explanation_to_json
from shapecli.render.plain import PlainWriter
from shapecli.render.table import write_explanation
from shapecli.stackfile import read_stack_file


def write_stack(n: int, folder: str, distinct: bool = False) -> str:
    """Dense and LSTM in turn, as a deep stack repeats its blocks; `distinct`: each Dense of its own width."""
    path = os.path.join(folder, f"stack{n}{'-distinct' if distinct else ''}.yaml")
    body = ["input_shape: [time, 16]", "symbols: {time: null}", "layers:"]
    for i in range(n):
        if i % 2:
            body.append("  - LSTM: {units: 16, return_sequences: true}")
        else:
            body.append(f"  - Dense: {{units: {16 + i if distinct else 16}}}")
    with open(path, "w") as handle:
        handle.write("\n".join(body) + "\n")
    return path


def timed(fn, repeat: int = 3):
    """The result and the best time of `repeat` runs (garbage collection held off, as the command does)."""
    gc.disable()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    gc.enable()
    return result, best


def command(args: list[str], rounds: int = 7) -> tuple[float, int]:
    """The median wall time of fresh processes, and the peak resident memory (bytes) of the last."""
    runs = []
    for _ in range(rounds):
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "shapecli", *args], stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        runs.append(time.perf_counter() - start)
        assert os.waitstatus_to_exitcode(status) == 0
    return statistics.median(runs), usage.ru_maxrss * 1024


def piped_table(explanation) -> str:
    """The table as `explain` writes it on a pipe (80 columns)."""
    stream = io.StringIO()
    write_explanation(explanation, PlainWriter(stream, 80))
    return stream.getvalue()


def main(sizes: list[int]) -> None:
    per_layer = {}
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'layers':>7} {'read':>8} {'engine':>8} {'table':>8} {'json':>8} {'command':>8} {'--json':>8} "
              f"{'memory':>7} {'µs/layer':>9}")
        for n in sizes:
            path = write_stack(n, folder)
            stack, t_read = timed(lambda: read_stack_file(path))
            explanation, t_engine = timed(lambda: explain(stack))
            _, t_table = timed(lambda: piped_table(explanation))
            _, t_json = timed(lambda: explanation_to_json(explanation))
            t_cmd, memory = command(["explain", path])
            t_cmd_json, _ = command(["explain", path, "--json"])
            per_layer[n] = (t_read + t_engine + t_table) / n * 1e6  # the work that grows with n, start-up left out
            print(f"{n:>7} {t_read:>7.3f}s {t_engine:>7.3f}s {t_table:>7.3f}s {t_json:>7.3f}s {t_cmd:>7.3f}s "
                  f"{t_cmd_json:>7.3f}s {memory / 2**20:>4.0f} MB {t_cmd / n * 1e6:>9.1f}")
        t_startup, _ = command(["--version"])
        t_bare = statistics.median(timed(lambda: subprocess.run([sys.executable, "-c", "pass"]), 1)[1]
                                   for _ in range(5))
        print(f"start-up alone (shapecli --version): {t_startup:.3f}s; a bare interpreter: {t_bare:.3f}s")
        listed = [n for n in sizes if n > LONG_STACK]  # a smaller stack is a table: slower a row
        small, large = (min(listed), max(listed)) if listed else (0, 0)
        if large > small:
            print(f"linear? read + engine + table, µs a layer: {per_layer[small]:.0f} at {small:,}, "
                  f"{per_layer[large]:.0f} at {large:,} (ratio {per_layer[large] / per_layer[small]:.2f}; 1.0 is linear)")
        print(f"the command for {sizes[-1]:,} layers: {t_cmd:.2f} s, --json {t_cmd_json:.2f} s "
              "(goal for 10,000: under 0.5 s)")
        distinct = write_stack(sizes[-1], folder, distinct=True)
        t_distinct, memory = command(["explain", distinct], rounds=3)
        print(f"{sizes[-1]:,} layers written each differently (every Dense its own width): {t_distinct:.2f} s, "
              f"{memory / 2**20:.0f} MB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 1000, 10000])
