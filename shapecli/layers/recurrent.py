"""SimpleRNN, LSTM and GRU: a cell (one time step and its weights) run by one shared loop.

As in Keras (`keras/src/layers/rnn/`), each recurrent layer = a cell + `RNN`:
the cell says what one step computes and which weights it needs; `RNN` owns
what is common to all three: walking the time axis, `return_sequences`,
`go_backwards`, and the output shape.
"""

from __future__ import annotations

from .. import reference
from ..activations import ELEMENTWISE, activate
from ..claims import MASK, WHY, exactly_equal, padding_ignored, same_numbers, some_differ
from ..errors import ShapeMismatch
from ..lazy_numpy import np
from ..ops import dot_last, one_blas_thread, side_by_side, side_by_side_pays, sigmoid_, tanh_
from ..shapes import Dim, Shape, format_shape
from .base import (
    Arg, Layer, activation, boolean, each_step, fraction, ignored, kernel_weight, positive_int, register, small_weight,
)


def real_steps(mask):
    """Which steps are real, (batch, time). A mask over (batch, time, words) — a grid of ids read
    sentence by sentence — makes a step padding when all its entries are (Keras' loop does the same)."""
    return mask if mask is None or mask.ndim == 2 else mask.any(axis=tuple(range(2, mask.ndim)))


class Cell:
    """One time step. `gates` is how many units-wide blocks the kernels hold.
    The input part x·W of every step is computed once for the whole sequence
    (one big matmul); `step` adds the recurrent part h·U and the gates."""

    gates = 1
    state_names = ("h",)

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

    def input_bias(self, weights: list):
        """The bias added to x·W (all of it, except GRU's recurrent half)."""
        return weights[2] if self.layer.use_bias else None

    def initial_states(self, batch: int, dtype) -> list:
        return [np.zeros((batch, self.units), dtype)]

    def step(self, xw, states: list, weights: list) -> tuple:
        """One step: (output h, new states) from this step's x·W + bias and the previous states."""
        raise NotImplementedError

    def fast(self, weights: list, states: list, x):
        """RNN.forward's in-place loop: (advance, stacked), or None to run `step` one step at a time.

        `advance(t, a, out)` does step t on preallocated buffers: `a` is row t of the rows RNN.run_in_place
        keeps, [h | x | 1] when `stacked` (see `pre_activations`), else h alone; it writes the new output into
        `out` and updates the other states (LSTM's c) in place in `states`."""
        return None

    def fits_stacked(self, x, width: int) -> bool:
        """Whether a stacked copy of the weights ((units + features + 1) × width) and the rows [h | x | 1]
        of every step take no more values than x·W for every step, which is what the memory estimate
        counts for the loop (RNN.scratch_size): true from a few dozen steps on, false at teaching sizes."""
        batch, steps, features = x.shape
        return (self.units + features + 1) * (width + (steps + 1) * batch) <= batch * steps * self.gates * self.units

    def pre_activations(self, weights: list, bias, x, order: list, negated: bool) -> tuple:
        """(fill, stacked, order): fill(t, a, z) writes step t's pre-activations h·U + x·W + b into z,
        negated when asked (a gate's exp pass then gives e^(−z) directly), their units-wide blocks in `order`.

        stacked (when `fits_stacked`): one matrix product per step, [h | x | 1] · [U; W; b], the blocks
        rearranged and negated once per call. Otherwise, with no copy of the weights: x·W for all steps at
        once (the bias added and the sign changed in one pass over it), then h·U at each step; the blocks
        then stay in the kernel's order."""
        matmul, add, subtract = np.matmul, np.add, np.subtract
        if self.fits_stacked(x, weights[1].shape[1]):
            stacked = self.stacked(weights, bias, [(k, negated) for k in order])
            return (lambda t, a, z: matmul(a, stacked, z)), True, order
        recurrent = weights[1]
        xw = dot_last(x.transpose(1, 0, 2), weights[0])  # time-major: xw[t] is one contiguous block
        if negated:  # xw ← −(x·W + b), then z = xw[t] − h·U

            def fill(t, a, z):
                matmul(a, recurrent, z)
                subtract(xw[t], z, z)

            np.negative(xw, out=xw) if bias is None else np.subtract(-bias, xw, out=xw)
        else:

            def fill(t, a, z):
                matmul(a, recurrent, z)
                add(z, xw[t], z)

            if bias is not None:
                xw += bias
        return fill, False, list(range(recurrent.shape[1] // self.units))

    def stacked(self, weights: list, bias, blocks: list):
        """[recurrent kernel; input kernel; bias] as one (units + features + 1, width) kernel, so that
        [h | x | 1] · it = h·U + x·W + b (a zero bias row without bias). `blocks` places the units-wide blocks
        of columns: (source block, negated) for each block of the result. Built in place: no copy of the
        weights but the result."""
        recurrent, kernel = weights[1], weights[0]
        u = self.units
        parts = (recurrent, kernel, np.zeros((1, recurrent.shape[1]), recurrent.dtype) if bias is None else bias[None])
        stacked = np.empty((u + kernel.shape[0] + 1, len(blocks) * u), recurrent.dtype)
        top = 0
        for part in parts:
            for k, (source, negated) in enumerate(blocks):
                (np.negative if negated else np.positive)(part[:, source * u:(source + 1) * u],
                                                           out=stacked[top:top + part.shape[0], k * u:(k + 1) * u])
            top += part.shape[0]
        return stacked

    def activation(self, x):
        return activate(self.layer.activation, x)

    def gate(self, z):
        """The recurrent activation (sigmoid by default) on a fresh block of gates; may work in place.
        Keras applies it to each gate on its own: for softmax and the like, one units-wide block at a time."""
        name = self.layer.recurrent_activation
        if name == "sigmoid":
            return sigmoid_(z)
        if ELEMENTWISE[name]:
            return activate(name, z)
        u = self.units
        return np.concatenate([activate(name, z[:, k:k + u]) for k in range(0, z.shape[1], u)], axis=1)

    @property
    def keras_defaults(self) -> bool:
        """tanh and sigmoid: the case worth a fast path."""
        return self.layer.activation == "tanh" and self.layer.recurrent_activation == "sigmoid"


class SimpleRNNCell(Cell):
    gates = 1

    def step(self, xw, states: list, weights: list) -> tuple:
        z = states[0] @ weights[1]
        z += xw
        h = tanh_(z) if self.layer.activation == "tanh" else self.activation(z)
        return h, [h]

    def fast(self, weights: list, states: list, x):
        if self.layer.activation != "tanh":
            return None
        fill, stacked, _ = self.pre_activations(weights, self.input_bias(weights), x, [0], negated=False)
        tanh = np.tanh

        def advance(t, a, out):
            fill(t, a, out)
            tanh(out, out)

        return advance, stacked


class LSTMCell(Cell):
    gates = 4  # Keras order of the kernel columns: input, forget, cell, output
    state_names = ("h", "c")

    def initial_states(self, batch: int, dtype) -> list:
        return [np.zeros((batch, self.units), dtype), np.zeros((batch, self.units), dtype)]

    def step(self, xw, states: list, weights: list) -> tuple:
        h, c = states
        u = self.units
        z = h @ weights[1]
        z += xw
        candidate = slice(2 * u, 3 * u)
        if self.keras_defaults:  # all four blocks in one exponential pass: tanh(x) = 2·sigmoid(2x) − 1
            z[:, candidate] *= 2
            sigmoid_(z)
            g = z[:, candidate]
            g *= 2
            g -= 1
        else:
            g = self.activation(z[:, candidate].copy())  # the candidate cell values
            z = self.gate(z)  # input, forget and output gates (the candidate block is not used from here)
        i, f, o = z[:, :u], z[:, u:2 * u], z[:, 3 * u:]
        c = f * c
        c += i * g
        h = o * (tanh_(c.copy()) if self.keras_defaults else self.activation(c))
        return h, [h, c]

    def fast(self, weights: list, states: list, x):
        """z = −(pre-activations): one exp pass then gives e^(−z) for a gate, and a gate times v is
        v / (1 + e^(−z)); tanh being odd, the candidate comes out negated, and is subtracted. Stacked, the
        blocks are reordered to i, f, o, c, so that the three gates are one block of columns."""
        if not self.keras_defaults:
            return None
        u = self.units
        fill, stacked, order = self.pre_activations(weights, self.input_bias(weights), x, [0, 1, 3, 2], negated=True)
        c = states[1]
        z = np.empty((c.shape[0], 4 * u), c.dtype)
        at = [order.index(k) * u for k in range(4)]  # where the kernel's blocks i, f, c, o are in z
        i, f, candidate, o = (z[:, start:start + u] for start in at)
        sigmoids = (z[:, :3 * u],) if stacked else (z[:, :2 * u], o)  # blocks of gates side by side
        add, subtract, divide, exp, tanh = np.add, np.subtract, np.divide, np.exp, np.tanh
        one = c.dtype.type(1)

        def advance(t, a, out):
            fill(t, a, z)
            for gates in sigmoids:
                exp(gates, gates)
                add(gates, one, gates)  # 1 + e^(−z) = 1 / sigmoid(z)
            tanh(candidate, candidate)  # −g
            divide(c, f, c)
            divide(candidate, i, candidate)  # −i·g
            subtract(c, candidate, c)  # f·c + i·g
            tanh(c, candidate)
            divide(candidate, o, out)

        return advance, stacked


class GRUCell(Cell):
    gates = 3  # Keras order: update z, reset r, candidate h

    def bias_shape(self) -> tuple:
        width = self.gates * self.units
        return (2, width) if self.layer.reset_after else (width,)

    def input_bias(self, weights: list):
        if not self.layer.use_bias:
            return None
        return weights[2][0] if self.layer.reset_after else weights[2]

    def step(self, xw, states: list, weights: list) -> tuple:
        h = states[0]
        u, U = self.units, weights[1]
        activation = tanh_ if self.keras_defaults else self.activation
        if self.layer.reset_after:  # the reset gate applies after the recurrent matmul (Keras' default)
            inner = h @ U
            if self.layer.use_bias:
                inner = inner + weights[2][1]
            zr = self.gate(xw[:, :2 * u] + inner[:, :2 * u])
            z, r = zr[:, :u], zr[:, u:]
            candidate = activation(xw[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            zr = self.gate(xw[:, :2 * u] + h @ U[:, :2 * u])
            z, r = zr[:, :u], zr[:, u:]
            candidate = activation(xw[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * candidate
        return h, [h]

    def fast(self, weights: list, states: list, x):
        """The update and reset gates negated (z = −pre-activation: one exp pass gives e^(−z) for both, and a
        gate times v is v / (1 + e^(−z))); the candidate h̃ = tanh(x·W_h + b_h + r·inner), where inner is
        h·U_h + b'_h with reset_after, else (r·h)·U_h.

        Stacked (see `pre_activations`): [h | x | 1] · [[U_z, U_r, U_h], [W_z, W_r, 0], [b_z, b_r, b'_h]]
        gives both gates and, with reset_after, inner; the candidate's input part is [x | 1] · [W_h; b_h]
        (without reset_after, [r·h | x | 1] · [U_h; W_h; b_h] gives all of it). Otherwise x·W + b for all
        steps at once and h·U at each step, with no copy of the weights."""
        if not self.keras_defaults:
            return None
        u, reset_after = self.units, self.layer.reset_after
        recurrent, kernel = weights[1], weights[0]
        bias = self.input_bias(weights)
        bias = np.zeros(3 * u, kernel.dtype) if bias is None else bias
        after = weights[2][1] if reset_after and self.layer.use_bias else None  # b', the recurrent bias
        gate_bias = bias[:2 * u] if after is None else bias[:2 * u] + after[:2 * u]
        stacked = self.fits_stacked(x, 4 * u if reset_after else 3 * u)
        h0 = states[0]
        z = np.empty((h0.shape[0], 3 * u if reset_after else 2 * u), h0.dtype)  # −gates, then inner
        gates, update, reset, inner = z[:, :2 * u], z[:, :u], z[:, u:2 * u], z[:, 2 * u:]
        candidate, scratch = np.empty_like(h0), np.empty_like(h0)
        matmul, add, subtract, divide, exp, tanh, copyto = (
            np.matmul, np.add, np.subtract, np.divide, np.exp, np.tanh, np.copyto)
        one = h0.dtype.type(1)
        if stacked:  # [U; W; b] with the gates' columns negated, and for reset_after W_h's block zero
            kernels = np.concatenate([recurrent, kernel, np.concatenate([gate_bias, bias[2 * u:] if after is None
                                                                         else after[2 * u:]])[None]])
            kernels[:, :2 * u] *= -1
            if reset_after:
                kernels[u:-1, 2 * u:] = 0
                gate_kernel, candidate_kernel = kernels, np.concatenate([kernel[:, 2 * u:], bias[None, 2 * u:]])
            else:
                gate_kernel, candidate_kernel = kernels[:, :2 * u], kernels[:, 2 * u:]
                operand = np.empty((h0.shape[0], kernels.shape[0]), h0.dtype)  # [r·h | x | 1]
        else:  # xw ← [−(x·W_zr + b_zr), x·W_h + b_h]
            xw = dot_last(x.transpose(1, 0, 2), kernel)
            np.subtract(-gate_bias, xw[..., :2 * u], out=xw[..., :2 * u])
            xw[..., 2 * u:] += bias[2 * u:]
            gate_kernel, candidate_kernel = (recurrent, None) if reset_after else (recurrent[:, :2 * u],
                                                                                   recurrent[:, 2 * u:])

        def advance(t, a, out):
            h = a[:, :u]
            matmul(a, gate_kernel, z)
            if stacked and reset_after:
                matmul(a[:, u:], candidate_kernel, candidate)  # x·W_h + b_h
            elif not stacked:
                subtract(xw[t][:, :2 * u], gates, gates)
                if after is not None:
                    add(inner, after[2 * u:], inner)
            exp(gates, gates)
            add(gates, one, gates)  # 1 + e^(−z) = 1 / sigmoid(z)
            if reset_after:
                divide(inner, reset, inner)  # r·inner
                add(candidate if stacked else xw[t][:, 2 * u:], inner, candidate)
            elif stacked:
                divide(h, reset, operand[:, :u])
                copyto(operand[:, u:], a[:, u:])
                matmul(operand, candidate_kernel, candidate)
            else:
                divide(h, reset, scratch)
                matmul(scratch, candidate_kernel, candidate)
                add(candidate, xw[t][:, 2 * u:], candidate)
            tanh(candidate, candidate)
            subtract(h, candidate, out)  # z·h + (1 − z)·h̃ = h̃ + z·(h − h̃)
            divide(out, update, out)
            add(out, candidate, out)

        return advance, stacked


RECURRENT_ARGUMENTS = {
    "units": Arg(positive_int),
    "activation": Arg(activation, "tanh"),
    "use_bias": Arg(boolean, True),
    "return_sequences": Arg(boolean, False),
    "return_state": Arg(boolean, False),
    "go_backwards": Arg(boolean, False),
    "stateful": Arg(boolean, False),
    "zero_output_for_mask": Arg(boolean, False),
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


# The fewest samples a half runs: from 3 to 15 samples a step's product costs about as much for half the
# batch (OpenBLAS's products of few rows). Two samples split all the same: one sample's product is a
# matrix-vector product, which reads the weights once at memory speed — LSTM(256) at batch 2, T1000:
# 141 ms as one loop, 55 ms as two halves.
HALF_BATCH = 8


class RNN(Layer):
    """The loop over time shared by SimpleRNN, LSTM and GRU."""

    cell_type: type[Cell] = Cell

    def check(self) -> None:
        self.cell = self.cell_type(self)

    def twin(self) -> "RNN":
        made = super().twin()
        made.cell = made.cell_type(made)  # the cell knows its layer
        return made

    def input_features(self, input_shape: Shape) -> int:
        return self.require_known(
            input_shape[-1],
            "the number of features per step",
            "its kernel is (features × units), fixed when the layer is built",
            "give the feature axis a fixed size",
        )

    call_arguments = ("initial_state",)

    def output_shape(self, input_shape: Shape, initial_state: list | None = None) -> Shape:
        self.require_rank(
            input_shape, 3, "(batch, time, features)",
            fix="give it a sequence: (batch, time, features)",
        )
        self.input_features(input_shape)
        if self.stateful and not input_shape[0].is_known:
            raise ShapeMismatch(
                f"stateful=True carries {self.keras_name}'s state from one batch to the next, so Keras needs a fixed "
                "batch size",
                expected="a static batch size (keras.Input(shape, batch_size=N))",
                found=f"{input_shape[0]}: shapecli's stacks leave the batch free",
                fix="remove stateful; it changes no shape (Keras refuses it with a free batch size too)",
            )
        units = Dim.of(self.units)
        state = (input_shape[0], units)
        if initial_state is not None:
            self.check_states(initial_state, state)
        output = (input_shape[0], input_shape[1], units) if self.return_sequences else state
        return [output] + [state] * len(self.cell.state_names) if self.return_state else output

    def check_states(self, given: list, state: Shape) -> None:
        """initial_state: one (batch, units) tensor per state of the cell, in Keras' order."""
        names = self.cell.state_names
        wanted = f"[{', '.join(names)}]: {len(names)} tensor{'s' if len(names) > 1 else ''} of {format_shape(state)}"
        if len(given) != len(names):
            raise ShapeMismatch(
                f"{self.keras_name} keeps {len(names)} state{'s' if len(names) > 1 else ''} ({', '.join(names)}), "
                f"so initial_state needs {len(names)}, but gets {len(given)}",
                expected=wanted, found=", ".join(format_shape(g) for g in given),
                fix="give " + " and ".join(names) + " — e.g. the states an encoder returns with return_state=True"
                + (" (Keras fails on too few, and silently ignores extra ones)" if len(given) > len(names) else ""))
        for name, shape in zip(names, given):
            if tuple(shape[1:]) != tuple(state[1:]) or len(shape) != len(state):
                raise ShapeMismatch(
                    f"initial state {name} must be {format_shape(state)}: one {self.units}-number vector per sample",
                    expected=wanted, found=f"{name} {format_shape(shape)}",
                    fix=f"give {self.keras_name} as many units as the states are wide, or start from states that wide")

    def params_formula(self, input_shape: Shape) -> str:
        n_in, u, gates = self.input_features(input_shape), self.units, self.cell.gates
        bias = f" + {2 * u}" if getattr(self, "reset_after", False) and self.use_bias else f" + {u}" if self.use_bias else ""
        per_gate = f"{n_in}·{u} + {u}·{u}{bias}"
        return f"{gates} gate{'s' if gates > 1 else ''} × ({per_gate})" if gates > 1 else per_gate

    def lesson(self, input_shape: Shape) -> str | None:
        return "return-state" if self.return_state else "return-sequences"

    def list_output_names(self) -> str:
        return "[output, " + ", ".join(self.cell.state_names) + "]"

    def list_output_fix(self) -> str:
        return ("remove return_state; the states are for functional-API models (e.g. to start a decoder): "
                "use the graph form of the stack file (`inputs:` … `outputs:`)")

    def weight_shapes(self, input_shape: Shape) -> list:
        return self.cell.weight_shapes(self.input_features(input_shape))

    def why(self, input_shape: Shape, output_shape: Shape, initial_state: list | None = None) -> str:
        time = input_shape[1]
        start = f"starts from the given {' and '.join(self.cell.state_names)} instead of zeros; " if initial_state else ""
        backwards = "reads the steps last-to-first (go_backwards); " if self.go_backwards else ""
        if self.return_sequences:
            order = " — in reversed time order" if self.go_backwards else ""
            said = f"return_sequences=True: the {self.units}-unit output at {each_step(time)} is passed on{order}"
        else:
            last = f"the last of {time} steps" if time.is_known else f"the last of the {time} steps"
            said = (f"return_sequences=False: only {last} is passed on — "
                    f"the {self.units}-unit state after reading the whole sequence")
        if self.return_state:
            states = " and ".join(f"{name} {format_shape(output_shape[1])}" for name in self.cell.state_names)
            same = "the output's last step" if self.return_sequences else "the output"
            said += (f"; return_state=True: also hands on the final {states} — h equals {same}"
                     + (", c is the cell's memory" if len(self.cell.state_names) > 1 else ""))
        return start + backwards + said

    def keeps_mask(self) -> bool:
        return self.return_sequences

    def check_mask(self, input_shape: Shape, mask: Shape) -> None:
        self.mask_mismatch(input_shape, mask[:2], input_shape[:2], "the steps it reads")
        if len(mask) > 3:
            self.mask_mismatch(input_shape, mask, input_shape[:2], "the steps it reads")

    def uses_mask(self) -> bool:
        return True

    def mask_note(self, mask: Shape) -> str:
        if self.return_sequences:
            output = "the output is zeros (zero_output_for_mask)" if self.zeros_at_padding() else \
                "the previous output repeated" + (" (Keras ignores zero_output_for_mask when unrolled)"
                                                  if self.zero_output_for_mask else "")
            return f"at padded steps the state is kept and {output}"
        return "padded steps are skipped, so this is the state after the last real step"

    def scratch_size(self, input_shape: Shape) -> Dim:
        """x·W for every step at once: (batch, time, gates·units)."""
        return input_shape[0] * input_shape[1] * (self.cell.gates * self.units)

    def zeros_at_padding(self, forced: bool | None = None) -> bool:
        """Whether padded steps output zeros rather than the previous output: zero_output_for_mask, unless
        Keras' Bidirectional forces it (to return_sequences, whatever the layer says). Keras' unrolled loop
        ignores it and repeats the previous output all the same."""
        return (self.zero_output_for_mask if forced is None else forced) and not self.unroll

    def forward(self, x, weights: list, mask=None, zero_output_for_mask: bool | None = None, initial_state=None,
                split_batch: bool = True):
        """The loop over time (Keras' RNN), one cell step per time step, OpenBLAS on one thread
        (ops.one_blas_thread). Masked steps keep the previous state and repeat the previous output (or give
        zeros). Keras' default activations run in place (`run_in_place`), any others through `cell.step`.
        The samples of a batch never meet, so a large batch (or one of two samples) runs as two halves side
        by side (ops.side_by_side), unless the caller already runs two loops so (`split_batch`: Bidirectional)."""
        mask = real_steps(mask)
        if self.go_backwards:
            x = x[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        batch = x.shape[0]
        states = self.cell.initial_states(batch, x.dtype) if initial_state is None else [s.copy() for s in initial_state]
        last = np.zeros((batch, self.units), x.dtype) if self.unroll else states[0].copy()  # before a real step
        zeros = self.zeros_at_padding(zero_output_for_mask)
        same_dtype = all(a.dtype == x.dtype for a in [*weights, *states]) and x.dtype.kind == "f"

        def run(rows: slice) -> tuple:
            part, xs, ms = [s[rows] for s in states], x[rows], None if mask is None else mask[rows]
            fast = self.cell.fast(weights, part, xs) if same_dtype else None
            with one_blas_thread():
                if fast is not None:
                    return self.run_in_place(xs, ms, zeros, part, last[rows], *fast)
                return self.run_steps(xs, weights, ms, zeros, part, last[rows])

        half = batch // 2
        size = (*self.step_work(x[:half]), x.shape[1])  # a half's step: multiply-adds, weights; its steps
        if split_batch and (batch == 2 or batch >= 2 * HALF_BATCH) and side_by_side_pays(*size):
            first, second = side_by_side(lambda: run(slice(0, half)), lambda: run(slice(half, None)))
            output = np.concatenate([first[0], second[0]])
            states = [np.concatenate(pair) for pair in zip(first[1], second[1])]
        else:
            output, states = run(slice(None))
        return [output, *states] if self.return_state else output

    def step_work(self, x) -> tuple[int, int]:
        """One time step's product [h | x | 1] · [U; W; b] over x's batch: its multiply-adds, and the values
        of the weights it reads."""
        weights = (self.units + x.shape[-1] + 1) * self.cell.gates * self.units
        return x.shape[0] * weights, weights

    def run_steps(self, x, weights: list, mask, zeros: bool, states: list, last) -> tuple:
        """The loop of `forward` through `cell.step`: x·W for all steps at once, then one step at a time."""
        xw = dot_last(x.transpose(1, 0, 2), weights[0])  # time-major: xw[t] is one contiguous block
        bias = self.cell.input_bias(weights)
        if bias is not None:
            xw += bias
        outputs = np.empty((x.shape[0], x.shape[1], self.units), x.dtype) if self.return_sequences else None
        for t in range(x.shape[1]):
            h, new_states = self.cell.step(xw[t], states, weights)
            if mask is not None:
                keep = mask[:, t, None]
                new_states = [np.where(keep, new, old) for new, old in zip(new_states, states)]
                h = np.where(keep, h, 0 if zeros else last)
            states, last = new_states, h
            if outputs is not None:
                outputs[:, t] = h
        return (outputs if self.return_sequences else last), states

    def run_in_place(self, x, mask, zeros: bool, states: list, last, advance, stacked: bool) -> tuple:
        """The loop of `forward` on preallocated buffers (the cell's `fast`). One (time + 1, batch, ·) array
        holds every step's rows, h or, stacked, [h | x | 1]: step t reads rows t and writes its output
        straight into the h part of rows t + 1, so no step copies anything. A step with padding runs on
        scratch copies and keeps the old states where the mask says so."""
        batch, steps, features = x.shape
        u = self.units
        rows = np.empty((steps + 1, batch, u + features + 1 if stacked else u), x.dtype)
        rows[0, :, :u] = states[0]
        if stacked:
            rows[:steps, :, u:-1] = x.transpose(1, 0, 2)
            rows[:, :, -1] = 1
            rows[steps, :, u:-1] = 0
        kept = states[1:]
        if mask is None:
            for t, (a, out) in enumerate(zip(rows[:-1], rows[1:, :, :u])):
                advance(t, a, out)
            h = rows[steps, :, :u].copy()
            if self.return_sequences:
                return np.ascontiguousarray(rows[1:, :, :u].transpose(1, 0, 2)), [h, *kept]
            return (h if steps else last), [h, *kept]
        outputs = np.empty((batch, steps, u), x.dtype) if self.return_sequences else None
        for t, real in enumerate(mask.all(axis=0).tolist()):
            h, new = rows[t, :, :u], rows[t + 1, :, :u]
            if real:
                advance(t, rows[t], new)
                last = new
            else:
                keep = mask[:, t, None]
                before = [s.copy() for s in kept]
                advance(t, rows[t], new)
                for s, old in zip(kept, before):
                    np.copyto(s, old, where=~keep)
                last = np.where(keep, new, 0 if zeros else last)
                np.copyto(new, h, where=~keep)
            if outputs is not None:
                outputs[:, t] = last
        return (outputs if outputs is not None else last.copy()), [rows[steps, :, :u].copy(), *kept]

    def draw_weights(self, input_shape: Shape, rng) -> list:
        return [small_weight(shape, rng) if name == "bias" else kernel_weight(shape, rng)
                for name, shape in self.weight_shapes(input_shape)]

    def idle_weights(self, x, mask=None, initial_state=None) -> set[int]:
        """The recurrent kernel multiplies the previous state: with at most one real step read from zero
        states, it has nothing to multiply."""
        steps = real_steps(mask).sum(axis=1).max() if mask is not None else x.shape[1]
        return {1} if steps <= 1 and initial_state is None else set()

    def claims(self, x, y, weights: list, mask=None, initial_state=None) -> list:
        """Against the layer read sample by sample and step by step (reference.recurrent_loop)."""
        outputs, states = reference.recurrent_loop(self.cell, x, weights, backwards=self.go_backwards,
                                                   mask=real_steps(mask), zeros_at_padding=self.zeros_at_padding(),
                                                   initial_states=initial_state, unrolled=self.unroll)
        output, given_states = (y[0], y[1:]) if self.return_state else (y, [])
        order = "last-to-first, " if self.go_backwards else ""
        if self.return_sequences:
            found = [same_numbers(f"output k is the output after reading {order}step by step up to the k-th step read "
                                  "(a plain loop, one step at a time)", outputs, output, kind="RNN.every_step")]
        else:
            found = [same_numbers(f"equals the output after reading every step {order}one at a time (a plain loop): "
                                  "only the last is passed on", outputs[:, -1], output, kind="RNN.last_step")]
        if self.return_state:
            found.append(same_numbers("state h equals the output" + (" at the last step read" if self.return_sequences
                                                                       else ""),
                                      output[:, -1] if self.return_sequences else output, given_states[0],
                                      kind="RNN.state_h"))
            for name, expected, observed in list(zip(self.cell.state_names, states, given_states))[1:]:
                found.append(same_numbers(f"state {name} is the cell state after the last step (the plain loop's)",
                                          expected, observed, kind="RNN.state_c"))
        if initial_state is not None:
            zero = self.forward(x, weights, mask)
            zero = zero[0] if self.return_state else zero
            found.append(some_differ("the given initial state matters: from zero states the output differs", zero,
                                     output, kind="RNN.initial_state", backs=WHY))
        return found

    def mask_claims(self, x, y, weights: list, mask, initial_state=None) -> list:
        if self.return_state:
            y = y[0]
        mask = real_steps(mask)
        found = padding_ignored(self.variant(return_state=False), x, y, weights, mask)
        if self.return_sequences:
            read = mask[:, ::-1] if self.go_backwards else mask  # the mask in the order the steps are read
            before = 0 if initial_state is None or self.unroll else initial_state[0]  # the output before any real step
            expected = y.copy()
            for b, k in zip(*np.nonzero(~read)):
                expected[b, k] = 0 if self.zeros_at_padding() else (before[b] if not np.isscalar(before) else 0) \
                    if k == 0 else expected[b, k - 1]
            what = "zeros" if self.zeros_at_padding() else "the previous output repeated"
            found.append(exactly_equal(f"at padded steps the output is {what}", expected, y,
                                       kind="RNN.padded_steps", backs=MASK))
        return found

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
