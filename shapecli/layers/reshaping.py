"""Flatten, Reshape, Permute, RepeatVector: layers that move values, never change them."""

from __future__ import annotations

from typing import Any

from .. import reference
from ..claims import exactly_equal
from ..errors import ArgumentError, NumericProblem, ShapeMismatch, describe_value
from ..lazy_numpy import np
from ..shapes import Dim, Shape, format_shape, product
from .base import Arg, Context, Layer, factor, positive_int, register, resolve_symbol
from .convolutional import data_format_arg


@register
class Flatten(Layer):
    passes_values_on = True  # it only moves values: token ids stay token ids
    arguments = {"data_format": Arg(data_format_arg, "channels_last")}

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], product(input_shape[1:]))

    def forward(self, x, weights: list, mask=None):
        if self.data_format == "channels_first" and x.ndim > 2:
            x = np.moveaxis(x, 1, -1)  # Keras' Flatten reads a channels_first input in channels-last order
        return x.reshape(x.shape[0], -1)

    def claims(self, x, y, weights: list, mask=None) -> list:
        channels_first = self.data_format == "channels_first" and x.ndim > 2
        order = "in channels-last order" if channels_first else "in order"
        return [exactly_equal(f"keeps every value, {order} (row-major): an index map, value by value",
                              reference.flatten(x, channels_first), y, kind="Flatten.order")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        if len(input_shape) == 2:
            return "already one axis per sample: nothing to flatten; shape unchanged"
        sizes = "×".join(factor(d) for d in input_shape[1:])
        return f"lays the {sizes} values of each sample out in one row of {output_shape[1]} (order kept)"


def target_entries(value: Any, name: str, ctx: Context) -> list:
    """Reshape's target_shape: positive sizes, declared symbols, and at most one -1."""
    if not isinstance(value, list) or not value:
        raise ArgumentError(name, f"`{name}` must be a non-empty list of sizes", expected="a list such as [4, 12] or [-1, 12]", found=describe_value(value))
    entries = []
    for i, v in enumerate(value):
        if v == -1 and not isinstance(v, bool):
            entries.append(-1)
            continue
        resolved = resolve_symbol(v, name, ctx, item=i)
        if isinstance(resolved, str):
            entries.append(resolved)  # a free symbol: a symbolic size
        else:
            entries.append(positive_int(resolved, name, ctx, item=i))
    if entries.count(-1) > 1:
        raise ArgumentError(name, "only one size of `target_shape` can be -1", expected="at most one -1", found=f"{entries.count(-1)} of them")
    return entries


@register
class Reshape(Layer):
    passes_values_on = True  # it only moves values: token ids stay token ids
    arguments = {"target_shape": Arg(target_entries)}

    def output_shape(self, input_shape: Shape) -> Shape:
        total = product(input_shape[1:])
        target = [Dim.of(d) for d in self.target_shape if d != -1]
        known = product(target)
        wanted = "(" + ", ".join(str(d) for d in self.target_shape) + ")"
        if -1 in self.target_shape:
            missing = total.divide_exactly(known)
            if missing is None and known.is_known and not total.is_known:
                missing = total // known.value  # Keras accepts it and checks the count when it runs
            if missing is None or missing == 0:
                raise ShapeMismatch(
                    f"Reshape cannot fit {total} values per sample into {wanted}",
                    expected=f"a number of values divisible by {known}",
                    found=f"{format_shape(input_shape)}: {total} values per sample",
                    fix="choose target sizes whose product divides the input's size",
                )
            dims = [missing if d == -1 else Dim.of(d) for d in self.target_shape]
            return (input_shape[0], *dims)
        if known != total:
            always = total.is_known and known.is_known
            raise ShapeMismatch(
                f"Reshape to {wanted} needs {known} values per sample, but the input has {total}"
                + ("" if always else " (equal only for some sizes)"),
                expected=f"{known} values per sample",
                found=f"{format_shape(input_shape)}: {total} values per sample",
                fix="use -1 for the one axis whose size should follow from the input",
            )
        return (input_shape[0], *target)

    def divisor(self, input_shape: Shape) -> tuple[Dim, Dim] | None:
        """(values per sample, the known part of the target) when -1 divides only for some sizes."""
        if -1 not in self.target_shape:
            return None
        total, known = product(input_shape[1:]), product(Dim.of(d) for d in self.target_shape if d != -1)
        return None if total.divide_exactly(known) is not None else (total, known)

    def bind(self, bindings: dict[str, int], input_shape: Shape = ()) -> "Reshape":
        condition = self.divisor(input_shape) if input_shape else None
        if condition is not None:
            total, known = (d.evaluate(bindings) for d in condition)
            if total % known:
                raise ShapeMismatch(
                    f"Reshape needs {condition[0]} to be a multiple of {condition[1]}, and with these sizes it is "
                    f"{total}", expected=f"a multiple of {known} values per sample", found=f"{total} values per sample",
                    fix="bind sizes for which it divides (--bind NAME=VALUE)")
        target = [bindings[d] if isinstance(d, str) else d for d in self.target_shape]
        return self if target == self.target_shape else self.variant(target_shape=target)

    def forward(self, x, weights: list, mask=None):
        values = x[0].size
        known = -product(Dim.of(d) for d in self.target_shape).value if -1 in self.target_shape else values
        if values % known:
            raise NumericProblem(
                f"Reshape to {tuple(self.target_shape)} needs a multiple of {known} values per sample, "
                f"but this input has {values}",
                expected=f"a multiple of {known} values per sample", found=f"{x.shape[1:]}: {values} values",
                fix="bind sizes for which the count divides (--bind), or change target_shape")
        return x.reshape(x.shape[0], *self.target_shape)

    def claims(self, x, y, weights: list, mask=None) -> list:
        return [exactly_equal("keeps every value, in order (row-major)", x.ravel(), y.ravel(), kind="Reshape.order")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        total = product(input_shape[1:])
        condition = self.divisor(input_shape)
        caveat = "" if condition is None else (f"; only when {condition[0]} is a multiple of {condition[1]}: Keras "
                                               "checks it when the model runs")
        return f"regroups the same {total} values of each sample as {format_shape(output_shape[1:])} (order kept){caveat}"


def permutation(value: Any, name: str, ctx: Context) -> list[int]:
    if not isinstance(value, list) or sorted(v for v in value if isinstance(v, int)) != list(range(1, len(value) + 1)) \
            or any(isinstance(v, bool) for v in value):
        n = len(value) if isinstance(value, list) else 2
        raise ArgumentError(
            name,
            "`dims` must list the axes 1..n once each (axis 0, the batch, stays put)",
            expected=f"a permutation of {list(range(1, n + 1))}, e.g. [2, 1]",
            found=describe_value(value),
        )
    return list(value)


@register
class Permute(Layer):
    passes_values_on = True  # it only moves values: token ids stay token ids
    arguments = {"dims": Arg(permutation)}

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(input_shape, len(self.dims) + 1, f"(batch + the {len(self.dims)} axes named in dims)")
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, x, weights: list, mask=None):
        return x.transpose(0, *self.dims)

    def claims(self, x, y, weights: list, mask=None) -> list:
        index = tuple(min(1, n - 1) for n in x.shape)
        moved = (index[0], *(index[d] for d in self.dims))
        axes = "abcdefghij"[:x.ndim]  # y's axis k is x's axis dims[k-1], spelled out as an einsum
        moved_axes = axes[0] + "".join(axes[d] for d in self.dims)
        return [exactly_equal(f"value x{list(index)} lands at y{list(moved)}, and so on for every value",
                              np.einsum(f"{axes}->{moved_axes}", x), y, kind="Permute.moves")]

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        moves = ", ".join(f"axis {d}→{i + 1}" for i, d in enumerate(self.dims) if d != i + 1)
        if not moves:
            return "keeps every axis where it is (the identity permutation); shape unchanged"
        return f"reorders the axes ({moves}); the values are the same, read in another order"


@register
class RepeatVector(Layer):
    passes_values_on = True  # it only moves values: token ids stay token ids
    arguments = {"n": Arg(positive_int)}

    def output_shape(self, input_shape: Shape) -> Shape:
        self.require_rank(
            input_shape, 2, "(batch, features): it copies one vector per sample",
            fix="reduce to one vector per sample first: a recurrent layer without return_sequences, "
            "GlobalAveragePooling1D, or Flatten",
        )
        return (input_shape[0], Dim.of(self.n), input_shape[1])

    def forward(self, x, weights: list, mask=None):
        return np.repeat(x[:, None, :], self.n, axis=1)

    def claims(self, x, y, weights: list, mask=None) -> list:
        return [exactly_equal(f"all {self.n} steps equal the input vector", np.broadcast_to(x[:, None, :], y.shape), y,
                              kind="RepeatVector.copies")]

    def lesson(self, input_shape: Shape) -> str | None:
        return "repeatvector"

    def why(self, input_shape: Shape, output_shape: Shape) -> str:
        return f"copies the {format_shape(input_shape)} vector to {self.n} time steps, so a decoder gets one input per output step"
