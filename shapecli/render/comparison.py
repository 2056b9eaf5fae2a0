"""`shapecli compare`: stacks side by side (differences highlighted), the narrative, the proofs."""

from __future__ import annotations

import json

from ..compare import Comparison, Contender, Part
from ..shapes import format_shape
from .errors import render_error
from .fit import Column, cell_text, fitted_widths, wrapped, wrapped_rows
from .json_output import explanation_to_dict
from .plain import Piece, Writer, lines_of

DIFFERS = "bold yellow"
MARK = " ≠"  # beside a shape or count that differs from the first stack's: visible without colour too


def _line(cell: list[Piece], value: str, same: bool, style: str | None = None) -> None:
    cell.append((value, style if same else DIFFERS))
    if not same:
        cell.append((MARK, DIFFERS))


def _steps(entry: Contender) -> list:
    return entry.explanation.steps if entry.explanation else entry.error.fitted


def _cell(entry: Contender, row: int, reference: Contender) -> list[Piece]:
    steps, ref_steps = _steps(entry), _steps(reference)
    if row < len(steps):
        step = steps[row]
        ref = ref_steps[row] if row < len(ref_steps) else None
        cell: list[Piece] = [(step.layer.title() + "\n", "bold cyan")]
        _line(cell, format_shape(step.output_shape), entry is reference or (
            ref is not None and ref.output_shape == step.output_shape))
        cell.append("\n")
        params = f"shared with {step.shared_with}" if step.shared_with is not None else f"{step.params:,} params"
        _line(cell, params, entry is reference or (ref is not None and ref.params == step.params
                                                   and ref.shared_with == step.shared_with), "dim")
        return cell
    if entry.error is not None and row + 1 == entry.error.failed_at:
        layer = entry.stack.layers[row].type_name
        return [(f"✗ {layer}\ndoes not fit", "bold red")]
    return []


def comparison_rows(part: Part) -> list[tuple]:
    """("in" | "1" … | "out", one cell per stack); a cell is a list of styled pieces."""
    reference = part.contenders[0]
    inputs = []
    for entry in part.contenders:
        cell: list[Piece] = []
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
            totals.append([("does not fit", "bold red")])
            continue
        cell = []
        _line(cell, format_shape(e.output_shape), entry is reference or (ref is not None and ref.output_shape == e.output_shape))
        cell.append("\n")
        _line(cell, f"{e.total_params:,} params", entry is reference or (ref is not None and ref.total_params == e.total_params))
        totals.append(cell)
    rows.append(("out", *totals))
    return rows


def render_part_stacks(part: Part, out: Writer) -> None:
    """The stacks side by side; one after the other when they do not fit side by side whole."""
    rows = comparison_rows(part)
    columns = [Column("#", right=True, style="dim")] + [Column(entry.name) for entry in part.contenders]
    widths = fitted_widths(columns, rows, out.width)
    if widths is not None:
        out.table(columns, widths, wrapped_rows(columns, rows, widths))
        return
    for k, entry in enumerate(part.contenders, start=1):
        out.line((entry.name, "bold"))
        for row in rows:
            cell = row[k]
            if cell_text(cell):
                first, *rest = lines_of(cell)
                out.line(f"  {row[0]:>3}  ", *first, wrap=False)
                for line in rest:
                    out.line("       ", *line, wrap=False)


def render_comparison(comparison: Comparison, out: Writer) -> None:
    out.line((comparison.title, "bold"))
    if comparison.summary:
        out.line((comparison.summary, "dim"))
    for number, part in enumerate(comparison.parts, start=1):
        out.line("")
        if len(comparison.parts) > 1 or part.narrative:
            out.line((f"{number}. {part.title}", "bold underline"))
        if part.narrative:
            out.line(wrapped(part.narrative, out.width) + "\n", wrap=False)
        render_part_stacks(part, out)
        for entry in part.contenders:
            if entry.error is not None:
                out.line((f"{entry.name}:", "bold"))
                render_error(entry.error, out)
        for proof in part.proofs:
            mark = {True: ("✓ ", "green"), False: ("✗ ", "bold red"), None: "· "}[proof.ok]
            out.line(mark, (wrapped(proof.text, out.width, "  ")[2:], "bold"), wrap=False)
            out.line((wrapped(proof.detail, out.width, "    "), "dim"), wrap=False)
    proofs = [p for part in comparison.parts for p in part.proofs if p.ok is not None]
    failed = [p for p in proofs if not p.ok]
    if proofs:
        out.line("")
        out.line(("✓ " if not failed else "✗ ", "green" if not failed else "bold red"),
                 f"{len(proofs) - len(failed)} of {len(proofs)} proofs hold")


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
