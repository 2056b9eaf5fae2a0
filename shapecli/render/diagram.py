"""`shapecli diagram`: the model unrolled in time.

Time runs left to right, one column per step of each sequence tensor (a long sequence is elided: x1 x2 … x100; a
free length reads x1 … x_time); the layers stack bottom-up, one band each, the input at the bottom. Each band
shows what the layer does to the steps: a recurrent cell per step with the state passed on (→), only the last
output going up when `return_sequences` is false; one shared box per step (same weights) for Dense on steps and
TimeDistributed; a line that fans one vector out (RepeatVector) or gathers the steps into one (Flatten, global
pooling); the window one output step reads (Conv1D, MaxPooling1D); both directions and their merge
(Bidirectional). Between the bands, each tensor's steps are labelled, with its shape.

The picture is laid out once in columns (`Scene`: rows of items that name columns), then placed on a grid of
characters (`Picture`). The text rendering writes that grid (ASCII, or Unicode with colour on a terminal); the SVG
draws the same grid with rects, lines and text; the HTML page holds the SVG and the explain table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from ..engine import Explanation, Step
from ..layers.base import is_shape_list
from ..layers.recurrent import RNN
from ..shapes import Dim, Shape, format_shape
from .plain import Writer, pipe_width
from .fit import joined, tokens

PIPE_WIDTH = 80  # the width when the output is not a terminal and COLUMNS is not set
WIDE = 120  # the layout of the SVG and the HTML page
MARGIN = 3  # left of the first column: room for Bidirectional's merge line
GAP = 2  # between two columns: room for an arrow
SPACER = 5  # the empty column between two inputs' steps (graphs): room for a state arrow `->h,c`
BUDGETS = range(12, 2, -1)  # a sequence of at most this many steps is drawn whole; fewer when it does not fit


# -- glyphs -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Glyphs:
    unicode: bool
    up: str
    right: str  # an arrow's head
    left: str
    dots: str  # steps left out
    to: str  # an arrow in words
    back: str
    dash: str  # a line in a link
    tie: str  # the line between boxes that share their weights

    def line(self, flags: str) -> str:
        if not self.unicode:
            return "-" if set(flags) <= set("EW") else "|" if set(flags) <= set("NS") else "+"
        return BOX_CHARS["".join(sorted(set(flags)))]


ASCII = Glyphs(False, up="^", right=">", left="<", dots="...", to="->", back="<-", dash="-", tie="=")
UNICODE = Glyphs(True, up="↑", right="→", left="←", dots="…", to="→", back="←", dash="─", tie="═")
BOX_CHARS = {"E": "─", "W": "─", "EW": "─", "N": "│", "S": "│", "NS": "│", "ES": "┌", "SW": "┐", "EN": "└",
             "NW": "┘", "ESW": "┬", "ENW": "┴", "ENS": "├", "NSW": "┤", "ENSW": "┼"}
ASCII_WORDS = {"→": "->", "←": "<-", "…": "...", "—": "-", "–": "-", "×": "x", "·": "*", "≠": "!=", "γ": "gamma",
               "β": "beta", "≥": ">=", "≤": "<=", "√": "sqrt ", "‘": "'", "’": "'", "“": '"', "”": '"'}


def ascii_text(text: str) -> str:
    for char, word in ASCII_WORDS.items():
        text = text.replace(char, word)
    return text.encode("ascii", "replace").decode("ascii")


# -- the scene: rows of items placed on columns (group, column within the group) ----------------------------------
Col = tuple  # (group, column): each input of a graph has a group of columns of its own


@dataclass
class Label:  # a step's label (x1, h7), centred on its column
    col: Col
    text: str


@dataclass
class Dots:  # the steps left out
    col: Col


@dataclass
class Box:  # a cell on one column, or a window across several
    cols: list
    text: str
    style: str = "cell"
    short: str = ""


@dataclass
class Link:  # between the items on columns a and b of one row: '>' state passed on, '<' backwards, '=' same weights
    a: Col
    b: Col
    head: str


@dataclass
class Up:  # a tensor going up into the row above
    col: Col


@dataclass
class Bus:  # a line joining columns: from below (down) to above (up)
    down: list
    up: list
    label: str = ""
    margin: bool = False  # it also comes up the left margin (Bidirectional's backward output)


@dataclass
class Stub:  # a state arrow beside the cell on `col`: `->h,c` (side right) or `h,c->` (side left)
    col: Col
    text: str
    side: str
    head: str


@dataclass
class MarginBar:  # the margin line passing through a row
    pass


@dataclass
class MarginCorner:  # the backward output turning from the cell on `col` into the margin
    col: Col


@dataclass
class Row:
    items: list = field(default_factory=list)
    annot: list = field(default_factory=list)  # what the row's tensor is: its shape (and name), never dropped
    side: str = ""  # a word about the row, dropped when there is no room (forward, backward, same weights)
    title: tuple | None = None  # (head, note): a band's title line(s)


@dataclass
class Placed:
    """A tensor as drawn: the label of each step shown (None: steps left out) and its column."""

    name: str
    group: int
    cols: list
    labels: list
    seq: bool
    indices: list = field(default_factory=list)  # the step each entry shows: a number, a free size (Dim) or None

    def col(self, k: int) -> Col:
        return (self.group, self.cols[k])

    def real(self) -> list:
        return [(self.group, c) for c, label in zip(self.cols, self.labels) if label is not None]

    def entries(self) -> list:
        return [((self.group, c), label) for c, label in zip(self.cols, self.labels)]


@dataclass
class Scene:
    title: str
    rows: list  # bottom-up
    legend: str


def step_label(letter: str, index) -> str | None:
    if index is None:
        return None
    if isinstance(index, int):
        return f"{letter}{index}"
    return f"{letter}_{index}" if index.is_atom else f"{letter}_({index})"


def shown_steps(length: Dim, first: int, budget: int) -> list:
    """Which steps of a sequence are drawn: all of a short one; else the first few, `None` (left out), the last."""
    if length.is_known:
        n = length.value
        k = max(2, first)
        if n <= budget or k + 1 >= n:
            return list(range(1, n + 1))
        return [*range(1, k + 1), None, n]
    return [*range(1, max(1, first) + 1), None, length]


LETTERS = {"input": "xuw", "rnn": "hgsr", "bidir": "hgs", "dense": "yd", "act": "a", "conv": "z", "pool": "pq",
           "emb": "e", "merge": "fm", "other": "vkn"}
GLYPH = {"SimpleRNN": "RNN", "Embedding": "Emb", "LayerNormalization": "norm", "Dropout": "drop"}
MERGE_GLYPH = {"concat": "concat", "sum": "sum", "mul": "mul", "ave": "ave"}


def glyph(layer) -> str:
    name = layer.keras_name
    if name == "TimeDistributed":
        return glyph(layer.layer)
    if name == "Activation":
        return layer.activation if len(layer.activation) <= 5 else ACTIVATION_GLYPH.get(layer.activation,
                                                                                       layer.activation[:4])
    return GLYPH.get(name, name)


ACTIVATION_GLYPH = {"softmax": "smax", "sigmoid": "sigm", "linear": "lin", "softplus": "splus",
                    "softsign": "ssign", "hard_sigmoid": "hsigm", "log_softmax": "lsmax"}


SHORT = {"softmax": "smax", "sigmoid": "sigm", "linear": "lin", "Dense": "D", "LSTM": "L", "GRU": "G", "RNN": "R",
         "concat": "cat", "Conv1D": "Conv"}


def short_glyph(text: str) -> str:
    """A narrower name for a cell, used when the full names leave too few steps on the screen."""
    return SHORT.get(text, text if len(text) <= 4 else text[:4])


def pad_left(layer, length: Dim) -> int:
    """Zeros put before the first step by a window's padding (same, causal)."""
    span = layer.span if layer.keras_name == "Conv1D" else layer.pool_size
    stride = layer.strides if layer.keras_name == "Conv1D" else layer.stride
    if layer.padding == "causal":
        return span - 1
    if layer.padding == "same":
        n = length.value if length.is_known else stride
        out_len = -(-n // stride)
        return max((out_len - 1) * stride + span - n, 0) // 2
    return 0


class Builder:
    """Lays the explanation out: one band per layer call, bottom-up."""

    def __init__(self, ex: Explanation, budget: int, g: Glyphs):
        self.ex, self.budget, self.g = ex, budget, g
        self.graph = ex.stack.is_graph
        self.rows: list[Row] = []
        self.placed: dict[str, Placed] = {}
        self.groups = 0
        self.used: set[str] = set()
        self.recent: list[str] = []
        self.top: set[str] = set()  # the tensors labelled on the top row so far
        self.need: dict[str, int] = {}
        self.need = self.needs()

    # -- tensors ------------------------------------------------------------------------------------------------
    def shape(self, name: str) -> Shape:
        shape = self.ex.tensors[name]
        return shape[0] if is_shape_list(shape) else shape

    def is_seq(self, name: str) -> bool:
        shape = self.shape(name)
        ids = len(shape) == 2 and self.ex.dtypes.get(name) == "int32"
        return len(shape) >= 3 or ids

    def letter(self, kind: str) -> str:
        """A letter of its own for each tensor; in a long stack, one not used by the last few."""
        pool = LETTERS.get(kind, "") + "bcdfjklmnopqrstvw"
        if all(letter in self.used for letter in pool):
            self.used = set(self.recent[-4:])
        for letter in pool:
            if letter not in self.used:
                self.used.add(letter)
                self.recent.append(letter)
                return letter

    def first(self, name: str, length: Dim) -> int:
        return max(2 if length.is_known else 1, self.need.get(name, 0))

    def sequence(self, name: str, group: int, start: int, letter: str) -> Placed:
        length = self.shape(name)[1]
        indices = shown_steps(length, self.need.get(name, 0), self.budget)
        return Placed(name, group, [start + k for k in range(len(indices))], [step_label(letter, i) for i in indices],
                      True, indices)

    def like(self, name: str, src: Placed, letter: str) -> Placed:
        """A tensor step by step as `src`: the same columns."""
        return Placed(name, src.group, list(src.cols), [step_label(letter, i) for i in src.indices], True,
                      list(src.indices))

    def vector(self, name: str, col: Col, label: str) -> Placed:
        return Placed(name, col[0], [col[1]], [label], False, [1])

    def place_input(self, name: str) -> Placed:
        group, self.groups = self.groups, self.groups + 1
        letter = self.letter("input")
        placed = self.sequence(name, group, 0, letter) if self.is_seq(name) else self.vector(name, (group, 0), letter)
        self.placed[name] = placed
        return placed

    # -- which steps each tensor must show: the windows above it need their steps --------------------------------
    def needs(self) -> dict[str, int]:
        need = self.need
        for step in reversed(self.ex.steps):
            out, kind = step.outputs[0], self.kind(step)
            layer, wanted = step.layer, 0
            if kind in ("conv", "pool"):
                wanted = self.window_plan(step, kind)[1]
            elif kind == "step" or kind in ("rnn", "bidir") and layer_returns_sequences(layer):
                wanted = need.get(out, 0)
            name = step.inputs[0]
            need[name] = max(need.get(name, 0), wanted)
        return need

    def kind(self, step: Step) -> str:
        layer, name = step.layer, step.layer.keras_name
        if layer.takes_list or not step.inputs:
            return "other"
        src, out = step.inputs[0], step.outputs[0]
        seq, out_seq = self.is_seq(src), self.is_seq(out)
        same_steps = seq and out_seq and self.shape(out)[1] == self.shape(src)[1]
        channels_last = getattr(layer, "data_format", "channels_last") != "channels_first"
        if isinstance(layer, RNN):
            return "rnn" if seq else "other"
        if name == "Bidirectional":
            return "bidir" if seq else "other"
        if name == "RepeatVector":
            return "repeat"
        if name == "Conv1D" and seq and channels_last:
            return "conv"
        if name == "MaxPooling1D" and seq and channels_last:
            return "pool"
        if name in ("Flatten", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Reshape") and seq and not out_seq:
            return "merge"
        if name == "Reshape" and not seq and out_seq:
            return "split"
        per_step = name in ("Dense", "Activation", "Dropout", "Embedding", "TimeDistributed") or \
            name == "LayerNormalization" and layer.axis in (-1, [-1], len(self.shape(src)) - 1)
        if per_step and same_steps:
            return "step"
        if not seq and not out_seq and (per_step or name == "Flatten"):
            return "vector"
        return "other"

    # -- bands ----------------------------------------------------------------------------------------------------
    def build(self) -> list[Row]:
        for step in self.ex.steps:
            self.band(step)
        return self.rows

    def label_row(self, placed: Placed, annot: list[str]) -> Row:
        items = [Label(col, label) if label is not None else Dots(col) for col, label in placed.entries()]
        return Row(items, annot)

    def tensor_note(self, name: str, prefix: str = "") -> str:
        shape = format_shape(self.ex.tensors[name])
        dtype = " int32 ids" if self.ex.dtypes.get(name) == "int32" else ""
        if not self.graph:
            return f"{prefix}{shape}{dtype}".strip()
        return f"{prefix}{name} {shape}{dtype}".strip()

    def band(self, step: Step) -> None:
        kind = self.kind(step)
        reads = list(dict.fromkeys(step.inputs if step.layer.takes_list else step.inputs[:1]))
        for name in reads:
            if name not in self.placed:
                self.place_input(name)
        missing = [name for name in reads if name not in self.top]
        if missing:
            notes = [self.tensor_note(name, "input " if name in self.ex.inputs else "") for name in missing]
            if self.top & set(reads):  # the row below shows the others: these join it
                row = self.rows[-1]
                row.annot += notes
            else:
                if self.graph and self.rows:
                    self.rows.append(Row())  # a new input: a line apart from the band below
                row = Row([], notes)
                self.rows.append(row)
            for name in missing:
                add_labels(row, self.placed[name])
        draw = getattr(self, f"draw_{kind}")
        out, ups_in, body, ups_out, note = draw(step, *[self.placed[name] for name in reads])
        self.placed[step.outputs[0]] = out
        self.rows.append(Row([Up(c) for c in ups_in]))
        self.rows.extend(body)
        self.rows.append(Row(title=(self.head(step), self.note(step, note))))
        self.rows.append(Row([Up(c) for c in ups_out]))
        annot = []
        for name in dict.fromkeys(step.outputs):
            if name != "_":
                last = name in self.ex.outputs if self.graph else step is self.ex.steps[-1]
                annot.append(self.tensor_note(name, "output " if last else ""))
        self.rows.append(self.label_row(out, annot))
        self.top = {step.outputs[0]}

    def head(self, step: Step) -> str:
        title = step.layer.title()
        return f"{step.index} {step.layer.name}: {title}" if self.graph and step.layer.name else f"{step.index} {title}"

    def note(self, step: Step, note: str) -> str:
        if step.shared_with is not None:
            note += f"; layer {step.shared_with} called again (the same weights)"
        return note

    def steps_text(self, src: Placed, the: bool = True) -> str:
        length = self.shape(src.name)[1]
        return f"{length} steps" if length.is_known or not the else f"the {length} steps"

    # -- one drawing per kind of layer: (output, columns read, body rows bottom-up, columns given, note) -----------
    def cells(self, src: Placed, text: str, head: str | None, style: str = "cell") -> list:
        entries = src.entries()
        items = [Box([col], text, style, short_glyph(text)) if label is not None else Dots(col)
                 for col, label in entries]
        if head:
            items += [Link(a[0], b[0], head) for a, b in zip(entries, entries[1:])]
        return items

    def draw_rnn(self, step: Step, src: Placed):
        layer, g = step.layer, self.g
        back = layer.go_backwards
        row = Row(self.cells(src, glyph(layer), "<" if back else ">"))
        entries = src.entries()
        first_read, last_read = (entries[-1], entries[0]) if back else (entries[0], entries[-1])
        states = ",".join(layer.cell.state_names)
        if step.states:
            row.items.append(Stub(first_read[0], states, "right" if back else "left", "<" if back else ">"))
        if layer.return_state:
            row.items.append(Stub(last_read[0], states, "left" if back else "right", "<" if back else ">"))
        letter = self.letter("rnn")
        flow = g.back if back else g.to
        note = f"the state passes {flow} from step to step"
        if back:
            note = f"reads the last step first; {note}"
        if layer.return_sequences:
            out = self.like(step.outputs[0], src, letter)
            ups = out.real()
            note += "; the output of every step goes on" + (" (in reading order)" if back else "")
        else:
            k = 0 if back else len(entries) - 1
            label = step_label(letter, src.indices[k])
            out = self.vector(step.outputs[0], src.col(k), label)
            ups = [src.col(k)]
            note += f"; only the last output ({label}) goes on"
        if step.states:
            note += f"; starts from {', '.join(step.states)}"
        if layer.return_state:
            given = [n for n in step.outputs[1:] if n != "_"]
            note += f"; also gives its last state{'s' if len(layer.cell.state_names) > 1 else ''} ({states})" + \
                (f": {', '.join(given)}" if self.graph and given else "")
        return out, src.real(), [row], ups, note

    def draw_bidir(self, step: Step, src: Placed):
        layer, g = step.layer, self.g
        backward = Row(self.cells(src, glyph(layer.backward), "<"), side="backward")
        forward = Row(self.cells(src, glyph(layer.layer), ">"), side="forward")
        text = MERGE_GLYPH.get(layer.merge_mode, layer.merge_mode)
        letter = self.letter("bidir")
        note = f"{g.to} reads forwards, {g.back} reads backwards"
        if layer.layer.return_sequences:
            merge = Row(self.cells(src, text, None, "merge"))
            out = self.like(step.outputs[0], src, letter)
            rows = [backward, forward, Row([Up(c) for c in src.real()]), merge]
            note += f"; {layer.merge_mode} joins the two outputs of each step"
            ups = out.real()
        else:
            last = src.col(len(src.cols) - 1)
            backward.items.append(MarginCorner(src.col(0)))
            forward.items.append(MarginBar())
            rows = [backward, forward, Row([Up(last), MarginBar()]), Row([Bus([last], [last], text, margin=True)])]
            out = self.vector(step.outputs[0], last, letter)
            ups = [last]
            note += (f"; {layer.merge_mode} joins the last output of each ({g.to} ends at step "
                     f"{src.indices[-1]}, {g.back} at step 1)")
        if layer.layer.return_state:
            note += "; also gives the last states of both directions"
        return out, src.real(), rows, ups, note

    def draw_repeat(self, step: Step, src: Placed):
        n = self.shape(step.outputs[0])[1]
        out = self.sequence(step.outputs[0], src.group, 0, "")
        out.labels = [src.labels[0] if label is not None else None for label in out.labels]
        bus = Row([Bus([src.col(0)], out.real(), "copy")])
        return out, [src.col(0)], [bus], out.real(), f"copies one vector ({src.labels[0]}) to {n} steps"

    def draw_split(self, step: Step, src: Placed):
        out = self.sequence(step.outputs[0], src.group, 0, self.letter("other"))
        bus = Row([Bus([src.col(0)], out.real(), "split")])
        n, *each = self.shape(step.outputs[0])[1:]
        size = "×".join(str(d) for d in each) if self.g.unicode else "x".join(str(d) for d in each)
        return out, [src.col(0)], [bus], out.real(), f"splits one vector into {n} steps of {size}"

    def draw_step(self, step: Step, src: Placed):
        layer = step.layer
        weighted = step.params > 0 or step.shared_with is not None
        inner = layer.layer if layer.keras_name == "TimeDistributed" else layer
        letter = self.letter({"Activation": "act", "Embedding": "emb", "Dropout": "act",
                              "LayerNormalization": "act"}.get(inner.keras_name, "dense"))
        row = Row(self.cells(src, glyph(layer), "=" if weighted else None, "shared" if weighted else "cell"),
                  side="same weights" if weighted else "")
        out = self.like(step.outputs[0], src, letter)
        each = f"each of {self.steps_text(src)}"
        if inner.keras_name == "Embedding":
            note = f"one shared table (same weights) looks up {each}"
        elif weighted:
            note = f"one shared {inner.keras_name} at {each}: same weights"
        elif inner.keras_name == "Dropout":
            note = f"Dropout at {each}: nothing changes at inference"
        else:
            what = inner.activation if inner.keras_name == "Activation" else inner.keras_name
            note = f"{what} at {each}, on its own"
        return out, src.real(), [row], out.real(), note

    def draw_vector(self, step: Step, src: Placed):
        layer = step.layer
        out = self.vector(step.outputs[0], src.col(0), self.letter("dense"))
        row = Row([Box([src.col(0)], glyph(layer), "cell", short_glyph(glyph(layer)))])
        n_in, n_out = self.shape(src.name)[-1], self.shape(step.outputs[0])[-1]
        return out, [src.col(0)], [row], [src.col(0)], f"one vector of {n_in} in, one of {n_out} out"

    def draw_merge(self, step: Step, src: Placed):
        layer = step.layer
        name = layer.keras_name
        last = src.col(len(src.cols) - 1)
        out = self.vector(step.outputs[0], last, self.letter("merge"))
        label = {"Flatten": "flatten", "GlobalAveragePooling1D": "mean", "GlobalMaxPooling1D": "max"}.get(name, "reshape")
        width = self.shape(step.outputs[0])[-1]
        steps = self.steps_text(src, the=False)
        note = {"GlobalAveragePooling1D": f"averages the {steps} into one vector of {width}",
                "GlobalMaxPooling1D": f"keeps the largest value over the {steps}: one vector of {width}"}.get(
            name, f"merges the {steps} into one vector of {width} values")
        return out, src.real(), [Row([Bus(src.real(), [last], label)])], [last], note

    def window_plan(self, step: Step, kind: str) -> tuple:
        """(m, need, js, left, span, stride): how many output steps to show, how many input steps that needs, the
        outputs whose windows are drawn (the first that reads no padding, and the next when they do not overlap)."""
        layer = step.layer
        span = layer.span if kind == "conv" else layer.pool_size
        stride = layer.strides if kind == "conv" else layer.stride
        left = pad_left(layer, self.shape(step.inputs[0])[1])
        j0 = -(-left // stride) + 1
        js = [j0, j0 + 1] if stride >= span else [j0]
        out = step.outputs[0]
        m = max(self.first(out, self.shape(out)[1]), js[-1])
        need = max((m - 1) * stride + 1, (js[-1] - 1) * stride + 1 - left + span - 1)
        return m, need, js, left, span, stride

    def windows(self, step: Step, src: Placed, kind: str):
        """The output's steps, each over the input step (j-1)*stride+1, and the windows drawn."""
        m, _, js, left, span, stride = self.window_plan(step, kind)
        length = self.shape(src.name)[1]
        out_name = step.outputs[0]
        indices = shown_steps(self.shape(out_name)[1], m, self.budget)
        where = {i: c for i, c in zip(src.indices, src.cols) if isinstance(i, int)}
        whole = None not in src.indices
        cols = []
        for k, j in enumerate(indices):
            if j is None:
                cols.append(src.cols[src.indices.index(None)] if None in src.indices else None)
            elif k == len(indices) - 1 and (not whole or not isinstance(j, int)):
                cols.append(src.cols[-1])
            else:
                cols.append(where.get((j - 1) * stride + 1))
        if None in cols or any(b <= a for a, b in zip(cols, cols[1:])):
            cols = [src.cols[0] + k for k in range(len(indices))]
        letter = self.letter(kind)
        out = Placed(out_name, src.group, cols, [step_label(letter, i) for i in indices], True, indices)
        drawn = []
        for j in js:
            first = (j - 1) * stride + 1 - left
            steps = list(range(first, first + span))
            if j in indices and steps and all(i in where for i in steps) and \
                    (not length.is_known or steps[-1] <= length.value):
                drawn.append((indices.index(j), steps))
        return out, drawn, where, span, stride, left

    def window_words(self, src: Placed, out: Placed, drawn: list, left: int, verb: str) -> str:
        x, z = src.labels[0].rstrip("0123456789_"), out.labels[0].rstrip("0123456789_")
        if not drawn:
            return ""
        k, steps = drawn[0]
        words = f"{z}{out.indices[k]} {verb} {x}{steps[0]}..{x}{steps[-1]}"
        if left:
            words += f" ({z}1 reads {left} padded step{'s' if left > 1 else ''} before {x}1)"
        return words + "; "

    def draw_conv(self, step: Step, src: Placed):
        layer = step.layer
        out, drawn, where, span, stride, left = self.windows(step, src, "conv")
        boxes = [Box([(src.group, where[steps[0]]), (src.group, where[steps[-1]])], f"window of {span}", "window",
                     f"{span}") for _, steps in drawn]
        ups_in = sorted({(src.group, where[i]) for _, steps in drawn for i in steps})
        ups_out = [out.col(k) for k, _ in drawn]
        reads = self.window_words(src, out, drawn, left, "reads")
        dilation = f" (every {ordinal(layer.dilation_rate)} step)" if layer.dilation_rate > 1 else ""
        note = (f"{reads}a window of {span} steps{dilation} slides {stride} step{'s' if stride > 1 else ''} at a time, "
                f"the same weights at each step: {self.shape(src.name)[1]} {self.g.to} {self.shape(out.name)[1]} steps")
        return out, ups_in, [Row(boxes)], ups_out, note

    def draw_pool(self, step: Step, src: Placed):
        out, drawn, where, span, stride, left = self.windows(step, src, "pool")
        boxes = [Box([(src.group, where[steps[0]]), (src.group, where[steps[-1]])], "max", "window")
                 for _, steps in drawn]
        ups_in = sorted({(src.group, where[i]) for _, steps in drawn for i in steps})
        ups_out = [out.col(k) for k, _ in drawn]
        note = (f"{self.window_words(src, out, drawn, left, 'is the largest of')}each window of {span} steps gives "
                f"its largest value, moving {stride} at a time: "
                f"{self.shape(src.name)[1]} {self.g.to} {self.shape(out.name)[1]} steps")
        return out, ups_in, [Row(boxes)], ups_out, note

    def draw_other(self, step: Step, *srcs: Placed):
        layer = step.layer
        out_name = step.outputs[0]
        cols = [c for src in srcs for c in src.real()]
        letter = self.letter("other")
        if self.is_seq(out_name):
            length = self.shape(out_name)[1]
            same = [s for s in srcs if s.seq and self.shape(s.name)[1] == length]
            if same:
                out = self.like(out_name, same[0], letter)
            else:
                first = srcs[0] if srcs else Placed("", 0, [0], [""], False)
                out = self.sequence(out_name, first.group, first.cols[0], letter)
        else:
            out = self.vector(out_name, cols[-1] if cols else (0, 0), letter)
        text = glyph(layer)
        box = Box(sorted(set(cols + out.real())), text, "cell", text[:5])
        return out, cols, [Row([box])], out.real(), step.why


def add_labels(row: Row, placed: Placed) -> None:
    """A tensor's labels on a row that may show others already: on a shared column they read `x1,v1`."""
    for col, label in placed.entries():
        there = next((i for i in row.items if isinstance(i, (Label, Dots)) and i.col == col), None)
        new = Label(col, label) if label is not None else Dots(col)
        if there is None:
            row.items.append(new)
        elif isinstance(there, Dots):
            row.items[row.items.index(there)] = new
        elif label is not None and label != there.text:
            there.text = f"{there.text},{label}"


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def layer_returns_sequences(layer) -> bool:
    inner = layer.layer if layer.keras_name == "Bidirectional" else layer
    return bool(getattr(inner, "return_sequences", False))


def build_scene(ex: Explanation, budget: int, g: Glyphs) -> Scene:
    rows = Builder(ex, budget, g).build()
    name = ex.stack.name or "the stack"
    legend = (f"time runs left to right, the input at the bottom; {g.to} the state handed to the next step; "
              f"{g.up} what the layer above reads; {g.dots} steps not drawn; boxes tied by {g.tie * 2} share their weights")
    return Scene(f"{name}: unrolled in time", rows, legend)


# -- the picture: the scene on a grid of characters -----------------------------------------------------------------
@dataclass
class PText:
    x: int
    text: str
    style: str = ""


@dataclass
class PBox:
    x: int
    w: int
    text: str
    style: str


@dataclass
class PLink:
    x0: int
    x1: int
    head: str  # '>', '<', '=' (no head)


@dataclass
class PUp:
    x: int


@dataclass
class PLines:  # lines through cells: each cell's flags N, S, E, W say where its line goes
    cells: dict


@dataclass
class Picture:
    lines: list  # each a list of P* items
    width: int


class TooWide(Exception):
    pass


def _cols_of(item) -> list:
    if isinstance(item, (Label, Dots, Up, Stub, MarginCorner)):
        return [item.col]
    if isinstance(item, Box):
        return list(item.cols)
    if isinstance(item, Link):
        return [item.a, item.b]
    if isinstance(item, Bus):
        return list(item.down) + list(item.up)
    return []


def place(scene: Scene, width: int, g: Glyphs, compact: bool = False) -> Picture:
    """The scene on a grid `width` characters wide (TooWide when its columns do not fit); `compact`: the cells'
    short names."""
    if compact:
        for row in scene.rows:
            row.items = [Box(i.cols, i.short, i.style, i.short) if isinstance(i, Box) and len(i.cols) == 1 and i.short
                         else i for i in row.items]
    sizes: dict[int, int] = {}
    for row in scene.rows:
        for item in row.items:
            for group, col in _cols_of(item):
                sizes[group] = max(sizes.get(group, 0), col + 1)
    index, n = {}, 0
    for group in sorted(sizes):
        if n:
            n += 1  # the spacer before this group
        index[group] = n
        n += sizes[group]
    spacers = {index[group] - 1 for group in sorted(sizes)[1:]}
    widths = [SPACER if c in spacers else 1 for c in range(n)]

    def at(col: Col) -> int:
        return index[col[0]] + col[1]

    for row in scene.rows:
        for item in row.items:
            if isinstance(item, Label):
                widths[at(item.col)] = max(widths[at(item.col)], len(item.text))
            elif isinstance(item, Dots):
                widths[at(item.col)] = max(widths[at(item.col)], len(g.dots))
            elif isinstance(item, Box) and len({at(c) for c in item.cols}) == 1:
                widths[at(item.cols[0])] = max(widths[at(item.cols[0])], len(item.text) + 2)
    base = max([len(i.text) + 2 for row in scene.rows for i in row.items if isinstance(i, Box) and len(i.cols) == 1]
               + [w for c, w in enumerate(widths) if c not in spacers and w <= 7] + [4])
    widths = [w if c in spacers else max(w, base) for c, w in enumerate(widths)]  # steps evenly spaced
    left = []
    for c in range(n):
        left.append(MARGIN + sum(widths[:c]) + GAP * c)

    def centre(col: Col) -> int:
        c = at(col)
        return left[c] + (widths[c] - 1) // 2

    def middle(col: Col, w: int) -> int:
        c = at(col)
        return left[c] + (widths[c] - w) // 2

    grid: list[tuple[Row, list]] = []
    right = 0
    for row in reversed(scene.rows):
        if row.title is not None:
            grid.append((row, []))
            continue
        items, extent, flags = [], {}, {}

        def flag(x: int, dirs: str) -> None:
            flags[x] = flags.get(x, "") + dirs

        for item in row.items:
            if isinstance(item, Box):
                cs = sorted(at(c) for c in item.cols)
                if cs[0] == cs[-1]:
                    x, w, text = middle(item.cols[0], len(item.text) + 2), len(item.text) + 2, item.text
                else:
                    x, w = left[cs[0]], left[cs[-1]] + widths[cs[-1]] - left[cs[0]]
                    text = item.text if len(item.text) + 2 <= w else item.short if len(item.short) + 2 <= w else ""
                items.append(PBox(x, w, text, item.style))
                for c in cs:
                    extent[c] = (x, x + w - 1)
            elif isinstance(item, Dots):
                x = middle(item.col, len(g.dots))
                items.append(PText(x, g.dots, "dots"))
                extent[at(item.col)] = (x, x + len(g.dots) - 1)
            elif isinstance(item, Label):
                items.append(PText(middle(item.col, len(item.text)), item.text, "step"))
        for item in row.items:
            if isinstance(item, Link):
                a, b = extent.get(at(item.a)), extent.get(at(item.b))
                if a and b and b[0] - a[1] > 2:
                    items.append(PLink(a[1] + 1, b[0] - 1, item.head))
            elif isinstance(item, Up):
                items.append(PUp(centre(item.col)))
            elif isinstance(item, Bus):
                ups, downs = {centre(c) for c in item.up}, {centre(c) for c in item.down}
                xs = ups | downs | ({1} if item.margin else set())
                x0, x1 = min(xs), max(xs)
                for x in range(x0, x1 + 1):
                    flag(x, ("W" if x > x0 else "") + ("E" if x < x1 else "") + ("N" if x in ups else "")
                         + ("S" if x in downs or item.margin and x == 1 else ""))
                if item.label:  # in the longest stretch of line between two joins
                    joins = sorted(ups | downs | {x0, x1} | ({1} if item.margin else set()))
                    a, b = max(zip(joins, joins[1:]), key=lambda ab: ab[1] - ab[0], default=(x0, x0))
                    text = f" {item.label} "
                    if b - a - 1 >= len(text) + 2:
                        items.append(PText(a + 1 + (b - a - 1 - len(text)) // 2, text, "bus"))
            elif isinstance(item, MarginBar):
                flag(1, "NS")
            elif isinstance(item, MarginCorner):
                end = extent.get(at(item.col), (MARGIN, 0))[0]
                for x in range(1, end):
                    flag(x, ("N" if x == 1 else "W") + "E")
            elif isinstance(item, Stub):
                x0, x1 = extent.get(at(item.col), (centre(item.col), centre(item.col)))
                if item.side == "left" and x0 - 3 - len(item.text) >= 0:
                    items += [PText(x0 - 2 - len(item.text), item.text, "stub"), PLink(x0 - 2, x0 - 1, item.head)]
                else:
                    items += [PLink(x1 + 1, x1 + 2, item.head), PText(x1 + 3, item.text, "stub")]
        if flags:
            items.insert(0, PLines(flags))
        grid.append((row, items))
        right = max(right, _right(items))
    if right > width:
        raise TooWide(right)
    return _finish(scene, grid, right, width)


def _right(items: list) -> int:
    """Where a line's drawing ends (one past its last character)."""
    ends = [0]
    for item in items:
        if isinstance(item, PText):
            ends.append(item.x + len(item.text))
        elif isinstance(item, PBox):
            ends.append(item.x + item.w)
        elif isinstance(item, PLink):
            ends.append(item.x1 + 1)
        elif isinstance(item, PUp):
            ends.append(item.x + 1)
        elif isinstance(item, PLines):
            ends.append(max(item.cells) + 1)
    return max(ends)


def _left(items: list) -> int:
    """Where a line's drawing starts."""
    starts = [item.x for item in items if isinstance(item, (PText, PBox, PUp))]
    return min(starts, default=0)


def wrap_title(head: str, note: str, width: int, indent: int = 4) -> list[list[PText]]:
    """A band's title: the layer whole on the first line, its note wrapped between words after it."""
    if len(head) + 1 > width and ": " in head:  # a graph's `index name:` on a line of its own, then the layer
        first, rest = head.split(": ", 1)
        return [[PText(0, first + ":", "title")]] + wrap_title(" " * indent + rest, note, width, indent)
    if not note:
        return [[PText(0, head, "title")]]
    head += ":"
    groups: list[list[str]] = [[]]
    for word in tokens(note):
        room = width - len(head) - 1 if len(groups) == 1 else width - indent
        current = groups[-1]
        if len(" ".join(current + [word])) > room and (current or len(groups) == 1):
            groups.append([word])
        else:
            current.append(word)
    lines = [[PText(0, head, "title")] + ([PText(len(head) + 1, " ".join(groups[0]), "note")] if groups[0] else [])]
    lines += [[PText(indent, " ".join(words), "note")] for words in groups[1:]]
    return lines


def _finish(scene: Scene, grid: list, right: int, width: int) -> Picture:
    lines: list[list] = []
    for text in _wrap_words(scene.title, width):
        lines.append([PText(0, text, "heading")])
    lines.append([])
    column = right + 3  # the shapes in one column when they all fit there, else each after its own row
    together = all(column + len("   ".join(row.annot)) <= width for row, _ in grid if row.annot)
    for k, (row, items) in enumerate(grid):
        if row.title is not None:
            lines.extend(wrap_title(*row.title, width))
            continue
        own = _right(items)
        after = []  # lines printed below the row
        if row.annot:
            text = "   ".join(row.annot)
            if together:
                items.append(PText(column, text, "shape"))
            elif own + 3 + len(text) <= width and own:
                items.append(PText(own + 3, text, "shape"))
            elif MARGIN + len(text) + 3 <= _left(items):
                items.append(PText(MARGIN, text, "shape"))
            else:  # on lines of their own: below an input (nothing is drawn under it), else above
                below = k + 1 == len(grid) or not grid[k + 1][0].items and grid[k + 1][0].title is None
                parts = [[PText(0, part, "shape")] for part in joined(row.annot, width, " " * MARGIN, sep="   ").split("\n")]
                if below:
                    after = parts
                else:
                    lines.extend(parts)
        elif row.side:
            if together and column + len(row.side) <= width:
                items.append(PText(column, row.side, "side"))
            elif own + 3 + len(row.side) <= width:
                items.append(PText(own + 3, row.side, "side"))
        lines.append(items)
        lines.extend(after)
    lines.append([])
    for text in _wrap_words(scene.legend, width):
        lines.append([PText(0, text, "legend")])
    return Picture(lines, max([width] + [_right(line) for line in lines]))


def _wrap_words(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def picture(ex: Explanation, width: int, g: Glyphs) -> Picture:
    """The diagram at the widest budget of steps that fits; a plain list of the bands when nothing does."""
    plain = str if g.unicode else ascii_text  # names, titles and notes: ASCII when the picture is
    for budget in BUDGETS:
        scene = build_scene(ex, budget, g)
        scene.title = plain(scene.title)
        for row in scene.rows:
            if row.title is not None:
                row.title = (plain(row.title[0]), plain(row.title[1]))
            row.annot = [plain(a) for a in row.annot]
            for item in row.items:
                if isinstance(item, (Label, Stub)):
                    item.text = plain(item.text)
        for compact in (False, True):
            try:
                return place(scene, width, g, compact)
            except TooWide:
                continue
    lines = [[PText(0, t, "heading")] for t in _wrap_words(scene.title, width)]
    lines += [[PText(0, t, "legend")] for t in _wrap_words(
        f"(too narrow to draw the steps in {width} columns; the layers, bottom-up:)", width)]
    for row in scene.rows:
        if row.title is not None:
            lines.extend(wrap_title(*row.title, width))
    return Picture(lines, width)


# -- text ---------------------------------------------------------------------------------------------------------
STYLES = {"heading": "bold", "title": "bold cyan", "note": "", "shape": "green", "step": "yellow", "dots": "yellow",
          "cell": "bold cyan", "shared": "bold green", "window": "bold magenta", "merge": "bold magenta",
          "line": "blue", "bus": "magenta", "stub": "yellow", "side": "dim", "legend": "dim"}


def text_lines(pic: Picture, g: Glyphs) -> list[list[tuple[str, str]]]:
    """Each line as runs of (text, style)."""
    out = []
    for items in pic.lines:
        w = _right(items)
        chars, styles = [" "] * w, [""] * w

        def put(x: int, text: str, style: str) -> None:
            text = text[max(0, -x):w - x] if x < 0 or x + len(text) > w else text
            x = max(x, 0)
            chars[x:x + len(text)] = text
            styles[x:x + len(text)] = [style] * len(text)

        for item in items:
            if isinstance(item, PLines):
                for x, flags in item.cells.items():
                    put(x, g.line(flags), "line")
        for item in items:
            if isinstance(item, PLink):
                n = item.x1 - item.x0 + 1
                if item.head == "=":
                    put(item.x0, g.tie * n, "shared")
                elif item.head == ">":
                    put(item.x0, g.dash * (n - 1) + g.right, "line")
                else:
                    put(item.x0, g.left + g.dash * (n - 1), "line")
            elif isinstance(item, PUp):
                put(item.x, g.up, "line")
            elif isinstance(item, PBox):
                inner = item.w - 2
                fill = g.dash if item.style == "window" else " "
                text = item.text.center(inner, fill) if item.text else fill * inner
                put(item.x, "[" + text + "]", item.style)
            elif isinstance(item, PText):
                put(item.x, item.text, item.style)
        runs: list[tuple[str, str]] = []
        start = 0
        for x in range(1, w + 1):
            if x == w or styles[x] != styles[start]:
                runs.append(("".join(chars[start:x]), styles[start]))
                start = x
        out.append(runs)
    return out


def diagram_text(ex: Explanation, width: int = PIPE_WIDTH, unicode: bool = False) -> str:
    g = UNICODE if unicode else ASCII
    return "\n".join("".join(t for t, _ in runs).rstrip() for runs in text_lines(picture(ex, width, g), g)) + "\n"


def diagram_width(terminal_width: int | None) -> int:
    """The terminal's width on a terminal (given); else COLUMNS, or 80 (and never under 20)."""
    return terminal_width if terminal_width is not None else max(20, pipe_width(PIPE_WIDTH))


def render_diagram(ex: Explanation, out: Writer, terminal: bool, colour: bool) -> None:
    """On a terminal with colour: in Unicode, each run in its style; else plain ASCII. On a terminal, as wide
    as it; else COLUMNS wide, or 80."""
    width = diagram_width(out.width if terminal else None)
    if not (terminal and colour):
        out.raw(diagram_text(ex, width))
        return
    g = UNICODE
    for runs in text_lines(picture(ex, width, g), g):
        pieces = [(text, STYLES.get(style, "") or None) for text, style in runs]
        while pieces and not pieces[-1][0].strip():
            pieces.pop()
        if pieces:
            pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
        out.line(*pieces, wrap=False)


# -- SVG ----------------------------------------------------------------------------------------------------------
FONT = 14
CW, RH, PAD = FONT * 0.6, 22, 12  # a character's width, a line's height, the border
FILL = {"cell": "#e3effc", "shared": "#e2f5e2", "window": "#fdf0dc", "merge": "#f3e6fb"}
STROKE = {"cell": "#2b6cb0", "shared": "#2f855a", "window": "#b7791f", "merge": "#805ad5"}
INK = {"heading": "#1a202c", "title": "#1a4e8a", "note": "#2d3748", "shape": "#2f855a", "step": "#975a16",
       "dots": "#975a16", "bus": "#805ad5", "stub": "#975a16", "side": "#718096", "legend": "#718096"}


def diagram_svg(ex: Explanation, width: int = WIDE) -> str:
    """A standalone SVG of the diagram: the same grid, drawn with rects, lines and text."""
    pic = picture(ex, width, UNICODE)
    w = PAD * 2 + pic.width * CW
    h = PAD * 2 + len(pic.lines) * RH
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace" font-size="{FONT}">',
           f"<title>{escape(ex.stack.name or 'shapecli diagram')}</title>",
           '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>',
           f'<rect width="{w:.0f}" height="{h:.0f}" fill="white"/>']

    def px(x: float) -> float:
        return PAD + x * CW

    for y, items in enumerate(pic.lines):
        top = PAD + y * RH
        mid, base = top + RH / 2, top + RH * 0.68
        for item in items:
            if isinstance(item, PLines):
                path = []
                for x, flags in sorted(item.cells.items()):
                    cx = px(x) + CW / 2
                    for f in set(flags):
                        end = {"E": (px(x + 1), mid), "W": (px(x), mid), "N": (cx, top), "S": (cx, top + RH)}[f]
                        path.append(f"M{cx:.1f},{mid:.1f} L{end[0]:.1f},{end[1]:.1f}")
                out.append(f'<path d="{" ".join(path)}" stroke="#4a5568" stroke-width="1.5" fill="none" '
                           'stroke-linecap="square"/>')
        for item in items:
            if isinstance(item, PLink):
                x0, x1 = px(item.x0) + 1, px(item.x1 + 1) - 1
                if item.head == "=":
                    out.append(f'<line x1="{x0:.1f}" y1="{mid:.1f}" x2="{x1:.1f}" y2="{mid:.1f}" stroke="#2f855a" '
                               'stroke-width="2" stroke-dasharray="4 3"/>')
                else:
                    a, b = (x0, x1) if item.head == ">" else (x1, x0)
                    out.append(f'<line x1="{a:.1f}" y1="{mid:.1f}" x2="{b:.1f}" y2="{mid:.1f}" stroke="#4a5568" '
                               'stroke-width="1.5" marker-end="url(#head)"/>')
            elif isinstance(item, PUp):
                cx = px(item.x) + CW / 2
                out.append(f'<line x1="{cx:.1f}" y1="{top + RH:.1f}" x2="{cx:.1f}" y2="{top + 1:.1f}" '
                           'stroke="#4a5568" stroke-width="1.5" marker-end="url(#head)"/>')
            elif isinstance(item, PBox):
                x0 = px(item.x) + 1
                bw = item.w * CW - 2
                out.append(f'<rect x="{x0:.1f}" y="{top + 2:.1f}" width="{bw:.1f}" height="{RH - 4}" rx="4" '
                           f'fill="{FILL.get(item.style, "#edf2f7")}" stroke="{STROKE.get(item.style, "#4a5568")}" '
                           'stroke-width="1.5"/>')
                if item.text:
                    out.append(f'<text x="{x0 + bw / 2:.1f}" y="{base:.1f}" text-anchor="middle" '
                               f'font-weight="bold" fill="{STROKE.get(item.style, "#1a202c")}">{escape(item.text)}</text>')
            elif isinstance(item, PText):
                colour = INK.get(item.style, "#1a202c")
                weight = ' font-weight="bold"' if item.style in ("heading", "title") else ""
                if item.style in ("step", "dots", "bus"):
                    cx = px(item.x) + len(item.text) * CW / 2
                    if item.style == "bus":
                        out.append(f'<rect x="{px(item.x):.1f}" y="{top + 3:.1f}" width="{len(item.text) * CW:.1f}" '
                                   f'height="{RH - 6}" fill="white"/>')
                    out.append(f'<text x="{cx:.1f}" y="{base:.1f}" text-anchor="middle" fill="{colour}">'
                               f'{escape(item.text.strip())}</text>')
                else:
                    out.append(f'<text x="{px(item.x):.1f}" y="{base:.1f}" fill="{colour}"{weight} '
                               f'xml:space="preserve">{escape(item.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------------------
PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1a202c; }
h1 { font-size: 1.4em; margin: 0 0 4px; }
p.description { color: #4a5568; margin: 0 0 16px; }
figure { margin: 0 0 24px; overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid #e2e8f0; }
th { background: #f7fafc; }
td.num { text-align: right; white-space: nowrap; }
td.shape, td.layer { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: nowrap; }
td.why { min-width: 24em; }
div.table { overflow-x: auto; }
"""


def table_rows(ex: Explanation) -> list[tuple[str, str, str, str, str, str]]:
    """#, layer, input shape, output shape, params, why — as explain gives them (graphs: with the tensors' names)."""
    rows = []
    for step in ex.steps:
        if ex.stack.is_graph:
            shapes = step.output_shape if is_shape_list(step.output_shape) else [step.output_shape]
            ins = [f"{n} {format_shape(ex.tensors[n])}" for n in step.inputs]
            ins += [f"initial_state {n} {format_shape(ex.tensors[n])}" for n in step.states]
            outs = [f"{n} {format_shape(s)}" for n, s in zip(step.outputs, shapes)]
            layer = f"{step.layer.name}\n{step.layer.title()}"
            params = f"shared ({step.shared_with})" if step.shared_with is not None else f"{step.params:,}"
        else:
            ins, outs = [format_shape(step.input_shape)], [format_shape(step.output_shape)]
            layer, params = step.layer.title(), f"{step.params:,}"
        rows.append((str(step.index), layer, "\n".join(ins), "\n".join(outs), params, step.note))
    return rows


def diagram_html(ex: Explanation) -> str:
    """A self-contained page: the diagram as inline SVG, then the explain table."""
    stack = ex.stack
    name = stack.name or "shapecli diagram"

    def cell(text: str, cls: str = "") -> str:
        attr = f' class="{cls}"' if cls else ""
        return f"<td{attr}>" + "<br>".join(html.escape(line) for line in text.split("\n")) + "</td>"

    body = []
    for index, layer, ins, outs, params, why in table_rows(ex):
        body.append("<tr>" + cell(index, "num") + cell(layer, "layer") + cell(ins, "shape") + cell(outs, "shape")
                    + cell(params, "num") + cell(why, "why") + "</tr>")
    inputs = ", ".join(f"{n} {format_shape(s)}" if stack.is_graph else format_shape(s) for n, s in ex.inputs.items())
    outputs = ", ".join(f"{n} {format_shape(ex.tensors[n])}" for n in ex.outputs) if stack.is_graph else \
        format_shape(ex.output_shape)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(name)}</title>",
        f"<style>{PAGE_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(name)}</h1>",
        f'<p class="description">{html.escape(stack.description)}</p>' if stack.description else "",
        "<figure>",
        diagram_svg(ex).rstrip("\n"),
        "</figure>",
        f"<p>input {html.escape(inputs)} &middot; output {html.escape(outputs)} &middot; total params "
        f"{ex.total_params:,}</p>",
        '<div class="table"><table class="explain">',
        "<thead><tr><th>#</th><th>layer</th><th>input shape</th><th>output shape</th><th>params</th><th>why</th>"
        "</tr></thead>",
        "<tbody>",
        *body,
        "</tbody>",
        "</table></div>",
        "</body>",
        "</html>",
    ]) + "\n"
