"""A StackError rendered like a compiler error: where, the line, a caret, expected vs found, the fix.
Written to a writer (plain text on a pipe, rich on a terminal), as everything else is."""

from __future__ import annotations

from ..errors import StackError
from .fit import wrapped
from .plain import Piece, Writer


def render_error(error: StackError, out: Writer) -> None:
    pieces: list[Piece] = [("error", "bold red"),
                           (wrapped(f": {error.title}", out.width - len("error"), "  ").lstrip() + "\n", "bold")]
    mark = error.mark
    if mark is not None:
        gutter = " " * len(str(mark.line))
        pieces += [(f"{gutter}--> ", "blue"), f"{mark}\n"]
        if mark.source_line:
            pieces += [(f"{gutter} |\n", "blue"), (f"{mark.line} | ", "blue"), mark.source_line.rstrip() + "\n",
                       (f"{gutter} | ", "blue"), (" " * (mark.column - 1) + "^" * max(1, mark.width) + "\n", "bold red")]
        pad = gutter
    else:
        pad = ""
    for label, value, style in (
        ("expected", error.expected, "green"),
        ("found", error.found, "red"),
        *(("note", note, None) for note in error.notes),
        ("help", error.fix, "cyan"),
    ):
        if value:
            hang = " " * (len(pad) + 13)  # under the value, past `= label: `
            pieces += [(f"{pad} = ", "blue"), (f"{label:>8}: ", "bold"),
                       (wrapped(str(value), out.width, hang)[len(hang):] + "\n", style)]
    last = pieces[-1]
    pieces[-1] = (last[0].removesuffix("\n"), last[1])  # the line ends it
    out.line(*pieces, wrap=False)
