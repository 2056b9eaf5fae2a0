"""`shapecli run --numeric`: per layer, each claim with what was expected, what was observed, ✓/✗."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..claims import Claim, sentences
from ..numeric import Run
from .console import fitted_table
from .fit import Column, wrapped


def render_claims(run: Run, claims: list[list[Claim]], console: Console) -> None:
    stack = run.explanation.stack
    if stack.name:
        console.print(Text(stack.name, style="bold"))
    sizes = ", ".join(f"{name}={value}" for name, value in run.bindings.items())
    console.print(Text.assemble(
        ("numeric run ", "bold"), f"seed {run.seed}; sizes {sizes} ", ("(change with --seed, --bind NAME=VALUE)", "dim")))
    for name, x in run.inputs.items():
        console.print(Text.assemble(("input ", "bold"), f"{name} " if len(run.inputs) > 1 else "", str(tuple(x.shape)),
                                    " ", (str(x.dtype), "dim")))
    columns = [Column(""), Column("#", right=True, style="dim"), Column("layer", style="bold cyan"),
               Column("claim", whole=False, ratio=3), Column("expected", whole=False, ratio=2),
               Column("observed", whole=False, ratio=2)]
    rows = []
    for layer_run, layer_claims in zip(run.layers, claims):
        step = layer_run.step
        for row, claim in enumerate(layer_claims):
            rows.append((Text("✓", style="green") if claim.ok else Text("✗", style="bold red"),
                         str(step.index) if row == 0 else "", step.layer.title() if row == 0 else "",
                         claim.name, claim.expected, claim.observed))
    table = fitted_table(columns, rows, console)
    if table is not None:
        console.print(table)
    else:  # too narrow for a table: one block per layer, each claim on its own lines
        for layer_run, layer_claims in zip(run.layers, claims):
            console.print(Text(f"{layer_run.step.index}  {layer_run.step.layer.title()}", style="bold cyan"), soft_wrap=True)
            for claim in layer_claims:
                mark = Text("  ✓ ", style="green") if claim.ok else Text("  ✗ ", style="bold red")
                said = f"{claim.name} — expected {claim.expected}; observed {claim.observed}"
                console.print(Text.assemble(mark, wrapped(said, console.width, "    ")[4:]), soft_wrap=True)
    said = sentences(run, claims)
    unproven = [s for s in said if not s.proven]
    console.print(Text(f"{len(said) - len(unproven)} of {len(said)} sentences of explain proven"
                       + ("; not proven:" if unproven else "")))
    for sentence in unproven:
        console.print(Text.assemble(f"  layer {sentence.index}, {sentence.layer}: ", (sentence.text, "italic"),
                                    (f" — {sentence.reason}", "dim")))
    every = [c for layer_claims in claims for c in layer_claims]
    failed = [c for c in every if not c.ok]
    summary = Text.assemble(("✓ " if not failed else "✗ ", "green" if not failed else "bold red"),
                            f"{len(every) - len(failed)} of {len(every)} claims hold")
    if failed:
        summary.append(f"; {len(failed)} failed: " + "; ".join(c.name for c in failed), style="red")
    console.print(summary)
