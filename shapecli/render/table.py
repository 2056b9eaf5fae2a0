"""`shapecli explain` as a rich table, in the spirit of Keras' model.summary().

Very long stacks (more than LONG_STACK layers) are listed one line per layer
instead: a rich table measures every cell, which for 10,000 layers takes
seconds, and nobody reads wrapped sentences 10,000 rows deep.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine import Explanation, Step
from ..shapes import format_shape
from .console import write_raw

LONG_STACK = 300
COLUMNS = ("#", "layer", "input shape", "output shape", "params", "why")


def _cells(step: Step) -> tuple[str, ...]:
    return (
        str(step.index), step.layer.title(), format_shape(step.input_shape), format_shape(step.output_shape),
        f"{step.params:,}", step.note,
    )


def render_explanation(explanation: Explanation, console: Console) -> None:
    stack = explanation.stack
    if stack.name:
        console.print(Text(stack.name, style="bold"))
    if stack.description:
        console.print(Text(stack.description, style="dim"))
    console.print(Text.assemble(
        ("input ", "bold"), format_shape(explanation.input_shape), " ", (explanation.input_dtype, "dim"),
        ("   (input_shape with the batch axis in front)", "dim"),
    ))
    rows = [_cells(step) for step in explanation.steps]
    if len(rows) > LONG_STACK:
        _render_lines(rows, console)
    else:
        _render_table(rows, console)
    console.print(Text.assemble(
        ("output ", "bold"), (format_shape(explanation.output_shape), "green"), "    ",
        ("total params ", "bold"), f"{explanation.total_params:,}",
    ))


def _render_table(rows: list[tuple[str, ...]], console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    styles = ("dim", "bold cyan", None, "green", None, None)
    for name, style in zip(COLUMNS, styles):
        table.add_column(
            name, style=style, overflow="fold",
            justify="right" if name in ("#", "params") else "left", ratio=1 if name == "why" else None,
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _render_lines(rows: list[tuple[str, ...]], console: Console) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(COLUMNS[:-1])]

    def line(cells: tuple[str, ...]) -> str:
        index, title, shape_in, shape_out, params, why = cells
        return (f"{index:>{widths[0]}}  {title:<{widths[1]}}  {shape_in:<{widths[2]}}  "
                f"{shape_out:<{widths[3]}}  {params:>{widths[4]}}  {why}")

    header = line(COLUMNS)
    write_raw(console, "\n".join([header, "─" * len(header), *(line(r) for r in rows)]) + "\n")
