"""Plain text out, without rich: JSON, code and files are written as they are (`--json` need not import rich
at all), and everything the commands lay out — tables, listings, lessons, diagrams, errors — is drawn on a
pipe by PlainWriter."""

from __future__ import annotations

import os
import sys
from typing import Protocol, TextIO

from ..errors import EXIT_BROKEN_PIPE
from .fit import GAP, Column, cell_text, line_spans, shown

PIPE_WIDTH = 120

Piece = str | tuple[str, str | None]  # text, or (text, style): a line is made of pieces, as rich's Text.assemble


def stop_quietly() -> None:
    """The reader stopped reading (`shapecli explain | head`): end without a word."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(EXIT_BROKEN_PIPE)


def write_text(text: str, stream: TextIO | None = None) -> None:
    """Text to `stream` (standard output) as it is."""
    stream = sys.stdout if stream is None else stream
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        stop_quietly()


def pipe_width(default: int = PIPE_WIDTH) -> int:
    """The width of text that does not go to a terminal: $COLUMNS when it is a positive number, else
    `default` (120; a diagram's is 80)."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else default


class TrimmedLines:
    """A text stream that drops the spaces rich pads table cells with at the end of each line."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        """Each line that ends in this text loses its trailing blanks (the last piece may go on in the next
        write). Line by line, not a regular expression: one for "blanks, then a newline" retries at every
        blank of a long run of indentation, which made a 10,000-layer listing 0.6 s slower."""
        lines = text.split("\n")
        self.stream.write("\n".join([line.rstrip(" \t") for line in lines[:-1]] + lines[-1:]))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def styled(pieces: tuple[Piece, ...]) -> list[tuple[str, str | None]]:
    """Each piece as (text, style), its text as it is shown (tabs expanded, control characters left out)."""
    return [(shown(piece), None) if isinstance(piece, str) else (shown(piece[0]), piece[1]) for piece in pieces]


def lines_of(pieces: list[Piece]) -> list[list[tuple[str, str | None]]]:
    """Styled pieces cut at their newlines: a list of pieces a line."""
    lines: list[list[tuple[str, str | None]]] = [[]]
    for piece in pieces:
        text, style = (piece, None) if isinstance(piece, str) else piece
        for k, part in enumerate(text.split("\n")):
            if k:
                lines.append([])
            if part:
                lines[-1].append((part, style))
    return lines


def broken(text: str, width: int) -> list[tuple[int, int]]:
    """Where each line of the text starts and ends once broken at `width` (fit.line_spans), over the whole
    text, its own newlines kept."""
    found, offset = [], 0
    for line in text.split("\n"):
        found += [(offset + start, offset + end) for start, end in line_spans(line, width)]
        offset += len(line) + 1
    return found


def justified(text: str, width: int, right: bool) -> str:
    """A line of a table cell as rich justifies it: to the right without its trailing blanks, or to the left."""
    return text.rstrip().rjust(width) if right else text.ljust(width)


class Writer(Protocol):
    """Where every command lays its text out: PlainWriter, or console.RichWriter on a terminal."""

    @property
    def width(self) -> int: ...

    def line(self, *pieces: Piece, wrap: bool = True) -> None: ...

    def table(self, columns: list[Column], widths: list[int], rows: list[tuple]) -> None: ...

    def raw(self, text: str) -> None: ...


class PlainWriter:
    """Text on a pipe, a file or CliRunner, drawn without rich: the same characters that console.RichWriter
    draws there with colour off (tests compare the two at many widths). It exists only so that a pipe
    does not pay for importing rich (~50-70 ms of a ~150 ms `explain`); a terminal, with colour, gets rich."""

    def __init__(self, stream: TextIO, width: int):
        self.stream, self.width = stream, width

    def line(self, *pieces: Piece, wrap: bool = True) -> None:
        """The pieces as one text, styles left out; with `wrap`, broken between tokens at the width (a shape,
        a label or a number is never split)."""
        text = "".join(text for text, _ in styled(pieces))
        self.trimmed([text[start:end] for start, end in broken(text, self.width)] if wrap else text.split("\n"))

    def table(self, columns: list[Column], widths: list[int], rows: list[tuple]) -> None:
        """Rich's table with box.SIMPLE_HEAD, no edges and no edge padding: the header, a rule, then each row,
        its cells top-aligned, right or left justified, GAP blanks between columns."""
        def row_lines(cells) -> list[str]:
            split = [shown(cell_text(cell)).split("\n") for cell in cells]
            return [(" " * GAP).join(justified(cell[k] if k < len(cell) else "", width, column.right)
                                     for column, width, cell in zip(columns, widths, split))
                    for k in range(max(map(len, split)))]

        rule = "─" * (sum(widths) + GAP * (len(widths) - 1))
        self.trimmed([*row_lines([column.name for column in columns]), rule,
                      *(line for row in rows for line in row_lines(row))])

    def trimmed(self, lines: list[str]) -> None:
        """Lines without the blanks at their ends (what TrimmedLines does to rich's output on a pipe)."""
        self.raw("\n".join([line.rstrip(" \t") for line in lines]) + "\n")

    def raw(self, text: str) -> None:
        """Text that needs no layout (nor trimming: a long stack's listing), written as it is."""
        write_text(text, self.stream)
