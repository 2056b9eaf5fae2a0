"""`shapecli run --numeric`: per layer, each claim with what was expected, what was observed, ✓/✗.
Written to a writer, as `explain` is: plain text on a pipe (no rich to import), rich on a terminal."""

from __future__ import annotations

from ..claims import Claim, sentences
from ..numeric import Run
from .fit import Column, fitted_widths, wrapped, wrapped_rows
from .plain import Writer

HOLDS, FAILS = ("✓", "green"), ("✗", "bold red")


def render_claims(run: Run, claims: list[list[Claim]], out: Writer) -> None:
    stack = run.explanation.stack
    if stack.name:
        out.line((stack.name, "bold"))
    sizes = ", ".join(f"{name}={value}" for name, value in run.bindings.items())
    out.line(("numeric run ", "bold"), f"seed {run.seed}; sizes {sizes} ", ("(change with --seed, --bind NAME=VALUE)", "dim"))
    for name, x in run.inputs.items():
        out.line(("input ", "bold"), f"{name} " if len(run.inputs) > 1 else "", str(tuple(x.shape)), " ",
                 (str(x.dtype), "dim"))
    columns = [Column(""), Column("#", right=True, style="dim"), Column("layer", style="bold cyan"),
               Column("claim", whole=False, ratio=3), Column("expected", whole=False, ratio=2),
               Column("observed", whole=False, ratio=2)]
    rows = []
    for layer_run, layer_claims in zip(run.layers, claims):
        step = layer_run.step
        for row, claim in enumerate(layer_claims):
            rows.append((HOLDS if claim.ok else FAILS, str(step.index) if row == 0 else "",
                         step.layer.title() if row == 0 else "", claim.name, claim.expected, claim.observed))
    widths = fitted_widths(columns, rows, out.width)
    if widths is not None:
        out.table(columns, widths, wrapped_rows(columns, rows, widths))
    else:  # too narrow for a table: one block per layer, each claim on its own lines
        for layer_run, layer_claims in zip(run.layers, claims):
            out.line((f"{layer_run.step.index}  {layer_run.step.layer.title()}", "bold cyan"), wrap=False)
            for claim in layer_claims:
                mark, style = HOLDS if claim.ok else FAILS
                said = f"{claim.name} — expected {claim.expected}; observed {claim.observed}"
                out.line((f"  {mark} ", style), wrapped(said, out.width, "    ")[4:], wrap=False)
    said = sentences(run, claims)
    unproven = [s for s in said if not s.proven]
    out.line(f"{len(said) - len(unproven)} of {len(said)} sentences of explain proven" + ("; not proven:" if unproven else ""))
    for sentence in unproven:
        out.line(f"  layer {sentence.index}, {sentence.layer}: ", (sentence.text, "italic"), (f" — {sentence.reason}", "dim"))
    every = [c for layer_claims in claims for c in layer_claims]
    failed = [c for c in every if not c.ok]
    mark, style = HOLDS if not failed else FAILS
    summary = [(f"{mark} ", style), f"{len(every) - len(failed)} of {len(every)} claims hold"]
    if failed:
        summary.append((f"; {len(failed)} failed: " + "; ".join(c.name for c in failed), "red"))
    out.line(*summary)
