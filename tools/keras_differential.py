"""Differential test: random small stacks, shapecli against real Keras 3.  Off by default.

Hypothesis draws a small sequential stack over shapecli's layers and arguments, writes it as a
stack file, and asks both sides about it:

  - Keras:    keras.Sequential([keras.Input(...), *layers]) -- built, or refused;
  - shapecli: `shapecli explain FILE --json` (exit 0, or 1/2 for a refusal), then
              `shapecli run FILE --dump out.npz --json`.

A stack Keras refuses must be refused by shapecli and vice versa (a stack Keras builds but cannot
run -- e.g. a padding mask that cannot pair with the steps it masks -- or runs into arrays of other
shapes than it declares, may be refused by shapecli either way; so may a run whose free sizes
Keras cannot run either).  For a stack both accept, every
layer's parameter count and output shape, the total and the model's output shape must agree;
then the dumped weights go into the Keras model with set_weights (in order) and every
`layer_{i}_output` must equal Keras' output of that layer for the dumped input (within 1e-4,
absolute and relative).  Every disagreement of one stack is listed in the failure message.

It needs Keras (and Hypothesis) and is not under tests/, so the default suite never runs it:

    KERAS_BACKEND=numpy /work/kvenv/bin/python -m pytest tools/keras_differential.py

SHAPECLI names the CLI (default: .venv/bin/shapecli of this repository, else `shapecli` on PATH);
DIFF_EXAMPLES the number of stacks (default 150).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
yaml = pytest.importorskip("yaml")
pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, note, settings, strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_cases import input_dtype  # noqa: E402
from make_keras_reference import build_layer, error_text  # noqa: E402  (one way to build a Keras layer)

ROOT = Path(__file__).resolve().parent.parent
SHAPECLI = os.environ.get("SHAPECLI") or (
    str(ROOT / ".venv" / "bin" / "shapecli") if (ROOT / ".venv" / "bin" / "shapecli").exists() else shutil.which("shapecli"))
EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "150"))
TOLERANCE = 1e-4
FREE_SIZE = 8  # shapecli run's default size for a free symbol (batch: 2)

# -- drawing stacks ---------------------------------------------------------------------
ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax", "linear", "elu", "gelu", "softplus", "hard_sigmoid"]
small = st.integers(1, 3)
flag = st.booleans()


def args(**strategies):
    """A layer's arguments: each drawn one present or left at its Keras default."""
    return st.fixed_dictionaries({}, optional=strategies)


def layer(name, **strategies):
    return args(**strategies).map(lambda kwargs: {name: kwargs})


def recurrent(name):
    extra = {} if name == "SimpleRNN" else {
        "recurrent_activation": st.sampled_from(["sigmoid", "hard_sigmoid", "tanh", "softmax"])}
    if name == "GRU":
        extra["reset_after"] = flag
    return st.builds(lambda units, kwargs: {name: {"units": units, **kwargs}}, small, args(
        activation=st.sampled_from(["tanh", "relu", "sigmoid", "softmax"]), use_bias=flag,
        return_sequences=flag, go_backwards=flag, unroll=flag, zero_output_for_mask=flag,
        dropout=st.sampled_from([0.0, 0.5]), **extra))


RNN = st.sampled_from(["SimpleRNN", "LSTM", "GRU"]).flatmap(recurrent)
DATA_FORMAT = st.sampled_from(["channels_last", "channels_last", "channels_first"])
DENSE = st.builds(lambda units, kwargs: {"Dense": {"units": units, **kwargs}}, small,
                  args(activation=st.sampled_from(ACTIVATIONS), use_bias=flag))
CONV = st.builds(lambda f, k, kwargs: {"Conv1D": {"filters": f, "kernel_size": k, **kwargs}},
                 st.sampled_from([1, 2, 4]), small, args(
                     strides=st.integers(1, 2), padding=st.sampled_from(["valid", "same", "causal"]),
                     dilation_rate=st.integers(1, 2), groups=st.integers(1, 2), data_format=DATA_FORMAT,
                     activation=st.sampled_from(ACTIVATIONS), use_bias=flag))
POOL = layer("MaxPooling1D", pool_size=small, strides=st.one_of(st.none(), small),
             padding=st.sampled_from(["valid", "same"]), data_format=DATA_FORMAT)
GLOBAL = st.sampled_from(["GlobalAveragePooling1D", "GlobalMaxPooling1D"]).flatmap(
    lambda name: layer(name, keepdims=flag, data_format=DATA_FORMAT))


def pick(*strategies):
    """One of the strategies, each as likely as the others (shrinking goes to the first)."""
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


ANY_RANK = [  # layers that take an input of any rank
    DENSE,
    st.builds(lambda a: {"Activation": {"activation": a}}, st.sampled_from(ACTIVATIONS)),
    st.builds(lambda rate, kwargs: {"Dropout": {"rate": rate, **kwargs}}, st.sampled_from([0.0, 0.5]),
              args(noise_shape=st.sampled_from([[None, 1], [None, 1, None], [1, 1, 1]]))),
    layer("LayerNormalization", axis=st.sampled_from([-1, 1, [-1], [1, 2], [-2, -1]]), center=flag, scale=flag,
          epsilon=st.sampled_from([1e-3, 0.1])),
    layer("Flatten", data_format=DATA_FORMAT),
    st.builds(lambda t: {"Reshape": {"target_shape": t}},
              st.sampled_from([[-1], [-1, 1], [-1, 2], [2, -1], [1, -1, 1], [4], [2, 2]])),
]
BIDIRECTIONAL = st.builds(lambda rnn, mode: {"Bidirectional": {"layer": rnn, "merge_mode": mode}},
                          RNN, st.sampled_from(["concat", "sum", "mul", "ave"]))
BY_RANK = {  # layers that fit an input of this rank (batch axis included)
    2: pick(*ANY_RANK, st.builds(lambda n: {"RepeatVector": {"n": n}}, small)),
    3: pick(*ANY_RANK, RNN, RNN, RNN, CONV, CONV, POOL, GLOBAL, GLOBAL, BIDIRECTIONAL, BIDIRECTIONAL,
            st.just({"Permute": {"dims": [2, 1]}}), st.builds(lambda inner: {"TimeDistributed": {"layer": inner}}, DENSE)),
    4: pick(*ANY_RANK, layer("Permute", dims=st.sampled_from([[2, 1, 3], [3, 1, 2], [1, 3, 2]])),
            *[st.builds(lambda inner: {"TimeDistributed": {"layer": inner}}, inner)
              for inner in (DENSE, CONV, POOL, GLOBAL, RNN, layer("Flatten"))]),
}


def rank_after(spec: dict, rank: int) -> int:
    """The output rank a layer would give an input of this rank (a guess, to keep most stacks valid)."""
    (name, kwargs), = spec.items()
    if name == "TimeDistributed":
        return 1 + rank_after(kwargs["layer"], rank - 1)
    if name == "Bidirectional":
        return rank_after(kwargs["layer"], rank)
    if name in ("SimpleRNN", "LSTM", "GRU"):
        return 3 if kwargs.get("return_sequences") else 2
    if name in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        return rank if kwargs.get("keepdims") else rank - 1
    if name == "Reshape":
        return 1 + len(kwargs["target_shape"])
    return {"Flatten": 2, "RepeatVector": rank + 1, "Embedding": rank + 1}.get(name, rank)


@st.composite
def stacks(draw):
    if draw(st.integers(0, 3)) == 0:  # token ids into an Embedding
        input_shape = [draw(st.one_of(st.none(), st.integers(1, 6)))]
        layers = [draw(st.builds(lambda d, o, kw: {"Embedding": {"input_dim": d, "output_dim": o, **kw}},
                                 st.integers(2, 6), st.integers(1, 4), args(mask_zero=flag)))]
        rank = 3
    else:
        rank = draw(st.sampled_from([2, 3, 3, 4]))
        input_shape = [draw(st.integers(1, 5)) for _ in range(rank - 1)]
        if rank > 2 and draw(st.integers(0, 4)) == 0:
            input_shape[0] = None  # a free length
        layers = []
    for _ in range(draw(st.integers(1, 4))):
        wrong = draw(st.integers(0, 9)) == 0  # now and then a layer that may not fit
        spec = draw(BY_RANK[draw(st.sampled_from([2, 3, 4]))] if wrong else BY_RANK.get(rank, pick(*ANY_RANK)))
        layers.append(spec)
        rank = max(2, rank_after(spec, rank))
    return {"input_shape": input_shape, "layers": layers}


# -- asking both sides ------------------------------------------------------------------
def shapecli(*argv):
    return subprocess.run([SHAPECLI, *map(str, argv)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


def first_line(result) -> str:
    text = (result.stderr or result.stdout).strip()
    return text.splitlines()[0][:200] if text else "(no output)"


def keras_model(stack):
    """The Keras model of a stack, or the error text of Keras' refusal."""
    keras.utils.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            inp = keras.Input(shape=tuple(stack["input_shape"]), dtype=input_dtype(stack["layers"]))
            return keras.Sequential([inp, *[build_layer(s) for s in stack["layers"]]]), None
        except Exception as e:  # noqa: BLE001 -- any refusal is an answer
            return None, error_text(e)


def same_shape(ours: list, theirs) -> bool:
    """shapecli's JSON shape ("batch", free names, ints) against a Keras shape (None for free)."""
    if isinstance(theirs, list) or (theirs and isinstance(theirs[0], (tuple, list))):
        return False  # Keras gives a list of tensors (return_state); shapecli follows one
    return len(ours) == len(theirs) and all(
        (d is None) if isinstance(o, str) else (o == d) for o, d in zip(ours, theirs))


def keras_outputs(model, x):
    """Every layer's output for input x (a list of arrays), or the text of the error Keras raises."""
    probe = keras.Model(model.inputs, [k_layer.output for k_layer in model.layers])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            outs = probe.predict(x, verbose=0)
        except Exception as e:  # noqa: BLE001
            return error_text(e)
    return [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]


def probe_input(stack):
    """An input like shapecli's default run: batch 2, each free size 8, ids with a 0 (padding)."""
    shape = [2, *(FREE_SIZE if d is None else d for d in stack["input_shape"])]
    if input_dtype(stack["layers"]) == "int32":
        ids = np.ones(shape, "int32")
        ids[1, ..., -1] = 0
        return ids
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def disagreements(stack: dict, seed: int, tmp: Path) -> list[str]:
    """What shapecli says differently from Keras about one stack ([] when they agree)."""
    path = tmp / "stack.yaml"
    path.write_text(yaml.safe_dump(stack, sort_keys=False))
    explained = shapecli("explain", path, "--json")
    model, refusal = keras_model(stack)
    if refusal:
        if explained.returncode == 0:
            return [f"Keras refuses the stack ({refusal}); shapecli explains it"]
        if explained.returncode not in (1, 2):
            return [f"Keras refuses the stack; shapecli exits {explained.returncode}: {first_line(explained)}"]
        return []
    if explained.returncode != 0:
        at_call = keras_outputs(model, probe_input(stack))
        if explained.returncode in (1, 2) and (isinstance(at_call, str) or any(
                list(out.shape[1:]) != list(k_layer.output.shape[1:])
                for out, k_layer in zip(at_call, model.layers) if None not in k_layer.output.shape[1:])):
            return []  # Keras builds it but fails when it runs, or computes other shapes than it declares
        return [f"Keras builds and runs the stack (output {model.output_shape}); shapecli exits "
                f"{explained.returncode}: {first_line(explained)}"]

    problems = []
    ours = json.loads(explained.stdout)
    for i, (step, k_layer) in enumerate(zip(ours["layers"], model.layers), start=1):
        if step["params"] != k_layer.count_params():
            problems.append(f"layer {i} {step['type']}: params {step['params']}, Keras {k_layer.count_params()}")
        if not same_shape(step["output_shape"], k_layer.output.shape):
            problems.append(f"layer {i} {step['type']}: output shape {step['output_shape']}, Keras {k_layer.output.shape}")
    if ours["total_params"] != model.count_params():
        problems.append(f"total params {ours['total_params']}, Keras {model.count_params()}")
    if not same_shape(ours["output_shape"], model.output_shape):
        problems.append(f"output shape {ours['output_shape']}, Keras {model.output_shape}")
    if problems:
        return problems

    dump = tmp / "out.npz"
    dump.unlink(missing_ok=True)
    ran = shapecli("run", path, "--dump", dump, "--json", "--seed", seed)
    if not dump.exists():  # shapecli refused to run it (e.g. a free size that does not fit)
        if isinstance(keras_outputs(model, probe_input(stack)), str):
            return []  # so does Keras, on the same sizes
        return [f"shapecli run exits {ran.returncode} (Keras runs it): {first_line(ran)}"]
    if ran.returncode != 0:
        failed = "(no JSON)"
        if ran.stdout.strip().startswith("{"):
            failed = "; ".join(f"layer {layer['index']}: {c['claim']}" for layer in json.loads(ran.stdout)["layers"]
                               for c in layer["claims"] if not c["ok"])
        problems.append(f"shapecli run exits {ran.returncode}, its own claims fail: {failed}")
    with np.load(dump) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for i, k_layer in enumerate(model.layers, start=1):
        n = len(k_layer.get_weights())
        ours_n = sum(1 for k in arrays if k.startswith(f"layer_{i}_weight_"))
        try:
            k_layer.set_weights([arrays[f"layer_{i}_weight_{j}"] for j in range(n)])
        except Exception as e:  # noqa: BLE001
            return [*problems, f"layer {i}: {ours_n} dumped weights do not load into Keras' {n}: {error_text(e)}"]
        if ours_n != n:
            return [*problems, f"layer {i}: {ours_n} dumped weights, Keras has {n}"]
    outs = keras_outputs(model, arrays["input"])
    if isinstance(outs, str):
        return [*problems, f"Keras fails on the input shapecli ran: {outs}"]
    for i, theirs in enumerate(outs, start=1):
        mine = arrays[f"layer_{i}_output"]
        if mine.shape != theirs.shape:
            problems.append(f"layer {i}: output array {mine.shape}, Keras {theirs.shape}")
        elif not np.allclose(mine, theirs, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True):
            problems.append(f"layer {i} {next(iter(stack['layers'][i - 1]))}: output differs from Keras by "
                            f"{np.nanmax(np.abs(mine - theirs)):.3g}")
            break  # later layers inherit the difference
    return problems


@pytest.mark.skipif(SHAPECLI is None, reason="no shapecli CLI found (set SHAPECLI)")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(stack=stacks(), seed=st.integers(0, 1000))
def test_shapecli_agrees_with_keras(stack, seed, tmp_path_factory):
    note(yaml.safe_dump(stack, sort_keys=False))
    problems = disagreements(stack, seed, tmp_path_factory.mktemp("stack"))
    assert not problems, "\n".join(problems)
