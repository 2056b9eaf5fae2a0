"""Dense, Activation, Dropout, Embedding."""

from __future__ import annotations

from .. import reference
from ..activations import ELEMENTWISE, activate
from ..claims import WHY, Claim, exactly_equal, same_numbers
from ..errors import ArgumentError, NumericProblem, ShapeMismatch, describe_value
from ..lazy_numpy import np
from ..ops import dot_last
from ..shapes import Dim, Shape, format_shape
from .base import (
    Arg, Layer, accepted, activation, each_step, plural, boolean, fraction, ignored, normal, optional, positive_int,
    register,
)
from .wrappers import TimeDistributed


@register
class Dense(Layer):
    arguments = {
        "units": Arg(positive_int),
        "activation": Arg(activation, None),
        "use_bias": Arg(boolean, True),
        **ignored("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                  "activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank", "lora_alpha",
                  "quantization_config"),
    }

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) < 2:
            raise ShapeMismatch("Dense needs at least a 2D input", expected="(batch, features)", found=format_shape(input_shape))
        self.input_features(input_shape)
        return (*input_shape[:-1], Dim.of(self.units))

    def input_features(self, input_shape: Shape) -> int:
        return self.require_known(
            input_shape[-1],
            "the size of the last axis",
            "its kernel is (last axis × units), and a size that changes with the input cannot have fixed weights",
            "give that axis a fixed size: declare its symbol with a number, or reduce a free axis first "
            "(GlobalAveragePooling1D, or a recurrent layer without return_sequences) instead of Flatten",
        )

    def weight_shapes(self, input_shape: Shape) -> list:
        n_in = self.input_features(input_shape)
        weights = [("kernel", (n_in, self.units))]
        if self.use_bias:
            weights.append(("bias", (self.units,)))
        return weights

    def keeps_mask(self) -> bool:
        return True

    def forward(self, x, weights: list, mask=None):
        y = dot_last(x, weights[0])  # a new array: the bias goes into it in place (no second output-sized array)
        if self.use_bias:
            if y.dtype == np.result_type(y, weights[1]):
                y += weights[1]
            else:
                y = y + weights[1]
        return activate(self.activation, y)

    def claims(self, x, y, weights: list, mask=None) -> list:
        bias = weights[1] if self.use_bias else None
        formula = f"{self.activation or 'linear'}(x·kernel{' + bias' if self.use_bias else ''})"
        found = [same_numbers(f"equals {formula} computed position by position, with the same weights at each",
                              reference.dense(x, weights[0], bias, self.activation), y, kind="Dense.each_position")]
        if x.ndim == 3:
            found.append(same_numbers("equals TimeDistributed(Dense) with the same weights",
                                      TimeDistributed(layer=self).forward(x, weights), y, kind="Dense.time_distributed"))
        return found

    def lesson(self, input_shape: Shape) -> str | None:
        return "dense-vs-timedistributed" if len(input_shape) > 2 else None

    def time_distributed_why(self, input_shape: Shape) -> str:
        return (f"the same Dense {input_shape[-1]}→{self.units} is applied at {each_step(input_shape[1])} "
                "(weights shared across time)")

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        n_in = input_shape[-1]
        bias = f" + {plural(self.units, 'bias')}" if self.use_bias else ""
        if len(input_shape) == 2:
            return (
                f"fully connects the {plural(n_in, 'feature')} to {plural(self.units, 'unit')} "
                f"({n_in}×{self.units} weights{bias})"
            )
        if len(input_shape) == 3:
            return (
                f"plain Dense on a 3D input also acts on the last axis only — the same {n_in}→{self.units} "
                f"weights at {each_step(input_shape[1])}; identical to TimeDistributed(Dense) here"
            )
        leading = ", ".join(str(d) for d in input_shape[1:-1])
        return f"acts on the last axis only: the same {n_in}→{self.units} weights at every position of the ({leading}) axes"


@register
class Activation(Layer):
    arguments = {"activation": Arg(activation)}
    def keeps_mask(self) -> bool:
        return True

    def forward(self, x, weights: list, mask=None):
        return activate(self.activation, x)

    def claims(self, x, y, weights: list, mask=None) -> list:
        name = self.activation
        if name in (None, "linear"):
            return [exactly_equal("passes every value through unchanged", x, y, kind="Activation.identity")]
        if name == "softmax":
            return [same_numbers(f"each group of {y.shape[-1]} values along the last axis sums to 1",
                                 np.ones(y.shape[:-1]), y.sum(axis=-1), "1 everywhere", kind="Activation.sums_to_1"),
                    Claim("… and every value is positive", "all > 0", f"{int(np.sum(y <= 0))} values ≤ 0",
                          bool(np.all(y > 0)), "Activation.positive", WHY)]
        if name == "log_softmax":
            return [same_numbers(f"the exponentials of each group of {y.shape[-1]} values sum to 1",
                                 np.ones(y.shape[:-1]), np.exp(y.astype(np.float64)).sum(axis=-1), "1 everywhere",
                                 kind="Activation.sums_to_1")]
        if not ELEMENTWISE.get(name, True):
            return []
        turned = x.ravel()[::-1].reshape(x.shape)  # every value moved to another place, across groups too
        return [exactly_equal(f"{name} acts on each value on its own: the input read backwards gives the same "
                              "output read backwards", y.ravel()[::-1].reshape(y.shape), self.forward(turned, weights),
                              kind="Activation.elementwise")]

    def untested(self, which: str) -> str | None:
        if which == WHY and self.activation == "sparsemax":
            return "sparsemax as Keras computes it has no simple property to test; its numbers match Keras' fixtures"
        return None

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        n = input_shape[-1]
        if self.activation == "softmax":
            return f"softmax over the last axis: each group of {n} values becomes positive and sums to 1; shape unchanged"
        if self.activation == "log_softmax":
            return f"log of softmax over the last axis (each group of {n} values exponentiates to sum 1); shape unchanged"
        if self.activation == "sparsemax":
            return f"sparsemax over the last axis (each group of {n} values, as Keras computes it); shape unchanged"
        if self.activation in (None, "linear"):
            return "linear: passes every value through unchanged; shape unchanged"
        return f"applies {self.activation} to every value on its own; shape unchanged"


def noise_shape(value, name: str, ctx) -> list:
    """Keras' rule: a list of positive sizes, where null takes the input's size on that axis."""
    if not isinstance(value, list):
        raise ArgumentError(name, f"`{name}` must be a list, one entry per axis of the input (batch included)",
                            expected="a list such as [null, 1, 4] (null: the input's size on that axis)",
                            found=describe_value(value))
    for i, v in enumerate(value):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            raise ArgumentError(name, f"each entry of `{name}` must be a positive size or null",
                                expected="a positive integer, or null for the input's size on that axis",
                                found=describe_value(v), item=i)
    return list(value)


@register
class Dropout(Layer):
    passes_values_on = True  # token ids too: Keras runs Dropout before an Embedding
    arguments = {
        "rate": Arg(fraction),
        "noise_shape": Arg(optional(noise_shape), None, shown=False),
        **ignored("seed"),
    }

    def keeps_mask(self) -> bool:
        return True

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def forward(self, x, weights: list, mask=None):
        return x  # inference: Keras' Dropout is the identity unless training=True

    def claims(self, x, y, weights: list, mask=None) -> list:
        return [exactly_equal("at inference the output is the input, unchanged", x, y, kind="Dropout.identity")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        return (
            f"in training, zeroes a random {self.rate * 100:g}% of values (scaling the rest up){self.pattern(input_shape)}; "
            "at inference it passes the input through unchanged"
        )

    def pattern(self, input_shape: Shape) -> str:
        """What noise_shape does to the pattern of zeros, in words."""
        if self.noise_shape is None:
            return ""
        sizes = [Dim.of(n) if n is not None else input_shape[i] if i < len(input_shape) else Dim.of(1)
                 for i, n in enumerate(self.noise_shape)]
        shown = format_shape(tuple(sizes))
        if len(sizes) != len(input_shape) or any(n != 1 and n != d for n, d in zip(sizes, input_shape)):
            return (f" — but noise_shape {shown} cannot be spread over {format_shape(input_shape)}, so training "
                    "would fail (Keras checks it only then)")
        shared = [str(i) for i, (n, d) in enumerate(zip(sizes, input_shape)) if n == 1 and d != 1]
        return f", one pattern {shown} shared along axis {', '.join(shared)}" if shared else ""


@register
class Embedding(Layer):
    arguments = {
        "input_dim": Arg(positive_int),
        "output_dim": Arg(positive_int),
        "mask_zero": Arg(boolean, False),
        "input_length": Arg(accepted, None, shown=False,
                            note="input_length is Keras 2's: Keras 3 accepts it and ignores it — the number of ids "
                                 "comes from input_shape"),
        **ignored("embeddings_initializer", "embeddings_regularizer", "embeddings_constraint", "weights",
                  "lora_rank", "lora_alpha", "quantization_config"),
    }

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, Dim.of(self.output_dim))

    def weight_shapes(self, input_shape: Shape) -> list:
        return [("embeddings", (self.input_dim, self.output_dim))]

    def vocabulary(self) -> int:
        return self.input_dim

    def forward(self, x, weights: list, mask=None):
        ids = x.astype("int64")
        outside = (ids < 0) | (ids >= self.input_dim)
        if outside.any():
            raise NumericProblem(
                f"Embedding got the id {int(ids[outside].flat[0])}, but its table has rows 0..{self.input_dim - 1}",
                expected=f"whole numbers from 0 to {self.input_dim - 1} (token ids)",
                found=f"{int(outside.sum())} ids outside that range (values are cut to whole numbers)",
                fix="put the Embedding first, where the input is token ids, or raise input_dim",
            )
        return weights[0][ids]

    def creates_mask(self) -> bool:
        return self.mask_zero

    def output_mask(self, x, mask):
        return (x != 0) if self.mask_zero else None

    def draw_weights(self, input_shape: Shape, rng) -> list:
        return [normal((self.input_dim, self.output_dim), rng, 0.5)]

    def claims(self, x, y, weights: list, mask=None) -> list:
        found = [exactly_equal(f"each output vector is row `id` of the {self.input_dim}×{self.output_dim} table",
                               reference.lookup(x, weights[0]), y, kind="Embedding.lookup")]
        if self.mask_zero:
            handed_on = self.output_mask(x, mask)
            handed_on = np.ones(x.shape, bool) if handed_on is None else handed_on
            found.append(exactly_equal("the mask it hands on is false exactly where the id is 0 (padding)",
                                       np.equal(x, 0), np.logical_not(handed_on), kind="Embedding.mask"))
        return found

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        if len(input_shape) == 2:
            ids = f"each of the {input_shape[1]} token ids"
        else:
            ids = f"each token id of the {format_shape(input_shape[1:])} grid"
        mask = "; id 0 is padding and is masked for later layers" if self.mask_zero else ""
        return (
            f"looks up a {self.output_dim}-number vector for {ids} "
            f"(a {self.input_dim}×{self.output_dim} table); a new last axis of {self.output_dim}{mask}"
        )
