"""`shapecli explain` as a table, in the spirit of Keras' model.summary().

It is written to a writer: console.RichWriter on a terminal (colour), plain.PlainWriter elsewhere (no
rich to import); both have the same few methods — width, line, table, raw — and draw the same text.

Long stacks (more than LONG_STACK layers) are listed a row per layer
instead, as Keras' model.summary() lists them: a rich table lays out every
cell (a second for a few hundred layers), where the listing pads its columns
itself and wraps each distinct sentence once.
"""

from __future__ import annotations

from ..engine import Explanation, Step
from ..shapes import format_shape
from . import LONG_STACK
from .fit import Column, fitted_widths, joined, wrapped, wrapped_rows
from .plain import Writer

COLUMNS = ("#", "layer", "input shape", "output shape", "params", "why")


def weights_text(step: Step) -> str:
    """The weights as Keras' get_weights() lists them, one a line: `kernel 12×512`."""
    return "\n".join(f"{name} {'×'.join(map(str, shape))}" for name, shape in step.layer.weight_shapes(step.input_shape))


GRAPH_COLUMNS = ("#", "layer", "from", "gives", "params", "why")


def why_text(step: Step) -> str:
    """The sentence, then where the parameters come from and the lesson about the layer, when there are."""
    formula = step.layer.params_formula(step.input_shape) if step.shared_with is None else None
    lesson = step.layer.lesson(step.input_shape)
    return "\n".join([step.note] + [f"params: {step.params:,} = {formula}"] * bool(formula)
                     + [f"see: shapecli compare {lesson}"] * bool(lesson))


def _cells(step: Step, with_weights: bool = False, graph: bool = False, whole_why: bool = True) -> tuple[str, ...]:
    if graph:  # the tensors it reads, and each tensor it makes with its shape
        shapes = step.output_shape if isinstance(step.output_shape, list) else [step.output_shape]
        params = f"shared ({step.shared_with})" if step.shared_with is not None else f"{step.params:,}"
        cells = (str(step.index), f"{step.layer.name}\n{step.layer.title()}",
                 "\n".join(step.inputs + ["initial_state:"] * bool(step.states) + [f"  {s}" for s in step.states]),
                 "\n".join(f"{name} {format_shape(shape)}" for name, shape in zip(step.outputs, shapes)),
                 params, why_text(step) if whole_why else step.note)
    else:
        cells = (str(step.index), step.layer.title(), format_shape(step.input_shape), format_shape(step.output_shape),
                 f"{step.params:,}", why_text(step) if whole_why else step.note)
    return (*cells[:5], weights_text(step), cells[5]) if with_weights else cells


def write_explanation(explanation: Explanation, out: Writer, with_weights: bool = False) -> None:
    """The header lines, the table (or a row a layer, past LONG_STACK layers), the output and the notes."""
    stack = explanation.stack
    if stack.name:
        out.line((stack.name, "bold"))
    if stack.description:
        out.line((stack.description, "dim"))
    graph = stack.is_graph
    for name, shape in explanation.inputs.items():
        batch = "" if graph else ("   (input_shape with the batch axis in front)", "dim")
        out.line(("input ", "bold"), f"{name} " if graph else "", format_shape(shape), " ",
                 (explanation.dtypes[name], "dim"), batch)
    columns = GRAPH_COLUMNS if graph else COLUMNS
    columns = (*columns[:5], "weights", columns[5]) if with_weights else columns
    if len(explanation.steps) > LONG_STACK:  # a row a layer: the sentence, without formula or lesson
        _render_lines(columns, _listed_rows(explanation.steps, with_weights, graph), out)
    else:
        _render_table(columns, [_cells(step, with_weights, graph) for step in explanation.steps], out)
    total = (("total params ", "bold"), f"{explanation.total_params:,}")
    if graph:
        for name in explanation.outputs:
            out.line(("output ", "bold"), f"{name} ", (format_shape(explanation.tensors[name]), "green"))
        out.line(*total)
    else:
        out.line(("output ", "bold"), (format_shape(explanation.output_shape), "green"), "    ", *total)
    out.line(("(Keras' model.summary() writes the batch axis as None: (None, 4, 12) is (batch, 4, 12) here)", "dim"))
    for step in explanation.steps:
        for note in step.notes:
            out.line(("note", "bold yellow"), f": layer {step.index}, {step.layer.title()}: {note}")


def render_fitted(steps: list[Step], out: Writer, graph: bool = False) -> None:
    """The layers that fit, before the error about the one that does not."""
    columns = GRAPH_COLUMNS if graph else COLUMNS
    _render_table(columns, [_cells(step, False, graph) for step in steps], out)


STYLES = {"#": "dim", "layer": "bold cyan", "output shape": "green", "gives": "green", "weights": "dim"}


PROSE = ("why",)


def _render_table(columns: tuple[str, ...], rows: list[tuple[str, ...]], out: Writer) -> None:
    """A table when every label, shape and number fits whole; else one block per layer."""
    spec = [Column(name, whole=name not in PROSE, right=name in ("#", "params"), style=STYLES.get(name))
            for name in columns]
    widths = fitted_widths(spec, rows, out.width)
    if widths is not None:
        out.table(spec, widths, wrapped_rows(spec, rows, widths))
        return
    for row in rows:
        _render_block(dict(zip(columns, row)), out)


def _render_block(cells: dict[str, str], out: Writer) -> None:
    """A layer that does not fit a table row: its label, shapes and numbers whole, its sentence wrapped."""
    width, indent = out.width, " " * (len(cells["#"]) + 2)
    head = [cells["#"] + "  " + line for line in cells["layer"].split("\n")]
    out.line(("\n".join(head), "bold cyan"), wrap=False)
    if "input shape" in cells:
        flow = [cells["input shape"], "→", cells["output shape"]]
    else:
        flow = ["from", *cells["from"].split("\n"), "→", *cells["gives"].split("\n")]
    out.line(joined(flow + [f"· {cells['params']} params"], width, indent, sep=" "), wrap=False)
    if "weights" in cells and cells["weights"]:
        out.line((joined(cells["weights"].split("\n"), width, indent), "dim"), wrap=False)
    out.line("\n".join(wrapped(line, width, indent) for line in cells["why"].split("\n")), wrap=False)


def _listed_rows(steps: list[Step], with_weights: bool, graph: bool) -> list[tuple[str, tuple[str, ...]]]:
    """A row a layer: its index, and its other cells with their newlines made commas. A deep stack lists
    the same few layers again and again (Step.printed_as): their cells are made once, one tuple for all."""
    made: dict[tuple, tuple[str, ...]] = {}
    rows = []
    for step in steps:
        key = None if graph else step.printed_as
        cells = made.get(key)
        if cells is None:
            cells = tuple(cell.replace("\n", ", ") for cell in _cells(step, with_weights, graph, whole_why=False)[1:])
            if key is not None:
                made[key] = cells
        rows.append((str(step.index), cells))
    return rows


def _render_lines(columns: tuple[str, ...], rows: list[tuple[str, tuple[str, ...]]], out: Writer) -> None:
    """One line a layer where it fits: the label, shapes and number in columns, the sentence after them,
    wrapped between its words under its own column — or, where the columns leave it too little room,
    on the lines below. Nothing is split or cut at any width. Rows that share their cells (`_listed_rows`)
    share their line but for the index."""
    distinct = list({id(cells): cells for _, cells in rows}.values())
    widths = [max(len(columns[0]), max(len(index) for index, _ in rows))] + \
        [max(len(h), *(len(cells[i]) for cells in distinct)) for i, h in enumerate(columns[1:-1])]
    justify = [str.rjust if name in ("#", "params") else str.ljust for name in columns[:-1]]
    width, start = out.width, sum(widths) + 2 * len(widths)  # where the sentence starts
    beside = width - start >= LEAST_SENTENCE  # the sentence in its own column
    pad = " " * (start if beside else 4)
    made: dict[str, str] = {}  # a deep stack says the same few sentences again and again: wrapped once each

    def said(sentence: str) -> str:
        if sentence not in made:
            fits = beside and start + len(sentence) <= width
            made[sentence] = sentence if fits else wrapped(sentence, width, pad)[start if beside else 0:]
        return made[sentence]

    def line(index: str, cells: tuple[str, ...]) -> str:
        if not beside:
            return joined([index, *cells[:-1]], width, "", sep="  ") + "\n" + said(cells[-1])
        return justify[0](index, widths[0]) + rest(cells)

    def rest(cells: tuple[str, ...]) -> str:
        """The line after the index, made once for the rows that share their cells."""
        return "  " + "  ".join([fit(cell, w) for fit, cell, w in zip(justify[1:], cells, widths[1:])]
                                + [said(cells[-1])])

    header = line(columns[0], columns[1:])
    rule = "─" * min(width, len(header.split("\n")[0]))
    if beside:
        rests = {id(cells): rest(cells) for cells in distinct}
        lines = [justify[0](index, widths[0]) + rests[id(cells)] for index, cells in rows]
    else:
        lines = [line(index, cells) for index, cells in rows]
    out.raw("\n".join([header, rule, *lines]) + "\n")


LEAST_SENTENCE = 24  # the narrowest column a listing's sentence wraps in; narrower, it goes below the row
