"""Reading a stack file: YAML text -> a `StackFile` whose every value knows its place.

The YAML is composed with PyYAML's safe loader into nodes (nothing is ever
constructed from tags, so nothing in the file can run), then walked into
`Item`s that carry their `Mark` (file, line, column) so that any later error
can point at the exact spot. This module knows the file format, not layers.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import yaml

from .errors import Mark, StackError, describe_value, did_you_mean, unreadable

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_VALUES = 500_000  # values after alias expansion (a 10,000-layer stack has ~60,000); stops alias bombs

TOP_LEVEL_KEYS = ("name", "description", "symbols", "input_shape", "inputs", "layers", "outputs")
SYMBOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where installed
    """The safe loader, with fewer Python calls per value (libyaml's composer calls back into Python three
    times for every value it reads, and a 10,000-layer file has 60,000 values):
    - each scalar's tag is remembered (a long stack file repeats the same few words) by functools.lru_cache,
      whose hits never enter Python;
    - the two path-resolver hooks do nothing (PyYAML's own do nothing either where, as here, no path
      resolver is registered): each is a built-in that takes the same arguments and is called from C
      without a Python frame — `slice(node, index)` and `tuple()`, their results thrown away."""

    def __init__(self, stream):
        super().__init__(stream)
        self.resolve = functools.lru_cache(maxsize=None)(super().resolve)
        if not self.yaml_path_resolvers:
            self.descend_resolver, self.ascend_resolver = slice, tuple


_scalars = yaml.constructor.SafeConstructor()


def _yaml_int(node) -> int:
    """Plain decimal digits at once; anything else (a sign, _, 0x, 0b, YAML 1.1's octal 012) as PyYAML
    reads it."""
    value = node.value
    if value.isdigit() and value.isascii() and (value[0] != "0" or len(value) == 1):
        return int(value)
    return _scalars.construct_yaml_int(node)


SCALAR_TAGS = {  # tag -> how to build the value; only plain data, never objects
    "tag:yaml.org,2002:str": lambda node: node.value,
    "tag:yaml.org,2002:int": _yaml_int,
    "tag:yaml.org,2002:float": _scalars.construct_yaml_float,
    "tag:yaml.org,2002:bool": _scalars.construct_yaml_bool,
    "tag:yaml.org,2002:null": _scalars.construct_yaml_null,
    "tag:yaml.org,2002:timestamp": lambda node: node.value,  # an unquoted date is text here
}
_SEQUENCE, _TEXT = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {*SCALAR_TAGS, _SEQUENCE, "tag:yaml.org,2002:map"}


class Item:
    """A value from the file with its place. Mappings hold `dict[str, Item]`
    (and their key Items in `keys`), sequences `list[Item]`, scalars plain values.
    The mark is made only when asked for: a long file has many values and
    few errors."""

    __slots__ = ("value", "_mark", "_node", "_file", "keys")

    def __init__(self, value: Any, mark: Mark | None = None, keys: "dict[str, Item] | None" = None,
                 node: yaml.Node | None = None, file: "_Walker | _AtLine | None" = None):
        self.value, self._mark, self._node, self._file = value, mark, node, file
        self.keys: dict[str, Item] = keys if keys is not None else {}

    def key_mark(self, key: str) -> Mark | None:
        """Where a mapping's key is written (falls back to the mapping)."""
        return self.keys[key].mark if key in self.keys else self.mark

    @property
    def mark(self) -> Mark | None:
        if self._mark is None and self._node is not None:
            self._mark = self._file.mark(self._node)
        return self._mark

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


@dataclass(slots=True)
class LayerEntry:
    """One `- Name: {args}` entry of `layers:` (or a wrapper's `layer:`)."""

    type_name: str
    args: dict[str, Item]
    name_item: Item  # where the layer's name is written
    args_item: Item | None = None  # the arguments mapping, for where each key is
    wiring: dict[str, Item] = field(default_factory=dict)  # in / out / initial_state, in a graph
    reuses: str | None = None  # `reuse: NAME`: the name of the layer called again

    @property
    def mark(self) -> Mark | None:
        return self.name_item.mark

    def arg_key_mark(self, key: str) -> Mark | None:
        return self.args_item.key_mark(key) if self.args_item is not None else self.mark


@dataclass
class StackFile:
    path: str
    name: str | None
    description: str | None
    symbols: dict[str, int | None]
    symbol_marks: dict[str, Mark]
    input_shape: Item | None  # None: not at the top; the engine looks on the first layer (Keras 2 style)
    layers: list[LayerEntry]
    mark: Mark | None = None  # the top-level mapping
    inputs: Item | None = None  # a graph: {name: shape} of its inputs …
    outputs: Item | None = None  # … and the names of its outputs

    @property
    def is_graph(self) -> bool:
        return self.inputs is not None


# -- YAML nodes -> Items -------------------------------------------------------
class _Walker:
    def __init__(self, path: str, lines: list[str], anchors: bool = True, text: str = "",
                 repeats: "RepeatedLines | None" = None):
        self.path, self.lines, self.text, self.repeats = path, lines, text, repeats
        self.anchors = anchors  # False: the text has no `&`, so no node is reached twice
        self.count = 1  # values met so far, where there are no anchors (keys count too)
        self.active: set[int] = set()
        self.layers: int | None = None  # id of a sequential file's `layers:` node (see `twin_layers`)
        self.written: dict[tuple[int, str], tuple[Item, int]] = {}  # a layer's text → its first reading

    def mark(self, node: yaml.Node, line: int | None = None) -> Mark:
        """Where the node is written (`line`, 0-based: where a line that repeats it is)."""
        start, end = node.start_mark, node.end_mark
        width = end.column - start.column if end.line == start.line else 1
        if line is None:
            line = start.line if self.repeats is None else self.repeats.line_of[start.line]
        return Mark(self.path, line + 1, start.column + 1, self.lines, max(1, width))

    def check_expansion(self, root: yaml.Node) -> None:
        """Refuse a document whose aliases expand it past MAX_VALUES values, before expanding any."""
        sizes: dict[int, int] = {}
        uses: dict[int, int] = {}
        nodes: dict[int, yaml.Node] = {}

        def size(node: yaml.Node) -> int:
            key = id(node)
            uses[key] = uses.get(key, 0) + 1
            if key not in sizes:
                sizes[key] = 1  # provisional: a recursive alias is reported by the walk itself
                nodes[key] = node
                if isinstance(node, yaml.SequenceNode):
                    sizes[key] = 1 + sum(size(child) for child in node.value)
                elif isinstance(node, yaml.MappingNode):
                    sizes[key] = 1 + sum(size(k) + size(v) for k, v in node.value)
            return sizes[key]

        total = size(root)
        if total > MAX_VALUES and not any(count > 1 for count in uses.values()):
            raise too_many_values(total, Mark(self.path, 1, 1, self.lines))
        if total > MAX_VALUES:
            shared = [key for key in sizes if uses[key] > 1] or [id(root)]
            worst = nodes[max(shared, key=lambda key: sizes[key])]
            raise unreadable(
                f"the file expands to {total:,} values through its aliases, more than the {MAX_VALUES:,} allowed",
                self.mark(worst),
                expected="a stack file of ordinary size",
                found=f"aliases that multiply (an 'alias bomb'): this value alone expands to {sizes[id(worst)]:,}",
                fix="write the layers out plainly instead of through nested aliases",
            )

    def item(self, node: yaml.Node) -> Item:
        tag = node.tag
        if tag == _TEXT:  # the most common value: made at once
            return Item(node.value, None, None, node, self)
        if tag not in _ALLOWED_TAGS:
            raise unreadable(
                f"the YAML tag {tag.replace('tag:yaml.org,2002:', '!!')} is not allowed",
                self.mark(node),
                expected="plain YAML values: numbers, strings, booleans, null, lists and mappings",
                found=f"a value tagged {tag}",
                fix="remove the tag; shapecli never runs or builds objects from a stack file",
            )
        build = SCALAR_TAGS.get(tag)
        if build is not None:
            return Item(build(node), None, None, node, self)
        if not self.anchors:  # no `&` in the text: no value is shared, none can refer to itself
            self.count += len(node.value) if tag == _SEQUENCE else 2 * len(node.value)
            if self.count > MAX_VALUES:
                raise too_many_values(None, Mark(self.path, 1, 1, self.lines))
            if tag == _SEQUENCE:
                if id(node) == self.layers:
                    found = self.twin_layers(node) if self.repeats is None else self.repeated_layers(node)
                    return Item(found, None, None, node, self)
                return Item([self.item(child) for child in node.value], None, None, node, self)
            return self.mapping(node)
        if id(node) in self.active:
            raise unreadable(
                "this alias refers to itself",
                self.mark(node),
                expected="a value that ends",
                found="a recursive alias (an anchor used inside its own value)",
                fix="write the value out instead of the recursive alias",
            )
        self.active.add(id(node))
        try:
            if tag == _SEQUENCE:
                return Item([self.item(child) for child in node.value], None, None, node, self)
            return self.mapping(node)
        finally:
            self.active.discard(id(node))

    def twin_layers(self, node: yaml.SequenceNode) -> list[Item]:
        """The layers of a sequential file without anchors. A deep stack writes the same layer again and
        again: one written exactly as one above it (the same text from the same column, so the same
        values) shares that one's arguments — read once — and has its own place (its mapping and keys,
        so an error about it names its own line)."""
        text, written, found = self.text, self.written, []
        for child in node.value:
            if type(child) is not yaml.MappingNode:
                found.append(self.item(child))
                continue
            start = child.start_mark
            key = (start.column, text[start.index:child.end_mark.index])
            first = written.get(key)
            if first is None:
                first = written[key] = self.counted(child)
                found.append(first[0])
            else:
                found.append(self.twin(first, child.value, child, None))
        return found

    def repeated_layers(self, node: yaml.SequenceNode) -> list[Item]:
        """The layers of a file read without its repeated layer lines (RepeatedLines): each layer line is
        the reading of the kept line it repeats, at its own line."""
        repeats, kept = self.repeats, node.value  # one entry a kept line (_compose_without)
        read: list[tuple[Item, int] | None] = [None] * len(kept)
        found = []
        for line, which in repeats.layers:
            child = kept[which]
            if read[which] is None:
                read[which] = self.counted(child)
                found.append(read[which][0])
            else:
                self.count += 1  # its place in the sequence, which YAML did not see
                found.append(self.twin(read[which], child.value if type(child) is yaml.MappingNode else (), child,
                                       line))
        return found

    def counted(self, node: yaml.Node) -> tuple[Item, int]:
        """The node's Item, and how many values it holds (a twin counts them again)."""
        before = self.count
        return self.item(node), self.count - before

    def twin(self, first: tuple[Item, int], pairs, node: yaml.Node, line: int | None) -> Item:
        """A layer written as `first` was: its values shared, its own place (its node's; or, for a line left
        out of what YAML read, that line's), and its own keys' places."""
        item, count = first
        self.count += count
        if self.count > MAX_VALUES:
            raise too_many_values(None, Mark(self.path, 1, 1, self.lines))
        at = self if line is None else _AtLine(self, line)
        return Item(item.value, None, {name: Item(name, None, None, key_node, at)
                                       for name, (key_node, _) in zip(item.keys, pairs)}, node, at)

    def mapping(self, node: yaml.MappingNode) -> Item:
        values: dict[str, Item] = {}
        keys: dict[str, Item] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TEXT:  # the usual key: a name (made here, without the checks of `item`)
                key_item = Item(key_node.value, None, None, key_node, self)
            elif key_node.tag == "tag:yaml.org,2002:merge":
                raise unreadable("merge keys (<<) are not supported", self.mark(key_node), fix="write the keys out")
            else:
                key_item = self.item(key_node)
            key = key_item.value
            if not isinstance(key, str):
                raise unreadable(
                    "a mapping key must be a name",
                    key_item.mark,
                    expected="a name such as units",
                    found=f"{type(key).__name__} {key!r}",
                )
            if key in values:
                raise unreadable(
                    f"'{key}' is given twice in the same mapping",
                    key_item.mark,
                    expected="each key once",
                    found=f"'{key}' again (first at line {keys[key].mark.line})",
                    fix=f"remove one of the two '{key}' entries",
                )
            values[key], keys[key] = self.item(value_node), key_item
        return Item(values, None, keys, node, self)


class _AtLine:
    """Where the nodes of a line that YAML did not read are: those of the line it repeats, at its own line."""

    __slots__ = ("walker", "line")

    def __init__(self, walker: _Walker, line: int):
        self.walker, self.line = walker, line

    def mark(self, node: yaml.Node) -> Mark:
        return self.walker.mark(node, self.line)


def too_many_values(count: int | None, mark: Mark) -> StackError:
    """`count`: the values counted, or None where reading stopped as soon as there were too many."""
    found = f"{count:,} values" if count is not None else f"more than {MAX_VALUES:,} values"
    title = f"the file holds {found}, more than the {MAX_VALUES:,} a stack file may" if count is not None else \
        f"the file holds more than the {MAX_VALUES:,} values a stack file may"
    return unreadable(title, mark,
                      expected=f"at most {MAX_VALUES:,} values", found=found,
                      fix="split the model, or explain a smaller part of it")


def indentation_problem(exc: yaml.MarkedYAMLError, lines: list[str], mark: Mark) -> StackError | None:
    """What a YAML error about layout means in plain words: a tab, or a key not lined up with the one above."""
    line = lines[mark.line - 1] if 0 < mark.line <= len(lines) else ""
    if "\t" in line[:len(line) - len(line.lstrip())] or line[mark.column - 1:mark.column] == "\t":
        tab = line.index("\t") + 1
        return unreadable("tabs are not allowed in YAML indentation", Mark(mark.path, mark.line, tab, lines),
                          expected="spaces to indent", found="a tab character", fix="indent with spaces (two per level)")
    if exc.problem == "did not find expected key":
        above = next((lines[k] for k in range(mark.line - 2, -1, -1) if lines[k].strip()), "")
        want, have = len(above) - len(above.lstrip()) + 1, len(line) - len(line.lstrip()) + 1
        if want != have:
            more = f"{want - have} more space{'s' if want - have > 1 else ''}" if want > have else \
                f"{have - want} fewer space{'s' if have - want > 1 else ''}"
            return unreadable("this key is not lined up with the key above it", Mark(mark.path, mark.line, have, lines),
                              expected=f"a key starting at column {want}, as on line {mark.line - 1}",
                              found=f"a key starting at column {have}",
                              fix=f"indent it with {more}, so it starts at column {want}")
    return None


def _yaml_context(exc: yaml.MarkedYAMLError) -> str:
    if not exc.context:
        return str(exc.problem)
    where = exc.context_mark
    return f"{exc.context} (begun at line {where.line + 1}, column {where.column + 1})" if where else exc.context


MAX_LINES = 100_000  # a 10,000-layer stack file has about 10,000


def parse_yaml(text: str, path: str) -> Item:
    count = text.count("\n") + 1
    if count > MAX_LINES:  # refused before YAML reads it: promptly, whatever its size in bytes
        raise unreadable(f"{path} is too large to be a stack file: {count:,} lines", Mark(path, 1, 1),
                         expected=f"at most {MAX_LINES:,} lines", found=f"{count:,} lines",
                         fix="split the model, or explain a smaller part of it")
    lines = text.splitlines()
    repeats = RepeatedLines.of(text) if "&" not in text else None
    node = _compose_without(repeats) if repeats is not None else None
    try:
        if node is None:  # read whole
            repeats, node = None, yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = None
        if exc.problem_mark is not None:
            mark = Mark(path, exc.problem_mark.line + 1, exc.problem_mark.column + 1, lines)
            layout = indentation_problem(exc, lines, mark)
            if layout is not None:
                raise layout from None
        raise unreadable(
            f"this is not valid YAML: {exc.problem}",
            mark,
            expected="YAML: `key: value` pairs with a space after each colon, consistent indentation",
            found=_yaml_context(exc),
            fix="compare with the format in the README (`shapecli explain addition` shows a working file)",
        ) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)  # a character YAML cannot take (a NUL byte, …): where it is
        if position is not None:
            before = text[:position]
            line, column = before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
            character = text[position] if position < len(text) else ""
            raise unreadable(f"this file holds a character YAML does not allow: {character!r}",
                             Mark(path, line, column, lines), expected="text: letters, digits, punctuation, spaces",
                             found=f"{character!r} (code {ord(character):#06x})" if character else "an unreadable character",
                             fix="remove it (a NUL byte often means the file is not a text file)") from None
        raise unreadable(f"this is not valid YAML: {exc}", Mark(path, 1, 1, lines)) from None
    except RecursionError:
        raise unreadable("the YAML nests too deeply to read", Mark(path, 1, 1)) from None
    if node is None:
        raise unreadable("the stack file is empty", Mark(path, 1, 1), fix="start from `shapecli explain addition`")
    try:
        walker = _Walker(path, lines, "&" in text, text, repeats)
        if walker.anchors:
            walker.check_expansion(node)
        else:
            layers = sequential_layers(node)
            walker.layers = None if layers is None else id(layers)
        return walker.item(node)
    except RecursionError:
        raise unreadable("the YAML nests too deeply to read", Mark(path, 1, 1)) from None


_ONE_LINE_ENTRY = re.compile(r"( *)- [^'\"#&*!|>%@`?\t]*")  # no quotes, comments, anchors, tags, block scalars
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # beside \n: where YAML or str.splitlines break lines


@dataclass
class RepeatedLines:
    """A deep stack file writes the same few layer lines again and again. Where the file ends with
    `layers:` written a layer a line, each line whole in itself — no quotes, comments, anchors, tags or
    block scalars, every bracket closed on its line — each line means the same wherever it stands: YAML
    reads the file with every repeated line left out (`text`), and the walker gives each left-out line
    the reading of the line it repeats, at its own place. (A file that does not qualify, or whose
    shortened text YAML refuses, is read whole, as any file is.)"""

    text: str  # the file without the repeated layer lines
    line_of: list[int]  # each line of `text` → its line in the file (0-based)
    layers: list[tuple[int, int]]  # each layer line: its line in the file, and which kept layer line it repeats
    kept: int  # how many layer lines are kept

    @classmethod
    def of(cls, text: str) -> "RepeatedLines | None":
        if any(breaks in text for breaks in _LINE_BREAKS):
            return None
        lines = text.split("\n")
        try:
            start = lines.index("layers:") + 1
        except ValueError:
            return None
        end = len(lines) - (lines[-1] == "")
        first = _ONE_LINE_ENTRY.fullmatch(lines[start]) if start < end else None
        if first is None:
            return None
        indent, kept, kept_at, layers = first.group(1), {}, [], []
        for number in range(start, end):
            line = lines[number]
            which = kept.get(line)
            if which is None:
                entry = _ONE_LINE_ENTRY.fullmatch(line)
                if entry is None or entry.group(1) != indent or not _brackets_closed(line):
                    return None
                which = kept[line] = len(kept_at)
                kept_at.append(number)
            layers.append((number, which))
        if len(kept_at) == len(layers):
            return None  # nothing repeats
        return cls("\n".join([*lines[:start], *kept]) + "\n", list(range(start)) + kept_at, layers, len(kept_at))


def _brackets_closed(line: str) -> bool:
    """Every bracket closed on the line, none before it opens: no flow collection goes on to the next line
    (a bracket inside plain text outside brackets counts too, which only makes the test stricter)."""
    depth = 0
    for character in line:
        if character in "[{":
            depth += 1
        elif character in "]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _compose_without(repeats: RepeatedLines) -> yaml.Node | None:
    """The file composed without its repeated layer lines: a sequential stack whose `layers:` holds one entry
    a kept line. Else None — YAML refuses that text, or it is a graph — and the whole file is read (so that
    an error names its place in the file)."""
    try:
        node = yaml.compose(repeats.text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None
    layers = sequential_layers(node)
    if layers is None or len(layers.value) != repeats.kept:
        return None
    return node


def sequential_layers(root: yaml.Node) -> yaml.SequenceNode | None:
    """The `layers:` sequence of a sequential stack file (not a graph's: its layers name tensors, each at
    its own place), or None."""
    if not isinstance(root, yaml.MappingNode):
        return None
    top = {key.value: value for key, value in root.value if isinstance(key, yaml.ScalarNode)}
    layers = top.get("layers")
    if "inputs" in top or "outputs" in top or not isinstance(layers, yaml.SequenceNode):
        return None
    return layers


# -- Items -> StackFile ----------------------------------------------------------
WIRING_KEYS = ("in", "out", "initial_state")  # a graph's layer entry: the tensors a call reads and makes
REUSE = "reuse"  # `- reuse: NAME`: call a layer made above once more (the same weights)


def layer_entry(item: Item, graph: bool = False) -> LayerEntry:
    """`{Name: {args}}`, `{Name: null}` or a bare `Name` -> a LayerEntry; in a graph, with `in:`, `out:`,
    `initial_state:` beside the layer, or `reuse: NAME` instead of it."""
    if isinstance(item.value, str):
        return LayerEntry(item.value, {}, item)
    wiring = {}
    if isinstance(item.value, dict):
        wiring = {key: item.value[key] for key in WIRING_KEYS if key in item.value}
        if wiring and not graph:
            key = next(iter(wiring))
            raise unreadable(
                f"`{key}:` names tensors, which only a graph (functional) stack file has",
                item.key_mark(key),
                expected="a sequential stack: each layer reads the layer above, so it names no tensors",
                found=f"`{key}:`",
                fix="start the file with `inputs:` (and end it with `outputs:`) for a graph, or remove it")
        rest = {key: value for key, value in item.value.items() if key not in WIRING_KEYS}
        if graph and len(rest) == 1 and REUSE in rest:
            name = rest[REUSE]
            if not isinstance(name.value, str):
                raise unreadable("`reuse:` names a layer made above", name.mark, expected="a layer's name",
                                 found=describe_value(name.value))
            return LayerEntry(REUSE, {}, item.keys.get(REUSE, name), None, wiring, name.value)
        if wiring:
            item = Item(rest, item.mark, {key: item.keys[key] for key in rest if key in item.keys})
    if isinstance(item.value, dict) and len(item.value) == 2 and "layer" in item.value:
        wrapper = next(key for key in item.value if key != "layer")
        if item.value[wrapper].value is None:  # `- TimeDistributed:` with `layer:` not indented under it
            wrapper_at, layer_at = item.key_mark(wrapper), item.key_mark("layer")
            column = (wrapper_at.column if wrapper_at else 1) + 2
            more = column - (layer_at.column if layer_at else column)
            raise unreadable(f"`layer:` is not indented under {wrapper}, so it is not {wrapper}'s", layer_at,
                             expected=f"`layer:` inside {wrapper}, indented further than `{wrapper}:`",
                             found=f"`layer:` at the same level as `{wrapper}:`",
                             fix=f"indent `layer:` by {more} more spaces (to column {column})")
    if not isinstance(item.value, dict) or len(item.value) != 1:
        raise unreadable(
            "a layer must be a one-key mapping: its Keras name and its arguments",
            item.mark,
            expected="for example `- LSTM: {units: 128}` or `- Flatten: {}`",
            found=describe_value(item.value) + (f" with keys {', '.join(item.value)}" if isinstance(item.value, dict) else ""),
            fix="write each layer as its own list entry starting with `- `",
        )
    (type_name, args), = item.value.items()
    if args.value is None:
        args = Item({}, args.mark)
    if not isinstance(args.value, dict):
        raise unreadable(
            f"the arguments of {type_name} must be a mapping",
            args.mark,
            expected=f"`{type_name}: {{argument: value, ...}}`",
            found=describe_value(args.value),
            fix="name each argument, e.g. `Dense: {units: 12}` rather than `Dense: 12`",
        )
    return LayerEntry(type_name, args.value, item.keys.get(type_name, item), args, wiring)


def layer_entries(items: list[Item], graph: bool) -> list[LayerEntry]:
    """Each layer's entry. A layer that shares its reading with one above (see `_Walker.twin_layers`)
    shares that one's entry too, but for where its name is written."""
    first: dict[int, LayerEntry] = {}
    entries = []
    for item in items:
        entry = first.get(id(item.value)) if type(item.value) is dict else None
        if entry is None:
            entry = layer_entry(item, graph)
            if type(item.value) is dict:
                first[id(item.value)] = entry
        else:
            entry = LayerEntry(entry.type_name, entry.args, item.keys[entry.type_name], entry.args_item)
        entries.append(entry)
    return entries


def read_stack_text(text: str, path: str) -> StackFile:
    return stack_from_item(parse_yaml(text, path), path)


def read_text_file(path: str, what: str) -> str:
    """A user's file as text: at most MAX_FILE_BYTES, UTF-8; `what` it should be, for the error."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise too_large(path, size)
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_text(raw, path, what)


def decode_text(raw: bytes, path: str, what: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise too_large(path, len(raw))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise unreadable(f"{path} is not UTF-8 text", expected=what,
                         found=f"byte 0x{raw[exc.start]:02x} at offset {exc.start}") from None


def read_stack_file(path: str) -> StackFile:
    return read_stack_text(read_text_file(path, "a YAML text file"), path)


def read_stack_stream(stream: BinaryIO, path: str = "<stdin>") -> StackFile:
    return read_stack_bytes(stream.read(MAX_FILE_BYTES + 1), path)


def too_large(path: str, size: int) -> StackError:
    return unreadable(
        f"{path} is too large to be a stack file",
        expected=f"at most {MAX_FILE_BYTES // (1024 * 1024)} MiB",
        found=f"{size:,} bytes" if size <= MAX_FILE_BYTES + 1 else f"more than {MAX_FILE_BYTES:,} bytes",
    )


def read_stack_bytes(raw: bytes, path: str) -> StackFile:
    return read_stack_text(decode_text(raw, path, "a YAML text file"), path)


def stack_from_data(data: dict, path: str = "<data>") -> StackFile:
    """A stack given as plain Python data (tests, built-in lessons)."""

    def wrap(value: Any) -> Item:
        if isinstance(value, dict):
            return Item({k: wrap(v) for k, v in value.items()})
        if isinstance(value, (list, tuple)):
            return Item([wrap(v) for v in value])
        return Item(value)

    return stack_from_item(wrap(data), path)


def stack_from_item(root: Item, path: str) -> StackFile:
    if not isinstance(root.value, dict):
        raise unreadable(
            "a stack file must be a mapping with `input_shape:` and `layers:`",
            root.mark,
            expected="input_shape: [...] and layers: [...] at the top level",
            found=describe_value(root.value),
        )
    top = root.value
    for key in top:
        if key not in TOP_LEVEL_KEYS:
            guess = did_you_mean(key, TOP_LEVEL_KEYS)
            raise unreadable(
                f"unknown top-level key '{key}'",
                root.key_mark(key),
                expected="one of " + ", ".join(TOP_LEVEL_KEYS),
                found=key,
                fix=f"did you mean '{guess}'?" if guess else "remove it",
            )
    if "layers" not in top:
        raise unreadable("the stack file has no `layers:`", root.mark, expected="both input_shape: and layers: at the top level",
                         found="keys " + ", ".join(top) if top else "no keys",
                         fix="add `layers:` with one `- LayerName: {...}` entry per layer")
    text = {}
    for key in ("name", "description"):
        item = top.get(key)
        if item is not None and item.value is not None and not isinstance(item.value, (str, int, float)):
            raise unreadable(f"`{key}` must be text", item.mark, found=describe_value(item.value))
        text[key] = None if item is None or item.value is None else str(item.value)

    symbols, symbol_marks = _read_symbols(top.get("symbols"))
    layers_item = _non_empty_list(top["layers"], "`layers` must be a non-empty list",
                                  "one `- LayerName: {arguments}` entry per layer")
    graph = "inputs" in top or "outputs" in top
    if graph:
        for key, fix in (("input_shape", "a graph names its inputs under `inputs:` instead"),
                         ("outputs", None)):
            if (key in top) == (key == "input_shape"):
                raise unreadable(
                    f"a graph stack file (with `inputs:`) {'has no' if key == 'input_shape' else 'needs'} `{key}:`",
                    root.key_mark(key) if key in top else root.mark,
                    expected="`inputs:` {name: shape}, `layers:`, and `outputs:` [names]",
                    found=f"`{key}:`" if key in top else f"no `{key}:`",
                    fix=fix or "add `outputs: [name]`, naming the tensors the model returns")
        if "inputs" in top and (not isinstance(top["inputs"].value, dict) or not top["inputs"].value):
            raise unreadable("`inputs:` must map each input's name to its shape", top["inputs"].mark,
                             expected="for example `inputs: {encoder_inputs: [null, 71]}` (batch left out)",
                             found=describe_value(top["inputs"].value))
    entries = layer_entries(layers_item.value, graph)
    layers = [entry for entry in entries if entry.type_name not in INPUT_LAYERS]
    starts = [entry for entry in entries if entry.type_name in INPUT_LAYERS]  # keras.Input(shape=…) entries
    if graph:
        inputs = top.get("inputs") or Item({}, root.mark, {})
        for entry in starts:
            name, shape = input_entry(entry, graph=True)
            if name in inputs.value:
                raise unreadable(f"two inputs are called '{name}'", entry.mark, expected="a name of its own", found=name)
            inputs.value[name], inputs.keys[name] = shape, entry.name_item
        if not inputs.value:
            raise unreadable("a graph stack file needs its inputs", root.mark,
                             expected="`inputs: {name: shape}` or `- Input: {shape: [...], name: ...}` entries",
                             found="no inputs", fix="add `inputs:` with each input's name and shape (batch left out)")
        return StackFile(path, text["name"], text["description"], symbols, symbol_marks, None, layers, root.mark,
                         inputs, top["outputs"])
    shape_item = None
    if "input_shape" in top:
        shape_item = _non_empty_list(top["input_shape"], "`input_shape` must be a non-empty list of sizes",
                                     "a list such as [7, 12] or [time, 12] (the batch axis is left out)")
    if starts:
        if entries[0] is not starts[0] or len(starts) > 1:
            entry = starts[0] if entries[0] is not starts[0] else starts[1]
            raise unreadable("Input starts a sequential model: it can only be its first entry", entry.mark,
                             expected="`- Input: {shape: [...]}` first, then the layers", found=f"{entry.type_name} later")
        _, shape = input_entry(starts[0], graph=False)
        if shape_item is not None and shape.plain() != shape_item.plain():
            raise unreadable(f"Input(shape={shape.plain()}) contradicts `input_shape: {shape_item.plain()}`",
                             shape.mark, expected="the same shape", found=str(shape.plain()),
                             fix="keep one of the two")
        shape_item = shape
    return StackFile(path, text["name"], text["description"], symbols, symbol_marks, shape_item, layers, root.mark)


INPUT_LAYERS = ("Input", "InputLayer")


def input_entry(entry: LayerEntry, graph: bool) -> tuple[str | None, Item]:
    """`- Input: {shape: [7, 12], name: x}` (Keras' keras.Input): the name and the shape (batch left out)."""
    for key in entry.args:
        if key not in ("shape", "name", "dtype"):
            guess = did_you_mean(key, ["shape", "name", "dtype"])
            raise unreadable(f"Input has no argument `{key}` here", entry.args_item.key_mark(key),
                             expected="shape (batch left out), name, dtype", found=key,
                             fix=f"did you mean '{guess}'?" if guess else "shapecli leaves the batch free; remove it")
    if "shape" not in entry.args:
        raise unreadable("Input needs `shape`", entry.mark, expected="`- Input: {shape: [7, 12]}` (batch left out)",
                         found="no shape")
    shape = _non_empty_list(entry.args["shape"], "Input's `shape` must be a non-empty list of sizes",
                            "a list such as [7, 12] or [null, 71] (the batch axis is left out)")
    name = entry.args.get("name")
    if graph and (name is None or not isinstance(name.value, str)):
        raise unreadable("in a graph, each Input needs a `name`: the layers read it by that name", entry.mark,
                         expected="`- Input: {shape: [...], name: encoder_inputs}`", found="no name")
    return (name.value if name is not None else None), shape


def _non_empty_list(item: Item, title: str, expected: str) -> Item:
    if not isinstance(item.value, list) or not item.value:
        raise unreadable(title, item.mark, expected=expected, found=describe_value(item.value))
    return item


def _read_symbols(item: Item | None) -> tuple[dict[str, int | None], dict[str, Mark]]:
    if item is None or item.value is None:
        return {}, {}
    if not isinstance(item.value, dict):
        raise unreadable(
            "`symbols` must be a mapping of names to sizes",
            item.mark,
            expected="for example `symbols: {n_hidden: 128, time: null}`",
            found=describe_value(item.value),
        )
    symbols: dict[str, int | None] = {}
    for name, value in item.value.items():
        mark = item.key_mark(name)
        if not SYMBOL_NAME.match(name) or name == "batch":
            raise unreadable(
                f"'{name}' cannot be a symbol name",
                mark,
                expected="a name of letters, digits and _ (not 'batch', which is the batch axis)",
                found=name,
            )
        v = value.value
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            raise unreadable(
                f"symbol '{name}' must be a positive whole number or null",
                value.mark,
                expected="a positive integer, or null for a free size",
                found=describe_value(v),
                fix=f"write `{name}: 12`, or `{name}: null` to leave it free",
            )
        symbols[name] = v
    return symbols, {name: item.key_mark(name) for name in symbols}
