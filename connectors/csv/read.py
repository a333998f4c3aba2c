"""The bytes of a CSV file: encoding, record structure and physical line numbers, vectorised.

:func:`scan` looks at the whole file with NumPy (no Python loop per row) and returns either
the problems that make it unreadable — each tied to the physical line a user sees in an
editor, header = line 1 — or a :class:`Scan`: the header's names, the physical line on which
every data record starts, and the bytes DuckDB should parse.

The dialect is RFC 4180 with a comma: a field that starts with ``"`` is quoted, may hold commas
and line breaks, ends with ``"`` and doubles any quote inside (``""``). Records end with LF or
CRLF. Because a line break inside quotes is data, a record starts on a line that follows a
newline with an even number of quotes before it; that is how line numbers stay right with
multi-line fields. Anything the rules do not allow (a quote inside an unquoted value, text
after a closing quote, a quote never closed, a bare CR) is reported with its line and column,
and the scan stops there: what follows it cannot be split reliably.

Encoding: UTF-8, with or without a byte order mark. UTF-16/32 (by their byte order marks), NUL
bytes and the first invalid UTF-8 byte are reported with the line they are on.

DuckDB parses the records afterwards (connectors/csv/importer.py). It is handed bytes it cannot
read differently from this scan: no byte order mark, LF line ends only, no blank lines (blank
lines are skipped, as DuckDB would). When the file needs none of that, it is read in place.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np

from i18n import _

QUOTE, COMMA, LF, CR, SPACE, TAB = 34, 44, 10, 13, 32, 9
MAX_RECORD_BYTES = 32 * 1024 * 1024
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_DELIMITERS = ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"))


@dataclass(frozen=True)
class Problem:
    """A reason the file cannot be imported; ``line`` is the physical line (1 = header)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("line {line}: {message}").format(line=self.line, message=self.message)


@dataclass
class Scan:
    """What :func:`scan` found."""

    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0  # problems found, including those left out of ``problems``
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    body: bytes | None = None  # bytes for DuckDB when the file itself cannot be read as is
    longest: int = 0  # bytes of the longest record
    multiline: bool = False  # some quoted value holds a line break

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> int:
        return len(self.lines)


def _fail(line: int | None, message: str) -> Scan:
    return Scan(problems=[Problem(line, message)], problem_count=1)


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _encoding(data: bytes) -> Scan | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            marks = " ".join(f"0x{b:02X}" for b in bom)
            return _fail(
                1,
                _(
                    "the file is {name} (byte order mark {marks}); save it as UTF-8 (in "
                    "Excel: Save As → CSV UTF-8)"
                ).format(name=name, marks=marks),
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        return _fail(
            _line_of(data, nul),
            _(
                "contains a NUL byte (0x00): this looks like a UTF-16 or binary file, "
                "not a UTF-8 CSV; save it as CSV UTF-8"
            ),
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fail(
            _line_of(data, exc.start),
            _(
                "not valid UTF-8 (byte 0x{value}); save the file as UTF-8 (in Excel: "
                "Save As → CSV UTF-8)"
            ).format(value=f"{data[exc.start]:02X}"),
        )
    return None


def _parity_even(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """True where an even number of quotes precede the position: outside a quoted field."""
    if len(quotes) == 0:
        return np.ones(len(positions), dtype=bool)
    even: np.ndarray = np.searchsorted(quotes, positions) % 2 == 0
    return even


class _Records:
    """Record boundaries of ``arr``: start, end (exclusive, CR stripped) and start line."""

    def __init__(self, arr: np.ndarray, quotes: np.ndarray, newlines: np.ndarray) -> None:
        size = len(arr)
        outside = _parity_even(quotes, newlines)
        index = np.flatnonzero(outside)
        self.terminators = newlines[index]
        self.starts = np.concatenate(([0], self.terminators + 1)).astype(np.int64)
        ends = np.concatenate((self.terminators, [size])).astype(np.int64)
        has_cr = np.zeros(len(ends), dtype=bool)
        nonempty = ends > self.starts
        has_cr[nonempty] = arr[ends[nonempty] - 1] == CR
        self.crs = ends[has_cr] - 1
        self.line_ends = ends  # the record's LF, or the end of the file
        self.ends = ends - has_cr
        self.lines = np.concatenate(([1], index + 2)).astype(np.int64)
        self.blank = self.ends == self.starts
        # The "record" after a final newline is the end of the file, not a blank line.
        self.at_eof = self.starts >= size

    def of(self, position: int) -> int:
        return int(np.searchsorted(self.terminators, position))


def _column(records: _Records, commas: np.ndarray, record: int, position: int) -> int:
    start = records.starts[record]
    return int(np.searchsorted(commas, position) - np.searchsorted(commas, start)) + 1


def _quote_problem(
    arr: np.ndarray, quotes: np.ndarray, records: _Records, commas: np.ndarray
) -> Problem | None:
    """The first quote RFC 4180 does not allow, or a quoted field never closed."""
    if len(quotes) == 0:
        return None
    size = len(arr)
    count = len(quotes)
    order = np.arange(count)
    opener = order % 2 == 0
    prev = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], LF)
    nxt = np.where(quotes < size - 1, arr[np.minimum(quotes + 1, size - 1)], LF)
    nxt2 = np.where(quotes < size - 2, arr[np.minimum(quotes + 2, size - 1)], LF)
    adjacent_prev = np.zeros(count, dtype=bool)
    adjacent_prev[1:] = quotes[1:] == quotes[:-1] + 1
    adjacent_next = np.zeros(count, dtype=bool)
    adjacent_next[:-1] = adjacent_prev[1:]
    field_start = (quotes == 0) | (prev == COMMA) | (prev == LF)
    field_end = (quotes == size - 1) | (nxt == COMMA) | (nxt == LF) | ((nxt == CR) & (nxt2 == LF))
    good = np.where(opener, field_start | adjacent_prev, field_end | adjacent_next)
    bad = np.flatnonzero(~good)
    if len(bad):
        k = int(bad[0])
        position = int(quotes[k])
        record = records.of(position)
        column = _column(records, commas, record, position)
        line = int(records.lines[record])
        if opener[k] and prev[k] in (SPACE, TAB):
            text = (
                f"a space before the opening quote of column {column}; remove the spaces "
                "after the comma"
            )
        elif opener[k]:
            text = (
                f"a double quote inside the unquoted value of column {column}; put the whole "
                'value in double quotes and double the quote inside it ("")'
            )
        else:
            text = (
                f"text after the closing quote of column {column}; a quoted value must end "
                'at the comma (double a quote inside it: "")'
            )
        return Problem(line, text + " (rows after it were not checked)")
    if count % 2:
        position = int(quotes[-1])
        record = records.of(position)
        column = _column(records, commas, record, position)
        return Problem(
            int(records.lines[record]),
            _('the quoted value of column {column} is never closed (a " is missing)').format(
                column=column
            ),
        )
    return None


def _header(data: bytes, start: int, end: int) -> list[str] | None:
    text = data[start:end].decode("utf-8")
    if "\n" in text or "\r" in text:
        return None
    return next(csv.reader([text]), [])


def _delimiter_hint(names: list[str]) -> str | None:
    if len(names) != 1:
        return None
    for char, label in _OTHER_DELIMITERS:
        if char in names[0]:
            return (
                f"the header is one column {names[0][:60]!r}: the file seems to separate "
                f"columns with {label}; save it with commas (in Excel: Save As → CSV UTF-8 "
                "(Comma delimited))"
            )
    return None


def scan(data: bytes, *, max_problems: int = 200) -> Scan:
    """Check the bytes of a CSV file and find its records (see the module docstring)."""
    had_bom = data.startswith(_UTF8_BOM)
    if had_bom:
        data = data[len(_UTF8_BOM) :]
    if not data.strip(b" \t\r\n"):
        return _fail(None, _("the file is empty: its first line must be the header"))
    failed = _encoding(data)
    if failed is not None:
        return failed
    arr = np.frombuffer(data, dtype=np.uint8)
    empty = np.zeros(0, dtype=np.int64)
    quotes = np.flatnonzero(arr == QUOTE) if b'"' in data else empty
    newlines = np.flatnonzero(arr == LF)
    all_commas = np.flatnonzero(arr == COMMA)
    commas = all_commas[_parity_even(quotes, all_commas)]
    records = _Records(arr, quotes, newlines)
    problem = _quote_problem(arr, quotes, records, commas)
    if problem is not None:
        return Scan(problems=[problem], problem_count=1)
    carriage = np.flatnonzero(arr == CR) if b"\r" in data else empty
    carriage = carriage[_parity_even(quotes, carriage)]
    bare = np.setdiff1d(carriage, records.crs, assume_unique=True)
    if len(bare):
        if len(newlines) == 0:
            return _fail(
                None,
                _("the file uses CR (classic Mac) line ends; save it with LF or CRLF line ends"),
            )
        return _fail(
            int(records.lines[records.of(int(bare[0]))]),
            _(
                "a carriage return (CR) outside quotes in the middle of a line; save "
                "the file with LF or CRLF line ends"
            ),
        )
    present = np.flatnonzero(~records.blank)
    if len(present) == 0:
        return _fail(None, _("the file is empty: its first line must be the header"))
    head = int(present[0])
    header_line = int(records.lines[head])
    names = _header(data, int(records.starts[head]), int(records.ends[head]))
    if names is None:
        return _fail(header_line, _("a column name spans several lines; fix the header"))
    hint = _delimiter_hint(names)
    if hint is not None:
        return _fail(header_line, hint)
    data_records = present[1:]
    starts, ends = records.starts[data_records], records.ends[data_records]
    lines = records.lines[data_records]
    fields = (np.searchsorted(commas, ends) - np.searchsorted(commas, starts)) + 1
    result = Scan(header=names, header_line=header_line, lines=lines)
    result.multiline = len(newlines) > len(records.terminators)
    wrong = np.flatnonzero(fields != len(names))
    result.problem_count = len(wrong)
    for i in wrong[:max_problems]:
        count = int(fields[i])
        result.problems.append(
            Problem(
                int(lines[i]),
                (
                    _("1 field, the header has {header}")
                    if count == 1
                    else _("{count} fields, the header has {header}")
                ).format(count=count, header=len(names)),
            )
        )
    lengths = ends - starts
    if len(lengths):
        result.longest = int(lengths.max())
        if result.longest > MAX_RECORD_BYTES:
            i = int(np.argmax(lengths))
            result.problems.append(
                Problem(
                    int(lines[i]),
                    _("the row is {size} MB long; rows are limited to {limit} MB").format(
                        size=f"{result.longest / 1e6:.0f}",
                        limit=MAX_RECORD_BYTES // (1024 * 1024),
                    ),
                )
            )
            result.problem_count += 1
    if result.problems:
        return result
    removable = records.blank & ~records.at_eof
    if had_bom or len(records.crs) or removable.any():
        keep = np.ones(len(arr), dtype=bool)
        keep[records.crs] = False
        blank_ends = records.line_ends[removable]
        keep[blank_ends[blank_ends < len(arr)]] = False
        result.body = arr[keep].tobytes()
    return result
