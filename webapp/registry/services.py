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

from webapp import ledger
from webapp.extensions import db
from webapp.models import ContributionYear
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
from webapp.registry.reading import WHOLE, FileReading, ImportProblem, Problems
from webapp.registry.loading import Loader, StagedFile
from webapp.registry.staging import FileChanges

__all__ = [
    "FILE_NAMES",
    "MEMBERSHIPS",
    "FileChanges",
    "ImportProblem",
    "ImportResult",
    "import_directory",
]


# For the import's own transaction: the server's default (4 MB) sends its hash joins and
# aggregates over millions of staged keys to disk.
WORK_MEM = "256MB"


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
    """One import under way: the files staged so far and what was found wrong."""

    problems: Problems = field(default_factory=Problems)
    readings: dict[str, FileReading] = field(default_factory=dict)
    staged: dict[str, sa.Table] = field(default_factory=dict)
    duplicates: dict[str, bool] = field(default_factory=dict)  # file name → any duplicate key
    changed_cards: sa.Table | None = None

    def stage_of(self, spec: FileSpec) -> sa.Table | None:
        return self.staged.get(spec.name)

    def readable(self, spec: FileSpec) -> bool:
        return spec.name not in self.readings or self.readings[spec.name].readable


def import_directory(directory: Path) -> ImportResult:
    """Import the registry CSV files present in directory, all or nothing.

    Each file is checked and, while no error has been found, merged as soon as it is
    staged; any error, in this file or a later one, rolls everything back. Commits on
    success. The caller's session should hold no pending changes of its own.
    """
    result = ImportResult()
    run = _Run()
    result.ignored = _misnamed_files(directory, run.problems)
    present = [(spec, directory / spec.name) for spec in FILES if (directory / spec.name).is_file()]
    if not present:
        expected = ", ".join(FILE_NAMES)
        reason = f"no registry files; expected any of {expected}"
        run.problems.add(ImportProblem(str(directory), 0, WHOLE, reason))
    loader = Loader(present)
    try:
        if present and db.session.get_bind().dialect.name == "postgresql":
            # Hash joins and aggregates over millions of staged keys, kept in memory.
            db.session.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        for staged in loader.files():
            _take_file(staged, run, result)
        result.errors, result.error_count = run.problems.first(), run.problems.count
        if result.ok:
            loader.before_commit()
            db.session.commit()
        else:
            _forget_writes(result)
            db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        loader.close()
    if result.ok:
        changed = [spec.table for spec in FILES if _changed(result.changes.get(spec.name))]
        if CONTRIBUTIONS.table in changed:
            changed.append(ContributionYear.__table__)  # refolded with them
        _analyze(changed)
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



def _forget_writes(result: ImportResult) -> None:
    result.changes = {}
    result.kept_corrected = result.cards_with_new_contributions = 0


def _take_file(staged: StagedFile, run: _Run, result: ImportResult) -> None:
    """Check a staged file against itself and the files before it; merge it while the run
    has no error so far."""
    spec = staged.spec
    run.readings[spec.name] = staged.reading
    run.staged[spec.name] = staged.table
    run.problems.absorb(staged.problems)
    result.counts[spec.name] = staged.reading.rows
    _check(spec, run)
    if run.problems.count == 0:
        _merge(spec, staged.table, run, result)


def _check(spec: FileSpec, run: _Run) -> None:
    """Duplicate keys within the file, its references to earlier files and the database,
    and, for contributions, each one's programmes against its card's segment: in SQL."""
    staged = run.staged[spec.name]
    if run.readings[spec.name].readable:
        run.duplicates[spec.name] = staging.report_duplicates(spec, staged, run.problems)
    for reference in REFERENCES:
        # An unreadable target already has its error; don't repeat it per row.
        if reference.source is spec and run.readable(reference.target):
            target = run.stage_of(reference.target)
            staging.report_unknown(reference, staged, target, run.problems)
    if spec is CONTRIBUTIONS and run.readable(MEMBERSHIPS):
        staging.report_programmes(
            staged,
            run.stage_of(MEMBERSHIPS),
            run.duplicates.get(MEMBERSHIPS.name, False),
            run.problems,
        )


def _merge(spec: FileSpec, staged: sa.Table, run: _Run, result: ImportResult) -> None:
    """One upsert statement for the whole file (FILES order puts foreign keys first)."""
    if spec is MEMBERSHIPS:
        result.kept_corrected = keep_corrected(staged)
    if spec is CONTRIBUTIONS:
        # The cards whose balances this import moves, kept past the merge (after which
        # nothing differs any more) for whatever derives from contributions.
        run.changed_cards = staging.temporary_keys(
            "import_changed_cards",
            CONTRIBUTIONS.table.c.kpj,
            staging.changed_keys(spec, staged, "kpj"),
        )
    result.changes[spec.name] = staging.count_changes(spec, staged)
    staging.merge(spec, staged)
    if spec is CONTRIBUTIONS and run.changed_cards is not None:
        result.cards_with_new_contributions = _count(run.changed_cards)
        # Their years folded again, in the import's transaction (models.ContributionYear).
        ledger.refresh_years(sa.select(run.changed_cards.c.kpj))
        staging.drop(db.session.connection(), run.changed_cards)


def _count(table: sa.Table) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def _changed(changes: FileChanges | None) -> bool:
    return changes is not None and (changes.inserted or changes.updated) > 0


def _analyze(tables: Iterable[sa.Table]) -> None:
    """Refresh the planner's statistics of the tables the import changed, at once: until
    autovacuum gets to them, a table that grew from nothing to millions of rows is planned
    as if it were empty (Temukan KPJ lama was ten times slower right after a big import)."""
    for table in tables:
        db.session.execute(sa.text(f"ANALYZE {table.name}"))
    db.session.commit()
