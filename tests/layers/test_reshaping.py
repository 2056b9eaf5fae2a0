"""Flatten, Reshape, Permute, RepeatVector (shapecli/layers/reshaping.py).

Shapes come from the Keras 3 reference (tests/reference/keras_layers.json); where an
axis is free, the symbolic size is checked as text and evaluated at every length Keras tried.
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.reshaping import Flatten, Permute, RepeatVector, Reshape

from tests.helpers import as_keras, case, explain_case, explain_data, note, stack_error, texts


def assert_no_weights(step):
    assert step.params == 0
    assert step.layer.weight_shapes(step.input_shape) == []


# -- Flatten -----------------------------------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("flatten_2d", ["batch", "12"]),
    ("flatten_3d", ["batch", "84"]),
    ("flatten_4d", ["batch", "252"]),
    ("flatten_3d_null_time", ["batch", "time*12"]),
])
def test_flatten_shapes_match_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert texts(step.output_shape) == expected
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert_no_weights(step)


def test_flatten_over_free_time_evaluates_to_what_keras_computes():
    c, explanation = explain_case("flatten_3d_null_time")
    flat = explanation.output_shape[1]
    assert str(flat) == "time*12"
    assert flat.symbols == {"time"}
    for run in c["concrete"]:
        assert flat.evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]


def test_flatten_title_and_bare_name():
    explanation = explain_data([7, 12], ["Flatten"])
    assert explanation.steps[0].layer.title() == "Flatten()"
    assert texts(explanation.output_shape) == ["batch", "84"]
    assert Flatten().title() == "Flatten()"


def test_flatten_why():
    assert note([7, 12], ["Flatten"]) == "lays the 7×12 values of each sample out in one row of 84 (order kept)"
    assert "one row of time*12" in note([None, 12], ["Flatten"])


def test_flatten_why_on_2d_says_nothing_to_flatten():
    text = note([12], ["Flatten"])
    assert "nothing to flatten" in text
    assert "unchanged" in text


def test_flatten_then_dense_over_free_time_names_the_symbolic_size():
    error = stack_error([None, 12], ["Flatten", {"Dense": {"units": 5}}])
    assert error.exit_code == 1
    assert "time*12" in error.title


def test_flatten_rejects_channels_first_typo():
    error = stack_error([7, 12], [{"Flatten": {"data_format": "channels_middle"}}])
    assert error.exit_code == 2
    assert "`data_format` must be one of" in error.title


# -- Reshape -------------------------------------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("reshape_basic", ["batch", "4", "12"]),
    ("reshape_minus_one", ["batch", "8", "6"]),
    ("reshape_3d_to_4d", ["batch", "2", "2", "12"]),
    ("reshape_minus_one_null_time", ["batch", "time*12"]),
])
def test_reshape_shapes_match_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert texts(step.output_shape) == expected
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert_no_weights(step)


def test_reshape_minus_one_over_free_time_evaluates_to_what_keras_computes():
    c, explanation = explain_case("reshape_minus_one_null_time")
    size = explanation.output_shape[1]
    for run in c["concrete"]:
        assert size.evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]


def test_reshape_minus_one_divides_a_symbolic_size():
    explanation = explain_data([None, 24], [{"Reshape": {"target_shape": [-1, 12]}}])
    out = explanation.output_shape
    assert texts(out) == ["batch", "time*2", "12"]
    for length in (1, 2, 5, 10, 11):
        assert out[1].evaluate({"time": length}) * 12 == length * 24


def test_reshape_minus_one_can_be_a_free_symbol_itself():
    explanation = explain_data(["time", 12], [{"Reshape": {"target_shape": [-1, "time"]}}], {"time": None})
    assert texts(explanation.output_shape) == ["batch", "12", "time"]


def test_reshape_to_the_same_symbolic_total_without_minus_one():
    explanation = explain_data(["time", 24], [{"Reshape": {"target_shape": ["time", 2, 12]}}], {"time": None})
    assert texts(explanation.output_shape) == ["batch", "time", "2", "12"]


def test_reshape_symbols_with_sizes_are_replaced():
    explanation = explain_data([48], [{"Reshape": {"target_shape": ["steps", 12]}}], {"steps": 4})
    assert texts(explanation.output_shape) == ["batch", "4", "12"]


def test_reshape_incompatible_does_not_fit_like_keras():
    c = case("reshape_incompatible")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert "Reshape to (5, 10) needs 50 values per sample, but the input has 48" in error.title
    assert error.found == "(batch, 4, 12): 48 values per sample"


def test_reshape_minus_one_that_does_not_divide_does_not_fit():
    error = stack_error([4, 12], [{"Reshape": {"target_shape": [-1, 5]}}])
    assert error.exit_code == 1
    assert "cannot fit 48 values per sample into (-1, 5)" in error.title


def test_reshape_fixed_target_over_free_time_fits_only_for_some_lengths():
    error = stack_error([None, 12], [{"Reshape": {"target_shape": [4, 12]}}])
    assert error.exit_code == 1
    assert "equal only for some sizes" in error.title
    assert "-1" in error.fix


@pytest.mark.parametrize("target, title", [
    ([4, 12], "Reshape((4, 12))"),
    ([-1, 12], "Reshape((-1, 12))"),
    ([-1], "Reshape((-1,))"),
])
def test_reshape_title(target, title):
    explanation = explain_data([48], [{"Reshape": {"target_shape": target}}])
    assert explanation.steps[0].layer.title() == title


def test_reshape_why():
    assert note([48], [{"Reshape": {"target_shape": [4, 12]}}]) == (
        "regroups the same 48 values of each sample as (4, 12) (order kept)"
    )
    assert "the same time*24 values of each sample as (time*2, 12)" in note(
        [None, 24], [{"Reshape": {"target_shape": [-1, 12]}}]
    )


@pytest.mark.parametrize("target, words", [
    ([-1, -1], "only one size of `target_shape` can be -1"),
    ([-1, 4, -1], "only one size of `target_shape` can be -1"),
    ([0, 12], "`target_shape` must be a positive integer"),
    ([-2, 12], "`target_shape` must be a positive integer"),
    ([], "`target_shape` must be a non-empty list of sizes"),
    (12, "`target_shape` must be a non-empty list of sizes"),
    ([4, "rows"], "'rows' is not a declared symbol"),
])
def test_reshape_bad_target_is_unreadable(target, words):
    error = stack_error([48], [{"Reshape": {"target_shape": target}}])
    assert error.exit_code == 2
    assert words in error.title


def test_reshape_target_is_required():
    error = stack_error([48], ["Reshape"])
    assert error.exit_code == 2
    assert "Reshape needs `target_shape`" in error.title


def test_reshape_constructor_rejects_two_minus_ones():
    with pytest.raises(ArgumentError):
        Reshape(target_shape=[-1, -1])


# -- Permute ----------------------------------------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("permute_21", ["batch", "12", "7"]),
    ("permute_312_4d", ["batch", "12", "3", "7"]),
])
def test_permute_shapes_match_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert texts(step.output_shape) == expected
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert_no_weights(step)


def test_permute_moves_a_free_axis():
    explanation = explain_data([None, 12], [{"Permute": {"dims": [2, 1]}}])
    assert texts(explanation.output_shape) == ["batch", "12", "time"]


def test_permute_title():
    assert explain_data([7, 12], [{"Permute": {"dims": [2, 1]}}]).steps[0].layer.title() == "Permute((2, 1))"


def test_permute_why_lists_the_moves():
    assert note([7, 12], [{"Permute": {"dims": [2, 1]}}]) == (
        "reorders the axes (axis 2→1, axis 1→2); the values are the same, read in another order"
    )
    assert "(axis 3→1, axis 1→2, axis 2→3)" in note([3, 7, 12], [{"Permute": {"dims": [3, 1, 2]}}])


def test_permute_why_leaves_out_axes_that_stay():
    text = note([3, 7, 12], [{"Permute": {"dims": [1, 3, 2]}}])
    assert "(axis 3→2, axis 2→3)" in text
    assert "1→1" not in text


def test_permute_identity_why_does_not_print_empty_parentheses():
    text = note([7, 12], [{"Permute": {"dims": [1, 2]}}])
    assert "()" not in text


@pytest.mark.parametrize("dims", [[1, 1], [0, 1], [1, 3], [2], [True, 2], 2, [1.0, 2]])
def test_permute_dims_must_be_a_permutation_of_1_to_n(dims):
    error = stack_error([7, 12], [{"Permute": {"dims": dims}}])
    assert error.exit_code == 2
    assert "`dims` must list the axes 1..n once each" in error.title


def test_permute_with_the_wrong_number_of_axes_does_not_fit():
    error = stack_error([3, 7, 12], [{"Permute": {"dims": [2, 1]}}])
    assert error.exit_code == 1
    assert "Permute needs a 3D input" in error.title
    assert "gets a 4D one" in error.title


def test_permute_constructor_rejects_a_repeated_axis():
    with pytest.raises(ArgumentError):
        Permute(dims=[1, 1])


# -- RepeatVector ---------------------------------------------------------------------------
def test_repeat_vector_shape_matches_keras():
    c, explanation = explain_case("repeatvector_2d")
    (step,) = explanation.steps
    assert texts(step.output_shape) == ["batch", "4", "12"]
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert_no_weights(step)


def test_repeat_vector_in_the_addition_model():
    c, explanation = explain_case("stack_addition_encoder_decoder")
    step = explanation.steps[1]
    assert step.layer.title() == "RepeatVector(4)"
    assert as_keras(step.output_shape) == c["layer_output_shapes"][1] == [None, 4, 128]
    assert step.note == (
        "copies the (batch, 128) vector to 4 time steps, so a decoder gets one input per output step"
    )


def test_repeat_vector_n_may_be_a_symbol():
    explanation = explain_data([12], [{"RepeatVector": {"n": "seq_out_length"}}], {"seq_out_length": 4})
    assert texts(explanation.output_shape) == ["batch", "4", "12"]
    assert explanation.steps[0].layer.title() == "RepeatVector(4)"


def test_repeat_vector_keeps_a_free_feature_size():
    explanation = explain_data([None, 12], ["Flatten", {"RepeatVector": {"n": 3}}])
    assert texts(explanation.output_shape) == ["batch", "3", "time*12"]


def test_repeat_vector_on_3d_does_not_fit_like_keras():
    c = case("repeatvector_3d")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert "RepeatVector needs a 2D input" in error.title
    assert "gets a 3D one" in error.title
    assert "reduce to one vector per sample first" in error.fix


def test_repeat_vector_after_return_sequences_says_to_remove_it():
    error = stack_error([7, 12], [{"LSTM": {"units": 8, "return_sequences": True}}, {"RepeatVector": {"n": 4}}])
    assert error.exit_code == 1
    assert error.fix.startswith("layer 1, LSTM(8, return_sequences=True)")
    assert "remove `return_sequences: true`" in error.fix


@pytest.mark.parametrize("args, words", [
    ({"n": 0}, "`n` must be a positive integer"),
    ({"n": "many"}, "'many' is not a declared symbol"),
    ({}, "RepeatVector needs `n`"),
])
def test_repeat_vector_bad_n_is_unreadable(args, words):
    error = stack_error([12], [{"RepeatVector": args}])
    assert error.exit_code == 2
    assert words in error.title


def test_repeat_vector_n_from_a_free_symbol_is_unreadable():
    error = stack_error([12], [{"RepeatVector": {"n": "steps"}}], {"steps": None})
    assert error.exit_code == 2
    assert "`n` needs a known number" in error.title


@pytest.mark.parametrize("layer", [Flatten(), Reshape(target_shape=[4, 12]), Permute(dims=[2, 1]), RepeatVector(n=4)])
@pytest.mark.parametrize("rank", [2, 3])
def test_reshaping_layers_have_no_rank_hint(layer, rank):
    assert layer.hint_for_rank(rank) is None


def test_reshape_minus_one_on_a_free_size_states_its_condition_and_run_checks_it():
    """Keras accepts Reshape([-1, 5]) on (batch, time, 2) and fails at run time unless time·2 divides by 5."""
    from shapecli.errors import StackError
    from shapecli.numeric import run_stack
    from shapecli.stackfile import stack_from_data

    c, explanation = explain_case("reshape_minus_one_5_null_time")
    assert texts(explanation.output_shape) == ["batch", "(time*2)//5", "5"]
    assert "only when time*2 is a multiple of 5: Keras checks it when the model runs" in explanation.steps[0].why
    stack = stack_from_data({"symbols": {"time": None}, "input_shape": ["time", 2],
                             "layers": [{"Reshape": {"target_shape": [-1, 5]}}]})
    assert run_stack(stack, bind={"time": 5}).output.shape == (2, 2, 5)
    with pytest.raises(StackError) as raised:
        run_stack(stack, bind={"time": 4})
    assert raised.value.exit_code == 1
    assert raised.value.title == ("layer 1, Reshape((-1, 5)): Reshape needs time*2 to be a multiple of 5, and with "
                                  "these sizes it is 8")
