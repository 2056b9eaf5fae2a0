"""Conv1D: the same small filter slid along the time axis."""

from __future__ import annotations

from ..activations import activate
from .. import reference
from ..claims import exactly_equal, same_numbers
from ..errors import ArgumentError, ShapeMismatch
from ..lazy_numpy import np
from ..shapes import Dim, Shape
from .base import Arg, Layer, activation, boolean, choice, ignored, one_positive_int, positive_int, register

_data_format_choice = choice("channels_last", "channels_first", None, lowercase=True)


def data_format_arg(value, name, ctx):
    """channels_last (Keras' default, also for null) or channels_first."""
    return _data_format_choice(value, name, ctx) or "channels_last"


class ChannelsLayout:
    """`data_format` of the convolution and pooling layers: (batch, *steps, channels) by default (Keras'
    channels_last), or (batch, channels, *steps). Shape rules and forwards are written channels-last: a
    channels_first shape or array is read through `last` and its result given back through `back`."""

    data_format: str | None

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"

    @property
    def layout(self) -> str:
        return "(batch, channels, steps)" if self.channels_first else "(batch, steps, channels)"

    def last(self, shape_or_array):
        """(batch, channels, *steps) → (batch, *steps, channels), for any rank; unchanged for channels_last."""
        if not self.channels_first:
            return shape_or_array
        if isinstance(shape_or_array, tuple):
            batch, channels, *steps = shape_or_array
            return (batch, *steps, channels)
        return np.moveaxis(shape_or_array, 1, -1)

    def back(self, shape_or_array):
        """The inverse of `last`: a channels-last result in the layer's own layout."""
        if not self.channels_first:
            return shape_or_array
        if isinstance(shape_or_array, tuple):
            batch, *steps, channels = shape_or_array
            return (batch, channels, *steps)
        return np.moveaxis(shape_or_array, -1, 1)


def sliding_length(length: Dim, window: int, stride: int, padding: str, layer: Layer) -> Dim:
    """Keras' output length for a window slid along `length` (conv and pooling alike)."""
    if padding == "valid":
        out = (length - window) // stride + 1
        if out.is_known and out.value <= 0:
            raise ShapeMismatch(
                f"{layer.keras_name} with padding='valid' needs at least {window} steps, but gets {length}",
                expected=f"a length of at least {window} (the window spans {window} steps)",
                found=f"{length} steps",
                fix="use padding: same, a smaller window, or a longer input",
            )
        return out
    return (length - 1) // stride + 1  # 'same' and 'causal' pad so that only the stride shortens it


def same_padding(length: int, window: int, stride: int) -> tuple[int, int]:
    """Keras' (TensorFlow's) 'same' padding: the odd one goes on the right."""
    out_len = -(-length // stride)
    total = max((out_len - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


def padding_phrase(padding: str, lost: int, stride: int, pad_note: str = " with zeros") -> str:
    kept = "so the length is kept" if stride == 1 else "so only the stride shortens the sequence"
    return {
        "valid": f"valid: no padding, so the window fits {lost} fewer positions" if lost else "valid: no padding",
        "same": f"same: padded at both ends{pad_note}, {kept}",
        "causal": f"causal: zero-padded on the left only, {kept} and step t sees only steps up to t",
    }[padding]


# Rows copied and multiplied a block at a time: 2 MiB of float32, so a block is multiplied while it is in the
# cache. Measured on B64 T1000 F32 k5, 64 filters, the input in the cache (a forward run again, as the
# claims run it): blocks of 1.3-3.8 MB take 22-23 ms, of 7.6 MB 27 ms, of 0.6 MB 30 ms (OpenBLAS's product
# of fewer rows is slower). From a cold cache the copy is bound by memory, whatever the block (README).
BLOCK_VALUES = 1 << 19


@register
class Conv1D(ChannelsLayout, Layer):
    arguments = {
        "filters": Arg(positive_int),
        "kernel_size": Arg(one_positive_int),
        "strides": Arg(one_positive_int, 1),
        "padding": Arg(choice("valid", "same", "causal", lowercase=True), "valid"),
        "data_format": Arg(data_format_arg, "channels_last"),
        "dilation_rate": Arg(one_positive_int, 1),
        "groups": Arg(positive_int, 1),
        "activation": Arg(activation, None),
        "use_bias": Arg(boolean, True),
        **ignored("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                  "activity_regularizer", "kernel_constraint", "bias_constraint"),
    }

    def check(self) -> None:
        if self.strides > 1 and self.dilation_rate > 1:
            raise ArgumentError(
                "dilation_rate",
                "Keras does not support strides > 1 together with dilation_rate > 1",
                expected="strides: 1 or dilation_rate: 1",
                found=f"strides={self.strides}, dilation_rate={self.dilation_rate}",
                fix="keep one of the two at 1",
            )
        if self.filters % self.groups:
            raise ArgumentError("groups", "`filters` must be divisible by `groups`", expected=f"a multiple of {self.groups}", found=f"filters={self.filters}")

    @property
    def span(self) -> int:
        """How many input steps one output step sees: dilation*(kernel-1)+1."""
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def channels(self, input_shape: Shape) -> int:
        channels = self.require_known(
            self.last(input_shape)[-1], "the number of channels", "its kernel is (kernel_size × channels × filters)",
            "give the feature axis a fixed size",
        )
        if channels % self.groups:
            raise ShapeMismatch(
                f"Conv1D with groups={self.groups} needs the channels to divide into {self.groups} groups",
                expected=f"a multiple of {self.groups} channels", found=f"{channels} channels",
            )
        return channels

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(input_shape, 3, self.layout, fix=f"Conv1D slides along one axis: give it {self.layout}; "
                          "for (batch, time, steps, channels) wrap it in TimeDistributed")
        self.channels(input_shape)
        length = sliding_length(self.last(input_shape)[1], self.span, self.strides, self.padding, self)
        return self.back((input_shape[0], length, Dim.of(self.filters)))

    def weight_shapes(self, input_shape: Shape) -> list:
        weights = [("kernel", (self.kernel_size, self.channels(input_shape) // self.groups, self.filters))]
        if self.use_bias:
            weights.append(("bias", (self.filters,)))
        return weights

    def padding_widths(self, length: int) -> tuple[int, int]:
        """Zeros added (left, right) along the steps, as Keras does for each padding."""
        if self.padding == "causal":
            return self.span - 1, 0
        if self.padding == "same":
            return same_padding(length, self.span, self.strides)
        return 0, 0

    def forward(self, x, weights: list, mask=None):
        """im2col: each output step's window, its kernel_size taps side by side, is one row of
        kernel_size·channels values (a strided view of the padded input), so one matrix product per group,
        rows · kernel (kernel_size·channels × filters), gives every output step at once. The rows are copied
        out a block at a time, each block at most BLOCK_VALUES and at most about the input's size, and
        multiplied straight into the output while they are still in the cache."""
        x = self.last(x)
        kernel, taps, groups = weights[0], self.kernel_size, self.groups
        batch, length, channels = x.shape
        left, right = self.padding_widths(length)
        padded = x
        if left or right:  # zeros at the ends (np.pad, without its per-call cost)
            padded = np.zeros((batch, left + length + right, channels), x.dtype)
            padded[:, left:left + length] = x
        out_len = (padded.shape[1] - self.span) // self.strides + 1
        group_in, group_out = channels // groups, self.filters // groups
        windows = np.lib.stride_tricks.sliding_window_view(padded, self.span, axis=1)  # (batch, start, channel, tap)
        windows = windows[:, ::self.strides, :, ::self.dilation_rate].transpose(0, 1, 3, 2)
        kernels = [kernel[:, :, g * group_out:(g + 1) * group_out].reshape(taps * group_in, group_out)
                   for g in range(groups)]
        y = np.empty((batch, out_len, self.filters), np.result_type(x, kernel))
        row = taps * group_in
        budget = max(min(x.size, BLOCK_VALUES), 1 << 16) // row  # rows per block
        if budget >= out_len:
            samples = min(batch, budget // out_len)
            blocks = [(b, b + samples, 0, out_len) for b in range(0, batch, samples)]
        else:
            blocks = [(b, b + 1, j, min(j + budget, out_len)) for b in range(batch) for j in range(0, out_len, budget)]
        for b0, b1, j0, j1 in blocks:
            target = y[b0:b1, j0:j1].reshape(-1, self.filters)
            for g in range(groups):
                rows = windows[b0:b1, j0:j1, :, g * group_in:(g + 1) * group_in].reshape(-1, row)
                np.matmul(rows, kernels[g], out=target[:, g * group_out:(g + 1) * group_out])
        if self.use_bias:
            y += weights[1]
        return self.back(activate(self.activation, y))

    def claims(self, x, y, weights: list, mask=None) -> list:
        channels_first = self.channels_first
        found = [same_numbers("each output step is its window of inputs times the kernel, summed (a plain loop over "
                              "steps and taps, zeros read where the window leaves the sequence)",
                              reference.conv1d(reference.steps_last(x, channels_first), weights[0],
                                               weights[1] if self.use_bias else None, strides=self.strides,
                                               dilation=self.dilation_rate, padding=self.padding, groups=self.groups,
                                               activation=self.activation),
                              reference.steps_last(y, channels_first), kind="Conv1D.window")]
        steps = x.shape[2 if channels_first else 1]
        if self.padding == "causal" and steps >= 2:
            t = steps // 2
            changed = reference.steps_last(x, channels_first).copy()
            changed[:, t + 1:] += 1.0
            seen = t // self.strides + 1  # output j reads inputs up to j * strides
            after = reference.steps_last(self.forward(reference.steps_last(changed, channels_first), weights), channels_first)
            found.append(exactly_equal(f"causal: changing the inputs after step {t} leaves outputs 0..{seen - 1} "
                                       "unchanged", reference.steps_last(y, channels_first)[:, :seen], after[:, :seen],
                                       kind="Conv1D.causal"))
        return found

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        input_shape, output_shape = self.last(input_shape), self.last(output_shape)
        width = f"width {self.kernel_size}" + (f" (spanning {self.span} steps, dilation {self.dilation_rate})" if self.dilation_rate > 1 else "")
        stride = f", moving {self.strides} steps at a time" if self.strides > 1 else ""
        return (
            f"slides {self.filters} filters of {width} along the steps{stride} "
            f"({padding_phrase(self.padding, self.span - 1, self.strides)}): {input_shape[1]} → {output_shape[1]} steps, "
            f"{input_shape[2]} → {self.filters} channels"
        )
