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
@click.option("--weights", "with_weights", is_flag=True,
              help="Also list each layer's weights, as Keras' get_weights() gives them.")
def explain(stack: str | None, as_json: bool, with_weights: bool) -> None:
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

        render_explanation(explanation, make_console(), with_weights)


@cli.command()
@click.argument("stack", required=False)
@click.option("--numeric", is_flag=True, default=True, help="Run the NumPy executor (the default, and so far the only one).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed for the random input and weights.")
@click.option("--bind", "binds", multiple=True, metavar="NAME=VALUE",
              help="Size of a free symbol or of the batch, e.g. --bind time=12 --bind batch=4 (repeatable).")
@click.option("--dump", "dump_path", type=click.Path(dir_okay=False), metavar="FILE.npz",
              help="Write input, output, every layer's output and weights to an .npz file.")
@click.option("--max-memory", default="1GiB", show_default=True, help="Refuse to run above this estimate.")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as JSON.")
def run(stack: str | None, numeric: bool, seed: int, binds: tuple[str, ...], dump_path: str | None,
        max_memory: str, as_json: bool) -> None:
    """Run STACK on random data and check every claim `explain` makes.

    Every printed shape is compared with the array actually produced, and every
    sentence that can be tested is tested (exit 1 if any claim fails).
    """
    from .claims import check_run
    from .numeric import parse_binding, parse_memory, run_stack, write_dump
    from .scenarios import load_stack

    try:
        bind = dict(parse_binding(text) for text in binds)
        result = run_stack(load_stack(stack), bind=bind, seed=seed, max_memory=parse_memory(max_memory))
        if dump_path:
            write_dump(result, dump_path)
    except StackError as error:
        _fail(error)
    claims = check_run(result)
    console = make_console()
    if as_json:
        from .render.claims_table import claims_to_json
        from .render.console import write_raw

        write_raw(console, claims_to_json(result, claims) + "\n")
    else:
        from .render.claims_table import render_claims

        render_claims(result, claims, console)
        if dump_path:
            console.print(f"wrote {dump_path}")
    if not all(c.ok for layer_claims in claims for c in layer_claims):
        sys.exit(1)


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--list", "list_lessons", is_flag=True, help="List the built-in lessons.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed for the numeric proofs.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(targets: tuple[str, ...], list_lessons: bool, seed: int, as_json: bool) -> None:
    """Compare stacks side by side, with numeric proof.

    TARGETS is one built-in lesson (see --list), or two or more stacks (files,
    `-`, or bundled scenario names) to compare layer by layer.
    """
    from .compare import compare_targets

    if list_lessons or not targets:
        _list_lessons()
        return
    try:
        comparison = compare_targets(list(targets), seed)
    except StackError as error:
        _fail(error)
    console = make_console()
    if as_json:
        from .render.comparison import comparison_to_json
        from .render.console import write_raw

        write_raw(console, comparison_to_json(comparison) + "\n")
    else:
        from .render.comparison import render_comparison

        render_comparison(comparison, console)
    if not comparison.ok:
        sys.exit(1)


def _list_lessons() -> None:
    from .compare import lesson_names, lesson_summary
    from .render.listing import render_listing

    render_listing("lesson", "what it settles", [(name, lesson_summary(name)) for name in lesson_names()],
                   "run one with: shapecli compare NAME; compare your own stacks with: shapecli compare A.yaml B.yaml",
                   make_console())


@cli.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    from .render.listing import render_listing
    from .scenarios import scenario_summaries

    render_listing("scenario", "what it shows", scenario_summaries(), "run one with: shapecli explain NAME",
                   make_console())


def main() -> None:
    cli(prog_name="shapecli")
