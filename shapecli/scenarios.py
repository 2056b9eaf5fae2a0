"""The bundled scenarios: readable stack files that teach, shipped inside the package."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from .errors import did_you_mean, unreadable
from .stackfile import StackFile, read_stack_file, read_stack_stream

DEFAULT_SCENARIO = "addition"


def scenario_dir() -> Path:
    bundled = Path(__file__).parent / "scenarios"  # a wheel puts them here
    if bundled.is_dir():
        return bundled
    return Path(__file__).parent.parent / "scenarios"  # a source checkout (editable install)


def scenario_names() -> list[str]:
    return sorted(p.stem for p in scenario_dir().glob("*.yaml"))


def scenario_path(name: str) -> Path:
    return scenario_dir() / f"{name}.yaml"


def scenario_summaries() -> list[tuple[str, str]]:
    """(name, one line) for each bundled scenario: its description, else its name."""
    found = []
    for name in scenario_names():
        stack = read_stack_file(str(scenario_path(name)))
        found.append((name, stack.description or stack.name or ""))
    return found


def load_stack(target: str | None, stdin: BinaryIO | None = None, model: str | None = None) -> StackFile:
    """A path, `-` (standard input), or the name of a bundled scenario. A `.py` path is a Keras script,
    read (never run) by shapecli.pyreader; `model` picks one of the models it builds."""
    if target is None:
        target = DEFAULT_SCENARIO
    path = Path(target)
    if path.suffix == ".py" and path.is_file():
        from .pyreader import read_python_file

        return read_python_file(str(path), model)
    if model is not None:
        raise unreadable(
            "--model picks one of the models of a Python script",
            expected="a .py file that builds Keras models, e.g. shapecli explain train.py --model encoder_model",
            found=f"--model {model} with {target}",
            fix="leave --model out for a stack file or a scenario",
        )
    if path.suffix.lower() in (".keras", ".json") and path.is_file():  # a saved model's config (never its weights)
        from .savedmodel import read_saved_model

        return read_saved_model(str(path))
    if target == "-":
        return read_stack_stream(stdin if stdin is not None else sys.stdin.buffer)
    if path.is_dir():
        raise unreadable(f"{target} is a directory", expected="a stack file, a Keras script (.py) or a saved model "
                         "(.keras, .json)", found="a directory", fix="name a file inside it")
    if path.is_file():
        return read_stack_file(str(path))
    if target in scenario_names():
        return read_stack_file(str(scenario_path(target)))
    names = scenario_names()
    guess = did_you_mean(target, names)
    looks_like_path = path.suffix in (".yaml", ".yml", ".py", ".keras", ".json") or "/" in target
    raise unreadable(
        f"no such file: {target}" if looks_like_path else f"'{target}' is neither a file nor a bundled scenario",
        expected="a path to a YAML stack file, a Keras script (.py) or a saved model (.keras, .json), or a scenario "
                 "name: " + ", ".join(names),
        found=target,
        fix=f"did you mean '{guess}'?" if guess else "`shapecli scenarios` lists the bundled ones",
    )
