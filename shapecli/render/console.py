"""One place that decides colour and width: colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPE_WIDTH = 120


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    no_color = "NO_COLOR" in os.environ or not terminal
    width = None if terminal else int(os.environ.get("COLUMNS", PIPE_WIDTH))
    return Console(file=stream, no_color=no_color, color_system=None if no_color else "auto",
                   highlight=False, width=width, force_terminal=terminal and not no_color or None)
