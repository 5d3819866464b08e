"""Page benchmark (issue 10, point 1): the pages a participant opens most, signed in, as a
share of a bare Flask "hello" app's throughput, both served by gunicorn with the same
settings (gunicorn.conf.py, WEB_CONCURRENCY=2) in the same run, on SQLite and on
PostgreSQL.

For each database it builds a fresh one (migrations, the demo dataset, and a card of the
demo participant with ten years of monthly contributions), starts the portal (production
configuration) and the hello app, signs in through the real login form, then loads each
target with wrk (-t2 -c32) for a few seconds, in 3 rounds. It prints req/s, p50 and p99 and
the ratio to hello (each round's ratio against that round's hello; the median of 3), as a
Markdown table, and PASS/FAIL against the targets:

- Beranda and the card page at >= 20% of hello on SQLite, >= 12% on PostgreSQL;
- p99 <= 50 ms for every page on SQLite;
- app.css with the signed-in cookie as fast as without (>= 90%), and no `Vary: Cookie`.

    .venv/bin/python bench/pages_bench.py [--seconds 4] [--rounds 3] [--db sqlite,postgresql]

PostgreSQL: PG_BENCH_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages),
dropped and created afresh. Requires wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.processes import free_port, stop  # noqa: E402

BIN = ROOT / ".venv" / "bin"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PG_BENCH_URL = os.environ.get("PG_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages")
DEMO_EMAIL = "budi@contoh.id"
DEMO_PASSWORD = "KPJku-demo-2026"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
YEARS = 10

# Targets: (name, server, path, with the signed-in cookie). {card} is the ten-year card.
TARGETS = [
    ("hello (bare Flask)", "hello", "/", False),
    ("/sehat", "portal", "/sehat", True),
    ("Beranda", "portal", "/", True),
    ("Profil", "portal", "/profil", True),
    ("Tambah KPJ", "portal", "/pengaturan/tambah-kpj", True),
    (f"Kartu ({YEARS} tahun iuran)", "portal", "/kartu/{card}", True),
    ("app.css, with cookie", "portal", "/static/css/app.css", True),
    ("app.css, without cookie", "portal", "/static/css/app.css", False),
]
HEAVY = ("Beranda", f"Kartu ({YEARS} tahun iuran)")
SHARE_TARGET = {"sqlite": 0.20, "postgresql": 0.12}
P99_LIMIT_MS = 50.0
STATIC_PARITY = 0.90


@dataclass
class Run:
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


# --- Databases -------------------------------------------------------------------------------


def prepare_postgresql(url: str) -> None:
    import sqlalchemy as sa

    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def build_database(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "KPJKU_CONFIG": "development"}
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    add_long_card(url)


def add_long_card(url: str) -> None:
    """A card of the demo participant paid monthly for YEARS years up to last month, linked
    to their account the way the app links one; written through the ORM, as the app does."""
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.kpj.services import link_values
    from webapp.models import Account, Contribution, Employer, Membership

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == DEMO_EMAIL))
        person = account.person
        employer = db.session.scalars(select(Employer).limit(1)).one()
        today = date.today()
        first = today.year - YEARS
        card = Membership(
            kpj="99" + f"{secrets.randbelow(10**9):09d}", segment="PU", nik=person.nik,
            full_name=person.full_name, birth_date=person.birth_date,
            mother_name=person.mother_name, employer_npp=employer.npp, status="AKTIF",
            registered_on=date(first, 1, 2), **link_values(account.id),
        )
        db.session.add(card)
        db.session.flush()
        wage = 4_000_000
        for year in range(first, today.year + 1):
            wage += 250_000
            for month in range(1, 13):
                if (year, month) >= (today.year, today.month):
                    break
                db.session.add(Contribution(
                    kpj=card.kpj, period=date(year, month, 1), wage=wage, jht=wage * 57 // 1000,
                    jp=wage * 3 // 100, jkk=wage * 54 // 10000, jkm=wage * 3 // 1000, jkp=0,
                    paid_on=date(year, month, 10),
                ))
        db.session.commit()
        db.engine.dispose()


# --- Servers ---------------------------------------------------------------------------------


LOGS = ROOT / "build" / "bench-logs"


def start(app: str, port: int, env: dict[str, str], probe: str) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py, two workers, bound to port."""
    env = {**env, "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "GUNICORN_LOG_LEVEL": "warning"}
    # The app's JSON log lines (one per request) go to a file, as production's go to its
    # log collector: written to this terminal, printing them would cost more than serving.
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{app.split(':')[0].replace('.', '-')}-{port}.log").open("ab") as log:
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app],
                                  cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited with {server.returncode}")
        try:
            status, _, _ = request(port, probe)
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn {app} did not answer within 60 s")


# --- HTTP ------------------------------------------------------------------------------------


def request(port: int, path: str, cookie: str = "", form: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data, response


def log_in(port: int) -> str:
    """The Cookie header of a signed-in demo session, obtained as a browser would."""
    jar: dict[str, str] = {}

    def keep(response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                jar[name] = morsel.value

    status, body, response = request(port, "/masuk")
    keep(response)
    token = CSRF_INPUT.search(body.decode())
    if status != 200 or token is None:
        raise RuntimeError(f"GET /masuk: {status}, no CSRF token")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, _, response = request(port, "/masuk", cookie,
                                  {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
    if status != 303:
        raise RuntimeError(f"POST /masuk answered {status}, not 303: login failed")
    keep(response)
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    # The welcome toast is shown once; the first page also puts the CSRF secret in the
    # session cookie, which a browser keeps (without it, every page would make a new one).
    _, _, response = request(port, "/", cookie)
    keep(response)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def long_card_ref(port: int, cookie: str) -> str:
    """The ten-year card's address, as Beranda links it (its KPJ starts with 99)."""
    status, body, _ = request(port, "/", cookie)
    match = re.search(r'href="/kartu/([A-Za-z0-9_-]+)">\s*<div class="row"><span class="kpj__number">99', body.decode())
    if status != 200 or match is None:
        raise RuntimeError(f"GET /: {status}, no link to the ten-year card on Beranda")
    return match.group(1)


# --- Load ------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, cookie: str, seconds: int) -> Run:
    command = [WRK, "-t2", "-c32", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout

    def latency(share: str) -> float:
        value, unit = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if per_second == 0:  # nothing answered in time: no latency to speak of, a failure
        return Run(0.0, math.inf, math.inf, failed + 1)
    return Run(per_second, latency("50"), latency("99"), failed)


def bench_database(kind: str, args: argparse.Namespace, workdir: Path) -> tuple[dict, list[str]]:
    url = f"sqlite:///{workdir / 'bench.sqlite'}" if kind == "sqlite" else PG_BENCH_URL
    if kind == "postgresql":
        prepare_postgresql(url)
    build_database(url)
    env = {**os.environ, "KPJKU_CONFIG": "production", "DATABASE_URL": url,
           "SECRET_KEY": secrets.token_hex(32), "RATELIMIT_STORAGE_URI": "memory://",
           "UPLOAD_DIR": str(workdir / "uploads")}
    ports = {"portal": free_port(), "hello": free_port()}
    servers = []
    try:
        servers.append(start("wsgi:app", ports["portal"], env, "/sehat"))
        servers.append(start("bench.hello_app:app", ports["hello"], env, "/"))
        cookie = log_in(ports["portal"])
        card = long_card_ref(ports["portal"], cookie)
        notes = static_headers(ports["portal"], cookie)
        targets = [(name, ports[server], path.format(card=card), cookie if with_cookie else "")
                   for name, server, path, with_cookie in TARGETS]
        for _, port, path, jar in targets:  # warm-up: every worker has served each page
            wrk(port, path, jar, 1)
        rounds = []
        for number in range(args.rounds):
            print(f"  {kind}: round {number + 1} of {args.rounds}", file=sys.stderr)
            rounds.append({name: wrk(port, path, jar, args.seconds) for name, port, path, jar in targets})
        return summarise(rounds), notes
    finally:
        for server in servers:
            stop(server)


def static_headers(port: int, cookie: str) -> list[str]:
    """Problems with app.css asked with the signed-in cookie: it must not vary by cookie."""
    problems = []
    for jar in (cookie, ""):
        _, _, response = request(port, "/static/css/app.css", jar)
        vary = response.headers.get("Vary", "")
        if "cookie" in vary.lower():
            problems.append(f"app.css {'with' if jar else 'without'} cookie answers Vary: {vary}")
        if "no-store" in (response.headers.get("Cache-Control") or ""):
            problems.append("app.css is marked no-store")
    return problems


def summarise(rounds: list[dict[str, Run]]) -> dict[str, dict[str, float]]:
    hello = TARGETS[0][0]
    table = {}
    for name, *_ in TARGETS:
        runs = [r[name] for r in rounds]
        table[name] = {
            "per_second": statistics.median(run.per_second for run in runs),
            "p50": statistics.median(run.p50_ms for run in runs),
            "p99": statistics.median(run.p99_ms for run in runs),
            "ratio": statistics.median(r[name].per_second / max(r[hello].per_second, 1e-9) for r in rounds),
            "errors": sum(run.errors for run in runs),
        }
    return table


# --- Report ----------------------------------------------------------------------------------


def verdicts(kind: str, table: dict, notes: list[str]) -> list[tuple[str, bool]]:
    checks = []
    for name in HEAVY:
        checks.append((f"{kind}: {name} at {table[name]['ratio']:.1%} of hello "
                       f"(target >= {SHARE_TARGET[kind]:.0%})", table[name]["ratio"] >= SHARE_TARGET[kind]))
    if kind == "sqlite":
        for name, server, *_ in TARGETS:
            if server == "portal":
                checks.append((f"{kind}: {name} p99 {table[name]['p99']:.1f} ms (target <= {P99_LIMIT_MS:.0f} ms)",
                               table[name]["p99"] <= P99_LIMIT_MS))
    with_cookie, without = table["app.css, with cookie"], table["app.css, without cookie"]
    parity = with_cookie["per_second"] / without["per_second"] if without["per_second"] else 0.0
    checks.append((f"{kind}: app.css with cookie at {parity:.0%} of without (target >= {STATIC_PARITY:.0%})",
                   parity >= STATIC_PARITY))
    checks.append((f"{kind}: app.css does not vary by cookie" + (f" ({'; '.join(notes)})" if notes else ""),
                   not notes))
    errors = sum(row["errors"] for row in table.values())
    checks.append((f"{kind}: {errors} failed requests", errors == 0))
    return checks


def gunicorn_settings() -> str:
    """The settings both servers ran with, as gunicorn.conf.py gives them here."""
    env = {**os.environ, "WEB_CONCURRENCY": "2"}
    code = ("import runpy; c = runpy.run_path('gunicorn.conf.py'); "
            "print(', '.join(f'{k}={c[k]}' for k in ('workers', 'worker_class', 'threads', "
            "'max_requests', 'max_requests_jitter', 'keepalive', 'preload_app')))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def print_table(kind: str, table: dict, args: argparse.Namespace) -> None:
    print(f"\n### {kind}: wrk -t2 -c32 -d{args.seconds}s, median of {args.rounds} rounds; "
          f"gunicorn -c gunicorn.conf.py ({gunicorn_settings()})\n")
    # failed: non-2xx/3xx answers and socket errors (connect, read, write, timeout), all rounds.
    print("| target | req/s | p50 ms | p99 ms | vs hello | failed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in table.items():
        print(f"| {name} | {row['per_second']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} | {row['ratio']:.1%} "
              f"| {row['errors']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=4, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.db.split(",") if kind.strip()]
    if not Path(WRK).exists():
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="kpjku-pages-bench-"))
    checks: list[tuple[str, bool]] = []
    try:
        for kind in kinds:
            table, notes = bench_database(kind, args, workdir)
            print_table(kind, table, args)
            checks += verdicts(kind, table, notes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
