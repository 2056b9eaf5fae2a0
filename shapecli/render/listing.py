"""Two-column listings: the bundled scenarios, the built-in lessons."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from .console import fitted_table
from .fit import Column, wrapped


def render_listing(heading: str, description: str, rows: list[tuple[str, str]], hint: str, console: Console) -> None:
    table = fitted_table([Column(heading, style="bold cyan"), Column(description, whole=False)], rows, console)
    if table is not None:
        console.print(table)
    else:  # too narrow for two columns: each name, then its description under it
        for name, text in rows:
            console.print(Text(name, style="bold cyan"))
            console.print(Text(wrapped(text, console.width, "  ")), soft_wrap=True)
    console.print(Text(wrapped(hint, console.width)), soft_wrap=True)
