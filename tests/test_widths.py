"""Output read on a terminal of 60, 80, 100 or 120 columns: no line is longer, and no layer label, shape
or number is ever split across lines (prose wraps between words; a table too narrow becomes blocks)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from shapecli.claims import check_run
from shapecli.cli import cli
from shapecli.engine import explain
from shapecli.numeric import run_stack
from shapecli.render.fit import tokens
from shapecli.scenarios import load_stack, scenario_names
from shapecli.shapes import format_shape

WIDTHS = [60, 80, 100, 120]
GOOD = [name for name in scenario_names() if "wrong" not in name]


def output(args, width) -> list[str]:
    result = CliRunner().invoke(cli, args, env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.stdout.splitlines()


def assert_fits(lines: list[str], width: int, whole: list[str]) -> None:
    # a line may be longer only to keep whole what is longer on its own (a long label at 60 columns),
    # or to quote the user's own file in an error (`66 |   - GRU: {…}`)
    longest = [piece for piece in whole if len(piece) > width - 12]
    too_long = [line for line in lines if len(line.rstrip()) > width and not re.match(r"\d+ \| ", line)
                and not any(piece in line for piece in longest)]
    assert not too_long, too_long[:3]
    text = "\n".join(lines)
    cut = [line for line in lines if re.search(r"\((batch|None)(, [^()]*)?,$", line.rstrip())]
    assert not cut, f"a shape cut at the end of a line: {cut[:3]}"
    split = [piece for piece in whole if not any(piece in line for line in lines)]
    assert not split, f"split across lines: {split[:5]}\n{text}"


def shapes(shape) -> list[str]:
    return [format_shape(s) for s in shape] if isinstance(shape, list) else [format_shape(shape)]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", GOOD)
def test_explain_fits(name, width):
    explanation = explain(load_stack(name))
    whole = []
    for step in explanation.steps:
        whole += [step.layer.title(), f"{step.params:,}", *shapes(step.output_shape)]
        whole += [] if explanation.stack.is_graph else shapes(step.input_shape)
    assert_fits(output(["explain", name], width), width, whole)
    weights = [f"{n} {'×'.join(map(str, s))}" for step in explanation.steps for n, s in step.layer.weight_shapes(step.input_shape)]
    assert_fits(output(["explain", name, "--weights"], width), width, whole + weights)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["addition", "embedding-lstm", "bidirectional", "char-seq2seq"])
def test_run_fits(name, width):
    run = run_stack(load_stack(name))
    whole = [step.layer.title() for step in run.explanation.steps]
    for layer_claims in check_run(run):
        for claim in layer_claims:
            whole += [t for t in tokens(claim.expected) + tokens(claim.observed) if any(ch.isdigit() for ch in t)]
    assert_fits(output(["run", name], width), width, whole)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lesson", ["return-state", "dense-vs-timedistributed", "bidirectional-merge-modes"])
def test_compare_fits(lesson, width):
    from shapecli.compare import compare_lesson

    whole = []
    for part in compare_lesson(lesson).parts:
        for entry in part.contenders:
            if entry.explanation:
                for step in entry.explanation.steps:
                    whole += [step.layer.title(), f"{step.params:,}", *shapes(step.output_shape)]
    assert_fits(output(["compare", lesson], width), width, whole)


@pytest.mark.parametrize("args", [["explain", "addition"], ["run", "addition"], ["compare", "return-state"]])
def test_piped_output_has_no_trailing_spaces(args):
    lines = output(args, 100)
    assert lines and not [line for line in lines if line != line.rstrip()]


@pytest.mark.parametrize("width", WIDTHS)
def test_listings_fit(width):
    from shapecli.compare import lesson_names

    assert_fits(output(["scenarios"], width), width, GOOD + ["(batch, 4, 128)"])
    assert_fits(output(["compare", "--list"], width), width, lesson_names())


@pytest.mark.parametrize("width", WIDTHS)
def test_long_stack_listings_fit(tmp_path, width):
    """Past LONG_STACK layers explain lists a layer a row: its sentence wraps beside the row or below it."""
    from shapecli.render import LONG_STACK

    path = tmp_path / "deep.yaml"
    layers = ["  - LSTM: {units: 16, return_sequences: true}", "  - Dense: {units: 16}",
              "  - Conv1D: {filters: 16, kernel_size: 3, strides: 2, padding: same}"]
    path.write_text("input_shape: [time, 8]\nsymbols: {time: null}\nlayers:\n"
                    + "\n".join(layers[k % 3] for k in range(LONG_STACK + 1)) + "\n")
    explanation = explain(load_stack(str(path)))
    whole = [piece for step in explanation.steps
             for piece in (step.layer.title(), f"{step.params:,}", *shapes(step.input_shape), *shapes(step.output_shape))]
    lines = output(["explain", str(path)], width)
    assert_fits(lines, width, whole)
    said = " ".join(" ".join(lines).split())
    assert all(" ".join(step.note.split()) in said for step in explanation.steps)  # every sentence, whole
