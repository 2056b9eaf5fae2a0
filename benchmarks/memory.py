"""How close `run`'s memory estimate is to the real peak (weights, activations and claims).

    python benchmarks/memory.py

For each stack: the estimate `--max-memory` is checked against, and the peak that tracemalloc (which
NumPy reports its arrays to) measures while the stack runs and every claim is checked. The estimate
must bound the peak: a ratio (peak / estimate) at most 1.
"""

from __future__ import annotations

import tracemalloc

from shapecli.claims import check_run
from shapecli.engine import explain
from shapecli.numeric import bind_sizes, memory_estimate, run_plan
from shapecli.scenarios import load_stack, scenario_names
from shapecli.stackfile import stack_from_data

STACKS = {
    "embedding-lstm, 50,000-token vocabulary": {
        "input_shape": [20], "layers": [{"Embedding": {"input_dim": 50_000, "output_dim": 64, "mask_zero": True}},
                                        {"LSTM": {"units": 32}}, {"Dense": {"units": 1, "activation": "sigmoid"}}]},
    "LSTM(1024), 5 steps (weights ≫ activations)": {
        "input_shape": [5, 32], "layers": [{"LSTM": {"units": 1024}}]},
    "Bidirectional LSTM, 100 steps": {
        "input_shape": [100, 32], "layers": [{"Bidirectional": {"layer": {"LSTM": {"units": 64, "return_sequences": True}}}}]},
    "Dense on (100, 256)": {"input_shape": [100, 256], "layers": [{"Dense": {"units": 256}}]},
    "causal Conv1D, 200 steps": {"input_shape": [200, 32],
                                 "layers": [{"Conv1D": {"filters": 64, "kernel_size": 5, "padding": "causal"}}]},
    "masked average of 200 steps": {"input_shape": [200], "layers": [
        {"Embedding": {"input_dim": 500, "output_dim": 64, "mask_zero": True}}, "GlobalAveragePooling1D"]},
}


def peak_of(explanation, bind) -> tuple[int, int]:
    """(estimate, measured peak) in bytes."""
    estimate, _ = memory_estimate(explanation, bind_sizes(explanation, bind))
    tracemalloc.start()
    check_run(run_plan(explanation, bind, max_memory=1 << 40))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return estimate, peak


def main() -> None:
    plans = {name: explain(load_stack(name)) for name in scenario_names() if "wrong" not in name}
    plans.update({name: explain(stack_from_data(data)) for name, data in STACKS.items()})
    for plan in plans.values():  # first runs import what the run needs: not part of any stack's peak
        check_run(run_plan(plan, {"batch": 1}, max_memory=1 << 40))
    print(f"{'stack (batch 8)':42} {'estimate':>10} {'peak':>10} {'peak/estimate':>14}")
    for name, plan in plans.items():
        estimate, peak = peak_of(plan, {"batch": 8})
        print(f"{name:42} {estimate / 2**20:8.2f} MiB {peak / 2**20:6.2f} MiB {peak / estimate:14.2f}")


if __name__ == "__main__":
    main()
