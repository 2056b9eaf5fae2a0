"""`explain` on a pipe is drawn by render.plain.PlainWriter, without rich; it must print exactly what rich
printed there (console.RichWriter on a console with colour off), byte for byte. Each case is drawn both ways
at widths from 20 to 160 columns and compared; then a few wrong drawers show that the comparison bites."""

from __future__ import annotations

import io
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import shapecli.cli
from shapecli.render import LONG_STACK, plain
from shapecli.render.console import RichWriter, make_console
from shapecli.render.fit import Column
from shapecli.render.fit import tokens
from shapecli.render.plain import PlainWriter
from shapecli.compare import lesson_names
from shapecli.scenarios import scenario_names

WIDTHS = [20, 30, 40, 60, 80, 100, 120, 160]
SCRIPTS = [pytest.param(str(path), id=path.name) for path in sorted((Path(__file__).parent / "scripts").glob("*.py"))]


def rich_writer(stream, width: int) -> RichWriter:
    """The rich writer on the console the command makes for a pipe: no colour, trailing blanks trimmed."""
    return RichWriter(make_console(stderr=stream is sys.stderr))


def printed(args: list[str], width: int, writer=None) -> str:
    """Standard output, then standard error, of `shapecli ARGS` on pipes `width` columns wide, where the
    command writes through its own writers (PlainWriters) or through `writer(stream, width)`."""
    with pytest.MonkeyPatch.context() as patch:
        if writer is not None:
            patch.setattr(shapecli.cli, "make_writer",
                          lambda stderr=False: writer(sys.stderr if stderr else sys.stdout, width))
        result = CliRunner().invoke(shapecli.cli.cli, args, env={"COLUMNS": str(width), "NO_COLOR": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.stdout + "\n-- standard error --\n" + result.stderr


def differences(args: list[str], writer=None, widths=WIDTHS) -> list[int]:
    """The widths at which the command (or `writer`) prints other text than rich does."""
    return [width for width in widths if printed(args, width, writer) != printed(args, width, rich_writer)]


def drawn(write, writer, width: int) -> str:
    """What `write(out)` prints through `writer`, `width` columns wide."""
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdout", stream)
        patch.setenv("COLUMNS", str(width))
        write(writer(stream, width))
    return stream.getvalue()


@pytest.mark.parametrize("weights", [[], ["--weights"]], ids=["", "weights"])
@pytest.mark.parametrize("name", scenario_names() + SCRIPTS)
def test_plain_text_is_what_rich_prints(name, weights):
    assert differences(["explain", name, *weights]) == []


@pytest.mark.parametrize("args", [["scenarios"], ["compare", "--list"], ["diagram", "addition"]])
def test_listings_and_diagrams_print_what_rich_prints(args):
    assert differences(args, widths=[20, 40, 80, 120]) == []


@pytest.mark.parametrize("lesson", lesson_names())
def test_lessons_print_what_rich_prints(lesson):
    """`compare`: the stacks side by side (cells of several colours), the narrative and the proofs."""
    assert differences(["compare", lesson], widths=[30, 80, 160]) == []


@pytest.mark.parametrize("args", [["explain", "stacked-lstm-wrong"], ["compare", "addition", "stacked-lstm-wrong"],
                                  ["explain", "no-such-scenario"], ["run", "stacked-lstm-wrong"]])
def test_errors_print_what_rich_prints(args):
    """An error (on standard error, or inside a comparison): the same text both ways."""
    assert differences(args, widths=[20, 40, 80, 120]) == []


@pytest.mark.parametrize("name", scenario_names() + SCRIPTS[:1])
def test_run_prints_what_rich_prints(name):
    """`run`'s claims table goes through the same writers (a claim's ✓ or ✗ is a cell with its own colour)."""
    assert differences(["run", name], widths=[20, 40, 80, 120, 160]) == []


def test_a_failed_claim_prints_what_rich_prints(monkeypatch):
    """A claim that fails: the ✗ cell, the red summary, the exit code — the same text both ways."""
    from shapecli.layers.reshaping import RepeatVector
    from shapecli.shapes import Dim

    monkeypatch.setattr(RepeatVector, "output_shape", lambda self, s: (s[0], Dim.of(self.n + 1), s[1]))
    outputs = {width: printed(["run", "addition"], width) for width in (40, 120)}
    assert differences(["run", "addition"], widths=[40, 120]) == []
    assert "✗" in outputs[120] and "failed: output shape" in outputs[120]


def test_a_long_stack_is_what_rich_prints(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("input_shape: [time, 8]\nsymbols: {time: null}\nlayers:\n"
                    + "  - LSTM: {units: 16, return_sequences: true}\n" * (LONG_STACK + 1))
    assert differences(["explain", str(path), "--weights"]) == []


ODD_TEXT = {
    "sequential": """\
        name: "a\\tname\\rwith\\x07 controls and_a_word_longer_than_twenty_columns   spaced"
        description: "  indented\\n\\nthen a blank line"
        input_shape: [4, 8]
        layers:
          - Dense: {units: 3}
        """,
    "graph": """\
        inputs: {x: [4, 8]}
        layers:
          - Dense: {units: 3, name: "a\\tb\\rc :thumbs_up:"}
            in: x
            out: "y:smile:"
        outputs: ["y:smile:"]
        """,
}


@pytest.mark.parametrize("kind", ODD_TEXT)
def test_odd_user_text_is_what_rich_prints(kind, tmp_path):
    """Tabs expanded (and measured so), carriage returns and the like dropped, a word longer than the width
    cut as rich cuts it, and :name: left as it is written (rich's emoji codes are off)."""
    path = tmp_path / "odd.yaml"
    path.write_text(textwrap.dedent(ODD_TEXT[kind]))
    assert differences(["explain", str(path)]) == []


@given(st.text(st.sampled_from(" \t\n\r\xa0ab(),—"), max_size=40), st.integers(1, 12), st.booleans())
def test_both_writers_break_lines_alike(text, width, wrap):
    def write(out) -> None:
        out.line(text, ("x", "bold"), wrap=wrap)
    assert drawn(write, PlainWriter, width) == drawn(write, rich_writer, width)


WORDS = st.sampled_from(["a", "bb", "(batch, 4, 12)", "(None, 7)", "[(batch, 4), (batch, 5)]", "(in words)", "—",
                         "LSTM(128, return_sequences=True)", "x,", "1,234"])


@given(st.lists(st.tuples(WORDS, st.sampled_from([" ", "  ", "   "])), min_size=1, max_size=12), st.integers(1, 40))
def test_lines_break_between_tokens_only(words, width):
    """Each line at most `width` long unless it is one token alone; no shape, label or number cut; the
    spacing inside a line as written; only the blanks at a break dropped."""
    text = "".join(word + space for word, space in words).rstrip()
    lines = [text[start:end] for start, end in plain.broken(text, width)]
    pieces = [piece for word, _ in words for piece in tokens(word)]
    assert all(len(line) <= width or line in pieces for line in lines)
    assert all(any(piece in line for line in lines) for piece in pieces)
    assert " ".join(lines).split() == text.split() and all(line == line.strip() for line in lines)
    assert len(text) > width or lines == [text]


def test_a_shape_in_a_sentence_is_never_cut():
    """The hint under the table once broke as `(batch,` / `4, 12)` at 80 columns: rich wraps at any blank."""
    hint = "(Keras' model.summary() writes the batch axis as None: (None, 4, 12) is (batch, 4, 12) here)"
    for width in range(20, 100):
        lines = [hint[start:end] for start, end in plain.broken(hint, width)]
        assert any("(None, 4, 12)" in line for line in lines) and any("(batch, 4, 12)" in line for line in lines)
        assert all(len(line) <= width for line in lines) and " ".join(lines) == hint


CELLS = st.lists(st.text(st.sampled_from("ab ,\n\r\xa0"), max_size=9), min_size=3, max_size=3)  # a column's


@given(st.lists(st.tuples(st.booleans(), CELLS), min_size=1, max_size=3))
def test_tables_are_drawn_as_rich_draws_them(spec):
    """Any columns (left or right, cells of several lines, blank ones), at widths their cells fit."""
    columns = [Column(f"c{k}", right=right) for k, (right, _) in enumerate(spec)]
    rows = list(zip(*(cells for _, cells in spec)))
    widths = [max(len(line) for cell in (column.name, *cells) for line in cell.split("\n"))
              for column, (_, cells) in zip(columns, spec)]

    def write(out) -> None:
        out.table(columns, widths, rows)
    assert drawn(write, PlainWriter, 160) == drawn(write, rich_writer, 160)


def textwrap_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Where textwrap would break the text's lines (a wrong breaker for the mutation below)."""
    found, offset = [], 0
    for line in text.split("\n"):
        for part in textwrap.wrap(line, width) or [""]:
            start = line.find(part) if part else 0
            found.append((offset + start, offset + start + len(part)))
        offset += len(line) + 1
    return found


# -- wrong drawers: each must make the comparison fail ------------------------------------------------------------
class LeftOnly(PlainWriter):
    """Numbers left-justified."""

    def table(self, columns, widths, rows):
        super().table([replace(column, right=False) for column in columns], widths, rows)


class BottomAligned(PlainWriter):
    """Short cells at the bottom of their row."""

    def table(self, columns, widths, rows):
        height = [max(cell.count("\n") for cell in row) for row in rows]
        super().table(columns, widths, [tuple("\n" * (h - cell.count("\n")) + cell for cell in row)
                                        for h, row in zip(height, rows)])


class NoRule(PlainWriter):
    """No line under the header."""

    def raw(self, text):
        super().raw("\n".join(line for line in text.split("\n") if set(line) != {"─"}))


@pytest.mark.parametrize("mutant", [LeftOnly, BottomAligned, NoRule, "gap of 2", "textwrap"])
def test_a_wrong_drawer_is_caught(mutant, monkeypatch):
    if mutant == "gap of 2":
        monkeypatch.setattr(plain, "GAP", 2)
    if mutant == "textwrap":  # lines broken at any blank, as Python's textwrap (and rich) would
        monkeypatch.setattr(plain, "broken", lambda text, width: textwrap_spans(text, width))
    assert differences(["explain", "addition"], mutant if isinstance(mutant, type) else None)
