"""Writes tests/scripts/keras_expected.json: what Keras itself builds from each script in tests/scripts/.

Run it in an environment with Keras 3 (never in shapecli's own: shapecli does not import Keras):

    KERAS_BACKEND=numpy python tools/keras_script_expectations.py

Each script is executed (here, in Keras' environment, in a scratch directory, and only here: shapecli
itself never runs a script), with small shims so that the Keras 2 and tf.keras spellings the scripts use
reach Keras 3 — `tensorflow.keras.*`, `keras.layers.core` and the other Keras 2 submodules, `lr=` on an
optimizer — and with training, saving and printing stubbed out. Every `keras.Model` the script's top
level holds is recorded by variable name: `count_params()` and the shape of each output. The script's
top-level integers are recorded too: a size shapecli leaves free (`n_steps = X.shape[1]`) is checked
against the number the script had. A script whose first lines say `shapecli-test: not run by Keras` is
skipped (scripts made to fail, or to prove that shapecli runs nothing).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import tempfile
import types
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "numpy")

import keras  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "scripts"
OUT = SCRIPTS / "keras_expected.json"
SKIP_MARK = "shapecli-test: not run by Keras"
KERAS2_LAYER_MODULES = ("core", "recurrent", "wrappers", "embeddings", "convolutional", "pooling", "merge",
                        "normalization")


def install_shims() -> dict:
    """tf.keras and Keras 2's module paths, pointing at Keras 3, for the scripts' imports only (Keras itself
    looks for a real TensorFlow, so nothing is put in sys.modules): the builtins the scripts run with."""
    tf = types.ModuleType("tensorflow")
    tf.keras = keras
    tf.nn = types.SimpleNamespace(relu=keras.activations.relu, softmax=keras.activations.softmax,
                                  tanh=keras.activations.tanh, sigmoid=keras.activations.sigmoid)
    tf.random = types.SimpleNamespace(set_seed=keras.utils.set_random_seed)
    for sub in KERAS2_LAYER_MODULES:
        setattr(keras.layers, sub, keras.layers)
    real_import = builtins.__import__

    def shimmed_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "tensorflow" or name.startswith("tensorflow.")):
            if not fromlist:
                return tf
            target = tf
            for part in name.split(".")[1:]:
                target = getattr(target, part)
            return target
        if level == 0 and name.startswith("keras.layers.") and name.split(".")[2] in KERAS2_LAYER_MODULES:
            return keras.layers if fromlist else keras
        return real_import(name, globals, locals, fromlist, level)

    for name in dir(keras.optimizers):  # Keras 2's lr= (Keras 3 refuses it): the value is kept
        cls = getattr(keras.optimizers, name)
        if isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer):
            def init(self, *args, __base=cls, lr=None, **kwargs):
                if lr is not None:
                    kwargs.setdefault("learning_rate", lr)
                __base.__init__(self, *args, **kwargs)
            setattr(keras.optimizers, name, type(name, (cls,), {"__init__": init}))
    for method in ("fit", "evaluate", "predict", "save", "save_weights", "load_weights", "compile", "summary"):
        setattr(keras.Model, method, lambda self, *args, **kwargs: None)
    return {**builtins.__dict__, "__import__": shimmed_import}


def record(path: Path, script_builtins: dict) -> dict | None:
    text = path.read_text(encoding="utf-8")
    if SKIP_MARK in "\n".join(text.splitlines()[:5]):
        return None
    namespace = {"__name__": "__main__", "__file__": str(path), "__builtins__": script_builtins}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        os.chdir(scratch)
        try:
            exec(compile(text, str(path), "exec"), namespace)  # noqa: S102 (Keras' environment, a test script)
        finally:
            os.chdir(here)
    models, seen = {}, set()
    for name, value in namespace.items():
        if isinstance(value, keras.Model) and id(value) not in seen:
            seen.add(id(value))
            models[name] = {"params": int(value.count_params()),
                            "output_shapes": [list(t.shape) for t in value.outputs]}
    sizes = {name: value for name, value in namespace.items()
             if type(value) is int and not name.startswith("_")}
    return {"models": models, "sizes": sizes}


def main() -> None:
    script_builtins = install_shims()
    found = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "scripts": {}}
    for path in sorted(SCRIPTS.glob("*.py")):
        result = record(path, script_builtins)
        if result is not None:
            found["scripts"][path.name] = result
            print(path.name, {name: m["params"] for name, m in result["models"].items()})
    OUT.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
