"""The README promises what the code does: every layer documented, the commands real, CI running them."""

from __future__ import annotations

import re
from pathlib import Path

from shapecli.layers import REGISTRY
from shapecli.scenarios import scenario_names

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_every_layer_is_in_the_layer_table():
    layers_section = README.split("\n## Layers", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", layers_section, flags=re.M))
    assert documented == set(REGISTRY)


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
