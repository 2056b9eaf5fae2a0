"""TimeDistributed and Bidirectional: layers that hold one inner layer."""

from __future__ import annotations

from typing import Any

from ..errors import ArgumentError, ShapeMismatch
from ..shapes import Dim, Shape, format_shape
from .base import Arg, Context, Layer, accepted, choice, each_step, register
from .core import Dense
from .recurrent import RNN


def inner_layer(item: Any, name: str, ctx: Context) -> Layer:
    """A wrapper's `layer:` — one layer entry, built like any other."""
    return ctx.build_layer(item)


@register
class TimeDistributed(Layer):
    arguments = {"layer": Arg(inner_layer, raw=True)}

    def check(self) -> None:
        if not isinstance(self.layer, Layer):
            raise ArgumentError("layer", "TimeDistributed wraps a layer", expected="a layer such as {Dense: {units: 12}}", found=repr(self.layer))

    def step_shape(self, input_shape: Shape) -> Shape:
        """What the inner layer sees: one time step, the time axis folded into the batch."""
        if len(input_shape) < 3:
            raise ShapeMismatch(
                f"TimeDistributed needs at least a 3D input (batch, time, ...), but gets a {len(input_shape)}D one",
                expected="(batch, time, ...): it applies the inner layer to each step of the time axis",
                found=format_shape(input_shape),
                wanted_rank=3,
            )
        return (input_shape[0], *input_shape[2:])

    def output_shape(self, input_shape: Shape) -> Shape:
        inner_out = self.layer.output_shape(self.step_shape(input_shape))
        return (input_shape[0], input_shape[1], *inner_out[1:])

    def weight_shapes(self, input_shape: Shape) -> list:
        return self.layer.weight_shapes(self.step_shape(input_shape))

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        steps = each_step(input_shape[1])
        if isinstance(self.layer, Dense):
            return (
                f"the same Dense {input_shape[-1]}→{self.layer.units} is applied at {steps} "
                "(weights shared across time)"
            )
        step_in = self.step_shape(input_shape)
        step_out = self.layer.output_shape(step_in)
        shared = " (weights shared across time)" if self.layer.weight_shapes(step_in) else ""
        return (
            f"applies {self.layer.title()} to {steps} separately: "
            f"{format_shape(step_in[1:])} → {format_shape(step_out[1:])} per step{shared}"
        )


MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@register
class Bidirectional(Layer):
    arguments = {
        "layer": Arg(inner_layer, raw=True),
        "merge_mode": Arg(choice(*MERGE_MODES), "concat"),
        "backward_layer": Arg(inner_layer, None, raw=True, shown=False),
        "weights": Arg(accepted, None, shown=False),
    }

    def check(self) -> None:
        for argument in ("layer", "backward_layer"):
            inner = getattr(self, argument)
            if inner is not None and not isinstance(inner, RNN):
                raise ArgumentError(
                    argument,
                    f"Bidirectional wraps a recurrent layer, not {inner.keras_name}",
                    expected="SimpleRNN, LSTM or GRU",
                    found=inner.title(),
                    fix="wrap an LSTM, GRU or SimpleRNN; a non-recurrent layer has no direction to reverse",
                )
        back = self.backward_layer
        if back is not None and (back.units != self.layer.units or back.return_sequences != self.layer.return_sequences):
            raise ArgumentError(
                "backward_layer",
                "backward_layer must match layer in units and return_sequences",
                expected=f"units={self.layer.units}, return_sequences={self.layer.return_sequences}",
                found=f"units={back.units}, return_sequences={back.return_sequences}",
            )

    @property
    def backward(self) -> RNN:
        return self.backward_layer or self.layer

    def output_shape(self, input_shape: Shape) -> Shape:
        forward = self.layer.output_shape(input_shape)
        self.backward.output_shape(input_shape)
        if self.merge_mode is None:
            raise ShapeMismatch(
                "merge_mode=None makes Bidirectional return two tensors, [forward, backward]",
                expected="one tensor passed from layer to layer (a sequential stack)",
                found="two outputs",
                fix="choose merge_mode concat, sum, mul or ave",
            )
        width = forward[-1] * 2 if self.merge_mode == "concat" else forward[-1]
        return (*forward[:-1], width)

    def weight_shapes(self, input_shape: Shape) -> list:
        return [("forward_" + n, s) for n, s in self.layer.weight_shapes(input_shape)] + [
            ("backward_" + n, s) for n, s in self.backward.weight_shapes(input_shape)
        ]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        units = self.layer.units
        time = input_shape[1]
        where = "at each step" if self.layer.return_sequences else "each direction's final output"
        merged = {
            "concat": f"concat puts the two {units}-unit outputs side by side: {units}+{units} = {Dim.of(2 * units)}",
            "sum": f"sum adds the two {units}-unit outputs: the width stays {units}",
            "mul": f"mul multiplies the two {units}-unit outputs value by value: the width stays {units}",
            "ave": f"ave averages the two {units}-unit outputs: the width stays {units}",
        }[self.merge_mode]
        return f"runs {self.layer.title()} forwards and a copy backwards over the {time} steps; {merged} ({where})"

    def hint_for_rank(self, wanted_rank: int) -> tuple[str, str] | None:
        return self.layer.hint_for_rank(wanted_rank)
