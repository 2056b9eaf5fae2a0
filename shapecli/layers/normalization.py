"""LayerNormalization."""

from __future__ import annotations

from ..errors import ArgumentError, ShapeMismatch
from ..shapes import Shape, format_shape
from .base import Arg, Layer, boolean, ignored, int_or_int_list, number, register


@register
class LayerNormalization(Layer):
    arguments = {
        "axis": Arg(int_or_int_list, -1),
        "epsilon": Arg(number, 1e-3),
        "center": Arg(boolean, True),
        "scale": Arg(boolean, True),
        **ignored("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                  "beta_constraint", "gamma_constraint"),
    }

    def check(self) -> None:
        if isinstance(self.axis, list) and not self.axis:
            raise ArgumentError("axis", "`axis` must name at least one axis", expected="an axis such as -1", found="[]")

    def normalized_axes(self, input_shape: Shape) -> list[int]:
        rank = len(input_shape)
        chosen = []
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            positive = axis + rank if axis < 0 else axis
            if not 1 <= positive < rank:
                raise ShapeMismatch(
                    f"LayerNormalization axis {axis} does not exist on a {rank}D input (axis 0, the batch, cannot be used)",
                    expected=f"an axis from 1 to {rank - 1}, or -1 to -{rank - 1}",
                    found=f"axis {axis} on {format_shape(input_shape)}",
                )
            chosen.append(positive)
        return sorted(chosen)

    def output_shape(self, input_shape: Shape) -> Shape:
        self.weight_shapes(input_shape)
        return input_shape

    def weight_shapes(self, input_shape: Shape) -> list:
        shape = tuple(
            self.require_known(input_shape[a], f"the size of axis {a}", "gamma and beta hold one number per position of the normalized axes",
                               "give that axis a fixed size")
            for a in self.normalized_axes(input_shape)
        )
        return [(name, shape) for name, keep in (("gamma", self.scale), ("beta", self.center)) if keep]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        over = ", ".join(str(input_shape[a]) for a in self.normalized_axes(input_shape))
        learned = " and ".join(n for n, keep in (("a scale γ", self.scale), ("a shift β", self.center)) if keep)
        tail = f", then applies {learned} per position" if learned else ""
        return f"rescales each sample's {over} values at every position to mean 0, variance 1{tail}; shape unchanged"
