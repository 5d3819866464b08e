"""Reading a registry file as a stream (DESIGN §4): one row at a time, checked against its
file's contract, so memory stays flat whatever the size of the file.

Problems are kept in reading order, the first KEPT_PROBLEMS of them: a wholly wrong file of
a million rows must not hold millions of messages either. How many there were is counted.
"""

from __future__ import annotations

import codecs
import csv
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.registry.formats import FILE_NAMES, FileSpec, Invalid, Row

# Not about one line or column (a missing file, a whole row).
WHOLE = "-"
# Far more than anyone reads (the command prints 200), far less than memory notices.
KEPT_PROBLEMS = 1_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int  # physical line in the file, the header is line 1; 0: the file as a whole
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


def reading_order(problem: ImportProblem) -> tuple[int, int]:
    """File by file, line by line; sorting is stable, so a line keeps its column order."""
    position = FILE_NAMES.index(problem.file) if problem.file in FILE_NAMES else -1
    return position, problem.line


class Problems:
    """The first `keep` problems in reading order, whatever order they are found in, and
    how many were found in all."""

    def __init__(self, keep: int = KEPT_PROBLEMS) -> None:
        self.keep = keep
        self.count = 0
        self._kept: list[ImportProblem] = []

    def add(self, problem: ImportProblem) -> None:
        self.count += 1
        self._kept.append(problem)
        if len(self._kept) >= 2 * self.keep:
            self._trim()

    def absorb(self, other: Problems) -> None:
        """Take in the problems another collector found (e.g. reading one file)."""
        for problem in other.first():
            self.add(problem)
        self.count += other.count - len(other.first())

    def first(self) -> list[ImportProblem]:
        self._trim()
        return list(self._kept)

    def _trim(self) -> None:
        self._kept.sort(key=reading_order)
        del self._kept[self.keep :]


# Staged row: its line, then one value per column of the file (None where the cell is
# empty or invalid); see staging.py.
StagedRow = tuple[Any, ...]


@dataclass
class FileReading:
    """What reading one file found out about it."""

    spec: FileSpec
    readable: bool = False  # the header was right, so its rows mean something
    rows: int = 0  # data rows read, with or without errors


def read_rows(path: Path, reading: FileReading, problems: Problems) -> Iterator[StagedRow]:
    """Yield every data row of the file whose fields match the header, as a StagedRow;
    report each problem of a cell, a row or the file as a whole on the way."""
    spec = reading.spec

    def problem(line: int, column: str, reason: str) -> None:
        problems.add(ImportProblem(spec.name, line, column, reason))

    try:
        invalid_line = _first_line_not_utf8(path)
    except OSError as error:
        problem(0, WHOLE, f"cannot be read: {error.strerror}")
        return
    if invalid_line is not None:
        problem(invalid_line, WHOLE, "not valid UTF-8")
        return
    # A BOM, as spreadsheet programs write, is fine.
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, strict=True)
        try:
            header = next(reader, None)
            index = _header_index(spec, header or [], problem)
            if index is None:
                return
            reading.readable = True
            parse_row = _row_parser(spec, index, problem)
            line = reader.line_num + 1  # the physical line a record starts on
            for record in reader:
                if record:  # a blank line carries nothing
                    reading.rows += 1
                    staged = parse_row(line, record)
                    if staged is not None:
                        yield staged
                line = reader.line_num + 1  # a quoted cell may span lines
        except csv.Error as error:
            problem(reader.line_num, WHOLE, f"malformed CSV: {error}")


def _first_line_not_utf8(path: Path) -> int | None:
    """The line of the first byte that is not UTF-8, read in chunks (C speed, flat memory)
    before any row is parsed: such a file is rejected as a whole, with that one error."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return lines_before + chunk.count(b"\n", 0, max(error.start, 0)) + 1
            lines_before += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines_before + 1
    return None


Report = Callable[[int, str, str], None]


def _header_index(spec: FileSpec, header: Sequence[str], problem: Report) -> dict[str, int] | None:
    """Column name → position, or None when the header is wrong (each fault reported)."""
    names = [name.strip() for name in header]
    expected = list(spec.columns)
    if not set(names) & set(expected):
        problem(1, WHOLE, f"header row missing; expected the columns {', '.join(expected)}")
        return None
    index: dict[str, int] = {}
    faults = 0
    for position, name in enumerate(names):
        label = name[:40] or f"column {position + 1}"
        if name in index:
            problem(1, label, "duplicate column")
        elif name not in spec.columns:
            problem(1, label, "unknown column")
        else:
            index[name] = position
            continue
        faults += 1
    for name in expected:
        if name not in index:
            problem(1, name, "missing column")
            faults += 1
    return None if faults else index


def _row_parser(
    spec: FileSpec, index: dict[str, int], problem: Report
) -> Callable[[int, Sequence[str]], StagedRow | None]:
    """Parses one record into a StagedRow (None when its field count is wrong). A row with
    errors still yields the cells that parsed: keys and references are checked across
    files for them too, as for any row (staging.py)."""
    width = len(index)
    names = list(spec.columns)
    parsers = list(spec.columns.values())
    cells_of = operator.itemgetter(*(index[name] for name in names))
    check = spec.check

    def parse_row(line: int, record: Sequence[str]) -> StagedRow | None:
        if len(record) != width:
            problem(line, WHOLE, f"{len(record)} fields but the header has {width}")
            return None
        cells = cells_of(record)
        try:  # the common case, every cell valid, in one comprehension
            values = [parse(cell.strip()) for parse, cell in zip(parsers, cells, strict=True)]
        except Invalid:
            row = parse_each(line, cells)
        else:
            row = dict(zip(names, values, strict=True))
        if check:
            for column, reason in check(row):
                problem(line, column, reason)
        return (line, *map(row.get, names))

    def parse_each(line: int, cells: Sequence[str]) -> Row:
        """The cells that parse; each one that does not is reported and left out."""
        row: Row = {}
        for name, parse, cell in zip(names, parsers, cells, strict=True):
            try:
                row[name] = parse(cell.strip())
            except Invalid as error:
                problem(line, name, str(error))
        return row

    return parse_row
