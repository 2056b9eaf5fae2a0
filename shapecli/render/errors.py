"""A StackError rendered like a compiler error: where, the line, a caret, expected vs found, the fix."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..errors import StackError
from .fit import wrapped


def render_error(error: StackError, console: Console) -> None:
    out = Text()
    out.append("error", style="bold red")
    out.append(wrapped(f": {error.title}", console.width - len("error"), "  ").lstrip() + "\n", style="bold")
    mark = error.mark
    if mark is not None:
        gutter = " " * len(str(mark.line))
        out.append(f"{gutter}--> ", style="blue")
        out.append(f"{mark}\n")
        if mark.source_line:
            out.append(f"{gutter} |\n", style="blue")
            out.append(f"{mark.line} | ", style="blue")
            out.append(mark.source_line.rstrip() + "\n")
            out.append(f"{gutter} | ", style="blue")
            out.append(" " * (mark.column - 1) + "^" * max(1, mark.width) + "\n", style="bold red")
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
            out.append(f"{pad} = ", style="blue")
            out.append(f"{label:>8}: ", style="bold")
            hang = " " * (len(pad) + 13)  # under the value, past `= label: `
            out.append(wrapped(str(value), console.width, hang)[len(hang):] + "\n", style=style)
    console.print(out, end="", soft_wrap=True)
