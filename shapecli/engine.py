"""The symbolic engine: build each layer of a stack file and walk the shapes through.

`explain(stack)` returns an `Explanation`: per layer, input shape -> output shape,
parameter count and the sentence saying why. Errors come out as located
`StackError`s (exit 2: the file cannot be read as a stack; exit 1: the layers
do not fit together).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import (
    EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, ArgumentError, Mark, ShapeMismatch, StackError, describe_value, did_you_mean, unreadable,
)
from .layers import REGISTRY, Context, Layer
from .layers.base import REQUIRED, is_shape_list
from .shapes import BATCH, LONGEST, Dim, Shape, format_shape
from .stackfile import Item, LayerEntry, StackFile, layer_entry

def keras_layer_names() -> list[str]:
    """Every layer class Keras 3 exports, as tools/make_keras_reference.py wrote them from Keras itself."""
    import os

    with open(os.path.join(os.path.dirname(__file__), "keras_layer_names.txt"), encoding="utf-8") as handle:
        text = handle.read()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(slots=True)
class Step:
    index: int  # 1-based, as shown
    layer: Layer
    entry: LayerEntry
    input_shape: Shape  # a list of Shapes for a layer called on several tensors
    output_shape: Shape  # a list of Shapes for a layer that gives several (return_state)
    params: int  # the layer's parameters (a reused layer's are counted once in total_params)
    why: str  # why the shape changed
    mask_note: str | None = None  # what the layer does with the padding mask it receives
    mask: Shape | None = None  # that mask's shape: batch and the masked axes
    notes: list[str] = field(default_factory=list)  # about the arguments given (Keras 2 names, …)
    inputs: list[str] = field(default_factory=list)  # the tensors it reads (named in a graph)
    outputs: list[str] = field(default_factory=list)  # the tensors it makes
    states: list[str] = field(default_factory=list)  # the tensors given as initial_state
    shared_with: int | None = None  # a reused layer: the step that made it (its weights)

    @property
    def note(self) -> str:
        return self.why if not self.mask_note else f"{self.why}; {self.mask_note}"

    @property
    def printed_as(self) -> tuple:
        """In a sequential stack, steps with the same key print the same but for their index (a table row, a
        JSON record): twins (sharing `facts`) called on the same shapes, with the same sentence."""
        return id(self.layer.facts), id(self.input_shape), id(self.output_shape), self.note


@dataclass
class Explanation:
    stack: StackFile
    input_shape: Shape  # the first input's
    input_dtype: str
    steps: list[Step]
    inputs: dict[str, Shape] = field(default_factory=dict)  # every input, by name
    outputs: list[str] = field(default_factory=list)  # the names of the model's outputs
    tensors: dict[str, Shape] = field(default_factory=dict)  # every tensor's shape, by name
    dtypes: dict[str, str] = field(default_factory=dict)  # each input's dtype

    @property
    def output_shape(self) -> Shape:
        """The (first) output's shape; a list of Shapes where a sequential stack ends in a list."""
        return self.tensors[self.outputs[0]] if self.outputs else self.steps[-1].output_shape

    @property
    def total_params(self) -> int:
        """Each layer's parameters once, however often it is called (Keras' count)."""
        return sum(step.params for step in self.steps if step.shared_with is None)


def build_layer(entry: LayerEntry, ctx: Context) -> Layer:
    cls = REGISTRY.get(entry.type_name)
    if cls is None:
        raise unknown_layer(entry)
    try:
        return cls.from_items(entry.args, ctx)
    except ArgumentError as problem:
        prefix = "" if problem.message.startswith(entry.type_name) else f"{entry.type_name}: "
        raise StackError.from_problem(problem, EXIT_UNREADABLE, _argument_mark(entry, problem), prefix) from None


def twin_builder(ctx: Context):
    """build_layer for a sequential stack: an entry whose arguments are those of an entry above (the
    reader shares them between layers written the same way) gets a twin of that one's layer — the same
    arguments, checked once. A wrapper is built anew: its inner layer keeps its own place in the file."""
    first: dict[int, Layer] = {}

    def build(entry: LayerEntry) -> Layer:
        layer = first.get(id(entry.args))
        if layer is not None:
            return layer.twin()
        layer = build_layer(entry, ctx)
        if entry.args and not type(layer).argument_table().raw:
            first[id(entry.args)] = layer
        return layer

    return build


def unknown_layer(entry: LayerEntry) -> StackError:
    name = entry.type_name
    supported = sorted(REGISTRY)
    others = [n for n in keras_layer_names() if n not in REGISTRY]
    if name in others:
        return unreadable(
            f"{name} is a Keras layer that shapecli does not cover yet",
            entry.mark,
            expected="one of: " + ", ".join(supported),
            found=name,
            fix="see the README for the layers shapecli explains",
        )
    called = re.fullmatch(r"\s*(\w+)\s*\((.*)\)\s*", name)  # `- LSTM(128)`: written as the table prints it
    if called and called.group(1) in REGISTRY:
        cls = REGISTRY[called.group(1)]
        values = [v.strip() for v in called.group(2).split(",") if v.strip()]
        required = [key for key, arg in cls.arguments.items() if arg.default is REQUIRED]
        pairs = [v if "=" in v else f"{required[k]}: {v}" if k < len(required) else v for k, v in enumerate(values)]
        written = ", ".join(p.replace("=", ": ") for p in pairs).replace(": True", ": true").replace(": False", ": false")
        return unreadable(
            f"'{name}' is written as a Python call; a stack file names the layer, then its arguments",
            entry.mark, expected="`- Name: {argument: value, ...}`", found=name,
            fix=f"write `- {called.group(1)}: {{{written}}}`")
    guess = did_you_mean(name, supported + others)
    return unreadable(
        f"unknown layer '{name}'",
        entry.mark,
        expected="a Keras layer name: " + ", ".join(supported),
        found=name,
        fix=f"did you mean '{guess}'?" if guess else "layer names are Keras class names, e.g. LSTM or Dense",
    )


def _argument_mark(entry: LayerEntry, problem: ArgumentError) -> Mark | None:
    item = entry.args.get(problem.argument)
    if item is None or problem.at_key:
        return entry.arg_key_mark(problem.argument)
    if problem.item is not None and isinstance(item.value, list) and problem.item < len(item.value):
        return item.value[problem.item].mark or item.mark
    return item.mark or entry.mark


def free_name(axis: int, taken: dict) -> str:
    """The name of a size written as null in input_shape: `time` for the first axis."""
    name = "time" if axis == 1 else f"dim{axis}"
    while name in taken:
        name += "_"
    return name


def shape_on_first_layer(stack: StackFile) -> tuple[str, Item] | None:
    """Keras 2 style: `input_shape` (or `input_dim`, one axis) given to the first layer, where that layer
    takes it as Keras' base Layer does (Embedding's own input_dim is its vocabulary)."""
    entry = stack.layers[0]
    own = REGISTRY[entry.type_name].arguments if entry.type_name in REGISTRY else {}
    if "input_shape" in entry.args and "input_shape" not in own:
        return "input_shape", entry.args["input_shape"]
    if "input_dim" in entry.args and "input_dim" not in own:
        return "input_dim", Item([entry.args["input_dim"]], entry.args["input_dim"].mark)
    return None


def input_shape_item(stack: StackFile) -> Item:
    """The stack's input shape: `input_shape:` at the top, or the first layer's (they must agree)."""
    on_layer = shape_on_first_layer(stack)
    if stack.input_shape is None and on_layer is None:
        raise unreadable("the stack file has no `input_shape:`", stack.mark,
                         expected="input_shape: at the top level (or, Keras 2 style, on the first layer)",
                         found="no input_shape", fix="add `input_shape: [steps, features]` (no batch axis)")
    if stack.input_shape is None:
        name, item = on_layer
        if not isinstance(item.value, list) or not item.value:
            raise unreadable(f"`{name}` must give the input's sizes", item.mark,
                             expected="a list such as [7, 12] (input_shape) or a number (input_dim)",
                             found=describe_value(item.plain()))
        return item
    if on_layer is not None and on_layer[1].plain() != stack.input_shape.plain():
        name, item = on_layer
        top = stack.input_shape
        raise unreadable(
            f"the first layer's {name} {item.plain()} contradicts `input_shape: {top.plain()}`", item.mark,
            expected="the same shape as `input_shape:`" + (f" (line {top.mark.line})" if top.mark else ""),
            found=str(item.plain()), fix="keep one of the two: `input_shape:` at the top is Keras 3's way")
    return stack.input_shape


def read_input_shape(stack: StackFile) -> Shape:
    """The (first) input's shape, batch first."""
    if stack.is_graph:
        from .graph import graph_shape_item

        name, item = next(iter(stack.inputs.value.items()))
        return read_shape(graph_shape_item(name, item), stack.symbols)
    return read_shape(input_shape_item(stack), stack.symbols)


def read_shape(shape_item: Item, symbols: dict) -> Shape:
    """An input shape as written (sizes, symbols, null), batch first."""
    stack = StackFile("", None, None, symbols, {}, shape_item, [])
    dims = [Dim.of(BATCH)]
    for axis, item in enumerate(shape_item.value, start=1):
        value = item.value
        if value is None:
            dims.append(Dim.of(free_name(axis, stack.symbols)))
            continue
        if isinstance(value, str) and value in stack.symbols:
            size = stack.symbols[value]
            dims.append(Dim.of(value if size is None else size))
            continue
        if isinstance(value, str):
            guess = did_you_mean(value, stack.symbols)
            declared = ", ".join(sorted(stack.symbols)) or "none"
            raise unreadable(
                f"'{value}' in input_shape is not a declared symbol",
                item.mark,
                expected=f"a number, null, or a name declared under `symbols:` (declared: {declared})",
                found=value,
                fix=f"did you mean '{guess}'?" if guess else f"declare it: `symbols: {{{value}: 12}}`, or null for a free size",
            )
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise unreadable(
                "each size in input_shape must be a positive integer, a symbol, or null",
                item.mark,
                expected="for example [7, 12] or [time, 12] (the batch axis is left out)",
                found=describe_value(value),
            )
        dims.append(Dim.of(value))
    return tuple(dims)


@dataclass(slots=True)
class Call:
    """One call of a layer in the plan: the tensors it reads and the names of those it makes."""

    entry: LayerEntry
    layer: Layer
    inputs: list[str]
    outputs: list[str]  # empty: named after the layer
    states: list[str] = field(default_factory=list)  # initial_state
    marks: dict = field(default_factory=dict)  # tensor name → where the call names it


def explain(stack: StackFile) -> Explanation:
    """The plan: every call of every layer, in order, with its shapes, parameters and sentences.
    A sequential stack is a chain of calls: each layer reads the one above."""
    ctx = Context(stack.symbols, build_layer=lambda item: build_layer(layer_entry(item), ctx))
    if stack.is_graph:
        from .graph import read_graph

        inputs, calls, outputs = read_graph(stack, ctx)
    else:
        inputs = {INPUT: read_input_shape(stack)}  # first: an undeclared symbol is reported where it is first used
        build = twin_builder(ctx)
        names = [INPUT] + [f"layer_{i}" for i in range(1, len(stack.layers) + 1)]  # tensors named only for the walk
        calls = [Call(entry, build(entry), [names[i]], [names[i + 1]]) for i, entry in enumerate(stack.layers)]
        outputs = [f"layer_{len(calls)}"]
    return walk(stack, inputs, calls, outputs)


INPUT = "input"
# Keras fills in `mask` only for a call with one tensor argument: with initial_state there are two.
MASK_NOT_GIVEN = ("Keras hands no padding mask to a layer called with initial_state (two tensor arguments), so "
                  "padded steps are read as data here")


def walk(stack: StackFile, inputs: dict[str, Shape], calls: list[Call], outputs: list[str]) -> Explanation:
    try:
        return _walk(stack, inputs, calls, outputs)
    except StackError as error:
        error.in_graph = stack.is_graph
        raise


def _walk(stack: StackFile, inputs: dict[str, Shape], calls: list[Call], outputs: list[str]) -> Explanation:
    tensors: dict[str, Shape] = dict(inputs)
    masks: dict[str, Shape | None] = dict.fromkeys(inputs)  # padding masks (from Embedding(mask_zero)), as shapes
    made_by: dict[str, Step] = {}
    first_call: dict[int, int] = {}  # id(layer) → the index of its first call (a reused layer shares its weights)
    names: list[str] = []  # sizes named because they grew long (size1, size2 …)
    short: set[int] = set()  # ids of (kept) shapes already found short: a deep stack meets the same few
    steps: list[Step] = []
    graph = stack.is_graph
    for index, call in enumerate(calls, start=1):
        layer, entry = call.layer, call.entry
        shape = [tensors[name] for name in call.inputs] if layer.takes_list else tensors[call.inputs[0]]
        mask = None if layer.takes_list else masks[call.inputs[0]]
        try:
            if not layer.takes_list and is_shape_list(shape):
                raise many_tensors(made_by[call.inputs[0]], layer)
            if call.states or layer.takes_list:
                state_shapes = {"initial_state": [tensors[name] for name in call.states]} if call.states else {}
                out = layer.output_shape(shape, **state_shapes)
                params = layer.params(shape)
                note = layer.why(shape, out, **state_shapes)
            else:
                out, params, note = layer.call_facts(shape)
            if mask is not None and not call.states:
                layer.check_mask(shape, mask)
        except ShapeMismatch as problem:
            before = made_by.get(call.inputs[0]) if call.inputs else None
            raise _does_not_fit(problem, index, layer, entry, steps, before, shape) from None
        mask_note = (MASK_NOT_GIVEN if call.states else layer.mask_note(mask)) if mask else None
        naming = []
        if id(out) not in short:
            out, naming = short_sizes(out, names)
            if not naming:
                short.add(id(out))
        notes = layer.notes()
        if not KERAS2_SHAPE.isdisjoint(layer.given):
            notes += input_shape_notes(layer, index, stack)
        first = first_call.setdefault(id(layer), index)
        step = Step(index, layer, entry, shape, out, params, note, mask_note, mask, notes + naming if naming else notes,
                    call.inputs, call.outputs, call.states, first if first != index else None)
        if step.shared_with is not None:
            check_reuse(steps[step.shared_with - 1], step)
        given = out if graph and is_shape_list(out) else [out]
        if len(step.outputs) != len(given):
            raise _does_not_fit(ShapeMismatch(
                f"{layer.keras_name} gives {len(given)} tensor{'s' if len(given) > 1 else ''}, but `out:` names "
                f"{len(step.outputs)}", expected=f"{len(given)} names: " + ", ".join(format_shape(g) for g in given),
                found=", ".join(step.outputs), fix="name each output (use _ for one you do not need)"),
                index, layer, entry, steps, None, shape) from None
        handed_on = layer.mask_shape(shape, mask) if not layer.takes_list else None
        if layer.takes_list and any(masks[name] is not None for name in call.inputs):
            step.notes.append("a padding mask reaches this layer: Keras combines the inputs' masks here, which "
                              "shapecli does not follow yet — the numbers are the unmasked ones")
        for name, tensor in zip(step.outputs, given):
            tensors[name], masks[name], made_by[name] = tensor, handed_on, step
            handed_on = None  # the mask goes with the first output only
        steps.append(step)
    dtypes = {name: input_dtype(name, steps) for name in inputs}
    first = next(iter(inputs))
    return Explanation(stack, inputs[first], dtypes[first], steps, inputs, outputs, tensors, dtypes)


def short_sizes(shape, names: list[str]) -> tuple:
    """The shape with each size that prints longer than LONGEST given a name, and the notes that define
    them — so a deep stack of strided layers keeps short sizes (and linear time and memory)."""
    if isinstance(shape, list):
        found = [short_sizes(one, names) for one in shape]
        return [one for one, _ in found], [note for _, notes in found for note in notes]
    if all(dim.is_known or len(str(dim)) <= LONGEST for dim in shape):
        return shape, []
    dims, notes = [], []
    for dim in shape:
        if not dim.is_known and len(str(dim)) > LONGEST:
            names.append(f"size{len(names) + 1}")
            notes.append(f"{names[-1]} = {dim}")
            dim = dim.named(names[-1])
        dims.append(dim)
    return tuple(dims), notes


def check_reuse(first: Step, again: Step) -> None:
    """A layer called again uses the same weights, so it must need weights of the same shapes."""
    built, wanted = first.layer.weight_shapes(first.input_shape), again.layer.weight_shapes(again.input_shape)
    if built != wanted:
        raise _does_not_fit(ShapeMismatch(
            f"{again.layer.name} was built at layer {first.index} for {format_shape(first.input_shape)}; called again "
            f"on {format_shape(again.input_shape)} it would need other weights",
            expected="weights " + ", ".join(f"{n} {'×'.join(map(str, s))}" for n, s in built),
            found="weights " + ", ".join(f"{n} {'×'.join(map(str, s))}" for n, s in wanted),
            fix="a reused layer shares its weights: call it on tensors of the same feature size"),
            again.index, again.layer, again.entry, [], None, again.input_shape)


def input_dtype(name: str, steps: list[Step]) -> str:
    """int32 token ids for an input an Embedding reads, else float32."""
    return "int32" if token_readers(name, steps) else "float32"


def token_readers(name: str, steps: list[Step]) -> list[Layer]:
    """The layers with a vocabulary (Embedding) that read tensor `name`: directly, or through layers whose
    output holds the input's values, moved at most (Dropout at inference, Flatten, Reshape …), as Keras
    runs them on token ids. Direct readers first, in the order of the calls; followed without recursion,
    however long the chain."""
    readers: dict[str, list[Step]] = {}
    for step in steps:
        for tensor in step.inputs:
            readers.setdefault(tensor, []).append(step)
    found, waiting, met = [], [name], {name}
    for tensor in waiting:  # grows as pass-through layers hand the values on
        for step in readers.get(tensor, []):
            if step.layer.vocabulary() is not None:
                found.append(step.layer)
            elif step.layer.passes_values_on:
                waiting += [out for out in step.outputs if out not in met]
                met.update(step.outputs)
    return found


def many_tensors(before: Step, layer: Layer) -> ShapeMismatch:
    """A layer that gives a list (return_state) feeding a layer that takes one tensor."""
    shapes = before.output_shape
    return ShapeMismatch(
        f"{before.layer.title()} gives {len(shapes)} tensors ({', '.join(format_shape(s) for s in shapes)}), and "
        f"{layer.keras_name} takes one",
        expected="one tensor passed from layer to layer (a sequential stack)",
        found=f"a list of {len(shapes)}: {before.layer.list_output_names()}",
        fix=before.layer.list_output_fix())


KERAS2_SHAPE = frozenset({"input_shape", "input_dim"})


def input_shape_notes(layer: Layer, index: int, stack: StackFile) -> list[str]:
    """What Keras 3 does with Keras 2's input_shape / input_dim on a layer."""
    if KERAS2_SHAPE.isdisjoint(layer.given):
        return []
    given = [name for name in ("input_shape", "input_dim") if name in layer.given and name not in layer.arguments]
    if not given:
        return []
    if index > 1:
        return [f"{given[0]} on a layer that is not the first: Keras 3 ignores it (with a warning)"]
    if stack.input_shape is None:
        return [f"{given[0]} on the first layer is Keras 2 style: Keras 3 warns and starts the model with "
                "Input(shape=…) from it; `input_shape:` at the top of the stack file says the same"]
    return [f"{given[0]} on the first layer repeats `input_shape:`; Keras 3 warns about it: one of the two is enough"]


def _does_not_fit(problem: ShapeMismatch, index: int, layer: Layer, entry: LayerEntry, steps: list[Step],
                  before: Step | None, shape: Shape) -> StackError:
    """`before`: the step that made the tensor the failing layer reads (None: an input of the stack)."""
    error = StackError.from_problem(problem, EXIT_DOES_NOT_FIT, entry.mark, f"layer {index}, {layer.title()}: ")
    error.fitted, error.failed_at = list(steps), index
    if problem.wanted_rank is not None:
        if before is not None:
            hint = before.layer.hint_for_rank(problem.wanted_rank)
            if hint is not None:
                did, fix = hint
                line = f" (line {before.entry.mark.line})" if before.entry.mark else ""
                error.fix = f"layer {before.index}, {before.layer.title()}{line}, {did}: {fix}"
            error.notes.append(f"layer {before.index}, {before.layer.title()}, outputs {format_shape(before.output_shape)}")
        else:
            if problem.wanted_rank == len(shape) - 1:
                error.notes.append(f"input_shape leaves the batch axis out: if {shape[1]} is the batch size, remove "
                                   f"it, giving input_shape: [{', '.join(str(d) for d in shape[2:])}]")
            if error.fix is None:
                error.fix = "change input_shape (the batch axis is left out of it)"
    return error
