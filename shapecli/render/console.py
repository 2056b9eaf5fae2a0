"""One place that decides colour and width: colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import os
import re
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
        self.stream.write(TRAILING.sub("\n", text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


TRAILING = re.compile(r"[ \t]+\n")


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    stream = stream if terminal else TrimmedLines(stream)
    no_color = "NO_COLOR" in os.environ or not terminal
    width = None if terminal else int(os.environ.get("COLUMNS", PIPE_WIDTH))
    return _Console(file=stream, no_color=no_color, color_system=None if no_color else "auto",
                    highlight=False, markup=False,  # text in [brackets] is text: shapes, lists, user names
                    width=width, force_terminal=terminal and not no_color or None)
