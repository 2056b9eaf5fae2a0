"""MaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D."""

from __future__ import annotations

from .. import reference
from ..claims import exactly_equal, padding_ignored, same_numbers
from ..lazy_numpy import np
from ..shapes import Dim, Shape
from .base import Arg, Layer, boolean, choice, one_positive_int, optional, register
from .convolutional import data_format_arg, ChannelsLayout, padding_phrase, same_padding, sliding_length



@register
class MaxPooling1D(ChannelsLayout, Layer):
    arguments = {
        "pool_size": Arg(one_positive_int, 2),
        "strides": Arg(optional(one_positive_int), None),
        "padding": Arg(choice("valid", "same"), "valid"),  # Keras' pooling takes lower case only (Conv1D lower-cases)
        "data_format": Arg(data_format_arg, "channels_last"),
    }

    @property
    def stride(self) -> int:
        return self.pool_size if self.strides is None else self.strides

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(input_shape, 3, self.layout, fix="for (batch, time, steps, channels) wrap it in TimeDistributed")
        batch, steps, channels = self.last(input_shape)
        return self.back((batch, sliding_length(steps, self.pool_size, self.stride, self.padding, self), channels))

    def forward(self, x, weights: list, mask=None):
        x = self.last(x)
        left, right = same_padding(x.shape[1], self.pool_size, self.stride) if self.padding == "same" else (0, 0)
        padded = np.pad(x, ((0, 0), (left, right), (0, 0)), constant_values=-np.inf)
        out_len = (padded.shape[1] - self.pool_size) // self.stride + 1
        windows = [padded[:, j:j + (out_len - 1) * self.stride + 1:self.stride] for j in range(self.pool_size)]
        return self.back(np.max(np.stack(windows), axis=0))

    def claims(self, x, y, weights: list, mask=None) -> list:
        channels_first = self.channels_first
        return [exactly_equal(f"each output step is the largest value of its window of {self.pool_size} real steps",
                              reference.max_pool(reference.steps_last(x, channels_first), self.pool_size, self.stride,
                                                 self.padding),
                              reference.steps_last(y, channels_first), kind="MaxPooling1D.window")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        input_shape, output_shape = self.last(input_shape), self.last(output_shape)
        return (
            f"keeps the largest value of each window of {self.pool_size} steps, moving {self.stride} at a time "
            f"({padding_phrase(self.padding, 0, self.stride, ' (padding never wins the max)')}): "
            f"{input_shape[1]} → {output_shape[1]} steps; channels unchanged"
        )


class GlobalPooling1D(ChannelsLayout, Layer):
    arguments = {
        "data_format": Arg(data_format_arg, "channels_last"),
        "keepdims": Arg(boolean, False),
    }
    verb = ""

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(input_shape, 3, self.layout, fix="for (batch, time, steps, channels) wrap it in TimeDistributed")
        batch, _, channels = self.last(input_shape)
        return self.back((batch, Dim.of(1), channels)) if self.keepdims else (batch, channels)

    def forward(self, x, weights: list, mask=None):
        y = self.pool(self.last(x), mask)
        return self.back(y) if self.keepdims else y

    def pooled(self, y):
        """The output as (batch, channels), with or without keepdims."""
        return y.reshape(y.shape[0], -1)

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        steps = self.last(input_shape)[1]
        kept = "the steps axis is kept with size 1 (keepdims)" if self.keepdims else "the steps axis disappears"
        return f"{self.verb} each channel over all {steps} steps: {kept}, so any length gives the same width"


@register
class GlobalAveragePooling1D(GlobalPooling1D):
    verb = "averages"

    def uses_mask(self) -> bool:
        return True

    def check_mask(self, input_shape: Shape, mask: Shape) -> None:
        batch, steps, _ = self.last(input_shape)
        self.mask_mismatch(input_shape, mask, (batch, steps), "the steps it averages")

    def mask_note(self, mask: Shape) -> str:
        return "only the real (unpadded) steps are averaged"

    def claims(self, x, y, weights: list, mask=None) -> list:
        steps = reference.steps_last(x, self.channels_first)
        return [same_numbers("each channel is the mean of its values over the steps (sum of the real steps ÷ their "
                             "count)", reference.masked_mean(steps, mask), self.pooled(y), kind="GlobalAveragePooling1D.mean")]

    def mask_claims(self, x, y, weights: list, mask) -> list:
        """The mask marks the steps it averages: on channels_first, the last axis (nudged there)."""
        if not self.channels_first:
            return padding_ignored(self, x, y, weights, mask)
        def forward(z, w, m):
            return self.forward(self.back(z), w, m)
        return padding_ignored(forward, self.last(x), y, weights, mask)

    def pool(self, x, mask):
        if mask is None:
            return np.mean(x, axis=1, keepdims=self.keepdims)
        weights = mask[..., None].astype(x.dtype)  # Keras averages over the unmasked steps only
        return (np.sum(x * weights, axis=1, keepdims=self.keepdims)
                / np.sum(weights, axis=1, keepdims=self.keepdims))


@register
class GlobalMaxPooling1D(GlobalPooling1D):
    verb = "takes the largest value of"

    def pool(self, x, mask):
        return np.max(x, axis=1, keepdims=self.keepdims)

    def claims(self, x, y, weights: list, mask=None) -> list:
        steps = reference.steps_last(x, self.channels_first)
        largest = np.array([[max(steps[b, :, c]) for c in range(steps.shape[2])] for b in range(steps.shape[0])])
        return [exactly_equal("each channel is its largest value over all the steps", largest.astype(steps.dtype),
                              self.pooled(y), kind="GlobalMaxPooling1D.max")]
