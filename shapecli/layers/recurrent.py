"""SimpleRNN, LSTM and GRU: a cell (one time step and its weights) run by one shared loop.

As in Keras (`keras/src/layers/rnn/`), each recurrent layer = a cell + `RNN`:
the cell says what one step computes and which weights it needs; `RNN` owns
what is common to all three: walking the time axis, `return_sequences`,
`go_backwards`, and the output shape.
"""

from __future__ import annotations

from ..errors import ShapeMismatch
from ..shapes import Dim, Shape
from .base import Arg, Layer, activation, boolean, each_step, fraction, ignored, positive_int, register


class Cell:
    """One time step. `gates` is how many units-wide blocks the kernels hold."""

    gates = 1
    summary = ""

    def __init__(self, layer: "RNN"):
        self.layer = layer
        self.units = layer.units

    def weight_shapes(self, n_in: int) -> list:
        width = self.gates * self.units
        weights = [("kernel", (n_in, width)), ("recurrent_kernel", (self.units, width))]
        if self.layer.use_bias:
            weights.append(("bias", self.bias_shape()))
        return weights

    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)


class SimpleRNNCell(Cell):
    gates = 1
    summary = "h = tanh(x·W + h·U + b)"


class LSTMCell(Cell):
    gates = 4  # Keras order: input, forget, cell, output
    summary = "4 gates (input, forget, cell, output) and a cell state c beside h"


class GRUCell(Cell):
    gates = 3  # Keras order: update, reset, candidate

    @property
    def summary(self) -> str:
        return "3 gates (update, reset, candidate)" + (
            "; reset_after=True keeps two biases, one for the input and one for the recurrent part"
            if self.layer.reset_after else ""
        )

    def bias_shape(self) -> tuple:
        width = self.gates * self.units
        return (2, width) if self.layer.reset_after else (width,)


RECURRENT_ARGUMENTS = {
    "units": Arg(positive_int),
    "activation": Arg(activation, "tanh"),
    "use_bias": Arg(boolean, True),
    "return_sequences": Arg(boolean, False),
    "return_state": Arg(boolean, False),
    "go_backwards": Arg(boolean, False),
    "stateful": Arg(boolean, False),
    "unroll": Arg(boolean, False, shown=False),
    "dropout": Arg(fraction, 0.0),
    "recurrent_dropout": Arg(fraction, 0.0),
    **ignored("kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
              "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
              "recurrent_constraint", "bias_constraint", "seed"),
}
GATED_ARGUMENTS = {
    **RECURRENT_ARGUMENTS,
    "recurrent_activation": Arg(activation, "sigmoid"),
    **ignored("use_cudnn", default="auto"),
}


class RNN(Layer):
    """The loop over time shared by SimpleRNN, LSTM and GRU."""

    cell_type: type[Cell] = Cell

    def check(self) -> None:
        self.cell = self.cell_type(self)

    def input_features(self, input_shape: Shape) -> int:
        return self.require_known(
            input_shape[-1],
            "the number of features per step",
            "its kernel is (features × units), fixed when the layer is built",
            "give the feature axis a fixed size",
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(
            input_shape, 3, "(batch, time, features)",
            fix="give it a sequence: (batch, time, features)",
        )
        self.input_features(input_shape)
        if self.return_state:
            raise ShapeMismatch(
                f"return_state=True makes {self.keras_name} return a list: its output and its final state(s)",
                expected="one tensor passed from layer to layer (a sequential stack)",
                found=f"[output, {'h, c' if isinstance(self.cell, LSTMCell) else 'h'}]",
                fix="remove return_state; the states are for functional-API models (e.g. to start a decoder)",
            )
        units = Dim.of(self.units)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], units)
        return (input_shape[0], units)

    def weight_shapes(self, input_shape: Shape) -> list:
        return self.cell.weight_shapes(self.input_features(input_shape))

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        time = input_shape[1]
        backwards = "reads the steps last-to-first (go_backwards); " if self.go_backwards else ""
        if self.return_sequences:
            order = " — in reversed time order" if self.go_backwards else ""
            return f"{backwards}return_sequences=True: the {self.units}-unit output at {each_step(time)} is passed on{order}"
        last = f"the last of {time} steps" if time.is_known else f"the last of the {time} steps"
        return (
            f"{backwards}return_sequences=False: only {last} is passed on — "
            f"the {self.units}-unit state after reading the whole sequence"
        )

    def hint_for_rank(self, wanted_rank: int) -> tuple[str, str] | None:
        if wanted_rank == 3 and not self.return_sequences:
            return ("passes on only its last step (return_sequences=False)",
                    "add `return_sequences: true` to it so it passes on every step")
        if wanted_rank == 2 and self.return_sequences:
            return ("passes on every step (return_sequences=True)",
                    "remove `return_sequences: true` from it so it passes on only its last step")
        return None


@register
class SimpleRNN(RNN):
    arguments = RECURRENT_ARGUMENTS
    cell_type = SimpleRNNCell


@register
class LSTM(RNN):
    arguments = {**GATED_ARGUMENTS, **ignored("unit_forget_bias", default=True)}
    cell_type = LSTMCell


@register
class GRU(RNN):
    arguments = {**GATED_ARGUMENTS, "reset_after": Arg(boolean, True)}
    cell_type = GRUCell
