"""One place that decides colour and width: colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import os
import sys

from rich.console import Console

from .plain import stop_quietly

PIPE_WIDTH = 120


class _Console(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        stop_quietly()


def write_raw(console: Console, text: str) -> None:
    """Text that needs no rich layout (JSON, very long listings), written as is."""
    try:
        console.file.write(text)
        console.file.flush()
    except BrokenPipeError:
        stop_quietly()


class TrimmedLines:
    """A text stream that drops the spaces rich pads table cells with at the end of each line."""

    def __init__(self, stream):
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



def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    stream = stream if terminal else TrimmedLines(stream)
    no_color = "NO_COLOR" in os.environ or not terminal
    width = None if terminal else int(os.environ.get("COLUMNS", PIPE_WIDTH))
    return _Console(file=stream, no_color=no_color, color_system=None if no_color else "auto",
                    highlight=False, markup=False,  # text in [brackets] is text: shapes, lists, user names
                    width=width, force_terminal=terminal and not no_color or None)
