"""How fast is the NumPy executor? Prints a ratio table; asserts nothing.

    python benchmarks/executor.py [--repeat N] [--case NAME ...] [--python PATH] [--blas-threads N ...]
                                  [--baseline TREE]

Times shapecli's forward pass on each case below and, where they are installed, the same layer with the
same weights in PyTorch on the CPU and in Keras 3 with its NumPy and JAX backends. Each framework runs in
a process of its own (Keras picks its backend once per process), started with this interpreter or, for
the other frameworks, with --python (a virtual environment that has them; shapecli itself is never
needed there). The runs are interleaved — round r runs each case once in every framework, one after the
other, a different framework first each round, with a short rest before each run (a BLAS's threads spin
for a while after a product, and would slow whatever runs next) — so that a machine that gets busier or
quieter weighs on all alike; the table gives the median round of each, after one warm-up run (JAX
compiles then). A framework that is not installed is a column left out. The outputs are checked to
agree with shapecli's.

--blas-threads 1 2 adds a column per count: shapecli with OPENBLAS_NUM_THREADS set to it (shapecli then
leaves the thread count alone; without it, its recurrent loops run on one thread: ops.one_blas_thread).
--baseline TREE adds shapecli as another source tree has it, e.g. `git archive HEAD` unpacked
(before/after a change).

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, when set, change how fast NumPy's OpenBLAS runs: to time without
them, unset both for this command only (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = 0

# name: (table label, stack file layer, input shape with the batch first)
CASES = {
    "LSTM": ("LSTM(256), B64 T100 F32", {"LSTM": {"units": 256}}, (64, 100, 32)),
    "Bidirectional LSTM": ("Bidirectional(LSTM(256)), B64 T100 F32",
                           {"Bidirectional": {"layer": {"LSTM": {"units": 256}}}}, (64, 100, 32)),
    "GRU": ("GRU(256), B64 T100 F32", {"GRU": {"units": 256}}, (64, 100, 32)),
    "SimpleRNN": ("SimpleRNN(256), B64 T100 F32", {"SimpleRNN": {"units": 256}}, (64, 100, 32)),
    "Conv1D": ("Conv1D(64, 5), B64 T1000 F32", {"Conv1D": {"filters": 64, "kernel_size": 5}}, (64, 1000, 32)),
    "Dense": ("Dense(256) on (64, 100, 256)", {"Dense": {"units": 256}}, (64, 100, 256)),
    "LSTM, batch 1": ("LSTM(256), B1 T1000 F32", {"LSTM": {"units": 256}}, (1, 1000, 32)),
}
# --sweep: LSTM and GRU over the batch sizes and lengths the goals name (the largest, B512 T1000, left out: a
# single run of it takes seconds, and B64 T1000 and B512 T100 already do the same work)
SWEEP = [(b, t) for b in (1, 8, 64, 512) for t in (10, 100, 1000) if b * t <= 64_000]
for kind in ("LSTM", "GRU"):
    for b, t in SWEEP:
        CASES[f"{kind} B{b} T{t}"] = (f"{kind}(256), B{b} T{t} F32", {kind: {"units": 256}}, (b, t, 32))
SWEPT = [name for name in CASES if name.count(" B") and name.split()[0] in ("LSTM", "GRU")]

# The goals, as the most shapecli's time may be over the other's: ≤ 1 (as fast as Keras-JAX), ≤ 1/3 (3× faster
# than Keras-NumPy); against PyTorch for the layers named.
GOALS = {"keras-jax": 1.0, "keras-numpy": 1 / 3}
TORCH_GOALS = {"LSTM": 2.0, "Bidirectional": 2.0, "Conv1D": 1.5}


def goal(case: str, framework: str) -> float | None:
    if framework == "torch":
        return TORCH_GOALS.get(next(iter(CASES[case][1])))
    return GOALS.get(framework)


FRAMEWORKS = {
    "shapecli": "shapecli (NumPy)",
    "baseline": "shapecli, baseline",
    "torch": "PyTorch CPU",
    "keras-numpy": "Keras, NumPy",
    "keras-jax": "Keras, JAX",
}


def case_data(name: str):
    """The input and the weights (Keras' order and shapes), the same in every process."""
    _, _, shape = CASES[name]
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(shape, dtype=np.float32)
    weights = [(rng.standard_normal(s) / np.sqrt(np.prod(s[:-1]) if len(s) > 1 else 100)).astype(np.float32)
               for s in weight_shapes(name)]
    return x, weights


def weight_shapes(name: str) -> list:
    _, layer, shape = CASES[name]
    kind, args = next(iter(layer.items()))
    features = shape[-1]
    if kind == "Bidirectional":
        inner = args["layer"]["LSTM"]["units"]
        return 2 * [(features, 4 * inner), (inner, 4 * inner), (4 * inner,)]
    if kind == "Conv1D":
        return [(args["kernel_size"], features, args["filters"]), (args["filters"],)]
    if kind == "Dense":
        return [(features, args["units"]), (args["units"],)]
    u = args["units"]
    gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[kind]
    bias = (2, 3 * u) if kind == "GRU" else (gates * u,)
    return [(features, gates * u), (u, gates * u), bias]


def title(framework: str) -> str:
    if framework.startswith("shapecli-"):
        return f"shapecli, OPENBLAS_NUM_THREADS={framework.split('-')[1]}"
    return FRAMEWORKS[framework]


# -- one framework's process -----------------------------------------------------------------------
def build_shapecli(name: str):
    from shapecli.engine import explain
    from shapecli.stackfile import stack_from_data

    _, layer, shape = CASES[name]
    step = explain(stack_from_data({"input_shape": list(shape[1:]), "layers": [layer]})).steps[0]
    x, weights = case_data(name)
    return lambda: step.layer.forward(x, weights)


def build_torch(name: str):
    import torch

    torch.set_grad_enabled(False)
    _, layer, shape = CASES[name]
    kind = next(iter(layer))
    x, w = case_data(name)
    t = torch.from_numpy

    def rnn_weights(module, kernel, recurrent, bias, suffix=""):
        getattr(module, f"weight_ih_l0{suffix}").copy_(t(kernel.T.copy()))
        getattr(module, f"weight_hh_l0{suffix}").copy_(t(recurrent.T.copy()))
        getattr(module, f"bias_ih_l0{suffix}").copy_(t(bias))
        getattr(module, f"bias_hh_l0{suffix}").zero_()

    tx = t(x)
    if kind in ("LSTM", "SimpleRNN"):  # Keras' gate order i, f, c, o is PyTorch's i, f, g, o
        module = (torch.nn.LSTM if kind == "LSTM" else torch.nn.RNN)(x.shape[2], w[1].shape[0], batch_first=True)
        rnn_weights(module, *w)
        return lambda: module(tx)[0][:, -1].numpy()
    if kind == "Bidirectional":
        module = torch.nn.LSTM(x.shape[2], w[1].shape[0], batch_first=True, bidirectional=True)
        rnn_weights(module, *w[:3])
        rnn_weights(module, *w[3:], suffix="_reverse")
        return lambda: module(tx)[1][0].permute(1, 0, 2).reshape(x.shape[0], -1).numpy()
    if kind == "GRU":  # Keras z, r, h with reset_after = PyTorch r, z, n; bias[0] input, bias[1] recurrent
        u = w[1].shape[0]
        order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
        module = torch.nn.GRU(x.shape[2], u, batch_first=True)
        module.weight_ih_l0.copy_(t(w[0][:, order].T.copy()))
        module.weight_hh_l0.copy_(t(w[1][:, order].T.copy()))
        module.bias_ih_l0.copy_(t(w[2][0][order].copy()))
        module.bias_hh_l0.copy_(t(w[2][1][order].copy()))
        return lambda: module(tx)[0][:, -1].numpy()
    if kind == "Conv1D":  # PyTorch's own layout, (batch, channels, steps), made before the timing
        module = torch.nn.Conv1d(x.shape[2], w[0].shape[2], w[0].shape[0])
        module.weight.copy_(t(w[0].transpose(2, 1, 0).copy()))
        module.bias.copy_(t(w[1]))
        channels_first = t(x.transpose(0, 2, 1).copy())
        return lambda: module(channels_first).numpy().transpose(0, 2, 1)
    module = torch.nn.Linear(x.shape[2], w[0].shape[1])
    module.weight.copy_(t(w[0].T.copy()))
    module.bias.copy_(t(w[1]))
    return lambda: module(tx).numpy()


def build_keras(name: str):
    import keras

    _, layer, shape = CASES[name]
    kind, args = next(iter(layer.items()))
    x, weights = case_data(name)
    if kind == "Bidirectional":
        made = keras.layers.Bidirectional(keras.layers.LSTM(**args["layer"]["LSTM"]))
    else:
        made = getattr(keras.layers, kind)(**args)
    model = keras.Sequential([keras.Input(shape[1:]), made])
    made.set_weights(weights)
    return lambda: np.asarray(model.predict_on_batch(x))


def worker(framework: str) -> None:
    """Answers the main process, one line per command: `run CASE` → seconds, `save CASE PATH` → ok."""
    if framework.startswith("keras-"):
        os.environ["KERAS_BACKEND"] = framework.split("-")[1]
    build = {"torch": build_torch, "keras-numpy": build_keras, "keras-jax": build_keras}.get(framework, build_shapecli)
    try:
        build(next(iter(CASES)))
    except ImportError as missing:
        print(f"missing {missing.name}", flush=True)
        return
    print("ready", flush=True)
    made = {}
    for line in sys.stdin:
        command, _, rest = line.rstrip("\n").partition(" ")
        if command == "run":
            if rest not in made:
                made[rest] = build(rest)
                made[rest]()  # warm-up (JAX compiles here)
            start = time.perf_counter()
            made[rest]()
            print(time.perf_counter() - start, flush=True)
        elif command == "save":
            name, path = json.loads(rest)
            np.save(path, made[name]())
            print("ok", flush=True)


# -- the main process --------------------------------------------------------------------------------
def start(framework: str, python: str, baseline: str | None = None):
    source = baseline if framework == "baseline" else str(ROOT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
    if framework.startswith("shapecli-"):
        env["OPENBLAS_NUM_THREADS"] = framework.split("-")[1]
    process = subprocess.Popen([python, __file__, "--worker", framework], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    first = process.stdout.readline().strip()
    if first != "ready":
        process.wait()
        return None, first or "failed to start"
    return process, ""


def ask(process, line: str) -> str:
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def load() -> float:
    """The 1-minute load average (NaN where there is none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 1 else f"{ms:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds (the median is shown)")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds of rest before each run")
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these cases")
    parser.add_argument("--sweep", action="store_true",
                        help="LSTM and GRU at batch 1, 8, 64, 512 and 10, 100, 1000 steps instead of the usual cases")
    parser.add_argument("--python", default=sys.executable, help="interpreter for PyTorch and Keras")
    parser.add_argument("--blas-threads", type=int, nargs="+", default=[], metavar="N",
                        help="also shapecli with OPENBLAS_NUM_THREADS=N, for each N")
    parser.add_argument("--baseline", metavar="TREE",
                        help="also shapecli from another source tree (e.g. `git archive HEAD` unpacked): before/after")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    cases = args.case or (SWEPT if args.sweep else [name for name in CASES if name not in SWEPT])
    wanted = (["shapecli"] + (["baseline"] if args.baseline else []) + [f"shapecli-{n}" for n in args.blas_threads]
              + ["torch", "keras-numpy", "keras-jax"])
    workers = {}
    for framework in wanted:
        ours = framework.startswith("shapecli") or framework == "baseline"
        process, why = start(framework, sys.executable if ours else args.python, args.baseline)
        if process is None:
            print(f"{title(framework)}: left out ({why})")
        else:
            workers[framework] = process
    times = {(c, f): [] for c in cases for f in workers}
    load_before = load()
    order = list(workers)
    for round_ in range(args.repeat):
        for case in cases:
            for framework in order[round_ % len(order):] + order[:round_ % len(order)]:  # each goes first in turn
                time.sleep(args.pause)  # let the threads of the run before go idle (OpenBLAS's spin a while)
                times[case, framework].append(float(ask(workers[framework], f"run {case}")))
    agree = {}
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            outputs = {}
            for framework, process in workers.items():
                path = os.path.join(folder, f"{framework}.npy")
                ask(process, "save " + json.dumps([case, path]))
                outputs[framework] = np.load(path)
            agree[case] = max(float(np.max(np.abs(out - outputs["shapecli"]))) for out in outputs.values())
    for process in workers.values():
        process.stdin.close()
        process.wait()

    columns = list(workers)
    print(f"\nmedian of {args.repeat} interleaved rounds; (×) = shapecli's time / that time; load average "
          f"{load_before:.1f} before, {load():.1f} after, on {os.cpu_count()} cores\n")
    print("| case | " + " | ".join(title(f) for f in columns) + " | outputs agree to |")
    print("|---|" + "---|" * (len(columns) + 1))
    missed = []
    for case in cases:
        ours = statistics.median(times[case, "shapecli"])
        cells = []
        for framework in columns:
            theirs = statistics.median(times[case, framework])
            limit = goal(case, framework)
            mark = " ✗" if limit is not None and ours / theirs > limit else ""
            if mark:
                missed.append(f"{CASES[case][0]} against {title(framework)}: {ours / theirs:.2f}× (goal ≤ {limit:.2f}×)")
            cells.append(fmt_ms(theirs) + ("" if framework == "shapecli" else f" ({ours / theirs:.2f}×{mark})"))
        print(f"| {CASES[case][0]} | " + " | ".join(cells) + f" | {agree[case]:.0e} |")
    print("\nevery ratio within its goal" if not missed else "\noutside the goals (✗):\n  " + "\n  ".join(missed))
    teaching_size(args.repeat)


def teaching_size(repeat: int) -> None:
    """The addition lesson's whole run (weights, input, five layers; no claims), where per-call costs
    count more than per-value ones."""
    sys.path.insert(0, str(ROOT))
    from shapecli.numeric import run_stack
    from shapecli.scenarios import load_stack

    stack = load_stack("addition")
    print()
    for batch in (2, 64):
        run_stack(stack, bind={"batch": batch})
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            run_stack(stack, bind={"batch": batch})
            runs.append(time.perf_counter() - start)
        print(f"addition lesson, batch {batch}: whole run {fmt_ms(statistics.median(runs))} (median of {repeat})")


if __name__ == "__main__":
    main()
