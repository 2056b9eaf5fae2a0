"""Comparisons: stacks side by side, their differences in words, and numeric proof.

A lesson is data: a YAML file in shapecli/lessons/ with parts, each holding a
narrative, named stacks (in the stack-file format) and proofs. A proof is one
of a few kinds, each run by the NumPy executor on one random input shared by
the stacks, and on shared weights where the stacks' weights have the same
layout. `shapecli compare A.yaml B.yaml …` builds one part from the files,
with an output-agreement proof for each stack whose input matches the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .claims import TOLERANCE, max_difference
from .engine import Explanation, explain
from .errors import EXIT_DOES_NOT_FIT, StackError, describe_value, did_you_mean, unreadable
from .layers.wrappers import MERGES
from .shapes import format_shape
from .stackfile import Item, StackFile, parse_yaml, stack_from_item


@dataclass
class Contender:
    """One stack of a comparison: explained, or refused with its teaching error."""

    name: str
    stack: StackFile
    explanation: Explanation | None = None
    error: StackError | None = None

    @property
    def input_shape(self):
        from .engine import read_input_shape

        return self.explanation.input_shape if self.explanation else read_input_shape(self.stack)


@dataclass
class Proof:
    text: str
    ok: bool | None  # None: a finding reported, not a claim put to the test
    detail: str


@dataclass
class Part:
    title: str
    narrative: str
    contenders: list[Contender]
    proofs: list[Proof] = field(default_factory=list)


@dataclass
class Comparison:
    title: str
    summary: str
    parts: list[Part]
    stacks_must_fit: bool = False  # a user comparison: a stack that does not fit is a failure

    @property
    def ok(self) -> bool:
        """Every proof holds (and, for user stacks, every stack fits together)."""
        proofs_hold = all(p.ok is not False for part in self.parts for p in part.proofs)
        return proofs_hold and not (self.stacks_must_fit and any(c.error for part in self.parts for c in part.contenders))


# -- lessons -----------------------------------------------------------------------------------
LESSON_KEYS = ("title", "summary", "parts")
PART_KEYS = ("title", "narrative", "stacks", "proofs")
PROOF_FIELDS = {"last_step": ("of", "equals"), "merge": ("stack", "mode", "of")}
PROOF_FORMS = {  # each proof kind, and how its argument is written
    "same_output": "[A, B]",
    "last_step": "{of: A, equals: B}",
    "merge": "{stack: A, mode: sum, of: B}",
    "fails": "A",
    "claims_hold": "A",
    "params": "{A: 1548, B: 24624}",
    "output_shape": "{A: [batch, 4, 12]}",
}


def lesson_dir() -> Path:
    return Path(__file__).parent / "lessons"


def lesson_names() -> list[str]:
    return sorted(p.stem for p in lesson_dir().glob("*.yaml"))


def read_lesson(name: str) -> Item:
    """A lesson file's YAML, its errors shown at `lessons/NAME.yaml`."""
    path = lesson_dir() / f"{name}.yaml"
    if not path.is_file():
        guess = did_you_mean(name, lesson_names())
        raise unreadable(
            f"no lesson called '{name}'",
            expected="one of: " + ", ".join(lesson_names()),
            found=name,
            fix=f"did you mean '{guess}'?" if guess else "`shapecli compare --list` lists them",
        )
    return read_lesson_file(path, f"lessons/{path.name}")


def read_lesson_file(path: Path, shown: str) -> Item:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(f"cannot read {shown}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_yaml(text, shown)


def lesson_summary(name: str) -> str:
    try:
        return _text(_keys(read_lesson(name), LESSON_KEYS, "a lesson")["summary"], "`summary`")
    except StackError as error:
        return f"(cannot be read: {error})"


def compare_lesson(name: str, seed: int = 0) -> Comparison:
    return lesson_comparison(read_lesson(name), seed)


def compare_lesson_file(path: str | Path, seed: int = 0) -> Comparison:
    """A lesson read from any path (to write and try a new one)."""
    return lesson_comparison(read_lesson_file(Path(path), str(path)), seed)


def lesson_comparison(root: Item, seed: int = 0) -> Comparison:
    """Read the whole lesson first (every fault located), then run its proofs."""
    top = _keys(root, LESSON_KEYS, "a lesson")
    title, summary = _text(top["title"], "`title`"), _text(top["summary"], "`summary`")
    read = [read_part(item) for item in _list(top["parts"], "`parts`", "one `- title: ...` entry per part")]
    parts = []
    for part_title, narrative, contenders, proofs in read:
        entries = {c.name: c for c in contenders}
        parts.append(Part(part_title, narrative, contenders, [PROOFS[kind](arg, entries, seed) for kind, arg in proofs]))
    return Comparison(title, summary, parts)


def read_part(item: Item) -> tuple[str, str, list[Contender], list[tuple[str, Any]]]:
    part = _keys(item, PART_KEYS, "a lesson part")
    title, narrative = _text(part["title"], "`title`"), _text(part["narrative"], "`narrative`").strip()
    stacks = part["stacks"]
    if not isinstance(stacks.value, dict) or not stacks.value:
        raise unreadable("`stacks` must be a mapping of names to stacks", stacks.mark,
                         expected="`NAME: {input_shape: [...], layers: [...]}`, one per stack",
                         found=describe_value(stacks.value))
    contenders = [contender(name, stack, item.mark.path) for name, stack in stacks.value.items()]
    proofs = [read_proof(proof, list(stacks.value))
              for proof in _list(part["proofs"], "`proofs`", "one `- kind: argument` entry per proof")]
    return title, narrative, contenders, proofs


def read_proof(item: Item, stacks: list[str]) -> tuple[str, Any]:
    """`- kind: argument`, with every stack it names one of the part's."""
    if not isinstance(item.value, dict) or len(item.value) != 1:
        raise unreadable("a proof must be a one-key mapping: its kind and what it is about", item.mark,
                         expected="for example `- same_output: [A, B]`", found=describe_value(item.value)
                         + (f" with keys {', '.join(item.value)}" if isinstance(item.value, dict) else ""))
    ((kind, argument),) = item.value.items()
    if kind not in PROOFS:
        guess = did_you_mean(kind, PROOFS)
        raise unreadable(f"unknown proof '{kind}'", item.key_mark(kind), expected="one of: " + ", ".join(PROOFS),
                         found=kind, fix=f"did you mean '{guess}'?" if guess else None)
    form = f"`{kind}: {PROOF_FORMS[kind]}`"
    if kind in ("fails", "claims_hold"):
        return kind, _stack_name(argument, stacks)
    if kind == "same_output":
        pair = _list(argument, f"`{kind}`", form)
        if len(pair) != 2:
            raise unreadable(f"`{kind}` compares two stacks", argument.mark, expected=form,
                             found=f"a list of {len(pair)}")
        return kind, [_stack_name(name, stacks) for name in pair]
    if kind in ("last_step", "merge"):
        fields = _keys(argument, PROOF_FIELDS[kind], f"`{kind}`")
        return kind, {key: _merge_mode(value) if key == "mode" else _stack_name(value, stacks)
                      for key, value in fields.items()}
    if not isinstance(argument.value, dict) or not argument.value:  # params, output_shape: a value per stack
        raise unreadable(f"`{kind}` must map stack names to their values", argument.mark, expected=form,
                         found=describe_value(argument.value))
    check = _count if kind == "params" else _shape
    return kind, {_stack_name(argument.keys[name], stacks): check(value) for name, value in argument.value.items()}


def _keys(item: Item, keys: tuple[str, ...], what: str) -> dict[str, Item]:
    """A mapping with exactly these keys: an unknown one gets a did-you-mean, a missing one is named."""
    if not isinstance(item.value, dict):
        raise unreadable(f"{what} must be a mapping", item.mark, expected="the keys " + ", ".join(keys),
                         found=describe_value(item.value))
    for key in item.value:
        if key not in keys:
            guess = did_you_mean(key, keys)
            raise unreadable(f"unknown key '{key}' in {what}", item.key_mark(key),
                             expected="the keys " + ", ".join(keys), found=key,
                             fix=f"did you mean '{guess}'?" if guess else "remove it")
    missing = [key for key in keys if key not in item.value]
    if missing:
        raise unreadable(f"{what} has no `{missing[0]}:`", item.mark, expected="the keys " + ", ".join(keys),
                         found="keys " + ", ".join(item.value) if item.value else "no keys",
                         fix=f"add `{missing[0]}: ...`")
    return item.value


def _list(item: Item, what: str, expected: str) -> list[Item]:
    if not isinstance(item.value, list) or not item.value:
        raise unreadable(f"{what} must be a non-empty list", item.mark, expected=expected,
                         found=describe_value(item.value))
    return item.value


def _text(item: Item, what: str) -> str:
    if not isinstance(item.value, str):
        raise unreadable(f"{what} must be text", item.mark, expected="text (quote it if it looks like a number)",
                         found=describe_value(item.value))
    return item.value


def _stack_name(item: Item, stacks: list[str]) -> str:
    name = item.value
    if isinstance(name, str) and name in stacks:
        return name
    guess = did_you_mean(name, stacks) if isinstance(name, str) else None
    raise unreadable(f"a proof names stack '{name}', which the part does not have" if isinstance(name, str)
                     else "a proof must name a stack of its part", item.mark,
                     expected="one of: " + ", ".join(stacks), found=describe_value(name),
                     fix=f"did you mean '{guess}'?" if guess else "name one of the part's `stacks`")


def _merge_mode(item: Item) -> str:
    if not isinstance(item.value, str) or item.value not in MERGES:
        guess = did_you_mean(str(item.value), MERGES)
        raise unreadable("`mode` must be a merge mode of Bidirectional", item.mark,
                         expected="one of: " + ", ".join(MERGES), found=describe_value(item.value),
                         fix=f"did you mean '{guess}'?" if guess else None)
    return item.value


def _count(item: Item) -> int:
    if isinstance(item.value, bool) or not isinstance(item.value, int) or item.value < 0:
        raise unreadable("a parameter count must be a whole number", item.mark, expected="for example 1548",
                         found=describe_value(item.value))
    return item.value


def _shape(item: Item) -> list:
    """[batch, 4, 12] — or, for a graph with several outputs, a list of such lists."""
    if isinstance(item.value, list) and item.value and isinstance(item.value[0].value, list):
        return [_shape(one) for one in item.value]
    dims = item.plain() if isinstance(item.value, list) else [None]
    if not dims or any(isinstance(d, bool) or not isinstance(d, (int, str)) for d in dims):
        raise unreadable("an output shape must be a list of sizes", item.mark,
                         expected="for example [batch, 4, 12] (the batch axis included)",
                         found=describe_value(item.value))
    return dims


def contender(name: str, item: Item, path: str) -> Contender:
    stack = stack_from_item(item, path)
    return explained(Contender(name, stack))


def explained(entry: Contender) -> Contender:
    try:
        entry.explanation = explain(entry.stack)
    except StackError as error:
        if error.exit_code != EXIT_DOES_NOT_FIT:
            raise
        entry.error = error
    return entry


# -- user comparisons --------------------------------------------------------------------------
def compare_stacks(stacks: list[tuple[str, StackFile]], seed: int = 0) -> Comparison:
    contenders = [explained(Contender(name, stack)) for name, stack in stacks]
    first = contenders[0]
    proofs = []
    for other in contenders[1:]:
        proofs.append(agreement(first, other, seed))
    title = " vs ".join(c.name for c in contenders)
    return Comparison(title, "", [Part("side by side", "", contenders, proofs)], stacks_must_fit=True)


def agreement(first: Contender, other: Contender, seed: int) -> Proof:
    """Do two user stacks compute the same thing? A finding, said plainly when it cannot be asked."""
    text = f"numbers: {other.name} against {first.name}, on the same random input"
    why_not = unshareable(first, other)
    if why_not:
        return Proof(text, None, f"not comparable: {why_not}")
    a, b, shared = runs_on_shared_input(first, other, seed)
    if a.output.shape != b.output.shape:
        return Proof(text, None, f"not comparable: the outputs differ in shape ({a.output.shape} vs {b.output.shape})")
    diff = max_difference(a.output, b.output)
    verdict = "identical" if diff <= TOLERANCE else "different"
    if shared:
        return Proof(text, None, f"same weights: the outputs are {verdict} (max |difference| = {diff:.1e})")
    return Proof(text, None, f"their weights differ in layout, so each has its own: the outputs are {verdict} "
                             f"(max |difference| = {diff:.1e})")


# -- proofs ------------------------------------------------------------------------------------
def unshareable(first: Contender, other: Contender) -> str | None:
    """Why two stacks cannot run on one input, or None when they can."""
    if first.error or other.error:
        return "a stack does not fit together (see its error)"
    if first.input_shape != other.input_shape:
        return f"the input shapes differ ({format_shape(first.input_shape)} vs {format_shape(other.input_shape)})"
    dtypes = first.explanation.input_dtype, other.explanation.input_dtype
    return None if dtypes[0] == dtypes[1] else f"the input types differ ({dtypes[0]} vs {dtypes[1]})"


def run_of(entry: Contender, seed: int, x=None, weights=None):
    """Run a stack with the numeric executor (on given inputs — an array, or a graph's {name: array} —
    with its free sizes bound to theirs)."""
    from .numeric import run_plan

    given = x if isinstance(x, dict) else {} if x is None else {next(iter(entry.explanation.inputs)): x}
    given = {name: value for name, value in given.items() if name in entry.explanation.inputs}
    bind = {str(dim): size for name, value in given.items()
            for dim, size in zip(entry.explanation.inputs[name], value.shape) if dim.is_atom}
    return run_plan(entry.explanation, bind=bind, seed=seed, weights=weights, x=given or None)


def runs_on_shared_input(first: Contender, other: Contender, seed: int) -> tuple:
    """`first` on random data; `other` on the same inputs, and on the same weights when their layers'
    weights have the same layout (the same shapes in the same order; a reused layer counts once).
    Returns (run, other run, shared?)."""
    a = run_of(first, seed)
    inputs = a.inputs if other.stack.is_graph and first.stack.is_graph else a.input
    flat = [w for layer in a.layers if layer.step.shared_with is None for w in layer.weights]
    steps = other.explanation.steps
    layouts = {step.index: [shape for _, shape in step.layer.weight_shapes(step.input_shape)]
               for step in steps if step.shared_with is None}
    if [tuple(w.shape) for w in flat] != [tuple(s) for layout in layouts.values() for s in layout]:
        return a, run_of(other, seed, x=inputs), False
    own, start = {}, 0
    for index, layout in layouts.items():
        own[index] = flat[start:start + len(layout)]
        start += len(layout)
    weights = [own[step.shared_with or step.index] for step in steps]
    return a, run_of(other, seed, x=inputs, weights=weights), True


def _needs(entries: dict[str, Contender], *names: str) -> list[Contender]:
    return [entries[n] for n in names]  # read_proof checked that the part has them


def proof_same_output(spec: list, entries: dict, seed: int) -> Proof:
    first, other = _needs(entries, *spec)
    text = f"{first.name} and {other.name} give the same numbers (same weights, same input)"
    why_not = unshareable(first, other)
    if why_not:
        return Proof(text, False, why_not)
    a, b, shared = runs_on_shared_input(first, other, seed)
    if not shared:
        return Proof(text, False, "their weights do not have the same layout, so they cannot share them")
    if a.output.shape != b.output.shape:
        return Proof(text, False, f"output shapes differ: {a.output.shape} vs {b.output.shape}")
    diff = max_difference(a.output, b.output)
    return Proof(text, diff <= TOLERANCE, f"max |difference| = {diff:.1e} over {a.output.size:,} values "
                                          f"(≤ {TOLERANCE:g} expected)")


def proof_last_step(spec: dict, entries: dict, seed: int) -> Proof:
    single, full = _needs(entries, spec["equals"], spec["of"])
    text = f"{single.name}'s output is the last step of {full.name}'s (same weights, same input)"
    why_not = unshareable(single, full)
    if why_not:
        return Proof(text, False, why_not)
    a, b, shared = runs_on_shared_input(single, full, seed)
    if not shared or b.output.ndim != 3:
        return Proof(text, False, "the stacks do not share weights, or the second returns no sequence")
    diff = max_difference(a.output, b.output[:, -1])
    return Proof(text, diff <= TOLERANCE, f"max |difference| = {diff:.1e} between {a.output.shape} and the last "
                                          f"of {b.output.shape[1]} steps (≤ {TOLERANCE:g} expected)")


def proof_merge(spec: dict, entries: dict, seed: int) -> Proof:
    from .reference import merge

    merged, concat = _needs(entries, spec["stack"], spec["of"])
    formula = MERGES[spec["mode"]][0]
    text = f"{merged.name} = {formula}, with the two halves of {concat.name} (same weights, same input)"
    why_not = unshareable(concat, merged)
    if why_not:
        return Proof(text, False, why_not)
    c, m, shared = runs_on_shared_input(concat, merged, seed)
    half = c.output.shape[-1] // 2
    expected = merge(spec["mode"], c.output[..., :half], c.output[..., half:])
    if expected.shape != m.output.shape or not shared:
        return Proof(text, False, f"shapes {expected.shape} and {m.output.shape}, or weights not shared")
    diff = max_difference(expected, m.output)
    return Proof(text, diff <= TOLERANCE, f"max |difference| = {diff:.1e} (≤ {TOLERANCE:g} expected)")


def proof_fails(spec: str, entries: dict, seed: int) -> Proof:
    (entry,) = _needs(entries, spec)
    text = f"'{entry.name}' does not fit together"
    if entry.error is None:
        return Proof(text, False, "it explained without an error")
    return Proof(text, True, entry.error.title)


def proof_claims_hold(spec: str, entries: dict, seed: int) -> Proof:
    from .claims import check_run

    (entry,) = _needs(entries, spec)
    text = f"every claim about {entry.name} holds on random data"
    if entry.error is not None:
        return Proof(text, False, entry.error.title)
    claims = [c for layer in check_run(run_of(entry, seed)) for c in layer]
    failed = [c.name for c in claims if not c.ok]
    return Proof(text, not failed, f"{len(claims) - len(failed)} of {len(claims)} claims hold"
                 + (": failed " + "; ".join(failed) if failed else ""))


def proof_params(spec: dict, entries: dict, seed: int) -> Proof:
    found = {entry.name: entry.explanation.total_params if entry.explanation else None
             for entry in _needs(entries, *spec)}
    text = "parameters: " + ", ".join(f"{name} {count:,}" for name, count in spec.items())
    wrong = {n: c for n, c in found.items() if c != spec[n]}
    detail = "as computed" if not wrong else "computed " + ", ".join(f"{n} {c}" for n, c in wrong.items())
    return Proof(text, not wrong, detail)


def proof_output_shape(spec: dict, entries: dict, seed: int) -> Proof:
    from .shapes import shape_to_json

    def shown(shape) -> str:
        return "[" + ", ".join(map(shown, shape)) + "]" if shape and isinstance(shape[0], list) else \
            "(" + ", ".join(map(str, shape)) + ")"

    text = "output shapes: " + ", ".join(f"{name} {shown(shape)}" for name, shape in spec.items())
    wrong = []
    for entry in _needs(entries, *spec):
        e = entry.explanation
        outputs = [e.tensors[name] for name in e.outputs] if e and e.stack.is_graph else None
        got = None if e is None else shape_to_json(outputs if outputs and len(outputs) > 1 else e.output_shape)
        if got != spec[entry.name]:
            wrong.append(f"{entry.name} gives {got}")
    return Proof(text, not wrong, "as computed" if not wrong else "; ".join(wrong))


PROOFS: dict[str, Callable[[Any, dict, int], Proof]] = {
    "same_output": proof_same_output,
    "last_step": proof_last_step,
    "merge": proof_merge,
    "fails": proof_fails,
    "claims_hold": proof_claims_hold,
    "params": proof_params,
    "output_shape": proof_output_shape,
}


def compare_targets(targets: list[str], seed: int = 0) -> Comparison:
    """One lesson name, or two or more stacks (paths, `-`, scenario names)."""
    from .scenarios import load_stack, scenario_names

    if len(targets) == 1:
        target = targets[0]
        if target in lesson_names():
            return compare_lesson(target, seed)
        if target in scenario_names() or target == "-" or Path(target).suffix in (".yaml", ".yml"):
            raise unreadable(
                "compare needs two or more stacks, or one lesson name",
                expected="shapecli compare A.yaml B.yaml, or shapecli compare LESSON",
                found=f"one stack: {target}",
                fix="add a second stack to compare it with, or see `shapecli compare --list` for the lessons",
            )
        return compare_lesson(target, seed)  # an unknown lesson: says so, with a did-you-mean
    names, stacks = [], []
    for target in targets:
        name = Path(target).stem if Path(target).suffix in (".yaml", ".yml") else target
        while name in names:
            name += "'"
        names.append(name)
        stacks.append((name, load_stack(target)))
    return compare_stacks(stacks, seed)

