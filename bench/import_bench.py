"""Registry import benchmark: rows/s and peak memory of `flask --app wsgi registry import`.

    .venv/bin/python bench/import_bench.py                # 50k rows and the 1M registry
    .venv/bin/python bench/import_bench.py --no-large     # 50k rows only (about a minute)

Generates synthetic registries (bench/registry_gen.py), then for each runs the real command
as a subprocess under `/usr/bin/time -v` (its "Maximum resident set size" is the peak
memory) against a fresh PostgreSQL database built by the migrations (and, for 50k rows, a
fresh SQLite file too). A same-run baseline puts the figures in proportion on a busy
machine: `psql \\copy` of the same files into plain text tables, the least any import of
them can cost. Targets (issue 10): peak memory under 300 MB whatever the size, and at least
50,000 rows/s for the 1,000,000-participant registry on PostgreSQL.

PostgreSQL: --admin-url (default postgresql://postgres@127.0.0.1:5432/postgres) must be
allowed to create and drop the database `bench_import`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import registry_gen  # noqa: E402
from config import database_url  # noqa: E402

FLASK = str(ROOT / ".venv" / "bin" / "flask")
BENCH_DB = "bench_import"
MAX_RSS_MB = 300
MIN_ROWS_PER_S = 50_000
# About 3.3 rows per participant: 15,000 participants are about 50,000 rows.
SMALL = 15_000
LARGE = 1_000_000
FILE_COLUMNS = registry_gen.HEADERS


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


def timed_import(directory: Path, database_url: str) -> Run:
    """The real command, in its own process, under /usr/bin/time -v."""
    env = os.environ | {"KPJKU_CONFIG": "development", "DATABASE_URL": database_url}
    command = ["/usr/bin/time", "-v", FLASK, "--app", "wsgi", "registry", "import", str(directory)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if not peak:
        raise SystemExit("no peak memory in /usr/bin/time's report (apt-get install time)")
    return Run(seconds, int(peak.group(1)) / 1024, done.stdout)


def startup(database_url: str) -> float:
    """What every run of the command pays before reading a file: Python, Flask, the app."""
    env = os.environ | {"KPJKU_CONFIG": "development", "DATABASE_URL": database_url}
    start = time.perf_counter()
    subprocess.run(
        [FLASK, "--app", "wsgi", "registry", "--help"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def migrate(database_url: str) -> None:
    env = os.environ | {"KPJKU_CONFIG": "development", "DATABASE_URL": database_url}
    subprocess.run(
        [FLASK, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )


def fresh_postgres(admin_url: str) -> str:
    """Drop and create the bench database; return its URL (psycopg 3 driver)."""
    admin = sa.create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {BENCH_DB}"))
    admin.dispose()
    url = sa.make_url(database_url(admin_url)).set(database=BENCH_DB)
    return url.render_as_string(hide_password=False)


def psql_copy(directory: Path, database_url: str) -> float:
    """The baseline: psql's \\copy of every file into a plain table of text columns."""
    libpq_url = sa.make_url(database_url).set(drivername="postgresql")
    dsn = libpq_url.render_as_string(hide_password=False)
    script = []
    for name, columns in FILE_COLUMNS.items():
        table = f"baseline_{name.removesuffix('.csv')}"
        script.append(f"CREATE UNLOGGED TABLE {table} ({', '.join(c + ' text' for c in columns)});")
        script.append(f"\\copy {table} FROM '{directory / name}' WITH (FORMAT csv, HEADER true)")
    start = time.perf_counter()
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", dsn], input="\n".join(script), text=True,
        check=True, capture_output=True,
    )
    seconds = time.perf_counter() - start
    drops = "".join(f"DROP TABLE baseline_{n.removesuffix('.csv')};" for n in FILE_COLUMNS)
    subprocess.run(["psql", "-q", dsn, "-c", drops], check=True, capture_output=True)
    return seconds


def registry(cache: Path, participants: int) -> tuple[Path, int]:
    """A generated registry, kept in cache between runs (the 1M one takes a while)."""
    directory = cache / f"registry-{participants}"
    marker = directory / "rows"
    if not marker.exists():
        shutil.rmtree(directory, ignore_errors=True)
        counts = registry_gen.generate(directory, participants)
        marker.write_text(str(sum(counts.values())))
    return directory, int(marker.read_text())


def line(label: str, rows: int, run: Run, baseline: float | None = None) -> str:
    ratio = f"{run.seconds / baseline:6.1f}× \\copy" if baseline else " " * 14
    peak = f"peak {run.peak_mb:5.0f} MB" if run.peak_mb else ""
    return (
        f"{label:<34}{rows:>11,} rows {run.seconds:8.1f} s {rows / run.seconds:9,.0f} rows/s "
        f"{ratio} {peak}"
    )


def verdict(name: str, ok: bool) -> bool:
    print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--small", type=int, default=SMALL, help="participants, ~50k rows")
    parser.add_argument("--large", type=int, default=LARGE, help="participants, ~3.3M rows")
    parser.add_argument("--no-large", action="store_true", help="skip the large registry")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kpjku-bench")
    args = parser.parse_args()

    verdicts = []
    small, small_rows = registry(args.cache, args.small)
    url = fresh_postgres(args.admin_url)
    migrate(url)
    baseline = psql_copy(small, url)
    first = timed_import(small, url)
    again = timed_import(small, url)
    print(f"PostgreSQL, {args.small:,} participants "
          f"(the command's start-up alone: {startup(url):.1f} s)")
    print(line("  psql \\copy (baseline)", small_rows, Run(baseline, 0, "")))
    print(line("  first import", small_rows, first, baseline))
    print(line("  again (changes nothing)", small_rows, again, baseline))
    if re.search(r" [1-9][0-9]* (inserted|updated)", again.output):
        raise SystemExit("the second import changed rows: not idempotent")
    peak = max(first.peak_mb, again.peak_mb)
    verdicts.append(verdict(f"peak memory under {MAX_RSS_MB} MB", peak < MAX_RSS_MB))

    with tempfile.TemporaryDirectory(prefix="kpjku-bench-") as temp:
        sqlite_url = f"sqlite:///{Path(temp) / 'bench.sqlite'}"
        migrate(sqlite_url)
        first = timed_import(small, sqlite_url)
        again = timed_import(small, sqlite_url)
    print(f"SQLite, {args.small:,} participants")
    print(line("  first import", small_rows, first))
    print(line("  again (changes nothing)", small_rows, again))
    peak = max(first.peak_mb, again.peak_mb)
    verdicts.append(verdict(f"peak memory under {MAX_RSS_MB} MB", peak < MAX_RSS_MB))

    if not args.no_large:
        large, large_rows = registry(args.cache, args.large)
        url = fresh_postgres(args.admin_url)
        migrate(url)
        baseline = psql_copy(large, url)
        first = timed_import(large, url)
        print(f"PostgreSQL, {args.large:,} participants")
        print(line("  psql \\copy (baseline)", large_rows, Run(baseline, 0, "")))
        print(line("  first import", large_rows, first, baseline))
        verdicts.append(verdict(f"peak memory under {MAX_RSS_MB} MB", first.peak_mb < MAX_RSS_MB))
        rate = large_rows / first.seconds
        verdicts.append(verdict(f"at least {MIN_ROWS_PER_S:,} rows/s", rate >= MIN_ROWS_PER_S))
    if not all(verdicts):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
