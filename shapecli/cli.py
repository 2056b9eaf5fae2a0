"""The command line: parse, call, render. Nothing here computes shapes."""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import StackError
from .render.console import make_console


def _fail(error: StackError) -> None:
    from .render.errors import render_error

    render_error(error, make_console(stderr=True))
    sys.exit(error.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapecli")
def cli() -> None:
    """Explains, layer by layer, how tensor shapes change through a Keras sequence model."""


@cli.command()
@click.argument("stack", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain(stack: str | None, as_json: bool) -> None:
    """Explain STACK layer by layer: shapes, parameter counts, and why.

    STACK is a YAML stack file, `-` for standard input, or the name of a bundled
    scenario (see `shapecli scenarios`). Without STACK: the addition encoder-decoder.
    """
    from .engine import explain as explain_stack
    from .scenarios import load_stack

    try:
        explanation = explain_stack(load_stack(stack))
    except StackError as error:
        _fail(error)
    if as_json:
        from .render.console import write_raw
        from .render.json_output import explanation_to_json

        write_raw(make_console(), explanation_to_json(explanation) + "\n")
    else:
        from .render.table import render_explanation

        render_explanation(explanation, make_console())


@cli.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    from rich.table import Table
    from rich import box

    from .scenarios import scenario_names, scenario_path
    from .stackfile import read_stack_file

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("scenario", style="bold cyan")
    table.add_column("what it shows")
    for name in scenario_names():
        stack = read_stack_file(str(scenario_path(name)))
        table.add_row(name, stack.description or stack.name or "")
    console = make_console()
    console.print(table)
    console.print("run one with: shapecli explain NAME")


def main() -> None:
    cli(prog_name="shapecli")
