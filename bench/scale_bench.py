"""Scale benchmark (issue 10, point 3): a participant's pages must be as fast with a
1,000,000-participant registry as with a 10,000 one, right after the import included.

    .venv/bin/python bench/scale_bench.py [--sizes 10000 1000000] [--samples 300]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432]

For each size it
  1. writes a synthetic registry (bench/scale_bench.py's own generator until the shared
     bench/registry_gen.py replaces it: see write_registry): about two cards a person,
     monthly contributions for a sample of the cards, and one fixed participant, Ratna,
     who is in every registry with the same NIK and cards;
  2. drops and creates the database bench_scale_<size> on the PostgreSQL server, builds the
     schema with `flask --app wsgi db upgrade` and loads the registry through the real
     `flask --app wsgi registry import DIR` (no ANALYZE or VACUUM beyond what it does);
  3. gives Ratna an account with two of her cards linked (the app's own link_values);
  4. serves that database with gunicorn and gunicorn.conf.py (2 workers; the rate limits
     off, so that the link can be sent hundreds of times), signs in through /masuk, and at
     once measures her pages: "right after the import". Each larger size is measured then
     in turn with the smallest (still served), one request to each, so that whatever else
     the machine does at that moment lands on both alike.
When every size is loaded, all servers run side by side and the same pages are measured
again, in turn: "steady". A page is one HTTP request on a keep-alive connection from one
client (latency, not throughput). Pages: Beranda, Temukan KPJ lama, Tambah KPJ (the page,
and KIRIM linking a card, htmx, which the benchmark unlinks again between samples, not
timed), and the card page of her active card with ten years of contributions.

It prints p50/p95 per page and size in both phases and p95(largest)/p95(smallest): PASS
when it is at most 1.2 for every page in both phases; the exit status is 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from bench.processes import free_port, stop  # noqa: E402

LIMIT = 1.2  # p95 at the largest size over p95 at the smallest, at most
SECRET_KEY = "bench-scale-not-secret"
PASSWORD = "Bench-Skala-2026"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# gunicorn builds the app itself: the development configuration without rate limits (the
# link is sent hundreds of times) and without reloading assets on each request.
APP = "webapp:create_app('development', RATELIMIT_ENABLED=False, ASSETS_AUTO_RELOAD=False)"

# --- The registry ---------------------------------------------------------------------------

POPULATION = ["nik", "full_name", "birth_place", "birth_date", "gender", "mother_name"]
EMPLOYERS = ["npp", "name", "risk_class"]
MEMBERSHIPS = ["kpj", "segment", "nik", "full_name", "birth_date", "mother_name",
               "employer_npp", "status", "registered_on", "ended_on"]
CONTRIBUTIONS = ["kpj", "period", "wage", "jht", "jp", "jkk", "jkm", "jkp", "paid_on"]
JHT_RATES = ["year", "rate"]

FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Sri", "Andi", "Wati", "Eko", "Putri"]
LAST = ["Santoso", "Rahayu", "Wijaya", "Lestari", "Hidayat", "Pratama", "Saputra", "Nugroho"]
PLACES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Denpasar"]
SEGMENTS = ["PU", "BPU", "PU", "JAKON", "PMI"]
JKK_PER_10000 = {1: 24, 2: 54, 3: 89, 4: 127, 5: 174}


@dataclass(frozen=True)
class Card:
    kpj: str
    segment: str
    status: str
    registered_on: date
    ended_on: date | None
    months: int  # monthly contributions from the month after registration


# Ratna, in every registry alike: the person whose pages are measured. Her NIK's region (35)
# is one the generated people never get.
RATNA = dict(nik="3501015507850001", full_name="RATNA SARI DEWI", birth_place="Malang",
             birth_date="1985-07-15", gender="P", mother_name="KARTINI")
RATNA_NPP = "NPPBENCH01"
RATNA_CARDS = [
    Card("19000000001", "PU", "AKTIF", date(2015, 1, 5), None, 120),  # linked: card page
    Card("19000000002", "BPU", "NONAKTIF", date(2010, 3, 1), date(2014, 12, 31), 57),  # linked
    Card("19000000003", "PU", "NONAKTIF", date(2005, 2, 1), date(2009, 12, 31), 0),  # Temukan
    Card("19000000004", "BPU", "NONAKTIF", date(2003, 6, 1), date(2004, 12, 31), 0),  # Tambah
]
LINKED = RATNA_CARDS[:2]
TO_LINK = RATNA_CARDS[3]


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def contribution_rows(card: Card, npp_risk: int, wage: int) -> Iterator[list[object]]:
    for month in range(card.months):
        period = add_months(card.registered_on, month + 1)
        jht = 0 if card.segment == "JAKON" else wage * 57 // 1000
        jp = wage * 3 // 100 if card.segment == "PU" else 0
        jkp = wage * 46 // 10000 if card.segment == "PU" else 0
        yield [card.kpj, period.strftime("%Y-%m"), wage, jht, jp,
               wage * JKK_PER_10000[npp_risk] // 10000, wage * 3 // 1000, jkp,
               period.replace(day=10).isoformat()]


def write_registry(directory: Path, participants: int, *, contribution_share: float = 0.01,
                   months: int = 24) -> int:
    """The registry CSV files (DESIGN §4) of `participants` people, written as they are
    generated (nothing held in memory): one to three cards each (two on average, the last
    one AKTIF), an employer per hundred people, `months` of contributions for
    `contribution_share` of the cards, and Ratna. Deterministic. Returns the row count.

    The place to call the shared generator (bench/registry_gen.py) once it is there: the
    benchmark needs only the CSV files, Ratna in them, and the row count."""
    employers = max(10, participants // 100)
    every = max(1, round(1 / contribution_share)) if contribution_share else 0
    rows = 0
    with _csv(directory / "employers.csv", EMPLOYERS) as out:
        out.writerow([RATNA_NPP, "PT Bench Sejahtera", 2])
        for n in range(1, employers + 1):
            out.writerow([f"NPP{n:07d}", f"PT Usaha {n}", 1 + n % 5])
        rows += employers + 1
    with _csv(directory / "jht_rates.csv", JHT_RATES) as out:
        for year in range(2000, 2026):
            out.writerow([year, f"{5 + (year % 7) * 0.25:.2f}"])
        rows += 26
    with (_csv(directory / "population.csv", POPULATION) as people,
          _csv(directory / "memberships.csv", MEMBERSHIPS) as cards,
          _csv(directory / "contributions.csv", CONTRIBUTIONS) as paid):
        people.writerow(RATNA.values())
        for card in RATNA_CARDS:
            npp = RATNA_NPP if card.segment in ("PU", "JAKON") else ""
            cards.writerow([card.kpj, card.segment, RATNA["nik"], RATNA["full_name"],
                            RATNA["birth_date"], RATNA["mother_name"], npp, card.status,
                            card.registered_on, card.ended_on or ""])
            rows += 1
            for row in contribution_rows(card, 2, 6_500_000):
                paid.writerow(row)
                rows += 1
        rows += 1
        serial = 0
        for n in range(1, participants):
            person = _person(n)
            people.writerow(person)
            rows += 1
            for index, card in enumerate(_cards(n, serial, months)):
                serial += 1
                npp_number = 1 + (n + index) % employers
                npp = f"NPP{npp_number:07d}" if card.segment in ("PU", "JAKON") else ""
                cards.writerow([card.kpj, card.segment, person[0], person[1], person[3],
                                person[5], npp, card.status, card.registered_on,
                                card.ended_on or ""])
                rows += 1
                if every and serial % every == 0:
                    wage = 3_000_000 + (serial % 240) * 50_000
                    for row in contribution_rows(card, 1 + npp_number % 5, wage):
                        paid.writerow(row)
                        rows += 1
    return rows


def _person(n: int) -> list[object]:
    birth = date(1960 + n % 45, 1 + n % 12, 1 + n % 28)
    gender = "LP"[n % 2]
    day = birth.day + (40 if gender == "P" else 0)
    # Province 31, a region from the person's number, birth date, serial: unique for 10^8.
    nik = f"31{(n // 10000) % 10000:04d}{day:02d}{birth.month:02d}{birth.year % 100:02d}" \
          f"{n % 10000:04d}"
    name = f"{FIRST[n % 11]} {LAST[n // 11 % 8]}"
    mother = f"{FIRST[n // 88 % 11]} {LAST[n // 7 % 8]}"
    return [nik, name, PLACES[n % 7], birth.isoformat(), gender, mother]


def _cards(n: int, serial: int, months: int) -> Iterator[Card]:
    count = 1 + n % 3
    for index in range(count):
        start = date(2000 + (n + 5 * index) % 20, 1 + n % 12, 1 + n % 28)
        active = index == count - 1
        ended = None if active else date(start.year + 2, 12, 31)
        segment = SEGMENTS[(n + index) % len(SEGMENTS)]
        yield Card(f"{30000000000 + serial + index:011d}", segment,
                   "AKTIF" if active else "NONAKTIF", start, ended,
                   months if active else min(months, 24))


class _csv:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.file = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self.writer.writerow(header)

    def __enter__(self):
        return self.writer

    def __exit__(self, *exc) -> None:
        self.file.close()


# --- The database -------------------------------------------------------------------------


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


def database_url(server: str, size: int) -> str:
    return f"{server.rstrip('/')}/bench_scale_{label(size)}"


def recreate_database(url: str) -> None:
    drop_database(url)
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def drop_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def give_ratna_an_account(url: str) -> None:
    """Ratna's account, with her first two cards linked the way the app links them."""
    from werkzeug.security import generate_password_hash

    from webapp import create_app
    from webapp.extensions import db
    from webapp.kpj.services import link_values
    from webapp.models import Account, Membership

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET_KEY)
    with app.app_context():
        account = Account(nik=RATNA["nik"], email="ratna@bench.id", phone="081200000000",
                          password_hash=generate_password_hash(PASSWORD))
        db.session.add(account)
        db.session.flush()
        for card in LINKED:
            membership = db.session.get(Membership, card.kpj)
            for column, value in link_values(account.id).items():
                setattr(membership, column, value)
        db.session.commit()
        db.engine.dispose()


def table_sizes(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) "
            "FROM pg_stat_user_tables WHERE relname IN "
            "('population', 'memberships', 'contributions') ORDER BY relname"
        ).all()
    engine.dispose()
    return ", ".join(f"{name} {count:,} rows {size}" for name, count, size in rows)


# --- The server and the client --------------------------------------------------------------


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
                  "GUNICORN_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), APP],
        cwd=ROOT, env=server_env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/sehat")
            if probe.getresponse().status == 200:
                probe.close()
                return server
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /sehat within 60 s")


@dataclass
class Browser:
    """One keep-alive connection with a cookie jar, reconnecting when the server closed it."""

    port: int
    jar: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, form: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
        all_headers = dict(headers or {})
        if self.jar:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.jar[name] = morsel.value
        return response.status, text

    def csrf(self, path: str) -> str:
        status, text = self.send("GET", path)
        match = CSRF_INPUT.search(text)
        if status != 200 or match is None:
            raise SystemExit(f"GET {path}: {status}, no CSRF token")
        return match.group(1)


# --- One size ---------------------------------------------------------------------------------


@dataclass
class Site:
    size: int
    url: str
    server: subprocess.Popen
    browser: Browser
    token: str
    card_ref: str
    engine: sa.Engine

    def unlink(self) -> bool:
        """Undo the link KIRIM made (not timed); True when it had made it."""
        with self.engine.begin() as connection:
            result = connection.exec_driver_sql(
                "UPDATE memberships SET account_id = NULL, linked_at = NULL, link_ref = NULL "
                "WHERE kpj = %(kpj)s AND account_id IS NOT NULL", {"kpj": TO_LINK.kpj}
            )
        return result.rowcount == 1


Page = Callable[[Site], tuple[int, str]]


def _kirim(site: Site) -> tuple[int, str]:
    return site.browser.send(
        "POST", "/pengaturan/tambah-kpj",
        form={"segmen": TO_LINK.segment, "kpj": TO_LINK.kpj, "csrf_token": site.token},
        headers={"HX-Request": "true", "HX-Target": "segment-form"},
    )


PAGES: dict[str, Page] = {
    "Beranda": lambda site: site.browser.send("GET", "/"),
    "Temukan KPJ lama": lambda site: site.browser.send("GET", "/pengaturan/temukan-kpj"),
    "Tambah KPJ": lambda site: site.browser.send("GET", "/pengaturan/tambah-kpj?segmen=BPU"),
    "Tambah KPJ: KIRIM": _kirim,
    "Kartu (10 tahun)": lambda site: site.browser.send("GET", f"/kartu/{site.card_ref}"),
}


def timed(site: Site, name: str) -> float:
    began = time.perf_counter()
    status, _ = PAGES[name](site)
    elapsed = time.perf_counter() - began
    if status != 200:
        raise SystemExit(f"{name} at {label(site.size)} answered {status}")
    if name == "Tambah KPJ: KIRIM" and not site.unlink():
        raise SystemExit(f"KIRIM at {label(site.size)} did not link the card")
    return elapsed


def load(size: int, server_url: str, workdir: Path, workers: int) -> Site:
    url = database_url(server_url, size)
    directory = workdir / label(size)
    directory.mkdir()
    began = time.perf_counter()
    rows = write_registry(directory, size)
    print(f"[{label(size)}] registry written: {rows:,} rows in {time.perf_counter() - began:.0f} s",
          flush=True)
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "KPJKU_CONFIG": "development",
           "SECRET_KEY": SECRET_KEY}
    flask(env, "db", "upgrade")
    began = time.perf_counter()
    flask(env, "registry", "import", str(directory))
    seconds = time.perf_counter() - began
    print(f"[{label(size)}] imported in {seconds:.0f} s ({rows / seconds:,.0f} rows/s): "
          f"{table_sizes(url)}", flush=True)
    give_ratna_an_account(url)
    port = free_port()
    server = start_server(env, port, workers)
    browser = Browser(port)
    token = browser.csrf("/masuk")
    status, _ = browser.send("POST", "/masuk", form={
        "email": "ratna@bench.id", "password": PASSWORD, "csrf_token": token})
    if status != 303:
        raise SystemExit(f"[{label(size)}] sign-in answered {status}, not 303")
    status, beranda = browser.send("GET", "/")
    refs = re.findall(r'href="/kartu/([A-Za-z0-9_-]+)"', beranda)
    if status != 200 or not refs:
        raise SystemExit(f"[{label(size)}] Beranda: {status}, no card link")
    engine = sa.create_engine(url, pool_size=1)
    site = Site(size, url, server, browser, browser.csrf("/pengaturan/tambah-kpj?segmen=BPU"),
                refs[0], engine)
    return site


# --- Measuring ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] * 1000


def measure(sites: list[Site], samples: int) -> dict[tuple[str, int], list[float]]:
    """samples of each page at each site, one request to each in turn."""
    latencies: dict[tuple[str, int], list[float]] = {
        (name, site.size): [] for name in PAGES for site in sites
    }
    for _ in range(samples):
        for name in PAGES:
            for site in sites:
                latencies[name, site.size].append(timed(site, name))
    return latencies


def report(title: str, sites: list[Site], latencies: dict[tuple[str, int], list[float]]) -> bool:
    """A table of p50/p95 per page and site; with two sites or more, the p95 ratio of the
    last to the first and whether it is within LIMIT."""
    small, large = sites[0].size, sites[-1].size
    compared = len(sites) > 1
    print(f"\n{title}")
    head = "".join(f"{label(site.size) + ' p50':>10}{label(site.size) + ' p95':>10}"
                   for site in sites)
    print(f"{'page (ms)':<20}{head}{'p95 ratio' if compared else '':>11}")
    passed = True
    for name in PAGES:
        cells = "".join(
            f"{percentile(latencies[name, site.size], .5):>10.1f}"
            f"{percentile(latencies[name, site.size], .95):>10.1f}"
            for site in sites
        )
        verdict = ""
        if compared:
            ratio = (percentile(latencies[name, large], .95)
                     / percentile(latencies[name, small], .95))
            verdict = f"{ratio:>7.2f} {'PASS' if ratio <= LIMIT else 'FAIL'}"
            passed &= ratio <= LIMIT
        print(f"{name:<20}{cells}{verdict}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=300,
                        help="steady samples per page and size")
    parser.add_argument("--after-import", type=int, default=100,
                        help="samples per page measured straight after each import")
    parser.add_argument("--warmup", type=int, default=2,
                        help="requests per page before timing (the worker compiles templates)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                        help="the PostgreSQL server; databases bench_scale_<size> are recreated")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases afterwards (dropped by default: a 1M one "
                        "takes gigabytes)")
    args = parser.parse_args()
    sizes = sorted(args.sizes)

    sites: list[Site] = []
    reports: list[tuple[str, list[Site], dict[tuple[str, int], list[float]]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="kpjku-scale-") as temp:
            for size in sizes:
                site = load(size, args.pg, Path(temp), args.workers)
                for name in PAGES:
                    for _ in range(args.warmup):
                        timed(site, name)
                # Straight after the import, in turn with the smallest size (already
                # loaded and served): whatever else the machine does then lands on both.
                group = [sites[0], site] if sites else [site]
                sites.append(site)
                reports.append((
                    f"Right after the import of {label(size)} ({args.after_import} samples "
                    f"per page{', in turn with ' + label(sizes[0]) if len(group) > 1 else ''})",
                    group, measure(group, args.after_import),
                ))
                print(f"[{label(size)}] measured right after the import", flush=True)
                # The registry files are no longer needed: free the disk for the next size.
                for path in (Path(temp) / label(size)).iterdir():
                    path.unlink()
        reports.append((f"Steady ({args.samples} samples per page, sizes in turn)", sites,
                        measure(sites, args.samples)))
        print(f"\ngunicorn -c gunicorn.conf.py, {args.workers} workers; one client, keep-alive; "
              f"PostgreSQL; Ratna: 2 linked cards (one with 10 years of contributions), "
              f"2 unlinked")
        passed = True
        for title, group, latencies in reports:
            passed &= report(title, group, latencies)
        print(f"\n{'PASS' if passed else 'FAIL'}: p95 at {label(sizes[-1])} "
              f"{'<=' if passed else 'exceeds'} {LIMIT}x p95 at {label(sizes[0])}"
              f"{'' if passed else ' for some page'}, right after the import and steady")
        return 0 if passed else 1
    finally:
        for site in sites:
            stop(site.server)
            site.engine.dispose()
            if not args.keep:
                drop_database(site.url)


if __name__ == "__main__":
    sys.exit(main())
