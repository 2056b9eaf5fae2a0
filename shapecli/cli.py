"""The command line: parse, call, render. Nothing here computes shapes."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import EXIT_BROKEN_PIPE, StackError

if TYPE_CHECKING:
    from .render.plain import Writer


def make_writer(stderr: bool = False) -> Writer:
    """Where every command lays its text out (standard output, or with `stderr` standard error): through rich
    on a terminal (colour); elsewhere (a pipe, a file, CliRunner) as plain text, without importing rich
    (~60 ms of a ~150 ms command). The same condition as console.make_console's for colour, and the same text."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        from .render.console import RichWriter, make_console

        return RichWriter(make_console(stderr))
    from .render.plain import PlainWriter, pipe_width

    return PlainWriter(stream, pipe_width())


def _fail(error: StackError, stack=None, as_json: bool = False, fitted: bool = False) -> None:
    """The error on stderr (with --json, also as JSON on stdout); with `fitted`, the layers that did fit
    are shown first, as a table, so the error stands under the layer that fails."""
    from .render.errors import render_error

    if stack is not None:
        from .pyreader import with_findings

        error = with_findings(error, stack)
    if as_json:
        import json

        from .render.plain import write_text

        write_text(json.dumps({"error": error_record(error)}, indent=2, ensure_ascii=False) + "\n")
    elif fitted and error.fitted:
        from .render.table import render_fitted

        render_fitted(error.fitted, make_writer(), error.in_graph)
    render_error(error, make_writer(stderr=True))
    sys.exit(error.exit_code)


def error_record(error: StackError) -> dict:
    mark = error.mark
    return {"title": error.title, "exit_code": error.exit_code, "path": mark.path if mark else None,
            "line": mark.line if mark else None, "column": mark.column if mark else None,
            "expected": error.expected, "found": error.found, "notes": error.notes, "fix": error.fix,
            "layer": error.failed_at}


def stack_names(ctx, param, incomplete: str) -> list:
    """Shell completion for STACK: the bundled scenarios (and lessons, for compare), then files."""
    from click.shell_completion import CompletionItem

    from .scenarios import scenario_names

    names = scenario_names()
    if ctx.command.name == "compare":
        from .compare import lesson_names

        names = lesson_names() + names
    return [CompletionItem(n) for n in names if n.startswith(incomplete)] + [CompletionItem(incomplete, type="file")]


MODEL_OPTION = click.option(
    "--model", "model_name", metavar="NAME",
    help="For a Keras script (.py) that builds several models: the variable that holds the one to read.")


def _from_script(stack) -> bool:
    return getattr(stack, "source", None) == "python"


def _print_findings(findings: list[dict], path: str, out: Writer) -> None:
    """The lints about a Keras script, before the table: level, place, message, and the fix."""
    styles = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}
    for found in findings:
        where = f"{path}:{found['line']}:{found['column']}: " if found.get("line") else f"{path}: "
        fix = (f"\n    help: {found['fix']}", "cyan") if found.get("fix") else ""
        out.line((found["level"], styles.get(found["level"], "bold")), ": ", (where, "blue"), found["message"], fix,
                 wrap=False)
    if findings:
        out.line()


def _with_findings_json(text: str, findings: list[dict]) -> str:
    import json

    from .render.json_output import dumps

    data = json.loads(text)
    data["findings"] = findings
    return dumps(data)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapecli")
def cli() -> None:
    """Explains, layer by layer, how tensor shapes change through a Keras sequence model."""


@cli.command()
@click.argument("stack", required=False, shell_complete=stack_names)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.option("--weights", "with_weights", is_flag=True,
              help="Also list each layer's weights, as Keras' get_weights() gives them.")
@click.option("--as", "as_code", type=click.Choice(["keras"]),
              help="Print the Keras 3 code that builds the model, instead of the table.")
@MODEL_OPTION
def explain(stack: str | None, as_json: bool, with_weights: bool, as_code: str | None,
            model_name: str | None) -> None:
    """Explain STACK layer by layer: shapes, parameter counts, and why.

    STACK is a YAML stack file, a Keras script (.py, read without running it), `-`
    for standard input, or the name of a bundled scenario (see `shapecli scenarios`).
    Without STACK: the addition encoder-decoder.
    """
    from .engine import explain as explain_stack
    from .scenarios import load_stack

    if as_code and (as_json or with_weights):
        raise click.UsageError(f"--as {as_code} prints code: it cannot be combined with "
                               + ("--json" if as_json else "--weights"))
    stack_file = None
    try:
        stack_file = load_stack(stack, model=model_name)
        explanation = explain_stack(stack_file)
        if as_code:
            from .to_keras import to_keras

            code = to_keras(explanation)
    except StackError as error:
        _fail(error, stack_file, as_json=as_json, fitted=not as_code)
    findings = []
    if _from_script(stack_file):
        from .pyreader import all_findings

        findings = all_findings(stack_file, explanation)
    if as_code:
        from .render.plain import write_text

        write_text(code)
    elif as_json:
        from .render.json_output import explanation_to_json
        from .render.plain import write_text

        text = explanation_to_json(explanation, with_weights)
        write_text((_with_findings_json(text, findings) if _from_script(stack_file) else text) + "\n")
    else:
        from .render.table import write_explanation

        out = make_writer()
        _print_findings(findings, stack_file.path, out)
        write_explanation(explanation, out, with_weights)
    keep(stack_file, explanation)


@cli.command()
@click.argument("stack", required=False, shell_complete=stack_names)
@click.option("--numeric", is_flag=True, default=True, help="Run the NumPy executor (the default, and so far the only one).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed for the random input and weights.")
@click.option("--bind", "binds", multiple=True, metavar="NAME=VALUE",
              help="Size of a free symbol or of the batch, e.g. --bind time=12 --bind batch=4 (repeatable).")
@click.option("--dump", "dump_path", type=click.Path(dir_okay=False), metavar="FILE.npz",
              help="Write input, output, every layer's output and weights to an .npz file.")
@click.option("--max-memory", default="1GiB", show_default=True, help="Refuse to run above this estimate.")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as JSON.")
@MODEL_OPTION
def run(stack: str | None, numeric: bool, seed: int, binds: tuple[str, ...], dump_path: str | None,
        max_memory: str, as_json: bool, model_name: str | None) -> None:
    """Run STACK on random data and check every claim `explain` makes.

    Every printed shape is compared with the array actually produced, and every
    sentence that can be tested is tested (exit 1 if any claim fails).
    """
    from .claims import check_run
    from .numeric import parse_binding, parse_memory, run_stack, write_dump
    from .scenarios import load_stack

    stack_file = None
    try:
        bind = dict(parse_binding(text) for text in binds)
        stack_file = load_stack(stack, model=model_name)
        result = run_stack(stack_file, bind=bind, seed=seed, max_memory=parse_memory(max_memory))
        if dump_path:
            write_dump(result, dump_path)
    except StackError as error:
        _fail(error, stack_file)
    claims = check_run(result)
    keep(stack_file, result, claims)
    findings = []
    if _from_script(stack_file):
        from .pyreader import all_findings

        findings = all_findings(stack_file, result.explanation)
    if as_json:
        from .render.json_output import claims_to_json
        from .render.plain import write_text

        text = claims_to_json(result, claims)
        write_text((_with_findings_json(text, findings) if _from_script(stack_file) else text) + "\n")
    else:
        from .render.claims_table import render_claims

        out = make_writer()
        _print_findings(findings, stack_file.path, out)
        render_claims(result, claims, out)
        if dump_path:
            out.line(f"wrote {dump_path}")
    if not all(c.ok for layer_claims in claims for c in layer_claims):
        sys.exit(1)


@cli.command()
@click.argument("targets", nargs=-1, shell_complete=stack_names)
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
        _list_lessons(as_json)
        return
    try:
        comparison = compare_targets(list(targets), seed)
    except StackError as error:
        _fail(error, as_json=as_json)
    if as_json:
        from .render.comparison import comparison_to_json
        from .render.plain import write_text

        write_text(comparison_to_json(comparison) + "\n")
    else:
        from .render.comparison import render_comparison

        render_comparison(comparison, make_writer())
    if not comparison.ok:
        sys.exit(1)


def _list_lessons(as_json: bool = False) -> None:
    from .compare import lesson_names, lesson_summary
    from .render.listing import render_listing

    if as_json:
        import json

        from .render.plain import write_text

        lessons = [{"name": name, "summary": lesson_summary(name)} for name in lesson_names()]
        write_text(json.dumps({"lessons": lessons}, indent=2, ensure_ascii=False) + "\n")
        return
    render_listing("lesson", "what it settles", [(name, lesson_summary(name)) for name in lesson_names()],
                   "run one with: shapecli compare NAME; compare your own stacks with: shapecli compare A.yaml B.yaml",
                   make_writer())


@cli.command()
@click.argument("stack", required=False, shell_complete=stack_names)
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the diagram as a standalone SVG file.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write a self-contained HTML page: the diagram (inline SVG) and the explain table.")
def diagram(stack: str | None, svg_path: str | None, html_path: str | None) -> None:
    """Draw STACK unrolled in time: one column per step, one band per layer.

    Time runs left to right, the input at the bottom; each band shows what the
    layer does to the steps, and each tensor's shape is written beside it.
    STACK is as for `explain`. With --svg or --html the picture goes to the
    file instead of the screen.
    """
    from .engine import explain as explain_stack
    from .render.diagram import diagram_html, diagram_svg, render_diagram
    from .scenarios import load_stack

    try:
        explanation = explain_stack(load_stack(stack))
    except StackError as error:
        _fail(error)
    out = make_writer()
    if not svg_path and not html_path:
        render_diagram(explanation, out, terminal=sys.stdout.isatty(), colour="NO_COLOR" not in os.environ)
        return
    for path, write in ((svg_path, diagram_svg), (html_path, diagram_html)):
        if path:
            try:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(write(explanation))
            except OSError as problem:
                raise click.FileError(path, hint=problem.strerror) from None
            out.line(f"wrote {path}")


@cli.command()
@click.argument("name", shell_complete=stack_names)
def show(name: str) -> None:
    """Print a bundled scenario's or lesson's YAML, to start from (shapecli show addition > mine.yaml)."""
    from .compare import lesson_dir, lesson_names
    from .errors import did_you_mean, unreadable
    from .render.plain import write_text
    from .scenarios import scenario_names, scenario_path

    if name in scenario_names():
        path = scenario_path(name)
    elif name in lesson_names():
        path = str(lesson_dir() / f"{name}.yaml")
    else:
        names = scenario_names() + lesson_names()
        guess = did_you_mean(name, names)
        _fail(unreadable(f"no scenario or lesson called '{name}'", expected="one of: " + ", ".join(names),
                         found=name, fix=f"did you mean '{guess}'?" if guess else "`shapecli scenarios` and "
                         "`shapecli compare --list` list them"))
    with open(path, encoding="utf-8") as handle:
        write_text(handle.read())


@cli.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    from .render.listing import render_listing
    from .scenarios import scenario_summaries

    render_listing("scenario", "what it shows", scenario_summaries(), "run one with: shapecli explain NAME",
                   make_writer())


KEPT: list | None = None  # set by main(): a command's big results, left to the process's end


def keep(*results) -> None:
    """Leave results for the end of the process, which main() ends without freeing anything: freeing a
    10,000-layer explanation object by object takes ~0.15 s. (Under CliRunner, in tests, nothing is kept.)"""
    if KEPT is not None:
        KEPT.extend(results)


def main() -> None:
    """The `shapecli` command. A short-lived process: the garbage collector is held off (it would only walk
    the growing node graph of a big file), and the process ends without the interpreter's teardown —
    freeing every object and module one by one takes ~40 ms, a fifth of a small `explain` (README, "Speed")."""
    import gc
    import os

    global KEPT
    gc.disable()
    KEPT = []
    try:
        cli(prog_name="shapecli")
        code = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):  # sys.exit("message"), as Python itself would end
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader stopped reading: end as render.plain.stop_quietly does
        code = EXIT_BROKEN_PIPE
    os._exit(code or 0)
