"""Errors that teach.

Layers raise `ArgumentError` (a bad constructor argument) and `ShapeMismatch`
(an input shape they cannot take) without knowing about files. The engine adds
where in the stack file it happened and turns them into a `StackError`, which
the CLI renders like a compiler error: file:line:column, the line, a caret,
what was expected, what was found, and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

# Exit codes
EXIT_OK = 0
EXIT_DOES_NOT_FIT = 1  # the stack does not fit together, or a claim failed
EXIT_UNREADABLE = 2  # the input cannot be read as a stack, or bad usage


class Mark:
    """A place in a source file (line and column are 1-based). `lines` is the
    whole file's lines, shared by every mark of the file: marks are made for
    every value read, so they must be cheap."""

    __slots__ = ("path", "line", "column", "width", "_lines")

    def __init__(self, path: str, line: int, column: int, lines: list[str] | None = None, width: int = 1):
        self.path, self.line, self.column, self.width, self._lines = path, line, column, width, lines

    @property
    def source_line(self) -> str:
        lines = self._lines or []
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""

    def __repr__(self) -> str:
        return f"Mark({self})"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def describe_value(value: object) -> str:
    """A value as the user wrote it in YAML: `the boolean true`, `the text 'abc'`, `the number 2.5`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"{type(value).__name__} {value!r}"


EXIT_BROKEN_PIPE = 141  # as a shell tool killed by SIGPIPE: the reader stopped reading


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to `word`, or None when nothing is close."""
    choices = list(choices)
    by_case = {c.lower(): c for c in choices}
    if word.lower() in by_case:
        return by_case[word.lower()]
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(word.lower(), list(by_case), n=1, cutoff=0.6)
    return by_case[close[0]] if close else None


@dataclass
class Problem(Exception):
    """What went wrong, in words: the headline, expected vs found, and the fix."""

    message: str
    expected: str | None = None
    found: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        return self.message


class ArgumentError(Problem):
    """A layer argument has the wrong type or value. `argument` names it; `item`
    is the position inside a list argument, when the fault is one element."""

    def __init__(self, argument: str, message: str, *, expected=None, found=None, fix=None, item=None, at_key=False):
        super().__init__(message, expected, found, fix)
        self.argument = argument
        self.item = item
        self.at_key = at_key  # the fault is the argument's name, not its value


class ShapeMismatch(Problem):
    """A layer cannot take the input shape it is given. `wanted_rank` says which
    rank would have worked, so the engine can ask the previous layer how to get it."""

    def __init__(self, message: str, *, expected=None, found=None, fix=None, wanted_rank=None):
        super().__init__(message, expected, found, fix)
        self.wanted_rank = wanted_rank


class NumericProblem(Problem):
    """A layer cannot compute on the numbers it is given (e.g. a token id outside an Embedding's table)."""


@dataclass
class StackError(Exception):
    """A located, fully worded error for the user. `exit_code` is 1 or 2."""

    title: str
    exit_code: int
    mark: Mark | None = None
    expected: str | None = None
    found: str | None = None
    fix: str | None = None
    notes: list[str] = field(default_factory=list)
    # A stack that does not fit: the layers that did (engine Steps), and the 1-based index of the one that did not.
    fitted: list = field(default_factory=list)
    failed_at: int | None = None
    in_graph: bool = False  # the fitted steps are calls of a graph (they name their tensors)

    def __str__(self) -> str:
        where = f"{self.mark}: " if self.mark else ""
        return where + self.title

    @classmethod
    def from_problem(cls, problem: Problem, exit_code: int, mark: Mark | None, prefix: str = "") -> "StackError":
        return cls(prefix + problem.message, exit_code, mark, problem.expected, problem.found, problem.fix)


def unreadable(title: str, mark: Mark | None = None, **details) -> StackError:
    return StackError(title, EXIT_UNREADABLE, mark, **details)

