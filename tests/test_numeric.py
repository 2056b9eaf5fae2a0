"""The NumPy executor (`shapecli.numeric`): every layer's forward against real Keras 3 numbers,
the .npz dump, seeds, bindings of free sizes, the memory guard, input dtypes and masks.

The fixtures in tests/reference/numeric/*.npz were written by tools/make_keras_fixtures.py with
real Keras 3; the test suite only reads them.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from shapecli.errors import EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, StackError
from shapecli.numeric import (
    DEFAULT_BATCH, DEFAULT_FREE_SIZE, bind_sizes, bound_layers, check_memory, dump_arrays, free_symbols,
    FIXED_WORK, make_input, memory_estimate, parse_binding, parse_memory, run_plan, run_stack, weights_from_arrays, write_dump,
)
from shapecli.claims import check_run
from shapecli.engine import explain

from .helpers import explain_data
from shapecli.scenarios import load_stack
from shapecli.stackfile import read_stack_text, stack_from_data

FIXTURES = sorted((Path(__file__).parent / "reference" / "numeric").glob("*.npz"))


def stack_of(input_shape, layers, symbols=None):
    data = {"input_shape": list(input_shape), "layers": list(layers)}
    if symbols:
        data["symbols"] = symbols
    return stack_from_data(data)


def load_fixture(path: Path):
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    spec = json.loads(str(arrays["stack"]))
    return arrays, spec


# -- against Keras ----------------------------------------------------------------------
def test_the_fixtures_cover_every_layer_and_masking():
    from shapecli.layers import REGISTRY

    def names(spec):
        (name, args), = spec.items()
        return {name} | (names(args["layer"]) if "layer" in args else set())

    from shapecli.layers.merging import GRAPH_LAYERS

    stacks = [json.loads(str(np.load(path)["stack"])) for path in FIXTURES]
    covered = set().union(*(names(spec) for stack in stacks for spec in stack["layers"]))
    graph_fixtures = [json.loads(str(np.load(path)["spec"])) for path in (FIXTURES[0].parent.parent / "graph").glob("*.npz")]
    covered |= {name for spec in graph_fixtures for name in spec["layer"]}  # layers called on several tensors
    assert set(GRAPH_LAYERS) <= covered and set(REGISTRY) <= covered
    masked = [s for s in stacks if s["layers"][0].get("Embedding", {}).get("mask_zero")]
    assert len(masked) >= 5


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_forward_matches_keras(path):
    arrays, spec = load_fixture(path)
    n_layers = len(spec["layers"])
    x = arrays["input"]
    run = run_stack(stack_from_data(spec), bind={"batch": x.shape[0]}, weights=weights_from_arrays(arrays, n_layers), x=x)
    assert len(run.layers) == n_layers
    for i, layer_run in enumerate(run.layers, start=1):
        expected = arrays[f"layer_{i}_output"]
        got = np.asarray(layer_run.output)
        assert got.shape == expected.shape, f"layer {i}: shape {got.shape} vs Keras {expected.shape}"
        assert got.dtype == np.float32, f"layer {i}: dtype {got.dtype}"
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5, err_msg=f"layer {i} ({path.stem})")
    np.testing.assert_allclose(run.output, arrays["output"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_weights_have_the_shapes_shapecli_declares(path):
    """The weights Keras created, in get_weights() order, are the ones weight_shapes lists."""
    arrays, spec = load_fixture(path)
    explanation = explain(stack_from_data(spec))
    weights = weights_from_arrays(arrays, len(spec["layers"]))
    for step, layer_weights in zip(explanation.steps, weights):
        declared = [shape for _, shape in step.layer.weight_shapes(step.input_shape)]
        assert [w.shape for w in layer_weights] == declared


def test_weights_from_arrays_groups_by_layer_in_order():
    arrays = {"layer_1_weight_0": "a", "layer_1_weight_1": "b", "layer_3_weight_0": "c", "layer_1_weight_3": "skipped"}
    assert weights_from_arrays(arrays, 3) == [["a", "b"], [], ["c"]]


# -- the dump ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["addition", "bidirectional", "embedding-lstm", "conv1d-lstm", "flatten-dense"])
def test_dump_round_trip(tmp_path, name):
    stack = load_stack(name)
    run = run_stack(stack, bind={"time": 5} if name == "bidirectional" else None)
    path = tmp_path / "d.npz"
    write_dump(run, str(path))
    with np.load(path) as npz:
        loaded = {key: npz[key] for key in npz.files}

    expected_keys = {"input", "output"}
    for layer_run in run.layers:
        i = layer_run.step.index
        expected_keys.add(f"layer_{i}_output")
        declared = layer_run.step.layer.weight_shapes(layer_run.step.input_shape)
        for j, (_, shape) in enumerate(declared):
            expected_keys.add(f"layer_{i}_weight_{j}")
            assert loaded[f"layer_{i}_weight_{j}"].shape == tuple(shape)
        np.testing.assert_array_equal(loaded[f"layer_{i}_output"], layer_run.output)
    assert set(loaded) == expected_keys
    np.testing.assert_array_equal(loaded["input"], run.input)
    assert loaded["input"].dtype == run.input.dtype
    np.testing.assert_array_equal(loaded["output"], run.output)

    again = run_stack(stack, bind=run.bindings, weights=weights_from_arrays(loaded, len(run.layers)), x=loaded["input"])
    for i, layer_run in enumerate(again.layers, start=1):
        assert np.array_equal(layer_run.output, loaded[f"layer_{i}_output"]), f"layer {i} differs after the round trip"


def test_dump_arrays_keys_match_write_dump(tmp_path):
    run = run_stack(load_stack("addition"))
    # 5 layers: LSTM, RepeatVector, LSTM, TimeDistributed(Dense), Activation with 3 + 0 + 3 + 2 + 0 weights
    expected = {"input", "output", *(f"layer_{i}_output" for i in range(1, 6)),
                "layer_1_weight_0", "layer_1_weight_1", "layer_1_weight_2",
                "layer_3_weight_0", "layer_3_weight_1", "layer_3_weight_2", "layer_4_weight_0", "layer_4_weight_1"}
    assert set(dump_arrays(run)) == expected
    write_dump(run, str(tmp_path / "d.npz"))
    with np.load(tmp_path / "d.npz") as npz:
        assert set(npz.files) == expected
        assert npz["layer_1_weight_0"].shape == (12, 512) and npz["layer_4_weight_1"].shape == (12,)  # Keras' layout


def test_write_dump_to_a_missing_directory_is_an_error(tmp_path):
    run = run_stack(load_stack("dense-3d"))
    with pytest.raises(StackError) as raised:
        write_dump(run, str(tmp_path / "no" / "such" / "dir" / "d.npz"))
    assert raised.value.exit_code == EXIT_UNREADABLE
    assert "cannot write" in raised.value.title


# -- seeds -----------------------------------------------------------------------------------
def test_same_seed_same_numbers():
    stack = load_stack("addition")
    one, two = run_stack(stack, seed=7), run_stack(stack, seed=7)
    assert np.array_equal(one.input, two.input)
    for a, b in zip(one.layers, two.layers):
        assert len(a.weights) == len(b.weights)
        for wa, wb in zip(a.weights, b.weights):
            assert np.array_equal(wa, wb)
        assert np.array_equal(a.output, b.output)


def test_other_seed_other_numbers():
    stack = load_stack("addition")
    zero, one = run_stack(stack, seed=0), run_stack(stack, seed=1)
    assert not np.array_equal(zero.input, one.input)
    assert not np.array_equal(zero.layers[0].weights[0], one.layers[0].weights[0])
    assert not np.array_equal(zero.output, one.output)
    assert zero.seed == 0 and one.seed == 1


def test_default_seed_is_zero():
    stack = load_stack("dense-3d")
    assert np.array_equal(run_stack(stack).output, run_stack(stack, seed=0).output)


def drawn(input_shape, layer):
    """The weights a layer draws for itself, by name."""
    step = explain_data(input_shape, [layer]).steps[0]
    weights = step.layer.draw_weights(step.input_shape, np.random.default_rng(0))
    return dict(zip((name for name, _ in step.layer.weight_shapes(step.input_shape)), weights))


def test_each_layer_draws_its_weights_at_a_sensible_scale():
    lstm = drawn([7, 400], {"LSTM": {"units": 300}})
    assert all(w.dtype == np.float32 for w in lstm.values())
    assert lstm["kernel"].std() == pytest.approx(1 / np.sqrt(400), rel=0.05)  # fan-in: the features
    assert lstm["recurrent_kernel"].std() == pytest.approx(1 / np.sqrt(300), rel=0.05)  # fan-in: the units
    assert lstm["bias"].std() == pytest.approx(0.1, rel=0.1)
    gru = drawn([7, 40], {"GRU": {"units": 300}})
    assert gru["bias"].shape == (2, 900) and gru["bias"].std() == pytest.approx(0.1, rel=0.1)  # a 2D bias is a bias
    conv = drawn([50, 40], {"Conv1D": {"filters": 30, "kernel_size": 5}})
    assert conv["kernel"].std() == pytest.approx(1 / np.sqrt(200), rel=0.05)  # fan-in: taps × channels
    norm = drawn([7, 1000], "LayerNormalization")
    assert norm["gamma"].mean() == pytest.approx(1, abs=0.02) and norm["beta"].std() == pytest.approx(0.1, rel=0.1)
    both = drawn([7, 1000], {"Bidirectional": {"layer": {"LSTM": {"units": 300}}}})
    assert both["backward_recurrent_kernel"].std() == pytest.approx(1 / np.sqrt(300), rel=0.05)
    wrapped = drawn([3, 7, 1000], {"TimeDistributed": {"layer": "LayerNormalization"}})
    assert wrapped["gamma"].mean() == pytest.approx(1, abs=0.02)


# -- bindings ------------------------------------------------------------------------------------
FREE_TIME = {"time": None}


def test_defaults_when_nothing_is_bound():
    run = run_stack(stack_of(["time", 12], ["Flatten"], FREE_TIME))
    assert run.bindings == {"batch": DEFAULT_BATCH, "time": DEFAULT_FREE_SIZE} == {"batch": 2, "time": 8}
    assert run.input.shape == (2, 8, 12)
    assert run.output.shape == (2, 96)


def test_fixed_stack_binds_only_batch():
    run = run_stack(load_stack("addition"))
    assert run.bindings == {"batch": 2}
    assert run.input.shape == (2, 7, 12)
    assert run.output.shape == (2, 4, 12)


def test_bind_values_take_effect():
    run = run_stack(stack_of(["time", 12], ["Flatten"], FREE_TIME), bind={"batch": 3, "time": 5})
    assert run.bindings == {"batch": 3, "time": 5}
    assert run.input.shape == (3, 5, 12)
    assert run.output.shape == (3, 60)
    assert [str(d) for d in run.layers[0].step.output_shape] == ["batch", "time*12"]  # still symbolic in the step


def test_bind_only_batch_keeps_the_default_for_time():
    run = run_stack(stack_of(["time", 12], ["Flatten"], FREE_TIME), bind={"batch": 1})
    assert run.bindings == {"batch": 1, "time": 8}


def test_free_symbols_batch_first_then_in_order_of_appearance():
    explanation = explain(stack_of(["b_len", "a_len", 4], [{"Reshape": {"target_shape": [-1, 4]}}],
                                   {"a_len": None, "b_len": None}))
    assert free_symbols(explanation) == ["batch", "b_len", "a_len"]


def test_unknown_name_is_refused_listing_the_free_names():
    explanation = explain(stack_of(["time", 12], ["Flatten"], FREE_TIME))
    with pytest.raises(StackError) as raised:
        bind_sizes(explanation, {"nope": 3})
    error = raised.value
    assert error.exit_code == EXIT_UNREADABLE == 2
    assert "nope" in error.title
    assert error.expected == "one of: batch, time"


def test_unknown_name_via_run_stack():
    with pytest.raises(StackError) as raised:
        run_stack(stack_of(["time", 12], ["Flatten"], FREE_TIME), bind={"nope": 3})
    assert raised.value.exit_code == 2


def test_binding_a_fixed_symbol_is_refused():
    stack = stack_of(["time", "n_in"], ["Flatten"], {"time": None, "n_in": 12})
    with pytest.raises(StackError) as raised:
        run_stack(stack, bind={"n_in": 3})
    error = raised.value
    assert error.exit_code == 2
    assert "n_in" in error.title
    assert "batch" in error.expected and "time" in error.expected and "n_in" not in error.expected
    assert "fixed" in error.fix


def test_null_in_input_shape_binds_as_time():
    run = run_stack(stack_of([None, 12], [{"LSTM": {"units": 3, "return_sequences": True}}]), bind={"time": 5})
    assert run.bindings == {"batch": 2, "time": 5}
    assert run.input.shape == (2, 5, 12)
    assert run.output.shape == (2, 5, 3)


def test_null_on_another_axis_binds_as_dim_n():
    run = run_stack(stack_of([4, None, 3], ["Flatten"]), bind={"dim2": 6})
    assert run.bindings == {"batch": 2, "dim2": 6}
    assert run.output.shape == (2, 72)


def test_the_run_binds_the_plans_own_layers():
    explanation = explain(stack_of(["time", 2], [{"Reshape": {"target_shape": ["time", 2]}}, "Flatten"], {"time": None}))
    reshape, flatten = bound_layers(explanation, {"batch": 2, "time": 5})
    assert reshape.target_shape == [5, 2] and explanation.steps[0].layer.target_shape == ["time", 2]
    assert flatten is explanation.steps[1].layer  # nothing to bind: the very layer explain built


def test_fits_symbolically_but_not_at_the_bound_size():
    stack = stack_of(["time", 4], [{"Conv1D": {"filters": 2, "kernel_size": 5}}], FREE_TIME)
    explain(stack)  # fine with a free time
    with pytest.raises(StackError) as raised:
        run_stack(stack, bind={"time": 3})
    error = raised.value
    assert error.exit_code == EXIT_DOES_NOT_FIT == 1
    assert "(batch, time-4, 2) would be (2, -1, 2)" in error.title and error.expected == "every size at least 1"
    notes = " ".join(error.notes)
    assert "batch=2" in notes and "time=3" in notes
    assert "--bind" in notes
    # and at the default size (8) it runs
    assert run_stack(stack).output.shape == (2, 4, 2)


# -- parse_binding / parse_memory -----------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("time=3", ("time", 3)),
    (" time = 3 ", ("time", 3)),
    ("batch=10", ("batch", 10)),
    ("_x1=7", ("_x1", 7)),
])
def test_parse_binding_good(text, expected):
    assert parse_binding(text) == expected


@pytest.mark.parametrize("text", ["time=0", "x", "time=", "=3", "time=-1", "time=3.5", "1x=3", "time=abc", "time:3", ""])
def test_parse_binding_bad(text):
    with pytest.raises(StackError) as raised:
        parse_binding(text)
    assert raised.value.exit_code == 2
    assert "NAME=VALUE" in raised.value.expected


@pytest.mark.parametrize("text, expected", [
    ("1000", 1000),
    ("1KiB", 1024),
    ("1 KiB", 1024),
    ("512MiB", 512 << 20),
    ("1GiB", 1 << 30),
    ("1gib", 1 << 30),
    ("2GB", 2_000_000_000),  # GB is decimal; GiB and G are binary
    ("1.5GiB", int(1.5 * (1 << 30))),
    ("1T", 1 << 40),
    ("100B", 100),
])
def test_parse_memory_good(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["abc", "", "1PB", "1e9", "-1GiB", "GiB", "1 GiBs"])
def test_parse_memory_bad(text):
    with pytest.raises(StackError) as raised:
        parse_memory(text)
    assert raised.value.exit_code == 2


# -- the memory guard ------------------------------------------------------------------------------
@pytest.mark.parametrize("layers, blamed", [
    ([{"LSTM": {"units": 100000}}], "layer 1, LSTM(100000)"),
    ([{"Dense": {"units": 10**9}}], "layer 1, Dense(1000000000)"),
    ([{"Dense": {"units": 4}}, {"LSTM": {"units": 100000}}, "Flatten"], "layer 2, LSTM(100000)"),
])
def test_huge_stack_is_refused_before_allocating(layers, blamed):
    tracemalloc.start()
    try:
        with pytest.raises(StackError) as raised:
            run_stack(stack_of([7, 12], layers))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # refused from the estimate: not one of the gigabytes was allocated
    error = raised.value
    assert error.exit_code == 2
    assert blamed in error.found
    assert "budget" in error.title
    assert "--max-memory" in error.fix
    assert "--max-memory" in error.expected


def test_refusal_points_at_the_layer_in_the_file():
    text = "input_shape: [7, 12]\nlayers:\n  - Dense: {units: 4}\n  - LSTM: {units: 100000}\n"
    with pytest.raises(StackError) as raised:
        run_stack(read_stack_text(text, "big.yaml"))
    assert raised.value.mark is not None
    assert (raised.value.mark.path, raised.value.mark.line) == ("big.yaml", 4)


def test_small_budget_refuses_the_addition_model():
    with pytest.raises(StackError) as raised:
        run_stack(load_stack("addition"), max_memory=1000)
    error = raised.value
    assert error.exit_code == 2
    assert "1,000 B" in error.title
    assert "LSTM(128, return_sequences=True)" in error.found  # the largest part
    assert "--max-memory" in error.fix


def test_budget_boundary_is_inclusive():
    stack = load_stack("addition")
    explanation = explain(stack)
    bindings = bind_sizes(explanation, {})
    total, _ = memory_estimate(explanation, bindings)
    check_memory(explanation, bindings, total)  # exactly at the budget: allowed
    with pytest.raises(StackError):
        check_memory(explanation, bindings, total - 1)
    run_stack(stack, max_memory=total)


def test_bigger_binding_raises_the_estimate():
    explanation = explain(load_stack("stacked-lstm"))
    small, _ = memory_estimate(explanation, {"batch": 2, "time": 800})
    large, _ = memory_estimate(explanation, {"batch": 2, "time": 8000})
    assert large > 5 * small
    with pytest.raises(StackError):
        run_stack(load_stack("stacked-lstm"), bind={"time": 10**7})


def test_estimate_counts_every_kept_array_once():
    run = run_stack(load_stack("addition"))
    total, layers = memory_estimate(run.explanation, run.bindings)
    for layer_run, memory in zip(run.layers, layers):
        assert memory.kept == np.asarray(layer_run.output).nbytes + sum(np.asarray(w).nbytes for w in layer_run.weights)
    kept = run.input.nbytes + sum(m.kept for m in layers)
    assert total == kept + max(m.working for m in layers) + FIXED_WORK


@pytest.mark.parametrize("data", [
    {"input_shape": [20], "layers": [{"Embedding": {"input_dim": 50_000, "output_dim": 64, "mask_zero": True}},
                                     {"LSTM": {"units": 32}}, {"Dense": {"units": 1}}]},
    {"input_shape": [60, 16], "layers": [{"Bidirectional": {"layer": {"GRU": {"units": 32, "return_sequences": True}}}},
                                         {"Conv1D": {"filters": 32, "kernel_size": 5, "padding": "causal"}}, "Flatten"]},
    {"input_shape": [40], "layers": [{"Embedding": {"input_dim": 300, "output_dim": 64, "mask_zero": True}},
                                     {"LSTM": {"units": 32, "return_sequences": True}}, "GlobalAveragePooling1D"]},
    {"input_shape": [10, 30, 16], "layers": [{"TimeDistributed": {"layer": {"Conv1D": {"filters": 32, "kernel_size": 3}}}},
                                             {"TimeDistributed": {"layer": "Flatten"}}, {"Dense": {"units": 64}}]},
])
def test_the_estimate_bounds_the_real_peak_of_run_and_its_claims(data):
    """tracemalloc sees every NumPy array; the run and all its claims stay within the estimate."""
    explanation = explain(stack_from_data(data))
    check_run(run_plan(explanation, {"batch": 1}))  # the first run imports what runs need
    estimate, _ = memory_estimate(explanation, bind_sizes(explanation, {"batch": 8}))
    tracemalloc.start()
    try:
        check_run(run_plan(explanation, {"batch": 8}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= estimate


# -- input dtypes ----------------------------------------------------------------------------------
def test_embedding_input_is_int32_token_ids():
    run = run_stack(stack_of([50], [{"Embedding": {"input_dim": 7, "output_dim": 3}}]), bind={"batch": 40})
    assert run.input.dtype == np.int32
    assert run.input.shape == (40, 50)
    assert run.input.min() >= 0 and run.input.max() < 7
    assert set(np.unique(run.input)) == set(range(7))  # 2,000 draws hit every id
    assert run.output.dtype == np.float32


def test_embedding_scenario_ids_in_range():
    run = run_stack(load_stack("embedding-lstm"))
    assert run.input.dtype == np.int32
    assert 0 <= run.input.min() and run.input.max() < 10000


def test_other_inputs_are_float32():
    run = run_stack(load_stack("addition"))
    assert run.input.dtype == np.float32
    assert all(np.asarray(r.output).dtype == np.float32 for r in run.layers)
    assert all(np.asarray(w).dtype == np.float32 for r in run.layers for w in r.weights)


def test_make_input_uses_the_bindings():
    explanation = explain(stack_of(["time", 3], ["Flatten"], FREE_TIME))
    x = make_input(explanation, {"batch": 4, "time": 6}, np.random.default_rng(0))
    assert x.shape == (4, 6, 3) and x.dtype == np.float32


# -- masks -------------------------------------------------------------------------------------------
MASKED_EMBEDDING = {"Embedding": {"input_dim": 10, "output_dim": 4, "mask_zero": True}}


def embedding_weights(seed=0):
    return [np.random.default_rng(seed).standard_normal((10, 4)).astype(np.float32)]


def rnn_weights(units, n_in=4, gates=4, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n_in, gates * units)) / 2).astype(np.float32),
            (rng.standard_normal((units, gates * units)) / 2).astype(np.float32),
            (0.1 * rng.standard_normal(gates * units)).astype(np.float32)]


@pytest.mark.parametrize("rnn, gates", [("LSTM", 4), ("SimpleRNN", 1)])
def test_leading_padding_is_skipped(rnn, gates):
    padded = np.array([[0, 0, 3, 5, 7], [0, 0, 2, 2, 9]], np.int32)
    real = padded[:, 2:]
    weights = [embedding_weights(), rnn_weights(3, gates=gates)]
    layers = [MASKED_EMBEDDING, {rnn: {"units": 3}}]
    with_padding = run_stack(stack_of([5], layers), weights=weights, x=padded)
    without = run_stack(stack_of([3], layers), weights=weights, x=real)
    assert with_padding.layers[1].mask is not None
    assert with_padding.layers[1].mask.tolist() == (padded != 0).tolist()
    np.testing.assert_allclose(with_padding.output, without.output, rtol=0, atol=1e-6)


def test_without_mask_zero_padding_changes_the_result():
    padded = np.array([[0, 0, 3, 5, 7]], np.int32)
    weights = [embedding_weights(), rnn_weights(3)]
    plain = {"Embedding": {"input_dim": 10, "output_dim": 4}}
    with_padding = run_stack(stack_of([5], [plain, {"LSTM": {"units": 3}}]), bind={"batch": 1}, weights=weights, x=padded)
    without = run_stack(stack_of([3], [plain, {"LSTM": {"units": 3}}]), bind={"batch": 1}, weights=weights,
                        x=padded[:, 2:])
    assert with_padding.layers[1].mask is None
    assert np.max(np.abs(with_padding.output - without.output)) > 1e-3


def test_masked_steps_repeat_the_previous_output():
    x = np.array([[0, 0, 3, 5, 7], [4, 0, 6, 0, 0]], np.int32)
    weights = [embedding_weights(), rnn_weights(3)]
    run = run_stack(stack_of([5], [MASKED_EMBEDDING, {"LSTM": {"units": 3, "return_sequences": True}}]),
                    weights=weights, x=x)
    y = run.output
    assert y.shape == (2, 5, 3)
    # before the first real token: zeros
    assert np.array_equal(y[0, 0], np.zeros(3)) and np.array_equal(y[0, 1], np.zeros(3))
    # a masked step repeats the previous output
    assert np.array_equal(y[1, 1], y[1, 0])
    assert np.array_equal(y[1, 3], y[1, 2]) and np.array_equal(y[1, 4], y[1, 2])
    # real steps do move
    assert not np.allclose(y[0, 2], 0) and not np.allclose(y[1, 2], y[1, 0])
    # the unpadded first row gives the same sequence for its real steps
    alone = run_stack(stack_of([3], [MASKED_EMBEDDING, {"LSTM": {"units": 3, "return_sequences": True}}]),
                      bind={"batch": 1}, weights=weights, x=x[:1, 2:])
    np.testing.assert_allclose(y[0, 2:], alone.output[0], rtol=0, atol=1e-6)
    # the sequence output hands the mask on; the next layer receives it
    assert run.layers[1].output is y


def test_mask_passes_through_return_sequences_to_the_next_rnn():
    x = np.array([[0, 0, 3, 5, 7]], np.int32)
    layers = [MASKED_EMBEDDING, {"LSTM": {"units": 3, "return_sequences": True}}, {"LSTM": {"units": 2}}]
    run = run_stack(stack_of([5], layers), bind={"batch": 1}, x=x)
    assert run.layers[2].mask is not None and run.layers[2].mask.tolist() == [[False, False, True, True, True]]
    weights = [r.weights for r in run.layers]
    alone = run_stack(stack_of([3], layers), bind={"batch": 1}, weights=weights, x=x[:, 2:])
    np.testing.assert_allclose(run.output, alone.output, rtol=0, atol=1e-6)


def test_mask_is_dropped_after_a_last_step_rnn():
    x = np.array([[0, 1, 2]], np.int32)
    run = run_stack(stack_of([3], [MASKED_EMBEDDING, {"LSTM": {"units": 3}}, {"Dense": {"units": 2}}]),
                    bind={"batch": 1}, x=x)
    assert run.layers[1].mask is not None
    assert run.layers[2].mask is None


def test_global_average_pooling_averages_only_unmasked_steps():
    x = np.array([[0, 0, 3, 5, 7], [4, 0, 6, 0, 1]], np.int32)
    table = embedding_weights()[0]
    run = run_stack(stack_of([5], [MASKED_EMBEDDING, "GlobalAveragePooling1D"]), weights=[[table], []], x=x)
    expected = np.stack([table[[3, 5, 7]].mean(axis=0), table[[4, 6, 1]].mean(axis=0)])
    np.testing.assert_allclose(run.output, expected, rtol=0, atol=1e-6)
    # without the mask it would be the plain mean over all 5 steps (zeros' rows included)
    assert not np.allclose(run.output, table[x].mean(axis=1), atol=1e-3)


def test_global_average_pooling_without_mask_is_the_plain_mean():
    x = np.array([[0, 0, 3, 5, 7]], np.int32)
    table = embedding_weights()[0]
    plain = {"Embedding": {"input_dim": 10, "output_dim": 4}}
    run = run_stack(stack_of([5], [plain, "GlobalAveragePooling1D"]), bind={"batch": 1}, weights=[[table], []], x=x)
    np.testing.assert_allclose(run.output, table[x].mean(axis=1), rtol=0, atol=1e-6)


def test_run_stack_with_explicit_input_keeps_it():
    x = np.arange(2 * 4 * 128, dtype=np.float32).reshape(2, 4, 128) / 1000
    run = run_stack(load_stack("dense-3d"), x=x)
    assert run.input is x
    assert run.layers[0].input is x


# -- an activation without a Keras fixture ------------------------------------------------------------
def keras_sparsemax(x):
    """keras/src/backend/*/nn.py sparsemax, step for step (τ = (Σ of the cumsums over the support − 1) / k)."""
    x = x.astype(np.float64)
    ordered = -np.sort(-x, axis=-1)
    cumsum = np.cumsum(ordered, axis=-1)
    r = np.arange(1, x.shape[-1] + 1)
    support = ordered - (cumsum - 1) / r > 0
    k = np.sum(support, axis=-1, keepdims=True)
    tau = (np.sum(np.where(support, cumsum, 0.0), axis=-1, keepdims=True) - 1) / k
    return np.maximum(x - tau, 0.0)


def test_sparsemax_follows_keras():
    x = np.array([[[1.0, 0.9, 0.8, -2.0], [3.0, 0.0, -1.0, 0.5]]], np.float32)
    run = run_stack(stack_of([2, 4], [{"Activation": {"activation": "sparsemax"}}]), bind={"batch": 1}, x=x)
    # support {1, 0.9, 0.8}: Keras' τ = (1 + 1.9 + 2.7 − 1) / 3 > 1, so the first row is all zeros;
    # the second row's support is {3}: τ = 2
    np.testing.assert_allclose(run.output, [[[0, 0, 0, 0], [1, 0, 0, 0]]], rtol=0, atol=1e-6)
    wide = np.random.default_rng(0).normal(0, 3, (3, 4, 6)).astype(np.float32)
    run = run_stack(stack_of([4, 6], [{"Activation": {"activation": "sparsemax"}}]), bind={"batch": 3}, x=wide)
    assert run.output.dtype == np.float32
    np.testing.assert_allclose(run.output, keras_sparsemax(wide), rtol=0, atol=1e-5)


@pytest.mark.parametrize("n, text", [(10, "10 B"), (2048, "2.0 KiB"), (3 * 2**30, "3.0 GiB"),
                                     (5 * 2**40, "5.0 TiB"), (2**80, "1.1e+12 TiB")])
def test_memory_sizes_read_well_at_any_scale(n, text):
    from shapecli.numeric import human_bytes

    assert human_bytes(n) == text


def test_an_embedding_fed_numbers_that_are_not_its_ids_is_an_error_not_a_traceback():
    stack = stack_of([50], [{"Dense": {"units": 30}}, {"Embedding": {"input_dim": 1, "output_dim": 2}}])
    with pytest.raises(StackError) as raised:
        run_stack(stack)
    error = raised.value
    assert error.exit_code == 1
    assert error.title.startswith("layer 2, Embedding(1, 2): Embedding got the id ")
    assert error.title.endswith("but its table has rows 0..0")
    assert error.fix == "put the Embedding first, where the input is token ids, or raise input_dim"


@pytest.mark.parametrize("before", [{"Dropout": {"rate": 0.5}}, "Flatten", {"Reshape": {"target_shape": [2, 2]}}])
def test_token_ids_reach_an_embedding_through_layers_that_only_move_values(before):
    """Keras runs Dropout (the identity at inference), Flatten or Reshape before an Embedding: the input is
    token ids, drawn for the Embedding's vocabulary, and every claim holds. (Found by test_properties.)"""
    explanation = explain(stack_from_data({"input_shape": [4], "layers": [
        before, {"Embedding": {"input_dim": 2, "output_dim": 1}}]}))
    assert explanation.dtypes[next(iter(explanation.inputs))] == "int32"
    run = run_plan(explanation, {"batch": 3}, seed=2)
    assert run.input.dtype == np.int32 and set(np.unique(run.input)) <= {0, 1}
    assert all(claim.ok for layer in check_run(run) for claim in layer)


def test_a_long_chain_of_pass_through_layers_is_followed_without_recursion():
    """5,000 Dropouts before an Embedding: the input is still token ids, found without a RecursionError."""
    layers = [{"Dropout": {"rate": 0.1}}] * 5000
    assert explain(stack_from_data({"input_shape": [8], "layers": layers})).dtypes["input"] == "float32"
    with_table = explain(stack_from_data({"input_shape": [8], "layers": layers + [
        {"Embedding": {"input_dim": 3, "output_dim": 2}}]}))
    assert with_table.dtypes["input"] == "int32"
