"""Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot (shapecli/layers/merging.py).

Shapes, parameter counts, weights and numbers come from real Keras 3 functional models
(tests/reference/graph/*.npz, written by tools/make_keras_graph_fixtures.py), and so does which inputs
Keras refuses (tests/reference/graph/refusals.json); the tests never import Keras.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shapecli.claims import Claim
from shapecli.errors import ArgumentError, ShapeMismatch
from shapecli.layers import REGISTRY, merging
from shapecli.layers.merging import GRAPH_LAYERS, Add, Concatenate, Dot, Subtract
from shapecli.shapes import Dim, batched, format_shape

GRAPH = Path(__file__).parent.parent / "reference" / "graph"
REFUSALS = json.loads((GRAPH / "refusals.json").read_text())["cases"]
MERGES = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot"}
DEFAULT_FREE_SIZE = 5  # what the fixture generator binds a free size to, unless the case says

# Every claim kind the merging layers emit, and the layer that emits it.
CLAIM_KINDS = {
    "Add.sum": "Add", "Subtract.difference": "Subtract", "Multiply.product": "Multiply", "Average.mean": "Average",
    "Maximum.largest": "Maximum", "Minimum.smallest": "Minimum", "Concatenate.order": "Concatenate",
    "Dot.sums": "Dot",
}


# -- the fixtures (shared with test_attention.py) ---------------------------------------------------------
def layer_name(spec: dict) -> str:
    (name, _), = spec["layer"].items()
    return name


def fixtures(names: set[str]) -> list[Path]:
    found = []
    for path in sorted(GRAPH.glob("*.npz")):
        with np.load(path) as npz:
            if layer_name(json.loads(str(npz["spec"]))) in names:
                found.append(path)
    return found


def load(path: Path) -> tuple[dict, dict, dict]:
    """(arrays, spec, what Keras said: output_shape, params, weight_paths)."""
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return arrays, json.loads(str(arrays["spec"])), json.loads(str(arrays["keras"]))


def build(spec: dict):
    """The shapecli layer of a case, its input shapes (batch first, a name for a free size) in call order,
    and the sizes the numbers bind the free names to."""
    (name, kwargs), = spec["layer"].items()
    layer = GRAPH_LAYERS[name](**kwargs)
    shapes = [batched(spec["inputs"][n]) for n in spec["call"]]
    symbols = {d for shape in spec["inputs"].values() for d in shape if isinstance(d, str)}
    bindings = {"batch": 2, **{s: spec["bind"].get(s, DEFAULT_FREE_SIZE) for s in symbols}}
    return layer, shapes, bindings


def inputs_in_call_order(arrays: dict, spec: dict) -> list:
    by_name = {name: arrays[f"input_{i}"] for i, name in enumerate(spec["inputs"])}
    return [by_name[n] for n in spec["call"]]


def weights_of(arrays: dict) -> list:
    return [arrays[f"weight_{j}"] for j in range(sum(k.startswith("weight_") for k in arrays))]


def evaluated(shape, bindings) -> tuple:
    return tuple(d.evaluate(bindings) for d in shape)


def check_against_keras(path: Path) -> None:
    arrays, spec, keras = load(path)
    layer, shapes, bindings = build(spec)
    out = layer.output_shape(shapes)
    y = arrays["output"]
    assert evaluated(out, bindings)[1:] == y.shape[1:]
    assert len(out) == len(keras["output_shape"])
    for ours, theirs in zip(out[1:], keras["output_shape"][1:]):
        if theirs is not None:  # where Keras knows the size, shapecli knows the same one
            assert ours.is_known and ours.value == theirs
    assert layer.params(shapes) == keras["params"]
    declared = layer.weight_shapes(shapes)
    weights = weights_of(arrays)
    assert [tuple(shape) for _, shape in declared] == [w.shape for w in weights]
    assert len(keras["weight_paths"]) == len(declared)
    for (name, _), keras_path in zip(declared, keras["weight_paths"]):
        assert keras_path.endswith("/" + name), f"{name} is Keras' {keras_path}"
    assert layer.bind(bindings, shapes) is layer


def check_forward(path: Path) -> None:
    arrays, spec, _ = load(path)
    layer, shapes, _ = build(spec)
    got = layer.forward(inputs_in_call_order(arrays, spec), weights_of(arrays))
    assert got.dtype == np.float32
    assert got.shape == arrays["output"].shape
    np.testing.assert_allclose(got, arrays["output"], rtol=0, atol=1e-5, err_msg=path.stem)


def check_claims(path: Path, kinds: dict) -> set[str]:
    """Every claim holds on Keras' own output; the kinds found."""
    arrays, spec, _ = load(path)
    layer, shapes, _ = build(spec)
    claims = layer.claims(inputs_in_call_order(arrays, spec), arrays["output"], weights_of(arrays))
    assert claims and all(isinstance(c, Claim) for c in claims)
    for claim in claims:
        assert claim.ok, f"{claim.kind}: {claim.name}: expected {claim.expected}, observed {claim.observed}"
        assert claim.kind in kinds and kinds[claim.kind] == layer.keras_name
        assert claim.backs == "why"
    return {c.kind for c in claims}


def explained(layer, shapes):
    """What explaining the layer asks of it: the output shape, the weights, the sentence."""
    out = layer.output_shape(shapes)
    layer.params(shapes)
    assert layer.why(shapes, out)
    return out


def refusal_cases(names: set[str]) -> dict:
    return {key: c for key, c in REFUSALS.items() if layer_name(c) in names}


def check_refusal(case: dict, deviations: dict) -> None:
    """shapecli refuses (ShapeMismatch, saying expected and found) exactly what Keras refuses, whether Keras
    does while building the model or only when it runs; what Keras runs, shapecli explains."""
    layer, shapes, bindings = build(case)
    deviation = deviations.get(case.get("id", ""))
    if case["keras"] == "accepted" and deviation is None:
        out = explained(layer, shapes)
        layer.bind(bindings, shapes)
        if "output_shape" in case:
            assert evaluated(out, bindings)[1:] == tuple(case["output_shape"][1:])
        return
    with pytest.raises(ShapeMismatch) as raised:
        explained(layer, shapes)
    problem = raised.value
    assert problem.expected and problem.found
    if deviation is not None:
        assert deviation in problem.message
    elif case["keras"] == "run":
        assert "fails when it runs" in problem.message


# -- against Keras ---------------------------------------------------------------------------------------
MERGE_FIXTURES = fixtures(MERGES)


def test_the_fixtures_cover_every_merge_layer():
    covered = {layer_name(load(path)[1]) for path in MERGE_FIXTURES}
    assert covered == MERGES
    assert {name for name in GRAPH_LAYERS if name in MERGES} == MERGES


@pytest.mark.parametrize("path", MERGE_FIXTURES, ids=[p.stem for p in MERGE_FIXTURES])
def test_shape_params_and_weights_match_keras(path):
    check_against_keras(path)


@pytest.mark.parametrize("path", MERGE_FIXTURES, ids=[p.stem for p in MERGE_FIXTURES])
def test_forward_matches_keras(path):
    check_forward(path)


@pytest.mark.parametrize("path", MERGE_FIXTURES, ids=[p.stem for p in MERGE_FIXTURES])
def test_claims_hold_on_keras_numbers(path):
    check_claims(path, CLAIM_KINDS)


def test_every_claim_kind_is_made_by_some_fixture():
    seen = set().union(*(check_claims(path, CLAIM_KINDS) for path in MERGE_FIXTURES))
    assert seen == set(CLAIM_KINDS)


MERGE_REFUSALS = refusal_cases(MERGES)


@pytest.mark.parametrize("case_id", MERGE_REFUSALS)
def test_refuses_what_keras_refuses(case_id):
    check_refusal({**MERGE_REFUSALS[case_id], "id": case_id}, {})


def test_the_refusals_cover_build_run_and_accepted():
    assert {c["keras"] for c in MERGE_REFUSALS.values()} == {"build", "run", "accepted"}


def test_the_layers_called_on_several_tensors_take_lists():
    """The engine hands these layers a list of shapes / arrays, one per input."""
    assert set(GRAPH_LAYERS) == MERGES | {"Attention", "AdditiveAttention", "MultiHeadAttention"}
    assert all(cls.takes_list for cls in GRAPH_LAYERS.values())
    assert all(REGISTRY.get(name, cls) is cls for name, cls in GRAPH_LAYERS.items())  # registered or not, the same


# -- shapes in words ---------------------------------------------------------------------------------------
def shape_of(layer, *shapes, symbols=()):
    return layer.output_shape([batched(s) for s in shapes])


def texts(shape) -> list[str]:
    return [str(d) for d in shape]


def why(layer, *shapes) -> str:
    batched_shapes = [batched(s) for s in shapes]
    return layer.why(batched_shapes, layer.output_shape(batched_shapes))


@pytest.mark.parametrize("shapes, expected", [
    ([[7, 12], [7, 12]], ["batch", "7", "12"]),
    ([[7, 12], [1, 12]], ["batch", "7", "12"]),
    ([[7, 12], [12]], ["batch", "7", "12"]),
    ([[3, 7, 12], [7, 1]], ["batch", "3", "7", "12"]),
    ([["time", 12], ["time", 12]], ["batch", "time", "12"]),
    ([["time", 12], [7, 12]], ["batch", "7", "12"]),  # Keras: None; the free size must be 7 (or 1) to run
    ([["time", 12], [1, 12]], ["batch", "time", "12"]),
    ([[7, 12]], ["batch", "7", "12"]),
])
def test_elementwise_merges_broadcast_as_keras(shapes, expected):
    for cls in (Add, merging.Multiply, merging.Average, merging.Maximum, merging.Minimum):
        assert texts(shape_of(cls(), *shapes)) == expected


def test_add_error_names_the_axis_and_both_shapes():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Add(), [7, 12], [7, 8])
    problem = raised.value
    assert problem.message == ("Add needs inputs of the same shape, or shapes that broadcast: (batch, 7, 12) and "
                               "(batch, 7, 8) differ on axis 2")
    assert problem.expected == "on axis 2: the same size in both, or 1 in one of them"
    assert problem.found == "12 and 8"
    assert "Dense(12)" in problem.fix and "Concatenate" in problem.fix


def test_add_error_on_inputs_of_other_ranks_says_they_are_lined_up_from_the_last_axis():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(merging.Maximum(), [7, 12], [7])
    assert "Maximum needs inputs of the same shape" in raised.value.message
    assert "lined up from the last axis" in raised.value.message
    assert raised.value.found == "12 and 7"


def test_subtract_takes_exactly_2_inputs():
    for count in (1, 3):
        with pytest.raises(ShapeMismatch) as raised:
            shape_of(Subtract(), *[[7, 12]] * count)
        problem = raised.value
        assert problem.message.startswith("Subtract takes exactly 2 inputs")
        assert problem.expected == "exactly 2 inputs"
        assert problem.found.startswith(f"{count} input")


def test_a_merge_given_one_tensor_says_it_takes_a_list():
    with pytest.raises(ShapeMismatch) as raised:
        Add().output_shape(batched([7, 12]))
    problem = raised.value
    assert "called on a list of tensors" in problem.message
    assert problem.found == "one tensor (batch, 7, 12)"
    assert "functional model" in problem.fix


def test_elementwise_whys():
    assert why(Add(), [7, 12], [7, 12]) == (
        "adds the 2 inputs value by value (each output value is the sum of the values at the same position); the "
        "inputs have the same shape, so the output is (batch, 7, 12) too")
    assert "the second (batch, 12) is repeated along axis 1" in why(Add(), [7, 12], [12])
    assert "the second (batch, 1, 12) is repeated along axis 1" in why(Add(), [7, 12], [1, 12])
    assert "first − second: the order matters" in why(Subtract(), [7, 12], [7, 12])
    assert "sum divided by 3" in why(merging.Average(), [4], [4], [4])
    assert "largest of the 2" in why(merging.Maximum(), [4], [4])
    assert "smallest of the 3" in why(merging.Minimum(), [4], [4], [4])
    assert "product" in why(merging.Multiply(), [4], [4])
    assert "passes it through unchanged" in why(Add(), [4])


# -- Concatenate -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis, shapes, expected", [
    (-1, [[7, 8], [7, 4]], ["batch", "7", "12"]),
    (-1, [["time", 8], ["time", 4]], ["batch", "time", "12"]),
    (1, [["time", 8], [3, 8]], ["batch", "time+3", "8"]),
    (1, [[7, 8], [3, 8]], ["batch", "10", "8"]),
    (-2, [[7, 8], [3, 8]], ["batch", "10", "8"]),
    (-1, [[7, 8], [7, 4], [7, 1]], ["batch", "7", "13"]),
    (-1, [["time", 8], [5, 4]], ["batch", "5", "12"]),  # Keras: None; it runs only with time = 5
    (0, [[7, 8], [7, 8]], ["batch*2", "7", "8"]),  # Keras runs it: the samples of both, one after the other
])
def test_concatenate_shapes(axis, shapes, expected):
    assert texts(shape_of(Concatenate(axis=axis), *shapes)) == expected


def test_concatenate_error_says_the_other_axes_must_be_equal():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Concatenate(), [7, 8], [6, 4])
    problem = raised.value
    assert problem.message == ("Concatenate along axis -1 needs the other axes equal: (batch, 7, 8) and (batch, 6, 4) "
                               "differ on axis 1")
    assert problem.expected == "the same size on every axis but axis -1"
    assert problem.found == "7 and 6 on axis 1"


def test_concatenate_suggests_the_axis_where_the_sizes_differ():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Concatenate(), [7, 8], [3, 8])
    assert "concatenate along axis 1 (axis=1)" in raised.value.fix


@pytest.mark.parametrize("axis, shapes, words", [
    (-1, [[7, 8], [8]], "the same number of axes"),
    (3, [[7, 8], [7, 8]], "Concatenate(axis=3) names an axis that 3D inputs do not have"),
    (-4, [[7, 8], [7, 8]], "Concatenate(axis=-4) names an axis"),
])
def test_concatenate_other_errors(axis, shapes, words):
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Concatenate(axis=axis), *shapes)
    assert words in raised.value.message
    assert raised.value.expected and raised.value.found


def test_concatenate_whys():
    assert why(Concatenate(), [7, 8], [7, 4]) == (
        "joins the 2 inputs along the last axis: 8 + 4 = 12 features at each position; the other axes must match")
    assert why(Concatenate(), [8], [4]).startswith("joins the 2 inputs along the last axis: 8 + 4 = 12 features for each sample")
    assert "7 + 3 = 10" in why(Concatenate(axis=1), [7, 8], [3, 8])
    assert "batch axis" in why(Concatenate(axis=0), [7, 8], [7, 8])


def test_concatenate_title():
    assert Concatenate().title() == "Concatenate()"
    assert Concatenate(axis=1).title() == "Concatenate(axis=1)"


# -- Dot -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axes, shapes, expected", [
    (2, [[7, 8], [5, 8]], ["batch", "7", "5"]),
    (-1, [[7, 8], [5, 8]], ["batch", "7", "5"]),
    (1, [[7, 8], [7, 5]], ["batch", "8", "5"]),
    ([2, 1], [[7, 8], [8, 5]], ["batch", "7", "5"]),
    (1, [[8], [8]], ["batch", "1"]),
    ([1, 2], [[8], [5, 8]], ["batch", "5"]),
    (-1, [[3, 7, 8], [5, 8]], ["batch", "3", "7", "5"]),
    (2, [["time", 8], ["time", 8]], ["batch", "time", "time"]),
    (1, [["time", 8], ["time", 4]], ["batch", "8", "4"]),
])
def test_dot_shapes(axes, shapes, expected):
    assert texts(shape_of(Dot(axes=axes), *shapes)) == expected


def test_dot_error_says_the_summed_sizes_must_match():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Dot(axes=2), [7, 8], [5, 6])
    problem = raised.value
    assert problem.message == ("Dot sums products over axis 2 of the first input and axis 2 of the second, so their "
                               "sizes must match: (batch, 7, 8) and (batch, 5, 6) have 8 and 6")
    assert problem.expected == "the same size on axis 2 of the first and axis 2 of the second"
    assert problem.found == "8 and 6"


def test_dot_refuses_a_free_size_against_a_fixed_one_as_keras():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Dot(axes=1), ["time", 8], [5, 8])
    assert "Keras refuses a free size against a fixed one" in raised.value.message
    assert "symbols" in raised.value.fix


@pytest.mark.parametrize("axes, shapes, words", [
    (0, [[7, 8], [5, 8]], "Dot cannot sum over the batch axis"),
    (3, [[7, 8], [5, 8]], "Dot(axes=3) names axis 3 of the first input"),
    ([2, -3], [[7, 8], [5, 8]], "Dot cannot sum over the batch axis (axis 0 of the second input)"),
])
def test_dot_axis_errors(axes, shapes, words):
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Dot(axes=axes), *shapes)
    assert words in raised.value.message
    assert raised.value.expected and raised.value.found


def test_dot_takes_exactly_2_inputs():
    with pytest.raises(ShapeMismatch) as raised:
        shape_of(Dot(axes=2), [7, 8], [5, 8], [5, 8])
    assert raised.value.message.startswith("Dot takes exactly 2 inputs")


@pytest.mark.parametrize("kwargs, words", [
    ({}, "Dot needs `axes`"),
    ({"axes": [1, 2, 3]}, "`axes` takes one axis for each of the two inputs"),
    ({"axes": [1.0, 2]}, "`axes` must hold integers"),
    ({"axes": "last"}, "`axes` must be an integer or a list of two integers"),
    ({"axes": 1, "normalize": "yes"}, "`normalize` must be true or false"),
])
def test_dot_bad_arguments(kwargs, words):
    with pytest.raises(ArgumentError) as raised:
        Dot(**kwargs)
    assert words in raised.value.message


def test_concatenate_bad_axis_argument():
    with pytest.raises(ArgumentError) as raised:
        Concatenate(axis="last")
    assert "`axis` must be an integer" in raised.value.message


def test_dot_whys():
    assert why(Dot(axes=2), [7, 8], [5, 8]) == (
        "for each sample, sums 8 products over axis 2 of the first input and axis 2 of the second, for every pairing "
        "of the remaining positions: the first's other axes (7) and the second's (5) make (batch, 7, 5)")
    assert "cosine similarity" in why(Dot(axes=1, normalize=True), [8], [8])
    assert "one number, kept as (batch, 1)" in why(Dot(axes=1), [8], [8])


def test_dot_title():
    assert Dot(axes=2).title() == "Dot(2)"
    assert Dot(axes=[2, 1], normalize=True).title() == "Dot((2, 1), normalize=True)"


# -- free sizes, bound for a run -------------------------------------------------------------------------
def test_bind_checks_free_sizes_that_had_to_agree():
    layer = Concatenate()
    shapes = [batched(["time", 8]), batched([5, 4])]
    assert layer.bind({"batch": 2, "time": 5}, shapes) is layer
    with pytest.raises(ShapeMismatch) as raised:
        layer.bind({"batch": 2, "time": 6}, shapes)
    assert "time=6" in raised.value.message


def test_bind_refuses_two_free_sizes_that_broadcast_to_another_output():
    layer = Add()
    shapes = [batched(["n", 12]), batched(["m", 12])]
    assert texts(layer.output_shape(shapes)) == ["batch", "n", "12"]
    assert layer.bind({"batch": 2, "n": 4, "m": 4}, shapes) is layer
    with pytest.raises(ShapeMismatch):
        layer.bind({"batch": 2, "n": 4, "m": 3}, shapes)
    with pytest.raises(ShapeMismatch) as raised:
        layer.bind({"batch": 2, "n": 1, "m": 3}, shapes)  # it would run, but give (2, 3, 12), not (batch, n, 12)
    assert "not (batch, n, 12) as explained" in raised.value.message


# -- the claims, broken on purpose: each kind fails on a wrong forward -----------------------------------
def draw(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((2, *s)).astype(np.float32) for s in shapes]


def wrapped(cls, change):
    original = cls.forward
    return lambda self, x, weights, mask=None: change(original, self, x, weights)


def no_normalize(original, self, x, weights):
    return original(self.variant(normalize=False), x, weights)


# kind: (layer, input shapes, the class to patch, a wrong forward)
MUTATIONS = {
    "Add.sum": (Add(), [[7, 12], [7, 12], [7, 12]], Add,
                wrapped(Add, lambda o, self, x, w: o(self, x[:2], w))),  # forgets the third input
    "Subtract.difference": (Subtract(), [[7, 12], [7, 12]], Subtract,
                            wrapped(Subtract, lambda o, self, x, w: o(self, x[::-1], w))),  # second − first
    "Multiply.product": (merging.Multiply(), [[7, 12], [1, 12]], merging.Multiply,
                         wrapped(merging.Multiply, lambda o, self, x, w: o(self, [x[0], x[1] + 1], w))),
    "Average.mean": (merging.Average(), [[7, 12], [7, 12], [7, 12]], merging.Average,
                     wrapped(merging.Average, lambda o, self, x, w: o(self, x, w) * 3 / 2)),  # divides by 2, not 3
    "Maximum.largest": (merging.Maximum(), [[7, 12], [7, 12]], merging.Maximum,
                        lambda self, x, w, mask=None: np.minimum(x[0], x[1])),
    "Minimum.smallest": (merging.Minimum(), [[7, 12], [12]], merging.Minimum,
                         lambda self, x, w, mask=None: np.maximum(x[0], x[1][:, None])),
    "Concatenate.order": (Concatenate(), [[7, 8], [7, 4]], Concatenate,
                          wrapped(Concatenate, lambda o, self, x, w: o(self, x[::-1], w))),  # b then a
    "Dot.sums": (Dot(axes=2, normalize=True), [[7, 8], [5, 8]], Dot, wrapped(Dot, no_normalize)),
}


def claims_of_kind(layer, x, y, kind):
    return [c for c in layer.claims(x, y, []) if c.kind == kind]


def test_every_kind_has_a_mutation():
    assert set(MUTATIONS) == set(CLAIM_KINDS)


@pytest.mark.parametrize("kind", MUTATIONS)
def test_the_claim_holds_on_the_honest_forward_and_fails_on_a_wrong_one(kind, monkeypatch):
    layer, shapes, cls, wrong = MUTATIONS[kind]
    x = draw(*shapes)
    honest = claims_of_kind(layer, x, layer.forward(x, []), kind)
    assert honest and all(c.ok for c in honest), honest
    monkeypatch.setattr(cls, "forward", wrong)
    y_wrong = layer.forward(x, [])
    broken = claims_of_kind(layer, x, y_wrong, kind)
    assert broken and not all(c.ok for c in broken), f"no {kind} claim failed"


def test_a_wrong_shape_fails_the_claim_instead_of_crashing():
    x = draw([7, 8], [7, 4])
    (claim,) = Concatenate().claims(x, np.zeros((2, 7, 11), np.float32), [])
    assert not claim.ok


def test_claims_compare_numbers_in_the_input_order():
    """Concatenate's index map: entry k of the output along the axis is entry j of input i."""
    a, b = draw([2, 3], [2, 1])
    y = Concatenate().forward([a, b], [])
    np.testing.assert_array_equal(y[..., 3], b[..., 0])
    np.testing.assert_array_equal(y[..., :3], a)


def test_format_of_a_free_concatenated_axis():
    assert format_shape(shape_of(Concatenate(axis=1), ["time", 8], ["time", 8])) == "(batch, time*2, 8)"
    assert Dim.of("time") * 2 == shape_of(Concatenate(axis=1), ["time", 8], ["time", 8])[1]


def test_whys_say_which_free_size_the_output_fixes():
    assert why(Add(), ["time", 12], [7, 12]).endswith(
        "the output is (batch, 7, 12); when the model runs, time must be 7 (or 1)")
    assert why(Concatenate(), ["time", 8], [5, 4]).endswith("; when the model runs, time must be 5")
    assert "time + time = time*2 entries" in why(Concatenate(axis=1), ["time", 8], ["time", 8])
    assert "time + 5 entries" in why(Concatenate(axis=1), ["time", 8], [5, 8])


def test_dot_claim_allows_float32_rounding_of_long_sums_only():
    """Sums of 256 products of values near 1 round by about 1e-5 in float32; a wrong sum is still caught."""
    a, b = draw([50, 256], [40, 256], seed=3)
    layer = Dot(axes=2)
    y = layer.forward([a, b], [])
    (claim,) = layer.claims([a, b], y, [])
    assert claim.ok, claim
    wrong = y.copy()
    wrong[0, 0, 0] += 0.01
    (claim,) = layer.claims([a, b], wrong, [])
    assert not claim.ok
