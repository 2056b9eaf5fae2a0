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


def load_stack(target: str | None, stdin: BinaryIO | None = None) -> StackFile:
    """A path, `-` (standard input), or the name of a bundled scenario."""
    if target is None:
        target = DEFAULT_SCENARIO
    if target == "-":
        return read_stack_stream(stdin if stdin is not None else sys.stdin.buffer)
    path = Path(target)
    if path.is_file():
        return read_stack_file(str(path))
    if target in scenario_names():
        return read_stack_file(str(scenario_path(target)))
    names = scenario_names()
    guess = did_you_mean(target, names)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in target
    raise unreadable(
        f"no such file: {target}" if looks_like_path else f"'{target}' is neither a file nor a bundled scenario",
        expected="a path to a YAML stack file, or a scenario name: " + ", ".join(names),
        found=target,
        fix=f"did you mean '{guess}'?" if guess else "`shapecli scenarios` lists the bundled ones",
    )
