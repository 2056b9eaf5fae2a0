"""Lesson files are read like stack files: every fault is a located error (exit 2), never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from shapecli import compare as compare_module
from shapecli.claims import TOLERANCE
from shapecli.cli import cli
from shapecli.compare import compare_lesson, compare_lesson_file
from shapecli.errors import EXIT_UNREADABLE, StackError

GOOD = """\
title: T
summary: S
parts:
  - title: P
    narrative: N
    stacks:
      A: {input_shape: [4, 8], layers: [{LSTM: {units: 4}}]}
      B: {input_shape: [4, 8], layers: [{LSTM: {units: 4, return_sequences: true}}]}
    proofs:
      - params: {A: 208, B: 208}
      - last_step: {of: B, equals: A}
"""


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# (lesson text, words of the title, the line of the fault, the text the caret points at, the fix)
CASES = {
    "misspelled parts": (broken("parts:", "part:"), "unknown key 'part' in a lesson", 3, "part:",
                         "did you mean 'parts'?"),
    "misspelled narrative": (broken("narrative:", "narative:"), "unknown key 'narative' in a lesson part", 5,
                             "narative", "did you mean 'narrative'?"),
    "misspelled proofs": (broken("proofs:", "proof:"), "unknown key 'proof' in a lesson part", 9, "proof:",
                          "did you mean 'proofs'?"),
    "missing summary": (broken("summary: S\n", ""), "a lesson has no `summary:`", 1, "title", "add `summary: ...`"),
    "missing proofs": (GOOD.split("    proofs:")[0], "a lesson part has no `proofs:`", 4, "title",
                       "add `proofs: ...`"),
    "title not text": (broken("title: T", "title: [T]"), "`title` must be text", 1, "[T]", None),
    "parts not a list": ("title: T\nsummary: S\nparts:\n  title: P\n", "`parts` must be a non-empty list", 4,
                         "title", None),
    "stacks not a mapping": (GOOD.split("    stacks:")[0] + "    stacks: [A, B]\n    proofs:\n      - fails: A\n",
                             "`stacks` must be a mapping", 6, "[A, B]", None),
    "proof not a mapping": (broken("- params: {A: 208, B: 208}", "- [params, A]"),
                            "a proof must be a one-key mapping", 10, "[params", None),
    "proof with two keys": (broken("- params: {A: 208, B: 208}", "- {params: {A: 208}, fails: A}"),
                            "a proof must be a one-key mapping", 10, "{params", None),
    "unknown proof kind": (broken("- last_step:", "- last_steps:"), "unknown proof 'last_steps'", 11,
                           "last_steps", "did you mean 'last_step'?"),
    "proof names a missing stack": (broken("equals: A}", "equals: a}"), "a proof names stack 'a'", 11, "a}",
                                    "did you mean 'A'?"),
    "params names a missing stack": (broken("B: 208}", "b: 208}"), "a proof names stack 'b'", 10, "b:",
                                     "did you mean 'B'?"),
    "misspelled proof field": (broken("equals: A", "equal: A"), "unknown key 'equal' in `last_step`", 11,
                               "equal", "did you mean 'equals'?"),
    "missing proof field": (broken("{of: B, equals: A}", "{of: B}"), "`last_step` has no `equals:`", 11, "{of",
                            "add `equals: ...`"),
    "bad parameter count": (broken("A: 208,", "A: many,"), "a parameter count must be a whole number", 10,
                            "many", None),
    "same_output of one stack": (broken("- last_step: {of: B, equals: A}", "- same_output: [A]"),
                                 "`same_output` compares two stacks", 11, "[A]", None),
    "unknown merge mode": (broken("- last_step: {of: B, equals: A}", "- merge: {stack: A, mode: summ, of: B}"),
                           "`mode` must be a merge mode", 11, "summ", "did you mean 'sum'?"),
    "bad output shape": (broken("- params: {A: 208, B: 208}", "- output_shape: {A: 4}"),
                         "an output shape must be a list of sizes", 10, "4}", None),
    "a layer fault in a stack": (broken("units: 4}}]}\n", "unit: 4}}]}\n"), "LSTM has no argument `unit`", 7,
                                 "unit", "did you mean 'units'?"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_lesson_is_a_located_error(tmp_path, case):
    text, words, line, at, fix = CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(StackError) as raised:
        compare_lesson_file(path)
    error = raised.value
    assert words in error.title
    assert error.exit_code == EXIT_UNREADABLE
    assert error.expected and error.found
    assert (error.mark.path, error.mark.line) == (str(path), line)
    assert error.mark.column == text.splitlines()[line - 1].index(at) + 1
    if fix:
        assert fix in error.fix


@pytest.mark.parametrize("case", ["misspelled parts", "proof names a missing stack", "bad parameter count"])
def test_the_command_reports_a_broken_lesson_with_exit_2(monkeypatch, tmp_path, case):
    text, words, line, at, fix = CASES[case]
    (tmp_path / "bad.yaml").write_text(text)
    monkeypatch.setattr(compare_module, "lesson_dir", lambda: tmp_path)
    result = CliRunner().invoke(cli, ["compare", "bad"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    column = text.splitlines()[line - 1].index(at) + 1
    assert words in result.stderr and f"lessons/bad.yaml:{line}:{column}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_list_names_a_lesson_that_cannot_be_read(monkeypatch, tmp_path):
    (tmp_path / "bad.yaml").write_text(broken("summary: S", "sumary: S"))
    (tmp_path / "good.yaml").write_text(GOOD)
    monkeypatch.setattr(compare_module, "lesson_dir", lambda: tmp_path)
    result = CliRunner().invoke(cli, ["compare", "--list"])
    assert result.exit_code == 0
    assert "cannot be read: lessons/bad.yaml:2:1: unknown key 'sumary'" in " ".join(result.output.split())


def test_a_good_lesson_file_runs_from_any_path(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    comparison = compare_lesson_file(tmp_path / "good.yaml")
    assert comparison.ok and [p.ok for p in comparison.parts[0].proofs] == [True, True]


@pytest.mark.parametrize("proof, detail", [
    ("same_output: [A, C]", "the input shapes differ ((batch, 4, 8) vs (batch, 5, 8))"),
    ("last_step: {of: B, equals: C}", "the input shapes differ"),
    ("last_step: {of: B, equals: Broken}", "a stack does not fit together"),
    ("merge: {stack: Broken, mode: sum, of: B}", "a stack does not fit together"),
    ("same_output: [A, Ids]", "the input types differ (float32 vs int32)"),
])
def test_a_proof_on_stacks_that_cannot_share_an_input_fails_plainly(tmp_path, proof, detail):
    text = GOOD.replace("    proofs:\n", "      C: {input_shape: [5, 8], layers: [{LSTM: {units: 4}}]}\n"
                        "      Broken: {input_shape: [4, 8], layers: [{LSTM: {units: 4}}, {LSTM: {units: 4}}]}\n"
                        "      Ids: {input_shape: [4, 8], layers: [{Embedding: {input_dim: 9, output_dim: 8}},"
                        " Flatten, {Reshape: {target_shape: [4, 64]}}, {LSTM: {units: 4}}]}\n"
                        f"    proofs:\n      - {proof}\n")
    (tmp_path / "lesson.yaml").write_text(text)
    found = compare_lesson_file(tmp_path / "lesson.yaml").parts[0].proofs[0]
    assert found.ok is False and detail in found.detail


def test_proofs_use_the_one_tolerance_of_claims():
    assert compare_module.TOLERANCE is TOLERANCE
    (same,) = [p for p in compare_lesson("dense-vs-timedistributed").parts[0].proofs if "same numbers" in p.text]
    assert f"(≤ {TOLERANCE:g} expected)" in same.detail
