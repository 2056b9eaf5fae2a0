"""Two-column listings: the bundled scenarios, the built-in lessons."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table


def render_listing(heading: str, description: str, rows: list[tuple[str, str]], hint: str, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(heading, style="bold cyan", no_wrap=True)
    table.add_column(description)
    for name, text in rows:
        table.add_row(name, text)
    console.print(table)
    console.print(hint)
