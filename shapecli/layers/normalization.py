"""LayerNormalization."""

from __future__ import annotations


from ..claims import same_numbers
from ..errors import ArgumentError, ShapeMismatch
from ..lazy_numpy import np
from ..shapes import Shape, format_shape
from .base import Arg, Layer, boolean, ignored, int_or_int_list, non_negative, normal, register


@register
class LayerNormalization(Layer):
    arguments = {
        "axis": Arg(int_or_int_list, -1),
        "epsilon": Arg(non_negative, 1e-3),
        "center": Arg(boolean, True),
        "scale": Arg(boolean, True),
        "rms_scaling": Arg(boolean, False),
        **ignored("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                  "beta_constraint", "gamma_constraint"),
    }

    def check(self) -> None:
        if isinstance(self.axis, list) and not self.axis:
            raise ArgumentError("axis", "`axis` must name at least one axis", expected="an axis such as -1", found="[]")

    def axes(self, input_shape: Shape) -> list[int]:
        """The normalized axes, in Keras' order (sorted as written; negative ones count from the end)."""
        rank = len(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not (1 <= axis < rank or -rank < axis <= -1):
                raise ShapeMismatch(
                    f"LayerNormalization axis {axis} does not exist on a {rank}D input (axis 0, the batch, cannot be used)",
                    expected=f"an axis from 1 to {rank - 1}, or -1 to -{rank - 1}",
                    found=f"axis {axis} on {format_shape(input_shape)}",
                )
        seen: dict[int, int] = {}
        for axis in axes:
            if axis % rank in seen:
                raise ShapeMismatch(
                    f"LayerNormalization axis {seen[axis % rank]} and {axis} are the same axis of a {rank}D input",
                    expected="each axis once", found=f"axis {self.axis} on {format_shape(input_shape)}",
                    fix=f"name axis {axis % rank} once (Keras fails on a repeated axis when the model runs)")
            seen[axis % rank] = axis
        return axes

    def output_shape(self, input_shape: Shape) -> Shape:
        self.axes(input_shape)
        self.weight_shapes(input_shape)
        return input_shape

    def weight_shapes(self, input_shape: Shape) -> list:
        kept = [name for name, keep in (("gamma", self.has_gamma), ("beta", self.has_beta)) if keep]
        if not kept:
            return []
        shape = tuple(
            self.require_known(input_shape[a], f"the size of axis {a % len(input_shape)}",
                               f"{' and '.join(kept)} hold one number per position of the normalized axes",
                               "give that axis a fixed size")
            for a in self.axes(input_shape)
        )
        return [(name, shape) for name in kept]

    @property
    def has_gamma(self) -> bool:
        return self.scale or self.rms_scaling  # as Keras: rms_scaling always learns a scale

    @property
    def has_beta(self) -> bool:
        return self.center and not self.rms_scaling  # … and never a shift

    def idle_weights(self, x, mask=None) -> set[int]:
        """Groups of one value normalize to 0 (no centring aside): γ has nothing to scale."""
        size = 1
        for axis in self.axes(tuple(range(x.ndim))):
            size *= x.shape[axis]
        return {0} if size == 1 and self.has_gamma and not self.rms_scaling else set()

    def keeps_mask(self) -> bool:
        return True

    def gamma_beta(self, x, weights: list) -> tuple:
        """The normalized axes of `x` (non-negative), and γ and β shaped to broadcast (1 and 0 when absent)."""
        axes = tuple(a % x.ndim for a in (sorted(self.axis) if isinstance(self.axis, list) else [self.axis]))
        shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        weights = list(weights)
        gamma = weights.pop(0).reshape(shape) if self.has_gamma else 1
        beta = weights.pop(0).reshape(shape) if self.has_beta else 0
        return axes, gamma, beta

    def forward(self, x, weights: list, mask=None):
        axes, gamma, beta = self.gamma_beta(x, weights)
        variance = np.var(x, axis=axes, keepdims=True)  # biased, as Keras
        centred = x if self.rms_scaling else x - np.mean(x, axis=axes, keepdims=True)  # Keras' rms_scaling: no mean
        normalized = centred / np.sqrt(variance + np.asarray(self.epsilon, x.dtype))
        return (normalized * gamma + beta).astype(x.dtype)

    def draw_weights(self, input_shape: Shape, rng) -> list:
        return [normal(shape, rng, 0.1, mean=1.0 if name == "gamma" else 0.0)
                for name, shape in self.weight_shapes(input_shape)]

    def claims(self, x, y, weights: list, mask=None) -> list:
        """Undo γ and β (written out here, not taken from the forward), then look at each group."""
        axes = tuple(sorted(a if a >= 0 else x.ndim + a for a in (self.axis if isinstance(self.axis, list) else [self.axis])))
        spread = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        rest = list(weights)
        gamma = rest.pop(0).astype(np.float64).reshape(spread) if self.scale or self.rms_scaling else 1.0
        beta = rest.pop(0).astype(np.float64).reshape(spread) if self.center and not self.rms_scaling else 0.0
        z = (y.astype(np.float64) - beta) / gamma
        variance = np.var(x.astype(np.float64), axis=axes)
        if self.rms_scaling:
            spread_variance = np.var(x.astype(np.float64), axis=axes, keepdims=True)
            return [same_numbers("before γ, each value is divided by √(variance of its group + ε), without centring",
                                 x / np.sqrt(spread_variance + self.epsilon), z, tolerance=1e-4,
                                 kind="LayerNormalization.rms")]
        return [
            same_numbers("before γ and β, every group has mean 0", np.zeros(variance.shape), z.mean(axis=axes),
                         "0", tolerance=1e-4, kind="LayerNormalization.mean_0"),
            same_numbers("… and variance 1 (exactly var/(var + epsilon))", variance / (variance + self.epsilon),
                         z.var(axis=axes), "var/(var+ε)", tolerance=1e-4, kind="LayerNormalization.variance_1"),
        ]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        axes = self.axes(input_shape)
        sizes = "×".join(str(input_shape[a]) for a in axes)
        where = "the last axis" if axes == [-1] or axes == [len(input_shape) - 1] else "axes " + ", ".join(map(str, axes))
        learned = " and ".join(n for n, keep in (("a learned scale γ", self.has_gamma), ("a learned shift β", self.has_beta)) if keep)
        tail = f", then applies {learned}" if learned else ""
        if self.rms_scaling:
            return (f"divides each group of {sizes} values along {where} by √(its variance + ε), without centring "
                    f"(Keras' rms_scaling){tail}; shape unchanged")
        return f"normalizes each group of {sizes} values along {where} to mean 0, variance 1{tail}; shape unchanged"
