"""The bundled scenarios: readable stack files that teach, shipped inside the package."""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

from .errors import did_you_mean, unreadable
from .stackfile import StackFile, read_stack_file, read_stack_stream

DEFAULT_SCENARIO = "addition"


# os.path, not pathlib: pathlib's import costs more than the rest of `explain --json` reading a small file
HERE = os.path.dirname(os.path.abspath(__file__))


def scenario_dir() -> str:
    bundled = os.path.join(HERE, "scenarios")  # a wheel puts them here
    if os.path.isdir(bundled):
        return bundled
    return os.path.join(os.path.dirname(HERE), "scenarios")  # a source checkout (editable install)


def scenario_names() -> list[str]:
    return sorted(name[:-len(".yaml")] for name in os.listdir(scenario_dir()) if name.endswith(".yaml"))


def scenario_path(name: str) -> str:
    return os.path.join(scenario_dir(), f"{name}.yaml")


def scenario_summaries() -> list[tuple[str, str]]:
    """(name, one line) for each bundled scenario: its description, else its name."""
    found = []
    for name in scenario_names():
        stack = read_stack_file(scenario_path(name))
        found.append((name, stack.description or stack.name or ""))
    return found


def load_stack(target: str | None, stdin: BinaryIO | None = None, model: str | None = None) -> StackFile:
    """A path, `-` (standard input), or the name of a bundled scenario. A `.py` path is a Keras script,
    read (never run) by shapecli.pyreader; `model` picks one of the models it builds."""
    if target is None:
        target = DEFAULT_SCENARIO
    suffix = os.path.splitext(target)[1]
    if suffix == ".py" and os.path.isfile(target):
        from .pyreader import read_python_file

        return read_python_file(target, model)
    if model is not None:
        raise unreadable(
            "--model picks one of the models of a Python script",
            expected="a .py file that builds Keras models, e.g. shapecli explain train.py --model encoder_model",
            found=f"--model {model} with {target}",
            fix="leave --model out for a stack file or a scenario",
        )
    if suffix.lower() in (".keras", ".json") and os.path.isfile(target):  # a saved model's config (never its weights)
        from .savedmodel import read_saved_model

        return read_saved_model(target)
    if target == "-":
        return read_stack_stream(stdin if stdin is not None else sys.stdin.buffer)
    if os.path.isdir(target):
        raise unreadable(f"{target} is a directory", expected="a stack file, a Keras script (.py) or a saved model "
                         "(.keras, .json)", found="a directory", fix="name a file inside it")
    if os.path.isfile(target):
        return read_stack_file(target)
    if target in scenario_names():
        return read_stack_file(scenario_path(target))
    names = scenario_names()
    guess = did_you_mean(target, names)
    looks_like_path = suffix in (".yaml", ".yml", ".py", ".keras", ".json") or "/" in target
    raise unreadable(
        f"no such file: {target}" if looks_like_path else f"'{target}' is neither a file nor a bundled scenario",
        expected="a path to a YAML stack file, a Keras script (.py) or a saved model (.keras, .json), or a scenario "
                 "name: " + ", ".join(names),
        found=target,
        fix=f"did you mean '{guess}'?" if guess else "`shapecli scenarios` lists the bundled ones",
    )
