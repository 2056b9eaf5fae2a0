"""Symbolic tensor dimensions.

A `Dim` is a whole-number polynomial over named sizes: `12`, `time`, `time*12`,
`time-2`, or `(time-3)//2+1` (a floor division that does not come out even is
kept as an atom of its own). That is all the algebra Keras' shape rules need:
Flatten multiplies, Conv1D and pooling subtract and divide, Reshape divides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Union

BATCH = "batch"


@dataclass(frozen=True)
class FloorDiv:
    """`numerator // denominator` that could not be simplified."""

    numerator: "Dim"
    denominator: int

    def __str__(self) -> str:
        inner = str(self.numerator)
        if not self.numerator.is_atom:
            inner = f"({inner})"
        return f"{inner}//{self.denominator}"

    def evaluate(self, bindings: Mapping[str, int]) -> int:
        return self.numerator.evaluate(bindings) // self.denominator


@dataclass(frozen=True)
class Named:
    """A long expression given a short name (`size1`), so that the sizes of a deep stack stay short: it
    prints as its name and evaluates as its definition."""

    name: str
    definition: "Dim"

    def __str__(self) -> str:
        return self.name

    def evaluate(self, bindings: Mapping[str, int]) -> int:
        return self.definition.evaluate(bindings)


Atom = Union[str, FloorDiv, Named]
Monomial = tuple  # sorted tuple of atoms; () is the constant term


def _atom_key(atom: Atom) -> str:
    return atom if isinstance(atom, str) else str(atom)


_NUMBERS: dict[int, "Dim"] = {}
LONGEST = 48  # characters a size may print as before it is named


class Dim:
    """An immutable size: a sum of integer-weighted products of atoms."""

    __slots__ = ("_terms", "_hash", "_text", "is_known")

    def __init__(self, terms: Mapping[Monomial, int] | None = None):
        self._terms = {m: c for m, c in (terms or {}).items() if c != 0}
        self._hash = hash(frozenset(self._terms.items()))
        self._text: str | None = None
        self.is_known: bool = all(m == () for m in self._terms)  # a plain number (no named size in it)

    # -- construction -------------------------------------------------------
    @classmethod
    def of(cls, value: "int | str | Dim") -> "Dim":
        if isinstance(value, Dim):
            return value
        if isinstance(value, bool):
            raise TypeError("a size cannot be a boolean")
        if isinstance(value, int):
            known = _NUMBERS.get(value)
            if known is None:
                known = cls({(): value})
                if len(_NUMBERS) < 4096:  # Dims are immutable: one per number serves every layer
                    _NUMBERS[value] = known
            return known
        if isinstance(value, str):
            return cls({(value,): 1})
        raise TypeError(f"cannot make a size from {value!r}")

    # -- inspection ---------------------------------------------------------
    @property
    def value(self) -> int:
        if not self.is_known:
            raise ValueError(f"{self} is not a known number")
        return self._terms.get((), 0)

    @property
    def is_atom(self) -> bool:
        return len(self._terms) == 1 and all(len(m) == 1 and c == 1 for m, c in self._terms.items())

    @property
    def symbols(self) -> set[str]:
        found: set[str] = set()
        for monomial in self._terms:
            for atom in monomial:
                found |= {atom} if isinstance(atom, str) else \
                    atom.definition.symbols if isinstance(atom, Named) else atom.numerator.symbols
        return found

    def named(self, name: str) -> "Dim":
        """This size under a short name (see Named)."""
        return Dim({(Named(name, self),): 1})

    def evaluate(self, bindings: Mapping[str, int]) -> int:
        total = 0
        for monomial, coefficient in self._terms.items():
            product = coefficient
            for atom in monomial:
                product *= bindings[atom] if isinstance(atom, str) else atom.evaluate(bindings)
            total += product
        return total

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other: "int | Dim") -> "Dim":
        terms = dict(self._terms)
        for m, c in Dim.of(other)._terms.items():
            terms[m] = terms.get(m, 0) + c
        return Dim(terms)

    __radd__ = __add__

    def __neg__(self) -> "Dim":
        return Dim({m: -c for m, c in self._terms.items()})

    def __sub__(self, other: "int | Dim") -> "Dim":
        return self + (-Dim.of(other))

    def __mul__(self, other: "int | Dim") -> "Dim":
        terms: dict[Monomial, int] = {}
        for m1, c1 in self._terms.items():
            for m2, c2 in Dim.of(other)._terms.items():
                m = tuple(sorted(m1 + m2, key=_atom_key))
                terms[m] = terms.get(m, 0) + c1 * c2
        return Dim(terms)

    __rmul__ = __mul__

    def __floordiv__(self, divisor: int) -> "Dim":
        """Floor division by a positive whole number, kept exact."""
        if divisor == 1:
            return self
        if all(c % divisor == 0 for c in self._terms.values()):
            return Dim({m: c // divisor for m, c in self._terms.items()})
        if self.is_known:
            return Dim.of(self.value // divisor)
        nested = [m for m in self._terms if m != ()]
        if len(nested) == 1 and len(nested[0]) == 1 and isinstance(nested[0][0], FloorDiv) \
                and self._terms[nested[0]] == 1:
            # (a//s + c)//d == (a + c·s)//(s·d) for whole a, c and positive s, d: keeps strided stacks short
            inner, constant = nested[0][0], self._terms.get((), 0)
            return (inner.numerator + constant * inner.denominator) // (inner.denominator * divisor)
        return Dim({(FloorDiv(self, divisor),): 1})

    def divide_exactly(self, divisor: "Dim") -> "Dim | None":
        """`self / divisor` when it is a whole polynomial for every binding, else None."""
        if divisor.is_known:
            d = divisor.value
            if d != 0 and all(c % d == 0 for c in self._terms.values()):
                return Dim({m: c // d for m, c in self._terms.items()})
            return None
        if len(divisor._terms) != 1:
            return self if self == divisor else None
        (d_monomial, d_coefficient), = divisor._terms.items()
        terms: dict[Monomial, int] = {}
        for m, c in self._terms.items():
            rest = list(m)
            for atom in d_monomial:
                if atom not in rest:
                    return None
                rest.remove(atom)
            if c % d_coefficient:
                return None
            terms[tuple(rest)] = c // d_coefficient
        return Dim(terms)

    # -- comparison and display ---------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            other = Dim.of(other)
        return isinstance(other, Dim) and self._terms == other._terms

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Dim({str(self)!r})"

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._render()
        return self._text

    def _render(self) -> str:
        if not self._terms:
            return "0"
        ordered = sorted(self._terms.items(), key=lambda mc: (mc[0] == (), -len(mc[0]), [_atom_key(a) for a in mc[0]]))
        text = ""
        for monomial, coefficient in ordered:
            if monomial == ():
                piece = str(abs(coefficient))
            else:
                piece = "*".join(_atom_key(a) for a in monomial)
                if abs(coefficient) != 1:
                    piece += f"*{abs(coefficient)}"
            sign = "-" if coefficient < 0 else ("+" if text else "")
            text += sign + piece
        return text

    def to_json(self) -> "int | str":
        return self.value if self.is_known else str(self)


Shape = tuple  # of Dim, batch first


def shape_of(dims: Iterable["int | str | Dim"]) -> Shape:
    return tuple(Dim.of(d) for d in dims)


def batched(dims: Iterable["int | str | Dim"]) -> Shape:
    """A Keras `input_shape` (no batch axis) with the batch axis put in front."""
    return (Dim.of(BATCH), *shape_of(dims))


def format_shape(shape: Shape) -> str:
    """`(batch, 7, 12)`; several tensors (a list of shapes) as `[(batch, 8), (batch, 8)]`."""
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    inner = ", ".join(map(str, shape))
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def product(dims: Iterable[Dim]) -> Dim:
    total = Dim.of(1)
    for d in dims:
        total = total * d
    return total


def shape_to_json(shape: Shape) -> list:
    """A shape as JSON: a list of dims (several tensors: a list of such lists)."""
    if isinstance(shape, list):
        return [shape_to_json(s) for s in shape]
    return [d.to_json() for d in shape]
