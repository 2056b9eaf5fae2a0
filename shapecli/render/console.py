"""One place that decides colour and width: colour only on a terminal, never with NO_COLOR. And the rich
side of drawing: RichWriter, which every command writes to on a terminal, drawing the tables fit.py lays
out as rich tables (on a pipe they write to plain.PlainWriter, which has the same methods and needs no
rich). The only module that imports rich."""

from __future__ import annotations

import os
import sys

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .fit import Column
from .plain import Piece, TrimmedLines, broken, pipe_width, stop_quietly, styled, write_text


class _Console(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        stop_quietly()


def write_raw(console: Console, text: str) -> None:
    """Text that needs no rich layout (JSON, very long listings), written as is."""
    write_text(text, console.file)


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    stream = stream if terminal else TrimmedLines(stream)
    no_color = "NO_COLOR" in os.environ or not terminal
    return _Console(file=stream, no_color=no_color, color_system=None if no_color else "auto",
                    highlight=False, markup=False,  # text in [brackets] is text: shapes, lists, user names
                    emoji=False,  # and so is :name: (a layer called ':fire:' is not an emoji)
                    width=None if terminal else pipe_width(), force_terminal=terminal and not no_color or None)


def rich_table(columns: list[Column], widths: list[int], rows: list[tuple]) -> Table:
    """The cells, already wrapped, in columns of the given widths: rich pads and draws, nothing more."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, width in zip(columns, widths):
        table.add_column(column.name, style=column.style, justify="right" if column.right else "left",
                         no_wrap=True, width=width, overflow="fold")
    for row in rows:
        table.add_row(*(Text.assemble(*cell) if isinstance(cell, list) else
                        Text(cell[0], style=cell[1] or "") if isinstance(cell, tuple) else cell for cell in row))
    return table


class RichWriter:
    """Every command's text on a terminal, in colour: the methods of plain.PlainWriter, drawn by rich."""

    def __init__(self, console: Console):
        self.console = console

    @property
    def width(self) -> int:
        return self.console.width

    def line(self, *pieces: Piece, wrap: bool = True) -> None:
        """The styled pieces as one text; with `wrap`, broken where plain.PlainWriter breaks it (never
        inside a shape, a label or a number), not where rich would."""
        text = Text.assemble(*styled(pieces))
        if wrap:
            text = Text("\n").join(text[start:end] for start, end in broken(text.plain, self.width))
        self.console.print(text, soft_wrap=True)

    def table(self, columns: list[Column], widths: list[int], rows: list[tuple]) -> None:
        self.console.print(rich_table(columns, widths, rows))

    def raw(self, text: str) -> None:
        write_raw(self.console, text)
