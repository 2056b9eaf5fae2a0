"""The symbolic engine: build each layer of a stack file and walk the shapes through.

`explain(stack)` returns an `Explanation`: per layer, input shape -> output shape,
parameter count and the sentence saying why. Errors come out as located
`StackError`s (exit 2: the file cannot be read as a stack; exit 1: the layers
do not fit together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import (
    EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, ArgumentError, Mark, ShapeMismatch, StackError, describe_value, did_you_mean, unreadable,
)
from .layers import REGISTRY, Context, Layer
from .shapes import BATCH, Dim, Shape, format_shape
from .stackfile import Item, LayerEntry, StackFile, layer_entry

def keras_layer_names() -> list[str]:
    """Every layer class Keras 3 exports, as tools/make_keras_reference.py wrote them from Keras itself."""
    text = (Path(__file__).parent / "keras_layer_names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass
class Step:
    index: int  # 1-based, as shown
    layer: Layer
    entry: LayerEntry
    input_shape: Shape
    output_shape: Shape
    params: int
    why: str  # why the shape changed
    mask_note: str | None = None  # what the layer does with the padding mask it receives
    mask: Shape | None = None  # that mask's shape: batch and the masked axes
    notes: list[str] = field(default_factory=list)  # about the arguments given (Keras 2 names, …)

    @property
    def note(self) -> str:
        return self.why if not self.mask_note else f"{self.why}; {self.mask_note}"


@dataclass
class Explanation:
    stack: StackFile
    input_shape: Shape
    input_dtype: str
    steps: list[Step]

    @property
    def output_shape(self) -> Shape:
        return self.steps[-1].output_shape

    @property
    def total_params(self) -> int:
        return sum(step.params for step in self.steps)


def build_layer(entry: LayerEntry, ctx: Context) -> Layer:
    cls = REGISTRY.get(entry.type_name)
    if cls is None:
        raise unknown_layer(entry)
    try:
        return cls.from_items(entry.args, ctx)
    except ArgumentError as problem:
        prefix = "" if problem.message.startswith(entry.type_name) else f"{entry.type_name}: "
        raise StackError.from_problem(problem, EXIT_UNREADABLE, _argument_mark(entry, problem), prefix) from None


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
    dims = [Dim.of(BATCH)]
    for axis, item in enumerate(input_shape_item(stack).value, start=1):
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


def explain(stack: StackFile) -> Explanation:
    ctx = Context(stack.symbols, build_layer=lambda item: build_layer(layer_entry(item), ctx))
    shape = read_input_shape(stack)  # first: an undeclared symbol is reported where it is first used
    layers = [build_layer(entry, ctx) for entry in stack.layers]
    first_input = shape
    steps: list[Step] = []
    mask = None  # the padding mask coming in (from Embedding(mask_zero=True)), as a shape
    for index, (layer, entry) in enumerate(zip(layers, stack.layers), start=1):
        try:
            out = layer.output_shape(shape)
            params = layer.params(shape)
            note = layer.why(shape, out)
            if mask is not None:
                layer.check_mask(shape, mask)
        except ShapeMismatch as problem:
            raise _does_not_fit(problem, index, layer, entry, steps, shape) from None
        steps.append(Step(index, layer, entry, shape, out, params, note, layer.mask_note(mask) if mask else None, mask,
                          layer.notes() + input_shape_notes(layer, index, stack)))
        shape, mask = out, layer.mask_shape(shape, mask)
    dtype = "int32" if layers[0].vocabulary() is not None else "float32"  # token ids for an Embedding
    return Explanation(stack, first_input, dtype, steps)


def input_shape_notes(layer: Layer, index: int, stack: StackFile) -> list[str]:
    """What Keras 3 does with Keras 2's input_shape / input_dim on a layer."""
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
                  shape: Shape) -> StackError:
    error = StackError.from_problem(problem, EXIT_DOES_NOT_FIT, entry.mark, f"layer {index}, {layer.title()}: ")
    error.fitted, error.failed_at = list(steps), index
    if problem.wanted_rank is not None:
        if steps:
            before = steps[-1]
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
