"""`shapecli diagram`: the model unrolled in time, as text (ASCII when piped, Unicode with colour on a terminal),
as a standalone SVG and as an HTML page with the explain table.

The text rendering of every bundled scenario at 80 columns is kept in tests/snapshots/diagram-NAME.txt; after a
deliberate change to the picture, rewrite them with `SNAPSHOT_UPDATE=1 pytest tests/test_diagram.py` and read the
difference before committing it.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from rich.console import Console

from shapecli.cli import cli
from shapecli.engine import explain
from shapecli.render.console import RichWriter
from shapecli.render.diagram import diagram_html, diagram_svg, diagram_text, render_diagram
from shapecli.scenarios import load_stack, scenario_names
from shapecli.shapes import format_shape
from tests.helpers import explain_data

SNAPSHOTS = Path(__file__).parent / "snapshots"
README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
GOOD = [name for name in scenario_names() if "wrong" not in name]
SVG = "{http://www.w3.org/2000/svg}"


def assert_snapshot(name: str, text: str) -> None:
    """`text` must equal tests/snapshots/NAME.txt; with SNAPSHOT_UPDATE=1 the file is (re)written instead."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: write it with SNAPSHOT_UPDATE=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), text.splitlines(), "snapshot", "now", lineterm=""))
        pytest.fail(f"{path.name} differs (SNAPSHOT_UPDATE=1 rewrites it):\n{diff}")


def run(args: list[str], width: int | None = 80, **env: str | None):
    env = {"COLUMNS": None if width is None else str(width), "NO_COLOR": "1", "FORCE_COLOR": None, **env}
    return CliRunner().invoke(cli, ["diagram", *args], env=env)


def shapes(shape) -> list[str]:
    return [format_shape(s) for s in shape] if isinstance(shape, list) else [format_shape(shape)]


def every_shape(explanation) -> set[str]:
    found = set()
    for step in explanation.steps:
        found |= set(shapes(step.output_shape))
        found |= set(shapes(step.input_shape)) if not explanation.stack.is_graph else set()
    for shape in explanation.tensors.values():
        found |= set(shapes(shape))
    return found


# -- text ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GOOD)
def test_snapshot_at_80_columns(name):
    result = run([name])
    assert result.exit_code == 0, result.output
    assert_snapshot(f"diagram-{name}", result.stdout)


def test_a_stack_that_does_not_fit_is_reported_not_drawn():
    result = run(["stacked-lstm-wrong"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "LSTM needs a 3D input" in result.stderr


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", GOOD)
def test_fits_the_width_and_splits_no_label_or_shape(name, width):
    lines = run([name], width).stdout.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long[:3]
    explanation = explain(load_stack(name))
    whole = every_shape(explanation) | {step.layer.title() for step in explanation.steps}
    split = [piece for piece in whole if not any(piece in line for line in lines)]
    assert not split, split


def test_piped_without_columns_is_80_wide_and_plain_ascii():
    result = run(["char-seq2seq"], width=None)
    assert result.stdout == run(["char-seq2seq"], 80).stdout
    for name in GOOD:
        text = run([name], width=None, NO_COLOR=None).stdout
        assert text.isascii(), name
        assert "\x1b[" not in text


def test_unicode_and_colour_on_a_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", width=100)
    render_diagram(explain(load_stack("addition")), RichWriter(console), terminal=True, colour=True)
    text = out.getvalue()
    assert "\x1b[" in text and "→" in text and "↑" in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert all(len(line) <= 100 for line in plain.splitlines())


def lines_of(name: str, width: int = 80) -> list[str]:
    return run([name], width).stdout.splitlines()


def line_index(lines: list[str], start: str) -> int:
    return next(k for k, line in enumerate(lines) if line.startswith(start))


def test_addition_shows_the_encoder_steps_the_last_output_the_copies_and_the_shared_dense():
    lines = lines_of("addition")
    text = "\n".join(lines)
    # 7 encoder steps, x1..x7, read by 7 cells passing the state on
    assert any(line.split()[:7] == [f"x{i}" for i in range(1, 8)] for line in lines)
    assert re.search(r"^\s*\[LSTM\](-+>\[LSTM\]){6}\s*$", text, re.M)
    # only the last encoder cell has an arrow up: one ^ under the encoder's title, below it the one output h7
    encoder = line_index(lines, "1 LSTM(128)")
    assert lines[encoder - 1].count("^") == 1
    assert lines[encoder - 2].split()[0] == "h7" and "(batch, 128)" in lines[encoder - 2]
    assert lines[encoder - 1].index("^") == lines[encoder - 2].index("h7") + 1
    # RepeatVector: one line from that output fanning out to 4 steps, each the copied h7
    repeat = line_index(lines, "2 RepeatVector(4)")
    bus = lines[repeat + 1]
    assert "copy" in bus and bus.count("+") == 5
    assert len(bus.rstrip()) - 1 == lines[encoder - 1].index("^")  # it starts above the encoder's output
    assert lines[repeat - 1].count("^") == 4
    assert lines[repeat - 2].split()[:4] == ["h7"] * 4
    # the decoder: 4 cells, an output at each of 4 steps
    assert re.search(r"^\s*\[LSTM\](-+>\[LSTM\]){3}\s*$", text, re.M)
    decoder = line_index(lines, "3 LSTM(128, return_sequences=True)")
    assert lines[decoder - 1].count("^") == 4
    assert lines[decoder - 2].split()[:4] == ["g1", "g2", "g3", "g4"]
    # one shared Dense at each of the 4 steps
    assert re.search(r"^\s*\[Dense\](=+\[Dense\]){3}\s+same weights$", text, re.M)
    assert "one shared Dense at each of 4 steps: same weights" in text
    assert lines[2].split()[:4] == ["a1", "a2", "a3", "a4"] and "output (batch, 4, 12)" in lines[2]


def test_long_and_free_sequences_are_elided():
    long = explain_data([100, 8], [{"LSTM": {"units": 4}}])
    text = diagram_text(long, 80)
    assert re.search(r"^\s*x1\s+x2\s+\.\.\.\s+x100\s", text, re.M)
    assert re.search(r"^\s*\[LSTM\]-+>\[LSTM\]-+>\.\.\.-+>\[LSTM\]\s*$", text, re.M)
    free = diagram_text(explain(load_stack("stacked-lstm")), 80)
    assert re.search(r"^\s*x1\s+\.\.\.\s+x_time\s", free, re.M)


def test_conv1d_shows_its_window_and_pooling_its_reduction():
    lines = lines_of("conv1d-lstm")
    text = "\n".join(lines)
    conv = line_index(lines, "1 Conv1D(32, 5, activation='relu')")
    window = next(line for line in lines[conv:] if re.search(r"\[-+window of 5-+\]", line))
    arrows = lines[lines.index(window) + 1]
    inputs = lines[lines.index(window) + 2]
    assert arrows.count("^") == 5  # x1..x5 go into the window of z1
    assert inputs.split()[:5] == ["x1", "x2", "x3", "x4", "x5"] and "x100" in inputs
    assert "z1 reads x1..x5" in text
    assert re.search(r"^\s*\[-+max-+\]\s+\[-+max-+\]\s*$", text, re.M)  # p1 and p2: two windows of 2
    assert "96 -> 48 steps" in text


def test_flatten_merges_and_reshape_splits():
    lines = lines_of("flatten-dense")
    flatten = line_index(lines, "1 Flatten()")
    assert lines[flatten + 1].strip().startswith("+") and lines[flatten + 1].count("+") == 4
    assert lines[flatten - 1].count("^") == 1 and lines[flatten - 2].split()[0] == "f"
    assert "merges the 4 steps into one vector of 512 values" in "\n".join(lines)


def test_bidirectional_shows_both_directions_and_the_merge():
    text = "\n".join(lines_of("bidirectional"))
    assert re.search(r"\[LSTM\]-+>.*\[LSTM\]\s+forward$", text, re.M)
    assert re.search(r"\[LSTM\]<-+.*\[LSTM\]\s+backward$", text, re.M)
    assert re.search(r"^\s*\[concat\]\s+\.\.\.\s+\[concat\]\s*$", text, re.M)
    last = explain_data([6, 8], [{"Bidirectional": {"layer": {"GRU": {"units": 4}}, "merge_mode": "sum"}}])
    drawn = diagram_text(last, 80)
    assert re.search(r"^ \+-+ sum -+\+$", drawn, re.M)  # the two last outputs joined: step 1's (<-) and step 6's (->)
    assert re.search(r"^ \+-\[GRU\](<-\[GRU\]){5}\s+backward$", drawn, re.M)


def test_a_graph_shows_each_input_and_the_states_handed_over():
    text = "\n".join(lines_of("char-seq2seq"))
    assert re.search(r"x1\s+\.\.\.\s+x_encoder_steps", text)
    assert re.search(r"u1\s+\.\.\.\s+u_decoder_steps", text)
    assert re.search(r"\[LSTM\]->h,c$", text, re.M)  # the encoder gives its states ...
    assert re.search(r"h,c->\[LSTM\]", text)  # ... the decoder starts from them
    assert re.search(r"starts\s+from\s+state_h,\s+state_c", text)


def test_every_layer_kind_draws_within_the_width():
    stacks = [
        explain_data([5, 8], [{"LSTM": {"units": 4, "go_backwards": True, "return_sequences": True}},
                              {"SimpleRNN": {"units": 3, "go_backwards": True, "return_state": True}}]),
        explain_data([None, 8], [{"Conv1D": {"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2}},
                                 {"GlobalAveragePooling1D": {}}, {"Dense": {"units": 2}}]),
        explain_data([30, 8], [{"Conv1D": {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}},
                               {"MaxPooling1D": {"pool_size": 3, "strides": 1}}, {"GlobalMaxPooling1D": {}}]),
        explain_data([3, 5, 8], [{"TimeDistributed": {"layer": {"LSTM": {"units": 4}}}}, {"GRU": {"units": 2}}]),
        explain_data([4, 6], [{"LayerNormalization": {}}, {"Dropout": {"rate": 0.5}}, {"Permute": {"dims": [2, 1]}},
                              {"Flatten": {}}, {"Dense": {"units": 3}}, {"RepeatVector": {"n": 30}},
                              {"Reshape": {"target_shape": [90]}}, {"Reshape": {"target_shape": [3, 30]}}]),
        explain(load_stack("char-seq2seq-inference")),
    ]
    from shapecli.stackfile import stack_from_data

    stacks.append(explain(stack_from_data({"inputs": {"q": [None, 16], "v": [9, 16]}, "layers": [
        {"Attention": {}, "in": ["q", "v"], "out": "a"}, {"Concatenate": {}, "in": ["q", "a"], "out": "c"},
        {"MultiHeadAttention": {"num_heads": 2, "key_dim": 4}, "in": ["c", "c"], "out": "m"},
        {"Add": {}, "in": ["c", "m"], "out": "s"}, {"LSTM": {"units": 4}, "in": "s", "out": "h"}],
        "outputs": ["h"]})))
    for explanation in stacks:
        for width in (60, 80, 120):
            text = diagram_text(explanation, width)
            assert text.isascii()
            assert max(len(line) for line in text.splitlines()) <= width, text
            unicode = diagram_text(explanation, width, unicode=True)
            assert max(len(line) for line in unicode.splitlines()) <= width, unicode


def test_a_long_stack_is_drawn():
    layers = [{"LSTM": {"units": 16, "return_sequences": True}} if i % 2 else {"Dense": {"units": 16}}
              for i in range(400)]
    text = diagram_text(explain_data([None, 16], layers, {"time": None}), 80)
    assert text.count("[LSTM]---->...--->[LSTM]") == 200
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_readme_shows_what_diagram_prints():
    sample = README.split("$ shapecli diagram addition\n", 1)[1].split("```", 1)[0]
    assert sample == run(["addition"]).stdout


# -- SVG and HTML -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GOOD)
def test_the_svg_parses_and_names_every_layer_and_shape(name):
    explanation = explain(load_stack(name))
    root = ElementTree.fromstring(diagram_svg(explanation))
    assert root.tag == f"{SVG}svg"
    texts = [(element.text or "").strip() for element in root.iter(f"{SVG}text")]
    joined = "\n".join(texts)
    for step in explanation.steps:
        assert step.layer.title() in joined, step.layer.title()
    for shape in every_shape(explanation):
        assert any(shape in text for text in texts), shape
    assert root.findall(f".//{SVG}rect") and root.findall(f".//{SVG}line")


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []
        self.rows = 0
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows += 1
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


@pytest.mark.parametrize("name", ["addition", "char-seq2seq", "conv1d-lstm"])
def test_the_html_page_holds_the_svg_and_the_table(name):
    explanation = explain(load_stack(name))
    page = diagram_html(explanation)
    parser = Page()
    parser.feed(page)
    parser.close()
    assert "svg" in parser.tags and "table" in parser.tags
    assert diagram_svg(explanation).strip() in page
    assert parser.rows == len(explanation.steps) + 1
    assert parser.cells[:6] == ["#", "layer", "input shape", "output shape", "params", "why"]
    for step in explanation.steps:
        assert any(step.layer.title() in cell for cell in parser.cells)
        assert any(step.note == cell for cell in parser.cells)
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_command_writes_the_files(tmp_path):
    svg, page = tmp_path / "a.svg", tmp_path / "a.html"
    result = run(["addition", "--svg", str(svg), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {svg}\nwrote {page}\n"
    ElementTree.parse(svg)
    assert "<table" in page.read_text(encoding="utf-8")
    bad = run(["addition", "--svg", str(tmp_path / "missing" / "a.svg")])
    assert bad.exit_code != 0 and "missing" in bad.output


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (filtered) image data of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return size[0], size[1], zlib.decompress(idat)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_browser_renders_the_page(tmp_path):
    page, png = tmp_path / "addition.html", tmp_path / "addition.png"
    page.write_text(diagram_html(explain(load_stack("addition"))), encoding="utf-8")
    subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,1000", f"--screenshot={png}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1200, 1000)
    assert len(set(pixels)) > 50  # drawn, not a blank page
