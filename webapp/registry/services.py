"""The registry import (DESIGN §4): CSV files from the core membership system.

Every file present is read and every row validated before anything is written; any error
means nothing changes. Valid data is then upserted on its natural key in one transaction,
so importing the same files twice changes nothing.

It streams, so a registry of tens of millions of rows imports in flat memory: each file is
read a row at a time (reading.py) into a temporary staging table (staging.py), the checks
across rows and files run in SQL there, and each file is merged into its table with one
set-based statement. The contract itself, file by file, is formats.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from webapp.extensions import db
from webapp.registry import staging
from webapp.registry.corrections import keep_corrected
from webapp.registry.formats import (
    CONTRIBUTIONS,
    FILE_NAMES,
    FILES,
    MEMBERSHIPS,
    REFERENCES,
    FileSpec,
)
from webapp.registry.reading import (
    WHOLE,
    FileReading,
    ImportProblem,
    Problems,
    read_rows,
)
from webapp.registry.staging import FileChanges

__all__ = [
    "FILE_NAMES",
    "MEMBERSHIPS",
    "FileChanges",
    "ImportProblem",
    "ImportResult",
    "import_directory",
]


@dataclass
class ImportResult:
    # The first problems in reading order (reading.KEPT_PROBLEMS at most); error_count: all.
    errors: list[ImportProblem] = field(default_factory=list)
    error_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # file name → data rows read
    changes: dict[str, FileChanges] = field(default_factory=dict)  # only after a write
    ignored: list[str] = field(default_factory=list)  # CSV files in DIR that are not ours
    # memberships.csv rows that sent a corrected card's old biodata: kept corrected (§4).
    kept_corrected: int = 0
    # Cards whose contributions this import added or changed, so whose balances moved.
    cards_with_new_contributions: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Run:
    """One import under way: the files read and where their rows are staged."""

    problems: Problems = field(default_factory=Problems)
    readings: dict[str, FileReading] = field(default_factory=dict)
    staged: dict[str, sa.Table] = field(default_factory=dict)

    def stage_of(self, spec: FileSpec) -> sa.Table | None:
        return self.staged.get(spec.name)

    def readable(self, spec: FileSpec) -> bool:
        return spec.name not in self.readings or self.readings[spec.name].readable


def import_directory(directory: Path) -> ImportResult:
    """Import the registry CSV files present in directory, all or nothing.

    Commits on success. On any error nothing is written and the session is rolled back,
    so the caller's session should hold no pending changes of its own.
    """
    result = ImportResult()
    run = _Run()
    try:
        result.ignored = _misnamed_files(directory, run.problems)
        for spec in FILES:
            path = directory / spec.name
            if path.is_file():
                _stage_file(path, spec, run)
                result.counts[spec.name] = run.readings[spec.name].rows
        if not run.readings:
            expected = ", ".join(FILE_NAMES)
            reason = f"no registry files; expected any of {expected}"
            run.problems.add(ImportProblem(str(directory), 0, WHOLE, reason))
        _check_across_files(run)
        result.errors, result.error_count = run.problems.first(), run.problems.count
        if result.ok:
            _merge(run, result)
            _drop(run)
            db.session.commit()
            _analyze(spec.table for spec in FILES if _changed(result.changes.get(spec.name)))
        else:
            db.session.rollback()
            _drop(run)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def _misnamed_files(directory: Path, problems: Problems) -> list[str]:
    """Report registry files named in another case; return the other CSV files' names."""
    csv_files = sorted(
        path.name
        for path in directory.iterdir()
        if path.suffix.lower() == ".csv" and path.name not in FILE_NAMES
    )
    # Population.CSV is surely meant as population.csv: an error that says so, rather than a
    # file skipped (a case-insensitive disk would have read it; this one must not differ).
    for name in csv_files:
        meant = name.lower()
        if meant in FILE_NAMES:
            reason = f"registry files are named in lower case: rename it to {meant}"
            problems.add(ImportProblem(name, 0, WHOLE, reason))
    return [name for name in csv_files if name.lower() not in FILE_NAMES]


def _stage_file(path: Path, spec: FileSpec, run: _Run) -> None:
    reading = run.readings[spec.name] = FileReading(spec)
    table = staging.staging_table(spec)
    staging.create(table)
    run.staged[spec.name] = table
    staging.load(table, read_rows(path, reading, run.problems))


def _check_across_files(run: _Run) -> None:
    """Duplicate keys within each file, references between files and to the database,
    and each contribution's programmes against its card's segment, all in SQL."""
    duplicates = {
        name: staging.report_duplicates(reading.spec, run.staged[name], run.problems)
        for name, reading in run.readings.items()
        if reading.readable
    }
    for reference in REFERENCES:
        source = run.stage_of(reference.source)
        # An unreadable target already has its error; don't repeat it per row.
        if source is None or not run.readable(reference.target):
            continue
        target = run.stage_of(reference.target)
        staging.report_unknown(reference, source, target, run.problems)
    contributions = run.stage_of(CONTRIBUTIONS)
    if contributions is not None and run.readable(MEMBERSHIPS):
        staging.report_programmes(
            contributions,
            run.stage_of(MEMBERSHIPS),
            duplicates.get(MEMBERSHIPS.name, False),
            run.problems,
        )


def _merge(run: _Run, result: ImportResult) -> None:
    """Foreign keys first: every file in FILES order, one upsert statement each."""
    for spec in FILES:
        staged = run.stage_of(spec)
        if staged is None:
            continue
        if spec is MEMBERSHIPS:
            result.kept_corrected = keep_corrected(staged)
        if spec is CONTRIBUTIONS:
            # The cards whose balances this import moves, kept past the merge (after which
            # nothing differs any more) for whatever derives from contributions.
            changed = staging.temporary_keys(
                "import_changed_cards",
                CONTRIBUTIONS.table.c.kpj,
                staging.changed_keys(spec, staged, "kpj"),
            )
            run.staged["changed cards"] = changed
        result.changes[spec.name] = staging.count_changes(spec, staged)
        staging.merge(spec, staged)
        if spec is CONTRIBUTIONS:
            result.cards_with_new_contributions = _count(changed)


def _count(table: sa.Table) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def _drop(run: _Run) -> None:
    for table in run.staged.values():
        staging.drop(table)


def _changed(changes: FileChanges | None) -> bool:
    return changes is not None and (changes.inserted or changes.updated) > 0


def _analyze(tables: Iterable[sa.Table]) -> None:
    """Refresh the planner's statistics of the tables the import changed, at once: until
    autovacuum gets to them, a table that grew from nothing to millions of rows is planned
    as if it were empty (Temukan KPJ lama was ten times slower right after a big import)."""
    for table in tables:
        db.session.execute(sa.text(f"ANALYZE {table.name}"))
    db.session.commit()
