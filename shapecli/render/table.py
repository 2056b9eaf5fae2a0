"""`shapecli explain` as a rich table, in the spirit of Keras' model.summary()."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine import Explanation
from ..shapes import format_shape


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
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer", style="bold cyan", overflow="fold")
    table.add_column("input shape", overflow="fold")
    table.add_column("output shape", style="green", overflow="fold")
    table.add_column("params", justify="right")
    table.add_column("why", ratio=1, overflow="fold")
    for step in explanation.steps:
        table.add_row(
            str(step.index), step.layer.title(), format_shape(step.input_shape), format_shape(step.output_shape),
            f"{step.params:,}", step.note,
        )
    console.print(table)
    console.print(Text.assemble(
        ("output ", "bold"), (format_shape(explanation.output_shape), "green"), "    ",
        ("total params ", "bold"), f"{explanation.total_params:,}",
    ))
