"""Page benchmark: requests per second and latency of the pages a participant opens most,
against the bare health route as the baseline.

It builds a fresh temporary SQLite database (migrations + the demo dataset), serves it
with gunicorn the way production does, logs in as the demo participant through the real
login form, then, for each page, sends a fixed number of requests after a warm-up from a
few client threads, each on its own keep-alive connection (stdlib http.client only).

    .venv/bin/python bench/pages_bench.py [--requests 600] [--threads 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DEMO_EMAIL = "budi@contoh.id"
DEMO_PASSWORD = "KPJku-demo-2026"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CARD_LINK = re.compile(r'href="/kartu/([A-Za-z0-9_-]+)"')  # a card's link_ref, never its KPJ


@dataclass
class Result:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        """Latency in milliseconds below which `share` of the requests finished."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index] * 1000


# --- The server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_database(env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *command],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )
    return wait_until_serving(server, port)


def wait_until_serving(server: subprocess.Popen, port: int) -> subprocess.Popen:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, body, _ = request(http.client.HTTPConnection("127.0.0.1", port), "/sehat")
            if status == 200 and body == b"ok":
                return server
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /sehat within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- HTTP ---------------------------------------------------------------------------------


def request(
    conn: http.client.HTTPConnection, path: str, cookie: str = "", method: str = "GET",
    form: dict[str, str] | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    # Read it all: the connection is reused for the next request.
    return response.status, response.read(), response


def merge_cookies(jar: dict[str, str], response: http.client.HTTPResponse) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def log_in(port: int) -> str:
    """The Cookie header of a logged-in demo session, obtained as a browser would."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    jar: dict[str, str] = {}
    status, body, response = request(conn, "/masuk")
    merge_cookies(jar, response)
    token = CSRF_INPUT.search(body.decode())
    if status != 200 or token is None:
        raise RuntimeError(f"GET /masuk: {status}, no CSRF token")
    status, _, response = request(
        conn, "/masuk", cookie_header(jar), "POST",
        {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    merge_cookies(jar, response)
    if status != 303:
        raise RuntimeError(f"POST /masuk answered {status}, not 303: login failed")
    conn.close()
    return cookie_header(jar)


def demo_card(port: int, cookie: str) -> str:
    """The ref of the first card Beranda links to."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    status, body, _ = request(conn, "/", cookie)
    conn.close()
    match = CARD_LINK.search(body.decode())
    if status != 200 or match is None:
        raise RuntimeError(f"GET /: {status}, no card link on Beranda")
    return match.group(1)


# --- Load -----------------------------------------------------------------------------------


def measure(port: int, path: str, cookie: str, total: int, warmup: int, threads: int) -> Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    start_line = threading.Barrier(threads + 1)

    def client(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(warmup // threads):
            request(conn, path, cookie)
        mine: list[float] = []
        failed = 0
        start_line.wait()
        for _ in range(count):
            began = time.perf_counter()
            try:
                status, _, _ = request(conn, path, cookie)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()  # reconnects on the next request
            mine.append(time.perf_counter() - began)
            failed += status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=client, args=(n,)) for n in per_thread]
    for worker in workers:
        worker.start()
    start_line.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return Result(path, total, errors[0], time.perf_counter() - began, latencies)


def report(results: list[Result], args: argparse.Namespace) -> None:
    baseline = results[0].per_second
    print(f"\n{args.requests} requests per page after {args.warmup} warm-up, "
          f"{args.threads} client threads, gunicorn -w {args.workers} (sync), SQLite, demo data")
    print(f"{'page':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'vs /sehat':>11}")
    for result in results:
        print(f"{result.path:<32}{result.per_second:>9.1f}{result.percentile(.50):>9.2f}"
              f"{result.percentile(.95):>9.2f}{result.percentile(.99):>9.2f}"
              f"{result.errors:>8}{result.per_second / baseline:>10.1%} ")
    print("gunicorn's sync workers close each connection after the response; the clients "
          "keep theirs open and reconnect when the server closes it.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=60, help="warm-up requests per page")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kpjku-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
           "KPJKU_CONFIG": "development"}
    server = None
    try:
        build_database(env)
        port = free_port()
        server = start_server(env, port, args.workers)
        cookie = log_in(port)
        card = demo_card(port, cookie)
        results = [
            measure(port, path, cookie if path != "/sehat" else "", args.requests, args.warmup,
                    args.threads)
            for path in ("/sehat", "/", f"/kartu/{card}")
        ]
        report(results, args)
        return 1 if any(result.errors for result in results) else 0
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
