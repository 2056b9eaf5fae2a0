"""TimeDistributed and Bidirectional: layers that hold one inner layer."""

from __future__ import annotations

from typing import Any

from .. import reference
from ..claims import MASK, exactly_equal, padding_ignored, same_numbers
from ..errors import ArgumentError, ShapeMismatch
from ..lazy_numpy import np
from ..ops import side_by_side, side_by_side_pays
from ..shapes import Dim, Shape, format_shape
from .base import Arg, Context, Layer, accepted, choice, each_step, register
from .recurrent import RNN, real_steps


def inner_layer(item: Any, name: str, ctx: Context) -> Layer:
    """A wrapper's `layer:` — one layer entry, built like any other."""
    return item if item is None or isinstance(item, Layer) else ctx.build_layer(item)


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
        step = self.step_shape(input_shape)
        try:
            inner_out = self.layer.output_shape(step)
        except ShapeMismatch as problem:
            if problem.wanted_rank is None:
                raise
            wanted = problem.wanted_rank + 1
            raise ShapeMismatch(
                f"TimeDistributed({self.layer.keras_name}) needs a {wanted}D input, but gets a {len(input_shape)}D one: "
                f"it gives {self.layer.keras_name} one step at a time, and {self.layer.keras_name} needs {problem.expected}",
                expected=f"{wanted}D (batch, time, ...), so that each step is {problem.expected}",
                found=f"{format_shape(input_shape)}, so each step is {format_shape(step)}",
                fix=problem.fix,
                wanted_rank=wanted,
            ) from None
        return (input_shape[0], input_shape[1], *inner_out[1:])

    def weight_shapes(self, input_shape: Shape) -> list:
        return self.layer.weight_shapes(self.step_shape(input_shape))

    def keeps_mask(self) -> bool:
        return True

    def vocabulary(self) -> int | None:
        return self.layer.vocabulary()

    def scratch_size(self, input_shape: Shape) -> Dim:
        step = self.step_shape(input_shape)
        return self.layer.scratch_size((input_shape[0] * input_shape[1], *step[1:]))

    @staticmethod
    def step_mask(mask):
        """The mask, when each step has a part of its own for the inner layer: only a mask with axes beyond
        (batch, time) has (a grid of ids, read sentence by sentence)."""
        return mask if mask is not None and len(mask.shape if hasattr(mask, "shape") else mask) > 2 else None

    def uses_mask(self) -> bool:
        return self.layer.uses_mask()

    def check_mask(self, input_shape: Shape, mask: Shape) -> None:
        self.mask_mismatch(input_shape, mask[:2], input_shape[:2], "the steps it hands out")
        if self.step_mask(mask) is not None and self.layer.uses_mask():
            self.layer.check_mask(self.step_shape(input_shape), (mask[0], *mask[2:]))

    def mask_note(self, mask: Shape) -> str | None:
        if self.step_mask(mask) is None or not self.layer.uses_mask():
            return None
        return (f"each step's part of the padding mask goes to {self.layer.keras_name}: "
                f"{self.layer.mask_note((mask[0], *mask[2:]))}")

    def forward(self, x, weights: list, mask=None):
        """Fold time into the batch, run the inner layer once (with each step's mask), unfold."""
        batch, steps = x.shape[0], x.shape[1]
        mask = self.step_mask(mask)
        folded = None if mask is None else mask.reshape(batch * steps, *mask.shape[2:])
        y = self.layer.forward(x.reshape(batch * steps, *x.shape[2:]), weights, folded)
        return y.reshape(batch, steps, *y.shape[1:])

    def mask_claims(self, x, y, weights: list, mask) -> list:
        return padding_ignored(self, x, y, weights, mask) if self.step_mask(mask) is not None else []

    def lesson(self, input_shape: Shape) -> str | None:
        return "dense-vs-timedistributed" if self.layer.keras_name in ("Dense", "Flatten", "Conv1D",
                                                                         "GlobalAveragePooling1D") else None

    def draw_weights(self, input_shape: Shape, rng) -> list:
        return self.layer.draw_weights(self.step_shape(input_shape), rng)

    def idle_weights(self, x, mask=None) -> set[int]:
        mask = self.step_mask(mask)
        return self.layer.idle_weights(x.reshape(-1, *x.shape[2:]),
                                       None if mask is None else mask.reshape(-1, *mask.shape[2:]))

    def claims(self, x, y, weights: list, mask=None) -> list:
        mask = self.step_mask(mask)
        one_by_one = np.stack([self.layer.forward(x[:, t], weights, None if mask is None else mask[:, t])
                               for t in range(x.shape[1])], axis=1)
        return [same_numbers(f"equals {self.layer.title()} applied to each step separately, with the same weights "
                             "at every step", one_by_one, y, kind="TimeDistributed.each_step")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        steps = each_step(input_shape[1])
        own = self.layer.time_distributed_why(input_shape)
        if own is not None:
            return own
        step_in = self.step_shape(input_shape)
        step_out = self.layer.output_shape(step_in)
        shared = " (weights shared across time)" if self.layer.weight_shapes(step_in) else ""
        return (
            f"applies {self.layer.title()} to {steps} separately: "
            f"{format_shape(step_in[1:])} → {format_shape(step_out[1:])} per step{shared}"
        )


MERGE_MODES = ("concat", "sum", "mul", "ave", None)
MERGES = {  # merge_mode: (what it computes, how)
    "concat": ("[forward | backward]", lambda f, b: np.concatenate([f, b], axis=-1)),
    "sum": ("forward + backward", lambda f, b: f + b),
    "mul": ("forward × backward", lambda f, b: f * b),
    "ave": ("(forward + backward) / 2", lambda f, b: (f + b) / 2),
}


@register
class Bidirectional(Layer):
    arguments = {
        "layer": Arg(inner_layer, raw=True),
        "merge_mode": Arg(choice(*MERGE_MODES), "concat"),
        "backward_layer": Arg(inner_layer, None, raw=True),
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
        back = self.backward
        if back.go_backwards == self.layer.go_backwards:
            where = "backward_layer" if self.backward_layer is not None else "layer"
            raise ArgumentError(
                where,
                "the forward and backward layers must read in opposite directions",
                expected="go_backwards false on `layer` (Bidirectional makes the backward copy itself)"
                if self.backward_layer is None else "go_backwards: true on backward_layer only",
                found=f"go_backwards={self.layer.go_backwards} on both",
                fix="remove go_backwards from the wrapped layer" if self.backward_layer is None
                else "set `go_backwards: true` on backward_layer",
            )
        for attribute in ("return_sequences", "return_state", "stateful"):
            if getattr(back, attribute) != getattr(self.layer, attribute):
                raise ArgumentError(
                    "backward_layer",
                    f"backward_layer must match layer in {attribute}",
                    expected=f"{attribute}={getattr(self.layer, attribute)}",
                    found=f"{attribute}={getattr(back, attribute)}",
                )

    @property
    def backward(self) -> RNN:
        """The backward layer: the one given, or Keras' copy of `layer` with go_backwards=True."""
        if self.backward_layer is not None:
            return self.backward_layer
        if not hasattr(self, "_backward_copy"):
            self._backward_copy = self.layer.variant(go_backwards=True)
        return self._backward_copy

    def output_shape(self, input_shape: Shape) -> Shape:
        forward, states = self.outputs_and_states(self.layer.output_shape(input_shape))
        if self.merge_mode is None:
            raise ShapeMismatch(
                "merge_mode=None makes Bidirectional return two tensors, [forward, backward]",
                expected="one tensor passed from layer to layer (a sequential stack)",
                found="two outputs",
                fix="choose merge_mode concat, sum, mul or ave",
            )
        backward, backward_states = self.outputs_and_states(self.backward.output_shape(input_shape))
        if self.merge_mode == "concat":
            merged = (*forward[:-1], forward[-1] + backward[-1])
        elif forward[-1] != backward[-1]:
            raise ShapeMismatch(
                f"merge_mode={self.merge_mode!r} needs both directions equally wide",
                expected=f"{forward[-1]} units backward as forward",
                found=f"{backward[-1]} units backward",
                fix="give backward_layer the same units, or use merge_mode concat",
            )
        else:
            merged = forward
        return [merged, *states, *backward_states] if self.layer.return_state else merged

    def params_formula(self, input_shape: Shape) -> str:
        return f"forward {self.layer.params_formula(input_shape)} + backward {self.backward.params_formula(input_shape)}"

    def lesson(self, input_shape: Shape) -> str | None:
        return "bidirectional-merge-modes"

    def outputs_and_states(self, given) -> tuple:
        """A direction's output, and its final states when it returns them (return_state)."""
        return (given[0], list(given[1:])) if self.layer.return_state else (given, [])

    def list_output_names(self) -> str:
        names = self.layer.cell.state_names
        return "[output, " + ", ".join([f"forward {n}" for n in names] + [f"backward {n}" for n in names]) + "]"

    def list_output_fix(self) -> str:
        return self.layer.list_output_fix()

    def weight_shapes(self, input_shape: Shape) -> list:
        return [("forward_" + n, s) for n, s in self.layer.weight_shapes(input_shape)] + [
            ("backward_" + n, s) for n, s in self.backward.weight_shapes(input_shape)
        ]

    def keeps_mask(self) -> bool:
        return self.layer.return_sequences

    def zeros_at_padding(self) -> bool:
        """Keras' Bidirectional sets both directions' zero_output_for_mask to return_sequences."""
        forced = self.layer.return_sequences
        return forced and self.layer.zeros_at_padding(forced) and self.backward.zeros_at_padding(forced)

    def uses_mask(self) -> bool:
        return True

    def check_mask(self, input_shape: Shape, mask: Shape) -> None:
        self.layer.check_mask(input_shape, mask)

    def mask_note(self, mask: Shape) -> str:
        if self.zeros_at_padding():
            return "both directions skip padded steps, whose outputs are zeros"
        return "both directions skip padded steps"

    def scratch_size(self, input_shape: Shape) -> Dim:
        return self.layer.scratch_size(input_shape) + self.backward.scratch_size(input_shape)

    def split(self, x, weights: list) -> tuple[list, list]:
        """get_weights() order: all of the forward layer's weights, then all of the backward layer's."""
        count = len(self.layer.cell.weight_shapes(x.shape[-1]))
        return weights[:count], weights[count:]

    def directions(self, x, weights: list, mask=None) -> tuple:
        """The forward and backward outputs, lined up in time (Keras re-reverses the backward sequence)."""
        forward_weights, backward_weights = self.split(x, weights)
        zeros = self.layer.return_sequences  # Keras' Bidirectional gives zeros at masked steps
        directions = (lambda: self.layer.forward(x, forward_weights, mask, zero_output_for_mask=zeros, split_batch=False),
                      lambda: self.backward.forward(x, backward_weights, mask, zero_output_for_mask=zeros, split_batch=False))
        if side_by_side_pays(*self.layer.step_work(x), x.shape[1]):
            forward, backward = side_by_side(*directions)
        else:
            forward, backward = (run() for run in directions)
        (forward, states), (backward, backward_states) = self.outputs_and_states(forward), self.outputs_and_states(backward)
        if self.layer.return_sequences:
            backward = backward[:, ::-1]
        return forward, backward, states + backward_states

    def forward(self, x, weights: list, mask=None):
        forward, backward, states = self.directions(x, weights, mask)
        merged = MERGES[self.merge_mode][1](forward, backward)
        return [merged, *states] if self.layer.return_state else merged

    def draw_weights(self, input_shape: Shape, rng) -> list:
        return self.layer.draw_weights(input_shape, rng) + self.backward.draw_weights(input_shape, rng)

    def idle_weights(self, x, mask=None) -> set[int]:
        count = len(self.layer.weight_shapes((None, None, Dim.of(x.shape[-1]))))
        return self.layer.idle_weights(x, mask) | {count + j for j in self.backward.idle_weights(x, mask)}

    def claims(self, x, y, weights: list, mask=None) -> list:
        """Each direction read step by step on its own, the backward one put back in time order, then
        merged as the mode says."""
        count = len(self.layer.weight_shapes((None, None, Dim.of(x.shape[-1]))))
        sequences, mask = self.layer.return_sequences, real_steps(mask)
        forward, forward_states = reference.recurrent_loop(self.layer.cell, x, weights[:count], mask=mask,
                                                           zeros_at_padding=self.layer.zeros_at_padding(sequences))
        backward, backward_states = reference.recurrent_loop(self.backward.cell, x, weights[count:], backwards=True,
                                                             mask=mask,
                                                             zeros_at_padding=self.backward.zeros_at_padding(sequences))
        y, given_states = (y[0], y[1:]) if self.layer.return_state else (y, [])
        found = [same_numbers("the forward then backward final states are each direction's own (read step by step)",
                              np.concatenate([s.ravel() for s in forward_states + backward_states]),
                              np.concatenate([s.ravel() for s in given_states]), kind="Bidirectional.states")] \
            if given_states else []
        steps = x.shape[1]
        if sequences:
            backward = backward[:, [steps - 1 - t for t in range(steps)]]  # the output for step t, at t
        else:
            forward, backward = forward[:, -1], backward[:, -1]
        return found + [same_numbers(f"{self.merge_mode} = {MERGES[self.merge_mode][0]}, each direction read step by step on its own"
                             + (" (the backward one turned back into time order)" if sequences else ""),
                             reference.merge(self.merge_mode, forward, backward), y, kind="Bidirectional.merge")]

    def mask_claims(self, x, y, weights: list, mask) -> list:
        mask = real_steps(mask)
        if self.layer.return_state:
            y = y[0]
        without_states = self.variant(layer=self.layer.variant(return_state=False), backward_layer=None
                                      if self.backward_layer is None else self.backward_layer.variant(return_state=False))
        found = padding_ignored(without_states, x, y, weights, mask)
        if self.zeros_at_padding():
            found.append(exactly_equal("the outputs at padded steps are zeros", np.zeros(int(np.sum(~mask)) * y.shape[-1]),
                                       y[~mask].ravel(), kind="Bidirectional.zeros_at_padding", backs=MASK))
        return found

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        units, back_units = self.layer.units, self.backward.units
        time = input_shape[1]
        steps = f"{time} steps" if time.is_known else f"the {time} steps"
        where = "at each step" if self.layer.return_sequences else "each direction's final output"
        backward = "a copy backwards" if self.backward_layer is None else f"{self.backward.title()} backwards"
        merged = {
            "concat": f"concat puts the two outputs side by side: {units}+{back_units} = {units + back_units}",
            "sum": f"sum adds the two {units}-unit outputs: the width stays {units}",
            "mul": f"mul multiplies the two {units}-unit outputs value by value: the width stays {units}",
            "ave": f"ave averages the two {units}-unit outputs: the width stays {units}",
        }[self.merge_mode]
        return f"runs {self.layer.title()} forwards and {backward} over {steps}; {merged} ({where})"

    def hint_for_rank(self, wanted_rank: int) -> tuple[str, str] | None:
        hint = self.layer.hint_for_rank(wanted_rank)
        if hint is None:
            return None
        did, fix = hint
        inner = f" its inner {self.layer.keras_name} (under `layer:`) "
        return did, fix.replace(" to it ", " to" + inner).replace(" from it ", " from" + inner)
