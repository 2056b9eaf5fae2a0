"""Claims: the sentences of `explain`, put to the test on real numbers.

A layer states its teaching claims in its own class (`Layer.claims`, `Layer.mask_claims`), next to the
sentence they prove. A claim's expected value never comes from the code it checks: it is computed the
slow, obvious way (`shapecli.reference`), or it is a relation the sentence states (the output must not
move when padded values change). This module holds the claim record, the ways numbers are compared,
the claims every layer shares (shape, parameters), and the count of proven sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lazy_numpy import np
from .shapes import Shape, format_shape

TOLERANCE = 1e-5  # "the same numbers": float32 arithmetic done in another order differs by about this much
WHY, MASK = "why", "mask"  # the sentences of a row: why the shape changed, and what the padding mask does
PADDING_NUDGE = 10.0  # added to padded (or real) values to see whether the output moves


@dataclass
class Claim:
    name: str
    expected: str
    observed: str
    ok: bool
    kind: str = ""  # a stable id, e.g. "RNN.last_step": the mutation suite breaks each kind
    backs: str | None = None  # the sentence it proves: WHY, MASK, or None (the shape and parameter claims)


@dataclass
class Sentence:
    """One sentence of `explain`, and whether `run` proved it (or why it could not)."""

    index: int
    layer: str
    which: str  # WHY or MASK
    text: str
    proven: bool
    reason: str | None = None  # when not proven


CHUNK = 1 << 14  # values compared at a time: a claim's comparison needs little memory beside its arrays


def difference(expected, observed):
    """|expected − observed| per value (float64), where equal values (the same infinity, NaN and NaN)
    differ by 0 and a NaN against a number differs by infinity."""
    a, b = expected.astype(np.float64), observed.astype(np.float64)
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, np.where(np.isnan(gap), np.inf, gap))


def _chunks(expected, observed):
    a, b = np.ravel(expected), np.ravel(observed)
    for start in range(0, a.size, CHUNK):
        yield difference(a[start:start + CHUNK], b[start:start + CHUNK])


def max_difference(expected, observed) -> float:
    return max((float(gap.max()) for gap in _chunks(expected, observed)), default=0.0)


def count_differing(expected, observed) -> int:
    return sum(int(np.count_nonzero(gap)) for gap in _chunks(expected, observed))


def same_numbers(name: str, expected, observed, expected_text: str = "identical", tolerance: float = TOLERANCE,
                 *, kind: str = "", backs: str | None = WHY) -> Claim:
    """Two arrays agree to within `tolerance` (max absolute difference)."""
    expected, observed = np.asarray(expected), np.asarray(observed)
    if expected.shape != observed.shape:
        return Claim(name, f"{expected_text}, shape {expected.shape}", f"shape {observed.shape}", False, kind, backs)
    diff = max_difference(expected, observed)
    bound = f"max |diff| ≤ {tolerance:g}"
    return Claim(name, bound if expected_text == "identical" else f"{expected_text}, {bound}",
                 f"max |diff| = {diff:.1e}", diff <= tolerance, kind, backs)


def exactly_equal(name: str, expected, observed, expected_text: str = "identical, value for value",
                  *, kind: str = "", backs: str | None = WHY) -> Claim:
    expected, observed = np.asarray(expected), np.asarray(observed)
    if expected.shape != observed.shape:
        return Claim(name, expected_text, f"shape {observed.shape} vs {expected.shape}", False, kind, backs)
    differing = count_differing(expected, observed)
    ok = differing == 0
    return Claim(name, expected_text, "identical" if ok else f"{differing} values differ", ok, kind, backs)


def some_differ(name: str, before, after, *, kind: str, backs: str | None = MASK) -> Claim:
    """The output moved: at least one value differs."""
    before, after = np.asarray(before), np.asarray(after)
    differing = count_differing(before, after) if before.shape == after.shape else before.size
    return Claim(name, "some values change", f"{differing} of {before.size} values change", differing > 0, kind, backs)


# -- padding masks: nudge the values at padded (or real) positions ------------------------------
def has_padding(mask) -> bool:
    return mask is not None and not bool(np.all(mask))


def spread(mask, x):
    """A mask over x's leading axes, shaped to broadcast over all of x."""
    mask = np.asarray(mask)
    return mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim))


def nudged(x, where):
    """x with PADDING_NUDGE added at the positions `where` marks (a mask over x's leading axes)."""
    return x + np.where(spread(where, x), np.asarray(PADDING_NUDGE, x.dtype), np.asarray(0, x.dtype))


def padding_ignored(layer, x, y, weights, mask, what: str = "the output") -> list[Claim]:
    """Changing the padded values leaves the output as it was; changing the real ones moves it. `layer` is a
    layer, or its forward (x, weights, mask) when x is read in another layout."""
    forward = layer if callable(layer) and not hasattr(layer, "forward") else layer.forward
    return [
        exactly_equal(f"changing the values at padded steps leaves {what} unchanged", y,
                      forward(nudged(x, ~mask), weights, mask), kind="mask.padding_ignored", backs=MASK),
        some_differ("… while changing the real steps does change it", y, forward(nudged(x, mask), weights, mask),
                    kind="mask.real_steps_count"),
    ]


def padding_counts(layer, x, y, weights, mask, forward=None) -> list[Claim]:
    """The mask stopped here (or was never given): the layer reads padded values like any others — its
    output is what it gives when no mask exists at all."""
    unmasked = (forward or layer.forward)(x, weights, None)
    unmasked = unmasked[0] if isinstance(unmasked, list) else unmasked
    y = y[0] if isinstance(y, list) else y
    return [exactly_equal("the mask stops here: padded steps are read as data (the output is the one without any "
                          "mask)", unmasked, y, kind="mask.stops_here", backs=MASK)]


# -- the claims every layer shares ----------------------------------------------------------------
def shape_claim(symbolic: Shape, bindings: dict[str, int], array) -> Claim:
    """The printed shape, evaluated, against the array made (several tensors: each against its shape)."""
    shapes = symbolic if isinstance(symbolic, list) else [symbolic]
    arrays = array if isinstance(array, list) else [array]
    expected = [tuple(d.evaluate(bindings) for d in shape) for shape in shapes]
    text = format_shape(symbolic)
    concrete = ", ".join("(" + ", ".join(str(n) for n in one) + ")" for one in expected)
    concrete = f"[{concrete}]" if isinstance(symbolic, list) else concrete
    shown = text if text == concrete else f"{text} = {concrete}"
    seen = ", ".join(str(tuple(a.shape)) for a in arrays)
    same = isinstance(array, list) == isinstance(symbolic, list) and [tuple(a.shape) for a in arrays] == expected
    return Claim("output shape", shown, f"[{seen}]" if isinstance(array, list) else seen, same, "output_shape")


def params_claim(params: int, weights: list) -> Claim:
    sizes = [int(w.size) for w in weights]
    created = " + ".join(f"{n:,}" for n in sizes) if len(sizes) > 1 else f"{sum(sizes):,}"
    return Claim("params = sizes of the weights created", f"{params:,}", created + (f" = {sum(sizes):,}" if len(sizes) > 1 else ""),
                 sum(sizes) == params, "params")


def weights_used(layer_run) -> list[Claim]:
    """Each weight the layer declares is one its forward uses: nudging it moves the output."""
    weights = layer_run.weights
    if not weights:
        return []
    before = layer_run.output[0] if isinstance(layer_run.output, list) else layer_run.output
    given = layer_run.input if isinstance(layer_run.input, list) else [layer_run.input]
    if all(x.size and not np.any(x) for x in given):  # an input of zeros: a kernel has nothing to multiply
        return []
    if all(np.issubdtype(x.dtype, np.floating) for x in given):  # an output no input can move (a softmax over
        moved_input = layer_run.forward([x + 1 for x in given] if isinstance(layer_run.input, list)  # one unit)
                                        else layer_run.input + 1, None, layer_run.mask)
        moved_input = moved_input[0] if isinstance(moved_input, list) else moved_input
        if moved_input.shape == before.shape and not count_differing(before, moved_input):
            return []
    moved = 0
    idle = layer_run.layer.idle_weights(layer_run.input, layer_run.mask, **layer_run.extras)
    for j, weight in enumerate(weights):
        if j in idle:
            moved += 1
            continue
        nudged = list(weights)
        nudge = np.arange(weight.size, dtype=weight.dtype)  # uneven (a softmax after a uniformly shifted bias
        nudge %= 7  # would not move), in the weight's own dtype (no float64 copy of a large table)
        nudge *= 0.002
        nudge += 0.01
        nudged[j] = weight + nudge.reshape(weight.shape)
        after = layer_run.forward(layer_run.input, nudged, layer_run.mask)
        after = after[0] if isinstance(after, list) else after
        moved += count_differing(before, after) > 0 if before.shape == after.shape else 1
    return [Claim(f"each of the {len(weights)} weights is used: nudging it moves the output", f"{len(weights)} of "
                  f"{len(weights)}", f"{moved} of {len(weights)}", moved == len(weights), "weights_used")]


def check_layer(layer_run, bindings: dict[str, int]) -> list[Claim]:
    """Every claim about one layer: its printed shape, its parameter count, and its own sentences."""
    step, layer = layer_run.step, layer_run.layer
    args = (layer_run.input, layer_run.output, layer_run.weights, layer_run.mask)
    found = [shape_claim(step.output_shape, bindings, layer_run.output), params_claim(step.params, layer_run.weights),
             *weights_used(layer_run), *layer.claims(*args, **layer_run.extras)]
    if step.mask_note and has_padding(layer_run.mask):
        found += layer.mask_claims(*args, **layer_run.extras)
    elif step.mask_note and has_padding(layer_run.incoming_mask):  # a call with initial_state: no mask given
        first = layer_run.output[0] if isinstance(layer_run.output, list) else layer_run.output
        found += padding_counts(layer, layer_run.input, first, layer_run.weights, layer_run.incoming_mask,
                                lambda x, weights, mask: layer_run.forward(x, weights, None))
    return found


def check_run(run) -> list[list[Claim]]:
    """The claims of every layer of a numeric run, in order."""
    with np.errstate(all="ignore"):
        return [check_layer(layer_run, run.bindings) for layer_run in run.layers]


def sentences(run, claims: list[list[Claim]]) -> list[Sentence]:
    """Each sentence `explain` printed, proven when a claim backs it and every claim that backs it holds."""
    found = []
    for layer_run, layer_claims in zip(run.layers, claims):
        step = layer_run.step
        for which, text in ((WHY, step.why), (MASK, step.mask_note)):
            if not text:
                continue
            backing = [c for c in layer_claims if c.backs == which]
            if backing:
                found.append(Sentence(step.index, step.layer.title(), which, text, all(c.ok for c in backing),
                                      None if all(c.ok for c in backing) else "a claim about it failed"))
                continue
            reason = step.layer.untested(which)
            if reason is None and which == MASK and not has_padding(layer_run.incoming_mask):
                reason = "this input has no padded steps (bind a longer time to get some)"
            found.append(Sentence(step.index, step.layer.title(), which, text, False,
                                  reason or "no claim tests it (a defect: every sentence needs a claim or a reason)"))
    return found
