"""Reading a saved Keras 3 model — a `.keras` archive or `model.to_json()` text — as a stack file.

A `.keras` archive is a zip holding `config.json` (the model's config), `metadata.json` and the weights
(`model.weights.h5`, never opened here); `model.to_json()` writes the same config as JSON text. Only
that JSON is read, with `zipfile` and a small JSON reader that remembers where each value is written:
nothing is unpickled, imported or run, and a Python function or lambda stored in the config (a
`Lambda` layer, a custom activation) is refused, never decoded.

The config becomes the `StackFile` the YAML reader would make:

- a `Sequential` config: `input_shape` (from its `InputLayer`, batch left out) and `layers`;
- a `Functional` config: the graph form — `inputs` (each `InputLayer`, in the model's input order),
  `layers` wired with `in` / `out` / `initial_state` from each layer's `inbound_nodes`, `reuse` for
  each call of a layer after its first, and `outputs`.

Keras writes every constructor argument with its default and serialized objects (initializers,
regularizers, dtype policies). An argument shapecli's layer class declares is passed on, except those it
ignores anyway (initializers, regularizers, constraints, dtype, seed …); an argument it does not declare
is dropped when it is null or false, and refused otherwise (it might change shapes or parameters).

A `.json` file that is a stack file written in JSON (`input_shape`/`inputs` and `layers` at the top) is
read as the stack file it is.

Every value keeps its place: a config written on one long line (as Keras writes it) is located in its
indented form, line for line what `python -m json.tool` prints, so an error shows a readable line.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from bisect import bisect_right
from json.decoder import scanstring
from typing import Any

from .errors import Mark, StackError, describe_value, unreadable
from .graph import snake_case
from .layers import REGISTRY
from .layers.base import accepted
from .layers.base import activation as activation_argument
from .stackfile import (
    MAX_FILE_BYTES, SYMBOL_NAME, TOP_LEVEL_KEYS, Item, LayerEntry, StackFile, decode_text, read_stack_text,
    read_text_file, too_large,
)

SAVED_MODEL_SUFFIXES = (".keras", ".json")
CONFIG = "config.json"
METADATA = "metadata.json"
COMPACT_LINE = 300  # a config with a longer line is located in its indented form
MAX_METADATA_BYTES = 64 * 1024


def is_saved_model(path: str) -> bool:
    """Whether `load_stack` should read `path` as a saved Keras model (by its suffix). load_stack does so
    with one line, before a path is read as YAML:
        if path.suffix.lower() in (".keras", ".json") and path.is_file(): return read_saved_model(str(path))"""
    return os.path.splitext(path)[1].lower() in SAVED_MODEL_SUFFIXES


def read_saved_model(path: str) -> StackFile:
    """A `.keras` archive or a JSON model config (model.to_json()) → the StackFile of that model."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(b"PK"):
        text, where, version = _read_archive(path)
    elif path.lower().endswith(".keras"):
        raise unreadable(
            f"{path} is not a .keras archive",
            expected="a zip file holding config.json, as `model.save('model.keras')` writes it (Keras 3)",
            found=_describe_start(head),
            fix="save the model again with Keras 3: model.save('model.keras'); a Keras 2 .h5 file cannot be read")
    else:
        text, where, version = _read_json_file(path), path, None
    return stack_from_config_text(text, where, version, os.path.basename(path))


def stack_from_config_text(text: str, where: str, keras_version: str | None = None,
                           source: str | None = None) -> StackFile:
    """A model config as JSON text (`where` names it in errors) → its StackFile."""
    root = parse_json(text, where)
    if isinstance(root.value, dict) and "layers" in root.value and set(root.value) <= set(TOP_LEVEL_KEYS):
        return read_stack_text(text, where)  # a stack file written as JSON (JSON is YAML): read as one
    return _ConfigReader(where, keras_version, source or where).stack(root)


# -- the file ---------------------------------------------------------------------------------------------
def _describe_start(head: bytes) -> str:
    if not head:
        return "an empty file"
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file (a Keras 2 .h5 model, or weights alone)"
    return "a file starting with bytes " + " ".join(f"{b:02x}" for b in head)


def _read_json_file(path: str) -> str:
    return read_text_file(path, "a Keras model config: JSON text")


def _decode(raw: bytes, where: str) -> str:
    return decode_text(raw, where, "a Keras model config: JSON text")


_ZIP_FAULTS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
               ValueError, zlib.error)


def _read_archive(path: str) -> tuple[str, str, str | None]:
    """config.json (and Keras' version from metadata.json) out of a .keras archive; nothing else is read."""
    where = f"{path}/{CONFIG}"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if CONFIG not in names:
                shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "") if names else "nothing"
                raise unreadable(
                    f"{path} holds no {CONFIG}: it is a zip file, but not a Keras model",
                    expected=f"a .keras archive: {CONFIG}, {METADATA} and model.weights.h5",
                    found=f"a zip holding {shown}",
                    fix="save the model with Keras 3: model.save('model.keras')")
            raw = _read_member(archive, CONFIG, MAX_FILE_BYTES, where)
            version = None
            if METADATA in names:
                try:
                    meta = json.loads(_read_member(archive, METADATA, MAX_METADATA_BYTES, f"{path}/{METADATA}"))
                    version = meta.get("keras_version") if isinstance(meta, dict) else None
                except (ValueError, StackError, RecursionError):
                    version = None  # the version only names the source; the config is what counts
    except StackError:
        raise
    except _ZIP_FAULTS as exc:
        raise unreadable(
            f"{path} is not a readable .keras archive",
            expected="a zip file holding config.json, as `model.save('model.keras')` writes it",
            found=f"a damaged or unsupported zip file ({exc})",
            fix="save the model again: model.save('model.keras')") from None
    return _decode(raw, where), where, version if isinstance(version, str) else None


def _read_member(archive: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise too_large(where, info.file_size)
    with archive.open(info) as member:
        raw = member.read(limit + 1)  # the stated size may lie: never read past the limit
    if len(raw) > limit:
        raise too_large(where, len(raw))
    return raw


# -- JSON with places -------------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")
_CONSTANTS = {"true": True, "false": False, "null": None, "NaN": float("nan"), "Infinity": float("inf"),
              "-Infinity": float("-inf")}


class _JsonText:
    """JSON text → Items whose marks point into it (made only when asked for, as the YAML reader's)."""

    def __init__(self, text: str, path: str):
        self.text, self.path = text, path
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def mark(self, span: tuple[int, int]) -> Mark:
        start, end = span
        line = bisect_right(self.starts, start) - 1
        same_line = line + 1 >= len(self.starts) or end <= self.starts[line + 1]
        return Mark(self.path, line + 1, start - self.starts[line] + 1, self.lines,
                    max(1, end - start if same_line else 1))

    def item(self, value: Any, start: int, end: int, keys: dict | None = None) -> Item:
        return Item(value, keys=keys, node=(start, end), file=self)

    def parse(self) -> Item:
        item, end = self.value(_SPACE.match(self.text, 0).end())
        return item

    def value(self, i: int) -> tuple[Item, int]:
        text = self.text
        c = text[i]
        if c == "{":
            values, keys = {}, {}
            j = _SPACE.match(text, i + 1).end()
            if text[j] == "}":
                return self.item(values, i, j + 1, keys), j + 1
            while True:
                key, after = scanstring(text, j + 1)
                keys[key] = self.item(key, j, after)
                j = _SPACE.match(text, after).end() + 1  # past ':'
                values[key], j = self.value(_SPACE.match(text, j).end())
                j = _SPACE.match(text, j).end()
                if text[j] == "}":
                    return self.item(values, i, j + 1, keys), j + 1
                j = _SPACE.match(text, j + 1).end()  # past ','
        if c == "[":
            values = []
            j = _SPACE.match(text, i + 1).end()
            if text[j] == "]":
                return self.item(values, i, j + 1), j + 1
            while True:
                element, j = self.value(j)
                values.append(element)
                j = _SPACE.match(text, j).end()
                if text[j] == "]":
                    return self.item(values, i, j + 1), j + 1
                j = _SPACE.match(text, j + 1).end()
        if c == '"':
            string, end = scanstring(text, i + 1)
            return self.item(string, i, end), end
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, i):
                return self.item(constant, i, i + len(word)), i + len(word)
        number = _NUMBER.match(text, i)
        end = number.end()
        found = number.group()
        return self.item(float(found) if number.group(1) or number.group(2) else int(found), i, end), end


def parse_json(text: str, path: str) -> Item:
    """Checked by `json` (its error located), then read again with places: in the text itself when it is
    laid out on lines, else in its indented form (`python -m json.tool`'s lines)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.split("\n")
        shown = lines if len(lines[exc.lineno - 1] if exc.lineno <= len(lines) else "") <= COMPACT_LINE else None
        raise unreadable(f"this is not valid JSON: {exc.msg}", Mark(path, exc.lineno, exc.colno, shown),
                         expected="a Keras model config: JSON, as model.to_json() or a .keras archive's config.json",
                         found=_near(text, exc.pos)) from None
    except RecursionError:
        raise unreadable("the JSON nests too deeply to read", Mark(path, 1, 1)) from None
    if any(len(line) > COMPACT_LINE for line in text.split("\n")):
        text = json.dumps(data, indent=4)
    try:
        return _JsonText(text, path).parse()
    except RecursionError:
        raise unreadable("the JSON nests too deeply to read", Mark(path, 1, 1)) from None


def _near(text: str, pos: int) -> str:
    return "the end of the text" if pos >= len(text) else f"{text[pos:pos + 20]!r}"


# -- Keras' filled-in values, written back as the user wrote them -------------------------------------------
def _tidy(kind: str, args: dict[str, Item], keys: dict[str, Item], layer: Item) -> None:
    """Keras' config holds values Keras worked out, not the ones given: `strides` equal to `pool_size`, the
    value size of each head equal to the key size, Bidirectional's backward copy. Where such a value says
    nothing the default would not, it is left out, so that the layer reads (and is written back) as built.
    Only words change: every value dropped here is the one shapecli takes by default."""

    def drop(key: str) -> None:
        args.pop(key, None)
        keys.pop(key, None)

    def plain(key: str) -> Any:
        return args[key].plain() if key in args else None

    if kind == "MaxPooling1D" and _one(plain("strides")) == _one(plain("pool_size")):
        drop("strides")
    axis = plain("axis")
    if kind == "LayerNormalization" and isinstance(axis, list) and len(axis) == 1 and type(axis[0]) is int:
        args["axis"] = Item(plain("axis")[0], args["axis"].mark)
    if kind == "MultiHeadAttention":
        if plain("value_dim") is not None and plain("value_dim") == plain("key_dim"):
            drop("value_dim")
        query = _query_shape(layer)
        axes = plain("attention_axes")
        if query is not None and axes is not None and list(_listed(axes)) == list(range(1, len(query) - 1)):
            drop("attention_axes")
    if kind == "Bidirectional":
        for key in ("layer", "backward_layer"):  # Keras sets it to return_sequences on both directions
            inner = args.get(key)
            if inner is not None and isinstance(inner.value, dict) and len(inner.value) == 1:
                (inner_args,) = inner.value.values()
                given = inner_args.value
                if isinstance(given, dict) and "zero_output_for_mask" in given and \
                        given["zero_output_for_mask"].value == (given.get("return_sequences") or Item(False)).value:
                    given.pop("zero_output_for_mask")
                    inner_args.keys.pop("zero_output_for_mask", None)
        forward, backward = plain("layer"), plain("backward_layer")
        if isinstance(forward, dict) and isinstance(backward, dict) and forward.keys() == backward.keys():
            (kind_f, f), (_, b) = next(iter(forward.items())), next(iter(backward.items()))
            f, b = dict(f), dict(b)
            if bool(f.pop("go_backwards", False)) != bool(b.pop("go_backwards", False)) and f == b:
                drop("backward_layer")  # the copy of `layer` reading backwards, which Keras makes itself


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _query_shape(layer: Item) -> list | None:
    build = layer.plain().get("build_config")
    shapes = build.get("shapes_dict") if isinstance(build, dict) else None
    query = shapes.get("query_shape") if isinstance(shapes, dict) else None
    return query if isinstance(query, list) else None


# -- the config → a StackFile -----------------------------------------------------------------------------
RECURRENT_STATES = {"LSTM": ("h", "c"), "GRU": ("h",), "SimpleRNN": ("h",)}
NESTED_MODELS = ("Sequential", "Functional", "Model")
INPUT_LAYER = "InputLayer"
# Call arguments that change nothing when they are null or false (Keras writes them so).
HARMLESS_CALL_ARGUMENTS = ("training", "mask", "return_attention_scores", "use_causal_mask", "attention_mask")
MULTI_HEAD_TENSORS = ("query", "value", "key")


def _is_tensor(item: Item) -> bool:
    """A Keras tensor as a call's config writes it: {"class_name": "__keras_tensor__", "config": {…}}."""
    value = item.value
    return isinstance(value, dict) and isinstance(value.get("class_name"), Item) \
        and value["class_name"].value == "__keras_tensor__" and isinstance(value.get("config"), Item) \
        and isinstance(value["config"].value, dict)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class _ConfigReader:
    def __init__(self, where: str, keras_version: str | None, source: str):
        self.where, self.keras_version, self.source = where, keras_version, source
        self.free_names: dict[tuple[str, int], str] = {}  # (input, axis) → the symbol of its free size

    # -- helpers ---------------------------------------------------------------------------------------
    def refuse(self, title: str, item: Item | None, **details) -> StackError:
        return unreadable(title, item.mark if item is not None else None, **details)

    def field(self, item: Item, key: str, kind: type | tuple, what: str, optional: bool = False) -> Item | None:
        """`item[key]`, checked to be a `kind`."""
        value = item.value.get(key) if isinstance(item.value, dict) else None
        if value is None or (optional and value.value is None):
            if optional:
                return None
            raise self.refuse(f"{what} has no `{key}`", item, expected=f"`{key}` in a Keras 3 config",
                              found="keys " + ", ".join(item.value) if isinstance(item.value, dict) and item.value
                              else describe_value(item.plain()))
        if not isinstance(value.value, kind) or isinstance(value.value, bool) and kind is not bool:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            words = {dict: "a mapping", list: "a list", str: "text"}
            raise self.refuse(f"`{key}` of {what} is not what Keras writes", value,
                              expected=" or ".join(words.get(k, k.__name__) for k in kinds),
                              found=describe_value(value.plain()))
        return value

    # -- the model -------------------------------------------------------------------------------------
    def stack(self, root: Item) -> StackFile:
        not_keras = dict(expected="a Keras 3 model config: {\"class_name\": \"Sequential\" or \"Functional\", "
                                  "\"config\": {…}}, as model.to_json() writes it or a .keras archive holds",
                         fix="save the model with Keras 3: model.save('model.keras') or open(…).write(model.to_json())")
        if not isinstance(root.value, dict) or "class_name" not in root.value or "config" not in root.value:
            found = ("a mapping with keys " + ", ".join(list(root.value)[:8])) if isinstance(root.value, dict) \
                and root.value else describe_value(root.plain())
            raise self.refuse("this JSON is not a Keras model config", root, found=found, **not_keras)
        top = root.value
        version = top.get("keras_version")
        if version is not None and isinstance(version.value, str) and version.value.startswith(("1.", "2.")):
            raise self.refuse(f"this model was saved by Keras {version.value}; shapecli reads Keras 3 configs",
                              version, expected="a config written by Keras 3", found=f"keras_version {version.value}",
                              fix="load it in Keras 3 (keras.models.model_from_json / load_model) and save it "
                                  "again with model.save('model.keras')")
        class_item = self.field(root, "class_name", str, "the model")
        config = self.field(root, "config", dict, "the model")
        kind = class_item.value
        if kind == "Sequential":
            return self.sequential(root, config)
        if kind in ("Functional", "Model") and "input_layers" in config.value:
            return self.functional(root, config)
        if kind in REGISTRY or kind == INPUT_LAYER:
            raise self.refuse(f"this is the config of one {kind} layer, not of a model", class_item,
                              **not_keras)
        if self.custom(root):
            raise self.refuse(
                f"{kind} is a subclassed model: its layers are made by Python code that is not in the file",
                class_item, expected="a Sequential or Functional model (keras.Sequential, keras.Model(inputs, "
                                     "outputs))", found=f"class {kind}" + self.registered(root),
                fix="build the same layers as keras.Model(inputs, outputs) and save that; shapecli never runs code")
        raise self.refuse(f"this JSON is not a Keras model config (class_name {kind!r})", class_item,
                          found=f"class_name {kind!r}", **not_keras)

    def describe(self, kind: str) -> str:
        by = f", saved by Keras {self.keras_version}" if self.keras_version else ""
        return f"{kind} model read from {self.source}{by}"

    def model_name(self, config: Item) -> str | None:
        name = config.value.get("name")
        return name.value if name is not None and isinstance(name.value, str) else None

    def layer_list(self, config: Item) -> list[Item]:
        layers = self.field(config, "layers", list, "the model")
        for layer in layers.value:
            if not isinstance(layer.value, dict) or not isinstance(layer.value.get("class_name"), Item) \
                    or not isinstance(layer.value["class_name"].value, str):
                raise self.refuse("this is not a Keras layer config", layer,
                                  expected='{"class_name": "LSTM", "config": {…}, …}',
                                  found=describe_value(layer.plain()))
        return layers.value

    # -- Sequential -------------------------------------------------------------------------------------
    def sequential(self, root: Item, config: Item) -> StackFile:
        layers = self.layer_list(config)
        shape = None
        if layers and layers[0].value["class_name"].value == INPUT_LAYER:
            shape = self.input_shape(layers[0])
            layers = layers[1:]
        else:
            build = root.value.get("build_config")
            given = build.value.get("input_shape") if build is not None and isinstance(build.value, dict) else None
            if given is None:
                given = config.value.get("build_input_shape")
            if given is not None and isinstance(given.value, list) and given.value:
                shape = Item(given.value[1:], given.mark)
        if shape is None:
            raise self.refuse("the Sequential model has no input shape", config,
                              expected="an InputLayer first (keras.Input(shape=…)), as a built model is saved",
                              found="layers without an InputLayer: the model was never built",
                              fix="start the model with keras.Input(shape=(…)) and save it again")
        if not layers:
            raise self.refuse("the Sequential model has no layers", config, expected="at least one layer",
                              found="only its input")
        entries = [self.entry(layer, keep_name=False) for layer in layers]
        return StackFile(self.where, self.model_name(config), self.describe("Sequential"), {}, {},
                         shape, entries, root.mark)

    def input_shape(self, layer: Item) -> Item:
        """An InputLayer's shape without the batch axis (null: a free size)."""
        config = self.field(layer, "config", dict, f"the InputLayer")
        for key in ("batch_shape", "batch_input_shape"):
            shape = config.value.get(key)
            if shape is not None and isinstance(shape.value, list) and shape.value:
                return Item(shape.value[1:], shape.mark)
        raise self.refuse("the InputLayer has no shape", config, expected="`batch_shape`: [null, …] in its config",
                          found="keys " + ", ".join(config.value))

    # -- one layer --------------------------------------------------------------------------------------
    def custom(self, layer: Item) -> bool:
        module = layer.value.get("module")
        registered = layer.value.get("registered_name")
        kind = layer.value["class_name"].value
        if registered is not None and isinstance(registered.value, str) and registered.value != kind:
            return True
        return module is not None and isinstance(module.value, str) and not module.value.startswith("keras")

    @staticmethod
    def registered(layer: Item) -> str:
        registered = layer.value.get("registered_name")
        module = layer.value.get("module")
        parts = []
        if registered is not None and isinstance(registered.value, str):
            parts.append(f"registered as {registered.value!r}")
        if module is not None and isinstance(module.value, str):
            parts.append(f"from module {module.value!r}")
        return f" ({', '.join(parts)})" if parts else ""

    def entry(self, layer: Item, keep_name: bool, wiring: dict | None = None) -> LayerEntry:
        type_item, args_item = self.layer_args(layer, keep_name)
        return LayerEntry(type_item.value, args_item.value, type_item, args_item, wiring or {})

    def check_layer(self, layer: Item) -> None:
        """Refuse what is not one of Keras' own layers: a model, an operation on tensors, a custom layer."""
        type_item = layer.value["class_name"]
        kind = type_item.value
        if kind in NESTED_MODELS:
            raise self.refuse(f"a {kind} model used as a layer is not covered", type_item,
                              expected="a model whose layers are all Keras layers, side by side",
                              found=f"a {kind} inside the model",
                              fix="explain the inner model on its own (save it separately)")
        module = layer.value.get("module")
        if module is not None and isinstance(module.value, str) and module.value.startswith(("keras.src.ops.",
                                                                                             "keras.ops")):
            raise self.refuse(
                f"{kind} here is an operation on tensors ({module.value}), not a layer", type_item,
                expected="Keras layers: shapecli reads layers only",
                found=f"keras.ops {kind} — what `a + b`, `x * 2` or keras.ops.{snake_case(kind)}(…) on a tensor makes",
                fix="use a layer instead (layers.Add, layers.Multiply, layers.Concatenate …)")
        if kind == INPUT_LAYER:
            raise self.refuse("an InputLayer in the middle of the model", type_item,
                              expected="an InputLayer only as the model's input", found=INPUT_LAYER)
        if self.custom(layer):
            raise self.refuse(
                f"{kind} is a custom layer: its code is not in the file, and shapecli never runs code", type_item,
                expected="Keras' own layers (see the README for those shapecli covers)",
                found=f"the custom layer {kind}" + self.registered(layer),
                fix="describe the model with Keras' layers in a YAML stack file")

    def layer_args(self, layer: Item, keep_name: bool) -> tuple[Item, Item]:
        """A layer's config → (its class name, the arguments shapecli takes), both with their places."""
        type_item = layer.value["class_name"]
        kind = type_item.value
        self.check_layer(layer)
        config = layer.value.get("config")
        cls = REGISTRY.get(kind)
        if config is None or cls is None:  # the engine says it is not covered, where it is named
            return type_item, Item({}, type_item.mark)
        if not isinstance(config.value, dict):
            raise self.refuse(f"the config of {kind} is not a mapping", config, expected="a mapping of arguments",
                              found=describe_value(config.plain()))
        known = cls.all_arguments()
        args, keys = {}, {}
        for key, value in config.value.items():
            arg = known.get(key)
            if arg is None:
                if value.value is None or value.value is False:
                    continue  # an argument shapecli does not know, at a value that changes nothing
                raise self.refuse(
                    f"{kind}: the argument `{key}` is not covered by shapecli", config.keys.get(key, value),
                    expected=f"arguments of {kind} that shapecli explains: "
                             + ", ".join(n for n, a in cls.arguments.items() if a.shown),
                    found=f"{key} = {json.dumps(value.plain())[:60]}",
                    fix="it may change shapes or parameters, so shapecli will not guess; leave it at its default")
            if key == "name":
                if not keep_name:
                    continue
            elif arg.convert is accepted:
                continue  # initializers, regularizers, constraints, dtype …: no shape depends on them
            elif arg.convert is activation_argument:
                value = self.activation(kind, key, value, arg.default)
            elif arg.raw:
                if value.value is None:
                    continue
                value = self.inner_layer(value)
            args[key], keys[key] = value, config.keys[key]
        _tidy(kind, args, keys, layer)
        return type_item, Item(args, config.mark, keys)

    def inner_layer(self, value: Item) -> Item:
        """A wrapped layer's config → `{Name: {arguments}}`, as a stack file writes it."""
        if not isinstance(value.value, dict) or not isinstance(value.value.get("class_name"), Item) \
                or not isinstance(value.value["class_name"].value, str):
            raise self.refuse("a wrapped layer must be a layer config", value,
                              expected='{"class_name": "LSTM", "config": {…}}', found=describe_value(value.plain()))
        type_item, args_item = self.layer_args(value, keep_name=False)
        return Item({type_item.value: args_item}, value.mark, {type_item.value: type_item})

    def activation(self, kind: str, key: str, value: Item, default: Any) -> Item:
        """Keras writes an activation by name, or as a serialized function."""
        given = value.value
        if given is not None and not isinstance(given, (str, dict)):
            raise self.refuse(f"{kind}: `{key}` is not an activation", value,
                              expected="the name of a Keras activation, e.g. \"relu\" or \"softmax\"",
                              found=describe_value(value.plain()))
        if isinstance(given, str):
            if given == "linear" and default is None:
                return Item(None, value.mark)  # Keras writes None as "linear"
            return value
        if isinstance(given, dict):
            plain = value.plain()
            name, module = plain.get("config"), plain.get("module")
            if plain.get("class_name") == "function" and isinstance(name, str) and ">" not in name \
                    and isinstance(module, str) and module.startswith("keras"):
                return Item(name, value.mark)
            inner = plain.get("config")
            if "value" in plain or isinstance(inner, dict) and ("value" in inner or "code" in inner) \
                    or plain.get("class_name") == "__lambda__":
                what = "a Python lambda (stored as code, which shapecli never runs)"
            elif plain.get("class_name") == "function" and isinstance(name, str):
                what = f"the custom function {name!r}" + (f" from module {module!r}" if module else "")
            else:
                what = f"a {plain.get('class_name', 'serialized object')} object"
            raise self.refuse(f"{kind}: `{key}` is {what}", value,
                              expected="the name of a Keras activation, e.g. \"relu\" or \"softmax\"", found=what,
                              fix="use a Keras activation by name, or an Activation layer after it")
        return value

    # -- Functional ---------------------------------------------------------------------------------------
    def functional(self, root: Item, config: Item) -> StackFile:
        layers = self.layer_list(config)
        by_name: dict[str, Item] = {}
        for layer in layers:
            name = self.field(layer, "name", str, f"a {layer.value['class_name'].value} layer")
            if name.value in by_name:
                raise self.refuse(f"two layers of the config are called '{name.value}'", name,
                                  expected="each layer's name once, as Keras saves a model", found=name.value)
            by_name[name.value] = layer
        input_layers = {name: layer for name, layer in by_name.items()
                        if layer.value["class_name"].value == INPUT_LAYER}
        order = self.endpoints(self.field(config, "input_layers", (list, dict), "the model"), "input")
        shapes = {}
        for name, item in order:
            if name not in input_layers:
                raise self.refuse(f"the model's input '{name}' is not an InputLayer of the config", item,
                                  expected="the name of an InputLayer", found=name)
            shapes[name] = self.input_shape(input_layers[name])
        symbols, symbol_marks = self.free_sizes(shapes)

        # every call's tensors get names: a layer's name for its first call's output, then its states
        outputs: dict[tuple[str, int], list[str]] = {(name, 0): [name] for name in input_layers}
        taken = set(by_name)
        calls = []
        for name, layer in by_name.items():
            if name in input_layers:
                continue
            nodes = self.field(layer, "inbound_nodes", list, f"layer '{name}'")
            if not nodes.value:
                raise self.refuse(f"layer '{name}' is never called in the model", nodes,
                                  expected="at least one inbound node", found="none")
            self.check_layer(layer)
            for n, node in enumerate(nodes.value):
                calls.append((name, n, layer, node))
                base = name if n == 0 else self.fresh(f"{name}_call{n + 1}", taken)
                names = [base] + [self.fresh(f"{base}_{state}", taken) for state in self.state_names(layer)]
                outputs[(name, n)] = names
        read = self.referenced(calls, config)
        for key, highest in read.items():  # a tensor index beyond those expected: name it, the engine judges
            while key in outputs and len(outputs[key]) <= highest:
                outputs[key].append(self.fresh(f"{outputs[key][0]}_{len(outputs[key])}", taken))

        entries = []
        for name, n, layer, node in calls:
            kind = layer.value["class_name"].value
            ins, states = self.node_tensors(kind, node, outputs)
            wiring = {"in": Item(ins[0].value, ins[0].mark) if len(ins) == 1 and not self.takes_list(kind)
                      else Item(ins, node.mark),
                      "out": Item([Item(t, node.mark) for t in outputs[(name, n)]], node.mark)}
            if states:
                wiring["initial_state"] = Item(states, node.mark)
            if n == 0:
                entry = self.entry(layer, keep_name=True, wiring=wiring)
                if entry.type_name in REGISTRY:  # the name calls refer to it by (reuse)
                    entry.args["name"] = Item(name, layer.value["name"].mark)
                entries.append(entry)
            else:
                entries.append(LayerEntry("reuse", {}, layer.value.get("name", node), None, wiring, name))
        outs = [Item(outputs[(layer, n)][t] if (layer, n) in outputs and t < len(outputs[(layer, n)]) else
                     self.missing(layer, item), item.mark)
                for (layer, n, t), item in self.endpoints_with_index(config.value.get("output_layers"), "output")]
        inputs = Item({name: self.shape_with_symbols(name, shapes[name], symbols) for name, _ in order},
                      config.value["input_layers"].mark, {name: item for name, item in order})
        return StackFile(self.where, self.model_name(config), self.describe("Functional"), symbols, symbol_marks,
                         None, entries, root.mark, inputs, Item(outs, config.value["output_layers"].mark
                                                                if "output_layers" in config.value else config.mark))

    @staticmethod
    def takes_list(kind: str) -> bool:
        cls = REGISTRY.get(kind)
        return cls is not None and cls.takes_list

    @staticmethod
    def fresh(name: str, taken: set) -> str:
        found, k = name, 1
        while found in taken:
            k += 1
            found = f"{name}_{k}"
        taken.add(found)
        return found

    def state_names(self, layer: Item) -> list[str]:
        """The names of the states a recurrent layer with return_state gives after its output."""
        plain = _mapping(layer.plain())
        kind, config = plain.get("class_name"), _mapping(plain.get("config"))
        if isinstance(kind, str) and kind in RECURRENT_STATES and config.get("return_state") is True:
            return [f"state_{s}" for s in RECURRENT_STATES[kind]]
        inner = _mapping(config.get("layer"))
        inner_kind = inner.get("class_name")
        if kind == "Bidirectional" and isinstance(inner_kind, str) and inner_kind in RECURRENT_STATES \
                and _mapping(inner.get("config")).get("return_state") is True:
            names = RECURRENT_STATES[inner_kind]
            return [f"forward_{s}" for s in names] + [f"backward_{s}" for s in names]
        return []

    def missing(self, layer: str, item: Item) -> str:
        raise self.refuse(f"the config names a tensor of '{layer}' that no layer makes", item,
                          expected="[layer name, node index, tensor index] of a call in the model",
                          found=json.dumps(item.plain()))

    def history(self, item: Item) -> tuple[str, int, int]:
        """[layer name, node index, tensor index] → a checked triple."""
        value = item.plain()
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:])):
            raise self.refuse("this is not a reference to a tensor", item,
                              expected="[layer name, node index, tensor index]", found=json.dumps(value)[:60])
        return value[0], value[1], value[2]

    def endpoints_with_index(self, item: Item | None, what: str) -> list[tuple[tuple[str, int, int], Item]]:
        """`input_layers` / `output_layers`: one triple, a list of them, or a mapping of them."""
        if item is None:
            raise self.refuse(f"the model has no {what}s", None)
        value = item.value
        if isinstance(value, dict):
            entries = list(value.values())
        elif isinstance(value, list) and value and isinstance(value[0].value, str):
            entries = [item]
        elif isinstance(value, list):
            entries = value
        else:
            raise self.refuse(f"the model's {what}s are not what Keras writes", item,
                              expected="[[layer name, node index, tensor index], …]",
                              found=describe_value(item.plain()))
        return [(self.history(entry), entry) for entry in entries]

    def endpoints(self, item: Item, what: str) -> list[tuple[str, Item]]:
        return [(name, entry) for (name, _, _), entry in self.endpoints_with_index(item, what)]

    def referenced(self, calls: list, config: Item) -> dict[tuple[str, int], int]:
        """The highest tensor index read from each call."""
        found: dict[tuple[str, int], int] = {}

        def visit(item: Item) -> None:
            if _is_tensor(item):
                history = item.value["config"].value.get("keras_history") \
                    if isinstance(item.value["config"].value, dict) else None
                if history is not None:
                    layer, node, index = self.history(history)
                    found[(layer, node)] = max(found.get((layer, node), 0), index)
            elif isinstance(item.value, dict):
                for child in item.value.values():
                    visit(child)
            elif isinstance(item.value, list):
                for child in item.value:
                    visit(child)

        for _, _, _, node in calls:
            visit(node)
        output_layers = config.value.get("output_layers")
        if output_layers is not None:
            for (layer, node, index), _ in self.endpoints_with_index(output_layers, "output"):
                found[(layer, node)] = max(found.get((layer, node), 0), index)
        return found

    def tensor_name(self, item: Item, outputs: dict) -> Item:
        config = item.value["config"]
        history = config.value.get("keras_history") if isinstance(config.value, dict) else None
        if history is None:
            raise self.refuse("a tensor without its keras_history", item,
                              expected="the layer, call and output that made it", found="no keras_history")
        layer, node, index = self.history(history)
        names = outputs.get((layer, node))
        if names is None or index >= len(names):
            self.missing(layer, history)
        return Item(names[index], history.mark)

    def tensors(self, item: Item, outputs: dict, what: str) -> list[Item]:
        """A tensor or a (nested) list of tensors → their names."""
        if _is_tensor(item):
            return [self.tensor_name(item, outputs)]
        if isinstance(item.value, list):
            return [name for child in item.value for name in self.tensors(child, outputs, what)]
        raise self.refuse(f"{what} is given a value that is not a tensor", item,
                          expected="tensors made by the model's layers or inputs",
                          found=json.dumps(item.plain())[:60], fix="shapecli reads calls on tensors only")

    def node_tensors(self, kind: str, node: Item, outputs: dict) -> tuple[list[Item], list[Item]]:
        """One call (inbound node) → the tensors it reads and those given as initial_state."""
        if isinstance(node.value, list):
            raise self.refuse("this call is written in Keras 2's format", node,
                              expected="a Keras 3 config: {\"args\": […], \"kwargs\": {…}} per call",
                              found="a list", fix="load the model in Keras 3 and save it again")
        if not isinstance(node.value, dict):
            raise self.refuse("this is not a call of a layer", node, expected='{"args": […], "kwargs": {…}}',
                              found=describe_value(node.plain()))
        args = node.value.get("args", Item([], node.mark))
        kwargs = node.value.get("kwargs", Item({}, node.mark))
        if not isinstance(args.value, list) or not isinstance(kwargs.value, dict) or not args.value:
            raise self.refuse("this call gives its layer no tensor", node, expected='"args": [tensor, …]',
                              found=describe_value(args.plain()))
        recurrent = kind in RECURRENT_STATES or kind == "Bidirectional"
        states: list[Item] = []
        if kind == "MultiHeadAttention":
            given = dict(zip(MULTI_HEAD_TENSORS, args.value))
            if len(args.value) > len(MULTI_HEAD_TENSORS):
                raise self.refuse("MultiHeadAttention is called with too many tensors", args.value[3],
                                  expected="query, value and key", found=f"{len(args.value)} arguments")
            for key in MULTI_HEAD_TENSORS:
                if key in kwargs.value and kwargs.value[key].value is not None:
                    given[key] = kwargs.value[key]
            ins = [name for key in MULTI_HEAD_TENSORS if key in given
                   for name in self.tensors(given[key], outputs, f"{kind}'s {key}")]
        elif self.takes_list(kind):
            ins = [name for arg in args.value for name in self.tensors(arg, outputs, kind)]
        else:
            ins = self.tensors(args.value[0], outputs, kind)
            if len(ins) != 1:
                raise self.refuse(f"{kind} is called on {len(ins)} tensors", args.value[0],
                                  expected="one tensor", found=f"a list of {len(ins)}")
            extra = args.value[1:]
            if recurrent and extra:
                states, extra = self.tensors(extra[0], outputs, f"{kind}'s initial_state"), extra[1:]
            if extra:
                raise self.refuse(f"{kind} is called with more than its input", extra[0],
                                  expected="one tensor" + (" and initial_state" if recurrent else ""),
                                  found=json.dumps(extra[0].plain())[:60])
        for key, value in kwargs.value.items():
            if key == "initial_state" and recurrent:
                if value.value is not None:
                    states = self.tensors(value, outputs, f"{kind}'s initial_state")
            elif kind == "MultiHeadAttention" and key in MULTI_HEAD_TENSORS:
                continue
            elif value.value is None or value.value is False or key == "training":
                continue
            elif key == "mask" and isinstance(value.value, list) and all(v.value is None for v in value.value):
                continue
            else:
                masks = key.endswith("mask")
                what = f"masks given by hand ({key}=…)" if masks else f"the call argument `{key}`"
                raise self.refuse(
                    f"{kind} is called with {what}, which shapecli does not cover", kwargs.keys[key],
                    expected="calls on tensors" + (", with initial_state" if recurrent else ""),
                    found=f"{key} = {self.call_value(value)}",
                    fix="shapecli follows the padding mask of Embedding(mask_zero=True); other masks are not covered"
                    if masks else "call the layer on its tensors alone")
        return ins, states

    def call_value(self, item: Item) -> str:
        """A call argument in words: the tensors it holds (by the layer that makes each), or its JSON."""
        made_by = []

        def visit(value: Item) -> None:
            if _is_tensor(value):
                history = value.value["config"].value.get("keras_history") \
                    if isinstance(value.value["config"].value, dict) else None
                made_by.append(str(history.plain()[0]) if history is not None and isinstance(history.value, list)
                               and history.value else "?")
            elif isinstance(value.value, list):
                for child in value.value:
                    visit(child)

        visit(item)
        if made_by:
            return f"the tensor{'s' if len(made_by) > 1 else ''} of " + ", ".join(made_by)
        text = json.dumps(item.plain())
        return text if len(text) <= 60 else text[:59] + "…"

    def free_sizes(self, shapes: dict[str, Item]) -> tuple[dict, dict]:
        """Free sizes (null) of several inputs are independent in Keras: each gets a symbol of its own
        (`<input>_steps` on the first axis), unless there is only one."""
        free = [(name, axis, size) for name, shape in shapes.items() for axis, size in enumerate(shape.value, 1)
                if size.value is None]
        if len(free) <= 1:
            return {}, {}
        symbols, marks = {}, {}
        for name, axis, size in free:
            base = re.sub(r"\W", "_", re.sub(r"_inputs?$", "", name))  # encoder_inputs → encoder_steps
            if not SYMBOL_NAME.match(base):
                base = f"input_{base}"
            symbol = self.fresh(f"{base}_steps" if axis == 1 else f"{base}_dim{axis}", set(symbols) | {"batch"})
            symbols[symbol], marks[symbol] = None, size.mark
            self.free_names[(name, axis)] = symbol
        return symbols, marks

    def shape_with_symbols(self, name: str, shape: Item, symbols: dict) -> Item:
        names = self.free_names
        return Item([Item(names[(name, axis)], size.mark) if (name, axis) in names else size
                     for axis, size in enumerate(shape.value, 1)], shape.mark)
