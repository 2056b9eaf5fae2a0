"""Two-column listings: the bundled scenarios, the built-in lessons."""

from __future__ import annotations

from .fit import Column, fitted_widths, wrapped, wrapped_rows
from .plain import Writer


def render_listing(heading: str, description: str, rows: list[tuple[str, str]], hint: str, out: Writer) -> None:
    columns = [Column(heading, style="bold cyan"), Column(description, whole=False)]
    widths = fitted_widths(columns, rows, out.width)
    if widths is not None:
        out.table(columns, widths, wrapped_rows(columns, rows, widths))
    else:  # too narrow for two columns: each name, then its description under it
        for name, text in rows:
            out.line((name, "bold cyan"), wrap=False)
            out.line(wrapped(text, out.width, "  "), wrap=False)
    out.line(wrapped(hint, out.width), wrap=False)
