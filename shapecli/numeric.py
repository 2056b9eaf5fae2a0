"""The NumPy executor: random data through the same layer objects `explain` used.

`run_stack` binds every free size (and the batch) to a number, draws weights
from a seeded generator in Keras `get_weights()` order, runs each layer's own
`forward`, and keeps every output, so that the claims can be checked and the
whole run dumped to an .npz that Keras or PyTorch can load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .engine import Explanation, Step, explain, token_readers
from .errors import EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, NumericProblem, ShapeMismatch, StackError, unreadable
from .lazy_numpy import np
from .layers.base import values as count_values
from .shapes import BATCH, format_shape
from .stackfile import StackFile

DEFAULT_BATCH = 2
DEFAULT_FREE_SIZE = 8
DEFAULT_SEED = 0
DEFAULT_MAX_MEMORY = 1 << 30  # 1 GiB
BYTES_PER_VALUE = 4  # float32 (and int32 token ids)
FIXED_WORK = 1 << 20  # bytes any claim may use whatever the sizes (comparisons go by chunks of claims.CHUNK)


@dataclass
class LayerRun:
    step: Step  # the symbolic step, as `explain` printed it
    layer: object  # the plan's layer bound to numbers for its sizes: this one runs
    input: object
    output: object
    weights: list
    mask: object = None  # the mask this layer received
    extras: dict = field(default_factory=dict)  # what else the call gave it (initial_state)
    incoming_mask: object = None  # the mask on its input (which a call with initial_state does not use)

    def forward(self, x, weights: list | None = None, mask=None):
        """The layer run again as this call ran it (the same extras), on other numbers."""
        return self.layer.forward(x, self.weights if weights is None else weights, mask, **self.extras)


@dataclass
class Run:
    explanation: Explanation  # symbolic
    bindings: dict[str, int]
    seed: int
    input: object  # the first input (the only one of a sequential stack)
    layers: list[LayerRun] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)  # every input, by name
    tensors: dict = field(default_factory=dict)  # every tensor made, by name

    @property
    def output(self):
        """The (first) output."""
        outputs = self.explanation.outputs
        return self.tensors[outputs[0]] if outputs and outputs[0] in self.tensors else self.layers[-1].output


# -- sizes -------------------------------------------------------------------------
def each_shape(shape_or_shapes) -> list:
    """The shapes of a tensor, or of several (a layer giving a list)."""
    return shape_or_shapes if isinstance(shape_or_shapes, list) else [shape_or_shapes]


def free_symbols(explanation: Explanation) -> list[str]:
    """Every free size the stack mentions, batch first."""
    names: list[str] = []
    shapes = [*explanation.inputs.values(), *(shape for step in explanation.steps for shape in each_shape(step.output_shape))]
    for shape in shapes:
        for dim in shape:
            for name in sorted(dim.symbols):
                if name not in names:
                    names.append(name)
    return sorted(names, key=lambda n: (n != BATCH, names.index(n)))


def parse_binding(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*", text)
    if not match or int(match.group(2)) <= 0:
        raise unreadable(
            f"cannot read --bind {text!r}",
            expected="NAME=VALUE with a positive whole number, e.g. --bind time=10 or --bind batch=4",
            found=text,
        )
    return match.group(1), int(match.group(2))


def bind_sizes(explanation: Explanation, given: dict[str, int]) -> dict[str, int]:
    names = free_symbols(explanation)
    for name in given:
        if name not in names:
            raise unreadable(
                f"--bind {name}=…: the stack has no free size called {name}",
                expected="one of: " + ", ".join(names),
                found=name,
                fix="sizes with a number under `symbols:` are fixed; bind only the free ones (and batch)",
            )
    return {name: given.get(name, DEFAULT_BATCH if name == BATCH else DEFAULT_FREE_SIZE) for name in names}


def bound_layers(explanation: Explanation, bindings: dict[str, int]) -> list:
    """The plan's layers with every free size bound to a number: the run executes exactly these.
    A size that comes out below 1, or a condition a layer stated that these sizes break, is an error."""
    sizes = ", ".join(f"{k}={v}" for k, v in bindings.items())
    layers = []
    for step in explanation.steps:
        try:
            concrete = [tuple(d.evaluate(bindings) for d in shape) for shape in each_shape(step.output_shape)]
            concrete = concrete if isinstance(step.output_shape, list) else concrete[0]
            if any(n < 1 for shape in each_shape(concrete) for n in shape):
                raise ShapeMismatch(
                    f"with {sizes}, its output {format_shape(step.output_shape)} would be {concrete}",
                    expected="every size at least 1", found=str(concrete),
                    fix="bind larger sizes with --bind NAME=VALUE")
            layers.append(step.layer.bind(bindings, step.input_shape))
        except ShapeMismatch as problem:
            error = StackError.from_problem(problem, EXIT_DOES_NOT_FIT, step.entry.mark,
                                            f"layer {step.index}, {step.layer.title()}: ")
            error.notes.append(f"this run binds {sizes}; choose others with --bind NAME=VALUE")
            raise error from None
    return layers


# -- memory --------------------------------------------------------------------------
@dataclass
class LayerMemory:
    step: Step
    kept: int  # bytes held for the whole run: the layer's weights and its output
    working: int  # bytes needed on top while its forward runs and while its claims are checked


def memory_estimate(explanation: Explanation, bindings: dict[str, int]) -> tuple[int, list[LayerMemory]]:
    """(total bytes, per layer): the input, every layer's weights and output (all are kept for the claims
    and the dump), and the largest working space of any one layer (the layers run one at a time)."""
    def values(shape) -> int:
        return count_values(shape).evaluate(bindings)

    layers = []
    for step in explanation.steps:
        output = values(step.output_shape)
        working = step.layer.working_size(step.input_shape, step.output_shape).evaluate(bindings) + 2 * step.params  # a
        # weight nudged (claims.weights_used)
        weights = step.params if step.shared_with is None else 0  # a reused layer's weights are held once
        layers.append(LayerMemory(step, BYTES_PER_VALUE * (weights + output), BYTES_PER_VALUE * working))
    total = BYTES_PER_VALUE * sum(values(shape) for shape in explanation.inputs.values()) + sum(m.kept for m in layers)
    return total + max(m.working for m in layers) + FIXED_WORK, layers


def check_memory(explanation: Explanation, bindings: dict[str, int], budget: int) -> None:
    total, layers = memory_estimate(explanation, bindings)
    if total <= budget:
        return
    worst = max(layers, key=lambda m: m.kept + m.working)
    step = worst.step
    raise StackError(
        f"running this stack would need about {human_bytes(total)}, over the {human_bytes(budget)} budget",
        EXIT_UNREADABLE,
        step.entry.mark,
        expected=f"at most {human_bytes(budget)} (--max-memory)",
        found=f"about {human_bytes(total)}; the largest part is layer {step.index}, {step.layer.title()}: "
              f"{human_bytes(worst.kept + worst.working)} ({step.params:,} weights, output {format_shape(step.output_shape)})",
        fix="bind smaller sizes (" + ", ".join(f"--bind {name}=…" if name != BATCH else "--bind batch=1"
                                             for name in free_symbols(explanation)) + "), or raise --max-memory",
    )


def human_bytes(n: float) -> str:
    """`512 B`, `1.5 GiB`, `3.2e+08 TiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB" if n < 10_000 else f"{n:.1e} TiB"


MEMORY_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
                "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}


def parse_memory(text: str) -> int:
    """`512MiB` or `512M`, `2GiB`, `1.5GB` (decimal: 10^9), or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else None
    if unit not in MEMORY_UNITS or float(match.group(1)) <= 0:
        raise unreadable(f"cannot read --max-memory {text!r}", expected="a positive size such as 512MiB, 2GiB, 1.5GB or 1000000 (bytes)",
                         found=text)
    return int(float(match.group(1)) * MEMORY_UNITS[unit])


# -- input ---------------------------------------------------------------------------------
def make_input(explanation: Explanation, bindings: dict[str, int], rng, name: str | None = None):
    """Random input (the first, or the one called `name`). Token ids for an Embedding; where the Embedding
    masks id 0, sample b ends in min(2b, length-1) padding zeros (and has no other zero), so that every
    mask note can be tested."""
    name = name or next(iter(explanation.inputs))
    shape = tuple(d.evaluate(bindings) for d in explanation.inputs[name])
    if not explanation.dtypes[name].startswith("int"):
        return rng.standard_normal(shape, dtype=np.float32)
    first = token_readers(name, explanation.steps)[0]
    vocabulary = first.vocabulary()
    if not first.creates_mask() or vocabulary < 2:
        return rng.integers(0, vocabulary, size=shape).astype(np.int32)
    ids = rng.integers(1, vocabulary, size=shape).astype(np.int32)
    length = shape[-1]
    for b in range(shape[0]):
        padding = min(2 * b, length - 1)
        if padding:
            ids[b, ..., length - padding:] = 0
    return ids


# -- the run -----------------------------------------------------------------------------
def run_stack(stack: StackFile, bind: dict[str, int] | None = None, seed: int = DEFAULT_SEED,
              max_memory: int = DEFAULT_MAX_MEMORY, weights: list[list] | None = None, x=None) -> Run:
    """Explain `stack` and run that plan (see run_plan)."""
    return run_plan(explain(stack), bind, seed, max_memory, weights, x)


def run_plan(explanation: Explanation, bind: dict[str, int] | None = None, seed: int = DEFAULT_SEED,
             max_memory: int = DEFAULT_MAX_MEMORY, weights: list[list] | None = None, x=None) -> Run:
    """Run the plan `explain` made: bind its free sizes, then each layer's forward on random (or given)
    input and weights (each layer draws its own, from one generator seeded with `seed`)."""
    bindings = bind_sizes(explanation, bind or {})
    layers = bound_layers(explanation, bindings)
    check_memory(explanation, bindings, max_memory)
    rng = np.random.default_rng(seed)
    given = x if isinstance(x, dict) else {} if x is None else {next(iter(explanation.inputs)): x}
    inputs = {name: given[name] if name in given else make_input(explanation, bindings, rng, name)
              for name in explanation.inputs}
    run = Run(explanation, bindings, seed, next(iter(inputs.values())), inputs=inputs)
    with np.errstate(all="ignore"):  # an overflow shows in the numbers (inf, nan) and in the claims
        run_layers(run, layers, weights, rng)
    return run


def run_layers(run: Run, layers: list, weights: list[list] | None, rng) -> None:
    """Each call's forward in turn, on the tensors it names; a layer draws its weights from `rng` at its
    first call (unless they are given) and uses the same ones when it is called again."""
    tensors, masks = dict(run.inputs), dict.fromkeys(run.inputs)
    for index, (step, layer) in enumerate(zip(run.explanation.steps, layers)):
        x = [tensors[name] for name in step.inputs] if layer.takes_list else tensors[step.inputs[0]]
        mask = None if layer.takes_list else masks[step.inputs[0]]
        extras = {"initial_state": [tensors[name] for name in step.states]} if step.states else {}
        if weights is not None:
            layer_weights = weights[index]
        elif step.shared_with is not None:
            layer_weights = run.layers[step.shared_with - 1].weights
        else:
            layer_weights = layer.draw_weights(step.input_shape, rng)
        used = None if extras else mask  # Keras gives no mask to a call with initial_state (engine.MASK_NOT_GIVEN)
        try:
            y = layer.forward(x, layer_weights, used, **extras)
        except NumericProblem as problem:
            raise StackError.from_problem(problem, EXIT_DOES_NOT_FIT, step.entry.mark,
                                          f"layer {step.index}, {step.layer.title()}: ") from None
        run.layers.append(LayerRun(step, layer, x, y, layer_weights, used, extras, mask))
        handed_on = None if layer.takes_list else layer.output_mask(x, mask)
        made = y if isinstance(y, list) and len(step.outputs) > 1 else [y]
        for k, (name, value) in enumerate(zip(step.outputs, made)):
            tensors[name], masks[name] = value, handed_on if k == 0 else None
    run.tensors = tensors


# -- dump ---------------------------------------------------------------------------------
def dump_arrays(run: Run) -> dict[str, object]:
    """The .npz layout. A sequential stack: input, output, layer_{i}_output, layer_{i}_weight_{j} (i 1-based,
    j in get_weights() order). A graph: input_{name} for each input, tensor_{name} for every tensor, and
    layer_{i}_weight_{j} with i counting Keras' `model.layers`: the inputs first, then each layer once, in
    the order of its first call."""
    if not run.explanation.stack.is_graph:
        arrays = {"input": run.input, **tensor_arrays("output", run.output)}
        for layer_run in run.layers:
            i = layer_run.step.index
            arrays.update(tensor_arrays(f"layer_{i}_output", layer_run.output))
            for j, weight in enumerate(layer_run.weights):
                arrays[f"layer_{i}_weight_{j}"] = weight
        return arrays
    arrays = {f"input_{name}": value for name, value in run.inputs.items()}
    arrays.update({f"tensor_{name}": value for name, value in run.tensors.items() if name not in run.inputs
                   and name != "_"})
    from .graph import keras_layer_order

    for i, item in enumerate(keras_layer_order(run.explanation), start=1):
        if not isinstance(item, str):
            for j, weight in enumerate(run.layers[item.index - 1].weights):
                arrays[f"layer_{i}_weight_{j}"] = weight
    return arrays


def tensor_arrays(key: str, value) -> dict:
    """`key` → the array; several tensors (return_state ending a sequential stack) as key_0, key_1, …"""
    return {f"{key}_{k}": v for k, v in enumerate(value)} if isinstance(value, list) else {key: value}


def write_dump(run: Run, path: str) -> None:
    try:
        with open(path, "wb") as handle:
            np.savez(handle, **dump_arrays(run))
    except OSError as exc:
        raise unreadable(f"cannot write {path}: {exc.strerror or exc}") from None


def weights_from_arrays(arrays, layer_count: int) -> list[list]:
    """Per-layer weight lists from a dump (or a Keras fixture) in the same layout."""
    weights = []
    for i in range(1, layer_count + 1):
        layer, j = [], 0
        while f"layer_{i}_weight_{j}" in arrays:
            layer.append(arrays[f"layer_{i}_weight_{j}"])
            j += 1
        weights.append(layer)
    return weights
