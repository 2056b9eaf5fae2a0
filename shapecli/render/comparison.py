"""`shapecli compare`: stacks side by side (differences highlighted), the narrative, the proofs."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from ..compare import Comparison, Contender, Part
from ..shapes import format_shape
from .console import fitted_table
from .errors import render_error
from .fit import Column, wrapped
from .json_output import explanation_to_dict

DIFFERS = "bold yellow"
MARK = " ≠"  # beside a shape or count that differs from the first stack's: visible without colour too


def _line(text: Text, value: str, same: bool, style: str | None = None) -> None:
    text.append(value, style=style if same else DIFFERS)
    if not same:
        text.append(MARK, style=DIFFERS)


def _steps(entry: Contender) -> list:
    return entry.explanation.steps if entry.explanation else entry.error.fitted


def _cell(entry: Contender, row: int, reference: Contender) -> Text:
    steps, ref_steps = _steps(entry), _steps(reference)
    if row < len(steps):
        step = steps[row]
        ref = ref_steps[row] if row < len(ref_steps) else None
        text = Text(step.layer.title() + "\n", style="bold cyan")
        _line(text, format_shape(step.output_shape), entry is reference or (
            ref is not None and ref.output_shape == step.output_shape))
        text.append("\n")
        params = f"shared with {step.shared_with}" if step.shared_with is not None else f"{step.params:,} params"
        _line(text, params, entry is reference or (ref is not None and ref.params == step.params
                                                   and ref.shared_with == step.shared_with), "dim")
        return text
    if entry.error is not None and row + 1 == entry.error.failed_at:
        layer = entry.stack.layers[row].type_name
        return Text(f"✗ {layer}\ndoes not fit", style="bold red")
    return Text("")


def comparison_rows(part: Part) -> list[tuple]:
    """("in" | "1" … | "out", one cell per stack)."""
    reference = part.contenders[0]
    inputs = []
    for entry in part.contenders:
        cell = Text()
        _line(cell, format_shape(entry.input_shape), entry.input_shape == reference.input_shape)
        inputs.append(cell)
    rows = [("in", *inputs)]
    depth = max(len(entry.stack.layers) for entry in part.contenders)
    for row in range(depth):
        rows.append((str(row + 1), *(_cell(entry, row, reference) for entry in part.contenders)))
    totals = []
    ref = reference.explanation
    for entry in part.contenders:
        e = entry.explanation
        if e is None:
            totals.append(Text("does not fit", style="bold red"))
            continue
        cell = Text()
        _line(cell, format_shape(e.output_shape), entry is reference or (ref is not None and ref.output_shape == e.output_shape))
        cell.append("\n")
        _line(cell, f"{e.total_params:,} params", entry is reference or (ref is not None and ref.total_params == e.total_params))
        totals.append(cell)
    rows.append(("out", *totals))
    return rows


def render_part_stacks(part: Part, console: Console) -> None:
    """The stacks side by side; one after the other when they do not fit side by side whole."""
    rows = comparison_rows(part)
    columns = [Column("#", right=True, style="dim")] + [Column(entry.name) for entry in part.contenders]
    table = fitted_table(columns, rows, console)
    if table is not None:
        console.print(table)
        return
    for k, entry in enumerate(part.contenders, start=1):
        console.print(Text(entry.name, style="bold"))
        for row in rows:
            cell = row[k]
            if cell.plain:
                lines = cell.split("\n")
                console.print(Text.assemble(f"  {row[0]:>3}  ", lines[0]), soft_wrap=True)
                for line in lines[1:]:
                    console.print(Text.assemble("       ", line), soft_wrap=True)


def render_comparison(comparison: Comparison, console: Console) -> None:
    console.print(Text(comparison.title, style="bold"))
    if comparison.summary:
        console.print(Text(comparison.summary, style="dim"))
    for number, part in enumerate(comparison.parts, start=1):
        console.print()
        if len(comparison.parts) > 1 or part.narrative:
            console.print(Text(f"{number}. {part.title}", style="bold underline"))
        if part.narrative:
            console.print(Text(wrapped(part.narrative, console.width) + "\n"), soft_wrap=True)
        render_part_stacks(part, console)
        for entry in part.contenders:
            if entry.error is not None:
                console.print(Text(f"{entry.name}:", style="bold"))
                render_error(entry.error, console)
        for proof in part.proofs:
            mark = {True: Text("✓ ", style="green"), False: Text("✗ ", style="bold red"), None: Text("· ")}[proof.ok]
            console.print(Text.assemble(mark, (wrapped(proof.text, console.width, "  ")[2:], "bold")), soft_wrap=True)
            console.print(Text(wrapped(proof.detail, console.width, "    "), style="dim"), soft_wrap=True)
    proofs = [p for part in comparison.parts for p in part.proofs if p.ok is not None]
    failed = [p for p in proofs if not p.ok]
    if proofs:
        console.print()
        console.print(Text.assemble(("✓ " if not failed else "✗ ", "green" if not failed else "bold red"),
                                    f"{len(proofs) - len(failed)} of {len(proofs)} proofs hold"))


def _stack_dict(entry: Contender) -> dict:
    if entry.explanation is None:
        error = entry.error
        return {"name": entry.name, "error": {
            "title": error.title, "line": error.mark.line if error.mark else None,
            "column": error.mark.column if error.mark else None, "expected": error.expected,
            "found": error.found, "fix": error.fix, "layer": error.failed_at}}
    return {**explanation_to_dict(entry.explanation), "name": entry.name}


def comparison_to_json(comparison: Comparison) -> str:
    return json.dumps({
        "title": comparison.title,
        "summary": comparison.summary,
        "parts": [{
            "title": part.title,
            "narrative": part.narrative,
            "stacks": [_stack_dict(entry) for entry in part.contenders],
            "proofs": [{"proof": p.text, "ok": p.ok, "detail": p.detail} for p in part.proofs],
        } for part in comparison.parts],
        "ok": comparison.ok,
    }, indent=2, ensure_ascii=False)
