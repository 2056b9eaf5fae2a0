"""The stack file reader (`shapecli.stackfile`) and the errors `engine.explain` raises.

Every error is a `StackError`: its exit code (2: the file cannot be read as a
stack; 1: the layers do not fit together), its title, the exact place it points
at (line and column, 1-based), and the expected / found / fix wording.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from shapecli import stackfile
from shapecli.engine import explain
from shapecli.errors import EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, StackError
from shapecli.stackfile import parse_yaml, read_stack_file, read_stack_text

PATH = "stack.yaml"
HEADER = "input_shape: [7, 12]\nlayers:\n"

# The bundled addition model, as the blog post writes it, with one typo kept
# in two layers: `seq_out_length` was never declared (only `seq_in_length`).
BLOG_TYPO = textwrap.dedent("""\
    symbols:
      seq_in_length: 7
      n_in: 12
      n_hidden: 16
    input_shape: [seq_in_length, n_in]
    layers:
      - LSTM: {units: n_hidden}
      - RepeatVector: {n: seq_out_length}
      - LSTM: {units: n_hidden, return_sequences: true}
      - Reshape: {target_shape: [seq_out_length, n_hidden]}
""")

# Billion laughs: 9 levels of 9 aliases, 9**9 (387 million) values if expanded.
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi")
)

FREE_TIME_FLATTEN_DENSE = textwrap.dedent("""\
    symbols:
      time: null
    input_shape: [time, 12]
    layers:
      - Flatten
      - Dense: {units: 3}
""")


# -- helpers -----------------------------------------------------------------------
def stack(*layer_lines: str, header: str = HEADER) -> str:
    return header + "".join(f"{line}\n" for line in layer_lines)


def error_of(text: str, path: str = PATH) -> StackError:
    """The StackError that reading and explaining `text` raises."""
    with pytest.raises(StackError) as info:
        explain(read_stack_text(text, path))
    return info.value


def error_of_file(path) -> StackError:
    with pytest.raises(StackError) as info:
        explain(read_stack_file(str(path)))
    return info.value


def locate(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """(line, column), 1-based, of the n-th occurrence of `needle` as a whole token in `text`."""
    found = [m.start() for m in re.finditer(rf"(?<![\w.-]){re.escape(needle)}(?![\w.])", text)]
    index = found[occurrence - 1]
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def assert_points_at(error: StackError, text: str, needle: str, occurrence: int = 1) -> None:
    """The error's mark is exactly at `needle` and underlines exactly it."""
    line, column = locate(text, needle, occurrence)
    assert error.mark is not None, error
    assert (error.mark.path, error.mark.line, error.mark.column) == (PATH, line, column), error
    assert error.mark.source_line == text.splitlines()[line - 1]
    assert error.mark.width == len(needle)


def shape(dims) -> list[str]:
    return [str(d) for d in dims]


# -- YAML that is not YAML ---------------------------------------------------------
@pytest.mark.parametrize(
    "text, line, column, title",
    [
        pytest.param("input_shape: [7, 12\nlayers:\n  - Flatten\n", 2, 7,
                     "did not find expected ',' or ']'", id="unclosed-bracket"),
        pytest.param(stack("  - LSTM:", "      units: 3", "     return_sequences: true"), 5, 6,
                     "this key is not lined up with the key above it", id="bad-indentation"),
        pytest.param("input_shape: [7, 12]\n  layers:\n  - Flatten\n", 2, 3,
                     "this key is not lined up with the key above it", id="indented-top-level-key"),
        pytest.param(stack("\t- Flatten"), 3, 1, "tabs are not allowed in YAML indentation", id="tab"),
    ],
)
def test_yaml_syntax_error_is_located(text, line, column, title):
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == (title if "YAML" in title or "lined up" in title else f"this is not valid YAML: {title}")
    assert (error.mark.line, error.mark.column) == (line, column)
    assert error.mark.source_line == text.splitlines()[line - 1]
    assert error.expected and error.found and error.fix


def test_unclosed_bracket_says_where_the_list_began():
    error = error_of("input_shape: [7, 12\nlayers:\n  - Flatten\n")
    assert error.found == "while parsing a flow sequence (begun at line 1, column 14)"


def test_two_documents_are_refused():
    error = error_of(stack("  - Flatten") + "---\nname: again\n")
    assert error.exit_code == EXIT_UNREADABLE
    assert "not valid YAML" in error.title
    assert error.mark.line == 4


def test_nesting_too_deep_is_refused_not_a_crash():
    error = error_of(stack("  - Flatten") + "description: " + "[" * 5000 + "]" * 5000 + "\n")
    assert error.exit_code == EXIT_UNREADABLE
    assert error.mark is not None


# -- nothing in the file can run -----------------------------------------------------
def _tagged_stacks(tag_value: str) -> list:
    """The same tagged value put in every kind of place a stack file has: (text, what the mark spans)."""
    places = {
        "top-level-value": (stack("  - Flatten") + f"name: {tag_value}\n", tag_value),
        "top-level-key": (f"? {tag_value}\n: 1\n" + stack("  - Flatten"), tag_value),
        "symbol": (f"symbols:\n  n: {tag_value}\n" + stack("  - Flatten"), tag_value),
        "input-shape": (f"input_shape: [7, {tag_value}]\nlayers:\n  - Flatten\n", tag_value),
        "layer-entry": (stack(f"  - {tag_value}"), tag_value),
        "layer-argument": (stack(f"  - Dense: {{units: {tag_value}}}"), tag_value),
        "inner-layer": (stack("  - TimeDistributed:", f"      layer: {{Dense: {{units: {tag_value}}}}}"), tag_value),
        "anchored-under-unknown-key": (f"unused: &anchor {tag_value}\n" + stack("  - Flatten"),
                                       f"&anchor {tag_value}"),
    }
    return [pytest.param(text, spans, id=place) for place, (text, spans) in places.items()]


@pytest.mark.parametrize("text, spans", _tagged_stacks('!!python/object/apply:os.system ["echo hi"]'))
def test_python_object_apply_tag_is_refused_everywhere(text, spans):
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "the YAML tag !!python/object/apply:os.system is not allowed"
    assert_points_at(error, text, spans)
    assert "never runs" in error.fix


@pytest.mark.parametrize("text, spans", _tagged_stacks("!!python/name:os.system ''"))
def test_python_name_tag_is_refused_everywhere(text, spans):
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "the YAML tag !!python/name:os.system is not allowed"
    assert_points_at(error, text, spans)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(stack("  - Flatten") + "name: !!python/name:os.system\n", id="block"),
        pytest.param("input_shape: [7, !!python/name:os.system]\nlayers:\n  - Flatten\n", id="flow-list"),
        pytest.param(stack("  - Dense: {units: !!python/name:os.system}"), id="flow-mapping"),
    ],
)
def test_python_name_tag_without_a_value_is_refused(text):
    """In flow style the tag swallows the closing bracket: refused as bad YAML, still exit 2."""
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title.startswith(("the YAML tag !!python/name:os.system", "this is not valid YAML"))
    assert error.mark.line == locate(text, "!!python/name")[0]


@pytest.mark.parametrize(
    "template",
    [
        '!!python/object/apply:os.system ["touch {target}"]',
        '!!python/object/apply:builtins.open ["{target}", "w"]',
        '!!python/object/new:builtins.open ["{target}", "w"]',
    ],
)
def test_a_tag_that_would_create_a_file_does_not_run(tmp_path, template):
    target = tmp_path / "pwned"
    text = stack(f"  - Dense: {{units: {template.format(target=target)}}}")
    source = tmp_path / PATH
    source.write_text(text)
    error = error_of_file(source)
    assert error.exit_code == EXIT_UNREADABLE
    assert "is not allowed" in error.title
    assert not target.exists()


# -- files that are too big, self-referential or not text -----------------------------------
def test_recursive_alias_is_refused():
    error = error_of("a: &x [*x]\n")
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "this alias refers to itself"
    assert (error.mark.line, error.mark.column) == (1, 4)
    assert "recursive alias" in error.found


def test_recursive_alias_through_a_mapping_is_refused():
    error = error_of("a: &x {b: *x}\n")
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "this alias refers to itself"


def test_alias_bomb_is_refused_before_anything_is_expanded():
    error = error_of(ALIAS_BOMB)
    assert error.exit_code == EXIT_UNREADABLE
    # a..i: each list holds 9 of the one before: 9 + 9·(1 + 9 + … ) values in all, counted, not expanded.
    values_in = {"a": 10}
    for prev, name in zip("abcdefgh", "bcdefghi"):
        values_in[name] = 1 + 9 * values_in[prev]
    total = 1 + sum(1 + values_in[name] for name in "abcdefghi")  # the mapping, its keys and values
    assert error.title == (f"the file expands to {total:,} values through its aliases, "
                           f"more than the {stackfile.MAX_VALUES:,} allowed")
    assert error.found == f"aliases that multiply (an 'alias bomb'): this value alone expands to {values_in['h']:,}"
    assert error.mark is not None and error.mark.line == 8  # h: the largest value used more than once


def test_parse_yaml_alone_refuses_the_alias_bomb():
    with pytest.raises(StackError) as info:
        parse_yaml(ALIAS_BOMB, PATH)
    assert info.value.exit_code == EXIT_UNREADABLE


def test_a_few_ordinary_aliases_are_fine():
    text = stack("  - LSTM: &encoder {units: 8, return_sequences: true}", "  - LSTM: *encoder")
    explanation = explain(read_stack_text(text, PATH))
    assert shape(explanation.output_shape) == ["batch", "7", "8"]


def test_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(stackfile.MAX_FILE_BYTES + 1)  # sparse: no disk used
    error = error_of_file(big)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == f"{big} is too large to be a stack file"
    assert error.expected == "at most 8 MiB"
    assert error.found == f"{stackfile.MAX_FILE_BYTES + 1:,} bytes"


def test_file_of_exactly_the_size_limit_is_read(tmp_path):
    body = stack("  - Flatten").encode()
    comment_line = b"#" + b"x" * 99 + b"\n"
    room = stackfile.MAX_FILE_BYTES - len(body)
    padding = comment_line * (room // len(comment_line))
    padding += b"#" * (room - len(padding) - 1) + b"\n"
    path = tmp_path / "exact.yaml"
    path.write_bytes(padding + body)
    assert path.stat().st_size == stackfile.MAX_FILE_BYTES
    assert shape(explain(read_stack_file(str(path))).output_shape) == ["batch", "84"]


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n" + stack("  - Flatten").encode())
    error = error_of_file(path)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == f"{path} is not UTF-8 text"
    assert error.found == "byte 0xe9 at offset 9"


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeff".encode() + stack("  - LTSM: {units: 3}").encode())
    error = error_of_file(path)
    # the BOM neither breaks reading nor shifts the column of what follows
    assert error.title == "unknown layer 'LTSM'"
    assert (error.mark.line, error.mark.column) == (3, 5)


def test_missing_file_is_refused(tmp_path):
    error = error_of_file(tmp_path / "nope.yaml")
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == f"cannot read {tmp_path / 'nope.yaml'}: No such file or directory"


def test_directory_is_refused(tmp_path):
    error = error_of_file(tmp_path)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title.startswith(f"cannot read {tmp_path}")


# -- the shape of the file -----------------------------------------------------------
@pytest.mark.parametrize(
    "text, title",
    [
        pytest.param("", "the stack file is empty", id="empty"),
        pytest.param("# only a comment\n\n", "the stack file is empty", id="only-comments"),
        pytest.param("- LSTM: {units: 3}\n- Dense: {units: 2}\n",
                     "a stack file must be a mapping with `input_shape:` and `layers:`", id="top-level-list"),
        pytest.param("just some text\n",
                     "a stack file must be a mapping with `input_shape:` and `layers:`", id="top-level-string"),
        pytest.param("input_shape: [7, 12]\n", "the stack file has no `layers:`", id="no-layers"),
        pytest.param("layers:\n  - Flatten\n", "the stack file has no `input_shape:`", id="no-input-shape"),
        pytest.param("input_shape: [7, 12]\nlayers: []\n", "`layers` must be a non-empty list", id="empty-layers"),
        pytest.param("input_shape: [7, 12]\nlayers:\n", "`layers` must be a non-empty list", id="null-layers"),
        pytest.param("input_shape: []\nlayers:\n  - Flatten\n",
                     "`input_shape` must be a non-empty list of sizes", id="empty-input-shape"),
        pytest.param("input_shape: 7\nlayers:\n  - Flatten\n",
                     "`input_shape` must be a non-empty list of sizes", id="scalar-input-shape"),
        pytest.param("name: [1, 2]\n" + stack("  - Flatten"), "`name` must be text", id="name-is-a-list"),
        pytest.param("symbols: [a, b]\n" + stack("  - Flatten"),
                     "`symbols` must be a mapping of names to sizes", id="symbols-is-a-list"),
    ],
)
def test_malformed_stack_file(text, title):
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == title
    assert error.mark is not None and error.mark.line >= 1


def test_missing_layers_lists_the_keys_found():
    error = error_of("name: x\ninput_shape: [7, 12]\n")
    assert error.found == "keys name, input_shape"
    assert "layers:" in error.fix


def test_unknown_top_level_key_suggests_the_right_one():
    text = "input_shape: [7, 12]\nlayer:\n  - Flatten\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "unknown top-level key 'layer'"
    assert error.fix == "did you mean 'layers'?"
    assert error.expected == "one of name, description, symbols, input_shape, inputs, layers, outputs"
    assert_points_at(error, text, "layer")


def test_unknown_top_level_key_with_nothing_close_says_remove_it():
    error = error_of(stack("  - Flatten") + "optimizer: adam\n")
    assert error.title == "unknown top-level key 'optimizer'"
    assert error.fix == "remove it"


def test_duplicate_top_level_key_names_the_key_and_both_lines():
    text = stack("  - Flatten") + "input_shape: [3, 4]\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "'input_shape' is given twice in the same mapping"
    assert_points_at(error, text, "input_shape", occurrence=2)
    assert error.found == "'input_shape' again (first at line 1)"
    assert error.fix == "remove one of the two 'input_shape' entries"


def test_duplicate_layer_argument_names_the_key_and_both_lines():
    text = stack("  - LSTM:", "      units: 3", "      return_sequences: true", "      units: 4")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "'units' is given twice in the same mapping"
    assert_points_at(error, text, "units", occurrence=2)
    assert error.mark.line == 6
    assert error.found == "'units' again (first at line 4)"


def test_duplicate_key_in_a_flow_mapping():
    text = stack("  - Dense: {units: 3, units: 4}")
    error = error_of(text)
    assert error.title == "'units' is given twice in the same mapping"
    assert_points_at(error, text, "units", occurrence=2)
    assert error.found == "'units' again (first at line 3)"


def test_merge_keys_are_refused():
    error = error_of(stack("  - LSTM: {<<: {units: 3}}"))
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "merge keys (<<) are not supported"


def test_date_looking_name_is_text():
    explanation = explain(read_stack_text("name: 2024-01-01\n" + stack("  - Flatten"), PATH))
    assert explanation.stack.name == "2024-01-01"


# -- symbols -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, found",
    [("true", "the boolean true"), ("0", "the number 0"), ("-4", "the number -4"), ("2.5", "the number 2.5"), ("'7'", "the text \'7\'")],
)
def test_symbol_value_must_be_positive_int_or_null(value, found):
    text = f"symbols:\n  n: {value}\n" + stack("  - Flatten")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "symbol 'n' must be a positive whole number or null"
    assert error.found == found
    assert error.fix == "write `n: 12`, or `n: null` to leave it free"
    assert_points_at(error, text, value)


@pytest.mark.parametrize("name", ["batch", "2x", "n-in"])
def test_bad_symbol_names(name):
    text = f"symbols:\n  {name}: 3\n" + stack("  - Flatten")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == f"'{name}' cannot be a symbol name"
    assert_points_at(error, text, name)


def test_batch_symbol_explains_why():
    error = error_of("symbols:\n  batch: 32\n" + stack("  - Flatten"))
    assert "batch axis" in error.expected


def test_symbol_key_must_be_a_name():
    error = error_of("symbols:\n  1: 3\n" + stack("  - Flatten"))
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "a mapping key must be a name"


def test_symbols_resolve_in_input_shape_and_arguments():
    text = "symbols:\n  steps: 7\n  feats: 12\n  hidden: 5\ninput_shape: [steps, feats]\nlayers:\n" \
           "  - LSTM: {units: hidden}\n"
    explanation = explain(read_stack_text(text, PATH))
    assert shape(explanation.input_shape) == ["batch", "7", "12"]
    assert shape(explanation.output_shape) == ["batch", "5"]
    assert explanation.total_params == 4 * (12 * 5 + 5 * 5 + 5)


# -- layer entries -------------------------------------------------------------------
@pytest.mark.parametrize(
    "entry", [pytest.param("  - Flatten", id="bare-string"), pytest.param("  - Flatten:", id="null-args"),
              pytest.param("  - Flatten: {}", id="empty-mapping")],
)
def test_layer_without_arguments(entry):
    explanation = explain(read_stack_text(stack(entry), PATH))
    assert [step.layer.keras_name for step in explanation.steps] == ["Flatten"]
    assert shape(explanation.output_shape) == ["batch", "84"]


def test_flow_style_layers_list():
    text = "input_shape: [7, 12]\nlayers: [Flatten, {Dense: {units: 3}}]\n"
    explanation = explain(read_stack_text(text, PATH))
    assert shape(explanation.output_shape) == ["batch", "3"]
    assert explanation.total_params == 84 * 3 + 3


def test_layer_arguments_must_be_a_mapping():
    text = stack("  - Dense: 12")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "the arguments of Dense must be a mapping"
    assert error.found == "the number 12"
    assert "`Dense: {units: 12}`" in error.fix
    assert_points_at(error, text, "12", occurrence=2)  # the first 12 is in input_shape


@pytest.mark.parametrize(
    "entry, found",
    [
        pytest.param("  - {LSTM: {units: 3}, Dense: {units: 2}}", "a mapping with keys LSTM, Dense", id="two-keys"),
        pytest.param("  - 12", "the number 12", id="number"),
        pytest.param("  - [LSTM]", "a list", id="list"),
    ],
)
def test_layer_must_be_a_one_key_mapping(entry, found):
    error = error_of(stack(entry))
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "a layer must be a one-key mapping: its Keras name and its arguments"
    assert error.found == found
    assert (error.mark.line, error.mark.column) == (3, 5)


def test_unknown_layer_suggests_the_closest():
    text = stack("  - Flatten", "  - LTSM: {units: 3}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "unknown layer 'LTSM'"
    assert error.found == "LTSM"
    assert error.fix == "did you mean 'LSTM'?"
    assert "LSTM" in error.expected and "Dense" in error.expected
    assert_points_at(error, text, "LTSM")
    assert (error.mark.line, error.mark.column) == (4, 5)


def test_unknown_bare_layer_points_at_it():
    text = stack("  - Flaten")
    error = error_of(text)
    assert error.fix == "did you mean 'Flatten'?"
    assert_points_at(error, text, "Flaten")


def test_unknown_inner_layer_points_at_it():
    text = stack("  - TimeDistributed:", "      layer: {Dnse: {units: 3}}")
    error = error_of(text)
    assert error.title == "unknown layer 'Dnse'"
    assert error.fix == "did you mean 'Dense'?"
    assert_points_at(error, text, "Dnse")


def test_unknown_layer_with_nothing_close():
    error = error_of(stack("  - Zzzzqqq"))
    assert error.title == "unknown layer 'Zzzzqqq'"
    assert "Keras class names" in error.fix


def test_real_keras_layer_that_is_not_covered():
    text = stack("  - Conv2D: {filters: 8, kernel_size: 3}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "Conv2D is a Keras layer that shapecli does not cover yet"
    assert "Conv1D" in error.expected
    assert_points_at(error, text, "Conv2D")


def test_unknown_argument_suggests_the_closest_and_points_at_the_key():
    text = stack("  - LSTM: {unit: 3}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "LSTM has no argument `unit`"
    assert error.fix == "did you mean 'units'?"
    assert error.found == "unit"
    assert "units" in error.expected
    assert_points_at(error, text, "unit")


def test_unknown_argument_in_block_style_points_at_the_key():
    text = stack("  - LSTM:", "      units: 3", "      retrun_sequences: true")
    error = error_of(text)
    assert error.fix == "did you mean 'return_sequences'?"
    assert_points_at(error, text, "retrun_sequences")


def test_embedding_input_length_is_read_as_keras_3_reads_it():
    text = "input_shape: [20]\nlayers:\n  - Embedding: {input_dim: 100, output_dim: 8, input_length: 20}\n"
    explanation = explain(read_stack_text(text, "s.yaml"))
    assert explanation.steps[0].layer.notes() == [
        "input_length is Keras 2's: Keras 3 accepts it and ignores it — the number of ids comes from input_shape"]


def test_missing_required_argument():
    text = stack("  - LSTM")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "LSTM needs `units`"
    assert_points_at(error, text, "LSTM")


# -- argument types and values -----------------------------------------------------------
@pytest.mark.parametrize(
    "entry, token, title, expected, found, fix",
    [
        pytest.param("  - LSTM: {units: true}", "true", "LSTM: `units` must be a positive integer",
                     "a positive integer (booleans are not integers)", "the boolean true", "write e.g. `units: 12`",
                     id="units-true"),
        pytest.param("  - LSTM: {units: 0}", "0", "LSTM: `units` must be a positive integer",
                     "a positive integer", "the number 0", "write e.g. `units: 12`", id="units-zero"),
        pytest.param("  - LSTM: {units: -3}", "-3", "LSTM: `units` must be a positive integer",
                     "a positive integer", "the number -3", "write e.g. `units: 12`", id="units-negative"),
        pytest.param("  - LSTM: {units: 2.5}", "2.5", "LSTM: `units` must be a positive integer",
                     "a positive integer", "the number 2.5", "write e.g. `units: 12`", id="units-float"),
        pytest.param('  - LSTM: {units: "abc"}', '"abc"', "LSTM: 'abc' is not a declared symbol",
                     "a number, or a name declared under `symbols:` (none are declared)", "abc",
                     "declare it: `symbols: {abc: 12}` (or null for a free size)", id="units-undeclared-symbol"),
        pytest.param("  - LSTM: {units: 3, return_sequences: 1}", "1",
                     "LSTM: `return_sequences` must be true or false", "true or false", "the number 1", None,
                     id="return-sequences-int"),
        pytest.param("  - LSTM: {units: 3, return_sequences: 'true'}", "'true'",
                     "LSTM: `return_sequences` must be true or false", "true or false", "the text \'true\'", None,
                     id="return-sequences-quoted"),
        pytest.param("  - Dense: {units: 3, activation: relu6x}", "relu6x", "Dense: unknown activation 'relu6x'",
                     "a Keras activation name such as relu, tanh, sigmoid, softmax, linear", "the text \'relu6x\'",
                     "did you mean 'relu6'?", id="activation-typo"),
        pytest.param("  - Conv1D: {filters: 4, kernel_size: 3, padding: vaild}", "vaild",
                     "Conv1D: `padding` must be one of valid, same, causal", "valid, same, causal", "the text \'vaild\'",
                     "did you mean 'valid'?", id="padding-typo"),
        pytest.param("  - Dropout: {rate: 1.5}", "1.5", "Dropout: `rate` must be a number from 0 to 1",
                     "a number from 0 to 1", "the number 1.5", None, id="dropout-rate"),
        pytest.param("  - Dropout: {rate: true}", "true", "Dropout: `rate` must be a number from 0 to 1",
                     "a number from 0 to 1", "the boolean true", None, id="dropout-rate-bool"),
    ],
)
def test_bad_argument_value(entry, token, title, expected, found, fix):
    text = stack(entry)
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == title
    assert error.expected == expected
    assert error.found == found
    assert error.fix == fix
    assert_points_at(error, text, token)


def test_bidirectional_bad_merge_mode():
    text = stack("  - Bidirectional:", "      layer: {LSTM: {units: 4}}", "      merge_mode: concatenate")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "Bidirectional: `merge_mode` must be one of concat, sum, mul, ave, null"
    assert error.found == "the text \'concatenate\'"
    assert error.fix == "did you mean 'concat'?"
    assert_points_at(error, text, "concatenate")


def test_bidirectional_around_a_layer_that_is_not_recurrent():
    text = stack("  - Bidirectional:", "      layer: {Dense: {units: 4}}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "Bidirectional wraps a recurrent layer, not Dense"
    assert error.expected == "SimpleRNN, LSTM or GRU"
    assert error.found == "Dense(4)"
    assert error.mark.line == 4


def test_undeclared_symbol_blog_typo():
    error = error_of(BLOG_TYPO)
    assert error.exit_code == EXIT_UNREADABLE
    assert "'seq_out_length' is not a declared symbol" in error.title
    assert error.found == "seq_out_length"
    assert "(declared: n_hidden, n_in, seq_in_length)" in error.expected
    assert error.fix == "did you mean 'seq_in_length'?"
    # the first of its two uses, in RepeatVector on line 8
    assert_points_at(error, BLOG_TYPO, "seq_out_length", occurrence=1)
    assert error.mark.line == 8


def test_undeclared_symbol_is_reported_at_its_first_use_in_input_shape():
    text = "symbols:\n  seq_in_length: 7\ninput_shape: [seq_out_length, 12]\nlayers:\n" \
           "  - RepeatVector: {n: seq_out_length}\n"
    error = error_of(text)
    assert_points_at(error, text, "seq_out_length", occurrence=1)
    assert error.mark.line == 3


def test_undeclared_symbol_in_input_shape():
    text = "symbols:\n  n_in: 12\ninput_shape: [7, n_inn]\nlayers:\n  - Flatten\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "'n_inn' in input_shape is not a declared symbol"
    assert error.fix == "did you mean 'n_in'?"
    assert "(declared: n_in)" in error.expected
    assert_points_at(error, text, "n_inn")


@pytest.mark.parametrize("value, token", [("0", "0"), ("-7", "-7"), ("true", "true"), ("7.5", "7.5")])
def test_input_shape_sizes_must_be_positive(value, token):
    text = f"input_shape: [{value}, 12]\nlayers:\n  - Flatten\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "each size in input_shape must be a positive integer, a symbol, or null"
    assert_points_at(error, text, token)


def test_null_in_input_shape_is_a_free_time_axis():
    text = "input_shape: [null, 12]\nlayers:\n  - LSTM: {units: 3, return_sequences: true}\n"
    explanation = explain(read_stack_text(text, PATH))
    assert shape(explanation.input_shape) == ["batch", "time", "12"]
    assert shape(explanation.output_shape) == ["batch", "time", "3"]
    assert explanation.total_params == 4 * (12 * 3 + 3 * 3 + 3)


def test_free_symbol_used_as_units_needs_a_known_number():
    text = "symbols:\n  time: null\ninput_shape: [time, 12]\nlayers:\n  - LSTM: {units: time}\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "LSTM: `units` needs a known number, but symbol 'time' is free (null)"
    assert error.found == "the free symbol time"
    assert error.fix == "give 'time' a size under `symbols:`"
    assert_points_at(error, text, "time", occurrence=3)


# -- shape errors: the stack does not fit together (exit 1) ------------------------------
RECURRENT_PAIRS = [
    pytest.param(["  - LSTM: {units: 8}"], "LSTM(8)", "LSTM(4)", "LSTM", "it", id="LSTM"),
    pytest.param(["  - GRU: {units: 8}"], "GRU(8)", "GRU(4)", "GRU", "it", id="GRU"),
    pytest.param(["  - SimpleRNN: {units: 8}"], "SimpleRNN(8)", "SimpleRNN(4)", "SimpleRNN", "it", id="SimpleRNN"),
    pytest.param(["  - Bidirectional:", "      layer: {LSTM: {units: 8}}"], "Bidirectional(LSTM(8))", "LSTM(4)", "LSTM",
                 "its inner LSTM (under `layer:`)", id="Bidirectional-LSTM"),
]


@pytest.mark.parametrize("first, first_title, second_title, second, where", RECURRENT_PAIRS)
def test_recurrent_after_recurrent_without_return_sequences(first, first_title, second_title, second, where):
    second_entry = f"  - {second}: {{units: 4}}"
    text = stack(*first, second_entry)
    error = error_of(text)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title == (
        f"layer 2, {second_title}: {second} needs a 3D input (batch, time, features), but gets a 2D one"
    )
    assert error.expected == "3D (batch, time, features)"
    assert error.fix == (
        f"layer 1, {first_title} (line 3), passes on only its last step (return_sequences=False): "
        f"add `return_sequences: true` to {where} so it passes on every step"
    )
    assert error.mark.line == 3 + len(first)
    assert error.mark.column == 5
    assert error.mark.source_line == second_entry
    width = 16 if first_title.startswith("Bidirectional") else 8
    assert error.notes == [f"layer 1, {first_title}, outputs (batch, {width})"]


def test_repeat_vector_after_return_sequences_says_to_remove_it():
    text = stack("  - LSTM: {units: 8, return_sequences: true}", "  - RepeatVector: {n: 4}")
    error = error_of(text)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title.startswith("layer 2, RepeatVector(4): RepeatVector needs a 2D input")
    assert error.found == "(batch, 7, 8)"
    assert error.fix == (
        "layer 1, LSTM(8, return_sequences=True) (line 3), passes on every step (return_sequences=True): "
        "remove `return_sequences: true` from it so it passes on only its last step"
    )
    assert_points_at(error, text, "RepeatVector")


def test_dense_after_flatten_over_a_free_time_axis():
    error = error_of(FREE_TIME_FLATTEN_DENSE)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title == "layer 2, Dense(3): Dense needs to know the size of the last axis, but it is time*12"
    assert error.found == "time*12, which depends on time"
    assert "a fixed number for the size of the last axis" in error.expected
    assert "instead of Flatten" in error.fix
    assert_points_at(error, FREE_TIME_FLATTEN_DENSE, "Dense")


@pytest.mark.parametrize("layer, state", [("LSTM", "[output, h, c]"), ("GRU", "[output, h]")])
def test_return_state_is_a_list_not_a_tensor(layer, state):
    text = stack(f"  - {layer}: {{units: 8, return_state: true}}\n  - Dense: {{units: 2}}")
    error = error_of(text)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title.startswith(f"layer 2, Dense(2): {layer}(8, return_state=True) gives {state.count(',') + 1} tensors")
    assert error.found.endswith(state)
    assert error.fix.startswith("remove return_state")
    assert_points_at(error, text, "Dense")


def test_conv1d_valid_kernel_longer_than_the_input():
    text = stack("  - Conv1D: {filters: 3, kernel_size: 9}")
    error = error_of(text)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title == "layer 1, Conv1D(3, 9): Conv1D with padding='valid' needs at least 9 steps, but gets 7"
    assert error.found == "7 steps"
    assert "padding: same" in error.fix
    assert_points_at(error, text, "Conv1D")


def test_reshape_to_an_incompatible_size():
    text = stack("  - Reshape: {target_shape: [5, 5]}")
    error = error_of(text)
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title == "layer 1, Reshape((5, 5)): Reshape to (5, 5) needs 25 values per sample, but the input has 84"
    assert error.found == "(batch, 7, 12): 84 values per sample"
    assert_points_at(error, text, "Reshape")


def test_first_layer_rank_error_suggests_changing_input_shape():
    error = error_of(stack("  - RepeatVector: {n: 3}"))
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.title.startswith("layer 1, RepeatVector(3): RepeatVector needs a 2D input")


def test_argument_errors_win_over_shape_errors():
    """A bad argument anywhere makes the file unreadable (2), even after a shape error."""
    text = stack("  - LSTM: {units: 8}", "  - LSTM: {units: 4}", "  - Dense: {units: true}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.mark.line == 5


# -- what works ------------------------------------------------------------------------
ADDITION = textwrap.dedent("""\
    symbols: {seq_in_length: 7, seq_out_length: 4, n_in: 12, n_hidden: 128, n_out: 12}
    input_shape: [seq_in_length, n_in]
    layers:
      - LSTM: {units: n_hidden}
      - RepeatVector: {n: seq_out_length}
      - LSTM: {units: n_hidden, return_sequences: true}
      - TimeDistributed:
          layer: {Dense: {units: n_out}}
      - Activation: {activation: softmax}
""")


def test_addition_model_explains():
    explanation = explain(read_stack_text(ADDITION, PATH))
    assert [step.params for step in explanation.steps] == [72192, 0, 131584, 1548, 0]
    assert [step.index for step in explanation.steps] == [1, 2, 3, 4, 5]
    assert shape(explanation.output_shape) == ["batch", "4", "12"]
    assert explanation.total_params == 205_324
    assert explanation.steps[3].entry.mark.line == 7


def test_ten_thousand_dense_layers():
    text = stack(*("  - Dense: {units: 8}" if i % 2 == 0 else "  - Dense: {units: 12}" for i in range(10_000)))
    explanation = explain(read_stack_text(text, PATH))
    assert len(explanation.steps) == 10_000
    assert shape(explanation.output_shape) == ["batch", "7", "12"]
    # Dense(8) from 12: 12*8+8 = 104; Dense(12) from 8: 8*12+12 = 108
    assert explanation.total_params == 5_000 * (104 + 108)
    assert explanation.steps[-1].index == 10_000
    assert explanation.steps[-1].entry.mark.line == 10_002


def test_ten_thousand_layers_with_dropout():
    text = stack("  - Dense: {units: 5}", *("  - Dropout: {rate: 0.1}" for _ in range(9_999)))
    explanation = explain(read_stack_text(text, PATH))
    assert len(explanation.steps) == 10_000
    assert shape(explanation.output_shape) == ["batch", "7", "5"]
    assert explanation.total_params == 12 * 5 + 5


def test_error_in_the_last_of_ten_thousand_layers_is_located():
    text = stack(*("  - Dropout: {rate: 0.1}" for _ in range(9_999)), "  - LSTM: {units: 3, unit: 4}")
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert (error.mark.line, error.mark.column) == (10_002, 22)


def test_stack_file_keeps_name_description_and_symbol_marks():
    text = "name: demo\ndescription: 42\nsymbols:\n  n: 3\n  t: null\n" + stack("  - Flatten")
    parsed = read_stack_text(text, PATH)
    assert (parsed.name, parsed.description, parsed.path) == ("demo", "42", PATH)
    assert parsed.symbols == {"n": 3, "t": None}
    assert (parsed.symbol_marks["t"].line, parsed.symbol_marks["t"].column) == (5, 3)
    assert [entry.type_name for entry in parsed.layers] == ["Flatten"]
    assert (parsed.layers[0].mark.line, parsed.layers[0].mark.column) == (8, 5)


def test_crlf_line_endings_keep_marks_right():
    text = stack("  - Flatten", "  - LTSM: {units: 3}").replace("\n", "\r\n")
    error = error_of(text)
    assert (error.mark.line, error.mark.column) == (4, 5)
    assert error.mark.source_line == "  - LTSM: {units: 3}"


def test_column_counts_characters_not_bytes():
    text = stack('  - Dense: {name: "héllo😀", units: true}')
    error = error_of(text)
    assert_points_at(error, text, "true")


def test_stack_error_str_includes_the_place():
    error = error_of(stack("  - LTSM: {units: 3}"))
    assert str(error) == "stack.yaml:3:5: unknown layer 'LTSM'"


def test_a_batch_size_written_into_input_shape_is_pointed_out():
    error = error_of(stack("  - LSTM: {units: 4}").replace("input_shape: [7, 12]", "input_shape: [32, 7, 12]"))
    assert error.exit_code == EXIT_DOES_NOT_FIT
    assert error.notes == ["input_shape leaves the batch axis out: if 32 is the batch size, remove it, "
                           "giving input_shape: [7, 12]"]


# -- Keras 2 style: the input shape on the first layer -------------------------------------------
def test_input_shape_on_the_first_layer_is_the_stacks_input_shape():
    text = "layers:\n  - LSTM: {units: 8, input_shape: [7, 12]}\n  - Dense: {units: 3}\n"
    explanation = explain(read_stack_text(text, "s.yaml"))
    assert [str(d) for d in explanation.input_shape] == ["batch", "7", "12"]
    assert explanation.total_params == 4 * (12 * 8 + 8 * 8 + 8) + 27
    (note,) = explanation.steps[0].notes
    assert "Keras 2 style" in note and "Input(shape=" in note


def test_input_dim_on_the_first_layer_is_one_axis_but_embeddings_input_dim_is_its_vocabulary():
    dense = explain(read_stack_text("layers:\n  - Dense: {units: 8, input_dim: 12}\n", "s.yaml"))
    assert [str(d) for d in dense.input_shape] == ["batch", "12"] and dense.total_params == 104
    error = error_of("layers:\n  - Embedding: {input_dim: 100, output_dim: 8}\n")
    assert error.title == "the stack file has no `input_shape:`"


def test_input_shape_on_a_later_layer_is_ignored_with_a_note():
    text = "input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8}\n  - Dense: {units: 3, input_shape: [99]}\n"
    explanation = explain(read_stack_text(text, "s.yaml"))
    assert explanation.total_params == 672 + 27
    assert explanation.steps[1].notes == ["input_shape on a layer that is not the first: Keras 3 ignores it (with a warning)"]


def test_a_first_layer_shape_that_contradicts_input_shape_is_pointed_at():
    text = "input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8, input_shape: [5, 3]}\n"
    error = error_of(text)
    assert error.exit_code == EXIT_UNREADABLE
    assert error.title == "the first layer's input_shape [5, 3] contradicts `input_shape: [7, 12]`"
    assert (error.mark.line, error.mark.column) == (3, 35) and "(line 1)" in error.expected
    same = explain(read_stack_text("input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8, input_shape: [7, 12]}\n", "s"))
    assert "one of the two is enough" in same.steps[0].notes[0]


def test_batch_input_shape_is_refused_as_keras_3_refuses_it():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8, batch_input_shape: [null, 7, 12]}\n")
    assert error.title == "LSTM has no argument `batch_input_shape`"
    assert error.fix.startswith("Keras 3 refuses batch_input_shape")


# -- errors that give the right fix ----------------------------------------------------------------
def test_a_layer_written_as_a_python_call_is_shown_in_stack_file_form():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - LSTM(128, return_sequences=True)\n")
    assert error.title.endswith("is written as a Python call; a stack file names the layer, then its arguments")
    assert error.fix == "write `- LSTM: {units: 128, return_sequences: true}`"


def test_a_quoted_number_is_pointed_out():
    error = error_of('input_shape: [7, 12]\nlayers:\n  - Dense: {units: "128"}\n')
    assert error.title == "Dense: `units` is the text '128', not a number"
    assert error.fix == "write the number without quotes: `units: 128`"


def test_a_wrapper_given_its_layer_without_layer_key_shows_the_layer_form():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - TimeDistributed: {Dense: {units: 12}}\n")
    assert error.fix == "a wrapper takes its layer under `layer:` — `TimeDistributed: {layer: {Dense: {...}}}`"


def test_a_nul_byte_is_located_by_line_and_column():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - Dense: {units: 3\x00}\n")
    assert (error.mark.line, error.mark.column) == (3, 21)
    assert error.found == "'\\x00' (code 0x0000)"


def test_an_activation_given_as_a_list_is_an_error_not_a_traceback():
    error = error_of("input_shape: [3]\nlayers:\n  - Dense: {units: 2, activation: [relu]}\n")
    assert error.exit_code == EXIT_UNREADABLE and error.title == "Dense: `activation` must be an activation name"


def test_a_tab_in_indentation_is_named_with_its_place():
    error = error_of("input_shape: [7, 12]\nlayers:\n\t- LSTM: {units: 8}\n")
    assert error.title == "tabs are not allowed in YAML indentation" and (error.mark.line, error.mark.column) == (3, 1)


def test_a_misaligned_key_says_which_column_it_should_start_at():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - LSTM:\n      units: 8\n     return_sequences: true\n")
    assert error.title == "this key is not lined up with the key above it"
    assert error.fix == "indent it with 1 more space, so it starts at column 7"


def test_layer_not_indented_under_its_wrapper_says_by_how_much():
    error = error_of("input_shape: [7, 12]\nlayers:\n  - TimeDistributed:\n    layer: {Dense: {units: 12}}\n")
    assert error.title == "`layer:` is not indented under TimeDistributed, so it is not TimeDistributed's"
    assert error.fix == "indent `layer:` by 2 more spaces (to column 7)" and (error.mark.line, error.mark.column) == (4, 5)


def test_a_file_of_too_many_lines_is_refused_as_too_large_not_as_an_alias_bomb():
    text = "input_shape: [7, 12]\nlayers:\n" + "  - Dense: {units: 12}\n" * 100_001
    error = error_of(text)
    assert error.title.endswith("is too large to be a stack file: 100,004 lines") and error.expected == "at most 100,000 lines"


def test_a_file_without_anchors_is_counted_as_it_is_read(monkeypatch):
    """No `&` in the text, so no alias check runs: the values are counted during the walk instead."""
    monkeypatch.setattr(stackfile, "MAX_VALUES", 40)
    small = "input_shape: [4]\nlayers:\n" + "  - Dense: {units: 2}\n" * 5  # 1 + 4 + 1 + 1 + 5·(1 + 2 + 2) = 32
    assert len(stackfile.read_stack_text(small, "small.yaml").layers) == 5
    with pytest.raises(StackError) as caught:
        stackfile.read_stack_text(small + "  - Dense: {units: 2}\n" * 2, "big.yaml")
    assert caught.value.title == "the file holds more than the 40 values a stack file may"
    assert caught.value.found == "more than 40 values"
    assert caught.value.mark.path == "big.yaml"


@pytest.mark.parametrize("text, number", [("12", 12), ("0", 0), ("012", 10), ("1_000", 1000), ("0x1F", 31), ("-3", -3),
                                          ("+4", 4), ("0b11", 3)])
def test_whole_numbers_read_as_yaml_reads_them(text, number):
    """Plain digits take a short way; every other spelling is PyYAML's (012 is YAML 1.1 octal)."""
    import yaml

    assert parse_yaml(f"units: {text}", "x.yaml").value["units"].value == number == yaml.safe_load(f"u: {text}")["u"]


# -- layers written the same way: read once, each at its own place --------------------------------------
REPEATED = HEADER + "  - Dense: {units: 12}\n  - LSTM: {units: 12, return_sequences: true}\n" * 3


def test_a_layer_written_as_one_above_shares_its_arguments_and_keeps_its_own_place():
    stack = read_stack_text(REPEATED, PATH)
    dense = stack.layers[0::2]
    assert [entry.args["units"].value for entry in stack.layers] == [12] * 6
    assert dense[1].args is dense[0].args and dense[2].args is dense[0].args  # read once
    assert [entry.mark.line for entry in stack.layers] == [3, 4, 5, 6, 7, 8]  # each its own line …
    assert [entry.mark.column for entry in stack.layers] == [5] * 6  # … at its name


def test_a_twin_that_does_not_fit_is_reported_at_its_own_line():
    text = HEADER + "  - LSTM: {units: 8}\n  - Flatten: {}\n" * 2  # the second LSTM gets (batch, 8): 2D
    error = error_of(text)
    assert error.title.startswith("layer 3, LSTM(8): LSTM needs a 3D input")
    assert (error.mark.line, error.mark.column) == (5, 5)


def test_layers_written_differently_are_read_apart():
    """The same value written another way, or at another column, is not taken for the same text."""
    text = HEADER + "  - Dense: {units: 12}\n  - Dense: {units:  12}\n  -   Dense: {units: 12}\n  - Dense:\n      units: 12\n"
    stack = read_stack_text(text, PATH)
    assert len({id(entry.args) for entry in stack.layers}) == 4
    assert [entry.args["units"].mark.line for entry in stack.layers] == [3, 4, 5, 7]


@pytest.mark.parametrize("text", [
    "a: &a 1\n" + REPEATED,  # anchors: no layer is taken for another (an alias could change what it means)
    "inputs: {x: [7, 12]}\noutputs: [y]\nlayers:\n" + "  - Dense: {units: 12, in: x, out: y}\n" * 2,  # a graph
])
def test_anchors_and_graphs_read_every_layer_on_its_own(text):
    item = parse_yaml(text, PATH)
    layers = item.value["layers"].value
    assert layers[0].value is not layers[1].value


# -- RepeatedLines: a file whose layers repeat line for line is read without the repeats ----------------
def read_whole(text: str, monkeypatch) -> stackfile.StackFile:
    """The file read as any file is, every line by YAML."""
    with monkeypatch.context() as patch:
        patch.setattr(stackfile.RepeatedLines, "of", classmethod(lambda cls, text: None))
        return read_stack_text(text, PATH)


def places(stack: stackfile.StackFile) -> list[tuple]:
    return [(entry.type_name, entry.mark.line, entry.mark.column, entry.mark.width) for entry in stack.layers]


def test_repeated_layer_lines_are_left_out_of_what_yaml_reads():
    repeats = stackfile.RepeatedLines.of(REPEATED)
    assert repeats.text == HEADER + "  - Dense: {units: 12}\n  - LSTM: {units: 12, return_sequences: true}\n"
    assert repeats.line_of == [0, 1, 2, 3] and repeats.kept == 2
    assert repeats.layers == [(2, 0), (3, 1), (4, 0), (5, 1), (6, 0), (7, 1)]


@pytest.mark.parametrize("text", [
    REPEATED, HEADER + "  - Flatten\n  - Flatten\n  - Dense: {units: [1, 2]}\n  - Dense: {units: [1, 2]}\n",
    "symbols: {t: null}\ninput_shape: [t, 3]\nlayers:\n- GRU: {units: 2}\n- GRU: {units: 2}\n- Dense: {units: 1}",
    HEADER + "  - \n  - \n  - Dropout: {rate: 0.5}\n  - Dropout: {rate: 0.5}\n",
])
def test_a_file_read_without_its_repeats_reads_as_the_whole_file(text, monkeypatch):
    import yaml

    assert stackfile.RepeatedLines.of(text) is not None
    assert parse_yaml(text, PATH).plain() == yaml.safe_load(text)

    def outcome(read) -> list | tuple:
        try:
            stack = read()
        except StackError as error:  # where the layers themselves are wrong: the same error, at the same place
            return error.title, error.mark.line, error.mark.column
        return places(stack) + [entry.args_item.plain() if entry.args_item else None for entry in stack.layers]

    assert outcome(lambda: read_stack_text(text, PATH)) == outcome(lambda: read_whole(text, monkeypatch))


@pytest.mark.parametrize("text", [
    HEADER + '  - Dense: {units: 12, name: "a"}\n' * 2,  # quotes may run over lines
    HEADER + "  - Dense: {units: 12}  # the first\n" * 2,  # a comment
    HEADER + "  - Dense: {units: 12,\n" * 2 + "  }\n",  # a bracket left open
    HEADER + "  - a}: {b\n" * 2,  # closed before it opens
    HEADER + "  - Dense: {units: 12}\n    - Dense: {units: 12}\n",  # another indentation
    HEADER + "  - Dense: {units: 12}\n\n  - Dense: {units: 12}\n",  # a blank line
    HEADER + "  - Dense: {units: 12}\n" * 2 + "name: x\n",  # something after the layers
    HEADER.replace("\n", "\r\n") + "  - Dense: {units: 12}\r\n" * 2,  # other line breaks
    HEADER + "  - Dense: {units: !!int 12}\n" * 2,  # a tag
    HEADER + "  - Dense: {units: 12}\n  - LSTM: {units: 12}\n",  # nothing repeats
    HEADER + "  - Dense:\n      units: 12\n" * 2,  # a layer over several lines
])
def test_files_whose_lines_could_mean_more_are_read_whole(text):
    assert stackfile.RepeatedLines.of(text) is None


def test_an_error_in_a_kept_line_names_its_line_in_the_file():
    """Lines left out above it shift it in what YAML read: the place is mapped back to the file."""
    text = HEADER + "  - Dense: {units: 12}\n" * 3 + "  - Dense: {units: 12, units: 4}\n" * 2
    error = error_of(text)
    assert error.title == "'units' is given twice in the same mapping"
    assert (error.mark.line, error.mark.column) == (6, text.splitlines()[5].rindex("units") + 1)


def test_yaml_that_fails_without_the_repeats_is_reported_from_the_whole_file():
    text = HEADER + "  - Dense: {units: 12}\n" * 3 + "  - Dense: {units: 12: 4}\n"
    error = error_of(text)
    assert error.title.startswith("this is not valid YAML") and error.mark.line == 6
