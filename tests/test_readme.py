"""The README promises what the code does: every layer documented, the commands real, CI running them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from shapecli.layers import REGISTRY
from shapecli.layers.base import REQUIRED
from shapecli.layers.recurrent import RNN
from shapecli.scenarios import scenario_names

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


LAYERS_SECTION = README.split("\n## Layers", 1)[1].split("\n## ", 1)[0]


def written_arguments(cell: str, rows: dict[str, dict]) -> dict[str, str | None]:
    """The arguments a cell names (`name` or `name=default`), outside parentheses; `as X, plus ...` adds X's."""
    found = dict(rows[cell.split()[1].strip(",")]) if cell.startswith("as ") else {}
    for name, _, default in re.findall(r"`(\w+)(=([^`]+))?`", re.sub(r"\([^)]*\)", "", cell)):
        found[name] = default or None
    return found


def layer_rows() -> dict[str, dict[str, str | None]]:
    rows: dict[str, dict] = {}
    for layers, cell in re.findall(r"^\| ((?:`\w+`(?:, )?)+) \| ([^|]*) \|", LAYERS_SECTION, flags=re.M):
        for layer in re.findall(r"`(\w+)`", layers):  # a row may name several layers that take the same
            rows[layer] = written_arguments(cell, rows)
    return rows


def test_the_layer_table_matches_each_layers_declared_arguments():
    """A row per layer; it names only declared arguments, every shown one (recurrent layers: or in the
    sentence below the table), and each `name=value` is the declared default."""
    rows = layer_rows()
    assert set(rows) == set(REGISTRY)
    also = re.search(r"^Recurrent layers also accept ([^;]*);", LAYERS_SECTION, flags=re.M).group(1)
    for name, cls in REGISTRY.items():
        written = {**rows[name], **(written_arguments(also, rows) if issubclass(cls, RNN) else {})}
        assert set(written) <= set(cls.arguments), f"{name}: the README names {set(written) - set(cls.arguments)}"
        shown = {key for key, arg in cls.arguments.items() if arg.shown}
        assert shown <= set(written), f"{name}: the README leaves out {shown - set(written)}"
        for key, text in written.items():
            if text is not None:
                value = None if text == "None" else yaml.safe_load(text)
                default = cls.arguments[key].default
                assert default is not REQUIRED and value == default, f"{name}: README {key}={text}, declared {default!r}"


def test_ci_runs_the_test_command_of_the_readme():
    set_up = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```\n(pip install [^\n]+)\n```", set_up)
    assert commands == ["pip install -e . && shapecli explain", "pip install -e '.[test]' && pytest"]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_the_sample_output_is_what_explain_prints(capsys, monkeypatch):
    from shapecli.cli import cli

    monkeypatch.setenv("COLUMNS", "120")
    cli(["explain", "addition"], standalone_mode=False)
    printed = capsys.readouterr().out
    sample = README.split("$ shapecli explain addition\n", 1)[1].split("```", 1)[0]
    assert [line.rstrip() for line in sample.splitlines()] == [line.rstrip() for line in printed.splitlines()]


def test_every_lesson_is_in_the_lesson_table():
    from shapecli.compare import lesson_names

    section = README.split("\n## `shapecli compare`", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.M)) == set(lesson_names())


def test_scenarios_named_in_the_readme_exist():
    for name in re.findall(r"`shapecli explain ([a-z0-9-]+)`", README):
        if name != "NAME":
            assert name in scenario_names()
