"""Reading a learner's Keras script: Python text -> the StackFile the YAML reader would give.

The script is parsed with `ast` and read by a small abstract interpreter that knows imports, module-level
sizes, layers, tensors and models, and nothing else: NOTHING in the file is ever imported, executed or
evaluated by Python. Every value the stack needs is built as an `Item` carrying a `Mark` into the .py
file, so the engine's errors point into the script (line, caret under the call or the argument) exactly
as they point into a stack file.

What is read: imports of Keras (Keras 3, Keras 2 module paths, tf.keras, aliases, `*`), integer sizes with
simple arithmetic (the value at the point of use), tuples, lists and dicts of them; `Sequential` (a list,
or `add`), `Input`, layers called on tensors (`a, h, c = lstm(x)`, `initial_state=`, a layer called twice
shares its weights), `Model(inputs, outputs)`, functions that build a model and are called at module
level, and `compile` (the loss and the optimizer, for the lints). Anything that touches the model and is
not read (a custom layer class, a layer built in a loop, under a condition or in a comprehension, Lambda,
arithmetic on tensors, a model called as a layer) is an error naming it with its line; everything else
(training data, fit, printing, plotting) is ignored.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Mark, StackError, did_you_mean, unreadable
from .stackfile import Item, StackFile, layer_entry

# -- what Keras is made of ----------------------------------------------------------------------
# Positional parameters of each constructor, in Keras 3's order (inspect.signature in Keras 3.15.1).
_RNN_POSITIONAL = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                   "recurrent_initializer", "bias_initializer")
POSITIONAL: dict[str, tuple[str, ...]] = {
    "Dense": ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
              "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Activation": ("activation",),
    "Dropout": ("rate", "noise_shape", "seed"),
    "Flatten": ("data_format",),
    "Reshape": ("target_shape",),
    "Permute": ("dims",),
    "RepeatVector": ("n",),
    "TimeDistributed": ("layer",),
    "SimpleRNN": ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                  "bias_initializer"),
    "LSTM": _RNN_POSITIONAL,
    "GRU": _RNN_POSITIONAL,
    "Bidirectional": ("layer", "merge_mode", "weights", "backward_layer"),
    "Embedding": ("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
                  "embeddings_constraint", "mask_zero", "weights"),
    "Conv1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
               "activation", "use_bias"),
    "MaxPooling1D": ("pool_size", "strides", "padding", "data_format", "name"),
    "GlobalAveragePooling1D": ("data_format", "keepdims"),
    "GlobalMaxPooling1D": ("data_format", "keepdims"),
    "LayerNormalization": ("axis", "epsilon", "center", "scale"),
    "Concatenate": ("axis",),
    "Add": (), "Subtract": (), "Multiply": (), "Average": (), "Maximum": (), "Minimum": (),
    "Dot": ("axes", "normalize"),
    "Attention": ("use_scale", "score_mode", "dropout", "seed"),
    "AdditiveAttention": ("use_scale", "dropout"),
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape",
                           "attention_axes"),
}
INPUT_POSITIONAL = ("shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "name")

ALIASES = {  # Keras 3 exports these names for the same classes
    "Convolution1D": "Conv1D", "MaxPool1D": "MaxPooling1D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
}
KERAS2_ONLY = {  # Keras 2 layers Keras 3 has not: what to write instead
    "CuDNNLSTM": "Keras 3's LSTM uses cuDNN by itself when it can: write LSTM",
    "CuDNNGRU": "Keras 3's GRU uses cuDNN by itself when it can: write GRU (reset_after=True, its default)",
    "Merge": "Keras 1's Merge is gone: use Concatenate, Add, Multiply … called on a list of tensors",
}
MERGE_FUNCTIONS = {"concatenate": "Concatenate", "add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                   "average": "Average", "maximum": "Maximum", "minimum": "Minimum", "dot": "Dot"}
RETURN_STATE_COUNT = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}  # states a recurrent layer gives with return_state

# keras.losses: every name keras.losses.get accepts (Keras 3.15.1's ALL_OBJECTS_DICT, less Loss and its wrapper)
KERAS_LOSSES = (
    "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "Circle", "CosineSimilarity", "Dice", "Hinge", "Huber",
    "KLD", "KLDivergence", "LogCosh", "MAE", "MAPE", "MSE", "MSLE", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "SparseCategoricalCrossentropy", "SquaredHinge", "Tversky", "bce", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
    "circle", "cosine_similarity", "ctc", "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae",
    "mape", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky",
)
LOSS_CANONICAL = {  # a loss as its function name, for the checks against the output
    "CategoricalCrossentropy": "categorical_crossentropy", "SparseCategoricalCrossentropy":
    "sparse_categorical_crossentropy", "BinaryCrossentropy": "binary_crossentropy", "BCE": "binary_crossentropy",
    "bce": "binary_crossentropy", "MSE": "mean_squared_error", "mse": "mean_squared_error",
    "MeanSquaredError": "mean_squared_error", "MAE": "mean_absolute_error", "mae": "mean_absolute_error",
    "MeanAbsoluteError": "mean_absolute_error", "MAPE": "mean_absolute_percentage_error",
    "mape": "mean_absolute_percentage_error", "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MSLE": "mean_squared_logarithmic_error", "msle": "mean_squared_logarithmic_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error", "Huber": "huber", "LogCosh": "log_cosh",
    "KLD": "kl_divergence", "kld": "kl_divergence", "KLDivergence": "kl_divergence",
}
SAME_SHAPE_LOSSES = ("mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                     "mean_squared_logarithmic_error", "huber", "log_cosh", "kl_divergence", "hinge", "squared_hinge",
                     "categorical_hinge", "poisson", "cosine_similarity")
SIZE_ARGS = ("input_shape", "batch_input_shape", "shape", "batch_shape", "target_shape", "input_dim")
BUILTINS = frozenset(dir(builtins))
IMPORT_HINTS = {
    "keras": "import keras", "tf": "import tensorflow as tf", "layers": "from keras import layers",
    "Sequential": "from keras.models import Sequential", "Model": "from keras.models import Model",
    "Input": "from keras.layers import Input", "np": "import numpy as np",
}
MAX_CALL_DEPTH = 20
MAX_INT = 10 ** 15
MAX_ITEMS = 10_000
MAX_STEPS = 200_000  # expressions evaluated: bounds the work on a hostile script


def _registry() -> dict:
    from .layers import REGISTRY

    return REGISTRY


def _keras_names() -> set[str]:
    from .engine import keras_layer_names

    return set(keras_layer_names())


# -- values of the abstract interpreter -----------------------------------------------------------
class Val:
    """A value of the script as far as shapecli can know it; each keeps the node it was written at (`node`)."""


@dataclass(eq=False)
class Const(Val):
    value: Any
    node: ast.AST | None = None


@dataclass(eq=False)
class Seq(Val):
    items: list
    node: ast.AST | None = None
    from_call: bool = False  # the tensors a layer call gives (return_state)


@dataclass(eq=False)
class DictVal(Val):
    items: dict
    node: ast.AST | None = None


@dataclass(eq=False)
class Opaque(Val):
    """A value known only when the script runs (`len(chars)`, `X.shape[1]`, a function's result)."""
    node: ast.AST | None
    source: str
    why: str
    name: str | None = None  # the variable it was first assigned to


@dataclass(eq=False)
class Undefined(Val):
    name: str
    node: ast.AST


@dataclass(eq=False)
class Refused(Val):
    """A construct that is not read: an error wherever the model needs it."""
    title: str
    node: ast.AST | None
    found: str | None = None
    fix: str | None = None


@dataclass(eq=False)
class Ref(Val):
    """A module, class or function reached through the imports, by its canonical dotted path."""
    path: str
    node: ast.AST | None = None


@dataclass(eq=False)
class LayerObj(Val):
    type_name: str
    args: dict  # argument name -> (Val, value node, keyword node or None)
    node: ast.AST  # the constructor call
    name: str
    user_named: bool
    bad: Refused | None = None


@dataclass(eq=False)
class InputDef:
    shape: Val | None
    shape_node: ast.AST | None
    batch_shape: bool
    node: ast.AST
    name: str | None


@dataclass(eq=False)
class CallRec:
    layer: LayerObj
    inputs: list  # [(Tensor, node)]
    as_list: bool
    states: list  # [(Tensor, node)]
    outputs: list  # [Tensor]
    node: ast.AST
    order: int


@dataclass(eq=False)
class Tensor(Val):
    node: ast.AST
    producer: Any  # InputDef or CallRec
    index: int = 0
    var: str | None = None


@dataclass(eq=False)
class InputLayerVal(Val):
    input: InputDef
    node: ast.AST


@dataclass(eq=False)
class SeqModel(Val):
    node: ast.AST
    entries: list = field(default_factory=list)  # [(Val, node)]
    refused: Refused | None = None
    build: tuple | None = None  # model.build(shape): (Val, node)
    compile: dict | None = None
    var: str | None = None


@dataclass(eq=False)
class FuncModel(Val):
    node: ast.AST
    inputs: tuple  # (Val, node)
    outputs: tuple
    compile: dict | None = None
    var: str | None = None


@dataclass(eq=False)
class Method(Val):
    obj: Val
    attr: str
    node: ast.AST


@dataclass(eq=False)
class Function(Val):
    node: ast.FunctionDef


@dataclass(eq=False)
class ClassVal(Val):
    node: ast.ClassDef
    keras_base: str | None


@dataclass(eq=False)
class Builtin(Val):
    name: str
    node: ast.AST | None = None


@dataclass(eq=False)
class LossVal(Val):
    name: str
    from_logits: bool
    node: ast.AST


class _Return(Exception):
    def __init__(self, value: Val):
        self.value = value


class Scope:
    def __init__(self, parent: "Scope | None" = None):
        self.vars: dict[str, Val] = {}
        self.parent = parent

    @property
    def is_module(self) -> bool:
        return self.parent is None


# -- Keras paths -------------------------------------------------------------------------------------
def canonical(path: str) -> str:
    """tensorflow.keras.layers.LSTM, tf_keras.layers.LSTM, keras.src.layers.LSTM -> keras.layers.LSTM."""
    for old in ("tensorflow.python.keras", "tensorflow.keras", "tf_keras", "keras.src"):
        if path == old or path.startswith(old + "."):
            return "keras" + path[len(old):]
    return path


def classify(path: str) -> tuple:
    """What a Keras path names: ('layer', Name), ('input',), ('sequential',), ('model',), …, or ()."""
    parts = path.split(".")
    last = parts[-1]
    if parts[0] == "tensorflow" and len(parts) == 3 and parts[1] in ("nn", "math"):
        return ("activation", last)
    if parts[0] != "keras" or len(parts) == 1:
        return ()
    if last == "Input":
        return ("input",)
    if last == "InputLayer":
        return ("inputlayer",)
    if last == "Sequential":
        return ("sequential",)
    if last in ("Model", "Functional"):
        return ("model",)
    if last in ("load_model", "model_from_json", "model_from_config", "clone_model"):
        return ("load", last)
    sub = parts[1]
    if sub == "layers" and len(parts) >= 3:
        if last[:1].isupper():
            return ("layer", ALIASES.get(last, last))
        if last in MERGE_FUNCTIONS:
            return ("merge", MERGE_FUNCTIONS[last])
        return ()
    if sub == "optimizers" and last[:1].isupper() and "schedules" not in parts:
        return ("optimizer", last)
    if sub == "losses" and len(parts) == 3:
        return ("loss", last)
    if sub == "activations" and len(parts) == 3:
        return ("activation", last)
    return ()


# -- the names a finding is about -------------------------------------------------------------------
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
OPPOSITES = [{"in", "out"}, {"input", "output"}, {"inputs", "outputs"}, {"encoder", "decoder"}, {"enc", "dec"},
             {"src", "tgt"}, {"source", "target"}, {"x", "y"}, {"train", "test"}, {"train", "val"}, {"min", "max"},
             {"first", "last"}, {"start", "end"}, {"h", "c"}, {"left", "right"}, {"forward", "backward"},
             {"fw", "bw"}, {"fwd", "bwd"}, {"query", "key"}, {"key", "value"}, {"q", "k"}, {"k", "v"}, {"pre", "post"},
             {"row", "col"}, {"rows", "cols"}, {"width", "height"}, {"question", "answer"}, {"context", "query"}]


def words(name: str) -> list[str]:
    return [w.lower() for part in name.split("_") for w in _WORD.findall(part)]


def is_typo(wrong: str, right: str) -> bool:
    """Whether `right` is `wrong` spelt correctly (n_hiden / n_hidden), rather than another quantity whose
    name is close (seq_out_length / seq_in_length, encoder_dim / decoder_dim, dense1 / dense2)."""
    if wrong.lower() == right.lower() or wrong.replace("_", "").lower() == right.replace("_", "").lower():
        return True
    a, b = words(wrong), words(right)
    if len(a) != len(b):
        return difflib.SequenceMatcher(None, "".join(a), "".join(b)).ratio() >= 0.85
    differ = [(x, y) for x, y in zip(a, b) if x != y]
    if len(differ) != 1:
        return False
    x, y = differ[0]
    if {x, y} in OPPOSITES or x.isdigit() or y.isdigit() or re.sub(r"\d", "", x) == re.sub(r"\d", "", y):
        return False
    return difflib.SequenceMatcher(None, x, y).ratio() >= 0.75


def finding(level: str, message: str, mark: Mark | None, fix: str | None = None) -> dict:
    return {"level": level, "message": message, "line": mark.line if mark else None,
            "column": mark.column if mark else None, "fix": fix}


def finding_note(f: dict) -> str:
    """A finding as one line, for the notes of an error."""
    where = f" at line {f['line']}" if f.get("line") else ""
    return f"{f['level']}{where}: {f['message']}" + (f" ({f['fix']})" if f.get("fix") else "")


# -- the reader ---------------------------------------------------------------------------------------
class Reader:
    def __init__(self, text: str, path: str):
        self.text, self.path = text, path
        self.lines = re.split(r"\r\n?|\n", text)
        self._encoded: dict[int, bytes] = {}
        try:
            self.tree = ast.parse(text, filename=path)
        except SyntaxError as exc:
            line = exc.lineno or 1
            column = exc.offset or 1
            raise unreadable(f"this is not valid Python: {exc.msg}", Mark(path, line, max(1, column), self.lines),
                             expected="a Python script that builds a Keras model",
                             found=(exc.text or "").strip() or None,
                             fix="shapecli reads the script without running it, but it must parse") from None
        except (RecursionError, MemoryError, ValueError) as exc:
            raise unreadable(f"this Python cannot be read: {exc}", Mark(path, 1, 1, self.lines)) from None
        self.module = Scope()
        self.history: dict[str, list[tuple[Val, ast.AST]]] = {}  # module-level assignments, in order
        self.reads: dict[int, tuple[str, int]] = {}  # id(Name node) -> (name, index into its history)
        self.models: list[tuple[str, Val]] = []  # module-level variables given a model, in order
        self.all_models: list[Val] = []
        self.lints: list[dict] = []
        self.linted: set[int] = set()
        self.star: list[str] = []
        self.order = 0
        self.uids: dict[str, int] = {}
        self.depth = 0
        self.steps = 0
        self.built_by: dict[int, ast.Call | None] = {}
        self.binds_at = self._module_bindings()

    # -- places ----------------------------------------------------------------------------------
    def char_col(self, line: int, byte_col: int) -> int:
        return len(self.line_bytes(line)[:byte_col].decode("utf-8", errors="ignore"))

    def mark(self, node: ast.AST | None) -> Mark | None:
        if node is None or not hasattr(node, "lineno"):
            return None
        line, col = node.lineno, self.char_col(node.lineno, node.col_offset)
        end_line = getattr(node, "end_lineno", None) or line
        if end_line == line and getattr(node, "end_col_offset", None) is not None:
            width = self.char_col(line, node.end_col_offset) - col
        else:
            width = len(self.lines[line - 1].rstrip()) - col if 0 < line <= len(self.lines) else 1
        return Mark(self.path, line, col + 1, self.lines, max(1, width))

    def key_mark(self, keyword: ast.keyword) -> Mark | None:
        mark = self.mark(keyword)
        if mark is not None and keyword.arg:
            mark.width = len(keyword.arg)
        return mark

    def line_bytes(self, line: int) -> bytes:
        if line not in self._encoded:
            self._encoded[line] = self.lines[line - 1].encode("utf-8") if 0 < line <= len(self.lines) else b""
        return self._encoded[line]

    def segment(self, node: ast.AST) -> str | None:
        """The text of `node` as written (ast.get_source_segment re-splits the whole file at every call)."""
        try:
            first, last = node.lineno, node.end_lineno
            start, end = node.col_offset, node.end_col_offset
        except AttributeError:
            return None
        if first is None or last is None or end is None:
            return None
        if first == last:
            return self.line_bytes(first)[start:end].decode("utf-8", errors="replace")
        parts = [self.line_bytes(first)[start:]] + [self.line_bytes(n) for n in range(first + 1, last)] + \
            [self.line_bytes(last)[:end]]
        return "\n".join(part.decode("utf-8", errors="replace") for part in parts)

    def source(self, node: ast.AST | None, limit: int = 60) -> str:
        if node is None:
            return "?"
        text = self.segment(node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def _module_bindings(self) -> dict[str, list[int]]:
        """Every name the module binds at its own level (not inside functions or classes), with the lines."""
        found: dict[str, list[int]] = {}

        def add(name: str, node: ast.AST) -> None:
            found.setdefault(name, []).append(node.lineno)

        def visit(node: ast.AST) -> None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                add(node.name, node)
                return
            if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                return
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        add((alias.asname or alias.name).split(".")[0], node)
                return
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                add(node.id, node)
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(self.tree)
        return found

    def updates(self, name: str, target: ast.AST) -> bool:
        """Whether the assignment at `target` computes `name` from its own value (`n = n + 1`, `n += 1`)."""
        for stmt in ast.walk(self.tree):
            if isinstance(stmt, ast.AugAssign) and stmt.target is target:
                return True
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None and \
                    any(t is target for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])):
                return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt.value))
        return False

    # -- statements ----------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.block(self.tree.body, self.module)
        except RecursionError:
            raise unreadable("the script nests too deeply to read", Mark(self.path, 1, 1, self.lines)) from None

    def block(self, stmts: list, scope: Scope) -> None:
        for stmt in stmts:
            self.statement(stmt, scope)

    def statement(self, stmt: ast.stmt, scope: Scope) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.bind(alias.asname, Ref(canonical(alias.name), stmt), scope, stmt)
                else:
                    top = alias.name.split(".")[0]
                    self.bind(top, Ref(canonical(top), stmt), scope, stmt)
        elif isinstance(stmt, ast.ImportFrom):
            module = ("." * stmt.level) + (stmt.module or "")
            for alias in stmt.names:
                if alias.name == "*":
                    self.star.append(canonical(module))
                else:
                    self.bind(alias.asname or alias.name, Ref(canonical(f"{module}.{alias.name}"), stmt), scope, stmt)
        elif isinstance(stmt, ast.Assign):
            value = self.ev(stmt.value, scope)
            for target in stmt.targets:
                self.assign(target, value, scope, stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.ev(stmt.value, scope), scope, stmt)
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                current = self.ev(ast.copy_location(ast.Name(stmt.target.id, ast.Load()), stmt.target), scope)
                value = self.binop(stmt.op, current, self.ev(stmt.value, scope), stmt)
                self.assign(stmt.target, value, scope, stmt)
        elif isinstance(stmt, ast.Expr):
            self.ev(stmt.value, scope)
        elif isinstance(stmt, ast.If):
            if _is_main_guard(stmt.test):
                self.block(stmt.body, scope)
            else:
                self.not_read(stmt, scope, f"under the `if` at line {stmt.lineno}")
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self.not_read(stmt, scope, f"in the loop at line {stmt.lineno}")
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.block(stmt.body, scope)
            for handler in stmt.handlers:  # the fallback imports (`except ImportError: from keras import …`)
                self.block([s for s in handler.body if isinstance(s, (ast.Import, ast.ImportFrom))], scope)
            self.block(stmt.orelse, scope)
            self.block(stmt.finalbody, scope)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.ev(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, Opaque(item.context_expr, self.source(item.context_expr),
                                                           "the value of a `with`"), scope, stmt)
            self.block(stmt.body, scope)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bind(stmt.name, Function(stmt), scope, stmt)
        elif isinstance(stmt, ast.ClassDef):
            base = None
            for node in stmt.bases:
                value = self.ev(node, scope)
                if isinstance(value, Ref) and classify(value.path)[:1] in (("layer",), ("model",), ("sequential",)):
                    base = value.path.split(".")[-1]
                elif isinstance(value, ClassVal) and value.keras_base:
                    base = value.keras_base
            self.bind(stmt.name, ClassVal(stmt, base), scope, stmt)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.ev(stmt.value, scope) if stmt.value is not None else Const(None, stmt))
        elif type(stmt).__name__ == "Match":
            self.not_read(stmt, scope, f"under the `match` at line {stmt.lineno}")
        # anything else (del, pass, assert, raise, global, …) changes no model

    def not_read(self, stmt: ast.stmt, scope: Scope, where: str) -> None:
        """A loop or a condition: read only when it builds nothing. If it does, whatever it builds is refused;
        the names it assigns are values known only when the script runs."""
        building = self.building_call(stmt, scope)
        kind = "loop" if "loop" in where else "condition"
        if building is not None:
            refused = Refused(f"{self.source(building.func)}(…) at line {building.lineno} is built {where}, which "
                              "shapecli does not read", building,
                              found=f"a layer built {where}: shapecli reads a model without running the script",
                              fix=f"write the layers out one by one, without the {kind}")
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add":
                    owner = self.peek(node.func.value, scope)
                    if isinstance(owner, SeqModel) and owner.refused is None:
                        owner.refused = Refused(refused.title, node, refused.found, refused.fix)
        for name, node in _assigned_names(stmt):
            value = refused if building is not None else Opaque(node, name, f"assigned {where}")
            self.bind(name, value, scope, stmt)

    def building_call(self, tree: ast.AST, scope: Scope, seen: set | None = None) -> ast.Call | None:
        """The first call inside `tree` that builds a layer, a tensor or a model (looked up, not run)."""
        seen = seen if seen is not None else set()
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for node in calls:  # a layer's own constructor first: `LSTM(…)` rather than the `model.add(…)` around it
            value = self.peek(node.func, scope)
            if isinstance(value, Ref) and classify(value.path)[:1] in (("layer",), ("merge",)):
                return node
        for node in calls:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("add", "pop"):
                if isinstance(self.peek(func.value, scope), SeqModel):
                    return node
            value = self.peek(func, scope)
            if isinstance(value, Ref) and classify(value.path)[:1] in (
                    ("layer",), ("input",), ("inputlayer",), ("sequential",), ("model",), ("merge",)):
                return node
            if isinstance(value, (LayerObj, SeqModel, FuncModel)):
                return node
            if isinstance(value, ClassVal) and value.keras_base:
                return node
            if isinstance(value, Function) and id(value.node) not in seen:
                seen.add(id(value.node))
                known = self.built_by.get(id(value.node), False)
                if known is not False:
                    if known is not None:
                        return node
                elif self.building_call(value.node, self.module, seen) is not None:
                    return node
        return None

    def builds(self, func: Function) -> ast.Call | None:
        """building_call of a function's body, once per function."""
        key = id(func.node)
        if key not in self.built_by:
            self.built_by[key] = self.building_call(func.node, self.module)
        return self.built_by[key]

    def peek(self, node: ast.AST, scope: Scope) -> Val | None:
        """A name or attribute's value, looked up without recording anything (for `building_call`)."""
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scope)
            if found is None:
                return self.star_lookup(node.id)
            return found
        if isinstance(node, ast.Attribute):
            base = self.peek(node.value, scope)
            if isinstance(base, Ref):
                return Ref(canonical(f"{base.path}.{node.attr}"))
        return None

    # -- names ----------------------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> Val | None:
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return None

    def star_lookup(self, name: str) -> Val | None:
        for module in self.star:
            path = f"{module}.{name}"
            kind = classify(path)
            if kind and (kind[0] != "layer" or name in _registry() or name in _keras_names() or name in ALIASES
                         or name in KERAS2_ONLY or name == "Lambda"):
                return Ref(path)
        return None

    def bind(self, name: str, value: Val, scope: Scope, stmt: ast.AST, target: ast.AST | None = None) -> None:
        if isinstance(value, Opaque) and value.name is None:
            value = Opaque(value.node, value.source, value.why, name)
        if isinstance(value, Tensor) and value.var is None:
            value.var = name
        if isinstance(value, Seq) and value.from_call:
            for i, tensor in enumerate(value.items):
                if isinstance(tensor, Tensor) and tensor.var is None:
                    tensor.var = f"{name}_{i}"
        if isinstance(value, (SeqModel, FuncModel)) and scope.is_module:
            if value.var is None:
                value.var = name
            self.models.append((name, value))
        scope.vars[name] = value
        if scope.is_module:
            self.history.setdefault(name, []).append((value, target or stmt))

    def assign(self, target: ast.AST, value: Val, scope: Scope, stmt: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value, scope, stmt, target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for sub, part in zip(target.elts, self.unpack(value, target)):
                self.assign(sub.value if isinstance(sub, ast.Starred) else sub, part, scope, stmt)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope, stmt)
        # attributes and subscripts (`self.x = …`, `d[k] = …`) bind no name the model reads

    def unpack(self, value: Val, target: ast.Tuple | ast.List) -> list[Val]:
        n = len(target.elts)
        starred = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
        if isinstance(value, Seq):
            items = value.items
            if starred and len(items) >= n - 1:
                i = starred[0]
                rest = len(items) - (n - 1)
                return items[:i] + [Seq(items[i:i + rest], value.node)] + items[i + rest:]
            if len(items) == n:
                return list(items)
            if value.from_call:
                call = items[0].producer if items and isinstance(items[0], Tensor) else None
                what = f"{call.layer.type_name}(return_state=True)" if call else "the layer"
                refused = Refused(f"{what} gives {len(items)} tensors, unpacked into {n} names", target,
                                  found=f"{n} names for {len(items)} tensors",
                                  fix=_state_fix(call.layer.type_name if call else "", len(items)))
            else:
                refused = Refused(f"{len(items)} values unpacked into {n} names", target,
                                  found=self.source(value.node), fix="Python raises ValueError here")
            return [refused] * n
        if isinstance(value, Tensor) and isinstance(value.producer, CallRec):
            layer = value.producer.layer
            refused = Refused(f"{layer.type_name} gives one tensor, unpacked into {n} names", target,
                              found=f"{n} names for one tensor",
                              fix="return_state=True makes a recurrent layer give its states as well"
                              if layer.type_name in RETURN_STATE_COUNT or layer.type_name == "Bidirectional" else None)
            return [refused] * n
        if isinstance(value, (Undefined, Refused)):
            return [value] * n
        return [Opaque(e, f"{self.source(value.node)}[{i}]", "a part of a value known only when the script runs")
                for i, e in enumerate(target.elts)]

    # -- expressions ----------------------------------------------------------------------------------
    def ev(self, node: ast.AST, scope: Scope) -> Val:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise unreadable("the script is too large to read", self.mark(node),
                             expected=f"at most {MAX_STEPS:,} expressions read (functions count each time they "
                                      "are called)", found="more", fix="explain a smaller script")
        method = getattr(self, "ev_" + type(node).__name__, None)
        if method is None:
            building = self.building_call(node, scope)
            if building is not None:
                return Refused(f"{self.source(building.func)}(…) at line {building.lineno} is built inside "
                               f"`{self.source(node, 40)}`, which shapecli does not read", building,
                               found=f"a layer built in a {_kind_of(node)}",
                               fix="write the layers out one by one")
            return Opaque(node, self.source(node), "computed when the script runs")
        return method(node, scope)

    def ev_Constant(self, node: ast.Constant, scope: Scope) -> Val:
        return Const(node.value, node)

    def ev_Name(self, node: ast.Name, scope: Scope) -> Val:
        name = node.id
        s = scope
        while s is not None:
            if name in s.vars:
                if s.is_module and name in self.history:
                    self.reads[id(node)] = (name, len(self.history[name]) - 1)
                return s.vars[name]
            s = s.parent
        if name in BUILTINS:
            return Builtin(name, node)
        found = self.star_lookup(name)
        if found is not None:
            return Ref(found.path, node)
        return Undefined(name, node)

    def ev_Attribute(self, node: ast.Attribute, scope: Scope) -> Val:
        base = self.ev(node.value, scope)
        if isinstance(base, Ref):
            return Ref(canonical(f"{base.path}.{node.attr}"), node)
        if isinstance(base, (Undefined, Refused)):
            return base
        if isinstance(base, Tensor) and node.attr == "shape":
            producer = base.producer
            if isinstance(producer, InputDef) and isinstance(producer.shape, Seq):  # keras.Input: batch, then shape
                items = producer.shape.items if producer.batch_shape else [Const(None, node)] + producer.shape.items
                return Seq(list(items), node)
            return Opaque(node, self.source(node), "the shape of a tensor a layer makes, known when the model is built")
        if isinstance(base, (SeqModel, FuncModel, LayerObj, Seq, Tensor)):
            return Method(base, node.attr, node)
        return Opaque(node, self.source(node), "computed when the script runs")

    def ev_Subscript(self, node: ast.Subscript, scope: Scope) -> Val:
        base = self.ev(node.value, scope)
        index = self.ev(node.slice, scope)
        if isinstance(base, (Undefined, Refused)):
            return base
        if isinstance(base, Seq) and isinstance(index, Const) and isinstance(index.value, int) \
                and not isinstance(index.value, bool):
            if -len(base.items) <= index.value < len(base.items):
                return base.items[index.value]
        if isinstance(base, Seq) and isinstance(node.slice, ast.Slice):
            bounds = [self.ev(part, scope) if part is not None else Const(None) for part in
                      (node.slice.lower, node.slice.upper, node.slice.step)]
            if all(isinstance(b, Const) and (b.value is None or isinstance(b.value, int)) for b in bounds):
                try:
                    return Seq(base.items[slice(*(b.value for b in bounds))], node)
                except ValueError:
                    pass
        if isinstance(base, DictVal) and isinstance(index, Const) and index.value in base.items:
            return base.items[index.value]
        if isinstance(base, Tensor):
            return Refused(f"`{self.source(node)}` slices a tensor, which shapecli does not read", node,
                           found="a tensor operation outside a layer",
                           fix="use a layer for it (e.g. return_sequences=False for the last step, or Reshape)")
        if isinstance(base, Method):
            return self.model_attribute(base)
        return Opaque(node, self.source(node), "computed when the script runs")

    def ev_Tuple(self, node: ast.Tuple, scope: Scope) -> Val:
        return self.sequence(node, scope)

    ev_List = ev_Tuple

    def sequence(self, node: ast.Tuple | ast.List, scope: Scope) -> Val:
        items = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                inner = self.ev(element.value, scope)
                if isinstance(inner, Seq):
                    items.extend(inner.items)
                else:
                    items.append(inner if isinstance(inner, (Undefined, Refused)) else
                                 Opaque(element, self.source(element), "computed when the script runs"))
            else:
                items.append(self.ev(element, scope))
        return Seq(items, node)

    def ev_Dict(self, node: ast.Dict, scope: Scope) -> Val:
        items = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                inner = self.ev(value, scope)
                if isinstance(inner, DictVal):
                    items.update(inner.items)
                else:
                    return Opaque(node, self.source(node), "computed when the script runs")
                continue
            k = self.ev(key, scope)
            if not isinstance(k, Const):
                return Opaque(node, self.source(node), "computed when the script runs")
            items[k.value] = self.ev(value, scope)
        return DictVal(items, node)

    def ev_BinOp(self, node: ast.BinOp, scope: Scope) -> Val:
        return self.binop(node.op, self.ev(node.left, scope), self.ev(node.right, scope), node)

    def binop(self, op: ast.operator, left: Val, right: Val, node: ast.AST) -> Val:
        for side in (left, right):
            if isinstance(side, (Undefined, Refused)):
                return side
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}.get(type(op), "an operator")
            layer = {ast.Add: "keras.layers.Add()([a, b])", ast.Sub: "keras.layers.Subtract()([a, b])",
                     ast.Mult: "keras.layers.Multiply()([a, b])"}.get(type(op))
            return Refused(f"`{self.source(node)}` is arithmetic on tensors ({symbol}), which shapecli does not read",
                           node, found="a tensor operation outside a layer",
                           fix=f"write it as a layer: {layer}" if layer else "write it as a layer")
        if isinstance(left, Const) and isinstance(right, Const):
            a, b = left.value, right.value
            numbers = all(isinstance(v, (int, float)) for v in (a, b))
            try:
                if numbers and isinstance(op, ast.Pow) and abs(b) > 64:
                    raise OverflowError
                if isinstance(op, ast.Mult) and any(isinstance(v, (str, bytes)) for v in (a, b)) and \
                        any(isinstance(v, int) and abs(v) > MAX_ITEMS for v in (a, b)):
                    raise OverflowError
                result = _OPERATORS[type(op)](a, b) if type(op) in _OPERATORS else None
            except (ArithmeticError, TypeError, ValueError):
                result = None
            if result is not None and (not isinstance(result, (int, float)) or abs(result) <= MAX_INT) \
                    and (not isinstance(result, str) or len(result) <= MAX_ITEMS):
                return Const(result, node)
        if isinstance(left, Seq) and isinstance(right, Seq) and isinstance(op, ast.Add) \
                and len(left.items) + len(right.items) <= MAX_ITEMS:
            return Seq(left.items + right.items, node)
        if isinstance(op, ast.Mult):
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, Seq) and isinstance(times, Const) and isinstance(times.value, int) \
                        and 0 <= times.value * len(seq.items) <= MAX_ITEMS:
                    return Seq(seq.items * times.value, node)
        return Opaque(node, self.source(node), "computed when the script runs")

    def ev_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Val:
        value = self.ev(node.operand, scope)
        if isinstance(value, Const) and isinstance(value.value, (int, float)):
            if isinstance(node.op, ast.USub):
                return Const(-value.value, node)
            if isinstance(node.op, ast.UAdd):
                return Const(+value.value, node)
            if isinstance(node.op, ast.Not):
                return Const(not value.value, node)
        if isinstance(value, (Undefined, Refused)):
            return value
        return Opaque(node, self.source(node), "computed when the script runs")

    def ev_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Val:
        value = self.ev(node.value, scope)
        self.assign(node.target, value, scope, node)
        return value

    def ev_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Val:
        return Opaque(node, self.source(node), "a text made when the script runs")

    def ev_Call(self, node: ast.Call, scope: Scope) -> Val:
        func = self.ev(node.func, scope)
        args: list[tuple[Val, ast.AST]] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                inner = self.ev(arg.value, scope)
                if isinstance(inner, Seq):
                    args.extend((item, item.node or arg) for item in inner.items)
                else:
                    args.append((Refused(f"`*{self.source(arg.value)}` passes arguments shapecli cannot see", arg,
                                         fix="write the arguments out"), arg))
            else:
                args.append((self.ev(arg, scope), arg))
        kwargs: dict[str, tuple[Val, ast.AST, ast.keyword]] = {}
        spread: Refused | None = None
        for keyword in node.keywords:
            value = self.ev(keyword.value, scope)
            if keyword.arg is None:
                if isinstance(value, DictVal) and all(isinstance(k, str) for k in value.items):
                    for k, v in value.items.items():
                        kwargs[k] = (v, v.node or keyword.value, keyword)
                else:
                    spread = Refused(f"`**{self.source(keyword.value)}` passes arguments shapecli cannot see",
                                     keyword, found="keyword arguments from a dictionary known only when the "
                                     "script runs", fix="write the arguments out: `units=128, …`")
            else:
                kwargs[keyword.arg] = (value, keyword.value, keyword)
        return self.call(func, node, args, kwargs, spread, scope)

    def call(self, func: Val, node: ast.Call, args: list, kwargs: dict, spread: Refused | None,
             scope: Scope) -> Val:
        if isinstance(func, Ref):
            kind = classify(func.path)
            what = kind[0] if kind else None
            if what == "layer":
                return self.make_layer(kind[1], node, args, kwargs, spread)
            if what in ("input", "inputlayer"):
                return self.make_input(node, args, kwargs, what == "inputlayer")
            if what == "sequential":
                return self.make_sequential(node, args, kwargs)
            if what == "model":
                return self.make_model(node, args, kwargs)
            if what == "merge":
                layer_kwargs = {k: v for k, v in kwargs.items() if k not in ("inputs",)}
                inputs = args[:1] or ([kwargs["inputs"][:2]] if "inputs" in kwargs else [])
                layer = self.make_layer(kind[1], node, args[1:], layer_kwargs, spread)
                if isinstance(layer, LayerObj):
                    return self.call_layer(layer, node, inputs, {})
                return layer
            if what == "optimizer":
                self.lint_optimizer(kind[1], node, kwargs)
                return Opaque(node, self.source(node), "an optimizer")
            if what == "loss":
                logits = kwargs.get("from_logits")
                return LossVal(kind[1], bool(isinstance(logits and logits[0], Const) and logits[0].value), node)
            if what == "load":
                return Refused(f"`{self.source(node)}` loads a model from a file, which shapecli does not read",
                               node, found="a model that exists only when the script runs",
                               fix="explain the script that builds and saves the model")
            return Opaque(node, self.source(node), "computed when the script runs")
        if isinstance(func, LayerObj):
            return self.call_layer(func, node, args, kwargs)
        if isinstance(func, (SeqModel, FuncModel)):
            return Refused(f"`{self.source(node)}` calls the model `{func.var or 'model'}` as a layer, which "
                           "shapecli does not read", node, found="a model inside a model",
                           fix="write its layers out in this model, or explain each model on its own (--model NAME)")
        if isinstance(func, Method):
            return self.method_call(func, node, args, kwargs)
        if isinstance(func, Function):
            return self.call_function(func, node, args, kwargs, scope)
        if isinstance(func, ClassVal):
            if func.keras_base:
                return Refused(f"`{func.node.name}` (line {func.node.lineno}) is a custom {_base_kind(func.keras_base)} "
                               f"class (it subclasses {func.keras_base}), which shapecli does not read", node,
                               found=f"{func.node.name}(…), whose shapes its Python code decides",
                               fix="build the model with keras.Sequential or keras.Model(inputs, outputs) from Keras' "
                                   "layers" if _base_kind(func.keras_base) == "model" else
                               "shapecli reads Keras' own layers only; explain the model without it, or write it "
                               "with Keras layers")
            return Opaque(node, self.source(node), "an object made when the script runs")
        if isinstance(func, Builtin):
            return self.call_builtin(func.name, node, args)
        if isinstance(func, (Undefined, Refused)):
            return func
        if isinstance(func, Tensor):
            return Refused(f"`{self.source(node)}` calls a tensor", node)
        if isinstance(func, Opaque) and func.node is not None:
            return Opaque(node, self.source(node), f"it calls `{func.name or func.source}`, {func.why} (line "
                                                   f"{func.node.lineno})")
        return Opaque(node, self.source(node), "computed when the script runs")

    def call_builtin(self, name: str, node: ast.Call, args: list) -> Val:
        values = [value for value, _ in args]
        for value in values:
            if isinstance(value, (Undefined, Refused)):
                return value
        consts = [v.value for v in values if isinstance(v, Const)]
        try:
            if name == "len" and len(values) == 1:
                if isinstance(values[0], Seq):
                    return Const(len(values[0].items), node)
                if isinstance(values[0], DictVal):
                    return Const(len(values[0].items), node)
                if len(consts) == 1 and isinstance(consts[0], str):
                    return Const(len(consts[0]), node)
            elif len(consts) == len(values) and values:
                if name in ("int", "float", "abs", "round", "bool", "str") and len(consts) <= 2:
                    return Const(getattr(builtins, name)(*consts), node)
                if name in ("max", "min") and len(consts) >= 2:
                    return Const(getattr(builtins, name)(consts), node)
            if name in ("tuple", "list") and len(values) == 1 and isinstance(values[0], Seq):
                return Seq(list(values[0].items), node)
            if name in ("max", "min", "sum") and len(values) == 1 and isinstance(values[0], Seq) \
                    and all(isinstance(v, Const) for v in values[0].items) and values[0].items:
                return Const(getattr(builtins, name)(v.value for v in values[0].items), node)
        except (TypeError, ValueError, OverflowError):
            pass
        if name == "print":
            return Const(None, node)
        return Opaque(node, self.source(node), "computed when the script runs")

    def call_function(self, func: Function, node: ast.Call, args: list, kwargs: dict, scope: Scope) -> Val:
        """A function of the script is read only when it builds a model or layers: then its body is read
        with its parameters bound (still nothing is run). Any other function's result is opaque."""
        definition = func.node
        if self.builds(func) is None:
            return Opaque(node, self.source(node), f"returned by {definition.name}() (line {definition.lineno})")
        if self.depth >= MAX_CALL_DEPTH:
            return Refused(f"{definition.name}() calls itself too deeply to read", node)
        local = Scope(self.module)
        params = definition.args
        positional = params.posonlyargs + params.args
        defaults = dict(zip([p.arg for p in positional][len(positional) - len(params.defaults):], params.defaults))
        defaults.update({p.arg: d for p, d in zip(params.kwonlyargs, params.kw_defaults) if d is not None})
        for i, param in enumerate(positional):
            if i < len(args):
                local.vars[param.arg] = args[i][0]
            elif param.arg in kwargs:
                local.vars[param.arg] = kwargs[param.arg][0]
            elif param.arg in defaults:
                local.vars[param.arg] = self.ev(defaults[param.arg], self.module)
            else:
                local.vars[param.arg] = Refused(f"{definition.name}() is called without `{param.arg}`", node)
        if params.vararg is not None:
            local.vars[params.vararg.arg] = Seq([a for a, _ in args[len(positional):]], node)
        for param in params.kwonlyargs:
            if param.arg in kwargs:
                local.vars[param.arg] = kwargs[param.arg][0]
            elif param.arg in defaults:
                local.vars[param.arg] = self.ev(defaults[param.arg], self.module)
        if params.kwarg is not None:
            names = {p.arg for p in positional + params.kwonlyargs}
            local.vars[params.kwarg.arg] = DictVal({k: v[0] for k, v in kwargs.items() if k not in names}, node)
        self.depth += 1
        try:
            self.block(definition.body, local)
        except _Return as returned:
            return returned.value
        finally:
            self.depth -= 1
        return Const(None, node)

    # -- Keras objects ---------------------------------------------------------------------------
    def next_name(self, type_name: str) -> str:
        from .graph import snake_case

        prefix = snake_case(type_name)
        n = self.uids.get(prefix, 0)
        self.uids[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    def make_layer(self, type_name: str, node: ast.Call, args: list, kwargs: dict, spread: Refused | None) -> Val:
        registry = _registry()
        if type_name == "Lambda":
            return Refused(f"Lambda at line {node.lineno} runs Python code on the tensor, which shapecli does not "
                           "read", node, found=f"`{self.source(node)}`",
                           fix="write what it does with Keras layers (Reshape, Permute, RepeatVector, …), or explain "
                               "the model up to it")
        if type_name in ("Layer", "RNN", "Wrapper") and type_name not in registry:
            return Refused(f"{type_name}(…) at line {node.lineno} is not a layer shapecli can read", node,
                           found=f"`{self.source(node)}`", fix="use one of Keras' layers: " + ", ".join(sorted(registry)))
        if type_name in KERAS2_ONLY:
            return Refused(f"{type_name} is a Keras 2 layer that Keras 3 does not have", node,
                           found=f"`{self.source(node)}`", fix=KERAS2_ONLY[type_name])
        names = POSITIONAL.get(type_name, ())
        bound: dict[str, tuple] = {}
        bad = spread
        for i, (value, value_node) in enumerate(args):
            if i >= len(names):
                if type_name in registry:
                    bad = bad or Refused(f"{type_name} takes at most {len(names)} positional argument"
                                         f"{'s' if len(names) != 1 else ''}, and is given {len(args)}", value_node,
                                         found=f"`{self.source(value_node)}`",
                                         fix="name the argument: `argument=value`")
                break
            bound[names[i]] = (value, value_node, None)
        for key, (value, value_node, keyword) in kwargs.items():
            if key in bound and type_name in registry:
                bad = bad or Refused(f"{type_name} is given `{key}` twice", keyword,
                                     found="a positional argument and a keyword one", fix=f"give `{key}` once")
            bound[key] = (value, value_node, keyword)
        user = bound.get("name")
        user_named = user is not None and isinstance(user[0], Const) and isinstance(user[0].value, str)
        name = user[0].value if user_named else self.next_name(type_name)
        if user is not None and not user_named:
            del bound["name"]
        return LayerObj(type_name, bound, node, name, user_named, bad)

    def make_input(self, node: ast.Call, args: list, kwargs: dict, layer: bool) -> Val:
        bound: dict[str, tuple] = {}
        for i, (value, value_node) in enumerate(args):
            if i < len(INPUT_POSITIONAL):
                bound[INPUT_POSITIONAL[i]] = (value, value_node)
        for key, (value, value_node, _) in kwargs.items():
            bound[key] = (value, value_node)
        batch = False
        if "shape" in bound:
            shape, shape_node = bound["shape"]
        elif "batch_shape" in bound:
            (shape, shape_node), batch = bound["batch_shape"], True
        elif "input_shape" in bound:  # Keras 2's InputLayer(input_shape=…)
            shape, shape_node = bound["input_shape"]
        elif "batch_input_shape" in bound:
            (shape, shape_node), batch = bound["batch_input_shape"], True
        else:
            shape, shape_node = None, None
        name = bound.get("name", (None,))[0]
        definition = InputDef(shape, shape_node, batch, node,
                              name.value if isinstance(name, Const) and isinstance(name.value, str) else None)
        if layer:
            return InputLayerVal(definition, node)
        return Tensor(node, definition)

    def make_sequential(self, node: ast.Call, args: list, kwargs: dict) -> Val:
        model = SeqModel(node)
        self.all_models.append(model)
        given = args[0] if args else (kwargs["layers"][:2] if "layers" in kwargs else None)
        if given is not None:
            value, value_node = given
            if isinstance(value, Seq):
                literal = isinstance(value_node, (ast.List, ast.Tuple)) and len(value_node.elts) == len(value.items) \
                    and not any(isinstance(e, ast.Starred) for e in value_node.elts)
                model.entries = [(item, value_node.elts[i] if literal else (item.node or value_node))
                                 for i, item in enumerate(value.items)]
            elif isinstance(value, Refused):
                model.refused = value
            elif isinstance(value, Undefined):
                model.entries = [(value, value_node)]
            elif not (isinstance(value, Const) and value.value is None):
                model.refused = Refused(f"the layers of this Sequential, `{self.source(value_node)}`, are known only "
                                        "when the script runs", value_node, fix="write the list of layers out")
        return model

    def make_model(self, node: ast.Call, args: list, kwargs: dict) -> Val:
        def given(position: int, *names: str):
            if len(args) > position:
                return args[position]
            for key in names:
                if key in kwargs:
                    return kwargs[key][:2]
            return None

        inputs, outputs = given(0, "inputs", "input"), given(1, "outputs", "output")
        if inputs is None or outputs is None:
            return Refused(f"`{self.source(node)}` is a Model without {'inputs' if inputs is None else 'outputs'}",
                           node, found="a subclassed or unfinished Model",
                           fix="build it as keras.Model(inputs, outputs), the functional way")
        model = FuncModel(node, inputs, outputs)
        self.all_models.append(model)
        return model

    def call_layer(self, layer: LayerObj, node: ast.Call, args: list, kwargs: dict) -> Val:
        if layer.bad is not None:
            return layer.bad
        takes_list = layer.type_name in _registry() and _registry()[layer.type_name].takes_list
        given = list(args)
        for key in ("inputs", "query", "value", "key"):
            if key in kwargs:
                given.append(kwargs[key][:2])
        states = None
        for key, (value, value_node, keyword) in kwargs.items():
            if key in ("inputs", "query", "value", "key", "training"):
                continue
            if key == "initial_state":
                states = (value, value_node)
                continue
            return Refused(f"the call argument `{key}=` at line {keyword.lineno} is not read by shapecli", keyword,
                           found=f"`{self.source(keyword)}`",
                           fix="shapecli reads a layer called on its input(s), with initial_state for a recurrent layer")
        if not given:
            return Refused(f"{layer.type_name} is called on nothing", node, fix="call it on a tensor: layer(x)")
        if len(given) > 1 and not takes_list:
            if layer.type_name in RETURN_STATE_COUNT and states is None:
                states = (Seq([v for v, _ in given[1:]], given[1][1]), given[1][1])
            else:
                return Refused(f"{layer.type_name} is called on {len(given)} arguments", node,
                               fix="call it on one tensor")
        if len(given) == 1:
            value, value_node = given[0]
            as_list = isinstance(value, Seq)
            pieces = self.tensors(value, value_node)
        else:
            as_list = True
            pieces = []
            for value, value_node in given:
                found = self.tensors(value, value_node)
                if isinstance(found, Val):
                    return found
                pieces.extend(found)
        if isinstance(pieces, Val):
            return pieces
        if as_list and not takes_list and len(pieces) == 1:
            as_list = False
        state_pieces: list = []
        if states is not None:
            state_pieces = self.tensors(*states)
            if isinstance(state_pieces, Val):
                return state_pieces
        self.order += 1
        record = CallRec(layer, pieces, as_list, state_pieces, [], node, self.order)
        count = self.output_count(layer)
        record.outputs = [Tensor(node, record, i) for i in range(count)]
        if count == 1:
            return record.outputs[0]
        return Seq(list(record.outputs), node, from_call=True)

    def tensors(self, value: Val, node: ast.AST) -> "list | Val":
        """The tensors a layer is called on: [(Tensor, node)], or the value that stops it (refused, undefined)."""
        if isinstance(value, Tensor):
            return [(value, node)]
        if isinstance(value, Seq):
            literal = isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) == len(value.items)
            found = []
            for i, item in enumerate(value.items):
                inner = self.tensors(item, node.elts[i] if literal else (item.node or node))
                if isinstance(inner, Val):
                    return inner
                found.extend(inner)
            return found
        if isinstance(value, (Undefined, Refused)):
            return value
        if isinstance(value, Method):
            return self.model_attribute(value)
        return Refused(f"`{self.source(node)}` is not a tensor shapecli can follow", node,
                       found=f"a {_describe(value)}",
                       fix="call layers on keras.Input(…) tensors or on the tensors other layers give")

    def model_attribute(self, method: Method) -> Refused:
        owner = method.obj
        what = "model" if isinstance(owner, (SeqModel, FuncModel)) else _describe(owner)
        return Refused(f"`{self.source(method.node)}` reads a {what}'s {method.attr} back, which shapecli does not "
                       "read", method.node, found="tensors or layers taken from a built model",
                       fix="use the tensors and layers themselves (the variables they were assigned to)")

    def output_count(self, layer: LayerObj) -> int:
        def returns_state(obj: LayerObj) -> bool:
            given = obj.args.get("return_state")
            return given is not None and isinstance(given[0], Const) and given[0].value is True

        if layer.type_name in RETURN_STATE_COUNT and returns_state(layer):
            return 1 + RETURN_STATE_COUNT[layer.type_name]
        if layer.type_name == "Bidirectional":
            inner = layer.args.get("layer")
            if inner is not None and isinstance(inner[0], LayerObj) and inner[0].type_name in RETURN_STATE_COUNT \
                    and returns_state(inner[0]):
                return 1 + 2 * RETURN_STATE_COUNT[inner[0].type_name]
        return 1

    def method_call(self, method: Method, node: ast.Call, args: list, kwargs: dict) -> Val:
        owner, attr = method.obj, method.attr
        if isinstance(owner, SeqModel):
            if attr == "add":
                entry = args[0] if args else (kwargs["layer"][:2] if "layer" in kwargs else None)
                if entry is not None:
                    owner.entries.append(entry)
                return Const(None, node)
            if attr == "pop":
                owner.refused = owner.refused or Refused(f"`{self.source(node)}` removes a layer, which shapecli "
                                                         "does not read", node, fix="leave the layer out instead")
                return Const(None, node)
            if attr == "build":
                given = args[0] if args else (kwargs["input_shape"][:2] if "input_shape" in kwargs else None)
                owner.build = given
                return Const(None, node)
        if isinstance(owner, (SeqModel, FuncModel)) and attr == "compile":
            order = ("optimizer", "loss", "loss_weights", "metrics")
            given = {name: args[i] for i, name in enumerate(order) if i < len(args)}
            given.update({k: v[:2] for k, v in kwargs.items()})
            owner.compile = {"loss": given.get("loss"), "optimizer": given.get("optimizer"), "node": node}
            return Const(None, node)
        if isinstance(owner, Seq) and attr in ("append", "extend", "insert"):
            if attr == "append" and len(args) == 1:
                owner.items.append(args[0][0])
            elif attr == "extend" and len(args) == 1 and isinstance(args[0][0], Seq):
                owner.items.extend(args[0][0].items)
            elif attr == "insert" and len(args) == 2 and isinstance(args[0][0], Const):
                owner.items.insert(args[0][0].value, args[1][0])
            return Const(None, node)
        if isinstance(owner, (SeqModel, FuncModel)):
            return Opaque(node, self.source(node), "computed when the script runs")
        return Opaque(node, self.source(node), "computed when the script runs")

    def lint_optimizer(self, name: str, node: ast.Call, kwargs: dict) -> None:
        if id(node) in self.linted:
            return
        self.linted.add(id(node))
        if "lr" in kwargs:
            keyword = kwargs["lr"][2]
            value = self.source(keyword.value)
            self.lints.append(finding(
                "note", f"`lr=` is Keras 2's name for `learning_rate`: Keras 3's {name} refuses it "
                        f"(ValueError: Argument(s) not recognized: {{'lr': {value}}})", self.key_mark(keyword),
                f"write `learning_rate={value}`"))
        if "decay" in kwargs:
            keyword = kwargs["decay"][2]
            self.lints.append(finding(
                "note", f"`decay=` is Keras 2's: Keras 3's {name} ignores it (UserWarning: Argument `decay` is no "
                        "longer supported and will be ignored)", self.key_mark(keyword),
                "use a learning-rate schedule, e.g. keras.optimizers.schedules.InverseTimeDecay"))


_OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
              ast.FloorDiv: lambda a, b: a // b, ast.Div: lambda a, b: a / b, ast.Mod: lambda a, b: a % b,
              ast.Pow: lambda a, b: a ** b}


def _is_main_guard(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__" \
        and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant) \
        and test.comparators[0].value == "__main__"


def _assigned_names(stmt: ast.AST) -> list[tuple[str, ast.AST]]:
    found = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append((node.id, node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.extend(((a.asname or a.name).split(".")[0], node) for a in node.names if a.name != "*")
    return found


def _kind_of(node: ast.AST) -> str:
    return {"ListComp": "list comprehension", "GeneratorExp": "generator expression", "DictComp":
            "dict comprehension", "SetComp": "set comprehension", "Lambda": "lambda", "IfExp": "conditional expression"
            }.get(type(node).__name__, type(node).__name__)


def _base_kind(base: str) -> str:
    return "model" if base in ("Model", "Sequential", "Functional") else "layer"


def _describe(value: Val) -> str:
    return {Const: "constant", Seq: "list", DictVal: "dict", Opaque: "value known only when the script runs",
            Ref: "module or class", LayerObj: "layer (not called on a tensor)", SeqModel: "model", FuncModel: "model",
            Function: "function", ClassVal: "class", Builtin: "Python built-in", Method: "method",
            LossVal: "loss", InputLayerVal: "InputLayer"}.get(type(value), type(value).__name__)


def _state_fix(type_name: str, count: int) -> str:
    names = {"LSTM": "output, state_h, state_c", "GRU": "output, state", "SimpleRNN": "output, state"}
    if type_name in names:
        return f"unpack {count} names: `{names[type_name]} = …`"
    return f"unpack {count} names"


# -- from the chosen model to Items ----------------------------------------------------------------
@dataclass
class Role:
    """Where a value goes: a layer's argument (the element `index` of a shape), or an input's shape."""

    what: str  # "LSTM at line 14", "the input `x` (line 3)"
    type_name: str | None
    arg: str
    index: int | None = None
    rank: int | None = None


class Builder:
    """The chosen model as the Items of a stack file. Problems (a name never defined, a construct not read)
    are gathered, so that the first can be raised with all the other findings about the file."""

    def __init__(self, reader: Reader):
        self.r = reader
        self.problems: list[StackError] = []
        self.reported: set[int] = set()
        self.symbols: dict[str, int | None] = {}
        self.symbol_marks: dict[str, Mark] = {}
        self.free: dict[int, str] = {}  # id(Opaque) -> its symbol
        self.free_notes: list[dict] = []
        self.uses: list[tuple] = []  # (name, history index, role, the name's node, the value's node)

    # -- problems ---------------------------------------------------------------------------------
    def problem(self, value: Val) -> None:
        if id(value) in self.reported:
            return
        self.reported.add(id(value))
        if isinstance(value, Undefined):
            self.problems.append(self.undefined(value))
        elif isinstance(value, Refused):
            self.problems.append(unreadable(value.title, self.r.mark(value.node), found=value.found, fix=value.fix))

    def fail(self, title: str, node: ast.AST | None, **details) -> None:
        self.problems.append(unreadable(title, self.r.mark(node), **details))

    def undefined(self, value: Undefined) -> StackError:
        r, name, node = self.r, value.name, value.node
        line = node.lineno
        later = [n for n in r.binds_at.get(name, []) if n > line]
        mark = r.mark(node)
        if later:
            return unreadable(f"`{name}` is used at line {line} before it is defined (line {later[0]})", mark,
                              expected=f"`{name}` assigned above line {line}",
                              found=f"its first assignment at line {later[0]}, after this use",
                              fix=f"move `{name} = …` (line {later[0]}) above line {line}")
        keras_name = name in _registry() or name in _keras_names() or name in IMPORT_HINTS
        guess = None if keras_name else did_you_mean(name, [n for n in r.module.vars if n != name])
        notes: list[str] = []
        fix = None
        if guess is not None and is_typo(name, guess):
            fix = f"did you mean `{guess}`?"
        elif guess is not None:
            value_of = r.module.vars.get(guess)
            lines = r.binds_at.get(guess)
            shown = f"= {_shown(value_of)}, " if isinstance(value_of, (Const, Seq)) else ""
            where = f" ({shown}line {lines[-1]})" if lines else ""
            notes.append(f"`{guess}`{where} is a different size, not a misspelling of `{name}`: using it would build "
                         "a different model, so it is not suggested")
        if fix is None:
            if name in _registry() or name in _keras_names():
                fix = f"import it: `from keras.layers import {name}`"
            elif name in IMPORT_HINTS:
                fix = f"import it: `{IMPORT_HINTS[name]}`"
            else:
                fix = f"define it above line {line}: `{name} = …` with the size you mean"
        error = unreadable(f"`{name}` is never defined", mark, expected=f"a name assigned or imported above line {line}",
                           found=f"`{name}`: no assignment, import or definition in {Path(r.path).name}", fix=fix)
        error.notes.extend(notes)
        return error

    # -- values -> Items ----------------------------------------------------------------------------
    def item(self, value: Val, node: ast.AST | None, role: Role) -> Item:
        r = self.r
        mark = r.mark(node) if node is not None else r.mark(value.node)
        self.record_uses(node, role)
        if isinstance(value, Const):
            v = value.value
            return Item(v if isinstance(v, (int, float, str, bool)) or v is None else repr(v), mark)
        if isinstance(value, Seq):
            literal = isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == len(value.items) \
                and not any(isinstance(e, ast.Starred) for e in node.elts)
            items = []
            for i, element in enumerate(value.items):
                where = node.elts[i] if literal else (element.node if element.node is not None else node)
                items.append(self.item(element, where, Role(role.what, role.type_name, role.arg, i, len(value.items))))
            return Item(items, mark)
        if isinstance(value, Opaque):
            if self.takes_size(role):
                return Item(self.symbol(value), mark)
            self.fail(f"`{self.r.source(node or value.node)}` is known only when the script runs, and `{role.arg}` of "
                      f"{role.what} needs its value", node or value.node,
                      expected=f"a value written in the script for `{role.arg}`",
                      found=f"`{value.source}`" + (f" (line {value.node.lineno})" if value.node is not None else "")
                      + (f": {value.why}" if value.why != "computed when the script runs" else ""),
                      fix=f"write the value: `{role.arg}=…`")
            return Item(None, mark)
        if isinstance(value, (Undefined, Refused)):
            self.problem(value)
            return Item(None, mark)
        if isinstance(value, Ref):
            kind = classify(value.path)
            if kind and kind[0] == "activation":
                return Item(kind[1], mark)
            return Item(r.source(node), mark)
        if isinstance(value, LayerObj):
            if role.arg in ("layer", "backward_layer"):
                return self.layer_item(value)
            self.fail(f"a layer is given as `{role.arg}` of {role.what}", node, found=f"`{r.source(node)}`",
                      fix=f"give `{role.arg}` a value")
            return Item(None, mark)
        if self.ignored_argument(role):
            return Item(r.source(node), mark)
        if isinstance(value, DictVal):
            return Item({k: self.item(v, v.node, role) for k, v in value.items.items() if isinstance(k, str)}, mark)
        if isinstance(value, Method):
            self.problem(r.model_attribute(value))
            return Item(None, mark)
        self.fail(f"`{role.arg}` of {role.what} is given a {_describe(value)}", node,
                  found=f"`{r.source(node)}`", fix=f"give `{role.arg}` a value written in the script")
        return Item(None, mark)

    def ignored_argument(self, role: Role) -> bool:
        from .layers.base import accepted

        cls = _registry().get(role.type_name or "")
        if cls is None or role.arg in SIZE_ARGS:
            return False
        arg = cls.all_arguments().get(role.arg)
        return arg is not None and arg.convert is accepted

    def takes_size(self, role: Role) -> bool:
        """Whether a value known only at run time can stand as a free size here (a shape, or an argument
        that takes a number): elsewhere (booleans, names, activations) it cannot."""
        if role.arg in SIZE_ARGS or role.index is not None:
            return True
        cls = _registry().get(role.type_name or "")
        if cls is None:
            return True
        arg = cls.all_arguments().get(role.arg)
        return arg is None or _takes_size(arg.convert)

    def symbol(self, value: Opaque) -> str:
        if id(value) in self.free:
            return self.free[id(value)]
        base = value.name or re.sub(r"\W+", "_", value.source).strip("_") or "size"
        if not re.match(r"[A-Za-z_]", base):
            base = "n_" + base
        if base == "batch":
            base = "batch_size"
        name = base
        k = 2
        while name in self.symbols:
            name = f"{base}_{k}"
            k += 1
        self.free[id(value)] = name
        self.symbols[name] = None
        mark = self.r.mark(value.node)
        if mark is not None:
            self.symbol_marks[name] = mark
        line = f" (line {value.node.lineno})" if value.node is not None else ""
        shown = f"`{value.name}` = `{value.source}`" if value.name and value.name != value.source else f"`{value.source}`"
        self.free_notes.append(finding(
            "note", f"{shown}{line} is known only when the script runs ({value.why}), and shapecli never runs it: "
                    f"it stays a free size, `{name}`",
            mark, f"write the number (e.g. `{value.name or name} = 40`) to see it in the shapes"))
        return name

    def record_uses(self, node: ast.AST | None, role: Role) -> None:
        """The module-level names read to make this value (a tuple written out records its elements' own)."""
        if node is None or isinstance(node, (ast.Tuple, ast.List)):
            return
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and id(sub) in self.r.reads:
                name, index = self.r.reads[id(sub)]
                self.uses.append((name, index, role, node if isinstance(node, ast.Name) else sub, node))

    def layer_item(self, layer: LayerObj, extra: dict | None = None) -> Item:
        r = self.r
        if layer.bad is not None:
            self.problem(layer.bad)
        what = f"the {layer.type_name} at line {layer.node.lineno}"
        if "batch_input_shape" in layer.args and layer.type_name in _registry():
            value, value_node, keyword = layer.args["batch_input_shape"]
            shape = _shown(Seq(value.items[1:])) if isinstance(value, Seq) and len(value.items) > 1 else "(…)"
            self.problems.append(unreadable(
                f"{layer.type_name} has no argument `batch_input_shape`",
                r.key_mark(keyword) if keyword is not None else r.mark(value_node),
                expected="Keras 3's layers take no input shape with a batch size",
                found=f"`{r.source(keyword or value_node)}` (Keras 2)",
                fix=f"Keras 3 refuses batch_input_shape on a layer: start the model with keras.Input(shape={shape}), "
                    "the batch axis left out (or keras.Input(batch_shape=…) for a fixed batch)"))
        args: dict[str, Item] = {}
        keys: dict[str, Item] = {}
        for key, (value, value_node, keyword) in layer.args.items():
            args[key] = self.item(value, value_node, Role(what, layer.type_name, key))
            keys[key] = Item(key, r.key_mark(keyword) if keyword is not None else r.mark(value_node))
        for key, value in (extra or {}).items():
            args[key] = Item(value, r.mark(layer.node))
        call = r.mark(layer.node)
        return Item({layer.type_name: Item(args, call, keys)}, call, {layer.type_name: Item(layer.type_name, call)})

    def shape_item(self, definition: InputDef, what: str) -> Item | None:
        r = self.r
        shape, node = definition.shape, definition.shape_node
        if shape is None:
            self.fail(f"{what} has no shape", definition.node, expected="keras.Input(shape=(steps, features))",
                      found=f"`{r.source(definition.node)}`", fix="give it shape=(…), the batch axis left out")
            return None
        if isinstance(shape, Const) and isinstance(shape.value, int):
            self.fail(f"{what}: shape={shape.value} is a number, and Keras 3 needs a tuple", node,
                      expected="a tuple of sizes", found=f"{shape.value} (Keras 3: Cannot convert '{shape.value}' to "
                      "a shape)", fix=f"write shape=({shape.value},)")
            return None
        if isinstance(shape, Opaque):
            self.fail(f"{what}: its shape `{shape.source}` is known only when the script runs", node,
                      expected="a tuple of sizes written in the script (a size may be a variable)",
                      found=f"`{r.source(node)}`" + (f" ({shape.why})" if shape.why else ""),
                      fix="write the tuple out: shape=(steps, features), with names for the sizes")
            return None
        if not isinstance(shape, Seq):
            self.item(shape, node, Role(what, None, "shape"))
            if not isinstance(shape, (Undefined, Refused)):
                self.fail(f"{what}: its shape must be a tuple of sizes", node, found=f"`{r.source(node)}`")
            return None
        item = self.item(shape, node, Role(what, None, "shape"))
        if definition.batch_shape:
            if not item.value:
                self.fail(f"{what}: batch_shape is empty", node)
                return None
            item = Item(item.value[1:], item.mark)
        if not item.value:
            self.fail(f"{what}: its shape is empty", node, expected="at least one size besides the batch")
            return None
        return item

    # -- a Sequential ------------------------------------------------------------------------------
    def sequential(self, name: str, model: SeqModel) -> StackFile:
        r = self.r
        if model.refused is not None:
            self.problem(model.refused)
        input_item = None
        layers: list[Item] = []
        for i, (value, node) in enumerate(model.entries):
            if isinstance(value, Tensor) and isinstance(value.producer, InputDef) or isinstance(value, InputLayerVal):
                definition = value.producer if isinstance(value, Tensor) else value.input
                if i != 0:
                    self.fail("an Input must be the first entry of a Sequential", node, found=f"`{r.source(node)}` "
                              f"as entry {i + 1}", fix="move it to the front")
                    continue
                input_item = self.shape_item(definition, f"the input of `{name}`")
            elif isinstance(value, LayerObj):
                layers.append(self.layer_item(value))
            elif isinstance(value, (Undefined, Refused)):
                self.problem(value)
            elif isinstance(value, (SeqModel, FuncModel)):
                self.fail(f"`{r.source(node)}` adds a model as a layer, which shapecli does not read", node,
                          found="a model inside a model", fix="add its layers one by one")
            elif isinstance(value, Tensor):
                self.fail(f"`{r.source(node)}` is a tensor: a Sequential takes layers", node,
                          found="a layer already called on a tensor", fix="add the layer itself, not its output")
            else:
                found = f"a {_describe(value)}" + (f": {value.why}" if isinstance(value, Opaque) else "")
                self.fail(f"`{r.source(node)}` is not a layer shapecli can read", node, found=found,
                          fix="a Sequential takes Keras layers, written out")
        if model.build is not None and input_item is None:
            value, node = model.build
            if isinstance(value, Seq) and value.items:
                whole = self.item(value, node, Role(f"`{name}.build`", None, "input_shape"))
                input_item = Item(whole.value[1:], whole.mark)
        if not layers and not self.problems:
            self.fail(f"the model `{name}` has no layers", model.node, found=f"`{r.source(model.node)}`",
                      fix="add layers: model.add(…) or Sequential([…])")
        if self.problems:
            return None
        entries = [layer_entry(item) for item in layers]
        if input_item is None and not self.has_input_argument(entries[0]):
            first = entries[0]
            fix = "start the model with keras.Input(shape=(steps, features)) (the batch axis left out)"
            if first.type_name == "Embedding":
                length = first.args.get("input_length")
                fix = (f"Keras 3 ignores input_length: start the model with keras.Input(shape=({length.value},))"
                       if length is not None and isinstance(length.value, int) else
                       "start the model with keras.Input(shape=(steps,)): the token ids of each sample")
            self.fail(f"the model `{name}` never says its input shape", model.node,
                      expected="keras.Input(shape=…) first, or input_shape=… on the first layer (Keras 2 style)",
                      found=f"{first.type_name} first, with no input shape: Keras 3 cannot build (nor count) it",
                      fix=fix)
            return None
        return StackFile(r.path, name, f"Sequential `{name}` (line {model.node.lineno} of {Path(r.path).name})",
                         self.symbols, self.symbol_marks, input_item, entries, r.mark(model.node))

    @staticmethod
    def has_input_argument(entry) -> bool:
        own = _registry()[entry.type_name].arguments if entry.type_name in _registry() else {}
        return any(key in entry.args and key not in own for key in ("input_shape", "input_dim", "batch_input_shape"))

    # -- a functional Model ----------------------------------------------------------------------------
    def functional(self, name: str, model: FuncModel) -> StackFile | None:
        r = self.r
        ins = r.tensors(*model.inputs)
        outs = r.tensors(*model.outputs)
        for found in (ins, outs):
            if isinstance(found, Val):
                self.problem(found)
        if self.problems:
            return None
        declared = []
        for tensor, node in ins:
            if not isinstance(tensor.producer, InputDef):
                self.fail(f"`{r.source(node)}` is among the inputs of `{name}`, but it is not a keras.Input", node,
                          found="a tensor a layer gives", fix="a Model's inputs are the keras.Input(…) tensors")
            elif tensor not in [t for t, _ in declared]:
                declared.append((tensor, node))
        if self.problems:
            return None
        needed: dict[int, CallRec] = {}
        reached: list[Tensor] = []
        pending = [t for t, _ in outs]
        while pending:
            tensor = pending.pop()
            producer = tensor.producer
            if isinstance(producer, InputDef):
                if tensor not in reached:
                    reached.append(tensor)
                continue
            if id(producer) in needed:
                continue
            needed[id(producer)] = producer
            pending.extend(t for t, _ in producer.inputs + producer.states)
        for tensor in reached:
            if tensor not in [t for t, _ in declared]:
                self.fail(f"the outputs of `{name}` need the input `{tensor.var or 'input'}` (line "
                          f"{tensor.node.lineno}), which is not among its inputs", model.inputs[1],
                          expected="every keras.Input the outputs are computed from, in `inputs`",
                          found=f"inputs {r.source(model.inputs[1])}",
                          fix=f"add {tensor.var or 'it'} to the inputs (Keras: 'Graph disconnected')")
        calls = sorted(needed.values(), key=lambda c: c.order)
        taken: set[str] = set()
        names: dict[int, str] = {}

        def tensor_name(tensor: Tensor, fallback: str) -> str:
            if id(tensor) not in names:
                base = tensor.var if tensor.var and tensor.var != "_" else fallback
                from .graph import unique

                names[id(tensor)] = unique(base, taken)
                taken.add(names[id(tensor)])
            return names[id(tensor)]

        read = {id(t) for c in calls for t, _ in c.inputs + c.states} | {id(t) for t, _ in outs}
        inputs_value, inputs_keys = {}, {}
        for tensor, node in declared:
            definition = tensor.producer
            label = tensor_name(tensor, definition.name or "input")
            shape = self.shape_item(definition, f"the input `{label}`")
            inputs_value[label] = shape if shape is not None else Item([], r.mark(definition.node))
            inputs_keys[label] = Item(label, r.mark(definition.node))
        entries: list[Item] = []
        built: set[int] = set()
        layer_names: dict[int, str] = {}
        for call in calls:
            layer = call.layer
            if layer.bad is not None:
                self.problem(layer.bad)
                continue
            outputs = []
            for i, tensor in enumerate(call.outputs):
                if tensor.var == "_" and id(tensor) not in read:
                    outputs.append("_")
                else:
                    outputs.append(tensor_name(tensor, layer.name if i == 0 else f"{layer.name}_{i}"))
            value: dict[str, Item] = {}
            keys: dict[str, Item] = {}
            at = r.mark(call.node)
            if id(layer) in built:
                value["reuse"] = Item(layer_names[id(layer)], at)
                keys["reuse"] = Item("reuse", at)
            else:
                built.add(id(layer))
                layer_names[id(layer)] = layer.name
                inner = self.layer_item(layer, None if layer.user_named else {"name": layer.name})
                (type_name, args_item), = inner.value.items()
                value[type_name] = args_item
                keys[type_name] = Item(type_name, at)
            tensors = [Item(tensor_name(t, "tensor"), r.mark(node)) for t, node in call.inputs]
            value["in"] = Item(tensors, at) if call.as_list else tensors[0]
            value["out"] = Item([Item(n, at) for n in outputs], at)
            if call.states:
                value["initial_state"] = Item([Item(tensor_name(t, "state"), r.mark(node)) for t, node in call.states],
                                              at)
            entries.append(Item(value, at, keys))
        outputs_item = Item([Item(tensor_name(t, "output"), r.mark(node)) for t, node in outs], r.mark(model.outputs[1]))
        if self.problems:
            return None
        if not entries:
            self.fail(f"the model `{name}` has no layers between its inputs and its outputs", model.node)
            return None
        inputs_item = Item(inputs_value, r.mark(model.inputs[1]), inputs_keys)
        stack = StackFile(r.path, name, f"functional Model `{name}` (line {model.node.lineno} of {Path(r.path).name})",
                          self.symbols, self.symbol_marks, None, [layer_entry(e, graph=True) for e in entries],
                          r.mark(model.node), inputs_item, outputs_item)
        return stack

    # -- findings about the values used ------------------------------------------------------------
    def reassigned(self) -> list[dict]:
        r = self.r
        found = []
        by_name: dict[str, list] = {}
        for name, index, role, node, whole in self.uses:
            by_name.setdefault(name, []).append((index, role, node, whole))
        for name, uses in by_name.items():
            history = [(v, n) for v, n in r.history.get(name, []) if isinstance(v, (Const, Seq, Opaque))]
            if len(history) < 2 or any(r.updates(name, n) for _, n in history[1:]):
                continue  # fewer than two, or `n = n + 1`: a value computed from the one before is meant
            shown = [_shown(v) for v, _ in history]
            if len(set(shown)) < 2:
                continue
            all_assignments = r.history[name]
            first_use = min(uses, key=lambda u: (u[2].lineno, u[2].col_offset))
            index, role, node, whole = first_use
            value, where = all_assignments[index]
            others = sorted({_shown(v) for v, _ in history if _shown(v) != _shown(value)})
            listing = ", then ".join(f"{_shown(v)} at line {n.lineno}" for v, n in history)
            count = "twice" if len(history) == 2 else f"{len(history)} times"
            effect = _effect(role, name, whole, _shown(value), " or ".join(others))
            message = (f"`{name}` is assigned {count}: {listing}. The model uses it at line {node.lineno}, where it is "
                       f"{_shown(value)} (from line {where.lineno}): {effect}")
            lines = [n.lineno for _, n in history]
            wrong = [line for line in lines if line != where.lineno]
            fix = (f"keep one assignment: delete line {wrong[-1]} if {_shown(value)} is right, or line "
                   f"{where.lineno} if not")
            found.append(finding("warning", message, r.mark(history[-1][1]), fix))
        return found


def _takes_size(convert, depth: int = 0) -> bool:
    """Whether an argument converter takes a size (a positive integer), directly or wrapped (`optional`)."""
    from .layers.base import one_positive_int, positive_int

    if convert in (positive_int, one_positive_int):
        return True
    if depth < 3:
        for cell in getattr(convert, "__closure__", None) or ():
            if callable(cell.cell_contents) and _takes_size(cell.cell_contents, depth + 1):
                return True
    return False


def _shown(value: Val) -> str:
    if isinstance(value, Const):
        return repr(value.value)
    if isinstance(value, Seq):
        inner = ", ".join(_shown(v) for v in value.items)
        return f"({inner}{',' if len(value.items) == 1 else ''})"
    if isinstance(value, Opaque):
        return f"`{value.source}`"
    return "?"


def _effect(role: Role, name: str, node: ast.AST, used: str, instead: str) -> str:
    """What the value used does to the model: `the LSTM at line 14 reads 4 steps, not 7`."""
    direct = isinstance(node, ast.Name)
    what = role.what
    if not direct:
        return f"`{role.arg}` of {what} is computed with {name} = {used}, not {instead}"
    if role.arg in ("input_shape", "batch_input_shape", "shape", "batch_shape") and role.index is not None:
        axis = role.index - (1 if role.arg in ("batch_input_shape", "batch_shape") else 0)
        rank = (role.rank or 0) - (1 if role.arg in ("batch_input_shape", "batch_shape") else 0)
        if axis == 0 and rank >= 2:
            return f"{what} reads {used} steps, not {instead}"
        if axis == rank - 1:
            return f"{what} reads {used} features per step, not {instead}"
        return f"axis {axis + 1} of the input of {what} is {used}, not {instead}"
    if role.arg == "units":
        return f"{what} has {used} units, not {instead}"
    if role.arg == "n":
        return f"{what} repeats its input {used} times, not {instead}"
    if role.arg == "filters":
        return f"{what} has {used} filters, not {instead}"
    return f"`{role.arg}` of {what} is {used}, not {instead}"


# -- the entry points ----------------------------------------------------------------------------------
def read_python(text: str, path: str, model: str | None = None) -> StackFile:
    """The StackFile for the Keras model a Python script builds (the one named `model` when it builds
    several), read without running the script. Its `findings` list the lints about the script; a
    problem that stops the reading is raised as a StackError with those findings as its notes."""
    reader = Reader(text, path)
    reader.run()
    name, chosen = choose_model(reader, model)
    builder = Builder(reader)
    compile_info = chosen.compile
    try:
        stack = builder.sequential(name, chosen) if isinstance(chosen, SeqModel) else builder.functional(name, chosen)
    except RecursionError:
        raise unreadable("the model nests too deeply to read", reader.mark(chosen.node)) from None
    findings = list(reader.lints)
    findings += loss_name_findings(reader, compile_info)
    findings += builder.reassigned()
    findings += builder.free_notes
    findings.sort(key=lambda f: (f["line"] or 0, f["column"] or 0))
    if builder.problems:
        error = builder.problems[0]
        for other in builder.problems[1:]:
            error.notes.append(f"error at line {other.mark.line if other.mark else '?'}: {other.title}"
                               + (f" ({other.fix})" if other.fix else ""))
        error.notes.extend(finding_note(f) for f in findings)
        error.findings = [finding("error", e.title, e.mark, e.fix) for e in builder.problems] + findings
        raise error
    stack.findings = findings
    stack.source = "python"
    stack.compile = _compile_summary(reader, compile_info)
    return stack


def read_python_file(path: str, model: str | None = None) -> StackFile:
    from .stackfile import read_text_file

    text = read_text_file(path, "a Python script")
    return read_python(text, path, model)


def choose_model(reader: Reader, wanted: str | None) -> tuple[str, Val]:
    named: list[tuple[str, Val]] = []
    seen: set[int] = set()
    for var, value in reader.models:
        if id(value) not in seen:
            seen.add(id(value))
            named.append((var, value))
    path = Path(reader.path).name

    def listing() -> list[str]:
        return [f"{var}: {_model_kind(m)} at line {m.node.lineno}" + (" (compiled)" if m.compile else "")
                for var, m in named]

    if wanted is not None:
        matches = [(var, m) for var, m in reader.models if var == wanted]
        if matches:
            return matches[-1]
        value = reader.module.vars.get(wanted)
        if isinstance(value, Refused):
            raise unreadable(value.title, reader.mark(value.node), found=value.found, fix=value.fix)
        guess = did_you_mean(wanted, [var for var, _ in named])
        error = unreadable(f"no model called `{wanted}` in {path}", None,
                           expected="the name of a variable the script assigns a model to: "
                                    + (", ".join(var for var, _ in named) or "none"),
                           found=wanted if value is None else f"`{wanted}`, a {_describe(value)}",
                           fix=f"did you mean `{guess}`?" if guess else None)
        error.notes.extend(listing())
        raise error
    if len(named) == 1:
        return named[0]
    if not named and len(reader.all_models) == 1:
        return "model", reader.all_models[0]
    if not named:
        refused = [v for v in reader.module.vars.values() if isinstance(v, Refused) and v.node is not None]
        if refused:  # `model = MyModel()` (a subclassed Model), `model = load_model(…)`
            first = min(refused, key=lambda v: (v.node.lineno, v.node.col_offset))
            raise unreadable(first.title, reader.mark(first.node), found=first.found, fix=first.fix)
        hint = "build it at the top level of the script: model = keras.Sequential([…]) or keras.Model(inputs, outputs)"
        for var, value in reader.module.vars.items():
            if isinstance(value, Function) and reader.builds(value) is not None:
                hint = (f"{var}() (line {value.node.lineno}) builds layers but is never called at the top level: "
                        f"add `model = {var}(…)`")
                break
        raise unreadable(f"{path} builds no Keras model that shapecli can find", Mark(reader.path, 1, 1, reader.lines),
                         expected="a Sequential or a keras.Model assigned to a variable",
                         found="no model assigned at the top level" if not reader.all_models else
                         f"{len(reader.all_models)} models not assigned to variables", fix=hint)
    error = unreadable(f"{path} builds {len(named)} models: choose one with --model NAME", None,
                       expected="--model " + " | ".join(var for var, _ in named),
                       found=", ".join(var for var, _ in named),
                       fix=f"shapecli explain {reader.path} --model {named[0][0]}")
    error.notes.extend(listing())
    raise error


def _model_kind(model: Val) -> str:
    return "Sequential" if isinstance(model, SeqModel) else "functional Model"


def loss_name_findings(reader: Reader, compile_info: dict | None) -> list[dict]:
    if not compile_info or compile_info.get("loss") is None:
        return []
    value, node = compile_info["loss"]
    given = [(value, node)]
    if isinstance(value, Seq):  # one loss per output
        given = [(v, v.node or node) for v in value.items]
    elif isinstance(value, DictVal):
        given = [(v, v.node or node) for v in value.items.values()]
    found = []
    for loss, where in given:
        if isinstance(loss, Const) and isinstance(loss.value, str) and loss.value not in KERAS_LOSSES:
            guess = did_you_mean(loss.value, KERAS_LOSSES)
            found.append(finding("warning", f"'{loss.value}' is not a Keras loss: model.compile raises ValueError "
                                            f"(Could not interpret loss identifier: {loss.value})", reader.mark(where),
                                 f"did you mean '{guess}'?" if guess else "see keras.losses for the names"))
    return found


def _compile_summary(reader: Reader, compile_info: dict | None) -> dict | None:
    """The loss the model is compiled with, as the loss checks need it."""
    if not compile_info or compile_info.get("loss") is None:
        return None
    value, node = compile_info["loss"]
    name, logits = None, False
    if isinstance(value, Const) and isinstance(value.value, str) and value.value in KERAS_LOSSES:
        name = value.value
    elif isinstance(value, LossVal):
        name, logits = value.name, value.from_logits
    elif isinstance(value, Ref) and classify(value.path)[:1] == ("loss",):
        name = classify(value.path)[1]
    if name is None:
        return None
    return {"loss": LOSS_CANONICAL.get(name, name), "written": reader.source(node), "from_logits": logits,
            "mark": reader.mark(node)}


# -- the loss against the output --------------------------------------------------------------------------
PASS_THROUGH = ("Dropout", "Reshape", "Flatten", "Permute")


def loss_findings(stack: StackFile, explanation) -> list[dict]:
    """What the compiled loss means for the model's output: the targets `fit` expects, and a loss that
    does not go with the output's activation."""
    info = getattr(stack, "compile", None)
    if not info:
        return []
    from .shapes import format_shape

    found = []
    for label, shape, step, first in _model_outputs(explanation):
        if not first or isinstance(shape, list):
            continue
        activation = _output_activation(step, explanation)
        loss, mark = info["loss"], info["mark"]
        out = format_shape(shape)
        classes = shape[-1]
        middle = shape[1:-1]
        per = _per_step(middle)
        where = f" `{label}`" if label else ""
        logits = info["from_logits"]
        if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy") \
                and activation in ("linear", None) and not logits:
            cls = {"categorical_crossentropy": "CategoricalCrossentropy", "sparse_categorical_crossentropy":
                   "SparseCategoricalCrossentropy", "binary_crossentropy": "BinaryCrossentropy"}[loss]
            found.append(finding("note", f"the output{where} {out} is linear (no activation), and {loss} expects "
                                         "probabilities", mark,
                                 f"add activation='{'sigmoid' if loss == 'binary_crossentropy' else 'softmax'}' to the "
                                 f"last layer, or use loss=keras.losses.{cls}(from_logits=True)"))
        if loss == "categorical_crossentropy":
            if activation == "softmax" or logits:
                found.append(finding("note", f"categorical_crossentropy on the {'softmax ' if activation == 'softmax' else ''}"
                                             f"output{where} {out} means one-hot targets: fit expects y of shape {out}, "
                                             f"one {classes}-class loss {per}", mark))
            else:
                found.append(finding("note", f"categorical_crossentropy expects each {classes} values of the output"
                                             f"{where} {out} to be probabilities that sum to 1, but its activation is "
                                             f"{activation}: fit expects one-hot y of shape {out}", mark,
                                     "end the model with activation='softmax'"))
        elif loss == "sparse_categorical_crossentropy":
            ids = format_shape(shape[:-1])
            found.append(finding("note", f"sparse_categorical_crossentropy on the {activation or 'linear'} output{where} "
                                         f"{out} wants integer targets: fit expects y of shape {ids} (class ids "
                                         f"0 to {classes - 1 if _known(classes) else str(classes) + '-1'}, not one-hot), "
                                         f"one loss {per}", mark))
        elif loss == "binary_crossentropy":
            if activation == "softmax" and _known(classes) and int(classes.value) == 1:
                found.append(finding("warning", f"softmax over the single value of the output{where} {out} is always "
                                                "1: binary_crossentropy can learn nothing from it", mark,
                                     "use activation='sigmoid' for a yes/no output"))
            elif activation == "softmax":
                found.append(finding("note", f"softmax + binary_crossentropy on {classes} classes: binary_crossentropy "
                                             f"scores each of the {classes} values as its own yes/no, but softmax makes "
                                             f"them compete (they sum to 1); fit expects 0/1 targets y of shape {out}",
                                     mark, "one class per sample: categorical_crossentropy (one-hot y) or "
                                           "sparse_categorical_crossentropy (integer y); several labels per sample: "
                                           "activation='sigmoid'"))
            else:
                found.append(finding("note", f"binary_crossentropy on the output{where} {out}: fit expects 0/1 targets "
                                             f"y of shape {out}, one yes/no loss per value, averaged", mark))
        elif loss in SAME_SHAPE_LOSSES:
            found.append(finding("note", f"{loss} compares the output{where} {out} value by value: fit expects y of "
                                         f"shape {out}", mark))
    return found


def _known(dim) -> bool:
    return getattr(dim, "is_known", False)


def _per_step(middle) -> str:
    if not middle:
        return "per sample, averaged over the batch"
    if len(middle) == 1:
        return f"per step, averaged over the {middle[0]} steps and the batch"
    return "per position, averaged over the positions and the batch"


def _model_outputs(explanation) -> list:
    """(name, shape, the step that makes it, whether it is that step's first output) for each output."""
    if not explanation.stack.is_graph:
        step = explanation.steps[-1]
        return [(None, explanation.output_shape, step, True)]
    found = []
    for name in explanation.outputs:
        for step in explanation.steps:
            if name in step.outputs:
                found.append((name, explanation.tensors[name], step, step.outputs.index(name) == 0))
                break
    return found


def _output_activation(step, explanation) -> str | None:
    """The activation at the end of the model: 'softmax', 'sigmoid', 'linear', …, or None when unknown."""
    seen = 0
    while step is not None and seen < 1000:
        seen += 1
        layer = step.layer
        name = layer.keras_name
        if name == "TimeDistributed":
            layer = layer.layer
            name = layer.keras_name
        if name in ("Activation", "Dense", "Conv1D"):
            return getattr(layer, "activation", None) or "linear"
        if name in ("LSTM", "GRU", "SimpleRNN"):
            return getattr(layer, "activation", None) or "linear"
        if name not in PASS_THROUGH:
            return None
        step = _producer(step, explanation)
    return None


def _producer(step, explanation):
    if not explanation.stack.is_graph:
        return explanation.steps[step.index - 2] if step.index > 1 else None
    if not step.inputs:
        return None
    for other in explanation.steps:
        if step.inputs[0] in other.outputs:
            return other
    return None


def all_findings(stack: StackFile, explanation) -> list[dict]:
    found = list(getattr(stack, "findings", [])) + loss_findings(stack, explanation)
    return sorted(found, key=lambda f: (f["line"] or 0, f["column"] or 0))


def with_findings(error: StackError, stack: StackFile | None) -> StackError:
    """An error the engine raised on a stack read from a script: with the findings about the script as notes,
    and, for a size known only when the script runs, a fix in the script's terms rather than the stack file's."""
    if stack is None or getattr(stack, "source", None) != "python":
        return error
    said = " ".join(text or "" for text in (error.title, error.expected, error.found))
    for name in stack.symbols:
        if stack.symbols[name] is not None:
            continue
        mark = stack.symbol_marks.get(name)
        where = f" (line {mark.line})" if mark else ""
        script_fix = (f"`{name}`{where} is known only when the script runs, and shapecli never runs it: write the "
                      f"number, e.g. `{name} = 57`")
        if error.fix and f"'{name}'" in error.fix and "symbols:" in error.fix:
            error.fix = script_fix
        elif re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", said) and "script runs" not in (error.fix or ""):
            error.fix = f"{error.fix}: {script_fix}" if error.fix else script_fix
    error.title, error.expected, error.found, error.fix = (
        _as_python(text) for text in (error.title, error.expected, error.found, error.fix))
    error.notes = [_as_python(note) for note in error.notes]
    notes = [finding_note(f) for f in getattr(stack, "findings", [])]
    error.notes.extend(note for note in notes if note not in error.notes)
    return error


_YAML_ARGUMENT = re.compile(r"`(\w+): (true|false|null|[\w.+-]+)`")
_PYTHON_VALUES = {"true": "True", "false": "False", "null": "None"}


def _as_python(text: str | None) -> str | None:
    """The engine words its fixes for a stack file (`return_sequences: true`); a script spells them in Python."""
    if not text:
        return text
    return _YAML_ARGUMENT.sub(lambda m: f"`{m.group(1)}={_PYTHON_VALUES.get(m.group(2), m.group(2))}`", text)
