"""The Layer base class, its argument declarations, and the layer registry.

Each layer is one class, registered under its Keras name, that owns
  - `arguments`: its Keras 3 constructor arguments, defaults and validation,
  - `output_shape(input_shape)`: its shape rule on symbolic dims,
  - `weight_shapes(input_shape)`: its weights, in Keras `get_weights()` order,
  - `why(input_shape, output_shape)`: one plain sentence saying why the shape changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, NamedTuple

from ..activations import ACTIVATIONS, NOT_LAYER_ACTIVATIONS
from ..claims import padding_counts
from ..errors import ArgumentError, ShapeMismatch, describe_value, did_you_mean
from ..lazy_numpy import np
from ..shapes import Dim, Shape, format_shape, product

REGISTRY: dict[str, type["Layer"]] = {}
WORK_PER_INPUT, WORK_PER_OUTPUT = 4, 8  # float32-sized values per input and output value, while claims run



def register(cls: type["Layer"]) -> type["Layer"]:
    REGISTRY[cls.__name__] = cls
    return cls


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED = _Required()


@dataclass
class Context:
    """What argument conversion needs from the stack: its symbols, and a way
    to build the inner layer of a wrapper."""

    symbols: dict[str, int | None]
    build_layer: Callable[[Any], "Layer"]


def _no_stack(item: Any) -> "Layer":
    raise ArgumentError("layer", "a wrapped layer must be a layer", expected="a Layer instance, e.g. Dense(units=12)", found=describe_value(item))


NO_STACK = Context({}, build_layer=_no_stack)  # for layers built directly in Python


# -- argument converters: (value, argument name, context) -> checked value ------
def resolve_symbol(value: Any, name: str, ctx: Context, item: int | None = None) -> Any:
    """A symbol name stands for its declared size; an undeclared one is an error."""
    if not isinstance(value, str):
        return value
    if value in ctx.symbols:
        size = ctx.symbols[value]
        return value if size is None else size
    if value.strip().lstrip("-").isdigit():
        raise ArgumentError(name, f"`{name}` is the text '{value}', not a number", expected="a number",
                            found=f"'{value}' in quotes", fix=f"write the number without quotes: `{name}: {value.strip()}`",
                            item=item)
    declared = sorted(ctx.symbols)
    guess = did_you_mean(value, declared)
    raise ArgumentError(
        name,
        f"'{value}' is not a declared symbol",
        expected="a number, or a name declared under `symbols:`"
        + (f" (declared: {', '.join(declared)})" if declared else " (none are declared)"),
        found=value,
        fix=f"did you mean '{guess}'?" if guess else f"declare it: `symbols: {{{value}: 12}}` (or null for a free size)",
        item=item,
    )


def positive_int(value: Any, name: str, ctx: Context, item: int | None = None) -> int:
    resolved = resolve_symbol(value, name, ctx, item)
    if isinstance(resolved, str):
        raise ArgumentError(
            name,
            f"`{name}` needs a known number, but symbol '{value}' is free (null)",
            expected="a positive integer",
            found=f"the free symbol {value}",
            fix=f"give '{value}' a size under `symbols:`",
            item=item,
        )
    if isinstance(resolved, bool) or not isinstance(resolved, int) or resolved <= 0:
        raise ArgumentError(
            name,
            f"`{name}` must be a positive integer",
            expected="a positive integer" + (" (booleans are not integers)" if isinstance(resolved, bool) else ""),
            found=describe_value(resolved),
            fix=f"write e.g. `{name}: 12`",
            item=item,
        )
    return resolved


def boolean(value: Any, name: str, ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(name, f"`{name}` must be true or false", expected="true or false", found=describe_value(value))
    return value


def activation(value: Any, name: str, ctx: Context) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in NOT_LAYER_ACTIVATIONS:
        raise ArgumentError(name, f"activation {value!r} cannot be a layer's activation here",
                            expected="an activation that keeps the shape and needs no arguments, e.g. relu, tanh, softmax",
                            found=value, fix=NOT_LAYER_ACTIVATIONS[value])
    if not isinstance(value, str) or value not in ACTIVATIONS:
        guess = did_you_mean(str(value), ACTIVATIONS)
        raise ArgumentError(
            name,
            f"unknown activation {value!r}" if isinstance(value, str) else f"`{name}` must be an activation name",
            expected="a Keras activation name such as relu, tanh, sigmoid, softmax, linear",
            found=describe_value(value),
            fix=f"did you mean '{guess}'?" if guess else "see keras.activations for the list",
        )
    return value


def choice(*options: Any, lowercase: bool = False) -> Callable:
    def convert(value: Any, name: str, ctx: Context) -> Any:
        key = value.lower() if lowercase and isinstance(value, str) else value
        if key in options:
            return key
        shown = ", ".join("null" if o is None else str(o) for o in options)
        guess = did_you_mean(str(value), [str(o) for o in options if o is not None])
        raise ArgumentError(
            name,
            f"`{name}` must be one of {shown}",
            expected=shown,
            found=describe_value(value),
            fix=f"did you mean '{guess}'?" if guess else None,
        )

    return convert


def fraction(value: Any, name: str, ctx: Context) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ArgumentError(
            name, f"`{name}` must be a number from 0 to 1", expected="a number from 0 to 1", found=describe_value(value)
        )
    return float(value)


def non_negative(value: Any, name: str, ctx: Context) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ArgumentError(name, f"`{name}` must be a number ≥ 0", expected="a small number such as 0.001", found=describe_value(value))
    return float(value)


def one_positive_int(value: Any, name: str, ctx: Context) -> int:
    """An int, or a list of one int (Keras' 1D `kernel_size`, `strides`, ...)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ArgumentError(name, f"`{name}` takes one number for a 1D layer", expected="an integer or a list of one", found=f"a list of {len(value)}")
        return positive_int(value[0], name, ctx, item=0)
    return positive_int(value, name, ctx)


def optional(convert: Callable) -> Callable:
    def convert_optional(value: Any, name: str, ctx: Context) -> Any:
        return None if value is None else convert(value, name, ctx)

    return convert_optional


def int_or_int_list(value: Any, name: str, ctx: Context) -> Any:
    if isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, int):
                raise ArgumentError(name, f"`{name}` must hold integers", expected="integers", found=describe_value(v), item=i)
        return list(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(name, f"`{name}` must be an integer or a list of integers", expected="an integer such as -1", found=describe_value(value))
    return value


def accepted(value: Any, name: str, ctx: Context) -> Any:
    """Accepted as Keras accepts it; it changes no shape (initializers, regularizers ...)."""
    return value


def text(value: Any, name: str, ctx: Context) -> Any:
    if value is not None and not isinstance(value, str):
        raise ArgumentError(name, f"`{name}` must be text", expected="text", found=describe_value(value))
    return value


@dataclass(frozen=True)
class Arg:
    convert: Callable
    default: Any = REQUIRED
    shown: bool = True  # appears in the layer's title when not the default
    raw: bool = False  # the converter takes the stack file Item (wrappers' `layer`)
    note: str | None = None  # said when the argument is given (Keras 2 names Keras 3 still accepts, …)


def ignored(*names: str, default: Any = None) -> dict[str, Arg]:
    """Keras arguments that change no shape or parameter count."""
    return {n: Arg(accepted, default, shown=False) for n in names}


REMOVED_EVERYWHERE = {  # Keras 2 arguments Keras 3's Layer refuses ("Unrecognized keyword arguments")
    "batch_input_shape": "Keras 3 refuses batch_input_shape on a layer: write `input_shape:` at the top, without "
                         "the batch axis",
    "batch_size": "Keras 3 takes a batch size only in keras.Input; shapecli leaves the batch free",
}

COMMON_ARGUMENTS = {  # keras.layers.Layer's own arguments, which every layer takes
    "name": Arg(text, None, shown=False),
    "trainable": Arg(accepted, True, shown=False),
    "dtype": Arg(accepted, None, shown=False),
    "autocast": Arg(accepted, True, shown=False),
    "activity_regularizer": Arg(accepted, None, shown=False),
    "input_shape": Arg(accepted, None, shown=False),  # Keras 2 style; the engine says what Keras 3 does with them
    "input_dim": Arg(accepted, None, shown=False),
}


class ArgumentTable(NamedTuple):
    """What constructing, noting and titling a layer class need to know of its arguments."""

    known: dict[str, Arg]  # all of them: Layer's own, then the class's (which win: Embedding's input_dim)
    defaults: dict[str, Any]  # of the optional ones
    required: frozenset[str]
    notes: tuple[tuple[str, str], ...]  # (name, note) of those said when given
    order: dict[str, int]  # each one's place in `known`
    shown: tuple[tuple[str, Arg], ...]  # the class's own that a title and JSON show (not initializers …)
    raw: bool  # whether one is taken as its stack-file Item (a wrapper's `layer`)

    @classmethod
    def of(cls, layer_class: type["Layer"]) -> "ArgumentTable":
        known = {**COMMON_ARGUMENTS, **layer_class.arguments}
        return cls(known, {k: a.default for k, a in known.items() if a.default is not REQUIRED},
                   frozenset(k for k, a in known.items() if a.default is REQUIRED),
                   tuple((k, a.note) for k, a in known.items() if a.note), {k: i for i, k in enumerate(known)},
                   tuple((k, a) for k, a in layer_class.arguments.items() if a.shown),
                   any(a.raw for a in known.values()))


# -- the base class --------------------------------------------------------------
class Layer:
    """A Keras layer. Most take one tensor: `input_shape` is a Shape and `x` an array. A layer with
    `takes_list` (merges, attention) is called on a list of tensors, as in Keras: its `input_shape` is a
    list of Shapes and `x` a list of arrays (and `mask` a list, one per input, or None). A layer may give
    several tensors (return_state): its output shape is then a list of Shapes and its forward a list."""

    takes_list: ClassVar[bool] = False
    passes_values_on: ClassVar[bool] = False  # its output holds the input's values, moved at most (Dropout,
    # Flatten, Reshape …): token ids reach an Embedding through it
    call_arguments: ClassVar[tuple[str, ...]] = ()  # what a call may give besides the tensors (initial_state)
    arguments: ClassVar[dict[str, Arg]] = {}
    # Arguments Keras 3 no longer takes, with what to do instead.
    removed_arguments: ClassVar[dict[str, str]] = {}

    def __init__(self, _context: Context | None = None, **kwargs: Any):
        """Keras-style construction: `LSTM(units=8, return_sequences=True)`.
        Every argument is checked here, however the layer is built."""
        ctx = _context or NO_STACK
        table = type(self).argument_table()
        known, order = table.known, table.order
        for key in kwargs:
            if key not in known:
                raise self.unknown_argument(key)
        values = dict(table.defaults)
        missing = min((order[key] for key in table.required if key not in kwargs), default=len(order))
        for key in sorted(kwargs, key=order.__getitem__):  # checked in declaration order, as is a missing one
            if order[key] > missing:
                break
            values[key] = known[key].convert(kwargs[key], key, ctx)
        if missing < len(order):
            key = list(known)[missing]
            raise ArgumentError(
                key,
                f"{self.keras_name} needs `{key}`",
                expected=f"`{key}:` among the arguments of {self.keras_name}",
                found="no " + key,
                fix=f"add `{key}: ...`, e.g. `{self.keras_name}: {{{key}: 12}}`",
            )
        self.__dict__.update(values)
        self.given = frozenset(kwargs)
        self.facts: dict = {}  # what is worked out from the arguments alone, shared with its twins
        self.check()

    def twin(self) -> "Layer":
        """A layer with the same arguments and weights of its own. A deep stack writes the same layer
        again and again: each is copied from the first (its arguments checked once), and they share
        `facts` — the title, and each call's shapes, parameters and sentence."""
        made = object.__new__(type(self))
        made.__dict__.update(self.__dict__)
        return made

    def call_facts(self, input_shape: Shape) -> tuple[Shape, int, str]:
        """(output shape, parameters, sentence) of a call on one tensor of `input_shape`, without a mask
        or initial state: worked out once per shape for this layer and its twins. Found by the shape object
        first (a deep stack hands the same one on; it is kept in the entry, so its id is not reused), then
        by its value."""
        seen = self.facts.get(id(input_shape))
        if seen is not None and seen[0] is input_shape:
            return seen[1]
        found = self.facts.get(input_shape)
        if found is None:
            out = self.output_shape(input_shape)
            found = self.facts[input_shape] = (out, self.params(input_shape), self.why(input_shape, out))
        self.facts[id(input_shape)] = (input_shape, found)
        return found

    @classmethod
    def argument_table(cls) -> "ArgumentTable":
        """Made once per class: a deep stack builds thousands of layers."""
        table = cls.__dict__.get("_arguments_table")
        if table is None:
            table = cls._arguments_table = ArgumentTable.of(cls)
        return table

    def notes(self) -> list[str]:
        """What to tell about the arguments given (deprecated names and what Keras 3 does with them)."""
        found = self.facts.get("notes")
        if found is None:
            found = self.facts["notes"] = [note for key, note in type(self).argument_table().notes if key in self.given]
        return list(found)

    @property
    def keras_name(self) -> str:
        return type(self).__name__

    @classmethod
    def all_arguments(cls) -> dict[str, Arg]:
        return cls.argument_table().known

    @classmethod
    def unknown_argument(cls, key: str) -> ArgumentError:
        names = list(cls.arguments)
        removed = {**REMOVED_EVERYWHERE, **cls.removed_arguments}
        if key in removed:
            fix = removed[key]
        elif key in REGISTRY and "layer" in cls.arguments:  # TimeDistributed: {Dense: {...}}
            fix = f"a wrapper takes its layer under `layer:` — `{cls.__name__}: {{layer: {{{key}: {{...}}}}}}`"
        else:
            guess = did_you_mean(key, names)
            fix = f"did you mean '{guess}'?" if guess else None
        return ArgumentError(
            key,
            f"{cls.__name__} has no argument `{key}`",
            expected=f"arguments of {cls.__name__}: {', '.join(n for n, a in cls.arguments.items() if a.shown)}",
            found=key,
            fix=fix,
            at_key=True,
        )

    @classmethod
    def from_items(cls, items: dict, ctx: Context) -> "Layer":
        """Build from stack-file Items (raw arguments, e.g. a wrapper's `layer`, keep theirs)."""
        known = cls.all_arguments()
        values = {key: item if key in known and known[key].raw else item.plain() for key, item in items.items()}
        return cls(_context=ctx, **values)

    def check(self) -> None:
        """Cross-argument validation; raise ArgumentError."""

    # -- shapes, weights, words -------------------------------------------------
    def output_shape(self, input_shape: Shape) -> Shape:
        raise NotImplementedError

    def weight_shapes(self, input_shape: Shape) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each weight, in Keras `get_weights()` order."""
        return []

    def params(self, input_shape: Shape) -> int:
        total = 0
        for _, shape in self.weight_shapes(input_shape):
            count = 1
            for n in shape:
                count *= n
            total += count
        return total

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        raise NotImplementedError

    def params_formula(self, input_shape: Shape) -> str | None:
        """Where the parameter count comes from, when it is worth saying (`4 gates × (12·128 + …)`)."""
        return None

    def lesson(self, input_shape: Shape) -> str | None:
        """The `shapecli compare` lesson about this layer, when there is one."""
        return None

    def time_distributed_why(self, input_shape: Shape) -> str | None:
        """The sentence for TimeDistributed(this layer) on `input_shape`, when the layer has its own."""
        return None

    def hint_for_rank(self, wanted_rank: int) -> tuple[str, str] | None:
        """When the next layer wanted another rank: (what this layer did, the fix)."""
        return None

    # -- numbers: NumPy forward and the claims it can prove ----------------------
    def forward(self, x, weights: list, mask=None):
        """The layer's output for input `x` (a NumPy array, batch first), with
        `weights` in Keras `get_weights()` order. `mask` marks real time steps."""
        raise NotImplementedError

    def vocabulary(self) -> int | None:
        """How many token ids this layer takes, when its input is ids (Embedding), else None."""
        return None

    # -- masks: which time steps are real, after Embedding(mask_zero=True) -------------
    def keeps_mask(self) -> bool:
        """Whether an incoming mask reaches the next layer (Keras drops it unless a layer hands it on)."""
        return False

    def creates_mask(self) -> bool:
        return False

    def mask_shape(self, input_shape: Shape, mask: Shape | None) -> Shape | None:
        """The padding mask the next layer receives, as a shape (batch and the masked axes), or None."""
        if self.creates_mask():
            return input_shape
        return mask if self.keeps_mask() else None

    def check_mask(self, input_shape: Shape, mask: Shape) -> None:
        """A layer that uses the mask raises ShapeMismatch when it cannot pair the mask with its input."""

    def mask_mismatch(self, input_shape: Shape, mask: Shape, wanted: Shape, what: str) -> None:
        """Raise when the incoming mask is not `wanted` (the axes this layer would mask)."""
        if tuple(mask) != tuple(wanted):
            raise ShapeMismatch(
                f"the padding mask {format_shape(mask)} cannot pair with {what} of {format_shape(input_shape)}: "
                "Keras fails when the model runs",
                expected=f"a mask {format_shape(wanted)}", found=f"a mask {format_shape(mask)}",
                fix="use the mask before a layer changes the masked axes, or drop it (mask_zero: false)")

    def uses_mask(self) -> bool:
        """Whether its numbers depend on the mask (recurrent layers skip padded steps, …)."""
        return False

    def mask_note(self, mask: Shape) -> str | None:
        """What this layer does with the mask it receives, for `why`."""
        if self.keeps_mask():
            return None
        return "the padding mask stops here: from here on, padded steps count as data"

    def output_mask(self, x, mask):
        """The mask the next layer receives (a boolean array, batch × time), or None."""
        return mask if self.keeps_mask() else None

    def claims(self, x, y, weights: list, mask=None) -> list:
        """The sentence of `why`, checked on these numbers (a list of Claim backing WHY). Each expected
        value is computed independently of `forward` (see shapecli.reference)."""
        return []

    def mask_claims(self, x, y, weights: list, mask) -> list:
        """The mask note, checked on an input with padded steps. By default the mask stops here, so
        the layer reads padded values like any others."""
        return [] if self.keeps_mask() else padding_counts(self, x, y, weights, mask)

    def idle_weights(self, x, mask=None, **extras) -> set[int]:
        """Weights (by get_weights() index) that cannot move the output on this input (a recurrent kernel
        when there is a single step from zero states): the weights_used claim lets them be."""
        return set()

    def untested(self, which: str) -> str | None:
        """Why a sentence (WHY or MASK) cannot be put to a numeric test, when it cannot."""
        return None

    # -- the run: weights drawn at random, sizes bound to numbers --------------------------
    def draw_weights(self, input_shape: Shape, rng) -> list:
        """Random weights in get_weights() order, at a sensible scale: each kernel ~ N(0, 1/fan_in)
        (fan_in: all its axes but the last), each vector small."""
        return [kernel_weight(shape, rng) if len(shape) > 1 else small_weight(shape, rng)
                for _, shape in self.weight_shapes(input_shape)]

    def bind(self, bindings: dict[str, int], input_shape: Shape = ()) -> "Layer":
        """This layer with its free sizes bound to numbers (the run executes it). Raise ShapeMismatch
        when the bound sizes break a condition the symbolic shape rule stated."""
        return self

    def scratch_size(self, input_shape: Shape) -> Dim:
        """Values the forward needs beyond its output (for the memory estimate)."""
        return Dim.of(0)

    def working_size(self, input_shape: Shape, output_shape: Shape) -> Dim:
        """Values needed beside the kept ones while the layer runs and its claims are checked: the
        forward's scratch, and what a claim makes — an input with padding nudged, a reference output in
        float64, the forward run again (measured: benchmarks/memory.py)."""
        return self.scratch_size(input_shape) + WORK_PER_INPUT * values(input_shape) + \
            WORK_PER_OUTPUT * values(output_shape)

    def config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.arguments}

    def variant(self, **changes: Any) -> "Layer":
        """The same layer with some arguments changed (it uses the same weights)."""
        return type(self)(**{**self.config(), **changes})

    def title(self) -> str:
        """`LSTM(128, return_sequences=True)`: required arguments, then changed ones (worked out once: a
        layer's arguments do not change after it is built)."""
        made = self.facts.get("title")
        if made is None:
            made = self.facts["title"] = self._title()
        return made

    def _title(self) -> str:
        parts = []
        for key, arg in type(self).argument_table().shown:
            value = getattr(self, key)
            if arg.default is REQUIRED:
                parts.append(_show(value))
            elif value != arg.default:
                parts.append(f"{key}={_show(value)}")
        return f"{self.keras_name}({', '.join(parts)})"

    # -- helpers for subclasses ---------------------------------------------------
    def require_rank(self, input_shape: Shape, rank: int, meaning: str, fix: str | None = None) -> None:
        if len(input_shape) != rank:
            raise ShapeMismatch(
                f"{self.keras_name} needs a {rank}D input {meaning}, but gets a {len(input_shape)}D one",
                expected=f"{rank}D {meaning}",
                found=format_shape(input_shape),
                fix=fix,
                wanted_rank=rank,
            )

    def require_known(self, dim: Dim, what: str, why: str, fix: str) -> int:
        if not dim.is_known:
            raise ShapeMismatch(
                f"{self.keras_name} needs to know {what}, but it is {dim}",
                expected=f"a fixed number for {what} — {why}",
                found=f"{dim}, which depends on " + ", ".join(sorted(dim.symbols)),
                fix=fix,
            )
        return dim.value


def is_shape_list(shape_or_shapes) -> bool:
    """A list of Shapes (several tensors) rather than one Shape (a tuple of Dims)."""
    return isinstance(shape_or_shapes, list)


def values(shape_or_shapes) -> Dim:
    """How many values a tensor (batch included) — or a list of tensors — holds."""
    if is_shape_list(shape_or_shapes):
        total = Dim.of(0)
        for shape in shape_or_shapes:
            total = total + product(shape)
        return total
    return product(shape_or_shapes)


def normal(shape: tuple, rng, scale: float, mean: float = 0.0):
    """float32 N(mean, scale²), drawn as float32 (no float64 copy of a large table)."""
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= scale
    w += mean
    return w


def kernel_weight(shape: tuple, rng):
    fan_in = 1
    for n in shape[:-1]:
        fan_in *= n
    return normal(shape, rng, 1 / max(fan_in, 1) ** 0.5)


def small_weight(shape: tuple, rng):
    return normal(shape, rng, 0.1)


def _show(value: Any) -> str:
    if isinstance(value, Layer):
        return value.title()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "(" + ", ".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def each_step(time: Dim) -> str:
    """'each of 7 steps' or 'each of the time steps'."""
    return f"each of {time} steps" if time.is_known else f"each of the {time} steps"


def factor(dim: Dim) -> str:
    """A size as it reads inside a product: `(time-2)` gets brackets, `time` and `12` do not."""
    return str(dim) if dim.is_known or dim.is_atom else f"({dim})"


def plural(n: "int | Dim", word: str) -> str:
    """'1 unit', '12 units', 'time units'; 'bias' -> 'biases'."""
    one = isinstance(n, int) and n == 1 or isinstance(n, Dim) and n == 1
    return f"{n} {word}" if one else f"{n} {word}{'es' if word.endswith('s') else 's'}"
