"""The symbolic size algebra: printing, simplification, and evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from shapecli.shapes import Dim, batched, format_shape, product, shape_to_json

time = Dim.of("time")


@pytest.mark.parametrize(
    "dim,text",
    [
        (Dim.of(12), "12"),
        (time, "time"),
        (time * 12, "time*12"),
        (12 * time, "time*12"),
        (time - 2, "time-2"),
        (time - 5 + 1, "time-4"),
        ((time - 3) // 2 + 1, "(time-3)//2+1"),
        (time // 2, "time//2"),
        ((time * 4) // 2, "time*2"),
        (time * Dim.of("steps") * 3, "steps*time*3"),
        (time - time, "0"),
        (-time + 7, "-time+7"),
    ],
)
def test_printing(dim, text):
    assert str(dim) == text


def test_known_sizes_fold_to_numbers():
    assert ((Dim.of(100) - 5) // 1 + 1).value == 96
    assert ((Dim.of(9) - 3) // 2 + 1).value == 4
    assert Dim.of(7).is_known and not time.is_known
    with pytest.raises(ValueError):
        time.value


def test_equality_and_hashing_ignore_how_a_size_was_built():
    assert time * 12 == 12 * time == time * 3 * 4
    assert hash(time * 12) == hash(12 * time)
    assert Dim.of(5) == 5
    assert time + 1 != time


def test_exact_division():
    assert (time * 12).divide_exactly(Dim.of(6)) == time * 2
    assert (time * 12).divide_exactly(Dim.of(5)) is None
    assert (time * 12).divide_exactly(time) == Dim.of(12)
    assert (time * 12).divide_exactly(time * 4) == Dim.of(3)
    assert (time + 1).divide_exactly(Dim.of("steps")) is None


def test_shapes_print_and_serialise():
    shape = batched([time * 12])
    assert format_shape(shape) == "(batch, time*12)"
    assert format_shape((Dim.of("batch"),)) == "(batch,)"
    assert shape_to_json(batched([7, time - 2])) == ["batch", 7, "time-2"]
    assert product([Dim.of(4), time, Dim.of(3)]) == time * 12


# -- property: any expression built by the engine's operations evaluates like integer arithmetic
OPS = st.sampled_from(["add", "sub", "mul_int", "mul_sym", "floordiv"])


@given(
    ops=st.lists(st.tuples(OPS, st.integers(1, 9), st.sampled_from(["time", "steps"])), max_size=8),
    time_value=st.integers(1, 60),
    steps_value=st.integers(1, 60),
)
def test_symbolic_arithmetic_evaluates_like_integers(ops, time_value, steps_value):
    bindings = {"time": time_value, "steps": steps_value}
    dim, value = Dim.of("time"), time_value
    for op, n, symbol in ops:
        if op == "add":
            dim, value = dim + n, value + n
        elif op == "sub":
            dim, value = dim - n, value - n
        elif op == "mul_int":
            dim, value = dim * n, value * n
        elif op == "mul_sym":
            dim, value = dim * Dim.of(symbol), value * bindings[symbol]
        else:
            dim, value = dim // n, value // n
        assert dim.evaluate(bindings) == value, str(dim)


def test_floor_division_of_a_floor_division_is_one_floor_division_and_exact():
    """(a//s + c)//d == (a + c·s)//(s·d): a strided stack's length stays one short expression."""
    time = Dim.of("time")
    same = time
    valid = time
    for _ in range(5):
        same = (same - 1) // 2 + 1
        valid = (valid - 3) // 2 + 1
    assert str(same) == "(time-1)//32+1" and str(valid) == "(time-63)//32+1"
    for t in range(1, 300):
        a, b = t, t
        for _ in range(5):
            a, b = (a - 1) // 2 + 1, (b - 3) // 2 + 1
        assert same.evaluate({"time": t}) == a and valid.evaluate({"time": t}) == b


def test_a_deep_strided_stack_names_its_long_sizes_and_stays_linear():
    from tests.helpers import explain_data

    layers = [{"Conv1D": {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}}] * 300
    explanation = explain_data(["time", 2], layers, {"time": None})
    longest = max(len(str(d)) for step in explanation.steps for d in step.output_shape)
    assert longest <= 60
    named = [note for step in explanation.steps for note in step.notes if note.startswith("size")]
    assert named[0].startswith("size1 = (time-1)//") and named[1].startswith("size2 = (size1-1)//")
    last = explanation.steps[-1].output_shape[1]
    t = 2 ** 310 + 12345
    expected = t
    for _ in range(300):
        expected = (expected - 1) // 2 + 1
    assert last.evaluate({"time": t}) == expected
