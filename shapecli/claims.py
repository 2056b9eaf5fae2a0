"""Claims: the sentences of `explain`, put to the test on real numbers.

A layer states its teaching claims in its own class (`Layer.claims`), next to
the sentence that makes them; this module holds the claim record, the ways
numbers are compared, and the claims every layer shares (shape, parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

from .lazy_numpy import np
from .shapes import Shape, format_shape

TOLERANCE = 1e-5  # float32 arithmetic done in another order differs by about this much


@dataclass
class Claim:
    name: str
    expected: str
    observed: str
    ok: bool


def difference(expected, observed):
    """|expected − observed| per value, where equal values (the same infinity, NaN and NaN) differ by 0
    and a NaN against a number differs by infinity."""
    a, b = expected.astype(np.float64), observed.astype(np.float64)
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, np.where(np.isnan(gap), np.inf, gap))


def same_numbers(name: str, expected, observed, expected_text: str = "identical", tolerance: float = TOLERANCE) -> Claim:
    """Two arrays agree to within `tolerance` (max absolute difference)."""
    expected, observed = np.asarray(expected), np.asarray(observed)
    if expected.shape != observed.shape:
        return Claim(name, f"{expected_text}, shape {expected.shape}", f"shape {observed.shape}", False)
    diff = float(np.max(difference(expected, observed))) if expected.size else 0.0
    bound = f"max |diff| ≤ {tolerance:g}"
    return Claim(name, bound if expected_text == "identical" else f"{expected_text}, {bound}",
                 f"max |diff| = {diff:.1e}", diff <= tolerance)


def exactly_equal(name: str, expected, observed, expected_text: str = "identical, value for value") -> Claim:
    expected, observed = np.asarray(expected), np.asarray(observed)
    if expected.shape != observed.shape:
        return Claim(name, expected_text, f"shape {observed.shape} vs {expected.shape}", False)
    differing = int(np.count_nonzero(difference(expected, observed)))
    ok = differing == 0
    return Claim(name, expected_text, "identical" if ok else f"{differing} values differ", ok)


def shape_claim(symbolic: Shape, bindings: dict[str, int], array) -> Claim:
    expected = tuple(d.evaluate(bindings) for d in symbolic)
    text = format_shape(symbolic)
    concrete = "(" + ", ".join(str(n) for n in expected) + ")"
    shown = text if text == concrete else f"{text} = {concrete}"
    return Claim("output shape", shown, str(tuple(array.shape)), tuple(array.shape) == expected)


def params_claim(params: int, weights: list) -> Claim:
    sizes = [int(w.size) for w in weights]
    created = " + ".join(f"{n:,}" for n in sizes) if len(sizes) > 1 else f"{sum(sizes):,}"
    return Claim("params = sizes of the weights created", f"{params:,}", created + (f" = {sum(sizes):,}" if len(sizes) > 1 else ""),
                 sum(sizes) == params)


def check_layer(layer_run, bindings: dict[str, int]) -> list[Claim]:
    """Every claim about one layer: its printed shape, its parameter count, and its own sentences."""
    step = layer_run.step
    return [
        shape_claim(step.output_shape, bindings, layer_run.output),
        params_claim(step.params, layer_run.weights),
        *layer_run.layer.claims(layer_run.input, layer_run.output, layer_run.weights, layer_run.mask),
    ]


def check_run(run) -> list[list[Claim]]:
    """The claims of every layer of a numeric run, in order."""
    with np.errstate(all="ignore"):
        return [check_layer(layer_run, run.bindings) for layer_run in run.layers]
