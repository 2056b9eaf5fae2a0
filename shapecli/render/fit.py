"""Tables that fit the terminal without splitting a token.

A layer label, a shape or a number is never split: a "whole" column is as wide as its widest line. Prose
is wrapped here, not by rich, at spaces that are not inside brackets — so `(batch, 4, 128)` stays on one
line — and its column is at least as wide as its longest token. When the columns cannot all get that
much room, `fitted_widths` says so (None) and the caller lays each row out as a block instead.

This module only decides the layout; rich draws it on a terminal (console.rich_table) and plain.PlainWriter
on a pipe, from the same widths and the same wrapped cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GAP = 3  # what rich puts between two columns of a table without edges: padding, the rule, padding
_GROUP = r"\((?:[^()]|\([^()]*\))*\)|\[(?:[^\[\]()]|\([^()]*\))*\]"  # (…) or […], one level of nesting inside
TOKEN = re.compile(rf"(?:{_GROUP}|[^\s(\[])+|[(\[]\S*")  # words; a bracketed group (a shape, a label) is one


_DROPPED = dict.fromkeys([7, 8, 11, 12, 13])  # the control characters rich leaves out of text it prints


def shown(text: str) -> str:
    """Text as rich prints it, and so as it is measured here: without bell, backspace, \\v, \\f and \\r, and
    with tabs expanded (a tab in a layer's name would otherwise make its cell wider than its column)."""
    return text.translate(_DROPPED).expandtabs()


@dataclass
class Column:
    name: str
    whole: bool = True  # a label, shape or number: never wrapped; else prose, wrapped between tokens
    right: bool = False
    style: str | None = None
    ratio: int = 1  # how prose columns share the room left


def tokens(text: str) -> list[str]:
    """The pieces prose may break between: words, with a bracketed group such as a shape or a label kept
    whole — one whose spaces all follow commas; a parenthesis of plain words breaks like any words, the
    groups inside it kept whole (`(… as None: (None, 4, 12) is …)`)."""
    return [text[start:end] for start, end in token_spans(text)]


def token_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Where each of `tokens` is in the text (start, end), counted from `offset`."""
    found = []
    for match in TOKEN.finditer(text):
        token, start = match.group(), offset + match.start()
        if " " not in token:  # a word (most of them)
            found.append((start, start + len(token)))
        elif not _SPACE_NOT_AFTER_COMMA.search(token):  # a shape; a list of shapes breaks between its shapes
            cuts = list(_BETWEEN_SHAPES.finditer(token)) if token.startswith("[") else []
            found += zip([start] + [start + cut.end() for cut in cuts],
                         [start + cut.start() + 1 for cut in cuts] + [start + len(token)])
        elif _ONE_GROUP.fullmatch(token):  # words in brackets: the words inside, the brackets on the outer ones
            inner = token_spans(token[1:-1], start + 1) or [(start, start + len(token))]
            inner[0] = (start, inner[0][1])
            inner[-1] = (inner[-1][0], start + len(token))
            found += inner
        else:
            found += [(start + word.start(), start + word.end()) for word in _WORD.finditer(token)]
    return found


_SPACE_NOT_AFTER_COMMA = re.compile(r"[^,] ")
_BETWEEN_SHAPES = re.compile(r"(?<=\)), (?=\()")
_ONE_GROUP = re.compile(_GROUP)
_WORD = re.compile(r"\S+")


def line_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Where to break one line of text so that no piece of it is longer than `width`: between tokens only
    (a shape, a label or a number is never split; one longer than the width stands alone), the spacing
    inside each piece kept as written. Both writers break their lines here."""
    spans = token_spans(text)
    if len(text) <= width or not spans:
        return [(0, len(text))]
    lines, start, end = [], 0, spans[0][1]
    for token_start, token_end in spans[1:]:
        if token_end - start > width:
            lines.append((start, end))
            start = token_start
        end = token_end
    return lines + [(start, end)]


def cell_text(cell) -> str:
    """A table cell's text: a cell is text; or (text, style), a cell with a colour of its own; or a list of
    such pieces, a cell in several colours."""
    if isinstance(cell, list):
        return "".join(piece if isinstance(piece, str) else piece[0] for piece in cell)
    return cell[0] if isinstance(cell, tuple) else str(cell)


def least_width(column: Column, cells: list) -> int:
    """The narrowest the column can be: its widest line, or (prose) its longest token."""
    pieces = [column.name] if column.whole else column.name.split()
    for cell in cells:
        lines = shown(cell_text(cell)).split("\n")
        pieces += lines if column.whole else [t for line in lines for t in tokens(line)]
    return max((len(piece) for piece in pieces), default=1)


def wrapped(text: str, width: int, indent: str = "") -> str:
    """Prose broken between tokens into lines of at most `width` (a longer token stands on its own line),
    its tokens a space apart, each line after `indent`: where `line_spans` breaks it."""
    text = " ".join(tokens(text))
    return "\n".join(indent + text[start:end] for start, end in line_spans(text, width - len(indent)))


def fitted_widths(columns: list[Column], rows: list[tuple], width: int) -> list[int] | None:
    """Each column's width in a table `width` characters wide, or None when it cannot fit without
    splitting a token."""
    least = [least_width(column, [row[i] for row in rows]) for i, column in enumerate(columns)]
    widths = list(least)
    prose = [i for i, column in enumerate(columns) if not column.whole]
    room = width - GAP * (len(columns) - 1) - sum(w for i, w in enumerate(least) if i not in prose)
    if room < sum(least[i] for i in prose):
        return None
    longest = {i: max((len(line) for row in rows for line in shown(cell_text(row[i])).split("\n")), default=1)
               for i in prose}
    spare = room - sum(least[i] for i in prose)  # shared out by ratio, no column wider than its longest line
    growing = [i for i in prose if widths[i] < longest[i]]
    while spare > 0 and growing:
        shares = sum(columns[i].ratio for i in growing)
        given = 0
        for i in growing:
            more = min(longest[i] - widths[i], max(1, spare * columns[i].ratio // shares), spare - given)
            widths[i] += more
            given += more
        spare -= given
        growing = [i for i in growing if widths[i] < longest[i]]
        if not given:
            break
    return widths


def wrapped_rows(columns: list[Column], rows: list[tuple], widths: list[int]) -> list[tuple]:
    """The rows with each prose cell (text) wrapped to its column's width; whole cells as they are."""
    return [tuple(cell if column.whole else "\n".join(wrapped(line, width) for line in cell.split("\n"))
                  for column, width, cell in zip(columns, widths, row)) for row in rows]


def joined(pieces: list[str], width: int, indent: str, sep: str = ", ") -> str:
    """Whole pieces (shapes, names, labels) packed into lines of at most `width`, never split."""
    lines, line = [], ""
    for piece in pieces:
        if line and len(indent) + len(line) + len(sep) + len(piece) > width:
            lines.append(indent + line + sep.rstrip())
            line = piece
        else:
            line = f"{line}{sep}{piece}" if line else piece
    lines.append(indent + line)
    return "\n".join(lines)
