"""Plain text out, without rich: JSON, code and files are written as they are (and `explain --json` need
not import rich at all)."""

from __future__ import annotations

import os
import sys

from ..errors import EXIT_BROKEN_PIPE


def stop_quietly() -> None:
    """The reader stopped reading (`shapecli explain | head`): end without a word."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(EXIT_BROKEN_PIPE)


def write_text(text: str) -> None:
    """Text to standard output as it is."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        stop_quietly()
