"""shapecli compare: the lessons' numbers and proofs, the aligned table, user comparisons."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from shapecli import compare as compare_module
from shapecli.cli import cli
from shapecli.compare import compare_lesson, compare_targets, lesson_names
from shapecli.errors import StackError
from shapecli.layers.core import Dense


def invoke(*args):
    return CliRunner().invoke(cli, ["compare", *args])


def part(comparison, title_start):
    (found,) = [p for p in comparison.parts if p.title.startswith(title_start)]
    return found


def contender(part_, name):
    (found,) = [c for c in part_.contenders if c.name == name]
    return found


def max_diff(detail: str) -> float:
    return float(re.search(r"max \|difference\| = ([0-9.e+-]+)", detail).group(1))


# -- the lessons --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", lesson_names())
def test_every_lesson_runs_with_every_proof_holding(name):
    result = invoke(name)
    assert result.exit_code == 0, result.output
    comparison = compare_lesson(name)
    proofs = [p for part_ in comparison.parts for p in part_.proofs]
    assert proofs and all(p.ok for p in proofs)
    assert f"{len(proofs)} of {len(proofs)} proofs hold" in result.output
    assert not re.search(r"^✗ ", result.output, flags=re.M)  # no failed proof (a ✗ in a table marks a refused layer)


def test_the_lessons_are_listed():
    assert set(lesson_names()) == {"dense-vs-timedistributed", "return-sequences", "repeatvector",
                                   "bidirectional-merge-modes", "stacked-recurrent", "return-state"}
    result = invoke("--list")
    assert result.exit_code == 0
    for name in lesson_names():
        assert re.search(rf"^{re.escape(name)}\s+\S", result.output, flags=re.M)


def test_dense_vs_timedistributed_numbers():
    lesson = compare_lesson("dense-vs-timedistributed")
    first = part(lesson, "Same shape")
    dense, td = contender(first, "Dense"), contender(first, "TimeDistributed(Dense)")
    assert dense.explanation.total_params == td.explanation.total_params == 1548
    assert dense.explanation.output_shape == td.explanation.output_shape
    (same,) = [p for p in first.proofs if "same numbers" in p.text]
    assert same.ok and max_diff(same.detail) <= 1e-6
    flat = contender(part(lesson, "What \"fully connected"), "Flatten → Dense → Reshape")
    assert flat.explanation.total_params == 24624
    broken = contender(part(lesson, "With a free number"), "Flatten → Dense")
    assert broken.error is not None and broken.error.exit_code == 1 and "time*128" in broken.error.title
    where = part(lesson, "Where TimeDistributed")
    assert [str(d) for d in contender(where, "TimeDistributed(Flatten)").explanation.output_shape] == ["batch", "6", "15"]
    assert [str(d) for d in contender(where, "Flatten").explanation.output_shape] == ["batch", "90"]
    four_d = part(lesson, "… GlobalAveragePooling1D")
    assert contender(four_d, "GlobalAveragePooling1D").error is not None
    assert contender(four_d, "Conv1D").error is not None
    assert [str(d) for d in contender(four_d, "TimeDistributed(Conv1D)").explanation.output_shape] == ["batch", "6", "4", "4"]


def test_return_sequences_false_is_the_last_step_of_true():
    lesson = compare_lesson("return-sequences")
    first = part(lesson, "One vector")
    assert [str(d) for d in contender(first, "return_sequences=False").explanation.output_shape] == ["batch", "16"]
    assert [str(d) for d in contender(first, "return_sequences=True").explanation.output_shape] == ["batch", "7", "16"]
    (last,) = [p for p in first.proofs if "last step" in p.text]
    assert last.ok and max_diff(last.detail) <= 1e-6


def test_bidirectional_merge_modes_widths_and_proofs():
    first = compare_lesson("bidirectional-merge-modes").parts[0]
    widths = {c.name: c.explanation.output_shape[-1].value for c in first.contenders}
    assert widths == {"concat": 16, "sum": 8, "mul": 8, "ave": 8}
    merges = [p for p in first.proofs if "halves" in p.text]
    assert len(merges) == 3 and all(p.ok and max_diff(p.detail) <= 1e-6 for p in merges)


def test_repeatvector_fixes_the_output_length():
    free = part(compare_lesson("repeatvector"), "The output length")
    assert [str(d) for d in contender(free, "RepeatVector bridge").explanation.output_shape] == ["batch", "4", "12"]
    assert [str(d) for d in contender(free, "full encoder sequence").explanation.output_shape] == ["batch", "time", "12"]


def test_stacked_recurrent_shows_the_teaching_error():
    result = invoke("stacked-recurrent")
    assert result.exit_code == 0
    flat = " ".join(result.output.split())  # messages wrap at the terminal's width, between words
    assert "add `return_sequences: true`" in flat
    assert "LSTM needs a 3D input" in flat


def test_a_proof_that_fails_makes_the_lesson_exit_1(monkeypatch):
    forward = Dense.forward
    monkeypatch.setattr(Dense, "forward", lambda self, x, weights, mask=None: forward(self, x, weights) + (x.ndim == 2))
    result = invoke("dense-vs-timedistributed")
    assert result.exit_code == 1
    assert "✗ Dense and TimeDistributed(Dense) give the same numbers" in result.output


def test_a_wrong_number_in_a_lesson_is_caught(monkeypatch, tmp_path):
    lesson = tmp_path / "made-up.yaml"
    lesson.write_text(
        "title: T\nsummary: S\nparts:\n  - title: P\n    narrative: N\n    stacks:\n"
        "      A: {input_shape: [4, 128], layers: [{Dense: {units: 12}}]}\n"
        "      B: {input_shape: [4, 128], layers: [{Dense: {units: 12}}]}\n"
        "    proofs:\n      - params: {A: 1548, B: 1549}\n      - same_output: [A, B]\n")
    monkeypatch.setattr(compare_module, "lesson_dir", lambda: tmp_path)
    result = invoke("made-up")  # a new lesson: data only, no new rendering code
    assert result.exit_code == 1
    assert "✗ parameters: A 1,548, B 1,549" in result.output
    assert "✓ A and B give the same numbers" in result.output


# -- the aligned table and user comparisons -------------------------------------------------------
def test_user_comparison_of_unequal_depth_is_aligned_and_marks_differences():
    result = invoke("dense-3d", "flatten-dense", "timedistributed-dense")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if "dense-3d" in line and "flatten-dense" in line and "#" in line)
    assert header.index("dense-3d") < header.index("flatten-dense") < header.index("timedistributed-dense")
    row2 = next(line for line in lines if line.strip().startswith("2 "))
    assert "Dense(48)" in row2 and row2.index("Dense(48)") >= header.index("flatten-dense")
    assert "(batch, 512) ≠" in result.output and "24,624 params ≠" in result.output
    assert "(batch, 4, 12) ≠" not in next(line for line in lines if "TimeDistributed(Dense(12))" in line)
    assert "same weights: the outputs are identical" in result.output
    assert "differ in layout" in result.output


def test_user_comparison_states_what_cannot_be_compared():
    comparison = compare_targets(["addition", "embedding-lstm", "simple-rnn-classifier"])
    details = [p.detail for p in comparison.parts[0].proofs]
    assert details[0].startswith("not comparable: the input shapes differ")
    assert details[1].startswith("not comparable: the outputs differ in shape")
    assert all(p.ok is None for p in comparison.parts[0].proofs)


def test_user_comparison_with_a_stack_that_does_not_fit_exits_1():
    result = invoke("stacked-lstm", "stacked-lstm-wrong")
    assert result.exit_code == 1
    assert "stacked-lstm-wrong:" in result.output and "error:" in result.output
    assert "does not fit" in result.output


def test_compare_json_for_a_lesson_and_for_user_stacks():
    for args in (["return-sequences"], ["dense-3d", "timedistributed-dense"]):
        result = invoke(*args, "--json")
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert set(data) == {"title", "summary", "parts", "ok"} and data["ok"] is True
        for part_ in data["parts"]:
            assert set(part_) == {"title", "narrative", "stacks", "proofs"}
            for stack in part_["stacks"]:
                assert set(stack) in ({"name", "input_shape", "layers", "output_shape", "total_params"},
                                      {"name", "error"})
            for proof in part_["proofs"]:
                assert set(proof) == {"proof", "ok", "detail"}
    lesson = json.loads(invoke("return-sequences", "--json").stdout)
    failing = [s for p in lesson["parts"] for s in p["stacks"] if "error" in s]
    assert failing and failing[0]["error"]["layer"] == 2


def test_every_json_output_gives_a_layer_the_same_record():
    runner = CliRunner()
    explained = json.loads(runner.invoke(cli, ["explain", "dense-3d", "--json"]).stdout)["layers"]
    ran = json.loads(runner.invoke(cli, ["run", "dense-3d", "--json"]).stdout)["layers"]
    compared = json.loads(invoke("dense-3d", "flatten-dense", "--json").stdout)["parts"][0]["stacks"][0]["layers"]
    assert set(explained[0]) - {"params_formula", "see"} == {"index", "type", "title", "arguments", "input_shape",
                                                              "output_shape", "params", "note"}
    assert explained[0]["title"] == "Dense(12)"
    assert compared == explained
    assert [{k: v for k, v in layer.items() if k not in ("observed_shape", "claims")} for layer in ran] == explained


@pytest.mark.parametrize("args, words", [
    (["addition"], "compare needs two or more stacks"),
    (["x.yaml"], "compare needs two or more stacks"),
    (["return-sequence"], "did you mean 'return-sequences'?"),
    (["addition", "nope.yaml"], "no such file"),
])
def test_bad_usage_exits_2(args, words):
    result = invoke(*args)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_compare_without_arguments_lists_the_lessons():
    assert invoke().output == invoke("--list").output


def test_unknown_proof_stack_is_reported(monkeypatch, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "title: T\nsummary: S\nparts:\n  - title: P\n    narrative: N\n    stacks:\n"
        "      A: {input_shape: [4], layers: [Flatten]}\n    proofs:\n      - claims_hold: B\n")
    monkeypatch.setattr(compare_module, "lesson_dir", lambda: tmp_path)
    with pytest.raises(StackError) as raised:
        compare_lesson("bad")
    assert "names stack 'B'" in raised.value.title


def test_an_unknown_proof_kind_is_reported(monkeypatch, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "title: T\nsummary: S\nparts:\n  - title: P\n    narrative: N\n    stacks:\n"
        "      A: {input_shape: [4], layers: [Flatten]}\n    proofs:\n      - claim_holds: A\n")
    monkeypatch.setattr(compare_module, "lesson_dir", lambda: tmp_path)
    result = invoke("bad")
    assert result.exit_code == 2
    assert "did you mean 'claims_hold'?" in result.stderr


def test_the_return_state_lesson_fails_when_h_is_not_the_output(monkeypatch):
    from shapecli.compare import compare_lesson
    from shapecli.layers.recurrent import RNN

    original = RNN.forward

    def h_from_the_first_step(self, x, weights, mask=None, zero_output_for_mask=None, initial_state=None):
        found = original(self, x, weights, mask, zero_output_for_mask, initial_state)
        if not self.return_state:
            return found
        first = original(self.variant(return_state=False, return_sequences=True), x, weights, mask)[:, 0]
        return [found[0], first, *found[2:]]

    assert compare_lesson("return-state").ok
    monkeypatch.setattr(RNN, "forward", h_from_the_first_step)
    assert not compare_lesson("return-state").ok
